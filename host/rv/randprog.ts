// Random RV64IMAC test programs for differential testing of the hart against
// another implementation (qemu-riscv64). Each program follows the bare hart
// runner convention (ABI.md): it uses only write (64) and exit (93), never
// reads its arguments, and sets every register itself, so its output cannot
// depend on where the runner put the stack.
//
// Shape of a program:
//   * every register gets a value, mostly from a set of edge values
//     (0, ±1, INT32/INT64 limits, 0x80000000, ...);
//   * two registers, BASE (one of x8..x15, so compressed loads can use it) and
//     sp, point at a scratch area of SCRATCH_BYTES random bytes and are never
//     written by the body;
//   * the body: arithmetic (all I and M ops, *W forms), loads and stores of
//     all widths at any offset in the scratch area (misaligned included),
//     forward branches and jumps (direct and through registers), short
//     counted loops, explicit compressed instructions, AMOs on
//     aligned addresses, LR/SC pairs and a lone SC (which must fail);
//   * at the end, x1..x31 are stored after the scratch area and the scratch
//     area plus that dump is written to fd 1; then exit(0).
// Apart from the counted loops, programs only branch forward, so they always
// terminate.

import { fpRegisterName, registerName } from "./asm.js";

export const SCRATCH_BYTES = 256;
/** Output: the scratch area, then x1..x31 as 8-byte little-endian words. */
export const DUMP_BYTES = SCRATCH_BYTES + 31 * 8;

export interface RandomProgram {
  seed: number;
  source: string;
  /** Assemble with automatic compression. */
  compress: boolean;
}

/** A small deterministic PRNG (mulberry32). */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  u64(): bigint {
    return (BigInt(this.int(0x10000)) << 48n) | (BigInt(this.int(0x10000)) << 32n) | (BigInt(this.int(0x10000)) << 16n) | BigInt(this.int(0x10000));
  }
}

const EDGE_VALUES: readonly bigint[] = [
  0n, 1n, 2n, -1n, -2n, 0x7fffffffn, -0x80000000n, 0x80000000n, 0xffffffffn, 0x100000000n,
  0x7fffffffffffffffn, -0x8000000000000000n, 0x8000000000000000n - 1n, 31n, 32n, 63n, 64n, -0x7ffn, 0x800n,
];

const R_OPS = [
  "add", "sub", "sll", "slt", "sltu", "xor", "srl", "sra", "or", "and",
  "mul", "mulh", "mulhsu", "mulhu", "div", "divu", "rem", "remu",
  "addw", "subw", "sllw", "srlw", "sraw", "mulw", "divw", "divuw", "remw", "remuw",
] as const;
const I_OPS = ["addi", "slti", "sltiu", "xori", "ori", "andi", "addiw"] as const;
const SHIFT_OPS = ["slli", "srli", "srai"] as const;
const SHIFTW_OPS = ["slliw", "srliw", "sraiw"] as const;
const LOADS: readonly [string, number][] = [["lb", 1], ["lbu", 1], ["lh", 2], ["lhu", 2], ["lw", 4], ["lwu", 4], ["ld", 8]];
const STORES: readonly [string, number][] = [["sb", 1], ["sh", 2], ["sw", 4], ["sd", 8]];
const BRANCHES = ["beq", "bne", "blt", "bge", "bltu", "bgeu", "bgt", "ble", "bgtu", "bleu", "beqz", "bnez", "bltz", "bgez", "blez", "bgtz"] as const;
const AMOS = ["amoswap", "amoadd", "amoxor", "amoand", "amoor", "amomin", "amomax", "amominu", "amomaxu"] as const;
const ORDERINGS = ["", ".aq", ".rl", ".aqrl"] as const;

export interface GenerateOptions {
  /** Body instructions (default 120). */
  length?: number;
  /** Mnemonic prefixes never to emit (for bisecting a failure), e.g. ["amoadd", "c."]. */
  exclude?: string[];
}

/** The end of every random program: x1..x31 stored after the scratch area
 *  (addressed through register B), the first `bytes` from there written to
 *  fd 1 (Linux write, 64), then exit (93) with status 0. */
