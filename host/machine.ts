// The machine: RAM, the devices on their ports, the clock, and the kernel
// instance. It boots the kernel, runs it in slices and relays what it does.
// It has no Node- or DOM-only dependencies, so the same code runs headless
// (host/node/boot.ts) and in the page's Web Worker (web/worker.ts).
//
// Boot: fresh RAM and devices -> instantiate the kernel -> BootInfo written
// after the kernel image -> kmain(BOOTINFO_BASE). Run: run(budget) slices;
// each reports in the control block how much work it did and when it wants
// to be woken (docs/boot.md).

import { writeBootInfo, type BootModule, type BootLayout } from "./bootinfo.js";
import { DeterministicClock, RealtimeClock, type ClockState, type MachineClock } from "./clock.js";
import type { Device, Width } from "./device.js";
import { InterruptController } from "./devices/intc.js";
import { Timer } from "./devices/timer.js";
import { Uart16550 } from "./devices/uart16550.js";
import { VgaText } from "./devices/vga.js";
import { BlockDevice, type BlockBackend } from "./devices/block.js";
import { NicDevice } from "./devices/nic.js";
import type { NetBackend } from "./net/backend.js";
import { inspectRefusal, runInspect } from "./inspect.js";
import { IMPORT_FILE_MAX_BYTES, IMPORT_PIECE_BYTES, type ImportResult, importErrorText, pathProblem } from "./import.js";
import type { InspectQuery, InspectResult } from "./inspect-types.js";
import {
  BOOTINFO_BASE, CB_PANIC_LEN, CB_PANIC_MSG, CB_STATE, CB_WAKE_AT, CB_WORK_TOTAL, CB_WORK_USED, CONTROL_BLOCK,
  HV_E_INVALID, HV_E_NOMEM, HV_E_UNSUPPORTED, HV_ENTROPY, HV_IRQ_ROUTE, HV_LOG, HV_MEM_BALLOON, HV_MEM_GROW,
  HV_OK, HV_PANIC, HV_REBOOT, HV_SHUTDOWN, HV_VCPU_CREATE, HV_WALLCLOCK, IRQ_TIMER, IRQ_UART, RUN_BUDGET_SPENT,
  HV_IMPORT_INFO, HV_IMPORT_READ, HV_IMPORT_DONE, IMPORT_PATH_MAX, IMPORT_INFO_PATH, IMPORT_F_APPEND, IMPORT_F_CWD, IMPORT_F_DIR,
  IMPORT_F_PROBE, IMPORT_F_QUIET, IMPORT_F_REPLACE, CB_IMPORTS, IRQ_BLOCK, IRQ_NIC,
  RUN_HALTED, RUN_IDLE, RUN_PANICKED, RUN_REBOOT, WAKE_NEVER, KERNEL_IMAGE,
  HV_JIT_COMPILE, HV_CPU_RELAX,
} from "./hw.js";
import {
  MB_HYPERCALL, MB_PORT_IN, MB_PORT_OUT, MB_CONTROL_RUN, MB_CONTROL_STOP, makeMailbox, mailboxControl, serviceMailbox,
  type VcpuSpawner, type VcpuThread,
} from "./parallel.js";
import { CPU_KICKS, cpuRecordAddr } from "./cpus.js";
import { JIT_DEFAULT_THRESHOLD, jitHost, validateJitSetting, type JitHost, type JitSetting, type JitStats } from "./rv/jit-host.js";

export type ClockModeName = "realtime" | "deterministic";
export type MachineState = "off" | "running" | "idle" | "halted" | "panicked";

export interface MachineConfig {
  /** RAM in bytes, a multiple of 64 KiB (default 128 MiB). */
  ramBytes: number;
  clock: ClockModeName;
  cmdline: string;
  modules?: BootModule[];
  /** Deterministic clock: virtual nanoseconds per unit of kernel work. */
  nsPerWork?: number;
  /** Deterministic clock: the wall-clock date the guest sees at power-on (ms since the epoch). */
  epochMs?: number;
  /** Deterministic entropy seed. */
  seed?: number;
  /** The disk behind the block device (absent: no disk attached). */
  disk?: BlockBackend | null;
  /** The network card's wire and address (absent: no NIC fitted; docs/network.md). */
  nic?: { backend: NetBackend; mac?: Uint8Array } | null;
  /** The hart's JIT (docs/hart.md "JIT"): false for off, else the runs that
   *  make a block hot (1: every block); absent: on at JIT_DEFAULT_THRESHOLD.
   *  Not machine state: a snapshot restores under any setting. */
  jit?: JitSetting;
  /** vCPUs, 1 to MAX_CPUS (default 1): kernel instances over the one RAM,
   *  interleaved on this thread (docs/architecture.md "Several vCPUs"). */
  cpus?: number;
  /** Truly parallel vCPUs (docs/architecture.md "Parallel vCPUs"): vCPUs
   *  1..cpus-1 each run on a thread this makes (host/node/vcpu-threads.ts
   *  in Node), over RAM that is a shared WebAssembly.Memory. Realtime clock
   *  only, no JIT, and `kernel` must be the shared-memory build
   *  (build/kernel.shared.wasm). Without it several vCPUs are interleaved on
   *  this thread. */
  parallel?: VcpuSpawner;
}

/** Thrown out of the kernel when the disk's power is cut (crash tests): the
 *  machine stops at that instant, as on real hardware. */
class PowerLoss extends Error {}

export interface MachineCallbacks {
  /** Bytes the guest transmitted on the UART (batched). */
  uartOutput(bytes: Uint8Array): void;
  stateChanged?(state: MachineState, detail?: string): void;
  /** Messages from the HV_LOG hypercall (level 0 info, 1 warn, 2 error). */
  hostLog?(level: number, text: string): void;
}

export interface RunReport {
  state: MachineState;
  /** Realtime: ms until the machine wants to run again; null = idle until input. */
  wakeInMs: number | null;
}

/** Input played back at exact slice boundaries (host/replay.ts). In
 *  deterministic mode the kernel's run() calls are a pure function of the
 *  input delivered between them, so input given before the same call of the
 *  same power-on reproduces a session exactly. */
export interface InputSchedule {
  /** Called before every run() call and may call input() or reboot(). */
  beforeRun(machine: Machine): void;
  /** True while input is still due in this power-on: an idle deterministic
   *  machine then keeps calling run() (as the recorded machine did) instead
   *  of waiting for input that only the schedule will give. */
  pending(machine: Machine): boolean;
}

export interface MachineStats {
  state: MachineState;
  uptimeNs: number;
  workTotal: number;
  ramBytes: number;
  boots: number;
}

/** Everything of a machine a snapshot holds besides RAM and the disk
 *  (host/snapshot.ts): plain JSON values, except the queued imports. */
export interface MachineSavedState {
  state: MachineState;
  panicMessage: string;
  boots: number;
  /** run() calls since that power-on (host/replay.ts counts input by them). */
  runs: number;
  rngState: number;
  rebootRequested: boolean;
  layout: BootLayout | null;
  clock: ClockState;
  /** Each device's save(), by device name. */
  devices: Record<string, unknown>;
  /** UART bytes transmitted but not yet handed to uartOutput. */
  uartTx: number[];
  imports: ImportPiece[];
  /** The vCPUs HV_VCPU_CREATE started (vCPU 0 always; absent in older snapshots: [0]). */
  cpusOnline?: number[];
}

/** One queued piece of an import (host/import.ts): `name` is the path's
 *  bytes, `data` the piece; flags are IMPORT_F_*; `offset` is where the
 *  piece goes in a file of `total` bytes. */
export interface ImportPiece {
  name: Uint8Array;
  data: Uint8Array;
  flags?: number;
  offset?: number;
  total?: number;
}

/** How an import is done (Machine.importFile, importDir). */
export interface ImportOptions {
  /** Replace a file already there (else the answer is "the name exists"). */
  replace?: boolean;
  /** Take the path from the console's working directory (the shell's), not the root. */
  cwd?: boolean;
  /** No log line on the console (the caller shows the answer itself). */
  quiet?: boolean;
  /** Bytes of the file written so far, after each piece. */
  onProgress?: (bytes: number) => void;
}

