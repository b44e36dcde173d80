// The Debugger panel's pure pieces (docs/debugging.md, "The Debugger
// panel"), shared by the worker side (web/debug-worker.ts) and the panel
// (web/panels/debug-panel.ts): symbols of a program, the disassembly window
// around pc, which instruction is a call (step over), the stack's words,
// memory rows in hex and ASCII, and which registers a step changed.

import { disassemble, instructionLength } from "../host/rv/disasm.js";
import { readSymbols } from "../host/rv/elf.js";
import { registerName } from "../host/rv/asm.js";

/** x0..x31 with their ABI names, then pc: the rows of the register view. */
export const REGISTER_NAMES: readonly string[] = [
  ...Array.from({ length: 32 }, (_, i) => `x${i} ${registerName(i)}`), "pc",
];

export interface Symbol {
  name: string;
  addr: bigint;
  /** 0: up to the next symbol (assembly labels such as _start have no size). */
  size: bigint;
  func: boolean;
}

/** A program's symbols, sorted by address, for "main+12" names. */
export class SymbolTable {
  readonly symbols: Symbol[];

  constructor(symbols: Symbol[]) {
    this.symbols = [...symbols].sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0));
  }

  /** The functions and objects of an ELF's .symtab (compiler labels such as
   *  .LBB1_12 left out); an empty table when the file has none or is not an ELF. */
  static fromElf(bytes: Uint8Array): SymbolTable {
    let raw: ReturnType<typeof readSymbols> = [];
    try {
      raw = readSymbols(bytes);
    } catch {
      raw = [];
    }
    const symbols = raw
      .filter((s) => s.shndx !== 0 && s.type <= 2 && !s.name.startsWith(".L") && !s.name.startsWith("$"))
      .map((s) => ({ name: s.name, addr: s.value, size: s.size, func: s.type === 2 || (s.type === 0 && s.size === 0n) }));
    return new SymbolTable(symbols);
  }

  get size(): number {
    return this.symbols.length;
  }

  /** The symbol addr falls in: the last one at or below it, if addr is
   *  inside its size (or, sizeless, before the next symbol). */
  containing(addr: bigint): Symbol | null {
    let lo = 0;
    let hi = this.symbols.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.symbols[mid]!.addr <= addr) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    if (found < 0) return null;
    // Several symbols at one address: prefer a function with a size.
    let s = this.symbols[found]!;
    for (let i = found; i >= 0 && this.symbols[i]!.addr === s.addr; i--) if (this.symbols[i]!.size > 0n) s = this.symbols[i]!;
    if (s.size > 0n) return addr < s.addr + s.size ? s : null;
    let next = found + 1;
    while (next < this.symbols.length && this.symbols[next]!.addr <= s.addr) next++;
    return next >= this.symbols.length || addr < this.symbols[next]!.addr ? s : null;
  }

  /** "main", "main+12", or null outside every symbol. */
  name(addr: bigint): string | null {
    const s = this.containing(addr);
    if (s === null) return null;
    const off = addr - s.addr;
    return off === 0n ? s.name : `${s.name}+${off}`;
  }

  /** Whether addr falls in a function (a return address on the stack). */
  inText(addr: bigint): boolean {
    return this.containing(addr)?.func === true;
  }
}

export interface DisasmLine {
  addr: bigint;
  /** 2 or 4 */
  length: number;
  bits: number;
  text: string;
  /** main+12, when known. */
  symbol: string | null;
}

