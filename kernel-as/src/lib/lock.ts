// Kernel locks: spinlocks, read-write locks and sleeping mutexes in linear
// memory, with per-lock statistics and a registry of named locks. Layer:
// lib, a leaf (it imports only layout, cpu and panic).
//
// Every lock is a 64-byte record in the registry at KSTATE_LOCKS, found by a
// fixed id (LOCK_* below). The records are in RAM, never in WASM globals:
// every vCPU is its own instance of the kernel module over the one memory,
// so only RAM is shared, and a snapshot carries the statistics along.
// The lock word is changed only with wasm atomics (atomic.cmpxchg, seq-cst),
// which are valid on a shared memory (truly parallel vCPUs in threads) and
// on the plain one (interleaved vCPUs on one thread) alike.
//
// Kinds:
//   * spinlock: word = 0 free, or the owner's vCPU + 1. A vCPU that finds it
//     held spins (test and test-and-set) until it is free.
//   * read-write lock: word = RW_WRITER | readers. Any number of readers, or
//     one writer; a writer waits for the readers to leave.
//   * sleeping mutex: word = 0 free, or the owner's vCPU + 1, taken with
//     mutexTryAcquire only; a process that finds it held sleeps on the
//     mutex's wait channel (sched/mutex.ts) and is woken by the release. It
//     may be held across a process's sleep, a spinlock never.
//
// Lock order (debug and test builds: !ASC_NO_ASSERT, once locksInit ran; a
// test entry that never calls it runs unchecked): every lock has a rank;
// a vCPU may take a lock only when its rank is above the rank of every lock
// it holds (the held locks of each vCPU are a stack in the registry).
// Taking a lower or equal rank, taking a lock twice, releasing one not held
// or releasing out of order stops the kernel with a message naming both
// locks. The ranks, lowest (taken first) to highest, are in LOCK_TABLE; the
// rules of which lock protects what are in docs/architecture.md "Locks".
//
// Statistics (per lock, in its record): acquisitions, contended
// acquisitions (the first try found it held), spin iterations (the loops
// spent waiting) and the longest wait in spins. An exclusive holder updates
// its own lock's counters (the lock protects them); readers update theirs
// with atomic adds. locksReset() zeroes them (the monitor's `locks reset`).
//
// A spin that lasts SPIN_LIMIT iterations is a deadlock (while vCPUs are
// interleaved on one thread a lock held by another vCPU can never be
// released): the kernel stops with the lock's name and its holder.

import { KSTATE_LOCKS } from "./layout";
import { cpuId, MAX_CPUS } from "./cpu";
import { panic, panicBegin, panicEnd } from "./panic";
import { printStr, printDec, printBytes } from "./print";

// ---- Layout of the registry (KSTATE_LOCKS, 8 KiB) ---------------------------------

/** Registry header: magic (u32), number of locks (u32). */
const REG_MAGIC: usize = 0x00;
const REG_COUNT: usize = 0x04;
const LOCKS_MAGIC: u32 = 0x4B434F4C; // "LOCK"
/** Per-vCPU held-lock stacks: MAX_CPUS records of HELD_SIZE bytes. */
const REG_HELD: usize = 0x100;
const HELD_SIZE: usize = 32;
/** Locks one vCPU may hold at once (the stack's depth, order checking only). */
export const HELD_MAX: u32 = 7;
/** The lock records: LOCK_RECORD_SIZE bytes each, MAX_LOCKS of them. */
const REG_RECORDS: usize = 0x200;
export const LOCK_RECORD_SIZE: usize = 64;
export const MAX_LOCKS: u32 = 64;
/** Bytes of a lock's name (NUL padded). */
export const LOCK_NAME_MAX: u32 = 16;

/** One lock. Offsets are mirrored in host/locks.ts (LOCK_*). */
@unmanaged export class LockRecord {
  word: u32;        // kind's state word (see the kinds above)
  kind: u32;        // LOCK_KIND_*
  rank: u32;        // lock order: take lower ranks first
  holder: u32;      // vCPU + 1 of the last exclusive holder (0: none yet)
  acquisitions: u64;
  contended: u64;   // acquisitions whose first try found the lock held
  spins: u64;       // spin iterations spent waiting, summed
  maxSpins: u32;    // the longest wait, in spin iterations
  waiters: u32;     // mutex: processes that found it held and sleep on it
  // name: LOCK_NAME_MAX bytes at +48
}
const LOCK_NAME_OFFSET: usize = 48;

export const LOCK_KIND_SPIN: u32 = 1;
export const LOCK_KIND_RW: u32 = 2;
export const LOCK_KIND_MUTEX: u32 = 3;

