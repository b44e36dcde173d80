// The paravirtual network card (docs/network.md, "The NIC"): Ethernet frames
// through two rings of 16-byte slots in guest RAM, fifteen 32-bit registers
// at NIC_BASE, a receive interrupt, and counters. The wire behind it is a
// NetBackend (host/net/backend.ts): the loopback, or a virtual switch
// joining several machines (host/net/switch.ts).
//
// Transmit: the kernel fills TX slots (buffer address, frame length) and
// writes its producer index to TX_DOORBELL; every ready slot is sent before
// that write returns, in order, each slot gets its status and TX_DONE
// advances. Receive: the kernel posts empty buffers in RX slots (address,
// capacity) and writes its producer index to RX_AVAIL; the device fills
// posted buffers in order with arriving frames (length and status written
// back), advances RX_USED and raises the receive interrupt. Frames that find
// no posted buffer wait in a bounded queue in the device; past its limit
// they are dropped and counted.
//
// Where it differs from a real NIC: no latency, no DMA engine, no checksum
// offload, no FCS; frames are 14..1514 bytes. Everything the guest writes is
// checked: a slot with a bad length or a buffer outside RAM gets an error
// status, a doorbell whose index claims more slots than the ring holds (or a
// ring outside RAM) is ignored and counted. Nothing the guest does throws.
//
// RAM is reached through a getter, never kept (replaced on reboot, detached
// on grow).

import { DeviceStateError, type Device, type IrqLine, type Width } from "../device.js";
import { NIC_BASE } from "../hw.js";
import { frameLengthOk, MAC_LEN, type NetBackend, type NetLink } from "../net/backend.js";

// ---- registers (byte offsets from NIC_BASE) ----
export const NIC_MAGIC = 0x00;
export const NIC_MAC_LO = 0x04;
export const NIC_MAC_HI = 0x08;
export const NIC_STATUS = 0x0c;
export const NIC_CTRL = 0x10;
export const NIC_TX_BASE = 0x14;
export const NIC_TX_SLOTS = 0x18;
export const NIC_TX_DOORBELL = 0x1c;
export const NIC_TX_DONE = 0x20;
export const NIC_RX_BASE = 0x24;
export const NIC_RX_SLOTS = 0x28;
export const NIC_RX_AVAIL = 0x2c;
export const NIC_RX_USED = 0x30;
export const NIC_COUNTER_SELECT = 0x34;
export const NIC_COUNTER = 0x38;
export const NIC_PORT_COUNT = NIC_COUNTER + 4;

export const NIC_MAGIC_VALUE = 0x43494e4b; // "KNIC" as a little-endian u32
export const NIC_STATUS_LINK = 1 << 0;
export const NIC_STATUS_RX = 1 << 1;
export const NIC_STATUS_TX = 1 << 2;
export const NIC_CTRL_RX_ENABLE = 1 << 0;
export const NIC_CTRL_IRQ_ENABLE = 1 << 1;

export const NIC_RING_ALIGN = 4096;
export const NIC_MAX_SLOTS = 256;
/** Frames held in the device while no receive buffer is posted. */
export const NIC_RX_QUEUE_LIMIT = 64;

// ---- a ring slot ----
export const NIC_SLOT_SIZE = 16;
export const NIC_SLOT_BUFFER = 0; // u64 physical address
export const NIC_SLOT_LENGTH = 8; // u32: TX frame length; RX capacity in, frame length out
export const NIC_SLOT_STATUS = 12; // u32, written by the device

export const NIC_SLOT_PENDING = 0;
export const NIC_SLOT_DONE = 1;
export const NIC_SLOT_BAD_LENGTH = 2;
export const NIC_SLOT_BAD_BUFFER = 3;
export const NIC_SLOT_LINK_DOWN = 4;

// ---- counters (NIC_COUNTER_SELECT values) ----
export const NIC_CNT_TX_FRAMES = 0;
export const NIC_CNT_TX_BYTES = 1;
export const NIC_CNT_TX_ERRORS = 2;
export const NIC_CNT_RX_FRAMES = 3;
export const NIC_CNT_RX_BYTES = 4;
/** Frames lost: receive disabled, or the device queue full. */
export const NIC_CNT_RX_DROPPED = 5;
/** Frames lost to a bad posted buffer (outside RAM, too small) or a bad length from the wire. */
export const NIC_CNT_RX_ERRORS = 6;
/** Doorbells and RX_AVAIL writes ignored (ring unusable or index impossible). */
export const NIC_CNT_BAD_INDEX = 7;
/** Frames waiting in the device queue now. */
export const NIC_CNT_RX_QUEUED = 8;
export const NIC_COUNTERS = 9;

const TWO_32 = 0x1_0000_0000;

