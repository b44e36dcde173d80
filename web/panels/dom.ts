// Small DOM and formatting helpers shared by the panels.

export function byId<T extends Element>(id: string, type: abstract new () => T): T {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`page is missing #${id}`);
  return found;
}

/** Sets text only when it changed (no needless layout, no repeated announcements). */
export function setText(element: Element, text: string): void {
  if (element.textContent !== text) element.textContent = text;
}

export function make<K extends keyof HTMLElementTagNameMap>(tag: K, className = "", text = ""): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (className !== "") element.className = className;
  if (text !== "") element.textContent = text;
  return element;
}

const KIB = 1024;

/** "0 B", "12 KiB", "1.5 MiB", "2.00 GiB". */
export function formatBytes(bytes: number): string {
  if (bytes < KIB) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB"];
  let value = bytes / KIB;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = value < 10 && !Number.isInteger(value) ? 1 : 0;
  return `${value.toFixed(digits)} ${units[unit]}`;
}

/** "340 µs", "12 ms", "1.23 s", "95 s". */
export function formatNs(ns: number): string {
  if (ns < 1e6) return `${Math.round(ns / 1e3)} µs`;
  if (ns < 1e9) return `${Math.round(ns / 1e6)} ms`;
  if (ns < 100e9) return `${(ns / 1e9).toFixed(2)} s`;
  return `${Math.round(ns / 1e9)} s`;
}

/** A colour swatch for a legend entry (decorative: the text says what it is). */
export function swatch(colour: string): HTMLSpanElement {
  const span = make("span", "swatch");
  span.style.background = colour;
  span.setAttribute("aria-hidden", "true");
  return span;
}
