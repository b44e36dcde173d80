// IPC endpoints and notifications (docs/ipc.md).
//
// An endpoint is a rendezvous: a send or call waits until a receiver comes,
// a receive until a sender comes, in FIFO order. The message — four words,
// up to 4 KiB of inline bytes and optionally one capability — is copied
// straight from the sender's memory to the receiver's through their page
// tables, and the partner that was waiting has its system call completed by
// the one that arrives (its a0 set, its pc moved past the ecall, made
// runnable): no kernel buffer queues, no extra switch. A call then waits for
// the reply the server sends with reply or reply-and-receive; a server that
// dies owing a reply completes its caller with -1, and a reply to a caller
// that has gone fails.
//
// A notification is a word of bits: signal ORs bits in and wakes waiters;
// wait takes and clears them (blocking while there are none); poll does not
// block.
// Relies on: cap/cap (objects), proc/proc, sched/sched, mm/vm, machine/hart.

import { kmalloc, kfree } from "../mm/slab";
import { objInit, objRetire, capLookup, capCopy, capNodeBadge, cspaceFreeSlot, OBJ_HEADER_SIZE } from "../cap/cap";
import { KOBJ_ENDPOINT, KOBJ_NOTIFICATION, RIGHT_GRANT, RIGHT_DELEGATE } from "../cap/codes";
import {
  MAX_PROCS, NO_SLOT, P_SLEEPING, W_EP_SEND, W_EP_RECV, W_EP_CALL, W_EP_REPLY, W_NTFN, procTable, procByTid, pState,
  pWaitKind, pWaitObj, pWaitSeq, pSetWaitSeq, pCtx, pCspace, pPid, pReplyPid, pSetReplyPid, pSetReplyCaller,
} from "../proc/proc";
import { fail } from "../sys/callargs";
import { schedSleep, schedMakeRunnable, wakeup } from "../sched/sched";
import { copyin, copyout, VM_OK } from "../mm/vm";
import { hartGetReg, hartSetReg, hartGetPc, hartSetPc } from "../machine/hart";
import { timeNowNs } from "../arch/timer";
import { SCRATCH_IO } from "../lib/layout";

/** The user's struct ipcmsg (docs/abi.md), 64 bytes. */
export const MSG_SIZE: u64 = 64;
const M_BADGE: usize = 0;   // u64, out
const M_WORDS: usize = 8;   // u64[4]
const M_LEN: usize = 40;    // u32 bytes in buf
const M_CAP: usize = 44;    // i32 in: slot to pass (-1 none); out: slot it arrived in (-1 none)
const M_BUF: usize = 48;    // u64 pointer
const M_BUFSIZE: usize = 56; // u32 receive capacity
export const MSG_MAX_BYTES: u32 = 4096;
const FIRST_NON_UNIX_SLOT: u32 = 16;

export const IPC_OK: i32 = 0;
export const IPC_ERR_FAULT: i32 = -1;     // a bad message pointer
export const IPC_ERR_TOO_BIG: i32 = -2;   // more than 4 KiB
export const IPC_ERR_NO_GRANT: i32 = -3;  // the passed capability lacks Grant or Delegate
export const IPC_ERR_NO_SLOT: i32 = -4;   // the receiver has no free slot for it

// Kernel staging: the sender's header, the receiver's header, the bytes.
const SEND_HDR: usize = SCRATCH_IO;
const RECV_HDR: usize = SCRATCH_IO + 64;
const BYTES: usize = SCRATCH_IO + 128;

// Objects: the capability layer's header, then the kind's own fields.
const N_BITS: usize = OBJ_HEADER_SIZE; // notification: u64 pending bits
const OBJECT_SIZE: u32 = <u32>OBJ_HEADER_SIZE + 16;

export function endpointCreate(): usize {
  const ep = kmalloc(OBJECT_SIZE);
  if (ep == 0) return 0;
  memory.fill(ep, 0, <usize>OBJECT_SIZE);
  objInit(ep, KOBJ_ENDPOINT);
  return ep;
}

export function notificationCreate(): usize {
  const n = kmalloc(OBJECT_SIZE);
  if (n == 0) return 0;
  memory.fill(n, 0, <usize>OBJECT_SIZE);
  objInit(n, KOBJ_NOTIFICATION);
  return n;
}

/** Completes slot's pending system call with `result` (it was asleep on an
 *  ecall that another process has now carried out). */
export function completeCall(slot: u32, result: i64): void {
  const ctx = pCtx(slot);
  hartSetReg(ctx, 10, <u64>result);
  hartSetPc(ctx, hartGetPc(ctx) + 4);
  schedMakeRunnable(slot);
}

