// Runs kernel test entries on several real threads at once over one shared
// memory (each worker one vCPU: host/testing/wasm-worker.mjs), for the
// lock and per-vCPU allocator stress test and benchmark. The shared-memory
// builds are build/tests/NAME.shared.wasm (scripts/build-kernel.mjs).

import { readFileSync } from "node:fs";
import { Worker } from "node:worker_threads";
import { writeBootInfo } from "../bootinfo.js";
import { ensureWasmFlags } from "../node/wasm-flags.mjs";

export interface SharedMachine<E> {
  memory: WebAssembly.Memory;
  module: WebAssembly.Module;
  /** An instance on this thread (vCPU 0's index unless changed): set up and check with it. */
  exports: E;
}

const PAGE64K = 65536;

/** A fresh shared RAM with a BootInfo and an instance of the shared build of
 *  test entry `name` on this thread (`release`: the build with the release
 *  kernel's flags, no assertions or lock-order checks, for benchmarks). */
export function sharedMachine<E>(name: string, ramBytes: number, release = false): SharedMachine<E> {
  // --no-liftoff (docs/tools.md): V8 flags are the process's, so the workers
  // share whatever this thread has; they take no execArgv of their own.
  ensureWasmFlags();
  const module = new WebAssembly.Module(readFileSync(new URL(`../../build/tests/${name}.shared${release ? ".release" : ""}.wasm`, import.meta.url)));
  const memory = new WebAssembly.Memory({ initial: ramBytes / PAGE64K, maximum: ramBytes / PAGE64K, shared: true });
  const instance = new WebAssembly.Instance(module, {
    env: { memory, abort: () => { throw new Error("kernel assertion failed"); } },
    // The release build's abort is the kernel's own (lib/panic.ts), which ends in a trap.
    keel: { port_in: () => 0xffffffff, port_out: () => {}, hypercall: () => 0 },
  });
  const imageEnd = (instance.exports.kernelImageEnd as () => number)() >>> 0;
  writeBootInfo(memory.buffer as unknown as ArrayBuffer, {
    ramBytes, kernelEnd: imageEnd, cmdline: "", modules: [], deterministic: true, nsPerWork: 10, vcpus: 2, wallclockMs: 0,
  });
  return { memory, module, exports: instance.exports as unknown as E };
}

export interface ThreadRun {
  /** Per thread: the results of its calls, in order. */
  results: number[][];
  /** Per thread: milliseconds from the common start to its last call's end. */
  ms: number[];
  /** Milliseconds from the start until every thread was done. */
  wallMs: number;
  /** Process CPU milliseconds (every thread) over the same span: the
   *  workers' timed calls, while this thread only waits. */
  cpuMs: number;
}

/** Runs calls[i] (a list of [export, ...args]) on thread i as vCPU i, all
 *  released at the same moment, after each thread ran its `warm` calls
 *  (same shape, not timed); resolves when every thread is done. */
export async function runOnThreads(m: SharedMachine<unknown>, calls: (string | number)[][][], warm: (string | number)[][][] = []): Promise<ThreadRun> {
  const start = new SharedArrayBuffer(4);
  const workers = calls.map((c, cpu) => new Worker(new URL("./wasm-worker.mjs", import.meta.url), {
    workerData: { module: m.module, memory: m.memory, cpu, start, calls: c, warm: warm[cpu] ?? [] },
  }));
  const ready = workers.map((w) => new Promise<void>((resolve, reject) => {
    w.once("message", () => resolve());
    w.once("error", reject);
  }));
  try {
    await Promise.all(ready);
    const done = workers.map((w) => new Promise<{ results: number[]; ms: number }>((resolve, reject) => {
      w.once("message", resolve);
      w.once("error", reject);
    }));
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    Atomics.store(new Int32Array(start), 0, 1);
    Atomics.notify(new Int32Array(start), 0);
    const answers = await Promise.all(done);
    const wallMs = performance.now() - t0;
    const used = process.cpuUsage(cpu0);
    return { results: answers.map((a) => a.results), ms: answers.map((a) => a.ms), wallMs, cpuMs: (used.user + used.system) / 1000 };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
