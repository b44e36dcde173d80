// The hart's instruction set, instruction by instruction: RV64I, M, A,
// Zicsr counters, Zifencei, the trap contract and misaligned accesses.
// Programs are assembled with host/rv/asm.ts and end in ecall.

import { describe, expect, it } from "vitest";
import { Machine, CAUSE, DATA, TEXT, REG, u64 } from "./hart/support.js";

const M64 = (1n << 64n) - 1n;
const MIN64 = 1n << 63n;

/** Runs `body` with the given registers preset; returns the machine stopped at the final ecall. */
function run(body: string, regs: Record<string, bigint> = {}, compress = false): Machine {
  const m = new Machine();
  m.load(`${body}\n ecall\n`, { compress });
  for (const [name, v] of Object.entries(regs)) m.setReg(REG[name]!, v);
  const cause = m.runToTrap();
  expect(cause).toBe(CAUSE.ECALL);
  return m;
}
/** Result in a0 of one instruction with a1, a2 preset. */
function op(insn: string, a1: bigint, a2 = 0n): bigint {
  return run(`${insn}`, { a1, a2 }).reg(REG.a0!);
}

describe("RV64I arithmetic", () => {
  it("adds and subtracts with 64-bit wraparound", () => {
    expect(op("add a0, a1, a2", M64, 2n)).toBe(1n);
    expect(op("sub a0, a1, a2", 0n, 1n)).toBe(M64);
  });
  it("sign-extends the 32-bit result of every *W form", () => {
    expect(op("addw a0, a1, a2", 0x7fffffffn, 1n)).toBe(u64(-0x80000000n));
    expect(op("subw a0, a1, a2", 0n, 1n)).toBe(M64);
    expect(op("addiw a0, a1, 1", 0xffffffffn)).toBe(0n);
    expect(op("addiw a0, a1, 0", 0x1_8000_0000n)).toBe(u64(-0x80000000n));
    expect(op("sllw a0, a1, a2", 1n, 31n)).toBe(u64(-0x80000000n));
    expect(op("srlw a0, a1, a2", 0xffff_ffff_8000_0000n, 0n)).toBe(u64(-0x80000000n));
    expect(op("srlw a0, a1, a2", 0x8000_0000n, 4n)).toBe(0x0800_0000n);
    expect(op("sraw a0, a1, a2", 0x8000_0000n, 4n)).toBe(u64(-0x0800_0000n));
    expect(op("slliw a0, a1, 31", 3n)).toBe(u64(-0x80000000n));
    expect(op("srliw a0, a1, 1", M64)).toBe(0x7fffffffn);
    expect(op("sraiw a0, a1, 1", 0x8000_0000n)).toBe(u64(-0x40000000n));
  });
  it("masks shift amounts to 6 bits, and to 5 bits for *W", () => {
    expect(op("sll a0, a1, a2", 1n, 64n + 3n)).toBe(8n);
    expect(op("srl a0, a1, a2", MIN64, 127n)).toBe(1n);
    expect(op("sra a0, a1, a2", MIN64, 63n)).toBe(M64);
    expect(op("sllw a0, a1, a2", 1n, 32n + 2n)).toBe(4n);
    expect(op("sraw a0, a1, a2", 0x8000_0000n, 63n)).toBe(M64);
  });
  it("compares signed and unsigned", () => {
    expect(op("slt a0, a1, a2", M64, 0n)).toBe(1n);
    expect(op("sltu a0, a1, a2", M64, 0n)).toBe(0n);
    expect(op("slti a0, a1, -1", u64(-2n))).toBe(1n);
    expect(op("sltiu a0, a1, -1", 5n)).toBe(1n); // imm sign-extends to all ones
    expect(op("sltiu a0, a1, 1", 0n)).toBe(1n);
  });
  it("logic immediates sign-extend", () => {
    expect(op("xori a0, a1, -1", 0n)).toBe(M64);
    expect(op("andi a0, a1, -16", M64)).toBe(u64(-16n));
    expect(op("ori a0, a1, 0x7ff", 0n)).toBe(0x7ffn);
    expect(op("srai a0, a1, 63", MIN64)).toBe(M64);
    expect(op("srli a0, a1, 63", MIN64)).toBe(1n);
    expect(op("slli a0, a1, 63", 1n)).toBe(MIN64);
  });
  it("lui and auipc sign-extend their 32-bit value", () => {
    expect(run("lui a0, 0x80000").reg(REG.a0!)).toBe(u64(-0x80000000n));
    const m = run("nop\nauipc a0, 0xfffff");
    expect(m.reg(REG.a0!)).toBe(TEXT + 4n - 0x1000n);
  });
  it("never changes x0", () => {
    const m = run("li t0, 5\naddi zero, t0, 1\nadd a0, zero, zero\nlui zero, 1\nld zero, 0(a1)", { a1: DATA });
    expect(m.reg(0)).toBe(0n);
    expect(m.reg(REG.a0!)).toBe(0n);
  });
});

