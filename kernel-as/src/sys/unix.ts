// The Unix personality: system calls 1-21 of ABI.md with exactly their
// semantics, and Keel's extensions (100+, docs/abi.md). Each call first
// decodes (descriptor, rights, user pointers: every pointer goes through the
// page tables via copyin/copyout) and only then acts. Errors return -1 and
// leave a reason the process can read with errstr().
//
// Blocking: a call that must wait puts the process to sleep without moving
// pc past its ecall; when woken, the ecall runs again. Calls are written so
// that running again is correct (a write remembers how much it moved).
// Relies on: proc/*, fs/*, ipc/pipe, mm/vm, sched/sched, machine/hart.

import { cpuRunsSlot } from "../lib/cpu";
import { sctraceActive, sctraced, sctraceEnter, sctraceLeave, sysTrace } from "./sctrace";
import {
  NOFILE, NO_SLOT, MAX_PROCS, P_UNUSED, P_RUNNABLE, P_RUNNING, P_SLEEPING, P_ZOMBIE, W_CONSOLE, W_PIPE_READ,
  W_PIPE_WRITE, W_CHILD, W_SLEEP, ERRSTR_MAX, procFreeSlot, procTable, procByPid, pState, pPid, pParent, pExit,
  pCtx, pCapMode, pBrk, pSetBrk, pHeapStart, pLazy, pSetLazy, pNice, pSetNice, pCpuNs,
  pSwitches, pLastCpu, pName, pErrstr, pSleepUntil, pSetSleepUntil, pProgress, pSetProgress, pRoot, pAsid, pRegion, pCwd,
  pSetCwd, pProc, pIsThread,
  MAX_REGIONS, REGION_SIZE,
} from "../proc/proc";
import { procFork, procExit, procFindZombieChild, procKill, WAIT_BLOCK, WAIT_NO_CHILDREN } from "../proc/lifecycle";
import { capNodeRights } from "../cap/cap";
import { fdInstall, fdFile, fdClose, fdDup, capErrText } from "./fd";
import { arg, argInt, fail, fail2, copyPath, PATH_MAX } from "./callargs";
import { nativeCall, SYS_NATIVE_FIRST, SYS_NATIVE_LAST, NATIVE_BLOCKED } from "./native";
import { schedCall, SYS_SCHED_FIRST, SYS_SCHED_LAST } from "./schedcalls";
import { nicCall, SYS_NIC_FIRST, SYS_NIC_LAST, NIC_CALL_BLOCKED } from "./netcalls";
import { threadCount, threadCpuNs, threadSwitches, threadProcessState } from "../proc/thread";
import { threadCall, SYS_THREAD_FIRST, SYS_THREAD_LAST, THREAD_CALL_BLOCKED, THREAD_CALL_EXITED } from "./threads";
import {
  signalCall, consoleReadCheck, SYS_SIGNAL_FIRST, SYS_SIGNAL_LAST, SIGNAL_BLOCKED, SIGNAL_REGISTERS_SET,
  CONSOLE_READ_STOPPED, CONSOLE_READ_DENIED,
} from "./signals";
import { sigExec, sigStopped } from "../proc/signal";
import { pidAllowed } from "./pids";
import { CAP_ERR_NO_RIGHTS, CAP_ERR_BAD_SLOT, RIGHT_DELETE, RIGHT_EXECUTE, RIGHTS_ALL } from "../cap/codes";
import {
  execBootfs, EXEC_OK, EXEC_ELF_BASE, EXEC_ERR_NOMEM, EXEC_ERR_ARGS, EXEC_ERR_IMAGE_TOO_BIG, EXEC_ERR_SEGMENTS, MAXARG, ARG_SPACE,
} from "../proc/exec";
import { elfErrorText } from "../proc/elf";
import {
  fileOpenInode, fileOpenDisk, filePipe, fileDestroy, fileRead, fileReadable, fileWrite, fileStat, filePipeOf,
  fileKind,
  FK_CONSOLE, FM_READ, FM_WRITE,
  FILE_WOULD_BLOCK, FILE_ERR_BROKEN_PIPE, FILE_ERR_NOT_READABLE, FILE_ERR_NOT_WRITABLE, FILE_ERR_NO_SPACE, FILE_ERR_IO,
  FILE_ERR_PAST_END,
  BLOCK_CONSOLE,
  BLOCK_PIPE_READ, BLOCK_PIPE_WRITE,
} from "../fs/file";
import { pathResolve, pathBasename } from "../fs/path";
import { bootfsType, T_DIR, T_DEVICE } from "../fs/bootfs";
import { pipeCreate, pipeCloseEnd } from "../ipc/pipe";
import { SHM_BASE } from "../ipc/shm";
import {
  copyin, copyout, copyinstr, heapRegion, regionSetEnd, regionFlags, mapZeroed, unmapRange, pageUp, PAGE,
  USER_VA_LIMIT, VM_OK, VM_ERR_LIMIT, vmFault, ACCESS_WRITE,
} from "../mm/vm";
import { ptLeafFlags } from "../mm/pagetable";
import { PTE_U, PTE_W, PTE_V } from "../machine/sv48";
import { schedSleep, wakeup, NICE_MIN, NICE_MAX } from "../sched/sched";
import { hartGetReg, hartSetReg, hartGetPc, hartSetPc } from "../machine/hart";
import { timeNowNs } from "../arch/timer";
import { kernel, chargeWork } from "../lib/kstate";
import { SCRATCH_IO, SCRATCH_IO_SIZE, SCRATCH_PATH, SCRATCH_EXEC_STRINGS, SCRATCH_EXEC_OFFSETS } from "../lib/layout";
import { fsMounted, fsLookup, fsCreate, fsUnlink, fsLink, fsTruncate, fsStatfs } from "../fs/fsops";
import { iput, inodeType, inodeInum, ROOT_INUM, FS_T_DIR, FS_T_FILE, FS_T_DEVICE } from "../fs/inode";
import {
  FS_ERR_NOTFOUND, FS_ERR_NOTDIR, FS_ERR_EXISTS, FS_ERR_ISDIR, FS_ERR_NOTEMPTY, FS_ERR_INVALID, FS_ERR_NOSPACE,
  FS_ERR_NOINODES, FS_ERR_DIRFULL, FS_ERR_FILE_TOO_BIG, FS_ERR_TOO_MANY_LINKS, FS_ERR_NAMETOOLONG, FS_ERR_IO,
  FS_ERR_NOBUF, FS_ERR_ICACHE_FULL, FS_ERR_NOMEM, FS_ERR_READONLY, FS_ERR_CORRUPT,
} from "../fs/fsstate";
import { execDisk, EXEC_ERR_TOO_BIG, EXEC_ERR_IO } from "../proc/loader";
import { logBegin, logEnd, LOG_WARN } from "../lib/log";
import { printStr, printDec } from "../lib/print";

