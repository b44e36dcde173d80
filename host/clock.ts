// The machine's virtual time, in two modes (ARCHITECTURE.md §1 "time"):
//
// * RealtimeClock — virtual time follows the wall clock (performance.now),
//   counted from power-on. An idle machine sleeps until the next deadline;
//   waitMs() tells the run loop for how long.
// * DeterministicClock — time moves only when the machine says so: by the
//   work the kernel retired (advanceWork) or by skipping an idle gap to the
//   next deadline (skipTo). The same inputs give the same times, bit for bit.
//
// Both report whole nanoseconds, never go backwards, and save/restore their
// position so a snapshot resumes at the virtual time it was taken.
//
// Relies on: the global `performance` (browsers, workers and Node >= 16).

import { DeviceStateError, type Clock } from "./device.js";

export type ClockMode = "realtime" | "deterministic";

/** A Clock the machine can also snapshot. */
export interface MachineClock extends Clock {
  readonly mode: ClockMode;
  save(): ClockState;
  restore(state: unknown): void;
  /** Back to virtual time 0 (power-on). */
  reset(): void;
}

export interface ClockState {
  mode: ClockMode;
  nowNs: number;
}

const NS_PER_MS = 1_000_000;

function readSavedNs(state: unknown, mode: ClockMode): number {
  const s = state as Partial<ClockState> | null;
  if (typeof s !== "object" || s === null || s.mode !== mode) {
    throw new DeviceStateError(`clock: saved state is not a ${mode} clock`);
  }
  const ns = s.nowNs;
  if (typeof ns !== "number" || !Number.isFinite(ns) || ns < 0) {
    throw new DeviceStateError("clock: saved nowNs is not a non-negative number");
  }
  return Math.floor(ns);
}

/** Virtual time that follows the wall clock. */
export class RealtimeClock implements MachineClock {
  readonly mode = "realtime" as const;
  /** Wall-clock milliseconds (from `wallMs`) at which virtual time was `baseNs`. */
  private originMs: number;
  private baseNs = 0;
  /** The largest value handed out, so a wall clock that steps back cannot move us back. */
  private lastNs = 0;

  /** @param wallMs a monotonic millisecond source; injectable for tests. */
  constructor(private readonly wallMs: () => number = () => performance.now()) {
    this.originMs = wallMs();
  }

  nowNs(): number {
    const ns = this.baseNs + Math.floor((this.wallMs() - this.originMs) * NS_PER_MS);
    if (ns > this.lastNs) this.lastNs = ns;
    return this.lastNs;
  }

  /** The wall-clock instant (performance.timeOrigin + performance.now(),
   *  milliseconds) at which virtual time was 0: another thread of the same
   *  machine (a parallel vCPU, host/parallel.ts) counts the same time from
   *  it. Only for the default wall-clock source. */
  wallEpochMs(): number {
    return performance.timeOrigin + this.originMs - this.baseNs / NS_PER_MS;
  }

  /** Milliseconds the run loop should sleep to reach virtual time `untilNs` (0 if already there). */
  waitMs(untilNs: number): number {
    const ns = untilNs - this.nowNs();
    return ns > 0 ? ns / NS_PER_MS : 0;
  }

  reset(): void {
    this.originMs = this.wallMs();
    this.baseNs = 0;
    this.lastNs = 0;
  }

  save(): ClockState {
    return { mode: this.mode, nowNs: this.nowNs() };
  }

  /** Resume counting from the saved virtual time, starting now. */
  restore(state: unknown): void {
    const ns = readSavedNs(state, this.mode);
    this.originMs = this.wallMs();
    this.baseNs = ns;
    this.lastNs = ns;
  }
}

/** Virtual time derived from retired work; idle time is skipped, not waited. */
export class DeterministicClock implements MachineClock {
  readonly mode = "deterministic" as const;
  /** Exact running total; may carry a fraction when nsPerWork is fractional. */
  private ns = 0;

  nowNs(): number {
    return Math.floor(this.ns);
  }

  /** Account for `units` of work the kernel retired, each worth `nsPerWork` ns. */
  advanceWork(units: number, nsPerWork: number): void {
    if (!(units >= 0) || !(nsPerWork >= 0) || !Number.isFinite(units * nsPerWork)) {
      throw new RangeError(`clock: advanceWork(${units}, ${nsPerWork}) would not move time forward`);
    }
    this.ns += units * nsPerWork;
  }

  /** Jump forward to `ns` (an idle machine skipping to its next deadline); earlier times are ignored. */
  skipTo(ns: number): void {
    if (Number.isNaN(ns)) throw new RangeError("clock: skipTo(NaN)");
    if (ns > this.ns) this.ns = ns;
  }

  reset(): void {
    this.ns = 0;
  }

  save(): ClockState {
    return { mode: this.mode, nowNs: this.ns };
  }

  restore(state: unknown): void {
    const s = state as Partial<ClockState> | null;
    // Keep the fraction exactly, so a restored run retires work at the same ns.
    readSavedNs(state, this.mode);
    this.ns = s!.nowNs as number;
  }
}
