// Debugging one user process for the host's GDB server (host/gdb/,
// docs/debugging.md): attaching (to a pid, or to the next process that execs
// a name), holding it while it is stopped, resuming it (continue or one
// instruction), its breakpoints and watchpoints (kept by the hart:
// machine/debug.ts), its registers and memory (through its page tables:
// copyin/copyout), and the stop and exit events the host collects.
//
// Reverse execution (host/gdb/reverse.ts) needs two more things here: the
// process's *position*, instructions retired plus system calls completed
// since the session began (an ecall does not retire, but its completion
// changes the registers), and a stop at an exact position (debugRunTo),
// which replaying history from a snapshot uses to arrive at any earlier
// instant. Notes (machine/debug.ts) record the position of the last hit
// of the breakpoints gdb has now, while history replays.
//
// Holding: a stopped process keeps its state (runnable or asleep) but the
// scheduler never picks it (debugHeldSlot), so the rest of the machine runs
// on. It stops on its own in runProcess (proc/run.ts): at a breakpoint, a
// watchpoint, the end of a single step, a fault that would have killed it
// (reported as a signal first; resuming into the same fault kills it), or
// exec-attach; the host stops it with debugInterrupt.
//
// The exports below are called by the host between run() slices, when no
// process is on the hart; none of them can fail for anything a user program
// did. With no session, the cost elsewhere is one load in schedPick, in
// runProcess and per exec and exit.
// Relies on: machine/hart (debug tables, registers), mm/vm (copyin/copyout,
// the page table), proc/proc, proc/lifecycle (kill).

import { KSTATE_DEBUG } from "../lib/layout";
import {
  hartGetReg, hartSetReg, hartGetPc, hartSetPc, hartGetTval, tlbFlushAsid, hartGetFreg, hartSetFreg, hartGetFcsr,
  hartSetFcsr,
  hartBreakInsert, hartBreakRemove, hartWatchInsert, hartWatchRemove, hartWatchCount, hartWatchHitKind,
  hartDebugReset, hartDebugFlags, hartSetDebugFlags, DEBUG_BREAK, DEBUG_WATCH, DEBUG_SUPPRESS, HD_OK,
  hartGetInstret, hartNoteBreakInsert, hartNoteWatchInsert, hartNotesClear, hartNoteSeq, hartNoteKind, hartNoteAddr,
  hartNoteWatchKind, hartNoteInstret, hartWatchNoteOnly, NOTE_WATCH, WATCH_BY_KERNEL, hartKernelHitKind, hartKernelHitAddr,
  hartKernelHitClear,
} from "../machine/hart";
import {
  CAUSE_ILLEGAL_INSTRUCTION, CAUSE_BREAKPOINT, CAUSE_MISALIGNED_LOAD, CAUSE_MISALIGNED_STORE, TRAP_DEBUG_BREAK,
  TRAP_DEBUG_WATCH,
} from "../machine/trap";
import { PTE_V, PTE_X, PTE_U } from "../machine/sv48";
import { ptLeafFlags, ptTranslate, PT_NO_MAPPING } from "../mm/pagetable";
import { copyin, copyout, VM_OK, USER_VA_LIMIT } from "../mm/vm";
import { procKill } from "./lifecycle";
import { sigTermSig } from "./signal";
import {
  NO_SLOT, MAX_PROCS, P_UNUSED, P_ZOMBIE, P_THREAD_DONE, pState, pPid, pTid, pProc, pCtx, pRoot, pAsid, pName, pNameLength,
  procByPid, procByTid, pKilled, pWaitKind,
} from "./proc";

