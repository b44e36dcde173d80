// npm run fuzz: a fuzz campaign from the command line (docs/fuzzing.md).
//
//   KEEL_FUZZ_SEEDS=1-200 KEEL_FUZZ_CALLS=100000 npm run fuzz
//
// KEEL_FUZZ_SEEDS is a range "A-B" or a count N (seeds 1..N; default 8);
// KEEL_FUZZ_CALLS the calls per seed (default 50,000); KEEL_FUZZ_CUT=1 also
// runs every seed a second time with the disk's power cut in the middle of
// the run. One line per seed, then a summary: total calls, host calls per
// second, and every finding. Exits 1 if anything was found.

import { runFuzz, describeResult, type FuzzResult } from "./driver.js";

function seeds(spec: string | undefined): number[] {
  const text = spec ?? "8";
  const range = /^(\d+)-(\d+)$/.exec(text);
  if (range) {
    const [a, b] = [Number(range[1]), Number(range[2])];
    return Array.from({ length: Math.max(0, b - a + 1) }, (_, i) => a + i);
  }
  if (!/^\d+$/.test(text)) throw new Error(`KEEL_FUZZ_SEEDS must be N or A-B (got ${text})`);
  return Array.from({ length: Number(text) }, (_, i) => i + 1);
}

const calls = Number(process.env.KEEL_FUZZ_CALLS ?? 50_000);
const cut = process.env.KEEL_FUZZ_CUT === "1";
const findings: string[] = [];
let total = 0;
const started = Date.now();
const bad = (r: FuzzResult): boolean => r.panic !== null || r.hung || r.leaks.length > 0 || r.fsckProblems.length > 0;
for (const seed of seeds(process.env.KEEL_FUZZ_SEEDS)) {
  const r = runFuzz({ seed, calls });
  total += r.calls;
  console.log(describeResult(r));
  if (bad(r) || r.calls < calls) findings.push(describeResult(r));
  if (cut && r.writes > 1) {
    // Same seed, power cut at a block write chosen from the seed within the run's writes.
    const at = 1 + ((seed * 2654435761) >>> 0) % r.writes;
    const c = runFuzz({ seed, calls, cutAtWrite: at });
    console.log(`  cut at write ${at}: ${describeResult(c)}`);
    if (c.panic !== null || c.fsckProblems.length > 0) findings.push(`cut at ${at}: ${describeResult(c)}`);
  }
}
const seconds = (Date.now() - started) / 1000;
console.log(`fuzz: ${total} calls in ${seconds.toFixed(1)} s (${Math.round(total / seconds)} calls/s), ${findings.length} findings`);
for (const f of findings) console.log(`  ${f}`);
process.exit(findings.length > 0 ? 1 : 0);
