// The user-mode RISC-V hart: RV64IMAC + Zicsr (user counters) + Zifencei,
// behind Sv48 translation, run in slices by the kernel. See docs/hart.md.
//
// API (stable; everything else in machine/ is internal):
//
//   hartSystemInit(arena, arenaBytes): i32   once per vCPU, before any hart
//       runs. `arena` is memory from the frame allocator (16-byte aligned)
//       for the TLB and the decoded-block cache; at least
//       hartArenaMinBytes() (about 0.7 MiB), HART_ARENA_RECOMMENDED (4 MiB)
//       is comfortable. Returns HART_OK or HART_ERR_ARENA.
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
//   hartGetPc / hartSetPc(ctx, pc)
//   hartGetCause(ctx): u32, hartGetTval(ctx): u64   of the last hartRun
//   hartGetInstret(ctx): u64                 instructions retired (exact)
//   hartSetTime(ctx, now, ticksPerInsnQ16)   anchors the time CSR (csr.ts)
//   hartDropReservation(ctx)                 on a context switch
//   tlbFlushAll(), tlbFlushAsid(asid), tlbFlushVa(asid, va)   after page-table changes
//   hartInvalidateCode(pa, len)              the kernel wrote [pa, pa+len) which may
//                                            hold decoded code (exec, copy-on-write)
//   hartFlushDecodeCache()                   drops every decoded block
//
// Per-vCPU: the TLB and the block cache (their addresses are cached in WASM
// globals by hartSystemInit). Machine-wide: the KSTATE_HART record below.

import { KSTATE_HART, CONTROL_BLOCK, CB_IRQ_PENDING } from "../lib/layout";
import { SATP_MODE_SHIFT, SATP_MODE_SV48, SATP_ASID_SHIFT, SATP_ASID_MASK, SATP_PPN_MASK } from "./sv48";
import {
  CTX_SIZE, CTX_PC, CTX_SATP, CTX_INSTRET, CTX_TIME_SCALE, CTX_ASID_KEY, CTX_ROOT, CTX_CAUSE, CTX_TVAL,
  CTX_MAGIC, CTX_MAGIC_VALUE, TIME_SCALE_ONE, ctxDropReservation,
} from "./context";
import { tlbAttach, tlbFetch, tlbHit, KEY_BARE, KEY_INVALID, TLB_BYTES } from "./tlb";
import {
  blockCacheAttach, blockCacheBytesNeeded, blockLookup, blockCacheFlushAll, blockInvalidateFrame,
  scratchBlock, BLOCK_HEADER, RECORD_SIZE,
} from "./blockcache";
import { decodeBlock, decodeHalves, putEnd, recPcOff, recLen } from "./decode";
import { execBlock } from "./execute";
import { mmuTranslate } from "./mmu";
import { setTime } from "./csr";
import { TRAP_BUDGET, TRAP_INTERRUPT, ACCESS_FETCH, faultCause, faultTval, clearFault } from "./trap";

export { tlbFlushAll, tlbFlushAsid, tlbFlushVa } from "./tlb";

export const HART_OK: i32 = 0;
export const HART_ERR_ARENA: i32 = -1;
export const HART_ERR_SATP_MODE: i32 = -2;
export const HART_ARENA_RECOMMENDED: usize = 4 << 20;

// KSTATE_HART record (machine-wide bookkeeping, one slot for the boot vCPU).
const HS_MAGIC: usize = 0;       // u32
const HS_ARENA: usize = 8;       // u64
const HS_ARENA_BYTES: usize = 16; // u64
const HS_MAGIC_VALUE: u32 = 0x48415254; // "HART"

export function hartArenaMinBytes(): usize {
  return TLB_BYTES + blockCacheBytesNeeded();
}

export function hartSystemInit(arena: usize, arenaBytes: usize): i32 {
  if ((arena & 15) != 0 || arena == 0 || arenaBytes < hartArenaMinBytes()) return HART_ERR_ARENA;
  if (<u64>arena + <u64>arenaBytes > (<u64>memory.size() << 16)) return HART_ERR_ARENA;
  tlbAttach(arena);
  if (!blockCacheAttach(arena + TLB_BYTES, arenaBytes - TLB_BYTES)) return HART_ERR_ARENA;
  store<u32>(KSTATE_HART + HS_MAGIC, HS_MAGIC_VALUE);
  store<u64>(KSTATE_HART + HS_ARENA, <u64>arena);
  store<u64>(KSTATE_HART + HS_ARENA_BYTES, <u64>arenaBytes);
  return HART_OK;
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
  if (((last - first) >> 12) >= 64) { blockCacheFlushAll(); return; }
  for (let frame = first; frame <= last; frame += 0x1000) blockInvalidateFrame(frame);
}

