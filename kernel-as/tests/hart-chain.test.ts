// Block chaining (blockcache.ts, execute.ts): a block jumps straight to its
// linked successor, so these tests check that no link outlives what made it
// valid — code rewritten by a store, by the kernel or by fence.i, a page
// remapped to another frame, another address space at the same virtual
// address — and that the budget and instret stay exact while blocks chain.

import { describe, expect, it } from "vitest";
import { Machine, CAUSE, PTE, TEXT, URW, URX, REG } from "./hart/support.js";

const ADDI_A0_100 = 0x06450513; // addi a0, a0, 100

/** Five rounds of a loop whose first instruction, at TEXT + 8, is `addi a0, a0, 1`. */
const COUNT_LOOP = `
    li a0, 0
    li s1, 5
loop:
    addi a0, a0, 1
    addi s1, s1, -1
    bnez s1, loop
    ecall`;
const LOOP_INSN = TEXT + 8n; // after li a0 / li s1

describe("block chaining", () => {
  for (const [what, insn] of [["a store", "sw t1, 0(t6)"], ["an AMO", "amoswap.w zero, t1, (t6)"]]) {
    it(`a chained loop sees ${what} into its own code without fence.i`, () => {
      // The loop is one block (after round 1, which runs inside the entry
      // block); its link to itself is made in round 2, and in round 3 its
      // store is aimed at its own first instruction.
      const m = new Machine();
      const syms = m.load(`
        li a0, 0
        li s1, 5
        li t0, 0x40000
        li t1, ${ADDI_A0_100}
      loop:
        addi a0, a0, 1
        addi s1, s1, -1
        xori t5, s1, 2
        seqz t5, t5
        neg t5, t5
        and t5, t5, t4
        add t6, t0, t5
        ${insn}
        bnez s1, loop
        ecall`, { textFlags: URW | PTE.X });
      m.setReg(REG.t4!, syms.get("loop")! - 0x40000n);
      expect(m.runToTrap()).toBe(CAUSE.ECALL);
      // Three rounds add 1, the store lands, two more rounds add 100.
      expect(m.reg(REG.a0!)).toBe(203n);
    });
  }

  it("code rewritten by the kernel runs after hartInvalidateCode, though its blocks were chained", () => {
    const m = new Machine();
    m.load(COUNT_LOOP);
    expect(m.runToTrap()).toBe(CAUSE.ECALL);
    expect(m.reg(REG.a0!)).toBe(5n);
    m.writeU32(LOOP_INSN, ADDI_A0_100);
    m.h.hartInvalidateCode(m.pa(LOOP_INSN), 4);
    m.h.hartSetPc(m.ctx, TEXT);
    expect(m.runToTrap()).toBe(CAUSE.ECALL);
    expect(m.reg(REG.a0!)).toBe(500n);
  });

  it("a page remapped to another frame runs the new frame's code, not the old chain", () => {
    const m = new Machine();
    m.load(COUNT_LOOP);
    expect(m.runToTrap()).toBe(CAUSE.ECALL);
    expect(m.reg(REG.a0!)).toBe(5n);
    // A copy of the text with the loop's addi changed, mapped at the same VA.
    const copy = m.h.testFrameAlloc();
    m.bytes(copy, 4096).set(m.bytes(m.pa(TEXT), 4096));
    new DataView(m.mem.buffer).setUint32(copy + Number(LOOP_INSN - TEXT), ADDI_A0_100, true);
    m.map(TEXT, copy, URX);
    m.h.tlbFlushVa(m.asid, TEXT);
    m.h.hartSetPc(m.ctx, TEXT);
    expect(m.runToTrap()).toBe(CAUSE.ECALL);
    expect(m.reg(REG.a0!)).toBe(500n);
  });

  it("a link never crosses a page: remapping the callee's page takes effect", () => {
    const m = new Machine();
    const syms = m.load(`
      li a0, 0
      li s1, 5
    loop:
      jal ra, func
      addi s1, s1, -1
      bnez s1, loop
      ecall
      .zero 4096
    func:
      addi a0, a0, 1
      ret`);
    expect(m.runToTrap()).toBe(CAUSE.ECALL);
    expect(m.reg(REG.a0!)).toBe(5n);
    const func = syms.get("func")!;
    const page = func & ~0xfffn;
    const copy = m.h.testFrameAlloc();
    m.bytes(copy, 4096).set(m.bytes(m.pa(page), 4096));
    new DataView(m.mem.buffer).setUint32(copy + Number(func - page), ADDI_A0_100, true);
    m.map(page, copy, URX);
    m.h.tlbFlushVa(m.asid, page);
    m.h.hartSetPc(m.ctx, TEXT);
    expect(m.runToTrap()).toBe(CAUSE.ECALL);
    expect(m.reg(REG.a0!)).toBe(500n);
  });

  it("two address spaces with different code at the same address each run their own", () => {
    const m = new Machine(1);
    m.load(COUNT_LOOP);
    const firstRoot = m.root;
    const firstText = m.pa(TEXT);
    // A second address space: the same program with the loop's addi changed.
    const root2 = m.newRoot();
    const text2 = m.h.testFrameAlloc();
    m.bytes(text2, 4096).set(m.bytes(firstText, 4096));
    new DataView(m.mem.buffer).setUint32(text2 + Number(LOOP_INSN - TEXT), ADDI_A0_100, true);
    m.map(TEXT, text2, URX, 0, root2);
    for (let round = 0; round < 3; round++) {
      m.setSpace(1, firstRoot);
      m.h.hartSetPc(m.ctx, TEXT);
      expect(m.runToTrap()).toBe(CAUSE.ECALL);
      expect(m.reg(REG.a0!)).toBe(5n);
      m.setSpace(2, root2);
      m.h.hartSetPc(m.ctx, TEXT);
      expect(m.runToTrap()).toBe(CAUSE.ECALL);
      expect(m.reg(REG.a0!)).toBe(500n);
    }
  });

  it("every slice of a chained loop retires exactly its budget", () => {
    for (const budget of [1, 2, 3, 5, 64, 127, 128, 129, 1000]) {
      const m = new Machine();
      m.load(`
        li t0, 1000
      1: addi t0, t0, -1
        addi t1, t1, 3
        bnez t0, 1b
        rdinstret a0
        ecall`, { compress: budget % 2 === 0 });
      let expected = 0n;
      let cause = CAUSE.BUDGET;
      while (cause === CAUSE.BUDGET) {
        cause = m.run(budget);
        if (cause !== CAUSE.BUDGET) break;
        expected += BigInt(budget);
        expect(m.instret(), `budget ${budget}`).toBe(expected);
      }
      expect(cause).toBe(CAUSE.ECALL);
      expect(m.reg(REG.a0!)).toBe(3001n);
      expect(m.instret()).toBe(3002n);
      expect(m.reg(REG.t1!)).toBe(3000n);
    }
  });

  it("a fault in a chained block leaves pc and instret at the faulting instruction", () => {
    const m = new Machine();
    m.load(`
      li t0, 0x40000
      li t1, 0x1000
      li s1, 0
    1: ld a0, 0(t0)
      addi s1, s1, 1
      add t0, t0, t1
      j 1b`);
    // DATA (0x40000) has four mapped pages; the fifth round faults.
    expect(m.runToTrap()).toBe(CAUSE.LOAD_PAGE);
    expect(m.tval()).toBe(0x44000n);
    expect(m.reg(REG.s1!)).toBe(4n);
    expect(m.instret()).toBe(3n + 4n * 4n);
  });
});
