// Recording and exact replay of a deterministic session (docs/share-links.md).
//
// In deterministic mode the machine is a pure function of its configuration,
// its disk and the input it is given between the kernel's run() calls. So a
// session is its configuration plus a list of events, each placed at a
// *position*: the power-on it happened in (Machine.stats().boots) and the
// number of run() calls made since that power-on (Machine.runsSinceBoot).
// The Recorder notes where each input arrives; the Replayer, plugged in with
// Machine.setInputSchedule(), gives the same input before the same run()
// call. Each event also carries the virtual time it happened at: not needed
// to place it, but a check: a replay that reaches a position at another time
// (another kernel build, another disk) has diverged, and says so.

import type { InputSchedule, Machine } from "./machine.js";

/** Where in a machine's life something happened. */
export interface Position {
  /** Power-on count, 1 for the first boot (kernel-requested reboots count). */
  boot: number;
  /** Kernel run() calls since that power-on. */
  run: number;
  /** Virtual time then, in nanoseconds (the check). */
  timeNs: number;
}

export type ReplayEvent =
  /** Bytes delivered to the UART (keyboard input). */
  | (Position & { kind: "input"; bytes: Uint8Array })
  /** The host rebooted the machine (the page's Reboot button). */
  | (Position & { kind: "reboot" })
  /** Where the recording was taken: a replay runs on to here. */
  | (Position & { kind: "end" });

/** What a runner on a lockstep switch also records (host/node/session-file.ts):
 *  a frame the switch delivered to its card, and the horizon of a TICK (the
 *  virtual time the switch let it run to). Both arrive between quanta, while
 *  the machine stands at a horizon, so their positions are exact. */
export type NetReplayEvent =
  | (Position & { kind: "frame"; bytes: Uint8Array })
  | (Position & { kind: "horizon"; horizonNs: number });

/** Everything a recording can hold: the page's events, and a runner's frames and horizons. */
export type SessionEvent = ReplayEvent | NetReplayEvent;

export function positionOf(machine: Machine): Position {
  return { boot: machine.stats().boots, run: machine.runsSinceBoot, timeNs: machine.virtualNowNs };
}

/** a before b, or the same position (virtual time not compared). */
function notAfter(a: Position, b: Position): boolean {
  return a.boot < b.boot || (a.boot === b.boot && a.run <= b.run);
}

/** Notes what is given to one machine, and where. */
export class Recorder {
  private readonly events: SessionEvent[] = [];

  constructor(private readonly machine: Machine) {}

  /** Call just before machine.input(bytes). */
  input(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    const last = this.events[this.events.length - 1];
    const here = positionOf(this.machine);
    // Several chunks before the same run() call are one chunk.
    if (last?.kind === "input" && last.boot === here.boot && last.run === here.run) {
      const joined = new Uint8Array(last.bytes.length + bytes.length);
      joined.set(last.bytes);
      joined.set(bytes, last.bytes.length);
      last.bytes = joined;
      return;
    }
    this.events.push({ kind: "input", ...here, bytes: bytes.slice() });
  }

  /** Call just before a frame from the wire is given to the card (between quanta). */
  frame(bytes: Uint8Array): void {
    this.events.push({ kind: "frame", ...positionOf(this.machine), bytes: bytes.slice() });
  }

  /** Call when the time master lets the machine run to `horizonNs` (a lockstep TICK). */
  horizon(horizonNs: number): void {
    this.events.push({ kind: "horizon", ...positionOf(this.machine), horizonNs });
  }

  /** Call just before machine.reboot(). */
  reboot(): void {
    this.events.push({ kind: "reboot", ...positionOf(this.machine) });
  }

  /** How many events (inputs and reboots) so far. */
  get length(): number {
    return this.events.length;
  }

  /** The recording so far, ending with an `end` event at the machine's position now.
   *  (The page's kind: a Recorder that was given frames or horizons has takeSession().) */
  take(): ReplayEvent[] {
    if (this.events.some((e) => e.kind === "frame" || e.kind === "horizon")) throw new Error("this recording holds frames: take it with takeSession()");
    return this.takeSession() as ReplayEvent[];
  }

  /** The recording so far with frames and horizons, ending with an `end` event at the machine's position now. */
  takeSession(): SessionEvent[] {
    return [...this.events.map((e) => (e.kind === "input" || e.kind === "frame" ? { ...e, bytes: e.bytes.slice() } : { ...e })),
      { kind: "end", ...positionOf(this.machine) }];
  }
}

export interface ReplayProgress {
  /** Inputs and reboots given so far, and how many the recording holds. */
  delivered: number;
  total: number;
  /** The replay reached the recording's end position. */
  finished: boolean;
  /** Null while every event arrived where and when it was recorded; else the first mismatch. */
  diverged: string | null;
}

export interface ReplayerHooks {
  /** Gives input to the machine (default machine.input); the page's worker also records it. */
  input?(machine: Machine, bytes: Uint8Array): void;
  /** Reboots the machine (default machine.reboot()). */
  reboot?(machine: Machine): void;
  /** Gives a recorded frame to the machine's card (needed when the recording holds frames). */
  frame?(machine: Machine, bytes: Uint8Array): void;
  /** A recorded horizon: the machine runs up to it next (default machine.setHorizon). */
  horizon?(machine: Machine, horizonNs: number): void;
  /** After each event given, and at the end. */
  progress?(progress: ReplayProgress): void;
}

