// The threads of a debugged process as gdb's threads, at the protocol
// level, on a real machine running user/prog/gdbthreads.c (main starts two
// workers that call step() three times each, then joins them): the thread
// list and its changes, a stop reply naming the thread that hit, the
// registers of each thread (Hg), all-stop (a stop of one thread holds the
// others), stepping one thread alone (vCont;s:TID), a thread gone, and
// reverse execution across threads landing on the registers seen going
// forward. And the kernel's reads of watched bytes (copyin: write() from
// them) as hits of read and access watchpoints. docs/debugging.md "Threads".

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { symbolValue } from "../rv/elf.js";
import { MachineHarness, userlandModules } from "../testing/machine-harness.js";
import { MachineDebugTarget } from "./machine-target.js";
import { GdbSession } from "./session.js";
import { PacketReader, framePacket, latin1Text, unescapeBinary, parseRegHex } from "./packets.js";

const program = new Uint8Array(readFileSync(new URL("../../user/bin/gdbthreads.debug", import.meta.url)));
const STEP = symbolValue(program, "step");
const HITS = symbolValue(program, "hits");

function rig(cpus = 1) {
  const h = new MachineHarness({ ramBytes: 32 * 1024 * 1024, modules: userlandModules(), cpus }).boot();
  h.runUntil("\n$ ");
  const target = new MachineDebugTarget(h.machine);
  target.enableHistory(null, { intervalRuns: 1, snapshots: 64 });
  expect(target.attachOnExec("gdbthreads")).toBe(true);
  h.machine.input("gdbthreads\r");
  const reader = new PacketReader();
  const replies: string[] = [];
  const session = new GdbSession(target, (bytes) => {
    for (const e of reader.feed(bytes)) if (e.kind === "packet") replies.push(latin1Text(unescapeBinary(e.payload)));
  });
  session.receive(framePacket("QStartNoAckMode"));
  const run = (): void => {
    for (let i = 0; i < 5000 && session.waiting; i++) {
      h.machine.runFor(5);
      target.afterSlice();
      session.poll();
    }
    expect(session.waiting, "the process never stopped").toBe(false);
  };
  /** One packet; the reply, running the machine while gdb would wait for it. */
  const ask = (payload: string): string => {
    const before = replies.length;
    session.receive(framePacket(payload));
    if (replies.length === before) run();
    expect(replies.length, `no reply to ${payload}`).toBeGreaterThan(before);
    return replies[replies.length - 1]!;
  };
  for (let i = 0; i < 5000 && target.pid() === null; i++) {
    h.machine.runFor(5);
    target.afterSlice(); // history's first snapshot: at the attach
  }
  expect(target.stopped()).toBe(true);
  const pid = target.pid()!;
  const threads = (): number[] => ask("qfThreadInfo").slice(1).split(",").filter((t) => t !== "").map((t) => parseInt(t, 16));
  const pc = (tid: number): bigint => {
    expect(ask(`Hg${tid.toString(16)}`)).toBe("OK");
    return parseRegHex(ask("p20"))!;
  };
  const hits = (): [number, number] => {
    const bytes = target.readMemory(HITS, 16);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return [Number(view.getBigInt64(0, true)), Number(view.getBigInt64(8, true))];
  };
  return { h, target, ask, pid, threads, pc, hits };
}

/** The thread a stop reply names. */
function stopThread(reply: string): number {
  const m = /thread:([0-9a-f]+);/.exec(reply);
  expect(m, reply).not.toBeNull();
  return parseInt(m![1]!, 16);
}

