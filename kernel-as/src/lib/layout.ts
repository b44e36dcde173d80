// Physical memory layout: every fixed address the kernel and the host agree
// on. Physical address = byte offset into the one WebAssembly.Memory.
//
// The low 1 MiB is PC-like. All mutable kernel state lives in linear memory
// (never in WASM globals, which are per-instance and therefore per-vCPU), at
// the fixed records below or in frames the allocators hand out.
//
// Mirrors: host/hw.ts (keep the two in step; host/contract.test.ts checks).

/** The state format: bump it when what a record in RAM *means* changes
 *  without any layout constant changing (a flag bit reused, a field's unit).
 *  It is one of the declarations the kernel's layout id is computed from
 *  (scripts/layout-id.mjs), so a bump refuses a hot swap between the two
 *  kernels (docs/code-panel.md). Offsets and sizes need no bump: changing
 *  any top-level constant changes the id by itself. */
export const STATE_FORMAT: u32 = 1;

/** The first page is never used, so a null pointer never lands on data. */
export const NULL_PAGE: usize = 0x0000;

/** Host <-> kernel mailbox (see CB_* offsets), one page. */
export const CONTROL_BLOCK: usize = 0x1000;
/** BootInfo record and its tables and strings, written by the host. */
export const BOOTINFO_BASE: usize = 0x2000;
export const BOOTINFO_LIMIT: usize = 0x10000;

/** Fixed records of kernel global state, one slot per subsystem. */
export const KSTATE_BASE: usize = 0x10000;
export const KSTATE_LIMIT: usize = 0x80000;

// Subsystem slots inside KSTATE (each owner documents its record).
export const KSTATE_KERNEL: usize = 0x10000;  // 4 KiB: run state, clock, panic
export const KSTATE_LOG: usize = 0x11000;     // 4 KiB: log ring header
export const KSTATE_CONSOLE: usize = 0x12000; // 4 KiB: UART rx queue, line editor
export const KSTATE_VGA: usize = 0x13000;     // 4 KiB: VGA cursor, colour
export const KSTATE_FRAMES: usize = 0x14000;  // 4 KiB: buddy allocator heads and counts
export const KSTATE_SLAB: usize = 0x15000;    // 4 KiB: object caches
export const KSTATE_MONITOR: usize = 0x16000; // 4 KiB: kernel monitor
export const KSTATE_HART: usize = 0x17000;    // 4 KiB: per-machine hart bookkeeping
export const KSTATE_PRINT: usize = 0x18000;   // 4 KiB: output sinks and the line being logged
export const KSTATE_BOOTFS: usize = 0x19000;  // 4 KiB: boot file system mount
export const KSTATE_PROC: usize = 0x1A000;    // 4 KiB: process table header, scheduler
export const KSTATE_TTY: usize = 0x1B000;     // 4 KiB: console line discipline
export const KSTATE_FS: usize = 0x1C000;      // 4 KiB: file system (fs/fsstate.ts)
export const KSTATE_CAP: usize = 0x1D000;     // 4 KiB: capabilities (cap/)
export const KSTATE_DEBUG: usize = 0x1E000;   // 4 KiB: the debugging session (proc/debug.ts)
export const KSTATE_NET: usize = 0x1F000;     // 4 KiB: NIC driver (dev/nic.ts)
export const KSTATE_SCRATCH: usize = 0x20000; // 64 KiB of scratch, split below
export const SCRATCH_MONITOR: usize = 0x20000;    // 16 KiB: monitor demos (pt)
export const SCRATCH_EXEC_STRINGS: usize = 0x24000; // 4 KiB: exec argument strings
export const SCRATCH_EXEC_OFFSETS: usize = 0x25000; // 1 KiB: exec argument offsets
export const SCRATCH_PATH: usize = 0x25400;       // 1 KiB: a path being resolved
export const SCRATCH_CAPS: usize = 0x25800;       // 1 KiB: capability bookkeeping (objects to destroy)
export const SCRATCH_IO: usize = 0x28000;         // 32 KiB: system-call bounce buffer
export const SCRATCH_IO_SIZE: usize = 0x8000;
/** The inspect export's answer buffer (sys/inspect.ts): the host reads the
 *  answer here; the kernel writes nothing else for it. The first
 *  INSPECT_OUT_SIZE bytes are the answer, the rest is inspect's own work
 *  space (page-table frame lists, a page-table walk). */
