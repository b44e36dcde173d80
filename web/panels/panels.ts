// The live panels under the screen and the console: processes, physical
// memory, the selected process's address space and capabilities, the
// scheduler timeline and the kernel log, all drawn from the kernel's
// read-only introspection (host/inspect-types.ts) through `inspect`
// messages to the worker. web/main.ts starts them with startPanels() and
// routes `inspect-result` messages to receive(). Also owns the page's
// theme toggle (web/panels/theme.ts), which the canvases follow. The Code
// tab's view is not an introspection view: web/code/code-tab.ts loads it
// when it is first shown (`onTab`).
//
// Cost: one overview every POLL_MS while the page is visible and the
// panels are open, plus one process query (and one capability tree) per
// poll while a view of the selected process is shown. Nothing is asked
// while the panels are hidden or the tab is in the background.

import type { FrameUse, InspectQuery, InspectResult, Overview, WalkResult } from "../../host/inspect-types";
import { FRAME_USES } from "../../host/inspect-types";
import { AddressSpacePanel } from "./aspace-panel";
import { CapabilitiesPanel } from "./caps-panel";
import { DebugPanel } from "./debug-panel";
import type { DebugReply, DebugRequest, DebugView } from "../debug-protocol";
import { byId, formatNs, setText } from "./dom";
import { InspectClient, LOG_MAX_RECORDS, OverviewPoller, SCHED_SPAN_NS } from "./inspect-client";
import { nextTab } from "./keys";
import { LocksPanel } from "./locks-panel";
import { LogPanel } from "./log-panel";
import { countUserFrames } from "./memory-map";
import { MemoryPanel } from "./memory-panel";
import { NetworkPanel } from "./net-panel";
import { ProcessTable } from "./procs-panel";
import { SchedulerPanel } from "./sched-panel";
import { startTheme } from "./theme";
import { TracePanel } from "./trace-panel";

const TABS = ["memory", "aspace", "caps", "sched", "log", "trace", "debug", "net", "locks", "code"] as const;
export type PanelTab = (typeof TABS)[number];
const SHOWN_STORAGE_KEY = "keel-panels";

/** What the browser tests read through window.keel.panels(). */
export interface PanelsSnapshot {
  shown: boolean;
  tab: PanelTab;
  theme: "light" | "dark";
  selectedPid: number | null;
  /** Overviews received; replies received and given up on. */
  polls: number;
  answered: number;
  timedOut: number;
  overview: {
    timeNs: number;
    frames: number;
    totals: Record<FrameUse, number>;
    procs: { pid: number; name: string; state: string }[];
    /** User-memory frames per pid, as the memory map counted them. */
    ownerFrames: Record<number, number>;
  } | null;
  /** Log records and scheduler events held. */
  logRecords: number;
  /** The System calls tab's lines, as shown (filters applied). */
  traceLines: string[];
  schedEvents: number;
  /** The memory map's hover/keyboard readout. */
  memoryReadout: string;
  /** Timeline lanes last drawn: pid and running time in the window. */
  timeline: { pid: number; runningNs: number }[];
  /** The last page-table walk shown. */
  walk: WalkResult | null;
  /** The selected process's capability slots, the chosen one, and its tree as "pid:slot". */
  caps: { slots: number[]; chosen: number | null; tree: string[] };
  /** The Debugger tab: the last view the worker sent, the registers highlighted as changed, the memory shown, the last watchpoint hit in words. */
  debug: { view: DebugView | null; changed: number[]; memory: string[]; hit: string };
  /** The Network panel: its last view's interface and sockets, and the packet log's rows the filter shows. */
  net: { nic: { mac: string; link: boolean } | null; address: string | null; sockets: string[]; packets: string[] };
  /** The Locks panel: the locks its table shows, from the last answer, and the cells of its rows. */
  locks: { name: string; acquisitions: number; contended: number; spins: number; maxSpins: number; held: boolean }[];
  lockCells: string[][];
  /** Its per-vCPU cache line's figures. */
  lockCaches: { cpu: number; frames: number; magazineObjects: number }[];
}

export interface Panels {
  /** An `inspect-result` from the worker. */
  receive(id: number, result: InspectResult): void;
  /** A `debug-result` and a `debug-view` from the worker (the Debugger tab). */
  debugResult(id: number, reply: DebugReply): void;
  debugView(view: DebugView): void;
  snapshot(): PanelsSnapshot;
}

