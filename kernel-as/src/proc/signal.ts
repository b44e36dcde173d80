// Signals and job control: each process's pending and blocked signal
// masks, its actions (default, ignore, or a user handler with its
// trampoline), its process group and session, and whether it is stopped.
// This module is the "perform" half of sending a signal; the system calls
// that decode requests live in sys/signals.ts, and delivery at the
// kernel-to-user crossing (which may end the process) in proc/run.ts.
//
// Sending decides at once what can be decided at once: an ignored signal
// is dropped, a stop signal with its default action stops the process (in
// any state: a sleeper stays asleep and is not scheduled once woken until it
// is continued), SIGKILL uses xv6's kill path, SIGCONT continues. Anything
// else becomes pending and is delivered at the next crossing; a sleeper is
// woken for it when its wait can be repeated (proc/run.ts restarts the
// ecall after the handler returns), otherwise delivery waits for the call.
//
// Locking: one vCPU; touched only between hart slices.
// Relies on: proc/proc (the record), sched/sched (wake-ups).

import {
  MAX_PROCS, P_UNUSED, P_ZOMBIE, P_SLEEPING, NO_SLOT, W_CONSOLE, W_PIPE_READ, W_PIPE_WRITE, W_CHILD, W_SLEEP,
  W_FUTEX, W_JOIN, pSignals, pState, pPid, pParent, pWaitKind, pProc, pIsThread, procTable,
} from "./proc";
import { threadsKill, threadAwake } from "./thread";
import { schedMakeRunnable, wakeup } from "../sched/sched";

// Signal numbers (docs/abi.md): Linux's, so the usual names mean the usual numbers.
export const SIGHUP: u32 = 1;
export const SIGINT: u32 = 2;
export const SIGQUIT: u32 = 3;
export const SIGILL: u32 = 4;
export const SIGTRAP: u32 = 5;
export const SIGABRT: u32 = 6;
export const SIGBUS: u32 = 7;
export const SIGFPE: u32 = 8;
export const SIGKILL: u32 = 9;
export const SIGUSR1: u32 = 10;
export const SIGSEGV: u32 = 11;
export const SIGUSR2: u32 = 12;
export const SIGPIPE: u32 = 13;
export const SIGALRM: u32 = 14;
export const SIGTERM: u32 = 15;
export const SIGCHLD: u32 = 17;
export const SIGCONT: u32 = 18;
export const SIGSTOP: u32 = 19;
export const SIGTSTP: u32 = 20;
export const SIGTTIN: u32 = 21;
export const SIGTTOU: u32 = 22;
export const SIGURG: u32 = 23;
export const SIGWINCH: u32 = 28;
/** Signals are 1..NSIG-1. */
export const NSIG: u32 = 32;

// What a signal does when its action is the default.
export const ACT_TERMINATE: u32 = 0;
export const ACT_IGNORE: u32 = 1;
export const ACT_STOP: u32 = 2;
export const ACT_CONTINUE: u32 = 3;

// A handler address of 0 is the default action, 1 is "ignore" (as SIG_DFL
// and SIG_IGN); anything else is a user address.
export const SIG_DFL: u64 = 0;
export const SIG_IGN: u64 = 1;

// sigaction flags.
export const SA_NODEFER: u32 = 1;   // the signal is not blocked while its handler runs
export const SA_RESETHAND: u32 = 2; // the action returns to the default once delivered
export const SA_FLAGS: u32 = SA_NODEFER | SA_RESETHAND;

// Record layout (inside the process record, proc.ts pSignals).
const S_PENDING: usize = 0;   // u32, bit sig-1
const S_BLOCKED: usize = 4;   // u32, bit sig-1
const S_PGID: usize = 8;      // i32 process group
const S_SID: usize = 12;      // i32 session
const S_FLAGS: usize = 16;    // u32 SF_*
const S_STOPSIG: usize = 20;  // u32 the signal that stopped it
const S_TERMSIG: usize = 24;  // u32 the signal that ended it (0: it called exit)
const S_ACTIONS: usize = 32;  // NSIG x ACTION_SIZE
const ACTION_SIZE: usize = 24;
const A_HANDLER: usize = 0;   // u64
const A_RESTORER: usize = 8;  // u64 the trampoline the handler returns to
const A_MASK: usize = 16;     // u32 also blocked while the handler runs
const A_FLAGS: usize = 20;    // u32 SA_*
/** Bytes of the record this module uses (within the 1 KiB proc.ts gives it). */
export const SIGNAL_STATE_SIZE: usize = S_ACTIONS + <usize>NSIG * ACTION_SIZE;

