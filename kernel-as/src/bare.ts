// The bare hart runner: a standalone entry (build/bare.wasm) that runs one
// static RV64 ELF on the hart with nothing but the two Linux-numbered calls
// of ABI.md's "bare hart runner convention": write (64) and exit (93).
// Layer: above mm/ (frames, page tables) and machine/ (the hart); it is a test
// harness, not part of the kernel proper, but it uses the same code paths:
// frames from the BootInfo memory map, an Sv48 address space, user memory
// reached only through the page tables.
//
// The host (host/node/hart.ts) drives it:
//   bareInit()                         frames, hart arena, page table, context
//   bareMapSegment(va, memsz, flags)   zeroed user pages for one PT_LOAD (PF_* flags)
//   bareStaging()                      a host-writable buffer of BARE_STAGING_BYTES
//   bareCopyIn(va, len)                staging[0..len) -> user memory at va
//   bareSetupStack(argc, bytes)        stack above the image; argv strings
//                                      (NUL-terminated, back to back) are in staging
//   bareStart(entry)                   pc = entry
//   bareRun(budget) -> BARE_*          run until budget, a write, exit or a fault
// Every setup call returns BARE_OK or a negative BARE_ERR_* code.
//
// Address space (ABI.md "Process image"): each segment's pages with the ELF
// permissions (user, read, plus write/execute where flagged); above the last
// segment, rounded up to a page, one guard page that stays unmapped; then
// BARE_STACK_PAGES stack pages. At entry a0 = argc, a1 = sp = argv.

import { PAGE_4K, PTE_A, PTE_D, PTE_R, PTE_U, PTE_W, PTE_X, makeSatp } from "./machine/sv48";
import { framesInit, frameAlloc, frameZero, FRAME_OK, KIND_KERNEL, KIND_USER } from "./mm/frames";
import { ptCreate, ptMap, ptProtect, ptTranslate, ptLeafFlags, PT_NO_MAPPING, PT_OK } from "./mm/pagetable";
import {
  hartSystemInit, hartContextSize, hartInit, hartSetSatp, hartRun, hartGetReg, hartSetReg, hartGetPc, hartSetPc,
  hartGetTval, hartGetInstret, HART_OK, HART_ARENA_RECOMMENDED,
} from "./machine/hart";
import { CAUSE_ECALL_U, TRAP_BUDGET, TRAP_INTERRUPT } from "./machine/trap";
import { KSTATE_SCRATCH } from "./lib/layout";
import { kernelAbort } from "./lib/panic";
export { kernelAbort };
export { hartJitConfig, hartJitActive, hartJitStat, hartJitFp } from "./machine/hart";

// ---- Limits and codes ----------------------------------------------------------

/** Stack pages above the guard page (256 KiB). */
export const BARE_STACK_PAGES: u64 = 64;
/** Host-visible buffer for segment bytes, argv strings and write() output. */
export const BARE_STAGING_BYTES: usize = 64 * 1024;
/** At most this many argument strings (ABI.md). */
export const BARE_MAX_ARGS: u32 = 32;
/** Address space id of the one address space. */
const BARE_ASID: u32 = 1;

const SYS_WRITE: u64 = 64;
const SYS_EXIT: u64 = 93;
const REG_SP: u32 = 2;
const REG_A0: u32 = 10;
const REG_A1: u32 = 11;
const REG_A2: u32 = 12;
const REG_A7: u32 = 17;
/** Linux's EBADF and EFAULT, returned (negated) by the bare write. */
const EBADF: i64 = 9;
const EFAULT: i64 = 14;

export const BARE_OK: i32 = 0;
export const BARE_ERR_FRAMES: i32 = -1;      // framesInit failed
export const BARE_ERR_NO_MEMORY: i32 = -2;   // no frame for the arena, a table or a page
export const BARE_ERR_HART: i32 = -3;        // hartSystemInit / hartSetSatp refused
export const BARE_ERR_MAP: i32 = -4;         // ptMap failed (overlap, bad address)
export const BARE_ERR_NOT_MAPPED: i32 = -5;  // bareCopyIn target not mapped
export const BARE_ERR_TOO_BIG: i32 = -6;     // a length beyond the staging buffer
export const BARE_ERR_ARGS: i32 = -7;        // too many arguments, or they do not fit

// Results of bareRun.
/** The budget is spent; call again. */
export const BARE_BUDGET: i32 = 0;
/** write(): bareOutFd/bareOutLen bytes at bareStaging(); call again to go on. */
export const BARE_WRITE: i32 = 1;
/** exit(): the status is bareExitStatus(). */
export const BARE_EXIT: i32 = 2;
/** A trap other than write/exit: bareCause, barePc, bareTval, bareCallNumber. */
export const BARE_FAULT: i32 = 3;

