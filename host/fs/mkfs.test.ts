import { describe, it, expect } from "vitest";
import fc from "fast-check";
import {
  BLOCK_SIZE, DOUBLE_INDIRECT_SLOT, FS_MAGIC, INDIRECT_SLOT, MAX_FILE_BLOCKS, NDIRECT, NINDIRECT, ROOT_INUM, T_DEVICE,
  T_DIR, T_FILE, fileBlock, isBlockUsed, lookupPath, readDirectory, readInode, readLogHeader, readPath, readSuperblock,
} from "./format.js";
import { fsck } from "./fsck.js";
import { MkfsError, mkfs, type MkfsFile } from "./mkfs.js";

const text = (s: string) => new TextEncoder().encode(s);
const same = (a: Uint8Array | null, b: Uint8Array) => a !== null && a.length === b.length && Buffer.compare(a, b) === 0;
/** Bytes that are never zero, so no block of them becomes a hole. */
function pattern(seed: number, length: number): Uint8Array {
  const data = new Uint8Array(length);
  for (let i = 0; i < length; i++) data[i] = (((i * 131 + seed * 17) >>> 3) & 0xff) | 1;
  return data;
}
const SMALL = { blocks: 4096, inodes: 256, logBlocks: 64 };

describe("mkfs layout", () => {
  it("makes the default 128 MiB disk: superblock, root with . and .., console, empty log", () => {
    const image = mkfs();
    const sb = readSuperblock(image);
    expect(sb).toEqual({
      magic: FS_MAGIC, version: 2, size: 32768, ninodes: 4096, inodestart: 2, bmapstart: 66, datastart: 67,
      logstart: 31744, nlog: 1024, rootinum: 1,
    });
    expect(readDirectory(image, sb, ROOT_INUM)).toEqual([
      { inum: 1, name: "." }, { inum: 1, name: ".." }, { inum: 2, name: "console" },
    ]);
    const root = readInode(image, sb, ROOT_INUM);
    expect(root).toMatchObject({ type: T_DIR, nlink: 2, size: 48 });
    expect(readInode(image, sb, 2)).toMatchObject({ type: T_DEVICE, major: 1, minor: 0, nlink: 1, size: 0 });
    expect(readLogHeader(image, sb).n).toBe(0);
    expect(fsck(image).problems).toEqual([]);
  });

  it("returns only the used prefix; the bitmap still marks the log at the end of the disk", () => {
    const image = mkfs({ files: [{ name: "a", data: text("x") }] });
    const sb = readSuperblock(image);
    expect(image.length).toBe((sb.datastart + 2) * BLOCK_SIZE); // root directory block + one file block
    for (const b of [0, 1, sb.datastart + 1, sb.logstart, sb.size - 1]) expect(isBlockUsed(image, sb, b)).toBe(true);
    expect(isBlockUsed(image, sb, sb.datastart + 2)).toBe(false);
  });

  it("honours blocks, inodes and logBlocks", () => {
    const image = mkfs({ blocks: 70000, inodes: 100, logBlocks: 30 });
    expect(readSuperblock(image)).toMatchObject({ size: 70000, ninodes: 100, bmapstart: 4, datastart: 7, logstart: 69970, nlog: 30 });
    expect(fsck(image).ok).toBe(true);
  });

  it("makes subdirectories for names with '/', with nlink 2 plus one per subdirectory", () => {
    const image = mkfs({ ...SMALL, files: [{ name: "etc/motd", data: text("hi\n") }, { name: "etc/x/y", data: text("y") }, { name: "top", data: text("t") }] });
    const sb = readSuperblock(image);
    const etc = lookupPath(image, "etc")!;
    const x = lookupPath(image, "etc/x")!;
    expect(readInode(image, sb, ROOT_INUM).nlink).toBe(3);
    expect(readInode(image, sb, etc)).toMatchObject({ type: T_DIR, nlink: 3 });
    expect(readInode(image, sb, x)).toMatchObject({ type: T_DIR, nlink: 2 });
    expect(readDirectory(image, sb, x).slice(0, 2)).toEqual([{ inum: x, name: "." }, { inum: etc, name: ".." }]);
    expect(new TextDecoder().decode(readPath(image, "etc/motd")!)).toBe("hi\n");
    expect(fsck(image).problems).toEqual([]);
  });

  it("takes device nodes as given", () => {
    const image = mkfs({ ...SMALL, devices: [{ name: "console", major: 1, minor: 0 }, { name: "disk", major: 2, minor: 7 }] });
    const sb = readSuperblock(image);
    expect(readInode(image, sb, lookupPath(image, "disk")!)).toMatchObject({ type: T_DEVICE, major: 2, minor: 7 });
    expect(lookupPath(image, "console")).not.toBeNull();
    expect(readDirectory(image, sb, ROOT_INUM).map((e) => e.name)).toEqual([".", "..", "console", "disk"]);
  });
});

