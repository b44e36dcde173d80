// The user-mode RISC-V hart: RV64IMAFDC (RV64GC) + Zicsr (user counters,
// fflags/frm/fcsr) + Zifencei,
// behind Sv48 translation, run in slices by the kernel. See docs/hart.md.
//
// API (stable; everything else in machine/ is internal):
//
//   hartSystemInit(arena, arenaBytes): i32   once per vCPU, before any hart
//       runs. `arena` is memory from the frame allocator (16-byte aligned)
//       for the TLB and the decoded-block cache; at least
//       hartArenaMinBytes() (about 0.7 MiB), HART_ARENA_RECOMMENDED (4 MiB)
//       is comfortable. Returns HART_OK or HART_ERR_ARENA.
//   hartResume(): i32                        after a snapshot restore (main.ts
//       resume), and on a vCPU's first run: re-attaches this vCPU to the
//       arena recorded for it in KSTATE_HART, with an empty TLB and block
//       cache. HART_OK also when no arena was ever set up (no user land).
//   hartAttached(): bool                     whether this instance has its arena
//   hartRecordArena(cpu, arena, bytes)       vCPU 0 records another vCPU's
//       arena, which that vCPU attaches on its first run
//   hartContextSize(): u32                   bytes of one hart context
//   hartInit(ctx)                            zeroes a context; it has no address
//                                            space until hartSetSatp
//   hartSetSatp(ctx, satp: u64): i32         root register: MODE 9 (Sv48) | ASID | PPN
//                                            (sv48.ts makeSatp). Nothing is flushed:
//                                            the TLB is tagged by ASID. Returns
//                                            HART_OK or HART_ERR_SATP_MODE.
//   hartSetBare(ctx)                         untranslated mode, for the bare runner only
//   hartRun(ctx, budget): u32                runs at most `budget` instructions and
//                                            returns the trap cause (trap.ts): a
//                                            privileged-spec exception code or
//                                            TRAP_BUDGET / TRAP_INTERRUPT. pc is left
//                                            at the trapping instruction (after an
//                                            ecall the kernel adds 4). Any return
//                                            drops the LR reservation.
//   hartGetReg / hartSetReg(ctx, i, v)       x0..x31 (writes to x0 are ignored)
//   hartGetFreg / hartSetFreg(ctx, i, v)     f0..f31, raw 64 bits (singles NaN-boxed)
//   hartGetFcsr / hartSetFcsr(ctx, v)        fcsr: fflags bits 4..0, frm bits 7..5
//   hartCopyFpState(from, to)                f registers and fcsr (fork)
//   hartClearFpState(ctx)                    f registers and fcsr to zero (exec)
//   hartGetPc / hartSetPc(ctx, pc)
//   hartGetCause(ctx): u32, hartGetTval(ctx): u64   of the last hartRun
//   hartGetInstret(ctx): u64                 instructions retired (exact)
//   hartSetTime(ctx, now, ticksPerInsnQ16)   anchors the time CSR (csr.ts)
//   hartDropReservation(ctx)                 on a context switch
//   tlbFlushAll(), tlbFlushAsid(asid), tlbFlushVa(asid, va)   after page-table changes
//                                            (on every vCPU: shootdown.ts)
//   hartInvalidateCode(pa, len)              the kernel wrote [pa, pa+len) which may
//                                            hold decoded code (exec, copy-on-write)
//   hartFlushDecodeCache()                   drops every decoded block
//   hartJitConfig(on, threshold), hartJitActive(), hartJitStat(i)
//                                            the JIT tier (jit.ts, docs/hart.md "JIT")
//   hartBreakInsert(va, pa) / hartBreakRemove(va), hartWatchInsert(va, len,
//   kind) / hartWatchRemove, hartSetDebugFlags(ctx, DEBUG_*), hartDebugReset()
//                                            breakpoints and watchpoints kept by the
//                                            hart for a debugged context (debug.ts);
//                                            they stop it with TRAP_DEBUG_BREAK /
//                                            TRAP_DEBUG_WATCH
//
// Per-vCPU: the TLB and the block cache (their addresses are cached in WASM
// globals by hartSystemInit). Machine-wide: the KSTATE_HART record below
// (one arena slot per vCPU, the debugger's tables, the shootdown log).