export interface NicOptions {
  memory: () => ArrayBufferLike;
  irq: IrqLine;
  /** The wire; null or absent means no NIC fitted (MAGIC reads 0). */
  backend?: NetBackend | null;
  /** The card's address; default 02:00:00:00:00:01 (locally administered). */
  mac?: Uint8Array;
  /** Called when a frame arrives, so an idle machine can wake. */
  onReceive?: () => void;
}

export interface NicCounters {
  txFrames: number; txBytes: number; txErrors: number;
  rxFrames: number; rxBytes: number; rxDropped: number; rxErrors: number;
  badIndex: number;
}

export interface NicState {
  ctrl: number;
  rxIrq: boolean;
  txIrq: boolean;
  txBase: number; txSlots: number; txDone: number;
  rxBase: number; rxSlots: number; rxAvail: number; rxUsed: number;
  counterSelect: number;
  counters: NicCounters;
  /** Frames waiting for a posted buffer, as byte arrays. */
  rxQueue: number[][];
}

const COUNTER_KEYS = ["txFrames", "txBytes", "txErrors", "rxFrames", "rxBytes", "rxDropped", "rxErrors", "badIndex"] as const;

function zeroCounters(): NicCounters {
  return { txFrames: 0, txBytes: 0, txErrors: 0, rxFrames: 0, rxBytes: 0, rxDropped: 0, rxErrors: 0, badIndex: 0 };
}

export class NicDevice implements Device {
  readonly name = "nic";
  readonly ports = { base: NIC_BASE, count: NIC_PORT_COUNT };
  readonly mac: Uint8Array;

  private link: NetLink | null = null;
  private ctrl = 0;
  private rxIrq = false;
  private txIrq = false;
  private txBase = 0;
  private txSlots = 0;
  private txDone = 0;
  private rxBase = 0;
  private rxSlots = 0;
  private rxAvail = 0;
  private rxUsed = 0;
  private counterSelect = 0;
  private c: NicCounters = zeroCounters();
  private rxQueue: Uint8Array[] = [];

  constructor(private readonly opts: NicOptions) {
    this.mac = (opts.mac ?? Uint8Array.of(2, 0, 0, 0, 0, 1)).slice(0, MAC_LEN);
    if (this.mac.length !== MAC_LEN) throw new Error("a MAC address is 6 bytes");
    if (opts.backend) this.link = opts.backend.attach({ mac: this.mac, receive: (f) => this.receive(f) });
  }

  // ---- host side ----

  /** Pulls the card off its wire: from now on it reads as not fitted. */
  unplug(): void {
    this.link?.detach();
    this.link = null;
  }

  get fitted(): boolean {
    return this.link !== null;
  }

  linkUp(): boolean {
    return this.link?.up === true;
  }

  counters(): NicCounters {
    return { ...this.c };
  }

  get rxQueued(): number {
    return this.rxQueue.length;
  }

  /** A frame from the wire. Bad lengths and frames nobody can take are counted, never thrown. */
  receive(frame: Uint8Array): void {
    if (!this.link) return;
    if (!frameLengthOk(frame.length)) { this.c.rxErrors++; return; }
    if ((this.ctrl & NIC_CTRL_RX_ENABLE) === 0 || this.rxQueue.length >= NIC_RX_QUEUE_LIMIT) { this.c.rxDropped++; return; }
    this.rxQueue.push(frame.slice());
    this.deliver();
    this.opts.onReceive?.();
  }

  // ---- guest side ----

  read(port: number, _width: Width): number {
    if (!this.link) return 0; // no card: the registers read as zero, MAGIC included
    switch (port - NIC_BASE) {
      case NIC_MAGIC: return NIC_MAGIC_VALUE;
      case NIC_MAC_LO: return (this.mac[0]! | this.mac[1]! << 8 | this.mac[2]! << 16 | this.mac[3]! << 24) >>> 0;
      case NIC_MAC_HI: return this.mac[4]! | this.mac[5]! << 8;
      case NIC_STATUS: return (this.linkUp() ? NIC_STATUS_LINK : 0) | (this.rxIrq ? NIC_STATUS_RX : 0) | (this.txIrq ? NIC_STATUS_TX : 0);
      case NIC_CTRL: return this.ctrl;
      case NIC_TX_BASE: return this.txBase;
      case NIC_TX_SLOTS: return this.txSlots;
      case NIC_TX_DONE: return this.txDone;
      case NIC_RX_BASE: return this.rxBase;
      case NIC_RX_SLOTS: return this.rxSlots;
      case NIC_RX_AVAIL: return this.rxAvail;
      case NIC_RX_USED: return this.rxUsed;
      case NIC_COUNTER_SELECT: return this.counterSelect;
      case NIC_COUNTER: return this.counter(this.counterSelect);
      default: return 0;
    }
  }

