// Processes: the process table and the typed accessors for a process
// record. A process is one address space, one capability (descriptor)
// table and one or more threads. Every thread is a slot of the table with
// its own hart context, scheduling and wait state; the process-wide fields
// (pid, parent, memory, capabilities, signals, name...) live in the record
// of the process's leader slot (P_LEADER; a single-threaded process is its
// own leader), and the accessors below read them through it, so a caller
// may pass any thread's slot (proc/thread.ts, docs/processes.md "Threads").
// Records live in a fixed table taken from the frame allocator at boot; the
// leader's index + 1 is also the address space's ASID, so the TLB never
// mixes two live processes and the threads of one process share theirs.
//
// Locking: one vCPU today; every field is touched only by the kernel between
// hart slices.
// Relies on: mm/frames (the table), machine/hart (context layout).

import { frameAlloc, frameZero, framesFreeTotal, KIND_PROCTABLE } from "../mm/frames";
import { KSTATE_PROC } from "../lib/layout";
import { printStr, printDec, printBytes } from "../lib/print";
import { hartInit, hartContextSize } from "../machine/hart";
import { MAX_CPUS } from "../lib/cpu";

export const MAX_PROCS: u32 = 64;
export const PROC_SIZE: usize = 4096;
const TABLE_ORDER: u32 = 6; // 64 records x 4 KiB = 64 frames
export const PROC_NAME_MAX: u32 = 15;
export const NOFILE: u32 = 16;
export const MAX_REGIONS: u32 = 16;
export const ERRSTR_MAX: u32 = 127;

// States.
export const P_UNUSED: u32 = 0;
export const P_RUNNABLE: u32 = 1;
export const P_RUNNING: u32 = 2;
export const P_SLEEPING: u32 = 3;
export const P_ZOMBIE: u32 = 4;
/** A thread that ended with thread_exit and waits to be joined (or for its
 *  process to end). Never a process state: a leader in it still carries its
 *  process for the other threads. */
export const P_THREAD_DONE: u32 = 5;

// What a sleeping process waits for (P_WAIT_KIND) — its wait channel.
export const W_NONE: u32 = 0;
export const W_CONSOLE: u32 = 1;    // a line on the console
export const W_PIPE_READ: u32 = 2;  // obj = pipe
export const W_PIPE_WRITE: u32 = 3; // obj = pipe
export const W_CHILD: u32 = 4;      // obj = own slot
export const W_SLEEP: u32 = 5;      // until P_SLEEP_UNTIL
export const W_EP_SEND: u32 = 6;    // obj = endpoint: a send waiting for a receiver
export const W_EP_RECV: u32 = 7;    // obj = endpoint: a receive waiting for a sender
export const W_EP_CALL: u32 = 8;    // obj = endpoint: a call waiting for a receiver
export const W_EP_REPLY: u32 = 9;   // obj = the server's slot: a call waiting for its reply
export const W_NTFN: u32 = 10;      // obj = notification
export const W_NIC: u32 = 11;       // obj = 0: a frame from the network card
export const W_FUTEX: u32 = 12;     // obj = physical address of the word (proc/thread.ts); P_SLEEP_UNTIL its deadline
export const W_JOIN: u32 = 13;      // obj = slot of the thread being joined

