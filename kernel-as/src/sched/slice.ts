// The bounds of one run() slice. Layer: sched, used by main.ts's run() loop
// and proc/run.ts. A slice ends when the work it was given is spent: the
// hart's retired instructions and what the kernel charges for its own work
// (a cost per system call, per scheduling round) through chargeWork(). That
// bound is deterministic. In realtime mode a slice also ends once it has
// run SLICE_MAX_NS of wall time, checked between system calls and between
// processes: kernel work the charges do not price (a fork copying a large
// address space, an exec reading its image) then still hands the host back
// control within about one system call of the limit, so output and input
// move while a kernel-heavy program runs. Deterministic mode never looks at
// the time here, so its runs stay a pure function of their input.
//
// The deadline is per-instance scratch, set again at the start of every
// run(), so it needs no place in a snapshot.

import { kernel } from "../lib/kstate";
import { timeNowNs } from "../arch/timer";

/** Wall time a realtime slice may take before it ends at the next check. */
export const SLICE_MAX_NS: u64 = 20_000_000;
/** Work charged for each round of the run() loop (interrupts, a pick), so a
 *  loop that retires no instructions (an interrupt that cannot be cleared)
 *  still spends the budget and ends. */
export const SCHED_ROUND_WORK: u32 = 10;

const NO_DEADLINE: u64 = 0xFFFF_FFFF_FFFF_FFFF;
let deadlineNs: u64 = NO_DEADLINE;

/** Starts a slice at `nowNs` (virtual time as timeNowNs() reads it). */
export function sliceBegin(nowNs: u64): void {
  deadlineNs = kernel().deterministic != 0 ? NO_DEADLINE : nowNs + SLICE_MAX_NS;
}

/** True in realtime mode once the slice has used its wall time. */
export function sliceOutOfTime(): bool {
  return deadlineNs != NO_DEADLINE && timeNowNs() >= deadlineNs;
}
