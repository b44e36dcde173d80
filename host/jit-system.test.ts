// The JIT (docs/hart.md "JIT") in the whole machine: real programs under
// the shell, on the deterministic clock, with every block compiled the
// first time it runs (threshold 1). A machine with the JIT must do exactly
// what one without it does: the same console bytes, the same work and the
// same virtual time (so the same instructions retired, to the one), and a
// snapshot taken with it on continues identically with it on or off. The
// programs below change code under it in every way a process can: a store
// and fence.i, a read() into a code page, a fork whose child patches a
// copy-on-write code page, an exec over a process whose code frames the new
// image may reuse.

import { describe, expect, it } from "vitest";
import { MachineHarness, bootfsImage, kernelModuleSync, userlandModules } from "./testing/machine-harness.js";
import { parseBootfs, writeBootfs, type BootfsEntry } from "../user/mkbootfs.js";
import { assemble } from "./rv/asm.js";
import { writeElf } from "./rv/elf.js";
import { decodeSnapshot, restoreMachine, saveSnapshot, snapshotBuildId } from "./snapshot.js";
import type { JitSetting } from "./rv/jit-host.js";
import { MachineConfigError, Machine } from "./machine.js";

const MiB = 1024 * 1024;

// ---- Programs that change their own code (one RWX segment at 0x10000) ----

/** f returns 1; hot calls it 200 times (compiled at any threshold below that); putc writes a0's low byte. */
const LIBRARY = `
hot:
  addi sp, sp, -16
  sd ra, 0(sp)
  li s0, 200
hotloop:
  call f
  addi s0, s0, -1
  bnez s0, hotloop
  ld ra, 0(sp)
  addi sp, sp, 16
  ret
putdigit:
  addi a0, a0, 48
putc:
  addi sp, sp, -16
  sb a0, 0(sp)
  li a0, 1
  mv a1, sp
  li a2, 1
  li a7, 16
  ecall
  addi sp, sp, 16
  ret
exit0:
  li a0, 10
  call putc
  li a0, 0
  li a7, 2
  ecall
patch:
  li a0, 3
f:
  li a0, F_VALUE
  ret
`;

function rwxProgram(main: string, fValue = 1): Uint8Array {
  const text = assemble(`.text\n_start:\n${main}\n${LIBRARY.replace("F_VALUE", String(fValue))}`).text;
  return writeElf({ entry: 0x10000n, segments: [{ vaddr: 0x10000n, data: text, flags: 7 }] });
}

const PROGRAMS: Record<string, Uint8Array> = {
  // A store over f's first instruction, then fence.i: "13".
  jitstore: rwxProgram(`
  call hot
  call putdigit
  la t0, f
  la t2, patch
  lw t1, 0(t2)
  sw t1, 0(t0)
  fence.i
  call hot
  call putdigit
  j exit0`),
  // read() of the file jitpatch (the same instruction) into f; no fence.i:
  // the kernel's own write must drop the compiled code. "13".
  jitread: rwxProgram(`
  call hot
  call putdigit
  la a0, path
  li a1, 0
  li a7, 15
  ecall
  la a1, f
  li a2, 4
  li a7, 5
  ecall
  call hot
  call putdigit
  j exit0
path:
  .asciz "jitpatch"
  .align 2`),
  // fork; the child patches f (its copy-on-write copy of the page) and
  // runs it, the parent runs its own f after the child exits: "c3p1".
  jitcow: rwxProgram(`
  call hot
  li a7, 1
  ecall
  bnez a0, parent
  la t0, f
  la t2, patch
  lw t1, 0(t2)
  sw t1, 0(t0)
  fence.i
  li a0, 99
  call putc
  call hot
  call putdigit
  li a0, 0
  li a7, 2
  ecall
parent:
  li a0, 0
  li a7, 3
  ecall
  li a0, 112
  call putc
  call hot
  call putdigit
  j exit0`),
  // Runs f (1), then execs jitexecb: the same layout, f returns 5, so a
  // frame of the old image reused by the new one must not run old code. "15".
  jitexeca: rwxProgram(`
  call hot
  call putdigit
  la a0, next
  la a1, argv
  sd a0, 0(a1)
  li a7, 7
  ecall
  li a0, 120
  call putc
  j exit0
next:
  .asciz "jitexecb"
  .align 3
argv:
  .dword 0, 0`),
  jitexecb: rwxProgram(`
  call hot
  call putdigit
  j exit0`, 5),
};

function jitBootfs(): Uint8Array {
  const patch = assemble(".text\nli a0, 3\n").text;
  const extra: BootfsEntry[] = [
    ...Object.entries(PROGRAMS).map(([name, data]) => ({ name, type: 2, data }) as BootfsEntry),
    { name: "jitpatch", type: 2, data: patch } as BootfsEntry,
  ];
  return writeBootfs([...parseBootfs(bootfsImage()), ...extra]);
}

/** What is typed: given at power-on, so every machine gets it at the same
 *  virtual instant whatever its speed. The last command marks the end. */
const SCRIPT = [
  "jitstore", "jitread", "jitcow", "jitexeca", "jitexeca",
  "echo hi | wc", "forktest", "cowtest", "sigtest", "fptest", "spin 1 1", "ls", "echo end-of-script",
];
const END = /\nend-of-script\r?\n/;

