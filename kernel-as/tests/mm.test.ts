// The memory core (mm/frames.ts, mm/pagetable.ts, mm/slab.ts) driven through
// its test entry (kernel-as/tests/mm.ts) in a machine-shaped RAM with a real
// BootInfo. Directed tests pin the edge cases; randomized tests run long
// operation sequences against simple models and check every invariant after
// every step.

import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { loadKernelTest, type KernelTestInstance } from "../../host/testing/kernel-test.js";
import { RegionType } from "../../host/bootinfo.js";

interface Mm {
  framesInit(): number;
  frameAlloc(order: number, kind: number): number;
  frameFree(pa: number, order: number): number;
  frameKind(pa: number): number;
  frameOrder(pa: number): number;
  frameZero(pa: number, order: number): void;
  framesCheck(): number;
  framesFree(order: number): number;
  framesFreeTotal(): number;
  framesTotal(): number;
  framesCapacity(): number;
  framesFailures(): number;
  framesTableBase(): number;
  framesTableFrames(): number;
  addRange(basePage: number, pages: number): number;

  ptCreate(): number;
  ptDestroy(root: number): number;
  ptCountTables(root: number): number;
  ptCheck(root: number): number;
  map(root: number, vaHi: number, vaLo: number, pa: number, sizeShift: number, flags: number): number;
  unmap(root: number, vaHi: number, vaLo: number, sizeShift: number): number;
  protect(root: number, vaHi: number, vaLo: number, flags: number): number;
  translate(root: number, vaHi: number, vaLo: number): number;
  leafFlags(root: number, vaHi: number, vaLo: number): number;
  leafLevel(root: number, vaHi: number, vaLo: number): number;
  walk(root: number, vaHi: number, vaLo: number, out: number): number;

  slabInit(): number;
  kmalloc(size: number): number;
  kfree(ptr: number): number;
  cacheCreate(size: number): number;
  cacheAlloc(id: number): number;
  slabCheck(): number;
  slabShrink(): number;
  slabStat(id: number, stat: number): number;

  cpuSetIndex(i: number): number;
  framesInUse(kind: number): number;
  locksInit(): void;
  setCaching(on: number): void;
  framesDrainCaches(): number;
  framesCached(): number;
  framesCachedOn(cpu: number): number;
  slabDrainMagazines(): number;
  slabMagazineObjects(cls: number): number;
  magazineObjects(cpu: number, cls: number): number;
}

// Mirrors of the kernel's constants (frames.ts, pagetable.ts, slab.ts, sv48.ts).
const PAGE = 4096;
const MAX_ORDER = 10;
const KIND = { free: 0, reserved: 1, kernel: 2, pagetable: 3, user: 4, filecache: 5, frametable: 6, slab: 7 };
const FRAME_ERR = {
  badAddress: -3, badOrder: -4, misaligned: -5, notBlock: -6, doubleFree: -7, wrongOrder: -8, notAllocated: -9,
  badRange: -10, overlap: -11,
};
const PT_ERR = {
  noncanonical: -1, misaligned: -2, badSize: -3, badFlags: -4, exists: -5, noMemory: -6, notMapped: -7,
  sizeMismatch: -8, badRoot: -9,
};
const SLAB_ERR = { badPointer: -1, doubleFree: -2, badSize: -3 };
const SLAB_STAT = { objectSize: 0, perSlab: 1, slabOrder: 2, inUse: 3, partial: 4, full: 5, empty: 6 };
const PTE = { V: 1, R: 2, W: 4, X: 8, U: 16, G: 32, A: 64, D: 128 };
const SHIFT_4K = 12, SHIFT_2M = 21, SHIFT_1G = 30;
const MIB = 1024 * 1024;
const WALK_OUT = 0x20000; // KSTATE_SCRATCH: free for tests

type Instance = KernelTestInstance<Mm>;

function boot(ramBytes = 16 * MIB): Instance {
  const t = loadKernelTest<Mm>("mm", { ramBytes });
  expect(t.exports.framesInit()).toBe(0);
  expect(t.exports.framesCheck()).toBe(0);
  return t;
}

/** Free blocks per order, with the per-vCPU caches drained first (a cached
 *  frame is free but on no list, so it is not merged). */
function freeCounts(mm: Mm): number[] {
  mm.framesDrainCaches();
  return Array.from({ length: MAX_ORDER + 1 }, (_, k) => mm.framesFree(k));
}

function usableRegion(t: Instance): { base: number; end: number } {
  const r = t.layout.regions.find((x) => x.type === RegionType.Usable)!;
  return { base: r.base, end: r.base + r.length };
}

const hi = (va: bigint): number => Number((va >> 32n) & 0xffff_ffffn);
const lo = (va: bigint): number => Number(va & 0xffff_ffffn);

// ---------------------------------------------------------------------------
describe("frame allocator: boot", () => {
  it("manages exactly the usable region, with the descriptor table carved from its start", () => {
    const t = boot();
    const mm = t.exports;
    const { base, end } = usableRegion(t);
    expect(mm.framesTotal()).toBe((end - base) / PAGE);
    expect(mm.framesTableBase()).toBe(base);
    expect(mm.framesTableFrames()).toBe(Math.ceil((mm.framesCapacity() * 16) / PAGE));
    expect(mm.framesFreeTotal()).toBe(mm.framesTotal() - mm.framesTableFrames());
    expect(mm.frameKind(base)).toBe(KIND.frametable);
    expect(mm.frameKind(end - PAGE)).toBe(KIND.free);
  });

  it("reports every non-usable region as reserved", () => {
    const t = boot();
    for (const r of t.layout.regions.filter((x) => x.type !== RegionType.Usable)) {
      for (let pa = r.base; pa < r.base + r.length; pa += PAGE) expect(t.exports.frameKind(pa)).toBe(KIND.reserved);
    }
    expect(t.exports.frameKind(0xb8000)).toBe(KIND.reserved);
    expect(t.exports.frameKind(0xffff_f000)).toBe(KIND.reserved); // beyond RAM
  });

  it("refuses to start without a valid BootInfo, and allocates nothing before it starts", () => {
    const t = loadKernelTest<Mm>("mm");
    const mm = t.exports;
    expect(mm.frameAlloc(0, KIND.kernel)).toBe(0);
    expect(mm.frameFree(0x20_0000, 0)).toBeLessThan(0);
    new DataView(t.memory.buffer).setUint32(0x2000, 0xdeadbeef, true); // BootInfo magic
    expect(mm.framesInit()).toBe(-1);
    expect(mm.frameAlloc(0, KIND.kernel)).toBe(0);
  });

  it("starts fully coalesced: free blocks are maximal", () => {
    const mm = boot().exports;
    // 16 MiB RAM: everything past the first few MiB is whole 4 MiB blocks.
    expect(mm.framesFree(MAX_ORDER)).toBeGreaterThanOrEqual(2);
    expect(mm.framesCheck()).toBe(0);
  });
});

