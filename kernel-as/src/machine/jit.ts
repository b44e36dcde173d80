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
// whole block is charged when it starts. Each block is a wasm loop of its
// own (a branch back to its start is a plain br); other blocks are reached
// through the unit's br_table. A jalr whose target is one of the unit's
// return points (a block of the unit after a jal/jalr with a link) stays in
// the unit.
// Loads and stores test the TLB inline as the executor's fast path does,
// with a per-site memory of the last page (access()); on a miss (any slow
// path: a fault, a misaligned or page-crossing access, a store into code)
// and at any instruction it does not compile, the unit stops *before* that
// instruction, with everything before it retired and nothing of it done,
// and gives back the instructions of the block not run. The executor then
// runs the next block itself (JIT_MISS), so traps, slow paths and the
// counters are the interpreter's, bit for bit. So a unit never traps and
// never stops midway through an instruction. F/D loads and stores are
// compiled inline; the other F/D instructions and fflags/frm/fcsr call the
// interpreter's fpExec through jitFp (imported as e.fp); f registers and
// fcsr stay in the context.
//
// Chaining: when a unit leaves for another block of the same virtual page
// that starts a compiled unit, jitProbe calls that unit at once (after the
// executor's own interrupt and budget tests), without going back to the
// executor's fetch and block table.
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
import { CTX_PC, CTX_ASID_KEY, CTX_DEBUG, CTX_FCSR } from "./context";
import { tlbLoad, tlbStore, KEY_INVALID } from "./tlb";
import { fpExec } from "./fpexec";
import { MISS_FAULT } from "./trap";
import * as F from "./fpu";
import {
  blockLookup, blockHeapRoom, cacheFlushes, scratchBlock, BLOCK_HEADER, BLOCK_PA, RECORD_SIZE,
} from "./blockcache";
import { decodeBlock, fusedFirst } from "./decode";
import { breakCount } from "./debug";
import * as D from "./decode";

// ---- The unit table and buffer (in the hart arena) ----

const JT_BITS: u32 = 12;
const JT_ENTRIES: u32 = 1 << JT_BITS;
const JT_ENTRY: usize = 16; // +0 u32 block, +4 u32 runs, +8 u32 table index (0: none), +12 u32 short calls in a row
const JT_BYTES: usize = <usize>JT_ENTRIES * JT_ENTRY;
const BUF_BYTES: usize = 96 * 1024;
export const JIT_BYTES: usize = JT_BYTES + BUF_BYTES;
/** The table index of an entry that cannot be compiled (its first instruction is not supported, or compiling failed). */
const SLOT_NEVER: u32 = 0xFFFF_FFFF;
/** Units before the table starts over (the host reuses the slots). */
const MAX_UNITS: u32 = 2048;
const UNIT_MAX_BLOCKS: i32 = 32;
const UNIT_MAX_RECORDS: u32 = 400;
/** A call into a unit that retires fewer instructions than this costs more
 *  than interpreting them (entry, the registers in and out, the lost block
 *  link): a syscall wrapper's `li a7, n` before its ecall, a lone `ret`. */
