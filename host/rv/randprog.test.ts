// The random program generator: deterministic per seed, always assembles,
// and mismatch reports name the first differing register or scratch word.

import { describe, expect, it } from "vitest";
import { assembleProgram } from "./asm.js";
import { DUMP_BYTES, FP_DUMP_BYTES, SCRATCH_BYTES, describeMismatch, generateFpProgram, generateProgram } from "./randprog.js";

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

  it("F/D programs are deterministic, assemble, and use every kind of F/D instruction", () => {
    expect(generateFpProgram(7).source).toBe(generateFpProgram(7).source);
    const seen = new Set<string>();
    for (let seed = 0; seed < 200; seed++) {
      const p = generateFpProgram(seed);
      expect(() => assembleProgram(p.source, { compress: p.compress })).not.toThrow();
      for (const m of p.source.matchAll(/^\s+(f[a-z.]+|c\.f[a-z]+)\s/gm)) seen.add(m[1]!.replace(/\.(s|d|w|wu|l|lu)(\.|$)/g, "$2"));
    }
    for (const mn of ["fadd", "fmadd", "fnmadd", "fsqrt", "fsgnjx", "fmin", "feq", "fclass", "fcvt", "fmv.x", "fld", "fsw", "c.fld", "c.fsdsp", "frflags", "fsrmi"]) {
      expect([...seen].some((s) => s.startsWith(mn)), mn).toBe(true);
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
  it("names the f register and fcsr of an F/D dump", () => {
    const a = new Uint8Array(FP_DUMP_BYTES), b = new Uint8Array(FP_DUMP_BYTES);
    b[DUMP_BYTES + 10 * 8] = 1;
    expect(describeMismatch(a, b)).toBe("register f10 (fa0): ours 0x0000000000000000, reference 0x0000000000000001");
    const c = new Uint8Array(FP_DUMP_BYTES);
    c[DUMP_BYTES + 32 * 8] = 0x10;
    expect(describeMismatch(a, c)).toMatch(/^fcsr: /);
  });
  it("reports different lengths", () => {
    expect(describeMismatch(dump(), new Uint8Array(DUMP_BYTES + 1))).toMatch(/lengths differ/);
  });
});
