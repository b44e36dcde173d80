// The interrupt controller: 32 lines, one bit each, in front of the kernel.
//
// A device drives its line through the IrqLine it was handed: set(level) for
// level-triggered sources (UART, timer), pulse() for edge sources whose
// interrupt is latched until the kernel acknowledges it (block completion).
// A line is *raised* while its level is high or its edge latch is set; it
// is *pending* when raised and not masked.
//
// Registers (32-bit, at INTC_BASE):
//   PENDING r   raised & ~mask
//   MASK    rw  1 = masked. Power-on value 0: every line unmasked, so the
//               kernel receives interrupts without first programming us.
//   ACK     w   1 bits clear the matching edge latches (levels are owned by
//               their devices and fall only when the device lowers them)
//   RAW     r   raised, ignoring the mask
//   ROUTE   w   (line << 8) | vcpu: the vCPU that takes the line; reads 0
//
// The PENDING word is mirrored, little-endian, into guest RAM at
// CONTROL_BLOCK + CB_IRQ_PENDING whenever it changes, so the kernel polls
// for interrupts with one load instead of a port read.

import { DeviceStateError, type Device, type IrqLine, type Width } from "../device.js";
import {
  CB_IRQ_PENDING, CONTROL_BLOCK, INTC_ACK, INTC_BASE, INTC_MASK, INTC_PENDING, INTC_RAW, INTC_ROUTE,
} from "../hw.js";

export const INTC_LINES = 32;
/** Bytes of port space the controller claims (PENDING..ROUTE). */
export const INTC_PORT_COUNT = INTC_ROUTE + 4 - INTC_BASE;
/** Where the PENDING mirror lives in guest RAM. */
export const INTC_MIRROR_ADDR = CONTROL_BLOCK + CB_IRQ_PENDING;
const ROUTE_LINE_SHIFT = 8;
const ROUTE_VCPU_MASK = 0xff;

export interface IntcOptions {
  /** Current guest RAM; a getter because RAM is replaced on grow and reboot. */
  memory: () => ArrayBufferLike;
  /** Called after PENDING changes (e.g. so an idle run loop wakes up). */
  onChange?: (pending: number) => void;
}

export interface IntcState {
  levels: number;
  latched: number;
  mask: number;
  routes: number[];
}

export class InterruptController implements Device {
  readonly name = "intc";
  readonly ports = { base: INTC_BASE, count: INTC_PORT_COUNT };

  private levels = 0;
  private latched = 0;
  private mask = 0;
  private routes: number[] = new Array<number>(INTC_LINES).fill(0);
  private lastPending = 0;
  private mirrorView: DataView | undefined;
  private readonly lines: IrqLine[];

  constructor(private readonly opts: IntcOptions) {
    this.lines = [];
    for (let n = 0; n < INTC_LINES; n++) {
      const bit = (1 << n) >>> 0;
      this.lines.push({
        set: (level) => this.setLevel(bit, level),
        pulse: () => this.latch(bit),
      });
    }
    this.syncMirror();
  }

  /** The IrqLine for line `n` (0..31), to hand to the device that owns it. */
  line(n: number): IrqLine {
    const line = this.lines[n];
    if (line === undefined) throw new RangeError(`intc: no line ${n}`);
    return line;
  }

  /** Raised and unmasked lines, as an unsigned bitmask. */
  pending(): number {
    return (this.raw() & ~this.mask) >>> 0;
  }

  /** Pending lines routed to `vcpu`. */
  pendingFor(vcpu: number): number {
    let bits = 0;
    for (let n = 0; n < INTC_LINES; n++) if (this.routes[n] === vcpu) bits |= 1 << n;
    return (this.pending() & bits) >>> 0;
  }

  /** Raised lines, ignoring the mask. */
  raw(): number {
    return (this.levels | this.latched) >>> 0;
  }

  /** The vCPU line `n` is routed to (0 until routed). */
  routeOf(n: number): number {
    return this.routes[n] ?? 0;
  }