describe("frame allocator: allocate and free", () => {
  it("returns blocks aligned to their order, of the requested kind", () => {
    const mm = boot().exports;
    for (let order = 0; order <= MAX_ORDER; order++) {
      const pa = mm.frameAlloc(order, KIND.user);
      expect(pa).not.toBe(0);
      expect(pa % (PAGE << order)).toBe(0);
      expect(mm.frameKind(pa)).toBe(KIND.user);
      expect(mm.frameKind(pa + (PAGE << order) - PAGE)).toBe(KIND.user);
      expect(mm.frameOrder(pa)).toBe(order);
      expect(mm.framesCheck()).toBe(0);
      expect(mm.frameFree(pa, order)).toBe(0);
    }
  });

  it("refuses orders above MAX_ORDER and the kinds no caller may allocate", () => {
    const mm = boot().exports;
    const before = mm.framesFreeTotal();
    expect(mm.frameAlloc(MAX_ORDER + 1, KIND.kernel)).toBe(0);
    expect(mm.frameAlloc(0, KIND.free)).toBe(0);
    expect(mm.frameAlloc(0, KIND.reserved)).toBe(0);
    expect(mm.frameAlloc(0, 99)).toBe(0);
    expect(mm.frameAlloc(0, KIND.frametable)).toBe(0); // only the allocator's own table
    expect(mm.framesFreeTotal()).toBe(before);
  });

  it("returns 0 cleanly on exhaustion and every free restores the exact initial state", () => {
    const mm = boot(8 * MIB).exports;
    const initial = freeCounts(mm);
    const initialTotal = mm.framesFreeTotal();
    const got: number[] = [];
    for (;;) {
      const pa = mm.frameAlloc(0, KIND.kernel);
      if (pa === 0) break;
      got.push(pa);
    }
    expect(got.length).toBe(initialTotal);
    expect(new Set(got).size).toBe(got.length);
    expect(mm.framesFreeTotal()).toBe(0);
    expect(mm.frameAlloc(0, KIND.kernel)).toBe(0);
    expect(mm.framesFailures()).toBe(2);
    expect(mm.framesCheck()).toBe(0);
    // Free in an order unrelated to allocation so merging is exercised.
    got.sort((a, b) => ((a * 2654435761) >>> 0) - ((b * 2654435761) >>> 0));
    for (const pa of got) expect(mm.frameFree(pa, 0)).toBe(0);
    expect(mm.framesCheck()).toBe(0);
    expect(freeCounts(mm)).toEqual(initial);
  });

  it("fails a large order once fragmentation leaves no block big enough", () => {
    const mm = boot(8 * MIB).exports;
    const big: number[] = [];
    for (let pa = mm.frameAlloc(MAX_ORDER, KIND.user); pa !== 0; pa = mm.frameAlloc(MAX_ORDER, KIND.user)) big.push(pa);
    expect(mm.framesFree(MAX_ORDER)).toBe(0);
    const small = mm.frameAlloc(0, KIND.user);
    expect(small).not.toBe(0); // smaller orders still come from the remainder
    for (const pa of big) expect(mm.frameFree(pa, MAX_ORDER)).toBe(0);
    expect(mm.frameFree(small, 0)).toBe(0);
    expect(mm.framesCheck()).toBe(0);
  });

  it("refuses a double free without changing state", () => {
    const mm = boot().exports;
    const pa = mm.frameAlloc(2, KIND.kernel);
    expect(mm.frameFree(pa, 2)).toBe(0);
    const counts = freeCounts(mm);
    expect(mm.frameFree(pa, 2)).toBe(FRAME_ERR.doubleFree);
    expect(mm.frameFree(pa + PAGE, 0)).toBe(FRAME_ERR.doubleFree); // inside a free block
    expect(freeCounts(mm)).toEqual(counts);
    expect(mm.framesCheck()).toBe(0);
  });

  it("refuses bad addresses, wrong orders, block interiors and reserved frames", () => {
    const mm = boot().exports;
    const pa = mm.frameAlloc(3, KIND.kernel);
    const before = mm.framesFreeTotal();
    expect(mm.frameFree(0, 0)).toBe(FRAME_ERR.badAddress);
    expect(mm.frameFree(pa + 8, 0)).toBe(FRAME_ERR.badAddress);
    expect(mm.frameFree(0x7fff_f000, 0)).toBe(FRAME_ERR.badAddress);
    expect(mm.frameFree(pa, MAX_ORDER + 1)).toBe(FRAME_ERR.badOrder);
    expect(mm.frameFree(pa, 2)).toBe(FRAME_ERR.wrongOrder);
    expect(mm.frameFree(pa + PAGE, 0)).toBe(FRAME_ERR.notBlock);
    expect(mm.frameFree(pa + PAGE, 3)).toBe(FRAME_ERR.misaligned);
    expect(mm.frameFree(0xb8000, 0)).toBe(FRAME_ERR.notAllocated);
    expect(mm.frameFree(mm.framesTableBase(), 0)).toBe(FRAME_ERR.notAllocated);
    expect(mm.framesFreeTotal()).toBe(before);
    expect(mm.framesCheck()).toBe(0);
    expect(mm.frameFree(pa, 3)).toBe(0);
  });

  it("zeroes whole blocks", () => {
    const t = boot();
    const mm = t.exports;
    const pa = mm.frameAlloc(1, KIND.kernel);
    new Uint8Array(t.memory.buffer, pa, 2 * PAGE).fill(0xab);
    mm.frameZero(pa, 1);
    expect(new Uint8Array(t.memory.buffer, pa, 2 * PAGE).every((b) => b === 0)).toBe(true);
  });
});

describe("frame allocator: growing RAM", () => {
  it("adds grown RAM as free frames, moving the descriptor table into it", () => {
    const t = boot(8 * MIB);
    const mm = t.exports;
    const oldTable = mm.framesTableBase();
    const total = mm.framesTotal();
    t.memory.grow((8 * MIB) / 65536);
    expect(mm.addRange((8 * MIB) / PAGE, (8 * MIB) / PAGE)).toBe(0);
    expect(mm.framesCheck()).toBe(0);
    expect(mm.framesCapacity()).toBe((16 * MIB) / PAGE);
    expect(mm.framesTotal()).toBe(total + (8 * MIB) / PAGE);
    expect(mm.framesTableBase()).toBe(8 * MIB);
    expect(mm.frameKind(oldTable)).toBe(KIND.free);
    const pa = mm.frameAlloc(MAX_ORDER, KIND.user);
    expect(pa).not.toBe(0);
    expect(mm.frameFree(pa, MAX_ORDER)).toBe(0);
  });

  it("hosts the new table in an allocated block when the grown range is too small for it", () => {
    const t = boot(8 * MIB);
    const mm = t.exports;
    const total = mm.framesTotal();
    t.memory.grow(1);
    const pages = 4; // a table for 2052 frames needs 9 frames: more than the 4 added
    const oldTable = mm.framesTableBase();
    expect(mm.addRange((8 * MIB) / PAGE, pages)).toBe(0);
    expect(mm.framesCheck()).toBe(0);
    expect(mm.framesTotal()).toBe(total + pages);
    expect(mm.frameKind(8 * MIB)).toBe(KIND.free);
    expect(mm.framesTableBase()).not.toBe(oldTable);
    expect(mm.frameKind(mm.framesTableBase())).toBe(KIND.frametable);
    expect(mm.frameKind(oldTable)).toBe(KIND.free);
  });

  it("refuses ranges already managed or empty", () => {
    const t = boot();
    const mm = t.exports;
    const { base } = usableRegion(t);
    expect(mm.addRange(base / PAGE, 4)).toBe(FRAME_ERR.overlap);
    expect(mm.addRange(5000, 0)).toBe(FRAME_ERR.badRange);
    expect(mm.framesCheck()).toBe(0);
  });
});

