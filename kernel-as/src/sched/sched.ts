// The scheduler: scheduling classes over one table of processes
// (docs/processes.md "Scheduling classes").
//
// Classes, strongest first: real time (FIFO and round-robin, priorities
// 1..99, higher first), then fair and batch together (weighted virtual
// runtime: instructions retired, scaled by the weight of their nice level,
// each nice step worth about 25% of CPU share; the one that has had the
// least runs next), then idle (the same vruntime order, only when nothing
// stronger is runnable). Within a real-time priority the process that joined
// the queue first runs: a woken one joins at the back, a round-robin one
// whose quantum ran out goes to the back, a FIFO one keeps its place until
// it blocks or yields. Batch differs from fair in three ways: no wake-up
// credit, a longer slice, and its wake-ups never preempt. When nothing is
// runnable the machine is idle: run() returns and the host sleeps until the
// next deadline.
//
// Wake-up preemption: a process made runnable during another's turn whose
// effective rank is above the running one's (and which is not batch) asks
// for a reschedule; proc/run.ts ends the running turn at the next system
// call boundary, as an interrupt ends it at the next instruction boundary.
//
// No starvation guard: a runaway real-time process starves the fair classes
// (as Linux without its RT throttling). The console's Ctrl-C and the kernel
// monitor are handled by the kernel between turns, so it can still be ended.
//
// Priority inheritance (ipc/endpoint.ts): a server that owes a reply runs at
// the stronger of its own rank and its caller's effective rank, followed
// through nested calls up to INHERIT_DEPTH_MAX callers. It is computed from
// the reply relation at every look, never stored, so it ends exactly when
// the reply is sent (or the caller dies). `inherit off` in the monitor or
// `noinherit` on the boot command line turns it off.
//
// Affinity: each process carries a mask of the vCPUs it may run on; the
// pick for a vCPU skips processes whose mask lacks it.
//
// Sleeping processes wait on a channel (proc.ts W_*) and are woken by
// wakeup(); timed sleeps by schedWakeSleepers().
//
// Locking (docs/architecture.md "Locks"): LOCK_PROC, the lowest rank, is the
// run queue's lock. A vCPU picks and claims a process under it
// (schedPickClaim: the pick and the state P_RUNNING together, so two vCPUs
// never take the same process), and every change of a process between
// runnable and sleeping made here (schedMakeRunnable, schedSleep, wakeup,
// schedWakeSleepers) is made under it. The scheduling fields read by a
// pick (vruntime, policy, affinity, the run sequence) are written by the
// process's own vCPU or under the lock.
// A stopped process (proc/signal.ts) is never picked, whatever its state.
// Relies on: proc/proc, proc/signal (stopped or not), lib/cpu.

import {
  MAX_PROCS, NO_SLOT, P_RUNNABLE, P_RUNNING, P_SLEEPING, W_NONE, W_SLEEP, W_EP_REPLY, W_FUTEX, procTable, pState, pSetState,
  pVruntime, pSetVruntime, pNice, pWaitKind, pWaitObj, pSetWait, pSleepUntil, pKilled, pPolicy, pSetPolicy, pRtPrio,
  pSetRtPrio, pAffinity, pSetAffinity, pRunSeq, pSetRunSeq, pReplyPid, pReplySlot, pTid, pProc,
} from "../proc/proc";
import { cpu, cpuId, cpuRecord, cpuKickIdle, MAX_CPUS, CPU_OFFLINE } from "../lib/cpu";
import { bootCmdlineHas } from "../arch/bootinfo";
import { sigStopped } from "../proc/signal";
import { KSTATE_PROC } from "../lib/layout";
import { debugActive, debugHolds } from "../proc/debug";
import { traceInit, traceEvent, traceClock, traceLastNs, TRACE_WAKE } from "./trace";
import { spinLock, spinUnlock, LOCK_PROC } from "../lib/lock";

