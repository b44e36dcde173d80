// The signal and job-control calls (Keel extensions 110-122, docs/abi.md):
// sending a signal, actions, the blocked mask, sigreturn, process groups and
// sessions, the console's foreground group, waitpid, and the console's
// cooked or raw mode. Each call decodes
// its arguments and the caller's authority first (a pid goes through the
// same check as kill, so a capability-mode process reaches only itself and
// its children), then performs through proc/signal.ts.
// Relies on: proc/signal, proc/sigframe, proc/proc, dev/tty, sys/callargs,
// sys/fd, sys/pids (the pid permission check kill uses).

import {
  MAX_PROCS, NO_SLOT, P_UNUSED, P_ZOMBIE, W_CHILD, procByPid, procFreeSlot, pState, pPid, pParent, pExit, pCapMode, pProc, pIsThread,
} from "../proc/proc";
import {
  sigValid, sigSend, sigSendGroup, sigGroupExists, sigHandler, sigRestorer, sigActionMask, sigActionFlags,
  sigSetAction, sigBlocked, sigSetBlocked, sigPending, sigPgid, sigSetPgid, sigSid, sigSetSid, sigTermSig,
  sigHasStopReport, sigTakeStopReport, sigHasContReport, sigTakeContReport, sigBit,
  SIGKILL, SIGSTOP, SIGTTIN, SIGTTOU, SIG_IGN, SA_FLAGS, UNBLOCKABLE,
} from "../proc/signal";
import { sigReturn, SIGRETURN_OK } from "../proc/sigframe";
import { ttySession, ttyForeground, ttySetControl, ttySetRaw, TTY_COOKED, TTY_RAW } from "../dev/tty";
import { arg, argInt, fail, fail2 } from "./callargs";
import { fdFile } from "./fd";
import { capErrText } from "./fd";
import { fileKind, FK_CONSOLE } from "../fs/file";
import { pidAllowed, namedProcess } from "./pids";
import { copyin, copyout, VM_OK } from "../mm/vm";
import { schedSleep } from "../sched/sched";
import { SCRATCH_IO } from "../lib/layout";

export const SYS_SIGSEND: u32 = 110;
export const SYS_SIGACTION: u32 = 111;
export const SYS_SIGPROCMASK: u32 = 112;
export const SYS_SIGRETURN: u32 = 113;
export const SYS_SIGPENDING: u32 = 114;
export const SYS_SETPGID: u32 = 115;
export const SYS_GETPGID: u32 = 116;
export const SYS_SETSID: u32 = 117;
export const SYS_GETSID: u32 = 118;
export const SYS_TCSETPGRP: u32 = 119;
export const SYS_TCGETPGRP: u32 = 120;
export const SYS_WAITPID: u32 = 121;
export const SYS_TTYMODE: u32 = 122;
export const SYS_SIGNAL_FIRST: u32 = SYS_SIGSEND;
export const SYS_SIGNAL_LAST: u32 = SYS_TTYMODE;

/** What signalCall returns besides a result: the call must wait (its ecall
 *  runs again), or it set the registers itself (sigreturn). */
export const SIGNAL_BLOCKED: i64 = -0x7FFF_FFFE;
export const SIGNAL_REGISTERS_SET: i64 = -0x7FFF_FFFD;

// sigprocmask's `how`.
const SIG_BLOCK: i32 = 0;
const SIG_UNBLOCK: i32 = 1;
const SIG_SETMASK: i32 = 2;
// waitpid's options.
const WNOHANG: i32 = 1;
const WUNTRACED: i32 = 2;
const WCONTINUED: i32 = 8;
const WAIT_OPTIONS: i32 = WNOHANG | WUNTRACED | WCONTINUED;
// waitpid's status word (docs/abi.md).
const WSTOPPED_LOW: i32 = 0x7F;
const WCONTINUED_STATUS: i32 = 0xFFFF;
/** struct sigaction: u64 handler @0, u64 restorer @8, u32 mask @16, u32 flags @20. */
const SIGACTION_SIZE: u64 = 24;

