// Descriptors: the Unix view of a process's capability space. A descriptor
// is a slot (0..15) of the cspace; the capability names an open file (fs/
// file.ts) and carries the rights. This is where the Unix calls meet the
// capability layer: lookups check rights and expiry, dup and fork copy
// capabilities, and the last capability to a file destroys it (waking the
// other side of a pipe).
// Relies on: cap/cap, fs/file, proc/proc, sched/sched.

import {
  cspaceCreate, cspaceDestroy, cspaceSetOwner, cspaceFreeSlot, capInsertRoot, capLookup, capCopy, capDelete,
  capRevoke, capRevokeNext, capNextSlot, capNodeAt, capNodeType, capNodeObject, capNodeExpiry, capNodeRights,
  capNodeCspace, capNodeSlot, objType, CAP_OK,
  CAP_UNREFERENCED, CAP_UNIX_SLOTS,
} from "../cap/cap";
import {
  RIGHT_READ, RIGHT_WRITE, RIGHT_GRANT, RIGHT_DELEGATE, CAP_ERR_EMPTY, CAP_ERR_BAD_SLOT, CAP_ERR_EXPIRED,
  CAP_ERR_NO_RIGHTS, CAP_ERR_NO_DELEGATE, CAP_ERR_NO_GRANT, CAP_ERR_RIGHTS_GROW, CAP_ERR_BAD_RIGHTS, CAP_ERR_REBADGE,
  CAP_ERR_BAD_EXPIRY, CAP_ERR_TOO_DEEP, CAP_ERR_CSPACE_FULL, CAP_ERR_OCCUPIED, CAP_ERR_NO_MEMORY, CAP_ERR_BUSY,
} from "../cap/codes";
import { fileDestroy, filePipeOf } from "../fs/file";
import { ipcObjectDestroy } from "../ipc/endpoint";
import {
  KOBJ_ENDPOINT, KOBJ_NOTIFICATION, KOBJ_MEMORY, KOBJ_FILE, KOBJ_CONSOLE, KOBJ_DEVICE, CAP_ERR_BAD_TYPE, RIGHTS_ALL,
} from "../cap/codes";
import { shmDestroy, shmUnmapNode } from "../ipc/shm";
import { pCspace, pSetCspace, pPid, W_PIPE_READ, W_PIPE_WRITE } from "../proc/proc";
import { nicObjectRelease } from "../dev/nic";
import { wakeup } from "../sched/sched";
import { timeNowNs } from "../arch/timer";
import { SCRATCH_CAPS } from "../lib/layout";

/** Rights a Unix open/pipe gives on top of Read/Write: the holder may copy
 *  the descriptor (dup, fork) and pass it on. */
export const UNIX_EXTRA_RIGHTS: u32 = RIGHT_GRANT | RIGHT_DELEGATE;
export const FD_MAX: u32 = CAP_UNIX_SLOTS;

/** A fresh, empty capability space for slot. */
export function fdTableCreate(slot: u32): bool {
  const cs = cspaceCreate();
  if (cs == 0) return false;
  cspaceSetOwner(cs, <u32>pPid(slot));
  pSetCspace(slot, cs);
  return true;
}

/** Destroys an object no capability names any more. */
function destroyObject(obj: usize): void {
  const type = objType(obj);
  if (type == KOBJ_ENDPOINT || type == KOBJ_NOTIFICATION) { ipcObjectDestroy(obj); return; }
  if (type == KOBJ_MEMORY) { shmDestroy(obj); return; }
  if (type == KOBJ_DEVICE) { nicObjectRelease(obj); return; }
  const pipe = filePipeOf(obj);
  fileDestroy(obj);
  if (pipe != 0) {
    wakeup(W_PIPE_READ, <u32>pipe);
    wakeup(W_PIPE_WRITE, <u32>pipe);
  }
}

/** A capability is about to be removed: the mappings made through it go
 *  first (ipc/shm.ts), so no mapping outlives its capability. */
