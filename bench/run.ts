// `npm run bench`: runs every bench/*.bench.ts module and prints one table.
// Each module's default export returns rows of { name, value, unit }.
// Every suite's wall time is printed beside the process CPU time it used
// (process.cpuUsage: user + system, this process only), and the header names
// the load average: on a shared machine wall-clock figures fall with load,
// CPU-time figures much less (docs/hart.md).
// Usage: npm run bench [-- name-filter] | npm run bench -- --browser

import { readdirSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import os from "node:os";
import { cpuSecondsSince } from "./cpu.js";

export interface BenchRow {
  name: string;
  value: number;
  unit: string;
}

const dir = fileURLToPath(new URL(".", import.meta.url));
// --browser: bench/browser.ts alone (the hart programs in Chromium beside Node).
const browser = process.argv.includes("--browser");
const filter = process.argv.slice(2).find((a) => a !== "--browser") ?? "";
const files = browser ? ["browser.ts"] : readdirSync(dir).filter((f) => f.endsWith(".bench.ts") && f.includes(filter)).sort();

function format(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}


const rows: { suite: string; row: BenchRow }[] = [];
const times: { suite: string; wall: number; cpu: number }[] = [];
const loadBefore = os.loadavg()[0]!;
for (const file of files) {
  const suite = file.replace(/\.bench\.ts$|\.ts$/, "");
  process.stderr.write(`running ${suite}...\n`);
  const mod = (await import(pathToFileURL(`${dir}/${file}`).href)) as { default: () => Promise<BenchRow[]> };
  const wall0 = performance.now();
  const cpu0 = process.cpuUsage();
  for (const row of await mod.default()) rows.push({ suite, row });
  times.push({ suite, wall: (performance.now() - wall0) / 1000, cpu: cpuSecondsSince(cpu0) });
}

const cpu = os.cpus()[0]?.model ?? "unknown CPU";
console.log(`Keel benchmarks — Node ${process.version}, ${os.cpus().length} × ${cpu}`);
console.log(`load average ${loadBefore.toFixed(2)} before, ${os.loadavg()[0]!.toFixed(2)} after (1-minute)`);
const w1 = Math.max(5, ...rows.map((r) => r.suite.length));
const w2 = Math.max(9, ...rows.map((r) => r.row.name.length));
const w3 = Math.max(5, ...rows.map((r) => format(r.row.value).length));
console.log(`${"suite".padEnd(w1)}  ${"benchmark".padEnd(w2)}  ${"value".padStart(w3)}  unit`);
console.log(`${"-".repeat(w1)}  ${"-".repeat(w2)}  ${"-".repeat(w3)}  ----`);
for (const { suite, row } of rows) {
  console.log(`${suite.padEnd(w1)}  ${row.name.padEnd(w2)}  ${format(row.value).padStart(w3)}  ${row.unit}`);
}

// Child processes (qemu, native runs) are not in this process's CPU time.
console.log("");
const w4 = Math.max(5, ...times.map((t) => t.suite.length));
console.log(`${"suite".padEnd(w4)}  ${"wall s".padStart(8)}  ${"CPU s".padStart(8)}  CPU/wall`);
console.log(`${"-".repeat(w4)}  ${"-".repeat(8)}  ${"-".repeat(8)}  --------`);
for (const t of times) {
  console.log(`${t.suite.padEnd(w4)}  ${t.wall.toFixed(2).padStart(8)}  ${t.cpu.toFixed(2).padStart(8)}  ${(t.cpu / t.wall).toFixed(2).padStart(8)}`);
}
