// A 16550A UART (COM1 at UART_BASE, 8 byte-wide ports), at register level.
//
// What is modelled, and how the emulated "wire" differs from a real one:
//
// * Transmit: the wire is infinitely fast. A byte written to THR passes
//   through the transmit FIFO and shift register before the write returns
//   (it goes to onTransmit, or to the receiver in loopback), so LSR.THRE and
//   LSR.TEMT always read 1 and FCR bit 2 has nothing left to clear. Every
//   THR write re-arms the THR-empty interrupt, as the emptied holding
//   register would on the chip. The baud-rate divisor is stored and read
//   back but does not pace anything.
// * Receive: a 16-byte FIFO (1-byte RBR when FCR.enable is 0) with the four
//   FCR trigger levels. Input from the host goes through receive() into an
//   unbounded host-side queue that refills the FIFO whenever the guest takes
//   a byte, so pasted text is never lost however slowly the guest reads.
//   receiveDirect() bypasses that queue and behaves like a real line: a byte
//   that finds the FIFO full is lost and sets LSR.OE. Loopback uses the same
//   path, so it can overrun too.
// * Character timeout: with the FIFO enabled and fewer bytes than the
//   trigger level, IIR reports "character timeout" (0x0C) at once instead
//   of after four character times — the emulated line is idle between
//   host deliveries. Drivers should treat 0x04 and 0x0C alike.
// * Modem lines: the far end is always present (CTS, DSR and DCD asserted,
//   RI not). In loopback the inputs follow MCR (RTS->CTS, DTR->DSR,
//   OUT1->RI, OUT2->DCD) and the delta bits and modem-status interrupt
//   work as on the chip. Serial input is disconnected in loopback: host
//   input stays queued until loopback is switched off.
// * Parity, framing errors and breaks never happen on this wire.
// * The interrupt output is a level on the IrqLine, high while IIR reports a
//   pending interrupt. It is not gated by MCR.OUT2 (that gate is PC board
//   logic, not part of the chip).
// * 4-byte port accesses use the low byte, as if the bus narrowed them.

import { DeviceStateError, type Device, type IrqLine, type Width } from "../device.js";
import { UART_BASE } from "../hw.js";

export const UART_PORT_COUNT = 8;
export const UART_FIFO_SIZE = 16;

// Register offsets from UART_BASE.
export const UART_RBR = 0; // r, DLAB=0: receive buffer
export const UART_THR = 0; // w, DLAB=0: transmit holding
export const UART_DLL = 0; // rw, DLAB=1: divisor latch low
export const UART_IER = 1; // rw, DLAB=0: interrupt enable
export const UART_DLM = 1; // rw, DLAB=1: divisor latch high
export const UART_IIR = 2; // r: interrupt identification
export const UART_FCR = 2; // w: FIFO control
export const UART_LCR = 3; // rw: line control
export const UART_MCR = 4; // rw: modem control
export const UART_LSR = 5; // r: line status
export const UART_MSR = 6; // r: modem status
export const UART_SCR = 7; // rw: scratch

// IER bits.
export const IER_RX_AVAILABLE = 0x01;
export const IER_THR_EMPTY = 0x02;
export const IER_LINE_STATUS = 0x04;
export const IER_MODEM_STATUS = 0x08;
const IER_WRITABLE = 0x0f;

// IIR values (bits 3:1 identify the source; bit 0 clear = interrupt pending).
export const IIR_NONE = 0x01;
export const IIR_LINE_STATUS = 0x06;
export const IIR_RX_AVAILABLE = 0x04;
export const IIR_CHAR_TIMEOUT = 0x0c;
export const IIR_THR_EMPTY = 0x02;
export const IIR_MODEM_STATUS = 0x00;
export const IIR_FIFO_ENABLED = 0xc0;

