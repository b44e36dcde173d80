// Block cache: NBUF buffers of one disk block each, shared by every reader
// of a block, kept in least-recently-used order. Layer: fs, lowest; above
// dev/blk.ts, below fs/log.ts. State: FS_STATE_BCACHE (fs/fsstate.ts); the
// header table and hash heads live in one frame block, each buffer's data
// in its own frame (KIND_FILECACHE), all allocated once by bcacheInit.
//
// A buffer is named by its header's address ("buf"). Ownership:
//   * refs  — callers between bread/bnew and brelse. A referenced buffer
//             keeps its block; any number of holders may share it (one
//             vCPU, and no file-system path ever yields mid-operation).
//   * pins  — the log holds a pin on every buffer of the open transaction
//             until it is installed, so a logged block's new contents never
//             leave the cache before they reach the disk.
// Only a buffer with refs == 0 and pins == 0 may be recycled; when there is
// none, bread answers FS_ERR_NOBUF instead of panicking.
//
// Failure results: bread/bnew return a buf, or a value below BUF_ERR_LIMIT
// that is a negated FS_ERR_* code (bufFailed / bufError decode it). Buffer
// headers are far above the null page, so the two never collide.

import { frameAlloc, frameZero, KIND_FILECACHE, KIND_FSTABLE } from "../mm/frames";
import { blkRead, blkWrite, BLK_OK, BLK_ERR_NO_DISK, BLK_SIZE } from "../dev/blk";
import { FS_STATE_BCACHE, FS_ERR_NOBUF, FS_ERR_IO, FS_ERR_NODISK, FS_ERR_NOMEM, FS_OK } from "./fsstate";

// ---- Limits ---------------------------------------------------------------------

/** Buffers in the cache: a full transaction (MAXOPBLOCKS in fs/log.ts, 256)
 *  stays pinned, with BCACHE_SPARE more for the operation's own reads. */
export const NBUF: u32 = 288;
export const BCACHE_SPARE: u32 = 32;
/** Hash buckets over block numbers (a power of two). */
export const BCACHE_BUCKETS: u32 = 128;
/** Handles below this are negated error codes. */
export const BUF_ERR_LIMIT: usize = 4096;
const NIL: u32 = 0xFFFF_FFFF;

// ---- Header layout (32 bytes at table + index * 32) -------------------------------

const H_BLOCK: usize = 0;   // u32 disk block
const H_DATA: usize = 4;    // u32 physical address of the 4 KiB data frame
const H_REFS: usize = 8;    // u32
const H_PINS: usize = 12;   // u32
const H_FLAGS: usize = 16;  // u32 BUF_VALID
const H_PREV: usize = 20;   // u32 LRU neighbour towards the head (more recent), NIL ends
const H_NEXT: usize = 24;   // u32 LRU neighbour towards the tail
const H_HNEXT: usize = 28;  // u32 next in the hash chain
const HEADER_SIZE: usize = 32;
const HEADER_SHIFT: usize = 5;
/** The header table and bucket heads fit in 2^TABLE_ORDER frames. */
const TABLE_ORDER: u32 = 2;

/** The data holds the block's contents. */
const BUF_VALID: u32 = 1;
/** Block number of a buffer that holds no block. */
const NO_BLOCK: u32 = 0xFFFF_FFFF;

@unmanaged class BcacheState {
  /** Header table; bucket heads (u32 indices) follow the NBUF headers. */
  table: u32;
  ready: u32;
  /** LRU list ends: head = most recently released. */
  head: u32;
  tail: u32;
  hits: u32;
  misses: u32;
  /** bread/bnew calls that found every buffer busy. */
  exhausted: u32;
}
// @ts-ignore: decorator
@inline function state(): BcacheState { return changetype<BcacheState>(FS_STATE_BCACHE); }

// ---- Header accessors --------------------------------------------------------------

// @ts-ignore: decorator
@inline function hdr(i: u32): usize { return <usize>state().table + (<usize>i << HEADER_SHIFT); }
// @ts-ignore: decorator
@inline function indexOf(buf: usize): u32 { return <u32>((buf - <usize>state().table) >> HEADER_SHIFT); }
// @ts-ignore: decorator
@inline function getU(b: usize, f: usize): u32 { return load<u32>(b + f); }
// @ts-ignore: decorator
@inline function setU(b: usize, f: usize, v: u32): void { store<u32>(b + f, v); }
// @ts-ignore: decorator
@inline function bucketAddr(block: u32): usize {
  return <usize>state().table + <usize>NBUF * HEADER_SIZE + (<usize>(block & (BCACHE_BUCKETS - 1)) << 2);
}

