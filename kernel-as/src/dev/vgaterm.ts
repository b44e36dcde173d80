// The VGA screen as a terminal for the console's output: decodes UTF-8 into
// code page 437 (the characters the VGA ROM draws; one it lacks is drawn as
// the replacement REPLACEMENT_GLYPH) and obeys the few ANSI/VT100 controls
// line editing uses (cursor movement, erase in line and display, save and
// restore the cursor, colours), so what the page's terminal shows, the
// screen shows too. Anything else in an escape sequence is consumed, OSCs
// (ESC ] ... BEL or ESC \) whole.
// Relies on: dev/vga (cells and cursor), lib/layout (state record).

import { KSTATE_VGA, VGA_COLS, VGA_ROWS } from "../lib/layout";
import {
  vgaPut, vgaRow, vgaCol, vgaMoveTo, vgaEraseInLine, vgaEraseInDisplay, vgaAttr, vgaSetAttr, makeAttr,
  COLOR_LIGHT_GREY, COLOR_BLACK,
} from "./vga";

/** Drawn for a character code page 437 has no glyph for (■). */
export const REPLACEMENT_GLYPH: u32 = 0xFE;
const MAX_PARAMS: u32 = 4;
const ESC: u32 = 0x1B;

const ST_TEXT: u32 = 0;
const ST_ESCAPE: u32 = 1; // after ESC
const ST_CSI: u32 = 2;    // after ESC [
const ST_OSC: u32 = 3;    // after ESC ]: an operating system command, up to BEL or ESC \
const ST_OSC_ESC: u32 = 4; // ESC inside one (ESC \ ends it)

@unmanaged class VgaTermState {
  state: u32;
  codepoint: u32;   // UTF-8 sequence being decoded
  need: u32;        // continuation bytes still expected
  nparams: u32;
  p0: i32; p1: i32; p2: i32; p3: i32;
  savedRow: i32;
  savedCol: i32;
  savedAttr: u32;
}
/** After the VGA driver's record (vga.ts uses the first 32 bytes). */
const TERM_OFF: usize = 0x40;
// @ts-ignore: decorator
@inline function term(): VgaTermState { return changetype<VgaTermState>(KSTATE_VGA + TERM_OFF); }

/** Unicode code point of each CP437 byte (host/cp437.ts's table). */
const CP437: usize = memory.data<u16>([
  0x0020, 0x263A, 0x263B, 0x2665, 0x2666, 0x2663, 0x2660, 0x2022,
  0x25D8, 0x25CB, 0x25D9, 0x2642, 0x2640, 0x266A, 0x266B, 0x263C,
  0x25BA, 0x25C4, 0x2195, 0x203C, 0x00B6, 0x00A7, 0x25AC, 0x21A8,
  0x2191, 0x2193, 0x2192, 0x2190, 0x221F, 0x2194, 0x25B2, 0x25BC,
  0x0020, 0x0021, 0x0022, 0x0023, 0x0024, 0x0025, 0x0026, 0x0027,
  0x0028, 0x0029, 0x002A, 0x002B, 0x002C, 0x002D, 0x002E, 0x002F,
  0x0030, 0x0031, 0x0032, 0x0033, 0x0034, 0x0035, 0x0036, 0x0037,
  0x0038, 0x0039, 0x003A, 0x003B, 0x003C, 0x003D, 0x003E, 0x003F,
  0x0040, 0x0041, 0x0042, 0x0043, 0x0044, 0x0045, 0x0046, 0x0047,
  0x0048, 0x0049, 0x004A, 0x004B, 0x004C, 0x004D, 0x004E, 0x004F,
  0x0050, 0x0051, 0x0052, 0x0053, 0x0054, 0x0055, 0x0056, 0x0057,
  0x0058, 0x0059, 0x005A, 0x005B, 0x005C, 0x005D, 0x005E, 0x005F,
  0x0060, 0x0061, 0x0062, 0x0063, 0x0064, 0x0065, 0x0066, 0x0067,
  0x0068, 0x0069, 0x006A, 0x006B, 0x006C, 0x006D, 0x006E, 0x006F,
  0x0070, 0x0071, 0x0072, 0x0073, 0x0074, 0x0075, 0x0076, 0x0077,
  0x0078, 0x0079, 0x007A, 0x007B, 0x007C, 0x007D, 0x007E, 0x2302,
  0x00C7, 0x00FC, 0x00E9, 0x00E2, 0x00E4, 0x00E0, 0x00E5, 0x00E7,
  0x00EA, 0x00EB, 0x00E8, 0x00EF, 0x00EE, 0x00EC, 0x00C4, 0x00C5,
  0x00C9, 0x00E6, 0x00C6, 0x00F4, 0x00F6, 0x00F2, 0x00FB, 0x00F9,
  0x00FF, 0x00D6, 0x00DC, 0x00A2, 0x00A3, 0x00A5, 0x20A7, 0x0192,
  0x00E1, 0x00ED, 0x00F3, 0x00FA, 0x00F1, 0x00D1, 0x00AA, 0x00BA,
  0x00BF, 0x2310, 0x00AC, 0x00BD, 0x00BC, 0x00A1, 0x00AB, 0x00BB,
  0x2591, 0x2592, 0x2593, 0x2502, 0x2524, 0x2561, 0x2562, 0x2556,
  0x2555, 0x2563, 0x2551, 0x2557, 0x255D, 0x255C, 0x255B, 0x2510,
  0x2514, 0x2534, 0x252C, 0x251C, 0x2500, 0x253C, 0x255E, 0x255F,
  0x255A, 0x2554, 0x2569, 0x2566, 0x2560, 0x2550, 0x256C, 0x2567,
  0x2568, 0x2564, 0x2565, 0x2559, 0x2558, 0x2552, 0x2553, 0x256B,
  0x256A, 0x2518, 0x250C, 0x2588, 0x2584, 0x258C, 0x2590, 0x2580,
  0x03B1, 0x00DF, 0x0393, 0x03C0, 0x03A3, 0x03C3, 0x00B5, 0x03C4,
  0x03A6, 0x0398, 0x03A9, 0x03B4, 0x221E, 0x03C6, 0x03B5, 0x2229,
  0x2261, 0x00B1, 0x2265, 0x2264, 0x2320, 0x2321, 0x00F7, 0x2248,
  0x00B0, 0x2219, 0x00B7, 0x221A, 0x207F, 0x00B2, 0x25A0, 0x00A0,
]);

