// Inodes: the in-memory inode cache, block allocation, and reading and
// writing file contents. Layer: fs, above log.ts and bcache.ts, below
// dir.ts and fsops.ts. On-disk formats: inodes, bitmap and block map of
// docs/fs-format.md. State: FS_STATE_INODE (the superblock's geometry, the
// allocation hints) and one frame block holding NINODE records.
//
// Inode handles: an inode in memory is named by a small positive i32 handle
// (its record index + 1). Functions that return an inode return a handle
// (> 0) or a negative FS_ERR_* code; a handle carries one reference that the
// caller gives back with iput.
//
// Records: a record with refs > 0 is held; one with refs == 0 but valid is a
// cached copy that iget may reuse or recycle. A record's fields are loaded
// from disk by iget and are the truth while it is valid: every change is
// written back into the inode block by iupdate inside the caller's
// transaction, so the disk and the record never disagree once that
// transaction commits.
//
// Transactions: every function here that changes the disk (ialloc, iupdate,
// itrunc, writei, balloc, bfree, and iput when it frees) must run inside a
// transaction (txnBegin .. txnEnd). txnEnd is logEnd plus, when the log threw
// a refused transaction away, reloading held records from the disk.
//
// Block map: addrs[0..10] direct, addrs[11] single indirect (1024 entries),
// addrs[12] double indirect (1024 x 1024). A zero entry is a hole.

import { frameAlloc, frameZero, KIND_FSTABLE } from "../mm/frames";
import { BLK_SIZE } from "../dev/blk";
import { bread, bnew, brelse, bufData, bufFailed, bufError } from "./bcache";
import { logBegin, logEnd, logWrite, logAbort, logAborts } from "./log";
import { damageBegin, damageEnd } from "./damage";
import { printStr, printDec } from "../lib/print";
import {
  FS_STATE_INODE, FS_OK, FS_ERR_NOMEM, FS_ERR_NOSPACE, FS_ERR_NOINODES, FS_ERR_ICACHE_FULL, FS_ERR_INVALID,
  FS_ERR_FILE_TOO_BIG, FS_ERR_BAD_HANDLE, FS_ERR_CORRUPT,
} from "./fsstate";

// ---- Format constants --------------------------------------------------------------

export const FS_T_FREE: u32 = 0;
export const FS_T_DIR: u32 = 1;
export const FS_T_FILE: u32 = 2;
export const FS_T_DEVICE: u32 = 3;

export const ROOT_INUM: u32 = 1;
/** The device number stat reports for this file system. */
export const FS_DEV: i32 = 1;
export const NDIRECT: u32 = 11;
export const NINDIRECT: u32 = 1024;
export const NADDRS: u32 = 13;
const INDIRECT_SLOT: u32 = 11;
const DOUBLE_SLOT: u32 = 12;
/** Largest file in blocks the map can reach, and in bytes the size field can hold. */
export const MAX_FILE_BLOCKS: u32 = NDIRECT + NINDIRECT + NINDIRECT * NINDIRECT;
export const MAX_FILE_SIZE: u32 = 0xFFFF_FFFF;
export const DINODE_SIZE: u32 = 64;
export const INODES_PER_BLOCK: u32 = 64;
export const BITS_PER_BLOCK: u32 = 32768;
/** Inode numbers are u16 in directory entries. */
export const MAX_INODES: u32 = 65536;

// On-disk inode fields.
const DI_TYPE: usize = 0;
const DI_MAJOR: usize = 2;
const DI_MINOR: usize = 4;
const DI_NLINK: usize = 6;
const DI_SIZE: usize = 8;
const DI_ADDRS: usize = 12;

// ---- The inode cache --------------------------------------------------------------------

/** In-memory inode records. */
export const NINODE: u32 = 200;
const ICACHE_ORDER: u32 = 2;

