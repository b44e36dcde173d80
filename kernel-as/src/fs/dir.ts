// Directories and path names. Layer: fs, above inode.ts, below fsops.ts.
// On-disk format: 16-byte entries (u16 inum, char name[14]) of
// docs/fs-format.md; inum 0 is a free slot.
//
// Names are cut to DIRSIZ (14) bytes everywhere: a longer component names
// the entry whose name is its first 14 bytes (as ABI.md says).
//
// Paths are NUL-terminated kernel strings (already copied in from user
// memory). An absolute path starts at the root; a relative one at the
// working directory, given as an inode number. "." and ".." are ordinary
// entries (the root's ".." is itself), and repeated slashes count as one.
// Every function that returns an inode returns a held handle or a negative
// FS_ERR_* code (see inode.ts).

import { BLK_SIZE } from "../dev/blk";
import { bread, brelse, bufData, bufFailed, bufError } from "./bcache";
import { logWrite } from "./log";
import {
  bmap, iget, iput, idup, inodeType, inodeSize, inodeInum, inodeSetSize, iupdate, fsInodeCount, FS_T_DIR, FS_T_FREE,
  ROOT_INUM, MAX_FILE_SIZE,
} from "./inode";
import { damageBegin, damageEnd } from "./damage";
import { printStr, printDec } from "../lib/print";
import {
  FS_OK, FS_ERR_NOTFOUND, FS_ERR_NOTDIR, FS_ERR_EXISTS, FS_ERR_DIRFULL, FS_ERR_INVALID, FS_ERR_NAMETOOLONG,
  FS_ERR_NOSPACE, FS_ERR_CORRUPT,
} from "./fsstate";

export const DIRSIZ: u32 = 14;
export const DIRENT_SIZE: u32 = 16;
const DE_INUM: usize = 0;
const DE_NAME: usize = 2;
const ENTRIES_PER_BLOCK: u32 = BLK_SIZE / DIRENT_SIZE;
/** Longest path scanned before giving up (ABI.md's MAXPATH is 128; this is generous). */
export const FS_PATH_MAX: u32 = 1024;
const CHAR_SLASH: u8 = 0x2F;
const CHAR_DOT: u8 = 0x2E;

// ---- Entries ------------------------------------------------------------------------

/** True when the entry's name equals name[0..len) (len already <= DIRSIZ). */
function nameMatches(entry: usize, name: usize, len: u32): bool {
  for (let i: u32 = 0; i < len; i++) {
    if (load<u8>(entry + DE_NAME + <usize>i) != load<u8>(name + <usize>i)) return false;
  }
  return len == DIRSIZ || load<u8>(entry + DE_NAME + <usize>len) == 0;
}

/** The inode number of the entry at address e (0: a free slot). */
export function direntInum(e: usize): u32 { return <u32>load<u16>(e + DE_INUM); }
/** Byte i (< DIRSIZ) of the entry's name. */
export function direntNameByte(e: usize, i: u32): u32 { return <u32>load<u8>(e + DE_NAME + <usize>i); }
/** True when the entry at e is named "." (dots = 1) or ".." (dots = 2). */
export function direntIsDots(e: usize, dots: u32): bool {
  for (let i: u32 = 0; i < dots; i++) if (direntNameByte(e, i) != <u32>CHAR_DOT) return false;
  return dots == DIRSIZ || direntNameByte(e, dots) == 0;
}

/** Reports (damage.ts) an entry of directory dir that names no usable inode. */
function badEntry(dir: u32, inum: u32, why: string): i32 {
  damageBegin();
  printStr("directory inode ");
  printDec(<u64>dir);
  printStr(" has an entry naming inode ");
  printDec(<u64>inum);
  printStr(why);
  damageEnd();
  return FS_ERR_CORRUPT;
}

/** True when name[0..len) is "." or "..". */
export function nameIsDots(name: usize, len: u32): bool {
  if (len == 1) return load<u8>(name) == CHAR_DOT;
  if (len == 2) return load<u8>(name) == CHAR_DOT && load<u8>(name + 1) == CHAR_DOT;
  return false;
}

/** Looks name[0..len) up in directory dp. Returns a held handle on the
 *  entry's inode (storing the entry's byte offset at offOut when offOut is
 *  not 0) or FS_ERR_NOTFOUND / FS_ERR_NOTDIR / an I/O code. */