// The session record (KSTATE_DEBUG). Zero is "no session".
const DS_PID: usize = 0;          // i32 pid debugged, 0 = none
const DS_SLOT: usize = 4;         // u32 its leader's slot (the process's record; every thread's P_LEADER)
const DS_HELD: usize = 8;         // u32 leader slot + 1 while it is held (all its threads), 0 otherwise
const DS_MODE: usize = 12;        // u32 MODE_* while it runs
const DS_SUPPRESS: usize = 16;    // i32 tid whose next instruction runs past its own breakpoint or watchpoint, 0 none
const DS_EVENT: usize = 20;       // u32 EVENT_* not yet taken by the host
const DS_REASON: usize = 24;      // u32 STOP_* of the last stop
const DS_SIGNAL: usize = 28;      // u32 the signal gdb is told (SIG_*)
const DS_ADDR: usize = 32;        // u64 watchpoint address of the last stop
const DS_WATCH_KIND: usize = 40;  // u32 kind of that watchpoint (machine/debug.ts WATCH_*, | WATCH_BY_KERNEL: a system call's copyout)
const DS_EXIT_STATUS: usize = 44; // i32 exit status of the process that ended the session
const DS_EXIT_SIGNAL: usize = 48; // u32 the signal that ended it (0: it exited)
const DS_FAULTED: usize = 52;     // u32 1: the last stop was a fault; the same fault again kills it
const DS_FAULT_PC: usize = 56;    // u64 pc of that fault
const DS_EXEC_LEN: usize = 64;    // u32 length of the exec-attach name, 0 = not armed
const DS_EXEC_NAME: usize = 68;   // EXEC_NAME_MAX bytes
const EXEC_NAME_MAX: u32 = 16;
const DS_SYSCALLS: usize = 88;    // u64 system calls the debugged process completed in this session
const DS_RUNTO_COUNT: usize = 96; // u32 positions to stop at (debugRunTo), at most RUNTO_MAX
const DS_RUNTO: usize = 104;      // RUNTO_MAX x u64 those positions
const RUNTO_MAX: u32 = 8;
const DS_RUNTO_HITS: usize = 168; // u32 targets reached so far (the host compares)
const DS_NOTE_SEEN: usize = 176;  // u32 the hart's note sequence number last looked at
const DS_NOTES: usize = 180;      // u32 notes hit since debugNotesClear
const DS_NOTE_POS: usize = 184;   // u64 position of the last note hit
const DS_NOTE_KIND: usize = 192;  // u32 its NOTE_* kind
const DS_NOTE_WKIND: usize = 196; // u32 its watch kind
const DS_NOTE_ADDR: usize = 200;  // u64 its address (the breakpoint, or the watched byte)
const DS_THREAD: usize = 208;     // i32 tid of the selected thread (registers; the one a step steps)
const DS_STOP_TID: usize = 212;   // i32 tid of the thread the last stop is of
const DS_STEP_TID: usize = 216;   // i32 tid that single-steps (MODE_STEP)
const DS_ONLY: usize = 220;       // i32 tid: only that thread runs when resumed (gdb's vCont;s:TID), 0 all
const DS_GONE: usize = 224;       // u64 instructions retired by the process's threads freed in this session
const DS_FAULT_TID: usize = 232;  // i32 tid of the last fault stop
const DS_SUPPRESS_STOP: usize = 236; // i32 tid of the thread the stop is of, which runs past its breakpoint too (0 none)
/** The host's window for memory and names (DEBUG_IO_MAX bytes). */
const DS_IO: usize = KSTATE_DEBUG + 0x800;
export const DEBUG_IO_MAX: u32 = 0x800;

const MODE_CONTINUE: u32 = 0;
const MODE_STEP: u32 = 1;

export const EVENT_NONE: i32 = 0;
export const EVENT_STOP: i32 = 1;
export const EVENT_EXIT: i32 = 2;

export const STOP_ATTACH: u32 = 1;
export const STOP_BREAK: u32 = 2;
export const STOP_WATCH: u32 = 3;
export const STOP_STEP: u32 = 4;
export const STOP_INTERRUPT: u32 = 5;
export const STOP_FAULT: u32 = 6;
export const STOP_RUNTO: u32 = 7;
/** The debugged process ran exec: stopped at the new program's first instruction. */
export const STOP_EXEC: u32 = 8;

// Signal numbers as gdb's remote protocol names them.
const SIG_INT: u32 = 2;
const SIG_ILL: u32 = 4;
const SIG_TRAP: u32 = 5;
const SIG_BUS: u32 = 7;
const SIG_KILL: u32 = 9;
const SIG_SEGV: u32 = 11;

export const DBG_OK: i32 = 0;
export const DBG_ERR_NO_SESSION: i32 = -1;
export const DBG_ERR_BUSY: i32 = -2;
export const DBG_ERR_NO_PROCESS: i32 = -3;
export const DBG_ERR_FAULT: i32 = -4;
export const DBG_ERR_FULL: i32 = -5;
export const DBG_ERR_ARGS: i32 = -6;
export const DBG_ERR_RUNNING: i32 = -7;

const REG_PC: u32 = 32;
const REG_F0: u32 = 33;
const REG_FFLAGS: u32 = 66;
const REG_FRM: u32 = 67;
const REG_FCSR: u32 = 68;
const FFLAGS_MASK: u64 = 0x1F;
const FRM_SHIFT: u32 = 5;
const FRM_MASK: u64 = 7;

// @ts-ignore: decorator
@inline function field(off: usize): usize { return KSTATE_DEBUG + off; }
// @ts-ignore: decorator
@inline function sessionPid(): i32 { return load<i32>(field(DS_PID)); }
// @ts-ignore: decorator
@inline function sessionSlot(): u32 { return load<u32>(field(DS_SLOT)); }

/** Whether a process is debugged (schedPick asks debugHolds only then). */
// @ts-ignore: decorator
@inline export function debugActive(): bool { return sessionPid() != 0; }

/** Whether slot is a thread of the debugged process (runProcess). */
// @ts-ignore: decorator
@inline export function debugTarget(slot: u32): bool {
  return sessionPid() != 0 && pState(slot) != P_UNUSED && pProc(slot) == sessionSlot();
}

/** Whether the debugger keeps slot from running: its process is held, or
 *  only another of its threads may run (schedPick, runProcess). A killed
 *  thread is never kept (SIGKILL ends a stopped process, as under ptrace). */
export function debugHolds(slot: u32): bool {
  if (sessionPid() == 0 || pProc(slot) != sessionSlot() || pKilled(slot)) return false;
  if (held()) return true;
  const only = load<i32>(field(DS_ONLY));
  return only != 0 && pTid(slot) != only;
}

