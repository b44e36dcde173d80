// What the kernel's read-only introspection export tells the host, decoded
// (host/inspect.ts reads it; the page's panels draw it). Plain data only, so
// every value crosses postMessage as it is. Addresses are numbers: physical
// addresses are below 4 GiB and user virtual addresses below 2^47, both exact
// in a double. 64-bit page-table entries travel as hex strings.

import type { SyscallTraceRead, SyscallTraceRecord } from "./syscall-trace.js";
import type { NetView } from "./net/netview.js";
import type { CacheFill, LockInfo } from "./locks.js";

export type { SyscallTraceRead, SyscallTraceRecord };

/** What a frame is used for, as the panels colour it. */
export type FrameUse =
  | "free"
  | "reserved"
  | "kernel"
  | "slab"
  | "frametable"
  | "pagetable"
  | "user"
  | "filecache";

export const FRAME_USES: readonly FrameUse[] = [
  "free", "reserved", "kernel", "slab", "frametable", "pagetable", "user", "filecache",
];

/** Every frame of physical RAM, one entry per 4 KiB frame. */
export interface FrameMap {
  /** Frames described (RAM bytes / 4096). */
  frames: number;
  /** Per frame: an index into FRAME_USES. */
  use: Uint8Array;
  /** Per frame: the pid that owns it (user memory and page tables), else 0. */
  owner: Uint16Array;
  /** Frames per use, indexed like FRAME_USES. */
  totals: number[];
}

export type ProcState = "runnable" | "running" | "sleeping" | "zombie" | "stopped";

export interface ProcInfo {
  pid: number;
  /** The parent's pid, 0 for none. */
  ppid: number;
  name: string;
  state: ProcState;
  /** What a sleeping process waits for, in words ("console", "pipe read",
   *  "child", "sleep", "endpoint receive", ...); "" when not sleeping. */
  wait: string;
  cpuNs: number;
  switches: number;
  /** Frames of user memory it owns (as in the frame map), times 4096. */
  memBytes: number;
  /** Page-table frames of its address space, times 4096. */
  pageTableBytes: number;
  nice: number;
  /** In capability mode (no ambient authority). */
  capMode: boolean;
  /** Its threads that have not ended (1 for a single-threaded process, 0 for a zombie). */
  threads: number;
}

export interface RegionInfo {
  /** First byte and one past the last (virtual). */
  start: number;
  end: number;
  /** What the region is for: "text", "data", "heap", "stack", "shared", ... */
  kind: string;
  /** "r", "w", "x" or "-" in that order, e.g. "r-x". */
  perms: string;
  /** Pages of it that are mapped now. */
  residentPages: number;
}

export interface WalkStep {
  /** Sv48 level: 3 (root) down to 0. */
  level: number;
  /** Physical address of the table read at this level. */
  table: number;
  /** Index of the entry in that table (VPN[level]). */
  index: number;
  /** The entry, as 16 hex digits. */
  pte: string;
  /** Flags of the entry spelled out, e.g. "V R W - U - A D" style "VRW-U-AD"
   *  with "-" for a clear bit, in the order V R W X U G A D. */
  flags: string;
  valid: boolean;
  /** A leaf: R, W or X set. */
  leaf: boolean;
}

export interface WalkResult {
  pid: number;
  va: number;
  steps: WalkStep[];
  /** The physical address the VA translates to, or null. */
  pa: number | null;
  /** Page size of the leaf in bytes (4096, 2 MiB, 1 GiB), or null. */
  pageBytes: number | null;
  /** Why there is no translation ("not mapped at level 2", "not canonical", ...), or "". */
  reason: string;
}

export interface CapInfo {
  slot: number;
  /** Kernel object type: "file", "directory", "pipe", "console", "endpoint",
   *  "notification", "shared memory", "device memory", "process", ... */
  type: string;
  /** Rights as letters R W X D G L ("-" for absent), e.g. "RW---L". */
  rights: string;
  badge: number;
  /** Identifies the kernel object (its address); the same for two
   *  capabilities to one object. */
  object: number;
  /** Identifies the capability node in the derivation tree. */
  node: number;
  /** A few words on the object ("/bin/sh", "pipe read end", ...), may be "". */
  describe: string;
}

