// The kernel's memory promises, on the real kernel with real programs
// (user/prog/memtest.c): both sbrk generations with a lazy heap far beyond
// RAM, no frame lost on any exit path (checked from outside with the inspect
// export's accounting), the out-of-memory policy (a hog cannot take the
// shell down), and exec of damaged ELF files.

import { describe, expect, it } from "vitest";
import { MachineHarness, userlandModules, bootfsImage } from "./testing/machine-harness.js";
import { parseBootfs, writeBootfs, type BootfsEntry } from "../user/mkbootfs.js";
import { memoryBaseline, memoryUsage, expectMemoryBack } from "./testing/memory-baseline.js";

const MIB = 1024 * 1024;

function bootShell(ramBytes = 64 * MIB, image?: Uint8Array): MachineHarness {
  const h = new MachineHarness({ ramBytes, modules: userlandModules(image) }).boot();
  h.runUntil("\n$ ");
  return h;
}

const memory = memoryUsage;
const baseline = memoryBaseline;
const expectBack = expectMemoryBack;

function run(h: MachineHarness, line: string): string {
  return h.shell(line);
}

/** Starts `line &` and returns once the shell has prompted again (the job's
 *  own output may come before or after that prompt). */
function background(h: MachineHarness, line: string): void {
  const mark = h.output.length;
  h.machine.input(`${line} &\r`);
  h.runUntil(/\n\$ /, mark);
}

describe("sbrk: both generations, a lazy heap beyond RAM", () => {
  it("passes xv6's lazy_alloc, lazy_unmap and sbrkfail, and a lazy heap of 8 GiB on 64 MiB", () => {
    const h = bootShell();
    run(h, "memtest fork"); // warm caches
    const before = baseline(h);
    for (const c of ["lazy_alloc", "lazy_unmap", "sbrkfail", "beyond"]) {
      const out = run(h, `memtest ${c}`);
      expect(out, out).toContain(`memtest ${c}: OK`);
      expectBack(h, before, c);
    }
    expect(h.output).toMatch(/\(memtest\): killed: out of memory/); // sbrkfail's lazy hog
  });

  it("takes a1 = 2 as lazy, 1 as eager and anything else as the heap mode (syscalltest)", () => {
    const out = bootShell().shell("syscalltest");
    for (const line of ["sbrklazy(16 MiB) returns the old break", "sbrklazy pages read as zero", "sbrkmode(1) returns 0",
      "lazy pages read as zero", "sbrklazy(-16 MiB) gave it all back"]) expect(out).toContain(`ok   ${line}`);
  });
});

describe("every frame comes back", () => {
  it("on every exit path: fork, exec failures, kill while blocked, pipes, IPC, shared memory", () => {
    const h = bootShell();
    const cases = ["fork", "execbad", "execargs", "execnomem", "killpiperead", "killpipewrite", "killwait", "killsleep",
      "killrecv", "pipe", "ipc", "shm"];
    for (const c of cases) run(h, `memtest ${c}`); // warm: slabs, the shell's heap
    run(h, "echo settle");
    const before = baseline(h);
    for (const c of cases) {
      const out = run(h, `memtest ${c}`);
      expect(out, out).toContain(`memtest ${c}: OK`);
      run(h, "echo settle"); // a grandchild killed last may still be exiting
      expectBack(h, before, c);
    }
  });
});

describe("out of memory", () => {
  it("stops one hog at the per-process limit: the shell, ps and kill keep working", () => {
    const h = bootShell();
    const limitMib = Math.floor(memory(h).free / 2 / 256);
    const before = baseline(h);
    const mark = h.output.length;
    background(h, "memtest hog");
    const report = h.runUntil(/memtest hog: \d+ MiB.*\n/, mark);
    const mib = Number(/memtest hog: (\d+) MiB, then (.*)/.exec(report)![1]);
    expect(report).toContain("over the per-process memory limit");
    expect(mib).toBeGreaterThan(limitMib - 4);
    expect(mib).toBeLessThanOrEqual(limitMib);
    expect(memory(h).free).toBeGreaterThan(1000);
    expect(run(h, "echo alive")).toContain("alive");
    const ps = run(h, "ps");
    const pid = /^\s*(\d+)\s+\d+\s+\w+\s.*\bmemtest$/m.exec(ps)![1];
    run(h, `kill ${pid}`);
    run(h, "echo settle");
    expectBack(h, before, "after the hog");
  });

  it("kills the largest process, not the shell, when hogs together exhaust memory", () => {
    const h = bootShell();
    const before = baseline(h);
    // Each may hold half of memory: the third takes free frames to the reserve.
    for (let i = 0; i < 3; i++) {
      const mark = h.output.length;
      background(h, "memtest hog");
      h.runUntil(/memtest hog: \d+ MiB/, mark);
    }
    expect(h.output).toMatch(/out of memory: killed pid \d+ \(memtest\), the largest process, holding \d+ frames, for pid \d+/);
    expect(memory(h).free).toBeGreaterThan(64);
    expect(run(h, "echo still here")).toContain("still here");
    // The victim's job ended by SIGKILL, as waitpid tells the shell.
    expect(h.output).toMatch(/\n\[\d+\] Killed  memtest hog &\n/);
    const ps = run(h, "ps");
    const hogs = [...ps.matchAll(/^\s*(\d+)\s+\d+\s+\w+\s.*\bmemtest$/gm)].map((m) => m[1]);
    // Every kill took a hog, never the shell: a hog that grows back into the
    // freed memory can bring the next small allocation (the echo's) to the
    // reserve again, so one or two hogs may go; at least one is left.
    const victims = [...h.output.matchAll(/out of memory: killed pid \d+ \((\w+)\)/g)].map((m) => m[1]);
    expect(victims.length).toBeGreaterThanOrEqual(1);
    expect(victims.every((name) => name === "memtest")).toBe(true);
    expect(hogs).toHaveLength(3 - victims.length);
    expect(hogs.length).toBeGreaterThanOrEqual(1);
    expect(ps).toMatch(/\bsh$/m);
    run(h, `kill ${hogs.join(" ")}`);
    run(h, "echo settle");
    expectBack(h, before, "after two hogs");
  });

  it("kills a lazy heap's process with a clear message when its page cannot have a frame", () => {
    const h = bootShell();
    const before = baseline(h);
    const out = run(h, "memtest lazyhog");
    expect(out).toMatch(/pid \d+ \(memtest\): killed: out of memory \(per-process limit of \d+ frames\) at pc 0x[0-9a-f]+ address 0x[0-9a-f]+/);
    expect(run(h, "echo fine")).toContain("fine");
    expectBack(h, before, "after the lazy hog");
  });
});

