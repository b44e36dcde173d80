// Threads and futexes (issue 12 item 4; docs/abi.md "Threads"): the
// threadtest program (user/prog/threadtest.c) run by the kernel in
// deterministic mode, on one vCPU and on two (interleaved: two threads of
// one process run in the same turn), and what the kernel looks like
// afterwards: every frame and every process-table slot back, ps showing a
// process's threads.

import { describe, expect, it } from "vitest";
import { MachineHarness, userlandModules } from "./testing/machine-harness.js";

function bootShell(cpus = 1): MachineHarness {
  const h = new MachineHarness({ ramBytes: 64 * 1024 * 1024, modules: userlandModules(), cpus }).boot();
  h.runUntil("\n$ ");
  return h;
}

/** Free frames according to the kernel monitor's `mem`. */
function freeFrames(h: MachineHarness): number {
  return Number(/(\d+) free \(/.exec(h.monitor("mem"))![1]);
}

/** The rows of the kernel monitor's `ps` (its header line dropped). */
function monitorPs(h: MachineHarness): string[] {
  return h.monitor("ps").split("\n").filter((line) => /^\s+\d+\s+\d+ /.test(line));
}

describe("threads and futexes", () => {
  it.each([1, 2])("passes every threadtest check on %i vCPU(s): counter, producer/consumer, barrier, futex results, join, exit, kill, fork, exec", (cpus) => {
    const out = bootShell(cpus).shell("threadtest");
    const failures = out.split("\n").filter((line) => line.startsWith("FAIL"));
    expect(failures).toEqual([]);
    expect(out).toMatch(/threadtest: \d+ passed, 0 failed/);
    expect(Number(/threadtest: (\d+) passed/.exec(out)![1])).toBeGreaterThanOrEqual(26);
    expect(out).toContain("threadtest-exec-ran"); // the program exec'd from a thread ran
  });

  it.each([1, 2])("gives back every frame and process-table slot its threads took (%i vCPU(s))", (cpus) => {
    const h = bootShell(cpus);
    expect(h.shell("threadtest")).toContain(" 0 failed"); // warm caches (slabs, the shell's heap)
    const before = freeFrames(h);
    const rows = monitorPs(h).length;
    for (let i = 0; i < 2; i++) expect(h.shell("threadtest")).toContain(" 0 failed");
    expect(freeFrames(h)).toBe(before);
    expect(monitorPs(h)).toHaveLength(rows);
    expect(monitorPs(h).some((row) => row.includes("(thread"))).toBe(false);
  });

  it("shows a process's threads in ps and the monitor's ps, and kill ends them all", () => {
    const h = bootShell();
    h.shell("true"); // warm
    const before = freeFrames(h);
    const started = h.output.length;
    h.machine.input("threadtest hold 3 &\r");
    h.runUntil("threadtest: holding 3 threads", started);
    const ps = h.shell("ps");
    const row = ps.split("\n").find((line) => line.endsWith(" threadtest"));
    expect(row, ps).toBeDefined();
    const header = ps.split("\n").find((line) => line.includes("THR"))!;
    expect(header).toMatch(/SWITCHES\s+THR VCPU NAME/);
    expect(row!.trim().split(/\s+/).at(-3)).toBe("4"); // the main thread and 3 more
    const pid = Number(row!.trim().split(/\s+/)[0]);
    const threads = monitorPs(h).filter((line) => line.includes("threadtest"));
    expect(threads).toHaveLength(4);
    expect(threads.filter((line) => /\(thread \d+\)/.test(line))).toHaveLength(3);
    for (const line of threads) expect(Number(line.trim().split(/\s+/)[0])).toBe(pid); // one pid for all
    expect(threads.filter((line) => line.includes("futex"))).toHaveLength(4);
    h.shell(`kill ${pid}`);
    h.shell("true"); // the shell reaps the job
    expect(monitorPs(h).some((line) => line.includes("threadtest"))).toBe(false);
    expect(freeFrames(h)).toBe(before);
  });
});
