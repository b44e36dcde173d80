// The scheduler trace: a fixed ring of the scheduler's state changes, for
// the page's timeline (read through sys/inspect.ts, never by the host
// directly). Layer: sched, leaf — it knows only the fixed addresses in
// lib/layout and the pid accessor of proc/proc.
//
// Events: a process starts running (run), stops because its slice ran out or
// an interrupt is pending (preempt), blocks (sleep, with its wait channel),
// becomes runnable (wake, with the channel it left; W_NONE means it is new),
// stops because the host's run() budget ran out (yield), or exits (with its
// status). Recorded only at state changes, never per system call. Every
// event names the vCPU it happened on (lib/cpu.ts): a wake, the vCPU that
// woke it.
//
// Cost: an event is a handful of stores. It never reads the clock itself
// (the clock is a host crossing): run and end-of-run events carry the
// readings runProcess takes anyway, exits read the clock (rare), and wakes
// carry the latest reading the scheduler saw ("lastNs", also taken at the
// start of every run() slice), so a wake's time can be early by up to the
// waker's current turn, never by an idle spell. Sequence numbers give the
// exact order.
//
// When the ring is full the oldest events are overwritten; sequence numbers
// keep counting (u32), so a reader knows how many it missed.

import { SCHED_TRACE, SCHED_TRACE_RING, SCHED_TRACE_RING_SIZE } from "../lib/layout";
import { pPid } from "../proc/proc";
import { cpuId } from "../lib/cpu";

export const TRACE_RUN: u32 = 0;
export const TRACE_PREEMPT: u32 = 1;
export const TRACE_SLEEP: u32 = 2;
export const TRACE_WAKE: u32 = 3;
export const TRACE_YIELD: u32 = 4;
export const TRACE_EXIT: u32 = 5;

/** Why a preempt happened (the event's arg). */
export const PREEMPT_SLICE: u32 = 0;
export const PREEMPT_INTERRUPT: u32 = 1;
/** A stronger process woke during its turn (sched/sched.ts, wake-up preemption). */
export const PREEMPT_WAKE: u32 = 2;

/** Bytes per event; the ring holds SCHED_TRACE_RING_SIZE / 16 of them (a power of two). */
export const TRACE_EVENT_SIZE: usize = 16;
export const TRACE_EVENTS: u32 = <u32>(SCHED_TRACE_RING_SIZE / TRACE_EVENT_SIZE);
const TRACE_MASK: u32 = TRACE_EVENTS - 1;
const TRACE_MAGIC: u32 = 0x4543_5254; // "TRCE"

// Event layout.
const E_TIME: usize = 0;   // u64 virtual ns
const E_PID: usize = 8;    // i32
const E_KIND: usize = 12;  // u8: TRACE_* in bits 0-3, the vCPU it happened on in bits 4-7
const E_ARG: usize = 13;   // u8: wait kind (sleep, wake), PREEMPT_* (preempt)
const E_STATUS: usize = 14; // i16: exit status

@unmanaged class TraceState {
  magic: u32;
  next: u32;     // sequence number of the next event
  lastNs: u64;   // latest clock reading the scheduler saw
}

// @ts-ignore: decorator
@inline function state(): TraceState { return changetype<TraceState>(SCHED_TRACE); }
// @ts-ignore: decorator
@inline function eventAddr(seq: u32): usize { return SCHED_TRACE_RING + (<usize>(seq & TRACE_MASK) << 4); }

export function traceInit(): void {
  const s = state();
  s.next = 0;
  s.lastNs = 0;
  s.magic = TRACE_MAGIC;
}

/** Records one event for the process in `slot` at `timeNs`. */
// @ts-ignore: decorator
@inline export function traceEvent(kind: u32, slot: u32, arg: u32, status: i32, timeNs: u64): void {
  const s = state();
  const e = eventAddr(s.next);
  store<u64>(e + E_TIME, timeNs);
  store<i32>(e + E_PID, pPid(slot));
  store<u8>(e + E_KIND, <u8>(kind | (cpuId() << 4)));
  store<u8>(e + E_ARG, <u8>arg);
  store<i16>(e + E_STATUS, <i16>status);
  s.next++;
  s.lastNs = timeNs;
}

/** Notes a clock reading without an event (wakes after it carry it). */
// @ts-ignore: decorator
@inline export function traceClock(nowNs: u64): void { state().lastNs = nowNs; }
// @ts-ignore: decorator
@inline export function traceLastNs(): u64 { return state().lastNs; }

// ---- Readers (sys/inspect.ts) -----------------------------------------------------

export function traceReady(): bool { return state().magic == TRACE_MAGIC; }
export function traceNextSeq(): u32 { return traceReady() ? state().next : 0; }
/** Sequence number of the oldest event still in the ring. */
export function traceFirstSeq(): u32 {
  const next = traceNextSeq();
  return next > TRACE_EVENTS ? next - TRACE_EVENTS : 0;
}
export function traceEventTime(seq: u32): u64 { return load<u64>(eventAddr(seq) + E_TIME); }
export function traceEventPid(seq: u32): i32 { return load<i32>(eventAddr(seq) + E_PID); }
export function traceEventKind(seq: u32): u32 { return <u32>load<u8>(eventAddr(seq) + E_KIND) & 0xF; }
/** The vCPU the event happened on. */
export function traceEventCpu(seq: u32): u32 { return <u32>load<u8>(eventAddr(seq) + E_KIND) >> 4; }
export function traceEventArg(seq: u32): u32 { return <u32>load<u8>(eventAddr(seq) + E_ARG); }
export function traceEventStatus(seq: u32): i32 { return <i32>load<i16>(eventAddr(seq) + E_STATUS); }
