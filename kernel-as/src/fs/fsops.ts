// File-system operations: what the system calls need, each one complete
// transaction (or, for fsWrite, a sequence of them). Layer: fs, top; above
// dir.ts and inode.ts. State: FS_STATE_OPS (mount flag, write chunk size).
//
// Transaction rule: every call here that changes the disk runs in its own
// transaction, committed before it returns, so after a crash each such call
// has happened entirely or not at all. The exception is fsWrite of more than
// a chunk (fsWriteChunk() bytes): it commits chunk by chunk, in order, so a
// crash leaves a prefix of the write (like xv6).
//
// Chunk size: a chunk of k file blocks changes at most k data blocks, up to
// 4 indirect blocks (single, double, two second-level), the bitmap blocks for
// all of those (at worst one each: k + 4) and the inode block: 2k + 9 log
// blocks. So k = (logCapacity() - 9) / 2: 123 blocks (492 KiB) with the
// default 256-block transactions. Chunks end on block boundaries.
//
// Other operations touch a bounded handful of blocks (create: two inode
// blocks, a directory block, its bitmap and indirect blocks, the new
// directory's first block) except freeing a file (truncate, or unlink of the
// last name of a closed file), which changes the inode block and up to every
// bitmap block; mount refuses a log too small for that.
//
// Link counts: nlink is the number of directory entries naming the inode,
// "." and ".." included. A new file has 1; a new directory 2 (its name and
// its own "."), and its parent gains 1 for the child's "..". The root starts
// with 2 (its "." and ".."), as host/fs/mkfs.ts makes it.
//
// Inodes: functions returning an inode return a held handle (> 0, one
// reference: give it back with iput) or a negative FS_ERR_* code. The
// working directory is passed as an inode number; the caller should hold a
// reference on it (iget at chdir, iput when leaving it), so an unlinked
// working directory stays a valid, empty directory until then.

import { blkInit, blkCapacity, blkFlush, BLK_OK, BLK_ERR_NO_DISK, BLK_ERR_NO_MEMORY, BLK_SIZE } from "../dev/blk";
import { bcacheInit, bread, brelse, bwrite, bufData, bufFailed, bufError, NBUF, BCACHE_SPARE } from "./bcache";
import { logInit, logCapacity, logSetReadOnly, logReadOnly } from "./log";
import { fsCheck } from "./check";
import { damageReset, damageReports } from "./damage";
import {
  inodeInit, inodeHeld, iget, iput, ialloc, iupdate, itrunc, readi, writei, txnBegin, txnEnd, txnAbort,
  inodeType, inodeNlink, inodeSize, inodeSetNlink, inodeSetDevice, inodeInum, countFreeBlocks, countFreeInodes,
  fsDataBlocks, fsInodeCount, fsDiskBlocks, inodeNextOrphan, FS_T_DIR, FS_T_FILE, FS_T_DEVICE, ROOT_INUM, INODES_PER_BLOCK,
  BITS_PER_BLOCK, MAX_INODES, MAX_FILE_SIZE,
} from "./inode";
import { logBegin as klogBegin, logEnd as klogEnd, kinfo, kwarn, LOG_INFO } from "../lib/log";
import { printStr, printDec } from "../lib/print";
import { dirLookup, dirLink, dirClear, dirIsEmpty, nameiParent, namei, nameIsDots } from "./dir";
import {
  FS_STATE_OPS, FS_OK, FS_ERR_NODISK, FS_ERR_IO, FS_ERR_CORRUPT, FS_ERR_NOMEM, FS_ERR_MOUNTED, FS_ERR_NOT_MOUNTED,
  FS_ERR_EXISTS, FS_ERR_ISDIR, FS_ERR_NOTEMPTY, FS_ERR_INVALID, FS_ERR_TOO_MANY_LINKS, FS_ERR_NOTFOUND,
  FS_ERR_BAD_HANDLE, FS_ERR_FILE_TOO_BIG, FS_ERR_NOSPACE,
} from "./fsstate";

// ---- Superblock (block 1) -----------------------------------------------------------

