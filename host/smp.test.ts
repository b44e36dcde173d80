// Several vCPUs (docs/architecture.md "Several vCPUs"): N instances of the
// real kernel over one RAM, interleaved by the host in a fixed order. A
// run with N vCPUs boots, runs user programs on every vCPU, repeats bit for
// bit in deterministic mode, and continues identically from a snapshot.

import { beforeAll, describe, expect, it } from "vitest";
import { MachineHarness, kernelBytesSync, kernelModuleSync, userlandModules } from "./testing/machine-harness.js";
import { Machine, MachineConfigError, type MachineConfig } from "./machine.js";
import { CPU_INSTRET, CPU_LAST_PID, CPU_STATE, CPU_WORK, cpuRecordAddr } from "./cpus.js";
import { decodeSnapshot, restoreMachine, saveSnapshot, snapshotBuildId } from "./snapshot.js";

const MiB = 1024 * 1024;
let buildId = "";

beforeAll(async () => {
  buildId = await snapshotBuildId(kernelBytesSync());
});

/** A deterministic machine of `cpus` vCPUs at its shell prompt. nsPerWork
 *  100 makes a virtual second 10 M work units, so `spin` stays quick. */
function bootShell(cpus: number, extra: Partial<MachineConfig> = {}): MachineHarness {
  const h = new MachineHarness({ ramBytes: 64 * MiB, modules: userlandModules(), cpus, nsPerWork: 100, ...extra }).boot();
  h.runUntil("\n$ ");
  return h;
}

interface CpuView { state: number; instret: bigint; work: bigint; lastPid: number }

function cpuViews(h: MachineHarness, cpus: number): CpuView[] {
  const view = new DataView(h.machine.ram);
  return Array.from({ length: cpus }, (_, cpu) => {
    const rec = cpuRecordAddr(cpu);
    return {
      state: view.getUint32(rec + CPU_STATE, true), instret: view.getBigUint64(rec + CPU_INSTRET, true),
      work: view.getBigUint64(rec + CPU_WORK, true), lastPid: view.getInt32(rec + CPU_LAST_PID, true),
    };
  });
}

/** A session: boot, two commands; everything observable of it. */
function session(cpus: number) {
  const h = bootShell(cpus);
  const spin = h.shell("spin 2 1");
  const fork = h.shell("forktest");
  const stats = h.machine.stats();
  const overview = h.machine.inspect({ what: "overview", logFrom: 0, schedFrom: 0 });
  if (overview.what !== "overview") throw new Error("no overview");
  return {
    output: h.output, spin, fork, work: stats.workTotal, uptime: stats.uptimeNs, runs: h.machine.runsSinceBoot,
    cpus: cpuViews(h, cpus), trace: overview.overview.sched,
  };
}

