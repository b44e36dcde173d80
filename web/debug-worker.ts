// The Debugger panel's worker side (docs/debugging.md, "The Debugger
// panel"): the GDB server's target (host/gdb/machine-target.ts, with its
// reverse execution, host/gdb/reverse.ts) driven by the panel's requests
// (web/debug-protocol.ts) instead of gdb's packets. It holds no debugger
// of its own: attach, registers, memory, breakpoints kept by the hart,
// stepping, continuing and going back are the target's operations; what
// is added here is only what a screen needs (the program's symbols from
// the boot file system, the disassembly window, the stack's words) and
// "step over" (a temporary breakpoint after a call).
//
// One per machine, built by web/worker.ts; `target` is the machine's one
// debug target (the kernel debugs one process at a time), for anything
// else in the worker that debugs (a gdb bridge) to share. Nothing here
// touches worker globals, so it runs in Node too (web/debug-worker.test.ts).

import type { Machine } from "../host/machine.js";
import type { UndoDisk } from "../host/disk/undo.js";
import { MachineDebugTarget } from "../host/gdb/machine-target.js";
import type { StopInfo } from "../host/gdb/session.js";
import { SYSCALLS } from "../host/gdb/syscalls.js";
import { disassemble, instructionLength } from "../host/rv/disasm.js";
import { parseElf } from "../host/rv/elf.js";
import type { DebugReply, DebugRequest, DebugView, DisasmRow, StackRow, WatchHit, WatchKind, WatchRow } from "./debug-protocol.js";
import { SymbolTable, disassembleAround, hex16, isCall, parseTarget, u64At, watchWindow, withTarget } from "./debug-model.js";

/** Bytes read before and after pc for the disassembly window. */
const DISASM_BEFORE = 512;
const DISASM_AFTER = 64;
/** Lines of disassembly shown before pc, and words of stack. */
const LINES_BEFORE = 8;
const LINES_MAX = 28;
const STACK_WORDS = 16;
const MEMORY_MAX = 1024;
/** The kernel's limits on a watchpoint (machine/debug.ts WATCH_LEN_MAX, WATCH_MAX). */
const WATCH_LEN_MAX = 4096;
/** What the kernel's debug I/O window moves at once (proc/debug.ts DEBUG_IO_MAX). */
const IO_MAX = 0x800;
const REG_A7 = 17;
const PAGE = 4096n;
const REG_PC = 32;
const REG_SP = 2;

/** A watchpoint set from the panel, with its bytes as last seen at a stop
 *  (the old value when a system call writes them: no instruction to stop before). */
interface Watch {
  row: WatchRow;
  addr: bigint;
  seen: (number | null)[];
}

interface Program {
  pid: number;
  name: string;
  symbols: SymbolTable;
  /** Where they came from, or why there are none. */
  note: string;
  /** The loadable segments of the ELF found, to check that memory holds that program. */
  segments: { vaddr: bigint; data: Uint8Array }[];
}

export interface PanelDebuggerOptions {
  /** The boot file system image (user/bin/bootfs.img): the programs, with their symbol tables. */
  bootfs: Uint8Array | null;
  /** The machine's disk behind an UndoDisk (deterministic clock), for reverse execution; null without a disk. */
  undoDisk: UndoDisk | null;
  /** Runs the machine's loop again (after a resume). */
  kick(): void;
  /** A stop, exit or detach that happened while the process ran (not in answer to a request). */
  post(view: DebugView): void;
}

/** A file of a boot file system image (docs/bootfs.md), or null. */
export function bootfsFile(image: Uint8Array, name: string): Uint8Array | null {
  if (image.length < 16) return null;
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  if (view.getUint32(0, true) !== 0x5346424b) return null;
  const count = view.getUint32(8, true);
  const want = new TextEncoder().encode(name);
  for (let i = 0; i < count; i++) {
    const at = 16 + i * 32;
    if (at + 32 > image.length) return null;
    let n = 0;
    while (n < 16 && image[at + n] !== 0) n++;
    if (n !== want.length || !want.every((b, j) => image[at + j] === b)) continue;
    const offset = view.getUint32(at + 16, true);
    const size = view.getUint32(at + 20, true);
    return offset + size <= image.length ? image.subarray(offset, offset + size) : null;
  }
  return null;
}

