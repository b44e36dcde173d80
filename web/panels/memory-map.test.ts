import { describe, expect, it } from "vitest";
import { FRAME_USES, type FrameMap } from "../../host/inspect-types";
import { FramePalette, countUserFrames, describeFrame, fillFramePixels, gridColumns, gridRows } from "./memory-map";

const USE = (name: string) => FRAME_USES.indexOf(name as never);

function frameMap(entries: [string, number][]): FrameMap {
  const use = Uint8Array.from(entries, ([u]) => USE(u));
  const owner = Uint16Array.from(entries, ([, o]) => o);
  const totals = FRAME_USES.map((u) => entries.filter(([e]) => e === u).length);
  return { frames: entries.length, use, owner, totals };
}

describe("grid", () => {
  it("lays out the default 128 MiB as 256×128 and 2 GiB as 1024×512", () => {
    expect(gridColumns(32768)).toBe(256);
    expect(gridRows(32768, 256)).toBe(128);
    expect(gridColumns(524288)).toBe(1024);
    expect(gridRows(524288, 1024)).toBe(512);
    expect(gridColumns(4096)).toBe(128);
    expect(gridColumns(0)).toBe(64);
  });
});

describe("fillFramePixels", () => {
  it("colours by use, user memory by pid, and counts each pid's frames", () => {
    const map = frameMap([["kernel", 0], ["user", 7], ["user", 7], ["user", 9], ["pagetable", 7], ["user", 7], ["free", 0]]);
    const palette = new FramePalette("dark");
    const pixels = new Uint32Array(10).fill(123);
    const owners = fillFramePixels(map, palette, pixels);
    expect(Object.fromEntries(owners)).toEqual({ 7: 3, 9: 1 });
    expect(pixels[1]).toBe(pixels[2]);
    expect(pixels[1]).not.toBe(pixels[3]);
    expect(pixels[4]).not.toBe(pixels[1]);
    expect(pixels[0]).toBe(palette.pixel(USE("kernel"), 0));
    expect([...pixels.slice(7)]).toEqual([0, 0, 0]);
  });

  it("fills 512K frames quickly enough to do every half second", () => {
    const frames = 512 * 1024;
    const map: FrameMap = {
      frames,
      use: Uint8Array.from({ length: frames }, (_, i) => i % 8),
      owner: Uint16Array.from({ length: frames }, (_, i) => (i % 8 === USE("user") ? 1 + (i >> 12) : 0)),
      totals: [],
    };
    const pixels = new Uint32Array(frames);
    const palette = new FramePalette("light");
    fillFramePixels(map, palette, pixels);
    const start = performance.now();
    fillFramePixels(map, palette, pixels);
    expect(performance.now() - start).toBeLessThan(100);
  });
});

describe("describeFrame", () => {
  it("names the frame, its address and its owner", () => {
    const names = (pid: number) => (pid === 7 ? "spin" : undefined);
    expect(describeFrame(0x1234, USE("user"), 7, names)).toBe("frame 0x1234 (0x01234000): user memory of pid 7 (spin)");
    expect(describeFrame(2, USE("pagetable"), 8, names)).toBe("frame 0x2 (0x00002000): page table of pid 8");
    expect(describeFrame(0, USE("frametable"), 0, names)).toBe("frame 0x0 (0x00000000): frame table");
  });
});

describe("countUserFrames", () => {
  it("agrees with the fill", () => {
    const map = frameMap([["user", 3], ["user", 4], ["pagetable", 3], ["user", 3], ["free", 0]]);
    const filled = fillFramePixels(map, new FramePalette("dark"), new Uint32Array(5));
    expect(countUserFrames(map)).toEqual(filled);
  });
});