/** A thread of the process that can run: not ended (a leader whose own thread ended is the process's record only). */
function liveThread(s: u32): bool {
  const st = pState(s);
  return st != P_UNUSED && st != P_THREAD_DONE && st != P_ZOMBIE && pProc(s) == sessionSlot();
}

/** The slot of the process's live thread tid, or NO_SLOT. */
function threadSlot(tid: i32): u32 {
  if (tid <= 0) return NO_SLOT;
  const s = procByTid(tid);
  return s != NO_SLOT && liveThread(s) ? s : NO_SLOT;
}

/** The selected thread's slot: the one gdb chose, else the first live thread, else the leader. */
function currentSlot(): u32 {
  const s = threadSlot(load<i32>(field(DS_THREAD)));
  if (s != NO_SLOT) return s;
  for (let t: u32 = 0; t < MAX_PROCS; t++) if (liveThread(t)) return t;
  return sessionSlot();
}

/** Stops the process (all its threads): `slot`, a thread of it, is the one the stop is of. */
function stop(reason: u32, signal: u32, slot: u32): void {
  const leader = sessionSlot();
  store<u32>(field(DS_HELD), leader + 1);
  store<u32>(field(DS_ONLY), 0);
  store<u32>(field(DS_REASON), reason);
  store<u32>(field(DS_SIGNAL), signal);
  store<u32>(field(DS_EVENT), <u32>EVENT_STOP);
  store<u32>(field(DS_SUPPRESS), 0);
  store<u32>(field(DS_SUPPRESS_STOP), 0);
  if (reason != STOP_FAULT) store<u32>(field(DS_FAULTED), 0);
  const tid = pState(slot) != P_UNUSED ? pTid(slot) : 0;
  store<i32>(field(DS_STOP_TID), tid);
  store<i32>(field(DS_THREAD), tid); // gdb's selected thread after a stop is the one it is of
  for (let s: u32 = 0; s < MAX_PROCS; s++) {
    if (pState(s) == P_UNUSED || pProc(s) != leader) continue;
    const ctx = pCtx(s);
    hartSetDebugFlags(ctx, hartDebugFlags(ctx) & ~DEBUG_SUPPRESS);
  }
  // Stopped where a run-to wanted it (for whatever reason): that target is reached.
  if (pState(leader) != P_UNUSED) consumeRunTo(slot);
}

/** Removes the run-to targets at slot's position; true if there were any. */
function consumeRunTo(slot: u32): bool {
  let n = load<u32>(field(DS_RUNTO_COUNT));
  if (n == 0) return false;
  const pos = position(slot);
  let reached = false;
  for (let i: u32 = 0; i < n;) {
    const at = field(DS_RUNTO) + <usize>i * 8;
    if (load<u64>(at) != pos) { i++; continue; }
    n--;
    store<u64>(at, load<u64>(field(DS_RUNTO) + <usize>n * 8));
    reached = true;
  }
  store<u32>(field(DS_RUNTO_COUNT), n);
  if (reached) store<u32>(field(DS_RUNTO_HITS), load<u32>(field(DS_RUNTO_HITS)) + 1);
  return reached;
}

function held(): bool { return load<u32>(field(DS_HELD)) != 0; }

/** Every thread of the process gets the hart's debug flags (breakpoints, and watchpoints if any). */
function armFlags(_slot: u32): void {
  const leader = sessionSlot();
  const flags = DEBUG_BREAK | (hartWatchCount() != 0 ? DEBUG_WATCH : 0);
  for (let s: u32 = 0; s < MAX_PROCS; s++) {
    if (pState(s) != P_UNUSED && pProc(s) == leader) hartSetDebugFlags(pCtx(s), flags);
  }
}

/** slot (any thread of a process) is debugged from now on; it is the thread the first stop is of. */
function begin(slot: u32, reason: u32): void {
  hartDebugReset();
  store<u64>(field(DS_SYSCALLS), 0);
  store<u64>(field(DS_GONE), 0);
  store<u32>(field(DS_RUNTO_COUNT), 0);
  store<u32>(field(DS_NOTE_SEEN), hartNoteSeq());
  store<i32>(field(DS_PID), pPid(slot));
  store<u32>(field(DS_SLOT), pProc(slot));
  store<u32>(field(DS_MODE), MODE_CONTINUE);
  store<u32>(field(DS_FAULTED), 0);
  store<u32>(field(DS_EXEC_LEN), 0);
  store<i32>(field(DS_THREAD), pTid(slot));
  armFlags(slot);
  stop(reason, SIG_TRAP, currentSlot());
}

function end(): void {
  if (sessionPid() != 0) {
    const leader = sessionSlot();
    for (let s: u32 = 0; s < MAX_PROCS; s++) {
      if (pState(s) != P_UNUSED && pProc(s) == leader) hartSetDebugFlags(pCtx(s), 0);
    }
  }
  hartDebugReset();
  store<i32>(field(DS_PID), 0);
  store<u32>(field(DS_HELD), 0);
  store<u32>(field(DS_RUNTO_COUNT), 0);
  store<u32>(field(DS_SUPPRESS), 0);
  store<u32>(field(DS_ONLY), 0);
}