export class PanelDebugger {
  readonly target: MachineDebugTarget;
  /** Why reverse execution is off, or null when it is on. */
  private readonly reverseWhy: string | null;
  private exited: DebugView["exited"] = null;
  private furthest: bigint | null = null;
  /** Step over in progress: the temporary breakpoint (set by us, or a user's kept), and sp at the call. */
  private over: { addr: bigint; sp: bigint; ours: boolean } | null = null;
  /** A goto forward in progress (its run-to target is cleared if something else stops it first). */
  private runningTo: bigint | null = null;
  /** We resumed the process and owe the panel the stop. */
  private resumed = false;
  private program: Program | null = null;
  /** The panel attached the process debugged now (not gdb through the bridge): its stops are the panel's to take. */
  private ours = false;
  private watches: Watch[] = [];
  /** A watchpoint stop before its access: the access runs as one step, then its new bytes are read. */
  private watchStep: { hit: WatchHit; watch: Watch; offset: number } | null = null;
  /** The last watchpoint hit, until the process runs or goes back. */
  private hit: WatchHit | null = null;
  /** Armed to attach to the next process that execs this name. */
  private awaitingExec: string | null = null;

  constructor(private readonly machine: Machine, private readonly options: PanelDebuggerOptions) {
    this.target = new MachineDebugTarget(machine);
    this.target.onResume = () => options.kick();
    let why: string | null = null;
    if (machine.config.clock !== "deterministic") {
      why = "Reverse execution needs the deterministic clock: this machine runs the realtime clock (open the page with ?clock=deterministic).";
    } else {
      try {
        this.target.enableHistory(options.undoDisk);
      } catch (error) {
        why = `No reverse execution here: ${error instanceof Error ? error.message : String(error)}.`;
      }
    }
    this.reverseWhy = why;
  }

  /** After every machine slice: history's snapshots, and the stop or exit of a process that ran. */
  afterSlice(): void {
    this.target.afterSlice();
    // Between sessions the UndoDisk keeps nothing: no snapshot can go back there.
    if (this.target.pid() === null && this.options.undoDisk !== null && this.options.undoDisk.keptBytes > 0) {
      this.options.undoDisk.forget(Number.MAX_SAFE_INTEGER);
    }
    this.collect(true);
  }

  /** Takes the target's event; on a stop that ends a step over or a goto, tidies up; posts the view if asked. */
  private collect(post: boolean): void {
    if (this.awaitingExec !== null && this.target.pid() !== null) {
      // The exec came: a fresh session, stopped at the program's first instruction.
      this.awaitingExec = null;
      this.fresh();
      this.target.afterSlice(); // history starts here
      this.noteFurthest();
    }
    if (!this.ours) return; // gdb's session takes its own events
    const event = this.target.takeEvent();
    if (event === null) return;
    if (event.kind === "exit") {
      const pid = this.program?.pid ?? 0;
      this.exited = { pid, status: event.status, signal: event.signal };
      this.endSession();
      if (post) this.options.post(this.view());
      return;
    }
    if (this.over !== null && this.finishOver(event.stop)) return; // a deeper frame: it runs on
    if (this.runningTo !== null) {
      if (this.target.position() !== this.runningTo) this.target.clearRunTo();
      this.runningTo = null;
    }
    if (event.stop.reason === "exec") {
      // A new program: its symbols; the old one's breakpoints and watchpoints went with it (the kernel dropped them).
      this.program = null;
      if (this.over !== null) this.over = null;
      this.forgetWatches();
    }
    if (this.watchStep !== null) this.finishWatch();
    else if (event.stop.reason === "watch" && event.stop.watch !== undefined && this.beginWatch(event.stop.watch, false)) return;
    this.stopped();
    if (post) this.options.post(this.view());
  }

