// The GDB server's target on a Keel machine: the kernel's debugging
// interface (Machine.debugInterface(), kernel-as/src/proc/debug.ts) behind
// the session's DebugTarget. Memory moves through the kernel's I/O window
// in RAM; everything else is one export call. Works wherever a Machine
// runs (Node, the page's worker).

import type { Machine, KernelDebugExports } from "../machine.js";
import type { DebugTarget, ReverseOutcome, StopInfo, TargetEvent, WatchKind } from "./session.js";
import { REG_COUNT, registerBytes } from "./riscv.js";
import { History, type HistoryOptions, type Point } from "./reverse.js";
import type { UndoDisk } from "../disk/undo.js";
import { KernelSide } from "./kernel-side.js";
import { WAIT_WORDS } from "../inspect.js";

// proc/debug.ts EVENT_*, STOP_*, and machine/debug.ts WATCH_*.
const EVENT_STOP = 1;
const EVENT_EXIT = 2;
const REASONS: StopInfo["reason"][] = ["attach", "attach", "break", "watch", "step", "interrupt", "fault", "step", "exec"];
const WATCH_CODES: Record<WatchKind, number> = { write: 1, read: 2, access: 3 };
const WATCH_NAMES: Record<number, WatchKind> = { 1: "write", 2: "read", 3: "access" };
/** In a reported watch kind: the kernel's copyout wrote the bytes (machine/debug.ts WATCH_BY_KERNEL). */
const WATCH_BY_KERNEL = 0x10;

function watchOf(code: number, addr: bigint): NonNullable<StopInfo["watch"]> {
  const watch: NonNullable<StopInfo["watch"]> = { kind: WATCH_NAMES[code & 3] ?? "write", addr };
  if ((code & WATCH_BY_KERNEL) !== 0) watch.bySyscall = true;
  return watch;
}
const IO_MAX = 0x800;

/** Who debugs through a target: gdb (its TCP server or the page's bridge) or the page's Debugger panel. */
export type DebugOwner = "gdb" | "panel";

export class MachineDebugTarget implements DebugTarget {
  /** Called after a resume, so the host's run loop runs the machine again. */
  onResume?: () => void;

  /** Reverse execution's snapshots and log (null: not enabled, or realtime). */
  private history: History | null = null;
  /** The breakpoints and watchpoints gdb has inserted, for reverse-continue. */
  private readonly points = new Map<string, Point>();
  /** The stop a reverse operation ended at, until the process runs again. */
  private reverseStop: StopInfo | null = null;
  /** Stepping through ecall: the kernel side of the debugged process's system calls. */
  private kernelSide: KernelSide | null = null;

  /** Who attached (or armed an attach at exec) last: the session's one
   *  owner, and after it ends the one its exit event belongs to. */
  private ownedBy: DebugOwner | null = null;
  private execArmed = false;

  constructor(private readonly machine: Machine) {}

  /** Who owns the debugging session now, or null when there is none (nor an attach at exec armed). */
  get owner(): DebugOwner | null {
    if (this.pid() !== null) this.execArmed = false;
    return this.pid() !== null || this.execArmed ? this.ownedBy : null;
  }

  /** This target as `who` sees it: while the other owns the session there
   *  is no process, no event and no attaching, so neither drives nor takes
   *  the stops of the other's process. */
  seenBy(who: DebugOwner): DebugTarget {
    const owns = (): boolean => this.owner === null || this.owner === who;
    return new Proxy(this, {
      get: (t, prop) => {
        if (prop === "pid") return () => (owns() ? t.pid() : null);
        if (prop === "stopped") return () => owns() && t.stopped();
        // Events (an exit comes after the session ended) go to whoever attached last.
        if (prop === "takeEvent") return () => (t.ownedBy === who ? t.takeEvent() : null);
        if (prop === "attach") return (pid: number) => owns() && t.attach(pid, who);
        if (prop === "attachOnExec") return (name: string) => owns() && t.attachOnExec(name, who);
        if (prop === "detach") return () => { if (owns()) t.detach(); };
        if (prop === "kill") return () => { if (owns()) t.kill(); };
        if (prop === "historyText") return () => (owns() ? t.historyText() : `pid ${t.pid()} is debugged in the page's Debugger panel: detach it there first\n`);
        const value: unknown = Reflect.get(t, prop, t);
        return typeof value === "function" ? value.bind(t) : value;
      },
    });
  }