import { KSTATE_HART } from "../lib/layout";
import { SATP_MODE_SHIFT, SATP_MODE_SV48, SATP_ASID_SHIFT, SATP_ASID_MASK, SATP_PPN_MASK } from "./sv48";
import {
  CTX_SIZE, CTX_PC, CTX_SATP, CTX_INSTRET, CTX_TIME_SCALE, CTX_ASID_KEY, CTX_ROOT, CTX_CAUSE, CTX_TVAL,
  CTX_MAGIC, CTX_MAGIC_VALUE, TIME_SCALE_ONE, CTX_FREGS, CTX_FCSR, ctxDropReservation,
} from "./context";
import { tlbAttach, KEY_BARE, KEY_INVALID, TLB_BYTES, tlbFetch, tlbFlushAll as tlbFlushAllHere, tlbFlushAsid as tlbFlushAsidHere, tlbFlushVa as tlbFlushVaHere } from "./tlb";
import {
  shootdownPost, shootdownCatchUp, shootdownCaughtUp, shootdownSync, SD_ANY_ASID, SD_TLB_ALL, SD_TLB_ASID, SD_TLB_VA, SD_CODE_FRAME, SD_CODE_ALL,
} from "./shootdown";
import { cpuId, MAX_CPUS } from "../lib/cpu";
import { blockCacheAttach, blockCacheBytesNeeded, blockCacheFlushAll, blockInvalidateFrame } from "./blockcache";
import { execRun } from "./execute";
import {
  jitAttach, jitConfig, jitFp, JIT_BYTES, jitActive, jitUnitsCompiled, jitCompileFailures, jitUnitCalls, jitInsnsRetired, jitBytesEmitted, jitChainedCalls, jitDemoted, jitTrivial,
} from "./jit";
import { setTime } from "./csr";
import { TRAP_BUDGET } from "./trap";


/** Drops every cached translation, on every vCPU. */
export function tlbFlushAll(): void { tlbFlushAllHere(); shootdownPost(SD_TLB_ALL, 0, 0); shootdownSync(SD_ANY_ASID); }
/** Drops one address space's translations, on every vCPU. */
export function tlbFlushAsid(asid: u32): void { tlbFlushAsidHere(asid); shootdownPost(SD_TLB_ASID, asid, 0); shootdownSync(asid); }
/** Drops one virtual address's translations, on every vCPU. */
export function tlbFlushVa(asid: u32, va: u64): void { tlbFlushVaHere(asid, va); shootdownPost(SD_TLB_VA, asid, va); shootdownSync(asid); }
export {
  hartBreakInsert, hartBreakRemove, hartWatchInsert, hartWatchRemove, hartWatchCount, hartWatchHitKind,
  hartDebugReset, hartDebugFlags, hartSetDebugFlags, DEBUG_BREAK, DEBUG_WATCH, DEBUG_SUPPRESS,
  WATCH_WRITE, WATCH_READ, WATCH_ACCESS, HD_OK,
  hartNoteBreakInsert, hartNoteWatchInsert, hartNotesClear, hartNoteSeq, hartNoteKind, hartNoteAddr, hartNoteWatchKind,
  hartNoteInstret, hartWatchNoteOnly, NOTE_BREAK, NOTE_WATCH, WATCH_BY_KERNEL, watchKernelWrite, watchKernelRead, hartKernelHitKind,
  hartKernelHitAddr, hartKernelHitClear,
} from "./debug";

export const HART_OK: i32 = 0;
export const HART_ERR_ARENA: i32 = -1;
export const HART_ERR_SATP_MODE: i32 = -2;
export const HART_ARENA_RECOMMENDED: usize = 4 << 20;

// KSTATE_HART record (machine-wide bookkeeping): one HS_SLOT-byte slot per
// vCPU (vCPU 0's first) from 0; the debugger's tables at 0x400 (debug.ts);
// the shootdown log at 0xA00 (shootdown.ts).
const HS_SLOT: usize = 32;
const HS_MAGIC: usize = 0;       // u32
const HS_ARENA: usize = 8;       // u64
const HS_ARENA_BYTES: usize = 16; // u64
const HS_MAGIC_VALUE: u32 = 0x48415254; // "HART"

export function hartArenaMinBytes(): usize {
  return TLB_BYTES + JIT_BYTES + blockCacheBytesNeeded();
}

