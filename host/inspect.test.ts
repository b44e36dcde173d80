// The introspection export on the real kernel with real user programs: the
// frame map, the process table, page-table walks, capability trees, the log
// and the scheduler trace, decoded by host/inspect.ts — and the promise that
// looking changes nothing.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { MachineHarness, kernelModuleSync, userlandModules } from "./testing/machine-harness.js";
import { Machine } from "./machine.js";
import * as decoder from "./inspect.js";
import { FRAME_USES, type InspectResult, type Overview, type ProcessDetail, type WalkResult } from "./inspect-types.js";

const PAGE = 4096;

function bootShell(ramBytes = 32 * 1024 * 1024): MachineHarness {
  const h = new MachineHarness({ ramBytes, modules: userlandModules() }).boot();
  h.runUntil("\n$ ");
  return h;
}

function expectOk<W extends InspectResult["what"]>(result: InspectResult, what: W): Extract<InspectResult, { what: W }> {
  if (result.what === "error") throw new Error(`inspect failed: ${result.message}`);
  expect(result.what).toBe(what);
  return result as Extract<InspectResult, { what: W }>;
}

function overview(h: MachineHarness, logFrom = 0, schedFrom = 0): Overview {
  return expectOk(h.machine.inspect({ what: "overview", logFrom, schedFrom }), "overview").overview;
}

function detail(h: MachineHarness, pid: number): ProcessDetail {
  return expectOk(h.machine.inspect({ what: "process", pid }), "process").detail;
}

function walk(h: MachineHarness, pid: number, va: string): WalkResult {
  return expectOk(h.machine.inspect({ what: "walk", pid, va }), "walk").walk;
}

function errorOf(result: InspectResult): string {
  expect(result.what).toBe("error");
  return result.what === "error" ? result.message : "";
}

const use = (name: (typeof FRAME_USES)[number]): number => FRAME_USES.indexOf(name);

/** The frame map's own invariants, and its agreement with the process table. */
function checkOverview(o: Overview): void {
  const { frames } = o;
  expect(frames.totals.reduce((a, b) => a + b, 0)).toBe(frames.frames);
  expect(frames.use.length).toBe(frames.frames);
  const live = new Map(o.procs.filter((p) => p.state !== "zombie").map((p) => [p.pid, p]));
  const userOwned = new Map<number, number>();
  const tablesOwned = new Map<number, number>();
  for (let i = 0; i < frames.frames; i++) {
    const owner = frames.owner[i]!;
    if (frames.use[i] === use("user") && owner !== 0) {
      expect(live.has(owner), `frame ${i} is owned by pid ${owner}, not a live process`).toBe(true);
      userOwned.set(owner, (userOwned.get(owner) ?? 0) + 1);
    } else if (frames.use[i] === use("pagetable")) {
      expect(live.has(owner), `page-table frame ${i} belongs to pid ${owner}`).toBe(true);
      tablesOwned.set(owner, (tablesOwned.get(owner) ?? 0) + 1);
    } else {
      expect(owner, `frame ${i} (${FRAME_USES[frames.use[i]!]}) has an owner`).toBe(0);
    }
  }
  for (const p of live.values()) {
    expect(p.memBytes, `pid ${p.pid} memory`).toBe((userOwned.get(p.pid) ?? 0) * PAGE);
    expect(p.pageTableBytes, `pid ${p.pid} page tables`).toBe((tablesOwned.get(p.pid) ?? 0) * PAGE);
  }
}

function kernelConstants(path: string): Map<string, number> {
  const text = readFileSync(new URL(`../kernel-as/src/${path}`, import.meta.url), "utf8");
  const found = new Map<string, number>();
  for (const m of text.matchAll(/export const (\w+): \w+ = (-?)(0x[0-9A-Fa-f_]+|\d[\d_]*);/g)) {
    const value = Number(BigInt(m[3]!.replaceAll("_", "")));
    found.set(m[1]!, m[2] === "-" ? -value : value);
  }
  return found;
}

