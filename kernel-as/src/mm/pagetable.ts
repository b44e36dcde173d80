// Sv48 page tables, kernel side: build, change, walk and destroy the tables
// the hart's MMU (machine/mmu.ts) walks. Layer: mm, above frames.ts. The
// entry format and level geometry come from machine/sv48.ts.
//
// A table is one 4 KiB frame of 512 eight-byte entries, allocated with
// frameAlloc(0, KIND_PAGETABLE) and zeroed. Level 3 is the root, level 0
// holds 4 KiB leaves; a leaf at level 1 is a 2 MiB page, at level 2 a 1 GiB
// page. Non-leaf entries carry only V and the next table's PPN.
//
// Invariants (checked by ptCheck):
//   * the frame descriptor's count of every table frame equals the number of
//     valid entries in it, so emptiness is O(1);
//   * no table below the root is empty: ptUnmap frees a table as soon as its
//     last entry goes, and ptMap allocates every missing table before it
//     changes anything, so a failed map leaves the tree as it was;
//   * leaf frames belong to whoever mapped them; destroying a tree frees
//     only table frames.
//
// Every operation decodes its arguments completely before it writes.
// Callers flush the hart's TLB after an unmap or protect.

import {
  PAGE_1G, PAGE_2M, PAGE_4K, PT_ENTRIES, PTE_A, PTE_D, PTE_G, PTE_R, PTE_RSW_MASK, PTE_U, PTE_V, PTE_W,
  PTE_X, PTE_HIGH_RESERVED, SV48_LEVELS, paToPte, pteIsLeaf, pteToPa, vaCanonical, vpn,
} from "../machine/sv48";
import {
  KIND_PAGETABLE, frameAlloc, frameCount, frameFree, frameKind, frameSetCount, frameZero,
} from "./frames";

// ---- Limits and codes ---------------------------------------------------------

export const PT_ROOT_LEVEL: i32 = SV48_LEVELS - 1;
/** Tables a single ptMap may need: every level below the root. */
export const PT_MAX_NEW_TABLES: i32 = SV48_LEVELS - 1;
/** ptTranslate's answer for an unmapped address. */
export const PT_NO_MAPPING: u64 = 0xFFFF_FFFF_FFFF_FFFF;
/** Flags a caller may set on a leaf (V is added by the module). */
export const PT_LEAF_FLAGS: u64 = PTE_R | PTE_W | PTE_X | PTE_U | PTE_G | PTE_A | PTE_D | PTE_RSW_MASK;

export const PT_OK: i32 = 0;
/** The VA's bits 63..47 are not all equal. */
export const PT_ERR_NONCANONICAL: i32 = -1;
/** VA or PA not aligned to the page size. */
export const PT_ERR_MISALIGNED: i32 = -2;
/** Size is not PAGE_4K, PAGE_2M or PAGE_1G. */
export const PT_ERR_BAD_SIZE: i32 = -3;
/** Flags contain bits outside PT_LEAF_FLAGS, no R/X, or W without R. */
export const PT_ERR_BAD_FLAGS: i32 = -4;
/** Something is already mapped there (a leaf, a superpage above, or a table below). */
export const PT_ERR_EXISTS: i32 = -5;
/** A table could not be allocated; nothing was changed. */
export const PT_ERR_NO_MEMORY: i32 = -6;
/** Nothing is mapped at the VA. */
export const PT_ERR_NOT_MAPPED: i32 = -7;
/** The mapping at the VA is a page of another size. */
export const PT_ERR_SIZE_MISMATCH: i32 = -8;
/** The root is not a page-table frame. */
export const PT_ERR_BAD_ROOT: i32 = -9;
/** PA does not fit the PTE's PPN field. */
export const PT_ERR_BAD_PA: i32 = -10;

// ptCheck() results.
export const PT_CHECK_COUNT: i32 = -101;    // a table's descriptor count differs from its valid entries
export const PT_CHECK_EMPTY: i32 = -102;    // a table below the root has no entries
export const PT_CHECK_RESERVED: i32 = -103; // an entry has reserved bits set
export const PT_CHECK_NONLEAF: i32 = -104;  // a non-leaf entry has flag bits other than V
export const PT_CHECK_LEAF: i32 = -105;     // a leaf at level 0 .. misaligned superpage, W without R, or leaf-only bits wrong
export const PT_CHECK_KIND: i32 = -106;     // a table frame is not KIND_PAGETABLE