const SHORT_CALL: u32 = 6;
/** Short calls in a row after which an entry goes back to the interpreter for good (until the table starts over). */
const SHORT_CALLS_LIMIT: u32 = 32;

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
/** Calls from one unit to the next without the executor (jitProbe's chaining loop). */
export let jitChainedCalls: u64 = 0;
/** Entries sent back to the interpreter for short calls. */
export let jitDemoted: u32 = 0;
/** Entries not compiled because the unit would be one short block that does not loop. */
export let jitTrivial: u32 = 0;

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
    store<u32>(e, 0, 12);
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
  const vpage = pc & ~<u64>0xFFF;
  let r = call_indirect<u32>(slot, ctx, remaining - blockCount(block), vpage);
  // Chaining: while the unit left for a compiled unit in the same virtual
  // page, call that one at once. This is what the executor would do next
  // (fetch.ts: within one run a block in the same virtual page needs no
  // translation, so it is the block at the same frame offset; an interrupt
  // stops the run; a block longer than the budget left is cut, which only
  // the executor does), without its block-table and fetch round trip.
  const frame = <usize>load<u32>(block, BLOCK_PA) & ~<usize>0xFFF;
  while ((r & 2) == 0) {
    const next = load<u64>(ctx + CTX_PC);
    if ((next & ~<u64>0xFFF) != vpage || load<u32>(irqWord) != 0) break;
    const b = blockLookup(frame + <usize>(<u32>next & 0xFFF));
    if (b == 0) break;
    const left = r >> 2;
    const n = blockCount(b);
    if (n > left) break;
    const e = entryOf(b);
    if (load<u32>(e) != <u32>b) break;
    const s = load<u32>(e, 8);
    if (s == 0 || s == SLOT_NEVER) break;
    jitChainedCalls++;
    r = call_indirect<u32>(s, ctx, left - n, vpage);
  }
  const ran = remaining - (r >> 2);
  jitInsnsRetired += <u64>ran;
  if ((r & 2) != 0) skipNext = true;
  // An entry whose calls keep stopping after a few instructions is demoted:
  // the interpreter runs it from now on (exact either way).
  if (ran < SHORT_CALL) {
    const short = load<u32>(e, 12) + 1;
    store<u32>(e, short >= SHORT_CALLS_LIMIT ? 0 : short, 12);
    if (short >= SHORT_CALLS_LIMIT) { store<u32>(e, SLOT_NEVER, 8); jitDemoted++; }
  } else store<u32>(e, 0, 12);
  return r;
}

/**
 * What a unit calls (imported as e.fp) for an F/D computational instruction
 * or an fflags/frm/fcsr access at record rec: fpExec, the interpreter's own
 * code, exactly. 1, with nothing done, where fpExec would trap (a dynamic
 * rounding mode while frm holds a reserved value): the unit then stops
 * before the instruction and the interpreter raises the trap. The hart
 * exports it (hart.ts hartJitFp) so that the host can hand it to units.
 */
export function jitFp(ctx: usize, rec: usize): u32 {
  const op = load<u8>(rec);
  if (op >= D.OP_FP_BASE) {
    const kind = <u8>(<u32>(op - D.OP_FP_BASE) >> 1);
    const rounds = kind <= D.FK_NMADD || (kind >= D.FK_TO_INT && kind <= D.FK_CVT_FMT);
    const rm = (<u32>load<i32>(rec, 8) >> 12) & 7;
    if (rounds && rm == F.RM_DYN && ((load<u32>(ctx + CTX_FCSR) >> 5) & 7) > F.RM_MAX) return 1;
  }
  return (fpExec(ctx, rec, KEY_INVALID) & MISS_FAULT) != 0 ? 1 : 0;
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
  if (op >= D.OP_FLW && op <= D.OP_FCSR) return true;
  if (op >= D.OP_FP_BASE && op < D.OP_FP_END) return true;
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
    // A call's return point is not gathered: measured, the bigger units
    // cost more on entry than the returns they keep (branchy: 0.5x).
    if (op == D.OP_JAL) { exitTaken = off + <i64>load<i32>(rec, 8); return; }
    if (op >= D.OP_BEQ && op <= D.OP_BGEU) {
      exitTaken = off + <i64>load<i32>(rec, 8);
      exitFall = off + <i64>(<u32>load<u16>(rec, 12) + <u32>load<u8>(rec, 1));
      return;
    }
    if (op == D.OP_JALR) return;
  }
}

