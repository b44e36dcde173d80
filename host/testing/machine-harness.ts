// Boots a whole Keel machine in Node for tests: the real kernel build, real
// devices, the deterministic clock. Console output is collected as text and
// commands are typed into the UART exactly as a user would.

import { readFileSync } from "node:fs";
import { Machine, type MachineConfig } from "../machine.js";

let kernelModule: WebAssembly.Module | undefined;

export function kernelModuleSync(): WebAssembly.Module {
  kernelModule ??= new WebAssembly.Module(readFileSync(new URL("../../build/kernel.wasm", import.meta.url)));
  return kernelModule;
}

export class MachineHarness {
  readonly machine: Machine;
  private out = "";
  private readonly decoder = new TextDecoder();
  readonly states: string[] = [];

  constructor(config: Partial<MachineConfig> = {}) {
    this.machine = new Machine(
      kernelModuleSync(),
      { ramBytes: 32 * 1024 * 1024, clock: "deterministic", cmdline: "", ...config },
      {
        uartOutput: (bytes) => (this.out += this.decoder.decode(bytes, { stream: true })),
        stateChanged: (state) => this.states.push(state),
      },
    );
  }

  /** Everything the UART printed so far. */
  get output(): string {
    return this.out;
  }

  /** Output printed since `mark` (a length of `output` taken earlier). */
  since(mark: number): string {
    return this.out.slice(mark);
  }

  boot(): this {
    this.machine.boot();
    return this;
  }

  /** Runs until the machine is idle with nothing scheduled, stopped, or the slice cap is hit. */
  settle(maxSlices = 1000): void {
    for (let i = 0; i < maxSlices; i++) {
      const report = this.machine.runFor(50);
      if (report.state !== "running" && (report.state !== "idle" || report.wakeInMs === null)) return;
    }
    throw new Error(`machine still busy after ${maxSlices} slices`);
  }

  /** Types a line (with Enter) and returns what the console printed in reply. */
  command(line: string): string {
    const mark = this.out.length;
    this.machine.input(`${line}\r`);
    this.settle();
    return this.since(mark);
  }
}