  /** The process is stopped for the panel: note how far it got and what the watched bytes hold. */
  private stopped(): void {
    this.resumed = false;
    this.noteFurthest();
    for (const w of this.watches) w.seen = this.readMemory(w.addr, w.row.len);
  }

  /** The panel's session ended (exit or detach): nothing of it carries over. */
  private endSession(): void {
    this.ours = false;
    this.over = null;
    this.runningTo = null;
    this.resumed = false;
    this.furthest = null;
    this.forgetWatches();
  }

  /** A new session of the panel's. */
  private fresh(): void {
    this.endSession();
    this.exited = null;
    this.ours = true;
    this.program = null;
  }

  private forgetWatches(): void {
    this.watches = [];
    this.watchStep = null;
    this.hit = null;
  }

  /**
   * A watchpoint stop: what the panel shows of it. A system call's write
   * (forwards) stopped after the call: the hit is complete, its old bytes
   * those seen at the last stop (false). An instruction's access stopped
   * before it, and a reverse continue before the access (an instruction or
   * an ecall): that instruction runs as one step, and the hit is finished
   * at its stop (true: running).
   */
  private beginWatch(stop: NonNullable<StopInfo["watch"]>, reverse: boolean): boolean {
    const t = this.target;
    const watch = this.watches.find((w) => stop.addr >= w.addr && stop.addr < w.addr + BigInt(w.row.len));
    if (watch === undefined) return false; // not one of ours (gdb's, before the panel took over): a plain stop
    const [offset, size] = watchWindow(watch.addr, watch.row.len, stop.addr);
    const valueAt = watch.addr + BigInt(offset);
    const symbols = this.programOf(t.pid()!).symbols;
    const now = this.readMemory(valueAt, size);
    const position = t.position()!;
    let pc = t.readRegister(REG_PC)!;
    const afterCall = stop.bySyscall === true && !reverse;
    if (afterCall) pc -= 4n; // the ecall, 4 bytes (no compressed form)
    const call = SYSCALLS.get(Number(t.readRegister(REG_A7) ?? 0n))?.name;
    const text = this.instructionAt(pc, symbols)?.text ?? "?";
    const hit: WatchHit = {
      watch: watch.row, addr: hex16(stop.addr), kind: stop.kind, valueAt: hex16(valueAt), valueLabel: symbols.name(valueAt),
      old: afterCall ? watch.seen.slice(offset, offset + size) : now, new: now,
      pc: hex16(pc), symbol: symbols.name(pc), instruction: stop.bySyscall === true ? `${text} (${call ?? "a system call"}: the kernel wrote it)` : text,
      bySyscall: stop.bySyscall === true, position: String(afterCall ? position - 1n : position),
    };
    if (afterCall) {
      this.hit = hit;
      return false;
    }
    this.watchStep = { hit, watch, offset };
    this.target.resume(true);
    this.resumed = true;
    return true;
  }

  /** The step over a watchpoint's access ended: its new bytes. */
  private finishWatch(): void {
    const { hit, watch, offset } = this.watchStep!;
    this.watchStep = null;
    hit.new = this.readMemory(watch.addr + BigInt(offset), hit.old.length);
    this.hit = hit;
  }

  /** The instruction at pc: its bits, length and text (branch targets named), or null if unreadable. */
  private instructionAt(pc: bigint, symbols: SymbolTable): { bits: number; length: number; text: string } | null {
    const bytes = this.target.readMemory(pc, 4);
    if (bytes.length < 2) return null;
    const length = instructionLength(bytes[0]! | (bytes[1]! << 8));
    if (bytes.length < length) return null;
    const bits = length === 2 ? bytes[0]! | (bytes[1]! << 8) : new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
    return { bits, length, text: withTarget(disassemble(bits), pc, symbols) };
  }

  /** A stop during step over: true when it ran on (the return breakpoint was hit by a deeper call). */
  private finishOver(stop: StopInfo): boolean {
    const over = this.over!;
    const pc = this.target.readRegister(REG_PC);
    const sp = this.target.readRegister(REG_SP) ?? 0n;
    if (stop.reason === "break" && pc === over.addr && sp < over.sp) {
      this.target.resume(false);
      return true;
    }
    if (over.ours) this.target.setBreakpoint(over.addr, false);
    this.over = null;
    return false;
  }

