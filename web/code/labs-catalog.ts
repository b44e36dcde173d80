// The labs (docs/labs/): what each asks and the checks its grader runs
// (web/code/labs-grader.ts). Starting points live in labs/<id>/start.patch
// and the instructions in docs/labs/<id>.md; the solutions
// (labs/<id>/solution.patch) are read only by the repository's tests and
// never imported from here, so they stay out of the page's bundle.

import type { ProcessDetail, WalkResult } from "../../host/inspect-types";
import { CheckFailure, type Lab, type LabMachine, expectMatch, expectTrue } from "./labs-grader";

/** Trace lines of a reply: "[pid] call(...) = result". */
function traceLines(out: string): string[] {
  return out.split("\n").filter((l) => /^\[\d+\] /.test(l));
}

/** The pid of the (first) process named `name`. */
function pidOf(m: LabMachine, name: string): number {
  const r = m.inspect({ what: "overview", logFrom: 0, schedFrom: 0 });
  if (r.what !== "overview") throw new CheckFailure(`the kernel's introspection did not answer: ${r.what === "error" ? r.message : r.what}`);
  const p = r.overview.procs.find((q) => q.name === name);
  if (p === undefined) throw new CheckFailure(`no process named ${name} is running`);
  return p.pid;
}

/** Free frames, from the kernel's introspection. */
function freeFrames(m: LabMachine): number {
  const r = m.inspect({ what: "memory" });
  if (r.what !== "memory") throw new CheckFailure(`the kernel's introspection did not answer: ${r.what === "error" ? r.message : r.what}`);
  return r.memory.free;
}

/** Runs `command` and expects `ok` in its reply. */
function passes(command: string, ok: string, limitNs?: number) {
  return (m: LabMachine): void => {
    const out = m.shell(command, limitNs);
    expectMatch(out, new RegExp(`^${ok.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`, "m"), `'${command}' did not print '${ok}'`);
  };
}

/** Runs `commands` and checks every frame they took came back. */
function noLeak(commands: string[]) {
  return (m: LabMachine): string => {
    m.shell("echo warm-up"); // the shell's own first-use allocations
    const before = freeFrames(m);
    for (const c of commands) m.shell(c);
    const after = freeFrames(m);
    expectTrue(after === before, `${before - after} frames were not freed after ${commands.join("; ")} (free before ${before}, after ${after})`);
    return `${before} frames free before and after`;
  };
}

// ---- trace ----

const trace: Lab = {
  id: "trace",
  title: "System-call tracing that follows fork",
  summary: "Make `trace` record the bytes each read returned, and trace a traced process's children too.",
  files: ["kernel-as/src/sys/sctrace.ts"],
  checks: [
    {
      name: "trace echo hi records the write with its bytes",
      run: (m) => {
        const lines = traceLines(m.shell("trace echo hi"));
        expectTrue(lines.some((l) => /\] write\(1, "hi\\n", 3\) = 3$/.test(l)), `no 'write(1, "hi\\n", 3) = 3' record; the trace was:\n${lines.join("\n")}`);
      },
    },
    {
      name: "a read's record shows the bytes it returned",
      run: (m) => {
        const lines = traceLines(m.shell("trace -e read cat README"));
        expectTrue(lines.length > 0, "trace -e read cat README printed no records");
        expectMatch(lines[0]!, /^\[\d+\] read\(3, "Keel - a capability microkernel in a browser tab"\.\.\., 4096\) = \d+$/,
          "the first read of README should show its first 48 bytes, cut with ...");
      },
    },
    {
      name: "a traced shell's children are traced (fork passes the mark on)",
      run: (m) => {
        const lines = traceLines(m.shell("echo 'echo hi | wc' | trace -e exec,fork,exit sh"));
        const execs = lines.filter((l) => l.includes("exec(")).map((l) => /exec\("([^"]+)"/.exec(l)?.[1]);
        expectTrue(execs.includes("/echo") && execs.includes("/wc"), `the children's exec of /echo and /wc were not traced; execs traced: ${JSON.stringify(execs)}`);
        const pids = new Set(lines.map((l) => /^\[(\d+)\]/.exec(l)![1]));
        expectTrue(pids.size >= 3, `records from ${pids.size} processes; the shell and its two children make 3`);
      },
    },
    {
      name: "a process that was never traced stays untraced",
      run: (m) => {
        m.shell("trace true");
        const lines = traceLines(m.shell("echo hi | wc"));
        expectTrue(lines.length === 0, `an untraced pipeline printed trace records:\n${lines.join("\n")}`);
      },
    },
  ],
};