/** Instructions a process may run before the scheduler looks again. */
export const SLICE_INSTRUCTIONS: u64 = 1_000_000;
export const NICE_MIN: i32 = -20;
export const NICE_MAX: i32 = 19;
const NICE_0_WEIGHT: u64 = 1024;
/** A woken sleeper is placed this far behind the most-behind runnable
 *  process, so interactive programs respond promptly without starving others. */
const WAKE_CREDIT: u64 = SLICE_INSTRUCTIONS;
const WEIGHTS: usize = KSTATE_PROC + 0x200; // 40 x u32, nice -20..19

// Scheduling policies (the numbers Linux gives SCHED_OTHER, FIFO, RR, BATCH, IDLE).
export const POLICY_FAIR: u32 = 0;
export const POLICY_FIFO: u32 = 1;
export const POLICY_RR: u32 = 2;
export const POLICY_BATCH: u32 = 3;
export const POLICY_IDLE: u32 = 5;
export const RT_PRIO_MIN: u32 = 1;
export const RT_PRIO_MAX: u32 = 99;
/** Instructions a round-robin process runs before it goes to the back of its priority's queue. */
export const RR_QUANTUM_INSTRUCTIONS: u64 = 1_000_000;
/** A batch process's slice: it gives up wake-up latency for fewer switches. */
export const BATCH_SLICE_INSTRUCTIONS: u64 = 4 * SLICE_INSTRUCTIONS;
/** How many callers deep a server's inherited priority is followed (seL4 MCS
 *  donates along the whole chain; a bound keeps a pick's cost fixed). */
export const INHERIT_DEPTH_MAX: u32 = 8;

// Ranks order the classes: idle < fair = batch < real time 1..99.
export const RANK_IDLE: u32 = 0;
export const RANK_FAIR: u32 = 1;
// @ts-ignore: decorator
@inline function rtRank(prio: u32): u32 { return RANK_FAIR + prio; }

/** Scheduler state beyond the process table's header (linear memory, so
 *  snapshots keep it). */
@unmanaged class SchedState {
  runSeq: u64;       // counts joins of the real-time queues
  inheritOff: u32;   // nonzero: priority inheritance is off
}
const SCHED_STATE: usize = KSTATE_PROC + 0x300;
// @ts-ignore: decorator
@inline function sched(): SchedState { return changetype<SchedState>(SCHED_STATE); }
const CMDLINE_NOINHERIT = memory.data<u8>([0x6E, 0x6F, 0x69, 0x6E, 0x68, 0x65, 0x72, 0x69, 0x74]); // "noinherit"
const CMDLINE_NOINHERIT_LEN: u32 = 9;

/** Set when a wake-up during a turn should end it (per vCPU, scratch of one turn). */
let reschedWanted: bool = false;

