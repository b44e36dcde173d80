// The second tier: hot code compiled to WebAssembly (docs/hart.md "JIT").
//
// The executor (execute.ts) asks jitProbe before each block. A block that
// has run jitThreshold times becomes the entry of a *unit*: that block and
// every block of the same 4 KiB frame reachable from it through direct
// exits (branches, jal, fall-through), at most UNIT_MAX_BLOCKS blocks and
// UNIT_MAX_RECORDS instructions. The unit is written here as the bytes of a
// small wasm module into the JIT buffer (hart arena); the host compiles and
// instantiates it by hypercall (HV_JIT_COMPILE), importing the kernel's
// memory, and puts its one export into the kernel's function table; the
// executor then calls it through `call_indirect`.
//
// A unit is `(ctx: i32, remaining: i32, vpage: i64) -> i32`. Guest registers
// live in wasm locals, loaded on entry and written back at the one exit
// path. Between its blocks a unit does exactly what the executor does: the
// interrupt flag and the budget are checked before every block, and the
// whole block is charged when it starts. Loads and stores test the TLB
// inline as the executor's fast path does; on a miss (any slow path: a
// fault, a misaligned or page-crossing access, a store into code) and at any
// instruction it does not compile, the unit stops *before* that instruction,
// with everything before it retired and nothing of it done, and gives back
// the instructions of the block not run. The executor then runs the next
// block itself (JIT_MISS), so traps, slow paths and the counters are the
// interpreter's, bit for bit. So a unit never traps and never stops midway
// through an instruction.
//
// Return value: (remaining << 2) | 1 | (2 if it stopped at a miss); the pc
// to go on from is in the context.
//
// Invalidation needs nothing of its own. Units are keyed by the address of
// their entry block's header. A frame whose code is written loses all its
// blocks (blockcache.ts), and blocks are never rebuilt at the same address
// until the whole cache is flushed, which empties the unit table as well
// (jitProbe compares cacheFlushes); a store that would write into a frame
// with decoded code misses the store TLB (KEY_CODE), so a unit never writes
// code itself. The unit table is not machine state: it lives in the arena,
// is emptied by every attach (hartSystemInit, hartResume), and the host's
// function table belongs to the wasm instance.

import { irqWord } from "../lib/cpu";
import { hypercall } from "../arch/imports";
import { HV_JIT_COMPILE, HV_E_UNSUPPORTED } from "../arch/hw";
import { CTX_PC, CTX_ASID_KEY, CTX_DEBUG } from "./context";
import { tlbLoad, tlbStore } from "./tlb";
import {
  blockLookup, blockHeapRoom, cacheFlushes, scratchBlock, BLOCK_HEADER, BLOCK_PA, RECORD_SIZE,
} from "./blockcache";
import { decodeBlock, fusedFirst } from "./decode";
import { breakCount } from "./debug";
import * as D from "./decode";

// ---- The unit table and buffer (in the hart arena) ----

const JT_BITS: u32 = 12;
const JT_ENTRIES: u32 = 1 << JT_BITS;
const JT_ENTRY: usize = 16; // +0 u32 block, +4 u32 runs, +8 u32 table index (0: none), +12 u32 unused
const JT_BYTES: usize = <usize>JT_ENTRIES * JT_ENTRY;
const BUF_BYTES: usize = 96 * 1024;
export const JIT_BYTES: usize = JT_BYTES + BUF_BYTES;
/** The table index of an entry that cannot be compiled (its first instruction is not supported, or compiling failed). */
const SLOT_NEVER: u32 = 0xFFFF_FFFF;
/** Units before the table starts over (the host reuses the slots). */
const MAX_UNITS: u32 = 2048;
const UNIT_MAX_BLOCKS: i32 = 32;
const UNIT_MAX_RECORDS: u32 = 400;

let jitTable: usize = 0;
let buf: usize = 0;
let bufEnd: usize = 0;
let at: usize = 0;
let overflow: bool = false;
let seenFlushes: u32 = 0;
let nextUnit: u32 = 0;

/** Whether the executor consults the JIT at all: asked for (hartJitConfig)
 *  and attached to an arena, and the host answers HV_JIT_COMPILE. */
export let jitActive: bool = false;
/** What hartJitConfig asked for; an attach (start, resume) applies it. */
let jitWanted: bool = false;
let threshold: u32 = 64;
/** Set after a unit stopped at a miss: the next block runs in the interpreter. */
let skipNext: bool = false;

// Statistics (not machine state).
export let jitUnitsCompiled: u32 = 0;
export let jitCompileFailures: u32 = 0;
export let jitUnitCalls: u64 = 0;
export let jitInsnsRetired: u64 = 0;
export let jitBytesEmitted: u64 = 0;

export function jitAttach(base: usize): void {
  jitTable = base;
  buf = base + JT_BYTES;
  bufEnd = buf + BUF_BYTES;
  jitActive = jitWanted;
  jitReset();
}