describe("inspect: the contract", () => {
  it("uses the kernel's query numbers, error codes and record sizes", () => {
    const kernel = kernelConstants("sys/inspect.ts");
    let compared = 0;
    for (const [name, value] of Object.entries(decoder)) {
      if (typeof value !== "number") continue;
      expect(kernel.get(name), name).toBe(value);
      compared++;
    }
    expect(compared).toBeGreaterThan(25);
  });

  it("answers an error, never a throw, when the machine is off or the query is bad", () => {
    const off = new Machine(kernelModuleSync(), { ramBytes: 32 * 1024 * 1024, clock: "deterministic", cmdline: "" }, { uartOutput: () => {} });
    expect(errorOf(off.inspect({ what: "overview", logFrom: 0, schedFrom: 0 }))).toBe("The machine is off.");
    const h = bootShell();
    expect(errorOf(h.machine.inspect({ what: "process", pid: 999 }))).toBe("No process has pid 999.");
    expect(errorOf(h.machine.inspect({ what: "process", pid: -3 }))).toContain("is not a pid");
    expect(errorOf(h.machine.inspect({ what: "walk", pid: 1, va: "hello" }))).toContain("is not an address");
    expect(errorOf(h.machine.inspect({ what: "walk", pid: 1, va: "0x8000000000000000" }))).toContain("not canonical");
    expect(errorOf(h.machine.inspect({ what: "walk", pid: 1, va: "0x1_0000_0000_0000_0000" }))).toContain("64 bits");
    expect(errorOf(h.machine.inspect({ what: "walk", pid: 1, va: "0xffff800000000000" }))).toContain("kernel half");
    expect(errorOf(h.machine.inspect({ what: "walk", pid: 77, va: "0x1000" }))).toBe("No process has pid 77.");
    expect(errorOf(h.machine.inspect({ what: "captree", pid: 1, slot: 63 }))).toBe("Process 1 holds no capability in slot 63.");
    expect(errorOf(h.machine.inspect({ what: "captree", pid: 1, slot: 4096 }))).toBe("Process 1 holds no capability in slot 4096.");
    expect(errorOf(h.machine.inspect({ what: "nonsense" } as never))).toContain("Unknown query");
  });
});