// ---- cow ----

const cow: Lab = {
  id: "cow",
  title: "Copy-on-write fork",
  summary: "Make fork share the parent's pages read-only and copy a page only when one of them writes it.",
  files: ["kernel-as/src/mm/vm.ts", "kernel-as/src/proc/lifecycle.ts"],
  checks: [
    { name: "fork and wait work for 8 children (forktest 8)", run: passes("forktest 8", "forktest: OK (8 children)") },
    { name: "four children of a 16 MiB process fit in a 64 MiB machine (cowtest share)", run: passes("cowtest share", "cowtest share: OK") },
    { name: "a write after fork is private to the writer (cowtest copy)", run: passes("cowtest copy", "cowtest copy: OK") },
    { name: "the kernel's read() into a shared page copies it (cowtest kernel)", run: passes("cowtest kernel", "cowtest kernel: OK") },
    { name: "every frame comes back after the children exit", run: noLeak(["cowtest share", "cowtest copy", "cowtest kernel", "forktest 8"]) },
  ],
};

// ---- lazy ----

const lazy: Lab = {
  id: "lazy",
  title: "Lazy allocation of the heap",
  summary: "sbrk(n, SBRK_LAZY) only moves the break: give a heap page its frame on the first touch, in the page-fault handler.",
  files: ["kernel-as/src/mm/vm.ts", "kernel-as/src/sys/unix.ts"],
  checks: [
    { name: "the shell and eager programs still work", run: passes("echo eager | wc", "      1       1       6") },
    { name: "a lazy gigabyte, every 64th page touched (memtest lazy_alloc)", run: passes("memtest lazy_alloc", "memtest lazy_alloc: OK") },
    { name: "pages given back by sbrk are gone; touching one kills (memtest lazy_unmap)", run: passes("memtest lazy_unmap", "memtest lazy_unmap: OK") },
    { name: "8 GiB of lazy heap, both ends of each GiB touched (memtest beyond)", run: passes("memtest beyond", "memtest beyond: OK") },
    { name: "every frame comes back", run: noLeak(["memtest lazy_alloc", "memtest lazy_unmap", "memtest beyond"]) },
  ],
};

// ---- sched ----

interface SpinRow { nice: number; loops: number; share: number }

function spin(m: LabMachine, nices: number[]): SpinRow[] {
  const out = m.shell(`spin ${nices.length} 1 ${nices.join(" ")}`, 60e9);
  const rows = [...out.matchAll(/^\s*\d+\s+(-?\d+)\s+(\d+)\s+\d+\s+([\d.]+)%$/gm)].map((r) => ({ nice: Number(r[1]), loops: Number(r[2]), share: Number(r[3]) }));
  expectTrue(rows.length === nices.length, `spin printed ${rows.length} rows for ${nices.length} children:\n${out}`);
  return rows;
}

/** The ratio of CPU shares of rows a and b must be within 20% of `want`. */
function ratio(rows: SpinRow[], a: number, b: number, want: number): string {
  const got = rows[a]!.share / Math.max(rows[b]!.share, 0.1);
  const shares = rows.map((r) => `nice ${r.nice}: ${r.share}%`).join(", ");
  expectTrue(got > want * 0.8 && got < want * 1.2, `nice ${rows[a]!.nice} got ${got.toFixed(2)} times the CPU of nice ${rows[b]!.nice}, not about ${want.toFixed(2)} (${shares})`);
  return shares;
}

const sched: Lab = {
  id: "sched",
  title: "A weighted fair scheduler (nice levels)",
  summary: "Charge each process's virtual runtime by the weight of its nice level, so a lower nice gets a larger share of the CPU.",
  files: ["kernel-as/src/sched/sched.ts"],
  checks: [
    { name: "two processes at nice 0 share the CPU evenly", run: (m) => ratio(spin(m, [0, 0]), 0, 1, 1) },
    { name: "nice 0 gets about 1.25^5 = 3.05 times the CPU of nice 5", run: (m) => ratio(spin(m, [0, 5]), 0, 1, 1.25 ** 5) },
    {
      name: "three levels (0, 3, 6) get shares in the weights' ratios",
      run: (m) => {
        const rows = spin(m, [0, 3, 6]);
        ratio(rows, 0, 1, 1.25 ** 3);
        return ratio(rows, 1, 2, 1.25 ** 3);
      },
    },
  ],
};

