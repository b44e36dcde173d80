// One truly parallel vCPU in Node (docs/architecture.md "Parallel vCPUs"):
// a worker_threads worker that runs host/vcpu-loop.mjs over the machine's
// shared RAM (the page's counterpart is web/vcpu-worker.ts).
//
// V8's flags are the process's (host/node/wasm-flags.mjs): a worker inherits
// --no-liftoff with execArgv and may not be given V8 flags of its own.
import { workerData, parentPort } from "node:worker_threads";
import { ensureWasmFlags } from "./wasm-flags.mjs";
import { runVcpu } from "../vcpu-loop.mjs";

ensureWasmFlags();
runVcpu(workerData, (message) => parentPort.postMessage(message));
