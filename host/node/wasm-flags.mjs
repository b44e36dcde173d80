// The V8 flags every Node entry point of Keel runs with (docs/tools.md
// "Node's V8 flags"). Plain JavaScript so bin/keel.mjs and vitest.config.ts
// can import it without tsx.
//
// --no-liftoff: Node 20's V8 (11.3) miscompiles memory.atomic.wait32/wait64
// in Liftoff, its baseline WebAssembly compiler: a value held on the operand
// stack across the wait comes back with its low 32 bits overwritten
// (host/node/atomics-wait-repro.mjs shows it; host/node/atomics-wait.test.ts
// checks it). Without Liftoff every function is compiled by TurboFan, which
// is right; the kernel still compiles lazily, function by function, so the
// cost is a little time on each function's first call. V8 flags belong to the
// process: worker_threads (several vCPUs) share them.
import v8 from "node:v8";

export const NODE_WASM_FLAGS = Object.freeze(["--no-liftoff"]);

/** True when this process was started with every flag (node's own argv). */
export function hasWasmFlags(execArgv = process.execArgv) {
  return NODE_WASM_FLAGS.every((flag) => execArgv.includes(flag));
}

/** For a process started without the flags (`npx tsx host/...` by hand):
 *  sets them now, before any WebAssembly is compiled. V8 documents flags set
 *  after start as unsupported, so the launchers pass them on the command
 *  line; this is the fallback, and it does take effect for modules compiled
 *  afterwards (the repro passes with it). */
export function ensureWasmFlags() {
  if (hasWasmFlags()) return;
  for (const flag of NODE_WASM_FLAGS) v8.setFlagsFromString(flag);
}