// ---- State (one runner per instance; lives in the early-boot scratch record) ----

const S_CTX: usize = 0;         // usize: hart context
const S_ROOT: usize = 8;        // usize: root page table
const S_STAGING: usize = 16;    // usize
const S_IMAGE_END: usize = 24;  // u64: end of the highest segment, page-rounded
const S_STACK_TOP: usize = 32;  // u64
const S_EXIT: usize = 40;       // i64
const S_OUT_FD: usize = 48;     // u32
const S_OUT_LEN: usize = 52;    // u32
const S_WRITE_DONE: usize = 56; // u64: bytes of the current write already handed out
const S_CAUSE: usize = 64;      // u32
const S_PC: usize = 72;         // u64
const S_TVAL: usize = 80;       // u64
const S_CALL: usize = 88;       // u64: a7 of an unknown ecall

// @ts-ignore: decorator
@inline function st<T>(off: usize): T { return load<T>(KSTATE_SCRATCH + off); }
// @ts-ignore: decorator
@inline function stSet<T>(off: usize, v: T): void { store<T>(KSTATE_SCRATCH + off, v); }

/** Order of the smallest frame block that holds `bytes`. */
function orderFor(bytes: usize): u32 {
  let order: u32 = 0;
  while ((<usize>PAGE_4K << order) < bytes) order++;
  return order;
}

export function bareInit(): i32 {
  memory.fill(KSTATE_SCRATCH, 0, 128);
  if (framesInit() != FRAME_OK) return BARE_ERR_FRAMES;
  const arena = frameAlloc(orderFor(HART_ARENA_RECOMMENDED), KIND_KERNEL);
  const staging = frameAlloc(orderFor(BARE_STAGING_BYTES), KIND_KERNEL);
  const ctx = frameAlloc(orderFor(<usize>hartContextSize()), KIND_KERNEL);
  const root = ptCreate();
  if (arena == 0 || staging == 0 || ctx == 0 || root == 0) return BARE_ERR_NO_MEMORY;
  if (hartSystemInit(arena, HART_ARENA_RECOMMENDED) != HART_OK) return BARE_ERR_HART;
  hartInit(ctx);
  if (hartSetSatp(ctx, makeSatp(BARE_ASID, <u64>root)) != HART_OK) return BARE_ERR_HART;
  stSet<usize>(S_CTX, ctx);
  stSet<usize>(S_ROOT, root);
  stSet<usize>(S_STAGING, staging);
  return BARE_OK;
}

const LEAF_PERMS: u32 = <u32>(PTE_R | PTE_W | PTE_X | PTE_U | PTE_A | PTE_D);

export function bareStaging(): usize { return st<usize>(S_STAGING); }

/** Maps zeroed user pages over [va, va + memsz) with PF_X=1, PF_W=2, PF_R=4.
 *  A page an earlier segment already mapped (two segments sharing a page)
 *  keeps its frame and gets the union of both permissions, as exec does. */
export function bareMapSegment(va: u64, memsz: u64, flags: u32): i32 {
  const root = st<usize>(S_ROOT);
  let pte: u64 = PTE_U | PTE_R | PTE_A | PTE_D;
  if ((flags & 1) != 0) pte |= PTE_X;
  if ((flags & 2) != 0) pte |= PTE_W;
  const first = va & ~(PAGE_4K - 1);
  const end = (va + memsz + PAGE_4K - 1) & ~(PAGE_4K - 1);
  for (let page = first; page < end; page += PAGE_4K) {
    if (ptTranslate(root, page) != PT_NO_MAPPING) {
      if (ptProtect(root, page, <u64>(ptLeafFlags(root, page) & LEAF_PERMS) | pte) != PT_OK) return BARE_ERR_MAP;
      continue;
    }
    const frame = frameAlloc(0, KIND_USER);
    if (frame == 0) return BARE_ERR_NO_MEMORY;
    frameZero(frame, 0);
    if (ptMap(root, page, frame, PAGE_4K, pte) != PT_OK) return BARE_ERR_MAP;
  }
  if (end > st<u64>(S_IMAGE_END)) stSet<u64>(S_IMAGE_END, end);
  return BARE_OK;
}

/** Physical address of user va, or 0 when it is unmapped or lacks `need`
 *  among the leaf flags (PTE_U always required). */