export const SYS_FORK: u32 = 1;
export const SYS_EXIT: u32 = 2;
export const SYS_WAIT: u32 = 3;
export const SYS_PIPE: u32 = 4;
export const SYS_READ: u32 = 5;
export const SYS_KILL: u32 = 6;
export const SYS_EXEC: u32 = 7;
export const SYS_FSTAT: u32 = 8;
export const SYS_CHDIR: u32 = 9;
export const SYS_DUP: u32 = 10;
export const SYS_GETPID: u32 = 11;
export const SYS_SBRK: u32 = 12;
export const SYS_SLEEP: u32 = 13;
export const SYS_UPTIME: u32 = 14;
export const SYS_OPEN: u32 = 15;
export const SYS_WRITE: u32 = 16;
export const SYS_MKNOD: u32 = 17;
export const SYS_UNLINK: u32 = 18;
export const SYS_LINK: u32 = 19;
export const SYS_MKDIR: u32 = 20;
export const SYS_CLOSE: u32 = 21;
// Keel extensions.
export const SYS_PROCS: u32 = 100;
export const SYS_SETNICE: u32 = 101;
export const SYS_CLOCKNANOS: u32 = 102;
export const SYS_ERRSTR: u32 = 103;
/** Keel's heap mode (user name `sbrkmode`; named `sbrklazy` before xv6 gave
 *  that name to sbrk's lazy wrapper). */
export const SYS_SBRKMODE: u32 = 104;
export const SYS_FSINFO: u32 = 105;
export const SYS_TRACE: u32 = 106;

// Outcomes for the run loop.
export const SYSCALL_DONE: i32 = 0;    // result in a0, pc past the ecall
export const SYSCALL_BLOCKED: i32 = 1; // asleep; the ecall runs again on wake-up
export const SYSCALL_EXITED: i32 = 2;  // the process is gone
export const SYSCALL_NEW_IMAGE: i32 = 3; // the call set pc and registers itself (exec's new entry, sigreturn's context)

const O_WRONLY: i32 = 0x001;
const O_RDWR: i32 = 0x002;
const O_CREATE: i32 = 0x200;
const O_TRUNC: i32 = 0x400;
/** The second path of link(). */
const SCRATCH_PATH2: usize = SCRATCH_PATH + 512;
export const RIGHT_READ: u32 = 1;
export const RIGHT_WRITE: u32 = 2;
/** Ticks of sleep() and uptime(): 10 ms. */
export const TICK_NS: u64 = 10_000_000;
/** Work charged per system call, so ecall-heavy programs move time too. */
const SYSCALL_WORK: u32 = 50;
/** sbrk's second argument (xv6 since 2025): how growth is backed. */
export const SBRK_EAGER: i64 = 1;
export const SBRK_LAZY: i64 = 2;
/** The heap (which starts above the stack) ends below the shared-memory
 *  window: a lazy heap may be this large, far beyond RAM. */
const HEAP_END: u64 = SHM_BASE;
const PROCINFO_SIZE: u32 = 64;
const REG_A0: u32 = 10;
const REG_A7: u32 = 17;




/** What a file-system result code means, in words. */
export function fsErrText(code: i32): string {
  switch (code) {
    case FS_ERR_NOTFOUND: return "no such file or directory";
    case FS_ERR_NOTDIR: return "not a directory";
    case FS_ERR_EXISTS: return "file exists";
    case FS_ERR_ISDIR: return "is a directory";
    case FS_ERR_NOTEMPTY: return "directory not empty";
    case FS_ERR_INVALID: return "invalid argument";
    case FS_ERR_NOSPACE: return "no space left on the disk";
    case FS_ERR_NOINODES: return "no free inodes left";
    case FS_ERR_DIRFULL: return "directory is full";
    case FS_ERR_FILE_TOO_BIG: return "file too large";
    case FS_ERR_TOO_MANY_LINKS: return "too many links";
    case FS_ERR_NAMETOOLONG: return "path too long";
    case FS_ERR_IO: return "disk I/O error";
    case FS_ERR_NOBUF: return "out of kernel buffers";
    case FS_ERR_ICACHE_FULL: return "too many files in use";
    case FS_ERR_NOMEM: return "out of kernel memory";
    case FS_ERR_READONLY: return "read-only file system";
    case FS_ERR_CORRUPT: return "the file system is damaged";
    default: return "file system error";
  }
}

