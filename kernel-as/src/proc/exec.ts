// exec: replace a process's image with a program from the file system
// (ABI.md "Process image"). Everything that can fail is done before the old
// image is touched: the file is validated, the new address space is built
// beside the old one, and only then are they swapped. A failed exec leaves
// the caller exactly as it was, with the reason in its error string.
//
// New image, from address 0 up: the PT_LOAD segments (each on the pages its
// bytes touch; a page two segments share holds both segments' bytes and the
// union of their permissions, see docs/processes.md); rounded up to a page,
// a guard page (mapped, not user-accessible); STACK_PAGES of stack right
// above it; then the heap, empty, which sbrk grows. The stack is one page,
// as in xv6: a program that needs more overflows into the guard and dies
// (xv6's stacktest relies on it), so big buffers belong in static data. Arguments are pushed from the top of the
// stack, each string 16-byte aligned, then the NULL-terminated argv array at
// a 16-byte aligned sp. At entry pc = e_entry, a0 = argc, a1 = sp = argv.
// Relies on: proc/elf, mm/vm, mm/pagetable, fs/bootfs, machine/hart.

import { debugOnExec } from "./debug";
import { threadsEndOthers } from "./thread";
import {
  elfCheck, elfEntry, elfPhnum, phLoaded, phFlags, phOffset, phVaddr, phFilesz, phMemsz, ELF_OK, PF_W, PF_X,
} from "./elf";
import {
  mapZeroed, addressSpaceDestroy, regionClear, regionAdd, pageUp, pageDown, PAGE, USER_RX, USER_R, USER_RW, USER_RWX,
  GUARD_FLAGS, RK_SEGMENT, RK_GUARD, RK_STACK, RK_HEAP, VM_OK,
} from "../mm/vm";
import { ptCreate, ptTranslate, ptProtect, PT_NO_MAPPING, PT_OK } from "../mm/pagetable";
import { bootfsType, bootfsSize, bootfsData, T_FILE } from "../fs/bootfs";
import { hartSetSatp, hartSetPc, hartSetReg, hartDropReservation, tlbFlushAsid, hartInvalidateCode, hartClearFpState } from "../machine/hart";
import { makeSatp } from "../machine/sv48";
import {
  pCtx, pRoot, pSetRoot, pAsid, pSetBrk, procTable, pSetHeapStart, pSetImageTop, pSetName, pSetShmNext, MAX_REGIONS,
} from "./proc";
import { SCRATCH_EXEC_STRINGS, SCRATCH_EXEC_OFFSETS } from "../lib/layout";

export const MAXARG: u32 = 32;
export const ARG_SPACE: u32 = 4096;
/** One page, as xv6 maps (its USERSTACK). */
export const STACK_PAGES: u64 = 1;

export const EXEC_OK: i32 = 0;
export const EXEC_ERR_NOT_FILE: i32 = -1;
export const EXEC_ERR_NOMEM: i32 = -2;
export const EXEC_ERR_ARGS: i32 = -3;
/** The image (segments, guard and stack) needs more frames than one process
 *  may hold: refused before anything is allocated. */
export const EXEC_ERR_IMAGE_TOO_BIG: i32 = -6;
/** More loaded segments than the region table has room for beside the
 *  guard, stack and heap (elfCheck allows up to ELF_MAX_SEGMENTS headers). */
export const EXEC_ERR_SEGMENTS: i32 = -7;
/** Regions exec adds besides the segments: guard, stack, heap. */
const IMAGE_OTHER_REGIONS: u32 = 3;
export const EXEC_MAX_LOADED: u32 = MAX_REGIONS - IMAGE_OTHER_REGIONS;
// ELF_ERR_* (-1 .. -15) are reported shifted by EXEC_ELF_BASE.
export const EXEC_ELF_BASE: i32 = -100;

const REG_SP: u32 = 2;
const REG_A0: u32 = 10;
const REG_A1: u32 = 11;

