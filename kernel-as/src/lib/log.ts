// The kernel log: levelled records kept in a ring in low memory (dmesg) and
// echoed to the console as they are written. Each record is a fixed 128-byte
// slot: a header and up to CAPTURE_MAX bytes of text. When the ring is full
// the oldest records are overwritten; sequence numbers keep counting, so a
// reader can tell how many were lost.
// Relies on: lib/print (output and capture), arch/timer (timestamps).

import { KLOG_RING, KLOG_RING_SIZE, KSTATE_LOG } from "./layout";
import {
  captureBegin, captureEnd, captureLength, captureText, emit, printFlush, printSeconds, printStr, printBytes,
} from "./print";
import { timeNowNs } from "../arch/timer";

export const LOG_INFO: u32 = 0;
export const LOG_WARN: u32 = 1;
export const LOG_ERROR: u32 = 2;

const RECORD_SIZE: usize = 128;
export const LOG_RECORDS: u32 = <u32>(KLOG_RING_SIZE / RECORD_SIZE);
// Record layout.
const R_SEQ: usize = 0;    // u32
const R_LEVEL: usize = 4;  // u8
const R_LEN: usize = 5;    // u8
const R_TIME: usize = 8;   // u64 ns
const R_TEXT: usize = 16;  // text bytes
/** Text a record keeps; the console still shows the whole line. */
export const LOG_TEXT_MAX: u32 = <u32>(RECORD_SIZE - R_TEXT);
/** Width of the seconds column in "[    1.234567] ". */
const TIME_WIDTH: i32 = 5;

@unmanaged class LogState {
  nextSeq: u32;   // sequence number of the next record
  level: u32;     // level of the record being built
  timeNs: u64;    // its timestamp
  building: u32;
}

// @ts-ignore: decorator
@inline function state(): LogState { return changetype<LogState>(KSTATE_LOG); }
// @ts-ignore: decorator
@inline function slot(seq: u32): usize { return KLOG_RING + <usize>(seq % LOG_RECORDS) * RECORD_SIZE; }

export function logInit(): void {
  const s = state();
  s.nextSeq = 0; s.building = 0;
  memory.fill(KLOG_RING, 0, KLOG_RING_SIZE);
}

function printPrefix(level: u32, timeNs: u64): void {
  emit(0x5B); // [
  printSeconds(timeNs, TIME_WIDTH);
  printStr("] ");
  if (level == LOG_WARN) printStr("warning: ");
  else if (level == LOG_ERROR) printStr("error: ");
}

/** Starts a log record: prints its prefix; what is printed until logEnd()
 *  becomes the record's text. */
export function logBegin(level: u32): void {
  const s = state();
  s.level = level;
  s.timeNs = timeNowNs();
  s.building = 1;
  printPrefix(level, s.timeNs);
  captureBegin();
}

export function logEnd(): void {
  const s = state();
  captureEnd();
  emit(0x0A);
  printFlush();
  if (s.building == 0) return;
  s.building = 0;
  const r = slot(s.nextSeq);
  const len = min(captureLength(), LOG_TEXT_MAX);
  store<u32>(r + R_SEQ, s.nextSeq);
  store<u8>(r + R_LEVEL, <u8>s.level);
  store<u8>(r + R_LEN, <u8>len);
  store<u64>(r + R_TIME, s.timeNs);
  memory.copy(r + R_TEXT, captureText(), len);
  s.nextSeq++;
}

export function klog(level: u32, text: string): void {
  logBegin(level);
  printStr(text);
  logEnd();
}
export function kinfo(text: string): void { klog(LOG_INFO, text); }
export function kwarn(text: string): void { klog(LOG_WARN, text); }
export function kerror(text: string): void { klog(LOG_ERROR, text); }

/** Sequence number of the oldest record still in the ring. */
export function logFirstSeq(): u32 {
  const next = state().nextSeq;
  return next > LOG_RECORDS ? next - LOG_RECORDS : 0;
}
export function logNextSeq(): u32 { return state().nextSeq; }
export function logRecordAddr(seq: u32): usize { return slot(seq); }
/** Fields of the record `seq` (between logFirstSeq and logNextSeq), for readers. */
export function logRecordLevel(seq: u32): u32 { return <u32>load<u8>(slot(seq) + R_LEVEL); }
export function logRecordTime(seq: u32): u64 { return load<u64>(slot(seq) + R_TIME); }
export function logRecordLength(seq: u32): u32 { return <u32>load<u8>(slot(seq) + R_LEN); }
export function logRecordText(seq: u32): usize { return slot(seq) + R_TEXT; }

/** Prints every record at or above `minLevel`, oldest first. */
export function dmesgPrint(minLevel: u32): u32 {
  const next = state().nextSeq;
  let shown: u32 = 0;
  for (let seq = logFirstSeq(); seq < next; seq++) {
    const r = slot(seq);
    const level = <u32>load<u8>(r + R_LEVEL);
    if (level < minLevel) continue;
    printPrefix(level, load<u64>(r + R_TIME));
    printBytes(r + R_TEXT, <usize>load<u8>(r + R_LEN));
    emit(0x0A);
    shown++;
  }
  printFlush();
  return shown;
}
