// Back-pressure for the console: the worker stops running the kernel while
// the page has too much UART output still to draw, and resumes once the page
// has caught up. Without it a guest that prints in a loop could queue
// megabytes in xterm.js and make the page sluggish; with it the guest simply
// runs at the speed the terminal can show, like a real serial line.
//
// The worker counts bytes it posts; the page acknowledges each batch once
// xterm has parsed it (term.write's callback). Two marks give hysteresis so
// the machine is not paused and resumed on every batch.

export const UART_HIGH_WATER_BYTES = 256 * 1024;
export const UART_LOW_WATER_BYTES = 64 * 1024;

export class FlowControl {
  private inFlight = 0;
  private paused = false;

  constructor(
    private readonly onPause: () => void,
    private readonly onResume: () => void,
    private readonly highWater = UART_HIGH_WATER_BYTES,
    private readonly lowWater = UART_LOW_WATER_BYTES,
  ) {}

  /** True while the page is too far behind for the machine to run. */
  get isPaused(): boolean {
    return this.paused;
  }

  get bytesInFlight(): number {
    return this.inFlight;
  }

  sent(bytes: number): void {
    this.inFlight += bytes;
    if (!this.paused && this.inFlight > this.highWater) {
      this.paused = true;
      this.onPause();
    }
  }

  acknowledged(bytes: number): void {
    this.inFlight = Math.max(0, this.inFlight - bytes);
    if (this.paused && this.inFlight <= this.lowWater) {
      this.paused = false;
      this.onResume();
    }
  }
}
