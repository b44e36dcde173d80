// System calls: the records of the kernel's trace ring (host/syscall-trace.ts),
// the lines `trace` prints, as they come while the tab is shown. Filtered by
// pid and by call name (a comma-separated list, as `trace -e` takes), both
// applied to what is kept without asking the kernel again.

import type { SyscallTraceRead, SyscallTraceRecord } from "../../host/inspect-types";
import { byId, make, setText } from "./dom";

/** Records kept in the page (the kernel's ring holds 256). */
export const TRACE_MAX_RECORDS = 2000;

/** Parsed filters: null pid or empty names let everything through. */
export interface TraceFilter {
  pid: number | null;
  names: string[];
}

/** The filter the two fields say, or a reason the pid field is not a pid. */
export function parseTraceFilter(pidText: string, namesText: string): TraceFilter | string {
  const p = pidText.trim();
  let pid: number | null = null;
  if (p !== "") {
    if (!/^[0-9]{1,9}$/.test(p) || Number(p) < 1) return `"${p}" is not a pid`;
    pid = Number(p);
  }
  const names = namesText.split(",").map((n) => n.trim()).filter((n) => n !== "");
  return { pid, names };
}

export function traceMatches(record: SyscallTraceRecord, filter: TraceFilter): boolean {
  return (filter.pid === null || record.pid === filter.pid) && (filter.names.length === 0 || filter.names.includes(record.name));
}

export class TracePanel {
  private readonly list = byId("trace-list", HTMLOListElement);
  private readonly pidInput = byId("trace-pid", HTMLInputElement);
  private readonly callInput = byId("trace-calls", HTMLInputElement);
  private readonly summary = byId("trace-summary", HTMLParagraphElement);
  private records: SyscallTraceRecord[] = [];
  private filter: TraceFilter = { pid: null, names: [] };
  private lost = 0;
  /** The next sequence number to ask for. */
  from = 0;

  constructor() {
    const apply = (): void => {
      const parsed = parseTraceFilter(this.pidInput.value, this.callInput.value);
      this.pidInput.setCustomValidity(typeof parsed === "string" ? parsed : "");
      if (typeof parsed === "string") {
        setText(this.summary, `Filter: ${parsed}.`);
        return;
      }
      this.filter = parsed;
      this.render();
    };
    this.pidInput.addEventListener("input", apply);
    this.callInput.addEventListener("input", apply);
  }

  /** New records from the ring. A ring that went back (a new machine) starts the list again. */
  update(read: SyscallTraceRead): void {
    if (read.next < this.from) this.clear();
    this.lost += read.lost;
    this.from = read.next;
    if (read.records.length === 0 && this.list.childElementCount > 0) return;
    this.records.push(...read.records);
    if (this.records.length > TRACE_MAX_RECORDS) this.records.splice(0, this.records.length - TRACE_MAX_RECORDS);
    this.render();
  }

  clear(): void {
    this.records = [];
    this.lost = 0;
    this.from = 0;
    this.render();
  }

  /** The lines shown now (the browser tests). */
  visibleLines(): string[] {
    return [...this.list.children].map((li) => li.textContent ?? "");
  }

  private render(): void {
    const shown = this.records.filter((r) => traceMatches(r, this.filter));
    const follow = this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 4;
    this.list.replaceChildren(...shown.map((r) => {
      const item = make("li", "trace-record", r.line);
      item.dataset.pid = String(r.pid);
      item.dataset.call = r.name;
      return item;
    }));
    if (follow) this.list.scrollTop = this.list.scrollHeight;
    const lost = this.lost > 0 ? `; ${this.lost} overwritten before the page read them` : "";
    setText(this.summary, this.records.length === 0
      ? "No system calls traced yet: run a command under trace (trace echo hi), or trace -p PID."
      : `${shown.length} of ${this.records.length} calls shown${lost}.`);
  }
}
