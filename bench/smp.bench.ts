// Several vCPUs interleaved on one host thread (docs/architecture.md
// "Several vCPUs"): `spin 2 1` (two CPU-bound children for one virtual
// second) on deterministic machines of 1 and 2 vCPUs, in alternating rounds
// so both see the same load; best of ROUNDS by process CPU time. One host
// thread does all the work either way, so 2 vCPUs cannot be faster: what is
// measured is the cost of the interleaving (a turn per VCPU_TURN_WORK units
// per vCPU, the shootdown log, the second instance's caches) per loop
// iteration the children count. The virtual time is the same by design:
// the vCPUs share one timeline.

import { userlandModules } from "../host/testing/machine-harness.js";
import { cpuSecondsSince } from "./cpu.js";
import { GuestMachine } from "./guest.js";
import type { BenchRow } from "./run.js";

const ROUNDS = 3;
const CPUS = [1, 2];
const COMMAND = "spin 2 1";

/** The loops spin's children report (its table: PID NICE LOOPS CPU(ms) SHARE). */
function loops(output: string): number {
  let total = 0;
  for (const m of output.matchAll(/^\s*\d+\s+-?\d+\s+(\d+)\s+\d+\s+\d+\.\d%$/gm)) total += Number(m[1]);
  if (total === 0) throw new Error(`spin printed no table:\n${output}`);
  return total;
}

export default async function bench(): Promise<BenchRow[]> {
  const machines = CPUS.map((cpus) => {
    const guest = new GuestMachine({ clock: "deterministic", cpus, modules: userlandModules() });
    guest.bootToShell();
    return guest;
  });
  const best = CPUS.map(() => ({ cpu: Infinity, wall: Infinity, loops: 0, virtualMs: 0 }));
  for (let r = 0; r < ROUNDS; r++) {
    machines.forEach((guest, i) => {
      const v0 = guest.machine.virtualNowNs;
      const cpu0 = process.cpuUsage();
      const wall0 = performance.now();
      const out = guest.run(COMMAND);
      const cpu = cpuSecondsSince(cpu0);
      const wall = (performance.now() - wall0) / 1000;
      if (cpu < best[i]!.cpu) best[i] = { cpu, wall, loops: loops(out), virtualMs: (guest.machine.virtualNowNs - v0) / 1e6 };
    });
  }
  const rows: BenchRow[] = [];
  CPUS.forEach((cpus, i) => {
    const b = best[i]!;
    rows.push({ name: `${COMMAND}, ${cpus} vCPU: host CPU`, value: b.cpu, unit: "s" });
    rows.push({ name: `${COMMAND}, ${cpus} vCPU: wall`, value: b.wall, unit: "s" });
    rows.push({ name: `${COMMAND}, ${cpus} vCPU: virtual time`, value: b.virtualMs, unit: "ms" });
    rows.push({ name: `${COMMAND}, ${cpus} vCPU: loops per host CPU s`, value: b.loops / b.cpu / 1e6, unit: "M/s" });
  });
  const per = best.map((b) => b.cpu / b.loops);
  rows.push({ name: "2 vCPUs against 1: host CPU per loop", value: (per[1]! / per[0]! - 1) * 100, unit: "% more" });
  return rows;
}