const SF_STOPPED: u32 = 1;      // not scheduled until SIGCONT
const SF_STOP_REPORT: u32 = 2;  // stopped and not yet reported to waitpid
const SF_CONT_REPORT: u32 = 4;  // continued and not yet reported to waitpid

/** Signals that can be neither caught, ignored nor blocked. */
export const UNBLOCKABLE: u32 = (1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1));
/** Every valid signal's bit. */
export const ALL_SIGNALS: u32 = 0x7FFF_FFFF;
const STOP_SIGNALS: u32 = (1 << (SIGSTOP - 1)) | (1 << (SIGTSTP - 1)) | (1 << (SIGTTIN - 1)) | (1 << (SIGTTOU - 1));

// @ts-ignore: decorator
@inline export function sigBit(sig: u32): u32 { return 1 << (sig - 1); }
// @ts-ignore: decorator
@inline function rec(s: u32): usize { return pSignals(s); }
// @ts-ignore: decorator
@inline function action(s: u32, sig: u32): usize { return pSignals(s) + S_ACTIONS + <usize>sig * ACTION_SIZE; }

export function sigValid(sig: i32): bool { return sig >= 1 && sig < <i32>NSIG; }

export function sigDefaultAction(sig: u32): u32 {
  if (sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH) return ACT_IGNORE;
  if (sig == SIGCONT) return ACT_CONTINUE;
  if ((sigBit(sig) & STOP_SIGNALS) != 0) return ACT_STOP;
  return ACT_TERMINATE;
}

// Accessors.
export function sigPending(s: u32): u32 { return load<u32>(rec(s) + S_PENDING); }
export function sigBlocked(s: u32): u32 { return load<u32>(rec(s) + S_BLOCKED); }
/** Sets the blocked mask; SIGKILL and SIGSTOP can never be blocked. */
export function sigSetBlocked(s: u32, mask: u32): void { store<u32>(rec(s) + S_BLOCKED, mask & ALL_SIGNALS & ~UNBLOCKABLE); }
export function sigPgid(s: u32): i32 { return load<i32>(rec(s) + S_PGID); }
export function sigSetPgid(s: u32, pgid: i32): void { store<i32>(rec(s) + S_PGID, pgid); }
export function sigSid(s: u32): i32 { return load<i32>(rec(s) + S_SID); }
export function sigSetSid(s: u32, sid: i32): void { store<i32>(rec(s) + S_SID, sid); }
export function sigStopped(s: u32): bool { return (load<u32>(rec(s) + S_FLAGS) & SF_STOPPED) != 0; }
export function sigStopSig(s: u32): u32 { return load<u32>(rec(s) + S_STOPSIG); }
export function sigTermSig(s: u32): u32 { return load<u32>(rec(s) + S_TERMSIG); }
export function sigSetTermSig(s: u32, sig: u32): void { store<u32>(rec(s) + S_TERMSIG, sig); }
export function sigHandler(s: u32, sig: u32): u64 { return load<u64>(action(s, sig) + A_HANDLER); }
export function sigRestorer(s: u32, sig: u32): u64 { return load<u64>(action(s, sig) + A_RESTORER); }
export function sigActionMask(s: u32, sig: u32): u32 { return load<u32>(action(s, sig) + A_MASK); }
export function sigActionFlags(s: u32, sig: u32): u32 { return load<u32>(action(s, sig) + A_FLAGS); }
/** True when slot has a pending signal it does not block. */
// @ts-ignore: decorator
@inline export function sigDeliverable(s: u32): bool { return (load<u32>(rec(s) + S_PENDING) & ~load<u32>(rec(s) + S_BLOCKED)) != 0; }

export function sigClearPending(s: u32, sig: u32): void { store<u32>(rec(s) + S_PENDING, sigPending(s) & ~sigBit(sig)); }

/** Sets sig's action. The caller (sys/signals.ts) has checked that sig may
 *  be caught. Setting "ignore", or the default of a signal whose default is
 *  to ignore it, discards it if pending (POSIX). */
