// The assembler against known encodings and against clang's integrated
// assembler: the same source assembled by both must give the same .text bytes
// (extracted from clang's object file with our ELF section reader).

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { AsmError, assemble, assembleProgram, liSequence } from "./asm.js";
import { parseElf, sectionBytes } from "./elf.js";

const work = mkdtempSync(join(tmpdir(), "keel-asm-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let clangRuns = 0;
/** .text of `source` as assembled by clang (-mno-relax, no relocations expected). */
function clangText(source: string, compressed: boolean): Uint8Array {
  const n = clangRuns++;
  const src = join(work, `t${n}.s`);
  const obj = join(work, `t${n}.o`);
  writeFileSync(src, source);
  execFileSync("clang", [
    "--target=riscv64", `-march=${compressed ? "rv64imafdc" : "rv64imafd"}`, "-mabi=lp64", "-mno-relax", "-c", src, "-o", obj,
  ]);
  const text = sectionBytes(new Uint8Array(readFileSync(obj)), ".text");
  if (!text) throw new Error("clang produced no .text");
  return text;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

/** Compares our bytes with clang's and reports the first differing line. */
function expectSameAsClang(source: string, compressed: boolean): void {
  const ref = clangText(source, compressed);
  const mine = assemble(source, { compress: compressed }).text;
  if (hex(ref) === hex(mine)) return;
  // Narrow the mismatch down to one line for a readable failure.
  const lines = source.split("\n").filter((l) => l.trim() && !l.includes(":") && !l.trim().startsWith("."));
  for (const l of lines) {
    if (/\b(1f|1b|j|beqz|bnez|call|la)\b/.test(l)) continue;
    const r = hex(clangText(l + "\n", compressed));
    const m = hex(assemble(l + "\n", { compress: compressed }).text);
    if (r !== m) expect(`${l} => ${m}`).toBe(`${l} => ${r}`);
  }
  expect(hex(mine)).toBe(hex(ref));
}

const word = (src: string, opts = {}): number => {
  const t = assemble(src, opts).text;
  return t.length === 2 ? t[0]! | (t[1]! << 8) : (t[0]! | (t[1]! << 8) | (t[2]! << 16) | (t[3]! << 24)) >>> 0;
};

describe("known encodings", () => {
  it.each([
    ["addi a0, a1, -5", 0xffb58513],
    ["add x1, x2, x3", 0x003100b3],
    ["ld t0, 8(sp)", 0x00813283],
    ["sd ra, -8(s0)", 0xfe143c23],
    ["lui a0, 0x12345", 0x12345537],
    ["auipc t1, 1", 0x00001317],
    ["ecall", 0x00000073],
    ["ebreak", 0x00100073],
    ["fence.i", 0x0000100f],
    ["fence", 0x0ff0000f],
    ["fence rw, w", 0x0310000f],
    ["csrr a0, cycle", 0xc0002573],
    ["csrrwi zero, 0x340, 5", 0x3402d073],
    ["amoadd.w.aqrl a0, a1, (a2)", 0x06b6252f],
    ["lr.d a0, (a1)", 0x1005b52f],
    ["sc.d a0, a1, (a2)", 0x18b6352f],
    ["mulhsu a0, a1, a2", 0x02c5a533],
    ["remuw t0, t1, t2", 0x027372bb],
    ["srai a0, a0, 63", 0x43f55513],
    ["sraiw a0, a0, 31", 0x41f5551b],
    ["nop", 0x00000013],
    ["ret", 0x00008067],
  ] as const)("%s", (src, enc) => {
    expect(word(src)).toBe(enc);
  });

  it.each([
    ["c.addi a0, 1", 0x0505],
    ["c.li a0, 5", 0x4515],
    ["c.lui a0, 0xfffff", 0x757d],
    ["c.addi16sp sp, -64", 0x7139],
    ["c.addi4spn a0, sp, 16", 0x0808],
    ["c.lw a0, 4(a1)", 0x41c8],
    ["c.sd a0, 16(a1)", 0xe988],
    ["c.ldsp t0, 8(sp)", 0x62a2],
    ["c.sdsp a0, 16(sp)", 0xe82a],
    ["c.mv a0, a1", 0x852e],
    ["c.add a0, a1", 0x952e],
    ["c.jr ra", 0x8082],
    ["c.jalr a0", 0x9502],
    ["c.ebreak", 0x9002],
    ["c.nop", 0x0001],
    ["c.sub s0, s1", 0x8c05],
    ["c.addw a0, a1", 0x9d2d],
    ["c.srli a3, 32", 0x9281],
    ["c.andi a0, -1", 0x997d],
    ["c.slli a2, 31", 0x067e],
  ] as const)("%s", (src, enc) => {
    expect(word(src)).toBe(enc);
  });

  it("compresses automatically only when asked", () => {
    expect(assemble("addi a0, a0, 1").text.length).toBe(4);
    expect(assemble("addi a0, a0, 1", { compress: true }).text.length).toBe(2);
    expect(assemble("addi a0, a1, 1", { compress: true }).text.length).toBe(4);
  });
});

// Every base mnemonic with a spread of registers and immediates, and the
// pseudo-instructions whose expansion is fixed by convention.
const CORPUS = `
.text
_start:
  lui a0, 0x12345
  lui s0, 1
  lui t0, 0xfffff
  auipc a1, 0x7ffff
  addi a0, a1, -2048
  addi a0, a0, 2047
  addi sp, sp, 16
  addi sp, sp, -512
  addi sp, sp, 496
  addi a5, sp, 1020
  addi a5, sp, 4
  addi s1, x0, -32
  addi t6, t6, 31
  addi x0, x0, 0
  slti a0, a1, -1
  sltiu a0, a1, 1
  xori a2, a2, -1
  ori a3, a3, 0x7f
  andi s1, s1, -32
  andi s1, s1, 31
  andi t0, t0, 12
  slli a0, a0, 63
  slli t3, t4, 1
  srli s0, s0, 1
  srli a0, a1, 32
  srai a4, a4, 17
  srai t1, t1, 17
  addiw a0, a0, -1
  addiw a0, a1, 100
  addiw t2, x0, 7
  slliw a0, a1, 31
  srliw a0, a0, 5
  sraiw a0, a1, 0
  add a0, a0, a1
  add t0, t1, t0
  add t0, x0, t1
  add t0, t1, x0
  add a0, a1, a2
  sub a0, a0, a1
  sub t0, t0, t1
  sll a0, a1, a2
  slt a0, a1, a2
  sltu a0, x0, a2
  xor s0, s1, s0
  xor a5, a5, a4
  srl a0, a1, a2
  sra a0, a1, a2
  or a0, a0, a1
  or t0, t0, t1
  and a1, a0, a1
  mul a0, a1, a2
  mulh a0, a1, a2
  mulhsu a0, a1, a2
  mulhu a0, a1, a2
  div a0, a1, a2
  divu a0, a1, a2
  rem a0, a1, a2
  remu a0, a1, a2
  addw a0, a0, a1
  addw a1, a0, a1
  subw a0, a0, a1
  subw a0, a1, a0
  sllw a0, a1, a2
  srlw a0, a1, a2
  sraw a0, a1, a2
  mulw a0, a1, a2
  divw a0, a1, a2
  divuw a0, a1, a2
  remw a0, a1, a2
  remuw a0, a1, a2
  lb a0, -1(a1)
  lh a0, 2(a1)
  lw a0, 4(a1)
  lw a0, 128(a1)
  lw a0, 124(a1)
  lw ra, 252(sp)
  lw ra, 256(sp)
  ld a0, 248(a1)
  ld a0, 256(a1)
  ld ra, 504(sp)
  ld ra, 512(sp)
  ld x0, 0(sp)
  lbu a0, 2047(a1)
  lhu a0, -2048(a1)
  lwu a0, 0(a1)
  sb a0, -1(a1)
  sh a0, 2(a1)
  sw a0, 4(a1)
  sw zero, 252(sp)
  sd a0, 248(a1)
  sd ra, 504(sp)
  sd x0, 8(sp)
  jalr ra, 0(a0)
  jalr x0, 0(a0)
  jalr x0, 4(a0)
  jalr t0, a1, -12
  jr t0
  ret
  jalr a0
  nop
  mv a0, a1
  mv sp, a0
  not a0, a1
  neg a0, a1
  negw a0, a1
  sext.w a0, a1
  seqz a0, a1
  snez a0, a1
  sltz a0, a1
  sgtz a0, a1
  ecall
  ebreak
  fence
  fence r, rw
  fence.i
  fence.tso
  csrrw a0, 0x340, a1
  csrrs a0, cycle, x0
  csrrc a0, instret, a1
  csrrwi a0, 0x340, 31
  csrrsi a0, time, 0
  csrrci a0, 0x340, 1
  csrr a0, time
  csrw 0x340, a1
  csrs 0x340, a1
  csrc 0x340, a1
  csrwi 0x340, 3
  rdcycle a0
  rdtime a1
  rdinstret a2
  lr.w a0, (a1)
  lr.d.aq a0, (a1)
  sc.w.rl a0, a2, (a1)
  sc.d.aqrl a0, a2, (a1)
  amoswap.w a0, a1, (a2)
  amoadd.d a0, a1, (a2)
  amoxor.w.aq a0, a1, (a2)
  amoand.d.rl a0, a1, (a2)
  amoor.w a0, a1, (a2)
  amomin.d a0, a1, (a2)
  amomax.w a0, a1, (a2)
  amominu.d a0, a1, (a2)
  amomaxu.w.aqrl a0, a1, (a2)
  li a0, 0
  li a0, 31
  li a0, -32
  li a0, 2047
  li a0, -2048
  li a0, 4096
  li a0, 0x12345
  li a0, 0x7ffff800
  li a0, -0x80000000
`;

const BRANCHES = `
.text
_start:
  beq a0, a1, 1f
  bne a0, x0, 1f
  beqz s0, 1f
  bnez a5, 1f
  beqz t0, 1f
  blt a0, a1, 1f
  bge a0, a1, 1f
  bltu a0, a1, 1f
  bgeu a0, a1, 1f
  bgt a0, a1, 1f
  ble a0, a1, 1f
  bgtu a0, a1, 1f
  bleu a0, a1, 1f
  bltz a0, 1f
  bgez a0, 1f
  blez a0, 1f
  bgtz a0, 1f
  j 1f
  jal 1f
  jal t0, 1f
1:
  addi a0, a0, 1
  beqz a0, 1b
  bnez a1, 1b
  j 1b
  beqz a2, far
  j far
  bnez s1, far2
  .zero 300
far:
  beqz a3, back
  .zero 2100
far2:
  j back
  j _start
back:
  nop
`;

const FP_CORPUS = `
flw ft0, 12(a0)
fld fs1, -8(sp)
fsw fa3, 2047(t0)
fsd ft11, -2048(s0)
fadd.s fa0, fa1, fa2
fadd.d fa0, fa1, fa2, rtz
fsub.d ft3, fs4, ft5, rdn
fmul.s f1, f2, f3, rup
fdiv.d f4, f5, f6, rmm
fsqrt.s ft0, ft1
fsqrt.d ft0, ft1, rne
fmadd.s fa0, fa1, fa2, fa3
fmsub.d fa0, fa1, fa2, fa3, rtz
fnmsub.s ft0, ft1, ft2, ft3
fnmadd.d fs0, fs1, fs2, fs3, rdn
fsgnj.s fa0, fa1, fa2
fsgnjn.d fa0, fa1, fa2
fsgnjx.s fa0, fa1, fa2
fmin.d fa0, fa1, fa2
fmax.s fa0, fa1, fa2
feq.d a0, fa1, fa2
flt.s a1, fa1, fa2
fle.d t0, fa1, fa2
fclass.s a0, fa0
fclass.d a0, fa0
fcvt.w.s a0, fa0, rtz
fcvt.wu.d a0, fa0
fcvt.l.s a0, fa0, rmm
fcvt.lu.d a0, fa0, rup
fcvt.s.w fa0, a0
fcvt.d.wu fa0, a0
fcvt.s.l fa0, a0, rtz
fcvt.d.lu fa0, a0
fcvt.s.d fa0, fa1
fcvt.d.s fa0, fa1
fmv.x.w a0, fa0
fmv.w.x fa0, a0
fmv.x.d a0, fa0
fmv.d.x fa0, a0
fmv.d fa0, fa1
fneg.s fa0, fa1
fabs.d fa0, fa1
frcsr a0
fscsr a1
fscsr a0, a1
frrm a0
fsrm a0
frflags a0
fsflags a0
csrrwi a0, frm, 3
fcvt.d.w fa0, a0
fld fs0, 8(a1)
fsd fa5, 248(s1)
fld ft0, 504(sp)
fsd ft11, 0(sp)
`;

describe("agrees with clang's assembler", () => {
  it("on every F and D instruction, rounding modes and FP pseudo-instructions, compressed or not", () => {
    expectSameAsClang(FP_CORPUS, false);
    expectSameAsClang(FP_CORPUS, true);
    expectSameAsClang(`c.fld fa0, 8(a1)
c.fsd fa5, 248(s1)
c.fldsp ft0, 504(sp)
c.fsdsp ft11, 0(sp)\n`, true);
  });
  it("on every base instruction and pseudo-instruction (no compression)", () => {
    expectSameAsClang(CORPUS, false);
  });
  it("on every base instruction and pseudo-instruction (automatic compression)", () => {
    expectSameAsClang(CORPUS, true);
  });
  it("on branches and jumps to labels, including relaxation of compressed branches", () => {
    expectSameAsClang(BRANCHES, false);
    expectSameAsClang(BRANCHES, true);
  });
  it("on explicit compressed mnemonics", () => {
    expectSameAsClang(
      `
c.addi a0, -32
c.addiw a1, 0
c.li t0, 31
c.lui a0, 1
c.lui a0, 0xfffe0
c.addi16sp sp, 496
c.addi4spn s0, sp, 1020
c.lw s0, 124(a5)
c.ld s1, 248(a4)
c.sw a0, 0(a1)
c.sd a0, 8(a1)
c.srli a0, 63
c.srai s1, 1
c.andi a2, -32
c.sub a0, a1
c.xor a0, a1
c.or a0, a1
c.and a0, a1
c.subw a0, a1
c.addw a0, a1
c.slli ra, 1
c.lwsp ra, 252(sp)
c.ldsp ra, 504(sp)
c.swsp ra, 252(sp)
c.sdsp t6, 504(sp)
c.jr a0
c.jalr a0
c.mv a0, t6
c.add a0, t6
c.ebreak
c.nop
1: c.j 1b
c.beqz a0, 1b
c.bnez a0, 1f
1: c.nop
`,
      true,
    );
  });

  it("on .option norvc / rvc / push / pop", () => {
    expectSameAsClang(
      `
addi a0, a0, 1
.option push
.option norvc
addi a0, a0, 1
1: beqz a0, 1b
.option push
.option rvc
addi a1, a1, 1
.option pop
addi a1, a1, 1
.option pop
addi a1, a1, 1
beqz a0, 1b
`,
      true,
    );
  });

  it("on randomly generated instruction lines", () => {
    for (const seed of [1, 2, 3]) {
      const lines = randomLines(seed, 300);
      expectSameAsClang(lines.join("\n") + "\n", false);
      expectSameAsClang(lines.join("\n") + "\n", true);
    }
  });
});

/** Random well-formed instruction lines covering most of the mnemonics. */
function randomLines(seed: number, n: number): string[] {
  let s = seed >>> 0 || 1;
  const rnd = (k: number): number => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s % k;
  };
  const regs = ["zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "s2", "t6"];
  const creg = ["s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5"];
  const reg = (): string => (rnd(3) === 0 ? creg[rnd(creg.length)]! : regs[rnd(regs.length)]!);
  const simm = (bits: number): number => {
    const pick = rnd(4);
    if (pick === 0) return rnd(64) - 32;
    return rnd(1 << bits) - (1 << (bits - 1));
  };
  const out: string[] = [];
  const r3 = ["add", "sub", "sll", "slt", "sltu", "xor", "srl", "sra", "or", "and", "mul", "mulh", "mulhsu", "mulhu", "div", "divu", "rem", "remu", "addw", "subw", "sllw", "srlw", "sraw", "mulw", "divw", "divuw", "remw", "remuw"];
  const i3 = ["addi", "slti", "sltiu", "xori", "ori", "andi", "addiw"];
  const loads = ["lb", "lh", "lw", "ld", "lbu", "lhu", "lwu"];
  const stores = ["sb", "sh", "sw", "sd"];
  const amos = ["amoswap", "amoadd", "amoxor", "amoand", "amoor", "amomin", "amomax", "amominu", "amomaxu"];
  for (let i = 0; i < n; i++) {
    const same = rnd(2) === 0;
    const rd = reg();
    const rs1 = same ? rd : reg();
    switch (rnd(9)) {
      case 0: out.push(`${r3[rnd(r3.length)]} ${rd}, ${rs1}, ${rnd(3) === 0 ? rd : reg()}`); break;
      case 1: out.push(`${i3[rnd(i3.length)]} ${rd}, ${rs1}, ${simm(12)}`); break;
      case 2: {
        const m = ["slli", "srli", "srai", "slliw", "srliw", "sraiw"][rnd(6)]!;
        out.push(`${m} ${rd}, ${rs1}, ${rnd(m.endsWith("w") ? 32 : 64)}`);
        break;
      }
      case 3: {
        const m = loads[rnd(loads.length)]!;
        const off = rnd(2) ? rnd(64) * 8 : simm(12);
        out.push(`${m} ${rd}, ${off}(${rnd(3) === 0 ? "sp" : reg()})`);
        break;
      }
      case 4: {
        const m = stores[rnd(stores.length)]!;
        const off = rnd(2) ? rnd(64) * 8 : simm(12);
        out.push(`${m} ${reg()}, ${off}(${rnd(3) === 0 ? "sp" : reg()})`);
        break;
      }
      case 5: out.push(`lui ${rd}, ${rnd(3) === 0 ? rnd(32) : rnd(0x100000)}`); break;
      case 6: {
        const w = rnd(2) ? "w" : "d";
        const ord = ["", ".aq", ".rl", ".aqrl"][rnd(4)];
        out.push(`${amos[rnd(amos.length)]}.${w}${ord} ${rd}, ${reg()}, (${reg()})`);
        break;
      }
      case 7: out.push(rnd(2) ? `jalr ${["zero", "ra", rd][rnd(3)]}, ${rnd(4) ? 0 : simm(12)}(${reg()})` : `li ${rd}, ${simm(12)}`); break;
      case 8: out.push(`addi ${rd === "zero" ? "sp" : rd}, sp, ${rnd(2) ? rnd(256) * 4 : rnd(64) * 16 - 512}`); break;
    }
  }
  return out;
}

describe("li", () => {
  /** Executes a li expansion the way the hart would. */
  const run = (v: bigint): bigint => {
    let x = 0n;
    for (const step of liSequence(v)) {
      if (step.mn === "lui") x = BigInt.asIntN(64, BigInt.asIntN(32, step.imm << 12n));
      else if (step.mn === "addi") x = BigInt.asIntN(64, x + step.imm);
      else if (step.mn === "addiw") x = BigInt.asIntN(32, x + step.imm);
      else x = BigInt.asIntN(64, x << step.imm);
    }
    return x;
  };
  it("builds every 64-bit constant in at most 8 instructions", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }), (v) => {
        expect(run(v)).toBe(v);
        expect(liSequence(v).length).toBeLessThanOrEqual(8);
      }),
      { numRuns: 5000 },
    );
    for (const v of [0n, -1n, 1n << 63n, (1n << 63n) - 1n, 0x80000000n, 0xffffffffn, -0x80000001n, 0x7ffff800n]) {
      expect(run(BigInt.asIntN(64, v))).toBe(BigInt.asIntN(64, v));
    }
  });
  it("accepts unsigned spellings of 64-bit constants", () => {
    const a = assemble("li a0, 0xffffffffffffffff").text;
    const b = assemble("li a0, -1").text;
    expect(hex(a)).toBe(hex(b));
  });
});

