// The VGA screen takes keys: it is focusable (a focus ring and a label say
// where the keys go), and what is typed on it goes to the console, the one
// input the machine has, as the bytes xterm.js would send (web/keys.ts). A
// tap on a touch screen moves the focus to the console instead, which opens
// the on-screen keyboard (a canvas cannot).

import { keyBytes } from "./keys";

export interface VgaInputOptions {
  /** Sends bytes to the console, as if typed there. */
  type: (data: string) => void;
  /** Moves the focus to the console. */
  focusConsole: () => void;
}

export function attachVgaInput(canvas: HTMLCanvasElement, hint: HTMLElement, options: VgaInputOptions): void {
  canvas.tabIndex = 0;
  canvas.setAttribute("aria-label", "VGA text screen, drawn by the display service; keys typed here go to the console");
  canvas.setAttribute("aria-describedby", hint.id);
  canvas.addEventListener("keydown", (event) => {
    // Shift+Tab leaves, as it leaves the console; Tab itself is typed.
    if (event.key === "Tab" && event.shiftKey) return;
    const bytes = keyBytes(event);
    if (bytes === null) return;
    event.preventDefault();
    options.type(bytes);
  });
  canvas.addEventListener("paste", (event) => {
    const text = event.clipboardData?.getData("text/plain") ?? "";
    if (text === "") return;
    event.preventDefault();
    options.type(text.replaceAll("\r\n", "\r").replaceAll("\n", "\r"));
  });
  canvas.addEventListener("pointerup", (event) => {
    if (event.pointerType === "touch") options.focusConsole();
    else canvas.focus();
  });
}
