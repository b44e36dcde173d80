// The decoder: RV64IMAFDC + Zicsr (user counters, fflags/frm/fcsr) +
// Zifencei instructions into compact 16-byte records, one basic block at a
// time. Everything the specification reserves or leaves to other extensions
// (privileged instructions, writes to the read-only counters, other CSRs,
// reserved static rounding modes, the H and Q formats) decodes to
// OP_ILLEGAL, which traps with the instruction bits when executed.
//
// Record layout (RECORD_SIZE = 16):
//   +0  u8  op (OP_* below)
//   +1  u8  length of the instruction in bytes (2 or 4)
//   +2  u16 rd  as a byte offset into the context (x0 -> the sink slot)
//   +4  u16 rs1 as a byte offset (x0 -> slot 0, which always reads 0)
//   +6  u16 rs2 as a byte offset
//   +8  i32 immediate; for pc-relative ops (AUIPC, JAL, branches) already
//           relative to the block's first instruction; for OP_ILLEGAL, the
//           FP computational ops and OP_FCSR the instruction bits (the trap
//           value, and the rounding mode, rs3 and CSR fields)
// F/D records name f registers as CTX_FREGS + 8 * index (fregOffset).
//   +12 u16 offset of the instruction from the block's first byte
//   +14 u16 index of the instruction in the block
// A block ends after a control transfer, ecall/ebreak, fence.i or an
// illegal instruction, at its frame's end, or after BLOCK_MAX_INSNS; a block
// that falls through ends with an OP_END record.

import {
  OPC_LOAD, OPC_MISC_MEM, OPC_OP_IMM, OPC_AUIPC, OPC_OP_IMM_32, OPC_STORE, OPC_AMO, OPC_OP, OPC_LUI, OPC_OP_32, OPC_BRANCH,
  OPC_JALR, OPC_JAL, OPC_SYSTEM, OPC_LOAD_FP, OPC_STORE_FP, OPC_MADD, OPC_MSUB, OPC_NMSUB, OPC_NMADD, OPC_OP_FP,
} from "./opcodes";
import { expandCompressed, ILLEGAL_EXPANSION } from "./compressed";
import { blockReserve, blockCommit, BLOCK_HEADER, RECORD_SIZE, BLOCK_MAX_INSNS } from "./blockcache";
import { REG_SINK, fregOffset } from "./context";
import { breakCount, breakAtPa, BREAK_BLOCK } from "./debug";

