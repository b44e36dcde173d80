import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { DeviceStateError, type IrqLine } from "../device.js";
import { BLOCK_BASE } from "../hw.js";
import {
  BLK_CAPACITY, BLK_COMPLETED, BLK_DOORBELL, BLK_MAGIC, BLK_MAGIC_VALUE, BLK_RING_BASE, BLK_RING_SLOTS, BLK_STATUS,
  BLK_STATUS_INTERRUPT, BLK_STATUS_POWERED_OFF, BLK_STATUS_READY, BLOCK_SIZE, BlockDevice, MemoryBackend, OP_FLUSH,
  OP_READ, OP_WRITE, PowerCutBackend, REQ_BAD, REQ_BLOCK, REQ_BUFFER, REQ_COUNT, REQ_DONE, REQ_IO_ERROR, REQ_OP,
  REQ_OUT_OF_RANGE, REQ_PENDING, REQ_SIZE, REQ_STATUS, type BlockBackend,
} from "./block.js";

class FakeIrq implements IrqLine {
  level = false;
  pulses = 0;
  set(level: boolean): void { this.level = level; }
  pulse(): void { this.pulses++; }
}

const RAM_BYTES = 1 << 20;
const RING = 0x1000;
const BUF = 0x10000;

interface Req { op: number; block?: number; buffer?: number; count?: number; blockHi?: number; bufferHi?: number }

function makeDisk(opts: { blocks?: number; backend?: BlockBackend | null; slots?: number } = {}) {
  const ram = new ArrayBuffer(RAM_BYTES);
  const view = new DataView(ram);
  const bytes = new Uint8Array(ram);
  const irq = new FakeIrq();
  const backend = opts.backend === undefined ? new MemoryBackend(new Uint8Array(0), opts.blocks ?? 64) : opts.backend;
  const dev = new BlockDevice({ memory: () => ram, irq, backend });
  const inl = (reg: number) => dev.read(BLOCK_BASE + reg, 4);
  const outl = (reg: number, v: number) => dev.write(BLOCK_BASE + reg, 4, v);
  const slots = opts.slots ?? 8;
  outl(BLK_RING_BASE, RING);
  outl(BLK_RING_SLOTS, slots);
  let producer = 0;
  /** Fills the next slots and returns their addresses (does not ring). */
  const queue = (...reqs: Req[]): number[] =>
    reqs.map((r) => {
      const slot = RING + (producer % slots) * REQ_SIZE;
      view.setUint32(slot + REQ_OP, r.op, true);
      view.setUint32(slot + REQ_STATUS, REQ_PENDING, true);
      view.setUint32(slot + REQ_BLOCK, r.block ?? 0, true);
      view.setUint32(slot + REQ_BLOCK + 4, r.blockHi ?? 0, true);
      view.setUint32(slot + REQ_BUFFER, r.buffer ?? BUF, true);
      view.setUint32(slot + REQ_BUFFER + 4, r.bufferHi ?? 0, true);
      view.setUint32(slot + REQ_COUNT, r.count ?? 1, true);
      producer = (producer + 1) >>> 0;
      return slot;
    });
  const ring = () => outl(BLK_DOORBELL, producer);
  const status = (slot: number) => view.getUint32(slot + REQ_STATUS, true);
  /** Queues, rings, and returns each request's status. */
  const submit = (...reqs: Req[]): number[] => {
    const slots = queue(...reqs);
    ring();
    return slots.map(status);
  };
  const setProducer = (p: number) => { producer = p >>> 0; };
  return { dev, irq, ram, view, bytes, backend, inl, outl, queue, ring, submit, status, setProducer };
}

const pattern = (seed: number, length: number) => Uint8Array.from({ length }, (_, i) => (i * 31 + seed * 7 + (i >> 12)) & 0xff);

