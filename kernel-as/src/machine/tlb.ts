// The software TLB: three direct-mapped tables (fetch, load, store), each
// TLB_ENTRIES entries of 16 bytes, tagged by ASID so that a context switch
// flushes nothing. An entry caches one 4 KiB piece of a translation (a
// superpage is cached piece by piece) together with the permission of its
// table: a fetch entry exists only for X pages, a load entry for R pages, a
// store entry for W pages whose D bit is set.
//
// Entry layout:  +0 u64 virtual page (va & ~0xFFF, full 64 bits, so a
//                       non-canonical address can never hit)
//                +8 u32 key: the address space's ASID key, with KEY_CODE set
//                       in store entries whose frame holds decoded code (the
//                       fast path then misses and the slow path invalidates
//                       the decoded blocks before writing)
//               +12 u32 physical address of the 4 KiB frame
// A parallel byte per entry remembers the page-table level of the leaf, so
// that flushing one address also flushes the other pieces of a superpage.
//
// The tables live in the hart arena (hart.ts); their addresses are cached in
// WASM globals, which are per-vCPU, as the TLB itself is.

export const TLB_ENTRIES: u32 = 1024;
export const TLB_MASK: u64 = 1023;
export const TLB_ENTRY_SIZE: usize = 16;
export const TLB_TABLE_BYTES: usize = <usize>TLB_ENTRIES * TLB_ENTRY_SIZE;
/** Three tables plus the three level arrays. */
export const TLB_BYTES: usize = 3 * TLB_TABLE_BYTES + 3 * <usize>TLB_ENTRIES;

/** Key of the bare (untranslated) mode: no Sv48 ASID can equal it. */
export const KEY_BARE: u32 = 0x1_0000;
/** Set in a store entry's key when its frame holds decoded code. */
export const KEY_CODE: u32 = 0x8000_0000;
/** Key of an empty entry; matches nothing. */
export const KEY_INVALID: u32 = 0xFFFF_FFFF;
const KEY_ASID_MASK: u32 = 0x1_FFFF;

export let tlbFetch: usize = 0;
export let tlbLoad: usize = 0;
export let tlbStore: usize = 0;
let tlbLevels: usize = 0;
/** Whether any entry came from a superpage since the last full flush. */
let superpagesCached: bool = false;

export function tlbAttach(base: usize): void {
  tlbFetch = base;
  tlbLoad = base + TLB_TABLE_BYTES;
  tlbStore = base + 2 * TLB_TABLE_BYTES;
  tlbLevels = base + 3 * TLB_TABLE_BYTES;
  tlbFlushAll();
}

// @ts-ignore: decorator
@inline export function tlbEntry(table: usize, va: u64): usize {
  return table + ((<usize>((va >> 12) & TLB_MASK)) << 4);
}

/**
 * The tag an access of `size` bytes (1, 2, 4 or 8) at va must find in its
 * entry: the page, plus the low bits that make the access misaligned. Tags
 * in the table have those bits clear, so a misaligned access never hits
 * (the slow path does it), and an aligned access never crosses a page.
 */
// @ts-ignore: decorator
@inline export function tlbTag(va: u64, size: u32): u64 {
  return va & ~(<u64>0xFFF ^ <u64>(size - 1));
}

/** Whether entry e translates an aligned `size`-byte access at va under key. */
// @ts-ignore: decorator
@inline export function tlbMatch(e: usize, va: u64, key: u32, size: u32): bool {
  return load<u64>(e) == tlbTag(va, size) && load<u32>(e, 8) == key;
}

/** Host address of va through a matching entry e. */
// @ts-ignore: decorator
@inline export function tlbHost(e: usize, va: u64): usize {
  return <usize>load<u32>(e, 12) + (<usize>va & 0xFFF);
}

/**
 * Host address of va if the table holds a translation for it under key and
 * the `size`-byte access is aligned; 0 otherwise (frame 0 is the NULL page
 * and is never mapped to a user).
 */
// @ts-ignore: decorator
@inline export function tlbHit(table: usize, va: u64, key: u32, size: u32): usize {
  const e = tlbEntry(table, va);
  return tlbMatch(e, va, key, size) ? tlbHost(e, va) : 0;
}

export function tlbInsert(table: usize, va: u64, key: u32, frame: usize, level: i32): void {
  const e = tlbEntry(table, va);
  store<u64>(e, va & ~0xFFF);
  store<u32>(e, key, 8);
  store<u32>(e, <u32>frame, 12);
  store<u8>(tlbLevels + ((table - tlbFetch) >> 4) + <usize>((va >> 12) & TLB_MASK), <u8>level);
  if (level > 0) superpagesCached = true;
}

// @ts-ignore: decorator
@inline function clearEntry(e: usize): void {
  store<u64>(e, 0xFFFF_FFFF_FFFF_F000);
  store<u32>(e, KEY_INVALID, 8);
  store<u32>(e, 0, 12);
}

export function tlbFlushAll(): void {
  if (tlbFetch == 0) return;
  for (let i: usize = 0; i < 3 * <usize>TLB_ENTRIES; i++) clearEntry(tlbFetch + (i << 4));
  memory.fill(tlbLevels, 0, 3 * <usize>TLB_ENTRIES);
  superpagesCached = false;
}

/** Drops every entry of one address space (keyed by ASID, global pages included). */
export function tlbFlushAsid(asid: u32): void {
  if (tlbFetch == 0) return;
  for (let i: usize = 0; i < 3 * <usize>TLB_ENTRIES; i++) {
    const e = tlbFetch + (i << 4);
    if ((load<u32>(e, 8) & KEY_ASID_MASK) == (asid & KEY_ASID_MASK)) clearEntry(e);
  }
}

/**
 * Drops the translations of one virtual address in one address space: its
 * 4 KiB piece and, when it was reached through a superpage, every cached
 * piece of that superpage.
 */
export function tlbFlushVa(asid: u32, va: u64): void {
  if (tlbFetch == 0) return;
  const key = asid & KEY_ASID_MASK;
  for (let t: usize = 0; t < 3; t++) {
    const e = tlbEntry(tlbFetch + t * TLB_TABLE_BYTES, va);
    if (load<u64>(e) == (va & ~0xFFF) && (load<u32>(e, 8) & KEY_ASID_MASK) == key) clearEntry(e);
  }
  if (!superpagesCached) return;
  for (let i: usize = 0; i < 3 * <usize>TLB_ENTRIES; i++) {
    const level = <i32>load<u8>(tlbLevels + i);
    if (level == 0) continue;
    const e = tlbFetch + (i << 4);
    if ((load<u32>(e, 8) & KEY_ASID_MASK) != key) continue;
    const span: u64 = <u64>1 << (12 + 9 * <u64>level);
    if ((load<u64>(e) & ~(span - 1)) == (va & ~(span - 1))) clearEntry(e);
  }
}

/** Drops every store entry that writes into `frame` (called when the frame gains decoded code). */
export function tlbDropStoresToFrame(frame: usize): void {
  for (let i: usize = 0; i < <usize>TLB_ENTRIES; i++) {
    const e = tlbStore + (i << 4);
    if (<usize>load<u32>(e, 12) == frame) clearEntry(e);
  }
}
