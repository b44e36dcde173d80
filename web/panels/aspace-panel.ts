// The selected process's address space: its regions (a table, rebuilt only
// when they change) and the page-table walker — a hex address in, the
// Sv48 walk out, entry by entry, down to the frame or to where it stops.

import type { RegionInfo, WalkResult } from "../../host/inspect-types";
import { byId, formatBytes, make, setText } from "./dom";
import { hex, parseVirtualAddress } from "./va";

const LEVEL_NAMES = ["level 0 (4 KiB)", "level 1 (2 MiB)", "level 2 (1 GiB)", "level 3 (root)"];

export class AddressSpacePanel {
  private readonly summary = byId("aspace-summary", HTMLParagraphElement);
  private readonly regionsBody = byId("regions-body", HTMLTableSectionElement);
  private readonly form = byId("walk-form", HTMLFormElement);
  private readonly input = byId("walk-va", HTMLInputElement);
  private readonly error = byId("walk-error", HTMLSpanElement);
  private readonly result = byId("walk-result", HTMLDivElement);
  private regionsKey = "";
  private pid: number | null = null;
  lastWalk: WalkResult | null = null;

  constructor(private readonly walk: (pid: number, va: string) => Promise<WalkResult | string>) {
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.submit();
    });
    this.input.addEventListener("input", () => {
      setText(this.error, "");
      this.input.removeAttribute("aria-invalid");
    });
    this.regionsBody.addEventListener("click", (event) => {
      const button = (event.target as Element).closest("button");
      if (button?.dataset.va === undefined) return;
      this.input.value = button.dataset.va;
      void this.submit();
    });
  }

  /** A new selection: forget the old walk. */
  select(pid: number, name: string | undefined): void {
    this.pid = pid;
    this.lastWalk = null;
    this.regionsKey = "";
    this.regionsBody.replaceChildren();
    this.result.replaceChildren();
    setText(this.summary, `pid ${pid}${name === undefined ? "" : ` (${name})`}: loading…`);
  }

  showRegions(pid: number, name: string | undefined, regions: readonly RegionInfo[]): void {
    if (pid !== this.pid) return;
    const resident = regions.reduce((sum, r) => sum + r.residentPages, 0);
    setText(this.summary, `pid ${pid}${name === undefined ? "" : ` (${name})`}: ${regions.length} regions, ${formatBytes(resident * 4096)} resident.`);
    const key = JSON.stringify(regions);
    if (key === this.regionsKey) return;
    this.regionsKey = key;
    this.regionsBody.replaceChildren(...regions.map((region) => {
      const tr = make("tr");
      const start = make("td");
      const button = make("button", "link-button", hex(region.start));
      button.type = "button";
      button.dataset.va = hex(region.start);
      button.setAttribute("aria-label", `Walk the page table for ${hex(region.start)}, the start of the ${region.kind} region`);
      start.append(button);
      tr.append(start, make("td", "mono", hex(region.end)), make("td", "", region.kind), make("td", "mono", region.perms),
        make("td", "num", `${region.residentPages} pages`));
      return tr;
    }));
  }

  failed(pid: number, message: string): void {
    if (pid !== this.pid) return;
    setText(this.summary, `pid ${pid}: ${message}`);
    this.regionsKey = "";
    this.regionsBody.replaceChildren();
  }

  private async submit(): Promise<void> {
    const parsed = parseVirtualAddress(this.input.value);
    if (!parsed.ok) {
      setText(this.error, parsed.reason);
      this.input.setAttribute("aria-invalid", "true");
      return;
    }
    if (this.pid === null) {
      setText(this.error, "select a process first");
      return;
    }
    setText(this.error, "");
    const pid = this.pid;
    const answer = await this.walk(pid, parsed.text);
    if (pid !== this.pid) return;
    if (typeof answer === "string") {
      this.lastWalk = null;
      this.result.replaceChildren(make("p", "walk-stop", `The walk failed: ${answer}`));
      return;
    }
    this.lastWalk = answer;
    this.renderWalk(answer);
  }

  private renderWalk(walk: WalkResult): void {
    const table = make("table", "data-table walk-table");
    table.setAttribute("aria-label", `Page-table walk of ${hex(walk.va)} in pid ${walk.pid}`);
    const head = make("thead");
    const headRow = make("tr");
    for (const title of ["Level", "Table (PA)", "Index", "PTE", "Flags", "Means"]) {
      const th = make("th", "", title);
      th.scope = "col";
      headRow.append(th);
    }
    head.append(headRow);
    const body = make("tbody");
    for (const step of walk.steps) {
      const tr = make("tr");
      tr.dataset.level = String(step.level);
      const means = !step.valid ? "not valid: the walk stops" : step.leaf ? "leaf: maps the page" : "points to the next table";
      tr.append(make("td", "", LEVEL_NAMES[step.level] ?? String(step.level)), make("td", "mono", hex(step.table, 8)),
        make("td", "num", String(step.index)), make("td", "mono", `0x${step.pte}`), make("td", "mono", step.flags), make("td", "", means));
      body.append(tr);
    }
    table.append(head, body);
    const outcome = walk.pa !== null
      ? make("p", "walk-frame",
        `${hex(walk.va)} → physical ${hex(walk.pa, 8)}, frame ${hex(Math.floor(walk.pa / 4096))}` +
          (walk.pageBytes !== null ? ` (a ${formatBytes(walk.pageBytes)} page)` : ""))
      : make("p", "walk-stop", `No translation: ${walk.reason || "not mapped"}.`);
    this.result.replaceChildren(table, outcome);
  }
}
