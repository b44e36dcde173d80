// The disassembler against the assembler: whatever it prints must assemble
// back to the same bits.

import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { assemble } from "./asm.js";
import { disassemble } from "./disasm.js";

const bitsOf = (src: string): number => {
  const t = assemble(src).text;
  return t.length === 2 ? t[0]! | (t[1]! << 8) : (t[0]! | (t[1]! << 8) | (t[2]! << 16) | (t[3]! << 24)) >>> 0;
};

describe("disassemble", () => {
  it.each([
    [0xffb58513, "addi a0, a1, -5"],
    [0x06b6252f, "amoadd.w.aqrl a0, a1, (a2)"],
    [0xc0002573, "csrrs a0, cycle, zero"],
    [0x0000100f, "fence.i"],
    [0x00000073, "ecall"],
    [0x8082, "c.jr ra"],
    [0x7139, "c.addi16sp sp, -64"],
    [0x0001, "c.nop"],
  ])("%s", (bits, text) => {
    expect(disassemble(bits)).toBe(text);
  });

  it("prints 32-bit instructions that reassemble to the same bits", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (raw) => {
        const bits = (raw | 3) >>> 0;
        const text = disassemble(bits);
        if (text.startsWith(".word")) return;
        expect(`${text} => ${bitsOf(text).toString(16)}`).toBe(`${text} => ${bits.toString(16)}`);
      }),
      { numRuns: 20000 },
    );
  });

  it("prints every compressed instruction so that it reassembles to the same bits", () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      if ((bits & 3) === 3) continue;
      const text = disassemble(bits);
      if (text.startsWith(".half")) continue;
      const back = bitsOf(text);
      if (back !== bits) expect(`${bits.toString(16)}: ${text} => ${back.toString(16)}`).toBe(`${bits.toString(16)}: ${text}`);
    }
  });
});
