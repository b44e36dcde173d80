// The selected process's capabilities (slot, type, rights, badge, what it
// names) and the derivation tree of one of them across processes, as an
// indented list. Slots are chosen with their buttons (roving tabindex,
// arrow keys); both refresh with every poll while the tab is shown, so a
// revoked capability disappears from the table and the tree.

import type { CapInfo, CapTreeNode } from "../../host/inspect-types";
import { treeRows } from "./captree";
import { byId, make, setText } from "./dom";
import { nextRow } from "./keys";

export class CapabilitiesPanel {
  private readonly summary = byId("caps-summary", HTMLParagraphElement);
  private readonly body = byId("caps-body", HTMLTableSectionElement);
  private readonly tree = byId("captree", HTMLUListElement);
  private readonly treeTitle = byId("captree-title", HTMLHeadingElement);
  private pid: number | null = null;
  private capsKey = "";
  private treeKey = "";
  caps: CapInfo[] = [];
  chosenSlot: number | null = null;
  nodes: CapTreeNode[] = [];

  constructor(
    private readonly onChoose: (slot: number) => void,
    private readonly nameOf: (pid: number) => string | undefined,
  ) {
    this.body.addEventListener("click", (event) => {
      const slot = Number((event.target as Element).closest("tr")?.dataset.slot);
      if (Number.isInteger(slot)) this.choose(slot, event.target instanceof HTMLButtonElement);
    });
    this.body.addEventListener("keydown", (event) => {
      if (!(event.target instanceof HTMLButtonElement)) return;
      const slots = this.caps.map((c) => c.slot);
      const next = nextRow(slots.indexOf(Number(event.target.closest("tr")?.dataset.slot)), event.key, slots.length);
      if (next === null) return;
      event.preventDefault();
      this.choose(slots[next]!, true);
    });
  }

  select(pid: number): void {
    this.pid = pid;
    this.caps = [];
    this.capsKey = "";
    this.chosenSlot = null;
    this.showTree([]);
    this.body.replaceChildren();
    setText(this.summary, `pid ${pid}${this.label(pid)}: loading…`);
  }

  private label(pid: number): string {
    const name = this.nameOf(pid);
    return name === undefined ? "" : ` (${name})`;
  }

  showCaps(pid: number, caps: readonly CapInfo[]): void {
    if (pid !== this.pid) return;
    this.caps = [...caps].sort((a, b) => a.slot - b.slot);
    setText(this.summary, `pid ${pid}${this.label(pid)} holds ${caps.length} capabilities.`);
    const key = JSON.stringify(this.caps);
    if (key !== this.capsKey) {
      this.capsKey = key;
      const focused = document.activeElement instanceof HTMLElement && this.body.contains(document.activeElement);
      this.body.replaceChildren(...this.caps.map((cap) => this.makeRow(cap)));
      if (focused) this.buttonFor(this.chosenSlot ?? this.caps[0]?.slot)?.focus();
    }
    this.updateTabStops();
    if (this.chosenSlot !== null && !this.caps.some((c) => c.slot === this.chosenSlot)) {
      setText(this.treeTitle, `Derivation tree: slot ${this.chosenSlot} is empty now (revoked or deleted)`);
      this.showTree([]);
    }
  }

  private makeRow(cap: CapInfo): HTMLTableRowElement {
    const tr = make("tr");
    tr.dataset.slot = String(cap.slot);
    const slotCell = make("td", "num");
    const button = make("button", "row-select", String(cap.slot));
    button.type = "button";
    button.setAttribute("aria-label", `Show the derivation tree of slot ${cap.slot}, ${cap.type}`);
    slotCell.append(button);
    tr.append(slotCell, make("td", "", cap.type), make("td", "mono", cap.rights), make("td", "num", cap.badge === 0 ? "–" : String(cap.badge)),
      make("td", "", cap.describe));
    return tr;
  }

  private buttonFor(slot: number | undefined): HTMLButtonElement | null {
    if (slot === undefined) return null;
    return this.body.querySelector<HTMLButtonElement>(`tr[data-slot="${slot}"] button`);
  }

  private updateTabStops(): void {
    const stop = this.chosenSlot !== null && this.caps.some((c) => c.slot === this.chosenSlot) ? this.chosenSlot : this.caps[0]?.slot;
    for (const tr of this.body.rows) {
      const slot = Number(tr.dataset.slot);
      const button = tr.querySelector("button");
      if (button === null) continue;
      button.tabIndex = slot === stop ? 0 : -1;
      button.setAttribute("aria-pressed", String(slot === this.chosenSlot));
      tr.classList.toggle("selected", slot === this.chosenSlot);
    }
  }

  private choose(slot: number, focus: boolean): void {
    const changed = slot !== this.chosenSlot;
    this.chosenSlot = slot;
    this.updateTabStops();
    if (focus) this.buttonFor(slot)?.focus();
    if (changed) {
      setText(this.treeTitle, `Derivation tree of slot ${slot}: loading…`);
      this.onChoose(slot);
    }
  }

  failed(pid: number, message: string): void {
    if (pid !== this.pid) return;
    setText(this.summary, `pid ${pid}: ${message}`);
    this.caps = [];
    this.capsKey = "";
    this.body.replaceChildren();
  }

  showTree(nodes: readonly CapTreeNode[], pid = this.pid, slot = this.chosenSlot): void {
    if (pid !== this.pid || slot !== this.chosenSlot) return;
    this.nodes = [...nodes];
    if (slot !== null && this.caps.some((c) => c.slot === slot)) {
      setText(this.treeTitle, `Derivation tree of slot ${slot} (${nodes.length} capabilities in ${new Set(nodes.map((n) => n.pid)).size} processes)`);
    } else if (slot === null) {
      setText(this.treeTitle, "Derivation tree");
    }
    const key = JSON.stringify(nodes);
    if (key === this.treeKey) return;
    this.treeKey = key;
    this.tree.replaceChildren(...treeRows(nodes).map(({ node, prefix, level }) => {
      const item = make("li");
      item.dataset.pid = String(node.pid);
      item.dataset.slot = String(node.slot);
      item.dataset.level = String(level);
      if (node.pid === this.pid && node.slot === slot) item.setAttribute("aria-current", "true");
      const guides = make("span", "tree-guides", prefix);
      guides.setAttribute("aria-hidden", "true");
      const badge = node.badge === 0 ? "" : `, badge ${node.badge}`;
      const depth = make("span", "visually-hidden", level === 0 ? "root: " : `depth ${level}: `);
      item.append(guides, depth, `pid ${node.pid}${this.label(node.pid)} slot ${node.slot}: ${node.type} ${node.rights}${badge}`);
      return item;
    }));
  }
}