/** One record, 80 bytes. The fields from type on mirror the on-disk inode. */
@unmanaged class Inode {
  inum: u32;
  refs: u32;
  valid: u32;
  type: u16;
  major: u16;
  minor: u16;
  nlink: u16;
  size: u32;
  // addrs[13] follow at I_ADDRS.
}
const I_ADDRS: usize = 24;
const INODE_RECORD: usize = 80;

@unmanaged class InodeState {
  ready: u32;
  table: u32;
  // The superblock's geometry, set by inodeInit.
  size: u32;
  ninodes: u32;
  inodestart: u32;
  bmapstart: u32;
  datastart: u32;
  logstart: u32;
  /** Where balloc and ialloc resume their search. */
  blockHint: u32;
  inodeHint: u32;
}
// @ts-ignore: decorator
@inline function state(): InodeState { return changetype<InodeState>(FS_STATE_INODE); }
// @ts-ignore: decorator
@inline function rec(ip: i32): Inode {
  return changetype<Inode>(<usize>state().table + <usize>(ip - 1) * INODE_RECORD);
}
// @ts-ignore: decorator
@inline function addrGet(ip: i32, i: u32): u32 { return load<u32>(changetype<usize>(rec(ip)) + I_ADDRS + (<usize>i << 2)); }
// @ts-ignore: decorator
@inline function addrSet(ip: i32, i: u32, b: u32): void { store<u32>(changetype<usize>(rec(ip)) + I_ADDRS + (<usize>i << 2), b); }
// @ts-ignore: decorator
@inline function entryGet(buf: usize, i: u32): u32 { return load<u32>(bufData(buf) + (<usize>i << 2)); }
// @ts-ignore: decorator
@inline function entrySet(buf: usize, i: u32, b: u32): void { store<u32>(bufData(buf) + (<usize>i << 2), b); }

/** Allocates the record table (once) and takes the file system's geometry. */
export function inodeInit(size: u32, ninodes: u32, inodestart: u32, bmapstart: u32, datastart: u32, logstart: u32): i32 {
  const s = state();
  if (s.table == 0) {
    const t = frameAlloc(ICACHE_ORDER, KIND_FSTABLE);
    if (t == 0) return FS_ERR_NOMEM;
    s.table = <u32>t;
  }
  frameZero(<usize>s.table, ICACHE_ORDER);
  s.size = size; s.ninodes = ninodes; s.inodestart = inodestart; s.bmapstart = bmapstart;
  s.datastart = datastart; s.logstart = logstart;
  s.blockHint = datastart;
  s.inodeHint = ROOT_INUM + 1;
  s.ready = 1;
  return FS_OK;
}

// ---- Transactions as the inode layer sees them -----------------------------------------

export function txnBegin(): i32 { return logBegin(); }

/** Ends a transaction; when the log threw it away (refused or abandoned),
 *  held records are reloaded from the unchanged disk so memory matches it. */
export function txnEnd(): i32 {
  const aborts = logAborts();
  const r = logEnd();
  if (logAborts() != aborts) icacheReload();
  return r;
}

/** Abandons the open transaction and closes it: the disk, the cache and the
 *  inode records are as they were at txnBegin (allocation hints aside). */
export function txnAbort(): void {
  logAbort();
  txnEnd();
}

/** Reloads every held record from disk and forgets the idle ones. */
export function icacheReload(): void {
  for (let ip: i32 = 1; ip <= <i32>NINODE; ip++) {
    const r = rec(ip);
    if (r.valid == 0) continue;
    if (r.refs == 0) { r.valid = 0; continue; }
    if (iload(ip) != FS_OK) r.valid = 0;
  }
}

// ---- Handles ------------------------------------------------------------------------------

/** True when ip names a held record. */
export function inodeHeld(ip: i32): bool {
  return state().ready != 0 && ip >= 1 && ip <= <i32>NINODE && rec(ip).refs != 0;
}