  private kernel(): KernelDebugExports | null {
    return this.machine.debugInterface();
  }

  /** Turns reverse execution on (host/gdb/reverse.ts). The machine must run
   *  the deterministic clock and have its disk, if any, behind `disk`.
   *  Throws with the reason otherwise. */
  enableHistory(disk: UndoDisk | null, options: HistoryOptions = {}): void {
    this.history = new History(this.machine, disk, options);
  }

  /** Records the kernel side of every system call the debugged process
   *  is resumed into (`monitor syscall`), with an instrumented build of
   *  `kernelBytes`, the running kernel's .wasm. */
  enableKernelSide(kernelBytes: Uint8Array): Promise<void> {
    this.kernelSide = new KernelSide(this.machine, kernelBytes);
    return this.kernelSide.ready;
  }

  /** One line on stepping through ecall, for the runner's log. */
  kernelSideStatus(): string {
    const problem = this.kernelSide?.problem;
    if (this.kernelSide === null) return "no kernel side of system calls";
    return problem ? `no kernel side of system calls: ${problem}` : "the kernel side of system calls is ready (monitor syscall)";
  }

  /** The last system call recorded (tests). */
  get lastSyscall(): KernelSide["last"] {
    return this.kernelSide?.last ?? null;
  }

  monitorHelp(): string {
    return "  syscall  the last system call stepped over: arguments, result, the kernel functions it ran\n";
  }

  monitorCommand(command: string): string | null {
    if (command !== "syscall") return null;
    if (this.kernelSide === null) return "system calls are not recorded here (the runner passes the kernel's bytes)\n";
    return this.kernelSide.describe();
  }

  get historyStats(): History["stats"] | null {
    return this.history?.stats ?? null;
  }

  /** Takes a history snapshot now (benchmarks, tests). */
  snapshotNow(): void {
    this.history?.snapshot();
  }

  /** After every machine slice: snapshots when due. */
  afterSlice(): void {
    this.kernelSide?.afterSlice(this.pid(), (i) => this.readRegister(i) ?? 0n, (a, n) => this.readMemory(a, n));
    this.history?.afterSlice();
  }

  historyText(): string {
    const stats = this.history?.stats;
    if (stats === undefined) {
      return this.machine.config.clock === "deterministic"
        ? "no reverse execution: the machine's disk cannot be taken back\n"
        : "no reverse execution: the clock is realtime (--clock deterministic has it)\n";
    }
    const mib = (n: number) => (n / (1024 * 1024)).toFixed(1);
    return `reverse execution: ${stats.snapshots} snapshots (${mib(stats.ramBytes)} MiB of RAM, ${mib(stats.diskBytes)} MiB of disk blocks), ` +
      `${stats.logEntries} inputs logged; history starts at position ${stats.oldestPosition ?? "-"}, now ${this.kernel()?.debugPosition() ?? "-"}\n`;
  }

  canReverse(): boolean {
    return this.history !== null;
  }

  reverse(direction: "step" | "continue"): ReverseOutcome {
    return this.goBack((h) => direction === "step" ? h.reverseStep() : h.reverseContinue([...this.points.values()]));
  }

  /** Back to an earlier position (the page's timeline scrubber); "begin" if
   *  that is before history starts (it goes to the start). */
  reverseTo(position: bigint): ReverseOutcome {
    return this.goBack((h) => h.reverseTo(position));
  }

  private goBack(op: (history: History) => ReturnType<History["reverseStep"]>): ReverseOutcome {
    if (this.history === null) return { kind: "error", message: "reverse execution needs the deterministic clock (--clock deterministic)" };
    // A system call being recorded (the process was interrupted inside it) is not replayed with the instrumented kernel.
    this.kernelSide?.abandon();
    const result = op(this.history);
    if (result.kind !== "error") this.reinsertPoints();
    if (result.kind !== "stop") return result;
    const hit = result.hit;
    const stop: StopInfo = hit === null ? { signal: 5, reason: "step" }
      : hit.kind === "break" ? { signal: 5, reason: "break" }
      : { signal: 5, reason: "watch", watch: watchOf(hit.watchKind, hit.addr) };
    this.reverseStop = stop;
    return { kind: "stop", stop };
  }

