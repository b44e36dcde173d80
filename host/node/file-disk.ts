// A disk image file as a block backend (Node only): blocks are read and
// written in place at their offsets, so a 128 MiB disk costs no memory and
// survives the process. A file shorter than the disk reads as zeros past its
// end and grows as blocks there are written; flush is fsync.
//
// The disk size is, in order: the `blocks` option, the size the image's
// superblock declares, or the file's length rounded up to whole blocks.

import { closeSync, fstatSync, fsyncSync, openSync, readSync, writeSync } from "node:fs";
import type { BlockBackend } from "../devices/block.js";
import { BLOCK_SIZE, declaredDiskBlocks } from "../fs/format.js";

export interface FileBackendOptions {
  blocks?: number;
  /** Refuse writes (they complete with an I/O error at the device). */
  readOnly?: boolean;
}

export class FileBackend implements BlockBackend {
  readonly blocks: number;
  readonly readOnly: boolean;
  private fd: number | null;

  constructor(readonly path: string, options: FileBackendOptions = {}) {
    this.readOnly = options.readOnly ?? false;
    this.fd = openSync(path, this.readOnly ? "r" : "r+");
    try {
      this.blocks = options.blocks ?? this.probeBlocks();
    } catch (error) {
      this.close();
      throw error;
    }
    if (!Number.isInteger(this.blocks) || this.blocks < 0 || this.blocks >= 0x1_0000_0000) {
      this.close();
      throw new RangeError(`disk size ${this.blocks} is not a u32 block count`);
    }
  }

  read(block: number, dst: Uint8Array): void {
    const fd = this.check(block, dst.length);
    let done = 0;
    while (done < dst.length) {
      const n = readSync(fd, dst, done, dst.length - done, block * BLOCK_SIZE + done);
      if (n === 0) break; // end of file: the rest of the disk is zeros
      done += n;
    }
    dst.fill(0, done);
  }

  write(block: number, src: Uint8Array): void {
    if (this.readOnly) throw new Error(`${this.path} is open read-only`);
    const fd = this.check(block, src.length);
    let done = 0;
    while (done < src.length) done += writeSync(fd, src, done, src.length - done, block * BLOCK_SIZE + done);
  }

  flush(): void {
    if (this.fd !== null && !this.readOnly) fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
  }

  private probeBlocks(): number {
    const head = new Uint8Array(2 * BLOCK_SIZE);
    readSync(this.fd!, head, 0, head.length, 0);
    return declaredDiskBlocks(head) ?? Math.ceil(fstatSync(this.fd!).size / BLOCK_SIZE);
  }

  private check(block: number, length: number): number {
    if (this.fd === null) throw new Error(`${this.path} is closed`);
    if (length % BLOCK_SIZE !== 0) throw new RangeError(`transfer of ${length} bytes is not a whole number of blocks`);
    if (!Number.isInteger(block) || block < 0 || block + length / BLOCK_SIZE > this.blocks) {
      throw new RangeError(`blocks ${block}..${block + length / BLOCK_SIZE - 1} are outside a ${this.blocks}-block disk`);
    }
    return this.fd;
  }
}