/** The buffer's 4 KiB of data. */
export function bufData(buf: usize): usize { return <usize>load<u32>(buf + H_DATA); }
/** The disk block the buffer holds. */
export function bufBlock(buf: usize): u32 { return load<u32>(buf + H_BLOCK); }
export function bufRefs(buf: usize): u32 { return load<u32>(buf + H_REFS); }
export function bufPins(buf: usize): u32 { return load<u32>(buf + H_PINS); }
/** True when a bread/bnew result is an error code, not a buffer. */
// @ts-ignore: decorator
@inline export function bufFailed(buf: usize): bool { return buf < BUF_ERR_LIMIT; }
/** The FS_ERR_* code a failed bread/bnew carries. */
// @ts-ignore: decorator
@inline export function bufError(buf: usize): i32 { return -<i32>buf; }
// @ts-ignore: decorator
@inline function failWith(code: i32): usize { return <usize>(-code); }

// ---- Init ------------------------------------------------------------------------------

/** Allocates the header table and NBUF data frames; every buffer starts
 *  empty. A second call only empties the cache (used at mount). */
export function bcacheInit(): i32 {
  const s = state();
  if (s.ready == 0) {
    const table = frameAlloc(TABLE_ORDER, KIND_FSTABLE);
    if (table == 0) return FS_ERR_NOMEM;
    frameZero(table, TABLE_ORDER);
    s.table = <u32>table;
    for (let i: u32 = 0; i < NBUF; i++) {
      const data = frameAlloc(0, KIND_FILECACHE);
      if (data == 0) return FS_ERR_NOMEM; // the frames taken so far stay with the cache
      setU(hdr(i), H_DATA, <u32>data);
    }
    s.ready = 1;
  }
  bcacheEmpty();
  return FS_OK;
}

/** Forgets every cached block (nothing may be referenced or pinned). */
function bcacheEmpty(): void {
  const s = state();
  for (let k: u32 = 0; k < BCACHE_BUCKETS; k++) store<u32>(bucketAddr(k), NIL);
  for (let i: u32 = 0; i < NBUF; i++) {
    const b = hdr(i);
    setU(b, H_BLOCK, NO_BLOCK);
    setU(b, H_REFS, 0);
    setU(b, H_PINS, 0);
    setU(b, H_FLAGS, 0);
    setU(b, H_PREV, i == 0 ? NIL : i - 1);
    setU(b, H_NEXT, i == NBUF - 1 ? NIL : i + 1);
    setU(b, H_HNEXT, NIL);
  }
  s.head = 0;
  s.tail = NBUF - 1;
  s.hits = 0; s.misses = 0; s.exhausted = 0;
}

// ---- LRU and hash --------------------------------------------------------------------

function lruUnlink(i: u32): void {
  const s = state();
  const b = hdr(i);
  const prev = getU(b, H_PREV);
  const next = getU(b, H_NEXT);
  if (prev != NIL) setU(hdr(prev), H_NEXT, next); else s.head = next;
  if (next != NIL) setU(hdr(next), H_PREV, prev); else s.tail = prev;
}

function lruPushHead(i: u32): void {
  const s = state();
  const b = hdr(i);
  setU(b, H_PREV, NIL);
  setU(b, H_NEXT, s.head);
  if (s.head != NIL) setU(hdr(s.head), H_PREV, i); else s.tail = i;
  s.head = i;
}

function hashFind(block: u32): u32 {
  let i = load<u32>(bucketAddr(block));
  while (i != NIL) {
    if (getU(hdr(i), H_BLOCK) == block) return i;
    i = getU(hdr(i), H_HNEXT);
  }
  return NIL;
}

function hashRemove(i: u32): void {
  const block = getU(hdr(i), H_BLOCK);
  if (block == NO_BLOCK) return;
  const head = bucketAddr(block);
  let cur = load<u32>(head);
  if (cur == i) { store<u32>(head, getU(hdr(i), H_HNEXT)); return; }
  while (cur != NIL) {
    const next = getU(hdr(cur), H_HNEXT);
    if (next == i) { setU(hdr(cur), H_HNEXT, getU(hdr(i), H_HNEXT)); return; }
    cur = next;
  }
}

