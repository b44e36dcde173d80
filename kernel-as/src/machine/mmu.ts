// The MMU: the Sv48 page-table walk for user-mode accesses, the TLB refill,
// and the slow paths of loads and stores (TLB misses, accesses that cross a
// page, stores into frames holding decoded code). The executor's fast path
// (tlbHit in tlb.ts) handles everything else inline.
//
// Walk rules (privileged spec, "Virtual Address Translation Process", with
// U-mode: no SUM, no MXR):
//  * non-canonical VA (bits 63..47 not all equal) -> page fault, tval = VA;
//  * PTE with V=0, or R=0 and W=1, or any of bits 63..54 set -> page fault;
//  * a non-leaf PTE with D, A or U set (reserved) -> page fault; a non-leaf
//    PTE at level 0 -> page fault;
//  * leaf: U must be 1; fetch needs X, load needs R, store/AMO needs W;
//    a superpage whose PPN is not aligned to its size -> page fault;
//  * A and D: the hart sets them. A is set on any access, D on a store, by
//    writing the PTE back (one aligned 64-bit store) before the access;
//  * a PTE, or a frame, outside RAM -> access fault (causes 1/5/7), and so is
//    physical frame 0, the NULL page.
// Every successful walk refills the TLB of its access type at 4 KiB
// granularity.

import {
  PTE_V, PTE_R, PTE_W, PTE_X, PTE_U, PTE_A, PTE_D, PTE_HIGH_RESERVED, pteToPa, vpn, vaCanonical,
} from "./sv48";
import { ctxAsidKey, ctxRoot, CTX_DEBUG } from "./context";
import { DEBUG_WATCH, watchOnPage, watchArmed, watchCheck } from "./debug";
import { tlbFetch, tlbLoad, tlbStore, tlbInsert, tlbEntry, tlbHit, KEY_BARE, KEY_CODE, KEY_INVALID } from "./tlb";
import { frameHasCode, blockInvalidateFrame } from "./blockcache";
import {
  ACCESS_FETCH, ACCESS_LOAD, ACCESS_STORE, pageFaultCause, accessFaultCause, raiseFault, clearFault,
} from "./trap";

// @ts-ignore: decorator
@inline function ramBytes(): u64 { return <u64>memory.size() << 16; }

// @ts-ignore: decorator
@inline function tableFor(access: u32): usize {
  return access == ACCESS_FETCH ? tlbFetch : access == ACCESS_LOAD ? tlbLoad : tlbStore;
}

/**
 * Translates the page of `va` for `access`, refilling that access type's
 * TLB. Returns the physical frame (4 KiB aligned), or 0 with the fault
 * raised (trap.ts).
 */
export function mmuTranslate(ctx: usize, va: u64, access: u32): usize {
  const key = ctxAsidKey(ctx);
  const ram = ramBytes();
  if (key == KEY_BARE) {
    const frame = va & ~<u64>0xFFF;
    if (frame == 0 || frame + 0x1000 > ram) { raiseFault(accessFaultCause(access), va); return 0; }
    insert(access, va, key, <usize>frame, 0);
    return <usize>frame;
  }
  if (key == KEY_INVALID || !vaCanonical(va)) { raiseFault(pageFaultCause(access), va); return 0; }
  let table = ctxRoot(ctx);
  for (let level: i32 = 3; level >= 0; level--) {
    const pteAddr = table + (<u64>vpn(va, level) << 3);
    if (pteAddr + 8 > ram) { raiseFault(accessFaultCause(access), va); return 0; }
    const pte = load<u64>(<usize>pteAddr);
    if ((pte & PTE_V) == 0 || (pte & (PTE_R | PTE_W)) == PTE_W || (pte & PTE_HIGH_RESERVED) != 0) break;
    if ((pte & (PTE_R | PTE_X)) == 0) {
      if ((pte & (PTE_D | PTE_A | PTE_U)) != 0) break;
      table = pteToPa(pte);
      continue;
    }
    // A leaf.
    if ((pte & PTE_U) == 0) break;
    const need = access == ACCESS_FETCH ? PTE_X : access == ACCESS_LOAD ? PTE_R : PTE_W;
    if ((pte & need) == 0) break;
    const span: u64 = <u64>1 << (12 + 9 * <u64>level);
    const base = pteToPa(pte);
    if ((base & (span - 1)) != 0) break;
    const frame = base + (va & (span - 1) & ~<u64>0xFFF);
    if (frame == 0 || frame + 0x1000 > ram) { raiseFault(accessFaultCause(access), va); return 0; }
    const updated = pte | PTE_A | (access == ACCESS_STORE ? PTE_D : 0);
    if (updated != pte) store<u64>(<usize>pteAddr, updated);
    // A watched page is never cached for a debugged context, so each of
    // its accesses comes to the slow paths' watch check (debug.ts).
    if (access != ACCESS_FETCH && (load<u32>(ctx + CTX_DEBUG) & DEBUG_WATCH) != 0 && watchOnPage(va)) return <usize>frame;
    insert(access, va, key, <usize>frame, level);
    return <usize>frame;
  }
  raiseFault(pageFaultCause(access), va);
  return 0;
}

