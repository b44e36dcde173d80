// The executor: runs a hart from block to block (decode.ts, blockcache.ts)
// until a trap, the budget or an interrupt stops it. One `switch` over the
// op of each 16-byte record; register operands are byte offsets into the
// context, so an operand is one load. Loads and stores try the TLB inline
// (tlbHit) and call the MMU's slow paths only on a miss, a page-crossing
// access, or a store into a frame holding decoded code.
//
// Between blocks: a pending interrupt stops the run; a chained successor
// (blockcache.ts) that fits the budget runs at once; anything else goes
// through fetch.ts (translation, table lookup, decoding), and the link is
// recorded when the successor is in the same virtual page.
//
// Accounting: a block's instructions are charged to the budget when it
// starts; instret is instret-at-entry + charged, written back on return. A
// trap at record r gives back the count of r and the records after it, so
// instret stays exact; counters read mid-block subtract the records not yet
// retired. On a trap pc is the trapping instruction and none of its state
// is committed.

import { shootdownPost, SD_CODE_ALL } from "./shootdown";
import { irqWord } from "../lib/cpu";
import {
  CTX_PC, CTX_INSTRET, CTX_CAUSE, CTX_TVAL, CTX_ASID_KEY, CTX_RES_ADDR, CTX_RES_VALUE, CTX_RES_VALID,
} from "./context";
import { tlbLoad, tlbStore, tlbHit, tlbEntry, tlbTag, tlbHost } from "./tlb";
import { loadSlow, storeSlow, loadFrame, storeFrame } from "./mmu";
import {
  blockCacheFlushAll, cacheFlushes, codeDropped, clearCodeDropped, scratchBlock, unlinked, linkWritable,
  BLOCK_HEADER, BLOCK_LINK_TAKEN, BLOCK_LINK_FALL, RECORD_SIZE,
} from "./blockcache";
import { blockAt, truncatedBlock, fetchReset } from "./fetch";
import { timeAt } from "./csr";
import {
  faultCause, faultTval, clearFault, raiseFault, CAUSE_ILLEGAL_INSTRUCTION, CAUSE_BREAKPOINT, CAUSE_ECALL_U,
  CAUSE_MISALIGNED_LOAD, CAUSE_MISALIGNED_STORE, TRAP_BUDGET, TRAP_INTERRUPT, MISS_FAULT, MISS_CODE_DROPPED,
  TRAP_DEBUG_BREAK,
} from "./trap";
import { breakHit, watchArmed, watchCheck, BREAK_BLOCK, breakBlockCount } from "./debug";
import * as D from "./decode";
import { mulhu } from "./arith";
import { fpExec } from "./fpexec";
import { jitActive, jitProbe } from "./jit";

// @ts-ignore: decorator
@inline function vs1(ctx: usize, rec: usize): u64 { return load<u64>(ctx + <usize>load<u16>(rec, 4)); }
// @ts-ignore: decorator
@inline function vs2(ctx: usize, rec: usize): u64 { return load<u64>(ctx + <usize>load<u16>(rec, 6)); }
// @ts-ignore: decorator
@inline function setRd(ctx: usize, rec: usize, value: u64): void { store<u64>(ctx + <usize>load<u16>(rec, 2), value); }
// @ts-ignore: decorator
@inline function imm(rec: usize): u64 { return <u64><i64>load<i32>(rec, 8); }
// @ts-ignore: decorator
@inline function sext32(value: u64): u64 { return <u64><i64><i32>value; }
// @ts-ignore: decorator
@inline function nextPc(rec: usize, pc0: u64): u64 { return pc0 + <u64>(<u32>load<u16>(rec, 12) + <u32>load<u8>(rec, 1)); }

/** A link field that is never made: the exit of jalr, fence.i, a store into code. */
// @ts-ignore: decorator
@inline function noLink(): usize { return unlinked + BLOCK_LINK_TAKEN; }

/** Instructions retired before record rec of the block, given those charged so far. */
// @ts-ignore: decorator
@inline function retiredAt(charged: u64, block: usize, rec: usize): u64 {
  return charged - <u64>(load<u32>(block) - <u32>load<u16>(rec, 14));
}

/** Stops the run at rec with a trap; nothing of rec is committed. */
function trapAt(ctx: usize, block: usize, rec: usize, pc0: u64, cause: u32, tval: u64, charged: u64): u32 {
  store<u64>(ctx + CTX_PC, pc0 + <u64>load<u16>(rec, 12));
  store<u64>(ctx + CTX_INSTRET, retiredAt(charged, block, rec));
  store<u32>(ctx + CTX_CAUSE, cause);
  store<u64>(ctx + CTX_TVAL, tval);
  return cause;
}