export const FS_MAGIC: u32 = 0x3153464B; // "KFS1"
/** Version 2: the log carries checksums. */
export const FS_VERSION: u32 = 2;
/** Version 1 (no log checksums) is still mounted, and upgraded to 2 in place. */
export const FS_VERSION_V1: u32 = 1;
export const SUPERBLOCK: u32 = 1;
const SB_MAGIC: usize = 0;
const SB_VERSION: usize = 4;
const SB_SIZE: usize = 8;
const SB_NINODES: usize = 12;
const SB_INODESTART: usize = 16;
const SB_BMAPSTART: usize = 20;
const SB_DATASTART: usize = 24;
const SB_LOGSTART: usize = 28;
const SB_NLOG: usize = 32;
const SB_ROOTINUM: usize = 36;
const INODESTART: u32 = 2;

/** Log blocks a write chunk needs beyond 2 per file block (see the header). */
const WRITE_CHUNK_OVERHEAD: u32 = 9;
/** Blocks a freeing transaction needs beyond the bitmap blocks. */
const FREE_OVERHEAD: u32 = 8;

// struct statfs as fsStatfs fills it (24 bytes, all u32).
export const STATFS_SIZE: u32 = 24;
const SF_BSIZE: usize = 0;   // block size in bytes
const SF_BLOCKS: usize = 4;  // data blocks (the data region)
const SF_BFREE: usize = 8;   // free data blocks
const SF_FILES: usize = 12;  // inodes usable for files (ninodes - 1: inode 0 is never used)
const SF_FFREE: usize = 16;  // free inodes
const SF_DISK: usize = 20;   // whole disk in blocks (superblock, inodes, bitmap, log included)

@unmanaged class OpsState {
  mounted: u32;
  /** Bytes per fsWrite transaction (a multiple of the block size). */
  chunk: u32;
}
// Scratch inside the record: the last path component and its length, the
// offset of a directory entry.
const OPS_NAME: usize = 0x40;     // DIRSIZ bytes
const OPS_NAME_LEN: usize = 0x50; // u32
const OPS_ENTRY_OFF: usize = 0x54; // u32
const OPS_DOTS: usize = 0x58;      // ".." (its first byte alone is ".")
// @ts-ignore: decorator
@inline function state(): OpsState { return changetype<OpsState>(FS_STATE_OPS); }
// @ts-ignore: decorator
@inline function nameScratch(): usize { return FS_STATE_OPS + OPS_NAME; }
// @ts-ignore: decorator
@inline function nameLen(): u32 { return load<u32>(FS_STATE_OPS + OPS_NAME_LEN); }
/** Most links an inode can have (nlink is a u16). */
export const FS_MAX_LINKS: u32 = 0xFFFF;

function ceilDiv(a: u32, b: u32): u32 { return <u32>((<u64>a + <u64>b - 1) / <u64>b); }

// ---- Mount ------------------------------------------------------------------------------

/** fsMountWith flag: mount read-only whatever the check finds. */
export const FS_MOUNT_READONLY: u32 = 1;

/** fsMountWith(0). */
export function fsMount(): i32 { return fsMountWith(0); }

/** Starts the driver, checks the superblock, recovers the log, checks the
 *  root directory and then the whole disk (check.ts). A clean disk is
 *  mounted read-write (unless FS_MOUNT_READONLY): a version-1 superblock is
 *  upgraded and orphans are reclaimed. A damaged one is mounted read-only
 *  (the check logged what it found) and nothing on it is changed.
 *  FS_ERR_NODISK without a disk, FS_ERR_CORRUPT for a missing or
 *  inconsistent superblock or a root that is not a directory, FS_ERR_IO on a
 *  device error. */
