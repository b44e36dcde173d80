// The file system measured from inside: user/prog/fsbench.c runs under the
// shell on a realtime machine whose disk is an in-memory copy of the shipped
// image (so the figures are the kernel's, not a host disk's).

import { shippedDisk } from "../host/testing/disk.js";
import { GuestMachine } from "./guest.js";
import type { BenchRow } from "./run.js";

export default async function bench(): Promise<BenchRow[]> {
  const guest = new GuestMachine({ ramBytes: 256 * 1024 * 1024, disk: shippedDisk() });
  guest.bootToShell();
  const out = guest.run("fsbench");
  const rows: BenchRow[] = [];
  for (const m of out.matchAll(/^fsbench (\S+) ([\d.]+) (\S+)$/gm)) {
    rows.push({ name: `${m[1]} (in Keel)`, value: Number(m[2]), unit: m[3]! });
  }
  if (rows.length === 0) throw new Error(`fsbench printed no figures:\n${out}`);
  return rows;
}
