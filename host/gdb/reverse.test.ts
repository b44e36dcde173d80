// Reverse execution (host/gdb/reverse.ts) on a real machine, without gdb:
// every reverse step lands on exactly the registers the process had one
// position earlier; reverse-continue finds the last breakpoint and
// watchpoint hits, also for breakpoints set only afterwards; the ring
// stays bounded; the disk goes back with the machine; a failed replay
// loses nothing.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { symbolValue } from "../rv/elf.js";
import { MachineHarness, userlandModules } from "../testing/machine-harness.js";
import { shippedDisk } from "../testing/disk.js";
import { MachineDebugTarget } from "./machine-target.js";
import { UndoDisk } from "../disk/undo.js";
import { REG_COUNT } from "./riscv.js";


const wc = new Uint8Array(readFileSync(new URL("../../user/bin/wc.debug", import.meta.url)));

interface Rig {
  h: MachineHarness;
  target: MachineDebugTarget;
  /** Runs slices (snapshots when due) until the process stops or exits. */
  runToStop(): "stopped" | "exited";
  position(): bigint;
}

function rig(options: { snapshots?: number; intervalRuns?: number; disk?: boolean } = {}): Rig {
  const undo = options.disk ? new UndoDisk(shippedDisk()) : null;
  const h = new MachineHarness({ ramBytes: 32 * 1024 * 1024, modules: userlandModules(), disk: undo }).boot();
  h.runUntil("\n$ ");
  const target = new MachineDebugTarget(h.machine);
  target.enableHistory(undo, { snapshots: options.snapshots, intervalRuns: options.intervalRuns });
  expect(target.attachOnExec("wc")).toBe(true);
  h.machine.input("echo hello world | wc\r");
  const runToStop = (): "stopped" | "exited" => {
    for (let i = 0; i < 5000; i++) {
      h.machine.runFor(5);
      target.afterSlice();
      const event = target.takeEvent();
      if (event?.kind === "exit") return "exited";
      if (target.pid() !== null && target.stopped()) return "stopped";
    }
    throw new Error("the process never stopped");
  };
  expect(runToStop()).toBe("stopped");
  return { h, target, runToStop, position: () => h.machine.debugInterface()!.debugPosition() };
}

function registers(target: MachineDebugTarget): bigint[] {
  return target.readRegisters().slice(0, REG_COUNT);
}

