// Host side of the bare hart runner (kernel-as/src/bare.ts, built to
// build/bare.wasm): validates an ELF with host/rv/elf.ts, loads it into a
// fresh machine-shaped RAM through the runner's exports, and runs it in
// budget slices, collecting what the program writes. Used by the `hart` CLI
// (host/node/hart.ts), the differential tests and the benchmarks.

import { readFileSync } from "node:fs";
import { writeBootInfo } from "../bootinfo.js";
import { parseElf } from "./elf.js";
import { jitHost, type JitHost, type JitStats } from "./jit-host.js";
export { JIT_DEFAULT_THRESHOLD } from "./jit-host.js";
import { HV_JIT_COMPILE } from "../hw.js";

/** Exports of build/bare.wasm (see kernel-as/src/bare.ts). */
export interface BareExports {
  bareInit(): number;
  bareStaging(): number;
  bareMapSegment(va: bigint, memsz: bigint, flags: number): number;
  bareCopyIn(va: bigint, len: number): number;
  bareSetupStack(argc: number, bytes: number): number;
  bareStart(entry: bigint): void;
  bareRun(budget: number): number;
  bareOutFd(): number;
  bareOutLen(): number;
  bareExitStatus(): bigint;
  bareCause(): number;
  barePc(): bigint;
  bareTval(): bigint;
  bareCallNumber(): bigint;
  bareGuardPage(): bigint;
  bareStackTop(): bigint;
  bareInstret(): bigint;
  bareReg(i: number): bigint;
  barePcNow(): bigint;
  bareFetch(va: bigint): number;
  kernelImageEnd(): number;
  hartJitConfig(enabled: number, threshold: number): void;
  hartJitActive(): number;
  hartJitStat(which: number): bigint;
}


export const BARE_OK = 0;
export const BARE_BUDGET = 0;
export const BARE_WRITE = 1;
export const BARE_EXIT = 2;
export const BARE_FAULT = 3;
export const BARE_STAGING_BYTES = 64 * 1024;

const SETUP_ERRORS: Record<number, string> = {
  [-1]: "the frame allocator could not start from the boot memory map",
  [-2]: "out of memory",
  [-3]: "the hart refused its arena or root register",
  [-4]: "a segment could not be mapped",
  [-5]: "an address to copy to is not mapped",
  [-6]: "a copy is larger than the staging buffer",
  [-7]: "too many arguments, or they do not fit on the stack",
};

/** Trap causes (kernel-as/src/machine/trap.ts) by name. */
export const CAUSE_NAMES: Record<number, string> = {
  0: "instruction address misaligned",
  1: "instruction access fault",
  2: "illegal instruction",
  3: "breakpoint",
  4: "load address misaligned",
  5: "load access fault",
  6: "store/AMO address misaligned",
  7: "store/AMO access fault",
  8: "environment call from U-mode",
  12: "instruction page fault",
  13: "load page fault",
  15: "store/AMO page fault",
};

export class BareSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BareSetupError";
  }
}

export interface BareFault {
  cause: number;
  pc: bigint;
  tval: bigint;
  message: string;
}

export interface BareResult {
  /** Exit status as passed to exit(), or undefined after a fault or the limit. */
  exitStatus?: number;
  fault?: BareFault;
  /** True when the instruction limit stopped the program. */
  limited: boolean;
  stdout: Uint8Array;
  stderr: Uint8Array;
  instret: bigint;
  /** Wall-clock seconds spent inside bareRun. */
  seconds: number;
  /** JIT statistics, when the JIT was on. */
  jit?: BareJitStats;
}

export interface BareOptions {
  args?: string[];
  /** Instructions per bareRun slice (default 50 million). */
  slice?: number;
  /** Stop after exactly this many instructions (default: no limit). */
  limit?: bigint;
  ramBytes?: number;
  /** Called with each chunk written to fd 1 or 2 (in addition to collecting it). */
  onWrite?: (fd: number, bytes: Uint8Array) => void;
  /** Called before every instruction, with its address and bits; runs one instruction per slice. */
  onStep?: (pc: bigint, bits: number) => void;
  /** The JIT: false (the default) interprets only; a number turns it on at that threshold (1: every block compiled). */
  jit?: number | false;
  /** The compiled build/bare.wasm (default: read from build/ with node:fs; a browser passes its own). */
  module?: WebAssembly.Module;
}

export type BareJitStats = JitStats;

let cachedModule: WebAssembly.Module | undefined;

export function bareModule(): WebAssembly.Module {
  cachedModule ??= new WebAssembly.Module(readFileSync(new URL("../../build/bare.wasm", import.meta.url)));
  return cachedModule;
}

const hex = (n: bigint | number): string => "0x" + n.toString(16);

/** The runner needs no devices: every function the module imports (the
 *  kernel's port I/O and hypercalls, when the build links them in) gets an
 *  inert stub — ports read all ones, hypercalls answer 0. */
function importsFor(module: WebAssembly.Module, memory: WebAssembly.Memory, jit: JitHost): WebAssembly.Imports {
  const imports: Record<string, Record<string, WebAssembly.ImportValue>> = { env: { memory } };
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.kind !== "function") continue;
    const hypercall = (op: number, a0: number, a1: number, a2: number): number => (op === HV_JIT_COMPILE ? jit.compile(a0, a1, a2) : 0);
    const stub = imp.name === "port_in" ? () => 0xffffffff : imp.name === "hypercall" ? hypercall : () => 0;
    (imports[imp.module] ??= {})[imp.name] = stub;
  }
  return imports;
}

