// Drives a Machine without ever blocking its thread: short runFor() slices
// with a yield between them, and a sleep until the machine's wake-up time
// when it is idle (or until kick(), when input arrives). Works in Node, in
// a Web Worker and on a page.

import type { Machine, RunReport } from "./machine.js";

export interface RunLoopOptions {
  /** Wall-clock milliseconds per slice before yielding (default 8). */
  sliceMs?: number;
  /** Called after every slice. */
  onTick?(report: RunReport): void;
}

const DEFAULT_SLICE_MS = 8;

/** The fastest yield the platform has: setImmediate in Node, a
 *  MessageChannel elsewhere (setTimeout(0) is clamped to 4 ms in browsers). */
function makeYield(): (fn: () => void) => void {
  const g = globalThis as { setImmediate?: (fn: () => void) => void };
  if (typeof g.setImmediate === "function") return (fn) => g.setImmediate!(fn);
  if (typeof MessageChannel !== "undefined") {
    const channel = new MessageChannel();
    const queue: (() => void)[] = [];
    channel.port1.onmessage = () => queue.shift()?.();
    return (fn) => {
      queue.push(fn);
      channel.port2.postMessage(0);
    };
  }
  return (fn) => setTimeout(fn, 0);
}

export class RunLoop {
  private running = false;
  private sleepTimer: ReturnType<typeof setTimeout> | null = null;
  private scheduled = false;
  private readonly yieldNow = makeYield();
  private readonly sliceMs: number;

  constructor(
    private readonly machine: Machine,
    private readonly opts: RunLoopOptions = {},
  ) {
    this.sliceMs = opts.sliceMs ?? DEFAULT_SLICE_MS;
  }

  start(): void {
    this.running = true;
    // Parallel vCPUs: another vCPU's request or a process made runnable for
    // vCPU 0 ends a sleep at once.
    this.machine.setWakeListener(() => this.kick());
    this.kick();
  }

  stop(): void {
    this.running = false;
    this.machine.setWakeListener(null);
    if (this.sleepTimer !== null) clearTimeout(this.sleepTimer);
    this.sleepTimer = null;
  }

  /** Run as soon as possible (after input, a reboot, or a deadline change). */
  kick(): void {
    if (!this.running || this.scheduled) return;
    if (this.sleepTimer !== null) {
      clearTimeout(this.sleepTimer);
      this.sleepTimer = null;
    }
    this.scheduled = true;
    this.yieldNow(() => this.tick());
  }

  private tick(): void {
    this.scheduled = false;
    if (!this.running) return;
    const report = this.machine.runFor(this.sliceMs);
    this.opts.onTick?.(report);
    if (report.state === "running") {
      this.kick();
    } else if (report.state === "idle" && report.wakeInMs !== null) {
      this.sleepTimer = setTimeout(() => {
        this.sleepTimer = null;
        this.kick();
      }, Math.max(0, Math.ceil(report.wakeInMs)));
    }
    // idle without a wake time, halted, panicked: wait for kick().
  }
}