export function fsMountWith(flags: u32): i32 {
  const s = state();
  if (s.mounted != 0) return FS_ERR_MOUNTED;
  damageReset();
  const d = blkInit();
  if (d == BLK_ERR_NO_DISK) return FS_ERR_NODISK;
  if (d == BLK_ERR_NO_MEMORY) return FS_ERR_NOMEM;
  if (d != BLK_OK) return FS_ERR_IO;
  const capacity = blkCapacity();
  if (capacity <= SUPERBLOCK) return FS_ERR_CORRUPT;
  let r = bcacheInit();
  if (r != FS_OK) return r;
  const buf = bread(SUPERBLOCK);
  if (bufFailed(buf)) return bufError(buf);
  const sb = bufData(buf);
  const magic = load<u32>(sb + SB_MAGIC);
  const version = load<u32>(sb + SB_VERSION);
  const size = load<u32>(sb + SB_SIZE);
  const ninodes = load<u32>(sb + SB_NINODES);
  const inodestart = load<u32>(sb + SB_INODESTART);
  const bmapstart = load<u32>(sb + SB_BMAPSTART);
  const datastart = load<u32>(sb + SB_DATASTART);
  const logstart = load<u32>(sb + SB_LOGSTART);
  const nlog = load<u32>(sb + SB_NLOG);
  const rootinum = load<u32>(sb + SB_ROOTINUM);
  brelse(buf);
  if (magic != FS_MAGIC || (version != FS_VERSION && version != FS_VERSION_V1)) return FS_ERR_CORRUPT;
  if (size > capacity || size <= INODESTART) return FS_ERR_CORRUPT;
  if (ninodes <= ROOT_INUM || ninodes > MAX_INODES || rootinum != ROOT_INUM) return FS_ERR_CORRUPT;
  if (inodestart != INODESTART || bmapstart != inodestart + ceilDiv(ninodes, INODES_PER_BLOCK)) return FS_ERR_CORRUPT;
  const nbmap = ceilDiv(size, BITS_PER_BLOCK);
  if (<u64>datastart != <u64>bmapstart + <u64>nbmap) return FS_ERR_CORRUPT;
  if (nlog >= size || logstart != size - nlog || datastart >= logstart) return FS_ERR_CORRUPT;
  r = logInit(logstart, nlog, version == FS_VERSION_V1);
  if (r != FS_OK) return r;
  const cap = logCapacity();
  // Freeing a file must fit in one transaction (see the header).
  if (nbmap + FREE_OVERHEAD > cap || cap + BCACHE_SPARE > NBUF) return FS_ERR_CORRUPT;
  r = inodeInit(size, ninodes, inodestart, bmapstart, datastart, logstart);
  if (r != FS_OK) return r;
  const root = iget(ROOT_INUM);
  if (root < 0) return root;
  const rootType = inodeType(root);
  iput(root);
  if (rootType != FS_T_DIR) return FS_ERR_CORRUPT;
  if ((flags & FS_MOUNT_READONLY) != 0) logSetReadOnly(true);
  r = fsCheck();
  if (r == FS_ERR_NOMEM) {
    kwarn("fs: not enough memory to check the disk; it is mounted read-only");
    logSetReadOnly(true);
  } else if (r != FS_OK && r != FS_ERR_CORRUPT) {
    return r;
  }
  if (!logReadOnly()) {
    if (version == FS_VERSION_V1) {
      r = upgradeSuperblock();
      if (r != FS_OK) return r;
    }
    r = reclaimOrphans();
    if (r != FS_OK) return r;
  }
  s.chunk = ((cap - WRITE_CHUNK_OVERHEAD) / 2) * BLK_SIZE;
  s.mounted = 1;
  return FS_OK;
}

/** Rewrites a version-1 superblock as version 2 before the first
 *  transaction: the two differ only in the log header's layout, recovery
 *  has just left the header empty (the same bytes in both), and one block
 *  write lands whole or not at all, so no crash can pair a header of one
 *  layout with a superblock of the other. */
function upgradeSuperblock(): i32 {
  const buf = bread(SUPERBLOCK);
  if (bufFailed(buf)) return bufError(buf);
  store<u32>(bufData(buf) + SB_VERSION, FS_VERSION);
  let r = bwrite(buf);
  brelse(buf);
  if (r == FS_OK && blkFlush() != BLK_OK) r = FS_ERR_IO;
  if (r != FS_OK) return r;
  kinfo("fs: upgraded the disk from format version 1 to 2 (checksummed log)");
  return FS_OK;
}

/** Frees every orphan (an allocated inode no directory names: a file or
 *  directory unlinked while open when the machine stopped), each in its own
 *  transaction, with a log line for each. Nothing is open at mount, so the
 *  last iput frees it as the last close would have. */
