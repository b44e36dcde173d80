// The floating-point unit: IEEE 754 binary32 and binary64 arithmetic with
// every RISC-V rounding mode and exactly the accrued exception flags the F
// and D extensions define. Values are raw bit patterns (a single in the low
// 32 bits of a u64, never NaN-boxed here: fpexec.ts boxes and unboxes).
// `fmt` is FMT_S or FMT_D. Every operation ORs the flags it raises into
// `fpFlags`; the caller clears it before and accrues it into fflags after.
//
// WebAssembly only offers round-to-nearest-even and no flags, so:
//  * the reference path is integer arithmetic on significands (unpack to a
//    63-bit significand with a sticky bit, compute exactly, roundPack) and
//    handles every input, every mode and every flag;
//  * fast paths use the wasm f64 instructions where their result can be made
//    exact: singles are computed in f64 (products of singles are exact in
//    f64; sums, quotients and roots come with an exact residual sign) and
//    rounded to 24 bits by roundToSingle; doubles take the RNE result and
//    its exact error from an error-free transformation (TwoSum, Dekker's
//    TwoProduct), which gives the inexact flag and the one-ulp step that the
//    directed modes need. A fast path covers only finite nonzero operands
//    whose result lies well inside the normal range (no overflow, underflow
//    or subnormal in sight); everything else goes to the reference path.
//  * sqrt always uses f64.sqrt with an exact residual (a square root is
//    never a tie and never leaves the normal range); double fused
//    multiply-add always takes the reference path (128-bit product).
// Every NaN result is the canonical NaN, as RISC-V requires.

import { mulhu } from "./arith";

export const FMT_S: u32 = 0;
export const FMT_D: u32 = 1;

export const RM_RNE: u32 = 0;
export const RM_RTZ: u32 = 1;
export const RM_RDN: u32 = 2;
export const RM_RUP: u32 = 3;
export const RM_RMM: u32 = 4;
/** Highest valid rounding mode; 5 and 6 are reserved, 7 means frm. */
export const RM_MAX: u32 = 4;
export const RM_DYN: u32 = 7;

export const FLAG_NX: u32 = 1;  // inexact
export const FLAG_UF: u32 = 2;  // underflow
export const FLAG_OF: u32 = 4;  // overflow
export const FLAG_DZ: u32 = 8;  // divide by zero
export const FLAG_NV: u32 = 16; // invalid operation

export const CANONICAL_NAN_S: u64 = 0x7FC0_0000;
export const CANONICAL_NAN_D: u64 = 0x7FF8_0000_0000_0000;

/** Flags raised since the caller last cleared it (per-vCPU scratch). */
export let fpFlags: u32 = 0;
export function fpClearFlags(): void { fpFlags = 0; }

// ------------------------------------------------------------ formats

// @ts-ignore: decorator
@inline function fracBits(fmt: u32): u32 { return fmt == FMT_D ? 52 : 23; }
// @ts-ignore: decorator
@inline function expAll(fmt: u32): u64 { return fmt == FMT_D ? 0x7FF : 0xFF; }
// @ts-ignore: decorator
@inline function bias(fmt: u32): i32 { return fmt == FMT_D ? 1023 : 127; }
// @ts-ignore: decorator
@inline function signBit(fmt: u32): u64 { return fmt == FMT_D ? 0x8000_0000_0000_0000 : 0x8000_0000; }
// @ts-ignore: decorator
@inline function fracMask(fmt: u32): u64 { return (<u64>1 << fracBits(fmt)) - 1; }
// @ts-ignore: decorator
@inline function expField(x: u64, fmt: u32): u64 { return (x >> fracBits(fmt)) & expAll(fmt); }
// @ts-ignore: decorator
@inline function isNeg(x: u64, fmt: u32): bool { return (x & signBit(fmt)) != 0; }
// @ts-ignore: decorator
@inline export function canonicalNaN(fmt: u32): u64 { return fmt == FMT_D ? CANONICAL_NAN_D : CANONICAL_NAN_S; }

