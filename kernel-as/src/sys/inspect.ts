// Introspection: the kernel's read-only answer to "what is inside you now",
// for the page's live panels (docs/inspect.md). The host calls the export
// inspect(query, arg0, arg1, arg2) between run() slices; the kernel packs
// compact binary records into the fixed buffer SCRATCH_INSPECT and returns
// how many bytes it wrote, or a negative INSPECT_ERR_*. The host decodes the
// buffer (host/inspect.ts) and never walks kernel memory itself.
//
// The rule: an answer changes no kernel state. Nothing here allocates, logs,
// reads the clock (a host crossing that publishes the slice's work), flushes
// a TLB or writes anywhere but SCRATCH_INSPECT, so a deterministic run is the
// same whether or not a panel is looking.
//
// Big answers (the frame map of 2 GiB is 512 Ki frames; the log; the
// scheduler trace) come in several calls: the header's `next` is the cursor
// to pass back as arg0, until it reaches `total` (frames) or the ring's end.
//
// Relies on: mm/frames (block walk), mm/pagetable (walk, translate, table
// count), mm/vm (regions), proc/proc, cap/ (capabilities and the tree),
// fs/file, fs/bootfs, fs/inode, ipc/shm (descriptions), lib/log and
// sched/trace (the rings).

import { threadProcessState, threadCpuNs, threadSwitches, threadCount, threadSleeping } from "../proc/thread";
import { sigStopped } from "../proc/signal";
import { SCRATCH_INSPECT, INSPECT_OUT_SIZE, SCRATCH_INSPECT_SIZE, PAGE_SHIFT } from "../lib/layout";
import {
  frameBlockAt, framesCapacity, framesTotal, framesInUse, frameOwner, KIND_USER, KIND_PAGETABLE, KIND_COUNT,
} from "../mm/frames";
import { slabStat, slabCacheFrames, slabCacheName, SLAB_MAX_CACHES, SLAB_NAME_MAX, SLAB_STAT_NONE,
  SLAB_STAT_OBJECT_SIZE, SLAB_STAT_IN_USE, SLAB_STAT_PER_SLAB } from "../mm/slab";
import { ptCountTables, ptWalk, ptTranslate, PT_NO_MAPPING, PT_WALK_OUT_SIZE } from "../mm/pagetable";
import { PTE_V, PT_ENTRIES, pteIsLeaf, pteToPa, vaCanonical } from "../machine/sv48";
import { regionKind, regionFlags, regionStart, regionEnd, RK_NONE } from "../mm/vm";
import {
  MAX_PROCS, MAX_REGIONS, NO_SLOT, P_UNUSED, P_ZOMBIE, procTable, pState, pPid, pParent, pName, pNameLength,
  pWaitKind, pCpuNs, pSwitches, pNice, pCapMode, pRoot, pCspace, pRegion, pIsThread,
} from "../proc/proc";
import {
  capNodeAt, capNodeType, capNodeRights, capNodeBadge, capNodeObject, capNodeCspace, capNodeSlot, capNodeRoot,
  capNodeDepth, capTreeNext, cspaceOwner, CSPACE_SLOTS, KOBJ_FILE, KOBJ_DIRECTORY, KOBJ_PIPE_READ,
  KOBJ_PIPE_WRITE, KOBJ_CONSOLE, KOBJ_MEMORY,
} from "../cap/cap";
import { fileKind, fileObj, fileIsPipeWriteEnd, fileDiskInode, FK_INODE, FK_CONSOLE, FK_PIPE, FK_DISK } from "../fs/file";
import { bootfsDirent, bootfsValidInum, ROOT_INUM } from "../fs/bootfs";
import { inodeInum } from "../fs/inode";
import { shmPages, shmIsDevice } from "../ipc/shm";
import { logFirstSeq, logNextSeq, logRecordLevel, logRecordTime, logRecordLength, logRecordText } from "../lib/log";
import {
  traceReady, traceFirstSeq, traceNextSeq, traceEventTime, traceEventPid, traceEventKind, traceEventArg,
  traceEventStatus, traceEventCpu,
} from "../sched/trace";

// ---- Queries (the export's first argument) -------------------------------------------

