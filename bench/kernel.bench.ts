// The kernel measured from inside: user/prog/kbench.c runs under the shell
// in a realtime machine (so its clocknanos() is wall-clock time) and reports
// ns per operation. Also: boot time to the shell prompt.

import { Machine } from "../host/machine.js";
import { kernelModuleSync, userlandModules } from "../host/testing/machine-harness.js";
import type { BenchRow } from "./run.js";

const BOOTS = 5;

function drive(machine: Machine, output: () => string, until: RegExp, limitMs = 120_000): void {
  const start = performance.now();
  while (!until.test(output())) {
    if (performance.now() - start > limitMs) throw new Error(`timed out waiting for ${until}; output:\n${output()}`);
    const report = machine.runFor(50);
    if (report.state === "halted" || report.state === "panicked") throw new Error(`machine ${report.state}:\n${output()}`);
  }
}

function bootToShell(): { machine: Machine; output: () => string; ms: number } {
  let out = "";
  const decoder = new TextDecoder();
  const machine = new Machine(
    kernelModuleSync(),
    { ramBytes: 128 * 1024 * 1024, clock: "realtime", cmdline: "", modules: userlandModules() },
    { uartOutput: (bytes) => (out += decoder.decode(bytes, { stream: true })) },
  );
  const t0 = performance.now();
  machine.boot();
  drive(machine, () => out, /\$ $/);
  return { machine, output: () => out, ms: performance.now() - t0 };
}

export default async function bench(): Promise<BenchRow[]> {
  const boots: number[] = [];
  for (let i = 0; i < BOOTS; i++) boots.push(bootToShell().ms);
  boots.sort((a, b) => a - b);

  const { machine, output } = bootToShell();
  const mark = output().length;
  machine.input("kbench 2\r");
  drive(machine, () => output().slice(mark), /demand-zero-fault[^\n]*\n\$ $/);
  const rows: BenchRow[] = [{ name: "boot to shell prompt (power-on, 128 MiB)", value: boots[Math.floor(BOOTS / 2)]!, unit: "ms" }];
  for (const m of output().slice(mark).matchAll(/^kbench (\S+) (\d+) (\d+)\r?$/gm)) {
    rows.push({ name: `${m[1]} (in Keel, ${m[3]} ops)`, value: Number(m[2]), unit: "ns/op" });
  }
  const roundTrip = rows.find((r) => r.name.startsWith("pipe-round-trip"));
  if (roundTrip) rows.push({ name: "context switch (half a pipe round trip)", value: roundTrip.value / 2, unit: "ns" });
  return rows;
}