interface KernelExports {
  kmain(bootInfo: number): number;
  /** After a snapshot restore: re-attach per-instance state (0 = done). */
  resume?(): number;
  /** resume() that keeps the debugging session (the GDB server's own snapshots). */
  resumeRewound?(): number;
  run(budget: number): number;
  kernelImageEnd(): number;
  panicFromHost?(): void;
  /** Read-only introspection (kernel-as/src/sys/inspect.ts, docs/inspect.md). */
  inspect?(query: number, arg0: number, arg1: number, arg2: number): number;
  /** The layout id of the kernel's sources (scripts/layout-id.mjs); absent or 0: none declared. */
  layoutVersion?(): number;
  _initialize?(): void;
  /** Which vCPU this instance is (lib/cpu.ts); called first on every instance. */
  cpuSetIndex?(index: number): number;
}

/** What a hot swap needs to know of a kernel module before it touches RAM. */
export interface KernelProbe {
  /** Its layout id (0: it declares none). */
  layoutId: number;
  /** First byte past its static data (its kernelImageEnd()). */
  imageEnd: number;
}

/** RAM for probing a module: enough for any kernel image (they start at 1 MiB). */
const PROBE_RAM_BYTES = 16 * 1024 * 1024;

/** Reads a kernel module's layout id and image end by instantiating it on
 *  scratch RAM with inert imports: it runs none of its code but those two
 *  exports, so nothing of a running machine is touched. */
export function probeKernel(kernel: WebAssembly.Module): KernelProbe {
  const memory = new WebAssembly.Memory({ initial: PROBE_RAM_BYTES / WASM_PAGE, maximum: MAX_WASM_PAGES });
  let instance: WebAssembly.Instance;
  try {
    instance = new WebAssembly.Instance(kernel, {
      env: { memory },
      keel: { port_in: () => 0xffffffff, port_out: () => undefined, hypercall: () => HV_E_UNSUPPORTED },
    });
  } catch (error) {
    throw new MachineConfigError(`the kernel cannot be instantiated: ${error instanceof Error ? error.message : String(error)}`);
  }
  const exports = instance.exports as unknown as Partial<KernelExports>;
  if (typeof exports.kernelImageEnd !== "function") throw new MachineConfigError("the kernel exports no kernelImageEnd()");
  return {
    layoutId: typeof exports.layoutVersion === "function" ? exports.layoutVersion() >>> 0 : 0,
    imageEnd: exports.kernelImageEnd() >>> 0,
  };
}

/** Why a kernel probed as `next` cannot take over RAM that a kernel probed
 *  as `running` laid out, with `imageLimit` the end of the kernel image
 *  region of that boot (BootLayout.kernelImageEnd: boot modules and
 *  allocated frames follow it); null when it can. */
export function hotSwapProblem(running: KernelProbe, next: KernelProbe, imageLimit: number): string | null {
  const hex = (n: number) => `0x${n.toString(16).padStart(8, "0")}`;
  if (running.layoutId === 0) return "the running kernel declares no layout id, so nothing says the new one reads its RAM the same way";
  if (next.layoutId === 0) return "the new kernel declares no layout id (layoutVersion)";
  if (next.layoutId !== running.layoutId) {
    return `the new kernel's layout id ${hex(next.layoutId)} differs from the running kernel's ${hex(running.layoutId)}: ` +
      "a constant, class or global that lays out the kernel's records changed, so it would read the running kernel's RAM wrongly";
  }
  if (next.imageEnd > imageLimit) {
    return `the new kernel's static data ends at ${hex(next.imageEnd)}, past the end of the running kernel's image region ` +
      `at ${hex(imageLimit)} (the boot modules and allocated frames follow it)`;
  }
  return null;
}

/** The kernel's debugging interface (kernel-as/src/proc/debug.ts), used by
 *  the GDB server (host/gdb/). 64-bit values cross as signed BigInts. */
export interface KernelDebugExports {
  debugAttach(pid: number): number;
  debugAttachExec(len: number): number;
  debugSession(): number;
  debugTakeEvent(): number;
  debugStopReason(): number;
  debugStopSignal(): number;
  debugStopAddr(): bigint;
  debugWatchKind(): number;
  debugExitStatus(): number;
  debugExitSignal(): number;
  debugIoBuffer(): number;
  debugStopped(): number;
  debugReg(index: number): bigint;
  debugSetReg(index: number, value: bigint): number;
  debugRead(va: bigint, len: number): number;
  debugWrite(va: bigint, len: number): number;
  debugBreak(va: bigint, on: number): number;
  debugWatch(va: bigint, len: bigint, kind: number, on: number): number;
  debugResume(step: number): number;
  debugInterrupt(): number;
  debugDetach(): number;
  debugKill(): number;
  // Reverse execution (host/gdb/reverse.ts).
  debugPosition(): bigint;
  debugRunTo(pos: bigint): number;
  debugRunToClear(): number;
  debugRunToHits(): number;
  debugNote(va: bigint, len: bigint, kind: number): number;
  debugNotesClear(): number;
  debugNotes(): number;
  debugNotePos(): bigint;
  debugNoteKind(): number;
  debugNoteWatchKind(): number;
  debugNoteAddr(): bigint;
  // Threads of the debugged process (docs/debugging.md "Threads").
  debugResumeThread(step: number, tid: number, alone: number): number;
  debugThreadAt(index: number): number;
  debugThreadState(tid: number): number;
  debugSelectThread(tid: number): number;
  debugThread(): number;
  debugStopThread(): number;
}

export const DEFAULT_RAM_BYTES = 128 * 1024 * 1024;
export const MIN_RAM_BYTES = 16 * 1024 * 1024;
export const MAX_RAM_BYTES = 2048 * 1024 * 1024;
/** Work units per run() call; bounds the time between host checks. */
export const SLICE_BUDGET = 2_000_000;
/** Most vCPUs a machine may have (kernel-as/src/lib/cpu.ts MAX_CPUS). */
export const MAX_CPUS = 8;
/** With several vCPUs: the work each vCPU's run() may do in one turn of
 *  the round robin (the host calls vCPU 0, 1, ... N-1, then again). Small
 *  enough that the vCPUs take turns often (1 ms of virtual time at the
 *  default 10 ns per unit), large enough that a turn is not all overhead. */
export const VCPU_TURN_WORK = 100_000;
export const DEFAULT_NS_PER_WORK = 10;
const WASM_PAGE = 65536;
const MiB = 1024 * 1024;
const MAX_WASM_PAGES = 65536;
const PORT_SPACE = 0x10000;
/** A fixed date for deterministic runs: 2026-01-01T00:00:00Z. */
const DETERMINISTIC_EPOCH_MS = Date.UTC(2026, 0, 1);

export class MachineConfigError extends Error {}

/** Lines the devices drive by level (timer, UART) and by edge (block completion). */
const LEVEL_IRQ_LINES = (1 << IRQ_TIMER) | (1 << IRQ_UART);
const EDGE_IRQ_LINES = 1 << IRQ_BLOCK;

/** The kernel's own state word in the control block (kernel-as/src/lib/kstate.ts). */
const KERNEL_STATE_RUNNING = 1;
const KERNEL_STATE_PANICKED = 3;
const KERNEL_STATE_REBOOTING = 4;
/** Why the kernel's resume() refused a restored RAM (kernel-as/src/main.ts, RESUME_*). */
const RESUME_REFUSALS: Record<number, string> = {
  1: "the saved kernel had not finished booting",
  2: "the hart's saved state is not usable",
  3: "a device's saved state disagrees with its driver's record",
};

export function validateConfig(config: MachineConfig): void {
  const ram = config.ramBytes;
  if (!Number.isInteger(ram) || ram % WASM_PAGE !== 0 || ram < MIN_RAM_BYTES || ram > MAX_RAM_BYTES) {
    throw new MachineConfigError(
      `RAM must be a multiple of 64 KiB between ${MIN_RAM_BYTES / MiB} and ${MAX_RAM_BYTES / MiB} MiB (got ${ram} bytes)`,
    );
  }
  if (config.clock !== "realtime" && config.clock !== "deterministic") {
    throw new MachineConfigError(`clock must be "realtime" or "deterministic" (got ${String(config.clock)})`);
  }
  const jit = validateJitSetting(config.jit);
  if (jit !== null) throw new MachineConfigError(jit);
  const cpus = config.cpus ?? 1;
  if (!Number.isInteger(cpus) || cpus < 1 || cpus > MAX_CPUS) {
    throw new MachineConfigError(`cpus must be a whole number from 1 to ${MAX_CPUS} (got ${String(config.cpus)})`);
  }
  if (config.parallel !== undefined) {
    if (config.clock !== "realtime") throw new MachineConfigError("parallel vCPUs need the realtime clock (a deterministic run interleaves them)");
    if (config.jit !== undefined && config.jit !== false) throw new MachineConfigError("parallel vCPUs run without the JIT");
    if (typeof SharedArrayBuffer === "undefined") throw new MachineConfigError("parallel vCPUs need SharedArrayBuffer (in a page: cross-origin isolation)");
  }
}