// ---- hooks from the rest of the kernel ---------------------------------------------

/** Instructions runProcess may give the debugged process in one hartRun:
 *  one while it single-steps or runs past the place it stopped at. */
export function debugRoom(slot: u32, room: u64): u64 {
  const tid = pTid(slot);
  if (suppressed(tid)) {
    const ctx = pCtx(slot);
    hartSetDebugFlags(ctx, hartDebugFlags(ctx) | DEBUG_SUPPRESS);
    return 1;
  }
  if (load<u32>(field(DS_MODE)) == MODE_STEP && load<i32>(field(DS_STEP_TID)) == tid) return 1;
  // debugAfterRun and debugAfterSyscall stop it on arrival, so it is short of every target here.
  const n = load<u32>(field(DS_RUNTO_COUNT));
  const pos = position(slot);
  for (let i: u32 = 0; i < n; i++) {
    const left = load<u64>(field(DS_RUNTO) + <usize>i * 8) - pos;
    if (left < room) room = left;
  }
  return room;
}

/** The process's position: instructions retired by all its threads (those
 *  freed in this session included) plus system calls they completed in it.
 *  Every instant of the process's history has its own, whichever thread ran. */
function position(_slot: u32 = 0): u64 {
  const leader = sessionSlot();
  let n = load<u64>(field(DS_GONE)) + load<u64>(field(DS_SYSCALLS));
  for (let s: u32 = 0; s < MAX_PROCS; s++) {
    if (pState(s) != P_UNUSED && pProc(s) == leader) n += hartGetInstret(pCtx(s));
  }
  return n;
}

/** Thread slot of the debugged process is about to be freed (joined, or ended with its process, or by exec). */
export function debugThreadGone(slot: u32): void {
  if (!debugTarget(slot) || slot == sessionSlot()) return;
  store<u64>(field(DS_GONE), load<u64>(field(DS_GONE)) + hartGetInstret(pCtx(slot)));
}

/** A thread of the debugged process was created: it gets the debug flags. */
export function debugThreadNew(slot: u32): void {
  if (debugTarget(slot)) armFlags(slot);
}

/** A run-to target reached: the process stops there (true). */
function runToReached(slot: u32): bool {
  const n = load<u32>(field(DS_RUNTO_COUNT));
  if (n == 0) return false;
  const pos = position(slot);
  for (let i: u32 = 0; i < n; i++) {
    if (load<u64>(field(DS_RUNTO) + <usize>i * 8) != pos) continue;
    stop(STOP_RUNTO, SIG_TRAP, slot); // which consumes it
    return true;
  }
  return false;
}

/** The hart noted a hit since we last looked: keep its position. */
function takeNote(slot: u32, cause: u32, retired: u64): void {
  const seq = hartNoteSeq();
  if (seq == load<u32>(field(DS_NOTE_SEEN))) return;
  store<u32>(field(DS_NOTE_SEEN), seq);
  const kind = hartNoteKind();
  // A breakpoint note has the instret of its block's start. A watchpoint's
  // instruction trapped, so it is the instret now, or it ran suppressed as
  // the only instruction of the run (it retired, or faulted and retires later).
  // slot's own count back to the note, from the process's position now.
  const now = hartGetInstret(pCtx(slot));
  const instret = kind != NOTE_WATCH ? hartNoteInstret() : cause == TRAP_DEBUG_WATCH ? now : now - retired;
  store<u64>(field(DS_NOTE_POS), position() - (now - instret));
  store<u32>(field(DS_NOTE_KIND), kind);
  store<u32>(field(DS_NOTE_WKIND), hartNoteWatchKind());
  store<u64>(field(DS_NOTE_ADDR), hartNoteAddr());
  store<u32>(field(DS_NOTES), load<u32>(field(DS_NOTES)) + 1);
}

/** One instruction retired (or one ecall completed): ends a single step. */
/** Whether thread tid's next instruction runs past its own breakpoint or watchpoint. */
function suppressed(tid: i32): bool {
  return load<i32>(field(DS_SUPPRESS)) == tid || load<i32>(field(DS_SUPPRESS_STOP)) == tid;
}

function instructionDone(slot: u32): bool {
  const tid = pTid(slot);
  if (suppressed(tid)) {
    if (load<i32>(field(DS_SUPPRESS)) == tid) store<u32>(field(DS_SUPPRESS), 0);
    if (load<i32>(field(DS_SUPPRESS_STOP)) == tid) store<u32>(field(DS_SUPPRESS_STOP), 0);
    const ctx = pCtx(slot);
    hartSetDebugFlags(ctx, hartDebugFlags(ctx) & ~DEBUG_SUPPRESS);
  }
  if (load<u32>(field(DS_MODE)) != MODE_STEP || load<i32>(field(DS_STEP_TID)) != tid) return false;
  stop(STOP_STEP, SIG_TRAP, slot);
  return true;
}

/** After a hartRun of the debugged process: true when it stopped (it is
 *  held; runProcess ends its turn). */
export const AFTER_RUN_ON: i32 = 0;      // handle the trap as usual
export const AFTER_RUN_STOPPED: i32 = 1; // it is held: its turn ends
export const AFTER_RUN_NOTED: i32 = 2;   // a note-only watchpoint hit: run on, past it

