// The out-of-memory killer: when a user-frame allocation would take free
// frames below the reserve (mm/vm.ts userFrameAdmit), the largest process
// is ended so that the rest of the system, the shell above all, keeps
// working. The policy and why it is this one: docs/memory.md "Out of memory".
//
// Size = user frames charged to the process (P_USER_FRAMES) + the frames of
// its page tables. init is never a victim. The asker is never killed here:
// if it is the largest, its own request fails (sbrk returns -1, a fault
// kills it with an out-of-memory message, exec returns -1). The process
// running now is not killed from under its own system call either (it may
// be the one copying into the asker's memory); its request fails instead.
// Relies on: proc/proc, proc/lifecycle (procExit), mm/pagetable, lib/log.

import { cpuRunsSlot } from "../lib/cpu";
import {
  MAX_PROCS, NO_SLOT, P_UNUSED, P_ZOMBIE, procTable, pState, pPid, pRoot, pUserFrames, printProcess, pIsThread,
} from "./proc";
import { procExit } from "./lifecycle";
import { sigSetTermSig, SIGKILL } from "./signal";
import { ptCountTables } from "../mm/pagetable";
import { logBegin, logEnd, LOG_WARN } from "../lib/log";
import { printStr, printDec } from "../lib/print";

/** Frames a process holds for the killer's choice. */
export function oomSize(slot: u32): u32 {
  const root = pRoot(slot);
  return pUserFrames(slot) + (root != 0 ? <u32>ptCountTables(root) : 0);
}

/** The process the killer would end: the largest live process but init,
 *  or NO_SLOT when there is none. */
export function oomVictim(): u32 {
  const t = procTable();
  let best = NO_SLOT;
  let bestSize: u32 = 0;
  for (let slot: u32 = 0; slot < MAX_PROCS; slot++) {
    const st = pState(slot);
    if (st == P_UNUSED || st == P_ZOMBIE || pIsThread(slot) || slot == t.initSlot || pRoot(slot) == 0) continue;
    const size = oomSize(slot);
    if (best == NO_SLOT || size > bestSize) { best = slot; bestSize = size; }
  }
  return best;
}

/** Frees memory for `asker` by ending the largest process, when that is
 *  neither the asker nor the process running now. Returns whether it
 *  killed one. */
export function oomReclaim(asker: u32): bool {
  const t = procTable();
  const victim = oomVictim();
  if (victim == NO_SLOT || victim == asker || cpuRunsSlot(victim)) return false;
  logBegin(LOG_WARN);
  printStr("out of memory: killed ");
  printProcess(victim);
  printStr(", the largest process, holding ");
  printDec(<u64>oomSize(victim));
  printStr(" frames, for pid ");
  printDec(<u64>pPid(asker));
  logEnd();
  t.oomKills++;
  sigSetTermSig(victim, SIGKILL); // waitpid reports it as killed, as Linux's OOM killer does
  procExit(victim, -1);
  return true;
}
