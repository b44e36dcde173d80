// The console's line discipline (ABI.md): input is edited a line at a time
// and echoed; Backspace/DEL erase a character (a whole UTF-8 sequence),
// Ctrl-U kills the line, Ctrl-D ends input (a read at the start of a line
// returns 0), and a read returns at most one line. Ctrl-] switches the
// console between user programs and the kernel monitor, which stays
// reachable as a debug console.
//
// Received bytes wait in the type-ahead ring, unechoed, until a reader
// wants them: a cooked reader (one waiting, or one whose read finds no
// line ready) has them edited and echoed a line at a time, so what is
// typed while a program runs appears after the next prompt, in order, and
// each pasted line is echoed when it is read. In raw mode (ttySetRaw, the
// C library's readline) the owner's reads take the type-ahead bytes as
// they are, unechoed and unedited, as many as are there.
//
// The console is the controlling terminal of at most one session and has a
// foreground process group (docs/processes.md "Signals and job control").
// Ctrl-C, Ctrl-\ and Ctrl-Z discard the line being typed and everything
// typed and not yet read and queue SIGINT, SIGQUIT or SIGTSTP for the
// foreground group, in both modes; a cooked console echoes ^C, ^\ or ^Z,
// a raw one passes the key on as a byte so its reader can redraw. The run
// loop (main.ts) takes the signals with ttyTakeSignals() and sends them,
// so this driver needs no process layer.
// Relies on: dev/console (received bytes), lib/print (echo), sys/monitor.

import { KSTATE_TTY } from "../lib/layout";
import { consoleGet, consoleFind, consoleDrop } from "./console";
import { emit, printStr, printFlush } from "../lib/print";
import { monitorFeed, monitorPrompt, monitorStopped } from "../sys/monitor";

export const TTY_LINE_MAX: u32 = 255;
export const TTY_COOKED_SIZE: u32 = 1024;    // power of two
export const TTY_TYPEAHEAD_SIZE: u32 = 2048; // power of two
export const KEY_MONITOR: u32 = 0x1D; // Ctrl-]
const KEY_BS: u32 = 0x08;
const KEY_DEL: u32 = 0x7F;
const KEY_NAK: u32 = 0x15; // Ctrl-U
const KEY_EOT: u32 = 0x04; // Ctrl-D
const KEY_ESC: u32 = 0x1B;
const KEY_INTR: u32 = 0x03; // Ctrl-C
const KEY_QUIT: u32 = 0x1C; // Ctrl-\
const KEY_SUSP: u32 = 0x1A; // Ctrl-Z
// The signals those keys raise (proc/signal.ts numbers; fixed by the ABI).
export const TTY_SIGINT: u32 = 2;
export const TTY_SIGQUIT: u32 = 3;
export const TTY_SIGTSTP: u32 = 20;

export const TTY_COOKED: u32 = 0;
export const TTY_RAW: u32 = 1;

const LINE_OFF: usize = 0x100;      // TTY_LINE_MAX bytes
const COOKED_OFF: usize = 0x400;    // TTY_COOKED_SIZE bytes
const TYPEAHEAD_OFF: usize = 0x800; // TTY_TYPEAHEAD_SIZE bytes, to the end of the 4 KiB record

export const MODE_MONITOR: u32 = 0;
export const MODE_USER: u32 = 1;