/** Leaves a reason in another process's error string (its call fails). */
function setError(slot: u32, reason: string): void { fail(slot, reason); }

/** The last capability to an endpoint or notification went: everyone
 *  waiting on it gets -1 (a send, call or receive on a dead endpoint). */
export function ipcObjectDestroy(obj: usize): void {
  for (let s: u32 = 0; s < MAX_PROCS; s++) {
    if (pState(s) != P_SLEEPING || pWaitObj(s) != <u32>obj) continue;
    const kind = pWaitKind(s);
    if (kind == W_EP_SEND || kind == W_EP_RECV || kind == W_EP_CALL || kind == W_NTFN) {
      setError(s, "ipc: the endpoint or notification was destroyed");
      completeCall(s, -1);
    }
  }
  objRetire(obj);
  kfree(obj);
}

/** The process waiting longest on (kind, obj), or NO_SLOT. */
function oldestWaiter(kind: u32, kind2: u32, obj: usize): u32 {
  let best = NO_SLOT;
  let bestSeq: u64 = 0;
  for (let s: u32 = 0; s < MAX_PROCS; s++) {
    if (pState(s) != P_SLEEPING || pWaitObj(s) != <u32>obj) continue;
    const k = pWaitKind(s);
    if (k != kind && k != kind2) continue;
    if (best == NO_SLOT || pWaitSeq(s) < bestSeq) { best = s; bestSeq = pWaitSeq(s); }
  }
  return best;
}

function sleepOn(slot: u32, kind: u32, obj: usize): void {
  const t = procTable();
  t.waitSeq++;
  pSetWaitSeq(slot, t.waitSeq);
  schedSleep(slot, kind, <u32>obj);
}

/** Reads the sender's message into kernel staging and checks it can be
 *  delivered; nothing has moved yet. */
function stageSend(from: u32, msgVa: u64): i32 {
  if (copyin(from, SEND_HDR, msgVa, MSG_SIZE) != VM_OK) return IPC_ERR_FAULT;
  const len = load<u32>(SEND_HDR + M_LEN);
  if (len > MSG_MAX_BYTES) return IPC_ERR_TOO_BIG;
  if (len > 0 && copyin(from, BYTES, load<u64>(SEND_HDR + M_BUF), <u64>len) != VM_OK) return IPC_ERR_FAULT;
  const cap = load<i32>(SEND_HDR + M_CAP);
  if (cap >= 0 && capLookup(pCspace(from), <u32>cap, timeNowNs(), RIGHT_GRANT | RIGHT_DELEGATE) < 0) return IPC_ERR_NO_GRANT;
  return IPC_OK;
}

/** Delivers the staged message to `to` (its struct ipcmsg at msgVa) with the
 *  sender's badge. Returns IPC_OK or why the receiver could not take it (the
 *  receiver is then completed with -1 by the caller). */
function deliver(from: u32, to: u32, msgVa: u64, badge: u64): i32 {
  if (copyin(to, RECV_HDR, msgVa, MSG_SIZE) != VM_OK) return IPC_ERR_FAULT;
  const len = load<u32>(SEND_HDR + M_LEN);
  const room = load<u32>(RECV_HDR + M_BUFSIZE);
  const n = min<u32>(len, room);
  if (n > 0 && copyout(to, load<u64>(RECV_HDR + M_BUF), BYTES, <u64>n) != VM_OK) return IPC_ERR_FAULT;
  let arrived: i32 = -1;
  const cap = load<i32>(SEND_HDR + M_CAP);
  if (cap >= 0) {
    const dst = cspaceFreeSlot(pCspace(to), FIRST_NON_UNIX_SLOT);
    if (dst < 0) return IPC_ERR_NO_SLOT;
    arrived = capCopy(pCspace(from), <u32>cap, pCspace(to), <u32>dst, timeNowNs());
    if (arrived < 0) return IPC_ERR_NO_GRANT;
  }
  store<u64>(RECV_HDR + M_BADGE, badge);
  memory.copy(RECV_HDR + M_WORDS, SEND_HDR + M_WORDS, 32);
  store<u32>(RECV_HDR + M_LEN, n);
  store<i32>(RECV_HDR + M_CAP, arrived);
  return copyout(to, msgVa, RECV_HDR, MSG_SIZE) == VM_OK ? IPC_OK : IPC_ERR_FAULT;
}

