// A model of the shell's line editor (user/lib/rledit.c) and a small
// terminal to check what it draws, for user/ulib.test.ts: random key
// sequences go to the C editor (through the host driver) and to this model,
// and after every key the buffer, the cursor and the screen must agree.

export const PROMPT = "$ ";
const LINE_LIMIT = 1022; // RL_LINE_MAX - 2
const HISTORY_MAX = 100;
const COMMANDS = ["cat", "cd", "echo", "ecko", "sh", "sleep", "spin"];
const PATHS: [string, boolean][] = [["dir", true], ["docs", true], ["file", false], ["fé", false]];

const enc = new TextEncoder();
const bytesOf = (s: string): number[] => [...enc.encode(s)];
const isCont = (b: number): boolean => (b & 0xc0) === 0x80;
const isSpace = (b: number): boolean => b === 0x20 || b === 0x09;
const isBreak = (b: number): boolean => " \t|;&<>".includes(String.fromCharCode(b));

/** A key: the bytes a terminal sends for it, and its name for messages. */
export interface Key {
  name: string;
  bytes: number[];
}

const k = (name: string, s: string | number[]): Key => ({ name, bytes: typeof s === "string" ? bytesOf(s) : s });

export const KEYS = {
  left: [k("Left", "\x1b[D"), k("Ctrl-B", "\x02"), k("Left(SS3)", "\x1bOD")],
  right: [k("Right", "\x1b[C"), k("Ctrl-F", "\x06")],
  home: [k("Home", "\x1b[H"), k("Ctrl-A", "\x01"), k("Home(1~)", "\x1b[1~")],
  end: [k("End", "\x1b[F"), k("Ctrl-E", "\x05"), k("End(4~)", "\x1b[4~")],
  backspace: [k("Backspace", [0x7f]), k("Ctrl-H", "\x08")],
  delete: [k("Delete", "\x1b[3~")],
  ctrlD: [k("Ctrl-D", "\x04")],
  ctrlW: [k("Ctrl-W", "\x17")],
  ctrlU: [k("Ctrl-U", "\x15")],
  ctrlK: [k("Ctrl-K", "\x0b")],
  ctrlY: [k("Ctrl-Y", "\x19")],
  ctrlL: [k("Ctrl-L", "\x0c")],
  ctrlC: [k("Ctrl-C", "\x03")],
  wordLeft: [k("Alt-b", "\x1bb"), k("Ctrl-Left", "\x1b[1;5D")],
  wordRight: [k("Alt-f", "\x1bf"), k("Ctrl-Right", "\x1b[1;5C")],
  up: [k("Up", "\x1b[A"), k("Ctrl-P", "\x10")],
  down: [k("Down", "\x1b[B"), k("Ctrl-N", "\x0e")],
  enter: [k("Enter", "\r")],
  tab: [k("Tab", "\t")],
  ignored: [k("PageUp", "\x1b[5~"), k("Ctrl-Z", "\x1a"), k("Alt-x", "\x1bx")],
  stray: [k("stray continuation", [0x80])],
};
export type Action = keyof typeof KEYS | "insert" | "cut";

export class EditorModel {
  buf: number[] = [];
  pos = 0;
  history: number[][] = [];
  hindex = 0;
  scratch: number[] = [];
  kill: number[] = [];
  tabs = 0;
  /** Set by a Tab that lists the candidates (the prompt moves down). */
  listed = false;

  constructor(history: string[]) {
    for (const line of history) this.addHistory(bytesOf(line));
    this.begin();
  }

  begin(): void {
    this.buf = [];
    this.pos = 0;
    this.hindex = this.history.length;
    this.scratch = [];
    this.tabs = 0;
  }

  addHistory(line: number[]): void {
    if (line.every(isSpace)) return;
    const last = this.history[this.history.length - 1];
    if (last && last.length === line.length && last.every((b, i) => b === line[i])) return;
    this.history.push([...line]);
    if (this.history.length > HISTORY_MAX) this.history.shift();
  }

