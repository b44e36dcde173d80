// The F and D extensions, instruction by instruction: NaN-boxing, the
// canonical NaN, every rounding mode (static and from frm, reserved ones
// trapping), each accrued flag, fmin/fmax signed zeros and signalling NaNs,
// subnormals, infinities, saturating conversions, the fcsr CSRs, the
// compressed loads and stores, and the F/D state of a context.

import { describe, expect, it } from "vitest";
import { Machine, CAUSE, DATA, TEXT, REG } from "./hart/support.js";

const NX = 1, UF = 2, OF = 4, DZ = 8, NV = 16;
const RNE = 0, RTZ = 1, RDN = 2, RUP = 3, RMM = 4;
const MODES = ["rne", "rtz", "rdn", "rup", "rmm"];

const BOX = 0xffff_ffff_0000_0000n;
const QNAN_D = 0x7ff8_0000_0000_0000n;
const QNAN_S = BOX | 0x7fc0_0000n;
const SNAN_D = 0x7ff0_0000_0000_0001n;
const SNAN_S = BOX | 0x7f80_0001n;

const d = (x: number): bigint => {
  const v = new DataView(new ArrayBuffer(8));
  v.setFloat64(0, x, true);
  return v.getBigUint64(0, true);
};
const s = (x: number): bigint => {
  const v = new DataView(new ArrayBuffer(4));
  v.setFloat32(0, x, true);
  return BOX | BigInt(v.getUint32(0, true));
};
const sBits = (bits: number): bigint => BOX | BigInt(bits >>> 0);

const FREG: Record<string, number> = { fa0: 10, fa1: 11, fa2: 12, fa3: 13 };

interface Result { m: Machine; f: bigint; x: bigint; flags: number; fcsr: number }

/** Runs `body` with f and x registers preset and fcsr = frm << 5; returns fa0, a0 and the flags. */
function run(body: string, f: Record<string, bigint> = {}, frm = 0, x: Record<string, bigint> = {}): Result {
  const m = new Machine();
  m.load(`${body}\n ecall\n`);
  for (const [name, v] of Object.entries(f)) m.setFreg(FREG[name]!, v);
  for (const [name, v] of Object.entries(x)) m.setReg(REG[name]!, v);
  m.setFcsr(frm << 5);
  expect(m.runToTrap(), body).toBe(CAUSE.ECALL);
  return { m, f: m.freg(10), x: m.reg(REG.a0!), flags: m.fcsr() & 31, fcsr: m.fcsr() };
}
/** One binary op fa0 = op(fa1, fa2) with a static rounding mode. */
function bin(op: string, a: bigint, b: bigint, rm: number | null = RNE): { f: bigint; flags: number } {
  const r = run(`${op} fa0, fa1, fa2${rm === null ? "" : `, ${MODES[rm]}`}`, { fa1: a, fa2: b });
  return { f: r.f, flags: r.flags };
}

describe("F/D state", () => {
  it("a new context has f0..f31 and fcsr zero; the hart API reads and writes them", () => {
    const m = new Machine();
    for (let i = 0; i < 32; i++) expect(m.freg(i)).toBe(0n);
    expect(m.fcsr()).toBe(0);
    m.setFreg(31, 0x1234_5678_9abc_def0n);
    m.setFcsr(0x1ff);
    expect(m.freg(31)).toBe(0x1234_5678_9abc_def0n);
    expect(m.fcsr()).toBe(0xff); // fcsr has 8 bits
  });
  it("copies and clears the F/D state (fork, exec) without touching the integer registers", () => {
    const m = new Machine();
    const other = 0x90_0000;
    m.h.hartInit(other);
    m.setFreg(3, 77n);
    m.setFcsr(0x85);
    m.setReg(5, 9n);
    m.h.hartCopyFpState(m.ctx, other);
    expect(m.h.hartGetFreg(other, 3)).toBe(77n);
    expect(m.h.hartGetFcsr(other)).toBe(0x85);
    expect(m.h.hartGetReg(other, 5)).toBe(0n);
    m.h.hartClearFpState(m.ctx);
    expect(m.freg(3)).toBe(0n);
    expect(m.fcsr()).toBe(0);
    expect(m.reg(5)).toBe(9n);
  });
});

