// A compact RV64IMAC + Zicsr + Zifencei disassembler for traces: one
// instruction (16 or 32 bits) to text, in the assembler's own syntax with
// ABI register names, so `assemble(disassemble(bits))` gives the bits back
// (branch and jump targets are printed as `.+offset` / `.-offset`).

import { registerName as x } from "./asm.js";

const sext = (v: number, bits: number): number => (v << (32 - bits)) >> (32 - bits);
const b = (v: number, hi: number, lo = hi): number => (v >>> lo) & ((1 << (hi - lo + 1)) - 1);
const rel = (off: number): string => (off < 0 ? `.-${-off}` : `.+${off}`);

const CSR_NAMES: Record<number, string> = { 0xc00: "cycle", 0xc01: "time", 0xc02: "instret" };

/** Length in bytes of the instruction whose low 16 bits are `lo`. */
export const instructionLength = (lo: number): 2 | 4 => ((lo & 3) === 3 ? 4 : 2);

export function disassemble(bits: number): string {
  return (bits & 3) === 3 ? disasm32(bits >>> 0) : disasm16(bits & 0xffff);
}

function disasm32(i: number): string {
  const op = i & 0x7f;
  const rd = x(b(i, 11, 7));
  const rs1 = x(b(i, 19, 15));
  const rs2 = x(b(i, 24, 20));
  const f3 = b(i, 14, 12);
  const f7 = b(i, 31, 25);
  const immI = sext(i >>> 20, 12);
  const immS = sext((b(i, 31, 25) << 5) | b(i, 11, 7), 12);
  const bad = `.word 0x${i.toString(16).padStart(8, "0")}`;
  switch (op) {
    case 0x37: return `lui ${rd}, 0x${(i >>> 12).toString(16)}`;
    case 0x17: return `auipc ${rd}, 0x${(i >>> 12).toString(16)}`;
    case 0x6f: {
      const off = sext((b(i, 31) << 20) | (b(i, 19, 12) << 12) | (b(i, 20) << 11) | (b(i, 30, 21) << 1), 21);
      return `jal ${rd}, ${rel(off)}`;
    }
    case 0x67: return f3 === 0 ? `jalr ${rd}, ${immI}(${rs1})` : bad;
    case 0x63: {
      const name = ["beq", "bne", "", "", "blt", "bge", "bltu", "bgeu"][f3];
      const off = sext((b(i, 31) << 12) | (b(i, 7) << 11) | (b(i, 30, 25) << 5) | (b(i, 11, 8) << 1), 13);
      return name ? `${name} ${rs1}, ${rs2}, ${rel(off)}` : bad;
    }
    case 0x03: {
      const name = ["lb", "lh", "lw", "ld", "lbu", "lhu", "lwu"][f3];
      return name ? `${name} ${rd}, ${immI}(${rs1})` : bad;
    }
    case 0x23: {
      const name = ["sb", "sh", "sw", "sd"][f3];
      return name ? `${name} ${rs2}, ${immS}(${rs1})` : bad;
    }
    case 0x13: {
      if (f3 === 1) return f7 >> 1 === 0 ? `slli ${rd}, ${rs1}, ${b(i, 25, 20)}` : bad;
      if (f3 === 5) return f7 >> 1 === 0 ? `srli ${rd}, ${rs1}, ${b(i, 25, 20)}` : f7 >> 1 === 0x10 ? `srai ${rd}, ${rs1}, ${b(i, 25, 20)}` : bad;
      return `${["addi", "", "slti", "sltiu", "xori", "", "ori", "andi"][f3]} ${rd}, ${rs1}, ${immI}`;
    }
    case 0x1b:
      if (f3 === 0) return `addiw ${rd}, ${rs1}, ${immI}`;
      if (f3 === 1 && f7 === 0) return `slliw ${rd}, ${rs1}, ${b(i, 24, 20)}`;
      if (f3 === 5 && f7 === 0) return `srliw ${rd}, ${rs1}, ${b(i, 24, 20)}`;
      if (f3 === 5 && f7 === 0x20) return `sraiw ${rd}, ${rs1}, ${b(i, 24, 20)}`;
      return bad;
    case 0x33: case 0x3b: {
      const w = op === 0x3b;
      let name: string | undefined;
      if (f7 === 1) name = w ? ["mulw", "", "", "", "divw", "divuw", "remw", "remuw"][f3] : ["mul", "mulh", "mulhsu", "mulhu", "div", "divu", "rem", "remu"][f3];
      else if (f7 === 0) name = w ? ["addw", "sllw", "", "", "", "srlw", "", ""][f3] : ["add", "sll", "slt", "sltu", "xor", "srl", "or", "and"][f3];
      else if (f7 === 0x20) name = w ? ["subw", "", "", "", "", "sraw", "", ""][f3] : ["sub", "", "", "", "", "sra", "", ""][f3];
      return name ? `${name} ${rd}, ${rs1}, ${rs2}` : bad;
    }
    case 0x0f:
      if (f3 === 1) return b(i, 31, 15) === 0 && b(i, 11, 7) === 0 ? "fence.i" : bad;
      if (i === 0x8330000f) return "fence.tso";
      if (f3 === 0 && b(i, 31, 28) === 0 && b(i, 19, 7) === 0) {
        const set = (v: number): string => ["i", "o", "r", "w"].filter((_, k) => v & (8 >> k)).join("") || "0";
        return `fence ${set(b(i, 27, 24))}, ${set(b(i, 23, 20))}`;
      }
      return bad;
    case 0x73: {
      if (i === 0x00000073) return "ecall";
      if (i === 0x00100073) return "ebreak";
      const csr = i >>> 20;
      const name = CSR_NAMES[csr] ?? `0x${csr.toString(16)}`;
      const m = ["", "csrrw", "csrrs", "csrrc", "", "csrrwi", "csrrsi", "csrrci"][f3];
      if (!m) return bad;
      return `${m} ${rd}, ${name}, ${f3 >= 5 ? b(i, 19, 15) : rs1}`;
    }
    case 0x2f: {
      const width = f3 === 2 ? "w" : f3 === 3 ? "d" : "";
      const names: Record<number, string> = { 0x02: "lr", 0x03: "sc", 0x01: "amoswap", 0x00: "amoadd", 0x04: "amoxor", 0x0c: "amoand", 0x08: "amoor", 0x10: "amomin", 0x14: "amomax", 0x18: "amominu", 0x1c: "amomaxu" };
      const name = names[b(i, 31, 27)];
      if (!width || !name) return bad;
      const ord = ["", ".rl", ".aq", ".aqrl"][b(i, 26, 25)];
      if (name === "lr") return b(i, 24, 20) === 0 ? `lr.${width}${ord} ${rd}, (${rs1})` : bad;
      return `${name}.${width}${ord} ${rd}, ${rs2}, (${rs1})`;
    }
  }
  return bad;
}

