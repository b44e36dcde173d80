// Test support for the hart: a machine with the hart test entry loaded
// (kernel-as/tests/hart.ts), an arena, a hart context and an Sv48 address
// space built with the entry's small page-table builder, plus helpers to
// place code and data at virtual addresses and run until a trap.

import { loadKernelTest } from "../../../host/testing/kernel-test.js";
import { assemble, type AsmOptions } from "../../../host/rv/asm.js";
import { jitHost, type JitHost } from "../../../host/rv/jit-host.js";
import { HV_JIT_COMPILE } from "../../../host/hw.js";

export interface HartExports {
  memory: WebAssembly.Memory;
  hartSystemInit(arena: number, bytes: number): number;
  hartArenaMinBytes(): number;
  hartContextSize(): number;
  hartInit(ctx: number): void;
  hartSetSatp(ctx: number, satp: bigint): number;
  hartSetBare(ctx: number): void;
  hartRun(ctx: number, budget: number): number;
  hartGetReg(ctx: number, i: number): bigint;
  hartSetReg(ctx: number, i: number, v: bigint): void;
  hartGetFreg(ctx: number, i: number): bigint;
  hartSetFreg(ctx: number, i: number, v: bigint): void;
  hartGetFcsr(ctx: number): number;
  hartSetFcsr(ctx: number, v: number): void;
  hartCopyFpState(from: number, to: number): void;
  hartClearFpState(ctx: number): void;
  hartGetPc(ctx: number): bigint;
  hartSetPc(ctx: number, pc: bigint): void;
  hartGetCause(ctx: number): number;
  hartGetTval(ctx: number): bigint;
  hartGetInstret(ctx: number): bigint;
  hartSetTime(ctx: number, now: bigint, scaleQ16: number): void;
  hartDropReservation(ctx: number): void;
  hartInvalidateCode(pa: number, len: number): void;
  hartFlushDecodeCache(): void;
  tlbFlushAll(): void;
  tlbFlushAsid(asid: number): void;
  tlbFlushVa(asid: number, va: bigint): void;
  expandCompressed(h: number): number;
  testFramesInit(base: number, bytes: number): void;
  testFrameAlloc(): number;
  testMapPte(root: number, va: bigint, level: number, pte: bigint): number;
  testPte(pa: bigint, flags: bigint): bigint;
  testSatp(asid: number, root: number): bigint;
  hartJitConfig(enabled: number, threshold: number): void;
  hartJitActive(): number;
  hartJitStat(which: number): bigint;
  table: WebAssembly.Table;
}

/** JIT statistics (hart.ts hartJitStat). */
export const JIT_STAT = { UNITS: 0, FAILURES: 1, CALLS: 2, INSNS: 3, BYTES: 4, RETIRED: 5, CHAINED: 6, DEMOTED: 7, TRIVIAL: 8 };

/**
 * The JIT threshold every Machine uses unless told otherwise: KEEL_HART_JIT=N
 * runs the whole hart suite with the JIT on at threshold N (1 compiles
 * every block the first time it runs); unset or "off", the interpreter only.
 */
export const DEFAULT_JIT: number | undefined =
  process.env.KEEL_HART_JIT && process.env.KEEL_HART_JIT !== "off" ? Number(process.env.KEEL_HART_JIT) : undefined;

export const PTE = { V: 1n, R: 2n, W: 4n, X: 8n, U: 16n, G: 32n, A: 64n, D: 128n };
export const URWX = PTE.V | PTE.R | PTE.W | PTE.X | PTE.U | PTE.A | PTE.D;
export const URW = PTE.V | PTE.R | PTE.W | PTE.U | PTE.A | PTE.D;
export const URX = PTE.V | PTE.R | PTE.X | PTE.U | PTE.A;
export const UR = PTE.V | PTE.R | PTE.U | PTE.A;

