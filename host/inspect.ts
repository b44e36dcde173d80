// Decodes the kernel's introspection answers (kernel-as/src/sys/inspect.ts)
// into the plain data of host/inspect-types.ts. The kernel packs binary
// records into the fixed buffer SCRATCH_INSPECT; this module calls the
// export, reads that buffer and nothing else of guest RAM, and turns every
// refusal into an { what: "error" } answer with a sentence a person can
// read. docs/inspect.md describes the records.

import { readCaches, readLocks } from "./locks.js";
import { readSyscallTrace } from "./syscall-trace.js";
import { SCRATCH_INSPECT, INSPECT_OUT_SIZE, PAGE_SIZE } from "./hw.js";
import {
  FRAME_USES,
  type CapInfo, type CapTreeNode, type FrameMap, type MemoryUsage, type SlabCacheInfo, type FrameUse, type InspectQuery, type InspectResult,
  type LogLevelName, type LogRecord, type Overview, type ProcInfo, type ProcState, type ProcessDetail,
  type RegionInfo, type SchedEvent, type SchedEventKind, type WalkResult, type WalkStep,
} from "./inspect-types.js";

// ---- The kernel's numbers (sys/inspect.ts; host/inspect.test.ts checks they agree) ----

export const INSPECT_FRAMES = 1;
export const INSPECT_PROCS = 2;
export const INSPECT_PROCESS = 3;
export const INSPECT_WALK = 4;
export const INSPECT_CAPTREE = 5;
export const INSPECT_LOG = 6;
export const INSPECT_SCHED = 7;
export const INSPECT_MEMORY = 8;

export const INSPECT_ERR_BAD_QUERY = -1;
export const INSPECT_ERR_NOT_READY = -2;
export const INSPECT_ERR_NO_PROCESS = -3;
export const INSPECT_ERR_NO_ADDRESS_SPACE = -4;
export const INSPECT_ERR_NO_CAPABILITY = -5;
export const INSPECT_ERR_BAD_CURSOR = -6;

export const INSPECT_MAGIC = 0x5053_4e49;
export const INSPECT_HEADER_SIZE = 32;
export const INSPECT_FLAG_TRUNCATED = 1;
export const INSPECT_RUN_SIZE = 12;
export const INSPECT_PROC_SIZE = 72;
export const INSPECT_REGION_SIZE = 32;
export const INSPECT_CAP_SIZE = 64;
export const INSPECT_TREE_SIZE = 32;
export const INSPECT_LOG_HEADER_SIZE = 16;
export const INSPECT_SCHED_SIZE = 24;
export const INSPECT_CACHE_SIZE = 40;

export const DESC_NONE = 0;
export const DESC_BOOTFS_FILE = 1;
export const DESC_DISK_INODE = 2;
export const DESC_CONSOLE = 3;
export const DESC_PIPE_READ = 4;
export const DESC_PIPE_WRITE = 5;
export const DESC_SHARED_MEMORY = 6;
export const DESC_DEVICE_MEMORY = 7;

// Header fields.
const H_MAGIC = 0;
const H_COUNT = 8;
const H_NEXT = 12;
const H_TOTAL = 16;
const H_FLAGS = 20;
const H_EXTRA = 24;

/** Frame kinds as the kernel numbers them (mm/frames.ts KIND_*), as the
 *  panels colour them: the kernel's named uses from 8 on are "kernel". */
const KERNEL_KIND_USE: readonly FrameUse[] = [
  "free", "reserved", "kernel", "pagetable", "user", "filecache", "frametable", "slab",
  "kernel", "kernel", "kernel", "kernel", "kernel", "kernel", "kernel",
];
/** The same kinds by the names the kernel monitor's `mem` prints (mm/memmap.ts frameKindName). */
export const FRAME_KIND_NAMES: readonly string[] = [
  "free", "reserved", "kernel (other)", "page tables", "user memory", "block cache", "frame table", "slab caches",
  "process table", "pipe buffers", "hart TLB and code cache", "file-system tables", "exec file buffers",
  "kmalloc large", "device rings",
];
const USE_INDEX = new Map<FrameUse, number>(FRAME_USES.map((u, i) => [u, i]));