  write(port: number, _width: Width, value: number): void {
    if (!this.link) return;
    const v = value >>> 0;
    switch (port - NIC_BASE) {
      case NIC_STATUS:
        if (v & NIC_STATUS_RX) this.rxIrq = false;
        if (v & NIC_STATUS_TX) this.txIrq = false;
        break;
      case NIC_CTRL:
        this.ctrl = v & (NIC_CTRL_RX_ENABLE | NIC_CTRL_IRQ_ENABLE);
        this.deliver();
        break;
      case NIC_TX_BASE: this.txBase = v - (v % NIC_RING_ALIGN); break;
      case NIC_TX_SLOTS: if (isValidSlotCount(v)) this.txSlots = v; break;
      case NIC_TX_DOORBELL: this.transmit(v); break;
      case NIC_RX_BASE: this.rxBase = v - (v % NIC_RING_ALIGN); break;
      case NIC_RX_SLOTS: if (isValidSlotCount(v)) this.rxSlots = v; break;
      case NIC_RX_AVAIL: this.post(v); break;
      case NIC_COUNTER_SELECT: this.counterSelect = v; break;
      default: break; // read-only registers ignore writes
    }
    this.updateIrq();
  }

  reset(): void {
    this.ctrl = 0;
    this.rxIrq = this.txIrq = false;
    this.txBase = this.txSlots = this.txDone = 0;
    this.rxBase = this.rxSlots = this.rxAvail = this.rxUsed = 0;
    this.counterSelect = 0;
    this.c = zeroCounters();
    this.rxQueue = [];
    this.updateIrq();
  }

  save(): NicState {
    return {
      ctrl: this.ctrl, rxIrq: this.rxIrq, txIrq: this.txIrq,
      txBase: this.txBase, txSlots: this.txSlots, txDone: this.txDone,
      rxBase: this.rxBase, rxSlots: this.rxSlots, rxAvail: this.rxAvail, rxUsed: this.rxUsed,
      counterSelect: this.counterSelect, counters: { ...this.c },
      rxQueue: this.rxQueue.map((f) => [...f]),
    };
  }

