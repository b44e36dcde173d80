// Hart debug support: the breakpoints and watchpoints of a debugged user
// context, kept by the hart itself so that user text is never patched
// (copy-on-write frames and other processes mapping the same code are
// untouched). proc/debug.ts drives it for the GDB server (docs/debugging.md).
//
// Breakpoints. The table holds each breakpoint's virtual address and the
// physical address of its instruction. The decoder (decode.ts) ends a block
// before any instruction at a breakpoint's physical address, and gives a
// block that starts at one the count BREAK_BLOCK, more than any budget, in
// its header (the real count stays in its closing record). So the
// executor's one test before every block ("count <= budget left") sends
// every entry into such a block, chained or not, to its slow path
// (execute.ts successorSlow), which stops with TRAP_DEBUG_BREAK when the
// running context has DEBUG_BREAK set and the pc is a breakpoint's virtual
// address, and otherwise runs a copy of the block with its real count.
// Another process running the same frame passes through. Blocks without a
// breakpoint are decoded and run exactly as before: the executor's loop
// has no test of its own for breakpoints.
//
// Watchpoints. A context with DEBUG_WATCH never gets TLB entries for the
// pages its watchpoints touch (mmu.ts), so every load and store there takes
// the slow path, which compares the access with the watch ranges and traps
// with TRAP_DEBUG_WATCH before the access (RISC-V watchpoints fire before
// the instruction commits; gdb steps over them itself). Stores the kernel
// makes on the process's behalf (copyout: a read() into the watched bytes)
// are seen too: copyout calls watchKernelWrite for a context with
// DEBUG_WATCH, which keeps the first real write watchpoint it touches as a
// pending hit (proc/debug.ts stops the process with it when the system
// call returns) and records notes as a store would, with WATCH_BY_KERNEL in
// their kind. Loads the kernel makes (copyin, copyinstr: a write() from the
// watched bytes, a path) are read and access watchpoints' hits the same
// way (watchKernelRead).
//
// DEBUG_SUPPRESS lets the first instruction after a resume run past its own
// breakpoint or watchpoint.
//
// Notes (reverse execution, host/gdb/reverse.ts). A breakpoint or watchpoint
// entry may be a *note*: it splits blocks and keeps pages out of the TLB as
// a real one does, but a hit only records where it happened (HD_NOTE_*) and
// the process runs on. The host replays history with the breakpoints gdb
// has now as notes to find the last hit before a position. A note at a
// breakpoint is recorded as the block starts (with the exact instret) and
// never traps; a note-only watchpoint hit traps with HD_NOTE_ONLY set, and
// proc/debug.ts runs the access on at once.
//
// The tables live in the KSTATE_HART page (machine-wide, so they survive a
// snapshot); the flags live in the context (CTX_DEBUG).

import { KSTATE_HART } from "../lib/layout";
import { CTX_DEBUG } from "./context";
import { raiseFault, TRAP_DEBUG_WATCH } from "./trap";
import { blockInvalidateFrame, BLOCK_HEADER, RECORD_SIZE } from "./blockcache";

export const DEBUG_BREAK: u32 = 1;
export const DEBUG_WATCH: u32 = 2;
export const DEBUG_SUPPRESS: u32 = 4;

/** Watchpoint kinds: which accesses trigger it (gdb's Z2, Z3, Z4). */
export const WATCH_WRITE: u32 = 1;
export const WATCH_READ: u32 = 2;
export const WATCH_ACCESS: u32 = 3;

export const BREAK_MAX: u32 = 64;
export const WATCH_MAX: u32 = 8;
/** Longest range one watchpoint may cover. */
export const WATCH_LEN_MAX: u64 = 4096;

export const HD_OK: i32 = 0;
export const HD_ERR_FULL: i32 = -1;
export const HD_ERR_NOT_FOUND: i32 = -2;
export const HD_ERR_ARGS: i32 = -3;