/** Process states (proc/proc.ts P_*). */
const PROC_STATES: readonly (ProcState | null)[] = [null, "runnable", "running", "sleeping", "zombie", "stopped"];
/** Wait channels (proc/proc.ts W_*), in words. */
export const WAIT_WORDS: readonly string[] = [
  "starting", "console", "pipe read", "pipe write", "child", "sleep", "endpoint send", "endpoint receive",
  "endpoint call", "endpoint reply", "notification", "network", "futex", "join",
];
/** Region kinds (mm/vm.ts RK_*); a segment is "text" when executable. */
const REGION_KINDS: readonly string[] = ["none", "segment", "guard", "stack", "heap", "shared"];
/** Capability object types (cap/codes.ts KOBJ_*). */
const CAP_TYPES: readonly string[] = [
  "none", "file", "directory", "pipe", "pipe", "console", "endpoint", "notification", "shared memory", "process",
  "cspace", "device",
];
/** Scheduler events (sched/trace.ts TRACE_*). */
const SCHED_KINDS: readonly SchedEventKind[] = ["run", "preempt", "sleep", "wake", "yield", "exit"];
const PREEMPT_REASONS: readonly string[] = ["slice", "interrupt", "wake-up"];
const LOG_LEVELS: readonly LogLevelName[] = ["info", "warn", "error"];

const PTE_R = 2;
const PTE_W = 4;
const PTE_X = 8;
const PT_ERR_NONCANONICAL = -1;
const PT_ERR_NOT_MAPPED = -7;
const PT_ERR_BAD_ROOT = -9;
const NO_MAPPING = 0xffff_ffff_ffff_ffffn;
const USER_VA_LIMIT = 1n << 47n;
/** Calls per multi-part answer before the decoder gives up (a cursor that does not move). */
const MAX_PARTS = 4096;

/** What the decoder needs from a machine: the export, and RAM to read the answer from. */
export interface InspectTarget {
  call(query: number, arg0: number, arg1: number, arg2: number): number;
  /** Guest RAM; read only at SCRATCH_INSPECT. */
  ram(): ArrayBuffer;
  /** The machine's virtual time. */
  nowNs: number;
}

class InspectError extends Error {}

/** One call: runs the query, checks the header, returns a view of the answer. */
function ask(target: InspectTarget, query: number, a0: number, a1 = 0, a2 = 0): DataView {
  const size = target.call(query, a0 >>> 0, a1 >>> 0, a2 >>> 0);
  if (size < 0) throw new InspectError(kernelRefusal(size));
  if (size < INSPECT_HEADER_SIZE || size > INSPECT_OUT_SIZE) {
    throw new InspectError(`The kernel's answer has an impossible size (${size} bytes).`);
  }
  const view = new DataView(target.ram(), SCRATCH_INSPECT, size);
  if (view.getUint32(H_MAGIC, true) !== INSPECT_MAGIC) throw new InspectError("The kernel's answer is damaged.");
  return view;
}

function kernelRefusal(code: number): string {
  switch (code) {
    case INSPECT_ERR_NOT_READY: return "The kernel is still starting up; there is nothing to inspect yet.";
    case INSPECT_ERR_NO_PROCESS: return "There is no such process.";
    case INSPECT_ERR_NO_ADDRESS_SPACE: return "That process has no address space any more (it has exited).";
    case INSPECT_ERR_NO_CAPABILITY: return "That slot holds no capability.";
    case INSPECT_ERR_BAD_CURSOR: return "The frame map changed while it was being read.";
    case INSPECT_ERR_BAD_QUERY: return "The kernel does not know that query.";
    default: return `The kernel refused the query (code ${code}).`;
  }
}

const u64 = (view: DataView, at: number): number => Number(view.getBigUint64(at, true));
const hex = (n: number | bigint, digits = 0): string => `0x${n.toString(16).padStart(digits, "0")}`;
const decoder = new TextDecoder();
function text(view: DataView, at: number, length: number): string {
  return decoder.decode(new Uint8Array(view.buffer, view.byteOffset + at, length));
}
function cString(view: DataView, at: number, max: number): string {
  let n = 0;
  while (n < max && view.getUint8(at + n) !== 0) n++;
  return text(view, at, n);
}

// ---- Queries ---------------------------------------------------------------------------------

