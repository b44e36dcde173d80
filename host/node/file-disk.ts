// A disk image file as a block backend (Node only): blocks are read and
// written in place at their offsets, so a 128 MiB disk costs no memory and
// survives the process. A file shorter than the disk reads as zeros past its
// end and grows as blocks there are written.
//
// Durability (docs/filesystem.md states the promise): every write is handed
// to the host OS before it completes, so it survives the runner process
// dying at any moment. The kernel's flushes (one or more per journal commit)
// are made durable against a host crash by fdatasync: in "settle" mode, the
// default, flush() only marks the file dirty and the machine's settle(),
// called after each runFor(), syncs once for all the flushes since; in
// "flush" mode every flush is its own fdatasync, a barrier on the host's
// disk too.
//
// The disk size is, in order: the `blocks` option, the size the image's
// superblock declares, or the file's length rounded up to whole blocks.

import { closeSync, fdatasyncSync, fstatSync, openSync, readSync, writeSync } from "node:fs";
import type { BlockBackend } from "../devices/block.js";
import { BLOCK_SIZE, declaredDiskBlocks } from "../fs/format.js";

export interface FileBackendOptions {
  blocks?: number;
  /** Refuse writes (they complete with an I/O error at the device). */
  readOnly?: boolean;
  /** When the kernel's flushes reach the host's disk: "settle" (default)
   *  batches them into one fdatasync per settle(); "flush" syncs each. */
  sync?: FileSyncMode;
}

export type FileSyncMode = "settle" | "flush";

export class FileBackend implements BlockBackend {
  readonly blocks: number;
  readonly readOnly: boolean;
  readonly sync: FileSyncMode;
  private fd: number | null;
  /** A flush was asked for since the last sync. */
  private unsynced = false;
  /** Counters for tests and benchmarks. */
  flushes = 0;
  syncs = 0;

  constructor(readonly path: string, options: FileBackendOptions = {}) {
    this.readOnly = options.readOnly ?? false;
    this.sync = options.sync ?? "settle";
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
    if (this.fd === null || this.readOnly) return;
    this.flushes++;
    this.unsynced = true;
    if (this.sync === "flush") this.settle();
  }

  /** Syncs once for every flush since the last sync. */
  settle(): void {
    if (this.fd === null || !this.unsynced) return;
    fdatasyncSync(this.fd);
    this.unsynced = false;
    this.syncs++;
  }

  close(): void {
    if (this.fd === null) return;
    this.settle();
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
