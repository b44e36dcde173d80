// The hart on CPU-bound user programs (user/bench/bin/*.elf, built by
// user/bench/build.mjs): MIPS on our hart in Node through the bare runner,
// interpreted and with the JIT (machine/jit.ts; units compiled, compile time
// per unit, the share of instructions they retired),
// the same binary under qemu-riscv64 (wall-clock seconds of the process,
// start-up included, and the MIPS that implies using our instruction count
// once QEMU's start-up is subtracted),
// and the same C compiled natively with clang -O2 when clang is installed.
// Every run's output must match the others, so a fast wrong answer fails.

import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { assembleProgram } from "../host/rv/asm.js";
import { JIT_DEFAULT_THRESHOLD, runBare, type BareResult } from "../host/rv/bare.js";
import type { BenchRow } from "./run.js";
// @ts-expect-error: a plain .mjs module without types
import { FP_PROGRAMS, NATIVE_FP_FLAGS } from "../user/bench/flags.mjs";

const ROUNDS = 3;
const benchDir = fileURLToPath(new URL("../user/bench/", import.meta.url));

function hasCommand(cmd: string): boolean {
  return !spawnSync(cmd, ["--version"]).error;
}

/** Best wall-clock seconds of ROUNDS runs of a command; checks its output. */
function timeProcess(cmd: string, args: string[], expect: string, label: string): number {
  let best = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    const p = spawnSync(cmd, args, { maxBuffer: 1 << 20 });
    const seconds = (performance.now() - t0) / 1000;
    if (p.status !== 0 || p.stdout.toString() !== expect) {
      throw new Error(`${label}: status ${p.status}, output ${JSON.stringify(p.stdout.toString())}, expected ${JSON.stringify(expect)}`);
    }
    best = Math.min(best, seconds);
  }
  return best;
}

export default async function bench(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const programs = readdirSync(join(benchDir, "bin")).filter((f) => f.endsWith(".elf")).sort();
  const qemu = hasCommand("qemu-riscv64");
  const clang = hasCommand("clang");
  const work = mkdtempSync(join(tmpdir(), "keel-hart-bench-"));
  try {
    // QEMU's own start-up, measured on a program that exits at once, is
    // subtracted for the implied MIPS.
    let qemuStartup = 0;
    if (qemu) {
      const empty = join(work, "empty.elf");
      writeFileSync(empty, assembleProgram("_start:\n li a0, 0\n li a7, 93\n ecall\n").elf, { mode: 0o755 });
      qemuStartup = timeProcess("qemu-riscv64", [empty], "", "qemu-riscv64 start-up");
      rows.push({ name: "qemu-riscv64 start-up (empty program)", value: qemuStartup * 1000, unit: "ms" });
    }
    for (const file of programs) {
      const name = file.replace(/\.elf$/, "");
      const path = join(benchDir, "bin", file);
      const elf = new Uint8Array(readFileSync(path));

      // The same runs with the interpreter only and with the JIT (threshold
      // JIT_DEFAULT_THRESHOLD), alternating rounds so both see the same load.
      const modes = [
        { label: "hart (Node)", jit: false as const },
        { label: "hart + JIT (Node)", jit: JIT_DEFAULT_THRESHOLD },
      ];
      const bestWall = [Infinity, Infinity];
      const bestCpu = [Infinity, Infinity];
      let instret = 0n;
      let output = "";
      let jitStats: BareResult["jit"];
      for (let r = 0; r < ROUNDS; r++) {
        modes.forEach((mode, m) => {
          const cpu0 = process.cpuUsage();
          const result = runBare(elf, { jit: mode.jit });
          const used = process.cpuUsage(cpu0);
          bestCpu[m] = Math.min(bestCpu[m]!, (used.user + used.system) / 1e6);
          if (result.fault) throw new Error(`${name} on the ${mode.label}: ${result.fault.message}`);
          if (result.exitStatus !== 0) throw new Error(`${name} on the ${mode.label}: exit status ${result.exitStatus}`);
          const text = new TextDecoder().decode(result.stdout);
          if (m === 0) { output = text; instret = result.instret; }
          else {
            if (text !== output) throw new Error(`${name}: the JIT's output differs from the interpreter's`);
            if (result.instret !== instret) throw new Error(`${name}: the JIT retired ${result.instret}, the interpreter ${instret}`);
            jitStats = result.jit;
          }
          bestWall[m] = Math.min(bestWall[m]!, result.seconds);
        });
      }
      const best = bestWall[0]!;
      rows.push({ name: `${name}: instructions retired`, value: Number(instret) / 1e6, unit: "M" });
      modes.forEach((mode, m) => {
        rows.push({ name: `${name}: ${mode.label}`, value: Number(instret) / bestWall[m]! / 1e6, unit: "MIPS" });
        rows.push({ name: `${name}: ${mode.label}, by process CPU time`, value: Number(instret) / bestCpu[m]! / 1e6, unit: "MIPS" });
        rows.push({ name: `${name}: ${mode.label} time`, value: bestWall[m]!, unit: "s" });
        rows.push({ name: `${name}: ${mode.label} CPU time`, value: bestCpu[m]!, unit: "s" });
      });
      rows.push({ name: `${name}: JIT speed-up by CPU time`, value: bestCpu[0]! / bestCpu[1]!, unit: "x" });
      if (jitStats) {
        rows.push({ name: `${name}: JIT units compiled`, value: jitStats.units, unit: "" });
        rows.push({ name: `${name}: JIT compile time per unit`, value: jitStats.units ? jitStats.compileMs / jitStats.units : 0, unit: "ms" });
        rows.push({ name: `${name}: JIT share of instructions retired in units`, value: Number(jitStats.insns * 10000n / instret) / 100, unit: "%" });
      }

      if (qemu) {
        const seconds = timeProcess("qemu-riscv64", [path], output, `${name} under qemu-riscv64`);
        rows.push({ name: `${name}: qemu-riscv64 time`, value: seconds, unit: "s" });
        const net = Math.max(seconds - qemuStartup, 1e-6);
        rows.push({ name: `${name}: qemu-riscv64 implied (start-up subtracted)`, value: Number(instret) / net / 1e6, unit: "MIPS" });
        rows.push({ name: `${name}: hart time / qemu time`, value: best / seconds, unit: "x" });
        rows.push({ name: `${name}: hart + JIT time / qemu time`, value: bestWall[1]! / seconds, unit: "x" });
      }
      if (clang) {
        const exe = join(work, name);
        const extra: string[] = (FP_PROGRAMS as string[]).includes(`${name}.c`) ? NATIVE_FP_FLAGS : [];
        execFileSync("clang", ["-O2", "-o", exe, join(benchDir, `${name}.c`), ...extra]);
        const seconds = timeProcess(exe, [], output, `${name} native`);
        rows.push({ name: `${name}: native (clang -O2) time`, value: seconds, unit: "s" });
        rows.push({ name: `${name}: hart time / native time`, value: best / seconds, unit: "x" });
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  if (!clang) process.stderr.write("hart bench: clang not found, native column skipped\n");
  if (!qemu) process.stderr.write("hart bench: qemu-riscv64 not found, qemu column skipped\n");
  return rows;
}
