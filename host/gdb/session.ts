// The GDB server's core: one connection's conversation with gdb, with no
// transport (the caller feeds received bytes to receive() and ships what
// `send` is given) and no machine (a DebugTarget does the work). The Node
// runner plugs it into a TCP socket (host/node/gdb-tcp.ts); a page can plug
// it into a WebSocket. Every malformed or unsupported packet gets an error
// or an empty reply, never an exception. See docs/debugging.md.

import {
  PacketReader, framePacket, latin1, latin1Text, toHex, fromHex, regHex, parseRegHex, parseHexNumber, unescapeBinary,
} from "./packets.js";
import { REG_COUNT, registerBytes, targetXml } from "./riscv.js";

export type WatchKind = "write" | "read" | "access";

export interface StopInfo {
  /** Signal number gdb is told (5 SIGTRAP, 2 SIGINT, 11 SIGSEGV, ...). */
  signal: number;
  reason: "attach" | "break" | "watch" | "step" | "interrupt" | "fault" | "exec";
  /** reason exec: the program the process runs now (its name, as exec set it). */
  exec?: { name: string };
  /** bySyscall: the kernel wrote the bytes in a system call (a read() into
   *  them); the process stopped after the call, not before an instruction. */
  watch?: { kind: WatchKind; addr: bigint; bySyscall?: boolean };
}

export type TargetEvent =
  | { kind: "stop"; stop: StopInfo }
  /** signal: what ended it (0: it called exit with status). */
  | { kind: "exit"; status: number; signal: number };

/** How a reverse step or continue ended (host/gdb/reverse.ts). */
export type ReverseOutcome =
  | { kind: "stop"; stop: StopInfo }
  /** At the oldest instant the history holds (gdb: "No more reverse-execution history"). */
  | { kind: "begin" }
  | { kind: "error"; message: string };

/** What the session debugs: one process of one machine. */
export interface DebugTarget {
  /** The process debugged (its pid is gdb's thread id), or null. */
  pid(): number | null;
  /** Whether the process is stopped (registers and memory may be used). */
  stopped(): boolean;
  /** Why it last stopped. */
  lastStop(): StopInfo;
  /** Attaches to pid (gdb's vAttach); false if there is no such process or a session exists. */
  attach(pid: number): boolean;
  /** x0..x31 then pc (the g packet). */
  readRegisters(): bigint[];
  /** Any register by gdb's number (riscv.ts), or null if there is none. */
  readRegister(index: number): bigint | null;
  writeRegister(index: number, value: bigint): boolean;
  /** Up to len bytes at addr; fewer (or none) where memory is not readable. */
  readMemory(addr: bigint, len: number): Uint8Array;
  writeMemory(addr: bigint, data: Uint8Array): boolean;
  setBreakpoint(addr: bigint, on: boolean): boolean;
  setWatchpoint(addr: bigint, len: number, kind: WatchKind, on: boolean): boolean;
  resume(step: boolean): boolean;
  interrupt(): void;
  kill(): void;
  detach(): void;
  /** A stop or exit that happened since the last call, if any. */
  takeEvent(): TargetEvent | null;
  /** Whether reverse execution is offered (gdb's ReverseStep+, ReverseContinue+). */
  canReverse?(): boolean;
  /** The target's own monitor commands: the reply, or null for a command it does not know. */
  monitorCommand?(command: string): string | null;
  /** Lines for `monitor help` about those commands. */
  monitorHelp?(): string;
  /** A line or two on reverse execution for `monitor status`. */
  historyText?(): string;
  /** Goes back one instruction (bs) or to the last breakpoint or watchpoint hit (bc), synchronously. */
  reverse?(direction: "step" | "continue"): ReverseOutcome;
  // Threads (gdb's thread ids are the tids; the main thread's is the pid).
  // A target without them has one thread, the process, whose id is its pid.
  /** The process's live threads. */
  threads?(): number[];
  /** A few words on thread tid for `info threads` (qThreadExtraInfo), or null if it is none of the process's. */
  threadText?(tid: number): string | null;
  /** Selects thread tid for the register operations that follow; false if it is none of the process's. */
  selectThread?(tid: number): boolean;
  /** The thread the last stop is of. */
  stopThread?(): number | null;
  /** Resumes: thread tid (null: the one the last stop is of) steps or
   *  continues; alone, the other threads stay stopped, else they run on. */
  resumeThread?(step: boolean, tid: number | null, alone: boolean): boolean;
}

