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
// Checksums (format version 2): the header carries a CRC32C of each logged
// block and one of itself (fs/crc32c.ts). Recovery installs a transaction
// only when the header's count fits, its checksum matches, every target is a
// block a transaction may write (1 .. logstart - 1) and every logged block
// matches its checksum; anything else (a torn header, rotted log blocks, a
// well-formed header full of garbage) is discarded with a log line, so the
// disk stays as the last intact commit left it. A version-1 disk's header
// has no checksums and is read in that layout (fsops.ts upgrades the disk).
//
// Read-only: after logSetReadOnly(true) every logBegin answers
// FS_ERR_READONLY, so nothing above can change the disk.
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
import { crc32c, crc32cInit } from "./crc32c";
import { logBegin as klogBegin, logEnd as klogEnd, LOG_WARN } from "../lib/log";
import { printStr, printDec, printHex0x } from "../lib/print";
import {
  FS_STATE_LOG, FS_OK, FS_ERR_IO, FS_ERR_CORRUPT, FS_ERR_NOMEM, FS_ERR_TXN_TOO_BIG, FS_ERR_INVALID,
  FS_ERR_ABORTED, FS_ERR_READONLY,
} from "./fsstate";

// ---- Limits ---------------------------------------------------------------------

/** Most distinct blocks one transaction may change. */
export const MAXOPBLOCKS: u32 = 256;
/** Most targets the header block can name: (4096 - 16) / 8. */
export const LOG_HEADER_MAX: u32 = 510;
/** A version-1 header: (4096 - 8) / 4 targets, no checksums. */
const LOG_V1_HEADER_MAX: u32 = 1022;
/** A log smaller than this (blocks per transaction) is refused at mount. */
export const LOG_MIN_CAPACITY: u32 = 32;

// Header block fields (version 2): n, sequence, the header's own CRC32C
// (computed with this field zero), then n entries { target, block CRC32C }.
const LH_COUNT: usize = 0;
const LH_SEQUENCE: usize = 4;
const LH_CHECKSUM: usize = 8;
const LH_ENTRIES: usize = 16;
const LH_ENTRY_SIZE: usize = 8;
const LH_ENTRY_SUM: usize = 4;
// Version 1: u32 target[n] from byte 8.
const LH_V1_TARGETS: usize = 8;

// Why recovery discarded a transaction (logDiscardReason).
export const LOG_DISCARD_NONE: u32 = 0;
export const LOG_DISCARD_COUNT: u32 = 1;
export const LOG_DISCARD_HEADER_SUM: u32 = 2;
export const LOG_DISCARD_TARGET: u32 = 3;
export const LOG_DISCARD_BLOCK_SUM: u32 = 4;

// @ts-ignore: decorator
@inline function entryTarget(head: usize, i: u32): u32 { return load<u32>(head + LH_ENTRIES + <usize>i * LH_ENTRY_SIZE); }
// @ts-ignore: decorator
@inline function entrySum(head: usize, i: u32): u32 { return load<u32>(head + LH_ENTRIES + <usize>i * LH_ENTRY_SIZE + LH_ENTRY_SUM); }

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
  /** 1: every logBegin answers FS_ERR_READONLY. */
  readOnly: u32;
  /** 1: the header has the version-1 layout (no checksums). */
  v1: u32;
  /** Blocks of the transaction the last recovery discarded, and why (LOG_DISCARD_*). */
  discarded: u32;
  discardReason: u32;
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
 *  transaction left by a crash (v1: the header has the version-1 layout).
 *  A transaction that fails its checks is discarded, not installed. */
export function logInit(logstart: u32, nlog: u32, v1: bool): i32 {
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
  crc32cInit();
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
  s.readOnly = 0;
  s.v1 = v1 ? 1 : 0;
  s.discarded = 0;
  s.discardReason = LOG_DISCARD_NONE;
  const r = recover();
  if (r != FS_OK) return r;
  s.ready = 1;
  return FS_OK;
}

/** Installs the committed transaction named by the header, if it passes
 *  every check, then clears the header. Works on the disk directly (the
 *  cache is empty). */
function recover(): i32 {
  const s = state();
  const head = headerPage();
  s.recovered = 0;
  if (blkRead(s.logstart, head, 1) != BLK_OK) return FS_ERR_IO;
  const n = load<u32>(head + LH_COUNT);
  s.sequence = load<u32>(head + LH_SEQUENCE) + 1;
  if (n == 0) return FS_OK;
  const reason = s.v1 != 0 ? checkV1(n) : checkTransaction(n);
  if (reason != LOG_DISCARD_NONE) {
    s.discarded = n;
    s.discardReason = reason;
    reportDiscard(n, reason);
    return writeHeader(0);
  }
  const bounce = bouncePage();
  for (let i: u32 = 0; i < n; i++) {
    const target = s.v1 != 0 ? load<u32>(head + LH_V1_TARGETS + (<usize>i << 2)) : entryTarget(head, i);
    if (blkRead(s.logstart + 1 + i, bounce, 1) != BLK_OK) return FS_ERR_IO;
    if (blkWrite(target, bounce, 1) != BLK_OK) return FS_ERR_IO;
  }
  if (blkFlush() != BLK_OK) return FS_ERR_IO;
  s.recovered = n;
  s.v1 = 0; // the cleared header is written in the version-2 layout (the same: n = 0)
  return writeHeader(0);
}

