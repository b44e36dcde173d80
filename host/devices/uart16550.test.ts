import { describe, it, expect } from "vitest";
import type { IrqLine } from "../device.js";
import { DeviceStateError } from "../device.js";
import { UART_BASE } from "../hw.js";
import {
  FCR_CLEAR_RX, FCR_ENABLE, IER_LINE_STATUS, IER_MODEM_STATUS, IER_RX_AVAILABLE, IER_THR_EMPTY,
  IIR_CHAR_TIMEOUT, IIR_FIFO_ENABLED, IIR_LINE_STATUS, IIR_MODEM_STATUS, IIR_NONE, IIR_RX_AVAILABLE, IIR_THR_EMPTY,
  LCR_DLAB, LSR_DATA_READY, LSR_OVERRUN, LSR_THR_EMPTY, LSR_TX_EMPTY, MCR_DTR, MCR_LOOPBACK, MCR_OUT1, MCR_OUT2,
  MCR_RTS, MSR_CTS, MSR_DCD, MSR_DELTA_CTS, MSR_DELTA_DCD, MSR_DELTA_DSR, MSR_DSR, MSR_RI, MSR_TRAILING_RI,
  UART_DLL, UART_DLM, UART_FCR, UART_FIFO_SIZE, UART_IER, UART_IIR, UART_LCR, UART_LSR, UART_MCR, UART_MSR,
  UART_RBR, UART_SCR, UART_THR, Uart16550,
} from "./uart16550.js";

class FakeIrq implements IrqLine {
  level = false;
  pulses = 0;
  set(level: boolean): void { this.level = level; }
  pulse(): void { this.pulses++; }
}

function makeUart() {
  const irq = new FakeIrq();
  const sent: number[] = [];
  const uart = new Uart16550({ irq, onTransmit: (b) => sent.push(b) });
  const inb = (reg: number) => uart.read(UART_BASE + reg, 1);
  const outb = (reg: number, v: number) => uart.write(UART_BASE + reg, 1, v);
  return { uart, irq, sent, inb, outb };
}

const bytes = (s: string) => Array.from(s, (c) => c.charCodeAt(0));

function drain(inb: (reg: number) => number): number[] {
  const out: number[] = [];
  while (inb(UART_LSR) & LSR_DATA_READY) out.push(inb(UART_RBR));
  return out;
}

describe("16550 power-on state", () => {
  it("reads the datasheet reset values", () => {
    const { inb, irq } = makeUart();
    expect(inb(UART_IER)).toBe(0);
    expect(inb(UART_IIR)).toBe(IIR_NONE);
    expect(inb(UART_LCR)).toBe(0);
    expect(inb(UART_MCR)).toBe(0);
    expect(inb(UART_LSR)).toBe(LSR_THR_EMPTY | LSR_TX_EMPTY);
    expect(inb(UART_MSR)).toBe(MSR_CTS | MSR_DSR | MSR_DCD);
    expect(irq.level).toBe(false);
  });

  it("returns to power-on values after reset, dropping queued input", () => {
    const { uart, inb, outb, irq } = makeUart();
    outb(UART_LCR, 0x83);
    outb(UART_DLL, 1);
    outb(UART_LCR, 0x03);
    outb(UART_IER, 0x0f);
    outb(UART_FCR, FCR_ENABLE | 0xc0);
    outb(UART_MCR, 0x1f);
    outb(UART_SCR, 0x5a);
    outb(UART_MCR, 0x0b);
    uart.receive(new Uint8Array(40));
    expect(irq.level).toBe(true);

    uart.reset();
    expect(irq.level).toBe(false);
    expect(uart.rxQueued()).toBe(0);
    expect(uart.rxFifoLevel()).toBe(0);
    expect([inb(UART_IER), inb(UART_IIR), inb(UART_LCR), inb(UART_MCR), inb(UART_SCR)]).toEqual([0, IIR_NONE, 0, 0, 0]);
    expect(inb(UART_LSR)).toBe(LSR_THR_EMPTY | LSR_TX_EMPTY);
    expect(inb(UART_MSR)).toBe(MSR_CTS | MSR_DSR | MSR_DCD);
    outb(UART_LCR, LCR_DLAB);
    expect([inb(UART_DLL), inb(UART_DLM)]).toEqual([12, 0]);
  });
});