/** Atomics.waitAsync (ES2024; in Node 16+ and Chromium 87+). */
const waitAsync = (Atomics as unknown as {
  waitAsync(array: Int32Array, index: number, value: number): { async: boolean; value: Promise<string> | string };
}).waitAsync;

/** An operation parallel vCPUs do not support yet (snapshots, hot swap, the debugger). */
function parallelRefusal(what: string): MachineConfigError {
  return new MachineConfigError(`${what} is not available with parallel vCPUs`);
}

export class Machine {
  readonly config: Readonly<MachineConfig>;
  private kernel: WebAssembly.Module;
  private swaps = 0;
  /** The build running now: `kernel`, or another one useKernel() put in (the GDB server's instrumented kernel). */
  private activeKernel: WebAssembly.Module;
  /** The instrumented kernel's function-entry hook (host/gdb/kernel-side.ts). */
  private logExecution: ((id: number) => void) | null = null;
  private readonly callbacks: MachineCallbacks;
  private readonly clock: MachineClock;
  private readonly nsPerWork: number;

  private memory!: WebAssembly.Memory;
  /** vCPU 0's instance: boot, inspect, debugging, snapshots. */
  private exports!: KernelExports;
  /** vCPU 0's JIT host (one per kernel instance, `jits`). */
  private jit!: JitHost;
  /** Every instance's JIT host, vCPU 0's first. */
  private jits: JitHost[] = [];
  /** Every vCPU's instance, vCPU 0's first. */
  private vcpus: KernelExports[] = [];
  /** Which vCPUs HV_VCPU_CREATE has started (vCPU 0 always). */
  private online: boolean[] = [true];
  /** Parallel vCPUs: the threads of vCPUs 1..N-1 (index = vCPU), their mailbox, the doorbell value serviced. */
  private threads: (VcpuThread | null)[] = [];
  private mailbox: Int32Array | null = null;
  private mailboxSeen = 0;
  /** Parallel vCPUs: called when another vCPU wants vCPU 0's thread (a request, a kick). */
  private wakeListener: (() => void) | null = null;
  private wakeWatch = 0;
  /** The vCPU whose instance is (or was last) inside the kernel. */
  private cpuInKernel = 0;
  private view!: DataView;
  private readonly ports: (Device | undefined)[] = new Array<Device | undefined>(PORT_SPACE);
  readonly intc: InterruptController;
  readonly timer: Timer;
  readonly uart: Uart16550;
  readonly vga: VgaText;
  readonly block: BlockDevice;
  readonly nic: NicDevice;
  private readonly devices: Device[];

  private currentState: MachineState = "off";
  /** True while the kernel is inside kmain() or run(). */
  private inKernel = false;
  private txBuffer: number[] = [];
  private rebootRequested = false;
  private boots = 0;
  /** Kernel run() calls since the last power-on (kernel-requested reboots included). */
  private runs = 0;
  private schedule: InputSchedule | null = null;
  private rngState: number;
  private layout: BootLayout | null = null;
  private panicMessage = "";
  /** Pieces queued by importFile() and importDir(), taken by the kernel in order. */
  private imports: ImportPiece[] = [];
  /** Who waits for each queued piece's answer (none after a restore). */
  private importWaiters = new WeakMap<ImportPiece, { resolve: (result: ImportResult) => void; onProgress?: (bytes: number) => void }>();
  /** Bytes of imports handed to the kernel in the current run() call. */
  private importBytesThisRun = 0;
  /** Deterministic clock: virtual time runFor() does not run past (null: no
   *  limit). Machines that exchange frames run in lockstep up to a common
   *  horizon (host/net/cluster.ts). */
  private horizonNs: number | null = null;
  /** Wall-clock ms the last kmain() took: kernel entry to the monitor prompt. */
  bootWallMs = 0;
  /** Sees every input() first (the GDB server's history, host/gdb/reverse.ts). */
  inputTap: ((bytes: Uint8Array) => void) | null = null;
  /** While true, what the UART transmits is dropped: replaying history
   *  re-runs output the console has already shown. */
  outputMuted = false;

  constructor(kernel: WebAssembly.Module, config: MachineConfig, callbacks: MachineCallbacks) {
    validateConfig(config);
    this.kernel = kernel;
    this.activeKernel = kernel;
    this.config = { ...config };
    this.callbacks = callbacks;
    this.nsPerWork = config.nsPerWork ?? DEFAULT_NS_PER_WORK;
    this.clock = config.clock === "deterministic" ? new DeterministicClock() : new RealtimeClock();
    this.rngState = (config.seed ?? 0x4b45454c) >>> 0 || 1;

    // Devices hold a getter for RAM; until boot() it is one empty page.
    this.memory = new WebAssembly.Memory({ initial: 1 });
    this.view = new DataView(this.memory.buffer);
    const memory = () => this.memory.buffer;
    this.intc = new InterruptController({ memory });
    this.timer = new Timer({ clock: { nowNs: () => this.guestNowNs() }, irq: this.intc.line(IRQ_TIMER) });
    this.uart = new Uart16550({ irq: this.intc.line(IRQ_UART), onTransmit: (b) => this.txBuffer.push(b) });
    this.vga = new VgaText({ memory });
    this.block = new BlockDevice({ memory, irq: this.intc.line(IRQ_BLOCK), backend: config.disk ?? null });
    this.nic = new NicDevice({
      memory, irq: this.intc.line(IRQ_NIC), backend: config.nic?.backend ?? null, mac: config.nic?.mac,
      onReceive: () => { if (this.currentState === "idle") this.setState("running"); },
    });
    this.devices = [this.intc, this.timer, this.uart, this.vga, this.block, this.nic];
    for (const d of this.devices) this.plug(d);
  }

  private plug(device: Device): void {
    if (!device.ports) return;
    for (let p = device.ports.base; p < device.ports.base + device.ports.count; p++) {
      const owner = this.ports[p];
      if (owner) throw new Error(`port 0x${p.toString(16)} claimed by both ${owner.name} and ${device.name}`);
      this.ports[p] = device;
    }
  }

  get state(): MachineState {
    return this.currentState;
  }

  private setState(state: MachineState, detail?: string): void {
    if (state === this.currentState) return;
    this.currentState = state;
    this.callbacks.stateChanged?.(state, detail);
  }

  /** Powers on: fresh RAM and devices, BootInfo, kernel entry. */
  boot(): void {
    this.boots++;
    this.runs = 0;
    this.online = [true];
    this.cpuInKernel = 0;
    this.rebootRequested = false;
    this.panicMessage = "";
    this.stopThreads();
    this.memory = new WebAssembly.Memory({
      initial: this.config.ramBytes / WASM_PAGE, maximum: MAX_WASM_PAGES, ...(this.parallel ? { shared: true } : {}),
    });
    this.view = new DataView(this.memory.buffer);
    this.clock.reset();
    for (const d of this.devices) d.reset();
    this.intc.syncMirror();
    this.instantiate();
    if (this.parallel) this.startThreads();
    this.layout = writeBootInfo(this.memory.buffer, {
      ramBytes: this.config.ramBytes,
      kernelEnd: this.exports.kernelImageEnd() >>> 0,
      cmdline: this.config.cmdline,
      modules: this.config.modules ?? [],
      deterministic: this.config.clock === "deterministic",
      nsPerWork: this.nsPerWork,
      vcpus: this.cpus,
      wallclockMs: this.wallclockMs(),
    });
    this.setState("running");
    this.publishImports();
    const entered = performance.now();
    const result = this.callKernel(() => this.exports.kmain(BOOTINFO_BASE));
    this.bootWallMs = performance.now() - entered;
    this.flushOutput();
    if (result === undefined) return; // panicked during boot
    if (result !== 0) this.stop("halted", `kernel refused to boot (code ${result})`);
  }

