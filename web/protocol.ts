// The messages between the page (web/main.ts) and the kernel's Web Worker
// (web/worker.ts). Plain structured-clone messages, no SharedArrayBuffer, so
// the page works from any static host without cross-origin isolation.
//
// Ordering: the worker posts in the order things happened in the machine;
// pending UART output is always flushed before a state change or a VGA frame
// is posted, so the console never lags behind the status or the screen.
// Byte buffers (`uart.bytes`, `vga.cells`) are transferred, not copied: the
// sender gives them up.

import type { VgaCursor } from "../host/devices/vga";
import type { MachineState } from "../host/machine";
import type { DiskInfo } from "./disk/store";
import type { ClockMode, DiskMode } from "./params";
import type { InspectQuery, InspectResult } from "../host/inspect-types";
import type { ReplayEvent, ReplayProgress } from "../host/replay";
import type { TreeEntry } from "../host/fs/reader";
import type { DebugReply, DebugRequest, DebugView } from "./debug-protocol";
import type { VmRequest } from "./vm-protocol";

/** One thing to copy into the machine (web/files-ui.ts): a folder, or a
 *  file and its bytes; `path` is relative to the shell's directory, each
 *  component already checked (1 to 14 bytes). */
export interface CopyEntry {
  path: string;
  dir: boolean;
  bytes?: Uint8Array;
}

/** How one CopyEntry went. */
export interface CopyOutcome {
  path: string;
  dir: boolean;
  /** "copied"; "exists" (waiting for the overwrite answer, or kept); "failed". */
  status: "copied" | "exists" | "failed";
  error: string | null;
}

export type { DiskInfo, MachineState, VgaCursor };

/** What the page asks the worker to build. */
export interface BootConfig {
  ramBytes: number;
  clock: ClockMode;
  cmdline: string;
  /** vCPUs (absent: 1; docs/architecture.md "Several vCPUs"). */
  cpus?: number;
  /** Hand the kernel the boot file system (init, the shell, programs). */
  userland: boolean;
  /** vCPUs 1..N-1 truly in parallel, a Web Worker each over shared RAM
   *  (`?parallel=1`, only when web/params.ts parallelProblem allows it). */
  parallel?: boolean;
  /** Where the disk lives (web/disk/store.ts). */
  disk: DiskMode;
  /** The hart's JIT at its default threshold (docs/hart.md "JIT"); false with `?jit=off`. Not machine state. */
  jit?: boolean;
  /** A `?snapshot=` link's file, fetched by the page: restored instead of
   *  booting (on a fresh shipped disk); if it cannot be, the machine boots. */
  snapshot?: { url: string; bytes: Uint8Array };
  /** An exact-replay link's input (web/share.ts), played into the first
   *  machine; typing is ignored until it has all been given. */
  replay?: ReplayEvent[];
  /** A kernel built in the page from a share link's patch (web/code/patch-boot.ts),
   *  booted instead of the shipped one: its bytes, the patch's name and its diff. */
  kernel?: { bytes: Uint8Array; patch: string; diff: string };
  /** `?gdb-bridge=`: the `keel gdb-bridge` to serve gdb to (web/gdb-bridge-worker.ts), already checked. */
  gdbBridge?: string;
  /** A network card on the page's virtual switch (web/cluster/): its MAC
   *  ("02:00:00:00:01:02"). `lockstep`: the machine runs only when the page
   *  says how far (`step`), so the machines of a deterministic cluster
   *  agree on virtual time (docs/network.md "The cluster view"). */
  nic?: { mac: string; lockstep: boolean };
}

/** The answer to `share-request` (web/share-ui.ts). */
export interface SessionRecording {
  /** The input given to the current machine since it was built, ending where it is now (host/replay.ts). */
  events: ReplayEvent[];
  /** Why replaying the events would not reproduce the session (an imported
   *  file, an uploaded disk), or null. */
  inexact: string | null;
  /** The machine started on a fresh copy of the shipped disk (disk=memory,
   *  or after Reset disk), as a replay does. */
  shippedDisk: boolean;
  /** The kernel the machine runs: its patch's name and diff (null for the
   *  shipped kernel) and its build id, for a link that carries the change. */
  kernel?: { patch: string | null; diff: string | null; build: string };
}

export interface MachineStatus {
  state: MachineState;
  uptimeNs: number;
  workTotal: number;
  ramBytes: number;
  /** How many times the machine has booted (1 = first boot; reboots from the
   *  page and from the kernel both count). */
  boots: number;
  /** Why the machine is halted or panicked, when the machine said. */
  detail?: string;
  /** Unless `?jit=off`: units compiled, instructions retired in them and in all, since these kernel instances started (docs/hart.md "JIT"). */
  jit?: { units: number; insns: number; retired: number };
}

// ---- page → worker -------------------------------------------------------

