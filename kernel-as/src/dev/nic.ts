// Driver for the paravirtual NIC (docs/network.md, "The NIC"). Layer: dev,
// below sys/netcalls.ts. Relies on arch/imports (port I/O), arch/hw
// (NIC_BASE), mm/frames (rings and buffers) and cap/ (the card's device
// object). State lives at KSTATE_NET.
//
// Transmit is synchronous: copy the frame into the next TX slot's buffer,
// ring the doorbell, read the slot's status (the device sends during the
// doorbell write). Receive: every RX slot always holds a posted 2 KiB
// buffer; the driver takes filled slots in order (nicPeek copies the next
// frame without taking it, nicPop takes it and posts its buffer again), so
// a caller whose user buffer turns out to be bad loses nothing. The
// receive interrupt (a level) is cleared at the device by nicInterrupt,
// which tells the caller whether frames are waiting so it can wake readers.

import { inl, outl } from "../arch/imports";
import { NIC_BASE } from "../arch/hw";
import { frameAlloc, frameFree, frameZero, KIND_DEVICE } from "../mm/frames";
import { KSTATE_NET } from "../lib/layout";
import { objInit, objType, objRetire, capInsertRoot } from "../cap/cap";
import { KOBJ_DEVICE, RIGHT_READ, RIGHT_WRITE, RIGHT_GRANT, RIGHT_DELEGATE } from "../cap/codes";

// ---- Device registers (offsets from NIC_BASE) and constants -------------------

const REG_MAGIC: u32 = 0x00;
const REG_MAC_LO: u32 = 0x04;
const REG_MAC_HI: u32 = 0x08;
const REG_STATUS: u32 = 0x0C;
const REG_CTRL: u32 = 0x10;
const REG_TX_BASE: u32 = 0x14;
const REG_TX_SLOTS: u32 = 0x18;
const REG_TX_DOORBELL: u32 = 0x1C;
const REG_TX_DONE: u32 = 0x20;
const REG_RX_BASE: u32 = 0x24;
const REG_RX_SLOTS: u32 = 0x28;
const REG_RX_AVAIL: u32 = 0x2C;
const REG_RX_USED: u32 = 0x30;
const REG_COUNTER_SELECT: u32 = 0x34;
const REG_COUNTER: u32 = 0x38;

const NIC_MAGIC: u32 = 0x43494E4B; // "KNIC"
const STATUS_LINK: u32 = 1;
const STATUS_RX: u32 = 2;
const STATUS_TX: u32 = 4;
const CTRL_RX_ENABLE: u32 = 1;
const CTRL_IRQ_ENABLE: u32 = 2;

const SLOT_SIZE: usize = 16;
const SLOT_BUFFER: usize = 0;
const SLOT_LENGTH: usize = 8;
const SLOT_STATUS: usize = 12;
const SLOT_DONE: u32 = 1;
const SLOT_LINK_DOWN: u32 = 4;

/** Ring sizes (powers of two) and the buffer behind each slot. */
const TX_SLOTS: u32 = 8;
const RX_SLOTS: u32 = 16;
const BUF_SIZE: usize = 2048;
/** 2^order frames of buffers: 8 x 2 KiB and 16 x 2 KiB. */
const TX_BUF_ORDER: u32 = 2;
const RX_BUF_ORDER: u32 = 3;

/** Frame lengths the card carries: an Ethernet header up to a 1500-byte payload. */
export const NIC_FRAME_MIN: u32 = 14;
export const NIC_FRAME_MAX: u32 = 1514;
/** Device counters (COUNTER_SELECT 0..NIC_COUNTERS-1, docs/network.md). */
export const NIC_COUNTERS: u32 = 9;

// ---- Result codes ---------------------------------------------------------------

export const NIC_OK: i32 = 0;
/** No card answers at NIC_BASE, or nicInit has not succeeded. */
export const NIC_ERR_NO_DEVICE: i32 = -1;
export const NIC_ERR_NO_MEMORY: i32 = -2;
/** The card has no link: the frame was not sent. */
export const NIC_ERR_LINK_DOWN: i32 = -3;
/** The card refused the frame or ignored the doorbell. */
export const NIC_ERR_IO: i32 = -4;

// ---- State ------------------------------------------------------------------------