// FCR bits.
export const FCR_ENABLE = 0x01;
export const FCR_CLEAR_RX = 0x02;
export const FCR_CLEAR_TX = 0x04;
export const FCR_DMA_MODE = 0x08;
export const FCR_TRIGGER_SHIFT = 6;
/** RX trigger level for FCR bits 7:6 = 00, 01, 10, 11. */
export const FCR_TRIGGER_LEVELS: readonly number[] = [1, 4, 8, 14];
const FCR_STORED = FCR_ENABLE | FCR_DMA_MODE | 0xc0;

// LCR bits.
export const LCR_DLAB = 0x80;

// MCR bits.
export const MCR_DTR = 0x01;
export const MCR_RTS = 0x02;
export const MCR_OUT1 = 0x04;
export const MCR_OUT2 = 0x08;
export const MCR_LOOPBACK = 0x10;
const MCR_WRITABLE = 0x1f;

// LSR bits.
export const LSR_DATA_READY = 0x01;
export const LSR_OVERRUN = 0x02;
export const LSR_PARITY = 0x04;
export const LSR_FRAMING = 0x08;
export const LSR_BREAK = 0x10;
export const LSR_THR_EMPTY = 0x20;
export const LSR_TX_EMPTY = 0x40;
export const LSR_RX_FIFO_ERROR = 0x80;
const LSR_ERRORS = LSR_OVERRUN | LSR_PARITY | LSR_FRAMING | LSR_BREAK;

// MSR bits: deltas in the low nibble, line states in the high nibble.
export const MSR_DELTA_CTS = 0x01;
export const MSR_DELTA_DSR = 0x02;
export const MSR_TRAILING_RI = 0x04;
export const MSR_DELTA_DCD = 0x08;
export const MSR_CTS = 0x10;
export const MSR_DSR = 0x20;
export const MSR_RI = 0x40;
export const MSR_DCD = 0x80;
/** The far end of the host's wire: present and ready, never ringing. */
const MODEM_CONNECTED = MSR_CTS | MSR_DSR | MSR_DCD;

/** Divisor at power-on: 12, i.e. 9600 baud (the chip's own value is undefined). */
export const UART_RESET_DIVISOR = 12;
export const UART_CLOCK_HZ = 1_843_200;

/** Compact the host queue once this many consumed bytes sit at its front. */
const QUEUE_COMPACT_AT = 4096;

export interface Uart16550Options {
  irq: IrqLine;
  /** Receives each byte the guest transmits (not called in loopback). */
  onTransmit: (byte: number) => void;
}

export interface Uart16550State {
  ier: number;
  lcr: number;
  mcr: number;
  scr: number;
  dll: number;
  dlm: number;
  fcr: number;
  rbr: number;
  lsrErrors: number;
  thrInterrupt: boolean;
  modemInputs: number;
  msrDeltas: number;
  rxFifo: number[];
  hostQueue: number[];
}

export class Uart16550 implements Device {
  readonly name = "uart16550";
  readonly ports = { base: UART_BASE, count: UART_PORT_COUNT };

  private ier = 0;
  private lcr = 0;
  private mcr = 0;
  private scr = 0;
  private dll = UART_RESET_DIVISOR;
  private dlm = 0;
  private fcr = 0;
  /** Last byte taken from the receiver; RBR reads it again when nothing new has arrived. */
  private rbr = 0;
  /** Sticky LSR error bits, cleared by reading LSR. */
  private lsrErrors = 0;
  /** THR-empty interrupt source: set when THR empties, cleared by THR write or by reading it from IIR. */
  private thrInterrupt = false;
  private modemInputs = MODEM_CONNECTED;
  private msrDeltas = 0;
  private rxFifo: number[] = [];
  /** Host input not yet in the FIFO: hostQueue[queueHead..] in arrival order. */
  private hostQueue: number[] = [];
  private queueHead = 0;

  constructor(private readonly opts: Uart16550Options) {
    this.updateIrq();
  }

  // ---- host side ----