/** Whether the unit's block at frame offset off is where one of its calls (jal/jalr with a link) returns. */
function isReturnPoint(off: u32): bool {
  for (let b = 0; b < unitCount; b++) {
    const block = <usize>unitBlock(b);
    const count = blockCount(block);
    if (count == 0) continue;
    const rec = recAt(block, count - 1);
    const o = fusedFirst(load<u8>(rec));
    if ((o == D.OP_JAL || o == D.OP_JALR) && load<u16>(rec, 2) < 256 &&
        <u32>blockOff(block) + <u32>load<u16>(rec, 12) + <u32>load<u8>(rec, 1) == off) return true;
  }
  return false;
}
/** At most this many return points are tested by each jalr. */
const MAX_RETURN_TESTS: i32 = 8;
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
  // A unit of its entry block alone that does not loop runs at most that
  // block per call: when that is short (a syscall wrapper's `li a7, n`
  // before its ecall, the lone `ret` after it) every call costs more than
  // interpreting it. The demotion in jitProbe would catch it entered from
  // the executor, but not chained into from another unit, where it is
  // called at every system call and ends the chain at a miss anyway.
  if (unitCount == 1 && blockCount(entry) < SHORT_CALL && !selfLoop(entry)) { jitTrivial++; return SLOT_NEVER; }
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
const W_BR: u32 = 0x0C, W_BR_IF: u32 = 0x0D, W_BR_TABLE: u32 = 0x0E, W_CALL: u32 = 0x10, W_DROP: u32 = 0x1A;
const W_LGET: u32 = 0x20, W_LSET: u32 = 0x21, W_LTEE: u32 = 0x22, W_GGET: u32 = 0x23, W_GSET: u32 = 0x24;
const W_I32_LOAD: u32 = 0x28, W_I64_LOAD: u32 = 0x29;
const W_I32_STORE: u32 = 0x36, W_I64_STORE: u32 = 0x37;
const W_I32_CONST: u32 = 0x41, W_I64_CONST: u32 = 0x42;
const W_I32_NE: u32 = 0x47, W_I32_LT_U: u32 = 0x49;
const W_I64_EQZ: u32 = 0x50, W_I64_EQ: u32 = 0x51, W_I64_NE: u32 = 0x52, W_I64_LT_S: u32 = 0x53, W_I64_LT_U: u32 = 0x54;
const W_I64_GT_U: u32 = 0x56, W_I64_GE_S: u32 = 0x59, W_I64_GE_U: u32 = 0x5A;
const W_F64_LT: u32 = 0x63, W_F64_GT: u32 = 0x64, W_F64_ADD: u32 = 0xA0, W_F64_SUB: u32 = 0xA1, W_F64_MUL: u32 = 0xA2;
const W_BITS_FROM_F64: u32 = 0xBD, W_F64_FROM_BITS: u32 = 0xBF;
const W_I32_EQZ: u32 = 0x45, W_I32_EQ: u32 = 0x46;
const W_I32_ADD: u32 = 0x6A, W_I32_SUB: u32 = 0x6B, W_I32_DIV_S: u32 = 0x6D, W_I32_DIV_U: u32 = 0x6E;
const W_I32_REM_S: u32 = 0x6F, W_I32_REM_U: u32 = 0x70, W_I32_AND: u32 = 0x71, W_I32_OR: u32 = 0x72;
const W_I32_SHL: u32 = 0x74, W_I32_SHR_S: u32 = 0x75, W_I32_SHR_U: u32 = 0x76;
const W_I64_ADD: u32 = 0x7C, W_I64_SUB: u32 = 0x7D, W_I64_MUL: u32 = 0x7E, W_I64_DIV_S: u32 = 0x7F, W_I64_DIV_U: u32 = 0x80;
const W_I64_REM_S: u32 = 0x81, W_I64_REM_U: u32 = 0x82, W_I64_AND: u32 = 0x83, W_I64_OR: u32 = 0x84, W_I64_XOR: u32 = 0x85;
const W_I64_SHL: u32 = 0x86, W_I64_SHR_S: u32 = 0x87, W_I64_SHR_U: u32 = 0x88;
const W_WRAP: u32 = 0xA7, W_EXTEND_S: u32 = 0xAC, W_EXTEND_U: u32 = 0xAD;
const T_VOID: u32 = 0x40, T_F64: u32 = 0x7C, T_I64: u32 = 0x7E, T_I32: u32 = 0x7F;