export function debugAfterRun(slot: u32, cause: u32, retired: u64): i32 {
  takeNote(slot, cause, retired);
  if (cause == TRAP_DEBUG_BREAK) { stop(STOP_BREAK, SIG_TRAP, slot); return AFTER_RUN_STOPPED; }
  if (cause == TRAP_DEBUG_WATCH) {
    if (hartWatchNoteOnly()) {
      // Not a real watchpoint: the access happens now, as it did in history.
      store<i32>(field(DS_SUPPRESS), pTid(slot));
      return AFTER_RUN_NOTED;
    }
    stop(STOP_WATCH, SIG_TRAP, slot);
    store<u64>(field(DS_ADDR), hartGetTval(pCtx(slot)));
    store<u32>(field(DS_WATCH_KIND), hartWatchHitKind());
    return AFTER_RUN_STOPPED;
  }
  if (retired > 0 && instructionDone(slot)) return AFTER_RUN_STOPPED;
  return runToReached(slot) ? AFTER_RUN_STOPPED : AFTER_RUN_ON;
}

/** After a completed system call of slot (not one that blocked or exited):
 *  true when it is now held (a finished single step, or exec-attach). */
export function debugAfterSyscall(slot: u32): bool {
  if (!debugTarget(slot)) return false;
  if (held()) return true;
  // A note the call's copyout hit is at the ecall's position (before the call completes).
  takeNote(slot, TRAP_DEBUG_WATCH, 0);
  store<u64>(field(DS_SYSCALLS), load<u64>(field(DS_SYSCALLS)) + 1);
  const kind = hartKernelHitKind();
  if (kind != 0) {
    // The kernel wrote watched bytes for it (a read() into a watched
    // buffer): it stops now, after the call. Even the ecall it was resumed
    // from (a step, or a sleeping read() continued) reports it: the stop
    // is after the write, so resuming never meets it again.
    hartKernelHitClear();
    instructionDone(slot); // ends a step, and the suppression, first
    stop(STOP_WATCH, SIG_TRAP, slot);
    store<u64>(field(DS_ADDR), hartKernelHitAddr());
    store<u32>(field(DS_WATCH_KIND), kind | WATCH_BY_KERNEL);
    return true;
  }
  return instructionDone(slot) || runToReached(slot);
}

/** A trap that would kill the debugged process: the first time, it stops
 *  with the signal instead (true); resumed into the same fault, it dies. */
export function debugFault(slot: u32, cause: u32): bool {
  if (!debugTarget(slot)) return false;
  const pc = hartGetPc(pCtx(slot));
  const tid = pTid(slot);
  if (load<u32>(field(DS_FAULTED)) != 0 && load<u64>(field(DS_FAULT_PC)) == pc && load<i32>(field(DS_FAULT_TID)) == tid) return false;
  store<u32>(field(DS_FAULTED), 1);
  store<u64>(field(DS_FAULT_PC), pc);
  store<i32>(field(DS_FAULT_TID), tid);
  const signal = cause == CAUSE_ILLEGAL_INSTRUCTION ? SIG_ILL : cause == CAUSE_BREAKPOINT ? SIG_TRAP
    : cause == CAUSE_MISALIGNED_LOAD || cause == CAUSE_MISALIGNED_STORE ? SIG_BUS : SIG_SEGV;
  stop(STOP_FAULT, signal, slot);
  return true;
}

/** exec succeeded in slot: the debugged process stops at the new
 *  program's first instruction (its breakpoints and watchpoints were the
 *  old program's, and go: the debugger sets them again from the new
 *  program's symbols); otherwise attach if the host asked for the next
 *  exec of this name. */
export function debugOnExec(slot: u32): void {
  if (debugTarget(slot)) {
    hartDebugReset();
    store<u32>(field(DS_NOTE_SEEN), hartNoteSeq());
    armFlags(slot);
    stop(STOP_EXEC, SIG_TRAP, slot);
    return;
  }
  const len = load<u32>(field(DS_EXEC_LEN));
  if (len == 0 || sessionPid() != 0) return;
  if (pNameLength(slot) != len || memory.compare(pName(slot), field(DS_EXEC_NAME), <usize>len) != 0) return;
  begin(slot, STOP_ATTACH);
}

/** slot is exiting with status: the session ends with an exit event. */
export function debugOnExit(slot: u32, status: i32): void {
  if (!debugTarget(slot)) return;
  store<i32>(field(DS_EXIT_STATUS), status);
  const signal = sigTermSig(slot);
  store<u32>(field(DS_EXIT_SIGNAL), signal != 0 ? signal : pKilled(slot) ? SIG_KILL : 0);
  store<u32>(field(DS_EVENT), <u32>EVENT_EXIT);
  end();
}

// ---- the host's interface (exported by main.ts) ---------------------------------------

/** Attaches to pid and stops it. */
export function debugAttach(pid: i32): i32 {
  if (sessionPid() != 0) return DBG_ERR_BUSY;
  const slot = procByPid(pid);
  if (slot == NO_SLOT || pState(slot) == P_ZOMBIE) return DBG_ERR_NO_PROCESS;
  begin(slot, STOP_ATTACH);
  store<u32>(field(DS_EVENT), <u32>EVENT_NONE); // the host knows: it asked
  return DBG_OK;
}