// The record, in the KSTATE_HART page after hart.ts's own fields.
const HD_BASE: usize = KSTATE_HART + 0x400;
const HD_BREAKS: usize = HD_BASE + 0;        // u32 count
const HD_WATCHES: usize = HD_BASE + 4;       // u32 count
const HD_HIT_KIND: usize = HD_BASE + 8;      // u32 kind of the watchpoint hit last
const HD_BREAK_TABLE: usize = HD_BASE + 16;  // BREAK_MAX x (u64 va, u64 pa)
const BREAK_ENTRY: usize = 16;
const HD_WATCH_TABLE: usize = HD_BREAK_TABLE + <usize>BREAK_MAX * BREAK_ENTRY; // WATCH_MAX x (u64 va, u64 len, u32 kind, pad)
const WATCH_ENTRY: usize = 24;
// The last note hit (reverse execution): a sequence number, what hit
// (NOTE_BREAK or NOTE_WATCH), the address, the watch kind, and for a
// breakpoint the instret at the hit.
const HD_NOTE_SEQ: usize = HD_WATCH_TABLE + <usize>WATCH_MAX * WATCH_ENTRY; // u32
const HD_NOTE_KIND: usize = HD_NOTE_SEQ + 4;     // u32
const HD_NOTE_ADDR: usize = HD_NOTE_SEQ + 8;     // u64
const HD_NOTE_INSTRET: usize = HD_NOTE_SEQ + 16; // u64
const HD_NOTE_WKIND: usize = HD_NOTE_SEQ + 24;   // u32
const HD_NOTE_ONLY: usize = HD_NOTE_SEQ + 28;    // u32 1: the last TRAP_DEBUG_WATCH hit notes only
// A write watchpoint the kernel's copyout hit, pending until the system call returns: its kind (0: none) and the byte.
const HD_KHIT_KIND: usize = HD_NOTE_SEQ + 32;    // u32
const HD_KHIT_ADDR: usize = HD_NOTE_SEQ + 40;    // u64
// Ends at HD_BASE + 16 + 1024 + 192 + 48, inside the page.

/** A break entry's pa has bit 0 set when it is a note; a watch entry's kind has WATCH_NOTE. */
const BREAK_NOTE: u64 = 1;
const WATCH_NOTE: u32 = 0x100;
export const NOTE_BREAK: u32 = 1;
export const NOTE_WATCH: u32 = 2;
/** In a watch kind reported (a stop's, a note's): the kernel wrote the bytes in a system call (copyout), no instruction did. */
export const WATCH_BY_KERNEL: u32 = 0x10;

// @ts-ignore: decorator
@inline export function breakCount(): u32 { return load<u32>(HD_BREAKS); }
// @ts-ignore: decorator
@inline function breakVa(i: u32): u64 { return load<u64>(HD_BREAK_TABLE + <usize>i * BREAK_ENTRY); }
// @ts-ignore: decorator
@inline function breakPaRaw(i: u32): u64 { return load<u64>(HD_BREAK_TABLE + <usize>i * BREAK_ENTRY + 8); }
// @ts-ignore: decorator
@inline function breakPa(i: u32): u64 { return breakPaRaw(i) & ~BREAK_NOTE; }
// @ts-ignore: decorator
@inline function watchVa(i: u32): u64 { return load<u64>(HD_WATCH_TABLE + <usize>i * WATCH_ENTRY); }
// @ts-ignore: decorator
@inline function watchLen(i: u32): u64 { return load<u64>(HD_WATCH_TABLE + <usize>i * WATCH_ENTRY + 8); }
// @ts-ignore: decorator
@inline function watchKind(i: u32): u32 { return load<u32>(HD_WATCH_TABLE + <usize>i * WATCH_ENTRY + 16); }

/** Empties both tables (boot, or the end of a debugging session). */
export function hartDebugReset(): void {
  const n = breakCount();
  for (let i: u32 = 0; i < n; i++) blockInvalidateFrame(<usize>breakPa(i) & ~<usize>0xFFF);
  store<u32>(HD_BREAKS, 0);
  store<u32>(HD_WATCHES, 0);
  store<u32>(HD_HIT_KIND, 0);
  store<u32>(HD_NOTE_ONLY, 0);
  store<u32>(HD_KHIT_KIND, 0);
}

export function hartDebugFlags(ctx: usize): u32 { return load<u32>(ctx + CTX_DEBUG); }
export function hartSetDebugFlags(ctx: usize, flags: u32): void {
  store<u32>(ctx + CTX_DEBUG, flags & (DEBUG_BREAK | DEBUG_WATCH | DEBUG_SUPPRESS));
}

