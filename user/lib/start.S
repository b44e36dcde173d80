# Keel user land: process entry point.
#
# exec (ABI.md "Process image") enters here with a0 = argc and
# a1 = sp = the NULL-terminated argv array, sp 16-byte aligned. We call
# main(argc, argv) and pass its result to exit, which never returns.

        .section .text.start, "ax"
        .globl _start
        .type _start, @function
_start:
        li      ra, 0           # no caller: stops debugger backtraces here
        call    main
        call    exit
1:      j       1b              # not reached: exit does not return
        .size _start, . - _start