function dumpAndExit(emit: (line: string) => void, B: string, bytes: number): void {
  for (let r = 1; r < 32; r++) emit(`sd ${registerName(r)}, ${SCRATCH_BYTES + 8 * (r - 1)}(${B})`);
  emit(`mv a1, ${B}`);
  emit("li a0, 1");
  emit(`li a2, ${bytes}`);
  emit("li a7, 64");
  emit("ecall");
  emit("li a0, 0");
  emit("li a7, 93");
  emit("ecall");
}

export function generateProgram(seed: number, options: GenerateOptions = {}): RandomProgram {
  const rng = new Rng(seed);
  const length = options.length ?? 120;
  const base = rng.range(8, 15);
  const SP = 2;
  const writable = Array.from({ length: 32 }, (_, i) => i).filter((r) => r !== base && r !== SP && r !== 0);
  const compressedRegs = [8, 9, 10, 11, 12, 13, 14, 15].filter((r) => r !== base);
  const B = registerName(base);
  const lines: string[] = [];
  const exclude = options.exclude ?? [];
  const emit = (s: string): void => {
    const mn = s.split(/\s/)[0]!;
    if (exclude.some((e) => mn.startsWith(e))) lines.push("  nop # excluded: " + s);
    else lines.push("  " + s);
  };
  const anyReg = (): string => registerName(rng.chance(0.05) ? 0 : rng.chance(0.1) ? rng.pick([base, SP]) : rng.pick(writable));
  const dest = (): string => registerName(rng.chance(0.03) ? 0 : rng.pick(writable));
  const cdest = (): string => registerName(rng.pick(compressedRegs));
  const imm12 = (): number => (rng.chance(0.3) ? rng.pick([0, 1, -1, 2047, -2048, 0x7f, -0x80]) : rng.range(-2048, 2047));

  lines.push(".text", "_start:");
  emit(`la ${B}, scratch`);
  emit("la sp, scratch");
  for (const r of writable) {
    const v = rng.chance(0.6) ? rng.pick(EDGE_VALUES) : BigInt.asIntN(64, rng.u64());
    emit(`li ${registerName(r)}, ${v}`);
  }

  // Labels still to be placed: [label, body index at which it goes].
  const pending: [string, number][] = [];
  let labelCount = 0;
  const forwardLabel = (): string => {
    const name = `L${labelCount++}`;
    pending.push([name, rng.range(1, 8)]);
    return name;
  };

  let loneSc = false;
  for (let i = 0; i < length; i++) {
    for (let k = pending.length - 1; k >= 0; k--) {
      const p = pending[k]!;
      if (--p[1] <= 0) {
        lines.push(`${p[0]}:`);
        pending.splice(k, 1);
      }
    }
    const kind = rng.int(100);
    if (kind < 3) {
      // A short counted loop: re-runs decoded code and exercises backward branches.
      const counter = rng.pick(writable);
      const C = registerName(counter);
      const others = writable.filter((r) => r !== counter);
      const loop = `B${labelCount++}`;
      emit(`li ${C}, ${rng.range(1, 9)}`);
      lines.push(`${loop}:`);
      for (let k = rng.range(1, 4); k > 0; k--) {
        if (rng.chance(0.7)) emit(`${rng.pick(R_OPS)} ${registerName(rng.pick(others))}, ${anyReg()}, ${anyReg()}`);
        else {
          const [mn, width] = rng.pick(STORES);
          emit(`${mn} ${anyReg()}, ${rng.range(0, SCRATCH_BYTES - width)}(${B})`);
        }
      }
      emit(`addi ${C}, ${C}, -1`);
      emit(rng.chance(0.5) ? `bnez ${C}, ${loop}` : `blt zero, ${C}, ${loop}`);
    } else if (kind < 28) {
      emit(`${rng.pick(R_OPS)} ${dest()}, ${anyReg()}, ${anyReg()}`);
    } else if (kind < 38) {
      emit(`${rng.pick(I_OPS)} ${dest()}, ${anyReg()}, ${imm12()}`);
    } else if (kind < 44) {
      if (rng.chance(0.5)) emit(`${rng.pick(SHIFT_OPS)} ${dest()}, ${anyReg()}, ${rng.pick([0, 1, 31, 32, 63, rng.range(0, 63)])}`);
      else emit(`${rng.pick(SHIFTW_OPS)} ${dest()}, ${anyReg()}, ${rng.pick([0, 1, 31, rng.range(0, 31)])}`);
    } else if (kind < 47) {
      emit(rng.chance(0.7) ? `lui ${dest()}, ${rng.range(0, 0xfffff)}` : `auipc ${dest()}, ${rng.range(0, 0xfffff)}`);
    } else if (kind < 56) {
      const [mn, width] = rng.pick(LOADS);
      emit(`${mn} ${dest()}, ${rng.range(0, SCRATCH_BYTES - width)}(${rng.chance(0.8) ? B : "sp"})`);
    } else if (kind < 64) {
      const [mn, width] = rng.pick(STORES);
      emit(`${mn} ${anyReg()}, ${rng.range(0, SCRATCH_BYTES - width)}(${rng.chance(0.8) ? B : "sp"})`);
    } else if (kind < 72) {
      const mn = rng.pick(BRANCHES);
      const target = forwardLabel();
      if (mn.endsWith("z")) emit(`${mn} ${anyReg()}, ${target}`);
      else emit(`${mn} ${anyReg()}, ${anyReg()}, ${target}`);
    } else if (kind < 74) {
      const pick = rng.int(6);
      if (pick === 0) emit(`j ${forwardLabel()}`);
      else if (pick === 1) emit(`jal ${dest()}, ${forwardLabel()}`);
      else {
        // An indirect jump to a forward label through a register.
        const t = registerName(rng.pick(writable));
        emit(`la ${t}, ${forwardLabel()}`);
        if (pick === 2) emit(`jalr ${dest()}, 0(${t})`);
        else if (pick === 3) emit(`c.jr ${t}`);
        else if (pick === 4) emit(`c.jalr ${t}`);
        else emit(`jalr ${dest()}, ${t}, 0`);
      }
    } else if (kind < 84) {
      compressedInstruction(rng, emit, cdest, dest, B, forwardLabel);
    } else if (kind < 91) {
      const w = rng.chance(0.5) ? "w" : "d";
      const width = w === "w" ? 4 : 8;
      const t = dest();
      const tmp = t === "zero" ? "t0" : t;
      emit(`addi ${tmp}, ${B}, ${rng.int(SCRATCH_BYTES / width) * width}`);
      emit(`${rng.pick(AMOS)}.${w}${rng.pick(ORDERINGS)} ${dest()}, ${anyReg()}, (${tmp})`);
    } else if (kind < 97) {
      // An LR/SC pair on one aligned word, with a little arithmetic between.
      const w = rng.chance(0.5) ? "w" : "d";
      const width = w === "w" ? 4 : 8;
      const addr = rng.pick(writable.filter((r) => r !== 0));
      const A = registerName(addr);
      const slot = rng.int(SCRATCH_BYTES / width);
      emit(`addi ${A}, ${B}, ${slot * width}`);
      const others = writable.filter((r) => r !== addr);
      const rd = registerName(rng.pick(others));
      emit(`lr.${w}${rng.pick(ORDERINGS)} ${rd}, (${A})`);
      for (let k = rng.int(3); k > 0; k--) emit(`${rng.pick(R_OPS.slice(0, 10))} ${registerName(rng.pick(others))}, ${anyReg()}, ${anyReg()}`);
      if (rng.chance(0.2)) {
        // SC to another address than the LR's must fail and store nothing.
        const A2 = registerName(rng.pick(others));
        emit(`addi ${A2}, ${B}, ${((slot + rng.range(1, 3)) % (SCRATCH_BYTES / width)) * width}`);
        emit(`sc.${w}${rng.pick(ORDERINGS)} ${registerName(rng.pick(others))}, ${anyReg()}, (${A2})`);
      } else {
        emit(`sc.${w}${rng.pick(ORDERINGS)} ${registerName(rng.pick(others))}, ${anyReg()}, (${A})`);
      }
    } else if (kind < 98 && !loneSc) {
      // A store-conditional without a reservation must fail (rd = nonzero) and store nothing.
      loneSc = true;
      const t = registerName(rng.pick(writable));
      emit(`addi ${t}, ${B}, ${rng.int(SCRATCH_BYTES / 8) * 8}`);
      emit(`sc.d ${dest()}, ${anyReg()}, (${t})`);
    } else {
      emit(rng.pick(["fence", "fence.i", "fence rw, rw", "nop"]));
    }
  }
  for (const [name] of pending) lines.push(`${name}:`);

  // Dump x1..x31 after the scratch area, then write both to fd 1 and exit.
  dumpAndExit(emit, B, DUMP_BYTES);

  lines.push(".data", ".align 3", "scratch:");
  for (let k = 0; k < SCRATCH_BYTES / 8; k++) {
    const v = rng.chance(0.3) ? BigInt.asUintN(64, rng.pick(EDGE_VALUES)) : rng.u64();
    lines.push(`  .dword 0x${v.toString(16)}`);
  }
  lines.push(`  .zero ${31 * 8}`);
  return { seed, source: lines.join("\n") + "\n", compress: rng.chance(0.5) };
}