/** The inode-table block holding inode inum, and its byte offset there. */
export function dinodeBlock(inum: u32): u32 { return state().inodestart + inum / INODES_PER_BLOCK; }
export function dinodeOffset(inum: u32): usize { return <usize>(inum % INODES_PER_BLOCK) * <usize>DINODE_SIZE; }

// Fields of an on-disk inode at address d (inside a buffer), for the
// mount-time check (check.ts), which reads the table without the cache.
export function dinodeType(d: usize): u32 { return <u32>load<u16>(d + DI_TYPE); }
export function dinodeNlink(d: usize): u32 { return <u32>load<u16>(d + DI_NLINK); }
export function dinodeSize(d: usize): u32 { return load<u32>(d + DI_SIZE); }
export function dinodeAddr(d: usize, i: u32): u32 { return load<u32>(d + DI_ADDRS + (<usize>i << 2)); }
/** Entry i of the indirect block held in buffer buf. */
export function indirectEntry(buf: usize, i: u32): u32 { return entryGet(buf, i); }

/** True when b is a data block (what a block pointer may name). */
export function isDataBlock(b: u32): bool { return b >= state().datastart && b < state().logstart; }

/** Reports (damage.ts) a block pointer outside the data area and returns FS_ERR_CORRUPT. */
function badPointer(inum: u32, b: u32): i32 {
  damageBegin();
  printStr("inode ");
  printDec(<u64>inum);
  printStr(" points at block ");
  printDec(<u64>b);
  printStr(", outside the data area ");
  printDec(<u64>state().datastart);
  printStr("..");
  printDec(<u64>state().logstart - 1);
  damageEnd();
  return FS_ERR_CORRUPT;
}

/** Copies the on-disk inode into record ip (whose inum is set). */
function iload(ip: i32): i32 {
  const r = rec(ip);
  const buf = bread(dinodeBlock(r.inum));
  if (bufFailed(buf)) return bufError(buf);
  const d = bufData(buf) + dinodeOffset(r.inum);
  r.type = load<u16>(d + DI_TYPE);
  r.major = load<u16>(d + DI_MAJOR);
  r.minor = load<u16>(d + DI_MINOR);
  r.nlink = load<u16>(d + DI_NLINK);
  r.size = load<u32>(d + DI_SIZE);
  memory.copy(changetype<usize>(r) + I_ADDRS, d + DI_ADDRS, <usize>NADDRS << 2);
  brelse(buf);
  if (<u32>r.type > FS_T_DEVICE) {
    damageBegin();
    printStr("inode ");
    printDec(<u64>r.inum);
    printStr(" has unknown type ");
    printDec(<u64>r.type);
    damageEnd();
    return FS_ERR_CORRUPT;
  }
  r.valid = 1;
  return FS_OK;
}

/** A held handle on inode inum (loaded from disk if not cached). */
export function iget(inum: u32): i32 {
  const s = state();
  if (s.ready == 0) return FS_ERR_INVALID;
  if (inum == 0 || inum >= s.ninodes) return FS_ERR_INVALID;
  let idle: i32 = 0;
  let empty: i32 = 0;
  for (let ip: i32 = 1; ip <= <i32>NINODE; ip++) {
    const r = rec(ip);
    if (r.valid != 0 && r.inum == inum) {
      r.refs++;
      return ip;
    }
    if (r.refs == 0) {
      if (r.valid == 0) { if (empty == 0) empty = ip; } else if (idle == 0) idle = ip;
    }
  }
  const ip = empty != 0 ? empty : idle;
  if (ip == 0) return FS_ERR_ICACHE_FULL;
  const r = rec(ip);
  r.inum = inum;
  r.valid = 0;
  const e = iload(ip);
  if (e != FS_OK) return e;
  r.refs = 1;
  return ip;
}

/** Takes another reference on a held handle. */
export function idup(ip: i32): i32 {
  if (!inodeHeld(ip)) return FS_ERR_BAD_HANDLE;
  rec(ip).refs++;
  return ip;
}

