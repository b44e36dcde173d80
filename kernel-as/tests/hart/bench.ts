// Microbenchmark of the hart: a CPU-bound loop (loads, stores, ALU, branches)
// with the MMU on. Run: npx tsx kernel-as/tests/hart/bench.ts
import { Machine, CAUSE } from "./support.js";

export const BENCH_SOURCE = `
    li s0, 0
    li s1, 200000
outer:
    la t0, buf
    li t1, 64
inner:
    ld t2, 0(t0)
    add t2, t2, s1
    xor s0, s0, t2
    sd t2, 0(t0)
    slli t3, s0, 3
    srli t4, s0, 7
    add s0, t3, t4
    addi t0, t0, 8
    addi t1, t1, -1
    bnez t1, inner
    addi s1, s1, -1
    bnez s1, outer
    ecall
    .data
buf: .zero 512
`;

export function measureMips(compress: boolean): { mips: number; instret: bigint; ms: number; checksum: bigint } {
  const m = new Machine();
  m.load(BENCH_SOURCE, { compress });
  const t0 = performance.now();
  const cause = m.runToTrap(1e10);
  const ms = performance.now() - t0;
  if (cause !== CAUSE.ECALL) throw new Error(`bench stopped with cause ${cause}`);
  const instret = m.instret();
  return { mips: Number(instret) / ms / 1000, instret, ms, checksum: m.reg(8) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const compress of [false, true]) {
    for (let i = 0; i < 3; i++) {
      const r = measureMips(compress);
      console.log(`${compress ? "rvc " : "rv64"}: ${r.instret} instructions in ${r.ms.toFixed(1)} ms = ${r.mips.toFixed(1)} MIPS`);
    }
  }
}