function reclaimOrphans(): i32 {
  let from: u32 = ROOT_INUM + 1;
  while (true) {
    const next = inodeNextOrphan(from);
    if (next <= 0) return <i32>next;
    const inum = <u32>next;
    from = inum + 1;
    const ip = iget(inum);
    if (ip < 0) return ip;
    const type = inodeType(ip);
    const size = inodeSize(ip);
    const e = iput(ip); // nlink 0 and the last reference: the inode is freed
    if (e == FS_ERR_IO || e == FS_ERR_NODISK) return e;
    if (e != FS_OK) return FS_OK; // damage (reported; now read-only): leave the rest
    klogBegin(LOG_INFO);
    printStr("fs: reclaimed orphan inode ");
    printDec(<u64>inum);
    printStr(type == FS_T_DIR ? " (a directory" : " (a file of ");
    if (type != FS_T_DIR) { printDec(<u64>size); printStr(" bytes"); }
    printStr(" unlinked while open)");
    klogEnd();
  }
  return FS_OK;
}

export function fsMounted(): bool { return state().mounted != 0; }
/** True when the mounted file system refuses every change (damage, or asked for). */
export function fsReadOnly(): bool { return logReadOnly(); }
/** Damage reports since mount (damage.ts). */
export function fsDamageReports(): u32 { return damageReports(); }
/** Bytes fsWrite commits per transaction. */
export function fsWriteChunk(): u32 { return state().chunk; }

// ---- Lookup -------------------------------------------------------------------------------

/** A held handle on the inode path names (open without O_CREATE, exec, chdir). */
export function fsLookup(path: usize, cwdInum: u32): i32 {
  if (state().mounted == 0) return FS_ERR_NOT_MOUNTED;
  return namei(path, cwdInum);
}

// ---- Create, unlink, link -----------------------------------------------------------------
// Each runs in one transaction; a failure after the transaction has begun
// abandons it (txnAbort), so the disk is exactly as before the call.

/** Creates path as a file, directory or device (open with O_CREATE, mkdir,
 *  mknod) and returns a held handle on it. When the name exists and a file
 *  is asked for, an existing file or device is returned instead (O_CREATE);
 *  a directory there is FS_ERR_ISDIR. mkdir and mknod on an existing name
 *  are FS_ERR_EXISTS. major and minor are kept for devices only. */
export function fsCreate(path: usize, cwdInum: u32, type: u32, major: u32, minor: u32): i32 {
  if (state().mounted == 0) return FS_ERR_NOT_MOUNTED;
  if (type != FS_T_FILE && type != FS_T_DIR && type != FS_T_DEVICE) return FS_ERR_INVALID;
  const name = nameScratch();
  const dp = nameiParent(path, cwdInum, name, FS_STATE_OPS + OPS_NAME_LEN);
  if (dp < 0) return dp;
  const len = nameLen();
  const existing = dirLookup(dp, name, len, 0);
  if (existing > 0) {
    iput(dp);
    const t = inodeType(existing);
    if (type == FS_T_FILE && (t == FS_T_FILE || t == FS_T_DEVICE)) return existing;
    iput(existing);
    return type == FS_T_FILE && t == FS_T_DIR ? FS_ERR_ISDIR : FS_ERR_EXISTS;
  }
  if (existing != FS_ERR_NOTFOUND) { iput(dp); return existing; }
  // A removed directory (still held as someone's working directory) takes no new names.
  if (inodeNlink(dp) == 0) { iput(dp); return FS_ERR_NOTFOUND; }
  if (type == FS_T_DIR && inodeNlink(dp) >= FS_MAX_LINKS) { iput(dp); return FS_ERR_TOO_MANY_LINKS; }

  let r = txnBegin();
  if (r != FS_OK) { iput(dp); return r; }
  const ip = ialloc(type);
  if (ip < 0) { txnAbort(); iput(dp); return ip; }
  inodeSetDevice(ip, type == FS_T_DEVICE ? major : 0, type == FS_T_DEVICE ? minor : 0);
  inodeSetNlink(ip, type == FS_T_DIR ? 2 : 1);
  r = iupdate(ip);
  if (r == FS_OK && type == FS_T_DIR) {
    // "." and ".." in the new directory; the parent gains a link for "..".
    r = dirLink(ip, dotName(), 1, inodeInum(ip));
    if (r == FS_OK) r = dirLink(ip, dotName(), 2, inodeInum(dp));
    if (r == FS_OK) { inodeSetNlink(dp, inodeNlink(dp) + 1); r = iupdate(dp); }
  }
  if (r == FS_OK) r = dirLink(dp, name, len, inodeInum(ip));
  if (r != FS_OK) {
    iput(ip);
    txnAbort();
    iput(dp);
    return r;
  }
  r = txnEnd();
  iput(dp);
  if (r != FS_OK) { iput(ip); return r; }
  return ip;
}

