// Snapshots: how long saving and restoring a booted 128 MiB machine takes
// (shell at its prompt, the shipped disk attached), and how big the file is.
// Save = capture (copy the non-zero pages and disk blocks) + compress;
// restore = check + decompress + a new machine continuing.

import { MemoryBackend } from "../host/disk/memory.js";
import { captureSnapshot, decodeSnapshot, encodeSnapshot, restoreMachine, snapshotBuildId } from "../host/snapshot.js";
import { kernelBytesSync, kernelModuleSync, MachineHarness, userlandModules } from "../host/testing/machine-harness.js";
import { shippedDisk } from "../host/testing/disk.js";
import type { BenchRow } from "./run.js";

const ROUNDS = 5;
const MiB = 1024 * 1024;

export default async function bench(): Promise<BenchRow[]> {
  const build = await snapshotBuildId(kernelBytesSync());
  const h = new MachineHarness({ ramBytes: 128 * MiB, modules: userlandModules(), disk: shippedDisk() }).boot();
  h.runUntil("\n$ ");
  h.shell("ls");

  const capture: number[] = [];
  const save: number[] = [];
  const restore: number[] = [];
  let bytes: Uint8Array = new Uint8Array(0);
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now();
    const copied = captureSnapshot(h.machine);
    const t1 = performance.now();
    bytes = await encodeSnapshot(copied, build);
    const t2 = performance.now();
    capture.push(t1 - t0);
    save.push(t2 - t0);

    const t3 = performance.now();
    const snapshot = await decodeSnapshot(bytes, build);
    const disk = new MemoryBackend(snapshot.disk!.image, snapshot.disk!.blocks);
    const machine = restoreMachine(kernelModuleSync(), snapshot, { uartOutput: () => {} }, { modules: userlandModules(), disk });
    restore.push(performance.now() - t3);
    if (machine.state === "panicked") throw new Error(`restore panicked: ${machine.panicText}`);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return [
    { name: "snapshot: save, 128 MiB booted shell (total)", value: median(save), unit: "ms" },
    { name: "snapshot: save, capture part (machine paused)", value: median(capture), unit: "ms" },
    { name: "snapshot: restore (check, decompress, continue)", value: median(restore), unit: "ms" },
    { name: "snapshot: file size, 128 MiB booted shell", value: bytes.length / 1024, unit: "KiB" },
  ];
}
