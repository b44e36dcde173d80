// The page's relay between the machines' workers (web/cluster/relay.ts), the
// packed batches they exchange (web/cluster/frames.ts) and the worker's end
// (web/net-port.ts): bounded queues, drops counted, order kept, bad batches
// refused without losing the frames before the damage.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { FrameRelay, INBOX_LIMIT } from "./relay";
import { packFrames, unpackFrames } from "./frames";
import { OUTBOX_LIMIT, WorkerNetPort } from "../net-port";
import { takes, macKey } from "./channel";
import { slotAddress } from "./registry";
import { parseMac } from "../../host/net/backend";

const MACS = [1, 2, 3].map((slot) => parseMac(slotAddress(slot).mac));
const BROADCAST = new Uint8Array(6).fill(0xff);

/** A frame from `src` to `dst` carrying `tag` (a sequence number) in its payload. */
function frame(dst: Uint8Array, src: Uint8Array, tag: number, extra = 0): Uint8Array {
  const f = new Uint8Array(60 + extra);
  f.set(dst, 0);
  f.set(src, 6);
  f[12] = 0x08;
  f[14] = tag & 0xff;
  f[15] = (tag >> 8) & 0xff;
  return f;
}

const tagOf = (f: Uint8Array) => f[14]! | (f[15]! << 8);

describe("packed frame batches", () => {
  it("carry frames whole and in order, and refuse what is cut short or impossible", () => {
    const frames = [frame(MACS[1]!, MACS[0]!, 1), frame(BROADCAST, MACS[0]!, 2, 1454)];
    const packed = packFrames([...frames, new Uint8Array(5), new Uint8Array(1515)]);
    expect(packed.length).toBe(2 + 60 + 2 + 1514);
    expect(unpackFrames(packed)).toEqual({ frames, bad: false });
    expect(unpackFrames(packed.subarray(0, packed.length - 1))).toEqual({ frames: [frames[0]], bad: true });
    expect(unpackFrames(Uint8Array.of(3, 0, 1, 2, 3))).toEqual({ frames: [], bad: true });
    expect(unpackFrames(new Uint8Array(0))).toEqual({ frames: [], bad: false });
  });
});

describe("FrameRelay", () => {
  it("learns where each MAC is, floods broadcasts to the other ports only, and counts", () => {
    const relay = new FrameRelay();
    const ports = MACS.map((m) => relay.addPort(m));
    relay.fromPort(ports[0]!, packFrames([frame(BROADCAST, MACS[0]!, 1)]));
    relay.pump();
    expect(relay.waiting(ports[0]!)).toBe(0);
    expect(unpackFrames(relay.take(ports[1]!)).frames.map(tagOf)).toEqual([1]);
    expect(unpackFrames(relay.take(ports[2]!)).frames.map(tagOf)).toEqual([1]);
    relay.fromPort(ports[1]!, packFrames([frame(MACS[0]!, MACS[1]!, 2)]));
    relay.pump();
    expect(unpackFrames(relay.take(ports[0]!)).frames.map(tagOf)).toEqual([2]);
    expect(relay.waiting(ports[2]!)).toBe(0); // port 0's MAC was learned: no flood
    expect(relay.stats().map((s) => [s.fromPort, s.toPort, s.dropped])).toEqual([[1, 1, 0], [1, 1, 0], [0, 1, 0]]);
  });

  it("drops and counts what a full inbox cannot hold; a bad batch keeps the frames before its damage", () => {
    const relay = new FrameRelay("t", 4);
    const a = relay.addPort(MACS[0]!);
    const b = relay.addPort(MACS[1]!);
    relay.fromPort(b, packFrames([frame(BROADCAST, MACS[1]!, 0)])); // b's MAC learned
    relay.pump();
    relay.take(a);
    const batch = packFrames(Array.from({ length: 6 }, (_, i) => frame(MACS[1]!, MACS[0]!, i + 1)));
    relay.fromPort(a, batch);
    relay.pump();
    expect(unpackFrames(relay.take(b)).frames.map(tagOf)).toEqual([1, 2, 3, 4]);
    expect(relay.stats()[b]!.dropped).toBe(2);
    relay.fromPort(a, batch.subarray(0, 62 + 10));
    relay.pump();
    expect(unpackFrames(relay.take(b)).frames.map(tagOf)).toEqual([1]);
    expect(relay.stats()[a]!.badBatches).toBe(1);
  });

  it("fast-check: every frame sent is delivered once, in its sender's order, or counted as dropped; inboxes stay bounded", () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant("send" as const), from: fc.nat(2), to: fc.integer({ min: -1, max: 2 }), count: fc.integer({ min: 1, max: 40 }) }),
      fc.record({ kind: fc.constant("pump" as const) }),
      fc.record({ kind: fc.constant("take" as const), port: fc.nat(2) }),
    );
    fc.assert(fc.property(fc.array(op, { maxLength: 60 }), fc.integer({ min: 1, max: 64 }), (ops, limit) => {
      const relay = new FrameRelay("p", limit);
      const ports = MACS.map((m) => relay.addPort(m));
      // Every port announces itself first, so unicast is switched, not flooded.
      for (const p of ports) relay.fromPort(p, packFrames([frame(BROADCAST, MACS[p]!, 0)]));
      relay.pump();
      for (const p of ports) relay.take(p);
      const base = relay.stats();
      let tag = 1;
      const sent = ports.map(() => 0);
      const got = ports.map(() => [] as number[][]);
      const expectedTo = ports.map(() => 0);
      for (const o of ops) {
        if (o.kind === "send") {
          const frames = [];
          for (let i = 0; i < o.count; i++) {
            const dst = o.to < 0 ? BROADCAST : MACS[o.to]!;
            if (o.to === o.from) continue;
            frames.push(frame(dst, MACS[o.from]!, tag++));
            for (const p of ports) if (p !== o.from && (o.to < 0 || o.to === p)) expectedTo[p]!++;
          }
          sent[o.from]! += frames.length;
          relay.fromPort(o.from, packFrames(frames));
        } else if (o.kind === "pump") {
          relay.pump();
        } else {
          got[o.port]!.push(unpackFrames(relay.take(o.port)).frames.map(tagOf));
        }
        for (const p of ports) expect(relay.waiting(p)).toBeLessThanOrEqual(limit);
      }
      relay.pump();
      for (const p of ports) got[p]!.push(unpackFrames(relay.take(p)).frames.map(tagOf));
      const stats = relay.stats();
      for (const p of ports) {
        const all = got[p]!.flat();
        // Tags are given in send order, and the relay never reorders.
        expect([...all].sort((x, y) => x - y)).toEqual(all);
        expect(new Set(all).size).toBe(all.length);
        expect(all.length + stats[p]!.dropped - base[p]!.dropped).toBe(expectedTo[p]);
        expect(stats[p]!.fromPort).toBe(sent[p]! + 1);
      }
      expect(relay.queued).toBe(0);
    }), { numRuns: 200 });
  });
});