// Record layout.
const P_STATE: usize = 0;        // u32
const P_PID: usize = 4;          // i32
const P_PARENT: usize = 8;       // u32 slot of the parent (or NO_SLOT)
const P_EXIT: usize = 12;        // i32
const P_KILLED: usize = 16;      // u32
const P_NICE: usize = 20;        // i32
const P_VRUNTIME: usize = 24;    // u64
const P_CPU_NS: usize = 32;      // u64
const P_SWITCHES: usize = 40;    // u64
const P_WAIT_KIND: usize = 48;   // u32
const P_WAIT_OBJ: usize = 52;    // u32
const P_SLEEP_UNTIL: usize = 56; // u64 ns; nonzero while a sleep() is in progress
const P_LAZY: usize = 64;        // u32: sbrk maps lazily
const P_CWD: usize = 68;         // i32: held inode handle of the working directory (disk root only; 0 = none)
const P_PROGRESS: usize = 72;    // u64: bytes a restarted write already moved
const P_NAME: usize = 80;        // char[16]
const P_LEADER: usize = 96;      // u32: slot whose record holds the process-wide fields (itself for a leader)
const P_THREAD_STATUS: usize = 100; // i32: a P_THREAD_DONE thread's thread_exit status
const P_FUTEX_WOKEN: usize = 104;  // u32: a futex_wake ended this thread's futex_wait
const P_JOINED: usize = 108;       // u32: a leader thread that ended was joined already
// 112..151: free (the region tags lived here while there were 8 regions)
const P_USER_FRAMES: usize = 152; // u32: user frames it allocated that are still allocated (mm/vm.ts charges them)
const P_LAST_CPU: usize = 156;   // u32: the vCPU it last ran on (lib/cpu.ts)
const P_ERRSTR: usize = 192;     // char[128]
const P_CSPACE: usize = 160;     // u32: the capability space (cap/cap.ts); descriptors are its slots 0..15
const P_CAPMODE: usize = 164;    // u32: nonzero once in capability mode (irreversible, inherited)
const P_REPLY_PID: usize = 168;  // i32: the calling thread's tid this server owes a reply (0 = none)
const P_WAIT_SEQ: usize = 176;   // u64: when it started waiting (FIFO order on endpoints)
const P_SHM_NEXT: usize = 184;   // u64: where the next shared memory mapping goes (0 = SHM_BASE)
const P_REGIONS: usize = 320;    // MAX_REGIONS x 24 bytes (320..703)
const P_ROOT: usize = 720;       // u64 page-table root
const P_BRK: usize = 728;        // u64 program break
const P_HEAP_START: usize = 736; // u64 first heap byte (end of stack)
const P_IMAGE_TOP: usize = 744;  // u64 end of the loaded segments, page aligned
const P_POLICY: usize = 768;     // u32: scheduling class, sched/sched.ts POLICY_* (0 = fair)
const P_RTPRIO: usize = 772;     // u32: real-time priority 1..99 (0 outside the real-time classes)
const P_AFFINITY: usize = 776;   // u32: the vCPUs it may run on, one bit per CPU (lib/cpu.ts MAX_CPUS)
const P_REPLY_SLOT: usize = 780; // u32: the slot of the caller P_REPLY_PID names (valid while that pid is there)
const P_RUNSEQ: usize = 784;     // u64: when it joined its real-time queue (FIFO order within a priority)
// 792..959: free (the regions lived here while there were 8)
const P_SLICE_LEFT: usize = 960; // u64 instructions left in the current slice
const P_CTX: usize = 1024;       // hart context (656 bytes, to 1680)
const P_REGION_TAGS: usize = 1680; // MAX_REGIONS x u32: the capability node a shared mapping was made through (1680..1743)
/** The third KiB of the record is the signal and job-control state; its
 *  layout belongs to proc/signal.ts. */
const P_SIGNALS: usize = 2048;

export const REGION_SIZE: usize = 24;
/** The affinity a new process starts with: every vCPU. */
export const AFFINITY_ALL: u32 = (1 << MAX_CPUS) - 1;
export const NO_SLOT: u32 = 0xFFFF_FFFF;

@unmanaged class ProcTable {
  table: u32;     // physical address of the records
  nextPid: i32;
  spare: u32;     // was `current`: the slot each vCPU runs is in its record (lib/cpu.ts)
  initSlot: u32;
  minVruntime: u64;
  live: u32;
  initQuickDeaths: u32; // consecutive inits that died young
  initStartNs: u64;
  waitSeq: u64;         // counts waits, for FIFO order
  userFrameLimit: u32;  // most user frames one process may hold (docs/memory.md "Out of memory")
  reserveFrames: u32;   // free frames only init's user memory may take; below it the OOM killer acts
  oomKills: u32;        // processes the out-of-memory killer ended
}
// @ts-ignore: decorator
@inline export function procTable(): ProcTable { return changetype<ProcTable>(KSTATE_PROC); }

export const PROC_OK: i32 = 0;
export const PROC_ERR_NOMEM: i32 = -1;

export function procTableInit(): i32 {
  if (<usize>hartContextSize() > P_SIGNALS - P_CTX) return PROC_ERR_NOMEM; // the record layout must hold a context
  const t = procTable();
  const pa = frameAlloc(TABLE_ORDER, KIND_PROCTABLE);
  if (pa == 0) return PROC_ERR_NOMEM;
  frameZero(pa, TABLE_ORDER);
  t.table = <u32>pa;
  t.nextPid = 1;
  t.initSlot = NO_SLOT;
  t.minVruntime = 0;
  t.live = 0;
  procMemoryPolicyInit();
  return PROC_OK;
}

