import { describe, expect, it } from "vitest";
import { formatCount, formatJit, formatRam, formatUptime } from "./format";

describe("formatUptime", () => {
  it("shows tenths of a second under a minute, never rounding up past the real time", () => {
    expect(formatUptime(0)).toBe("0.0 s");
    expect(formatUptime(4_260_000_000)).toBe("4.2 s");
    expect(formatUptime(59_990_000_000)).toBe("59.9 s");
  });

  it("switches to m:ss and h:mm:ss", () => {
    expect(formatUptime(60e9)).toBe("1:00");
    expect(formatUptime(125.7e9)).toBe("2:05");
    expect(formatUptime(3600e9 + 62e9)).toBe("1:01:02");
  });
});

describe("formatCount", () => {
  it("keeps small counts exact", () => {
    expect(formatCount(0)).toBe("0");
    expect(formatCount(999)).toBe("999");
  });

  it("uses three significant digits with an SI suffix", () => {
    expect(formatCount(1234)).toBe("1.23 k");
    expect(formatCount(45_600_000)).toBe("45.6 M");
    expect(formatCount(999_999)).toBe("1.00 M");
    expect(formatCount(2_000_000_000)).toBe("2.00 G");
  });
});

describe("formatRam", () => {
  it("writes MiB, and GiB for whole gibibytes", () => {
    expect(formatRam(128 * 1024 * 1024)).toBe("128 MiB");
    expect(formatRam(1536 * 1024 * 1024)).toBe("1536 MiB");
    expect(formatRam(2048 * 1024 * 1024)).toBe("2 GiB");
  });
});

describe("formatJit", () => {
  it("says off without figures, else units and the share retired in them, rounded down", () => {
    expect(formatJit(undefined)).toBe("off");
    expect(formatJit({ units: 0, insns: 0, retired: 0 })).toBe("0 units, 0% of instructions");
    expect(formatJit({ units: 1234, insns: 999, retired: 1000 })).toBe("1.23 k units, 99% of instructions");
    expect(formatJit({ units: 3, insns: 50, retired: 50 })).toBe("3 units, 100% of instructions");
  });
});