  /** True when vCPUs 1..N-1 run on threads of their own (MachineConfig.parallel). */
  get parallel(): boolean {
    return this.config.parallel !== undefined && this.cpus > 1;
  }

  /** Parallel vCPUs: `listener` runs when another vCPU's thread wants this
   *  one (a port or hypercall request, a process made runnable for vCPU 0);
   *  the run loop sets it to its kick(). */
  setWakeListener(listener: (() => void) | null): void {
    this.wakeListener = listener;
    if (listener !== null) this.watchWakes();
  }

  /** Makes the threads of vCPUs 1..N-1 over the new RAM (they wait for HV_VCPU_CREATE). */
  private startThreads(): void {
    const spawn = this.config.parallel!;
    const mailbox = makeMailbox(this.cpus);
    this.mailbox = new Int32Array(mailbox);
    this.mailboxSeen = 0;
    const clock = this.clock as RealtimeClock;
    this.threads = [null];
    for (let cpu = 1; cpu < this.cpus; cpu++) {
      this.threads.push(spawn(
        { cpu, module: this.activeKernel, memory: this.memory, mailbox, clockEpochMs: clock.wallEpochMs(), budget: SLICE_BUDGET },
        { trapped: (which, message) => this.onThreadTrap(which, message) },
      ));
    }
    this.watchWakes();
  }

  private stopThreads(): void {
    if (this.mailbox !== null) for (let cpu = 1; cpu < this.threads.length; cpu++) mailboxControl(this.mailbox, cpu, MB_CONTROL_STOP);
    for (const thread of this.threads) thread?.terminate();
    this.threads = [];
    this.mailbox = null;
    this.wakeWatch++;
  }

  /** Waits (asynchronously) on the doorbell and on vCPU 0's kicks word; either calls the wake listener. */
  private watchWakes(): void {
    const mailbox = this.mailbox;
    if (mailbox === null || this.wakeListener === null) return;
    const generation = ++this.wakeWatch;
    const ram = new Int32Array(this.memory.buffer);
    const kicksIndex = (cpuRecordAddr(0) + CPU_KICKS) >> 2;
    const watch = (array: Int32Array, index: number, value: number) => {
      const result = waitAsync(array, index, value);
      const fire = () => {
        if (generation !== this.wakeWatch) return;
        this.serviceRequests();
        this.wakeListener?.();
        watch(array, index, Atomics.load(array, index));
      };
      if (typeof result.value !== "string") void result.value.then(fire); else queueMicrotask(fire);
    };
    watch(mailbox, 0, Atomics.load(mailbox, 0));
    watch(ram, kicksIndex, Atomics.load(ram, kicksIndex));
  }

  /** Performs the other vCPUs' pending port I/O and hypercalls (host/parallel.ts). */
  private serviceRequests(): void {
    const mailbox = this.mailbox;
    if (mailbox === null) return;
    this.mailboxSeen = serviceMailbox(mailbox, this.cpus, this.mailboxSeen, (cpu, kind, a0, a1, a2, a3) => {
      try {
        if (kind === MB_PORT_IN) return this.portIn(a0 >>> 0, a1 as Width);
        if (kind === MB_PORT_OUT) { this.portOut(a0 >>> 0, a1 as Width, a2 >>> 0); return 0; }
        if (kind === MB_HYPERCALL) return this.hypercall(a0 >>> 0, a1 >>> 0, a2 >>> 0, a3 >>> 0, cpu);
      } catch (error) {
        this.stop("halted", error instanceof Error ? error.message : String(error));
      }
      return HV_E_UNSUPPORTED;
    });
  }

  /** A vCPU thread's kernel instance trapped: the machine panics with what it said. */
  private onThreadTrap(cpu: number, message: string): void {
    if (this.currentState === "panicked" || this.currentState === "halted") return;
    const kernelState = this.view.getUint32(CONTROL_BLOCK + CB_STATE, true);
    if (kernelState !== KERNEL_STATE_PANICKED) this.panicFromHost(`vCPU ${cpu} trapped: ${message.split("\n")[0]}`);
    this.flushOutput();
    this.stop("panicked", this.readPanicMessage());
  }

  /** Has the kernel paint its panic screen with `text` (at most 1 KiB), for a
   *  trap the kernel did not raise itself. */
  private panicFromHost(text: string): void {
    const bytes = new TextEncoder().encode(text).subarray(0, 0x400);
    new Uint8Array(this.memory.buffer, CONTROL_BLOCK + CB_PANIC_MSG, bytes.length).set(bytes);
    this.view.setUint32(CONTROL_BLOCK + CB_PANIC_LEN, bytes.length, true);
    try {
      this.exports.panicFromHost?.();
    } catch {
      // expected: the kernel's panic ends in a trap
    }
  }

  /** The number of vCPUs (MachineConfig.cpus). */
  get cpus(): number {
    return this.config.cpus ?? 1;
  }

  /** The vCPU whose instance is inside the kernel now (between slices: the last one that was). */
  get runningCpu(): number {
    return this.cpuInKernel;
  }

  /** Fresh kernel instances on the current RAM, one per vCPU, all made
   *  before any of them runs (each writes the data segments again; they
   *  hold only constants). Each is told its vCPU index first. */
  private instantiate(): void {
    const vcpus: KernelExports[] = [];
    const jits: JitHost[] = [];
    for (let cpu = 0; cpu < (this.parallel ? 1 : this.cpus); cpu++) {
      const jit = jitHost(this.memory);
      const instance = new WebAssembly.Instance(this.activeKernel, {
        env: { memory: this.memory },
        keel: {
          port_in: (port: number, width: number) => this.portIn(port, width as Width),
          port_out: (port: number, width: number, value: number) => this.portOut(port, width as Width, value),
          hypercall: (op: number, a0: number, a1: number, a2: number) =>
            op === HV_JIT_COMPILE ? jit.compile(a0, a1, a2) : this.hypercall(op, a0 >>> 0, a1 >>> 0, a2 >>> 0, cpu),
          // Only an instrumented build imports it (binaryen's log-execution pass).
          log_execution: (id: number) => this.logExecution?.(id),
        },
      });
      const exports = instance.exports as unknown as KernelExports;
      exports._initialize?.();
      if (exports.cpuSetIndex !== undefined) exports.cpuSetIndex(cpu);
      else if (this.cpus > 1) throw new MachineConfigError("this kernel has no cpuSetIndex(): it runs one vCPU only");
      jit.attach(instance.exports, this.config.jit === undefined ? (this.parallel ? false : JIT_DEFAULT_THRESHOLD) : this.config.jit);
      vcpus.push(exports);
      jits.push(jit);
    }
    this.vcpus = vcpus;
    this.exports = vcpus[0]!;
    this.jits = jits;
    this.jit = jits[0]!;
  }

  /** Calls resume (or resumeRewound) on every vCPU after vCPU 0's succeeded; returns vCPU 0's answer. */
  private resumeAll(rewound: boolean): number | undefined {
    const call = (e: KernelExports) => (rewound ? e.resumeRewound?.() : e.resume?.());
    const first = call(this.exports);
    if (first !== 0) return first;
    for (let cpu = 1; cpu < this.vcpus.length; cpu++) {
      const r = call(this.vcpus[cpu]!);
      if (r !== 0) return r;
    }
    return 0;
  }

  /** The machine's state for a snapshot, between slices. `ram` is the live
   *  RAM, not a copy: take what you need before the machine runs again. */
  saveState(): { state: MachineSavedState; ram: Uint8Array } {
    if (this.parallel) throw parallelRefusal("a snapshot");
    if (this.currentState === "off" || this.inKernel) throw new MachineConfigError("only a booted machine between slices can be saved");
    const devices: Record<string, unknown> = {};
    for (const d of this.devices) devices[d.name] = d.save();
    return {
      state: {
        state: this.currentState, panicMessage: this.panicMessage, boots: this.boots, runs: this.runs, rngState: this.rngState,
        rebootRequested: this.rebootRequested, layout: this.layout, clock: this.clock.save(), devices,
        uartTx: [...this.txBuffer], imports: this.imports.map(copyPiece),
        ...(this.cpus > 1 ? { cpusOnline: this.online.flatMap((up, cpu) => (up ? [cpu] : [])) } : {}),
      },
      ram: new Uint8Array(this.memory.buffer),
    };
  }

