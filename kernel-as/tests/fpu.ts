// Test entry for the floating-point unit (machine/fpu.ts): the operations
// with their fast paths, the integer reference paths alone, and the flags.
import * as F from "../src/machine/fpu";

export function fpuFlags(): u32 { return F.fpFlags; }
export function fpuClear(): void { F.fpClearFlags(); }
export function fpuAdd(a: u64, b: u64, fmt: u32, rm: u32): u64 { return F.fAdd(a, b, fmt, rm); }
export function fpuMul(a: u64, b: u64, fmt: u32, rm: u32): u64 { return F.fMul(a, b, fmt, rm); }
export function fpuDiv(a: u64, b: u64, fmt: u32, rm: u32): u64 { return F.fDiv(a, b, fmt, rm); }
export function fpuFma(a: u64, b: u64, c: u64, fmt: u32, rm: u32): u64 { return F.fFma(a, b, c, fmt, rm, false, false); }
export function refAdd(a: u64, b: u64, fmt: u32, rm: u32): u64 { return F.addExact(a, b, fmt, rm); }
export function refMul(a: u64, b: u64, fmt: u32, rm: u32): u64 { return F.mulExact(a, b, fmt, rm); }
export function refDiv(a: u64, b: u64, fmt: u32, rm: u32): u64 { return F.divExact(a, b, fmt, rm); }
export function refFma(a: u64, b: u64, c: u64, fmt: u32, rm: u32): u64 { return F.fmaExact(a, b, c, fmt, rm, false, false); }
