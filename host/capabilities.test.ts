// Issue 6 on the real kernel: the capability programs under the shell.

import { describe, expect, it } from "vitest";
import { MachineHarness } from "./testing/machine-harness.js";
import { shippedDisk } from "./testing/disk.js";
import type { CapTreeNode } from "./inspect-types.js";

function bootDisk(): MachineHarness {
  const h = new MachineHarness({ ramBytes: 64 * 1024 * 1024, disk: shippedDisk() }).boot();
  h.runUntil("\n$ ");
  return h;
}

describe("capabilities", () => {
  it("passes every denial and permission check of captest", () => {
    const out = bootDisk().shell("captest");
    expect(out.split("\n").filter((l) => l.startsWith("FAIL"))).toEqual([]);
    expect(out).toMatch(/captest: (\d+) passed, 0 failed/);
    expect(Number(/captest: (\d+) passed/.exec(out)![1])).toBeGreaterThanOrEqual(50);
  });

  it("finds no way out of capability mode or past a derived capability (capescape)", () => {
    const out = bootDisk().shell("capescape");
    expect(out.split("\n").filter((l) => l.startsWith("FAIL"))).toEqual([]);
    const summary = /capescape: (\d+) passed, 0 failed/.exec(out);
    expect(summary, out.slice(-2000)).not.toBeNull();
    expect(Number(summary![1])).toBeGreaterThanOrEqual(600);
    // Every denial names its reason.
    for (const line of out.split("\n").filter((l) => l.includes(": denied: "))) expect(line).toMatch(/: denied: \S/);
  });

  it("lists the shell's inherited capability table with caps", () => {
    const out = bootDisk().shell("caps");
    expect(out).toMatch(/^\s+0 console\s+rw--gD\s+\d+/m);
    expect(out).toMatch(/^\s+2 console\s+rw--gD\s+\d+/m);
  });

  it("passes every endpoint and notification check of ipctest", () => {
    const out = bootDisk().shell("ipctest");
    expect(out.split("\n").filter((l) => l.startsWith("FAIL"))).toEqual([]);
    expect(out).toMatch(/ipctest: 16 passed, 0 failed/);
  });

  it("bounces calls, 4 KiB messages and notifications between two processes (ipcping)", () => {
    const out = bootDisk().shell("ipcping 300");
    expect(out).toMatch(/^ipcping call\+reply \d+ 300$/m);
    expect(out).toMatch(/^ipcping call\+reply-4KiB \d+ 75$/m);
    expect(out).toMatch(/^ipcping ntfn-signal-wake \d+ 150$/m);
    expect(out).toMatch(/^ipcping cap-derive\+delete \d+ 300$/m);
  });

  it("shares memory without copying, with the capability's rights deciding the mapping (shmtest)", () => {
    const out = bootDisk().shell("shmtest");
    expect(out.split("\n").filter((l) => l.startsWith("FAIL"))).toEqual([]);
    expect(out).toMatch(/shmtest: 9 passed, 0 failed/);
  });

  it("sandboxes a program: only its console capabilities, no ambient authority", () => {
    const h = bootDisk();
    expect(h.shell("sandbox echo hi")).toMatch(/^hi$/m);
    expect(h.shell("sandbox ls")).toMatch(/capability mode: no ambient authority/);
    expect(h.shell("sandbox nope")).toContain("sandbox: cannot start /nope");
  });

  it("capdemo revokes the capability it derived: gone from the tree in both processes, the original stays", () => {
    const h = bootDisk();
    const tree = (pid: number, slot: number): CapTreeNode[] => {
      const result = h.machine.inspect({ what: "captree", pid, slot });
      if (result.what !== "captree") throw new Error(`captree ${pid}:${slot}: ${JSON.stringify(result)}`);
      return result.nodes;
    };
    const has = (nodes: CapTreeNode[], pid: number, slot: number) => nodes.some((n) => n.pid === pid && n.slot === slot);
    const alive = (pid: number): boolean => {
      const result = h.machine.inspect({ what: "overview", logFrom: 0, schedFrom: 0 });
      return result.what === "overview" && result.overview.procs.some((p) => p.pid === pid && p.state !== "zombie");
    };

    const mark = h.output.length;
    // One run() slice at a time: a runUntil slice can skip a whole idle second.
    const step = (text: string): string => {
      for (let i = 0; i < 100_000 && !h.since(mark).includes(text); i++) h.machine.runFor(0);
      expect(h.since(mark)).toContain(text);
      return h.since(mark);
    };
    h.machine.input("capdemo 1\r");
    const before = step("revoking slot 1 in 1 s\n");
    const pid = Number(/capdemo: pid (\d+) holds slot 1: console rw--gD\n/.exec(before)?.[1]);
    const derived = Number(/capdemo: derived slot (\d+) from slot 1: console -w--gD\n/.exec(before)?.[1]);
    const child = Number(new RegExp(`capdemo: spawned child pid (\\d+) holding slot ${derived} as its slot 1\n`).exec(before)?.[1]);
    expect(derived).toBeGreaterThanOrEqual(16);
    expect(child).toBeGreaterThan(pid);

    // Before: capdemo's slot 1, the write-only capability derived from it,
    // and the child's copy of that one below it.
    const nodes = tree(pid, 1);
    const original = nodes.findIndex((n) => n.pid === pid && n.slot === 1);
    const mine = nodes.findIndex((n) => n.pid === pid && n.slot === derived);
    const childs = nodes.findIndex((n) => n.pid === child && n.slot === 1);
    expect([original, mine, childs].every((i) => i >= 0), JSON.stringify(nodes)).toBe(true);
    expect(nodes[mine]!.depth).toBe(nodes[original]!.depth + 1);
    expect(nodes[childs]!.depth).toBe(nodes[mine]!.depth + 1);
    expect(nodes[mine]!.rights).toBe(nodes[childs]!.rights);
    expect(nodes[mine]!.rights).not.toBe(nodes[original]!.rights);
    expect(nodes.filter((n) => n.pid === child)).toHaveLength(1); // the child holds nothing else of it
    const total = nodes.length;

    // After the revoke: both derived capabilities are gone, the child lives on.
    step("capdemo: stopping child");
    const after = tree(pid, 1);
    expect(has(after, pid, 1)).toBe(true);
    expect(has(after, pid, derived)).toBe(false);
    expect(after.some((n) => n.pid === child)).toBe(false);
    expect(after).toHaveLength(total - 2);
    expect(alive(child)).toBe(true);
    expect(h.machine.inspect({ what: "captree", pid: child, slot: 1 })).toMatchObject({ what: "error" });

    const out = h.runUntil(/\n\$ $/, mark);
    expect(out).toContain("capdemo: cap_revoke(1) removed 2 derived capabilities\n");
    expect(out).toMatch(new RegExp(`capdemo: slot ${derived} is gone: .+\n`));
    expect(out).toContain("capdemo: slot 1 stays: console rw--gD\n");
    expect(out).toContain(`capdemo: stopping child pid ${child} in 1 s\ncapdemo: done\n`);
    expect(alive(child)).toBe(false);
  });

  it("capdemo gives its usage for a bad argument", () => {
    const h = bootDisk();
    for (const bad of ["capdemo x", "capdemo -1", "capdemo 3601", "capdemo 1 2"]) {
      expect(h.shell(bad)).toContain("usage: capdemo [SECONDS]");
    }
  });

  it("starts the name and display services; a client draws on the VGA screen through them", () => {
    const h = bootDisk();
    expect(h.output).toContain("init: services started: named, displayd");
    const ps = h.shell("ps");
    expect(ps).toMatch(/\bnamed$/m);
    expect(ps).toMatch(/\bdisplayd$/m);
    // The shell holds the console and the name service, not the screen.
    const caps = h.shell("caps");
    expect(caps).toMatch(/^\s+16 endpoint/m);
    expect(caps).not.toMatch(/^\s+20 /m);
    // The screen is the display service's from its start: it keeps the boot
    // log and says what it is on the status line, and no longer copies the
    // console (the shell's output is not on it).
    const before = h.machine.vgaText();
    expect(before.join("\n")).not.toContain("Keel display service"); // nobody has asked for the screen yet
    expect(before.join("\n")).toContain("init: started as pid 1");
    expect(before[24]).toContain("display service: programs draw here (try: show log hello)");
    expect(before.join("\n")).not.toMatch(/SLOT TYPE|^\s+16 endpoint/m);
    h.shell("show log hello from a client");
    h.shell("show -s all good");
    const screen = h.machine.vgaText();
    expect(screen[0]).toContain("Keel display service");
    expect(screen.join("\n")).toContain("hello from a client");
    expect(screen[24]).toContain("all good");
  });
});