export function sigSetAction(s: u32, sig: u32, handler: u64, restorer: u64, mask: u32, flags: u32): void {
  const a = action(s, sig);
  store<u64>(a + A_HANDLER, handler);
  store<u64>(a + A_RESTORER, restorer);
  store<u32>(a + A_MASK, mask & ALL_SIGNALS & ~UNBLOCKABLE);
  store<u32>(a + A_FLAGS, flags);
  if (handler == SIG_IGN || (handler == SIG_DFL && sigDefaultAction(sig) == ACT_IGNORE)) sigClearPending(s, sig);
}

/** A fresh process's state: no group or session yet, nothing pending. */
export function sigInitFirst(s: u32): void {
  memory.fill(rec(s), 0, SIGNAL_STATE_SIZE);
  sigSetPgid(s, pPid(s));
  sigSetSid(s, pPid(s));
}

/** fork: the child is in the parent's group and session with its actions
 *  and mask; nothing is pending and it is not stopped. */
export function sigFork(parent: u32, child: u32): void {
  memory.copy(rec(child), rec(parent), SIGNAL_STATE_SIZE);
  store<u32>(rec(child) + S_PENDING, 0);
  store<u32>(rec(child) + S_FLAGS, 0);
  store<u32>(rec(child) + S_STOPSIG, 0);
  store<u32>(rec(child) + S_TERMSIG, 0);
}

/** spawn: like fork, but the child runs a new image at once, so handlers
 *  are gone (exec's rule) and its mask starts empty. */
export function sigSpawn(parent: u32, child: u32): void {
  sigFork(parent, child);
  sigSetBlocked(child, 0);
  sigExec(child);
}

/** exec: caught signals return to the default action (the handlers were in
 *  the old image); ignored ones stay ignored; the mask and pending signals
 *  stay. */
export function sigExec(s: u32): void {
  for (let sig: u32 = 1; sig < NSIG; sig++) {
    const a = action(s, sig);
    if (load<u64>(a + A_HANDLER) != SIG_IGN) store<u64>(a + A_HANDLER, SIG_DFL);
    store<u64>(a + A_RESTORER, 0);
    store<u32>(a + A_MASK, 0);
    store<u32>(a + A_FLAGS, 0);
  }
}

/** Waits that the process may leave to run a handler and simply repeat
 *  afterwards (their system calls restart; docs/processes.md). An IPC wait
 *  is not among them: its call has already sent. */
function waitRestartable(s: u32): bool {
  const k = pWaitKind(s);
  return k == W_CONSOLE || k == W_PIPE_READ || k == W_PIPE_WRITE || k == W_CHILD || k == W_SLEEP || k == W_FUTEX || k == W_JOIN;
}

/** Tells slot's parent that slot stopped, continued or ended: SIGCHLD, and
 *  a wake-up for a parent waiting in wait/waitpid. */
export function sigNotifyParent(s: u32): void {
  const parent = pParent(s);
  if (parent == NO_SLOT || pState(parent) == P_UNUSED || pState(parent) == P_ZOMBIE) return;
  wakeup(W_CHILD, parent);
  sigSend(parent, SIGCHLD);
}

/** Stops slot for `sig` now, whatever it is doing. */
export function sigStop(s: u32, sig: u32): void {
  const r = rec(s);
  store<u32>(r + S_FLAGS, (load<u32>(r + S_FLAGS) | SF_STOPPED | SF_STOP_REPORT) & ~SF_CONT_REPORT);
  store<u32>(r + S_STOPSIG, sig);
  sigNotifyParent(s);
}

/** Continues a stopped slot (SIGCONT, or a SIGKILL that must get through). */
function sigContinue(s: u32, report: bool): void {
  const r = rec(s);
  let flags = load<u32>(r + S_FLAGS);
  if ((flags & SF_STOPPED) == 0) return;
  flags &= ~(SF_STOPPED | SF_STOP_REPORT);
  if (report) flags |= SF_CONT_REPORT;
  store<u32>(r + S_FLAGS, flags);
  if (report) sigNotifyParent(s);
}

