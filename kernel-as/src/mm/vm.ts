// User address spaces: the regions of a process over its Sv48 page table,
// demand-zero and copy-on-write page faults, and copyin/copyout — the only
// way the kernel touches user memory (always through the process's own page
// table, never by trusting a user pointer).
//
// Ownership: every 4 KiB user frame carries a reference count in its frame
// descriptor (frameCount); fork shares frames read-only with PTE_COW set and
// the count raised; the first write gives the writer its own copy. A frame
// is freed when its count drops to zero. Page-table frames belong to the
// table (pagetable.ts) and are freed by ptDestroy.
//
// Memory policy (docs/memory.md "Out of memory"): each user frame is charged
// to the process that allocated it (frame owner = its pid, P_USER_FRAMES),
// no process may hold more than the per-process limit, and user memory
// never takes the last reserveFrames free frames except for init. When an
// allocation would, the out-of-memory killer (proc/oom.ts) ends the largest
// process if that is someone else; if the asker is the largest, its request
// fails. That call into proc/ is this layer's one arrow up, as a page
// allocator calls the OOM killer in any kernel.
// Relies on: mm/pagetable, mm/frames, machine/sv48, machine/hart (TLB and
// decoded-code invalidation), proc/proc (region records, charges), proc/oom.

import {
  ptCreate, ptDestroy, ptMap, ptUnmap, ptProtect, ptReplace, ptTranslate, ptLeafFlags, PT_OK, PT_NO_MAPPING,
} from "./pagetable";
import {
  frameAlloc, frameFree, frameZero, frameCount, frameSetCount, frameSetOwner, frameOwner, frameKind, framesFreeTotal,
  KIND_USER, KIND_RESERVED,
} from "./frames";
import {
  PTE_V, PTE_R, PTE_W, PTE_X, PTE_U, PTE_A, PTE_D, PAGE_4K, PT_ENTRIES, pteIsLeaf, pteToPa,
} from "../machine/sv48";
import { tlbFlushAsid, tlbFlushVa, hartInvalidateCode, hartDebugFlags, DEBUG_WATCH, watchKernelWrite, watchKernelRead } from "../machine/hart";
import {
  pRegion, pRoot, pAsid, pCtx, pPid, pRegionTag, pSetRegionTag, pUserFrames, pSetUserFrames, procByPid, procTable,
  MAX_REGIONS, NO_SLOT,
} from "../proc/proc";
import { oomReclaim } from "../proc/oom";

export const PAGE: u64 = 4096;
/** User virtual addresses are below 2^47 (the lower half of Sv48). */
export const USER_VA_LIMIT: u64 = 0x8000_0000_0000;
/** Software bit (RSW) marking a shared page that is writable after a copy. */
export const PTE_COW: u64 = 1 << 8;
/** Software bit (RSW) marking a page of a shared memory object: fork shares
 *  it as it is (writable stays writable) instead of copy-on-write. */
export const PTE_SHARED: u64 = 1 << 9;

export const USER_RX: u64 = PTE_R | PTE_X | PTE_U | PTE_A;
export const USER_R: u64 = PTE_R | PTE_U | PTE_A;
export const USER_RW: u64 = PTE_R | PTE_W | PTE_U | PTE_A | PTE_D;
export const USER_RWX: u64 = PTE_R | PTE_W | PTE_X | PTE_U | PTE_A | PTE_D;
/** The stack guard: mapped, but not user-accessible. */
export const GUARD_FLAGS: u64 = PTE_R | PTE_A;

// Region kinds.
export const RK_NONE: u32 = 0;
export const RK_SEGMENT: u32 = 1;
export const RK_GUARD: u32 = 2;
export const RK_STACK: u32 = 3;
export const RK_HEAP: u32 = 4;
export const RK_SHARED: u32 = 5;   // a shared memory object's mapping

// Region record (24 bytes).
const R_START: usize = 0;  // u64
const R_END: usize = 8;    // u64
const R_FLAGS: usize = 16; // u32 PTE flags for its pages
const R_KIND: usize = 20;  // u32

