// The labs' grader (docs/labs/README.md): boots a kernel headless, in
// deterministic mode, with the shipped user programs, and runs a lab's
// checks against it, one result per check. The same code runs in Node
// (scripts/grade.ts, the labs test) and in the page (web/code/labs-worker.ts):
// it needs only the kernel module and the boot file system's bytes, and
// imports nothing of Node or the DOM.
//
// Every wait is bounded in the machine's own virtual time, so a check
// passes or fails the same way on a fast desktop and a loaded CI machine
// (deterministic mode makes the kernel's output a pure function of the
// input). A check that fails leaves the machine in whatever state it
// reached: the next check boots a fresh one.

import { BOOT_MODULE_BOOTFS } from "../../host/bootinfo";
import type { InspectQuery, InspectResult } from "../../host/inspect-types";
import { Machine } from "../../host/machine";

/** RAM of the graded machine: as the shell tests boot it. */
export const LAB_RAM_BYTES = 64 * 1024 * 1024;
/** Virtual time a boot may take to reach the shell's prompt. */
const BOOT_LIMIT_NS = 20e9;
/** Virtual time one shell command may take, unless its check says otherwise. */
export const COMMAND_LIMIT_NS = 30e9;
/** A wall-clock safety net per wait (a kernel that spins without charging
 *  work would otherwise never give its virtual clock a chance to run out). */
const WALL_LIMIT_MS = 120_000;
const SLICE_WALL_MS = 50;

/** Why a check failed, in words for the student. */
export class CheckFailure extends Error {}

/** A booted Keel machine a check drives through its console. */
export class LabMachine {
  readonly machine: Machine;
  private out = "";
  private readonly decoder = new TextDecoder();
  private panic = "";

  constructor(kernel: WebAssembly.Module, bootfs: Uint8Array) {
    this.machine = new Machine(kernel, {
      ramBytes: LAB_RAM_BYTES, clock: "deterministic", cmdline: "",
      modules: [{ name: "bootfs", kind: BOOT_MODULE_BOOTFS, data: bootfs }],
    }, {
      uartOutput: (bytes) => (this.out += this.decoder.decode(bytes, { stream: true }).replaceAll("\r", "")),
      stateChanged: (state, detail) => { if (state === "panicked") this.panic = detail ?? ""; },
    });
  }

  /** Everything the console printed since power-on. */
  get output(): string {
    return this.out;
  }

  /** The machine's virtual time. */
  nowNs(): number {
    return this.machine.stats().uptimeNs;
  }

  /** Powers on and waits for the shell's first prompt. */
  boot(): void {
    this.machine.boot();
    this.runUntil("\n$ ", 0, BOOT_LIMIT_NS, "the shell's prompt after boot");
  }

  /** Runs until `done(text since mark)`, or throws a CheckFailure saying why not. */
  runUntil(want: string | RegExp, mark: number, limitNs: number, what: string): string {
    const startNs = this.nowNs();
    const startWall = performance.now();
    const seen = (): boolean => (typeof want === "string" ? this.out.slice(mark).includes(want) : want.test(this.out.slice(mark)));
    for (;;) {
      if (seen()) return this.out.slice(mark);
      if (this.nowNs() - startNs > limitNs) throw new CheckFailure(`no ${what} within ${(limitNs / 1e9).toFixed(0)} s of machine time; it printed:\n${tail(this.out.slice(mark))}`);
      if (performance.now() - startWall > WALL_LIMIT_MS) throw new CheckFailure(`no ${what} after ${WALL_LIMIT_MS / 1000} s of real time; it printed:\n${tail(this.out.slice(mark))}`);
      const report = this.machine.runFor(SLICE_WALL_MS);
      if (report.state === "panicked") throw new CheckFailure(`the kernel panicked: ${this.panic}\n${tail(this.out.slice(mark))}`);
      if (report.state === "halted") throw new CheckFailure(`the kernel halted before ${what}\n${tail(this.out.slice(mark))}`);
      if (report.state === "idle" && report.wakeInMs === null && !seen()) {
        throw new CheckFailure(`the machine went idle without ${what}; it printed:\n${tail(this.out.slice(mark))}`);
      }
    }
  }

  /** Types a shell command, waits for the next prompt, returns the reply
   *  (the echoed command line and the prompt left off). */
  shell(line: string, limitNs = COMMAND_LIMIT_NS): string {
    const mark = this.out.length;
    this.machine.input(`${line}\r`);
    const seen = this.runUntil(/\n\$ $/, mark, limitNs, `prompt after '${line}'`);
    const body = seen.replace(/\n\$ $/, "");
    const firstNewline = body.indexOf("\n");
    return firstNewline < 0 ? "" : body.slice(firstNewline + 1);
  }