describe("RV64M", () => {
  const mulhRef = (a: bigint, b: bigint, sa: boolean, sb: boolean): bigint => {
    const x = sa ? BigInt.asIntN(64, a) : a;
    const y = sb ? BigInt.asIntN(64, b) : b;
    return u64((x * y) >> 64n);
  };
  const samples = [0n, 1n, 2n, 3n, M64, MIN64, MIN64 - 1n, 0xffff_ffffn, 0x1_0000_0000n, 0x1234_5678_9abc_def0n,
    0xfedc_ba98_7654_3210n, 0x8000_0000n, 0x7fff_ffff_ffff_fffen];
  it("MULH, MULHU and MULHSU give the exact high 64 bits", () => {
    for (const a of samples) {
      for (const b of samples) {
        const m = run("mulh a0, a1, a2\nmulhu a3, a1, a2\nmulhsu a4, a1, a2\nmul a5, a1, a2", { a1: a, a2: b });
        expect(m.reg(REG.a0!)).toBe(mulhRef(a, b, true, true));
        expect(m.reg(REG.a3!)).toBe(mulhRef(a, b, false, false));
        expect(m.reg(REG.a4!)).toBe(mulhRef(a, b, true, false));
        expect(m.reg(REG.a5!)).toBe(u64(a * b));
      }
    }
  });
  it("mulw sign-extends the low 32 bits of the product", () => {
    expect(op("mulw a0, a1, a2", 0x10000n, 0x8000n)).toBe(u64(-0x80000000n));
  });
  it("division by zero gives all ones and the dividend", () => {
    const m = run("div a0, a1, zero\ndivu a3, a1, zero\nrem a4, a1, zero\nremu a5, a1, zero", { a1: 42n });
    expect(m.reg(REG.a0!)).toBe(M64);
    expect(m.reg(REG.a3!)).toBe(M64);
    expect(m.reg(REG.a4!)).toBe(42n);
    expect(m.reg(REG.a5!)).toBe(42n);
    const w = run("divw a0, a1, zero\ndivuw a3, a1, zero\nremw a4, a1, zero\nremuw a5, a1, zero", { a1: 0x1_8000_0001n });
    expect(w.reg(REG.a0!)).toBe(M64);
    expect(w.reg(REG.a3!)).toBe(M64);
    expect(w.reg(REG.a4!)).toBe(u64(-0x7fffffffn));
    expect(w.reg(REG.a5!)).toBe(u64(-0x7fffffffn));
  });
  it("signed overflow gives the dividend and remainder 0", () => {
    const m = run("div a0, a1, a2\nrem a3, a1, a2", { a1: MIN64, a2: M64 });
    expect(m.reg(REG.a0!)).toBe(MIN64);
    expect(m.reg(REG.a3!)).toBe(0n);
    const w = run("divw a0, a1, a2\nremw a3, a1, a2", { a1: 0x8000_0000n, a2: M64 });
    expect(w.reg(REG.a0!)).toBe(u64(-0x80000000n));
    expect(w.reg(REG.a3!)).toBe(0n);
  });
  it("divides rounding toward zero", () => {
    const m = run("div a0, a1, a2\nrem a3, a1, a2\ndivu a4, a1, a2\nremu a5, a1, a2", { a1: u64(-7n), a2: 2n });
    expect(m.sreg(REG.a0!)).toBe(-3n);
    expect(m.sreg(REG.a3!)).toBe(-1n);
    expect(m.reg(REG.a4!)).toBe(u64(-7n) / 2n);
    expect(m.reg(REG.a5!)).toBe(1n);
    const w = run("divuw a0, a1, a2\nremuw a3, a1, a2", { a1: 0xffff_fff9n, a2: 2n });
    expect(w.reg(REG.a0!)).toBe(0x7fff_fffcn);
    expect(w.reg(REG.a3!)).toBe(1n);
  });
});