/** Read-write word: the writer bit; the low bits count readers. */
const RW_WRITER: u32 = 0x8000_0000;

/** Spins before a wait is called a deadlock. */
export const SPIN_LIMIT: u32 = 1 << 30;

// ---- The locks of the kernel, lowest rank first -----------------------------------
// Ids are fixed (their records are at fixed places); ranks say the order.
// A lock with a rank between two others may be added anywhere in the list.

export const LOCK_PROC: u32 = 0;          // process table, run queues (states, wait channels)
export const LOCK_CAP: u32 = 1;           // capability tree
export const LOCK_IPC: u32 = 2;           // endpoints and notifications
export const LOCK_PIPE: u32 = 3;          // pipes
export const LOCK_INODE: u32 = 4;         // inode cache
export const LOCK_FSLOG: u32 = 5;         // file-system log
export const LOCK_BCACHE: u32 = 6;        // block cache
export const LOCK_SLAB: u32 = 7;          // slab caches (kmalloc, typed caches)
export const LOCK_FRAMES: u32 = 8;        // buddy frame allocator
export const LOCK_KLOG: u32 = 9;          // kernel log ring
export const LOCK_TEST_A: u32 = 10;       // for tests of the locks themselves
export const LOCK_TEST_B: u32 = 11;
export const LOCK_TEST_RW: u32 = 12;
export const LOCK_TEST_MUTEX: u32 = 13;
/** vCPU i's slab magazines: LOCK_PCPU_SLAB + i. */
export const LOCK_PCPU_SLAB: u32 = 16;
/** vCPU i's frame cache: LOCK_PCPU_FRAMES + i. */
export const LOCK_PCPU_FRAMES: u32 = 24;
/** Locks named at boot. */
export const LOCKS_FIXED: u32 = 32;

// Ranks: a vCPU holding a lock of rank r may take only locks of rank > r.
// Outer locks (held while calling into lower layers) rank lowest.
export const RANK_PROC: u32 = 10;
export const RANK_CAP: u32 = 20;
export const RANK_IPC: u32 = 30;
export const RANK_PIPE: u32 = 40;
export const RANK_INODE: u32 = 50;
export const RANK_FSLOG: u32 = 55;
export const RANK_BCACHE: u32 = 60;
export const RANK_PCPU_SLAB: u32 = 70;  // a magazine refill takes the slab lock
export const RANK_SLAB: u32 = 75;
export const RANK_PCPU_FRAMES: u32 = 80; // a cache refill takes the frames lock
export const RANK_FRAMES: u32 = 85;
export const RANK_KLOG: u32 = 100;       // anything may log
export const RANK_TEST_A: u32 = 200;
export const RANK_TEST_B: u32 = 210;

// ---- Records --------------------------------------------------------------------

// @ts-ignore: decorator
@inline export function lockRecord(id: u32): LockRecord {
  return changetype<LockRecord>(KSTATE_LOCKS + REG_RECORDS + <usize>id * LOCK_RECORD_SIZE);
}
// @ts-ignore: decorator
@inline function wordAt(id: u32): usize { return changetype<usize>(lockRecord(id)); }
// @ts-ignore: decorator
@inline function heldBase(cpu: u32): usize { return KSTATE_LOCKS + REG_HELD + <usize>cpu * HELD_SIZE; }

/** Names lock `id` (kind, rank, name, and when `suffix` >= 0 that digit after
 *  the name) and zeroes its word and statistics. No string is built: the
 *  kernel's stub runtime must not allocate (its heap would run over the
 *  boot modules past the image). */
export function lockDefine(id: u32, kind: u32, rank: u32, name: string, suffix: i32 = -1): void {
  if (id >= MAX_LOCKS) panic("lockDefine: lock id out of range");
  const r = lockRecord(id);
  memory.fill(changetype<usize>(r), 0, LOCK_RECORD_SIZE);
  r.kind = kind;
  r.rank = rank;
  const at = changetype<usize>(r) + LOCK_NAME_OFFSET;
  const n = name.length < <i32>LOCK_NAME_MAX - 1 ? name.length : <i32>LOCK_NAME_MAX - 1;
  for (let i = 0; i < n; i++) store<u8>(at + <usize>i, <u8>name.charCodeAt(i));
  if (suffix >= 0 && n < <i32>LOCK_NAME_MAX - 1) store<u8>(at + <usize>n, <u8>(0x30 + suffix % 10));
  const count = load<u32>(KSTATE_LOCKS + REG_COUNT);
  if (id + 1 > count) store<u32>(KSTATE_LOCKS + REG_COUNT, id + 1);
}