export const OP_END: u8 = 0;
export const OP_ILLEGAL: u8 = 1;
export const OP_ECALL: u8 = 2;
export const OP_EBREAK: u8 = 3;
export const OP_FENCE: u8 = 4;
export const OP_FENCE_I: u8 = 5;
export const OP_RDCYCLE: u8 = 6;
export const OP_RDTIME: u8 = 7;
export const OP_RDINSTRET: u8 = 8;
export const OP_LUI: u8 = 9;      // also ADDI rd, x0, imm: rd = imm
export const OP_AUIPC: u8 = 10;
export const OP_JAL: u8 = 11;
export const OP_JALR: u8 = 12;
export const OP_BEQ: u8 = 13;
export const OP_BNE: u8 = 14;
export const OP_BLT: u8 = 15;
export const OP_BGE: u8 = 16;
export const OP_BLTU: u8 = 17;
export const OP_BGEU: u8 = 18;
export const OP_LB: u8 = 19;
export const OP_LH: u8 = 20;
export const OP_LW: u8 = 21;
export const OP_LD: u8 = 22;
export const OP_LBU: u8 = 23;
export const OP_LHU: u8 = 24;
export const OP_LWU: u8 = 25;
export const OP_SB: u8 = 26;
export const OP_SH: u8 = 27;
export const OP_SW: u8 = 28;
export const OP_SD: u8 = 29;
export const OP_ADDI: u8 = 30;
export const OP_SLTI: u8 = 31;
export const OP_SLTIU: u8 = 32;
export const OP_XORI: u8 = 33;
export const OP_ORI: u8 = 34;
export const OP_ANDI: u8 = 35;
export const OP_SLLI: u8 = 36;
export const OP_SRLI: u8 = 37;
export const OP_SRAI: u8 = 38;
export const OP_ADDIW: u8 = 39;
export const OP_SLLIW: u8 = 40;
export const OP_SRLIW: u8 = 41;
export const OP_SRAIW: u8 = 42;
export const OP_ADD: u8 = 43;
export const OP_SUB: u8 = 44;
export const OP_SLL: u8 = 45;
export const OP_SLT: u8 = 46;
export const OP_SLTU: u8 = 47;
export const OP_XOR: u8 = 48;
export const OP_SRL: u8 = 49;
export const OP_SRA: u8 = 50;
export const OP_OR: u8 = 51;
export const OP_AND: u8 = 52;
export const OP_ADDW: u8 = 53;
export const OP_SUBW: u8 = 54;
export const OP_SLLW: u8 = 55;
export const OP_SRLW: u8 = 56;
export const OP_SRAW: u8 = 57;
export const OP_MUL: u8 = 58;
export const OP_MULH: u8 = 59;
export const OP_MULHSU: u8 = 60;
export const OP_MULHU: u8 = 61;
export const OP_DIV: u8 = 62;
export const OP_DIVU: u8 = 63;
export const OP_REM: u8 = 64;
export const OP_REMU: u8 = 65;
export const OP_MULW: u8 = 66;
export const OP_DIVW: u8 = 67;
export const OP_DIVUW: u8 = 68;
export const OP_REMW: u8 = 69;
export const OP_REMUW: u8 = 70;
export const OP_LR_W: u8 = 71;
export const OP_LR_D: u8 = 72;
export const OP_SC_W: u8 = 73;
export const OP_SC_D: u8 = 74;
/** AMO<op>.W = OP_AMO_W + AMO_*, AMO<op>.D = OP_AMO_D + AMO_*. */
export const OP_AMO_W: u8 = 75;
export const OP_AMO_D: u8 = 84;
export const AMO_SWAP: u8 = 0;
export const AMO_ADD: u8 = 1;
export const AMO_XOR: u8 = 2;
export const AMO_AND: u8 = 3;
export const AMO_OR: u8 = 4;
export const AMO_MIN: u8 = 5;
export const AMO_MAX: u8 = 6;
export const AMO_MINU: u8 = 7;
export const AMO_MAXU: u8 = 8;
export const OP_COUNT: u8 = 93;

// Fused ops (superinstructions, see fuseBlock): a record whose op is one of
// these runs its own instruction and then the next one or two records'
// instructions, exactly in order and each from its own record, without
// dispatching on them. The absorbed records keep their own ops.
export const OP_SLLI_ADD_LW: u8 = 93;  // slli; add; lw    (array indexing)
export const OP_SLLI_ADD: u8 = 94;     // slli; add
export const OP_ADD_LW: u8 = 95;       // add; lw
export const OP_ADD_LBU: u8 = 96;      // add; lbu
export const OP_ADDI_ADDI: u8 = 97;    // addi; addi
export const OP_FUSED_END: u8 = 98;

// The F and D extensions (fpexec.ts runs them). From OP_FP_FIRST on, every
// op goes to fpExec.
export const OP_FP_FIRST: u8 = 98;
export const OP_FLW: u8 = 98;
export const OP_FLD: u8 = 99;
export const OP_FSW: u8 = 100;
export const OP_FSD: u8 = 101;
export const OP_FCSR: u8 = 102;   // CSRRW/S/C[I] on fflags, frm, fcsr
/** Computational F/D ops: OP_FP_BASE + 2 * FK_* + fmt (0 single, 1 double). */
export const OP_FP_BASE: u8 = 104;
export const FK_ADD: u8 = 0;
export const FK_SUB: u8 = 1;
export const FK_MUL: u8 = 2;
export const FK_DIV: u8 = 3;
export const FK_SQRT: u8 = 4;
export const FK_MADD: u8 = 5;
export const FK_MSUB: u8 = 6;
export const FK_NMSUB: u8 = 7;
export const FK_NMADD: u8 = 8;
export const FK_SGNJ: u8 = 9;
export const FK_SGNJN: u8 = 10;
export const FK_SGNJX: u8 = 11;
export const FK_MIN: u8 = 12;
export const FK_MAX: u8 = 13;
export const FK_EQ: u8 = 14;
export const FK_LT: u8 = 15;
export const FK_LE: u8 = 16;
export const FK_CLASS: u8 = 17;
export const FK_TO_INT: u8 = 18;   // + W, WU, L, LU (fpu.ts INT_*)
export const FK_FROM_INT: u8 = 22; // + W, WU, L, LU
export const FK_CVT_FMT: u8 = 26;  // FCVT.S.D (fmt 0), FCVT.D.S (fmt 1)
export const FK_MV_TO_X: u8 = 27;  // FMV.X.W, FMV.X.D
export const FK_MV_FROM_X: u8 = 28; // FMV.W.X, FMV.D.X
export const FK_COUNT: u8 = 29;
export const OP_FP_END: u8 = OP_FP_BASE + 2 * FK_COUNT;
const CSR_FFLAGS: u32 = 0x001;
const CSR_FCSR: u32 = 0x003;
const RM_DYNAMIC: u32 = 7;
const RM_LAST_STATIC: u32 = 4;