function compressedInstruction(
  rng: Rng,
  emit: (s: string) => void,
  cdest: () => string,
  dest: () => string,
  B: string,
  forwardLabel: () => string,
): void {
  const nz6 = (): number => rng.pick([1, -1, 31, -32, rng.range(1, 31), -rng.range(1, 32)]);
  const rdNz = (): string => {
    const d = dest();
    return d === "zero" ? "ra" : d;
  };
  switch (rng.int(16)) {
    case 0: emit(`c.addi ${rdNz()}, ${nz6()}`); break;
    case 1: emit(`c.li ${rdNz()}, ${rng.range(-32, 31)}`); break;
    case 2: {
      const d = rdNz();
      emit(`c.lui ${d === "sp" ? "ra" : d}, ${rng.pick([1, 31, 0xfffe0, 0xfffff, rng.range(1, 31)])}`);
      break;
    }
    case 3: emit(`c.addiw ${rdNz()}, ${rng.range(-32, 31)}`); break;
    case 4: emit(`c.slli ${rdNz()}, ${rng.range(1, 63)}`); break;
    case 5: emit(`${rng.pick(["c.srli", "c.srai"])} ${cdest()}, ${rng.range(1, 63)}`); break;
    case 6: emit(`c.andi ${cdest()}, ${rng.range(-32, 31)}`); break;
    case 7: emit(`${rng.pick(["c.sub", "c.xor", "c.or", "c.and", "c.subw", "c.addw"])} ${cdest()}, ${cdest()}`); break;
    case 8: emit(`c.mv ${rdNz()}, ${rng.pick(["ra", "t0", "a0", "s1", "t6", B])}`); break;
    case 9: emit(`c.add ${rdNz()}, ${rng.pick(["ra", "t0", "a0", "s1", "t6", B])}`); break;
    case 10: emit(rng.chance(0.5) ? `c.lw ${cdest()}, ${rng.int(32) * 4}(${B})` : `c.ld ${cdest()}, ${rng.int(32) * 8}(${B})`); break;
    case 11: emit(rng.chance(0.5) ? `c.sw ${cdest()}, ${rng.int(32) * 4}(${B})` : `c.sd ${cdest()}, ${rng.int(32) * 8}(${B})`); break;
    case 12: emit(rng.chance(0.5) ? `c.lwsp ${rdNz()}, ${rng.int(SCRATCH_BYTES / 4) * 4}(sp)` : `c.ldsp ${rdNz()}, ${rng.int(SCRATCH_BYTES / 8) * 8}(sp)`); break;
    case 13: emit(rng.chance(0.5) ? `c.swsp ${rng.pick(["ra", "a0", "t6", B])}, ${rng.int(SCRATCH_BYTES / 4) * 4}(sp)` : `c.sdsp ${rng.pick(["ra", "a0", "t6", B])}, ${rng.int(SCRATCH_BYTES / 8) * 8}(sp)`); break;
    case 14: emit(`c.addi4spn ${cdest()}, sp, ${rng.range(1, 255) * 4}`); break;
    case 15: emit(rng.chance(0.5) ? `${rng.pick(["c.beqz", "c.bnez"])} ${cdest()}, ${forwardLabel()}` : `c.j ${forwardLabel()}`); break;
  }
}

