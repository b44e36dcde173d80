// IPC measured from inside: user/prog/ipcping.c on a realtime machine.

import { shippedDisk } from "../host/testing/disk.js";
import { GuestMachine } from "./guest.js";
import type { BenchRow } from "./run.js";

export default async function bench(): Promise<BenchRow[]> {
  const guest = new GuestMachine({ disk: shippedDisk() });
  guest.bootToShell();
  const out = guest.run("ipcping 40000");
  const rows: BenchRow[] = [];
  for (const m of out.matchAll(/^ipcping (\S+) (\d+) (\d+)$/gm)) {
    const what = m[1] === "cap-derive+delete" ? "cap derive+delete" : `${m[1]} round trip`;
    rows.push({ name: `${what} (in Keel, ${m[3]} ops)`, value: Number(m[2]), unit: "ns" });
  }
  if (rows.length === 0) throw new Error(`ipcping printed no figures:\n${out}`);
  return rows;
}
