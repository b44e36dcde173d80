// Physical frame allocator: a binary buddy allocator over the boot memory
// map. Layer: mm, lowest. Relies on arch/bootinfo.ts for the memory map and
// on lib/layout.ts for its state record at KSTATE_FRAMES; everything else in
// mm (slab, page tables, address spaces) allocates through here.
//
// Frames are 4 KiB. A block of order k is 2^k frames, naturally aligned
// (its first frame index is a multiple of 2^k). Every frame index below the
// table's capacity belongs to exactly one block:
//   * a free block — its head descriptor has HEAD|FREE and its order, and it
//     is on the free list of that order;
//   * an allocated block — its head descriptor has HEAD and its order, and
//     a kind saying what it is used for;
//   * a reserved frame (not usable RAM: the null page, boot info, kernel
//     state, VGA, ROM, the kernel image, boot modules, holes) — an allocated
//     order-0 block of kind KIND_RESERVED that can never be freed.
// Tail descriptors of a block (all frames but the head) never carry HEAD.
// Two free buddies of the same order below MAX_ORDER never coexist: freeing
// merges them.
//
// Per-frame descriptors live in one contiguous table carved from usable RAM
// at init (its frames are kind KIND_FRAMETABLE). When RAM grows
// (framesAddRange, for HV_MEM_GROW) past the table's capacity the table is
// copied to a larger one and the old frames are freed.
//
// Per-vCPU frame caches (mm/pcpu.ts): order-0 allocations and frees go
// through the calling vCPU's cache of up to PCPU_FRAMES_MAX free frames,
// refilled from and drained to the buddy lists PCPU_FRAMES_BATCH at a time.
// A cached frame is an order-0 head with FLAG_CACHED and kind free: it is
// free for every count (framesFreeTotal, framesInUse(KIND_FREE)) but on no
// free list, so it is never merged. When the buddy lists have no frame for
// a cache, or no block for a larger allocation, every vCPU's cache is
// drained before the allocation fails.
//
// Concurrency (docs/architecture.md "Locks"): the buddy lists, the state
// record's totals (but the atomic ones) and every descriptor on a free list
// are under LOCK_FRAMES; a vCPU's cache and the descriptors of the frames in
// it under that vCPU's LOCK_PCPU_FRAMES lock, taken before LOCK_FRAMES.
// The per-kind counts and the cached total change with atomic adds (the
// cache paths change them without LOCK_FRAMES). An allocated block's
// descriptor belongs to its holder. framesAddRange (memory growth) moves the
// table under LOCK_FRAMES only: the other vCPUs must not allocate or free
// while RAM grows (true while vCPUs are interleaved).

import { KSTATE_FRAMES, PAGE_SHIFT, PAGE_SIZE } from "../lib/layout";
import { cpuId, MAX_CPUS } from "../lib/cpu";
import { spinLock, spinUnlock, LOCK_FRAMES, LOCK_PCPU_FRAMES } from "../lib/lock";
import {
  PCPU_FRAMES_BATCH, PCPU_FRAMES_MAX, pcpuCountDrain, pcpuCountRefill, pcpuFrameAt, pcpuFrameCount, pcpuFramePop,
  pcpuFramePush, pcpuFrameTakeOldest, pcpuInit,
} from "./pcpu";
import {
  BI_RAM_BYTES, REGION_USABLE, bootInfoValid, bootU64, mmapCount, regionBase, regionLength, regionType,
} from "../arch/bootinfo";

// ---- Limits -----------------------------------------------------------------

/** Largest block: 2^10 frames = 4 MiB. */
export const MAX_ORDER: u32 = 10;
export const ORDER_COUNT: u32 = MAX_ORDER + 1;
/** Physical RAM is below 4 GiB (wasm32 memory), so at most 2^20 frames. */
export const MAX_FRAMES: u32 = 1 << 20;
/** "No frame" in free-list links. */
export const FRAME_NIL: u32 = 0xFFFF_FFFF;
/** Bytes per frame descriptor. */
export const FRAME_DESC_SIZE: usize = 16;
const FRAME_DESC_SHIFT: usize = 4;
const FRAMES_MAGIC: u32 = 0x4D415246; // "FRAM"

// ---- What a frame is used for (FrameDesc.kind) ------------------------------

export const KIND_FREE: u32 = 0;
/** Not usable RAM, or never handed out: cannot be allocated or freed. */
export const KIND_RESERVED: u32 = 1;
export const KIND_KERNEL: u32 = 2;
export const KIND_PAGETABLE: u32 = 3;
export const KIND_USER: u32 = 4;
export const KIND_FILECACHE: u32 = 5;
/** Holds this allocator's own descriptor table. */
export const KIND_FRAMETABLE: u32 = 6;
/** A slab of the kernel object allocator (mm/slab.ts). */
export const KIND_SLAB: u32 = 7;
// Kernel frames by purpose, so that every frame the kernel holds has a name
// (mem, the inspect export): what is not one of these is KIND_KERNEL.
/** The process table (proc/proc.ts). */
export const KIND_PROCTABLE: u32 = 8;
/** One pipe's buffer (ipc/pipe.ts). */
export const KIND_PIPE: u32 = 9;
/** The hart's TLB and decoded-code arena (machine/hart.ts). */
export const KIND_HART: u32 = 10;
/** File-system tables: the block cache's headers, the inode cache, the log's lists. */
export const KIND_FSTABLE: u32 = 11;
/** A program file read into memory while exec builds its image (proc/loader.ts). */
export const KIND_EXEC: u32 = 12;
/** A kmalloc request above the largest slab object (mm/slab.ts). */
export const KIND_KMALLOC: u32 = 13;
/** A device's rings and buffers (dev/). */
export const KIND_DEVICE: u32 = 14;
export const KIND_COUNT: u32 = 15;
/** Init-time marker for "usable, not yet on a free list"; never visible after init. */
const KIND_CANDIDATE: u32 = 0xFF;

