// Kernel object allocator: slab caches carved from frames. Layer: mm, above
// frames.ts; below everything that needs kernel objects (processes, threads,
// capabilities, endpoints, inodes...). Its state is the record at KSTATE_SLAB.
//
// A cache hands out objects of one size. kmalloc has one cache per power of
// two from 16 to 2048 bytes; cacheCreate adds typed caches of any size up to
// SLAB_MAX_OBJECT. Larger kmalloc requests take whole frame blocks.
//
// A slab is a block of 2^order frames (kind KIND_SLAB, every frame's owner
// word = the slab's base) holding a 64-byte header then `capacity` objects.
// Free objects are chained through their first word; a per-slab bitmap of
// allocated objects makes double frees detectable and lets slabCheck verify
// the chain. Each cache keeps its slabs on three lists: partial (some objects
// free; allocation takes from here first), full, and empty (at most
// SLAB_EMPTY_KEEP are kept for reuse; the rest go back to the frame
// allocator at once).
//
// Per-vCPU magazines (mm/pcpu.ts): kmalloc of up to SLAB_MAX_OBJECT bytes
// and kfree of such an object go through the calling vCPU's magazine for
// the size class (up to MAGAZINE_MAX free objects), refilled from and
// drained to the cache MAGAZINE_BATCH at a time. An object in a magazine is
// still allocated in its slab's bitmap and counted in the cache's inUse;
// slabStat(SLAB_STAT_IN_USE) reports inUse less the objects in magazines, the
// objects callers hold. Typed caches (cacheAlloc) have no magazines.
//
// Concurrency (docs/architecture.md "Locks"): the caches, their slabs, lists
// and counters are under LOCK_SLAB; a vCPU's magazines under its
// LOCK_PCPU_SLAB lock, taken before LOCK_SLAB. Slabs get and return frames
// through frames.ts with LOCK_SLAB held (the frames locks rank above it).

import { KSTATE_SLAB, PAGE_SHIFT, PAGE_SIZE } from "../lib/layout";
import {
  KIND_KMALLOC, KIND_SLAB, MAX_ORDER, frameAlloc, frameFree, frameKind, frameOrder, frameOwner, frameSetOwner, framesInUse,
} from "./frames";
import { cpuId, MAX_CPUS } from "../lib/cpu";
import { spinLock, spinUnlock, LOCK_SLAB, LOCK_PCPU_SLAB } from "../lib/lock";
import {
  MAGAZINE_BATCH, MAGAZINE_MAX, magazineAt, magazineCount, magazineDropOldest, magazineHolds, magazinePop,
  magazinePush, pcpuCountMagazineMove,
} from "./pcpu";

// ---- Limits ---------------------------------------------------------------------

export const SLAB_MIN_OBJECT: u32 = 16;
export const SLAB_MAX_OBJECT: u32 = 2048;
/** Object sizes are rounded up to this, which is also the objects' alignment. */
export const SLAB_ALIGN: u32 = 16;
/** kmalloc size classes: 16, 32, ..., 2048. */
export const KMALLOC_CLASSES: u32 = 8;
const KMALLOC_MIN_SHIFT: u32 = 4;
export const SLAB_MAX_CACHES: u32 = 32;
/** A slab grows (up to SLAB_MAX_ORDER) until it holds this many objects. */
export const SLAB_MIN_OBJECTS: u32 = 8;
export const SLAB_MAX_ORDER: u32 = 3;
/** The bitmap in the slab header has this many bits. */
export const SLAB_MAX_OBJECTS: u32 = 256;
export const SLAB_HEADER_SIZE: u32 = 64;
/** Empty slabs a cache keeps instead of returning them to the frame allocator. */
export const SLAB_EMPTY_KEEP: u32 = 1;
/** Frame owner word of a large kmalloc block (never a slab base: not page aligned). */
const KMALLOC_LARGE_OWNER: u32 = 0x4C41_5247; // "GRAL"
const SLAB_MAGIC: u32 = 0x424C_4153;          // "SLAB"
const SLAB_STATE_MAGIC: u32 = 0x5342_4C53;    // "SLBS"

// ---- Result codes ----------------------------------------------------------------

