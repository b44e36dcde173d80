// Files the host hands the running system (the page's drag and drop and
// Import file, Machine.importFile): the host queues pieces of at most a few
// hundred KiB and raises CB_IMPORTS; the kernel pulls each piece through the
// HV_IMPORT_* hypercalls, writes it like any write (one transaction per
// chunk, through the block cache and the journal), and answers with a result
// code. Paths are relative to the root or, with IMPORT_F_CWD, to the working
// directory of the console's session (the shell at its prompt). The host
// checks names (1 to 14 bytes a component); the record is in arch/hw.ts and
// docs/filesystem.md ("Files from the host").
// Relies on: arch/imports (hypercalls), fs/fsops, dev/tty, proc/proc, lib/log.

import { hypercall } from "../arch/imports";
import {
  HV_IMPORT_INFO, HV_IMPORT_READ, HV_IMPORT_DONE, IMPORT_PATH_MAX, IMPORT_INFO_PATH, IMPORT_F_DIR, IMPORT_F_REPLACE, IMPORT_F_CWD,
  IMPORT_F_APPEND, IMPORT_F_PROBE, IMPORT_F_QUIET,
} from "../arch/hw";
import { CONTROL_BLOCK, CB_IMPORTS, SCRATCH_IO, SCRATCH_IO_SIZE, SCRATCH_PATH } from "../lib/layout";
import { fsMounted, fsCreate, fsLookup, fsTruncate, fsWrite } from "../fs/fsops";
import { iput, inodeInum, inodeType, ROOT_INUM, FS_T_FILE, FS_T_DIR } from "../fs/inode";
import { FS_OK, FS_ERR_EXISTS, FS_ERR_ISDIR, FS_ERR_INVALID, FS_ERR_IO, FS_ERR_NOT_MOUNTED } from "../fs/fsstate";
import { ttySession, ttyForeground } from "../dev/tty";
import { procByPid, pCwd, NO_SLOT } from "../proc/proc";
import { logBegin, logEnd, LOG_INFO, LOG_WARN } from "../lib/log";
import { printStr, printDec, printBytes } from "../lib/print";
import { chargeWork } from "../lib/kstate";
import { fsErrText } from "./unix";

const INFO: usize = SCRATCH_PATH + 0x200; // IMPORT_INFO record
/** Work charged per imported byte chunk (deterministic time moves). */
const IMPORT_WORK_PER_CHUNK: u32 = 1000;

export function importsPending(): bool { return load<u32>(CONTROL_BLOCK + CB_IMPORTS) != 0; }

/** The working directory of the console's session leader (else of its
 *  foreground group's leader), or the root when neither has one. */
export function consoleCwdInum(): u32 {
  let slot = NO_SLOT;
  const sid = ttySession();
  if (sid > 0) slot = procByPid(sid);
  if (slot == NO_SLOT || pCwd(slot) <= 0) {
    const fg = ttyForeground();
    if (fg > 0) slot = procByPid(fg);
  }
  if (slot == NO_SLOT) return ROOT_INUM;
  const c = pCwd(slot);
  return c > 0 ? inodeInum(c) : ROOT_INUM;
}

/** Takes the queued pieces the host offers in this slice. */
export function importFiles(): void {
  while (hypercall(HV_IMPORT_INFO, <u32>INFO, 0, 0) == 1) {
    const size = load<u32>(INFO);
    const pathLen = min<u32>(load<u32>(INFO + 4), IMPORT_PATH_MAX);
    const flags = load<u32>(INFO + 8);
    const offset = load<u32>(INFO + 12);
    const total = load<u32>(INFO + 16);
    const path = SCRATCH_PATH;
    memory.copy(path, INFO + IMPORT_INFO_PATH, pathLen);
    store<u8>(path + pathLen, 0);
    const base = (flags & IMPORT_F_CWD) != 0 ? consoleCwdInum() : ROOT_INUM;
    let made: u32 = 0;
    let r: i32 = FS_OK;
    if (!fsMounted()) r = FS_ERR_NOT_MOUNTED;
    else if ((flags & IMPORT_F_PROBE) != 0) r = FS_OK;
    else if (pathLen == 0) r = FS_ERR_INVALID;
    else if ((flags & IMPORT_F_DIR) != 0) r = importDir(path, base);
    else r = importPiece(path, base, flags, offset, size);
    if (r > 0) { made = <u32>r; r = FS_OK; }
    hypercall(HV_IMPORT_DONE, <u32>r, base, made);
    const last = (flags & IMPORT_F_PROBE) == 0 && (offset + size >= total || r != FS_OK);
    if ((flags & IMPORT_F_QUIET) == 0 && last) {
      logBegin(r == FS_OK ? LOG_INFO : LOG_WARN);
      printStr("import: ");
      if (base == ROOT_INUM && load<u8>(path) != 0x2F) printStr("/");
      printBytes(path, <usize>pathLen);
      printStr(" (");
      printDec(<u64>total);
      printStr(" bytes)");
      if (r != FS_OK) { printStr(" failed: "); printStr(fsErrText(r)); }
      logEnd();
    }
  }
}

/** A directory at path (one already there is fine): its inum, or FS_ERR_*. */
function importDir(path: usize, base: u32): i32 {
  let ip = fsCreate(path, base, FS_T_DIR, 0, 0);
  if (ip == FS_ERR_EXISTS) {
    ip = fsLookup(path, base);
    if (ip < 0) return ip;
    if (inodeType(ip) != FS_T_DIR) { iput(ip); return FS_ERR_EXISTS; }
  }
  if (ip < 0) return ip;
  const inum = inodeInum(ip);
  iput(ip);
  return <i32>inum;
}

/** One piece of a file: the first makes (or, with IMPORT_F_REPLACE,
 *  empties) the file; later ones (IMPORT_F_APPEND) write at their offset.
 *  Returns the file's inum, or FS_ERR_*. */
function importPiece(path: usize, base: u32, flags: u32, offset: u32, size: u32): i32 {
  let ip: i32;
  if ((flags & IMPORT_F_APPEND) != 0) {
    ip = fsLookup(path, base);
    if (ip < 0) return ip;
    if (inodeType(ip) != FS_T_FILE) { iput(ip); return FS_ERR_INVALID; }
  } else {
    const existing = fsLookup(path, base);
    if (existing >= 0) {
      const t = inodeType(existing);
      iput(existing);
      if (t == FS_T_DIR) return FS_ERR_ISDIR;
      if (t != FS_T_FILE || (flags & IMPORT_F_REPLACE) == 0) return FS_ERR_EXISTS;
    }
    ip = fsCreate(path, base, FS_T_FILE, 0, 0);
    if (ip < 0) return ip;
    const t = fsTruncate(ip);
    if (t < 0) { iput(ip); return t; }
  }
  let r: i32 = FS_OK;
  let done: u32 = 0;
  while (r == FS_OK && done < size) {
    const want = min<u32>(size - done, <u32>SCRATCH_IO_SIZE);
    const n = hypercall(HV_IMPORT_READ, <u32>SCRATCH_IO, done, want);
    if (n <= 0) { r = FS_ERR_IO; break; }
    chargeWork(IMPORT_WORK_PER_CHUNK);
    const w = fsWrite(ip, SCRATCH_IO, offset + done, <u32>n);
    if (w != n) r = w < 0 ? w : FS_ERR_IO;
    done += <u32>n;
  }
  const inum = inodeInum(ip);
  iput(ip);
  return r == FS_OK ? <i32>inum : r;
}
