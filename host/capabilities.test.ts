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

  it("sandboxes a program: only its console capabilities, no ambient authority", () => {
    const h = bootDisk();
    expect(h.shell("sandbox echo hi")).toMatch(/^hi$/m);
    expect(h.shell("sandbox ls")).toMatch(/capability mode: no ambient authority/);
    expect(h.shell("sandbox nope")).toContain("sandbox: cannot start /nope");
  });
});