/** The working directory's inode number (the root when there is none). */
function cwdInum(slot: u32): u32 {
  const c = pCwd(slot);
  return c > 0 ? inodeInum(c) : ROOT_INUM;
}

/** The rights open gives: Read and/or Write as asked; a file opened for
 *  reading may also be executed (fspawn). A directory (opened read-only)
 *  carries the authority over what lies beneath it: Read to look names up,
 *  Write to create, write and truncate files (openat), Execute to run them
 *  (fspawn), Delete to remove names (unlinkat). Grant and Delegate come from
 *  fdInstall. */
function unixRights(mode: u32, type: u32): u32 {
  let rights: u32 = 0;
  if ((mode & FM_READ) != 0) {
    rights |= RIGHT_READ;
    if (type == FS_T_FILE) rights |= RIGHT_EXECUTE; // devices cannot be run
    if (type == FS_T_DIR) rights |= RIGHT_WRITE | RIGHT_EXECUTE | RIGHT_DELETE;
  }
  if ((mode & FM_WRITE) != 0) rights |= RIGHT_WRITE;
  return rights;
}

/** Fails a descriptor lookup with its reason: "CALL: REASON". */
function failCap(slot: u32, call: string, code: i64, right: string): i64 {
  if (code == CAP_ERR_NO_RIGHTS) return fail2(slot, call, right);
  if (code == CAP_ERR_BAD_SLOT) return fail2(slot, call, "bad file descriptor");
  return fail2(slot, call, capErrText(code));
}

/** In capability mode a process has no ambient authority: no paths from
 *  the root or the working directory, no process ids. */
function ambientDenied(slot: u32, call: string): bool {
  if (!pCapMode(slot)) return false;
  fail2(slot, call, "capability mode: no ambient authority");
  return true;
}

/** True when a process-table listing shows process s to slot. */
function procVisible(slot: u32, s: u32): bool {
  return !pCapMode(slot) || s == pProc(slot) || pParent(s) == pProc(slot);
}

/** Checks that [va, va+len) is writable user memory (faulting in lazy and
 *  copy-on-write pages), so a read never consumes data it cannot deliver. */
function userWritable(slot: u32, va: u64, len: u64): bool {
  if (len == 0) return true;
  if (va >= USER_VA_LIMIT || len > USER_VA_LIMIT - va) return false;
  const root = pRoot(slot);
  for (let page = va & ~(PAGE - 1); page < va + len; page += PAGE) {
    const f = <u64>ptLeafFlags(root, page);
    if ((f & PTE_V) != 0 && (f & PTE_U) != 0 && (f & PTE_W) != 0) continue;
    if (vmFault(slot, page, ACCESS_WRITE) != VM_OK) return false;
    const g = <u64>ptLeafFlags(root, page);
    if ((g & PTE_U) == 0 || (g & PTE_W) == 0) return false;
  }
  return true;
}

/** Handles the ecall of slot; see SYSCALL_* for what the caller does next.
 *  A traced process's calls are recorded on the way (sys/sctrace.ts). */
export function syscall(slot: u32): i32 {
  if (!sctraceActive() || !sctraced(slot)) return dispatch(slot);
  sctraceEnter(slot);
  const r = dispatch(slot);
  if (r == SYSCALL_DONE || r == SYSCALL_NEW_IMAGE) sctraceLeave(slot, r == SYSCALL_DONE);
  return r;
}