export function dirLookup(dp: i32, name: usize, len: u32, offOut: usize): i32 {
  if (inodeType(dp) != FS_T_DIR) return FS_ERR_NOTDIR;
  if (len > DIRSIZ) len = DIRSIZ;
  const size = inodeSize(dp);
  for (let base: u32 = 0; base < size; base += BLK_SIZE) {
    const b = bmap(dp, base / BLK_SIZE, false);
    if (b < 0) return <i32>b;
    if (b == 0) continue;
    const buf = bread(<u32>b);
    if (bufFailed(buf)) return bufError(buf);
    const limit = min<u32>(ENTRIES_PER_BLOCK, (size - base) / DIRENT_SIZE);
    for (let i: u32 = 0; i < limit; i++) {
      const e = bufData(buf) + <usize>(i * DIRENT_SIZE);
      const inum = <u32>load<u16>(e + DE_INUM);
      if (inum == 0 || !nameMatches(e, name, len)) continue;
      brelse(buf);
      if (offOut != 0) store<u32>(offOut, base + i * DIRENT_SIZE);
      if (inum == inodeInum(dp)) return idup(dp);
      if (inum >= fsInodeCount()) return badEntry(inodeInum(dp), inum, ", past the inode table");
      const ip = iget(inum);
      if (ip > 0 && inodeType(ip) == FS_T_FREE) { iput(ip); return badEntry(inodeInum(dp), inum, ", which is free"); }
      return ip;
    }
    brelse(buf);
  }
  return FS_ERR_NOTFOUND;
}

/** Adds the entry name -> inum to directory dp, in a free slot or at the
 *  end (growing the directory). In a transaction. FS_ERR_EXISTS when the
 *  name is taken; FS_ERR_NOSPACE when the disk cannot hold another block;
 *  FS_ERR_DIRFULL when the directory is at the largest file size. */
export function dirLink(dp: i32, name: usize, len: u32, inum: u32): i32 {
  if (inodeType(dp) != FS_T_DIR) return FS_ERR_NOTDIR;
  if (len > DIRSIZ) len = DIRSIZ;
  if (len == 0) return FS_ERR_INVALID;
  const found = dirLookup(dp, name, len, 0);
  if (found > 0) { iput(found); return FS_ERR_EXISTS; }
  if (found != FS_ERR_NOTFOUND) return found;
  // First free slot, else the end.
  const size = inodeSize(dp);
  let off = size;
  for (let base: u32 = 0; base < size && off == size; base += BLK_SIZE) {
    const b = bmap(dp, base / BLK_SIZE, false);
    if (b < 0) return <i32>b;
    if (b == 0) continue;
    const buf = bread(<u32>b);
    if (bufFailed(buf)) return bufError(buf);
    const limit = min<u32>(ENTRIES_PER_BLOCK, (size - base) / DIRENT_SIZE);
    for (let i: u32 = 0; i < limit; i++) {
      if (load<u16>(bufData(buf) + <usize>(i * DIRENT_SIZE) + DE_INUM) == 0) { off = base + i * DIRENT_SIZE; break; }
    }
    brelse(buf);
  }
  if (<u64>off + <u64>DIRENT_SIZE > <u64>MAX_FILE_SIZE) return FS_ERR_DIRFULL;
  const b = bmap(dp, off / BLK_SIZE, true);
  if (b < 0) {
    // The block map may have gained an indirect block before the disk filled.
    iupdate(dp);
    return <i32>b == FS_ERR_NOSPACE ? FS_ERR_NOSPACE : <i32>b;
  }
  const buf = bread(<u32>b);
  if (bufFailed(buf)) return bufError(buf);
  const e = bufData(buf) + <usize>(off % BLK_SIZE);
  memory.fill(e, 0, <usize>DIRENT_SIZE);
  store<u16>(e + DE_INUM, <u16>inum);
  memory.copy(e + DE_NAME, name, <usize>len);
  const r = logWrite(buf);
  brelse(buf);
  if (r != FS_OK) return r;
  if (off == size) inodeSetSize(dp, size + DIRENT_SIZE);
  return iupdate(dp);
}