describe("16550 divisor latch", () => {
  it("maps ports 0 and 1 to DLL/DLM while LCR.DLAB is set", () => {
    const { uart, inb, outb, sent } = makeUart();
    outb(UART_IER, IER_RX_AVAILABLE);
    outb(UART_LCR, LCR_DLAB | 0x03);
    outb(UART_DLL, 0x01);
    outb(UART_DLM, 0x00);
    expect(inb(UART_DLL)).toBe(0x01);
    expect(inb(UART_DLM)).toBe(0x00);
    expect(sent).toEqual([]); // the DLL write did not transmit
    expect(uart.baudRate()).toBe(115200);

    outb(UART_LCR, 0x03);
    expect(inb(UART_IER)).toBe(IER_RX_AVAILABLE); // IER was untouched by the DLM write
    outb(UART_THR, 0x41);
    expect(sent).toEqual([0x41]);
    outb(UART_LCR, LCR_DLAB);
    expect(inb(UART_DLL)).toBe(0x01); // and THR did not land in DLL
  });

  it("does not deliver received bytes through DLL reads", () => {
    const { uart, inb, outb } = makeUart();
    uart.receive([0x99]);
    outb(UART_LCR, LCR_DLAB);
    expect(inb(UART_RBR)).toBe(12);
    expect(uart.rxFifoLevel()).toBe(1);
  });
});

describe("16550 transmit", () => {
  it("hands each THR byte to onTransmit with THRE and TEMT staying set", () => {
    const { inb, outb, sent } = makeUart();
    for (const b of bytes("hi\n")) outb(UART_THR, b);
    expect(sent).toEqual(bytes("hi\n"));
    expect(inb(UART_LSR) & (LSR_THR_EMPTY | LSR_TX_EMPTY)).toBe(LSR_THR_EMPTY | LSR_TX_EMPTY);
  });

  it("uses the low byte of a 4-byte port write", () => {
    const { uart, sent } = makeUart();
    uart.write(UART_BASE + UART_THR, 4, 0x1234_5678);
    expect(sent).toEqual([0x78]);
  });
});

