// RV64C: every one of the 65536 halfwords is checked against a reference
// expansion written here from the specification's tables (as a list of
// bit-field scatterings, a different shape from machine/compressed.ts), and
// a sample of them is executed both as the 16-bit instruction and as its
// 32-bit form, comparing the architectural effect.

import { describe, expect, it } from "vitest";
import { Machine, CAUSE, DATA, TEXT, u64 } from "./hart/support.js";

type Field = [from: number, width: number, to: number]; // instruction bits [from, from+width) -> value bit `to`
const gather = (h: number, fields: Field[]): number =>
  fields.reduce((v, [from, width, to]) => v | (((h >>> from) & ((1 << width) - 1)) << to), 0);
const sx = (v: number, bits: number): number => (v << (32 - bits)) >> (32 - bits);

const I = (imm: number, rs1: number, f3: number, rd: number, opc: number) =>
  (((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | opc) >>> 0;
const S = (imm: number, rs2: number, rs1: number, f3: number, opc = 0x23) =>
  ((((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 0x1f) << 7) | opc) >>> 0;
const R = (f7: number, rs2: number, rs1: number, f3: number, rd: number, opc: number) =>
  ((f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | opc) >>> 0;
const B = (imm: number, rs1: number, f3: number) =>
  ((((imm >> 12) & 1) << 31) | (((imm >> 5) & 0x3f) << 25) | (rs1 << 15) | (f3 << 12) | (((imm >> 1) & 0xf) << 8)
    | (((imm >> 11) & 1) << 7) | 0x63) >>> 0;
const J = (imm: number, rd: number) =>
  ((((imm >> 20) & 1) << 31) | (((imm >> 1) & 0x3ff) << 21) | (((imm >> 11) & 1) << 20) | (((imm >> 12) & 0xff) << 12)
    | (rd << 7) | 0x6f) >>> 0;

// Immediate layouts, from the RVC chapter's instruction-format figures.
const UIMM_LW: Field[] = [[10, 3, 3], [6, 1, 2], [5, 1, 6]];
const UIMM_LD: Field[] = [[10, 3, 3], [5, 2, 6]];
const NZUIMM_4SPN: Field[] = [[11, 2, 4], [7, 4, 6], [6, 1, 2], [5, 1, 3]];
const IMM6: Field[] = [[2, 5, 0], [12, 1, 5]];
const NZIMM_16SP: Field[] = [[12, 1, 9], [6, 1, 4], [5, 1, 6], [3, 2, 7], [2, 1, 5]];
const NZIMM_LUI: Field[] = [[12, 1, 17], [2, 5, 12]];
const IMM_J: Field[] = [[12, 1, 11], [11, 1, 4], [9, 2, 8], [8, 1, 10], [7, 1, 6], [6, 1, 7], [3, 3, 1], [2, 1, 5]];
const IMM_B: Field[] = [[12, 1, 8], [10, 2, 3], [5, 2, 6], [3, 2, 1], [2, 1, 5]];
const UIMM_LWSP: Field[] = [[12, 1, 5], [4, 3, 2], [2, 2, 6]];
const UIMM_LDSP: Field[] = [[12, 1, 5], [5, 2, 3], [2, 3, 6]];
const UIMM_SWSP: Field[] = [[9, 4, 2], [7, 2, 6]];
const UIMM_SDSP: Field[] = [[10, 3, 3], [7, 3, 6]];

/** The 32-bit instruction a halfword stands for, or null when it must be illegal. */
export function referenceExpand(h: number): number | null {
  const q = h & 3, f3 = h >>> 13, b12 = (h >>> 12) & 1;
  const rd = (h >>> 7) & 31, rs2 = (h >>> 2) & 31, rdp = 8 + ((h >>> 2) & 7), rs1p = 8 + ((h >>> 7) & 7);
  if (q === 3) return null;
  const key = `${q}:${f3}`;
  switch (key) {
    case "0:0": { const n = gather(h, NZUIMM_4SPN); return n ? I(n, 2, 0, rdp, 0x13) : null; }
    case "0:1": return I(gather(h, UIMM_LD), rs1p, 3, rdp, 0x07); // c.fld
    case "0:5": return S(gather(h, UIMM_LD), rdp, rs1p, 3, 0x27); // c.fsd
    case "2:1": return I(gather(h, UIMM_LDSP), 2, 3, rd, 0x07); // c.fldsp, any rd
    case "2:5": return S(gather(h, UIMM_SDSP), rs2, 2, 3, 0x27); // c.fsdsp
    case "0:2": return I(gather(h, UIMM_LW), rs1p, 2, rdp, 0x03);
    case "0:3": return I(gather(h, UIMM_LD), rs1p, 3, rdp, 0x03);
    case "0:6": return S(gather(h, UIMM_LW), rdp, rs1p, 2);
    case "0:7": return S(gather(h, UIMM_LD), rdp, rs1p, 3);
    case "1:0": return I(sx(gather(h, IMM6), 6), rd, 0, rd, 0x13);
    case "1:1": return rd ? I(sx(gather(h, IMM6), 6), rd, 0, rd, 0x1b) : null;
    case "1:2": return I(sx(gather(h, IMM6), 6), 0, 0, rd, 0x13);
    case "1:3": {
      if (rd === 2) { const n = gather(h, NZIMM_16SP); return n ? I(sx(n, 10), 2, 0, 2, 0x13) : null; }
      const n = gather(h, NZIMM_LUI);
      return n ? (((sx(n, 18) & 0xfffff000) | (rd << 7) | 0x37) >>> 0) : null;
    }
    case "1:4": {
      const f2 = (h >>> 10) & 3, sh = gather(h, IMM6);
      if (f2 === 0) return I(sh, rs1p, 5, rs1p, 0x13);
      if (f2 === 1) return I(0x400 | sh, rs1p, 5, rs1p, 0x13);
      if (f2 === 2) return I(sx(sh, 6), rs1p, 7, rs1p, 0x13);
      const f = (h >>> 5) & 3;
      if (!b12) return [R(0x20, rdp, rs1p, 0, rs1p, 0x33), R(0, rdp, rs1p, 4, rs1p, 0x33), R(0, rdp, rs1p, 6, rs1p, 0x33), R(0, rdp, rs1p, 7, rs1p, 0x33)][f]!;
      return f === 0 ? R(0x20, rdp, rs1p, 0, rs1p, 0x3b) : f === 1 ? R(0, rdp, rs1p, 0, rs1p, 0x3b) : null;
    }
    case "1:5": return J(sx(gather(h, IMM_J), 12), 0);
    case "1:6": return B(sx(gather(h, IMM_B), 9), rs1p, 0);
    case "1:7": return B(sx(gather(h, IMM_B), 9), rs1p, 1);
    case "2:0": return I(gather(h, IMM6), rd, 1, rd, 0x13);
    case "2:2": return rd ? I(gather(h, UIMM_LWSP), 2, 2, rd, 0x03) : null;
    case "2:3": return rd ? I(gather(h, UIMM_LDSP), 2, 3, rd, 0x03) : null;
    case "2:4":
      if (!b12) return rs2 ? R(0, rs2, 0, 0, rd, 0x33) : rd ? I(0, rd, 0, 0, 0x67) : null;
      if (!rs2) return rd ? I(0, rd, 0, 1, 0x67) : 0x00100073;
      return R(0, rs2, rd, 0, rd, 0x33);
    case "2:6": return S(gather(h, UIMM_SWSP), rs2, 2, 2);
    case "2:7": return S(gather(h, UIMM_SDSP), rs2, 2, 3);
    default: return null; // quadrant 0 funct3 4
  }
}

/** Control transfers: their effect depends on the instruction length. */
const isControl = (h: number) => ((h & 3) === 1 && (h >>> 13) >= 5) || ((h & 3) === 2 && (h >>> 13) === 4 && ((h >>> 2) & 31) === 0);

describe("RV64C expansion", () => {
  it("expands all 65536 halfwords exactly as the reference tables do", () => {
    const m = new Machine();
    let legal = 0;
    for (let h = 0; h < 0x10000; h++) {
      if ((h & 3) === 3) continue;
      const want = referenceExpand(h);
      const got = m.h.expandCompressed(h) >>> 0;
      if (want === null) {
        if (got !== 0) expect.fail(`halfword ${h.toString(16)} should be illegal, expanded to ${got.toString(16)}`);
      } else {
        legal++;
        if (got !== want) expect.fail(`halfword ${h.toString(16)}: expanded ${got.toString(16)}, reference ${want.toString(16)}`);
      }
    }
    expect(legal).toBe(46743); // every quadrant 0-2 encoding minus the reserved ones
  });

  it("executes each sampled compressed instruction with the same effect as its 32-bit form", () => {
    const m = new Machine();
    m.load("nop\nnop\necall");
    let seed = 12345;
    const rand = () => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed; };
    const rand64 = () => (BigInt(rand()) << 32n) | BigInt(rand());
    const run = (insn: Uint8Array, regs: bigint[], mem: Uint8Array) => {
      m.writeVa(TEXT, insn);
      m.h.hartInvalidateCode(m.pa(TEXT), 8);
      m.bytes(m.pa(DATA), 0x1000).set(mem);
      for (let r = 1; r < 32; r++) m.setReg(r, regs[r]!);
      for (let r = 0; r < 32; r++) m.setFreg(r, regs[r]! ^ 0x5555n);
      m.h.hartSetPc(m.ctx, TEXT);
      const cause = m.run(1);
      return {
        cause, tval: cause === CAUSE.BUDGET ? 0n : m.tval(),
        regs: Array.from({ length: 32 }, (_, r) => m.reg(r)), mem: m.bytes(m.pa(DATA), 0x1000).slice(),
        fregs: Array.from({ length: 32 }, (_, r) => m.freg(r)),
        pcDelta: m.pc() - TEXT,
      };
    };
    let compared = 0;
    for (let n = 0; n < 6000; n++) {
      const h = rand() & 0xffff;
      const wide = referenceExpand(h);
      if (wide === null || (h & 3) === 3 || isControl(h)) continue;
      // Registers: random, but the address registers point into the data page often enough.
      const regs = Array.from({ length: 32 }, () => ((rand() & 3) !== 0 ? DATA + BigInt(rand() & 0x7f8) : rand64()));
      const mem = new Uint8Array(0x1000).map(() => rand() & 0xff);
      const a = run(new Uint8Array([h & 0xff, h >> 8, 0x01, 0x00, 0x01, 0x00]), regs, mem);
      const w = new Uint8Array(4);
      new DataView(w.buffer).setUint32(0, wide, true);
      const b = run(w, regs, mem);
      expect(a.cause, h.toString(16)).toBe(b.cause);
      expect(a.tval, h.toString(16)).toBe(b.tval);
      expect(a.regs.join(), h.toString(16)).toBe(b.regs.join());
      expect(a.fregs.join(), h.toString(16)).toBe(b.fregs.join());
      expect(Buffer.compare(a.mem, b.mem), h.toString(16)).toBe(0);
      if (a.cause === CAUSE.BUDGET) {
        expect(a.pcDelta).toBe(2n);
        expect(b.pcDelta).toBe(4n);
      }
      compared++;
    }
    expect(compared).toBeGreaterThan(2500);
  });

  it("compressed branches and jumps reach the same targets and link pc + 2", () => {
    const m = new Machine();
    m.load(`
      li a0, 0
      c.beqz a0, 1f
      li a0, 9
    1: c.bnez a0, 2f
      c.j 3f
    2: li a0, 8
    3: la t0, 4f
      c.jalr t0
    4: c.li a1, 5
      c.ebreak`);
    expect(m.runToTrap()).toBe(CAUSE.BREAKPOINT);
    expect(m.reg(10)).toBe(0n);
    expect(m.reg(11)).toBe(5n);
    const jalrAt = m.pc() - 4n; // c.jalr, then the 2-byte c.li
    expect(m.reg(1)).toBe(jalrAt + 2n);
    expect(u64(m.reg(5))).toBe(jalrAt + 2n);
  });
});