/** The whole frame map; `maxRuns` caps each call's answer (0: as many as fit). */
export function readFrameMap(target: InspectTarget, maxRuns = 0): FrameMap {
  let use = new Uint8Array(0);
  let owner = new Uint16Array(0);
  let frames = 0;
  let cursor = 0;
  for (let part = 0; part < MAX_PARTS; part++) {
    const view = ask(target, INSPECT_FRAMES, cursor, maxRuns);
    if (part === 0) {
      frames = view.getUint32(H_TOTAL, true);
      use = new Uint8Array(frames);
      owner = new Uint16Array(frames);
    }
    const runs = view.getUint32(H_COUNT, true);
    let at = cursor;
    for (let r = 0; r < runs; r++) {
      const base = INSPECT_HEADER_SIZE + r * INSPECT_RUN_SIZE;
      const length = view.getUint32(base, true);
      const pid = view.getInt32(base + 4, true);
      const kind = KERNEL_KIND_USE[view.getUint8(base + 8)] ?? "reserved";
      const end = Math.min(frames, at + length);
      use.fill(USE_INDEX.get(kind)!, at, end);
      if (pid > 0) owner.fill(Math.min(pid, 0xffff), at, end);
      at = end;
    }
    const next = view.getUint32(H_NEXT, true);
    if (next >= frames) break;
    if (next <= cursor) throw new InspectError("The kernel's frame map did not advance.");
    cursor = next;
  }
  const totals = FRAME_USES.map(() => 0);
  for (let i = 0; i < frames; i++) totals[use[i]!]!++;
  return { frames, use, owner, totals };
}

export function readProcs(target: InspectTarget): ProcInfo[] {
  const view = ask(target, INSPECT_PROCS, 0);
  const procs: ProcInfo[] = [];
  const count = view.getUint32(H_COUNT, true);
  for (let i = 0; i < count; i++) {
    const at = INSPECT_HEADER_SIZE + i * INSPECT_PROC_SIZE;
    const state = PROC_STATES[view.getUint32(at + 8, true)] ?? "sleeping";
    const waitKind = view.getUint32(at + 12, true);
    procs.push({
      pid: view.getInt32(at, true),
      ppid: view.getInt32(at + 4, true),
      name: cString(view, at + 48, 16),
      state,
      wait: state === "sleeping" ? (WAIT_WORDS[waitKind] ?? `channel ${waitKind}`) : "",
      cpuNs: u64(view, at + 16),
      switches: u64(view, at + 24),
      memBytes: view.getUint32(at + 32, true) * PAGE_SIZE,
      pageTableBytes: view.getUint32(at + 36, true) * PAGE_SIZE,
      nice: view.getInt32(at + 40, true),
      capMode: view.getUint32(at + 44, true) !== 0,
      threads: view.getUint32(at + 64, true),
    });
  }
  return procs;
}

function perms(flags: number): string {
  return `${flags & PTE_R ? "r" : "-"}${flags & PTE_W ? "w" : "-"}${flags & PTE_X ? "x" : "-"}`;
}

function rightsText(rights: number): string {
  return "RWXDGL".split("").map((letter, bit) => (rights & (1 << bit) ? letter : "-")).join("");
}

function describeCap(view: DataView, at: number): string {
  const kind = view.getUint32(at + 20, true);
  const arg = view.getUint32(at + 24, true);
  switch (kind) {
    case DESC_BOOTFS_FILE: {
      const name = text(view, at + 40, Math.min(view.getUint32(at + 28, true), 24));
      return name === "/" ? "/" : `/${name}`;
    }
    case DESC_DISK_INODE: return `disk inode ${arg}`;
    case DESC_CONSOLE: return "console";
    case DESC_PIPE_READ: return "pipe read end";
    case DESC_PIPE_WRITE: return "pipe write end";
    case DESC_SHARED_MEMORY: return `${arg} page${arg === 1 ? "" : "s"}`;
    case DESC_DEVICE_MEMORY: return `device memory, ${arg} page${arg === 1 ? "" : "s"}`;
    default: return "";
  }
}