export const SLAB_OK: i32 = 0;
/** The pointer is not an object this allocator handed out. */
export const SLAB_ERR_BAD_POINTER: i32 = -1;
/** The object is already free. */
export const SLAB_ERR_DOUBLE_FREE: i32 = -2;
/** Object size 0 or above SLAB_MAX_OBJECT. */
export const SLAB_ERR_BAD_SIZE: i32 = -3;
/** All SLAB_MAX_CACHES caches exist. */
export const SLAB_ERR_TOO_MANY: i32 = -4;
/** No such cache. */
export const SLAB_ERR_BAD_CACHE: i32 = -5;
/** The cache still has objects in use. */
export const SLAB_ERR_BUSY: i32 = -6;
/** slabInit has not run. */
export const SLAB_ERR_NOT_READY: i32 = -7;

// slabCheck() results.
export const SLAB_CHECK_STATE: i32 = -101;     // state record damaged
export const SLAB_CHECK_HEADER: i32 = -102;    // slab magic, cache or list id wrong
export const SLAB_CHECK_LINK: i32 = -103;      // slab list prev/next disagree or cycle
export const SLAB_CHECK_LIST: i32 = -104;      // slab on the wrong list for its fill
export const SLAB_CHECK_BITMAP: i32 = -105;    // in-use count differs from the bitmap
export const SLAB_CHECK_FREELIST: i32 = -106;  // a free-list entry is outside, misaligned or marked in use
export const SLAB_CHECK_FREECOUNT: i32 = -107; // free-list length differs from capacity - in use
export const SLAB_CHECK_FRAMES: i32 = -108;    // slab frames not KIND_SLAB / wrong order / wrong owner
export const SLAB_CHECK_COUNTS: i32 = -109;    // cache counters differ from its lists
export const SLAB_CHECK_MAGAZINE: i32 = -110;  // a magazine is over its bound, or holds a free object, one of another class, or one twice

// slabStat() selectors.
export const SLAB_STAT_OBJECT_SIZE: u32 = 0;
export const SLAB_STAT_PER_SLAB: u32 = 1;
export const SLAB_STAT_SLAB_ORDER: u32 = 2;
export const SLAB_STAT_IN_USE: u32 = 3;
export const SLAB_STAT_PARTIAL: u32 = 4;
export const SLAB_STAT_FULL: u32 = 5;
export const SLAB_STAT_EMPTY: u32 = 6;
export const SLAB_STAT_ALLOCS: u32 = 7;
export const SLAB_STAT_FREES: u32 = 8;
export const SLAB_STAT_FAILURES: u32 = 9;
export const SLAB_STAT_NONE: u32 = 0xFFFF_FFFF;

// ---- Records ----------------------------------------------------------------------

const LIST_PARTIAL: u32 = 1;
const LIST_FULL: u32 = 2;
const LIST_EMPTY: u32 = 3;

/** The header at the base of every slab (SLAB_HEADER_SIZE bytes; the
 *  allocated-object bitmap follows at SLAB_BITMAP). */
@unmanaged class Slab {
  magic: u32;
  cache: u32;
  next: u32;      // next slab on the same list, 0 ends
  prev: u32;
  freeHead: u32;  // first free object, 0 when full
  inUse: u32;
  capacity: u32;
  list: u32;      // LIST_*
}
const SLAB_BITMAP: usize = 32;

/** One cache, CACHE_RECORD_SIZE bytes in SlabState. */
@unmanaged class SlabCache {
  objectSize: u32;  // 0 = slot unused
  slabOrder: u32;
  perSlab: u32;
  partial: u32;
  full: u32;
  empty: u32;
  partialCount: u32;
  fullCount: u32;
  emptyCount: u32;
  inUse: u32;
  allocs: u32;
  frees: u32;
  failures: u32;
}
const CACHE_RECORD_SIZE: usize = 80;
/** The cache's name (NUL-padded ASCII) sits at the end of its record. */
const CACHE_NAME: usize = 52;
export const SLAB_NAME_MAX: u32 = 15;

/** The record at KSTATE_SLAB: this header, then SLAB_MAX_CACHES caches. */
@unmanaged class SlabState {
  magic: u32;
  largeInUse: u32;
  largeAllocs: u32;
  largeFailures: u32;
  magazinesOff: u32; // nonzero: kmalloc and kfree skip the magazines
}
const STATE_CACHES: usize = 64;