export function isNaN(x: u64, fmt: u32): bool { return expField(x, fmt) == expAll(fmt) && (x & fracMask(fmt)) != 0; }
export function isSignalingNaN(x: u64, fmt: u32): bool {
  return isNaN(x, fmt) && ((x >> (fracBits(fmt) - 1)) & 1) == 0;
}
// @ts-ignore: decorator
@inline function isInf(x: u64, fmt: u32): bool { return (x & ~signBit(fmt)) == expAll(fmt) << fracBits(fmt); }
// @ts-ignore: decorator
@inline function isZero(x: u64, fmt: u32): bool { return (x & ~signBit(fmt)) == 0; }
// @ts-ignore: decorator
@inline function infinity(neg: bool, fmt: u32): u64 { return (neg ? signBit(fmt) : 0) | (expAll(fmt) << fracBits(fmt)); }
// @ts-ignore: decorator
@inline function zero(neg: bool, fmt: u32): u64 { return neg ? signBit(fmt) : 0; }

/** The canonical NaN, with NV if either operand is a signalling NaN. */
function nanResult(a: u64, b: u64, fmt: u32): u64 {
  if (isSignalingNaN(a, fmt) || isSignalingNaN(b, fmt)) fpFlags |= FLAG_NV;
  return canonicalNaN(fmt);
}
function invalid(fmt: u32): u64 {
  fpFlags |= FLAG_NV;
  return canonicalNaN(fmt);
}

// ------------------------------------------------------ reference path

// unpack's results: value = (sig / 2^62) * 2^exp with bit 62 of sig set.
let uExp: i32 = 0;
let uSig: u64 = 0;

/** Unpacks a finite nonzero value (normal or subnormal). */
function unpack(x: u64, fmt: u32): void {
  const fb = fracBits(fmt);
  const e = <i32>expField(x, fmt);
  const f = x & fracMask(fmt);
  if (e != 0) {
    uSig = (f | (<u64>1 << fb)) << (62 - fb);
    uExp = e - bias(fmt);
  } else {
    const k = <i32>clz(f) - 1;
    uSig = f << k;
    uExp = 63 - bias(fmt) - <i32>fb - k;
  }
}

// @ts-ignore: decorator
@inline function shiftRightJam(x: u64, n: i32): u64 {
  if (n == 0) return x;
  if (n >= 64) return x != 0 ? 1 : 0;
  return (x >> n) | ((x << (64 - n)) != 0 ? 1 : 0);
}

/** Set by roundShift when it discards nonzero bits. */
let inexact = false;

/** sig >> n (n >= 1) rounded by rm for a value of sign `neg`. */
function roundShift(sig: u64, n: i32, rm: u32, neg: bool): u64 {
  if (n >= 64) {
    if (sig == 0) return 0;
    inexact = true; // sig < 2^63 <= half: below the midpoint
    return (rm == RM_RUP && !neg) || (rm == RM_RDN && neg) ? 1 : 0;
  }
  const q = sig >> n;
  const rem = sig & ((<u64>1 << n) - 1);
  if (rem == 0) return q;
  inexact = true;
  const half = <u64>1 << (n - 1);
  switch (rm) {
    case RM_RNE: return rem > half || (rem == half && (q & 1) != 0) ? q + 1 : q;
    case RM_RTZ: return q;
    case RM_RDN: return neg ? q + 1 : q;
    case RM_RUP: return neg ? q : q + 1;
    default: return rem >= half ? q + 1 : q; // RMM
  }
}

/**
 * Rounds (sig / 2^62) * 2^exp (bit 62 of sig set, sticky bits ORed into
 * bit 0; sig == 0 means an exact zero) to the format, raising NX, UF (tiny
 * after rounding and inexact) and OF.
 */