describe("loads, stores and moves", () => {
  it("flw NaN-boxes; fsw and fmv.x.w move the low 32 bits whatever the upper ones", () => {
    const m = new Machine();
    m.load("flw fa0, 0(a1)\nfsw fa1, 8(a1)\nfmv.x.w a0, fa1\nfmv.x.w a2, fa0\nfld fa2, 16(a1)\nfsd fa2, 24(a1)\nfmv.x.d a3, fa2\necall");
    m.writeU32(DATA, 0x3f80_0000);
    m.writeU64(DATA + 16n, 0x4009_21fb_5444_2d18n);
    m.setReg(REG.a1!, DATA);
    m.setFreg(11, 0x0000_0001_8000_0001n); // not a valid box
    expect(m.runToTrap()).toBe(CAUSE.ECALL);
    expect(m.freg(10)).toBe(BOX | 0x3f80_0000n);
    expect(m.readU64(DATA + 8n) & 0xffff_ffffn).toBe(0x8000_0001n);
    expect(m.reg(REG.a0!)).toBe(0xffff_ffff_8000_0001n); // sign-extended
    expect(m.reg(REG.a2!)).toBe(0x3f80_0000n);
    expect(m.readU64(DATA + 24n)).toBe(0x4009_21fb_5444_2d18n);
    expect(m.reg(REG.a3!)).toBe(0x4009_21fb_5444_2d18n);
  });
  it("fmv.w.x boxes, fmv.d.x copies all 64 bits", () => {
    const r = run("fmv.w.x fa0, a1\nfmv.d.x fa1, a2", {}, 0, { a1: 0x1234_5678_c000_0000n, a2: 0x8000_0000_0000_0001n });
    expect(r.f).toBe(BOX | 0xc000_0000n);
    expect(r.m.freg(11)).toBe(0x8000_0000_0000_0001n);
    expect(r.flags).toBe(0);
  });
  it("an improperly boxed single reads as the canonical NaN in every other instruction", () => {
    const bad = 0x0000_0000_3f80_0000n;
    expect(bin("fadd.s", bad, s(1)).f).toBe(QNAN_S);
    expect(bin("fadd.s", bad, s(1)).flags).toBe(0); // the canonical NaN is quiet
    expect(run("fsgnj.s fa0, fa1, fa2", { fa1: bad, fa2: s(-1) }).f).toBe(BOX | 0xffc0_0000n);
    expect(run("fclass.s a0, fa1", { fa1: bad }).x).toBe(1n << 9n);
    expect(run("fcvt.d.s fa0, fa1", { fa1: bad }).f).toBe(QNAN_D);
    expect(run("feq.s a0, fa1, fa1", { fa1: BOX | 0x3f80_0000n }).x).toBe(1n);
    expect(run("feq.s a0, fa1, fa1", { fa1: bad }).x).toBe(0n);
  });
  it("c.fld, c.fsd, c.fldsp and c.fsdsp move doubles", () => {
    const m = new Machine();
    m.load("c.fld fa0, 8(a1)\nc.fsd fa0, 16(a1)\nc.fsdsp fa0, 0(sp)\nc.fldsp ft0, 0(sp)\necall");
    m.writeU64(DATA + 8n, 0x4000_0000_0000_0000n);
    m.setReg(REG.a1!, DATA);
    m.setReg(2, DATA + 0x100n);
    expect(m.runToTrap()).toBe(CAUSE.ECALL);
    expect(m.freg(10)).toBe(0x4000_0000_0000_0000n);
    expect(m.readU64(DATA + 16n)).toBe(0x4000_0000_0000_0000n);
    expect(m.freg(0)).toBe(0x4000_0000_0000_0000n);
  });
  it("an FP load or store that faults writes nothing and traps at the instruction", () => {
    const m = new Machine();
    m.load("li a0, 1\nfld fa0, 0(a1)\nli a0, 2\necall");
    m.setReg(REG.a1!, 0x7000_0000n);
    expect(m.runToTrap()).toBe(CAUSE.LOAD_PAGE);
    expect(m.tval()).toBe(0x7000_0000n);
    expect(m.pc()).toBe(TEXT + 4n);
    expect(m.freg(10)).toBe(0n);
    const w = new Machine();
    w.load("fsw fa0, 0(a1)\necall");
    w.setReg(REG.a1!, 0x7000_0000n);
    expect(w.runToTrap()).toBe(CAUSE.STORE_PAGE);
  });
});