// @ts-ignore: decorator
@inline function state(): SlabState { return changetype<SlabState>(KSTATE_SLAB); }
// @ts-ignore: decorator
@inline function cacheAt(id: u32): SlabCache {
  return changetype<SlabCache>(KSTATE_SLAB + STATE_CACHES + <usize>id * CACHE_RECORD_SIZE);
}
// @ts-ignore: decorator
@inline function slabAt(base: u32): Slab { return changetype<Slab>(<usize>base); }
// @ts-ignore: decorator
@inline function objectNext(obj: u32): u32 { return load<u32>(<usize>obj); }
// @ts-ignore: decorator
@inline function objectSetNext(obj: u32, next: u32): void { store<u32>(<usize>obj, next); }
// @ts-ignore: decorator
@inline function bitmapWord(base: u32, index: u32): usize { return <usize>base + SLAB_BITMAP + (<usize>(index >> 5) << 2); }
// @ts-ignore: decorator
@inline function bitGet(base: u32, index: u32): bool { return (load<u32>(bitmapWord(base, index)) & (<u32>1 << (index & 31))) != 0; }
// @ts-ignore: decorator
@inline function bitSet(base: u32, index: u32): void {
  const w = bitmapWord(base, index);
  store<u32>(w, load<u32>(w) | (<u32>1 << (index & 31)));
}
// @ts-ignore: decorator
@inline function bitClear(base: u32, index: u32): void {
  const w = bitmapWord(base, index);
  store<u32>(w, load<u32>(w) & ~(<u32>1 << (index & 31)));
}
// @ts-ignore: decorator
@inline function firstObject(base: u32): u32 { return base + SLAB_HEADER_SIZE; }

// ---- Slab lists ---------------------------------------------------------------------

function listHead(c: SlabCache, list: u32): u32 {
  return list == LIST_PARTIAL ? c.partial : list == LIST_FULL ? c.full : c.empty;
}
function listSetHead(c: SlabCache, list: u32, base: u32): void {
  if (list == LIST_PARTIAL) c.partial = base;
  else if (list == LIST_FULL) c.full = base;
  else c.empty = base;
}
function listAdjust(c: SlabCache, list: u32, delta: i32): void {
  if (list == LIST_PARTIAL) c.partialCount += delta;
  else if (list == LIST_FULL) c.fullCount += delta;
  else c.emptyCount += delta;
}

function slabPush(c: SlabCache, list: u32, base: u32): void {
  const s = slabAt(base);
  const first = listHead(c, list);
  s.next = first;
  s.prev = 0;
  s.list = list;
  if (first != 0) slabAt(first).prev = base;
  listSetHead(c, list, base);
  listAdjust(c, list, 1);
}

function slabUnlink(c: SlabCache, base: u32): void {
  const s = slabAt(base);
  if (s.prev != 0) slabAt(s.prev).next = s.next;
  else listSetHead(c, s.list, s.next);
  if (s.next != 0) slabAt(s.next).prev = s.prev;
  listAdjust(c, s.list, -1);
  s.next = 0;
  s.prev = 0;
}

function slabMove(c: SlabCache, base: u32, list: u32): void {
  slabUnlink(c, base);
  slabPush(c, list, base);
}

/** A new slab for cache id on its partial list, or 0 when out of frames. */
function slabGrow(id: u32, c: SlabCache): u32 {
  const pa = frameAlloc(c.slabOrder, KIND_SLAB);
  if (pa == 0) return 0;
  const base = <u32>pa;
  const frames: u32 = 1 << c.slabOrder;
  for (let f: u32 = 0; f < frames; f++) frameSetOwner(pa + (<usize>f << PAGE_SHIFT), base);
  const s = slabAt(base);
  s.magic = SLAB_MAGIC;
  s.cache = id;
  s.inUse = 0;
  s.capacity = c.perSlab;
  memory.fill(<usize>base + SLAB_BITMAP, 0, <usize>(SLAB_MAX_OBJECTS >> 3));
  const size = c.objectSize;
  let obj = firstObject(base);
  s.freeHead = obj;
  for (let j: u32 = 1; j < c.perSlab; j++) {
    objectSetNext(obj, obj + size);
    obj += size;
  }
  objectSetNext(obj, 0);
  slabPush(c, LIST_PARTIAL, base);
  return base;
}

function slabRelease(c: SlabCache, base: u32): void {
  slabUnlink(c, base);
  slabAt(base).magic = 0;
  frameFree(<usize>base, c.slabOrder);
}

// ---- Caches -------------------------------------------------------------------------

/** Writes up to SLAB_NAME_MAX characters of name, then `number` in decimal
 *  when it is not 0, as the cache's name. */
