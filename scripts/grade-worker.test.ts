// The grader against kernels that misbehave (scripts/grade-lib.ts): one that
// never returns from run() is stopped by the worker thread's stall timer and
// every check fails saying why; one that refuses to boot fails every check
// for that reason. Both are tiny modules with the kernel's interface, made
// here with the AssemblyScript compiler.
import asc from "assemblyscript/asc";
import { describe, expect, it } from "vitest";
import { labById } from "../web/code/labs-catalog";
import { gradeInWorker, gradeWasm } from "./grade-lib";

/** A module exporting what the host calls, compiled by asc: kmain returns
 *  `boot`; run loops forever or reports idle. */
async function kernel(boot: number, runForever: boolean): Promise<Uint8Array> {
  const source = `
    export function kmain(bootInfo: i32): i32 { return ${boot}; }
    export function kernelImageEnd(): i32 { return 0x200000; }
    export function run(budget: i32): i32 { ${runForever ? "while (budget != 12345) { budget = budget | 1; }" : ""} return 0; }`;
  const { binary, stderr } = await asc.compileString(source, { runtime: "stub", importMemory: true, optimizeLevel: 0 });
  if (binary === undefined || binary === null) throw new Error(`the test kernel does not build: ${stderr.toString()}`);
  return binary;
}

describe("the grader and a kernel that misbehaves", () => {
  const lab = labById("trace")!;

  it("stops a kernel that never returns from run(), and fails every check saying so", async () => {
    const seen: string[] = [];
    const report = await gradeInWorker(lab, await kernel(0, true), (r) => seen.push(r.name), 3000);
    expect(report.passed).toBe(0);
    expect(report.total).toBe(lab.checks.length);
    expect(seen).toEqual(lab.checks.map((c) => c.name));
    for (const r of report.results) expect(r.detail).toMatch(/did not finish this check within 3 s .* the grader stopped it/);
  }, 30_000);

  it("fails every check of a kernel that refuses to boot, with the reason", async () => {
    const report = gradeWasm(lab, await kernel(7, false));
    expect(report.passed).toBe(0);
    expect(report.results.map((r) => r.ok)).toEqual(lab.checks.map(() => false));
    for (const r of report.results) expect(r.detail).toMatch(/^the kernel did not boot to the shell: the kernel halted/);
  });
});