describe("sections, symbols and programs", () => {
  it("places .data on the page after .text and resolves la across sections", () => {
    const out = assemble(`
.text
_start:
  la a0, msg
  call f
f: ret
.data
  .byte 1
msg: .string "hi\\n"
  .align 3
tab: .dword msg, f
  .word 0x12345678
  .zero 3
`);
    expect(out.textAddress).toBe(0x10000n);
    expect(out.dataAddress).toBe(0x11000n);
    expect(out.symbols.get("msg")).toMatchObject({ section: "data", offset: 1, address: 0x11001n });
    expect(out.symbols.get("f")).toMatchObject({ section: "text", offset: 16 });
    expect(Array.from(out.data.subarray(0, 5))).toEqual([1, 0x68, 0x69, 0x0a, 0]);
    const view = new DataView(out.data.buffer);
    expect(view.getBigUint64(8, true)).toBe(0x11001n);
    expect(view.getBigUint64(16, true)).toBe(0x10010n);
    expect(view.getUint32(24, true)).toBe(0x12345678);
    expect(out.data.length).toBe(31);
    // auipc a0, 1 ; addi a0, a0, 1  (0x11001 - 0x10000)
    expect(new DataView(out.text.buffer).getUint32(0, true)).toBe(0x00001517);
    expect(new DataView(out.text.buffer).getUint32(4, true)).toBe(0x00150513);
  });

  it("supports %hi/%lo, %pcrel_hi/%pcrel_lo, .equ and expressions", () => {
    const out = assemble(`
.equ N, 3 * 4 + 1
_start:
  lui a0, %hi(val)
  addi a0, a0, %lo(val)
1: auipc a1, %pcrel_hi(val)
  ld a1, %pcrel_lo(1b)(a1)
  li a2, N << 2
  addi a3, a3, (N - 1) / 2
.data
val: .dword 7
`);
    const v = new DataView(out.text.buffer);
    expect(v.getUint32(0, true)).toBe(0x00011537); // lui a0, 0x11
    expect(v.getUint32(4, true)).toBe(0x00050513); // addi a0, a0, 0
    expect(v.getUint32(8, true)).toBe(0x00001597); // auipc a1, 1
    expect(v.getUint32(12, true)).toBe(0xff85b583); // ld a1, -8(a1)
    expect(v.getUint32(16, true)).toBe(0x03400613); // li a2, 52
    expect(v.getUint32(20, true)).toBe(0x00668693); // addi a3, a3, 6
  });

  it("writes a runnable static executable that our validator accepts", () => {
    const { elf } = assembleProgram("_start:\n li a7, 93\n li a0, 0\n ecall\n.data\nx: .word 1\n", { bssBytes: 100 });
    const img = parseElf(elf);
    expect(img.entry).toBe(0x10000n);
    expect(img.segments.map((s) => [s.vaddr, s.flags, s.memsz])).toEqual([[0x10000n, 5, 12n], [0x11000n, 6, 104n]]);
  });
});