// ---------------------------------------------------------------------------
describe("frame allocator: randomized against a model", () => {
  type Op =
    | { t: "alloc"; order: number; kind: number }
    | { t: "free"; pick: number }
    | { t: "bad"; pick: number; how: "double" | "order" | "tail" }
    | { t: "grow"; frames: number };
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 5, arbitrary: fc.record({ t: fc.constant("alloc" as const), order: fc.oneof(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: MAX_ORDER })), kind: fc.constantFrom(KIND.kernel, KIND.pagetable, KIND.user, KIND.filecache) }) },
    { weight: 4, arbitrary: fc.record({ t: fc.constant("free" as const), pick: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant("bad" as const), pick: fc.nat(), how: fc.constantFrom("double" as const, "order" as const, "tail" as const) }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant("grow" as const), frames: fc.oneof(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 1024 })) }) },
  );

  it("keeps every invariant after every step and coalesces fully at the end", () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 150 }), (ops) => {
        const t = boot(8 * MIB);
        const mm = t.exports;
        const usable = [usableRegion(t)];
        let ramEnd = usable[0]!.end;
        let grows = 0;
        const initial = freeCounts(mm);
        const live = new Map<number, { order: number; kind: number }>();
        const freed: number[] = [];
        const overlapsLive = (pa: number, bytes: number): boolean => {
          for (const [b, v] of live) if (pa < b + (PAGE << v.order) && b < pa + bytes) return true;
          return false;
        };
        for (const o of ops) {
          const freeBefore = mm.framesFreeTotal();
          if (o.t === "alloc") {
            const pa = mm.frameAlloc(o.order, o.kind);
            const bytes = PAGE << o.order;
            if (pa === 0) {
              // Only a genuine shortage may refuse: no free block of this order or above.
              for (let k = o.order; k <= MAX_ORDER; k++) expect(mm.framesFree(k)).toBe(0);
            } else {
              expect(pa % bytes).toBe(0);
              const table = mm.framesTableBase();
              expect(pa + bytes <= table || pa >= table + mm.framesTableFrames() * PAGE).toBe(true);
              expect(usable.some((u) => pa >= u.base && pa + bytes <= u.end)).toBe(true);
              expect(overlapsLive(pa, bytes)).toBe(false);
              expect(mm.frameKind(pa)).toBe(o.kind);
              expect(mm.framesFreeTotal()).toBe(freeBefore - (1 << o.order));
              live.set(pa, { order: o.order, kind: o.kind });
            }
          } else if (o.t === "free") {
            if (live.size === 0) continue;
            const keys = [...live.keys()];
            const pa = keys[o.pick % keys.length]!;
            const { order } = live.get(pa)!;
            expect(mm.frameFree(pa, order)).toBe(0);
            expect(mm.framesFreeTotal()).toBe(freeBefore + (1 << order));
            live.delete(pa);
            freed.push(pa);
          } else if (o.t === "grow") {
            if (grows === 3) continue;
            grows++;
            const wasmPages = Math.ceil((o.frames * PAGE) / 65536);
            t.memory.grow(wasmPages);
            const total = mm.framesTotal();
            const r = mm.addRange(ramEnd / PAGE, o.frames);
            // The only refusal: no room for a bigger descriptor table.
            if (r === 0) {
              expect(mm.framesTotal()).toBe(total + o.frames);
              usable.push({ base: ramEnd, end: ramEnd + o.frames * PAGE });
            } else {
              expect(r).toBe(-2);
              expect(mm.framesTotal()).toBe(total);
            }
            ramEnd += wasmPages * 65536;
          } else {
            let result = 0;
            if (o.how === "double") {
              const candidates = freed.filter((pa) => !overlapsLive(pa, PAGE));
              if (candidates.length === 0) continue;
              result = mm.frameFree(candidates[o.pick % candidates.length]!, 0);
            } else {
              const keys = [...live.keys()].filter((pa) => o.how === "order" || live.get(pa)!.order > 0);
              if (keys.length === 0) continue;
              const pa = keys[o.pick % keys.length]!;
              const order = live.get(pa)!.order;
              result = o.how === "order" ? mm.frameFree(pa, order === MAX_ORDER ? order - 1 : order + 1) : mm.frameFree(pa + PAGE, 0);
            }
            expect(result).toBeLessThan(0);
            expect(mm.framesFreeTotal()).toBe(freeBefore);
          }
          expect(mm.framesCheck()).toBe(0);
        }
        for (const [pa, { order }] of live) expect(mm.frameFree(pa, order)).toBe(0);
        expect(mm.framesCheck()).toBe(0);
        expect(mm.framesFreeTotal()).toBe(mm.framesTotal() - mm.framesTableFrames());
        if (grows === 0) expect(freeCounts(mm)).toEqual(initial);
      }),
      { numRuns: 150 },
    );
  });
});