  restore(state: unknown): void {
    // A snapshot taken before machines had a NIC holds none: power-on state.
    if (state === undefined) { this.reset(); return; }
    const s = state as Partial<NicState> | null;
    if (typeof s !== "object" || s === null) throw new DeviceStateError("nic: state is not an object");
    const u32 = (v: unknown, what: string): number => {
      if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v >= TWO_32) throw new DeviceStateError(`nic: ${what} must be a u32`);
      return v;
    };
    const ctrl = u32(s.ctrl, "ctrl");
    if ((ctrl & ~(NIC_CTRL_RX_ENABLE | NIC_CTRL_IRQ_ENABLE)) !== 0) throw new DeviceStateError("nic: ctrl has unknown bits");
    if (typeof s.rxIrq !== "boolean" || typeof s.txIrq !== "boolean") throw new DeviceStateError("nic: rxIrq/txIrq must be booleans");
    const txBase = u32(s.txBase, "txBase"), rxBase = u32(s.rxBase, "rxBase");
    if (txBase % NIC_RING_ALIGN !== 0 || rxBase % NIC_RING_ALIGN !== 0) throw new DeviceStateError("nic: ring bases must be 4096-aligned");
    const txSlots = u32(s.txSlots, "txSlots"), rxSlots = u32(s.rxSlots, "rxSlots");
    if ((txSlots !== 0 && !isValidSlotCount(txSlots)) || (rxSlots !== 0 && !isValidSlotCount(rxSlots))) {
      throw new DeviceStateError("nic: ring sizes must be 0 or a power of two up to 256");
    }
    const counters = s.counters as Partial<NicCounters> | undefined;
    if (typeof counters !== "object" || counters === null) throw new DeviceStateError("nic: counters missing");
    const c = zeroCounters();
    for (const k of COUNTER_KEYS) {
      const v = counters[k];
      if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) throw new DeviceStateError(`nic: counter ${k} must be a count`);
      c[k] = v;
    }
    if (!Array.isArray(s.rxQueue) || s.rxQueue.length > NIC_RX_QUEUE_LIMIT) throw new DeviceStateError("nic: rxQueue must be a list of at most 64 frames");
    const queue = s.rxQueue.map((f) => {
      if (!Array.isArray(f) || !frameLengthOk(f.length) || f.some((b) => typeof b !== "number" || !Number.isInteger(b) || b < 0 || b > 255)) {
        throw new DeviceStateError("nic: a queued frame must be 14..1514 bytes");
      }
      return Uint8Array.from(f);
    });
    this.ctrl = ctrl;
    this.rxIrq = s.rxIrq;
    this.txIrq = s.txIrq;
    this.txBase = txBase; this.txSlots = txSlots; this.txDone = u32(s.txDone, "txDone");
    this.rxBase = rxBase; this.rxSlots = rxSlots;
    this.rxAvail = u32(s.rxAvail, "rxAvail"); this.rxUsed = u32(s.rxUsed, "rxUsed");
    this.counterSelect = u32(s.counterSelect, "counterSelect");
    this.c = c;
    this.rxQueue = queue;
    this.updateIrq();
  }

  // ---- rings ----

  private counter(i: number): number {
    if (i === NIC_CNT_RX_QUEUED) return this.rxQueue.length;
    const key = COUNTER_KEYS[i];
    return key === undefined ? 0 : this.c[key] % TWO_32;
  }

  private updateIrq(): void {
    this.opts.irq.set((this.ctrl & NIC_CTRL_IRQ_ENABLE) !== 0 && (this.rxIrq || this.txIrq));
  }

  private ringFits(base: number, slots: number, ram: ArrayBufferLike): boolean {
    return slots !== 0 && base + slots * NIC_SLOT_SIZE <= ram.byteLength;
  }

  /** TX doorbell: sends slots txDone..producer-1. */
  private transmit(producer: number): void {
    const ready = (producer - this.txDone) >>> 0;
    const ram = this.opts.memory();
    if (!this.ringFits(this.txBase, this.txSlots, ram) || ready > this.txSlots) {
      this.c.badIndex++;
      return;
    }
    if (ready === 0) return;
    const view = new DataView(ram);
    for (let i = 0; i < ready; i++) {
      const slot = this.txBase + (this.txDone % this.txSlots) * NIC_SLOT_SIZE;
      const status = this.sendSlot(view, ram, slot);
      if (status !== NIC_SLOT_DONE) this.c.txErrors++;
      view.setUint32(slot + NIC_SLOT_STATUS, status, true);
      this.txDone = (this.txDone + 1) >>> 0;
    }
    this.txIrq = true;
  }

  private sendSlot(view: DataView, ram: ArrayBufferLike, slot: number): number {
    const lo = view.getUint32(slot + NIC_SLOT_BUFFER, true);
    const hi = view.getUint32(slot + NIC_SLOT_BUFFER + 4, true);
    const length = view.getUint32(slot + NIC_SLOT_LENGTH, true);
    if (!frameLengthOk(length)) return NIC_SLOT_BAD_LENGTH;
    if (hi !== 0 || lo + length > ram.byteLength) return NIC_SLOT_BAD_BUFFER;
    if (!this.linkUp()) return NIC_SLOT_LINK_DOWN;
    this.link!.transmit(new Uint8Array(ram, lo, length));
    this.c.txFrames++;
    this.c.txBytes += length;
    return NIC_SLOT_DONE;
  }

  /** RX_AVAIL: the kernel has posted buffers up to (not including) `avail`. */
  private post(avail: number): void {
    const ram = this.opts.memory();
    if (!this.ringFits(this.rxBase, this.rxSlots, ram) || ((avail - this.rxUsed) >>> 0) > this.rxSlots) {
      this.c.badIndex++;
      return;
    }
    this.rxAvail = avail;
    this.deliver();
  }

  /** Moves queued frames into posted buffers while there are both. */
  private deliver(): void {
    if ((this.ctrl & NIC_CTRL_RX_ENABLE) === 0 || this.rxQueue.length === 0) return;
    const ram = this.opts.memory();
    if (!this.ringFits(this.rxBase, this.rxSlots, ram)) return;
    const view = new DataView(ram);
    let filled = false;
    while (this.rxQueue.length > 0 && this.rxUsed !== this.rxAvail) {
      const slot = this.rxBase + (this.rxUsed % this.rxSlots) * NIC_SLOT_SIZE;
      const frame = this.rxQueue.shift()!;
      const lo = view.getUint32(slot + NIC_SLOT_BUFFER, true);
      const hi = view.getUint32(slot + NIC_SLOT_BUFFER + 4, true);
      const capacity = view.getUint32(slot + NIC_SLOT_LENGTH, true);
      if (hi !== 0 || capacity < frame.length || lo + frame.length > ram.byteLength) {
        view.setUint32(slot + NIC_SLOT_STATUS, NIC_SLOT_BAD_BUFFER, true);
        this.c.rxErrors++;
      } else {
        new Uint8Array(ram, lo, frame.length).set(frame);
        view.setUint32(slot + NIC_SLOT_LENGTH, frame.length, true);
        view.setUint32(slot + NIC_SLOT_STATUS, NIC_SLOT_DONE, true);
        this.c.rxFrames++;
        this.c.rxBytes += frame.length;
      }
      this.rxUsed = (this.rxUsed + 1) >>> 0;
      filled = true;
    }
    if (filled) {
      this.rxIrq = true;
      this.updateIrq();
    }
  }
}

function isValidSlotCount(n: number): boolean {
  return n >= 1 && n <= NIC_MAX_SLOTS && (n & (n - 1)) === 0;
}