  /** Queue input from the host (keyboard, paste). Never loses a byte. */
  receive(bytes: Uint8Array | readonly number[]): void {
    for (let i = 0; i < bytes.length; i++) this.hostQueue.push((bytes[i] as number) & 0xff);
    this.refill();
    this.updateIrq();
  }

  /** Put bytes straight on the receive wire, bypassing the host queue: a byte that finds the FIFO full is lost (LSR.OE). */
  receiveDirect(bytes: Uint8Array | readonly number[]): void {
    if (this.loopback()) return; // serial input is disconnected in loopback
    for (let i = 0; i < bytes.length; i++) this.receiveFromWire((bytes[i] as number) & 0xff);
    this.updateIrq();
  }

  /** Host input bytes still waiting outside the FIFO. */
  rxQueued(): number {
    return this.hostQueue.length - this.queueHead;
  }

  /** Bytes in the receive FIFO (or RBR), ready for the guest. */
  rxFifoLevel(): number {
    return this.rxFifo.length;
  }

  /** True while the interrupt output is asserted. */
  interruptPending(): boolean {
    return this.identify() !== IIR_NONE;
  }

  /** The baud rate the guest programmed (informational: nothing is paced by it). */
  baudRate(): number {
    const divisor = (this.dlm << 8) | this.dll;
    return divisor === 0 ? 0 : UART_CLOCK_HZ / 16 / divisor;
  }

  // ---- guest side ----

  read(port: number, _width: Width): number {
    switch (port - UART_BASE) {
      case 0: return this.dlab() ? this.dll : this.readRbr();
      case 1: return this.dlab() ? this.dlm : this.ier;
      case 2: return this.readIir();
      case UART_LCR: return this.lcr;
      case UART_MCR: return this.mcr;
      case UART_LSR: return this.readLsr();
      case UART_MSR: return this.readMsr();
      case UART_SCR: return this.scr;
      default: return 0xff;
    }
  }

  write(port: number, _width: Width, value: number): void {
    const v = value & 0xff;
    switch (port - UART_BASE) {
      case 0:
        if (this.dlab()) this.dll = v;
        else this.writeThr(v);
        break;
      case 1:
        if (this.dlab()) this.dlm = v;
        else this.writeIer(v);
        break;
      case 2: this.writeFcr(v); break;
      case UART_LCR: this.lcr = v; break;
      case UART_MCR: this.writeMcr(v); break;
      case UART_SCR: this.scr = v; break;
      default: break; // LSR and MSR writes are factory-test only: ignored
    }
  }

  reset(): void {
    this.ier = 0;
    this.lcr = 0;
    this.mcr = 0;
    this.scr = 0;
    this.dll = UART_RESET_DIVISOR;
    this.dlm = 0;
    this.fcr = 0;
    this.rbr = 0;
    this.lsrErrors = 0;
    this.thrInterrupt = false;
    this.modemInputs = MODEM_CONNECTED;
    this.msrDeltas = 0;
    this.rxFifo = [];
    this.hostQueue = [];
    this.queueHead = 0;
    this.updateIrq();
  }

  save(): Uart16550State {
    return {
      ier: this.ier,
      lcr: this.lcr,
      mcr: this.mcr,
      scr: this.scr,
      dll: this.dll,
      dlm: this.dlm,
      fcr: this.fcr,
      rbr: this.rbr,
      lsrErrors: this.lsrErrors,
      thrInterrupt: this.thrInterrupt,
      modemInputs: this.modemInputs,
      msrDeltas: this.msrDeltas,
      rxFifo: [...this.rxFifo],
      hostQueue: this.hostQueue.slice(this.queueHead),
    };
  }

