// One vCPU in a worker thread: instantiates a kernel test entry over the
// shared memory it is handed, takes its vCPU index, waits on the start word
// (so every worker begins at once) and runs one export with the given
// arguments, answering { results, ms }. Plain JavaScript, so a worker
// needs no TypeScript loader. Used by host/locks-threads.test.ts and
// bench/locks.bench.ts. It runs with the process's V8 flags (--no-liftoff,
// docs/tools.md: V8 flags are per process, a worker's execArgv refuses them).

import { parentPort, workerData } from "node:worker_threads";

const { module, memory, cpu, start, calls, warm } = workerData;
const instance = new WebAssembly.Instance(module, {
  env: {
    memory,
    abort: () => { throw new Error(`kernel assertion failed on vCPU ${cpu}`); },
  },
  keel: {
    port_in: () => 0xffffffff,
    port_out: () => {},
    hypercall: () => 0,
  },
});
instance.exports.cpuSetIndex(cpu);
// Warm-up calls run before the start (compiling the functions lazily, with
// TurboFan, is then not part of what is timed).
for (const [name, ...args] of warm ?? []) instance.exports[name](...args);
const startWord = new Int32Array(start);
parentPort.postMessage({ ready: true });
while (Atomics.load(startWord, 0) === 0) Atomics.wait(startWord, 0, 0, 50);
const t0 = performance.now();
const results = [];
for (const [name, ...args] of calls) results.push(instance.exports[name](...args));
parentPort.postMessage({ results, ms: performance.now() - t0 });