function cacheSetName(id: u32, name: string, number: u32): void {
  const at = changetype<usize>(cacheAt(id)) + CACHE_NAME;
  memory.fill(at, 0, <usize>SLAB_NAME_MAX + 1);
  let n: u32 = 0;
  for (let i = 0; i < name.length && n < SLAB_NAME_MAX; i++) store<u8>(at + n++, <u8>name.charCodeAt(i));
  if (number == 0) return;
  let digits: u32 = 1;
  for (let v = number; v >= 10; v /= 10) digits++;
  if (n + digits > SLAB_NAME_MAX) return;
  let v = number;
  for (let d = digits; d > 0; d--) { store<u8>(at + n + d - 1, <u8>(0x30 + v % 10)); v /= 10; }
}

function cacheSetup(id: u32, objectSize: u32): void {
  const c = cacheAt(id);
  let order: u32 = 0;
  while (order < SLAB_MAX_ORDER && ((<u32>PAGE_SIZE << order) - SLAB_HEADER_SIZE) / objectSize < SLAB_MIN_OBJECTS) order++;
  let per = ((<u32>PAGE_SIZE << order) - SLAB_HEADER_SIZE) / objectSize;
  if (per > SLAB_MAX_OBJECTS) per = SLAB_MAX_OBJECTS;
  c.objectSize = objectSize;
  c.slabOrder = order;
  c.perSlab = per;
  c.partial = 0; c.full = 0; c.empty = 0;
  c.partialCount = 0; c.fullCount = 0; c.emptyCount = 0;
  c.inUse = 0; c.allocs = 0; c.frees = 0; c.failures = 0;
}

/** Sets up the kmalloc caches. Call after framesInit. */
export function slabInit(): i32 {
  memory.fill(KSTATE_SLAB, 0, STATE_CACHES + <usize>SLAB_MAX_CACHES * CACHE_RECORD_SIZE);
  for (let k: u32 = 0; k < KMALLOC_CLASSES; k++) {
    cacheSetup(k, SLAB_MIN_OBJECT << k);
    cacheSetName(k, "kmalloc-", SLAB_MIN_OBJECT << k);
  }
  state().magic = SLAB_STATE_MAGIC;
  state().magazinesOff = 0;
  return SLAB_OK;
}

// @ts-ignore: decorator
@inline function cacheLive(id: u32): bool { return id < SLAB_MAX_CACHES && cacheAt(id).objectSize != 0; }

/** A new cache for objects of objectSize bytes (rounded up to SLAB_ALIGN),
 *  named for mem and the inspect export (up to SLAB_NAME_MAX characters).
 *  Returns its id (>= 0) or a SLAB_ERR_* code. */
export function cacheCreate(objectSize: u32, name: string): i32 {
  if (state().magic != SLAB_STATE_MAGIC) return SLAB_ERR_NOT_READY;
  if (objectSize == 0 || objectSize > SLAB_MAX_OBJECT) return SLAB_ERR_BAD_SIZE;
  const size = (objectSize + SLAB_ALIGN - 1) & ~(SLAB_ALIGN - 1);
  spinLock(LOCK_SLAB);
  let result = SLAB_ERR_TOO_MANY;
  for (let id = KMALLOC_CLASSES; id < SLAB_MAX_CACHES; id++) {
    if (cacheAt(id).objectSize == 0) { cacheSetup(id, size); cacheSetName(id, name, 0); result = <i32>id; break; }
  }
  spinUnlock(LOCK_SLAB);
  return result;
}

/** Removes a cache with no objects in use, returning its slabs. */
export function cacheDestroy(id: u32): i32 {
  if (id < KMALLOC_CLASSES || !cacheLive(id)) return SLAB_ERR_BAD_CACHE;
  spinLock(LOCK_SLAB);
  const c = cacheAt(id);
  let result = SLAB_OK;
  if (c.inUse != 0) result = SLAB_ERR_BUSY;
  else {
    while (c.empty != 0) slabRelease(c, c.empty);
    c.objectSize = 0;
  }
  spinUnlock(LOCK_SLAB);
  return result;
}

/** An object from cache id, or 0 when out of memory or no such cache. */
export function cacheAlloc(id: u32): usize {
  if (!cacheLive(id)) return 0;
  spinLock(LOCK_SLAB);
  const obj = cacheAllocLocked(id);
  spinUnlock(LOCK_SLAB);
  return obj;
}