describe("control transfer", () => {
  it("takes each branch kind only when its condition holds", () => {
    const m = run(`
      li a0, 0
      li t0, -1
      li t1, 1
      beq t0, t1, 1f
      ori a0, a0, 1
    1: bne t0, t1, 1f
      ori a0, a0, 2
    1: blt t0, t1, 1f
      ori a0, a0, 4
    1: bge t0, t1, 1f
      ori a0, a0, 8
    1: bltu t0, t1, 1f
      ori a0, a0, 16
    1: bgeu t0, t1, 1f
      ori a0, a0, 32
    1:`);
    expect(m.reg(REG.a0!)).toBe(1n | 8n | 16n);
  });
  it("jal and jalr link the next pc and jalr clears bit 0", () => {
    const m = run(`
      jal ra, 1f
    back:
      j 2f
    1: la t0, back
      addi t0, t0, 1
      jalr a1, 0(t0)
    2:`);
    expect(m.reg(REG.ra!)).toBe(TEXT + 4n);
    expect(m.reg(REG.a1!)).toBeGreaterThan(TEXT);
  });
  it("jalr reads rs1 before writing rd when they are the same register", () => {
    const m = run(`
      la t0, 1f
      jalr t0, 0(t0)
      nop
    1:`);
    const target = m.reg(REG.t0!);
    expect(target).toBe(TEXT + 12n); // link = address after the jalr (la is 2 instructions)
  });
});

describe("loads and stores", () => {
  it("sign- and zero-extend every load width", () => {
    const m = new Machine();
    m.load(`
      la t0, val
      lb a0, 0(t0)
      lbu a1, 0(t0)
      lh a2, 0(t0)
      lhu a3, 0(t0)
      lw a4, 0(t0)
      lwu a5, 0(t0)
      ld a6, 0(t0)
      ecall
      .data
    val: .dword 0x80000000f0f08080
    `);
    expect(m.runToTrap()).toBe(CAUSE.ECALL);
    expect(m.reg(REG.a0!)).toBe(u64(-128n));
    expect(m.reg(REG.a1!)).toBe(0x80n);
    expect(m.reg(REG.a2!)).toBe(u64(-0x7f80n));
    expect(m.reg(REG.a3!)).toBe(0x8080n);
    expect(m.reg(REG.a4!)).toBe(u64(-0x0f0f7f80n));
    expect(m.reg(REG.a5!)).toBe(0xf0f08080n);
    expect(m.reg(REG.a6!)).toBe(0x80000000f0f08080n);
  });
  it("stores write only their width", () => {
    const m = run(`
      li t1, -1
      sd t1, 0(a1)
      sb zero, 0(a1)
      sh zero, 2(a1)
      sw zero, 4(a1)
      ld a0, 0(a1)`, { a1: DATA });
    expect(m.reg(REG.a0!)).toBe(0x0000_0000_0000_ff00n);
  });
  it("completes misaligned loads and stores, also across a page boundary", () => {
    const m = run(`
      li t1, 0x1122334455667788
      sd t1, 3(a1)
      ld a0, 3(a1)
      li t2, 0x0ffd
      add t2, a1, t2
      sd t1, 0(t2)
      ld a2, 0(t2)
      lw a3, 1(t2)
      lhu a4, 2(t2)`, { a1: DATA });
    expect(m.reg(REG.a0!)).toBe(0x1122334455667788n);
    expect(m.reg(REG.a2!)).toBe(0x1122334455667788n);
    expect(m.reg(REG.a3!)).toBe(0x44556677n);
    expect(m.reg(REG.a4!)).toBe(0x5566n);
    expect(m.readU64(DATA + 0xffdn)).toBe(0x1122334455667788n);
  });
});