/** Frame map, run-length encoded. arg0: first frame (0, then `next`);
 *  arg1: at most this many runs (0: as many as the buffer holds). */
export const INSPECT_FRAMES: u32 = 1;
/** Every live process. */
export const INSPECT_PROCS: u32 = 2;
/** One process's regions and capabilities. arg0: pid. */
export const INSPECT_PROCESS: u32 = 3;
/** Page-table walk. arg0: pid, arg1/arg2: the VA's low/high 32 bits. */
export const INSPECT_WALK: u32 = 4;
/** The derivation tree holding a capability. arg0: pid, arg1: slot. */
export const INSPECT_CAPTREE: u32 = 5;
/** Kernel log records. arg0: first sequence number wanted. */
export const INSPECT_LOG: u32 = 6;
/** Scheduler events. arg0: first sequence number wanted. */
export const INSPECT_SCHED: u32 = 7;
/** Frames by use and the slab caches: every frame the kernel holds, named. */
export const INSPECT_MEMORY: u32 = 8;

// ---- Errors (negative results) ------------------------------------------------------------

export const INSPECT_ERR_BAD_QUERY: i32 = -1;
/** The frame allocator is not up (the kernel is still booting). */
export const INSPECT_ERR_NOT_READY: i32 = -2;
/** No live process has that pid (or there is no user land). */
export const INSPECT_ERR_NO_PROCESS: i32 = -3;
/** The process has no address space (a zombie). */
export const INSPECT_ERR_NO_ADDRESS_SPACE: i32 = -4;
/** The slot is out of range or holds no capability. */
export const INSPECT_ERR_NO_CAPABILITY: i32 = -5;
/** arg0 of INSPECT_FRAMES is not the first frame of a block. */
export const INSPECT_ERR_BAD_CURSOR: i32 = -6;

// ---- Answer header (at SCRATCH_INSPECT) ---------------------------------------------------

export const INSPECT_MAGIC: u32 = 0x5053_4E49; // "INSP"
export const INSPECT_HEADER_SIZE: usize = 32;
const H_MAGIC: usize = 0;   // u32
const H_QUERY: usize = 4;   // u32
const H_COUNT: usize = 8;   // u32 records (regions, for INSPECT_PROCESS)
const H_NEXT: usize = 12;   // u32 cursor for the next call; walk: the result code (i32)
const H_TOTAL: usize = 16;  // u32 frames: capacity; log/sched: next seq in the ring; process: capabilities
const H_FLAGS: usize = 20;  // u32 INSPECT_FLAG_*
const H_EXTRA: usize = 24;  // u64 walk: the translated PA, all ones for none; log/sched: first seq kept
/** The answer stopped early for lack of room (captree) or list space (frames). */
export const INSPECT_FLAG_TRUNCATED: u32 = 1;

// Record sizes (layouts in docs/inspect.md and beside each writer).
export const INSPECT_RUN_SIZE: usize = 12;
export const INSPECT_PROC_SIZE: usize = 72;
export const INSPECT_REGION_SIZE: usize = 32;
export const INSPECT_CAP_SIZE: usize = 64;
export const INSPECT_TREE_SIZE: usize = 32;
export const INSPECT_LOG_HEADER_SIZE: usize = 16;
export const INSPECT_SCHED_SIZE: usize = 24;
export const INSPECT_CACHE_SIZE: usize = 40;

// What a capability's description word means (cap record +20).
export const DESC_NONE: u32 = 0;
export const DESC_BOOTFS_FILE: u32 = 1;  // arg: inode; name: its name
export const DESC_DISK_INODE: u32 = 2;   // arg: inode number
export const DESC_CONSOLE: u32 = 3;
export const DESC_PIPE_READ: u32 = 4;    // arg: the pipe's address
export const DESC_PIPE_WRITE: u32 = 5;
export const DESC_SHARED_MEMORY: u32 = 6; // arg: pages
export const DESC_DEVICE_MEMORY: u32 = 7; // arg: pages

