// Several machines on one virtual switch, run in lockstep on deterministic
// clocks so that a multi-machine session is a pure function of its input:
// every machine runs up to the same virtual time (the horizon), then the
// switch delivers the frames sent meanwhile, then the horizon moves one
// quantum on. A frame therefore arrives at the first quantum boundary after
// it was sent, the same boundary in every run. (Each machine still has its
// own clock; they agree at every boundary.)

import type { Machine } from "../machine.js";
import type { VirtualSwitch } from "./switch.js";

/** Virtual time between switch deliveries: 100 µs. */
export const CLUSTER_QUANTUM_NS = 100_000;

export class Cluster {
  private horizon = 0;

  constructor(
    readonly machines: readonly Machine[],
    readonly wire: VirtualSwitch,
    readonly quantumNs = CLUSTER_QUANTUM_NS,
  ) {}

  /** The virtual time every machine has reached. */
  get nowNs(): number {
    return this.horizon;
  }

  /** One quantum: each machine runs up to the next horizon, then the switch delivers. */
  step(): void {
    this.horizon += this.quantumNs;
    for (const m of this.machines) {
      m.setHorizon(this.horizon);
      for (let guard = 0; guard < 1_000_000; guard++) {
        const r = m.runFor(Number.POSITIVE_INFINITY);
        if (r.state === "halted" || r.state === "panicked" || r.state === "off" || m.virtualNowNs >= this.horizon) break;
      }
    }
    this.wire.pump();
  }

  /** Steps until `done()` holds; false if `maxNs` of virtual time passed first. */
  runUntil(done: () => boolean, maxNs: number): boolean {
    const end = this.horizon + maxNs;
    while (!done()) {
      if (this.horizon >= end) return false;
      this.step();
    }
    return true;
  }
}