  /** Runs one kernel monitor command (Ctrl-] in and out again); returns
   *  what it printed, without the echoed command and the next prompt. */
  monitor(line: string, limitNs = COMMAND_LIMIT_NS): string {
    const mark = this.out.length;
    this.machine.input("\x1d");
    this.runUntil("keel> ", mark, limitNs, "the monitor's prompt");
    const start = this.out.length;
    this.machine.input(`${line}\r`);
    const seen = this.runUntil(/\nkeel> $/, start, limitNs, `the monitor's prompt after '${line}'`);
    this.machine.input("\x1d");
    this.runUntil("[back to user programs]", start, limitNs, "the way back from the monitor");
    const body = seen.replace(/\nkeel> $/, "");
    const firstNewline = body.indexOf("\n");
    return firstNewline < 0 ? "" : body.slice(firstNewline + 1);
  }

  /** The kernel's read-only introspection (docs/inspect.md), between slices. */
  inspect(query: InspectQuery): InspectResult {
    return this.machine.inspect(query);
  }
}

/** The last lines of `text`, for a failure message. */
function tail(text: string, lines = 12): string {
  const all = text.replace(/\n+$/, "").split("\n");
  const kept = all.slice(-lines);
  return (all.length > lines ? "...\n" : "") + kept.join("\n");
}

export interface LabCheck {
  name: string;
  /** Passes by returning (optionally a note), fails by throwing. */
  run(m: LabMachine): string | void;
}

export interface Lab {
  id: string;
  title: string;
  /** One sentence on what the student does. */
  summary: string;
  /** The files the lab is about, opened in the editor when it starts. */
  files: string[];
  checks: LabCheck[];
}

export interface CheckResult {
  name: string;
  ok: boolean;
  /** Why it failed, or a note on a pass. */
  detail: string;
  /** Wall time the check took, ms. */
  ms: number;
}

export interface GradeReport {
  lab: string;
  passed: number;
  total: number;
  results: CheckResult[];
  ms: number;
}

/** Runs every check of `lab` on `kernel`; `onResult` hears each as it ends. */
export function gradeKernel(lab: Lab, kernel: WebAssembly.Module, bootfs: Uint8Array, onResult?: (result: CheckResult) => void): GradeReport {
  const started = performance.now();
  const results: CheckResult[] = [];
  let machine: LabMachine | null = null;
  let bootProblem: string | null = null;
  for (const check of lab.checks) {
    const begun = performance.now();
    let result: CheckResult;
    try {
      if (machine === null) {
        if (bootProblem !== null) throw new CheckFailure(bootProblem);
        const fresh = new LabMachine(kernel, bootfs);
        try {
          fresh.boot();
        } catch (error) {
          // A kernel that cannot boot fails every check for the same reason.
          bootProblem = `the kernel did not boot to the shell: ${error instanceof Error ? error.message : String(error)}`;
          throw new CheckFailure(bootProblem);
        }
        machine = fresh;
      }
      const note = check.run(machine);
      result = { name: check.name, ok: true, detail: note ?? "", ms: performance.now() - begun };
    } catch (error) {
      machine = null; // whatever it left behind, the next check starts afresh
      const detail = error instanceof CheckFailure ? error.message : `the check itself failed: ${error instanceof Error ? error.message : String(error)}`;
      result = { name: check.name, ok: false, detail, ms: performance.now() - begun };
    }
    results.push(result);
    onResult?.(result);
  }
  return { lab: lab.id, passed: results.filter((r) => r.ok).length, total: results.length, results, ms: performance.now() - started };
}

/** The report as the grader prints it: a line per check, then the score. */
export function formatReport(lab: Lab, report: GradeReport): string {
  const lines = [`lab ${lab.id}: ${lab.title}`];
  for (const r of report.results) {
    lines.push(`  ${r.ok ? "PASS" : "FAIL"}  ${r.name}${r.ok && r.detail !== "" ? ` (${r.detail})` : ""}`);
    if (!r.ok) for (const l of r.detail.split("\n")) lines.push(`        ${l}`);
  }
  lines.push(`${lab.id}: ${report.passed}/${report.total} checks passed${report.passed === report.total ? "" : " -- not done yet"}`);
  return lines.join("\n");
}

// ---- helpers for the checks ----

/** The output must match `pattern`; the failure quotes what it printed. */
export function expectMatch(output: string, pattern: RegExp, what: string): RegExpExecArray {
  const m = pattern.exec(output);
  if (m === null) throw new CheckFailure(`${what}; it printed:\n${tail(output)}`);
  return m;
}

export function expectTrue(condition: boolean, what: string): void {
  if (!condition) throw new CheckFailure(what);
}