describe("block device registers", () => {
  it("reads MAGIC, CAPACITY and READY with a disk attached", () => {
    const { inl } = makeDisk({ blocks: 100 });
    expect(inl(BLK_MAGIC)).toBe(BLK_MAGIC_VALUE);
    expect(inl(BLK_CAPACITY)).toBe(100);
    expect(inl(BLK_STATUS)).toBe(BLK_STATUS_READY);
    expect(inl(BLK_COMPLETED)).toBe(0);
  });

  it("reads MAGIC 0 and CAPACITY 0 with no disk, and answers requests with an I/O error", () => {
    const { inl, submit, irq } = makeDisk({ backend: null });
    expect(inl(BLK_MAGIC)).toBe(0);
    expect(inl(BLK_CAPACITY)).toBe(0);
    expect(inl(BLK_STATUS) & BLK_STATUS_READY).toBe(0);
    expect(submit({ op: OP_READ })).toEqual([REQ_IO_ERROR]);
    expect(irq.pulses).toBe(1);
  });

  it("stores the ring base without its low 12 bits and ignores impossible slot counts", () => {
    const { inl, outl } = makeDisk();
    outl(BLK_RING_BASE, 0x3456);
    expect(inl(BLK_RING_BASE)).toBe(0x3000);
    outl(BLK_RING_SLOTS, 16);
    for (const bad of [0, 3, 12, 257, 512, 0xffffffff]) {
      outl(BLK_RING_SLOTS, bad);
      expect(inl(BLK_RING_SLOTS)).toBe(16);
    }
    outl(BLK_RING_SLOTS, 256);
    expect(inl(BLK_RING_SLOTS)).toBe(256);
    outl(BLK_RING_SLOTS, 1);
    expect(inl(BLK_RING_SLOTS)).toBe(1);
  });

  it("ignores writes to read-only registers", () => {
    const { inl, outl } = makeDisk({ blocks: 10 });
    outl(BLK_MAGIC, 1);
    outl(BLK_CAPACITY, 99);
    outl(BLK_COMPLETED, 5);
    expect(inl(BLK_MAGIC)).toBe(BLK_MAGIC_VALUE);
    expect(inl(BLK_CAPACITY)).toBe(10);
    expect(inl(BLK_COMPLETED)).toBe(0);
  });
});

