// MIPS of the hart on the C benchmarks (user/bench/bin/*.elf) through the
// bare runner, measured in process CPU time as well as wall time, since the
// development VM is shared and wall time swings with the load.
// Run: npx tsx kernel-as/tests/hart/elfbench.ts [rounds] [name...]
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { runBare } from "../../../host/rv/bare.js";

const binDir = fileURLToPath(new URL("../../../user/bench/bin/", import.meta.url));
const rounds = Number(process.argv[2] ?? 5);
const only = process.argv.slice(3);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

for (const file of readdirSync(binDir).filter((f) => f.endsWith(".elf")).sort()) {
  const name = file.replace(/\.elf$/, "");
  if (only.length && !only.includes(name)) continue;
  const elf = new Uint8Array(readFileSync(join(binDir, file)));
  const cpu: number[] = [];
  const wall: number[] = [];
  let instret = 0n;
  for (let r = 0; r < rounds; r++) {
    const c0 = process.cpuUsage();
    const result = runBare(elf);
    const c = process.cpuUsage(c0);
    if (result.fault || result.exitStatus !== 0) throw new Error(`${name}: ${result.fault?.message ?? result.exitStatus}`);
    instret = result.instret;
    cpu.push(Number(instret) / ((c.user + c.system) / 1e6) / 1e6);
    wall.push(Number(instret) / result.seconds / 1e6);
  }
  console.log(`${name.padEnd(6)} ${(Number(instret) / 1e6).toFixed(1)}M insns  cpu-MIPS median ${median(cpu).toFixed(0)} max ${Math.max(...cpu).toFixed(0)}  wall-MIPS median ${median(wall).toFixed(0)} max ${Math.max(...wall).toFixed(0)}`);
}