function disasm16(i: number): string {
  const q = i & 3;
  const f3 = b(i, 15, 13);
  const rdp = x(b(i, 4, 2) + 8);
  const rs1p = x(b(i, 9, 7) + 8);
  const rd = b(i, 11, 7);
  const rs2 = b(i, 6, 2);
  const imm6 = sext((b(i, 12) << 5) | b(i, 6, 2), 6);
  const bad = `.half 0x${i.toString(16).padStart(4, "0")}`;
  if (i === 0) return `${bad} # illegal`;
  if (q === 0) {
    switch (f3) {
      case 0: {
        const imm = (b(i, 10, 7) << 6) | (b(i, 12, 11) << 4) | (b(i, 5) << 3) | (b(i, 6) << 2);
        return imm ? `c.addi4spn ${rdp}, sp, ${imm}` : bad;
      }
      case 2: return `c.lw ${rdp}, ${(b(i, 5) << 6) | (b(i, 12, 10) << 3) | (b(i, 6) << 2)}(${rs1p})`;
      case 3: return `c.ld ${rdp}, ${(b(i, 6, 5) << 6) | (b(i, 12, 10) << 3)}(${rs1p})`;
      case 6: return `c.sw ${rdp}, ${(b(i, 5) << 6) | (b(i, 12, 10) << 3) | (b(i, 6) << 2)}(${rs1p})`;
      case 7: return `c.sd ${rdp}, ${(b(i, 6, 5) << 6) | (b(i, 12, 10) << 3)}(${rs1p})`;
    }
    return bad;
  }
  if (q === 1) {
    switch (f3) {
      case 0: return rd === 0 ? (imm6 === 0 ? "c.nop" : bad) : imm6 ? `c.addi ${x(rd)}, ${imm6}` : bad;
      case 1: return rd ? `c.addiw ${x(rd)}, ${imm6}` : bad;
      case 2: return rd ? `c.li ${x(rd)}, ${imm6}` : bad;
      case 3:
        if (rd === 2) {
          const imm = sext((b(i, 12) << 9) | (b(i, 4, 3) << 7) | (b(i, 5) << 6) | (b(i, 2) << 5) | (b(i, 6) << 4), 10);
          return imm ? `c.addi16sp sp, ${imm}` : bad;
        }
        return rd && imm6 ? `c.lui ${x(rd)}, 0x${(imm6 & 0xfffff).toString(16)}` : bad;
      case 4: {
        const f2 = b(i, 11, 10);
        const sh = (b(i, 12) << 5) | b(i, 6, 2);
        if (f2 === 0) return sh ? `c.srli ${rs1p}, ${sh}` : bad;
        if (f2 === 1) return sh ? `c.srai ${rs1p}, ${sh}` : bad;
        if (f2 === 2) return `c.andi ${rs1p}, ${imm6}`;
        const name = b(i, 12) ? ["c.subw", "c.addw", "", ""][b(i, 6, 5)] : ["c.sub", "c.xor", "c.or", "c.and"][b(i, 6, 5)];
        return name ? `${name} ${rs1p}, ${rdp}` : bad;
      }
      case 5: {
        const off = sext((b(i, 12) << 11) | (b(i, 8) << 10) | (b(i, 10, 9) << 8) | (b(i, 6) << 7) | (b(i, 7) << 6) | (b(i, 2) << 5) | (b(i, 11) << 4) | (b(i, 5, 3) << 1), 12);
        return `c.j ${rel(off)}`;
      }
      case 6: case 7: {
        const off = sext((b(i, 12) << 8) | (b(i, 6, 5) << 6) | (b(i, 2) << 5) | (b(i, 11, 10) << 3) | (b(i, 4, 3) << 1), 9);
        return `${f3 === 6 ? "c.beqz" : "c.bnez"} ${rs1p}, ${rel(off)}`;
      }
    }
    return bad;
  }
  if (q === 2) {
    switch (f3) {
      case 0: {
        const sh = (b(i, 12) << 5) | rs2;
        return rd && sh ? `c.slli ${x(rd)}, ${sh}` : bad;
      }
      case 2: return rd ? `c.lwsp ${x(rd)}, ${(b(i, 3, 2) << 6) | (b(i, 12) << 5) | (b(i, 6, 4) << 2)}(sp)` : bad;
      case 3: return rd ? `c.ldsp ${x(rd)}, ${(b(i, 4, 2) << 6) | (b(i, 12) << 5) | (b(i, 6, 5) << 3)}(sp)` : bad;
      case 4:
        if (b(i, 12) === 0) return rs2 === 0 ? (rd ? `c.jr ${x(rd)}` : bad) : rd ? `c.mv ${x(rd)}, ${x(rs2)}` : bad;
        if (rs2 === 0) return rd === 0 ? "c.ebreak" : `c.jalr ${x(rd)}`;
        return rd ? `c.add ${x(rd)}, ${x(rs2)}` : bad;
      case 6: return `c.swsp ${x(rs2)}, ${(b(i, 8, 7) << 6) | (b(i, 12, 9) << 2)}(sp)`;
      case 7: return `c.sdsp ${x(rs2)}, ${(b(i, 9, 7) << 6) | (b(i, 12, 10) << 3)}(sp)`;
    }
  }
  return bad;
}