/** Sets up the registry at boot: every fixed lock free, named, zero
 *  statistics, no vCPU holding anything. Only vCPU 0 calls it, before any
 *  other vCPU runs. */
export function locksInit(): void {
  memory.fill(KSTATE_LOCKS, 0, REG_RECORDS + <usize>MAX_LOCKS * LOCK_RECORD_SIZE);
  store<u32>(KSTATE_LOCKS + REG_MAGIC, LOCKS_MAGIC);
  lockDefine(LOCK_PROC, LOCK_KIND_SPIN, RANK_PROC, "proc");
  lockDefine(LOCK_CAP, LOCK_KIND_SPIN, RANK_CAP, "cap");
  lockDefine(LOCK_IPC, LOCK_KIND_SPIN, RANK_IPC, "ipc");
  lockDefine(LOCK_PIPE, LOCK_KIND_SPIN, RANK_PIPE, "pipe");
  lockDefine(LOCK_INODE, LOCK_KIND_SPIN, RANK_INODE, "inode");
  lockDefine(LOCK_FSLOG, LOCK_KIND_SPIN, RANK_FSLOG, "fslog");
  lockDefine(LOCK_BCACHE, LOCK_KIND_SPIN, RANK_BCACHE, "bcache");
  lockDefine(LOCK_SLAB, LOCK_KIND_SPIN, RANK_SLAB, "slab");
  lockDefine(LOCK_FRAMES, LOCK_KIND_SPIN, RANK_FRAMES, "frames");
  lockDefine(LOCK_KLOG, LOCK_KIND_SPIN, RANK_KLOG, "klog");
  lockDefine(LOCK_TEST_A, LOCK_KIND_SPIN, RANK_TEST_A, "test-a");
  lockDefine(LOCK_TEST_B, LOCK_KIND_SPIN, RANK_TEST_B, "test-b");
  lockDefine(LOCK_TEST_RW, LOCK_KIND_RW, RANK_TEST_B, "test-rw");
  lockDefine(LOCK_TEST_MUTEX, LOCK_KIND_MUTEX, RANK_TEST_A, "test-mutex");
  for (let i: u32 = 0; i < MAX_CPUS; i++) {
    lockDefine(LOCK_PCPU_SLAB + i, LOCK_KIND_SPIN, RANK_PCPU_SLAB, "slab-cpu", <i32>i);
    lockDefine(LOCK_PCPU_FRAMES + i, LOCK_KIND_SPIN, RANK_PCPU_FRAMES, "frames-cpu", <i32>i);
  }
}

/** True once locksInit ran (a test entry without it runs without checks). */
export function locksReady(): bool { return load<u32>(KSTATE_LOCKS + REG_MAGIC) == LOCKS_MAGIC; }

/** Locks in the registry (ids 0 .. count-1; an id never defined has kind 0). */
export function locksCount(): u32 { return load<u32>(KSTATE_LOCKS + REG_COUNT); }

/** Zeroes every lock's statistics (not its state). */
export function locksReset(): void {
  const n = locksCount();
  for (let id: u32 = 0; id < n; id++) {
    const r = lockRecord(id);
    r.acquisitions = 0;
    r.contended = 0;
    r.spins = 0;
    r.maxSpins = 0;
  }
}

/** The lock's name: its bytes' address and length. */
export function lockNameAddr(id: u32): usize { return changetype<usize>(lockRecord(id)) + LOCK_NAME_OFFSET; }
export function lockNameLength(id: u32): u32 {
  const at = lockNameAddr(id);
  let n: u32 = 0;
  while (n < LOCK_NAME_MAX && load<u8>(at + <usize>n) != 0) n++;
  return n;
}

// ---- Lock order (debug and test builds) ------------------------------------------

/** Stops the kernel: "lock order: vCPU c <what> lock A[ <rest> B]" (or
 *  "lock A: vCPU c <what>"), printed piecewise: nothing is allocated. */
function lockPanic(order: bool, id: u32, what: string, other: u32 = 0xFFFF_FFFF, rest: string = ""): void {
  panicBegin();
  if (order) {
    printStr("lock order: vCPU ");
    printDec(<u64>cpuId());
    printStr(" ");
    printStr(what);
    printStr(" lock ");
    printName(id);
    printStr(" (rank ");
    printDec(<u64>lockRecord(id).rank);
    printStr(")");
  } else {
    printStr("lock ");
    printName(id);
    printStr(": vCPU ");
    printDec(<u64>cpuId());
    printStr(" ");
    printStr(what);
  }
  if (other != 0xFFFF_FFFF) {
    printStr(rest);
    printName(other);
    printStr(" (rank ");
    printDec(<u64>lockRecord(other).rank);
    printStr(")");
  }
  panicEnd();
}

