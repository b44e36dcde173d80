// The system-call fuzzer (user/prog/fuzz.c, host/fuzz/driver.ts,
// docs/fuzzing.md): a fixed budget of seeds on every test run, each checked
// for panics, hangs, frames or kernel objects not given back, and the
// disk's consistency, also after a power cut in the middle of a run.
// KEEL_FUZZ_SEEDS / KEEL_FUZZ_CALLS make it a long campaign:
//   KEEL_FUZZ_SEEDS=1-100 KEEL_FUZZ_CALLS=200000 npx vitest run host/fuzz
// (or `npm run fuzz` for the same from the command line).

import { describe, expect, it } from "vitest";
import { runFuzz, describeResult, memoryLeaks, type FuzzResult } from "./driver.js";
import type { MemoryUsage } from "../inspect-types.js";

const long = process.env.KEEL_FUZZ_SEEDS !== undefined || process.env.KEEL_FUZZ_CALLS !== undefined;
const CALLS = Number(process.env.KEEL_FUZZ_CALLS ?? 25_000);
function seedList(): number[] {
  const spec = process.env.KEEL_FUZZ_SEEDS ?? "1-6";
  const range = /^(\d+)-(\d+)$/.exec(spec);
  if (range) return Array.from({ length: Number(range[2]) - Number(range[1]) + 1 }, (_, i) => Number(range[1]) + i);
  return Array.from({ length: Number(spec) }, (_, i) => i + 1);
}

function expectClean(r: FuzzResult): void {
  const what = describeResult(r);
  expect(r.panic, what).toBeNull();
  expect(r.hung, what).toBe(false);
  expect(r.leaks, what).toEqual([]);
  expect(r.fsckProblems, what).toEqual([]);
}

describe("the system-call fuzzer", () => {
  it(`runs ${long ? "the requested" : "a fixed"} budget of seeds: no panic, no hang, every frame back, fsck clean`, () => {
    let total = 0;
    for (const seed of seedList()) {
      const r = runFuzz({ seed, calls: CALLS });
      expectClean(r);
      expect(r.calls, describeResult(r)).toBeGreaterThanOrEqual(CALLS);
      total += r.calls;
    }
    expect(total).toBeGreaterThanOrEqual(CALLS * seedList().length);
  }, long ? 24 * 3600_000 : 120_000);

  it("runs clean and repeats bit for bit at 4 vCPUs (deterministic, a short run)", () => {
    const a = runFuzz({ seed: 7, calls: 3000, cpus: 4 });
    expectClean(a);
    expect(a.calls, describeResult(a)).toBeGreaterThanOrEqual(3000);
    const b = runFuzz({ seed: 7, calls: 3000, cpus: 4 });
    expect(b.output).toBe(a.output);
    expect(b.virtualMs).toBe(a.virtualMs);
    expect(b.framesAfter).toEqual(a.framesAfter);
  }, 120_000);

  it("is deterministic: a seed gives the same run twice", () => {
    const a = runFuzz({ seed: 42, calls: 4000 });
    const b = runFuzz({ seed: 42, calls: 4000 });
    expect(b.output).toBe(a.output);
    expect(b.virtualMs).toBe(a.virtualMs);
    expect(b.framesAfter).toEqual(a.framesAfter);
  }, 60_000);

  it("leaves a disk fsck finds clean when the power is cut in the middle of a run", () => {
    const whole = runFuzz({ seed: 3, calls: 8000 });
    expectClean(whole);
    expect(whole.writes).toBeGreaterThan(20);
    for (const fraction of [0.3, 0.7]) {
      const at = Math.max(1, Math.floor(whole.writes * fraction));
      const cut = runFuzz({ seed: 3, calls: 8000, cutAtWrite: at });
      expect(cut.cut, `power cut at write ${at}`).toBe(true);
      expect(cut.panic, `power cut at write ${at}`).toBeNull();
      expect(cut.fsckProblems, `after recovery, power cut at write ${at}`).toEqual([]);
    }
  }, 120_000);
});

describe("the fuzz driver's checks", () => {
  it("calls a run that does not come back in its virtual-time allowance hung", () => {
    const r = runFuzz({ seed: 1, calls: 1000, command: "sleep 100000000", msPerThousandCalls: 1 });
    expect(r.hung).toBe(true);
    expect(describeResult(r)).toContain("HUNG");
  }, 60_000);

  it("names what did not come back, and lets caches keep frames", () => {
    const usage = (userFrames: number, blockCache: number, inUse: number): MemoryUsage => ({
      managed: 1000, free: 900 - userFrames - blockCache, reserved: 0,
      uses: { "user memory": userFrames, "block cache": blockCache, "slab caches": 2 },
      caches: [{ id: 3, name: "kmalloc-32", objectSize: 32, inUse, perSlab: 128, frames: 1 }],
    });
    expect(memoryLeaks(usage(10, 5, 7), usage(10, 40, 7))).toEqual([]);
    expect(memoryLeaks(usage(10, 5, 7), usage(13, 5, 9))).toEqual(["user memory +3", "slab kmalloc-32 +2 objects"]);
  });
});
