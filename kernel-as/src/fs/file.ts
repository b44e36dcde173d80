// The VFS boundary: open files. Every descriptor names an open file, and
// files, devices and pipes share this one interface (read, write, stat,
// close). An open file is shared by dup and fork, so they share its offset.
// A call that cannot proceed yet answers FILE_WOULD_BLOCK and says what it
// waits for; the system-call layer sleeps and restarts it.
// Relies on: fs/bootfs (files and the root directory), ipc/pipe, dev/tty,
// lib/print (console output), mm/slab (file records).

import { kmalloc, kfree } from "../mm/slab";
import { objInit, objRetire, objType, OBJ_HEADER_SIZE } from "../cap/cap";
import { KOBJ_FILE, KOBJ_DIRECTORY, KOBJ_PIPE_READ, KOBJ_PIPE_WRITE, KOBJ_CONSOLE } from "../cap/codes";
import {
  bootfsType, bootfsSize, bootfsData, bootfsDirent, bootfsMajor, T_DIR, T_FILE, T_DEVICE,
} from "./bootfs";
import { pipeRead, pipeWrite, pipeAvailable, pipeRoom, pipeReaders, pipeWriters, pipeCloseEnd } from "../ipc/pipe";
import { ttyRead, ttyReadable, TTY_WOULD_BLOCK } from "../dev/tty";
import { printBytes, printFlush } from "../lib/print";
import { iput, inodeType, inodeMajor, inodeSize, stati, FS_T_DEVICE, FS_T_DIR, MAX_FILE_SIZE } from "./inode";
import { fsRead, fsWrite } from "./fsops";
import { FS_ERR_NOSPACE, FS_ERR_FILE_TOO_BIG, FS_ERR_NOINODES, FS_ERR_READONLY } from "./fsstate";

export const FK_INODE: u32 = 1;   // a boot file system file or directory
export const FK_CONSOLE: u32 = 2; // the console device (major 1)
export const FK_PIPE: u32 = 3;
export const FK_DISK: u32 = 4;    // a file or directory of the disk file system

export const CONSOLE_MAJOR: u32 = 1;

// Record layout (64 bytes from kmalloc). An open file is a kernel object:
// it starts with the capability layer's object header, and it lives as long
// as some capability names it (cap/cap.ts counts them; the last capDelete
// says "destroy it", and the descriptor layer calls fileDestroy).
const F_KIND: usize = OBJ_HEADER_SIZE + 0;      // u32
const F_OFFSET: usize = OBJ_HEADER_SIZE + 8;    // u64
const F_MODE: usize = OBJ_HEADER_SIZE + 16;     // u32: FM_READ | FM_WRITE
const F_OBJ: usize = OBJ_HEADER_SIZE + 20;      // u32: inode number or pipe address
const F_PIPE_WRITE: usize = OBJ_HEADER_SIZE + 24; // u32: 1 for a pipe's write end
const F_DISK_IP: usize = OBJ_HEADER_SIZE + 28;  // i32: held disk inode (FK_DISK, or a console opened through a disk node)
const FILE_SIZE: u32 = <u32>OBJ_HEADER_SIZE + 32;

export const FM_READ: u32 = 1;
export const FM_WRITE: u32 = 2;

// Results (negative; counts are >= 0).
export const FILE_WOULD_BLOCK: i32 = -100;
export const FILE_ERR_BROKEN_PIPE: i32 = -101;
export const FILE_ERR_NOT_READABLE: i32 = -102;
export const FILE_ERR_NOT_WRITABLE: i32 = -103;
export const FILE_ERR_NO_DEVICE: i32 = -104;
export const FILE_ERR_READ_ONLY: i32 = -105;
export const FILE_ERR_NO_SPACE: i32 = -106;
export const FILE_ERR_IO: i32 = -107;
/** The offset lies past the end of the file (another descriptor truncated
 *  it): the Unix write of xv6 fails rather than leave a hole. */
export const FILE_ERR_PAST_END: i32 = -108;

// What a FILE_WOULD_BLOCK is waiting for.
export const BLOCK_CONSOLE: u32 = 1;
export const BLOCK_PIPE_READ: u32 = 2;
export const BLOCK_PIPE_WRITE: u32 = 3;

const DIRENT_SIZE: u32 = 16;

function fileNew(kind: u32, mode: u32, obj: u32): usize {
  const f = kmalloc(FILE_SIZE);
  if (f == 0) return 0;
  memory.fill(f, 0, <usize>FILE_SIZE);
  objInit(f, kind == FK_CONSOLE ? KOBJ_CONSOLE : kind == FK_PIPE ? KOBJ_PIPE_READ : KOBJ_FILE);
  store<u32>(f + F_KIND, kind);
  store<u64>(f + F_OFFSET, 0);
  store<u32>(f + F_MODE, mode);
  store<u32>(f + F_OBJ, obj);
  store<u32>(f + F_PIPE_WRITE, 0);
  store<i32>(f + F_DISK_IP, 0);
  return f;
}

