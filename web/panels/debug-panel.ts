// The Debugger tab (docs/debugging.md, "The Debugger panel"): pick a
// process, attach, and drive it from the page with no gdb. Every button is
// a `debug` request to the worker (web/debug-worker.ts, which runs the GDB
// server's own target); each answer, and each stop the worker posts while
// the process runs, carries the whole view, which is drawn as it comes.
// The tab's DOM is built here; index.html has only the tab and its section.

import type { ProcInfo } from "../../host/inspect-types";
import type { DebugReply, DebugRequest, DebugView, WatchHit, WatchKind } from "../debug-protocol";
import { REGISTER_NAMES, changedRegisters, formatMemoryRow, memoryRows, watchValueText } from "../debug-model";
import { make, setText } from "./dom";

/** Reverse operations replay history: give them time on a loaded machine. */
const REPLY_TIMEOUT_MS = 60_000;
/** Bytes of memory shown: 8 rows of 16. */
const MEMORY_BYTES = 128;

type Action = "step" | "next" | "continue" | "pause" | "reverse-step" | "reverse-continue";

/** The buttons, their shortcut keys (labelled on the buttons) and whether they go backwards. */
export const ACTIONS: readonly { op: Action; label: string; key: string; shift: boolean; reverse: boolean }[] = [
  { op: "step", label: "Step", key: "F11", shift: false, reverse: false },
  { op: "next", label: "Step over", key: "F10", shift: false, reverse: false },
  { op: "continue", label: "Continue", key: "F5", shift: false, reverse: false },
  { op: "pause", label: "Pause", key: "F6", shift: false, reverse: false },
  { op: "reverse-step", label: "Reverse step", key: "F11", shift: true, reverse: true },
  { op: "reverse-continue", label: "Reverse continue", key: "F5", shift: true, reverse: true },
];

/** Runs `action` when Enter is pressed in `input`. */
function onEnter(input: HTMLInputElement, action: () => void): void {
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter") action();
  });
}

/** The action a key press asks for, or null. */
export function actionForKey(key: string, shift: boolean): Action | null {
  return ACTIONS.find((a) => a.key === key && a.shift === shift)?.op ?? null;
}

export function shortcutLabel(a: { key: string; shift: boolean }): string {
  return a.shift ? `Shift+${a.key}` : a.key;
}