  /** Continues a saved machine on this one, which must never have booted:
   *  devices and clock first (a state that does not fit throws before any
   *  RAM is made), then RAM, a fresh kernel instance, and its resume(). */
  restoreState(saved: MachineSavedState, ram: Uint8Array): void {
    if (this.parallel) throw parallelRefusal("restoring a snapshot");
    if (this.currentState !== "off") throw new MachineConfigError("a snapshot can only be restored into a machine that has not booted");
    if (ram.length % WASM_PAGE !== 0 || ram.length < this.config.ramBytes || ram.length > MAX_WASM_PAGES * WASM_PAGE) {
      throw new MachineConfigError(`saved RAM of ${ram.length} bytes does not fit a ${this.config.ramBytes}-byte machine`);
    }
    this.clock.restore(saved.clock);
    for (const d of this.devices) d.restore(saved.devices[d.name]);
    // The controller's line levels are its devices' outputs, which the
    // devices after it have just driven again; a line raised that no device
    // drives (or an edge latched on a level line) would never fall, and the
    // kernel would take that interrupt forever.
    const lines = this.intc.save();
    if ((lines.levels & ~LEVEL_IRQ_LINES) !== 0 || (lines.latched & ~EDGE_IRQ_LINES) !== 0) {
      throw new MachineConfigError(`intc: lines 0x${(lines.levels | lines.latched).toString(16)} are raised, but no device drives them`);
    }
    this.memory = new WebAssembly.Memory({ initial: ram.length / WASM_PAGE, maximum: MAX_WASM_PAGES });
    this.view = new DataView(this.memory.buffer);
    this.instantiate();
    new Uint8Array(this.memory.buffer).set(ram);
    this.intc.syncMirror();
    const online = saved.cpusOnline ?? [0];
    if (online.some((cpu) => !Number.isInteger(cpu) || cpu < 0 || cpu >= this.cpus) || !online.includes(0)) {
      throw new MachineConfigError(`the snapshot's vCPUs ${JSON.stringify(online)} do not fit a machine of ${this.cpus} vCPU(s)`);
    }
    const resumed = this.resumeAll(false);
    if (resumed !== 0) {
      const why = RESUME_REFUSALS[resumed ?? -1] ?? "it has no resume()";
      throw new MachineConfigError(`the kernel could not resume (code ${String(resumed)}: ${why})`);
    }
    const kernelState = this.view.getUint32(CONTROL_BLOCK + CB_STATE, true);
    if ((saved.state === "panicked") !== (kernelState === KERNEL_STATE_PANICKED) ||
        ((saved.state === "running" || saved.state === "idle") && kernelState !== KERNEL_STATE_RUNNING && kernelState !== KERNEL_STATE_REBOOTING)) {
      throw new MachineConfigError(`the machine is saved as ${saved.state} but its kernel's own state is ${kernelState}`);
    }
    this.adoptSaved(saved);
    this.flushOutput();
  }

  /** The running kernel's layout id and image end (host/machine.ts probeKernel), between slices. */
  kernelProbe(): KernelProbe {
    if (this.currentState === "off") throw new MachineConfigError("the machine has not booted");
    return { layoutId: (this.exports.layoutVersion?.() ?? 0) >>> 0, imageEnd: this.exports.kernelImageEnd() >>> 0 };
  }

  /** Hot swap: continues this machine under `next`, a kernel built from
   *  other sources with the same layout id (docs/code-panel.md). Between
   *  slices of a running machine, `next` is instantiated over the same RAM
   *  (its data segments replace the old kernel's static data, which lies
   *  below the image region's end) and re-attached by its resume(), as a
   *  snapshot restore does; processes, files, devices and the clock go on.
   *  Everything is checked first; a refusal throws MachineConfigError with
   *  the reason and changes nothing. If resume() refuses, the old kernel's
   *  static data and instance come back. Later reboots boot `next`. */
  swapKernel(next: WebAssembly.Module): void {
    if (this.parallel) throw parallelRefusal("hot swap");
    if (this.currentState === "off" || this.inKernel) throw new MachineConfigError("only a booted machine between slices can change its kernel");
    if (this.currentState === "halted" || this.currentState === "panicked") {
      throw new MachineConfigError(`the machine is ${this.currentState}: there is nothing running to keep, so reboot into the new kernel`);
    }
    if (this.activeKernel !== this.kernel) {
      throw new MachineConfigError("the GDB server runs an instrumented build of the kernel on this machine; let it finish (or detach gdb) first");
    }
    const limit = this.layout?.kernelImageEnd ?? 0;
    const problem = hotSwapProblem(this.kernelProbe(), probeKernel(next), limit);
    if (problem !== null) throw new MachineConfigError(problem);
    const staticData = new Uint8Array(this.memory.buffer, KERNEL_IMAGE, limit - KERNEL_IMAGE).slice();
    const previous = { kernel: this.kernel, exports: this.exports, vcpus: this.vcpus, jit: this.jit, jits: this.jits };
    this.kernel = next;
    this.activeKernel = next;
    this.instantiate();
    const resumed = this.resumeAll(false);
    if (resumed === 0) {
      this.swaps++;
      return;
    }
    new Uint8Array(this.memory.buffer, KERNEL_IMAGE, staticData.length).set(staticData);
    this.kernel = previous.kernel;
    this.activeKernel = previous.kernel;
    this.exports = previous.exports;
    this.jit = previous.jit;
    this.jits = previous.jits;
    this.vcpus = previous.vcpus;
    this.resumeAll(false); // re-attaches the old kernel to its hart arenas again
    const why = RESUME_REFUSALS[resumed ?? -1] ?? "it has no resume()";
    throw new MachineConfigError(`the new kernel could not resume this machine (code ${String(resumed)}: ${why}); the old kernel runs on`);
  }

  /** The kernel module the machine runs (and boots on a reboot). */
  get kernelModule(): WebAssembly.Module {
    return this.kernel;
  }

  /** Kernels applied over this machine's RAM so far (swapKernel). */
  get kernelSwaps(): number {
    return this.swaps;
  }

  /** Takes this booted machine back to a state saveState() gave (reverse
   *  execution, host/gdb/reverse.ts): devices and clock, RAM (`fill` writes
   *  all `ramLength` bytes of it), then the kernel's resumeRewound(), which
   *  keeps the debugging session. The disk is the caller's to put back. */
  rewindState(saved: MachineSavedState, ramLength: number, fill: (ram: Uint8Array) => void): void {
    if (this.currentState === "off" || this.inKernel) throw new MachineConfigError("only a booted machine between slices can be rewound");
    if (this.exports.resumeRewound === undefined) throw new MachineConfigError("this kernel cannot be rewound");
    this.clock.restore(saved.clock);
    for (const d of this.devices) d.restore(saved.devices[d.name]);
    if (this.memory.buffer.byteLength !== ramLength) {
      // RAM grew after that state was saved: a fresh instance on RAM of the old size.
      this.memory = new WebAssembly.Memory({ initial: ramLength / WASM_PAGE, maximum: MAX_WASM_PAGES });
      this.view = new DataView(this.memory.buffer);
      this.instantiate();
    }
    fill(new Uint8Array(this.memory.buffer));
    this.intc.syncMirror();
    const resumed = this.resumeAll(true) ?? -1;
    if (resumed !== 0) throw new MachineConfigError(`the kernel could not resume (code ${resumed}: ${RESUME_REFUSALS[resumed] ?? "unknown"})`);
    this.adoptSaved(saved);
  }

  /** The host-side counters, buffers and state a saved machine carries, taken
   *  over by restoreState() and rewindState() once the kernel has resumed. */
  private adoptSaved(saved: MachineSavedState): void {
    this.boots = saved.boots;
    this.runs = saved.runs;
    this.rngState = saved.rngState >>> 0 || 1;
    this.rebootRequested = saved.rebootRequested;
    this.online = Array.from({ length: this.cpus }, (_, cpu) => cpu === 0 || (saved.cpusOnline ?? []).includes(cpu));
    this.layout = saved.layout;
    this.panicMessage = saved.panicMessage;
    this.txBuffer = [...saved.uartTx];
    this.imports = saved.imports.map(copyPiece);
    this.setState(saved.state, saved.state === "panicked" ? saved.panicMessage : undefined);
  }

