// The mount-time check: before a disk is mounted read-write, every inode,
// block pointer, bitmap bit that an inode relies on, directory entry and
// link count is checked against the format (docs/fs-format.md), so that no
// damage is ever built upon (a block an inode uses but the bitmap marks
// free would be handed out again and overwritten). Layer: fs, above
// inode.ts and dir.ts, below fsops.ts. State: FS_STATE_CHECK; two tables
// from the frame allocator for the length of the check (KIND_FSTABLE):
// one bit per disk block (claimed by an inode) and a u16 per inode (the
// directory entries naming it).
//
// The check stops at the first damage it finds, reported through damage.ts
// (one log line; the file system becomes read-only). It reads every block
// at most a bounded number of times: a pointer is followed only the first
// time its block is claimed, so a damaged disk cannot make it loop.
// Allocated inodes with nlink 0 are orphans (fsops.ts reclaims them): their
// blocks count as used and their entries are not counted.
//
// What it does not check (harmless to writing): blocks marked in use that
// nothing uses (counted and logged: leaked space), bitmap bits of the
// metadata and log areas (never allocated), pointers past a file's end
// (freed with the file), and reachability from the root.

import { frameAlloc, frameFree, frameZero, KIND_FSTABLE, MAX_ORDER } from "../mm/frames";
import { BLK_SIZE } from "../dev/blk";
import { bread, brelse, bufData, bufFailed, bufError } from "./bcache";
import {
  dinodeBlock, dinodeOffset, dinodeType, dinodeNlink, dinodeSize, dinodeAddr, indirectEntry, isDataBlock,
  fsInodeCount, fsDiskBlocks, fsDataStart, fsLogStart, fsBmapStart,
  FS_T_FREE, FS_T_DIR, FS_T_DEVICE, NDIRECT, NINDIRECT, NADDRS, BITS_PER_BLOCK, ROOT_INUM,
} from "./inode";
import { direntInum, direntNameByte, direntIsDots, DIRSIZ, DIRENT_SIZE } from "./dir";
import { damageBegin, damageEnd } from "./damage";
import { logBegin as klogBegin, logEnd as klogEnd, LOG_WARN } from "../lib/log";
import { printStr, printDec } from "../lib/print";
import { FS_STATE_CHECK, FS_OK, FS_ERR_CORRUPT, FS_ERR_NOMEM } from "./fsstate";

const INDIRECT_SLOT: u32 = NDIRECT;
const DOUBLE_SLOT: u32 = NDIRECT + 1;
const ENTRIES_PER_BLOCK: u32 = BLK_SIZE / DIRENT_SIZE;
const REFS_MAX: u32 = 0xFFFF;
const PAGE_BYTES: u64 = 4096;
const CHAR_SLASH: u32 = 0x2F;
/** loadInode's flag on a type: the inode is an orphan. */
const ORPHAN_BIT: u32 = 0x1_0000;

// What a walk over an inode's blocks does with each block.
const WALK_CLAIM: u32 = 1; // claim it (pass 1)
const WALK_DIR: u32 = 2;   // read it as directory entries (pass 2)

@unmanaged class CheckState {
  claimed: u32;
  claimedOrder: u32;
  refs: u32;
  refsOrder: u32;
  /** The inode being walked: number, size, and whether "." and ".." were seen. */
  inum: u32;
  size: u32;
  sawDot: u32;
  sawDotdot: u32;
  leaked: u32;
}
/** The walked inode's NADDRS block pointers, copied out of its buffer. */
const CK_ADDRS: usize = 0x40;
// @ts-ignore: decorator
@inline function state(): CheckState { return changetype<CheckState>(FS_STATE_CHECK); }
// @ts-ignore: decorator
@inline function addr(i: u32): u32 { return load<u32>(FS_STATE_CHECK + CK_ADDRS + (<usize>i << 2)); }

/** Smallest order whose block holds `bytes`, or MAX_ORDER + 1. */
function orderFor(bytes: u64): u32 {
  let order: u32 = 0;
  while ((PAGE_BYTES << <u64>order) < bytes && order <= MAX_ORDER) order++;
  return order;
}

