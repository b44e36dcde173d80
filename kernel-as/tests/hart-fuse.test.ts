// Fused ops (decode.ts fuseBlock): a group of records run without
// dispatching between them must still behave as separate instructions —
// a trap inside a group is precise, and a budget may end a slice inside a
// group.

import { describe, expect, it } from "vitest";
import { Machine, CAUSE, TEXT, REG } from "./hart/support.js";

// Every fused sequence, in a loop over a small table at DATA (0x40000).
const FUSED_LOOP = `
    li s0, 0
    li s1, 40
    li a2, 0x40000
loop:
    andi a0, s1, 7
    slli a1, a0, 2
    add a1, a1, a2
    lw a3, 0(a1)
    add s0, s0, a3
    slli a4, a0, 3
    add a4, a4, a2
    add a5, a2, a0
    lbu a6, 0(a5)
    add s0, s0, a6
    add a7, a0, a2
    lw t0, 4(a7)
    xor s0, s0, t0
    addi s1, s1, -1
    addi s0, s0, 3
    bnez s1, loop
    ecall
    .data
    .word 0x11, 0x2200, 0x330000, 0x44000000, 0x55, 0x6600, 0x770000, 0x88000000, 0x99
`;

function regsAfter(m: Machine): bigint[] {
  return Array.from({ length: 32 }, (_, i) => m.reg(i));
}

describe("fused ops", () => {
  it("a slice may end inside any fused group: every budget gives the same state and an exact instret", () => {
    const ref = new Machine();
    ref.load(FUSED_LOOP);
    expect(ref.runToTrap()).toBe(CAUSE.ECALL);
    const want = regsAfter(ref);
    const total = ref.instret();
    for (const budget of [1, 2, 3, 4, 5, 6, 7, 11, 13]) {
      const m = new Machine();
      m.load(FUSED_LOOP);
      let cause = CAUSE.BUDGET;
      let expected = 0n;
      while ((cause = m.run(budget)) === CAUSE.BUDGET) {
        expected += BigInt(budget);
        expect(m.instret(), `budget ${budget}`).toBe(expected);
      }
      expect(cause).toBe(CAUSE.ECALL);
      expect(m.instret(), `budget ${budget}`).toBe(total);
      expect(regsAfter(m), `budget ${budget}`).toEqual(want);
    }
  });

  for (const [what, body, faultAt] of [
    ["the load of slli/add/lw", "slli a1, a0, 2\nadd a1, a1, a2\nlw a3, 0(a1)", 2],
    ["the load of add/lw", "add a1, a0, a2\nlw a3, 0(a1)", 1],
    ["the load of add/lbu", "add a1, a0, a2\nlbu a3, 0(a1)", 1],
  ] as const) {
    it(`a fault at ${what} is precise: the earlier parts retire, pc is the load`, () => {
      const m = new Machine();
      m.load(`
        li a0, 4
        li a2, 0x200000
        ${body}
        ecall`);
      expect(m.runToTrap()).toBe(CAUSE.LOAD_PAGE);
      const insnBytes = 4n; // not compressed
      // li a0 and li a2 are one instruction each (lui for 0x200000).
      expect(m.pc()).toBe(TEXT + (2n + BigInt(faultAt)) * insnBytes);
      expect(m.instret()).toBe(2n + BigInt(faultAt));
      expect(m.reg(REG.a1!)).toBe(faultAt === 2 ? 0x200010n : 0x200004n);
      expect(m.reg(REG.a3!)).toBe(0n);
    });
  }
});
