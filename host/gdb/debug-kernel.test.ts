// The kernel's debugging session (kernel-as/src/proc/debug.ts) on a real
// machine, without gdb: a held process is never scheduled while the rest
// of the machine runs on; breakpoints stop only the debugged process, even
// where another process runs the same code; the monitor's gdb command.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { symbolValue } from "../rv/elf.js";
import { decodeSnapshot, restoreMachine, saveSnapshot, snapshotBuildId } from "../snapshot.js";
import { kernelBytesSync, kernelModuleSync } from "../testing/machine-harness.js";
import { MachineHarness, userlandModules } from "../testing/machine-harness.js";
import { MachineDebugTarget } from "./machine-target.js";

function bootShell(): MachineHarness {
  const h = new MachineHarness({ ramBytes: 64 * 1024 * 1024, modules: userlandModules() }).boot();
  h.runUntil("\n$ ");
  return h;
}


/** pid of the first process named `name` in ps. */
function pidOf(h: MachineHarness, name: string): number {
  const line = h.shell("ps").split(/\r?\n/).find((l) => new RegExp(`\\s${name}\\s*$`).test(l));
  expect(line, `no ${name} in ps`).toBeDefined();
  return Number(/^\s*(\d+)/.exec(line!)![1]);
}

describe("the kernel's debugging session", () => {
  it("holds the process the monitor's gdb command stops while the shell keeps working", () => {
    const h = bootShell();
    const sh = pidOf(h, "sh");
    expect(h.monitor(`gdb ${sh + 100}`)).toContain(`gdb: no process ${sh + 100}`);
    // Stop the shell's parent, init: the shell itself must still answer.
    expect(h.monitor("gdb 1")).toContain("gdb: pid 1 stopped");
    const target = new MachineDebugTarget(h.machine);
    expect(target.pid()).toBe(1);
    expect(target.stopped()).toBe(true);
    expect(h.shell("echo still here")).toContain("still here");
    expect(h.monitor("gdb")).toContain("gdb: pid 1, stopped");
    expect(h.monitor("gdb 2")).toContain("another process is being debugged");
    expect(h.monitor("gdb detach")).toContain("detached");
    expect(target.pid()).toBeNull();
  });

  it("stops only the debugged process at a breakpoint in code its forked child runs too", () => {
    const h = bootShell();
    const sh = pidOf(h, "sh");
    const target = new MachineDebugTarget(h.machine);
    expect(target.attach(sh)).toBe(true);
    // fork's stub is li a7, 1; ecall; ret. Parent and child both return through
    // that ret, in the same text frame (fork shares it copy-on-write).
    const fork = symbolValue(readFileSync(new URL("../../user/bin/sh", import.meta.url)), "fork");
    const ret = fork + 6n;
    expect([...target.readMemory(ret, 2)]).toEqual([0x82, 0x80]); // c.ret, read through the page table
    expect(target.writeMemory(ret, Uint8Array.of(0x02, 0x90))).toBe(false); // text is never patched
    expect(target.setBreakpoint(ret, true)).toBe(true);
    expect(target.setBreakpoint(0x7fff_ffff_0000n, true)).toBe(false); // not mapped
    expect(target.resume(false)).toBe(true);
    h.machine.input("echo hi\r");
    h.runUntil(/^hi\r?$/m); // the child ran past the breakpoint and exec'd echo ...
    const event = target.takeEvent();
    expect(event).toEqual({ kind: "stop", stop: { signal: 5, reason: "break" } }); // ... while the parent stopped there
    const regs = target.readRegisters();
    expect(regs[32]).toBe(ret);
    expect(regs[10]).toBeGreaterThan(BigInt(sh)); // a0: fork's result in the parent, the child's pid
    expect(target.stopped()).toBe(true);
    h.settle();
    expect(h.output.endsWith("$ ")).toBe(false); // held: the shell cannot print its prompt
    // One instruction: the ret, to the caller.
    expect(target.resume(true)).toBe(true);
    h.settle();
    expect(target.takeEvent()).toEqual({ kind: "stop", stop: { signal: 5, reason: "step" } });
    expect(target.readRegisters()[32]).toBe(regs[1]); // ra
    target.detach();
    h.runUntil("\n$ ");
    expect(target.takeEvent()).toBeNull();
  });

  it("ends the session in a restored snapshot: no debugger holds its process any more", async () => {
    const h = bootShell();
    const sh = pidOf(h, "sh");
    const target = new MachineDebugTarget(h.machine);
    expect(target.attach(sh)).toBe(true);
    const buildId = await snapshotBuildId(kernelBytesSync());
    const snapshot = await decodeSnapshot(await saveSnapshot(h.machine, buildId), buildId);
    const copy = new MachineHarness({}, (callbacks) => restoreMachine(kernelModuleSync(), snapshot, callbacks, { modules: userlandModules() }));
    expect(new MachineDebugTarget(copy.machine).pid()).toBeNull();
    expect(copy.shell("echo free")).toContain("free"); // the shell runs
    // The original machine still holds it.
    expect(target.stopped()).toBe(true);
  });

  it("lets SIGKILL end a held process, and reports the exit with the signal", () => {
    const h = bootShell();
    const target = new MachineDebugTarget(h.machine);
    const sh = pidOf(h, "sh"); // asleep in a read of the console: no timer will wake it
    expect(target.attach(sh)).toBe(true);
    expect(h.monitor(`kill ${sh}`)).toContain(`sent signal 9 to pid ${sh}`);
    h.settle();
    expect(target.takeEvent()).toEqual({ kind: "exit", status: -1, signal: 9 });
    expect(target.pid()).toBeNull();
    // init starts a new shell, which answers.
    h.runUntil("\n$ ");
    expect(h.shell("echo again")).toContain("again");
  });
});