/** Forgets every unit (the host's table slots are reused from 0). */
export function jitReset(): void {
  if (jitTable == 0) return;
  memory.fill(jitTable, 0, JT_BYTES);
  nextUnit = 0;
  seenFlushes = cacheFlushes;
  skipNext = false;
}

/** May come before the arena is attached (the host configures a fresh
 *  instance before kmain or resume): the attach turns it on then. */
export function jitConfig(enabled: bool, runs: u32): void {
  jitWanted = enabled;
  jitActive = enabled && jitTable != 0;
  threshold = runs == 0 ? 1 : runs;
  jitReset();
}

// @ts-ignore: decorator
@inline function entryOf(block: usize): usize {
  return jitTable + ((<usize>((<u32>block >> 4) * 0x9E3779B1) >> (32 - JT_BITS)) * JT_ENTRY);
}

/**
 * Called by the executor before running `block` at pc (the budget already
 * known to cover it): 0 to interpret it, else a unit ran from it and this is
 * its return value (see the top of the file).
 */
export function jitProbe(ctx: usize, block: usize, pc: u64, remaining: u32): u32 {
  if (skipNext) { skipNext = false; return 0; }
  if (block == scratchBlock || breakCount() != 0 || load<u32>(ctx + CTX_DEBUG) != 0) return 0;
  if (seenFlushes != cacheFlushes) jitReset();
  const e = entryOf(block);
  if (load<u32>(e) != <u32>block) {
    store<u32>(e, <u32>block);
    store<u32>(e, 1, 4);
    store<u32>(e, 0, 8);
    if (threshold > 1) return 0;
  } else {
    const slot = load<u32>(e, 8);
    if (slot == SLOT_NEVER) return 0;
    if (slot == 0) {
      const runs = load<u32>(e, 4) + 1;
      store<u32>(e, runs, 4);
      if (runs < threshold) return 0;
    }
  }
  let slot = load<u32>(e, 8);
  if (slot == 0) {
    slot = compileUnit(block);
    if (seenFlushes != cacheFlushes) { jitReset(); return 0; }
    store<u32>(e, <u32>block); // the unit table may have started over meanwhile
    store<u32>(e, slot, 8);
    if (slot == SLOT_NEVER) return 0;
  }
  jitUnitCalls++;
  // The entry block is charged up front, as the executor charges every block.
  const r = call_indirect<u32>(slot, ctx, remaining - blockCount(block), pc & ~<u64>0xFFF);
  jitInsnsRetired += <u64>(remaining - (r >> 2));
  if ((r & 2) != 0) skipNext = true;
  return r;
}

// ---- Gathering a unit ----

// The unit being gathered: its blocks and their frame offsets, in static
// data (inside the kernel image). A module-level `new StaticArray` would be
// allocated at instantiation past __heap_base, the image's end, where the
// host puts the first boot module: when the image ended just short of a
// page boundary, writing BootInfo's modules overwrote the arrays' length and
// the next unit panicked "Index out of range".
const UNIT_BLOCKS: usize = memory.data(UNIT_MAX_BLOCKS * 4, 4);
const UNIT_OFFS: usize = memory.data(UNIT_MAX_BLOCKS * 4, 4);
// @ts-ignore: decorator
@inline function unitBlock(i: i32): u32 { return load<u32>(UNIT_BLOCKS + (<usize>i << 2)); }
// @ts-ignore: decorator
@inline function unitOff(i: i32): u32 { return load<u32>(UNIT_OFFS + (<usize>i << 2)); }
// @ts-ignore: decorator
@inline function setUnit(i: i32, block: u32, off: u32): void {
  store<u32>(UNIT_BLOCKS + (<usize>i << 2), block);
  store<u32>(UNIT_OFFS + (<usize>i << 2), off);
}
let unitCount: i32 = 0;
let unitRecords: u32 = 0;

function unitIndexOf(off: u32): i32 {
  for (let i = 0; i < unitCount; i++) if (unitOff(i) == off) return i;
  return -1;
}

// @ts-ignore: decorator
@inline function blockOff(block: usize): u32 { return load<u32>(block, BLOCK_PA) & 0xFFF; }
// @ts-ignore: decorator
@inline function blockCount(block: usize): u32 { return load<u32>(block); }
// @ts-ignore: decorator
@inline function recAt(block: usize, i: u32): usize { return block + BLOCK_HEADER + <usize>i * RECORD_SIZE; }

/** Whether the JIT compiles this op (the first op of a fused group counts as itself). */
function supported(op: u8): bool {
  op = fusedFirst(op);
  if (op == D.OP_END || op == D.OP_FENCE) return true;
  return op >= D.OP_LUI && op <= D.OP_REMUW;
}