describe("block device requests", () => {
  it("writes and reads back a block through guest RAM", () => {
    const { bytes, submit, backend } = makeDisk();
    const data = pattern(1, BLOCK_SIZE);
    bytes.set(data, BUF);
    expect(submit({ op: OP_WRITE, block: 5 })).toEqual([REQ_DONE]);
    bytes.fill(0, BUF, BUF + BLOCK_SIZE);
    expect(submit({ op: OP_READ, block: 5, buffer: BUF + BLOCK_SIZE })).toEqual([REQ_DONE]);
    expect(bytes.subarray(BUF + BLOCK_SIZE, BUF + 2 * BLOCK_SIZE)).toEqual(data);
    expect((backend as MemoryBackend).image().subarray(5 * BLOCK_SIZE)).toEqual(data);
  });

  it("moves several blocks in one request", () => {
    const { bytes, submit } = makeDisk();
    const data = pattern(2, 3 * BLOCK_SIZE);
    bytes.set(data, BUF);
    expect(submit({ op: OP_WRITE, block: 10, count: 3 })).toEqual([REQ_DONE]);
    expect(submit({ op: OP_READ, block: 11, count: 1, buffer: 0x20000 })).toEqual([REQ_DONE]);
    expect(bytes.subarray(0x20000, 0x20000 + BLOCK_SIZE)).toEqual(data.subarray(BLOCK_SIZE, 2 * BLOCK_SIZE));
  });

  it("reads blocks past the end of a short image as zeros", () => {
    const image = pattern(3, BLOCK_SIZE + 100); // block 1 is only partly present
    const { bytes, submit } = makeDisk({ backend: new MemoryBackend(image, 8) });
    bytes.fill(0xee, BUF, BUF + 3 * BLOCK_SIZE);
    expect(submit({ op: OP_READ, block: 0, count: 3 })).toEqual([REQ_DONE]);
    expect(bytes.subarray(BUF, BUF + BLOCK_SIZE + 100)).toEqual(image);
    expect(bytes.subarray(BUF + BLOCK_SIZE + 100, BUF + 3 * BLOCK_SIZE).every((b) => b === 0)).toBe(true);
  });

  it("completes requests in order, so a read after a write sees it", () => {
    const { bytes, submit } = makeDisk();
    bytes.set(pattern(4, BLOCK_SIZE), BUF);
    const statuses = submit({ op: OP_WRITE, block: 3 }, { op: OP_READ, block: 3, buffer: 0x30000 }, { op: OP_FLUSH });
    expect(statuses).toEqual([REQ_DONE, REQ_DONE, REQ_DONE]);
    expect(bytes.subarray(0x30000, 0x30000 + BLOCK_SIZE)).toEqual(pattern(4, BLOCK_SIZE));
  });

  it("answers bad requests with error statuses and carries on with the next", () => {
    const { submit, inl } = makeDisk({ blocks: 16 });
    const statuses = submit(
      { op: 0 },
      { op: 7 },
      { op: OP_READ, count: 0 },
      { op: OP_READ, block: 16 },
      { op: OP_WRITE, block: 15, count: 2 },
      { op: OP_READ, block: 0, blockHi: 1 },
      { op: OP_READ, buffer: BUF + 1 },
      { op: OP_READ, buffer: RAM_BYTES - BLOCK_SIZE + 8 },
    );
    expect(statuses).toEqual([REQ_BAD, REQ_BAD, REQ_BAD, REQ_OUT_OF_RANGE, REQ_OUT_OF_RANGE, REQ_OUT_OF_RANGE, REQ_BAD, REQ_BAD]);
    expect(inl(BLK_COMPLETED)).toBe(8);
    expect(submit({ op: OP_READ, buffer: 0x40000, bufferHi: 1 }, { op: OP_READ, block: 15 })).toEqual([REQ_BAD, REQ_DONE]);
  });

  it("reports a backend that throws as an I/O error", () => {
    const failing: BlockBackend = {
      blocks: 8,
      read() { throw new Error("medium error"); },
      write() { throw new Error("medium error"); },
      flush() { throw new Error("medium error"); },
    };
    const { submit } = makeDisk({ backend: failing });
    expect(submit({ op: OP_READ }, { op: OP_WRITE }, { op: OP_FLUSH })).toEqual([REQ_IO_ERROR, REQ_IO_ERROR, REQ_IO_ERROR]);
  });

  it("wraps around the ring, slot i at RING_BASE + (i % SLOTS) * 32", () => {
    const { submit, status, queue, ring, inl, bytes } = makeDisk({ slots: 4 });
    for (let round = 0; round < 5; round++) {
      bytes.set(pattern(round, BLOCK_SIZE), BUF);
      const got = submit({ op: OP_WRITE, block: round }, { op: OP_READ, block: round, buffer: 0x50000 }, { op: OP_FLUSH });
      expect(got).toEqual([REQ_DONE, REQ_DONE, REQ_DONE]);
      expect(bytes.subarray(0x50000, 0x50000 + BLOCK_SIZE)).toEqual(pattern(round, BLOCK_SIZE));
    }
    expect(inl(BLK_COMPLETED)).toBe(15);
    // a full ring of four in one doorbell, starting in the middle of the ring
    const slots = queue({ op: OP_FLUSH }, { op: OP_FLUSH }, { op: OP_FLUSH }, { op: OP_FLUSH });
    expect(slots).toEqual([RING + 3 * REQ_SIZE, RING, RING + REQ_SIZE, RING + 2 * REQ_SIZE]);
    ring();
    expect(slots.map(status)).toEqual([REQ_DONE, REQ_DONE, REQ_DONE, REQ_DONE]);
    expect(inl(BLK_COMPLETED)).toBe(19);
  });

  it("wraps the free-running u32 indices", () => {
    const { dev, submit, inl, setProducer } = makeDisk({ slots: 4 });
    dev.restore({ ...dev.save(), doorbell: 0xfffffffe, completed: 0xfffffffe });
    setProducer(0xfffffffe);
    expect(submit({ op: OP_FLUSH }, { op: OP_FLUSH }, { op: OP_FLUSH })).toEqual([REQ_DONE, REQ_DONE, REQ_DONE]);
    expect(inl(BLK_COMPLETED)).toBe(1);
  });

  it("ignores a doorbell that claims more requests than the ring holds, or with no usable ring", () => {
    const { dev, outl, inl, irq, queue, ring, status } = makeDisk({ slots: 4 });
    outl(BLK_DOORBELL, 5);
    expect(inl(BLK_COMPLETED)).toBe(0);
    expect(dev.ignoredDoorbells).toBe(1);
    outl(BLK_RING_BASE, RAM_BYTES - 0x1000); // 4 slots fit; 256 would not
    outl(BLK_RING_SLOTS, 256);
    outl(BLK_DOORBELL, 1);
    expect(inl(BLK_COMPLETED)).toBe(0);
    expect(irq.pulses).toBe(0);
    outl(BLK_RING_BASE, RING);
    outl(BLK_RING_SLOTS, 4);
    const [slot] = queue({ op: OP_FLUSH });
    ring();
    expect(status(slot!)).toBe(REQ_DONE);
  });

  it("a doorbell with nothing new does nothing", () => {
    const { outl, irq, inl } = makeDisk();
    outl(BLK_DOORBELL, 0);
    expect(irq.pulses).toBe(0);
    expect(inl(BLK_STATUS) & BLK_STATUS_INTERRUPT).toBe(0);
  });
});