export class DebugPanel {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(r: DebugReply): void; timer: ReturnType<typeof setTimeout> }>();
  /** The last view drawn, and the registers of the stop before it (for highlighting). */
  view: DebugView | null = null;
  /** The last stopped view: registers that differ from it are highlighted. */
  private lastStop: DebugView | null = null;
  changed: number[] = [];
  private busy = false;
  memoryText: string[] = [];

  private readonly pick = make("select", "dbg-pick");
  private readonly attachButton = make("button", "button button-small", "Attach");
  private readonly detachButton = make("button", "button button-small", "Detach");
  private readonly execName = make("input", "dbg-exec-name");
  private readonly execButton = make("button", "button button-small", "Attach at its exec");
  private readonly breakInput = make("input", "dbg-break-addr");
  private readonly breakButton = make("button", "button button-small", "Break");
  private readonly buttons = new Map<Action, HTMLButtonElement>();
  private readonly status = make("p", "view-summary dbg-status", "Pick a process and attach: it stops, and the rest of the machine runs on.");
  private readonly regsBody = make("tbody");
  private readonly disasmList = make("ol", "dbg-disasm");
  private readonly stackList = make("ol", "dbg-stack");
  private readonly memInput = make("input", "dbg-mem-addr");
  private readonly memButton = make("button", "button button-small", "Read");
  private readonly memOut = make("pre", "dbg-memory");
  private readonly scrub = make("input", "dbg-scrub");
  private readonly scrubLabel = make("span", "dbg-scrub-label", "");
  private readonly symbolsNote = make("p", "hint dbg-symbols", "");
  private readonly watchAddr = make("input", "dbg-watch-addr");
  private readonly watchLen = make("input", "dbg-watch-len");
  private readonly watchKind = make("select", "dbg-watch-kind");
  private readonly watchButton = make("button", "button button-small", "Watch");
  private readonly watchList = make("ul", "dbg-watch-list");
  private readonly hitOut = make("p", "dbg-hit", "");
  /** The last hit as the panel words it (tests read it). */
  hitText = "";

  constructor(
    private readonly root: HTMLElement,
    private readonly post: (message: { type: "debug"; id: number; request: DebugRequest }) => void,
    /** Whether the tab is shown (the shortcuts work only then). */
    private readonly shown: () => boolean,
  ) {
    this.build();
    document.addEventListener("keydown", (event) => {
      if (!this.shown() || this.view?.pid === null || this.view === null) return;
      const action = actionForKey(event.key, event.shiftKey);
      if (action === null) return;
      event.preventDefault();
      this.act(action);
    }, true);
  }

  private build(): void {
    this.pick.setAttribute("aria-label", "Process to debug");
    this.pick.id = "dbg-pick";
    this.attachButton.id = "dbg-attach";
    this.detachButton.id = "dbg-detach";
    for (const b of [this.attachButton, this.detachButton, this.memButton]) b.type = "button";
    this.attachButton.addEventListener("click", () => {
      const pid = Number(this.pick.value);
      if (Number.isInteger(pid) && pid > 0) void this.request({ op: "attach", pid });
    });
    this.detachButton.addEventListener("click", () => void this.request({ op: "detach" }));
    // Or the next process that runs a program, stopped at its first instruction (before main).
    this.execName.id = "dbg-exec-name";
    this.execName.placeholder = "program, e.g. wc";
    this.execName.setAttribute("aria-label", "Attach to the next process that runs this program");
    this.execButton.id = "dbg-attach-exec";
    this.execButton.type = "button";
    this.execButton.title = "Attach to the next process that runs this program: it stops at its first instruction";
    const attachExec = (): void => {
      const name = this.execName.value.trim();
      if (name !== "") void this.request({ op: "attach-exec", name });
    };
    this.execButton.addEventListener("click", attachExec);
    onEnter(this.execName, attachExec);
    const bar = make("div", "dbg-bar");
    bar.append(this.pick, this.attachButton, make("span", "", "or the next"), this.execName, this.execButton, this.detachButton);
    const controls = make("div", "dbg-bar");
    for (const a of ACTIONS) {
      const b = make("button", "button button-small", `${a.label} (${shortcutLabel(a)})`);
      b.type = "button";
      b.id = `dbg-${a.op}`;
      b.dataset.key = shortcutLabel(a);
      b.addEventListener("click", () => this.act(a.op));
      this.buttons.set(a.op, b);
      controls.append(b);
    }
    const timeline = make("div", "dbg-bar dbg-timeline");
    this.scrub.type = "range";
    this.scrub.id = "dbg-scrub";
    this.scrub.setAttribute("aria-label", "Timeline: instructions since attaching");
    this.scrub.addEventListener("change", () => {
      const v = this.view;
      if (v?.position !== this.scrub.value) void this.request({ op: "goto", position: this.scrub.value });
    });
    this.scrubLabel.id = "dbg-scrub-label";
    timeline.append(make("span", "", "Timeline"), this.scrub, this.scrubLabel);

    const regs = make("table", "data-table dbg-regs");
    regs.id = "dbg-regs";
    regs.append(this.regsBody);
    this.disasmList.id = "dbg-disasm";
    this.disasmList.setAttribute("aria-label", "Disassembly around pc; click a line to set or clear a breakpoint");
    this.disasmList.addEventListener("click", (event) => {
      const li = (event.target as Element).closest("li");
      const addr = li?.dataset.addr;
      if (addr === undefined || this.view === null) return;
      void this.request({ op: "break", addr, on: !this.view.breakpoints.includes(addr) });
    });
    this.stackList.id = "dbg-stack";
    this.memInput.id = "dbg-mem-addr";
    this.memInput.placeholder = "address (hex) or symbol";
    this.memInput.setAttribute("aria-label", "Memory address");
    this.memButton.id = "dbg-mem-read";
    this.memOut.id = "dbg-memory";
    const readMemory = (): void => void this.request({ op: "memory", addr: this.memInput.value.trim(), len: MEMORY_BYTES });
    this.memButton.addEventListener("click", readMemory);
    onEnter(this.memInput, readMemory);
    const mem = make("div", "dbg-bar");
    mem.append(make("span", "", "Memory at"), this.memInput, this.memButton);

    // Watchpoints: a symbol (total, total+16) or hex address, a length (empty: the symbol's size), a kind.
    this.watchAddr.id = "dbg-watch-addr";
    this.watchAddr.placeholder = "symbol, symbol+offset or hex";
    this.watchAddr.setAttribute("aria-label", "Watchpoint address");
    this.watchLen.id = "dbg-watch-len";
    this.watchLen.type = "number";
    this.watchLen.min = "1";
    this.watchLen.max = "4096";
    this.watchLen.placeholder = "bytes";
    this.watchLen.title = "Bytes watched; empty: the symbol's size (8 for an address)";
    this.watchLen.setAttribute("aria-label", "Watchpoint length in bytes");
    this.watchKind.id = "dbg-watch-kind";
    this.watchKind.setAttribute("aria-label", "Watchpoint kind");
    for (const [value, label] of [["write", "writes"], ["read", "reads"], ["access", "reads and writes"]] as const) {
      const o = make("option", "", label);
      o.value = value;
      this.watchKind.append(o);
    }
    this.watchButton.id = "dbg-watch-add";
    this.watchButton.type = "button";
    const addWatch = (): void => {
      const text = this.watchLen.value.trim();
      const len = text === "" ? null : Number(text);
      void this.request({ op: "watch", addr: this.watchAddr.value.trim(), len, kind: this.watchKind.value as WatchKind, on: true });
    };
    this.watchButton.addEventListener("click", addWatch);
    onEnter(this.watchAddr, addWatch);
    this.watchList.id = "dbg-watch-list";
    this.watchList.addEventListener("click", (event) => {
      const button = (event.target as Element).closest("button");
      const li = button?.closest("li");
      if (li?.dataset.addr === undefined) return;
      void this.request({ op: "watch", addr: li.dataset.addr, len: Number(li.dataset.len), kind: li.dataset.kind as WatchKind, on: false });
    });
    this.hitOut.id = "dbg-hit";
    this.breakInput.id = "dbg-break-addr";
    this.breakInput.placeholder = "symbol or hex, e.g. main";
    this.breakInput.setAttribute("aria-label", "Breakpoint address");
    this.breakButton.id = "dbg-break-add";
    this.breakButton.type = "button";
    const addBreak = (): void => {
      const addr = this.breakInput.value.trim();
      if (addr !== "") void this.request({ op: "break", addr, on: true });
    };
    this.breakButton.addEventListener("click", addBreak);
    onEnter(this.breakInput, addBreak);
    const watch = make("div", "dbg-bar");
    watch.append(make("span", "", "Break at"), this.breakInput, this.breakButton);
    watch.append(make("span", "", "Watch"), this.watchAddr, this.watchLen, this.watchKind, this.watchButton);

    const grid = make("div", "dbg-grid");
    const col = (title: string, ...children: HTMLElement[]): HTMLElement => {
      const section = make("section", "dbg-col");
      section.append(make("h4", "dbg-title", title), ...children);
      return section;
    };
    grid.append(
      col("Disassembly", this.disasmList, this.symbolsNote),
      col("Registers", regs),
      col("Stack (sp up)", this.stackList),
    );
    this.status.id = "dbg-status";
    this.root.append(this.status, bar, controls, timeline, this.hitOut, grid, watch, this.watchList, mem, this.memOut);
    this.draw();
  }

  /** The processes of the latest overview, for the picker. */
  updateProcs(procs: readonly ProcInfo[]): void {
    const current = this.pick.value;
    const key = procs.map((p) => `${p.pid}:${p.name}`).join(",");
    if (this.pick.dataset.key === key) return;
    this.pick.dataset.key = key;
    this.pick.replaceChildren(...procs.map((p) => {
      const o = make("option", "", `${p.pid} ${p.name}`);
      o.value = String(p.pid);
      return o;
    }));
    if (procs.some((p) => String(p.pid) === current)) this.pick.value = current;
  }

  /** Picks a process (the process table's selection). */
  select(pid: number): void {
    if ([...this.pick.options].some((o) => o.value === String(pid))) this.pick.value = String(pid);
  }

  private act(op: Action): void {
    void this.request({ op });
  }

  private request(request: DebugRequest): Promise<DebugReply> {
    const id = this.nextId++;
    this.busy = true;
    this.draw();
    return new Promise<DebugReply>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve({ kind: "error", message: "the worker did not answer", view: null });
      }, REPLY_TIMEOUT_MS);
      this.pending.set(id, { resolve, timer });
      this.post({ type: "debug", id, request });
    }).then((reply) => {
      this.busy = false;
      if (reply.view !== null) this.show(reply.view);
      if (reply.kind === "error") setText(this.status, reply.message);
      else if (reply.kind === "view" && reply.message !== undefined) setText(this.status, reply.message);
      if (reply.kind === "memory") this.showMemory(reply.addr, reply.bytes);
      this.draw();
      return reply;
    });
  }

  /** A `debug-result`. */
  receive(id: number, reply: DebugReply): void {
    const p = this.pending.get(id);
    if (p === undefined) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    p.resolve(reply);
  }

  /** A `debug-view` the worker posted (a stop or an exit while running). */
  receiveView(view: DebugView): void {
    this.show(view);
    this.draw();
  }

  private showMemory(addr: string, bytes: (number | null)[]): void {
    this.memoryText = memoryRows(BigInt(`0x${addr}`), bytes).map(formatMemoryRow);
    this.memOut.textContent = this.memoryText.join("\n");
  }

  private show(view: DebugView): void {
    const before = this.view;
    if (view.state === "stopped") {
      const last = this.lastStop;
      if (last === null || last.pid !== view.pid) {
        this.changed = [];
      } else if (last.position !== view.position) {
        this.changed = changedRegisters(last.regs, view.regs);
      }
      this.lastStop = view;
    }
    if (before?.pid !== view.pid) {
      if (view.pid === null) this.lastStop = null;
      this.memoryText = [];
      this.memOut.textContent = "";
      // Memory at sp to start with.
      if (view.pid !== null && view.regs[2] !== undefined) this.memInput.value = view.regs[2];
    }
    this.view = view;
    setText(this.status, describe(view));
  }

  private draw(): void {
    const v = this.view;
    const attached = v !== null && v.pid !== null;
    const stopped = attached && v.state === "stopped";
    const waiting = v !== null && v.pid === null && v.awaitingExec !== null;
    this.attachButton.disabled = this.busy || attached || waiting;
    this.execButton.disabled = this.busy || attached || waiting;
    this.execName.disabled = attached || waiting;
    this.detachButton.disabled = this.busy || !(attached || waiting);
    this.detachButton.textContent = waiting ? "Stop waiting" : "Detach";
    this.pick.disabled = attached || waiting;
    this.breakButton.disabled = this.busy || !stopped;
    for (const a of ACTIONS) {
      const b = this.buttons.get(a.op)!;
      const reverseOff = a.reverse && v !== null && !v.reverse.on;
      b.disabled = this.busy || !attached || (a.op === "pause" ? stopped : !stopped) || reverseOff;
      b.title = reverseOff && v !== null && !v.reverse.on ? v.reverse.why : `${a.label} (${shortcutLabel(a)})`;
    }
    this.memButton.disabled = this.busy || !attached;
    this.watchButton.disabled = this.busy || !stopped;
    // Watchpoints, each with its remove button; the last hit.
    this.watchList.replaceChildren(...(attached ? v.watchpoints : []).map((w) => {
      const li = make("li", "dbg-watch");
      li.dataset.addr = w.addr;
      li.dataset.len = String(w.len);
      li.dataset.kind = w.kind;
      const remove = make("button", "button button-small", "Remove");
      remove.type = "button";
      remove.disabled = this.busy || !stopped;
      li.append(make("span", "mono", `${w.label ?? ""} 0x${w.addr.replace(/^0+(?=.)/, "")}, ${w.len} bytes, ${w.kind === "access" ? "reads and writes" : `${w.kind}s`}`), remove);
      return li;
    }));
    this.hitText = stopped && v.hit !== null ? describeHit(v.hit) : "";
    setText(this.hitOut, this.hitText);
    this.hitOut.hidden = this.hitText === "";
    // Registers.
    const rows = REGISTER_NAMES.map((name, i) => {
      const tr = make("tr");
      const value = v?.regs[i] ?? "";
      if (this.changed.includes(i) && stopped) tr.className = "dbg-changed";
      tr.dataset.reg = String(i);
      tr.append(make("th", "", name), make("td", "num mono", value === "" ? "" : `0x${value}`));
      return tr;
    });
    this.regsBody.replaceChildren(...(stopped ? rows : []));
    // Disassembly.
    const pc = v?.regs[32];
    this.disasmList.replaceChildren(...(stopped ? v.disasm : []).map((d) => {
      const li = make("li", `dbg-line${d.addr === pc ? " dbg-pc" : ""}${d.breakpoint ? " dbg-break" : ""}`);
      li.dataset.addr = d.addr;
      li.title = d.breakpoint ? "Click: clear the breakpoint" : "Click: set a breakpoint";
      li.append(
        make("span", "dbg-mark", d.breakpoint ? "●" : d.addr === pc ? "▶" : " "),
        make("span", "dbg-addr", d.addr.replace(/^0+(?=.{4})/, "")),
        make("span", "dbg-sym", d.symbol === null ? "" : `<${d.symbol}>`),
        make("span", "dbg-text", d.text),
      );
      return li;
    }));
    this.stackList.replaceChildren(...(stopped ? v.stack : []).map((s) => {
      const li = make("li", "dbg-word");
      li.append(make("span", "dbg-addr", s.addr.replace(/^0+(?=.{4})/, "")), make("span", "mono", s.value === null ? "unreadable" : `0x${s.value}`),
        make("span", "dbg-sym", s.symbol === null ? "" : `<${s.symbol}>`));
      return li;
    }));
    setText(this.symbolsNote, attached ? v.symbols : "");
    // Timeline.
    const start = v?.historyStart ?? v?.position ?? "0";
    const end = v?.furthest ?? v?.position ?? "0";
    this.scrub.min = start;
    this.scrub.max = end;
    if (v?.position !== null && v?.position !== undefined) this.scrub.value = v.position;
    this.scrub.disabled = this.busy || !stopped || v === null || !v.reverse.on;
    this.scrub.title = v !== null && !v.reverse.on ? v.reverse.why : "Drag to an instruction count: back by reverse execution, forward by running";
    setText(this.scrubLabel, attached && v.position !== null
      ? `instruction ${v.position} (history ${start} to ${end})` : "");
  }
}

