// The page: reads the URL parameters, starts the kernel's worker
// (web/worker.ts), and shows what it reports: the VGA screen on a canvas, the
// UART on an xterm.js console, the machine's state in the status bar. It
// sends back keystrokes and reboot requests. Messages are typed in
// web/protocol.ts; the page never touches the machine directly.

import "@xterm/xterm/css/xterm.css";
import { FitAddon } from "@xterm/addon-fit";
import { Terminal } from "@xterm/xterm";
import { VGA_COLS, VGA_ROWS } from "../host/hw";
import { drawVga } from "../host/vga-canvas";
import { checkImage } from "./disk/image";
import { isGzip, isSparse } from "../host/disk/kdisk";
import { FilesUi, saveBytes, type FilesSnapshot } from "./files-ui";
import { ConsoleClipboard, type ClipboardState } from "./clipboard";
import { formatCount, formatJit, formatRam, formatUptime } from "./format";
import { SnapshotControls, type SnapshotCounts } from "./snapshot-ui";
import { showIsolation } from "./isolation";
import { prepareIsolation, type IsolationState } from "./coi";
import { serveVmRoutes } from "./vm-route";
import { registerMachine } from "./cluster/registry";
import { type PatchView, type ReplayView, ShareUi } from "./share-ui";
import { type PanelsSnapshot, startPanels } from "./panels/panels";
import { CodeTab } from "./code/code-tab";
import type { CodeSnapshot } from "./code/code-panel";
import "./panels/panels.css";
import { startGuide } from "./guide";
import { Cluster, type ClusterSnapshot } from "./cluster/cluster";
import { clusterPayloadOf, decodeCluster } from "./cluster/cluster-link";
import type { SharedSession } from "./share";
import { type KeelParams, describeParamError, parallelProblem, parseParams, ramBytesOf, type ParamError } from "./params";
import {
  type BootConfig, type DiskInfo, type DiskOperation, type KernelInfo, LogLevel, type MachineStatus, type PageToWorker, type VgaCursor,
  type WorkerToPage,
} from "./protocol";

/** The VGA character box, 9×16: the canvas keeps this aspect for its cells. */
const CELL_W = 9;
const CELL_H = 16;
/** Largest screen when the console is stacked below it, in CSS pixels: a
 *  VGA's own 720×400, which leaves room for the console. */
const MAX_STACKED_SCREEN_CSS_WIDTH = VGA_COLS * CELL_W;
/** Must match the side-by-side breakpoint in styles.css. */
const SIDE_BY_SIDE = "(min-width: 1200px)";
/** Smallest cell drawn, in device pixels, however narrow the page. */
const MIN_CELL_W = 5;
/** Smallest cell shown, in CSS pixels: a 12 px glyph, legible on a phone.
 *  A narrower frame scrolls sideways (styles.css) rather than shrink it. */
const MIN_CSS_CELL_W = 7;
const GLYPH_EM_PER_CELL_H = 0.875;
/** Half-period of the cursor blink (the VGA card blinks at about this rate). */
const BLINK_HALF_PERIOD_MS = 267;
const SCREEN_FONT = `ui-monospace, "DejaVu Sans Mono", "Cascadia Mono", Menlo, Consolas, monospace`;
const CONSOLE_FONT = SCREEN_FONT;

