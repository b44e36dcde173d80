// Keel's native calls (200-223, docs/abi.md): capability operations,
// capability mode, openat and spawn. Each decodes fully (slots, rights,
// pointers) before it changes anything, and every denial has its own reason.
// Relies on: cap/cap, sys/fd, sys/callargs, proc/*, fs/*.

import {
  capInfo, capDerive, capCopy, capMove, capRevoke, capNextSlot, cspaceFreeSlot, capInsertRoot, capLookup, capNodeBadge,
  capNodeRights, capNodeAt, capNodeExpiry,
  objType,
  CapInfo, CAP_INFO_SIZE,
} from "../cap/cap";
import {
  RIGHT_READ, RIGHT_WRITE, RIGHT_DELEGATE, RIGHT_GRANT, RIGHT_DELETE, RIGHT_EXECUTE, RIGHTS_ALL, CAP_ERR_NO_RIGHTS,
  KOBJ_ENDPOINT, KOBJ_NOTIFICATION,
  KOBJ_MEMORY, KOBJ_FILE,
} from "../cap/codes";
import { shmCreate, shmMap, shmDestroy, SHM_MAX_PAGES, SHM_ERR_SPACE } from "../ipc/shm";
import {
  endpointCreate, notificationCreate, ipcObjectDestroy, epSend, epRecv, epReply, ntfnSignal, ntfnTake, ntfnBlock,
  EP_BLOCKED, REPLY_NO_CALLER, IPC_ERR_FAULT, IPC_ERR_TOO_BIG, IPC_ERR_NO_GRANT, IPC_ERR_NO_SLOT,
} from "../ipc/endpoint";
import { fdClose, fdLookup, fdFile, fdRevoke, fdTableCreate, fdTableDestroy, capErrText } from "./fd";
import { arg, argInt, fail, fail2, copyPath } from "./callargs";
import { sysOpenDisk, execArgs, fsErrText } from "./unix";
import { sigSpawn } from "../proc/signal";
import {
  NO_SLOT, procAlloc, procFreeSlot, pCspace, pCapMode, pSetCapMode, pPid, pSetParent, pCwd, pSetCwd,
  pNice, pSetNice, pVruntime, pSetVruntime, pReplyPid, pCtx, pState, pWaitKind, MAX_PROCS, P_SLEEPING, W_PIPE_READ,
  W_PIPE_WRITE, W_CONSOLE, W_EP_SEND, W_EP_RECV, W_EP_CALL, W_NTFN, W_NIC,
} from "../proc/proc";
import { schedMakeRunnable, schedFork } from "../sched/sched";
import { copyin, copyout, copyinstr, VM_OK } from "../mm/vm";
import { fsMounted, fsLookup } from "../fs/fsops";
import { fileDiskInode, fileKind, FK_DISK, FK_INODE } from "../fs/file";
import { fsUnlink } from "../fs/fsops";
import { completeCall } from "../ipc/endpoint";
import { hartGetReg } from "../machine/hart";
import { idup, iput, inodeInum, inodeType, FS_T_DIR, ROOT_INUM } from "../fs/inode";
import { pathResolve } from "../fs/path";
import { timeNowNs } from "../arch/timer";
import { SCRATCH_PATH, SCRATCH_CAPS } from "../lib/layout";

export const SYS_CAP_INFO: u32 = 200;
export const SYS_CAP_DERIVE: u32 = 201;
export const SYS_CAP_COPY: u32 = 202;
export const SYS_CAP_MOVE: u32 = 203;
export const SYS_CAP_DELETE: u32 = 204;
export const SYS_CAP_REVOKE: u32 = 205;
export const SYS_CAP_ENTER: u32 = 206;
export const SYS_OPENAT: u32 = 207;
export const SYS_SPAWN: u32 = 208;
export const SYS_CAP_LIST: u32 = 209;
export const SYS_EP_CREATE: u32 = 210;
export const SYS_EP_SEND: u32 = 211;
export const SYS_EP_RECV: u32 = 212;
export const SYS_EP_CALL: u32 = 213;
export const SYS_EP_REPLY: u32 = 214;
export const SYS_EP_REPLYRECV: u32 = 215;
export const SYS_NTFN_CREATE: u32 = 216;
export const SYS_NTFN_SIGNAL: u32 = 217;
export const SYS_NTFN_WAIT: u32 = 218;
export const SYS_NTFN_POLL: u32 = 219;
export const SYS_SHM_CREATE: u32 = 220;
export const SYS_SHM_MAP: u32 = 221;
export const SYS_UNLINKAT: u32 = 222;
export const SYS_FSPAWN: u32 = 223;
export const SYS_NATIVE_FIRST: u32 = SYS_CAP_INFO;
export const SYS_NATIVE_LAST: u32 = SYS_FSPAWN;
/** A native call that put the caller to sleep (the run loop must not move its pc). */
export const NATIVE_BLOCKED: i64 = -0x7FFF_FFFE;

