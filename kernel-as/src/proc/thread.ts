// Threads and futexes (system calls 130-135, docs/abi.md "Threads").
// A thread is a slot of the process table whose P_LEADER names its
// process's leader slot: it has its own hart context, scheduling, wait and
// error state, and shares everything else (address space and ASID,
// capability space, descriptors, signals, pid) through the leader's record
// (proc/proc.ts). The leader's record carries the process for as long as any
// thread lives, even after the leader's own thread has ended
// (P_THREAD_DONE).
//
// A thread that ends with thread_exit keeps its slot (P_THREAD_DONE, its
// status kept) until a thread_join takes it; whatever is not joined is freed
// when the process ends. exit(), a fatal signal or a kill ends every thread
// (procExit calls threadsEndOthers); exec ends all but the caller.
//
// Futexes are keyed by the physical address of the 32-bit word, found
// through the caller's page tables after faulting the page in for writing
// (so a copy-on-write page is already the process's own): the threads of a
// process agree, and so do processes sharing memory (ipc/shm.ts). A waiter
// sleeps on (W_FUTEX, physical address), with its deadline, if any, in
// P_SLEEP_UNTIL (sched.ts wakes timed W_FUTEX sleepers as it wakes sleep()).
//
// Locking: one vCPU; touched only between hart slices. With several vCPUs a
// thread of the process may be running elsewhere while another ends it: see
// docs/architecture.md "Threads on several vCPUs".
// Relies on: proc/proc, sched/sched, mm/vm, mm/pagetable, ipc/endpoint.

import {
  MAX_PROCS, NO_SLOT, P_UNUSED, P_ZOMBIE, P_SLEEPING, P_THREAD_DONE, W_FUTEX, W_JOIN, procAlloc, procFreeSlot,
  pState, pSetState, pProc, pSetProc, pTid, pCtx, pRoot, pAsid, pVruntime, pSetVruntime, pSetThreadStatus,
  pThreadStatus, pFutexWoken, pSetFutexWoken, pJoined, pSetJoined, pSleepUntil, pSetSleepUntil, pWaitKind, pWaitObj,
  pWaitSeq, pSetWaitSeq, pSetKilled, procTable, pCpuNs, pSwitches, P_RUNNING, P_RUNNABLE,
} from "./proc";
import { schedMakeRunnable, schedSleep, wakeup, schedFork } from "../sched/sched";
import { traceEvent, TRACE_EXIT } from "../sched/trace";
import { hartSetReg, hartGetReg, hartSetPc, hartSetSatp, hartCopyFpState } from "../machine/hart";
import { makeSatp, PTE_V, PTE_U, PTE_W } from "../machine/sv48";
import { vmFault, copyout, ACCESS_WRITE, VM_OK, USER_VA_LIMIT, PAGE } from "../mm/vm";
import { ptLeafFlags, ptTranslate } from "../mm/pagetable";
import { ipcProcessGone } from "../ipc/endpoint";
import { timeNowNs } from "../arch/timer";
import { debugThreadNew, debugThreadGone } from "./debug";

/** Most threads one process may have at once (its leader's included): the
 *  process table is shared by every process and thread of the machine. */
export const MAX_THREADS: u32 = 16;

// Results of the thread and futex calls below 0 that are not plain failures.
export const THREAD_ERR_LIMIT: i64 = -2;    // too many threads, or no free slot
export const THREAD_ERR_NO_SUCH: i64 = -3;  // no such thread in this process (or already joined)
export const THREAD_ERR_SELF: i64 = -4;     // a thread cannot join itself
export const THREAD_ERR_FAULT: i64 = -5;    // a bad user pointer (EFAULT)
export const THREAD_BLOCK: i64 = -6;        // the caller sleeps; its ecall runs again when woken
export const THREAD_ERR_ARG: i64 = -7;      // an invalid argument (misaligned futex word, bad entry)

// futex_wait's results (docs/abi.md).
export const FUTEX_WOKEN: i64 = 0;    // a futex_wake woke it (or a spurious wake-up: check the word)
export const FUTEX_AGAIN: i64 = 1;    // the word did not hold `expected` (EAGAIN)
export const FUTEX_TIMEDOUT: i64 = 2; // the timeout passed first (ETIMEDOUT)

/** Threads of process `leader` that have not ended (thread_exit), its
 *  leader's own thread included while it runs. */
export function threadCount(leader: u32): u32 {
  let n: u32 = 0;
  for (let s: u32 = 0; s < MAX_PROCS; s++) {
    const st = pState(s);
    if (st == P_UNUSED || st == P_THREAD_DONE || st == P_ZOMBIE || pProc(s) != leader) continue;
    n++;
  }
  return n;
}