describe("block device interrupt", () => {
  it("sets STATUS bit 1 and pulses once per doorbell; writing 1 clears it", () => {
    const { submit, irq, inl, outl } = makeDisk();
    submit({ op: OP_FLUSH }, { op: OP_FLUSH });
    expect(irq.pulses).toBe(1);
    expect(inl(BLK_STATUS)).toBe(BLK_STATUS_READY | BLK_STATUS_INTERRUPT);
    outl(BLK_STATUS, 0);
    expect(inl(BLK_STATUS) & BLK_STATUS_INTERRUPT).not.toBe(0);
    outl(BLK_STATUS, BLK_STATUS_INTERRUPT);
    expect(inl(BLK_STATUS)).toBe(BLK_STATUS_READY);
    submit({ op: OP_READ });
    expect(irq.pulses).toBe(2);
  });
});

describe("block device power cut", () => {
  it("drops exactly the nth block write and everything after it", () => {
    const inner = new MemoryBackend(new Uint8Array(0), 32);
    let cuts = 0;
    const backend = new PowerCutBackend(inner, { cutAtWrite: 4, onCut: () => cuts++ });
    const { bytes, submit, inl, irq, status, queue, ring } = makeDisk({ backend });
    bytes.set(pattern(9, 8 * BLOCK_SIZE), BUF);
    expect(submit({ op: OP_WRITE, block: 0, count: 2 })).toEqual([REQ_DONE]); // writes 1 and 2
    expect(irq.pulses).toBe(1);
    const slots = queue(
      { op: OP_WRITE, block: 10, count: 3 }, // writes 3, 4 (cut), 5
      { op: OP_WRITE, block: 20 },
      { op: OP_READ, block: 0, buffer: 0x80000 },
    );
    ring();
    expect(cuts).toBe(1);
    expect(slots.map(status)).toEqual([REQ_PENDING, REQ_PENDING, REQ_PENDING]);
    expect(inl(BLK_COMPLETED)).toBe(1);
    expect(inl(BLK_STATUS) & BLK_STATUS_POWERED_OFF).not.toBe(0);
    expect(inl(BLK_STATUS) & BLK_STATUS_READY).toBe(0);
    expect(irq.pulses).toBe(1);
    expect(backend.writesSeen).toBe(3);
    const disk = inner.image();
    expect(disk.length).toBe(11 * BLOCK_SIZE); // block 10 landed, 11 and 20 did not
    expect(disk.subarray(10 * BLOCK_SIZE)).toEqual(pattern(9, 8 * BLOCK_SIZE).subarray(0, BLOCK_SIZE));
    // later doorbells do nothing
    const [late] = queue({ op: OP_FLUSH });
    ring();
    expect(status(late!)).toBe(REQ_PENDING);
    expect(cuts).toBe(1);
  });

  it("keeps every write when the cut point is never reached", () => {
    const inner = new MemoryBackend(new Uint8Array(0), 32);
    const backend = new PowerCutBackend(inner, { cutAtWrite: 100 });
    const { submit } = makeDisk({ backend });
    expect(submit({ op: OP_WRITE, count: 8 }, { op: OP_WRITE, block: 8, count: 8 })).toEqual([REQ_DONE, REQ_DONE]);
    expect(backend.writesSeen).toBe(16);
    expect(backend.poweredOff).toBe(false);
  });

  it("for any cut point, exactly the first n-1 block writes reach the disk", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ block: fc.integer({ min: 0, max: 60 }), count: fc.integer({ min: 1, max: 4 }) }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 40 }),
        (writes, cutAt) => {
          const inner = new MemoryBackend(new Uint8Array(0), 64);
          const reference = new MemoryBackend(new Uint8Array(0), 64);
          const backend = new PowerCutBackend(inner, { cutAtWrite: cutAt });
          const { bytes, submit } = makeDisk({ backend, slots: 16 });
          let written = 0;
          writes.forEach((w, i) => {
            const data = pattern(i + 1, w.count * BLOCK_SIZE);
            bytes.set(data, BUF);
            submit({ op: OP_WRITE, block: w.block, count: w.count });
            for (let k = 0; k < w.count; k++) {
              if (++written < cutAt) reference.write(w.block + k, data.subarray(k * BLOCK_SIZE, (k + 1) * BLOCK_SIZE));
            }
          });
          const a = inner.image();
          const b = reference.image();
          const len = Math.max(a.length, b.length);
          const pad = (x: Uint8Array) => { const y = new Uint8Array(len); y.set(x); return y; };
          expect(Buffer.compare(pad(a), pad(b))).toBe(0);
          expect(backend.poweredOff).toBe(written >= cutAt);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("powerOff() from the host stops the device until reset", () => {
    const { dev, submit, inl } = makeDisk();
    dev.powerOff();
    expect(submit({ op: OP_FLUSH })).toEqual([REQ_PENDING]);
    expect(inl(BLK_STATUS) & BLK_STATUS_POWERED_OFF).not.toBe(0);
    dev.reset();
    expect(inl(BLK_STATUS)).toBe(BLK_STATUS_READY);
  });

  it("refuses a cut point that is not a positive integer", () => {
    const inner = new MemoryBackend(new Uint8Array(0), 4);
    expect(() => new PowerCutBackend(inner, { cutAtWrite: 0 })).toThrow(RangeError);
    expect(() => new PowerCutBackend(inner, { cutAtWrite: 1.5 })).toThrow(RangeError);
  });
});