/** A process may hold at most half of the frames free when user land
 *  starts... */
const USER_LIMIT_DIVISOR: u32 = 2;
/** ...and user memory leaves 1/64 of them (at least RESERVE_MIN_FRAMES)
 *  to the kernel, init and the out-of-memory killer's victims' successors. */
const RESERVE_DIVISOR: u32 = 64;
export const RESERVE_MIN_FRAMES: u32 = 64;

/** Derives the per-process limit and the reserve from the RAM there is
 *  (docs/memory.md "Out of memory"). */
export function procMemoryPolicyInit(): void {
  const t = procTable();
  const free = framesFreeTotal();
  let reserve = free / RESERVE_DIVISOR;
  if (reserve < RESERVE_MIN_FRAMES) reserve = RESERVE_MIN_FRAMES;
  t.reserveFrames = reserve;
  t.userFrameLimit = free > reserve ? (free - reserve) / USER_LIMIT_DIVISOR : 0;
  t.oomKills = 0;
}

// @ts-ignore: decorator
@inline export function procAddr(slot: u32): usize { return <usize>procTable().table + <usize>slot * PROC_SIZE; }

/** Claims a free slot with a fresh pid; returns the slot or NO_SLOT. */
export function procAlloc(): u32 {
  const t = procTable();
  for (let slot: u32 = 0; slot < MAX_PROCS; slot++) {
    const p = procAddr(slot);
    if (load<u32>(p + P_STATE) != P_UNUSED) continue;
    memory.fill(p, 0, PROC_SIZE);
    store<i32>(p + P_PID, t.nextPid++); // the process id for a leader, the thread id for any thread
    store<u32>(p + P_LEADER, slot);
    store<u32>(p + P_PARENT, NO_SLOT);
    store<u64>(p + P_VRUNTIME, t.minVruntime);
    store<u32>(p + P_AFFINITY, AFFINITY_ALL);
    hartInit(p + P_CTX);
    store<u32>(p + P_STATE, P_SLEEPING); // not runnable until set up
    store<u32>(p + P_WAIT_KIND, W_NONE);
    t.live++;
    return slot;
  }
  return NO_SLOT;
}

export function procFreeSlot(slot: u32): void {
  const t = procTable();
  store<u32>(procAddr(slot) + P_STATE, P_UNUSED);
  t.live--;
}

/** Slot of a live (non-unused) process with this pid, or NO_SLOT: always
 *  the process's leader, never one of its other threads. */
export function procByPid(pid: i32): u32 {
  for (let slot: u32 = 0; slot < MAX_PROCS; slot++) {
    const p = procAddr(slot);
    if (load<u32>(p + P_STATE) != P_UNUSED && load<i32>(p + P_PID) == pid && load<u32>(p + P_LEADER) == slot) return slot;
  }
  return NO_SLOT;
}

/** Slot of the live thread with id tid (any thread, leaders included), or NO_SLOT. */
export function procByTid(tid: i32): u32 {
  for (let slot: u32 = 0; slot < MAX_PROCS; slot++) {
    const p = procAddr(slot);
    if (load<u32>(p + P_STATE) != P_UNUSED && load<i32>(p + P_PID) == tid) return slot;
  }
  return NO_SLOT;
}

/** The slot of s's process: its leader (s itself unless s is a secondary thread). */
// @ts-ignore: decorator
@inline export function pProc(s: u32): u32 { return load<u32>(procAddr(s) + P_LEADER); }
// @ts-ignore: decorator
@inline export function pSetProc(s: u32, leader: u32): void { store<u32>(procAddr(s) + P_LEADER, leader); }
/** True for a thread that is not its process's leader: loops over processes skip it. */
// @ts-ignore: decorator
@inline export function pIsThread(s: u32): bool { return load<u32>(procAddr(s) + P_LEADER) != s; }
/** The record holding s's process-wide fields. */
// @ts-ignore: decorator
@inline function procRec(s: u32): usize { return procAddr(load<u32>(procAddr(s) + P_LEADER)); }
/** The thread id of slot s (a leader's is its process id). */
// @ts-ignore: decorator
@inline export function pTid(s: u32): i32 { return load<i32>(procAddr(s) + P_PID); }
// @ts-ignore: decorator
@inline export function pThreadStatus(s: u32): i32 { return load<i32>(procAddr(s) + P_THREAD_STATUS); }
// @ts-ignore: decorator
@inline export function pSetThreadStatus(s: u32, v: i32): void { store<i32>(procAddr(s) + P_THREAD_STATUS, v); }
// @ts-ignore: decorator
@inline export function pFutexWoken(s: u32): bool { return load<u32>(procAddr(s) + P_FUTEX_WOKEN) != 0; }
// @ts-ignore: decorator
@inline export function pSetFutexWoken(s: u32, on: bool): void { store<u32>(procAddr(s) + P_FUTEX_WOKEN, on ? 1 : 0); }
// @ts-ignore: decorator
@inline export function pJoined(s: u32): bool { return load<u32>(procAddr(s) + P_JOINED) != 0; }
// @ts-ignore: decorator
@inline export function pSetJoined(s: u32): void { store<u32>(procAddr(s) + P_JOINED, 1); }

