// Differential testing of the hart against QEMU: random programs
// (host/rv/randprog.ts) assembled by our assembler into static ELFs run on
// our hart (build/bare.wasm) and under qemu-riscv64; the outputs — the
// scratch area and all 31 registers — must agree byte for byte.
//
// KEEL_DIFF_RUNS=N runs N programs instead of the default 40;
// KEEL_DIFF_SEED=S starts at seed S (the default is fixed, so runs repeat).
// The F/D programs (generateFpProgram) also compare f0..f31 and fcsr:
// KEEL_DIFF_FP_RUNS=N (default 30), same seed variable.
// Every program also runs a second time with the JIT forced on at threshold
// 1 (every block compiled the first time it runs), and that run must agree
// with QEMU too, and with the interpreter on the instruction count.

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { assembleProgram } from "./asm.js";
import { parseElf } from "./elf.js";
import { runBare, type BareResult } from "./bare.js";
import { DUMP_BYTES, FP_DUMP_BYTES, describeMismatch, generateFpProgram, generateProgram, type RandomProgram } from "./randprog.js";

const RUNS = Number(process.env.KEEL_DIFF_RUNS ?? 40);
const FP_RUNS = Number(process.env.KEEL_DIFF_FP_RUNS ?? 30);
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

/** e_flags of an lp64d executable: RVC | the double-float ABI. */
const EF_RVC_DOUBLE_FLOAT_ABI = 0x5;

/** Runs one program on both; throws with a report naming the first difference. */
function compare(program: RandomProgram, dumpBytes: number, envRuns: string): void {
  const seed = program.seed;
  const { elf } = assembleProgram(program.source, { compress: program.compress });
  const ref = runQemu(elf, `p${seed}.elf`);
  const report = (what: string): string =>
    `seed ${seed} (KEEL_DIFF_SEED=${seed} ${envRuns}=1, compress=${program.compress}): ${what}\n--- program ---\n${program.source}`;
  if (ref.status !== 0 || ref.stdout.length !== dumpBytes) {
    throw new Error(report(`qemu did not run the program cleanly (status ${ref.status}, ${ref.stdout.length} bytes): ${ref.stderr}`));
  }
  const interpreted = runBare(elf, { limit: 1_000_000n });
  checkOurs(interpreted, ref, report);
  const compiled = runBare(elf, { limit: 1_000_000n, jit: 1 });
  const jitReport = (what: string): string => report(`with the JIT at threshold 1: ${what}`);
  checkOurs(compiled, ref, jitReport);
  if (compiled.instret !== interpreted.instret) throw new Error(jitReport(`instret ${compiled.instret}, interpreted ${interpreted.instret}`));
  if (!compiled.jit || compiled.jit.units === 0) throw new Error(jitReport("no unit was compiled"));
}

function checkOurs(ours: BareResult, ref: { stdout: Uint8Array }, report: (what: string) => string): void {
  if (ours.fault) throw new Error(report(`our hart faulted: ${ours.fault.message}`));
  if (ours.exitStatus !== 0) throw new Error(report(`our hart ended with ${ours.limited ? "the instruction limit" : `status ${ours.exitStatus}`}`));
  if (Buffer.compare(Buffer.from(ours.stdout), Buffer.from(ref.stdout)) !== 0) {
    throw new Error(report(`outputs differ at ${describeMismatch(ours.stdout, ref.stdout)}`));
  }
}

describe("hart vs qemu-riscv64 on random programs", () => {
  it(`agrees on ${RUNS} programs from seed ${FIRST_SEED}`, () => {
    const missing = qemuAvailable();
    if (missing) throw new Error(missing);
    for (let seed = FIRST_SEED; seed < FIRST_SEED + RUNS; seed++) compare(generateProgram(seed), DUMP_BYTES, "KEEL_DIFF_RUNS");
    expect(true).toBe(true);
  }, Math.max(60_000, RUNS * 1_000));

  it(`agrees on ${FP_RUNS} F/D programs from seed ${FIRST_SEED}, f registers and fcsr included`, () => {
    const missing = qemuAvailable();
    if (missing) throw new Error(missing);
    for (let seed = FIRST_SEED; seed < FIRST_SEED + FP_RUNS; seed++) compare(generateFpProgram(seed), FP_DUMP_BYTES, "KEEL_DIFF_FP_RUNS");
    expect(true).toBe(true);
  }, Math.max(60_000, FP_RUNS * 1_000));
});

describe("hart vs qemu-riscv64 on a clang rv64gc / lp64d program", () => {
  it("runs user/bench/bin/nbody.elf (n-body, FMA matrix multiply, singles) with the same output, bit for bit", () => {
    const missing = qemuAvailable();
    if (missing) throw new Error(missing);
    const elf = new Uint8Array(readFileSync(new URL("../../user/bench/bin/nbody.elf", import.meta.url)));
    expect(parseElf(elf).flags).toBe(EF_RVC_DOUBLE_FLOAT_ABI);
    const ref = runQemu(elf, "nbody.elf");
    expect(ref.status).toBe(0);
    const ours = runBare(elf, { limit: 200_000_000n });
    expect(ours.fault).toBeUndefined();
    expect(ours.exitStatus).toBe(0);
    const text = new TextDecoder().decode(ours.stdout);
    expect(text).toMatch(/^nbody: energy [0-9a-f]{16} -> [0-9a-f]{16}/);
    expect(text).toBe(new TextDecoder().decode(ref.stdout));
    const compiled = runBare(elf, { limit: 200_000_000n, jit: 1 });
    expect(compiled.exitStatus).toBe(0);
    expect(compiled.jit!.units).toBeGreaterThan(0);
    expect(new TextDecoder().decode(compiled.stdout)).toBe(text);
    expect(compiled.instret).toBe(ours.instret);
  }, 60_000);
});
