// Test entry for the memory core (mm/frames.ts, mm/slab.ts, mm/pagetable.ts):
// thin wrappers that keep 64-bit values off the JS boundary (virtual
// addresses arrive as two u32 halves, physical addresses leave as f64), and
// benchmark loops that run N operations inside wasm.

export { kernelImageEnd } from "../src/lib/image";
import {
  frameAlloc, frameFree, frameKind, frameOrder, frameZero, framesAddRange, framesCapacity, framesCheck,
  framesFailures, framesFree, framesFreeTotal, framesInit, framesTableBase, framesTableFrames, framesTotal,
  framesInUse, KIND_KERNEL,
} from "../src/mm/frames";
import {
  PAGE_4K, PTE_R, PTE_W,
} from "../src/machine/sv48";
import {
  PT_NO_MAPPING, PT_OK, ptCheck, ptCountTables, ptCreate, ptDestroy, ptLeafFlags, ptLeafLevel, ptMap, ptProtect,
  ptTranslate, ptUnmap, ptWalk,
} from "../src/mm/pagetable";
import {
  cacheAlloc, cacheCreate as slabCacheCreate, kfree, kmalloc, slabCheck, slabInit, slabShrink, slabStat,
  slabDrainMagazines, slabSetMagazines, slabMagazineObjects,
} from "../src/mm/slab";
import { framesDrainCaches, framesSetCaching, framesCached, framesCachedOn, framesCaching } from "../src/mm/frames";
import { magazineCount } from "../src/mm/pcpu";
export { cpuSetIndex } from "../src/lib/cpu";
import { cpuId } from "../src/lib/cpu";
export { locksInit, locksReset } from "../src/lib/lock";
import { lockRecord } from "../src/lib/lock";
export { framesDrainCaches, framesCached, framesCachedOn, slabDrainMagazines, slabMagazineObjects };
export function setCaching(on: u32): void { framesSetCaching(on != 0); slabSetMagazines(on != 0); }
export function caching(): u32 { return framesCaching() ? 1 : 0; }
export function magazineObjects(cpu: u32, cls: u32): u32 { return magazineCount(cpu, cls); }
/** A lock's statistic: 0 acquisitions, 1 contended, 2 spins, 3 longest wait (lib/lock.ts). */
export function lockStat(id: u32, which: u32): f64 {
  const r = lockRecord(id);
  if (which == 0) return <f64>r.acquisitions;
  if (which == 1) return <f64>r.contended;
  if (which == 2) return <f64>r.spins;
  return <f64>r.maxSpins;
}

export {
  frameAlloc, frameFree, frameKind, frameOrder, frameZero, framesCapacity, framesCheck, framesFailures, framesFree,
  framesFreeTotal, framesInit, framesTableBase, framesTableFrames, framesTotal,
  ptCheck, ptCountTables, ptCreate, ptDestroy,
  cacheAlloc, kfree, kmalloc, slabCheck, slabInit, slabShrink, slabStat, framesInUse,
};

/** A typed cache (every test cache has the same name). */
export function cacheCreate(size: u32): i32 { return slabCacheCreate(size, "test"); }

// @ts-ignore: decorator
@inline function va64(hi: u32, lo: u32): u64 { return (<u64>hi << 32) | <u64>lo; }

export function addRange(basePage: u32, pages: u32): i32 {
  return framesAddRange(<u64>basePage << 12, <u64>pages << 12);
}

/** size is given as the page shift: 12, 21 or 30 (or anything else to test refusal). */
export function map(root: usize, vaHi: u32, vaLo: u32, pa: usize, sizeShift: u32, flags: u32): i32 {
  return ptMap(root, va64(vaHi, vaLo), pa, <u64>1 << sizeShift, <u64>flags);
}
export function unmap(root: usize, vaHi: u32, vaLo: u32, sizeShift: u32): i32 {
  return ptUnmap(root, va64(vaHi, vaLo), <u64>1 << sizeShift);
}
export function protect(root: usize, vaHi: u32, vaLo: u32, flags: u32): i32 {
  return ptProtect(root, va64(vaHi, vaLo), <u64>flags);
}
/** Physical address as a JS number, or -1 when unmapped. */
export function translate(root: usize, vaHi: u32, vaLo: u32): f64 {
  const pa = ptTranslate(root, va64(vaHi, vaLo));
  return pa == PT_NO_MAPPING ? -1 : <f64>pa;
}
export function leafFlags(root: usize, vaHi: u32, vaLo: u32): u32 { return ptLeafFlags(root, va64(vaHi, vaLo)); }
export function leafLevel(root: usize, vaHi: u32, vaLo: u32): i32 { return ptLeafLevel(root, va64(vaHi, vaLo)); }
export function walk(root: usize, vaHi: u32, vaLo: u32, out: usize): i32 { return ptWalk(root, va64(vaHi, vaLo), out); }

// ---- Benchmark loops ----------------------------------------------------------------

/** n rounds of frameAlloc(0) + frameFree. Returns the number of failures. */
export function benchAllocFree(n: u32): u32 {
  let failures: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const pa = frameAlloc(0, KIND_KERNEL);
    if (pa == 0 || frameFree(pa, 0) != 0) failures++;
  }
  return failures;
}