describe("rounding modes", () => {
  const tieD = d(2 ** -53); // 1 + 2^-53 is halfway between 1 and 1 + 2^-52
  const up = d(1) + 1n;
  it("adds a halfway double in each mode", () => {
    expect(bin("fadd.d", d(1), tieD, RNE)).toEqual({ f: d(1), flags: NX });
    expect(bin("fadd.d", d(1), tieD, RTZ)).toEqual({ f: d(1), flags: NX });
    expect(bin("fadd.d", d(1), tieD, RDN)).toEqual({ f: d(1), flags: NX });
    expect(bin("fadd.d", d(1), tieD, RUP)).toEqual({ f: up, flags: NX });
    expect(bin("fadd.d", d(1), tieD, RMM)).toEqual({ f: up, flags: NX });
    const negUp = d(-1) + 1n;
    expect(bin("fadd.d", d(-1), d(-(2 ** -53)), RDN).f).toBe(negUp);
    expect(bin("fadd.d", d(-1), d(-(2 ** -53)), RUP).f).toBe(d(-1));
    expect(bin("fadd.d", d(-1), d(-(2 ** -53)), RMM).f).toBe(negUp);
    // Halfway with an odd neighbour below: RNE goes up.
    expect(bin("fadd.d", up, tieD, RNE).f).toBe(up + 1n);
  });
  it("adds a non-halfway double in each mode", () => {
    const x = d(3 * 2 ** -54); // 0.75 ulp of 1
    expect(bin("fadd.d", d(1), x, RNE).f).toBe(up);
    expect(bin("fadd.d", d(1), x, RTZ).f).toBe(d(1));
    expect(bin("fadd.d", d(1), x, RDN).f).toBe(d(1));
    expect(bin("fadd.d", d(1), x, RUP).f).toBe(up);
    expect(bin("fadd.d", d(1), x, RMM).f).toBe(up);
    // A residual far below the last bit still decides RUP and RTZ.
    expect(bin("fadd.d", d(1), d(2 ** -200), RUP).f).toBe(up);
    expect(bin("fsub.d", d(1), d(2 ** -200), RTZ).f).toBe(d(1) - 1n);
    expect(bin("fsub.d", d(1), d(2 ** -200), RNE)).toEqual({ f: d(1), flags: NX });
  });
  it("rounds singles the same way, including a residual below a double's precision", () => {
    const upS = s(1) + 1n;
    expect(bin("fadd.s", s(1), s(2 ** -24), RNE)).toEqual({ f: s(1), flags: NX });
    expect(bin("fadd.s", s(1), s(2 ** -24), RMM).f).toBe(upS);
    expect(bin("fadd.s", s(1), s(2 ** -24), RUP).f).toBe(upS);
    expect(bin("fadd.s", s(1), s(2 ** -100), RUP).f).toBe(upS);
    expect(bin("fadd.s", s(1), s(2 ** -100), RNE)).toEqual({ f: s(1), flags: NX });
    expect(bin("fsub.s", s(1), s(2 ** -100), RTZ).f).toBe(sBits(0x3f7f_ffff));
    expect(bin("fsub.s", s(1), s(2 ** -100), RNE).f).toBe(s(1));
    expect(bin("fadd.s", s(1), s(2), RUP)).toEqual({ f: s(3), flags: 0 });
  });
  it("divides and takes square roots in each mode", () => {
    expect(bin("fdiv.d", d(1), d(3), RNE).f).toBe(0x3fd5_5555_5555_5555n);
    expect(bin("fdiv.d", d(1), d(3), RUP).f).toBe(0x3fd5_5555_5555_5556n);
    expect(bin("fdiv.d", d(1), d(3), RDN).f).toBe(0x3fd5_5555_5555_5555n);
    expect(bin("fdiv.d", d(-1), d(3), RDN).f).toBe(0xbfd5_5555_5555_5556n);
    expect(bin("fdiv.d", d(-1), d(3), RTZ).f).toBe(0xbfd5_5555_5555_5555n);
    expect(bin("fdiv.s", s(1), s(3), RNE).f).toBe(sBits(0x3eaa_aaab));
    expect(bin("fdiv.s", s(1), s(3), RTZ).f).toBe(sBits(0x3eaa_aaaa));
    expect(bin("fdiv.d", d(6), d(3), RUP)).toEqual({ f: d(2), flags: 0 });
    const sq = (v: bigint, rm: number, op = "fsqrt.d") => run(`${op} fa0, fa1, ${MODES[rm]}`, { fa1: v });
    expect(sq(d(2), RNE).f).toBe(0x3ff6_a09e_667f_3bcdn);
    expect(sq(d(2), RTZ).f).toBe(0x3ff6_a09e_667f_3bccn);
    expect(sq(d(2), RUP).f).toBe(0x3ff6_a09e_667f_3bcdn);
    expect(sq(d(2), RDN).flags).toBe(NX);
    expect(sq(d(9), RUP)).toMatchObject({ f: d(3), flags: 0 });
    expect(sq(s(2), RNE, "fsqrt.s").f).toBe(s(Math.fround(Math.SQRT2)));
    expect(sq(d(-1), RNE)).toMatchObject({ f: QNAN_D, flags: NV });
    expect(sq(d(-0), RNE)).toMatchObject({ f: d(-0), flags: 0 });
    expect(sq(1n, RNE).f).toBe(d(Math.sqrt(5e-324))); // the smallest subnormal
  });
  it("uses frm for the dynamic mode, and a reserved frm traps with nothing written", () => {
    expect(run("fdiv.d fa0, fa1, fa2", { fa1: d(1), fa2: d(3) }, RUP).f).toBe(0x3fd5_5555_5555_5556n);
    expect(run("fsrmi 1\nfdiv.d fa0, fa1, fa2", { fa1: d(1), fa2: d(3) }).f).toBe(0x3fd5_5555_5555_5555n);
    for (const frm of [5, 6, 7]) {
      const m = new Machine();
      m.load("li a0, 1\nfadd.d fa0, fa1, fa2\nli a0, 2\necall");
      m.setFcsr(frm << 5);
      m.setFreg(11, d(1));
      expect(m.runToTrap()).toBe(CAUSE.ILLEGAL);
      expect(m.tval()).toBe(0x02c5_f553n);
      expect(m.pc()).toBe(TEXT + 4n);
      expect(m.freg(10)).toBe(0n);
      expect(m.fcsr()).toBe(frm << 5);
      // Instructions without a rounding mode still run.
      const ok = new Machine();
      ok.load("fsgnj.d fa0, fa1, fa1\nfmin.d fa2, fa1, fa1\necall");
      ok.setFcsr(frm << 5);
      ok.setFreg(11, d(1));
      expect(ok.runToTrap()).toBe(CAUSE.ECALL);
      expect(ok.freg(10)).toBe(d(1));
    }
  });
});