/** Drops a reference. When the last one goes and no directory names the
 *  inode any more (nlink == 0), its blocks and the inode itself are freed,
 *  in a transaction (joining the caller's if one is open). */
export function iput(ip: i32): i32 {
  if (!inodeHeld(ip)) return FS_ERR_BAD_HANDLE;
  const r = rec(ip);
  if (r.refs == 1 && r.valid != 0 && r.nlink == 0 && <u32>r.type != FS_T_FREE) {
    let e = txnBegin();
    if (e == FS_OK) {
      e = itrunc(ip);
      r.type = <u16>FS_T_FREE;
      r.major = 0; r.minor = 0;
      const u = iupdate(ip);
      if (e == FS_OK) e = u;
      const c = txnEnd();
      if (e == FS_OK) e = c;
      if (inumBelowHint(r.inum)) state().inodeHint = r.inum;
    }
    r.refs = 0;
    r.valid = 0;
    return e;
  }
  r.refs--;
  return FS_OK;
}

/** The first allocated inode at or after `from` that no directory names
 *  (nlink == 0), 0 when there is none, or a negative code. At mount nothing
 *  is open, so such an inode is an orphan: a file or directory unlinked
 *  while still open when the machine stopped (fsops.ts reclaims them). */
export function inodeNextOrphan(from: u32): i64 {
  const s = state();
  let inum = from <= ROOT_INUM ? ROOT_INUM + 1 : from;
  while (inum < s.ninodes) {
    const block = dinodeBlock(inum);
    const buf = bread(block);
    if (bufFailed(buf)) return <i64>bufError(buf);
    for (; inum < s.ninodes && dinodeBlock(inum) == block; inum++) {
      const d = bufData(buf) + dinodeOffset(inum);
      if (<u32>load<u16>(d + DI_TYPE) != FS_T_FREE && load<u16>(d + DI_NLINK) == 0) {
        brelse(buf);
        return <i64>inum;
      }
    }
    brelse(buf);
  }
  return 0;
}

function inumBelowHint(inum: u32): bool { return inum < state().inodeHint; }

/** Allocates a free on-disk inode of the given type (all other fields zero)
 *  and returns a held handle, or FS_ERR_NOINODES. In a transaction. */
export function ialloc(type: u32): i32 {
  const s = state();
  if (type == FS_T_FREE || type > FS_T_DEVICE) return FS_ERR_INVALID;
  const n = s.ninodes;
  let inum = s.inodeHint;
  if (inum <= ROOT_INUM || inum >= n) inum = ROOT_INUM + 1;
  for (let scanned: u32 = 0; scanned < n; ) {
    const block = dinodeBlock(inum);
    const buf = bread(block);
    if (bufFailed(buf)) return bufError(buf);
    // Scan the rest of this inode block.
    while (scanned < n && dinodeBlock(inum) == block) {
      const d = bufData(buf) + dinodeOffset(inum);
      if (inum > ROOT_INUM && <u32>load<u16>(d + DI_TYPE) == FS_T_FREE) {
        memory.fill(d, 0, <usize>DINODE_SIZE);
        store<u16>(d + DI_TYPE, <u16>type);
        const e = logWrite(buf);
        brelse(buf);
        if (e != FS_OK) return e;
        s.inodeHint = inum + 1;
        // A stale idle copy of this inum must not be reused: forget it.
        forgetCached(inum);
        return iget(inum);
      }
      scanned++;
      inum++;
      if (inum >= n) { inum = ROOT_INUM + 1; break; }
    }
    brelse(buf);
  }
  return FS_ERR_NOINODES;
}

function forgetCached(inum: u32): void {
  for (let ip: i32 = 1; ip <= <i32>NINODE; ip++) {
    const r = rec(ip);
    if (r.valid != 0 && r.inum == inum && r.refs == 0) r.valid = 0;
  }
}