// Locals: params ctx, rem, vpage; x1..x31; then scratch.
const L_CTX: u32 = 0, L_REM: u32 = 1, L_VPAGE: u32 = 2;
// @ts-ignore: decorator
@inline function regLocal(r: u32): u32 { return 2 + r; }
const L_VA: u32 = 34, L_A: u32 = 35, L_B: u32 = 36, L_PC: u32 = 37, L_T1: u32 = 38, L_T2: u32 = 39;
const I64_LOCALS: u32 = 37; // locals 3..39
const L_E: u32 = 40, L_KEY: u32 = 41, L_IDX: u32 = 42, L_FLAG: u32 = 43;
const I32_LOCALS: u32 = 4;
// Then per memory access site one i64 local (its tag) and two i32 ones (delta, budget left at its last miss); access().
const L_SITES: u32 = 44;
/** Memory access sites in the unit (scanRegs counts them), and the next one to emit. */
let sites: u32 = 0;
let siteNext: u32 = 0;

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
/** Nesting depth of the current code below the dispatch level (1: the block's own loop, plus the ifs opened). */
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
  if (mayFallThrough && depth == 1 && j == cur + 1) return;
  // Back to the start of this block: its own loop, without the dispatch.
  if (j == cur) { op(W_BR); uleb(depth - 1); return; }
  i32c(j); lset(L_IDX); brDispatch();
}

/** With the virtual address on the stack: L_E = its TLB entry, and the unit
 *  exits before this instruction when the entry's tag or key does not match
 *  (the interpreter's tlbHit test; the caller adds the page's offset). */
function tlbProbe(rec: usize, table: usize, tagMask: i64, boff: u32, count: u32): void {
  i64c(12); op(W_I64_SHR_U); op(W_WRAP); i32c(1023); op(W_I32_AND); i32c(4); op(W_I32_SHL);
  i32c(<i32>table); op(W_I32_ADD); ltee(L_E);
  mem(W_I64_LOAD, 0); lget(L_VA); i64c(tagMask); op(W_I64_AND); op(W_I64_NE);
  lget(L_E); mem(W_I32_LOAD, 8); lget(L_KEY); op(W_I32_NE); op(W_I32_OR);
  op(W_IF); byte(T_VOID); depth++;
  exitBefore(boff, count, rec, true);
  op(W_END); depth--;
}

/**
 * The TLB test of an access of size bytes at rs1 + imm through table; leaves
 * the host address in L_E on a hit.
 *
 * Each access site of a block that loops to its own start (an inner loop)
 * remembers, in locals, the tag (page and alignment bits) of its last hit,
 * complemented so that a local's initial 0 matches nothing, and the
 * difference between host and guest address: a site that stays in one
 * page (a loop walking an array) then needs one
 * compare, which the branch predictor takes off the load's dependency
 * chain, instead of loading its TLB entry first. A site whose page keeps
 * changing (a heap's children, a large stride) would mispredict that
 * compare instead, so a miss less than SITE_NEAR instructions after the
 * site's previous one counts against it (in a global of the unit's module,
 * which outlives the call), and after SITE_BAD such misses the site stops
 * remembering: its compare then always fails, predictably, and it takes
 * the plain TLB test. None of this can change a result: nothing changes the
 * TLB while a unit runs (every slow path leaves the unit first), a tag
 * matches only the page and key of a hit in this same call (the locals
 * start at a tag no address has), and the counts only choose the path.
 * Sites outside inner loops take the plain test: a unit called for a
 * hundred instructions would pay a first miss at every site it runs.
 */