describe("errors name the line", () => {
  it.each([
    ["nop\nfrobnicate a0", 2, /unknown instruction "frobnicate"/],
    ["addi a0, a1, 5000", 1, /out of range/],
    ["addi a0, q7, 1", 1, /"q7" is not a register/],
    ["\n\nld a0, a1", 3, /memory operand/],
    ["beq a0, a1, nowhere", 1, /undefined symbol "nowhere"/],
    ["x:\nx:", 2, /defined twice/],
    ["slli a0, a0, 64", 1, /shift amount/],
    ["slliw a0, a0, 32", 1, /shift amount/],
    ["c.addi a5, 0", 1, /compressed form/],
    ["c.lw a0, 4(sp)", 1, /compressed form/],
    ["add a0, a1", 1, /takes 3 operands/],
    [".data\n.word 1\n.frob 3", 3, /unknown directive/],
    ["li a0, 1 << 70", 1, /does not fit/],
    ["lui a0, 0x100000", 1, /out of range/],
    ["amoadd.w a0, a1, 4(a2)", 1, /no offset/],
    ["a: .zero 5000\nbeq a0, a1, a", 2, /beyond ±4 KiB/],
    ["addi a0, a0, (1", 1, /expected "\)"/],
    [".string abc", 1, /quoted string/],
    ["j 1b", 1, /no earlier local label/],
  ] as const)("%j", (src, line, message) => {
    let caught: unknown;
    try {
      assemble(src);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(AsmError);
    expect((caught as AsmError).line).toBe(line);
    expect((caught as AsmError).message).toMatch(message);
  });
});