function hashInsert(i: u32, block: u32): void {
  const head = bucketAddr(block);
  setU(hdr(i), H_HNEXT, load<u32>(head));
  store<u32>(head, i);
}

/** The buffer holding `block` with a reference taken, recycling the least
 *  recently used idle buffer on a miss (its data then is not valid). */
function bget(block: u32): usize {
  const s = state();
  if (s.ready == 0) return failWith(FS_ERR_NODISK);
  let i = hashFind(block);
  if (i != NIL) {
    s.hits++;
    const b = hdr(i);
    setU(b, H_REFS, getU(b, H_REFS) + 1);
    return b;
  }
  s.misses++;
  i = s.tail;
  while (i != NIL) {
    const b = hdr(i);
    if (getU(b, H_REFS) == 0 && getU(b, H_PINS) == 0) break;
    i = getU(b, H_PREV);
  }
  if (i == NIL) { s.exhausted++; return failWith(FS_ERR_NOBUF); }
  const b = hdr(i);
  hashRemove(i);
  setU(b, H_BLOCK, block);
  setU(b, H_FLAGS, 0);
  setU(b, H_REFS, 1);
  hashInsert(i, block);
  return b;
}

// ---- Interface -----------------------------------------------------------------------

/** A referenced buffer holding `block`'s contents, read from disk on a miss. */
export function bread(block: u32): usize {
  const b = bget(block);
  if (bufFailed(b)) return b;
  if ((getU(b, H_FLAGS) & BUF_VALID) == 0) {
    const r = blkRead(block, bufData(b), 1);
    if (r != BLK_OK) {
      setU(b, H_REFS, getU(b, H_REFS) - 1);
      return failWith(r == BLK_ERR_NO_DISK ? FS_ERR_NODISK : FS_ERR_IO);
    }
    setU(b, H_FLAGS, BUF_VALID);
  }
  return b;
}

/** A referenced buffer for `block` whose contents are zeroed without reading
 *  the disk (a block being freshly allocated). */
export function bnew(block: u32): usize {
  const b = bget(block);
  if (bufFailed(b)) return b;
  memory.fill(bufData(b), 0, <usize>BLK_SIZE);
  setU(b, H_FLAGS, BUF_VALID);
  return b;
}

/** Writes the buffer to its home block now, bypassing the log (the log's own
 *  install step; file-system changes go through logWrite instead). */
export function bwrite(buf: usize): i32 {
  const r = blkWrite(bufBlock(buf), bufData(buf), 1);
  return r == BLK_OK ? FS_OK : (r == BLK_ERR_NO_DISK ? FS_ERR_NODISK : FS_ERR_IO);
}

/** Drops one reference; an idle buffer becomes the most recently used. */
export function brelse(buf: usize): void {
  const refs = getU(buf, H_REFS);
  if (refs == 0) return;
  setU(buf, H_REFS, refs - 1);
  if (refs == 1) {
    const i = indexOf(buf);
    lruUnlink(i);
    lruPushHead(i);
  }
}

/** Keeps the buffer (and its block) in the cache until bunpin. */
export function bpin(buf: usize): void { setU(buf, H_PINS, getU(buf, H_PINS) + 1); }
export function bunpin(buf: usize): void {
  const pins = getU(buf, H_PINS);
  if (pins != 0) setU(buf, H_PINS, pins - 1);
}

/** Forgets the buffer's contents: the next bread reads the disk again (the
 *  log's abort path, which throws away a refused transaction's changes). */
export function binvalidate(buf: usize): void { setU(buf, H_FLAGS, 0); }

// ---- Statistics --------------------------------------------------------------------

export function bcacheHits(): u32 { return state().hits; }
export function bcacheMisses(): u32 { return state().misses; }
export function bcacheExhausted(): u32 { return state().exhausted; }
/** Buffers referenced or pinned right now (a leak shows here). */
export function bcacheBusy(): u32 {
  let n: u32 = 0;
  for (let i: u32 = 0; i < NBUF; i++) {
    const b = hdr(i);
    if (getU(b, H_REFS) != 0 || getU(b, H_PINS) != 0) n++;
  }
  return n;
}
/** Buffers referenced (not counting pins). */
export function bcacheReferenced(): u32 {
  let n: u32 = 0;
  for (let i: u32 = 0; i < NBUF; i++) if (getU(hdr(i), H_REFS) != 0) n++;
  return n;
}