describe("exception flags", () => {
  it("sets NV, DZ, OF, UF and NX exactly", () => {
    expect(bin("fdiv.d", d(1), d(0))).toEqual({ f: d(Infinity), flags: DZ });
    expect(bin("fdiv.d", d(-1), d(0))).toEqual({ f: d(-Infinity), flags: DZ });
    expect(bin("fdiv.d", d(0), d(0))).toEqual({ f: QNAN_D, flags: NV });
    expect(bin("fdiv.d", d(Infinity), d(Infinity))).toEqual({ f: QNAN_D, flags: NV });
    expect(bin("fmul.d", d(Infinity), d(0))).toEqual({ f: QNAN_D, flags: NV });
    expect(bin("fsub.d", d(Infinity), d(Infinity))).toEqual({ f: QNAN_D, flags: NV });
    expect(bin("fadd.d", d(Infinity), d(1))).toEqual({ f: d(Infinity), flags: 0 });
    expect(bin("fmul.d", d(1.5e308), d(10))).toEqual({ f: d(Infinity), flags: OF | NX });
    expect(bin("fmul.d", d(1.5e308), d(10), RTZ)).toEqual({ f: d(Number.MAX_VALUE), flags: OF | NX });
    expect(bin("fmul.d", d(-1.5e308), d(10), RUP)).toEqual({ f: d(-Number.MAX_VALUE), flags: OF | NX });
    expect(bin("fmul.s", s(3e38), s(10))).toEqual({ f: s(Infinity), flags: OF | NX });
    expect(bin("fmul.s", s(3e38), s(10), RDN)).toEqual({ f: sBits(0x7f7f_ffff), flags: OF | NX });
    // Exact subnormal results raise nothing; inexact ones raise UF | NX.
    expect(bin("fmul.d", d(2 ** -1070), d(0.75))).toEqual({ f: 12n, flags: 0 });
    expect(bin("fmul.d", d(2 ** -1074), d(0.5))).toEqual({ f: 0n, flags: UF | NX });
    expect(bin("fmul.d", d(2 ** -1074), d(0.5), RUP)).toEqual({ f: 1n, flags: UF | NX });
    expect(bin("fmul.s", s(2 ** -149), s(0.75))).toEqual({ f: sBits(1), flags: UF | NX });
    expect(bin("fmul.s", s(2 ** -149), s(1.5))).toEqual({ f: sBits(2), flags: UF | NX });
    expect(bin("fadd.d", d(2 ** -1074), d(2 ** -1074))).toEqual({ f: 2n, flags: 0 });
  });
  it("detects tininess after rounding", () => {
    // (2^-1022)(1 - 2^-104) rounds to 2^-1022 in RNE: not tiny, so NX only;
    // rounded toward zero it stays below 2^-1022: tiny, UF | NX.
    const a = d((1 + 2 ** -52) * 0.5), b = d(2 ** -1021 * (1 - 2 ** -52));
    const rne = bin("fmul.d", a, b, RNE);
    expect(rne.f).toBe(d(2 ** -1022));
    expect(rne.flags).toBe(NX);
    const rtz = bin("fmul.d", a, b, RTZ);
    expect(rtz.f).toBe(d(2 ** -1022) - 1n);
    expect(rtz.flags).toBe(UF | NX);
    // (2^-1022)(1 - 2^-53) is tiny even though it rounds up to 2^-1022.
    const mid = bin("fmul.d", d(1 - 2 ** -53), d(2 ** -1022), RNE);
    expect(mid).toEqual({ f: d(2 ** -1022), flags: UF | NX });
  });
  it("propagates the canonical NaN and raises NV only for signalling NaNs", () => {
    expect(bin("fadd.d", 0x7ff8_0000_dead_beefn, d(1))).toEqual({ f: QNAN_D, flags: 0 });
    expect(bin("fadd.d", SNAN_D, d(1))).toEqual({ f: QNAN_D, flags: NV });
    expect(bin("fmul.s", SNAN_S, s(1))).toEqual({ f: QNAN_S, flags: NV });
    expect(bin("fdiv.s", s(1), BOX | 0xffc1_2345n)).toEqual({ f: QNAN_S, flags: 0 });
  });
  it("accrues flags and leaves them until software clears them", () => {
    const r = run("fdiv.d fa0, fa1, fa2\nfadd.d fa3, fa1, fa1\nfrflags a0\nfsflags a1, zero\nfrflags a2", { fa1: d(1), fa2: d(0) });
    expect(r.x).toBe(BigInt(DZ));
    expect(r.m.reg(REG.a1!)).toBe(BigInt(DZ));
    expect(r.m.reg(REG.a2!)).toBe(0n);
  });
});

