# Test only: process entry under Linux (qemu-riscv64), which passes argc at
# 0(sp) and argv from 8(sp) instead of in a0 and a1 as Keel does. Used with
# test/linux-shim.c by user/programs.test.ts.
        .section .text.start, "ax"
        .globl _start
_start:
        ld      a0, 0(sp)
        addi    a1, sp, 8
        call    main
        call    exit
1:      j       1b
