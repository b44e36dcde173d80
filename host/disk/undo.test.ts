// UndoDisk (reverse execution's disk): after any sequence of writes, marks,
// rewinds, undone rewinds and forgets, the disk holds exactly what a model
// says, and rewinding to any epoch still kept gives that epoch's contents.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MemoryBackend } from "./memory.js";
import { UndoDisk, type RewindToken } from "./undo.js";

const BLOCKS = 8;
const BS = 4096;

function contents(disk: UndoDisk): number[] {
  const out: number[] = [];
  const buf = new Uint8Array(BS);
  for (let b = 0; b < BLOCKS; b++) {
    disk.read(b, buf);
    out.push(buf[0]! | (buf[BS - 1]! << 8));
  }
  return out;
}

function block(v: number, count = 1): Uint8Array {
  const data = new Uint8Array(BS * count);
  for (let i = 0; i < count; i++) {
    data[i * BS] = v & 0xff;
    data[i * BS + BS - 1] = (v >> 8) & 0xff;
  }
  return data;
}

type Op =
  | { kind: "write"; block: number; count: number; value: number }
  | { kind: "mark" }
  | { kind: "rewind"; pick: number }
  | { kind: "undo" }
  | { kind: "forget"; pick: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("write" as const), block: fc.nat(BLOCKS - 1), count: fc.integer({ min: 1, max: 3 }), value: fc.nat(0xffff) }),
  fc.constant({ kind: "mark" as const }),
  fc.record({ kind: fc.constant("rewind" as const), pick: fc.nat() }),
  fc.constant({ kind: "undo" as const }),
  fc.record({ kind: fc.constant("forget" as const), pick: fc.nat() }),
);

describe("UndoDisk", () => {
  it("takes the disk back to any kept epoch, and undoes that exactly", () => {
    fc.assert(fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
      const disk = new UndoDisk(new MemoryBackend(new Uint8Array(0), BLOCKS));
      /** Epochs that can still be rewound to, with the contents when they began. */
      let kept: { epoch: number; at: number[] }[] = [{ epoch: disk.mark(), at: contents(disk) }];
      const undo: { token: RewindToken; kept: typeof kept; before: number[] }[] = [];
      for (const o of ops) {
        if (o.kind === "write") {
          const count = Math.min(o.count, BLOCKS - o.block);
          disk.write(o.block, block(o.value, count));
        } else if (o.kind === "mark") {
          kept.push({ epoch: disk.mark(), at: contents(disk) });
        } else if (o.kind === "rewind") {
          const i = o.pick % kept.length;
          const before = contents(disk);
          const token = disk.rewind(kept[i]!.epoch);
          expect(contents(disk)).toEqual(kept[i]!.at);
          undo.push({ token, kept, before });
          // The later epochs are gone; the one rewound to can be rewound to again.
          kept = kept.slice(0, i + 1);
        } else if (o.kind === "undo") {
          const last = undo.pop();
          if (last === undefined) continue;
          disk.undoRewind(last.token);
          expect(contents(disk)).toEqual(last.before);
          kept = last.kept;
        } else {
          const i = o.pick % kept.length;
          disk.forget(kept[i]!.epoch);
          kept = kept.slice(i);
          undo.length = 0; // what a forgotten epoch needed is gone
        }
        // Invariant: bytes kept match the log, never negative.
        expect(disk.keptBytes).toBeGreaterThanOrEqual(0);
        expect(disk.keptBytes % BS).toBe(0);
      }
      // Every epoch still kept can be reached, newest first.
      for (let i = kept.length - 1; i >= 0; i--) {
        disk.rewind(kept[i]!.epoch);
        expect(contents(disk)).toEqual(kept[i]!.at);
      }
    }), { numRuns: 300 });
  });

  it("reads and writes through to the disk behind it", () => {
    const inner = new MemoryBackend(new Uint8Array(0), BLOCKS);
    const disk = new UndoDisk(inner);
    disk.write(2, block(0x1234));
    const buf = new Uint8Array(BS);
    inner.read(2, buf);
    expect(buf[0]).toBe(0x34);
    expect(disk.blocks).toBe(BLOCKS);
    // Nothing is kept before the first mark: no snapshot could go back there.
    expect(disk.keptBytes).toBe(0);
    disk.mark();
    disk.write(2, block(0x5678));
    expect(disk.keptBytes).toBe(BS);
  });
});