describe("threads as gdb threads", () => {
  it.each([1, 2])("lists each thread, names the one that hit, reads each one's registers, and holds the others (%i vCPU(s))", (cpus) => {
    const r = rig(cpus);
    expect(r.threads()).toEqual([r.pid]);
    expect(r.ask("qC")).toBe(`QC${r.pid.toString(16)}`);
    expect(r.ask(`Z0,${STEP.toString(16)},2`)).toBe("OK");

    // The first worker hits step(); the second exists, held at its start; main sleeps in thread_join.
    const first = r.ask("vCont;c");
    const hitter = stopThread(first);
    expect(first).toMatch(/^T05/);
    const list = r.threads();
    expect(list).toHaveLength(3);
    expect(list[0]).toBe(r.pid);
    expect(list).toContain(hitter);
    expect(hitter).not.toBe(r.pid);
    const other = list.find((t) => t !== r.pid && t !== hitter)!;
    expect(r.ask(`T${hitter.toString(16)}`)).toBe("OK");
    const info = (tid: number) => latin1Text(Uint8Array.from(Buffer.from(r.ask(`qThreadExtraInfo,${tid.toString(16)}`), "hex")));
    expect(info(r.pid)).toBe(`pid ${r.pid} tid ${r.pid} (main), stopped, sleeping: join`);
    expect(info(hitter)).toBe(`pid ${r.pid} tid ${hitter}, stopped, runnable`);
    expect(r.pc(hitter)).toBe(STEP);
    expect(r.pc(other)).not.toBe(STEP);
    expect(r.pc(r.pid)).not.toBe(STEP);
    expect(r.hits()).toEqual([0, 0]); // stopped before step()'s first line, hits[me]++; the other worker has not run

    // Stepping the hitter alone (gdb steps over a breakpoint so) moves it and nothing else.
    const otherPc = r.pc(other);
    expect(r.ask(`vCont;s:${hitter.toString(16)}`)).toBe(`T05thread:${hitter.toString(16)};`);
    expect(r.pc(hitter)).not.toBe(STEP);
    expect(r.pc(other)).toBe(otherPc);
    // Every later hit is of one of the workers; each reaches step() three times.
    const seen = new Map<number, number>([[hitter, 1]]);
    for (let i = 0; i < 5; i++) {
      const reply = r.ask("vCont;c");
      expect(reply).toMatch(/^T05thread:[0-9a-f]+;swbreak:;$|^T05thread:[0-9a-f]+;$/);
      const t = stopThread(reply);
      seen.set(t, (seen.get(t) ?? 0) + 1);
      expect(r.pc(t)).toBe(STEP);
    }
    expect([...seen.entries()].sort()).toEqual([[hitter, 3], [other, 3]].sort());
    const [a, b] = r.hits();
    expect(a + b).toBe(5); // at the sixth hit, before its hits[me]++
    expect(Math.max(a, b)).toBe(3);

    // The workers end; the list shrinks to main, and a gone thread is no thread.
    expect(r.ask(`z0,${STEP.toString(16)},2`)).toBe("OK");
    expect(r.ask(`Z0,${symbolValue(program, "main").toString(16)},2`)).toBe("OK"); // never hit again
    expect(r.ask("vCont;c")).toBe("W00");
    expect(r.h.runUntil("statuses 40 41\n")).toContain("gdbthreads: total 9, hits 3 3, statuses 40 41");
  });

  it("refuses threads that are not the process's", () => {
    const r = rig();
    expect(r.ask("Hg7fff0000")).toMatch(/^E/);
    expect(r.ask("Hc7fff0000")).toMatch(/^E/);
    expect(r.ask("Hgzz")).toMatch(/^E/);
    expect(r.ask("T7fff0000")).toMatch(/^E/);
    expect(r.ask("qThreadExtraInfo,7fff0000")).toMatch(/^E/);
    expect(r.ask("vCont;s:7fff0000")).toMatch(/^E/); // names no thread of ours
    expect(r.ask("Hg0")).toBe("OK");
    expect(r.ask("Hc-1")).toBe("OK");
  });

  it.each([1, 2])("steps back across threads onto exactly the registers seen going forward (%i vCPU(s))", (cpus) => {
    const r = rig(cpus);
    expect(r.ask(`Z0,${STEP.toString(16)},2`)).toBe("OK");
    r.ask("vCont;c");
    r.ask("vCont;c"); // a hit with two workers alive
    expect(r.ask(`z0,${STEP.toString(16)},2`)).toBe("OK");
    const regs: { thread: number; g: string }[] = [];
    const record = (reply: string) => {
      const thread = stopThread(reply);
      regs.push({ thread, g: r.ask("g") });
    };
    const first = r.ask("?");
    record(first);
    const hitter = stopThread(first);
    const other = r.threads().find((t) => t !== r.pid && t !== hitter)!;
    // Steps of each worker in turn, each alone: history interleaves the two threads.
    for (let i = 0; i < 12; i++) {
      const t = i % 3 === 2 ? hitter : other;
      const reply = r.ask(`vCont;s:${t.toString(16)}`);
      expect(stopThread(reply)).toBe(t);
      record(reply);
    }
    expect(new Set(regs.map((x) => x.thread)).size).toBe(2);
    for (let i = regs.length - 2; i >= 0; i--) {
      const back = r.ask("bs");
      expect(stopThread(back)).toBe(regs[i]!.thread);
      expect(r.ask("g")).toBe(regs[i]!.g);
    }
  });
});

describe("the kernel's reads of watched bytes", () => {
  const GREETING = symbolValue(program, "greeting");
  const WRITE = symbolValue(program, "write");

  it.each([["3", "rwatch"], ["4", "awatch"]])("a Z%s watchpoint is hit by write() reading it, after the call; the debugger's own reads are none", (type, name) => {
    const r = rig();
    const at = (GREETING + 5n).toString(16);
    expect(r.ask(`Z${type},${at},1`)).toBe("OK");
    expect(r.ask(`m${GREETING.toString(16)},8`)).toBe(Buffer.from("gdbthread").subarray(0, 8).toString("hex")); // no hit
    const mark = r.h.output.length;
    const reply = r.ask("vCont;c");
    expect(reply).toBe(`T05thread:${r.pid.toString(16)};${name}:${at};`);
    // Stopped when write() returned: its ecall ran, its bytes are out, nothing after it ran.
    const pc = r.pc(r.pid);
    expect(pc > WRITE && pc <= WRITE + 8n).toBe(true);
    const seen = r.h.since(mark);
    expect(seen).toContain("gdbthreads: hello from main");
    expect(seen).not.toContain("gdbthreads: total");
    // Going back: reverse-continue from later finds that hit again, before the call.
    expect(r.ask("vCont;s")).toMatch(/^T05/);
    const back = r.ask("bc");
    expect(back).toBe(`T05thread:${r.pid.toString(16)};${name}:${at};`);
    expect(r.pc(r.pid) < pc).toBe(true);
    expect(r.ask(`z${type},${at},1`)).toBe("OK");
    expect(r.ask("vCont;c")).toBe("W00");
  });

  it("a write watchpoint is not hit by the kernel reading the bytes", () => {
    const r = rig();
    expect(r.ask(`Z2,${(GREETING + 5n).toString(16)},1`)).toBe("OK");
    expect(r.ask("vCont;c")).toBe("W00");
  });
});
