// What every system call handler needs: its arguments (from the caller's
// registers), its failure path (the reason kept for errstr, -1 returned) and
// user paths copied into the kernel.
// Relies on: machine/hart, proc/proc, mm/vm.

import { hartGetReg } from "../machine/hart";
import { pCtx, pErrstr, ERRSTR_MAX } from "../proc/proc";
import { copyinstr } from "../mm/vm";
import { SCRATCH_PATH } from "../lib/layout";

const REG_A0: u32 = 10;
/** Longest user path, NUL included. */
export const PATH_MAX: u32 = 128;

// @ts-ignore: decorator
@inline export function arg(slot: u32, i: u32): u64 { return hartGetReg(pCtx(slot), REG_A0 + i); }
// @ts-ignore: decorator
@inline export function argInt(slot: u32, i: u32): i32 { return <i32>arg(slot, i); }

/** Records `reason` as the caller's last error and returns -1. */
export function fail(slot: u32, reason: string): i64 {
  return fail2(slot, "", reason);
}

/** Records "PREFIX REASON" (both static strings) and returns -1. */
export function fail2(slot: u32, prefix: string, reason: string): i64 {
  const dst = pErrstr(slot);
  let n: u32 = 0;
  for (let i = 0; i < prefix.length && n < ERRSTR_MAX; i++) store<u8>(dst + n++, <u8>prefix.charCodeAt(i));
  for (let i = 0; i < reason.length && n < ERRSTR_MAX; i++) store<u8>(dst + n++, <u8>reason.charCodeAt(i));
  store<u8>(dst + n, 0);
  return -1;
}

/** Copies the user path at va into SCRATCH_PATH; false for a bad pointer or a path too long. */
export function copyPath(slot: u32, va: u64): bool {
  return copyinstr(slot, SCRATCH_PATH, va, PATH_MAX) >= 0;
}