/** xorshift32, so a failure names a seed that reproduces it. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x;
  };
}

describe("exec of damaged ELF files", () => {
  it("refuses or runs-and-kills bit-flipped copies of a real program, and every frame comes back", () => {
    const seed = Number(process.env.KEEL_ELF_SEED ?? 0x5eed);
    const copies = Number(process.env.KEEL_ELF_FLIPS ?? 40);
    const next = rng(seed);
    const entries = parseBootfs(bootfsImage());
    const echo = entries.find((e) => e.name === "echo" && e.type === 2) as Extract<BootfsEntry, { type: 2 }>;
    const headerView = new DataView(echo.data.buffer, echo.data.byteOffset);
    const headers = Number(headerView.getBigUint64(32, true)) + headerView.getUint16(56, true) * 56; // ELF + program headers
    const flipped: BootfsEntry[] = [];
    for (let i = 0; i < copies; i++) {
      const data = echo.data.slice();
      const flips = 1 + (next() % 3);
      for (let f = 0; f < flips; f++) {
        // Headers most of the time: that is where a flip changes what exec builds.
        const at = next() % 4 !== 0 ? next() % headers : next() % data.length;
        data[at]! ^= 1 << (next() % 8);
      }
      flipped.push({ name: `f${i}`, type: 2, data } as BootfsEntry);
    }
    const h = bootShell(64 * MIB, writeBootfs([...entries, ...flipped]));
    run(h, "echo warm");
    run(h, "echo settle");
    const before = baseline(h);
    const mark = h.output.length;
    let left: string[] = [];
    const sweep = (): void => {
      // Whatever still runs (a flip can make a loop) is killed from the shell.
      run(h, "echo settle");
      const ps = run(h, "ps");
      const running = [...ps.matchAll(/^\s*(\d+)\s+\d+\s+\w+\s.*\bf\d+$/gm)].map((m) => m[1]!);
      if (running.length > 0) run(h, `kill ${running.join(" ")}`);
      run(h, "echo settle");
      left = [...left, ...running];
    };
    for (let i = 0; i < copies; i++) {
      background(h, `f${i} x`);
      if (i % 10 === 9) sweep();
    }
    sweep();
    const refused = [...h.since(mark).matchAll(/sh: f\d+: cannot execute/g)].length;
    const killed = [...h.since(mark).matchAll(/\(f\d+\): killed by/g)].length;
    console.log(`damaged ELF files, seed ${seed}: ${copies} copies, ${refused} refused, ${killed} killed by a trap, ${left.length} killed from the shell`);
    expect(refused, `seed ${seed}`).toBeGreaterThan(copies / 4);
    expect(refused, `seed ${seed}`).toBeLessThan(copies);
    expect(run(h, "echo shell works")).toContain("shell works");
    expectBack(h, before, `seed ${seed}`);
  });

  it("refuses an image larger than the per-process limit before allocating anything", () => {
    const entries = parseBootfs(bootfsImage());
    const echo = entries.find((e) => e.name === "echo" && e.type === 2) as Extract<BootfsEntry, { type: 2 }>;
    const big = echo.data.slice();
    const view = new DataView(big.buffer);
    const phoff = Number(view.getBigUint64(32, true));
    const phnum = view.getUint16(56, true);
    let last = -1;
    for (let i = 0; i < phnum; i++) if (view.getUint32(phoff + i * 56, true) === 1) last = i;
    view.setBigUint64(phoff + last * 56 + 40, 1n << 40n, true); // p_memsz: a terabyte of bss
    const h = bootShell(64 * MIB, writeBootfs([...entries, { name: "bigbss", type: 2, data: big } as BootfsEntry]));
    const before = baseline(h);
    const out = run(h, "bigbss");
    expect(out).toContain("program image larger than the per-process memory limit");
    expectBack(h, before, "bigbss");
  });
});