/** Checks the mounted geometry's disk. FS_OK when clean; FS_ERR_CORRUPT
 *  after reporting the first damage (the file system is then read-only);
 *  FS_ERR_NOMEM when there is no room for the tables; an I/O code. */
export function fsCheck(): i32 {
  const s = state();
  s.claimedOrder = orderFor((<u64>fsDiskBlocks() + 7) / 8);
  s.refsOrder = orderFor(<u64>fsInodeCount() * 2);
  if (s.claimedOrder > MAX_ORDER || s.refsOrder > MAX_ORDER) return FS_ERR_NOMEM;
  const claimed = frameAlloc(s.claimedOrder, KIND_FSTABLE);
  if (claimed == 0) return FS_ERR_NOMEM;
  const refs = frameAlloc(s.refsOrder, KIND_FSTABLE);
  if (refs == 0) { frameFree(claimed, s.claimedOrder); return FS_ERR_NOMEM; }
  frameZero(claimed, s.claimedOrder);
  frameZero(refs, s.refsOrder);
  s.claimed = <u32>claimed;
  s.refs = <u32>refs;
  s.leaked = 0;
  let r = checkInodes(WALK_CLAIM);
  if (r == FS_OK) r = countLeaked();
  if (r == FS_OK) r = checkInodes(WALK_DIR);
  if (r == FS_OK) r = checkLinks();
  frameFree(claimed, s.claimedOrder);
  frameFree(refs, s.refsOrder);
  s.claimed = 0;
  s.refs = 0;
  if (r == FS_OK && s.leaked != 0) {
    klogBegin(LOG_WARN);
    printStr("fs: ");
    printDec(<u64>s.leaked);
    printStr(" data blocks are marked in use but no inode uses them (leaked space; fsck --repair frees it)");
    klogEnd();
  }
  return r;
}

/** Data blocks the last clean check found leaked. */
export function checkLeaked(): u32 { return state().leaked; }

// ---- Pass 1 and 2: every allocated inode --------------------------------------------

/** Loads inode inum's fields into the state; returns its type, or a negative code. */
function loadInode(inum: u32): i32 {
  const buf = bread(dinodeBlock(inum));
  if (bufFailed(buf)) return bufError(buf);
  const d = bufData(buf) + dinodeOffset(inum);
  const type = dinodeType(d);
  const s = state();
  s.inum = inum;
  s.size = dinodeSize(d);
  for (let i: u32 = 0; i < NADDRS; i++) store<u32>(FS_STATE_CHECK + CK_ADDRS + (<usize>i << 2), dinodeAddr(d, i));
  const nlink = dinodeNlink(d);
  brelse(buf);
  // An orphan is marked by bit 16 so the passes can tell. The root is never
  // one: with nlink 0 it fails the link-count pass instead of being reclaimed.
  return nlink == 0 && type != FS_T_FREE && inum != ROOT_INUM ? <i32>(type | ORPHAN_BIT) : <i32>type;
}

function checkInodes(walk: u32): i32 {
  const n = fsInodeCount();
  for (let inum: u32 = ROOT_INUM; inum < n; inum++) {
    const t = loadInode(inum);
    if (t < 0) return t;
    const type = <u32>t & ~ORPHAN_BIT;
    const orphan = (<u32>t & ORPHAN_BIT) != 0;
    if (type == FS_T_FREE) continue;
    if (walk == WALK_CLAIM) {
      if (type > FS_T_DEVICE) return inodeDamage(inum, " has unknown type ", type);
      if (type == FS_T_DEVICE) {
        for (let i: u32 = 0; i < NADDRS; i++) if (addr(i) != 0) return inodeDamage(inum, " is a device but has block pointers, block ", addr(i));
        continue;
      }
      const r = walkBlocks(WALK_CLAIM);
      if (r != FS_OK) return r;
    } else if (type == FS_T_DIR && !orphan) {
      const s = state();
      s.sawDot = 0;
      s.sawDotdot = 0;
      const r = walkBlocks(WALK_DIR);
      if (r != FS_OK) return r;
      if (s.sawDot == 0) return inodeDamage(inum, " is a directory without '.'", 0);
      if (s.sawDotdot == 0) return inodeDamage(inum, " is a directory without '..'", 0);
    }
  }
  return FS_OK;
}