export function readProcess(target: InspectTarget, pid: number): ProcessDetail {
  const view = ask(target, INSPECT_PROCESS, pid);
  const regionCount = view.getUint32(H_COUNT, true);
  const capCount = view.getUint32(H_TOTAL, true);
  const regions: RegionInfo[] = [];
  for (let i = 0; i < regionCount; i++) {
    const at = INSPECT_HEADER_SIZE + i * INSPECT_REGION_SIZE;
    const flags = view.getUint32(at + 16, true);
    const rk = view.getUint32(at + 20, true);
    const kind = rk === 1 ? (flags & PTE_X ? "text" : "data") : (REGION_KINDS[rk] ?? `kind ${rk}`);
    regions.push({ start: u64(view, at), end: u64(view, at + 8), kind, perms: perms(flags), residentPages: view.getUint32(at + 24, true) });
  }
  regions.sort((a, b) => a.start - b.start);
  const caps: CapInfo[] = [];
  const capsAt = INSPECT_HEADER_SIZE + regionCount * INSPECT_REGION_SIZE;
  for (let i = 0; i < capCount; i++) {
    const at = capsAt + i * INSPECT_CAP_SIZE;
    const type = view.getUint32(at + 4, true);
    const desc = view.getUint32(at + 20, true);
    caps.push({
      slot: view.getUint32(at, true),
      type: desc === DESC_DEVICE_MEMORY ? "device memory" : (CAP_TYPES[type] ?? `type ${type}`),
      rights: rightsText(view.getUint32(at + 8, true)),
      badge: u64(view, at + 32),
      object: view.getUint32(at + 12, true),
      node: view.getUint32(at + 16, true),
      describe: describeCap(view, at),
    });
  }
  return { pid, regions, caps };
}

/** Parses a VA as typed: 0x-prefixed hex, decimal, or bare hex with a letter in it. */
export function parseVa(typed: string): bigint | string {
  const s = typed.trim().replaceAll("_", "");
  let value: bigint;
  if (/^0x[0-9a-f]+$/i.test(s)) value = BigInt(s);
  else if (/^[0-9]+$/.test(s)) value = BigInt(s);
  else if (/^[0-9a-f]+$/i.test(s)) value = BigInt(`0x${s}`);
  else return `"${typed}" is not an address: type it in hex (0x...) or decimal.`;
  if (value >= 1n << 64n) return `${hex(value)} does not fit in 64 bits.`;
  const top = value >> 47n;
  if (top !== 0n && top !== (1n << 17n) - 1n) {
    return `${hex(value)} is not canonical: bits 63..47 of an Sv48 address must all equal bit 47.`;
  }
  if (value >= USER_VA_LIMIT) return `${hex(value)} is in the kernel half; user addresses are below 0x800000000000.`;
  return value;
}

function flagsText(pte: bigint): string {
  return "VRWXUGAD".split("").map((letter, bit) => ((pte >> BigInt(bit)) & 1n ? letter : "-")).join("");
}

export function readWalk(target: InspectTarget, pid: number, va: bigint): WalkResult {
  const view = ask(target, INSPECT_WALK, pid, Number(va & 0xffff_ffffn), Number(va >> 32n));
  const result = view.getInt32(H_NEXT, true);
  const steps: WalkStep[] = [];
  for (let r = 0; r < 4; r++) {
    const at = INSPECT_HEADER_SIZE + r * 16;
    const table = view.getUint32(at, true);
    if (table === 0) break;
    const pte = view.getBigUint64(at + 8, true);
    steps.push({
      level: 3 - r,
      table,
      index: view.getUint32(at + 4, true),
      pte: pte.toString(16).padStart(16, "0"),
      flags: flagsText(pte),
      valid: (pte & 1n) !== 0n,
      leaf: (pte & 1n) !== 0n && (pte & 0xen) !== 0n,
    });
  }
  const translated = view.getBigUint64(H_EXTRA, true);
  let pa: number | null = null;
  let pageBytes: number | null = null;
  let reason = "";
  if (result >= 0) {
    if (translated === NO_MAPPING) reason = `the leaf at level ${result} is a misaligned superpage`;
    else { pa = Number(translated); pageBytes = PAGE_SIZE * 512 ** result; }
  } else if (result === PT_ERR_NOT_MAPPED) {
    const last = steps[steps.length - 1];
    reason = last && !last.valid ? `not mapped at level ${last.level}` : "no leaf entry (the walk ran out of levels)";
  } else if (result === PT_ERR_NONCANONICAL) {
    reason = "not canonical";
  } else if (result === PT_ERR_BAD_ROOT) {
    reason = "the process's page-table root is not a page-table frame";
  } else {
    reason = `the walk failed (code ${result})`;
  }
  return { pid, va: Number(va), steps, pa, pageBytes, reason };
}