/** The name ".." (take length 1 for "."). */
function dotName(): usize {
  const p = FS_STATE_OPS + OPS_DOTS;
  store<u8>(p, 0x2E);
  store<u8>(p + 1, 0x2E);
  return p;
}

/** Removes the name path. Refuses "." and ".." (FS_ERR_INVALID) and
 *  non-empty directories (FS_ERR_NOTEMPTY). The inode itself goes when its
 *  last name and its last reference are gone (an open file lives on until
 *  its last iput). */
export function fsUnlink(path: usize, cwdInum: u32): i32 {
  if (state().mounted == 0) return FS_ERR_NOT_MOUNTED;
  const name = nameScratch();
  const dp = nameiParent(path, cwdInum, name, FS_STATE_OPS + OPS_NAME_LEN);
  if (dp < 0) return dp;
  const len = nameLen();
  if (nameIsDots(name, len)) { iput(dp); return FS_ERR_INVALID; }
  const ip = dirLookup(dp, name, len, FS_STATE_OPS + OPS_ENTRY_OFF);
  if (ip < 0) { iput(dp); return ip; }
  const off = load<u32>(FS_STATE_OPS + OPS_ENTRY_OFF);
  const isDir = inodeType(ip) == FS_T_DIR;
  if (isDir && !dirIsEmpty(ip)) { iput(ip); iput(dp); return FS_ERR_NOTEMPTY; }

  let r = txnBegin();
  if (r != FS_OK) { iput(ip); iput(dp); return r; }
  r = dirClear(dp, off);
  if (r == FS_OK && isDir) {
    // The child's ".." no longer names the parent.
    inodeSetNlink(dp, inodeNlink(dp) - 1);
    r = iupdate(dp);
  }
  if (r == FS_OK) {
    // A directory loses its name and its own "." together.
    const drop: u32 = isDir ? 2 : 1;
    const nlink = inodeNlink(ip);
    inodeSetNlink(ip, nlink > drop ? nlink - drop : 0);
    r = iupdate(ip);
  }
  // Frees the inode now if this was its last name and nobody holds it.
  if (r == FS_OK) r = iput(ip); else iput(ip);
  if (r != FS_OK) { txnAbort(); iput(dp); return r; }
  r = txnEnd();
  iput(dp);
  return r;
}

/** Gives the file at oldPath the extra name newPath. Directories cannot be
 *  linked (FS_ERR_ISDIR). */
export function fsLink(oldPath: usize, newPath: usize, cwdInum: u32): i32 {
  if (state().mounted == 0) return FS_ERR_NOT_MOUNTED;
  const ip = namei(oldPath, cwdInum);
  if (ip < 0) return ip;
  if (inodeType(ip) == FS_T_DIR) { iput(ip); return FS_ERR_ISDIR; }
  if (inodeNlink(ip) >= FS_MAX_LINKS) { iput(ip); return FS_ERR_TOO_MANY_LINKS; }
  const name = nameScratch();
  const dp = nameiParent(newPath, cwdInum, name, FS_STATE_OPS + OPS_NAME_LEN);
  if (dp < 0) { iput(ip); return dp; }
  const len = nameLen();
  if (inodeNlink(dp) == 0) { iput(dp); iput(ip); return FS_ERR_NOTFOUND; }

  let r = txnBegin();
  if (r != FS_OK) { iput(dp); iput(ip); return r; }
  inodeSetNlink(ip, inodeNlink(ip) + 1);
  r = iupdate(ip);
  if (r == FS_OK) r = dirLink(dp, name, len, inodeInum(ip));
  if (r != FS_OK) { txnAbort(); iput(dp); iput(ip); return r; }
  r = txnEnd();
  iput(dp);
  iput(ip);
  return r;
}

