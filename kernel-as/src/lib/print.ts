// Kernel text output. Everything the kernel prints goes through emit(),
// which sends each byte to the enabled sinks (UART, VGA) and, while a log
// record is being built, into that record's text. Numbers are formatted
// without allocating: the kernel has no managed strings at run time, only
// string literals from its static data.
// Relies on: dev/uart, dev/vga, dev/vgaterm, lib/layout (state record).

import { uartPut } from "../dev/uart";
import { vgaSyncCursor } from "../dev/vga";
import { vgaTermPut } from "../dev/vgaterm";
import { KSTATE_PRINT } from "./layout";
import { chargeWork } from "./kstate";

export const SINK_UART: u32 = 1;
export const SINK_VGA: u32 = 2;
export const SINK_CONSOLE: u32 = SINK_UART | SINK_VGA;

/** Longest text one capture holds (a panic message); longer text is cut. */
export const CAPTURE_MAX: u32 = 1024;

@unmanaged class PrintState {
  sinks: u32;
  capturing: u32;
  captureLen: u32;
  lastByte: u32;
}
const CAPTURE_BUF: usize = KSTATE_PRINT + 64;

// @ts-ignore: decorator
@inline function state(): PrintState { return changetype<PrintState>(KSTATE_PRINT); }

export function printInit(sinks: u32): void {
  const s = state();
  s.sinks = sinks; s.capturing = 0; s.captureLen = 0; s.lastByte = 0x0A;
}
export function printSinks(): u32 { return state().sinks; }
export function printSetSinks(sinks: u32): void { state().sinks = sinks; }

/** Work charged per byte of output (deterministic time moves with it). */
const WORK_PER_BYTE: u32 = 1;

export function emit(byte: u32): void {
  const s = state();
  chargeWork(WORK_PER_BYTE);
  byte &= 0xFF;
  if (s.capturing != 0 && byte != 0x0A && byte != 0x0D && s.captureLen < CAPTURE_MAX) {
    store<u8>(CAPTURE_BUF + s.captureLen++, <u8>byte);
  }
  if (s.sinks & SINK_UART) {
    if (byte == 0x0A && s.lastByte != 0x0D) uartPut(0x0D); // terminals want CR LF
    uartPut(byte);
  }
  if (s.sinks & SINK_VGA) vgaTermPut(byte); // UTF-8 and terminal controls to CP437 cells
  s.lastByte = byte;
}

/** Flushes cursor state to the devices; call at the end of a burst. */
export function printFlush(): void {
  if (state().sinks & SINK_VGA) vgaSyncCursor();
}

export function captureBegin(): void { const s = state(); s.capturing = 1; s.captureLen = 0; }
/** Ends capture; the text is at captureText() for captureLength() bytes. */
export function captureEnd(): void { state().capturing = 0; }
export function captureText(): usize { return CAPTURE_BUF; }
export function captureLength(): u32 { return state().captureLen; }

export function printStr(s: string): void {
  for (let i = 0, n = s.length; i < n; i++) emit(<u32>s.charCodeAt(i));
}
export function printLine(s: string): void { printStr(s); emit(0x0A); }
export function printChar(c: u32): void { emit(c); }
export function printBytes(ptr: usize, len: usize): void {
  for (let i: usize = 0; i < len; i++) emit(<u32>load<u8>(ptr + i));
}
export function printSpaces(n: i32): void { for (let i = 0; i < n; i++) emit(0x20); }

/** Number of decimal digits of n. */
export function decWidth(n: u64): i32 {
  let w = 1;
  while (n >= 10) { n /= 10; w++; }
  return w;
}

/** Prints n in decimal, right-aligned in `width` columns (0 = no padding). */
export function printDec(n: u64, width: i32 = 0): void {
  printSpaces(width - decWidth(n));
  printDigits(n);
}
function printDigits(n: u64): void {
  if (n >= 10) printDigits(n / 10);
  emit(<u32>(0x30 + n % 10));
}
/** Prints n in decimal with leading zeros to `width` digits. */
export function printDecZero(n: u64, width: i32): void {
  for (let w = decWidth(n); w < width; w++) emit(0x30);
  printDigits(n);
}
export function printSigned(n: i64): void {
  if (n < 0) { emit(0x2D); printDigits(<u64>(-n)); } else printDigits(<u64>n);
}

/** Prints n in hex with exactly `digits` digits (no prefix). */
export function printHex(n: u64, digits: i32): void {
  for (let i = digits - 1; i >= 0; i--) {
    const d = <u32>((n >> (<u64>i * 4)) & 0xF);
    emit(d < 10 ? 0x30 + d : 0x61 + d - 10);
  }
}
export function printHex0x(n: u64, digits: i32): void { printStr("0x"); printHex(n, digits); }

/** Prints a byte count as a short human figure: 512 B, 4 KiB, 128 MiB. */
export function printSize(bytes: u64): void {
  if (bytes >= (1 << 30) && bytes % (1 << 30) == 0) { printDec(bytes >> 30); printStr(" GiB"); }
  else if (bytes >= (1 << 20) && bytes % (1 << 20) == 0) { printDec(bytes >> 20); printStr(" MiB"); }
  else if (bytes >= (1 << 10) && bytes % (1 << 10) == 0) { printDec(bytes >> 10); printStr(" KiB"); }
  else { printDec(bytes); printStr(" B"); }
}

/** Prints virtual nanoseconds as seconds with microseconds: 12.345678 */
export function printSeconds(ns: u64, width: i32 = 0): void {
  const us = ns / 1000;
  printDec(us / 1_000_000, width);
  emit(0x2E);
  printDecZero(us % 1_000_000, 6);
}