describe("the worker's port", () => {
  it("keeps at most OUTBOX_LIMIT frames between takes, counting the rest, and hands delivered frames over in order", () => {
    const port = new WorkerNetPort(null);
    const got: number[] = [];
    const link = port.attach({ mac: MACS[0]!, receive: (f) => got.push(tagOf(f)) });
    for (let i = 0; i < OUTBOX_LIMIT + 3; i++) link.transmit(frame(MACS[1]!, MACS[0]!, i));
    link.transmit(new Uint8Array(3)); // impossible: never sent
    const { frames } = unpackFrames(port.take());
    expect(frames.map(tagOf)).toEqual(Array.from({ length: OUTBOX_LIMIT }, (_, i) => i));
    expect(port.stats()).toMatchObject({ sent: OUTBOX_LIMIT, dropped: 3 });
    expect(port.take().length).toBe(0);
    port.deliver(packFrames([frame(MACS[0]!, MACS[1]!, 7), frame(MACS[0]!, MACS[1]!, 8)]));
    port.deliver(Uint8Array.of(200, 0, 1));
    expect(got).toEqual([7, 8]);
    expect(port.stats()).toMatchObject({ received: 2, badBatches: 1 });
    link.detach();
    port.deliver(packFrames([frame(MACS[0]!, MACS[1]!, 9)]));
    expect(got).toEqual([7, 8]);
  });

  it("posts what a slice sent once, after it", async () => {
    const batches: Uint8Array[] = [];
    const port = new WorkerNetPort((b) => batches.push(b));
    const link = port.attach({ mac: MACS[0]!, receive: () => undefined });
    link.transmit(frame(MACS[1]!, MACS[0]!, 1));
    link.transmit(frame(MACS[1]!, MACS[0]!, 2));
    expect(batches).toHaveLength(0);
    await Promise.resolve();
    expect(batches.map((b) => unpackFrames(b).frames.map(tagOf))).toEqual([[1, 2]]);
  });
});

describe("the channel between tabs", () => {
  it("takes broadcasts and frames for its own machines only", () => {
    const local = new Set([macKey(MACS[0]!)]);
    expect(takes(frame(BROADCAST, MACS[1]!, 1), local)).toBe(true);
    expect(takes(frame(MACS[0]!, MACS[1]!, 1), local)).toBe(true);
    expect(takes(frame(MACS[2]!, MACS[1]!, 1), local)).toBe(false);
    expect(takes(frame(Uint8Array.of(0x33, 0x33, 0, 0, 0, 1), MACS[1]!, 1), local)).toBe(true); // multicast
  });
});