/** What the browser tests may read (see e2e/). Read-only by convention and frozen. */
export interface KeelPageHandle {
  readonly term: Terminal;
  readonly params: Readonly<KeelParams>;
  readonly paramErrors: readonly ParamError[];
  /** The last VGA frame the worker sent, as 25 rows of Unicode text. */
  lastVgaText(): string[];
  /** The last VGA frame's cells, `char | attr << 8`, row-major. */
  lastVgaCells(): number[];
  lastVgaCursor(): VgaCursor | null;
  /** The last status the worker sent (state "off" before the first), plus the boot config. */
  status(): MachineStatus & { clock: BootConfig["clock"]; fatal: string | null };
  /** Where the disk is (null until the worker has opened it), the last disk
   *  error shown, and how many of each disk operation have finished. */
  disk(): { info: DiskInfo | null; error: string | null; done: Readonly<Record<DiskOperation, number>> };
  /** Snapshots saved, restored and refused, and what the banners say. */
  snapshots(): SnapshotCounts;
  /** An exact-replay link's progress (web/share-ui.ts), and the last link Share made. */
  replay(): ReplayView;
  shareLink(): string | null;
  /** A link's kernel patch: being built, built (its name) or refused (why). */
  sharePatch(): PatchView;
  /** The live panels (web/panels/): last overview, selection, views. */
  panels(): PanelsSnapshot;
  /** The Code panel (web/code/), once it has loaded; null before. */
  code(): CodeSnapshot | null;
  /** The kernel the machine runs: patch null for the shipped one. */
  kernel(): KernelInfo;
  /** Files in and out (web/files-ui.ts) and the console's clipboard (web/clipboard.ts). */
  files(): FilesSnapshot;
  clipboard(): ClipboardState;
  /** The cluster view (web/cluster/cluster.ts), or null with one machine. */
  cluster(): ClusterSnapshot | null;
  /** Machine `index`'s console (0: the page's own, `term`), or null. */
  machineTerm(index: number): Terminal | null;
}

declare global {
  interface Window {
    keel: KeelPageHandle;
  }
}

function element<T extends HTMLElement>(id: string, type: new () => T): T {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`page is missing #${id}`);
  return found;
}

// ---- the VGA screen ------------------------------------------------------

/** Draws the latest frame at most once per animation frame, and blinks the
 *  cursor. The canvas holds whole character cells at device resolution, sized
 *  to how wide the page shows it, so glyphs are drawn sharp, never scaled. */
class Screen {
  private readonly ctx: CanvasRenderingContext2D;
  private cellW: number;
  private cellH = CELL_H;
  private cells: Uint16Array | null = null;
  private cursor: VgaCursor | null = null;
  /** What is on the canvas now; null forces a full repaint. */
  private drawn: Uint16Array | null = null;
  private drawnCursor: VgaCursor | null = null;
  private blinkOn = true;
  private pending = false;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly frame: HTMLElement,
  ) {
    const ctx = canvas.getContext("2d", { alpha: false });
    if (ctx === null) throw new Error("this browser has no 2D canvas");
    this.ctx = ctx;
    // 0 forces the first resize() to size the canvas.
    this.cellW = 0;
    this.resize();
    new ResizeObserver(() => this.resize()).observe(frame);
    setInterval(() => {
      this.blinkOn = !this.blinkOn;
      this.schedule();
    }, BLINK_HALF_PERIOD_MS);
  }

  show(cells: Uint16Array, cursor: VgaCursor): void {
    this.cells = cells;
    this.cursor = cursor;
    this.schedule();
  }

  /** Picks the largest whole-pixel cell that fits the frame's width and
   *  shows the canvas at exactly that size (no blurry scaling). */
  private resize(): void {
    const ratio = window.devicePixelRatio || 1;
    const frameWidth = this.frame.clientWidth - horizontalPadding(this.frame);
    const sideBySide = window.matchMedia(SIDE_BY_SIDE).matches;
    const available = sideBySide ? frameWidth : Math.min(MAX_STACKED_SCREEN_CSS_WIDTH, frameWidth);
    // Stacked (a phone, a tablet), never smaller than legible; side by side
    // the screen fits its column.
    const legible = sideBySide ? MIN_CELL_W : Math.ceil(MIN_CSS_CELL_W * ratio);
    const cellW = Math.max(MIN_CELL_W, legible, Math.floor((available * ratio) / VGA_COLS));
    const cellH = Math.round((cellW * CELL_H) / CELL_W);
    // Only the width: the height follows the canvas's own aspect ratio.
    this.canvas.style.width = `${(VGA_COLS * cellW) / ratio}px`;
    if (cellW === this.cellW && cellH === this.cellH) return;
    this.cellW = cellW;
    this.cellH = cellH;
    // Setting the size clears the canvas: repaint everything.
    this.canvas.width = VGA_COLS * cellW;
    this.canvas.height = VGA_ROWS * cellH;
    this.ctx.fillStyle = "#000";
    this.ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    this.drawn = null;
    this.drawnCursor = null;
    this.schedule();
  }

  private schedule(): void {
    if (this.pending || this.cells === null || document.hidden) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.draw();
    });
  }

  private draw(): void {
    if (this.cells === null || this.cursor === null) return;
    const repaintOnlyChanges = this.drawn !== null && this.drawnCursor !== null
      ? { prev: this.drawn, prevCursor: this.drawnCursor }
      : {};
    drawVga(this.ctx, this.cells, this.cursor, {
      cellW: this.cellW,
      cellH: this.cellH,
      // A monospace glyph is about 0.6 em wide: this keeps it inside its cell.
      font: `${Math.floor(this.cellH * GLYPH_EM_PER_CELL_H)}px ${SCREEN_FONT}`,
      blinkOn: this.blinkOn,
      ...repaintOnlyChanges,
    });
    this.drawn = this.cells;
    this.drawnCursor = this.cursor;
  }
}