export function readCapTree(target: InspectTarget, pid: number, slot: number): CapTreeNode[] {
  const view = ask(target, INSPECT_CAPTREE, pid, slot);
  const nodes: CapTreeNode[] = [];
  const count = view.getUint32(H_COUNT, true);
  for (let i = 0; i < count; i++) {
    const at = INSPECT_HEADER_SIZE + i * INSPECT_TREE_SIZE;
    const type = view.getUint32(at + 16, true);
    nodes.push({
      node: view.getUint32(at, true),
      depth: view.getUint32(at + 4, true),
      pid: view.getInt32(at + 8, true),
      slot: view.getUint32(at + 12, true),
      type: CAP_TYPES[type] ?? `type ${type}`,
      rights: rightsText(view.getUint32(at + 20, true)),
      badge: u64(view, at + 24),
    });
  }
  return nodes;
}

/** Records of a ring from `from`, over as many calls as it takes; returns them and the next seq. */
function readRing<T>(
  target: InspectTarget, query: number, from: number, decode: (view: DataView, count: number) => T[],
): { records: T[]; next: number } {
  const records: T[] = [];
  let cursor = from;
  for (let part = 0; part < MAX_PARTS; part++) {
    const view = ask(target, query, cursor);
    const count = view.getUint32(H_COUNT, true);
    records.push(...decode(view, count));
    cursor = view.getUint32(H_NEXT, true);
    if (count === 0 || cursor >= view.getUint32(H_TOTAL, true)) break;
  }
  return { records, next: cursor };
}

export function readLog(target: InspectTarget, from: number): { records: LogRecord[]; next: number } {
  return readRing(target, INSPECT_LOG, from, (view, count) => {
    const out: LogRecord[] = [];
    let at = INSPECT_HEADER_SIZE;
    for (let i = 0; i < count; i++) {
      const length = view.getUint8(at + 5);
      out.push({
        seq: view.getUint32(at, true),
        level: LOG_LEVELS[view.getUint8(at + 4)] ?? "error",
        timeNs: u64(view, at + 8),
        text: text(view, at + INSPECT_LOG_HEADER_SIZE, length),
      });
      at += INSPECT_LOG_HEADER_SIZE + ((length + 7) & ~7);
    }
    return out;
  });
}

function schedDetail(kind: SchedEventKind, arg: number, status: number): string {
  switch (kind) {
    case "preempt": return PREEMPT_REASONS[arg] ?? "";
    case "sleep": return WAIT_WORDS[arg] ?? `channel ${arg}`;
    case "wake": return arg === 0 ? "start" : (WAIT_WORDS[arg] ?? `channel ${arg}`);
    case "exit": return `status ${status}`;
    default: return "";
  }
}

export function readSched(target: InspectTarget, from: number): { records: SchedEvent[]; next: number } {
  return readRing(target, INSPECT_SCHED, from, (view, count) => {
    const out: SchedEvent[] = [];
    for (let i = 0; i < count; i++) {
      const at = INSPECT_HEADER_SIZE + i * INSPECT_SCHED_SIZE;
      const kind = SCHED_KINDS[view.getUint8(at + 16)] ?? "run";
      out.push({
        seq: view.getUint32(at + 8, true),
        timeNs: u64(view, at),
        pid: view.getInt32(at + 12, true),
        kind,
        detail: schedDetail(kind, view.getUint8(at + 17), view.getInt16(at + 18, true)),
        cpu: view.getUint32(at + 20, true),
      });
    }
    return out;
  });
}

/** Frames by use and the slab caches (INSPECT_MEMORY). */
export function readMemory(target: InspectTarget): MemoryUsage {
  const view = ask(target, INSPECT_MEMORY, 0);
  const kinds = view.getUint32(H_COUNT, true);
  const cacheCount = view.getUint32(H_NEXT, true);
  const uses: Record<string, number> = {};
  let free = 0, reserved = 0;
  for (let k = 0; k < kinds; k++) {
    const frames = view.getUint32(INSPECT_HEADER_SIZE + k * 4, true);
    if (k === 0) free = frames;
    else if (k === 1) reserved = frames;
    else uses[FRAME_KIND_NAMES[k] ?? `kind ${k}`] = frames;
  }
  const first = (INSPECT_HEADER_SIZE + kinds * 4 + 7) & ~7;
  const caches: SlabCacheInfo[] = [];
  for (let c = 0; c < cacheCount; c++) {
    const at = first + c * INSPECT_CACHE_SIZE;
    caches.push({
      id: view.getUint32(at, true),
      objectSize: view.getUint32(at + 4, true),
      inUse: view.getUint32(at + 8, true),
      perSlab: view.getUint32(at + 12, true),
      frames: view.getUint32(at + 16, true),
      name: cString(view, at + 20, 16),
    });
  }
  return { managed: view.getUint32(H_TOTAL, true), free, reserved, uses, caches };
}

