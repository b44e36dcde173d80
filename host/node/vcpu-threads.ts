// Parallel vCPUs in Node (docs/architecture.md "Parallel vCPUs"): the
// VcpuSpawner that gives each of vCPUs 1..N-1 a worker_threads worker
// (host/node/vcpu-worker.mjs). A worker inherits the process's V8 flags
// (--no-liftoff, host/node/wasm-flags.mjs): Node refuses V8 flags in a
// worker's own execArgv (ERR_WORKER_INVALID_EXEC_ARGV), and the flags are
// the process's anyway.

import { Worker } from "node:worker_threads";
import { existsSync, readFileSync } from "node:fs";
import { MachineConfigError } from "../machine.js";
import type { VcpuSpawner } from "../parallel.js";
import { ensureWasmFlags, hasWasmFlags } from "./wasm-flags.mjs";

const WORKER_URL = new URL("./vcpu-worker.mjs", import.meta.url);

/** The shared-memory kernel build beside `kernelPath` (build/kernel.wasm -> build/kernel.shared.wasm). */
export function sharedKernelPath(kernelPath: string): string {
  return kernelPath.replace(/(\.debug)?\.wasm$/, ".shared.wasm");
}

/** Reads and compiles the shared-memory kernel build, or says how to make it. */
export function loadSharedKernel(path: string): WebAssembly.Module {
  if (!existsSync(path)) {
    throw new MachineConfigError(`parallel vCPUs need the shared-memory kernel build ${path}: run node scripts/build-kernel.mjs --only shared`);
  }
  return new WebAssembly.Module(readFileSync(path));
}

/** Spawns one worker per vCPU. */
export const nodeVcpuSpawner: VcpuSpawner = (init, events) => {
  if (!hasWasmFlags()) ensureWasmFlags();
  const worker = new Worker(WORKER_URL, { workerData: init });
  let ended = false;
  worker.on("message", (message: { type: string; message?: string }) => {
    if (message.type === "trapped" && !ended) events.trapped(init.cpu, message.message ?? "");
  });
  worker.on("error", (error) => {
    if (!ended) events.trapped(init.cpu, error instanceof Error ? error.message : String(error));
  });
  // A worker must not keep the process alive once the machine is done with it.
  worker.unref();
  return {
    start: () => {},
    terminate: () => {
      ended = true;
      void worker.terminate();
    },
  };
};