/** cacheAlloc for a live cache; the caller holds LOCK_SLAB. */
function cacheAllocLocked(id: u32): usize {
  const c = cacheAt(id);
  let base = c.partial;
  if (base == 0) {
    base = c.empty;
    if (base != 0) slabMove(c, base, LIST_PARTIAL);
    else {
      base = slabGrow(id, c);
      if (base == 0) { c.failures++; return 0; }
    }
  }
  const s = slabAt(base);
  const obj = s.freeHead;
  s.freeHead = objectNext(obj);
  bitSet(base, (obj - firstObject(base)) / c.objectSize);
  s.inUse++;
  if (s.inUse == s.capacity) slabMove(c, base, LIST_FULL);
  c.inUse++;
  c.allocs++;
  return <usize>obj;
}

// ---- kmalloc / kfree -------------------------------------------------------------

/** The kmalloc cache for a size (1 .. SLAB_MAX_OBJECT). */
function kmallocClass(size: u32): u32 {
  if (size <= SLAB_MIN_OBJECT) return 0;
  return (32 - clz<u32>(size - 1)) - KMALLOC_MIN_SHIFT;
}

/** size bytes of kernel memory, 16-byte aligned (page aligned above
 *  SLAB_MAX_OBJECT), or 0 when size is 0, too large or memory is out. */
export function kmalloc(size: u32): usize {
  if (size == 0 || state().magic != SLAB_STATE_MAGIC) return 0;
  if (size <= SLAB_MAX_OBJECT) {
    const cls = kmallocClass(size);
    return state().magazinesOff == 0 ? magazineAlloc(cls) : cacheAlloc(cls);
  }
  const pages = (size + <u32>PAGE_SIZE - 1) >> PAGE_SHIFT;
  let order: u32 = 0;
  while ((<u32>1 << order) < pages) order++;
  const s = state();
  spinLock(LOCK_SLAB);
  let pa: usize = 0;
  if (order > MAX_ORDER) s.largeFailures++;
  else {
    pa = frameAlloc(order, KIND_KMALLOC);
    if (pa == 0) s.largeFailures++;
    else {
      frameSetOwner(pa, KMALLOC_LARGE_OWNER);
      s.largeInUse++;
      s.largeAllocs++;
    }
  }
  spinUnlock(LOCK_SLAB);
  return pa;
}

// ---- Magazines -------------------------------------------------------------------

/** An object of kmalloc class cls from this vCPU's magazine, refilled with
 *  up to MAGAZINE_BATCH objects from the cache when empty; 0 when the cache
 *  has none either. */
function magazineAlloc(cls: u32): usize {
  const me = cpuId();
  const lock = LOCK_PCPU_SLAB + me;
  spinLock(lock);
  if (magazineCount(me, cls) == 0) {
    spinLock(LOCK_SLAB);
    for (let j: u32 = 0; j < MAGAZINE_BATCH; j++) {
      const obj = cacheAllocLocked(cls);
      if (obj == 0) break;
      magazinePush(me, cls, <u32>obj);
    }
    spinUnlock(LOCK_SLAB);
    pcpuCountMagazineMove(me);
  }
  const obj: usize = magazineCount(me, cls) == 0 ? 0 : <usize>magazinePop(me, cls);
  spinUnlock(lock);
  return obj;
}

/** Puts the allocated object ptr of kmalloc class cls into this vCPU's
 *  magazine, draining its oldest MAGAZINE_BATCH objects to the cache first
 *  when it is full. Refuses an object already in a magazine (a double free
 *  the bitmap cannot see: the object is still allocated there): this vCPU's
 *  magazine always, every vCPU's in test and debug builds. */
function magazineFree(cls: u32, ptr: usize): i32 {
  const me = cpuId();
  const lock = LOCK_PCPU_SLAB + me;
  spinLock(lock);
  let held = magazineHolds(me, cls, <u32>ptr);
  if (!ASC_NO_ASSERT) for (let c: u32 = 0; c < MAX_CPUS && !held; c++) held = magazineHolds(c, cls, <u32>ptr);
  if (held) { spinUnlock(lock); return SLAB_ERR_DOUBLE_FREE; }
  if (magazineCount(me, cls) >= MAGAZINE_MAX) drainMagazine(me, cls, MAGAZINE_BATCH);
  magazinePush(me, cls, <u32>ptr);
  spinUnlock(lock);
  return SLAB_OK;
}

