// Stepping through ecall (host/gdb/kernel-side.ts): resuming the debugged
// process from an ecall records the call, decoded, the kernel functions it
// went through (an instrumented build of the running kernel, names from
// its name section) and its result; the machine runs its own kernel again
// afterwards and nothing else changes.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { kernelBytesSync, MachineHarness, userlandModules } from "../testing/machine-harness.js";
import { MachineDebugTarget } from "./machine-target.js";
import { SYSCALLS } from "./syscalls.js";

async function bootWc() {
  const h = new MachineHarness({ ramBytes: 32 * 1024 * 1024, modules: userlandModules() }).boot();
  h.runUntil("\n$ ");
  const target = new MachineDebugTarget(h.machine);
  await target.enableKernelSide(kernelBytesSync());
  target.attachOnExec("wc");
  h.machine.input("echo hello world | wc\r");
  const runToStop = () => {
    for (let i = 0; i < 5000; i++) {
      h.machine.runFor(5);
      target.afterSlice();
      target.takeEvent();
      if (target.pid() === null || target.stopped()) return;
    }
    throw new Error("never stopped");
  };
  runToStop();
  return { h, target, runToStop };
}

/** Single-steps until pc is at an ecall whose a7 is `num`. */
function stepToEcall(target: MachineDebugTarget, runToStop: () => void, num: number): void {
  for (let i = 0; i < 20000; i++) {
    const pc = target.readRegister(32)!;
    const insn = target.readMemory(pc, 4);
    if (insn[0] === 0x73 && insn[1] === 0 && insn[2] === 0 && insn[3] === 0 && target.readRegister(17) === BigInt(num)) return;
    target.resume(true);
    runToStop();
  }
  throw new Error(`no ecall ${num}`);
}

describe("the kernel side of a system call", () => {
  it("records read's arguments, the bytes it brought, its result and the kernel functions it ran", async () => {
    const { h, target, runToStop } = await bootWc();
    expect(target.monitorCommand("syscall")).toMatch(/no system call recorded yet/);
    stepToEcall(target, runToStop, 5);
    target.resume(true);
    runToStop();
    const r = target.lastSyscall!;
    expect(r).not.toBeNull();
    expect(r.call).toMatch(/^read\(0, 0x[0-9a-f]+, \d+\)$/);
    expect(r.result).toBe(12n);
    expect(r.detail).toBe('"hello world\\n"');
    const names = r.functions.map((f) => f.fn.slice(f.fn.lastIndexOf("/") + 1));
    // The path a read from a pipe takes, in the kernel's own names (the
    // release build: the pipe's read is inlined into fileRead; the writer is woken).
    expect(names).toContain("dispatch");
    expect(names).toContain("sysRead");
    expect(names.indexOf("dispatch")).toBeLessThan(names.indexOf("sysRead"));
    for (const fn of ["fdLookup", "fileRead", "copyout", "wakeup"]) expect(names).toContain(fn);
    expect(names.indexOf("fileRead")).toBeLessThan(names.indexOf("copyout"));
    expect(r.entered).toBeGreaterThan(names.length - 1);
    const text = target.monitorCommand("syscall")!;
    expect(text).toMatch(/^pid \d+: read\(0, 0x[0-9a-f]+, \d+\) = 12 "hello world\\n"\n/);
    expect(text).toMatch(/kernel side: \d+ function entries/);
    // The machine's own kernel runs on: wc finishes as usual.
    target.resume(false);
    runToStop();
    expect(h.output).toMatch(/\s+1\s+2\s+12\n/);
  }, 60_000);

  it("decodes write's bytes and exit, which does not return", async () => {
    const { target, runToStop } = await bootWc();
    stepToEcall(target, runToStop, 16);
    target.resume(true);
    runToStop();
    expect(target.lastSyscall!.call).toMatch(/^write\(1, " +1 +2 +12\\n", \d+\)$/);
    expect(target.lastSyscall!.result).toBeGreaterThan(0n);
    stepToEcall(target, runToStop, 2);
    target.resume(true);
    runToStop();
    expect(target.pid()).toBeNull();
    expect(target.lastSyscall!.call).toBe("exit(0)");
    expect(target.lastSyscall!.result).toBeNull();
    expect(target.monitorCommand("syscall")).toMatch(/exit\(0\) \(did not return\)/);
  }, 60_000);

  it("names the calls as trace does", () => {
    const trace = readFileSync(new URL("../../user/prog/trace.c", import.meta.url), "utf8");
    const table = [...trace.matchAll(/\{(\d+), "([a-z_0-9]+)", "([a-z]*)"\}/g)].map((m) => [Number(m[1]), m[2], m[3]]);
    expect(table.length).toBeGreaterThan(60);
    expect([...SYSCALLS.entries()].map(([n, d]) => [n, d.name, d.args])).toEqual(table);
  });
});