function access(rec: usize, table: usize, size: u32, boff: u32, count: u32): void {
  const tagMask = <i64>~(<u64>0xFFF ^ <u64>(size - 1));
  if (!SITE_CACHE || !curLoops) {
    rs(<u32>load<u16>(rec, 4)); i64c(<i64>load<i32>(rec, 8)); op(W_I64_ADD); ltee(L_VA);
    tlbProbe(rec, table, tagMask, boff, count);
    lget(L_E); mem(W_I32_LOAD, 12); lget(L_VA); op(W_WRAP); i32c(0xFFF); op(W_I32_AND); op(W_I32_ADD); lset(L_E);
    return;
  }
  if (siteNext >= sites) { overflow = true; return; } // scanRegs counts every site emitted here
  const k = siteNext;
  const siteTag = L_SITES + k, siteDelta = L_SITES + sites + k, siteLast = L_SITES + 2 * sites + k;
  siteNext++;
  rs(<u32>load<u16>(rec, 4)); i64c(<i64>load<i32>(rec, 8)); op(W_I64_ADD); ltee(L_VA);
  i64c(tagMask); op(W_I64_AND); lget(siteTag); i64c(-1); op(W_I64_XOR); op(W_I64_EQ);
  op(W_IF); byte(T_I32); depth++;
  lget(L_VA); op(W_WRAP); lget(siteDelta); op(W_I32_ADD);
  op(W_ELSE);
  lget(L_VA);
  tlbProbe(rec, table, tagMask, boff, count);
  lget(L_E); mem(W_I32_LOAD, 12); lget(L_VA); op(W_WRAP); i32c(~0xFFF); op(W_I32_AND); op(W_I32_SUB); lset(L_E);
  // Remember this page unless the site has missed too often.
  op(W_GGET); uleb(k); i32c(SITE_BAD); op(W_I32_LT_U);
  op(W_IF); byte(T_VOID);
  lget(siteLast); lget(L_REM); op(W_I32_SUB); i32c(SITE_NEAR); op(W_I32_LT_U);
  op(W_IF); byte(T_VOID); op(W_GGET); uleb(k); i32c(1); op(W_I32_ADD); op(W_GSET); uleb(k); op(W_END);
  lget(L_REM); lset(siteLast);
  lget(L_VA); i64c(tagMask); op(W_I64_AND); i64c(-1); op(W_I64_XOR); lset(siteTag);
  lget(L_E); lset(siteDelta);
  op(W_END);
  lget(L_VA); op(W_WRAP); lget(L_E); op(W_I32_ADD);
  op(W_END); depth--;
  lset(L_E);
}
/** Whether the block's taken exit is its own start (an inner loop): only there do access sites remember pages. */
function selfLoop(block: usize): bool {
  exitTargets(block);
  return exitTaken == <i64>blockOff(block);
}
let curLoops: bool = false;
const SITE_NEAR: i32 = 64;
const SITE_BAD: i32 = 32;
const SITE_CACHE: bool = true;

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

/** FLW/FLD after access(): the value into the f register in the context (a single NaN-boxed). */
function fpLoad(rec: usize, single: bool): void {
  lget(L_CTX);
  lget(L_E);
  if (single) { mem(0x35, 0); i64c(<i64>0xFFFF_FFFF_0000_0000); op(W_I64_OR); } else mem(W_I64_LOAD, 0);
  mem(W_I64_STORE, <u32>load<u16>(rec, 2));
}
/** FSW/FSD after access(): the f register's low bits as they are, boxed or not. */
function fpStore(rec: usize, single: bool): void {
  lget(L_E);
  lget(L_CTX); mem(W_I64_LOAD, <u32>load<u16>(rec, 6));
  mem(single ? 0x3E : W_I64_STORE, 0);
}
/**
 * A computational F/D instruction or an fflags/frm/fcsr access: the
 * interpreter's own code (fpexec.ts, through the imported jitFp) on the
 * f registers and fcsr in the context, the x register operands passed
 * through the context. The one case it would trap (a dynamic rounding mode
 * with a reserved frm) comes back untouched and the unit stops before it.
 */