/** Writes the record back into its inode block. In a transaction. */
export function iupdate(ip: i32): i32 {
  const r = rec(ip);
  const buf = bread(dinodeBlock(r.inum));
  if (bufFailed(buf)) return bufError(buf);
  const d = bufData(buf) + dinodeOffset(r.inum);
  store<u16>(d + DI_TYPE, r.type);
  store<u16>(d + DI_MAJOR, r.major);
  store<u16>(d + DI_MINOR, r.minor);
  store<u16>(d + DI_NLINK, r.nlink);
  store<u32>(d + DI_SIZE, r.size);
  memory.copy(d + DI_ADDRS, changetype<usize>(r) + I_ADDRS, <usize>NADDRS << 2);
  const e = logWrite(buf);
  brelse(buf);
  return e;
}

// ---- Accessors ------------------------------------------------------------------------------

export function inodeInum(ip: i32): u32 { return rec(ip).inum; }
export function inodeType(ip: i32): u32 { return <u32>rec(ip).type; }
export function inodeSize(ip: i32): u32 { return rec(ip).size; }
export function inodeNlink(ip: i32): u32 { return <u32>rec(ip).nlink; }
export function inodeMajor(ip: i32): u32 { return <u32>rec(ip).major; }
export function inodeMinor(ip: i32): u32 { return <u32>rec(ip).minor; }
export function inodeRefs(ip: i32): u32 { return rec(ip).refs; }
/** Setters change the record only; the caller then calls iupdate. */
export function inodeSetNlink(ip: i32, n: u32): void { rec(ip).nlink = <u16>n; }
export function inodeSetDevice(ip: i32, major: u32, minor: u32): void {
  rec(ip).major = <u16>major; rec(ip).minor = <u16>minor;
}
export function inodeSetSize(ip: i32, size: u32): void { rec(ip).size = size; }
/** Held records right now (a leak shows here). */
export function icacheHeld(): u32 {
  let n: u32 = 0;
  for (let ip: i32 = 1; ip <= <i32>NINODE; ip++) if (rec(ip).refs != 0) n++;
  return n;
}

// Struct stat (24 bytes), as ABI.md's fstat fills it.
export const STAT_SIZE: u32 = 24;
const ST_DEV: usize = 0;
const ST_INO: usize = 4;
const ST_TYPE: usize = 8;
const ST_NLINK: usize = 10;
const ST_PAD: usize = 12;
const ST_SIZE: usize = 16;

/** Fills the struct stat at dst (a kernel address). */
export function stati(ip: i32, dst: usize): void {
  const r = rec(ip);
  store<i32>(dst + ST_DEV, FS_DEV);
  store<u32>(dst + ST_INO, r.inum);
  store<u16>(dst + ST_TYPE, r.type);
  store<u16>(dst + ST_NLINK, r.nlink);
  store<u32>(dst + ST_PAD, 0);
  store<u64>(dst + ST_SIZE, <u64>r.size);
}

// ---- Block allocation ---------------------------------------------------------------------

/** Allocates a data block, marks it in the bitmap and zeroes it (both logged).
 *  Returns the block number (> 0) or FS_ERR_NOSPACE / an I/O code. */
export function balloc(): i64 {
  const s = state();
  let start = s.blockHint;
  if (start < s.datastart || start >= s.logstart) start = s.datastart;
  let b = scanBitmap(start, s.logstart);
  if (b == <i64>FS_ERR_NOSPACE && start > s.datastart) b = scanBitmap(s.datastart, start);
  if (b < 0) return b;
  const block = <u32>b;
  s.blockHint = block + 1;
  const z = bnew(block);
  if (bufFailed(z)) return <i64>bufError(z);
  const e = logWrite(z);
  brelse(z);
  if (e != FS_OK) return <i64>e;
  return b;
}

