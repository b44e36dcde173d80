// Differential testing of the hart against QEMU: random programs
// (host/rv/randprog.ts) assembled by our assembler into static ELFs run on
// our hart (build/bare.wasm) and under qemu-riscv64; the outputs — the
// scratch area and all 31 registers — must agree byte for byte.
//
// KEEL_DIFF_RUNS=N runs N programs instead of the default 40;
// KEEL_DIFF_SEED=S starts at seed S (the default is fixed, so runs repeat).

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { assembleProgram } from "./asm.js";
import { runBare } from "./bare.js";
import { DUMP_BYTES, describeMismatch, generateProgram } from "./randprog.js";

const RUNS = Number(process.env.KEEL_DIFF_RUNS ?? 40);
const FIRST_SEED = Number(process.env.KEEL_DIFF_SEED ?? 1000);
const work = mkdtempSync(join(tmpdir(), "keel-diff-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function qemuAvailable(): string | undefined {
  const r = spawnSync("qemu-riscv64", ["--version"]);
  return r.error ? `qemu-riscv64 could not be started (${r.error.message}); install qemu-user` : undefined;
}

function runQemu(elf: Uint8Array, name: string): { stdout: Uint8Array; status: number | null; stderr: string } {
  const path = join(work, name);
  writeFileSync(path, elf, { mode: 0o755 });
  const r = spawnSync("qemu-riscv64", [path], { maxBuffer: 1 << 20 });
  return { stdout: new Uint8Array(r.stdout), status: r.status, stderr: r.stderr.toString() };
}

describe("hart vs qemu-riscv64 on random programs", () => {
  it(`agrees on ${RUNS} programs from seed ${FIRST_SEED}`, () => {
    const missing = qemuAvailable();
    if (missing) throw new Error(missing);
    for (let seed = FIRST_SEED; seed < FIRST_SEED + RUNS; seed++) {
      const program = generateProgram(seed);
      const { elf } = assembleProgram(program.source, { compress: program.compress });
      const ref = runQemu(elf, `p${seed}.elf`);
      const ours = runBare(elf, { limit: 1_000_000n });
      const report = (what: string): string =>
        `seed ${seed} (KEEL_DIFF_SEED=${seed} KEEL_DIFF_RUNS=1, compress=${program.compress}): ${what}\n--- program ---\n${program.source}`;
      if (ref.status !== 0 || ref.stdout.length !== DUMP_BYTES) {
        throw new Error(report(`qemu did not run the program cleanly (status ${ref.status}, ${ref.stdout.length} bytes): ${ref.stderr}`));
      }
      if (ours.fault) throw new Error(report(`our hart faulted: ${ours.fault.message}`));
      if (ours.exitStatus !== 0) throw new Error(report(`our hart ended with ${ours.limited ? "the instruction limit" : `status ${ours.exitStatus}`}`));
      if (Buffer.compare(Buffer.from(ours.stdout), Buffer.from(ref.stdout)) !== 0) {
        throw new Error(report(`outputs differ at ${describeMismatch(ours.stdout, ref.stdout)}`));
      }
    }
    expect(true).toBe(true);
  }, Math.max(60_000, RUNS * 1_000));
});