/** ptWalk output: one 16-byte record per level, root (level 3) first.
 *  +0 u32 table physical address (0 when the walk did not reach this level)
 *  +4 u32 index into that table (the VA's VPN for the level)
 *  +8 u64 the entry read (0 when not reached) */
export const PT_WALK_RECORD: usize = 16;
export const PT_WALK_OUT_SIZE: usize = PT_WALK_RECORD * <usize>SV48_LEVELS;

// ---- Entry accessors -------------------------------------------------------------

// @ts-ignore: decorator
@inline function pteLoad(table: usize, index: u32): u64 { return load<u64>(table + (<usize>index << 3)); }
// @ts-ignore: decorator
@inline function pteStore(table: usize, index: u32, pte: u64): void { store<u64>(table + (<usize>index << 3), pte); }
// @ts-ignore: decorator
@inline function pteValid(pte: u64): bool { return (pte & PTE_V) != 0; }
// @ts-ignore: decorator
@inline function nextTable(pte: u64): usize { return <usize>pteToPa(pte); }
// @ts-ignore: decorator
@inline function levelSize(level: i32): u64 { return PAGE_4K << (9 * <u64>level); }

/** Leaf level for a page size, or -1. */
function sizeLevel(size: u64): i32 {
  if (size == PAGE_4K) return 0;
  if (size == PAGE_2M) return 1;
  if (size == PAGE_1G) return 2;
  return -1;
}

function flagsValid(flags: u64): bool {
  if ((flags & ~PT_LEAF_FLAGS) != 0) return false;
  if ((flags & (PTE_R | PTE_X)) == 0) return false;
  if ((flags & (PTE_W | PTE_R)) == PTE_W) return false;
  return true;
}

/** Adds delta to the valid-entry count of a table. */
// @ts-ignore: decorator
@inline function tableAdjust(table: usize, delta: i32): void {
  frameSetCount(table, <u32>(<i32>frameCount(table) + delta));
}

/** A zeroed table frame, or 0. */
function tableAlloc(): usize {
  const pa = frameAlloc(0, KIND_PAGETABLE);
  if (pa == 0) return 0;
  frameZero(pa, 0);
  frameSetCount(pa, 0);
  return pa;
}

function rootValid(root: usize): bool {
  return root != 0 && (root & <usize>(PAGE_4K - 1)) == 0 && frameKind(root) == KIND_PAGETABLE;
}

// ---- Create and destroy ------------------------------------------------------------

/** A new empty root table, or 0 when out of memory. */
export function ptCreate(): usize { return tableAlloc(); }

function destroyLevel(table: usize, level: i32): u32 {
  let freed: u32 = 0;
  if (level > 0) {
    for (let i: u32 = 0; i < PT_ENTRIES; i++) {
      const pte = pteLoad(table, i);
      if (pteValid(pte) && !pteIsLeaf(pte)) freed += destroyLevel(nextTable(pte), level - 1);
    }
  }
  frameFree(table, 0);
  return freed + 1;
}

/** Frees every table frame of the tree, root included. Leaf frames are not
 *  touched: they belong to their owners. Returns the number of tables freed,
 *  or PT_ERR_BAD_ROOT. */
export function ptDestroy(root: usize): i32 {
  if (!rootValid(root)) return PT_ERR_BAD_ROOT;
  return <i32>destroyLevel(root, PT_ROOT_LEVEL);
}

function countLevel(table: usize, level: i32): u32 {
  let n: u32 = 1;
  if (level > 0) {
    for (let i: u32 = 0; i < PT_ENTRIES; i++) {
      const pte = pteLoad(table, i);
      if (pteValid(pte) && !pteIsLeaf(pte)) n += countLevel(nextTable(pte), level - 1);
    }
  }
  return n;
}