  /** Route line `n` to `vcpu` (the HV_IRQ_ROUTE hypercall and the ROUTE register). */
  route(n: number, vcpu: number): boolean {
    if (!Number.isInteger(n) || n < 0 || n >= INTC_LINES) return false;
    this.routes[n] = vcpu & ROUTE_VCPU_MASK;
    return true;
  }

  /** Rewrite the RAM mirror unconditionally (after the machine replaces or clears RAM). */
  syncMirror(): void {
    this.writeMirror(this.pending());
  }

  read(port: number, width: Width): number {
    const value = this.readRegister(port);
    return width === 1 ? value & 0xff : value;
  }

  write(port: number, _width: Width, value: number): void {
    const v = value >>> 0;
    switch (port) {
      case INTC_MASK:
        this.mask = v;
        this.changed();
        break;
      case INTC_ACK:
        this.latched = (this.latched & ~v) >>> 0;
        this.changed();
        break;
      case INTC_ROUTE:
        this.route(v >>> ROUTE_LINE_SHIFT, v & ROUTE_VCPU_MASK);
        break;
      default:
        break; // PENDING and RAW are read-only
    }
  }

  reset(): void {
    this.levels = 0;
    this.latched = 0;
    this.mask = 0;
    this.routes.fill(0);
    this.changed();
  }

  save(): IntcState {
    return { levels: this.levels, latched: this.latched, mask: this.mask, routes: [...this.routes] };
  }

  restore(state: unknown): void {
    const s = state as Partial<IntcState> | null;
    if (typeof s !== "object" || s === null) throw new DeviceStateError("intc: state is not an object");
    const words = [s.levels, s.latched, s.mask];
    if (!words.every((w) => typeof w === "number" && Number.isInteger(w))) {
      throw new DeviceStateError("intc: levels/latched/mask must be integers");
    }
    const routes = s.routes;
    if (!Array.isArray(routes) || routes.length !== INTC_LINES || !routes.every((r) => Number.isInteger(r))) {
      throw new DeviceStateError(`intc: routes must be ${INTC_LINES} integers`);
    }
    this.levels = (s.levels as number) >>> 0;
    this.latched = (s.latched as number) >>> 0;
    this.mask = (s.mask as number) >>> 0;
    this.routes = routes.map((r: number) => r & ROUTE_VCPU_MASK);
    this.changed(true);
  }

  private readRegister(port: number): number {
    switch (port) {
      case INTC_PENDING: return this.pending();
      case INTC_MASK: return this.mask;
      case INTC_RAW: return this.raw();
      default: return 0; // ACK and ROUTE are write-only
    }
  }

  private setLevel(bit: number, level: boolean): void {
    const next = (level ? this.levels | bit : this.levels & ~bit) >>> 0;
    if (next === this.levels) return;
    this.levels = next;
    this.changed();
  }

  private latch(bit: number): void {
    const next = (this.latched | bit) >>> 0;
    if (next === this.latched) return;
    this.latched = next;
    this.changed();
  }

  private changed(force = false): void {
    const pending = this.pending();
    if (!force && pending === this.lastPending && this.mirrorFresh()) return;
    this.writeMirror(pending);
    if (pending !== this.lastPending || force) {
      this.lastPending = pending;
      this.opts.onChange?.(pending);
    }
  }

  /** True when the cached view still points at the machine's current RAM. */
  private mirrorFresh(): boolean {
    return this.mirrorView !== undefined && this.mirrorView.buffer === this.opts.memory();
  }

  private writeMirror(pending: number): void {
    const buffer = this.opts.memory();
    if (this.mirrorView === undefined || this.mirrorView.buffer !== buffer) {
      if (buffer.byteLength < INTC_MIRROR_ADDR + 4) {
        this.mirrorView = undefined; // RAM too small to hold the control block (unit tests)
        return;
      }
      this.mirrorView = new DataView(buffer, INTC_MIRROR_ADDR, 4);
    }
    this.mirrorView.setUint32(0, pending, true);
  }
}
