// The host boundary: every import the kernel takes from the hypervisor is
// declared here and nowhere else. Mirrors host/kernel-imports.ts.
//
// Port I/O reaches the emulated devices (UART, VGA CRTC, timer, interrupt
// controller); hypercalls reach the hypervisor itself. Neither is on a hot
// path, and no 64-bit value crosses: wider results go through memory.

@external("keel", "port_in")
export declare function portIn(port: u32, width: u32): u32;

@external("keel", "port_out")
export declare function portOut(port: u32, width: u32, value: u32): void;

@external("keel", "hypercall")
export declare function hypercall(op: u32, a0: u32, a1: u32, a2: u32): i32;

// @ts-ignore: decorator
@inline export function inb(port: u32): u32 { return portIn(port, 1); }
// @ts-ignore: decorator
@inline export function outb(port: u32, value: u32): void { portOut(port, 1, value & 0xFF); }
// @ts-ignore: decorator
@inline export function inl(port: u32): u32 { return portIn(port, 4); }
// @ts-ignore: decorator
@inline export function outl(port: u32, value: u32): void { portOut(port, 4, value); }