/** One capability in a derivation tree, in depth-first order. */
export interface CapTreeNode {
  node: number;
  /** 0 for the root of the tree. */
  depth: number;
  pid: number;
  slot: number;
  type: string;
  rights: string;
  badge: number;
}

export interface ProcessDetail {
  pid: number;
  regions: RegionInfo[];
  caps: CapInfo[];
}

export type LogLevelName = "info" | "warn" | "error";

export interface LogRecord {
  seq: number;
  level: LogLevelName;
  timeNs: number;
  text: string;
}

export type SchedEventKind =
  /** A process started running. */
  | "run"
  /** It was stopped because its slice ran out. */
  | "preempt"
  /** It blocked (detail: what it waits for). */
  | "sleep"
  /** It became runnable again. */
  | "wake"
  /** It gave up the CPU to the host (the kernel's run() budget ran out). */
  | "yield"
  | "exit";

export interface SchedEvent {
  seq: number;
  timeNs: number;
  pid: number;
  kind: SchedEventKind;
  detail: string;
  /** The vCPU it happened on (0 with one vCPU; a wake: the vCPU that woke it). */
  cpu?: number;
}

/** The periodic view the panels refresh from. */
export interface Overview {
  /** Virtual time of the snapshot (the machine's clock). */
  timeNs: number;
  frames: FrameMap;
  procs: ProcInfo[];
  /** Log records with seq >= the query's logFrom (oldest first). */
  log: LogRecord[];
  /** The next log seq: pass it as logFrom next time. */
  logNext: number;
  /** Scheduler events with seq >= the query's schedFrom (oldest first). */
  sched: SchedEvent[];
  schedNext: number;
}

/** One slab cache of the kernel object allocator. */
export interface SlabCacheInfo {
  id: number;
  /** "kmalloc-64", "cap node", "cspace", ... */
  name: string;
  objectSize: number;
  /** Objects handed out and not yet freed. */
  inUse: number;
  perSlab: number;
  /** Frames its slabs hold (with the one empty slab it may keep). */
  frames: number;
}

/** Every frame, by what holds it (mm/frames.ts KIND_*), and the slab caches.
 *  `free` plus every entry of `uses` is `managed`. */
export interface MemoryUsage {
  /** Frames the allocator manages (free or in use). */
  managed: number;
  free: number;
  /** Frames below the table's capacity that are not RAM to hand out. */
  reserved: number;
  /** Frames in use, by the kernel's name for the use ("user memory",
   *  "page tables", "slab caches", "block cache", "pipe buffers", ...). */
  uses: Record<string, number>;
  caches: SlabCacheInfo[];
}

export type InspectQuery =
  | { what: "overview"; logFrom: number; schedFrom: number }
  | { what: "memory" }
  | { what: "process"; pid: number }
  /** `va` as a hex or decimal string, as the user typed it. */
  | { what: "walk"; pid: number; va: string }
  | { what: "captree"; pid: number; slot: number }
  /** The system-call trace ring (host/syscall-trace.ts) from sequence number `from` on. */
  | { what: "syscalls"; from: number }
  /** The kernel's lock registry (host/locks.ts): every named lock and its statistics. */
  | { what: "locks" }
  /** The Network panel's view (host/net/netview.ts): answered by whoever
   *  owns the machine's packet capture (web/net-worker.ts), not the kernel. */
  | { what: "net"; packetsFrom: number };

export type InspectResult =
  | { what: "overview"; overview: Overview }
  | { what: "memory"; memory: MemoryUsage }
  | { what: "process"; detail: ProcessDetail }
  | { what: "walk"; walk: WalkResult }
  | { what: "captree"; nodes: CapTreeNode[] }
  | { what: "syscalls"; trace: SyscallTraceRead }
  /** `caches`: what each vCPU's allocator caches hold (vCPU 0 and the others not offline). */
  | { what: "locks"; locks: LockInfo[]; caches: CacheFill[] }
  | { what: "net"; net: NetView }
  /** The query could not be answered (no such process, machine off, bad address). */
  | { what: "error"; message: string };