// ---------------------------------------------------------------------------
describe("page tables: directed", () => {
  const RW = PTE.R | PTE.W;

  it("maps a 4 KiB page and translates every byte offset in it", () => {
    const mm = boot().exports;
    const root = mm.ptCreate();
    expect(root).not.toBe(0);
    expect(mm.frameKind(root)).toBe(KIND.pagetable);
    expect(mm.map(root, 0, 0x40_0000, 0x80_0000, SHIFT_4K, RW | PTE.U)).toBe(0);
    expect(mm.translate(root, 0, 0x40_0000)).toBe(0x80_0000);
    expect(mm.translate(root, 0, 0x40_0fff)).toBe(0x80_0fff);
    expect(mm.translate(root, 0, 0x40_1000)).toBe(-1);
    expect(mm.leafFlags(root, 0, 0x40_0123)).toBe(RW | PTE.U | PTE.V);
    expect(mm.leafLevel(root, 0, 0x40_0123)).toBe(0);
    expect(mm.ptCountTables(root)).toBe(4);
    expect(mm.ptCheck(root)).toBe(0);
  });

  it("maps 2 MiB and 1 GiB superpages with one leaf each", () => {
    const mm = boot().exports;
    const root = mm.ptCreate();
    expect(mm.map(root, 0, 0x20_0000, 0x40_0000, SHIFT_2M, PTE.R)).toBe(0);
    expect(mm.translate(root, 0, 0x3f_fffe)).toBe(0x5f_fffe);
    expect(mm.leafLevel(root, 0, 0x20_0000)).toBe(1);
    expect(mm.ptCountTables(root)).toBe(3);
    // 1 GiB at VA 0x80_4000_0000 (a different level-2 table) onto PA 0.
    expect(mm.map(root, 0x80, 0x4000_0000, 0, SHIFT_1G, PTE.R | PTE.X)).toBe(0);
    expect(mm.translate(root, 0x80, 0x7fff_ffff)).toBe(0x3fff_ffff);
    expect(mm.leafLevel(root, 0x80, 0x5000_0000)).toBe(2);
    expect(mm.ptCountTables(root)).toBe(4);
    expect(mm.ptCheck(root)).toBe(0);
  });

  it("refuses a superpage whose VA or PA is not aligned to its size", () => {
    const mm = boot().exports;
    const root = mm.ptCreate();
    const free = mm.framesFreeTotal();
    expect(mm.map(root, 0, 0x20_1000, 0x40_0000, SHIFT_2M, PTE.R)).toBe(PT_ERR.misaligned);
    expect(mm.map(root, 0, 0x20_0000, 0x40_1000, SHIFT_2M, PTE.R)).toBe(PT_ERR.misaligned);
    expect(mm.map(root, 0, 0x4000_0000, 0x20_0000, SHIFT_1G, PTE.R)).toBe(PT_ERR.misaligned);
    expect(mm.map(root, 0, 0x1000, 0x80_0800, SHIFT_4K, PTE.R)).toBe(PT_ERR.misaligned);
    expect(mm.framesFreeTotal()).toBe(free);
    expect(mm.ptCountTables(root)).toBe(1);
  });

  it("refuses non-canonical addresses, bad sizes and bad flags", () => {
    const mm = boot().exports;
    const root = mm.ptCreate();
    expect(mm.map(root, 0x8000, 0, 0x80_0000, SHIFT_4K, PTE.R)).toBe(PT_ERR.noncanonical);
    expect(mm.map(root, 0x1_0000, 0, 0x80_0000, SHIFT_4K, PTE.R)).toBe(PT_ERR.noncanonical);
    expect(mm.map(root, 0, 0x1000, 0x80_0000, 13, PTE.R)).toBe(PT_ERR.badSize);
    expect(mm.map(root, 0, 0x1000, 0x80_0000, SHIFT_4K, PTE.W)).toBe(PT_ERR.badFlags); // W without R
    expect(mm.map(root, 0, 0x1000, 0x80_0000, SHIFT_4K, PTE.U)).toBe(PT_ERR.badFlags); // not a leaf
    expect(mm.map(root, 0, 0x1000, 0x80_0000, SHIFT_4K, PTE.R | 0x400)).toBe(PT_ERR.badFlags); // PPN bit
    expect(mm.map(0x80_0000, 0, 0x1000, 0x80_0000, SHIFT_4K, PTE.R)).toBe(PT_ERR.badRoot);
    // The top half is canonical.
    expect(mm.map(root, 0xffff_8000, 0, 0x80_0000, SHIFT_4K, PTE.R)).toBe(0);
    expect(mm.translate(root, 0xffff_8000, 0x10)).toBe(0x80_0010);
  });

  it("refuses overlaps between pages of different sizes", () => {
    const mm = boot().exports;
    const root = mm.ptCreate();
    expect(mm.map(root, 0, 0x20_0000, 0x40_0000, SHIFT_2M, PTE.R)).toBe(0);
    expect(mm.map(root, 0, 0x20_3000, 0x80_0000, SHIFT_4K, PTE.R)).toBe(PT_ERR.exists); // under a superpage
    expect(mm.map(root, 0, 0, 0, SHIFT_1G, PTE.R)).toBe(PT_ERR.exists); // over a table
    expect(mm.map(root, 0, 0x20_0000, 0x60_0000, SHIFT_2M, PTE.R)).toBe(PT_ERR.exists); // same page
    expect(mm.map(root, 0, 0x60_1000, 0x80_0000, SHIFT_4K, PTE.R)).toBe(0);
    expect(mm.map(root, 0, 0x60_0000, 0x80_0000, SHIFT_2M, PTE.R)).toBe(PT_ERR.exists); // over 4 KiB pages
    expect(mm.unmap(root, 0, 0x20_0000, SHIFT_4K)).toBe(PT_ERR.sizeMismatch);
    expect(mm.unmap(root, 0, 0x60_0000, SHIFT_2M)).toBe(PT_ERR.sizeMismatch);
    expect(mm.unmap(root, 0, 0x60_0000, SHIFT_4K)).toBe(PT_ERR.notMapped);
    expect(mm.ptCheck(root)).toBe(0);
  });

  it("frees intermediate tables that unmap leaves empty, and only those", () => {
    const mm = boot().exports;
    const root = mm.ptCreate();
    const free = mm.framesFreeTotal();
    expect(mm.map(root, 0x12, 0x3456_7000, 0x80_0000, SHIFT_4K, PTE.R)).toBe(0);
    expect(mm.map(root, 0x12, 0x3456_8000, 0x80_1000, SHIFT_4K, PTE.R)).toBe(0);
    expect(mm.framesFreeTotal()).toBe(free - 3);
    expect(mm.unmap(root, 0x12, 0x3456_7000, SHIFT_4K)).toBe(0);
    expect(mm.framesFreeTotal()).toBe(free - 3); // the neighbour keeps the path alive
    expect(mm.translate(root, 0x12, 0x3456_8000)).toBe(0x80_1000);
    expect(mm.unmap(root, 0x12, 0x3456_8000, SHIFT_4K)).toBe(0);
    expect(mm.framesFreeTotal()).toBe(free);
    expect(mm.ptCountTables(root)).toBe(1);
    expect(mm.unmap(root, 0x12, 0x3456_8000, SHIFT_4K)).toBe(PT_ERR.notMapped);
    expect(mm.framesCheck()).toBe(0);
  });

  it("destroy returns every table frame, root included, and leaves leaf frames alone", () => {
    const mm = boot().exports;
    const start = mm.framesFreeTotal();
    const leaf = mm.frameAlloc(0, KIND.user);
    const root = mm.ptCreate();
    for (let i = 0; i < 40; i++) expect(mm.map(root, i, 0x1000 * i, leaf, SHIFT_4K, PTE.R | PTE.U)).toBe(0);
    expect(mm.map(root, 0, 0x4000_0000, 0, SHIFT_1G, PTE.R)).toBe(0);
    const tables = mm.ptCountTables(root);
    expect(mm.framesFreeTotal()).toBe(start - 1 - tables);
    expect(mm.ptDestroy(root)).toBe(tables);
    expect(mm.framesFreeTotal()).toBe(start - 1);
    expect(mm.frameKind(leaf)).toBe(KIND.user);
    expect(mm.frameFree(leaf, 0)).toBe(0);
    expect(mm.framesCheck()).toBe(0);
  });

  it("out of memory while building the path leaves nothing half-built", () => {
    const mm = boot(8 * MIB).exports;
    const root = mm.ptCreate();
    const hog: number[] = [];
    for (let pa = mm.frameAlloc(0, KIND.kernel); pa !== 0; pa = mm.frameAlloc(0, KIND.kernel)) hog.push(pa);
    // Leave two frames: a fresh 4 KiB path needs three tables.
    expect(mm.frameFree(hog.pop()!, 0)).toBe(0);
    expect(mm.frameFree(hog.pop()!, 0)).toBe(0);
    expect(mm.map(root, 0, 0x1000, 0x80_0000, SHIFT_4K, PTE.R)).toBe(PT_ERR.noMemory);
    expect(mm.framesFreeTotal()).toBe(2);
    expect(mm.ptCountTables(root)).toBe(1);
    expect(mm.ptCheck(root)).toBe(0);
    expect(mm.translate(root, 0, 0x1000)).toBe(-1);
    // Two tables are enough for a 2 MiB page.
    expect(mm.map(root, 0, 0x20_0000, 0x40_0000, SHIFT_2M, PTE.R)).toBe(0);
    expect(mm.framesFreeTotal()).toBe(0);
    expect(mm.framesCheck()).toBe(0);
  });

  it("protect replaces the flags of the page starting at the address", () => {
    const mm = boot().exports;
    const root = mm.ptCreate();
    expect(mm.map(root, 0, 0x20_0000, 0x40_0000, SHIFT_2M, PTE.R | PTE.W)).toBe(0);
    expect(mm.protect(root, 0, 0x20_0000, PTE.R | PTE.X | PTE.U)).toBe(0);
    expect(mm.leafFlags(root, 0, 0x21_0000)).toBe(PTE.R | PTE.X | PTE.U | PTE.V);
    expect(mm.translate(root, 0, 0x21_0000)).toBe(0x41_0000);
    expect(mm.protect(root, 0, 0x21_0000, PTE.R)).toBe(PT_ERR.misaligned);
    expect(mm.protect(root, 0, 0x60_0000, PTE.R)).toBe(PT_ERR.notMapped);
    expect(mm.protect(root, 0, 0x20_0000, PTE.W)).toBe(PT_ERR.badFlags);
  });

  it("walk reports table, index and entry for each level", () => {
    const t = boot();
    const mm = t.exports;
    const root = mm.ptCreate();
    const va = 0x12_3456_7000n;
    expect(mm.map(root, hi(va), lo(va), 0x80_0000, SHIFT_4K, PTE.R)).toBe(0);
    expect(mm.walk(root, hi(va), lo(va), WALK_OUT)).toBe(0);
    const view = new DataView(t.memory.buffer, WALK_OUT, 64);
    expect(view.getUint32(0, true)).toBe(root);
    for (let r = 0; r < 4; r++) {
      const level = 3 - r;
      expect(view.getUint32(r * 16 + 4, true)).toBe(Number((va >> BigInt(12 + 9 * level)) & 0x1ffn));
      const entry = view.getBigUint64(r * 16 + 8, true);
      expect(entry & 1n).toBe(1n);
      if (r < 3) expect(Number((entry >> 10n) << 12n)).toBe(view.getUint32((r + 1) * 16, true));
      else expect(Number((entry >> 10n) << 12n)).toBe(0x80_0000);
    }
    expect(mm.walk(root, 0x80, 0, WALK_OUT)).toBe(PT_ERR.notMapped); // root entry 1 is empty
    expect(view.getUint32(16, true)).toBe(0); // level 2 not reached
  });
});