const INSN_ECALL: u32 = 0x0000_0073;
const INSN_EBREAK: u32 = 0x0010_0073;
const CSR_CYCLE: u32 = 0xC00;
const CSR_TIME: u32 = 0xC01;
const CSR_INSTRET: u32 = 0xC02;

// @ts-ignore: decorator
@inline export function recOp(rec: usize): u8 { return load<u8>(rec); }
// @ts-ignore: decorator
@inline export function recLen(rec: usize): u32 { return <u32>load<u8>(rec, 1); }
// @ts-ignore: decorator
@inline export function recImm(rec: usize): i32 { return load<i32>(rec, 8); }
// @ts-ignore: decorator
@inline export function recPcOff(rec: usize): u32 { return <u32>load<u16>(rec, 12); }
// @ts-ignore: decorator
@inline export function recIndex(rec: usize): u32 { return <u32>load<u16>(rec, 14); }

/** Whether an op ends its block. */
// @ts-ignore: decorator
@inline export function opEndsBlock(op: u8): bool {
  return op <= OP_EBREAK || op == OP_FENCE_I || (op >= OP_JAL && op <= OP_BGEU);
}

function put(rec: usize, op: u8, rd: u32, rs1: u32, rs2: u32, imm: i32): u8 {
  store<u8>(rec, op);
  store<u16>(rec, <u16>((rd == 0 ? REG_SINK : rd) << 3), 2);
  store<u16>(rec, <u16>(rs1 << 3), 4);
  store<u16>(rec, <u16>(rs2 << 3), 6);
  store<i32>(rec, imm, 8);
  return op;
}

/** A record with raw byte offsets (f registers, or x registers already mapped). */
function putRaw(rec: usize, op: u8, rd: u32, rs1: u32, rs2: u32, imm: i32): u8 {
  store<u8>(rec, op);
  store<u16>(rec, <u16>rd, 2);
  store<u16>(rec, <u16>rs1, 4);
  store<u16>(rec, <u16>rs2, 6);
  store<i32>(rec, imm, 8);
  return op;
}
// @ts-ignore: decorator
@inline function xDest(r: u32): u32 { return (r == 0 ? REG_SINK : r) << 3; }
// @ts-ignore: decorator
@inline function xSrc(r: u32): u32 { return r << 3; }
// @ts-ignore: decorator
@inline function fpOp(kind: u8, fmt: u32): u8 { return OP_FP_BASE + 2 * kind + <u8>fmt; }
// @ts-ignore: decorator
@inline function rmValid(rm: u32): bool { return rm <= RM_LAST_STATIC || rm == RM_DYNAMIC; }