/** Attaches to the next process that execs the name the host wrote at
 *  debugIoBuffer() (len bytes); it stops at its first instruction. */
export function debugAttachExec(len: u32): i32 {
  if (sessionPid() != 0) return DBG_ERR_BUSY;
  if (len == 0 || len > EXEC_NAME_MAX) return DBG_ERR_ARGS;
  memory.copy(field(DS_EXEC_NAME), DS_IO, <usize>len);
  store<u32>(field(DS_EXEC_LEN), len);
  return DBG_OK;
}

/** The pid debugged, or 0. */
export function debugSession(): i32 { return sessionPid(); }

/** The event not yet taken (EVENT_*), which it clears. */
export function debugTakeEvent(): i32 {
  const e = <i32>load<u32>(field(DS_EVENT));
  store<u32>(field(DS_EVENT), <u32>EVENT_NONE);
  return e;
}

export function debugStopReason(): i32 { return <i32>load<u32>(field(DS_REASON)); }
export function debugStopSignal(): i32 { return <i32>load<u32>(field(DS_SIGNAL)); }
export function debugStopAddr(): u64 { return load<u64>(field(DS_ADDR)); }
export function debugWatchKind(): i32 { return <i32>load<u32>(field(DS_WATCH_KIND)); }
export function debugExitStatus(): i32 { return load<i32>(field(DS_EXIT_STATUS)); }
/** The signal that ended the debugged process (0: it called exit). */
export function debugExitSignal(): i32 { return <i32>load<u32>(field(DS_EXIT_SIGNAL)); }
export function debugIoBuffer(): u32 { return <u32>DS_IO; }

/** Whether the debugged process is stopped. */
export function debugStopped(): i32 { return sessionPid() != 0 && held() ? 1 : 0; }

/** Register i of the stopped process, numbered as gdb's RISC-V target
 *  description does: x0..x31, 32 = pc, 33..64 = f0..f31 (raw 64 bits),
 *  66 fflags, 67 frm, 68 fcsr. 0 for any other number. */
export function debugReg(i: u32): u64 {
  if (sessionPid() == 0) return 0;
  const ctx = pCtx(currentSlot());
  if (i < REG_PC) return hartGetReg(ctx, i);
  if (i == REG_PC) return hartGetPc(ctx);
  if (i >= REG_F0 && i < REG_F0 + 32) return hartGetFreg(ctx, i - REG_F0);
  const fcsr = <u64>hartGetFcsr(ctx);
  if (i == REG_FFLAGS) return fcsr & FFLAGS_MASK;
  if (i == REG_FRM) return (fcsr >> FRM_SHIFT) & FRM_MASK;
  if (i == REG_FCSR) return fcsr;
  return 0;
}

export function debugSetReg(i: u32, value: u64): i32 {
  if (sessionPid() == 0) return DBG_ERR_NO_SESSION;
  if (!held()) return DBG_ERR_RUNNING;
  const ctx = pCtx(currentSlot());
  const fcsr = hartGetFcsr(ctx);
  if (i < REG_PC) hartSetReg(ctx, i, value);
  else if (i == REG_PC) hartSetPc(ctx, value & ~<u64>1);
  else if (i >= REG_F0 && i < REG_F0 + 32) hartSetFreg(ctx, i - REG_F0, value);
  else if (i == REG_FFLAGS) hartSetFcsr(ctx, (fcsr & ~<u32>FFLAGS_MASK) | (<u32>value & <u32>FFLAGS_MASK));
  else if (i == REG_FRM) hartSetFcsr(ctx, (fcsr & ~(<u32>FRM_MASK << FRM_SHIFT)) | ((<u32>value & <u32>FRM_MASK) << FRM_SHIFT));
  else if (i == REG_FCSR) hartSetFcsr(ctx, <u32>value);
  else return DBG_ERR_ARGS;
  return DBG_OK;
}

/** Copies up to len bytes at va into the I/O buffer, page by page; returns
 *  how many could be read (0: none, the first page faults). */
export function debugRead(va: u64, len: u32): i32 {
  if (sessionPid() == 0) return DBG_ERR_NO_SESSION;
  if (len > DEBUG_IO_MAX) return DBG_ERR_ARGS;
  const slot = sessionSlot();
  // The debugger's own read is no watchpoint hit.
  const ctx = pCtx(slot);
  const flags = hartDebugFlags(ctx);
  hartSetDebugFlags(ctx, flags & ~DEBUG_WATCH);
  let done: u32 = 0;
  while (done < len) {
    const at = va + <u64>done;
    if (at < va) break; // wrapped around
    let n: u32 = 0x1000 - (<u32>at & 0xFFF);
    if (n > len - done) n = len - done;
    if (copyin(slot, DS_IO + <usize>done, at, <u64>n) != VM_OK) break;
    done += n;
  }
  hartSetDebugFlags(ctx, flags);
  return <i32>done;
}

