// The virtual switch's impairment (host/net/switch.ts impair()): seeded
// loss, duplication and reordering, checked against what was sent.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { VirtualSwitch } from "./switch.js";

function frame(to: number, from: number, n: number): Uint8Array {
  const f = new Uint8Array(60);
  f.set([2, 0, 0, 0, 0, to], 0);
  f.set([2, 0, 0, 0, 0, from], 6);
  f[14] = n >> 8; f[15] = n & 0xff;
  return f;
}

/** Sends `count` frames from port A to port B in bursts, pumping between; returns the sequence numbers B got. */
function session(imp: { seed: number; loss?: number; duplicate?: number; reorder?: number } | null, count: number, burst: number) {
  const sw = new VirtualSwitch();
  const got: number[] = [];
  const a = sw.attach({ mac: Uint8Array.of(2, 0, 0, 0, 0, 1), receive: () => {} });
  sw.attach({ mac: Uint8Array.of(2, 0, 0, 0, 0, 2), receive: (f) => got.push((f[14]! << 8) | f[15]!) });
  sw.inject(frame(1, 2, 0xffff)); // the switch learns B's port
  sw.pump();
  got.length = 0;
  sw.impair(imp);
  for (let i = 0; i < count; i++) {
    a.transmit(frame(2, 1, i));
    if (i % burst === burst - 1) sw.pump();
  }
  while (sw.queued) sw.pump();
  return { got, stats: sw.portStats()[1]! };
}

describe("switch impairment", () => {
  it("loses, duplicates and reorders as counted, deterministically per seed", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 2 ** 31 }), fc.double({ min: 0, max: 0.5, noNaN: true }),
      fc.double({ min: 0, max: 0.5, noNaN: true }), fc.double({ min: 0, max: 0.5, noNaN: true }), fc.integer({ min: 1, max: 20 }),
      (seed, loss, duplicate, reorder, burst) => {
        const first = session({ seed, loss, duplicate, reorder }, 300, burst);
        const { got, stats } = first;
        expect(got.length).toBe(300 - stats.lost + stats.duplicated);
        // Every frame delivered was sent; none more often than twice.
        const seen = new Map<number, number>();
        for (const n of got) seen.set(n, (seen.get(n) ?? 0) + 1);
        for (const [n, times] of seen) { expect(n).toBeLessThan(300); expect(times).toBeLessThanOrEqual(2); }
        if (reorder === 0) for (let i = 1; i < got.length; i++) expect(got[i]!).toBeGreaterThanOrEqual(got[i - 1]!);
        expect(session({ seed, loss, duplicate, reorder }, 300, burst)).toEqual(first);
      }), { numRuns: 60 });
  });

  it("a clean switch delivers everything in order, and a held frame comes after later ones", () => {
    expect(session(null, 50, 5).got).toEqual([...Array(50).keys()]);
    const r = session({ seed: 7, reorder: 0.3 }, 200, 10);
    expect(r.stats.reordered).toBeGreaterThan(0);
    expect(r.got.some((n, i) => i > 0 && n < r.got[i - 1]!)).toBe(true);
    expect([...r.got].sort((x, y) => x - y)).toEqual([...Array(200).keys()]);
    expect(() => new VirtualSwitch().impair({ seed: 1, loss: 2 })).toThrow(RangeError);
  });
});