/** Visits every block of the loaded inode: its data blocks (with their
 *  logical numbers) and, when claiming, its indirect blocks. */
function walkBlocks(walk: u32): i32 {
  for (let i: u32 = 0; i < NDIRECT; i++) {
    const r = visit(walk, addr(i), i, true);
    if (r != FS_OK) return r;
  }
  const ind = addr(INDIRECT_SLOT);
  if (ind != 0) {
    let r = visit(walk, ind, 0, false);
    if (r == FS_OK) r = walkIndirect(walk, ind, NDIRECT);
    if (r != FS_OK) return r;
  }
  const top = addr(DOUBLE_SLOT);
  if (top != 0) {
    const r = visit(walk, top, 0, false);
    if (r != FS_OK) return r;
    for (let i: u32 = 0; i < NINDIRECT; i++) {
      const mid = entryOf(top, i);
      if (mid < 0) return <i32>mid;
      if (mid == 0) continue;
      let e = visit(walk, <u32>mid, 0, false);
      if (e == FS_OK) e = walkIndirect(walk, <u32>mid, NDIRECT + NINDIRECT + i * NINDIRECT);
      if (e != FS_OK) return e;
    }
  }
  return FS_OK;
}

/** Visits the data blocks an indirect block names; the first is logical block `first`. */
function walkIndirect(walk: u32, ind: u32, first: u32): i32 {
  for (let i: u32 = 0; i < NINDIRECT; i++) {
    const b = entryOf(ind, i);
    if (b < 0) return <i32>b;
    const r = visit(walk, <u32>b, first + i, true);
    if (r != FS_OK) return r;
  }
  return FS_OK;
}

/** Entry i of indirect block ind (already claimed, so a data block). */
function entryOf(ind: u32, i: u32): i64 {
  const buf = bread(ind);
  if (bufFailed(buf)) return <i64>bufError(buf);
  const b = indirectEntry(buf, i);
  brelse(buf);
  return <i64>b;
}

function visit(walk: u32, b: u32, logical: u32, data: bool): i32 {
  if (b == 0) return FS_OK;
  if (walk == WALK_CLAIM) return claim(b);
  return data ? checkDirBlock(b, logical) : FS_OK;
}

// ---- Blocks ------------------------------------------------------------------------------

function claim(b: u32): i32 {
  const s = state();
  if (!isDataBlock(b)) {
    damageBegin();
    printStr("inode ");
    printDec(<u64>s.inum);
    printStr(" points at block ");
    printDec(<u64>b);
    printStr(", outside the data area ");
    printDec(<u64>fsDataStart());
    printStr("..");
    printDec(<u64>fsLogStart() - 1);
    damageEnd();
    return FS_ERR_CORRUPT;
  }
  const byte = <usize>s.claimed + <usize>(b >> 3);
  const mask = <u8>(<u32>1 << (b & 7));
  if ((load<u8>(byte) & mask) != 0) return inodeDamage(s.inum, " uses block ", b, ", which another inode (or itself) already uses");
  store<u8>(byte, load<u8>(byte) | mask);
  const used = bitmapMarks(b);
  if (used < 0) return used;
  if (used == 0) return inodeDamage(s.inum, " uses block ", b, ", which the bitmap marks free (it would be handed out again)");
  return FS_OK;
}

/** 1 when the disk's bitmap marks b in use, 0 when free, or a negative code. */
function bitmapMarks(b: u32): i32 {
  const buf = bread(fsBmapStart() + b / BITS_PER_BLOCK);
  if (bufFailed(buf)) return bufError(buf);
  const bit = b % BITS_PER_BLOCK;
  const v = (load<u8>(bufData(buf) + <usize>(bit >> 3)) >> <u8>(bit & 7)) & 1;
  brelse(buf);
  return <i32>v;
}

function countLeaked(): i32 {
  const s = state();
  const end = fsLogStart();
  for (let b = fsDataStart(); b < end; b++) {
    if ((load<u8>(<usize>s.claimed + <usize>(b >> 3)) & <u8>(<u32>1 << (b & 7))) != 0) continue;
    const used = bitmapMarks(b);
    if (used < 0) return used;
    if (used != 0) s.leaked++;
  }
  return FS_OK;
}

