// The kernel's locks and per-vCPU allocators from two real threads: the
// shared-memory builds of the lock and memory test entries
// (build/tests/*.shared.wasm) instantiated in two worker_threads over one
// shared WebAssembly.Memory, each worker one vCPU, hammering at once; the
// invariants are checked at the end on this thread. Counterpart of
// kernel-as/tests/lock.test.ts and mm.test.ts, which play the vCPUs in turn.

import { describe, expect, it } from "vitest";
import { runOnThreads, sharedMachine } from "./testing/threads.js";

interface LockE {
  locksInit(): void;
  lockStat(id: number, which: number): number;
  LOCK_TEST_A: { value: number };
}

interface MmE {
  locksInit(): void;
  framesInit(): number;
  slabInit(): number;
  framesCheck(): number;
  slabCheck(): number;
  framesFreeTotal(): number;
  framesTotal(): number;
  framesCached(): number;
  slabStat(id: number, stat: number): number;
  setCaching(on: number): void;
  lockStat(id: number, which: number): number;
}

const MIB = 1024 * 1024;
const COUNTER = 0x20000; // scratch: free in a test machine
const LOCK_FRAMES = 8, LOCK_SLAB = 7;
const SLAB_STAT_IN_USE = 3;

describe("locks from two real threads", () => {
  it("a plain counter incremented under a spinlock by two threads at once loses no update", async () => {
    const m = sharedMachine<LockE>("lock", 16 * MIB);
    m.exports.locksInit();
    const A = m.exports.LOCK_TEST_A.value;
    const N = 1_000_000;
    // The threads must really overlap (the lock's contended count says so);
    // on a busy machine one may run alone, so try a few times.
    let total = 0;
    for (let attempt = 0; attempt < 4 && m.exports.lockStat(A, 1) === 0; attempt++) {
      await runOnThreads(m, [[["hammer", A, COUNTER, N]], [["hammer", A, COUNTER, N]]]);
      total += 2 * N;
      expect(new Uint32Array(m.memory.buffer, COUNTER, 1)[0]).toBe(total);
    }
    expect(m.exports.lockStat(A, 0)).toBe(total); // every acquisition counted (under the lock)
    expect(m.exports.lockStat(A, 1)).toBeGreaterThan(0); // contended: they did run at once
    expect(m.exports.lockStat(A, 2)).toBeGreaterThan(0); // and spun
  }, 120_000);

  it("without the lock the same two threads do lose updates (the test above can fail)", async () => {
    const m = sharedMachine<LockE>("lock", 16 * MIB);
    const N = 30_000_000;
    // Two threads overlap only if the machine gives them two cores at once:
    // try a few times before calling it.
    let lost = false;
    for (let attempt = 0; attempt < 5 && !lost; attempt++) {
      new Uint32Array(m.memory.buffer, COUNTER, 1)[0] = 0;
      await runOnThreads(m, [[["hammerUnlocked", COUNTER, N]], [["hammerUnlocked", COUNTER, N]]]);
      lost = new Uint32Array(m.memory.buffer, COUNTER, 1)[0]! < 2 * N;
    }
    expect(lost).toBe(true);
  }, 120_000);

  it("a kmalloc object another vCPU's magazine has just drained is not taken for a double free when it is freed again", async () => {
    // Both threads churn batches of 32 objects of one class: magazines fill,
    // drain 16 to the cache, and the other thread's refill takes them at once.
    // A drain that gave its objects back before dropping them from the magazine
    // let the other thread's kfree find them there (its debug check looks in
    // every magazine) and refuse a sound free as a double free.
    const m = sharedMachine<MmE>("mm", 64 * MIB);
    const e = m.exports;
    e.locksInit();
    expect(e.framesInit()).toBe(0);
    expect(e.slabInit()).toBe(0);
    const batch = (cpu: number): (string | number)[] => ["benchKmallocBatch", 64, 32, [0x20000, 0x24000][cpu]!, 20_000];
    const run = await runOnThreads(m, [[batch(0)], [batch(1)]], [[["benchKmallocBatch", 64, 32, 0x20000, 100]], [["benchKmallocBatch", 64, 32, 0x24000, 100]]]);
    expect(run.results.map((r) => r[0])).toEqual([0, 0]);
    expect(e.slabCheck()).toBe(0);
    expect(e.slabStat(2, SLAB_STAT_IN_USE)).toBe(0);
  }, 120_000);

  for (const caching of [1, 0]) {
    it(`frames and kmalloc objects are never handed to both threads, and all come back (${caching ? "per-vCPU caches" : "plain locked allocator"})`, async () => {
      const m = sharedMachine<MmE>("mm", 64 * MIB);
      const e = m.exports;
      e.locksInit();
      expect(e.framesInit()).toBe(0);
      expect(e.slabInit()).toBe(0);
      e.setCaching(caching);
      const free = e.framesFreeTotal();
      const buf = [0x20000, 0x24000];
      // Until the two threads are seen to overlap (a contended acquisition
      // of the allocators' locks, theirs or the per-vCPU ones), a few tries.
      const contended = (): number => [LOCK_FRAMES, LOCK_SLAB, 16, 17, 24, 25].reduce((a, id) => a + e.lockStat(id, 1), 0);
      for (let attempt = 0; attempt < 4 && (attempt === 0 || (!caching && contended() === 0)); attempt++) {
        const run = await runOnThreads(m, [0, 1].map((cpu) => [["stress", 0x9e37 + cpu + attempt, 300, 100, buf[cpu]!]]));
        expect(run.results.map((r) => r[0])).toEqual([0, 0]); // no refusal, no lost tag, no refused free
      }
      if (!caching) expect(contended()).toBeGreaterThan(0);
      expect(e.framesCheck()).toBe(0);
      expect(e.slabCheck()).toBe(0);
      for (let k = 0; k < 8; k++) expect(e.slabStat(k, SLAB_STAT_IN_USE)).toBe(0);
      // Every frame is back: free again (the cached ones counted), or held by a slab.
      const slabFrames = free - e.framesFreeTotal();
      expect(slabFrames).toBeGreaterThanOrEqual(0);
      expect(slabFrames).toBeLessThanOrEqual(8 * 8 * 2 * 2); // at most a few slabs a class kept
      expect(e.lockStat(LOCK_FRAMES, 0)).toBeGreaterThan(0);
      expect(e.lockStat(LOCK_SLAB, 0)).toBeGreaterThan(0);
      if (!caching) expect(e.framesCached()).toBe(0);
    }, 120_000);
  }
});
