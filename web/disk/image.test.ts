import { describe, expect, it } from "vitest";
import { BLOCK_SIZE, MAX_DISK_BLOCKS, SUPERBLOCK_MAGIC, checkImage, trimImage } from "./image";
import { SparseDisk } from "./memory";

/** A superblock with mkfs's layout rules (docs/fs-format.md) for `size` blocks. */
function image(size = 32768, length = 8 * BLOCK_SIZE, magic = SUPERBLOCK_MAGIC): Uint8Array {
  const bytes = new Uint8Array(length);
  const view = new DataView(bytes.buffer, BLOCK_SIZE);
  const ninodes = 64;
  const nlog = Math.min(1024, Math.max(2, Math.floor(size / 4)));
  const inodestart = 2;
  const bmapstart = inodestart + Math.ceil(ninodes / 64);
  const datastart = bmapstart + Math.ceil(size / 32768);
  const fields = [magic, 1, size, ninodes, inodestart, bmapstart, datastart, size - nlog, nlog, 1];
  fields.forEach((value, i) => view.setUint32(i * 4, value, true));
  return bytes;
}

describe("checkImage", () => {
  it("accepts a Keel disk, also one shorter than the disk it describes", () => {
    expect(checkImage(image())).toBeNull();
    expect(checkImage(image(32768, 2 * BLOCK_SIZE))).toBeNull();
    expect(checkImage(image(64, 64 * BLOCK_SIZE))).toBeNull();
  });

  it("refuses files without the magic at offset 4096, saying what it found", () => {
    expect(checkImage(image(32768, 8 * BLOCK_SIZE, 0x12345678))).toMatch(/no Keel superblock.*0x3153464b.*found 0x12345678/);
    expect(checkImage(new TextEncoder().encode("hello"))).toMatch(/5 bytes long/);
    expect(checkImage(new Uint8Array(0))).toMatch(/0 bytes long/);
  });

  it("refuses absurd sizes and inconsistent layouts", () => {
    expect(checkImage(image(MAX_DISK_BLOCKS + 1))).toMatch(/blocks/);
    expect(checkImage(image(3))).toMatch(/blocks/);
    const wrong = image();
    new DataView(wrong.buffer).setUint32(BLOCK_SIZE + 28, 5, true); // logstart before datastart
    expect(checkImage(wrong)).toMatch(/inconsistent/);
    const version = image();
    new DataView(version.buffer).setUint32(BLOCK_SIZE + 4, 3, true);
    expect(checkImage(version)).toMatch(/version is 3/);
  });

  it("refuses a file longer than its disk", () => {
    expect(checkImage(image(64, 65 * BLOCK_SIZE))).toMatch(/more than/);
  });
});

describe("trimImage", () => {
  it("drops trailing zero blocks only", () => {
    const bytes = image(64, 10 * BLOCK_SIZE);
    bytes[3 * BLOCK_SIZE + 7] = 1;
    expect(trimImage(bytes).length).toBe(4 * BLOCK_SIZE);
    expect(trimImage(new Uint8Array(3 * BLOCK_SIZE)).length).toBe(0);
  });
});


describe("SparseDisk", () => {
  it("reads unwritten blocks as zeros and keeps what is written", () => {
    const disk = new SparseDisk(16, image(16, 2 * BLOCK_SIZE));
    const buffer = new Uint8Array(2 * BLOCK_SIZE).fill(0xaa);
    disk.read(5, buffer);
    expect(buffer.every((b) => b === 0)).toBe(true);
    const written: number[] = [];
    disk.onWrite = (block) => written.push(block);
    disk.write(14, new Uint8Array(2 * BLOCK_SIZE).fill(7));
    expect(written).toEqual([14, 15]);
    disk.read(14, buffer);
    expect(buffer.every((b) => b === 7)).toBe(true);
    expect(() => disk.read(15, buffer)).toThrow(RangeError);
  });

  it("gives back its image up to the last block that is not zero", () => {
    const disk = new SparseDisk(16, image(16, 2 * BLOCK_SIZE));
    expect(disk.image().length).toBe(2 * BLOCK_SIZE);
    disk.write(9, new Uint8Array(BLOCK_SIZE).fill(1));
    const out = disk.image();
    expect(out.length).toBe(10 * BLOCK_SIZE);
    expect(checkImage(out)).toBeNull();
    disk.write(9, new Uint8Array(BLOCK_SIZE));
    expect(disk.image().length).toBe(2 * BLOCK_SIZE);
  });
});