export const VM_OK: i32 = 0;
export const VM_ERR_NOMEM: i32 = -1;
export const VM_ERR_FAULT: i32 = -2;
export const VM_ERR_RANGE: i32 = -3;
/** The process holds as many user frames as the per-process limit allows. */
export const VM_ERR_LIMIT: i32 = -4;

// @ts-ignore: decorator
@inline export function pageDown(a: u64): u64 { return a & ~(PAGE - 1); }
// @ts-ignore: decorator
@inline export function pageUp(a: u64): u64 { return (a + PAGE - 1) & ~(PAGE - 1); }

// ---- Regions -----------------------------------------------------------------------

export function regionClear(slot: u32): void {
  for (let i: u32 = 0; i < MAX_REGIONS; i++) regionRemove(slot, i);
}

/** Forgets region i (its pages are the caller's business). */
export function regionRemove(slot: u32, i: u32): void {
  store<u32>(pRegion(slot, i) + R_KIND, RK_NONE);
  pSetRegionTag(slot, i, 0);
}

/** Adds a region tagged `tag` (see pRegionTag); returns its index, or -1
 *  when the process has no room for another. */
export function regionAddTagged(slot: u32, start: u64, end: u64, flags: u64, kind: u32, tag: usize): i32 {
  for (let i: u32 = 0; i < MAX_REGIONS; i++) {
    const r = pRegion(slot, i);
    if (load<u32>(r + R_KIND) != RK_NONE) continue;
    store<u64>(r + R_START, start);
    store<u64>(r + R_END, end);
    store<u32>(r + R_FLAGS, <u32>flags);
    store<u32>(r + R_KIND, kind);
    pSetRegionTag(slot, i, tag);
    return <i32>i;
  }
  return -1;
}

export function regionAdd(slot: u32, start: u64, end: u64, flags: u64, kind: u32): bool {
  return regionAddTagged(slot, start, end, flags, kind, 0) >= 0;
}

/** True if slot can take one more region. */
export function regionRoom(slot: u32): bool {
  for (let i: u32 = 0; i < MAX_REGIONS; i++) if (load<u32>(pRegion(slot, i) + R_KIND) == RK_NONE) return true;
  return false;
}

/** The region record holding va, or 0. */
export function regionFind(slot: u32, va: u64): usize {
  for (let i: u32 = 0; i < MAX_REGIONS; i++) {
    const r = pRegion(slot, i);
    if (load<u32>(r + R_KIND) == RK_NONE) continue;
    if (va >= load<u64>(r + R_START) && va < load<u64>(r + R_END)) return r;
  }
  return 0;
}
export function regionKind(r: usize): u32 { return load<u32>(r + R_KIND); }
export function regionFlags(r: usize): u64 { return <u64>load<u32>(r + R_FLAGS); }
export function regionStart(r: usize): u64 { return load<u64>(r + R_START); }
export function regionEnd(r: usize): u64 { return load<u64>(r + R_END); }
export function regionSetEnd(r: usize, end: u64): void { store<u64>(r + R_END, end); }

/** The heap region (created by exec), or 0. */
export function heapRegion(slot: u32): usize {
  for (let i: u32 = 0; i < MAX_REGIONS; i++) {
    const r = pRegion(slot, i);
    if (load<u32>(r + R_KIND) == RK_HEAP) return r;
  }
  return 0;
}

/** Copies the region list of one process to another (fork), tags included. */
export function regionCopy(from: u32, to: u32): void {
  memory.copy(pRegion(to, 0), pRegion(from, 0), <usize>MAX_REGIONS * 24);
  for (let i: u32 = 0; i < MAX_REGIONS; i++) pSetRegionTag(to, i, pRegionTag(from, i));
}

// ---- Frames ------------------------------------------------------------------------

/** Whether slot may take one more user frame: VM_OK, VM_ERR_LIMIT (it is
 *  at the per-process limit) or VM_ERR_NOMEM (free frames are down to the
 *  reserve and the out-of-memory killer found no one else to end). */
