// The kernel's home in the browser: a module Web Worker that builds one
// machine from the page's boot config as the embeddable API does
// (KeelMachine, host/api.ts: the Machine of host/machine.ts, its run loop
// and console), and reports back through web/protocol.ts.
//
// Running here keeps the page responsive however busy the kernel is. All
// outgoing traffic is rate-limited: UART bytes are batched for at most
// UART_FLUSH_MS, VGA frames are diffed and sent only when they changed (at
// most every VGA_FRAME_MS), status goes out every STATUS_MS and on each state
// change. Nothing here needs SharedArrayBuffer.
//
// The disk (web/disk/store.ts) outlives the machines: it is opened once, and
// every machine the worker builds plugs a block device on it. Replacing it
// (Reset disk, Upload disk) stops the machine first, then boots a new one.
// So does a kernel built in the page (web/code/, `kernel-boot`): checked
// first, then the machine is replaced by one running it on the same disk.

import kernelUrl from "../build/kernel.wasm?url";
import sharedKernelUrl from "../build/kernel.shared.wasm?url";
import { webVcpuSpawner } from "./vcpu-spawner";
import bootfsUrl from "../user/bin/bootfs.img?url";
import diskUrl from "../build/disk.img?url";
import { BOOT_MODULE_BOOTFS, type BootModule } from "../host/bootinfo.js";
import { Machine, MachineConfigError, type MachineCallbacks, type MachineConfig, type MachineState } from "../host/machine";
import { JIT_DEFAULT_THRESHOLD, type JitSetting } from "../host/rv/jit-host";
import { captureSnapshot, decodeSnapshot, encodeSnapshot, restoreDetached, snapshotBuildId, type SnapshotCapture } from "../host/snapshot";
import { CallbackRelay, restoredBootConfig, snapshotDiskProblem } from "./snapshot-worker";
import type { InspectQuery, InspectResult } from "../host/inspect-types";
import { KeelMachine } from "../host/api";
import type { BlockBackend } from "./disk/backend";
import { MAX_DISK_BLOCKS, checkImage } from "./disk/image";
import { KdiskError, packDisk, unpackDisk } from "../host/disk/kdisk";
import { DiskReader } from "../host/fs/reader";
import { IMPORT_EXISTS, type ImportResult } from "../host/import";
import { DOWNLOAD_MAX_BYTES } from "../host/transfer";
import { DiskStore } from "./disk/store";
import {
  type BootConfig, type CopyEntry, type CopyOutcome, type DiskOperation, type MachineStatus, type PageToWorker, type VgaCursor, type WorkerToPage,
  LogLevel, STATUS_MS, UART_FLUSH_MS, VGA_FRAME_MS,
} from "./protocol";
import { FlowControl } from "./flow-control";
import { SessionShare, type ShareNotes } from "./share-worker";
import { LinePlayer } from "./share-player";
import { runSteps } from "./share";
import { UartBatcher } from "./uart-batcher";
import { kernelInterfaceProblem } from "./kernel-interface";
import { readWithProgress } from "./fetch-progress";
import { GdbBridgeClient } from "./gdb-bridge-worker";
import { UndoDisk } from "../host/disk/undo";
import { PageNet, addressOf, withAddress } from "./net-worker";
import type { LoadItem } from "./protocol";
import { PanelDebugger } from "./debug-worker";
import type { DebugReply, DebugRequest } from "./debug-protocol";
import { WorkerNetPort } from "./net-port";
import { parseMac } from "../host/net/backend";

const scope = self as unknown as DedicatedWorkerGlobalScope;

/** Console text a session keeps (for waiting on prompts), in characters. */
const CONSOLE_TEXT_KEPT = 64 * 1024;
/** How often a link's `run` lines are looked at while the machine sleeps. */
const PLAYER_POLL_MS = 50;

function post(message: WorkerToPage, transfer: Transferable[] = []): void {
  scope.postMessage(message, transfer);
}

/** Tells the page a file is asked for (its row shows before any byte comes). */
function waiting(item: LoadItem): void {
  post({ type: "load-progress", item, loaded: 0, total: null, done: false });
}

/** A fetched file's bytes, its progress reported to the page as it arrives. */
function readLoading(response: Response, item: LoadItem): Promise<Uint8Array<ArrayBuffer>> {
  return readWithProgress(response, (report) => post({ type: "load-progress", item, ...report }));
}

/** Fetches and compiles the kernel once; reboots reuse the module. */
let kernelModule: Promise<WebAssembly.Module> | null = null;
/** The running kernel's build id (host/snapshot.ts), once it is fetched. */
let kernelBuild: Promise<string> | null = null;
/** The shipped kernel's build id, for `kernel-reset`. */
let shippedBuild: Promise<string> | null = null;
/** The patch of the kernel the machines run; null for the shipped one. */
let runningPatch: string | null = null;
/** That patch as a unified diff (web/code/patch.ts), for share links; null for the shipped kernel. */
let runningDiff: string | null = null;

function loadKernel(): Promise<WebAssembly.Module> {
  kernelModule ??= (async () => {
    const url = new URL(kernelUrl, import.meta.url);
    waiting("kernel");
    const response = await fetch(url);
    if (!response.ok) throw new Error(`fetching the kernel from ${url.href} failed: HTTP ${response.status}`);
    // compile() rather than compileStreaming(): a plain static host may not
    // serve .wasm as application/wasm, and the kernel is small.
    const bytes = await readLoading(response, "kernel");
    kernelBuild = shippedBuild = snapshotBuildId(bytes);
    return WebAssembly.compile(bytes);
  })();
  return kernelModule;
}