const BENCH_VA: u64 = 0x0000_1234_5600_0000;

/** n rounds of map + unmap of one 4 KiB page beside a page that stays
 *  mapped (so the intermediate tables persist, as in a live address space).
 *  Returns the number of failures. */
export function benchMapUnmap(root: usize, pa: usize, n: u32): u32 {
  let failures: u32 = 0;
  if (ptMap(root, BENCH_VA + PAGE_4K, pa, PAGE_4K, PTE_R | PTE_W) != PT_OK) return n;
  for (let i: u32 = 0; i < n; i++) {
    const va = BENCH_VA + (<u64>(i & 0x1F) << 13);
    if (ptMap(root, va, pa, PAGE_4K, PTE_R | PTE_W) != PT_OK) failures++;
    if (ptUnmap(root, va, PAGE_4K) != PT_OK) failures++;
  }
  ptUnmap(root, BENCH_VA + PAGE_4K, PAGE_4K);
  return failures;
}

/** Maps 64 pages, then translates addresses among them n times; returns a
 *  checksum so the loop cannot be optimised away. */
export function benchTranslate(root: usize, pa: usize, n: u32): u32 {
  for (let p: u64 = 0; p < 64; p++) ptMap(root, BENCH_VA + (p << 12), pa, PAGE_4K, PTE_R);
  let sum: u64 = 0;
  for (let i: u32 = 0; i < n; i++) {
    sum += ptTranslate(root, BENCH_VA + (<u64>(i & 63) << 12) + <u64>(i & 0xFFF));
  }
  for (let p: u64 = 0; p < 64; p++) ptUnmap(root, BENCH_VA + (p << 12), PAGE_4K);
  return <u32>sum;
}

/** n rounds of kmalloc(size) + kfree. Returns the number of failures. */
export function benchKmalloc(size: u32, n: u32): u32 {
  let failures: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const p = kmalloc(size);
    if (p == 0 || kfree(p) != 0) failures++;
  }
  return failures;
}

/** n rounds of kmalloc of `count` objects of `size` bytes, then kfree of them
 *  all (a batch: the magazines' refills and drains are exercised, not only
 *  the top object). `buf` is scratch for `count` u32 pointers. Returns the failures. */
export function benchKmallocBatch(size: u32, count: u32, buf: usize, n: u32): u32 {
  let failures: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    for (let j: u32 = 0; j < count; j++) {
      const p = kmalloc(size);
      if (p == 0) failures++;
      store<u32>(buf + (<usize>j << 2), <u32>p);
    }
    for (let j: u32 = 0; j < count; j++) if (kfree(<usize>load<u32>(buf + (<usize>j << 2))) != 0) failures++;
  }
  return failures;
}

/** The same with order-0 frames. */
export function benchFramesBatch(count: u32, buf: usize, n: u32): u32 {
  let failures: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    for (let j: u32 = 0; j < count; j++) {
      const pa = frameAlloc(0, KIND_KERNEL);
      if (pa == 0) failures++;
      store<u32>(buf + (<usize>j << 2), <u32>pa);
    }
    for (let j: u32 = 0; j < count; j++) if (frameFree(<usize>load<u32>(buf + (<usize>j << 2)), 0) != 0) failures++;
  }
  return failures;
}

/** The two-thread stress (host/locks-threads.test.ts): `rounds` rounds of
 *  `batch` order-0 frames and `batch` kmalloc objects of sizes drawn from a
 *  xorshift sequence seeded with `seed`; each frame and object gets a tag
 *  naming this vCPU, the round and its place, which must still be there when
 *  it is freed (another vCPU handed the same memory would overwrite it).
 *  `buf` holds 2 * batch u32s. Returns the failures: allocations refused,
 *  tags lost, frees refused. */
export function stress(seed: u32, rounds: u32, batch: u32, buf: usize): u32 {
  let failures: u32 = 0;
  let x = seed | 1;
  const me = cpuId();
  for (let r: u32 = 0; r < rounds; r++) {
    for (let j: u32 = 0; j < batch; j++) {
      const tag = (me << 28) ^ (r << 8) ^ j;
      const pa = frameAlloc(0, KIND_KERNEL);
      if (pa == 0) failures++;
      else store<u32>(pa, tag);
      store<u32>(buf + (<usize>j << 2), <u32>pa);
      x ^= x << 13; x ^= x >> 17; x ^= x << 5;
      const p = kmalloc(16 + (x & 1023));
      if (p == 0) failures++;
      else store<u32>(p, ~tag);
      store<u32>(buf + (<usize>(batch + j) << 2), <u32>p);
    }
    for (let j: u32 = 0; j < batch; j++) {
      const tag = (me << 28) ^ (r << 8) ^ j;
      const pa = <usize>load<u32>(buf + (<usize>j << 2));
      if (pa != 0) {
        if (load<u32>(pa) != tag) failures++;
        if (frameFree(pa, 0) != 0) failures++;
      }
      const p = <usize>load<u32>(buf + (<usize>(batch + j) << 2));
      if (p != 0) {
        if (load<u32>(p) != ~tag) failures++;
        if (kfree(p) != 0) failures++;
      }
    }
  }
  return failures;
}