function capGoing(n: usize): void {
  if (n != 0 && capNodeType(n) == KOBJ_MEMORY) shmUnmapNode(n);
}

/** Deletes every capability of slot (exit), destroying what they alone named. */
export function fdTableDestroy(slot: u32): void {
  const cs = pCspace(slot);
  if (cs == 0) return;
  for (let s = capNextSlot(cs, 0); s >= 0; s = capNextSlot(cs, <u32>s + 1)) capGoing(capNodeAt(cs, <u32>s));
  const n = cspaceDestroy(cs, SCRATCH_CAPS);
  for (let i: i32 = 0; i < n; i++) destroyObject(<usize>load<u32>(SCRATCH_CAPS + <usize>i * 4));
  pSetCspace(slot, 0);
}

/** fork: the child gets a copy of every capability the parent may pass on. */
export function fdTableFork(parent: u32, child: u32): void {
  const from = pCspace(parent), to = pCspace(child);
  const now = timeNowNs();
  for (let s = capNextSlot(from, 0); s >= 0; s = capNextSlot(from, <u32>s + 1)) {
    capCopy(from, <u32>s, to, <u32>s, now); // refused copies (no Delegate or Grant) stay behind
  }
}

/** Installs a new open file at the lowest free descriptor, with `rights`
 *  plus Grant and Delegate. `via` is the directory capability it was
 *  opened through (0 for none): the new capability gets none of the rights
 *  `via` lacks, expires with it, and goes when a revoke removes `via`
 *  (it is reached through it: capInsertRoot's origin). Returns the fd, or
 *  -1 when all descriptors are in use (the caller destroys the file). */
export function fdInstall(slot: u32, file: usize, rights: u32, via: usize = 0): i32 {
  const cs = pCspace(slot);
  const fd = cspaceFreeSlot(cs, 0);
  if (fd < 0 || <u32>fd >= FD_MAX) return -1;
  const bound = via != 0 ? capNodeRights(via) : RIGHTS_ALL;
  const r = capInsertRoot(cs, <u32>fd, file, objType(file), (rights | UNIX_EXTRA_RIGHTS) & bound, 0, 0, via);
  return r >= 0 ? fd : -1;
}

/** The open file behind slot's capability `fd` if it has `need` rights and
 *  has not expired; otherwise a negative CAP_ERR_* code. Any slot of the
 *  cspace may be used, not only 0..15. */
export function fdLookup(slot: u32, fd: i32, need: u32): i64 {
  if (fd < 0) return CAP_ERR_BAD_SLOT;
  const cs = pCspace(slot);
  // Read the clock only for capabilities that can expire.
  let n = capLookup(cs, <u32>fd, 0, need);
  if (n > 0 && capNodeExpiry(<usize>n) != 0) n = capLookup(cs, <u32>fd, timeNowNs(), need);
  return n > 0 ? <i64>capNodeObject(<usize>n) : n;
}

/** True when obj is an open file (fs/file.ts): a file, directory, pipe end
 *  or the console, the kinds KOBJ_FILE .. KOBJ_CONSOLE. */
export function isOpenFile(obj: usize): bool {
  const type = objType(obj);
  return type >= KOBJ_FILE && type <= KOBJ_CONSOLE;
}

/** fdLookup for the file calls (read, write, fstat, openat, unlinkat,
 *  fspawn): the open file behind capability fd, or CAP_ERR_BAD_TYPE when
 *  the capability names another kind of object (an endpoint, a
 *  notification, shared memory), whose record the file layer must never
 *  read. Every call that treats a slot as an open file decodes it here. */
export function fdFile(slot: u32, fd: i32, need: u32): i64 {
  const obj = fdLookup(slot, fd, need);
  if (obj < 0) return obj;
  return isOpenFile(<usize>obj) ? obj : CAP_ERR_BAD_TYPE;
}

