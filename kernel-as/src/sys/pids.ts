// Which processes a process may name by pid: the one check every call
// that takes a pid makes (kill, setnice, sigsend, setpgid, getpgid,
// getsid), shared by the Unix personality (sys/unix.ts) and the signal
// calls (sys/signals.ts) so that neither imports the other for it.
// Relies on: proc/proc, sys/callargs.

import { NO_SLOT, procByPid, pParent, pCapMode, pProc } from "../proc/proc";
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