  /** After going back to before some were set, the kernel's tables lack
   *  them: every breakpoint and watchpoint set now is inserted again
   *  (inserting one twice is no error). gdb inserts its own at every
   *  resume; the page's panel does not. */
  private reinsertPoints(): void {
    const k = this.kernel();
    if (k === null) return;
    for (const p of this.points.values()) {
      const va = BigInt.asIntN(64, p.addr);
      if (p.kind === "break") {
        k.debugBreak(va, 1);
        this.note((k) => k.debugBreak(va, 1));
      } else {
        const len = BigInt(p.len);
        k.debugWatch(va, len, p.watchKind, 1);
        this.note((k) => k.debugWatch(va, len, p.watchKind, 1));
      }
    }
  }

  /** The debugged process's position: instructions retired plus system
   *  calls completed since it was attached (proc/debug.ts), or null. */
  position(): bigint | null {
    return this.pid() === null ? null : BigInt.asUintN(64, this.kernel()!.debugPosition());
  }

  /** The oldest position reverse execution can go back to, or null. */
  historyStart(): bigint | null {
    return this.history?.stats.oldestPosition ?? null;
  }

  /** Runs the stopped process on until its position is `position` (later
   *  than now); it stops there as after a step, or earlier at a breakpoint,
   *  watchpoint or fault (then clearRunTo() forgets the target). */
  runTo(position: bigint): boolean {
    const k = this.kernel();
    if (k === null || !this.stopped()) return false;
    const arm = BigInt.asIntN(64, position);
    if (k.debugRunTo(arm) !== 0) return false;
    this.note((k) => k.debugRunTo(arm));
    return this.resume(false);
  }

  /** Forgets every runTo() target not reached. */
  clearRunTo(): void {
    this.kernel()?.debugRunToClear();
    this.note((k) => k.debugRunToClear());
  }

  /** The breakpoints set (addresses), in the order set. */
  breakpoints(): bigint[] {
    return [...this.points.values()].filter((p) => p.kind === "break").map((p) => p.addr);
  }

  /** Notes an operation on the kernel for history's replay. */
  private note(apply: (k: KernelDebugExports) => void): void {
    this.history?.record((_m, k) => apply(k));
  }

  pid(): number | null {
    const pid = this.kernel()?.debugSession() ?? 0;
    return pid > 0 ? pid : null;
  }

  stopped(): boolean {
    return this.kernel()?.debugStopped() === 1;
  }

  lastStop(): StopInfo {
    if (this.reverseStop !== null && this.stopped()) return this.reverseStop;
    const k = this.kernel();
    if (k === null) return { signal: 5, reason: "attach" };
    const reason = REASONS[k.debugStopReason()] ?? "attach";
    const stop: StopInfo = { signal: k.debugStopSignal(), reason };
    if (reason === "watch") {
      stop.watch = watchOf(k.debugWatchKind(), BigInt.asUintN(64, k.debugStopAddr()));
    }
    if (reason === "exec") stop.exec = { name: this.processName() ?? "" };
    return stop;
  }

  /** The debugged process's name (its program's, since exec sets it), or null. */
  processName(): string | null {
    const pid = this.pid();
    if (pid === null) return null;
    const overview = this.machine.inspect({ what: "overview", logFrom: 0xffff_ffff, schedFrom: 0xffff_ffff });
    return overview.what === "overview" ? overview.overview.procs.find((p) => p.pid === pid)?.name ?? null : null;
  }

  attach(pid: number, by: DebugOwner = "gdb"): boolean {
    if (!Number.isInteger(pid) || pid <= 0 || pid > 0x7fffffff) return false;
    if (this.owner !== null && this.owner !== by) return false;
    const ok = this.kernel()?.debugAttach(pid) === 0;
    if (ok) {
      this.ownedBy = by;
      this.execArmed = false;
      this.note((k) => k.debugAttach(pid));
    }
    return ok;
  }

