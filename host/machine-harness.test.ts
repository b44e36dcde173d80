// The test harness's driving: what tests see must not depend on how fast the
// host runs the machine (its slices are wall time, the machine's clock is not).

import { describe, expect, it } from "vitest";
import { MachineHarness, userlandModules } from "./testing/machine-harness.js";

function booted(): MachineHarness {
  const h = new MachineHarness({ ramBytes: 64 * 1024 * 1024, modules: userlandModules() }).boot();
  h.runUntil("\n$ ");
  return h;
}

describe("MachineHarness.runUntil", () => {
  it("returns at the first turn that shows the text, however much wall time is left in its slice", () => {
    // A CPU-bound program keeps the machine busy, so nothing stops a slice
    // early but the text itself.
    const a = booted();
    a.shell("spin 1 3 &");
    const mark = a.end;
    a.machine.input("echo alive\r");
    a.runUntil(/alive\n\$ $/, mark);
    const at = a.machine.virtualNowNs;

    // The same machine driven by hand, one turn at a time.
    const b = booted();
    b.shell("spin 1 3 &");
    const markB = b.end;
    b.machine.input("echo alive\r");
    let turns = 0;
    while (!/alive\n\$ $/.test(b.since(markB))) {
      expect(b.machine.runFor(0).state).toBe("running");
      expect(++turns).toBeLessThan(100_000);
    }
    expect(at).toBe(b.machine.virtualNowNs);
    // The spinner had not finished: the reply still ends with the prompt.
    expect(a.since(mark)).toMatch(/\n\$ $/);
  });
});
