// Loads a kernel test entry point (kernel-as/tests/NAME.ts, built to
// build/tests/NAME.wasm by scripts/build-kernel.mjs with the kernel's own
// flags) into a fresh machine-shaped RAM with a valid BootInfo, so that the
// AssemblyScript code under test sees exactly the memory it sees at boot.

import { readFileSync } from "node:fs";
import { writeBootInfo, type BootInfoInput, type BootLayout } from "../bootinfo.js";

export interface KernelTestInstance<E> {
  exports: E;
  memory: WebAssembly.Memory;
  layout: BootLayout;
  /** Bytes the test wrote through the HV_LOG hypercall / port 0xE9 debug output. */
  log: string[];
}

export interface KernelTestOptions {
  ramBytes?: number;
  cmdline?: string;
  portIn?: (port: number, width: number) => number;
  portOut?: (port: number, width: number, value: number) => void;
  hypercall?: (op: number, a0: number, a1: number, a2: number) => number;
}

const cache = new Map<string, WebAssembly.Module>();

export function loadKernelTest<E>(name: string, opts: KernelTestOptions = {}): KernelTestInstance<E> {
  let module = cache.get(name);
  if (!module) {
    module = new WebAssembly.Module(readFileSync(new URL(`../../build/tests/${name}.wasm`, import.meta.url)));
    cache.set(name, module);
  }
  const ramBytes = opts.ramBytes ?? 16 * 1024 * 1024;
  const memory = new WebAssembly.Memory({ initial: ramBytes / 65536 });
  const log: string[] = [];
  const decoder = new TextDecoder();
  const readString = (ptr: number): string => {
    if (ptr === 0) return "";
    const len = new Uint32Array(memory.buffer, ptr - 4, 1)[0]! >>> 1; // AssemblyScript strings: UTF-16, length before
    return String.fromCharCode(...new Uint16Array(memory.buffer, ptr, len));
  };
  const instance = new WebAssembly.Instance(module, {
    env: {
      memory,
      // Test entries keep AssemblyScript's own abort, so a failed assertion
      // surfaces as a test failure with its message and place.
      abort: (msg: number, file: number, line: number, column: number) => {
        throw new Error(`kernel assertion failed: ${readString(msg)} at ${readString(file)}:${line}:${column}`);
      },
    },
    keel: {
      port_in: (port: number, width: number) => (opts.portIn ? opts.portIn(port, width) : 0xffffffff),
      port_out: (port: number, width: number, value: number) => opts.portOut?.(port, width, value),
      hypercall: (op: number, a0: number, a1: number, a2: number) => {
        if (opts.hypercall) return opts.hypercall(op, a0, a1, a2);
        if (op === 5) log.push(decoder.decode(new Uint8Array(memory.buffer, a0, a1)));
        return 0;
      },
    },
  });
  const imageEnd = instance.exports.kernelImageEnd as (() => number) | undefined;
  const heapBase = imageEnd ? imageEnd() >>> 0 : undefined;
  const input: BootInfoInput = {
    ramBytes,
    kernelEnd: heapBase ?? 0x200000,
    cmdline: opts.cmdline ?? "",
    modules: [],
    deterministic: true,
    nsPerWork: 10,
    vcpus: 1,
    wallclockMs: 0,
  };
  const layout = writeBootInfo(memory.buffer, input);
  const init = instance.exports._initialize as (() => void) | undefined;
  init?.();
  return { exports: instance.exports as unknown as E, memory, layout, log };
}
