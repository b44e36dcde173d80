// The executor: runs one decoded block (decode.ts) against a hart context.
// One `switch` over the op of each 16-byte record; register operands are
// byte offsets into the context, so an operand is one load. Loads and stores
// try the TLB inline (tlbHit) and call the MMU's slow paths only on a miss,
// a page-crossing access, or a store into a frame holding decoded code.
//
// Contract with hartRun: on entry the block's instructions are already
// counted in instret; a trap at record r sets pc to that instruction,
// gives back the count of r and the records after it, records cause and
// tval in the context and returns the cause. A block that completes sets pc
// to its successor and returns 0.

import {
  CTX_PC, CTX_INSTRET, CTX_CAUSE, CTX_TVAL, CTX_RES_ADDR, CTX_RES_VALUE, CTX_RES_VALID,
} from "./context";
import { tlbLoad, tlbStore, tlbHit } from "./tlb";
import { loadSlow, storeSlow, loadFrame, storeFrame } from "./mmu";
import { blockCacheFlushAll, BLOCK_HEADER, RECORD_SIZE } from "./blockcache";
import { timeAt } from "./csr";
import {
  faultCause, faultTval, clearFault, raiseFault, CAUSE_ILLEGAL_INSTRUCTION, CAUSE_BREAKPOINT, CAUSE_ECALL_U,
  CAUSE_MISALIGNED_LOAD, CAUSE_MISALIGNED_STORE,
} from "./trap";
import * as D from "./decode";

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

/** Instructions retired before record rec of the block (for counters read mid-block). */
// @ts-ignore: decorator
@inline function retiredAt(ctx: usize, block: usize, rec: usize): u64 {
  return load<u64>(ctx + CTX_INSTRET) - <u64>(load<u32>(block) - <u32>load<u16>(rec, 14));
}

/** Stops the block at rec with a trap; nothing of rec is committed. */
function trapAt(ctx: usize, block: usize, rec: usize, pc0: u64, cause: u32, tval: u64): u32 {
  store<u64>(ctx + CTX_PC, pc0 + <u64>load<u16>(rec, 12));
  store<u64>(ctx + CTX_INSTRET, retiredAt(ctx, block, rec));
  store<u32>(ctx + CTX_CAUSE, cause);
  store<u64>(ctx + CTX_TVAL, tval);
  return cause;
}

