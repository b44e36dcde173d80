// Copy and paste in the console: Ctrl-Shift-C copies xterm.js's selection
// to the clipboard, Ctrl-Shift-V pastes (plain Ctrl-C and Ctrl-V stay the
// guest's keys: Ctrl-C interrupts), and a right-click opens a small menu
// with Copy, Paste and Select all. Pasting goes through term.paste(), so it
// reaches the guest exactly as typed text would (bracketed if the guest
// asked for it).

import type { Terminal } from "@xterm/xterm";
import "./files.css";

export interface ClipboardState {
  /** Text copied by the last Copy (Ctrl-Shift-C or the menu), or null. */
  lastCopied: string | null;
  /** Why the last copy or paste failed, or null. */
  error: string | null;
}

export class ConsoleClipboard {
  private readonly menu: HTMLDivElement;
  private readonly copyItem: HTMLButtonElement;
  private readonly state: ClipboardState = { lastCopied: null, error: null };

  constructor(private readonly term: Terminal, host: HTMLElement) {
    this.menu = document.createElement("div");
    this.menu.className = "console-menu";
    this.menu.setAttribute("role", "menu");
    this.menu.hidden = true;
    this.copyItem = this.item("Copy", "Ctrl+Shift+C", () => void this.copy());
    this.menu.append(
      this.copyItem,
      this.item("Paste", "Ctrl+Shift+V", () => void this.paste()),
      this.item("Select all", "", () => this.term.selectAll()),
    );
    document.body.append(this.menu);

    // Capture: seen before xterm's own key handling, which would send the key to the guest.
    host.addEventListener("keydown", (event) => {
      if (!event.ctrlKey || !event.shiftKey || event.altKey || event.metaKey) return;
      const key = event.key.toLowerCase();
      if (key !== "c" && key !== "v") return;
      event.preventDefault();
      event.stopPropagation();
      if (key === "c") void this.copy();
      else void this.paste();
    }, true);
    host.addEventListener("contextmenu", (event) => {
      event.preventDefault();
      this.open(event.clientX, event.clientY);
    });
    document.addEventListener("pointerdown", (event) => {
      if (!this.menu.hidden && !this.menu.contains(event.target as Node)) this.close();
    });
    this.menu.addEventListener("keydown", (event) => {
      const items = [...this.menu.querySelectorAll<HTMLButtonElement>("button:not(:disabled)")];
      const at = items.indexOf(document.activeElement as HTMLButtonElement);
      if (event.key === "Escape") {
        this.close();
        this.term.focus();
      } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        const step = event.key === "ArrowDown" ? 1 : items.length - 1;
        items[(at + step) % items.length]?.focus();
      }
    });
  }

  snapshot(): ClipboardState {
    return { ...this.state };
  }

  /** Copies the selection; nothing selected copies nothing. */
  async copy(): Promise<void> {
    const text = this.term.getSelection();
    if (text === "") return;
    try {
      await navigator.clipboard.writeText(text);
      this.state.lastCopied = text;
      this.state.error = null;
    } catch (error) {
      this.state.error = `the clipboard refused the copy (${error instanceof Error ? error.message : String(error)})`;
      console.warn(`[keel] ${this.state.error}`);
    }
    this.term.focus();
  }

  async paste(): Promise<void> {
    try {
      const text = await navigator.clipboard.readText();
      if (text !== "") this.term.paste(text);
      this.state.error = null;
    } catch (error) {
      this.state.error = `the clipboard could not be read (${error instanceof Error ? error.message : String(error)})`;
      console.warn(`[keel] ${this.state.error}`);
    }
    this.term.focus();
  }

  private item(label: string, shortcut: string, action: () => void): HTMLButtonElement {
    const button = document.createElement("button");
    button.type = "button";
    button.setAttribute("role", "menuitem");
    button.className = "console-menu-item";
    const name = document.createElement("span");
    name.textContent = label;
    button.append(name);
    if (shortcut !== "") {
      const keys = document.createElement("kbd");
      keys.textContent = shortcut;
      button.append(keys);
    }
    button.addEventListener("click", () => {
      this.close();
      action();
    });
    return button;
  }

  private open(x: number, y: number): void {
    this.copyItem.disabled = !this.term.hasSelection();
    this.menu.hidden = false;
    const { width, height } = this.menu.getBoundingClientRect();
    this.menu.style.left = `${Math.max(0, Math.min(x, window.innerWidth - width - 4))}px`;
    this.menu.style.top = `${Math.max(0, Math.min(y, window.innerHeight - height - 4))}px`;
    this.menu.querySelector<HTMLButtonElement>("button:not(:disabled)")?.focus();
  }

  private close(): void {
    this.menu.hidden = true;
  }
}