/** A watchpoint hit in words: which, the value before and after, and what made the access. */
export function describeHit(hit: WatchHit): string {
  const at = hit.valueLabel ?? `0x${hit.valueAt.replace(/^0+(?=.)/, "")}`;
  const where = `${hit.symbol ?? "?"} (0x${hit.pc.replace(/^0+(?=.)/, "")})`;
  const by = hit.bySyscall ? `by the system call at ${where}: ${hit.instruction}` : `by \`${hit.instruction}\` at ${where}`;
  const old = watchValueText(hit.old);
  const now = watchValueText(hit.new);
  const value = hit.kind === "read" || old === now ? `${at} = ${now}` : `${at}: ${old} → ${now}`;
  return `Watchpoint ${hit.watch.label ?? `0x${hit.watch.addr.replace(/^0+(?=.)/, "")}`} (${hit.kind}) hit ${by}; ${value}`;
}

/** The status line for a view. */
export function describe(v: DebugView): string {
  if (v.pid === null) {
    if (v.awaitingExec !== null) return `Waiting for the next process that runs ${v.awaitingExec}: it stops at its first instruction.`;
    if (v.exited !== null) {
      return v.exited.signal !== 0 ? `Process ${v.exited.pid} was killed by signal ${v.exited.signal}.` : `Process ${v.exited.pid} exited with status ${v.exited.status}.`;
    }
    return "Pick a process and attach: it stops, and the rest of the machine runs on.";
  }
  if (v.state === "running") return `Process ${v.pid} (${v.name}) runs. Pause (F6) stops it.`;
  if (v.hit !== null) return `Process ${v.pid} (${v.name}) stopped: after a watchpoint hit.`;
  const why: Record<string, string> = {
    attach: "attached", exec: "it ran exec: the new program's first instruction, its symbols loaded (breakpoints and watchpoints of the old program are gone)", break: "at a breakpoint", watch: "at a watchpoint", step: "stepped", interrupt: "paused", fault: `at a fault (signal ${v.signal})`,
  };
  return `Process ${v.pid} (${v.name}) stopped: ${why[v.reason ?? ""] ?? v.reason}.`;
}