export function signalCall(slot: u32, num: u32): i64 {
  switch (num) {
    case SYS_SIGSEND: return sysSigsend(slot);
    case SYS_SIGACTION: return sysSigaction(slot);
    case SYS_SIGPROCMASK: return sysSigprocmask(slot);
    case SYS_SIGRETURN: return sigReturn(slot) == SIGRETURN_OK ? SIGNAL_REGISTERS_SET : fail(slot, "sigreturn: no signal frame at sp");
    case SYS_SIGPENDING: return <i64>sigPending(slot);
    case SYS_SETPGID: return sysSetpgid(slot);
    case SYS_GETPGID: return sysGetIds(slot, false);
    case SYS_SETSID: return sysSetsid(slot);
    case SYS_GETSID: return sysGetIds(slot, true);
    case SYS_TCSETPGRP: return sysTcsetpgrp(slot);
    case SYS_TCGETPGRP: return sysTcgetpgrp(slot);
    case SYS_WAITPID: return sysWaitpid(slot);
    case SYS_TTYMODE: return sysTtymode(slot);
    default: return fail(slot, "unknown system call");
  }
}

/** sigsend(pid, sig): pid > 0 that process; 0 the caller's group; < -1 the
 *  group -pid. sig 0 only checks that the target exists and may be named. */
function sysSigsend(slot: u32): i64 {
  const pid = argInt(slot, 0);
  const sig = argInt(slot, 1);
  if (sig != 0 && !sigValid(sig)) return fail(slot, "sigsend: no such signal (1 to 31)");
  if (pid == -1) return fail(slot, "sigsend: pid -1 (every process) is not supported");
  if (pid > 0) {
    if (!pidAllowed(slot, pid, "sigsend: ")) return -1;
    const target = procByPid(pid);
    if (target == NO_SLOT) return fail(slot, "sigsend: no such process");
    if (sig != 0) sigSend(target, <u32>sig);
    return 0;
  }
  // Process groups are names outside any capability the caller holds.
  if (pCapMode(slot)) return fail(slot, "sigsend: capability mode: process groups are ambient authority");
  const pgid = pid == 0 ? sigPgid(slot) : -pid;
  if (!sigGroupExists(pgid, 0)) return fail(slot, "sigsend: no such process group");
  if (sig != 0) sigSendGroup(pgid, <u32>sig);
  return 0;
}

/** sigaction(sig, act, old): old (if not null) gets the action in force;
 *  act (if not null) replaces it. SIGKILL and SIGSTOP keep their defaults. */
function sysSigaction(slot: u32): i64 {
  const sig = argInt(slot, 0);
  const actVa = arg(slot, 1);
  const oldVa = arg(slot, 2);
  if (!sigValid(sig)) return fail(slot, "sigaction: no such signal (1 to 31)");
  const s = <u32>sig;
  const act = SCRATCH_IO;
  const old = SCRATCH_IO + 64;
  if (actVa != 0) {
    if (s == SIGKILL || s == SIGSTOP) return fail(slot, "sigaction: SIGKILL and SIGSTOP cannot be caught or ignored");
    if (copyin(slot, act, actVa, SIGACTION_SIZE) != VM_OK) return fail(slot, "sigaction: bad action pointer");
    if ((load<u32>(act + 20) & ~SA_FLAGS) != 0) return fail(slot, "sigaction: unknown flags");
    const handler = load<u64>(act);
    if (handler > SIG_IGN && load<u64>(act + 8) == 0) return fail(slot, "sigaction: a handler needs a trampoline (restorer)");
  }
  store<u64>(old, sigHandler(slot, s));
  store<u64>(old + 8, sigRestorer(slot, s));
  store<u32>(old + 16, sigActionMask(slot, s));
  store<u32>(old + 20, sigActionFlags(slot, s));
  if (oldVa != 0 && copyout(slot, oldVa, old, SIGACTION_SIZE) != VM_OK) return fail(slot, "sigaction: bad old-action pointer");
  if (actVa != 0) sigSetAction(slot, s, load<u64>(act), load<u64>(act + 8), load<u32>(act + 16), load<u32>(act + 20));
  return 0;
}

/** sigprocmask(how, set): returns the mask before the change. */
function sysSigprocmask(slot: u32): i64 {
  const how = argInt(slot, 0);
  const set = <u32>argInt(slot, 1);
  const before = sigBlocked(slot);
  if (how == SIG_BLOCK) sigSetBlocked(slot, before | set);
  else if (how == SIG_UNBLOCK) sigSetBlocked(slot, before & ~set);
  else if (how == SIG_SETMASK) sigSetBlocked(slot, set);
  else return fail(slot, "sigprocmask: how must be SIG_BLOCK, SIG_UNBLOCK or SIG_SETMASK");
  return <i64>before;
}

/** setpgid(pid, pgid): moves the caller or one of its children (in its
 *  session, not a session leader) into group pgid of its session, or into
 *  a new group of its own when pgid is 0 or its pid. */