function dispatch(slot: u32): i32 {
  chargeWork(SYSCALL_WORK);
  const ctx = pCtx(slot);
  const num = <u32>hartGetReg(ctx, REG_A7);
  let result: i64 = -1;
  switch (num) {
    case SYS_FORK: result = sysFork(slot); break;
    case SYS_EXIT: procExit(slot, argInt(slot, 0)); return SYSCALL_EXITED;
    case SYS_WAIT: { const r = sysWait(slot); if (r == WAIT_BLOCK) return SYSCALL_BLOCKED; result = r; break; }
    case SYS_PIPE: result = sysPipe(slot); break;
    case SYS_READ: { const r = sysRead(slot); if (r == I64_BLOCK) return SYSCALL_BLOCKED; result = r; break; }
    case SYS_KILL: result = sysKill(slot); break;
    case SYS_EXEC: { const r = sysExec(slot); if (r == 0) return SYSCALL_NEW_IMAGE; result = -1; break; }
    case SYS_FSTAT: result = sysFstat(slot); break;
    case SYS_CHDIR: result = sysChdir(slot); break;
    case SYS_DUP: result = sysDup(slot); break;
    case SYS_GETPID: result = pPid(slot); break;
    case SYS_SBRK: result = sysSbrk(slot); break;
    case SYS_SLEEP: { const r = sysSleep(slot); if (r == I64_BLOCK) return SYSCALL_BLOCKED; result = r; break; }
    case SYS_UPTIME: result = <i64>((timeNowNs() - kernel().bootNs) / TICK_NS); break;
    case SYS_OPEN: result = sysOpen(slot); break;
    case SYS_WRITE: { const r = sysWrite(slot); if (r == I64_BLOCK) return SYSCALL_BLOCKED; result = r; break; }
    case SYS_MKNOD: result = sysMake(slot, FS_T_DEVICE); break;
    case SYS_UNLINK: result = sysUnlink(slot); break;
    case SYS_LINK: result = sysLink(slot); break;
    case SYS_MKDIR: result = sysMake(slot, FS_T_DIR); break;
    case SYS_CLOSE: result = sysClose(slot); break;
    case SYS_PROCS: result = sysProcs(slot); break;
    case SYS_SETNICE: result = sysSetNice(slot); break;
    case SYS_CLOCKNANOS: result = <i64>timeNowNs(); break;
    case SYS_ERRSTR: result = sysErrstr(slot); break;
    case SYS_SBRKMODE: pSetLazy(slot, argInt(slot, 0) != 0); result = 0; break;
    case SYS_FSINFO: result = sysFsinfo(slot); break;
    case SYS_TRACE:
      // The records show other processes' calls: not for a sandbox (docs/capabilities.md, Isolation).
      result = pCapMode(slot) ? fail(slot, "trace: not available in capability mode") : sysTrace(slot);
      break;
    default:
      if (num >= SYS_SIGNAL_FIRST && num <= SYS_SIGNAL_LAST) {
        result = signalCall(slot, num);
        if (result == SIGNAL_BLOCKED) return SYSCALL_BLOCKED;
        if (result == SIGNAL_REGISTERS_SET) return SYSCALL_NEW_IMAGE;
        break;
      }
      if (num >= SYS_SCHED_FIRST && num <= SYS_SCHED_LAST) { result = schedCall(slot, num); break; }
      if (num >= SYS_NATIVE_FIRST && num <= SYS_NATIVE_LAST) {
        result = nativeCall(slot, num);
        if (result == NATIVE_BLOCKED) return SYSCALL_BLOCKED;
        break;
      }
      if (num >= SYS_THREAD_FIRST && num <= SYS_THREAD_LAST) {
        result = threadCall(slot, num);
        if (result == THREAD_CALL_BLOCKED) return SYSCALL_BLOCKED;
        if (result == THREAD_CALL_EXITED) return SYSCALL_EXITED;
        break;
      }
      if (num >= SYS_NIC_FIRST && num <= SYS_NIC_LAST) {
        result = nicCall(slot, num);
        if (result == NIC_CALL_BLOCKED) return SYSCALL_BLOCKED;
        break;
      }
      logBegin(LOG_WARN);
      printStr("pid ");
      printDec(<u64>pPid(slot));
      printStr(": unknown system call ");
      printDec(<u64>num);
      logEnd();
      result = fail(slot, "unknown system call");
  }
  hartSetReg(ctx, REG_A0, <u64>result);
  hartSetPc(ctx, hartGetPc(ctx) + 4);
  return SYSCALL_DONE;
}

const I64_BLOCK: i64 = -0x7FFF_FFFF;
/** Bytes moved per step through the bounce buffer (the rest holds a word). */
const IO_CHUNK: u32 = <u32>SCRATCH_IO_SIZE - 16;

function sysFork(slot: u32): i64 {
  const child = procFork(slot);
  if (child == NO_SLOT) return fail(slot, "fork: no free process slot or memory");
  return pPid(child);
}

function sysWait(slot: u32): i64 {
  const r = procFindZombieChild(slot);
  if (r == WAIT_NO_CHILDREN) return fail(slot, "wait: no children");
  if (r == WAIT_BLOCK) { schedSleep(slot, W_CHILD, pProc(slot)); return WAIT_BLOCK; }
  const child = <u32>r;
  const statusVa = arg(slot, 0);
  if (statusVa != 0) {
    store<i32>(SCRATCH_IO, pExit(child));
    if (copyout(slot, statusVa, SCRATCH_IO, 4) != VM_OK) return fail(slot, "wait: bad status pointer");
  }
  const pid = pPid(child);
  procFreeSlot(child);
  return pid;
}

function sysPipe(slot: u32): i64 {
  const va = arg(slot, 0);
  const pipe = pipeCreate();
  if (pipe == 0) return fail(slot, "pipe: out of memory");
  const files = SCRATCH_IO + 64;
  if (!filePipe(pipe, files)) { pipeCloseEnd(pipe, false); pipeCloseEnd(pipe, true); return fail(slot, "pipe: out of memory"); }
  const r = <usize>load<u32>(files), w = <usize>load<u32>(files + 4);
  const fdr = fdInstall(slot, r, RIGHT_READ);
  const fdw = fdr < 0 ? -1 : fdInstall(slot, w, RIGHT_WRITE);
  store<i32>(SCRATCH_IO, fdr);
  store<i32>(SCRATCH_IO + 4, fdw);
  if (fdr < 0 || fdw < 0 || copyout(slot, va, SCRATCH_IO, 8) != VM_OK) {
    // Close what was installed (the capability layer destroys the file);
    // destroy what never was.
    if (fdr >= 0) fdClose(slot, fdr); else fileDestroy(r);
    if (fdw >= 0) fdClose(slot, fdw); else fileDestroy(w);
    return fail(slot, fdr < 0 || fdw < 0 ? "pipe: too many open files" : "pipe: bad pointer");
  }
  return 0;
}

function blockOn(slot: u32, what: u32, file: usize): void {
  if (what == BLOCK_CONSOLE) schedSleep(slot, W_CONSOLE, 0);
  else schedSleep(slot, what == BLOCK_PIPE_READ ? W_PIPE_READ : W_PIPE_WRITE, <u32>filePipeOf(file));
}