export function roundPack(neg: bool, exp: i32, sig: u64, fmt: u32, rm: u32): u64 {
  const sign = neg ? signBit(fmt) : 0;
  if (sig == 0) return sign;
  const fb = fracBits(fmt);
  const p = <i32>fb + 1;
  const sh = 63 - p;
  let biased = exp + bias(fmt);
  inexact = false;
  if (biased >= 1) {
    let m = roundShift(sig, sh, rm, neg);
    if ((m >> <u64>p) != 0) { m >>= 1; biased++; }
    if (biased >= <i32>expAll(fmt)) {
      fpFlags |= FLAG_OF | FLAG_NX;
      const toInf = rm == RM_RNE || rm == RM_RMM || (rm == RM_RUP && !neg) || (rm == RM_RDN && neg);
      return toInf ? infinity(neg, fmt) : sign | (((expAll(fmt) - 1) << fb) | fracMask(fmt));
    }
    if (inexact) fpFlags |= FLAG_NX;
    return sign | ((<u64>(biased - 1) << fb) + m);
  }
  // Tiny after rounding unless rounding with an unbounded exponent reaches 2^emin.
  const unbounded = roundShift(sig, sh, rm, neg);
  const tiny = !(biased == 0 && (unbounded >> <u64>p) != 0);
  inexact = false;
  const m = roundShift(sig, sh + 1 - biased, rm, neg);
  if (inexact) fpFlags |= tiny ? FLAG_NX | FLAG_UF : FLAG_NX;
  return sign | m; // m == 2^(p-1) is the smallest normal: the carry lands in the exponent
}

export function addExact(a: u64, b: u64, fmt: u32, rm: u32): u64 {
  if (isNaN(a, fmt) || isNaN(b, fmt)) return nanResult(a, b, fmt);
  const na = isNeg(a, fmt), nb = isNeg(b, fmt);
  if (isInf(a, fmt)) return isInf(b, fmt) && na != nb ? invalid(fmt) : a;
  if (isInf(b, fmt)) return b;
  const za = isZero(a, fmt), zb = isZero(b, fmt);
  if (za && zb) return na == nb ? a : zero(rm == RM_RDN, fmt);
  if (za) return b;
  if (zb) return a;
  unpack(a, fmt);
  let ea = uExp, sa = uSig >> 1; // one bit of headroom for the carry
  unpack(b, fmt);
  let eb = uExp, sb = uSig >> 1;
  let neg = na;
  if (eb > ea || (eb == ea && sb > sa)) {
    const e = ea; ea = eb; eb = e;
    const s = sa; sa = sb; sb = s;
    neg = nb;
  }
  sb = shiftRightJam(sb, ea - eb);
  let sum: u64;
  if (na == nb) sum = sa + sb;
  else {
    sum = sa - sb;
    if (sum == 0) return zero(rm == RM_RDN, fmt);
  }
  const lz = <i32>clz(sum);
  return roundPack(neg, ea + 2 - lz, sum << <u64>(lz - 1), fmt, rm);
}

export function mulExact(a: u64, b: u64, fmt: u32, rm: u32): u64 {
  if (isNaN(a, fmt) || isNaN(b, fmt)) return nanResult(a, b, fmt);
  const neg = isNeg(a, fmt) != isNeg(b, fmt);
  if (isInf(a, fmt) || isInf(b, fmt)) {
    return isZero(a, fmt) || isZero(b, fmt) ? invalid(fmt) : infinity(neg, fmt);
  }
  if (isZero(a, fmt) || isZero(b, fmt)) return zero(neg, fmt);
  unpack(a, fmt);
  const ea = uExp, sa = uSig;
  unpack(b, fmt);
  const hi = mulhu(sa, uSig), lo = sa * uSig; // in [2^124, 2^126)
  if ((hi >> 61) != 0) {
    return roundPack(neg, ea + uExp + 1, (hi << 1) | (lo >> 63) | ((lo << 1) != 0 ? 1 : 0), fmt, rm);
  }
  return roundPack(neg, ea + uExp, (hi << 2) | (lo >> 62) | ((lo << 2) != 0 ? 1 : 0), fmt, rm);
}

export function divExact(a: u64, b: u64, fmt: u32, rm: u32): u64 {
  if (isNaN(a, fmt) || isNaN(b, fmt)) return nanResult(a, b, fmt);
  const neg = isNeg(a, fmt) != isNeg(b, fmt);
  if (isInf(a, fmt)) return isInf(b, fmt) ? invalid(fmt) : infinity(neg, fmt);
  if (isInf(b, fmt)) return zero(neg, fmt);
  if (isZero(b, fmt)) {
    if (isZero(a, fmt)) return invalid(fmt);
    fpFlags |= FLAG_DZ;
    return infinity(neg, fmt);
  }
  if (isZero(a, fmt)) return zero(neg, fmt);
  unpack(a, fmt);
  let rem = uSig;
  let exp = uExp;
  unpack(b, fmt);
  const divisor = uSig;
  exp -= uExp;
  if (rem < divisor) { rem <<= 1; exp--; }
  // Restoring division: 63 quotient bits, the first always 1.
  let q: u64 = 0;
  for (let i = 0; i < 63; i++) {
    q <<= 1;
    if (rem >= divisor) { rem -= divisor; q |= 1; }
    rem <<= 1;
  }
  return roundPack(neg, exp, q | (rem != 0 ? 1 : 0), fmt, rm);
}

