// A disk that can be taken back to earlier instants, for the GDB server's
// reverse execution (host/gdb/reverse.ts): a BlockBackend in front of
// another that keeps, for every block written, what it held before, once
// per *epoch*. A snapshot of the machine starts an epoch (mark()); taking
// the disk back to that snapshot (rewind(epoch)) writes the kept blocks of
// that epoch and every later one back, newest first. forget(epoch) drops
// what only epochs before it need (the snapshot ring dropped their
// snapshots). Reads go straight through.

import type { BlockBackend } from "../devices/block.js";

const BLOCK_SIZE = 4096;

export interface RewindToken {
  undone: Saved[];
  redo: { block: number; data: Uint8Array }[];
  epoch: number;
}

interface Saved {
  epoch: number;
  block: number;
  data: Uint8Array;
}

export class UndoDisk implements BlockBackend {
  readonly blocks: number;
  private epochNow = 0;
  /** Blocks already kept in the current epoch. */
  private keptNow = new Set<number>();
  private readonly log: Saved[] = [];
  /** Bytes of old contents kept (benchmarks, tests). */
  keptBytes = 0;

  constructor(readonly inner: BlockBackend) {
    this.blocks = inner.blocks;
  }

  get poweredOff(): boolean | undefined {
    return this.inner.poweredOff;
  }

  read(block: number, dst: Uint8Array): void {
    this.inner.read(block, dst);
  }

  write(block: number, src: Uint8Array): void {
    // Before the first mark() no snapshot can be gone back to: nothing is kept
    // (the page wraps every deterministic machine's disk long before a debugger comes).
    const count = this.epochNow === 0 ? 0 : Math.floor(src.length / BLOCK_SIZE);
    for (let i = 0; i < count; i++) {
      const b = block + i;
      if (b < 0 || b >= this.blocks || this.keptNow.has(b)) continue; // out of range: the inner disk refuses it
      const old = new Uint8Array(BLOCK_SIZE);
      this.inner.read(b, old);
      this.log.push({ epoch: this.epochNow, block: b, data: old });
      this.keptNow.add(b);
      this.keptBytes += BLOCK_SIZE;
    }
    this.inner.write(block, src);
  }

  flush(): void {
    this.inner.flush();
  }

  settle(): void {
    this.inner.settle?.();
  }

  /** Starts a new epoch (a snapshot is being taken now); returns its number. */
  mark(): number {
    this.epochNow++;
    this.keptNow = new Set();
    return this.epochNow;
  }

  /** Puts every block back as it was when epoch `epoch` began, and starts
   *  a new epoch. The token undoes that (undoRewind). */
  rewind(epoch: number): RewindToken {
    const undone: Saved[] = [];
    const redo: { block: number; data: Uint8Array }[] = [];
    while (this.log.length > 0 && this.log[this.log.length - 1]!.epoch >= epoch) {
      const saved = this.log.pop()!;
      const now = new Uint8Array(BLOCK_SIZE);
      this.inner.read(saved.block, now);
      redo.push({ block: saved.block, data: now });
      this.inner.write(saved.block, saved.data);
      this.keptBytes -= BLOCK_SIZE;
      undone.push(saved);
    }
    return { undone, redo, epoch: this.mark() };
  }

  /** Takes the disk back to where it was before rewind() gave `token`
   *  (everything written since is undone too): the last rewind first. */
  undoRewind(token: RewindToken): void {
    this.rewind(token.epoch);
    for (let i = token.redo.length - 1; i >= 0; i--) this.inner.write(token.redo[i]!.block, token.redo[i]!.data);
    for (let i = token.undone.length - 1; i >= 0; i--) {
      this.log.push(token.undone[i]!);
      this.keptBytes += BLOCK_SIZE;
    }
    this.mark();
  }

  /** Drops what is kept for epochs before `epoch`: nothing will go back there. */
  forget(epoch: number): void {
    let drop = 0;
    while (drop < this.log.length && this.log[drop]!.epoch < epoch) drop++;
    if (drop === 0) return;
    this.keptBytes -= drop * BLOCK_SIZE;
    this.log.splice(0, drop);
  }
}