/** Checks that a list of events can be a recording: positions in order, one `end`, last. */
export function checkEvents(events: readonly SessionEvent[]): string | null {
  if (events.length === 0 || events[events.length - 1]!.kind !== "end") return "the recording has no end";
  let lastHorizon: number | null = null;
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    if (e.kind === "end" && i !== events.length - 1) return "the recording has an end before its last event";
    if (!Number.isSafeInteger(e.boot) || e.boot < 1 || !Number.isSafeInteger(e.run) || e.run < 0) {
      return `event ${i + 1} has an impossible position`;
    }
    if (!Number.isFinite(e.timeNs) || e.timeNs < 0) return `event ${i + 1} has an impossible time`;
    const before = events[i - 1];
    if (before !== undefined) {
      if (!notAfter(before, e)) return `event ${i + 1} comes before the event ahead of it`;
      // After a host reboot the next event is in the next power-on.
      if (before.kind === "reboot" && e.boot === before.boot) return `event ${i + 1} is in a power-on its reboot ended`;
    }
    if (e.kind === "frame" && !(e.bytes instanceof Uint8Array && e.bytes.length >= 14 && e.bytes.length <= 1514)) {
      return `event ${i + 1} is a frame of impossible length`;
    }
    if (e.kind === "horizon") {
      if (!Number.isSafeInteger(e.horizonNs) || e.horizonNs <= e.timeNs) return `event ${i + 1} is a horizon that is not ahead of its own time`;
      if (lastHorizon !== null && e.horizonNs <= lastHorizon) return `event ${i + 1} is a horizon that is not after the one before`;
      lastHorizon = e.horizonNs;
    }
  }
  return null;
}

/** Plays a recording back into a machine booted with the recorded configuration. */
export class Replayer implements InputSchedule {
  private next = 0;
  private delivered = 0;
  private readonly total: number;
  private diverged: string | null = null;
  private finished = false;

  constructor(private readonly events: readonly SessionEvent[], private readonly hooks: ReplayerHooks = {}) {
    const problem = checkEvents(events);
    if (problem !== null) throw new Error(problem);
    if (hooks.frame === undefined && events.some((e) => e.kind === "frame")) throw new Error("this recording holds frames: its replay needs a frame hook");
    this.total = events.filter((e) => e.kind !== "end").length;
  }

  get progress(): ReplayProgress {
    return { delivered: this.delivered, total: this.total, finished: this.finished, diverged: this.diverged };
  }

  get done(): boolean {
    return this.finished;
  }

  /** Machine hook: gives everything due before this run() call. */
  beforeRun(machine: Machine): void {
    this.deliverDue(machine, false);
  }

  /** Machine hook: more is due in this power-on. An idle machine that has
   *  reached the end position is finished here: one more run() call would
   *  take it past the point the recording was taken at. */
  pending(machine: Machine): boolean {
    const event = this.events[this.next];
    if (event === undefined) return false;
    const here = positionOf(machine);
    if (event.boot !== here.boot) return false;
    if (event.kind === "end" && event.run <= here.run) {
      this.deliverDue(machine, false);
      return false;
    }
    return true;
  }

  /** For a machine that returned idle, waiting for input: true when the
   *  recording still holds events but none for this power-on, so the replay
   *  can never go on (it has diverged: the recorded machine rebooted here). */
  stalled(machine: Machine): boolean {
    // pending() finishes a replay that has reached its end: look at `finished` after it.
    const more = this.pending(machine);
    return !more && !this.finished && this.next < this.events.length;
  }

  /** For a machine that makes no more run() calls (halted or panicked):
   *  gives what the recording holds for this power-on now. Returns true
   *  when that rebooted the machine, which wants running again. */
  pumpStopped(machine: Machine): boolean {
    const boots = machine.stats().boots;
    this.deliverDue(machine, true);
    return machine.stats().boots !== boots;
  }

  private deliverDue(machine: Machine, stopped: boolean): void {
    for (;;) {
      const event = this.events[this.next];
      if (event === undefined) return;
      const here = positionOf(machine);
      const due = notAfter(event, here) || (stopped && event.boot === here.boot);
      if (!due) return;
      this.next++;
      this.check(event, here);
      switch (event.kind) {
        case "input":
          (this.hooks.input ?? ((m, b) => m.input(b)))(machine, event.bytes);
          this.delivered++;
          break;
        case "reboot":
          (this.hooks.reboot ?? ((m) => m.reboot()))(machine);
          this.delivered++;
          break;
        case "frame":
          this.hooks.frame!(machine, event.bytes);
          this.delivered++;
          break;
        case "horizon":
          (this.hooks.horizon ?? ((m, h) => m.setHorizon(h)))(machine, event.horizonNs);
          this.delivered++;
          break;
        case "end":
          this.finished = true;
          break;
      }
      this.hooks.progress?.(this.progress);
      if (event.kind === "reboot") return; // the new power-on starts at run 0: look again then
    }
  }

  /** Marks the replay diverged (the first mismatch wins): the runner's check of the frames the machine sends. */
  divergedBecause(reason: string): void {
    if (this.diverged === null) this.diverged = reason;
  }

  private check(event: SessionEvent, here: Position): void {
    if (this.diverged !== null) return;
    const what = event.kind === "input" ? `input ${this.delivered + 1} of ${this.total}` : event.kind === "end" ? "the end of the recording"
      : `${event.kind} (event ${this.delivered + 1} of ${this.total})`;
    if (event.boot !== here.boot || event.run !== here.run) {
      this.diverged = `${what} was recorded at power-on ${event.boot}, run ${event.run} but arrived at power-on ${here.boot}, run ${here.run}`;
    } else if (event.timeNs !== here.timeNs) {
      this.diverged = `${what} was recorded at ${event.timeNs} ns virtual time but arrived at ${here.timeNs} ns`;
    }
  }
}