/** A destination of -1: the lowest free slot from 16 up (above the descriptors). */
const DST_ANY: i32 = -1;
const FIRST_NON_UNIX_SLOT: u32 = 16;
const USER_CAPINFO_SIZE: u64 = 40;
const USER_CAPSLOT_SIZE: u64 = 24;
/** spawn: at most this many capabilities handed over. */
const SPAWN_MAX_CAPS: i32 = 64;
const SPAWN_CAPMODE: i32 = 1;
/** Every flag spawn knows; others are refused. */
const SPAWN_FLAGS: i32 = SPAWN_CAPMODE;

export function nativeCall(slot: u32, num: u32): i64 {
  switch (num) {
    case SYS_CAP_INFO: return capInfoCall(slot);
    case SYS_CAP_DERIVE: return capDeriveCall(slot);
    case SYS_CAP_COPY: return placed(slot, "cap_copy: ", capCopy(pCspace(slot), <u32>argInt(slot, 0), pCspace(slot), dst(slot, 1), timeNowNs()));
    case SYS_CAP_MOVE: return placed(slot, "cap_move: ", capMove(pCspace(slot), <u32>argInt(slot, 0), pCspace(slot), dst(slot, 1), timeNowNs()));
    case SYS_CAP_DELETE: {
      const r = fdClose(slot, argInt(slot, 0));
      return r < 0 ? fail2(slot, "cap_delete: ", capErrText(r)) : 0;
    }
    case SYS_CAP_REVOKE: {
      const r = fdRevoke(slot, <u32>argInt(slot, 0));
      if (r > 0) failRevokedWaiters();
      return r < 0 ? fail2(slot, "cap_revoke: ", capErrText(r)) : r;
    }
    case SYS_UNLINKAT: return unlinkatCall(slot);
    case SYS_FSPAWN: return spawnCall(slot, true);
    case SYS_CAP_ENTER: pSetCapMode(slot); return 0;
    case SYS_OPENAT: return openatCall(slot);
    case SYS_SPAWN: return spawnCall(slot, false);
    case SYS_CAP_LIST: return capListCall(slot);
    case SYS_EP_CREATE: return createObject(slot, endpointCreate(), "ep_create: ");
    case SYS_NTFN_CREATE: return createObject(slot, notificationCreate(), "ntfn_create: ");
    case SYS_EP_SEND: return sendCall(slot, false);
    case SYS_EP_CALL: return sendCall(slot, true);
    case SYS_EP_RECV: return recvCall(slot);
    case SYS_EP_REPLY: return replyCall(slot, arg(slot, 0));
    case SYS_EP_REPLYRECV: {
      // The reply happens once: epReply forgets the caller, so if the receive
      // blocks and this call runs again, only the receive is repeated.
      if (pReplyPid(slot) != 0) epReply(slot, arg(slot, 1));
      return recvCall(slot);
    }
    case SYS_NTFN_SIGNAL: {
      const n = objectArg(slot, KOBJ_NOTIFICATION, RIGHT_WRITE, "ntfn_signal: ");
      if (n < 0) return -1;
      ntfnSignal(<usize>n, arg(slot, 1));
      return 0;
    }
    case SYS_NTFN_WAIT:
    case SYS_NTFN_POLL: {
      const n = objectArg(slot, KOBJ_NOTIFICATION, RIGHT_READ, num == SYS_NTFN_WAIT ? "ntfn_wait: " : "ntfn_poll: ");
      if (n < 0) return -1;
      const bits = ntfnTake(<usize>n);
      if (bits == 0 && num == SYS_NTFN_WAIT) { ntfnBlock(slot, <usize>n); return NATIVE_BLOCKED; }
      return <i64>bits;
    }
    case SYS_SHM_CREATE: {
      const bytes = argInt(slot, 0);
      if (bytes <= 0 || <u32>bytes > SHM_MAX_PAGES * 4096) return fail(slot, "shm_create: size must be 1 byte to 4 MiB");
      return createObject(slot, shmCreate(<u32>bytes, slot), "shm_create: ");
    }
    case SYS_SHM_MAP: {
      const found = objectArg(slot, KOBJ_MEMORY, RIGHT_READ, "shm_map: ");
      if (found < 0) return -1;
      const node = capNodeAt(pCspace(slot), <u32>argInt(slot, 0));
      // A mapping is checked once, when it is made: it cannot honour a deadline.
      if (capNodeExpiry(node) != 0) return fail(slot, "shm_map: a capability with an expiry cannot be mapped");
      const writable = (capNodeRights(node) & RIGHT_WRITE) != 0;
      const va = shmMap(slot, <usize>found, writable, node);
      return va < 0 ? fail(slot, va == SHM_ERR_SPACE ? "shm_map: no room for another mapping" : "shm_map: out of memory") : va;
    }
    default: return fail(slot, "unknown native call");
  }
}