/** OP-FP and the fused multiply-adds; OP_ILLEGAL for reserved encodings (the caller puts it). */
function decodeFp(rec: usize, bits: u32, opc: u32, rd: u32, f3: u32, rs1: u32, rs2: u32): u8 {
  const fmt = (bits >> 25) & 3;
  if (fmt > 1) return OP_ILLEGAL; // H and Q are not implemented
  const imm = <i32>bits;
  if (opc != OPC_OP_FP) {
    if (!rmValid(f3)) return OP_ILLEGAL;
    const kind = FK_MADD + <u8>((opc - OPC_MADD) >> 2);
    return putRaw(rec, fpOp(kind, fmt), fregOffset(rd), fregOffset(rs1), fregOffset(rs2), imm);
  }
  const funct5 = bits >> 27;
  switch (funct5) {
    case 0x00: case 0x01: case 0x02: case 0x03:
      if (!rmValid(f3)) return OP_ILLEGAL;
      return putRaw(rec, fpOp(FK_ADD + <u8>funct5, fmt), fregOffset(rd), fregOffset(rs1), fregOffset(rs2), imm);
    case 0x0B:
      if (rs2 != 0 || !rmValid(f3)) return OP_ILLEGAL;
      return putRaw(rec, fpOp(FK_SQRT, fmt), fregOffset(rd), fregOffset(rs1), 0, imm);
    case 0x04:
      if (f3 > 2) return OP_ILLEGAL;
      return putRaw(rec, fpOp(FK_SGNJ + <u8>f3, fmt), fregOffset(rd), fregOffset(rs1), fregOffset(rs2), imm);
    case 0x05:
      if (f3 > 1) return OP_ILLEGAL;
      return putRaw(rec, fpOp(FK_MIN + <u8>f3, fmt), fregOffset(rd), fregOffset(rs1), fregOffset(rs2), imm);
    case 0x08: // FCVT.S.D (fmt S, source D) and FCVT.D.S
      if (rs2 != (fmt ^ 1) || !rmValid(f3)) return OP_ILLEGAL;
      return putRaw(rec, fpOp(FK_CVT_FMT, fmt), fregOffset(rd), fregOffset(rs1), 0, imm);
    case 0x14: {
      if (f3 > 2) return OP_ILLEGAL;
      const kind: u8 = f3 == 2 ? FK_EQ : f3 == 1 ? FK_LT : FK_LE;
      return putRaw(rec, fpOp(kind, fmt), xDest(rd), fregOffset(rs1), fregOffset(rs2), imm);
    }
    case 0x18:
      if (rs2 > 3 || !rmValid(f3)) return OP_ILLEGAL;
      return putRaw(rec, fpOp(FK_TO_INT + <u8>rs2, fmt), xDest(rd), fregOffset(rs1), 0, imm);
    case 0x1A:
      if (rs2 > 3 || !rmValid(f3)) return OP_ILLEGAL;
      return putRaw(rec, fpOp(FK_FROM_INT + <u8>rs2, fmt), fregOffset(rd), xSrc(rs1), 0, imm);
    case 0x1C:
      if (rs2 != 0 || f3 > 1) return OP_ILLEGAL;
      return putRaw(rec, fpOp(f3 == 0 ? FK_MV_TO_X : FK_CLASS, fmt), xDest(rd), fregOffset(rs1), 0, imm);
    case 0x1E:
      if (rs2 != 0 || f3 != 0) return OP_ILLEGAL;
      return putRaw(rec, fpOp(FK_MV_FROM_X, fmt), fregOffset(rd), xSrc(rs1), 0, imm);
    default: return OP_ILLEGAL;
  }
}

/**
 * Decodes one 32-bit instruction (a compressed one arrives expanded, with
 * its own bits in `trapBits`) into the record at rec. pcOff is the
 * instruction's offset from the block start, for pc-relative immediates.
 * Returns the op.
 */