export const CAUSE = {
  ILLEGAL: 2, BREAKPOINT: 3, MISALIGNED_LOAD: 4, LOAD_ACCESS: 5, MISALIGNED_STORE: 6, STORE_ACCESS: 7, ECALL: 8,
  FETCH_PAGE: 12, LOAD_PAGE: 13, STORE_PAGE: 15, FETCH_ACCESS: 1, BUDGET: 0x100, INTERRUPT: 0x101,
};

export const RAM_BYTES = 64 << 20;
export const CTX_ADDR = 0x80_0000;
export const ARENA = 0x100_0000;
export const ARENA_BYTES = 4 << 20;
export const FRAMES = 0x180_0000;
export const FRAMES_BYTES = 32 << 20;
export const CB_IRQ_PENDING = 0x1000;

export const TEXT = 0x10000n;
export const DATA = 0x40000n;
export const STACK_TOP = 0x80000n;

export const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);
export const s64 = (v: bigint): bigint => BigInt.asIntN(64, v);

export class Machine {
  readonly h: HartExports;
  readonly mem: WebAssembly.Memory;
  readonly ctx = CTX_ADDR;
  root: number;
  asid: number;
  /** Physical frame of each mapped 4 KiB virtual page, for test-side pokes. */
  readonly pages = new Map<bigint, number>();

  readonly jit: JitHost;

  /** opts.jit: the JIT threshold (undefined: DEFAULT_JIT; false: interpreter only). */
  constructor(asid = 1, opts: { jit?: number | false } = {}) {
    let host: JitHost | undefined;
    const t = loadKernelTest<HartExports>("hart", {
      ramBytes: RAM_BYTES,
      hypercall: (op, a0, a1, a2) => (op === HV_JIT_COMPILE && host ? host.compile(a0, a1, a2) : 0),
    });
    host = jitHost(t.memory);
    this.jit = host;
    this.h = t.exports;
    this.mem = t.memory;
    if (this.h.hartSystemInit(ARENA, ARENA_BYTES) !== 0) throw new Error("hartSystemInit failed");
    const jit = opts.jit === undefined ? DEFAULT_JIT : opts.jit;
    host.attach(t.exports, jit ?? false);
    this.h.testFramesInit(FRAMES, FRAMES_BYTES);
    this.h.hartInit(this.ctx);
    this.asid = asid;
    this.root = this.h.testFrameAlloc();
    this.setSpace(asid, this.root);
  }

  setSpace(asid: number, root: number): void {
    this.asid = asid;
    this.root = root;
    if (this.h.hartSetSatp(this.ctx, this.h.testSatp(asid, root)) !== 0) throw new Error("satp refused");
  }

  newRoot(): number { return this.h.testFrameAlloc(); }

  /** Maps va (4 KiB page) to pa with a full leaf entry `flags` (PPN added). Returns the PTE address. */
  map(va: bigint, pa: number, flags: bigint, level = 0, root = this.root): number {
    const slot = this.h.testMapPte(root, va, level, this.h.testPte(BigInt(pa), flags));
    if (slot === 0) throw new Error("map failed");
    if (level === 0 && root === this.root) this.pages.set(va & ~0xfffn, pa);
    return slot;
  }

  /** Maps fresh zeroed frames over [va, va + bytes). */
  mapFresh(va: bigint, bytes: number, flags: bigint, root = this.root): number {
    let first = 0;
    for (let off = 0n; off < BigInt(bytes); off += 0x1000n) {
      const pa = this.h.testFrameAlloc();
      if (!first) first = pa;
      this.map(va + off, pa, flags, 0, root);
      if (root === this.root) this.pages.set((va + off) & ~0xfffn, pa);
    }
    return first;
  }

  pa(va: bigint): number {
    const frame = this.pages.get(va & ~0xfffn);
    if (frame === undefined) throw new Error(`va ${va.toString(16)} not mapped by the test`);
    return frame + Number(va & 0xfffn);
  }

  bytes(pa: number, n: number): Uint8Array { return new Uint8Array(this.mem.buffer, pa, n); }
  view(): DataView { return new DataView(this.mem.buffer); }

