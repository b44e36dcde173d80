// The scheduling calls (Keel extensions 140-149, docs/abi.md): a process's
// class and priority (sched_set, sched_get), the vCPUs it may run on
// (setaffinity, getaffinity) and sched_yield. The policy itself lives in
// sched/sched.ts; this file decodes arguments and checks authority.
//
// pid 0 is the calling thread (class, priority and mask are per thread;
// a new thread takes its creator's); a pid names a process's leader.
// Authority is kill's (sys/pids.ts): outside capability mode a process may
// name any pid, in it only itself and its children. A capability-mode
// process may also never raise a process above its own class and priority
// (so a sandbox cannot make itself or a child real-time), nor give one a
// vCPU it may not use itself: it may only hand on less than it has, as with
// nice.
// Relies on: sched/sched, proc/proc, sys/pids, sys/callargs, mm/vm.

import { NO_SLOT, pNice, pPolicy, pRtPrio, pAffinity, pSetAffinity, pCapMode, AFFINITY_ALL } from "../proc/proc";
import {
  policyValid, policyRealtime, rankOf, ownRank, effectiveSource, schedSetPolicy, schedYield, schedCpusOnlineMask,
  RT_PRIO_MIN, RT_PRIO_MAX,
} from "../sched/sched";
import { arg, argInt, fail } from "./callargs";
import { namedProcess } from "./pids";
import { copyout, VM_OK } from "../mm/vm";
import { SCRATCH_IO } from "../lib/layout";

export const SYS_SCHED_SET: u32 = 140;
export const SYS_SCHED_GET: u32 = 141;
export const SYS_SETAFFINITY: u32 = 142;
export const SYS_GETAFFINITY: u32 = 143;
export const SYS_SCHED_YIELD: u32 = 144;
export const SYS_SCHED_FIRST: u32 = SYS_SCHED_SET;
export const SYS_SCHED_LAST: u32 = 149;

/** The user's struct schedinfo (docs/abi.md), 24 bytes. */
const SCHEDINFO_SIZE: u64 = 24;

function sysSchedSet(slot: u32): i64 {
  const pid = argInt(slot, 0);
  const policy = arg(slot, 1);
  const prio = arg(slot, 2);
  if (policy > 0xFFFF_FFFF || !policyValid(<u32>policy)) {
    return fail(slot, "sched_set: unknown policy (0 fair, 1 fifo, 2 round-robin, 3 batch, 5 idle)");
  }
  if (policyRealtime(<u32>policy)) {
    if (prio < <u64>RT_PRIO_MIN || prio > <u64>RT_PRIO_MAX) return fail(slot, "sched_set: a real-time priority is from 1 to 99");
  } else if (prio != 0) {
    return fail(slot, "sched_set: the fair, batch and idle classes take priority 0");
  }
  const t = pid == 0 ? slot : namedProcess(slot, pid, "sched_set: "); // 0: the calling thread
  if (t == NO_SLOT) return -1;
  if (pCapMode(slot) && rankOf(<u32>policy, <u32>prio) > ownRank(slot)) {
    return fail(slot, "sched_set: capability mode: may not raise a process above this process's own class and priority");
  }
  schedSetPolicy(t, <u32>policy, <u32>prio);
  return 0;
}

function sysSchedGet(slot: u32): i64 {
  const pid = argInt(slot, 0);
  const t = pid == 0 ? slot : namedProcess(slot, pid, "sched_get: ");
  if (t == NO_SLOT) return -1;
  const src = effectiveSource(t);
  const rec = SCRATCH_IO;
  store<i32>(rec, <i32>pPolicy(t));
  store<i32>(rec + 4, <i32>pRtPrio(t));
  store<i32>(rec + 8, <i32>pPolicy(src));   // what it runs at now (inherited while serving a call)
  store<i32>(rec + 12, <i32>pRtPrio(src));
  store<u32>(rec + 16, pAffinity(t));
  store<i32>(rec + 20, pNice(t));
  if (copyout(slot, arg(slot, 1), rec, SCHEDINFO_SIZE) != VM_OK) return fail(slot, "sched_get: bad pointer");
  return 0;
}

function sysSetAffinity(slot: u32): i64 {
  const pid = argInt(slot, 0);
  const mask = arg(slot, 1);
  if (mask == 0) return fail(slot, "setaffinity: the mask names no CPU");
  if ((mask & ~<u64>AFFINITY_ALL) != 0) return fail(slot, "setaffinity: the mask names CPUs beyond the 8 a machine may have");
  const online = schedCpusOnlineMask();
  if ((<u32>mask & online) == 0) {
    return fail(slot, online == 1
      ? "setaffinity: this machine has one vCPU, so the mask must include CPU 0 (bit 0)"
      : "setaffinity: the mask names none of this machine's vCPUs");
  }
  const t = pid == 0 ? slot : namedProcess(slot, pid, "setaffinity: ");
  if (t == NO_SLOT) return -1;
  if (pCapMode(slot) && (<u32>mask & ~pAffinity(slot)) != 0) {
    return fail(slot, "setaffinity: capability mode: may not name a CPU this process may not use itself");
  }
  pSetAffinity(t, <u32>mask);
  return 0;
}

function sysGetAffinity(slot: u32): i64 {
  const pid = argInt(slot, 0);
  const t = pid == 0 ? slot : namedProcess(slot, pid, "getaffinity: ");
  return t == NO_SLOT ? -1 : <i64>pAffinity(t);
}

/** The scheduling calls; the result goes to a0. */
export function schedCall(slot: u32, num: u32): i64 {
  switch (num) {
    case SYS_SCHED_SET: return sysSchedSet(slot);
    case SYS_SCHED_GET: return sysSchedGet(slot);
    case SYS_SETAFFINITY: return sysSetAffinity(slot);
    case SYS_GETAFFINITY: return sysGetAffinity(slot);
    case SYS_SCHED_YIELD: schedYield(slot); return 0;
    default: return fail(slot, "unknown system call");
  }
}
