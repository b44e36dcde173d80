// IPC measured from inside: user/prog/ipcping.c on a realtime machine.

import { Machine } from "../host/machine.js";
import { kernelModuleSync } from "../host/testing/machine-harness.js";
import { shippedDisk } from "../host/testing/disk.js";
import type { BenchRow } from "./run.js";

export default async function bench(): Promise<BenchRow[]> {
  let out = "";
  const decoder = new TextDecoder();
  const machine = new Machine(
    kernelModuleSync(),
    { ramBytes: 128 * 1024 * 1024, clock: "realtime", cmdline: "", disk: shippedDisk() },
    { uartOutput: (bytes) => (out += decoder.decode(bytes, { stream: true }).replaceAll("\r", "")) },
  );
  machine.boot();
  const until = (pattern: RegExp, from = 0): void => {
    const start = performance.now();
    while (!pattern.test(out.slice(from))) {
      if (performance.now() - start > 120_000) throw new Error(`ipcping timed out:\n${out.slice(from)}`);
      const r = machine.runFor(50);
      if (r.state === "halted" || r.state === "panicked") throw new Error(`machine ${r.state}:\n${out}`);
    }
  };
  until(/\n\$ $/);
  const mark = out.length;
  machine.input("ipcping 40000\r");
  until(/ntfn-signal-wake[^\n]*\n\$ $/, mark);
  const rows: BenchRow[] = [];
  for (const m of out.slice(mark).matchAll(/^ipcping (\S+) (\d+) (\d+)$/gm)) {
    const what = m[1] === "cap-derive+delete" ? "cap derive+delete" : `${m[1]} round trip`;
    rows.push({ name: `${what} (in Keel, ${m[3]} ops)`, value: Number(m[2]), unit: "ns" });
  }
  return rows;
}
