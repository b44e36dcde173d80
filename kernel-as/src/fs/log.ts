// Write-ahead log: makes each file-system operation atomic across crashes.
// Layer: fs, above bcache.ts, below inode.ts. On-disk format: the log region
// of docs/fs-format.md. State: FS_STATE_LOG (fs/fsstate.ts) plus one frame
// for the list of logged buffers and two scratch frames (header, recovery).
//
// A transaction is logBegin .. logEnd. In between, code changes blocks only
// in cached buffers and calls logWrite(buf) for each; logWrite pins the
// buffer (it cannot be recycled before it is installed) and records it once
// however often the block is written ("absorption"). logEnd commits:
//   1. each logged block is written to its log slot (logstart + 1 + i);
//   2. the header is written with n = count: THE COMMIT POINT;
//   3. each logged block is written home (install);
//   4. the header is written with n = 0.
// A crash before 2 leaves the old state; after 2, recovery at mount
// re-installs (idempotently) and the new state appears whole.
//
// Nesting: logBegin inside an open transaction joins it (a depth count), so
// a helper such as iput may bracket its own work and still run inside the
// caller's transaction; only the outermost logEnd commits.
//
// Size rule: a transaction holds at most logCapacity() distinct blocks
// (min(MAXOPBLOCKS, nlog - 1, LOG_HEADER_MAX)). A logWrite past that is
// refused with FS_ERR_TXN_TOO_BIG and the transaction is marked failed; its
// logEnd then writes nothing at all, throws the logged buffers' contents
// away (the next bread re-reads the disk) and returns FS_ERR_TXN_TOO_BIG.
// Callers size their transactions so this never happens (fsops.ts); it is
// the safety net that keeps the disk consistent if it does. logAbort takes
// the same path on purpose: an operation that fails half-way abandons its
// transaction instead of undoing its steps one by one.
//
// One vCPU and no kernel stacks: a transaction runs start to finish inside
// one system call, never interleaved with another.

import { frameAlloc, frameZero, KIND_FSTABLE } from "../mm/frames";
import { blkRead, blkWrite, blkFlush, BLK_OK, BLK_SIZE } from "../dev/blk";
import { bufData, bufBlock, bpin, bunpin, bwrite, binvalidate } from "./bcache";
import {
  FS_STATE_LOG, FS_OK, FS_ERR_IO, FS_ERR_CORRUPT, FS_ERR_NOMEM, FS_ERR_TXN_TOO_BIG, FS_ERR_INVALID,
  FS_ERR_ABORTED,
} from "./fsstate";

// ---- Limits ---------------------------------------------------------------------

/** Most distinct blocks one transaction may change. */
export const MAXOPBLOCKS: u32 = 256;
/** Most targets the header block can name: (4096 - 8) / 4. */
export const LOG_HEADER_MAX: u32 = 1022;
/** A log smaller than this (blocks per transaction) is refused at mount. */
export const LOG_MIN_CAPACITY: u32 = 32;

// Header block fields.
const LH_COUNT: usize = 0;
const LH_SEQUENCE: usize = 4;
const LH_TARGETS: usize = 8;

@unmanaged class LogState {
  ready: u32;
  logstart: u32;
  nlog: u32;
  /** Blocks one transaction may hold. */
  capacity: u32;
  /** Open transaction nesting depth; 0 = none open. */
  depth: u32;
  /** Distinct buffers logged in the open transaction. */
  count: u32;
  /** 0, or why the open transaction will be thrown away (a negated
   *  FS_ERR_TXN_TOO_BIG or FS_ERR_ABORTED). */
  failed: u32;
  /** Sequence number of the next commit (written in the header). */
  sequence: u32;
  /** Frame: u32 buffer handles of the open transaction. */
  list: u32;
  /** Two frames: header image, then a recovery bounce block. */
  scratch: u32;
  commits: u32;
  aborts: u32;
  /** Blocks installed by the last recovery. */
  recovered: u32;
  /** Largest transaction committed so far, in blocks. */
  largest: u32;
}
// @ts-ignore: decorator
@inline function state(): LogState { return changetype<LogState>(FS_STATE_LOG); }
// @ts-ignore: decorator
@inline function listGet(i: u32): usize { return <usize>load<u32>(<usize>state().list + (<usize>i << 2)); }
// @ts-ignore: decorator
@inline function listSet(i: u32, buf: usize): void { store<u32>(<usize>state().list + (<usize>i << 2), <u32>buf); }
// @ts-ignore: decorator
@inline function headerPage(): usize { return <usize>state().scratch; }
// @ts-ignore: decorator
@inline function bouncePage(): usize { return <usize>state().scratch + <usize>BLK_SIZE; }

