import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { DeviceStateError, type IrqLine } from "../device.js";
import { NIC_BASE } from "../hw.js";
import { LoopbackBackend, type NetBackend } from "../net/backend.js";
import { VirtualSwitch } from "../net/switch.js";
import {
  NIC_CNT_BAD_INDEX, NIC_CNT_RX_DROPPED, NIC_CNT_RX_ERRORS, NIC_CNT_RX_FRAMES, NIC_CNT_RX_QUEUED, NIC_CNT_TX_BYTES,
  NIC_CNT_TX_ERRORS, NIC_CNT_TX_FRAMES, NIC_COUNTER, NIC_COUNTER_SELECT, NIC_CTRL, NIC_CTRL_IRQ_ENABLE, NIC_CTRL_RX_ENABLE,
  NIC_MAC_HI, NIC_MAC_LO, NIC_MAGIC, NIC_MAGIC_VALUE, NIC_RX_AVAIL, NIC_RX_BASE, NIC_RX_QUEUE_LIMIT, NIC_RX_SLOTS,
  NIC_RX_USED, NIC_SLOT_BAD_BUFFER, NIC_SLOT_BAD_LENGTH, NIC_SLOT_BUFFER, NIC_SLOT_DONE, NIC_SLOT_LENGTH, NIC_SLOT_SIZE,
  NIC_SLOT_STATUS, NIC_STATUS, NIC_STATUS_LINK, NIC_STATUS_RX, NIC_TX_BASE, NIC_TX_DONE, NIC_TX_DOORBELL, NIC_TX_SLOTS,
  NicDevice,
} from "./nic.js";

class FakeIrq implements IrqLine {
  level = false;
  set(level: boolean): void { this.level = level; }
  pulse(): void { throw new Error("the NIC's interrupt is a level"); }
}

const RAM_BYTES = 1 << 20;
const TX_RING = 0x1000;
const RX_RING = 0x2000;
const TX_BUF = 0x10000;
const RX_BUF = 0x20000;
const RX_BUF_SIZE = 2048;
const SLOTS = 8;

function frame(dst: number[], src: number[], len: number, fill = 0xab): Uint8Array {
  const f = new Uint8Array(len).fill(fill);
  f.set(dst, 0);
  f.set(src, 6);
  f[12] = 0x08; f[13] = 0x00;
  return f;
}
const MAC_A = [2, 0, 0, 0, 0, 0xa];
const MAC_B = [2, 0, 0, 0, 0, 0xb];
const BCAST = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];

