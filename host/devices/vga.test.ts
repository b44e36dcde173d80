import { describe, it, expect } from "vitest";
import { DeviceStateError } from "../device.js";
import { VGA_COLS, VGA_CRTC_DATA, VGA_CRTC_INDEX, VGA_ROWS, VGA_TEXT } from "../hw.js";
import {
  CRTC_CURSOR_END, CRTC_CURSOR_HIGH, CRTC_CURSOR_LOW, CRTC_CURSOR_START, CRTC_MODE3, CRTC_START_HIGH, CRTC_START_LOW,
  CURSOR_DISABLE, VGA_CELLS, VGA_TEXT_BYTES, VgaText,
} from "./vga.js";

const RAM_BYTES = 0x100000;

function makeVga() {
  let ram = new ArrayBuffer(RAM_BYTES);
  const vga = new VgaText({ memory: () => ram });
  const poke = (row: number, col: number, text: string, attr = 0x07) => {
    const bytes = new Uint8Array(ram);
    for (let i = 0; i < text.length; i++) {
      const addr = VGA_TEXT + (row * VGA_COLS + col + i) * 2;
      bytes[addr] = text.charCodeAt(i);
      bytes[addr + 1] = attr;
    }
  };
  const crtc = (index: number, value: number) => {
    vga.write(VGA_CRTC_INDEX, 1, index);
    vga.write(VGA_CRTC_DATA, 1, value);
  };
  const readCrtc = (index: number) => {
    vga.write(VGA_CRTC_INDEX, 1, index);
    return vga.read(VGA_CRTC_DATA, 1);
  };
  const setCursor = (offset: number) => {
    crtc(CRTC_CURSOR_HIGH, offset >> 8);
    crtc(CRTC_CURSOR_LOW, offset & 0xff);
  };
  return { vga, poke, crtc, readCrtc, setCursor, replaceRam: (next: ArrayBuffer) => { ram = next; }, ram: () => ram };
}

describe("VGA device claims", () => {
  it("claims the CRTC index/data ports and the 80x25 text buffer", () => {
    const { vga } = makeVga();
    expect(vga.ports).toEqual({ base: 0x3d4, count: 2 });
    expect(vga.mmio).toEqual({ base: 0xb8000, size: VGA_COLS * VGA_ROWS * 2 });
    expect(VGA_TEXT_BYTES).toBe(4000);
  });
});

describe("VGA CRTC registers", () => {
  it("reads back the index and the selected register", () => {
    const { vga, crtc, readCrtc } = makeVga();
    vga.write(VGA_CRTC_INDEX, 1, 0x0e);
    expect(vga.read(VGA_CRTC_INDEX, 1)).toBe(0x0e);
    crtc(0x0e, 0x07);
    crtc(0x14, 0x55); // a register the cursor does not use is still stored
    expect(readCrtc(0x0e)).toBe(0x07);
    expect(readCrtc(0x14)).toBe(0x55);
  });

  it("powers on with the mode-3 values", () => {
    const { readCrtc } = makeVga();
    for (let i = 0; i < CRTC_MODE3.length; i++) expect(readCrtc(i)).toBe(CRTC_MODE3[i]);
  });

  it("reads 0xFF and ignores writes past the last register", () => {
    const { crtc, readCrtc } = makeVga();
    crtc(0x40, 0x12);
    expect(readCrtc(0x40)).toBe(0xff);
  });

  it("write-protects registers 0-7 while 0x11 bit 7 is set, except line-compare bit 4 of 0x07", () => {
    const { crtc, readCrtc } = makeVga();
    crtc(0x01, 0x27);
    expect(readCrtc(0x01)).toBe(0x4f);
    crtc(0x07, 0x00);
    expect(readCrtc(0x07)).toBe(0x0f); // 0x1f with bit 4 cleared
    crtc(0x11, 0x0e); // lift the protection
    crtc(0x01, 0x27);
    expect(readCrtc(0x01)).toBe(0x27);
  });

  it("treats a 4-byte write to the index port as index plus data, like outw", () => {
    const { vga, readCrtc } = makeVga();
    vga.write(VGA_CRTC_INDEX, 4, (0x3c << 8) | CRTC_CURSOR_LOW);
    expect(readCrtc(CRTC_CURSOR_LOW)).toBe(0x3c);
  });
});