export function hartFlushDecodeCache(): void { blockCacheFlushAll(); }

/** Stops hartRun with a fault found before any instruction of a block ran. */
function fetchTrap(ctx: usize): u32 {
  store<u32>(ctx + CTX_CAUSE, faultCause);
  store<u64>(ctx + CTX_TVAL, faultTval);
  return faultCause;
}

/**
 * The block for a 32-bit instruction whose halves lie in two pages: both
 * halves are fetched through the MMU (a fault on the second reports its
 * address), decoded into the scratch block and never cached. 0 on a fault.
 */
function straddlingBlock(ctx: usize, pc: u64, host: usize, key: u32): usize {
  const upperVa = pc + 2;
  let upperHost = tlbHit(tlbFetch, upperVa, key, 2);
  if (upperHost == 0) {
    const frame = mmuTranslate(ctx, upperVa, ACCESS_FETCH);
    if (frame == 0) return 0;
    upperHost = frame;
  }
  const rec = scratchBlock + BLOCK_HEADER;
  decodeHalves(rec, <u32>load<u16>(host), <u32>load<u16>(upperHost), 0, 0);
  putEnd(rec + RECORD_SIZE, 4, 1);
  store<u32>(scratchBlock, 1);
  return scratchBlock;
}

/** A copy of the first `count` instructions of block, closed by an END record. */
function truncatedBlock(block: usize, count: u32): usize {
  memory.copy(scratchBlock, block, BLOCK_HEADER + <usize>count * RECORD_SIZE);
  const last = scratchBlock + BLOCK_HEADER + <usize>(count - 1) * RECORD_SIZE;
  putEnd(last + RECORD_SIZE, recPcOff(last) + recLen(last), count);
  store<u32>(scratchBlock, count);
  return scratchBlock;
}

export function hartRun(ctx: usize, budget: u32): u32 {
  const key = load<u32>(ctx + CTX_ASID_KEY);
  let remaining = budget;
  let cause: u32 = 0;
  let instret = load<u64>(ctx + CTX_INSTRET);
  // The frame of the previous block's page: within one hartRun the
  // translation cannot change, so a successor in the same virtual page
  // needs no TLB lookup.
  let lastPage: u64 = 1; // never a page address
  let lastFrame: usize = 0;
  while (true) {
    if (load<u32>(CONTROL_BLOCK + CB_IRQ_PENDING) != 0) { cause = TRAP_INTERRUPT; break; }
    if (remaining == 0) { cause = TRAP_BUDGET; break; }
    const pc = load<u64>(ctx + CTX_PC);
    let host: usize;
    if ((pc & ~<u64>0xFFF) == lastPage) {
      host = lastFrame + <usize>(<u32>pc & 0xFFF);
    } else {
      host = tlbHit(tlbFetch, pc, key, 2);
      if (host == 0) {
        clearFault();
        const frame = mmuTranslate(ctx, pc, ACCESS_FETCH);
        if (frame == 0) return endRun(ctx, fetchTrap(ctx));
        host = frame + <usize>(<u32>pc & 0xFFF);
      }
      lastPage = pc & ~<u64>0xFFF;
      lastFrame = host & ~<usize>0xFFF;
    }
    let block = blockLookup(host);
    if (block == 0) {
      if ((<u32>pc & 0xFFF) == 0xFFE && (load<u16>(host) & 3) == 3) {
        clearFault();
        block = straddlingBlock(ctx, pc, host, key);
        if (block == 0) return endRun(ctx, fetchTrap(ctx));
      } else {
        block = decodeBlock(host);
      }
    }
    let count = load<u32>(block);
    if (count > remaining) {
      block = truncatedBlock(block, remaining);
      count = remaining;
    }
    remaining -= count;
    instret += <u64>count;
    store<u64>(ctx + CTX_INSTRET, instret);
    cause = execBlock(ctx, block, pc, key);
    if (cause != 0) return endRun(ctx, cause);
  }
  store<u32>(ctx + CTX_CAUSE, cause);
  store<u64>(ctx + CTX_TVAL, 0);
  return endRun(ctx, cause);
}

// @ts-ignore: decorator
@inline function endRun(ctx: usize, cause: u32): u32 {
  ctxDropReservation(ctx);
  return cause;
}