describe("mkfs file contents", () => {
  it("round-trips files at the edges of direct, indirect and double-indirect blocks", () => {
    const sizes = [0, 1, BLOCK_SIZE - 1, BLOCK_SIZE, NDIRECT * BLOCK_SIZE, NDIRECT * BLOCK_SIZE + 1, (NDIRECT + NINDIRECT) * BLOCK_SIZE, (NDIRECT + NINDIRECT) * BLOCK_SIZE + 5000];
    const files = sizes.map((size, i) => ({ name: `f${i}`, data: pattern(i, size) }));
    const image = mkfs({ files });
    for (const f of files) expect(same(readPath(image, f.name), f.data)).toBe(true);
    const sb = readSuperblock(image);
    const last = readInode(image, sb, lookupPath(image, "f7")!);
    expect(last.addrs[INDIRECT_SLOT]).not.toBe(0);
    expect(last.addrs[DOUBLE_INDIRECT_SLOT]).not.toBe(0);
    const result = fsck(image);
    expect(result.problems).toEqual([]);
    // every data block is allocated, plus indirect blocks: 1 + 1 + 1 + 11 + (12 + 1) + (1035 + 1) + (1037 + 3) + root dir
    expect(result.stats.dataBlocksUsed).toBe(1 + 1 + 1 + 11 + 13 + 1036 + 1040 + 1);
  });

  it("round-trips a 64 MiB+ sparse file whose blocks reach deep into the double-indirect tree", () => {
    const size = 64 * 1024 * 1024 + 12345;
    const data = new Uint8Array(size);
    const marks = [0, 3 * BLOCK_SIZE, 20 * BLOCK_SIZE, (NDIRECT + 700) * BLOCK_SIZE + 9, 30 << 20, 50 << 20, size - 1];
    marks.forEach((at, i) => (data[at] = i + 1));
    const image = mkfs({ files: [{ name: "big", data }, { name: "after", data: text("after") }] });
    expect(image.length).toBeLessThan(1 << 20); // holes cost nothing
    const sb = readSuperblock(image);
    const inode = readInode(image, sb, lookupPath(image, "big")!);
    expect(inode.size).toBe(size);
    expect(fileBlock(image, inode, 1)).toBe(0); // a hole
    expect(fileBlock(image, inode, Math.floor((50 << 20) / BLOCK_SIZE))).not.toBe(0);
    expect(same(readPath(image, "big"), data)).toBe(true);
    expect(new TextDecoder().decode(readPath(image, "after")!)).toBe("after");
    const result = fsck(image);
    expect(result.problems).toEqual([]);
    // 7 data blocks, 1 indirect, 1 double-indirect, 3 inner indirect blocks (for 30 MiB, 50 MiB and the end), "after" and the root
    expect(result.stats.dataBlocksUsed).toBe(7 + 1 + 1 + 3 + 2);
  });

  it("round-trips a dense 70 MiB file", () => {
    const data = pattern(5, 70 * 1024 * 1024);
    const image = mkfs({ files: [{ name: "dense", data }] });
    expect(same(readPath(image, "dense"), data)).toBe(true);
    expect(fsck(image).ok).toBe(true);
  });

  it("stores zero blocks when sparse is false", () => {
    const data = new Uint8Array(3 * BLOCK_SIZE);
    data[2 * BLOCK_SIZE] = 1;
    const sparse = mkfs({ ...SMALL, files: [{ name: "z", data }] });
    const dense = mkfs({ ...SMALL, files: [{ name: "z", data }], sparse: false });
    expect(dense.length - sparse.length).toBe(2 * BLOCK_SIZE);
    expect(same(readPath(dense, "z"), data)).toBe(true);
    expect(fsck(dense).ok && fsck(sparse).ok).toBe(true);
  });

  it("round-trips random file sets, and the result is clean", () => {
    const name = fc.stringMatching(/^[a-zA-Z0-9_.-]{1,14}$/).filter((n) => n !== "." && n !== "..");
    const content = fc.array(
      fc.oneof(
        fc.record({ zeros: fc.integer({ min: 1, max: 3 * BLOCK_SIZE }) }),
        fc.record({ bytes: fc.uint8Array({ minLength: 1, maxLength: 6000 }) }),
      ),
      { maxLength: 6 },
    ).map((parts) => {
      const chunks = parts.map((p) => ("zeros" in p ? new Uint8Array(p.zeros) : p.bytes));
      const data = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
      let at = 0;
      for (const c of chunks) { data.set(c, at); at += c.length; }
      return data;
    });
    const fileSet = fc.uniqueArray(fc.record({ dir: fc.option(fc.constantFrom("bin", "etc", "etc/deep"), { nil: undefined }), name, data: content }), {
      maxLength: 20,
      selector: (f) => f.name,
    });
    fc.assert(
      fc.property(fileSet, fc.boolean(), (set, sparse) => {
        const files: MkfsFile[] = set.map((f) => ({ name: f.dir ? `${f.dir}/${f.name}` : f.name, data: f.data }));
        const image = mkfs({ ...SMALL, files, sparse });
        for (const f of files) expect(same(readPath(image, f.name), f.data)).toBe(true);
        const sb = readSuperblock(image);
        for (const f of files) expect(readInode(image, sb, lookupPath(image, f.name)!)).toMatchObject({ type: T_FILE, nlink: 1 });
        expect(fsck(image).problems).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });
});

describe("mkfs refuses what the format cannot hold", () => {
  it("names that are too long, empty, '.', '..' or given twice", () => {
    for (const bad of ["fifteen-chars-x", "", ".", "..", "a//b", "a\0b"]) {
      expect(() => mkfs({ ...SMALL, files: [{ name: bad, data: text("x") }] })).toThrow(MkfsError);
    }
    expect(() => mkfs({ ...SMALL, files: [{ name: "a", data: text("x") }, { name: "a", data: text("y") }] })).toThrow(/twice/);
    expect(() => mkfs({ ...SMALL, files: [{ name: "console", data: text("x") }] })).toThrow(/twice/);
    expect(() => mkfs({ ...SMALL, files: [{ name: "a", data: text("x") }, { name: "a/b", data: text("y") }] })).toThrow(/not a directory/);
  });

  it("more inodes than the table holds", () => {
    const files = Array.from({ length: 14 }, (_, i) => ({ name: `f${i}`, data: text("x") }));
    expect(() => mkfs({ ...SMALL, inodes: 16, files })).toThrow(/inodes/); // root + console + 14 = 16, inode 0 unused
    expect(mkfs({ ...SMALL, inodes: 17, files }).length).toBeGreaterThan(0);
  });

  it("more data than the disk holds", () => {
    expect(() => mkfs({ blocks: 200, inodes: 64, logBlocks: 10, files: [{ name: "f", data: pattern(1, 200 * BLOCK_SIZE) }] })).toThrow(/full/);
  });

  it("a disk with no room for data, and impossible shapes", () => {
    expect(() => mkfs({ blocks: 100, inodes: 64, logBlocks: 97 })).toThrow(MkfsError);
    expect(() => mkfs({ blocks: 100, inodes: 1, logBlocks: 10 })).toThrow(MkfsError);
    expect(() => mkfs({ blocks: 100, inodes: 64, logBlocks: 1 })).toThrow(MkfsError);
    expect(() => mkfs({ blocks: -1 })).toThrow(MkfsError);
  });

  it("knows the largest file", () => {
    expect(MAX_FILE_BLOCKS).toBe(NDIRECT + NINDIRECT + NINDIRECT * NINDIRECT);
  });
});