const OUT: usize = SCRATCH_INSPECT;
const OUT_END: usize = SCRATCH_INSPECT + INSPECT_OUT_SIZE;
// Work space after the answer: the page-table frames of every process.
const PT_LIST: usize = SCRATCH_INSPECT + INSPECT_OUT_SIZE;
const PT_LIST_MAX: u32 = <u32>((SCRATCH_INSPECT_SIZE - INSPECT_OUT_SIZE - PT_WALK_OUT_SIZE) / 8);
const WALK_OUT: usize = SCRATCH_INSPECT + SCRATCH_INSPECT_SIZE - PT_WALK_OUT_SIZE;
const NAME_MAX: u32 = 24;
const BOOTFS_DIRENT_NAME: usize = 2;
const BOOTFS_DIRENT_NAME_MAX: u32 = 14;

function header(query: u32): void {
  memory.fill(OUT, 0, INSPECT_HEADER_SIZE);
  store<u32>(OUT + H_MAGIC, INSPECT_MAGIC);
  store<u32>(OUT + H_QUERY, query);
}

/** The answer to one query; see the INSPECT_* constants for the arguments. */
export function inspect(query: u32, arg0: u32, arg1: u32, arg2: u32): i32 {
  if (frameBlockAt(0) < 0) return INSPECT_ERR_NOT_READY;
  header(query);
  switch (query) {
    case INSPECT_FRAMES: return inspectFrames(arg0, arg1);
    case INSPECT_PROCS: return inspectProcs();
    case INSPECT_PROCESS: return inspectProcess(<i32>arg0);
    case INSPECT_WALK: return inspectWalk(<i32>arg0, (<u64>arg2 << 32) | <u64>arg1);
    case INSPECT_CAPTREE: return inspectCapTree(<i32>arg0, arg1);
    case INSPECT_LOG: return inspectLog(arg0);
    case INSPECT_SCHED: return inspectSched(arg0);
    case INSPECT_MEMORY: return inspectMemory();
    default: return INSPECT_ERR_BAD_QUERY;
  }
}

// ---- Memory accounting ---------------------------------------------------------------------

// Header: count = KIND_COUNT, next = cache records, total = managed frames,
// extra = the frame table's capacity. Then u32 frames per kind (index = KIND_*;
// 0 is the free frames, 1 the reserved ones below the capacity), then from
// the next 8-byte boundary one record per live slab cache
// (INSPECT_CACHE_SIZE): +0 u32 id, +4 u32 object size, +8 u32 objects in use,
// +12 u32 objects per slab, +16 u32 frames, +20 name (16 bytes, NUL-padded).
function inspectMemory(): i32 {
  store<u32>(OUT + H_COUNT, KIND_COUNT);
  store<u32>(OUT + H_TOTAL, framesTotal());
  store<u64>(OUT + H_EXTRA, <u64>framesCapacity());
  const kinds = OUT + INSPECT_HEADER_SIZE;
  for (let k: u32 = 0; k < KIND_COUNT; k++) store<u32>(kinds + (<usize>k << 2), framesInUse(k));
  let out = (kinds + (<usize>KIND_COUNT << 2) + 7) & ~<usize>7;
  let caches: u32 = 0;
  for (let id: u32 = 0; id < SLAB_MAX_CACHES; id++) {
    const size = slabStat(id, SLAB_STAT_OBJECT_SIZE);
    if (size == SLAB_STAT_NONE) continue;
    store<u32>(out, id);
    store<u32>(out + 4, size);
    store<u32>(out + 8, slabStat(id, SLAB_STAT_IN_USE));
    store<u32>(out + 12, slabStat(id, SLAB_STAT_PER_SLAB));
    store<u32>(out + 16, slabCacheFrames(id));
    memory.copy(out + 20, slabCacheName(id), <usize>SLAB_NAME_MAX + 1);
    out += INSPECT_CACHE_SIZE;
    caches++;
  }
  store<u32>(OUT + H_NEXT, caches);
  return <i32>(out - OUT);
}

// ---- Processes -----------------------------------------------------------------------------

function userland(): bool { return procTable().table != 0; }

/** A process that can own memory: allocated and not yet a zombie. */
function slotLive(slot: u32): bool {
  const s = pState(slot);
  return s != P_UNUSED && s != P_ZOMBIE && !pIsThread(slot);
}

