// The Debugger panel's worker side (web/debug-worker.ts) on a real machine
// in Node: attach to a wc waiting on its input, symbols from the boot file
// system, a breakpoint, step and step over, memory that faults shown as
// unreadable, reverse step to identical registers, goto on the timeline,
// detach and wc finishes; the realtime clock refuses reverse with a reason.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { MachineHarness, userlandModules } from "../host/testing/machine-harness.js";
import { bootfsImage } from "../host/testing/machine-harness.js";
import { symbolValue } from "../host/rv/elf.js";
import { PanelDebugger, bootfsFile } from "./debug-worker.js";
import { GdbServer } from "../host/gdb/server.js";
import { framePacket } from "../host/gdb/packets.js";
import type { DebugReply, DebugView } from "./debug-protocol.js";

const wcElf = new Uint8Array(readFileSync(new URL("../user/bin/wc", import.meta.url)));

/** A booted machine at the shell prompt with the panel's debugger on it, and runToPost. */
function machineRig(clock: "deterministic" | "realtime" = "deterministic") {
  const image = bootfsImage();
  const h = new MachineHarness({ ramBytes: 32 * 1024 * 1024, modules: userlandModules(image), clock }).boot();
  h.runUntil("\n$ ");
  const posted: DebugView[] = [];
  const dbg = new PanelDebugger(h.machine, { bootfs: image, undoDisk: null, kick: () => {}, post: (v) => posted.push(v) });
  /** Slices until a view is posted (the process stopped or exited). */
  const runToPost = (): DebugView => {
    const before = posted.length;
    for (let i = 0; i < 4000 && posted.length === before; i++) {
      h.machine.runFor(5);
      dbg.afterSlice();
    }
    expect(posted.length).toBeGreaterThan(before);
    return posted[posted.length - 1]!;
  };
  return { h, dbg, runToPost };
}

/** machineRig with a wc started at the shell, waiting in read(0). */
function rig(clock: "deterministic" | "realtime" = "deterministic") {
  const { h, dbg, runToPost } = machineRig(clock);
  h.machine.input("wc\r");
  let pid: number | null = null;
  for (let i = 0; i < 400 && pid === null; i++) {
    h.machine.runFor(5);
    dbg.afterSlice();
    const o = h.machine.inspect({ what: "overview", logFrom: 1e9, schedFrom: 1e9 });
    if (o.what === "overview") pid = o.overview.procs.find((p) => p.name === "wc" && p.state === "sleeping")?.pid ?? null;
  }
  expect(pid).not.toBeNull();
  return { h, dbg, pid: pid!, runToPost, view };
}

function view(r: DebugReply): DebugView {
  if (r.kind === "error") throw new Error(r.message);
  return r.view;
}