function fpCall(rec: usize, boff: u32, count: u32): void {
  const r1 = <u32>load<u16>(rec, 4), r2 = <u32>load<u16>(rec, 6), d = <u32>load<u16>(rec, 2);
  if (r1 != 0 && r1 < 256) { lget(L_CTX); lget(regLocal(r1 >> 3)); mem(W_I64_STORE, r1); }
  if (r2 != 0 && r2 < 256) { lget(L_CTX); lget(regLocal(r2 >> 3)); mem(W_I64_STORE, r2); }
  lget(L_CTX); i32c(<i32>rec); byte(W_CALL); uleb(0);
  op(W_IF); byte(T_VOID); depth++;
  exitBefore(boff, count, rec, true);
  op(W_END); depth--;
  if (d != 0 && d < 256) { lget(L_CTX); mem(W_I64_LOAD, d); lset(regLocal(d >> 3)); }
}

// f64 locals (after the sites' locals) for fpArith.
const F_X: u32 = 0, F_Y: u32 = 1, F_S: u32 = 2, F_T: u32 = 3, F_XH: u32 = 4, F_XL: u32 = 5, F_YH: u32 = 6, F_YL: u32 = 7;
const F_LOCALS: u32 = 8;
// @ts-ignore: decorator
@inline function fl(k: u32): u32 { return L_SITES + 3 * sites + k; }
function f64c(v: f64): void { byte(0x44); const b = reinterpret<u64>(v); for (let i: u64 = 0; i < 64; i += 8) byte(<u32>((b >> i) & 0xFF)); }
/** Leaves the innermost block (at label depth `label`) unless field(l) - lo <= hi - lo (fpu.ts inRange). */
function fieldOutside(l: u32, lo: i64, hi: i64, label: u32): void {
  lget(l); i64c(52); op(W_I64_SHR_U); i64c(0x7FF); op(W_I64_AND); i64c(lo); op(W_I64_SUB);
  i64c(hi - lo); op(W_I64_GT_U); byte(W_BR_IF); uleb(label);
}

/**
 * An F/D computational instruction. fadd.d, fsub.d and fmul.d rounding to
 * nearest-even (statically, or dynamically with frm = RNE) take fpu.ts's own
 * fast path inline: the same operand and result exponent ranges, the
 * native operation, the same error term (for the inexact flag) computed by
 * the same operations in the same order; anything else (other modes,
 * operands or results outside those ranges: zeros, subnormals, infinities,
 * NaNs, overflow, underflow) goes to fpExec as the interpreter would.
 */