// 128-bit scratch for the fused multiply-add.
let wHi: u64 = 0;
let wLo: u64 = 0;

function shiftRight128Jam(hi: u64, lo: u64, n: i32): void {
  if (n == 0) { wHi = hi; wLo = lo; return; }
  if (n < 64) {
    wLo = (lo >> <u64>n) | (hi << <u64>(64 - n)) | ((lo << <u64>(64 - n)) != 0 ? 1 : 0);
    wHi = hi >> <u64>n;
    return;
  }
  wHi = 0;
  if (n == 64) { wLo = hi | (lo != 0 ? 1 : 0); return; }
  if (n < 128) {
    const m = n - 64;
    wLo = (hi >> <u64>m) | (((hi << <u64>(64 - m)) | lo) != 0 ? 1 : 0);
    return;
  }
  wLo = (hi | lo) != 0 ? 1 : 0;
}

/** (a * b) * (negateProduct ? -1 : 1) + c * (negateAddend ? -1 : 1), rounded once. */
export function fmaExact(a: u64, b: u64, c: u64, fmt: u32, rm: u32, negateProduct: bool, negateAddend: bool): u64 {
  const infTimesZero = (isInf(a, fmt) && isZero(b, fmt)) || (isZero(a, fmt) && isInf(b, fmt));
  if (isNaN(a, fmt) || isNaN(b, fmt) || isNaN(c, fmt)) {
    if (infTimesZero || isSignalingNaN(a, fmt) || isSignalingNaN(b, fmt) || isSignalingNaN(c, fmt)) fpFlags |= FLAG_NV;
    return canonicalNaN(fmt);
  }
  const np = (isNeg(a, fmt) != isNeg(b, fmt)) != negateProduct;
  const nc = isNeg(c, fmt) != negateAddend;
  if (infTimesZero) return invalid(fmt);
  if (isInf(a, fmt) || isInf(b, fmt)) return isInf(c, fmt) && nc != np ? invalid(fmt) : infinity(np, fmt);
  if (isInf(c, fmt)) return infinity(nc, fmt);
  const cz = isZero(c, fmt);
  if (isZero(a, fmt) || isZero(b, fmt)) {
    if (cz) return np == nc ? zero(np, fmt) : zero(rm == RM_RDN, fmt);
    return (c & ~signBit(fmt)) | (nc ? signBit(fmt) : 0);
  }
  unpack(a, fmt);
  const ea = uExp, sa = uSig;
  unpack(b, fmt);
  const ep = ea + uExp; // product P = pHi:pLo, value P * 2^(ep - 124), P in [2^124, 2^126)
  let pHi = mulhu(sa, uSig), pLo = sa * uSig;
  let neg = np;
  let top: i32 = 0; // exponent of the 128-bit scale
  if (cz) {
    top = ep;
  } else {
    unpack(c, fmt);
    const ec = uExp; // C = sig << 62, value C * 2^(ec - 124), C in [2^124, 2^125)
    let cHi = uSig >> 2, cLo = uSig << 62;
    top = ep > ec ? ep : ec;
    shiftRight128Jam(pHi, pLo, top - ep);
    pHi = wHi; pLo = wLo;
    shiftRight128Jam(cHi, cLo, top - ec);
    cHi = wHi; cLo = wLo;
    if (np == nc) {
      const lo = pLo + cLo;
      pHi = pHi + cHi + (lo < pLo ? 1 : 0);
      pLo = lo;
    } else {
      const pBigger = pHi > cHi || (pHi == cHi && pLo >= cLo);
      if (!pBigger) {
        const h = pHi; pHi = cHi; cHi = h;
        const l = pLo; pLo = cLo; cLo = l;
        neg = nc;
      }
      const borrow: u64 = pLo < cLo ? 1 : 0;
      pLo = pLo - cLo;
      pHi = pHi - cHi - borrow;
      if (pHi == 0 && pLo == 0) return zero(rm == RM_RDN, fmt);
    }
  }
  // Normalise the 128-bit magnitude to a 63-bit significand with sticky.
  const t: i32 = pHi != 0 ? 127 - <i32>clz(pHi) : 63 - <i32>clz(pLo);
  let sig: u64;
  if (t >= 62) {
    shiftRight128Jam(pHi, pLo, t - 62);
    sig = wLo;
  } else {
    sig = pLo << <u64>(62 - t);
  }
  return roundPack(neg, t + top - 124, sig, fmt, rm);
}