/** Adds the block at frame offset off if it may join; true if it is (now) in the unit. */
function gather(frame: usize, off: u32): bool {
  if (off >= 0x1000) return false;
  if (unitIndexOf(off) >= 0) return true;
  if (unitCount >= UNIT_MAX_BLOCKS || unitRecords >= UNIT_MAX_RECORDS) return false;
  const pa = frame + <usize>off;
  let block = blockLookup(pa);
  if (block == 0) {
    // Decoding must never flush the cache under the running block.
    if (off == 0xFFE || !blockHeapRoom()) return false;
    const flushes = cacheFlushes;
    block = decodeBlock(pa);
    if (flushes != cacheFlushes) return false;
  }
  const count = blockCount(block);
  if (count == 0 || count > 128 || !supported(load<u8>(recAt(block, 0)))) return false;
  setUnit(unitCount, <u32>block, off);
  unitCount++;
  unitRecords += count;
  return true;
}

/** The frame offsets a block's exit may go to directly: [taken, fall], -1 when none. */
function exitTargets(block: usize): void {
  exitTaken = -1; exitFall = -1;
  const count = blockCount(block);
  const off = <i64>blockOff(block);
  for (let i: u32 = 0; i <= count; i++) {
    const rec = recAt(block, i);
    const op = fusedFirst(load<u8>(rec));
    if (!supported(op)) return; // the unit stops here
    if (op == D.OP_END) { exitFall = off + <i64>load<u16>(rec, 12); return; }
    if (op == D.OP_JAL) { exitTaken = off + <i64>load<i32>(rec, 8); return; }
    if (op >= D.OP_BEQ && op <= D.OP_BGEU) {
      exitTaken = off + <i64>load<i32>(rec, 8);
      exitFall = off + <i64>(<u32>load<u16>(rec, 12) + <u32>load<u8>(rec, 1));
      return;
    }
    if (op == D.OP_JALR) return;
  }
}
let exitTaken: i64 = -1;
let exitFall: i64 = -1;

/** Compiles the unit entered at block; its table index, or SLOT_NEVER. */
function compileUnit(entry: usize): u32 {
  if (!supported(load<u8>(recAt(entry, 0))) || blockCount(entry) > 128) return SLOT_NEVER;
  const frame = <usize>load<u32>(entry, BLOCK_PA) & ~<usize>0xFFF;
  unitCount = 0;
  unitRecords = 0;
  gather(frame, blockOff(entry));
  for (let i = 0; i < unitCount; i++) {
    exitTargets(<usize>unitBlock(i));
    const taken = exitTaken, fall = exitFall;
    if (taken >= 0) gather(frame, <u32>taken);
    if (fall >= 0) gather(frame, <u32>fall);
  }
  // In address order, so that a fall-through is usually to the next one.
  for (let i = 1; i < unitCount; i++) {
    const b = unitBlock(i), o = unitOff(i);
    let j = i - 1;
    while (j >= 0 && unitOff(j) > o) { setUnit(j + 1, unitBlock(j), unitOff(j)); j--; }
    setUnit(j + 1, b, o);
  }
  const entryIndex = unitIndexOf(blockOff(entry));
  const len = emitModule(entryIndex);
  if (len == 0) { jitCompileFailures++; return SLOT_NEVER; }
  if (nextUnit >= MAX_UNITS) {
    // Start over; the entry being compiled is re-claimed by the caller.
    memory.fill(jitTable, 0, JT_BYTES);
    nextUnit = 0;
  }
  const slot = hypercall(HV_JIT_COMPILE, <u32>buf, <u32>len, nextUnit);
  if (slot <= 0) {
    jitCompileFailures++;
    if (slot == HV_E_UNSUPPORTED) jitActive = false;
    return SLOT_NEVER;
  }
  nextUnit++;
  jitUnitsCompiled++;
  jitBytesEmitted += <u64>len;
  return <u32>slot;
}

// ---- Emitting wasm ----

// @ts-ignore: decorator
@inline function byte(b: u32): void {
  if (at >= bufEnd) { overflow = true; return; }
  store<u8>(at, <u8>b);
  at++;
}
function uleb(v: u32): void {
  do {
    let b = v & 0x7F;
    v >>= 7;
    if (v != 0) b |= 0x80;
    byte(b);
  } while (v != 0);
}
function sleb(v: i64): void {
  while (true) {
    const b = <u32>(v & 0x7F);
    v >>= 7;
    if ((v == 0 && (b & 0x40) == 0) || (v == -1 && (b & 0x40) != 0)) { byte(b); return; }
    byte(b | 0x80);
  }
}
/** A 5-byte LEB128 placeholder; returns where it is. */
function reserve5(): usize { const p = at; for (let i = 0; i < 5; i++) byte(0x80); return p; }
function patch5(p: usize, v: u32): void {
  if (overflow) return;
  for (let i: usize = 0; i < 4; i++) { store<u8>(p + i, <u8>((v & 0x7F) | 0x80)); v >>= 7; }
  store<u8>(p + 4, <u8>(v & 0x7F));
}