function sysRead(slot: u32): i64 {
  const fd = argInt(slot, 0);
  const va = arg(slot, 1);
  const n = argInt(slot, 2);
  const found = fdFile(slot, fd, RIGHT_READ);
  if (found < 0) return failCap(slot, "read: ", found, "descriptor lacks the Read right");
  const f = <usize>found;
  if (n < 0) return fail(slot, "read: negative count");
  if (fileKind(f) == FK_CONSOLE) {
    // A background job may not take the foreground's input (SIGTTIN).
    const check = consoleReadCheck(slot);
    if (check == CONSOLE_READ_STOPPED) return I64_BLOCK;
    if (check == CONSOLE_READ_DENIED) return fail(slot, "read: a background process may not read the console");
  }
  const block = SCRATCH_IO + IO_CHUNK;
  let done: u64 = 0;
  const want = <u64>n;
  while (done < want) {
    // Size the transfer first, check the destination, then consume.
    const ready = fileReadable(f, <u32>min<u64>(want - done, <u64>IO_CHUNK));
    if (ready == FILE_WOULD_BLOCK) {
      if (done > 0) break;
      store<u32>(block, 0);
      fileRead(f, SCRATCH_IO, 0, block); // learn what it waits on
      blockOn(slot, load<u32>(block) != 0 ? load<u32>(block) : blockKindOf(f), f);
      return I64_BLOCK;
    }
    if (ready < 0) return done > 0 ? <i64>done : fail(slot, "read: file not open for reading");
    if (ready == 0) {
      // End of file; a console end-of-file mark is consumed only when it is all there is.
      if (done == 0) fileRead(f, SCRATCH_IO, 1, block);
      break;
    }
    if (!userWritable(slot, va + done, <u64>ready)) return done > 0 ? <i64>done : fail(slot, "read: bad buffer pointer");
    const r = fileRead(f, SCRATCH_IO, <u32>ready, block);
    if (r <= 0) break;
    copyout(slot, va + done, SCRATCH_IO, <u64>r);
    done += <u64>r;
    const pipe = filePipeOf(f);
    if (pipe != 0) { wakeup(W_PIPE_WRITE, <u32>pipe); break; } // a pipe read returns what was there
    if (fileKind(f) == FK_CONSOLE) break;                      // at most one line
  }
  return <i64>done;
}

function blockKindOf(f: usize): u32 { return fileKind(f) == FK_CONSOLE ? BLOCK_CONSOLE : BLOCK_PIPE_READ; }

/** Sets the reason for a failed fileWrite result r; returns -1. */
function writeFailure(slot: u32, r: i32): i64 {
  if (r == FILE_ERR_BROKEN_PIPE) return fail(slot, "write: pipe has no reader");
  if (r == FILE_ERR_NOT_WRITABLE) return fail(slot, "write: file not open for writing");
  if (r == FILE_ERR_NO_SPACE) return fail(slot, "write: no space left on the disk");
  if (r == FILE_ERR_IO) return fail(slot, "write: disk I/O error");
  if (r == FILE_ERR_PAST_END) return fail(slot, "write: offset past the end of the file (it was truncated)");
  return fail(slot, "write: read-only file system");
}

function sysWrite(slot: u32): i64 {
  const fd = argInt(slot, 0);
  const va = arg(slot, 1);
  const n = argInt(slot, 2);
  const found = fdFile(slot, fd, RIGHT_WRITE);
  if (found < 0) return failCap(slot, "write: ", found, "descriptor lacks the Write right");
  const f = <usize>found;
  if (n < 0) return fail(slot, "write: negative count");
  let done = pProgress(slot);
  const want = <u64>n;
  const pipe = filePipeOf(f);
  while (done < want) {
    const chunk = <u32>min<u64>(want - done, <u64>SCRATCH_IO_SIZE - 16);
    if (copyin(slot, SCRATCH_IO, va + done, <u64>chunk) != VM_OK) {
      pSetProgress(slot, 0);
      return done > 0 ? <i64>done : fail(slot, "write: bad buffer pointer");
    }
    const block = SCRATCH_IO + SCRATCH_IO_SIZE - 16;
    const r = fileWrite(f, SCRATCH_IO, chunk, block);
    if (r == FILE_WOULD_BLOCK) {
      pSetProgress(slot, done);
      blockOn(slot, load<u32>(block), f);
      return I64_BLOCK;
    }
    if (r < 0) {
      pSetProgress(slot, 0);
      // A short write also leaves its reason, so a caller that reports the
      // short count can say why the rest did not go in.
      const failed = writeFailure(slot, r);
      return done > 0 ? <i64>done : failed;
    }
    done += <u64>r;
    if (pipe != 0 && r > 0) wakeup(W_PIPE_READ, <u32>pipe);
  }
  pSetProgress(slot, 0);
  return <i64>want;
}


function sysExec(slot: u32): i32 {
  if (ambientDenied(slot, "exec: ")) return -1;
  if (!copyPath(slot, arg(slot, 0))) { fail(slot, "exec: bad path pointer or path too long"); return -1; }
  let inum: u32 = 0;
  let ip: i32 = 0;
  if (fsMounted()) {
    ip = fsLookup(SCRATCH_PATH, cwdInum(slot));
    if (ip < 0) { fail2(slot, "exec: ", fsErrText(ip)); return -1; }
  } else {
    inum = pathResolve(SCRATCH_PATH);
    if (inum == 0) { fail(slot, "exec: no such file"); return -1; }
  }
  const r = execArgs(slot, inum, ip, slot);
  if (ip > 0) iput(ip);
  return r;
}

/** The rest of exec: copies argv in from slot (its argument 1) and replaces
 *  target's image (from the boot file system inode inum, or the held disk
 *  inode ip). exec has target == slot; spawn passes the new process. */
