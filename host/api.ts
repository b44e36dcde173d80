// The embeddable Machine API: the `keel` package's entry (package.json
// `exports`, docs/embedding.md). A KeelMachine is one Machine
// (host/machine.ts) with what an embedder needs around it: the console as
// text, a run loop, waiting for output, the VGA screen as text, snapshots,
// and a console to attach (xterm.js on a page, streams in Node).
//
// It runs wherever host/machine.ts runs: Node, a Web Worker, a page. Nothing
// here imports a Node or DOM module statically; file reading (Node) and
// xterm.js (a page) are imported when they are used.
//
// The project uses it itself: the Node test harness (host/testing/
// machine-harness.ts) is a KeelMachine, and so is the page worker's machine
// (web/worker.ts).

import { BOOT_MODULE_BOOTFS, type BootModule } from "./bootinfo.js";
import { Machine, MachineConfigError, type ClockModeName, type MachineCallbacks, type MachineConfig, type MachineState, type RunReport } from "./machine.js";
import { RunLoop } from "./runloop.js";
import type { BlockBackend } from "./devices/block.js";
import { MemoryBackend } from "./disk/memory.js";
import { declaredDiskBlocks } from "./fs/format.js";
import { SnapshotError, decodeSnapshot, restoreMachine as restoreSavedMachine, saveSnapshot, snapshotBuildId } from "./snapshot.js";

export { Machine, MachineConfigError, SnapshotError };
export type { BlockBackend, ClockModeName, MachineConfig, MachineState, RunReport };

/** Bytes, or where to get them: a URL (fetched) or, in Node, a file path or `file:` URL. */
export type Source = Uint8Array | ArrayBuffer | URL | string;

export interface MachineOptions {
  /** RAM in MiB (default 128). */
  memory?: number;
  /** `deterministic` (default): time follows the work done, so a run is the
   *  same every time; `realtime`: time follows the wall clock. */
  clock?: ClockModeName;
  /** The kernel: a compiled module, its bytes, or where to load them. In
   *  Node the default is the package's build/kernel.wasm. */
  kernel?: WebAssembly.Module | Source;
  /** The user programs (the boot file system image): true (default) for
   *  the package's user/bin/bootfs.img in Node, an image or where to load
   *  one, or false for the kernel monitor alone. */
  userland?: boolean | Source;
  /** The disk: none (default, the boot file system is the root),
   *  `"shipped"` (Node: the package's build/disk.img), an image (copied), where
   *  to load one, or a block backend of your own. */
  disk?: null | "none" | "shipped" | Source | BlockBackend;
  /** The kernel command line (default empty). */
  cmdline?: string;
  /** vCPUs, 1 (default) to 8: kernel instances over one RAM, interleaved on
   *  one thread (docs/architecture.md "Several vCPUs"). */
  cpus?: number;
  /** Deterministic entropy seed. */
  seed?: number;
  /** Deterministic clock: the date the guest sees at power-on (ms since the epoch). */
  epochMs?: number;
  /** A snapshot (`.keelsnap`, host/snapshot.ts) to continue instead of
   *  booting; memory, clock and command line then come from it. */
  snapshot?: Source;
  /** Start the run loop at once (default true). With false, nothing runs
   *  until start(), waitFor() or run() (or the harness's synchronous driving). */
  start?: boolean;
}

/** What a KeelMachine is built from once everything is loaded. */
export interface MachineSpec {
  kernel: WebAssembly.Module;
  /** The kernel's bytes: they name its build in snapshots (save() needs them). */
  kernelBytes?: Uint8Array;
  config: MachineConfig;
  /** Most characters of console text kept (default: all). Past it the
   *  oldest half goes; positions (`end`, marks, `from`) still count from
   *  the first character ever printed. */
  outputLimit?: number;
}

export interface WaitOptions {
  /** Milliseconds of wall-clock time to wait (default 10 000). */
  timeout?: number;
  /** Where in `output` to start looking (default: just after what the
   *  previous waitFor() or run() matched). */
  from?: number;
}