function userPa(va: u64, need: u64): usize {
  const root = st<usize>(S_ROOT);
  const pa = ptTranslate(root, va);
  if (pa == PT_NO_MAPPING) return 0;
  const flags = <u64>ptLeafFlags(root, va);
  if ((flags & (PTE_U | need)) != (PTE_U | need)) return 0;
  return <usize>pa;
}

/** Copies staging[0..len) to user memory at va (loader access: any user page). */
export function bareCopyIn(va: u64, len: u32): i32 {
  if (<usize>len > BARE_STAGING_BYTES) return BARE_ERR_TOO_BIG;
  const staging = st<usize>(S_STAGING);
  let done: u32 = 0;
  while (done < len) {
    const at = va + <u64>done;
    const pa = userPa(at, 0);
    if (pa == 0) return BARE_ERR_NOT_MAPPED;
    const inPage = <u32>(PAGE_4K - (at & (PAGE_4K - 1)));
    const n = min(inPage, len - done);
    memory.copy(pa, staging + <usize>done, <usize>n);
    done += n;
  }
  return BARE_OK;
}

/** Maps the stack above the image and lays out argv (ABI.md): strings from
 *  the top, each 16-byte aligned, then the NULL-terminated pointer array at a
 *  16-byte aligned sp. The strings are `bytes` bytes of staging, each NUL-terminated. */
export function bareSetupStack(argc: u32, bytes: u32): i32 {
  if (argc > BARE_MAX_ARGS || <usize>bytes > BARE_STAGING_BYTES) return BARE_ERR_ARGS;
  const guard = st<u64>(S_IMAGE_END);
  const bottom = guard + PAGE_4K;
  const top = bottom + BARE_STACK_PAGES * PAGE_4K;
  const r = bareMapSegment(bottom, BARE_STACK_PAGES * PAGE_4K, 2 | 4);
  if (r != BARE_OK) return r;
  stSet<u64>(S_IMAGE_END, guard); // the stack is not part of the image
  stSet<u64>(S_STACK_TOP, top);
  const staging = st<usize>(S_STAGING);
  const ctx = st<usize>(S_CTX);

  // Pointers are collected after the strings in staging, then copied below them.
  const ptrs = staging + ((<usize>bytes + 15) & ~<usize>15);
  if (ptrs + <usize>(argc + 1) * 8 > staging + BARE_STAGING_BYTES) return BARE_ERR_ARGS;
  let sp = top;
  let off: u32 = 0;
  for (let i: u32 = 0; i < argc; i++) {
    let len: u32 = 0;
    while (off + len < bytes && load<u8>(staging + <usize>(off + len)) != 0) len++;
    if (off + len >= bytes) return BARE_ERR_ARGS;
    sp = (sp - <u64>(len + 1)) & ~<u64>15;
    if (sp < bottom + PAGE_4K) return BARE_ERR_ARGS;
    if (!copyOut(sp, staging + <usize>off, len + 1)) return BARE_ERR_NOT_MAPPED;
    store<u64>(ptrs + <usize>i * 8, sp);
    off += len + 1;
  }
  store<u64>(ptrs + <usize>argc * 8, 0);
  sp = (sp - <u64>(argc + 1) * 8) & ~<u64>15;
  if (!copyOut(sp, ptrs, (argc + 1) * 8)) return BARE_ERR_NOT_MAPPED;
  hartSetReg(ctx, REG_SP, sp);
  hartSetReg(ctx, REG_A0, <u64>argc);
  hartSetReg(ctx, REG_A1, sp);
  return BARE_OK;
}

function copyOut(va: u64, src: usize, len: u32): bool {
  let done: u32 = 0;
  while (done < len) {
    const at = va + <u64>done;
    const pa = userPa(at, PTE_W);
    if (pa == 0) return false;
    const n = min(<u32>(PAGE_4K - (at & (PAGE_4K - 1))), len - done);
    memory.copy(pa, src + <usize>done, <usize>n);
    done += n;
  }
  return true;
}

export function bareStart(entry: u64): void { hartSetPc(st<usize>(S_CTX), entry); }