/** Slot of the live (non-zombie) process with this pid, or NO_SLOT. */
function liveSlotOf(pid: i32): u32 {
  if (!userland() || pid <= 0) return NO_SLOT;
  for (let slot: u32 = 0; slot < MAX_PROCS; slot++) {
    if (slotLive(slot) && pPid(slot) == pid) return slot;
  }
  return NO_SLOT;
}

/** Slot of any allocated process (zombies included) with this pid, or NO_SLOT. */
function slotOf(pid: i32): u32 {
  if (!userland() || pid <= 0) return NO_SLOT;
  for (let slot: u32 = 0; slot < MAX_PROCS; slot++) {
    if (pState(slot) != P_UNUSED && !pIsThread(slot) && pPid(slot) == pid) return slot;
  }
  return NO_SLOT;
}

// ---- Frame map ---------------------------------------------------------------------------------

/** Appends the tables under `table` (level `level`) to the list as (pa, pid). */
function listTables(table: usize, level: i32, pid: i32, count: u32): u32 {
  if (count >= PT_LIST_MAX) return count + 1; // counted, not stored: the caller sees the overflow
  store<u32>(PT_LIST + (<usize>count << 3), <u32>table);
  store<i32>(PT_LIST + (<usize>count << 3) + 4, pid);
  count++;
  if (level == 0) return count;
  for (let i: u32 = 0; i < PT_ENTRIES; i++) {
    const pte = load<u64>(table + (<usize>i << 3));
    if ((pte & PTE_V) == 0 || pteIsLeaf(pte)) continue;
    count = listTables(<usize>pteToPa(pte), level - 1, pid, count);
  }
  return count;
}

/** Every page-table frame of every live process, in PT_LIST. Returns how many. */
function collectTables(): u32 {
  let count: u32 = 0;
  if (!userland()) return 0;
  for (let slot: u32 = 0; slot < MAX_PROCS; slot++) {
    if (!slotLive(slot) || pRoot(slot) == 0) continue;
    count = listTables(pRoot(slot), 3, pPid(slot), count);
  }
  return count;
}

function tableOwner(pa: usize, listed: u32): i32 {
  const n = min(listed, PT_LIST_MAX);
  for (let i: u32 = 0; i < n; i++) {
    if (<usize>load<u32>(PT_LIST + (<usize>i << 3)) == pa) return load<i32>(PT_LIST + (<usize>i << 3) + 4);
  }
  return 0;
}

// Run record (INSPECT_RUN_SIZE): +0 u32 frames, +4 u32 owner pid (0 none), +8 u8 kind (KIND_*).
function inspectFrames(first: u32, maxRuns: u32): i32 {
  const capacity = framesCapacity();
  store<u32>(OUT + H_TOTAL, capacity);
  if (first > capacity) return INSPECT_ERR_BAD_CURSOR;
  if (first < capacity && frameBlockAt(first) < 0) return INSPECT_ERR_BAD_CURSOR;
  const listed = collectTables();
  if (listed > PT_LIST_MAX) store<u32>(OUT + H_FLAGS, INSPECT_FLAG_TRUNCATED);
  let out = OUT + INSPECT_HEADER_SIZE;
  const limit = maxRuns != 0 && <usize>maxRuns * INSPECT_RUN_SIZE < INSPECT_OUT_SIZE - INSPECT_HEADER_SIZE
    ? out + <usize>maxRuns * INSPECT_RUN_SIZE
    : OUT_END;
  let runs: u32 = 0;
  let runKind: i32 = -1;
  let runOwner: i32 = 0;
  let runLength: u32 = 0;
  let lastPid: i32 = 0;   // the last user-frame owner checked, and whether it is live
  let lastLive = false;
  let i = first;
  while (i < capacity) {
    const block = frameBlockAt(i);
    if (block < 0) return INSPECT_ERR_BAD_CURSOR; // cannot happen: the table tiles
    const order = <u32>(block & 0xF);
    const kind = block >> 8;
    let owner: i32 = 0;
    if (<u32>kind == KIND_USER) {
      const pid = <i32>frameOwner(<usize>i << PAGE_SHIFT);
      if (pid != lastPid) { lastPid = pid; lastLive = liveSlotOf(pid) != NO_SLOT; }
      owner = lastLive ? pid : 0;
    } else if (<u32>kind == KIND_PAGETABLE) {
      owner = tableOwner(<usize>i << PAGE_SHIFT, listed);
    }
    if (kind != runKind || owner != runOwner) {
      if (runLength > 0) {
        if (out + INSPECT_RUN_SIZE > limit) break; // full: the open run starts the next call
        store<u32>(out, runLength);
        store<i32>(out + 4, runOwner);
        store<u32>(out + 8, <u32>runKind);
        out += INSPECT_RUN_SIZE;
        runs++;
      }
      runKind = kind;
      runOwner = owner;
      runLength = 0;
    }
    runLength += <u32>1 << order;
    i += <u32>1 << order;
  }
  if (i >= capacity && runLength > 0) {
    if (out + INSPECT_RUN_SIZE <= limit) {
      store<u32>(out, runLength);
      store<i32>(out + 4, runOwner);
      store<u32>(out + 8, <u32>runKind);
      out += INSPECT_RUN_SIZE;
      runs++;
    } else {
      i -= runLength; // the last run goes in the next call
    }
  } else if (i < capacity) {
    i -= runLength; // the open run restarts the next call
  }
  store<u32>(OUT + H_COUNT, runs);
  store<u32>(OUT + H_NEXT, i);
  return <i32>(out - OUT);
}

