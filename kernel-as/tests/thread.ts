// Test entry for the thread structure of the process table (proc/thread.ts):
// processes and threads are made, end (thread_exit, exit, kill as the first
// thread to cross handles it), are joined and exec'd, and futex waiters are
// put to sleep and woken, over a real process table, so the host can check
// threadCheck() and the counts against a model after every step
// (host/threads-model.test.ts). No address spaces: futex keys are given
// directly, as the physical addresses futexKey would find.

export { kernelImageEnd } from "../src/lib/image";
import { framesFreeTotal } from "../src/mm/frames";
import {
  procAlloc, procFreeSlot, pState, pSetState, pTid, pPid, pProc, pSetWait, pSetWaitSeq, procTable,
  P_ZOMBIE, P_SLEEPING, W_FUTEX, NO_SLOT,
} from "../src/proc/proc";
import { schedMakeRunnable } from "../src/sched/sched";
import {
  threadCreate, threadExit, threadsEndOthers, threadsKill, threadCount, threadSlots, threadCheck, threadJoin,
  futexWakeKey,
} from "../src/proc/thread";

export { pState, pTid, pPid, pProc, threadCount, threadSlots, threadCheck, framesFreeTotal };

// The same machine as the scheduler's test entry: vCPU records, frames, process table, scheduler.
export { setup } from "./sched";

/** A new single-threaded process (as fork makes one), runnable; its slot or NO_SLOT. */
export function newProcess(): u32 {
  const s = procAlloc();
  if (s != NO_SLOT) schedMakeRunnable(s);
  return s;
}

/** thread_create from slot: the new thread's tid, or a THREAD_ERR_* below 0. */
export function create(slot: u32): i64 { return threadCreate(slot, 0x1000, 0x8000, 0); }

/** The slot of the thread with id tid, or NO_SLOT. */
export function slotOfTid(tid: i32): u32 {
  for (let s: u32 = 0; s < 64; s++) if (pState(s) != 0 && pTid(s) == tid) return s;
  return NO_SLOT;
}

/** thread_exit in slot: 1 when it was the last thread and the process ended. */
export function exitThread(slot: u32, status: i32): i32 {
  if (threadExit(slot, status)) { endProcess(slot, status); return 1; }
  return 0;
}

/** What procExit does to the process table (threads first; the leader a zombie its parent reaps). */
export function endProcess(slot: u32, status: i32): void {
  const leader = pProc(slot);
  threadsEndOthers(leader, leader);
  pSetState(leader, P_ZOMBIE);
}

/** The parent's wait: frees a zombie leader. */
export function reap(slot: u32): void { procFreeSlot(slot); }

/** exec from slot: the other threads end. */
export function exec(slot: u32): void { threadsEndOthers(slot, slot); }

/** kill: every thread marked; the first to run ends the process. */
export function kill(slot: u32): void { threadsKill(slot); }

/** thread_join from slot of the thread with id tid: 0, THREAD_BLOCK or a THREAD_ERR_*. */
export function join(slot: u32, tid: i32): i64 { return threadJoin(slot, tid, 0, 0); }

/** slot sleeps in futex_wait on key (a physical address). */
export function futexSleep(slot: u32, key: u32): void {
  pSetWaitSeq(slot, ++procTable().waitSeq);
  pSetWait(slot, W_FUTEX, key);
  pSetState(slot, P_SLEEPING);
}

/** futex_wake of up to n waiters on key; how many were woken. */
export function futexWake(key: u32, n: i32): i64 { return futexWakeKey(key, n); }
