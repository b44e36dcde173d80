// Process lifecycle: the first process, fork, exit, wait and kill.
// A process's resources (address space, descriptors) are released at exit;
// what remains is a zombie holding its exit status until its parent waits.
// Orphans are handed to init. Relies on: proc/proc, proc/exec, mm/vm,
// fs/file, sched/sched.

import { nicGrant } from "../dev/nic";
import { debugOnExit } from "./debug";
import {
  NO_SLOT, MAX_PROCS, NOFILE, P_ZOMBIE, P_UNUSED, P_SLEEPING, W_CHILD, W_PIPE_READ, W_PIPE_WRITE, procAlloc, procFreeSlot, procTable,
  pState, pSetState, pPid, pParent, pSetParent, pSetExit, pSetKilled, pCtx, pRoot, pSetRoot, pAsid, pNice, pSetNice,
  pBrk, pSetBrk, pHeapStart, pSetHeapStart, pImageTop, pSetImageTop, pName,
  pNameLength, pSetName, pLazy, pSetLazy, pVruntime, pSetVruntime, procByPid, pCwd, pSetCwd, pCapMode, pSetCapMode, pShmNext,
  pCspace, pProc, pIsThread,
  pSetShmNext,
} from "./proc";
import { threadsEndOthers } from "./thread";
import { execBootfs, EXEC_OK } from "./exec";
import { execDisk } from "./loader";
import { fsMounted, fsLookup } from "../fs/fsops";
import { iget, idup, iput, ROOT_INUM } from "../fs/inode";
import { addressSpaceClone, addressSpaceDestroy, regionCopy } from "../mm/vm";
import { fdTableCreate, fdTableDestroy, fdTableFork } from "../sys/fd";
import { ipcProcessGone } from "../ipc/endpoint";
import { shmCreateDevice, shmDestroy, shmForkMappings } from "../ipc/shm";
import { capInsertRoot } from "../cap/cap";
import { KOBJ_MEMORY, RIGHT_READ, RIGHT_WRITE, RIGHT_GRANT, RIGHT_DELEGATE } from "../cap/codes";
import { bootfsLookup } from "../fs/bootfs";
import { schedMakeRunnable, schedFork, wakeup } from "../sched/sched";
import { traceEvent, TRACE_EXIT } from "../sched/trace";
import { hartSetSatp, hartGetReg, hartSetReg, hartGetPc, hartSetPc, hartCopyFpState } from "../machine/hart";
import { makeSatp } from "../machine/sv48";
import { SCRATCH_EXEC_STRINGS, SCRATCH_EXEC_OFFSETS } from "../lib/layout";
import { logBegin, logEnd, LOG_INFO, LOG_ERROR } from "../lib/log";
import { printStr, printDec, printSigned } from "../lib/print";
import { timeNowNs } from "../arch/timer";
import { ttyEnterMonitor, ttySession, ttyForeground, ttySetControl, ttyProcessGone } from "../dev/tty";
import { sigInitFirst, sigFork, sigKill, sigSend, sigSendGroup, sigSid, sigStopped, SIGCHLD, SIGHUP, SIGCONT } from "./signal";

export const INIT_NAME = "init";
/** "/init" as a NUL-terminated string in static data. */
const INIT_PATH_DISK: usize = memory.data<u8>([0x2F, 0x69, 0x6E, 0x69, 0x74, 0]);
/** An init that dies sooner than this after starting counts as a crash loop... */
const INIT_MIN_LIFETIME_NS: u64 = 1_000_000_000;
/** ...and after this many in a row, no new init is started. */
const INIT_MAX_QUICK_DEATHS: u32 = 3;

/** Starts /init as pid 1 (or a new init after the old one died). Returns
 *  its slot, or NO_SLOT if there is no usable init program. */
export function spawnInit(): u32 {
  const nameLen: u32 = 4;
  for (let i: u32 = 0; i < nameLen; i++) store<u8>(SCRATCH_EXEC_STRINGS + i, <u8>INIT_NAME.charCodeAt(i));
  store<u8>(SCRATCH_EXEC_STRINGS + nameLen, 0);
  store<u32>(SCRATCH_EXEC_OFFSETS, 0);
  const slot = procAlloc();
  if (slot == NO_SLOT) return NO_SLOT;
  if (!fdTableCreate(slot)) { procFreeSlot(slot); return NO_SLOT; }
  let r: i32;
  if (fsMounted()) {
    // The disk is the root: /init from it, and the root is init's directory.
    const ip = fsLookup(INIT_PATH_DISK, ROOT_INUM);
    if (ip < 0) { fdTableDestroy(slot); procFreeSlot(slot); return NO_SLOT; }
    r = execDisk(slot, ip, 1, SCRATCH_EXEC_STRINGS, nameLen);
    iput(ip);
    if (r == EXEC_OK) pSetCwd(slot, iget(ROOT_INUM));
  } else {
    const inum = bootfsLookup(SCRATCH_EXEC_STRINGS, nameLen);
    if (inum == 0) { fdTableDestroy(slot); procFreeSlot(slot); return NO_SLOT; }
    r = execBootfs(slot, inum, 1, SCRATCH_EXEC_STRINGS, nameLen);
  }
  if (r != EXEC_OK) {
    logBegin(LOG_ERROR);
    printStr("init: exec failed with code ");
    printSigned(r);
    logEnd();
    fdTableDestroy(slot);
    procFreeSlot(slot);
    return NO_SLOT;
  }
  grantDisplay(slot);
  nicGrant(pCspace(slot), INIT_NIC_SLOT);
  sigInitFirst(slot);
  procTable().initSlot = slot;
  procTable().initStartNs = timeNowNs();
  schedMakeRunnable(slot);
  return slot;
}

