// The F and D instructions as the executor runs them: execute.ts hands every
// record whose op is OP_FP_FIRST or above to fpExec, which takes the record
// and returns it tagged like the other slow paths (trap.ts MISS_*). Here:
// operand access with NaN-boxing (a single in an f register is valid only
// with the upper 32 bits all ones; otherwise it reads as the canonical NaN),
// the rounding mode (static, or frm when the field says dynamic; a reserved
// frm raises illegal instruction with nothing written), the accrual of the
// exception flags into fflags, FP loads and stores through the TLB, and the
// fflags / frm / fcsr CSRs. The arithmetic itself is fpu.ts.

import { CTX_FCSR, fregOffset } from "./context";
import { tlbLoad, tlbStore, tlbHit } from "./tlb";
import { loadSlow, storeSlow } from "./mmu";
import { clearCodeDropped, codeDropped } from "./blockcache";
import { faultCause, raiseFault, CAUSE_ILLEGAL_INSTRUCTION, MISS_FAULT, MISS_CODE_DROPPED } from "./trap";
import * as D from "./decode";
import * as F from "./fpu";

/** The upper half of a NaN-boxed single. */
const BOX: u64 = 0xFFFF_FFFF_0000_0000;
const LOW32: u64 = 0xFFFF_FFFF;
const SIGN_S: u64 = 0x8000_0000;
const SIGN_D: u64 = 0x8000_0000_0000_0000;

// fcsr layout and the CSR numbers that view it.
const FFLAGS_MASK: u32 = 0x1F;
const FRM_SHIFT: u32 = 5;
const FRM_MASK: u32 = 7;
const FCSR_MASK: u32 = 0xFF;
const CSR_FFLAGS: u32 = 0x001;
const CSR_FRM: u32 = 0x002;
const CSR_FUNCT_RW: u32 = 1;
const CSR_FUNCT_RS: u32 = 2;

// @ts-ignore: decorator
@inline function unbox(v: u64): u64 { return (v & BOX) == BOX ? v & LOW32 : F.CANONICAL_NAN_S; }
// @ts-ignore: decorator
@inline function operand(at: usize, fmt: u32): u64 {
  const v = load<u64>(at);
  return fmt == F.FMT_D ? v : unbox(v);
}
// @ts-ignore: decorator
@inline function boxed(v: u64, fmt: u32): u64 { return fmt == F.FMT_D ? v : v | BOX; }