describe("fused multiply-add", () => {
  it("rounds once", () => {
    // (1 + 2^-52)(1 - 2^-52) - 1 = -2^-104 exactly; unfused it would be 0.
    const r = run("fmsub.d fa0, fa1, fa2, fa3", { fa1: d(1 + 2 ** -52), fa2: d(1 - 2 ** -52), fa3: d(1) });
    expect(r.f).toBe(d(-(2 ** -104)));
    expect(r.flags).toBe(0);
    const s1 = run("fmadd.s fa0, fa1, fa2, fa3", { fa1: s(1 + 2 ** -23), fa2: s(1 - 2 ** -23), fa3: s(-1) });
    expect(s1.f).toBe(s(-(2 ** -46)));
  });
  it("negates as FMSUB, FNMSUB and FNMADD define", () => {
    const f = { fa1: d(2), fa2: d(3), fa3: d(1) };
    expect(run("fmadd.d fa0, fa1, fa2, fa3", f).f).toBe(d(7));
    expect(run("fmsub.d fa0, fa1, fa2, fa3", f).f).toBe(d(5));
    expect(run("fnmsub.d fa0, fa1, fa2, fa3", f).f).toBe(d(-5));
    expect(run("fnmadd.d fa0, fa1, fa2, fa3", f).f).toBe(d(-7));
    expect(run("fnmadd.s fa0, fa1, fa2, fa3", { fa1: s(2), fa2: s(3), fa3: s(1) }).f).toBe(s(-7));
  });
  it("handles zeros, infinities and NaNs like the specification", () => {
    // An exact zero sum is +0, or -0 rounding down.
    expect(run("fmadd.d fa0, fa1, fa2, fa3, rne", { fa1: d(2), fa2: d(3), fa3: d(-6) }).f).toBe(d(0));
    expect(run("fmadd.d fa0, fa1, fa2, fa3, rdn", { fa1: d(2), fa2: d(3), fa3: d(-6) }).f).toBe(d(-0));
    expect(run("fmadd.d fa0, fa1, fa2, fa3", { fa1: d(-0), fa2: d(3), fa3: d(-0) }).f).toBe(d(-0));
    expect(run("fmadd.d fa0, fa1, fa2, fa3", { fa1: d(Infinity), fa2: d(0), fa3: QNAN_D })).toMatchObject({ f: QNAN_D, flags: NV });
    expect(run("fmadd.d fa0, fa1, fa2, fa3", { fa1: d(Infinity), fa2: d(1), fa3: d(-Infinity) })).toMatchObject({ f: QNAN_D, flags: NV });
    expect(run("fmadd.d fa0, fa1, fa2, fa3", { fa1: d(1), fa2: d(1), fa3: SNAN_D })).toMatchObject({ f: QNAN_D, flags: NV });
    expect(run("fmadd.d fa0, fa1, fa2, fa3", { fa1: d(1e300), fa2: d(1e300), fa3: d(-Infinity) })).toMatchObject({ f: d(-Infinity), flags: 0 });
    expect(run("fmadd.d fa0, fa1, fa2, fa3", { fa1: d(1e300), fa2: d(1e300), fa3: d(1) })).toMatchObject({ f: d(Infinity), flags: OF | NX });
  });
  it("keeps a tiny addend's sticky bit against a huge product", () => {
    expect(run("fmadd.d fa0, fa1, fa2, fa3, rup", { fa1: d(1), fa2: d(1), fa3: d(2 ** -300) }).f).toBe(d(1) + 1n);
    expect(run("fmadd.d fa0, fa1, fa2, fa3, rtz", { fa1: d(1), fa2: d(1), fa3: d(-(2 ** -300)) }).f).toBe(d(1) - 1n);
    expect(run("fmadd.d fa0, fa1, fa2, fa3, rne", { fa1: d(1), fa2: d(1), fa3: d(-(2 ** -300)) })).toMatchObject({ f: d(1), flags: NX });
  });
});

