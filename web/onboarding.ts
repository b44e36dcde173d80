// The welcome card a first visit sees above the screen and the console: what
// Keel is, three things to try (each typed into the console by a button),
// where the panels and the monitor are, and where the docs and the source
// are. "Got it" hides it and remembers that in localStorage (WELCOME_KEY);
// the Help button in the top bar brings it back. The card is not modal: the
// console takes keys while it is shown.

/** localStorage key: "dismissed" once the visitor closed the card. */
export const WELCOME_KEY = "keel-welcome";

export interface WelcomeOptions {
  /** Types `text` into the console, as if typed there. */
  type: (text: string) => void;
  /** Shows the Code tab of the panels (the kernel's sources). */
  openCode: () => void;
  /** Where the card goes: it is inserted before this element. */
  before: HTMLElement;
  /** Where the Help button goes: it is inserted before this element. */
  helpBefore: HTMLElement;
  /** False with `?userland=0`: the console is the kernel monitor's. */
  shell: boolean;
}

export interface WelcomeSnapshot {
  shown: boolean;
  remembered: boolean;
}

interface TryItem {
  command: string;
  /** What to type: the command and Enter. */
  input: string;
  html: string;
}

/** With `?userland=0` the machine is the kernel monitor alone: its commands. */
const TRY_MONITOR: readonly TryItem[] = [
  { command: "help", input: "help\r", html: "the kernel monitor's commands" },
  { command: "mem", input: "mem\r", html: "the memory map and the free frames per buddy order" },
  { command: "pt 0x401234", input: "pt 0x401234\r", html: "build a demo Sv48 address space and walk one address through it" },
];

const TRY: readonly TryItem[] = [
  {
    command: "spin 1 100",
    input: "spin 1 100\r",
    html: "keeps the CPU busy for 100 s (see the Processes and Scheduler panels); <kbd>Ctrl</kbd>+<kbd>C</kbd> stops it",
  },
  { command: "help", input: "help\r", html: "every program, a line each; <code>help ls</code> says how to use one" },
  { command: "ls -l", input: "ls -l\r", html: "the files on the disk, kept in this browser across reloads" },
];

function storedDismissed(): boolean {
  try {
    return localStorage.getItem(WELCOME_KEY) === "dismissed";
  } catch {
    return false; // storage blocked: the card shows, and closes for this visit
  }
}

function remember(dismissed: boolean): void {
  try {
    if (dismissed) localStorage.setItem(WELCOME_KEY, "dismissed");
    else localStorage.removeItem(WELCOME_KEY);
  } catch {
    // Nothing to remember it in: the card shows again on the next visit.
  }
}

export class Welcome {
  readonly card: HTMLElement;
  readonly helpButton: HTMLButtonElement;

  constructor(private readonly options: WelcomeOptions) {
    this.card = this.build();
    options.before.before(this.card);
    const help = document.createElement("button");
    help.id = "help-toggle";
    help.type = "button";
    help.className = "button";
    help.textContent = "Help";
    help.title = "What Keel is and what to try";
    help.setAttribute("aria-controls", "welcome");
    help.addEventListener("click", () => (this.card.hidden ? this.open() : this.close(true)));
    options.helpBefore.before(help);
    this.helpButton = help;
    this.setShown(!storedDismissed());
  }

  open(): void {
    this.setShown(true);
    this.card.querySelector<HTMLElement>("h2")?.focus();
  }

  /** Hides the card; `dismiss` remembers it for the next visits. */
  close(dismiss: boolean): void {
    this.setShown(false);
    if (dismiss) remember(true);
  }

  snapshot(): WelcomeSnapshot {
    return { shown: !this.card.hidden, remembered: storedDismissed() };
  }

  private setShown(shown: boolean): void {
    this.card.hidden = !shown;
    this.helpButton.setAttribute("aria-expanded", String(shown));
  }

  private build(): HTMLElement {
    const card = document.createElement("section");
    card.id = "welcome";
    card.className = "welcome";
    card.setAttribute("aria-labelledby", "welcome-title");
    const tries = this.options.shell ? TRY : TRY_MONITOR;
    card.innerHTML = `
      <div class="welcome-head">
        <h2 id="welcome-title" class="welcome-title" tabindex="-1">Welcome to Keel</h2>
        <button type="button" class="button button-small welcome-close" data-welcome="dismiss">Got it</button>
      </div>
      <p class="welcome-lead">Keel is a capability microkernel running in this tab: a kernel compiled to
        WebAssembly runs real RISC-V programs through their own page tables. Nothing is installed.</p>
      <div class="welcome-cols"><div>
      <h3 class="welcome-sub">Three things to try in the console</h3>
      <ol class="welcome-try">
        ${tries.map((item, i) => `<li><button type="button" class="button button-small" data-welcome-try="${i}"
          aria-label="Type ${item.command} into the console">Type it</button>
          <kbd>${item.command}</kbd> — ${item.html}</li>`).join("")}
      </ol>
      </div><div>
      <h3 class="welcome-sub">Where things are</h3>
      <ul class="welcome-where">
        <li><strong>Console</strong>: where you type, at the shell's <code>$</code>.</li>
        <li><strong>Screen</strong>: VGA text, drawn by the display service (<code>show log hi</code>);
          keys typed on it go to the console.</li>
        <li><strong>Inside the kernel</strong>, below: processes, memory, capabilities, scheduler, log.</li>
        <li><strong>Kernel monitor</strong>: <kbd>Ctrl</kbd>+<kbd>]</kbd> in the console gives
          <code>keel&gt;</code>; again to come back.</li>
        <li><strong>Status bar</strong>: point at (or tap) an item for what it means.</li>
      </ul>
      </div></div>
      <p class="welcome-links">
        Docs: <a href="./README.md">README</a>, <a href="./docs/panels.md">the page and its panels</a>,
        <a href="./docs/architecture.md">architecture</a>.
        Source: <button type="button" class="link-button" data-welcome="code">the kernel's code, in the Code tab</button>
        (edit it and boot your build).
      </p>`;
    card.addEventListener("click", (event) => {
      const target = event.target instanceof Element ? event.target.closest("button") : null;
      if (target === null) return;
      const tryIndex = target.dataset.welcomeTry;
      if (tryIndex !== undefined) {
        const item = tries[Number(tryIndex)];
        if (item !== undefined) this.options.type(item.input);
        return;
      }
      if (target.dataset.welcome === "dismiss") this.close(true);
      else if (target.dataset.welcome === "code") this.options.openCode();
    });
    return card;
  }
}