/** Loads and runs a static RV64 ELF on the hart. Throws ElfError for a bad
 *  file and BareSetupError when the image cannot be set up. */
export function runBare(elf: Uint8Array, options: BareOptions = {}): BareResult {
  const image = parseElf(elf);
  const ramBytes = options.ramBytes ?? 64 * 1024 * 1024;
  const memory = new WebAssembly.Memory({ initial: ramBytes / 65536 });
  const host = jitHost(memory);
  const module = options.module ?? bareModule();
  const instance = new WebAssembly.Instance(module, importsFor(module, memory, host));
  const x = instance.exports as unknown as BareExports;
  const jitOn = options.jit !== undefined && options.jit !== false;
  writeBootInfo(memory.buffer, {
    ramBytes, kernelEnd: x.kernelImageEnd() >>> 0, cmdline: "", modules: [], deterministic: true, nsPerWork: 10, vcpus: 1, wallclockMs: 0,
  });
  (instance.exports._initialize as (() => void) | undefined)?.();
  const check = (code: number, what: string): void => {
    if (code !== BARE_OK) throw new BareSetupError(`${what}: ${SETUP_ERRORS[code] ?? `error ${code}`}`);
  };
  check(x.bareInit(), "starting the runner");
  host.attach(instance.exports, jitOn ? options.jit as number : false);
  const staging = x.bareStaging();
  const ram = (): Uint8Array => new Uint8Array(memory.buffer);

  for (const seg of image.segments) {
    check(x.bareMapSegment(seg.vaddr, seg.memsz, seg.flags), `mapping the segment at ${hex(seg.vaddr)}`);
    for (let off = 0; off < seg.data.length; off += BARE_STAGING_BYTES) {
      const chunk = seg.data.subarray(off, off + BARE_STAGING_BYTES);
      ram().set(chunk, staging);
      check(x.bareCopyIn(seg.vaddr + BigInt(off), chunk.length), `loading the segment at ${hex(seg.vaddr)}`);
    }
  }
  const args = options.args ?? ["prog"];
  const strings = new TextEncoder().encode(args.map((a) => a + "\0").join(""));
  if (strings.length > BARE_STAGING_BYTES / 2) throw new BareSetupError("the arguments are too long");
  ram().set(strings, staging);
  check(x.bareSetupStack(args.length, strings.length), "setting up the stack");
  x.bareStart(image.entry);

  const out: Uint8Array[][] = [[], [], []];
  const slice = options.onStep ? 1 : options.slice ?? 50_000_000;
  const limit = options.limit;
  let seconds = 0;
  let result: Omit<BareResult, "stdout" | "stderr" | "instret" | "seconds"> | undefined;
  let resumingWrite = false;
  while (!result) {
    if (limit !== undefined && x.bareInstret() >= limit) {
      result = { limited: true };
      break;
    }
    if (options.onStep && !resumingWrite) {
      const pc = x.barePcNow();
      options.onStep(pc, x.bareFetch(pc) >>> 0);
    }
    const t0 = performance.now();
    const budget = limit === undefined ? slice : Math.max(1, Math.min(slice, Number(limit - x.bareInstret())));
    const r = x.bareRun(budget);
    resumingWrite = r === BARE_WRITE;
    seconds += (performance.now() - t0) / 1000;
    switch (r) {
      case BARE_BUDGET: break;
      case BARE_WRITE: {
        const fd = x.bareOutFd();
        const bytes = ram().slice(staging, staging + x.bareOutLen());
        out[fd]!.push(bytes);
        options.onWrite?.(fd, bytes);
        break;
      }
      case BARE_EXIT: result = { exitStatus: Number(BigInt.asIntN(32, x.bareExitStatus())), limited: false }; break;
      case BARE_FAULT: result = { fault: describeFault(x), limited: false }; break;
      default: throw new BareSetupError(`bareRun returned ${r}`);
    }
  }
  const join = (parts: Uint8Array[]): Uint8Array => {
    const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { all.set(p, at); at += p.length; }
    return all;
  };
  const jit = jitOn ? host.read() ?? undefined : undefined;
  return { ...result, stdout: join(out[1]!), stderr: join(out[2]!), instret: x.bareInstret(), seconds, jit };
}

function describeFault(x: BareExports): BareFault {
  const cause = x.bareCause();
  const pc = x.barePc();
  const tval = x.bareTval();
  const name = CAUSE_NAMES[cause] ?? `trap cause ${cause}`;
  let message: string;
  if (cause === 8) {
    message = `unsupported system call ${x.bareCallNumber()} (a7) at pc ${hex(pc)}; the bare runner has only write (64) and exit (93)`;
  } else if (cause === 2) {
    message = `${name} at pc ${hex(pc)}: bits ${hex(tval)}`;
  } else if (cause === 3) {
    message = `${name} (ebreak) at pc ${hex(pc)}`;
  } else {
    const guard = x.bareGuardPage();
    const where = tval >= guard && tval < guard + 4096n ? " (the stack guard page: stack overflow?)" : "";
    message = `${name} at pc ${hex(pc)}, address ${hex(tval)}${where}`;
  }
  return { cause, pc, tval, message };
}