/** The header count of a block that starts at a breakpoint: above any
 *  budget (hartRun passes at most RUN_CHUNK), below the unlinked sentinel's. */
export const BREAK_BLOCK: u32 = 0xFFFF_FFFE;

/** The instructions of a BREAK_BLOCK block: the index of its closing OP_END record. */
export function breakBlockCount(block: usize): u32 {
  let rec = block + BLOCK_HEADER;
  while (load<u8>(rec) != 0) rec += RECORD_SIZE; // OP_END is op 0, and only the closing record has it
  return <u32>load<u16>(rec, 14);
}

/** Whether an instruction at physical address pa has a breakpoint (decode time). */
export function breakAtPa(pa: usize): bool {
  const n = breakCount();
  for (let i: u32 = 0; i < n; i++) if (breakPa(i) == <u64>pa) return true;
  return false;
}

/**
 * Adds a breakpoint at va, whose instruction is at physical address pa (the
 * caller translated it). The frame's decoded blocks are dropped, so the next
 * decode ends a block there. Adding one twice is not an error.
 */
export function hartBreakInsert(va: u64, pa: usize): i32 {
  return breakInsert(va, <u64>pa);
}

function breakInsert(va: u64, raw: u64): i32 {
  const n = breakCount();
  for (let i: u32 = 0; i < n; i++) if (breakVa(i) == va && breakPaRaw(i) == raw) return HD_OK;
  if (n >= BREAK_MAX) return HD_ERR_FULL;
  const e = HD_BREAK_TABLE + <usize>n * BREAK_ENTRY;
  store<u64>(e, va);
  store<u64>(e, raw, 8);
  store<u32>(HD_BREAKS, n + 1);
  blockInvalidateFrame(<usize>(raw & ~BREAK_NOTE) & ~<usize>0xFFF);
  return HD_OK;
}

/** Adds a note at breakpoint va (pa as for hartBreakInsert). */
export function hartNoteBreakInsert(va: u64, pa: usize): i32 {
  return breakInsert(va, <u64>pa | BREAK_NOTE);
}

export function hartBreakRemove(va: u64): i32 {
  return breakRemove(va, false);
}

/** Removes every note (breakpoints and watchpoints); real entries stay. */
export function hartNotesClear(): void {
  for (let i: i32 = <i32>breakCount() - 1; i >= 0; i--) {
    if ((breakPaRaw(<u32>i) & BREAK_NOTE) != 0) breakRemove(breakVa(<u32>i), true);
  }
  for (let i: i32 = <i32>load<u32>(HD_WATCHES) - 1; i >= 0; i--) {
    const k = watchKind(<u32>i);
    if ((k & WATCH_NOTE) != 0) hartWatchRemove(watchVa(<u32>i), watchLen(<u32>i), k);
  }
}

function breakRemove(va: u64, note: bool): i32 {
  const n = breakCount();
  for (let i: u32 = 0; i < n; i++) {
    if (breakVa(i) != va || ((breakPaRaw(i) & BREAK_NOTE) != 0) != note) continue;
    const pa = <usize>breakPa(i);
    const last = HD_BREAK_TABLE + <usize>(n - 1) * BREAK_ENTRY;
    memory.copy(HD_BREAK_TABLE + <usize>i * BREAK_ENTRY, last, BREAK_ENTRY);
    store<u32>(HD_BREAKS, n - 1);
    blockInvalidateFrame(pa & ~<usize>0xFFF);
    return HD_OK;
  }
  return HD_ERR_NOT_FOUND;
}

/** Whether the running context stops at a breakpoint at pc (the OP_BREAK_CHECK record). */
export function breakHit(ctx: usize, pc: u64, instret: u64): bool {
  const flags = load<u32>(ctx + CTX_DEBUG);
  if ((flags & DEBUG_BREAK) == 0) return false;
  // A suppressed instruction runs past its own breakpoint, but its notes
  // still see it: history passed that breakpoint there.
  const quiet = (flags & DEBUG_SUPPRESS) != 0;
  const n = breakCount();
  let hit = false;
  for (let i: u32 = 0; i < n; i++) {
    if (breakVa(i) != pc) continue;
    if ((breakPaRaw(i) & BREAK_NOTE) == 0) { hit = hit || !quiet; continue; }
    noteHit(NOTE_BREAK, pc, 0);
    store<u64>(HD_NOTE_INSTRET, instret);
  }
  return hit;
}

