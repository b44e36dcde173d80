import { describe, it, expect } from "vitest";
import { DeviceStateError, type IrqLine } from "../device.js";
import { DeterministicClock } from "../clock.js";
import {
  TIMER_CTRL, TIMER_DEADLINE_HI, TIMER_DEADLINE_LO, TIMER_NOW_HI, TIMER_NOW_LO, TIMER_STATUS,
} from "../hw.js";
import { Timer, TIMER_CTRL_ENABLE, TIMER_STATUS_FIRED } from "./timer.js";

class FakeIrq implements IrqLine {
  level = false;
  set(level: boolean): void { this.level = level; }
  pulse(): void { throw new Error("the timer is level-triggered"); }
}

function makeTimer() {
  const clock = new DeterministicClock();
  const irq = new FakeIrq();
  const timer = new Timer({ clock, irq });
  const inl = (port: number) => timer.read(port, 4);
  const outl = (port: number, v: number) => timer.write(port, 4, v);
  const arm = (ns: number) => {
    outl(TIMER_DEADLINE_LO, ns % 2 ** 32);
    outl(TIMER_DEADLINE_HI, Math.floor(ns / 2 ** 32));
  };
  return { clock, irq, timer, inl, outl, arm };
}

describe("timer counter", () => {
  it("reads virtual nanoseconds, with NOW_HI latched by the NOW_LO read", () => {
    const { clock, inl } = makeTimer();
    clock.skipTo(5 * 2 ** 32 + 123);
    expect(inl(TIMER_NOW_LO)).toBe(123);
    clock.skipTo(6 * 2 ** 32 + 7); // the high half moves between the two reads
    expect(inl(TIMER_NOW_HI)).toBe(5); // but the latched half is consistent with the low half
    expect(inl(TIMER_NOW_LO)).toBe(7);
    expect(inl(TIMER_NOW_HI)).toBe(6);
  });

  it("returns the low byte for a 1-byte read", () => {
    const { clock, timer } = makeTimer();
    clock.skipTo(0x1234);
    expect(timer.read(TIMER_NOW_LO, 1)).toBe(0x34);
  });
});

describe("timer deadline", () => {
  it("does not arm on a DEADLINE_LO write alone", () => {
    const { clock, timer, outl } = makeTimer();
    outl(TIMER_CTRL, TIMER_CTRL_ENABLE);
    outl(TIMER_DEADLINE_LO, 100);
    expect(timer.nextDeadlineNs()).toBeNull();
    clock.skipTo(1000);
    expect(timer.poll()).toBe(false);
  });

  it("arms on DEADLINE_HI, fires at poll once time reaches it, and disarms", () => {
    const { clock, timer, irq, inl, outl, arm } = makeTimer();
    outl(TIMER_CTRL, TIMER_CTRL_ENABLE);
    arm(2 ** 32 + 500);
    expect(timer.nextDeadlineNs()).toBe(2 ** 32 + 500);
    expect(inl(TIMER_DEADLINE_LO)).toBe(500);
    expect(inl(TIMER_DEADLINE_HI)).toBe(1);

    clock.skipTo(2 ** 32 + 499);
    expect(timer.poll()).toBe(false);
    expect(inl(TIMER_STATUS)).toBe(0);
    expect(irq.level).toBe(false);

    clock.skipTo(2 ** 32 + 500);
    expect(timer.poll()).toBe(true);
    expect(inl(TIMER_STATUS)).toBe(TIMER_STATUS_FIRED);
    expect(irq.level).toBe(true);
    expect(timer.nextDeadlineNs()).toBeNull();
    expect(timer.poll()).toBe(false); // one-shot
  });

  it("fires at once when the deadline armed is already past", () => {
    const { clock, irq, inl, outl, arm } = makeTimer();
    outl(TIMER_CTRL, TIMER_CTRL_ENABLE);
    clock.skipTo(10_000);
    arm(9_000);
    expect(inl(TIMER_STATUS)).toBe(TIMER_STATUS_FIRED);
    expect(irq.level).toBe(true);
  });

  it("treats deadlines beyond 2^53 ns as never", () => {
    const { clock, timer, outl } = makeTimer();
    outl(TIMER_CTRL, TIMER_CTRL_ENABLE);
    outl(TIMER_DEADLINE_LO, 0xffff_ffff);
    outl(TIMER_DEADLINE_HI, 0xffff_ffff);
    expect(timer.nextDeadlineNs()).toBeNull();
    clock.skipTo(2 ** 52);
    expect(timer.poll()).toBe(false);
  });
});