export function userFrameAdmit(slot: u32): i32 {
  const t = procTable();
  if (pUserFrames(slot) >= t.userFrameLimit) return VM_ERR_LIMIT;
  if (slot == t.initSlot) return VM_OK; // init may dip into the reserve
  while (framesFreeTotal() <= t.reserveFrames) {
    if (!oomReclaim(slot)) return VM_ERR_NOMEM;
  }
  return VM_OK;
}

/** A zeroed user frame charged to slot, with one reference, or 0 (see
 *  userFrameAdmit for why). */
export function userFrameAlloc(slot: u32): usize {
  if (userFrameAdmit(slot) != VM_OK) return 0;
  const pa = frameAlloc(0, KIND_USER);
  if (pa == 0) return 0;
  frameZero(pa, 0);
  frameSetCount(pa, 1);
  frameSetOwner(pa, <u32>pPid(slot));
  pSetUserFrames(slot, pUserFrames(slot) + 1);
  return pa;
}

/** Drops one reference; frees the frame (and any code decoded from it) at
 *  zero, uncharging the process that allocated it if it still exists.
 *  Device memory (reserved frames such as the VGA buffer) is never freed. */
export function userFrameRelease(pa: usize): void {
  if (frameKind(pa) == KIND_RESERVED) return;
  const n = frameCount(pa);
  if (n > 1) { frameSetCount(pa, n - 1); return; }
  frameSetCount(pa, 0);
  const owner = procByPid(<i32>frameOwner(pa));
  if (owner != NO_SLOT && pUserFrames(owner) > 0) pSetUserFrames(owner, pUserFrames(owner) - 1);
  hartInvalidateCode(pa, <usize>PAGE);
  frameFree(pa, 0);
}

/** Maps fresh zeroed pages over [start, end) with `flags`, charged to slot.
 *  VM_ERR_NOMEM / VM_ERR_LIMIT when a page cannot be had (the pages mapped
 *  so far stay; the caller unmaps or destroys). */
export function mapZeroed(root: usize, slot: u32, start: u64, end: u64, flags: u64): i32 {
  for (let va = pageDown(start); va < end; va += PAGE) {
    if (ptTranslate(root, va) != PT_NO_MAPPING) continue; // already there (a shared page of two segments)
    const admit = userFrameAdmit(slot);
    if (admit != VM_OK) return admit;
    const pa = userFrameAlloc(slot);
    if (pa == 0) return VM_ERR_NOMEM;
    if (ptMap(root, va, pa, PAGE_4K, flags) != PT_OK) { userFrameRelease(pa); return VM_ERR_NOMEM; }
  }
  return VM_OK;
}

/** Unmaps [start, end), releasing the frames. */
export function unmapRange(root: usize, asid: u32, start: u64, end: u64): void {
  for (let va = pageDown(start); va < end; va += PAGE) {
    const pa = ptTranslate(root, va);
    if (pa == PT_NO_MAPPING) continue;
    ptUnmap(root, va, PAGE_4K);
    userFrameRelease(<usize>(pa & ~(PAGE - 1)));
    tlbFlushVa(asid, va);
  }
}

// ---- Whole address spaces ------------------------------------------------------------

function releaseLeaves(table: usize, level: i32): void {
  for (let i: u32 = 0; i < PT_ENTRIES; i++) {
    const pte = load<u64>(table + (<usize>i << 3));
    if ((pte & PTE_V) == 0) continue;
    if (pteIsLeaf(pte)) {
      if (level == 0) userFrameRelease(<usize>pteToPa(pte));
    } else if (level > 0) {
      releaseLeaves(<usize>pteToPa(pte), level - 1);
    }
  }
}

/** Releases every user frame of the tree, then the tree; flushes the ASID. */
export function addressSpaceDestroy(root: usize, asid: u32): void {
  if (root == 0) return;
  releaseLeaves(root, 3);
  ptDestroy(root);
  tlbFlushAsid(asid);
}

