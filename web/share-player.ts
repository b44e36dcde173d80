// Types a realtime link's `run` lines (web/share.ts runSteps) into a
// running machine one at a time, each once the console waits for input
// (docs/share-links.md "Realtime links"): so every command's output comes
// before the next command, and a monitor line runs where it was typed, not
// ahead of the shell lines before it (typed all at once, Ctrl-] would act
// the moment it arrived, before the shell had read its lines).
//
// "Waits for input" is what the machine says (idle with no wake-up time and
// nothing typed left unread: KeelMachine.waitingForInput, host/api.ts),
// together with a prompt at the end of what was printed since the last step
// (`$ `, `keel> `, or the monitor's goodbye), or, for a program that reads
// the console without a prompt (cat), no output for a moment. Signal keys
// (Ctrl-C, ...) are sent at such a moment too, or a moment after the step
// before, so they reach a program that is still running.

import type { RunStep } from "./share";

/** What the player reads of the machine (a KeelMachine). */
export interface PlayerConsole {
  /** Characters printed so far. */
  readonly end: number;
  /** What was printed since `mark`. */
  since(mark: number): string;
  waitingForInput(): boolean;
}

export interface PlayerOptions {
  /** Types a step's text (through whatever records the session). */
  send(text: string): void;
  /** Milliseconds, for the quiet and signal delays (default performance.now). */
  now?(): number;
  /** No output for this long counts as waiting at a program's read (default 300). */
  quietMs?: number;
  /** A signal step goes this long after the step before, prompt or not (default 1000). */
  signalDelayMs?: number;
}

/** What ends a step's output when the console is ready for the next. */
export const READY_PROMPTS: readonly RegExp[] = [/\$ $/, /keel> $/, /\[back to user programs\]\n?$/];

const DEFAULT_QUIET_MS = 300;
const DEFAULT_SIGNAL_DELAY_MS = 1000;

export class LinePlayer {
  private next = 0;
  /** Where the output since the last step starts (0: the first step looks at everything). */
  private mark = 0;
  private sentAt = -Infinity;
  private lastEnd = -1;
  private lastOutputAt: number;
  private readonly now: () => number;
  private readonly quietMs: number;
  private readonly signalDelayMs: number;

  constructor(
    private readonly steps: readonly RunStep[],
    private readonly console: PlayerConsole,
    private readonly opts: PlayerOptions,
  ) {
    this.now = opts.now ?? (() => performance.now());
    this.quietMs = opts.quietMs ?? DEFAULT_QUIET_MS;
    this.signalDelayMs = opts.signalDelayMs ?? DEFAULT_SIGNAL_DELAY_MS;
    this.lastOutputAt = this.now();
  }

  get done(): boolean {
    return this.next >= this.steps.length;
  }

  get typed(): number {
    return this.next;
  }

  get total(): number {
    return this.steps.length;
  }

  /** Sends the next step if its moment has come (at most one: the machine
   *  must take it before the next is judged). Call after every slice and on
   *  a timer. True when a step was sent. */
  poll(): boolean {
    if (this.done) return false;
    const now = this.now();
    if (this.console.end !== this.lastEnd) {
      this.lastEnd = this.console.end;
      this.lastOutputAt = now;
    }
    const step = this.steps[this.next]!;
    if (!this.ready(step, now)) return false;
    this.next++;
    this.mark = this.console.end;
    this.sentAt = now;
    this.lastOutputAt = now;
    this.opts.send(step.text);
    return true;
  }

  private ready(step: RunStep, now: number): boolean {
    if (step.kind === "signal" && now - this.sentAt >= this.signalDelayMs) return true;
    if (!this.console.waitingForInput()) return false;
    const printed = this.console.since(this.mark);
    return READY_PROMPTS.some((prompt) => prompt.test(printed)) || now - this.lastOutputAt >= this.quietMs;
  }
}