/** The badge of the capability a blocked sender used (its a0). */
function senderBadge(sender: u32): u64 {
  const n = capLookup(pCspace(sender), <u32>hartGetReg(pCtx(sender), 10), 0, 0);
  return n > 0 ? capNodeBadge(<usize>n) : 0;
}

export const EP_DONE: i32 = 0;
export const EP_BLOCKED: i32 = 1;

/** send (call = false) or call on endpoint ep through a capability with
 *  `badge`. Returns EP_DONE (a0 already decided by the caller: 0), EP_BLOCKED,
 *  or a negative IPC_ERR_* for the caller. */
export function epSend(slot: u32, ep: usize, msgVa: u64, badge: u64, call: bool): i32 {
  const staged = stageSend(slot, msgVa);
  if (staged != IPC_OK) return staged;
  const receiver = oldestWaiter(W_EP_RECV, W_EP_RECV, ep);
  if (receiver == NO_SLOT) {
    sleepOn(slot, call ? W_EP_CALL : W_EP_SEND, ep);
    return EP_BLOCKED;
  }
  const r = deliver(slot, receiver, hartGetReg(pCtx(receiver), 11), badge);
  if (r != IPC_OK) {
    setError(receiver, "ipc: a message could not be delivered to this receive buffer");
    completeCall(receiver, -1);
    return r;
  }
  completeCall(receiver, 0);
  if (call) {
    pSetReplyCaller(receiver, slot);
    sleepOn(slot, W_EP_REPLY, <usize>receiver);
    return EP_BLOCKED;
  }
  return EP_DONE;
}

/** receive on ep into the struct at msgVa. */
export function epRecv(slot: u32, ep: usize, msgVa: u64): i32 {
  const sender = oldestWaiter(W_EP_SEND, W_EP_CALL, ep);
  if (sender == NO_SLOT) {
    sleepOn(slot, W_EP_RECV, ep);
    return EP_BLOCKED;
  }
  const isCall = pWaitKind(sender) == W_EP_CALL;
  const staged = stageSend(sender, hartGetReg(pCtx(sender), 11));
  const r = staged != IPC_OK ? staged : deliver(sender, slot, msgVa, senderBadge(sender));
  if (r != IPC_OK) {
    // The sender's message is bad (its fault) or our buffer is (ours): both
    // hear about it; the sender's call ends.
    setError(sender, "ipc: the message could not be delivered");
    completeCall(sender, -1);
    return r;
  }
  if (isCall) {
    pSetReplyCaller(slot, sender);
    sleepOn(sender, W_EP_REPLY, <usize>slot);
  } else {
    completeCall(sender, 0);
  }
  return EP_DONE;
}

export const REPLY_NO_CALLER: i32 = -10;

/** reply to the caller slot owes, from the struct at msgVa. */
export function epReply(slot: u32, msgVa: u64): i32 {
  const pid = pReplyPid(slot);
  if (pid == 0) return REPLY_NO_CALLER;
  pSetReplyPid(slot, 0);
  const caller = procByTid(pid);
  if (caller == NO_SLOT || pState(caller) != P_SLEEPING || pWaitKind(caller) != W_EP_REPLY || pWaitObj(caller) != slot) {
    return REPLY_NO_CALLER;
  }
  const staged = stageSend(slot, msgVa);
  const r = staged != IPC_OK ? staged : deliver(slot, caller, hartGetReg(pCtx(caller), 11), 0);
  if (r != IPC_OK) {
    setError(caller, "ipc: the reply could not be delivered");
    completeCall(caller, -1);
    return r;
  }
  completeCall(caller, 0);
  return IPC_OK;
}

/** A process is ending: whoever waits on it for a reply hears -1. */
export function ipcProcessGone(slot: u32): void {
  for (let s: u32 = 0; s < MAX_PROCS; s++) {
    if (pState(s) == P_SLEEPING && pWaitKind(s) == W_EP_REPLY && pWaitObj(s) == slot) {
      setError(s, "ipc: the server died before replying");
      completeCall(s, -1);
    }
  }
  pSetReplyPid(slot, 0);
}

// ---- Notifications ----

export function ntfnSignal(n: usize, bits: u64): void {
  store<u64>(n + N_BITS, load<u64>(n + N_BITS) | bits);
  wakeup(W_NTFN, <u32>n); // waiters run their wait again and take the bits
}

/** Takes and clears the pending bits (0 if none). */
export function ntfnTake(n: usize): u64 {
  const bits = load<u64>(n + N_BITS);
  store<u64>(n + N_BITS, 0);
  return bits;
}

export function ntfnBlock(slot: u32, n: usize): void { sleepOn(slot, W_NTFN, n); }