/** Stops the run between blocks, at pc, with cause and tval. */
function stopAt(ctx: usize, pc: u64, cause: u32, tval: u64, charged: u64): u32 {
  store<u64>(ctx + CTX_PC, pc);
  store<u64>(ctx + CTX_INSTRET, charged);
  store<u32>(ctx + CTX_CAUSE, cause);
  store<u64>(ctx + CTX_TVAL, tval);
  return cause;
}

// @ts-ignore: decorator
@inline function mulh(a: u64, b: u64): u64 {
  return mulhu(a, b) - (<i64>a < 0 ? b : 0) - (<i64>b < 0 ? a : 0);
}
// @ts-ignore: decorator
@inline function mulhsu(a: u64, b: u64): u64 {
  return mulhu(a, b) - (<i64>a < 0 ? b : 0);
}
// Division by zero gives all ones (quotient) / the dividend (remainder);
// the one signed overflow gives the dividend / 0. WASM would trap on both.
// @ts-ignore: decorator
@inline function div64(a: u64, b: u64): u64 {
  if (b == 0) return 0xFFFF_FFFF_FFFF_FFFF;
  if (<i64>b == -1) return <u64>(0 - <i64>a); // also the overflow case: -MIN == MIN
  return <u64>(<i64>a / <i64>b);
}
// @ts-ignore: decorator
@inline function rem64(a: u64, b: u64): u64 {
  if (b == 0) return a;
  if (<i64>b == -1) return 0;
  return <u64>(<i64>a % <i64>b);
}
// @ts-ignore: decorator
@inline function div32(a: u64, b: u64): u64 {
  const x = <i32>a, y = <i32>b;
  if (y == 0) return 0xFFFF_FFFF_FFFF_FFFF;
  // Contextual typing would widen `0 - x` to i64; negate in 32 bits.
  const q: i32 = y == -1 ? 0 - x : x / y;
  return <u64><i64>q;
}
// @ts-ignore: decorator
@inline function rem32(a: u64, b: u64): u64 {
  const x = <i32>a, y = <i32>b;
  if (y == 0) return <u64><i64>x;
  if (y == -1) return 0;
  const r: i32 = x % y;
  return <u64><i64>r;
}


// The executor's slow paths take the record and hand it back, tagged with
// what happened (MISS_*), so that the record pointer is never live across a
// call in the dispatch loop (an engine would keep it on the stack).

/** A load that missed the TLB fast path: sets rd (sign-extended if `signed`). */
function loadMiss(ctx: usize, rec: usize, va: u64, size: u32, signed: bool): usize {
  let v = loadSlow(ctx, va, size);
  if (faultCause != 0) return rec | MISS_FAULT;
  if (signed) {
    if (size == 1) v = <u64><i64><i8>v;
    else if (size == 2) v = <u64><i64><i16>v;
    else if (size == 4) v = sext32(v);
  }
  setRd(ctx, rec, v);
  return rec;
}

/** A store that missed the TLB fast path. */
function storeMiss(ctx: usize, rec: usize, va: u64, size: u32): usize {
  clearCodeDropped();
  if (!storeSlow(ctx, va, size, vs2(ctx, rec))) return rec | MISS_FAULT;
  return codeDropped ? rec | MISS_CODE_DROPPED : rec;
}

/**
 * LR, SC and the AMOs (all of them take this path): rec, tagged MISS_FAULT
 * with the fault raised, or MISS_CODE_DROPPED (see the MISS_* flags).
 */