function readShown(): boolean {
  try {
    return window.localStorage.getItem(SHOWN_STORAGE_KEY) !== "hidden";
  } catch {
    return true;
  }
}

export function startPanels(
  post: (message: { type: "inspect"; id: number; query: InspectQuery } | { type: "debug"; id: number; request: DebugRequest }) => void,
  /** Told which tab is shown, on every change (the Code tab loads itself then). */
  onTab: (tab: PanelTab) => void = () => {},
  /** The machine's vCPUs (the Locks panel leaves out the other vCPUs' cache locks). */
  cpus = 1,
): Panels {
  const theme = startTheme(byId("theme-toggle", HTMLButtonElement));
  const client = new InspectClient(post);
  const status = byId("panels-status", HTMLSpanElement);
  const toggle = byId("panels-toggle", HTMLButtonElement);
  const body = byId("panels-body", HTMLDivElement);
  let shown = readShown();
  let tab: PanelTab = "memory";
  let lastOverview: Overview | null = null;

  const procs = new ProcessTable((pid) => {
    aspace.select(pid, procs.nameOf(pid));
    caps.select(pid);
    debug.select(pid);
    // Open the selected process's views if the current tab is not one of them.
    if (tab !== "aspace" && tab !== "caps" && tab !== "debug") selectTab("aspace", false);
    poller.soon();
  });
  const memory = new MemoryPanel(theme.current());
  const aspace = new AddressSpacePanel(async (pid, va) => {
    const result = await client.request({ what: "walk", pid, va });
    return result.what === "walk" ? result.walk : result.what === "error" ? result.message : "unexpected answer";
  });
  const caps = new CapabilitiesPanel(() => poller.soon(), (pid) => procs.nameOf(pid));
  const sched = new SchedulerPanel(theme.current(), SCHED_SPAN_NS);
  const log = new LogPanel(LOG_MAX_RECORDS);
  const trace = new TracePanel();
  const debug = new DebugPanel(byId("view-debug", HTMLElement), post, () => shown && tab === "debug");
  const net = new NetworkPanel();
  const locks = new LocksPanel(cpus);
  theme.onChange((t) => {
    memory.setTheme(t);
    sched.setTheme(t);
  });

  const active = (): boolean => shown && document.visibilityState === "visible";

  /** The selected process's detail (and capability tree), while one of its views is shown. */
  const refreshSelection = async (): Promise<void> => {
    if (tab === "net") await net.refresh((query) => client.request(query));
    const pid = procs.selected;
    if (pid === null || (tab !== "aspace" && tab !== "caps")) return;
    const result = await client.request({ what: "process", pid });
    if (result.what === "process") {
      aspace.showRegions(pid, procs.nameOf(pid), result.detail.regions);
      caps.showCaps(pid, result.detail.caps);
    } else if (result.what === "error") {
      aspace.failed(pid, result.message);
      caps.failed(pid, result.message);
    }
    const slot = caps.chosenSlot;
    if (tab === "caps" && slot !== null && caps.caps.some((c) => c.slot === slot)) {
      const tree = await client.request({ what: "captree", pid, slot });
      if (tree.what === "captree") caps.showTree(tree.nodes, pid, slot);
    }
  };

  const poller = new OverviewPoller(client, {
    active,
    overview: (overview) => {
      if (poller.restarts > restartsSeen) {
        restartsSeen = poller.restarts;
        log.clear();
        trace.clear();
      }
      lastOverview = overview;
      procs.update(overview.procs);
      debug.updateProcs(overview.procs);
      memory.update(overview.frames, overview.procs);
      sched.update(poller.sched.all(), overview.timeNs, poller.sched.since ?? overview.timeNs, overview.procs);
      log.update(poller.log.all());
      setText(status, `at ${formatNs(overview.timeNs)} virtual`);
    },
    afterOverview: async () => {
      await refreshSelection();
      if (tab === "locks") {
        const answer = await client.request({ what: "locks" });
        if (answer.what === "locks") locks.update(answer.locks, answer.caches);
        else if (answer.what === "error") locks.failed(answer.message);
        return;
      }
      if (tab !== "trace") return;
      const result = await client.request({ what: "syscalls", from: trace.from });
      if (result.what === "syscalls") trace.update(result.trace);
    },
    failed: (message) => setText(status, message),
  });
  let restartsSeen = 0;

  // ---- tabs ----
  const tabButtons = TABS.map((name) => byId(`tab-${name}`, HTMLButtonElement));
  const views = TABS.map((name) => byId(`view-${name}`, HTMLElement));
  function selectTab(name: PanelTab, focus: boolean): void {
    tab = name;
    TABS.forEach((t, i) => {
      const selected = t === name;
      tabButtons[i]!.setAttribute("aria-selected", String(selected));
      tabButtons[i]!.tabIndex = selected ? 0 : -1;
      views[i]!.hidden = !selected;
    });
    if (focus) tabButtons[TABS.indexOf(name)]!.focus();
    memory.show(name === "memory");
    sched.show(name === "sched");
    body.dataset.tab = name;
    onTab(name);
    poller.soon();
  }
  const tablist = byId("panel-tabs", HTMLDivElement);
  tablist.addEventListener("click", (event) => {
    const index = tabButtons.indexOf((event.target as Element).closest("button") as HTMLButtonElement);
    if (index >= 0) selectTab(TABS[index]!, true);
  });
  tablist.addEventListener("keydown", (event) => {
    const next = nextTab(TABS.indexOf(tab), event.key, TABS.length);
    if (next === null) return;
    event.preventDefault();
    selectTab(TABS[next]!, true);
  });
  // Every view is reachable by Tab: its content, or the view itself when it has no control.
  for (const view of views) if (view.querySelector("button, input, [tabindex]") === null) view.tabIndex = 0;

  // ---- shown or hidden ----
  const applyShown = (): void => {
    body.hidden = !shown;
    toggle.setAttribute("aria-expanded", String(shown));
    toggle.textContent = shown ? "Hide panels" : "Show panels";
    if (!shown) setText(status, "hidden: the kernel is not asked");
    poller.wake();
  };
  toggle.addEventListener("click", () => {
    shown = !shown;
    try {
      window.localStorage.setItem(SHOWN_STORAGE_KEY, shown ? "shown" : "hidden");
    } catch {
      // Not remembered; still toggles.
    }
    applyShown();
  });
  document.addEventListener("visibilitychange", () => poller.wake());
  applyShown();
  selectTab("memory", false);

  return {
    receive: (id, result) => client.receive(id, result),
    debugResult: (id, reply) => debug.receive(id, reply),
    debugView: (view) => debug.receiveView(view),
    snapshot: () => ({
      shown,
      tab,
      theme: theme.current(),
      selectedPid: procs.selected,
      polls: poller.polls,
      answered: client.answered,
      timedOut: client.timedOut,
      overview: lastOverview === null ? null : {
        timeNs: lastOverview.timeNs,
        frames: lastOverview.frames.frames,
        totals: Object.fromEntries(FRAME_USES.map((use, i) => [use, lastOverview!.frames.totals[i] ?? 0])) as Record<FrameUse, number>,
        procs: lastOverview.procs.map((p) => ({ pid: p.pid, name: p.name, state: p.state })),
        ownerFrames: Object.fromEntries(countUserFrames(lastOverview.frames)),
      },
      logRecords: poller.log.length,
      traceLines: trace.visibleLines(),
      schedEvents: poller.sched.length,
      memoryReadout: memory.readoutText(),
      timeline: sched.lanes.map((l) => ({ pid: l.pid, runningNs: l.runningNs })),
      walk: aspace.lastWalk,
      caps: { slots: caps.caps.map((c) => c.slot), chosen: caps.chosenSlot, tree: caps.nodes.map((n) => `${n.pid}:${n.slot}`) },
      debug: { view: debug.view, changed: [...debug.changed], memory: [...debug.memoryText], hit: debug.hitText },
      net: {
        nic: net.last?.nic ? { mac: net.last.nic.mac, link: net.last.nic.link } : null,
        address: net.last?.netd?.address ?? null,
        sockets: (net.last?.netd?.sockets ?? []).map((s) => `${s.proto} ${s.local} ${s.remote} ${s.state}`.trim()),
        packets: net.visibleLines(),
      },
      locks: locks.shown.map((l) => ({ name: l.name, acquisitions: l.acquisitions, contended: l.contended, spins: l.spins, maxSpins: l.maxSpins, held: l.held })),
      lockCells: locks.cells(),
      lockCaches: locks.caches.map((c) => ({ ...c })),
    }),
  };
}
