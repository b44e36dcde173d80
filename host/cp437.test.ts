import { describe, it, expect } from "vitest";
import { CP437_TO_UNICODE, cp437ToUnicode, decodeCp437, unicodeToCp437, VGA_PALETTE } from "./cp437.js";

describe("CP437 table", () => {
  it("has 256 single-character entries", () => {
    expect(CP437_TO_UNICODE).toHaveLength(256);
    for (const ch of CP437_TO_UNICODE) expect(ch).toHaveLength(1);
  });

  it("draws 0x00 as a blank and gives every other code its own glyph", () => {
    expect(cp437ToUnicode(0x00)).toBe(" ");
    expect(new Set(CP437_TO_UNICODE.slice(1)).size).toBe(255);
  });

  it("maps printable ASCII to itself", () => {
    for (let b = 0x20; b < 0x7f; b++) expect(cp437ToUnicode(b)).toBe(String.fromCharCode(b));
  });

  it.each([
    [0x01, "☺"], [0x02, "☻"], [0x03, "♥"], [0x0f, "☼"], [0x10, "►"], [0x1f, "▼"], [0x7f, "⌂"],
    [0x80, "Ç"], [0x9b, "¢"], [0x9e, "₧"], [0x9f, "ƒ"], [0xa8, "¿"], [0xa9, "⌐"],
    [0xb0, "░"], [0xb3, "│"], [0xba, "║"], [0xc4, "─"], [0xc5, "┼"], [0xc9, "╔"], [0xcd, "═"], [0xd9, "┘"],
    [0xda, "┌"], [0xdb, "█"], [0xdf, "▀"], [0xe0, "α"], [0xe1, "ß"], [0xe3, "π"], [0xe6, "µ"], [0xec, "∞"],
    [0xf0, "≡"], [0xf1, "±"], [0xf8, "°"], [0xfb, "√"], [0xfd, "²"], [0xfe, "■"], [0xff, "\u00a0"],
  ])("maps byte %i to its standard glyph %s", (byte, glyph) => {
    expect(cp437ToUnicode(byte)).toBe(glyph);
  });

  it("uses only the low 8 bits of a cell", () => {
    expect(cp437ToUnicode(0x0741)).toBe("A");
  });

  it("round-trips every code except 0x00 through unicodeToCp437", () => {
    for (let b = 1; b < 256; b++) expect(unicodeToCp437(cp437ToUnicode(b))).toBe(b);
    expect(unicodeToCp437(" ")).toBe(0x20);
    expect(unicodeToCp437("€")).toBeUndefined();
  });

  it("decodes a byte run", () => {
    expect(decodeCp437([0xc9, 0xcd, 0xbb, 0x48, 0x69])).toBe("╔═╗Hi");
  });
});

describe("VGA palette", () => {
  it("lists the 16 text-mode colours as CSS hex", () => {
    expect(VGA_PALETTE).toHaveLength(16);
    for (const c of VGA_PALETTE) expect(c).toMatch(/^#[0-9a-f]{6}$/);
    expect(VGA_PALETTE[0]).toBe("#000000");
    expect(VGA_PALETTE[6]).toBe("#aa5500"); // brown, not dark yellow
    expect(VGA_PALETTE[7]).toBe("#aaaaaa");
    expect(VGA_PALETTE[15]).toBe("#ffffff");
  });
});