// ---- Mount and recovery ------------------------------------------------------------

/** Takes the log region [logstart, logstart + nlog) and recovers a committed
 *  transaction left by a crash. A header naming a home block inside the log
 *  (at or past logstart) is corrupt. */
export function logInit(logstart: u32, nlog: u32): i32 {
  const s = state();
  s.ready = 0;
  if (nlog < 2) return FS_ERR_CORRUPT;
  let cap = nlog - 1;
  if (cap > LOG_HEADER_MAX) cap = LOG_HEADER_MAX;
  if (cap > MAXOPBLOCKS) cap = MAXOPBLOCKS;
  if (cap < LOG_MIN_CAPACITY) return FS_ERR_CORRUPT;
  if (s.list == 0) {
    const list = frameAlloc(0, KIND_FSTABLE);
    if (list == 0) return FS_ERR_NOMEM;
    const scratch = frameAlloc(1, KIND_FSTABLE);
    if (scratch == 0) return FS_ERR_NOMEM;
    s.list = <u32>list;
    s.scratch = <u32>scratch;
  }
  frameZero(<usize>s.list, 0);
  s.logstart = logstart;
  s.nlog = nlog;
  s.capacity = cap;
  s.depth = 0;
  s.count = 0;
  s.failed = 0;
  s.commits = 0;
  s.aborts = 0;
  s.largest = 0;
  const r = recover();
  if (r != FS_OK) return r;
  s.ready = 1;
  return FS_OK;
}

/** Installs the committed transaction named by the header, if any, then
 *  clears the header. Works on the disk directly (the cache is empty). */
function recover(): i32 {
  const s = state();
  const head = headerPage();
  s.recovered = 0;
  if (blkRead(s.logstart, head, 1) != BLK_OK) return FS_ERR_IO;
  const n = load<u32>(head + LH_COUNT);
  s.sequence = load<u32>(head + LH_SEQUENCE) + 1;
  if (n == 0) return FS_OK;
  if (n > s.nlog - 1 || n > LOG_HEADER_MAX) return FS_ERR_CORRUPT;
  for (let i: u32 = 0; i < n; i++) {
    if (load<u32>(head + LH_TARGETS + (<usize>i << 2)) >= s.logstart) return FS_ERR_CORRUPT;
  }
  const bounce = bouncePage();
  for (let i: u32 = 0; i < n; i++) {
    const target = load<u32>(head + LH_TARGETS + (<usize>i << 2));
    if (blkRead(s.logstart + 1 + i, bounce, 1) != BLK_OK) return FS_ERR_IO;
    if (blkWrite(target, bounce, 1) != BLK_OK) return FS_ERR_IO;
  }
  if (blkFlush() != BLK_OK) return FS_ERR_IO;
  s.recovered = n;
  return writeHeader(0);
}

// ---- Transactions -----------------------------------------------------------------------

/** Opens a transaction (or joins the open one). */
export function logBegin(): i32 {
  const s = state();
  if (s.ready == 0) return FS_ERR_INVALID;
  if (s.depth == 0) { s.count = 0; s.failed = 0; }
  s.depth++;
  return FS_OK;
}

/** Records that buf (referenced by the caller) was changed in the open
 *  transaction. The buffer stays pinned until it is installed. */
