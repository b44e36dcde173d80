// The console's input side: bytes the UART received wait in a ring until a
// reader (the kernel monitor now, the Unix console device later) takes
// them. The receive interrupt fills the ring; when it is full, further bytes
// stay in the UART (and the host's queue behind it) until there is room, so
// pasted text is never dropped by the kernel.
// Relies on: dev/uart.

import { KSTATE_CONSOLE } from "../lib/layout";
import { uartGet } from "./uart";

export const CONSOLE_RING_SIZE: u32 = 1024; // power of two
const RING_OFFSET: usize = 0x400;

@unmanaged class ConsoleState {
  // The first 16 bytes of the record belong to the UART driver.
  reserved0: u64;
  reserved1: u64;
  head: u32; // next byte to read
  tail: u32; // next free slot
}

// @ts-ignore: decorator
@inline function state(): ConsoleState { return changetype<ConsoleState>(KSTATE_CONSOLE); }
// @ts-ignore: decorator
@inline function ringAt(i: u32): usize { return KSTATE_CONSOLE + RING_OFFSET + <usize>(i & (CONSOLE_RING_SIZE - 1)); }

export function consoleInit(): void { const s = state(); s.head = 0; s.tail = 0; }

export function consoleQueued(): u32 { const s = state(); return s.tail - s.head; }

/** Moves received bytes from the UART into the ring; returns how many. */
export function consoleReceive(): u32 {
  const s = state();
  let moved: u32 = 0;
  while (s.tail - s.head < CONSOLE_RING_SIZE) {
    const b = uartGet();
    if (b < 0) break;
    store<u8>(ringAt(s.tail), <u8>b);
    s.tail++;
    moved++;
  }
  return moved;
}

/** Takes one byte from the ring, or -1 when none is waiting. The UART itself
 *  is read only by consoleReceive(), from its interrupt. */
export function consoleGet(): i32 {
  const s = state();
  if (s.head == s.tail) return -1;
  const b = <i32>load<u8>(ringAt(s.head));
  s.head++;
  return b;
}

/** The offset in the ring of the first byte that is one of a, b or c, or
 *  -1. Lets the line discipline find a signal key behind input it has no
 *  room to take yet. */
export function consoleFind(a: u32, b: u32, c: u32): i32 {
  const s = state();
  for (let i = s.head; i != s.tail; i++) {
    const x = <u32>load<u8>(ringAt(i));
    if (x == a || x == b || x == c) return <i32>(i - s.head);
  }
  return -1;
}

/** Drops n bytes from the front of the ring (at most what it holds). */
export function consoleDrop(n: u32): void {
  const s = state();
  s.head += min<u32>(n, s.tail - s.head);
}