describe("min, max, sign injection, compare, classify", () => {
  it("fmin/fmax order -0 below +0 and return the non-NaN operand", () => {
    expect(bin("fmin.d", d(0), d(-0), null).f).toBe(d(-0));
    expect(bin("fmin.d", d(-0), d(0), null).f).toBe(d(-0));
    expect(bin("fmax.d", d(-0), d(0), null).f).toBe(d(0));
    expect(bin("fmax.s", s(-0), s(0), null).f).toBe(s(0));
    expect(bin("fmin.d", QNAN_D, d(2), null)).toEqual({ f: d(2), flags: 0 });
    expect(bin("fmax.d", d(2), SNAN_D, null)).toEqual({ f: d(2), flags: NV });
    expect(bin("fmin.s", SNAN_S, SNAN_S, null)).toEqual({ f: QNAN_S, flags: NV });
    expect(bin("fmax.d", 0x7ff8_0000_0000_1234n, QNAN_D, null)).toEqual({ f: QNAN_D, flags: 0 });
    expect(bin("fmin.d", d(-3), d(2), null).f).toBe(d(-3));
    expect(bin("fmax.d", d(-3), d(-2), null).f).toBe(d(-2));
  });
  it("sign injection works on the bits (NaNs included)", () => {
    expect(run("fsgnj.d fa0, fa1, fa2", { fa1: d(3), fa2: d(-1) }).f).toBe(d(-3));
    expect(run("fsgnjn.d fa0, fa1, fa2", { fa1: d(3), fa2: d(-1) }).f).toBe(d(3));
    expect(run("fsgnjx.d fa0, fa1, fa2", { fa1: d(-3), fa2: d(-1) }).f).toBe(d(3));
    expect(run("fneg.d fa0, fa1", { fa1: SNAN_D }).f).toBe(SNAN_D | (1n << 63n));
    expect(run("fabs.s fa0, fa1", { fa1: s(-2) })).toMatchObject({ f: s(2), flags: 0 });
  });
  it("feq is quiet, flt and fle signal on any NaN", () => {
    expect(run("feq.d a0, fa1, fa2", { fa1: d(0), fa2: d(-0) }).x).toBe(1n);
    expect(run("flt.d a0, fa1, fa2", { fa1: d(-0), fa2: d(0) }).x).toBe(0n);
    expect(run("fle.d a0, fa1, fa2", { fa1: d(-0), fa2: d(0) }).x).toBe(1n);
    expect(run("flt.s a0, fa1, fa2", { fa1: s(-2), fa2: s(-1) }).x).toBe(1n);
    expect(run("feq.d a0, fa1, fa2", { fa1: QNAN_D, fa2: d(1) })).toMatchObject({ x: 0n, flags: 0 });
    expect(run("feq.d a0, fa1, fa2", { fa1: SNAN_D, fa2: d(1) })).toMatchObject({ x: 0n, flags: NV });
    expect(run("flt.d a0, fa1, fa2", { fa1: QNAN_D, fa2: d(1) })).toMatchObject({ x: 0n, flags: NV });
    expect(run("fle.s a0, fa1, fa2", { fa1: s(1), fa2: QNAN_S })).toMatchObject({ x: 0n, flags: NV });
  });
  it("fclass names each of the ten classes", () => {
    const cls = (op: string, v: bigint) => run(`${op} a0, fa1`, { fa1: v }).x;
    const cases: [bigint, number][] = [
      [d(-Infinity), 0], [d(-1), 1], [d(-5e-324), 2], [d(-0), 3], [d(0), 4], [d(5e-324), 5], [d(1), 6], [d(Infinity), 7],
      [SNAN_D, 8], [QNAN_D, 9],
    ];
    for (const [v, bit] of cases) expect(cls("fclass.d", v)).toBe(1n << BigInt(bit));
    expect(cls("fclass.s", sBits(0x8000_0001))).toBe(1n << 2n);
    expect(cls("fclass.s", SNAN_S)).toBe(1n << 8n);
    expect(cls("fclass.s", s(-Infinity))).toBe(1n);
  });
});

