// Instruction fetch at block granularity: the decoded block for a pc,
// through the fetch translation and the block cache, decoding on a miss.
// The executor (execute.ts) comes here for the first block of a run and
// whenever its successor is not chained (blockcache.ts); the special
// blocks (a page-straddling instruction, a block cut to the budget) are
// built here in the scratch block.

import { tlbFetch, tlbHit } from "./tlb";
import { blockLookup, scratchBlock, clearLinks, BLOCK_HEADER, RECORD_SIZE } from "./blockcache";
import { decodeBlock, decodeHalves, putEnd, recPcOff, recLen, unfuseTail } from "./decode";
import { mmuTranslate } from "./mmu";
import { ACCESS_FETCH, clearFault } from "./trap";
import { breakCount, breakAtPa, BREAK_BLOCK } from "./debug";

// The previous block's virtual page and frame: within one hartRun the
// translation cannot change, so a block in the same virtual page needs no
// TLB lookup. Per-vCPU scratch, reset by fetchReset at the start of a run.
let lastPage: u64 = 1; // never a page address
let lastFrame: usize = 0;

// @ts-ignore: decorator
@inline export function fetchReset(): void { lastPage = 1; }

/**
 * The block starting at pc: cached, freshly decoded, or (for an instruction
 * straddling two pages) built in the scratch block. 0 with the fault raised
 * (trap.ts) when the fetch faults.
 */
export function blockAt(ctx: usize, pc: u64, key: u32): usize {
  let host: usize;
  if ((pc & ~<u64>0xFFF) == lastPage) {
    host = lastFrame + <usize>(<u32>pc & 0xFFF);
  } else {
    host = tlbHit(tlbFetch, pc, key, 2);
    if (host == 0) {
      clearFault();
      const frame = mmuTranslate(ctx, pc, ACCESS_FETCH);
      if (frame == 0) return 0;
      host = frame + <usize>(<u32>pc & 0xFFF);
    }
    lastPage = pc & ~<u64>0xFFF;
    lastFrame = host & ~<usize>0xFFF;
  }
  const block = blockLookup(host);
  if (block != 0) return block;
  if ((<u32>pc & 0xFFF) == 0xFFE && (load<u16>(host) & 3) == 3) {
    clearFault();
    return straddlingBlock(ctx, pc, host, key);
  }
  return decodeBlock(host);
}

/**
 * The block for a 32-bit instruction whose halves lie in two pages: both
 * halves are fetched through the MMU (a fault on the second reports its
 * address), decoded into the scratch block and never cached. 0 on a fault.
 */
function straddlingBlock(ctx: usize, pc: u64, host: usize, key: u32): usize {
  const upperVa = pc + 2;
  let upperHost = tlbHit(tlbFetch, upperVa, key, 2);
  if (upperHost == 0) {
    const frame = mmuTranslate(ctx, upperVa, ACCESS_FETCH);
    if (frame == 0) return 0;
    upperHost = frame;
  }
  const rec = scratchBlock + BLOCK_HEADER;
  decodeHalves(rec, <u32>load<u16>(host), <u32>load<u16>(upperHost), 0, 0);
  putEnd(rec + RECORD_SIZE, 4, 1);
  store<u32>(scratchBlock, breakCount() != 0 && breakAtPa(host) ? BREAK_BLOCK : 1);
  clearLinks(scratchBlock); // the scratch block is never chained
  return scratchBlock;
}

/** A copy of the first `count` instructions of block, closed by an END record. */
export function truncatedBlock(block: usize, count: u32): usize {
  memory.copy(scratchBlock, block, BLOCK_HEADER + <usize>count * RECORD_SIZE);
  unfuseTail(scratchBlock + BLOCK_HEADER, count);
  const last = scratchBlock + BLOCK_HEADER + <usize>(count - 1) * RECORD_SIZE;
  putEnd(last + RECORD_SIZE, recPcOff(last) + recLen(last), count);
  store<u32>(scratchBlock, count);
  clearLinks(scratchBlock); // the scratch block is never chained
  return scratchBlock;
}