function printName(id: u32): void { printBytes(lockNameAddr(id), <usize>lockNameLength(id)); }

/** Called before taking `id`: its rank must be above every held lock's. */
function orderCheckTake(id: u32): void {
  const base = heldBase(cpuId());
  const depth = load<u32>(base);
  const rank = lockRecord(id).rank;
  for (let i: u32 = 0; i < depth; i++) {
    const other = load<u32>(base + 4 + (<usize>i << 2));
    if (other == id) lockPanic(true, id, "takes", id, " which it already holds: ");
    if (lockRecord(other).rank >= rank) lockPanic(true, id, "takes", other, " while holding ");
  }
  if (depth >= HELD_MAX) lockPanic(true, id, "holds too many locks to take");
  store<u32>(base + 4 + (<usize>depth << 2), id);
  store<u32>(base, depth + 1);
}

/** Called when releasing `id`: it must be the innermost lock held. */
function orderCheckRelease(id: u32): void {
  const base = heldBase(cpuId());
  const depth = load<u32>(base);
  if (depth == 0) lockPanic(true, id, "releases (not held)");
  const top = load<u32>(base + 4 + (<usize>(depth - 1) << 2));
  if (top != id) lockPanic(true, id, "releases out of order", top, " while holding, taken after it, ");
  store<u32>(base, depth - 1);
}

/** Locks vCPU `cpu` holds now (0 in release builds, which keep no stack). */
export function locksHeld(cpu: u32): u32 { return load<u32>(heldBase(cpu)); }

/** Forgets every lock this vCPU holds without releasing them: for a
 *  test entry that recovers from a panic it provoked. */
export function locksForgetHeld(): void { store<u32>(heldBase(cpuId()), 0); }

// ---- Spinlocks ------------------------------------------------------------------

/** Waits for the spinlock word at `at` and takes it; returns the spins. */
function spinAcquire(id: u32, at: usize, mine: u32): u32 {
  let spins: u32 = 0;
  while (true) {
    // Test before test-and-set: spin on a plain atomic load so waiting does
    // not keep writing the lock's cache line.
    if (atomic.load<u32>(at) == 0 && atomic.cmpxchg<u32>(at, 0, mine) == 0) return spins;
    spins++;
    if (spins >= SPIN_LIMIT) lockPanic(false, id, "spun 2^30 times waiting for it (deadlock? another vCPU holds it)");
  }
  return spins;
}

/** Takes spinlock `id`, waiting while another vCPU holds it. */
export function spinLock(id: u32): void {
  if (!ASC_NO_ASSERT && locksReady()) orderCheckTake(id);
  const r = lockRecord(id);
  const at = changetype<usize>(r);
  const mine = cpuId() + 1;
  let spins: u32 = 0;
  const first = atomic.cmpxchg<u32>(at, 0, mine);
  if (first != 0) {
    if (!ASC_NO_ASSERT && first == mine) lockPanic(false, id, "takes it twice");
    spins = spinAcquire(id, at, mine) + 1;
    r.contended++;
    r.spins += <u64>spins;
    if (spins > r.maxSpins) r.maxSpins = spins;
  }
  r.acquisitions++;
  r.holder = mine;
}

/** Takes spinlock `id` if it is free; true when taken. */
export function spinTryLock(id: u32): bool {
  const r = lockRecord(id);
  const mine = cpuId() + 1;
  if (atomic.cmpxchg<u32>(changetype<usize>(r), 0, mine) != 0) return false;
  if (!ASC_NO_ASSERT && locksReady()) orderCheckTake(id);
  r.acquisitions++;
  r.holder = mine;
  return true;
}

/** Releases spinlock `id`, which this vCPU holds. */
export function spinUnlock(id: u32): void {
  const at = wordAt(id);
  if (!ASC_NO_ASSERT && locksReady()) {
    orderCheckRelease(id);
    if (atomic.load<u32>(at) != cpuId() + 1) lockPanic(false, id, "releases it but does not hold it");
  }
  atomic.store<u32>(at, 0);
}

/** True when spinlock or mutex `id` is held by anyone. */
export function lockIsHeld(id: u32): bool { return atomic.load<u32>(wordAt(id)) != 0; }

/** The vCPU holding spinlock or mutex `id`, or -1. */
export function lockOwner(id: u32): i32 { return <i32>atomic.load<u32>(wordAt(id)) - 1; }