/** The shared-memory kernel build (parallel vCPUs), fetched and compiled once. */
let sharedKernelModule: Promise<WebAssembly.Module> | null = null;

function loadSharedKernel(): Promise<WebAssembly.Module> {
  sharedKernelModule ??= (async () => {
    const url = new URL(sharedKernelUrl, import.meta.url);
    const response = await fetch(url);
    if (!response.ok) throw new Error(`fetching the shared-memory kernel from ${url.href} failed: HTTP ${response.status}`);
    return WebAssembly.compile(await response.arrayBuffer());
  })();
  return sharedKernelModule;
}

/** Fetches the boot file system image (the user programs) once. */
let bootfsImage: Promise<Uint8Array> | null = null;

function loadBootfs(): Promise<Uint8Array> {
  bootfsImage ??= (async () => {
    const url = new URL(bootfsUrl, import.meta.url);
    waiting("bootfs");
    const response = await fetch(url);
    if (!response.ok) throw new Error(`fetching the boot file system from ${url.href} failed: HTTP ${response.status}`);
    return readLoading(response, "bootfs");
  })();
  return bootfsImage;
}

/** Fetches the shipped disk image (build/disk.img) once, and checks it. */
let shippedImage: Promise<Uint8Array> | null = null;

function loadShippedDisk(): Promise<Uint8Array> {
  const load = async () => {
    if (diskUrl === "") throw new Error("this build ships no disk image (build/disk.img was missing when it was built)");
    const url = new URL(diskUrl, import.meta.url);
    waiting("disk");
    const response = await fetch(url);
    if (!response.ok) throw new Error(`fetching the disk image from ${url.href} failed: HTTP ${response.status}`);
    const image = await readLoading(response, "disk");
    const reason = checkImage(image);
    if (reason !== null) throw new Error(`the shipped disk image is not a Keel disk: ${reason}`);
    return image;
  };
  shippedImage ??= load().catch((error: unknown) => {
    shippedImage = null; // try again next time
    throw error;
  });
  // Callers may keep and change what they get: each gets its own copy.
  return shippedImage.then((image) => image.slice());
}

function sameCursor(a: VgaCursor | null, b: VgaCursor): boolean {
  return a !== null && a.row === b.row && a.col === b.col && a.visible === b.visible && a.start === b.start &&
    a.end === b.end;
}

