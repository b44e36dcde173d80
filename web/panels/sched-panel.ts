// The scheduler timeline: the last seconds of virtual time, one lane per
// pid, drawn on a canvas from the layout in web/panels/timeline.ts. Lanes
// show running (the pid's colour), runnable (a thin line) and sleeping (a
// dotted line), with ticks for preemptions and dots for wake-ups. The CPU
// shares below it say the same in words.

import type { ProcInfo, ProcState, SchedEvent } from "../../host/inspect-types";
import { type Theme, cssColour, pidColour } from "./colors";
import { byId, formatNs, make, setText, swatch } from "./dom";
import { type CpuLane, type Lane, layoutCpuLanes, layoutTimeline, timeToX } from "./timeline";

const LANE_H = 22;
const AXIS_H = 20;
const LABEL_W = 120;
const MAX_LANES = 24;
const MIN_MARK_GAP = 4;

export class SchedulerPanel {
  private readonly canvas = byId("sched-canvas", HTMLCanvasElement);
  private readonly ctx: CanvasRenderingContext2D;
  private readonly summary = byId("sched-summary", HTMLParagraphElement);
  private readonly shares = byId("sched-shares", HTMLUListElement);
  private input: { events: readonly SchedEvent[]; endNs: number; since: number; procs: readonly ProcInfo[] } | null = null;
  private sharesKey = "";
  lanes: Lane[] = [];
  /** A lane per vCPU, above the processes' (drawn when there is more than one vCPU). */
  cpuLanes: CpuLane[] = [];
  visible = false;

  constructor(private theme: Theme, readonly spanNs: number) {
    const ctx = this.canvas.getContext("2d");
    if (ctx === null) throw new Error("this browser has no 2D canvas");
    this.ctx = ctx;
    new ResizeObserver(() => this.draw()).observe(this.canvas.parentElement ?? this.canvas);
  }

  setTheme(theme: Theme): void {
    this.theme = theme;
    this.sharesKey = "";
    this.draw();
  }

  update(events: readonly SchedEvent[], endNs: number, since: number, procs: readonly ProcInfo[]): void {
    this.input = { events, endNs, since, procs };
    if (this.visible) this.draw();
  }

  show(visible: boolean): void {
    this.visible = visible;
    if (visible) this.draw();
  }