  restore(state: unknown): void {
    const s = state as Partial<Uart16550State> | null;
    if (typeof s !== "object" || s === null) throw new DeviceStateError("uart16550: state is not an object");
    const bytes = ["ier", "lcr", "mcr", "scr", "dll", "dlm", "fcr", "rbr", "lsrErrors", "modemInputs", "msrDeltas"] as const;
    for (const key of bytes) {
      if (!isByte(s[key])) throw new DeviceStateError(`uart16550: ${key} must be a byte`);
    }
    if (typeof s.thrInterrupt !== "boolean") throw new DeviceStateError("uart16550: thrInterrupt must be a boolean");
    const capacity = isByte(s.fcr) && s.fcr & FCR_ENABLE ? UART_FIFO_SIZE : 1;
    if (!Array.isArray(s.rxFifo) || !s.rxFifo.every(isByte) || s.rxFifo.length > capacity) {
      throw new DeviceStateError(`uart16550: rxFifo must be at most ${capacity} bytes`);
    }
    if (!Array.isArray(s.hostQueue) || !s.hostQueue.every(isByte)) {
      throw new DeviceStateError("uart16550: hostQueue must be bytes");
    }
    this.ier = (s.ier as number) & IER_WRITABLE;
    this.lcr = s.lcr as number;
    this.mcr = (s.mcr as number) & MCR_WRITABLE;
    this.scr = s.scr as number;
    this.dll = s.dll as number;
    this.dlm = s.dlm as number;
    this.fcr = (s.fcr as number) & FCR_STORED;
    this.rbr = s.rbr as number;
    this.lsrErrors = (s.lsrErrors as number) & LSR_ERRORS;
    this.thrInterrupt = s.thrInterrupt;
    this.modemInputs = (s.modemInputs as number) & 0xf0;
    this.msrDeltas = (s.msrDeltas as number) & 0x0f;
    this.rxFifo = [...s.rxFifo];
    this.hostQueue = [...s.hostQueue];
    this.queueHead = 0;
    this.refill();
    this.updateIrq();
  }

  // ---- registers ----

  private readRbr(): number {
    const byte = this.rxFifo.shift();
    if (byte !== undefined) {
      this.rbr = byte;
      this.refill();
      this.updateIrq();
    }
    return this.rbr;
  }

  private writeThr(byte: number): void {
    this.thrInterrupt = false;
    if (this.loopback()) this.receiveFromWire(byte);
    else this.opts.onTransmit(byte);
    // The byte has left: the holding register is empty again.
    this.thrInterrupt = true;
    this.updateIrq();
  }

  private writeIer(v: number): void {
    const enabling = v & ~this.ier;
    this.ier = v & IER_WRITABLE;
    // Enabling the THR-empty interrupt while THR is empty raises it at once (16550A behaviour).
    if (enabling & IER_THR_EMPTY) this.thrInterrupt = true;
    this.updateIrq();
  }

  private readIir(): number {
    const id = this.identify();
    // Reading IIR while it reports THR empty is what acknowledges that source.
    if (id === IIR_THR_EMPTY) {
      this.thrInterrupt = false;
      this.updateIrq();
    }
    return id | (this.fifoEnabled() ? IIR_FIFO_ENABLED : 0);
  }

  private writeFcr(v: number): void {
    const wasEnabled = this.fifoEnabled();
    if (!(v & FCR_ENABLE)) {
      // The other FCR bits only take effect while bit 0 is written as 1.
      this.fcr = 0;
      if (wasEnabled) this.rxFifo = [];
    } else {
      this.fcr = v & FCR_STORED;
      if (!wasEnabled || v & FCR_CLEAR_RX) this.rxFifo = [];
      // FCR_CLEAR_TX: the transmit FIFO is always already empty.
    }
    this.refill();
    this.updateIrq();
  }

  private writeMcr(v: number): void {
    this.mcr = v & MCR_WRITABLE;
    this.updateModemInputs();
    this.refill(); // leaving loopback reconnects the host's input
    this.updateIrq();
  }

  private readLsr(): number {
    let lsr = LSR_THR_EMPTY | LSR_TX_EMPTY | this.lsrErrors;
    if (this.rxFifo.length > 0) lsr |= LSR_DATA_READY;
    if (this.lsrErrors !== 0) {
      this.lsrErrors = 0;
      this.updateIrq();
    }
    return lsr;
  }

