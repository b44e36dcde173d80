// The kernel's home in the browser: a module Web Worker that builds one
// Machine (host/machine.ts) from the page's boot config, drives it with the
// RunLoop (host/runloop.ts), and reports back through web/protocol.ts.
//
// Running here keeps the page responsive however busy the kernel is. All
// outgoing traffic is rate-limited: UART bytes are batched for at most
// UART_FLUSH_MS, VGA frames are diffed and sent only when they changed (at
// most every VGA_FRAME_MS), status goes out every STATUS_MS and on each state
// change. Nothing here needs SharedArrayBuffer.

import kernelUrl from "../build/kernel.wasm?url";
import bootfsUrl from "../user/bin/bootfs.img?url";
import { BOOT_MODULE_BOOTFS, type BootModule } from "../host/bootinfo.js";
import { Machine, type MachineState } from "../host/machine";
import { RunLoop } from "../host/runloop";
import {
  type BootConfig, type MachineStatus, type PageToWorker, type VgaCursor, type WorkerToPage,
  LogLevel, STATUS_MS, UART_FLUSH_MS, VGA_FRAME_MS,
} from "./protocol";
import { FlowControl } from "./flow-control";
import { UartBatcher } from "./uart-batcher";

const scope = self as unknown as DedicatedWorkerGlobalScope;

function post(message: WorkerToPage, transfer: Transferable[] = []): void {
  scope.postMessage(message, transfer);
}

/** Fetches and compiles the kernel once; reboots reuse the module. */
let kernelModule: Promise<WebAssembly.Module> | null = null;

function loadKernel(): Promise<WebAssembly.Module> {
  kernelModule ??= (async () => {
    const url = new URL(kernelUrl, import.meta.url);
    const response = await fetch(url);
    if (!response.ok) throw new Error(`fetching the kernel from ${url.href} failed: HTTP ${response.status}`);
    // compile() rather than compileStreaming(): a plain static host may not
    // serve .wasm as application/wasm, and the kernel is small.
    return WebAssembly.compile(await response.arrayBuffer());
  })();
  return kernelModule;
}

/** Fetches the boot file system image (the user programs) once. */
let bootfsImage: Promise<Uint8Array> | null = null;

function loadBootfs(): Promise<Uint8Array> {
  bootfsImage ??= (async () => {
    const url = new URL(bootfsUrl, import.meta.url);
    const response = await fetch(url);
    if (!response.ok) throw new Error(`fetching the boot file system from ${url.href} failed: HTTP ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  })();
  return bootfsImage;
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
  private readonly machine: Machine;
  private readonly loop: RunLoop;
  private readonly uart = new UartBatcher((bytes) => this.sendUart(bytes), UART_FLUSH_MS);
  /** Pauses the run loop while the page is far behind drawing the console. */
  private readonly flow = new FlowControl(() => this.loop.stop(), () => this.loop.start());
  private lastCells: Uint16Array | null = null;
  private lastCursor: VgaCursor | null = null;
  private lastStatusKey = "";
  private detail: string | undefined;
  private readonly vgaTimer: ReturnType<typeof setInterval>;
  private readonly statusTimer: ReturnType<typeof setInterval>;

  constructor(kernel: WebAssembly.Module, private readonly config: BootConfig, modules: BootModule[]) {
    this.machine = new Machine(
      kernel,
      { ramBytes: config.ramBytes, clock: config.clock, cmdline: config.cmdline, modules },
      {
        uartOutput: (bytes) => this.uart.push(bytes),
        stateChanged: (state, detail) => this.onStateChanged(state, detail),
        hostLog: (level, text) => post({ type: "log", level: toLogLevel(level), text }),
      },
    );
    this.loop = new RunLoop(this.machine, {});
    this.vgaTimer = setInterval(() => this.sendVgaIfChanged(), VGA_FRAME_MS);
    this.statusTimer = setInterval(() => this.sendStatus(false), STATUS_MS);
  }

  boot(): void {
    this.detail = undefined;
    this.machine.boot();
    post({ type: "booted", ramBytes: this.config.ramBytes, clock: this.config.clock });
    this.loop.start();
    this.sendStatus(true);
  }

  reboot(): void {
    this.detail = undefined;
    this.uart.flush();
    this.loop.stop();
    this.machine.reboot();
    // Still behind on the console: flow control restarts the loop later.
    if (!this.flow.isPaused) this.loop.start();
    this.sendStatus(true);
  }

  input(data: string): void {
    this.machine.input(data);
    this.loop.kick(); // does nothing while the loop is stopped
  }

  consoleCaughtUp(bytes: number): void {
    this.flow.acknowledged(bytes);
  }

  dispose(): void {
    this.loop.stop();
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
    const status: MachineStatus = {
      state: stats.state,
      uptimeNs: stats.uptimeNs,
      workTotal: stats.workTotal,
      ramBytes: stats.ramBytes,
      boots: stats.boots,
      ...(this.detail !== undefined ? { detail: this.detail } : {}),
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
/** Keys typed while the kernel was still loading, delivered once it boots. */
let earlyInput = "";

async function boot(config: BootConfig): Promise<void> {
  session?.dispose();
  session = null;
  const [kernel, bootfs] = await Promise.all([loadKernel(), config.userland ? loadBootfs() : Promise.resolve(null)]);
  const modules: BootModule[] = bootfs ? [{ name: "bootfs", kind: BOOT_MODULE_BOOTFS, data: bootfs }] : [];
  session = new Session(kernel, config, modules);
  session.boot();
  if (earlyInput !== "") session.input(earlyInput);
  earlyInput = "";
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
      case "uart-ack":
        session?.consoleCaughtUp(message.bytes);
        break;
      case "reboot":
        session?.reboot();
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