/** The CP437 byte that draws code point cp, or REPLACEMENT_GLYPH. */
export function cp437Of(cp: u32): u32 {
  if (cp >= 0x20 && cp < 0x7F) return cp;
  for (let b: u32 = 1; b < 256; b++) {
    if (b == 0x20) b = 0x7F; // ASCII is the identity, above
    if (<u32>load<u16>(CP437 + (<usize>b << 1)) == cp) return b;
  }
  return REPLACEMENT_GLYPH;
}

export function vgaTermInit(): void {
  const t = term();
  t.state = ST_TEXT; t.codepoint = 0; t.need = 0; t.nparams = 0;
  t.p0 = 0; t.p1 = 0; t.p2 = 0; t.p3 = 0;
  t.savedRow = 0; t.savedCol = 0; t.savedAttr = makeAttr(COLOR_LIGHT_GREY, COLOR_BLACK);
}

/** Takes one byte of console output. */
export function vgaTermPut(byte: u32): void {
  const t = term();
  if (t.state == ST_ESCAPE) { escape(t, byte); return; }
  if (t.state == ST_CSI) { csi(t, byte); return; }
  // An OSC (a window title, `download`'s file, user/prog/download.c) has
  // no picture: consumed whole, up to BEL or ST.
  if (t.state == ST_OSC) { if (byte == 0x07) t.state = ST_TEXT; else if (byte == ESC) t.state = ST_OSC_ESC; return; }
  if (t.state == ST_OSC_ESC) { t.state = byte == 0x5C || byte == 0x07 ? ST_TEXT : ST_OSC; return; }
  if (byte >= 0x80) { utf8(t, byte); return; }
  if (t.need != 0) { t.need = 0; vgaPut(REPLACEMENT_GLYPH); } // a sequence cut short
  if (byte == ESC) { t.state = ST_ESCAPE; return; }
  if (byte == 0x07) return; // the bell has no picture
  vgaPut(byte);
}

function utf8(t: VgaTermState, b: u32): void {
  if ((b & 0xC0) == 0x80) {
    if (t.need == 0) { vgaPut(REPLACEMENT_GLYPH); return; } // a stray continuation byte
    t.codepoint = (t.codepoint << 6) | (b & 0x3F);
    if (--t.need == 0) vgaPut(cp437Of(t.codepoint));
    return;
  }
  if (t.need != 0) vgaPut(REPLACEMENT_GLYPH);
  if ((b & 0xE0) == 0xC0) { t.codepoint = b & 0x1F; t.need = 1; }
  else if ((b & 0xF0) == 0xE0) { t.codepoint = b & 0x0F; t.need = 2; }
  else if ((b & 0xF8) == 0xF0) { t.codepoint = b & 0x07; t.need = 3; }
  else { t.need = 0; vgaPut(REPLACEMENT_GLYPH); }
}