export const SCRATCH_INSPECT: usize = 0x30000;    // 64 KiB
export const SCRATCH_INSPECT_SIZE: usize = 0x10000;
export const INSPECT_OUT_SIZE: usize = 0xC000;

/** Kernel log ring: 256 KiB of records. */
export const KLOG_RING: usize = 0x40000;
export const KLOG_RING_SIZE: usize = 0x40000;

/** Scheduler trace (sched/trace.ts): a header, then a ring of fixed-size
 *  scheduler events (run, preempt, sleep, wake, yield, exit). */
export const SCHED_TRACE: usize = 0x80000;        // 4 KiB: header
export const SCHED_TRACE_RING: usize = 0x81000;
export const SCHED_TRACE_RING_SIZE: usize = 0x10000; // 4096 events of 16 bytes

/** System-call trace (sys/sctrace.ts): a header (the traced pids, the
 *  record being built), then a ring of 128-byte call records. */
export const SYSCALL_TRACE: usize = 0x91000;      // 4 KiB: header
export const SYSCALL_TRACE_RING: usize = 0x92000;
export const SYSCALL_TRACE_RING_SIZE: usize = 0x8000; // 256 records

/** Per-vCPU records (lib/cpu.ts): MAX_CPUS records of CPU_RECORD_SIZE bytes. */
export const KSTATE_CPUS: usize = 0x9A000;       // 4 KiB
/** Lock registry (lib/lock.ts): header, per-vCPU held-lock stacks, then
 *  MAX_LOCKS records of 64 bytes. */
export const KSTATE_LOCKS: usize = 0x9B000;      // 8 KiB
/** Per-vCPU allocator caches (mm/pcpu.ts): MAX_CPUS records of
 *  PCPU_RECORD_SIZE bytes, a frame cache and slab magazines each. */
export const KSTATE_PCPU: usize = 0x9D000;       // 12 KiB, up to the VGA window

/** Legacy video window; the VGA text buffer is 80x25 cells of (char, attr). */
export const VGA_WINDOW: usize = 0xA0000;
export const VGA_TEXT: usize = 0xB8000;
export const VGA_COLS: i32 = 80;
export const VGA_ROWS: i32 = 25;
/** ROM and reserved area. */
export const ROM_BASE: usize = 0xC0000;

/** Kernel static data starts here (asc --memoryBase). */
export const KERNEL_IMAGE: usize = 0x100000;

export const PAGE_SIZE: usize = 4096;
export const PAGE_SHIFT: u32 = 12;

// Control block offsets (CONTROL_BLOCK + CB_*).
/** u32: bitmask of pending, unmasked interrupt lines, mirrored by the host's
 *  interrupt controller so the kernel can poll it with one load. */
export const CB_IRQ_PENDING: usize = 0x00;
/** u32: work units the last run() slice consumed. */
export const CB_WORK_USED: usize = 0x04;
/** u64: virtual time (ns) at which an idle kernel wants to be woken; all ones = never. */
export const CB_WAKE_AT: usize = 0x08;
/** u64: total work units since boot. */
export const CB_WORK_TOTAL: usize = 0x10;
/** u32: run state (RUN_* below), kept for the host's status bar. */
export const CB_STATE: usize = 0x18;
/** u32: byte length of the panic message at CB_PANIC_MSG. */
export const CB_PANIC_LEN: usize = 0x1C;
/** u32: files the host has queued for import (HV_IMPORT_*); the kernel polls it. */
export const CB_IMPORTS: usize = 0x20;
/** Panic message text, up to CB_PANIC_MAX bytes. */
export const CB_PANIC_MSG: usize = 0x100;
export const CB_PANIC_MAX: usize = 0x400;

// Results of run(budget).
export const RUN_BUDGET_SPENT: i32 = 0;
export const RUN_IDLE: i32 = 1;
export const RUN_HALTED: i32 = 2;
export const RUN_PANICKED: i32 = 3;
export const RUN_REBOOT: i32 = 4;

export const WAKE_NEVER: u64 = 0xFFFF_FFFF_FFFF_FFFF;
