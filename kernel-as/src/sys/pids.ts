// Which processes a process may name by pid: the one check every call
// that takes a pid makes (kill, setnice, sigsend, setpgid, getpgid,
// getsid, sched_set, sched_get, setaffinity, getaffinity), shared by the
// Unix personality (sys/unix.ts), the signal calls (sys/signals.ts) and the
// scheduling calls (sys/schedcalls.ts) so that none imports another for it;
// namedProcess() adds the lookup of a live process.
// Relies on: proc/proc, sys/callargs.

import { NO_SLOT, P_ZOMBIE, procByPid, pParent, pCapMode, pProc, pState } from "../proc/proc";
import { fail2 } from "./callargs";

/** Why a pid was refused in capability mode. The same words whether or not
 *  the pid exists, so a sandbox cannot probe for other processes. */
const NOT_MINE_TEXT = "capability mode: that pid is not this process or one of its children";

/** False (with the reason recorded) when slot may not name process `pid`:
 *  outside capability mode every pid may be named; in it only the caller
 *  itself and its children, the processes it made (the pids spawn and fork
 *  returned to it). Whether the process exists is the call's business. */
export function pidAllowed(slot: u32, pid: i32, call: string): bool {
  if (!pCapMode(slot)) return true;
  const target = pid <= 0 ? NO_SLOT : procByPid(pid);
  if (target != NO_SLOT && (target == pProc(slot) || pParent(target) == pProc(slot))) return true;
  fail2(slot, call, NOT_MINE_TEXT);
  return false;
}


/** The live process a pid argument names (0: the caller), checked as kill
 *  checks it; NO_SLOT with the reason recorded ("PREFIX reason"). */
export function namedProcess(slot: u32, pid: i32, call: string): u32 {
  if (pid == 0) return pProc(slot); // the caller's process, whichever of its threads asks
  if (pid < 0) { fail2(slot, call, "negative pid"); return NO_SLOT; }
  if (!pidAllowed(slot, pid, call)) return NO_SLOT;
  const target = procByPid(pid);
  if (target == NO_SLOT || pState(target) == P_ZOMBIE) { fail2(slot, call, "no such process"); return NO_SLOT; }
  return target;
}
