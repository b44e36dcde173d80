// The hart microbenchmark (kernel-as/tests/hart/bench.ts) as a test: the
// loop retires exactly the instructions it should, gives the same result on
// every run, and reports its speed (not asserted: CI machines are shared).

import { expect, it } from "vitest";
import { measureMips, BENCH_SOURCE } from "./hart/bench.js";

it("the benchmark loop retires an exact, repeatable instruction count", () => {
  const outer = 200000n, inner = 64n;
  void BENCH_SOURCE;
  // li s0 (1) and li s1 (2); then per outer iteration: la (2) and li, 64 x 10 inner, addi and bnez.
  const a = measureMips(false);
  const b = measureMips(true);
  expect(a.instret).toBe(3n + outer * (3n + inner * 10n + 2n));
  expect(b.instret).toBe(a.instret);
  expect(a.checksum).toBe(b.checksum);
  console.log(`hart: ${a.mips.toFixed(0)} MIPS (RV64), ${b.mips.toFixed(0)} MIPS (RVC)`);
});