describe("inspect: the running kernel", () => {
  it("maps every frame, with user memory and page tables owned by live processes", () => {
    const h = bootShell();
    const o = overview(h);
    expect(o.frames.frames).toBe((32 * 1024 * 1024) / PAGE);
    expect(o.frames.totals[use("free")]).toBeGreaterThan(1000);
    expect(o.frames.totals[use("reserved")]).toBeGreaterThan(256); // the low 1 MiB and the kernel image
    for (const u of ["kernel", "slab", "frametable", "pagetable", "user"] as const) {
      expect(o.frames.totals[use(u)], u).toBeGreaterThan(0);
    }
    expect(o.timeNs).toBe(h.machine.virtualNowNs);
    checkOverview(o);
  });

  it("accounts for every frame by name: free plus every use is the managed total", () => {
    const h = bootShell();
    h.shell("echo hi | wc"); // a pipe, files, a few slab objects
    const m = expectOk(h.machine.inspect({ what: "memory" }), "memory").memory;
    const o = overview(h);
    expect(m.free + Object.values(m.uses).reduce((a, b) => a + b, 0)).toBe(m.managed);
    expect(m.managed + m.reserved).toBe(o.frames.frames);
    expect(m.free).toBe(o.frames.totals[use("free")]);
    expect(m.uses["user memory"]).toBe(o.frames.totals[use("user")]);
    expect(m.uses["page tables"]).toBe(o.frames.totals[use("pagetable")]);
    expect(m.uses["block cache"]).toBe(o.frames.totals[use("filecache")]);
    expect(m.uses["frame table"]).toBe(o.frames.totals[use("frametable")]);
    expect(m.uses["slab caches"]).toBe(o.frames.totals[use("slab")]);
    expect(m.caches.reduce((a, c) => a + c.frames, 0)).toBe(m.uses["slab caches"]);
    for (const name of ["process table", "hart TLB and code cache"]) expect(m.uses[name], name).toBeGreaterThan(0);
    expect(m.caches.map((c) => c.name)).toEqual(expect.arrayContaining(["kmalloc-16", "kmalloc-2048", "cap node", "cspace"]));
    for (const c of m.caches) expect(c.inUse, c.name).toBeLessThanOrEqual((c.frames * PAGE) / c.objectSize);
    // The names are the monitor's words (mm/memmap.ts frameKindName).
    const memmap = readFileSync(new URL("../kernel-as/src/mm/memmap.ts", import.meta.url), "utf8");
    const kernelNames = [...memmap.matchAll(/case KIND_\w+: return "([^"]+)";/g)].map((x) => x[1]);
    expect(kernelNames).toEqual(decoder.FRAME_KIND_NAMES);
    const mon = h.monitor("mem");
    for (const [name, frames] of Object.entries(m.uses)) expect(mon).toMatch(new RegExp(`^\\s+${frames}  ${name.replace(/[()]/g, "\\$&")}$`, "m"));
  });

  it("reads the same frame map in many small answers as in one", () => {
    const h = bootShell();
    h.shell("spin 1 2 &"); // more owners, more runs
    const target = {
      call: (q: number, a0: number, a1: number, a2: number) => (h.machine as unknown as { exports: { inspect(q: number, a0: number, a1: number, a2: number): number } }).exports.inspect(q, a0, a1, a2),
      ram: () => h.machine.ram,
      nowNs: 0,
    };
    const whole = decoder.readFrameMap(target);
    for (const maxRuns of [1, 2, 7]) {
      const parts = decoder.readFrameMap(target, maxRuns);
      expect(parts.frames).toBe(whole.frames);
      expect(parts.totals).toEqual(whole.totals);
      expect(Buffer.from(parts.use).equals(Buffer.from(whole.use))).toBe(true);
      expect(Buffer.from(parts.owner.buffer).equals(Buffer.from(whole.owner.buffer))).toBe(true);
    }
    let calls = 0;
    decoder.readFrameMap({ ...target, call: (q, a0, a1, a2) => (calls++, target.call(q, a0, a1, a2)) }, 2);
    expect(calls).toBeGreaterThan(5);
  });

  it("lists init and the shell with their states, memory and wait channels", () => {
    const h = bootShell();
    const { procs } = overview(h);
    const init = procs.find((p) => p.pid === 1)!;
    expect(init).toMatchObject({ name: "init", ppid: 0, state: "sleeping", wait: "child", capMode: false });
    const sh = procs.find((p) => p.name === "sh")!;
    expect(sh).toMatchObject({ ppid: 1, state: "sleeping", wait: "console", nice: 0 });
    expect(sh.memBytes).toBeGreaterThan(8 * PAGE);
    expect(sh.pageTableBytes).toBeGreaterThanOrEqual(4 * PAGE);
    expect(sh.cpuNs).toBeGreaterThan(0);
    expect(sh.switches).toBeGreaterThan(0);
  });

  it("reports a process's regions and capabilities", () => {
    const h = bootShell();
    const sh = overview(h).procs.find((p) => p.name === "sh")!;
    const d = detail(h, sh.pid);
    const kinds = d.regions.map((r) => r.kind);
    for (const k of ["text", "guard", "stack", "heap"]) expect(kinds).toContain(k);
    const text = d.regions.find((r) => r.kind === "text")!;
    expect(text.perms).toBe("r-x");
    expect(text.residentPages).toBe((text.end - text.start) / PAGE);
    const stack = d.regions.find((r) => r.kind === "stack")!;
    expect(stack.perms).toBe("rw-");
    expect(stack.residentPages).toBeGreaterThan(0);
    const slot0 = d.caps.find((c) => c.slot === 0)!;
    expect(slot0).toMatchObject({ type: "console", describe: "console" });
    expect(slot0.rights).toMatch(/^RW/);
    const slot2 = d.caps.find((c) => c.slot === 2)!;
    expect(slot2.object).toBe(slot0.object); // stdin and stderr share one open console
    expect(slot2.node).not.toBe(slot0.node);
  });

  it("walks the page tables of a process down to frames it owns", () => {
    const h = bootShell();
    const o = overview(h);
    const sh = o.procs.find((p) => p.name === "sh")!;
    const d = detail(h, sh.pid);
    for (const kind of ["text", "stack"]) {
      const region = d.regions.find((r) => r.kind === kind)!;
      const va = kind === "stack" ? region.end - 8 : region.start + 0x10;
      const w = walk(h, sh.pid, `0x${va.toString(16)}`);
      expect(w.reason).toBe("");
      expect(w.steps.map((s) => s.level)).toEqual([3, 2, 1, 0]);
      for (const s of w.steps) {
        expect(s.index).toBe(Math.floor(va / PAGE / 512 ** s.level) % 512);
        const frame = s.table / PAGE;
        expect(o.frames.use[frame]).toBe(use("pagetable"));
        expect(o.frames.owner[frame]).toBe(sh.pid);
        expect(s.valid).toBe(true);
        expect(s.leaf).toBe(s.level === 0);
      }
      expect(w.steps[3]!.flags).toMatch(kind === "text" ? /^VR-XU/ : /^VRW-U/);
      expect(w.pageBytes).toBe(PAGE);
      expect(w.pa! % PAGE).toBe(va % PAGE);
      const frame = Math.floor(w.pa! / PAGE);
      expect(o.frames.use[frame]).toBe(use("user"));
      expect(o.frames.owner[frame]).toBe(sh.pid);
    }
    // Decimal works as well as hex.
    const text = d.regions.find((r) => r.kind === "text")!;
    expect(walk(h, sh.pid, String(text.start)).pa).toBe(walk(h, sh.pid, `0x${text.start.toString(16)}`).pa);
  });

  it("says where an unmapped address's walk stopped", () => {
    const h = bootShell();
    const w = walk(h, 1, "0x7f0000000000"); // far above anything init maps
    expect(w.pa).toBeNull();
    expect(w.pageBytes).toBeNull();
    expect(w.reason).toMatch(/^not mapped at level [0-3]$/);
    const last = w.steps[w.steps.length - 1]!;
    expect(last.valid).toBe(false);
    expect(w.reason).toBe(`not mapped at level ${last.level}`);
    // The page just past the stack guard's neighbours: a level-0 miss.
    const d = detail(h, 1);
    const heap = d.regions.find((r) => r.kind === "heap")!;
    const miss = walk(h, 1, `0x${(Math.max(heap.end, heap.start) + 64 * PAGE).toString(16)}`);
    expect(miss.pa).toBeNull();
    expect(miss.reason).toMatch(/^not mapped at level /);
  });

  it("returns the kernel log with levels, and only new records from logNext", () => {
    const h = bootShell();
    const o = overview(h);
    expect(o.log[0]).toMatchObject({ seq: 0, level: "info", text: "Keel 0.1.0 booting" });
    expect(o.log.some((r) => r.text === "init: started as pid 1")).toBe(true);
    expect(o.log.map((r) => r.seq)).toEqual(o.log.map((_, i) => i));
    expect(o.logNext).toBe(o.log.length);
    expect(overview(h, o.logNext).log).toEqual([]);
    // The monitor's grow adds RAM and logs it: the new record, and the new frames.
    const mark = h.output.length;
    h.machine.input("\x1d");
    h.runUntil("keel> ", mark);
    h.command("grow 16");
    const later = overview(h, o.logNext);
    expect(later.log.length).toBe(1);
    expect(later.log[0]).toMatchObject({ seq: o.logNext, level: "info" });
    expect(later.log[0]!.text).toMatch(/^memory: grew by 16 MiB/);
    expect(later.frames.frames).toBe(o.frames.frames + 4096);
    checkOverview(later);
  });

  it("traces the scheduler: run and preempt for spinners, sleep and wake for the shell", () => {
    const h = bootShell();
    const before = overview(h);
    expect(before.sched.length).toBeGreaterThan(0);
    const out = h.shell("spin 2 1");
    expect(out).toMatch(/spin/);
    const o = overview(h, 0, before.schedNext);
    const events = o.sched;
    expect(events[0]!.seq).toBe(before.schedNext);
    for (let i = 1; i < events.length; i++) {
      expect(events[i]!.seq).toBe(events[i - 1]!.seq + 1);
      expect(events[i]!.timeNs).toBeGreaterThanOrEqual(events[i - 1]!.timeNs);
    }
    expect(o.schedNext).toBe(events[events.length - 1]!.seq + 1);
    const sh = o.procs.find((p) => p.name === "sh")!;
    // The spinners (pids above the shell's, gone now) were started, ran, were preempted and exited.
    const spinnerPids = [...new Set(events.filter((e) => e.kind === "preempt" && e.detail === "slice").map((e) => e.pid))];
    expect(spinnerPids.length).toBeGreaterThanOrEqual(2);
    for (const pid of spinnerPids) {
      const mine = events.filter((e) => e.pid === pid);
      expect(mine.some((e) => e.kind === "wake" && e.detail === "start")).toBe(true);
      expect(mine.filter((e) => e.kind === "run").length).toBeGreaterThan(2);
      expect(mine[mine.length - 1]).toMatchObject({ kind: "exit", detail: "status 0" });
    }
    expect(events.some((e) => e.pid === sh.pid && e.kind === "sleep" && e.detail === "child")).toBe(true);
    expect(events.some((e) => e.pid === sh.pid && e.kind === "wake" && e.detail === "child")).toBe(true);
    expect(events.some((e) => e.pid === sh.pid && e.kind === "sleep" && e.detail === "console")).toBe(true);
    // Every run is followed, for that pid, by how it ended before its next run.
    const open = new Set<number>();
    for (const e of events) {
      if (e.kind === "run") {
        expect(open.has(e.pid), `pid ${e.pid} ran twice without stopping (seq ${e.seq})`).toBe(false);
        open.add(e.pid);
      } else if (e.kind !== "wake") {
        open.delete(e.pid);
      }
    }
  });

  it("stamps a wake after an idle spell with the time the input arrived, not when the machine went idle", async () => {
    const h = new MachineHarness({ clock: "realtime", modules: userlandModules() }).boot();
    h.runUntil("\n$ ");
    h.settle();
    const before = overview(h);
    await new Promise((resolve) => setTimeout(resolve, 150)); // the realtime clock moves while idle
    const typedAt = h.machine.virtualNowNs;
    h.shell("echo hi");
    const wakes = overview(h, 0, before.schedNext).sched.filter((e) => e.kind === "wake" && e.detail === "console");
    expect(wakes.length).toBeGreaterThan(0);
    expect(wakes[0]!.timeNs).toBeGreaterThanOrEqual(typedAt);
  });

  it("shows fork's capability copies in the derivation tree until the child exits", () => {
    const h = bootShell();
    const sh = overview(h).procs.find((p) => p.name === "sh")!;
    const tree = (): ReturnType<typeof expectOk<"captree">>["nodes"] =>
      expectOk(h.machine.inspect({ what: "captree", pid: sh.pid, slot: 0 }), "captree").nodes;
    const before = tree();
    expect(before[0]!.depth).toBe(0);
    expect(before.some((n) => n.pid === sh.pid && n.slot === 0)).toBe(true);
    expect(before.some((n) => n.pid === 1)).toBe(true); // init's console, up the tree
    h.shell("spin 1 2 &");
    const spinners = overview(h).procs.filter((p) => p.name === "spin");
    expect(spinners.length).toBe(2);
    const during = tree();
    const shNode = during.find((n) => n.pid === sh.pid && n.slot === 0)!;
    for (const p of spinners) {
      const copy = during.find((n) => n.pid === p.pid && n.slot === 0);
      expect(copy, `spin ${p.pid} holds a copy of the console`).toBeDefined();
      expect(copy!.depth).toBeGreaterThan(shNode.depth);
      expect(copy!).toMatchObject({ type: "console" });
    }
    // Depth-first: every node's depth is at most one more than the one before.
    for (let i = 1; i < during.length; i++) expect(during[i]!.depth).toBeLessThanOrEqual(during[i - 1]!.depth + 1);
    h.runUntil(/spin: /, 0, 20000);
    h.settle();
    const after = tree();
    for (const p of spinners) expect(after.some((n) => n.pid === p.pid)).toBe(false);
    expect(after.length).toBe(before.length);
  });
});