function fpArith(rec: usize, o: u8, boff: u32, count: u32): void {
  const index = <u32>(o - D.OP_FP_BASE);
  const kind = <u8>(index >> 1);
  const rm = (<u32>load<i32>(rec, 8) >> 12) & 7;
  const fast = (index & 1) == F.FMT_D && (kind == D.FK_ADD || kind == D.FK_SUB || kind == D.FK_MUL) && (rm == F.RM_RNE || rm == F.RM_DYN);
  if (!fast) { fpCall(rec, boff, count); return; }
  const mul = kind == D.FK_MUL;
  op(W_BLOCK); byte(T_VOID); depth++; // done
  op(W_BLOCK); byte(T_VOID); depth++; // slow
  if (rm == F.RM_DYN) { lget(L_CTX); mem(W_I32_LOAD, <u32>CTX_FCSR); i32c(0xE0); op(W_I32_AND); byte(W_BR_IF); uleb(0); }
  lget(L_CTX); mem(W_I64_LOAD, <u32>load<u16>(rec, 4)); lset(L_A);
  lget(L_CTX); mem(W_I64_LOAD, <u32>load<u16>(rec, 6));
  if (kind == D.FK_SUB) { i64c(<i64>0x8000_0000_0000_0000); op(W_I64_XOR); }
  lset(L_B);
  fieldOutside(L_A, 1, mul ? 2017 : 2046, 0);
  fieldOutside(L_B, 1, mul ? 2017 : 2046, 0);
  lget(L_A); op(W_F64_FROM_BITS); lset(fl(F_X));
  lget(L_B); op(W_F64_FROM_BITS); lset(fl(F_Y));
  lget(fl(F_X)); lget(fl(F_Y)); op(mul ? W_F64_MUL : W_F64_ADD); ltee(fl(F_S));
  op(W_BITS_FROM_F64); lset(L_T1);
  fieldOutside(L_T1, mul ? 124 : 2, 2045, 0);
  if (mul) {
    // productError: Dekker's split, no FMA.
    f64c(134217729.0); lget(fl(F_X)); op(W_F64_MUL); lset(fl(F_T));
    lget(fl(F_T)); lget(fl(F_T)); lget(fl(F_X)); op(W_F64_SUB); op(W_F64_SUB); lset(fl(F_XH));
    lget(fl(F_X)); lget(fl(F_XH)); op(W_F64_SUB); lset(fl(F_XL));
    f64c(134217729.0); lget(fl(F_Y)); op(W_F64_MUL); lset(fl(F_T));
    lget(fl(F_T)); lget(fl(F_T)); lget(fl(F_Y)); op(W_F64_SUB); op(W_F64_SUB); lset(fl(F_YH));
    lget(fl(F_Y)); lget(fl(F_YH)); op(W_F64_SUB); lset(fl(F_YL));
    lget(fl(F_XH)); lget(fl(F_YH)); op(W_F64_MUL); lget(fl(F_S)); op(W_F64_SUB);
    lget(fl(F_XH)); lget(fl(F_YL)); op(W_F64_MUL); op(W_F64_ADD);
    lget(fl(F_XL)); lget(fl(F_YH)); op(W_F64_MUL); op(W_F64_ADD);
    lget(fl(F_XL)); lget(fl(F_YL)); op(W_F64_MUL); op(W_F64_ADD);
    lset(fl(F_T));
  } else {
    // bb = s - x; err = (x - (s - bb)) + (y - bb)
    lget(fl(F_S)); lget(fl(F_X)); op(W_F64_SUB); lset(fl(F_T));
    lget(fl(F_X)); lget(fl(F_S)); lget(fl(F_T)); op(W_F64_SUB); op(W_F64_SUB);
    lget(fl(F_Y)); lget(fl(F_T)); op(W_F64_SUB); op(W_F64_ADD); lset(fl(F_T));
  }
  // signum(err) != 0: inexact.
  lget(fl(F_T)); f64c(0); op(W_F64_GT); lget(fl(F_T)); f64c(0); op(W_F64_LT); op(W_I32_OR);
  op(W_IF); byte(T_VOID);
  lget(L_CTX); lget(L_CTX); mem(W_I32_LOAD, <u32>CTX_FCSR); i32c(<i32>F.FLAG_NX); op(W_I32_OR); mem(W_I32_STORE, <u32>CTX_FCSR);
  op(W_END);
  lget(L_CTX); lget(L_T1); mem(W_I64_STORE, <u32>load<u16>(rec, 2));
  op(W_BR); uleb(1);
  op(W_END); depth--; // slow:
  fpCall(rec, boff, count);
  op(W_END); depth--; // done:
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
        {
          // A return to one of the unit's own return points stays in the unit.
          let tests = 0;
          for (let j = 0; j < unitCount && tests < MAX_RETURN_TESTS; j++) {
            const t = unitOff(j);
            if (!isReturnPoint(t)) continue;
            tests++;
            lget(L_PC); pcAt(<i64>t); op(W_I64_EQ);
            op(W_IF); byte(T_VOID); depth++;
            goTo(<i64>t, false);
            op(W_END); depth--;
          }
        }
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
      case D.OP_FLW: access(rec, tlbLoad, 4, boff, count); fpLoad(rec, true); break;
      case D.OP_FLD: access(rec, tlbLoad, 8, boff, count); fpLoad(rec, false); break;
      case D.OP_FSW: access(rec, tlbStore, 4, boff, count); fpStore(rec, true); break;
      case D.OP_FSD: access(rec, tlbStore, 8, boff, count); fpStore(rec, false); break;
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
        if (o >= D.OP_FP_BASE && o < D.OP_FP_END) { fpArith(rec, o, boff, count); break; }
        if (o == D.OP_FCSR) { fpCall(rec, boff, count); break; }
        // Not compiled: the interpreter runs the rest from this instruction.
        exitBefore(boff, count, rec, true);
        return;
    }
  }
}

