// While the worker fetches the kernel, the boot file system and the disk
// image, the console shows a card with each one's bytes so far (from the
// worker's load-progress messages, web/fetch-progress.ts); it goes away when
// the machine boots. On a fast link it is gone before it is noticed.

import type { LoadItem } from "./protocol";

export const LOAD_NAMES: Readonly<Record<LoadItem, string>> = {
  kernel: "kernel",
  bootfs: "boot file system",
  disk: "disk image",
};

/** Bytes as a person reads them: "512 B", "190 KiB", "1.1 MiB". */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${Math.round(n / 1024)} KiB`;
  const mib = n / (1024 * 1024);
  return `${mib < 10 ? mib.toFixed(1) : Math.round(mib)} MiB`;
}

/** One line of the card: "190 KiB of 300 KiB", "1.1 MiB so far", "done, 190 KiB". */
export function describeLoad(loaded: number, total: number | null, done: boolean): string {
  if (done) return `done, ${formatBytes(loaded)}`;
  if (total === null) return loaded === 0 ? "waiting for the server…" : `${formatBytes(loaded)} so far`;
  return `${formatBytes(loaded)} of ${formatBytes(total)} (${Math.floor((loaded / total) * 100)}%)`;
}

export class LoadingCard {
  readonly card: HTMLElement;
  private readonly list: HTMLElement;
  private readonly rows = new Map<LoadItem, { text: HTMLElement; bar: HTMLProgressElement }>();

  constructor(host: HTMLElement) {
    const card = document.createElement("div");
    card.id = "loading";
    card.className = "loading";
    card.setAttribute("role", "status");
    card.innerHTML = `<p class="loading-title">Loading Keel…</p><ul class="loading-list"></ul>`;
    this.list = card.querySelector("ul")!;
    host.append(card);
    this.card = card;
  }

  update(item: LoadItem, loaded: number, total: number | null, done: boolean): void {
    let row = this.rows.get(item);
    if (row === undefined) {
      const li = document.createElement("li");
      li.dataset.item = item;
      const name = document.createElement("span");
      name.className = "loading-name";
      name.textContent = LOAD_NAMES[item];
      const bar = document.createElement("progress");
      bar.setAttribute("aria-label", LOAD_NAMES[item]);
      const text = document.createElement("span");
      text.className = "loading-bytes";
      li.append(name, bar, text);
      this.list.append(li);
      row = { text, bar };
      this.rows.set(item, row);
    }
    row.text.textContent = describeLoad(loaded, total, done);
    const max = done ? Math.max(1, loaded) : total;
    if (max === null) row.bar.removeAttribute("value");
    else {
      row.bar.max = max;
      row.bar.value = done ? max : loaded;
    }
    row.bar.closest("li")!.dataset.done = String(done);
  }

  /** The machine booted (or could not): the card goes. */
  finish(): void {
    this.card.hidden = true;
  }
}