  /** Runs another build of the same kernel on this machine's RAM from the
   *  next slice on (null: the machine's own again), between slices: the GDB
   *  server swaps in a build instrumented at every function entry to show
   *  a system call's kernel side (host/gdb/kernel-side.ts). The builds share
   *  every byte of RAM's meaning; the kernel image's own bytes are kept
   *  across the new instance's data segments, and resumeRewound() attaches
   *  the hart's caches again, empty. */
  useKernel(module: WebAssembly.Module | null, logExecution: ((id: number) => void) | null = null): void {
    if (this.currentState === "off" || this.inKernel) throw new MachineConfigError("the kernel can only be swapped between slices of a booted machine");
    const image = new Uint8Array(this.memory.buffer, 0, this.exports.kernelImageEnd() >>> 0).slice();
    this.activeKernel = module ?? this.kernel;
    this.logExecution = logExecution;
    this.instantiate();
    new Uint8Array(this.memory.buffer).set(image);
    const resumed = this.resumeAll(true);
    if (resumed !== 0) throw new MachineConfigError(`the swapped-in kernel could not resume (code ${String(resumed)})`);
  }

  /** Powers off and on again. */
  reboot(): void {
    this.boot();
  }

  /** Deterministic clock only: runFor() stops at virtual time `ns` (an idle
   *  machine's clock moves up to it and no further); null lifts the limit. */
  setHorizon(ns: number | null): void {
    if (ns !== null && !(this.clock instanceof DeterministicClock)) throw new MachineConfigError("a horizon needs the deterministic clock");
    this.horizonNs = ns;
  }

  /** Runs slices until the kernel is idle, stops, or `maxWallMs` has passed. */
  runFor(maxWallMs: number): RunReport {
    if (this.currentState === "off" || this.currentState === "halted" || this.currentState === "panicked") {
      return { state: this.currentState, wakeInMs: null };
    }
    const start = performance.now();
    try {
      for (;;) {
        if (this.horizonNs !== null && this.clock.nowNs() >= this.horizonNs) return { state: this.currentState, wakeInMs: 0 };
        this.schedule?.beforeRun(this);
        this.serviceRequests();
        const result = this.cpus === 1 || this.parallel ? this.runCpu(0, this.sliceBudget()) : this.runTurn();
        this.runs++;
        if (result === undefined) return { state: this.currentState, wakeInMs: null };
        if (result === RUN_REBOOT || this.rebootRequested) {
          this.boot();
          return { state: this.currentState, wakeInMs: 0 };
        }
        if (result === RUN_HALTED) {
          this.stop("halted");
          return { state: "halted", wakeInMs: null };
        }
        if (result === RUN_PANICKED) {
          this.stop("panicked", this.readPanicMessage());
          return { state: "panicked", wakeInMs: null };
        }
        // Import pieces still queued keep the machine running (one per run() call).
        if (result === RUN_IDLE && this.intc.pending() === 0 && this.imports.length === 0) {
          const next = this.nextWakeNs();
          if (this.clock instanceof DeterministicClock && this.horizonNs !== null && (next === null || next > this.horizonNs)) {
            this.clock.skipTo(this.horizonNs); // idle up to the horizon, where the others may have sent it something
            this.setState("idle");
            return { state: "idle", wakeInMs: 0 };
          } else if (this.clock instanceof DeterministicClock && next !== null) {
            this.clock.skipTo(next); // idle time costs nothing in deterministic mode
          } else if (this.clock instanceof DeterministicClock && this.schedule?.pending(this)) {
            // Replaying: the next input is due at a later run() call; the
            // recorded machine was woken for each call in between.
          } else {
            this.setState("idle");
            const wakeInMs = next === null ? null : next <= this.clock.nowNs() ? 0 : (next - this.clock.nowNs()) / 1e6;
            return { state: "idle", wakeInMs };
          }
        } else if (result !== RUN_BUDGET_SPENT && result !== RUN_IDLE) {
          this.stop("panicked", `kernel returned an unknown run result ${result}`);
          return { state: "panicked", wakeInMs: null };
        }
        this.setState("running");
        if (performance.now() - start >= maxWallMs) return { state: "running", wakeInMs: 0 };
      }
    } finally {
      this.flushOutput();
      // At most one host sync per runFor() for a backend that batches them (docs/filesystem.md).
      this.block.disk?.settle?.();
    }
  }

  /** One run() call of one vCPU's instance. */
  private runCpu(cpu: number, budget: number): number | undefined {
    this.timer.poll();
    if (cpu === 0) this.importBytesThisRun = 0;
    this.cpuInKernel = cpu;
    const exports = this.vcpus[cpu]!;
    return this.callKernel(() => exports.run(budget));
  }

  /**
   * One turn of the round robin over the online vCPUs, in index order, each
   * run() given at most VCPU_TURN_WORK (and never past the next deadline):
   * a pure function of the machine's state, so a deterministic run repeats.
   * The clock advances by each call's work in turn (the vCPUs share one
   * timeline). The turn is idle only when every vCPU was; a halt, reboot or
   * panic ends it at once. Counts as one run() call for input replay.
   */
  private runTurn(): number | undefined {
    let combined = RUN_IDLE;
    for (let cpu = 0; cpu < this.vcpus.length; cpu++) {
      if (!this.online[cpu]) continue;
      const result = this.runCpu(cpu, Math.min(VCPU_TURN_WORK, this.sliceBudget()));
      if (result === undefined || this.rebootRequested) return result;
      if (result === RUN_BUDGET_SPENT) combined = RUN_BUDGET_SPENT;
      else if (result !== RUN_IDLE) return result;
      if (this.currentState === "halted" || this.currentState === "panicked") return RUN_HALTED;
    }
    return combined;
  }

  /**
   * Queues a file for the running kernel to write at `path` (components of 1
   * to 14 bytes joined by "/"; from the root, or with `cwd` from the
   * console's working directory). The kernel writes it through its block
   * cache and journal, in pieces of IMPORT_PIECE_BYTES, one per run() call
   * at most. Resolves with the kernel's answer; a bad path throws.
   */
  importFile(path: string, data: Uint8Array, options: ImportOptions = {}): Promise<ImportResult> {
    const name = this.importPath(path);
    if (data.length > IMPORT_FILE_MAX_BYTES) throw new MachineConfigError(`an imported file holds at most ${IMPORT_FILE_MAX_BYTES} bytes`);
    const flags = (options.replace ? IMPORT_F_REPLACE : 0) | (options.cwd ? IMPORT_F_CWD : 0) | (options.quiet ? IMPORT_F_QUIET : 0);
    const pieces: ImportPiece[] = [];
    for (let offset = 0; offset === 0 || offset < data.length; offset += IMPORT_PIECE_BYTES) {
      pieces.push({
        name, data: data.subarray(offset, offset + IMPORT_PIECE_BYTES), offset, total: data.length,
        flags: offset === 0 ? flags : (flags & ~IMPORT_F_REPLACE) | IMPORT_F_APPEND,
      });
    }
    return this.queueImport(pieces, options.onProgress);
  }

  /** Queues a directory for the kernel to make at `path` (one already there is fine). */
  importDir(path: string, options: Omit<ImportOptions, "replace" | "onProgress"> = {}): Promise<ImportResult> {
    const name = this.importPath(path);
    const flags = IMPORT_F_DIR | (options.cwd ? IMPORT_F_CWD : 0) | IMPORT_F_QUIET;
    return this.queueImport([{ name, data: new Uint8Array(0), flags, offset: 0, total: 0 }]);
  }

  /** Asks the kernel which directory `cwd` imports go to (the answer's baseInum). */
  importProbe(): Promise<ImportResult> {
    return this.queueImport([{ name: new Uint8Array(0), data: new Uint8Array(0), flags: IMPORT_F_PROBE | IMPORT_F_CWD | IMPORT_F_QUIET }]);
  }