/** High 64 bits of the unsigned 128-bit product, from four 32x32 products. */
export function mulhu(a: u64, b: u64): u64 {
  const a0 = a & 0xFFFF_FFFF, a1 = a >> 32;
  const b0 = b & 0xFFFF_FFFF, b1 = b >> 32;
  const p00 = a0 * b0;
  const mid = a1 * b0 + (p00 >> 32);
  const mid2 = a0 * b1 + (mid & 0xFFFF_FFFF);
  return a1 * b1 + (mid >> 32) + (mid2 >> 32);
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

/** The AMOs, LR and SC; 0 or the fault cause (raised, with tval). */
function atomic(ctx: usize, rec: usize, op: u8, key: u32): u32 {
  clearFault();
  const va = vs1(ctx, rec);
  const src = vs2(ctx, rec);
  const wide = op == D.OP_LR_D || op == D.OP_SC_D || op >= D.OP_AMO_D;
  const size: u32 = wide ? 8 : 4;
  if (op == D.OP_LR_W || op == D.OP_LR_D) {
    if ((<u32>va & (size - 1)) != 0) { raiseFault(CAUSE_MISALIGNED_LOAD, va); return CAUSE_MISALIGNED_LOAD; }
    let h = tlbHit(tlbLoad, va, key, size);
    if (h == 0) {
      const frame = loadFrame(ctx, va);
      if (frame == 0) return faultCause;
      h = frame + <usize>(<u32>va & 0xFFF);
    }
    const value = wide ? load<u64>(h) : sext32(<u64>load<u32>(h));
    store<u64>(ctx + CTX_RES_ADDR, va);
    store<u64>(ctx + CTX_RES_VALUE, value);
    store<u32>(ctx + CTX_RES_VALID, 1);
    setRd(ctx, rec, value);
    return 0;
  }
  if ((<u32>va & (size - 1)) != 0) { raiseFault(CAUSE_MISALIGNED_STORE, va); return CAUSE_MISALIGNED_STORE; }
  if ((op == D.OP_SC_W || op == D.OP_SC_D)) {
    // SC succeeds only on the reserved address, and (as QEMU does) only if
    // memory still holds the value LR read; a failed SC touches no memory.
    const held = load<u32>(ctx + CTX_RES_VALID) != 0 && load<u64>(ctx + CTX_RES_ADDR) == va;
    if (!held) {
      store<u32>(ctx + CTX_RES_VALID, 0);
      setRd(ctx, rec, 1);
      return 0;
    }
  }
  let h = tlbHit(tlbStore, va, key, size);
  if (h == 0) {
    const frame = storeFrame(ctx, va);
    if (frame == 0) return faultCause;
    h = frame + <usize>(<u32>va & 0xFFF);
  }
  const old = wide ? load<u64>(h) : sext32(<u64>load<u32>(h));
  if (op == D.OP_SC_W || op == D.OP_SC_D) {
    const ok = old == load<u64>(ctx + CTX_RES_VALUE);
    store<u32>(ctx + CTX_RES_VALID, 0);
    if (ok) {
      if (wide) store<u64>(h, src); else store<u32>(h, <u32>src);
    }
    setRd(ctx, rec, ok ? 0 : 1);
    return 0;
  }
  const kind = op - (wide ? D.OP_AMO_D : D.OP_AMO_W);
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
  if (wide) store<u64>(h, result); else store<u32>(h, <u32>result);
  setRd(ctx, rec, old);
  return 0;
}

/** Executes the block at `block` whose first instruction is at pc0. */
export function execBlock(ctx: usize, block: usize, pc0: u64, key: u32): u32 {
  let rec = block + BLOCK_HEADER;
  while (true) {
    switch (load<u8>(rec)) {
      case D.OP_END:
        store<u64>(ctx + CTX_PC, pc0 + <u64>load<u16>(rec, 12));
        return 0;
      case D.OP_ILLEGAL:
        return trapAt(ctx, block, rec, pc0, CAUSE_ILLEGAL_INSTRUCTION, <u64>load<u32>(rec, 8));
      case D.OP_ECALL:
        return trapAt(ctx, block, rec, pc0, CAUSE_ECALL_U, 0);
      case D.OP_EBREAK:
        return trapAt(ctx, block, rec, pc0, CAUSE_BREAKPOINT, pc0 + <u64>load<u16>(rec, 12));
      case D.OP_FENCE: break;
      case D.OP_FENCE_I:
        // Stores already drop the blocks of the frames they write; fence.i
        // also covers code the kernel or a device wrote without telling us.
        blockCacheFlushAll();
        store<u64>(ctx + CTX_PC, nextPc(rec, pc0));
        return 0;
      case D.OP_RDCYCLE:
      case D.OP_RDINSTRET:
        setRd(ctx, rec, retiredAt(ctx, block, rec)); break;
      case D.OP_RDTIME:
        setRd(ctx, rec, timeAt(ctx, retiredAt(ctx, block, rec))); break;
      case D.OP_LUI: setRd(ctx, rec, imm(rec)); break;
      case D.OP_AUIPC: setRd(ctx, rec, pc0 + imm(rec)); break;
      case D.OP_JAL:
        setRd(ctx, rec, nextPc(rec, pc0));
        store<u64>(ctx + CTX_PC, pc0 + imm(rec));
        return 0;
      case D.OP_JALR: {
        const target = (vs1(ctx, rec) + imm(rec)) & ~<u64>1;
        setRd(ctx, rec, nextPc(rec, pc0));
        store<u64>(ctx + CTX_PC, target);
        return 0;
      }
      case D.OP_BEQ:
        store<u64>(ctx + CTX_PC, vs1(ctx, rec) == vs2(ctx, rec) ? pc0 + imm(rec) : nextPc(rec, pc0)); return 0;
      case D.OP_BNE:
        store<u64>(ctx + CTX_PC, vs1(ctx, rec) != vs2(ctx, rec) ? pc0 + imm(rec) : nextPc(rec, pc0)); return 0;
      case D.OP_BLT:
        store<u64>(ctx + CTX_PC, <i64>vs1(ctx, rec) < <i64>vs2(ctx, rec) ? pc0 + imm(rec) : nextPc(rec, pc0)); return 0;
      case D.OP_BGE:
        store<u64>(ctx + CTX_PC, <i64>vs1(ctx, rec) >= <i64>vs2(ctx, rec) ? pc0 + imm(rec) : nextPc(rec, pc0)); return 0;
      case D.OP_BLTU:
        store<u64>(ctx + CTX_PC, vs1(ctx, rec) < vs2(ctx, rec) ? pc0 + imm(rec) : nextPc(rec, pc0)); return 0;
      case D.OP_BGEU:
        store<u64>(ctx + CTX_PC, vs1(ctx, rec) >= vs2(ctx, rec) ? pc0 + imm(rec) : nextPc(rec, pc0)); return 0;

      case D.OP_LB: {
        const va = vs1(ctx, rec) + imm(rec);
        const h = tlbHit(tlbLoad, va, key, 1);
        let v: u64;
        if (h != 0) v = <u64><i64>load<i8>(h);
        else {
          v = loadSlow(ctx, va, 1);
          if (faultCause != 0) return trapAt(ctx, block, rec, pc0, faultCause, faultTval);
          v = <u64><i64><i8>v;
        }
        setRd(ctx, rec, v); break;
      }
      case D.OP_LH: {
        const va = vs1(ctx, rec) + imm(rec);
        const h = tlbHit(tlbLoad, va, key, 2);
        let v: u64;
        if (h != 0) v = <u64><i64>load<i16>(h);
        else {
          v = loadSlow(ctx, va, 2);
          if (faultCause != 0) return trapAt(ctx, block, rec, pc0, faultCause, faultTval);
          v = <u64><i64><i16>v;
        }
        setRd(ctx, rec, v); break;
      }
      case D.OP_LW: {
        const va = vs1(ctx, rec) + imm(rec);
        const h = tlbHit(tlbLoad, va, key, 4);
        let v: u64;
        if (h != 0) v = <u64><i64>load<i32>(h);
        else {
          v = loadSlow(ctx, va, 4);
          if (faultCause != 0) return trapAt(ctx, block, rec, pc0, faultCause, faultTval);
          v = sext32(v);
        }
        setRd(ctx, rec, v); break;
      }
      case D.OP_LD: {
        const va = vs1(ctx, rec) + imm(rec);
        const h = tlbHit(tlbLoad, va, key, 8);
        let v: u64;
        if (h != 0) v = load<u64>(h);
        else {
          v = loadSlow(ctx, va, 8);
          if (faultCause != 0) return trapAt(ctx, block, rec, pc0, faultCause, faultTval);
        }
        setRd(ctx, rec, v); break;
      }
      case D.OP_LBU: {
        const va = vs1(ctx, rec) + imm(rec);
        const h = tlbHit(tlbLoad, va, key, 1);
        let v: u64;
        if (h != 0) v = <u64>load<u8>(h);
        else {
          v = loadSlow(ctx, va, 1);
          if (faultCause != 0) return trapAt(ctx, block, rec, pc0, faultCause, faultTval);
        }
        setRd(ctx, rec, v); break;
      }
      case D.OP_LHU: {
        const va = vs1(ctx, rec) + imm(rec);
        const h = tlbHit(tlbLoad, va, key, 2);
        let v: u64;
        if (h != 0) v = <u64>load<u16>(h);
        else {
          v = loadSlow(ctx, va, 2);
          if (faultCause != 0) return trapAt(ctx, block, rec, pc0, faultCause, faultTval);
        }
        setRd(ctx, rec, v); break;
      }
      case D.OP_LWU: {
        const va = vs1(ctx, rec) + imm(rec);
        const h = tlbHit(tlbLoad, va, key, 4);
        let v: u64;
        if (h != 0) v = <u64>load<u32>(h);
        else {
          v = loadSlow(ctx, va, 4);
          if (faultCause != 0) return trapAt(ctx, block, rec, pc0, faultCause, faultTval);
        }
        setRd(ctx, rec, v); break;
      }
      case D.OP_SB: {
        const va = vs1(ctx, rec) + imm(rec);
        const h = tlbHit(tlbStore, va, key, 1);
        if (h != 0) store<u8>(h, <u8>vs2(ctx, rec));
        else if (!storeSlow(ctx, va, 1, vs2(ctx, rec))) return trapAt(ctx, block, rec, pc0, faultCause, faultTval);
        break;
      }
      case D.OP_SH: {
        const va = vs1(ctx, rec) + imm(rec);
        const h = tlbHit(tlbStore, va, key, 2);
        if (h != 0) store<u16>(h, <u16>vs2(ctx, rec));
        else if (!storeSlow(ctx, va, 2, vs2(ctx, rec))) return trapAt(ctx, block, rec, pc0, faultCause, faultTval);
        break;
      }
      case D.OP_SW: {
        const va = vs1(ctx, rec) + imm(rec);
        const h = tlbHit(tlbStore, va, key, 4);
        if (h != 0) store<u32>(h, <u32>vs2(ctx, rec));
        else if (!storeSlow(ctx, va, 4, vs2(ctx, rec))) return trapAt(ctx, block, rec, pc0, faultCause, faultTval);
        break;
      }
      case D.OP_SD: {
        const va = vs1(ctx, rec) + imm(rec);
        const h = tlbHit(tlbStore, va, key, 8);
        if (h != 0) store<u64>(h, vs2(ctx, rec));
        else if (!storeSlow(ctx, va, 8, vs2(ctx, rec))) return trapAt(ctx, block, rec, pc0, faultCause, faultTval);
        break;
      }

      case D.OP_ADDI: setRd(ctx, rec, vs1(ctx, rec) + imm(rec)); break;
      case D.OP_SLTI: setRd(ctx, rec, <i64>vs1(ctx, rec) < <i64>imm(rec) ? 1 : 0); break;
      case D.OP_SLTIU: setRd(ctx, rec, vs1(ctx, rec) < imm(rec) ? 1 : 0); break;
      case D.OP_XORI: setRd(ctx, rec, vs1(ctx, rec) ^ imm(rec)); break;
      case D.OP_ORI: setRd(ctx, rec, vs1(ctx, rec) | imm(rec)); break;
      case D.OP_ANDI: setRd(ctx, rec, vs1(ctx, rec) & imm(rec)); break;
      case D.OP_SLLI: setRd(ctx, rec, vs1(ctx, rec) << imm(rec)); break;
      case D.OP_SRLI: setRd(ctx, rec, vs1(ctx, rec) >> imm(rec)); break;
      case D.OP_SRAI: setRd(ctx, rec, <u64>(<i64>vs1(ctx, rec) >> <i64>imm(rec))); break;
      case D.OP_ADDIW: setRd(ctx, rec, sext32(vs1(ctx, rec) + imm(rec))); break;
      case D.OP_SLLIW: setRd(ctx, rec, sext32(<u64>(<u32>vs1(ctx, rec) << <u32>imm(rec)))); break;
      case D.OP_SRLIW: setRd(ctx, rec, sext32(<u64>(<u32>vs1(ctx, rec) >> <u32>imm(rec)))); break;
      case D.OP_SRAIW: setRd(ctx, rec, <u64><i64>(<i32>vs1(ctx, rec) >> <i32>imm(rec))); break;

      case D.OP_ADD: setRd(ctx, rec, vs1(ctx, rec) + vs2(ctx, rec)); break;
      case D.OP_SUB: setRd(ctx, rec, vs1(ctx, rec) - vs2(ctx, rec)); break;
      case D.OP_SLL: setRd(ctx, rec, vs1(ctx, rec) << (vs2(ctx, rec) & 63)); break;
      case D.OP_SLT: setRd(ctx, rec, <i64>vs1(ctx, rec) < <i64>vs2(ctx, rec) ? 1 : 0); break;
      case D.OP_SLTU: setRd(ctx, rec, vs1(ctx, rec) < vs2(ctx, rec) ? 1 : 0); break;
      case D.OP_XOR: setRd(ctx, rec, vs1(ctx, rec) ^ vs2(ctx, rec)); break;
      case D.OP_SRL: setRd(ctx, rec, vs1(ctx, rec) >> (vs2(ctx, rec) & 63)); break;
      case D.OP_SRA: setRd(ctx, rec, <u64>(<i64>vs1(ctx, rec) >> <i64>(vs2(ctx, rec) & 63))); break;
      case D.OP_OR: setRd(ctx, rec, vs1(ctx, rec) | vs2(ctx, rec)); break;
      case D.OP_AND: setRd(ctx, rec, vs1(ctx, rec) & vs2(ctx, rec)); break;
      case D.OP_ADDW: setRd(ctx, rec, sext32(vs1(ctx, rec) + vs2(ctx, rec))); break;
      case D.OP_SUBW: setRd(ctx, rec, sext32(vs1(ctx, rec) - vs2(ctx, rec))); break;
      case D.OP_SLLW: setRd(ctx, rec, sext32(<u64>(<u32>vs1(ctx, rec) << (<u32>vs2(ctx, rec) & 31)))); break;
      case D.OP_SRLW: setRd(ctx, rec, sext32(<u64>(<u32>vs1(ctx, rec) >> (<u32>vs2(ctx, rec) & 31)))); break;
      case D.OP_SRAW: setRd(ctx, rec, <u64><i64>(<i32>vs1(ctx, rec) >> (<i32>vs2(ctx, rec) & 31))); break;

      case D.OP_MUL: setRd(ctx, rec, vs1(ctx, rec) * vs2(ctx, rec)); break;
      case D.OP_MULH: setRd(ctx, rec, mulh(vs1(ctx, rec), vs2(ctx, rec))); break;
      case D.OP_MULHSU: setRd(ctx, rec, mulhsu(vs1(ctx, rec), vs2(ctx, rec))); break;
      case D.OP_MULHU: setRd(ctx, rec, mulhu(vs1(ctx, rec), vs2(ctx, rec))); break;
      case D.OP_DIV: setRd(ctx, rec, div64(vs1(ctx, rec), vs2(ctx, rec))); break;
      case D.OP_DIVU: {
        const b = vs2(ctx, rec);
        setRd(ctx, rec, b == 0 ? 0xFFFF_FFFF_FFFF_FFFF : vs1(ctx, rec) / b); break;
      }
      case D.OP_REM: setRd(ctx, rec, rem64(vs1(ctx, rec), vs2(ctx, rec))); break;
      case D.OP_REMU: {
        const b = vs2(ctx, rec);
        setRd(ctx, rec, b == 0 ? vs1(ctx, rec) : vs1(ctx, rec) % b); break;
      }
      case D.OP_MULW: setRd(ctx, rec, sext32(vs1(ctx, rec) * vs2(ctx, rec))); break;
      case D.OP_DIVW: setRd(ctx, rec, div32(vs1(ctx, rec), vs2(ctx, rec))); break;
      case D.OP_DIVUW: {
        const b = <u32>vs2(ctx, rec);
        setRd(ctx, rec, b == 0 ? 0xFFFF_FFFF_FFFF_FFFF : sext32(<u64>(<u32>vs1(ctx, rec) / b))); break;
      }
      case D.OP_REMW: setRd(ctx, rec, rem32(vs1(ctx, rec), vs2(ctx, rec))); break;
      case D.OP_REMUW: {
        const b = <u32>vs2(ctx, rec);
        setRd(ctx, rec, b == 0 ? sext32(vs1(ctx, rec)) : sext32(<u64>(<u32>vs1(ctx, rec) % b))); break;
      }
      default: {
        // LR, SC and the AMOs.
        const cause = atomic(ctx, rec, load<u8>(rec), key);
        if (cause != 0) return trapAt(ctx, block, rec, pc0, cause, faultTval);
        break;
      }
    }
    rec += RECORD_SIZE;
  }
  return 0;
}