function makeNic(backend: NetBackend | null, mac = MAC_A) {
  const ram = new ArrayBuffer(RAM_BYTES);
  const view = new DataView(ram);
  const bytes = new Uint8Array(ram);
  const irq = new FakeIrq();
  let woken = 0;
  const nic = new NicDevice({ memory: () => ram, irq, backend, mac: Uint8Array.from(mac), onReceive: () => woken++ });
  const inl = (r: number) => nic.read(NIC_BASE + r, 4);
  const outl = (r: number, v: number) => nic.write(NIC_BASE + r, 4, v);
  let txProduced = 0;
  let rxPosted = 0;
  const setup = () => {
    outl(NIC_TX_BASE, TX_RING); outl(NIC_TX_SLOTS, SLOTS);
    outl(NIC_RX_BASE, RX_RING); outl(NIC_RX_SLOTS, SLOTS);
    outl(NIC_CTRL, NIC_CTRL_RX_ENABLE | NIC_CTRL_IRQ_ENABLE);
  };
  /** Puts frames in TX slots and rings once; returns the slots' statuses. */
  const send = (...frames: { data?: Uint8Array; length?: number; buffer?: number }[]): number[] => {
    const slots = frames.map((f, i) => {
      const slot = TX_RING + (txProduced % SLOTS) * NIC_SLOT_SIZE;
      const buf = f.buffer ?? TX_BUF + i * 2048;
      if (f.data) bytes.set(f.data, buf);
      view.setBigUint64(slot + NIC_SLOT_BUFFER, BigInt(buf), true);
      view.setUint32(slot + NIC_SLOT_LENGTH, f.length ?? f.data!.length, true);
      view.setUint32(slot + NIC_SLOT_STATUS, 0, true);
      txProduced = (txProduced + 1) >>> 0;
      return slot;
    });
    outl(NIC_TX_DOORBELL, txProduced);
    return slots.map((s) => view.getUint32(s + NIC_SLOT_STATUS, true));
  };
  /** Posts n receive buffers (capacity `size`). */
  const post = (n: number, size = RX_BUF_SIZE) => {
    for (let i = 0; i < n; i++) {
      const k = rxPosted % SLOTS;
      const slot = RX_RING + k * NIC_SLOT_SIZE;
      view.setBigUint64(slot + NIC_SLOT_BUFFER, BigInt(RX_BUF + k * RX_BUF_SIZE), true);
      view.setUint32(slot + NIC_SLOT_LENGTH, size, true);
      view.setUint32(slot + NIC_SLOT_STATUS, 0, true);
      rxPosted = (rxPosted + 1) >>> 0;
    }
    outl(NIC_RX_AVAIL, rxPosted);
  };
  /** The frame (or status) in RX slot index i (free-running). */
  const received = (i: number) => {
    const k = i % SLOTS;
    const slot = RX_RING + k * NIC_SLOT_SIZE;
    const status = view.getUint32(slot + NIC_SLOT_STATUS, true);
    const len = view.getUint32(slot + NIC_SLOT_LENGTH, true);
    return { status, data: bytes.slice(RX_BUF + k * RX_BUF_SIZE, RX_BUF + k * RX_BUF_SIZE + len) };
  };
  const counter = (i: number) => { outl(NIC_COUNTER_SELECT, i); return inl(NIC_COUNTER); };
  return { nic, ram, view, bytes, irq, inl, outl, setup, send, post, received, counter, woken: () => woken,
    setTxProduced: (p: number) => { txProduced = p >>> 0; } };
}

describe("NIC registers", () => {
  it("with no wire fitted every register reads 0 and writes are ignored", () => {
    const n = makeNic(null);
    n.outl(NIC_CTRL, 3);
    for (let r = 0; r < 0x3c; r += 4) expect(n.inl(r)).toBe(0);
  });

  it("identifies itself and reports its MAC and link", () => {
    const n = makeNic(new LoopbackBackend(), [0x02, 0x11, 0x22, 0x33, 0x44, 0x55]);
    expect(n.inl(NIC_MAGIC)).toBe(NIC_MAGIC_VALUE);
    expect(n.inl(NIC_MAC_LO)).toBe(0x33221102);
    expect(n.inl(NIC_MAC_HI)).toBe(0x5544);
    expect(n.inl(NIC_STATUS) & NIC_STATUS_LINK).toBe(NIC_STATUS_LINK);
  });

  it("keeps ring bases aligned and refuses impossible ring sizes", () => {
    const n = makeNic(new LoopbackBackend());
    n.outl(NIC_TX_BASE, 0x1234); expect(n.inl(NIC_TX_BASE)).toBe(0x1000);
    n.outl(NIC_RX_SLOTS, 16); n.outl(NIC_RX_SLOTS, 12); n.outl(NIC_RX_SLOTS, 512); n.outl(NIC_RX_SLOTS, 0);
    expect(n.inl(NIC_RX_SLOTS)).toBe(16);
  });
});