function escape(t: VgaTermState, b: u32): void {
  t.state = ST_TEXT;
  if (b == 0x5B) { // [
    t.state = ST_CSI;
    t.nparams = 0; t.p0 = 0; t.p1 = 0; t.p2 = 0; t.p3 = 0;
  } else if (b == 0x5D) { // ]
    t.state = ST_OSC;
  } else if (b == 0x37) { // 7: save the cursor
    t.savedRow = vgaRow(); t.savedCol = vgaCol(); t.savedAttr = vgaAttr();
  } else if (b == 0x38) { // 8: restore it
    vgaMoveTo(t.savedRow, t.savedCol); vgaSetAttr(t.savedAttr);
  } else if (b == 0x63) { // c: reset
    vgaSetAttr(makeAttr(COLOR_LIGHT_GREY, COLOR_BLACK));
    vgaEraseInDisplay(2); vgaMoveTo(0, 0);
  }
}

function param(t: VgaTermState, i: u32): i32 {
  return i == 0 ? t.p0 : i == 1 ? t.p1 : i == 2 ? t.p2 : t.p3;
}
function setParam(t: VgaTermState, i: u32, v: i32): void {
  if (i == 0) t.p0 = v; else if (i == 1) t.p1 = v; else if (i == 2) t.p2 = v; else t.p3 = v;
}

function csi(t: VgaTermState, b: u32): void {
  if (b >= 0x30 && b <= 0x39) {
    if (t.nparams == 0) t.nparams = 1;
    const i = t.nparams - 1;
    if (i < MAX_PARAMS) setParam(t, i, min<i32>(param(t, i) * 10 + <i32>(b - 0x30), 9999));
    return;
  }
  if (b == 0x3B) { if (t.nparams == 0) t.nparams = 1; t.nparams++; return; } // ;
  if (b < 0x40 || b > 0x7E) return; // private markers and intermediates: consumed
  t.state = ST_TEXT;
  const n = max<i32>(t.p0, 1);
  const row = vgaRow();
  const col = vgaCol();
  switch (b) {
    case 0x41: vgaMoveTo(max<i32>(row - n, 0), col); break;                 // A: up
    case 0x42: vgaMoveTo(min<i32>(row + n, VGA_ROWS - 1), col); break;      // B: down
    case 0x43: vgaMoveTo(row, min<i32>(col + n, VGA_COLS - 1)); break;      // C: right
    case 0x44: vgaMoveTo(row, max<i32>(col - n, 0)); break;                 // D: left
    case 0x47: vgaMoveTo(row, min<i32>(n, VGA_COLS) - 1); break;            // G: column
    case 0x48: case 0x66:                                                    // H, f: position
      vgaMoveTo(min<i32>(max<i32>(t.p0, 1), VGA_ROWS) - 1, min<i32>(max<i32>(t.p1, 1), VGA_COLS) - 1); break;
    case 0x4A: vgaEraseInDisplay(t.p0); break;                              // J
    case 0x4B: vgaEraseInLine(t.p0); break;                                 // K
    case 0x6D: sgr(t); break;                                               // m: colours
    default: break;
  }
}

/** ANSI colour numbers (red 1, green 2, ...) in VGA's order (blue 1, green 2, cyan 3, red 4, ...). */
// @ts-ignore: decorator
@inline function vgaColour(ansi: u32): u32 { return ((ansi & 1) << 2) | (ansi & 2) | ((ansi & 4) >> 2); }

function sgr(t: VgaTermState): void {
  const count = max<u32>(t.nparams, 1);
  for (let i: u32 = 0; i < count && i < MAX_PARAMS; i++) {
    const p = param(t, i);
    const attr = vgaAttr();
    if (p == 0) vgaSetAttr(makeAttr(COLOR_LIGHT_GREY, COLOR_BLACK));
    else if (p == 1) vgaSetAttr(attr | 0x08);
    else if (p == 22) vgaSetAttr(attr & ~0x08);
    else if (p == 7) vgaSetAttr(((attr & 0x0F) << 4) | ((attr >> 4) & 0x0F));
    else if (p >= 30 && p <= 37) vgaSetAttr((attr & 0xF8) | vgaColour(<u32>(p - 30)));
    else if (p == 39) vgaSetAttr((attr & 0xF8) | COLOR_LIGHT_GREY);
    else if (p >= 40 && p <= 47) vgaSetAttr((attr & 0x8F) | (vgaColour(<u32>(p - 40)) << 4));
    else if (p == 49) vgaSetAttr(attr & 0x8F);
    else if (p >= 90 && p <= 97) vgaSetAttr((attr & 0xF0) | 0x08 | vgaColour(<u32>(p - 90)));
  }
}
