// The JIT in the whole machine: the integer benchmark programs
// (user/bench/*.c, built for Keel's shell as user/bench/bin/keel/NAME)
// typed at the shell of a deterministic machine with the JIT off and one
// with it on (threshold JIT_DEFAULT_THRESHOLD), and the same programs on the
// bare runner (user/bench/bin/NAME.elf) both ways, in alternating rounds so
// all four see the same load. Process CPU time from typing the command to
// the next prompt (exec, the program, exit, the shell's wait); best of
// ROUNDS. The machines must print the same and spend the same virtual time
// (the same instructions), so a fast wrong answer fails. MIPS use the bare
// runner's instruction count of the same program.

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { runBare } from "../host/rv/bare.js";
import { JIT_DEFAULT_THRESHOLD, type JitSetting } from "../host/rv/jit-host.js";
import { bootfsImage, userlandModules } from "../host/testing/machine-harness.js";
import { parseBootfs, writeBootfs, type BootfsEntry } from "../user/mkbootfs.js";
import { cpuSecondsSince } from "./cpu.js";
import { GuestMachine } from "./guest.js";
import type { BenchRow } from "./run.js";

const ROUNDS = 3;
const PROGRAMS = ["branchy", "crc32", "sieve", "sort"];
const benchDir = fileURLToPath(new URL("../user/bench/bin/", import.meta.url));

export default async function bench(): Promise<BenchRow[]> {
  const extra: BootfsEntry[] = PROGRAMS.map((name) => ({ name, type: 2, data: new Uint8Array(readFileSync(`${benchDir}keel/${name}`)) }) as BootfsEntry);
  const modules = userlandModules(writeBootfs([...parseBootfs(bootfsImage()).filter((e) => !PROGRAMS.includes(e.name)), ...extra]));
  const settings: { label: string; jit: JitSetting }[] = [
    { label: "interpreter", jit: false },
    { label: "JIT", jit: JIT_DEFAULT_THRESHOLD },
  ];
  const machines = settings.map(({ jit }) => {
    const guest = new GuestMachine({ modules, clock: "deterministic", jit });
    guest.bootToShell();
    return guest;
  });
  const rows: BenchRow[] = [];
  for (const name of PROGRAMS) {
    const elf = new Uint8Array(readFileSync(`${benchDir}${name}.elf`));
    const shellCpu = [Infinity, Infinity];
    const bareCpu = [Infinity, Infinity];
    let instret = 0n;
    for (let r = 0; r < ROUNDS; r++) {
      const outputs: string[] = [];
      const spent: number[] = [];
      settings.forEach(({ jit }, m) => {
        const guest = machines[m]!;
        const before = guest.machine.virtualNowNs;
        const cpu0 = process.cpuUsage();
        outputs.push(guest.run(name));
        shellCpu[m] = Math.min(shellCpu[m]!, cpuSecondsSince(cpu0));
        spent.push(guest.machine.virtualNowNs - before);

        const bare0 = process.cpuUsage();
        const result = runBare(elf, { jit });
        bareCpu[m] = Math.min(bareCpu[m]!, cpuSecondsSince(bare0));
        if (result.exitStatus !== 0 || result.fault) throw new Error(`${name} on the bare runner (${settings[m]!.label}) failed`);
        instret = result.instret;
      });
      if (outputs[0] !== outputs[1]) throw new Error(`${name} in the shell: the JIT printed ${JSON.stringify(outputs[1])}, the interpreter ${JSON.stringify(outputs[0])}`);
      if (spent[0] !== spent[1]) throw new Error(`${name} in the shell: the JIT took ${spent[1]} virtual ns, the interpreter ${spent[0]}`);
      if (!/checksum|crc|sorted|ok/i.test(outputs[0]!)) throw new Error(`${name} in the shell printed ${JSON.stringify(outputs[0])}`);
    }
    const mips = (s: number): number => Number(instret) / s / 1e6;
    settings.forEach(({ label }, m) => {
      rows.push({ name: `${name} in the shell, ${label}, CPU time`, value: shellCpu[m]!, unit: "s" });
      rows.push({ name: `${name} in the shell, ${label}, by CPU time`, value: mips(shellCpu[m]!), unit: "MIPS" });
      rows.push({ name: `${name} on the bare runner, ${label}, by CPU time`, value: mips(bareCpu[m]!), unit: "MIPS" });
      rows.push({ name: `${name}: shell / bare runner CPU time, ${label}`, value: shellCpu[m]! / bareCpu[m]!, unit: "x" });
    });
    rows.push({ name: `${name} in the shell: JIT speed-up by CPU time`, value: shellCpu[0]! / shellCpu[1]!, unit: "x" });
  }
  const stats = machines[1]!.machine.jitStats();
  if (stats) {
    rows.push({ name: "shell machine with the JIT: units compiled", value: stats.units, unit: "" });
    rows.push({ name: "shell machine with the JIT: compile time per unit", value: stats.units ? stats.compileMs / stats.units : 0, unit: "ms" });
  }
  return rows;
}
