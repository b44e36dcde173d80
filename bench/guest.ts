// Running a benchmark program inside Keel: boot a realtime machine (so the
// guest's clocknanos() is wall-clock time), wait for the shell, type one
// command and collect "PREFIX NAME VALUE ..." lines from what it prints.

import { Machine, type MachineConfig } from "../host/machine.js";
import { kernelModuleSync } from "../host/testing/machine-harness.js";

const TIME_LIMIT_MS = 300_000;

export class GuestMachine {
  readonly machine: Machine;
  private out = "";

  constructor(config: Partial<MachineConfig>) {
    const decoder = new TextDecoder();
    this.machine = new Machine(
      kernelModuleSync(),
      { ramBytes: 128 * 1024 * 1024, clock: "realtime", cmdline: "", ...config },
      { uartOutput: (bytes) => (this.out += decoder.decode(bytes, { stream: true }).replaceAll("\r", "")) },
    );
  }

  get output(): string {
    return this.out;
  }

  /** Runs until `pattern` matches the output from `from` on. */
  until(pattern: RegExp, from = 0): void {
    const start = performance.now();
    while (!pattern.test(this.out.slice(from))) {
      if (performance.now() - start > TIME_LIMIT_MS) throw new Error(`timed out waiting for ${pattern}:\n${this.out.slice(from)}`);
      const r = this.machine.runFor(50);
      if (r.state === "halted" || r.state === "panicked") throw new Error(`machine ${r.state}:\n${this.out}`);
    }
  }

  /** Boots to the shell prompt; returns the wall-clock milliseconds it took. */
  bootToShell(): number {
    const t0 = performance.now();
    this.machine.boot();
    this.until(/\n\$ $/);
    return performance.now() - t0;
  }

  /** Types `command` and waits until the shell prompts again; returns what it printed. */
  run(command: string): string {
    const mark = this.out.length;
    this.machine.input(`${command}\r`);
    this.until(/\n\$ $/, mark);
    return this.out.slice(mark);
  }
}
