// The host's disk backends: a write-heavy guest run (a loop
// of small files) on a disk file that syncs at every kernel flush against one
// that batches them into one fdatasync per runFor() (host/node/file-disk.ts,
// docs/filesystem.md), and the in-memory disk's first write to the journal at
// the disk's end (host/disk/memory.ts) against the copy the old flat buffer
// made to reach it.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryBackend } from "../host/disk/memory.js";
import { FileBackend, type FileSyncMode } from "../host/node/file-disk.js";
import { shippedImage } from "../host/testing/disk.js";
import { GuestMachine } from "./guest.js";
import { cpuSecondsSince } from "./cpu.js";
import type { BenchRow } from "./run.js";

/** Shell lines, each well inside the console's line limit (a longer line
 *  is cut, and what was cut off would not run). */
const WORKLOAD = [
  ...Array.from({ length: 4 }, (_, k) => Array.from({ length: 4 }, (_, j) => `echo ${4 * k + j} > f${4 * k + j}`).join("; ")),
  "rm f1 f2 f3 f4; mkdir d; echo x > d/x",
];
const DISK_BLOCKS = 32768;

function fileRun(dir: string, sync: FileSyncMode): BenchRow[] {
  const path = join(dir, `${sync}.img`);
  writeFileSync(path, shippedImage());
  const disk = new FileBackend(path, { sync });
  const guest = new GuestMachine({ disk });
  guest.bootToShell();
  const [flushes0, syncs0] = [disk.flushes, disk.syncs];
  const wall0 = performance.now();
  const cpu0 = process.cpuUsage();
  for (const line of WORKLOAD) {
    const reply = guest.run(line);
    if (/sh: /.test(reply)) throw new Error(`the disk workload failed: ${reply}`);
  }
  const wall = (performance.now() - wall0) / 1000;
  const cpu = cpuSecondsSince(cpu0);
  disk.close();
  return [
    { name: `file disk, sync per ${sync}: write-heavy run, wall`, value: wall, unit: "s" },
    { name: `file disk, sync per ${sync}: write-heavy run, CPU`, value: cpu, unit: "s" },
    { name: `file disk, sync per ${sync}: kernel flushes`, value: disk.flushes - flushes0, unit: "" },
    { name: `file disk, sync per ${sync}: fdatasync calls`, value: disk.syncs - syncs0, unit: "" },
  ];
}

export default async function bench(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const dir = mkdtempSync(join(tmpdir(), "keel-disk-bench-"));
  try {
    rows.push(...fileRun(dir, "flush"), ...fileRun(dir, "settle"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const image = shippedImage();
  const block = new Uint8Array(4096).fill(1);
  let best = Infinity;
  for (let r = 0; r < 5; r++) {
    const disk = new MemoryBackend(image, DISK_BLOCKS);
    const t0 = performance.now();
    disk.write(DISK_BLOCKS - 1, block);
    best = Math.min(best, performance.now() - t0);
  }
  rows.push({ name: "memory disk: first write to the last block", value: best, unit: "ms" });
  let flat = Infinity;
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    const bigger = new Uint8Array(DISK_BLOCKS * 4096); // what the flat buffer's growth did
    bigger.set(image);
    bigger.set(block, (DISK_BLOCKS - 1) * 4096);
    flat = Math.min(flat, performance.now() - t0);
  }
  rows.push({ name: "memory disk: the same with a flat buffer (old backend)", value: flat, unit: "ms" });
  return rows;
}
