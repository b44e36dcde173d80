// The kernel measured from inside: user/prog/kbench.c runs under the shell
// in a realtime machine (so its clocknanos() is wall-clock time) and reports
// ns per operation. Also: boot time to the shell prompt.

import { userlandModules } from "../host/testing/machine-harness.js";
import { GuestMachine } from "./guest.js";
import type { BenchRow } from "./run.js";

const BOOTS = 5;

export default async function bench(): Promise<BenchRow[]> {
  const boots: number[] = [];
  for (let i = 0; i < BOOTS; i++) boots.push(new GuestMachine({ modules: userlandModules() }).bootToShell());
  boots.sort((a, b) => a - b);

  const guest = new GuestMachine({ modules: userlandModules() });
  guest.bootToShell();
  const out = guest.run("kbench 2");
  const rows: BenchRow[] = [{ name: "boot to shell prompt (power-on, 128 MiB)", value: boots[Math.floor(BOOTS / 2)]!, unit: "ms" }];
  for (const m of out.matchAll(/^kbench (\S+) (\d+) (\d+)$/gm)) {
    rows.push({ name: `${m[1]} (in Keel, ${m[3]} ops)`, value: Number(m[2]), unit: "ns/op" });
  }
  const roundTrip = rows.find((r) => r.name.startsWith("pipe-round-trip"));
  if (roundTrip) rows.push({ name: "context switch (half a pipe round trip)", value: roundTrip.value / 2, unit: "ns" });
  return rows;
}
