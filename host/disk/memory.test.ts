// The in-memory disk: sparse storage (issue 18.8: the first write after boot
// went to the journal at the disk's end and copied ~124 MiB of zeros), and
// reads, writes and image() that agree with a flat model of the disk after
// every step of random traffic.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CHUNK_BLOCKS, MemoryBackend } from "./memory.js";

const BLOCK = 4096;
const CHUNK_BYTES = CHUNK_BLOCKS * BLOCK;

/** Byte equality without vitest's element-by-element diff (slow on MiBs). */
function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}

function block(fill: number, count = 1): Uint8Array {
  return new Uint8Array(count * BLOCK).fill(fill);
}

describe("the in-memory disk", () => {
  it("writing the last block of a 128 MiB disk stores one chunk, not the zeros before it", () => {
    const blocks = 32768;
    const image = block(7, 3); // a short image, as mkfs writes
    const disk = new MemoryBackend(image, blocks);
    const before = disk.storedBytes;
    expect(before).toBe(CHUNK_BYTES);
    disk.write(blocks - 1, block(9));
    expect(disk.storedBytes - before).toBe(CHUNK_BYTES);
    const back = new Uint8Array(BLOCK);
    disk.read(blocks - 1, back);
    expect(back).toEqual(block(9));
    disk.read(blocks - 2, back);
    expect(back).toEqual(block(0));
    disk.read(1, back);
    expect(back).toEqual(block(7));
  });

  it("reads, writes and image() agree with a flat disk after every step", () => {
    const blocks = 3 * CHUNK_BLOCKS + 5;
    const op = fc.oneof(
      fc.record({ kind: fc.constant("write" as const), at: fc.nat({ max: blocks - 1 }), count: fc.integer({ min: 1, max: 2 * CHUNK_BLOCKS }), fill: fc.integer({ min: 1, max: 255 }) }),
      fc.record({ kind: fc.constant("read" as const), at: fc.nat({ max: blocks - 1 }), count: fc.integer({ min: 1, max: 2 * CHUNK_BLOCKS }) }),
    );
    fc.assert(fc.property(fc.nat({ max: 2 * CHUNK_BLOCKS }), fc.array(op, { maxLength: 30 }), (imageBlocks, ops) => {
      const flat = new Uint8Array(blocks * BLOCK);
      for (let b = 0; b < imageBlocks; b++) flat.fill(b & 0xff || 1, b * BLOCK, (b + 1) * BLOCK);
      let length = imageBlocks * BLOCK;
      const disk = new MemoryBackend(flat.slice(0, length), blocks);
      for (const o of ops) {
        const count = Math.min(o.count, blocks - o.at);
        if (o.kind === "write") {
          const data = block(o.fill, count);
          disk.write(o.at, data);
          flat.set(data, o.at * BLOCK);
          length = Math.max(length, (o.at + count) * BLOCK);
        } else {
          const dst = new Uint8Array(count * BLOCK).fill(0xee);
          disk.read(o.at, dst);
          expect(same(dst, flat.subarray(o.at * BLOCK, (o.at + count) * BLOCK))).toBe(true);
        }
        expect(same(disk.image(), flat.subarray(0, length))).toBe(true);
        // Storage is never more than the chunks the written prefix touches.
        expect(disk.storedBytes).toBeLessThanOrEqual(Math.ceil(length / CHUNK_BYTES) * CHUNK_BYTES);
      }
    }), { numRuns: 100 });
  });

  it("refuses transfers outside the disk or of part of a block", () => {
    const disk = new MemoryBackend(new Uint8Array(0), 4);
    expect(() => disk.write(4, block(1))).toThrow(RangeError);
    expect(() => disk.read(3, new Uint8Array(2 * BLOCK))).toThrow(RangeError);
    expect(() => disk.write(0, new Uint8Array(100))).toThrow(RangeError);
    expect(() => new MemoryBackend(block(1, 5), 4)).toThrow(RangeError);
  });
});