/** A new endpoint or notification with every right, at the lowest free slot from 16. */
function createObject(slot: u32, obj: usize, call: string): i64 {
  if (obj == 0) return fail2(slot, call, "out of kernel memory");
  const cs = pCspace(slot);
  const free = cspaceFreeSlot(cs, FIRST_NON_UNIX_SLOT);
  const r = free < 0 ? free : capInsertRoot(cs, <u32>free, obj, objType(obj), RIGHTS_ALL, 0);
  if (r < 0) {
    if (objType(obj) == KOBJ_MEMORY) shmDestroy(obj); else ipcObjectDestroy(obj);
    return fail2(slot, call, capErrText(r));
  }
  return r;
}

/** Why a lookup needing the one right `need` failed, naming the right. */
function lacksText(need: u32): string {
  if (need == RIGHT_READ) return "capability lacks the Read right";
  if (need == RIGHT_WRITE) return "capability lacks the Write right";
  return "capability lacks the right for this";
}

/** The object of kind `type` that argument 0 names with `need` rights, or -1. */
function objectArg(slot: u32, type: u32, need: u32, call: string): i64 {
  if (type == KOBJ_MEMORY) {
    const f = fdLookup(slot, argInt(slot, 0), need);
    if (f < 0) return fail2(slot, call, f == CAP_ERR_NO_RIGHTS ? "capability lacks the Read right" : capErrText(f));
    return objType(<usize>f) == KOBJ_MEMORY ? f : fail2(slot, call, "not a shared memory capability");
  }
  const found = fdLookup(slot, argInt(slot, 0), need);
  if (found < 0) return fail2(slot, call, found == CAP_ERR_NO_RIGHTS ? lacksText(need) : capErrText(found));
  if (objType(<usize>found) != type) return fail2(slot, call, type == KOBJ_ENDPOINT ? "not an endpoint capability" : "not a notification capability");
  return found;
}

function ipcErrText(code: i32): string {
  switch (code) {
    case IPC_ERR_FAULT: return "bad message pointer";
    case IPC_ERR_TOO_BIG: return "message longer than 4096 bytes";
    case IPC_ERR_NO_GRANT: return "the passed capability lacks the Grant right";
    case IPC_ERR_NO_SLOT: return "the receiver has no free capability slot";
    default: return "ipc error";
  }
}

function sendCall(slot: u32, call: bool): i64 {
  const name = call ? "ep_call: " : "ep_send: ";
  const found = fdLookup(slot, argInt(slot, 0), RIGHT_WRITE);
  if (found < 0) return fail2(slot, name, found == CAP_ERR_NO_RIGHTS ? "endpoint capability lacks the Write right" : capErrText(found));
  if (objType(<usize>found) != KOBJ_ENDPOINT) return fail2(slot, name, "not an endpoint capability");
  const node = capLookup(pCspace(slot), <u32>argInt(slot, 0), 0, 0);
  const badge = node > 0 ? capNodeBadge(<usize>node) : 0;
  const r = epSend(slot, <usize>found, arg(slot, 1), badge, call);
  if (r == EP_BLOCKED) return NATIVE_BLOCKED;
  return r < 0 ? fail2(slot, name, ipcErrText(r)) : 0;
}