/** Frees the n oldest objects of vCPU cpu's magazine cls to the cache; the
 *  caller holds that vCPU's LOCK_PCPU_SLAB. They leave the magazine before
 *  LOCK_SLAB is released: once released, another vCPU may take them from
 *  the cache, hand them out and see them freed, and its kfree must not find
 *  them still in this magazine (a sound free refused as a double free; seen
 *  from two threads, host/locks-threads.test.ts). */
function drainMagazine(cpu: u32, cls: u32, n: u32): void {
  spinLock(LOCK_SLAB);
  for (let j: u32 = 0; j < n; j++) freeObject(<usize>magazineAt(cpu, cls, j));
  magazineDropOldest(cpu, cls, n);
  spinUnlock(LOCK_SLAB);
  pcpuCountMagazineMove(cpu);
}

/** Empties every vCPU's magazines into their caches; returns the objects moved. */
export function slabDrainMagazines(): u32 {
  let total: u32 = 0;
  for (let c: u32 = 0; c < MAX_CPUS; c++) {
    spinLock(LOCK_PCPU_SLAB + c);
    for (let cls: u32 = 0; cls < KMALLOC_CLASSES; cls++) {
      const n = magazineCount(c, cls);
      if (n > 0) { drainMagazine(c, cls, n); total += n; }
    }
    spinUnlock(LOCK_PCPU_SLAB + c);
  }
  return total;
}

/** Switches the magazines on or off (off: they are drained and every
 *  kmalloc takes LOCK_SLAB). For tests and the benchmark; switch while no
 *  other vCPU allocates. */
export function slabSetMagazines(on: bool): void {
  state().magazinesOff = on ? 0 : 1;
  if (!on) slabDrainMagazines();
}

/** Objects of cache id in every vCPU's magazine. */
export function slabMagazineObjects(id: u32): u32 {
  if (id >= KMALLOC_CLASSES) return 0;
  let n: u32 = 0;
  for (let c: u32 = 0; c < MAX_CPUS; c++) n += magazineCount(c, id);
  return n;
}

/** Index of obj in its slab, or -1 when obj is not an object slot of a live
 *  slab. */
function slabObjectIndex(obj: usize): i32 {
  const base = frameOwner(obj);
  if (base == 0 || (base & <u32>(PAGE_SIZE - 1)) != 0) return -1;
  const s = slabAt(base);
  if (s.magic != SLAB_MAGIC || !cacheLive(s.cache)) return -1;
  const c = cacheAt(s.cache);
  const first = <usize>firstObject(base);
  if (obj < first) return -1;
  const offset = <u32>(obj - first);
  if (offset % c.objectSize != 0) return -1;
  const index = offset / c.objectSize;
  if (index >= s.capacity) return -1;
  return <i32>index;
}

/** Returns memory from kmalloc or cacheAlloc. kfree(0) does nothing. */
export function kfree(ptr: usize): i32 {
  if (ptr == 0) return SLAB_OK;
  if (state().magic != SLAB_STATE_MAGIC) return SLAB_ERR_NOT_READY;
  // Decoding reads the descriptor and slab header of the caller's object:
  // they do not change while it is allocated, so no lock is needed.
  const kind = frameKind(ptr);
  if (kind == KIND_KMALLOC) {
    const order = frameOrder(ptr);
    if (order < 0 || frameOwner(ptr) != KMALLOC_LARGE_OWNER) return SLAB_ERR_BAD_POINTER;
    spinLock(LOCK_SLAB);
    frameFree(ptr, <u32>order);
    state().largeInUse--;
    spinUnlock(LOCK_SLAB);
    return SLAB_OK;
  }
  if (kind != KIND_SLAB) return SLAB_ERR_BAD_POINTER;
  const index = slabObjectIndex(ptr);
  if (index < 0) return SLAB_ERR_BAD_POINTER;
  const base = frameOwner(ptr);
  if (!bitGet(base, <u32>index)) return SLAB_ERR_DOUBLE_FREE;
  const cls = slabAt(base).cache;
  if (cls < KMALLOC_CLASSES && state().magazinesOff == 0) return magazineFree(cls, ptr);
  spinLock(LOCK_SLAB);
  // Checked again under the lock: another vCPU may have freed it meanwhile.
  const r = bitGet(base, <u32>index) ? freeObject(ptr) : SLAB_ERR_DOUBLE_FREE;
  spinUnlock(LOCK_SLAB);
  return r;
}