function atomicAccess(ctx: usize, rec: usize, key: u32): usize {
  clearFault();
  clearCodeDropped();
  const op = load<u8>(rec);
  const va = vs1(ctx, rec);
  const src = vs2(ctx, rec);
  const wide = op == D.OP_LR_D || op == D.OP_SC_D || op >= D.OP_AMO_D;
  const size: u32 = wide ? 8 : 4;
  if (op == D.OP_LR_W || op == D.OP_LR_D) {
    if ((<u32>va & (size - 1)) != 0) { raiseFault(CAUSE_MISALIGNED_LOAD, va); return rec | MISS_FAULT; }
    let h = tlbHit(tlbLoad, va, key, size);
    if (h == 0) {
      const frame = loadFrame(ctx, va);
      if (frame == 0) return rec | MISS_FAULT;
      if (watchArmed(ctx) && watchCheck(va, size, true, false)) return rec | MISS_FAULT;
      h = frame + <usize>(<u32>va & 0xFFF);
    }
    const value = wide ? load<u64>(h) : sext32(<u64>load<u32>(h));
    store<u64>(ctx + CTX_RES_ADDR, va);
    store<u64>(ctx + CTX_RES_VALUE, value);
    store<u32>(ctx + CTX_RES_VALID, 1);
    setRd(ctx, rec, value);
    return rec;
  }
  if ((<u32>va & (size - 1)) != 0) { raiseFault(CAUSE_MISALIGNED_STORE, va); return rec | MISS_FAULT; }
  if ((op == D.OP_SC_W || op == D.OP_SC_D)) {
    // SC succeeds only on the reserved address, and (as QEMU does) only if
    // memory still holds the value LR read; a failed SC touches no memory.
    const held = load<u32>(ctx + CTX_RES_VALID) != 0 && load<u64>(ctx + CTX_RES_ADDR) == va;
    if (!held) {
      store<u32>(ctx + CTX_RES_VALID, 0);
      setRd(ctx, rec, 1);
      return rec;
    }
  }
  let h = tlbHit(tlbStore, va, key, size);
  if (h == 0) {
    const frame = storeFrame(ctx, va);
    if (frame == 0) return rec | MISS_FAULT;
    if (watchArmed(ctx) && watchCheck(va, size, true, true)) return rec | MISS_FAULT;
    h = frame + <usize>(<u32>va & 0xFFF);
  }
  // The memory side is one wasm atomic (a compare-and-swap): on truly
  // parallel vCPUs another hart may write the word between our read and
  // our write (docs/architecture.md "Parallel vCPUs").
  if (op == D.OP_SC_W || op == D.OP_SC_D) {
    const expected = load<u64>(ctx + CTX_RES_VALUE);
    store<u32>(ctx + CTX_RES_VALID, 0);
    const ok = wide
      ? atomic.cmpxchg<u64>(h, expected, src) == expected
      : atomic.cmpxchg<u32>(h, <u32>expected, <u32>src) == <u32>expected;
    setRd(ctx, rec, ok ? 0 : 1);
    return codeDropped ? rec | MISS_CODE_DROPPED : rec;
  }
  const kind = op - (wide ? D.OP_AMO_D : D.OP_AMO_W);
  let old: u64;
  for (;;) {
    old = wide ? atomic.load<u64>(h) : sext32(<u64>atomic.load<u32>(h));
    const result = amoResult(kind, wide, old, src);
    if (wide ? atomic.cmpxchg<u64>(h, old, result) == old : atomic.cmpxchg<u32>(h, <u32>old, <u32>result) == <u32>old) break;
  }
  setRd(ctx, rec, old);
  return codeDropped ? rec | MISS_CODE_DROPPED : rec;
}

/** What AMO `kind` writes, given the word's old value and rs2. */
function amoResult(kind: u32, wide: bool, old: u64, src: u64): u64 {
  let result: u64 = src;
  switch (kind) {
    case D.AMO_SWAP: result = src; break;
    case D.AMO_ADD: result = old + src; break;
    case D.AMO_XOR: result = old ^ src; break;
    case D.AMO_AND: result = old & src; break;
    case D.AMO_OR: result = old | src; break;
    case D.AMO_MIN:
      result = wide ? (<i64>old < <i64>src ? old : src) : (<i32>old < <i32>src ? old : src); break;
    case D.AMO_MAX:
      result = wide ? (<i64>old > <i64>src ? old : src) : (<i32>old > <i32>src ? old : src); break;
    case D.AMO_MINU:
      result = wide ? (old < src ? old : src) : (<u32>old < <u32>src ? old : src); break;
    default: // AMO_MAXU
      result = wide ? (old > src ? old : src) : (<u32>old > <u32>src ? old : src); break;
  }
  return result;
}

// Instructions charged by the running execRun are runEnd - remaining, where
// runEnd = instret at entry + budget (per-vCPU scratch, kept out of the
// executor's locals, which are scarce registers).
let runEnd: u64 = 0;

// @ts-ignore: decorator
@inline function chargedOf(remaining: u32): u64 { return runEnd - <u64>remaining; }

/**
 * The successor when its link is not made, or does not fit the budget: the
 * budget stop, the fetch through fetch.ts (and the link, when the successor
 * is in the block's virtual page), a truncated copy when the block is longer
 * than the budget left. 0 when the run stops there (the cause is in ctx).
 */
function successorSlow(ctx: usize, next: u64, link: usize, pc0: u64, key: u32, remaining: u32): usize {
  if (remaining == 0) { stopAt(ctx, next, TRAP_BUDGET, 0, chargedOf(remaining)); return 0; }
  const flushes = cacheFlushes;
  let succ = blockAt(ctx, next, key);
  if (succ == 0) { stopAt(ctx, next, faultCause, faultTval, chargedOf(remaining)); return 0; }
  if (flushes == cacheFlushes && ((next ^ pc0) & ~<u64>0xFFF) == 0 && linkWritable(link) && succ != scratchBlock) {
    store<u32>(link, <u32>succ);
  }
  if (load<u32>(succ) == BREAK_BLOCK) {
    // A block starting at a breakpoint (debug.ts): every way in comes here.
    if (breakHit(ctx, next, chargedOf(remaining))) { stopAt(ctx, next, TRAP_DEBUG_BREAK, next, chargedOf(remaining)); return 0; }
    const count = breakBlockCount(succ);
    return truncatedBlock(succ, count < remaining ? count : remaining);
  }
  if (load<u32>(succ) > remaining) succ = truncatedBlock(succ, remaining);
  return succ;
}

