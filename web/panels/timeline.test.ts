import { describe, expect, it } from "vitest";
import type { ProcState, SchedEvent, SchedEventKind } from "../../host/inspect-types";
import { layoutCpuLanes, layoutTimeline, stateBefore, timeToX } from "./timeline";

let seq = 0;
const ev = (timeNs: number, pid: number, kind: SchedEventKind, detail = ""): SchedEvent => ({ seq: seq++, timeNs, pid, kind, detail });
const none = new Map<number, ProcState>();

describe("layoutTimeline", () => {
  it("turns run/preempt pairs into running segments with the gaps runnable", () => {
    const lanes = layoutTimeline({
      events: [ev(0, 1, "run"), ev(10, 1, "preempt"), ev(10, 2, "run"), ev(20, 2, "preempt"), ev(20, 1, "run")],
      endNs: 30, spanNs: 30, completeSinceNs: 0, current: none,
    });
    expect(lanes.map((l) => l.pid)).toEqual([1, 2]);
    expect(lanes[0]!.segments).toEqual([
      { startNs: 0, endNs: 10, state: "running" },
      { startNs: 10, endNs: 20, state: "runnable" },
      { startNs: 20, endNs: 30, state: "running" },
    ]);
    expect(lanes[0]!.runningNs).toBe(20);
    expect(lanes[1]!.segments).toEqual([
      { startNs: 0, endNs: 10, state: "runnable" },
      { startNs: 10, endNs: 20, state: "running" },
      { startNs: 20, endNs: 30, state: "runnable" },
    ]);
    expect(lanes[0]!.marks).toEqual([{ timeNs: 10, kind: "preempt", detail: "" }]);
  });

  it("infers the state before a pid's first event in the window", () => {
    expect(stateBefore("wake")).toBe("sleeping");
    expect(stateBefore("run")).toBe("runnable");
    expect(stateBefore("sleep")).toBe("running");
    const [lane] = layoutTimeline({
      events: [ev(50, 3, "wake"), ev(60, 3, "run"), ev(70, 3, "sleep", "pipe read")],
      endNs: 100, spanNs: 100, completeSinceNs: 0, current: none,
    });
    expect(lane!.segments).toEqual([
      { startNs: 0, endNs: 50, state: "sleeping" },
      { startNs: 50, endNs: 60, state: "runnable" },
      { startNs: 60, endNs: 70, state: "running" },
      { startNs: 70, endNs: 100, state: "sleeping" },
    ]);
    expect(lane!.marks.map((m) => m.kind)).toEqual(["wake", "sleep"]);
    expect(lane!.marks[1]!.detail).toBe("pipe read");
  });

  it("clips to the window and starts no earlier than the events are complete", () => {
    const [lane] = layoutTimeline({
      events: [ev(0, 1, "run"), ev(40, 1, "preempt")],
      endNs: 100, spanNs: 80, completeSinceNs: 0, current: none,
    });
    expect(lane!.segments[0]).toEqual({ startNs: 20, endNs: 40, state: "running" });
    const [quiet] = layoutTimeline({ events: [], endNs: 100, spanNs: 100, completeSinceNs: 60, current: new Map([[4, "sleeping"]]) });
    expect(quiet!.segments).toEqual([{ startNs: 60, endNs: 100, state: "sleeping" }]);
  });

  it("ends a lane at exit and drops zombies that did nothing in the window", () => {
    const lanes = layoutTimeline({
      events: [ev(10, 5, "run"), ev(20, 5, "exit")],
      endNs: 50, spanNs: 50, completeSinceNs: 0, current: new Map<number, ProcState>([[6, "zombie"]]),
    });
    expect(lanes).toHaveLength(1);
    expect(lanes[0]!.exited).toBe(true);
    expect(lanes[0]!.segments.at(-1)).toEqual({ startNs: 10, endNs: 20, state: "running" });
  });

  it("merges a yield immediately followed by a run into one running stretch", () => {
    const [lane] = layoutTimeline({
      events: [ev(0, 1, "run"), ev(10, 1, "yield"), ev(10, 1, "run")],
      endNs: 20, spanNs: 20, completeSinceNs: 0, current: none,
    });
    expect(lane!.segments).toEqual([{ startNs: 0, endNs: 20, state: "running" }]);
  });

  it("never overlaps a lane's segments, and keeps them inside the window (randomized)", () => {
    const kinds: SchedEventKind[] = ["run", "preempt", "sleep", "wake", "yield"];
    for (let round = 0; round < 50; round++) {
      const events: SchedEvent[] = [];
      let t = 0;
      for (let i = 0; i < 200; i++) {
        t += Math.floor(Math.random() * 5);
        events.push(ev(t, 1 + Math.floor(Math.random() * 4), kinds[Math.floor(Math.random() * kinds.length)]!));
      }
      const endNs = t + 3;
      const spanNs = Math.max(1, Math.floor(t / 2));
      for (const lane of layoutTimeline({ events, endNs, spanNs, completeSinceNs: 0, current: none })) {
        let previousEnd = endNs - spanNs;
        for (const s of lane.segments) {
          expect(s.startNs).toBeGreaterThanOrEqual(previousEnd);
          expect(s.endNs).toBeGreaterThan(s.startNs);
          previousEnd = s.endNs;
        }
        expect(previousEnd).toBeLessThanOrEqual(endNs);
      }
    }
  });
});

describe("timeToX", () => {
  it("maps the window onto the width", () => {
    expect(timeToX(100, 100, 50, 200)).toBe(200);
    expect(timeToX(50, 100, 50, 200)).toBe(0);
    expect(timeToX(75, 100, 50, 200)).toBe(100);
  });
});

describe("layoutCpuLanes", () => {
  const on = (cpu: number, e: SchedEvent): SchedEvent => ({ ...e, cpu });

  it("gives each vCPU the turns of the processes that ran on it, never overlapping", () => {
    const lanes = layoutCpuLanes({
      events: [on(0, ev(0, 1, "run")), on(1, ev(0, 2, "run")), on(0, ev(10, 1, "preempt")), on(1, ev(15, 2, "sleep")),
        on(0, ev(10, 3, "run")), on(1, ev(20, 1, "run")), on(0, ev(25, 3, "exit"))],
      endNs: 30, spanNs: 30, completeSinceNs: 0,
    });
    expect(lanes.map((l) => l.cpu)).toEqual([0, 1]);
    expect(lanes[0]!.segments).toEqual([{ startNs: 0, endNs: 10, pid: 1 }, { startNs: 10, endNs: 25, pid: 3 }]);
    expect(lanes[1]!.segments).toEqual([{ startNs: 0, endNs: 15, pid: 2 }, { startNs: 20, endNs: 30, pid: 1 }]);
    expect(lanes[0]!.busyNs).toBe(25);
    expect(lanes[1]!.busyNs).toBe(25);
  });

  it("draws one lane for events without a vCPU, and a turn begun before the window from where it is complete", () => {
    const lanes = layoutCpuLanes({ events: [ev(40, 5, "preempt")], endNs: 100, spanNs: 100, completeSinceNs: 20 });
    expect(lanes).toEqual([{ cpu: 0, segments: [{ startNs: 20, endNs: 40, pid: 5 }], busyNs: 20 }]);
  });
});
