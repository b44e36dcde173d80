import { describe, expect, it } from "vitest";
import { formatBytes, formatNs } from "./dom";

describe("formatBytes", () => {
  it("uses binary units", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(4096)).toBe("4 KiB");
    expect(formatBytes(1.5 * 1024 * 1024)).toBe("1.5 MiB");
    expect(formatBytes(128 * 1024 * 1024)).toBe("128 MiB");
  });
});

describe("formatNs", () => {
  it("picks a unit that keeps the number short", () => {
    expect(formatNs(340_000)).toBe("340 µs");
    expect(formatNs(12_000_000)).toBe("12 ms");
    expect(formatNs(1_234_000_000)).toBe("1.23 s");
    expect(formatNs(250e9)).toBe("250 s");
  });
});
