// Boots a whole Keel machine in Node for tests: the real kernel build, real
// devices, the deterministic clock. It is the embeddable API's KeelMachine
// (host/api.ts, the `keel` package), so every test that uses it uses the
// API; what it adds is synchronous driving. Console output is collected as
// text and commands are typed into the UART exactly as a user would.

import { readFileSync } from "node:fs";
import type { Machine, MachineCallbacks, MachineConfig } from "../machine.js";
import { KeelMachine } from "../api.js";
import { BOOT_MODULE_BOOTFS } from "../bootinfo.js";

let kernelModule: WebAssembly.Module | undefined;

/**
 * The JIT setting of every harness machine not given one: the machine's
 * default (on at JIT_DEFAULT_THRESHOLD) unless KEEL_MACHINE_JIT says "off"
 * or a threshold (1: every block compiled the first time it runs), as
 * KEEL_HART_JIT does for the hart tests.
 */
export function harnessJit(env = process.env.KEEL_MACHINE_JIT): MachineConfig["jit"] {
  if (env === undefined || env === "") return undefined;
  if (env === "off") return false;
  const n = Number(env);
  if (!Number.isInteger(n) || n < 1) throw new Error(`KEEL_MACHINE_JIT must be off or a threshold of 1 or more runs (got "${env}")`);
  return n;
}

/** The committed boot file system image (user/bin/bootfs.img). */
export function bootfsImage(): Uint8Array {
  return new Uint8Array(readFileSync(new URL("../../user/bin/bootfs.img", import.meta.url)));
}

/** The boot module list that gives the machine its user land. */
export function userlandModules(image: Uint8Array = bootfsImage()): NonNullable<MachineConfig["modules"]> {
  return [{ name: "bootfs", kind: BOOT_MODULE_BOOTFS, data: image }];
}

let kernelBytes: Uint8Array | undefined;

/** The bytes of build/kernel.wasm, read once: what kernelModuleSync compiles. */
export function kernelBytesSync(): Uint8Array {
  kernelBytes ??= new Uint8Array(readFileSync(new URL("../../build/kernel.wasm", import.meta.url)));
  return kernelBytes;
}

export function kernelModuleSync(): WebAssembly.Module {
  kernelModule ??= new WebAssembly.Module(kernelBytesSync() as Uint8Array<ArrayBuffer>);
  return kernelModule;
}

/** The embeddable API's machine (host/api.ts) with synchronous driving for
 *  tests: no run loop; each call runs kernel slices until its answer. */
export class MachineHarness extends KeelMachine {
  readonly states: string[] = [];

  /** `build` makes the machine from the harness's callbacks instead (a
   *  machine restored from a snapshot, say); `config` is then unused. */
  constructor(config: Partial<MachineConfig> = {}, build?: (callbacks: MachineCallbacks) => Machine) {
    super({
      kernel: kernelModuleSync(),
      kernelBytes: kernelBytesSync(),
      config: { ramBytes: 32 * 1024 * 1024, clock: "deterministic", cmdline: "", ...(harnessJit() !== undefined ? { jit: harnessJit() } : {}), ...config },
    }, build);
    this.onState((state) => this.states.push(state));
  }

  /** Runs until the machine is idle with nothing scheduled, stopped, or the slice cap is hit. */
  settle(maxSlices = 1000): void {
    for (let i = 0; i < maxSlices; i++) {
      const report = this.machine.runFor(50);
      if (report.state !== "running" && (report.state !== "idle" || report.wakeInMs === null)) return;
    }
    throw new Error(`machine still busy after ${maxSlices} slices`);
  }

  /** Runs turns until `done()` holds after one, the machine stops running,
   *  or `wallMs` of wall time have passed; the last turn's report. */
  private runSlice(wallMs: number, done: () => boolean): ReturnType<Machine["runFor"]> {
    const start = performance.now();
    for (;;) {
      const report = this.machine.runFor(0);
      if (report.state !== "running" || done() || performance.now() - start >= wallMs) return report;
    }
  }

  /** Runs until `text` appears in the output after `mark`, or throws.
   *  A slice is 20 ms of wall time run one turn (one run() of every vCPU)
   *  at a time, and the text is looked for after each turn: it returns at
   *  the first turn that shows it, whatever the host's speed. With whole
   *  runFor(20) slices a fast machine ran on past a prompt (a background
   *  program's report printed after it, so the output no longer ended with
   *  the prompt; userland.test's spin check failed that way in CI). */
  runUntil(text: string | RegExp, mark = 0, maxSlices = 2000): string {
    const found = (seen: string): boolean => (typeof text === "string" ? seen.includes(text) : text.test(seen));
    let looked = -1; // the output's end when it was last looked at
    const printed = (): boolean => {
      if (this.end === looked) return false;
      looked = this.end;
      return found(this.since(mark));
    };
    for (let i = 0; i < maxSlices; i++) {
      const seen = this.since(mark);
      if (found(seen)) return seen;
      const report = this.runSlice(20, printed);
      if (report.state === "halted" || report.state === "panicked") break;
      if (report.state === "idle" && report.wakeInMs === null) {
        const again = this.since(mark);
        if (found(again)) return again;
        throw new Error(`machine idle without printing ${String(text)}; output:\n${this.since(mark)}`);
      }
    }
    throw new Error(`${String(text)} did not appear; output:\n${this.since(mark)}`);
  }

  /** Types a shell command and waits for the next prompt; returns the reply. */
  shell(line: string, prompt = "$ "): string {
    const mark = this.output.length;
    this.machine.input(`${line}\r`);
    const seen = this.runUntil(new RegExp(`\n${prompt.replace(/[$]/g, "\\$")}$`), mark);
    return seen;
  }

  /** Runs one kernel monitor command from the shell (Ctrl-] in and out
   *  again) and returns what it printed. */
  monitor(line: string): string {
    const mark = this.output.length;
    this.machine.input("\x1d");
    this.runUntil("keel> ", mark);
    const reply = this.command(line);
    this.machine.input("\x1d");
    this.runUntil("[back to user programs]", mark);
    return reply;
  }

  /** monitor() for a machine that programs keep busy (it never settles):
   *  waits for the monitor's next prompt instead of an idle machine. */
  monitorWhileBusy(line: string): string {
    const mark = this.output.length;
    this.machine.input("\x1d");
    this.runUntil("keel> ", mark);
    const start = this.output.length;
    this.machine.input(`${line}\r`);
    const reply = this.runUntil(/\nkeel> $/, start);
    this.machine.input("\x1d");
    this.runUntil("[back to user programs]", mark);
    return reply;
  }

  /** Types a line (with Enter) and returns what the console printed in reply. */
  command(line: string): string {
    const mark = this.output.length;
    this.machine.input(`${line}\r`);
    this.settle();
    return this.since(mark);
  }
}