// ---- Process table ---------------------------------------------------------------------

// Per-slot user frame counts, in the work space (the page-table list is not needed here).
const USER_COUNTS: usize = PT_LIST;

function countUserFrames(): void {
  memory.fill(USER_COUNTS, 0, <usize>MAX_PROCS * 4);
  const capacity = framesCapacity();
  let lastPid: i32 = 0;
  let lastSlot = NO_SLOT;
  let i: u32 = 0;
  while (i < capacity) {
    const block = frameBlockAt(i);
    if (block < 0) break;
    const n = <u32>1 << <u32>(block & 0xF);
    if (<u32>(block >> 8) == KIND_USER) {
      const pid = <i32>frameOwner(<usize>i << PAGE_SHIFT);
      if (pid != lastPid) { lastPid = pid; lastSlot = liveSlotOf(pid); }
      if (lastSlot != NO_SLOT) {
        const at = USER_COUNTS + (<usize>lastSlot << 2);
        store<u32>(at, load<u32>(at) + n);
      }
    }
    i += n;
  }
}

// Process record (INSPECT_PROC_SIZE):
//   +0 i32 pid          +4 i32 parent pid (0 none)   +8 u32 state (P_*, or INSPECT_STATE_STOPPED)   +12 u32 wait kind (W_*)
//   +16 u64 cpu ns      +24 u64 switches            +32 u32 user frames   +36 u32 page-table frames
//   +40 i32 nice        +44 u32 capability mode     +48 name, 16 bytes NUL padded
//   +64 u32 threads that have not ended               +68 u32 0
// One record per process: a threaded process's state is its busiest
// thread's (proc/thread.ts threadProcessState), its wait kind the first
// sleeping thread's, its CPU time and switches its threads' together.
/** A process stopped by a signal (proc/signal.ts), whatever its P_* state. */
const INSPECT_STATE_STOPPED: u32 = 5;

function inspectProcs(): i32 {
  let out = OUT + INSPECT_HEADER_SIZE;
  let count: u32 = 0;
  if (userland()) {
    countUserFrames();
    for (let slot: u32 = 0; slot < MAX_PROCS; slot++) {
      if (pState(slot) == P_UNUSED || pIsThread(slot)) continue;
      const state = threadProcessState(slot);
      const parent = pParent(slot);
      const ppid = parent != NO_SLOT && parent < MAX_PROCS && pState(parent) != P_UNUSED ? pPid(parent) : 0;
      const root = pRoot(slot);
      const tables = root != 0 ? ptCountTables(root) : 0;
      memory.fill(out, 0, INSPECT_PROC_SIZE);
      store<i32>(out, pPid(slot));
      store<i32>(out + 4, ppid);
      store<u32>(out + 8, state != P_ZOMBIE && sigStopped(slot) ? INSPECT_STATE_STOPPED : state);
      store<u32>(out + 12, pWaitKind(threadSleeping(slot)));
      store<u64>(out + 16, threadCpuNs(slot));
      store<u64>(out + 24, threadSwitches(slot));
      store<u32>(out + 32, state == P_ZOMBIE ? 0 : load<u32>(USER_COUNTS + (<usize>slot << 2)));
      store<u32>(out + 36, tables > 0 ? <u32>tables : 0);
      store<i32>(out + 40, pNice(slot));
      store<u32>(out + 44, pCapMode(slot) ? 1 : 0);
      memory.copy(out + 48, pName(slot), <usize>pNameLength(slot));
      store<u32>(out + 64, threadCount(slot));
      out += INSPECT_PROC_SIZE;
      count++;
    }
  }
  store<u32>(OUT + H_COUNT, count);
  return <i32>(out - OUT);
}