@unmanaged class NicState {
  ready: u32;
  macLo: u32;
  macHi: u32;
  txRing: u32;
  rxRing: u32;
  txBufs: u32;
  rxBufs: u32;
  /** Free-running indices: TX slots filled, RX buffers posted, RX slots taken. */
  txProduced: u32;
  rxPosted: u32;
  rxTaken: u32;
  /** Receive slots the device marked bad (skipped), and interrupts taken. */
  rxBad: u32;
  interrupts: u32;
}
/** The card's device object (16-byte header) for capabilities. */
const NIC_OBJECT: usize = KSTATE_NET + 0x100;

// @ts-ignore: decorator
@inline function state(): NicState { return changetype<NicState>(KSTATE_NET); }
// @ts-ignore: decorator
@inline function reg(r: u32): u32 { return inl(NIC_BASE + r); }
// @ts-ignore: decorator
@inline function setReg(r: u32, v: u32): void { outl(NIC_BASE + r, v); }

// ---- Interface --------------------------------------------------------------------

/** Probes the card, allocates and programs both rings, posts every receive
 *  buffer and enables receive and the interrupt. */
export function nicInit(): i32 {
  const s = state();
  s.ready = 0;
  if (reg(REG_MAGIC) != NIC_MAGIC) return NIC_ERR_NO_DEVICE;
  if (s.txRing == 0) {
    const tx = frameAlloc(0, KIND_DEVICE);
    const rx = frameAlloc(0, KIND_DEVICE);
    const txb = frameAlloc(TX_BUF_ORDER, KIND_DEVICE);
    const rxb = frameAlloc(RX_BUF_ORDER, KIND_DEVICE);
    if (tx == 0 || rx == 0 || txb == 0 || rxb == 0) {
      if (tx != 0) frameFree(tx, 0);
      if (rx != 0) frameFree(rx, 0);
      if (txb != 0) frameFree(txb, TX_BUF_ORDER);
      if (rxb != 0) frameFree(rxb, RX_BUF_ORDER);
      return NIC_ERR_NO_MEMORY;
    }
    frameZero(tx, 0);
    frameZero(rx, 0);
    s.txRing = <u32>tx; s.rxRing = <u32>rx; s.txBufs = <u32>txb; s.rxBufs = <u32>rxb;
  }
  s.macLo = reg(REG_MAC_LO);
  s.macHi = reg(REG_MAC_HI);
  setReg(REG_TX_BASE, s.txRing);
  setReg(REG_TX_SLOTS, TX_SLOTS);
  setReg(REG_RX_BASE, s.rxRing);
  setReg(REG_RX_SLOTS, RX_SLOTS);
  s.txProduced = reg(REG_TX_DONE);
  s.rxTaken = reg(REG_RX_USED);
  s.rxPosted = s.rxTaken;
  for (let i: u32 = 0; i < RX_SLOTS; i++) postSlot(s.rxPosted++);
  setReg(REG_RX_AVAIL, s.rxPosted);
  setReg(REG_CTRL, CTRL_RX_ENABLE | CTRL_IRQ_ENABLE);
  s.ready = 1;
  return NIC_OK;
}

export function nicReady(): bool { return state().ready != 0; }
export function nicLinkUp(): bool { return nicReady() && (reg(REG_STATUS) & STATUS_LINK) != 0; }
/** MAC bytes 0-3 (byte 0 lowest) and 4-5. */
export function nicMacLo(): u32 { return state().macLo; }
export function nicMacHi(): u32 { return state().macHi; }

/** Device counter i (docs/network.md), 0 when there is no card. */
export function nicCounter(i: u32): u32 {
  if (!nicReady() || i >= NIC_COUNTERS) return 0;
  setReg(REG_COUNTER_SELECT, i);
  return reg(REG_COUNTER);
}

