// Whole-machine snapshots on the real kernel and user programs: a restored
// machine continues exactly where the saved one was (same console output,
// screen, work and time for the same input), with its processes and its
// disk; files that are not snapshots of this build are refused clearly.

import { beforeAll, describe, expect, it } from "vitest";
import { MemoryBackend } from "./disk/memory.js";
import {
  SNAPSHOT_MAGIC, SnapshotError, decodeSnapshot, restoreMachine, saveSnapshot, snapshotBuildId, type Snapshot,
} from "./snapshot.js";
import { kernelBytesSync, kernelModuleSync, MachineHarness, userlandModules } from "./testing/machine-harness.js";
import { shippedDisk } from "./testing/disk.js";
import { CB_WAKE_AT, CONTROL_BLOCK, WAKE_NEVER } from "./hw.js";

const MiB = 1024 * 1024;
let buildId = "";

beforeAll(async () => {
  buildId = await snapshotBuildId(kernelBytesSync());
});

function bootShell(): MachineHarness {
  const h = new MachineHarness({ ramBytes: 64 * MiB, modules: userlandModules(), disk: shippedDisk() }).boot();
  h.runUntil("\n$ ");
  return h;
}

/** A new harness whose machine is the snapshot, on a copy of its disk. */
function restored(snapshot: Snapshot): MachineHarness {
  const disk = snapshot.disk === null ? null : new MemoryBackend(snapshot.disk.image, snapshot.disk.blocks);
  return new MachineHarness({}, (callbacks) =>
    restoreMachine(kernelModuleSync(), snapshot, callbacks, { modules: userlandModules(), disk }));
}

async function roundTrip(h: MachineHarness): Promise<{ bytes: Uint8Array; copy: MachineHarness }> {
  const bytes = await saveSnapshot(h.machine, buildId);
  return { bytes, copy: restored(await decodeSnapshot(bytes, buildId)) };
}

/** Everything the user can observe of a machine. */
function observe(h: MachineHarness, mark: number) {
  const stats = h.machine.stats();
  return {
    output: h.since(mark), vga: Array.from(h.machine.vgaCells()), cursor: h.machine.vgaCursor(), work: stats.workTotal,
    uptime: stats.uptimeNs, state: stats.state, boots: stats.boots, runs: h.machine.runsSinceBoot,
  };
}

async function refusal(bytes: Uint8Array, id = buildId): Promise<string> {
  try {
    await decodeSnapshot(bytes, id);
  } catch (error) {
    expect(error).toBeInstanceOf(SnapshotError);
    return (error as Error).message;
  }
  throw new Error("the snapshot was accepted");
}