describe("NIC transmit", () => {
  it("sends every ready slot in order before the doorbell returns, with counters", () => {
    const lo = new LoopbackBackend();
    const n = makeNic(lo);
    n.setup();
    const a = frame(BCAST, MAC_A, 60, 1), b = frame(BCAST, MAC_A, 1514, 2);
    expect(n.send({ data: a }, { data: b })).toEqual([NIC_SLOT_DONE, NIC_SLOT_DONE]);
    expect(n.inl(NIC_TX_DONE)).toBe(2);
    expect(lo.queued).toBe(2);
    expect(n.counter(NIC_CNT_TX_FRAMES)).toBe(2);
    expect(n.counter(NIC_CNT_TX_BYTES)).toBe(60 + 1514);
  });

  it("refuses frames too short or too long and buffers outside RAM, counting each", () => {
    const lo = new LoopbackBackend();
    const n = makeNic(lo);
    n.setup();
    expect(n.send({ length: 13 }, { length: 1515 }, { length: 60, buffer: RAM_BYTES - 10 }, { length: 0 }))
      .toEqual([NIC_SLOT_BAD_LENGTH, NIC_SLOT_BAD_LENGTH, NIC_SLOT_BAD_BUFFER, NIC_SLOT_BAD_LENGTH]);
    expect(lo.queued).toBe(0);
    expect(n.counter(NIC_CNT_TX_ERRORS)).toBe(4);
    expect(n.inl(NIC_TX_DONE)).toBe(4);
  });

  it("ignores a doorbell that claims more slots than the ring holds, or with no ring", () => {
    const n = makeNic(new LoopbackBackend());
    n.outl(NIC_TX_DOORBELL, 1); // no ring yet
    n.setup();
    n.outl(NIC_TX_DOORBELL, SLOTS + 1);
    n.outl(NIC_TX_DOORBELL, 0xffff_ffff);
    expect(n.inl(NIC_TX_DONE)).toBe(0);
    expect(n.counter(NIC_CNT_BAD_INDEX)).toBe(3);
  });
});

describe("NIC receive", () => {
  it("fills posted buffers in order, raises the level interrupt and clears it on write-1", () => {
    const lo = new LoopbackBackend();
    const n = makeNic(lo);
    n.setup();
    n.post(4);
    const frames = [frame(MAC_A, MAC_A, 64, 7), frame(MAC_A, MAC_A, 100, 8)];
    n.send(...frames.map((data) => ({ data })));
    expect(n.irq.level).toBe(true); // the TX interrupt
    n.outl(NIC_STATUS, 0b110);
    expect(n.irq.level).toBe(false);
    lo.pump();
    expect(n.inl(NIC_RX_USED)).toBe(2);
    expect(n.received(0)).toEqual({ status: NIC_SLOT_DONE, data: frames[0] });
    expect(n.received(1)).toEqual({ status: NIC_SLOT_DONE, data: frames[1] });
    expect(n.inl(NIC_STATUS) & NIC_STATUS_RX).toBe(NIC_STATUS_RX);
    expect(n.irq.level).toBe(true);
    expect(n.woken()).toBe(2);
    n.outl(NIC_STATUS, NIC_STATUS_RX);
    expect(n.irq.level).toBe(false);
    expect(n.counter(NIC_CNT_RX_FRAMES)).toBe(2);
  });

  it("holds frames while no buffer is posted, up to its queue limit, then drops and counts", () => {
    const n = makeNic(new LoopbackBackend());
    n.setup();
    for (let i = 0; i < NIC_RX_QUEUE_LIMIT + 5; i++) n.nic.receive(frame(MAC_A, MAC_B, 60, i));
    expect(n.counter(NIC_CNT_RX_QUEUED)).toBe(NIC_RX_QUEUE_LIMIT);
    expect(n.counter(NIC_CNT_RX_DROPPED)).toBe(5);
    n.post(3);
    expect(n.inl(NIC_RX_USED)).toBe(3);
    expect(n.received(2).data[20]).toBe(2); // frames come out in arrival order
    expect(n.counter(NIC_CNT_RX_QUEUED)).toBe(NIC_RX_QUEUE_LIMIT - 3);
  });

  it("drops frames while receive is disabled and frames of impossible length", () => {
    const n = makeNic(new LoopbackBackend());
    n.nic.receive(frame(MAC_A, MAC_B, 60));
    expect(n.counter(NIC_CNT_RX_DROPPED)).toBe(1);
    n.setup();
    n.nic.receive(new Uint8Array(13));
    n.nic.receive(new Uint8Array(1515));
    expect(n.counter(NIC_CNT_RX_ERRORS)).toBe(2);
    expect(n.nic.rxQueued).toBe(0);
  });

  it("answers a buffer too small or outside RAM with BAD_BUFFER and consumes the slot", () => {
    const n = makeNic(new LoopbackBackend());
    n.setup();
    n.post(1, 32);
    n.nic.receive(frame(MAC_A, MAC_B, 60));
    expect(n.received(0).status).toBe(NIC_SLOT_BAD_BUFFER);
    expect(n.inl(NIC_RX_USED)).toBe(1);
    expect(n.counter(NIC_CNT_RX_ERRORS)).toBe(1);
  });

  it("ignores an RX_AVAIL that posts more buffers than the ring holds", () => {
    const n = makeNic(new LoopbackBackend());
    n.setup();
    n.outl(NIC_RX_AVAIL, SLOTS + 1);
    expect(n.inl(NIC_RX_AVAIL)).toBe(0);
    expect(n.counter(NIC_CNT_BAD_INDEX)).toBe(1);
  });

  it("survives any register writes and wire frames (fast-check): never throws, counters only grow, indices stay in bounds", () => {
    fc.assert(fc.property(
      fc.array(fc.oneof(
        fc.record({ kind: fc.constant("reg" as const), reg: fc.integer({ min: 0, max: 15 }).map((r) => r * 4), value: fc.oneof(fc.nat(), fc.integer({ min: 0, max: 16 }), fc.constant(TX_RING)) }),
        fc.record({ kind: fc.constant("wire" as const), data: fc.uint8Array({ minLength: 0, maxLength: 1600 }) }),
        fc.record({ kind: fc.constant("slot" as const), at: fc.integer({ min: 0, max: 2 * SLOTS * NIC_SLOT_SIZE / 4 - 1 }), value: fc.nat() }),
      ), { maxLength: 60 }),
      (steps) => {
        const n = makeNic(new LoopbackBackend());
        n.setup();
        let last = Array.from({ length: 9 }, () => 0);
        for (const s of steps) {
          if (s.kind === "reg") n.outl(s.reg, s.value);
          else if (s.kind === "wire") n.nic.receive(s.data);
          else n.view.setUint32(TX_RING + s.at * 4, s.value, true);
          const now = Array.from({ length: 8 }, (_, i) => n.counter(i));
          for (let i = 0; i < 8; i++) expect(now[i]).toBeGreaterThanOrEqual(last[i]!);
          last = now;
          expect(n.nic.rxQueued).toBeLessThanOrEqual(NIC_RX_QUEUE_LIMIT);
          expect((n.inl(NIC_RX_AVAIL) - n.inl(NIC_RX_USED)) >>> 0).toBeLessThanOrEqual(256);
        }
      },
    ), { numRuns: 100 });
  });
});