function recvCall(slot: u32): i64 {
  const found = objectArg(slot, KOBJ_ENDPOINT, RIGHT_READ, "ep_recv: ");
  if (found < 0) return -1;
  const r = epRecv(slot, <usize>found, arg(slot, 1));
  if (r == EP_BLOCKED) return NATIVE_BLOCKED;
  return r < 0 ? fail2(slot, "ep_recv: ", ipcErrText(r)) : 0;
}

function replyCall(slot: u32, msgVa: u64): i64 {
  const r = epReply(slot, msgVa);
  if (r == REPLY_NO_CALLER) return fail(slot, "ep_reply: no caller is waiting for a reply (it may have died)");
  return r < 0 ? fail2(slot, "ep_reply: ", ipcErrText(r)) : 0;
}

/** unlinkat(dirslot, name): removes a name from a directory capability; needs
 *  Delete on it, and the name must lie inside the directory (beneath). */
function unlinkatCall(slot: u32): i64 {
  const found = fdFile(slot, argInt(slot, 0), RIGHT_DELETE);
  if (found < 0) return fail2(slot, "unlinkat: ", found == CAP_ERR_NO_RIGHTS ? "directory capability lacks the Delete right" : capErrText(found));
  const dir = <usize>found;
  if (!copyPath(slot, arg(slot, 1))) return fail(slot, "unlinkat: bad path pointer");
  if (escapes(SCRATCH_PATH)) return fail2(slot, "unlinkat: ", BENEATH_TEXT);
  if (fileKind(dir) != FK_DISK || inodeType(fileDiskInode(dir)) != FS_T_DIR) return fail(slot, "unlinkat: not a directory capability on the disk file system");
  const r = fsUnlink(SCRATCH_PATH, inodeInum(fileDiskInode(dir)));
  return r < 0 ? fail2(slot, "unlinkat: ", fsErrText(r)) : 0;
}

/** After a revoke: a process blocked on a capability it no longer holds
 *  (revoked from another process) stops waiting and its call fails. Only
 *  calls whose first argument is the capability they block on are looked
 *  at: read and write (pipes, console), endpoint send/receive/call,
 *  notification wait, and nic_recv. */
function failRevokedWaiters(): void {
  for (let s: u32 = 0; s < MAX_PROCS; s++) {
    if (pState(s) != P_SLEEPING) continue;
    const kind = pWaitKind(s);
    if (kind != W_PIPE_READ && kind != W_PIPE_WRITE && kind != W_CONSOLE && kind != W_EP_SEND && kind != W_EP_RECV &&
        kind != W_EP_CALL && kind != W_NTFN && kind != W_NIC) continue;
    const held = capLookup(pCspace(s), <u32>hartGetReg(pCtx(s), 10), 0, 0);
    if (held > 0) continue;
    fail(s, "the capability was revoked while this call waited on it");
    completeCall(s, -1);
  }
}

/** The destination slot argument: a slot, or the lowest free from 16 up. */
function dst(slot: u32, i: u32): u32 {
  const d = argInt(slot, i);
  if (d != DST_ANY) return <u32>d;
  const free = cspaceFreeSlot(pCspace(slot), FIRST_NON_UNIX_SLOT);
  return free < 0 ? 0xFFFF_FFFE : <u32>free; // an impossible slot: the operation reports it
}

function placed(slot: u32, call: string, r: i32): i64 {
  return r < 0 ? fail2(slot, call, capErrText(r)) : r;
}

function capInfoCall(slot: u32): i64 {
  const info = SCRATCH_CAPS;
  const r = capInfo(pCspace(slot), <u32>argInt(slot, 0), info);
  if (r < 0) return fail2(slot, "cap_info: ", capErrText(r));
  const c = changetype<CapInfo>(info);
  const out = SCRATCH_CAPS + CAP_INFO_SIZE;
  store<u32>(out, c.type);
  store<u32>(out + 4, c.rights);
  store<u64>(out + 8, c.badge);
  store<u64>(out + 16, c.expiry);
  store<u32>(out + 24, c.depth);
  store<u32>(out + 28, c.children);
  store<u32>(out + 32, c.refs);
  store<u32>(out + 36, 0);
  if (copyout(slot, arg(slot, 1), out, USER_CAPINFO_SIZE) != VM_OK) return fail(slot, "cap_info: bad pointer");
  return 0;
}

