// Stepping through `ecall` (docs/debugging.md): when the debugged process
// resumes from an ecall instruction, the GDB server shows the system call's
// kernel side — the call and its decoded arguments, the kernel functions
// it went through, and its result (gdb: `monitor syscall`).
//
// The functions come from a second build of the running kernel,
// instrumented at every function entry and loop head by binaryen's
// log-execution pass (a call of the import keel.log_execution(id)); the
// ids map back to the function names of the build's name section (the
// debug build names every function; the release build keeps its name
// section too, with fewer, larger functions after inlining). The machine
// runs that build only while the call is in progress (Machine.useKernel):
// it means the same RAM, so nothing else changes, only its speed. An entry
// counts while the kernel's own record says it is handling a system call
// for the debugged pid (KernelState.runPid and sysNum, lib/kstate.ts).

import type BinaryenModule from "binaryen";
import type { KernelDebugExports, Machine } from "../machine.js";
import { SYSCALLS, quote } from "./syscalls.js";
import { CPU_RUN_PID, CPU_SYS_NUM, cpuRecordAddr } from "../cpus.js";

/** Where the vCPU in the kernel is: its record's runPid and sysNum (host/hw.ts CPU_*, kernel-as/src/lib/cpu.ts). */
const SYSCALL_NONE = 0xffff_ffff;
/** Bytes of a string or buffer argument shown. */
const SHOW_BYTES = 48;
const REG_A0 = 10;
const REG_A7 = 17;

export interface InstrumentedKernel {
  module: WebAssembly.Module;
  /** The function an id was placed in, and whether it is the function's entry (else a loop head). */
  where(id: number): { fn: string; entry: boolean } | null;
}

type Binaryen = typeof BinaryenModule;

/** Builds the instrumented kernel from the running kernel's .wasm bytes (a few seconds; once per runner).
 *  binaryen is loaded here, not at import: its module initialises with a top-level await. */
export async function instrumentKernel(bytes: Uint8Array): Promise<InstrumentedKernel> {
  const binaryen = (await import("binaryen")).default;
  const mod = binaryen.readBinary(bytes);
  try {
    mod.runPasses(["log-execution"]);
    // The pass numbers its calls in order, each function's loops before its
    // entry: the entry's id, read from the first call in the body, closes
    // the function's range.
    const entries: { id: number; fn: string }[] = [];
    for (let i = 0; i < mod.getNumFunctions(); i++) {
      const info = binaryen.getFunctionInfo(mod.getFunctionByIndex(i));
      if (info.body === 0) continue; // an import
      const id = firstLogId(binaryen, info.body);
      if (id !== null) entries.push({ id, fn: info.name });
    }
    entries.sort((a, b) => a.id - b.id);
    const module = new WebAssembly.Module(mod.emitBinary() as Uint8Array<ArrayBuffer>);
    return {
      module,
      where(id) {
        let lo = 0;
        let hi = entries.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (entries[mid]!.id < id) lo = mid + 1; else hi = mid;
        }
        const e = entries[lo];
        return e === undefined ? null : { fn: e.fn, entry: e.id === id };
      },
    };
  } finally {
    mod.dispose();
  }
}

function firstLogId(binaryen: Binaryen, body: number): number | null {
  let expr = binaryen.getExpressionInfo(body);
  if (expr.id === binaryen.BlockId) {
    const children = (expr as BinaryenModule.BlockInfo).children;
    if (children.length === 0) return null;
    expr = binaryen.getExpressionInfo(children[0]!);
  }
  if (expr.id !== binaryen.CallId) return null;
  const call = expr as BinaryenModule.CallInfo;
  if (call.target !== "log_execution" || call.operands.length !== 1) return null;
  const arg = binaryen.getExpressionInfo(call.operands[0]!);
  return arg.id === binaryen.ConstId ? Number((arg as BinaryenModule.ConstInfo).value) : null;
}

/** One system call seen from both sides. */
export interface SyscallRecord {
  pid: number;
  num: number;
  /** The call as `trace` prints it, arguments decoded: read(0, 0x5f48, 8192). */
  call: string;
  /** a0 after the call; null while it has not completed (it blocks, or the process exited in it). */
  result: bigint | null;
  /** The bytes a read() brought, decoded, or the error the kernel gave. */
  detail: string;
  /** Kernel functions entered for it, in order of first entry, with how often each was entered. */
  functions: { fn: string; calls: number; loops: number }[];
  entered: number;
}

/** Records the kernel side of the debugged process's next system call. */
export class KernelSide {
  private instrumented: InstrumentedKernel | null = null;
  private active: {
    record: SyscallRecord;
    order: Map<string, { fn: string; calls: number; loops: number }>;
    position: bigint;
    readBuffer: bigint | null;
  } | null = null;
  /** The last call recorded. */
  last: SyscallRecord | null = null;
  /** Why it cannot work, if it cannot (no binaryen build, no name section). */
  problem: string | null = null;

  /** Resolves once the instrumented build is ready (or could not be made: see `problem`). */
  readonly ready: Promise<void>;

  constructor(private readonly machine: Machine, kernelBytes: Uint8Array) {
    this.ready = instrumentKernel(kernelBytes).then(
      (k) => { this.instrumented = k; },
      (error: unknown) => { this.problem = `cannot instrument the kernel: ${error instanceof Error ? error.message : String(error)}`; },
    );
  }