/**
 * Runs the hart of ctx for at most `budget` instructions; returns the cause
 * (trap.ts) with pc, instret, cause and tval stored in the context. The
 * budget must stay below the sentinel's count, 0xFFFF_FFFF (hartRun passes
 * at most RUN_CHUNK).
 */
export function execRun(ctx: usize, budget: u32): u32 {
  const key = load<u32>(ctx + CTX_ASID_KEY);
  runEnd = load<u64>(ctx + CTX_INSTRET) + <u64>budget;
  let remaining = budget;
  // The successor's pc and the header field that links to it.
  let next = load<u64>(ctx + CTX_PC);
  let link: usize = unlinked + BLOCK_LINK_TAKEN;
  let pc0: u64 = 0;
  let block: usize = 0;
  let rec: usize = 0;
  fetchReset();
  while (true) {
    if (load<u32>(irqWord) != 0) {
      return stopAt(ctx, next, TRAP_INTERRUPT, 0, chargedOf(remaining));
    }
    block = <usize>load<u32>(link);
    if (load<u32>(block) > remaining) {
      block = successorSlow(ctx, next, link, pc0, key, remaining);
      if (block == 0) return load<u32>(ctx + CTX_CAUSE);
    }
    if (jitActive) {
      // A compiled unit runs from here (jit.ts) and leaves pc in the context.
      const r = jitProbe(ctx, block, next, remaining);
      if (r != 0) {
        remaining = r >> 2;
        next = load<u64>(ctx + CTX_PC);
        link = noLink();
        continue;
      }
    }
    remaining -= load<u32>(block);
    pc0 = next;
    rec = block + BLOCK_HEADER - RECORD_SIZE;
    // Runs the block's records: ops that do not end the block `continue`;
    // those that do set next and link and `break`; traps return.
    while (true) {
      rec += RECORD_SIZE;
      switch (load<u8>(rec)) {
        case D.OP_END:
          next = pc0 + <u64>load<u16>(rec, 12);
          link = block + BLOCK_LINK_FALL;
          break;
        case D.OP_ILLEGAL:
          return trapAt(ctx, block, rec, pc0, CAUSE_ILLEGAL_INSTRUCTION, <u64>load<u32>(rec, 8), chargedOf(remaining));
        case D.OP_ECALL:
          return trapAt(ctx, block, rec, pc0, CAUSE_ECALL_U, 0, chargedOf(remaining));
        case D.OP_EBREAK:
          return trapAt(ctx, block, rec, pc0, CAUSE_BREAKPOINT, pc0 + <u64>load<u16>(rec, 12), chargedOf(remaining));
        case D.OP_FENCE: continue;
        case D.OP_FENCE_I:
          // Stores already drop the blocks of the frames they write; fence.i
          // also covers code the kernel or a device wrote without telling us.
          // The block just run is freed: nothing may link from it.
          next = nextPc(rec, pc0);
          link = noLink();
          blockCacheFlushAll();
          shootdownPost(SD_CODE_ALL, 0, 0);
          break;
        case D.OP_RDCYCLE:
        case D.OP_RDINSTRET:
          setRd(ctx, rec, retiredAt(chargedOf(remaining), block, rec)); continue;
        case D.OP_RDTIME:
          setRd(ctx, rec, timeAt(ctx, retiredAt(chargedOf(remaining), block, rec))); continue;
        case D.OP_LUI: setRd(ctx, rec, imm(rec)); continue;
        case D.OP_AUIPC: setRd(ctx, rec, pc0 + imm(rec)); continue;
        case D.OP_JAL:
          setRd(ctx, rec, nextPc(rec, pc0));
          next = pc0 + imm(rec);
          link = block + BLOCK_LINK_TAKEN;
          break;
        case D.OP_JALR: {
          const target = (vs1(ctx, rec) + imm(rec)) & ~<u64>1;
          setRd(ctx, rec, nextPc(rec, pc0));
          next = target;
          link = noLink();
          break;
        }
        case D.OP_BEQ:
          if (vs1(ctx, rec) == vs2(ctx, rec)) { next = pc0 + imm(rec); link = block + BLOCK_LINK_TAKEN; }
          else { next = nextPc(rec, pc0); link = block + BLOCK_LINK_FALL; }
          break;
        case D.OP_BNE:
          if (vs1(ctx, rec) != vs2(ctx, rec)) { next = pc0 + imm(rec); link = block + BLOCK_LINK_TAKEN; }
          else { next = nextPc(rec, pc0); link = block + BLOCK_LINK_FALL; }
          break;
        case D.OP_BLT:
          if (<i64>vs1(ctx, rec) < <i64>vs2(ctx, rec)) { next = pc0 + imm(rec); link = block + BLOCK_LINK_TAKEN; }
          else { next = nextPc(rec, pc0); link = block + BLOCK_LINK_FALL; }
          break;
        case D.OP_BGE:
          if (<i64>vs1(ctx, rec) >= <i64>vs2(ctx, rec)) { next = pc0 + imm(rec); link = block + BLOCK_LINK_TAKEN; }
          else { next = nextPc(rec, pc0); link = block + BLOCK_LINK_FALL; }
          break;
        case D.OP_BLTU:
          if (vs1(ctx, rec) < vs2(ctx, rec)) { next = pc0 + imm(rec); link = block + BLOCK_LINK_TAKEN; }
          else { next = nextPc(rec, pc0); link = block + BLOCK_LINK_FALL; }
          break;
        case D.OP_BGEU:
          if (vs1(ctx, rec) >= vs2(ctx, rec)) { next = pc0 + imm(rec); link = block + BLOCK_LINK_TAKEN; }
          else { next = nextPc(rec, pc0); link = block + BLOCK_LINK_FALL; }
          break;

        case D.OP_LB: {
          const va = vs1(ctx, rec) + imm(rec);
          const e = tlbEntry(tlbLoad, va);
          if (load<u64>(e) == tlbTag(va, 1)) {
            if (load<u32>(e, 8) == key) { setRd(ctx, rec, <u64><i64>load<i8>(tlbHost(e, va))); continue; }
          }
          rec = loadMiss(ctx, rec, va, 1, true);
          if ((rec & MISS_FAULT) == 0) continue;
          rec &= ~MISS_FAULT;
          return trapAt(ctx, block, rec, pc0, faultCause, faultTval, chargedOf(remaining));
        }
        case D.OP_LH: {
          const va = vs1(ctx, rec) + imm(rec);
          const e = tlbEntry(tlbLoad, va);
          if (load<u64>(e) == tlbTag(va, 2)) {
            if (load<u32>(e, 8) == key) { setRd(ctx, rec, <u64><i64>load<i16>(tlbHost(e, va))); continue; }
          }
          rec = loadMiss(ctx, rec, va, 2, true);
          if ((rec & MISS_FAULT) == 0) continue;
          rec &= ~MISS_FAULT;
          return trapAt(ctx, block, rec, pc0, faultCause, faultTval, chargedOf(remaining));
        }
        case D.OP_LW: {
          const va = vs1(ctx, rec) + imm(rec);
          const e = tlbEntry(tlbLoad, va);
          if (load<u64>(e) == tlbTag(va, 4)) {
            if (load<u32>(e, 8) == key) { setRd(ctx, rec, <u64><i64>load<i32>(tlbHost(e, va))); continue; }
          }
          rec = loadMiss(ctx, rec, va, 4, true);
          if ((rec & MISS_FAULT) == 0) continue;
          rec &= ~MISS_FAULT;
          return trapAt(ctx, block, rec, pc0, faultCause, faultTval, chargedOf(remaining));
        }
        case D.OP_LD: {
          const va = vs1(ctx, rec) + imm(rec);
          const e = tlbEntry(tlbLoad, va);
          if (load<u64>(e) == tlbTag(va, 8)) {
            if (load<u32>(e, 8) == key) { setRd(ctx, rec, load<u64>(tlbHost(e, va))); continue; }
          }
          rec = loadMiss(ctx, rec, va, 8, false);
          if ((rec & MISS_FAULT) == 0) continue;
          rec &= ~MISS_FAULT;
          return trapAt(ctx, block, rec, pc0, faultCause, faultTval, chargedOf(remaining));
        }
        case D.OP_LBU: {
          const va = vs1(ctx, rec) + imm(rec);
          const e = tlbEntry(tlbLoad, va);
          if (load<u64>(e) == tlbTag(va, 1)) {
            if (load<u32>(e, 8) == key) { setRd(ctx, rec, <u64>load<u8>(tlbHost(e, va))); continue; }
          }
          rec = loadMiss(ctx, rec, va, 1, false);
          if ((rec & MISS_FAULT) == 0) continue;
          rec &= ~MISS_FAULT;
          return trapAt(ctx, block, rec, pc0, faultCause, faultTval, chargedOf(remaining));
        }
        case D.OP_LHU: {
          const va = vs1(ctx, rec) + imm(rec);
          const e = tlbEntry(tlbLoad, va);
          if (load<u64>(e) == tlbTag(va, 2)) {
            if (load<u32>(e, 8) == key) { setRd(ctx, rec, <u64>load<u16>(tlbHost(e, va))); continue; }
          }
          rec = loadMiss(ctx, rec, va, 2, false);
          if ((rec & MISS_FAULT) == 0) continue;
          rec &= ~MISS_FAULT;
          return trapAt(ctx, block, rec, pc0, faultCause, faultTval, chargedOf(remaining));
        }
        case D.OP_LWU: {
          const va = vs1(ctx, rec) + imm(rec);
          const e = tlbEntry(tlbLoad, va);
          if (load<u64>(e) == tlbTag(va, 4)) {
            if (load<u32>(e, 8) == key) { setRd(ctx, rec, <u64>load<u32>(tlbHost(e, va))); continue; }
          }
          rec = loadMiss(ctx, rec, va, 4, false);
          if ((rec & MISS_FAULT) == 0) continue;
          rec &= ~MISS_FAULT;
          return trapAt(ctx, block, rec, pc0, faultCause, faultTval, chargedOf(remaining));
        }
        // A store that misses goes to storeMiss; if it wrote into a frame
        // holding decoded code (codeDropped), the block ends after it,
        // unchained: it may be one of the blocks just dropped.
        case D.OP_SB: {
          const va = vs1(ctx, rec) + imm(rec);
          const e = tlbEntry(tlbStore, va);
          if (load<u64>(e) == tlbTag(va, 1)) {
            if (load<u32>(e, 8) == key) { store<u8>(tlbHost(e, va), <u8>vs2(ctx, rec)); continue; }
          }
          rec = storeMiss(ctx, rec, va, 1);
          if ((rec & (MISS_FAULT | MISS_CODE_DROPPED)) == 0) continue;
          if ((rec & MISS_FAULT) != 0) {
            rec &= ~MISS_FAULT;
            return trapAt(ctx, block, rec, pc0, faultCause, faultTval, chargedOf(remaining));
          }
          rec &= ~MISS_CODE_DROPPED;
          remaining += load<u32>(block) - <u32>load<u16>(rec, 14) - 1;
          next = nextPc(rec, pc0); link = noLink();
          break;
        }
        case D.OP_SH: {
          const va = vs1(ctx, rec) + imm(rec);
          const e = tlbEntry(tlbStore, va);
          if (load<u64>(e) == tlbTag(va, 2)) {
            if (load<u32>(e, 8) == key) { store<u16>(tlbHost(e, va), <u16>vs2(ctx, rec)); continue; }
          }
          rec = storeMiss(ctx, rec, va, 2);
          if ((rec & (MISS_FAULT | MISS_CODE_DROPPED)) == 0) continue;
          if ((rec & MISS_FAULT) != 0) {
            rec &= ~MISS_FAULT;
            return trapAt(ctx, block, rec, pc0, faultCause, faultTval, chargedOf(remaining));
          }
          rec &= ~MISS_CODE_DROPPED;
          remaining += load<u32>(block) - <u32>load<u16>(rec, 14) - 1;
          next = nextPc(rec, pc0); link = noLink();
          break;
        }
        case D.OP_SW: {
          const va = vs1(ctx, rec) + imm(rec);
          const e = tlbEntry(tlbStore, va);
          if (load<u64>(e) == tlbTag(va, 4)) {
            if (load<u32>(e, 8) == key) { store<u32>(tlbHost(e, va), <u32>vs2(ctx, rec)); continue; }
          }
          rec = storeMiss(ctx, rec, va, 4);
          if ((rec & (MISS_FAULT | MISS_CODE_DROPPED)) == 0) continue;
          if ((rec & MISS_FAULT) != 0) {
            rec &= ~MISS_FAULT;
            return trapAt(ctx, block, rec, pc0, faultCause, faultTval, chargedOf(remaining));
          }
          rec &= ~MISS_CODE_DROPPED;
          remaining += load<u32>(block) - <u32>load<u16>(rec, 14) - 1;
          next = nextPc(rec, pc0); link = noLink();
          break;
        }
        case D.OP_SD: {
          const va = vs1(ctx, rec) + imm(rec);
          const e = tlbEntry(tlbStore, va);
          if (load<u64>(e) == tlbTag(va, 8)) {
            if (load<u32>(e, 8) == key) { store<u64>(tlbHost(e, va), vs2(ctx, rec)); continue; }
          }
          rec = storeMiss(ctx, rec, va, 8);
          if ((rec & (MISS_FAULT | MISS_CODE_DROPPED)) == 0) continue;
          if ((rec & MISS_FAULT) != 0) {
            rec &= ~MISS_FAULT;
            return trapAt(ctx, block, rec, pc0, faultCause, faultTval, chargedOf(remaining));
          }
          rec &= ~MISS_CODE_DROPPED;
          remaining += load<u32>(block) - <u32>load<u16>(rec, 14) - 1;
          next = nextPc(rec, pc0); link = noLink();
          break;
        }

        case D.OP_ADDI: setRd(ctx, rec, vs1(ctx, rec) + imm(rec)); continue;
        case D.OP_SLTI: setRd(ctx, rec, <i64>vs1(ctx, rec) < <i64>imm(rec) ? 1 : 0); continue;
        case D.OP_SLTIU: setRd(ctx, rec, vs1(ctx, rec) < imm(rec) ? 1 : 0); continue;
        case D.OP_XORI: setRd(ctx, rec, vs1(ctx, rec) ^ imm(rec)); continue;
        case D.OP_ORI: setRd(ctx, rec, vs1(ctx, rec) | imm(rec)); continue;
        case D.OP_ANDI: setRd(ctx, rec, vs1(ctx, rec) & imm(rec)); continue;
        case D.OP_SLLI: setRd(ctx, rec, vs1(ctx, rec) << imm(rec)); continue;
        case D.OP_SRLI: setRd(ctx, rec, vs1(ctx, rec) >> imm(rec)); continue;
        case D.OP_SRAI: setRd(ctx, rec, <u64>(<i64>vs1(ctx, rec) >> <i64>imm(rec))); continue;
        case D.OP_ADDIW: setRd(ctx, rec, sext32(vs1(ctx, rec) + imm(rec))); continue;
        case D.OP_SLLIW: setRd(ctx, rec, sext32(<u64>(<u32>vs1(ctx, rec) << <u32>imm(rec)))); continue;
        case D.OP_SRLIW: setRd(ctx, rec, sext32(<u64>(<u32>vs1(ctx, rec) >> <u32>imm(rec)))); continue;
        case D.OP_SRAIW: setRd(ctx, rec, <u64><i64>(<i32>vs1(ctx, rec) >> <i32>imm(rec))); continue;

        case D.OP_ADD: setRd(ctx, rec, vs1(ctx, rec) + vs2(ctx, rec)); continue;
        case D.OP_SUB: setRd(ctx, rec, vs1(ctx, rec) - vs2(ctx, rec)); continue;
        case D.OP_SLL: setRd(ctx, rec, vs1(ctx, rec) << (vs2(ctx, rec) & 63)); continue;
        case D.OP_SLT: setRd(ctx, rec, <i64>vs1(ctx, rec) < <i64>vs2(ctx, rec) ? 1 : 0); continue;
        case D.OP_SLTU: setRd(ctx, rec, vs1(ctx, rec) < vs2(ctx, rec) ? 1 : 0); continue;
        case D.OP_XOR: setRd(ctx, rec, vs1(ctx, rec) ^ vs2(ctx, rec)); continue;
        case D.OP_SRL: setRd(ctx, rec, vs1(ctx, rec) >> (vs2(ctx, rec) & 63)); continue;
        case D.OP_SRA: setRd(ctx, rec, <u64>(<i64>vs1(ctx, rec) >> <i64>(vs2(ctx, rec) & 63))); continue;
        case D.OP_OR: setRd(ctx, rec, vs1(ctx, rec) | vs2(ctx, rec)); continue;
        case D.OP_AND: setRd(ctx, rec, vs1(ctx, rec) & vs2(ctx, rec)); continue;
        case D.OP_ADDW: setRd(ctx, rec, sext32(vs1(ctx, rec) + vs2(ctx, rec))); continue;
        case D.OP_SUBW: setRd(ctx, rec, sext32(vs1(ctx, rec) - vs2(ctx, rec))); continue;
        case D.OP_SLLW: setRd(ctx, rec, sext32(<u64>(<u32>vs1(ctx, rec) << (<u32>vs2(ctx, rec) & 31)))); continue;
        case D.OP_SRLW: setRd(ctx, rec, sext32(<u64>(<u32>vs1(ctx, rec) >> (<u32>vs2(ctx, rec) & 31)))); continue;
        case D.OP_SRAW: setRd(ctx, rec, <u64><i64>(<i32>vs1(ctx, rec) >> (<i32>vs2(ctx, rec) & 31))); continue;

        case D.OP_MUL: setRd(ctx, rec, vs1(ctx, rec) * vs2(ctx, rec)); continue;
        case D.OP_MULH: setRd(ctx, rec, mulh(vs1(ctx, rec), vs2(ctx, rec))); continue;
        case D.OP_MULHSU: setRd(ctx, rec, mulhsu(vs1(ctx, rec), vs2(ctx, rec))); continue;
        case D.OP_MULHU: setRd(ctx, rec, mulhu(vs1(ctx, rec), vs2(ctx, rec))); continue;
        case D.OP_DIV: setRd(ctx, rec, div64(vs1(ctx, rec), vs2(ctx, rec))); continue;
        case D.OP_DIVU: {
          const b = vs2(ctx, rec);
          setRd(ctx, rec, b == 0 ? 0xFFFF_FFFF_FFFF_FFFF : vs1(ctx, rec) / b); continue;
        }
        case D.OP_REM: setRd(ctx, rec, rem64(vs1(ctx, rec), vs2(ctx, rec))); continue;
        case D.OP_REMU: {
          const b = vs2(ctx, rec);
          setRd(ctx, rec, b == 0 ? vs1(ctx, rec) : vs1(ctx, rec) % b); continue;
        }
        case D.OP_MULW: setRd(ctx, rec, sext32(vs1(ctx, rec) * vs2(ctx, rec))); continue;
        case D.OP_DIVW: setRd(ctx, rec, div32(vs1(ctx, rec), vs2(ctx, rec))); continue;
        case D.OP_DIVUW: {
          const b = <u32>vs2(ctx, rec);
          setRd(ctx, rec, b == 0 ? 0xFFFF_FFFF_FFFF_FFFF : sext32(<u64>(<u32>vs1(ctx, rec) / b))); continue;
        }
        case D.OP_REMW: setRd(ctx, rec, rem32(vs1(ctx, rec), vs2(ctx, rec))); continue;
        case D.OP_REMUW: {
          const b = <u32>vs2(ctx, rec);
          setRd(ctx, rec, b == 0 ? sext32(vs1(ctx, rec)) : sext32(<u64>(<u32>vs1(ctx, rec) % b))); continue;
        }
        // Fused ops (decode.ts fuseBlock): each part from its own record.
        case D.OP_SLLI_ADD_LW: {
          setRd(ctx, rec, vs1(ctx, rec) << imm(rec));
          rec += RECORD_SIZE;
          setRd(ctx, rec, vs1(ctx, rec) + vs2(ctx, rec));
          rec += RECORD_SIZE;
          const va = vs1(ctx, rec) + imm(rec);
          const e = tlbEntry(tlbLoad, va);
          if (load<u64>(e) == tlbTag(va, 4)) {
            if (load<u32>(e, 8) == key) { setRd(ctx, rec, <u64><i64>load<i32>(tlbHost(e, va))); continue; }
          }
          rec = loadMiss(ctx, rec, va, 4, true);
          if ((rec & MISS_FAULT) == 0) continue;
          rec &= ~MISS_FAULT;
          return trapAt(ctx, block, rec, pc0, faultCause, faultTval, chargedOf(remaining));
        }
        case D.OP_SLLI_ADD:
          setRd(ctx, rec, vs1(ctx, rec) << imm(rec));
          rec += RECORD_SIZE;
          setRd(ctx, rec, vs1(ctx, rec) + vs2(ctx, rec));
          continue;
        case D.OP_ADD_LW: {
          setRd(ctx, rec, vs1(ctx, rec) + vs2(ctx, rec));
          rec += RECORD_SIZE;
          const va = vs1(ctx, rec) + imm(rec);
          const e = tlbEntry(tlbLoad, va);
          if (load<u64>(e) == tlbTag(va, 4)) {
            if (load<u32>(e, 8) == key) { setRd(ctx, rec, <u64><i64>load<i32>(tlbHost(e, va))); continue; }
          }
          rec = loadMiss(ctx, rec, va, 4, true);
          if ((rec & MISS_FAULT) == 0) continue;
          rec &= ~MISS_FAULT;
          return trapAt(ctx, block, rec, pc0, faultCause, faultTval, chargedOf(remaining));
        }
        case D.OP_ADD_LBU: {
          setRd(ctx, rec, vs1(ctx, rec) + vs2(ctx, rec));
          rec += RECORD_SIZE;
          const va = vs1(ctx, rec) + imm(rec);
          const e = tlbEntry(tlbLoad, va);
          if (load<u64>(e) == tlbTag(va, 1)) {
            if (load<u32>(e, 8) == key) { setRd(ctx, rec, <u64>load<u8>(tlbHost(e, va))); continue; }
          }
          rec = loadMiss(ctx, rec, va, 1, false);
          if ((rec & MISS_FAULT) == 0) continue;
          rec &= ~MISS_FAULT;
          return trapAt(ctx, block, rec, pc0, faultCause, faultTval, chargedOf(remaining));
        }
        case D.OP_ADDI_ADDI:
          setRd(ctx, rec, vs1(ctx, rec) + imm(rec));
          rec += RECORD_SIZE;
          setRd(ctx, rec, vs1(ctx, rec) + imm(rec));
          continue;
        default: {
          // LR, SC and the AMOs, and the F and D instructions (fpexec.ts);
          // the stores among them may drop code too.
          rec = load<u8>(rec) >= D.OP_FP_FIRST ? fpExec(ctx, rec, key) : atomicAccess(ctx, rec, key);
          if ((rec & (MISS_FAULT | MISS_CODE_DROPPED)) == 0) continue;
          if ((rec & MISS_FAULT) != 0) {
            rec &= ~MISS_FAULT;
            return trapAt(ctx, block, rec, pc0, faultCause, faultTval, chargedOf(remaining));
          }
          rec &= ~MISS_CODE_DROPPED;
          remaining += load<u32>(block) - <u32>load<u16>(rec, 14) - 1;
          next = nextPc(rec, pc0); link = noLink();
          break;
        }
      }
      break;
    }
  }
  return 0;
}