// ---- vmprint ----

interface VmLine { depth: number; index: number; pte: bigint; pa: bigint }

const VM_LINE = /^((?: \.\.)+)(\d+): pte 0x([0-9a-f]{16}) pa 0x([0-9a-f]{16})$/;
const PTE_V = 1n;
const PTE_RWX = 0xen;

function vmprint(m: LabMachine, pid: number): { root: bigint; lines: VmLine[] } {
  const out = m.monitor(`vmprint ${pid}`).replace(/\n$/, "");
  const [head, ...rest] = out.split("\n");
  const root = expectMatch(head ?? "", /^page table 0x([0-9a-f]{16})$/, `the first line should be 'page table 0x<16 hex digits>'`);
  const lines = rest.map((l, i) => {
    const v = VM_LINE.exec(l);
    if (v === null) throw new CheckFailure(`line ${i + 2} is not '<depth dots>INDEX: pte 0x<16 hex> pa 0x<16 hex>': ${JSON.stringify(l)}`);
    return { depth: v[1]!.length / 3, index: Number(v[2]), pte: BigInt(`0x${v[3]}`), pa: BigInt(`0x${v[4]}`) };
  });
  return { root: BigInt(`0x${root[1]}`), lines };
}

/** The leaves of a vmprint tree with the virtual address each maps; checks
 *  the tree's shape on the way. */
function leaves(lines: VmLine[]): { va: number; pte: bigint; pa: bigint; depth: number }[] {
  const path: number[] = [];
  const out: { va: number; pte: bigint; pa: bigint; depth: number }[] = [];
  let previous = 0;
  for (const [i, l] of lines.entries()) {
    expectTrue(l.depth >= 1 && l.depth <= 4, `line ${i + 2}: depth ${l.depth}; Sv48 has 4 levels`);
    expectTrue(l.depth <= previous + 1, `line ${i + 2} is ${l.depth - previous} levels below the line before it`);
    expectTrue(l.index < 512, `line ${i + 2}: index ${l.index}; a table has 512 entries`);
    expectTrue((l.pte & PTE_V) !== 0n, `line ${i + 2}: an entry without V is printed`);
    expectTrue(((l.pte >> 10n) << 12n) === l.pa, `line ${i + 2}: pa 0x${l.pa.toString(16)} is not the PPN of pte 0x${l.pte.toString(16)}`);
    path.length = l.depth - 1;
    path.push(l.index);
    previous = l.depth;
    const leaf = (l.pte & PTE_RWX) !== 0n;
    expectTrue(leaf || l.depth < 4, `line ${i + 2}: a level-0 entry that points to another table`);
    if (leaf) {
      let va = 0;
      for (const [level, index] of path.entries()) va += index * 2 ** (12 + 9 * (3 - level));
      out.push({ va, pte: l.pte, pa: l.pa, depth: l.depth });
    }
  }
  return out;
}

function detail(m: LabMachine, pid: number): ProcessDetail {
  const r = m.inspect({ what: "process", pid });
  if (r.what !== "process") throw new CheckFailure(`the kernel's introspection did not answer for pid ${pid}: ${r.what === "error" ? r.message : r.what}`);
  return r.detail;
}

function walk(m: LabMachine, pid: number, va: number): WalkResult {
  const r = m.inspect({ what: "walk", pid, va: `0x${va.toString(16)}` });
  if (r.what !== "walk") throw new CheckFailure(`the kernel's introspection did not walk 0x${va.toString(16)}: ${r.what === "error" ? r.message : r.what}`);
  return r.walk;
}