/** Slots of process `leader`'s threads, allocated or ended-unjoined, leader included. */
export function threadSlots(leader: u32): u32 {
  let n: u32 = 0;
  for (let s: u32 = 0; s < MAX_PROCS; s++) if (pState(s) != P_UNUSED && pProc(s) == leader) n++;
  return n;
}

/** thread_create: a new thread of slot's process starting at `entry` with
 *  sp = stack, a0 = arg and the caller's gp and tp. Returns its tid or a
 *  THREAD_ERR_*. */
export function threadCreate(slot: u32, entry: u64, stack: u64, arg: u64): i64 {
  const leader = pProc(slot);
  if (entry >= USER_VA_LIMIT || stack > USER_VA_LIMIT || (stack & 15) != 0) return THREAD_ERR_ARG;
  if (threadSlots(leader) >= MAX_THREADS) return THREAD_ERR_LIMIT;
  const t = procAlloc();
  if (t == NO_SLOT) return THREAD_ERR_LIMIT;
  pSetProc(t, leader);
  pSetVruntime(t, pVruntime(slot));
  schedFork(slot, t); // the creator's scheduling class, priority and CPU mask, as on Linux
  const from = pCtx(slot), to = pCtx(t);
  hartCopyFpState(from, to);
  hartSetReg(to, 3, hartGetReg(from, 3)); // gp
  hartSetReg(to, 4, hartGetReg(from, 4)); // tp
  hartSetReg(to, 2, stack);
  hartSetReg(to, 10, arg);
  hartSetPc(to, entry);
  hartSetSatp(to, makeSatp(pAsid(leader), <u64>pRoot(leader)));
  debugThreadNew(t); // a debugged process's new thread stops at its breakpoints too
  schedMakeRunnable(t);
  return <i64>pTid(t);
}

/** Frees thread slot t of a process that goes on (or is ending): whoever
 *  waits for its IPC reply hears -1, and the scheduler trace closes its lane. */
function threadFree(t: u32, status: i32): void {
  ipcProcessGone(t);
  if (pState(t) != P_THREAD_DONE) traceEvent(TRACE_EXIT, t, 0, status, timeNowNs());
  debugThreadGone(t);
  procFreeSlot(t);
}

/** Ends every thread of slot's process except `keep` (a slot of it, or
 *  NO_SLOT): exit and fatal signals keep the leader (which carries the
 *  process to its end), exec keeps its caller. A leader that is not kept
 *  only stops being a thread: its record is the process. */
export function threadsEndOthers(slot: u32, keep: u32): void {
  const leader = pProc(slot);
  for (let s: u32 = 0; s < MAX_PROCS; s++) {
    if (s == keep || pState(s) == P_UNUSED || pProc(s) != leader) continue;
    if (s == leader) {
      if (pState(s) != P_THREAD_DONE) {
        ipcProcessGone(s);
        traceEvent(TRACE_EXIT, s, 0, 0, timeNowNs());
        pSetState(s, P_THREAD_DONE);
      }
      pSetJoined(s); // nobody joins a leader whose process went on without it
      continue;
    }
    threadFree(s, -1);
  }
}

/** thread_exit: ends slot's thread with `status`. Returns true when it was
 *  the process's last thread; the caller then ends the process (exit with
 *  `status`). Otherwise the thread is P_THREAD_DONE until joined. */
export function threadExit(slot: u32, status: i32): bool {
  pSetFutexWoken(slot, false); // a wake-up it never took (a signal handler ended the thread)
  if (threadCount(pProc(slot)) <= 1) return true;
  pSetThreadStatus(slot, status);
  ipcProcessGone(slot);
  traceEvent(TRACE_EXIT, slot, 0, status, timeNowNs());
  pSetState(slot, P_THREAD_DONE);
  wakeup(W_JOIN, slot);
  return false;
}

/** The slot of the thread with id tid in slot's process, or NO_SLOT. */
function threadByTid(slot: u32, tid: i32): u32 {
  const leader = pProc(slot);
  for (let s: u32 = 0; s < MAX_PROCS; s++) {
    if (pState(s) != P_UNUSED && pProc(s) == leader && pTid(s) == tid) return s;
  }
  return NO_SLOT;
}

/** thread_join: waits for thread tid of the caller's process to end, stores
 *  its status at statusVa (unless 0) and frees it. 0, THREAD_BLOCK or a
 *  THREAD_ERR_*. A bad status pointer leaves the thread joinable. */