/** Finds, marks and logs the first clear bit for a block in [from, to). */
function scanBitmap(from: u32, to: u32): i64 {
  const s = state();
  let b = from;
  while (b < to) {
    const bi = b / BITS_PER_BLOCK;
    const blockEnd = min<u32>((bi + 1) * BITS_PER_BLOCK, to);
    const buf = bread(s.bmapstart + bi);
    if (bufFailed(buf)) return <i64>bufError(buf);
    const data = bufData(buf);
    while (b < blockEnd) {
      const bit = b % BITS_PER_BLOCK;
      const word = data + (<usize>(bit >> 6) << 3);
      // Clear bits of this 64-bit word at or after b.
      let free = ~load<u64>(word) & (<u64>0xFFFF_FFFF_FFFF_FFFF << <u64>(bit & 63));
      if (free != 0) {
        const found = (b & ~<u32>63) + <u32>ctz<u64>(free);
        if (found < blockEnd) {
          store<u64>(word, load<u64>(word) | (<u64>1 << <u64>(found & 63)));
          const e = logWrite(buf);
          brelse(buf);
          if (e != FS_OK) return <i64>e;
          return <i64>found;
        }
      }
      b = (b & ~<u32>63) + 64;
    }
    brelse(buf);
    b = blockEnd;
  }
  return <i64>FS_ERR_NOSPACE;
}

/** Marks block b free in the bitmap (logged). FS_ERR_CORRUPT if it was free
 *  or is not a data block. */
export function bfree(b: u32): i32 {
  const s = state();
  if (b < s.datastart || b >= s.logstart) return FS_ERR_CORRUPT;
  const buf = bread(s.bmapstart + b / BITS_PER_BLOCK);
  if (bufFailed(buf)) return bufError(buf);
  const bit = b % BITS_PER_BLOCK;
  const byte = bufData(buf) + <usize>(bit >> 3);
  const mask = <u8>(<u32>1 << (bit & 7));
  const was = load<u8>(byte);
  if ((was & mask) == 0) {
    brelse(buf);
    damageBegin();
    printStr("block ");
    printDec(<u64>b);
    printStr(" is freed but the bitmap already marks it free");
    damageEnd();
    return FS_ERR_CORRUPT;
  }
  store<u8>(byte, was & ~mask);
  const e = logWrite(buf);
  brelse(buf);
  if (e == FS_OK && b < s.blockHint) s.blockHint = b;
  return e;
}

/** Free data blocks (scans the bitmap). */
export function countFreeBlocks(): i64 {
  const s = state();
  let free: u32 = 0;
  let b = s.datastart;
  while (b < s.logstart) {
    const bi = b / BITS_PER_BLOCK;
    const blockEnd = min<u32>((bi + 1) * BITS_PER_BLOCK, s.logstart);
    const buf = bread(s.bmapstart + bi);
    if (bufFailed(buf)) return <i64>bufError(buf);
    const data = bufData(buf);
    for (; b < blockEnd; b++) {
      const bit = b % BITS_PER_BLOCK;
      if ((load<u8>(data + <usize>(bit >> 3)) & <u8>(<u32>1 << (bit & 7))) == 0) free++;
    }
    brelse(buf);
  }
  return <i64>free;
}

/** Free inodes (scans the inode table). */
export function countFreeInodes(): i64 {
  const s = state();
  let free: u32 = 0;
  for (let inum: u32 = ROOT_INUM + 1; inum < s.ninodes; ) {
    const block = dinodeBlock(inum);
    const buf = bread(block);
    if (bufFailed(buf)) return <i64>bufError(buf);
    for (; inum < s.ninodes && dinodeBlock(inum) == block; inum++) {
      if (<u32>load<u16>(bufData(buf) + dinodeOffset(inum) + DI_TYPE) == FS_T_FREE) free++;
    }
    brelse(buf);
  }
  return <i64>free;
}

export function fsDataBlocks(): u32 { return state().logstart - state().datastart; }
export function fsDataStart(): u32 { return state().datastart; }
export function fsLogStart(): u32 { return state().logstart; }
export function fsBmapStart(): u32 { return state().bmapstart; }
export function fsInodeCount(): u32 { return state().ninodes; }
export function fsDiskBlocks(): u32 { return state().size; }

