// The process table: one row per process, updated in place (a row's cells
// are rewritten only when they changed; rows come and go with processes).
// The PID cell is a button; one of them is in the tab order at a time
// (roving tabindex), arrow keys move between them and select as they go.

import type { ProcInfo } from "../../host/inspect-types";
import { byId, formatBytes, formatNs, make, setText } from "./dom";
import { nextRow } from "./keys";

interface Row {
  tr: HTMLTableRowElement;
  button: HTMLButtonElement;
  cells: HTMLTableCellElement[];
  key: string;
}

export class ProcessTable {
  private readonly body = byId("procs-body", HTMLTableSectionElement);
  private readonly rows = new Map<number, Row>();
  private order: number[] = [];
  procs: ProcInfo[] = [];
  selected: number | null = null;

  constructor(private readonly onSelect: (pid: number) => void) {
    this.body.addEventListener("click", (event) => {
      const tr = (event.target as Element).closest("tr");
      const pid = Number(tr?.dataset.pid);
      if (tr !== null && Number.isInteger(pid)) this.select(pid, event.target instanceof HTMLButtonElement);
    });
    this.body.addEventListener("keydown", (event) => {
      if (!(event.target instanceof HTMLButtonElement)) return;
      const current = this.order.indexOf(Number(event.target.closest("tr")?.dataset.pid));
      const next = nextRow(current, event.key, this.order.length);
      if (next === null) return;
      event.preventDefault();
      this.select(this.order[next]!, true);
    });
  }

  update(procs: readonly ProcInfo[]): void {
    this.procs = [...procs].sort((a, b) => a.pid - b.pid);
    const seen = new Set<number>();
    let before: HTMLTableRowElement | null = null;
    // Walk backwards so each row can be placed before the next one.
    for (let i = this.procs.length - 1; i >= 0; i--) {
      const proc = this.procs[i]!;
      seen.add(proc.pid);
      let row = this.rows.get(proc.pid);
      if (row === undefined) {
        row = this.makeRow(proc.pid);
        this.rows.set(proc.pid, row);
      }
      this.fill(row, proc);
      if (row.tr.nextSibling !== before || row.tr.parentNode !== this.body) this.body.insertBefore(row.tr, before);
      before = row.tr;
    }
    for (const [pid, row] of this.rows) {
      if (!seen.has(pid)) {
        row.tr.remove();
        this.rows.delete(pid);
      }
    }
    this.order = this.procs.map((p) => p.pid);
    this.updateTabStops();
  }

  private makeRow(pid: number): Row {
    const tr = make("tr");
    tr.dataset.pid = String(pid);
    const pidCell = make("td");
    const button = make("button", "row-select", String(pid));
    button.type = "button";
    button.tabIndex = -1;
    pidCell.append(button);
    const cells = [make("td"), make("td", "wrap"), make("td", "num"), make("td", "num"), make("td", "num")];
    tr.append(pidCell, ...cells);
    return { tr, button, cells, key: "" };
  }

  private fill(row: Row, proc: ProcInfo): void {
    const state = proc.state === "sleeping" && proc.wait !== "" ? `sleeping (${proc.wait})` : proc.state;
    const texts = [
      proc.threads > 1 ? `${proc.name} (${proc.threads} threads)` : proc.name,
      state,
      formatNs(proc.cpuNs),
      formatBytes(proc.memBytes + proc.pageTableBytes),
      String(proc.nice),
    ];
    const key = texts.join("\u0000") + String(proc.capMode);
    if (key === row.key) return;
    row.key = key;
    texts.forEach((text, i) => setText(row.cells[i]!, text));
    row.cells[0]!.title = proc.capMode ? "in capability mode: no ambient authority" : "";
    row.cells[0]!.dataset.capmode = String(proc.capMode);
    row.cells[2]!.title = `${proc.switches} context switches`;
    row.cells[3]!.title = `${formatBytes(proc.memBytes)} of user memory, ${formatBytes(proc.pageTableBytes)} of page tables`;
    row.tr.dataset.state = proc.state;
    row.button.setAttribute("aria-label", `Select pid ${proc.pid}, ${proc.name}`);
  }

  select(pid: number, focus: boolean): void {
    const changed = pid !== this.selected;
    this.selected = pid;
    this.updateTabStops();
    if (focus) this.rows.get(pid)?.button.focus();
    if (changed) this.onSelect(pid);
  }

  private updateTabStops(): void {
    const focusable = this.selected !== null && this.rows.has(this.selected) ? this.selected : this.order[0];
    for (const [pid, row] of this.rows) {
      const isSelected = pid === this.selected;
      row.button.tabIndex = pid === focusable ? 0 : -1;
      row.button.setAttribute("aria-pressed", String(isSelected));
      row.tr.classList.toggle("selected", isSelected);
    }
  }

  nameOf(pid: number): string | undefined {
    return this.procs.find((p) => p.pid === pid)?.name;
  }
}
