// Block driver for the paravirtual block device (docs/fs-format.md, "Block
// device"). Layer: dev, below fs/bcache.ts. Relies on arch/imports (port
// I/O), arch/hw (BLOCK_BASE), mm/frames (the ring's frame) and its record at
// FS_STATE_BLK (fs/fsstate.ts).
//
// The device completes every ready request before the doorbell write
// returns, so each call here is synchronous: fill one ring slot, ring the
// doorbell, read the slot's status. There is one request in flight at a
// time, so the ring only ever holds the current request; its slots exist for
// a future asynchronous device. The completion interrupt still fires and is
// acknowledged by blkAck (the driver itself never waits for it).
//
// Buffers are physical addresses; a request of `count` blocks reads or
// writes count * 4096 contiguous bytes.

import { inl, outl } from "../arch/imports";
import { BLOCK_BASE } from "../arch/hw";
import { frameAlloc, frameZero, KIND_DEVICE } from "../mm/frames";
import { FS_STATE_BLK } from "../fs/fsstate";

// ---- Device registers (offsets from BLOCK_BASE) and constants -----------------

export const BLK_REG_MAGIC: u32 = 0x00;
export const BLK_REG_CAPACITY: u32 = 0x04;
export const BLK_REG_RING_BASE: u32 = 0x08;
export const BLK_REG_RING_SLOTS: u32 = 0x0C;
export const BLK_REG_DOORBELL: u32 = 0x10;
export const BLK_REG_STATUS: u32 = 0x14;
export const BLK_REG_COMPLETED: u32 = 0x18;

export const BLK_MAGIC: u32 = 0x4B4C424B; // "KBLK"
export const BLK_STATUS_READY: u32 = 1;
export const BLK_STATUS_IRQ: u32 = 2;
export const BLK_STATUS_POWER_OFF: u32 = 4;

export const BLK_OP_READ: u32 = 1;
export const BLK_OP_WRITE: u32 = 2;
export const BLK_OP_FLUSH: u32 = 3;

// Request slot status, written by the device.
const REQ_PENDING: u32 = 0;
const REQ_DONE: u32 = 1;
const REQ_IO_ERROR: u32 = 2;
const REQ_OUT_OF_RANGE: u32 = 3;

/** The disk's block size in bytes. */
export const BLK_SIZE: u32 = 4096;
export const BLK_SHIFT: u32 = 12;
/** Ring slots programmed into the device (a power of two, 1..256). */
export const BLK_RING_SLOTS: u32 = 16;
const SLOT_SIZE: usize = 32;
// Slot fields.
const SLOT_OP: usize = 0;
const SLOT_STATUS: usize = 4;
const SLOT_BLOCK: usize = 8;
const SLOT_BUFFER: usize = 16;
const SLOT_COUNT: usize = 24;
const SLOT_RESERVED: usize = 28;

// ---- Result codes ---------------------------------------------------------------

export const BLK_OK: i32 = 0;
/** No device answers at BLOCK_BASE, or blkInit has not succeeded. */
export const BLK_ERR_NO_DISK: i32 = -1;
/** The device reported an I/O error or a malformed request. */
export const BLK_ERR_IO: i32 = -2;
/** The request runs past the disk's capacity. */
export const BLK_ERR_RANGE: i32 = -3;
/** The host cut the device's power; nothing more is processed. */
export const BLK_ERR_POWER_OFF: i32 = -4;
/** No frame for the ring. */
export const BLK_ERR_NO_MEMORY: i32 = -5;
/** The device did not complete the request during the doorbell write. */
export const BLK_ERR_TIMEOUT: i32 = -6;

// ---- State ------------------------------------------------------------------------

@unmanaged class BlkState {
  /** 1 once blkInit succeeded. */
  ready: u32;
  capacity: u32;
  /** Physical address of the ring frame. */
  ring: u32;
  /** Free-running producer index (the next slot to fill). */
  produced: u32;
  /** Requests completed, failed, and interrupts acknowledged (for stats). */
  reads: u32;
  writes: u32;
  errors: u32;
  acks: u32;
}
// @ts-ignore: decorator
@inline function state(): BlkState { return changetype<BlkState>(FS_STATE_BLK); }

// @ts-ignore: decorator
@inline function reg(r: u32): u32 { return inl(BLOCK_BASE + r); }
// @ts-ignore: decorator
@inline function setReg(r: u32, v: u32): void { outl(BLOCK_BASE + r, v); }

// ---- Interface --------------------------------------------------------------------

/** Probes the device, allocates and programs the ring. Safe to call again
 *  (a second call reprograms the same ring). */