describe("timer interrupt line", () => {
  it("stays low while CTRL.enable is clear, and rises when enabled with STATUS.fired set", () => {
    const { clock, timer, irq, inl, outl, arm } = makeTimer();
    arm(100);
    clock.skipTo(100);
    timer.poll();
    expect(inl(TIMER_STATUS)).toBe(TIMER_STATUS_FIRED);
    expect(irq.level).toBe(false);
    outl(TIMER_CTRL, TIMER_CTRL_ENABLE);
    expect(inl(TIMER_CTRL)).toBe(TIMER_CTRL_ENABLE);
    expect(irq.level).toBe(true);
    outl(TIMER_CTRL, 0);
    expect(irq.level).toBe(false);
  });

  it("lowers on write-1-to-clear of STATUS, and ignores writing 0", () => {
    const { clock, timer, irq, inl, outl, arm } = makeTimer();
    outl(TIMER_CTRL, TIMER_CTRL_ENABLE);
    arm(50);
    clock.skipTo(60);
    timer.poll();
    outl(TIMER_STATUS, 0);
    expect(irq.level).toBe(true);
    outl(TIMER_STATUS, TIMER_STATUS_FIRED);
    expect(inl(TIMER_STATUS)).toBe(0);
    expect(irq.level).toBe(false);
  });

  it("clears STATUS.fired and lowers the line when a new deadline is armed", () => {
    const { clock, timer, irq, inl, outl, arm } = makeTimer();
    outl(TIMER_CTRL, TIMER_CTRL_ENABLE);
    arm(10);
    clock.skipTo(10);
    timer.poll();
    expect(irq.level).toBe(true);
    arm(1000);
    expect(inl(TIMER_STATUS)).toBe(0);
    expect(irq.level).toBe(false);
    expect(timer.nextDeadlineNs()).toBe(1000);
  });

  it("does not raise the line for a deadline that fired while the interrupt was disabled and was then re-armed", () => {
    const { clock, timer, irq, inl, outl, arm } = makeTimer();
    outl(TIMER_CTRL, TIMER_CTRL_ENABLE);
    arm(100);
    outl(TIMER_CTRL, 0); // the kernel switches the timer off
    expect(timer.nextDeadlineNs()).toBeNull(); // nothing to wake for
    clock.skipTo(200);
    timer.poll();
    expect(inl(TIMER_STATUS)).toBe(TIMER_STATUS_FIRED); // status still records it
    arm(5000); // later: LO, HI, then CTRL=1
    outl(TIMER_CTRL, TIMER_CTRL_ENABLE);
    expect(irq.level).toBe(false);
  });
});

describe("timer reset and snapshots", () => {
  it("reset disarms, clears status and control, and lowers the line", () => {
    const { clock, timer, irq, inl, outl, arm } = makeTimer();
    outl(TIMER_CTRL, TIMER_CTRL_ENABLE);
    arm(5);
    clock.skipTo(5);
    timer.poll();
    arm(500);
    timer.reset();
    expect(irq.level).toBe(false);
    expect([inl(TIMER_CTRL), inl(TIMER_STATUS), inl(TIMER_DEADLINE_LO), inl(TIMER_DEADLINE_HI)]).toEqual([0, 0, 0, 0]);
    expect(timer.nextDeadlineNs()).toBeNull();
  });

  it("save/restore round-trips an armed deadline", () => {
    const a = makeTimer();
    a.outl(TIMER_CTRL, TIMER_CTRL_ENABLE);
    a.arm(3 * 2 ** 32 + 9);
    const state = JSON.parse(JSON.stringify(a.timer.save()));

    const b = makeTimer();
    b.timer.restore(state);
    expect(b.timer.nextDeadlineNs()).toBe(3 * 2 ** 32 + 9);
    expect(b.inl(TIMER_CTRL)).toBe(TIMER_CTRL_ENABLE);
    b.clock.skipTo(3 * 2 ** 32 + 9);
    expect(b.timer.poll()).toBe(true);
    expect(b.irq.level).toBe(true);
    expect(() => b.timer.restore({ ...state, armed: "yes" })).toThrow(DeviceStateError);
    expect(() => b.timer.restore({ ...state, deadlineHi: 2 ** 32 })).toThrow(DeviceStateError);
  });

  it("save/restore round-trips a fired status and raises the line again", () => {
    const a = makeTimer();
    a.outl(TIMER_CTRL, TIMER_CTRL_ENABLE);
    a.arm(100);
    a.clock.skipTo(100);
    a.timer.poll();
    const b = makeTimer();
    b.timer.restore(JSON.parse(JSON.stringify(a.timer.save())));
    expect(b.irq.level).toBe(true);
    expect(b.inl(TIMER_STATUS)).toBe(TIMER_STATUS_FIRED);
    expect(b.timer.nextDeadlineNs()).toBeNull();
  });
});
