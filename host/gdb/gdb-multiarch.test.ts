// End to end: the real gdb-multiarch, unmodified, in batch mode against
// the headless runner's GDB server (npm run boot -- --gdb ...), debugging
// wc as a user would (docs/debugging.md): break in main, registers, a
// single step, memory at sp, a hardware watchpoint, continue to exit.
// Skipped with a visible reason when gdb-multiarch is missing outside CI;
// in CI (.ci/run installs it) it must run.

import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { GDB, gdbFound, runGdb as runGdbIn, startWatched, type Watched } from "../testing/gdb-process.js";

const require = createRequire(import.meta.url);
const tsxCli = require.resolve("tsx/cli");
const runner = fileURLToPath(new URL("../node/boot.ts", import.meta.url));
const repo = fileURLToPath(new URL("../../", import.meta.url));

if (!gdbFound && !process.env.CI) {
  console.warn(`host/gdb/gdb-multiarch.test.ts: skipped: ${GDB} is not installed (apt-get install gdb-multiarch)`);
}

type Runner = Watched;

function startRunner(args: string[]): Runner {
  return startWatched([tsxCli, runner, ...args], repo, "runner");
}

/** A runner with its GDB server (args), the shell line typed, and the attach it makes (--gdb-attach in args). */
async function attachedRunner(args: string[], line: string): Promise<{ r: Runner; port: number; pid: number }> {
  const r = (running = startRunner(args));
  const [, port] = await r.waitFor(/gdb: listening on 127\.0\.0\.1:(\d+)/, 30_000);
  r.child.stdin!.write(`${line}\n`);
  const [, pid] = await r.waitFor(/gdb: attached to pid (\d+), stopped/, 30_000);
  return { r, port: Number(port), pid: Number(pid) };
}

/** wc printed its counts of "hello world\n", and the runner ends with its input. */
async function wcFinished(r: Runner): Promise<void> {
  expect(r.stdout()).toMatch(/^\s+1\s+2\s+12\r?$/m);
  r.child.stdin!.end();
  expect(await r.exited).toBe(0);
}

function runGdb(port: number, commands: string[], binary: string): Promise<{ status: number | null; output: string }> {
  return runGdbIn(port, commands, binary, repo);
}

let running: Runner | null = null;
afterEach(() => {
  running?.child.kill("SIGKILL");
  running = null;
});