@unmanaged class TtyState {
  mode: u32;
  userAvailable: u32; // user programs exist; otherwise the monitor owns the console
  lineLen: u32;
  escape: u32;
  head: u32;          // cooked ring: next byte to read
  tail: u32;          //              next free byte
  lines: u32;         // delimiters in the ring: newlines and Ctrl-D marks
  session: i32;       // the session the console controls (0: none)
  foreground: i32;    // its foreground process group (0: none)
  signals: u32;       // raised by keys, not yet sent: bit sig-1
  typeHead: u32;      // type-ahead ring: next byte to edit or read
  typeTail: u32;      //                  next free byte
  raw: u32;           // TTY_COOKED or TTY_RAW
  rawOwner: i32;      // the pid that set raw mode (it ends with that process)
  reading: u32;       // a cooked reader waits: edit and echo input as it comes
}
// @ts-ignore: decorator
@inline function state(): TtyState { return changetype<TtyState>(KSTATE_TTY); }
// @ts-ignore: decorator
@inline function lineAt(i: u32): usize { return KSTATE_TTY + LINE_OFF + <usize>i; }
// @ts-ignore: decorator
@inline function cookedAt(i: u32): usize { return KSTATE_TTY + COOKED_OFF + <usize>(i & (TTY_COOKED_SIZE - 1)); }
// @ts-ignore: decorator
@inline function typeAt(i: u32): usize { return KSTATE_TTY + TYPEAHEAD_OFF + <usize>(i & (TTY_TYPEAHEAD_SIZE - 1)); }
// @ts-ignore: decorator
@inline function isContinuation(b: u32): bool { return (b & 0xC0) == 0x80; }

export function ttyInit(userAvailable: bool): void {
  const s = state();
  s.mode = userAvailable ? MODE_USER : MODE_MONITOR;
  s.userAvailable = userAvailable ? 1 : 0;
  s.lineLen = 0; s.escape = 0; s.head = 0; s.tail = 0; s.lines = 0;
  s.session = 0; s.foreground = 0; s.signals = 0;
  s.typeHead = 0; s.typeTail = 0; s.raw = TTY_COOKED; s.rawOwner = 0; s.reading = 0;
}

export function ttySession(): i32 { return state().session; }
export function ttyForeground(): i32 { return state().foreground; }
/** Makes the console the controlling terminal of session sid (0: of none)
 *  with foreground group pgid. The caller (sys/signals.ts) checked the rules. */
export function ttySetControl(sid: i32, pgid: i32): void {
  const s = state();
  s.session = sid;
  s.foreground = sid == 0 ? 0 : pgid;
}

/** The signals the keys raised since the last call (bit sig-1), cleared. */
export function ttyTakeSignals(): u32 {
  const s = state();
  const bits = s.signals;
  s.signals = 0;
  return bits;
}

function typeCount(): u32 { const s = state(); return s.typeTail - s.typeHead; }

function typePut(c: u32): void {
  const s = state();
  store<u8>(typeAt(s.typeTail), <u8>c);
  s.typeTail++;
}

/** A signal key: drop what was typed and not read (a real terminal flushes
 *  its input queue), raise the signal, and echo the key (cooked) or hand it
 *  to the raw reader. */
function ttySignalKey(key: u32, sig: u32, echo: string): void {
  const s = state();
  s.lineLen = 0;
  s.escape = 0;
  s.head = s.tail;
  s.lines = 0;
  s.typeHead = s.typeTail;
  s.reading = 0;
  if (s.raw == TTY_RAW) typePut(key);
  else { printStr(echo); emit(0x0A); }
  if (s.foreground > 0) s.signals |= 1 << (sig - 1);
}

export function ttyMode(): u32 { return state().mode; }

/** User land is gone for good (init cannot run): the monitor takes the console. */
export function ttyEnterMonitor(): void {
  const s = state();
  s.mode = MODE_MONITOR;
  s.userAvailable = 0;
  monitorPrompt();
}

/** Routes received bytes to the monitor or the type-ahead ring. Returns
 *  true when a reader should look again: a complete line (or end of file)
 *  became readable, raw input arrived, or a signal key flushed the input. */
