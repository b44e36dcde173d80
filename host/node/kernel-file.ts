// Finds and compiles the kernel for Node: build/kernel.wasm (or the debug
// build), with a clear message when it has not been built yet.

import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { ensureWasmFlags } from "./wasm-flags.mjs";

export function kernelPath(debug = false): string {
  return fileURLToPath(new URL(`../../build/kernel${debug ? ".debug" : ""}.wasm`, import.meta.url));
}

export async function loadKernelModule(debug = false): Promise<WebAssembly.Module> {
  return (await loadKernel(debug)).module;
}

/** The kernel compiled, and its bytes (snapshots name a build by them). */
export async function loadKernel(debug = false): Promise<{ module: WebAssembly.Module; bytes: Uint8Array }> {
  const path = kernelPath(debug);
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch {
    throw new Error(`kernel not built: ${path} is missing (run "npm run build:kernel")`);
  }
  const image = new Uint8Array(bytes);
  // A runner started without bin/keel.mjs or npm's scripts (`npx tsx
  // host/node/boot.ts`) gets --no-liftoff here, before the kernel compiles.
  ensureWasmFlags();
  return { module: await WebAssembly.compile(image), bytes: image };
}