// Accessors, by slot.
// @ts-ignore: decorator
@inline export function pState(s: u32): u32 { return load<u32>(procAddr(s) + P_STATE); }
// @ts-ignore: decorator
@inline export function pSetState(s: u32, v: u32): void { store<u32>(procAddr(s) + P_STATE, v); }
// @ts-ignore: decorator
@inline export function pPid(s: u32): i32 { return load<i32>(procRec(s) + P_PID); }
// @ts-ignore: decorator
@inline export function pParent(s: u32): u32 { return load<u32>(procRec(s) + P_PARENT); }
// @ts-ignore: decorator
@inline export function pSetParent(s: u32, v: u32): void { store<u32>(procRec(s) + P_PARENT, v); }
// @ts-ignore: decorator
@inline export function pExit(s: u32): i32 { return load<i32>(procRec(s) + P_EXIT); }
// @ts-ignore: decorator
@inline export function pSetExit(s: u32, v: i32): void { store<i32>(procRec(s) + P_EXIT, v); }
// @ts-ignore: decorator
@inline export function pKilled(s: u32): bool { return load<u32>(procAddr(s) + P_KILLED) != 0; }
// @ts-ignore: decorator
@inline export function pSetKilled(s: u32): void { store<u32>(procAddr(s) + P_KILLED, 1); }
// @ts-ignore: decorator
@inline export function pNice(s: u32): i32 { return load<i32>(procRec(s) + P_NICE); }
// @ts-ignore: decorator
@inline export function pSetNice(s: u32, v: i32): void { store<i32>(procRec(s) + P_NICE, v); }
// @ts-ignore: decorator
@inline export function pPolicy(s: u32): u32 { return load<u32>(procAddr(s) + P_POLICY); }
// @ts-ignore: decorator
@inline export function pSetPolicy(s: u32, v: u32): void { store<u32>(procAddr(s) + P_POLICY, v); }
// @ts-ignore: decorator
@inline export function pRtPrio(s: u32): u32 { return load<u32>(procAddr(s) + P_RTPRIO); }
// @ts-ignore: decorator
@inline export function pSetRtPrio(s: u32, v: u32): void { store<u32>(procAddr(s) + P_RTPRIO, v); }
// @ts-ignore: decorator
@inline export function pAffinity(s: u32): u32 { return load<u32>(procAddr(s) + P_AFFINITY); }
// @ts-ignore: decorator
@inline export function pSetAffinity(s: u32, v: u32): void { store<u32>(procAddr(s) + P_AFFINITY, v); }
// @ts-ignore: decorator
@inline export function pRunSeq(s: u32): u64 { return load<u64>(procAddr(s) + P_RUNSEQ); }
// @ts-ignore: decorator
@inline export function pSetRunSeq(s: u32, v: u64): void { store<u64>(procAddr(s) + P_RUNSEQ, v); }
// @ts-ignore: decorator
@inline export function pVruntime(s: u32): u64 { return load<u64>(procAddr(s) + P_VRUNTIME); }
// @ts-ignore: decorator
@inline export function pSetVruntime(s: u32, v: u64): void { store<u64>(procAddr(s) + P_VRUNTIME, v); }
// @ts-ignore: decorator
@inline export function pCpuNs(s: u32): u64 { return load<u64>(procAddr(s) + P_CPU_NS); }
// @ts-ignore: decorator
@inline export function pAddCpuNs(s: u32, v: u64): void { store<u64>(procAddr(s) + P_CPU_NS, load<u64>(procAddr(s) + P_CPU_NS) + v); }
// @ts-ignore: decorator
@inline export function pSwitches(s: u32): u64 { return load<u64>(procAddr(s) + P_SWITCHES); }
// @ts-ignore: decorator
@inline export function pLastCpu(s: u32): u32 { return load<u32>(procAddr(s) + P_LAST_CPU); }
// @ts-ignore: decorator
@inline export function pSetLastCpu(s: u32, cpu: u32): void { store<u32>(procAddr(s) + P_LAST_CPU, cpu); }
// @ts-ignore: decorator
@inline export function pCountSwitch(s: u32): void { store<u64>(procAddr(s) + P_SWITCHES, load<u64>(procAddr(s) + P_SWITCHES) + 1); }
// @ts-ignore: decorator
@inline export function pWaitKind(s: u32): u32 { return load<u32>(procAddr(s) + P_WAIT_KIND); }
// @ts-ignore: decorator
@inline export function pWaitObj(s: u32): u32 { return load<u32>(procAddr(s) + P_WAIT_OBJ); }
// @ts-ignore: decorator
@inline export function pSetWait(s: u32, kind: u32, obj: u32): void { store<u32>(procAddr(s) + P_WAIT_KIND, kind); store<u32>(procAddr(s) + P_WAIT_OBJ, obj); }
// @ts-ignore: decorator
@inline export function pSleepUntil(s: u32): u64 { return load<u64>(procAddr(s) + P_SLEEP_UNTIL); }
// @ts-ignore: decorator
@inline export function pSetSleepUntil(s: u32, v: u64): void { store<u64>(procAddr(s) + P_SLEEP_UNTIL, v); }
// @ts-ignore: decorator
@inline export function pLazy(s: u32): bool { return load<u32>(procRec(s) + P_LAZY) != 0; }
// @ts-ignore: decorator
@inline export function pSetLazy(s: u32, on: bool): void { store<u32>(procRec(s) + P_LAZY, on ? 1 : 0); }
// @ts-ignore: decorator
@inline export function pUserFrames(s: u32): u32 { return load<u32>(procRec(s) + P_USER_FRAMES); }
// @ts-ignore: decorator
@inline export function pSetUserFrames(s: u32, n: u32): void { store<u32>(procRec(s) + P_USER_FRAMES, n); }
// @ts-ignore: decorator
@inline export function pCwd(s: u32): i32 { return load<i32>(procRec(s) + P_CWD); }
// @ts-ignore: decorator
@inline export function pSetCwd(s: u32, ip: i32): void { store<i32>(procRec(s) + P_CWD, ip); }
// @ts-ignore: decorator
@inline export function pProgress(s: u32): u64 { return load<u64>(procAddr(s) + P_PROGRESS); }
// @ts-ignore: decorator
@inline export function pSetProgress(s: u32, v: u64): void { store<u64>(procAddr(s) + P_PROGRESS, v); }
// @ts-ignore: decorator
@inline export function pName(s: u32): usize { return procRec(s) + P_NAME; }
// @ts-ignore: decorator
@inline export function pErrstr(s: u32): usize { return procAddr(s) + P_ERRSTR; }
// @ts-ignore: decorator
@inline export function pCtx(s: u32): usize { return procAddr(s) + P_CTX; }
// @ts-ignore: decorator
@inline export function pRoot(s: u32): usize { return <usize>load<u64>(procRec(s) + P_ROOT); }
// @ts-ignore: decorator
@inline export function pSetRoot(s: u32, v: usize): void { store<u64>(procRec(s) + P_ROOT, <u64>v); }
// @ts-ignore: decorator
@inline export function pBrk(s: u32): u64 { return load<u64>(procRec(s) + P_BRK); }
// @ts-ignore: decorator
@inline export function pSetBrk(s: u32, v: u64): void { store<u64>(procRec(s) + P_BRK, v); }
// @ts-ignore: decorator
@inline export function pHeapStart(s: u32): u64 { return load<u64>(procRec(s) + P_HEAP_START); }
// @ts-ignore: decorator
@inline export function pSetHeapStart(s: u32, v: u64): void { store<u64>(procRec(s) + P_HEAP_START, v); }
// @ts-ignore: decorator
@inline export function pImageTop(s: u32): u64 { return load<u64>(procRec(s) + P_IMAGE_TOP); }
// @ts-ignore: decorator
@inline export function pSetImageTop(s: u32, v: u64): void { store<u64>(procRec(s) + P_IMAGE_TOP, v); }
// @ts-ignore: decorator
@inline export function pRegion(s: u32, i: u32): usize { return procRec(s) + P_REGIONS + <usize>i * REGION_SIZE; }
/** The tag of region i: for a shared mapping, the capability node it was
 *  made through (ipc/shm.ts); 0 otherwise. */
