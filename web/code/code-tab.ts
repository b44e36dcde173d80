// The Code tab's stand-in on the page's first load: a few lines that load
// the Code panel (web/code/code-panel.ts, with CodeMirror and the kernel's
// sources) the first time the tab is shown, and pass it what the kernel's
// worker says about the running kernel. Nothing else of the panel is loaded
// before then (docs/code-panel.md).
import type { KernelInfo, PageToWorker } from "../protocol";
import type { CodePanel, CodeSnapshot } from "./code-panel";

export interface CodeTabHooks {
  send(message: PageToWorker, transfer?: Transferable[]): void;
  marker(text: string): void;
}

export class CodeTab {
  private loading: Promise<CodePanel> | null = null;
  private panel: CodePanel | null = null;
  private kernel: KernelInfo = { patch: null };

  constructor(
    private readonly root: HTMLElement,
    private readonly hooks: CodeTabHooks,
  ) {}

  show(shown: boolean): void {
    if (!shown || this.loading !== null) return;
    this.loading = import("./code-panel").then((module) => module.startCodePanel(this.root, this.hooks, this.kernel));
    this.loading.then((panel) => {
      this.panel = panel;
      panel.kernelChanged(this.kernel); // in case it changed while loading
    }, (error: unknown) => {
      this.loading = null; // shown again, it tries again
      const text = document.createElement("p");
      text.className = "view-summary";
      text.textContent = `The Code panel could not be loaded: ${error instanceof Error ? error.message : String(error)}`;
      this.root.replaceChildren(text);
    });
  }

  kernelChanged(info: KernelInfo, how: "boot" | "swap" = "boot", swapMs?: number): void {
    this.kernel = info;
    this.panel?.kernelChanged(info, how, swapMs);
  }

  kernelFailed(message: string, refused = false): void {
    this.panel?.kernelFailed(message, refused);
  }

  snapshot(): CodeSnapshot | null {
    return this.panel?.snapshot() ?? null;
  }
}
