// The physical memory panel: every frame a pixel of a canvas (scaled up
// without smoothing), coloured by use and, for user memory and page
// tables, by owning pid; one ImageData fill per update. Pointing at a cell
// or moving a keyboard cursor over it names the frame and its owner.

import { FRAME_USES, type FrameMap, type ProcInfo } from "../../host/inspect-types";
import { type Theme, USE_LABELS, cssColour, pidColour, useColour } from "./colors";
import { byId, formatBytes, make, setText, swatch } from "./dom";
import { nextCell } from "./keys";
import { FramePalette, describeFrame, fillFramePixels, gridColumns, gridRows } from "./memory-map";
import { FRAME_BYTES } from "./va";

/** Pids listed under the legend, most frames first. */
const OWNERS_LISTED = 12;

export class MemoryPanel {
  private readonly canvas = byId("mem-canvas", HTMLCanvasElement);
  private readonly ctx: CanvasRenderingContext2D;
  private readonly cursorBox = byId("mem-cursor", HTMLDivElement);
  private readonly readout = byId("mem-readout", HTMLParagraphElement);
  private readonly summary = byId("mem-summary", HTMLParagraphElement);
  private readonly legend = byId("mem-legend", HTMLUListElement);
  private readonly ownersList = byId("mem-owners", HTMLUListElement);
  private map: FrameMap | null = null;
  private procs = new Map<number, ProcInfo>();
  private image: ImageData | null = null;
  private pixels: Uint32Array | null = null;
  private palette: FramePalette;
  private cols = gridColumns(0);
  /** The keyboard cursor (a frame number), or null before the map is focused. */
  private cursor: number | null = null;
  private hovered: number | null = null;
  private dirty = false;
  /** User frames per pid, from the last fill. */
  owners = new Map<number, number>();
  visible = true;

  constructor(private theme: Theme) {
    const ctx = this.canvas.getContext("2d", { alpha: false });
    if (ctx === null) throw new Error("this browser has no 2D canvas");
    this.ctx = ctx;
    this.palette = new FramePalette(theme);
    this.canvas.addEventListener("pointermove", (event) => this.point(event));
    this.canvas.addEventListener("pointerleave", () => {
      this.hovered = null;
      this.describe();
    });
    this.canvas.addEventListener("keydown", (event) => this.key(event));
    this.canvas.addEventListener("focus", () => {
      if (this.cursor === null) this.cursor = 0;
      this.placeCursor();
      this.describe();
    });
    this.canvas.addEventListener("blur", () => {
      this.cursorBox.hidden = true;
    });
    new ResizeObserver(() => this.placeCursor()).observe(this.canvas);
  }

  setTheme(theme: Theme): void {
    this.theme = theme;
    this.palette = new FramePalette(theme);
    this.legendKey = "";
    this.dirty = true;
    this.render();
  }

  update(map: FrameMap, procs: readonly ProcInfo[]): void {
    this.map = map;
    this.procs = new Map(procs.map((p) => [p.pid, p]));
    this.dirty = true;
    // The owner counts feed the test handle and the legend: cheap enough to keep current.
    this.render();
  }

  show(visible: boolean): void {
    this.visible = visible;
    if (visible) this.render();
  }

  private render(): void {
    const map = this.map;
    if (map === null || !this.dirty || !this.visible) return;
    this.dirty = false;
    const cols = gridColumns(map.frames);
    const rows = gridRows(map.frames, cols);
    if (this.image === null || this.canvas.width !== cols || this.canvas.height !== rows) {
      this.cols = cols;
      this.canvas.width = cols;
      this.canvas.height = rows;
      this.image = this.ctx.createImageData(cols, rows);
      this.pixels = new Uint32Array(this.image.data.buffer);
    }
    this.owners = fillFramePixels(map, this.palette, this.pixels!);
    this.ctx.putImageData(this.image, 0, 0);
    this.canvas.setAttribute("aria-label",
      `Physical memory map: ${map.frames} frames of 4 KiB in ${rows} rows of ${cols}, coloured by use`);
    this.renderLegend(map);
    this.describe();
  }

  private legendKey = "";

