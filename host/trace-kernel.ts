// `trace -k` (the runner's --trace-kernel, docs/debugging.md): for every
// record the kernel's trace ring gets (a call of a process `trace` traces),
// the kernel functions that call went through, printed by the host under
// the line `trace` prints for it.
//
// Host-side because the names are the host's: they come from the name
// section of an instrumented build of the running kernel made with
// binaryen's log-execution pass (host/gdb/kernel-side.ts, the same build
// `monitor syscall` uses), and the kernel in the machine has neither the
// names nor the hook. The machine runs that build (Machine.useKernel,
// same RAM); each function entry counts for the pid the kernel's record says it is
// handling a system call for (KernelState.runPid, sysNum), and when the
// ring gets that pid's next record the functions gathered since its last
// one are that call's. A call that blocks is the sum of its runs. The
// runner runs that build from the start (the option asks for it): the
// machine is slower with --trace-kernel, and only then.

import type { Machine } from "./machine.js";
import { SYSCALL_TRACE, SYSCALL_TRACE_RING } from "./hw.js";
import { CPU_RUN_PID, CPU_SYS_NUM, cpuRecordAddr } from "./cpus.js";
import { instrumentKernel, type InstrumentedKernel } from "./gdb/kernel-side.js";
import { SYSCALL_RING_RECORDS, readSyscallTrace, type SyscallTraceRecord } from "./syscall-trace.js";

/** Where the vCPU in the kernel is: its record's runPid and sysNum (host/hw.ts CPU_*, kernel-as/src/lib/cpu.ts). */
const SYSCALL_NONE = 0xffff_ffff;
/** sctrace.ts: the pid traced in each of 64 process slots. */
const ST_NEXT = 8;
const ST_PIDS = 64;
const TR_SIZE = 128;
const TR_PID = 8;
const MAX_PROCS = 64;
const NAME_PREFIX = "kernel-as/src/";

interface Gathered {
  /** Functions in order of first entry, with entries counted. */
  order: Map<string, number>;
  entries: number;
}

/** What one traced call went through. */
export interface KernelTraceLine {
  record: SyscallTraceRecord;
  /** Function names (without kernel-as/src/), in order of first entry, each with how often it was entered. */
  functions: { fn: string; calls: number }[];
}

export class KernelTrace {
  private instrumented: InstrumentedKernel | null = null;
  /** Why there is no kernel side, once known. */
  problem: string | null = null;
  readonly ready: Promise<void>;
  private running = false;
  private from = 0;
  private readonly gathered = new Map<number, Gathered>();
  /** The call being gathered (null: its process is not traced; undefined: none running). */
  private current: Gathered | null | undefined = undefined;
  private currentPid = 0;
  /** The ring's next sequence number when last looked at. */
  private lastNext = 0;
  /** What each record's call went through, by sequence number, until printed. */
  private readonly byRecord = new Map<number, Gathered>();

  constructor(
    private readonly machine: Machine,
    kernelBytes: Uint8Array,
    private readonly print: (line: KernelTraceLine) => void,
  ) {
    this.ready = instrumentKernel(kernelBytes).then(
      (k) => { this.instrumented = k; },
      (error: unknown) => { this.problem = `the kernel could not be instrumented: ${error instanceof Error ? error.message : String(error)}`; },
    );
  }

  /** After every slice: the new records, each with its functions; the instrumented kernel from the first slice on. */
  afterSlice(): void {
    const k = this.instrumented;
    const state = this.machine.state;
    if (k === null || state === "off" || state === "panicked" || state === "halted") return;
    this.collect(new DataView(this.machine.ram));
    const read = readSyscallTrace(this.machine.ram, this.from);
    this.from = read.next;
    for (const record of read.records) {
      const g = this.byRecord.get(record.seq);
      const functions = g === undefined ? [] : [...g.order].map(([fn, calls]) => ({ fn, calls }));
      this.print({ record, functions });
    }
    this.byRecord.clear();
    // What a process gathered after its last record (exit's record comes
    // first, then its work) goes when it is no longer traced.
    if (this.gathered.size > 0) {
      const view = new DataView(this.machine.ram);
      const traced = new Set<number>();
      for (let i = 0; i < MAX_PROCS; i++) traced.add(view.getInt32(SYSCALL_TRACE + ST_PIDS + i * 4, true));
      for (const pid of this.gathered.keys()) if (!traced.has(pid)) this.gathered.delete(pid);
    }
    this.start();
  }

