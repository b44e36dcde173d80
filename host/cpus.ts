// The host's mirror of the per-vCPU records (kernel-as/src/lib/cpu.ts
// CpuRecord): MAX_CPUS records of CPU_RECORD_SIZE bytes from KSTATE_CPUS.
// host/contract.test.ts checks these offsets against the kernel's class.

import { KSTATE_CPUS } from "./hw.js";

export const CPU_RECORD_SIZE = 512;
export const CPU_STATE = 0;       // u32: 0 offline, 1 idle, 2 busy
export const CPU_CURRENT = 4;     // u32: process slot it runs now (0xffffffff: none)
export const CPU_LAST_PID = 8;    // i32: the last process it ran (0: none yet)
export const CPU_RUN_PID = 12;    // i32: the process it runs now (0: none)
export const CPU_SYS_NUM = 24;    // u32: the system call it is in (0xffffffff: none)
export const CPU_RUNS = 32;       // u32: run() calls
export const CPU_INSTRET = 48;    // u64: user instructions retired
export const CPU_IDLE_NS = 56;    // u64: virtual ns idle
export const CPU_WORK = 72;       // u64: work units spent
export const CPU_IRQ = 36;        // u32: the IPI word the hart of a vCPU other than 0 polls
export const CPU_KICKS = 88;      // u32: bumped and notified when another vCPU makes a process runnable while it idles
export const CPU_IN_USER = 80;    // u32: nonzero while its hart runs user code without the big kernel lock

/** CpuRecord.state */
export const CPU_STATE_NAMES = ["offline", "idle", "busy"] as const;

/** The address of vCPU `cpu`'s record. */
export const cpuRecordAddr = (cpu: number): number => KSTATE_CPUS + cpu * CPU_RECORD_SIZE;
