import { describe, it, expect } from "vitest";
import { DeviceStateError } from "./device.js";
import { DeterministicClock, RealtimeClock } from "./clock.js";

function fakeWall(startMs = 1000) {
  let ms = startMs;
  return { now: () => ms, advance: (d: number) => { ms += d; }, set: (v: number) => { ms = v; } };
}

describe("RealtimeClock", () => {
  it("counts virtual nanoseconds from power-on with the wall clock", () => {
    const wall = fakeWall(5000);
    const clock = new RealtimeClock(wall.now);
    expect(clock.nowNs()).toBe(0);
    wall.advance(2.5);
    expect(clock.nowNs()).toBe(2_500_000);
    expect(clock.mode).toBe("realtime");
  });

  it("never goes backwards even if the wall clock does", () => {
    const wall = fakeWall();
    const clock = new RealtimeClock(wall.now);
    wall.advance(10);
    expect(clock.nowNs()).toBe(10_000_000);
    wall.advance(-4);
    expect(clock.nowNs()).toBe(10_000_000);
  });

  it("tells the run loop how long to sleep until a deadline, and 0 once it has passed", () => {
    const wall = fakeWall();
    const clock = new RealtimeClock(wall.now);
    expect(clock.waitMs(3_000_000)).toBe(3);
    wall.advance(5);
    expect(clock.waitMs(3_000_000)).toBe(0);
  });

  it("resumes from a saved time rather than from the wall clock", () => {
    const wall = fakeWall();
    const a = new RealtimeClock(wall.now);
    wall.advance(7);
    const state = JSON.parse(JSON.stringify(a.save()));
    wall.advance(1000);
    const b = new RealtimeClock(wall.now);
    b.restore(state);
    expect(b.nowNs()).toBe(7_000_000);
    wall.advance(1);
    expect(b.nowNs()).toBe(8_000_000);
  });

  it("goes back to zero on reset", () => {
    const wall = fakeWall();
    const clock = new RealtimeClock(wall.now);
    wall.advance(50);
    clock.reset();
    expect(clock.nowNs()).toBe(0);
  });

  it("uses performance.now by default", () => {
    const clock = new RealtimeClock();
    const t0 = clock.nowNs();
    expect(Number.isInteger(t0)).toBe(true);
    expect(clock.nowNs()).toBeGreaterThanOrEqual(t0);
  });
});

describe("DeterministicClock", () => {
  it("moves only by retired work and skips", () => {
    const clock = new DeterministicClock();
    expect(clock.nowNs()).toBe(0);
    clock.advanceWork(1000, 2);
    expect(clock.nowNs()).toBe(2000);
    clock.skipTo(10_000);
    expect(clock.nowNs()).toBe(10_000);
    expect(clock.mode).toBe("deterministic");
  });

  it("ignores a skip into the past", () => {
    const clock = new DeterministicClock();
    clock.skipTo(500);
    clock.skipTo(100);
    expect(clock.nowNs()).toBe(500);
  });

  it("refuses work that would move time backwards or is not a number", () => {
    const clock = new DeterministicClock();
    expect(() => clock.advanceWork(-1, 1)).toThrow(RangeError);
    expect(() => clock.advanceWork(1, -1)).toThrow(RangeError);
    expect(() => clock.advanceWork(Number.NaN, 1)).toThrow(RangeError);
    expect(() => clock.skipTo(Number.NaN)).toThrow(RangeError);
    expect(clock.nowNs()).toBe(0);
  });

  it("accumulates fractional ns per unit of work exactly over many slices", () => {
    const clock = new DeterministicClock();
    for (let i = 0; i < 4; i++) clock.advanceWork(1, 0.25);
    expect(clock.nowNs()).toBe(1);
    clock.advanceWork(1, 0.5);
    expect(clock.nowNs()).toBe(1);
  });

  it("gives the same times for the same sequence of calls", () => {
    const run = () => {
      const clock = new DeterministicClock();
      const seen: number[] = [];
      for (let i = 0; i < 100; i++) {
        clock.advanceWork(i * 37, 1.5);
        if (i % 10 === 0) clock.skipTo(clock.nowNs() + 1234);
        seen.push(clock.nowNs());
      }
      return seen;
    };
    expect(run()).toEqual(run());
  });

  it("round-trips through save/restore, keeping the fraction", () => {
    const a = new DeterministicClock();
    a.advanceWork(3, 0.5);
    const b = new DeterministicClock();
    b.restore(JSON.parse(JSON.stringify(a.save())));
    a.advanceWork(1, 0.5);
    b.advanceWork(1, 0.5);
    expect(b.nowNs()).toBe(a.nowNs());
    expect(b.nowNs()).toBe(2);
  });

  it("rejects another mode's state and garbage", () => {
    const clock = new DeterministicClock();
    expect(() => clock.restore({ mode: "realtime", nowNs: 5 })).toThrow(DeviceStateError);
    expect(() => clock.restore({ mode: "deterministic", nowNs: -5 })).toThrow(DeviceStateError);
    expect(() => clock.restore(undefined)).toThrow(DeviceStateError);
  });
});
