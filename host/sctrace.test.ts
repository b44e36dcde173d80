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
  return out.split(/\r?\n/).filter((l) => /^\[\d+\] [a-z_0-9]+\(/.test(l));
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

  it("prints each call as it happens, not when the command has ended", () => {
    const h = bootShell();
    const out = h.shell("echo 'echo one; sleep 20; echo two' | trace -e write sh");
    const lines = out.split(/\r?\n/);
    const traced = lines.findIndex((l) => /^\[\d+\] write\(1, "one\\n", 4\) = 4$/.test(l));
    const two = lines.indexOf("two");
    expect(traced).toBeGreaterThanOrEqual(0);
    expect(two).toBeGreaterThan(traced); // printed while sh was still asleep, before it ran the second echo
    expect(lines).toContainEqual(expect.stringMatching(/^\[\d+\] write\(1, "two\\n", 4\) = 4$/));
  });

  /** Starts a background shell that sleeps, then prints "late", and types
   *  `trace ARGS PID` for it at once (an idle deterministic machine would
   *  skip the sleep). pids are never reused: ps's own pid tells the next ones. */
  function traceBackgroundShell(h: MachineHarness, args: string): { pid: number; mark: number } {
    const ps = h.shell("ps").split(/\r?\n/).find((l) => /\sps\s*$/.test(l))!;
    const pid = Number(/^\s*(\d+)/.exec(ps)![1]) + 2; // echo gets the next pid, then sh
    const mark = h.output.length;
    h.machine.input(`echo 'sleep 100; echo late' | sh &\rtrace ${args} ${pid}\r`);
    return { pid, mark };
  }

  it("attaches to a running process with -p and ends when it does", () => {
    const h = bootShell();
    const { pid, mark } = traceBackgroundShell(h, "-p");
    const out = h.runUntil(new RegExp(`\\[${pid}\\] exit\\(0\\)\\n(.|\\n)*\\$ $`), mark);
    expect(out).toContain(`trace: tracing pid ${pid} (Ctrl-C stops)`);
    const lines = traceLines(out);
    // It waits for its sleep, forks echo (traced too) and waits for it, then reads the end of its script and exits.
    expect(lines[0]).toMatch(new RegExp(`^\\[${pid}\\] waitpid\\(-?\\d+, 0x[0-9a-f]+, 0\\) = \\d+$`));
    expect(lines).toContainEqual(expect.stringMatching(/^\[\d+\] exec\("\/echo", 0x[0-9a-f]+\) = 0$/));
    expect(lines).toContainEqual(expect.stringMatching(/^\[\d+\] write\(1, "late\\n", 5\) = 5$/));
    expect(lines.at(-1)).toBe(`[${pid}] exit(0)`);
    expect(out).toMatch(/late\n/);
    // A pid that does not exist, and a malformed one.
    expect(h.shell("trace -p 999")).toContain("trace -p 999: trace: no such process");
    expect(h.shell("trace -p 12x")).toContain("usage: trace");
  });

  it("stops following a process at Ctrl-C and leaves it running", () => {
    const h = bootShell();
    // init waits for its children for ever: trace -p only ends at Ctrl-C.
    const mark = h.output.length;
    h.machine.input("trace -p 1\r");
    h.runUntil("trace: tracing pid 1 (Ctrl-C stops)", mark);
    h.machine.input("\x03");
    const out = h.runUntil(/trace: stopped tracing pid 1\n\$ $/, mark);
    expect(traceLines(out)).toEqual([]);
    expect(h.shell("ps")).toMatch(/^\s+1\s+0\s+sleeping.*init$/m);
  });

  it("costs nothing it can see when no process is traced: other programs print no records", () => {
    const h = bootShell();
    h.shell("trace true");
    expect(traceLines(h.shell("echo hi | wc"))).toEqual([]);
  });
});