function segmentFlags(pf: u32): u64 {
  if ((pf & PF_X) != 0) return (pf & PF_W) != 0 ? USER_RWX : USER_RX;
  return (pf & PF_W) != 0 ? USER_RW : USER_R;
}

/** The page permissions at `page`: the union over every loaded segment with
 *  bytes on it (one segment's own flags unless two share the page). */
function pageFlags(file: usize, page: u64): u64 {
  let flags: u64 = 0;
  const phnum = elfPhnum(file);
  for (let i: u32 = 0; i < phnum; i++) {
    if (!phLoaded(file, i)) continue;
    const va = phVaddr(file, i);
    if (pageDown(va) <= page && page < va + phMemsz(file, i)) flags |= segmentFlags(phFlags(file, i));
  }
  return flags;
}

/** Copies bytes into an address space that is not installed yet. */
function copyToRoot(root: usize, va: u64, src: usize, len: u64): bool {
  while (len > 0) {
    const pa = ptTranslate(root, va);
    if (pa == PT_NO_MAPPING) return false;
    let n = PAGE - (va & (PAGE - 1));
    if (n > len) n = len;
    memory.copy(<usize>pa, src, <usize>n);
    hartInvalidateCode(<usize>pa, <usize>n);
    src += <usize>n; va += n; len -= n;
  }
  return true;
}

/** Pages the new image will take, at most: every loaded segment's pages
 *  (elfCheck has bounded each below ELF_VA_LIMIT; a page two segments share
 *  is counted twice, a bound on the safe side), the guard page and the stack. */
function imagePages(file: usize): u64 {
  let pages: u64 = 1 + STACK_PAGES;
  const phnum = elfPhnum(file);
  for (let i: u32 = 0; i < phnum; i++) {
    if (!phLoaded(file, i)) continue;
    const va = phVaddr(file, i);
    pages += (pageUp(va + phMemsz(file, i)) - pageDown(va)) / PAGE;
  }
  return pages;
}

/** How many segments exec loads (each becomes a region). */
function loadedSegments(file: usize): u32 {
  let n: u32 = 0;
  const phnum = elfPhnum(file);
  for (let i: u32 = 0; i < phnum; i++) if (phLoaded(file, i)) n++;
  return n;
}

/** exec of boot file system inode `inum` (the image is already in RAM). */
export function execBootfs(slot: u32, inum: u32, argc: u32, name: usize, nameLen: u32): i32 {
  if (bootfsType(inum) != T_FILE) return EXEC_ERR_NOT_FILE;
  return execImage(slot, bootfsData(inum), <u64>bootfsSize(inum), argc, name, nameLen);
}

/**
 * Replaces slot's image with the ELF file of `size` bytes at kernel address
 * `file`. The arguments must already be in kernel memory: `argc` strings
 * packed at SCRATCH_EXEC_STRINGS with their offsets (u32) at
 * SCRATCH_EXEC_OFFSETS. `name` is the program's name for ps.
 */