function noteHit(kind: u32, addr: u64, watchKind: u32): void {
  store<u32>(HD_NOTE_SEQ, load<u32>(HD_NOTE_SEQ) + 1);
  store<u32>(HD_NOTE_KIND, kind);
  store<u64>(HD_NOTE_ADDR, addr);
  store<u32>(HD_NOTE_WKIND, watchKind);
}

/** The last note hit: its sequence number (changes at every hit), kind (NOTE_*), address, watch kind, instret (breakpoints). */
export function hartNoteSeq(): u32 { return load<u32>(HD_NOTE_SEQ); }
export function hartNoteKind(): u32 { return load<u32>(HD_NOTE_KIND); }
export function hartNoteAddr(): u64 { return load<u64>(HD_NOTE_ADDR); }
export function hartNoteWatchKind(): u32 { return load<u32>(HD_NOTE_WKIND); }
export function hartNoteInstret(): u64 { return load<u64>(HD_NOTE_INSTRET); }
/** Whether the last TRAP_DEBUG_WATCH was a note only (no real watchpoint hit). */
export function hartWatchNoteOnly(): bool { return load<u32>(HD_NOTE_ONLY) != 0; }

/** Adds a watchpoint over [va, va+len). The caller flushes the context's TLB entries. */
export function hartWatchInsert(va: u64, len: u64, kind: u32): i32 {
  if (len == 0 || len > WATCH_LEN_MAX || kind < WATCH_WRITE || kind > WATCH_ACCESS || va + len < va) return HD_ERR_ARGS;
  return watchInsert(va, len, kind);
}

/** Adds a note watching [va, va+len) for kind. */
export function hartNoteWatchInsert(va: u64, len: u64, kind: u32): i32 {
  if (len == 0 || len > WATCH_LEN_MAX || kind < WATCH_WRITE || kind > WATCH_ACCESS || va + len < va) return HD_ERR_ARGS;
  return watchInsert(va, len, kind | WATCH_NOTE);
}

function watchInsert(va: u64, len: u64, kind: u32): i32 {
  const n = load<u32>(HD_WATCHES);
  for (let i: u32 = 0; i < n; i++) if (watchVa(i) == va && watchLen(i) == len && watchKind(i) == kind) return HD_OK;
  if (n >= WATCH_MAX) return HD_ERR_FULL;
  const e = HD_WATCH_TABLE + <usize>n * WATCH_ENTRY;
  store<u64>(e, va);
  store<u64>(e, len, 8);
  store<u32>(e, kind, 16);
  store<u32>(HD_WATCHES, n + 1);
  return HD_OK;
}

export function hartWatchRemove(va: u64, len: u64, kind: u32): i32 {
  const n = load<u32>(HD_WATCHES);
  for (let i: u32 = 0; i < n; i++) {
    if (watchVa(i) != va || watchLen(i) != len || watchKind(i) != kind) continue;
    memory.copy(HD_WATCH_TABLE + <usize>i * WATCH_ENTRY, HD_WATCH_TABLE + <usize>(n - 1) * WATCH_ENTRY, WATCH_ENTRY);
    store<u32>(HD_WATCHES, n - 1);
    return HD_OK;
  }
  return HD_ERR_NOT_FOUND;
}

export function hartWatchCount(): u32 { return load<u32>(HD_WATCHES); }

/** The kind of the watchpoint that the last TRAP_DEBUG_WATCH hit. */
export function hartWatchHitKind(): u32 { return load<u32>(HD_HIT_KIND); }

/** Whether the TLB may cache va's page for a context with DEBUG_WATCH (mmu.ts). */
export function watchOnPage(va: u64): bool {
  const page = va & ~<u64>0xFFF;
  const n = load<u32>(HD_WATCHES);
  for (let i: u32 = 0; i < n; i++) {
    const first = watchVa(i) & ~<u64>0xFFF;
    const last = (watchVa(i) + watchLen(i) - 1) & ~<u64>0xFFF;
    if (page >= first && page <= last) return true;
  }
  return false;
}