function sysSetpgid(slot: u32): i64 {
  const pid = argInt(slot, 0);
  const pgid = argInt(slot, 1);
  if (pgid < 0) return fail(slot, "setpgid: negative process group");
  const target = namedProcess(slot, pid, "setpgid: ");
  if (target == NO_SLOT) return -1;
  if (target != pProc(slot) && pParent(target) != pProc(slot)) return fail(slot, "setpgid: not the caller or one of its children");
  if (sigSid(target) != sigSid(slot)) return fail(slot, "setpgid: that process is in another session");
  if (sigSid(target) == pPid(target)) return fail(slot, "setpgid: a session leader cannot change its group");
  const group = pgid == 0 ? pPid(target) : pgid;
  // In capability mode a group is named only when it is the target's own
  // (new) one or the caller's: another group's number is ambient authority.
  if (pCapMode(slot) && group != pPid(target) && group != sigPgid(slot)) {
    return fail(slot, "setpgid: capability mode: only a group of its own or the caller's");
  }
  if (group != pPid(target) && !sigGroupExists(group, sigSid(slot))) return fail(slot, "setpgid: no such process group in this session");
  sigSetPgid(target, group);
  return 0;
}

/** getpgid(pid) or getsid(pid). */
function sysGetIds(slot: u32, session: bool): i64 {
  const target = namedProcess(slot, argInt(slot, 0), session ? "getsid: " : "getpgid: ");
  if (target == NO_SLOT) return -1;
  return session ? sigSid(target) : sigPgid(target);
}

/** setsid(): a new session and group, both named by the caller's pid, with
 *  no controlling terminal. A group leader may not (its group would span
 *  two sessions). */
function sysSetsid(slot: u32): i64 {
  const pid = pPid(slot);
  if (sigPgid(slot) == pid) return fail(slot, "setsid: already a process group leader");
  sigSetSid(slot, pid);
  sigSetPgid(slot, pid);
  return pid;
}

/** True when fd is a console descriptor of slot (any rights). */
function isConsole(slot: u32, fd: i32, call: string): bool {
  const f = fdFile(slot, fd, 0);
  if (f < 0) { fail2(slot, call, capErrText(f)); return false; }
  if (fileKind(<usize>f) != FK_CONSOLE) { fail2(slot, call, "not the console"); return false; }
  return true;
}

/** tcsetpgrp(fd, pgid): makes pgid (a group of the caller's session) the
 *  console's foreground group. A console that controls no session becomes
 *  the controlling terminal of the caller's, if the caller leads it. */
function sysTcsetpgrp(slot: u32): i64 {
  const fd = argInt(slot, 0);
  const pgid = argInt(slot, 1);
  if (!isConsole(slot, fd, "tcsetpgrp: ")) return -1;
  // Choosing who the console's input and signals go to names process groups.
  if (pCapMode(slot)) return fail(slot, "tcsetpgrp: capability mode: process groups are ambient authority");
  const sid = sigSid(slot);
  const controlling = ttySession();
  if (controlling == 0 && sid != pPid(slot)) return fail(slot, "tcsetpgrp: only a session leader can take the console");
  if (controlling != 0 && controlling != sid) return fail(slot, "tcsetpgrp: the console is another session's terminal");
  if (pgid <= 0 || !sigGroupExists(pgid, sid)) return fail(slot, "tcsetpgrp: no such process group in this session");
  // A background process may not take the console unless it ignores or
  // blocks SIGTTOU (as a shell does); otherwise its group gets SIGTTOU,
  // which stops it, and the call runs again once it is continued.
  if (controlling == sid && ttyForeground() != sigPgid(slot) && sigHandler(slot, SIGTTOU) != SIG_IGN && (sigBlocked(slot) & sigBit(SIGTTOU)) == 0) {
    sigSendGroup(sigPgid(slot), SIGTTOU);
    return SIGNAL_BLOCKED;
  }
  ttySetControl(sid, pgid);
  return 0;
}

/** ttymode(fd, mode): the console cooked (0) or raw (1) for the caller,
 *  returning the mode before. Only the console's foreground group may
 *  change it (or anyone, when the console controls no session); raw mode
 *  ends when the process that set it ends. */