/** Takes slot's unreported stop (for waitpid WUNTRACED): its signal, or 0. */
export function sigTakeStopReport(s: u32): u32 {
  const r = rec(s);
  const flags = load<u32>(r + S_FLAGS);
  if ((flags & SF_STOP_REPORT) == 0) return 0;
  store<u32>(r + S_FLAGS, flags & ~SF_STOP_REPORT);
  return load<u32>(r + S_STOPSIG);
}
export function sigHasStopReport(s: u32): bool { return (load<u32>(rec(s) + S_FLAGS) & SF_STOP_REPORT) != 0; }
/** Takes slot's unreported continue (for waitpid WCONTINUED). */
export function sigTakeContReport(s: u32): bool {
  const r = rec(s);
  const flags = load<u32>(r + S_FLAGS);
  if ((flags & SF_CONT_REPORT) == 0) return false;
  store<u32>(r + S_FLAGS, flags & ~SF_CONT_REPORT);
  return true;
}
export function sigHasContReport(s: u32): bool { return (load<u32>(rec(s) + S_FLAGS) & SF_CONT_REPORT) != 0; }

/** xv6's kill, and SIGKILL: the process dies at its next crossing, even
 *  when asleep or stopped. */
export function sigKill(s: u32): void {
  if (sigTermSig(s) == 0) sigSetTermSig(s, SIGKILL);
  sigContinue(s, false);
  threadsKill(s); // every thread: the first to cross ends the process
}

/** Init is not stopped or ended by a signal it did not ask for (as on
 *  Linux); SIGKILL still reaches it, since xv6's kill(1) must. */
function initProtected(s: u32, sig: u32): bool {
  return s == procTable().initSlot && sig != SIGKILL && sigHandler(s, sig) == SIG_DFL;
}

/** Sends sig (already validated) to the live process in slot. */
export function sigSend(s: u32, sig: u32): void {
  const state = pState(s);
  if (state == P_UNUSED || state == P_ZOMBIE) return;
  if (initProtected(s, sig)) return;
  if (sig == SIGKILL) { sigKill(s); return; }
  const r = rec(s);
  if (sig == SIGCONT) {
    store<u32>(r + S_PENDING, load<u32>(r + S_PENDING) & ~STOP_SIGNALS);
    sigContinue(s, true);
  } else if ((sigBit(sig) & STOP_SIGNALS) != 0) {
    sigClearPending(s, SIGCONT);
  }
  const handler = sigHandler(s, sig);
  if (handler == SIG_IGN) return;
  const defaultAct = sigDefaultAction(sig);
  if (handler == SIG_DFL && (defaultAct == ACT_IGNORE || defaultAct == ACT_CONTINUE)) return;
  const blocked = (sigBlocked(s) & sigBit(sig)) != 0;
  if (handler == SIG_DFL && defaultAct == ACT_STOP && !blocked) { sigStop(s, sig); return; }
  store<u32>(r + S_PENDING, load<u32>(r + S_PENDING) | sigBit(sig));
  // A thread that is awake takes it at its next crossing; else one sleeper is woken.
  if (blocked || threadAwake(s)) return;
  // Ending it needs no restart; a handler needs a wait that can be repeated.
  for (let t: u32 = 0; t < MAX_PROCS; t++) {
    if (pState(t) != P_SLEEPING || pProc(t) != pProc(s)) continue;
    if (handler == SIG_DFL || waitRestartable(t)) { schedMakeRunnable(t); return; }
  }
}

/** Sends sig to every live member of process group pgid; returns how many. */
export function sigSendGroup(pgid: i32, sig: u32): u32 {
  if (pgid <= 0) return 0;
  let n: u32 = 0;
  for (let s: u32 = 0; s < MAX_PROCS; s++) {
    const state = pState(s);
    if (state == P_UNUSED || state == P_ZOMBIE || pIsThread(s) || sigPgid(s) != pgid) continue;
    sigSend(s, sig);
    n++;
  }
  return n;
}

/** True when some live process is in group pgid (of session sid, if sid > 0). */
export function sigGroupExists(pgid: i32, sid: i32): bool {
  for (let s: u32 = 0; s < MAX_PROCS; s++) {
    const state = pState(s);
    if (state == P_UNUSED || state == P_ZOMBIE) continue;
    if (sigPgid(s) == pgid && (sid <= 0 || sigSid(s) == sid)) return true;
  }
  return false;
}