export function schedInit(): void {
  traceInit();
  const st = sched();
  st.runSeq = 0;
  st.inheritOff = bootCmdlineHas(CMDLINE_NOINHERIT, CMDLINE_NOINHERIT_LEN) ? 1 : 0;
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

// ---- Classes, ranks and inheritance ----------------------------------------------

export function policyValid(policy: u32): bool {
  return policy == POLICY_FAIR || policy == POLICY_FIFO || policy == POLICY_RR || policy == POLICY_BATCH || policy == POLICY_IDLE;
}
// @ts-ignore: decorator
@inline export function policyRealtime(policy: u32): bool { return policy == POLICY_FIFO || policy == POLICY_RR; }

/** The rank of a class and priority (higher runs first). */
export function rankOf(policy: u32, prio: u32): u32 {
  if (policyRealtime(policy)) return rtRank(prio);
  return policy == POLICY_IDLE ? RANK_IDLE : RANK_FAIR;
}
// @ts-ignore: decorator
@inline export function ownRank(slot: u32): u32 { return rankOf(pPolicy(slot), pRtPrio(slot)); }

export function schedInheritOn(): bool { return sched().inheritOff == 0; }
export function schedSetInherit(on: bool): void { sched().inheritOff = on ? 0 : 1; }

/** The caller slot is serving (waiting in call for slot's reply), or NO_SLOT.
 *  The slot recorded beside the caller's pid finds it without a search;
 *  pids are never reused, so the pid check is exact. */
export function servedCaller(slot: u32): u32 {
  const pid = pReplyPid(slot);
  if (pid == 0) return NO_SLOT;
  const c = pReplySlot(slot);
  if (c >= MAX_PROCS || pTid(c) != pid || pState(c) != P_SLEEPING || pWaitKind(c) != W_EP_REPLY || pWaitObj(c) != slot) return NO_SLOT;
  return c;
}

/** Whose class and priority slot runs at: itself, or (inheritance on) the
 *  strongest caller along the chain of calls it is serving. */
export function effectiveSource(slot: u32): u32 {
  let best = slot;
  if (sched().inheritOff != 0) return best;
  let bestRank = ownRank(slot);
  let s = slot;
  for (let depth: u32 = 0; depth < INHERIT_DEPTH_MAX && pReplyPid(s) != 0; depth++) {
    const c = servedCaller(s);
    if (c == NO_SLOT) break;
    const r = ownRank(c);
    if (r > bestRank) { best = c; bestRank = r; }
    s = c;
  }
  return best;
}

// @ts-ignore: decorator
@inline export function effectiveRank(slot: u32): u32 { return pReplyPid(slot) == 0 ? ownRank(slot) : ownRank(effectiveSource(slot)); }

/** Sets slot's class and priority (checked by the caller). A real-time
 *  process that changes priority joins the back of its new queue. */
export function schedSetPolicy(slot: u32, policy: u32, prio: u32): void {
  pSetPolicy(slot, policy);
  pSetRtPrio(slot, policyRealtime(policy) ? prio : 0);
  pSetRunSeq(slot, ++sched().runSeq);
}

/** fork: the child runs in the parent's class, at its priority, on its vCPUs. */
export function schedFork(parent: u32, child: u32): void {
  pSetPolicy(child, pPolicy(parent));
  pSetRtPrio(child, pRtPrio(parent));
  pSetAffinity(child, pAffinity(parent));
}

/** The vCPUs online, one bit each (an affinity mask must name one). */
export function schedCpusOnlineMask(): u32 {
  let mask: u32 = 0;
  for (let i: u32 = 0; i < MAX_CPUS; i++) if (cpuRecord(i).state != CPU_OFFLINE) mask |= 1 << i;
  return mask == 0 ? 1 : mask; // before the records exist (a test entry): vCPU 0
}

/** The instructions slot runs before the scheduler looks again. */
export function schedSliceFor(slot: u32): u64 {
  const policy = pPolicy(effectiveSource(slot));
  if (policy == POLICY_RR) return RR_QUANTUM_INSTRUCTIONS;
  if (policy == POLICY_BATCH) return BATCH_SLICE_INSTRUCTIONS;
  return SLICE_INSTRUCTIONS; // FIFO: only a point to look for a stronger process; it keeps its place
}

/** slot's turn ended with its slice spent: a round-robin process goes to the
 *  back of its priority's queue. */
export function schedSliceSpent(slot: u32): void {
  if (pPolicy(effectiveSource(slot)) == POLICY_RR) pSetRunSeq(slot, ++sched().runSeq);
}

/** sched_yield: the caller goes to the back of its queue and its turn ends. */
export function schedYield(slot: u32): void {
  pSetRunSeq(slot, ++sched().runSeq);
  // A fair process gives up the rest of its slice's lead too.
  if (ownRank(slot) <= RANK_FAIR && pVruntime(slot) < procTable().minVruntime) pSetVruntime(slot, procTable().minVruntime);
  reschedWanted = true;
}

/** True (once) when a wake-up asked for the running turn to end. */
export function schedTakeResched(): bool {
  const r = reschedWanted;
  reschedWanted = false;
  return r;
}
export function schedClearResched(): void { reschedWanted = false; }

/** Whether slot may be picked now: runnable, not stopped, not held by the debugger. */
// @ts-ignore: decorator
@inline function pickable(slot: u32, debugging: bool): bool {
  // A stopped process waits for SIGCONT; one a debugger holds (each of its
  // threads), for the debugger, unless it was killed (SIGKILL ends it, as it
  // ends a ptrace-stopped process): proc/debug.ts debugHolds.
  return pState(slot) == P_RUNNABLE && !sigStopped(slot) && !(debugging && debugHolds(slot));
}

/** True when another vCPU than `vcpu` is running a thread of slot's
 *  process now. Only truly parallel vCPUs (docs/architecture.md "Parallel
 *  vCPUs") ever see one: interleaved vCPUs leave no process current
 *  between their run() calls. The threads of one process are kept on one
 *  vCPU at a time, so an address space is live on at most one hart and a
 *  thread's kernel work (exec and exit ending its siblings, faults, the
 *  futexes) never meets a sibling running user code elsewhere. */
function processRunsElsewhere(slot: u32, vcpu: u32): bool {
  const leader = pProc(slot);
  for (let i: u32 = 0; i < MAX_CPUS; i++) {
    if (i == vcpu) continue;
    const other = cpuRecord(i).current;
    if (other != NO_SLOT && pProc(other) == leader) return true;
  }
  return false;
}

/** The process the current vCPU would run next, or NO_SLOT (a look: nothing
 *  is claimed, so it may be gone by the time it is run; see schedPickClaim). */
export function schedPick(): u32 { return schedPickFor(cpuId()); }

/** Picks the process this vCPU runs next and claims it under the run
 *  queue's lock: it is P_RUNNING and this vCPU's current before the lock is
 *  released, so no other vCPU's pick can take it. NO_SLOT when none. */
export function schedPickClaim(): u32 {
  spinLock(LOCK_PROC);
  const slot = schedPickFor(cpuId());
  if (slot != NO_SLOT) {
    pSetState(slot, P_RUNNING);
    cpu().current = slot;
  }
  spinUnlock(LOCK_PROC);
  return slot;
}

/** The process vCPU `vcpu` runs next, or NO_SLOT: of the pickable ones whose
 *  affinity names `vcpu`, the highest effective rank; among real-time equals
 *  the one queued first, among the others the least virtual runtime. Ties
 *  go to the slot after the last one picked, so equals take turns. */
export function schedPickFor(vcpu: u32): u32 {
  const t = procTable();
  let best = NO_SLOT;
  let bestRank: u32 = 0;
  let bestKey: u64 = 0;
  const cpuBit: u32 = 1 << vcpu;
  const here = cpuRecord(vcpu).current;
  const start = here == NO_SLOT ? 0 : (here + 1) % MAX_PROCS;
  const debugging = debugActive(); // a process stopped by the debugger stays put
  for (let i: u32 = 0; i < MAX_PROCS; i++) {
    const slot = (start + i) % MAX_PROCS;
    if (!pickable(slot, debugging) || (pAffinity(slot) & cpuBit) == 0 || processRunsElsewhere(slot, vcpu)) continue;
    const rank = effectiveRank(slot);
    const key = rank > RANK_FAIR ? pRunSeq(slot) : pVruntime(slot);
    if (best == NO_SLOT || rank > bestRank || (rank == bestRank && key < bestKey)) { best = slot; bestRank = rank; bestKey = key; }
  }
  if (best != NO_SLOT && bestRank <= RANK_FAIR && bestKey > t.minVruntime) t.minVruntime = bestKey;
  return best;
}

export function schedRunnableCount(): u32 {
  let n: u32 = 0;
  for (let slot: u32 = 0; slot < MAX_PROCS; slot++) if (pState(slot) == P_RUNNABLE && !sigStopped(slot)) n++;
  return n;
}

/** Makes slot runnable (from creation or a wake-up). */
export function schedMakeRunnable(slot: u32): void {
  spinLock(LOCK_PROC);
  makeRunnable(slot);
  spinUnlock(LOCK_PROC);
}

/** schedMakeRunnable with LOCK_PROC held. */
function makeRunnable(slot: u32): void {
  const t = procTable();
  const batch = pPolicy(slot) == POLICY_BATCH;
  const credit: u64 = batch ? 0 : WAKE_CREDIT; // batch gets no wake-up credit
  const floor = t.minVruntime > credit ? t.minVruntime - credit : 0;
  if (pVruntime(slot) < floor) pSetVruntime(slot, floor);
  if (pState(slot) != P_RUNNABLE) pSetRunSeq(slot, ++sched().runSeq); // the back of its real-time queue
  // Woken during another's turn and stronger than it: that turn ends at the
  // next boundary (batch never preempts on wake).
  // (Only this vCPU's turn: another vCPU sees the woken process at its next pick.)
  const running = cpu().current;
  if (!batch && running != NO_SLOT && running != slot && effectiveRank(slot) > effectiveRank(running)) reschedWanted = true;
  // A new process is asleep on W_NONE until set up: its wake reads "start".
  if (pState(slot) == P_SLEEPING) traceEvent(TRACE_WAKE, slot, pWaitKind(slot), 0, traceLastNs());
  pSetWait(slot, W_NONE, 0);
  pSetState(slot, P_RUNNABLE);
  cpuKickIdle();
}

export function schedSleep(slot: u32, kind: u32, obj: u32): void {
  spinLock(LOCK_PROC);
  pSetWait(slot, kind, obj);
  pSetState(slot, P_SLEEPING);
  spinUnlock(LOCK_PROC);
}

/** Wakes every process sleeping on (kind, obj). Returns how many. */
export function wakeup(kind: u32, obj: u32): u32 {
  let n: u32 = 0;
  spinLock(LOCK_PROC);
  for (let slot: u32 = 0; slot < MAX_PROCS; slot++) {
    if (pState(slot) == P_SLEEPING && pWaitKind(slot) == kind && pWaitObj(slot) == obj) {
      makeRunnable(slot);
      n++;
    }
  }
  spinUnlock(LOCK_PROC);
  return n;
}

/** Wakes timed sleepers whose deadline has passed, and killed sleepers.
 *  Returns the earliest deadline still pending, or 0xFFFF... for none. */
export function schedWakeSleepers(nowNs: u64): u64 {
  let next: u64 = 0xFFFF_FFFF_FFFF_FFFF;
  traceClock(nowNs);
  spinLock(LOCK_PROC);
  for (let slot: u32 = 0; slot < MAX_PROCS; slot++) {
    if (pState(slot) != P_SLEEPING) continue;
    if (pKilled(slot)) { makeRunnable(slot); continue; }
    if (!timedWait(slot)) continue;
    const until = pSleepUntil(slot);
    if (until <= nowNs) makeRunnable(slot);
    else if (until < next) next = until;
  }
  spinUnlock(LOCK_PROC);
  return next;
}

/** The earliest deadline of a timed sleeper (WAKE_NEVER-like all ones when
 *  none), woken by nobody: what a vCPU other than 0 arms the timer for
 *  (main.ts armForSleepers). A killed sleeper counts as due now. */
export function schedNextWake(nowNs: u64): u64 {
  let next: u64 = 0xFFFF_FFFF_FFFF_FFFF;
  spinLock(LOCK_PROC);
  for (let slot: u32 = 0; slot < MAX_PROCS; slot++) {
    if (pState(slot) != P_SLEEPING) continue;
    const until = pKilled(slot) ? nowNs : timedWait(slot) ? pSleepUntil(slot) : next;
    if (until < next) next = until;
  }
  spinUnlock(LOCK_PROC);
  return next;
}

/** A sleep(), or a futex_wait with a timeout (proc/thread.ts): P_SLEEP_UNTIL is its deadline. */
function timedWait(slot: u32): bool {
  const k = pWaitKind(slot);
  return k == W_SLEEP || (k == W_FUTEX && pSleepUntil(slot) != 0);
}

/** True if some process sleeps with a deadline. */
export function schedHasTimedSleepers(): bool {
  for (let slot: u32 = 0; slot < MAX_PROCS; slot++) {
    if (pState(slot) == P_SLEEPING && timedWait(slot)) return true;
  }
  return false;
}