// ---- Result codes -------------------------------------------------------------

export const FRAME_OK: i32 = 0;
/** BootInfo missing or of the wrong version. */
export const FRAME_ERR_BOOTINFO: i32 = -1;
/** No usable run of RAM can hold the descriptor table. */
export const FRAME_ERR_NO_MEMORY: i32 = -2;
/** Address is not page aligned, is the null page, or lies beyond managed RAM. */
export const FRAME_ERR_BAD_ADDRESS: i32 = -3;
/** Order above MAX_ORDER. */
export const FRAME_ERR_BAD_ORDER: i32 = -4;
/** Address is not aligned to the order's block size. */
export const FRAME_ERR_MISALIGNED: i32 = -5;
/** Address is inside a block, not at its head. */
export const FRAME_ERR_NOT_BLOCK: i32 = -6;
/** The block is already free. */
export const FRAME_ERR_DOUBLE_FREE: i32 = -7;
/** The block was allocated with a different order. */
export const FRAME_ERR_WRONG_ORDER: i32 = -8;
/** Reserved or frame-table frames are never freed by callers. */
export const FRAME_ERR_NOT_ALLOCATED: i32 = -9;
/** framesAddRange: the range is empty after page alignment. */
export const FRAME_ERR_BAD_RANGE: i32 = -10;
/** framesAddRange: part of the range is already managed. */
export const FRAME_ERR_OVERLAP: i32 = -11;
/** Allocator used before framesInit succeeded. */
export const FRAME_ERR_NOT_READY: i32 = -12;

// framesCheck() results: which invariant failed.
export const FRAME_CHECK_STATE: i32 = -101;      // state record damaged
export const FRAME_CHECK_PARTITION: i32 = -102;  // a frame is not covered by exactly one block head
export const FRAME_CHECK_ORDER: i32 = -103;      // a head has order > MAX_ORDER
export const FRAME_CHECK_ALIGN: i32 = -104;      // a block is not aligned to its order
export const FRAME_CHECK_OVERRUN: i32 = -105;    // a block runs past the table's capacity
export const FRAME_CHECK_KIND: i32 = -106;       // free block with a kind, or used block with kind FREE
export const FRAME_CHECK_UNMERGED: i32 = -107;   // two free buddies at the same order
export const FRAME_CHECK_LIST_ENTRY: i32 = -108; // a list node is not a free head of the list's order
export const FRAME_CHECK_LIST_LINK: i32 = -109;  // prev/next links disagree
export const FRAME_CHECK_LIST_CYCLE: i32 = -110; // a list does not terminate
export const FRAME_CHECK_COUNT: i32 = -111;      // per-order count differs from its list length
export const FRAME_CHECK_FREE_TOTAL: i32 = -112; // free frame total differs from the lists
export const FRAME_CHECK_MANAGED: i32 = -113;    // managed frame total differs from the table
export const FRAME_CHECK_NULL_PAGE: i32 = -114;  // frame 0 is not reserved
export const FRAME_CHECK_TABLE: i32 = -115;      // the descriptor table's own frames are not marked
export const FRAME_CHECK_USED: i32 = -116;       // a per-kind frame count differs from the table
export const FRAME_CHECK_CACHE: i32 = -117;      // a per-vCPU cache is over its bound, names a frame that is not cached, or twice, or the cached total differs

// ---- Frame descriptor ---------------------------------------------------------

/** Head/free bits live above the 4-bit order in FrameDesc.bits. */
const ORDER_MASK: u8 = 0x0F;
const FLAG_FREE: u8 = 0x10;
const FLAG_HEAD: u8 = 0x20;
/** An order-0 frame in some vCPU's cache (with HEAD, kind free). */
const FLAG_CACHED: u8 = 0x40;
/** framesCheck's mark on a cached frame it found in a cache (cleared before it returns). */
const FLAG_SEEN: u8 = 0x80;

/**
 * One per frame, 16 bytes, at table + index * 16.
 *   next, prev  free-list links as frame indices (FRAME_NIL ends), free heads only
 *   owner       set by the allocating subsystem (slab: slab base on every frame)
 *   count       use count, 0 at allocation; its meaning belongs to the kind:
 *               page tables keep their number of valid entries here, user
 *               frames will keep their copy-on-write share count
 *   bits        order (low 4 bits) | FLAG_FREE | FLAG_HEAD
 *   kind        KIND_*
 */
@unmanaged class FrameDesc {
  next: u32;
  prev: u32;
  owner: u32;
  count: u16;
  bits: u8;
  kind: u8;
}

/** The allocator's state record at KSTATE_FRAMES (4 KiB slot). */
@unmanaged class FramesState {
  magic: u32;
  /** Physical address of the descriptor table. */
  table: u32;
  /** Frames the table describes: indices 0 .. capacity-1. */
  capacity: u32;
  /** Frames handed to the allocator (free + allocated, not reserved). */
  managed: u32;
  /** Frames currently free. */
  free: u32;
  /** The table's own frames. */
  tableFirst: u32;
  tableFrames: u32;
  /** frameAlloc calls that found no block. */
  failures: u32;
  /** Frames in the per-vCPU caches, all vCPUs together (atomic adds). */
  cached: u32;
  /** Nonzero: the per-vCPU caches are off (framesSetCaching). */
  cacheOff: u32;
}
// @ts-ignore: decorator
@inline function cachedAdd(n: i32): void { atomic.add<u32>(KSTATE_FRAMES + offsetof<FramesState>("cached"), <u32>n); }
const STATE_HEADS: usize = 0x40;  // u32[ORDER_COUNT] first free block per order
const STATE_COUNTS: usize = 0x80; // u32[ORDER_COUNT] free blocks per order
const STATE_USED: usize = 0xC0;   // u32[KIND_COUNT] allocated frames per kind (free and reserved: 0)
const STATE_CHECK_USED: usize = 0x100; // u32[KIND_COUNT] framesCheck's own count per kind