describe("block device state", () => {
  it("round-trips its registers through save/restore", () => {
    const a = makeDisk({ slots: 16 });
    a.submit({ op: OP_FLUSH }, { op: OP_FLUSH }, { op: OP_FLUSH });
    const saved = JSON.parse(JSON.stringify(a.dev.save())) as unknown;
    const b = makeDisk({ slots: 2 });
    b.dev.restore(saved);
    for (const reg of [BLK_RING_BASE, BLK_RING_SLOTS, BLK_STATUS, BLK_COMPLETED]) expect(b.inl(reg)).toBe(a.inl(reg));
    expect(b.dev.save()).toEqual(a.dev.save());
  });

  it("refuses state that does not fit", () => {
    const { dev } = makeDisk();
    const good = dev.save();
    for (const bad of [null, 5, { ...good, ringBase: 0x1001 }, { ...good, ringSlots: 3 }, { ...good, completed: -1 }, { ...good, interrupt: 1 }]) {
      expect(() => dev.restore(bad)).toThrow(DeviceStateError);
    }
  });

  it("reset returns to power-on state", () => {
    const { dev, submit, inl } = makeDisk();
    submit({ op: OP_FLUSH });
    dev.reset();
    expect(inl(BLK_RING_BASE)).toBe(0);
    expect(inl(BLK_RING_SLOTS)).toBe(0);
    expect(inl(BLK_COMPLETED)).toBe(0);
    expect(inl(BLK_STATUS)).toBe(BLK_STATUS_READY);
  });

  it("never throws, whatever the guest writes", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 7 }), fc.nat()), { maxLength: 30 }),
        fc.uint8Array({ minLength: 256, maxLength: 256 }),
        (writes, ringBytes) => {
          const { outl, inl, bytes } = makeDisk({ slots: 8 });
          bytes.set(ringBytes, RING);
          for (const [reg, value] of writes) {
            outl(reg * 4, reg === 2 ? value % RAM_BYTES : value);
            for (let r = 0; r < 7; r++) inl(r * 4);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