describe("atomics", () => {
  const amo = (insn: string, mem: bigint, src: bigint, wide: boolean) => {
    const m = new Machine();
    m.load(`${insn} a0, a2, (a1)\necall`);
    m.writeU64(DATA, mem);
    m.setReg(REG.a1!, DATA);
    m.setReg(REG.a2!, src);
    expect(m.runToTrap()).toBe(CAUSE.ECALL);
    return { old: m.reg(REG.a0!), now: wide ? m.readU64(DATA) : m.readU64(DATA) & 0xffff_ffffn, hi: m.readU64(DATA) >> 32n };
  };
  it("every .D AMO returns the old value and stores the operation", () => {
    const a = 0x8000_0000_0000_0005n, b = 7n;
    const cases: Array<[string, bigint]> = [
      ["amoswap.d", b], ["amoadd.d", u64(a + b)], ["amoxor.d", a ^ b], ["amoand.d", a & b], ["amoor.d", a | b],
      ["amomin.d", a], ["amomax.d", b], ["amominu.d", b], ["amomaxu.d", a],
    ];
    for (const [insn, want] of cases) {
      const r = amo(insn, a, b, true);
      expect(r.old, insn).toBe(a);
      expect(r.now, insn).toBe(want);
    }
  });
  it("every .W AMO works on 32 bits, sign-extends the old value and leaves the upper word", () => {
    const mem = 0xaaaa_aaaa_8000_0005n, b = 0x1_0000_0007n;
    const lo = 0x8000_0005n, bl = 7n;
    const cases: Array<[string, bigint]> = [
      ["amoswap.w", bl], ["amoadd.w", (lo + bl) & 0xffff_ffffn], ["amoxor.w", lo ^ bl], ["amoand.w", lo & bl],
      ["amoor.w", lo | bl], ["amomin.w", lo], ["amomax.w", bl], ["amominu.w", bl], ["amomaxu.w", lo],
    ];
    for (const [insn, want] of cases) {
      const r = amo(insn, mem, b, false);
      expect(r.old, insn).toBe(u64(-0x7fff_fffbn));
      expect(r.now, insn).toBe(want);
      expect(r.hi, insn).toBe(0xaaaa_aaaan);
    }
  });
  it("SC succeeds after LR to the same address and fails without a reservation", () => {
    const m = run(`
      lr.d t0, (a1)
      addi t0, t0, 1
      sc.d a0, t0, (a1)
      sc.d a2, t0, (a1)
      lr.w t1, (a1)
      sc.w a3, t1, (a4)`, { a1: DATA, a4: DATA + 8n });
    expect(m.reg(REG.a0!)).toBe(0n);
    expect(m.reg(REG.a2!)).toBe(1n);
    expect(m.reg(REG.a3!)).toBe(1n);
    expect(m.readU64(DATA)).toBe(1n);
  });
  it("a return to the kernel drops the reservation", () => {
    const m = new Machine();
    m.load("lr.d t0, (a1)\necall\nsc.d a0, t0, (a1)\necall");
    m.setReg(REG.a1!, DATA);
    expect(m.runToTrap()).toBe(CAUSE.ECALL);
    m.h.hartSetPc(m.ctx, m.pc() + 4n);
    expect(m.runToTrap()).toBe(CAUSE.ECALL);
    expect(m.reg(REG.a0!)).toBe(1n);
  });
  it("misaligned LR raises load-misaligned, misaligned SC and AMO raise store/AMO-misaligned", () => {
    for (const [insn, cause] of [["lr.w a0, (a1)", 4], ["lr.d a0, (a1)", 4], ["sc.d a0, a2, (a1)", 6], ["amoadd.w a0, a2, (a1)", 6], ["amoswap.d a0, a2, (a1)", 6]] as const) {
      const m = new Machine();
      m.load(`${insn}\necall`);
      m.setReg(REG.a1!, DATA + 2n);
      expect(m.runToTrap(), insn).toBe(cause);
      expect(m.tval(), insn).toBe(DATA + 2n);
      expect(m.pc(), insn).toBe(TEXT);
    }
  });
});