function sysTtymode(slot: u32): i64 {
  const fd = argInt(slot, 0);
  const mode = argInt(slot, 1);
  if (!isConsole(slot, fd, "ttymode: ")) return -1;
  if (mode != <i32>TTY_COOKED && mode != <i32>TTY_RAW) return fail(slot, "ttymode: the mode is 0 (cooked) or 1 (raw)");
  if (ttySession() != 0 && (sigSid(slot) != ttySession() || sigPgid(slot) != ttyForeground())) {
    return fail(slot, "ttymode: only the console's foreground process group may change its mode");
  }
  return <i64>ttySetRaw(<u32>mode, pPid(slot));
}

/** tcgetpgrp(fd): the console's foreground group, or 0 when the console is
 *  not the caller's session's terminal. */
function sysTcgetpgrp(slot: u32): i64 {
  if (!isConsole(slot, argInt(slot, 0), "tcgetpgrp: ")) return -1;
  return ttySession() == sigSid(slot) ? <i64>ttyForeground() : 0;
}

/** May slot read the console now? A process of the console's session
 *  outside its foreground group may not: its group gets SIGTTIN (which
 *  stops it, and the read runs again when it is continued), or, when it
 *  ignores or blocks SIGTTIN, the read fails. */
export const CONSOLE_READ_OK: i32 = 0;
export const CONSOLE_READ_STOPPED: i32 = 1;
export const CONSOLE_READ_DENIED: i32 = 2;
export function consoleReadCheck(slot: u32): i32 {
  const sid = ttySession();
  if (sid == 0 || sigSid(slot) != sid || sigPgid(slot) == ttyForeground()) return CONSOLE_READ_OK;
  if (sigHandler(slot, SIGTTIN) == SIG_IGN || (sigBlocked(slot) & sigBit(SIGTTIN)) != 0) return CONSOLE_READ_DENIED;
  sigSendGroup(sigPgid(slot), SIGTTIN);
  return CONSOLE_READ_STOPPED;
}

/** Whether child c is one waitpid(pid, ...) from slot asks about. */
function waitMatches(slot: u32, c: u32, pid: i32): bool {
  if (pid > 0) return pPid(c) == pid;
  if (pid == -1) return true;
  return sigPgid(c) == (pid == 0 ? sigPgid(slot) : -pid);
}

/** waitpid(pid, status, options): a child that ended (reaped), or, with
 *  WUNTRACED, one that stopped, or, with WCONTINUED, one that continued,
 *  each reported once. 0 with WNOHANG when none is ready; -1 when no child
 *  matches. The status word is docs/abi.md's. */
function sysWaitpid(slot: u32): i64 {
  const pid = argInt(slot, 0);
  const statusVa = arg(slot, 1);
  const options = argInt(slot, 2);
  if ((options & ~WAIT_OPTIONS) != 0) return fail(slot, "waitpid: unknown options");
  let matched = false;
  for (let c: u32 = 0; c < MAX_PROCS; c++) {
    if (pState(c) == P_UNUSED || pIsThread(c) || pParent(c) != pProc(slot) || !waitMatches(slot, c, pid)) continue;
    matched = true;
    let status: i32 = 0;
    let kind: i32 = 0; // 1 ended, 2 stopped, 3 continued
    if (pState(c) == P_ZOMBIE) {
      kind = 1;
      const sig = sigTermSig(c);
      status = sig != 0 ? <i32>sig : (pExit(c) & 0xFF) << 8;
    } else if ((options & WUNTRACED) != 0 && sigHasStopReport(c)) {
      kind = 2;
    } else if ((options & WCONTINUED) != 0 && sigHasContReport(c)) {
      kind = 3;
      status = WCONTINUED_STATUS;
    } else {
      continue;
    }
    // Check the destination before taking the report, so a bad pointer loses nothing.
    if (statusVa != 0) {
      store<i32>(SCRATCH_IO, 0);
      if (copyout(slot, statusVa, SCRATCH_IO, 4) != VM_OK) return fail(slot, "waitpid: bad status pointer");
    }
    if (kind == 2) status = (<i32>sigTakeStopReport(c) << 8) | WSTOPPED_LOW;
    if (kind == 3) sigTakeContReport(c);
    if (statusVa != 0) {
      store<i32>(SCRATCH_IO, status);
      copyout(slot, statusVa, SCRATCH_IO, 4);
    }
    const childPid = pPid(c);
    if (kind == 1) procFreeSlot(c);
    return childPid;
  }
  if (!matched) return fail(slot, "waitpid: no such child");
  if ((options & WNOHANG) != 0) return 0;
  schedSleep(slot, W_CHILD, pProc(slot));
  return SIGNAL_BLOCKED;
}