export function readOverview(target: InspectTarget, logFrom: number, schedFrom: number): Overview {
  const frames = readFrameMap(target);
  const procs = readProcs(target);
  const log = readLog(target, logFrom);
  const sched = readSched(target, schedFrom);
  return {
    timeNs: target.nowNs, frames, procs, log: log.records, logNext: log.next, sched: sched.records, schedNext: sched.next,
  };
}

// ---- The one entry point -----------------------------------------------------------------------

const isCount = (n: unknown): n is number => typeof n === "number" && Number.isInteger(n) && n >= 0 && n <= 0xffff_ffff;

/** Why a machine in this state cannot be inspected, or null when it can. */
export function inspectRefusal(state: string, busy: boolean, hasExport: boolean): string | null {
  if (state === "off") return "The machine is off.";
  if (state === "panicked") return "The kernel has panicked; its state can no longer be inspected.";
  if (busy) return "The kernel is running; ask again between slices.";
  if (!hasExport) return "This kernel build has no inspect export.";
  return null;
}

/** Answers one query; never throws. */
export function runInspect(target: InspectTarget, query: InspectQuery): InspectResult {
  try {
    switch (query.what) {
      case "overview": {
        if (!isCount(query.logFrom) || !isCount(query.schedFrom)) return error("logFrom and schedFrom must be sequence numbers (whole numbers from 0).");
        return { what: "overview", overview: readOverview(target, query.logFrom, query.schedFrom) };
      }
      case "memory": return { what: "memory", memory: readMemory(target) };
      case "process": {
        if (!isPid(query.pid)) return error(`${String(query.pid)} is not a pid.`);
        return { what: "process", detail: readProcess(target, query.pid) };
      }
      case "walk": {
        if (!isPid(query.pid)) return error(`${String(query.pid)} is not a pid.`);
        const va = parseVa(String(query.va));
        if (typeof va === "string") return error(va);
        return { what: "walk", walk: readWalk(target, query.pid, va) };
      }
      case "syscalls": {
        if (!isCount(query.from)) return error("from must be a sequence number (a whole number from 0).");
        return { what: "syscalls", trace: readSyscallTrace(target.ram(), query.from) };
      }
      case "locks": return { what: "locks", locks: readLocks(target.ram()), caches: readCaches(target.ram()) };
      case "captree": {
        if (!isPid(query.pid)) return error(`${String(query.pid)} is not a pid.`);
        if (!isCount(query.slot)) return error(`${String(query.slot)} is not a capability slot.`);
        return { what: "captree", nodes: readCapTree(target, query.pid, query.slot) };
      }
      default:
        return error(`Unknown query ${JSON.stringify((query as { what?: unknown }).what)}.`);
    }
  } catch (e) {
    if (e instanceof InspectError) return error(withSubject(e.message, query));
    return error(`The kernel could not answer: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function isPid(n: unknown): n is number {
  return typeof n === "number" && Number.isInteger(n) && n > 0 && n <= 0x7fff_ffff;
}

/** Names the process or slot in a refusal ("There is no such process." -> "... pid 7"). */
function withSubject(message: string, query: InspectQuery): string {
  if (query.what === "overview" || query.what === "memory" || query.what === "syscalls" || query.what === "net" || query.what === "locks") return message;
  if (message === "There is no such process.") return `No process has pid ${query.pid}.`;
  if (message.startsWith("That process has no address space")) return `Process ${query.pid} has no address space any more (it has exited).`;
  if (message === "That slot holds no capability." && query.what === "captree") {
    return `Process ${query.pid} holds no capability in slot ${query.slot}.`;
  }
  return message;
}

function error(message: string): InspectResult {
  return { what: "error", message };
}