export function threadJoin(slot: u32, tid: i32, statusVa: u64, scratch: usize): i64 {
  const t = threadByTid(slot, tid);
  if (t == NO_SLOT || (pState(t) == P_THREAD_DONE && pJoined(t))) return THREAD_ERR_NO_SUCH;
  if (t == slot) return THREAD_ERR_SELF;
  if (pState(t) != P_THREAD_DONE) {
    schedSleep(slot, W_JOIN, t);
    return THREAD_BLOCK;
  }
  if (statusVa != 0) {
    store<i32>(scratch, pThreadStatus(t));
    if (copyout(slot, statusVa, scratch, 4) != VM_OK) return THREAD_ERR_FAULT;
  }
  if (t == pProc(t)) pSetJoined(t); // the leader's record is the process: it stays
  else { debugThreadGone(t); procFreeSlot(t); }
  return 0;
}

/** The physical address of the aligned 32-bit word at va in slot's address
 *  space, faulting its page in writable; 0 when it is not writable user memory. */
function futexKey(slot: u32, va: u64): usize {
  if (va >= USER_VA_LIMIT - 4) return 0;
  const root = pRoot(slot);
  const page = va & ~(PAGE - 1);
  let f = <u64>ptLeafFlags(root, page);
  if ((f & PTE_V) == 0 || (f & PTE_U) == 0 || (f & PTE_W) == 0) {
    if (vmFault(slot, page, ACCESS_WRITE) != VM_OK) return 0;
    f = <u64>ptLeafFlags(root, page);
    if ((f & PTE_U) == 0 || (f & PTE_W) == 0) return 0;
  }
  const pa = ptTranslate(root, va);
  return <usize>pa;
}

/** futex_wait: sleeps while the word at va holds `expected`, until a
 *  futex_wake on it or `timeoutNs` (0: no timeout). Runs again after every
 *  wake-up (the ecall restarts): a futex_wake's flag or the deadline decide. */
export function futexWait(slot: u32, va: u64, expected: u32, timeoutNs: u64): i64 {
  if ((va & 3) != 0) return THREAD_ERR_ARG;
  if (pFutexWoken(slot)) { pSetFutexWoken(slot, false); pSetSleepUntil(slot, 0); return FUTEX_WOKEN; }
  const key = futexKey(slot, va);
  if (key == 0) { pSetSleepUntil(slot, 0); return THREAD_ERR_FAULT; }
  const now = timeNowNs();
  let until = pSleepUntil(slot);
  if (until != 0 && now >= until) { pSetSleepUntil(slot, 0); return FUTEX_TIMEDOUT; }
  if (load<u32>(key) != expected) { pSetSleepUntil(slot, 0); return FUTEX_AGAIN; }
  if (until == 0 && timeoutNs != 0) {
    until = timeoutNs > 0xFFFF_FFFF_FFFF_FFFF - now ? 0xFFFF_FFFF_FFFF_FFFE : now + timeoutNs;
    pSetSleepUntil(slot, until);
  }
  const t = procTable();
  pSetWaitSeq(slot, ++t.waitSeq);
  schedSleep(slot, W_FUTEX, <u32>key);
  return THREAD_BLOCK;
}

/** futex_wake: wakes up to n waiters on the word at va, longest waiting
 *  first; returns how many, or THREAD_ERR_*. */
export function futexWake(slot: u32, va: u64, n: i32): i64 {
  if ((va & 3) != 0) return THREAD_ERR_ARG;
  const key = futexKey(slot, va);
  if (key == 0) return THREAD_ERR_FAULT;
  return futexWakeKey(<u32>key, n);
}

/** Wakes up to n waiters on the futex with physical address key, oldest first. */
export function futexWakeKey(key: u32, n: i32): i64 {
  let woken: i64 = 0;
  while (woken < <i64>n) {
    let best = NO_SLOT;
    let bestSeq: u64 = 0;
    for (let s: u32 = 0; s < MAX_PROCS; s++) {
      if (pState(s) != P_SLEEPING || pWaitKind(s) != W_FUTEX || pWaitObj(s) != key) continue;
      if (best == NO_SLOT || pWaitSeq(s) < bestSeq) { best = s; bestSeq = pWaitSeq(s); }
    }
    if (best == NO_SLOT) break;
    pSetFutexWoken(best, true);
    schedMakeRunnable(best);
    woken++;
  }
  return woken;
}

/** Marks every thread of slot's process killed and wakes its sleepers, so
 *  each dies at its next kernel crossing (and the first ends the process). */
export function threadsKill(slot: u32): void {
  const leader = pProc(slot);
  for (let s: u32 = 0; s < MAX_PROCS; s++) {
    const st = pState(s);
    if (st == P_UNUSED || st == P_THREAD_DONE || st == P_ZOMBIE || pProc(s) != leader) continue;
    pSetKilled(s);
    if (st == P_SLEEPING) schedMakeRunnable(s);
  }
}

