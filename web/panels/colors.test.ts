import { describe, expect, it } from "vitest";
import { FRAME_USES } from "../../host/inspect-types";
import { cssColour, hslToRgb, packPixel, parseHex, pidColour, pidHue, useColour } from "./colors";

describe("frame use colours", () => {
  it("gives every use a distinct colour in both themes", () => {
    for (const theme of ["light", "dark"] as const) {
      const colours = FRAME_USES.map((use) => useColour(use, theme));
      expect(new Set(colours).size).toBe(FRAME_USES.length);
      for (const colour of colours) expect(() => parseHex(colour)).not.toThrow();
    }
  });
});

describe("pid colours", () => {
  it("spreads neighbouring pids far apart on the colour wheel", () => {
    for (let pid = 1; pid < 64; pid++) {
      const gap = Math.abs(pidHue(pid) - pidHue(pid + 1));
      expect(Math.min(gap, 360 - gap)).toBeGreaterThan(100);
    }
  });

  it("is the same colour for the same pid, every time", () => {
    expect(pidColour(7, "dark")).toEqual(pidColour(7, "dark"));
    expect(pidColour(7, "dark")).not.toEqual(pidColour(7, "light"));
  });
});

describe("colour arithmetic", () => {
  it("converts HSL primaries", () => {
    expect(hslToRgb(0, 1, 0.5)).toEqual({ r: 255, g: 0, b: 0 });
    expect(hslToRgb(120, 1, 0.5)).toEqual({ r: 0, g: 255, b: 0 });
    expect(hslToRgb(240, 1, 0.5)).toEqual({ r: 0, g: 0, b: 255 });
    expect(hslToRgb(0, 0, 1)).toEqual({ r: 255, g: 255, b: 255 });
  });

  it("packs a pixel as ImageData's bytes read little-endian", () => {
    const word = packPixel({ r: 0x11, g: 0x22, b: 0x33 });
    const bytes = new Uint8Array(new Uint32Array([word]).buffer);
    expect([...bytes]).toEqual([0x11, 0x22, 0x33, 0xff]);
    expect(cssColour({ r: 1, g: 2, b: 3 })).toBe("rgb(1 2 3)");
  });
});
