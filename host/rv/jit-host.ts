// The host half of the hart's JIT (kernel-as/src/machine/jit.ts): the
// HV_JIT_COMPILE hypercall. The kernel writes a unit's wasm module into its
// memory; this compiles and instantiates it (importing that memory as e.m)
// and puts its export "f" into the kernel's function table, where the
// kernel's executor calls it with call_indirect. Compiling is synchronous:
// the machine runs in Node or in a worker, where `new WebAssembly.Module`
// is allowed on any size.

import { HV_E_INVALID, HV_E_NOMEM, HV_E_UNSUPPORTED } from "../hw.js";

export interface JitHostStats {
  units: number;
  bytes: number;
  /** Milliseconds spent compiling and instantiating units. */
  compileMs: number;
}

export interface JitHost {
  readonly stats: JitHostStats;
  /** The HV_JIT_COMPILE hypercall: a0 = address, a1 = length, a2 = unit index; returns the table index or HV_E_*. */
  compile(addr: number, len: number, unit: number): number;
}

/** Table slots the kernel may use (its unit indices stay below this; jit.ts MAX_UNITS). */
const MAX_UNITS = 2048;

export function jitHost(memory: WebAssembly.Memory, table: () => WebAssembly.Table | undefined): JitHost {
  const stats: JitHostStats = { units: 0, bytes: 0, compileMs: 0 };
  let base = -1;
  return {
    stats,
    compile(addr: number, len: number, unit: number): number {
      const t = table();
      if (!t) return HV_E_UNSUPPORTED;
      if (unit < 0 || unit >= MAX_UNITS || len <= 0 || addr < 0 || addr + len > memory.buffer.byteLength) return HV_E_INVALID;
      const t0 = performance.now();
      try {
        if (base < 0) base = t.grow(MAX_UNITS);
        const bytes = new Uint8Array(memory.buffer, addr, len).slice();
        const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { e: { m: memory } });
        t.set(base + unit, instance.exports.f as unknown as (...args: unknown[]) => unknown);
        stats.units++;
        stats.bytes += len;
        return base + unit;
      } catch (e) {
        if (e instanceof RangeError) return HV_E_NOMEM;
        // A module that does not validate is a kernel bug: make it loud.
        throw new Error(`JIT unit ${unit} (${len} bytes) did not compile: ${(e as Error).message}`);
      } finally {
        stats.compileMs += performance.now() - t0;
      }
    },
  };
}
