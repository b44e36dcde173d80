// The kernel log: records appended as they arrive (never re-rendered),
// at most as many as the client keeps; level filters hide lines by CSS
// (no re-render either), and "follow" keeps the newest line in view.

import type { LogRecord } from "../../host/inspect-types";
import { byId, formatNs, make } from "./dom";

const LEVELS = ["info", "warn", "error"] as const;

export class LogPanel {
  private readonly list = byId("log-list", HTMLOListElement);
  private readonly follow = byId("log-follow", HTMLInputElement);
  private lastSeq = -1;

  constructor(private readonly capacity: number) {
    for (const level of LEVELS) {
      const box = byId(`log-${level}`, HTMLInputElement);
      const apply = (): void => {
        this.list.classList.toggle(`hide-${level}`, !box.checked);
      };
      box.addEventListener("change", apply);
      apply();
    }
    this.follow.addEventListener("change", () => this.scroll());
    // Scrolling up to read stops following; back at the bottom, it resumes.
    this.list.addEventListener("scroll", () => {
      const atBottom = this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 4;
      if (this.follow.checked !== atBottom && this.userScrolled) this.follow.checked = atBottom;
      this.userScrolled = true;
    });
  }

  private userScrolled = true;

  /** Appends the records newer than the last shown (the client's buffer, oldest first). */
  update(records: readonly LogRecord[]): void {
    const fresh: HTMLLIElement[] = [];
    for (const record of records) {
      if (record.seq <= this.lastSeq) continue;
      this.lastSeq = record.seq;
      const item = make("li", `log-${record.level}`);
      item.dataset.level = record.level;
      const time = make("span", "log-time", `[${formatNs(record.timeNs).padStart(8)}]`);
      const level = make("span", "log-level", record.level === "info" ? "" : `${record.level}: `);
      item.append(time, " ", level, record.text);
      fresh.push(item);
    }
    if (fresh.length === 0) return;
    this.list.append(...fresh);
    while (this.list.childElementCount > this.capacity) this.list.firstElementChild?.remove();
    this.scroll();
  }

  /** A new machine: its log starts again. */
  clear(): void {
    this.list.replaceChildren();
    this.lastSeq = -1;
  }

  private scroll(): void {
    if (!this.follow.checked) return;
    this.userScrolled = false;
    this.list.scrollTop = this.list.scrollHeight;
  }

  visibleLines(): string[] {
    return [...this.list.children].filter((li) => (li as HTMLElement).offsetParent !== null).map((li) => li.textContent ?? "");
  }
}
