// Issue 6 on the real kernel: the capability programs under the shell.

import { describe, expect, it } from "vitest";
import { MachineHarness } from "./testing/machine-harness.js";
import { shippedDisk } from "./testing/disk.js";

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
    expect(h.machine.vgaText().join("\n")).not.toContain("Keel display service"); // nobody has asked for the screen yet
    h.shell("show log hello from a client");
    h.shell("show -s all good");
    const screen = h.machine.vgaText();
    expect(screen[0]).toContain("Keel display service");
    expect(screen.join("\n")).toContain("hello from a client");
    expect(screen[24]).toContain("all good");
  });
});