export type PageToWorker =
  | { type: "boot"; config: BootConfig }
  /** Keyboard bytes for the UART, as typed (xterm's onData). */
  | { type: "input"; data: string }
  /** A link's `run` text, typed line by line, each once the console waits for input (web/share-player.ts). */
  | { type: "run-lines"; text: string }
  /** The console has drawn this many more UART bytes (see web/flow-control.ts). */
  | { type: "uart-ack"; bytes: number }
  | { type: "reboot" }
  /** Replace the disk with the shipped image, then boot again. */
  | { type: "disk-reset" }
  /** Replace the disk with this image (transferred), if it is one, then boot again. */
  | { type: "disk-upload"; name: string; bytes: Uint8Array }
  /** Send the disk back as a `disk-image`: compressed and sparse (.kdisk,
   *  host/disk/kdisk.ts; the default) or the raw image. */
  | { type: "disk-download"; format?: "kdisk" | "raw" }
  /** Copy files and folders into the shell's working directory (the
   *  kernel writes them, host/import.ts); bytes transferred. Answered by
   *  `copy-progress` messages and a `copy-result`. */
  | { type: "copy-in"; id: number; entries: CopyEntry[] }
  /** The answer to a `copy-result` with files waiting: replace these, keep the others. */
  | { type: "copy-overwrite"; id: number; replace: string[] }
  /** The disk's tree and the shell's directory, for the file browser; answered by `fs-tree`. */
  | { type: "fs-tree"; id: number }
  /** A file of the disk, by path from the root; answered by `fs-file` or `fs-error`. */
  | { type: "fs-read"; id: number; path: string }
  /** Snapshot the whole machine; answered by `snapshot-saved` or `snapshot-error`. */
  | { type: "snapshot-save" }
  /** Continue the machine in this snapshot file (transferred) instead of the
   *  running one, whose disk it replaces; refused (`snapshot-error`) with the
   *  running machine untouched unless every check passes. */
  | { type: "snapshot-restore"; bytes: Uint8Array }
  /** Ask the kernel for a read-only view of its state (the panels); answered
   *  by an `inspect-result` with the same id. */
  | { type: "inspect"; id: number; query: InspectQuery }
  /** The Debugger panel (web/debug-protocol.ts); answered by `debug-result` with the same id. */
  | { type: "debug"; id: number; request: DebugRequest }
  /** Ask for the session's recording; answered by `share-recording`. */
  | { type: "share-request"; id: number }
  /** Reboot into a kernel built in the page (web/code/): the same disk, RAM
   *  and clock, a new machine. `patch` names the change (its short hash).
   *  Answered by `kernel`, or by `kernel-error` with the old machine still running. */
  | { type: "kernel-boot"; bytes: Uint8Array; patch: string; diff: string }
  /** Hot swap (docs/code-panel.md): continue the running machine under a
   *  kernel built in the page, over the same RAM (host/machine.ts
   *  swapKernel); `patch` null for a build of the shipped sources. Answered
   *  by `kernel` (how "swap"), or by `kernel-error` with `refused` saying
   *  why it must reboot instead (the machine runs on untouched). */
  | { type: "kernel-apply"; bytes: Uint8Array; patch: string | null; diff: string }
  /** Reboot into the shipped kernel (build/kernel.wasm). */
  | { type: "kernel-reset" }
  /** Frames for the machine's NIC from the page's switch: packed (web/cluster/frames.ts), transferred. */
  | { type: "net-frames"; batch: Uint8Array }
  /** Lockstep: hand the NIC these frames, run the machine up to virtual time
   *  `horizonNs`, then answer `stepped`. */
  | { type: "step"; horizonNs: number; batch: Uint8Array }
  /** A ./vm/<machine>/ request from the service worker (web/vm-route.ts):
   *  fetch it from the machine's httpd, answering on `port` (transferred). */
  | { type: "http-request"; request: VmRequest; port: MessagePort };

// ---- worker → page -------------------------------------------------------

/** What the worker fetches before the first boot (web/fetch-progress.ts). */
export type LoadItem = "kernel" | "bootfs" | "disk";

