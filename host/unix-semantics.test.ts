// The Unix personality's results, checked against what the xv6-riscv kernel
// answers (issue 18: orphaned zombies, a write past the end of a truncated
// file, sleep(-1), kill of a zombie, the one-page stack), and what happens
// to the user land when init dies. Driven through the shell with user/prog/
// unixtest.c on the disk root, in deterministic mode.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MachineHarness, userlandModules } from "./testing/machine-harness.js";
import { shippedDisk } from "./testing/disk.js";


function bootDisk(): MachineHarness {
  const h = new MachineHarness({ ramBytes: 64 * 1024 * 1024, disk: shippedDisk() }).boot();
  h.runUntil("\n$ ");
  return h;
}

function bootShell(): MachineHarness {
  const h = new MachineHarness({ ramBytes: 64 * 1024 * 1024, modules: userlandModules() }).boot();
  h.runUntil("\n$ ");
  return h;
}


/** What holds the frames: `mem`'s "Frames by use" with the free frames and
 *  the slab caches' empty slabs (kept for reuse) counted as one, and the
 *  objects each slab cache has in use. Equal snapshots mean nothing leaked. */
function frameUse(h: MachineHarness): Record<string, number> {
  const mem = h.monitor("mem");
  const uses = mem.slice(mem.indexOf("Frames by use:"), mem.indexOf("Slab caches:"));
  const use: Record<string, number> = {};
  for (const m of uses.matchAll(/^\s+(\d+)\s+(\S.*)$/gm)) use[m[2]!] = Number(m[1]);
  use["free or cached"] = use["free"]! + use["slab caches"]!;
  delete use["free"];
  delete use["slab caches"];
  const slabs = mem.slice(mem.indexOf("Slab caches:"));
  for (const m of slabs.matchAll(/^\s+(\S.*?)\s+\d+\s+(\d+)\s+\d+\s+\d+$/gm)) use[`in use: ${m[1]}`] = Number(m[2]);
  return use;
}

interface PsRow { pid: number; ppid: number; state: string; name: string }

function ps(h: MachineHarness): PsRow[] {
  return [...h.shell("ps").matchAll(/^\s*(\d+)\s+(\d+)\s+(\w+)\s+-?\d+\s+\S+\s+\S+\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+\s+(\S+)$/gm)].map((m) => ({
    pid: Number(m[1]),
    ppid: Number(m[2]),
    state: m[3]!,
    name: m[4]!,
  }));
}

describe("xv6's result semantics", () => {
  it("init reaps the zombies it inherits: after 120 orphaned zombies fork still works and none is left", () => {
    const h = bootDisk();
    const out = h.shell("unixtest orphans 120");
    expect(out).toContain("unixtest orphans: OK");
    const rows = ps(h);
    expect(rows.filter((r) => r.state === "zombie")).toEqual([]);
    expect(h.shell("echo forked")).toContain("forked");
  });

  it("random process trees: init reaps every orphan, in any order, and every frame comes back", () => {
    const h = bootShell();
    h.shell("unixtest tree 1"); // warm caches (slabs, the shell's heap)
    ps(h);
    const before = frameUse(h);
    expect(before["free or cached"]).toBeGreaterThan(1000);
    expect(before["in use: cspace"]).toBeGreaterThan(0);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), (seed) => {
        const out = h.shell(`unixtest tree ${seed}`);
        expect(out).toContain("unixtest tree: OK");
        expect(ps(h).filter((r) => r.state === "zombie")).toEqual([]);
      }),
      { numRuns: 10 },
    );
    expect(frameUse(h)).toEqual(before);
  });

  it("a write at an offset past the end of a truncated file returns -1 (xv6's truncate2)", () => {
    expect(bootDisk().shell("unixtest truncwrite")).toContain("unixtest truncwrite: OK");
  });

  it("sleep with a negative count returns 0 at once", () => {
    expect(bootDisk().shell("unixtest sleepneg")).toContain("unixtest sleepneg: OK");
  });

  it("kill of a zombie returns 0 and keeps its exit status", () => {
    expect(bootDisk().shell("unixtest killzombie")).toContain("unixtest killzombie: OK");
  });

  it("the stack is one page with the guard page right below it (xv6's stacktest)", () => {
    const out = bootDisk().shell("unixtest stack");
    expect(out).toMatch(/pid \d+ \(unixtest\): killed by load page fault/);
    expect(out).toContain("unixtest stack: OK");
  });
});

describe("when init dies", () => {
  it("kill 1 ends every process; the new init starts the services and one shell, which alone reads the console", () => {
    const h = bootDisk();
    const before = ps(h);
    const oldShell = before.find((r) => r.name === "sh")!;
    expect(oldShell).toBeDefined();
    const mark = h.output.length;
    h.machine.input("kill 1\r");
    h.runUntil(/init restarted as pid \d+/, mark);
    const restarted = h.runUntil(/init: starting sh\n(.|\n)*\$ $/, mark);

    const after = ps(h);
    // The same services as at boot (netd has a process of its own beside
    // it), in the same tree: each process's parent has the name it had.
    const names = after.map((r) => r.name).sort();
    expect(names).toEqual(before.map((r) => r.name).sort());
    expect(names).toEqual(expect.arrayContaining(["displayd", "init", "named", "netd", "ps", "sh"]));
    const oldPids = new Set(before.map((r) => r.pid));
    expect(after.filter((r) => oldPids.has(r.pid))).toEqual([]);
    const tree = (rows: typeof after) =>
      rows.map((r) => `${rows.find((p) => p.pid === r.ppid)?.name ?? "-"} > ${r.name}`).sort();
    expect(tree(after)).toEqual(tree(before));
    const init = after.find((r) => r.name === "init")!;
    expect(after.filter((r) => ["named", "displayd", "sh"].includes(r.name)).every((r) => r.ppid === init.pid)).toBe(true);

    // Every line goes to the one shell: each command runs once, in order.
    for (let i = 0; i < 4; i++) expect(h.shell(`echo line${i}`)).toMatch(new RegExp(`^line${i}$`, "m"));
    const shells = ps(h).filter((r) => r.name === "sh");
    expect(shells).toHaveLength(1);
    expect(restarted).toMatch(/init exited with status -1; ending every process and starting a new init/);
  });

  it("when inits keep dying, every process still ends and the kernel monitor takes the console", () => {
    const h = bootDisk();
    const mark = h.output.length;
    let init = 1;
    for (let i = 0; i < 5 && !/it keeps dying/.test(h.since(mark)); i++) {
      const before = h.output.length;
      h.machine.input(`kill ${init}\r`);
      const out = h.runUntil(/init restarted as pid \d+(.|\n)*\n\$ $|it keeps dying(.|\n)*keel> $/, before);
      init = Number(/init restarted as pid (\d+)/.exec(out)?.[1] ?? 0);
    }
    expect(h.since(mark)).toMatch(/it keeps dying, so every process ends and the kernel monitor takes the console/);
    h.settle();
    const table = h.command("ps");
    expect(table).toContain("PID  PPID STATE");
    expect(table.split("\n").filter((line) => /^\s*\d+\s+\d+\s/.test(line))).toEqual([]);
  });
});
