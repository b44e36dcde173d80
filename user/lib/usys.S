# Keel user land: system call stubs.
#
# One stub per call: the number goes in a7, the arguments are already in
# a0-a5 where the C calling convention put them, `ecall` traps into the
# kernel and the result comes back in a0. Numbers 1-21 are the Unix
# personality (ABI.md); 100 and up are Keel extensions. Assembled with
# -mno-relax and as rv64imac; `ecall` is always the 4-byte form.

        .section .text.fork, "ax"
        .globl fork
        .type fork, @function
fork:
        li      a7, 1
        ecall
        ret
        .size fork, . - fork

        .section .text.exit, "ax"
        .globl exit
        .type exit, @function
exit:
        li      a7, 2
        ecall
        ret
        .size exit, . - exit

        .section .text.wait, "ax"
        .globl wait
        .type wait, @function
wait:
        li      a7, 3
        ecall
        ret
        .size wait, . - wait

        .section .text.pipe, "ax"
        .globl pipe
        .type pipe, @function
pipe:
        li      a7, 4
        ecall
        ret
        .size pipe, . - pipe

        .section .text.read, "ax"
        .globl read
        .type read, @function
read:
        li      a7, 5
        ecall
        ret
        .size read, . - read

        .section .text.kill, "ax"
        .globl kill
        .type kill, @function
kill:
        li      a7, 6
        ecall
        ret
        .size kill, . - kill

        .section .text.exec, "ax"
        .globl exec
        .type exec, @function
exec:
        li      a7, 7
        ecall
        ret
        .size exec, . - exec

        .section .text.fstat, "ax"
        .globl fstat
        .type fstat, @function
fstat:
        li      a7, 8
        ecall
        ret
        .size fstat, . - fstat

        .section .text.chdir, "ax"
        .globl chdir
        .type chdir, @function
chdir:
        li      a7, 9
        ecall
        ret
        .size chdir, . - chdir

        .section .text.dup, "ax"
        .globl dup
        .type dup, @function
dup:
        li      a7, 10
        ecall
        ret
        .size dup, . - dup

        .section .text.getpid, "ax"
        .globl getpid
        .type getpid, @function
getpid:
        li      a7, 11
        ecall
        ret
        .size getpid, . - getpid

        .section .text.sbrk, "ax"
        .globl sbrk
        .type sbrk, @function
sbrk:
        li      a1, 0
        li      a7, 12
        ecall
        ret
        .size sbrk, . - sbrk

        .section .text.sbrklazy, "ax"
        .globl sbrklazy
        .type sbrklazy, @function
sbrklazy:
        li      a1, 2
        li      a7, 12
        ecall
        ret
        .size sbrklazy, . - sbrklazy

        .section .text.sleep, "ax"
        .globl sleep
        .type sleep, @function
sleep:
        li      a7, 13
        ecall
        ret
        .size sleep, . - sleep

        .section .text.uptime, "ax"
        .globl uptime
        .type uptime, @function
uptime:
        li      a7, 14
        ecall
        ret
        .size uptime, . - uptime

        .section .text.open, "ax"
        .globl open
        .type open, @function
open:
        li      a7, 15
        ecall
        ret
        .size open, . - open

        .section .text.write, "ax"
        .globl write
        .type write, @function
write:
        li      a7, 16
        ecall
        ret
        .size write, . - write

        .section .text.mknod, "ax"
        .globl mknod
        .type mknod, @function
mknod:
        li      a7, 17
        ecall
        ret
        .size mknod, . - mknod

        .section .text.unlink, "ax"
        .globl unlink
        .type unlink, @function
unlink:
        li      a7, 18
        ecall
        ret
        .size unlink, . - unlink

        .section .text.link, "ax"
        .globl link
        .type link, @function
link:
        li      a7, 19
        ecall
        ret
        .size link, . - link

        .section .text.mkdir, "ax"
        .globl mkdir
        .type mkdir, @function
mkdir:
        li      a7, 20
        ecall
        ret
        .size mkdir, . - mkdir

        .section .text.close, "ax"
        .globl close
        .type close, @function
close:
        li      a7, 21
        ecall
        ret
        .size close, . - close

        .section .text.procs, "ax"
        .globl procs
        .type procs, @function
procs:
        li      a7, 100
        ecall
        ret
        .size procs, . - procs

        .section .text.setnice, "ax"
        .globl setnice
        .type setnice, @function