// Opcodes.
const W_BLOCK: u32 = 0x02, W_LOOP: u32 = 0x03, W_IF: u32 = 0x04, W_ELSE: u32 = 0x05, W_END: u32 = 0x0B;
const W_BR: u32 = 0x0C, W_BR_TABLE: u32 = 0x0E, W_DROP: u32 = 0x1A;
const W_LGET: u32 = 0x20, W_LSET: u32 = 0x21, W_LTEE: u32 = 0x22;
const W_I32_LOAD: u32 = 0x28, W_I64_LOAD: u32 = 0x29;
const W_I64_STORE: u32 = 0x37;
const W_I32_CONST: u32 = 0x41, W_I64_CONST: u32 = 0x42;
const W_I32_NE: u32 = 0x47, W_I32_LT_U: u32 = 0x49;
const W_I64_EQZ: u32 = 0x50, W_I64_EQ: u32 = 0x51, W_I64_NE: u32 = 0x52, W_I64_LT_S: u32 = 0x53, W_I64_LT_U: u32 = 0x54;
const W_I64_GE_S: u32 = 0x59, W_I64_GE_U: u32 = 0x5A;
const W_I32_EQZ: u32 = 0x45, W_I32_EQ: u32 = 0x46;
const W_I32_ADD: u32 = 0x6A, W_I32_SUB: u32 = 0x6B, W_I32_DIV_S: u32 = 0x6D, W_I32_DIV_U: u32 = 0x6E;
const W_I32_REM_S: u32 = 0x6F, W_I32_REM_U: u32 = 0x70, W_I32_AND: u32 = 0x71, W_I32_OR: u32 = 0x72;
const W_I32_SHL: u32 = 0x74, W_I32_SHR_S: u32 = 0x75, W_I32_SHR_U: u32 = 0x76;
const W_I64_ADD: u32 = 0x7C, W_I64_SUB: u32 = 0x7D, W_I64_MUL: u32 = 0x7E, W_I64_DIV_S: u32 = 0x7F, W_I64_DIV_U: u32 = 0x80;
const W_I64_REM_S: u32 = 0x81, W_I64_REM_U: u32 = 0x82, W_I64_AND: u32 = 0x83, W_I64_OR: u32 = 0x84, W_I64_XOR: u32 = 0x85;
const W_I64_SHL: u32 = 0x86, W_I64_SHR_S: u32 = 0x87, W_I64_SHR_U: u32 = 0x88;
const W_WRAP: u32 = 0xA7, W_EXTEND_S: u32 = 0xAC, W_EXTEND_U: u32 = 0xAD;
const T_VOID: u32 = 0x40, T_I64: u32 = 0x7E, T_I32: u32 = 0x7F;

// Locals: params ctx, rem, vpage; x1..x31; then scratch.
const L_CTX: u32 = 0, L_REM: u32 = 1, L_VPAGE: u32 = 2;
// @ts-ignore: decorator
@inline function regLocal(r: u32): u32 { return 2 + r; }
const L_VA: u32 = 34, L_A: u32 = 35, L_B: u32 = 36, L_PC: u32 = 37, L_T1: u32 = 38, L_T2: u32 = 39;
const I64_LOCALS: u32 = 37; // locals 3..39
const L_E: u32 = 40, L_KEY: u32 = 41, L_IDX: u32 = 42, L_FLAG: u32 = 43;
const I32_LOCALS: u32 = 4;

// @ts-ignore: decorator
@inline function op(o: u32): void { byte(o); }
// @ts-ignore: decorator
@inline function lget(l: u32): void { byte(W_LGET); uleb(l); }
// @ts-ignore: decorator
@inline function lset(l: u32): void { byte(W_LSET); uleb(l); }
// @ts-ignore: decorator
@inline function ltee(l: u32): void { byte(W_LTEE); uleb(l); }
// @ts-ignore: decorator
@inline function i32c(v: i32): void { byte(W_I32_CONST); sleb(<i64>v); }
// @ts-ignore: decorator
@inline function i64c(v: i64): void { byte(W_I64_CONST); sleb(v); }
// @ts-ignore: decorator
@inline function mem(o: u32, offset: u32): void { byte(o); byte(0); uleb(offset); }

let readMask: u32 = 0;
let writeMask: u32 = 0;
/** Nesting depth of the current code below its block's level (ifs opened). */
let depth: u32 = 0;
/** Index of the block whose code is being emitted, and the unit's size. */
let cur: i32 = 0;

/** Pushes register operand (a byte offset into the context; 0 reads zero). */
function rs(offset: u32): void {
  if (offset == 0) { i64c(0); return; }
  lget(regLocal(offset >> 3));
}
/** Pops into rd (the sink slot discards). */
function rd(offset: u32): void {
  if (offset >= 256) { op(W_DROP); return; }
  lset(regLocal(offset >> 3));
}
/** pc = vpage + off (an offset from the page, possibly outside it). */
function pcAt(off: i64): void { lget(L_VPAGE); i64c(off); op(W_I64_ADD); }