/** Table frames in the tree, root included, or PT_ERR_BAD_ROOT. */
export function ptCountTables(root: usize): i32 {
  if (!rootValid(root)) return PT_ERR_BAD_ROOT;
  return <i32>countLevel(root, PT_ROOT_LEVEL);
}

// ---- Map --------------------------------------------------------------------------

/** Maps [va, va+size) to [pa, pa+size) with the given leaf flags (V added).
 *  Fails without changing anything: see the PT_ERR_* codes. */
export function ptMap(root: usize, va: u64, pa: usize, size: u64, flags: u64): i32 {
  // Decode.
  if (!rootValid(root)) return PT_ERR_BAD_ROOT;
  const leafLevel = sizeLevel(size);
  if (leafLevel < 0) return PT_ERR_BAD_SIZE;
  if (!vaCanonical(va)) return PT_ERR_NONCANONICAL;
  if ((va & (size - 1)) != 0 || (<u64>pa & (size - 1)) != 0) return PT_ERR_MISALIGNED;
  if (!flagsValid(flags)) return PT_ERR_BAD_FLAGS;
  if ((paToPte(<u64>pa, 0) & PTE_HIGH_RESERVED) != 0) return PT_ERR_BAD_PA;

  // Walk as far as tables exist; anything in the way is an overlap.
  let table = root;
  let level = PT_ROOT_LEVEL;
  while (level > leafLevel) {
    const pte = pteLoad(table, vpn(va, level));
    if (!pteValid(pte)) break;
    if (pteIsLeaf(pte)) return PT_ERR_EXISTS;
    table = nextTable(pte);
    level--;
  }
  if (level == leafLevel && pteValid(pteLoad(table, vpn(va, level)))) return PT_ERR_EXISTS;

  // Allocate every missing table before touching the tree.
  const missing = level - leafLevel;
  let t0: usize = 0, t1: usize = 0, t2: usize = 0;
  if (missing >= 1) t0 = tableAlloc();
  if (missing >= 2) t1 = tableAlloc();
  if (missing >= 3) t2 = tableAlloc();
  if ((missing >= 1 && t0 == 0) || (missing >= 2 && t1 == 0) || (missing >= 3 && t2 == 0)) {
    if (t0 != 0) frameFree(t0, 0);
    if (t1 != 0) frameFree(t1, 0);
    if (t2 != 0) frameFree(t2, 0);
    return PT_ERR_NO_MEMORY;
  }

  // Perform: link the new tables, then write the leaf.
  let spare = 0;
  while (level > leafLevel) {
    const fresh = spare == 0 ? t0 : spare == 1 ? t1 : t2;
    spare++;
    pteStore(table, vpn(va, level), paToPte(<u64>fresh, PTE_V));
    tableAdjust(table, 1);
    table = fresh;
    level--;
  }
  pteStore(table, vpn(va, level), paToPte(<u64>pa, flags | PTE_V));
  tableAdjust(table, 1);
  return PT_OK;
}

// ---- Unmap ------------------------------------------------------------------------

/** Removes the page of this size at va, then frees every table the removal
 *  left empty (never the root). The leaf frame is not freed. */
export function ptUnmap(root: usize, va: u64, size: u64): i32 {
  if (!rootValid(root)) return PT_ERR_BAD_ROOT;
  const leafLevel = sizeLevel(size);
  if (leafLevel < 0) return PT_ERR_BAD_SIZE;
  if (!vaCanonical(va)) return PT_ERR_NONCANONICAL;
  if ((va & (size - 1)) != 0) return PT_ERR_MISALIGNED;

  // Remember the path: tables at levels 3..0 (only those above the leaf are used).
  let path3: usize = root, path2: usize = 0, path1: usize = 0;
  let table = root;
  let level = PT_ROOT_LEVEL;
  while (true) {
    const pte = pteLoad(table, vpn(va, level));
    if (!pteValid(pte)) return PT_ERR_NOT_MAPPED;
    if (pteIsLeaf(pte)) {
      if (level != leafLevel) return PT_ERR_SIZE_MISMATCH;
      break;
    }
    if (level == leafLevel) return PT_ERR_SIZE_MISMATCH;
    table = nextTable(pte);
    level--;
    if (level == 2) path2 = table;
    else if (level == 1) path1 = table;
  }

  // Perform: clear the leaf, then prune empty tables bottom-up.
  pteStore(table, vpn(va, level), 0);
  tableAdjust(table, -1);
  while (level < PT_ROOT_LEVEL && frameCount(table) == 0) {
    const parent = level == 0 ? path1 : level == 1 ? path2 : path3;
    frameFree(table, 0);
    level++;
    pteStore(parent, vpn(va, level), 0);
    tableAdjust(parent, -1);
    table = parent;
  }
  return PT_OK;
}