/** Bytes of memory per m reply and per write to the target (the packet size we announce fits them). */
const PACKET_SIZE = 0x1000;
const MAX_MEMORY = 0x800;
const ERR_INVALID = "E16";
const ERR_FAULT = "E0e";
const ERR_NO_PROCESS = "E03";
const ERR_RUNNING = "E10";

function hex(n: number | bigint): string {
  return n.toString(16);
}

export class GdbSession {
  private readonly reader = new PacketReader();
  private noAck = false;
  /** A c, s or vCont is in progress: the stop reply is owed. */
  private running = false;
  /** gdb asked '?' before any process was attached: answer when one is. */
  private statusOwed = false;
  private swbreak = false;
  /** gdb sent '!' (target extended-remote): it can attach later, so "no process" is an answer. */
  private extended = false;
  private lastExit: { status: number; signal: number } | null = null;
  /** Hg: the thread register packets are for (null: the one the last stop is of). */
  private gThread: number | null = null;
  /** Hc: the thread c and s resume (null: the one the last stop is of). */
  private cThread: number | null = null;
  /** Every packet exchanged, for `set debug remote`-style logs (tests, --gdb-log). */
  onPacket?: (direction: "in" | "out", text: string) => void;

  /** gdb asked for exec events (qSupported exec-events+): an exec stop says which file to load symbols from. */
  private execEvents = false;

  constructor(
    private readonly target: DebugTarget,
    private readonly send: (bytes: Uint8Array) => void,
    /** The file gdb should read a program's symbols from after an exec (default `/NAME`). */
    private readonly execPath: (name: string) => string = (name) => `/${name}`,
  ) {}

  /** Bytes from gdb. */
  receive(bytes: Uint8Array): void {
    for (const event of this.reader.feed(bytes)) {
      switch (event.kind) {
        case "packet":
          if (!this.noAck) this.send(latin1("+"));
          this.onPacket?.("in", latin1Text(event.payload));
          this.handle(event.payload);
          break;
        case "bad-checksum":
        case "too-long":
          if (!this.noAck) this.send(latin1("-"));
          break;
        case "interrupt":
          if (this.running) this.target.interrupt();
          break;
        case "ack":
        case "nack":
          break; // replies are not retransmitted: TCP does not lose them
      }
    }
    this.poll();
  }

  /** Collects the target's stop or exit and answers the packet waiting for it. Call after every machine slice. */
  poll(): void {
    const event = this.target.takeEvent();
    if (event !== null) {
      if (event.kind === "exit") this.lastExit = { status: event.status, signal: event.signal };
      if (this.running) {
        this.running = false;
        this.reply(event.kind === "exit" ? this.exitReply(event) : this.stopReply(event.stop));
        return;
      }
    }
    if (this.statusOwed && this.target.pid() !== null && this.target.stopped()) {
      this.statusOwed = false;
      this.reply(this.stopReply(this.target.lastStop()));
    }
  }

  /** Whether gdb is waiting for the target (a resume in progress or an owed status). */
  get waiting(): boolean {
    return this.running || this.statusOwed;
  }

  private reply(text: string | Uint8Array): void {
    this.onPacket?.("out", typeof text === "string" ? text : latin1Text(text));
    this.send(framePacket(text));
  }

  private exitReply(e: { status: number; signal: number }): string {
    if (e.signal !== 0) return `X${hex(e.signal & 0xff).padStart(2, "0")}`;
    return `W${hex(e.status & 0xff).padStart(2, "0")}`;
  }

  private stopReply(stop: StopInfo): string {
    const thread = this.stopThread();
    // gdb takes the thread a stop reply names as the one register packets are for now (its record_currthread).
    this.gThread = null;
    let text = `T${hex(stop.signal & 0xff).padStart(2, "0")}`;
    if (thread !== null) text += `thread:${hex(thread)};`;
    if (stop.reason === "watch" && stop.watch) {
      const name = stop.watch.kind === "write" ? "watch" : stop.watch.kind === "read" ? "rwatch" : "awatch";
      text += `${name}:${hex(stop.watch.addr)};`;
    } else if (stop.reason === "break" && this.swbreak) {
      text += "swbreak:;";
    } else if (stop.reason === "exec" && stop.exec && this.execEvents) {
      text += `exec:${toHex(latin1(this.execPath(stop.exec.name)))};`;
    }
    return text;
  }

