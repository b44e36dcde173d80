// The one small interface every emulated device implements, so that the
// machine (host/machine.ts) reads as a list of devices plugged into a bus.
//
// A device claims a range of I/O ports and/or a range of physical memory.
// Port accesses arrive with their width in bytes (1 or 4). Devices that
// interrupt are handed an IrqLine by the machine when they are built.
// save()/restore() round-trip the device's whole state through plain JSON
// values, for snapshots; reset() returns it to power-on state.

export interface PortRange {
  base: number;
  count: number;
}

export interface MemoryRange {
  base: number;
  size: number;
}

export type Width = 1 | 4;

export interface Device {
  readonly name: string;
  readonly ports?: PortRange;
  readonly mmio?: MemoryRange;
  reset(): void;
  /** Read from an absolute port inside `ports`. */
  read(port: number, width: Width): number;
  /** Write to an absolute port inside `ports`. */
  write(port: number, width: Width, value: number): void;
  save(): unknown;
  restore(state: unknown): void;
}

/** One interrupt line of the interrupt controller, as a device sees it. */
export interface IrqLine {
  /** Level-triggered: the line stays asserted until lowered. */
  set(level: boolean): void;
  /** Edge: latch a pending interrupt until the kernel acknowledges it. */
  pulse(): void;
}

/** The machine's notion of virtual time, owned by host/clock.ts. */
export interface Clock {
  /** Virtual nanoseconds since power-on (a float; exact below 2^53). */
  nowNs(): number;
}

/** Raised by restore() when a saved state does not fit the device. */
export class DeviceStateError extends Error {}
