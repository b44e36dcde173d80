// The introspection export measured from the host: what one panel refresh
// costs on a booted 128 MiB machine (the overview: frame map of 32 Ki
// frames, process table, log and scheduler trace), and the detail queries.
// The scheduler trace's cost on the hot path shows in the kernel suite's
// null syscall and pipe round trip (bench/kernel.bench.ts).

import { userlandModules } from "../host/testing/machine-harness.js";
import type { InspectQuery } from "../host/inspect-types.js";
import { GuestMachine } from "./guest.js";
import type { BenchRow } from "./run.js";

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time(guest: GuestMachine, query: InspectQuery, rounds: number): number {
  for (let i = 0; i < 5; i++) guest.machine.inspect(query); // warm up
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    const r = guest.machine.inspect(query);
    samples.push(performance.now() - t0);
    if (r.what === "error") throw new Error(`inspect ${query.what}: ${r.message}`);
  }
  return median(samples);
}

export default async function bench(): Promise<BenchRow[]> {
  const guest = new GuestMachine({ modules: userlandModules() });
  guest.bootToShell();
  const procs = guest.machine.inspect({ what: "overview", logFrom: 0, schedFrom: 0 });
  if (procs.what !== "overview") throw new Error("no overview");
  const sh = procs.overview.procs.find((p) => p.name === "sh")!;
  const rounds = 50;
  // The largest machine: 2 GiB, 512 Ki frames (untouched RAM costs the host nothing).
  const big = new GuestMachine({ modules: userlandModules(), ramBytes: 2048 * 1024 * 1024 });
  big.bootToShell();
  const bigOverview = time(big, { what: "overview", logFrom: 0, schedFrom: 0 }, 20);
  return [
    { name: "overview, 2 GiB (512 Ki frames)", value: bigOverview, unit: "ms" },
    { name: "overview, full log and trace (128 MiB, 32 Ki frames)", value: time(guest, { what: "overview", logFrom: 0, schedFrom: 0 }, rounds), unit: "ms" },
    {
      name: "overview, nothing new in the rings (a panel refresh)",
      value: time(guest, { what: "overview", logFrom: procs.overview.logNext, schedFrom: procs.overview.schedNext }, rounds),
      unit: "ms",
    },
    { name: "process detail (regions and capabilities of sh)", value: time(guest, { what: "process", pid: sh.pid }, rounds) * 1000, unit: "µs" },
    { name: "page-table walk (sh, VA 0x10000)", value: time(guest, { what: "walk", pid: sh.pid, va: "0x10000" }, rounds) * 1000, unit: "µs" },
    { name: "capability tree (sh's slot 0)", value: time(guest, { what: "captree", pid: sh.pid, slot: 0 }, rounds) * 1000, unit: "µs" },
  ];
}