/** Returns the allocated slab object ptr to its slab; the caller holds LOCK_SLAB. */
function freeObject(ptr: usize): i32 {
  const base = frameOwner(ptr);
  const index = slabObjectIndex(ptr);
  const s = slabAt(base);
  const c = cacheAt(s.cache);
  bitClear(base, <u32>index);
  objectSetNext(<u32>ptr, s.freeHead);
  s.freeHead = <u32>ptr;
  const wasFull = s.inUse == s.capacity;
  s.inUse--;
  c.inUse--;
  c.frees++;
  if (s.inUse == 0) {
    if (c.emptyCount >= SLAB_EMPTY_KEEP) slabRelease(c, base);
    else slabMove(c, base, LIST_EMPTY);
  } else if (wasFull) {
    slabMove(c, base, LIST_PARTIAL);
  }
  return SLAB_OK;
}

/** Returns every kept empty slab to the frame allocator; the number of
 *  frames released. */
export function slabShrink(): u32 {
  slabDrainMagazines();
  let frames: u32 = 0;
  spinLock(LOCK_SLAB);
  for (let id: u32 = 0; id < SLAB_MAX_CACHES; id++) {
    if (!cacheLive(id)) continue;
    const c = cacheAt(id);
    while (c.empty != 0) { slabRelease(c, c.empty); frames += 1 << c.slabOrder; }
  }
  spinUnlock(LOCK_SLAB);
  return frames;
}

/** One statistic (SLAB_STAT_*) of a cache, or SLAB_STAT_NONE. */
export function slabStat(id: u32, stat: u32): u32 {
  if (!cacheLive(id)) return SLAB_STAT_NONE;
  const c = cacheAt(id);
  switch (stat) {
    case SLAB_STAT_OBJECT_SIZE: return c.objectSize;
    case SLAB_STAT_PER_SLAB: return c.perSlab;
    case SLAB_STAT_SLAB_ORDER: return c.slabOrder;
    case SLAB_STAT_IN_USE: return c.inUse - slabMagazineObjects(id);
    case SLAB_STAT_PARTIAL: return c.partialCount;
    case SLAB_STAT_FULL: return c.fullCount;
    case SLAB_STAT_EMPTY: return c.emptyCount;
    case SLAB_STAT_ALLOCS: return c.allocs;
    case SLAB_STAT_FREES: return c.frees;
    case SLAB_STAT_FAILURES: return c.failures;
  }
  return SLAB_STAT_NONE;
}

/** Frames the cache's slabs hold (partial, full and kept empty ones), 0 for
 *  no such cache. Over all caches this adds up to framesInUse(KIND_SLAB). */
export function slabCacheFrames(id: u32): u32 {
  if (!cacheLive(id)) return 0;
  const c = cacheAt(id);
  return (c.partialCount + c.fullCount + c.emptyCount) << c.slabOrder;
}

/** Address of the cache's name: SLAB_NAME_MAX + 1 bytes, NUL-padded. */
export function slabCacheName(id: u32): usize { return changetype<usize>(cacheAt(id)) + CACHE_NAME; }

/** Large (frame-backed) kmalloc blocks in use. */
export function kmallocLargeInUse(): u32 { return state().largeInUse; }

// ---- Invariants -------------------------------------------------------------------

function checkSlab(id: u32, c: SlabCache, base: u32, list: u32): i32 {
  const s = slabAt(base);
  if (s.magic != SLAB_MAGIC || s.cache != id || s.list != list || s.capacity != c.perSlab) return SLAB_CHECK_HEADER;
  if (frameKind(<usize>base) != KIND_SLAB || frameOrder(<usize>base) != <i32>c.slabOrder) return SLAB_CHECK_FRAMES;
  const frames: u32 = 1 << c.slabOrder;
  for (let f: u32 = 0; f < frames; f++) {
    if (frameOwner(<usize>base + (<usize>f << PAGE_SHIFT)) != base) return SLAB_CHECK_FRAMES;
  }
  let marked: u32 = 0;
  for (let j: u32 = 0; j < SLAB_MAX_OBJECTS; j++) {
    if (bitGet(base, j)) {
      if (j >= s.capacity) return SLAB_CHECK_BITMAP;
      marked++;
    }
  }
  if (marked != s.inUse) return SLAB_CHECK_BITMAP;
  if (list == LIST_PARTIAL && (s.inUse == 0 || s.inUse >= s.capacity)) return SLAB_CHECK_LIST;
  if (list == LIST_FULL && s.inUse != s.capacity) return SLAB_CHECK_LIST;
  if (list == LIST_EMPTY && s.inUse != 0) return SLAB_CHECK_LIST;
  const free = s.capacity - s.inUse;
  let n: u32 = 0;
  let obj = s.freeHead;
  const first = firstObject(base);
  while (obj != 0) {
    if (++n > free) return SLAB_CHECK_FREECOUNT;
    if (obj < first) return SLAB_CHECK_FREELIST;
    const offset = obj - first;
    if (offset % c.objectSize != 0 || offset / c.objectSize >= s.capacity) return SLAB_CHECK_FREELIST;
    if (bitGet(base, offset / c.objectSize)) return SLAB_CHECK_FREELIST;
    obj = objectNext(obj);
  }
  if (n != free) return SLAB_CHECK_FREECOUNT;
  return SLAB_OK;
}