// ---- The block map ------------------------------------------------------------------------

/** Disk block holding file block bn of ip: > 0 a block, 0 a hole (only when
 *  alloc is false), or a negative code. With alloc, missing blocks (and the
 *  indirect blocks leading to them) are allocated; the caller iupdates. */
export function bmap(ip: i32, bn: u32, alloc: bool): i64 {
  if (bn < NDIRECT) {
    let b = addrGet(ip, bn);
    if (b != 0 && !isDataBlock(b)) return <i64>badPointer(rec(ip).inum, b);
    if (b == 0 && alloc) {
      const nb = balloc();
      if (nb < 0) return nb;
      b = <u32>nb;
      addrSet(ip, bn, b);
    }
    return <i64>b;
  }
  bn -= NDIRECT;
  if (bn < NINDIRECT) {
    const ind = slotBlock(ip, INDIRECT_SLOT, alloc);
    if (ind <= 0) return ind;
    return entryBlock(ip, <u32>ind, bn, alloc);
  }
  bn -= NINDIRECT;
  if (bn >= NINDIRECT * NINDIRECT) return <i64>FS_ERR_FILE_TOO_BIG;
  const top = slotBlock(ip, DOUBLE_SLOT, alloc);
  if (top <= 0) return top;
  const mid = entryBlock(ip, <u32>top, bn / NINDIRECT, alloc);
  if (mid <= 0) return mid;
  return entryBlock(ip, <u32>mid, bn % NINDIRECT, alloc);
}

/** The block in addrs[slot], allocated when missing and alloc is set. */
function slotBlock(ip: i32, slot: u32, alloc: bool): i64 {
  let b = addrGet(ip, slot);
  if (b != 0 && !isDataBlock(b)) return <i64>badPointer(rec(ip).inum, b);
  if (b == 0 && alloc) {
    const nb = balloc();
    if (nb < 0) return nb;
    b = <u32>nb;
    addrSet(ip, slot, b);
  }
  return <i64>b;
}

/** Entry i of indirect block ind (of inode ip), allocated when missing and alloc is set. */
function entryBlock(ip: i32, ind: u32, i: u32, alloc: bool): i64 {
  const buf = bread(ind);
  if (bufFailed(buf)) return <i64>bufError(buf);
  let b = entryGet(buf, i);
  if (b != 0 && !isDataBlock(b)) { brelse(buf); return <i64>badPointer(rec(ip).inum, b); }
  if (b == 0 && alloc) {
    const nb = balloc();
    if (nb < 0) { brelse(buf); return nb; }
    b = <u32>nb;
    entrySet(buf, i, b);
    const e = logWrite(buf);
    if (e != FS_OK) { brelse(buf); return <i64>e; }
  }
  brelse(buf);
  return <i64>b;
}

/** Frees every block of the file and sets its size to 0. In a transaction. */
export function itrunc(ip: i32): i32 {
  let first = FS_OK;
  for (let i: u32 = 0; i < NDIRECT; i++) {
    const b = addrGet(ip, i);
    if (b != 0) {
      const e = isDataBlock(b) ? bfree(b) : badPointer(rec(ip).inum, b);
      if (first == FS_OK) first = e;
      addrSet(ip, i, 0);
    }
  }
  const ind = addrGet(ip, INDIRECT_SLOT);
  if (ind != 0) {
    const e = isDataBlock(ind) ? freeIndirect(ind, 1) : badPointer(rec(ip).inum, ind);
    if (first == FS_OK) first = e;
    addrSet(ip, INDIRECT_SLOT, 0);
  }
  const top = addrGet(ip, DOUBLE_SLOT);
  if (top != 0) {
    const e = isDataBlock(top) ? freeIndirect(top, 2) : badPointer(rec(ip).inum, top);
    if (first == FS_OK) first = e;
    addrSet(ip, DOUBLE_SLOT, 0);
  }
  rec(ip).size = 0;
  const u = iupdate(ip);
  return first != FS_OK ? first : u;
}