// ---- One process: regions and capabilities -----------------------------------------

/** 4 KiB pages mapped in [start, end) under `table` (level `level`, which
 *  covers VAs from `base`). Skips absent subtrees, so a huge lazy heap costs
 *  no more than the tables that exist. */
function countMapped(table: usize, level: i32, base: u64, start: u64, end: u64): u64 {
  const span: u64 = <u64>1 << (12 + 9 * <u64>level);
  let n: u64 = 0;
  for (let i: u32 = 0; i < PT_ENTRIES; i++) {
    const lo = base + <u64>i * span;
    const hi = lo + span;
    if (hi <= start) continue;
    if (lo >= end) break;
    const pte = load<u64>(table + (<usize>i << 3));
    if ((pte & PTE_V) == 0) continue;
    if (pteIsLeaf(pte)) {
      const from = max<u64>(lo, start);
      const to = min<u64>(hi, end);
      n += (to - from + 4095) >> 12;
    } else if (level > 0) {
      n += countMapped(<usize>pteToPa(pte), level - 1, lo, start, end);
    }
  }
  return n;
}

/** Writes what a capability's object is, cheaply; returns the name length. */
function describe(obj: usize, type: u32, out: usize): u32 {
  let kind = DESC_NONE;
  let arg: u32 = 0;
  let nameLength: u32 = 0;
  if (type == KOBJ_FILE || type == KOBJ_DIRECTORY || type == KOBJ_CONSOLE || type == KOBJ_PIPE_READ || type == KOBJ_PIPE_WRITE) {
    const fk = fileKind(obj);
    if (fk == FK_CONSOLE) {
      kind = DESC_CONSOLE;
    } else if (fk == FK_PIPE) {
      kind = fileIsPipeWriteEnd(obj) ? DESC_PIPE_WRITE : DESC_PIPE_READ;
      arg = fileObj(obj);
    } else if (fk == FK_DISK) {
      kind = DESC_DISK_INODE;
      const ip = fileDiskInode(obj);
      arg = ip > 0 ? inodeInum(ip) : 0;
    } else if (fk == FK_INODE) {
      kind = DESC_BOOTFS_FILE;
      arg = fileObj(obj);
      // The boot file system is flat: an inode's name is its directory entry.
      if (arg == ROOT_INUM) {
        store<u8>(out + 40, 0x2F); // "/"
        nameLength = 1;
      } else if (bootfsValidInum(arg) && bootfsDirent(arg, WALK_OUT)) {
        while (nameLength < BOOTFS_DIRENT_NAME_MAX && load<u8>(WALK_OUT + BOOTFS_DIRENT_NAME + nameLength) != 0) nameLength++;
        memory.copy(out + 40, WALK_OUT + BOOTFS_DIRENT_NAME, <usize>nameLength);
      }
    }
  } else if (type == KOBJ_MEMORY) {
    kind = shmIsDevice(obj) ? DESC_DEVICE_MEMORY : DESC_SHARED_MEMORY;
    arg = shmPages(obj);
  }
  store<u32>(out + 20, kind);
  store<u32>(out + 24, arg);
  return nameLength;
}