describe("16550 receive FIFO", () => {
  it("sets DR while data is waiting and returns bytes in order", () => {
    const { uart, inb } = makeUart();
    expect(inb(UART_LSR) & LSR_DATA_READY).toBe(0);
    uart.receive(bytes("abc"));
    expect(inb(UART_LSR) & LSR_DATA_READY).toBe(LSR_DATA_READY);
    expect(drain(inb)).toEqual(bytes("abc"));
    expect(inb(UART_LSR) & LSR_DATA_READY).toBe(0);
  });

  it("holds one byte without the FIFO and refills from the host queue as the guest reads", () => {
    const { uart, inb } = makeUart();
    uart.receive(bytes("xyz"));
    expect(uart.rxFifoLevel()).toBe(1);
    expect(uart.rxQueued()).toBe(2);
    expect(drain(inb)).toEqual(bytes("xyz"));
    expect(uart.rxQueued()).toBe(0);
  });

  it("fills to 16 bytes with the FIFO on and keeps the rest of a paste in the host queue without overrun", () => {
    const { uart, inb, outb } = makeUart();
    outb(UART_FCR, FCR_ENABLE);
    const paste = Array.from({ length: 1000 }, (_, i) => i & 0xff);
    uart.receive(paste);
    expect(uart.rxFifoLevel()).toBe(UART_FIFO_SIZE);
    expect(uart.rxQueued()).toBe(1000 - UART_FIFO_SIZE);
    expect(inb(UART_LSR) & LSR_OVERRUN).toBe(0);
    expect(drain(inb)).toEqual(paste);
  });

  it("loses a byte and sets OE when receiveDirect finds the FIFO full, keeping the FIFO's contents", () => {
    const { uart, inb, outb } = makeUart();
    outb(UART_FCR, FCR_ENABLE);
    const sixteen = Array.from({ length: 16 }, (_, i) => 0x30 + i);
    uart.receiveDirect(sixteen);
    expect(inb(UART_LSR) & LSR_OVERRUN).toBe(0);
    uart.receiveDirect([0xee]);
    const lsr = inb(UART_LSR);
    expect(lsr & LSR_OVERRUN).toBe(LSR_OVERRUN);
    expect(inb(UART_LSR) & LSR_OVERRUN).toBe(0); // reading LSR cleared OE
    expect(drain(inb)).toEqual(sixteen);
  });

  it("overwrites RBR on overrun when the FIFO is off", () => {
    const { uart, inb } = makeUart();
    uart.receiveDirect([1, 2]);
    expect(inb(UART_LSR) & (LSR_OVERRUN | LSR_DATA_READY)).toBe(LSR_OVERRUN | LSR_DATA_READY);
    expect(inb(UART_RBR)).toBe(2);
  });

  it("discards FIFO contents on FCR clear-RX, then refills from the host queue", () => {
    const { uart, inb, outb } = makeUart();
    outb(UART_FCR, FCR_ENABLE);
    uart.receiveDirect([1, 2, 3]);
    outb(UART_FCR, FCR_ENABLE | FCR_CLEAR_RX);
    expect(inb(UART_LSR) & LSR_DATA_READY).toBe(0);

    uart.receive(Array.from({ length: 20 }, (_, i) => i));
    outb(UART_FCR, FCR_ENABLE | FCR_CLEAR_RX);
    expect(uart.rxFifoLevel()).toBe(4); // the 16 in the FIFO went; the last 4 queued came in
    expect(drain(inb)).toEqual([16, 17, 18, 19]);
  });

  it("clears the FIFO when it is switched off and ignores other FCR bits written with bit 0 clear", () => {
    const { uart, inb, outb } = makeUart();
    outb(UART_FCR, FCR_ENABLE | 0xc0);
    expect(inb(UART_IIR) & IIR_FIFO_ENABLED).toBe(IIR_FIFO_ENABLED);
    uart.receiveDirect([7, 8, 9]);
    outb(UART_FCR, 0xc0);
    expect(inb(UART_IIR) & IIR_FIFO_ENABLED).toBe(0);
    expect(uart.rxFifoLevel()).toBe(0);
    outb(UART_FCR, FCR_ENABLE);
    outb(UART_IER, IER_RX_AVAILABLE);
    uart.receive([1]);
    // trigger level is 1 again (0xc0 was not stored), so one byte is "available", not a timeout
    expect(inb(UART_IIR) & 0x0f).toBe(IIR_RX_AVAILABLE);
  });
});

