// Phones and tablets: a key bar over the on-screen keyboard with the keys it
// lacks (Esc, Tab, a sticky Ctrl, the arrows, Ctrl-C, Ctrl-]), and a menu
// button that folds the top bar's buttons and status items away on a narrow
// screen (CSS decides when: web/styles.css, "phones and tablets"). The key
// bar follows the visual viewport, so it sits just above the keyboard.

import { keyBytes, withControl } from "./keys";

export interface KeyBarOptions {
  /** Sends bytes to the console, as if typed there. */
  type: (data: string) => void;
  /** Gives the console the focus back after a tap (the keyboard stays up). */
  focusConsole: () => void;
}

interface BarKey {
  label: string;
  name: string;
  bytes: string | null; // null: the sticky Ctrl
}

/** The bytes of a key as a keyboard would send them (web/keys.ts). */
function bytesOf(key: string, ctrlKey = false): string {
  const bytes = keyBytes({ key, ctrlKey });
  if (bytes === null) throw new Error(`the key bar's ${key} types nothing`);
  return bytes;
}

const KEYS: readonly BarKey[] = [
  { label: "Esc", name: "Escape", bytes: bytesOf("Escape") },
  { label: "Tab", name: "Tab", bytes: bytesOf("Tab") },
  { label: "Ctrl", name: "Control, for the next key", bytes: null },
  { label: "←", name: "Left", bytes: bytesOf("ArrowLeft") },
  { label: "↓", name: "Down", bytes: bytesOf("ArrowDown") },
  { label: "↑", name: "Up", bytes: bytesOf("ArrowUp") },
  { label: "→", name: "Right", bytes: bytesOf("ArrowRight") },
  { label: "^C", name: "Ctrl-C, interrupt", bytes: bytesOf("c", true) },
  { label: "^]", name: "Ctrl-], kernel monitor", bytes: bytesOf("]", true) },
];

export class KeyBar {
  readonly bar: HTMLElement;
  private readonly ctrl: HTMLButtonElement;
  private armed = false;

  constructor(private readonly options: KeyBarOptions) {
    const bar = document.createElement("div");
    bar.id = "keybar";
    bar.className = "keybar";
    bar.setAttribute("role", "toolbar");
    bar.setAttribute("aria-label", "Keys the on-screen keyboard lacks");
    let ctrl: HTMLButtonElement | null = null;
    for (const key of KEYS) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "keybar-key";
      button.textContent = key.label;
      button.setAttribute("aria-label", key.name);
      // Keep the focus (and the keyboard) where it is.
      button.addEventListener("mousedown", (event) => event.preventDefault());
      if (key.bytes === null) {
        ctrl = button;
        button.setAttribute("aria-pressed", "false");
        button.addEventListener("click", () => {
          this.setArmed(!this.armed);
          options.focusConsole();
        });
      } else {
        const bytes = key.bytes;
        button.addEventListener("click", () => {
          this.setArmed(false);
          options.type(bytes);
          options.focusConsole();
        });
      }
      bar.append(button);
    }
    this.ctrl = ctrl!;
    this.bar = bar;
    document.body.append(bar);
    this.follow();
  }

  /** What the console sends for typed text: with Ctrl armed, the first
   *  character becomes its control code (Ctrl, then c: 0x03) and Ctrl lets go. */
  filter(data: string): string {
    if (!this.armed) return data;
    this.setArmed(false);
    return withControl(data);
  }

  private setArmed(armed: boolean): void {
    this.armed = armed;
    this.ctrl.setAttribute("aria-pressed", String(armed));
  }

  /** Sits on top of the on-screen keyboard: the visual viewport shrinks when
   *  it opens, the layout viewport does not. */
  private follow(): void {
    const viewport = window.visualViewport;
    if (!viewport) return;
    const place = (): void => {
      const hidden = window.innerHeight - (viewport.height + viewport.offsetTop);
      this.bar.style.setProperty("--keyboard", `${Math.max(0, Math.round(hidden))}px`);
    };
    viewport.addEventListener("resize", place);
    viewport.addEventListener("scroll", place);
    place();
  }
}

/** The Menu button of a narrow top bar: shows and hides the buttons and the
 *  status items beyond the machine's state. */
export function addMenuButton(topbar: HTMLElement, after: HTMLElement): HTMLButtonElement {
  const button = document.createElement("button");
  button.id = "menu-toggle";
  button.type = "button";
  button.className = "button menu-toggle";
  button.textContent = "Menu";
  button.setAttribute("aria-expanded", "false");
  button.setAttribute("aria-controls", "machine-status");
  button.addEventListener("click", () => {
    const open = topbar.dataset.menu !== "open";
    topbar.dataset.menu = open ? "open" : "closed";
    button.setAttribute("aria-expanded", String(open));
  });
  after.after(button);
  return button;
}