function cloneLeaves(src: usize, level: i32, vaBase: u64, dstRoot: usize): i32 {
  for (let i: u32 = 0; i < PT_ENTRIES; i++) {
    const slotAddr = src + (<usize>i << 3);
    const pte = load<u64>(slotAddr);
    if ((pte & PTE_V) == 0) continue;
    const va = vaBase | (<u64>i << (12 + 9 * <u64>level));
    if (!pteIsLeaf(pte)) {
      if (level == 0) continue;
      const r = cloneLeaves(<usize>pteToPa(pte), level - 1, va, dstRoot);
      if (r != VM_OK) return r;
      continue;
    }
    if (level != 0) continue; // user mappings are 4 KiB pages
    let flags = pte & 0x3FF;
    if ((flags & PTE_W) != 0 && (flags & PTE_SHARED) == 0) {
      flags = (flags & ~PTE_W) | PTE_COW;
      store<u64>(slotAddr, (pte & ~<u64>0x3FF) | flags); // the parent loses W too
    }
    const pa = <usize>pteToPa(pte);
    if (ptMap(dstRoot, va, pa, PAGE_4K, flags & ~PTE_V) != PT_OK) return VM_ERR_NOMEM;
    frameSetCount(pa, frameCount(pa) + 1);
  }
  return VM_OK;
}

/** fork: a new tree sharing every user page copy-on-write. Returns the new
 *  root or 0 (out of memory, with nothing leaked). */
export function addressSpaceClone(srcRoot: usize, srcAsid: u32, newAsid: u32): usize {
  const root = ptCreate();
  if (root == 0) return 0;
  const r = cloneLeaves(srcRoot, 3, 0, root);
  tlbFlushAsid(srcAsid); // the parent's writable pages are now read-only
  if (r != VM_OK) {
    addressSpaceDestroy(root, newAsid);
    return 0;
  }
  tlbFlushAsid(newAsid);
  return root;
}

// ---- Faults ----------------------------------------------------------------------------

export const ACCESS_READ: u32 = 0;
export const ACCESS_WRITE: u32 = 1;
export const ACCESS_EXEC: u32 = 2;

/** Resolves a user page fault if it is legitimate: a demand-zero heap page,
 *  or a write to a copy-on-write page. Returns VM_OK, VM_ERR_FAULT for a
 *  real fault, or VM_ERR_NOMEM / VM_ERR_LIMIT when the page is legitimate
 *  but no frame may be had for it. */
export function vmFault(slot: u32, va: u64, access: u32): i32 {
  if (va >= USER_VA_LIMIT) return VM_ERR_FAULT;
  const root = pRoot(slot);
  const page = pageDown(va);
  const flags = <u64>ptLeafFlags(root, page);
  if ((flags & PTE_V) != 0) {
    // Mapped: only a write to a copy-on-write page is ours to fix.
    if (access != ACCESS_WRITE || (flags & PTE_COW) == 0) return VM_ERR_FAULT;
    const oldPa = <usize>(ptTranslate(root, page) & ~(PAGE - 1));
    const newFlags = (flags & ~(PTE_COW | PTE_V)) | PTE_W | PTE_D;
    if (frameCount(oldPa) == 1) {
      if (ptProtect(root, page, newFlags) != PT_OK) return VM_ERR_FAULT;
    } else {
      const admit = userFrameAdmit(slot);
      if (admit != VM_OK) return admit;
      const copy = userFrameAlloc(slot);
      if (copy == 0) return VM_ERR_NOMEM;
      memory.copy(copy, oldPa, <usize>PAGE);
      if (ptReplace(root, page, copy, newFlags) != PT_OK) { userFrameRelease(copy); return VM_ERR_FAULT; }
      userFrameRelease(oldPa);
    }
    tlbFlushVa(pAsid(slot), page);
    return VM_OK;
  }
  // Unmapped: a lazily grown heap page is made on first touch.
  const r = regionFind(slot, va);
  if (r == 0 || regionKind(r) != RK_HEAP) return VM_ERR_FAULT;
  const rflags = regionFlags(r);
  if (access == ACCESS_EXEC && (rflags & PTE_X) == 0) return VM_ERR_FAULT;
  const mapped = mapZeroed(root, slot, page, page + PAGE, rflags);
  if (mapped != VM_OK) return mapped;
  tlbFlushVa(pAsid(slot), page);
  return VM_OK;
}