describe("16550 interrupts", () => {
  it("reports RX data available only when IER bit 0 is set", () => {
    const { uart, inb, outb, irq } = makeUart();
    uart.receive([0x61]);
    expect(inb(UART_IIR)).toBe(IIR_NONE);
    expect(irq.level).toBe(false);
    outb(UART_IER, IER_RX_AVAILABLE);
    expect(inb(UART_IIR)).toBe(IIR_RX_AVAILABLE);
    expect(irq.level).toBe(true);
    inb(UART_RBR);
    expect(inb(UART_IIR)).toBe(IIR_NONE);
    expect(irq.level).toBe(false);
  });

  it("reports character timeout below the trigger level and data available at it", () => {
    const { uart, inb, outb } = makeUart();
    outb(UART_FCR, FCR_ENABLE | 0x40); // trigger level 4
    outb(UART_IER, IER_RX_AVAILABLE);
    uart.receive([1, 2, 3]);
    expect(inb(UART_IIR)).toBe(IIR_FIFO_ENABLED | IIR_CHAR_TIMEOUT);
    uart.receive([4]);
    expect(inb(UART_IIR)).toBe(IIR_FIFO_ENABLED | IIR_RX_AVAILABLE);
  });

  it.each([
    [0x00, 1],
    [0x40, 4],
    [0x80, 8],
    [0xc0, 14],
  ])("FCR trigger bits %i select a trigger level of %i bytes", (bits, level) => {
    const { uart, inb, outb } = makeUart();
    outb(UART_FCR, FCR_ENABLE | bits);
    outb(UART_IER, IER_RX_AVAILABLE);
    uart.receive(new Array(level - 1).fill(0x20));
    if (level > 1) expect(inb(UART_IIR) & 0x0f).toBe(IIR_CHAR_TIMEOUT);
    uart.receive([0x20]);
    expect(inb(UART_IIR) & 0x0f).toBe(IIR_RX_AVAILABLE);
  });

  it("raises THR empty when ETBEI is enabled and clears it on IIR read or THR write", () => {
    const { inb, outb, irq } = makeUart();
    outb(UART_IER, IER_THR_EMPTY);
    expect(irq.level).toBe(true);
    expect(inb(UART_IIR)).toBe(IIR_THR_EMPTY);
    expect(irq.level).toBe(false); // reading IIR acknowledged it
    expect(inb(UART_IIR)).toBe(IIR_NONE);

    outb(UART_THR, 0x41); // the byte leaves at once: THR is empty again
    expect(irq.level).toBe(true);
    expect(inb(UART_IIR)).toBe(IIR_THR_EMPTY);
    expect(irq.level).toBe(false);
  });

  it("ranks line status above RX data above THR empty", () => {
    const { uart, inb, outb } = makeUart();
    outb(UART_IER, IER_RX_AVAILABLE | IER_THR_EMPTY | IER_LINE_STATUS);
    uart.receiveDirect([1, 2]); // non-FIFO: overrun
    expect(inb(UART_IIR)).toBe(IIR_LINE_STATUS);
    inb(UART_LSR); // clears OE
    expect(inb(UART_IIR)).toBe(IIR_RX_AVAILABLE);
    inb(UART_RBR);
    expect(inb(UART_IIR)).toBe(IIR_THR_EMPTY);
    expect(inb(UART_IIR)).toBe(IIR_NONE);
  });

  it("keeps a THR-empty interrupt pending while a higher-priority source is reported", () => {
    const { uart, inb, outb } = makeUart();
    uart.receive([5]);
    outb(UART_IER, IER_RX_AVAILABLE | IER_THR_EMPTY);
    expect(inb(UART_IIR)).toBe(IIR_RX_AVAILABLE); // reading this must not drop THRE
    inb(UART_RBR);
    expect(inb(UART_IIR)).toBe(IIR_THR_EMPTY);
  });

  it("lowers the line when the sources are disabled in IER", () => {
    const { uart, outb, irq } = makeUart();
    uart.receive([1]);
    outb(UART_IER, IER_RX_AVAILABLE);
    expect(irq.level).toBe(true);
    outb(UART_IER, 0);
    expect(irq.level).toBe(false);
  });
});

describe("16550 loopback", () => {
  it("echoes THR into the receiver instead of transmitting", () => {
    const { inb, outb, sent } = makeUart();
    outb(UART_FCR, FCR_ENABLE);
    outb(UART_MCR, MCR_LOOPBACK);
    for (const b of bytes("ping")) outb(UART_THR, b);
    expect(sent).toEqual([]);
    expect(drain(inb)).toEqual(bytes("ping"));
  });

  it("overruns when more than 16 bytes are looped back unread", () => {
    const { inb, outb } = makeUart();
    outb(UART_FCR, FCR_ENABLE);
    outb(UART_MCR, MCR_LOOPBACK);
    for (let i = 0; i < 17; i++) outb(UART_THR, i);
    expect(inb(UART_LSR) & LSR_OVERRUN).toBe(LSR_OVERRUN);
    expect(drain(inb)).toHaveLength(16);
  });

  it("holds host input back until loopback is switched off", () => {
    const { uart, inb, outb } = makeUart();
    outb(UART_FCR, FCR_ENABLE);
    outb(UART_MCR, MCR_LOOPBACK);
    uart.receive(bytes("typed"));
    expect(inb(UART_LSR) & LSR_DATA_READY).toBe(0);
    expect(uart.rxQueued()).toBe(5);
    outb(UART_MCR, 0);
    expect(drain(inb)).toEqual(bytes("typed"));
  });

  it("reflects MCR outputs in MSR with delta bits and a modem-status interrupt", () => {
    const { inb, outb, irq } = makeUart();
    outb(UART_IER, IER_MODEM_STATUS);
    outb(UART_MCR, MCR_LOOPBACK); // inputs drop from CTS|DSR|DCD to nothing
    expect(inb(UART_IIR)).toBe(IIR_MODEM_STATUS);
    expect(irq.level).toBe(true);
    expect(inb(UART_MSR)).toBe(MSR_DELTA_CTS | MSR_DELTA_DSR | MSR_DELTA_DCD);
    expect(irq.level).toBe(false); // reading MSR cleared the deltas

    outb(UART_MCR, MCR_LOOPBACK | MCR_RTS | MCR_DTR | MCR_OUT1 | MCR_OUT2);
    expect(inb(UART_MSR)).toBe(MSR_CTS | MSR_DSR | MSR_RI | MSR_DCD | MSR_DELTA_CTS | MSR_DELTA_DSR | MSR_DELTA_DCD);
    outb(UART_MCR, MCR_LOOPBACK | MCR_RTS | MCR_DTR | MCR_OUT2); // RI falls: trailing edge
    expect(inb(UART_MSR)).toBe(MSR_CTS | MSR_DSR | MSR_DCD | MSR_TRAILING_RI);
    expect(inb(UART_MSR)).toBe(MSR_CTS | MSR_DSR | MSR_DCD);
  });
});