  private kernel(): KernelDebugExports | null {
    return this.machine.debugInterface();
  }

  /** Whether the stopped process is at an ecall instruction. */
  atEcall(readMemory: (addr: bigint, len: number) => Uint8Array, pc: bigint): boolean {
    const insn = readMemory(pc, 4);
    return insn.length === 4 && insn[0] === 0x73 && insn[1] === 0 && insn[2] === 0 && insn[3] === 0;
  }

  /** The process is about to run its ecall: decode the call and run the instrumented kernel until it completes. */
  begin(pid: number, reg: (i: number) => bigint, readMemory: (addr: bigint, len: number) => Uint8Array): void {
    if (this.instrumented === null) {
      this.problem ??= "the instrumented kernel is still being built (a few seconds after the server starts)";
      return;
    }
    const num = Number(reg(REG_A7) & 0xffffffffn);
    const desc = SYSCALLS.get(num);
    const args: string[] = [];
    const spec = desc?.args ?? "xxx";
    let readBuffer: bigint | null = null;
    for (let i = 0; i < spec.length; i++) {
      const v = reg(REG_A0 + i);
      const kind = spec[i];
      if (kind === "d") args.push(String(BigInt.asIntN(32, v)));
      else if (kind === "x") args.push(`0x${v.toString(16)}`);
      else if (kind === "s") {
        const bytes = readMemory(v, SHOW_BYTES + 1);
        const end = bytes.indexOf(0);
        args.push(quote(bytes.subarray(0, end < 0 ? SHOW_BYTES : end), end < 0));
      } else if (desc?.name === "write") {
        const n = Number(BigInt.asIntN(32, reg(REG_A0 + i + 1)));
        const bytes = n > 0 ? readMemory(v, Math.min(n, SHOW_BYTES)) : new Uint8Array(0);
        args.push(n > 0 && bytes.length > 0 ? quote(bytes, n > SHOW_BYTES) : `0x${v.toString(16)}`);
      } else {
        args.push(`0x${v.toString(16)}`);
        readBuffer = v;
      }
    }
    const record: SyscallRecord = {
      pid, num, call: `${desc?.name ?? `syscall_${num}`}(${args.join(", ")})`, result: null, detail: "", functions: [], entered: 0,
    };
    const order = new Map<string, { fn: string; calls: number; loops: number }>();
    const where = this.instrumented.where;
    const view = () => new DataView(this.machine.ram);
    const onLog = (id: number) => {
      const v = view();
      const rec = cpuRecordAddr(this.machine.runningCpu);
      if (v.getInt32(rec + CPU_RUN_PID, true) !== pid || v.getUint32(rec + CPU_SYS_NUM, true) === SYSCALL_NONE) return;
      const at = where(id);
      if (at === null) return;
      let entry = order.get(at.fn);
      if (entry === undefined) order.set(at.fn, (entry = { fn: at.fn, calls: 0, loops: 0 }));
      if (at.entry) { entry.calls++; record.entered++; } else entry.loops++;
    };
    this.active = { record, order, position: this.kernel()?.debugPosition() ?? 0n, readBuffer };
    this.machine.useKernel(this.instrumented.module, onLog);
  }

  /** After every slice: once the call has completed (or the process is gone), the machine's own kernel again. */
  afterSlice(pid: number | null, reg: (i: number) => bigint, readMemory: (addr: bigint, len: number) => Uint8Array): void {
    const a = this.active;
    if (a === null || this.machine.state === "off") return;
    const k = this.kernel();
    const done = pid === null || k === null || k.debugPosition() !== a.position;
    if (!done) return;
    if (pid !== null && k !== null) {
      const result = BigInt.asIntN(64, reg(REG_A0));
      a.record.result = result;
      if (a.readBuffer !== null && result > 0n) {
        const bytes = readMemory(a.readBuffer, Number(result < BigInt(SHOW_BYTES) ? result : BigInt(SHOW_BYTES)));
        a.record.detail = quote(bytes, result > BigInt(SHOW_BYTES));
      }
    }
    a.record.functions = [...a.order.values()];
    this.last = a.record;
    this.active = null;
    this.machine.useKernel(null);
  }

  /** Stops recording a call still in progress (it is not kept) and runs the machine's own kernel. */
  abandon(): void {
    if (this.active === null) return;
    this.active = null;
    this.machine.useKernel(null);
  }

  get recording(): boolean {
    return this.active !== null;
  }

  /** `monitor syscall`: the last call, both sides. */
  describe(): string {
    if (this.last === null) {
      return this.problem !== null ? `no system call recorded: ${this.problem}\n`
        : "no system call recorded yet: step (stepi, next) over an ecall first\n";
    }
    const r = this.last;
    const result = r.result === null ? "(did not return)" : `= ${r.result <= -2n || r.result > 0xffffn ? `0x${BigInt.asUintN(64, r.result).toString(16)}` : r.result}`;
    let out = `pid ${r.pid}: ${r.call} ${result}${r.detail ? ` ${r.detail}` : ""}\n`;
    out += `kernel side: ${r.entered} function entries, ${r.functions.length} functions, in order of first entry:\n`;
    for (const f of r.functions) out += `  ${f.fn}${f.calls > 1 ? ` x${f.calls}` : ""}${f.loops > 0 ? ` (${f.loops} loop iterations)` : ""}\n`;
    return out;
  }
}