  /** Attaches to the next process that execs `name` (at most 16 bytes). */
  attachOnExec(name: string, by: DebugOwner = "gdb"): boolean {
    const k = this.kernel();
    const bytes = new TextEncoder().encode(name);
    if (k === null || bytes.length === 0 || bytes.length > 16) return false;
    if (this.owner !== null && this.owner !== by) return false;
    new Uint8Array(this.machine.ram, k.debugIoBuffer(), bytes.length).set(bytes);
    const ok = k.debugAttachExec(bytes.length) === 0;
    if (ok) {
      this.ownedBy = by;
      this.execArmed = true;
    }
    if (ok) this.note((k) => {
      new Uint8Array(this.machine.ram, k.debugIoBuffer(), bytes.length).set(bytes);
      k.debugAttachExec(bytes.length);
    });
    return ok;
  }

  readRegisters(): bigint[] {
    const k = this.kernel();
    const regs: bigint[] = [];
    for (let i = 0; i < REG_COUNT; i++) regs.push(k === null ? 0n : BigInt.asUintN(64, k.debugReg(i)));
    return regs;
  }

  readRegister(index: number): bigint | null {
    const k = this.kernel();
    if (k === null || registerBytes(index) === 0) return null;
    return BigInt.asUintN(64, k.debugReg(index));
  }

  writeRegister(index: number, value: bigint): boolean {
    if (registerBytes(index) === 0) return false;
    const v = BigInt.asIntN(64, value);
    const ok = this.kernel()?.debugSetReg(index, v) === 0;
    if (ok) this.note((k) => k.debugSetReg(index, v));
    return ok;
  }

  readMemory(addr: bigint, len: number): Uint8Array {
    const k = this.kernel();
    if (k === null) return new Uint8Array(0);
    const got = k.debugRead(BigInt.asIntN(64, addr), Math.min(len, IO_MAX));
    if (got <= 0) return new Uint8Array(0);
    return new Uint8Array(this.machine.ram, k.debugIoBuffer(), got).slice();
  }

  writeMemory(addr: bigint, data: Uint8Array): boolean {
    const k = this.kernel();
    if (k === null || data.length > IO_MAX) return false;
    new Uint8Array(this.machine.ram, k.debugIoBuffer(), data.length).set(data);
    const ok = k.debugWrite(BigInt.asIntN(64, addr), data.length) === 0;
    if (ok) {
      const copy = data.slice();
      this.note((k) => {
        new Uint8Array(this.machine.ram, k.debugIoBuffer(), copy.length).set(copy);
        k.debugWrite(BigInt.asIntN(64, addr), copy.length);
      });
    }
    return ok;
  }

  setBreakpoint(addr: bigint, on: boolean): boolean {
    const va = BigInt.asIntN(64, addr);
    const flag = on ? 1 : 0;
    const ok = this.kernel()?.debugBreak(va, flag) === 0;
    if (ok) {
      this.note((k) => k.debugBreak(va, flag));
      if (on) this.points.set(`b${addr}`, { kind: "break", addr: BigInt.asUintN(64, addr), len: 0, watchKind: 0 });
      else this.points.delete(`b${addr}`);
    }
    return ok;
  }

  setWatchpoint(addr: bigint, len: number, kind: WatchKind, on: boolean): boolean {
    const va = BigInt.asIntN(64, addr);
    const code = WATCH_CODES[kind];
    const flag = on ? 1 : 0;
    const ok = this.kernel()?.debugWatch(va, BigInt(len), code, flag) === 0;
    if (ok) {
      this.note((k) => k.debugWatch(va, BigInt(len), code, flag));
      const key = `w${addr},${len},${code}`;
      if (on) this.points.set(key, { kind: "watch", addr: BigInt.asUintN(64, addr), len, watchKind: code });
      else this.points.delete(key);
    }
    return ok;
  }

  // ---- threads: each live thread of the process is one of gdb's ----

