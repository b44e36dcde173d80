# Keel user land: the network card's native calls (240-242, docs/abi.md and
# docs/network.md), one stub each as in usys.S. Only a process holding the
# card's device capability (netd) can use them.

        .section .text.nic_info, "ax"
        .globl nic_info
        .type nic_info, @function
nic_info:
        li      a7, 240
        ecall
        ret
        .size nic_info, . - nic_info

        .section .text.nic_send, "ax"
        .globl nic_send
        .type nic_send, @function
nic_send:
        li      a7, 241
        ecall
        ret
        .size nic_send, . - nic_send

        .section .text.nic_recv, "ax"
        .globl nic_recv
        .type nic_recv, @function
nic_recv:
        li      a7, 242
        ecall
        ret
        .size nic_recv, . - nic_recv
