// VGA text-mode driver: 80x25 cells of (character, attribute) at 0xB8000,
// scrolling, colours, and the hardware cursor through the CRTC registers.
// Relies on: lib/layout (buffer address, state record), arch/imports.

import { VGA_TEXT, VGA_COLS, VGA_ROWS, KSTATE_VGA } from "../lib/layout";
import { outb } from "../arch/imports";
import { VGA_CRTC_INDEX, VGA_CRTC_DATA } from "../arch/hw";

export const COLOR_BLACK: u32 = 0;
export const COLOR_BLUE: u32 = 1;
export const COLOR_GREEN: u32 = 2;
export const COLOR_CYAN: u32 = 3;
export const COLOR_RED: u32 = 4;
export const COLOR_MAGENTA: u32 = 5;
export const COLOR_BROWN: u32 = 6;
export const COLOR_LIGHT_GREY: u32 = 7;
export const COLOR_DARK_GREY: u32 = 8;
export const COLOR_LIGHT_BLUE: u32 = 9;
export const COLOR_LIGHT_GREEN: u32 = 10;
export const COLOR_LIGHT_CYAN: u32 = 11;
export const COLOR_LIGHT_RED: u32 = 12;
export const COLOR_PINK: u32 = 13;
export const COLOR_YELLOW: u32 = 14;
export const COLOR_WHITE: u32 = 15;

const CRTC_CURSOR_START: u32 = 0x0A;
const CRTC_CURSOR_END: u32 = 0x0B;
const CRTC_CURSOR_HIGH: u32 = 0x0E;
const CRTC_CURSOR_LOW: u32 = 0x0F;
const TAB_WIDTH: i32 = 8;

@unmanaged class VgaState {
  row: i32;
  col: i32;
  attr: u32;
  cursorDirty: u32;
  wrapPending: u32; // the last column was written: the next character starts a new line
}

// @ts-ignore: decorator
@inline function state(): VgaState { return changetype<VgaState>(KSTATE_VGA); }
// @ts-ignore: decorator
@inline function cellAddr(row: i32, col: i32): usize { return VGA_TEXT + (<usize>(row * VGA_COLS + col) << 1); }
// @ts-ignore: decorator
@inline function putCell(row: i32, col: i32, ch: u32, attr: u32): void { store<u16>(cellAddr(row, col), <u16>((ch & 0xFF) | (attr << 8))); }

export function makeAttr(fg: u32, bg: u32): u32 { return (bg << 4) | (fg & 0x0F); }

export function vgaInit(): void {
  const s = state();
  s.attr = makeAttr(COLOR_LIGHT_GREY, COLOR_BLACK);
  vgaClear();
  // Underline cursor on scanlines 14-15 of the 16-line cell.
  outb(VGA_CRTC_INDEX, CRTC_CURSOR_START); outb(VGA_CRTC_DATA, 14);
  outb(VGA_CRTC_INDEX, CRTC_CURSOR_END); outb(VGA_CRTC_DATA, 15);
}

export function vgaSetColor(fg: u32, bg: u32): void { state().attr = makeAttr(fg, bg); }
export function vgaAttr(): u32 { return state().attr; }
export function vgaSetAttr(attr: u32): void { state().attr = attr & 0xFF; }

/** Fills the screen with blanks in the current colour and homes the cursor. */
export function vgaClear(): void {
  const s = state();
  for (let r = 0; r < VGA_ROWS; r++) for (let c = 0; c < VGA_COLS; c++) putCell(r, c, 0x20, s.attr);
  s.row = 0; s.col = 0; s.cursorDirty = 1; s.wrapPending = 0;
}

/** Writes a string at a fixed place without moving the cursor. */
export function vgaWriteAt(row: i32, col: i32, text: string, attr: u32): void {
  for (let i = 0; i < text.length && col + i < VGA_COLS; i++) putCell(row, col + i, <u32>text.charCodeAt(i), attr);
}

function scroll(): void {
  const rowBytes = <usize>VGA_COLS << 1;
  memory.copy(VGA_TEXT, VGA_TEXT + rowBytes, rowBytes * <usize>(VGA_ROWS - 1));
  const attr = state().attr;
  for (let c = 0; c < VGA_COLS; c++) putCell(VGA_ROWS - 1, c, 0x20, attr);
}