export function execArgs(slot: u32, inum: u32, ip: i32, target: u32): i32 {
  const argvVa = arg(slot, 1);
  let argc: u32 = 0;
  let used: u32 = 0;
  for (;;) {
    if (argc > MAXARG) { fail(slot, "exec: more than 32 arguments"); return -1; }
    if (copyin(slot, SCRATCH_IO, argvVa + <u64>argc * 8, 8) != VM_OK) { fail(slot, "exec: bad argv pointer"); return -1; }
    const p = load<u64>(SCRATCH_IO);
    if (p == 0) break;
    if (argc == MAXARG) { fail(slot, "exec: more than 32 arguments"); return -1; }
    const len = copyinstr(slot, SCRATCH_EXEC_STRINGS + used, p, ARG_SPACE - used);
    if (len < 0) { fail(slot, "exec: bad argument pointer or arguments too long"); return -1; }
    store<u32>(SCRATCH_EXEC_OFFSETS + <usize>argc * 4, used);
    used += <u32>len + 1;
    argc++;
  }
  const nameLenAt = SCRATCH_IO + 16;
  const base = pathBasename(SCRATCH_PATH, nameLenAt);
  const r = ip > 0
    ? execDisk(target, ip, argc, SCRATCH_PATH + base, load<u32>(nameLenAt))
    : execBootfs(target, inum, argc, SCRATCH_PATH + base, load<u32>(nameLenAt));
  if (r == EXEC_OK) { sigExec(target); return 0; }
  if (r <= EXEC_ELF_BASE + 0 && r > EXEC_ELF_BASE - 100) fail(slot, elfErrorText(r - EXEC_ELF_BASE));
  else if (r == EXEC_ERR_NOMEM) fail(slot, "exec: out of memory");
  else if (r == EXEC_ERR_ARGS) fail(slot, "exec: arguments do not fit on the stack");
  else if (r == EXEC_ERR_TOO_BIG) fail(slot, "exec: program larger than 4 MiB");
  else if (r == EXEC_ERR_IMAGE_TOO_BIG) fail(slot, "exec: program image larger than the per-process memory limit");
  else if (r == EXEC_ERR_SEGMENTS) fail(slot, "exec: more loadable segments than a process holds (13)");
  else if (r == EXEC_ERR_IO) fail(slot, "exec: disk I/O error");
  else fail(slot, "exec: not a regular file");
  return -1;
}

function sysFstat(slot: u32): i64 {
  const found = fdFile(slot, argInt(slot, 0), 0);
  if (found < 0) return failCap(slot, "fstat: ", found, "");
  const f = <usize>found;
  fileStat(f, SCRATCH_IO);
  if (copyout(slot, arg(slot, 1), SCRATCH_IO, 24) != VM_OK) return fail(slot, "fstat: bad pointer");
  return 0;
}

function sysChdir(slot: u32): i64 {
  if (ambientDenied(slot, "chdir: ")) return -1;
  if (!copyPath(slot, arg(slot, 0))) return fail(slot, "chdir: bad path pointer");
  if (fsMounted()) {
    const ip = fsLookup(SCRATCH_PATH, cwdInum(slot));
    if (ip < 0) return fail2(slot, "chdir: ", fsErrText(ip));
    if (inodeType(ip) != FS_T_DIR) { iput(ip); return fail(slot, "chdir: not a directory"); }
    if (pCwd(slot) > 0) iput(pCwd(slot));
    pSetCwd(slot, ip);
    return 0;
  }
  const inum = pathResolve(SCRATCH_PATH);
  if (inum == 0) return fail(slot, "chdir: no such directory");
  if (bootfsType(inum) != T_DIR) return fail(slot, "chdir: not a directory");
  return 0; // the boot file system has one directory, which is everyone's cwd
}

function sysDup(slot: u32): i64 {
  const r = fdDup(slot, argInt(slot, 0));
  return r < 0 ? failCap(slot, "dup: ", r, "descriptor may not be copied (no Delegate right)") : r;
}

/** sbrk(n, how): moves the break by n (a 32-bit int) and returns the old
 *  one. how (a1) = SBRK_LAZY: growth is demand-zero, pages appear on first
 *  touch; SBRK_EAGER: every page now. Anything else, which is what binaries
 *  from before the two-argument call leave there, follows the process's
 *  heap mode (call 104, eager unless it asked): they never meant lazy by
 *  it, and at worst a garbage 2 defers an allocation failure to the first
 *  touch. Shrinking releases whole pages either way. */
function sysSbrk(slot: u32): i64 {
  const n = <i64>argInt(slot, 0);
  const how = <i64>arg(slot, 1);
  const lazy = how == SBRK_LAZY || (how != SBRK_EAGER && pLazy(slot));
  const old = pBrk(slot);
  const heap = heapRegion(slot);
  if (heap == 0) return fail(slot, "sbrk: no heap");
  const start = pHeapStart(slot);
  const next = <i64>old + n;
  if (next < <i64>start) return fail(slot, "sbrk: would shrink below the start of the heap");
  if (<u64>next > HEAP_END) return fail(slot, "sbrk: the heap would reach the shared-memory window");
  const root = pRoot(slot);
  if (n > 0 && !lazy) {
    const r = mapZeroed(root, slot, pageUp(old), pageUp(<u64>next), regionFlags(heap));
    if (r != VM_OK) {
      unmapRange(root, pAsid(slot), pageUp(old), pageUp(<u64>next));
      return fail(slot, r == VM_ERR_LIMIT ? "sbrk: over the per-process memory limit" : "sbrk: out of memory");
    }
  } else if (n < 0) {
    unmapRange(root, pAsid(slot), pageUp(<u64>next), pageUp(old));
  }
  regionSetEnd(heap, pageUp(<u64>next));
  pSetBrk(slot, <u64>next);
  return <i64>old;
}

