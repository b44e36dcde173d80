// The scheduler: a fair class and an idle class. Runnable processes are
// ordered by weighted virtual runtime (instructions retired, scaled by the
// weight of their nice level: each nice step is worth about 25% of CPU
// share); the one that has had the least runs next, for a time slice of
// SLICE_INSTRUCTIONS. When nothing is runnable the machine is idle (the idle
// class): run() returns and the host sleeps until the next deadline.
// Sleeping processes wait on a channel (proc.ts W_*) and are woken by
// wakeup(); timed sleeps by schedWakeSleepers().
// A stopped process (proc/signal.ts) is never picked, whatever its state.
// Relies on: proc/proc, proc/signal (stopped or not).

import { cpu } from "../lib/cpu";
import {
  MAX_PROCS, NO_SLOT, P_RUNNABLE, P_SLEEPING, W_NONE, W_SLEEP, procTable, pState, pSetState, pVruntime,
  pSetVruntime, pNice, pWaitKind, pWaitObj, pSetWait, pSleepUntil, pKilled,
} from "../proc/proc";
import { sigStopped } from "../proc/signal";
import { KSTATE_PROC } from "../lib/layout";
import { debugHeldPlusOne } from "../proc/debug";
import { traceInit, traceEvent, traceClock, traceLastNs, TRACE_WAKE } from "./trace";

/** Instructions a process may run before the scheduler looks again. */
export const SLICE_INSTRUCTIONS: u64 = 1_000_000;
export const NICE_MIN: i32 = -20;
export const NICE_MAX: i32 = 19;
const NICE_0_WEIGHT: u64 = 1024;
/** A woken sleeper is placed this far behind the most-behind runnable
 *  process, so interactive programs respond promptly without starving others. */
const WAKE_CREDIT: u64 = SLICE_INSTRUCTIONS;
const WEIGHTS: usize = KSTATE_PROC + 0x200; // 40 x u32, nice -20..19

export function schedInit(): void {
  traceInit();
  // weight(n) = 1024 / 1.25^n, computed once in fixed point.
  let w: u64 = NICE_0_WEIGHT << 16;
  for (let n = 0; n <= NICE_MAX; n++) {
    store<u32>(WEIGHTS + <usize>(n - NICE_MIN) * 4, <u32>max<u64>(1, w >> 16));
    w = w * 4 / 5;
  }
  w = NICE_0_WEIGHT << 16;
  for (let n = 0; n >= NICE_MIN; n--) {
    store<u32>(WEIGHTS + <usize>(n - NICE_MIN) * 4, <u32>(w >> 16));
    w = w * 5 / 4;
  }
}

export function niceWeight(nice: i32): u64 {
  const n = nice < NICE_MIN ? NICE_MIN : nice > NICE_MAX ? NICE_MAX : nice;
  return <u64>load<u32>(WEIGHTS + <usize>(n - NICE_MIN) * 4);
}

/** Charges `instructions` of CPU to slot's virtual runtime. */
export function schedCharge(slot: u32, instructions: u64): void {
  pSetVruntime(slot, pVruntime(slot) + instructions * NICE_0_WEIGHT / niceWeight(pNice(slot)));
}

/** The runnable process with the least virtual runtime, or NO_SLOT. Ties go
 *  to the slot after the last one picked, so equals take turns. */
export function schedPick(): u32 {
  const t = procTable();
  let best = NO_SLOT;
  let bestV: u64 = 0;
  const here = cpu().current;
  const start = here == NO_SLOT ? 0 : (here + 1) % MAX_PROCS;
  const held = debugHeldPlusOne(); // a process stopped by the debugger stays put
  for (let i: u32 = 0; i < MAX_PROCS; i++) {
    const slot = (start + i) % MAX_PROCS;
    // A stopped process waits for SIGCONT; one a debugger holds, for the
    // debugger, unless it was killed (SIGKILL ends it, as it ends a ptrace-stopped process).
    if (pState(slot) != P_RUNNABLE || sigStopped(slot) || (slot + 1 == held && !pKilled(slot))) continue;
    const v = pVruntime(slot);
    if (best == NO_SLOT || v < bestV) { best = slot; bestV = v; }
  }
  if (best != NO_SLOT && bestV > t.minVruntime) t.minVruntime = bestV;
  return best;
}

export function schedRunnableCount(): u32 {
  let n: u32 = 0;
  for (let slot: u32 = 0; slot < MAX_PROCS; slot++) if (pState(slot) == P_RUNNABLE && !sigStopped(slot)) n++;
  return n;
}

/** Makes slot runnable (from creation or a wake-up). */
export function schedMakeRunnable(slot: u32): void {
  const t = procTable();
  const floor = t.minVruntime > WAKE_CREDIT ? t.minVruntime - WAKE_CREDIT : 0;
  if (pVruntime(slot) < floor) pSetVruntime(slot, floor);
  // A new process is asleep on W_NONE until set up: its wake reads "start".
  if (pState(slot) == P_SLEEPING) traceEvent(TRACE_WAKE, slot, pWaitKind(slot), 0, traceLastNs());
  pSetWait(slot, W_NONE, 0);
  pSetState(slot, P_RUNNABLE);
}

export function schedSleep(slot: u32, kind: u32, obj: u32): void {
  pSetWait(slot, kind, obj);
  pSetState(slot, P_SLEEPING);
}

/** Wakes every process sleeping on (kind, obj). Returns how many. */
export function wakeup(kind: u32, obj: u32): u32 {
  let n: u32 = 0;
  for (let slot: u32 = 0; slot < MAX_PROCS; slot++) {
    if (pState(slot) == P_SLEEPING && pWaitKind(slot) == kind && pWaitObj(slot) == obj) {
      schedMakeRunnable(slot);
      n++;
    }
  }
  return n;
}

/** Wakes timed sleepers whose deadline has passed, and killed sleepers.
 *  Returns the earliest deadline still pending, or 0xFFFF... for none. */
export function schedWakeSleepers(nowNs: u64): u64 {
  let next: u64 = 0xFFFF_FFFF_FFFF_FFFF;
  traceClock(nowNs);
  for (let slot: u32 = 0; slot < MAX_PROCS; slot++) {
    if (pState(slot) != P_SLEEPING) continue;
    if (pKilled(slot)) { schedMakeRunnable(slot); continue; }
    if (pWaitKind(slot) != W_SLEEP) continue;
    const until = pSleepUntil(slot);
    if (until <= nowNs) schedMakeRunnable(slot);
    else if (until < next) next = until;
  }
  return next;
}

/** True if some process sleeps with a deadline. */
export function schedHasTimedSleepers(): bool {
  for (let slot: u32 = 0; slot < MAX_PROCS; slot++) {
    if (pState(slot) == P_SLEEPING && pWaitKind(slot) == W_SLEEP) return true;
  }
  return false;
}