// ---------------------------------------------------------------------------
describe("page tables: randomized against a model", () => {
  const GIB = 1n << 30n, MIB2 = 1n << 21n, KIB4 = 1n << 12n;
  // Three windows of 4 GiB: low, top of the lower half, bottom of the upper half.
  const WINDOWS = [0x0000_0000_0000n, 0x7ffc_0000_0000n, 0xffff_8000_0000_0000n];
  const SIZES = [KIB4, MIB2, GIB];
  const SHIFTS = [SHIFT_4K, SHIFT_2M, SHIFT_1G];
  const VALID_FLAGS = [PTE.R, PTE.R | PTE.W, PTE.X, PTE.R | PTE.X, PTE.R | PTE.W | PTE.X];

  interface Mapping { va: bigint; pa: number; size: bigint; flags: number }
  type Op =
    | { t: "map"; w: number; s: number; g: number; m: number; p: number; paSlot: number; flags: number; extra: number; bad: boolean }
    | { t: "unmap"; w: number; s: number; g: number; m: number; p: number }
    | { t: "protect"; pick: number; flags: number }
    | { t: "unmapLive"; pick: number };

  const place = { w: fc.nat(2), s: fc.nat(2), g: fc.nat(3), m: fc.nat(3), p: fc.nat(7) };
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 5, arbitrary: fc.record({ t: fc.constant("map" as const), ...place, paSlot: fc.nat(1000), flags: fc.constantFrom(...VALID_FLAGS), extra: fc.nat(0xf), bad: fc.boolean() }) },
    { weight: 2, arbitrary: fc.record({ t: fc.constant("unmap" as const), ...place }) },
    { weight: 2, arbitrary: fc.record({ t: fc.constant("unmapLive" as const), pick: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant("protect" as const), pick: fc.nat(), flags: fc.constantFrom(...VALID_FLAGS) }) },
  );

  const vaOf = (o: { w: number; s: number; g: number; m: number; p: number }): bigint => {
    let va = WINDOWS[o.w]! + BigInt(o.g) * GIB;
    if (o.s <= 1) va += BigInt(o.m) * MIB2;
    if (o.s === 0) va += BigInt(o.p) * KIB4;
    return va;
  };
  const paOf = (s: number, slot: number): number =>
    s === 0 ? (slot % 4096) * PAGE : s === 1 ? (slot % 2048) * 0x20_0000 : (slot % 4) * 0x4000_0000;

  function expectedTables(model: Map<bigint, Mapping>): number {
    const l2 = new Set<bigint>(), l1 = new Set<bigint>(), l0 = new Set<bigint>();
    for (const m of model.values()) {
      const v = m.va & 0xffff_ffff_ffffn;
      l2.add(v >> 39n);
      if (m.size <= MIB2) l1.add(v >> 30n);
      if (m.size === KIB4) l0.add(v >> 21n);
    }
    return 1 + l2.size + l1.size + l0.size;
  }

  it("translate agrees with the model after every map, unmap and protect", () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 120 }), fc.array(fc.nat(0x3fff_ffff), { minLength: 8, maxLength: 8 }), (ops, offsets) => {
        const t = boot();
        const mm = t.exports;
        const startFree = mm.framesFreeTotal();
        const root = mm.ptCreate();
        const model = new Map<bigint, Mapping>();
        const containing = (va: bigint): Mapping | undefined => {
          for (const m of model.values()) if (va >= m.va && va < m.va + m.size) return m;
          return undefined;
        };
        const intersecting = (va: bigint, size: bigint): Mapping[] =>
          [...model.values()].filter((m) => m.va < va + size && va < m.va + m.size);

        for (const o of ops) {
          if (o.t === "map") {
            const va = vaOf(o);
            const size = SIZES[o.s]!;
            const pa = paOf(o.s, o.paSlot);
            const flags = o.bad ? PTE.W | (o.extra & PTE.U) : o.flags | ((o.extra & 0xf) << 4);
            const r = mm.map(root, hi(va), lo(va), pa, SHIFTS[o.s]!, flags);
            if (o.bad) expect(r).toBe(PT_ERR.badFlags);
            else if (intersecting(va, size).length > 0) expect(r).toBe(PT_ERR.exists);
            else {
              expect(r).toBe(0);
              model.set(va, { va, pa, size, flags });
            }
          } else if (o.t === "unmap" || o.t === "unmapLive") {
            let va: bigint, s: number;
            if (o.t === "unmap") { va = vaOf(o); s = o.s; } else {
              if (model.size === 0) continue;
              const m = [...model.values()][o.pick % model.size]!;
              va = m.va; s = SIZES.indexOf(m.size);
            }
            const size = SIZES[s]!;
            const exact = model.get(va);
            const r = mm.unmap(root, hi(va), lo(va), SHIFTS[s]!);
            if (exact && exact.size === size) { expect(r).toBe(0); model.delete(va); }
            else if (containing(va) || intersecting(va, size).length > 0) expect(r).toBe(PT_ERR.sizeMismatch);
            else expect(r).toBe(PT_ERR.notMapped);
          } else {
            if (model.size === 0) continue;
            const m = [...model.values()][o.pick % model.size]!;
            expect(mm.protect(root, hi(m.va), lo(m.va), o.flags)).toBe(0);
            m.flags = o.flags;
          }

          // Every mapping translates, at its base and at a sampled offset.
          for (const m of model.values()) {
            const off = BigInt(offsets[Number(m.va >> 12n) & 7]!) % m.size;
            expect(mm.translate(root, hi(m.va), lo(m.va))).toBe(m.pa);
            expect(mm.translate(root, hi(m.va + off), lo(m.va + off))).toBe(m.pa + Number(off));
            expect(mm.leafFlags(root, hi(m.va + off), lo(m.va + off))).toBe(m.flags | PTE.V);
          }
          // Sampled addresses in the windows agree, mapped or not.
          for (const [i, off] of offsets.entries()) {
            const va = WINDOWS[i % 3]! + BigInt(i % 4) * GIB + BigInt(off);
            const m = containing(va);
            expect(mm.translate(root, hi(va), lo(va))).toBe(m ? m.pa + Number(va - m.va) : -1);
          }
          const tables = expectedTables(model);
          expect(mm.ptCountTables(root)).toBe(tables);
          expect(mm.framesFreeTotal()).toBe(startFree - tables);
          expect(mm.ptCheck(root)).toBe(0);
          expect(mm.framesCheck()).toBe(0);
        }
        expect(mm.ptDestroy(root)).toBe(expectedTables(model));
        expect(mm.framesFreeTotal()).toBe(startFree);
        expect(mm.framesCheck()).toBe(0);
      }),
      { numRuns: 100 },
    );
  });
});

