// Compiler flags of the benchmark programs, shared by user/bench/build.mjs
// (the RISC-V builds) and bench/hart.bench.ts (the native builds).

export const RISCV_FLAGS = [
  "--target=riscv64", "-march=rv64imac", "-mabi=lp64", "-O2", "-nostdlib", "-static", "-mno-relax",
  "-ffreestanding", "-fno-builtin", "-fuse-ld=lld",
  // Page-aligned segments, as the Keel process image requires (ABI.md).
  "-Wl,-z,separate-loadable-segments",
];

/**
 * The floating-point programs are stock rv64gc / lp64d code. Contraction is
 * off (fused multiply-adds only where the source asks, with __builtin_fma)
 * and sqrt sets no errno, so the native build computes the same bits.
 */
export const FP_PROGRAMS = ["nbody.c"];
export const FP_FLAGS = ["-march=rv64gc", "-mabi=lp64d", "-ffp-contract=off", "-fno-math-errno"];
export const NATIVE_FP_FLAGS = ["-ffp-contract=off", "-fno-math-errno", "-lm"];