  /** The live threads' ids (the main thread's is the pid), in slot order. */
  threads(): number[] {
    const k = this.kernel();
    const out: number[] = [];
    if (k === null || this.pid() === null) return out;
    for (let i = 0; i < 64; i++) {
      const tid = k.debugThreadAt(i);
      if (tid <= 0) break;
      out.push(tid);
    }
    return out;
  }

  /** "pid 6 tid 7, sleeping: futex" (gdb's qThreadExtraInfo), or null for no thread of the process. */
  threadText(tid: number): string | null {
    const k = this.kernel();
    const pid = this.pid();
    if (k === null || pid === null || !Number.isInteger(tid)) return null;
    const state = k.debugThreadState(tid);
    if (state < 0) return null;
    const s = state & 0xff;
    const words = s === 1 ? "runnable" : s === 2 ? "running" : s === 3 ? `sleeping: ${WAIT_WORDS[state >> 8] ?? "?"}` : "?";
    return `pid ${pid} tid ${tid}${tid === pid ? " (main)" : ""}, ${this.stopped() ? "stopped, " : ""}${words}`;
  }

  /** Selects thread tid for registers (gdb's Hg); false if it is none of the process's. */
  selectThread(tid: number): boolean {
    const k = this.kernel();
    if (k === null || !Number.isInteger(tid) || tid <= 0 || tid > 0x7fffffff) return false;
    if (k.debugSelectThread(tid) !== 0) return false;
    this.note((k) => k.debugSelectThread(tid));
    return true;
  }

  /** The selected thread (registers), or null. */
  currentThread(): number | null {
    const tid = this.kernel()?.debugThread() ?? 0;
    return tid > 0 ? tid : null;
  }

  /** The thread the last stop is of (after a reverse step too: history's), or null. */
  stopThread(): number | null {
    const tid = this.kernel()?.debugStopThread() ?? 0;
    return tid > 0 && this.pid() !== null ? tid : null;
  }

  resume(step: boolean): boolean {
    return this.resumeThread(step, null, false);
  }

  /** Resumes with thread tid (null: the selected one) stepping or
   *  continuing; alone: the others stay stopped (gdb's vCont;s:TID). */
  resumeThread(step: boolean, tid: number | null, alone: boolean): boolean {
    if (tid !== null && !this.selectThread(tid)) return false;
    const flag = step ? 1 : 0;
    const pid = this.pid();
    const side = this.kernelSide;
    if (side !== null && pid !== null && this.stopped() && !side.recording) {
      const read = (a: bigint, n: number) => this.readMemory(a, n);
      if (side.atEcall(read, this.readRegister(32) ?? 0n)) side.begin(pid, (i) => this.readRegister(i) ?? 0n, read);
    }
    const t = this.currentThread() ?? 0;
    const only = alone ? 1 : 0;
    const ok = this.kernel()?.debugResumeThread(flag, t, only) === 0;
    if (ok) {
      this.reverseStop = null;
      this.note((k) => k.debugResumeThread(flag, t, only));
      this.onResume?.();
    }
    return ok;
  }

  interrupt(): void {
    this.kernel()?.debugInterrupt();
    this.note((k) => k.debugInterrupt());
  }

  kill(): void {
    this.kernel()?.debugKill();
    this.points.clear();
    this.history?.clear();
    this.onResume?.();
  }

  detach(): void {
    this.kernelSide?.abandon();
    this.execArmed = false;
    this.kernel()?.debugDetach();
    this.points.clear();
    this.history?.clear();
    this.onResume?.();
  }

  takeEvent(): TargetEvent | null {
    const k = this.kernel();
    if (k === null) return null;
    const event = k.debugTakeEvent();
    if (event === EVENT_STOP) {
      const stop = this.lastStop();
      // The kernel dropped the old program's breakpoints and watchpoints at its exec.
      if (stop.reason === "exec") this.points.clear();
      return { kind: "stop", stop };
    }
    if (event === EVENT_EXIT) return { kind: "exit", status: k.debugExitStatus(), signal: k.debugExitSignal() };
    return null;
  }
}