// @ts-ignore: decorator
@inline function state(): FramesState { return changetype<FramesState>(KSTATE_FRAMES); }
// @ts-ignore: decorator
@inline function desc(i: u32): FrameDesc {
  return changetype<FrameDesc>(<usize>state().table + (<usize>i << FRAME_DESC_SHIFT));
}
// @ts-ignore: decorator
@inline function headGet(k: u32): u32 { return load<u32>(KSTATE_FRAMES + STATE_HEADS + (<usize>k << 2)); }
// @ts-ignore: decorator
@inline function headSet(k: u32, i: u32): void { store<u32>(KSTATE_FRAMES + STATE_HEADS + (<usize>k << 2), i); }
// @ts-ignore: decorator
@inline function countGet(k: u32): u32 { return load<u32>(KSTATE_FRAMES + STATE_COUNTS + (<usize>k << 2)); }
// @ts-ignore: decorator
@inline function countSet(k: u32, n: u32): void { store<u32>(KSTATE_FRAMES + STATE_COUNTS + (<usize>k << 2), n); }
// @ts-ignore: decorator
@inline function usedGet(kind: u32): u32 { return load<u32>(KSTATE_FRAMES + STATE_USED + (<usize>kind << 2)); }
// @ts-ignore: decorator
@inline function usedAdd(kind: u32, n: i32): void {
  atomic.add<u32>(KSTATE_FRAMES + STATE_USED + (<usize>kind << 2), <u32>n);
}
// @ts-ignore: decorator
@inline function freeHeadBits(k: u32): u8 { return FLAG_HEAD | FLAG_FREE | <u8>k; }

// ---- Free lists -----------------------------------------------------------------

function listPush(k: u32, i: u32): void {
  const d = desc(i);
  const first = headGet(k);
  d.next = first;
  d.prev = FRAME_NIL;
  if (first != FRAME_NIL) desc(first).prev = i;
  headSet(k, i);
  countSet(k, countGet(k) + 1);
}

function listRemove(k: u32, i: u32): void {
  const d = desc(i);
  if (d.prev != FRAME_NIL) desc(d.prev).next = d.next;
  else headSet(k, d.next);
  if (d.next != FRAME_NIL) desc(d.next).prev = d.prev;
  countSet(k, countGet(k) - 1);
}

/** Makes [i, i + 2^k) a free block, merging with free buddies upward. The
 *  block's tail descriptors must already be non-heads. */
function freeBlock(i: u32, k: u32): void {
  const s = state();
  s.free += 1 << k;
  const capacity = s.capacity;
  while (k < MAX_ORDER) {
    const buddy = i ^ (1 << k);
    if (buddy >= capacity) break;
    const bd = desc(buddy);
    if (bd.bits != freeHeadBits(k)) break;
    listRemove(k, buddy);
    // The upper half's head becomes a tail of the merged block.
    const lower = i & ~(<u32>1 << k);
    const upper = lower | (<u32>1 << k);
    const ud = desc(upper);
    ud.bits = 0;
    ud.kind = <u8>KIND_FREE;
    i = lower;
    k++;
  }
  const d = desc(i);
  d.bits = freeHeadBits(k);
  d.kind = <u8>KIND_FREE;
  d.owner = 0;
  d.count = 0;
  listPush(k, i);
}

/** Hands the frames [a, b) to the allocator as free blocks (largest aligned
 *  pieces first, each merged with free neighbours). */
function addRun(a: u32, b: u32): void {
  while (a < b) {
    let k = MAX_ORDER;
    while (k > 0 && ((a & ((<u32>1 << k) - 1)) != 0 || a + (<u32>1 << k) > b)) k--;
    const n: u32 = 1 << k;
    for (let j: u32 = 0; j < n; j++) {
      const d = desc(a + j);
      d.bits = 0;
      d.kind = <u8>KIND_FREE;
      d.owner = 0;
      d.count = 0;
    }
    state().managed += n;
    freeBlock(a, k);
    a += n;
  }
}

/** Marks frame i as an allocated order-0 block of the given kind. */
function setSingle(i: u32, kind: u32): void {
  const d = desc(i);
  d.next = FRAME_NIL;
  d.prev = FRAME_NIL;
  d.owner = 0;
  d.count = 0;
  d.bits = FLAG_HEAD;
  d.kind = <u8>kind;
}

/** Index of the head of the block containing frame i (i < capacity). */
function headOf(i: u32): u32 {
  for (let k: u32 = 0; k <= MAX_ORDER; k++) {
    const h = i & ~((<u32>1 << k) - 1);
    const bits = desc(h).bits;
    if ((bits & FLAG_HEAD) != 0 && <u32>(bits & ORDER_MASK) >= k) return h;
  }
  return FRAME_NIL;
}

// ---- Boot -------------------------------------------------------------------------

// @ts-ignore: decorator
@inline function frameFloor(a: u64): u64 { return a >> PAGE_SHIFT; }
// @ts-ignore: decorator
@inline function frameCeil(a: u64): u64 { return (a + <u64>(PAGE_SIZE - 1)) >> PAGE_SHIFT; }
// @ts-ignore: decorator
@inline function clampFrames(f: u64): u32 { return f > <u64>MAX_FRAMES ? MAX_FRAMES : <u32>f; }

