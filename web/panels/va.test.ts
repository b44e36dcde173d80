import { describe, expect, it } from "vitest";
import { describeFrameNumber, hex, parseVirtualAddress } from "./va";

describe("parseVirtualAddress", () => {
  it("reads hex with or without 0x, ignoring separators and case", () => {
    expect(parseVirtualAddress("0x10000")).toMatchObject({ ok: true, text: "0x10000" });
    expect(parseVirtualAddress("10000")).toMatchObject({ ok: true, text: "0x10000" });
    expect(parseVirtualAddress("  0X0000_4000_ABCD ")).toMatchObject({ ok: true, text: "0x4000abcd" });
    expect(parseVirtualAddress("0")).toMatchObject({ ok: true, text: "0x0", value: 0n });
  });

  it("keeps addresses above 2^53 exact", () => {
    const parsed = parseVirtualAddress("0xffff800000000001");
    expect(parsed).toMatchObject({ ok: true, text: "0xffff800000000001", value: 0xffff800000000001n });
  });

  it("answers what is wrong instead of guessing", () => {
    expect(parseVirtualAddress("")).toMatchObject({ ok: false });
    expect(parseVirtualAddress("0x")).toMatchObject({ ok: false });
    expect(parseVirtualAddress("0x12g4")).toEqual({ ok: false, reason: '"g" is not a hexadecimal digit' });
    expect(parseVirtualAddress("-1")).toMatchObject({ ok: false });
    expect(parseVirtualAddress("1ffffffffffffffff")).toEqual({ ok: false, reason: "more than 64 bits" });
    // Leading zeros do not count against the 64 bits.
    expect(parseVirtualAddress("0000000000000000001")).toMatchObject({ ok: true, text: "0x1" });
  });
});

describe("hex and frame names", () => {
  it("pads and prefixes", () => {
    expect(hex(255)).toBe("0xff");
    expect(hex(255, 4)).toBe("0x00ff");
  });

  it("names a frame by number and physical address", () => {
    expect(describeFrameNumber(0x1234)).toBe("frame 0x1234 (0x01234000)");
  });
});