  private handle(payload: Uint8Array): void {
    const text = latin1Text(payload);
    let answer: string | Uint8Array | null;
    try {
      answer = this.dispatch(text, payload);
    } catch {
      answer = ERR_INVALID; // a target error must not end the connection
    }
    if (answer !== null) this.reply(answer);
  }

  /** The reply to one packet; null when the reply comes later (or never, for k). */
  private dispatch(text: string, payload: Uint8Array): string | Uint8Array | null {
    const first = text.charAt(0);
    const rest = text.slice(1);
    switch (first) {
      case "?": return this.status();
      case "!": this.extended = true; return "OK";
      case "q": return this.query(rest);
      case "Q": return rest === "StartNoAckMode" ? this.startNoAck() : "";
      case "H": return this.setThread(rest);
      case "T": return this.threadAlive(rest);
      case "g": return this.needStopped() ?? this.general() ?? this.target.readRegisters().map((v) => regHex(v)).join("");
      case "G": return this.needStopped() ?? this.general() ?? this.writeAll(rest);
      case "p": return this.needStopped() ?? this.general() ?? this.readOne(rest);
      case "P": return this.needStopped() ?? this.general() ?? this.writeOne(rest);
      case "m": return this.needStopped() ?? this.readMem(rest);
      case "M": return this.needStopped() ?? this.writeMemHex(rest);
      case "X": return this.needStopped() ?? this.writeMemBinary(payload);
      case "Z": return this.needStopped() ?? this.point(rest, true);
      case "z": return this.needStopped() ?? this.point(rest, false);
      case "c": return this.resume(false, rest);
      case "s": return this.resume(true, rest);
      case "C": return this.resume(false, rest.includes(";") ? rest.slice(rest.indexOf(";") + 1) : "");
      case "S": return this.resume(true, rest.includes(";") ? rest.slice(rest.indexOf(";") + 1) : "");
      case "v": return this.vPacket(rest);
      case "b": return rest === "s" || rest === "c" ? this.reverse(rest === "s" ? "step" : "continue") : "";
      case "D": return this.detach();
      case "k": this.target.kill(); return null;
      default: return "";
    }
  }

  private startNoAck(): string {
    // The OK itself is still acknowledged by gdb; what follows is not.
    this.noAck = true;
    return "OK";
  }

  private status(): string | null {
    if (this.target.pid() !== null && this.target.stopped()) return this.stopReply(this.target.lastStop());
    if (this.target.pid() === null && this.lastExit !== null) return this.exitReply(this.lastExit);
    if (this.target.pid() === null && this.extended) return "W00"; // no process yet: gdb may attach one
    if (this.target.pid() === null) {
      // Nothing attached yet (--gdb-attach NAME waits for an exec): answer when it is.
      this.statusOwed = true;
      return null;
    }
    this.target.interrupt(); // running without a resume from gdb: stop it to report
    this.statusOwed = true;
    return null;
  }

  /** The thread the last stop is of (the pid for a target without threads), or null. */
  private stopThread(): number | null {
    const pid = this.target.pid();
    if (pid === null) return null;
    return this.target.stopThread?.() ?? pid;
  }

  private threadList(): number[] {
    const pid = this.target.pid();
    if (pid === null) return [];
    return this.target.threads?.() ?? [pid];
  }

  /** A thread id of a packet: a number, or null for 0 and -1 (any, all); undefined if malformed. */
  private threadId(text: string): number | null | undefined {
    if (text === "-1" || text === "0") return null;
    const id = parseHexNumber(text);
    return id === null || id > 0x7fffffffn ? undefined : Number(id);
  }

  /** Hg / Hc: the thread later register packets, or c and s, are for. */
  private setThread(rest: string): string {
    const op = rest.charAt(0);
    const id = this.threadId(rest.slice(1));
    if ((op !== "g" && op !== "c") || id === undefined) return ERR_INVALID;
    if (id !== null && !this.threadList().includes(id)) return ERR_NO_PROCESS;
    if (op === "g") this.gThread = id;
    else this.cThread = id;
    return "OK";
  }

  /** Points the target's registers at the Hg thread (gdb sends Hg only when it changes its mind). */
  private general(): string | null {
    if (this.target.selectThread === undefined) return null;
    const tid = this.gThread ?? this.stopThread();
    if (tid === null) return null;
    if (this.target.selectThread(tid)) return null;
    if (this.gThread !== null) { this.gThread = null; return ERR_NO_PROCESS; } // that thread ended
    return null;
  }