/** The context watchArmed last looked at is suppressed: watchCheck only notes. */
let watchQuiet = false;

// @ts-ignore: decorator
@inline export function watchArmed(ctx: usize): bool {
  const flags = load<u32>(ctx + CTX_DEBUG);
  watchQuiet = (flags & DEBUG_SUPPRESS) != 0;
  return (flags & DEBUG_WATCH) != 0;
}

/**
 * Checks an access of `size` bytes at va by an armed context (`reads` and
 * `writes` say what it does; an AMO does both). On a hit raises
 * TRAP_DEBUG_WATCH with tval = the first watched byte it touches, and
 * returns true: the access must not happen.
 */
export function watchCheck(va: u64, size: u32, reads: bool, writes: bool): bool {
  const n = load<u32>(HD_WATCHES);
  const end = va + <u64>size;
  let noted = false;
  let noteAt: u64 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const entry = watchKind(i);
    const kind = entry & ~WATCH_NOTE;
    const hitWrite = writes && (kind & WATCH_WRITE) != 0;
    const hitRead = reads && (kind & WATCH_READ) != 0;
    if (!hitWrite && !hitRead) continue;
    const w = watchVa(i);
    if (va >= w + watchLen(i) || w >= end) continue;
    const at = va > w ? va : w;
    if ((entry & WATCH_NOTE) != 0) {
      if (!noted) noteHit(NOTE_WATCH, at, kind);
      noted = true;
      noteAt = at;
      continue;
    }
    if (watchQuiet) continue; // runs past its own watchpoint
    store<u32>(HD_HIT_KIND, kind);
    store<u32>(HD_NOTE_ONLY, 0);
    raiseFault(TRAP_DEBUG_WATCH, at);
    return true;
  }
  if (!noted || watchQuiet) return false; // a suppressed access is only noted, and happens
  store<u32>(HD_HIT_KIND, load<u32>(HD_NOTE_WKIND));
  store<u32>(HD_NOTE_ONLY, 1);
  raiseFault(TRAP_DEBUG_WATCH, noteAt);
  return true;
}

/**
 * The kernel stored [va, va+len) for a context with DEBUG_WATCH (copyout,
 * in a system call). A real write (or access) watchpoint over those bytes
 * becomes the pending kernel hit, the first one only; a note records the
 * hit as for a store, its kind marked WATCH_BY_KERNEL.
 */
export function watchKernelWrite(va: u64, len: u64): void {
  watchKernelAccess(va, len, WATCH_WRITE);
}

/** The kernel loaded [va, va+len) for a context with DEBUG_WATCH (copyin,
 *  copyinstr: a write() from those bytes, a path): as watchKernelWrite, for
 *  read and access watchpoints. */
export function watchKernelRead(va: u64, len: u64): void {
  watchKernelAccess(va, len, WATCH_READ);
}

function watchKernelAccess(va: u64, len: u64, what: u32): void {
  const n = load<u32>(HD_WATCHES);
  const end = va + len;
  for (let i: u32 = 0; i < n; i++) {
    const entry = watchKind(i);
    const kind = entry & ~WATCH_NOTE;
    if ((kind & what) == 0) continue;
    const w = watchVa(i);
    if (va >= w + watchLen(i) || w >= end) continue;
    const at = va > w ? va : w;
    if ((entry & WATCH_NOTE) != 0) { noteHit(NOTE_WATCH, at, kind | WATCH_BY_KERNEL); continue; }
    if (load<u32>(HD_KHIT_KIND) != 0) continue;
    store<u32>(HD_KHIT_KIND, kind);
    store<u64>(HD_KHIT_ADDR, at);
  }
}

/** The pending kernel hit: its watch kind (0: none) and byte; clearing forgets it. */
export function hartKernelHitKind(): u32 { return load<u32>(HD_KHIT_KIND); }
export function hartKernelHitAddr(): u64 { return load<u64>(HD_KHIT_ADDR); }
export function hartKernelHitClear(): void { store<u32>(HD_KHIT_KIND, 0); }
