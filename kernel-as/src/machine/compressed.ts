// RV64C: every 16-bit encoding is expanded into the 32-bit instruction it
// stands for, so a compressed instruction executes through exactly the same
// decoded operation as its base form (only its length, 2, differs).
// Reserved encodings and the all-zero halfword expand to ILLEGAL_EXPANSION;
// HINT encodings expand to their base form, which writes x0 or nothing. The
// double-precision forms (C.FLD, C.FSD, C.FLDSP, C.FSDSP) expand to FLD and
// FSD; RV64 has no compressed single-precision loads or stores.

import {
  OPC_LOAD, OPC_OP_IMM, OPC_OP_IMM_32, OPC_STORE, OPC_OP, OPC_LUI, OPC_OP_32, OPC_BRANCH, OPC_JALR, OPC_JAL,
  OPC_LOAD_FP, OPC_STORE_FP,
} from "./opcodes";

/** Returned for an encoding that must raise illegal instruction. */
export const ILLEGAL_EXPANSION: u32 = 0;

const EBREAK: u32 = 0x0010_0073;
const REG_RA: u32 = 1;
const REG_SP: u32 = 2;

// @ts-ignore: decorator
@inline function encR(f7: u32, rs2: u32, rs1: u32, f3: u32, rd: u32, opc: u32): u32 {
  return (f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | opc;
}
// @ts-ignore: decorator
@inline function encI(imm: i32, rs1: u32, f3: u32, rd: u32, opc: u32): u32 {
  return ((<u32>imm & 0xFFF) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | opc;
}
// @ts-ignore: decorator
@inline function encS(imm: i32, rs2: u32, rs1: u32, f3: u32, opc: u32 = OPC_STORE): u32 {
  const u = <u32>imm;
  return (((u >> 5) & 0x7F) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((u & 0x1F) << 7) | opc;
}
// @ts-ignore: decorator
@inline function encB(imm: i32, rs2: u32, rs1: u32, f3: u32): u32 {
  const u = <u32>imm;
  return (((u >> 12) & 1) << 31) | (((u >> 5) & 0x3F) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12)
    | (((u >> 1) & 0xF) << 8) | (((u >> 11) & 1) << 7) | OPC_BRANCH;
}
// @ts-ignore: decorator
@inline function encJ(imm: i32, rd: u32): u32 {
  const u = <u32>imm;
  return (((u >> 20) & 1) << 31) | (((u >> 1) & 0x3FF) << 21) | (((u >> 11) & 1) << 20)
    | (((u >> 12) & 0xFF) << 12) | (rd << 7) | OPC_JAL;
}
// @ts-ignore: decorator
@inline function bit(h: u32, n: u32): u32 { return (h >> n) & 1; }
// @ts-ignore: decorator
@inline function sext(value: u32, bits: u32): i32 { return (<i32>(value << (32 - bits))) >> (32 - bits); }

/** The 32-bit instruction a 16-bit one stands for, or ILLEGAL_EXPANSION. */
export function expandCompressed(h: u32): u32 {
  const quadrant = h & 3;
  const f3 = (h >> 13) & 7;
  const rd = (h >> 7) & 31;       // rd / rs1, full register
  const rs2 = (h >> 2) & 31;      // rs2, full register
  const rdc = 8 + ((h >> 2) & 7); // rd' / rs2' in bits 4:2
  const rs1c = 8 + ((h >> 7) & 7); // rs1' / rd' in bits 9:7
  const imm6 = sext((bit(h, 12) << 5) | ((h >> 2) & 31), 6);
  const shamt = (bit(h, 12) << 5) | ((h >> 2) & 31);
  if (quadrant == 0) {
    switch (f3) {
      case 0: { // C.ADDI4SPN; nzuimm == 0 (and the all-zero halfword) is reserved
        const nzuimm = (((h >> 11) & 3) << 4) | (((h >> 7) & 0xF) << 6) | (bit(h, 6) << 2) | (bit(h, 5) << 3);
        if (nzuimm == 0) return ILLEGAL_EXPANSION;
        return encI(<i32>nzuimm, REG_SP, 0, rdc, OPC_OP_IMM);
      }
      case 2: { // C.LW
        const uimm = (((h >> 10) & 7) << 3) | (bit(h, 6) << 2) | (bit(h, 5) << 6);
        return encI(<i32>uimm, rs1c, 2, rdc, OPC_LOAD);
      }
      case 1: { // C.FLD
        const uimm = (((h >> 10) & 7) << 3) | (((h >> 5) & 3) << 6);
        return encI(<i32>uimm, rs1c, 3, rdc, OPC_LOAD_FP);
      }
      case 3: { // C.LD
        const uimm = (((h >> 10) & 7) << 3) | (((h >> 5) & 3) << 6);
        return encI(<i32>uimm, rs1c, 3, rdc, OPC_LOAD);
      }
      case 5: { // C.FSD
        const uimm = (((h >> 10) & 7) << 3) | (((h >> 5) & 3) << 6);
        return encS(<i32>uimm, rdc, rs1c, 3, OPC_STORE_FP);
      }
      case 6: { // C.SW
        const uimm = (((h >> 10) & 7) << 3) | (bit(h, 6) << 2) | (bit(h, 5) << 6);
        return encS(<i32>uimm, rdc, rs1c, 2);
      }
      case 7: { // C.SD
        const uimm = (((h >> 10) & 7) << 3) | (((h >> 5) & 3) << 6);
        return encS(<i32>uimm, rdc, rs1c, 3);
      }
      default: return ILLEGAL_EXPANSION; // 4: reserved
    }
  }
  if (quadrant == 1) {
    switch (f3) {
      case 0: return encI(imm6, rd, 0, rd, OPC_OP_IMM); // C.ADDI (C.NOP, HINTs)
      case 1: // C.ADDIW; rd == 0 is reserved
        if (rd == 0) return ILLEGAL_EXPANSION;
        return encI(imm6, rd, 0, rd, OPC_OP_IMM_32);
      case 2: return encI(imm6, 0, 0, rd, OPC_OP_IMM); // C.LI
      case 3: {
        if (rd == REG_SP) { // C.ADDI16SP; nzimm == 0 is reserved
          const raw = (bit(h, 12) << 9) | (bit(h, 6) << 4) | (bit(h, 5) << 6) | (((h >> 3) & 3) << 7) | (bit(h, 2) << 5);
          if (raw == 0) return ILLEGAL_EXPANSION;
          return encI(sext(raw, 10), REG_SP, 0, REG_SP, OPC_OP_IMM);
        }
        // C.LUI; nzimm == 0 is reserved
        const raw = (bit(h, 12) << 17) | (((h >> 2) & 31) << 12);
        if (raw == 0) return ILLEGAL_EXPANSION;
        return (<u32>sext(raw, 18) & 0xFFFF_F000) | (rd << 7) | OPC_LUI;
      }
      case 4: {
        const f2 = (h >> 10) & 3;
        if (f2 == 0) return encI(<i32>shamt, rs1c, 5, rs1c, OPC_OP_IMM);           // C.SRLI
        if (f2 == 1) return encI(<i32>(0x400 | shamt), rs1c, 5, rs1c, OPC_OP_IMM); // C.SRAI
        if (f2 == 2) return encI(imm6, rs1c, 7, rs1c, OPC_OP_IMM);                 // C.ANDI
        const f = (h >> 5) & 3;
        if (bit(h, 12) == 0) {
          if (f == 0) return encR(0x20, rdc, rs1c, 0, rs1c, OPC_OP); // C.SUB
          if (f == 1) return encR(0, rdc, rs1c, 4, rs1c, OPC_OP);    // C.XOR
          if (f == 2) return encR(0, rdc, rs1c, 6, rs1c, OPC_OP);    // C.OR
          return encR(0, rdc, rs1c, 7, rs1c, OPC_OP);                // C.AND
        }
        if (f == 0) return encR(0x20, rdc, rs1c, 0, rs1c, OPC_OP_32); // C.SUBW
        if (f == 1) return encR(0, rdc, rs1c, 0, rs1c, OPC_OP_32);    // C.ADDW
        return ILLEGAL_EXPANSION;                                     // reserved
      }
      case 5: { // C.J
        const raw = (bit(h, 12) << 11) | (bit(h, 11) << 4) | (((h >> 9) & 3) << 8) | (bit(h, 8) << 10)
          | (bit(h, 7) << 6) | (bit(h, 6) << 7) | (((h >> 3) & 7) << 1) | (bit(h, 2) << 5);
        return encJ(sext(raw, 12), 0);
      }
      default: { // 6: C.BEQZ, 7: C.BNEZ
        const raw = (bit(h, 12) << 8) | (((h >> 10) & 3) << 3) | (((h >> 5) & 3) << 6) | (((h >> 3) & 3) << 1) | (bit(h, 2) << 5);
        return encB(sext(raw, 9), 0, rs1c, f3 == 6 ? 0 : 1);
      }
    }
  }
  if (quadrant == 2) {
    switch (f3) {
      case 0: return encI(<i32>shamt, rd, 1, rd, OPC_OP_IMM); // C.SLLI (HINTs when rd == 0)
      case 1: { // C.FLDSP (any rd)
        const uimm = (bit(h, 12) << 5) | (((h >> 5) & 3) << 3) | (((h >> 2) & 7) << 6);
        return encI(<i32>uimm, REG_SP, 3, rd, OPC_LOAD_FP);
      }
      case 5: { // C.FSDSP
        const uimm = (((h >> 10) & 7) << 3) | (((h >> 7) & 7) << 6);
        return encS(<i32>uimm, rs2, REG_SP, 3, OPC_STORE_FP);
      }
      case 2: { // C.LWSP; rd == 0 is reserved
        if (rd == 0) return ILLEGAL_EXPANSION;
        const uimm = (bit(h, 12) << 5) | (((h >> 4) & 7) << 2) | (((h >> 2) & 3) << 6);
        return encI(<i32>uimm, REG_SP, 2, rd, OPC_LOAD);
      }
      case 3: { // C.LDSP; rd == 0 is reserved
        if (rd == 0) return ILLEGAL_EXPANSION;
        const uimm = (bit(h, 12) << 5) | (((h >> 5) & 3) << 3) | (((h >> 2) & 7) << 6);
        return encI(<i32>uimm, REG_SP, 3, rd, OPC_LOAD);
      }
      case 4: {
        if (bit(h, 12) == 0) {
          if (rs2 == 0) { // C.JR; rs1 == 0 is reserved
            if (rd == 0) return ILLEGAL_EXPANSION;
            return encI(0, rd, 0, 0, OPC_JALR);
          }
          return encR(0, rs2, 0, 0, rd, OPC_OP); // C.MV
        }
        if (rs2 == 0) {
          if (rd == 0) return EBREAK;              // C.EBREAK
          return encI(0, rd, 0, REG_RA, OPC_JALR); // C.JALR
        }
        return encR(0, rs2, rd, 0, rd, OPC_OP);    // C.ADD
      }
      case 6: { // C.SWSP
        const uimm = (((h >> 9) & 0xF) << 2) | (((h >> 7) & 3) << 6);
        return encS(<i32>uimm, rs2, REG_SP, 2);
      }
      case 7: { // C.SDSP
        const uimm = (((h >> 10) & 7) << 3) | (((h >> 7) & 7) << 6);
        return encS(<i32>uimm, rs2, REG_SP, 3);
      }
      default: return ILLEGAL_EXPANSION;
    }
  }
  return ILLEGAL_EXPANSION; // quadrant 3 is not a 16-bit instruction
}
