// VGA text mode, 80x25: the CRTC registers a text-mode driver programs
// (through the index/data ports 0x3D4/0x3D5) and a view of the text buffer.
//
// The text buffer is ordinary guest RAM at VGA_TEXT: the guest writes cells
// (character byte, then attribute byte) with plain stores, and this device
// only reads them when the host asks for a frame. Nothing intercepts memory;
// `mmio` declares the range so the machine's memory map can reserve it.
//
// CRTC: registers 0x00-0x18 are stored and read back, initialised to the
// standard mode-3 values. The ones that change what is shown:
//   0x09 maximum scan line (bits 0-4 = character height - 1)
//   0x0A cursor start (bits 0-4 first scan line, bit 5 = cursor off)
//   0x0B cursor end   (bits 0-4 last scan line)
//   0x0C/0x0D start address high/low (in cells): the first cell shown
//   0x0E/0x0F cursor location high/low (in cells, same origin as 0x0C/0x0D)
// As on the card, register 0x11 bit 7 write-protects 0x00-0x07 (except the
// line-compare bit 4 of 0x07). A data access with the index past 0x18
// reads 0xFF and writes nothing.
//
// A 4-byte write to the index port acts like the 16-bit `outw(0x3D4,
// data << 8 | index)` drivers use: it selects the index and writes the data.
//
// Display memory wraps at 32 KiB (0xB8000-0xBFFFF, 16384 cells), so a start
// address near the top of the window shows its first cells again.

import { DeviceStateError, type Device, type Width } from "../device.js";
import { VGA_COLS, VGA_CRTC_DATA, VGA_CRTC_INDEX, VGA_ROWS, VGA_TEXT } from "../hw.js";
import { cp437ToUnicode } from "../cp437.js";

export const VGA_CELLS = VGA_COLS * VGA_ROWS;
export const VGA_TEXT_BYTES = VGA_CELLS * 2;
/** The text window the start address moves within: 0xB8000-0xBFFFF. */
export const VGA_WINDOW_CELLS = 0x4000;

export const CRTC_REGISTER_COUNT = 0x19;
export const CRTC_MAX_SCAN_LINE = 0x09;
export const CRTC_CURSOR_START = 0x0a;
export const CRTC_CURSOR_END = 0x0b;
export const CRTC_START_HIGH = 0x0c;
export const CRTC_START_LOW = 0x0d;
export const CRTC_CURSOR_HIGH = 0x0e;
export const CRTC_CURSOR_LOW = 0x0f;
export const CRTC_VERTICAL_RETRACE_END = 0x11;

export const CURSOR_DISABLE = 0x20;
const SCAN_LINE_MASK = 0x1f;
const WRITE_PROTECT = 0x80;
/** Registers 0x00-0x07 are protected by 0x11 bit 7; 0x07 bit 4 stays writable. */
const PROTECTED_LAST = 0x07;
const OVERFLOW_LINE_COMPARE_BIT = 0x10;

/** Mode 3 (80x25 colour text, 9x16 cells) CRTC values, as the VGA BIOS sets them. */
export const CRTC_MODE3: readonly number[] = Object.freeze([
  0x5f, 0x4f, 0x50, 0x82, 0x55, 0x81, 0xbf, 0x1f,
  0x00, 0x4f, 0x0d, 0x0e, 0x00, 0x00, 0x00, 0x00,
  0x9c, 0x8e, 0x8f, 0x28, 0x1f, 0x96, 0xb9, 0xa3,
  0xff,
]);

export interface VgaOptions {
  /** Current guest RAM; a getter because RAM is replaced on grow and reboot. */
  memory: () => ArrayBufferLike;
}

export interface VgaCursor {
  row: number;
  col: number;
  /** False when disabled (0x0A bit 5), off screen, or start line > end line. */
  visible: boolean;
  /** First and last scan line of the cursor inside the cell (CRTC 0x0A/0x0B). */
  start: number;
  end: number;
  /** Scan lines per character cell (CRTC 0x09 + 1). */
  cellHeight: number;
}

export interface VgaState {
  index: number;
  registers: number[];
}

export class VgaText implements Device {
  readonly name = "vga";
  readonly ports = { base: VGA_CRTC_INDEX, count: VGA_CRTC_DATA - VGA_CRTC_INDEX + 1 };
  readonly mmio = { base: VGA_TEXT, size: VGA_TEXT_BYTES };

  private index = 0;
  private registers: number[] = [...CRTC_MODE3];

  constructor(private readonly opts: VgaOptions) {}

  // ---- host side ----

