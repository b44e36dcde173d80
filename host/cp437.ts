// Code page 437, the character set of the PC's VGA text mode, mapped to
// Unicode, and the 16 colours of the text-mode palette. Pure data: used by
// the VGA device (host/devices/vga.ts) to turn the text buffer into strings
// and by the canvas renderer (host/vga-canvas.ts) to draw glyphs.
//
// Code 0x00 is drawn as a blank (a space) and 0xFF is the no-break space, as
// on the real card. Codes 0x01-0x1F and 0x7F are the graphic glyphs the VGA
// character ROM holds there, not control characters.

const ROWS: readonly string[] = [
  // 0x00-0x1F: the "graphic control" glyphs (0x00 blank).
  " ☺☻♥♦♣♠•◘○◙♂♀♪♫☼",
  "►◄↕‼¶§▬↨↑↓→←∟↔▲▼",
  // 0x20-0x7F: ASCII, with the house at 0x7F.
  " !\"#$%&'()*+,-./",
  "0123456789:;<=>?",
  "@ABCDEFGHIJKLMNO",
  "PQRSTUVWXYZ[\\]^_",
  "`abcdefghijklmno",
  "pqrstuvwxyz{|}~⌂",
  // 0x80-0xAF: accented Latin letters, currency, punctuation.
  "ÇüéâäàåçêëèïîìÄÅ",
  "ÉæÆôöòûùÿÖÜ¢£¥₧ƒ",
  "áíóúñÑªº¿⌐¬½¼¡«»",
  // 0xB0-0xDF: shades, single/double box drawing, blocks.
  "░▒▓│┤╡╢╖╕╣║╗╝╜╛┐",
  "└┴┬├─┼╞╟╚╔╩╦╠═╬╧",
  "╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀",
  // 0xE0-0xFF: Greek letters and mathematical symbols, 0xFF no-break space.
  "αßΓπΣσµτΦΘΩδ∞φε∩",
  "≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0",
];

function buildTable(): readonly string[] {
  const table: string[] = [];
  for (const row of ROWS) {
    // Every glyph above is a single UTF-16 code unit, so indexing is safe.
    for (let i = 0; i < row.length; i++) table.push(row.charAt(i));
  }
  if (table.length !== 256) throw new Error(`cp437: table has ${table.length} entries, expected 256`);
  return Object.freeze(table);
}

/** CP437_TO_UNICODE[byte] is the one-character string the VGA ROM draws for `byte`. */
export const CP437_TO_UNICODE: readonly string[] = buildTable();

/** The Unicode character drawn for a CP437 byte (only the low 8 bits are used). */
export function cp437ToUnicode(byte: number): string {
  return CP437_TO_UNICODE[byte & 0xff] as string;
}

let reverse: Map<string, number> | undefined;

/**
 * The CP437 byte that draws `ch`, or undefined if CP437 has no such glyph.
 * A space maps to 0x20 (not to the blank at 0x00).
 */
export function unicodeToCp437(ch: string): number | undefined {
  if (!reverse) {
    reverse = new Map();
    // 0x00 is skipped: it draws the same blank as 0x20, and text should
    // encode to the printable space.
    for (let code = 255; code >= 1; code--) reverse.set(CP437_TO_UNICODE[code] as string, code);
  }
  return reverse.get(ch);
}

/** Decode a run of CP437 bytes into a Unicode string. */
export function decodeCp437(bytes: ArrayLike<number>): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += cp437ToUnicode(bytes[i] as number);
  return out;
}

/**
 * The 16 text-mode colours as CSS hex strings, indexed by the 4-bit colour
 * number of an attribute byte (foreground = low nibble, background = bits
 * 4-7). These are the VGA BIOS defaults for mode 3, where index 6 is brown
 * (#AA5500) rather than dark yellow.
 */
export const VGA_PALETTE: readonly string[] = Object.freeze([
  "#000000", // 0 black
  "#0000aa", // 1 blue
  "#00aa00", // 2 green
  "#00aaaa", // 3 cyan
  "#aa0000", // 4 red
  "#aa00aa", // 5 magenta
  "#aa5500", // 6 brown
  "#aaaaaa", // 7 light grey
  "#555555", // 8 dark grey
  "#5555ff", // 9 light blue
  "#55ff55", // 10 light green
  "#55ffff", // 11 light cyan
  "#ff5555", // 12 light red
  "#ff55ff", // 13 light magenta
  "#ffff55", // 14 yellow
  "#ffffff", // 15 white
]);
