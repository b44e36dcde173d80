// The kernel's own global record (at KSTATE_KERNEL) and the host mailbox
// (the control block). Everything a run() slice reports to the host is
// written here, never returned as a 64-bit value across the boundary.

import {
  KSTATE_KERNEL, CONTROL_BLOCK, CB_STATE, CB_WORK_USED, CB_WAKE_AT, CB_WORK_TOTAL, CB_PANIC_LEN, CB_PANIC_MSG,
  CB_PANIC_MAX,
} from "./layout";

export const KERNEL_BOOTING: u32 = 0;
export const KERNEL_RUNNING: u32 = 1;
export const KERNEL_HALTED: u32 = 2;
export const KERNEL_PANICKED: u32 = 3;
export const KERNEL_REBOOTING: u32 = 4;

@unmanaged export class KernelState {
  state: u32;
  deterministic: u32;
  ramBytes: u64;
  bootNs: u64;          // virtual time at kmain
  promptNs: u64;        // virtual time when the monitor prompt first showed
  workTotal: u64;
  sliceWork: u32;       // work charged in the current run() slice
  runs: u32;
  wakeAt: u64;          // earliest requested wake-up, or WAKE_NEVER
  // Where the kernel is, for a panic message (lib/panic.ts): the process
  // being run (pid 0: none; its name's address and length) and the system
  // call it is in (SYSCALL_NONE between calls).
  runPid: i32;
  runName: u32;
  runNameLength: u32;
  sysNum: u32;
}

/** KernelState.sysNum when no system call is being handled. */
export const SYSCALL_NONE: u32 = 0xFFFF_FFFF;

// @ts-ignore: decorator
@inline export function kernel(): KernelState { return changetype<KernelState>(KSTATE_KERNEL); }

/** Charges `units` of work to the current slice (budget accounting). */
// @ts-ignore: decorator
@inline export function chargeWork(units: u32): void { kernel().sliceWork += units; }

export function publishState(state: u32): void {
  kernel().state = state;
  store<u32>(CONTROL_BLOCK + CB_STATE, state);
}

export function publishSlice(wakeAt: u64): void {
  const k = kernel();
  k.workTotal += <u64>k.sliceWork;
  store<u32>(CONTROL_BLOCK + CB_WORK_USED, k.sliceWork);
  store<u64>(CONTROL_BLOCK + CB_WORK_TOTAL, k.workTotal);
  store<u64>(CONTROL_BLOCK + CB_WAKE_AT, wakeAt);
}

/** Records the panic message for the host (truncated to CB_PANIC_MAX). */
export function publishPanicMessage(ptr: usize, len: usize): void {
  const n = len < CB_PANIC_MAX ? len : CB_PANIC_MAX;
  memory.copy(CONTROL_BLOCK + CB_PANIC_MSG, ptr, n);
  store<u32>(CONTROL_BLOCK + CB_PANIC_LEN, <u32>n);
}
