import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { UartBatcher } from "./uart-batcher";

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

describe("UartBatcher", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("delivers everything pushed within the delay as one batch, in order", () => {
    const batches: string[] = [];
    const batcher = new UartBatcher((bytes) => batches.push(text(bytes)), 16);
    batcher.push(new TextEncoder().encode("keel"));
    vi.advanceTimersByTime(10);
    batcher.push(new TextEncoder().encode("> "));
    expect(batches).toEqual([]);
    vi.advanceTimersByTime(6);
    expect(batches).toEqual(["keel> "]);
  });

  it("starts the delay at the first byte of a batch, so output is never held longer", () => {
    const batches: string[] = [];
    const batcher = new UartBatcher((bytes) => batches.push(text(bytes)), 16);
    for (let i = 0; i < 10; i++) {
      batcher.push(new Uint8Array([0x61 + i]));
      vi.advanceTimersByTime(5);
    }
    // Pushed at t = 0, 5, ... 45; batches leave at t = 16 and 36.
    expect(batches).toEqual(["abcd", "efgh"]);
    vi.advanceTimersByTime(6);
    expect(batches).toEqual(["abcd", "efgh", "ij"]);
  });

  it("flush delivers at once and cancels the pending timer", () => {
    const deliver = vi.fn();
    const batcher = new UartBatcher(deliver, 16);
    batcher.push(new Uint8Array([1, 2]));
    batcher.flush();
    expect(deliver).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(100);
    expect(deliver).toHaveBeenCalledTimes(1);
    batcher.flush();
    expect(deliver).toHaveBeenCalledTimes(1);
  });

  it("copies what it is given: a reused buffer does not change queued output", () => {
    const batches: number[][] = [];
    const batcher = new UartBatcher((bytes) => batches.push([...bytes]), 16);
    const shared = new Uint8Array([1, 2, 3]);
    batcher.push(shared);
    shared.fill(9);
    batcher.flush();
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it("ignores empty pushes", () => {
    const deliver = vi.fn();
    const batcher = new UartBatcher(deliver, 16);
    batcher.push(new Uint8Array(0));
    vi.advanceTimersByTime(100);
    expect(deliver).not.toHaveBeenCalled();
  });
});