/** Frees an indirect block of the given depth (1: entries are data blocks,
 *  2: entries are single indirect blocks) and everything below it. */
function freeIndirect(ind: u32, depth: u32): i32 {
  let first = FS_OK;
  const buf = bread(ind);
  if (bufFailed(buf)) return bufError(buf);
  for (let i: u32 = 0; i < NINDIRECT; i++) {
    const b = entryGet(buf, i);
    if (b == 0) continue;
    const e = !isDataBlock(b) ? FS_ERR_CORRUPT : depth > 1 ? freeIndirect(b, depth - 1) : bfree(b);
    if (first == FS_OK) first = e;
  }
  brelse(buf);
  const e = bfree(ind);
  return first != FS_OK ? first : e;
}

// ---- Contents --------------------------------------------------------------------------------

/** Reads up to n bytes at off into dst (a kernel address). Returns the count
 *  (0 at or past the end) or a negative code. Holes read as zeros. */
export function readi(ip: i32, dst: usize, off: u32, n: u32): i32 {
  const size = rec(ip).size;
  if (off >= size) return 0;
  if (n > size - off) n = size - off;
  if (n > <u32>i32.MAX_VALUE) n = <u32>i32.MAX_VALUE;
  let done: u32 = 0;
  while (done < n) {
    const pos = off + done;
    const inBlock = pos % BLK_SIZE;
    const chunk = min<u32>(n - done, BLK_SIZE - inBlock);
    const b = bmap(ip, pos / BLK_SIZE, false);
    if (b < 0) return done > 0 ? <i32>done : <i32>b;
    if (b == 0) {
      memory.fill(dst + <usize>done, 0, <usize>chunk);
    } else {
      const buf = bread(<u32>b);
      if (bufFailed(buf)) return done > 0 ? <i32>done : bufError(buf);
      memory.copy(dst + <usize>done, bufData(buf) + <usize>inBlock, <usize>chunk);
      brelse(buf);
    }
    done += chunk;
  }
  return <i32>done;
}

/** Writes n bytes from src (a kernel address) at off, allocating blocks as
 *  needed; off may lie past the end (the gap is a hole). In a transaction.
 *  Returns the bytes written; on a full disk the bytes written before it
 *  (the size grows only over those), or FS_ERR_NOSPACE when none were. */
export function writei(ip: i32, src: usize, off: u32, n: u32): i32 {
  const r = rec(ip);
  if (<u64>off + <u64>n > <u64>MAX_FILE_SIZE) {
    if (off >= MAX_FILE_SIZE) return FS_ERR_FILE_TOO_BIG;
    n = MAX_FILE_SIZE - off;
  }
  if (n > <u32>i32.MAX_VALUE) n = <u32>i32.MAX_VALUE;
  let done: u32 = 0;
  let err = FS_OK;
  while (done < n) {
    const pos = off + done;
    const inBlock = pos % BLK_SIZE;
    const chunk = min<u32>(n - done, BLK_SIZE - inBlock);
    const b = bmap(ip, pos / BLK_SIZE, true);
    if (b < 0) { err = <i32>b; break; }
    const buf = bread(<u32>b);
    if (bufFailed(buf)) { err = bufError(buf); break; }
    memory.copy(bufData(buf) + <usize>inBlock, src + <usize>done, <usize>chunk);
    const e = logWrite(buf);
    brelse(buf);
    if (e != FS_OK) { err = e; break; }
    done += chunk;
  }
  if (done > 0 && off + done > r.size) r.size = off + done;
  // The block map may have changed even when nothing was written.
  const u = iupdate(ip);
  if (err == FS_OK) err = u;
  if (done > 0) return <i32>done;
  return err;
}