// ---- Contents ----------------------------------------------------------------------------

/** Empties the file (open with O_TRUNC). */
export function fsTruncate(ip: i32): i32 {
  if (!inodeHeld(ip)) return FS_ERR_BAD_HANDLE;
  if (inodeType(ip) == FS_T_DIR) return FS_ERR_ISDIR;
  if (inodeSize(ip) == 0) return FS_OK;
  let r = txnBegin();
  if (r != FS_OK) return r;
  r = itrunc(ip);
  if (r != FS_OK && r != FS_ERR_CORRUPT) { txnAbort(); return r; }
  const e = txnEnd();
  return e != FS_OK ? e : r;
}

/** Writes n bytes from src (a kernel address) at byte offset off, in
 *  transactions of at most fsWriteChunk() bytes each ending on a block
 *  boundary. Returns the bytes written and committed; a full disk ends the
 *  write early (the count says how far it got) or, when nothing could be
 *  written, returns FS_ERR_NOSPACE. Directories are FS_ERR_ISDIR. */
export function fsWrite(ip: i32, src: usize, off: u32, n: u32): i32 {
  const s = state();
  if (s.mounted == 0) return FS_ERR_NOT_MOUNTED;
  if (!inodeHeld(ip)) return FS_ERR_BAD_HANDLE;
  if (inodeType(ip) == FS_T_DIR) return FS_ERR_ISDIR;
  if (n > <u32>i32.MAX_VALUE) n = <u32>i32.MAX_VALUE;
  let done: u32 = 0;
  while (done < n) {
    const pos = <u64>off + <u64>done;
    if (pos >= <u64>MAX_FILE_SIZE) break;
    // This chunk ends at the next multiple of the chunk size past pos's block.
    const chunkEnd = (pos / <u64>BLK_SIZE) * <u64>BLK_SIZE + <u64>s.chunk;
    const len = <u32>min<u64>(<u64>(n - done), chunkEnd - pos);
    let r = txnBegin();
    if (r != FS_OK) return done > 0 ? <i32>done : r;
    let w = writei(ip, src + <usize>done, <u32>pos, len);
    if (w < 0) { txnAbort(); return done > 0 ? <i32>done : w; }
    if (<u32>w < len) {
      // The disk filled part-way. The failed block may have left indirect
      // blocks that map nothing below the new end; rather than hunt them
      // down, throw the attempt away and write exactly what fitted.
      txnAbort();
      r = txnBegin();
      if (r != FS_OK) return done > 0 ? <i32>done : r;
      const again = writei(ip, src + <usize>done, <u32>pos, <u32>w);
      if (again != w) { txnAbort(); return done > 0 ? <i32>done : (again < 0 ? again : FS_ERR_NOSPACE); }
    }
    r = txnEnd();
    if (r != FS_OK) return done > 0 ? <i32>done : r;
    done += <u32>w;
    if (<u32>w < len) break; // the disk is full
  }
  return done > 0 || n == 0 ? <i32>done : FS_ERR_FILE_TOO_BIG;
}

/** Reads up to n bytes at off into dst; returns the count (0 at the end). */
export function fsRead(ip: i32, dst: usize, off: u32, n: u32): i32 {
  if (!inodeHeld(ip)) return FS_ERR_BAD_HANDLE;
  return readi(ip, dst, off, n);
}

/** Fills the statfs record at out (STATFS_SIZE bytes, see SF_*). */
export function fsStatfs(out: usize): i32 {
  if (state().mounted == 0) return FS_ERR_NOT_MOUNTED;
  const freeBlocks = countFreeBlocks();
  if (freeBlocks < 0) return <i32>freeBlocks;
  const freeInodes = countFreeInodes();
  if (freeInodes < 0) return <i32>freeInodes;
  store<u32>(out + SF_BSIZE, BLK_SIZE);
  store<u32>(out + SF_BLOCKS, fsDataBlocks());
  store<u32>(out + SF_BFREE, <u32>freeBlocks);
  store<u32>(out + SF_FILES, fsInodeCount() - 1);
  store<u32>(out + SF_FFREE, <u32>freeInodes);
  store<u32>(out + SF_DISK, fsDiskBlocks());
  return FS_OK;
}