describe("snapshots", () => {
  it("continue exactly: the same next command gives the same output, screen, work and time", async () => {
    const h = bootShell();
    h.shell("echo one two | wc");
    h.shell("ls");
    const { bytes, copy } = await roundTrip(h);
    expect(new TextDecoder().decode(bytes.subarray(0, 8))).toBe(SNAPSHOT_MAGIC);
    expect(copy.machine.state).toBe(h.machine.state);
    expect(copy.machine.vgaText()).toEqual(h.machine.vgaText());

    const [markA, markB] = [h.output.length, copy.output.length];
    const a = h.shell("cat README | grep Keel | wc");
    const b = copy.shell("cat README | grep Keel | wc");
    expect(b).toBe(a);
    expect(observe(copy, markB)).toEqual(observe(h, markA));
    // And again, on caches that are warm in one machine and fresh in the other.
    h.shell("ps");
    copy.shell("ps");
    expect(observe(copy, markB)).toEqual(observe(h, markA));
  });

  it("carry a process mid-run, which finishes after the restore", async () => {
    const h = bootShell();
    const mark = h.output.length;
    h.machine.input("spin 2 1 ; echo spun\r");
    for (let i = 0; i < 3; i++) h.machine.runFor(5);
    expect(h.since(mark)).not.toContain("children used");
    const { copy } = await roundTrip(h);
    const copyMark = copy.output.length;
    const original = h.runUntil(/spun\n\$ $/, mark, 20_000);
    const continued = copy.runUntil(/spun\n\$ $/, copyMark, 20_000);
    expect(original.endsWith(continued)).toBe(true);
    expect(continued).toMatch(/children used/);
    expect(copy.machine.stats().workTotal).toBe(h.machine.stats().workTotal);
  });

  it("carry a sleeping process, woken at the same virtual time", async () => {
    const h = bootShell();
    const mark = h.output.length;
    h.machine.input("sleep 50 ; echo awake\r");
    // One slice at a time, until the kernel asks to be woken: sleep is asleep.
    const wakeAt = () => new DataView(h.machine.ram).getBigUint64(CONTROL_BLOCK + CB_WAKE_AT, true);
    for (let i = 0; i < 20 && wakeAt() === WAKE_NEVER; i++) h.machine.runFor(0);
    expect(wakeAt()).not.toBe(WAKE_NEVER);
    expect(h.since(mark)).not.toContain("\nawake\n");
    const { copy } = await roundTrip(h);
    const copyMark = copy.output.length;
    h.runUntil("awake\n$ ", mark, 20_000);
    copy.runUntil("awake\n$ ", copyMark, 20_000);
    expect(copy.machine.virtualNowNs).toBe(h.machine.virtualNowNs);
  });

  it("carry the disk: a file written before the snapshot is there after the restore", async () => {
    const h = bootShell();
    h.shell("echo kept on disk > note");
    const { copy } = await roundTrip(h);
    expect(copy.shell("cat note")).toContain("kept on disk");
    copy.shell("echo only in the copy > other");
    expect(copy.shell("cat other")).toContain("only in the copy");
    expect(h.shell("cat other")).not.toContain("only in the copy"); // the copy has a disk of its own
  });

  it("restore a monitor-only machine (no hart arena, no disk)", async () => {
    const h = new MachineHarness({ ramBytes: 16 * MiB }).boot();
    h.runUntil("keel> ");
    h.command("mem");
    const bytes = await saveSnapshot(h.machine, buildId);
    const snapshot = await decodeSnapshot(bytes, buildId);
    expect(snapshot.disk).toBeNull();
    const copy = new MachineHarness({}, (callbacks) => restoreMachine(kernelModuleSync(), snapshot, callbacks));
    const [markA, markB] = [h.output.length, copy.output.length];
    h.command("uptime");
    copy.command("uptime");
    expect(observe(copy, markB)).toEqual(observe(h, markA));
    expect(copy.since(markB)).toContain("keel> ");
  });

  it("keep the boot count, and the restored machine reboots as usual", async () => {
    const h = bootShell();
    const { copy } = await roundTrip(h);
    expect(copy.machine.stats().boots).toBe(1);
    copy.machine.reboot();
    copy.runUntil("\n$ ", copy.output.length);
    expect(copy.machine.stats().boots).toBe(2);
  });

  it("refuse a snapshot from another kernel build, naming both builds", async () => {
    const h = bootShell();
    const bytes = await saveSnapshot(h.machine, buildId);
    const other = "ab".repeat(32);
    const message = await refusal(bytes, other);
    expect(message).toContain("different build of Keel");
    expect(message).toContain(buildId.slice(0, 12));
    expect(message).toContain(other.slice(0, 12));
    expect(message).toContain("cannot be restored");
  });

  it("refuse truncated, corrupt and foreign files with a clear message", async () => {
    const h = new MachineHarness({ ramBytes: 16 * MiB }).boot();
    h.runUntil("keel> ");
    const bytes = await saveSnapshot(h.machine, buildId);
    expect(await refusal(new Uint8Array(0))).toMatch(/not a Keel snapshot/);
    expect(await refusal(new TextEncoder().encode("hello, this is not a snapshot at all"))).toMatch(/not a Keel snapshot/);
    expect(await refusal(bytes.subarray(0, 40))).toMatch(/cut short/);
    expect(await refusal(bytes.subarray(0, bytes.length - 100))).toMatch(/cut short/);
    const flipped = bytes.slice();
    flipped[flipped.length - 50]! ^= 0xff;
    expect(await refusal(flipped)).toMatch(/damaged/);
    const version = bytes.slice();
    version[8] = 99;
    expect(await refusal(version)).toMatch(/format 99/);
  });

  it("leave the saved machine running undisturbed", async () => {
    const h = bootShell();
    const before = h.machine.stats();
    await saveSnapshot(h.machine, buildId);
    expect(h.machine.stats()).toEqual(before);
    expect(h.shell("echo still")).toContain("still");
  });
});