/** Writes len bytes from the I/O buffer at va, through the process's page
 *  table with copy-on-write (decoded code there is dropped). Read-only
 *  pages, text among them, are refused: gdb's breakpoints never need them. */
export function debugWrite(va: u64, len: u32): i32 {
  if (sessionPid() == 0) return DBG_ERR_NO_SESSION;
  if (len > DEBUG_IO_MAX || va + <u64>len < va) return DBG_ERR_ARGS;
  // The debugger's own write is no watchpoint hit.
  const ctx = pCtx(sessionSlot());
  const flags = hartDebugFlags(ctx);
  hartSetDebugFlags(ctx, flags & ~DEBUG_WATCH);
  const r = copyout(sessionSlot(), va, DS_IO, <u64>len);
  hartSetDebugFlags(ctx, flags);
  return r == VM_OK ? DBG_OK : DBG_ERR_FAULT;
}

/** Inserts (on != 0) or removes a breakpoint at va, an executable user address. */
export function debugBreak(va: u64, on: i32): i32 {
  if (sessionPid() == 0) return DBG_ERR_NO_SESSION;
  if (on == 0) { hartBreakRemove(va); return DBG_OK; }
  if (va >= USER_VA_LIMIT || (va & 1) != 0) return DBG_ERR_ARGS;
  const root = pRoot(sessionSlot());
  const flags = <u64>ptLeafFlags(root, va);
  if ((flags & (PTE_V | PTE_X | PTE_U)) != (PTE_V | PTE_X | PTE_U)) return DBG_ERR_FAULT;
  const pa = ptTranslate(root, va);
  if (pa == PT_NO_MAPPING) return DBG_ERR_FAULT;
  return hartBreakInsert(va, <usize>pa) == HD_OK ? DBG_OK : DBG_ERR_FULL;
}

/** Inserts (on != 0) or removes a watchpoint over [va, va+len) of kind
 *  (machine/debug.ts WATCH_WRITE 1, WATCH_READ 2, WATCH_ACCESS 3). */
export function debugWatch(va: u64, len: u64, kind: i32, on: i32): i32 {
  if (sessionPid() == 0) return DBG_ERR_NO_SESSION;
  const slot = sessionSlot();
  if (on == 0) hartWatchRemove(va, len, <u32>kind);
  else {
    if (va >= USER_VA_LIMIT) return DBG_ERR_ARGS;
    const r = hartWatchInsert(va, len, <u32>kind);
    if (r != HD_OK) return r == -1 ? DBG_ERR_FULL : DBG_ERR_ARGS;
  }
  armFlags(slot);
  tlbFlushAsid(pAsid(slot)); // cached translations of newly watched pages must go
  return DBG_OK;
}

/** Resumes the stopped process, every thread: continue (step == 0) or
 *  the selected thread one instruction while the others run on. */
export function debugResume(step: i32): i32 {
  return debugResumeThread(step, 0, 0);
}

/** Resumes the stopped process: thread tid (0: the selected one) continues
 *  or steps one instruction (step != 0), past its own breakpoint or
 *  watchpoint; the other threads run on too unless alone != 0 (gdb's
 *  vCont;s:TID with no action for the rest). */
export function debugResumeThread(step: i32, tid: i32, alone: i32): i32 {
  if (sessionPid() == 0) return DBG_ERR_NO_SESSION;
  if (!held()) return DBG_ERR_RUNNING;
  const slot = tid == 0 ? currentSlot() : threadSlot(tid);
  if (slot == NO_SLOT) return DBG_ERR_NO_PROCESS;
  const t = pTid(slot);
  store<i32>(field(DS_THREAD), t);
  store<u32>(field(DS_MODE), step != 0 ? MODE_STEP : MODE_CONTINUE);
  store<i32>(field(DS_STEP_TID), t);
  store<i32>(field(DS_SUPPRESS), t);
  // The thread the stop is of, if it runs too, also goes past the breakpoint it stopped at.
  store<i32>(field(DS_SUPPRESS_STOP), alone != 0 ? 0 : load<i32>(field(DS_STOP_TID)));
  store<i32>(field(DS_ONLY), alone != 0 ? t : 0);
  store<u32>(field(DS_HELD), 0);
  return DBG_OK;
}

/** Stops the running process where it is (gdb's Ctrl-C). */
export function debugInterrupt(): i32 {
  if (sessionPid() == 0) return DBG_ERR_NO_SESSION;
  if (!held()) stop(STOP_INTERRUPT, SIG_INT, currentSlot());
  return DBG_OK;
}

// ---- threads: each live thread of the process is one of gdb's -----------------------

/** Tid of the index-th live thread of the debugged process (in slot order), 0 past the last. */
export function debugThreadAt(index: i32): i32 {
  if (sessionPid() == 0 || index < 0) return 0;
  let n: i32 = 0;
  for (let s: u32 = 0; s < MAX_PROCS; s++) {
    if (!liveThread(s)) continue;
    if (n++ == index) return pTid(s);
  }
  return 0;
}