function sysSleep(slot: u32): i64 {
  // As in xv6, a negative count sleeps for no time and succeeds.
  const ticks = max<i32>(argInt(slot, 0), 0);
  const now = timeNowNs();
  let until = pSleepUntil(slot);
  if (until == 0) {
    if (ticks == 0) return 0;
    until = now + <u64>ticks * TICK_NS;
    pSetSleepUntil(slot, until);
  }
  if (now >= until) { pSetSleepUntil(slot, 0); return 0; }
  schedSleep(slot, W_SLEEP, 0);
  return I64_BLOCK;
}

function sysOpen(slot: u32): i64 {
  if (ambientDenied(slot, "open: ")) return -1;
  if (!copyPath(slot, arg(slot, 0))) return fail(slot, "open: bad path pointer or path too long");
  const flags = argInt(slot, 1);
  if (fsMounted()) return sysOpenDisk(slot, flags, cwdInum(slot), "open: ", 0);
  const inum = pathResolve(SCRATCH_PATH);
  if (inum == 0) return fail(slot, (flags & O_CREATE) != 0 ? "open: read-only file system" : "open: no such file");
  const type = bootfsType(inum);
  const acc = flags & 3;
  if (acc == 3) return fail(slot, "open: bad access mode");
  const mode = acc == O_WRONLY ? FM_WRITE : acc == O_RDWR ? FM_READ | FM_WRITE : FM_READ;
  if (type == T_DIR && mode != FM_READ) return fail(slot, "open: a directory opens read-only");
  if (type != T_DEVICE && ((mode & FM_WRITE) != 0 || (flags & O_TRUNC) != 0)) return fail(slot, "open: read-only file system");
  const f = fileOpenInode(inum, mode);
  if (f == 0) return fail(slot, type == T_DEVICE ? "open: no such device" : "open: out of memory");
  const fd = fdInstall(slot, f, unixRights(mode, type));
  if (fd < 0) { fileDestroy(f); return fail(slot, "open: too many open files"); }
  return fd;
}

/** open on the disk root: path (in SCRATCH_PATH) relative to directory
 *  dirInum. `via` is the directory capability's node it goes through (0 for
 *  open's ambient lookup): creating, opening for writing and truncating
 *  need its Write, and the new capability is bounded by it (fdInstall). */
export function sysOpenDisk(slot: u32, flags: i32, dirInum: u32, call: string, via: usize): i64 {
  const bound = via != 0 ? capNodeRights(via) : RIGHTS_ALL;
  const acc = flags & 3;
  if (acc == 3) return fail2(slot, call, "bad access mode");
  const mode = acc == O_WRONLY ? FM_WRITE : acc == O_RDWR ? FM_READ | FM_WRITE : FM_READ;
  if ((bound & RIGHT_WRITE) == 0 && ((flags & (O_CREATE | O_TRUNC)) != 0 || (mode & FM_WRITE) != 0)) {
    return fail2(slot, call, "directory capability lacks the Write right (needed to create, write or truncate)");
  }
  const ip = (flags & O_CREATE) != 0
    ? fsCreate(SCRATCH_PATH, dirInum, FS_T_FILE, 0, 0)
    : fsLookup(SCRATCH_PATH, dirInum);
  if (ip < 0) return fail2(slot, call, fsErrText(ip));
  const type = inodeType(ip);
  if (type == FS_T_DIR && mode != FM_READ) { iput(ip); return fail2(slot, call, "a directory opens read-only"); }
  if ((flags & O_TRUNC) != 0 && type == FS_T_FILE) {
    const t = fsTruncate(ip);
    if (t < 0) { iput(ip); return fail2(slot, call, fsErrText(t)); }
  }
  const f = fileOpenDisk(ip, mode); // takes the reference
  if (f == 0) return fail2(slot, call, type == FS_T_DEVICE ? "no such device" : "out of memory");
  const fd = fdInstall(slot, f, unixRights(mode, type), via);
  if (fd < 0) { fileDestroy(f); return fail2(slot, call, "too many open files"); }
  return fd;
}

/** mkdir, mknod: a new directory or device node. */
function sysMake(slot: u32, type: u32): i64 {
  if (ambientDenied(slot, type == FS_T_DIR ? "mkdir: " : "mknod: ")) return -1;
  if (!copyPath(slot, arg(slot, 0))) return fail(slot, "bad path pointer");
  if (!fsMounted()) return fail(slot, "read-only file system");
  const major = type == FS_T_DEVICE ? <u32>(<u16>argInt(slot, 1)) : 0;
  const minor = type == FS_T_DEVICE ? <u32>(<u16>argInt(slot, 2)) : 0;
  const ip = fsCreate(SCRATCH_PATH, cwdInum(slot), type, major, minor);
  if (ip < 0) return fail2(slot, type == FS_T_DIR ? "mkdir: " : "mknod: ", fsErrText(ip));
  iput(ip);
  return 0;
}

function sysUnlink(slot: u32): i64 {
  if (ambientDenied(slot, "unlink: ")) return -1;
  if (!copyPath(slot, arg(slot, 0))) return fail(slot, "unlink: bad path pointer");
  if (!fsMounted()) return fail(slot, "unlink: read-only file system");
  const r = fsUnlink(SCRATCH_PATH, cwdInum(slot));
  return r < 0 ? fail2(slot, "unlink: ", fsErrText(r)) : 0;
}

function sysLink(slot: u32): i64 {
  if (ambientDenied(slot, "link: ")) return -1;
  if (!copyPath(slot, arg(slot, 0))) return fail(slot, "link: bad path pointer");
  if (copyinstr(slot, SCRATCH_PATH2, arg(slot, 1), PATH_MAX) < 0) return fail(slot, "link: bad path pointer");
  if (!fsMounted()) return fail(slot, "link: read-only file system");
  const r = fsLink(SCRATCH_PATH, SCRATCH_PATH2, cwdInum(slot));
  return r < 0 ? fail2(slot, "link: ", fsErrText(r)) : 0;
}