// @ts-ignore: decorator
@inline export function pRegionTag(s: u32, i: u32): usize { return <usize>load<u32>(procRec(s) + P_REGION_TAGS + <usize>i * 4); }
// @ts-ignore: decorator
@inline export function pSetRegionTag(s: u32, i: u32, tag: usize): void { store<u32>(procRec(s) + P_REGION_TAGS + <usize>i * 4, <u32>tag); }
// @ts-ignore: decorator
@inline export function pSliceLeft(s: u32): u64 { return load<u64>(procAddr(s) + P_SLICE_LEFT); }
// @ts-ignore: decorator
@inline export function pSetSliceLeft(s: u32, v: u64): void { store<u64>(procAddr(s) + P_SLICE_LEFT, v); }
// @ts-ignore: decorator
@inline export function pCspace(s: u32): usize { return <usize>load<u32>(procRec(s) + P_CSPACE); }
// @ts-ignore: decorator
@inline export function pSetCspace(s: u32, cs: usize): void { store<u32>(procRec(s) + P_CSPACE, <u32>cs); }
// @ts-ignore: decorator
@inline export function pReplyPid(s: u32): i32 { return load<i32>(procAddr(s) + P_REPLY_PID); }
// @ts-ignore: decorator
@inline export function pSetReplyPid(s: u32, pid: i32): void { store<i32>(procAddr(s) + P_REPLY_PID, pid); }
/** The caller this server now owes a reply (sched/sched.ts follows it for priority inheritance). */
// @ts-ignore: decorator
@inline export function pSetReplyCaller(s: u32, caller: u32): void { pSetReplyPid(s, pTid(caller)); store<u32>(procAddr(s) + P_REPLY_SLOT, caller); }
// @ts-ignore: decorator
@inline export function pReplySlot(s: u32): u32 { return load<u32>(procAddr(s) + P_REPLY_SLOT); }
// @ts-ignore: decorator
@inline export function pWaitSeq(s: u32): u64 { return load<u64>(procAddr(s) + P_WAIT_SEQ); }
// @ts-ignore: decorator
@inline export function pSetWaitSeq(s: u32, v: u64): void { store<u64>(procAddr(s) + P_WAIT_SEQ, v); }
// @ts-ignore: decorator
@inline export function pShmNext(s: u32): u64 { return load<u64>(procRec(s) + P_SHM_NEXT); }
// @ts-ignore: decorator
@inline export function pSetShmNext(s: u32, v: u64): void { store<u64>(procRec(s) + P_SHM_NEXT, v); }
// @ts-ignore: decorator
@inline export function pCapMode(s: u32): bool { return load<u32>(procRec(s) + P_CAPMODE) != 0; }
// @ts-ignore: decorator
@inline export function pSetCapMode(s: u32): void { store<u32>(procRec(s) + P_CAPMODE, 1); }
/** Where slot's signal state starts (proc/signal.ts owns the layout). */
// @ts-ignore: decorator
@inline export function pSignals(s: u32): usize { return procRec(s) + P_SIGNALS; }
/** ASID of the slot's address space, shared by the threads of a process (never 0, which the bare runner uses). */
// @ts-ignore: decorator
@inline export function pAsid(s: u32): u32 { return load<u32>(procAddr(s) + P_LEADER) + 1; }

/** Sets the process name from `len` bytes at `src` (cut to PROC_NAME_MAX). */
export function pSetName(s: u32, src: usize, len: u32): void {
  const n = len < PROC_NAME_MAX ? len : PROC_NAME_MAX;
  memory.fill(pName(s), 0, PROC_NAME_MAX + 1);
  memory.copy(pName(s), src, n);
}
export function pNameLength(s: u32): u32 {
  let n: u32 = 0;
  while (n < PROC_NAME_MAX && load<u8>(pName(s) + n) != 0) n++;
  return n;
}

/** Prints "pid N (name)", how kernel messages name a process. */
export function printProcess(s: u32): void {
  printStr("pid ");
  printDec(<u64>pPid(s));
  printStr(" (");
  printBytes(pName(s), <usize>pNameLength(s));
  printStr(")");
}