const vmprintLab: Lab = {
  id: "vmprint",
  title: "Print a page table (vmprint)",
  summary: "Write the monitor's `vmprint PID`: every valid entry of the process's Sv48 page table, indented by level.",
  files: ["kernel-as/src/sys/monitor.ts", "kernel-as/src/mm/pagetable.ts", "kernel-as/src/machine/sv48.ts"],
  checks: [
    {
      name: "vmprint starts with the root table's physical address",
      run: (m) => {
        const pid = pidOf(m, "sh");
        const { root } = vmprint(m, pid);
        const w = walk(m, pid, 0x1000);
        const table = w.steps[0]?.table;
        expectTrue(table !== undefined && BigInt(table) === root, `the header says 0x${root.toString(16)}, the root table of pid ${pid} is at 0x${(table ?? 0).toString(16)}`);
      },
    },
    {
      name: "every line is an entry in the tree's shape (depth, index, pte, pa)",
      run: (m) => {
        const { lines } = vmprint(m, pidOf(m, "sh"));
        expectTrue(lines.length > 0, "vmprint printed no entries");
        const found = leaves(lines);
        expectTrue(found.length > 0, "no leaf (an entry with R, W or X) was printed");
        return `${lines.length} entries, ${found.length} leaves`;
      },
    },
    {
      name: "the leaves are exactly the process's mapped pages, as the MMU walks them",
      run: (m) => {
        const pid = pidOf(m, "sh");
        const found = leaves(vmprint(m, pid).lines);
        for (const leaf of found) {
          const w = walk(m, pid, leaf.va);
          const last = w.steps.at(-1);
          expectTrue(w.pa !== null && last !== undefined && BigInt(`0x${last.pte}`) === leaf.pte,
            `the leaf for va 0x${leaf.va.toString(16)} says pte 0x${leaf.pte.toString(16)}, the walk finds ${last === undefined ? "nothing" : `0x${last.pte}`}`);
          expectTrue(last!.level === 4 - leaf.depth, `the leaf for va 0x${leaf.va.toString(16)} is printed at depth ${leaf.depth}, the walk ends at level ${last!.level}`);
        }
        const printed = new Set(found.map((l) => l.va));
        let resident = 0;
        for (const region of detail(m, pid).regions) {
          for (let va = region.start; va < region.end; va += 4096) {
            if (walk(m, pid, va).pa === null) continue;
            resident++;
            expectTrue(printed.has(va), `va 0x${va.toString(16)} (${region.kind}) is mapped but vmprint printed no leaf for it`);
          }
        }
        return `${found.length} leaves, ${resident} mapped pages in the regions`;
      },
    },
    {
      name: "vmprint of a pid that does not exist says so",
      run: (m) => {
        expectMatch(m.monitor("vmprint 9999"), /no process 9999/, "'vmprint 9999' should say 'no process 9999'");
      },
    },
  ],
};

// ---- ugetpid ----

/** USER_VA_LIMIT - 2 pages: where user/prog/ugetpid.c reads its pid. */
const USYSCALL = 0x7fff_ffff_e000;

const ugetpid: Lab = {
  id: "ugetpid",
  title: "A read-only pid page for a fast getpid",
  summary: "Map a read-only page at USYSCALL in every process, holding its pid, so ugetpid() needs no system call.",
  files: ["kernel-as/src/mm/vm.ts", "kernel-as/src/proc/exec.ts", "kernel-as/src/proc/lifecycle.ts"],
  checks: [
    { name: "the page holds the pid in a program, its children and after exec (ugetpid)", run: passes("ugetpid", "ugetpid: OK") },
    { name: "a write to the page kills the writer (ugetpid write)", run: passes("ugetpid write", "ugetpid write: OK") },
    {
      name: "the shell's page is user-readable, not writable or executable, and holds its pid",
      run: (m) => {
        const pid = pidOf(m, "sh");
        const w = walk(m, pid, USYSCALL);
        const last = w.steps.at(-1);
        expectTrue(w.pa !== null && last !== undefined, `0x${USYSCALL.toString(16)} is not mapped in the shell (pid ${pid}): ${w.reason}`);
        const flags = last!.flags; // V R W X U G A D, "-" for a clear bit
        expectTrue(flags[1] === "R" && flags[4] === "U" && flags[2] === "-" && flags[3] === "-", `its entry's flags are ${flags}; want R and U, not W or X`);
        const ram = m.machine.saveState().ram;
        const held = new DataView(ram.buffer, ram.byteOffset).getInt32(w.pa!, true);
        expectTrue(held === pid, `the shell's page holds ${held}, its pid is ${pid}`);
        return `flags ${flags}`;
      },
    },
    { name: "every frame comes back after the children exit", run: noLeak(["ugetpid", "ugetpid write"]) },
  ],
};

/** Every lab, in the order the panel lists them. */
export const LABS: readonly Lab[] = [trace, vmprintLab, ugetpid, lazy, cow, sched];

export function labById(id: string): Lab | undefined {
  return LABS.find((l) => l.id === id);
}