export function hartSystemInit(arena: usize, arenaBytes: usize): i32 {
  if ((arena & 15) != 0 || arena == 0 || arenaBytes < hartArenaMinBytes()) return HART_ERR_ARENA;
  if (<u64>arena + <u64>arenaBytes > (<u64>memory.size() << 16)) return HART_ERR_ARENA;
  tlbAttach(arena);
  jitAttach(arena + TLB_BYTES);
  if (!blockCacheAttach(arena + TLB_BYTES + JIT_BYTES, arenaBytes - TLB_BYTES - JIT_BYTES)) return HART_ERR_ARENA;
  shootdownCaughtUp();
  hartRecordArena(cpuId(), arena, arenaBytes);
  return HART_OK;
}

/** Records vCPU `cpu`'s arena (vCPU 0 allocates the others' at boot). */
export function hartRecordArena(cpu: u32, arena: usize, arenaBytes: usize): void {
  if (cpu >= MAX_CPUS) return;
  const s = KSTATE_HART + <usize>cpu * HS_SLOT;
  store<u32>(s + HS_MAGIC, HS_MAGIC_VALUE);
  store<u64>(s + HS_ARENA, <u64>arena);
  store<u64>(s + HS_ARENA_BYTES, <u64>arenaBytes);
}

/** At boot: no vCPU has an arena yet. */
export function hartForgetArenas(): void {
  for (let i: u32 = 0; i < MAX_CPUS; i++) store<u32>(KSTATE_HART + <usize>i * HS_SLOT + HS_MAGIC, 0);
}

/** Whether this instance's TLB and block cache are attached. */
export function hartAttached(): bool { return tlbFetch != 0; }

/**
 * The TLB and block-cache pointers are WASM globals, which a snapshot does
 * not carry: a restored machine runs on a fresh instance whose globals are
 * zero. RAM (and so this record and every hart context) came back intact;
 * attaching again rebuilds the pointers and empties both caches, which is
 * always correct because they only ever cache what RAM already says.
 */
export function hartResume(): i32 {
  const s = KSTATE_HART + <usize>cpuId() * HS_SLOT;
  if (load<u32>(s + HS_MAGIC) != HS_MAGIC_VALUE) return HART_OK;
  return hartSystemInit(<usize>load<u64>(s + HS_ARENA), <usize>load<u64>(s + HS_ARENA_BYTES));
}

export function hartContextSize(): u32 { return <u32>CTX_SIZE; }

export function hartInit(ctx: usize): void {
  memory.fill(ctx, 0, CTX_SIZE);
  store<u32>(ctx + CTX_ASID_KEY, KEY_INVALID);
  store<u32>(ctx + CTX_TIME_SCALE, TIME_SCALE_ONE);
  store<u32>(ctx + CTX_MAGIC, CTX_MAGIC_VALUE);
}

export function hartSetSatp(ctx: usize, satp: u64): i32 {
  if ((satp >> SATP_MODE_SHIFT) != SATP_MODE_SV48) return HART_ERR_SATP_MODE;
  store<u64>(ctx + CTX_SATP, satp);
  store<u32>(ctx + CTX_ASID_KEY, <u32>((satp >> SATP_ASID_SHIFT) & SATP_ASID_MASK));
  store<u64>(ctx + CTX_ROOT, (satp & SATP_PPN_MASK) << 12);
  ctxDropReservation(ctx);
  return HART_OK;
}

export function hartSetBare(ctx: usize): void {
  store<u64>(ctx + CTX_SATP, 0);
  store<u32>(ctx + CTX_ASID_KEY, KEY_BARE);
  store<u64>(ctx + CTX_ROOT, 0);
  ctxDropReservation(ctx);
}