/** Names the first difference between two dumps (scratch byte or register). */
export function describeMismatch(ours: Uint8Array, reference: Uint8Array): string {
  const n = Math.max(ours.length, reference.length);
  for (let i = 0; i < n; i++) {
    if (ours[i] === reference[i]) continue;
    if (i >= DUMP_BYTES && i < FP_DUMP_BYTES && ours.length === FP_DUMP_BYTES && reference.length === FP_DUMP_BYTES) {
      const at = i & ~7;
      if (at >= DUMP_BYTES + 32 * 8) return `fcsr: ours 0x${dword(ours, at)}, reference 0x${dword(reference, at)}`;
      const f = (at - DUMP_BYTES) / 8;
      return `register f${f} (${fpRegisterName(f)}): ours 0x${dword(ours, at)}, reference 0x${dword(reference, at)}`;
    }
    if (i >= DUMP_BYTES) return `output lengths differ: ours ${ours.length} bytes, reference ${reference.length} bytes`;
    if (i < SCRATCH_BYTES) {
      const word = i & ~7;
      return `scratch byte ${i} (dword at offset ${word}): ours 0x${dword(ours, word)}, reference 0x${dword(reference, word)}`;
    }
    const r = Math.floor((i - SCRATCH_BYTES) / 8) + 1;
    const at = SCRATCH_BYTES + (r - 1) * 8;
    return `register x${r} (${registerName(r)}): ours 0x${dword(ours, at)}, reference 0x${dword(reference, at)}`;
  }
  return "no difference";
}