export function logWrite(buf: usize): i32 {
  const s = state();
  if (s.depth == 0) return FS_ERR_INVALID;
  const block = bufBlock(buf);
  const n = s.count;
  for (let i: u32 = 0; i < n; i++) {
    if (bufBlock(listGet(i)) == block) return FS_OK; // absorbed
  }
  if (n >= s.capacity) {
    // The caller already changed this buffer: forget it too, so the abort
    // leaves no trace of the refused transaction in the cache.
    binvalidate(buf);
    if (s.failed == 0) s.failed = <u32>(-FS_ERR_TXN_TOO_BIG);
    return FS_ERR_TXN_TOO_BIG;
  }
  bpin(buf);
  listSet(n, buf);
  s.count = n + 1;
  return FS_OK;
}

/** Closes a transaction; the outermost close commits it. Returns FS_OK,
 *  FS_ERR_TXN_TOO_BIG (nothing written, changes dropped) or FS_ERR_IO. */
export function logEnd(): i32 {
  const s = state();
  if (s.depth == 0) return FS_ERR_INVALID;
  s.depth--;
  const failed = -<i32>s.failed;
  if (s.depth != 0) return failed;
  if (failed != FS_OK) { abort(); return failed; }
  return commit();
}

/** Abandons the open transaction: its outermost logEnd writes nothing and
 *  throws the logged buffers' contents away (returning FS_ERR_ABORTED).
 *  This is how an operation that fails half-way undoes itself. */
export function logAbort(): void {
  const s = state();
  if (s.depth != 0 && s.failed == 0) s.failed = <u32>(-FS_ERR_ABORTED);
}

/** Blocks logged so far in the open transaction. */
export function logCount(): u32 { return state().count; }
/** Most distinct blocks a transaction may hold. */
export function logCapacity(): u32 { return state().capacity; }
/** True while a transaction is open. */
export function logActive(): bool { return state().depth != 0; }
export function logCommits(): u32 { return state().commits; }
export function logAborts(): u32 { return state().aborts; }
export function logRecovered(): u32 { return state().recovered; }
export function logLargest(): u32 { return state().largest; }

function abort(): void {
  const s = state();
  for (let i: u32 = 0; i < s.count; i++) {
    const buf = listGet(i);
    binvalidate(buf);
    bunpin(buf);
  }
  s.count = 0;
  s.failed = 0;
  s.aborts++;
}

function commit(): i32 {
  const s = state();
  const n = s.count;
  if (n == 0) return FS_OK;
  let r = FS_OK;
  // 1. The new contents into the log.
  for (let i: u32 = 0; i < n && r == FS_OK; i++) {
    if (blkWrite(s.logstart + 1 + i, bufData(listGet(i)), 1) != BLK_OK) r = FS_ERR_IO;
  }
  if (r == FS_OK && blkFlush() != BLK_OK) r = FS_ERR_IO;
  // 2. The commit point.
  if (r == FS_OK) r = writeHeader(n);
  // 3. Install.
  for (let i: u32 = 0; i < n && r == FS_OK; i++) r = bwrite(listGet(i));
  if (r == FS_OK && blkFlush() != BLK_OK) r = FS_ERR_IO;
  // 4. The log is empty again.
  if (r == FS_OK) r = writeHeader(0);
  for (let i: u32 = 0; i < n; i++) bunpin(listGet(i));
  s.count = 0;
  if (r == FS_OK) {
    s.commits++;
    s.sequence++;
    if (n > s.largest) s.largest = n;
  }
  return r;
}

/** Writes the header naming the first n logged buffers (n = 0: empty). */
function writeHeader(n: u32): i32 {
  const s = state();
  const head = headerPage();
  memory.fill(head, 0, <usize>BLK_SIZE);
  store<u32>(head + LH_COUNT, n);
  store<u32>(head + LH_SEQUENCE, s.sequence);
  for (let i: u32 = 0; i < n; i++) store<u32>(head + LH_TARGETS + (<usize>i << 2), bufBlock(listGet(i)));
  if (blkWrite(s.logstart, head, 1) != BLK_OK) return FS_ERR_IO;
  if (blkFlush() != BLK_OK) return FS_ERR_IO;
  return FS_OK;
}