export interface RunOptions {
  /** What the line waits for at the end of the output (default the shell's `$ `). */
  prompt?: string | RegExp;
  timeout?: number;
}

/** waitFor() gave up: the output did not match in time, or the machine stopped. */
export class WaitError extends Error {
  constructor(message: string, readonly output: string) {
    super(message);
  }
}

/** An xterm.js Terminal, or anything with the same two methods. */
export interface TerminalLike {
  write(data: string | Uint8Array): void;
  onData(listener: (data: string) => void): { dispose(): void };
}

/** Node streams (or anything with these methods): output gets the console's bytes, input's data is typed. */
export interface StreamPair {
  output?: { write(chunk: Uint8Array): unknown };
  input?: { on(event: "data", listener: (chunk: Uint8Array | string) => void): unknown; off?(event: "data", listener: (chunk: Uint8Array | string) => void): unknown };
}

/** A DOM element, described by what is used of it (so Node builds need no DOM types). */
export interface ElementLike {
  readonly nodeType: number;
}

export interface ConsoleAttachment {
  /** The terminal (an element gets a new xterm.js Terminal; a terminal given is returned). */
  terminal: TerminalLike | null;
  /** Stops relaying both ways (an xterm.js Terminal made here is disposed). */
  detach(): void;
}

const MIB = 1024 * 1024;
const DEFAULT_MEMORY_MIB = 128;
const DEFAULT_TIMEOUT_MS = 10_000;
const SHELL_PROMPT = /\n\$ $/;

type Waiter = { test(): boolean; fail(error: WaitError): void };

export class KeelMachine {
  readonly machine: Machine;
  private readonly kernelBytes: Uint8Array | undefined;
  private text = "";
  /** Characters of console text dropped from the front (outputLimit). */
  private dropped = 0;
  private readonly outputLimit: number;
  private readonly decoder = new TextDecoder();
  private readonly outputListeners = new Set<(bytes: Uint8Array) => void>();
  private readonly stateListeners = new Set<(state: MachineState, detail?: string) => void>();
  private readonly logListeners = new Set<(level: number, text: string) => void>();
  private loop: RunLoop | null = null;
  private readonly tickListeners = new Set<(report: RunReport) => void>();
  private lastReport: RunReport | null = null;
  /** Where waitFor() looks from next: after its last match. */
  private cursor = 0;
  private readonly waiters = new Set<Waiter>();

  /** Builds the machine (not booted: call boot(), or restore into it with
   *  `build`, which makes the Machine from these callbacks instead). */
  constructor(spec: MachineSpec, build?: (callbacks: MachineCallbacks) => Machine) {
    this.kernelBytes = spec.kernelBytes;
    this.outputLimit = spec.outputLimit ?? Infinity;
    const callbacks: MachineCallbacks = {
      uartOutput: (bytes) => this.received(bytes),
      stateChanged: (state, detail) => {
        for (const listener of this.stateListeners) listener(state, detail);
        this.checkWaiters();
      },
      hostLog: (level, text) => {
        for (const listener of this.logListeners) listener(level, text);
      },
    };
    this.machine = build?.(callbacks) ?? new Machine(spec.kernel, spec.config, callbacks);
  }

  /** Everything the console printed, as text (UTF-8, carriage returns
   *  removed); with an outputLimit, the last part of it. */
  get output(): string {
    return this.text;
  }

  /** Characters of console text printed so far: a mark for since() and waitFor(). */
  get end(): number {
    return this.dropped + this.text.length;
  }

  /** What the console printed since `mark` (an `end`, or a length of `output`, taken earlier). */
  since(mark: number): string {
    return this.text.slice(Math.max(0, mark - this.dropped));
  }

  get state(): MachineState {
    return this.machine.state;
  }

