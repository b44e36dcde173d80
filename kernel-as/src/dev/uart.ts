// 16550 UART driver (COM1). Transmit polls the line-status register and
// then fills the 16-byte transmit FIFO; receive is interrupt driven: the
// interrupt handler drains the receive FIFO into the console's input ring.
// Relies on: arch/imports (port I/O), arch/hw (port numbers).

import { inb, outb } from "../arch/imports";
import { UART_BASE } from "../arch/hw";

// Register offsets from UART_BASE.
const RBR: u32 = 0; // receive buffer (read, DLAB=0)
const THR: u32 = 0; // transmit holding (write, DLAB=0)
const DLL: u32 = 0; // divisor latch low (DLAB=1)
const IER: u32 = 1; // interrupt enable (DLAB=0)
const DLM: u32 = 1; // divisor latch high (DLAB=1)
const FCR: u32 = 2; // FIFO control (write)
const LCR: u32 = 3; // line control
const MCR: u32 = 4; // modem control
const LSR: u32 = 5; // line status

const LCR_8N1: u32 = 0x03;
const LCR_DLAB: u32 = 0x80;
const FCR_ENABLE_CLEAR: u32 = 0x07; // enable FIFOs, clear RX and TX, trigger at 1 byte
const MCR_DTR_RTS_OUT2: u32 = 0x0B; // OUT2 gates the interrupt line on PCs
const IER_RX_AVAILABLE: u32 = 0x01;
const LSR_DATA_READY: u32 = 0x01;
const LSR_THR_EMPTY: u32 = 0x20;
const TX_FIFO_DEPTH: u32 = 16;
/** 115200 baud from the 1.8432 MHz reference clock. */
const DIVISOR_115200: u32 = 1;
/** Bound on spinning for a transmitter that never drains (a broken host). */
const TX_SPIN_LIMIT: i32 = 1_000_000;

@unmanaged class UartState {
  txRoom: u32; // bytes we may still write before polling LSR again
  present: u32;
}

import { KSTATE_CONSOLE } from "../lib/layout";
// The UART's driver state sits at the start of the console record.
// @ts-ignore: decorator
@inline function state(): UartState { return changetype<UartState>(KSTATE_CONSOLE); }

/** Programs 115200 8N1, FIFOs on, receive interrupt on. Returns false if no
 *  UART answers (the scratch register does not hold a value). */
export function uartInit(): bool {
  const s = state();
  outb(UART_BASE + 7, 0x5A); // scratch register probe
  if (inb(UART_BASE + 7) != 0x5A) { s.present = 0; return false; }
  outb(UART_BASE + IER, 0);
  outb(UART_BASE + LCR, LCR_DLAB);
  outb(UART_BASE + DLL, DIVISOR_115200 & 0xFF);
  outb(UART_BASE + DLM, DIVISOR_115200 >> 8);
  outb(UART_BASE + LCR, LCR_8N1);
  outb(UART_BASE + FCR, FCR_ENABLE_CLEAR);
  outb(UART_BASE + MCR, MCR_DTR_RTS_OUT2);
  outb(UART_BASE + IER, IER_RX_AVAILABLE);
  s.txRoom = 0;
  s.present = 1;
  return true;
}

export function uartPresent(): bool { return state().present != 0; }

/** After a snapshot restore: true when the UART is programmed as uartInit
 *  left it (a state that enables other interrupts, say the transmitter's,
 *  would raise a line this driver never clears). Reads have no side effects. */
export function uartConfigured(): bool {
  if (state().present == 0) return true;
  return inb(UART_BASE + IER) == IER_RX_AVAILABLE && inb(UART_BASE + LCR) == LCR_8N1 &&
    inb(UART_BASE + MCR) == MCR_DTR_RTS_OUT2;
}

export function uartPut(byte: u32): void {
  const s = state();
  if (s.present == 0) return;
  if (s.txRoom == 0) {
    let spins = 0;
    while ((inb(UART_BASE + LSR) & LSR_THR_EMPTY) == 0) {
      if (++spins > TX_SPIN_LIMIT) return; // drop rather than hang the kernel
    }
    s.txRoom = TX_FIFO_DEPTH;
  }
  outb(UART_BASE + THR, byte);
  s.txRoom--;
}

/** Reads one received byte, or -1 when the receive FIFO is empty. */
export function uartGet(): i32 {
  if (state().present == 0) return -1;
  if ((inb(UART_BASE + LSR) & LSR_DATA_READY) == 0) return -1;
  return <i32>inb(UART_BASE + RBR);
}
