// Two Keel machines in one Node process on a virtual switch, on the
// realtime clock, for the network tests: A is 10.0.0.1, B 10.0.0.2; the
// test loop gives each machine 5 ms of wall time in turn and pumps the
// switch in between.

import { MachineHarness, userlandModules } from "./machine-harness.js";
import { VirtualSwitch } from "../net/switch.js";

export const MAC_A = Uint8Array.of(2, 0, 0, 0, 0, 0x0a);
export const MAC_B = Uint8Array.of(2, 0, 0, 0, 0, 0x0b);

export function netMachine(sw: VirtualSwitch, mac: Uint8Array, ip: string, modules = userlandModules(), ramBytes = 64 << 20): MachineHarness {
  return new MachineHarness({ ramBytes, clock: "realtime", cmdline: `ip=${ip}`, modules, nic: { backend: sw, mac } });
}

/** Runs both machines and the switch until `done` holds (or throws after maxMs of wall time). */
export function runBoth(a: MachineHarness, b: MachineHarness, sw: VirtualSwitch, done: () => boolean, maxMs = 30_000): void {
  const start = performance.now();
  while (!done()) {
    if (performance.now() - start > maxMs) throw new Error(`timed out; A printed:\n${a.output.slice(-3000)}\nB printed:\n${b.output.slice(-3000)}`);
    for (const h of [a, b]) {
      const r = h.machine.runFor(5);
      if (r.state === "halted" || r.state === "panicked") throw new Error(`machine ${r.state}: ${h.machine.panicText}\n${h.output}`);
    }
    sw.pump();
  }
}

export function shellBoth(h: MachineHarness, other: MachineHarness, sw: VirtualSwitch, line: string, maxMs = 30_000): string {
  const mark = h.output.length;
  h.machine.input(`${line}\r`);
  runBoth(h, other, sw, () => /\n\$ $/.test(h.since(mark)), maxMs);
  return h.since(mark);
}

export function bootPair(sw = new VirtualSwitch(), modules = userlandModules(), ramBytes = 64 << 20) {
  const a = netMachine(sw, MAC_A, "10.0.0.1/24", modules, ramBytes).boot();
  const b = netMachine(sw, MAC_B, "10.0.0.2/24", modules, ramBytes).boot();
  runBoth(a, b, sw, () => a.output.includes("\n$ ") && b.output.includes("\n$ "));
  return { sw, a, b };
}