function capDeriveCall(slot: u32): i64 {
  const cs = pCspace(slot);
  const r = capDerive(cs, <u32>argInt(slot, 0), cs, dst(slot, 1), <u32>argInt(slot, 2), arg(slot, 3), arg(slot, 4), timeNowNs());
  return placed(slot, "cap_derive: ", r);
}

function capListCall(slot: u32): i64 {
  const cs = pCspace(slot);
  const va = arg(slot, 0);
  const max = argInt(slot, 1);
  if (max < 0) return fail(slot, "cap_list: negative count");
  let n: i32 = 0;
  const info = SCRATCH_CAPS;
  const rec = SCRATCH_CAPS + CAP_INFO_SIZE;
  for (let s = capNextSlot(cs, 0); s >= 0 && n < max; s = capNextSlot(cs, <u32>s + 1)) {
    if (capInfo(cs, <u32>s, info) < 0) continue;
    const c = changetype<CapInfo>(info);
    store<i32>(rec, s);
    store<u32>(rec + 4, c.type);
    store<u32>(rec + 8, c.rights);
    store<u32>(rec + 12, c.depth);
    store<u64>(rec + 16, c.badge);
    if (copyout(slot, va + <u64>n * USER_CAPSLOT_SIZE, rec, USER_CAPSLOT_SIZE) != VM_OK) return fail(slot, "cap_list: bad pointer");
    n++;
  }
  return n;
}

/** Why a path through a directory capability was refused. */
const BENEATH_TEXT = "the path must stay beneath the directory capability (no absolute path, no ..)";

/** True if the NUL-terminated path at p could leave the directory it is
 *  resolved in: absolute (one slash or several) or with a ".." component
 *  anywhere. "." and empty components stay where they are. */
function escapes(p: usize): bool {
  if (load<u8>(p) == 0x2F) return true;
  let i: usize = 0;
  while (load<u8>(p + i) != 0) {
    const start = i;
    while (load<u8>(p + i) != 0 && load<u8>(p + i) != 0x2F) i++;
    if (i - start == 2 && load<u8>(p + start) == 0x2E && load<u8>(p + start + 1) == 0x2E) return true;
    while (load<u8>(p + i) == 0x2F) i++;
  }
  return false;
}

/** openat(dirslot, path, flags): a directory capability bounds everything
 *  reached through it. The path stays beneath the directory (in and out of
 *  capability mode: the capability names a subtree), and what is opened
 *  gets at most the directory capability's rights, expires with it and is
 *  revoked with it (sysOpenDisk checks Write for creating, writing and
 *  truncating; fdInstall records the directory capability as its origin). */
function openatCall(slot: u32): i64 {
  const cs = pCspace(slot);
  const found = fdFile(slot, argInt(slot, 0), RIGHT_READ);
  if (found < 0) return fail2(slot, "openat: ", found == CAP_ERR_NO_RIGHTS ? "directory capability lacks the Read right" : capErrText(found));
  const dir = <usize>found;
  const node = capNodeAt(cs, <u32>argInt(slot, 0));
  if (!copyPath(slot, arg(slot, 1))) return fail(slot, "openat: bad path pointer");
  if (escapes(SCRATCH_PATH)) return fail2(slot, "openat: ", BENEATH_TEXT);
  if (fileKind(dir) != FK_DISK || inodeType(fileDiskInode(dir)) != FS_T_DIR) {
    return fail(slot, "openat: not a directory capability on the disk file system");
  }
  return sysOpenDisk(slot, argInt(slot, 2), inodeInum(fileDiskInode(dir)), "openat: ", node);
}

/** spawn(path, argv, caps, ncaps, flags): a new process running path,
 *  holding exactly the listed capabilities. fspawn(fileslot, ...) runs the
 *  program a file capability names instead (it needs Execute), which works
 *  in capability mode too. */
