// Keys as the bytes a terminal sends for them, for the places on the page
// that take keys without xterm.js: the VGA screen (web/vga-input.ts) and the
// phone key bar (web/keybar.ts). The console itself is xterm's, which makes
// the same bytes (VT100 / xterm conventions: arrows as ESC [ A, Backspace as
// DEL, Ctrl-letter as the letter's control code).

/** The parts of a KeyboardEvent the mapping reads. */
export interface KeyLike {
  key: string;
  ctrlKey?: boolean;
  altKey?: boolean;
  metaKey?: boolean;
}

const NAMED: Readonly<Record<string, string>> = {
  Enter: "\r",
  Backspace: "\x7f",
  Tab: "\t",
  Escape: "\x1b",
  ArrowUp: "\x1b[A",
  ArrowDown: "\x1b[B",
  ArrowRight: "\x1b[C",
  ArrowLeft: "\x1b[D",
  Home: "\x1b[H",
  End: "\x1b[F",
  Delete: "\x1b[3~",
  PageUp: "\x1b[5~",
  PageDown: "\x1b[6~",
};

/** The control code of `char` with Ctrl held (Ctrl-C is 0x03, Ctrl-] 0x1d,
 *  Ctrl-Space NUL), or null when Ctrl does not change it. */
export function controlCode(char: string): string | null {
  if (char.length !== 1) return null;
  const code = char.toUpperCase().charCodeAt(0);
  if (code >= 0x40 && code <= 0x5f) return String.fromCharCode(code - 0x40); // @ A-Z [ \ ] ^ _
  if (char === " " || char === "2") return "\x00";
  if (char === "?") return "\x7f";
  return null;
}

/** The bytes for one key press, or null for a key that types nothing
 *  (Shift alone, F-keys, a shortcut with Meta held). */
export function keyBytes(event: KeyLike): string | null {
  if (event.metaKey) return null;
  const named = NAMED[event.key];
  if (named !== undefined) {
    if (event.ctrlKey && event.key === "Backspace") return "\x08";
    return event.altKey ? `\x1b${named}` : named;
  }
  if ([...event.key].length !== 1) return null;
  let bytes = event.key;
  if (event.ctrlKey) {
    const control = controlCode(event.key);
    if (control === null) return null;
    bytes = control;
  }
  return event.altKey ? `\x1b${bytes}` : bytes;
}

/** What the sticky Ctrl of the key bar does to the next text typed: its
 *  first character becomes a control code when it has one. */
export function withControl(data: string): string {
  const first = [...data][0];
  if (first === undefined) return data;
  const control = controlCode(first);
  return control === null ? data : control + data.slice(first.length);
}
