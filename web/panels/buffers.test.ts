import { describe, expect, it } from "vitest";
import { RecentRecords, TimeWindow } from "./buffers";

const rec = (seq: number, timeNs = seq) => ({ seq, timeNs });

describe("RecentRecords", () => {
  it("keeps the newest records up to its capacity, counting what it dropped", () => {
    const buffer = new RecentRecords<{ seq: number }>(3);
    expect(buffer.push([rec(0), rec(1)])).toBe(2);
    expect(buffer.push([rec(2), rec(3), rec(4)])).toBe(3);
    expect(buffer.all().map((r) => r.seq)).toEqual([2, 3, 4]);
    expect(buffer.dropped).toBe(2);
  });

  it("ignores records it already holds, so a repeated batch is harmless", () => {
    const buffer = new RecentRecords<{ seq: number }>(10);
    buffer.push([rec(5), rec(6)]);
    expect(buffer.push([rec(5), rec(6), rec(7)])).toBe(1);
    expect(buffer.all().map((r) => r.seq)).toEqual([5, 6, 7]);
  });

  it("never holds more than its capacity, whatever the batches (randomized)", () => {
    const buffer = new RecentRecords<{ seq: number }>(50);
    let seq = 0;
    for (let round = 0; round < 200; round++) {
      const batch = Array.from({ length: Math.floor(Math.random() * 40) }, () => rec(seq++));
      buffer.push(batch);
      const seqs = buffer.all().map((r) => r.seq);
      expect(seqs.length).toBeLessThanOrEqual(50);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      if (seq > 0) expect(seqs[seqs.length - 1]).toBe(seq - 1);
      expect(buffer.dropped + buffer.length).toBe(seq);
    }
  });
});

describe("TimeWindow", () => {
  it("keeps the events within its span of the newest time", () => {
    const window = new TimeWindow<ReturnType<typeof rec>>(100, 1000);
    window.push([rec(0, 0), rec(1, 50), rec(2, 120)], 130);
    expect(window.all().map((e) => e.seq)).toEqual([1, 2]);
    expect(window.since).toBe(30);
  });

  it("is complete from the first push until it drops something", () => {
    const window = new TimeWindow<ReturnType<typeof rec>>(1000, 1000);
    window.push([], 500);
    expect(window.since).toBe(500);
    window.push([rec(0, 600)], 700);
    expect(window.since).toBe(500);
    expect(window.newest).toBe(700);
  });

  it("caps the number of events, moving `since` to the oldest kept", () => {
    const window = new TimeWindow<ReturnType<typeof rec>>(1e9, 3);
    window.push([rec(0, 10), rec(1, 20), rec(2, 30), rec(3, 40), rec(4, 50)], 60);
    expect(window.all().map((e) => e.seq)).toEqual([2, 3, 4]);
    expect(window.since).toBe(30);
  });

  it("skips events it has seen and stays in seq order over many pushes (randomized)", () => {
    const window = new TimeWindow<ReturnType<typeof rec>>(2000, 500);
    let seq = 0;
    let time = 0;
    for (let round = 0; round < 120; round++) {
      const batch = [];
      for (let i = Math.floor(Math.random() * 30); i > 0; i--) {
        time += Math.floor(Math.random() * 20);
        batch.push(rec(seq++, time));
      }
      // Sometimes the same batch arrives twice.
      window.push(batch, time);
      if (round % 7 === 0) window.push(batch, time);
      const kept = window.all();
      expect(kept.length).toBeLessThanOrEqual(500);
      for (let i = 1; i < kept.length; i++) expect(kept[i]!.seq).toBe(kept[i - 1]!.seq + 1);
      for (const e of kept) expect(e.timeNs).toBeGreaterThanOrEqual(time - 2000);
      expect(window.since!).toBeLessThanOrEqual(kept[0]?.timeNs ?? time);
    }
  });
});