function sameCells(a: Uint16Array | null, b: Uint16Array): boolean {
  if (a === null || a.length !== b.length) return false;
  for (let i = 0; i < b.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** One booted machine and the timers that report on it. */
class Session {
  /** The machine as the embeddable API has it (host/api.ts): its run loop,
   *  its console output and text. */
  private readonly keel: KeelMachine;
  /** The run loop's controls (the KeelMachine's start, stop and kick). */
  private readonly loop: Pick<KeelMachine, "start" | "stop" | "kick">;
  private readonly machine: Machine;
  /** Records the input for the Share button; plays a replay link back. */
  readonly share: SessionShare;
  private readonly uart = new UartBatcher((bytes) => this.sendUart(bytes), UART_FLUSH_MS);
  /** Pauses the run loop while the page is far behind drawing the console. */
  private readonly flow = new FlowControl(() => this.loop.stop(), () => this.loop.start());
  private lastCells: Uint16Array | null = null;
  private lastCursor: VgaCursor | null = null;
  private lastStatusKey = "";
  private detail: string | undefined;
  private readonly vgaTimer: ReturnType<typeof setInterval>;
  private readonly statusTimer: ReturnType<typeof setInterval>;
  /** A link's `run` lines being typed, and the timer that looks in between slices. */
  private player: LinePlayer | null = null;
  private playerTimer: ReturnType<typeof setInterval> | null = null;
  /** `?gdb-bridge=`: gdb on this computer debugging this machine (web/gdb-bridge-worker.ts). */
  private bridge: GdbBridgeClient | null = null;
  /** The disk behind its undo log, for reverse execution (deterministic clock). */
  private readonly undoDisk: UndoDisk | null;
  /** The Debugger panel's side (web/debug-worker.ts): the machine's debug target. */
  readonly debug: PanelDebugger;

  constructor(
    kernel: WebAssembly.Module,
    private readonly config: BootConfig,
    modules: BootModule[],
    disk: BlockBackend | null,
    /** Boots of the machines before this one (a replaced disk means a new
     *  machine; the page keeps counting). */
    private readonly bootsBefore: number,
    /** Builds the machine instead (one restored from a snapshot). */
    restored?: (callbacks: MachineCallbacks) => Machine,
  ) {
    // Reverse execution (the Debugger panel's, gdb's through the bridge)
    // takes the disk back with the machine (host/disk/undo.ts).
    this.undoDisk = config.clock === "deterministic" && disk !== null ? new UndoDisk(disk) : null;
    const machineConfig: MachineConfig = {
      // A cluster's machine (the page runs the switch) keeps its own ip=; alone, the machine gets the page's.
      ramBytes: config.ramBytes, clock: config.clock, cmdline: config.nic !== undefined ? config.cmdline : withAddress(config.cmdline), modules,
      disk: this.undoDisk ?? disk,
      ...(config.cpus !== undefined && config.cpus > 1 ? { cpus: config.cpus } : {}),
      // Parallel vCPUs run without the JIT (docs/architecture.md "Parallel vCPUs").
      ...(config.parallel === true ? { parallel: webVcpuSpawner, jit: false } : { jit: jitSettingOf(config) }),
      nic: pageNet.machineNet(() => this.machine?.virtualNowNs ?? 0,
        netPort !== null && config.nic !== undefined ? { backend: netPort, mac: parseMac(config.nic.mac) } : null),
    };
    this.keel = new KeelMachine({ kernel, config: machineConfig, outputLimit: CONSOLE_TEXT_KEPT }, restored);
    this.machine = this.keel.machine;
    pageNet.adopt(this.machine);
    this.keel.onOutput((bytes) => this.uart.push(bytes));
    this.keel.onState((state, detail) => this.onStateChanged(state, detail));
    this.keel.onLog((level, text) => post({ type: "log", level: toLogLevel(level), text }));
    this.debug = new PanelDebugger(this.machine, {
      bootfs: modules.find((m) => m.kind === BOOT_MODULE_BOOTFS)?.data ?? null, undoDisk: this.undoDisk,
      kick: () => this.keel.kick(), post: (view) => {
        this.uart.flush();
        post({ type: "debug-view", view });
      },
    });
    this.keel.onTick((report) => {
      this.debug.afterSlice();
      pageNet.afterSlice();
      if (this.share.afterTick(report.state)) this.loop.kick();
      this.pollLines();
    });
    // Lockstep (a deterministic cluster): the page's `step` messages run the
    // machine, never a run loop of its own.
    this.loop = config.nic?.lockstep === true ? { start: () => this.keel, stop: () => undefined, kick: () => undefined } : this.keel;
    this.share = new SessionShare(this.machine, post, () => {
      // What the machine printed before the reboot comes first: the replay
      // reboots in the middle of a slice, with output still in the machine.
      this.machine.flushOutput();
      this.uart.flush();
      post({ type: "console-marker", text: "reboot" });
    });
    this.vgaTimer = setInterval(() => this.sendVgaIfChanged(), VGA_FRAME_MS);
    this.statusTimer = setInterval(() => this.sendStatus(false), STATUS_MS);
  }

  boot(): void {
    this.detail = undefined;
    this.machine.boot();
    post({ type: "booted", ramBytes: this.config.ramBytes, clock: this.config.clock });
    this.loop.start();
    this.sendStatus(true);
    this.startBridge();
  }

  /** Connects to `keel gdb-bridge` if the page was opened with ?gdb-bridge=. */
  private startBridge(): void {
    const url = this.config.gdbBridge;
    if (url === undefined || this.bridge !== null) return;
    this.bridge = new GdbBridgeClient(url, {
      machine: this.machine,
      undoDisk: this.undoDisk,
      target: this.debug.target, // one debug target per machine: the panel's and gdb's
      kick: () => this.loop.kick(),
      onTick: (listener) => this.keel.onTick(listener),
      log: (text, warn) => post({ type: "log", level: warn ? LogLevel.Warn : LogLevel.Info, text }),
    });
  }

  reboot(): void {
    this.detail = undefined;
    this.uart.flush();
    this.loop.stop();
    this.share.reboot();
    // Still behind on the console: flow control restarts the loop later.
    if (!this.flow.isPaused) this.loop.start();
    this.sendStatus(true);
  }

  /** Wakes the run loop (frames arrived for the machine). */
  kick(): void {
    this.loop.kick();
  }

  input(data: string): void {
    this.share.input(new TextEncoder().encode(data));
    this.loop.kick(); // does nothing while the loop is stopped
  }

  /** Copies entries into the console's working directory (host/import.ts);
   *  resolves with each answer, in order. A path the machine refuses is a
   *  failed answer, not a throw. */
  copyIn(entries: CopyEntry[], replace: boolean, onProgress: (done: number) => void): Promise<ImportResult[]> {
    const progress = new Map<number, number>();
    const answers = entries.map((entry, i) => {
      try {
        if (entry.dir) return this.machine.importDir(entry.path, { cwd: true });
        return this.machine.importFile(entry.path, entry.bytes ?? new Uint8Array(0), {
          cwd: true, quiet: true, replace,
          onProgress: (bytes) => {
            progress.set(i, bytes);
            let done = 0;
            for (const n of progress.values()) done += n;
            onProgress(done);
          },
        });
      } catch (error) {
        return Promise.resolve({ code: -14, error: errorText(error), baseInum: 0, inum: 0 });
      }
    });
    this.loop.kick();
    return Promise.all(answers);
  }

  /** The directory `copyIn` writes to, as the kernel sees it (its inum), or null. */
  async cwdInum(): Promise<number | null> {
    const probe = this.machine.importProbe();
    this.loop.kick();
    const answer = await probe;
    return answer.code === 0 ? answer.baseInum : null;
  }

  /** Frames arrived for the NIC: the run loop, if it sleeps, looks now. */
  netDelivered(): void {
    this.loop.kick();
  }

  /** Lockstep: runs the machine up to virtual time `horizonNs` (as
   *  host/net/cluster.ts does for each of its machines); true when it is
   *  idle there. */
  step(horizonNs: number): boolean {
    this.machine.setHorizon(horizonNs);
    let state: MachineState = this.machine.state;
    for (let guard = 0; guard < 1_000_000; guard++) {
      const report = this.machine.runFor(Number.POSITIVE_INFINITY);
      state = report.state;
      if (state === "halted" || state === "panicked" || state === "off" || this.machine.virtualNowNs >= horizonNs) break;
    }
    // What the run loop's tick does (see the constructor's onTick).
    this.share.afterTick(state);
    this.pollLines();
    return this.machine.state !== "running";
  }

  /** Boots so far, this machine's and its predecessors'. */
  get boots(): number {
    return this.bootsBefore + this.machine.stats().boots;
  }

  consoleCaughtUp(bytes: number): void {
    this.flow.acknowledged(bytes);
  }

  /** Types `run` text line by line (web/share-player.ts); replaces any still being typed. */
  playLines(text: string): void {
    this.stopLines();
    this.player = new LinePlayer(runSteps(text), this.keel, { send: (data) => this.input(data) });
    this.playerTimer = setInterval(() => this.pollLines(), PLAYER_POLL_MS);
    post({ type: "run-progress", typed: 0, total: this.player.total });
    this.pollLines();
  }

  private pollLines(): void {
    const player = this.player;
    if (player === null) return;
    if (player.poll()) post({ type: "run-progress", typed: player.typed, total: player.total });
    if (player.done) this.stopLines();
  }

  private stopLines(): void {
    if (this.playerTimer !== null) clearInterval(this.playerTimer);
    this.playerTimer = null;
    this.player = null;
  }

  /** The panels' read-only view of the kernel (host/inspect.ts); never changes the machine. */
  inspect(query: InspectQuery): InspectResult {
    if (query.what === "net") return pageNet.answer(query.packetsFrom);
    return this.machine.inspect(query);
  }

  /** A Debugger panel request, answered between slices. */
  debugRequest(request: DebugRequest): DebugReply {
    this.uart.flush();
    const reply = this.debug.handle(request);
    this.loop.kick();
    this.sendStatus(true);
    return reply;
  }

  /** Hot swap: the machine goes on under `kernel` (host/machine.ts
   *  swapKernel), between two slices; throws the refusal. */
  swapKernel(kernel: WebAssembly.Module): number {
    this.uart.flush();
    this.loop.stop();
    const started = performance.now();
    try {
      this.machine.swapKernel(kernel);
      return performance.now() - started;
    } finally {
      if (!this.flow.isPaused) this.loop.start();
      this.sendStatus(true);
    }
  }

  /** Starts a machine restored from a snapshot (instead of boot()). */
  resume(): void {
    if (this.machine.state === "panicked") this.detail = this.machine.panicText;
    this.loop.start();
    this.sendVgaIfChanged();
    this.sendStatus(true);
    this.startBridge();
  }

  /** What a snapshot of the machine needs, copied now (host/snapshot.ts). */
  snapshot(): SnapshotCapture {
    this.uart.flush();
    return captureSnapshot(this.machine);
  }

  dispose(): void {
    this.bridge?.close();
    this.share.stopReplay("stopped: the machine was replaced");
    this.stopLines();
    this.keel.dispose();
    clearInterval(this.vgaTimer);
    clearInterval(this.statusTimer);
    this.uart.flush();
  }

  private sendUart(bytes: Uint8Array): void {
    const length = bytes.length;
    post({ type: "uart", bytes }, [bytes.buffer]);
    this.flow.sent(length);
  }

  private onStateChanged(state: MachineState, detail?: string): void {
    this.detail = state === "halted" || state === "panicked" ? detail : undefined;
    // The console and the screen first, so that whoever reacts to the new
    // state (a panic, say) already sees what led to it.
    this.uart.flush();
    this.sendVgaIfChanged();
    this.sendStatus(true);
  }

  private sendVgaIfChanged(): void {
    const cells = this.machine.vgaCells();
    const cursor = this.machine.vgaCursor();
    if (sameCells(this.lastCells, cells) && sameCursor(this.lastCursor, cursor)) return;
    this.uart.flush();
    // vgaCells() returns a fresh copy: keep it, and give the page another.
    this.lastCells = cells;
    this.lastCursor = { ...cursor };
    const sent = cells.slice();
    post({ type: "vga", cells: sent, cursor: { ...cursor }, text: this.machine.vgaText() }, [sent.buffer]);
  }

  private sendStatus(force: boolean): void {
    const stats = this.machine.stats();
    const jit = this.machine.jitStats();
    const status: MachineStatus = {
      state: stats.state,
      uptimeNs: stats.uptimeNs,
      workTotal: stats.workTotal,
      ramBytes: stats.ramBytes,
      boots: this.bootsBefore + stats.boots,
      ...(this.detail !== undefined ? { detail: this.detail } : {}),
      ...(jit !== null ? { jit: { units: jit.units, insns: Number(jit.insns), retired: Number(jit.retired) } } : {}),
    };
    const key = JSON.stringify(status);
    if (!force && key === this.lastStatusKey) return;
    this.lastStatusKey = key;
    post({ type: "status", status });
  }
}

function toLogLevel(level: number): LogLevel {
  if (level <= LogLevel.Info) return LogLevel.Info;
  if (level >= LogLevel.Error) return LogLevel.Error;
  return LogLevel.Warn;
}

function errorText(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

let session: Session | null = null;
/** The machine's network: its switch, packet capture and the Network panel's answers (web/net-worker.ts). */
const pageNet = new PageNet(() => session?.kick());
/** Keys typed while the kernel was still loading, delivered once it boots. */
let earlyInput = "";
/** What every machine is built from, fixed by the first boot. */
/** The machine's JIT setting for a page config (the default threshold unless `?jit=off`). */
function jitSettingOf(config: BootConfig): JitSetting {
  return config.jit === true ? JIT_DEFAULT_THRESHOLD : false;
}

let booting: { kernel: WebAssembly.Module; config: BootConfig; modules: BootModule[] } | null = null;
let disk: DiskStore | null = null;
/** Disk operations run one at a time, in the order the page asked. */
let diskQueue: Promise<void> = Promise.resolve();
let lastDiskKey = "";
/** An exact-replay link's input, for the first machine. */
let pendingReplay: BootConfig["replay"] | null = null;
let shareNotes: ShareNotes = { inexact: null, shippedDisk: false };
/** The machine's end of the page's switch, when the boot config gives it a NIC (web/net-port.ts). */
let netPort: WorkerNetPort | null = null;

async function boot(config: BootConfig): Promise<void> {
  session?.dispose();
  session = null;
  const [shipped, bootfs] = await Promise.all([loadKernel(), config.userland ? loadBootfs() : Promise.resolve(null)]);
  // A share link's patched kernel (web/code/patch-boot.ts), built in the page.
  let kernel = config.kernel !== undefined ? await checkedKernel(config.kernel.bytes, "booted") : shipped;
  if (config.parallel === true) {
    // Parallel vCPUs run the shared-memory build, and none of what they refuse
    // (a patched kernel, a snapshot, a replay): those boot interleaved.
    const refused = config.kernel !== undefined ? "a patched kernel" : config.snapshot !== undefined ? "a snapshot" : config.replay !== undefined ? "a replay" : null;
    if (refused === null && typeof SharedArrayBuffer !== "undefined") {
      kernel = await loadSharedKernel();
    } else {
      post({ type: "log", level: LogLevel.Warn, text: `parallel vCPUs are not available with ${refused ?? "no SharedArrayBuffer"}: the vCPUs are interleaved` });
      config = { ...config, parallel: false };
    }
  }
  if (config.kernel !== undefined) {
    kernelBuild = snapshotBuildId(config.kernel.bytes);
    runningPatch = config.kernel.patch;
    runningDiff = config.kernel.diff;
  }
  const modules: BootModule[] = bootfs ? [{ name: "bootfs", kind: BOOT_MODULE_BOOTFS, data: bootfs }] : [];
  booting = { kernel, config, modules };
  if (config.nic !== undefined) {
    netPort = new WorkerNetPort(config.nic.lockstep ? null : (batch) => post({ type: "net-frames", batch }, [batch.buffer]));
  }
  pendingReplay = config.replay ?? null;
  shareNotes = { inexact: null, shippedDisk: config.disk === "memory" };
  // userland=0 is the kernel monitor alone: with a disk the kernel would
  // mount it and start init from it.
  disk = config.userland ? await openDisk(config) : null;
  if (config.snapshot !== undefined && await bootSnapshot(config.snapshot)) {
    setInterval(() => sendDiskInfo(false), STATUS_MS);
    return;
  }
  startSession(0);
  if (runningPatch !== null) post({ type: "kernel", kernel: { patch: runningPatch, diff: runningDiff }, how: "boot" });
  setInterval(() => sendDiskInfo(false), STATUS_MS);
}

/** A `?snapshot=` link: the machine starts as the snapshot, checked as the
 *  Restore buttons check one. False when it cannot be restored: that is
 *  reported, and the caller boots as usual instead. */
async function bootSnapshot(snapshot: { url: string; bytes: Uint8Array }): Promise<boolean> {
  let restored;
  try {
    restored = await restoreSnapshot(snapshot.bytes);
  } catch (error) {
    post({ type: "snapshot-error", message: `The snapshot ${snapshot.url} was not restored: ${errorText(error)} Keel booted as usual instead.` });
    return false;
  }
  post({ type: "booted", ...restored });
  return true;
}

/** Opens the disk; without one the machine still boots (and says why). */
async function openDisk(config: BootConfig): Promise<DiskStore | null> {
  const log = (text: string) => post({ type: "log", level: LogLevel.Warn, text: `disk: ${text}` });
  try {
    const store = await DiskStore.open(config.disk, loadShippedDisk, log);
    store.onError = (message) => post({ type: "disk-error", message });
    return store;
  } catch (error) {
    post({ type: "disk-error", message: `Keel runs without a disk: ${errorText(error)}` });
    return null;
  }
}

/** Builds a machine on the current disk and boots it. */
function startSession(bootsBefore: number): void {
  if (booting === null) return;
  // The disk first: the page knows where it is by the time it hears `booted`.
  sendDiskInfo(true);
  session = new Session(booting.kernel, booting.config, booting.modules, disk?.backend ?? null, bootsBefore);
  if (pendingReplay) session.share.startReplay(pendingReplay);
  pendingReplay = null;
  session.boot();
  if (earlyInput !== "") session.input(earlyInput);
  earlyInput = "";
}

function sendDiskInfo(force: boolean): void {
  if (disk === null) return;
  const info = disk.info();
  const key = JSON.stringify(info);
  if (!force && key === lastDiskKey) return;
  lastDiskKey = key;
  post({ type: "disk", info });
}

/** Runs `operation` after the disk operations before it; reports its failure. */
function diskOperation(name: DiskOperation, operation: () => Promise<void> | void): void {
  diskQueue = diskQueue
    .then(async () => {
      await operation();
      post({ type: "disk-done", operation: name });
    })
    .catch((error: unknown) => post({ type: "disk-error", message: errorText(error) }));
}

/** Stops the machine, replaces the disk with `image`, boots a new machine.
 *  A bad image is refused before anything is stopped. */
async function replaceDisk(image: Uint8Array, what: string): Promise<void> {
  const reason = checkImage(image);
  if (reason !== null) throw new Error(`${what} is not a Keel disk, so the disk was not replaced: ${reason}.`);
  if (disk === null) throw new Error("Keel runs without a disk: there is nothing to replace.");
  const boots = session?.boots ?? 0;
  // Stop the machine cleanly: no more requests reach the old disk, what it
  // wrote is flushed, and the console has everything it printed.
  session?.dispose();
  session = null;
  disk.flush();
  try {
    await disk.replace(image);
  } finally {
    // Whatever happened to the stored disk, the page gets a machine again.
    startSession(boots);
  }
}

async function downloadDisk(format: "kdisk" | "raw"): Promise<void> {
  if (disk === null) throw new Error("Keel runs without a disk: there is nothing to download.");
  disk.flush();
  const image = disk.image();
  const bytes = format === "raw" ? image : await packDisk(image, disk.info().blocks);
  post({ type: "disk-image", bytes, name: format === "raw" ? "keel-disk.img" : "keel-disk.kdisk" }, [bytes.buffer]);
}

/** A disk file as the user gave it: a .kdisk or gzipped image is unpacked
 *  to the raw image the store keeps (host/disk/kdisk.ts). */
async function diskFileImage(bytes: Uint8Array, what: string): Promise<Uint8Array> {
  let unpacked;
  try {
    unpacked = await unpackDisk(bytes, MAX_DISK_BLOCKS);
  } catch (error) {
    if (error instanceof KdiskError) throw new Error(`${what} is not a Keel disk, so the disk was not replaced: ${error.message}.`);
    throw error;
  }
  return unpacked.image;
}

/** Files of a copy that exist already, waiting for the page's answer, by copy id. */
const waitingCopies = new Map<number, CopyEntry[]>();

function readerOrNull(): DiskReader | null {
  if (disk === null) return null;
  try {
    return new DiskReader(disk.backend);
  } catch {
    return null;
  }
}

/** The path ("/work") of directory `inum` on the disk, or null. */
function pathOfInum(inum: number | null): string | null {
  if (inum === null) return null;
  const path = readerOrNull()?.pathOf(inum) ?? null;
  return path === null ? null : `/${path}`;
}

async function copyIn(id: number, entries: CopyEntry[], replace: boolean): Promise<void> {
  if (session === null) throw new Error("Nothing was copied: no machine is running.");
  if (disk === null) throw new Error("Nothing was copied: Keel runs without a disk.");
  const total = entries.reduce((sum, e) => sum + (e.bytes?.length ?? 0), 0);
  let lastPost = 0;
  const answers = await session.copyIn(entries, replace, (done) => {
    const now = performance.now();
    if (now - lastPost < 50 && done < total) return;
    lastPost = now;
    post({ type: "copy-progress", id, done, total });
  });
  const outcomes: CopyOutcome[] = [];
  const waiting: CopyEntry[] = [];
  answers.forEach((answer, i) => {
    const entry = entries[i]!;
    const exists = answer.code === IMPORT_EXISTS && !entry.dir;
    if (exists && !replace) waiting.push(entry);
    outcomes.push({ path: entry.path, dir: entry.dir, status: answer.code === 0 ? "copied" : exists ? "exists" : "failed", error: answer.error });
  });
  if (waiting.length > 0) waitingCopies.set(id, waiting);
  const base = answers.find((a) => a.baseInum > 0)?.baseInum ?? null;
  post({ type: "copy-result", id, cwd: pathOfInum(base), outcomes, waiting: waiting.map((e) => e.path) });
}

async function copyOverwrite(id: number, replace: string[]): Promise<void> {
  const waiting = waitingCopies.get(id) ?? [];
  waitingCopies.delete(id);
  const chosen = waiting.filter((e) => replace.includes(e.path));
  if (chosen.length === 0) {
    post({ type: "copy-result", id, cwd: null, outcomes: [], waiting: [] });
    return;
  }
  await copyIn(id, chosen, true);
}

async function fsTree(id: number): Promise<void> {
  const reader = readerOrNull();
  if (reader === null) {
    post({ type: "fs-tree", id, root: null, truncated: false, cwd: null, error: disk === null ? "Keel runs without a disk." : "The disk holds no Keel file system." });
    return;
  }
  const cwd = session === null ? null : pathOfInum(await session.cwdInum());
  // Read after the probe: the tree is as the kernel left it at that moment.
  const { root, truncated } = (readerOrNull() ?? reader).tree();
  post({ type: "fs-tree", id, root, truncated, cwd, error: null });
}

function fsRead(id: number, path: string): void {
  const reader = readerOrNull();
  if (reader === null) throw new Error("Keel runs without a disk.");
  const inum = reader.lookup(path);
  if (inum === null) throw new Error(`/${path} is not on the disk (any more).`);
  if (reader.kindOf(inum) !== "file") throw new Error(`/${path} is not a file.`);
  const bytes = reader.read(inum, DOWNLOAD_MAX_BYTES);
  post({ type: "fs-file", id, path, bytes }, [bytes.buffer]);
}

/** Snapshots wait for the disk operations before them (a restore replaces the disk). */
function snapshotOperation(operation: () => Promise<void>): void {
  diskQueue = diskQueue.then(operation).catch((error: unknown) => post({ type: "snapshot-error", message: errorText(error) }));
}

async function saveSnapshot(): Promise<void> {
  if (session === null || kernelBuild === null) throw new Error("No machine is running, so there is nothing to save.");
  const bytes = await encodeSnapshot(session.snapshot(), await kernelBuild);
  post({ type: "snapshot-saved", bytes }, [bytes.buffer]);
}

/** Checks everything, builds the restored machine, and only then stops the
 *  running one and replaces the disk. */
async function restoreSnapshot(bytes: Uint8Array): Promise<{ ramBytes: number; clock: BootConfig["clock"] }> {
  if (booting === null || kernelBuild === null) throw new Error("Keel has not started yet; try again in a moment.");
  const { kernel, modules } = booting;
  const snapshot = await decodeSnapshot(bytes, await kernelBuild);
  const problem = snapshotDiskProblem(snapshot, disk !== null);
  if (problem !== null) throw new Error(problem);
  const relay = new CallbackRelay();
  const restored = restoreDetached(kernel, snapshot, relay.callbacks, modules, null, jitSettingOf(booting.config));
  const machine = restored.machine;
  const boots = session?.boots ?? 0;
  session?.dispose();
  session = null;
  if (snapshot.disk !== null && disk !== null) {
    disk.flush();
    try {
      await disk.replace(snapshot.disk.image);
    } catch (error) {
      startSession(boots); // the page gets a machine again, on the disk as it was
      throw new Error(`The snapshot's disk could not be stored, so the snapshot was not restored: ${errorText(error)}`);
    }
    restored.attachDisk(disk.backend);
  }
  sendDiskInfo(true);
  session = new Session(kernel, restoredBootConfig(booting.config, snapshot), modules, null, 0, (callbacks) => relay.attach(callbacks, machine));
  session.resume();
  // A replay starts from a boot, which the restored machine never had.
  shareNotes = { inexact: "the machine was restored from a snapshot", shippedDisk: false };
  post({ type: "snapshot-restored", ramBytes: snapshot.config.ramBytes, clock: snapshot.config.clock, savedAt: snapshot.created });
  return { ramBytes: snapshot.config.ramBytes, clock: snapshot.config.clock };
}

const CHANGED_KERNEL = "the machine runs a kernel changed in the page";

/** Replaces the machine by one running `bytes` (null: the shipped kernel) on
 *  the same disk. Everything is checked before the running machine is
 *  stopped; a kernel that cannot be built into a machine gives the previous
 *  one back. */
async function switchKernel(bytes: Uint8Array | null, patch: string | null, diff: string | null): Promise<void> {
  if (booting === null || shippedBuild === null) throw new Error("Keel has not started yet; try again in a moment.");
  const shipped = await loadKernel();
  let kernel = shipped;
  let build = shippedBuild;
  if (bytes !== null) {
    kernel = await checkedKernel(bytes, "booted");
    build = snapshotBuildId(bytes);
  }
  await build;
  const previous = { kernel: booting.kernel, build: kernelBuild };
  const boots = session?.boots ?? 0;
  session?.dispose();
  session = null;
  disk?.flush();
  booting = { ...booting, kernel };
  kernelBuild = build;
  try {
    startSession(boots);
  } catch (error) {
    // startSession may have got as far as building the session.
    (session as Session | null)?.dispose();
    session = null;
    booting = { ...booting, kernel: previous.kernel };
    kernelBuild = previous.build;
    startSession(boots);
    throw new Error(`The new kernel could not be started, so the previous one runs again: ${errorText(error)}`);
  }
  runningPatch = patch;
  runningDiff = patch === null ? null : diff;
  // The new machine boots on the disk the old one used. A replay link
  // carries the kernel's diff, so the page that opens it builds the same
  // kernel; without the diff it would boot the shipped one.
  const before = shareNotes.inexact === CHANGED_KERNEL || shareNotes.inexact === SWAPPED_KERNEL ? null : shareNotes.inexact;
  shareNotes = { inexact: patch !== null && runningDiff === null ? CHANGED_KERNEL : before, shippedDisk: false };
  post({ type: "kernel", kernel: { patch: runningPatch, diff: runningDiff }, how: "boot" });
}

/** The new kernel as a module, checked against the interface the host calls. */
async function checkedKernel(bytes: Uint8Array, what: string): Promise<WebAssembly.Module> {
  const shipped = await loadKernel();
  let kernel: WebAssembly.Module;
  try {
    kernel = await WebAssembly.compile(bytes as BufferSource);
  } catch (error) {
    throw new Error(`The new kernel was not ${what}: it is not a WebAssembly module the browser accepts (${errorText(error)}).`);
  }
  const problem = kernelInterfaceProblem(shipped, kernel);
  if (problem !== null) throw new Error(`The new kernel was not ${what}: ${problem}.`);
  return kernel;
}

const SWAPPED_KERNEL = "the kernel was replaced while the machine ran (hot swap)";

/** Hot swap: the running machine goes on under the kernel `bytes`, over
 *  the same RAM, processes, disk and clock. A refusal changes nothing. */
async function applyKernel(bytes: Uint8Array, patch: string | null, diff: string | null): Promise<void> {
  if (booting === null || session === null) throw new Error("Keel has not started yet; try again in a moment.");
  const kernel = await checkedKernel(bytes, "applied");
  const build = snapshotBuildId(bytes);
  await build;
  let ms: number;
  try {
    ms = session.swapKernel(kernel);
  } catch (error) {
    if (!(error instanceof MachineConfigError)) throw error;
    post({ type: "kernel-error", refused: true, message: `The new kernel was not applied in place: ${errorText(error)}.` });
    return;
  }
  booting = { ...booting, kernel };
  kernelBuild = build;
  runningPatch = patch;
  runningDiff = patch === null ? null : diff;
  // A replay boots one kernel and runs it: it cannot change kernels halfway.
  shareNotes = { ...shareNotes, inexact: SWAPPED_KERNEL };
  post({ type: "kernel", kernel: { patch: runningPatch, diff: runningDiff }, how: "swap", swapMs: ms });
}

/** Hot swaps run one at a time, in order with the other kernel and disk operations. */
function applyOperation(bytes: Uint8Array, patch: string | null, diff: string): void {
  diskQueue = diskQueue.then(() => applyKernel(bytes, patch, diff))
    .catch((error: unknown) => post({ type: "kernel-error", message: errorText(error) }));
}

/** Kernel switches run one at a time, after the disk operations before them. */
function kernelOperation(bytes: Uint8Array | null, patch: string | null, diff: string | null): void {
  diskQueue = diskQueue.then(() => switchKernel(bytes, patch, diff))
    .catch((error: unknown) => post({ type: "kernel-error", message: errorText(error) }));
}

scope.addEventListener("message", (event: MessageEvent<PageToWorker>) => {
  const message = event.data;
  try {
    switch (message.type) {
      case "boot":
        boot(message.config).catch((error: unknown) => post({ type: "fatal", message: errorText(error) }));
        break;
      case "input":
        if (session === null) earlyInput += message.data;
        else session.input(message.data);
        break;
      case "run-lines":
        session?.playLines(message.text);
        break;
      case "uart-ack":
        session?.consoleCaughtUp(message.bytes);
        break;
      case "reboot":
        session?.reboot();
        break;
      case "disk-reset":
        diskOperation("reset", async () => {
          await replaceDisk(await loadShippedDisk(), "The shipped disk image");
          shareNotes = { inexact: null, shippedDisk: true };
        });
        break;
      case "disk-upload":
        diskOperation("upload", async () => {
          await replaceDisk(await diskFileImage(message.bytes, JSON.stringify(message.name)), JSON.stringify(message.name));
          shareNotes = { inexact: "the machine runs on an uploaded disk", shippedDisk: false };
        });
        break;
      case "inspect":
        post({
          type: "inspect-result",
          id: message.id,
          result: session !== null ? session.inspect(message.query) : { what: "error", message: "No machine is running." },
        });
        break;
      case "debug":
        post({
          type: "debug-result",
          id: message.id,
          reply: session !== null ? session.debugRequest(message.request) : { kind: "error", message: "No machine is running.", view: null },
        });
        break;
      case "share-request":
        if (session !== null && kernelBuild !== null) {
          const recording = session.share.recording(shareNotes);
          void kernelBuild.then((build) => post({
            type: "share-recording", id: message.id, recording: { ...recording, kernel: { patch: runningPatch, diff: runningDiff, build } },
          }));
        }
        break;
      case "disk-download":
        diskOperation("download", () => downloadDisk(message.format ?? "kdisk"));
        break;
      case "snapshot-save":
        snapshotOperation(saveSnapshot);
        break;
      case "snapshot-restore":
        snapshotOperation(async () => void (await restoreSnapshot(message.bytes)));
        break;
      case "kernel-boot":
        kernelOperation(message.bytes, message.patch, message.diff);
        break;
      case "kernel-reset":
        kernelOperation(null, null, null);
        break;
      case "kernel-apply":
        applyOperation(message.bytes, message.patch, message.diff);
        break;
      case "copy-in":
        diskOperation("copy", () => {
          shareNotes.inexact ??= "files were copied into the machine";
          return copyIn(message.id, message.entries, false);
        });
        break;
      case "copy-overwrite":
        diskOperation("copy", () => copyOverwrite(message.id, message.replace));
        break;
      case "fs-tree":
        fsTree(message.id).catch((error: unknown) => post({ type: "fs-tree", id: message.id, root: null, truncated: false, cwd: null, error: errorText(error) }));
        break;
      case "http-request":
        pageNet.serveHttp(message.request, addressOf(booting === null ? "" : booting.config.nic !== undefined ? booting.config.cmdline : withAddress(booting.config.cmdline)), message.port);
        break;
      case "net-frames":
        netPort?.deliver(message.batch);
        session?.netDelivered();
        break;
      case "step": {
        netPort?.deliver(message.batch);
        const idle = session?.step(message.horizonNs) ?? true;
        const batch = netPort?.take() ?? new Uint8Array(0);
        post({ type: "stepped", horizonNs: message.horizonNs, batch, idle }, [batch.buffer]);
        break;
      }
      case "fs-read":
        try {
          fsRead(message.id, message.path);
        } catch (error) {
          post({ type: "fs-error", id: message.id, message: errorText(error) });
        }
        break;
    }
  } catch (error) {
    post({ type: "fatal", message: errorText(error) });
  }
});

// A throw out of the run loop (a host bug, or a WebAssembly trap the machine
// did not catch) would otherwise die silently inside the worker.
// Reported here, once, rather than again by the page's worker.onerror.
scope.addEventListener("error", (event) => {
  event.preventDefault();
  post({ type: "fatal", message: event.message });
});
scope.addEventListener("unhandledrejection", (event) => {
  event.preventDefault();
  post({ type: "fatal", message: errorText(event.reason) });
});