function checkList(id: u32, c: SlabCache, list: u32, expected: u32): i32 {
  let n: u32 = 0;
  let prev: u32 = 0;
  let base = listHead(c, list);
  while (base != 0) {
    if (++n > expected) return SLAB_CHECK_COUNTS;
    if (slabAt(base).prev != prev) return SLAB_CHECK_LINK;
    const r = checkSlab(id, c, base, list);
    if (r != SLAB_OK) return r;
    prev = base;
    base = slabAt(base).next;
  }
  return n == expected ? SLAB_OK : SLAB_CHECK_COUNTS;
}

/** Walks every cache, slab and free chain and verifies the invariants at the
 *  top of this file. Returns SLAB_OK or the SLAB_CHECK_* code found first. */
export function slabCheck(): i32 {
  if (state().magic != SLAB_STATE_MAGIC) return SLAB_CHECK_STATE;
  let slabFrames: u32 = 0;
  for (let id: u32 = 0; id < SLAB_MAX_CACHES; id++) {
    if (!cacheLive(id)) {
      if (id < KMALLOC_CLASSES) return SLAB_CHECK_STATE;
      continue;
    }
    const c = cacheAt(id);
    let r = checkList(id, c, LIST_PARTIAL, c.partialCount);
    if (r == SLAB_OK) r = checkList(id, c, LIST_FULL, c.fullCount);
    if (r == SLAB_OK) r = checkList(id, c, LIST_EMPTY, c.emptyCount);
    if (r != SLAB_OK) return r;
    if (c.emptyCount > SLAB_EMPTY_KEEP) return SLAB_CHECK_COUNTS;
    // Objects in use: sum over partial and full slabs.
    let inUse: u32 = c.fullCount * c.perSlab;
    let base = c.partial;
    while (base != 0) { inUse += slabAt(base).inUse; base = slabAt(base).next; }
    if (inUse != c.inUse) return SLAB_CHECK_COUNTS;
    slabFrames += slabCacheFrames(id);
  }
  // Every slab frame belongs to some cache's lists.
  if (slabFrames != framesInUse(KIND_SLAB)) return SLAB_CHECK_FRAMES;
  return checkMagazines();
}

/** Every magazine within its bound, holding only allocated objects of its
 *  own class, none twice (across every vCPU's magazines). */
function checkMagazines(): i32 {
  for (let cls: u32 = 0; cls < KMALLOC_CLASSES; cls++) {
    for (let c: u32 = 0; c < MAX_CPUS; c++) {
      const n = magazineCount(c, cls);
      if (n > MAGAZINE_MAX) return SLAB_CHECK_MAGAZINE;
      for (let j: u32 = 0; j < n; j++) {
        const obj = <usize>magazineAt(c, cls, j);
        if (frameKind(obj) != KIND_SLAB) return SLAB_CHECK_MAGAZINE;
        const index = slabObjectIndex(obj);
        const base = frameOwner(obj);
        if (index < 0 || slabAt(base).cache != cls || !bitGet(base, <u32>index)) return SLAB_CHECK_MAGAZINE;
        // None twice: compare with the entries after it, in this and later magazines.
        for (let j2 = j + 1; j2 < n; j2++) if (magazineAt(c, cls, j2) == <u32>obj) return SLAB_CHECK_MAGAZINE;
        for (let c2 = c + 1; c2 < MAX_CPUS; c2++) if (magazineHolds(c2, cls, <u32>obj)) return SLAB_CHECK_MAGAZINE;
      }
    }
  }
  return SLAB_OK;
}
