// trace -k (the runner's --trace-kernel, host/trace-kernel.ts): under each
// record the ring gets, the kernel functions that call went through, from
// the instrumented build's names, on a real machine running trace.

import { describe, expect, it } from "vitest";
import { kernelBytesSync, MachineHarness, userlandModules } from "./testing/machine-harness.js";
import { KernelTrace, kernelLine, type KernelTraceLine } from "./trace-kernel.js";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseBootArgs } from "./node/args.js";

describe("trace -k: the kernel functions of each traced call", () => {
  it("names what write, exec and exit went through, and nothing for untraced processes", async () => {
    const h = new MachineHarness({ ramBytes: 32 * 1024 * 1024, modules: userlandModules() }).boot();
    const lines: KernelTraceLine[] = [];
    const kt = new KernelTrace(h.machine, kernelBytesSync(), (l) => lines.push(l));
    await kt.ready;
    expect(kt.problem).toBeNull();
    const run = (until: RegExp, mark: number) => {
      for (let i = 0; i < 4000 && !until.test(h.since(mark)); i++) {
        h.machine.runFor(20);
        kt.afterSlice();
      }
      expect(h.since(mark)).toMatch(until);
    };
    run(/\n\$ $/, 0);
    expect(lines).toEqual([]); // the shell's own calls are not traced
    const mark = h.output.length;
    h.machine.input("trace echo hi\r");
    run(/\[\d+\] exit\(0\)[\s\S]*\n\$ $/, mark);
    const printed = h.since(mark).split(/\r?\n/).filter((l) => /^\[\d+\] /.test(l));
    // Every record trace printed, in order, each with its functions.
    expect(lines.map((l) => l.record.line)).toEqual(printed);
    const write = lines.find((l) => l.record.name === "write")!;
    expect(write.record.line).toMatch(/write\(1, "hi\\n", 3\) = 3$/);
    const names = write.functions.map((f) => f.fn);
    if (process.env.KEEL_SHOW) console.log(lines.map((l) => `${l.record.line}\n${kernelLine(l)}`).join("\n"));
    // The trace's own capture of the bytes, then the call: in order of first entry.
    expect(names.indexOf("sys/unix/dispatch")).toBeGreaterThanOrEqual(0);
    expect(names.indexOf("sys/unix/sysWrite")).toBeGreaterThan(names.indexOf("sys/unix/dispatch"));
    expect(names).not.toContain("sys/unix/sysRead");
    const exec = lines.find((l) => l.record.name === "exec")!;
    expect(exec.functions.map((f) => f.fn)).toContain("proc/exec/execImage");
    // The trace call the child made before it was traced is not in exec's list.
    expect(exec.functions.map((f) => f.fn)).not.toContain("sys/sctrace/sysTrace");
    expect(kernelLine(write)).toMatch(/^ {2}kernel: .*sys\/unix\/dispatch, .*sys\/unix\/sysWrite/);
    expect(kernelLine({ record: write.record, functions: [] })).toBe("  kernel: (no function entries recorded)");
    expect(kernelLine(lines.find((l) => l.record.name === "exit")!)).toMatch(/exit's record before exit runs/);
    // The machine ran on under the instrumented kernel: the shell still answers.
    const again = h.output.length;
    h.machine.input("echo ok\r");
    run(/ok\r?\n\$ $/, again);
  });

  it("is the runner's --trace-kernel: each line trace prints, then its kernel functions, on stderr", () => {
    expect(parseBootArgs(["--trace-kernel"]).traceKernel).toBe(true);
    expect(() => parseBootArgs(["--trace-kernel", "--gdb", "0"])).toThrow(/--trace-kernel and --gdb/);
    const repo = fileURLToPath(new URL("..", import.meta.url));
    const r = spawnSync(process.execPath, ["bin/keel.mjs", "--clock", "deterministic", "--trace-kernel"], {
      cwd: repo, input: "trace echo hi\n", encoding: "utf8", timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const err = r.stderr.split("\n");
    const at = err.findIndex((l) => /^keel: \[\d+\] write\(1, "hi\\n", 3\) = 3$/.test(l));
    expect(at, r.stderr).toBeGreaterThan(0);
    expect(err[at + 1]).toMatch(/^keel: {3}kernel: .*sys\/unix\/dispatch, sys\/unix\/sysWrite, /);
    expect(r.stdout).toMatch(/^\[\d+\] write\(1, "hi\\n", 3\) = 3\r?$/m); // trace's own line, on the console
  }, 130_000);
});