  private noteFurthest(): void {
    const p = this.target.position();
    if (p !== null && (this.furthest === null || p > this.furthest)) this.furthest = p;
  }

  handle(request: DebugRequest): DebugReply {
    try {
      const message = this.apply(request);
      if (request.op === "memory") {
        const addr = this.address(request.addr);
        return { kind: "memory", addr: hex16(addr), bytes: this.readMemory(addr, request.len), view: this.view() };
      }
      return { kind: "view", view: this.view(), ...(message !== null ? { message } : {}) };
    } catch (error) {
      return { kind: "error", message: error instanceof Error ? error.message : String(error), view: this.safeView() };
    }
  }

  /** Does the request; a message for the panel's status line, or null. Throws what the panel shows as an error. */
  private apply(request: DebugRequest): string | null {
    const t = this.target;
    this.ours = t.owner === "panel";
    if (t.owner === "gdb" && request.op !== "view" && request.op !== "memory") {
      throw new Error(t.pid() === null
        ? "gdb (through the bridge) is waiting to attach at an exec: the panel cannot attach until it stops."
        : `Process ${t.pid()} is debugged by gdb (through the bridge): the panel only shows it.`);
    }
    const needStopped = (): void => {
      if (t.pid() === null) throw new Error("No process is debugged: attach to one first.");
      if (!t.stopped()) throw new Error("The process is running: pause it first.");
    };
    switch (request.op) {
      case "view":
        return null;
      case "attach": {
        if (t.pid() === request.pid) return null;
        if (t.pid() !== null) throw new Error(`Process ${t.pid()} is debugged already: detach first.`);
        if (!t.attach(request.pid, "panel")) throw new Error(`Cannot attach to process ${request.pid}: there is no such process (or it is the kernel's).`);
        this.awaitingExec = null;
        this.fresh();
        t.afterSlice(); // history starts here
        this.noteFurthest();
        return `attached to process ${request.pid}, stopped`;
      }
      case "attach-exec": {
        const name = request.name.trim();
        if (t.pid() !== null) throw new Error(`Process ${t.pid()} is debugged already: detach first.`);
        if (!/^[\x21-\x7e]{1,16}$/.test(name)) throw new Error("A program name is 1 to 16 characters, no spaces.");
        if (!t.attachOnExec(name, "panel")) throw new Error(`Cannot wait for ${name}.`);
        this.awaitingExec = name;
        this.ours = true;
        this.exited = null;
        return `waiting for the next process that runs ${name}: it stops at its first instruction`;
      }
      case "detach": {
        const pid = t.pid();
        if (pid === null && this.awaitingExec !== null) {
          t.detach(); // disarms the exec-attach
          const name = this.awaitingExec;
          this.awaitingExec = null;
          this.ours = false;
          return `no longer waiting for ${name}`;
        }
        if (pid === null) return null;
        if (this.over?.ours === true) t.setBreakpoint(this.over.addr, false);
        t.detach();
        this.endSession();
        return `detached from process ${pid}: it runs on`;
      }
      case "step":
        needStopped();
        return this.run(true);
      case "next": {
        needStopped();
        const pc = t.readRegister(REG_PC)!;
        const ins = this.instructionAt(pc, this.programOf(t.pid()!).symbols);
        if (ins === null || !isCall(ins.bits, ins.length)) return this.run(true);
        const addr = pc + BigInt(ins.length);
        const ours = !t.breakpoints().includes(addr);
        if (ours && !t.setBreakpoint(addr, true)) throw new Error(`Cannot set a breakpoint at ${hex16(addr)}.`);
        this.over = { addr, sp: t.readRegister(REG_SP) ?? 0n, ours };
        return this.run(false);
      }
      case "continue":
        needStopped();
        return this.run(false);
      case "pause":
        if (t.pid() === null) throw new Error("No process is debugged.");
        if (t.stopped()) return null;
        t.interrupt();
        this.collect(false);
        return null;
      case "reverse-step":
      case "reverse-continue": {
        needStopped();
        if (this.reverseWhy !== null) throw new Error(this.reverseWhy);
        const hit = this.hit;
        this.hit = null;
        if (request.op === "reverse-step") return this.reverseOutcome(t.reverse("step"));
        // Just after a watchpoint's access (the panel stepped over it): back before it first, so the previous hit is found, not this one.
        if (hit !== null && t.position() === BigInt(hit.position) + 1n) {
          const back = t.reverseTo(BigInt(hit.position));
          if (back.kind === "error") throw new Error(`Going back failed: ${back.message}`);
        }
        const outcome = t.reverse("continue");
        if (outcome.kind === "stop" && outcome.stop.reason === "watch" && outcome.stop.watch !== undefined && this.beginWatch(outcome.stop.watch, true)) {
          this.over = null;
          this.runningTo = null;
          return "back at the last watchpoint hit: its access runs again, to show the value it wrote";
        }
        return this.reverseOutcome(outcome);
      }
      case "goto": {
        needStopped();
        const position = BigInt(request.position);
        const now = t.position()!;
        if (position === now) return null;
        if (position < now) {
          if (this.reverseWhy !== null) throw new Error(this.reverseWhy);
          return this.reverseOutcome(t.reverseTo(position));
        }
        if (!t.runTo(position)) throw new Error(`Cannot run to position ${position}.`);
        this.hit = null;
        this.runningTo = position;
        this.resumed = true;
        this.collect(false);
        return null;
      }
      case "break": {
        needStopped();
        const addr = request.on ? this.address(request.addr) : parseHex(request.addr);
        if (this.over?.addr === addr && this.over.ours) this.over.ours = !request.on;
        if (!t.setBreakpoint(addr, request.on)) throw new Error(`Cannot ${request.on ? "set" : "clear"} a breakpoint at ${hex16(addr)}.`);
        return null;
      }
      case "watch":
        needStopped();
        return this.watch(request);
      case "memory":
        if (t.pid() === null) throw new Error("No process is debugged: attach to one first.");
        if (!Number.isInteger(request.len) || request.len <= 0 || request.len > MEMORY_MAX) throw new Error(`Read 1 to ${MEMORY_MAX} bytes.`);
        this.address(request.addr);
        return null;
    }
  }