describe("several vCPUs", () => {
  it.each([2, 4])("boot with %i vCPUs, all online, and run user programs on every one of them", (cpus) => {
    const h = bootShell(cpus);
    expect(h.output).toContain(`smp: ${cpus} vCPUs online`);
    expect(h.shell("spin 2 1")).toMatch(/children used \d+\.\d% of the elapsed time/);
    expect(h.shell("forktest")).toContain("forktest: OK");
    const views = cpuViews(h, cpus);
    for (const v of views) expect(v.state).not.toBe(0); // online
    // Two CPU-bound children: at least two vCPUs retired user instructions.
    expect(views.filter((v) => v.instret > 0n).length).toBeGreaterThanOrEqual(2);
    expect(views.slice(cpus).length).toBe(0);
    for (const v of views.slice(1)) expect(v.work).toBeGreaterThan(0n);
  });

  it("repeat bit for bit in deterministic mode: two identical 2-vCPU runs give the same bytes, work, time and scheduler trace", () => {
    const a = session(2);
    const b = session(2);
    expect(b).toEqual(a);
    expect(a.cpus[1]!.instret).toBeGreaterThan(0n);
    // The trace shows processes run on both vCPUs.
    expect(new Set(a.trace.filter((e) => e.kind === "run").map((e) => e.cpu))).toEqual(new Set([0, 1]));
  });

  it("do the same work however the host groups turns into runFor() calls", () => {
    const END = /\nend-of-script\r?\n/;
    const byCalls = (ms: number) => {
      const h = new MachineHarness({ ramBytes: 64 * MiB, modules: userlandModules(), cpus: 2, nsPerWork: 100 }).boot();
      h.machine.input(["spin 2 1", "forktest", "echo hi | wc", "echo end-of-script"].join("\r") + "\r");
      for (let calls = 0; ; calls++) {
        if (calls > 1_000_000) throw new Error(`the script did not finish:\n${h.output}`);
        const report = h.machine.runFor(ms);
        if (report.state === "idle" && report.wakeInMs === null && END.test(h.output)) break;
      }
      return { output: h.output, work: h.machine.stats().workTotal, time: h.machine.virtualNowNs, runs: h.machine.runsSinceBoot };
    };
    const oneTurnEach = byCalls(0);
    expect(byCalls(5)).toEqual(oneTurnEach);
    expect(byCalls(1000)).toEqual(oneTurnEach);
  });

  it("continue identically from a snapshot at 2 vCPUs", async () => {
    const h = bootShell(2);
    h.shell("spin 2 1");
    const bytes = await saveSnapshot(h.machine, buildId);
    const snapshot = await decodeSnapshot(bytes, buildId);
    expect(snapshot.config.cpus).toBe(2);
    const copy = new MachineHarness({}, (callbacks) => restoreMachine(kernelModuleSync(), snapshot, callbacks, { modules: userlandModules() }));
    const mark = h.output.length;
    const copyMark = copy.output.length;
    const next = (m: MachineHarness, at: number) => {
      m.machine.input("forktest\r");
      m.runUntil(/\n\$ $/, at);
      m.machine.input("spin 2 1\r");
      const out = m.runUntil(/children used[^\n]*\n\$ $/, at);
      return { out: out, work: m.machine.stats().workTotal, uptime: m.machine.stats().uptimeNs, cpus: cpuViews(m, 2) };
    };
    const original = next(h, mark);
    const restored = next(copy, copyMark);
    expect(restored).toEqual(original);
    expect(original.cpus[1]!.instret).toBeGreaterThan(0n);
  });

  it("show it: the scheduler trace names the vCPU of every event, ps and the monitor's cpus list the vCPUs", () => {
    const h = bootShell(2);
    // Long enough to outlast the monitor's reply however fast the host runs
    // (the harness gives runFor() wall-time slices, and the JIT fits more
    // virtual time into each: 3 s ended during the reply).
    h.machine.input("spin 2 60 &\r");
    h.runUntil(/\n\$ $/);
    const ps = h.shell("ps");
    expect(ps).toContain("SWITCHES THR VCPU NAME");
    const spinners = [...ps.matchAll(/^\s*\d+\s+\d+\s+\w+\s+-?\d+\s+\S+\s+\S+\s+\d+\s+\d+\s+\d+\s+\d+\s+(\d+) spin$/gm)].map((m) => Number(m[1]));
    expect(spinners.length).toBeGreaterThanOrEqual(2);
    for (const cpu of spinners) expect(cpu === 0 || cpu === 1).toBe(true);
    const r = h.machine.inspect({ what: "overview", logFrom: 0, schedFrom: 0 });
    if (r.what !== "overview") throw new Error("no overview");
    const runsOn = new Set(r.overview.sched.filter((e) => e.kind === "run").map((e) => e.cpu));
    expect([...runsOn].sort()).toEqual([0, 1]);
    const cpus = h.monitorWhileBusy("cpus");
    expect(cpus).toMatch(/^VCPU STATE +PROCESS +INSTRET +IDLE\(ms\) +RUNS$/m);
    const rows = [...cpus.matchAll(/^ +(\d) (busy|idle) +(?:\d+|\(\d+\)|-) +(\d+) +(\d+) +(\d+)$/gm)];
    expect(rows.map((m) => Number(m[1]))).toEqual([0, 1]);
    for (const row of rows) expect(Number(row[3])).toBeGreaterThan(0); // both retired user instructions
    h.machine.input("\x03");
  });

  it("the kernel's locks are counted on both vCPUs: monitor 'locks', 'locks reset' and the inspect answer agree", () => {
    const h = bootShell(2);
    h.shell("spin 2 1");
    h.shell("forktest");
    const r = h.machine.inspect({ what: "locks" });
    if (r.what !== "locks") throw new Error(`no locks answer: ${JSON.stringify(r)}`);
    const byName = new Map(r.locks.map((l) => [l.name, l]));
    for (const name of ["proc", "slab", "frames", "frames-cpu0", "frames-cpu1", "slab-cpu0", "slab-cpu1"]) expect(byName.has(name), name).toBe(true);
    // The run queue's lock is taken for every pick, the frames go through
    // the vCPU's cache. (Here vCPU 1 runs the spinning children, which take
    // no new frames: fork and wait, which allocate and free, run on vCPU 0.)
    for (const name of ["proc", "frames-cpu0", "slab-cpu0"]) expect(byName.get(name)!.acquisitions, name).toBeGreaterThan(0);
    expect(byName.get("proc")!.rank).toBeLessThan(byName.get("slab")!.rank);
    expect(byName.get("slab")!.rank).toBeLessThan(byName.get("frames")!.rank);
    // Interleaved vCPUs never find a lock held: between slices none is.
    for (const l of r.locks) { expect(l.contended, l.name).toBe(0); expect(l.held, l.name).toBe(false); }
    const table = h.monitor("locks");
    expect(table).toMatch(/^LOCK +KIND +RANK +ACQUIRED +CONTENDED +SPINS +LONGEST +HELD$/m);
    const row = new RegExp(`^proc +spin +10 +(\\d+) +0 +0 +0 +-$`, "m").exec(table);
    expect(row, table).not.toBeNull();
    expect(Number(row![1])).toBeGreaterThanOrEqual(byName.get("proc")!.acquisitions);
    expect(table).toMatch(/^frames-cpu1 +spin/m);
    const fill = /^per-vCPU caches: (\d+) frames cached \(vCPU 0: (\d+), vCPU 1: (\d+)\), (\d+) kmalloc objects in magazines$/m.exec(table);
    expect(fill, table).not.toBeNull();
    // The inspect answer's cache fill is the monitor's line (the shell waits at its prompt: nothing allocates).
    const now = h.machine.inspect({ what: "locks" });
    if (now.what !== "locks") throw new Error("no locks answer");
    expect(now.caches.map((c) => c.cpu)).toEqual([0, 1]);
    expect(now.caches.map((c) => c.frames)).toEqual([Number(fill![2]), Number(fill![3])]);
    expect(now.caches[0]!.frames + now.caches[1]!.frames).toBe(Number(fill![1]));
    expect(now.caches[0]!.magazineObjects + now.caches[1]!.magazineObjects).toBe(Number(fill![4]));
    expect(Number(fill![1]) + Number(fill![4])).toBeGreaterThan(0);
    expect(h.monitor("locks reset")).toContain("lock statistics reset");
    const after = h.machine.inspect({ what: "locks" });
    if (after.what !== "locks") throw new Error("no locks answer");
    // Zeroed, then counting again (the machine ran on a little after the reset).
    const proc = after.locks.find((l) => l.name === "proc")!;
    expect(proc.acquisitions).toBeLessThan(Math.min(100, byName.get("proc")!.acquisitions));
    expect(h.monitor("locks everything")).toContain("usage: locks [reset]");
  });

  it.each([1, 2])("wake a process that went to sleep on vCPU %i when its time comes, with every vCPU idle", (cpu) => {
    // vCPU 0 owns the timer and armed it for the sleepers it saw at the end
    // of its own run(); a sleep begun on another vCPU after that was not
    // armed, and the idle machine slept until input came ('fuzz 11 5000 4'
    // stalled in a sleep until a key was pressed).
    const h = bootShell(3);
    // The sleep begins on the vCPU after a second of work there, when
    // vCPU 0 (the shell waiting for its child) has long been idle.
    const start = h.machine.virtualNowNs;
    const out = h.shell(`taskset ${1 << cpu} sh -c "spin 1 1; sleep 100"`);
    expect(out).toContain("children used");
    const slept = (h.machine.virtualNowNs - start) / 1e9;
    expect(slept).toBeGreaterThanOrEqual(2); // spin's second and 100 ticks of 10 ms
    expect(slept).toBeLessThan(2.3);
  });

  it("on one vCPU, everything is vCPU 0 and the monitor lists one", () => {
    const h = bootShell(1);
    expect(h.output).not.toContain("smp:");
    h.shell("spin 2 1");
    const r = h.machine.inspect({ what: "overview", logFrom: 0, schedFrom: 0 });
    if (r.what !== "overview") throw new Error("no overview");
    expect(new Set(r.overview.sched.map((e) => e.cpu))).toEqual(new Set([0]));
    expect([...h.monitor("cpus").matchAll(/^ +\d (busy|idle)/gm)].length).toBe(1);
  });

  it("instantiate without writing past the kernel image's end, where the host puts the boot modules", () => {
    // Every vCPU is a fresh instance over RAM that already holds the boot
    // modules and allocated frames: an instance's start may only write its
    // own data segments, below kernelImageEnd().
    const memory = new WebAssembly.Memory({ initial: 256 });
    const instance = new WebAssembly.Instance(kernelModuleSync(), {
      env: { memory }, keel: { port_in: () => 0xffffffff, port_out: () => undefined, hypercall: () => -1 },
    });
    const exports = instance.exports as unknown as { _initialize?: () => void; kernelImageEnd: () => number };
    exports._initialize?.();
    const end = exports.kernelImageEnd() >>> 0;
    const written = new Uint8Array(memory.buffer, end).findIndex((b) => b !== 0);
    expect(written, `byte 0x${(end + written).toString(16)} past the image's end 0x${end.toString(16)} was written`).toBe(-1);
  });

  it("refuse a vCPU count outside 1..8 with a clear error", () => {
    for (const cpus of [0, 9, 1.5, -1]) {
      expect(() => new Machine(kernelModuleSync(), { ramBytes: 32 * MiB, clock: "deterministic", cmdline: "", cpus }, { uartOutput: () => {} }))
        .toThrow(new MachineConfigError(`cpus must be a whole number from 1 to 8 (got ${cpus})`));
    }
  });
});