function regionFirstFrame(r: u32): u32 { return clampFrames(frameCeil(regionBase(r))); }
function regionEndFrame(r: u32): u32 { return clampFrames(frameFloor(regionBase(r) + regionLength(r))); }
/** Non-usable regions cover every frame they touch, partially or not. */
function reservedFirstFrame(r: u32): u32 { return clampFrames(frameFloor(regionBase(r))); }
function reservedEndFrame(r: u32): u32 { return clampFrames(frameCeil(regionBase(r) + regionLength(r))); }

/** First frame of a run of `count` usable frames that no non-usable region
 *  touches, or FRAME_NIL. */
function findTablePlace(count: u32): u32 {
  const regions = mmapCount();
  for (let r: u32 = 0; r < regions; r++) {
    if (regionType(r) != REGION_USABLE) continue;
    let at = regionFirstFrame(r);
    if (at == 0) at = 1;
    const end = regionEndFrame(r);
    let moved = true;
    while (moved && at + count <= end) {
      moved = false;
      for (let o: u32 = 0; o < regions; o++) {
        if (regionType(o) == REGION_USABLE) continue;
        const os = reservedFirstFrame(o), oe = reservedEndFrame(o);
        if (os < at + count && at < oe) { at = oe; moved = true; }
      }
    }
    if (at + count <= end) return at;
  }
  return FRAME_NIL;
}

// @ts-ignore: decorator
@inline function tableFramesFor(capacity: u32): u32 {
  return <u32>((<usize>capacity * FRAME_DESC_SIZE + PAGE_SIZE - 1) >> PAGE_SHIFT);
}

/** Builds the allocator from the boot memory map. Only USABLE regions become
 *  free frames; the descriptor table is carved from the first usable run that
 *  can hold it. */
export function framesInit(): i32 {
  if (!bootInfoValid()) return FRAME_ERR_BOOTINFO;
  const regions = mmapCount();
  let top: u64 = bootU64(BI_RAM_BYTES);
  for (let r: u32 = 0; r < regions; r++) {
    const end = regionBase(r) + regionLength(r);
    if (end > top) top = end;
  }
  const capacity = clampFrames(frameFloor(top));
  const tableFrames = tableFramesFor(capacity);
  const tableFirst = findTablePlace(tableFrames);
  if (tableFirst == FRAME_NIL) return FRAME_ERR_NO_MEMORY;

  const s = state();
  s.magic = 0;
  s.table = tableFirst << PAGE_SHIFT;
  s.capacity = capacity;
  s.managed = 0;
  s.free = 0;
  s.tableFirst = tableFirst;
  s.tableFrames = tableFrames;
  s.failures = 0;
  s.cached = 0;
  s.cacheOff = 0;
  pcpuInit(MAX_CPUS);
  for (let k: u32 = 0; k < ORDER_COUNT; k++) { headSet(k, FRAME_NIL); countSet(k, 0); }
  for (let k: u32 = 0; k < KIND_COUNT; k++) store<u32>(KSTATE_FRAMES + STATE_USED + (<usize>k << 2), 0);

  for (let i: u32 = 0; i < capacity; i++) setSingle(i, KIND_RESERVED);
  // Usable first, then every other region on top, so a map with overlapping
  // entries errs on the side of never handing out a reserved frame.
  for (let r: u32 = 0; r < regions; r++) {
    if (regionType(r) != REGION_USABLE) continue;
    const end = regionEndFrame(r);
    for (let i = regionFirstFrame(r); i < end; i++) if (i != 0) desc(i).kind = <u8>KIND_CANDIDATE;
  }
  for (let r: u32 = 0; r < regions; r++) {
    if (regionType(r) == REGION_USABLE) continue;
    const end = reservedEndFrame(r);
    for (let i = reservedFirstFrame(r); i < end; i++) desc(i).kind = <u8>KIND_RESERVED;
  }
  for (let i: u32 = 0; i < tableFrames; i++) setSingle(tableFirst + i, KIND_FRAMETABLE);
  s.managed = tableFrames;
  usedAdd(KIND_FRAMETABLE, <i32>tableFrames);

  let i: u32 = 0;
  while (i < capacity) {
    if (<u32>desc(i).kind != KIND_CANDIDATE) { i++; continue; }
    let j = i;
    while (j < capacity && <u32>desc(j).kind == KIND_CANDIDATE) j++;
    addRun(i, j);
    i = j;
  }
  s.magic = FRAMES_MAGIC;
  return FRAME_OK;
}

// ---- Allocation -----------------------------------------------------------------

/** Allocates a block of 2^order frames for the given use. Returns its
 *  physical address, or 0 when no block is free (0 is the reserved null page,
 *  never a frame) or the arguments are invalid. Contents are not zeroed. */
export function frameAlloc(order: u32, kind: u32): usize {
  if (order > MAX_ORDER || kind <= KIND_RESERVED || kind == KIND_FRAMETABLE || kind >= KIND_COUNT) return 0;
  const s = state();
  if (order == 0 && s.cacheOff == 0 && s.magic == FRAMES_MAGIC) return cachedAlloc(kind);
  spinLock(LOCK_FRAMES);
  let pa = allocBlock(order, kind);
  spinUnlock(LOCK_FRAMES);
  if (pa == 0 && s.cached != 0) {
    // Cached frames are never merged, so they may be the buddies a larger
    // block needs: give them back and try once more.
    framesDrainCaches();
    spinLock(LOCK_FRAMES);
    pa = allocBlock(order, kind);
    spinUnlock(LOCK_FRAMES);
  }
  return pa;
}

/** frameAlloc without argument checks or the lock, for this module (which
 *  may allocate KIND_FRAMETABLE). The caller holds LOCK_FRAMES. */
