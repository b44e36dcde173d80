// The scheduler timeline's layout: from scheduler events (host/inspect-types
// SchedEvent, oldest first) to one lane per pid of segments (running,
// runnable, sleeping) and marks (preemptions, sleeps, wake-ups) inside a
// window of virtual time. Pure; web/panels/timeline-panel.ts draws it.
//
// Events say what changed, not what was. The state before a pid's first
// event is read from the event itself (a "wake" was sleeping, a "run" was
// runnable, a "preempt" was running), so a window that starts mid-slice is
// drawn right; a pid with no event at all is drawn in the state the
// process table reports now, from the time the window is complete.

import type { ProcState, SchedEvent, SchedEventKind } from "../../host/inspect-types";

export type LaneState = "running" | "runnable" | "sleeping";

export interface Segment {
  startNs: number;
  endNs: number;
  state: LaneState;
}

export interface Mark {
  timeNs: number;
  kind: "preempt" | "sleep" | "wake" | "exit";
  detail: string;
}

export interface Lane {
  pid: number;
  segments: Segment[];
  marks: Mark[];
  /** Running time inside the window. */
  runningNs: number;
  exited: boolean;
}

export interface TimelineInput {
  events: readonly SchedEvent[];
  /** The window: [endNs - spanNs, endNs]. */
  endNs: number;
  spanNs: number;
  /** No event is missing after this time (TimeWindow.since). */
  completeSinceNs: number;
  /** Processes that exist now, and their state. */
  current: ReadonlyMap<number, ProcState>;
}

/** The state an event leaves its pid in; null after exit. */
function stateAfter(kind: SchedEventKind): LaneState | null {
  switch (kind) {
    case "run":
      return "running";
    case "preempt":
    case "wake":
    case "yield":
      return "runnable";
    case "sleep":
      return "sleeping";
    case "exit":
      return null;
  }
}

/** The state a pid must have been in for this event to happen to it. */
export function stateBefore(kind: SchedEventKind): LaneState {
  switch (kind) {
    case "run":
      return "runnable";
    case "wake":
      return "sleeping";
    case "preempt":
    case "sleep":
    case "yield":
    case "exit":
      return "running";
  }
}

function fromProcState(state: ProcState): LaneState | null {
  if (state === "zombie") return null;
  if (state === "stopped") return "sleeping"; // waiting, for SIGCONT
  return state;
}

export function layoutTimeline(input: TimelineInput): Lane[] {
  const startNs = Math.max(input.endNs - input.spanNs, input.completeSinceNs);
  const windowStart = input.endNs - input.spanNs;
  const lanes = new Map<number, Lane & { state: LaneState | null; sinceNs: number }>();

  const laneOf = (pid: number, firstKind: SchedEventKind | null, state: LaneState | null) => {
    let lane = lanes.get(pid);
    if (lane === undefined) {
      const initial = firstKind !== null ? stateBefore(firstKind) : state;
      lane = { pid, segments: [], marks: [], runningNs: 0, exited: false, state: initial, sinceNs: startNs };
      lanes.set(pid, lane);
    }
    return lane;
  };
  const close = (lane: Lane & { state: LaneState | null; sinceNs: number }, atNs: number): void => {
    const from = Math.max(lane.sinceNs, windowStart);
    const to = Math.min(atNs, input.endNs);
    if (lane.state !== null && to > from) {
      const last = lane.segments[lane.segments.length - 1];
      // Two pieces in the same state (a yield and a run at once) are one.
      if (last !== undefined && last.state === lane.state && last.endNs === from) last.endNs = to;
      else lane.segments.push({ startNs: from, endNs: to, state: lane.state });
      if (lane.state === "running") lane.runningNs += to - from;
    }
    lane.sinceNs = Math.max(lane.sinceNs, atNs);
  };

  for (const event of input.events) {
    if (event.timeNs > input.endNs) break;
    const lane = laneOf(event.pid, event.kind, null);
    close(lane, event.timeNs);
    lane.state = stateAfter(event.kind);
    if (event.kind === "exit") lane.exited = true;
    if (event.timeNs >= windowStart && (event.kind === "preempt" || event.kind === "sleep" || event.kind === "wake" || event.kind === "exit")) {
      lane.marks.push({ timeNs: event.timeNs, kind: event.kind, detail: event.detail });
    }
  }
  for (const [pid, state] of input.current) laneOf(pid, null, fromProcState(state));
  for (const lane of lanes.values()) close(lane, input.endNs);

  return [...lanes.values()]
    .filter((lane) => lane.segments.length > 0 || lane.marks.length > 0)
    .sort((a, b) => a.pid - b.pid)
    .map(({ pid, segments, marks, runningNs, exited }) => ({ pid, segments, marks, runningNs, exited }));
}

/** Where a time falls on a timeline `width` pixels wide. */
export function timeToX(timeNs: number, endNs: number, spanNs: number, width: number): number {
  return ((timeNs - (endNs - spanNs)) / spanNs) * width;
}

/** One vCPU's lane: which pid it ran when. */
export interface CpuLane {
  cpu: number;
  /** Time it ran each process, oldest first (never overlapping). */
  segments: { startNs: number; endNs: number; pid: number }[];
  /** Running time inside the window. */
  busyNs: number;
}

/**
 * A lane per vCPU (0 up to the highest one any event names): a process runs
 * on the vCPU of its "run" event until its next preempt, sleep, yield or
 * exit. A process already running when the window's events start is drawn
 * from `completeSinceNs` on the vCPU of the event that ends its turn.
 */
export function layoutCpuLanes(input: Omit<TimelineInput, "current">): CpuLane[] {
  const windowStart = input.endNs - input.spanNs;
  const startNs = Math.max(windowStart, input.completeSinceNs);
  let cpus = 1;
  for (const event of input.events) cpus = Math.max(cpus, (event.cpu ?? 0) + 1);
  const lanes: CpuLane[] = Array.from({ length: cpus }, (_, cpu) => ({ cpu, segments: [], busyNs: 0 }));
  /** pid -> [vCPU, since] of a turn in progress. */
  const running = new Map<number, { cpu: number; sinceNs: number }>();
  const seen = new Set<number>();
  const add = (cpu: number, pid: number, from: number, to: number): void => {
    const a = Math.max(from, windowStart);
    const b = Math.min(to, input.endNs);
    if (b <= a) return;
    const lane = lanes[cpu]!;
    const last = lane.segments[lane.segments.length - 1];
    if (last !== undefined && last.pid === pid && last.endNs === a) last.endNs = b;
    else lane.segments.push({ startNs: a, endNs: b, pid });
    lane.busyNs += b - a;
  };
  for (const event of input.events) {
    if (event.timeNs > input.endNs) break;
    const cpu = event.cpu ?? 0;
    if (event.kind === "run") {
      running.set(event.pid, { cpu, sinceNs: event.timeNs });
    } else if (event.kind !== "wake") {
      const turn = running.get(event.pid);
      if (turn !== undefined) add(turn.cpu, event.pid, turn.sinceNs, event.timeNs);
      else if (!seen.has(event.pid) && stateBefore(event.kind) === "running") add(cpu, event.pid, startNs, event.timeNs);
      running.delete(event.pid);
    }
    seen.add(event.pid);
  }
  for (const [pid, turn] of running) add(turn.cpu, pid, turn.sinceNs, input.endNs);
  for (const lane of lanes) lane.segments.sort((a, b) => a.startNs - b.startNs);
  return lanes;
}
