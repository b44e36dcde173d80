// The kernel's own global record (at KSTATE_KERNEL) and the host mailbox
// (the control block). Everything a run() slice reports to the host is
// written here, never returned as a 64-bit value across the boundary.

import { cpu, cpuId } from "./cpu";
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
  workTotal: u64;       // work of every vCPU
  runs: u32;            // run() calls of every vCPU
  wakeAt: u64;          // earliest requested wake-up, or WAKE_NEVER
  // Per-vCPU: the work of the current slice and where each vCPU is (the
  // process, the system call) are in its record (lib/cpu.ts CpuRecord).
}

/** KernelState.sysNum when no system call is being handled. */
export const SYSCALL_NONE: u32 = 0xFFFF_FFFF;

// @ts-ignore: decorator
@inline export function kernel(): KernelState { return changetype<KernelState>(KSTATE_KERNEL); }

/** Charges `units` of work to the current slice (budget accounting). */
// @ts-ignore: decorator
@inline export function chargeWork(units: u32): void { cpu().sliceWork += units; }

export function publishState(state: u32): void {
  kernel().state = state;
  store<u32>(CONTROL_BLOCK + CB_STATE, state);
}

/** The end of a slice: its work into the totals and the control block.
 *  Every vCPU publishes its own wake-up time in its record; vCPU 0's (the
 *  one that owns the timer and the sleepers) also goes to CB_WAKE_AT. */
export function publishSlice(wakeAt: u64): void {
  const k = kernel();
  const c = cpu();
  k.workTotal += <u64>c.sliceWork;
  c.work += <u64>c.sliceWork;
  c.wakeAt = wakeAt;
  store<u32>(CONTROL_BLOCK + CB_WORK_USED, c.sliceWork);
  store<u64>(CONTROL_BLOCK + CB_WORK_TOTAL, k.workTotal);
  if (cpuId() == 0) store<u64>(CONTROL_BLOCK + CB_WAKE_AT, wakeAt);
}

/** Records the panic message for the host (truncated to CB_PANIC_MAX). */
export function publishPanicMessage(ptr: usize, len: usize): void {
  const n = len < CB_PANIC_MAX ? len : CB_PANIC_MAX;
  memory.copy(CONTROL_BLOCK + CB_PANIC_MSG, ptr, n);
  store<u32>(CONTROL_BLOCK + CB_PANIC_LEN, <u32>n);
}