function allocBlock(order: u32, kind: u32): usize {
  const s = state();
  if (s.magic != FRAMES_MAGIC) return 0;
  const i = takeBlock(order);
  if (i == FRAME_NIL) { s.failures++; return 0; }
  const d = desc(i);
  d.bits = FLAG_HEAD | <u8>order;
  d.kind = <u8>kind;
  usedAdd(kind, <i32>1 << order);
  return <usize>i << PAGE_SHIFT;
}

/** Takes a block of 2^order frames off the free lists (splitting a larger
 *  one), counts it as no longer free, and returns its index with its head's
 *  links, owner and count cleared, or FRAME_NIL. Its bits and kind are the
 *  caller's to set. The caller holds LOCK_FRAMES. */
function takeBlock(order: u32): u32 {
  const s = state();
  let k = order;
  while (k <= MAX_ORDER && headGet(k) == FRAME_NIL) k++;
  if (k > MAX_ORDER) return FRAME_NIL;
  const i = headGet(k);
  listRemove(k, i);
  while (k > order) {
    k--;
    const half = i + (<u32>1 << k);
    const hd = desc(half);
    hd.bits = freeHeadBits(k);
    hd.kind = <u8>KIND_FREE;
    hd.owner = 0;
    hd.count = 0;
    listPush(k, half);
  }
  const d = desc(i);
  d.next = FRAME_NIL;
  d.prev = FRAME_NIL;
  d.owner = 0;
  d.count = 0;
  s.free -= 1 << order;
  return i;
}

// ---- Per-vCPU caches --------------------------------------------------------------

/** An order-0 frame from this vCPU's cache, refilled from the buddy lists
 *  when empty; when they are empty too, every cache is drained and the
 *  buddy lists are asked once more. */
function cachedAlloc(kind: u32): usize {
  const me = cpuId();
  const lock = LOCK_PCPU_FRAMES + me;
  spinLock(lock);
  if (pcpuFrameCount(me) == 0) refillCache(me);
  if (pcpuFrameCount(me) == 0) {
    spinUnlock(lock);
    framesDrainCaches();
    spinLock(LOCK_FRAMES);
    const pa = allocBlock(0, kind);
    spinUnlock(LOCK_FRAMES);
    return pa;
  }
  const i = pcpuFramePop(me);
  setSingle(i, kind);
  spinUnlock(lock);
  cachedAdd(-1);
  usedAdd(kind, 1);
  return <usize>i << PAGE_SHIFT;
}

/** Moves up to PCPU_FRAMES_BATCH frames from the buddy lists into vCPU
 *  cpu's cache. The caller holds that cache's lock. */
function refillCache(cpu: u32): void {
  spinLock(LOCK_FRAMES);
  let n: u32 = 0;
  while (n < PCPU_FRAMES_BATCH) {
    const i = takeBlock(0);
    if (i == FRAME_NIL) break;
    const d = desc(i);
    d.bits = FLAG_HEAD | FLAG_CACHED;
    d.kind = <u8>KIND_FREE;
    pcpuFramePush(cpu, i);
    n++;
  }
  cachedAdd(<i32>n);
  spinUnlock(LOCK_FRAMES);
  if (n > 0) pcpuCountRefill(cpu);
}

/** Gives the n oldest frames of vCPU cpu's cache back to the buddy lists.
 *  The caller holds that cache's lock. */
function drainCache(cpu: u32, n: u32): void {
  spinLock(LOCK_FRAMES);
  for (let j: u32 = 0; j < n; j++) {
    const i = pcpuFrameTakeOldest(cpu);
    desc(i).bits = 0;
    freeBlock(i, 0);
  }
  cachedAdd(-<i32>n);
  spinUnlock(LOCK_FRAMES);
  pcpuCountDrain(cpu);
}

/** Puts the order-0 frame i (allocated, checked by the caller) into this
 *  vCPU's cache, draining a batch first when the cache is full. */
function cachedFree(i: u32): void {
  const me = cpuId();
  const lock = LOCK_PCPU_FRAMES + me;
  spinLock(lock);
  if (pcpuFrameCount(me) >= PCPU_FRAMES_MAX) drainCache(me, PCPU_FRAMES_BATCH);
  const d = desc(i);
  const kind = <u32>d.kind;
  d.bits = FLAG_HEAD | FLAG_CACHED;
  d.kind = <u8>KIND_FREE;
  d.owner = 0;
  d.count = 0;
  pcpuFramePush(me, i);
  spinUnlock(lock);
  usedAdd(kind, -1);
  cachedAdd(1);
}

/** Gives every frame of every vCPU's cache back to the buddy lists (frames
 *  running out, caching switched off, a test comparing per-order counts).
 *  Returns how many. */
export function framesDrainCaches(): u32 {
  let total: u32 = 0;
  for (let c: u32 = 0; c < MAX_CPUS; c++) {
    spinLock(LOCK_PCPU_FRAMES + c);
    const n = pcpuFrameCount(c);
    if (n > 0) drainCache(c, n);
    spinUnlock(LOCK_PCPU_FRAMES + c);
    total += n;
  }
  return total;
}

/** Switches the per-vCPU caches on or off (off: every order-0 request takes
 *  LOCK_FRAMES, as without caches; the caches are drained). For tests and
 *  the benchmark; switch while no other vCPU allocates. */
export function framesSetCaching(on: bool): void {
  state().cacheOff = on ? 0 : 1;
  if (!on) framesDrainCaches();
}

/** Whether the per-vCPU caches are on. */
export function framesCaching(): bool { return state().cacheOff == 0; }

/** Frames in vCPU cpu's cache now. */
export function framesCachedOn(cpu: u32): u32 { return cpu < MAX_CPUS ? pcpuFrameCount(cpu) : 0; }

