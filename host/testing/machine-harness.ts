// Boots a whole Keel machine in Node for tests: the real kernel build, real
// devices, the deterministic clock. Console output is collected as text and
// commands are typed into the UART exactly as a user would.

import { readFileSync } from "node:fs";
import { Machine, type MachineCallbacks, type MachineConfig } from "../machine.js";
import { BOOT_MODULE_BOOTFS } from "../bootinfo.js";

let kernelModule: WebAssembly.Module | undefined;

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

export class MachineHarness {
  readonly machine: Machine;
  private out = "";
  private readonly decoder = new TextDecoder();
  readonly states: string[] = [];

  /** `build` makes the machine from the harness's callbacks instead (a
   *  machine restored from a snapshot, say); `config` is then unused. */
  constructor(config: Partial<MachineConfig> = {}, build?: (callbacks: MachineCallbacks) => Machine) {
    const callbacks: MachineCallbacks = {
      // Terminals want CR LF; tests read plain newlines.
      uartOutput: (bytes) => (this.out += this.decoder.decode(bytes, { stream: true }).replaceAll("\r", "")),
      stateChanged: (state) => this.states.push(state),
    };
    this.machine = build?.(callbacks) ??
      new Machine(kernelModuleSync(), { ramBytes: 32 * 1024 * 1024, clock: "deterministic", cmdline: "", ...config }, callbacks);
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

  /** Runs until `text` appears in the output after `mark`, or throws. */
  runUntil(text: string | RegExp, mark = 0, maxSlices = 2000): string {
    for (let i = 0; i < maxSlices; i++) {
      const seen = this.since(mark);
      if (typeof text === "string" ? seen.includes(text) : text.test(seen)) return seen;
      const report = this.machine.runFor(20);
      if (report.state === "halted" || report.state === "panicked") break;
      if (report.state === "idle" && report.wakeInMs === null) {
        const again = this.since(mark);
        if (typeof text === "string" ? again.includes(text) : text.test(again)) return again;
        throw new Error(`machine idle without printing ${String(text)}; output:\n${this.since(mark)}`);
      }
    }
    throw new Error(`${String(text)} did not appear; output:\n${this.since(mark)}`);
  }

  /** Types a shell command and waits for the next prompt; returns the reply. */
  shell(line: string, prompt = "$ "): string {
    const mark = this.out.length;
    this.machine.input(`${line}\r`);
    const seen = this.runUntil(new RegExp(`\n${prompt.replace(/[$]/g, "\\$")}$`), mark);
    return seen;
  }

  /** Runs one kernel monitor command from the shell (Ctrl-] in and out
   *  again) and returns what it printed. */
  monitor(line: string): string {
    const mark = this.out.length;
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
    const mark = this.out.length;
    this.machine.input("\x1d");
    this.runUntil("keel> ", mark);
    const start = this.out.length;
    this.machine.input(`${line}\r`);
    const reply = this.runUntil(/\nkeel> $/, start);
    this.machine.input("\x1d");
    this.runUntil("[back to user programs]", mark);
    return reply;
  }

  /** Types a line (with Enter) and returns what the console printed in reply. */
  command(line: string): string {
    const mark = this.out.length;
    this.machine.input(`${line}\r`);
    this.settle();
    return this.since(mark);
  }
}