/** Clears the entry at byte offset off of directory dp. In a transaction. */
export function dirClear(dp: i32, off: u32): i32 {
  const b = bmap(dp, off / BLK_SIZE, false);
  if (b <= 0) return b == 0 ? FS_ERR_NOTFOUND : <i32>b;
  const buf = bread(<u32>b);
  if (bufFailed(buf)) return bufError(buf);
  memory.fill(bufData(buf) + <usize>(off % BLK_SIZE), 0, <usize>DIRENT_SIZE);
  const r = logWrite(buf);
  brelse(buf);
  return r;
}

/** True when dp holds nothing but "." and "..". Entries are told by name,
 *  not by slot, so a damaged directory whose first slots hold other names is
 *  never taken for empty. */
export function dirIsEmpty(dp: i32): bool {
  const size = inodeSize(dp);
  for (let base: u32 = 0; base < size; base += BLK_SIZE) {
    const b = bmap(dp, base / BLK_SIZE, false);
    if (b < 0) return false;
    if (b == 0) continue;
    const buf = bread(<u32>b);
    if (bufFailed(buf)) return false;
    const limit = min<u32>(ENTRIES_PER_BLOCK, (size - base) / DIRENT_SIZE);
    for (let i: u32 = 0; i < limit; i++) {
      const e = bufData(buf) + <usize>(i * DIRENT_SIZE);
      if (direntInum(e) == 0 || direntIsDots(e, 1) || direntIsDots(e, 2)) continue;
      brelse(buf);
      return false;
    }
    brelse(buf);
  }
  return true;
}

// ---- Paths ------------------------------------------------------------------------------

/** Resolves path to a held handle. */
export function namei(path: usize, cwdInum: u32): i32 {
  return walk(path, cwdInum, false, 0, 0);
}

/** Resolves all but the last component of path: returns a held handle on
 *  the parent directory, copies the last component (cut to DIRSIZ bytes, not
 *  NUL-terminated) to nameOut (room for DIRSIZ bytes) and stores its length
 *  as a u32 at nameLenOut. A path with no last component ("/") is
 *  FS_ERR_INVALID. */
export function nameiParent(path: usize, cwdInum: u32, nameOut: usize, nameLenOut: usize): i32 {
  return walk(path, cwdInum, true, nameOut, nameLenOut);
}

function walk(path: usize, cwdInum: u32, parent: bool, nameOut: usize, nameLenOut: usize): i32 {
  if (load<u8>(path) == 0) return FS_ERR_NOTFOUND; // the empty path names nothing
  let ip = iget(load<u8>(path) == CHAR_SLASH ? ROOT_INUM : cwdInum);
  if (ip < 0) return ip;
  let pos: u32 = 0;
  while (true) {
    while (pos < FS_PATH_MAX && load<u8>(path + <usize>pos) == CHAR_SLASH) pos++;
    if (pos >= FS_PATH_MAX) { iput(ip); return FS_ERR_NAMETOOLONG; }
    if (load<u8>(path + <usize>pos) == 0) break;
    const start = pos;
    while (pos < FS_PATH_MAX && load<u8>(path + <usize>pos) != 0 && load<u8>(path + <usize>pos) != CHAR_SLASH) pos++;
    if (pos >= FS_PATH_MAX) { iput(ip); return FS_ERR_NAMETOOLONG; }
    let len = pos - start;
    if (len > DIRSIZ) len = DIRSIZ;
    if (inodeType(ip) != FS_T_DIR) { iput(ip); return FS_ERR_NOTDIR; }
    if (parent && isLast(path, pos)) {
      memory.copy(nameOut, path + <usize>start, <usize>len);
      store<u32>(nameLenOut, len);
      return ip;
    }
    const next = dirLookup(ip, path + <usize>start, len, 0);
    iput(ip);
    if (next < 0) return next;
    ip = next;
  }
  if (parent) { iput(ip); return FS_ERR_INVALID; }
  return ip;
}

/** True when nothing but slashes follows position pos. */
function isLast(path: usize, pos: u32): bool {
  while (pos < FS_PATH_MAX && load<u8>(path + <usize>pos) == CHAR_SLASH) pos++;
  return pos >= FS_PATH_MAX || load<u8>(path + <usize>pos) == 0;
}