/** Frames in all the caches. */
export function framesCached(): u32 { return state().cached; }

/** Checks that pa heads an allocated block of exactly this order. Returns
 *  FRAME_OK or the reason it does not. Changes nothing. */
function frameFreeDecode(pa: usize, order: u32): i32 {
  const s = state();
  if (s.magic != FRAMES_MAGIC) return FRAME_ERR_NOT_READY;
  if (order > MAX_ORDER) return FRAME_ERR_BAD_ORDER;
  if (pa == 0 || (pa & (PAGE_SIZE - 1)) != 0) return FRAME_ERR_BAD_ADDRESS;
  const i = <u32>(pa >> PAGE_SHIFT);
  if (i >= s.capacity) return FRAME_ERR_BAD_ADDRESS;
  if ((i & ((<u32>1 << order) - 1)) != 0) return FRAME_ERR_MISALIGNED;
  const d = desc(i);
  const bits = d.bits;
  if ((bits & FLAG_HEAD) == 0) {
    const h = headOf(i);
    if (h != FRAME_NIL && (desc(h).bits & FLAG_FREE) != 0) return FRAME_ERR_DOUBLE_FREE;
    return FRAME_ERR_NOT_BLOCK;
  }
  if ((bits & (FLAG_FREE | FLAG_CACHED)) != 0) return FRAME_ERR_DOUBLE_FREE;
  const kind = <u32>d.kind;
  if (kind == KIND_RESERVED || kind == KIND_FRAMETABLE) return FRAME_ERR_NOT_ALLOCATED;
  if (<u32>(bits & ORDER_MASK) != order) return FRAME_ERR_WRONG_ORDER;
  return FRAME_OK;
}

/** Returns the block at pa (allocated with this order) to the allocator. */
export function frameFree(pa: usize, order: u32): i32 {
  const s = state();
  if (order == 0 && s.cacheOff == 0) {
    // The decode reads only this frame's descriptor (the caller's) on
    // success, so it needs no lock.
    const r = frameFreeDecode(pa, 0);
    if (r != FRAME_OK) return r;
    cachedFree(<u32>(pa >> PAGE_SHIFT));
    return FRAME_OK;
  }
  spinLock(LOCK_FRAMES);
  const r = frameFreeDecode(pa, order);
  if (r == FRAME_OK) {
    const i = <u32>(pa >> PAGE_SHIFT);
    usedAdd(<u32>desc(i).kind, -(<i32>1 << order));
    freeBlock(i, order);
  }
  spinUnlock(LOCK_FRAMES);
  return r;
}

/** Zeroes the 2^order frames at pa. */
export function frameZero(pa: usize, order: u32): void {
  memory.fill(pa, 0, PAGE_SIZE << order);
}

// ---- Growth ------------------------------------------------------------------------

/** Moves the descriptor table so it describes frames up to newCapacity. The
 *  new table goes at `place` when that is not FRAME_NIL (frames there must be
 *  reserved, beyond the old capacity), else into a block from the allocator. */
function growTable(newCapacity: u32, place: u32): i32 {
  const s = state();
  const oldCapacity = s.capacity;
  const oldFirst = s.tableFirst, oldFrames = s.tableFrames;
  const frames = tableFramesFor(newCapacity);
  let first = place;
  let blockOrder: u32 = 0;
  if (first == FRAME_NIL) {
    while (blockOrder <= MAX_ORDER && (<u32>1 << blockOrder) < frames) blockOrder++;
    if (blockOrder > MAX_ORDER) return FRAME_ERR_NO_MEMORY;
    const pa = allocBlock(blockOrder, KIND_FRAMETABLE);
    if (pa == 0) return FRAME_ERR_NO_MEMORY;
    first = <u32>(pa >> PAGE_SHIFT);
  }
  const newTable = <usize>first << PAGE_SHIFT;
  memory.copy(newTable, <usize>s.table, <usize>oldCapacity << FRAME_DESC_SHIFT);
  s.table = <u32>newTable;
  s.capacity = newCapacity;
  for (let i = oldCapacity; i < newCapacity; i++) setSingle(i, KIND_RESERVED);
  for (let j: u32 = 0; j < frames; j++) setSingle(first + j, KIND_FRAMETABLE);
  if (place == FRAME_NIL) {
    // The block becomes single frames; the ones past the table go back.
    const blockFrames: u32 = 1 << blockOrder;
    for (let j = frames; j < blockFrames; j++) setSingle(first + j, KIND_KERNEL);
    for (let j = frames; j < blockFrames; j++) freeBlock(first + j, 0);
    usedAdd(KIND_FRAMETABLE, -<i32>(blockFrames - frames));
  } else {
    s.managed += frames;
    usedAdd(KIND_FRAMETABLE, <i32>frames);
  }
  s.tableFirst = first;
  s.tableFrames = frames;
  for (let j: u32 = 0; j < oldFrames; j++) desc(oldFirst + j).kind = <u8>KIND_KERNEL;
  for (let j: u32 = 0; j < oldFrames; j++) freeBlock(oldFirst + j, 0);
  usedAdd(KIND_FRAMETABLE, -<i32>oldFrames);
  return FRAME_OK;
}

/** Adds RAM that appeared after boot (HV_MEM_GROW) as free frames. The range
 *  is trimmed to whole frames; frames already managed are refused. */
export function framesAddRange(base: u64, length: u64): i32 {
  spinLock(LOCK_FRAMES);
  const r = addRangeLocked(base, length);
  spinUnlock(LOCK_FRAMES);
  return r;
}

