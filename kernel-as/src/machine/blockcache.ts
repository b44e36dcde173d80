// The decoded-block cache: basic blocks of pre-decoded instruction records,
// keyed by the physical address of their first instruction, so that every
// address space mapping the same code frame shares them. A block never
// spans two frames (an instruction straddling a page boundary is executed
// from a scratch block and never cached).
//
// Parts, all inside the hart arena:
//  * the block table: BLOCK_TABLE_ENTRIES direct-mapped (u32 pa, u32 block)
//    pairs; a collision simply replaces the older block;
//  * the code bitmap: one bit per 4 KiB frame of a 4 GiB space, set while
//    the frame has decoded blocks; stores consult it through the store TLB's
//    KEY_CODE flag and invalidate the frame's blocks before writing;
//  * the record heap, a bump allocator; when it is full the whole cache is
//    dropped and decoding starts over (cheap, and rare with a few MiB).
//
// Block layout: a BLOCK_HEADER-byte header, then `count` records and one
// closing record (see decode.ts for the record format). Header:
//   +0  u32 count of instructions
//   +4  u32 physical address of the first instruction
//   +8  u32 chain link of the taken exit (branch taken, jal)
//   +12 u32 chain link of the fall-through exit (branch not taken, END)
// An exit without a successor yet links to the `unlinked` sentinel, a
// header whose count (0xFFFF_FFFF) exceeds any budget, so the executor's
// one test "successor's count <= remaining budget" also rejects it.
//
// Chain links let the executor go from a block to its successor without
// the fetch translation and the table lookup. A link is only made when the
// successor starts in the same virtual page as the block, so it names the
// block at `frame of this block + offset`, whatever the address space or
// the TLB say: links need no invalidation on TLB flushes or context
// switches. They also need none when a frame's blocks are invalidated:
// links never leave a frame, and every way into a frame's blocks goes
// through the block table, which the invalidation empties of them. Only
// the block running at that moment survives, and the executor ends it (see
// codeDropped). A full flush reuses the heap, so a link is never written
// into a block that a flush may have freed (the executor compares
// cacheFlushes), nor into the scratch block.

import { tlbDropStoresToFrame } from "./tlb";

export const BLOCK_TABLE_BITS: u32 = 15;
export const BLOCK_TABLE_ENTRIES: u32 = 1 << BLOCK_TABLE_BITS;
export const BLOCK_TABLE_BYTES: usize = <usize>BLOCK_TABLE_ENTRIES * 8;
export const CODE_BITMAP_BYTES: usize = (<usize>1 << 20) >> 3; // 2^20 frames = 4 GiB
export const BLOCK_HEADER: usize = 16; // also the alignment of every block
export const BLOCK_COUNT: usize = 0;
export const BLOCK_PA: usize = 4;
export const BLOCK_LINK_TAKEN: usize = 8;
export const BLOCK_LINK_FALL: usize = 12;
export const RECORD_SIZE: usize = 16;
/** Longest block, in instructions; a block also ends at its frame's end. */
export const BLOCK_MAX_INSNS: u32 = 128;
export const BLOCK_MAX_BYTES: usize = BLOCK_HEADER + (<usize>BLOCK_MAX_INSNS + 1) * RECORD_SIZE;
/** Smallest record heap worth having. */
export const RECORD_HEAP_MIN: usize = 256 * 1024;

const TAG_EMPTY: u32 = 0xFFFF_FFFF; // odd, so no instruction address equals it

// Per-vCPU cache pointers (the cache itself is per-vCPU state).
let blockTable: usize = 0;
let codeBitmap: usize = 0;
let heapBase: usize = 0;
let heapEnd: usize = 0;
let heapTop: usize = 0;
/** A block-sized scratch area for single-stepping and straddling instructions. */
export let scratchBlock: usize = 0;
/**
 * The sentinel header every unmade link points to; its own link fields
 * point to itself, so `unlinked + BLOCK_LINK_TAKEN` is a link field that is
 * never made (NO_LINK for exits that cannot chain, such as jalr).
 */
export let unlinked: usize = 0;
/** Times the whole cache was dropped (heap full, fence.i): for tests and statistics. */
export let cacheFlushes: u32 = 0;
/**
 * Set when blockInvalidateFrame dropped blocks; the executor clears it
 * around the stores that can cause it and then ends the running block, which
 * may be one of the dropped ones.
 */
export let codeDropped: bool = false;

// @ts-ignore: decorator
@inline export function clearCodeDropped(): void { codeDropped = false; }