// ---------------------------------------------------------------------------
describe("slab allocator: directed", () => {
  function bootSlab(ramBytes?: number): Instance {
    const t = boot(ramBytes);
    expect(t.exports.slabInit()).toBe(0);
    expect(t.exports.slabCheck()).toBe(0);
    return t;
  }

  it("serves each size from the smallest power-of-two class that fits", () => {
    const mm = bootSlab().exports;
    const sizes = [1, 16, 17, 32, 33, 100, 256, 1000, 2048];
    const classes = [0, 0, 1, 1, 2, 3, 4, 6, 7];
    sizes.forEach((size, i) => {
      const p = mm.kmalloc(size);
      expect(p).not.toBe(0);
      expect(p % 16).toBe(0);
      expect(mm.slabStat(classes[i]!, SLAB_STAT.inUse)).toBeGreaterThan(0);
      expect(mm.frameKind(p)).toBe(KIND.slab);
    });
    expect(mm.slabStat(5, SLAB_STAT.inUse)).toBe(0);
    expect(mm.slabStat(0, SLAB_STAT.objectSize)).toBe(16);
    expect(mm.slabStat(7, SLAB_STAT.objectSize)).toBe(2048);
    expect(mm.slabCheck()).toBe(0);
  });

  it("refuses a double free and pointers it never handed out", () => {
    const t = bootSlab();
    const mm = t.exports;
    const p = mm.kmalloc(64);
    const q = mm.kmalloc(64);
    expect(mm.kfree(p)).toBe(0);
    expect(mm.kfree(p)).toBe(SLAB_ERR.doubleFree);
    expect(mm.kfree(q + 8)).toBe(SLAB_ERR.badPointer);
    expect(mm.kfree(q - (q % PAGE))).toBe(SLAB_ERR.badPointer); // the slab header
    expect(mm.kfree(0xb8000)).toBe(SLAB_ERR.badPointer);
    const frame = mm.frameAlloc(0, KIND.kernel);
    expect(mm.kfree(frame)).toBe(SLAB_ERR.badPointer); // a frame, not a kmalloc block
    expect(mm.kfree(0)).toBe(0);
    expect(mm.slabCheck()).toBe(0);
    expect(mm.kfree(q)).toBe(0);
  });

  it("moves slabs between partial, full and empty and returns spare empties to the frame allocator", () => {
    const mm = bootSlab().exports;
    mm.setCaching(0); // the slab lists themselves, without the magazines in front
    const start = mm.framesFreeTotal();
    const per = mm.slabStat(7, SLAB_STAT.perSlab);
    const order = mm.slabStat(7, SLAB_STAT.slabOrder);
    const objs = Array.from({ length: 2 * per }, () => mm.kmalloc(2048));
    expect(objs.every((p) => p !== 0)).toBe(true);
    expect(mm.slabStat(7, SLAB_STAT.full)).toBe(2);
    expect(mm.framesFreeTotal()).toBe(start - 2 * (1 << order));
    expect(mm.kfree(objs[0]!)).toBe(0);
    expect(mm.slabStat(7, SLAB_STAT.partial)).toBe(1);
    for (const p of objs.slice(1)) expect(mm.kfree(p)).toBe(0);
    expect(mm.slabStat(7, SLAB_STAT.empty)).toBe(1); // one kept for reuse
    expect(mm.framesFreeTotal()).toBe(start - (1 << order));
    expect(mm.slabShrink()).toBe(1 << order);
    expect(mm.framesFreeTotal()).toBe(start);
    expect(mm.slabCheck()).toBe(0);
  });

  it("serves requests above 2 KiB with whole frame blocks", () => {
    const mm = bootSlab().exports;
    const start = mm.framesFreeTotal();
    const p = mm.kmalloc(3 * PAGE);
    expect(p % PAGE).toBe(0);
    expect(mm.frameOrder(p)).toBe(2);
    expect(mm.framesFreeTotal()).toBe(start - 4);
    expect(mm.kfree(p + PAGE)).toBe(SLAB_ERR.badPointer);
    expect(mm.kfree(p)).toBe(0);
    expect(mm.kfree(p)).toBeLessThan(0);
    expect(mm.framesFreeTotal()).toBe(start);
    expect(mm.kmalloc(8 * MIB)).toBe(0); // above a 4 MiB block
    expect(mm.kmalloc(0)).toBe(0);
  });

  it("typed caches round the object size up to 16 bytes", () => {
    const mm = bootSlab().exports;
    const id = mm.cacheCreate(40);
    expect(id).toBeGreaterThanOrEqual(8);
    expect(mm.slabStat(id, SLAB_STAT.objectSize)).toBe(48);
    const a = mm.cacheAlloc(id), b = mm.cacheAlloc(id);
    expect(Math.abs(b - a)).toBe(48);
    expect(mm.cacheCreate(0)).toBe(SLAB_ERR.badSize);
    expect(mm.cacheCreate(4096)).toBe(SLAB_ERR.badSize);
    expect(mm.kfree(a)).toBe(0);
    expect(mm.kfree(b)).toBe(0);
    expect(mm.slabCheck()).toBe(0);
  });

  it("returns 0 cleanly when frames run out, and recovers", () => {
    const mm = bootSlab(8 * MIB).exports;
    const got: number[] = [];
    for (let p = mm.kmalloc(1024); p !== 0; p = mm.kmalloc(1024)) got.push(p);
    expect(got.length).toBeGreaterThan(1000);
    expect(mm.slabCheck()).toBe(0);
    expect(mm.framesCheck()).toBe(0);
    for (const p of got) expect(mm.kfree(p)).toBe(0);
    mm.slabShrink();
    expect(mm.kmalloc(1024)).not.toBe(0);
    expect(mm.slabCheck()).toBe(0);
  });
});

