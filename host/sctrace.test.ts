// System-call tracing end to end (issue 13 item 4): `trace` runs a command
// traced and prints each of its calls, with names and the bytes of reads
// and writes read through the process's page table, and its results.
// Deterministic mode, so the output is pinned exactly.

import { describe, expect, it } from "vitest";
import { MachineHarness, userlandModules } from "./testing/machine-harness.js";

function bootShell(): MachineHarness {
  const h = new MachineHarness({ ramBytes: 64 * 1024 * 1024, modules: userlandModules() }).boot();
  h.runUntil("\n$ ");
  return h;
}

/** The trace lines of a shell command's output (they go to standard error, the console). */
function traceLines(out: string): string[] {
  return out.split(/\r?\n/).filter((l) => /^\[\d+\] /.test(l));
}

describe("trace", () => {
  it("prints every call of a program with decoded arguments and results", () => {
    const h = bootShell();
    const out = h.shell("trace echo hi");
    const lines = traceLines(out);
    const pid = /^\[(\d+)\]/.exec(lines[0] ?? "")?.[1];
    expect(pid).toBeDefined();
    expect(lines.map((l) => l.replace(`[${pid}] `, ""))).toEqual([
      `exec("echo", ${/exec\("echo", (0x[0-9a-f]+)\)/.exec(lines[0]!)?.[1]}) = 0`,
      expect.stringMatching(/^sbrk\(\d+, 0\) = \d+$/),
      'write(1, "hi\\n", 3) = 3',
      "exit(0)",
    ]);
    expect(out).toMatch(/^hi\r?$/m);
  });

  it("follows the children, filters with -e, and shows reads and failures", () => {
    const h = bootShell();
    const out = h.shell("trace -e open,read,close,exit cat README nothing-here");
    const lines = traceLines(out);
    expect(lines[0]).toMatch(/^\[\d+\] open\("README", 0x0\) = 3$/);
    expect(lines[1]).toMatch(/^\[\d+\] read\(3, "Keel - a capability microkernel in a browser tab"\.\.\., 4096\) = \d+$/);
    expect(lines).toContainEqual(expect.stringMatching(/^\[\d+\] open\("nothing-here", 0x0\) = -1$/));
    expect(lines.at(-1)).toMatch(/^\[\d+\] exit\(1\)$/);
    expect(lines.every((l) => /\] (open|read|close|exit)\(/.test(l))).toBe(true);
  });

  it("traces the children of the command (a shell running a pipeline)", () => {
    const h = bootShell();
    // The traced shell reads its one command from a pipe (the root is read-only here).
    const out = h.shell("echo 'echo hi | wc' | trace -e exec,fork,exit sh");
    const lines = traceLines(out);
    const execs = lines.filter((l) => l.includes("exec(")).map((l) => /exec\("([^"]+)"/.exec(l)?.[1]);
    expect(execs).toEqual(["sh", "/echo", "/wc"]); // sh runs programs by absolute path
    expect(lines.filter((l) => l.includes("fork()")).length).toBe(2);
    expect(new Set(lines.map((l) => /^\[(\d+)\]/.exec(l)![1])).size).toBeGreaterThanOrEqual(3);
  });

  it("costs nothing it can see when no process is traced: other programs print no records", () => {
    const h = bootShell();
    h.shell("trace true");
    expect(traceLines(h.shell("echo hi | wc"))).toEqual([]);
  });
});