function addRangeLocked(base: u64, length: u64): i32 {
  const s = state();
  if (s.magic != FRAMES_MAGIC) return FRAME_ERR_NOT_READY;
  let first = clampFrames(frameCeil(base));
  if (first == 0) first = 1;
  const end = clampFrames(frameFloor(base + length));
  if (first >= end) return FRAME_ERR_BAD_RANGE;
  const oldCapacity = s.capacity;
  const inside = end < oldCapacity ? end : oldCapacity;
  for (let i = first; i < inside; i++) {
    if (<u32>desc(i).kind != KIND_RESERVED) return FRAME_ERR_OVERLAP;
  }
  if (end > oldCapacity) {
    const newStart = first > oldCapacity ? first : oldCapacity;
    const needed = tableFramesFor(end);
    const place = end - newStart >= needed ? newStart : FRAME_NIL;
    const r = growTable(end, place);
    if (r != FRAME_OK) return r;
  }
  let i = first;
  while (i < end) {
    if (<u32>desc(i).kind != KIND_RESERVED) { i++; continue; }
    let j = i;
    while (j < end && <u32>desc(j).kind == KIND_RESERVED) j++;
    addRun(i, j);
    i = j;
  }
  return FRAME_OK;
}

// ---- Queries ---------------------------------------------------------------------

/** Free blocks of exactly this order. */
export function framesFree(order: u32): u32 { return order > MAX_ORDER ? 0 : countGet(order); }
/** Free frames, all orders together. */
export function framesFreeTotal(): u32 { return state().free + state().cached; }
/** Frames the allocator manages (free or allocated; reserved excluded). */
export function framesTotal(): u32 { return state().managed; }
/** Frames the descriptor table describes (one past the highest frame index). */
export function framesCapacity(): u32 { return state().capacity; }
/** Allocated frames of one kind (KIND_FREE: the free frames; KIND_RESERVED:
 *  frames below the capacity the allocator does not manage). Together the
 *  kinds add up to framesCapacity(); all but KIND_RESERVED to framesTotal(). */
export function framesInUse(kind: u32): u32 {
  const s = state();
  if (s.magic != FRAMES_MAGIC || kind >= KIND_COUNT) return 0;
  if (kind == KIND_FREE) return s.free + s.cached;
  if (kind == KIND_RESERVED) return s.capacity - s.managed;
  return usedGet(kind);
}
/** frameAlloc calls that found no block since init. */
export function framesFailures(): u32 { return state().failures; }
/** Physical address and size in frames of the descriptor table. */
export function framesTableBase(): usize { return <usize>state().table; }
export function framesTableFrames(): u32 { return state().tableFrames; }

/** For read-only walkers of the whole table (sys/inspect.ts): the block
 *  whose head is frame i, as order | kind << 8, or -1 when i is not a block
 *  head (a tail, beyond the table, or the allocator is not up). Starting at
 *  0 and stepping by 2^order visits every block exactly once. */
export function frameBlockAt(i: u32): i32 {
  const s = state();
  if (s.magic != FRAMES_MAGIC || i >= s.capacity) return -1;
  const d = desc(i);
  if ((d.bits & FLAG_HEAD) == 0) return -1;
  return <i32>(d.bits & ORDER_MASK) | (<i32>d.kind << 8);
}

/** What the frame at pa is used for (the kind of its block). Addresses
 *  beyond managed RAM read as KIND_RESERVED. */
export function frameKind(pa: usize): u32 {
  const s = state();
  const i = <u32>(pa >> PAGE_SHIFT);
  if (s.magic != FRAMES_MAGIC || i >= s.capacity) return KIND_RESERVED;
  return <u32>desc(headOf(i)).kind;
}

/** Order of the allocated block whose head is pa, or -1 when pa is not the
 *  head of an allocated block. */
export function frameOrder(pa: usize): i32 {
  const s = state();
  const i = <u32>(pa >> PAGE_SHIFT);
  if (s.magic != FRAMES_MAGIC || (pa & (PAGE_SIZE - 1)) != 0 || i >= s.capacity) return -1;
  const bits = desc(i).bits;
  if ((bits & FLAG_HEAD) == 0 || (bits & (FLAG_FREE | FLAG_CACHED)) != 0) return -1;
  return <i32>(bits & ORDER_MASK);
}

// Per-frame fields for the subsystem that owns the frame. pa must be a frame
// the caller allocated (these are unchecked accessors for hot paths).

/** Owner word of the frame containing pa (head or tail). */
// @ts-ignore: decorator
@inline export function frameOwner(pa: usize): u32 { return desc(<u32>(pa >> PAGE_SHIFT)).owner; }
// @ts-ignore: decorator
@inline export function frameSetOwner(pa: usize, owner: u32): void { desc(<u32>(pa >> PAGE_SHIFT)).owner = owner; }
/** Use count of the frame containing pa (see FrameDesc.count). */
// @ts-ignore: decorator
@inline export function frameCount(pa: usize): u32 { return <u32>desc(<u32>(pa >> PAGE_SHIFT)).count; }
// @ts-ignore: decorator
@inline export function frameSetCount(pa: usize, n: u32): void { desc(<u32>(pa >> PAGE_SHIFT)).count = <u16>n; }

// ---- Invariants ----------------------------------------------------------------

/** Walks the descriptor table and every free list and verifies the
 *  invariants stated at the top of this file. Returns FRAME_OK or the
 *  FRAME_CHECK_* code of the first violation. O(capacity). */
