import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { MemoryBackend } from "../disk/memory.js";
import { mkfs } from "./mkfs.js";
import { declaredDiskBlocks, readPath } from "./format.js";
import { DiskReader, ReaderError } from "./reader.js";

const enc = new TextEncoder();

function disk(files: { name: string; data?: Uint8Array }[]): { backend: MemoryBackend; image: Uint8Array } {
  const image = mkfs({ blocks: 2048, inodes: 256, logBlocks: 64, files: files.map((f) => ({ name: f.name, data: f.data ?? new Uint8Array(0) })) });
  return { backend: new MemoryBackend(image, declaredDiskBlocks(image)!), image };
}

describe("the read-only disk reader", () => {
  it("lists the tree with sizes, finds paths and their way back, reads files with holes", () => {
    const big = new Uint8Array(11 * 4096 + 5000); // into the indirect block, with a hole
    big.fill(3, 0, 100);
    big.fill(9, big.length - 10);
    const { backend } = disk([{ name: "README", data: enc.encode("hi\n") }, { name: "etc/motd", data: enc.encode("motd") }, { name: "etc/deep/big", data: big }]);
    const reader = new DiskReader(backend);
    const { root, truncated } = reader.tree();
    expect(truncated).toBe(false);
    const names = (e: typeof root): unknown => e.children?.map((c) => [c.name, c.kind, c.size, ...(c.children ? [names(c)] : [])]);
    expect(names(root)).toEqual([
      ["README", "file", 3],
      ["console", "device", 0],
      ["etc", "dir", expect.any(Number), [["deep", "dir", expect.any(Number), [["big", "file", big.length]]], ["motd", "file", 4]]],
    ]);
    const deep = reader.lookup("etc/deep")!;
    expect(reader.pathOf(deep)).toBe("etc/deep");
    expect(reader.pathOf(1)).toBe("");
    expect(Buffer.from(reader.read(reader.lookup("etc/deep/big")!)).equals(Buffer.from(big))).toBe(true);
    expect(reader.lookup("etc/none")).toBeNull();
    expect(() => reader.read(reader.lookup("etc/deep/big")!, 1000)).toThrow(ReaderError);
    expect(reader.tree(2).truncated).toBe(true);
  });

  it("reads what format.ts reads, for random trees", () => {
    const name = fc.stringMatching(/^[a-z0-9]{1,14}$/).filter((n) => n !== "console");
    fc.assert(fc.property(fc.uniqueArray(fc.tuple(fc.option(name, { nil: undefined }), name, fc.uint8Array({ maxLength: 9000 })), { maxLength: 12, selector: ([d, n]) => n + (d ?? "") }), (entries) => {
      const dirs = new Set(entries.map(([d]) => d).filter((d) => d !== undefined));
      const files = entries.filter(([d, n]) => !dirs.has(n) && !(d === undefined && dirs.has(n))).map(([d, n, data]) => ({ name: d === undefined ? n : `${d}/${n}`, data }));
      const unique = files.filter((f, i) => files.findIndex((g) => g.name === f.name) === i && !dirs.has(f.name));
      let built;
      try {
        built = disk(unique);
      } catch {
        return; // a shape mkfs refuses (a file named like a directory)
      }
      const reader = new DiskReader(built.backend);
      for (const f of unique) {
        expect(Buffer.from(reader.read(reader.lookup(f.name)!)).equals(Buffer.from(readPath(built.image, f.name)!))).toBe(true);
      }
    }), { numRuns: 40 });
  });

  it("refuses a disk with no file system", () => {
    expect(() => new DiskReader(new MemoryBackend(new Uint8Array(8192), 4))).toThrow(/no Keel file system/);
  });
});