/** init's slot for the VGA text buffer capability (docs/services.md). */
export const INIT_VGA_SLOT: u32 = 20;
/** init's slot for the network card's device capability (docs/network.md). */
export const INIT_NIC_SLOT: u32 = 21;
const VGA_PAGE: usize = 0xB8000;

/** Gives init a capability to the VGA text buffer, so that a user-space
 *  display service can own the screen. Without memory, init simply boots
 *  without it. */
function grantDisplay(slot: u32): void {
  const vga = shmCreateDevice(VGA_PAGE, 1);
  if (vga == 0) return;
  const r = capInsertRoot(pCspace(slot), INIT_VGA_SLOT, vga, KOBJ_MEMORY, RIGHT_READ | RIGHT_WRITE | RIGHT_GRANT | RIGHT_DELEGATE, 0);
  if (r < 0) shmDestroy(vga);
}

/** fork: the child gets a copy-on-write copy of memory, the same open files
 *  (shared offsets) and registers, and sees 0 as fork's result. Forked from
 *  a thread, the child has one thread: a copy of the caller. Returns the
 *  child's slot or NO_SLOT. The caller sets the parent's result. */
export function procFork(parent: u32): u32 {
  const child = procAlloc();
  if (child == NO_SLOT) return NO_SLOT;
  if (!fdTableCreate(child)) { procFreeSlot(child); return NO_SLOT; }
  const root = addressSpaceClone(pRoot(parent), pAsid(parent), pAsid(child));
  if (root == 0) { fdTableDestroy(child); procFreeSlot(child); return NO_SLOT; }
  pSetRoot(child, root);
  regionCopy(parent, child);
  pSetBrk(child, pBrk(parent));
  pSetHeapStart(child, pHeapStart(parent));
  pSetImageTop(child, pImageTop(parent));
  pSetLazy(child, pLazy(parent));
  pSetShmNext(child, pShmNext(parent));
  pSetNice(child, pNice(parent));
  schedFork(parent, child); // class, priority and affinity
  pSetVruntime(child, pVruntime(parent));
  pSetName(child, pName(parent), pNameLength(parent));
  if (pCwd(parent) > 0) pSetCwd(child, idup(pCwd(parent)));
  fdTableFork(parent, child);
  shmForkMappings(parent, child);
  if (pCapMode(parent)) pSetCapMode(child);
  sigFork(parent, child);
  const from = pCtx(parent), to = pCtx(child);
  for (let r: u32 = 1; r < 32; r++) hartSetReg(to, r, hartGetReg(from, r));
  hartCopyFpState(from, to);
  hartSetPc(to, hartGetPc(from) + 4); // past the ecall
  hartSetReg(to, 10, 0);
  hartSetSatp(to, makeSatp(pAsid(child), <u64>root));
  pSetParent(child, pProc(parent)); // the process, whichever of its threads forked
  schedMakeRunnable(child);
  return child;
}

/** Ends slot with `status`: releases its memory and files, hands its
 *  children to init and tells its parent. When init itself ends, so does
 *  every other process (docs/processes.md "Lifecycle"): they all descend
 *  from it, and the new init starts the services and the shell afresh. */