// ---- Protect ---------------------------------------------------------------------

/** Replaces the leaf flags of the page that starts at va (any size). */
export function ptProtect(root: usize, va: u64, flags: u64): i32 {
  if (!rootValid(root)) return PT_ERR_BAD_ROOT;
  if (!vaCanonical(va)) return PT_ERR_NONCANONICAL;
  if (!flagsValid(flags)) return PT_ERR_BAD_FLAGS;
  let table = root;
  let level = PT_ROOT_LEVEL;
  while (level >= 0) {
    const index = vpn(va, level);
    const pte = pteLoad(table, index);
    if (!pteValid(pte)) return PT_ERR_NOT_MAPPED;
    if (pteIsLeaf(pte)) {
      if ((va & (levelSize(level) - 1)) != 0) return PT_ERR_MISALIGNED;
      pteStore(table, index, (pte & ~(PT_LEAF_FLAGS | PTE_V)) | flags | PTE_V);
      return PT_OK;
    }
    table = nextTable(pte);
    level--;
  }
  return PT_ERR_NOT_MAPPED;
}

/** Points the 4 KiB leaf at `va` to another frame with new flags, in place:
 *  no table is freed or allocated, so it cannot fail for lack of memory
 *  (copy-on-write uses it). */
export function ptReplace(root: usize, va: u64, pa: usize, flags: u64): i32 {
  if (!rootValid(root)) return PT_ERR_BAD_ROOT;
  if (!vaCanonical(va)) return PT_ERR_NONCANONICAL;
  if (!flagsValid(flags)) return PT_ERR_BAD_FLAGS;
  if ((va & (PAGE_4K - 1)) != 0 || (pa & <usize>(PAGE_4K - 1)) != 0) return PT_ERR_MISALIGNED;
  if ((paToPte(<u64>pa, 0) & PTE_HIGH_RESERVED) != 0) return PT_ERR_BAD_PA;
  let table = root;
  for (let level = PT_ROOT_LEVEL; level >= 0; level--) {
    const index = vpn(va, level);
    const pte = pteLoad(table, index);
    if (!pteValid(pte)) return PT_ERR_NOT_MAPPED;
    if (pteIsLeaf(pte)) {
      if (level != 0) return PT_ERR_SIZE_MISMATCH;
      pteStore(table, index, paToPte(<u64>pa, flags | PTE_V));
      return PT_OK;
    }
    table = nextTable(pte);
  }
  return PT_ERR_NOT_MAPPED;
}

// ---- Translate and walk -----------------------------------------------------------

/** Leaf entry mapping va with its level in bits 57..56 (reserved, always
 *  zero in a real leaf), or 0 when nothing maps va. */
const LEAF_LEVEL_SHIFT: u64 = 56;

function findLeaf(root: usize, va: u64): u64 {
  if (!vaCanonical(va)) return 0;
  let table = root;
  for (let level = PT_ROOT_LEVEL; level >= 0; level--) {
    const pte = pteLoad(table, vpn(va, level));
    if (!pteValid(pte)) return 0;
    if (pteIsLeaf(pte)) return pte | (<u64>level << LEAF_LEVEL_SHIFT);
    table = nextTable(pte);
  }
  return 0;
}

/** Physical address va maps to, or PT_NO_MAPPING. A superpage whose PPN is
 *  not aligned to its size reads as unmapped, as it faults on hardware. */