/** The state of thread tid: its P_* state | its wait kind (W_*) << 8; -1 if it is no live thread of the process. */
export function debugThreadState(tid: i32): i32 {
  if (sessionPid() == 0) return -1;
  const s = threadSlot(tid);
  return s == NO_SLOT ? -1 : <i32>(pState(s) | (pWaitKind(s) << 8));
}

/** Selects thread tid for registers and for a resume's step (gdb's Hg, Hc). */
export function debugSelectThread(tid: i32): i32 {
  if (sessionPid() == 0) return DBG_ERR_NO_SESSION;
  if (threadSlot(tid) == NO_SLOT) return DBG_ERR_NO_PROCESS;
  store<i32>(field(DS_THREAD), tid);
  return DBG_OK;
}

/** The selected thread's tid (0: no session). */
export function debugThread(): i32 { return sessionPid() == 0 ? 0 : pTid(currentSlot()); }

/** The tid of the thread the last stop is of. */
export function debugStopThread(): i32 { return load<i32>(field(DS_STOP_TID)); }

/** Ends the session; the process runs on as if never debugged. */
export function debugDetach(): i32 {
  if (sessionPid() == 0) { store<u32>(field(DS_EXEC_LEN), 0); return DBG_ERR_NO_SESSION; }
  end();
  return DBG_OK;
}

// ---- reverse execution (host/gdb/reverse.ts) ----------------------------------------

/** The debugged process's position: instructions retired plus system calls completed. */
export function debugPosition(): u64 {
  return sessionPid() == 0 ? 0 : position(sessionSlot());
}

/** Stops the debugged process when its position reaches pos (later than
 *  now), wherever it runs from; up to RUNTO_MAX such positions at a time,
 *  each stops it once. */
export function debugRunTo(pos: u64): i32 {
  if (sessionPid() == 0) return DBG_ERR_NO_SESSION;
  if (pos <= position(sessionSlot())) return DBG_ERR_ARGS;
  const n = load<u32>(field(DS_RUNTO_COUNT));
  if (n >= RUNTO_MAX) return DBG_ERR_FULL;
  store<u64>(field(DS_RUNTO) + <usize>n * 8, pos);
  store<u32>(field(DS_RUNTO_COUNT), n + 1);
  return DBG_OK;
}

/** How many times a stop has reached run-to targets (it only grows). */
export function debugRunToHits(): i32 { return <i32>load<u32>(field(DS_RUNTO_HITS)); }

/** Forgets every position debugRunTo gave that has not been reached. */
export function debugRunToClear(): i32 {
  store<u32>(field(DS_RUNTO_COUNT), 0);
  return DBG_OK;
}

/** Adds a note (machine/debug.ts) at breakpoint va (kind 0) or over [va, va+len) of watch kind 1..3. */
export function debugNote(va: u64, len: u64, kind: i32): i32 {
  if (sessionPid() == 0) return DBG_ERR_NO_SESSION;
  const slot = sessionSlot();
  if (va >= USER_VA_LIMIT) return DBG_ERR_ARGS;
  if (kind == 0) {
    const root = pRoot(slot);
    const flags = <u64>ptLeafFlags(root, va);
    if ((va & 1) != 0 || (flags & (PTE_V | PTE_X | PTE_U)) != (PTE_V | PTE_X | PTE_U)) return DBG_ERR_FAULT;
    const pa = ptTranslate(root, va);
    if (pa == PT_NO_MAPPING) return DBG_ERR_FAULT;
    return hartNoteBreakInsert(va, <usize>pa) == HD_OK ? DBG_OK : DBG_ERR_FULL;
  }
  const r = hartNoteWatchInsert(va, len, <u32>kind);
  if (r != HD_OK) return r == -1 ? DBG_ERR_FULL : DBG_ERR_ARGS;
  armFlags(slot);
  tlbFlushAsid(pAsid(slot));
  return DBG_OK;
}

/** Removes every note and forgets the hits. */
export function debugNotesClear(): i32 {
  hartNotesClear();
  store<u32>(field(DS_NOTES), 0);
  store<u32>(field(DS_NOTE_SEEN), hartNoteSeq());
  if (sessionPid() != 0) {
    const slot = sessionSlot();
    armFlags(slot);
    tlbFlushAsid(pAsid(slot));
  }
  return DBG_OK;
}

/** Notes hit since debugNotesClear; the last one's position, kind (1 break, 2 watch), watch kind and address. */
export function debugNotes(): i32 { return <i32>load<u32>(field(DS_NOTES)); }
export function debugNotePos(): u64 { return load<u64>(field(DS_NOTE_POS)); }
export function debugNoteKind(): i32 { return <i32>load<u32>(field(DS_NOTE_KIND)); }
export function debugNoteWatchKind(): i32 { return <i32>load<u32>(field(DS_NOTE_WKIND)); }
export function debugNoteAddr(): u64 { return load<u64>(field(DS_NOTE_ADDR)); }

/** Kills the debugged process; its exit ends the session (EVENT_EXIT). */
export function debugKill(): i32 {
  if (sessionPid() == 0) return DBG_ERR_NO_SESSION;
  const pid = sessionPid();
  store<u32>(field(DS_HELD), 0);
  store<u32>(field(DS_MODE), MODE_CONTINUE);
  procKill(pid);
  return DBG_OK;
}
