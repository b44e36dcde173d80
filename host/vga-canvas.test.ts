import { describe, it, expect } from "vitest";
import { VGA_PALETTE } from "./cp437.js";
import { drawVga, type Canvas2D, type CursorShape } from "./vga-canvas.js";

type Call = { op: "rect"; x: number; y: number; w: number; h: number; style: unknown } | { op: "text"; text: string; x: number; y: number; style: unknown };

class RecordingContext implements Canvas2D {
  fillStyle: unknown = "";
  font = "";
  textBaseline = "";
  textAlign = "";
  calls: Call[] = [];
  fillRect(x: number, y: number, w: number, h: number): void {
    this.calls.push({ op: "rect", x, y, w, h, style: this.fillStyle });
  }
  fillText(text: string, x: number, y: number): void {
    this.calls.push({ op: "text", text, x, y, style: this.fillStyle });
  }
}

const CELL = { cellW: 9, cellH: 16, font: "16px monospace" };
const hidden: CursorShape = { row: 0, col: 0, visible: false, start: 13, end: 14 };

function screen(): Uint16Array {
  return new Uint16Array(80 * 25).fill(0x0720);
}

describe("drawVga", () => {
  it("paints every cell's background on a first frame and glyphs only where there is ink", () => {
    const ctx = new RecordingContext();
    const cells = screen();
    cells[0] = 0x1f41; // 'A', white on blue
    const painted = drawVga(ctx, cells, hidden, { ...CELL, blinkOn: true });
    expect(painted).toBe(2000);
    expect(ctx.calls.filter((c) => c.op === "rect")).toHaveLength(2000);
    expect(ctx.calls.filter((c) => c.op === "text")).toEqual([
      { op: "text", text: "A", x: 4.5, y: 8, style: VGA_PALETTE[15] },
    ]);
    expect(ctx.calls[0]).toEqual({ op: "rect", x: 0, y: 0, w: 9, h: 16, style: VGA_PALETTE[1] });
    expect(ctx.font).toBe("16px monospace");
  });

  it("draws CP437 glyphs as their Unicode characters", () => {
    const ctx = new RecordingContext();
    const cells = screen();
    cells[81] = 0x07c9;
    drawVga(ctx, cells, hidden, { ...CELL, blinkOn: true });
    expect(ctx.calls.find((c) => c.op === "text")).toMatchObject({ text: "╔", x: 9 + 4.5, y: 16 + 8 });
  });

  it("reads attribute bit 7 as a bright background, not blink", () => {
    const ctx = new RecordingContext();
    const cells = screen();
    cells[0] = 0xc020; // background 0xC: light red
    drawVga(ctx, cells, hidden, { ...CELL, blinkOn: false });
    expect(ctx.calls[0]).toMatchObject({ op: "rect", style: VGA_PALETTE[12] });
  });

  it("repaints only changed cells when given the previous frame", () => {
    const ctx = new RecordingContext();
    const prev = screen();
    const cells = prev.slice();
    cells[100] = 0x0741;
    cells[1999] = 0x0742;
    const painted = drawVga(ctx, cells, hidden, { ...CELL, blinkOn: true, prev });
    expect(painted).toBe(2);
    expect(ctx.calls.filter((c) => c.op === "text").map((c) => (c as { text: string }).text)).toEqual(["A", "B"]);
  });

  it("draws the cursor as scan lines start..end in the cell's foreground colour while blinkOn", () => {
    const ctx = new RecordingContext();
    const cells = screen();
    cells[2 * 80 + 3] = 0x0e20; // yellow foreground
    const cursor: CursorShape = { row: 2, col: 3, visible: true, start: 14, end: 15, cellHeight: 16 };
    drawVga(ctx, cells, cursor, { cellW: 9, cellH: 32, font: "f", blinkOn: true, prev: cells });
    expect(ctx.calls.at(-1)).toEqual({ op: "rect", x: 27, y: 64 + 28, w: 9, h: 4, style: VGA_PALETTE[14] });

    ctx.calls = [];
    drawVga(ctx, cells, cursor, { cellW: 9, cellH: 32, font: "f", blinkOn: false, prev: cells });
    expect(ctx.calls).toEqual([{ op: "rect", x: 27, y: 64, w: 9, h: 32, style: VGA_PALETTE[0] }]); // underline erased
  });

  it("repaints the cell the cursor left so its underline is erased", () => {
    const ctx = new RecordingContext();
    const cells = screen();
    const cursor: CursorShape = { row: 0, col: 4, visible: true, start: 13, end: 14 };
    drawVga(ctx, cells, cursor, { ...CELL, blinkOn: true, prev: cells });
    ctx.calls = [];
    const painted = drawVga(ctx, cells, { ...cursor, col: 5 }, { ...CELL, blinkOn: true, prev: cells });
    expect(painted).toBe(1);
    const rects = ctx.calls.filter((c) => c.op === "rect").map((c) => (c as { x: number }).x);
    expect(rects).toEqual([36, 45]); // old cell repainted, underline at the new one
  });

  it("does not draw a hidden cursor", () => {
    const ctx = new RecordingContext();
    const cells = screen();
    expect(drawVga(ctx, cells, { ...hidden, row: 1 }, { ...CELL, blinkOn: true, prev: cells })).toBe(0);
    expect(ctx.calls).toEqual([]);
  });
});