/** Sends the len-byte frame at physical src (NIC_FRAME_MIN..NIC_FRAME_MAX, checked by the caller). */
export function nicSend(src: usize, len: u32): i32 {
  const s = state();
  if (s.ready == 0) return NIC_ERR_NO_DEVICE;
  if (len < NIC_FRAME_MIN || len > NIC_FRAME_MAX) return NIC_ERR_IO;
  const k = s.txProduced & (TX_SLOTS - 1);
  const slot = <usize>s.txRing + <usize>k * SLOT_SIZE;
  const buf = <usize>s.txBufs + <usize>k * BUF_SIZE;
  memory.copy(buf, src, <usize>len);
  store<u64>(slot + SLOT_BUFFER, <u64>buf);
  store<u32>(slot + SLOT_LENGTH, len);
  store<u32>(slot + SLOT_STATUS, 0);
  s.txProduced++;
  setReg(REG_TX_DOORBELL, s.txProduced);
  if (reg(REG_TX_DONE) != s.txProduced) {
    // The doorbell was ignored (the card lost its ring: reset under us):
    // program the ring again and take the card's index, so the next send works.
    setReg(REG_TX_BASE, s.txRing);
    setReg(REG_TX_SLOTS, TX_SLOTS);
    s.txProduced = reg(REG_TX_DONE);
    return NIC_ERR_IO;
  }
  const status = load<u32>(slot + SLOT_STATUS);
  if (status == SLOT_DONE) return NIC_OK;
  return status == SLOT_LINK_DOWN ? NIC_ERR_LINK_DOWN : NIC_ERR_IO;
}

/** Copies the next received frame to physical dst (room for NIC_FRAME_MAX
 *  bytes) without taking it; returns its length, or 0 when none waits.
 *  Slots the device marked bad are taken and skipped. */
export function nicPeek(dst: usize): u32 {
  const s = state();
  if (s.ready == 0) return 0;
  const used = reg(REG_RX_USED);
  if (used - s.rxTaken > RX_SLOTS) {
    // The card claims more filled slots than the ring has: it was reset or
    // replaced under the driver (a snapshot restored onto another card, say).
    // Start over from its indices rather than walk a ring that is not there.
    nicInit();
    return 0;
  }
  while (s.rxTaken != used) {
    const k = s.rxTaken & (RX_SLOTS - 1);
    const slot = <usize>s.rxRing + <usize>k * SLOT_SIZE;
    const len = load<u32>(slot + SLOT_LENGTH);
    if (load<u32>(slot + SLOT_STATUS) == SLOT_DONE && len >= NIC_FRAME_MIN && len <= NIC_FRAME_MAX) {
      memory.copy(dst, <usize>s.rxBufs + <usize>k * BUF_SIZE, <usize>len);
      return len;
    }
    s.rxBad++;
    nicPop();
  }
  return 0;
}

/** Takes the frame nicPeek returned and posts its buffer again. */
export function nicPop(): void {
  const s = state();
  if (s.ready == 0 || s.rxTaken == reg(REG_RX_USED)) return;
  s.rxTaken++;
  postSlot(s.rxPosted++);
  setReg(REG_RX_AVAIL, s.rxPosted);
}

/** The receive/transmit interrupt: clears it at the device. Returns true
 *  when received frames wait (the caller wakes readers). */
export function nicInterrupt(): bool {
  const s = state();
  if (s.ready == 0) return false;
  setReg(REG_STATUS, STATUS_RX | STATUS_TX);
  s.interrupts++;
  return s.rxTaken != reg(REG_RX_USED);
}

/** Gives the card's device capability (read, write, grant, delegate) to
 *  cspace cs at `slot`, when there is a card. */
export function nicGrant(cs: usize, slot: u32): void {
  if (state().ready == 0) return;
  if (objType(NIC_OBJECT) != KOBJ_DEVICE && objInit(NIC_OBJECT, KOBJ_DEVICE) < 0) return;
  capInsertRoot(cs, slot, NIC_OBJECT, KOBJ_DEVICE, RIGHT_READ | RIGHT_WRITE | RIGHT_GRANT | RIGHT_DELEGATE, 0);
}

/** The card's device object, for checking capabilities. */
export function nicObject(): usize { return NIC_OBJECT; }

/** The last capability to the card went: the object is retired (a later
 *  grant makes it again). */
export function nicObjectRelease(obj: usize): void {
  if (obj == NIC_OBJECT) objRetire(obj);
}

// ---- Ring slots --------------------------------------------------------------------

/** Posts RX slot `index` (free-running) with its buffer. */
function postSlot(index: u32): void {
  const s = state();
  const k = index & (RX_SLOTS - 1);
  const slot = <usize>s.rxRing + <usize>k * SLOT_SIZE;
  store<u64>(slot + SLOT_BUFFER, <u64>(<usize>s.rxBufs + <usize>k * BUF_SIZE));
  store<u32>(slot + SLOT_LENGTH, <u32>BUF_SIZE);
  store<u32>(slot + SLOT_STATUS, 0);
}