describe("VGA screen contents", () => {
  it("returns char | attr << 8 for every cell", () => {
    const { vga, poke } = makeVga();
    poke(0, 0, "Hi", 0x1f);
    poke(24, 79, "!", 0x4e);
    const cells = vga.cells();
    expect(cells).toHaveLength(VGA_CELLS);
    expect(cells[0]).toBe(0x1f48);
    expect(cells[1]).toBe(0x1f69);
    expect(cells[VGA_CELLS - 1]).toBe(0x4e21);
  });

  it("returns a copy that later guest writes do not change", () => {
    const { vga, poke } = makeVga();
    const before = vga.cells();
    poke(0, 0, "X");
    expect(before[0]).toBe(0);
    expect(vga.cells()[0]).toBe(0x0758);
  });

  it("decodes rows through CP437 and trims trailing spaces", () => {
    const { vga, poke } = makeVga();
    poke(0, 0, "Hello World!   ");
    poke(1, 2, "\xc9\xcd\xbb\x03");
    const text = vga.text();
    expect(text).toHaveLength(VGA_ROWS);
    expect(text[0]).toBe("Hello World!");
    expect(text[1]).toBe("  ╔═╗♥");
    expect(text[2]).toBe("");
  });

  it("shows the screen from the start address", () => {
    const { vga, poke, crtc } = makeVga();
    poke(1, 0, "second line");
    crtc(CRTC_START_HIGH, 0);
    crtc(CRTC_START_LOW, VGA_COLS);
    expect(vga.startAddress()).toBe(VGA_COLS);
    expect(vga.text()[0]).toBe("second line");
  });

  it("wraps the start address around the 32 KiB window", () => {
    const { vga, poke, crtc } = makeVga();
    poke(0, 0, "top");
    const start = 0x4000 - VGA_COLS; // last row of the window, then wrap to its start
    crtc(CRTC_START_HIGH, start >> 8);
    crtc(CRTC_START_LOW, start & 0xff);
    expect(vga.text()[1]).toBe("top");
  });

  it("reads from the RAM the getter returns now, not the RAM it was built with", () => {
    const { vga, replaceRam } = makeVga();
    const next = new ArrayBuffer(RAM_BYTES);
    new Uint8Array(next).set([0x41, 0x07], VGA_TEXT);
    replaceRam(next);
    expect(vga.text()[0]).toBe("A");
  });

  it("shows blanks when RAM ends before the text buffer", () => {
    const { vga, replaceRam } = makeVga();
    replaceRam(new ArrayBuffer(0x10000));
    expect(vga.cells().every((c) => c === 0)).toBe(true);
  });
});

describe("VGA cursor", () => {
  it("reports row and column from the cursor location registers", () => {
    const { vga, setCursor } = makeVga();
    setCursor(3 * VGA_COLS + 17);
    expect(vga.cursor()).toMatchObject({ row: 3, col: 17, visible: true });
  });

  it("reports the shape from cursor start/end and the cell height from max scan line", () => {
    const { vga, crtc } = makeVga();
    expect(vga.cursor()).toMatchObject({ start: 0x0d, end: 0x0e, cellHeight: 16 });
    crtc(CRTC_CURSOR_START, 0);
    crtc(CRTC_CURSOR_END, 15);
    expect(vga.cursor()).toMatchObject({ start: 0, end: 15, visible: true });
  });

  it("hides the cursor when disabled, when start > end, or when it lies off screen", () => {
    const { vga, crtc, setCursor } = makeVga();
    crtc(CRTC_CURSOR_START, CURSOR_DISABLE | 0x0d);
    expect(vga.cursor().visible).toBe(false);
    crtc(CRTC_CURSOR_START, 0x0f);
    crtc(CRTC_CURSOR_END, 0x0e);
    expect(vga.cursor().visible).toBe(false);
    crtc(CRTC_CURSOR_START, 0x0d);
    setCursor(VGA_CELLS + 5);
    expect(vga.cursor().visible).toBe(false);
  });

  it("measures the cursor location from the start address", () => {
    const { vga, crtc, setCursor } = makeVga();
    crtc(CRTC_START_LOW, VGA_COLS);
    setCursor(VGA_COLS * 2 + 4);
    expect(vga.cursor()).toMatchObject({ row: 1, col: 4, visible: true });
  });
});

describe("VGA reset and snapshots", () => {
  it("reset restores the mode-3 registers", () => {
    const { vga, crtc, readCrtc, setCursor } = makeVga();
    crtc(CRTC_CURSOR_START, CURSOR_DISABLE);
    setCursor(500);
    vga.reset();
    expect(vga.read(VGA_CRTC_INDEX, 1)).toBe(0);
    expect(readCrtc(CRTC_CURSOR_START)).toBe(0x0d);
    expect(vga.cursor()).toMatchObject({ row: 0, col: 0, visible: true });
  });

  it("save/restore round-trips the index and registers", () => {
    const a = makeVga();
    a.setCursor(81);
    a.crtc(CRTC_CURSOR_START, 0x20);
    const state = JSON.parse(JSON.stringify(a.vga.save()));
    const b = makeVga();
    b.vga.restore(state);
    expect(b.vga.cursor()).toEqual(a.vga.cursor());
    expect(b.vga.read(VGA_CRTC_INDEX, 1)).toBe(CRTC_CURSOR_START);
    expect(() => b.vga.restore({ index: 0, registers: [1] })).toThrow(DeviceStateError);
  });
});
