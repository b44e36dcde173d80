// Issue 4 end to end: real RV64 programs (user/bin, built by clang) run by
// the kernel under the shell, in deterministic mode, driven through the
// console exactly as a user types.

import { readFileSync } from "node:fs";
import { beforeEach, describe, expect, it } from "vitest";
import { MachineHarness, userlandModules, bootfsImage } from "./testing/machine-harness.js";
import { parseBootfs, writeBootfs, type BootfsEntry } from "../user/mkbootfs.js";
import { writeElf, EHDR_SIZE, PHDR_SIZE } from "./rv/elf.js";
import { assemble, assembleProgram } from "./rv/asm.js";

const MONITOR_KEY = "\x1d";

/** vCPUs of the machines the tests below boot: every test runs at 1 and at 2
 *  (docs/architecture.md "Several vCPUs"). */
let cpus = 1;

function bootShell(modules = userlandModules()): MachineHarness {
  const h = new MachineHarness({ ramBytes: 64 * 1024 * 1024, modules, cpus }).boot();
  h.runUntil("\n$ ");
  return h;
}

/** Free frames according to the kernel monitor's `mem`. */
function freeFrames(h: MachineHarness): number {
  return Number(/(\d+) free \(/.exec(h.monitor("mem"))![1]);
}

describe.each([1, 2])("the shell and its programs, %i vCPU(s)", (vcpus) => {
  beforeEach(() => {
    cpus = vcpus;
  });

  it("boots to init and the shell prompt", () => {
    const h = bootShell();
    expect(h.output).toContain("init: started as pid 1");
    expect(h.output.endsWith("$ ")).toBe(true);
  });

  it("runs a pipeline", () => {
    expect(bootShell().shell("echo hi | wc")).toMatch(/^\s+1\s+1\s+3$/m);
  });

  it("runs a three-stage pipeline with grep's regular expressions", () => {
    const out = bootShell().shell("cat README | grep ^Keel | wc");
    expect(out).toMatch(/^\s+[1-9]\d*\s+\d+\s+\d+$/m);
  });

  it("lists the boot file system with ls", () => {
    const out = bootShell().shell("ls");
    for (const name of ["init", "sh", "console", "README"]) expect(out).toMatch(new RegExp(`^${name}\\s`, "m"));
  });

  it("gives a long listing with ls -l: type, links, inode, size, name", () => {
    const h = bootShell();
    const out = h.shell("ls -l");
    expect(out).toMatch(/^d\s+\d+\s+1\s+\d+ \.$/m);
    expect(out).toMatch(/^c\s+1\s+\d+\s+0 console$/m);
    expect(out).toMatch(/^-\s+1\s+\d+\s+[1-9]\d* README$/m);
    expect(h.shell("ls -l README")).toMatch(/^-\s+1\s+\d+\s+[1-9]\d* README$/m);
    // The plain listing is unchanged, an unknown option is refused, and
    // "--" makes "-l" a name.
    expect(h.shell("ls README")).toMatch(/^README\s+file\s+\d+\s+\d+$/m);
    expect(h.shell("ls -x")).toContain("ls: -x: unknown option (usage: ls [-l] [PATH...])");
    expect(h.shell("ls -- -l")).toMatch(/ls: -l: open: no such file/);
  });

  it("redirects input and runs sequences", () => {
    const out = bootShell().shell("wc < README ; echo done");
    expect(out).toMatch(/^\s+\d+\s+\d+\s+\d+$/m);
    expect(out).toContain("done");
  });

  it("wakes a reader when the last writer exits without closing (sleep 1 | wc)", () => {
    expect(bootShell().shell("sleep 1 | wc")).toMatch(/^\s+0\s+0\s+0$/m);
  });

  it("passes every system-call check of syscalltest except the writable file system group", () => {
    const out = bootShell().shell("syscalltest");
    const failures = out.split("\n").filter((line) => line.startsWith("FAIL"));
    expect(failures).toEqual([expect.stringContaining("read-only file system")]);
    expect(out).toMatch(/syscalltest: (\d+) passed, 1 failed/);
    expect(Number(/syscalltest: (\d+) passed/.exec(out)![1])).toBeGreaterThan(200);
  });

  it("forks, execs and waits (forktest)", () => {
    expect(bootShell().shell("forktest")).toContain("forktest: OK");
  });

  it("reports a missing program and bad syntax clearly", () => {
    const h = bootShell();
    expect(h.shell("frobnicate")).toContain("sh: frobnicate: not found");
    expect(h.shell("echo a | | wc")).toMatch(/sh: syntax error/);
  });

  it("kills background processes, including one blocked in a read", () => {
    const h = bootShell();
    // In deterministic mode an idle machine skips ahead to the next timer
    // deadline, so a sleeper would finish at once; spinners keep time busy.
    h.shell("spin 1 1000 &");
    const ps = h.shell("ps");
    const pids = [...ps.matchAll(/^\s*(\d+)\s+\d+\s+(\w+)\s.*\bspin$/gm)];
    expect(pids.length, ps).toBe(2); // the parent (blocked reading its pipe) and one spinner
    expect(pids.some((m) => m[2] === "sleeping"), ps).toBe(true);
    h.shell(`kill ${pids.map((m) => m[1]).join(" ")}`);
    h.shell("echo settle");
    expect(h.shell("ps")).not.toMatch(/\bspin$/m);
  });

  it("keeps the shell responsive while CPU-bound programs spin, and shares the CPU fairly", () => {
    const h = bootShell();
    h.shell("spin 2 2 &");
    const mark = h.output.length;
    expect(h.shell("echo alive")).toContain("alive");
    expect(h.shell("ps")).toMatch(/\bspin$/m); // the shell answered while they ran
    const report = h.runUntil(/children used/, mark, 20_000);
    const shares = [...report.matchAll(/(\d+\.\d)%$/gm)].map((m) => Number(m[1]));
    expect(shares.length).toBe(2);
    for (const share of shares) expect(Math.abs(share - 50)).toBeLessThan(10);
  });

  it("gives a nicer process a smaller share", () => {
    const h = bootShell();
    const report = h.shell("spin 2 2 0 5");
    const shares = [...report.matchAll(/^\s*\d+\s+(-?\d+)\s+\d+\s+\d+\s+(\d+\.\d)%$/gm)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(shares).toHaveLength(2);
    const nice0 = shares.find(([n]) => n === 0)?.[1] ?? 0;
    const nice5 = shares.find(([n]) => n === 5)?.[1] ?? 100;
    expect(nice0).toBeGreaterThan(nice5 * 2); // 1.25^5 is about 3
  });

  it("kills only the offender when a program faults, with one line naming it", () => {
    const fault = assembleProgram(".text\n_start:\n  li t0, 0x10000000\n  ld t1, 0(t0)\n").elf;
    const entries = parseBootfs(bootfsImage());
    const image = writeBootfs([...entries, { name: "faulter", type: 2, data: fault } as BootfsEntry]);
    const h = bootShell(userlandModules(image));
    const out = h.shell("faulter");
    expect(out).toMatch(/pid \d+ \(faulter\): killed by load page fault at pc 0x[0-9a-f]+ address 0x0+10000000/);
    expect(h.shell("echo still here")).toContain("still here");
  });

  it("rejects malformed executables with a clear reason and survives", () => {
    const good = assembleProgram(".text\n_start:\n  li a7, 2\n  ecall\n").elf;
    const badMagic = good.slice();
    badMagic[1] = 0x58;
    const wrongMachine = good.slice();
    wrongMachine[18] = 62; // x86-64
    const truncated = good.slice(0, 40);
    const entryOutside = writeElf({ entry: 0x9000n, segments: [{ vaddr: 0n, data: good.subarray(0x1000, 0x1008), flags: 5 }] });
    const overlapping = writeElf({
      entry: 0n,
      segments: [
        { vaddr: 0n, data: new Uint8Array(0x1800), flags: 5 },
        { vaddr: 0x1000n, data: new Uint8Array(16), flags: 6 },
      ],
    });
    const withFlags = (flags: number): Uint8Array => {
      const b = good.slice();
      new DataView(b.buffer).setUint32(48, flags, true);
      return b;
    };
    const phField = (b: Uint8Array, i: number, field: number, value: bigint): Uint8Array => {
      const c = b.slice();
      new DataView(c.buffer).setBigUint64(EHDR_SIZE + i * PHDR_SIZE + field, value, true);
      return c;
    };
    const twoSegments = writeElf({
      entry: 0x10000n,
      segments: [
        { vaddr: 0x10000n, data: good.subarray(0x1000, 0x1008), flags: 5 },
        { vaddr: 0x10100n, data: new Uint8Array(16), memsz: 0x100n, flags: 6 },
      ],
    });
    const bad: [string, Uint8Array, RegExp][] = [
      ["badmagic", badMagic, /bad ELF magic/],
      ["rve", withFlags(0x9), /RVE base/],
      ["quadfloat", withFlags(0x7), /quad-float ABI/],
      ["oddflags", withFlags(0x1005), /unknown RISC-V e_flags/],
      ["offpage", phField(twoSegments, 1, 8, 0x10f8n), /address and file offset differ within a page/],
      ["kernelhalf", phField(twoSegments, 1, 16, 0xffff_ffc0_0000_0100n), /outside user memory/],
      ["sharebyte", phField(twoSegments, 0, 40, 0x101n), /segments overlap/],
      ["bigfilesz", phField(twoSegments, 1, 40, 8n), /p_memsz smaller than p_filesz/],
      ["pastfile", phField(twoSegments, 1, 32, 0x10n + 0x10000n), /beyond the end of the file/],
      ["x86", wrongMachine, /not for RISC-V/],
      ["short", truncated, /shorter than an ELF header/],
      ["entryout", entryOutside, /entry point is outside/],
      ["overlap", overlapping, /segments overlap/],
    ];
    const entries = parseBootfs(bootfsImage());
    const image = writeBootfs([...entries, ...bad.map(([name, data]) => ({ name, type: 2, data }) as BootfsEntry)]);
    const h = bootShell(userlandModules(image));
    for (const [name, , reason] of bad) {
      const out = h.shell(name);
      expect(out).toContain(`sh: ${name}: cannot execute`);
      expect(out).toMatch(reason);
    }
    expect(h.shell("echo fine")).toContain("fine");
  });

  it("runs a segment that starts mid-page on the text's page: both segments' bytes, the union of their permissions", () => {
    // Text at 0x10000 and data at 0x10100 on the same page (the file offsets
    // line up with the addresses within the page, as Linux requires). The
    // program writes into its data (so the shared page must be writable),
    // prints it, and exits.
    const code = assemble(`.text\n_start:\n  li t0, 0x10100\n  li t1, 0x6f\n  sb t1, 0(t0)\n  li a0, 1\n  mv a1, t0\n  li a2, 3\n  li a7, 16\n  ecall\n  li a0, 0\n  li a7, 2\n  ecall\n`).text;
    expect(code.length).toBeLessThan(0x100);
    const shared = writeElf({
      entry: 0x10000n,
      segments: [
        { vaddr: 0x10000n, data: code, flags: 5 },
        { vaddr: 0x10100n, data: new TextEncoder().encode("xk\n"), memsz: 0x2000n, flags: 6 },
      ],
    });
    const entries = parseBootfs(bootfsImage());
    const image = writeBootfs([...entries, { name: "sharedpg", type: 2, data: shared } as BootfsEntry]);
    const h = bootShell(userlandModules(image));
    const out = h.shell("sharedpg");
    expect(out).toMatch(/^ok$/m);
    expect(out).not.toMatch(/killed|cannot execute/);
    expect(h.shell("echo fine")).toContain("fine");
  });

  it("runs stock clang/lld layouts: fptest (rv64gc/lp64d, lld's default) and segs (-Ttext=) print exactly what they print under qemu-riscv64", () => {
    // user/test/*.expected is the qemu-riscv64 output (user/programs.test.ts
    // checks it against a fresh run there).
    const h = bootShell();
    for (const p of ["fptest", "segs"]) {
      const seen = h.shell(p);
      const out = seen.slice(seen.indexOf("\n") + 1, seen.length - "$ ".length);
      expect(out).toBe(readFileSync(new URL(`../user/test/${p}.expected`, import.meta.url), "utf8"));
    }
  });

  it("keeps FP state per process: a forked child's registers and rounding mode never reach the parent, exec clears them", () => {
    const out = bootShell().shell("fptest fork");
    // Both spin, CPU-bound, long enough to be switched out several times on
    // one vCPU; on two each may keep a vCPU of its own (and both then run
    // between the other's turns, which is what is checked).
    const switched = cpus === 1 ? "yes" : "(yes|no)";
    expect(out).toMatch(new RegExp(`^child: FP state intact, descheduled ${switched}$`, "m"));
    expect(out).toMatch(new RegExp(`^parent: FP state intact, descheduled ${switched}$`, "m"));
    expect(out).toMatch(/^fresh: fcsr and f0..f31 zero after exec$/m);
    expect(out).toMatch(/^fork: OK$/m);
  });

  it("refuses an image with more segments than a process has regions for, rather than losing its heap", () => {
    // Fourteen small segments: each would be a region beside guard, stack and
    // heap (16 in all). The program grows its heap and writes to it.
    const code = assemble(`.text\n_start:\n  li a0, 4096\n  li a7, 12\n  ecall\n  li t0, 0x6b6f\n  sh t0, 0(a0)\n  li t1, 10\n  sb t1, 2(a0)\n  mv a1, a0\n  li a0, 1\n  li a2, 3\n  li a7, 16\n  ecall\n  li a0, 0\n  li a7, 2\n  ecall\n`).text;
    const make = (segments: number): Uint8Array => writeElf({
      entry: 0x10000n,
      segments: [{ vaddr: 0x10000n, data: code, flags: 5 },
        ...Array.from({ length: segments - 1 }, (_, i) => ({ vaddr: 0x20000n + BigInt(i) * 0x1000n, data: new Uint8Array([i]), flags: 6 }))],
    });
    const entries = parseBootfs(bootfsImage());
    const image = writeBootfs([...entries, { name: "manyseg", type: 2, data: make(13) } as BootfsEntry, { name: "toomanyseg", type: 2, data: make(14) } as BootfsEntry]);
    const h = bootShell(userlandModules(image));
    expect(h.shell("manyseg")).toMatch(/^ok$/m);
    const out = h.shell("toomanyseg");
    expect(out).toContain("sh: toomanyseg: cannot execute");
    expect(out).toMatch(/more loadable segments than a process holds/);
    expect(h.shell("echo fine")).toContain("fine");
  });

  it("returns every frame after 200 fork/exit cycles", () => {
    const h = bootShell();
    h.shell("forktest"); // warm caches (slabs, the shell's own heap)
    const before = freeFrames(h);
    for (let i = 0; i < 7; i++) expect(h.shell("forktest")).toContain("forktest: OK"); // 7 x 32 children
    expect(freeFrames(h)).toBe(before);
  });

  it("reaches the kernel monitor with Ctrl-] and comes back", () => {
    const h = bootShell();
    const mark = h.output.length;
    h.machine.input(MONITOR_KEY);
    h.runUntil("keel> ", mark);
    expect(h.command("help")).toContain("Keel kernel monitor");
    h.machine.input(MONITOR_KEY);
    h.runUntil("[back to user programs]", mark);
    expect(h.shell("echo back")).toContain("back");
  });

  it("ends input with Ctrl-D: cat returns at end of file", () => {
    const h = bootShell();
    const mark = h.output.length;
    h.machine.input("cat\rline one\r\x04");
    const out = h.runUntil(/\n\$ $/, mark);
    expect(out).toContain("line one\nline one");
  });
});