  /** Sets or removes a watchpoint (the target's, kept by the hart as gdb's are). */
  private watch(request: Extract<DebugRequest, { op: "watch" }>): string {
    const t = this.target;
    const kinds: WatchKind[] = ["write", "read", "access"];
    if (!kinds.includes(request.kind)) throw new Error(`A watchpoint stops at a write, a read or an access, not ${String(request.kind)}.`);
    const symbols = this.programOf(t.pid()!).symbols;
    if (!request.on) {
      const addr = parseHex(request.addr);
      const i = this.watches.findIndex((w) => w.addr === addr && w.row.len === request.len && w.row.kind === request.kind);
      if (i < 0) throw new Error(`No ${request.kind} watchpoint at ${hex16(addr)}.`);
      const w = this.watches[i]!;
      t.setWatchpoint(w.addr, w.row.len, w.row.kind, false);
      this.watches.splice(i, 1);
      return `watchpoint on ${w.row.label ?? hex16(w.addr)} removed`;
    }
    const target = parseTarget(request.addr, symbols);
    if (target === null) throw new Error(`Not an address (hex), a symbol of the program or symbol+offset: ${request.addr}`);
    const len = request.len ?? (target.size !== null ? Number(target.size > BigInt(WATCH_LEN_MAX) ? BigInt(WATCH_LEN_MAX) : target.size) : 8);
    if (!Number.isInteger(len) || len < 1 || len > WATCH_LEN_MAX) throw new Error(`A watchpoint covers 1 to ${WATCH_LEN_MAX} bytes.`);
    if (this.watches.some((w) => w.addr === target.addr && w.row.len === len && w.row.kind === request.kind)) return "that watchpoint is set already";
    const seen = this.readMemory(target.addr, len);
    if (seen.every((b) => b === null)) throw new Error(`Nothing is mapped at ${hex16(target.addr)}: no watchpoint there.`);
    if (!t.setWatchpoint(target.addr, len, request.kind, true)) {
      throw new Error(`Cannot watch ${len} bytes at ${hex16(target.addr)}: at most 8 watchpoints, in user memory.`);
    }
    const row: WatchRow = { addr: hex16(target.addr), len, kind: request.kind, label: symbols.name(target.addr) };
    this.watches.push({ row, addr: target.addr, seen });
    return `watching ${row.label ?? row.addr} (${len} bytes) for ${request.kind === "access" ? "reads and writes" : `${request.kind}s`}`;
  }

