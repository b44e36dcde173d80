// What each item of the status bar means, in plain words: a tooltip shown
// when the item is pointed at, focused (every item is in the tab order) or
// tapped, and the item's accessible description. docs/panels.md has the same
// explanations.

/** The explanation of each status item, by the id of its value element. */
export const STATUS_TIPS: Readonly<Record<string, string>> = {
  "status-state":
    "What the machine is doing. running: executing programs or the kernel. idle: waiting for a key or a timer, using no CPU. " +
    "halted: it stopped itself (the monitor's halt, or init ended). panicked: the kernel found an error it cannot go on from; Reboot starts again.",
  "status-uptime": "Time since the machine booted, as the machine counts it. With the deterministic clock it is derived from the work done, so it can run ahead of the wall clock.",
  "status-ram": "The machine's physical memory (set with ?ram=, in MiB). The Memory panel shows every 4 KiB frame of it.",
  "status-clock":
    "realtime: the machine's time follows your computer's clock. deterministic: time is computed from the work done, so the same input gives the same run every time (exact share links).",
  "status-disk":
    "Where the disk's files are kept. saved: in this browser, so they survive a reload. saving…: writes still going to storage. memory: nothing is kept after the tab closes. none: no disk.",
  "status-work":
    "How much the machine has done since boot, in work units: one per RISC-V instruction a program ran, plus the kernel's own work (a byte printed, a system call). k is thousands, M millions, G billions.",
  "status-cpus":
    "The machine's virtual CPUs (?cpus=). interleaved: they take turns in one worker, so runs are reproducible. parallel: each runs in a worker of its own at the same moment (?parallel=1, needs an isolated page; the JIT, snapshots and replay are off then).",
  "status-jit":
    "The JIT: how many units of hot RISC-V code the machine compiled to WebAssembly, and the share of the programs' instructions that ran in them. The machine does exactly the same with it off (?jit=off), only slower.",
  "status-isolation":
    "not isolated: the page runs Keel's one virtual CPU; everything works. isolated: the page has the headers (COOP and COEP, from the host or from Keel's service worker after one reload) that let workers share memory, which several virtual CPUs need. ?isolate=off turns it off.",
  "status-kernel": "The kernel the machine runs: shipped (the one this page came with), or modified when you built your own in the Code panel.",
  "status-replay": "The progress of a share link being replayed: how many of the recorded key presses were given back so far.",
};

/** Gives every status item in `list` its tooltip: a role=tooltip element,
 *  linked by aria-describedby, shown on hover, focus and tap (CSS). */
export function addStatusTips(list: HTMLElement): void {
  for (const item of list.querySelectorAll<HTMLElement>(".status-item")) {
    const value = item.querySelector<HTMLElement>("dd [id], dd[id]");
    const id = item.querySelector("dd")?.id || value?.id;
    const text = id === undefined ? undefined : STATUS_TIPS[id];
    if (id === undefined || text === undefined) continue;
    const tip = document.createElement("span");
    tip.id = `${id}-tip`;
    tip.className = "status-tip";
    tip.setAttribute("role", "tooltip");
    tip.textContent = text;
    item.append(tip);
    item.tabIndex = 0;
    item.setAttribute("aria-describedby", tip.id);
    item.dataset.tip = id;
    // Keep the tip inside the window: shift it left when it would overflow.
    const place = (): void => {
      tip.style.setProperty("--tip-shift", "0px");
      const box = tip.getBoundingClientRect();
      const overflow = box.right - (document.documentElement.clientWidth - 8);
      if (overflow > 0) tip.style.setProperty("--tip-shift", `${-Math.min(overflow, Math.max(0, box.left - 8))}px`);
    };
    item.addEventListener("mouseenter", place);
    item.addEventListener("focusin", place);
  }
}