export function ptTranslate(root: usize, va: u64): u64 {
  let table = root;
  if (!vaCanonical(va)) return PT_NO_MAPPING;
  for (let level = PT_ROOT_LEVEL; level >= 0; level--) {
    const pte = pteLoad(table, vpn(va, level));
    if (!pteValid(pte)) return PT_NO_MAPPING;
    if (pteIsLeaf(pte)) {
      const mask = levelSize(level) - 1;
      const base = pteToPa(pte);
      if ((base & mask) != 0) return PT_NO_MAPPING;
      return base | (va & mask);
    }
    table = nextTable(pte);
  }
  return PT_NO_MAPPING;
}

/** Flag bits (PTE bits 9..0, V included) of the leaf mapping va, or 0. */
export function ptLeafFlags(root: usize, va: u64): u32 {
  const leaf = findLeaf(root, va);
  return <u32>(leaf & 0x3FF);
}

/** Level of the leaf mapping va (0: 4 KiB, 1: 2 MiB, 2: 1 GiB), or PT_ERR_NOT_MAPPED. */
export function ptLeafLevel(root: usize, va: u64): i32 {
  const leaf = findLeaf(root, va);
  if (leaf == 0) return PT_ERR_NOT_MAPPED;
  return <i32>((leaf >> LEAF_LEVEL_SHIFT) & 3);
}

/** Walks va for the monitor. Writes PT_WALK_OUT_SIZE bytes at out (layout
 *  at PT_WALK_RECORD) and returns the leaf level, PT_ERR_NOT_MAPPED when an
 *  invalid entry stops the walk, or PT_ERR_NONCANONICAL. */
export function ptWalk(root: usize, va: u64, out: usize): i32 {
  if (!rootValid(root)) return PT_ERR_BAD_ROOT;
  for (let level = PT_ROOT_LEVEL; level >= 0; level--) {
    const record = out + <usize>(PT_ROOT_LEVEL - level) * PT_WALK_RECORD;
    store<u32>(record, 0);
    store<u32>(record, vpn(va, level), 4);
    store<u64>(record, 0, 8);
  }
  if (!vaCanonical(va)) return PT_ERR_NONCANONICAL;
  let table = root;
  for (let level = PT_ROOT_LEVEL; level >= 0; level--) {
    const record = out + <usize>(PT_ROOT_LEVEL - level) * PT_WALK_RECORD;
    const pte = pteLoad(table, vpn(va, level));
    store<u32>(record, <u32>table);
    store<u64>(record, pte, 8);
    if (!pteValid(pte)) return PT_ERR_NOT_MAPPED;
    if (pteIsLeaf(pte)) return level;
    table = nextTable(pte);
  }
  return PT_ERR_NOT_MAPPED;
}

// ---- Invariants -------------------------------------------------------------------

function checkLevel(table: usize, level: i32): i32 {
  if (frameKind(table) != KIND_PAGETABLE) return PT_CHECK_KIND;
  let valid: u32 = 0;
  for (let i: u32 = 0; i < PT_ENTRIES; i++) {
    const pte = pteLoad(table, i);
    if (!pteValid(pte)) continue;
    valid++;
    if ((pte & PTE_HIGH_RESERVED) != 0) return PT_CHECK_RESERVED;
    if (pteIsLeaf(pte)) {
      if (level > 2) return PT_CHECK_LEAF;
      if ((pte & (PTE_W | PTE_R)) == PTE_W) return PT_CHECK_LEAF;
      if ((pteToPa(pte) & (levelSize(level) - 1)) != 0) return PT_CHECK_LEAF;
    } else {
      if ((pte & ~(PTE_V | (<u64>0xFFF_FFFF_FFFF << 10))) != 0) return PT_CHECK_NONLEAF;
      if (level == 0) return PT_CHECK_NONLEAF;
      const child = nextTable(pte);
      const r = checkLevel(child, level - 1);
      if (r != PT_OK) return r;
    }
  }
  if (valid != frameCount(table)) return PT_CHECK_COUNT;
  if (valid == 0 && level != PT_ROOT_LEVEL) return PT_CHECK_EMPTY;
  return PT_OK;
}

/** Verifies the invariants at the top of this file for the whole tree. */
export function ptCheck(root: usize): i32 {
  if (!rootValid(root)) return PT_ERR_BAD_ROOT;
  return checkLevel(root, PT_ROOT_LEVEL);
}