describe("the Debugger panel's worker side", () => {
  it("reads the boot file system's programs", () => {
    const wc = bootfsFile(bootfsImage(), "wc");
    expect(wc).not.toBeNull();
    expect(Buffer.from(wc!).equals(Buffer.from(wcElf))).toBe(true);
    expect(bootfsFile(bootfsImage(), "no-such-program")).toBeNull();
    expect(bootfsFile(new Uint8Array(10), "wc")).toBeNull();
  });

  it("attaches, breaks, steps, steps over, reads memory, goes back and detaches", () => {
    const { h, dbg, pid, runToPost, view } = rig();
    let v = view(dbg.handle({ op: "attach", pid }));
    expect(v.state).toBe("stopped");
    expect(v.name).toBe("wc");
    expect(v.symbols).toMatch(/symbols of \/wc from the boot file system/);
    const regs = dbg.target.readRegisters();
    expect(v.regs).toEqual(regs.map((r) => r.toString(16).padStart(16, "0")));
    // Asleep in read(): pc is in read, just past its ecall.
    const pcRow = v.disasm.find((d) => d.addr === v.regs[32]);
    expect(pcRow?.symbol).toMatch(/^read\+/);
    expect(v.disasm.some((d) => d.text === "ecall")).toBe(true);

    // A breakpoint at `write` (wc prints its line with it); continue and give it input.
    const write = symbolValue(wcElf, "write");
    v = view(dbg.handle({ op: "break", addr: write.toString(16), on: true }));
    expect(v.breakpoints).toEqual([write.toString(16).padStart(16, "0")]);
    expect(view(dbg.handle({ op: "continue" })).state).toBe("running");
    h.machine.input("hello world\r\x04");
    v = runToPost();
    expect(v.state).toBe("stopped");
    expect(v.reason).toBe("break");
    expect(BigInt(`0x${v.regs[32]}`)).toBe(write);
    expect(v.disasm.find((d) => d.addr === v.regs[32])?.breakpoint).toBe(true);
    expect(v.disasm.find((d) => d.addr === v.regs[32])?.symbol).toBe("write");
    // The stack: sp's words.
    expect(v.stack.length).toBe(16);
    expect(v.stack[0]!.addr).toBe(v.regs[2]);

    // stepi: pc moves by the instruction's length (write is `li a7, N; ecall; ret`).
    const before = v.regs.slice();
    const len = v.disasm.find((d) => d.addr === v.regs[32])!.bytes.length / 2;
    dbg.handle({ op: "step" });
    v = runToPost();
    expect(BigInt(`0x${v.regs[32]}`)).toBe(write + BigInt(len));
    expect(v.reason).toBe("step");

    // Memory at sp, and a fault shown as unreadable.
    const mem = dbg.handle({ op: "memory", addr: v.regs[2]!, len: 32 });
    expect(mem.kind).toBe("memory");
    if (mem.kind === "memory") {
      expect(mem.bytes.every((b) => typeof b === "number")).toBe(true);
      const word = mem.bytes.slice(0, 8).reduceRight((acc: bigint, b) => (acc << 8n) | BigInt(b!), 0n);
      expect(word.toString(16).padStart(16, "0")).toBe(v.stack[0]!.value);
    }
    const unmapped = dbg.handle({ op: "memory", addr: "7ffffff000", len: 16 });
    expect(unmapped.kind).toBe("memory");
    if (unmapped.kind === "memory") expect(unmapped.bytes).toEqual(new Array(16).fill(null));

    // Reverse step: back to the breakpoint's pc with exactly those registers.
    v = view(dbg.handle({ op: "reverse-step" }));
    expect(v.regs).toEqual(before);
    // Goto forward one position (the step again), then back to where history began.
    const now = BigInt(v.position!);
    dbg.handle({ op: "goto", position: (now + 1n).toString() });
    v = runToPost();
    expect(BigInt(v.position!)).toBe(now + 1n);
    expect(BigInt(`0x${v.regs[32]}`)).toBe(write + BigInt(len));
    v = view(dbg.handle({ op: "goto", position: v.historyStart! }));
    expect(v.position).toBe(v.historyStart);
    expect(v.disasm.find((d) => d.addr === v.regs[32])?.symbol).toMatch(/^read\+/);

    dbg.handle({ op: "break", addr: write.toString(16), on: false });
    const mark = h.output.length;
    v = view(dbg.handle({ op: "detach" }));
    expect(v.pid).toBeNull();
    // Back before the input was typed, the machine's future was abandoned but
    // not what was typed in it: given again at once, wc reads it and finishes.
    const out = h.runUntil(/\d+\s+\d+\s+\d+\s*\r?\n/, mark);
    expect(out).toMatch(/1\s+2\s+12/);
  });

  it("steps over a call to its return", () => {
    const { h, dbg, pid, runToPost, view } = rig();
    view(dbg.handle({ op: "attach", pid }));
    const main = symbolValue(wcElf, "main");
    view(dbg.handle({ op: "break", addr: main.toString(16), on: false }));
    // Step out of read into its caller, then step until a call instruction is at pc.
    h.machine.input("a b\r\x04");
    let v = view(dbg.handle({ op: "view" }));
    let calls = 0;
    const seen: string[] = [];
    for (let i = 0; i < 400 && calls === 0; i++) {
      dbg.handle({ op: "step" });
      v = runToPost();
      const row = v.disasm.find((d) => d.addr === v.regs[32])!;
      if (/^(jal ra|jalr ra|c\.jalr)/.test(row.text) && row.symbol?.startsWith("main")) calls++;
      seen.push(`${row.symbol} ${row.text}`);
    }
    expect(calls, seen.slice(-20).join("\n")).toBe(1);
    const row = v.disasm.find((d) => d.addr === v.regs[32])!;
    const next = BigInt(`0x${v.regs[32]}`) + BigInt(row.bytes.length / 2);
    const sp = v.regs[2];
    dbg.handle({ op: "next" });
    v = runToPost();
    expect(BigInt(`0x${v.regs[32]}`)).toBe(next);
    expect(v.regs[2]).toBe(sp);
    expect(v.breakpoints).toEqual([]); // the temporary breakpoint is gone
    dbg.handle({ op: "detach" });
  });

  it("watches a variable and a buffer: the hit's old and new value and instruction, forwards and backwards", () => {
    const { h, dbg, pid, runToPost, view } = rig();
    view(dbg.handle({ op: "attach", pid }));
    const total = symbolValue(wcElf, "total");
    const buf = symbolValue(wcElf, "buf");
    // total.bytes (total+16, 8 bytes) for writes, and buf's first 8 bytes, which read() fills.
    let r = dbg.handle({ op: "watch", addr: "total+16", len: null, kind: "write", on: true });
    expect(r.kind, r.kind === "error" ? r.message : "").toBe("view");
    r = dbg.handle({ op: "watch", addr: "buf", len: 8, kind: "write", on: true });
    let v = view(r);
    expect(v.watchpoints).toEqual([
      { addr: (total + 16n).toString(16).padStart(16, "0"), len: 8, kind: "write", label: "total+16" },
      { addr: buf.toString(16).padStart(16, "0"), len: 8, kind: "write", label: "buf" },
    ]);
    // Bad requests are refused and change nothing.
    for (const bad of [
      { addr: "nosuchsymbol", len: 8 }, { addr: "total+24", len: null }, { addr: "total", len: 0 }, { addr: "total", len: 5000 }, { addr: "7ffffff000", len: 8 },
    ]) {
      const e = dbg.handle({ op: "watch", addr: bad.addr, len: bad.len, kind: "write", on: true });
      expect(e.kind, bad.addr).toBe("error");
    }
    expect(dbg.handle({ op: "watch", addr: "total", len: 8, kind: "sideways" as never, on: true }).kind).toBe("error");
    expect(view(dbg.handle({ op: "view" })).watchpoints.length).toBe(2);

    // The read() wc sleeps in brings "hello world\n": the kernel's copyout writes buf.
    expect(view(dbg.handle({ op: "continue" })).state).toBe("running");
    h.machine.input("hello world\r\x04");
    v = runToPost();
    expect(v.state).toBe("stopped");
    expect(v.reason).toBe("watch");
    expect(v.hit).not.toBeNull();
    expect(v.hit!.bySyscall).toBe(true);
    expect(v.hit!.watch.label).toBe("buf");
    expect(v.hit!.instruction).toMatch(/^ecall \(read: the kernel wrote it\)$/);
    expect(v.hit!.old).toEqual(new Array(8).fill(0));
    expect(String.fromCharCode(...(v.hit!.new as number[]))).toBe("hello wo");
    expect(v.hit!.symbol).toMatch(/^read\+/);

    // Continue: c->bytes += n stores into total.bytes: stopped after that instruction, 0 -> 12.
    dbg.handle({ op: "continue" });
    v = runToPost();
    expect(v.reason).toBe("step");
    const hit = v.hit!;
    expect(hit.bySyscall).toBe(false);
    expect(hit.watch.label).toBe("total+16");
    expect(hit.valueLabel).toBe("total+16");
    expect(hit.old).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(hit.new).toEqual([12, 0, 0, 0, 0, 0, 0, 0]);
    expect(hit.instruction).toMatch(/^(c\.)?s[dw]\b/); // a store
    expect(hit.symbol).toMatch(/^(count|main)\+/); // count is inlined into main
    expect(BigInt(v.position!)).toBe(BigInt(hit.position) + 1n);
    const afterStore = v;

    // Reverse continue: back past that store to buf's write, which runs again to show its value.
    r = dbg.handle({ op: "reverse-continue" });
    expect(r.kind, r.kind === "error" ? r.message : "").toBe("view");
    v = runToPost();
    expect(v.hit?.watch.label).toBe("buf");
    expect(v.hit!.bySyscall).toBe(true);
    expect(v.hit!.old).toEqual(new Array(8).fill(0));
    expect(String.fromCharCode(...(v.hit!.new as number[]))).toBe("hello wo");
    expect(BigInt(v.hit!.position)).toBeLessThan(BigInt(hit.position));
    // Forward again to the same store: the same hit, the same registers (deterministic).
    dbg.handle({ op: "continue" });
    v = runToPost();
    expect(v.hit).toEqual(hit);
    expect(v.regs).toEqual(afterStore.regs);

    // Removing one leaves the other; then wc runs to its end.
    v = view(dbg.handle({ op: "watch", addr: hit.watch.addr, len: 8, kind: "write", on: false }));
    expect(v.watchpoints.map((w) => w.label)).toEqual(["buf"]);
    expect(dbg.handle({ op: "watch", addr: hit.watch.addr, len: 8, kind: "write", on: false }).kind).toBe("error");
    dbg.handle({ op: "continue" });
    v = runToPost();
    expect(v.exited).toEqual({ pid, status: 0, signal: 0 });
    expect(v.watchpoints).toEqual([]);
  });

  it("attaches at a program's exec and follows the process into its next exec: the new program's symbols", () => {
    const { h, dbg, runToPost } = machineRig();
    expect(dbg.handle({ op: "attach-exec", name: "no spaces allowed" }).kind).toBe("error");
    let r = dbg.handle({ op: "attach-exec", name: "nice" });
    expect(r.kind).toBe("view");
    if (r.kind === "view") expect(r.view.awaitingExec).toBe("nice");
    h.machine.input("echo hello world | nice 0 wc\r");
    let v = runToPost();
    expect(v.name).toBe("nice");
    expect(v.reason).toBe("attach");
    expect(v.symbols).toMatch(/symbols of \/nice/);
    expect(v.disasm.find((d) => d.addr === v.regs[32])?.symbol).toBe("_start");
    // A breakpoint and a watchpoint in nice; continue: nice execs wc in the same process.
    v = view(dbg.handle({ op: "break", addr: "main", on: true }));
    expect(v.breakpoints.length).toBe(1);
    v = view(dbg.handle({ op: "watch", addr: v.regs[2]!, len: 8, kind: "write", on: true }));
    expect(v.watchpoints.length).toBe(1);
    dbg.handle({ op: "continue" });
    v = runToPost();
    expect(v.reason).toBe("break"); // nice's main
    dbg.handle({ op: "continue" });
    v = runToPost();
    while (v.hit !== null) { // nice's own stores to the stack word watched
      dbg.handle({ op: "continue" });
      v = runToPost();
    }
    expect(v.reason).toBe("exec");
    expect(v.name).toBe("wc");
    expect(v.symbols).toMatch(/symbols of \/wc/);
    expect(v.breakpoints).toEqual([]);
    expect(v.watchpoints).toEqual([]);
    expect(v.disasm.find((d) => d.addr === v.regs[32])?.symbol).toBe("_start");
    // wc's main, by its symbol: the new program's.
    const wcMain = symbolValue(wcElf, "main");
    v = view(dbg.handle({ op: "break", addr: "main", on: true }));
    expect(v.breakpoints).toEqual([wcMain.toString(16).padStart(16, "0")]);
    dbg.handle({ op: "continue" });
    v = runToPost();
    expect(v.reason).toBe("break");
    expect(BigInt(`0x${v.regs[32]}`)).toBe(wcMain);
    dbg.handle({ op: "detach" });
    expect(h.runUntil(/\d+\s+\d+\s+\d+\s*\r?\n/, 0)).toMatch(/1\s+2\s+12/);
  });

  it("shares the machine's one session with a bridged gdb: one owner at a time, the other told, no stolen stops", () => {
    const { h, dbg, pid, view } = rig();
    const sent: string[] = [];
    const logs: string[] = [];
    const server = new GdbServer(dbg.target, { log: (line) => logs.push(line) });
    expect(server.connect((bytes) => sent.push(Buffer.from(bytes).toString("latin1")))).toBe(true);
    const ask = (packet: string): string => {
      sent.length = 0;
      server.receive(framePacket(packet));
      return sent.join("");
    };
    const slices = (): void => {
      for (let i = 0; i < 50; i++) {
        h.machine.runFor(5);
        server.poll(); // gdb's session first: it must not take the panel's stop
        dbg.afterSlice();
      }
    };
    // The panel attaches: gdb is told, and sees no process.
    view(dbg.handle({ op: "attach", pid }));
    server.poll();
    expect(logs).toContain(`gdb: pid ${pid} is debugged in the page's Debugger panel: gdb sees no process until it is detached there`);
    expect(ask("g")).toContain("$E03#");
    expect(ask(`vAttach;${pid.toString(16)}`)).toMatch(/\$E/);
    expect(ask("qRcmd,737461747573")).toContain(Buffer.from("debugged in the page's Debugger panel").toString("hex"));
    ask("D"); // gdb's detach does not end the panel's session
    expect(dbg.target.pid()).toBe(pid);
    // The panel steps: its stop is the panel's.
    const before = view(dbg.handle({ op: "view" })).position;
    h.machine.input("hello world\r\x04"); // the read() it sleeps in returns
    dbg.handle({ op: "step" });
    sent.length = 0;
    slices();
    let v = view(dbg.handle({ op: "view" }));
    expect(v.state).toBe("stopped");
    expect(v.position).not.toBe(before);
    expect(sent.join("")).not.toMatch(/\$[TSWX]/);
    // The panel detaches; gdb attaches; now the panel is refused and says why.
    view(dbg.handle({ op: "detach" }));
    expect(ask(`vAttach;${pid.toString(16)}`)).toMatch(/\$T05/);
    for (const op of ["step", "continue", "detach"] as const) {
      const r = dbg.handle({ op });
      expect(r.kind).toBe("error");
      if (r.kind === "error") expect(r.message).toBe(`Process ${pid} is debugged by gdb (through the bridge): the panel only shows it.`);
    }
    expect(dbg.handle({ op: "attach", pid }).kind).toBe("error");
    expect(view(dbg.handle({ op: "view" })).pid).toBe(pid); // shown all the same
    // gdb's step stop is gdb's, not posted to the panel.
    expect(ask("s")).toBe("+");
    sent.length = 0;
    slices();
    expect(sent.join("")).toMatch(/\$T05/);
    // gdb leaves: the process is detached and the panel may attach again.
    server.disconnect();
    expect(dbg.target.pid()).toBeNull();
    expect(view(dbg.handle({ op: "attach", pid })).pid).toBe(pid);
    dbg.handle({ op: "detach" });
  });

  it("refuses reverse execution with the realtime clock, saying why", () => {
    const { dbg, pid, view } = rig("realtime");
    const v = view(dbg.handle({ op: "attach", pid }));
    expect(v.reverse.on).toBe(false);
    if (!v.reverse.on) expect(v.reverse.why).toMatch(/deterministic clock/);
    const r = dbg.handle({ op: "reverse-step" });
    expect(r.kind).toBe("error");
    if (r.kind === "error") expect(r.message).toMatch(/deterministic clock/);
    dbg.handle({ op: "detach" });
  });
});