  prev(p: number): number {
    if (p <= 0) return 0;
    p--;
    while (p > 0 && isCont(this.buf[p]!)) p--;
    return p;
  }
  next(p: number): number {
    if (p >= this.buf.length) return this.buf.length;
    p++;
    while (p < this.buf.length && isCont(this.buf[p]!)) p++;
    return p;
  }
  wordLeft(p: number): number {
    while (p > 0 && isSpace(this.buf[p - 1]!)) p--;
    while (p > 0 && !isSpace(this.buf[p - 1]!)) p--;
    return p;
  }
  wordRight(p: number): number {
    while (p < this.buf.length && isSpace(this.buf[p]!)) p++;
    while (p < this.buf.length && !isSpace(this.buf[p]!)) p++;
    return p;
  }
  insert(bytes: number[]): void {
    if (this.buf.length + bytes.length > LINE_LIMIT) return;
    this.buf.splice(this.pos, 0, ...bytes);
    this.pos += bytes.length;
  }
  remove(from: number, to: number, keep: boolean): void {
    if (to <= from) return;
    const gone = this.buf.splice(from, to - from);
    if (keep) this.kill = gone;
    this.pos = from;
  }
  historyMove(delta: number): void {
    const to = this.hindex + delta;
    if (to < 0 || to > this.history.length) return;
    if (this.hindex === this.history.length) this.scratch = [...this.buf];
    this.hindex = to;
    this.buf = [...(to === this.history.length ? this.scratch : this.history[to]!)];
    this.pos = this.buf.length;
  }

  /** Completion against the driver's fixed names (user/test/driver.c). */
  complete(): void {
    let word = this.pos;
    while (word > 0 && !isBreak(this.buf[word - 1]!)) word--;
    let base = this.pos;
    while (base > word && this.buf[base - 1] !== 0x2f) base--;
    let command = !this.buf.slice(word, this.pos).includes(0x2f);
    if (command) {
      let i = word;
      while (i > 0 && isSpace(this.buf[i - 1]!)) i--;
      command = i === 0 || "|;&".includes(String.fromCharCode(this.buf[i - 1]!));
    }
    const typed = this.buf.slice(base, this.pos);
    const startsWith = (name: number[]): boolean => typed.every((b, i) => name[i] === b);
    const cands = (command ? COMMANDS.map((c): [string, boolean] => [c, false]) : PATHS)
      .map(([n, d]): [number[], boolean] => [bytesOf(n), d])
      .filter(([n]) => startsWith(n));
    if (cands.length === 0) return;
    if (cands.length === 1) {
      const [name, dir] = cands[0]!;
      this.insert([...name.slice(typed.length), dir ? 0x2f : 0x20]);
      return;
    }
    let common = cands[0]![0].length;
    for (const [n] of cands.slice(1)) {
      let j = 0;
      while (j < common && n[j] === cands[0]![0][j]) j++;
      common = j;
    }
    while (common > typed.length && isCont(cands[0]![0][common]!)) common--;
    if (common > typed.length) this.insert(cands[0]![0].slice(typed.length, common));
    else if (this.tabs >= 2) this.listed = true;
  }

  /** Applies one key; returns the driver's result code (rledit.h RL_*). */
  apply(action: Action, insertBytes: number[] = []): number {
    this.listed = false;
    if (action !== "tab" && action !== "stray") this.tabs = 0;
    switch (action) {
      case "insert": this.insert(insertBytes); return 0;
      case "cut": this.insert(insertBytes.slice(1)); return 0; // a lead byte, then ASCII: the lead is dropped
      case "left": this.pos = this.prev(this.pos); return 0;
      case "right": this.pos = this.next(this.pos); return 0;
      case "home": this.pos = 0; return 0;
      case "end": this.pos = this.buf.length; return 0;
      case "backspace": this.remove(this.prev(this.pos), this.pos, false); return 0;
      case "delete": this.remove(this.pos, this.next(this.pos), false); return 0;
      case "ctrlD":
        if (this.buf.length === 0) { this.begin(); return 2; }
        this.remove(this.pos, this.next(this.pos), false);
        return 0;
      case "ctrlW": this.remove(this.wordLeft(this.pos), this.pos, true); return 0;
      case "ctrlU": this.remove(0, this.pos, true); return 0;
      case "ctrlK": this.remove(this.pos, this.buf.length, true); return 0;
      case "ctrlY": if (this.kill.length > 0) this.insert(this.kill); return 0;
      case "ctrlL": return 0;
      case "ctrlC": this.begin(); return 3;
      case "wordLeft": this.pos = this.wordLeft(this.pos); return 0;
      case "wordRight": this.pos = this.wordRight(this.pos); return 0;
      case "up": this.historyMove(-1); return 0;
      case "down": this.historyMove(1); return 0;
      case "enter": this.addHistory(this.buf); this.begin(); return 1;
      case "tab": this.tabs++; this.complete(); return 4;
      case "ignored": return 0;
      case "stray": return 0;
    }
  }
}