describe("traps", () => {
  it("ecall leaves pc on the ecall and does not retire it", () => {
    const m = run("nop\nnop");
    expect(m.pc()).toBe(TEXT + 8n);
    expect(m.instret()).toBe(2n);
    expect(m.tval()).toBe(0n);
  });
  it("ebreak and c.ebreak raise breakpoint with tval = pc", () => {
    for (const insn of ["ebreak", "c.ebreak"]) {
      const m = new Machine();
      m.load(`nop\n${insn}`);
      expect(m.runToTrap()).toBe(CAUSE.BREAKPOINT);
      expect(m.pc()).toBe(TEXT + 4n);
      expect(m.tval()).toBe(TEXT + 4n);
    }
  });
  const illegal = (word: string, bits: bigint) => {
    const m = new Machine();
    m.load(`li a0, 1\n${word}\nli a0, 2\necall`);
    expect(m.runToTrap(), word).toBe(CAUSE.ILLEGAL);
    expect(m.tval(), word).toBe(bits);
    expect(m.pc(), word).toBe(TEXT + 4n);
    expect(m.reg(REG.a0!), word).toBe(1n);
    expect(m.instret(), word).toBe(1n);
  };
  it("privileged instructions, other CSRs, counter writes and reserved FP encodings raise illegal instruction with the bits", () => {
    const words: bigint[] = [
      0x30200073n, // mret
      0x10200073n, // sret
      0x10500073n, // wfi
      0x12000073n, // sfence.vma
      0x30002573n, // csrr a0, mstatus
      0x00402573n, // csrr a0, 0x004 (next to fcsr)
      0xc0001573n, // csrrw a0, cycle, zero (writes)
      0xc0029573n, // csrrw? csrrs a0, cycle, t0 (writes)
      0xc0035573n, // csrrwi a0, cycle, 6
      0xc8002573n, // csrr a0, cycleh (RV32 only)
      0xc0302573n, // hpmcounter3
      0x00054507n, // LOAD-FP funct3 = 4 (FLQ is not implemented)
      0x06b57553n, // fadd.q (fmt = 3)
      0x04b57553n, // fadd.h (fmt = 2)
      0x02b55553n, // fadd.d with the reserved rounding mode 5
      0x02b56553n, // fadd.d with the reserved rounding mode 6
      0x5a1575d3n, // fsqrt.d with rs2 = 1 (reserved)
      0x22b53553n, // fsgnj.d funct3 = 3
      0x2ab52553n, // fmin.d funct3 = 2
      0xa2b53553n, // feq.d funct3 = 3
      0xc2457553n, // fcvt.w.d rs2 = 4
      0x40057553n, // fcvt.s.s (fcvt.fmt.fmt with rs2 = fmt)
      0xe2151553n, // fclass.d with rs2 = 1
      0x06b5f543n, // fmadd.q
      0x0000100fn | (1n << 20n), // fence.i with imm is still fence.i; use cbo-like funct3=2 instead below
    ];
    words.pop();
    words.push(0x0000200fn); // MISC-MEM funct3 = 2
    words.push(0x0000701bn); // OP-IMM-32 funct3 = 7
    words.push(0x02005013n | (0x3n << 26n)); // srli with reserved high bits
    words.push(0x0200101bn); // slliw with imm[5] = 1
    words.push(0x0000000bn); // custom-0
    words.push(0xffffffffn);
    for (const w of words) illegal(`.word ${w}`, w);
  });
  it("reserved compressed encodings raise illegal instruction with the 16 bits", () => {
    for (const h of [0x0000, 0x8000 /* reserved */, 0x6081 /* c.addi16sp nzimm=0 */, 0x6001 /* c.lui x0, nzimm = 0 */, 0x6101 /* c.lui x2 pattern is c.addi16sp: nzimm = 0 */, 0x2001 /* c.addiw x0 */, 0x4002 /* c.lwsp x0 */, 0x6002 /* c.ldsp x0 */, 0x8002 /* c.jr x0 */, 0x9c41 /* reserved subw-group */]) {
      illegal(`.half ${h}\n.half 1`, BigInt(h));
    }
  });
});

describe("counters", () => {
  it("rdinstret and rdcycle count exactly the instructions retired before them", () => {
    const m = run("nop\nnop\nrdinstret a0\nrdcycle a1\nnop\nrdinstret a2");
    expect(m.reg(REG.a0!)).toBe(2n);
    expect(m.reg(REG.a1!)).toBe(3n);
    expect(m.reg(REG.a2!)).toBe(5n);
  });
  it("rdtime follows the scheme time = base + retired since set x scale", () => {
    const m = new Machine();
    m.load("nop\nnop\nnop\nrdtime a0\necall");
    m.h.hartSetTime(m.ctx, 1000n, 3 << 16);
    expect(m.runToTrap()).toBe(CAUSE.ECALL);
    expect(m.reg(REG.a0!)).toBe(1009n);
  });
  it("instret stays exact across budget-limited slices", () => {
    const m = new Machine();
    m.load(`
      li t0, 1000
    1: addi t0, t0, -1
      bnez t0, 1b
      rdinstret a0
      ecall`);
    let slices = 0;
    let cause = CAUSE.BUDGET;
    while (cause === CAUSE.BUDGET) { cause = m.run(7); slices++; }
    expect(cause).toBe(CAUSE.ECALL);
    expect(m.reg(REG.a0!)).toBe(2001n);
    expect(m.instret()).toBe(2002n);
    expect(slices).toBe(Math.ceil(2002 / 7) + (2002 % 7 === 0 ? 1 : 0));
  });
  it("a budget of zero returns at once and a pending interrupt stops before the next block", () => {
    const m = new Machine();
    m.load("nop\necall");
    expect(m.run(0)).toBe(CAUSE.BUDGET);
    expect(m.instret()).toBe(0n);
    new DataView(m.mem.buffer).setUint32(0x1000, 1, true);
    expect(m.run(100)).toBe(CAUSE.INTERRUPT);
    expect(m.pc()).toBe(TEXT);
    new DataView(m.mem.buffer).setUint32(0x1000, 0, true);
    expect(m.run(100)).toBe(CAUSE.ECALL);
  });
});