function horizontalPadding(element: HTMLElement): number {
  const style = getComputedStyle(element);
  return parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
}

// ---- the status bar ------------------------------------------------------

class StatusBar {
  private readonly state = element("status-state", HTMLSpanElement);
  private readonly detail = element("status-detail", HTMLSpanElement);
  private readonly uptime = element("status-uptime", HTMLElement);
  private readonly ram = element("status-ram", HTMLElement);
  private readonly clock = element("status-clock", HTMLElement);
  private readonly work = element("status-work", HTMLElement);
  private readonly jit = element("status-jit", HTMLElement);
  private readonly cpus = element("status-cpus", HTMLElement);

  configure(config: BootConfig): void {
    this.ram.textContent = formatRam(config.ramBytes);
    this.clock.textContent = config.clock;
    const cpus = config.cpus ?? 1;
    this.cpus.textContent = cpus === 1 ? "1" : `${cpus} ${config.parallel === true ? "parallel" : "interleaved"}`;
    this.cpus.dataset.mode = cpus === 1 ? "one" : config.parallel === true ? "parallel" : "interleaved";
  }

  show(status: MachineStatus): void {
    this.state.dataset.state = status.state;
    // Rewriting the live region with the same text would make screen
    // readers repeat it four times a second.
    if (this.state.textContent !== status.state) this.state.textContent = status.state;
    const detail = status.detail ?? "";
    if (this.detail.textContent !== detail) {
      this.detail.textContent = detail;
      this.detail.title = detail;
    }
    this.uptime.textContent = formatUptime(status.uptimeNs);
    this.ram.textContent = formatRam(status.ramBytes);
    this.work.textContent = formatCount(status.workTotal);
    this.jit.textContent = formatJit(status.jit);
  }

  failed(): void {
    this.state.dataset.state = "failed";
    this.state.textContent = "failed";
  }
}

/** How the status bar names where the disk is. */
function describeDisk(info: DiskInfo): { text: string; title: string } {
  const mib = `${(info.blocks * 4096) / (1024 * 1024)} MiB`;
  switch (info.kind) {
    case "opfs":
      return { text: "saved", title: `${mib}, kept in this browser (origin private file system)` };
    case "idb":
      return info.pending > 0
        ? { text: "saving…", title: `${mib}, kept in this browser (IndexedDB); ${info.pending} blocks still to store` }
        : { text: "saved", title: `${mib}, kept in this browser (IndexedDB)` };
    case "memory":
      return { text: "memory", title: `${mib}, in memory only: nothing is saved` };
  }
}

// ---- banners ---------------------------------------------------------------

function showParamErrors(errors: readonly ParamError[]): void {
  if (errors.length === 0) return;
  const list = element("param-error-list", HTMLUListElement);
  for (const error of errors) {
    const item = document.createElement("li");
    item.textContent = describeParamError(error);
    item.dataset.param = error.name;
    list.append(item);
  }
  element("param-errors", HTMLDivElement).hidden = false;
}

function showDiskNotice(message: string | undefined): void {
  element("disk-notice-text", HTMLParagraphElement).textContent = message ?? "";
  element("disk-notice", HTMLDivElement).hidden = message === undefined;
}