/** Opens held disk inode `ip` (the file takes over the reference); a device
 *  node opens its device. Returns 0 (and drops the reference) for an
 *  unknown device or no memory. */
export function fileOpenDisk(ip: i32, mode: u32): usize {
  let f: usize = 0;
  if (inodeType(ip) == FS_T_DEVICE) {
    if (inodeMajor(ip) == CONSOLE_MAJOR) f = fileNew(FK_CONSOLE, mode, 0);
  } else {
    f = fileNew(FK_DISK, mode, 0);
  }
  if (f == 0) { iput(ip); return 0; }
  store<i32>(f + F_DISK_IP, ip);
  if (kind_isDir(ip)) objInit(f, KOBJ_DIRECTORY);
  return f;
}

function kind_isDir(ip: i32): bool { return inodeType(ip) == FS_T_DIR; }

/** The capability object type of an open file (KOBJ_*). */
export function fileObjType(f: usize): u32 { return objType(f); }

export function fileDiskInode(f: usize): i32 { return load<i32>(f + F_DISK_IP); }

export function fileKind(f: usize): u32 { return load<u32>(f + F_KIND); }
export function fileMode(f: usize): u32 { return load<u32>(f + F_MODE); }
export function fileObj(f: usize): u32 { return load<u32>(f + F_OBJ); }

/** Opens inode `inum` of the boot file system (a device node opens its device). */
export function fileOpenInode(inum: u32, mode: u32): usize {
  if (bootfsType(inum) == T_DEVICE) {
    if (bootfsMajor(inum) != CONSOLE_MAJOR) return 0;
    return fileNew(FK_CONSOLE, mode, inum);
  }
  const f = fileNew(FK_INODE, mode, inum);
  if (f != 0 && bootfsType(inum) == T_DIR) objInit(f, KOBJ_DIRECTORY);
  return f;
}

export function fileOpenConsole(mode: u32): usize { return fileNew(FK_CONSOLE, mode, 0); }

/** Both ends of a new pipe: the read end at out, the write end at out + 4. */
export function filePipe(pipe: usize, out: usize): bool {
  const r = fileNew(FK_PIPE, FM_READ, <u32>pipe);
  if (r == 0) return false;
  const w = fileNew(FK_PIPE, FM_WRITE, <u32>pipe);
  if (w == 0) { kfree(r); return false; }
  store<u32>(w + F_PIPE_WRITE, 1);
  objInit(w, KOBJ_PIPE_WRITE);
  store<u32>(out, <u32>r);
  store<u32>(out + 4, <u32>w);
  return true;
}

/** Destroys an open file no capability names any more (or one that was
 *  never handed out): closes its pipe end, drops its disk inode (an
 *  unlinked file goes with its last close), frees the record. */
export function fileDestroy(f: usize): void {
  if (fileKind(f) == FK_PIPE) pipeCloseEnd(<usize>fileObj(f), load<u32>(f + F_PIPE_WRITE) != 0);
  const ip = load<i32>(f + F_DISK_IP);
  if (ip != 0) iput(ip);
  objRetire(f);
  kfree(f);
}

/** How many bytes a read of up to n would return now (0 at end of file), or
 *  FILE_WOULD_BLOCK / a FILE_ERR_*. Lets a caller check the destination
 *  before anything is consumed. */
export function fileReadable(f: usize, n: u32): i32 {
  if ((fileMode(f) & FM_READ) == 0) return FILE_ERR_NOT_READABLE;
  const kind = fileKind(f);
  if (kind == FK_CONSOLE) {
    const r = ttyReadable(n);
    return r == TTY_WOULD_BLOCK ? FILE_WOULD_BLOCK : r;
  }
  if (kind == FK_PIPE) {
    const p = <usize>fileObj(f);
    const avail = pipeAvailable(p);
    if (avail == 0) return pipeWriters(p) == 0 ? 0 : FILE_WOULD_BLOCK;
    return <i32>min<u32>(avail, n);
  }
  const off = load<u64>(f + F_OFFSET);
  if (kind == FK_DISK) {
    const ip = load<i32>(f + F_DISK_IP);
    const dsize = <u64>inodeSize(ip);
    return off >= dsize ? 0 : <i32>min<u64>(<u64>n, dsize - off);
  }
  const inum = fileObj(f);
  const size = <u64>bootfsSize(inum);
  if (off >= size) return 0;
  let count = <u32>min<u64>(<u64>n, size - off);
  if (bootfsType(inum) == T_DIR) count -= count % DIRENT_SIZE;
  return <i32>count;
}

/** Reads up to n bytes into kernel dst. Returns the count, 0 at end of file,
 *  FILE_WOULD_BLOCK (blockOut says on what), or a FILE_ERR_*. */