/** A terminal of `cols` columns and unbounded rows, with deferred wrap:
 *  what xterm.js does with the controls the editor writes. */
export class Terminal {
  rows: string[][] = [];
  row = 0;
  col = 0;
  pendingWrap = false;
  private saved: [number, number] = [0, 0];
  private decoder = new TextDecoder();
  private esc: number[] | null = null;

  constructor(readonly cols: number) {}

  private line(r: number): string[] {
    while (this.rows.length <= r) this.rows.push([]);
    return this.rows[r]!;
  }

  write(bytes: Uint8Array): void {
    let text = "";
    const flush = (): void => {
      for (const ch of text) this.put(ch);
      text = "";
    };
    for (const b of bytes) {
      if (this.esc !== null) {
        this.esc.push(b);
        const seq = this.esc;
        if (seq.length === 1 && seq[0] !== 0x5b) {
          if (b === 0x37) this.saved = [this.row, this.col];
          if (b === 0x38) [this.row, this.col] = this.saved;
          this.esc = null;
        } else if (seq.length > 1 && b >= 0x40 && b <= 0x7e) {
          this.csi(String.fromCharCode(...seq.slice(1, -1)), String.fromCharCode(b));
          this.esc = null;
        }
        continue;
      }
      if (b >= 0x20) {
        text += this.decoder.decode(Uint8Array.of(b), { stream: true });
        continue;
      }
      flush();
      if (b === 0x1b) this.esc = [];
      else if (b === 0x0d) { this.col = 0; this.pendingWrap = false; }
      else if (b === 0x0a) { this.row++; this.pendingWrap = false; }
      else if (b === 0x08) {
        if (this.pendingWrap) { this.pendingWrap = false; this.col = Math.max(0, this.cols - 2); }
        else if (this.col > 0) this.col--;
      }
    }
    flush();
  }

  private put(ch: string): void {
    if (this.pendingWrap) { this.row++; this.col = 0; this.pendingWrap = false; }
    this.line(this.row)[this.col] = ch;
    if (this.col === this.cols - 1) this.pendingWrap = true;
    else this.col++;
  }

  private csi(params: string, final: string): void {
    const p = params.split(";").map((x) => (x === "" ? 0 : Number(x)));
    const n = Math.max(p[0] ?? 0, 1);
    this.pendingWrap = false;
    switch (final) {
      case "A": this.row = Math.max(0, this.row - n); break;
      case "B": this.row += n; break;
      case "C": this.col = Math.min(this.cols - 1, this.col + n); break;
      case "D": this.col = Math.max(0, this.col - n); break;
      case "H": this.row = Math.max(1, p[0] ?? 1) - 1; this.col = Math.max(1, p[1] ?? 1) - 1; break;
      case "J":
        if ((p[0] ?? 0) === 2) this.rows = [];
        else {
          this.line(this.row).length = Math.min(this.line(this.row).length, this.col);
          this.rows.length = Math.min(this.rows.length, this.row + 1);
        }
        break;
      case "K": this.line(this.row).length = Math.min(this.line(this.row).length, this.col); break;
      default: break; // the width question (6n) has no answer here
    }
  }

  /** Row r as text, unwritten cells as spaces, trailing spaces dropped. */
  text(r: number): string {
    return Array.from(this.rows[r] ?? [], (c) => c ?? " ").join("").replace(/ +$/, "");
  }
}

/** The rows prompt + line take at `cols` columns (narrow characters only). */
export function wrapped(line: string, cols: number): string[] {
  const chars = [...(PROMPT + line)];
  const rows: string[] = [];
  for (let i = 0; i < chars.length; i += cols) rows.push(chars.slice(i, i + cols).join(""));
  if (chars.length % cols === 0) rows.push("");
  return rows.map((r) => r.replace(/ +$/, ""));
}

/** Columns from the prompt's start to byte offset pos of line (narrow). */
export function columnsTo(buf: number[], pos: number): number {
  return [...PROMPT].length + buf.slice(0, pos).filter((b) => !isCont(b)).length;
}