function dword(b: Uint8Array, at: number): string {
  let v = 0n;
  for (let k = 7; k >= 0; k--) v = (v << 8n) | BigInt(b[at + k] ?? 0);
  return v.toString(16).padStart(16, "0");
}

// ------------------------------------------------------------- F and D

/** Output of an FP program: the integer dump, then f0..f31 and fcsr as 8-byte words. */
export const FP_DUMP_BYTES = DUMP_BYTES + 33 * 8;

const EDGE_DOUBLES: readonly bigint[] = [
  0x0000000000000000n, 0x8000000000000000n, 0x3ff0000000000000n, 0xbff0000000000000n, 0x3ff0000000000001n,
  0x3fefffffffffffffn, 0x7ff0000000000000n, 0xfff0000000000000n, 0x7ff8000000000000n, 0x7ff4000000000001n,
  0xfff8000000001234n, 0x0000000000000001n, 0x800fffffffffffffn, 0x0010000000000000n, 0x7fefffffffffffffn,
  0x3fd5555555555555n, 0x4000000000000000n, 0x3ca0000000000000n, 0x41e0000000000000n, 0xc1e0000000000000n,
  0x43e0000000000000n, 0x43f0000000000000n, 0x41efffffffe00000n, 0x3fe0000000000000n, 0x4004000000000000n,
  0xc00c000000000000n, 0x0000000080000000n, 0x1000000000000000n, 0x6000000000000000n,
];
const EDGE_SINGLES: readonly number[] = [
  0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x3f800001, 0x3f7fffff, 0x7f800000, 0xff800000, 0x7fc00000,
  0x7fa00001, 0xffc01234, 0x00000001, 0x807fffff, 0x00800000, 0x7f7fffff, 0x3eaaaaab, 0x40000000, 0x33800000,
  0x4f000000, 0xcf000000, 0x5f000000, 0x4f800000, 0x3f000000, 0x40200000, 0xc0600000, 0x0c000000, 0x70000000,
];

