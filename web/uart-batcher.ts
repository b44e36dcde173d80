// Collects the UART's transmit bytes in the worker and hands them on in
// batches: at most `delayMs` after the first byte of a batch, or at once on
// flush(). One postMessage per batch instead of one per kernel slice keeps
// the page's event loop free when the kernel prints a lot.

export class UartBatcher {
  private chunks: Uint8Array[] = [];
  private size = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly deliver: (bytes: Uint8Array) => void,
    private readonly delayMs: number,
  ) {}

  /** Queues `bytes` (copied: the machine may reuse its buffer). */
  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.chunks.push(bytes.slice());
    this.size += bytes.length;
    this.timer ??= setTimeout(() => this.flush(), this.delayMs);
  }

  /** Delivers everything queued, in order, as one buffer the receiver owns. */
  flush(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.size === 0) return;
    const bytes = new Uint8Array(this.size);
    let at = 0;
    for (const chunk of this.chunks) {
      bytes.set(chunk, at);
      at += chunk.length;
    }
    this.chunks = [];
    this.size = 0;
    this.deliver(bytes);
  }
}