  /** Resumes the stopped process (one instruction, or until it stops); its stop is collected after the slices that run it. */
  private run(step: boolean): null {
    this.hit = null;
    this.target.resume(step);
    this.resumed = true;
    this.collect(false);
    return null;
  }

  /** An address typed in the panel: hex, or one of the program's symbols. */
  private address(text: string): bigint {
    const pid = this.target.pid();
    const addr = parseTarget(text, pid === null ? null : this.programOf(pid).symbols)?.addr ?? null;
    if (addr === null) throw new Error(`Not an address (hex) or a symbol of the program: ${text}`);
    return addr;
  }

  private reverseOutcome(outcome: ReturnType<MachineDebugTarget["reverse"]>): string | null {
    this.over = null;
    this.runningTo = null;
    this.hit = null;
    if (outcome.kind === "stop") this.stopped();
    if (outcome.kind === "error") throw new Error(`Going back failed: ${outcome.message}`);
    if (outcome.kind === "begin") return "at the start of the history reverse execution holds";
    return outcome.stop.reason === "break" ? "back at the last breakpoint hit" : null;
  }

  /** Memory through the process's page table: each byte, or null where it is not readable (a fault is never an exception). */
  readMemory(addr: bigint, len: number): (number | null)[] {
    const out: (number | null)[] = [];
    let at = addr;
    while (out.length < len) {
      const pageEnd = (at / PAGE + 1n) * PAGE;
      const want = Math.min(len - out.length, Number(pageEnd - at), IO_MAX);
      const got = this.target.readMemory(at, want);
      for (let i = 0; i < want; i++) out.push(i < got.length ? got[i]! : null);
      at = BigInt.asUintN(64, at + BigInt(want));
    }
    return out;
  }

  private safeView(): DebugView | null {
    try {
      return this.view();
    } catch {
      return null;
    }
  }

  /** What the panel shows now. */
  view(): DebugView {
    const t = this.target;
    const pid = t.pid();
    const reverse: DebugView["reverse"] = this.reverseWhy === null ? { on: true } : { on: false, why: this.reverseWhy };
    const base: DebugView = {
      pid, awaitingExec: this.awaitingExec, name: null, state: "detached", reason: null, signal: null, exited: this.exited, regs: [], disasm: [], stack: [],
      breakpoints: t.breakpoints().map(hex16), watchpoints: this.watches.map((w) => w.row), hit: null, symbols: "", position: null, historyStart: null, furthest: null, reverse,
    };
    if (pid === null) return base;
    const program = this.programOf(pid);
    base.name = program.name;
    base.symbols = program.note;
    base.position = t.position()?.toString() ?? null;
    base.historyStart = t.historyStart()?.toString() ?? null;
    base.furthest = this.furthest?.toString() ?? null;
    if (!t.stopped() || this.resumed || this.over !== null || this.watchStep !== null) {
      base.state = "running";
      return base;
    }
    base.state = "stopped";
    base.hit = this.hit;
    const stop = t.lastStop();
    base.reason = stop.reason;
    base.signal = stop.signal;
    const regs = t.readRegisters();
    base.regs = regs.map(hex16);
    const pc = regs[REG_PC]!;
    base.disasm = this.disasm(pc, program.symbols);
    base.stack = this.stack(regs[REG_SP]!, program.symbols);
    return base;
  }

