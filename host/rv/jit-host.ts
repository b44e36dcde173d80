// The host half of the hart's JIT (kernel-as/src/machine/jit.ts): the
// HV_JIT_COMPILE hypercall. The kernel writes a unit's wasm module into its
// memory; this compiles and instantiates it (importing that memory as e.m,
// and the kernel's hartJitFp, which units call for F/D instructions, as e.fp)
// and puts its export "f" into the kernel's function table, where the
// kernel's executor calls it with call_indirect. Compiling is synchronous:
// the machine runs in Node or in a worker, where `new WebAssembly.Module`
// is allowed on any size.
//
// One JitHost serves one kernel instance: the bare runner's, the hart
// tests', and each instance the full machine makes (host/machine.ts, in Node
// and in the page's worker; a fresh one at every boot, restore and kernel
// swap, and one per vCPU instance). Each instance has its own function
// table and its own unit table in its hart arena, so units never cross
// instances. Nothing here is machine state: a snapshot neither holds nor
// needs it.

import { HV_E_INVALID, HV_E_NOMEM, HV_E_UNSUPPORTED } from "../hw.js";

/** The JIT's setting: off, or on with this many runs making a block hot (1: every block). */
export type JitSetting = false | number;

/** Runs before a block is compiled, when the JIT is on without a threshold. */
export const JIT_DEFAULT_THRESHOLD = 64;
/** The largest threshold the runners accept. */
export const JIT_MAX_THRESHOLD = 1_000_000_000;

export interface JitHostStats {
  units: number;
  bytes: number;
  /** Milliseconds spent compiling and instantiating units. */
  compileMs: number;
}

/** What a kernel instance exports for its JIT (kernel-as/src/main.ts, bare.ts, tests/hart.ts). */
export interface JitKernelExports {
  table?: WebAssembly.Table;
  hartJitConfig?(enabled: number, threshold: number): void;
  hartJitStat?(which: number): bigint;
  /** What units call for F/D instructions (jit.ts jitFp), imported by every unit as e.fp. */
  hartJitFp?(ctx: number, rec: number): number;
}

/** The JIT's figures for one kernel instance (the kernel's counters and the host's compile time). */
export interface JitStats {
  /** Units compiled. */
  units: number;
  /** Instructions retired inside compiled units. */
  insns: bigint;
  /** Instructions the hart retired in all, interpreted or compiled (0 from a kernel without the figure). */
  retired: bigint;
  /** Calls into units from the executor. */
  calls: bigint;
  /** Calls from one unit straight into the next (jit.ts jitProbe's chaining). */
  chained: bigint;
  /** Bytes of wasm compiled. */
  bytes: number;
  compileMs: number;
}

export interface JitHost {
  readonly stats: JitHostStats;
  /** After instantiating: the instance this host serves, and the JIT switched
   *  on at `setting` runs (or left off). Before kmain/resume is fine: the
   *  kernel applies it when its hart arena is attached. */
  attach(kernel: JitKernelExports, setting: JitSetting): void;
  /** The HV_JIT_COMPILE hypercall: a0 = address, a1 = length, a2 = unit index; returns the table index or HV_E_*. */
  compile(addr: number, len: number, unit: number): number;
  /** The figures so far; null while the JIT is off for this instance. */
  read(): JitStats | null;
}

/** Table slots the kernel may use (its unit indices stay below this; jit.ts MAX_UNITS). */
const MAX_UNITS = 2048;

/** The host for one kernel instance on `memory`. */
export function jitHost(memory: WebAssembly.Memory): JitHost {
  const stats: JitHostStats = { units: 0, bytes: 0, compileMs: 0 };
  let table: WebAssembly.Table | undefined;
  let kernelOf: JitKernelExports | undefined;
  let on = false;
  let base = -1;
  return {
    stats,
    attach(kernel: JitKernelExports, setting: JitSetting): void {
      table = kernel.table;
      kernelOf = kernel;
      on = setting !== false && table !== undefined && kernel.hartJitConfig !== undefined && kernel.hartJitFp !== undefined;
      if (on) kernel.hartJitConfig!(1, setting as number);
    },
    compile(addr: number, len: number, unit: number): number {
      addr >>>= 0; len >>>= 0; unit >>>= 0;
      const t = table;
      if (!on || !t) return HV_E_UNSUPPORTED;
      if (unit >= MAX_UNITS || len === 0 || addr + len > memory.buffer.byteLength) return HV_E_INVALID;
      const t0 = performance.now();
      try {
        if (base < 0) base = t.grow(MAX_UNITS);
        const bytes = new Uint8Array(memory.buffer, addr, len).slice();
        const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { e: { m: memory, fp: kernelOf!.hartJitFp! } });
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
    read(): JitStats | null {
      const stat = kernelOf?.hartJitStat;
      if (!on || !stat) return null;
      return { units: Number(stat(0)), calls: stat(2), insns: stat(3), retired: stat(5), chained: stat(6), bytes: Number(stat(4)), compileMs: stats.compileMs };
    },
  };
}

/** The share of instructions retired in compiled units, in percent (0 before any ran). */
export function jitShare(stats: Pick<JitStats, "insns" | "retired">): number {
  return stats.retired > 0n ? Number((stats.insns * 10000n) / stats.retired) / 100 : 0;
}

/** Parses a runner's or page's "on"/"off" (also "1"/"0"). */
export function parseJitSwitch(text: string): boolean | null {
  return text === "on" || text === "1" ? true : text === "off" || text === "0" ? false : null;
}

/** A threshold from text: a whole number of runs from 1 to JIT_MAX_THRESHOLD, else null. */
export function parseJitThreshold(text: string): number | null {
  if (!/^\d+$/.test(text)) return null;
  const n = Number(text);
  return n >= 1 && n <= JIT_MAX_THRESHOLD ? n : null;
}

/** Why a machine config's `jit` is not a setting (null: it is one). */
export function validateJitSetting(jit: unknown): string | null {
  if (jit === undefined || jit === false) return null;
  if (typeof jit === "number" && Number.isInteger(jit) && jit >= 1 && jit <= JIT_MAX_THRESHOLD) return null;
  return `jit must be false or a threshold from 1 to ${JIT_MAX_THRESHOLD} runs (got ${String(jit)})`;
}