setnice:
        li      a7, 101
        ecall
        ret
        .size setnice, . - setnice

        .section .text.sched_set, "ax"
        .globl sched_set
        .type sched_set, @function
sched_set:
        li      a7, 140
        ecall
        ret
        .size sched_set, . - sched_set

        .section .text.sched_get, "ax"
        .globl sched_get
        .type sched_get, @function
sched_get:
        li      a7, 141
        ecall
        ret
        .size sched_get, . - sched_get

        .section .text.setaffinity, "ax"
        .globl setaffinity
        .type setaffinity, @function
setaffinity:
        li      a7, 142
        ecall
        ret
        .size setaffinity, . - setaffinity

        .section .text.getaffinity, "ax"
        .globl getaffinity
        .type getaffinity, @function
getaffinity:
        li      a7, 143
        ecall
        ret
        .size getaffinity, . - getaffinity

        .section .text.sched_yield, "ax"
        .globl sched_yield
        .type sched_yield, @function
sched_yield:
        li      a7, 144
        ecall
        ret
        .size sched_yield, . - sched_yield

        .section .text.clocknanos, "ax"
        .globl clocknanos
        .type clocknanos, @function
clocknanos:
        li      a7, 102
        ecall
        ret
        .size clocknanos, . - clocknanos

        .section .text.errstr, "ax"
        .globl errstr
        .type errstr, @function
errstr:
        li      a7, 103
        ecall
        ret
        .size errstr, . - errstr

        .section .text.sbrkmode, "ax"
        .globl sbrkmode
        .type sbrkmode, @function
sbrkmode:
        li      a7, 104
        ecall
        ret
        .size sbrkmode, . - sbrkmode

        .section .text.fsinfo, "ax"
        .globl fsinfo
        .type fsinfo, @function
fsinfo:
        li      a7, 105
        ecall
        ret
        .size fsinfo, . - fsinfo

        .section .text.trace, "ax"
        .globl trace
        .type trace, @function
trace:
        li      a7, 106
        ecall
        ret
        .size trace, . - trace

# Native capability calls, 200-209: badge and expiry_ns of cap_derive are
# uint64 and arrive in a3/a4 whole, as the calling convention puts them.

        .section .text.cap_info, "ax"
        .globl cap_info
        .type cap_info, @function
cap_info:
        li      a7, 200
        ecall
        ret
        .size cap_info, . - cap_info

        .section .text.cap_derive, "ax"
        .globl cap_derive
        .type cap_derive, @function
cap_derive:
        li      a7, 201
        ecall
        ret
        .size cap_derive, . - cap_derive

        .section .text.cap_copy, "ax"
        .globl cap_copy
        .type cap_copy, @function
cap_copy:
        li      a7, 202
        ecall
        ret
        .size cap_copy, . - cap_copy

        .section .text.cap_move, "ax"
        .globl cap_move
        .type cap_move, @function
cap_move:
        li      a7, 203
        ecall
        ret
        .size cap_move, . - cap_move

        .section .text.cap_delete, "ax"
        .globl cap_delete
        .type cap_delete, @function
cap_delete:
        li      a7, 204
        ecall
        ret
        .size cap_delete, . - cap_delete

        .section .text.cap_revoke, "ax"
        .globl cap_revoke
        .type cap_revoke, @function
cap_revoke:
        li      a7, 205
        ecall
        ret
        .size cap_revoke, . - cap_revoke

        .section .text.cap_enter, "ax"
        .globl cap_enter
        .type cap_enter, @function
cap_enter:
        li      a7, 206
        ecall
        ret
        .size cap_enter, . - cap_enter

        .section .text.openat, "ax"
        .globl openat
        .type openat, @function
openat:
        li      a7, 207
        ecall
        ret
        .size openat, . - openat

        .section .text.spawn, "ax"
        .globl spawn
        .type spawn, @function
spawn:
        li      a7, 208
        ecall
        ret
        .size spawn, . - spawn

        .section .text.cap_list, "ax"
        .globl cap_list
        .type cap_list, @function
cap_list:
        li      a7, 209
        ecall
        ret
        .size cap_list, . - cap_list

        .section .text.ep_create, "ax"
        .globl ep_create
        .type ep_create, @function
ep_create:
        li      a7, 210
        ecall
        ret
        .size ep_create, . - ep_create

        .section .text.ep_send, "ax"
        .globl ep_send
        .type ep_send, @function