// Region record (INSPECT_REGION_SIZE): +0 u64 start, +8 u64 end, +16 u32 PTE flags,
//   +20 u32 kind (RK_*), +24 u32 pages mapped.
// Capability record (INSPECT_CAP_SIZE): +0 u32 slot, +4 u32 type (KOBJ_*), +8 u32 rights,
//   +12 u32 object, +16 u32 node, +20 u32 DESC_*, +24 u32 its argument, +28 u32 name length,
//   +32 u64 badge, +40 name (NAME_MAX bytes).
function inspectProcess(pid: i32): i32 {
  const slot = slotOf(pid);
  if (slot == NO_SLOT) return INSPECT_ERR_NO_PROCESS;
  let out = OUT + INSPECT_HEADER_SIZE;
  let regions: u32 = 0;
  const root = pRoot(slot);
  for (let i: u32 = 0; i < MAX_REGIONS; i++) {
    const r = pRegion(slot, i);
    const kind = regionKind(r);
    if (kind == RK_NONE) continue;
    const start = regionStart(r);
    const end = regionEnd(r);
    store<u64>(out, start);
    store<u64>(out + 8, end);
    store<u32>(out + 16, <u32>regionFlags(r));
    store<u32>(out + 20, kind);
    store<u32>(out + 24, root != 0 && end > start ? <u32>countMapped(root, 3, 0, start, end) : 0);
    store<u32>(out + 28, 0);
    out += INSPECT_REGION_SIZE;
    regions++;
  }
  let caps: u32 = 0;
  const cs = pCspace(slot);
  if (cs != 0) {
    for (let s: u32 = 0; s < CSPACE_SLOTS; s++) {
      const n = capNodeAt(cs, s);
      if (n == 0) continue;
      const obj = capNodeObject(n);
      const type = capNodeType(n);
      memory.fill(out, 0, INSPECT_CAP_SIZE);
      store<u32>(out, s);
      store<u32>(out + 4, type);
      store<u32>(out + 8, capNodeRights(n));
      store<u32>(out + 12, <u32>obj);
      store<u32>(out + 16, <u32>n);
      store<u32>(out + 28, describe(obj, type, out));
      store<u64>(out + 32, capNodeBadge(n));
      out += INSPECT_CAP_SIZE;
      caps++;
    }
  }
  store<u32>(OUT + H_COUNT, regions);
  store<u32>(OUT + H_TOTAL, caps);
  return <i32>(out - OUT);
}

// ---- Page-table walk -----------------------------------------------------------------------------

// Answer: H_NEXT = ptWalk's result as an i32 (leaf level 0..2, or PT_ERR_*), H_EXTRA = the
// translated physical address (all ones for none), then ptWalk's four 16-byte records
// (root level first: +0 u32 table, +4 u32 index, +8 u64 entry; table 0 = not reached).
function inspectWalk(pid: i32, va: u64): i32 {
  const slot = slotOf(pid);
  if (slot == NO_SLOT) return INSPECT_ERR_NO_PROCESS;
  const root = pRoot(slot);
  if (root == 0) return INSPECT_ERR_NO_ADDRESS_SPACE;
  const result = ptWalk(root, va, WALK_OUT);
  const pa = vaCanonical(va) ? ptTranslate(root, va) : PT_NO_MAPPING;
  store<i32>(OUT + H_NEXT, result);
  store<u64>(OUT + H_EXTRA, pa);
  store<u32>(OUT + H_COUNT, 4);
  memory.copy(OUT + INSPECT_HEADER_SIZE, WALK_OUT, PT_WALK_OUT_SIZE);
  return <i32>(INSPECT_HEADER_SIZE + PT_WALK_OUT_SIZE);
}

// ---- Capability derivation tree ----------------------------------------------------------