function brExit(): void { op(W_BR); uleb(<u32>(unitCount - cur) + depth); }
function brDispatch(): void { op(W_BR); uleb(<u32>(unitCount - 1 - cur) + depth); }

/** Leaves the unit before record i of the block (at frame offset boff, count instructions): nothing of it runs. */
function exitBefore(boff: u32, count: u32, rec: usize, miss: bool): void {
  pcAt(<i64>boff + <i64>load<u16>(rec, 12)); lset(L_PC);
  const back = count - <u32>load<u16>(rec, 14);
  if (back != 0) { lget(L_REM); i32c(<i32>back); op(W_I32_ADD); lset(L_REM); }
  if (miss) { i32c(2); lset(L_FLAG); }
  brExit();
}

/** Goes on at frame offset t: into the unit's block there (budget and interrupt checked), or out of the unit. */
function goTo(t: i64, mayFallThrough: bool): void {
  const j = t >= 0 && t < 0x1000 ? unitIndexOf(<u32>t) : -1;
  if (j < 0) { pcAt(t); lset(L_PC); brExit(); return; }
  const cj = blockCount(<usize>unitBlock(j));
  // Stop where the executor would: a pending interrupt, or a block longer than the budget left.
  i32c(<i32>irqWord); mem(W_I32_LOAD, 0);
  lget(L_REM); i32c(<i32>cj); op(W_I32_LT_U); op(W_I32_OR);
  op(W_IF); byte(T_VOID); depth++;
  pcAt(t); lset(L_PC); brExit();
  op(W_END); depth--;
  lget(L_REM); i32c(<i32>cj); op(W_I32_SUB); lset(L_REM);
  if (mayFallThrough && depth == 0 && j == cur + 1) return;
  i32c(j); lset(L_IDX); brDispatch();
}

/** The TLB test of an access of size bytes at rs1 + imm through table; leaves the host address in L_E on a hit. */
function access(rec: usize, table: usize, size: u32, boff: u32, count: u32): void {
  rs(<u32>load<u16>(rec, 4)); i64c(<i64>load<i32>(rec, 8)); op(W_I64_ADD); ltee(L_VA);
  i64c(12); op(W_I64_SHR_U); op(W_WRAP); i32c(1023); op(W_I32_AND); i32c(4); op(W_I32_SHL);
  i32c(<i32>table); op(W_I32_ADD); ltee(L_E);
  mem(W_I64_LOAD, 0); lget(L_VA); i64c(<i64>~(<u64>0xFFF ^ <u64>(size - 1))); op(W_I64_AND); op(W_I64_NE);
  lget(L_E); mem(W_I32_LOAD, 8); lget(L_KEY); op(W_I32_NE); op(W_I32_OR);
  op(W_IF); byte(T_VOID); depth++;
  exitBefore(boff, count, rec, true);
  op(W_END); depth--;
  lget(L_E); mem(W_I32_LOAD, 12); lget(L_VA); op(W_WRAP); i32c(0xFFF); op(W_I32_AND); op(W_I32_ADD); lset(L_E);
}

function binop(rec: usize, o: u32): void { rs(<u32>load<u16>(rec, 4)); rs(<u32>load<u16>(rec, 6)); op(o); rd(<u32>load<u16>(rec, 2)); }
function immop(rec: usize, o: u32): void { rs(<u32>load<u16>(rec, 4)); i64c(<i64>load<i32>(rec, 8)); op(o); rd(<u32>load<u16>(rec, 2)); }
/** 32-bit forms: low words of rs1 and (rs2 or imm), the op in i32, sign-extended. */
function wop(rec: usize, o: u32, useImm: bool): void {
  rs(<u32>load<u16>(rec, 4)); op(W_WRAP);
  if (useImm) i32c(load<i32>(rec, 8)); else { rs(<u32>load<u16>(rec, 6)); op(W_WRAP); }
  op(o); op(W_EXTEND_S); rd(<u32>load<u16>(rec, 2));
}

function lo(l: u32): void { lget(l); i64c(0xFFFF_FFFF); op(W_I64_AND); }
function hi(l: u32): void { lget(l); i64c(32); op(W_I64_SHR_U); }
/** The high 64 bits of a 128-bit product: wasm has no such multiply, so
 *  the unsigned one from four 32x32 products, then for the signed forms
 *  b subtracted when a < 0 (MULH, MULHSU) and a when b < 0 (MULH). */