export function ttyPoll(): bool {
  const s = state();
  let ready = false;
  while (!monitorStopped()) {
    if (typeCount() >= TTY_TYPEAHEAD_SIZE) {
      // A full type-ahead ring leaves the rest in the console's ring and
      // the UART (nothing is lost) until a reader makes room; but a signal
      // key waiting there acts now: what was typed before it would be
      // dropped by it anyway.
      if (s.mode != MODE_USER) break;
      const at = consoleFind(KEY_INTR, KEY_QUIT, KEY_SUSP);
      if (at < 0) break;
      consoleDrop(<u32>at);
    }
    const b = consoleGet();
    if (b < 0) break;
    const c = <u32>b;
    if (c == KEY_MONITOR && s.userAvailable != 0) {
      s.mode = s.mode == MODE_USER ? MODE_MONITOR : MODE_USER;
      if (s.mode == MODE_MONITOR) {
        printStr("\n[kernel monitor: Ctrl-] returns to the shell]\n");
        monitorPrompt();
      } else {
        printStr("\n[back to user programs]\n");
      }
      continue;
    }
    if (s.mode == MODE_MONITOR) { monitorFeed(c); continue; }
    if (c == KEY_INTR) { ttySignalKey(c, TTY_SIGINT, "^C"); ready = true; continue; }
    if (c == KEY_QUIT) { ttySignalKey(c, TTY_SIGQUIT, "^\\"); ready = true; continue; }
    if (c == KEY_SUSP) { ttySignalKey(c, TTY_SIGTSTP, "^Z"); ready = true; continue; }
    typePut(c);
    if (s.raw == TTY_RAW) ready = true;
  }
  if (s.raw == TTY_COOKED && s.reading != 0 && cook()) ready = true;
  printFlush();
  return ready;
}

/** Edits and echoes type-ahead bytes until a line is complete (true) or
 *  none are left. Called for a reader only: input nobody reads stays
 *  unechoed in the ring. */
function cook(): bool {
  const s = state();
  while (s.typeHead != s.typeTail) {
    const c = <u32>load<u8>(typeAt(s.typeHead));
    s.typeHead++;
    if (ttyInput(c)) { s.reading = 0; return true; }
  }
  return false;
}

function cookedPut(c: u32): bool {
  const s = state();
  if (s.tail - s.head >= TTY_COOKED_SIZE) return false;
  store<u8>(cookedAt(s.tail), <u8>c);
  s.tail++;
  return true;
}

/** Ring markers: neither can be typed as data (control bytes are filtered). */
const MARK_EOF: u32 = 0x04;  // Ctrl-D at the start of a line: a read returns 0
const MARK_PUSH: u32 = 0x00; // Ctrl-D after some text: the text is a line without '\n'

/** Edits one input byte; true when a line was completed. */
function ttyInput(c: u32): bool {
  const s = state();
  if (s.escape == 1) { s.escape = c == 0x5B ? 2 : 0; return false; }
  if (s.escape == 2) { if (c >= 0x40 && c <= 0x7E) s.escape = 0; return false; }
  if (c == KEY_ESC) { s.escape = 1; return false; }
  if (c == 0x0D || c == 0x0A || c == KEY_EOT) {
    // The ring keeps one byte for the delimiter; a full ring drops the line.
    if (s.tail - s.head + s.lineLen + 1 > TTY_COOKED_SIZE) { emit(0x07); return false; }
    if (c != KEY_EOT) emit(0x0A);
    for (let i: u32 = 0; i < s.lineLen; i++) cookedPut(<u32>load<u8>(lineAt(i)));
    cookedPut(c != KEY_EOT ? 0x0A : s.lineLen == 0 ? MARK_EOF : MARK_PUSH);
    s.lineLen = 0;
    s.lines++;
    return true;
  }
  if (c == KEY_BS || c == KEY_DEL) {
    if (s.lineLen > 0) { eraseChar(); printStr("\b \b"); }
    return false;
  }
  if (c == KEY_NAK) {
    while (s.lineLen > 0) { eraseChar(); printStr("\b \b"); }
    return false;
  }
  // Printable ASCII, tab, and the bytes of UTF-8 sequences (passed through).
  if (c == 0x09 || (c >= 0x20 && c <= 0x7E) || c >= 0x80) {
    if (s.lineLen >= TTY_LINE_MAX) { emit(0x07); return false; }
    store<u8>(lineAt(s.lineLen), <u8>c);
    s.lineLen++;
    emit(c);
  }
  return false;
}

/** Drops the line's last character: its UTF-8 continuation bytes and lead. */
function eraseChar(): void {
  const s = state();
  let n = s.lineLen;
  while (n > 0) {
    n--;
    if (!isContinuation(<u32>load<u8>(lineAt(n)))) break;
  }
  s.lineLen = n;
}

