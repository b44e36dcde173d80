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
// are not seen.
//
// DEBUG_SUPPRESS lets the first instruction after a resume run past its own
// breakpoint or watchpoint.
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
// Ends at HD_BASE + 16 + 1024 + 192, inside the page.

// @ts-ignore: decorator
@inline export function breakCount(): u32 { return load<u32>(HD_BREAKS); }
// @ts-ignore: decorator
@inline function breakVa(i: u32): u64 { return load<u64>(HD_BREAK_TABLE + <usize>i * BREAK_ENTRY); }
// @ts-ignore: decorator
@inline function breakPa(i: u32): u64 { return load<u64>(HD_BREAK_TABLE + <usize>i * BREAK_ENTRY + 8); }
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
  const n = breakCount();
  for (let i: u32 = 0; i < n; i++) if (breakVa(i) == va && breakPa(i) == <u64>pa) return HD_OK;
  if (n >= BREAK_MAX) return HD_ERR_FULL;
  const e = HD_BREAK_TABLE + <usize>n * BREAK_ENTRY;
  store<u64>(e, va);
  store<u64>(e, <u64>pa, 8);
  store<u32>(HD_BREAKS, n + 1);
  blockInvalidateFrame(pa & ~<usize>0xFFF);
  return HD_OK;
}

export function hartBreakRemove(va: u64): i32 {
  const n = breakCount();
  for (let i: u32 = 0; i < n; i++) {
    if (breakVa(i) != va) continue;
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
export function breakHit(ctx: usize, pc: u64): bool {
  if ((load<u32>(ctx + CTX_DEBUG) & (DEBUG_BREAK | DEBUG_SUPPRESS)) != DEBUG_BREAK) return false;
  const n = breakCount();
  for (let i: u32 = 0; i < n; i++) if (breakVa(i) == pc) return true;
  return false;
}

/** Adds a watchpoint over [va, va+len). The caller flushes the context's TLB entries. */
export function hartWatchInsert(va: u64, len: u64, kind: u32): i32 {
  if (len == 0 || len > WATCH_LEN_MAX || kind < WATCH_WRITE || kind > WATCH_ACCESS || va + len < va) return HD_ERR_ARGS;
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

// @ts-ignore: decorator
@inline export function watchArmed(ctx: usize): bool {
  return (load<u32>(ctx + CTX_DEBUG) & (DEBUG_WATCH | DEBUG_SUPPRESS)) == DEBUG_WATCH;
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
  for (let i: u32 = 0; i < n; i++) {
    const kind = watchKind(i);
    const hitWrite = writes && (kind & WATCH_WRITE) != 0;
    const hitRead = reads && (kind & WATCH_READ) != 0;
    if (!hitWrite && !hitRead) continue;
    const w = watchVa(i);
    if (va >= w + watchLen(i) || w >= end) continue;
    store<u32>(HD_HIT_KIND, kind);
    raiseFault(TRAP_DEBUG_WATCH, va > w ? va : w);
    return true;
  }
  return false;
}
