// Boot time: wall-clock time from the kernel's entry (kmain) to the monitor
// prompt, and the whole power-on (RAM, instantiation, BootInfo, kmain).

import { Machine } from "../host/machine.js";
import { kernelModuleSync } from "../host/testing/machine-harness.js";
import type { BenchRow } from "./run.js";

const BOOTS = 30;

export default async function bench(): Promise<BenchRow[]> {
  const kernel = kernelModuleSync();
  const entry: number[] = [];
  const whole: number[] = [];
  for (let i = 0; i < BOOTS; i++) {
    const machine = new Machine(kernel, { ramBytes: 128 * 1024 * 1024, clock: "realtime", cmdline: "" }, { uartOutput: () => {} });
    const t0 = performance.now();
    machine.boot();
    whole.push(performance.now() - t0);
    entry.push(machine.bootWallMs);
    if (machine.state === "panicked") throw new Error(`boot panicked: ${machine.panicText}`);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return [
    { name: "boot: kernel entry to monitor prompt (128 MiB)", value: median(entry), unit: "ms" },
    { name: "boot: power-on to prompt incl. instantiation", value: median(whole), unit: "ms" },
  ];
}