function spawnCall(slot: u32, fromCap: bool): i64 {
  const call = fromCap ? "fspawn: " : "spawn: ";
  const ncaps = argInt(slot, 3);
  const flags = argInt(slot, 4);
  if (ncaps < 0 || ncaps > SPAWN_MAX_CAPS) return fail(slot, "spawn: between 0 and 64 capabilities");
  if ((flags & ~SPAWN_FLAGS) != 0) return fail2(slot, call, "unknown flags");
  if (!fromCap && pCapMode(slot)) return fail(slot, "spawn: capability mode: no ambient authority (use fspawn)");
  // Decode first: the capability pairs, and that each may be passed on.
  const pairs = SCRATCH_CAPS + 0x100; // ncaps x (i32 src, i32 dst)
  if (ncaps > 0 && copyin(slot, pairs, arg(slot, 2), <u64>ncaps * 8) != VM_OK) return fail(slot, "spawn: bad capability list pointer");
  for (let i: i32 = 0; i < ncaps; i++) {
    const src = load<i32>(pairs + <usize>i * 8);
    const to = load<i32>(pairs + <usize>i * 8 + 4);
    if (to < 0 || to >= 64) return fail(slot, "spawn: bad destination slot");
    const found = fdLookup(slot, src, RIGHT_DELEGATE | RIGHT_GRANT);
    if (found < 0) {
      return fail2(slot, "spawn: ", found == CAP_ERR_NO_RIGHTS ? "a listed capability lacks the Grant or Delegate right" : capErrText(found));
    }
  }
  let ip: i32 = 0;
  let inum: u32 = 0;
  if (fromCap) {
    const file = fdFile(slot, argInt(slot, 0), RIGHT_EXECUTE);
    if (file < 0) return fail2(slot, call, file == CAP_ERR_NO_RIGHTS ? "file capability lacks the Execute right" : capErrText(file));
    // A directory is an open file too, but not a program.
    if (objType(<usize>file) != KOBJ_FILE || fileKind(<usize>file) != FK_DISK) return fail(slot, "fspawn: not a file on the disk file system");
    ip = idup(fileDiskInode(<usize>file));
    // The program is named after argv[0] (there is no path to take it from).
    store<u8>(SCRATCH_PATH, 0x3F);
    store<u8>(SCRATCH_PATH + 1, 0);
    const argv0 = SCRATCH_PATH + 512;
    if (copyin(slot, argv0, arg(slot, 1), 8) == VM_OK && load<u64>(argv0) != 0) copyinstr(slot, SCRATCH_PATH, load<u64>(argv0), 64);
  } else if (!copyPath(slot, arg(slot, 0))) {
    return fail(slot, "spawn: bad path pointer");
  } else if (fsMounted()) {
    const cwd = pCwd(slot);
    ip = fsLookup(SCRATCH_PATH, cwd > 0 ? inodeInum(cwd) : ROOT_INUM);
    if (ip < 0) return fail2(slot, "spawn: ", fsErrText(ip));
  } else {
    inum = pathResolve(SCRATCH_PATH);
    if (inum == 0) return fail(slot, "spawn: no such file");
  }
  const child = procAlloc();
  if (child == NO_SLOT || !fdTableCreate(child)) {
    if (child != NO_SLOT) procFreeSlot(child);
    if (ip > 0) iput(ip);
    return fail(slot, "spawn: no free process slot or memory");
  }
  // execArgs reads argv from the caller (slot) but loads the image into the
  // child; it works on the slot it is given, so copy the caller's argv pointer
  // through a small shim: the child's image is built from the caller's memory.
  const r = spawnImage(slot, child, inum, ip);
  if (ip > 0) iput(ip);
  if (r != 0) {
    fdTableDestroy(child);
    procFreeSlot(child);
    return -1; // execArgs left the reason in the caller's error string
  }
  const now = timeNowNs();
  for (let i: i32 = 0; i < ncaps; i++) {
    capCopy(pCspace(slot), <u32>load<i32>(pairs + <usize>i * 8), pCspace(child), <u32>load<i32>(pairs + <usize>i * 8 + 4), now);
  }
  // Capability mode is for good and for every descendant: a caller in it
  // cannot start a child outside it, whatever the flags say.
  if ((flags & SPAWN_CAPMODE) != 0 || pCapMode(slot)) pSetCapMode(child);
  else if (pCwd(slot) > 0) pSetCwd(child, idup(pCwd(slot)));
  pSetNice(child, pNice(slot));
  schedFork(slot, child); // class, priority and CPU mask, as fork: a sandbox's child cannot escape them
  pSetVruntime(child, pVruntime(slot));
  pSetParent(child, slot);
  sigSpawn(slot, child);
  schedMakeRunnable(child);
  return pPid(child);
}

/** Builds child's image from path (inum or ip) with the argv the caller
 *  passed (argument 1). Reasons for failure go to the caller. */
function spawnImage(caller: u32, child: u32, inum: u32, ip: i32): i32 {
  return execArgs(caller, inum, ip, child);
}