describe("16550 scratch and read-only registers", () => {
  it("stores SCR and ignores writes to LSR and MSR", () => {
    const { inb, outb } = makeUart();
    outb(UART_SCR, 0xa5);
    expect(inb(UART_SCR)).toBe(0xa5);
    outb(UART_LSR, 0xff);
    outb(UART_MSR, 0x00);
    expect(inb(UART_LSR)).toBe(LSR_THR_EMPTY | LSR_TX_EMPTY);
    expect(inb(UART_MSR)).toBe(MSR_CTS | MSR_DSR | MSR_DCD);
  });
});

describe("16550 save/restore", () => {
  it("round-trips mid-transfer state: FIFO, host queue, errors, pending interrupts", () => {
    const a = makeUart();
    a.outb(UART_FCR, FCR_ENABLE | 0x80);
    a.outb(UART_LCR, LCR_DLAB | 0x03);
    a.outb(UART_DLL, 3);
    a.outb(UART_LCR, 0x03);
    a.outb(UART_IER, IER_RX_AVAILABLE | IER_THR_EMPTY | IER_LINE_STATUS);
    a.outb(UART_SCR, 0x42);
    a.uart.receive(Array.from({ length: 40 }, (_, i) => i));
    a.inb(UART_RBR);
    a.inb(UART_RBR);
    const state = JSON.parse(JSON.stringify(a.uart.save()));

    const b = makeUart();
    b.uart.restore(state);
    expect(b.irq.level).toBe(true);
    expect(b.uart.rxFifoLevel()).toBe(a.uart.rxFifoLevel());
    expect(b.uart.rxQueued()).toBe(a.uart.rxQueued());
    for (const reg of [UART_IER, UART_LCR, UART_MCR, UART_SCR]) expect(b.inb(reg)).toBe(a.inb(reg));
    expect(b.inb(UART_IIR)).toBe(a.inb(UART_IIR));
    expect(drain(b.inb)).toEqual(drain(a.inb));
    expect(b.inb(UART_IIR)).toBe(a.inb(UART_IIR));
    b.outb(UART_LCR, LCR_DLAB);
    expect(b.inb(UART_DLL)).toBe(3);
  });

  it("rejects a state that does not fit", () => {
    const { uart } = makeUart();
    expect(() => uart.restore({ ...uart.save(), rxFifo: new Array(17).fill(0) })).toThrow(DeviceStateError);
    expect(() => uart.restore({ ...uart.save(), fcr: 0, rxFifo: [1, 2] })).toThrow(DeviceStateError);
    expect(() => uart.restore({ ...uart.save(), lcr: 256 })).toThrow(DeviceStateError);
    expect(() => uart.restore(null)).toThrow(DeviceStateError);
  });
});

describe("16550 reentrancy", () => {
  it("copes with onTransmit feeding the byte straight back as input", () => {
    const irq = new FakeIrq();
    let uart!: Uart16550;
    uart = new Uart16550({ irq, onTransmit: (b) => uart.receive([b]) });
    uart.write(UART_BASE + UART_FCR, 1, FCR_ENABLE);
    for (const b of bytes("echo")) uart.write(UART_BASE + UART_THR, 1, b);
    expect(drain((reg) => uart.read(UART_BASE + reg, 1))).toEqual(bytes("echo"));
  });
});