export function framesCheck(): i32 {
  const s = state();
  if (s.magic != FRAMES_MAGIC || s.capacity == 0 || s.capacity > MAX_FRAMES) return FRAME_CHECK_STATE;
  if (s.table != s.tableFirst << PAGE_SHIFT || s.tableFrames != tableFramesFor(s.capacity)) return FRAME_CHECK_TABLE;
  const capacity = s.capacity;
  if (<u32>desc(0).kind != KIND_RESERVED) return FRAME_CHECK_NULL_PAGE;
  for (let j: u32 = 0; j < s.tableFrames; j++) {
    const d = desc(s.tableFirst + j);
    if (<u32>d.kind != KIND_FRAMETABLE || d.bits != FLAG_HEAD) return FRAME_CHECK_TABLE;
  }

  // Partition: heads tile [0, capacity) with aligned blocks.
  let managed: u32 = 0, freeFrames: u32 = 0, freeBlocks: u32 = 0, cachedFrames: u32 = 0;
  const seen = KSTATE_FRAMES + STATE_CHECK_USED;
  for (let k: u32 = 0; k < KIND_COUNT; k++) store<u32>(seen + (<usize>k << 2), 0);
  let i: u32 = 0;
  while (i < capacity) {
    const d = desc(i);
    const bits = d.bits;
    if ((bits & FLAG_HEAD) == 0) return FRAME_CHECK_PARTITION;
    const k = <u32>(bits & ORDER_MASK);
    if (k > MAX_ORDER) return FRAME_CHECK_ORDER;
    const n: u32 = 1 << k;
    if ((i & (n - 1)) != 0) return FRAME_CHECK_ALIGN;
    if (i + n > capacity || i + n < i) return FRAME_CHECK_OVERRUN;
    for (let j: u32 = 1; j < n; j++) {
      if ((desc(i + j).bits & FLAG_HEAD) != 0) return FRAME_CHECK_PARTITION;
    }
    const kind = <u32>d.kind;
    if ((bits & FLAG_CACHED) != 0) {
      if (bits != (FLAG_HEAD | FLAG_CACHED) || kind != KIND_FREE) return FRAME_CHECK_CACHE;
      cachedFrames++;
      managed++;
    } else if ((bits & FLAG_FREE) != 0) {
      if (kind != KIND_FREE) return FRAME_CHECK_KIND;
      if (k < MAX_ORDER) {
        const buddy = i ^ n;
        if (buddy < capacity && desc(buddy).bits == freeHeadBits(k)) return FRAME_CHECK_UNMERGED;
      }
      freeFrames += n;
      freeBlocks++;
      managed += n;
    } else {
      if (kind == KIND_FREE || kind >= KIND_COUNT) return FRAME_CHECK_KIND;
      if (kind != KIND_RESERVED) {
        managed += n;
        store<u32>(seen + (<usize>kind << 2), load<u32>(seen + (<usize>kind << 2)) + n);
      } else if (k != 0) return FRAME_CHECK_KIND;
    }
    i += n;
  }

  // Lists: each node is a free head of the list's order, links agree, and
  // the lengths match the counts; together they hold every free head.
  let listFrames: u32 = 0, listBlocks: u32 = 0;
  for (let k: u32 = 0; k <= MAX_ORDER; k++) {
    let n: u32 = 0;
    let prev = FRAME_NIL;
    let at = headGet(k);
    while (at != FRAME_NIL) {
      if (at >= capacity) return FRAME_CHECK_LIST_ENTRY;
      const d = desc(at);
      if (d.bits != freeHeadBits(k)) return FRAME_CHECK_LIST_ENTRY;
      if (d.prev != prev) return FRAME_CHECK_LIST_LINK;
      if (++n > capacity) return FRAME_CHECK_LIST_CYCLE;
      prev = at;
      at = d.next;
    }
    if (n != countGet(k)) return FRAME_CHECK_COUNT;
    listBlocks += n;
    listFrames += n << k;
  }
  if (listBlocks != freeBlocks || listFrames != freeFrames || s.free != freeFrames) return FRAME_CHECK_FREE_TOTAL;
  const caches = checkCaches(cachedFrames);
  if (caches != FRAME_OK) return caches;
  if (s.managed != managed) return FRAME_CHECK_MANAGED;
  for (let k: u32 = KIND_RESERVED + 1; k < KIND_COUNT; k++) {
    if (load<u32>(seen + (<usize>k << 2)) != usedGet(k)) return FRAME_CHECK_USED;
  }
  return FRAME_OK;
}

/** The caches: each within its bound, each entry a cached frame named by
 *  exactly one cache entry, and as many entries as cached frames in the table
 *  (`cachedFrames`, counted by the walk) and in the state's total. */
function checkCaches(cachedFrames: u32): i32 {
  const s = state();
  const capacity = s.capacity;
  let entries: u32 = 0;
  let result = FRAME_OK;
  for (let c: u32 = 0; c < MAX_CPUS && result == FRAME_OK; c++) {
    const n = pcpuFrameCount(c);
    if (n > PCPU_FRAMES_MAX) { result = FRAME_CHECK_CACHE; break; }
    for (let j: u32 = 0; j < n; j++) {
      const i = pcpuFrameAt(c, j);
      if (i >= capacity || desc(i).bits != (FLAG_HEAD | FLAG_CACHED)) { result = FRAME_CHECK_CACHE; break; }
      desc(i).bits |= FLAG_SEEN;
      entries++;
    }
  }
  // Clear the marks whatever was found.
  for (let c: u32 = 0; c < MAX_CPUS; c++) {
    const n = pcpuFrameCount(c) <= PCPU_FRAMES_MAX ? pcpuFrameCount(c) : PCPU_FRAMES_MAX;
    for (let j: u32 = 0; j < n; j++) {
      const i = pcpuFrameAt(c, j);
      if (i < capacity) desc(i).bits &= ~FLAG_SEEN;
    }
  }
  if (result != FRAME_OK) return result;
  if (entries != cachedFrames || s.cached != cachedFrames) return FRAME_CHECK_CACHE;
  return FRAME_OK;
}
