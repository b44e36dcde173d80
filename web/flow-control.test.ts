import { describe, expect, it } from "vitest";
import { FlowControl } from "./flow-control";

function recorder() {
  const events: string[] = [];
  const flow = new FlowControl(() => events.push("pause"), () => events.push("resume"), 100, 20);
  return { events, flow };
}

describe("FlowControl", () => {
  it("pauses once the page is more than the high-water mark behind", () => {
    const { events, flow } = recorder();
    flow.sent(60);
    flow.sent(40);
    expect(events).toEqual([]);
    flow.sent(1);
    expect(events).toEqual(["pause"]);
    expect(flow.isPaused).toBe(true);
    flow.sent(500); // output already queued when the pause took effect
    expect(events).toEqual(["pause"]);
  });

  it("resumes only when the page is back down to the low-water mark", () => {
    const { events, flow } = recorder();
    flow.sent(150);
    flow.acknowledged(100);
    expect(events).toEqual(["pause"]);
    flow.acknowledged(30);
    expect(events).toEqual(["pause", "resume"]);
    expect(flow.isPaused).toBe(false);
    expect(flow.bytesInFlight).toBe(20);
  });

  it("never counts below zero, whatever the page acknowledges", () => {
    const { events, flow } = recorder();
    flow.acknowledged(50);
    expect(flow.bytesInFlight).toBe(0);
    flow.sent(100);
    expect(events).toEqual([]);
  });

  it("keeps its balance across many batches", () => {
    const { events, flow } = recorder();
    for (let i = 0; i < 1000; i++) {
      flow.sent(7);
      flow.acknowledged(7);
    }
    expect(events).toEqual([]);
    expect(flow.bytesInFlight).toBe(0);
  });
});
