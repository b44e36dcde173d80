// The machine's fixed hardware numbers, host side. Mirrors
// kernel-as/src/arch/hw.ts and kernel-as/src/lib/layout.ts; the test
// host/contract.test.ts checks that both sides agree.

export const UART_BASE = 0x3f8;
export const IRQ_UART = 4;

export const VGA_CRTC_INDEX = 0x3d4;
export const VGA_CRTC_DATA = 0x3d5;
export const VGA_TEXT = 0xb8000;
export const VGA_COLS = 80;
export const VGA_ROWS = 25;

export const TIMER_BASE = 0x40;
export const TIMER_NOW_LO = 0x40;
export const TIMER_NOW_HI = 0x44;
export const TIMER_DEADLINE_LO = 0x48;
export const TIMER_DEADLINE_HI = 0x4c;
export const TIMER_CTRL = 0x50;
export const TIMER_STATUS = 0x54;
export const IRQ_TIMER = 0;

export const INTC_BASE = 0x20;
export const INTC_PENDING = 0x20;
export const INTC_MASK = 0x24;
export const INTC_ACK = 0x28;
export const INTC_RAW = 0x2c;
export const INTC_ROUTE = 0x30;

export const BLOCK_BASE = 0x600;
export const IRQ_BLOCK = 5;

export const NIC_BASE = 0x700;
export const IRQ_NIC = 6;

export const HV_WALLCLOCK = 1;
export const HV_ENTROPY = 2;
export const HV_SHUTDOWN = 3;
export const HV_REBOOT = 4;
export const HV_LOG = 5;
export const HV_MEM_GROW = 6;
export const HV_MEM_BALLOON = 7;
export const HV_VCPU_CREATE = 8;
export const HV_IRQ_ROUTE = 9;
export const HV_PANIC = 10;
export const HV_IMPORT_INFO = 11;
export const HV_IMPORT_READ = 12;
export const HV_IMPORT_DONE = 13;
export const HV_JIT_COMPILE = 14;
export const HV_CPU_RELAX = 15;
export const IMPORT_NAME_MAX = 14;
/** The IMPORT_INFO record (kernel-as/src/arch/hw.ts): size @0, path length @4, flags @8, offset @12, file size @16, path @20. */
export const IMPORT_PATH_MAX = 240;
export const IMPORT_INFO_PATH = 20;
export const IMPORT_F_DIR = 1;
export const IMPORT_F_REPLACE = 2;
export const IMPORT_F_CWD = 4;
export const IMPORT_F_APPEND = 8;
export const IMPORT_F_PROBE = 16;
export const IMPORT_F_QUIET = 32;

export const HV_OK = 0;
export const HV_E_UNSUPPORTED = -1;
export const HV_E_INVALID = -2;
export const HV_E_NOMEM = -3;

// Physical layout (see kernel-as/src/lib/layout.ts).
export const PAGE_SIZE = 4096;
export const CONTROL_BLOCK = 0x1000;
export const BOOTINFO_BASE = 0x2000;
export const BOOTINFO_LIMIT = 0x10000;
export const KSTATE_BASE = 0x10000;
export const KSTATE_FS = 0x1c000;
export const KLOG_RING = 0x40000;
export const KLOG_RING_SIZE = 0x40000;
export const SCRATCH_INSPECT = 0x30000;
export const SCRATCH_INSPECT_SIZE = 0x10000;
export const INSPECT_OUT_SIZE = 0xc000;
export const SCHED_TRACE = 0x80000;
export const SCHED_TRACE_RING = 0x81000;
export const SCHED_TRACE_RING_SIZE = 0x10000;
export const SYSCALL_TRACE = 0x91000;
export const SYSCALL_TRACE_RING = 0x92000;
export const SYSCALL_TRACE_RING_SIZE = 0x8000;
export const VGA_WINDOW = 0xa0000;
export const ROM_BASE = 0xc0000;
export const KERNEL_IMAGE = 0x100000;

export const CB_IRQ_PENDING = 0x00;
export const CB_WORK_USED = 0x04;
export const CB_WAKE_AT = 0x08;
export const CB_WORK_TOTAL = 0x10;
export const CB_STATE = 0x18;
export const CB_PANIC_LEN = 0x1c;
export const CB_IMPORTS = 0x20;
export const CB_PANIC_MSG = 0x100;
export const CB_PANIC_MAX = 0x400;

export const RUN_BUDGET_SPENT = 0;
export const RUN_IDLE = 1;
export const RUN_HALTED = 2;
export const RUN_PANICKED = 3;
export const RUN_REBOOT = 4;

export const WAKE_NEVER = 0xffff_ffff_ffff_ffffn;

/** The per-vCPU records (kernel-as/src/lib/cpu.ts; their fields: host/cpus.ts). */
export const KSTATE_CPUS = 0x9a000;
export const KSTATE_LOCKS = 0x9b000;
export const KSTATE_PCPU = 0x9d000;