function mulhop(rec: usize, kind: u8): void {
  rs(<u32>load<u16>(rec, 4)); lset(L_A);
  rs(<u32>load<u16>(rec, 6)); lset(L_B);
  lo(L_A); hi(L_B); op(W_I64_MUL); lset(L_T1);           // aL * bH
  hi(L_A); lo(L_B); op(W_I64_MUL); lset(L_T2);           // aH * bL
  lo(L_A); lo(L_B); op(W_I64_MUL); i64c(32); op(W_I64_SHR_U);
  lo(L_T1); op(W_I64_ADD); lo(L_T2); op(W_I64_ADD); lset(L_VA); // the middle column, with its carry
  hi(L_A); hi(L_B); op(W_I64_MUL);
  hi(L_T1); op(W_I64_ADD); hi(L_T2); op(W_I64_ADD); hi(L_VA); op(W_I64_ADD);
  if (kind != D.OP_MULHU) { lget(L_A); i64c(63); op(W_I64_SHR_S); lget(L_B); op(W_I64_AND); op(W_I64_SUB); }
  if (kind == D.OP_MULH) { lget(L_B); i64c(63); op(W_I64_SHR_S); lget(L_A); op(W_I64_AND); op(W_I64_SUB); }
  rd(<u32>load<u16>(rec, 2));
}

/** Division and remainder, with RISC-V's results where wasm would trap. */
function divop(rec: usize, kind: u8): void {
  rs(<u32>load<u16>(rec, 4)); lset(L_A);
  rs(<u32>load<u16>(rec, 6)); lset(L_B);
  const w = kind >= D.OP_DIVW;
  if (w) {
    // y == 0 ?
    lget(L_B); op(W_WRAP); op(W_I32_EQZ);
    op(W_IF); byte(T_I64);
    if (kind == D.OP_DIVW || kind == D.OP_DIVUW) i64c(-1); else { lget(L_A); op(W_WRAP); op(W_EXTEND_S); }
    op(W_ELSE);
    if (kind == D.OP_DIVW || kind == D.OP_REMW) {
      lget(L_B); op(W_WRAP); i32c(-1); op(W_I32_EQ);
      op(W_IF); byte(T_I64);
      if (kind == D.OP_DIVW) { i32c(0); lget(L_A); op(W_WRAP); op(W_I32_SUB); op(W_EXTEND_S); } else i64c(0);
      op(W_ELSE);
      lget(L_A); op(W_WRAP); lget(L_B); op(W_WRAP); op(kind == D.OP_DIVW ? W_I32_DIV_S : W_I32_REM_S); op(W_EXTEND_S);
      op(W_END);
    } else {
      lget(L_A); op(W_WRAP); lget(L_B); op(W_WRAP); op(kind == D.OP_DIVUW ? W_I32_DIV_U : W_I32_REM_U); op(W_EXTEND_S);
    }
    op(W_END);
  } else {
    lget(L_B); op(W_I64_EQZ);
    op(W_IF); byte(T_I64);
    if (kind == D.OP_DIV || kind == D.OP_DIVU) i64c(-1); else lget(L_A);
    op(W_ELSE);
    if (kind == D.OP_DIV || kind == D.OP_REM) {
      lget(L_B); i64c(-1); op(W_I64_EQ);
      op(W_IF); byte(T_I64);
      if (kind == D.OP_DIV) { i64c(0); lget(L_A); op(W_I64_SUB); } else i64c(0);
      op(W_ELSE);
      lget(L_A); lget(L_B); op(kind == D.OP_DIV ? W_I64_DIV_S : W_I64_REM_S);
      op(W_END);
    } else {
      lget(L_A); lget(L_B); op(kind == D.OP_DIVU ? W_I64_DIV_U : W_I64_REM_U);
    }
    op(W_END);
  }
  rd(<u32>load<u16>(rec, 2));
}

function branch(rec: usize, boff: u32, cmp: u32): void {
  rs(<u32>load<u16>(rec, 4)); rs(<u32>load<u16>(rec, 6)); op(cmp);
  op(W_IF); byte(T_VOID); depth++;
  goTo(<i64>boff + <i64>load<i32>(rec, 8), false);
  op(W_END); depth--;
  goTo(<i64>boff + <i64>(<u32>load<u16>(rec, 12) + <u32>load<u8>(rec, 1)), true);
}