describe("reverse execution", () => {
  it("steps back one position at a time onto exactly the registers seen going forward", () => {
    const r = rig({ intervalRuns: 1, snapshots: 100 });
    expect(r.target.setBreakpoint(symbolValue(wc, "main"), true)).toBe(true);
    expect(r.target.resume(false)).toBe(true);
    expect(r.runToStop()).toBe("stopped");
    r.target.setBreakpoint(symbolValue(wc, "main"), false);
    // Forward 40 single steps (a read system call among them), noting each position's registers.
    const seen = new Map<bigint, bigint[]>();
    seen.set(r.position(), registers(r.target));
    for (let i = 0; i < 40; i++) {
      r.target.resume(true);
      expect(r.runToStop()).toBe("stopped");
      seen.set(r.position(), registers(r.target));
    }
    const end = r.position();
    for (let i = 0; i < 40; i++) {
      const before = r.position();
      const result = r.target.reverse("step");
      expect(result.kind, JSON.stringify(result)).toBe("stop");
      expect(r.position()).toBe(before - 1n);
      const want = seen.get(r.position());
      if (want !== undefined) expect(registers(r.target)).toEqual(want);
      expect(r.target.stopped()).toBe(true);
    }
    // Forward again from the past: the same registers at the same positions.
    for (let i = 0; i < 10; i++) {
      r.target.resume(true);
      expect(r.runToStop()).toBe("stopped");
      const want = seen.get(r.position());
      if (want !== undefined) expect(registers(r.target)).toEqual(want);
    }
    expect(r.position()).toBeLessThan(end);
    r.target.resume(false);
    expect(r.runToStop()).toBe("exited");
    expect(r.h.output).toMatch(/\s+1\s+2\s+12\n/);
  });

  it("reverse-continue stops at the previous breakpoint hit, and at the start of history when there is none", () => {
    const r = rig();
    const main = symbolValue(wc, "main");
    const start = r.position();
    r.target.setBreakpoint(main, true);
    r.target.resume(false);
    expect(r.runToStop()).toBe("stopped");
    const atMain = r.position();
    const mainRegs = registers(r.target);
    r.target.setBreakpoint(main, false);
    for (let i = 0; i < 25; i++) {
      r.target.resume(true);
      r.runToStop();
    }
    // A breakpoint set now, at main: it was passed once, at atMain.
    r.target.setBreakpoint(main, true);
    const back = r.target.reverse("continue");
    expect(back).toMatchObject({ kind: "stop", stop: { reason: "break" } });
    expect(r.position()).toBe(atMain);
    expect(registers(r.target)).toEqual(mainRegs);
    // Nothing before it: the beginning of history, where we attached.
    expect(r.target.reverse("continue")).toEqual({ kind: "begin" });
    expect(r.position()).toBe(start);
    expect(r.target.reverse("step")).toEqual({ kind: "begin" });
  });

  it("reverse-continue stops at the last write to a watched variable", () => {
    const r = rig({ intervalRuns: 2 });
    const total = symbolValue(wc, "total"); // struct { lines, words, bytes }: bytes at +16
    r.target.setWatchpoint(total + 16n, 8, "write", true);
    r.target.resume(false);
    expect(r.runToStop()).toBe("stopped");
    expect(r.target.lastStop().reason).toBe("watch");
    const atWrite = r.position();
    const writeRegs = registers(r.target);
    // Step over the store, run on a little.
    r.target.setWatchpoint(total + 16n, 8, "write", false);
    for (let i = 0; i < 12; i++) {
      r.target.resume(true);
      r.runToStop();
    }
    r.target.setWatchpoint(total + 16n, 8, "write", true);
    const back = r.target.reverse("continue");
    expect(back).toMatchObject({ kind: "stop", stop: { reason: "watch", watch: { kind: "write", addr: total + 16n } } });
    expect(r.position()).toBe(atWrite);
    expect(registers(r.target)).toEqual(writeRegs);
    // Memory is as it was before the store: bytes still 0.
    expect([...r.target.readMemory(total + 16n, 8)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it("finds hits where history was stopped, after going back and forth (a snapshot at every stop)", () => {
    // The hit's instruction ran first after a resume (past its own
    // watchpoint) right at a snapshot: its note must still see it.
    const r = rig({ intervalRuns: 1 });
    const main = symbolValue(wc, "main");
    r.target.setBreakpoint(main, true);
    r.target.resume(false);
    r.runToStop();
    const atMain = r.position();
    r.target.setBreakpoint(main, false);
    for (let i = 0; i < 3; i++) { r.target.resume(true); r.runToStop(); }
    expect(r.target.reverse("step").kind).toBe("stop");
    expect(r.target.reverse("step").kind).toBe("stop");
    const total = symbolValue(wc, "total");
    r.target.setWatchpoint(total + 16n, 8, "write", true);
    r.target.resume(false);
    r.runToStop();
    const atWrite = r.position();
    r.target.setWatchpoint(total + 16n, 8, "write", false);
    for (let i = 0; i < 10; i++) { r.target.resume(true); r.runToStop(); }
    r.target.setWatchpoint(total + 16n, 8, "write", true);
    expect(r.target.reverse("continue")).toMatchObject({ kind: "stop", stop: { reason: "watch" } });
    expect(r.position()).toBe(atWrite);
    r.target.setWatchpoint(total + 16n, 8, "write", false);
    r.target.setBreakpoint(main, true);
    expect(r.target.reverse("continue")).toMatchObject({ kind: "stop", stop: { reason: "break" } });
    expect(r.position()).toBe(atMain);
  });

  it("keeps at most N snapshots, and the disk goes back with the machine", () => {
    const r = rig({ snapshots: 3, intervalRuns: 1, disk: true });
    r.target.setBreakpoint(symbolValue(wc, "main"), true);
    r.target.resume(false);
    r.runToStop();
    r.target.setBreakpoint(symbolValue(wc, "main"), false);
    for (let i = 0; i < 8; i++) {
      r.target.resume(true);
      r.runToStop();
      expect(r.target.historyStats!.snapshots).toBeLessThanOrEqual(3);
    }
    const oldest = r.target.historyStats!.oldestPosition!;
    // Back past the oldest snapshot is the beginning of history.
    let steps = 0;
    while (r.target.reverse("step").kind === "stop") steps++;
    expect(r.position()).toBe(oldest);
    expect(steps).toBeGreaterThan(0);
  });
});
