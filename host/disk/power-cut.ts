// A backend wrapper that cuts the power at a chosen write, for crash tests.
//
// Writes are counted block by block (a request of 8 blocks counts 8). The
// cutAtWrite-th block write and everything after it — the rest of that
// request, later writes, reads and flushes — are dropped; the blocks of the
// same request before it did reach the disk, as with a real disk that tears
// a multi-block write at block granularity. At the cut, poweredOff turns
// true (the block device then stops and sets STATUS bit 2) and onCut() runs,
// so the machine can stop. onCut runs inside the guest's doorbell write:
// it should note the cut, not re-enter the kernel.
//
// writesSeen counts block writes that reached the inner disk; run a workload
// once without a cut to learn how many crash points it has.

import type { BlockBackend } from "../devices/block.js";

const BLOCK_SIZE = 4096;

export interface PowerCutOptions {
  /** 1-based: the first block write that is lost. Omit (or Infinity) to never cut. */
  cutAtWrite?: number;
  onCut?: () => void;
}

export class PowerCutBackend implements BlockBackend {
  readonly blocks: number;
  private cut = false;
  private readonly cutAtWrite: number;
  /** Block writes that reached the inner backend. */
  writesSeen = 0;

  constructor(private readonly inner: BlockBackend, private readonly options: PowerCutOptions = {}) {
    const at = options.cutAtWrite ?? Infinity;
    if (at !== Infinity && (!Number.isInteger(at) || at < 1)) throw new RangeError(`cutAtWrite must be a positive integer (got ${at})`);
    this.blocks = inner.blocks;
    this.cutAtWrite = at;
  }

  get poweredOff(): boolean {
    return this.cut || this.inner.poweredOff === true;
  }

  read(block: number, dst: Uint8Array): void {
    if (this.poweredOff) return;
    this.inner.read(block, dst);
  }

  write(block: number, src: Uint8Array): void {
    if (this.poweredOff) return;
    const count = src.length / BLOCK_SIZE;
    const survivors = Math.min(count, this.cutAtWrite - 1 - this.writesSeen);
    if (survivors >= count) {
      this.inner.write(block, src);
      this.writesSeen += count;
      return;
    }
    if (survivors > 0) this.inner.write(block, src.subarray(0, survivors * BLOCK_SIZE));
    this.writesSeen += survivors;
    this.powerCut();
  }

  flush(): void {
    if (this.poweredOff) return;
    this.inner.flush();
  }

  /** Cuts the power now, whatever the write count. */
  powerCut(): void {
    if (this.cut) return;
    this.cut = true;
    this.options.onCut?.();
  }
}