describe("NIC state", () => {
  it("save/restore round-trips registers, counters and queued frames", () => {
    const a = makeNic(new LoopbackBackend());
    a.setup();
    a.send({ data: frame(BCAST, MAC_A, 60) });
    a.nic.receive(frame(MAC_A, MAC_B, 70, 3));
    const saved = JSON.parse(JSON.stringify(a.nic.save()));
    const b = makeNic(new LoopbackBackend());
    b.nic.restore(saved);
    expect(b.nic.save()).toEqual(a.nic.save());
    expect(b.inl(NIC_TX_DONE)).toBe(1);
    b.post(1);
    expect(b.received(0).data).toEqual(frame(MAC_A, MAC_B, 70, 3));
  });

  it("restore refuses states that do not fit", () => {
    const n = makeNic(new LoopbackBackend());
    const good = n.nic.save();
    expect(() => n.nic.restore(null)).toThrow(DeviceStateError);
    expect(() => n.nic.restore({ ...good, txBase: 0x1001 })).toThrow(DeviceStateError);
    expect(() => n.nic.restore({ ...good, rxSlots: 3 })).toThrow(DeviceStateError);
    expect(() => n.nic.restore({ ...good, ctrl: 0x80 })).toThrow(DeviceStateError);
    expect(() => n.nic.restore({ ...good, rxQueue: [[1, 2, 3]] })).toThrow(DeviceStateError);
    expect(() => n.nic.restore({ ...good, counters: { ...good.counters, rxFrames: -1 } })).toThrow(DeviceStateError);
  });

  it("reset returns to power-on state", () => {
    const n = makeNic(new LoopbackBackend());
    n.setup();
    n.nic.receive(frame(MAC_A, MAC_B, 60));
    n.nic.reset();
    expect(n.inl(NIC_CTRL)).toBe(0);
    expect(n.inl(NIC_RX_BASE)).toBe(0);
    expect(n.nic.rxQueued).toBe(0);
    expect(n.counter(NIC_CNT_TX_FRAMES)).toBe(0);
    expect(n.irq.level).toBe(false);
  });
});

