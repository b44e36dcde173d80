// Per-vCPU allocator caches: the record each vCPU keeps in front of the
// frame allocator (a cache of free order-0 frames) and of the kmalloc slab
// caches (one magazine of free objects per size class). Layer: mm, an
// accessor module below frames.ts and slab.ts, which own the policy (when to
// refill and drain) and keep their accounting exact; this file only lays out
// the records.
//
// The records are in RAM at KSTATE_PCPU (MAX_CPUS of PCPU_RECORD_SIZE
// bytes), never in WASM globals: a snapshot carries the cached frames and
// objects along, and another vCPU can drain a cache (frames running out,
// `slabShrink`, the monitor). Each vCPU's frame cache is protected by its lock
// LOCK_PCPU_FRAMES + i and its magazines by LOCK_PCPU_SLAB + i (lib/lock.ts);
// only its own vCPU takes them on the fast path, so they are uncontended
// unless someone drains.
//
// Record layout:
//   +0    u32 frames in the cache
//   +4    u32 refills (batches taken from the buddy allocator)
//   +8    u32 drains (batches given back)
//   +12   u32 magazine refills + drains
//   +16   u32[PCPU_FRAMES_MAX] frame indices, the most recent last
//   +272  KMALLOC_CLASSES magazines of MAGAZINE_SIZE bytes: u32 count, then
//         u32[MAGAZINE_MAX] object addresses, the most recent last

import { KSTATE_PCPU } from "../lib/layout";

/** Frames one vCPU's cache holds at most. */
export const PCPU_FRAMES_MAX: u32 = 64;
/** Frames moved between a cache and the buddy allocator at once. */
export const PCPU_FRAMES_BATCH: u32 = 16;
/** Objects one magazine holds at most. */
export const MAGAZINE_MAX: u32 = 31;
/** Objects moved between a magazine and its slab cache at once. */
export const MAGAZINE_BATCH: u32 = 16;
/** Magazines per vCPU: one per kmalloc size class (slab.ts KMALLOC_CLASSES). */
export const MAGAZINES: u32 = 8;

export const PCPU_RECORD_SIZE: usize = 1536;
const PCPU_FRAME_COUNT: usize = 0;
const PCPU_REFILLS: usize = 4;
const PCPU_DRAINS: usize = 8;
const PCPU_MAG_MOVES: usize = 12;
const PCPU_FRAMES: usize = 16;
const PCPU_MAGAZINES: usize = 272;
const MAGAZINE_SIZE: usize = 128;

// @ts-ignore: decorator
@inline function rec(cpu: u32): usize { return KSTATE_PCPU + <usize>cpu * PCPU_RECORD_SIZE; }

// ---- Frame caches ----------------------------------------------------------------

// @ts-ignore: decorator
@inline export function pcpuFrameCount(cpu: u32): u32 { return load<u32>(rec(cpu) + PCPU_FRAME_COUNT); }
// @ts-ignore: decorator
@inline export function pcpuFrameAt(cpu: u32, j: u32): u32 { return load<u32>(rec(cpu) + PCPU_FRAMES + (<usize>j << 2)); }

/** Puts frame index i on top of vCPU cpu's cache (the caller checked room). */
// @ts-ignore: decorator
@inline export function pcpuFramePush(cpu: u32, i: u32): void {
  const r = rec(cpu);
  const n = load<u32>(r + PCPU_FRAME_COUNT);
  store<u32>(r + PCPU_FRAMES + (<usize>n << 2), i);
  store<u32>(r + PCPU_FRAME_COUNT, n + 1);
}

/** Takes the most recent frame index from the cache (the caller checked it is not empty). */
// @ts-ignore: decorator
@inline export function pcpuFramePop(cpu: u32): u32 {
  const r = rec(cpu);
  const n = load<u32>(r + PCPU_FRAME_COUNT) - 1;
  store<u32>(r + PCPU_FRAME_COUNT, n);
  return load<u32>(r + PCPU_FRAMES + (<usize>n << 2));
}

