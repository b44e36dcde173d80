// Test entry for the scheduler's pick (sched/sched.ts) over a real process
// table: processes are made, given classes, priorities and CPU masks, put to
// sleep, woken, and linked by IPC calls (a caller asleep in W_EP_REPLY on a
// server that owes it the reply), so the host can check the pick's
// invariants after every step (host/sched-pick.test.ts).

export { kernelImageEnd } from "../src/lib/image";
import { framesInit } from "../src/mm/frames";
import { cpuRecordsInit } from "../src/lib/cpu";
import {
  procTableInit, procAlloc, procFreeSlot, pPid, pState, pSetState, pAffinity, pSetAffinity, pReplyPid, pSetReplyPid, pSetReplyCaller,
  pSetWait, pVruntime, pRunSeq, P_RUNNABLE, P_SLEEPING, W_EP_REPLY, W_SLEEP, NO_SLOT,
} from "../src/proc/proc";
import {
  schedInit, schedPickFor, schedMakeRunnable, schedSleep, schedSetPolicy, effectiveRank, ownRank, schedSetInherit,
  schedCharge, INHERIT_DEPTH_MAX,
} from "../src/sched/sched";

export {
  procAlloc, procFreeSlot, pPid, pState, pAffinity, pSetAffinity, pReplyPid, pVruntime, pRunSeq, schedPickFor, schedMakeRunnable,
  schedSetPolicy, effectiveRank, ownRank, schedSetInherit,
};

export function inheritDepthMax(): u32 { return INHERIT_DEPTH_MAX; }

export function setup(): i32 {
  cpuRecordsInit();
  if (framesInit() != 0) return -1;
  if (procTableInit() != 0) return -2;
  schedInit();
  return 0;
}

/** slot sleeps on a timer (any channel but a reply). */
export function sleep(slot: u32): void { schedSleep(slot, W_SLEEP, 0); }

/** client calls server: the server received it and owes the reply. */
export function call(client: u32, server: u32): void {
  pSetReplyCaller(server, client);
  schedSleep(client, W_EP_REPLY, server);
}

/** server replies: its caller runs again (ep_reply's effect on the two). */
export function reply(server: u32): u32 {
  const pid = pReplyPid(server);
  pSetReplyPid(server, 0);
  if (pid == 0) return NO_SLOT;
  for (let s: u32 = 0; s < 64; s++) {
    if (pPid(s) == pid && pState(s) == P_SLEEPING) { schedMakeRunnable(s); return s; }
  }
  return NO_SLOT;
}

/** Runs slot as the picked process would: charged `work` instructions. */
export function charge(slot: u32, work: u32): void { schedCharge(slot, <u64>work); }

export function runnable(slot: u32): bool { return pState(slot) == P_RUNNABLE; }
export function setSleepingRaw(slot: u32): void { pSetWait(slot, W_SLEEP, 0); pSetState(slot, P_SLEEPING); }