export function procExit(caller: u32, status: i32): void {
  // Whichever thread ends the process ends them all; the leader's record is the process.
  const slot = pProc(caller);
  threadsEndOthers(slot, slot);
  traceEvent(TRACE_EXIT, slot, 0, status, timeNowNs());
  debugOnExit(slot, status);
  ipcProcessGone(slot);
  fdTableDestroy(slot);
  addressSpaceDestroy(pRoot(slot), pAsid(slot));
  pSetRoot(slot, 0);
  if (pCwd(slot) > 0) { iput(pCwd(slot)); pSetCwd(slot, 0); }
  pSetExit(slot, status);

  const t = procTable();
  const isInit = slot == t.initSlot;
  let restartInit = false;
  if (isInit) {
    const young = timeNowNs() - t.initStartNs < INIT_MIN_LIFETIME_NS;
    t.initQuickDeaths = young ? t.initQuickDeaths + 1 : 0;
    restartInit = t.initQuickDeaths < INIT_MAX_QUICK_DEATHS;
    logBegin(LOG_ERROR);
    printStr("init exited with status ");
    printSigned(status);
    printStr(restartInit ? "; ending every process and starting a new init" : "; it keeps dying, so every process ends and the kernel monitor takes the console");
    logEnd();
    if (!restartInit) ttyEnterMonitor();
    t.initSlot = NO_SLOT;
    killAllBut(slot);
  }
  for (let c: u32 = 0; c < MAX_PROCS; c++) {
    if (c == slot || pState(c) == P_UNUSED || pIsThread(c) || pParent(c) != slot) continue;
    reparent(c, t.initSlot);
  }
  const parent = pParent(slot);
  pSetState(slot, P_ZOMBIE);
  releaseTerminal(slot);
  ttyProcessGone(pPid(slot));
  if (parent != NO_SLOT) {
    wakeup(W_CHILD, parent);
    sigSend(parent, SIGCHLD);
  } else {
    procFreeSlot(slot); // nobody will wait for it
  }

  if (restartInit) {
    const fresh = spawnInit();
    for (let c: u32 = 0; c < MAX_PROCS; c++) {
      if (c == fresh || pState(c) == P_UNUSED || pIsThread(c) || pParent(c) != NO_SLOT) continue;
      reparent(c, fresh);
    }
    if (fresh != NO_SLOT) {
      logBegin(LOG_INFO);
      printStr("init restarted as pid ");
      printDec(<u64>pPid(fresh));
      logEnd();
    }
  }
}

/** A session leader that ends takes the console's control with it: its
 *  foreground group is hung up (SIGHUP, then SIGCONT so a stopped job sees
 *  it), as a terminal's hangup would, and so is every stopped process of
 *  the session (nobody is left to continue it: POSIX's orphaned process
 *  groups). Background jobs that run go on running. */
function releaseTerminal(slot: u32): void {
  const sid = pPid(slot);
  if (sigSid(slot) != sid) return;
  if (ttySession() == sid) {
    const fg = ttyForeground();
    ttySetControl(0, 0);
    if (fg > 0) {
      sigSendGroup(fg, SIGHUP);
      sigSendGroup(fg, SIGCONT);
    }
  }
  for (let c: u32 = 0; c < MAX_PROCS; c++) {
    if (c == slot || pState(c) == P_UNUSED || pState(c) == P_ZOMBIE || pIsThread(c) || sigSid(c) != sid || !sigStopped(c)) continue;
    sigSend(c, SIGHUP);
    sigSend(c, SIGCONT);
  }
}

/** Hands child c to newParent: init, or NO_SLOT while there is none. A
 *  zombie must wake its new parent, whose wait may already be asleep (it
 *  would otherwise stay until some other child's exit); with no parent at
 *  all it is freed, since nobody can ever wait for it. */
function reparent(c: u32, newParent: u32): void {
  pSetParent(c, newParent);
  if (pState(c) != P_ZOMBIE) return;
  if (newParent == NO_SLOT) procFreeSlot(c);
  else wakeup(W_CHILD, newParent);
}

/** Kills every live process except `except` (init, as it ends). Each dies
 *  at its next kernel crossing, before it runs another instruction. */
function killAllBut(except: u32): void {
  for (let c: u32 = 0; c < MAX_PROCS; c++) {
    if (c == except || pState(c) == P_UNUSED || pState(c) == P_ZOMBIE || pIsThread(c)) continue;
    killSlot(c);
  }
}

function killSlot(slot: u32): void {
  sigKill(slot);
}

export const WAIT_NO_CHILDREN: i32 = -1;
export const WAIT_BLOCK: i32 = -2;

/** Reaps one zombie child of slot: returns its slot (the caller copies the
 *  status and frees it), WAIT_BLOCK if children are alive, or
 *  WAIT_NO_CHILDREN. */
export function procFindZombieChild(caller: u32): i32 {
  const slot = pProc(caller);
  let children = false;
  for (let c: u32 = 0; c < MAX_PROCS; c++) {
    if (pState(c) == P_UNUSED || pIsThread(c) || pParent(c) != slot) continue;
    children = true;
    if (pState(c) == P_ZOMBIE) return <i32>c;
  }
  return children ? WAIT_BLOCK : WAIT_NO_CHILDREN;
}

/** kill(pid): marks it; a sleeper is woken so it dies at its next crossing.
 *  False only when no process has that pid. A zombie has nothing left to
 *  kill: xv6 answers 0 for it, and so does Keel. */
export function procKill(pid: i32): bool {
  if (pid <= 0) return false;
  const slot = procByPid(pid);
  if (slot == NO_SLOT) return false;
  if (pState(slot) != P_ZOMBIE) killSlot(slot);
  return true;
}