export function hartGetSatp(ctx: usize): u64 { return load<u64>(ctx + CTX_SATP); }
export function hartGetReg(ctx: usize, index: u32): u64 { return index < 32 ? load<u64>(ctx + (<usize>index << 3)) : 0; }
export function hartSetReg(ctx: usize, index: u32, value: u64): void {
  if (index > 0 && index < 32) store<u64>(ctx + (<usize>index << 3), value);
}
export function hartGetFreg(ctx: usize, index: u32): u64 { return index < 32 ? load<u64>(ctx + CTX_FREGS + (<usize>index << 3)) : 0; }
export function hartSetFreg(ctx: usize, index: u32, value: u64): void {
  if (index < 32) store<u64>(ctx + CTX_FREGS + (<usize>index << 3), value);
}
const FCSR_BITS: u32 = 0xFF;
export function hartGetFcsr(ctx: usize): u32 { return load<u32>(ctx + CTX_FCSR); }
export function hartSetFcsr(ctx: usize, value: u32): void { store<u32>(ctx + CTX_FCSR, value & FCSR_BITS); }
/** The F/D state: f0..f31, then fcsr. */
const FP_STATE_BYTES: usize = CTX_FCSR + 4 - CTX_FREGS;
export function hartCopyFpState(from: usize, to: usize): void { memory.copy(to + CTX_FREGS, from + CTX_FREGS, FP_STATE_BYTES); }
export function hartClearFpState(ctx: usize): void { memory.fill(ctx + CTX_FREGS, 0, FP_STATE_BYTES); }
export function hartGetPc(ctx: usize): u64 { return load<u64>(ctx + CTX_PC); }
export function hartSetPc(ctx: usize, pc: u64): void { store<u64>(ctx + CTX_PC, pc); }
export function hartGetCause(ctx: usize): u32 { return load<u32>(ctx + CTX_CAUSE); }
export function hartGetTval(ctx: usize): u64 { return load<u64>(ctx + CTX_TVAL); }
export function hartGetInstret(ctx: usize): u64 { return load<u64>(ctx + CTX_INSTRET); }
export function hartSetTime(ctx: usize, now: u64, ticksPerInsnQ16: u32): void { setTime(ctx, now, ticksPerInsnQ16); }
export function hartDropReservation(ctx: usize): void { ctxDropReservation(ctx); }

export function hartInvalidateCode(pa: usize, len: usize): void {
  if (len == 0) return;
  const first = pa & ~<usize>0xFFF;
  const last = (pa + len - 1) & ~<usize>0xFFF;
  if (((last - first) >> 12) >= 64) { hartFlushDecodeCache(); return; }
  for (let frame = first; frame <= last; frame += 0x1000) {
    blockInvalidateFrame(frame);
    shootdownPost(SD_CODE_FRAME, 0, <u64>frame);
  }
}

export function hartFlushDecodeCache(): void { blockCacheFlushAll(); shootdownPost(SD_CODE_ALL, 0, 0); }

/**
 * The JIT (jit.ts): on or off, and how many runs make a block hot (1: every
 * block is compiled the first time it runs). Forgets every compiled unit.
 * It stays off when the host does not answer HV_JIT_COMPILE.
 */
export function hartJitConfig(enabled: bool, threshold: u32): void { jitConfig(enabled, threshold); }
export function hartJitActive(): bool { return jitActive; }
/** What compiled units call for F/D instructions (jit.ts jitFp); the host hands it to every unit it instantiates. */
export function hartJitFp(ctx: usize, rec: usize): u32 { return jitFp(ctx, rec); }
/** Instructions hartRun retired on this instance, compiled or not (the
 *  denominator of the JIT's share; a statistic, not machine state). */
let hartInsnsRetired: u64 = 0;

/** Statistics: 0 units compiled, 1 compile failures, 2 unit calls, 3
 *  instructions retired in units, 4 module bytes, 5 instructions hartRun
 *  retired in all (interpreted and compiled) since this instance started,
 *  6 unit calls chained from another unit (jit.ts jitProbe), 7 entries
 *  demoted to the interpreter for short calls (jit.ts SHORT_CALL), 8
 *  entries left to the interpreter because their unit would be one short
 *  block that does not loop (jit.ts compileUnit). */
export function hartJitStat(which: u32): u64 {
  if (which == 0) return <u64>jitUnitsCompiled;
  if (which == 1) return <u64>jitCompileFailures;
  if (which == 2) return jitUnitCalls;
  if (which == 3) return jitInsnsRetired;
  if (which == 5) return hartInsnsRetired;
  if (which == 6) return jitChainedCalls;
  if (which == 7) return <u64>jitDemoted;
  if (which == 8) return <u64>jitTrivial;
  return jitBytesEmitted;
}

/**
 * Longest run of the executor between returns to hartRun. The engine
 * (V8 at least) swaps in optimised code for a function only when it is
 * next called, so a long slice must not be one call: the first one would
 * run entirely in the baseline tier.
 */
const RUN_CHUNK: u32 = 1 << 20;

export function hartRun(ctx: usize, budget: u32): u32 {
  shootdownCatchUp();
  const instret0 = load<u64>(ctx + CTX_INSTRET);
  let cause: u32;
  while (true) {
    const chunk = budget < RUN_CHUNK ? budget : RUN_CHUNK;
    cause = execRun(ctx, chunk);
    budget -= chunk;
    if (cause != TRAP_BUDGET || budget == 0) break;
  }
  hartInsnsRetired += load<u64>(ctx + CTX_INSTRET) - instret0;
  ctxDropReservation(ctx);
  return cause;
}