describe("slab allocator: randomized", () => {
  type Op = { t: "alloc"; size: number } | { t: "cache"; pick: number } | { t: "free"; pick: number } | { t: "stale"; pick: number };
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 5, arbitrary: fc.record({ t: fc.constant("alloc" as const), size: fc.oneof(fc.integer({ min: 1, max: 256 }), fc.integer({ min: 1, max: 3 * PAGE })) }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant("cache" as const), pick: fc.nat(2) }) },
    { weight: 4, arbitrary: fc.record({ t: fc.constant("free" as const), pick: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant("stale" as const), pick: fc.nat() }) },
  );
  const CACHE_SIZES = [24, 200, 1500];

  it("never hands out overlapping objects and keeps every invariant after every step", () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 200 }), (ops) => {
        const t = loadKernelTest<Mm>("mm", { ramBytes: 16 * MIB });
        const mm = t.exports;
        expect(mm.framesInit()).toBe(0);
        expect(mm.slabInit()).toBe(0);
        const caches = CACHE_SIZES.map((s) => mm.cacheCreate(s));
        const startFree = mm.framesFreeTotal();
        const ram = new Uint8Array(t.memory.buffer);
        const live = new Map<number, { bytes: number; tag: number }>();
        const stale: number[] = [];
        let tag = 1;
        const take = (p: number, bytes: number): void => {
          expect(p).not.toBe(0);
          expect(p % 16).toBe(0);
          for (const [q, v] of live) expect(p < q + v.bytes && q < p + bytes).toBe(false);
          const mark = tag++ & 0xff;
          ram.fill(mark, p, p + bytes);
          live.set(p, { bytes, tag: mark });
        };
        for (const o of ops) {
          if (o.t === "alloc") {
            take(mm.kmalloc(o.size), o.size <= 2048 ? Math.max(16, 2 ** Math.ceil(Math.log2(o.size))) : o.size);
          } else if (o.t === "cache") {
            take(mm.cacheAlloc(caches[o.pick]!), Math.ceil(CACHE_SIZES[o.pick]! / 16) * 16);
          } else if (o.t === "free") {
            if (live.size === 0) continue;
            const keys = [...live.keys()];
            const p = keys[o.pick % keys.length]!;
            const { bytes, tag: mark } = live.get(p)!;
            // Nobody else wrote into the object while it was ours.
            expect(ram.subarray(p, p + bytes).every((b) => b === mark)).toBe(true);
            expect(mm.kfree(p)).toBe(0);
            live.delete(p);
            stale.push(p);
          } else {
            const insideLive = (p: number): boolean => [...live].some(([q, v]) => p >= q && p < q + v.bytes);
            const candidates = stale.filter((p) => !insideLive(p));
            if (candidates.length === 0) continue;
            const before = mm.framesFreeTotal();
            expect(mm.kfree(candidates[o.pick % candidates.length]!)).toBeLessThan(0);
            expect(mm.framesFreeTotal()).toBe(before);
          }
          expect(mm.slabCheck()).toBe(0);
          expect(mm.framesCheck()).toBe(0);
        }
        for (const p of live.keys()) expect(mm.kfree(p)).toBe(0);
        mm.slabShrink();
        expect(mm.framesFreeTotal()).toBe(startFree);
        expect(mm.slabCheck()).toBe(0);
      }),
      { numRuns: 100 },
    );
  });
});