function newline(s: VgaState): void {
  s.col = 0;
  s.wrapPending = 0;
  if (++s.row == VGA_ROWS) { scroll(); s.row = VGA_ROWS - 1; }
}

/** Writes one CP437 byte at the cursor, interpreting \n, \r, \b and \t.
 *  Writing the last column leaves the cursor there, as a terminal does: the
 *  line wraps when the next character comes (so "80 characters, CR LF"
 *  takes one row, not two). */
export function vgaPut(ch: u32): void {
  const s = state();
  s.cursorDirty = 1;
  if (ch == 0x0A) { newline(s); return; }
  if (ch == 0x0D) { s.col = 0; s.wrapPending = 0; return; }
  if (ch == 0x08) {
    s.wrapPending = 0; // from the last column, as a terminal does
    if (s.col > 0) { s.col--; putCell(s.row, s.col, 0x20, s.attr); }
    return;
  }
  if (s.wrapPending != 0) newline(s);
  if (ch == 0x09) {
    const next = (s.col / TAB_WIDTH + 1) * TAB_WIDTH;
    while (s.col < next && s.col < VGA_COLS) putCell(s.row, s.col++, 0x20, s.attr);
    if (s.col >= VGA_COLS) newline(s);
    return;
  }
  putCell(s.row, s.col, ch, s.attr);
  if (s.col == VGA_COLS - 1) s.wrapPending = 1; else s.col++;
}

/** Moves the cursor (clamped to the screen). */
export function vgaMoveTo(row: i32, col: i32): void {
  const s = state();
  s.row = min<i32>(max<i32>(row, 0), VGA_ROWS - 1);
  s.col = min<i32>(max<i32>(col, 0), VGA_COLS - 1);
  s.wrapPending = 0;
  s.cursorDirty = 1;
}

/** Erase in line: 0 from the cursor to the end, 1 from the start to the
 *  cursor, 2 the whole line. The cursor stays. */
export function vgaEraseInLine(mode: i32): void {
  const s = state();
  const from = mode == 0 ? s.col : 0;
  const to = mode == 1 ? s.col + 1 : VGA_COLS;
  for (let c = from; c < to; c++) putCell(s.row, c, 0x20, s.attr);
}

/** Erase in display: 0 from the cursor to the end of the screen, 1 from
 *  its start to the cursor, 2 (or 3) all of it. The cursor stays. */
export function vgaEraseInDisplay(mode: i32): void {
  const s = state();
  if (mode == 0) {
    vgaEraseInLine(0);
    for (let r = s.row + 1; r < VGA_ROWS; r++) for (let c = 0; c < VGA_COLS; c++) putCell(r, c, 0x20, s.attr);
  } else if (mode == 1) {
    for (let r = 0; r < s.row; r++) for (let c = 0; c < VGA_COLS; c++) putCell(r, c, 0x20, s.attr);
    vgaEraseInLine(1);
  } else {
    for (let r = 0; r < VGA_ROWS; r++) for (let c = 0; c < VGA_COLS; c++) putCell(r, c, 0x20, s.attr);
  }
}

/** Moves the hardware cursor to the software cursor if it changed. Called
 *  once per burst of output rather than per character (each is port I/O). */
export function vgaSyncCursor(): void {
  const s = state();
  if (s.cursorDirty == 0) return;
  s.cursorDirty = 0;
  const pos = <u32>(s.row * VGA_COLS + s.col);
  outb(VGA_CRTC_INDEX, CRTC_CURSOR_HIGH); outb(VGA_CRTC_DATA, pos >> 8);
  outb(VGA_CRTC_INDEX, CRTC_CURSOR_LOW); outb(VGA_CRTC_DATA, pos & 0xFF);
}

/** Paints the whole screen in one attribute (used by panic). */
export function vgaFill(attr: u32): void {
  const s = state();
  s.attr = attr;
  vgaClear();
}

export function vgaRow(): i32 { return state().row; }
export function vgaCol(): i32 { return state().col; }