  private importPath(path: string): Uint8Array {
    const problem = pathProblem(path);
    if (problem !== null) throw new MachineConfigError(`cannot import ${JSON.stringify(path)}: ${problem}`);
    const bytes = new TextEncoder().encode(path);
    if (bytes.length > IMPORT_PATH_MAX) throw new MachineConfigError(`cannot import ${JSON.stringify(path)}: the path is too long`);
    return bytes;
  }

  private queueImport(pieces: ImportPiece[], onProgress?: (bytes: number) => void): Promise<ImportResult> {
    if (this.currentState === "off" || this.currentState === "halted" || this.currentState === "panicked") {
      return Promise.resolve({ code: -18, error: "the machine is not running", baseInum: 0, inum: 0 });
    }
    return new Promise((resolve) => {
      for (const piece of pieces) {
        this.imports.push(piece);
        // Only the last piece (or a failing one) answers.
        this.importWaiters.set(piece, { resolve, ...(onProgress ? { onProgress } : {}) });
      }
      this.publishImports();
      if (this.currentState === "idle") this.setState("running");
    });
  }

  /** The kernel's answer for the piece at the head of the queue. */
  private importDone(code: number, baseInum: number, inum: number): void {
    const piece = this.imports.shift();
    if (piece === undefined) return;
    const waiter = this.importWaiters.get(piece);
    const failed = code !== 0;
    if (failed) {
      // The rest of that file would write into whatever is there: drop it.
      while (this.imports[0] !== undefined && ((this.imports[0].flags ?? 0) & IMPORT_F_APPEND) !== 0 &&
        sameBytes(this.imports[0].name, piece.name)) this.imports.shift();
    }
    this.publishImports();
    const end = (piece.offset ?? 0) + piece.data.length;
    if (!failed) waiter?.onProgress?.(end);
    if (failed || end >= (piece.total ?? 0)) waiter?.resolve({ code, error: importErrorText(code), baseInum, inum });
  }

  private publishImports(): void {
    if (this.currentState !== "off") this.view.setUint32(CONTROL_BLOCK + CB_IMPORTS, this.imports.length, true);
  }

  /** Kernel run() calls since the last power-on: where input arrives in a recording. */
  get runsSinceBoot(): number {
    return this.runs;
  }

  /** Plays input back at exact run() calls (host/replay.ts); null stops. */
  setInputSchedule(schedule: InputSchedule | null): void {
    this.schedule = schedule;
  }

  /** Keyboard input: bytes into the UART's receive path. */
  input(data: Uint8Array | string): void {
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    this.inputTap?.(bytes);
    this.uart.receive(bytes);
    if (this.currentState === "idle") this.setState("running");
  }

  vgaCells(): Uint16Array {
    return this.vga.cells();
  }

  vgaCursor(): ReturnType<VgaText["cursor"]> {
    return this.vga.cursor();
  }

  vgaText(): string[] {
    return this.vga.text();
  }

  stats(): MachineStats {
    const ready = this.currentState !== "off";
    return {
      state: this.currentState,
      uptimeNs: this.clock.nowNs(),
      workTotal: ready ? Number(this.view.getBigUint64(CONTROL_BLOCK + CB_WORK_TOTAL, true)) : 0,
      ramBytes: this.config.ramBytes,
      boots: this.boots,
    };
  }

  /** The JIT's figures of each vCPU's kernel instance (null where the JIT is off). */
  jitStatsByCpu(): (JitStats | null)[] {
    return this.currentState === "off" ? [] : this.jits.map((jit) => jit.read());
  }

  /** The JIT's figures for the running kernel instances, every vCPU's
   *  added up (since their boot, restore or swap); null when the JIT is off. */
  jitStats(): JitStats | null {
    if (this.currentState === "off") return null;
    const all = this.jits.map((jit) => jit.read());
    const first = all[0] ?? null;
    if (first === null) return null;
    return all.slice(1).reduce<JitStats>((sum, s) => s === null ? sum : {
      units: sum.units + s.units, insns: sum.insns + s.insns, retired: sum.retired + s.retired, calls: sum.calls + s.calls, chained: sum.chained + s.chained, bytes: sum.bytes + s.bytes,
      compileMs: sum.compileMs + s.compileMs,
    }, first);
  }

  /** What the kernel holds now, for the panels (host/inspect.ts). Changes
   *  nothing: it bypasses callKernel, so no work is accounted and the clock
   *  does not move. Refusals and bad queries are { what: "error" }. */
  inspect(query: InspectQuery): InspectResult {
    const refused = inspectRefusal(this.currentState, this.inKernel, this.exports?.inspect !== undefined);
    if (refused !== null) return { what: "error", message: refused };
    const inspect = this.exports.inspect!;
    return runInspect({ call: inspect, ram: () => this.memory.buffer, nowNs: this.clock.nowNs() }, query);
  }

  /** The kernel's debugging interface, between slices of a booted machine
   *  (null otherwise, or when the kernel has none). Its calls change kernel
   *  state without accounting work, like inspect(). */
  debugInterface(): KernelDebugExports | null {
    if (this.parallel) throw parallelRefusal("the debugger");
    if (this.currentState === "off" || this.inKernel) return null;
    const exports = this.exports as unknown as Partial<KernelDebugExports>;
    return typeof exports.debugAttach === "function" ? (this.exports as unknown as KernelDebugExports) : null;
  }

  /** The last panic message, if the machine panicked. */
  get panicText(): string {
    return this.panicMessage;
  }

  /** Guest RAM, for tools and tests (read it, don't keep it: reboot replaces it). */
  get ram(): ArrayBuffer {
    return this.memory.buffer;
  }

  get bootLayout(): BootLayout | null {
    return this.layout;
  }

  get virtualNowNs(): number {
    return this.clock.nowNs();
  }

  /** The virtual time an idle machine next wakes by itself (a sleeper, a
   *  timer), or null when only input or a frame can wake it. A lockstep
   *  switch (host/node/switch-server.ts) skips idle quanta up to it. */
  get nextWakeAtNs(): number | null {
    return this.nextWakeNs();
  }

  /** Virtual time as the guest reads it. A deterministic clock also counts
   *  the work the kernel has published so far in the current slice, so time
   *  moves during a long command, the same way in every run. */
  private guestNowNs(): number {
    const now = this.clock.nowNs();
    if (!this.inKernel || !(this.clock instanceof DeterministicClock)) return now;
    return now + this.view.getUint32(CONTROL_BLOCK + CB_WORK_USED, true) * this.nsPerWork;
  }

  /** After a kmain() or run() call: a deterministic clock advances by the work it did. */
  private accountSlice(): void {
    this.inKernel = false;
    if (this.clock instanceof DeterministicClock) {
      this.clock.advanceWork(this.view.getUint32(CONTROL_BLOCK + CB_WORK_USED, true), this.nsPerWork);
    }
  }

  private sliceBudget(): number {
    if (!(this.clock instanceof DeterministicClock)) return SLICE_BUDGET;
    // Never run past the next deadline: the interrupt must arrive at exactly its virtual time.
    const timer = this.timer.nextDeadlineNs();
    const deadline = timer === null ? this.horizonNs : this.horizonNs === null ? timer : Math.min(timer, this.horizonNs);
    if (deadline === null) return SLICE_BUDGET;
    const units = Math.ceil((deadline - this.clock.nowNs()) / this.nsPerWork);
    return Math.max(1, Math.min(SLICE_BUDGET, units));
  }

  private nextWakeNs(): number | null {
    const wake = this.view.getBigUint64(CONTROL_BLOCK + CB_WAKE_AT, true);
    const kernelWake = wake === WAKE_NEVER ? null : Number(wake);
    const deadline = this.timer.nextDeadlineNs();
    if (kernelWake === null) return deadline;
    if (deadline === null) return kernelWake;
    return Math.min(kernelWake, deadline);
  }

  /** Calls into the kernel; a trap becomes a clean panic. Returns undefined after a panic. */
  private callKernel(fn: () => number): number | undefined {
    this.view.setUint32(CONTROL_BLOCK + CB_WORK_USED, 0, true);
    this.inKernel = true;
    try {
      const result = fn();
      this.accountSlice();
      return result;
    } catch (error) {
      this.accountSlice();
      this.onKernelTrap(error);
      return undefined;
    }
  }