/** Runs up to `budget` instructions. See BARE_* for what comes back. */
export function bareRun(budget: u32): i32 {
  const ctx = st<usize>(S_CTX);
  const start = hartGetInstret(ctx);
  // A handled ecall does not retire (it traps) but counts against the budget,
  // so a budget of 1 steps exactly one instruction, ecalls included.
  let ecalls: u64 = 0;
  let used: u64 = 0;
  while (used < <u64>budget) {
    const cause = hartRun(ctx, budget - <u32>used);
    if (cause == TRAP_BUDGET) return BARE_BUDGET;
    if (cause == TRAP_INTERRUPT) continue; // nothing raises one here
    if (cause != CAUSE_ECALL_U) return fault(ctx, cause);
    const call = hartGetReg(ctx, REG_A7);
    if (call == SYS_EXIT) {
      stSet<i64>(S_EXIT, <i64>hartGetReg(ctx, REG_A0));
      return BARE_EXIT;
    }
    if (call != SYS_WRITE) {
      stSet<u64>(S_CALL, call);
      return fault(ctx, cause);
    }
    const r = writeStep(ctx);
    if (r == BARE_WRITE) return r;
    // The write finished (or failed): resume after the ecall.
    hartSetPc(ctx, hartGetPc(ctx) + 4);
    ecalls++;
    used = hartGetInstret(ctx) - start + ecalls;
  }
  return BARE_BUDGET;
}

/** One step of write(fd, buf, len): hands the next chunk to the host
 *  (BARE_WRITE, pc still at the ecall) or, when all of it is out, sets a0 and
 *  returns BARE_OK. A fault in buf answers -EFAULT, like Linux. */
function writeStep(ctx: usize): i32 {
  const fd = hartGetReg(ctx, REG_A0);
  const buf = hartGetReg(ctx, REG_A1);
  const len = hartGetReg(ctx, REG_A2);
  const done = st<u64>(S_WRITE_DONE);
  if (fd != 1 && fd != 2) { hartSetReg(ctx, REG_A0, <u64>(-EBADF)); return BARE_OK; }
  if (done >= len) {
    stSet<u64>(S_WRITE_DONE, 0);
    hartSetReg(ctx, REG_A0, len);
    return BARE_OK;
  }
  const staging = st<usize>(S_STAGING);
  let n: u32 = 0;
  const want = min(len - done, <u64>BARE_STAGING_BYTES);
  while (<u64>n < want) {
    const at = buf + done + <u64>n;
    const pa = userPa(at, PTE_R);
    if (pa == 0) break;
    const k = <u32>min(<u64>(PAGE_4K - (at & (PAGE_4K - 1))), want - <u64>n);
    memory.copy(staging + <usize>n, pa, <usize>k);
    n += k;
  }
  if (n == 0) {
    stSet<u64>(S_WRITE_DONE, 0);
    hartSetReg(ctx, REG_A0, done > 0 ? done : <u64>(-EFAULT));
    return BARE_OK;
  }
  stSet<u64>(S_WRITE_DONE, done + <u64>n);
  stSet<u32>(S_OUT_FD, <u32>fd);
  stSet<u32>(S_OUT_LEN, n);
  return BARE_WRITE;
}

function fault(ctx: usize, cause: u32): i32 {
  stSet<u32>(S_CAUSE, cause);
  stSet<u64>(S_PC, hartGetPc(ctx));
  stSet<u64>(S_TVAL, hartGetTval(ctx));
  return BARE_FAULT;
}

export function bareOutFd(): u32 { return st<u32>(S_OUT_FD); }
export function bareOutLen(): u32 { return st<u32>(S_OUT_LEN); }
export function bareExitStatus(): i64 { return st<i64>(S_EXIT); }
export function bareCause(): u32 { return st<u32>(S_CAUSE); }
export function barePc(): u64 { return st<u64>(S_PC); }
export function bareTval(): u64 { return st<u64>(S_TVAL); }
export function bareCallNumber(): u64 { return st<u64>(S_CALL); }
export function bareGuardPage(): u64 { return st<u64>(S_IMAGE_END); }
export function bareStackTop(): u64 { return st<u64>(S_STACK_TOP); }
export function bareInstret(): u64 { return hartGetInstret(st<usize>(S_CTX)); }
export function bareReg(i: u32): u64 { return hartGetReg(st<usize>(S_CTX), i); }
export function bareSetReg(i: u32, v: u64): void { hartSetReg(st<usize>(S_CTX), i, v); }
export function barePcNow(): u64 { return hartGetPc(st<usize>(S_CTX)); }
/** Reads the 16 or 32 instruction bits at user va for tracing; 0 when unmapped. */
export function bareFetch(va: u64): u32 {
  const pa = userPa(va, PTE_X);
  if (pa == 0) return 0;
  const lo = <u32>load<u16>(pa);
  if ((lo & 3) != 3) return lo;
  const pa2 = userPa(va + 2, PTE_X);
  return pa2 == 0 ? lo : lo | (<u32>load<u16>(pa2) << 16);
}
export { kernelImageEnd } from "./lib/image";
