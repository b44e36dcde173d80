// The FPU's fast paths (f64 arithmetic with error-free transformations,
// machine/fpu.ts) against its integer reference paths: for every operand
// pair and rounding mode the result bits and the raised flags must be the
// same. Operands are drawn around the boundaries where the fast paths hand
// over to the reference path (near overflow, near the subnormal range, near
// the splitting limit), plus ties and values one ulp apart.

import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { loadKernelTest } from "../../host/testing/kernel-test.js";

interface FpuExports {
  fpuFlags(): number;
  fpuClear(): void;
  fpuAdd(a: bigint, b: bigint, fmt: number, rm: number): bigint;
  fpuMul(a: bigint, b: bigint, fmt: number, rm: number): bigint;
  fpuDiv(a: bigint, b: bigint, fmt: number, rm: number): bigint;
  fpuFma(a: bigint, b: bigint, c: bigint, fmt: number, rm: number): bigint;
  refAdd(a: bigint, b: bigint, fmt: number, rm: number): bigint;
  refMul(a: bigint, b: bigint, fmt: number, rm: number): bigint;
  refDiv(a: bigint, b: bigint, fmt: number, rm: number): bigint;
  refFma(a: bigint, b: bigint, c: bigint, fmt: number, rm: number): bigint;
}

const fpu = loadKernelTest<FpuExports>("fpu").exports;
const S = 0, D = 1;

/** Doubles with exponent fields clustered at the fast paths' limits. */
const FIELDS_D = [0, 1, 2, 3, 122, 123, 124, 125, 500, 1023, 1500, 2016, 2017, 2018, 2044, 2045, 2046, 2047];
const double = fc.tuple(fc.boolean(), fc.constantFrom(...FIELDS_D), fc.integer({ min: -3, max: 3 }), fc.bigInt({ min: 0n, max: (1n << 52n) - 1n }), fc.constantFrom(0, 1, 2))
  .map(([neg, field, nudge, frac, shape]) => {
    const f = BigInt(Math.min(2047, Math.max(0, field + nudge)));
    const m = shape === 0 ? frac : shape === 1 ? frac & 0xfn : (1n << 52n) - 1n - (frac & 0xffn); // random, short, or near all ones
    return (neg ? 1n << 63n : 0n) | (f << 52n) | m;
  });
/** Singles (unboxed bits) with exponents at the f32 normal range's edges. */
const FIELDS_S = [0, 1, 2, 20, 60, 100, 127, 150, 200, 230, 253, 254, 255];
const single = fc.tuple(fc.boolean(), fc.constantFrom(...FIELDS_S), fc.integer({ min: -2, max: 2 }), fc.integer({ min: 0, max: (1 << 23) - 1 }), fc.constantFrom(0, 1, 2))
  .map(([neg, field, nudge, frac, shape]) => {
    const f = Math.min(255, Math.max(0, field + nudge));
    const m = shape === 0 ? frac : shape === 1 ? frac & 0xf : (1 << 23) - 1 - (frac & 0xff);
    return BigInt(((neg ? 0x8000_0000 : 0) | (f << 23) | m) >>> 0);
  });
const rm = fc.integer({ min: 0, max: 4 });

type Op = "Add" | "Mul" | "Div";
function same(op: Op, a: bigint, b: bigint, fmt: number, mode: number): void {
  fpu.fpuClear();
  const fast = BigInt.asUintN(64, fpu[`fpu${op}`](a, b, fmt, mode));
  const fastFlags = fpu.fpuFlags();
  fpu.fpuClear();
  const ref = BigInt.asUintN(64, fpu[`ref${op}`](a, b, fmt, mode));
  const refFlags = fpu.fpuFlags();
  expect({ bits: fast.toString(16), flags: fastFlags }, `${op} ${a.toString(16)} ${b.toString(16)} fmt ${fmt} rm ${mode}`)
    .toEqual({ bits: ref.toString(16), flags: refFlags });
}

describe("fpu fast paths agree with the reference paths", () => {
  for (const op of ["Add", "Mul", "Div"] as const) {
    it(`${op.toLowerCase()}: doubles`, () => {
      fc.assert(fc.property(double, double, rm, (a, b, m) => same(op, a, b, D, m)), { numRuns: 3000 });
    });
    it(`${op.toLowerCase()}: singles`, () => {
      fc.assert(fc.property(single, single, rm, (a, b, m) => same(op, a, b, S, m)), { numRuns: 3000 });
    });
  }
  it("add: near-cancellation and one-ulp neighbours", () => {
    fc.assert(fc.property(double, fc.integer({ min: -2, max: 2 }), rm, (a, k, m) => {
      const b = (a ^ (1n << 63n)) + BigInt(k); // -a, one or two ulps off
      if (b < 0n || b >= 1n << 64n) return;
      same("Add", a, b, D, m);
    }), { numRuns: 2000 });
  });
  it("fma: singles (fast) against the 128-bit reference", () => {
    fc.assert(fc.property(single, single, single, rm, (a, b, c, m) => {
      fpu.fpuClear();
      const fast = BigInt.asUintN(64, fpu.fpuFma(a, b, c, S, m));
      const fastFlags = fpu.fpuFlags();
      fpu.fpuClear();
      const ref = BigInt.asUintN(64, fpu.refFma(a, b, c, S, m));
      expect({ bits: fast, flags: fastFlags }).toEqual({ bits: ref, flags: fpu.fpuFlags() });
    }), { numRuns: 3000 });
  });
});