/** Takes the oldest frame index (bottom of the cache): drains give back the
 *  frames that have been cached longest, keeping the warm ones. */
export function pcpuFrameTakeOldest(cpu: u32): u32 {
  const r = rec(cpu);
  const n = load<u32>(r + PCPU_FRAME_COUNT);
  const i = load<u32>(r + PCPU_FRAMES);
  memory.copy(r + PCPU_FRAMES, r + PCPU_FRAMES + 4, <usize>(n - 1) << 2);
  store<u32>(r + PCPU_FRAME_COUNT, n - 1);
  return i;
}

export function pcpuCountRefill(cpu: u32): void { store<u32>(rec(cpu) + PCPU_REFILLS, load<u32>(rec(cpu) + PCPU_REFILLS) + 1); }
export function pcpuCountDrain(cpu: u32): void { store<u32>(rec(cpu) + PCPU_DRAINS, load<u32>(rec(cpu) + PCPU_DRAINS) + 1); }
export function pcpuCountMagazineMove(cpu: u32): void { store<u32>(rec(cpu) + PCPU_MAG_MOVES, load<u32>(rec(cpu) + PCPU_MAG_MOVES) + 1); }
export function pcpuRefills(cpu: u32): u32 { return load<u32>(rec(cpu) + PCPU_REFILLS); }
export function pcpuDrains(cpu: u32): u32 { return load<u32>(rec(cpu) + PCPU_DRAINS); }
export function pcpuMagazineMoves(cpu: u32): u32 { return load<u32>(rec(cpu) + PCPU_MAG_MOVES); }

// ---- Magazines ------------------------------------------------------------------

// @ts-ignore: decorator
@inline function mag(cpu: u32, cls: u32): usize { return rec(cpu) + PCPU_MAGAZINES + <usize>cls * MAGAZINE_SIZE; }
// @ts-ignore: decorator
@inline export function magazineCount(cpu: u32, cls: u32): u32 { return load<u32>(mag(cpu, cls)); }
// @ts-ignore: decorator
@inline export function magazineAt(cpu: u32, cls: u32, j: u32): u32 { return load<u32>(mag(cpu, cls) + 4 + (<usize>j << 2)); }
// @ts-ignore: decorator
@inline export function magazinePush(cpu: u32, cls: u32, obj: u32): void {
  const m = mag(cpu, cls);
  const n = load<u32>(m);
  store<u32>(m + 4 + (<usize>n << 2), obj);
  store<u32>(m, n + 1);
}
// @ts-ignore: decorator
@inline export function magazinePop(cpu: u32, cls: u32): u32 {
  const m = mag(cpu, cls);
  const n = load<u32>(m) - 1;
  store<u32>(m, n);
  return load<u32>(m + 4 + (<usize>n << 2));
}
/** Drops the n oldest objects (bottom) of a magazine; the caller has
 *  freed them (read them with magazineAt first). */
export function magazineDropOldest(cpu: u32, cls: u32, n: u32): void {
  const m = mag(cpu, cls);
  const count = load<u32>(m);
  memory.copy(m + 4, m + 4 + (<usize>n << 2), <usize>(count - n) << 2);
  store<u32>(m, count - n);
}

/** True when obj is in the magazine (a double free of a cached object). */
export function magazineHolds(cpu: u32, cls: u32, obj: u32): bool {
  const m = mag(cpu, cls);
  const n = load<u32>(m);
  for (let j: u32 = 0; j < n; j++) if (load<u32>(m + 4 + (<usize>j << 2)) == obj) return true;
  return false;
}

/** Empties every record (boot: no frame or object is cached). */
export function pcpuInit(cpus: u32): void {
  memory.fill(KSTATE_PCPU, 0, <usize>cpus * PCPU_RECORD_SIZE);
}
