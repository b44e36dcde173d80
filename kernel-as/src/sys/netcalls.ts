// The network card's native calls (240-242, docs/abi.md and
// docs/network.md): a process holding the card's device capability sends
// and receives raw Ethernet frames. Only init is given that capability (at
// INIT_NIC_SLOT) and it hands it to netd; everybody else reaches the network
// through netd. Each call decodes fully (capability, lengths, pointers)
// before it sends or takes a frame. Relies on dev/nic, sys/fd, sys/callargs,
// mm/vm, sched/sched.

import { KOBJ_DEVICE, RIGHT_READ, RIGHT_WRITE, CAP_ERR_NO_RIGHTS } from "../cap/codes";
import { objType } from "../cap/cap";
import { fdLookup, capErrText } from "./fd";
import { arg, argInt, fail, fail2 } from "./callargs";
import { copyin, copyout, VM_OK } from "../mm/vm";
import { schedSleep } from "../sched/sched";
import { W_NIC } from "../proc/proc";
import { SCRATCH_IO } from "../lib/layout";
import { BOOTINFO_BASE } from "../lib/layout";
import { bootU32, BI_CMDLINE_OFF, BI_CMDLINE_LEN } from "../arch/bootinfo";
import {
  nicReady, nicLinkUp, nicMacLo, nicMacHi, nicCounter, nicSend, nicPeek, nicPop, nicObject,
  NIC_FRAME_MIN, NIC_FRAME_MAX, NIC_COUNTERS, NIC_OK, NIC_ERR_LINK_DOWN,
} from "../dev/nic";

export const SYS_NIC_INFO: u32 = 240;
export const SYS_NIC_SEND: u32 = 241;
export const SYS_NIC_RECV: u32 = 242;
export const SYS_NIC_FIRST: u32 = SYS_NIC_INFO;
export const SYS_NIC_LAST: u32 = SYS_NIC_RECV;
/** The call put the caller to sleep until a frame arrives. */
export const NIC_CALL_BLOCKED: i64 = -0x7FFF_FFFD;

/** nic_recv flags: return 0 at once instead of waiting. */
const RECV_NOWAIT: i32 = 1;
/** struct nicinfo (user/include/user.h). */
const INFO_SIZE: u64 = 120;
const INFO_FLAGS: usize = 6;
const INFO_MTU: usize = 8;
const INFO_COUNTERS: usize = 16;
const INFO_ADDR: usize = 88;
const INFO_ADDR_MAX: u32 = 32;
const INFO_LINK: u16 = 1;
const MTU: u32 = 1500;

export function nicCall(slot: u32, num: u32): i64 {
  switch (num) {
    case SYS_NIC_INFO: return infoCall(slot);
    case SYS_NIC_SEND: return sendCall(slot);
    case SYS_NIC_RECV: return recvCall(slot);
    default: return fail(slot, "unknown native call");
  }
}

/** Argument 0 as the card's capability with `need`, or -1 with the reason. */
function card(slot: u32, need: u32, call: string): i64 {
  const found = fdLookup(slot, argInt(slot, 0), need);
  if (found < 0) {
    if (found == CAP_ERR_NO_RIGHTS) return fail2(slot, call, need == RIGHT_READ ? "capability lacks the Read right" : "capability lacks the Write right");
    return fail2(slot, call, capErrText(<i32>found));
  }
  if (objType(<usize>found) != KOBJ_DEVICE || <usize>found != nicObject()) return fail2(slot, call, "not a network card capability");
  if (!nicReady()) return fail2(slot, call, "the network card is not working");
  return found;
}

function infoCall(slot: u32): i64 {
  if (card(slot, RIGHT_READ, "nic_info: ") < 0) return -1;
  const out = SCRATCH_IO;
  memory.fill(out, 0, <usize>INFO_SIZE);
  store<u32>(out, nicMacLo());
  store<u16>(out + 4, <u16>nicMacHi());
  store<u16>(out + INFO_FLAGS, nicLinkUp() ? INFO_LINK : 0);
  store<u32>(out + INFO_MTU, MTU);
  for (let i: u32 = 0; i < NIC_COUNTERS; i++) store<u64>(out + INFO_COUNTERS + <usize>i * 8, <u64>nicCounter(i));
  cmdlineValue(out + INFO_ADDR);
  if (copyout(slot, arg(slot, 1), out, INFO_SIZE) != VM_OK) return fail(slot, "nic_info: bad pointer");
  return 0;
}

function sendCall(slot: u32): i64 {
  if (card(slot, RIGHT_WRITE, "nic_send: ") < 0) return -1;
  const len = argInt(slot, 2);
  if (len < <i32>NIC_FRAME_MIN || len > <i32>NIC_FRAME_MAX) return fail(slot, "nic_send: a frame is 14 to 1514 bytes");
  if (copyin(slot, SCRATCH_IO, arg(slot, 1), <u64>len) != VM_OK) return fail(slot, "nic_send: bad frame pointer");
  const r = nicSend(SCRATCH_IO, <u32>len);
  if (r == NIC_OK) return 0;
  return fail(slot, r == NIC_ERR_LINK_DOWN ? "nic_send: the link is down" : "nic_send: the card refused the frame");
}

/** nic_recv(cap, buf, len, flags): the next frame, its length returned;
 *  waits for one unless flags has RECV_NOWAIT (then 0 when none). The frame
 *  is taken only once it is in the caller's buffer. */
function recvCall(slot: u32): i64 {
  if (card(slot, RIGHT_READ, "nic_recv: ") < 0) return -1;
  const len = argInt(slot, 2);
  const flags = argInt(slot, 3);
  if ((flags & ~RECV_NOWAIT) != 0) return fail(slot, "nic_recv: unknown flags");
  if (len < <i32>NIC_FRAME_MAX) return fail(slot, "nic_recv: the buffer must hold 1514 bytes");
  const n = nicPeek(SCRATCH_IO);
  if (n == 0) {
    if ((flags & RECV_NOWAIT) != 0) return 0;
    schedSleep(slot, W_NIC, 0);
    return NIC_CALL_BLOCKED;
  }
  if (copyout(slot, arg(slot, 1), SCRATCH_IO, <u64>n) != VM_OK) return fail(slot, "nic_recv: bad buffer pointer");
  nicPop();
  return <i64>n;
}

/** The value of the first "ip=" word of the kernel command line, NUL-
 *  terminated, into out (at most INFO_ADDR_MAX - 1 bytes; "" when absent). */
function cmdlineValue(out: usize): void {
  const text = BOOTINFO_BASE + <usize>bootU32(BI_CMDLINE_OFF);
  const n = bootU32(BI_CMDLINE_LEN);
  let start: u32 = 0;
  while (start < n) {
    let end = start;
    while (end < n && load<u8>(text + <usize>end) != 0x20) end++;
    if (end - start > 3 && load<u8>(text + <usize>start) == 0x69 && load<u8>(text + <usize>start + 1) == 0x70 &&
        load<u8>(text + <usize>start + 2) == 0x3D) { // "ip="
      const len = min(end - start - 3, INFO_ADDR_MAX - 1);
      memory.copy(out, text + <usize>start + 3, <usize>len);
      store<u8>(out + <usize>len, 0);
      return;
    }
    start = end + 1;
  }
}