// ---- Read-write locks ---------------------------------------------------------------

/** Takes rw lock `id` for reading: waits while a writer holds it. */
export function readLock(id: u32): void {
  if (!ASC_NO_ASSERT && locksReady()) orderCheckTake(id);
  const r = lockRecord(id);
  const at = changetype<usize>(r);
  let spins: u32 = 0;
  while (true) {
    const w = atomic.load<u32>(at);
    if ((w & RW_WRITER) == 0 && atomic.cmpxchg<u32>(at, w, w + 1) == w) break;
    spins++;
    if (spins >= SPIN_LIMIT) lockPanic(false, id, "spun 2^30 times waiting to read (deadlock?)");
  }
  atomic.add<u64>(at + offsetof<LockRecord>("acquisitions"), 1);
  if (spins > 0) {
    atomic.add<u64>(at + offsetof<LockRecord>("contended"), 1);
    atomic.add<u64>(at + offsetof<LockRecord>("spins"), <u64>spins);
  }
}

export function readUnlock(id: u32): void {
  if (!ASC_NO_ASSERT && locksReady()) {
    orderCheckRelease(id);
    if ((atomic.load<u32>(wordAt(id)) & ~RW_WRITER) == 0) lockPanic(false, id, "read-unlocks it with no readers");
  }
  atomic.sub<u32>(wordAt(id), 1);
}

/** Takes rw lock `id` for writing: first the writer bit (which keeps new
 *  readers out), then waits for the readers inside to leave. */
export function writeLock(id: u32): void {
  if (!ASC_NO_ASSERT && locksReady()) orderCheckTake(id);
  const r = lockRecord(id);
  const at = changetype<usize>(r);
  let spins: u32 = 0;
  while (true) {
    const w = atomic.load<u32>(at);
    if ((w & RW_WRITER) == 0 && atomic.cmpxchg<u32>(at, w, w | RW_WRITER) == w) break;
    spins++;
    if (spins >= SPIN_LIMIT) lockPanic(false, id, "spun 2^30 times waiting to write (deadlock?)");
  }
  while (atomic.load<u32>(at) != RW_WRITER) {
    spins++;
    if (spins >= SPIN_LIMIT) lockPanic(false, id, "spun 2^30 times waiting for readers (deadlock?)");
  }
  r.acquisitions++;
  r.holder = cpuId() + 1;
  if (spins > 0) {
    r.contended++;
    r.spins += <u64>spins;
    if (spins > r.maxSpins) r.maxSpins = spins;
  }
}

export function writeUnlock(id: u32): void {
  const at = wordAt(id);
  if (!ASC_NO_ASSERT && locksReady()) {
    orderCheckRelease(id);
    if (atomic.load<u32>(at) != RW_WRITER) lockPanic(false, id, "write-unlocks it without holding it");
  }
  atomic.store<u32>(at, 0);
}

/** Readers inside rw lock `id` now. */
export function readersOf(id: u32): u32 { return atomic.load<u32>(wordAt(id)) & ~RW_WRITER; }

// ---- Sleeping mutexes --------------------------------------------------------------
// The mechanism only; sched/mutex.ts puts a process that finds the mutex
// held to sleep on it and wakes the sleepers at the release.

/** Takes mutex `id` if it is free (true). When it is held, counts a
 *  contended try and a waiter (the caller then sleeps on it) and returns false. */
export function mutexTryAcquire(id: u32): bool {
  const r = lockRecord(id);
  const mine = cpuId() + 1;
  if (atomic.cmpxchg<u32>(changetype<usize>(r), 0, mine) != 0) {
    atomic.add<u64>(changetype<usize>(r) + offsetof<LockRecord>("contended"), 1);
    atomic.add<u32>(changetype<usize>(r) + offsetof<LockRecord>("waiters"), 1);
    return false;
  }
  r.acquisitions++;
  r.holder = mine;
  return true;
}

/** Releases mutex `id`; returns how many processes were counted waiting
 *  (the caller wakes them: they try again). A mutex is held by a process,
 *  not a vCPU: it may be released on another vCPU than the one that took it. */
export function mutexRelease(id: u32): u32 {
  const r = lockRecord(id);
  const at = changetype<usize>(r);
  if (atomic.load<u32>(at) == 0) lockPanic(false, id, "releases the mutex while it is free");
  const waiters = atomic.xchg<u32>(at + offsetof<LockRecord>("waiters"), 0);
  atomic.store<u32>(at, 0);
  return waiters;
}