  /** A copy of the 2000 visible cells, `char | attr << 8`, row-major from the start address. */
  cells(): Uint16Array {
    const out = new Uint16Array(VGA_CELLS);
    const ram = new Uint8Array(this.opts.memory());
    const start = this.startAddress();
    for (let i = 0; i < VGA_CELLS; i++) {
      const addr = VGA_TEXT + ((start + i) % VGA_WINDOW_CELLS) * 2;
      if (addr + 1 >= ram.length) continue; // RAM smaller than the window: nothing there
      out[i] = (ram[addr] as number) | ((ram[addr + 1] as number) << 8);
    }
    return out;
  }

  /** The hardware cursor, in screen coordinates. */
  cursor(): VgaCursor {
    const location = this.register16(CRTC_CURSOR_HIGH, CRTC_CURSOR_LOW);
    const offset = (location - this.startAddress() + VGA_WINDOW_CELLS) % VGA_WINDOW_CELLS;
    const start = this.reg(CRTC_CURSOR_START) & SCAN_LINE_MASK;
    const end = this.reg(CRTC_CURSOR_END) & SCAN_LINE_MASK;
    const onScreen = offset < VGA_CELLS;
    const enabled = (this.reg(CRTC_CURSOR_START) & CURSOR_DISABLE) === 0;
    return {
      row: onScreen ? Math.floor(offset / VGA_COLS) : 0,
      col: onScreen ? offset % VGA_COLS : 0,
      visible: enabled && onScreen && start <= end,
      start,
      end,
      cellHeight: (this.reg(CRTC_MAX_SCAN_LINE) & SCAN_LINE_MASK) + 1,
    };
  }

  /** The screen as 25 lines of Unicode (CP437 decoded), trailing spaces trimmed. */
  text(): string[] {
    const cells = this.cells();
    const rows: string[] = [];
    for (let r = 0; r < VGA_ROWS; r++) {
      let line = "";
      for (let c = 0; c < VGA_COLS; c++) line += cp437ToUnicode(cells[r * VGA_COLS + c] as number);
      rows.push(line.replace(/ +$/, ""));
    }
    return rows;
  }

  /** The CRTC start address, in cells. */
  startAddress(): number {
    return this.register16(CRTC_START_HIGH, CRTC_START_LOW);
  }

  /** A CRTC register's value (0xFF past the last register). */
  crtc(index: number): number {
    return this.reg(index);
  }

  // ---- guest side ----

  read(port: number, _width: Width): number {
    if (port === VGA_CRTC_INDEX) return this.index;
    if (port === VGA_CRTC_DATA) return this.reg(this.index);
    return 0xff;
  }

  write(port: number, width: Width, value: number): void {
    if (port === VGA_CRTC_INDEX) {
      this.index = value & 0xff;
      if (width === 4) this.writeRegister(this.index, (value >>> 8) & 0xff);
    } else if (port === VGA_CRTC_DATA) {
      this.writeRegister(this.index, value & 0xff);
    }
  }

  reset(): void {
    this.index = 0;
    this.registers = [...CRTC_MODE3];
  }

  save(): VgaState {
    return { index: this.index, registers: [...this.registers] };
  }

  restore(state: unknown): void {
    const s = state as Partial<VgaState> | null;
    if (typeof s !== "object" || s === null) throw new DeviceStateError("vga: state is not an object");
    const isByte = (v: unknown): boolean => typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 0xff;
    if (!isByte(s.index)) throw new DeviceStateError("vga: index must be a byte");
    if (!Array.isArray(s.registers) || s.registers.length !== CRTC_REGISTER_COUNT || !s.registers.every(isByte)) {
      throw new DeviceStateError(`vga: registers must be ${CRTC_REGISTER_COUNT} bytes`);
    }
    this.index = s.index as number;
    this.registers = [...s.registers];
  }

  private writeRegister(index: number, value: number): void {
    if (index >= CRTC_REGISTER_COUNT) return;
    if (index <= PROTECTED_LAST && this.reg(CRTC_VERTICAL_RETRACE_END) & WRITE_PROTECT) {
      if (index !== PROTECTED_LAST) return;
      const kept = this.reg(index) & ~OVERFLOW_LINE_COMPARE_BIT;
      value = kept | (value & OVERFLOW_LINE_COMPARE_BIT);
    }
    this.registers[index] = value;
  }

  private reg(index: number): number {
    return this.registers[index] ?? 0xff;
  }

  private register16(high: number, low: number): number {
    return (this.reg(high) << 8) | this.reg(low);
  }
}