/** The code of one block; every path ends in a branch, except a fall-through into the next block. */
function emitBlock(block: usize): void {
  const count = blockCount(block);
  const boff = blockOff(block);
  for (let i: u32 = 0; i <= count; i++) {
    const rec = recAt(block, i);
    const o = fusedFirst(load<u8>(rec));
    const rdo = <u32>load<u16>(rec, 2);
    const imm = <i64>load<i32>(rec, 8);
    switch (o) {
      case D.OP_END: goTo(<i64>boff + <i64>load<u16>(rec, 12), true); return;
      case D.OP_FENCE: break;
      case D.OP_LUI: i64c(imm); rd(rdo); break;
      case D.OP_AUIPC: pcAt(<i64>boff + imm); rd(rdo); break;
      case D.OP_JAL:
        pcAt(<i64>boff + <i64>(<u32>load<u16>(rec, 12) + <u32>load<u8>(rec, 1))); rd(rdo);
        goTo(<i64>boff + imm, true);
        return;
      case D.OP_JALR:
        rs(<u32>load<u16>(rec, 4)); i64c(imm); op(W_I64_ADD); i64c(-2); op(W_I64_AND); lset(L_PC);
        pcAt(<i64>boff + <i64>(<u32>load<u16>(rec, 12) + <u32>load<u8>(rec, 1))); rd(rdo);
        brExit();
        return;
      case D.OP_BEQ: branch(rec, boff, W_I64_EQ); return;
      case D.OP_BNE: branch(rec, boff, W_I64_NE); return;
      case D.OP_BLT: branch(rec, boff, W_I64_LT_S); return;
      case D.OP_BGE: branch(rec, boff, W_I64_GE_S); return;
      case D.OP_BLTU: branch(rec, boff, W_I64_LT_U); return;
      case D.OP_BGEU: branch(rec, boff, W_I64_GE_U); return;
      case D.OP_LB: access(rec, tlbLoad, 1, boff, count); lget(L_E); mem(0x30, 0); rd(rdo); break;
      case D.OP_LBU: access(rec, tlbLoad, 1, boff, count); lget(L_E); mem(0x31, 0); rd(rdo); break;
      case D.OP_LH: access(rec, tlbLoad, 2, boff, count); lget(L_E); mem(0x32, 0); rd(rdo); break;
      case D.OP_LHU: access(rec, tlbLoad, 2, boff, count); lget(L_E); mem(0x33, 0); rd(rdo); break;
      case D.OP_LW: access(rec, tlbLoad, 4, boff, count); lget(L_E); mem(0x34, 0); rd(rdo); break;
      case D.OP_LWU: access(rec, tlbLoad, 4, boff, count); lget(L_E); mem(0x35, 0); rd(rdo); break;
      case D.OP_LD: access(rec, tlbLoad, 8, boff, count); lget(L_E); mem(W_I64_LOAD, 0); rd(rdo); break;
      case D.OP_SB: access(rec, tlbStore, 1, boff, count); lget(L_E); rs(<u32>load<u16>(rec, 6)); mem(0x3C, 0); break;
      case D.OP_SH: access(rec, tlbStore, 2, boff, count); lget(L_E); rs(<u32>load<u16>(rec, 6)); mem(0x3D, 0); break;
      case D.OP_SW: access(rec, tlbStore, 4, boff, count); lget(L_E); rs(<u32>load<u16>(rec, 6)); mem(0x3E, 0); break;
      case D.OP_SD: access(rec, tlbStore, 8, boff, count); lget(L_E); rs(<u32>load<u16>(rec, 6)); mem(W_I64_STORE, 0); break;
      case D.OP_ADDI: immop(rec, W_I64_ADD); break;
      case D.OP_SLTI: rs(<u32>load<u16>(rec, 4)); i64c(imm); op(W_I64_LT_S); op(W_EXTEND_U); rd(rdo); break;
      case D.OP_SLTIU: rs(<u32>load<u16>(rec, 4)); i64c(imm); op(W_I64_LT_U); op(W_EXTEND_U); rd(rdo); break;
      case D.OP_XORI: immop(rec, W_I64_XOR); break;
      case D.OP_ORI: immop(rec, W_I64_OR); break;
      case D.OP_ANDI: immop(rec, W_I64_AND); break;
      case D.OP_SLLI: immop(rec, W_I64_SHL); break;
      case D.OP_SRLI: immop(rec, W_I64_SHR_U); break;
      case D.OP_SRAI: immop(rec, W_I64_SHR_S); break;
      case D.OP_ADDIW: rs(<u32>load<u16>(rec, 4)); i64c(imm); op(W_I64_ADD); op(W_WRAP); op(W_EXTEND_S); rd(rdo); break;
      case D.OP_SLLIW: wop(rec, W_I32_SHL, true); break;
      case D.OP_SRLIW: wop(rec, W_I32_SHR_U, true); break;
      case D.OP_SRAIW: wop(rec, W_I32_SHR_S, true); break;
      case D.OP_ADD: binop(rec, W_I64_ADD); break;
      case D.OP_SUB: binop(rec, W_I64_SUB); break;
      case D.OP_SLL: binop(rec, W_I64_SHL); break; // wasm takes the count mod 64, as RV64 does
      case D.OP_SLT: rs(<u32>load<u16>(rec, 4)); rs(<u32>load<u16>(rec, 6)); op(W_I64_LT_S); op(W_EXTEND_U); rd(rdo); break;
      case D.OP_SLTU: rs(<u32>load<u16>(rec, 4)); rs(<u32>load<u16>(rec, 6)); op(W_I64_LT_U); op(W_EXTEND_U); rd(rdo); break;
      case D.OP_XOR: binop(rec, W_I64_XOR); break;
      case D.OP_SRL: binop(rec, W_I64_SHR_U); break;
      case D.OP_SRA: binop(rec, W_I64_SHR_S); break;
      case D.OP_OR: binop(rec, W_I64_OR); break;
      case D.OP_AND: binop(rec, W_I64_AND); break;
      case D.OP_ADDW: wop(rec, W_I32_ADD, false); break;
      case D.OP_SUBW: wop(rec, W_I32_SUB, false); break;
      case D.OP_SLLW: wop(rec, W_I32_SHL, false); break; // mod 32 in i32
      case D.OP_SRLW: wop(rec, W_I32_SHR_U, false); break;
      case D.OP_SRAW: wop(rec, W_I32_SHR_S, false); break;
      case D.OP_MUL: binop(rec, W_I64_MUL); break;
      case D.OP_MULH: case D.OP_MULHSU: case D.OP_MULHU: mulhop(rec, o); break;
      case D.OP_MULW: wop(rec, 0x6C, false); break; // i32.mul
      case D.OP_DIV: case D.OP_DIVU: case D.OP_REM: case D.OP_REMU:
      case D.OP_DIVW: case D.OP_DIVUW: case D.OP_REMW: case D.OP_REMUW:
        divop(rec, o); break;
      default:
        // Not compiled: the interpreter runs the rest from this instruction.
        exitBefore(boff, count, rec, true);
        return;
    }
  }
}

