// The page's side of the kernel's introspection (host/inspect-types.ts):
// sends `inspect` queries to the worker with ids, resolves them on the
// matching `inspect-result`, and polls the overview while someone looks.
//
// Polling rules: one overview every POLL_MS, only while the page is visible
// and the panels are shown; never two requests of a poll in flight (the
// next poll is timed from the end of the last); logFrom/schedFrom ask only
// for records not seen yet. A reply that never comes (a worker that does
// not answer `inspect`, a machine being rebuilt) times out, so the poller
// cannot stall.

import type { InspectQuery, InspectResult, Overview, LogRecord, SchedEvent } from "../../host/inspect-types";
import { RecentRecords, TimeWindow } from "./buffers";

export const POLL_MS = 500;
export const REPLY_TIMEOUT_MS = 4000;
/** Scheduler events kept: this much virtual time, and at most this many. */
export const SCHED_SPAN_NS = 10e9;
export const SCHED_MAX_EVENTS = 100_000;
export const LOG_MAX_RECORDS = 2000;

export type InspectMessage = { type: "inspect"; id: number; query: InspectQuery };

interface Pending {
  resolve(result: InspectResult): void;
  timer: ReturnType<typeof setTimeout>;
}

export class InspectClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Replies that arrived in time, and requests that timed out. */
  answered = 0;
  timedOut = 0;

  constructor(
    private readonly post: (message: InspectMessage) => void,
    private readonly timeoutMs = REPLY_TIMEOUT_MS,
  ) {}

  /** Asks the kernel; resolves with its answer, or with an "error" result
   *  when no answer comes within the timeout. Never rejects. */
  request(query: InspectQuery): Promise<InspectResult> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.timedOut++;
        resolve({ what: "error", message: "the kernel did not answer" });
      }, this.timeoutMs);
      this.pending.set(id, { resolve, timer });
      this.post({ type: "inspect", id, query });
    });
  }

  /** Hands an `inspect-result` to the request it answers (late replies are dropped). */
  receive(id: number, result: InspectResult): void {
    const pending = this.pending.get(id);
    if (pending === undefined) return;
    this.pending.delete(id);
    clearTimeout(pending.timer);
    this.answered++;
    pending.resolve(result);
  }

  get inFlight(): number {
    return this.pending.size;
  }
}

export interface PollerHooks {
  /** Whether anyone looks at the panels now (visible page, panels shown). */
  active(): boolean;
  /** A fresh overview, with the buffers already updated. */
  overview(overview: Overview): void;
  /** Refreshes of the views that depend on a selection, run after the
   *  overview and before the next poll is timed. */
  afterOverview?(): Promise<void>;
  /** The kernel could not answer (machine off, worker without inspect). */
  failed?(message: string): void;
}

export class OverviewPoller {
  readonly log = new RecentRecords<LogRecord>(LOG_MAX_RECORDS);
  readonly sched = new TimeWindow<SchedEvent>(SCHED_SPAN_NS, SCHED_MAX_EVENTS);
  private logFrom = 0;
  private schedFrom = 0;
  private lastTimeNs = -1;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private busy = false;
  /** Overviews received, and machine restarts noticed (the buffers were reset). */
  polls = 0;
  restarts = 0;
  /** When the last poll began and ended (performance.now()), for the test handle. */
  lastPollMs = 0;

  constructor(
    private readonly client: InspectClient,
    private readonly hooks: PollerHooks,
    private readonly intervalMs = POLL_MS,
  ) {}

  /** Polls now if nothing is under way, then every interval while active.
   *  Call it whenever `active()` may have become true. */
  wake(): void {
    if (this.busy || this.timer !== null) return;
    void this.poll();
  }

  /** Polls as soon as the current poll (if any) is over: after a selection changes. */
  soon(): void {
    if (this.busy) return;
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    void this.poll();
  }

  private async poll(): Promise<void> {
    this.timer = null;
    if (!this.hooks.active()) return;
    this.busy = true;
    try {
      const result = await this.client.request({ what: "overview", logFrom: this.logFrom, schedFrom: this.schedFrom });
      if (result.what === "overview") {
        this.take(result.overview);
        this.hooks.overview(result.overview);
        if (this.hooks.afterOverview !== undefined) await this.hooks.afterOverview();
      } else if (result.what === "error") {
        this.hooks.failed?.(result.message);
      }
    } finally {
      this.busy = false;
      this.lastPollMs = performance.now();
      if (this.hooks.active()) this.timer = setTimeout(() => void this.poll(), this.intervalMs);
    }
  }

  /** Takes the new records. A machine that went back in time was rebuilt
   *  (a reboot, a new disk): what was kept belongs to the old one, and this
   *  overview's records were asked for with the old one's seqs, so the
   *  buffers start again and the next poll asks from seq 0. */
  private take(overview: Overview): void {
    this.polls++;
    if (overview.logNext < this.logFrom || overview.schedNext < this.schedFrom || overview.timeNs < this.lastTimeNs) {
      this.log.clear();
      this.sched.clear();
      this.restarts++;
      this.logFrom = 0;
      this.schedFrom = 0;
      this.lastTimeNs = overview.timeNs;
      return;
    }
    this.log.push(overview.log);
    this.sched.push(overview.sched, overview.timeNs);
    this.logFrom = overview.logNext;
    this.schedFrom = overview.schedNext;
    this.lastTimeNs = overview.timeNs;
  }

  get cursors(): { logFrom: number; schedFrom: number } {
    return { logFrom: this.logFrom, schedFrom: this.schedFrom };
  }
}