export function blockCacheAttach(base: usize, bytes: usize): bool {
  const fixed = BLOCK_TABLE_BYTES + CODE_BITMAP_BYTES + BLOCK_HEADER + BLOCK_MAX_BYTES;
  if (bytes < fixed + RECORD_HEAP_MIN) return false;
  blockTable = base;
  codeBitmap = base + BLOCK_TABLE_BYTES;
  unlinked = codeBitmap + CODE_BITMAP_BYTES;
  store<u32>(unlinked, 0xFFFF_FFFF, BLOCK_COUNT);
  store<u32>(unlinked, 0, BLOCK_PA);
  store<u32>(unlinked, <u32>unlinked, BLOCK_LINK_TAKEN);
  store<u32>(unlinked, <u32>unlinked, BLOCK_LINK_FALL);
  scratchBlock = unlinked + BLOCK_HEADER;
  clearLinks(scratchBlock);
  heapBase = scratchBlock + BLOCK_MAX_BYTES;
  heapEnd = base + bytes;
  blockCacheFlushAll();
  cacheFlushes = 0;
  return true;
}

export function blockCacheBytesNeeded(): usize {
  return BLOCK_TABLE_BYTES + CODE_BITMAP_BYTES + BLOCK_HEADER + BLOCK_MAX_BYTES + RECORD_HEAP_MIN;
}

/** Points both exits of a block at the sentinel. */
// @ts-ignore: decorator
@inline export function clearLinks(block: usize): void {
  store<u32>(block, <u32>unlinked, BLOCK_LINK_TAKEN);
  store<u32>(block, <u32>unlinked, BLOCK_LINK_FALL);
}

/** Whether a link field may be written: not the sentinel's, not the scratch block's. */
// @ts-ignore: decorator
@inline export function linkWritable(link: usize): bool {
  const block = link & ~<usize>(BLOCK_HEADER - 1);
  return block != unlinked && block != scratchBlock;
}

// @ts-ignore: decorator
@inline function slotOf(pa: usize): usize {
  return blockTable + ((<usize>((<u32>pa >> 1) * 0x9E3779B1) >> (32 - BLOCK_TABLE_BITS)) << 3);
}

/** The cached block starting at physical address pa, or 0. */
// @ts-ignore: decorator
@inline export function blockLookup(pa: usize): usize {
  const slot = slotOf(pa);
  return load<u32>(slot) == <u32>pa ? <usize>load<u32>(slot, 4) : 0;
}

/** Room for one block of at most BLOCK_MAX_INSNS records; drops the cache when full. */
export function blockReserve(): usize {
  if (heapTop + BLOCK_MAX_BYTES > heapEnd) blockCacheFlushAll();
  return heapTop;
}

/** Whether blockReserve can hand out a block without dropping the cache. */
export function blockHeapRoom(): bool { return heapTop + BLOCK_MAX_BYTES <= heapEnd; }

/** Publishes a block built at blockReserve()'s address. */
export function blockCommit(block: usize, pa: usize, count: u32): void {
  store<u32>(block, count, BLOCK_COUNT);
  store<u32>(block, <u32>pa, BLOCK_PA);
  clearLinks(block);
  heapTop = block + BLOCK_HEADER + (<usize>count + 1) * RECORD_SIZE;
  const slot = slotOf(pa);
  store<u32>(slot, <u32>pa);
  store<u32>(slot, <u32>block, 4);
  const frame = pa & ~<usize>0xFFF;
  if (!frameHasCode(frame)) {
    const bit = frame >> 12;
    store<u8>(codeBitmap + (bit >> 3), load<u8>(codeBitmap + (bit >> 3)) | <u8>(<u32>1 << <u32>(bit & 7)));
    // Store entries filled before the frame held code lack KEY_CODE.
    tlbDropStoresToFrame(frame);
  }
}

// @ts-ignore: decorator
@inline export function frameHasCode(frame: usize): bool {
  const bit = frame >> 12;
  return (load<u8>(codeBitmap + (bit >> 3)) & <u8>(<u32>1 << <u32>(bit & 7))) != 0;
}

/** Forgets every block decoded from `frame` (the frame was or is about to be written). */
export function blockInvalidateFrame(frame: usize): void {
  if (codeBitmap == 0 || !frameHasCode(frame)) return;
  codeDropped = true;
  const bit = frame >> 12;
  store<u8>(codeBitmap + (bit >> 3), load<u8>(codeBitmap + (bit >> 3)) & ~<u8>(<u32>1 << <u32>(bit & 7)));
  const tag = <u32>frame;
  for (let i: usize = 0; i < <usize>BLOCK_TABLE_ENTRIES; i++) {
    const slot = blockTable + (i << 3);
    if ((load<u32>(slot) & ~<u32>0xFFF) == tag) store<u32>(slot, TAG_EMPTY);
  }
}

export function blockCacheFlushAll(): void {
  if (blockTable == 0) return;
  memory.fill(blockTable, 0xFF, BLOCK_TABLE_BYTES);
  memory.fill(codeBitmap, 0, CODE_BITMAP_BYTES);
  heapTop = heapBase;
  cacheFlushes++;
}