/** Deletes capability fd (close); destroys the file if it was the last. */
export function fdClose(slot: u32, fd: i32): i32 {
  if (fd < 0) return CAP_ERR_BAD_SLOT;
  const cs = pCspace(slot);
  // Read the object from the node itself, not through fdLookup: closing
  // needs no right and works on an expired capability, and the last one
  // gone must destroy its object even then (an expired last capability
  // once left its object alive for ever).
  const node = capNodeAt(cs, <u32>fd);
  const object: usize = node != 0 ? capNodeObject(node) : 0;
  capGoing(node);
  const r = capDelete(cs, <u32>fd);
  if (r == CAP_UNREFERENCED && object != 0) destroyObject(object);
  return r < 0 ? r : CAP_OK;
}

/** Revokes capability s of slot: every capability derived from it goes,
 *  in every process, and what was opened through those (files through a
 *  derived directory capability, and so on), with the mappings made through
 *  any of them; objects left without a capability are destroyed. Returns
 *  how many capabilities went, or a negative CAP_ERR_* code. */
export function fdRevoke(slot: u32, s: u32): i32 {
  const cs = pCspace(slot);
  const root = capNodeAt(cs, s);
  if (root == 0) return capRevoke(cs, s); // the reason: bad slot, empty, ...
  let removed: i32 = 0;
  for (let n = capRevokeNext(root); n != 0; n = capRevokeNext(root)) {
    capGoing(n);
    const object = capNodeObject(n);
    if (capDelete(capNodeCspace(n), capNodeSlot(n)) == CAP_UNREFERENCED) destroyObject(object);
    removed++;
  }
  return removed;
}

/** dup: a copy of fd's capability at the lowest free descriptor. */
export function fdDup(slot: u32, fd: i32): i32 {
  const cs = pCspace(slot);
  const dst = cspaceFreeSlot(cs, 0);
  if (dst < 0 || <u32>dst >= FD_MAX) return CAP_ERR_CSPACE_FULL;
  return capCopy(cs, <u32>fd, cs, <u32>dst, timeNowNs());
}

/** Deletes capability fd and destroys its object if that was the last (for
 *  the native cap_delete). */
export function capDeleteAndDestroy(slot: u32, fd: u32): i32 {
  return fdClose(slot, <i32>fd);
}

/** Words for a capability failure, to follow "CALL: ". */
export function capErrText(code: i64): string {
  switch (<i32>code) {
    case CAP_ERR_EMPTY: return "no capability in that slot (closed or revoked)";
    case CAP_ERR_BAD_SLOT: return "bad descriptor or slot";
    case CAP_ERR_EXPIRED: return "capability expired";
    case CAP_ERR_NO_RIGHTS: return "capability lacks the right";
    case CAP_ERR_NO_DELEGATE: return "source lacks the Delegate right";
    case CAP_ERR_NO_GRANT: return "capability lacks the Grant right";
    case CAP_ERR_RIGHTS_GROW: return "rights can only be kept or dropped";
    case CAP_ERR_BAD_RIGHTS: return "unknown rights bits";
    case CAP_ERR_REBADGE: return "a badged capability cannot be re-badged";
    case CAP_ERR_BAD_EXPIRY: return "expiry already passed";
    case CAP_ERR_TOO_DEEP: return "derivation tree too deep";
    case CAP_ERR_CSPACE_FULL: return "capability table full";
    case CAP_ERR_OCCUPIED: return "destination slot in use";
    case CAP_ERR_NO_MEMORY: return "out of kernel memory";
    case CAP_ERR_BUSY: return "object busy";
    case CAP_ERR_BAD_TYPE: return "not an open file (the capability names another kind of object)";
    default: return "capability error";
  }
}

/** The rights a descriptor needs for read and write. */
export const NEED_READ: u32 = RIGHT_READ;
export const NEED_WRITE: u32 = RIGHT_WRITE;