  private needStopped(): string | null {
    if (this.target.pid() === null) return ERR_NO_PROCESS;
    return this.target.stopped() ? null : ERR_RUNNING;
  }

  private query(q: string): string | Uint8Array {
    if (q.startsWith("Supported")) {
      this.swbreak = q.includes("swbreak+");
      this.execEvents = q.includes("exec-events+");
      const reverse = this.target.canReverse?.() === true ? ";ReverseStep+;ReverseContinue+" : "";
      const exec = this.execEvents ? ";exec-events+" : "";
      return `PacketSize=${hex(PACKET_SIZE)};qXfer:features:read+;swbreak+;hwbreak+;QStartNoAckMode+;vContSupported+${reverse}${exec}`;
    }
    if (q.startsWith("Xfer:features:read:")) return this.xferFeatures(q.slice("Xfer:features:read:".length));
    if (q === "Attached" || q.startsWith("Attached:")) return "1";
    const pid = this.target.pid();
    if (q === "C") {
      const thread = this.stopThread();
      return thread === null ? "QC0" : `QC${hex(thread)}`;
    }
    if (q === "fThreadInfo") {
      const list = this.threadList();
      return list.length === 0 ? "l" : `m${list.map((t) => hex(t)).join(",")}`;
    }
    if (q === "sThreadInfo") return "l";
    if (q.startsWith("ThreadExtraInfo,")) {
      const id = this.threadId(q.slice("ThreadExtraInfo,".length));
      if (id === undefined) return ERR_INVALID;
      const tid = id ?? this.stopThread();
      if (pid === null || tid === null) return toHex(latin1(""));
      const text = this.target.threadText !== undefined ? this.target.threadText(tid) : tid === pid ? `pid ${pid}` : null;
      return text === null ? ERR_NO_PROCESS : toHex(latin1(text));
    }
    if (q.startsWith("Symbol:")) return "OK";
    if (q.startsWith("Rcmd,")) return this.monitor(q.slice("Rcmd,".length));
    return "";
  }