ep_send:
        li      a7, 211
        ecall
        ret
        .size ep_send, . - ep_send

        .section .text.ep_recv, "ax"
        .globl ep_recv
        .type ep_recv, @function
ep_recv:
        li      a7, 212
        ecall
        ret
        .size ep_recv, . - ep_recv

        .section .text.ep_call, "ax"
        .globl ep_call
        .type ep_call, @function
ep_call:
        li      a7, 213
        ecall
        ret
        .size ep_call, . - ep_call

        .section .text.ep_reply, "ax"
        .globl ep_reply
        .type ep_reply, @function
ep_reply:
        li      a7, 214
        ecall
        ret
        .size ep_reply, . - ep_reply

        .section .text.ep_replyrecv, "ax"
        .globl ep_replyrecv
        .type ep_replyrecv, @function
ep_replyrecv:
        li      a7, 215
        ecall
        ret
        .size ep_replyrecv, . - ep_replyrecv

        .section .text.ntfn_create, "ax"
        .globl ntfn_create
        .type ntfn_create, @function
ntfn_create:
        li      a7, 216
        ecall
        ret
        .size ntfn_create, . - ntfn_create

        .section .text.ntfn_signal, "ax"
        .globl ntfn_signal
        .type ntfn_signal, @function
ntfn_signal:
        li      a7, 217
        ecall
        ret
        .size ntfn_signal, . - ntfn_signal

        .section .text.ntfn_wait, "ax"
        .globl ntfn_wait
        .type ntfn_wait, @function
ntfn_wait:
        li      a7, 218
        ecall
        ret
        .size ntfn_wait, . - ntfn_wait

        .section .text.ntfn_poll, "ax"
        .globl ntfn_poll
        .type ntfn_poll, @function
ntfn_poll:
        li      a7, 219
        ecall
        ret
        .size ntfn_poll, . - ntfn_poll

        .section .text.shm_create, "ax"
        .globl shm_create
        .type shm_create, @function
shm_create:
        li      a7, 220
        ecall
        ret
        .size shm_create, . - shm_create

        .section .text.shm_map, "ax"
        .globl shm_map
        .type shm_map, @function
shm_map:
        li      a7, 221
        ecall
        ret
        .size shm_map, . - shm_map

        .section .text.unlinkat, "ax"
        .globl unlinkat
        .type unlinkat, @function
unlinkat:
        li      a7, 222
        ecall
        ret
        .size unlinkat, . - unlinkat

        .section .text.fspawn, "ax"
        .globl fspawn
        .type fspawn, @function
fspawn:
        li      a7, 223
        ecall
        ret
        .size fspawn, . - fspawn

# Threads and futexes (docs/abi.md "Threads"), Keel's 130-135.
        .section .text.sys_thread_create, "ax"
        .globl sys_thread_create
        .type sys_thread_create, @function
sys_thread_create:
        li      a7, 130
        ecall
        ret
        .size sys_thread_create, . - sys_thread_create

        .section .text.sys_thread_exit, "ax"
        .globl sys_thread_exit
        .type sys_thread_exit, @function
sys_thread_exit:
        li      a7, 131
        ecall
        ret
        .size sys_thread_exit, . - sys_thread_exit

        .section .text.sys_thread_join, "ax"
        .globl sys_thread_join
        .type sys_thread_join, @function
sys_thread_join:
        li      a7, 132
        ecall
        ret
        .size sys_thread_join, . - sys_thread_join

        .section .text.gettid, "ax"
        .globl gettid
        .type gettid, @function
gettid:
        li      a7, 133
        ecall
        ret
        .size gettid, . - gettid

        .section .text.futex_wait, "ax"
        .globl futex_wait
        .type futex_wait, @function
futex_wait:
        li      a7, 134
        ecall
        ret
        .size futex_wait, . - futex_wait

        .section .text.futex_wake, "ax"
        .globl futex_wake
        .type futex_wake, @function
futex_wake:
        li      a7, 135
        ecall
        ret
        .size futex_wake, . - futex_wake

# long syscall6(long number, long a0, ..., long a5): any call by number with
# raw 64-bit arguments, for tests that pass what a prototype would not.
        .section .text.syscall6, "ax"
        .globl syscall6
        .type syscall6, @function
syscall6:
        mv      a7, a0
        mv      a0, a1
        mv      a1, a2
        mv      a2, a3
        mv      a3, a4
        mv      a4, a5
        mv      a5, a6
        ecall
        ret
        .size syscall6, . - syscall6
