// A disk held in memory, for the page, tests and crash tests.
//
// It starts from an image that may be shorter than the disk: blocks past the
// image's end read as zeros (mkfs writes only the used prefix). Storage grows
// as blocks past the end are written, never beyond the disk's size.
// image() hands back the current bytes, trimmed to the written prefix.

import type { BlockBackend } from "../devices/block.js";

const BLOCK_SIZE = 4096;

export class MemoryBackend implements BlockBackend {
  readonly blocks: number;
  private bytes: Uint8Array;
  /** Bytes of `bytes` that hold disk contents; the rest is spare capacity. */
  private length: number;
  /** Counters for tests and benchmarks. */
  reads = 0;
  writes = 0;
  flushes = 0;

  /**
   * @param image the disk's first bytes (copied); the rest of the disk is zeros.
   * @param blocks the disk size in blocks; by default the image's length, rounded up.
   */
  constructor(image: Uint8Array = new Uint8Array(0), blocks?: number) {
    const size = blocks ?? Math.ceil(image.length / BLOCK_SIZE);
    if (!Number.isInteger(size) || size < 0 || size >= 0x1_0000_0000) throw new RangeError(`disk size ${size} is not a u32 block count`);
    if (image.length > size * BLOCK_SIZE) throw new RangeError(`image of ${image.length} bytes is larger than a ${size}-block disk`);
    this.blocks = size;
    this.bytes = image.slice();
    this.length = image.length;
  }

  read(block: number, dst: Uint8Array): void {
    this.check(block, dst.length);
    this.reads++;
    const start = block * BLOCK_SIZE;
    const present = Math.max(0, Math.min(dst.length, this.length - start));
    if (present > 0) dst.set(this.bytes.subarray(start, start + present));
    dst.fill(0, present);
  }

  write(block: number, src: Uint8Array): void {
    this.check(block, src.length);
    this.writes++;
    const start = block * BLOCK_SIZE;
    const end = start + src.length;
    if (end > this.bytes.length) this.grow(end);
    this.bytes.set(src, start);
    if (end > this.length) this.length = end;
  }

  flush(): void {
    this.flushes++;
  }

  /** A copy of the disk's bytes up to the last block ever written or present in the image. */
  image(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }

  private check(block: number, length: number): void {
    if (length % BLOCK_SIZE !== 0) throw new RangeError(`transfer of ${length} bytes is not a whole number of blocks`);
    if (!Number.isInteger(block) || block < 0 || block + length / BLOCK_SIZE > this.blocks) {
      throw new RangeError(`blocks ${block}..${block + length / BLOCK_SIZE - 1} are outside a ${this.blocks}-block disk`);
    }
  }

  private grow(atLeast: number): void {
    const capacity = Math.min(this.blocks * BLOCK_SIZE, Math.max(atLeast, this.bytes.length * 2, 1 << 20));
    const bigger = new Uint8Array(capacity);
    bigger.set(this.bytes.subarray(0, this.length));
    this.bytes = bigger;
  }
}