// ------------------------------------------------------------ fast paths

/** Returned by the fast helpers when the reference path must decide. */
const SLOW: u64 = 0xFFFF_FFFF_FFFF_FFFF;

// @ts-ignore: decorator
@inline function signum(x: f64): i32 { return x > 0 ? 1 : x < 0 ? -1 : 0; }

/** A single that is finite and nonzero (normal or subnormal). */
// @ts-ignore: decorator
@inline function finiteNonzeroS(x: u64): bool { return <u32>((x & 0x7FFF_FFFF) - 1) < 0x7F7F_FFFF; }
// @ts-ignore: decorator
@inline function toF64(x: u64): f64 { return <f64>reinterpret<f32>(<u32>x); }

// f64 exponent fields of the results roundToSingle takes: [2^-125, 2^127).
const SINGLE_FIELD_LO: u64 = 898;
const SINGLE_FIELD_HI: u64 = 1149;

/**
 * Rounds s + r to a single by rm, where r is a residual too small to move s
 * across a rounding boundary of 24 bits (|r| < half an ulp of s in 53 bits)
 * and sigma is its sign (0: s is exact). SLOW outside [2^-125, 2^127).
 */
function roundToSingle(s: f64, sigma: i32, rm: u32): u64 {
  const bits = reinterpret<u64>(s);
  const field = (bits >> 52) & 0x7FF;
  if (field - SINGLE_FIELD_LO > SINGLE_FIELD_HI - SINGLE_FIELD_LO) return SLOW;
  const neg = (bits >> 63) != 0;
  const low = bits & 0x1FFF_FFFF; // the 29 bits below a single's significand
  const mag = ((field - 896) << 23) | ((bits >> 29) & 0x7F_FFFF);
  const sign: u64 = neg ? 0x8000_0000 : 0;
  const up = neg ? -sigma : sigma; // the residual's direction in magnitude
  if (low == 0 && up == 0) return sign | mag;
  fpFlags |= FLAG_NX;
  // Magnitude toward which each mode goes: the one above (mag + 1) or below.
  let below = mag, above = mag + 1;
  // above half / at half / below half of the interval [below, above]
  let position: i32; // 1 above, 0 tie, -1 below
  if (low == 0) {
    if (up > 0) position = -1;
    else { below = mag - 1; above = mag; position = 1; }
  } else if (low == 0x1000_0000) position = up;
  else position = low > 0x1000_0000 ? 1 : -1;
  let r: u64;
  switch (rm) {
    case RM_RNE: r = position > 0 ? above : position < 0 ? below : ((below & 1) != 0 ? above : below); break;
    case RM_RTZ: r = below; break;
    case RM_RDN: r = neg ? above : below; break;
    case RM_RUP: r = neg ? below : above; break;
    default: r = position >= 0 ? above : below; break; // RMM
  }
  return sign | r;
}

// f64 exponent fields: operands Dekker can split without overflow, results
// whose error term cannot underflow and whose neighbours stay normal.
const SPLIT_FIELD_MAX: u64 = 2017;
const RESULT_FIELD_LO: u64 = 124;
const RESULT_FIELD_HI: u64 = 2045;
const SPLITTER: f64 = 134217729.0; // 2^27 + 1

// @ts-ignore: decorator
@inline function field64(x: u64): u64 { return (x >> 52) & 0x7FF; }
// @ts-ignore: decorator
@inline function inRange(f: u64, lo: u64, hi: u64): bool { return f - lo <= hi - lo; }