  private disasm(pc: bigint, symbols: SymbolTable): DisasmRow[] {
    const fn = symbols.containing(pc);
    const back = fn !== null && fn.func && pc - fn.addr <= BigInt(DISASM_BEFORE) ? pc - fn.addr : 32n;
    let from = pc >= back ? pc - back : 0n;
    let bytes = this.readBytes(from, Number(pc - from) + DISASM_AFTER);
    if (bytes.length <= Number(pc - from)) {
      // Not readable before pc (the start of a page that is not mapped): from pc on.
      from = pc;
      bytes = this.readBytes(pc, DISASM_AFTER);
    }
    const breaks = new Set(this.target.breakpoints());
    return disassembleAround(bytes, from, pc, symbols, LINES_BEFORE).slice(0, LINES_MAX).map((l) => ({
      addr: hex16(l.addr),
      bytes: l.bits.toString(16).padStart(l.length * 2, "0"),
      text: l.text,
      symbol: l.symbol,
      breakpoint: breaks.has(l.addr),
    }));
  }

  /** Readable bytes from addr on (stops at the first unreadable one). */
  private readBytes(addr: bigint, len: number): Uint8Array {
    const all = this.readMemory(addr, len);
    const end = all.indexOf(null);
    return Uint8Array.from((end < 0 ? all : all.slice(0, end)) as number[]);
  }

  private stack(sp: bigint, symbols: SymbolTable): StackRow[] {
    const bytes = this.readMemory(sp, STACK_WORDS * 8);
    const rows: StackRow[] = [];
    for (let i = 0; i < STACK_WORDS; i++) {
      const word = bytes.slice(i * 8, i * 8 + 8);
      const value = word.includes(null) ? null : u64At(Uint8Array.from(word as number[]), 0);
      const symbol = value !== null && symbols.inText(value) ? symbols.name(value) : null;
      rows.push({ addr: hex16(sp + BigInt(i * 8)), value: value === null ? null : hex16(value), symbol });
    }
    return rows;
  }

  /** The debugged process's program and symbols (looked up once per attach). */
  private programOf(pid: number): Program {
    if (this.program?.pid === pid) return this.program;
    let name = `pid ${pid}`;
    const overview = this.machine.inspect({ what: "overview", logFrom: 0xffff_ffff, schedFrom: 0xffff_ffff });
    if (overview.what === "overview") name = overview.overview.procs.find((p) => p.pid === pid)?.name ?? name;
    const program: Program = { pid, name, symbols: new SymbolTable([]), note: "", segments: [] };
    const file = this.options.bootfs === null ? null : bootfsFile(this.options.bootfs, name);
    if (file === null) {
      program.note = `no symbols: /${name} is not in the boot file system (addresses only)`;
    } else {
      try {
        program.segments = parseElf(file).segments.map((s) => ({ vaddr: s.vaddr, data: s.data }));
      } catch {
        program.segments = [];
      }
      if (!this.runsProgram(program.segments)) {
        program.note = `no symbols: process ${pid} does not run the boot file system's /${name} (addresses only)`;
      } else {
        program.symbols = SymbolTable.fromElf(file);
        program.note = program.symbols.size > 0
          ? `symbols of /${name} from the boot file system (${program.symbols.size})`
          : `no symbols: /${name} has no symbol table (addresses only)`;
      }
    }
    this.program = program;
    return program;
  }

  /** Whether the process's memory holds the ELF's first executable bytes (the same program). */
  private runsProgram(segments: { vaddr: bigint; data: Uint8Array }[]): boolean {
    const text = segments.find((s) => s.data.length > 0);
    if (text === undefined) return false;
    const n = Math.min(64, text.data.length);
    const got = this.target.readMemory(text.vaddr, n);
    return got.length === n && got.every((b, i) => b === text.data[i]);
  }
}

function parseHex(text: string): bigint {
  if (!/^(0x)?[0-9a-f]{1,16}$/i.test(text)) throw new Error(`Not an address: ${text}`);
  return BigInt(text.startsWith("0x") ? text : `0x${text}`);
}