/** True when some thread of slot's process is runnable or running: it
 *  takes a newly pending signal at its next crossing, so no sleeper need be
 *  woken for it. */
export function threadAwake(slot: u32): bool {
  const leader = pProc(slot);
  for (let s: u32 = 0; s < MAX_PROCS; s++) {
    const st = pState(s);
    if (st == P_UNUSED || st == P_THREAD_DONE || st == P_ZOMBIE || st == P_SLEEPING || pProc(s) != leader) continue;
    return true;
  }
  return false;
}

/** CPU time of every thread of process `leader` (ended ones still unjoined included). */
export function threadCpuNs(leader: u32): u64 {
  let ns: u64 = 0;
  for (let s: u32 = 0; s < MAX_PROCS; s++) if (pState(s) != P_UNUSED && pProc(s) == leader) ns += pCpuNs(s);
  return ns;
}

/** Times the threads of process `leader` were scheduled. */
export function threadSwitches(leader: u32): u64 {
  let n: u64 = 0;
  for (let s: u32 = 0; s < MAX_PROCS; s++) if (pState(s) != P_UNUSED && pProc(s) == leader) n += pSwitches(s);
  return n;
}

/** The state a process listing shows for `leader`: P_RUNNING if one of its
 *  threads runs, else P_RUNNABLE if one may, else P_SLEEPING  (P_ZOMBIE
 *  once it ended). */
export function threadProcessState(leader: u32): u32 {
  if (pState(leader) == P_ZOMBIE) return P_ZOMBIE;
  let best: u32 = P_SLEEPING;
  for (let s: u32 = 0; s < MAX_PROCS; s++) {
    if (pProc(s) != leader) continue;
    const t = pState(s);
    if (t == P_RUNNING) return P_RUNNING;
    if (t == P_RUNNABLE) best = P_RUNNABLE;
  }
  return best;
}

/** The first sleeping thread of process `leader` (for its wait kind), or the leader. */
export function threadSleeping(leader: u32): u32 {
  if (pState(leader) == P_SLEEPING) return leader;
  for (let s: u32 = 0; s < MAX_PROCS; s++) if (pState(s) == P_SLEEPING && pProc(s) == leader) return s;
  return leader;
}

// threadCheck() results: the first invariant found broken (0: all hold).
export const THREAD_CHECK_OK: i32 = 0;
export const THREAD_CHECK_LEADER: i32 = 1;   // an allocated slot's leader is out of range, unused, or not its own leader
export const THREAD_CHECK_ZOMBIE: i32 = 2;   // a secondary thread is a zombie, or belongs to a zombie process
export const THREAD_CHECK_LIMIT: i32 = 3;    // a process holds more than MAX_THREADS slots
export const THREAD_CHECK_JOIN: i32 = 4;     // a join waits on a slot that is not a thread of its own process, or on itself
export const THREAD_CHECK_FUTEX: i32 = 5;    // a futex waiter with no key, or a woken flag left on an ended thread
export const THREAD_CHECK_DONE: i32 = 6;     // every thread of a live process ended, yet the process did not

/** Checks the thread structure of the process table (host/threads-model.test.ts runs it after every step). */
export function threadCheck(): i32 {
  for (let s: u32 = 0; s < MAX_PROCS; s++) {
    const st = pState(s);
    if (st == P_UNUSED) continue;
    const leader = pProc(s);
    if (leader >= MAX_PROCS || pState(leader) == P_UNUSED || pProc(leader) != leader) return THREAD_CHECK_LEADER;
    if (s != leader && (st == P_ZOMBIE || pState(leader) == P_ZOMBIE)) return THREAD_CHECK_ZOMBIE;
    if (s == leader) {
      if (threadSlots(s) > MAX_THREADS) return THREAD_CHECK_LIMIT;
      if (st != P_ZOMBIE && threadCount(s) == 0) return THREAD_CHECK_DONE;
    }
    if (st == P_SLEEPING && pWaitKind(s) == W_JOIN) {
      const t = pWaitObj(s);
      if (t >= MAX_PROCS || t == s || pState(t) == P_UNUSED || pProc(t) != leader) return THREAD_CHECK_JOIN;
    }
    if (st == P_SLEEPING && pWaitKind(s) == W_FUTEX && pWaitObj(s) == 0) return THREAD_CHECK_FUTEX;
    if (pFutexWoken(s) && st == P_THREAD_DONE) return THREAD_CHECK_FUTEX;
  }
  return THREAD_CHECK_OK;
}