/** The error of x * y against its rounded product p (Dekker, no FMA). */
function productError(x: f64, y: f64, p: f64): f64 {
  const cx = SPLITTER * x;
  const xh = cx - (cx - x), xl = x - xh;
  const cy = SPLITTER * y;
  const yh = cy - (cy - y), yl = y - yh;
  return ((xh * yh - p) + xh * yl + xl * yh) + xl * yl;
}

/**
 * The double-rounded-by-rm result from the RNE result s (bits) and the sign
 * of the exact residual (exact - s); err is the exact residual when known
 * (for RMM's tie test), 0 otherwise (quotients and roots are never ties).
 */
function directed(bits: u64, sigma: i32, err: f64, rm: u32): u64 {
  if (sigma == 0) return bits;
  fpFlags |= FLAG_NX;
  const neg = (bits >> 63) != 0;
  const up = neg ? -sigma : sigma;
  switch (rm) {
    case RM_RNE: return bits;
    case RM_RTZ: return up < 0 ? bits - 1 : bits;
    case RM_RDN: return neg ? (up > 0 ? bits + 1 : bits) : (up < 0 ? bits - 1 : bits);
    case RM_RUP: return neg ? (up < 0 ? bits - 1 : bits) : (up > 0 ? bits + 1 : bits);
    default: {
      if (up <= 0) return bits; // RNE already went away from zero
      const s = abs<f64>(reinterpret<f64>(bits));
      const gap = abs<f64>(reinterpret<f64>(bits + 1)) - s;
      return abs<f64>(err) == gap * 0.5 ? bits + 1 : bits;
    }
  }
}

// ------------------------------------------------------------- operations

export function fAdd(a: u64, b: u64, fmt: u32, rm: u32): u64 {
  if (fmt == FMT_S) {
    if (finiteNonzeroS(a) && finiteNonzeroS(b)) {
      const x = toF64(a), y = toF64(b);
      const s = x + y;
      const bb = s - x;
      const r = roundToSingle(s, signum((x - (s - bb)) + (y - bb)), rm);
      if (r != SLOW) return r;
    }
  } else if (inRange(field64(a), 1, 2046) && inRange(field64(b), 1, 2046)) {
    const x = reinterpret<f64>(a), y = reinterpret<f64>(b);
    const s = x + y;
    const bits = reinterpret<u64>(s);
    if (inRange(field64(bits), 2, RESULT_FIELD_HI)) {
      const bb = s - x;
      const err = (x - (s - bb)) + (y - bb);
      return directed(bits, signum(err), err, rm);
    }
  }
  return addExact(a, b, fmt, rm);
}

export function fSub(a: u64, b: u64, fmt: u32, rm: u32): u64 {
  return fAdd(a, b ^ signBit(fmt), fmt, rm);
}

export function fMul(a: u64, b: u64, fmt: u32, rm: u32): u64 {
  if (fmt == FMT_S) {
    if (finiteNonzeroS(a) && finiteNonzeroS(b)) {
      const r = roundToSingle(toF64(a) * toF64(b), 0, rm); // exact in f64
      if (r != SLOW) return r;
    }
  } else if (inRange(field64(a), 1, SPLIT_FIELD_MAX) && inRange(field64(b), 1, SPLIT_FIELD_MAX)) {
    const x = reinterpret<f64>(a), y = reinterpret<f64>(b);
    const p = x * y;
    const bits = reinterpret<u64>(p);
    if (inRange(field64(bits), RESULT_FIELD_LO, RESULT_FIELD_HI)) {
      const err = productError(x, y, p);
      return directed(bits, signum(err), err, rm);
    }
  }
  return mulExact(a, b, fmt, rm);
}

export function fDiv(a: u64, b: u64, fmt: u32, rm: u32): u64 {
  if (fmt == FMT_S) {
    if (finiteNonzeroS(a) && finiteNonzeroS(b)) {
      const x = toF64(a), y = toF64(b);
      const q = x / y;
      // Where the residual matters q has at most 25 bits: q * y is exact.
      const r = roundToSingle(q, signum(x - q * y) * signum(y), rm);
      if (r != SLOW) return r;
    }
  } else if (inRange(field64(a), RESULT_FIELD_LO, RESULT_FIELD_HI) && inRange(field64(b), 1, SPLIT_FIELD_MAX)) {
    const x = reinterpret<f64>(a), y = reinterpret<f64>(b);
    const q = x / y;
    const bits = reinterpret<u64>(q);
    if (inRange(field64(bits), RESULT_FIELD_LO, SPLIT_FIELD_MAX)) {
      const p = q * y;
      const residual = (x - p) - productError(q, y, p); // x - p is exact (Sterbenz)
      return directed(bits, signum(residual) * signum(y), 0, rm);
    }
  }
  return divExact(a, b, fmt, rm);
}