  /** Calls `listener` with every batch of bytes the console prints (CR LF
   *  line ends, as a terminal wants them); returns the unsubscribe. */
  onOutput(listener: (bytes: Uint8Array) => void): () => void {
    this.outputListeners.add(listener);
    return () => this.outputListeners.delete(listener);
  }

  onState(listener: (state: MachineState, detail?: string) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /** The kernel's host log (level 0 info, 1 warning, 2 error). */
  onLog(listener: (level: number, text: string) => void): () => void {
    this.logListeners.add(listener);
    return () => this.logListeners.delete(listener);
  }

  /** Powers on. */
  boot(): this {
    this.machine.boot();
    return this;
  }

  /** Calls `listener` with the report of every slice the run loop runs; returns the unsubscribe. */
  onTick(listener: (report: RunReport) => void): () => void {
    this.tickListeners.add(listener);
    return () => this.tickListeners.delete(listener);
  }

  /** Runs the machine in the background (short slices, never blocking the
   *  thread; host/runloop.ts) until stop(). */
  start(): this {
    this.loop ??= new RunLoop(this.machine, {
      onTick: (report) => {
        this.lastReport = report;
        for (const listener of this.tickListeners) listener(report);
        this.checkWaiters();
      },
    });
    this.loop.start();
    return this;
  }

  stop(): void {
    this.loop?.stop();
  }

  /** The run loop, if it is waiting, runs now (after a change it cannot see). */
  kick(): void {
    this.loop?.kick();
  }

  /** Keyboard input, as bytes or text: it goes to the console's receive path as given. */
  input(data: string | Uint8Array): void {
    this.machine.input(data);
    this.loop?.kick();
  }

  /** Types text as a terminal would send it: each newline becomes Enter (a carriage return). */
  type(text: string): void {
    this.input(text.replaceAll("\r\n", "\r").replaceAll("\n", "\r"));
  }

  /** Waits until the console output, from `from` on, matches `pattern`;
   *  resolves with that output up to the end of the match. Runs the
   *  machine (start()) if it is not running. Rejects with a WaitError on
   *  timeout, or when the machine halts or panics first. */
  waitFor(pattern: string | RegExp, options: WaitOptions = {}): Promise<string> {
    const from = options.from ?? this.cursor;
    const matchEnd = (): number | null => {
      const seen = this.since(from);
      if (typeof pattern === "string") {
        const at = seen.indexOf(pattern);
        return at < 0 ? null : at + pattern.length;
      }
      const found = new RegExp(pattern.source, pattern.flags.replace("g", "").replace("y", "")).exec(seen);
      return found === null ? null : found.index + found[0].length;
    };
    return this.waitUntil(() => {
      const end = matchEnd();
      if (end === null) return null;
      this.cursor = from + end;
      return this.since(from).slice(0, end);
    }, String(pattern), from, options.timeout);
  }

  /** Resolves with what `check` returns once it is not null (checked after
   *  every batch of output and change of state). */
  private waitUntil<T>(check: () => T | null, what: string, from: number, timeout = DEFAULT_TIMEOUT_MS): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const waiter: Waiter = {
        test: () => {
          const found = check();
          if (found !== null) {
            finish();
            resolve(found);
            return true;
          }
          const state = this.machine.state;
          if (state === "halted" || state === "panicked") {
            waiter.fail(new WaitError(`the machine ${state} before printing ${what}${state === "panicked" ? ` (${this.machine.panicText})` : ""}`, this.since(from)));
            return true;
          }
          return false;
        },
        fail: (error) => {
          finish();
          reject(error);
        },
      };
      const finish = () => {
        this.waiters.delete(waiter);
        if (timer !== undefined) clearTimeout(timer);
      };
      if (waiter.test()) return;
      this.waiters.add(waiter);
      timer = setTimeout(() => waiter.fail(new WaitError(`${what} did not appear within ${timeout} ms`, this.since(from))), timeout);
      if (this.machine.state === "off") this.boot();
      this.start();
      waiter.test();
    });
  }

  /** The machine waits for input: at its last slice of the run loop it was
   *  idle with no wake-up time, and nothing typed is left unread. */
  waitingForInput(): boolean {
    const report = this.lastReport;
    return report !== null && report.state === "idle" && report.wakeInMs === null && this.machine.uart.rxQueued() === 0;
  }

  /** Waits for the prompt (if the output does not end with it yet), types
   *  `line` and Enter, waits for the prompt to come back, and resolves with
   *  what the command printed (without the echoed line and the prompt). */
  async run(line: string, options: RunOptions = {}): Promise<string> {
    const prompt = options.prompt ?? SHELL_PROMPT;
    const atEnd = typeof prompt === "string"
      ? new RegExp(`${escapeRegExp(prompt)}$`)
      : new RegExp(`(?:${prompt.source})$`, prompt.flags.replace("g", "").replace("y", ""));
    // Typed before the prompt (during the boot log, say), the line's echo
    // would land in the middle of other output.
    // A restored machine has printed nothing here, but waits at its prompt.
    if (!atEnd.test(this.text)) {
      await this.waitUntil(() => (atEnd.test(this.text) || (this.end === 0 && this.waitingForInput()) ? true : null),
        `${String(prompt)} at the end of the output`, 0, options.timeout);
    }
    const mark = this.end;
    this.type(`${line}\n`);
    const seen = await this.waitFor(atEnd, { from: mark, timeout: options.timeout });
    let before = seen.slice(0, seen.search(atEnd));
    if (!before.endsWith("\n")) before += "\n";
    return before.slice(before.indexOf("\n") + 1); // the echoed line goes
  }

  /** The VGA text screen, one string per row (CP437 shown as Unicode). */
  screen(): string[] {
    return this.machine.vgaText();
  }

  /** The VGA text screen as one string, rows joined by newlines, trailing blanks cut. */
  screenText(): string {
    return this.screen().map((row) => row.replace(/\s+$/, "")).join("\n").replace(/\n+$/, "");
  }

  /** A snapshot of the machine (a `.keelsnap` file's bytes, host/snapshot.ts);
   *  createMachine({ snapshot }) continues it. Needs the kernel's bytes. */
  async save(): Promise<Uint8Array> {
    if (this.kernelBytes === undefined) throw new SnapshotError("this machine was built from a compiled kernel module without its bytes, so its build cannot be named in a snapshot");
    return saveSnapshot(this.machine, await snapshotBuildId(this.kernelBytes));
  }

  /** Connects a console: a DOM element (an xterm.js Terminal is opened in
   *  it; a page needs @xterm/xterm and its CSS), a terminal of your own, or
   *  Node streams. Output printed before is written to it first. */
  async attachConsole(target: ElementLike | TerminalLike | StreamPair): Promise<ConsoleAttachment> {
    let terminal: TerminalLike | null = null;
    let ownTerminal: { dispose(): void } | null = null;
    if (isElement(target)) {
      const { Terminal } = await import("@xterm/xterm");
      const made = new Terminal({ convertEol: false, cursorBlink: true });
      made.open(target as unknown as HTMLElement);
      terminal = made;
      ownTerminal = made;
    } else if (isTerminal(target)) {
      terminal = target;
    }
    const stops: (() => void)[] = [];
    if (terminal !== null) {
      const term = terminal;
      if (this.text !== "") term.write(this.text.replaceAll("\n", "\r\n"));
      stops.push(this.onOutput((bytes) => term.write(bytes)));
      const typed = term.onData((data) => this.input(data));
      stops.push(() => typed.dispose());
    } else {
      const streams = target as StreamPair;
      const output = streams.output;
      if (output) {
        if (this.text !== "") output.write(new TextEncoder().encode(this.text.replaceAll("\n", "\r\n")));
        stops.push(this.onOutput((bytes) => output.write(bytes)));
      }
      const input = streams.input;
      if (input) {
        const listener = (chunk: Uint8Array | string) => this.input(chunk);
        input.on("data", listener);
        stops.push(() => input.off?.("data", listener));
      }
    }
    return {
      terminal,
      detach: () => {
        for (const stop of stops) stop();
        ownTerminal?.dispose();
      },
    };
  }

  /** Stops the machine's run loop and fails whatever waits on it. */
  dispose(): void {
    this.stop();
    for (const waiter of [...this.waiters]) waiter.fail(new WaitError("the machine was disposed", ""));
  }

  private received(bytes: Uint8Array): void {
    // Terminals want CR LF; the text is read with plain newlines.
    this.text += this.decoder.decode(bytes, { stream: true }).replaceAll("\r", "");
    if (this.text.length > this.outputLimit) {
      const cut = this.text.length - Math.floor(this.outputLimit / 2);
      this.dropped += cut;
      this.text = this.text.slice(cut);
    }
    for (const listener of this.outputListeners) listener(bytes);
    this.checkWaiters();
  }

  private checkWaiters(): void {
    for (const waiter of [...this.waiters]) waiter.test();
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function isElement(target: unknown): target is ElementLike {
  return typeof target === "object" && target !== null && typeof (target as ElementLike).nodeType === "number";
}

function isTerminal(target: unknown): target is TerminalLike {
  return typeof target === "object" && target !== null && typeof (target as TerminalLike).write === "function" &&
    typeof (target as TerminalLike).onData === "function";
}

// ---- loading ------------------------------------------------------------------

const inNode = typeof process !== "undefined" && typeof process.versions?.node === "string";

/** Loads bytes: given ones as they are, a URL by fetch() (or, in Node, a file path or file: URL from disk). */
export async function loadBytes(source: Source, what: string): Promise<Uint8Array> {
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  const url = source instanceof URL ? source : /^[a-z][a-z0-9+.-]*:/i.test(source) && !/^[a-z]:[\\/]/i.test(source) ? new URL(source) : null;
  if (inNode && (url === null || url.protocol === "file:")) {
    const { readFile } = await import(/* @vite-ignore */ "node:fs/promises");
    try {
      return new Uint8Array(await readFile(url ?? (source as string)));
    } catch (error) {
      throw new MachineConfigError(`cannot read the ${what} from ${String(source)}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const response = await fetch(url ?? new URL(source as string, globalThis.location?.href));
  if (!response.ok) throw new MachineConfigError(`fetching the ${what} from ${String(source)} failed: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/** The package's own files (kernel, boot file system, shipped disk), found
 *  from this module's place: in host/ when run from source, in build/keel/
 *  when bundled (scripts/build-api.mjs). Node only. */
async function packageFile(relative: string, what: string): Promise<Uint8Array> {
  if (!inNode) throw new MachineConfigError(`outside Node, createMachine needs the ${what} given (its bytes or URL)`);
  const { existsSync, readFileSync } = await import(/* @vite-ignore */ "node:fs");
  for (let dir = new URL(/* @vite-ignore */ ".", import.meta.url); ; dir = new URL("..", dir)) {
    const manifest = new URL("package.json", dir);
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "keel") {
      const file = new URL(relative, dir);
      if (!existsSync(file)) throw new MachineConfigError(`the ${what} (${relative}) is not built; run "npm run build"`);
      return new Uint8Array(readFileSync(file));
    }
    if (dir.pathname === "/" || new URL("..", dir).href === dir.href) throw new MachineConfigError(`cannot find the keel package's ${what}`);
  }
}

const compiled = new Map<string, Promise<{ module: WebAssembly.Module; bytes: Uint8Array }>>();

async function loadKernel(kernel: MachineOptions["kernel"]): Promise<{ module: WebAssembly.Module; bytes?: Uint8Array }> {
  if (kernel instanceof WebAssembly.Module) return { module: kernel };
  if (kernel === undefined || typeof kernel === "string" || kernel instanceof URL) {
    const key = kernel === undefined ? "" : String(kernel);
    let entry = compiled.get(key);
    if (entry === undefined) {
      entry = (async () => {
        const bytes = kernel === undefined ? await packageFile("build/kernel.wasm", "kernel") : await loadBytes(kernel, "kernel");
        return { module: await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>), bytes };
      })();
      compiled.set(key, entry);
      entry.catch(() => compiled.delete(key));
    }
    return entry;
  }
  const bytes = await loadBytes(kernel, "kernel");
  return { module: await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>), bytes };
}

async function loadModules(userland: MachineOptions["userland"]): Promise<BootModule[]> {
  if (userland === false) return [];
  const image = userland === undefined || userland === true
    ? await packageFile("user/bin/bootfs.img", "boot file system")
    : await loadBytes(userland, "boot file system");
  return [{ name: "bootfs", kind: BOOT_MODULE_BOOTFS, data: image }];
}

function isBackend(disk: unknown): disk is BlockBackend {
  return typeof disk === "object" && disk !== null && typeof (disk as BlockBackend).read === "function" &&
    typeof (disk as BlockBackend).blocks === "number";
}

async function loadDisk(disk: MachineOptions["disk"]): Promise<BlockBackend | null> {
  if (disk === undefined || disk === null || disk === "none") return null;
  if (isBackend(disk)) return disk;
  const image = disk === "shipped" ? await packageFile("build/disk.img", "shipped disk image") : (await loadBytes(disk, "disk image")).slice();
  const blocks = declaredDiskBlocks(image);
  if (blocks === null) throw new MachineConfigError("the disk image is not a Keel disk (no superblock)");
  return new MemoryBackend(image, blocks);
}

/** Builds a machine, boots it (or continues a snapshot) and, unless
 *  `start: false`, runs it in the background. */
export async function createMachine(options: MachineOptions = {}): Promise<KeelMachine> {
  const [kernel, modules] = await Promise.all([loadKernel(options.kernel), loadModules(options.userland)]);
  if (options.snapshot !== undefined) {
    if (kernel.bytes === undefined) throw new SnapshotError("a snapshot is checked against the kernel's build: give the kernel as bytes or a URL, not a compiled module");
    const snapshot = await decodeSnapshot(await loadBytes(options.snapshot, "snapshot"), await snapshotBuildId(kernel.bytes));
    const disk = snapshot.disk === null ? null : new MemoryBackend(snapshot.disk.image, snapshot.disk.blocks);
    const machine = new KeelMachine(
      { kernel: kernel.module, kernelBytes: kernel.bytes, config: {
        ramBytes: snapshot.config.ramBytes, clock: snapshot.config.clock, cmdline: snapshot.config.cmdline,
        ...(snapshot.config.cpus !== undefined ? { cpus: snapshot.config.cpus } : {}),
      } },
      (callbacks) => restoreSavedMachine(kernel.module, snapshot, callbacks, { modules, disk }),
    );
    if (options.start !== false) machine.start();
    return machine;
  }
  const memory = options.memory ?? DEFAULT_MEMORY_MIB;
  if (!Number.isInteger(memory) || memory <= 0) throw new MachineConfigError(`memory must be a whole number of MiB, not ${memory}`);
  const config: MachineConfig = {
    ramBytes: memory * MIB,
    clock: options.clock ?? "deterministic",
    cmdline: options.cmdline ?? "",
    modules,
    disk: await loadDisk(options.disk),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.epochMs !== undefined ? { epochMs: options.epochMs } : {}),
    ...(options.cpus !== undefined ? { cpus: options.cpus } : {}),
  };
  const machine = new KeelMachine({ kernel: kernel.module, kernelBytes: kernel.bytes, config });
  machine.boot();
  if (options.start !== false) machine.start();
  return machine;
}
