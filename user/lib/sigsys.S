# Keel user land: the signal and job-control calls (Keel extensions
# 110-122, docs/abi.md), one stub each as in usys.S, and the trampoline a
# signal handler returns to.

        .section .text.sigsend, "ax"
        .globl sigsend
        .type sigsend, @function
sigsend:
        li      a7, 110
        ecall
        ret
        .size sigsend, . - sigsend

        .section .text.__sys_sigaction, "ax"
        .globl __sys_sigaction
        .type __sys_sigaction, @function
__sys_sigaction:
        li      a7, 111
        ecall
        ret
        .size __sys_sigaction, . - __sys_sigaction

        .section .text.sigprocmask, "ax"
        .globl sigprocmask
        .type sigprocmask, @function
sigprocmask:
        li      a7, 112
        ecall
        ret
        .size sigprocmask, . - sigprocmask

        .section .text.sigreturn, "ax"
        .globl sigreturn
        .type sigreturn, @function
sigreturn:
        li      a7, 113
        ecall
        ret
        .size sigreturn, . - sigreturn

        .section .text.sigpending, "ax"
        .globl sigpending
        .type sigpending, @function
sigpending:
        li      a7, 114
        ecall
        ret
        .size sigpending, . - sigpending

        .section .text.setpgid, "ax"
        .globl setpgid
        .type setpgid, @function
setpgid:
        li      a7, 115
        ecall
        ret
        .size setpgid, . - setpgid

        .section .text.getpgid, "ax"
        .globl getpgid
        .type getpgid, @function
getpgid:
        li      a7, 116
        ecall
        ret
        .size getpgid, . - getpgid

        .section .text.setsid, "ax"
        .globl setsid
        .type setsid, @function
setsid:
        li      a7, 117
        ecall
        ret
        .size setsid, . - setsid

        .section .text.getsid, "ax"
        .globl getsid
        .type getsid, @function
getsid:
        li      a7, 118
        ecall
        ret
        .size getsid, . - getsid

        .section .text.tcsetpgrp, "ax"
        .globl tcsetpgrp
        .type tcsetpgrp, @function
tcsetpgrp:
        li      a7, 119
        ecall
        ret
        .size tcsetpgrp, . - tcsetpgrp

        .section .text.tcgetpgrp, "ax"
        .globl tcgetpgrp
        .type tcgetpgrp, @function
tcgetpgrp:
        li      a7, 120
        ecall
        ret
        .size tcgetpgrp, . - tcgetpgrp

        .section .text.waitpid, "ax"
        .globl waitpid
        .type waitpid, @function
waitpid:
        li      a7, 121
        ecall
        ret
        .size waitpid, . - waitpid

        .section .text.ttymode, "ax"
        .globl ttymode
        .type ttymode, @function
ttymode:
        li      a7, 122
        ecall
        ret
        .size ttymode, . - ttymode

# A handler returns here (sigaction put this address in ra): sp still
# points at the signal frame the kernel pushed, and sigreturn restores the
# interrupted context from it. It comes back only if the frame is damaged;
# then the process ends (exit status 127).
        .section .text.__sigtramp, "ax"
        .globl __sigtramp
        .type __sigtramp, @function
__sigtramp:
        li      a7, 113
        ecall
        li      a0, 127
        li      a7, 2
        ecall
1:      j       1b
        .size __sigtramp, . - __sigtramp