describe("inspect: looking changes nothing", () => {
  it("two deterministic runs, one inspected after every slice, print and work the same", () => {
    const script = ["spin 2 1", "forktest", "echo hi | wc"];
    const run = (inspectEverySlice: boolean): { out: string; work: number; now: number; checked: number } => {
      const h = new MachineHarness({ ramBytes: 32 * 1024 * 1024, modules: userlandModules() }).boot();
      let checked = 0;
      const look = (): void => {
        if (!inspectEverySlice) return;
        const o = overview(h);
        checkOverview(o);
        for (const p of o.procs) {
          if (p.state === "zombie") continue;
          const d = detail(h, p.pid);
          const text = d.regions.find((r) => r.kind === "text");
          if (text) walk(h, p.pid, String(text.start));
          h.machine.inspect({ what: "captree", pid: p.pid, slot: 0 });
        }
        checked++;
      };
      // Both runs take one run() slice per runFor, so input arrives at the same slice.
      const original = h.machine.runFor.bind(h.machine);
      h.machine.runFor = () => {
        const report = original(0); // one run() slice per call
        look();
        return report;
      };
      h.runUntil("\n$ ");
      for (const line of script) h.shell(line);
      const stats = h.machine.stats();
      return { out: h.output, work: stats.workTotal, now: h.machine.virtualNowNs, checked };
    };
    const plain = run(false);
    const looked = run(true);
    expect(looked.checked).toBeGreaterThan(40);
    expect(looked.out).toBe(plain.out);
    expect(looked.work).toBe(plain.work);
    expect(looked.now).toBe(plain.now);
  });
});