describe("conversions", () => {
  const cvt = (op: string, v: bigint, rm = RNE) => run(`${op} a0, fa1, ${MODES[rm]}`, { fa1: v });
  const M64 = (1n << 64n) - 1n;
  it("float to int rounds by the mode and flags inexact", () => {
    expect(cvt("fcvt.w.d", d(2.5), RNE)).toMatchObject({ x: 2n, flags: NX });
    expect(cvt("fcvt.w.d", d(2.5), RMM)).toMatchObject({ x: 3n, flags: NX });
    expect(cvt("fcvt.w.d", d(-2.5), RMM).x).toBe(M64 - 2n);
    expect(cvt("fcvt.w.d", d(-2.5), RDN).x).toBe(M64 - 2n);
    expect(cvt("fcvt.w.d", d(-2.5), RUP).x).toBe(M64 - 1n);
    expect(cvt("fcvt.w.d", d(-2.5), RTZ).x).toBe(M64 - 1n);
    expect(cvt("fcvt.l.s", s(-7), RNE)).toMatchObject({ x: M64 - 6n, flags: 0 });
    expect(cvt("fcvt.lu.d", d(1.5), RUP)).toMatchObject({ x: 2n, flags: NX });
    expect(cvt("fcvt.wu.s", s(-0.25), RTZ)).toMatchObject({ x: 0n, flags: NX });
    expect(cvt("fcvt.wu.s", s(-0.75), RNE)).toMatchObject({ x: 0n, flags: NV });
  });
  it("saturates out-of-range values and NaNs with NV (and no NX)", () => {
    expect(cvt("fcvt.w.d", d(2 ** 31))).toMatchObject({ x: 0x7fff_ffffn, flags: NV });
    expect(cvt("fcvt.w.d", d(-(2 ** 31)))).toMatchObject({ x: M64 - 0x7fff_ffffn, flags: 0 });
    expect(cvt("fcvt.w.d", d(-(2 ** 31) - 0.5), RTZ)).toMatchObject({ x: M64 - 0x7fff_ffffn, flags: NX });
    expect(cvt("fcvt.w.d", d(-(2 ** 31) - 1))).toMatchObject({ x: M64 - 0x7fff_ffffn, flags: NV });
    expect(cvt("fcvt.wu.d", d(2 ** 32))).toMatchObject({ x: M64, flags: NV }); // 0xffffffff sign-extended
    expect(cvt("fcvt.wu.d", d(4294967295.4))).toMatchObject({ x: M64, flags: NX });
    expect(cvt("fcvt.l.d", d(2 ** 63))).toMatchObject({ x: (1n << 63n) - 1n, flags: NV });
    expect(cvt("fcvt.l.d", d(-(2 ** 63)))).toMatchObject({ x: 1n << 63n, flags: 0 });
    expect(cvt("fcvt.lu.d", d(2 ** 64))).toMatchObject({ x: M64, flags: NV });
    expect(cvt("fcvt.lu.d", d(2 ** 64 - 2048))).toMatchObject({ x: (1n << 64n) - 2048n, flags: 0 });
    expect(cvt("fcvt.lu.s", s(-1))).toMatchObject({ x: 0n, flags: NV });
    expect(cvt("fcvt.l.d", d(-Infinity))).toMatchObject({ x: 1n << 63n, flags: NV });
    expect(cvt("fcvt.w.s", QNAN_S)).toMatchObject({ x: 0x7fff_ffffn, flags: NV });
    expect(cvt("fcvt.w.d", d(-0))).toMatchObject({ x: 0n, flags: 0 });
    expect(cvt("fcvt.w.d", d(5e-324), RUP)).toMatchObject({ x: 1n, flags: NX });
  });
  it("int to float is exact or rounded by the mode", () => {
    const from = (op: string, v: bigint, rm = RNE) => run(`${op} fa0, a1, ${MODES[rm]}`, {}, 0, { a1: v });
    expect(from("fcvt.d.w", M64)).toMatchObject({ f: d(-1), flags: 0 });
    expect(from("fcvt.d.wu", M64)).toMatchObject({ f: d(4294967295), flags: 0 });
    expect(from("fcvt.s.w", 16777217n)).toMatchObject({ f: s(16777216), flags: NX });
    expect(from("fcvt.s.w", 16777217n, RUP)).toMatchObject({ f: s(16777218), flags: NX });
    expect(from("fcvt.d.l", (1n << 63n) + 1n, RTZ).f).toBe(d(-(2 ** 63)) - 1n); // -(2^63 - 1024)
    expect(from("fcvt.d.l", (1n << 63n) + 1n, RNE).f).toBe(d(-(2 ** 63)));
    expect(from("fcvt.d.lu", M64)).toMatchObject({ f: d(2 ** 64), flags: NX });
    expect(from("fcvt.d.lu", M64, RTZ).f).toBe(d(2 ** 64) - 1n);
    expect(from("fcvt.s.lu", 0n)).toMatchObject({ f: s(0), flags: 0 });
    expect(from("fcvt.d.l", 1n << 63n)).toMatchObject({ f: d(-(2 ** 63)), flags: 0 });
  });
  it("converts between formats", () => {
    const c = (op: string, v: bigint, rm = RNE) => run(`${op} fa0, fa1, ${MODES[rm]}`, { fa1: v });
    expect(c("fcvt.s.d", d(1 / 3))).toMatchObject({ f: sBits(0x3eaa_aaab), flags: NX });
    expect(c("fcvt.s.d", d(1 / 3), RTZ).f).toBe(sBits(0x3eaa_aaaa));
    expect(c("fcvt.s.d", d(1e300))).toMatchObject({ f: s(Infinity), flags: OF | NX });
    expect(c("fcvt.s.d", d(1e-50))).toMatchObject({ f: s(0), flags: UF | NX });
    expect(c("fcvt.s.d", d(2 ** -149))).toMatchObject({ f: sBits(1), flags: 0 });
    expect(c("fcvt.s.d", SNAN_D)).toMatchObject({ f: QNAN_S, flags: NV });
    expect(c("fcvt.s.d", d(-Infinity)).f).toBe(s(-Infinity));
    expect(c("fcvt.d.s", sBits(0x8000_0001))).toMatchObject({ f: d(-(2 ** -149)), flags: 0 });
    expect(c("fcvt.d.s", SNAN_S)).toMatchObject({ f: QNAN_D, flags: NV });
  });
});

describe("fcsr CSRs", () => {
  it("fflags, frm and fcsr are views of one register", () => {
    const r = run(`
      li t0, 0xff
      csrw fcsr, t0
      frflags a0
      frrm a1
      csrrci a2, fflags, 1
      csrrsi a3, frm, 0
      fsrm a4, zero
      frcsr a5`);
    expect(r.x).toBe(0x1fn);
    expect(r.m.reg(REG.a1!)).toBe(7n);
    expect(r.m.reg(REG.a2!)).toBe(0x1fn);
    expect(r.m.reg(REG.a3!)).toBe(7n);
    expect(r.m.reg(REG.a4!)).toBe(7n);
    expect(r.m.reg(REG.a5!)).toBe(0x1en);
    expect(r.fcsr).toBe(0x1e);
  });
  it("writes keep only the field's bits", () => {
    const r = run("li t0, -1\nfsflags t0\nfsrmi 2\nfrcsr a0");
    expect(r.x).toBe(0x5fn);
  });
});