describe("virtual switch", () => {
  it("floods unknown and broadcast destinations, then switches learned unicast to one port only", () => {
    const sw = new VirtualSwitch();
    const a = makeNic(sw, MAC_A), b = makeNic(sw, MAC_B), c = makeNic(sw, [2, 0, 0, 0, 0, 0xc]);
    for (const n of [a, b, c]) { n.setup(); n.post(8); }
    a.send({ data: frame(BCAST, MAC_A, 60, 1) });
    sw.pump();
    expect(a.inl(NIC_RX_USED)).toBe(0);
    expect(b.inl(NIC_RX_USED)).toBe(1);
    expect(c.inl(NIC_RX_USED)).toBe(1);
    b.send({ data: frame(MAC_A, MAC_B, 60, 2) }); // A is learned: only A gets it
    sw.pump();
    expect(a.inl(NIC_RX_USED)).toBe(1);
    expect(c.inl(NIC_RX_USED)).toBe(1);
    a.send({ data: frame(MAC_B, MAC_A, 60, 3) });
    sw.pump();
    expect(b.inl(NIC_RX_USED)).toBe(2);
    expect(c.inl(NIC_RX_USED)).toBe(1);
    expect(sw.stats().macs).toBe(2);
  });

  it("delivers in send order and bounds each port's queue", () => {
    const sw = new VirtualSwitch("s", 4);
    const a = makeNic(sw, MAC_A), b = makeNic(sw, MAC_B);
    a.setup(); b.setup(); b.post(8);
    for (let i = 0; i < 6; i++) sw.inject(frame(MAC_B, MAC_A, 60, i));
    expect(sw.portStats()[1]!.dropped).toBe(2);
    sw.pump();
    expect([0, 1, 2, 3].map((i) => b.received(i).data[20])).toEqual([0, 1, 2, 3]);
  });

  it("refuses frames of impossible length on entry and never throws on random bytes (fast-check)", () => {
    fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 1600 }), { maxLength: 40 }), (frames) => {
      const sw = new VirtualSwitch();
      const a = makeNic(sw, MAC_A);
      a.setup(); a.post(8);
      let bad = 0;
      for (const f of frames) { sw.inject(f); if (f.length < 14 || f.length > 1514) bad++; }
      expect(sw.stats().malformed).toBe(bad);
      sw.pump();
      expect(a.nic.rxQueued + a.inl(NIC_RX_USED) + a.counter(NIC_CNT_RX_DROPPED)).toBeLessThanOrEqual(frames.length - bad);
    }), { numRuns: 100 });
  });

  it("a detached port gets nothing more and is forgotten", () => {
    const sw = new VirtualSwitch();
    const got: number[] = [];
    const b = sw.attach({ mac: Uint8Array.from(MAC_B), receive: (f) => got.push(f[20]!) });
    const a = sw.attach({ mac: Uint8Array.from(MAC_A), receive: () => {} });
    b.transmit(frame(MAC_A, MAC_B, 60)); // B is learned
    a.transmit(frame(MAC_B, MAC_A, 60, 1));
    sw.pump();
    expect(got).toEqual([1]);
    a.transmit(frame(MAC_B, MAC_A, 60, 2)); // queued for B...
    b.detach(); // ...and dropped with the port
    expect(b.up).toBe(false);
    a.transmit(frame(MAC_B, MAC_A, 60, 3));
    b.transmit(frame(MAC_A, MAC_B, 60));
    sw.pump();
    expect(got).toEqual([1]);
    expect(sw.stats()).toMatchObject({ ports: 1, macs: 1 });
  });
});