// ---- Directories ----------------------------------------------------------------------

function checkDirBlock(b: u32, logical: u32): i32 {
  const s = state();
  const start = <u64>logical * <u64>BLK_SIZE;
  if (start >= <u64>s.size) return FS_OK; // past the end: never read as entries
  const limit = <u32>min<u64>(<u64>ENTRIES_PER_BLOCK, (<u64>s.size - start) / <u64>DIRENT_SIZE);
  const buf = bread(b);
  if (bufFailed(buf)) return bufError(buf);
  let r = FS_OK;
  for (let i: u32 = 0; i < limit && r == FS_OK; i++) r = checkEntry(bufData(buf) + <usize>(i * DIRENT_SIZE));
  brelse(buf);
  return r;
}

function checkEntry(e: usize): i32 {
  const s = state();
  const inum = direntInum(e);
  if (inum == 0) return FS_OK;
  if (direntNameByte(e, 0) == 0) return entryDamage(inum, " with an empty name");
  for (let i: u32 = 0; i < DIRSIZ; i++) {
    const c = direntNameByte(e, i);
    if (c == 0) break;
    if (c == CHAR_SLASH) return entryDamage(inum, " with a '/' in its name");
  }
  if (inum >= fsInodeCount()) return entryDamage(inum, ", past the inode table");
  const dir = s.inum;
  const size = s.size;
  const t = loadTypeOnly(inum);
  if (t < 0) return t;
  s.inum = dir;
  s.size = size;
  const type = <u32>t;
  if (type == FS_T_FREE) return entryDamage(inum, ", which is free");
  if (direntIsDots(e, 1)) {
    if (inum != dir) return entryDamage(inum, " as '.', not itself");
    s.sawDot = 1;
  } else if (direntIsDots(e, 2)) {
    if (type != FS_T_DIR) return entryDamage(inum, " as '..', which is not a directory");
    s.sawDotdot = 1;
  }
  const slot = <usize>s.refs + (<usize>inum << 1);
  const n = <u32>load<u16>(slot);
  if (n < REFS_MAX) store<u16>(slot, <u16>(n + 1));
  return FS_OK;
}

/** The type of inode inum, read without disturbing the walked inode's addrs. */
function loadTypeOnly(inum: u32): i32 {
  const buf = bread(dinodeBlock(inum));
  if (bufFailed(buf)) return bufError(buf);
  const type = dinodeType(bufData(buf) + dinodeOffset(inum));
  brelse(buf);
  return <i32>type;
}

// ---- Pass 3: link counts ----------------------------------------------------------------

function checkLinks(): i32 {
  const s = state();
  const n = fsInodeCount();
  for (let inum: u32 = ROOT_INUM; inum < n; inum++) {
    const buf = bread(dinodeBlock(inum));
    if (bufFailed(buf)) return bufError(buf);
    const d = bufData(buf) + dinodeOffset(inum);
    const type = dinodeType(d);
    const nlink = dinodeNlink(d);
    brelse(buf);
    if (type == FS_T_FREE) continue;
    const names = <u32>load<u16>(<usize>s.refs + (<usize>inum << 1));
    if (nlink == names) continue;
    damageBegin();
    printStr("inode ");
    printDec(<u64>inum);
    printStr(" has nlink ");
    printDec(<u64>nlink);
    printStr(" but ");
    printDec(<u64>names);
    printStr(" directory entries name it");
    damageEnd();
    return FS_ERR_CORRUPT;
  }
  return FS_OK;
}

// ---- Reports ------------------------------------------------------------------------------

function inodeDamage(inum: u32, what: string, value: u32, after: string = ""): i32 {
  damageBegin();
  printStr("inode ");
  printDec(<u64>inum);
  printStr(what);
  if (value != 0) printDec(<u64>value);
  printStr(after);
  damageEnd();
  return FS_ERR_CORRUPT;
}

function entryDamage(inum: u32, what: string): i32 {
  damageBegin();
  printStr("directory inode ");
  printDec(<u64>state().inum);
  printStr(" has an entry naming inode ");
  printDec(<u64>inum);
  printStr(what);
  damageEnd();
  return FS_ERR_CORRUPT;
}