  private onKernelTrap(error: unknown): void {
    if (error instanceof PowerLoss) {
      this.flushOutput();
      this.stop("halted", "power cut");
      return;
    }
    const kernelState = this.view.getUint32(CONTROL_BLOCK + CB_STATE, true);
    if (kernelState !== KERNEL_STATE_PANICKED) {
      // A trap the kernel did not raise itself (a bug): let it paint the panic screen.
      const where = kernelFrames(error);
      const text = `kernel trapped: ${error instanceof Error ? error.message : String(error)}` +
        (where.length > 0 ? ` in ${where.join(" < ")}` : "");
      this.panicFromHost(text);
    }
    this.flushOutput();
    this.stop("panicked", this.readPanicMessage());
  }

  private readPanicMessage(): string {
    const len = Math.min(this.view.getUint32(CONTROL_BLOCK + CB_PANIC_LEN, true), 0x400);
    return new TextDecoder().decode(new Uint8Array(this.memory.buffer, CONTROL_BLOCK + CB_PANIC_MSG, len));
  }

  private stop(state: "halted" | "panicked", detail?: string): void {
    if (state === "panicked") this.panicMessage = detail ?? "";
    if (this.parallel) queueMicrotask(() => { if (this.currentState === state) this.stopThreads(); });
    this.setState(state, detail);
  }

  /** Hands what the UART transmitted so far to `uartOutput` now, rather than
   *  at the end of the current slice (say, before marking a reboot). */
  flushOutput(): void {
    if (this.txBuffer.length === 0) return;
    const bytes = Uint8Array.from(this.txBuffer);
    this.txBuffer = [];
    if (!this.outputMuted) this.callbacks.uartOutput(bytes);
  }

  private portIn(port: number, width: Width): number {
    const device = this.ports[port & 0xffff];
    return device ? device.read(port, width) >>> 0 : width === 1 ? 0xff : 0xffffffff; // an empty bus floats high
  }

  private portOut(port: number, width: Width, value: number): void {
    const device = this.ports[port & 0xffff];
    device?.write(port, width, value >>> 0);
    if (device === this.block && this.block.isPoweredOff()) throw new PowerLoss("the disk lost power");
  }

  private wallclockMs(): number {
    if (this.config.clock === "deterministic") return (this.config.epochMs ?? DETERMINISTIC_EPOCH_MS) + this.clock.nowNs() / 1e6;
    return Date.now();
  }

  private nextRandom(): number {
    // xorshift32: deterministic entropy so replayed runs see the same bytes.
    let x = this.rngState;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rngState = x >>> 0;
    return this.rngState;
  }

  private inRam(addr: number, len: number): boolean {
    return addr >= 0 && len >= 0 && addr + len <= this.memory.buffer.byteLength;
  }

  private hypercall(op: number, a0: number, a1: number, a2: number, cpu = 0): number {
    switch (op) {
      case HV_WALLCLOCK:
        if (!this.inRam(a0, 8)) return HV_E_INVALID;
        this.view.setBigUint64(a0, BigInt(Math.floor(this.wallclockMs())), true);
        return HV_OK;
      case HV_ENTROPY: {
        if (!this.inRam(a0, a1)) return HV_E_INVALID;
        const bytes = new Uint8Array(this.memory.buffer, a0, a1);
        if (this.config.clock === "realtime" && globalThis.crypto?.getRandomValues) {
          for (let i = 0; i < bytes.length; i += 65536) globalThis.crypto.getRandomValues(bytes.subarray(i, i + 65536));
        } else {
          for (let i = 0; i < bytes.length; i++) bytes[i] = this.nextRandom() & 0xff;
        }
        return HV_OK;
      }
      case HV_SHUTDOWN:
        this.stop("halted", `shutdown with status ${a0 | 0}`);
        return HV_OK;
      case HV_REBOOT:
        this.rebootRequested = true;
        return HV_OK;
      case HV_LOG:
        if (!this.inRam(a0, a1)) return HV_E_INVALID;
        this.callbacks.hostLog?.(a2, new TextDecoder().decode(new Uint8Array(this.memory.buffer, a0, a1)));
        return HV_OK;
      case HV_MEM_GROW: {
        const pages = this.memory.buffer.byteLength / WASM_PAGE;
        if (a0 === 0 || pages + a0 > MAX_WASM_PAGES) return HV_E_NOMEM;
        try {
          this.memory.grow(a0);
        } catch {
          return HV_E_NOMEM;
        }
        this.view = new DataView(this.memory.buffer);
        return pages;
      }
      case HV_MEM_BALLOON:
        // WebAssembly memory cannot shrink; the range is noted as returned and stays zero-cost to keep.
        return this.inRam(a0, a1) ? HV_OK : HV_E_INVALID;
      case HV_VCPU_CREATE:
        // vCPU 0 starts vCPU a0 (1..cpus-1), whose instance is already made:
        // it runs from the next turn on.
        if (cpu !== 0 || a0 < 1 || a0 >= this.cpus) return HV_E_INVALID;
        this.online[a0] = true;
        if (this.parallel && this.mailbox !== null) {
          mailboxControl(this.mailbox, a0, MB_CONTROL_RUN);
          this.threads[a0]?.start();
        }
        return HV_OK;
      case HV_CPU_RELAX:
        // This vCPU waits for the big kernel lock, which another may hold
        // while it waits for us (its port I/O or hypercall).
        this.serviceRequests();
        return HV_OK;
      case HV_IRQ_ROUTE:
        return this.intc.route(a0, a1) ? HV_OK : HV_E_INVALID;
      case HV_PANIC:
        return HV_OK; // the message is in the control block; the trap that follows stops the machine
      case HV_IMPORT_INFO: {
        const next = this.imports[0];
        // One run() call takes about IMPORT_PIECE_BYTES; the rest waits for the next.
        if (!next || this.importBytesThisRun >= IMPORT_PIECE_BYTES) return 0;
        if (!this.inRam(a0, IMPORT_INFO_PATH + IMPORT_PATH_MAX)) return HV_E_INVALID;
        this.importBytesThisRun += Math.max(1, next.data.length);
        this.view.setUint32(a0, next.data.length, true);
        this.view.setUint32(a0 + 4, next.name.length, true);
        this.view.setUint32(a0 + 8, next.flags ?? 0, true);
        this.view.setUint32(a0 + 12, next.offset ?? 0, true);
        this.view.setUint32(a0 + 16, next.total ?? next.data.length, true);
        new Uint8Array(this.memory.buffer, a0 + IMPORT_INFO_PATH, next.name.length).set(next.name);
        return 1;
      }
      case HV_IMPORT_READ: {
        const next = this.imports[0];
        if (!next || !this.inRam(a0, a2)) return HV_E_INVALID;
        const chunk = next.data.subarray(Math.min(a1, next.data.length), Math.min(a1 + a2, next.data.length));
        new Uint8Array(this.memory.buffer, a0, chunk.length).set(chunk);
        return chunk.length;
      }
      case HV_IMPORT_DONE:
        this.importDone(a0 | 0, a1, a2);
        return HV_OK;
      default:
        return HV_E_UNSUPPORTED;
    }
  }
}

function copyPiece(piece: ImportPiece): ImportPiece {
  return { ...piece, name: piece.name.slice(), data: piece.data.slice() };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** How many of a kernel trap's innermost wasm frames a panic message names. */
const PANIC_FRAMES = 6;

/** The kernel's wasm functions on a trap's stack, innermost first, as V8
 *  prints them: by name (the kernel builds keep their name section, so
 *  `fileStat`, `sysFstat`), else as `wasm-function[N]`. Empty when the
 *  error carries no wasm frames. */
export function kernelFrames(error: unknown, max = PANIC_FRAMES): string[] {
  const stack = error instanceof Error ? error.stack ?? "" : "";
  const frames: string[] = [];
  for (const line of stack.split("\n")) {
    if (frames.length >= max) break;
    const at = /^\s*at (?:(\S+) )?\(?wasm:\/\/wasm\/[^:]*:(wasm-function\[\d+\])/.exec(line);
    if (!at) continue;
    const name = at[1]?.replace(/^.*\.wasm\./, "").replace(/^\$/, "").replace(/^kernel-as\/src\//, "");
    frames.push(name && name.length > 0 ? name : at[2]!);
  }
  return frames;
}