/** Puts a byte back at the front of the type-ahead ring; false when full. */
function typeUnget(c: u32): bool {
  const s = state();
  if (typeCount() >= TTY_TYPEAHEAD_SIZE) return false;
  s.typeHead--;
  store<u8>(typeAt(s.typeHead), <u8>c);
  return true;
}

/** Entering raw mode: lines edited for a cooked reader but not read, and
 *  the line being typed, go back to the front of the type-ahead (Ctrl-D
 *  marks as the Ctrl-D byte), so the raw reader sees everything in order. */
function uncook(): void {
  const s = state();
  let i = s.lineLen;
  while (i > 0) { i--; typeUnget(<u32>load<u8>(lineAt(i))); }
  let j = s.tail;
  while (j != s.head) {
    j--;
    const c = <u32>load<u8>(cookedAt(j));
    typeUnget(c == MARK_EOF || c == MARK_PUSH ? KEY_EOT : c);
  }
  s.lineLen = 0; s.escape = 0; s.head = s.tail; s.lines = 0;
}

export function ttyRawMode(): u32 { return state().raw; }
export function ttyRawOwner(): i32 { return state().rawOwner; }

/** Sets the console's mode (TTY_COOKED or TTY_RAW) for pid; returns the
 *  mode before. The caller (sys/signals.ts) checked the rules. */
export function ttySetRaw(mode: u32, pid: i32): u32 {
  const s = state();
  const before = s.raw;
  if (mode == TTY_RAW && before != TTY_RAW) uncook();
  s.raw = mode;
  s.rawOwner = mode == TTY_RAW ? pid : 0;
  s.reading = 0;
  return before;
}

/** A process ended: raw mode it set ends with it (so a shell that dies
 *  mid-line does not leave the next reader without echo). */
export function ttyProcessGone(pid: i32): void {
  const s = state();
  if (s.raw == TTY_RAW && s.rawOwner == pid) ttySetRaw(TTY_COOKED, 0);
}

export const TTY_WOULD_BLOCK: i32 = -1;

/** Bytes the next read of up to n bytes would return (0 at end of file),
 *  or TTY_WOULD_BLOCK. A cooked read that must wait makes the console edit
 *  and echo input as it arrives. */
export function ttyReadable(n: u32): i32 {
  const s = state();
  if (s.raw == TTY_RAW) {
    const count = typeCount();
    return count == 0 ? TTY_WOULD_BLOCK : <i32>min<u32>(count, n);
  }
  if (s.lines == 0) cook();
  printFlush();
  if (s.lines == 0) { s.reading = 1; return TTY_WOULD_BLOCK; }
  let count: u32 = 0;
  for (let i = s.head; i != s.tail && count < n; i++) {
    const c = <u32>load<u8>(cookedAt(i));
    if (c == MARK_EOF || c == MARK_PUSH) break;
    count++;
    if (c == 0x0A) break;
  }
  return <i32>count;
}

/** Reads at most one line (up to n bytes) into dst, or in raw mode up to n
 *  type-ahead bytes. Returns the count, 0 at end of file, or
 *  TTY_WOULD_BLOCK when nothing is ready. */
export function ttyRead(dst: usize, n: u32): i32 {
  const s = state();
  if (s.raw == TTY_RAW) {
    let got: u32 = 0;
    while (got < n && s.typeHead != s.typeTail) {
      store<u8>(dst + got, load<u8>(typeAt(s.typeHead)));
      s.typeHead++;
      got++;
    }
    return got == 0 ? TTY_WOULD_BLOCK : <i32>got;
  }
  if (s.lines == 0) cook();
  printFlush();
  if (s.lines == 0) { s.reading = 1; return TTY_WOULD_BLOCK; }
  let count: u32 = 0;
  while (s.head != s.tail && count < n) {
    const c = <u32>load<u8>(cookedAt(s.head));
    if (c == MARK_EOF) {
      if (count == 0) { s.head++; s.lines--; }
      return <i32>count;
    }
    s.head++;
    if (c == MARK_PUSH) { s.lines--; return <i32>count; }
    store<u8>(dst + count, <u8>c);
    count++;
    if (c == 0x0A) { s.lines--; return <i32>count; }
  }
  return <i32>count;
}