export function decodeInto(rec: usize, bits: u32, trapBits: u32, length: u32, pcOff: u32, index: u32): u8 {
  store<u8>(rec, <u8>length, 1);
  store<u16>(rec, <u16>pcOff, 12);
  store<u16>(rec, <u16>index, 14);
  const opc = bits & 0x7F;
  const rd = (bits >> 7) & 31;
  const f3 = (bits >> 12) & 7;
  const rs1 = (bits >> 15) & 31;
  const rs2 = (bits >> 20) & 31;
  const f7 = bits >> 25;
  const immI = <i32>bits >> 20;
  const pc = <i32>pcOff;
  switch (opc) {
    case OPC_LUI: return put(rec, OP_LUI, rd, 0, 0, <i32>(bits & 0xFFFF_F000));
    case OPC_AUIPC: return put(rec, OP_AUIPC, rd, 0, 0, <i32>(bits & 0xFFFF_F000) + pc);
    case OPC_JAL: {
      const immJ = ((<i32>bits >> 31) << 20) | <i32>(bits & 0xFF000) | <i32>(((bits >> 20) & 1) << 11) | <i32>(((bits >> 21) & 0x3FF) << 1);
      return put(rec, OP_JAL, rd, 0, 0, immJ + pc);
    }
    case OPC_JALR:
      if (f3 != 0) break;
      return put(rec, OP_JALR, rd, rs1, 0, immI);
    case OPC_BRANCH: {
      if (f3 == 2 || f3 == 3) break;
      const immB = ((<i32>bits >> 31) << 12) | <i32>(((bits >> 7) & 1) << 11) | <i32>(((bits >> 25) & 0x3F) << 5) | <i32>(((bits >> 8) & 0xF) << 1);
      const op: u8 = f3 < 2 ? OP_BEQ + <u8>f3 : OP_BLT + <u8>(f3 - 4);
      return put(rec, op, 0, rs1, rs2, immB + pc);
    }
    case OPC_LOAD:
      if (f3 == 7) break;
      return put(rec, OP_LB + <u8>f3, rd, rs1, 0, immI);
    case OPC_STORE: {
      if (f3 > 3) break;
      const immS = ((<i32>bits >> 25) << 5) | <i32>((bits >> 7) & 31);
      return put(rec, OP_SB + <u8>f3, 0, rs1, rs2, immS);
    }
    case OPC_OP_IMM: {
      const shamt = <i32>((bits >> 20) & 63);
      switch (f3) {
        case 0:
          if (rs1 == 0) return put(rec, OP_LUI, rd, 0, 0, immI); // li
          return put(rec, OP_ADDI, rd, rs1, 0, immI);
        case 1:
          if ((bits >> 26) != 0) break;
          return put(rec, OP_SLLI, rd, rs1, 0, shamt);
        case 2: return put(rec, OP_SLTI, rd, rs1, 0, immI);
        case 3: return put(rec, OP_SLTIU, rd, rs1, 0, immI);
        case 4: return put(rec, OP_XORI, rd, rs1, 0, immI);
        case 5:
          if ((bits >> 26) == 0) return put(rec, OP_SRLI, rd, rs1, 0, shamt);
          if ((bits >> 26) == 0x10) return put(rec, OP_SRAI, rd, rs1, 0, shamt);
          break;
        case 6: return put(rec, OP_ORI, rd, rs1, 0, immI);
        default: return put(rec, OP_ANDI, rd, rs1, 0, immI);
      }
      break;
    }
    case OPC_OP_IMM_32: {
      const shamt = <i32>((bits >> 20) & 31);
      if (f3 == 0) return put(rec, OP_ADDIW, rd, rs1, 0, immI);
      if (f3 == 1 && f7 == 0) return put(rec, OP_SLLIW, rd, rs1, 0, shamt);
      if (f3 == 5 && f7 == 0) return put(rec, OP_SRLIW, rd, rs1, 0, shamt);
      if (f3 == 5 && f7 == 0x20) return put(rec, OP_SRAIW, rd, rs1, 0, shamt);
      break;
    }
    case OPC_OP: {
      let op: u8 = OP_ILLEGAL;
      if (f7 == 0) {
        switch (f3) {
          case 0: op = OP_ADD; break;
          case 1: op = OP_SLL; break;
          case 2: op = OP_SLT; break;
          case 3: op = OP_SLTU; break;
          case 4: op = OP_XOR; break;
          case 5: op = OP_SRL; break;
          case 6: op = OP_OR; break;
          default: op = OP_AND;
        }
      } else if (f7 == 0x20) {
        if (f3 == 0) op = OP_SUB;
        else if (f3 == 5) op = OP_SRA;
      } else if (f7 == 1) {
        op = OP_MUL + <u8>f3;
      }
      if (op == OP_ILLEGAL) break;
      return put(rec, op, rd, rs1, rs2, 0);
    }
    case OPC_OP_32: {
      let op: u8 = OP_ILLEGAL;
      if (f7 == 0) {
        if (f3 == 0) op = OP_ADDW;
        else if (f3 == 1) op = OP_SLLW;
        else if (f3 == 5) op = OP_SRLW;
      } else if (f7 == 0x20) {
        if (f3 == 0) op = OP_SUBW;
        else if (f3 == 5) op = OP_SRAW;
      } else if (f7 == 1) {
        if (f3 == 0) op = OP_MULW;
        else if (f3 >= 4) op = OP_DIVW + <u8>(f3 - 4);
      }
      if (op == OP_ILLEGAL) break;
      return put(rec, op, rd, rs1, rs2, 0);
    }
    case OPC_AMO: {
      if (f3 != 2 && f3 != 3) break;
      const wide = f3 == 3;
      const funct5 = bits >> 27;
      let op: u8 = OP_ILLEGAL;
      if (funct5 == 0x02) {
        if (rs2 == 0) op = wide ? OP_LR_D : OP_LR_W;
      } else if (funct5 == 0x03) {
        op = wide ? OP_SC_D : OP_SC_W;
      } else {
        let kind: i32 = -1;
        switch (funct5) {
          case 0x01: kind = AMO_SWAP; break;
          case 0x00: kind = AMO_ADD; break;
          case 0x04: kind = AMO_XOR; break;
          case 0x0C: kind = AMO_AND; break;
          case 0x08: kind = AMO_OR; break;
          case 0x10: kind = AMO_MIN; break;
          case 0x14: kind = AMO_MAX; break;
          case 0x18: kind = AMO_MINU; break;
          case 0x1C: kind = AMO_MAXU; break;
          default: kind = -1;
        }
        if (kind >= 0) op = (wide ? OP_AMO_D : OP_AMO_W) + <u8>kind;
      }
      if (op == OP_ILLEGAL) break;
      return put(rec, op, rd, rs1, rs2, 0);
    }
    case OPC_LOAD_FP:
      if (f3 != 2 && f3 != 3) break;
      return putRaw(rec, f3 == 2 ? OP_FLW : OP_FLD, fregOffset(rd), xSrc(rs1), 0, immI);
    case OPC_STORE_FP: {
      if (f3 != 2 && f3 != 3) break;
      const immS = ((<i32>bits >> 25) << 5) | <i32>((bits >> 7) & 31);
      return putRaw(rec, f3 == 2 ? OP_FSW : OP_FSD, xDest(0), xSrc(rs1), fregOffset(rs2), immS);
    }
    case OPC_MADD: case OPC_MSUB: case OPC_NMSUB: case OPC_NMADD: case OPC_OP_FP: {
      const op = decodeFp(rec, bits, opc, rd, f3, rs1, rs2);
      if (op == OP_ILLEGAL) break;
      return op;
    }
    case OPC_MISC_MEM:
      if (f3 == 0) return put(rec, OP_FENCE, 0, 0, 0, 0);
      if (f3 == 1) return put(rec, OP_FENCE_I, 0, 0, 0, 0);
      break;
    case OPC_SYSTEM: {
      if (f3 == 0) {
        if (bits == INSN_ECALL) return put(rec, OP_ECALL, 0, 0, 0, 0);
        if (bits == INSN_EBREAK) return put(rec, OP_EBREAK, 0, 0, 0, 0);
        break;
      }
      const csr = bits >> 20;
      // fflags, frm, fcsr: every Zicsr form (the immediate forms carry
      // their uimm in the rs1 field, which fpexec.ts reads from the bits).
      if (csr >= CSR_FFLAGS && csr <= CSR_FCSR && f3 != 4) return putRaw(rec, OP_FCSR, xDest(rd), xSrc(rs1), 0, <i32>bits);
      // Zicsr on the read-only user counters: only the forms that do not
      // write (CSRRS/CSRRC with rs1 = x0, CSRRSI/CSRRCI with uimm = 0).
      if (f3 == 1 || f3 == 4 || f3 == 5 || rs1 != 0) break;
      if (csr == CSR_CYCLE) return put(rec, OP_RDCYCLE, rd, 0, 0, 0);
      if (csr == CSR_TIME) return put(rec, OP_RDTIME, rd, 0, 0, 0);
      if (csr == CSR_INSTRET) return put(rec, OP_RDINSTRET, rd, 0, 0, 0);
      break;
    }
    default: break;
  }
  return put(rec, OP_ILLEGAL, 0, 0, 0, <i32>trapBits);
}

