// The random program generator: deterministic per seed, always assembles,
// and mismatch reports name the first differing register or scratch word.

import { describe, expect, it } from "vitest";
import { assembleProgram } from "./asm.js";
import { DUMP_BYTES, SCRATCH_BYTES, describeMismatch, generateProgram } from "./randprog.js";

describe("generateProgram", () => {
  it("is deterministic per seed and varies across seeds", () => {
    expect(generateProgram(7).source).toBe(generateProgram(7).source);
    expect(generateProgram(7).source).not.toBe(generateProgram(8).source);
  });

  it("always produces a program our assembler accepts, compressed or not", () => {
    for (let seed = 0; seed < 200; seed++) {
      const p = generateProgram(seed);
      expect(() => assembleProgram(p.source, { compress: p.compress })).not.toThrow();
    }
  });

  it("can leave out mnemonics for bisecting", () => {
    const p = generateProgram(3, { exclude: ["amo", "c."] });
    expect(p.source).not.toMatch(/^\s+(amo|c\.)/m);
  });
});

describe("describeMismatch", () => {
  const dump = (): Uint8Array => new Uint8Array(DUMP_BYTES);
  it("names the register", () => {
    const a = dump(), b = dump();
    b[SCRATCH_BYTES + 9 * 8 + 1] = 0x12; // x10
    expect(describeMismatch(a, b)).toBe("register x10 (a0): ours 0x0000000000000000, reference 0x0000000000001200");
  });
  it("names the scratch word", () => {
    const a = dump(), b = dump();
    a[13] = 1;
    expect(describeMismatch(a, b)).toMatch(/^scratch byte 13 \(dword at offset 8\)/);
  });
  it("reports different lengths", () => {
    expect(describeMismatch(dump(), new Uint8Array(DUMP_BYTES + 1))).toMatch(/lengths differ/);
  });
});