export type WorkerToPage =
  /** Bytes of the kernel, the boot file system or the disk image received so
   *  far (total null while unknown); at most every 100 ms, and at the end. */
  | { type: "load-progress"; item: LoadItem; loaded: number; total: number | null; done: boolean }
  /** Kernel compiled, machine built, first boot under way. */
  | { type: "booted"; ramBytes: number; clock: ClockMode }
  /** UART transmit bytes since the last message (batched, ≤ every 16 ms). */
  | { type: "uart"; bytes: Uint8Array }
  /** A new VGA frame, sent only when cells or cursor changed (≤ ~30/s). */
  | { type: "vga"; cells: Uint16Array; cursor: VgaCursor; text: string[] }
  /** Sent on every state change at once, and periodically (~4/s) while running. */
  | { type: "status"; status: MachineStatus }
  /** A message from the host side of the machine (not from the kernel's UART). */
  | { type: "log"; level: LogLevel; text: string }
  /** The machine could not be built or booted (kernel fetch, compile, boot info). */
  | { type: "fatal"; message: string }
  /** Where the disk lives and how far behind its storage is: once the disk
   *  is open, on every change, and while writes are waiting (IndexedDB). */
  | { type: "disk"; info: DiskInfo }
  /** The answer to `disk-download`: the .kdisk file, or the raw image
   *  without trailing zero blocks (transferred), and the name to save it as. */
  | { type: "disk-image"; bytes: Uint8Array; name: string }
  /** A disk operation failed, or the disk could not be saved; nothing was
   *  lost unless the message says so. Shown in a banner. */
  | { type: "disk-error"; message: string }
  /** A disk operation finished (`disk-reset`, `disk-upload`, `disk-download`, `copy-in`, `copy-overwrite`). */
  | { type: "disk-done"; operation: DiskOperation }
  /** The answer to `snapshot-save`: the snapshot file (transferred). */
  | { type: "snapshot-saved"; bytes: Uint8Array }
  /** A snapshot was restored: the machine now runs with its settings. */
  | { type: "snapshot-restored"; ramBytes: number; clock: ClockMode; savedAt: string }
  /** A snapshot could not be saved or restored; the message is for the user. */
  | { type: "snapshot-error"; message: string }
  /** A dim line for the console between what the UART printed (a reboot
   *  played back from a share link). */
  | { type: "console-marker"; text: string }
  /** The answer to `inspect`. */
  | { type: "inspect-result"; id: number; result: InspectResult }
  /** The answer to `debug`. */
  | { type: "debug-result"; id: number; reply: DebugReply }
  /** The debugged process stopped or ended while it ran (the Debugger panel redraws). */
  | { type: "debug-view"; view: DebugView }
  /** A link's `run` lines typed so far, of all (web/share-player.ts). */
  | { type: "run-progress"; typed: number; total: number }
  | { type: "share-recording"; id: number; recording: SessionRecording }
  /** How far the boot config's replay has got: on each event given, and when it ends or is stopped. */
  | { type: "replay"; progress: ReplayProgress; stopped?: string }
  /** Bytes of a `copy-in` the kernel has written so far. */
  | { type: "copy-progress"; id: number; done: number; total: number }
  /** How a `copy-in` (or its `copy-overwrite`) went: `cwd` is where the
   *  files went ("/work"), `waiting` the files that exist and wait for an
   *  answer (an empty list ends the copy). */
  | { type: "copy-result"; id: number; cwd: string | null; outcomes: CopyOutcome[]; waiting: string[] }
  | { type: "fs-tree"; id: number; root: TreeEntry | null; truncated: boolean; cwd: string | null; error: string | null }
  | { type: "fs-file"; id: number; path: string; bytes: Uint8Array }
  | { type: "fs-error"; id: number; message: string }
  /** Which kernel the machine runs now: after `kernel-boot`, `kernel-reset`
   *  (how "boot") or `kernel-apply` (how "swap", with the milliseconds the
   *  machine stood still for it: instantiating the new kernel and its resume()). */
  | { type: "kernel"; kernel: KernelInfo; how?: "boot" | "swap"; swapMs?: number }
  /** `kernel-boot`, `kernel-reset` or `kernel-apply` failed; the machine that
   *  ran before runs on. `refused`: a hot swap the kernels' layouts do not
   *  allow (a reboot into the new kernel would work). */
  | { type: "kernel-error"; message: string; refused?: boolean }
  /** Frames the machine's NIC sent (realtime), packed and transferred. */
  | { type: "net-frames"; batch: Uint8Array }
  /** Lockstep: the machine has reached `horizonNs`; the frames it sent
   *  meanwhile, and whether it is idle there (nothing to do before the next quantum). */
  | { type: "stepped"; horizonNs: number; batch: Uint8Array; idle: boolean };

/** The kernel a machine runs: the shipped one (patch null) or one built in
 *  the page, named by the short hash of its patch (web/code/source-bundle.ts). */
export interface KernelInfo {
  patch: string | null;
  /** The change as a unified diff against the shipped sources (web/code/patch.ts), when known. */
  diff?: string | null;
}

export type DiskOperation = "reset" | "upload" | "download" | "copy";

/** Levels of the kernel's HV_LOG hypercall, as host/machine.ts passes them. */
export enum LogLevel {
  Info = 0,
  Warn = 1,
  Error = 2,
}

/** Timing of the worker's outgoing traffic. */
export const UART_FLUSH_MS = 16;
export const VGA_FRAME_MS = 33;
export const STATUS_MS = 250;