  writeVa(va: bigint, data: Uint8Array): void {
    for (let i = 0; i < data.length; i++) this.bytes(this.pa(va + BigInt(i)), 1)[0] = data[i]!;
  }
  readVa(va: bigint, n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.bytes(this.pa(va + BigInt(i)), 1)[0]!;
    return out;
  }
  readU64(va: bigint): bigint { return new DataView(this.readVa(va, 8).buffer).getBigUint64(0, true); }
  writeU64(va: bigint, v: bigint): void {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, u64(v), true);
    this.writeVa(va, b);
  }
  writeU32(va: bigint, v: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v >>> 0, true);
    this.writeVa(va, b);
  }
  writeU16(va: bigint, v: number): void { this.writeVa(va, new Uint8Array([v & 0xff, (v >> 8) & 0xff])); }

  /** Assembles `source` at TEXT (mapped R+X) with a data page at DATA and a stack, and sets pc/sp. */
  load(source: string, opts: AsmOptions & { textFlags?: bigint } = {}): Map<string, bigint> {
    const out = assemble(source, { textAddress: TEXT, dataAddress: DATA, ...opts });
    const textPages = Math.max(1, Math.ceil(out.text.length / 4096));
    if (!this.pages.has(TEXT)) this.mapFresh(TEXT, textPages * 4096, opts.textFlags ?? URX);
    if (!this.pages.has(DATA)) this.mapFresh(DATA, 4 * 4096, URW);
    if (!this.pages.has(STACK_TOP - 0x1000n)) this.mapFresh(STACK_TOP - 0x4000n, 0x4000, URW);
    this.writeVa(TEXT, out.text);
    if (out.data.length) this.writeVa(DATA, out.data);
    this.h.hartInvalidateCode(this.pa(TEXT), out.text.length);
    this.h.hartSetPc(this.ctx, TEXT);
    this.h.hartSetReg(this.ctx, 2, STACK_TOP);
    const symbols = new Map<string, bigint>();
    for (const [name, s] of out.symbols) symbols.set(name, s.address);
    return symbols;
  }

  run(budget = 1_000_000): number { return this.h.hartRun(this.ctx, budget); }
  /** Runs until something other than the budget stops the hart. */
  runToTrap(limit = 50_000_000): number {
    for (let spent = 0; spent < limit; spent += 1_000_000) {
      const c = this.run(1_000_000);
      if (c !== CAUSE.BUDGET) return c;
    }
    return CAUSE.BUDGET;
  }
  reg(i: number): bigint { return u64(this.h.hartGetReg(this.ctx, i)); }
  sreg(i: number): bigint { return s64(this.h.hartGetReg(this.ctx, i)); }
  setReg(i: number, v: bigint): void { this.h.hartSetReg(this.ctx, i, s64(v)); }
  freg(i: number): bigint { return u64(this.h.hartGetFreg(this.ctx, i)); }
  setFreg(i: number, v: bigint): void { this.h.hartSetFreg(this.ctx, i, s64(v)); }
  fcsr(): number { return this.h.hartGetFcsr(this.ctx) >>> 0; }
  setFcsr(v: number): void { this.h.hartSetFcsr(this.ctx, v); }
  pc(): bigint { return u64(this.h.hartGetPc(this.ctx)); }
  tval(): bigint { return u64(this.h.hartGetTval(this.ctx)); }
  instret(): bigint { return u64(this.h.hartGetInstret(this.ctx)); }
  jitStat(which: number): number { return Number(this.h.hartJitStat(which)); }
}

export const REG: Record<string, number> = {
  zero: 0, ra: 1, sp: 2, gp: 3, tp: 4, t0: 5, t1: 6, t2: 7, s0: 8, s1: 9, a0: 10, a1: 11, a2: 12, a3: 13, a4: 14,
  a5: 15, a6: 16, a7: 17, s2: 18, s3: 19, s4: 20, s5: 21, s6: 22, s7: 23, s8: 24, s9: 25, s10: 26, s11: 27,
  t3: 28, t4: 29, t5: 30, t6: 31,
};