/** fsinfo (105): struct fsinfo { u64 block_size, blocks, free_blocks, inodes, free_inodes }. */
function sysFsinfo(slot: u32): i64 {
  if (ambientDenied(slot, "fsinfo: ")) return -1;
  if (!fsMounted()) return fail(slot, "fsinfo: the root is the read-only boot file system");
  if (fsStatfs(SCRATCH_IO) < 0) return fail(slot, "fsinfo: disk I/O error");
  const out = SCRATCH_IO + 64;
  store<u64>(out, <u64>load<u32>(SCRATCH_IO));          // block size
  store<u64>(out + 8, <u64>load<u32>(SCRATCH_IO + 20));  // whole disk, in blocks
  store<u64>(out + 16, <u64>load<u32>(SCRATCH_IO + 8));  // free data blocks
  store<u64>(out + 24, <u64>load<u32>(SCRATCH_IO + 12)); // inodes
  store<u64>(out + 32, <u64>load<u32>(SCRATCH_IO + 16)); // free inodes
  if (copyout(slot, arg(slot, 0), out, 40) != VM_OK) return fail(slot, "fsinfo: bad pointer");
  return 0;
}

function sysReadOnlyFs(slot: u32, call: string): i64 {
  // Reading the path still validates the pointer, as a writable file system would.
  if (!copyPath(slot, arg(slot, 0))) return fail(slot, "bad path pointer");
  return fail(slot, "read-only file system");
}

function sysClose(slot: u32): i64 {
  const fd = argInt(slot, 0);
  const r = fdClose(slot, fd);
  return r < 0 ? failCap(slot, "close: ", r, "") : 0;
}

function sysProcs(slot: u32): i64 {
  const va = arg(slot, 0);
  const max = argInt(slot, 1);
  if (max < 0) return fail(slot, "procs: negative count");
  let n: i32 = 0;
  const rec = SCRATCH_IO;
  for (let s: u32 = 0; s < MAX_PROCS && n < max; s++) {
    if (pState(s) == P_UNUSED || pIsThread(s) || !procVisible(slot, s)) continue;
    const st = threadProcessState(s);
    memory.fill(rec, 0, PROCINFO_SIZE);
    store<i32>(rec, pPid(s));
    const parent = pParent(s);
    // In capability mode the caller's own parent is outside its world: 0.
    store<i32>(rec + 4, parent == NO_SLOT || !procVisible(slot, parent) ? 0 : pPid(parent));
    store<i32>(rec + 8, st == P_ZOMBIE ? 4 : sigStopped(s) ? 5 : st == P_RUNNING || cpuRunsSlot(s) ? 2 : st == P_RUNNABLE ? 1 : 3);
    store<i32>(rec + 12, pNice(s));
    store<u64>(rec + 16, threadCpuNs(s));
    store<u64>(rec + 24, processMemory(s));
    store<u64>(rec + 32, threadSwitches(s));
    memory.copy(rec + 40, pName(s), 16);
    store<i32>(rec + 56, <i32>threadCount(s));
    store<i32>(rec + 60, <i32>pLastCpu(s));
    if (copyout(slot, va + <u64>n * PROCINFO_SIZE, rec, PROCINFO_SIZE) != VM_OK) return fail(slot, "procs: bad pointer");
    n++;
  }
  return n;
}

/** Bytes of memory a process's regions cover (its image, stack and heap). */
function processMemory(s: u32): u64 {
  let bytes: u64 = 0;
  for (let i: u32 = 0; i < MAX_REGIONS; i++) {
    const r = pRegion(s, i);
    if (load<u32>(r + 20) == 0) continue;
    bytes += load<u64>(r + 8) - load<u64>(r);
  }
  return bytes;
}

function sysSetNice(slot: u32): i64 {
  const pid = argInt(slot, 0);
  const nice = argInt(slot, 1);
  if (nice < NICE_MIN || nice > NICE_MAX) return fail(slot, "setnice: nice must be from -20 to 19");
  if (pid != 0 && !pidAllowed(slot, pid, "setnice: ")) return -1;
  // A sandbox may give itself and its children less of the machine, never more.
  if (pCapMode(slot) && nice < pNice(slot)) return fail(slot, "setnice: capability mode: nice may not go below this process's own");
  const target = pid == 0 ? slot : procByPid(pid);
  if (target == NO_SLOT || pState(target) == P_ZOMBIE) return fail(slot, "setnice: no such process");
  pSetNice(target, nice);
  return 0;
}

function sysKill(slot: u32): i64 {
  const pid = argInt(slot, 0);
  if (!pidAllowed(slot, pid, "kill: ")) return -1;
  return procKill(pid) ? 0 : fail(slot, "kill: no such process");
}

function sysErrstr(slot: u32): i64 {
  const n = argInt(slot, 1);
  if (n <= 0) return fail(slot, "errstr: buffer too small");
  const src = pErrstr(slot);
  let len: u32 = 0;
  while (len < ERRSTR_MAX && load<u8>(src + len) != 0) len++;
  const copy = min<u32>(len, <u32>n - 1);
  memory.copy(SCRATCH_IO, src, copy);
  store<u8>(SCRATCH_IO + copy, 0);
  if (copyout(slot, arg(slot, 0), SCRATCH_IO, <u64>copy + 1) != VM_OK) return -1;
  return copy;
}

