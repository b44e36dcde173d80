// Shared memory objects: frames owned by the object and mapped, without
// copying, into every address space that maps it through a capability. The
// capability's rights decide the mapping: Write gives a writable mapping,
// Read alone a read-only one. Each mapping holds a reference on every frame
// (frame reference counts, as copy-on-write uses), so a process may exit or
// the object be destroyed in any order.
//
// A mapping lives no longer than the capability it was made through: its
// region is tagged with that capability's node, and whoever removes a
// memory capability (delete, revoke, a cspace's destruction: sys/fd.ts)
// calls shmUnmapNode first, which unmaps the pages and flushes the address
// space's TLB entries. Invariant: a shared region's tag is a live node in
// its own process's cspace (fork re-tags the child's copies, shmForkMappings).
// Relies on: mm/vm (user frames, regions), mm/pagetable, cap/cap, proc/proc.

import { kmalloc, kfree } from "../mm/slab";
import { objInit, objRetire, capNodeAt, capNodeParent, capNodeSlot, capNodeCspace, OBJ_HEADER_SIZE } from "../cap/cap";
import { KOBJ_MEMORY } from "../cap/codes";
import {
  userFrameAlloc, userFrameRelease, regionAddTagged, regionRemove, regionRoom, regionKind, regionStart, regionEnd,
  unmapRange, PAGE, USER_R, USER_RW, PTE_SHARED, RK_SHARED,
} from "../mm/vm";
import { ptMap, PT_OK } from "../mm/pagetable";
import { frameCount, frameSetCount } from "../mm/frames";
import { PAGE_4K } from "../machine/sv48";
import { tlbFlushAsid } from "../machine/hart";
import {
  pRoot, pAsid, pShmNext, pSetShmNext, pState, pCspace, pRegion, pRegionTag, pSetRegionTag, MAX_PROCS, MAX_REGIONS, P_UNUSED, pIsThread,
} from "../proc/proc";
import { printSinks, printSetSinks, SINK_VGA } from "../lib/print";
import { kinfo } from "../lib/log";

/** Largest object: 1024 pages (4 MiB). */
export const SHM_MAX_PAGES: u32 = 1024;
/** Where a process's shared mappings go, one after another. */
export const SHM_BASE: u64 = 0x1000_0000_0000;
export const SHM_LIMIT: u64 = 0x2000_0000_0000;

const S_PAGES: usize = OBJ_HEADER_SIZE;      // u32
const S_DEVICE: usize = OBJ_HEADER_SIZE + 4; // u32: nonzero for device memory (fixed frames, never freed)
const S_FRAMES: usize = OBJ_HEADER_SIZE + 8; // u32 address of the frame list (u32 each)
const OBJECT_SIZE: u32 = <u32>OBJ_HEADER_SIZE + 16;

export const SHM_OK: i32 = 0;
export const SHM_ERR_SIZE: i32 = -1;
export const SHM_ERR_NOMEM: i32 = -2;
export const SHM_ERR_SPACE: i32 = -3;

/** A zeroed shared memory object of `bytes` (rounded up to pages), its
 *  frames charged to process slot `owner`, or 0. */
export function shmCreate(bytes: u32, owner: u32): usize {
  const pages = <u32>((<u64>bytes + PAGE - 1) / PAGE);
  if (pages == 0 || pages > SHM_MAX_PAGES) return 0;
  const obj = kmalloc(OBJECT_SIZE);
  if (obj == 0) return 0;
  const list = kmalloc(pages * 4);
  if (list == 0) { kfree(obj); return 0; }
  for (let i: u32 = 0; i < pages; i++) {
    const pa = userFrameAlloc(owner);
    if (pa == 0) {
      for (let j: u32 = 0; j < i; j++) userFrameRelease(<usize>load<u32>(list + <usize>j * 4));
      kfree(list);
      kfree(obj);
      return 0;
    }
    store<u32>(list + <usize>i * 4, <u32>pa);
  }
  memory.fill(obj, 0, <usize>OBJECT_SIZE);
  objInit(obj, KOBJ_MEMORY);
  store<u32>(obj + S_PAGES, pages);
  store<u32>(obj + S_FRAMES, <u32>list);
  return obj;
}

/** A memory object over fixed physical frames (device memory, such as the
 *  VGA text buffer): mapping it maps those frames; nothing is allocated or
 *  freed. Returns 0 without memory for the record. */
export function shmCreateDevice(pa: usize, pages: u32): usize {
  if (pages == 0 || pages > SHM_MAX_PAGES || (pa & <usize>(PAGE - 1)) != 0) return 0;
  const obj = kmalloc(OBJECT_SIZE);
  if (obj == 0) return 0;
  const list = kmalloc(pages * 4);
  if (list == 0) { kfree(obj); return 0; }
  for (let i: u32 = 0; i < pages; i++) store<u32>(list + <usize>i * 4, <u32>(pa + <usize>i * <usize>PAGE));
  memory.fill(obj, 0, <usize>OBJECT_SIZE);
  objInit(obj, KOBJ_MEMORY);
  store<u32>(obj + S_PAGES, pages);
  store<u32>(obj + S_DEVICE, 1);
  store<u32>(obj + S_FRAMES, <u32>list);
  return obj;
}