describe("per-vCPU frame caches and magazines: randomized across simulated vCPUs", () => {
  // Mirrors of mm/pcpu.ts.
  const FRAMES_MAX = 64, MAGAZINE_MAX = 31, CPUS = 4;
  const CLASS_BYTES = [16, 32, 64, 128, 256, 512, 1024, 2048];
  const step = fc.oneof(
    { weight: 6, arbitrary: fc.record({ t: fc.constant("frame" as const), cpu: fc.nat(CPUS - 1), order: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat(2) }) }) },
    { weight: 5, arbitrary: fc.record({ t: fc.constant("unframe" as const), cpu: fc.nat(CPUS - 1), pick: fc.nat() }) },
    { weight: 5, arbitrary: fc.record({ t: fc.constant("kmalloc" as const), cpu: fc.nat(CPUS - 1), cls: fc.nat(7) }) },
    { weight: 5, arbitrary: fc.record({ t: fc.constant("kfree" as const), cpu: fc.nat(CPUS - 1), pick: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant("refree" as const), cpu: fc.nat(CPUS - 1), pick: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant("drain" as const) }) },
    // A burst: one vCPU allocates many frames, another frees them (caches fill and drain).
    { weight: 1, arbitrary: fc.record({ t: fc.constant("burst" as const), cpu: fc.nat(CPUS - 1), to: fc.nat(CPUS - 1), n: fc.integer({ min: 20, max: 1400 }) }) },
  );

  it("never hands a frame or object out twice, keeps the counts exact and the caches within bounds after every step", () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 150 }), (steps) => {
        // The smallest RAM the harness allows (the kernel image + 4 MiB);
        // the bursts below can still run the buddy lists dry.
        const t = loadKernelTest<Mm>("mm", { ramBytes: 6 * MIB });
        const mm = t.exports;
        mm.locksInit();
        expect(mm.framesInit()).toBe(0);
        expect(mm.slabInit()).toBe(0);
        const total = mm.framesTotal();
        const fixedUse = mm.framesInUse(KIND.frametable);
        const frames = new Map<number, number>(); // pa -> order
        const objects = new Map<number, number>(); // address -> class
        const freedFrames: number[] = [];
        const freedObjects: number[] = [];
        const occupied = new Set<number>(); // frame indices handed out
        const allocFrame = (cpu: number, order: number): number => {
          mm.cpuSetIndex(cpu);
          const pa = mm.frameAlloc(order, KIND.kernel);
          if (pa === 0) {
            // Refused only when no block of the order is free anywhere.
            expect(mm.framesDrainCaches()).toBe(0);
            return 0;
          }
          for (let f = 0; f < 1 << order; f++) {
            if (occupied.has(pa / PAGE + f)) expect.fail(`frame ${pa / PAGE + f} handed out twice`);
            occupied.add(pa / PAGE + f);
          }
          expect(mm.frameKind(pa)).toBe(KIND.kernel);
          expect(mm.frameOrder(pa)).toBe(order);
          frames.set(pa, order);
          return pa;
        };
        const release = (pa: number): void => {
          for (let f = 0; f < 1 << frames.get(pa)!; f++) occupied.delete(pa / PAGE + f);
          frames.delete(pa);
        };
        for (const s of steps) {
          if (s.t === "frame") allocFrame(s.cpu, s.order);
          else if (s.t === "unframe" && frames.size > 0) {
            const pa = [...frames.keys()][s.pick % frames.size]!;
            mm.cpuSetIndex(s.cpu);
            expect(mm.frameFree(pa, frames.get(pa)!)).toBe(0);
            release(pa);
            freedFrames.push(pa);
          } else if (s.t === "kmalloc") {
            mm.cpuSetIndex(s.cpu);
            const p = mm.kmalloc(CLASS_BYTES[s.cls]!);
            if (p !== 0) {
              expect(objects.has(p), "object handed out twice").toBe(false);
              objects.set(p, s.cls);
            }
          } else if (s.t === "kfree" && objects.size > 0) {
            const p = [...objects.keys()][s.pick % objects.size]!;
            mm.cpuSetIndex(s.cpu);
            expect(mm.kfree(p)).toBe(0);
            objects.delete(p);
            freedObjects.push(p);
          } else if (s.t === "refree") {
            // A second free of something freed (and not handed out again) is refused, wherever it sits now.
            mm.cpuSetIndex(s.cpu);
            // (Not handed out again: to this model, nor to a slab, which takes frames too.)
            const f = freedFrames.filter((pa) => !occupied.has(pa / PAGE) && mm.frameKind(pa) === KIND.free);
            if (f.length > 0) expect(mm.frameFree(f[s.pick % f.length]!, 0)).toBeLessThan(0);
            const o = freedObjects.filter((p) => !objects.has(p));
            if (o.length > 0) expect(mm.kfree(o[s.pick % o.length]!)).toBeLessThan(0);
          } else if (s.t === "drain") {
            mm.slabDrainMagazines(); // first: a slab it empties may give its frames to a cache
            mm.framesDrainCaches();
            for (let c = 0; c < CPUS; c++) expect(mm.framesCachedOn(c)).toBe(0);
            expect(mm.framesCached()).toBe(0);
          } else if (s.t === "burst") {
            const mine: number[] = [];
            for (let i = 0; i < s.n; i++) {
              const pa = allocFrame(s.cpu, 0);
              if (pa !== 0) mine.push(pa);
            }
            mm.cpuSetIndex(s.to);
            for (const pa of mine) { expect(mm.frameFree(pa, 0)).toBe(0); release(pa); }
          }
          // Invariants after every step.
          expect(mm.framesCheck()).toBe(0);
          expect(mm.slabCheck()).toBe(0);
          for (let c = 0; c < CPUS; c++) {
            expect(mm.framesCachedOn(c)).toBeLessThanOrEqual(FRAMES_MAX);
            for (let k = 0; k < 8; k++) expect(mm.magazineObjects(c, k)).toBeLessThanOrEqual(MAGAZINE_MAX);
          }
          const held = [...frames.values()].reduce((a, o) => a + (1 << o), 0);
          expect(mm.framesInUse(KIND.kernel)).toBe(held);
          // Cached frames count as free: free + every use = all managed frames.
          expect(mm.framesFreeTotal() + held + mm.framesInUse(KIND.slab) + fixedUse).toBe(total);
          for (let k = 0; k < 8; k++) {
            expect(mm.slabStat(k, SLAB_STAT.inUse)).toBe([...objects.values()].filter((c) => c === k).length);
          }
        }
        // Everything back: with the caches and magazines drained and the kept
        // slabs returned, the buddy lists are as at boot.
        for (const [p] of objects) expect(mm.kfree(p)).toBe(0);
        for (const [pa, o] of frames) expect(mm.frameFree(pa, o)).toBe(0);
        mm.slabShrink();
        mm.framesDrainCaches();
        expect(mm.framesFreeTotal()).toBe(total - fixedUse);
        expect(mm.framesCheck()).toBe(0);
      }),
      { numRuns: 40 },
    );
  }, 120_000);

  it("an allocation takes the frames other vCPUs cache before it fails: every free frame can be allocated", () => {
    const t = boot(6 * MIB);
    const mm = t.exports;
    mm.locksInit();
    mm.cpuSetIndex(1);
    const some = Array.from({ length: 40 }, () => mm.frameAlloc(0, KIND.kernel));
    for (const pa of some) expect(mm.frameFree(pa, 0)).toBe(0);
    expect(mm.framesCachedOn(1)).toBeGreaterThan(30);
    const free = mm.framesFreeTotal();
    mm.cpuSetIndex(0);
    let got = 0;
    while (mm.frameAlloc(0, KIND.kernel) !== 0) got++;
    expect(got).toBe(free);
    expect(mm.framesFreeTotal()).toBe(0);
    expect(mm.framesCheck()).toBe(0);
  });

  it("a larger block can be made of frames the caches hold: they are drained before it fails", () => {
    const t = boot(6 * MIB);
    const mm = t.exports;
    mm.locksInit();
    const singles = freeCounts(mm)[0]!; // order-0 blocks at boot: no buddy to pair with
    mm.cpuSetIndex(1);
    const all: number[] = [];
    for (let pa = mm.frameAlloc(0, KIND.kernel); pa !== 0; pa = mm.frameAlloc(0, KIND.kernel)) all.push(pa);
    for (const pa of all) expect(mm.frameFree(pa, 0)).toBe(0);
    expect(mm.framesCachedOn(1)).toBeGreaterThan(40);
    mm.cpuSetIndex(0);
    while (mm.frameAlloc(1, KIND.kernel) !== 0);
    // Every frame that has a buddy went into an order-1 block, the cached ones too.
    expect(mm.framesFreeTotal()).toBe(singles);
    expect(mm.framesCheck()).toBe(0);
  });

  it("a frame freed on another vCPU lands in that vCPU's cache, and the plain locked path is used when caching is off", () => {
    const t = boot();
    const mm = t.exports;
    mm.locksInit();
    mm.cpuSetIndex(0);
    const pa = mm.frameAlloc(0, KIND.kernel);
    expect(mm.framesCachedOn(0)).toBe(15); // a batch of 16 came in, one went out
    mm.cpuSetIndex(1);
    expect(mm.frameFree(pa, 0)).toBe(0);
    expect(mm.framesCachedOn(1)).toBe(1);
    expect(mm.frameFree(pa, 0)).toBe(-7); // double free: it is cached, not allocated
    mm.setCaching(0);
    expect(mm.framesCached()).toBe(0);
    const pb = mm.frameAlloc(0, KIND.kernel);
    expect(mm.framesCachedOn(1)).toBe(0);
    expect(mm.frameFree(pb, 0)).toBe(0);
    expect(mm.framesCheck()).toBe(0);
  });
});