function insert(access: u32, va: u64, key: u32, frame: usize, level: i32): void {
  if (access == ACCESS_STORE && frameHasCode(frame)) key |= KEY_CODE;
  tlbInsert(tableFor(access), va, key, frame, level);
}

/** Frame for fetching at va (TLB or walk); 0 with the fault raised. */
// @ts-ignore: decorator
@inline export function fetchFrame(ctx: usize, va: u64, key: u32): usize {
  const h = tlbHit(tlbFetch, va, key, 1);
  if (h != 0) return h & ~<usize>0xFFF;
  return mmuTranslate(ctx, va, ACCESS_FETCH);
}

/** Frame for loading at va; 0 with the fault raised. */
export function loadFrame(ctx: usize, va: u64): usize {
  const h = tlbHit(tlbLoad, va, ctxAsidKey(ctx), 1);
  if (h != 0) return h & ~<usize>0xFFF;
  return mmuTranslate(ctx, va, ACCESS_LOAD);
}

/**
 * Frame for storing at va; 0 with the fault raised. If the frame holds
 * decoded code, its blocks are dropped first, so the store is seen by the
 * next fetch of that code.
 */
export function storeFrame(ctx: usize, va: u64): usize {
  const key = ctxAsidKey(ctx);
  const e = tlbEntry(tlbStore, va);
  let frame: usize;
  if (load<u64>(e) == (va & ~<u64>0xFFF) && (load<u32>(e, 8) & ~KEY_CODE) == key) {
    frame = <usize>load<u32>(e, 12);
  } else {
    frame = mmuTranslate(ctx, va, ACCESS_STORE);
    if (frame == 0) return 0;
  }
  if (load<u32>(e, 8) & KEY_CODE) {
    blockInvalidateFrame(frame);
    store<u32>(e, key, 8);
  }
  return frame;
}

/** A load the fast path could not do: TLB miss or a page-crossing access. Raw little-endian bits. */
export function loadSlow(ctx: usize, va: u64, size: u32): u64 {
  clearFault();
  const off = <u32>va & 0xFFF;
  if (off + size <= 0x1000) {
    const frame = loadFrame(ctx, va);
    if (frame == 0) return 0;
    if (watchArmed(ctx) && watchCheck(va, size, true, false)) return 0;
    const h = frame + <usize>off;
    if (size == 1) return <u64>load<u8>(h);
    if (size == 2) return <u64>load<u16>(h);
    if (size == 4) return <u64>load<u32>(h);
    return load<u64>(h);
  }
  // Crosses into the next page: both pages must translate before anything is read.
  const second = (va | 0xFFF) + 1;
  const f1 = loadFrame(ctx, va);
  if (f1 == 0) return 0;
  const f2 = loadFrame(ctx, second);
  if (f2 == 0) return 0;
  if (watchArmed(ctx) && watchCheck(va, size, true, false)) return 0;
  let value: u64 = 0;
  for (let i: u32 = 0; i < size; i++) {
    const o = off + i;
    const b = o < 0x1000 ? load<u8>(f1 + <usize>o) : load<u8>(f2 + <usize>(o - 0x1000));
    value |= <u64>b << (8 * <u64>i);
  }
  return value;
}

/** A store the fast path could not do. False with the fault raised; nothing is written then. */
export function storeSlow(ctx: usize, va: u64, size: u32, value: u64): bool {
  clearFault();
  const off = <u32>va & 0xFFF;
  if (off + size <= 0x1000) {
    const frame = storeFrame(ctx, va);
    if (frame == 0) return false;
    if (watchArmed(ctx) && watchCheck(va, size, false, true)) return false;
    const h = frame + <usize>off;
    if (size == 1) store<u8>(h, <u8>value);
    else if (size == 2) store<u16>(h, <u16>value);
    else if (size == 4) store<u32>(h, <u32>value);
    else store<u64>(h, value);
    return true;
  }
  const second = (va | 0xFFF) + 1;
  const f1 = storeFrame(ctx, va);
  if (f1 == 0) return false;
  const f2 = storeFrame(ctx, second);
  if (f2 == 0) return false;
  if (watchArmed(ctx) && watchCheck(va, size, false, true)) return false;
  for (let i: u32 = 0; i < size; i++) {
    const o = off + i;
    const b = <u8>(value >> (8 * <u64>i));
    if (o < 0x1000) store<u8>(f1 + <usize>o, b);
    else store<u8>(f2 + <usize>(o - 0x1000), b);
  }
  return true;
}