/** Collects the registers the unit reads and writes. */
function scanRegs(): void {
  readMask = 0; writeMask = 0;
  for (let b = 0; b < unitCount; b++) {
    const block = <usize>unitBlock(b);
    const count = blockCount(block);
    for (let i: u32 = 0; i < count; i++) {
      const rec = recAt(block, i);
      const o = fusedFirst(load<u8>(rec));
      if (!supported(o)) break;
      const r1 = <u32>load<u16>(rec, 4), r2 = <u32>load<u16>(rec, 6), d = <u32>load<u16>(rec, 2);
      if (r1 < 256) readMask |= <u32>1 << (r1 >> 3);
      if (r2 < 256) readMask |= <u32>1 << (r2 >> 3);
      if (d < 256) writeMask |= <u32>1 << (d >> 3);
    }
  }
  readMask &= ~<u32>1; writeMask &= ~<u32>1;
  // A written register is written back whole, so it must hold its value on every path.
  readMask |= writeMask;
}

function name1(c: u32): void { byte(1); byte(c); }

/** The module for the gathered unit in the buffer; its length, or 0 if it did not fit. */
function emitModule(entryIndex: i32): u32 {
  at = buf; overflow = false; depth = 0;
  scanRegs();
  byte(0x00); byte(0x61); byte(0x73); byte(0x6D); byte(1); byte(0); byte(0); byte(0);
  // type: (i32, i32, i64) -> i32
  byte(1); byte(8); byte(1); byte(0x60); byte(3); byte(T_I32); byte(T_I32); byte(T_I64); byte(1); byte(T_I32);
  // import "e" "m": memory, no minimum
  byte(2); byte(8); byte(1); name1(0x65); name1(0x6D); byte(2); byte(0); byte(0);
  // one function of type 0; exported as "f"
  byte(3); byte(2); byte(1); byte(0);
  byte(7); byte(5); byte(1); name1(0x66); byte(0); byte(0);
  byte(10);
  const secSize = reserve5();
  const secStart = at;
  byte(1);
  const bodySize = reserve5();
  const bodyStart = at;
  byte(2); uleb(I64_LOCALS); byte(T_I64); uleb(I32_LOCALS); byte(T_I32);
  for (let r: u32 = 1; r < 32; r++) {
    if ((readMask & (<u32>1 << r)) == 0) continue;
    lget(L_CTX); mem(W_I64_LOAD, r << 3); lset(regLocal(r));
  }
  lget(L_CTX); mem(W_I32_LOAD, <u32>CTX_ASID_KEY); lset(L_KEY);
  i32c(entryIndex); lset(L_IDX);
  op(W_BLOCK); byte(T_VOID);
  op(W_LOOP); byte(T_VOID);
  for (let i = 0; i < unitCount; i++) { op(W_BLOCK); byte(T_VOID); }
  lget(L_IDX);
  op(W_BR_TABLE); uleb(<u32>unitCount);
  for (let i = 0; i < unitCount; i++) uleb(<u32>i);
  uleb(<u32>unitCount + 1);
  for (let i = 0; i < unitCount; i++) {
    op(W_END);
    cur = i;
    emitBlock(<usize>unitBlock(i));
    if (at + 512 > bufEnd) overflow = true;
  }
  op(W_END); // loop
  op(W_END); // exit block
  for (let r: u32 = 1; r < 32; r++) {
    if ((writeMask & (<u32>1 << r)) == 0) continue;
    lget(L_CTX); lget(regLocal(r)); mem(W_I64_STORE, r << 3);
  }
  lget(L_CTX); lget(L_PC); mem(W_I64_STORE, <u32>CTX_PC);
  lget(L_REM); i32c(2); op(W_I32_SHL); lget(L_FLAG); op(W_I32_OR); i32c(1); op(W_I32_OR);
  op(W_END);
  patch5(bodySize, <u32>(at - bodyStart));
  patch5(secSize, <u32>(at - secStart));
  return overflow ? 0 : <u32>(at - buf);
}
