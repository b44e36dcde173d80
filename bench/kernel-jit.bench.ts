// The kernel's own benchmarks (user/prog/kbench.c: fork, exec, pipe, sbrk;
// user/prog/ipcping.c: IPC round trips) with the JIT off and on in one run:
// two realtime machines, the same commands typed at each in alternating
// rounds so both see the same load. The figures are the guest's own ns per
// operation (its clock is wall time on a realtime machine), best of ROUNDS,
// and the host CPU time of each whole command. Exec-heavy work is where
// compile cost would show: every exec drops the old image's code, and the
// new one's hot blocks are compiled again. KEEL_BENCH_JIT=N: the JIT
// machine's threshold (default JIT_DEFAULT_THRESHOLD).

import { shippedDisk } from "../host/testing/disk.js";
import { JIT_DEFAULT_THRESHOLD, type JitSetting } from "../host/rv/jit-host.js";
import { userlandModules } from "../host/testing/machine-harness.js";
import { cpuSecondsSince } from "./cpu.js";
import { GuestMachine } from "./guest.js";
import type { BenchRow } from "./run.js";

const ROUNDS = 3;
const COMMANDS = [
  { command: "kbench 2", pattern: /^kbench (\S+) (\d+) (\d+)$/gm },
  { command: "ipcping 20000", pattern: /^ipcping (\S+) (\d+) (\d+)$/gm },
];

export default async function bench(): Promise<BenchRow[]> {
  const settings: { label: string; jit: JitSetting }[] = [
    { label: "interpreter", jit: false },
    { label: "JIT", jit: Number(process.env.KEEL_BENCH_JIT ?? JIT_DEFAULT_THRESHOLD) },
  ];
  const machines = settings.map(({ jit }) => {
    const guest = new GuestMachine({ modules: userlandModules(), disk: shippedDisk(), jit });
    guest.bootToShell();
    return guest;
  });
  const best = new Map<string, number[]>();
  const cpu = COMMANDS.map(() => [Infinity, Infinity]);
  for (let r = 0; r < ROUNDS; r++) {
    COMMANDS.forEach(({ command, pattern }, c) => {
      settings.forEach((_, m) => {
        const cpu0 = process.cpuUsage();
        const out = machines[m]!.run(command);
        cpu[c]![m] = Math.min(cpu[c]![m]!, cpuSecondsSince(cpu0));
        let seen = 0;
        for (const match of out.matchAll(pattern)) {
          const name = `${match[1]} (${match[3]} ops)`;
          const row = best.get(name) ?? [Infinity, Infinity];
          row[m] = Math.min(row[m]!, Number(match[2]));
          best.set(name, row);
          seen++;
        }
        if (seen === 0) throw new Error(`${command} printed no figures:\n${out}`);
      });
    });
  }
  const rows: BenchRow[] = [];
  for (const [name, [off, on]] of best) {
    rows.push({ name: `${name}, interpreter`, value: off!, unit: "ns/op" });
    rows.push({ name: `${name}, JIT`, value: on!, unit: "ns/op" });
    rows.push({ name: `${name}: JIT / interpreter time`, value: on! / off!, unit: "x" });
  }
  COMMANDS.forEach(({ command }, c) => {
    rows.push({ name: `"${command}" host CPU time, interpreter`, value: cpu[c]![0]!, unit: "s" });
    rows.push({ name: `"${command}" host CPU time, JIT`, value: cpu[c]![1]!, unit: "s" });
  });
  const stats = machines[1]!.machine.jitStats();
  if (stats) {
    rows.push({ name: "JIT machine: units compiled", value: stats.units, unit: "" });
    rows.push({ name: "JIT machine: compile time in all", value: stats.compileMs, unit: "ms" });
    rows.push({ name: "JIT machine: share of instructions retired in units", value: Number((stats.insns * 10000n) / (stats.retired || 1n)) / 100, unit: "%" });
  }
  return rows;
}