export function fileRead(f: usize, dst: usize, n: u32, blockOut: usize): i32 {
  if ((fileMode(f) & FM_READ) == 0) return FILE_ERR_NOT_READABLE;
  const kind = fileKind(f);
  if (kind == FK_CONSOLE) {
    const r = ttyRead(dst, n);
    if (r == TTY_WOULD_BLOCK) { store<u32>(blockOut, BLOCK_CONSOLE); return FILE_WOULD_BLOCK; }
    return r;
  }
  if (kind == FK_PIPE) {
    const p = <usize>fileObj(f);
    if (pipeAvailable(p) == 0) {
      if (pipeWriters(p) == 0) return 0;
      store<u32>(blockOut, BLOCK_PIPE_READ);
      return FILE_WOULD_BLOCK;
    }
    return <i32>pipeRead(p, dst, n);
  }
  if (kind == FK_DISK) {
    const doff = load<u64>(f + F_OFFSET);
    const r = fsRead(load<i32>(f + F_DISK_IP), dst, <u32>doff, n);
    if (r < 0) return FILE_ERR_IO;
    store<u64>(f + F_OFFSET, doff + <u64>r);
    return r;
  }
  // A boot file system file or directory.
  const inum = fileObj(f);
  const off = load<u64>(f + F_OFFSET);
  const size = <u64>bootfsSize(inum);
  if (off >= size) return 0;
  let count = <u32>min<u64>(<u64>n, size - off);
  if (bootfsType(inum) == T_DIR) {
    // Whole 16-byte entries only.
    count -= count % DIRENT_SIZE;
    if (off % <u64>DIRENT_SIZE != 0) return 0;
    for (let i: u32 = 0; i < count; i += DIRENT_SIZE) {
      if (!bootfsDirent(<u32>(off / <u64>DIRENT_SIZE) + i / DIRENT_SIZE, dst + i)) { count = i; break; }
    }
  } else {
    memory.copy(dst, bootfsData(inum) + <usize>off, <usize>count);
  }
  store<u64>(f + F_OFFSET, off + <u64>count);
  return <i32>count;
}

/** Writes up to n bytes from kernel src. Returns how many were taken (a pipe
 *  may take fewer), FILE_WOULD_BLOCK, or a FILE_ERR_*. */
export function fileWrite(f: usize, src: usize, n: u32, blockOut: usize): i32 {
  if ((fileMode(f) & FM_WRITE) == 0) return FILE_ERR_NOT_WRITABLE;
  const kind = fileKind(f);
  if (kind == FK_CONSOLE) {
    printBytes(src, <usize>n);
    printFlush();
    return <i32>n;
  }
  if (kind == FK_PIPE) {
    const p = <usize>fileObj(f);
    if (pipeReaders(p) == 0) return FILE_ERR_BROKEN_PIPE;
    if (n > 0 && pipeRoom(p) == 0) { store<u32>(blockOut, BLOCK_PIPE_WRITE); return FILE_WOULD_BLOCK; }
    return <i32>pipeWrite(p, src, n);
  }
  if (kind == FK_DISK) {
    const off = load<u64>(f + F_OFFSET);
    const ip = load<i32>(f + F_DISK_IP);
    if (off > <u64>inodeSize(ip)) return FILE_ERR_PAST_END;
    if (off + <u64>n > <u64>MAX_FILE_SIZE) return FILE_ERR_NO_SPACE;
    const r = fsWrite(ip, src, <u32>off, n);
    if (r == FS_ERR_NOSPACE || r == FS_ERR_FILE_TOO_BIG || r == FS_ERR_NOINODES) return FILE_ERR_NO_SPACE;
    if (r == FS_ERR_READONLY) return FILE_ERR_READ_ONLY;
    if (r < 0) return FILE_ERR_IO;
    store<u64>(f + F_OFFSET, off + <u64>r);
    return r;
  }
  return FILE_ERR_READ_ONLY;
}

/** Fills a 24-byte struct stat (ABI.md) at kernel dst. */
export function fileStat(f: usize, dst: usize): void {
  memory.fill(dst, 0, 24);
  const kind = fileKind(f);
  const ip = load<i32>(f + F_DISK_IP);
  if (ip != 0) { stati(ip, dst); return; }
  if (kind == FK_PIPE) {
    store<u16>(dst + 8, <u16>T_FILE); // xv6 reports pipes as files
    store<u16>(dst + 10, 1);
    return;
  }
  const inum = fileObj(f);
  if (kind == FK_CONSOLE && inum == 0) {
    store<u16>(dst + 8, <u16>T_DEVICE);
    store<u16>(dst + 10, 1);
    return;
  }
  store<i32>(dst, 1); // dev: the boot file system
  store<u32>(dst + 4, inum);
  store<u16>(dst + 8, <u16>bootfsType(inum));
  store<u16>(dst + 10, 1);
  store<u64>(dst + 16, <u64>(bootfsType(inum) == T_DEVICE ? 0 : bootfsSize(inum)));
}

/** The pipe behind a file, for wake-ups (0 if not a pipe). */
export function filePipeOf(f: usize): usize { return fileKind(f) == FK_PIPE ? <usize>fileObj(f) : 0; }
export function fileIsPipeWriteEnd(f: usize): bool { return load<u32>(f + F_PIPE_WRITE) != 0; }