function showDiskError(message: string | null): void {
  element("disk-error-text", HTMLParagraphElement).textContent = message ?? "";
  element("disk-error", HTMLDivElement).hidden = message === null;
}

/** Offers `bytes` to the user as a file download. */
/** A dim line in the console between boots and restores, so each new boot
 *  log is easy to find. */
function writeMarker(term: Terminal, text: string): void {
  term.write(`\r\n\x1b[2m──── ${text} ────\x1b[0m\r\n`);
}


/** The file the user picked in `input`, once; clears the input so picking
 *  the same file again still counts as a change. */
function pickedFile(input: HTMLInputElement): File | null {
  const file = input.files?.[0] ?? null;
  input.value = "";
  return file;
}

function showFatal(message: string): void {
  element("fatal-error-text", HTMLParagraphElement).textContent = message;
  element("fatal-error", HTMLDivElement).hidden = false;
}

// ---- wiring ----------------------------------------------------------------

function start(): void {
  // Keel's service worker (web/coi.ts): isolation settled before the boot, a reload at most once.
  const isolation = prepareIsolation(new URLSearchParams(window.location.search)).catch((error: unknown): IsolationState =>
    window.crossOriginIsolated ? { isolated: true, how: "headers" } : { isolated: false, why: "failed", detail: String(error) });
  serveVmRoutes();
  const { params, errors } = parseParams(window.location.search);
  showParamErrors(errors);
  const config: BootConfig = {
    ramBytes: ramBytesOf(params), clock: params.clock, cmdline: params.cmdline, userland: params.userland,
    disk: params.disk, jit: params.jit,
    ...(params.cpus > 1 ? { cpus: params.cpus } : {}),
    ...(params.gdbBridge !== "" ? { gdbBridge: params.gdbBridge } : {}),
  };
  /** The clock of the machine running now, once one has booted (a replay
   *  link or a restored snapshot brings its own); until then the config's. */
  let runningClock: BootConfig["clock"] | null = null;

  const term = new Terminal({
    convertEol: true,
    cursorBlink: true,
    fontFamily: CONSOLE_FONT,
    fontSize: 13,
    scrollback: 5000,
    theme: { background: "#000000", foreground: "#d7dde5", cursor: "#d7dde5" },
  });
  const fit = new FitAddon();
  term.loadAddon(fit);
  const consoleHost = element("console", HTMLDivElement);
  term.open(consoleHost);
  fit.fit();
  new ResizeObserver(() => fit.fit()).observe(consoleHost);
  const clipboard = new ConsoleClipboard(term, consoleHost);

  const screen = new Screen(element("vga", HTMLCanvasElement), element("screen-frame", HTMLDivElement));
  const statusBar = new StatusBar();
  statusBar.configure(config);
  // The welcome card, tooltips, keys on the VGA screen, the phone key bar
  // and the loading card (web/guide.ts).
  const guide = startGuide(term, () => fit.fit(), { shell: config.userland });
  const rebootButton = element("reboot", HTMLButtonElement);
  const diskStatus = element("status-disk", HTMLElement);
  const resetDiskButton = element("disk-reset", HTMLButtonElement);
  const downloadDiskButton = element("disk-download", HTMLButtonElement);
  const uploadDiskButton = element("disk-upload", HTMLButtonElement);
  const importFileButton = element("import-file", HTMLButtonElement);
  const uploadInput = element("disk-upload-input", HTMLInputElement);
  const importInput = element("import-file-input", HTMLInputElement);
  const filesButton = element("files-open", HTMLButtonElement);
  const diskButtons = [resetDiskButton, downloadDiskButton, uploadDiskButton, importFileButton, filesButton];
  if (!config.userland) {
    diskStatus.textContent = "none";
    diskStatus.title = "userland=0 boots the kernel monitor alone, without a disk";
  }

  let lastStatus: MachineStatus = { state: "off", uptimeNs: 0, workTotal: 0, ramBytes: config.ramBytes, boots: 0 };
  let lastCells: Uint16Array | null = null;
  let lastCursor: VgaCursor | null = null;
  let lastText: string[] = [];
  let fatal: string | null = null;
  let diskInfo: DiskInfo | null = null;
  let diskError: string | null = null;
  const diskDone: Record<DiskOperation, number> = { reset: 0, upload: 0, download: 0, copy: 0 };
  /** The disk buttons work once a machine runs on a disk. */
  let booted = false;
  const updateDiskButtons = (): void => {
    const usable = booted && fatal === null && diskInfo !== null;
    for (const button of diskButtons) button.disabled = !usable;
    files.setUsable(usable);
    snapshots.setUsable(booted && fatal === null);
  };
  const setDiskError = (message: string | null): void => {
    diskError = message;
    showDiskError(message);
  };

  const worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module", name: "keel-kernel" });
  const send = (message: PageToWorker, transfer: Transferable[] = []): void => worker.postMessage(message, transfer);
  const files = new FilesUi(send, () => term.focus(), importInput);
  filesButton.addEventListener("click", () => files.openBrowser());
  const snapshots = new SnapshotControls({
    send,
    marker: (text) => writeMarker(term, text),
    restored: (ramBytes, clock) => {
      // The machine is the snapshot's now: its RAM and clock, not the URL's.
      runningClock = clock;
      statusBar.configure({ ...config, ramBytes, clock });
      term.focus();
    },
  });
  const share = new ShareUi({ params, send, term });
  showIsolation(element("status-isolation", HTMLElement));
  void isolation.then((state) => {
    if (state !== "reloading") showIsolation(element("status-isolation", HTMLElement), state);
  });
  const code = new CodeTab(element("view-code", HTMLElement), { send, marker: (text) => writeMarker(term, text) });
  /** The other machines and the switch, with `?machines=` or `?switch=` (web/cluster/). */
  let cluster: Cluster | null = null;
  const panels = startPanels((message) => (cluster !== null ? cluster.panelsSend(message) : send(message)), (tab) => code.show(tab === "code"), params.cpus);
  let kernel: KernelInfo = { patch: null };
  const kernelStatus = element("status-kernel", HTMLElement);
  const kernelReset = element("kernel-reset", HTMLButtonElement);
  kernelReset.addEventListener("click", () => {
    writeMarker(term, "reboot: shipped kernel");
    send({ type: "kernel-reset" });
    term.focus();
  });

  const fail = (message: string): void => {
    guide.loaded();
    fatal = message;
    showFatal(message);
    statusBar.failed();
    rebootButton.disabled = true;
    updateDiskButtons();
  };

  worker.addEventListener("message", (event: MessageEvent<WorkerToPage>) => {
    const message = event.data;
    if (cluster?.onPrimaryMessage(message) === true) return;
    if (files.onMessage(message)) return;
    switch (message.type) {
      case "booted":
        guide.loaded();
        runningClock = message.clock;
        rebootButton.disabled = false;
        booted = true;
        // The worker reports the disk before it boots: none by now means none at all.
        if (diskInfo === null) diskStatus.textContent = "none";
        updateDiskButtons();
        share.booted();
        term.focus();
        break;
      case "uart": {
        const length = message.bytes.length;
        // `download` sequences are taken out (web/files-ui.ts); the ack counts them too.
        const shown = files.filterUart(message.bytes);
        if (shown.length === 0) send({ type: "uart-ack", bytes: length });
        else term.write(shown, () => send({ type: "uart-ack", bytes: length }));
        break;
      }
      case "vga":
        lastCells = message.cells;
        lastCursor = message.cursor;
        lastText = message.text;
        screen.show(message.cells, message.cursor);
        break;
      case "status":
        lastStatus = message.status;
        statusBar.show(message.status);
        share.statusChanged(message.status);
        break;
      case "log":
        logFromHost(message.level, message.text);
        break;
      case "console-marker":
        writeMarker(term, message.text);
        break;
      case "fatal":
        fail(message.message);
        break;
      case "load-progress":
        guide.loadProgress(message.item, message.loaded, message.total, message.done);
        break;
      case "disk": {
        diskInfo = message.info;
        const { text, title } = describeDisk(message.info);
        diskStatus.textContent = text;
        diskStatus.title = title;
        showDiskNotice(message.info.notice);
        updateDiskButtons();
        break;
      }
      case "disk-image":
        files.diskDownloadDone();
        saveBytes(message.bytes, message.name);
        break;
      case "disk-error":
        files.diskDownloadDone();
        setDiskError(message.message);
        break;
      case "disk-done":
        diskDone[message.operation]++;
        break;
      case "snapshot-saved":
      case "snapshot-restored":
      case "snapshot-error":
        snapshots.handle(message);
        break;
      case "share-recording":
      case "replay":
      case "run-progress":
        share.onMessage(message);
        break;
      case "inspect-result":
        panels.receive(message.id, message.result);
        break;
      case "debug-result":
        panels.debugResult(message.id, message.reply);
        break;
      case "debug-view":
        panels.debugView(message.view);
        break;
      case "kernel":
        kernel = message.kernel;
        kernelStatus.textContent = kernel.patch === null ? "shipped" : `modified ${kernel.patch}`;
        kernelReset.hidden = kernel.patch === null;
        code.kernelChanged(kernel, message.how ?? "boot", message.swapMs);
        if (message.how === "swap") writeMarker(term, `hot swap: ${kernel.patch === null ? "shipped kernel" : `modified kernel ${kernel.patch}`}, the machine runs on`);
        break;
      case "kernel-error":
        code.kernelFailed(message.message, message.refused ?? false);
        logFromHost(message.refused ? LogLevel.Warn : LogLevel.Error, message.message);
        break;
    }
  });
  worker.addEventListener("error", (event) => {
    event.preventDefault();
    fail(`the kernel's worker failed: ${event.message || "it could not be loaded"}`);
  });

  term.onData((data) => send({ type: "input", data: guide.filter(data) }));
  // Tab belongs to the guest (shells complete with it), so Shift+Tab is the
  // way out of the console for keyboard users.
  term.attachCustomKeyEventHandler((event) => {
    if (event.type !== "keydown" || event.key !== "Tab" || !event.shiftKey) return true;
    event.preventDefault();
    rebootButton.focus();
    return false;
  });
  rebootButton.addEventListener("click", () => {
    // A dim marker in the console, so the new boot log is easy to find.
    writeMarker(term, "reboot");
    send({ type: "reboot" });
    term.focus();
  });

  // ---- the disk's buttons ----
  const marker = (text: string): void => writeMarker(term, text);
  resetDiskButton.addEventListener("click", () => {
    const sure = window.confirm(
      "Reset the disk?\n\nThe disk is replaced by the one Keel ships and the machine reboots. Every file you made or changed is lost.",
    );
    if (!sure) return;
    setDiskError(null);
    marker("disk reset");
    send({ type: "disk-reset" });
    term.focus();
  });
  downloadDiskButton.addEventListener("click", () => {
    setDiskError(null);
    send({ type: "disk-download" });
  });
  uploadDiskButton.addEventListener("click", () => uploadInput.click());
  uploadInput.addEventListener("change", () => {
    const file = pickedFile(uploadInput);
    if (file === null) return;
    setDiskError(null);
    file.arrayBuffer().then((buffer) => {
      const bytes = new Uint8Array(buffer);
      // Checked here for a quick answer, and again in the worker (which
      // unpacks a .kdisk or gzipped image first).
      const reason = isGzip(bytes) || isSparse(bytes) ? null : checkImage(bytes);
      if (reason !== null) {
        setDiskError(`${JSON.stringify(file.name)} is not a Keel disk, so the disk was not replaced: ${reason}.`);
        return;
      }
      marker(`disk replaced by ${file.name}`);
      send({ type: "disk-upload", name: file.name, bytes }, [buffer]);
      term.focus();
    }).catch((error: unknown) => setDiskError(`${JSON.stringify(file.name)} could not be read: ${String(error)}`));
  });
  importFileButton.addEventListener("click", () => importInput.click());
  importInput.addEventListener("change", () => {
    const picked = Array.from(importInput.files ?? []);
    importInput.value = "";
    setDiskError(null);
    // Into the shell's directory, names and overwrites asked about (web/files-ui.ts).
    files.copyFiles(picked);
  });
  element("disk-error-close", HTMLButtonElement).addEventListener("click", () => setDiskError(null));

  const handle: KeelPageHandle = {
    term,
    params: Object.freeze({ ...params }),
    paramErrors: Object.freeze([...errors]),
    lastVgaText: () => [...lastText],
    lastVgaCells: () => (lastCells === null ? [] : Array.from(lastCells)),
    lastVgaCursor: () => (lastCursor === null ? null : { ...lastCursor }),
    status: () => ({ ...lastStatus, clock: runningClock ?? config.clock, fatal }),
    disk: () => ({ info: diskInfo === null ? null : { ...diskInfo }, error: diskError, done: { ...diskDone } }),
    snapshots: () => snapshots.state(),
    replay: () => share.replayView(),
    shareLink: () => share.shareLink(),
    sharePatch: () => share.patchView(),
    panels: () => panels.snapshot(),
    code: () => code.snapshot(),
    kernel: () => kernel,
    files: () => files.snapshot(),
    clipboard: () => clipboard.snapshot(),
    cluster: () => cluster?.snapshot() ?? null,
    machineTerm: (index) => (index === 0 ? term : cluster?.term(index) ?? null),
  };
  Object.defineProperty(window, "keel", { value: Object.freeze(handle), writable: false, configurable: false });

  // An exact-replay link (#replay=) sets the configuration before the boot.
  void share.prepareBoot(config).then((c) => share.preparePatch(c)).catch((error: unknown) => console.error(error)).then(async () => {
    // The page reloads for cross-origin isolation: boot nothing now.
    if ((await isolation) === "reloading") return;
    // A cluster's replay link (web/cluster/cluster-link.ts) sets the machines and their input.
    const clusterPayload = clusterPayloadOf(window.location.hash);
    let replays: SharedSession[] | null = null;
    if (clusterPayload !== null) {
      try {
        replays = await decodeCluster(clusterPayload);
        const first = replays[0]!.config;
        Object.assign(config, {
          ramBytes: first.ramMiB * 1024 * 1024, clock: "deterministic", cmdline: first.cmdline, userland: first.userland, disk: "memory",
          replay: replays[0]!.events,
        } satisfies Partial<BootConfig>);
      } catch (error) {
        showFatal(`The cluster link cannot be replayed: ${error instanceof Error ? error.message : String(error)}`);
        replays = null;
      }
    }
    if (params.machines > 1 || params.switch !== "" || replays !== null) {
      try {
        cluster = await Cluster.create({
          machines: replays?.length ?? params.machines, switchName: replays !== null ? "" : params.switch, primary: worker, primaryTerm: term,
          panelsReceive: (message) => panels.receive(message.id, message.result),
        });
        cluster.boot(config, replays?.map((r) => r.events) ?? []);
        Object.assign(config, cluster.configFor(0, config));
      } catch (error) {
        showFatal(`The cluster could not be built, so one machine runs alone: ${String(error)}`);
      }
    }
    // Alone, the page's machine is keel-1 for the ./vm/ route (web/vm-route.ts),
    // at web/net-worker.ts's PAGE_MAC and PAGE_ADDRESS.
    if (cluster === null) registerMachine({ name: "keel-1", slot: 1, mac: "02:00:00:00:00:02", ip: "10.0.0.2/24", worker });
    // ?parallel=1 (docs/architecture.md "Parallel vCPUs"): only where the page can; else interleaved, and the banner says why.
    if (params.parallel) {
      const problem = replays !== null || config.replay !== undefined ? "is not available with a replay link (a replay interleaves its vCPUs)"
        : parallelProblem({ cpus: config.cpus ?? 1, clock: config.clock }, window.crossOriginIsolated === true);
      if (problem === null) config.parallel = true;
      else showParamErrors([{ name: "parallel", value: new URLSearchParams(window.location.search).get("parallel") ?? "", reason: problem }]);
    }
    statusBar.configure(config);
    send({ type: "boot", config });
  });
}

function logFromHost(level: LogLevel, text: string): void {
  const line = `[keel host] ${text}`;
  if (level >= LogLevel.Error) console.error(line);
  else if (level >= LogLevel.Warn) console.warn(line);
  else console.info(line);
}

start();
