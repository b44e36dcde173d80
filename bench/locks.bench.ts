// Per-vCPU allocator caches against the plain locked allocator, from two
// real threads at once (docs/architecture.md "Locks"): the shared-memory
// build of the memory test entry with the release kernel's flags
// (build/tests/mm.shared.release.wasm: no assertions, no lock-order checks)
// in two worker_threads over one shared memory, each a vCPU, both allocating
// and freeing batches of 16 order-0 frames (frameAlloc/frameFree) or 16 objects
// of 64 bytes (kmalloc/kfree) at the same time; with the per-vCPU frame
// caches and magazines on, then off (every operation takes the frames or
// slab lock). Rounds alternate on and off so both see the same load; the best
// of ROUNDS by wall time is kept, and the process CPU time of that run (both
// threads, from their common start to the last one's end) beside it. The lock statistics (contended
// acquisitions of the frames and slab locks and of the per-vCPU locks) are
// reset before each run and read after it.
// `npx tsx --no-liftoff bench/run.ts locks`

import { runOnThreads, sharedMachine } from "../host/testing/threads.js";
import type { BenchRow } from "./run.js";

interface MmE {
  locksInit(): void;
  locksReset(): void;
  framesInit(): number;
  slabInit(): number;
  framesCheck(): number;
  slabCheck(): number;
  setCaching(on: number): void;
  lockStat(id: number, which: number): number;
}

const MIB = 1024 * 1024;
const ROUNDS = 3;
/** Within both a frame cache (64) and a magazine (31): the steady state
 *  takes no global lock with the caches on. */
const BATCH = 16;
const REPS = 40_000; // batches per thread: 640 000 allocations + frees
const BUF = [0x20000, 0x24000];
const LOCK_SLAB = 7, LOCK_FRAMES = 8, LOCK_PCPU_SLAB = 16, LOCK_PCPU_FRAMES = 24;

interface Result { wall: number; cpu: number; contended: number; contendedPcpu: number; acquisitions: number }

async function once(e: MmE, m: ReturnType<typeof sharedMachine<MmE>>, what: "frames" | "kmalloc", caching: number): Promise<Result> {
  e.setCaching(caching);
  const call = (cpu: number, reps: number): (string | number)[] =>
    what === "frames" ? ["benchFramesBatch", BATCH, BUF[cpu]!, reps] : ["benchKmallocBatch", 64, BATCH, BUF[cpu]!, reps];
  const global = what === "frames" ? LOCK_FRAMES : LOCK_SLAB;
  const pcpu = what === "frames" ? LOCK_PCPU_FRAMES : LOCK_PCPU_SLAB;
  e.locksReset();
  const run = await runOnThreads(m, [0, 1].map((c) => [call(c, REPS)]), [0, 1].map((c) => [call(c, 200)]));
  const cpu = run.cpuMs / 1000;
  if (run.results.some((r) => r[0] !== 0)) throw new Error(`locks bench: ${what} (caches ${caching ? "on" : "off"}): failed operations ${JSON.stringify(run.results)}`);
  if (e.framesCheck() !== 0 || e.slabCheck() !== 0) throw new Error("locks bench: allocator invariants broken");
  return {
    wall: run.wallMs / 1000,
    cpu,
    contended: e.lockStat(global, 1),
    contendedPcpu: e.lockStat(pcpu, 1) + e.lockStat(pcpu + 1, 1),
    acquisitions: e.lockStat(global, 0),
  };
}

export default async function bench(): Promise<BenchRow[]> {
  const m = sharedMachine<MmE>("mm", 64 * MIB, true);
  const e = m.exports;
  e.locksInit();
  if (e.framesInit() !== 0 || e.slabInit() !== 0) throw new Error("locks bench: init failed");
  const rows: BenchRow[] = [];
  const ops = 2 * REPS * BATCH; // allocations (each with its free), both threads
  for (const what of ["frames", "kmalloc"] as const) {
    const best: Record<number, Result> = {};
    for (let r = 0; r < ROUNDS; r++) {
      for (const caching of [1, 0]) {
        const res = await once(e, m, what, caching);
        if (!best[caching] || res.wall < best[caching]!.wall) best[caching] = res;
      }
    }
    const label = what === "frames" ? "frame alloc+free" : "kmalloc+kfree 64 B";
    const lockName = what === "frames" ? "frames" : "slab";
    for (const caching of [1, 0]) {
      const b = best[caching]!;
      const name = `${label}, 2 threads, ${caching ? "per-vCPU caches" : "plain locked"}`;
      rows.push({ name, value: (b.wall * 1e9) / ops, unit: "ns/op (wall)" });
      rows.push({ name: `${name}: CPU`, value: (b.cpu * 1e9) / ops, unit: "ns/op (CPU, both threads)" });
      rows.push({ name: `${name}: ${lockName} lock taken`, value: b.acquisitions, unit: "acquisitions" });
      rows.push({ name: `${name}: ${lockName} lock contended`, value: b.contended, unit: "acquisitions" });
      rows.push({ name: `${name}: per-vCPU locks contended`, value: b.contendedPcpu, unit: "acquisitions" });
    }
    rows.push({ name: `${label}: caches' speed-up (wall)`, value: best[0]!.wall / best[1]!.wall, unit: "x" });
  }
  e.setCaching(1);
  return rows;
}