/** Decodes the instructions of `bytes` (at `base`) starting at offset `from`. */
function decodeFrom(bytes: Uint8Array, base: bigint, from: number, symbols: SymbolTable, until = bytes.length): DisasmLine[] {
  const lines: DisasmLine[] = [];
  let at = from;
  while (at + 2 <= bytes.length && at < until) {
    const lo = bytes[at]! | (bytes[at + 1]! << 8);
    const length = instructionLength(lo);
    if (at + length > bytes.length) break;
    const bits = length === 2 ? lo : (lo | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
    const addr = base + BigInt(at);
    lines.push({ addr, length, bits, text: withTarget(disassemble(bits), addr, symbols), symbol: symbols.name(addr) });
    at += length;
  }
  return lines;
}

/** A branch or jump's `.+12` with its target's address and symbol after it. */
export function withTarget(text: string, addr: bigint, symbols: SymbolTable): string {
  const m = /([.])([+-])(\d+)$/.exec(text);
  if (m === null) return text;
  const target = BigInt.asUintN(64, addr + (m[2] === "-" ? -BigInt(m[3]!) : BigInt(m[3]!)));
  const name = symbols.name(target);
  return `${text.slice(0, m.index)}0x${target.toString(16)}${name === null ? "" : ` <${name}>`}`;
}

/**
 * The instructions around pc in `bytes` (memory at `base`, pc inside it).
 * RISC-V with compressed instructions cannot be decoded backwards, so the
 * decoding starts at pc's function when a symbol says where that is, and
 * otherwise at the earliest offset whose decoding lands exactly on pc; then
 * at most `before` lines before pc are kept.
 */
export function disassembleAround(bytes: Uint8Array, base: bigint, pc: bigint, symbols: SymbolTable, before = 8, after = 20): DisasmLine[] {
  const pcOff = Number(pc - base);
  if (pcOff < 0 || pcOff >= bytes.length) return [];
  const starts: number[] = [];
  const fn = symbols.containing(pc);
  if (fn !== null && fn.func && fn.addr >= base) starts.push(Number(fn.addr - base));
  for (let off = Math.max(pcOff % 2, pcOff - SYNC_BYTES); off <= pcOff; off += 2) starts.push(off);
  const start = starts.find((s) => s <= pcOff && landsOn(bytes, s, pcOff)) ?? pcOff;
  // Lines before pc are decoded only to find where they start; after pc, at most `after` instructions of 4 bytes.
  const lines = decodeFrom(bytes, base, start, symbols, pcOff + 4 * after);
  const at = lines.findIndex((l) => l.addr === pc);
  return lines.slice(Math.max(0, at - before), at + after);
}

/** Without a symbol, decoding starts at most this far before pc. */
const SYNC_BYTES = 64;

/** Whether decoding from offset `from` reaches offset `to` exactly. */
function landsOn(bytes: Uint8Array, from: number, to: number): boolean {
  let at = from;
  while (at < to) at += instructionLength(bytes[at]! | ((bytes[at + 1] ?? 0) << 8));
  return at === to;
}

/** Whether the instruction is a call (a jump that links ra or t0): step over runs it to its return. */
export function isCall(bits: number, length: number): boolean {
  if (length === 2) {
    // c.jalr rs1 (funct4 1001, rs2 0, rs1 != 0, op 10): links ra.
    return (bits & 0xf003) === 0x9002 && ((bits >>> 2) & 0x1f) === 0 && ((bits >>> 7) & 0x1f) !== 0;
  }
  const op = bits & 0x7f;
  const rd = (bits >>> 7) & 0x1f;
  return (op === 0x6f || (op === 0x67 && ((bits >>> 12) & 7) === 0)) && (rd === 1 || rd === 5);
}

export interface MemoryRow {
  addr: bigint;
  /** The row's bytes; null where memory is not readable. */
  bytes: (number | null)[];
}

/** Rows of `width` bytes from `addr` (null: a byte that is not readable). */
export function memoryRows(addr: bigint, data: (number | null)[], width = 16): MemoryRow[] {
  const rows: MemoryRow[] = [];
  for (let i = 0; i < data.length; i += width) rows.push({ addr: addr + BigInt(i), bytes: data.slice(i, i + width) });
  return rows;
}

/** One memory row as text: address, hex bytes (`??` unreadable), ASCII (`.` unprintable, ` ` unreadable). */
export function formatMemoryRow(row: MemoryRow): string {
  const hex = row.bytes.map((b) => (b === null ? "??" : b.toString(16).padStart(2, "0"))).join(" ");
  const ascii = row.bytes.map((b) => (b === null ? " " : b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".")).join("");
  return `${hex16(row.addr)}  ${hex}  ${ascii}`;
}

export function hex16(v: bigint): string {
  return v.toString(16).padStart(16, "0");
}

/** Parses an address typed in the panel: hex with or without 0x, a symbol, or symbol+offset. */
export function parseAddress(text: string, symbols: SymbolTable | null): bigint | null {
  return parseTarget(text, symbols)?.addr ?? null;
}

/** An address typed in the panel, and the bytes from there to the end of
 *  its symbol when it names one that has a size (what a watchpoint covers
 *  by default), or null. Offsets are decimal or 0x hex. */
export function parseTarget(text: string, symbols: SymbolTable | null): { addr: bigint; size: bigint | null } | null {
  const t = text.trim();
  if (/^(0x)?[0-9a-f]{1,16}$/i.test(t)) return { addr: BigInt(t.startsWith("0x") || t.startsWith("0X") ? t : `0x${t}`), size: null };
  const m = /^([A-Za-z_.$][\w.$]*)(?:\s*\+\s*(0x[0-9a-f]{1,16}|\d{1,19}))?$/i.exec(t);
  if (m === null) return null;
  const s = symbols?.symbols.find((x) => x.name === m[1]);
  if (s === undefined) return null;
  const offset = m[2] === undefined ? 0n : BigInt(m[2]);
  if (s.size > 0n && offset >= s.size) return null;
  return { addr: BigInt.asUintN(64, s.addr + offset), size: s.size > 0n ? s.size - offset : null };
}

/** The bytes of a watchpoint hit worth showing: up to 8 from the byte hit
 *  (fewer at the end of the range), as [offset into the range, length]. */
export function watchWindow(watchAddr: bigint, watchLen: number, hitAddr: bigint): [number, number] {
  const size = Math.min(8, watchLen);
  const into = hitAddr >= watchAddr && hitAddr < watchAddr + BigInt(watchLen) ? Number(hitAddr - watchAddr) : 0;
  return [Math.min(into, watchLen - size), size];
}

/** A watched value as the panel shows it: the little-endian number (decimal
 *  and hex), and its text when its bytes are printable; "unreadable" if a byte is. */
export function watchValueText(bytes: readonly (number | null)[]): string {
  if (bytes.length === 0 || bytes.includes(null)) return "unreadable";
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  const text = bytes.map((b) => String.fromCharCode(b!)).join("").replace(/\0+$/, "");
  const printable = text.length > 0 && /^[\x20-\x7e\n\t]+$/.test(text);
  return `${v} (0x${v.toString(16).padStart(bytes.length * 2, "0")})${printable ? ` ${JSON.stringify(text)}` : ""}`;
}

/** Which of the registers differ between two readings (indexes). */
export function changedRegisters(before: readonly string[] | null, now: readonly string[]): number[] {
  if (before === null || before.length !== now.length) return [];
  const out: number[] = [];
  for (let i = 0; i < now.length; i++) if (before[i] !== now[i]) out.push(i);
  return out;
}

/** A little-endian u64 of `bytes` at `at`, or null if any byte is missing. */
export function u64At(bytes: Uint8Array, at: number): bigint | null {
  if (at + 8 > bytes.length) return null;
  let v = 0n;
  for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(bytes[at + i]!);
  return v;
}
