// A disk held in memory, block by block: blocks never written read as zeros
// and take no memory, so a 128 MiB disk whose image is a few hundred KiB
// costs a few hundred KiB. The in-memory disk (`?disk=memory`, a second tab)
// and the IndexedDB fallback's working copy.

import type { BlockBackend } from "./backend";
import { BLOCK_SIZE, isZero } from "./image";

export class SparseDisk implements BlockBackend {
  private readonly data: (Uint8Array | undefined)[];
  /** Called with each block number a write changed (the IndexedDB fallback
   *  persists them). */
  onWrite: ((block: number) => void) | null = null;

  constructor(
    readonly blocks: number,
    image?: Uint8Array,
  ) {
    this.data = new Array<Uint8Array | undefined>(blocks);
    if (image !== undefined) this.load(image);
  }

  /** Copies an image in from block 0 (it may be shorter than the disk). */
  private load(image: Uint8Array): void {
    const count = Math.min(this.blocks, Math.ceil(image.length / BLOCK_SIZE));
    for (let b = 0; b < count; b++) {
      const chunk = image.subarray(b * BLOCK_SIZE, (b + 1) * BLOCK_SIZE);
      if (isZero(chunk)) continue;
      const block = new Uint8Array(BLOCK_SIZE);
      block.set(chunk);
      this.data[b] = block;
    }
  }

  read(block: number, dst: Uint8Array): void {
    this.check(block, dst.length);
    for (let i = 0; i < dst.length / BLOCK_SIZE; i++) {
      const target = dst.subarray(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE);
      const stored = this.data[block + i];
      if (stored === undefined) target.fill(0);
      else target.set(stored);
    }
  }

  write(block: number, src: Uint8Array): void {
    this.check(block, src.length);
    for (let i = 0; i < src.length / BLOCK_SIZE; i++) {
      const source = src.subarray(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE);
      let stored = this.data[block + i];
      if (stored === undefined) {
        if (isZero(source)) {
          this.onWrite?.(block + i);
          continue;
        }
        stored = new Uint8Array(BLOCK_SIZE);
        this.data[block + i] = stored;
      }
      stored.set(source);
      this.onWrite?.(block + i);
    }
  }

  flush(): void {}

  /** A block as stored (undefined: all zeros). Do not modify it. */
  peek(block: number): Uint8Array | undefined {
    return this.data[block];
  }

  /** Installs a block as loaded from storage, without reporting a write. */
  install(block: number, bytes: Uint8Array): void {
    if (block < 0 || block >= this.blocks || bytes.length !== BLOCK_SIZE) return;
    this.data[block] = isZero(bytes) ? undefined : bytes;
  }

  /** The disk as an image file: block 0 to the last block that is not all
   *  zeros. */
  image(): Uint8Array {
    let end = this.blocks;
    while (end > 0 && (this.data[end - 1] === undefined || isZero(this.data[end - 1]!))) end--;
    const out = new Uint8Array(end * BLOCK_SIZE);
    for (let b = 0; b < end; b++) {
      const stored = this.data[b];
      if (stored !== undefined) out.set(stored, b * BLOCK_SIZE);
    }
    return out;
  }

  private check(block: number, length: number): void {
    if (length % BLOCK_SIZE !== 0 || length === 0) throw new RangeError(`a block transfer of ${length} bytes`);
    if (!Number.isInteger(block) || block < 0 || block + length / BLOCK_SIZE > this.blocks) {
      throw new RangeError(`blocks ${block}..${block + length / BLOCK_SIZE - 1} are outside a ${this.blocks}-block disk`);
    }
  }
}