/** Collects the registers the unit reads and writes. */
function scanRegs(): void {
  readMask = 0; writeMask = 0; sites = 0; siteNext = 0;
  for (let b = 0; b < unitCount; b++) {
    const block = <usize>unitBlock(b);
    const count = blockCount(block);
    const loops = selfLoop(block);
    for (let i: u32 = 0; i < count; i++) {
      const rec = recAt(block, i);
      const o = fusedFirst(load<u8>(rec));
      if (!supported(o)) break;
      const r1 = <u32>load<u16>(rec, 4), r2 = <u32>load<u16>(rec, 6), d = <u32>load<u16>(rec, 2);
      if (r1 < 256) readMask |= <u32>1 << (r1 >> 3);
      if (r2 < 256) readMask |= <u32>1 << (r2 >> 3);
      if (d < 256) writeMask |= <u32>1 << (d >> 3);
      if (SITE_CACHE && loops && ((o >= D.OP_LB && o <= D.OP_SD) || (o >= D.OP_FLW && o <= D.OP_FSD))) sites++;
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
  // types: 0 the unit (i32, i32, i64) -> i32; 1 jitFp (i32, i32) -> i32
  byte(1); byte(14); byte(2);
  byte(0x60); byte(3); byte(T_I32); byte(T_I32); byte(T_I64); byte(1); byte(T_I32);
  byte(0x60); byte(2); byte(T_I32); byte(T_I32); byte(1); byte(T_I32);
  // imports: "e" "m" memory, no minimum; "e" "fp" function 0 of type 1 (jitFp)
  byte(2); byte(15); byte(2);
  name1(0x65); name1(0x6D); byte(2); byte(0); byte(0);
  name1(0x65); byte(2); byte(0x66); byte(0x70); byte(0); byte(1);
  // one function (index 1) of type 0; exported as "f"
  byte(3); byte(2); byte(1); byte(0);
  // one mutable i32 global per access site, from 0 (see access())
  if (sites != 0) {
    byte(6);
    const gsize = reserve5();
    const gstart = at;
    uleb(sites);
    for (let i: u32 = 0; i < sites; i++) { byte(T_I32); byte(1); i32c(0); op(W_END); }
    patch5(gsize, <u32>(at - gstart));
  }
  byte(7); byte(5); byte(1); name1(0x66); byte(0); byte(1);
  byte(10);
  const secSize = reserve5();
  const secStart = at;
  byte(1);
  const bodySize = reserve5();
  const bodyStart = at;
  byte(sites != 0 ? 5 : 3); uleb(I64_LOCALS); byte(T_I64); uleb(I32_LOCALS); byte(T_I32);
  if (sites != 0) { uleb(sites); byte(T_I64); uleb(2 * sites); byte(T_I32); }
  uleb(F_LOCALS); byte(T_F64);

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
    // Each block's code is a loop of its own, so that a branch back to its
    // start (the common inner loop) is a plain br; falling off its end is
    // falling into the next block's code.
    op(W_LOOP); byte(T_VOID); depth = 1;
    curLoops = selfLoop(<usize>unitBlock(i));
    emitBlock(<usize>unitBlock(i));
    op(W_END); depth = 0;
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
