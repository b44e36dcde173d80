import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { InspectResult, Overview } from "../../host/inspect-types";
import { InspectClient, type InspectMessage, OverviewPoller } from "./inspect-client";

function overview(timeNs: number, logNext: number, schedNext: number, logFrom = 0): Overview {
  const log = [];
  for (let seq = logFrom; seq < logNext; seq++) log.push({ seq, level: "info" as const, timeNs, text: `line ${seq}` });
  return {
    timeNs,
    frames: { frames: 0, use: new Uint8Array(0), owner: new Uint16Array(0), totals: [] },
    procs: [],
    log,
    logNext,
    sched: [],
    schedNext,
  };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("InspectClient", () => {
  it("matches replies to requests by id, whatever their order", async () => {
    const sent: InspectMessage[] = [];
    const client = new InspectClient((m) => sent.push(m));
    const a = client.request({ what: "process", pid: 1 });
    const b = client.request({ what: "process", pid: 2 });
    expect(sent.map((m) => m.id)).toEqual([1, 2]);
    const answer = (pid: number): InspectResult => ({ what: "process", detail: { pid, regions: [], caps: [] } });
    client.receive(2, answer(2));
    client.receive(1, answer(1));
    expect(await a).toEqual(answer(1));
    expect(await b).toEqual(answer(2));
    expect(client.inFlight).toBe(0);
  });

  it("gives up on a request that is never answered and ignores the late reply", async () => {
    const client = new InspectClient(() => {}, 1000);
    const reply = client.request({ what: "process", pid: 1 });
    vi.advanceTimersByTime(1000);
    expect(await reply).toEqual({ what: "error", message: "the kernel did not answer" });
    client.receive(1, { what: "error", message: "late" });
    expect(client.timedOut).toBe(1);
    expect(client.answered).toBe(0);
  });
});

describe("OverviewPoller", () => {
  /** A worker stand-in that answers overviews when told to. */
  function setup(active: () => boolean) {
    const sent: InspectMessage[] = [];
    const client = new InspectClient((m) => sent.push(m), 4000);
    const seen: Overview[] = [];
    const poller = new OverviewPoller(client, { active, overview: (o) => seen.push(o) }, 500);
    return { sent, client, seen, poller };
  }

  it("never has two overviews in flight: a slow answer delays the next poll", async () => {
    const { sent, client, poller } = setup(() => true);
    poller.wake();
    expect(sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1500);
    poller.wake();
    expect(sent).toHaveLength(1);
    client.receive(sent[0]!.id, { what: "overview", overview: overview(1, 3, 0) });
    await vi.advanceTimersByTimeAsync(499);
    expect(sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(sent).toHaveLength(2);
  });

  it("asks only for records it has not seen", async () => {
    const { sent, client, poller } = setup(() => true);
    poller.wake();
    client.receive(sent[0]!.id, { what: "overview", overview: overview(10, 5, 7) });
    await vi.advanceTimersByTimeAsync(500);
    expect(sent[1]!.query).toEqual({ what: "overview", logFrom: 5, schedFrom: 7 });
    client.receive(sent[1]!.id, { what: "overview", overview: overview(20, 8, 7, 5) });
    await vi.advanceTimersByTimeAsync(500);
    expect(sent[2]!.query).toEqual({ what: "overview", logFrom: 8, schedFrom: 7 });
    expect(poller.log.all().map((r) => r.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it("stops while nobody looks and starts again on wake", async () => {
    let visible = true;
    const { sent, client, poller } = setup(() => visible);
    poller.wake();
    visible = false;
    client.receive(sent[0]!.id, { what: "overview", overview: overview(1, 0, 0) });
    await vi.advanceTimersByTimeAsync(5000);
    expect(sent).toHaveLength(1);
    visible = true;
    poller.wake();
    expect(sent).toHaveLength(2);
  });

  it("starts its buffers again when the machine was rebuilt", async () => {
    const { sent, client, poller } = setup(() => true);
    poller.wake();
    client.receive(sent[0]!.id, { what: "overview", overview: overview(1e9, 4, 2) });
    await vi.advanceTimersByTimeAsync(500);
    // A reboot: the new machine's clock and seqs start again.
    client.receive(sent[1]!.id, { what: "overview", overview: overview(1e6, 1, 0, 4) });
    await vi.advanceTimersByTimeAsync(0);
    expect(poller.restarts).toBe(1);
    expect(poller.log.length).toBe(0);
    await vi.advanceTimersByTimeAsync(500);
    expect(sent[2]!.query).toEqual({ what: "overview", logFrom: 0, schedFrom: 0 });
  });

  it("keeps polling after an unanswered request", async () => {
    const { sent, poller } = setup(() => true);
    poller.wake();
    await vi.advanceTimersByTimeAsync(4000 + 500);
    expect(sent).toHaveLength(2);
  });
});
