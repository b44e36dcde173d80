// The worker's checks on a decoded snapshot before it stops anything, and
// the relay that lets a restored machine be built before its session.
import { describe, expect, it } from "vitest";
import { decodeSnapshot, placeholderDisk, saveSnapshot, snapshotBuildId, type Snapshot } from "../host/snapshot";
import { kernelBytesSync, MachineHarness, userlandModules } from "../host/testing/machine-harness";
import { shippedDisk } from "../host/testing/disk";
import { CallbackRelay, snapshotDiskProblem } from "./snapshot-worker";

async function snapshotOf(h: MachineHarness): Promise<Snapshot> {
  const build = await snapshotBuildId(kernelBytesSync());
  return decodeSnapshot(await saveSnapshot(h.machine, build), build);
}

describe("snapshot checks in the worker", () => {
  it("accepts a snapshot's own disk, and one without a disk anywhere", async () => {
    const withDisk = new MachineHarness({ modules: userlandModules(), disk: shippedDisk() }).boot();
    withDisk.runUntil("\n$ ");
    expect(snapshotDiskProblem(await snapshotOf(withDisk), true)).toBeNull();
    const monitor = new MachineHarness().boot();
    monitor.runUntil("keel> ");
    expect(snapshotDiskProblem(await snapshotOf(monitor), false)).toBeNull();
  });

  it("refuses a snapshot with a disk on a page without one, or a disk whose size disagrees", async () => {
    const h = new MachineHarness({ modules: userlandModules(), disk: shippedDisk() }).boot();
    h.runUntil("\n$ ");
    const snapshot = await snapshotOf(h);
    expect(snapshotDiskProblem(snapshot, false)).toMatch(/runs without one/);
    const resized = { ...snapshot, disk: { ...snapshot.disk!, blocks: snapshot.disk!.blocks + 1 } };
    expect(snapshotDiskProblem(resized, true)).toMatch(/blocks but its file system describes/);
  });

  it("has a placeholder disk that refuses I/O, and a relay that drops reports until attached", () => {
    const disk = placeholderDisk(8);
    expect(disk.blocks).toBe(8);
    expect(() => disk.read(0, new Uint8Array(4096))).toThrow(/before the disk was attached/);
    const relay = new CallbackRelay();
    relay.callbacks.uartOutput(new Uint8Array([65]));
    const seen: number[] = [];
    const h = new MachineHarness();
    relay.attach({ uartOutput: (bytes) => seen.push(...bytes) }, h.machine);
    relay.callbacks.uartOutput(new Uint8Array([66]));
    expect(seen).toEqual([66]);
  });
});