// ---- copyin / copyout ------------------------------------------------------------------

/** Physical address of user va for an access, faulting pages in as the hart
 *  would (demand zero, copy-on-write); 0 when the access is not allowed. */
function userPa(slot: u32, va: u64, access: u32): usize {
  if (va >= USER_VA_LIMIT) return 0;
  const root = pRoot(slot);
  let flags = <u64>ptLeafFlags(root, va);
  const need = access == ACCESS_WRITE ? PTE_W : PTE_R;
  if ((flags & PTE_V) == 0 || (flags & PTE_U) == 0 || (flags & need) == 0) {
    if (vmFault(slot, va, access) != VM_OK) return 0;
    flags = <u64>ptLeafFlags(root, va);
    if ((flags & PTE_U) == 0 || (flags & need) == 0) return 0;
  }
  const pa = ptTranslate(root, va);
  return pa == PT_NO_MAPPING ? 0 : <usize>pa;
}

/** Copies len bytes from user va to kernel dst. VM_ERR_FAULT on a bad
 *  pointer. A debugged process's read watchpoints see the load
 *  (machine/debug.ts watchKernelRead). */
export function copyin(slot: u32, dst: usize, va: u64, len: u64): i32 {
  if ((hartDebugFlags(pCtx(slot)) & DEBUG_WATCH) != 0 && len > 0) watchKernelRead(va, len);
  while (len > 0) {
    const pa = userPa(slot, va, ACCESS_READ);
    if (pa == 0) return VM_ERR_FAULT;
    let n = PAGE - (va & (PAGE - 1));
    if (n > len) n = len;
    memory.copy(dst, pa, <usize>n);
    dst += <usize>n; va += n; len -= n;
  }
  return VM_OK;
}

/** Copies len bytes from kernel src to user va; invalidates decoded code
 *  there. A debugged process's write watchpoints see the store
 *  (machine/debug.ts watchKernelWrite). */
export function copyout(slot: u32, va: u64, src: usize, len: u64): i32 {
  if ((hartDebugFlags(pCtx(slot)) & DEBUG_WATCH) != 0 && len > 0) watchKernelWrite(va, len);
  while (len > 0) {
    const pa = userPa(slot, va, ACCESS_WRITE);
    if (pa == 0) return VM_ERR_FAULT;
    let n = PAGE - (va & (PAGE - 1));
    if (n > len) n = len;
    memory.copy(pa, src, <usize>n);
    hartInvalidateCode(pa, <usize>n);
    src += <usize>n; va += n; len -= n;
  }
  return VM_OK;
}

/** Copies a NUL-terminated user string of at most max-1 bytes to dst (NUL
 *  included). Returns its length, or -1 for a bad pointer or no NUL in time. */
export function copyinstr(slot: u32, dst: usize, va: u64, max: u32): i32 {
  let n: u32 = 0;
  while (n < max) {
    const pa = userPa(slot, va + n, ACCESS_READ);
    if (pa == 0) return -1;
    const c = load<u8>(pa);
    store<u8>(dst + n, c);
    // A debugged process's read watchpoints see each byte the kernel loads.
    if ((hartDebugFlags(pCtx(slot)) & DEBUG_WATCH) != 0) watchKernelRead(va + n, 1);
    if (c == 0) return <i32>n;
    n++;
  }
  return -1;
}

/** Reads a u64 from user memory; returns false on a bad pointer. */
export function fetchU64(slot: u32, va: u64, out: usize): bool {
  return copyin(slot, out, va, 8) == VM_OK;
}

