// The one-shot deadline timer: a 64-bit nanosecond counter of virtual time
// (read from the machine's Clock) and one programmable deadline.
//
// Registers (32-bit, at TIMER_BASE; see kernel-as/src/arch/hw.ts):
//   NOW_LO       r   low half of now; reading it latches the high half
//   NOW_HI       r   the high half latched by the last NOW_LO read
//   DEADLINE_LO  rw  low half of the deadline (takes effect with DEADLINE_HI)
//   DEADLINE_HI  rw  high half; writing it arms the deadline and clears
//                    STATUS.fired (a new deadline supersedes the old event)
//   CTRL         rw  bit 0: interrupt enable (masks the line; the deadline
//                    stays armed and still sets STATUS.fired)
//   STATUS       r   bit 0: fired. Write 1 to clear.
//
// When virtual time reaches an armed deadline the timer fires: STATUS.fired
// is set and the deadline disarms (one-shot). The interrupt line is a level,
// high while STATUS.fired && CTRL.enable. Firing is noticed when the guest
// arms a deadline that has already passed, and otherwise when the machine
// calls poll() at slice boundaries; nextDeadlineNs() tells the run loop how
// long a slice may be, or how long an idle machine may sleep.
//
// Arming clears STATUS.fired so that the usual sequence "write DEADLINE_LO,
// DEADLINE_HI, then CTRL=1" cannot raise the line for a deadline armed and
// abandoned earlier (e.g. after CTRL=0 was used to switch the timer off).
// Nothing is lost: a deadline already in the past fires during the write.
//
// A 1-byte access reads the register's low byte or writes the value
// zero-extended. Deadlines at or beyond 2^53 ns (about 104 days; e.g. all
// ones, "never") are stored but can never be reached.

import { DeviceStateError, type Clock, type Device, type IrqLine, type Width } from "../device.js";
import {
  TIMER_BASE, TIMER_CTRL, TIMER_DEADLINE_HI, TIMER_DEADLINE_LO, TIMER_NOW_HI, TIMER_NOW_LO, TIMER_STATUS,
} from "../hw.js";

export const TIMER_PORT_COUNT = TIMER_STATUS + 4 - TIMER_BASE;
export const TIMER_CTRL_ENABLE = 1;
export const TIMER_STATUS_FIRED = 1;

const TWO_32 = 0x1_0000_0000;
/** High halves at or above this put the deadline past 2^53 ns, beyond any reachable time. */
const HI_UNREACHABLE = 0x20_0000;

export interface TimerOptions {
  clock: Clock;
  irq: IrqLine;
}

export interface TimerState {
  nowHiLatch: number;
  deadlineLo: number;
  deadlineHi: number;
  armed: boolean;
  ctrl: number;
  fired: boolean;
}

export class Timer implements Device {
  readonly name = "timer";
  readonly ports = { base: TIMER_BASE, count: TIMER_PORT_COUNT };

  private nowHiLatch = 0;
  private deadlineLo = 0;
  private deadlineHi = 0;
  private armed = false;
  private ctrl = 0;
  private fired = false;

  constructor(private readonly opts: TimerOptions) {
    this.updateIrq();
  }

  /** Fire if an armed deadline has been reached. Returns true if it fired on this call. */
  poll(): boolean {
    if (!this.armed || this.deadlineHi >= HI_UNREACHABLE) return false;
    if (this.now() < this.deadlineNs()) return false;
    this.armed = false;
    this.fired = true;
    this.updateIrq();
    return true;
  }

  /**
   * When the timer will next raise its interrupt, in virtual ns: the armed
   * deadline, or null if none is armed, it can never be reached, or the
   * interrupt is disabled (then firing would wake nobody).
   */
  nextDeadlineNs(): number | null {
    if (!this.armed || this.deadlineHi >= HI_UNREACHABLE) return null;
    if ((this.ctrl & TIMER_CTRL_ENABLE) === 0) return null;
    return this.deadlineNs();
  }

  /** STATUS.fired, for the host's status display and tests. */
  hasFired(): boolean {
    return this.fired;
  }

  read(port: number, width: Width): number {
    const value = this.readRegister(port);
    return width === 1 ? value & 0xff : value;
  }

  write(port: number, width: Width, value: number): void {
    const v = (width === 1 ? value & 0xff : value) >>> 0;
    switch (port) {
      case TIMER_DEADLINE_LO:
        this.deadlineLo = v;
        break;
      case TIMER_DEADLINE_HI:
        this.deadlineHi = v;
        this.armed = true;
        this.fired = false;
        if (!this.poll()) this.updateIrq(); // a deadline already in the past fires at once
        break;
      case TIMER_CTRL:
        this.ctrl = v & TIMER_CTRL_ENABLE;
        this.updateIrq();
        break;
      case TIMER_STATUS:
        if (v & TIMER_STATUS_FIRED) {
          this.fired = false;
          this.updateIrq();
        }
        break;
      default:
        break; // NOW_LO/NOW_HI are read-only; other offsets decode to nothing
    }
  }

  reset(): void {
    this.nowHiLatch = 0;
    this.deadlineLo = 0;
    this.deadlineHi = 0;
    this.armed = false;
    this.ctrl = 0;
    this.fired = false;
    this.updateIrq();
  }

  save(): TimerState {
    return {
      nowHiLatch: this.nowHiLatch,
      deadlineLo: this.deadlineLo,
      deadlineHi: this.deadlineHi,
      armed: this.armed,
      ctrl: this.ctrl,
      fired: this.fired,
    };
  }

  restore(state: unknown): void {
    const s = state as Partial<TimerState> | null;
    if (typeof s !== "object" || s === null) throw new DeviceStateError("timer: state is not an object");
    for (const key of ["nowHiLatch", "deadlineLo", "deadlineHi", "ctrl"] as const) {
      const v = s[key];
      if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v >= TWO_32) {
        throw new DeviceStateError(`timer: ${key} must be a u32`);
      }
    }
    if (typeof s.armed !== "boolean" || typeof s.fired !== "boolean") {
      throw new DeviceStateError("timer: armed/fired must be booleans");
    }
    this.nowHiLatch = s.nowHiLatch as number;
    this.deadlineLo = s.deadlineLo as number;
    this.deadlineHi = s.deadlineHi as number;
    this.ctrl = (s.ctrl as number) & TIMER_CTRL_ENABLE;
    this.armed = s.armed;
    this.fired = s.fired;
    this.updateIrq();
  }

  private readRegister(port: number): number {
    switch (port) {
      case TIMER_NOW_LO: {
        const now = this.now();
        this.nowHiLatch = Math.floor(now / TWO_32) >>> 0;
        return now % TWO_32;
      }
      case TIMER_NOW_HI: return this.nowHiLatch;
      case TIMER_DEADLINE_LO: return this.deadlineLo;
      case TIMER_DEADLINE_HI: return this.deadlineHi;
      case TIMER_CTRL: return this.ctrl;
      case TIMER_STATUS: return this.fired ? TIMER_STATUS_FIRED : 0;
      default: return 0;
    }
  }

  private now(): number {
    return Math.max(0, Math.floor(this.opts.clock.nowNs()));
  }

  private deadlineNs(): number {
    return this.deadlineHi * TWO_32 + this.deadlineLo;
  }

  private updateIrq(): void {
    this.opts.irq.set(this.fired && (this.ctrl & TIMER_CTRL_ENABLE) !== 0);
  }
}
