// The Debugger panel's messages (web/panels/debug-panel.ts ⇄
// web/debug-worker.ts), carried by protocol.ts's `debug` and `debug-result`
// / `debug-view`. Addresses and register values travel as hex strings (no
// 0x), positions as decimal strings, so the page needs no bigint parsing
// of structured clones.

export type DebugRequest =
  | { op: "view" }
  | { op: "attach"; pid: number }
  /** Attaches to the next process that execs `name` (it stops at its first instruction). */
  | { op: "attach-exec"; name: string }
  | { op: "detach" }
  /** One instruction (an ecall completes its system call first). */
  | { op: "step" }
  /** The next instruction, running a call to its return. */
  | { op: "next" }
  | { op: "continue" }
  | { op: "pause" }
  | { op: "reverse-step" }
  | { op: "reverse-continue" }
  /** To this position (instructions retired plus system calls completed
   *  since attaching): back by reverse execution, forward by running. */
  | { op: "goto"; position: string }
  /** addr: hex, a symbol or symbol+offset (setting); the hex address (clearing). */
  | { op: "break"; addr: string; on: boolean }
  /** A watchpoint over `len` bytes at addr (hex, a symbol or symbol+offset;
   *  len null: the symbol's size, or 8), stopping at writes, reads or both;
   *  on false removes the one at that hex address, length and kind. */
  | { op: "watch"; addr: string; len: number | null; kind: WatchKind; on: boolean }
  /** `len` bytes at addr, read through the process's page table. */
  | { op: "memory"; addr: string; len: number };

export type WatchKind = "write" | "read" | "access";

export interface WatchRow {
  /** Hex, and the symbol it is (total, total+16), or null. */
  addr: string;
  len: number;
  kind: WatchKind;
  label: string | null;
}

/** The last watchpoint hit, shown until the process runs again. */
export interface WatchHit {
  /** The watchpoint (its row) and the first watched byte the access touched (hex). */
  watch: WatchRow;
  addr: string;
  kind: WatchKind;
  /** Where the shown value starts (hex; a symbol name if any), and its bytes before and after the access (null: unreadable). */
  valueAt: string;
  valueLabel: string | null;
  old: (number | null)[];
  new: (number | null)[];
  /** The access: the instruction at pc (its text, pc as hex and a symbol),
   *  or a system call's copyout (a read() into the bytes): then `instruction` names the call's ecall. */
  pc: string;
  symbol: string | null;
  instruction: string;
  bySyscall: boolean;
  /** The position of the access (before it) and after it (decimal). */
  position: string;
}

export interface DisasmRow {
  addr: string;
  bytes: string;
  text: string;
  symbol: string | null;
  breakpoint: boolean;
}

export interface StackRow {
  addr: string;
  value: string | null;
  /** The symbol, when the word is an address in the program's text (a return address, most likely). */
  symbol: string | null;
}

export interface DebugView {
  /** The process debugged (by the panel or gdb), or null. */
  pid: number | null;
  /** Waiting to attach to the next process that execs this name, or null. */
  awaitingExec: string | null;
  name: string | null;
  state: "detached" | "running" | "stopped";
  /** Why it is stopped: attach, break, watch, step, interrupt, fault. */
  reason: string | null;
  signal: number | null;
  /** The last debugged process's end, until the next attach. */
  exited: { pid: number; status: number; signal: number } | null;
  /** x0..x31, pc: 16 hex digits each (empty unless stopped). */
  regs: string[];
  disasm: DisasmRow[];
  stack: StackRow[];
  breakpoints: string[];
  watchpoints: WatchRow[];
  /** The watchpoint hit the process is stopped after, or null. */
  hit: WatchHit | null;
  /** Where the symbols came from ("/wc in the boot file system, 42 symbols"), or why there are none. */
  symbols: string;
  /** The position now, where history starts, and the furthest seen (decimal); null when unknown. */
  position: string | null;
  historyStart: string | null;
  furthest: string | null;
  /** Whether reverse execution is on; if not, why (shown as the reverse buttons' tooltip). */
  reverse: { on: true } | { on: false; why: string };
}

export type DebugReply =
  | { kind: "view"; view: DebugView; message?: string }
  | { kind: "memory"; addr: string; bytes: (number | null)[]; view: DebugView }
  | { kind: "error"; message: string; view: DebugView | null };
