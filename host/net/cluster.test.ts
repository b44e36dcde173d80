// Machine.setHorizon and the lockstep Cluster (host/net/cluster.ts): a
// horizon stops a deterministic machine's run and its idle skipping at
// exactly that virtual time; the cluster keeps machines' clocks together.

import { describe, expect, it } from "vitest";
import { MachineHarness, userlandModules } from "../testing/machine-harness.js";
import { MachineConfigError } from "../machine.js";
import { Cluster, CLUSTER_QUANTUM_NS } from "./cluster.js";
import { VirtualSwitch } from "./switch.js";

const MS = 1e6;

function sleeper(): MachineHarness {
  const h = new MachineHarness({ ramBytes: 32 * 1024 * 1024, modules: userlandModules() }).boot();
  h.runUntil("\n$ ");
  h.machine.input("sleep 100\r"); // one second
  return h;
}

describe("Machine.setHorizon", () => {
  it("is refused on the realtime clock", () => {
    const h = new MachineHarness({ clock: "realtime" });
    expect(() => h.machine.setHorizon(1)).toThrow(MachineConfigError);
  });

  it("an idle machine's clock stops at the horizon instead of skipping to its next deadline", () => {
    const free = sleeper();
    free.machine.runFor(1000);
    expect(free.machine.virtualNowNs).toBeGreaterThan(900 * MS); // skipped to the sleep's end

    const held = sleeper();
    const horizon = held.machine.virtualNowNs + 5 * MS;
    held.machine.setHorizon(horizon);
    const r = held.machine.runFor(1000);
    expect(r.state).toBe("idle");
    expect(held.machine.virtualNowNs).toBe(horizon);
    expect(held.machine.runFor(1000).wakeInMs).toBe(0); // at the horizon: nothing more runs
    expect(held.machine.virtualNowNs).toBe(horizon);
    held.machine.setHorizon(null);
    held.runUntil("$ ", held.output.length); // lifted: the sleep ends
  });
});

describe("Cluster", () => {
  it("moves every machine's clock to the same horizon each step", () => {
    const sw = new VirtualSwitch();
    const a = sleeper(), b = sleeper();
    const cluster = new Cluster([a.machine, b.machine], sw);
    const start = Math.max(a.machine.virtualNowNs, b.machine.virtualNowNs);
    while (cluster.nowNs < start) cluster.step();
    for (let i = 0; i < 20; i++) {
      cluster.step();
      expect(a.machine.virtualNowNs).toBeGreaterThanOrEqual(cluster.nowNs);
      expect(a.machine.virtualNowNs - cluster.nowNs).toBeLessThan(CLUSTER_QUANTUM_NS);
      expect(b.machine.virtualNowNs - cluster.nowNs).toBeLessThan(CLUSTER_QUANTUM_NS);
    }
    expect(cluster.runUntil(() => false, 10 * CLUSTER_QUANTUM_NS)).toBe(false);
  });
});