/** Runs the F/D record rec (see decode.ts for the record's fields). */
export function fpExec(ctx: usize, rec: usize, key: u32): usize {
  const op = load<u8>(rec);
  const rd = ctx + <usize>load<u16>(rec, 2);
  const rs1 = ctx + <usize>load<u16>(rec, 4);
  const rs2 = ctx + <usize>load<u16>(rec, 6);
  if (op == D.OP_FLW || op == D.OP_FLD) {
    const size: u32 = op == D.OP_FLW ? 4 : 8;
    const va = load<u64>(rs1) + <u64><i64>load<i32>(rec, 8);
    const h = tlbHit(tlbLoad, va, key, size);
    let v: u64;
    if (h != 0) v = size == 4 ? <u64>load<u32>(h) : load<u64>(h);
    else {
      v = loadSlow(ctx, va, size);
      if (faultCause != 0) return rec | MISS_FAULT;
    }
    store<u64>(rd, size == 4 ? (v & LOW32) | BOX : v);
    return rec;
  }
  if (op == D.OP_FSW || op == D.OP_FSD) {
    // Stores move the register's low bits as they are, boxed or not.
    const size: u32 = op == D.OP_FSW ? 4 : 8;
    const va = load<u64>(rs1) + <u64><i64>load<i32>(rec, 8);
    const v = load<u64>(rs2);
    const h = tlbHit(tlbStore, va, key, size);
    if (h != 0) {
      if (size == 4) store<u32>(h, <u32>v); else store<u64>(h, v);
      return rec;
    }
    clearCodeDropped();
    if (!storeSlow(ctx, va, size, v)) return rec | MISS_FAULT;
    return codeDropped ? rec | MISS_CODE_DROPPED : rec;
  }
  const bits = <u32>load<i32>(rec, 8);
  const fcsr = load<u32>(ctx + CTX_FCSR);
  if (op == D.OP_FCSR) {
    const csr = bits >> 20;
    const funct = (bits >> 12) & 3;
    const field = (bits >> 15) & 31; // rs1, or the uimm of the immediate forms
    const src = ((bits >> 14) & 1) != 0 ? <u32>field : <u32>load<u64>(rs1);
    const shift: u32 = csr == CSR_FRM ? FRM_SHIFT : 0;
    const mask: u32 = csr == CSR_FFLAGS ? FFLAGS_MASK : csr == CSR_FRM ? FRM_MASK : FCSR_MASK;
    const old = (fcsr >> shift) & mask;
    // CSRRS/CSRRC with rs1 = x0 (or uimm = 0) read without writing.
    if (funct == CSR_FUNCT_RW || field != 0) {
      const value = (funct == CSR_FUNCT_RW ? src : funct == CSR_FUNCT_RS ? old | src : old & ~src) & mask;
      store<u32>(ctx + CTX_FCSR, (fcsr & ~(mask << shift)) | (value << shift));
    }
    store<u64>(rd, <u64>old);
    return rec;
  }

  const index = <u32>(op - D.OP_FP_BASE);
  const kind = <u8>(index >> 1);
  const fmt = index & 1;
  let rm = (bits >> 12) & 7;
  const rounds = kind <= D.FK_NMADD || (kind >= D.FK_TO_INT && kind <= D.FK_CVT_FMT);
  if (rounds && rm == F.RM_DYN) {
    rm = (fcsr >> FRM_SHIFT) & FRM_MASK;
    if (rm > F.RM_MAX) { raiseFault(CAUSE_ILLEGAL_INSTRUCTION, <u64>bits); return rec | MISS_FAULT; }
  }
  F.fpClearFlags();
  const sign = fmt == F.FMT_D ? SIGN_D : SIGN_S;
  let r: u64 = 0;
  switch (kind) {
    case D.FK_ADD: r = boxed(F.fAdd(operand(rs1, fmt), operand(rs2, fmt), fmt, rm), fmt); break;
    case D.FK_SUB: r = boxed(F.fSub(operand(rs1, fmt), operand(rs2, fmt), fmt, rm), fmt); break;
    case D.FK_MUL: r = boxed(F.fMul(operand(rs1, fmt), operand(rs2, fmt), fmt, rm), fmt); break;
    case D.FK_DIV: r = boxed(F.fDiv(operand(rs1, fmt), operand(rs2, fmt), fmt, rm), fmt); break;
    case D.FK_SQRT: r = boxed(F.fSqrt(operand(rs1, fmt), fmt, rm), fmt); break;
    case D.FK_MADD: case D.FK_MSUB: case D.FK_NMSUB: case D.FK_NMADD: {
      const rs3 = ctx + <usize>fregOffset(bits >> 27);
      const negateProduct = kind == D.FK_NMSUB || kind == D.FK_NMADD;
      const negateAddend = kind == D.FK_MSUB || kind == D.FK_NMADD;
      r = boxed(F.fFma(operand(rs1, fmt), operand(rs2, fmt), operand(rs3, fmt), fmt, rm, negateProduct, negateAddend), fmt);
      break;
    }
    case D.FK_SGNJ: r = boxed((operand(rs1, fmt) & ~sign) | (operand(rs2, fmt) & sign), fmt); break;
    case D.FK_SGNJN: r = boxed((operand(rs1, fmt) & ~sign) | (~operand(rs2, fmt) & sign), fmt); break;
    case D.FK_SGNJX: r = boxed(operand(rs1, fmt) ^ (operand(rs2, fmt) & sign), fmt); break;
    case D.FK_MIN: r = boxed(F.fMinMax(operand(rs1, fmt), operand(rs2, fmt), fmt, false), fmt); break;
    case D.FK_MAX: r = boxed(F.fMinMax(operand(rs1, fmt), operand(rs2, fmt), fmt, true), fmt); break;
    case D.FK_EQ: r = F.fCompare(operand(rs1, fmt), operand(rs2, fmt), fmt, F.CMP_EQ); break;
    case D.FK_LT: r = F.fCompare(operand(rs1, fmt), operand(rs2, fmt), fmt, F.CMP_LT); break;
    case D.FK_LE: r = F.fCompare(operand(rs1, fmt), operand(rs2, fmt), fmt, F.CMP_LE); break;
    case D.FK_CLASS: r = F.fClass(operand(rs1, fmt), fmt); break;
    case D.FK_CVT_FMT:
      r = fmt == F.FMT_S ? boxed(F.doubleToSingle(load<u64>(rs1), rm), F.FMT_S) : F.singleToDouble(operand(rs1, F.FMT_S));
      break;
    case D.FK_MV_TO_X: r = fmt == F.FMT_D ? load<u64>(rs1) : <u64><i64><i32>load<u32>(rs1); break;
    case D.FK_MV_FROM_X: r = boxed(fmt == F.FMT_D ? load<u64>(rs1) : load<u64>(rs1) & LOW32, fmt); break;
    default:
      if (kind < D.FK_FROM_INT) r = F.fToInt(operand(rs1, fmt), fmt, rm, <u32>(kind - D.FK_TO_INT));
      else r = boxed(F.intToF(load<u64>(rs1), fmt, rm, <u32>(kind - D.FK_FROM_INT)), fmt);
      break;
  }
  store<u64>(rd, r);
  if (F.fpFlags != 0) store<u32>(ctx + CTX_FCSR, fcsr | F.fpFlags);
  return rec;
}