export function execImage(slot: u32, file: usize, size: u64, argc: u32, name: usize, nameLen: u32): i32 {
  const check = elfCheck(file, size);
  if (check != ELF_OK) return EXEC_ELF_BASE + check;
  if (loadedSegments(file) > EXEC_MAX_LOADED) return EXEC_ERR_SEGMENTS;
  if (imagePages(file) > <u64>procTable().userFrameLimit) return EXEC_ERR_IMAGE_TOO_BIG;

  const root = ptCreate();
  if (root == 0) return EXEC_ERR_NOMEM;
  const asid = pAsid(slot);
  let top: u64 = 0;
  const phnum = elfPhnum(file);
  for (let i: u32 = 0; i < phnum; i++) {
    if (!phLoaded(file, i)) continue;
    const va = phVaddr(file, i);
    const end = va + phMemsz(file, i);
    if (mapZeroed(root, slot, va, end, segmentFlags(phFlags(file, i))) != VM_OK ||
        !copyToRoot(root, va, file + <usize>phOffset(file, i), phFilesz(file, i))) {
      addressSpaceDestroy(root, asid);
      return EXEC_ERR_NOMEM;
    }
    if (pageUp(end) > top) top = pageUp(end);
  }
  // Only a segment's first and last pages can be shared with another.
  for (let i: u32 = 0; i < phnum; i++) {
    if (!phLoaded(file, i)) continue;
    const first = pageDown(phVaddr(file, i));
    const last = pageDown(phVaddr(file, i) + phMemsz(file, i) - 1);
    if (ptProtect(root, first, pageFlags(file, first)) != PT_OK || ptProtect(root, last, pageFlags(file, last)) != PT_OK) {
      addressSpaceDestroy(root, asid);
      return EXEC_ERR_NOMEM;
    }
  }
  const guard = top;
  const stackBottom = guard + PAGE;
  const stackTop = stackBottom + STACK_PAGES * PAGE;
  if (mapZeroed(root, slot, guard, guard + PAGE, GUARD_FLAGS) != VM_OK ||
      mapZeroed(root, slot, stackBottom, stackTop, USER_RW) != VM_OK) {
    addressSpaceDestroy(root, asid);
    return EXEC_ERR_NOMEM;
  }

  // Arguments: strings from the top, each 16-byte aligned, then argv.
  let sp = stackTop;
  const ptrs = SCRATCH_EXEC_OFFSETS + 0x200; // u64 user pointers, MAXARG + 1
  for (let i: u32 = 0; i < argc; i++) {
    const s = SCRATCH_EXEC_STRINGS + <usize>load<u32>(SCRATCH_EXEC_OFFSETS + <usize>i * 4);
    let len: u64 = 0;
    while (load<u8>(s + <usize>len) != 0) len++;
    sp = (sp - (len + 1)) & ~<u64>15;
    if (sp < stackBottom || !copyToRoot(root, sp, s, len + 1)) { addressSpaceDestroy(root, asid); return EXEC_ERR_ARGS; }
    store<u64>(ptrs + <usize>i * 8, sp);
  }
  store<u64>(ptrs + <usize>argc * 8, 0);
  const argvBytes = (<u64>argc + 1) * 8;
  sp = (sp - argvBytes) & ~<u64>15;
  if (sp < stackBottom || !copyToRoot(root, sp, ptrs, argvBytes)) { addressSpaceDestroy(root, asid); return EXEC_ERR_ARGS; }

  // Commit: nothing below can fail. The process's other threads end here.
  threadsEndOthers(slot, slot);
  addressSpaceDestroy(pRoot(slot), asid);
  pSetRoot(slot, root);
  regionClear(slot);
  for (let i: u32 = 0; i < phnum; i++) {
    if (!phLoaded(file, i)) continue;
    const va = phVaddr(file, i);
    regionAdd(slot, pageDown(va), pageUp(va + phMemsz(file, i)), segmentFlags(phFlags(file, i)), RK_SEGMENT);
  }
  regionAdd(slot, guard, stackBottom, GUARD_FLAGS, RK_GUARD);
  regionAdd(slot, stackBottom, stackTop, USER_RW, RK_STACK);
  regionAdd(slot, stackTop, stackTop, USER_RW, RK_HEAP);
  pSetImageTop(slot, top);
  pSetShmNext(slot, 0);
  pSetHeapStart(slot, stackTop);
  pSetBrk(slot, stackTop);
  pSetName(slot, name, nameLen);

  const ctx = pCtx(slot);
  for (let r: u32 = 1; r < 32; r++) hartSetReg(ctx, r, 0);
  hartClearFpState(ctx);
  hartSetReg(ctx, REG_SP, sp);
  hartSetReg(ctx, REG_A0, <u64>argc);
  hartSetReg(ctx, REG_A1, sp);
  hartSetPc(ctx, elfEntry(file));
  hartSetSatp(ctx, makeSatp(asid, <u64>root));
  hartDropReservation(ctx);
  tlbFlushAsid(asid);
  debugOnExec(slot);
  return EXEC_OK;
}

