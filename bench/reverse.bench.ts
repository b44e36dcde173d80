// Reverse execution (host/gdb/reverse.ts): what the snapshot ring costs
// while a process is debugged on a 128 MiB machine with the shipped disk —
// the time to take one snapshot (compare RAM with the previous one, copy
// the chunks that changed), the RAM a snapshot holds of its own, and how
// long reverse-stepi takes (restore the newest snapshot before the target,
// replay to it, snapshot the new present): one step back from a snapshot,
// and across a shell's wait for its child with no periodic snapshot (the
// whole wait replayed). Times are CPU milliseconds of this process.

import { MachineHarness, userlandModules } from "../host/testing/machine-harness.js";
import { shippedDisk } from "../host/testing/disk.js";
import { UndoDisk } from "../host/disk/undo.js";
import { MachineDebugTarget } from "../host/gdb/machine-target.js";
import type { BenchRow } from "./run.js";
import { readFileSync } from "node:fs";
import { symbolValue } from "../host/rv/elf.js";

const MiB = 1024 * 1024;
const sh = new Uint8Array(readFileSync(new URL("../user/bin/sh.debug", import.meta.url)));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
/** CPU milliseconds fn takes (this process, user + system): on the shared VM wall time mostly measures the load. */
function cpuMs(fn: () => void): number {
  const t0 = process.cpuUsage();
  fn();
  const d = process.cpuUsage(t0);
  return (d.user + d.system) / 1000;
}

function setup(intervalRuns: number, program: string, command: string) {
  const disk = new UndoDisk(shippedDisk());
  const h = new MachineHarness({ ramBytes: 128 * MiB, modules: userlandModules(), disk }).boot();
  h.runUntil("\n$ ");
  const target = new MachineDebugTarget(h.machine);
  target.enableHistory(disk, { snapshots: 16, intervalRuns });
  target.attachOnExec(program);
  h.machine.input(`${command}\r`);
  const runToStop = () => {
    for (let i = 0; i < 100000; i++) {
      h.machine.runFor(5);
      target.afterSlice();
      if (target.pid() !== null && target.stopped()) return;
    }
    throw new Error("never stopped");
  };
  runToStop();
  return { h, target, runToStop };
}

export default async function bench(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  {
    // A snapshot after every single step (interval 1 and snapshotNow at the same run: one per step).
    const { target, runToStop } = setup(1, "wc", "echo hello world | wc");
    const snap: number[] = [];
    const own: number[] = [];
    const back: number[] = [];
    for (let i = 0; i < 12; i++) {
      target.resume(true);
      runToStop();
      snap.push(cpuMs(() => target.snapshotNow()));
      own.push(target.historyStats!.newestOwnBytes);
    }
    for (let i = 0; i < 8; i++) {
      let r: ReturnType<typeof target.reverse> | null = null;
      back.push(cpuMs(() => (r = target.reverse("step"))));
      if (r!.kind !== "stop") throw new Error(`reverse step: ${JSON.stringify(r)}`);
    }
    rows.push({ name: "reverse: take one snapshot, 128 MiB machine", value: median(snap), unit: "CPU ms" });
    rows.push({ name: "reverse: RAM a snapshot holds of its own (single steps)", value: median(own) / 1024, unit: "KiB" });
    rows.push({ name: "reverse: reverse-stepi, snapshot one step back", value: median(back), unit: "CPU ms" });
  }
  for (const interval of [100000]) {
    // A shell that waits while its child works, stopped at its exit; then
    // reverse-stepi back past the wait. With no periodic snapshot (interval
    // 100000) that step replays the whole wait.
    const { h, target, runToStop } = setup(interval, "sh", `echo 'cksum ${Array(5).fill("/fuzz /syscalltest").join(" ")}' | sh`);
    const runs0 = h.machine.runsSinceBoot;
    target.setBreakpoint(symbolValue(sh, "exit"), true);
    target.resume(false);
    runToStop();
    const waited = h.machine.runsSinceBoot - runs0;
    target.setBreakpoint(symbolValue(sh, "exit"), false);
    const back: number[] = [];
    for (let i = 0; i < 200; i++) {
      let r: ReturnType<typeof target.reverse> | null = null;
      back.push(cpuMs(() => (r = target.reverse("step"))));
      if (r!.kind !== "stop") break;
    }
    rows.push({ name: "reverse: run() calls from attach to sh's exit (cksum child)", value: waited, unit: "runs" });
    rows.push({ name: `reverse: slowest of ${back.length} reverse-stepi from sh's exit, interval ${interval}`, value: Math.max(...back), unit: "CPU ms" });
    rows.push({ name: `reverse: median reverse-stepi there, interval ${interval}`, value: median(back), unit: "CPU ms" });
  }
  return rows;
}