  /** Runs the instrumented kernel from now on (the runner calls it right
   *  after boot, so the first traced call is seen whole; afterSlice() does
   *  it otherwise). Only between slices of a booted machine. */
  start(): void {
    const k = this.instrumented;
    if (this.running || k === null || this.machine.state === "off") return;
    this.running = true;
    this.machine.useKernel(k.module, (id) => this.entered(id));
  }

  /** Hands what each process gathered to the records the ring got since
   *  the last look: a record closes its process's call. Run at every
   *  function entry (one load when nothing new) and after each slice. */
  private collect(view: DataView): void {
    const next = view.getUint32(SYSCALL_TRACE + ST_NEXT, true);
    if (next === this.lastNext) return;
    if (next < this.lastNext) {
      this.gathered.clear(); // a new boot: the ring started again
      this.byRecord.clear();
      this.current = undefined;
      this.lastNext = next;
      return;
    }
    for (let seq = Math.max(this.lastNext, next - SYSCALL_RING_RECORDS); seq < next; seq++) {
      const pid = view.getInt32(SYSCALL_TRACE_RING + (seq % SYSCALL_RING_RECORDS) * TR_SIZE + TR_PID, true);
      const g = this.gathered.get(pid);
      this.gathered.delete(pid);
      if (g !== undefined) this.byRecord.set(seq, g);
      if (this.currentPid === pid) this.current = undefined;
    }
    this.lastNext = next;
  }

  private entered(id: number): void {
    const view = new DataView(this.machine.ram);
    this.collect(view);
    const rec = cpuRecordAddr(this.machine.runningCpu);
    if (view.getUint32(rec + CPU_SYS_NUM, true) === SYSCALL_NONE) {
      this.current = undefined; // between calls: the next entry with a call number starts one
      return;
    }
    const pid = view.getInt32(rec + CPU_RUN_PID, true);
    if (this.current === undefined || this.currentPid !== pid) {
      // A call starts: gathered only if its process is traced now (its record will come).
      this.currentPid = pid;
      this.current = null;
      for (let i = 0; i < MAX_PROCS; i++) {
        if (view.getInt32(SYSCALL_TRACE + ST_PIDS + i * 4, true) !== pid) continue;
        let g = this.gathered.get(pid);
        if (g === undefined) this.gathered.set(pid, (g = { order: new Map(), entries: 0 }));
        this.current = g;
        break;
      }
    }
    const g = this.current;
    if (g === null) return;
    const at = this.instrumented?.where(id);
    if (!at?.entry) return;
    const fn = at.fn.startsWith(NAME_PREFIX) ? at.fn.slice(NAME_PREFIX.length) : at.fn;
    g.order.set(fn, (g.order.get(fn) ?? 0) + 1);
    g.entries++;
  }
}

/** The line printed under a record: `kernel: sys/unix/dispatch, sys/unix/sysWrite x2, ...`. */
export function kernelLine(line: KernelTraceLine): string {
  if (line.functions.length === 0 && line.record.name === "exit") return "  kernel: (not recorded: the kernel writes exit's record before exit runs)";
  if (line.functions.length === 0) return "  kernel: (no function entries recorded)";
  return `  kernel: ${line.functions.map((f) => (f.calls > 1 ? `${f.fn} x${f.calls}` : f.fn)).join(", ")}`;
}
