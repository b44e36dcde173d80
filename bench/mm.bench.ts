// Memory core: frame allocate+free, map+unmap of a 4 KiB page, translate and
// kmalloc+kfree, each timed around one wasm call that runs N operations
// (build/tests/mm.wasm, the same code the kernel runs). N is calibrated so
// one timed call takes about TARGET_MS; the best of ROUNDS calls is reported.

import { loadKernelTest } from "../host/testing/kernel-test.js";
import type { BenchRow } from "./run.js";

interface MmBench {
  framesInit(): number;
  slabInit(): number;
  ptCreate(): number;
  frameAlloc(order: number, kind: number): number;
  benchAllocFree(n: number): number;
  benchMapUnmap(root: number, pa: number, n: number): number;
  benchTranslate(root: number, pa: number, n: number): number;
  benchKmalloc(size: number, n: number): number;
}

const TARGET_MS = 200;
const ROUNDS = 5;
const WARMUP_CALLS = 20;
const WARMUP_OPS = 20_000;
const KIND_USER = 4;

/** ns per operation of `run(n)`, which performs n operations and returns a failure count. */
function measure(label: string, run: (n: number) => number): number {
  // Warm up so V8 has tiered the loop and its callees up from the baseline compiler.
  for (let i = 0; i < WARMUP_CALLS; i++) run(WARMUP_OPS);
  let n = 1000;
  for (;;) {
    const t0 = performance.now();
    run(n);
    const ms = performance.now() - t0;
    if (ms >= TARGET_MS / 4 || n >= 1 << 28) {
      n = Math.max(1, Math.round((n * TARGET_MS) / Math.max(ms, 1e-3)));
      break;
    }
    n *= 4;
  }
  let best = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    const failures = run(n);
    const ms = performance.now() - t0;
    if (failures !== 0) throw new Error(`${label}: ${failures} failed operations`);
    best = Math.min(best, ms);
  }
  return (best * 1e6) / n;
}

export default async function bench(): Promise<BenchRow[]> {
  const { exports: mm } = loadKernelTest<MmBench>("mm", { ramBytes: 64 * 1024 * 1024 });
  if (mm.framesInit() !== 0 || mm.slabInit() !== 0) throw new Error("mm bench: init failed");
  const root = mm.ptCreate();
  const leaf = mm.frameAlloc(0, KIND_USER);
  return [
    { name: "frame alloc+free (order 0)", value: measure("alloc+free", (n) => mm.benchAllocFree(n)), unit: "ns/op" },
    { name: "map+unmap 4 KiB page", value: measure("map+unmap", (n) => mm.benchMapUnmap(root, leaf, n)), unit: "ns/op" },
    { name: "translate (4-level walk)", value: measure("translate", (n) => (mm.benchTranslate(root, leaf, n), 0)), unit: "ns/op" },
    { name: "kmalloc+kfree 64 B", value: measure("kmalloc", (n) => mm.benchKmalloc(64, n)), unit: "ns/op" },
  ];
}
