// Paints a VGA text frame (the cells and cursor from host/devices/vga.ts)
// onto a 2D canvas. Used by the page (web/); it names no DOM type, only the
// few context members it needs, so it also type-checks for workers and Node.
//
// Attribute byte: low nibble = foreground colour, bits 4-6 = background,
// bit 7 = bright background. Bit 7 is read as the attribute controller does
// with "blink enable" cleared, giving 16 background colours and no blinking
// text: steadier in a browser, and what most text UIs that set bit 7 want.
//
// The cursor is drawn as the card does: scan lines `start`..`end` of the
// cell, in the cell's foreground colour, shown only while `blinkOn`.
//
// Given the previous frame (`prev`), only cells that changed are repainted,
// plus the cell where the cursor was last drawn on this context (remembered
// per context), so a cursor that moved or blinked off leaves no underline.

import { cp437ToUnicode, VGA_PALETTE } from "./cp437.js";
import { VGA_COLS, VGA_ROWS } from "./hw.js";

/** The CanvasRenderingContext2D members drawVga uses. */
export interface Canvas2D {
  fillStyle: unknown;
  font: string;
  textBaseline: string;
  textAlign: string;
  fillRect(x: number, y: number, w: number, h: number): void;
  fillText(text: string, x: number, y: number): void;
}

export interface CursorShape {
  row: number;
  col: number;
  visible: boolean;
  /** First and last scan line lit, counted from the top of the cell. */
  start: number;
  end: number;
  /** Scan lines per cell that start/end are measured in (16 if omitted). */
  cellHeight?: number;
}

export interface DrawVgaOptions {
  /** Cell size in canvas pixels. */
  cellW: number;
  cellH: number;
  /** CSS font for the glyphs, e.g. "16px monospace". */
  font: string;
  /** Blink phase: the cursor shows only while true. */
  blinkOn: boolean;
  /** The frame currently on the canvas; when given, unchanged cells are skipped. */
  prev?: Uint16Array;
}

const DEFAULT_CELL_HEIGHT = 16;
const FG_MASK = 0x0f;
const BG_SHIFT = 12;
const NO_CURSOR = -1;

/** Per context: the cell index whose pixels carry a cursor underline. */
const drawnCursor = new WeakMap<Canvas2D, number>();

/** Paints `cells` (`char | attr << 8`, 80x25) and the cursor. Returns the number of cells painted. */
export function drawVga(ctx: Canvas2D, cells: Uint16Array, cursor: CursorShape, opts: DrawVgaOptions): number {
  const { cellW, cellH, prev } = opts;
  ctx.font = opts.font;
  ctx.textBaseline = "middle";
  ctx.textAlign = "center";
  const total = Math.min(cells.length, VGA_COLS * VGA_ROWS);
  const cursorIndex = cursor.row * VGA_COLS + cursor.col;
  const underlined = drawnCursor.get(ctx) ?? NO_CURSOR;
  const full = prev === undefined || prev.length < total;

  let painted = 0;
  for (let i = 0; i < total; i++) {
    const cell = cells[i] as number;
    if (!full && cell === prev[i] && i !== underlined) continue;
    paintCell(ctx, i, cell, cellW, cellH);
    painted++;
  }

  drawnCursor.set(ctx, NO_CURSOR);
  if (cursor.visible && opts.blinkOn && cursorIndex >= 0 && cursorIndex < total) {
    const shape = cursor.cellHeight ?? DEFAULT_CELL_HEIGHT;
    const scale = cellH / shape;
    const x = (cursorIndex % VGA_COLS) * cellW;
    const y = Math.floor(cursorIndex / VGA_COLS) * cellH;
    ctx.fillStyle = VGA_PALETTE[((cells[cursorIndex] as number) >>> 8) & FG_MASK] as string;
    ctx.fillRect(x, y + cursor.start * scale, cellW, (cursor.end - cursor.start + 1) * scale);
    drawnCursor.set(ctx, cursorIndex);
  }
  return painted;
}

function paintCell(ctx: Canvas2D, index: number, cell: number, cellW: number, cellH: number): void {
  const x = (index % VGA_COLS) * cellW;
  const y = Math.floor(index / VGA_COLS) * cellH;
  const fg = (cell >>> 8) & FG_MASK;
  const bg = cell >>> BG_SHIFT;
  ctx.fillStyle = VGA_PALETTE[bg] as string;
  ctx.fillRect(x, y, cellW, cellH);
  const glyph = cp437ToUnicode(cell & 0xff);
  if (fg === bg || glyph === " " || glyph === "\u00a0") return;
  ctx.fillStyle = VGA_PALETTE[fg] as string;
  ctx.fillText(glyph, x + cellW / 2, y + cellH / 2);
}
