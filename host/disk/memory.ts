// A disk held in memory, for the headless runner, the page, tests and crash
// tests.
//
// Storage is sparse: the disk is cut into chunks of CHUNK_BLOCKS blocks, and
// a chunk exists only once a block in it has been written (or the starting
// image covers it). Blocks in a missing chunk read as zeros. So writing far
// from the start (the journal sits at the disk's end) costs one chunk, not a
// copy of every zero before it, and memory follows what was written, never
// the disk's size. image() hands back the bytes up to the last block ever
// written or present in the image, as one contiguous copy.

import type { BlockBackend } from "../devices/block.js";

const BLOCK_SIZE = 4096;
/** Blocks per chunk of storage: 256 KiB, a few journal transactions. */
export const CHUNK_BLOCKS = 64;
const CHUNK_BYTES = CHUNK_BLOCKS * BLOCK_SIZE;

export class MemoryBackend implements BlockBackend {
  readonly blocks: number;
  /** Chunk i holds blocks i*CHUNK_BLOCKS.. ; undefined: all zeros. */
  private readonly chunks: (Uint8Array | undefined)[] = [];
  /** Bytes of disk from block 0 that have ever held contents. */
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
    this.length = image.length;
    for (let at = 0; at < image.length; at += CHUNK_BYTES) {
      this.chunk(at / CHUNK_BYTES).set(image.subarray(at, Math.min(at + CHUNK_BYTES, image.length)));
    }
  }

  read(block: number, dst: Uint8Array): void {
    this.check(block, dst.length);
    this.reads++;
    this.each(block * BLOCK_SIZE, dst.length, (chunk, offset, at, n) => {
      const stored = this.chunks[chunk];
      if (stored === undefined) dst.fill(0, at, at + n);
      else dst.set(stored.subarray(offset, offset + n), at);
    });
  }

  write(block: number, src: Uint8Array): void {
    this.check(block, src.length);
    this.writes++;
    const start = block * BLOCK_SIZE;
    this.each(start, src.length, (chunk, offset, at, n) => this.chunk(chunk).set(src.subarray(at, at + n), offset));
    this.length = Math.max(this.length, start + src.length);
  }

  flush(): void {
    this.flushes++;
  }

  /** A copy of the disk's bytes up to the last block ever written or present in the image. */
  image(): Uint8Array {
    const out = new Uint8Array(this.length);
    this.each(0, this.length, (chunk, offset, at, n) => {
      const stored = this.chunks[chunk];
      if (stored !== undefined) out.set(stored.subarray(offset, offset + n), at);
    });
    return out;
  }

  /** Bytes of storage held: what the disk costs in memory (tests assert on it). */
  get storedBytes(): number {
    return this.chunks.reduce((n, c) => n + (c?.length ?? 0), 0);
  }

  /** The chunk `index`, made (zeros) if it does not exist yet. */
  private chunk(index: number): Uint8Array {
    return (this.chunks[index] ??= new Uint8Array(CHUNK_BYTES));
  }

  /** Calls `fn(chunk, offsetInChunk, offsetInTransfer, bytes)` for each chunk piece of a byte range. */
  private each(start: number, length: number, fn: (chunk: number, offset: number, at: number, n: number) => void): void {
    for (let at = 0; at < length;) {
      const position = start + at;
      const offset = position % CHUNK_BYTES;
      const n = Math.min(CHUNK_BYTES - offset, length - at);
      fn(Math.floor(position / CHUNK_BYTES), offset, at, n);
      at += n;
    }
  }

  private check(block: number, length: number): void {
    if (length % BLOCK_SIZE !== 0) throw new RangeError(`transfer of ${length} bytes is not a whole number of blocks`);
    if (!Number.isInteger(block) || block < 0 || block + length / BLOCK_SIZE > this.blocks) {
      throw new RangeError(`blocks ${block}..${block + length / BLOCK_SIZE - 1} are outside a ${this.blocks}-block disk`);
    }
  }
}
