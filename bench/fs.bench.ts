// The file system measured from inside: user/prog/fsbench.c runs under the
// shell on a realtime machine whose disk is an in-memory copy of the shipped
// image (so the figures are the kernel's, not a host disk's).

import { Machine } from "../host/machine.js";
import { kernelModuleSync } from "../host/testing/machine-harness.js";
import { shippedDisk } from "../host/testing/disk.js";
import type { BenchRow } from "./run.js";

export default async function bench(): Promise<BenchRow[]> {
  let out = "";
  const decoder = new TextDecoder();
  const machine = new Machine(
    kernelModuleSync(),
    { ramBytes: 256 * 1024 * 1024, clock: "realtime", cmdline: "", disk: shippedDisk() },
    { uartOutput: (bytes) => (out += decoder.decode(bytes, { stream: true }).replaceAll("\r", "")) },
  );
  machine.boot();
  const until = (pattern: RegExp, from = 0): void => {
    const start = performance.now();
    while (!pattern.test(out.slice(from))) {
      if (performance.now() - start > 300_000) throw new Error(`fsbench timed out:\n${out.slice(from)}`);
      const r = machine.runFor(50);
      if (r.state === "halted" || r.state === "panicked") throw new Error(`machine ${r.state}:\n${out}`);
    }
  };
  until(/\n\$ $/);
  const mark = out.length;
  machine.input("fsbench\r");
  until(/\n\$ $/, mark);
  const rows: BenchRow[] = [];
  for (const m of out.slice(mark).matchAll(/^fsbench (\S+) ([\d.]+) (\S+)$/gm)) {
    rows.push({ name: `${m[1]} (in Keel)`, value: Number(m[2]), unit: m[3]! });
  }
  if (rows.length === 0) throw new Error(`fsbench printed no figures:\n${out.slice(mark)}`);
  return rows;
}