/** LOG_DISCARD_NONE when the version-2 header in the header page describes
 *  an intact transaction of n blocks, else why not. */
function checkTransaction(n: u32): u32 {
  const s = state();
  const head = headerPage();
  if (n > s.nlog - 1 || n > LOG_HEADER_MAX) return LOG_DISCARD_COUNT;
  const stored = load<u32>(head + LH_CHECKSUM);
  store<u32>(head + LH_CHECKSUM, 0);
  const sum = crc32c(head, <usize>BLK_SIZE);
  store<u32>(head + LH_CHECKSUM, stored);
  if (sum != stored) return LOG_DISCARD_HEADER_SUM;
  for (let i: u32 = 0; i < n; i++) {
    const t = entryTarget(head, i);
    if (t == 0 || t >= s.logstart) return LOG_DISCARD_TARGET;
  }
  const bounce = bouncePage();
  for (let i: u32 = 0; i < n; i++) {
    if (blkRead(s.logstart + 1 + i, bounce, 1) != BLK_OK) return LOG_DISCARD_BLOCK_SUM;
    if (crc32c(bounce, <usize>BLK_SIZE) != entrySum(head, i)) return LOG_DISCARD_BLOCK_SUM;
  }
  return LOG_DISCARD_NONE;
}

/** The version-1 checks: the count fits and the targets are writable blocks. */
function checkV1(n: u32): u32 {
  const s = state();
  const head = headerPage();
  if (n > s.nlog - 1 || n > LOG_V1_HEADER_MAX) return LOG_DISCARD_COUNT;
  for (let i: u32 = 0; i < n; i++) {
    const t = load<u32>(head + LH_V1_TARGETS + (<usize>i << 2));
    if (t == 0 || t >= s.logstart) return LOG_DISCARD_TARGET;
  }
  return LOG_DISCARD_NONE;
}

function reportDiscard(n: u32, reason: u32): void {
  klogBegin(LOG_WARN);
  printStr("fs: log: discarded a transaction of ");
  printDec(<u64>n);
  printStr(" blocks (");
  if (reason == LOG_DISCARD_COUNT) printStr("more blocks than the log holds");
  else if (reason == LOG_DISCARD_HEADER_SUM) printStr("the header's checksum does not match");
  else if (reason == LOG_DISCARD_TARGET) printStr("a target outside the blocks a transaction may write");
  else printStr("a logged block does not match its checksum");
  printStr("); the disk stays as its last intact commit left it, sequence ");
  printHex0x(<u64>state().sequence - 1, 8);
  klogEnd();
}

/** From now on every transaction is refused with FS_ERR_READONLY (true), or
 *  allowed again (false). */
export function logSetReadOnly(on: bool): void { state().readOnly = on ? 1 : 0; }
export function logReadOnly(): bool { return state().readOnly != 0; }
/** Blocks of the transaction the last recovery discarded (0: none). */
export function logDiscarded(): u32 { return state().discarded; }
export function logDiscardReason(): u32 { return state().discardReason; }

// ---- Transactions -----------------------------------------------------------------------

/** Opens a transaction (or joins the open one). */
export function logBegin(): i32 {
  const s = state();
  if (s.ready == 0) return FS_ERR_INVALID;
  if (s.readOnly != 0) return FS_ERR_READONLY;
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

/** Writes the header naming the first n logged buffers (n = 0: empty), with
 *  each buffer's checksum (their contents are what step 1 logged) and the
 *  header's own. */
function writeHeader(n: u32): i32 {
  const s = state();
  const head = headerPage();
  memory.fill(head, 0, <usize>BLK_SIZE);
  store<u32>(head + LH_COUNT, n);
  store<u32>(head + LH_SEQUENCE, s.sequence);
  for (let i: u32 = 0; i < n; i++) {
    const buf = listGet(i);
    const entry = head + LH_ENTRIES + <usize>i * LH_ENTRY_SIZE;
    store<u32>(entry, bufBlock(buf));
    store<u32>(entry + LH_ENTRY_SUM, crc32c(bufData(buf), <usize>BLK_SIZE));
  }
  store<u32>(head + LH_CHECKSUM, crc32c(head, <usize>BLK_SIZE));
  if (blkWrite(s.logstart, head, 1) != BLK_OK) return FS_ERR_IO;
  if (blkFlush() != BLK_OK) return FS_ERR_IO;
  return FS_OK;
}
