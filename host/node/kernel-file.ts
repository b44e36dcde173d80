// Finds and compiles the kernel for Node: build/kernel.wasm (or the debug
// build), with a clear message when it has not been built yet.

import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

export function kernelPath(debug = false): string {
  return fileURLToPath(new URL(`../../build/kernel${debug ? ".debug" : ""}.wasm`, import.meta.url));
}

export async function loadKernelModule(debug = false): Promise<WebAssembly.Module> {
  const path = kernelPath(debug);
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch {
    throw new Error(`kernel not built: ${path} is missing (run "npm run build:kernel")`);
  }
  return WebAssembly.compile(new Uint8Array(bytes));
}