  private draw(): void {
    if (this.input === null || !this.visible) return;
    const { events, endNs, since, procs } = this.input;
    const current = new Map<number, ProcState>(procs.map((p) => [p.pid, p.state]));
    const names = new Map(procs.map((p) => [p.pid, p.name]));
    this.lanes = layoutTimeline({ events, endNs, spanNs: this.spanNs, completeSinceNs: since, current }).slice(0, MAX_LANES);
    const cpuLanes = layoutCpuLanes({ events, endNs, spanNs: this.spanNs, completeSinceNs: since });
    this.cpuLanes = cpuLanes.length > 1 ? cpuLanes : [];
    const cpuRows = this.cpuLanes.length;

    const ratio = window.devicePixelRatio || 1;
    const cssWidth = Math.max(200, this.canvas.parentElement?.clientWidth ?? 600);
    const cssHeight = AXIS_H + (cpuRows + Math.max(1, this.lanes.length)) * LANE_H;
    this.canvas.style.width = `${cssWidth}px`;
    this.canvas.style.height = `${cssHeight}px`;
    const width = Math.round(cssWidth * ratio);
    const height = Math.round(cssHeight * ratio);
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
    const ctx = this.ctx;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    const style = getComputedStyle(this.canvas);
    const text = style.getPropertyValue("--text").trim() || "#888";
    const muted = style.getPropertyValue("--muted").trim() || "#888";
    const edge = style.getPropertyValue("--panel-edge").trim() || "#444";
    ctx.clearRect(0, 0, cssWidth, cssHeight);
    ctx.font = `12px ${style.getPropertyValue("--mono") || "monospace"}`;
    ctx.textBaseline = "middle";

    const plotW = cssWidth - LABEL_W - 8;
    const x = (t: number): number => LABEL_W + timeToX(t, endNs, this.spanNs, plotW);

    // The axis: a tick every second, "now" at the right.
    ctx.strokeStyle = edge;
    ctx.fillStyle = muted;
    ctx.lineWidth = 1;
    const seconds = Math.round(this.spanNs / 1e9);
    for (let s = 0; s <= seconds; s++) {
      const tx = Math.round(x(endNs - s * 1e9)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(tx, AXIS_H - 4);
      ctx.lineTo(tx, cssHeight);
      ctx.stroke();
      if (s % 2 === 0) {
        ctx.textAlign = s === 0 ? "right" : "center";
        ctx.fillText(s === 0 ? "now" : `−${s} s`, tx, AXIS_H / 2);
      }
    }
    ctx.textAlign = "left";

    // vCPU lanes: each process's turns, in its colour.
    this.cpuLanes.forEach((lane, i) => {
      const top = AXIS_H + i * LANE_H;
      ctx.fillStyle = text;
      ctx.fillText(`vCPU ${lane.cpu}`, 4, top + LANE_H / 2);
      for (const segment of lane.segments) {
        const x0 = x(segment.startNs);
        const x1 = Math.max(x0 + 1, x(segment.endNs));
        ctx.fillStyle = cssColour(pidColour(segment.pid, this.theme));
        ctx.fillRect(x0, top + 4, x1 - x0, LANE_H - 8);
      }
    });

    this.lanes.forEach((lane, i) => {
      const top = AXIS_H + (cpuRows + i) * LANE_H;
      const mid = top + LANE_H / 2;
      const colour = cssColour(pidColour(lane.pid, this.theme));
      ctx.fillStyle = text;
      const name = names.get(lane.pid) ?? (lane.exited ? "exited" : "");
      ctx.fillText(`${lane.pid} ${name}`.slice(0, 16), 4, mid);
      for (const segment of lane.segments) {
        const x0 = x(segment.startNs);
        const x1 = Math.max(x0 + 1, x(segment.endNs));
        if (segment.state === "running") {
          ctx.fillStyle = colour;
          ctx.fillRect(x0, top + 4, x1 - x0, LANE_H - 8);
        } else {
          ctx.strokeStyle = segment.state === "runnable" ? muted : edge;
          ctx.setLineDash(segment.state === "sleeping" ? [2, 3] : []);
          ctx.beginPath();
          ctx.moveTo(x0, mid + 0.5);
          ctx.lineTo(x1, mid + 0.5);
          ctx.stroke();
          ctx.setLineDash([]);
        }
      }
      // Marks closer than MIN_MARK_GAP pixels are drawn once: a process
      // preempted every tick would otherwise hide its lane under them.
      let lastX = -Infinity;
      for (const mark of lane.marks) {
        const mx = Math.round(x(mark.timeNs)) + 0.5;
        if (mx - lastX < MIN_MARK_GAP && mark.kind !== "exit") continue;
        lastX = mx;
        ctx.strokeStyle = text;
        ctx.fillStyle = text;
        if (mark.kind === "preempt") {
          ctx.beginPath();
          ctx.moveTo(mx, top + 1);
          ctx.lineTo(mx, top + 5);
          ctx.stroke();
        } else if (mark.kind === "wake") {
          ctx.beginPath();
          ctx.arc(mx, mid, 2.5, 0, Math.PI * 2);
          ctx.fill();
        } else if (mark.kind === "exit") {
          ctx.beginPath();
          ctx.moveTo(mx - 3, mid - 3);
          ctx.lineTo(mx + 3, mid + 3);
          ctx.moveTo(mx + 3, mid - 3);
          ctx.lineTo(mx - 3, mid + 3);
          ctx.stroke();
        }
      }
    });

    const shown = Math.min(this.spanNs, endNs - Math.max(since, endNs - this.spanNs));
    setText(this.summary, this.lanes.length === 0
      ? "No scheduling in the window yet."
      : `The last ${formatNs(Math.max(0, shown))} of virtual time, ${this.lanes.length} processes` +
        (cpuRows > 1 ? `; ${this.cpuLanes.map((l) => `vCPU ${l.cpu} busy ${Math.round((l.busyNs / Math.max(1, shown)) * 100)}%`).join(", ")}.` : "."));
    this.canvas.setAttribute("aria-label", `Scheduler timeline of the last ${Math.round(this.spanNs / 1e9)} seconds, ${cpuRows > 1 ? "one lane per vCPU, then " : ""}one lane per process; CPU shares are listed below`);
    const key = `${this.theme}|${this.lanes.map((l) => `${l.pid}:${Math.round((l.runningNs / Math.max(1, shown)) * 100)}:${names.get(l.pid) ?? ""}`).join(",")}`;
    if (key !== this.sharesKey) {
      this.sharesKey = key;
      this.shares.replaceChildren(...this.lanes.map((lane) => {
        const item = make("li");
        item.dataset.pid = String(lane.pid);
        const share = Math.round((lane.runningNs / Math.max(1, shown)) * 100);
        const name = names.get(lane.pid);
        item.append(swatch(cssColour(pidColour(lane.pid, this.theme))),
          `pid ${lane.pid}${name === undefined ? "" : ` ${name}`}: ran ${share}%${lane.exited ? ", exited" : ""}`);
        return item;
      }));
    }
  }
}