describe.skipIf(!gdbFound && !process.env.CI)("gdb-multiarch against the headless runner", () => {
  it("breaks in main, steps, reads registers and memory, hits a watchpoint and continues to exit", async () => {
    expect(gdbFound, `${GDB} must be installed in CI (.ci/run)`).toBe(true);
    const { r, port, pid } = await attachedRunner(["--clock", "deterministic", "--gdb", "0", "--gdb-attach", "wc"], "echo hello world | wc");

    const { status, output } = await runGdb(port, [
      "info registers pc",
      "break main",
      "continue",
      "info registers pc",
      "stepi",
      "info registers pc",
      "info registers sp",
      "x/4xw $sp",
      "info threads",
      "watch total.bytes",
      "continue",
      "print total.bytes",
      "set $fa0 = 1.5",
      "print $fa0",
      "set $frm = 2",
      "info registers fcsr",
      "delete",
      "continue",
    ], "user/bin/wc.debug");

    expect(status, output).toBe(0);
    // Attached at the first instruction: wc's entry point, _start at 0.
    expect(output).toMatch(/pc\s+0x0\s+0x0 <_start>/);
    expect(output).toMatch(/Breakpoint 1 at 0x[0-9a-f]+: file \.\/user\/prog\/wc\.c/);
    expect(output).toMatch(/Breakpoint 1, main \(argc=1, argv=0x[0-9a-f]+\) at \.\/user\/prog\/wc\.c:\d+/);
    const pcs = [...output.matchAll(/^pc\s+(0x[0-9a-f]+)\s+0x[0-9a-f]+ <(\w+)(\+\d+)?>/gm)].map((m) => ({ pc: BigInt(m[1]!), fn: m[2] }));
    expect(pcs.length).toBe(3);
    expect(pcs[1]!.fn).toBe("main");
    // One instruction further: 2 or 4 bytes on, or wherever a jump went.
    expect(pcs[2]!.pc).not.toBe(pcs[1]!.pc);
    const sp = /^sp\s+(0x[0-9a-f]+)/m.exec(output);
    expect(sp).not.toBeNull();
    // The words at sp as gdb read them through the process's page table.
    expect(output).toMatch(new RegExp(`^${sp![1]}:(\\s+0x[0-9a-f]{8}){4}$`, "m"));
    expect(output).toMatch(new RegExp(`\\* 1\\s+Thread ${pid}`));
    expect(output).toContain("Hardware watchpoint 2: total.bytes");
    expect(output).toMatch(/Old value = 0\s+New value = 12/); // "hello world\n" is 12 bytes
    expect(output).toMatch(/in count \(fd=0/);
    expect(output).toContain("$1 = 12");
    // The F/D registers (feature org.gnu.gdb.riscv.fpu), read and written with p and P.
    expect(output).toContain("$2 = {float = 0, double = 1.5}");
    expect(output).toMatch(/^fcsr\s+0x40\s.*FRM:2/m);
    expect(output).toContain("[Inferior 1 (Remote target) exited normally]");

    // The program's own output is whole, and the runner ends with its input.
    await wcFinished(r);
  }, 90_000);

  it("runs backwards: reverse-stepi, reverse-continue to a watchpoint and to a breakpoint, the start of history", async () => {
    const { r, port } = await attachedRunner(["--clock", "deterministic", "--gdb", "0", "--gdb-attach", "wc", "--gdb-snapshot-every", "1"], "echo hello world | wc");
    const { status, output } = await runGdb(port, [
      "break main",
      "continue",
      "stepi",
      "info registers pc a0 a1 sp",
      "stepi",
      "stepi",
      "info registers pc a0 a1 sp",
      "reverse-stepi",
      "reverse-stepi",
      "info registers pc a0 a1 sp",
      "watch total.bytes",
      "continue",
      "next",
      "next",
      "reverse-continue",
      "print total.bytes",
      "delete 2",
      "reverse-continue",
      "info registers pc",
      "reverse-continue",
      "info registers pc",
      "delete",
      "continue",
    ], "user/bin/wc.debug");
    if (process.env.GDB_SHOW) console.log(output);
    expect(status, output).toBe(0);
    // Two reverse steps after two steps: exactly the registers seen then.
    const regs = [...output.matchAll(/^pc\s+(0x[0-9a-f]+).*\n^a0\s+(0x[0-9a-f]+).*\n^a1\s+(0x[0-9a-f]+).*\n^sp\s+(0x[0-9a-f]+)/gm)].map((m) => m.slice(1).join(" "));
    expect(regs.length).toBe(3);
    expect(regs[2]).toBe(regs[0]);
    expect(regs[1]).not.toBe(regs[0]);
    // Going forward the watchpoint saw 0 -> 12; backwards gdb reports it the other way round, before the store.
    expect(output).toMatch(/Old value = 0\s+New value = 12/);
    expect(output).toMatch(/Hardware watchpoint 2: total\.bytes\s+Old value = 12\s+New value = 0/);
    expect(output).toContain("$1 = 0");
    // With only the breakpoint left: back at main, where it was hit; then the start of history, where gdb attached.
    expect([...output.matchAll(/Breakpoint 1, main \(argc=1/g)].length).toBe(2);
    expect(output).toMatch(/^pc\s+0x[0-9a-f]+\s+0x[0-9a-f]+ <main\+\d+>/m);
    expect(output).toContain("No more reverse-execution history.");
    expect(output).toMatch(/^pc\s+0x0\s+0x0 <_start>/m);
    expect(output).toContain("[Inferior 1 (Remote target) exited normally]");
    // The program ran to its end once more, from the beginning of history, and printed its line.
    await wcFinished(r);
  }, 90_000);

  it("a watchpoint sees the bytes read() copies into a buffer, forwards and backwards", async () => {
    const { r, port } = await attachedRunner(["--clock", "deterministic", "--gdb", "0", "--gdb-attach", "wc", "--gdb-snapshot-every", "1"], "echo hello world | wc");
    const { status, output } = await runGdb(port, [
      "break main",
      "continue",
      "watch buf[0]",
      "continue", // the kernel's copyout in read() writes buf: the stop comes after the call
      "print buf[0]",
      "reverse-continue", // back to before the read() that wrote it
      "print buf[0]",
      "x/i $pc",
      "delete",
      "continue",
    ], "user/bin/wc.debug");
    if (process.env.GDB_SHOW) console.log(output);
    expect(status, output).toBe(0);
    expect(output).toMatch(/Hardware watchpoint 2: buf\[0\]\s+Old value = 0 '\\000'\s+New value = 104 'h'/);
    expect(output).toContain("$1 = 104 'h'");
    expect(output).toMatch(/Hardware watchpoint 2: buf\[0\]\s+Old value = 104 'h'\s+New value = 0 '\\000'/);
    expect(output).toContain("$2 = 0 '\\000'");
    // gdb steps back over the ecall that stopped it (a watchpoint it cannot step past on RISC-V): read()'s first instruction.
    expect(output).toMatch(/=> 0x[0-9a-f]+ <read>:\s+li\s+a7,5/);
    expect(output).toContain("[Inferior 1 (Remote target) exited normally]");
    await wcFinished(r);
  }, 90_000);

  it("shows a threaded process's threads: info threads, each thread's hits and registers, threads ending, reverse-stepi", async () => {
    const { r, port, pid } = await attachedRunner(["--clock", "deterministic", "--gdb", "0", "--gdb-attach", "gdbthreads", "--gdb-snapshot-every", "1"], "gdbthreads");
    const { status, output: raw } = await runGdb(port, [
      "break step",
      "continue", // the first worker's first call
      "info threads",
      "print hits",
      "thread 3", // the second worker, held at its first instruction while the first is stopped
      "info registers pc",
      "thread 2",
      "info registers pc",
      "stepi",
      "stepi",
      "info registers pc sp a0",
      "stepi",
      "reverse-stepi",
      "info registers pc sp a0",
      "continue",
      "continue",
      "continue", // the second worker's first call
      "print me",
      "print $_thread",
      "delete",
      "rwatch greeting[5]", // no instruction reads it: write() does, in the kernel
      "continue",
      "info threads",
      "delete",
      "continue",
    ], "user/bin/gdbthreads.debug");
    // gdb 13 warns about every pc in the system call stubs (usys.S's DWARF 5 line table); they are no part of what is tested.
    const output = raw.split("\n").filter((line) => !line.startsWith("warning: (")).join("\n");
    if (process.env.GDB_SHOW) console.log(output);
    expect(status, output).toBe(0);
    const tid = (n: number) => pid + n; // gdbthreads' workers are the next ids after its pid
    expect(output).toContain(`[New Thread ${tid(1)}]`);
    expect(output).toContain(`[New Thread ${tid(2)}]`);
    expect(output).toMatch(/Thread 2 hit Breakpoint 1, step \(me=0\) at \.\/user\/prog\/gdbthreads\.c:\d+/);
    // info threads: the three threads, what each is doing, the current one starred.
    expect(output).toMatch(new RegExp(`^  1 +Thread ${pid} \\(pid ${pid} tid ${pid} \\(main\\), stopped, sleeping: join\\) `, "m"));
    expect(output).toMatch(new RegExp(`^\\* 2 +Thread ${tid(1)} \\(pid ${pid} tid ${tid(1)}, stopped, runnable\\) +step \\(me=0\\)`, "m"));
    expect(output).toMatch(new RegExp(`^  3 +Thread ${tid(2)} \\(pid ${pid} tid ${tid(2)}, stopped, runnable\\) +thread_start `, "m"));
    expect(output).toContain("$1 = {0, 0}"); // all-stop: the second worker has not run
    const pcs = [...output.matchAll(/^pc\s+(0x[0-9a-f]+)\s+0x[0-9a-f]+ <(\w+)(\+\d+)?>/gm)].map((m) => m[2]);
    expect(pcs.slice(0, 2)).toEqual(["thread_start", "step"]); // each thread's own registers
    const regs = [...output.matchAll(/^pc\s+(0x[0-9a-f]+).*\n^sp\s+(0x[0-9a-f]+).*\n^a0\s+(0x[0-9a-f]+)/gm)].map((m) => m.slice(1).join(" "));
    expect(regs).toHaveLength(2);
    expect(regs[1]).toBe(regs[0]); // reverse-stepi: exactly the registers of one instruction earlier
    expect(output).toMatch(/Thread 3 hit Breakpoint 1, step \(me=1\)/);
    expect(output).toContain("$2 = 1");
    expect(output).toContain("$3 = 3");
    // The kernel's read of greeting[] for write() is the read watchpoint's hit, in main, after the call.
    expect(output).toMatch(/Thread 1 hit Hardware read watchpoint 2: greeting\[5\]\s+Value = 114 'r'/);
    // The workers have ended and been joined: main is the only thread left.
    expect(output).toMatch(new RegExp(`^\\* 1 +Thread ${pid} \\(pid ${pid} tid ${pid} \\(main\\), stopped, runnable\\) `, "m"));
    expect(output).not.toMatch(new RegExp(`^  [23] +Thread ${tid(1)}`, "m"));
    expect(output).toContain("[Inferior 1 (Remote target) exited normally]");
    expect(r.stdout()).toContain("gdbthreads: hello from main");
    expect(r.stdout()).toContain("gdbthreads: total 9, hits 3 3, statuses 40 41");
    r.child.stdin!.end();
    expect(await r.exited).toBe(0);
  }, 120_000);

  it("follows the debugged process into exec: the new program's symbols, its breakpoints set again", async () => {
    const { r, port } = await attachedRunner(["--clock", "deterministic", "--gdb", "0", "--gdb-attach", "nice"], "echo hello world | nice 0 wc"); // nice execs wc in the same process
    const { status, output } = await runGdb(port, [
      "break main",
      "continue", // nice's main
      "continue", // its exec of /wc: gdb reads wc's symbols, sets `break main` again in wc and runs on to it
      "info registers pc",
      "delete",
      "continue",
    ], "user/bin/nice.debug");
    if (process.env.GDB_SHOW) console.log(output);
    expect(status, output).toBe(0);
    expect(output).toMatch(/Breakpoint 1, main \(argc=3, argv=0x[0-9a-f]+\) at \.\/user\/prog\/nice\.c:\d+/);
    expect(output).toMatch(/is executing new program: .*user\/bin\/wc\.debug/);
    expect(output).toMatch(/^pc\s+0x[0-9a-f]+\s+0x[0-9a-f]+ <main\+\d+>/m);
    expect(output).toMatch(/Breakpoint 1, main \(argc=1, argv=0x[0-9a-f]+\) at \.\/user\/prog\/wc\.c:\d+/);
    expect(output).toContain("[Inferior 1 (Remote target) exited normally]");
    await wcFinished(r);
  }, 90_000);

  it("steps through an ecall and shows its kernel side with monitor syscall", async () => {
    const { r, port } = await attachedRunner(["--clock", "deterministic", "--gdb", "0", "--gdb-attach", "wc"], "echo hello world | wc");
    await r.waitFor(/gdb: the kernel side of system calls is ready/, 60_000);
    const { status, output } = await runGdb(port, [
      "break read",
      "continue",
      "stepi", // read is li a7, 5; ecall; ret
      "x/i $pc",
      "stepi",
      "monitor syscall",
      "print $a0",
      "delete",
      "continue",
    ], "user/bin/wc.debug");
    expect(status, output).toBe(0);
    expect(output).toMatch(/=> 0x[0-9a-f]+ <read\+2>:\s+ecall/);
    expect(output).toMatch(/pid \d+: read\(0, 0x[0-9a-f]+, \d+\) = 12 "hello world\\n"/);
    expect(output).toMatch(/kernel side: \d+ function entries, \d+ functions/);
    expect(output).toMatch(/sys\/unix\/sysRead/);
    expect(output).toContain("$1 = 12");
    expect(output).toContain("[Inferior 1 (Remote target) exited normally]");
    r.child.stdin!.end();
    expect(await r.exited).toBe(0);
  }, 90_000);

  it("offers no reverse execution on the realtime clock, and says why", async () => {
    const { r, port } = await attachedRunner(["--gdb", "0", "--gdb-attach", "wc"], "echo hello world | wc");
    const { output } = await runGdb(port, ["stepi", "reverse-stepi", "monitor status"], "user/bin/wc.debug");
    expect(output).toMatch(/Target (remote|native) does not support this command|does not support this command/);
    expect(output).toContain("no reverse execution: the clock is realtime (--clock deterministic has it)");
    r.child.kill("SIGKILL");
  }, 90_000);

  it("stops a faulting process with SIGSEGV first, then lets the fault end it", async () => {
    const { r, port } = await attachedRunner(["--clock", "deterministic", "--gdb", "0", "--gdb-attach", "wc"], "echo hello world | wc");
    // A stack pointer in the unmapped first page: main's first store faults.
    const { status, output } = await runGdb(port, ["set $sp = 0x10", "continue", "continue"], "user/bin/wc.debug");
    expect(status, output).toBe(0);
    expect(output).toMatch(/Program received signal SIGSEGV, Segmentation fault\.\n0x[0-9a-f]+ in main /);
    expect(output).toContain("Program terminated with signal SIGSEGV, Segmentation fault.");
    expect(r.stdout()).toMatch(/pid \d+ \(wc\): killed by store page fault/);
    r.child.stdin!.end();
    expect(await r.exited).toBe(0);
  }, 90_000);
});