function machine(jit: JitSetting, image: Uint8Array, cpus = 1): MachineHarness {
  return new MachineHarness({ ramBytes: 64 * MiB, modules: userlandModules(image), jit, cpus });
}

function runScript(h: MachineHarness, script = SCRIPT): MachineHarness {
  h.machine.input(script.join("\r") + "\r");
  h.runUntil(END, 0, 20_000);
  h.settle(20_000);
  return h;
}

describe("the JIT in the whole machine", () => {
  const image = jitBootfs();

  it("is refused with a clear error for a bad setting", () => {
    for (const jit of [0, -1, 1.5, "on", true] as unknown[]) {
      expect(() => new Machine(kernelModuleSync(), { ramBytes: 32 * MiB, clock: "deterministic", cmdline: "", jit: jit as JitSetting }, { uartOutput: () => {} }))
        .toThrow(MachineConfigError);
    }
  });

  it.each([1, 2])("runs the shell's programs exactly as the interpreter does at %i vCPU(s): same output, work and virtual time", { timeout: 600_000 }, (cpus) => {
    const plain = runScript(machine(false, image, cpus).boot());
    const jit = runScript(machine(1, image, cpus).boot());
    expect(plain.machine.jitStats()).toBeNull();
    const stats = jit.machine.jitStats()!;
    expect(stats.units).toBeGreaterThan(100);
    expect(stats.insns).toBeGreaterThan(10_000_000n); // spin's loop, mostly
    // The programs that change their code saw the change, JIT or not.
    for (const out of [plain.output, jit.output]) {
      expect(out).toMatch(/jitstore\r?\n13\r?\n/);
      expect(out).toMatch(/jitread\r?\n13\r?\n/);
      expect(out).toMatch(/jitcow\r?\nc3p1\r?\n/);
      expect(out.match(/jitexeca\r?\n15\r?\n/g)).toHaveLength(2);
      expect(out).toContain("forktest: OK");
      expect(out).toMatch(/\n\s+1\s+1\s+3\r?\n/);
    }
    expect(jit.output).toBe(plain.output);
    expect(jit.machine.stats().workTotal).toBe(plain.machine.stats().workTotal);
    expect(jit.machine.virtualNowNs).toBe(plain.machine.virtualNowNs);
  });

  it("gives each vCPU's kernel instance its own units, and two vCPUs still run exactly as interpreted", { timeout: 600_000 }, () => {
    // One vCPU turn per runFor() call for both machines: two vCPUs' work
    // still depends on how turns are grouped into runFor() calls (see
    // docs/hart.md "JIT", Status), which wall time decides, and the JIT
    // changes the wall time.
    const script = ["jitstore", "jitread", "jitcow", "jitexeca", "spin 2 1", "forktest", "echo end-of-script"];
    const byTurns = (h: MachineHarness): MachineHarness => {
      h.machine.input(script.join("\r") + "\r");
      for (let turns = 0; ; turns++) {
        if (turns > 1_000_000) throw new Error(`the script did not finish:\n${h.output}`);
        const report = h.machine.runFor(0);
        if (report.state === "idle" && report.wakeInMs === null && END.test(h.output)) return h;
        if (report.state === "halted" || report.state === "panicked") throw new Error(`machine ${report.state}:\n${h.output}`);
      }
    };
    const plain = byTurns(machine(false, image, 2).boot());
    const jit = byTurns(machine(1, image, 2).boot());
    const perCpu = jit.machine.jitStatsByCpu();
    expect(perCpu).toHaveLength(2);
    for (const stats of perCpu) expect(stats!.units).toBeGreaterThan(0);
    expect(plain.output).toMatch(/jitcow\r?\nc3p1\r?\n/);
    expect(plain.output).toMatch(/jitexeca\r?\n15\r?\n/);
    expect(jit.output).toBe(plain.output);
    expect(jit.machine.stats().workTotal).toBe(plain.machine.stats().workTotal);
    expect(jit.machine.virtualNowNs).toBe(plain.machine.virtualNowNs);
  });

  it("keeps no state in a snapshot: one taken with the JIT on continues identically with it on and off", { timeout: 600_000 }, async () => {
    const reference = runScript(machine(false, image).boot());
    const h = machine(1, image).boot();
    h.machine.input(SCRIPT.join("\r") + "\r");
    h.runUntil(/jitcow\r?\nc3p1/, 0, 20_000); // mid-script: the JIT has units for the programs so far
    expect(h.machine.jitStats()!.units).toBeGreaterThan(0);
    const buildId = await snapshotBuildId(new Uint8Array(0));
    const snapshot = await decodeSnapshot(await saveSnapshot(h.machine, buildId), buildId);
    const before = h.output;
    for (const jit of [1, false, 64] as JitSetting[]) {
      const copy = new MachineHarness({}, (callbacks) =>
        restoreMachine(kernelModuleSync(), snapshot, callbacks, { modules: userlandModules(image), jit }));
      copy.runUntil(END, 0, 20_000);
      copy.settle(20_000);
      expect(before + copy.output).toBe(reference.output);
      expect(copy.machine.stats().workTotal).toBe(reference.machine.stats().workTotal);
      expect(copy.machine.virtualNowNs).toBe(reference.machine.virtualNowNs);
      if (jit !== false) expect(copy.machine.jitStats()!.units).toBeGreaterThan(0);
    }
  });
});
