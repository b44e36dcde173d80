// The user counters of Zicsr (cycle, time, instret), the only CSRs a Keel
// user program may read; every other CSR access is an illegal instruction
// (decode.ts), and so is any form that would write one of these.
//
//  * instret: exact count of retired instructions (ecall, ebreak and every
//    trapping instruction do not retire);
//  * cycle:   equal to instret (the model retires one instruction a cycle);
//  * time:    time = timeBase + ((instret - timeMark) * timeScale) >> 16,
//    where the kernel sets timeBase (in its own tick units) and the 16.16
//    fixed-point ticks-per-instruction timeScale with hartSetTime, which also
//    records timeMark = the current instret. In deterministic mode this makes
//    time a pure function of retired instructions; in realtime mode the
//    kernel re-anchors timeBase to the wall clock before each slice.

import { CTX_TIME_BASE, CTX_TIME_MARK, CTX_TIME_SCALE, CTX_INSTRET } from "./context";

/** The time CSR as seen when `instret` instructions have retired. */
// @ts-ignore: decorator
@inline export function timeAt(ctx: usize, instret: u64): u64 {
  const elapsed = instret - load<u64>(ctx + CTX_TIME_MARK);
  return load<u64>(ctx + CTX_TIME_BASE) + ((elapsed * <u64>load<u32>(ctx + CTX_TIME_SCALE)) >> 16);
}

export function setTime(ctx: usize, now: u64, ticksPerInsnQ16: u32): void {
  store<u64>(ctx + CTX_TIME_BASE, now);
  store<u64>(ctx + CTX_TIME_MARK, load<u64>(ctx + CTX_INSTRET));
  store<u32>(ctx + CTX_TIME_SCALE, ticksPerInsnQ16);
}
