import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { compress } from "../compress";
import { mkfs } from "../fs/mkfs";
import { declaredDiskBlocks } from "../fs/format";
import {
  KDISK_BLOCK_SIZE, KDISK_HEADER_BYTES, KdiskError, decodeSparse, encodeSparse, isGzip, nonzeroRuns, packDisk, unpackDisk,
} from "./kdisk";

const B = KDISK_BLOCK_SIZE;

const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));

/** A disk of `blocks` blocks with the given blocks filled (a byte somewhere in each). */
function sparseDisk(blocks: number, filled: { block: number; offset: number; value: number }[]): Uint8Array {
  const last = filled.reduce((max, f) => Math.max(max, f.block + 1), 0);
  const image = new Uint8Array(last * B);
  for (const f of filled) image[f.block * B + f.offset] = f.value;
  return image.subarray(0, Math.min(image.length, blocks * B));
}

/** The image without its trailing zero blocks. */
function trimmed(image: Uint8Array): Uint8Array {
  let end = Math.ceil(image.length / B);
  while (end > 0 && image.subarray((end - 1) * B, end * B).every((b) => b === 0)) end--;
  const out = new Uint8Array(end * B);
  out.set(image.subarray(0, Math.min(image.length, end * B)));
  return out;
}

const diskArb = fc.integer({ min: 1, max: 600 }).chain((blocks) =>
  fc.record({
    blocks: fc.constant(blocks),
    filled: fc.array(fc.record({ block: fc.integer({ min: 0, max: blocks - 1 }), offset: fc.integer({ min: 0, max: B - 1 }), value: fc.integer({ min: 1, max: 255 }) }), { maxLength: 40 }),
  }));

describe("the sparse disk file", () => {
  it("round-trips random sparse disks, and its runs are ordered, apart and nonzero", async () => {
    await fc.assert(fc.asyncProperty(diskArb, async ({ blocks, filled }) => {
      const image = sparseDisk(blocks, filled);
      const runs = nonzeroRuns(image);
      for (let i = 0; i < runs.length; i++) {
        const run = runs[i]!;
        expect(run.count).toBeGreaterThan(0);
        if (i > 0) expect(run.first).toBeGreaterThan(runs[i - 1]!.first + runs[i - 1]!.count); // a zero block between
        for (let b = run.first; b < run.first + run.count; b++) expect(image.subarray(b * B, (b + 1) * B).some((x) => x !== 0)).toBe(true);
      }
      const sparse = encodeSparse(image, blocks);
      const dataBlocks = new Set(filled.map((f) => f.block)).size;
      expect(sparse.length).toBe(KDISK_HEADER_BYTES + runs.length * 8 + dataBlocks * B);
      const back = decodeSparse(sparse, blocks);
      expect(back.blocks).toBe(blocks);
      expect(same(back.image, trimmed(image))).toBe(true);
      const packed = await packDisk(image, blocks);
      expect(isGzip(packed)).toBe(true);
      const unpacked = await unpackDisk(packed, blocks);
      expect(unpacked.blocks).toBe(blocks);
      expect(unpacked.packed).toBe(true);
      expect(same(unpacked.image, trimmed(image))).toBe(true);
    }), { numRuns: 60 });
  });

  it("packs a 128 MiB disk holding one small file into a few KB, also after its log was used", async () => {
    const image = mkfs({ files: [{ name: "README", data: new TextEncoder().encode("hello\n") }] });
    const blocks = declaredDiskBlocks(image)!;
    expect(blocks * B).toBe(128 * 1024 * 1024);
    // The kernel's commits leave old contents in the log at the disk's end.
    const used = new Uint8Array(blocks * B);
    used.set(image);
    const logBlock = blocks - 100;
    used.fill(0xa5, logBlock * B, (logBlock + 3) * B);
    const packed = await packDisk(used, blocks);
    expect(packed.length).toBeLessThan(16 * 1024);
    const back = await unpackDisk(packed, blocks);
    expect(back.blocks).toBe(blocks);
    // Compared as Buffers: toEqual on 128 MiB of typed array is far too slow.
    expect(back.image.length).toBe((logBlock + 3) * B);
    expect(Buffer.from(back.image).equals(Buffer.from(used.subarray(0, (logBlock + 3) * B)))).toBe(true);
  });

  it("reads raw images and gzipped raw images as they are", async () => {
    const image = mkfs({ blocks: 64, inodes: 32, logBlocks: 8 });
    expect(await unpackDisk(image, 64)).toEqual({ blocks: null, image, packed: false });
    expect(await unpackDisk(await compress(image, "gzip"), 64)).toEqual({ blocks: null, image, packed: true });
  });

  it("refuses damaged files with a reason, never a wrong disk", async () => {
    const image = sparseDisk(10, [{ block: 2, offset: 5, value: 1 }, { block: 7, offset: 0, value: 9 }]);
    const good = encodeSparse(image, 10);
    const damaged = (edit: (bytes: Uint8Array, view: DataView) => void): Uint8Array => {
      const copy = good.slice();
      edit(copy, new DataView(copy.buffer));
      return copy;
    };
    expect(() => decodeSparse(damaged((_, v) => v.setUint32(8, 2, true)), 10)).toThrow(/version is 2/);
    expect(() => decodeSparse(damaged((_, v) => v.setUint32(12, 512, true)), 10)).toThrow(/block size is 512/);
    expect(() => decodeSparse(good, 9)).toThrow(/10 blocks; at most 9/);
    expect(() => decodeSparse(damaged((_, v) => v.setUint32(KDISK_HEADER_BYTES + 8, 1, true)), 10)).toThrow(/overlaps/);
    expect(() => decodeSparse(damaged((_, v) => v.setUint32(KDISK_HEADER_BYTES + 12, 4, true)), 10)).toThrow(/past the disk/);
    expect(() => decodeSparse(damaged((_, v) => v.setUint32(KDISK_HEADER_BYTES + 4, 0, true)), 10)).toThrow(/empty/);
    expect(() => decodeSparse(good.subarray(0, good.length - 1), 10)).toThrow(/bytes long/);
    expect(() => decodeSparse(good.subarray(0, 20), 10)).toThrow(KdiskError);
    const packed = await packDisk(image, 10);
    await expect(unpackDisk(packed.subarray(0, packed.length - 10), 10)).rejects.toBeInstanceOf(KdiskError);
    await expect(unpackDisk(await compress(new Uint8Array(20 * B), "gzip"), 10)).rejects.toThrow(/more than a 10-block disk/);
  });
});