/**
 * Decodes the instruction whose first halfword is at `host` (length from
 * its low bits) into rec. A 32-bit instruction's upper halfword comes from
 * `upper`, so a caller can supply it from another page.
 */
export function decodeHalves(rec: usize, low: u32, upper: u32, pcOff: u32, index: u32): u8 {
  if ((low & 3) != 3) {
    const expanded = expandCompressed(low);
    if (expanded == ILLEGAL_EXPANSION) {
      store<u8>(rec, 2, 1);
      store<u16>(rec, <u16>pcOff, 12);
      store<u16>(rec, <u16>index, 14);
      return put(rec, OP_ILLEGAL, 0, 0, 0, <i32>low);
    }
    return decodeInto(rec, expanded, low, 2, pcOff, index);
  }
  const bits = low | (upper << 16);
  return decodeInto(rec, bits, bits, 4, pcOff, index);
}

/** Writes the closing OP_END record of a block that falls through at pcOff. */
export function putEnd(rec: usize, pcOff: u32, index: u32): void {
  store<u8>(rec, 0, 1);
  store<u16>(rec, <u16>pcOff, 12);
  store<u16>(rec, <u16>index, 14);
  put(rec, OP_END, 0, 0, 0, 0);
}

/** The op a fused op starts with (the op itself when it is not fused). */
export function fusedFirst(op: u8): u8 {
  if (op == OP_SLLI_ADD_LW || op == OP_SLLI_ADD) return OP_SLLI;
  if (op == OP_ADD_LW || op == OP_ADD_LBU) return OP_ADD;
  if (op == OP_ADDI_ADDI) return OP_ADDI;
  return op;
}