  private xferFeatures(args: string): string | Uint8Array {
    const match = /^([^:]+):([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(args);
    if (!match) return ERR_INVALID;
    if (match[1] !== "target.xml") return "E00";
    const doc = latin1(targetXml());
    const offset = parseInt(match[2]!, 16);
    const length = parseInt(match[3]!, 16);
    if (offset > doc.length) return ERR_INVALID;
    const part = doc.subarray(offset, Math.min(doc.length, offset + length));
    const out = new Uint8Array(part.length + 1);
    out[0] = (offset + part.length >= doc.length ? "l" : "m").charCodeAt(0);
    out.set(part, 1);
    return out;
  }

  /** gdb's `monitor` command. */
  private monitor(hexText: string): string {
    const bytes = fromHex(hexText);
    if (bytes === null) return ERR_INVALID;
    const command = latin1Text(bytes).trim();
    const pid = this.target.pid();
    let out: string;
    if (command === "help" || command === "") {
      out = "Keel GDB server. monitor commands:\n  help     this text\n  status   the process debugged and its state\n" +
        (this.target.monitorHelp?.() ?? "");
    } else if (command === "status") {
      out = pid === null ? "no process attached\n" : `pid ${pid}, ${this.target.stopped() ? "stopped" : "running"}\n`;
      out += this.target.historyText?.() ?? "";
    } else {
      out = this.target.monitorCommand?.(command) ?? `unknown monitor command '${command}' (try 'monitor help')\n`;
    }
    return toHex(latin1(out));
  }

  private threadAlive(rest: string): string {
    const id = this.threadId(rest);
    if (this.target.pid() === null || id === undefined) return ERR_NO_PROCESS;
    return id === null || this.threadList().includes(id) ? "OK" : ERR_NO_PROCESS;
  }

  private writeAll(text: string): string {
    if (text.length !== REG_COUNT * 16) return ERR_INVALID;
    const values: bigint[] = [];
    for (let i = 0; i < REG_COUNT; i++) {
      const v = parseRegHex(text.slice(i * 16, i * 16 + 16));
      if (v === null) return ERR_INVALID;
      values.push(v);
    }
    for (let i = 1; i < REG_COUNT; i++) if (!this.target.writeRegister(i, values[i]!)) return ERR_INVALID;
    return "OK";
  }

  private readOne(text: string): string {
    const n = parseHexNumber(text);
    const size = n === null || n > 0xffffn ? 0 : registerBytes(Number(n));
    if (size === 0) return ERR_INVALID;
    const value = this.target.readRegister(Number(n));
    return value === null ? ERR_INVALID : regHex(value, size);
  }

  private writeOne(text: string): string {
    const [index, value] = text.split("=");
    const n = index === undefined ? null : parseHexNumber(index);
    const size = n === null || n > 0xffffn ? 0 : registerBytes(Number(n));
    const v = value === undefined || size === 0 ? null : parseRegHex(value, size);
    if (n === null || v === null) return ERR_INVALID;
    return this.target.writeRegister(Number(n), v) ? "OK" : ERR_INVALID;
  }

  /** "addr,length" → [addr, length], or null. */
  private addressLength(text: string): [bigint, number] | null {
    const [a, l, extra] = text.split(",");
    if (a === undefined || l === undefined || extra !== undefined) return null;
    const addr = parseHexNumber(a);
    const len = parseHexNumber(l);
    if (addr === null || len === null || len > BigInt(PACKET_SIZE)) return null;
    return [addr, Number(len)];
  }

  private readMem(text: string): string {
    const args = this.addressLength(text);
    if (args === null) return ERR_INVALID;
    const [addr, len] = args;
    if (len === 0) return "";
    const parts: Uint8Array[] = [];
    let done = 0;
    while (done < len) {
      const want = Math.min(MAX_MEMORY, len - done);
      const got = this.target.readMemory(BigInt.asUintN(64, addr + BigInt(done)), want);
      parts.push(got);
      done += got.length;
      if (got.length < want) break;
    }
    if (done === 0) return ERR_FAULT;
    return parts.map(toHex).join("");
  }

  private writeMem(addr: bigint, data: Uint8Array): string {
    for (let done = 0; done < data.length; done += MAX_MEMORY) {
      const part = data.subarray(done, Math.min(data.length, done + MAX_MEMORY));
      if (!this.target.writeMemory(BigInt.asUintN(64, addr + BigInt(done)), part)) return ERR_FAULT;
    }
    return "OK";
  }

  private writeMemHex(text: string): string {
    const colon = text.indexOf(":");
    if (colon < 0) return ERR_INVALID;
    const args = this.addressLength(text.slice(0, colon));
    const data = fromHex(text.slice(colon + 1));
    if (args === null || data === null || data.length !== args[1]) return ERR_INVALID;
    return this.writeMem(args[0], data);
  }

  private writeMemBinary(payload: Uint8Array): string {
    const colon = payload.indexOf(0x3a);
    if (colon < 0) return ERR_INVALID;
    const args = this.addressLength(latin1Text(payload.subarray(1, colon)));
    if (args === null) return ERR_INVALID;
    // The framing already undid the escapes of the bytes gdb had to escape.
    const data = unescapeBinary(payload.subarray(colon + 1));
    if (data.length !== args[1]) return ERR_INVALID;
    return data.length === 0 ? "OK" : this.writeMem(args[0], data);
  }

  /** Z/z type,addr,kind. Types 0 and 1 (software and hardware breakpoints) are the same to Keel's hart. */
  private point(text: string, insert: boolean): string {
    const [type, a, k] = text.split(/[,;]/); // breakpoint conditions, if any, are ignored
    if (type === undefined || a === undefined || k === undefined) return ERR_INVALID;
    const addr = parseHexNumber(a);
    const kind = parseHexNumber(k);
    if (addr === null || kind === null) return ERR_INVALID;
    switch (type) {
      case "0":
      case "1":
        return this.target.setBreakpoint(addr, insert) ? "OK" : ERR_FAULT;
      case "2":
      case "3":
      case "4": {
        if (kind === 0n || kind > 0x1000n) return ERR_INVALID;
        const wk: WatchKind = type === "2" ? "write" : type === "3" ? "read" : "access";
        return this.target.setWatchpoint(addr, Number(kind), wk, insert) ? "OK" : ERR_FAULT;
      }
      default:
        return "";
    }
  }

  /** c, s, and vCont's resumes: thread (null: Hc's, else the stopped one) steps or continues; alone, the others stay stopped. */
  private resume(step: boolean, addrText: string, thread: number | null = this.cThread ?? this.stopThread(), alone = false): string | null {
    if (this.target.pid() === null) return this.lastExit ? this.exitReply(this.lastExit) : ERR_NO_PROCESS;
    if (!this.target.stopped()) return ERR_RUNNING;
    if (addrText.length > 0) {
      const addr = parseHexNumber(addrText);
      if (addr === null) return ERR_INVALID;
      if (thread !== null && this.target.selectThread?.(thread) === false) return ERR_NO_PROCESS;
      this.target.writeRegister(32, addr);
    }
    const ok = this.target.resumeThread !== undefined ? this.target.resumeThread(step, thread, alone) : this.target.resume(step);
    if (!ok) return thread !== null ? ERR_NO_PROCESS : ERR_INVALID;
    this.running = true;
    return null;
  }

  /** bs and bc: the target replays history synchronously, so the stop reply follows at once. */
  private reverse(direction: "step" | "continue"): string {
    if (this.target.pid() === null) return this.lastExit ? this.exitReply(this.lastExit) : ERR_NO_PROCESS;
    if (!this.target.stopped()) return ERR_RUNNING;
    if (this.target.reverse === undefined || this.target.canReverse?.() !== true) {
      return "E.reverse execution needs the deterministic clock (--clock deterministic)";
    }
    const outcome = this.target.reverse(direction);
    if (outcome.kind === "error") return `E.${outcome.message}`;
    if (outcome.kind === "begin") {
      const pid = this.target.pid();
      const thread = this.stopThread();
      this.gThread = null;
      return `T05${thread === null ? "" : `thread:${hex(thread)};`}replaylog:begin;`;
    }
    return this.stopReply(outcome.stop);
  }

  private vPacket(v: string): string | null {
    if (v === "Cont?") return "vCont;c;C;s;S;t";
    if (v.startsWith("Cont;")) return this.vCont(v.slice("Cont;".length));
    if (v === "MustReplyEmpty") return "";
    if (v.startsWith("Attach;")) {
      const pid = parseHexNumber(v.slice("Attach;".length));
      if (pid === null) return ERR_INVALID;
      if (!this.target.attach(Number(pid))) return ERR_NO_PROCESS;
      this.lastExit = null;
      return this.stopReply(this.target.lastStop());
    }
    if (v.startsWith("Kill")) {
      this.target.kill();
      return "OK";
    }
    return "";
  }

  /**
   * vCont;action[:thread];...: each thread takes the first action naming it
   * (or naming all). All-stop: the process's threads resume together and
   * the first stop of any stops them all. One thread may step (the first
   * s naming a thread of ours, else a plain s steps the stopped one); a
   * thread no action applies to stays stopped (vCont;s:TID steps TID alone,
   * as gdb does to step over a breakpoint).
   */
  private vCont(actions: string): string | null {
    const threads = this.threadList();
    let stepThread: number | null | undefined; // undefined: no step; null: the stopped thread
    let named: number | null = null; // a c or s for one thread
    let all: "c" | "s" | null = null;  // the action for every thread not named
    let stopAll = false;
    for (const part of actions.split(";")) {
      const [action, thread, extra] = part.split(":");
      if (action === undefined || action.length === 0 || extra !== undefined) return ERR_INVALID;
      const verb = action.charAt(0);
      if (!"cCsSt".includes(verb)) return ERR_INVALID;
      const id = thread === undefined ? null : this.threadId(thread);
      if (id === undefined) return ERR_INVALID;
      if (id !== null && !threads.includes(id)) continue; // not one of ours
      if (verb === "t") { stopAll = true; continue; }
      const step = verb === "s" || verb === "S";
      if (id === null) {
        if (all === null) all = step ? "s" : "c";
        continue;
      }
      if (named !== null) continue; // an earlier action took it (gdb names one thread at most)
      named = id;
      if (step) stepThread = id;
    }
    if (stopAll && named === null && all === null) {
      if (this.target.stopped()) return this.stopReply(this.target.lastStop());
      this.target.interrupt();
      this.running = true;
      return null;
    }
    if (named === null && all === null) return ERR_INVALID;
    if (stepThread === undefined && all === "s") stepThread = null;
    const step = stepThread !== undefined;
    const thread = step ? stepThread ?? this.cThread ?? this.stopThread() : named;
    return this.resume(step, "", thread, all === null);
  }

  private detach(): string {
    if (this.target.pid() !== null) this.target.detach();
    this.running = false;
    return "OK";
  }
}
