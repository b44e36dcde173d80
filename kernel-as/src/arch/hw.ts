// The machine's fixed hardware numbers: port ranges, interrupt lines and
// hypercall operations. Mirrors host/hw.ts (a test checks they agree).

// 16550 UART, COM1.
export const UART_BASE: u32 = 0x3F8;
export const IRQ_UART: u32 = 4;

// VGA CRTC index/data ports (cursor location registers 0x0E/0x0F).
export const VGA_CRTC_INDEX: u32 = 0x3D4;
export const VGA_CRTC_DATA: u32 = 0x3D5;

// Timer: 32-bit registers.
export const TIMER_BASE: u32 = 0x40;
export const TIMER_NOW_LO: u32 = 0x40;      // r: reading latches NOW_HI
export const TIMER_NOW_HI: u32 = 0x44;      // r
export const TIMER_DEADLINE_LO: u32 = 0x48; // rw
export const TIMER_DEADLINE_HI: u32 = 0x4C; // rw: writing arms the deadline and clears STATUS.fired
export const TIMER_CTRL: u32 = 0x50;        // rw: bit 0 = interrupt enabled
export const TIMER_STATUS: u32 = 0x54;      // r: bit 0 = fired; write 1 to clear
export const IRQ_TIMER: u32 = 0;

// Interrupt controller: 32-bit registers, one bit per line.
export const INTC_BASE: u32 = 0x20;
export const INTC_PENDING: u32 = 0x20; // r: raised & ~masked
export const INTC_MASK: u32 = 0x24;    // rw: 1 = masked
export const INTC_ACK: u32 = 0x28;     // w: clears latched lines
export const INTC_RAW: u32 = 0x2C;     // r: raised, ignoring the mask
export const INTC_ROUTE: u32 = 0x30;   // w: (line << 8) | vcpu

// Paravirtual block device (issue: file system).
export const BLOCK_BASE: u32 = 0x600;
export const IRQ_BLOCK: u32 = 5;

// Paravirtual NIC (docs/network.md).
export const NIC_BASE: u32 = 0x700;
export const IRQ_NIC: u32 = 6;

// Hypercall operations: hypercall(op, a0, a1, a2) -> i32 (negative = HV_E_*).
export const HV_WALLCLOCK: u32 = 1;   // a0 = address of u64 ms since the Unix epoch
export const HV_ENTROPY: u32 = 2;     // a0 = address, a1 = length: fill with random bytes
export const HV_SHUTDOWN: u32 = 3;    // a0 = exit status
export const HV_REBOOT: u32 = 4;
export const HV_LOG: u32 = 5;         // a0 = address, a1 = length, a2 = level
export const HV_MEM_GROW: u32 = 6;    // a0 = 64 KiB pages to add; returns old size in pages
export const HV_MEM_BALLOON: u32 = 7; // a0 = address, a1 = length handed back
export const HV_VCPU_CREATE: u32 = 8; // a0 = entry index; returns vCPU id
export const HV_IRQ_ROUTE: u32 = 9;   // a0 = line, a1 = vcpu
export const HV_PANIC: u32 = 10;      // a0 = address, a1 = length of the message
export const HV_IMPORT_INFO: u32 = 11; // a0 = address of an IMPORT_INFO record; returns 1 if a file waits, else 0
export const HV_IMPORT_READ: u32 = 12; // a0 = address, a1 = offset, a2 = length; returns bytes copied
export const HV_IMPORT_DONE: u32 = 13; // a0 = result (0 or FS_ERR_*), a1 = base directory's inum, a2 = the new inode's: drops the piece
export const HV_CPU_RELAX: u32 = 15;   // a vCPU waits for the big kernel lock (lib/bkl.ts): the host may service other vCPUs' requests
export const HV_JIT_COMPILE: u32 = 14; // a0 = address, a1 = length of a wasm module (machine/jit.ts), a2 = unit index: returns its table index

// IMPORT_INFO record (docs/filesystem.md "Files from the host"): u32 piece size @0,
// u32 path length @4, u32 flags @8, u32 file offset of the piece @12, u32 the whole file's size @16,
// path bytes @20 (at most IMPORT_PATH_MAX).
export const IMPORT_NAME_MAX: u32 = 14;
export const IMPORT_PATH_MAX: u32 = 240;
export const IMPORT_INFO_PATH: u32 = 20;
export const IMPORT_F_DIR: u32 = 1;     // make a directory (one already there is fine)
export const IMPORT_F_REPLACE: u32 = 2; // an existing file may be replaced; without it, EXISTS
export const IMPORT_F_CWD: u32 = 4;     // the path is relative to the console session's working directory
export const IMPORT_F_APPEND: u32 = 8;  // a later piece: write at the offset into the file the first piece made
export const IMPORT_F_PROBE: u32 = 16;  // change nothing; answer the base directory's inum
export const IMPORT_F_QUIET: u32 = 32;  // log nothing on the console (the page shows the answer)

export const HV_OK: i32 = 0;
export const HV_E_UNSUPPORTED: i32 = -1;
export const HV_E_INVALID: i32 = -2;
export const HV_E_NOMEM: i32 = -3;
