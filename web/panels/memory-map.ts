// The memory map's arithmetic: how frames are laid out on the canvas (one
// pixel per frame, rows of a power-of-two width so a row is an aligned
// block of physical memory), how a frame is named, and the one pass over
// the frame map that fills the pixels and counts each pid's frames. Pure;
// web/panels/memory-panel.ts puts it on the page.

import { FRAME_USES, type FrameMap, type FrameUse } from "../../host/inspect-types";
import { type Theme, USE_LABELS, packPixel, parseHex, pidColour, pidTableColour, useColour } from "./colors";
import { describeFrameNumber } from "./va";

const MIN_COLS = 64;
const MAX_COLS = 1024;

/** Columns of the map: the power of two that makes it about twice as wide as tall. */
export function gridColumns(frames: number): number {
  if (frames <= 0) return MIN_COLS;
  const ideal = Math.sqrt(frames * 2);
  const cols = 2 ** Math.ceil(Math.log2(ideal));
  return Math.max(MIN_COLS, Math.min(MAX_COLS, cols));
}

export function gridRows(frames: number, cols: number): number {
  return Math.max(1, Math.ceil(frames / cols));
}

const USE_INDEX: Record<FrameUse, number> = Object.fromEntries(FRAME_USES.map((use, i) => [use, i])) as Record<FrameUse, number>;
export const USER_USE = USE_INDEX.user;
export const PAGETABLE_USE = USE_INDEX.pagetable;

/** Pixels for one theme, with per-pid colours made on first use. */
export class FramePalette {
  private readonly usePixels: Uint32Array;
  private readonly userPixels = new Map<number, number>();
  private readonly tablePixels = new Map<number, number>();

  constructor(readonly theme: Theme) {
    this.usePixels = Uint32Array.from(FRAME_USES, (use) => packPixel(parseHex(useColour(use, theme))));
  }

  pixel(use: number, owner: number): number {
    if (owner !== 0 && use === USER_USE) {
      let pixel = this.userPixels.get(owner);
      if (pixel === undefined) this.userPixels.set(owner, (pixel = packPixel(pidColour(owner, this.theme))));
      return pixel;
    }
    if (owner !== 0 && use === PAGETABLE_USE) {
      let pixel = this.tablePixels.get(owner);
      if (pixel === undefined) this.tablePixels.set(owner, (pixel = packPixel(pidTableColour(owner, this.theme))));
      return pixel;
    }
    return this.usePixels[use] ?? this.usePixels[0]!;
  }
}

/** Fills `pixels` (one per frame, the rest cleared) and returns how many
 *  frames of user memory each pid owns. One pass, no allocation per frame. */
export function fillFramePixels(map: FrameMap, palette: FramePalette, pixels: Uint32Array): Map<number, number> {
  const owners = new Map<number, number>();
  const { use, owner } = map;
  const frames = Math.min(map.frames, use.length, pixels.length);
  let lastOwner = -1;
  let run = 0;
  for (let i = 0; i < frames; i++) {
    const u = use[i]!;
    const o = owner[i] ?? 0;
    pixels[i] = palette.pixel(u, o);
    // Count in runs: a process's memory tends to sit in stretches.
    if (u === USER_USE && o !== 0) {
      if (o === lastOwner) run++;
      else {
        if (lastOwner > 0) owners.set(lastOwner, (owners.get(lastOwner) ?? 0) + run);
        lastOwner = o;
        run = 1;
      }
    }
  }
  if (lastOwner > 0) owners.set(lastOwner, (owners.get(lastOwner) ?? 0) + run);
  pixels.fill(0, frames);
  return owners;
}

/** User-memory frames per pid (what fillFramePixels also counts). */
export function countUserFrames(map: FrameMap): Map<number, number> {
  const owners = new Map<number, number>();
  for (let i = 0; i < map.frames; i++) {
    const o = map.owner[i] ?? 0;
    if (o !== 0 && map.use[i] === USER_USE) owners.set(o, (owners.get(o) ?? 0) + 1);
  }
  return owners;
}

/** "frame 0x1234 (0x01234000): user memory of pid 7 (spin)". */
export function describeFrame(frame: number, use: number, owner: number, nameOf: (pid: number) => string | undefined): string {
  const useName: FrameUse = FRAME_USES[use] ?? "reserved";
  let what: string = USE_LABELS[useName];
  if (owner !== 0 && (useName === "user" || useName === "pagetable")) {
    const name = nameOf(owner);
    what += ` of pid ${owner}${name === undefined ? "" : ` (${name})`}`;
  }
  return `${describeFrameNumber(frame)}: ${what}`;
}