/** How many following records a fused op runs (0 for a plain op). */
export function fusedExtra(op: u8): u32 {
  if (op == OP_SLLI_ADD_LW) return 2;
  return op >= OP_SLLI_ADD && op < OP_FUSED_END ? 1 : 0;
}

/**
 * Fuses common sequences among the first `count` records at rec (never
 * into the closing record): each group's first record gets the fused op.
 */
export function fuseBlock(rec: usize, count: u32): void {
  let i: u32 = 0;
  while (i + 1 < count) {
    const r = rec + <usize>i * RECORD_SIZE;
    const a = recOp(r), b = recOp(r + RECORD_SIZE);
    const c = i + 2 < count ? recOp(r + 2 * RECORD_SIZE) : OP_END;
    let fused: u8 = a;
    if (a == OP_SLLI && b == OP_ADD) fused = c == OP_LW ? OP_SLLI_ADD_LW : OP_SLLI_ADD;
    else if (a == OP_ADD && b == OP_LW) fused = OP_ADD_LW;
    else if (a == OP_ADD && b == OP_LBU) fused = OP_ADD_LBU;
    else if (a == OP_ADDI && b == OP_ADDI) fused = OP_ADDI_ADDI;
    store<u8>(r, fused);
    i += 1 + fusedExtra(fused);
  }
}

/**
 * Undoes the fusions that reach past the first `count` records (for a copy
 * of a block cut to the budget).
 */
export function unfuseTail(rec: usize, count: u32): void {
  let i: u32 = 0;
  while (i < count) {
    const r = rec + <usize>i * RECORD_SIZE;
    const extra = fusedExtra(recOp(r));
    if (i + extra >= count) { store<u8>(r, fusedFirst(recOp(r))); return; }
    i += 1 + extra;
  }
}

/**
 * Decodes and caches the block starting at physical address pa. The caller
 * guarantees the first instruction does not straddle the frame's end. With
 * breakpoints set (debug.ts), an instruction at a breakpoint starts a block
 * of its own, whose header count is BREAK_BLOCK.
 */
export function decodeBlock(pa: usize): usize {
  const block = blockReserve();
  let rec = block + BLOCK_HEADER;
  const start = <u32>pa & 0xFFF;
  const frame = pa & ~<usize>0xFFF;
  let off = start;
  let count: u32 = 0;
  const breaks = breakCount() != 0;
  while (count < BLOCK_MAX_INSNS && off < 0x1000) {
    if (breaks && count > 0 && breakAtPa(frame + <usize>off)) break;
    const low = <u32>load<u16>(frame + <usize>off);
    if ((low & 3) == 3 && off == 0xFFE) break; // straddles: starts a block of its own
    const upper = (low & 3) == 3 ? <u32>load<u16>(frame + <usize>off + 2) : 0;
    const op = decodeHalves(rec, low, upper, off - start, count);
    off += recLen(rec);
    rec += RECORD_SIZE;
    count++;
    if (opEndsBlock(op)) break;
  }
  putEnd(rec, off - start, count);
  fuseBlock(block + BLOCK_HEADER, count);
  blockCommit(block, pa, count);
  if (breaks && breakAtPa(pa)) store<u32>(block, BREAK_BLOCK);
  return block;
}