export function fSqrt(a: u64, fmt: u32, rm: u32): u64 {
  if (isNaN(a, fmt)) return nanResult(a, a, fmt);
  if (isZero(a, fmt)) return a;
  if (isNeg(a, fmt)) return invalid(fmt);
  if (isInf(a, fmt)) return a;
  // a = m * 2^(2k) with m in [1, 4): sqrt(a) = sqrt(m) * 2^k, never tiny or huge.
  unpack(a, fmt);
  let k = uExp;
  let m = reinterpret<f64>((<u64>1023 << 52) | ((uSig >> 10) & 0x000F_FFFF_FFFF_FFFF));
  if ((k & 1) != 0) { m *= 2.0; k -= 1; }
  k >>= 1;
  const r = sqrt<f64>(m);
  const p = r * r;
  const residual = (m - p) - productError(r, r, p);
  const scale = reinterpret<f64>(<u64>(1023 + k) << 52);
  if (fmt == FMT_S) return roundToSingle(r * scale, signum(residual), rm);
  return reinterpret<u64>(reinterpret<f64>(directed(reinterpret<u64>(r), signum(residual), 0, rm)) * scale);
}

export function fFma(a: u64, b: u64, c: u64, fmt: u32, rm: u32, negateProduct: bool, negateAddend: bool): u64 {
  if (fmt == FMT_S && finiteNonzeroS(a) && finiteNonzeroS(b) && finiteNonzeroS(c)) {
    let p = toF64(a) * toF64(b); // exact
    if (negateProduct) p = -p;
    const z = negateAddend ? -toF64(c) : toF64(c);
    const s = p + z;
    const bb = s - p;
    const r = roundToSingle(s, signum((p - (s - bb)) + (z - bb)), rm);
    if (r != SLOW) return r;
  }
  return fmaExact(a, b, c, fmt, rm, negateProduct, negateAddend);
}

/** fmin (max = false) / fmax: -0 < +0; one NaN operand gives the other. */
export function fMinMax(a: u64, b: u64, fmt: u32, max: bool): u64 {
  if (isSignalingNaN(a, fmt) || isSignalingNaN(b, fmt)) fpFlags |= FLAG_NV;
  const na = isNaN(a, fmt), nb = isNaN(b, fmt);
  if (na && nb) return canonicalNaN(fmt);
  if (na) return b;
  if (nb) return a;
  const sa = isNeg(a, fmt), sb = isNeg(b, fmt);
  const aLess = sa != sb ? sa : (sa ? a > b : a < b);
  return aLess != max ? a : b;
}

export const CMP_EQ: u32 = 0;
export const CMP_LT: u32 = 1;
export const CMP_LE: u32 = 2;

/** feq (quiet: NV only for signalling NaNs), flt and fle (NV for any NaN). */
export function fCompare(a: u64, b: u64, fmt: u32, kind: u32): u64 {
  if (isNaN(a, fmt) || isNaN(b, fmt)) {
    if (kind != CMP_EQ || isSignalingNaN(a, fmt) || isSignalingNaN(b, fmt)) fpFlags |= FLAG_NV;
    return 0;
  }
  const bothZero = isZero(a, fmt) && isZero(b, fmt);
  const equal = bothZero || a == b;
  if (kind == CMP_EQ) return equal ? 1 : 0;
  if (equal) return kind == CMP_LE ? 1 : 0;
  const sa = isNeg(a, fmt), sb = isNeg(b, fmt);
  const less = sa != sb ? sa : (sa ? a > b : a < b);
  return less ? 1 : 0;
}

