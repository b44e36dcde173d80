// Colours of the panels: one per frame use, one hue per pid (spread by the
// golden angle, so neighbouring pids never look alike), in a light and a
// dark variant. The memory canvas writes them as packed 32-bit pixels, the
// legends and the timeline as CSS colours; both come from here.

import type { FrameUse } from "../../host/inspect-types";

export type Theme = "light" | "dark";

export interface Rgb {
  r: number;
  g: number;
  b: number;
}

const USE_COLOURS: Record<Theme, Record<FrameUse, string>> = {
  dark: {
    free: "#1f242c",
    reserved: "#4a4f58",
    kernel: "#3b6fd1",
    slab: "#2aa3b8",
    frametable: "#8a63d2",
    pagetable: "#d4a020",
    user: "#3fb950",
    filecache: "#c0587e",
  },
  light: {
    free: "#e6e9ee",
    reserved: "#9aa1ab",
    kernel: "#2f5fbf",
    slab: "#1b8a9c",
    frametable: "#7047c0",
    pagetable: "#b7860b",
    user: "#2c974b",
    filecache: "#b0436c",
  },
};

/** How a frame use is named to people (legend, hover text). */
export const USE_LABELS: Record<FrameUse, string> = {
  free: "free",
  reserved: "reserved",
  kernel: "kernel",
  slab: "slab",
  frametable: "frame table",
  pagetable: "page table",
  user: "user memory",
  filecache: "file cache",
};

export function useColour(use: FrameUse, theme: Theme): string {
  return USE_COLOURS[theme][use];
}

const GOLDEN_ANGLE = 137.508;

/** The hue (degrees) of a pid's colour. */
export function pidHue(pid: number): number {
  return (((pid * GOLDEN_ANGLE) % 360) + 360) % 360;
}

/** A pid's colour: its hue at a lightness that reads on the theme's background. */
export function pidColour(pid: number, theme: Theme): Rgb {
  return hslToRgb(pidHue(pid), 0.65, theme === "dark" ? 0.58 : 0.45);
}

/** Page-table frames of a pid: the pid's hue, darker, so they stand apart
 *  from its user memory but still say whose they are. */
export function pidTableColour(pid: number, theme: Theme): Rgb {
  return hslToRgb(pidHue(pid), 0.55, theme === "dark" ? 0.36 : 0.3);
}

export function hslToRgb(hueDegrees: number, saturation: number, lightness: number): Rgb {
  const chroma = (1 - Math.abs(2 * lightness - 1)) * saturation;
  const h = (((hueDegrees % 360) + 360) % 360) / 60;
  const x = chroma * (1 - Math.abs((h % 2) - 1));
  const [r1, g1, b1] = h < 1 ? [chroma, x, 0] : h < 2 ? [x, chroma, 0] : h < 3 ? [0, chroma, x]
    : h < 4 ? [0, x, chroma] : h < 5 ? [x, 0, chroma] : [chroma, 0, x];
  const m = lightness - chroma / 2;
  const channel = (v: number): number => Math.round((v + m) * 255);
  return { r: channel(r1), g: channel(g1), b: channel(b1) };
}

export function parseHex(colour: string): Rgb {
  const match = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(colour);
  if (match === null) throw new Error(`not a #rrggbb colour: ${colour}`);
  return { r: parseInt(match[1]!, 16), g: parseInt(match[2]!, 16), b: parseInt(match[3]!, 16) };
}

export function cssColour({ r, g, b }: Rgb): string {
  return `rgb(${r} ${g} ${b})`;
}

/** An opaque pixel as ImageData's bytes R, G, B, A read as one
 *  little-endian 32-bit word (every browser Keel runs in is little-endian). */
export function packPixel({ r, g, b }: Rgb): number {
  return ((255 << 24) | (b << 16) | (g << 8) | r) >>> 0;
}
