// Scheduling classes, CPU affinity and priority inheritance through IPC
// (docs/processes.md "Scheduling classes"), seen through real RV64 programs
// under the shell in deterministic mode. Every check is on the order of
// lines the programs print, never on timing.

import { describe, expect, it } from "vitest";
import { MachineHarness, userlandModules } from "./testing/machine-harness.js";
import { CPU_INSTRET, cpuRecordAddr } from "./cpus.js";

function bootShell(cmdline = ""): MachineHarness {
  const h = new MachineHarness({ ramBytes: 64 * 1024 * 1024, modules: userlandModules(), cmdline }).boot();
  h.runUntil("\n$ ");
  return h;
}

/** The output lines of a command that match `pattern`, in order. */
function lines(out: string, pattern: RegExp): string[] {
  return out.split(/\r?\n/).filter((l) => pattern.test(l));
}

function before(out: string, first: string, second: string): boolean {
  const a = out.indexOf(first), b = out.indexOf(second);
  expect(a, first).toBeGreaterThanOrEqual(0);
  expect(b, second).toBeGreaterThanOrEqual(0);
  return a < b;
}

describe("scheduling classes", () => {
  const h = bootShell();

  it("runs FIFO processes of one priority one after another, in the order they were queued", () => {
    const out = h.shell("schedtest fifo");
    expect(lines(out, /^[ABC]\d$/)).toEqual(["A1", "A2", "A3", "B1", "B2", "B3", "C1", "C2", "C3"]);
    expect(out).toContain("schedtest fifo: done");
  });

  it("takes round-robin processes of one priority in turns, a quantum each", () => {
    const out = h.shell("schedtest rr");
    expect(lines(out, /^[ABC]\d$/)).toEqual(["A1", "B1", "C1", "A2", "B2", "C2", "A3", "B3", "C3"]);
  });

  it("sends a FIFO process that yields to the back of its priority's queue", () => {
    expect(lines(h.shell("schedtest yield"), /^[AB]\d$/)).toEqual(["A1", "B1", "A2", "B2", "A3", "B3"]);
  });

  it("keeps a sandbox from raising a process above its own class or naming a pid not its own", () => {
    expect(h.shell("sandbox chrt -f 10 true")).toContain(
      "chrt: sched_set: capability mode: may not raise a process above this process's own class and priority");
    // Lowering itself is allowed (it cannot exec in capability mode, so chrt -p changes it in place).
    expect(h.shell("sandbox chrt -b -p 0 0")).not.toContain("chrt:");
    expect(h.shell("sandbox chrt -p 1")).toContain(
      "chrt: 1: sched_get: capability mode: that pid is not this process or one of its children");
    // sandbox starts its command with spawn, which passes class and mask on as fork does.
    expect(h.shell("taskset 1 sandbox taskset -p 0")).toContain("pid 0's current affinity mask: 1");
    expect(h.shell("chrt -i 0 sandbox chrt -p 0")).toContain("policy: SCHED_IDLE");
    expect(h.shell("chrt -i 0 sandbox chrt -o -p 0 0")).toContain(
      "chrt: 0: sched_set: capability mode: may not raise a process above this process's own class and priority");
    expect(h.shell("taskset 1 sandbox taskset -p 3 0")).toContain(
      "taskset: 0: setaffinity: capability mode: may not name a CPU this process may not use itself");
  });

  it("runs a real-time process before a fair one that became runnable with it", () => {
    const out = h.shell("schedtest rtfair");
    expect(before(out, "rt: done", "fair: start")).toBe(true);
  });

  it("starts an idle-class process only when nothing else can run", () => {
    const out = h.shell("schedtest idle");
    expect(before(out, "fair: done", "idle: start")).toBe(true);
  });

  it("lets a woken fair process preempt an idle-class one, never a woken batch process", () => {
    const out = h.shell("schedtest wake");
    const order = lines(out, /^(fair: woke|batch: woke|idle: wrote)$/);
    expect(order).toEqual(["fair: woke", "idle: wrote", "idle: wrote", "batch: woke"]);
  });

  it("refuses bad policies, priorities, masks and pids with a reason, changing nothing", () => {
    const out = h.shell("schedtest errors");
    expect(out).not.toContain("FAIL");
    expect(out).toContain("refused policy 4: sched_set: unknown policy (0 fair, 1 fifo, 2 round-robin, 3 batch, 5 idle)");
    expect(out).toContain("refused fifo priority 0: sched_set: a real-time priority is from 1 to 99");
    expect(out).toContain("refused rr priority 100: sched_set: a real-time priority is from 1 to 99");
    expect(out).toContain("refused fair priority 5: sched_set: the fair, batch and idle classes take priority 0");
    expect(out).toContain("refused sched_set pid 999999: sched_set: no such process");
    expect(out).toContain("refused sched_set pid -3: sched_set: negative pid");
    expect(out).toContain("refused sched_get bad pointer: sched_get: bad pointer");
    expect(out).toContain("refused mask 0: setaffinity: the mask names no CPU");
    expect(out).toContain("refused mask 0x100: setaffinity: the mask names CPUs beyond the 8 a machine may have");
    expect(out).toMatch(/refused mask 0x80: setaffinity: (this machine has one vCPU, so the mask must include CPU 0 \(bit 0\)|the mask names none of this machine's vCPUs)/);
    expect(out).toContain("refused getaffinity pid 999999: getaffinity: no such process");
    expect(out).toContain("unchanged: policy 0 priority 0 mask 1");
  });

  it("passes class, priority and CPU mask on through fork, and exec keeps them", () => {
    const out = h.shell("schedtest inherit");
    expect(out).toContain("child: policy 2 priority 7 mask 1");
    expect(out).toContain("pid 0's current scheduling policy: SCHED_RR");
    expect(out).toContain("pid 0's current scheduling priority: 7");
  });

  it("chrt and taskset run commands in a class and on a mask, and show and change processes", () => {
    expect(h.shell("chrt -f 50 chrt -p 0")).toMatch(/policy: SCHED_FIFO\r?\n.*priority: 50/);
    expect(h.shell("chrt -b 0 chrt -p 0")).toContain("policy: SCHED_BATCH");
    expect(h.shell("taskset 1 taskset -p 0")).toContain("pid 0's current affinity mask: 1");
    expect(h.shell("taskset -p 1")).toContain("pid 1's current affinity mask: ff");
    const set = h.shell("taskset -p 0x1 1");
    expect(set).toContain("pid 1's new affinity mask: 1");
    h.shell("chrt -i -p 0 1");
    expect(h.shell("chrt -p 1")).toContain("pid 1's current scheduling policy: SCHED_IDLE");
    expect(h.shell("ps")).toMatch(/^\s+1\s+0\s+sleeping\s+0\s+IDL\s+-\s.*init$/m);
    h.shell("chrt -o -p 0 1");
    expect(h.shell("chrt -f 0 true")).toContain("chrt: sched_set: a real-time priority is from 1 to 99");
    expect(h.shell("chrt -x 5 true")).toContain("chrt: -x: unknown option");
    expect(h.shell("chrt")).toContain("usage: chrt [-f|-r|-o|-b|-i] PRIO COMMAND [ARG...]");
    expect(h.shell("chrt -p 99999")).toContain("chrt: 99999: sched_get: no such process");
    expect(h.shell("taskset 0 true")).toContain("taskset: setaffinity: the mask names no CPU");
    expect(h.shell("taskset zz true")).toContain("taskset: zz: not a hexadecimal CPU mask");
    expect(h.shell("taskset")).toContain("usage: taskset MASK COMMAND [ARG...]");
    expect(h.shell("ps")).toMatch(/^\s+\d+\s+\d+\s+running\s+0\s+TS\s+-\s.*ps$/m);
  });
});

describe("priority inheritance through IPC", () => {
  it("lets a high-priority client's call finish before a medium CPU-bound process does", () => {
    const h = bootShell();
    expect(h.monitor("inherit")).toContain("priority inheritance is on");
    const out = h.shell("prioinv");
    expect(out).not.toContain("FAIL");
    expect(out).toContain("server: serving at priority 90 (own 10)");
    expect(before(out, "client: reply received", "medium: done")).toBe(true);
    expect(out).toContain("prioinv: done");
  });

  it("follows nested calls: the second server serves at the first client's priority", () => {
    const out = bootShell().shell("prioinv nested");
    expect(out).not.toContain("FAIL");
    expect(out).toContain("server2: serving at priority 90 (own 5)");
    expect(before(out, "server2: replying", "server: replying")).toBe(true);
    expect(before(out, "client: reply received", "medium: done")).toBe(true);
  });

  it("shows the inversion with inheritance off (monitor inherit off): the medium process finishes first", () => {
    const h = bootShell();
    expect(h.monitor("inherit off")).toContain("priority inheritance is off");
    const out = h.shell("prioinv");
    expect(out).toContain("server: serving at priority 10 (own 10)");
    expect(before(out, "medium: done", "client: reply received")).toBe(true);
    expect(h.monitor("inherit on")).toContain("priority inheritance is on");
    expect(before(h.shell("prioinv"), "client: reply received", "medium: done")).toBe(true);
  });

  it("starts with inheritance off given noinherit on the boot command line", () => {
    const h = bootShell("noinherit");
    expect(h.monitor("inherit")).toContain("priority inheritance is off");
    expect(before(h.shell("prioinv nested"), "medium: done", "client: reply received")).toBe(true);
  });
});

describe("classes and affinity on two vCPUs", () => {
  function boot2(): MachineHarness {
    const h = new MachineHarness({ ramBytes: 64 * 1024 * 1024, modules: userlandModules(), cpus: 2 }).boot();
    h.runUntil("\n$ ");
    return h;
  }

  it("honours masks: pinned to vCPU 0 the inversion shows with inheritance off although vCPU 1 is free", () => {
    const h = boot2();
    expect(h.output).toContain("smp: 2 vCPUs online");
    expect(before(h.shell("prioinv"), "client: reply received", "medium: done")).toBe(true);
    expect(lines(h.shell("schedtest fifo"), /^[ABC]\d$/)).toEqual(["A1", "A2", "A3", "B1", "B2", "B3", "C1", "C2", "C3"]);
    h.monitor("inherit off");
    expect(before(h.shell("prioinv"), "medium: done", "client: reply received")).toBe(true);
  });

  it("accepts a mask of vCPU 1 alone and runs the process there; refuses one of no vCPU it has", () => {
    const h = boot2();
    expect(h.shell("taskset 4 true")).toContain("taskset: setaffinity: the mask names none of this machine's vCPUs");
    const instret = (cpu: number): bigint => {
      const view = new DataView(h.machine.ram);
      return view.getBigUint64(cpuRecordAddr(cpu) + CPU_INSTRET, true);
    };
    const before0 = instret(0), before1 = instret(1);
    expect(h.shell("taskset 2 spin 1 1")).toMatch(/children used/);
    // The spinner's instructions were all retired on vCPU 1; vCPU 0 ran only the shell's few.
    expect(instret(1) - before1).toBeGreaterThan(10n * (instret(0) - before0));
  });
});