// Tree record (INSPECT_TREE_SIZE): +0 u32 node, +4 u32 depth, +8 i32 pid (cspace owner),
//   +12 u32 slot, +16 u32 type, +20 u32 rights, +24 u64 badge. Depth-first, root first.
function inspectCapTree(pid: i32, capSlot: u32): i32 {
  const slot = slotOf(pid);
  if (slot == NO_SLOT) return INSPECT_ERR_NO_PROCESS;
  const cs = pCspace(slot);
  const start = cs != 0 && capSlot < CSPACE_SLOTS ? capNodeAt(cs, capSlot) : 0;
  if (start == 0) return INSPECT_ERR_NO_CAPABILITY;
  const root = capNodeRoot(start);
  let out = OUT + INSPECT_HEADER_SIZE;
  let count: u32 = 0;
  let n = root;
  while (n != 0) {
    if (out + INSPECT_TREE_SIZE > OUT_END) { store<u32>(OUT + H_FLAGS, INSPECT_FLAG_TRUNCATED); break; }
    store<u32>(out, <u32>n);
    store<u32>(out + 4, capNodeDepth(n));
    store<i32>(out + 8, <i32>cspaceOwner(capNodeCspace(n)));
    store<u32>(out + 12, capNodeSlot(n));
    store<u32>(out + 16, capNodeType(n));
    store<u32>(out + 20, capNodeRights(n));
    store<u64>(out + 24, capNodeBadge(n));
    out += INSPECT_TREE_SIZE;
    count++;
    n = capTreeNext(root, n);
  }
  store<u32>(OUT + H_COUNT, count);
  return <i32>(out - OUT);
}

// ---- Rings: the kernel log and the scheduler trace ---------------------------------------

/** Completes a ring answer: `count` records up to `out`, the seq to ask for
 *  next, the ring's next seq (`end`) and its oldest kept one (`first`). */
function finishRing(out: usize, count: u32, next: u32, end: u32, first: u32): i32 {
  store<u32>(OUT + H_COUNT, count);
  store<u32>(OUT + H_NEXT, next);
  store<u32>(OUT + H_TOTAL, end);
  store<u64>(OUT + H_EXTRA, <u64>first);
  return <i32>(out - OUT);
}

// Log record: +0 u32 seq, +4 u8 level, +5 u8 text length, +8 u64 time ns, +16 text,
// padded to a multiple of 8. H_NEXT: the seq to ask for next; H_TOTAL: the ring's next seq;
// H_EXTRA: the oldest seq still kept.
function inspectLog(from: u32): i32 {
  const first = logFirstSeq();
  const end = logNextSeq();
  // A cursor from before a reboot (past the end) starts again at the oldest.
  let seq = from < first || from > end ? first : from;
  let out = OUT + INSPECT_HEADER_SIZE;
  let count: u32 = 0;
  while (seq < end) {
    const length = logRecordLength(seq);
    const size = INSPECT_LOG_HEADER_SIZE + ((<usize>length + 7) & ~<usize>7);
    if (out + size > OUT_END) break;
    store<u32>(out, seq);
    store<u8>(out + 4, <u8>logRecordLevel(seq));
    store<u8>(out + 5, <u8>length);
    store<u16>(out + 6, 0);
    store<u64>(out + 8, logRecordTime(seq));
    memory.copy(out + INSPECT_LOG_HEADER_SIZE, logRecordText(seq), <usize>length);
    out += size;
    count++;
    seq++;
  }
  return finishRing(out, count, seq, end, first);
}

// Scheduler event: +0 u64 time ns, +8 u32 seq, +12 i32 pid, +16 u8 kind (TRACE_*),
// +17 u8 arg (wait kind or PREEMPT_*), +18 i16 exit status, +20 u32 the vCPU it
// happened on. Header as for the log.
function inspectSched(from: u32): i32 {
  const ready = userland() && traceReady();
  const first = ready ? traceFirstSeq() : 0;
  const end = ready ? traceNextSeq() : 0;
  // A cursor from before a reboot (past the end) starts again at the oldest.
  let seq = from < first || from > end ? first : from;
  let out = OUT + INSPECT_HEADER_SIZE;
  let count: u32 = 0;
  while (seq < end && out + INSPECT_SCHED_SIZE <= OUT_END) {
    store<u64>(out, traceEventTime(seq));
    store<u32>(out + 8, seq);
    store<i32>(out + 12, traceEventPid(seq));
    store<u8>(out + 16, <u8>traceEventKind(seq));
    store<u8>(out + 17, <u8>traceEventArg(seq));
    store<i16>(out + 18, <i16>traceEventStatus(seq));
    store<u32>(out + 20, traceEventCpu(seq));
    out += INSPECT_SCHED_SIZE;
    count++;
    seq++;
  }
  return finishRing(out, count, seq, end, first);
}
