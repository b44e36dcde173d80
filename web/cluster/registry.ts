// The machines this page runs, by name (docs/network.md "The cluster
// view"): what other parts of the page (the Network panel, a service
// worker route `./vm/<machine>/`) look machines up in. One machine without
// a cluster is registered too, as "keel-1". No DOM: a plain module.

export interface RegisteredMachine {
  /** "keel-2": unique in the page, and among tabs on one `switch`. */
  readonly name: string;
  /** Its place on the switch (1 to 254): the last byte of its MAC and address. */
  readonly slot: number;
  readonly mac: string;
  /** Its address with prefix, "10.0.0.2/24" (as on its kernel command line). */
  readonly ip: string;
  /** Its worker, to send messages of web/protocol.ts to. */
  readonly worker: Worker;
  /** Carries out a `./vm/<name>/` request on the service worker's port,
   *  when the page does (a cluster's machines: the page's switch has the
   *  HTTP client); absent: the machine's worker does (web/vm-route.ts). */
  readonly serveHttp?: (request: VmRequest, port: MessagePort) => void;
}

import type { VmRequest } from "../vm-protocol";

const machines = new Map<string, RegisteredMachine>();
const listeners = new Set<() => void>();

export function registerMachine(machine: RegisteredMachine): void {
  if (machines.has(machine.name)) throw new Error(`a machine named ${machine.name} is registered already`);
  machines.set(machine.name, machine);
  for (const listener of listeners) listener();
}

export function machineNamed(name: string): RegisteredMachine | null {
  return machines.get(name) ?? null;
}

/** Every registered machine, in slot order. */
export function listMachines(): RegisteredMachine[] {
  return [...machines.values()].sort((a, b) => a.slot - b.slot);
}

/** Calls `listener` after each registration; returns the unsubscribe. */
export function onMachinesChanged(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The switch address of slot `slot` (1..254): name, MAC and address. */
export function slotAddress(slot: number): { name: string; mac: string; ip: string } {
  if (!Number.isInteger(slot) || slot < 1 || slot > 254) throw new RangeError(`slot ${slot} is not 1..254`);
  return { name: `keel-${slot}`, mac: `02:00:00:00:01:${slot.toString(16).padStart(2, "0")}`, ip: `10.0.0.${slot}/24` };
}
