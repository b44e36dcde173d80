// The parts of the page that tell a newcomer what is what, and let phones
// type: the welcome card and Help button (web/onboarding.ts), the status
// bar's tooltips (web/status-tips.ts), keys on the VGA screen
// (web/vga-input.ts), the key bar and the Menu button (web/keybar.ts), and
// the loading card (web/loading.ts). web/main.ts starts it once, with the
// console; its styles are web/guide.css.

import type { Terminal } from "@xterm/xterm";
import "./guide.css";
import { addMenuButton, KeyBar } from "./keybar";
import { LoadingCard } from "./loading";
import { Welcome } from "./onboarding";
import type { LoadItem } from "./protocol";
import { addStatusTips } from "./status-tips";
import { attachVgaInput } from "./vga-input";

export interface Guide {
  /** What the console sends for what was typed in it (the key bar's sticky Ctrl). */
  filter(data: string): string;
  loadProgress(item: LoadItem, loaded: number, total: number | null, done: boolean): void;
  /** The machine booted, or failed to: the loading card goes. */
  loaded(): void;
}

/** The console's font size, in CSS pixels (web/main.ts starts it at 13). */
const DESKTOP_FONT_SIZE = 13;
const PHONE_FONT_SIZE = 11;

function byId(id: string): HTMLElement {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`page is missing #${id}`);
  return found;
}

/** `refit` sizes the console to its box again (after a font change). */
export function startGuide(term: Terminal, refit: () => void, options: { shell: boolean }): Guide {
  const type = (data: string): void => term.input(data, true);
  const focusConsole = (): void => term.focus();

  const loading = new LoadingCard(byId("console").parentElement!);

  new Welcome({
    type: (data) => {
      type(data);
      focusConsole();
    },
    openCode: () => {
      const tab = byId("tab-code");
      tab.click();
      tab.scrollIntoView({ block: "start" });
    },
    before: document.querySelector<HTMLElement>("main.panes")!,
    helpBefore: byId("theme-toggle"),
    shell: options.shell,
  });

  const statusList = document.querySelector<HTMLElement>(".status-list");
  if (statusList !== null) addStatusTips(statusList);

  const vga = byId("vga");
  if (vga instanceof HTMLCanvasElement) attachVgaInput(vga, byId("screen-hint"), { type, focusConsole });

  const topbar = document.querySelector<HTMLElement>(".topbar")!;
  const status = document.querySelector<HTMLElement>(".status")!;
  status.id ||= "machine-status";
  const menu = addMenuButton(topbar, document.querySelector<HTMLElement>(".brand")!);
  // A button in the open menu does its job and folds the menu away.
  status.addEventListener("click", (event) => {
    if (topbar.dataset.menu !== "open" || !(event.target instanceof HTMLButtonElement)) return;
    if (getComputedStyle(menu).display === "none") return;
    topbar.dataset.menu = "closed";
    menu.setAttribute("aria-expanded", "false");
  });
  const keybar = new KeyBar({ type, focusConsole });
  // A phone's console: a smaller font fits more columns (about 56 at 390 px).
  const phone = window.matchMedia("(max-width: 760px)");
  const fitFont = (): void => {
    const size = phone.matches ? PHONE_FONT_SIZE : DESKTOP_FONT_SIZE;
    if (term.options.fontSize === size) return;
    term.options.fontSize = size;
    refit();
  };
  phone.addEventListener("change", fitFont);
  fitFont();

  // Every style sheet is in by now (the imports ran first): the page may show
  // (the inline style in index.html hides it until then).
  document.documentElement.classList.add("keel-ready");

  return {
    filter: (data) => keybar.filter(data),
    loadProgress: (item, loaded, total, done) => loading.update(item, loaded, total, done),
    loaded: () => loading.finish(),
  };
}
