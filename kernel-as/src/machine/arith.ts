// Wide integer helpers shared by the executor (MULH*) and the floating-point
// unit (significand products): pure functions, no state.

/** High 64 bits of the unsigned 128-bit product, from four 32x32 products. */
// @ts-ignore: decorator
@inline export function mulhu(a: u64, b: u64): u64 {
  const a0 = a & 0xFFFF_FFFF, a1 = a >> 32;
  const b0 = b & 0xFFFF_FFFF, b1 = b >> 32;
  const p00 = a0 * b0;
  const mid = a1 * b0 + (p00 >> 32);
  const mid2 = a0 * b1 + (mid & 0xFFFF_FFFF);
  return a1 * b1 + (mid >> 32) + (mid2 >> 32);
}
