// Test entry for the hart (machine/): the hart API plus a tiny page-table
// builder, so the tests in hart*.test.ts can lay out address spaces in RAM.
export { kernelImageEnd } from "../src/lib/image";
export {
  hartSystemInit, hartArenaMinBytes, hartContextSize, hartInit, hartSetSatp, hartSetBare, hartGetSatp, hartRun,
  hartGetReg, hartSetReg, hartGetPc, hartSetPc, hartGetCause, hartGetTval, hartGetInstret, hartSetTime,
  hartDropReservation, hartInvalidateCode, hartFlushDecodeCache, hartJitConfig, hartJitActive, hartJitStat, hartJitFp, tlbFlushAll, tlbFlushAsid, tlbFlushVa,
  hartGetFreg, hartSetFreg, hartGetFcsr, hartSetFcsr, hartCopyFpState, hartClearFpState,
} from "../src/machine/hart";
export { expandCompressed } from "../src/machine/compressed";
export { cacheFlushes } from "../src/machine/blockcache";

import { paToPte, pteToPa, vpn, makeSatp, PTE_V, pteIsLeaf } from "../src/machine/sv48";

let bump: usize = 0;
let bumpEnd: usize = 0;

/** Hands out zeroed 4 KiB frames from [base, base+bytes) for page tables and pages. */
export function testFramesInit(base: usize, bytes: usize): void { bump = base; bumpEnd = base + bytes; }
export function testFrameAlloc(): usize {
  if (bump + 4096 > bumpEnd) return 0;
  const f = bump;
  bump += 4096;
  memory.fill(f, 0, 4096);
  return f;
}

/**
 * Writes a leaf PTE for va at `level` (0 = 4 KiB, 1 = 2 MiB, 2 = 1 GiB)
 * under root, creating intermediate tables; `pte` is the full leaf entry.
 * Returns the PTE's physical address, or 0 if out of frames or a leaf is
 * in the way.
 */
export function testMapPte(root: usize, va: u64, level: i32, pte: u64): usize {
  let table = root;
  for (let l: i32 = 3; l > level; l--) {
    const slot = table + (<usize>vpn(va, l) << 3);
    const e = load<u64>(slot);
    if ((e & PTE_V) == 0) {
      const t = testFrameAlloc();
      if (t == 0) return 0;
      store<u64>(slot, paToPte(<u64>t, PTE_V));
      table = t;
    } else {
      if (pteIsLeaf(e)) return 0;
      table = <usize>pteToPa(e);
    }
  }
  const slot = table + (<usize>vpn(va, level) << 3);
  store<u64>(slot, pte);
  return slot;
}

export function testPte(pa: u64, flags: u64): u64 { return paToPte(pa, flags); }
export function testSatp(asid: u32, root: usize): u64 { return makeSatp(asid, <u64>root); }