export function blkInit(): i32 {
  const s = state();
  s.ready = 0;
  if (reg(BLK_REG_MAGIC) != BLK_MAGIC) return BLK_ERR_NO_DISK;
  if ((reg(BLK_REG_STATUS) & BLK_STATUS_POWER_OFF) != 0) return BLK_ERR_POWER_OFF;
  if (s.ring == 0) {
    const ring = frameAlloc(0, KIND_DEVICE);
    if (ring == 0) return BLK_ERR_NO_MEMORY;
    frameZero(ring, 0);
    s.ring = <u32>ring;
  }
  s.capacity = reg(BLK_REG_CAPACITY);
  setReg(BLK_REG_RING_BASE, s.ring);
  setReg(BLK_REG_RING_SLOTS, BLK_RING_SLOTS);
  // Continue from the device's own completion index, so the first doorbell
  // names exactly one new request.
  s.produced = reg(BLK_REG_COMPLETED);
  s.ready = 1;
  return BLK_OK;
}

/** After a snapshot restore: true when the device agrees with this driver's
 *  record (a disk of the recorded size, our ring, no request outstanding);
 *  otherwise requests would go to a ring nobody reads, or block numbers
 *  checked against one size would reach a disk of another. */
export function blkMatchesDevice(): bool {
  const s = state();
  if (s.ready == 0) return true;
  return reg(BLK_REG_MAGIC) == BLK_MAGIC && reg(BLK_REG_CAPACITY) == s.capacity && reg(BLK_REG_RING_BASE) == s.ring &&
    reg(BLK_REG_RING_SLOTS) == BLK_RING_SLOTS && reg(BLK_REG_COMPLETED) == s.produced;
}

/** Disk size in blocks (0 before blkInit). */
export function blkCapacity(): u32 { return state().ready != 0 ? state().capacity : 0; }

export function blkReady(): bool { return state().ready != 0; }

/** Reads `count` blocks starting at `block` into the physical buffer dst. */
export function blkRead(block: u32, dst: usize, count: u32): i32 {
  const r = checkRange(block, count);
  if (r != BLK_OK) return r;
  state().reads += count;
  return submit(BLK_OP_READ, block, dst, count);
}

/** Writes `count` blocks from src; durable once this returns BLK_OK. */
export function blkWrite(block: u32, src: usize, count: u32): i32 {
  const r = checkRange(block, count);
  if (r != BLK_OK) return r;
  state().writes += count;
  return submit(BLK_OP_WRITE, block, src, count);
}

/** Asks the device to make every completed write durable. */
export function blkFlush(): i32 {
  if (state().ready == 0) return BLK_ERR_NO_DISK;
  return submit(BLK_OP_FLUSH, 0, 0, 0);
}

/** Acknowledges the completion interrupt (write-1-to-clear STATUS bit 1). */
export function blkAck(): void {
  if (state().ready == 0) return;
  setReg(BLK_REG_STATUS, BLK_STATUS_IRQ);
  state().acks++;
}

export function blkErrors(): u32 { return state().errors; }
export function blkBlocksRead(): u32 { return state().reads; }
export function blkBlocksWritten(): u32 { return state().writes; }

// ---- Requests ---------------------------------------------------------------------

function checkRange(block: u32, count: u32): i32 {
  const s = state();
  if (s.ready == 0) return BLK_ERR_NO_DISK;
  if (count == 0 || <u64>block + <u64>count > <u64>s.capacity) return BLK_ERR_RANGE;
  return BLK_OK;
}

/** Fills the next slot, rings the doorbell and reads the outcome. */
function submit(op: u32, block: u32, buffer: usize, count: u32): i32 {
  const s = state();
  const slot = <usize>s.ring + <usize>(s.produced & (BLK_RING_SLOTS - 1)) * SLOT_SIZE;
  store<u32>(slot + SLOT_OP, op);
  store<u32>(slot + SLOT_STATUS, REQ_PENDING);
  store<u64>(slot + SLOT_BLOCK, <u64>block);
  store<u64>(slot + SLOT_BUFFER, <u64>buffer);
  store<u32>(slot + SLOT_COUNT, op == BLK_OP_FLUSH ? 1 : count);
  store<u32>(slot + SLOT_RESERVED, 0);
  s.produced++;
  setReg(BLK_REG_DOORBELL, s.produced);
  const status = load<u32>(slot + SLOT_STATUS);
  if (status == REQ_DONE) return BLK_OK;
  s.errors++;
  if ((reg(BLK_REG_STATUS) & BLK_STATUS_POWER_OFF) != 0) return BLK_ERR_POWER_OFF;
  if (status == REQ_PENDING) {
    // The device ignored the doorbell: take our index back to its own, so
    // the next doorbell does not name this dead request again.
    s.produced = reg(BLK_REG_COMPLETED);
    return BLK_ERR_TIMEOUT;
  }
  if (status == REQ_OUT_OF_RANGE) return BLK_ERR_RANGE;
  if (status == REQ_IO_ERROR) return BLK_ERR_IO;
  return BLK_ERR_IO;
}