export function shmIsDevice(obj: usize): bool { return load<u32>(obj + S_DEVICE) != 0; }

export function shmPages(obj: usize): u32 { return load<u32>(obj + S_PAGES); }

/** The last capability went: drop the object's own reference on each frame
 *  (mappings keep theirs until their process unmaps or exits). */
export function shmDestroy(obj: usize): void {
  const pages = shmPages(obj);
  const list = <usize>load<u32>(obj + S_FRAMES);
  if (!shmIsDevice(obj)) for (let i: u32 = 0; i < pages; i++) userFrameRelease(<usize>load<u32>(list + <usize>i * 4));
  kfree(list);
  objRetire(obj);
  kfree(obj);
}

/** Maps the whole object into slot's address space through capability
 *  node `cap` (the mapping goes when that capability does); returns the
 *  address (> 0) or a negative SHM_ERR_*. A failure maps nothing. */
export function shmMap(slot: u32, obj: usize, writable: bool, cap: usize): i64 {
  if (!regionRoom(slot)) return SHM_ERR_SPACE;
  const pages = shmPages(obj);
  let va = pShmNext(slot);
  if (va == 0) va = SHM_BASE;
  const end = va + <u64>pages * PAGE;
  if (end > SHM_LIMIT) return SHM_ERR_SPACE;
  const root = pRoot(slot);
  const flags = (writable ? USER_RW : USER_R) | PTE_SHARED;
  const list = <usize>load<u32>(obj + S_FRAMES);
  for (let i: u32 = 0; i < pages; i++) {
    const pa = <usize>load<u32>(list + <usize>i * 4);
    if (ptMap(root, va + <u64>i * PAGE, pa, PAGE_4K, flags) != PT_OK) {
      unmapRange(root, pAsid(slot), va, va + <u64>i * PAGE); // drops the references taken so far
      return SHM_ERR_NOMEM;
    }
    if (!shmIsDevice(obj)) frameSetCount(pa, frameCount(pa) + 1);
  }
  if (shmIsDevice(obj)) deviceMapped();
  regionAddTagged(slot, va, end, flags, RK_SHARED, cap);
  pSetShmNext(slot, end + PAGE); // a gap between mappings
  tlbFlushAsid(pAsid(slot));
  return <i64>va;
}

/** Unmaps shared region i of slot: its pages go, their frame references are
 *  dropped, and the address space's TLB entries are shot down. */
function unmapRegion(slot: u32, i: u32): void {
  const r = pRegion(slot, i);
  unmapRange(pRoot(slot), pAsid(slot), regionStart(r), regionEnd(r));
  regionRemove(slot, i);
  tlbFlushAsid(pAsid(slot));
}

/** Before capability node `cap` is removed: unmaps every mapping made
 *  through it, in every process. Returns how many. */
export function shmUnmapNode(cap: usize): u32 {
  let n: u32 = 0;
  for (let s: u32 = 0; s < MAX_PROCS; s++) {
    if (pState(s) == P_UNUSED || pIsThread(s) || pRoot(s) == 0) continue;
    for (let i: u32 = 0; i < MAX_REGIONS; i++) {
      if (regionKind(pRegion(s, i)) != RK_SHARED || pRegionTag(s, i) != cap) continue;
      unmapRegion(s, i);
      n++;
    }
  }
  return n;
}

/** fork, after the capabilities were copied: each shared mapping the child
 *  inherited is re-tagged with the child's own copy of the capability it
 *  was made through (fork puts it in the same slot, a child of the parent's
 *  node). A mapping whose capability was not copied (no Delegate or Grant)
 *  is not inherited: the child may hold no mapping it has no capability for. */
export function shmForkMappings(parent: u32, child: u32): void {
  for (let i: u32 = 0; i < MAX_REGIONS; i++) {
    if (regionKind(pRegion(child, i)) != RK_SHARED) continue;
    const tag = pRegionTag(child, i);
    const copy: usize = tag == 0 || capNodeCspace(tag) != pCspace(parent) ? <usize>0 : capNodeAt(pCspace(child), capNodeSlot(tag));
    if (copy != 0 && capNodeParent(copy) == tag) pSetRegionTag(child, i, copy);
    else unmapRegion(child, i);
  }
}

/** Device memory's first mapping: when it is the VGA text buffer, the
 *  process that maps it owns the screen from now on, and the kernel keeps its
 *  own console output to the UART. */
function deviceMapped(): void {
  if ((printSinks() & SINK_VGA) == 0) return;
  printSetSinks(printSinks() & ~SINK_VGA);
  kinfo("console: a user-space display service owns the VGA screen now; kernel output stays on the UART");
}