const FP_BINARY = ["fadd", "fsub", "fmul", "fdiv"] as const;
const FP_FUSED = ["fmadd", "fmsub", "fnmsub", "fnmadd"] as const;
const FP_NO_RM = ["fsgnj", "fsgnjn", "fsgnjx", "fmin", "fmax"] as const;
const FP_COMPARE = ["feq", "flt", "fle"] as const;
const INT_KINDS = ["w", "wu", "l", "lu"] as const;
const RM_OPERANDS = ["", "", "", ", rne", ", rtz", ", rdn", ", rup", ", rmm", ", dyn"] as const;

/**
 * A random F/D program. Like generateProgram, it needs only write and exit
 * and sets every register itself; the scratch area holds edge and random
 * doubles and singles. Every F and D instruction appears (loads, stores,
 * arithmetic in every static rounding mode and the dynamic one, fused
 * multiply-adds, sqrt, sign injection, min/max, compares, classify, every
 * conversion, moves, the compressed loads and stores, fcsr reads and
 * writes with valid modes only). At the end the integer dump is followed by
 * f0..f31 and fcsr.
 */
export function generateFpProgram(seed: number, options: GenerateOptions = {}): RandomProgram {
  const rng = new Rng(seed ^ 0x5eed_f00d);
  const length = options.length ?? 120;
  const base = rng.range(8, 15);
  const SP = 2;
  const writable = Array.from({ length: 32 }, (_, i) => i).filter((r) => r !== base && r !== SP && r !== 0);
  const B = registerName(base);
  const lines: string[] = [];
  const exclude = options.exclude ?? [];
  const emit = (text: string): void => {
    const mn = text.split(/\s/)[0]!;
    if (exclude.some((e) => mn.startsWith(e))) lines.push("  nop # excluded: " + text);
    else lines.push("  " + text);
  };
  const f = (): string => fpRegisterName(rng.int(32));
  const fc = (): string => fpRegisterName(8 + rng.int(8));
  const x = (): string => registerName(rng.pick(writable));
  const xs = (): string => registerName(rng.chance(0.1) ? 0 : rng.pick(writable));
  const rm = (): string => rng.pick(RM_OPERANDS);
  const fmt = (): "s" | "d" => (rng.chance(0.5) ? "s" : "d");
  const dwordSlot = (): number => rng.int(SCRATCH_BYTES / 8) * 8;
  const wordSlot = (): number => rng.int(SCRATCH_BYTES / 4) * 4;

  lines.push(".text", "_start:");
  emit(`la ${B}, scratch`);
  emit("la sp, scratch");
  for (const r of writable) {
    const v = rng.chance(0.6) ? rng.pick(EDGE_VALUES) : BigInt.asIntN(64, rng.u64());
    emit(`li ${registerName(r)}, ${v}`);
  }
  emit(`fsrmi ${rng.int(5)}`);
  for (let r = 0; r < 32; r++) {
    const name = fpRegisterName(r);
    if (rng.chance(0.45)) emit(`fld ${name}, ${dwordSlot()}(${B})`);
    else if (rng.chance(0.9)) emit(`flw ${name}, ${wordSlot()}(${B})`);
    else emit(`fmv.d.x ${name}, ${x()}`); // often an improperly boxed single
  }

  for (let i = 0; i < length; i++) {
    const kind = rng.int(100);
    const t = fmt();
    if (kind < 22) emit(`${rng.pick(FP_BINARY)}.${t} ${f()}, ${f()}, ${f()}${rm()}`);
    else if (kind < 32) emit(`${rng.pick(FP_FUSED)}.${t} ${f()}, ${f()}, ${f()}, ${f()}${rm()}`);
    else if (kind < 36) emit(`fsqrt.${t} ${f()}, ${f()}${rm()}`);
    else if (kind < 44) emit(`${rng.pick(FP_NO_RM)}.${t} ${f()}, ${f()}, ${f()}`);
    else if (kind < 50) emit(`${rng.pick(FP_COMPARE)}.${t} ${x()}, ${f()}, ${f()}`);
    else if (kind < 52) emit(`fclass.${t} ${x()}, ${f()}`);
    else if (kind < 60) emit(`fcvt.${rng.pick(INT_KINDS)}.${t} ${x()}, ${f()}${rm()}`);
    else if (kind < 66) emit(`fcvt.${t}.${rng.pick(INT_KINDS)} ${f()}, ${xs()}${rm()}`);
    else if (kind < 70) emit(rng.chance(0.5) ? `fcvt.s.d ${f()}, ${f()}${rm()}` : `fcvt.d.s ${f()}, ${f()}${rm()}`);
    else if (kind < 74) {
      const pick = rng.int(4);
      if (pick === 0) emit(`fmv.x.w ${x()}, ${f()}`);
      else if (pick === 1) emit(`fmv.w.x ${f()}, ${xs()}`);
      else if (pick === 2) emit(`fmv.x.d ${x()}, ${f()}`);
      else emit(`fmv.d.x ${f()}, ${xs()}`);
    } else if (kind < 82) {
      const pick = rng.int(4);
      if (pick === 0) emit(`fld ${f()}, ${rng.range(0, SCRATCH_BYTES - 8)}(${B})`);
      else if (pick === 1) emit(`flw ${f()}, ${rng.range(0, SCRATCH_BYTES - 4)}(${B})`);
      else if (pick === 2) emit(`fsd ${f()}, ${rng.range(0, SCRATCH_BYTES - 8)}(${B})`);
      else emit(`fsw ${f()}, ${rng.range(0, SCRATCH_BYTES - 4)}(${B})`);
    } else if (kind < 88) {
      const pick = rng.int(4);
      if (pick === 0) emit(`c.fld ${fc()}, ${rng.int(32) * 8}(${B})`); // BASE is one of x8..x15
      else if (pick === 1) emit(`c.fsd ${fc()}, ${rng.int(32) * 8}(${B})`);
      else if (pick === 2) emit(`c.fldsp ${f()}, ${dwordSlot()}(sp)`);
      else emit(`c.fsdsp ${f()}, ${dwordSlot()}(sp)`);
    } else if (kind < 92) {
      const pick = rng.int(5);
      if (pick === 0) emit(`frflags ${x()}`);
      else if (pick === 1) emit(`fsflags ${x()}, zero`);
      else if (pick === 2) emit(`frcsr ${x()}`);
      else if (pick === 3) emit(`fsrmi ${rng.int(5)}`);
      else emit(`csrrsi ${x()}, fflags, ${rng.int(32)}`);
    } else {
      emit(`${rng.pick(R_OPS)} ${x()}, ${x()}, ${x()}`);
    }
  }

  // Dump f0..f31 and fcsr after the integer dump, then x1..x31.
  const fpAt = SCRATCH_BYTES + 31 * 8;
  for (let r = 0; r < 32; r++) emit(`fsd ${fpRegisterName(r)}, ${fpAt + 8 * r}(${B})`);
  emit("frcsr t0");
  emit(`sd t0, ${fpAt + 32 * 8}(${B})`);
  dumpAndExit(emit, B, FP_DUMP_BYTES);

  lines.push(".data", ".align 3", "scratch:");
  for (let k = 0; k < SCRATCH_BYTES / 8; k++) {
    let v: bigint;
    const pick = rng.int(10);
    if (pick < 4) v = rng.pick(EDGE_DOUBLES);
    else if (pick < 7) v = (BigInt(rng.pick(EDGE_SINGLES) >>> 0) << 32n) | BigInt(rng.pick(EDGE_SINGLES) >>> 0);
    else if (pick < 8) v = 0xffffffff00000000n | BigInt(rng.pick(EDGE_SINGLES) >>> 0);
    else v = rng.u64();
    lines.push(`  .dword 0x${v.toString(16)}`);
  }
  lines.push(`  .zero ${33 * 8 + 31 * 8}`);
  return { seed, source: lines.join("\n") + "\n", compress: rng.chance(0.5) };
}