  private renderLegend(map: FrameMap): void {
    const used = map.frames - (map.totals[0] ?? 0);
    setText(this.summary, `${map.frames} frames (${formatBytes(map.frames * FRAME_BYTES)}), ${formatBytes(used * FRAME_BYTES)} in use. Each row is ${formatBytes(this.cols * FRAME_BYTES)} of physical memory.`);
    const key = `${this.theme}|${map.totals.join(",")}`;
    if (key !== this.legendKey) {
      this.legendKey = key;
      this.legend.replaceChildren(...FRAME_USES.map((use, i) => {
        const item = make("li");
        item.dataset.use = use;
        const frames = map.totals[i] ?? 0;
        item.append(swatch(useColour(use, this.theme)), `${USE_LABELS[use]}: ${frames} (${formatBytes(frames * FRAME_BYTES)})`);
        return item;
      }));
    }
    const top = [...this.owners.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, OWNERS_LISTED);
    const ownersKey = `${this.theme}|${top.map(([pid, n]) => `${pid}:${n}:${this.procs.get(pid)?.name ?? ""}`).join(",")}`;
    if (ownersKey !== this.ownersKey) {
      this.ownersKey = ownersKey;
      this.ownersList.replaceChildren(...top.map(([pid, frames]) => {
        const item = make("li");
        item.dataset.pid = String(pid);
        const name = this.procs.get(pid)?.name;
        item.append(swatch(cssColour(pidColour(pid, this.theme))),
          `pid ${pid}${name === undefined ? "" : ` ${name}`}: ${frames} frames (${formatBytes(frames * FRAME_BYTES)})`);
        return item;
      }));
    }
  }

  private ownersKey = "";

  private frameAt(event: PointerEvent): number | null {
    const rect = this.canvas.getBoundingClientRect();
    if (rect.width === 0 || rect.height === 0 || this.map === null) return null;
    const col = Math.floor(((event.clientX - rect.left) / rect.width) * this.canvas.width);
    const row = Math.floor(((event.clientY - rect.top) / rect.height) * this.canvas.height);
    if (col < 0 || row < 0 || col >= this.canvas.width || row >= this.canvas.height) return null;
    const frame = row * this.canvas.width + col;
    return frame < this.map.frames ? frame : null;
  }

  private point(event: PointerEvent): void {
    this.hovered = this.frameAt(event);
    this.describe();
  }

  private key(event: KeyboardEvent): void {
    if (this.map === null || event.altKey || event.ctrlKey || event.metaKey) return;
    const next = nextCell(this.cursor ?? 0, event.key, this.canvas.width, this.map.frames);
    if (next === null) return;
    event.preventDefault();
    this.cursor = next;
    this.hovered = null;
    this.placeCursor();
    this.describe();
  }

  /** Draws the keyboard cursor as an outlined box over its cell. */
  private placeCursor(): void {
    if (this.cursor === null || document.activeElement !== this.canvas) {
      this.cursorBox.hidden = true;
      return;
    }
    const scale = this.canvas.clientWidth / this.canvas.width;
    const size = Math.max(5, scale);
    const col = this.cursor % this.canvas.width;
    const row = Math.floor(this.cursor / this.canvas.width);
    this.cursorBox.style.width = `${size}px`;
    this.cursorBox.style.height = `${size}px`;
    this.cursorBox.style.left = `${this.canvas.offsetLeft + (col + 0.5) * scale - size / 2}px`;
    this.cursorBox.style.top = `${this.canvas.offsetTop + (row + 0.5) * scale - size / 2}px`;
    this.cursorBox.hidden = false;
  }

  /** The frame pointed at (mouse first, then the keyboard cursor), in words. */
  private describe(): void {
    const frame = this.hovered ?? (document.activeElement === this.canvas ? this.cursor : null);
    const map = this.map;
    if (frame === null || map === null || frame >= map.frames) {
      setText(this.readout, "Point at a frame, or focus the map and use the arrow keys.");
      return;
    }
    setText(this.readout, describeFrame(frame, map.use[frame] ?? 0, map.owner[frame] ?? 0, (pid) => this.procs.get(pid)?.name));
  }

  /** What the readout says now (for the test handle). */
  readoutText(): string {
    return this.readout.textContent ?? "";
  }
}