  private readMsr(): number {
    const msr = this.modemInputs | this.msrDeltas;
    if (this.msrDeltas !== 0) {
      this.msrDeltas = 0;
      this.updateIrq();
    }
    return msr;
  }

  // ---- receive path ----

  /** One byte arriving at the receiver from the line (or from loopback). */
  private receiveFromWire(byte: number): void {
    if (this.rxFifo.length < this.rxCapacity()) {
      this.rxFifo.push(byte);
      return;
    }
    this.lsrErrors |= LSR_OVERRUN;
    // Without the FIFO the new byte overwrites RBR; with it, the byte in the shift register is lost.
    if (!this.fifoEnabled()) this.rxFifo[0] = byte;
  }

  /** Move host input into the FIFO while there is room and the input is connected. */
  private refill(): void {
    if (this.loopback()) return;
    const capacity = this.rxCapacity();
    while (this.rxFifo.length < capacity && this.queueHead < this.hostQueue.length) {
      this.rxFifo.push(this.hostQueue[this.queueHead++] as number);
    }
    if (this.queueHead === this.hostQueue.length) {
      this.hostQueue = [];
      this.queueHead = 0;
    } else if (this.queueHead >= QUEUE_COMPACT_AT) {
      this.hostQueue = this.hostQueue.slice(this.queueHead);
      this.queueHead = 0;
    }
  }

  // ---- interrupts and modem lines ----

  /** The IIR source id, highest priority first. */
  private identify(): number {
    if (this.ier & IER_LINE_STATUS && this.lsrErrors !== 0) return IIR_LINE_STATUS;
    if (this.ier & IER_RX_AVAILABLE && this.rxFifo.length > 0) {
      if (!this.fifoEnabled() || this.rxFifo.length >= this.triggerLevel()) return IIR_RX_AVAILABLE;
      return IIR_CHAR_TIMEOUT;
    }
    if (this.ier & IER_THR_EMPTY && this.thrInterrupt) return IIR_THR_EMPTY;
    if (this.ier & IER_MODEM_STATUS && this.msrDeltas !== 0) return IIR_MODEM_STATUS;
    return IIR_NONE;
  }

  private updateIrq(): void {
    this.opts.irq.set(this.identify() !== IIR_NONE);
  }

  private updateModemInputs(): void {
    const next = this.loopback()
      ? ((this.mcr & MCR_RTS) ? MSR_CTS : 0) |
        ((this.mcr & MCR_DTR) ? MSR_DSR : 0) |
        ((this.mcr & MCR_OUT1) ? MSR_RI : 0) |
        ((this.mcr & MCR_OUT2) ? MSR_DCD : 0)
      : MODEM_CONNECTED;
    const changed = next ^ this.modemInputs;
    if (changed & MSR_CTS) this.msrDeltas |= MSR_DELTA_CTS;
    if (changed & MSR_DSR) this.msrDeltas |= MSR_DELTA_DSR;
    if (changed & MSR_DCD) this.msrDeltas |= MSR_DELTA_DCD;
    if (this.modemInputs & MSR_RI && !(next & MSR_RI)) this.msrDeltas |= MSR_TRAILING_RI;
    this.modemInputs = next;
  }

  private dlab(): boolean {
    return (this.lcr & LCR_DLAB) !== 0;
  }

  private loopback(): boolean {
    return (this.mcr & MCR_LOOPBACK) !== 0;
  }

  private fifoEnabled(): boolean {
    return (this.fcr & FCR_ENABLE) !== 0;
  }

  private rxCapacity(): number {
    return this.fifoEnabled() ? UART_FIFO_SIZE : 1;
  }

  private triggerLevel(): number {
    return FCR_TRIGGER_LEVELS[this.fcr >>> FCR_TRIGGER_SHIFT] as number;
  }
}

function isByte(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 0xff;
}
