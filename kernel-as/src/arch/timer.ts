// The timer and the interrupt controller, kernel side. The timer reads
// virtual time in nanoseconds and raises IRQ_TIMER at a programmed
// deadline; the interrupt controller's pending word is mirrored by the
// host into the control block so one load tells whether anything is due.
// Relies on: arch/imports, arch/hw, lib/layout.

import { inl, outl } from "./imports";
import {
  TIMER_NOW_LO, TIMER_NOW_HI, TIMER_DEADLINE_LO, TIMER_DEADLINE_HI, TIMER_CTRL, TIMER_STATUS,
  INTC_MASK, INTC_ACK, INTC_PENDING,
} from "./hw";
import { CONTROL_BLOCK, CB_IRQ_PENDING, CB_WORK_USED } from "../lib/layout";
import { cpu } from "../lib/cpu";

const TIMER_CTRL_ENABLE: u32 = 1;
const TIMER_STATUS_FIRED: u32 = 1;

/** Virtual nanoseconds since power-on. The work done so far in this slice
 *  is published first: a deterministic clock counts it as elapsed time. */
export function timeNowNs(): u64 {
  store<u32>(CONTROL_BLOCK + CB_WORK_USED, cpu().sliceWork);
  const lo = inl(TIMER_NOW_LO); // latches the high half
  const hi = inl(TIMER_NOW_HI);
  return (<u64>hi << 32) | <u64>lo;
}

/** Arms a one-shot interrupt at `deadlineNs` (absolute virtual time). */
export function timerArm(deadlineNs: u64): void {
  outl(TIMER_DEADLINE_LO, <u32>deadlineNs);
  outl(TIMER_DEADLINE_HI, <u32>(deadlineNs >> 32));
  outl(TIMER_CTRL, TIMER_CTRL_ENABLE);
}

export function timerDisarm(): void { outl(TIMER_CTRL, 0); }

/** Acknowledges a fired deadline; returns whether it had fired. */
export function timerAck(): bool {
  const fired = (inl(TIMER_STATUS) & TIMER_STATUS_FIRED) != 0;
  if (fired) outl(TIMER_STATUS, TIMER_STATUS_FIRED);
  return fired;
}

/** All lines unmasked, nothing latched. */
export function intcInit(): void {
  outl(INTC_MASK, 0);
  outl(INTC_ACK, 0xFFFF_FFFF);
}

/** Masks the given lines (on top of those already masked). */
export function intcMask(lines: u32): void {
  outl(INTC_MASK, inl(INTC_MASK) | lines);
}

/** Unmasks the given lines. */
export function intcUnmask(lines: u32): void {
  outl(INTC_MASK, inl(INTC_MASK) & ~lines);
}

/** True when none of `lines` is masked at the controller. */
export function intcUnmasked(lines: u32): bool {
  return (inl(INTC_MASK) & lines) == 0;
}

/** The pending-line mirror: one memory load, no host crossing. */
// @ts-ignore: decorator
@inline export function irqPendingMirror(): u32 { return load<u32>(CONTROL_BLOCK + CB_IRQ_PENDING); }

/** Authoritative pending lines, read from the controller. */
export function irqPending(): u32 { return inl(INTC_PENDING); }
export function irqAck(line: u32): void { outl(INTC_ACK, 1 << line); }