/** fclass: one bit of ten. */
export function fClass(a: u64, fmt: u32): u64 {
  const neg = isNeg(a, fmt);
  if (isInf(a, fmt)) return neg ? 1 : 1 << 7;
  if (isNaN(a, fmt)) return isSignalingNaN(a, fmt) ? 1 << 8 : 1 << 9;
  if (isZero(a, fmt)) return neg ? 1 << 3 : 1 << 4;
  if (expField(a, fmt) == 0) return neg ? 1 << 2 : 1 << 5;
  return neg ? 1 << 1 : 1 << 6;
}

// Integer kinds of the conversions (the rs2 field of FCVT).
export const INT_W: u32 = 0;
export const INT_WU: u32 = 1;
export const INT_L: u32 = 2;
export const INT_LU: u32 = 3;

/** FCVT.{W,WU,L,LU}.fmt: rounded by rm, saturating with NV; W forms sign-extend. */
export function fToInt(a: u64, fmt: u32, rm: u32, kind: u32): u64 {
  const wide = kind >= INT_L;
  const unsigned = (kind & 1) != 0;
  const maxValue: u64 = wide ? (unsigned ? 0xFFFF_FFFF_FFFF_FFFF : 0x7FFF_FFFF_FFFF_FFFF) : (unsigned ? 0xFFFF_FFFF : 0x7FFF_FFFF);
  const minValue: u64 = unsigned ? 0 : (wide ? 0x8000_0000_0000_0000 : 0x8000_0000);
  let result: u64 = 0;
  const neg = isNeg(a, fmt);
  if (isNaN(a, fmt)) {
    fpFlags |= FLAG_NV;
    result = maxValue;
  } else if (isInf(a, fmt)) {
    fpFlags |= FLAG_NV;
    result = neg ? minValue : maxValue;
  } else if (!isZero(a, fmt)) {
    unpack(a, fmt);
    inexact = false;
    let over = uExp >= 64;
    let mag: u64 = 0;
    if (!over) mag = uExp >= 62 ? uSig << <u64>(uExp - 62) : roundShift(uSig, 62 - uExp, rm, neg);
    if (!over) {
      if (unsigned) over = neg ? mag != 0 : (!wide && mag > 0xFFFF_FFFF);
      else {
        const limit: u64 = wide ? 0x8000_0000_0000_0000 : 0x8000_0000;
        over = neg ? mag > limit : mag >= limit;
      }
    }
    if (over) {
      fpFlags |= FLAG_NV;
      result = neg ? minValue : maxValue;
    } else {
      if (inexact) fpFlags |= FLAG_NX;
      result = neg ? 0 - mag : mag;
    }
  }
  return wide ? result : <u64><i64><i32>result;
}

/** FCVT.fmt.{W,WU,L,LU}: the integer in x (rs1) rounded by rm. */
export function intToF(v: u64, fmt: u32, rm: u32, kind: u32): u64 {
  let neg = false;
  let mag: u64;
  if (kind == INT_W) {
    const x = <i64><i32>v;
    neg = x < 0;
    mag = <u64>(neg ? -x : x);
  } else if (kind == INT_WU) mag = v & 0xFFFF_FFFF;
  else if (kind == INT_L) {
    neg = <i64>v < 0;
    mag = neg ? 0 - v : v;
  } else mag = v;
  if (mag == 0) return 0;
  const lz = <i32>clz(mag);
  const topAligned = mag << <u64>lz;
  return roundPack(neg, 63 - lz, (topAligned >> 1) | (topAligned & 1), fmt, rm);
}

/** FCVT.S.D: rounded by rm (NV for a signalling NaN). */
export function doubleToSingle(a: u64, rm: u32): u64 {
  if (isNaN(a, FMT_D)) { nanResult(a, a, FMT_D); return CANONICAL_NAN_S; }
  const neg = isNeg(a, FMT_D);
  if (isInf(a, FMT_D)) return infinity(neg, FMT_S);
  if (isZero(a, FMT_D)) return zero(neg, FMT_S);
  unpack(a, FMT_D);
  return roundPack(neg, uExp, uSig, FMT_S, rm);
}

/** FCVT.D.S: exact (NV for a signalling NaN). */
export function singleToDouble(a: u64): u64 {
  if (isNaN(a, FMT_S)) { nanResult(a, a, FMT_S); return CANONICAL_NAN_D; }
  return reinterpret<u64>(toF64(a));
}
