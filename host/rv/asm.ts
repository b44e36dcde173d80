// A small RISC-V assembler: RV64IMAFDC + Zicsr + Zifencei with the usual GNU/LLVM
// operand syntax, pseudo-instructions, explicit compressed mnemonics and
// optional automatic compression. Two sections (.text, .data) and a symbol
// table; no relocations — everything is resolved at assembly time, with the
// text placed at `textAddress` and the data at `dataAddress` (by default the
// first page after the text).
//
// Pipeline: parse each line into items (instructions already expanded from
// pseudo-instructions, data, alignment); lay the items out, growing
// compressed branches whose target is out of reach until nothing changes;
// then encode. Every user mistake is an AsmError naming the line.

import { PF_R, PF_W, PF_X, writeElf, type ElfWriteSegment } from "./elf.js";

export class AsmError extends Error {
  constructor(
    readonly line: number,
    readonly detail: string,
  ) {
    super(`line ${line}: ${detail}`);
    this.name = "AsmError";
  }
}

export interface AsmOptions {
  /** Replace 32-bit instructions by their RVC form where one exists. */
  compress?: boolean;
  /** Address of the first .text byte (default 0x10000). */
  textAddress?: bigint;
  /** Address of the first .data byte (default: the page after the text). */
  dataAddress?: bigint;
}

export type SectionName = "text" | "data";

export interface AsmSymbol {
  name: string;
  /** "abs" for .equ/.set constants. */
  section: SectionName | "abs";
  /** Offset in its section (0 for constants). */
  offset: number;
  address: bigint;
}

export interface AsmOutput {
  text: Uint8Array;
  data: Uint8Array;
  textAddress: bigint;
  dataAddress: bigint;
  symbols: Map<string, AsmSymbol>;
}

// ---------------------------------------------------------------- registers

const ABI_NAMES = [
  "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
  "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
];
const REGISTERS = new Map<string, number>();
ABI_NAMES.forEach((n, i) => REGISTERS.set(n, i));
for (let i = 0; i < 32; i++) REGISTERS.set(`x${i}`, i);
REGISTERS.set("fp", 8);

export const registerName = (r: number): string => ABI_NAMES[r] ?? `x${r}`;

const FP_ABI_NAMES = [
  "ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7", "fs0", "fs1", "fa0", "fa1", "fa2", "fa3", "fa4", "fa5",
  "fa6", "fa7", "fs2", "fs3", "fs4", "fs5", "fs6", "fs7", "fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11",
];
const FP_REGISTERS = new Map<string, number>();
FP_ABI_NAMES.forEach((n, i) => FP_REGISTERS.set(n, i));
for (let i = 0; i < 32; i++) FP_REGISTERS.set(`f${i}`, i);
export const fpRegisterName = (r: number): string => FP_ABI_NAMES[r] ?? `f${r}`;

/** Rounding-mode operands of the F and D instructions. */
const ROUNDING_MODES = new Map<string, number>([["rne", 0], ["rtz", 1], ["rdn", 2], ["rup", 3], ["rmm", 4], ["dyn", 7]]);
const RM_DYN = 7;

const CSRS = new Map<string, number>([
  ["fflags", 0x001], ["frm", 0x002], ["fcsr", 0x003],
  ["cycle", 0xc00], ["time", 0xc01], ["instret", 0xc02],
  ["sstatus", 0x100], ["sie", 0x104], ["stvec", 0x105], ["scounteren", 0x106],
  ["sscratch", 0x140], ["sepc", 0x141], ["scause", 0x142], ["stval", 0x143], ["sip", 0x144], ["satp", 0x180],
  ["mstatus", 0x300], ["misa", 0x301], ["medeleg", 0x302], ["mideleg", 0x303], ["mie", 0x304], ["mtvec", 0x305],
  ["mscratch", 0x340], ["mepc", 0x341], ["mcause", 0x342], ["mtval", 0x343], ["mip", 0x344],
  ["mvendorid", 0xf11], ["marchid", 0xf12], ["mimpid", 0xf13], ["mhartid", 0xf14],
]);
for (let i = 3; i < 32; i++) CSRS.set(`hpmcounter${i}`, 0xc00 + i);

// ------------------------------------------------------------- expressions

type Expr =
  | { k: "num"; v: bigint }
  | { k: "sym"; name: string }
  | { k: "dot" }
  | { k: "un"; op: string; a: Expr }
  | { k: "bin"; op: string; a: Expr; b: Expr }
  | { k: "mod"; mod: "hi" | "lo" | "pcrel_hi" | "pcrel_lo"; a: Expr }
  /** The low part matching the given auipc item's %pcrel_hi (from `la`/`call`). */
  | { k: "pcrel_lo_of"; anchor: InstItem };

interface Value {
  v: bigint;
  /** True when the value depends on a label's address. */
  reloc: boolean;
}

const MASK64 = (1n << 64n) - 1n;
const toSigned64 = (v: bigint): bigint => BigInt.asIntN(64, v);

function tokenizeExpr(text: string, line: number): string[] {
  const tokens: string[] = [];
  const re = /\s*(0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|\d+[bf]\b|\d[\d_]*|'(?:\\.|[^'\\])'|%[a-z_]+|[A-Za-z_.$][\w.$]*|<<|>>|[-+*/%&|^~()])/y;
  let pos = 0;
  while (pos < text.length) {
    if (/^\s*$/.test(text.slice(pos))) break;
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) throw new AsmError(line, `cannot read expression "${text.trim()}" at "${text.slice(pos).trim()}"`);
    tokens.push(m[1]!);
    pos = re.lastIndex;
  }
  return tokens;
}

function charValue(lit: string): bigint {
  const body = lit.slice(1, -1);
  if (body.startsWith("\\")) return BigInt(unescape(body).charCodeAt(0));
  return BigInt(body.charCodeAt(0));
}

function unescape(s: string): string {
  return s.replace(/\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)/g, (_, e: string) => {
    if (e[0] === "x") return String.fromCharCode(parseInt(e.slice(1), 16));
    if (/^[0-7]/.test(e)) return String.fromCharCode(parseInt(e, 8));
    const simple: Record<string, string> = { n: "\n", t: "\t", r: "\r", b: "\b", f: "\f", v: "\v", a: "\x07", "\\": "\\", '"': '"', "'": "'" };
    return simple[e] ?? e;
  });
}

function parseExpr(text: string, line: number, locals: LocalLabels): Expr {
  const t = tokenizeExpr(text, line);
  if (t.length === 0) throw new AsmError(line, "missing expression");
  let i = 0;
  const peek = (): string | undefined => t[i];
  const expect = (s: string): void => {
    if (t[i] !== s) throw new AsmError(line, `expected "${s}" in "${text.trim()}"`);
    i++;
  };
  const prec: Record<string, number> = { "|": 1, "^": 2, "&": 3, "<<": 4, ">>": 4, "+": 5, "-": 5, "*": 6, "/": 6, "%": 6 };
  const primary = (): Expr => {
    const tok = t[i++];
    if (tok === undefined) throw new AsmError(line, `expression "${text.trim()}" ends too early`);
    if (tok === "(") {
      const e = binary(0);
      expect(")");
      return e;
    }
    if (tok === "-" || tok === "~" || tok === "+") return { k: "un", op: tok, a: primary() };
    if (tok.startsWith("%")) {
      const mod = tok.slice(1);
      if (mod !== "hi" && mod !== "lo" && mod !== "pcrel_hi" && mod !== "pcrel_lo") {
        throw new AsmError(line, `unknown operator ${tok}`);
      }
      expect("(");
      const e = binary(0);
      expect(")");
      return { k: "mod", mod, a: e };
    }
    if (/^\d+[bf]$/.test(tok)) return { k: "sym", name: locals.ref(tok, line) };
    if (/^\d/.test(tok)) return { k: "num", v: BigInt(tok.replace(/_/g, "")) };
    if (tok.startsWith("'")) return { k: "num", v: charValue(tok) };
    if (tok === ".") return { k: "dot" };
    if (/^[A-Za-z_.$]/.test(tok)) return { k: "sym", name: tok };
    throw new AsmError(line, `unexpected "${tok}" in expression "${text.trim()}"`);
  };
  const binary = (minPrec: number): Expr => {
    let left = primary();
    for (;;) {
      const op = peek();
      const p = op === undefined ? undefined : prec[op];
      if (op === undefined || p === undefined || p < minPrec) break;
      i++;
      const right = binary(p + 1);
      left = { k: "bin", op, a: left, b: right };
    }
    return left;
  };
  const e = binary(0);
  if (i !== t.length) throw new AsmError(line, `unexpected "${t[i]}" in expression "${text.trim()}"`);
  return e;
}

/** Numeric local labels (`1:`, `1b`, `1f`) renamed to unique symbols. */
class LocalLabels {
  private defined = new Map<string, number>();
  define(n: string): string {
    const k = (this.defined.get(n) ?? 0) + 1;
    this.defined.set(n, k);
    return `.Llocal_${n}_${k}`;
  }
  ref(tok: string, line: number): string {
    const n = tok.slice(0, -1);
    const k = this.defined.get(n) ?? 0;
    if (tok.endsWith("b")) {
      if (k === 0) throw new AsmError(line, `no earlier local label ${n}: for ${tok}`);
      return `.Llocal_${n}_${k}`;
    }
    return `.Llocal_${n}_${k + 1}`;
  }
}

// ------------------------------------------------------------------- items

type Fmt =
  | "R" | "I" | "SHIFT" | "SHIFTW" | "LOAD" | "STORE" | "BRANCH" | "U" | "JAL" | "JALR"
  | "AMO" | "LR" | "CSR" | "CSRI" | "FENCE" | "SYS"
  /* F and D: loads/stores, OP-FP with an rm operand (FRM) or a fixed funct3 (FRN), the fused multiply-adds. */
  | "FLOAD" | "FSTORE" | "FRM" | "FRN" | "FR4";

interface InstItem {
  kind: "inst";
  line: number;
  /** Canonical 32-bit mnemonic, or a c.* mnemonic when written explicitly. */
  mn: string;
  rd: number;
  rs1: number;
  rs2: number;
  imm: Expr | null;
  /** aq/rl bits for AMOs, pred/succ for fence, CSR number for Zicsr; rm | rs3 << 3 for F/D. */
  extra: number;
  /** Written as c.*: must be encoded compressed. */
  explicitC: boolean;
  /** Automatic compression applies here (the option, or `.option rvc`). */
  autoC: boolean;
  /** Auto-compression candidate whose immediate depends on a label (branches). */
  relaxable: boolean;
  size: 2 | 4;
  addr: bigint;
  section: SectionName;
}

interface DataItem {
  kind: "data";
  line: number;
  width: number;
  values: Expr[];
  addr: bigint;
  section: SectionName;
  size: number;
}

interface BytesItem {
  kind: "bytes";
  line: number;
  bytes: Uint8Array;
  addr: bigint;
  section: SectionName;
  size: number;
}

interface AlignItem {
  kind: "align";
  line: number;
  align: number;
  addr: bigint;
  section: SectionName;
  size: number;
}

interface LabelItem {
  kind: "label";
  line: number;
  name: string;
  addr: bigint;
  section: SectionName;
  size: 0;
}

type Item = InstItem | DataItem | BytesItem | AlignItem | LabelItem;

// ------------------------------------------------------------ opcode table

interface Spec {
  fmt: Fmt;
  opcode: number;
  f3: number;
  f7: number;
  /** F/D operand classes ("f" or "x") of rd, rs1, rs2, and the fixed rs2 field of one-source ops. */
  regs?: string;
  rs2?: number;
  /** Rounding mode when none is written: dyn, or rne for the exact conversions (as LLVM does). */
  rm?: number;
}

const SPECS = new Map<string, Spec>();
const def = (mn: string, fmt: Fmt, opcode: number, f3 = 0, f7 = 0): void => void SPECS.set(mn, { fmt, opcode, f3, f7 });
const defFp = (mn: string, fmt: Fmt, opcode: number, f3: number, f7: number, regs: string, rs2?: number, rm = RM_DYN): void =>
  void SPECS.set(mn, { fmt, opcode, f3, f7, regs, rs2, rm });

def("lui", "U", 0x37);
def("auipc", "U", 0x17);
def("jal", "JAL", 0x6f);
def("jalr", "JALR", 0x67);
["beq", "bne", "", "", "blt", "bge", "bltu", "bgeu"].forEach((m, f3) => m && def(m, "BRANCH", 0x63, f3));
["lb", "lh", "lw", "ld", "lbu", "lhu", "lwu"].forEach((m, f3) => def(m, "LOAD", 0x03, f3));
["sb", "sh", "sw", "sd"].forEach((m, f3) => def(m, "STORE", 0x23, f3));
def("addi", "I", 0x13, 0);
def("slti", "I", 0x13, 2);
def("sltiu", "I", 0x13, 3);
def("xori", "I", 0x13, 4);
def("ori", "I", 0x13, 6);
def("andi", "I", 0x13, 7);
def("slli", "SHIFT", 0x13, 1, 0x00);
def("srli", "SHIFT", 0x13, 5, 0x00);
def("srai", "SHIFT", 0x13, 5, 0x20);
def("addiw", "I", 0x1b, 0);
def("slliw", "SHIFTW", 0x1b, 1, 0x00);
def("srliw", "SHIFTW", 0x1b, 5, 0x00);
def("sraiw", "SHIFTW", 0x1b, 5, 0x20);
const rOps: [string, number, number][] = [
  ["add", 0, 0], ["sub", 0x20, 0], ["sll", 0, 1], ["slt", 0, 2], ["sltu", 0, 3], ["xor", 0, 4], ["srl", 0, 5],
  ["sra", 0x20, 5], ["or", 0, 6], ["and", 0, 7],
  ["mul", 1, 0], ["mulh", 1, 1], ["mulhsu", 1, 2], ["mulhu", 1, 3], ["div", 1, 4], ["divu", 1, 5], ["rem", 1, 6], ["remu", 1, 7],
];
for (const [m, f7, f3] of rOps) def(m, "R", 0x33, f3, f7);
const rwOps: [string, number, number][] = [
  ["addw", 0, 0], ["subw", 0x20, 0], ["sllw", 0, 1], ["srlw", 0, 5], ["sraw", 0x20, 5],
  ["mulw", 1, 0], ["divw", 1, 4], ["divuw", 1, 5], ["remw", 1, 6], ["remuw", 1, 7],
];
for (const [m, f7, f3] of rwOps) def(m, "R", 0x3b, f3, f7);
def("fence", "FENCE", 0x0f, 0);
def("fence.i", "SYS", 0x0f, 1);
def("fence.tso", "SYS", 0x0f, 0);
def("ecall", "SYS", 0x73);
def("ebreak", "SYS", 0x73);
["", "csrrw", "csrrs", "csrrc"].forEach((m, f3) => m && def(m, "CSR", 0x73, f3));
["", "csrrwi", "csrrsi", "csrrci"].forEach((m, f3) => m && def(m, "CSRI", 0x73, f3 + 4));
const AMO_FUNCT5: Record<string, number> = {
  lr: 0x02, sc: 0x03, amoswap: 0x01, amoadd: 0x00, amoxor: 0x04, amoand: 0x0c, amoor: 0x08,
  amomin: 0x10, amomax: 0x14, amominu: 0x18, amomaxu: 0x1c,
};
for (const [base, f5] of Object.entries(AMO_FUNCT5)) {
  for (const [w, f3] of [["w", 2], ["d", 3]] as const) {
    for (const [suffix, aqrl] of [["", 0], [".aq", 2], [".rl", 1], [".aqrl", 3]] as const) {
      def(`${base}.${w}${suffix}`, base === "lr" ? "LR" : "AMO", 0x2f, f3, (f5 << 2) | aqrl);
    }
  }
}

// F and D. funct7 = funct5 << 2 | fmt (0 = S, 1 = D).
for (const [suffix, fmt] of [["s", 0], ["d", 1]] as const) {
  const w = fmt === 0 ? "w" : "d";
  defFp(`fl${w}`, "FLOAD", 0x07, 2 + fmt, 0, "fx");
  defFp(`fs${w}`, "FSTORE", 0x27, 2 + fmt, 0, "xxf");
  (["fadd", "fsub", "fmul", "fdiv"] as const).forEach((m, k) => defFp(`${m}.${suffix}`, "FRM", 0x53, 0, (k << 2) | fmt, "fff"));
  defFp(`fsqrt.${suffix}`, "FRM", 0x53, 0, (0x0b << 2) | fmt, "ff", 0);
  (["fmadd", "fmsub", "fnmsub", "fnmadd"] as const).forEach((m, k) => defFp(`${m}.${suffix}`, "FR4", 0x43 + 4 * k, 0, fmt, "fff"));
  (["fsgnj", "fsgnjn", "fsgnjx"] as const).forEach((m, k) => defFp(`${m}.${suffix}`, "FRN", 0x53, k, (0x04 << 2) | fmt, "fff"));
  defFp(`fmin.${suffix}`, "FRN", 0x53, 0, (0x05 << 2) | fmt, "fff");
  defFp(`fmax.${suffix}`, "FRN", 0x53, 1, (0x05 << 2) | fmt, "fff");
  defFp(`feq.${suffix}`, "FRN", 0x53, 2, (0x14 << 2) | fmt, "xff");
  defFp(`flt.${suffix}`, "FRN", 0x53, 1, (0x14 << 2) | fmt, "xff");
  defFp(`fle.${suffix}`, "FRN", 0x53, 0, (0x14 << 2) | fmt, "xff");
  defFp(`fclass.${suffix}`, "FRN", 0x53, 1, (0x1c << 2) | fmt, "xf", 0);
  (["w", "wu", "l", "lu"] as const).forEach((t, k) => {
    defFp(`fcvt.${t}.${suffix}`, "FRM", 0x53, 0, (0x18 << 2) | fmt, "xf", k);
    const exact = fmt === 1 && k < 2; // every int32 is a double
    defFp(`fcvt.${suffix}.${t}`, "FRM", 0x53, 0, (0x1a << 2) | fmt, "fx", k, exact ? 0 : RM_DYN);
  });
}
defFp("fcvt.s.d", "FRM", 0x53, 0, (0x08 << 2) | 0, "ff", 1);
defFp("fcvt.d.s", "FRM", 0x53, 0, (0x08 << 2) | 1, "ff", 0, 0);
defFp("fmv.x.w", "FRN", 0x53, 0, (0x1c << 2) | 0, "xf", 0);
defFp("fmv.x.d", "FRN", 0x53, 0, (0x1c << 2) | 1, "xf", 0);
defFp("fmv.w.x", "FRN", 0x53, 0, (0x1e << 2) | 0, "fx", 0);
defFp("fmv.d.x", "FRN", 0x53, 0, (0x1e << 2) | 1, "fx", 0);
SPECS.set("fmv.x.s", SPECS.get("fmv.x.w")!);
SPECS.set("fmv.s.x", SPECS.get("fmv.w.x")!);

// Compressed mnemonics: operand shapes for explicit use.
type CFmt =
  | "CR" /* rd, rs2 */ | "CJR" /* rs1 */ | "CI" /* rd, imm */ | "CSS" /* rs2, off(sp) */ | "CL" /* rd', off(rs1') */
  | "CIW" /* rd', sp, imm */ | "C16SP" /* sp, imm */ | "CB" /* rs1', target */ | "CJ" /* target */ | "CA" /* rd', rs2' */
  | "CLSP" /* rd, off(sp) */ | "CNONE";
const CSPECS = new Map<string, CFmt>([
  ["c.addi4spn", "CIW"], ["c.lw", "CL"], ["c.ld", "CL"], ["c.sw", "CL"], ["c.sd", "CL"],
  ["c.nop", "CNONE"], ["c.addi", "CI"], ["c.addiw", "CI"], ["c.li", "CI"], ["c.addi16sp", "C16SP"], ["c.lui", "CI"],
  ["c.srli", "CI"], ["c.srai", "CI"], ["c.andi", "CI"], ["c.sub", "CA"], ["c.xor", "CA"], ["c.or", "CA"], ["c.and", "CA"],
  ["c.subw", "CA"], ["c.addw", "CA"], ["c.j", "CJ"], ["c.beqz", "CB"], ["c.bnez", "CB"], ["c.slli", "CI"],
  ["c.lwsp", "CLSP"], ["c.ldsp", "CLSP"], ["c.jr", "CJR"], ["c.mv", "CR"], ["c.ebreak", "CNONE"], ["c.jalr", "CJR"],
  ["c.add", "CR"], ["c.swsp", "CSS"], ["c.sdsp", "CSS"],
  ["c.fld", "CL"], ["c.fsd", "CL"], ["c.fldsp", "CLSP"], ["c.fsdsp", "CSS"],
]);

// ------------------------------------------------------------------ parser

interface ParseState {
  items: Item[];
  section: SectionName;
  locals: LocalLabels;
  equs: Map<string, bigint>;
  line: number;
  /** Automatic compression in force (`.option rvc` / `norvc`), and the `.option push` stack. */
  rvc: boolean;
  rvcStack: boolean[];
}

function splitOperands(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = "";
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      cur += c;
      if (c === "\\") cur += text[++i] ?? "";
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    if (c === "(") depth++;
    if (c === ")") depth--;
    if (c === "," && depth === 0) {
      out.push(cur.trim());
      cur = "";
    } else cur += c;
  }
  if (cur.trim() !== "" || out.length > 0) out.push(cur.trim());
  return out;
}

/** Removes a comment (`#` or `//`) outside strings and splits on `;`. */
function splitStatements(raw: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quote: string | null = null;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (quote) {
      cur += c;
      if (c === "\\") cur += raw[++i] ?? "";
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    if (c === "#" || (c === "/" && raw[i + 1] === "/")) break;
    if (c === ";") {
      out.push(cur);
      cur = "";
      continue;
    }
    cur += c;
  }
  out.push(cur);
  return out;
}

function reg(text: string | undefined, line: number, mn: string): number {
  const r = text === undefined ? undefined : REGISTERS.get(text.trim().toLowerCase());
  if (r === undefined) throw new AsmError(line, `${mn}: "${text ?? ""}" is not a register`);
  return r;
}

function fpReg(text: string | undefined, line: number, mn: string): number {
  const r = text === undefined ? undefined : FP_REGISTERS.get(text.trim().toLowerCase());
  if (r === undefined) throw new AsmError(line, `${mn}: "${text ?? ""}" is not a floating-point register`);
  return r;
}

function roundingMode(text: string | undefined, line: number, mn: string): number {
  const rm = text === undefined ? undefined : ROUNDING_MODES.get(text.trim().toLowerCase());
  if (rm === undefined) throw new AsmError(line, `${mn}: "${text ?? ""}" is not a rounding mode (rne, rtz, rdn, rup, rmm, dyn)`);
  return rm;
}

/** `imm(reg)`, `(reg)` or `reg` (the last only where allowed). */
function memOperand(text: string | undefined, line: number, mn: string, st: ParseState): { base: number; off: Expr } {
  const m = text === undefined ? null : /^(.*)\(\s*([\w.]+)\s*\)$/.exec(text.trim());
  if (!m) throw new AsmError(line, `${mn}: expected a memory operand like 8(sp), got "${text ?? ""}"`);
  const offText = m[1]!.trim();
  return { base: reg(m[2], line, mn), off: offText === "" ? { k: "num", v: 0n } : parseExpr(offText, line, st.locals) };
}

function want(ops: string[], n: number, line: number, mn: string, shape: string): void {
  if (ops.length !== n) throw new AsmError(line, `${mn} takes ${n} operand${n === 1 ? "" : "s"} (${shape}), got ${ops.length}`);
}

function csrNumber(text: string | undefined, line: number, st: ParseState): number {
  const t = (text ?? "").trim().toLowerCase();
  const named = CSRS.get(t);
  if (named !== undefined) return named;
  const v = constValue(parseExpr(t, line, st.locals), line, st);
  if (v < 0n || v > 0xfffn) throw new AsmError(line, `CSR number ${v} is out of range (0..4095)`);
  return Number(v);
}

/** Evaluates an expression that must not depend on label addresses. */
function constValue(e: Expr, line: number, st: ParseState): bigint {
  const r = evaluate(e, line, (name) => {
    const v = st.equs.get(name);
    if (v === undefined) throw new AsmError(line, `"${name}" is not a constant known at this point`);
    return { v, reloc: false };
  }, null);
  return r.v;
}

function newInst(st: ParseState, mn: string, rd: number, rs1: number, rs2: number, imm: Expr | null, extra = 0): InstItem {
  const item: InstItem = {
    kind: "inst", line: st.line, mn, rd, rs1, rs2, imm, extra, explicitC: mn.startsWith("c."), autoC: st.rvc, relaxable: false,
    size: mn.startsWith("c.") ? 2 : 4, addr: 0n, section: st.section,
  };
  st.items.push(item);
  return item;
}

const num = (v: bigint | number): Expr => ({ k: "num", v: BigInt(v) });
const ZERO = num(0);

function fenceSet(text: string, line: number): number {
  const t = text.trim().toLowerCase();
  if (t === "0") return 0;
  if (!/^[iorw]+$/.test(t)) throw new AsmError(line, `fence: "${text}" is not a set of i, o, r, w`);
  return (t.includes("i") ? 8 : 0) | (t.includes("o") ? 4 : 0) | (t.includes("r") ? 2 : 0) | (t.includes("w") ? 1 : 0);
}

/** li: a sequence of lui/addi(w)/slli that builds any 64-bit constant. */
export function liSequence(value: bigint): Array<{ mn: "lui" | "addi" | "addiw" | "slli"; imm: bigint }> {
  const v = toSigned64(value);
  const fits = (x: bigint, bits: bigint): boolean => x >= -(1n << (bits - 1n)) && x < 1n << (bits - 1n);
  const sext12 = (x: bigint): bigint => BigInt.asIntN(12, x);
  if (fits(v, 32n)) {
    const hi20 = ((v + 0x800n) >> 12n) & 0xfffffn;
    const lo12 = sext12(v);
    const seq: Array<{ mn: "lui" | "addi" | "addiw" | "slli"; imm: bigint }> = [];
    if (hi20 !== 0n) seq.push({ mn: "lui", imm: hi20 });
    if (lo12 !== 0n || hi20 === 0n) seq.push({ mn: hi20 !== 0n ? "addiw" : "addi", imm: lo12 });
    return seq;
  }
  const lo12 = sext12(v);
  let hi = toSigned64(v - lo12);
  let shift = 0n;
  while (((hi >> shift) & 1n) === 0n) shift++;
  hi >>= shift;
  if (shift > 12n && !fits(hi, 12n) && fits(toSigned64(hi << 12n), 32n)) {
    shift -= 12n;
    hi = toSigned64(hi << 12n);
  }
  const seq = liSequence(hi);
  seq.push({ mn: "slli", imm: shift });
  if (lo12 !== 0n) seq.push({ mn: "addi", imm: lo12 });
  return seq;
}

function parseInstruction(st: ParseState, mnRaw: string, opText: string): void {
  const line = st.line;
  const mn = mnRaw.toLowerCase();
  const ops = splitOperands(opText);
  const expr = (i: number): Expr => parseExpr(ops[i] ?? "", line, st.locals);
  const r = (i: number): number => reg(ops[i], line, mn);

  // Pseudo-instructions first.
  switch (mn) {
    case "nop": want(ops, 0, line, mn, ""); newInst(st, "addi", 0, 0, 0, ZERO); return;
    case "li": {
      want(ops, 2, line, mn, "rd, constant");
      const rd = r(0);
      const v = constValue(expr(1), line, st);
      if (v < -(1n << 63n) || v > MASK64) throw new AsmError(line, `li: ${v} does not fit in 64 bits`);
      let src = 0;
      for (const step of liSequence(v)) {
        if (step.mn === "lui") newInst(st, "lui", rd, 0, 0, num(step.imm));
        else newInst(st, step.mn, rd, src, 0, num(step.imm));
        src = rd;
      }
      return;
    }
    case "la": case "lla": {
      want(ops, 2, line, mn, "rd, symbol");
      const rd = r(0);
      const target = expr(1);
      const hi = newInst(st, "auipc", rd, 0, 0, { k: "mod", mod: "pcrel_hi", a: target });
      newInst(st, "addi", rd, rd, 0, { k: "pcrel_lo_of", anchor: hi });
      return;
    }
    case "call": case "tail": {
      want(ops, 1, line, mn, "symbol");
      const link = mn === "call" ? 1 : 6;
      const hi = newInst(st, "auipc", link, 0, 0, { k: "mod", mod: "pcrel_hi", a: expr(0) });
      newInst(st, "jalr", mn === "call" ? 1 : 0, link, 0, { k: "pcrel_lo_of", anchor: hi });
      return;
    }
    case "mv": want(ops, 2, line, mn, "rd, rs"); newInst(st, "addi", r(0), r(1), 0, ZERO); return;
    case "not": want(ops, 2, line, mn, "rd, rs"); newInst(st, "xori", r(0), r(1), 0, num(-1)); return;
    case "neg": want(ops, 2, line, mn, "rd, rs"); newInst(st, "sub", r(0), 0, r(1), null); return;
    case "negw": want(ops, 2, line, mn, "rd, rs"); newInst(st, "subw", r(0), 0, r(1), null); return;
    case "sext.w": want(ops, 2, line, mn, "rd, rs"); newInst(st, "addiw", r(0), r(1), 0, ZERO); return;
    case "zext.b": want(ops, 2, line, mn, "rd, rs"); newInst(st, "andi", r(0), r(1), 0, num(255)); return;
    case "seqz": want(ops, 2, line, mn, "rd, rs"); newInst(st, "sltiu", r(0), r(1), 0, num(1)); return;
    case "snez": want(ops, 2, line, mn, "rd, rs"); newInst(st, "sltu", r(0), 0, r(1), null); return;
    case "sltz": want(ops, 2, line, mn, "rd, rs"); newInst(st, "slt", r(0), r(1), 0, null); return;
    case "sgtz": want(ops, 2, line, mn, "rd, rs"); newInst(st, "slt", r(0), 0, r(1), null); return;
    case "beqz": case "bnez": case "bltz": case "bgez": case "blez": case "bgtz": {
      want(ops, 2, line, mn, "rs, label");
      const rs = r(0);
      const t = expr(1);
      const [base, a, b] = {
        beqz: ["beq", rs, 0], bnez: ["bne", rs, 0], bltz: ["blt", rs, 0], bgez: ["bge", rs, 0], blez: ["bge", 0, rs], bgtz: ["blt", 0, rs],
      }[mn] as [string, number, number];
      newInst(st, base, 0, a, b, t);
      return;
    }
    case "bgt": case "ble": case "bgtu": case "bleu": {
      want(ops, 3, line, mn, "rs, rt, label");
      const base = { bgt: "blt", ble: "bge", bgtu: "bltu", bleu: "bgeu" }[mn]!;
      newInst(st, base, 0, r(1), r(0), expr(2));
      return;
    }
    case "j": want(ops, 1, line, mn, "label"); newInst(st, "jal", 0, 0, 0, expr(0)); return;
    case "jr": want(ops, 1, line, mn, "rs"); newInst(st, "jalr", 0, r(0), 0, ZERO); return;
    case "ret": want(ops, 0, line, mn, ""); newInst(st, "jalr", 0, 1, 0, ZERO); return;
    case "csrr": want(ops, 2, line, mn, "rd, csr"); newInst(st, "csrrs", r(0), 0, 0, null, csrNumber(ops[1], line, st)); return;
    case "csrw": case "csrs": case "csrc": {
      want(ops, 2, line, mn, "csr, rs");
      newInst(st, { csrw: "csrrw", csrs: "csrrs", csrc: "csrrc" }[mn]!, 0, r(1), 0, null, csrNumber(ops[0], line, st));
      return;
    }
    case "csrwi": case "csrsi": case "csrci": {
      want(ops, 2, line, mn, "csr, uimm5");
      newInst(st, { csrwi: "csrrwi", csrsi: "csrrsi", csrci: "csrrci" }[mn]!, 0, 0, 0, expr(1), csrNumber(ops[0], line, st));
      return;
    }
    case "fmv.s": case "fmv.d": case "fneg.s": case "fneg.d": case "fabs.s": case "fabs.d": {
      want(ops, 2, line, mn, "rd, rs");
      const base = { fmv: "fsgnj", fneg: "fsgnjn", fabs: "fsgnjx" }[mn.slice(0, -2) as "fmv" | "fneg" | "fabs"];
      const rs = fpReg(ops[1], line, mn);
      const target = `${base}${mn.slice(-2)}`;
      newInst(st, target, fpReg(ops[0], line, mn), rs, rs, null, SPECS.get(target)!.f3);
      return;
    }
    case "frcsr": case "frrm": case "frflags": {
      want(ops, 1, line, mn, "rd");
      newInst(st, "csrrs", r(0), 0, 0, null, CSRS.get(mn.slice(2) === "csr" ? "fcsr" : mn.slice(2) === "rm" ? "frm" : "fflags")!);
      return;
    }
    case "fsrmi": case "fsflagsi": {
      want(ops, 1, line, mn, "uimm5");
      newInst(st, "csrrwi", 0, 0, 0, expr(0), CSRS.get(mn === "fsrmi" ? "frm" : "fflags")!);
      return;
    }
    case "fscsr": case "fsrm": case "fsflags": {
      const csr = CSRS.get(mn === "fscsr" ? "fcsr" : mn === "fsrm" ? "frm" : "fflags")!;
      if (ops.length === 1) newInst(st, "csrrw", 0, r(0), 0, null, csr);
      else { want(ops, 2, line, mn, "rd, rs"); newInst(st, "csrrw", r(0), r(1), 0, null, csr); }
      return;
    }
    case "rdcycle": case "rdtime": case "rdinstret": {
      want(ops, 1, line, mn, "rd");
      newInst(st, "csrrs", r(0), 0, 0, null, CSRS.get(mn.slice(2))!);
      return;
    }
  }

  const cfmt = CSPECS.get(mn);
  if (cfmt) return parseCompressed(st, mn, cfmt, ops);

  const spec = SPECS.get(mn);
  if (!spec) throw new AsmError(line, `unknown instruction "${mnRaw}"`);
  switch (spec.fmt) {
    case "R": want(ops, 3, line, mn, "rd, rs1, rs2"); newInst(st, mn, r(0), r(1), r(2), null); return;
    case "I": case "SHIFT": case "SHIFTW": want(ops, 3, line, mn, "rd, rs1, imm"); newInst(st, mn, r(0), r(1), 0, expr(2)); return;
    case "LOAD": {
      want(ops, 2, line, mn, "rd, offset(rs1)");
      const m = memOperand(ops[1], line, mn, st);
      newInst(st, mn, r(0), m.base, 0, m.off);
      return;
    }
    case "STORE": {
      want(ops, 2, line, mn, "rs2, offset(rs1)");
      const m = memOperand(ops[1], line, mn, st);
      newInst(st, mn, 0, m.base, r(0), m.off);
      return;
    }
    case "BRANCH": want(ops, 3, line, mn, "rs1, rs2, label"); newInst(st, mn, 0, r(0), r(1), expr(2)); return;
    case "U": want(ops, 2, line, mn, "rd, imm20"); newInst(st, mn, r(0), 0, 0, expr(1)); return;
    case "JAL":
      if (ops.length === 1) newInst(st, mn, 1, 0, 0, expr(0));
      else { want(ops, 2, line, mn, "rd, label"); newInst(st, mn, r(0), 0, 0, expr(1)); }
      return;
    case "JALR":
      if (ops.length === 1) { newInst(st, mn, 1, r(0), 0, ZERO); return; }
      if (ops.length === 2) {
        const m = memOperand(ops[1], line, mn, st);
        newInst(st, mn, r(0), m.base, 0, m.off);
        return;
      }
      want(ops, 3, line, mn, "rd, rs1, imm");
      newInst(st, mn, r(0), r(1), 0, expr(2));
      return;
    case "AMO": {
      want(ops, 3, line, mn, "rd, rs2, (rs1)");
      const m = memOperand(ops[2], line, mn, st);
      if (constValue(m.off, line, st) !== 0n) throw new AsmError(line, `${mn}: the address operand takes no offset`);
      newInst(st, mn, r(0), m.base, r(1), null);
      return;
    }
    case "LR": {
      want(ops, 2, line, mn, "rd, (rs1)");
      const m = memOperand(ops[1], line, mn, st);
      if (constValue(m.off, line, st) !== 0n) throw new AsmError(line, `${mn}: the address operand takes no offset`);
      newInst(st, mn, r(0), m.base, 0, null);
      return;
    }
    case "CSR": want(ops, 3, line, mn, "rd, csr, rs1"); newInst(st, mn, r(0), r(2), 0, null, csrNumber(ops[1], line, st)); return;
    case "CSRI": want(ops, 3, line, mn, "rd, csr, uimm5"); newInst(st, mn, r(0), 0, 0, expr(2), csrNumber(ops[1], line, st)); return;
    case "FENCE":
      if (ops.length === 0) { newInst(st, mn, 0, 0, 0, null, 0xff); return; }
      want(ops, 2, line, mn, "pred, succ");
      newInst(st, mn, 0, 0, 0, null, (fenceSet(ops[0]!, line) << 4) | fenceSet(ops[1]!, line));
      return;
    case "SYS": want(ops, 0, line, mn, ""); newInst(st, mn, 0, 0, 0, null); return;
    case "FLOAD": case "FSTORE": {
      want(ops, 2, line, mn, "fd, offset(rs1)");
      const m = memOperand(ops[1], line, mn, st);
      if (spec.fmt === "FLOAD") newInst(st, mn, fpReg(ops[0], line, mn), m.base, 0, m.off);
      else newInst(st, mn, 0, m.base, fpReg(ops[0], line, mn), m.off);
      return;
    }
    case "FRM": case "FRN": case "FR4": {
      const classes = spec.regs!;
      const n = classes.length + (spec.fmt === "FR4" ? 1 : 0);
      const withRm = spec.fmt !== "FRN" && ops.length === n + 1;
      if (!withRm) want(ops, n, line, mn, spec.fmt === "FRN" ? "registers" : "registers[, rounding mode]");
      const operand = (i: number, cls: string): number => (cls === "f" ? fpReg(ops[i], line, mn) : r(i));
      const rd = operand(0, classes[0]!);
      const rs1 = operand(1, classes[1]!);
      const rs2 = classes.length > 2 ? operand(2, classes[2]!) : spec.rs2 ?? 0;
      const rs3 = spec.fmt === "FR4" ? fpReg(ops[3], line, mn) : 0;
      const rm = spec.fmt === "FRN" ? spec.f3 : withRm ? roundingMode(ops[n], line, mn) : spec.rm ?? RM_DYN;
      newInst(st, mn, rd, rs1, rs2, null, rm | (rs3 << 3));
      return;
    }
  }
}

function parseCompressed(st: ParseState, mn: string, fmt: CFmt, ops: string[]): void {
  const line = st.line;
  const r = (i: number): number => reg(ops[i], line, mn);
  const expr = (i: number): Expr => parseExpr(ops[i] ?? "", line, st.locals);
  switch (fmt) {
    case "CR": want(ops, 2, line, mn, "rd, rs2"); newInst(st, mn, r(0), r(0), r(1), null); return;
    case "CA": want(ops, 2, line, mn, "rd', rs2'"); newInst(st, mn, r(0), r(0), r(1), null); return;
    case "CJR": want(ops, 1, line, mn, "rs1"); newInst(st, mn, mn === "c.jalr" ? 1 : 0, r(0), 0, ZERO); return;
    case "CI": want(ops, 2, line, mn, "rd, imm"); newInst(st, mn, r(0), r(0), 0, expr(1)); return;
    case "CNONE": want(ops, 0, line, mn, ""); newInst(st, mn, 0, 0, 0, mn === "c.nop" ? ZERO : null); return;
    case "CJ": want(ops, 1, line, mn, "label"); newInst(st, mn, 0, 0, 0, expr(0)); return;
    case "CB": want(ops, 2, line, mn, "rs1', label"); newInst(st, mn, 0, r(0), 0, expr(1)); return;
    case "C16SP":
      want(ops, 2, line, mn, "sp, imm");
      if (r(0) !== 2) throw new AsmError(line, `${mn}: the first operand must be sp`);
      newInst(st, mn, 2, 2, 0, expr(1));
      return;
    case "CIW":
      want(ops, 3, line, mn, "rd', sp, imm");
      if (r(1) !== 2) throw new AsmError(line, `${mn}: the second operand must be sp`);
      newInst(st, mn, r(0), 2, 0, expr(2));
      return;
    case "CL": case "CLSP": case "CSS": {
      want(ops, 2, line, mn, fmt === "CL" ? "reg', offset(rs1')" : "reg, offset(sp)");
      const m = memOperand(ops[1], line, mn, st);
      if (fmt !== "CL" && m.base !== 2) throw new AsmError(line, `${mn}: the base register must be sp`);
      const isStore = fmt === "CSS" || mn === "c.sw" || mn === "c.sd" || mn === "c.fsd";
      const data = mn.startsWith("c.f") ? fpReg(ops[0], line, mn) : r(0);
      if (isStore) newInst(st, mn, 0, m.base, data, m.off);
      else newInst(st, mn, data, m.base, 0, m.off);
      return;
    }
  }
}

const DATA_WIDTHS: Record<string, number> = { ".byte": 1, ".half": 2, ".short": 2, ".2byte": 2, ".word": 4, ".long": 4, ".4byte": 4, ".dword": 8, ".quad": 8, ".8byte": 8 };

function parseDirective(st: ParseState, name: string, rest: string): void {
  const line = st.line;
  const push = (item: Omit<DataItem, "addr" | "section" | "size"> | Omit<BytesItem, "addr" | "section" | "size"> | Omit<AlignItem, "addr" | "section" | "size">): void => {
    st.items.push({ ...item, addr: 0n, section: st.section, size: 0 } as Item);
  };
  const width = DATA_WIDTHS[name];
  if (width !== undefined) {
    const values = splitOperands(rest).map((t) => parseExpr(t, line, st.locals));
    if (values.length === 0) throw new AsmError(line, `${name} needs at least one value`);
    push({ kind: "data", line, width, values });
    return;
  }
  switch (name) {
    case ".text": st.section = "text"; return;
    case ".data": case ".rodata": case ".bss": case ".sdata": case ".sbss": st.section = "data"; return;
    case ".section": {
      const sec = (splitOperands(rest)[0] ?? "").trim();
      if (sec === ".text" || sec.startsWith(".text.")) st.section = "text";
      else if (/^\.(data|rodata|bss|sdata|sbss)(\.|$)/.test(sec)) st.section = "data";
      else throw new AsmError(line, `unknown section "${sec}" (use .text or .data)`);
      return;
    }
    case ".zero": case ".space": case ".skip": {
      const ops = splitOperands(rest);
      const n = constValue(parseExpr(ops[0] ?? "", line, st.locals), line, st);
      const fill = ops[1] ? Number(constValue(parseExpr(ops[1], line, st.locals), line, st) & 0xffn) : 0;
      if (n < 0n || n > 1n << 28n) throw new AsmError(line, `${name}: size ${n} is out of range`);
      push({ kind: "bytes", line, bytes: new Uint8Array(Number(n)).fill(fill) });
      return;
    }
    case ".string": case ".asciz": case ".ascii": {
      const parts = splitOperands(rest);
      for (const p of parts) {
        const m = /^"((?:\\.|[^"\\])*)"$/.exec(p);
        if (!m) throw new AsmError(line, `${name}: expected a quoted string, got ${p}`);
        const text = unescape(m[1]!);
        const bytes = new Uint8Array(text.length + (name === ".ascii" ? 0 : 1));
        for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i) & 0xff;
        push({ kind: "bytes", line, bytes });
      }
      return;
    }
    case ".align": case ".p2align": case ".balign": {
      const v = constValue(parseExpr(splitOperands(rest)[0] ?? "", line, st.locals), line, st);
      const align = name === ".balign" ? Number(v) : 2 ** Number(v);
      if (!(align >= 1 && align <= 65536 && (align & (align - 1)) === 0)) throw new AsmError(line, `${name}: bad alignment ${v}`);
      push({ kind: "align", line, align });
      return;
    }
    case ".equ": case ".set": {
      const ops = splitOperands(rest);
      if (ops.length !== 2 || !/^[A-Za-z_.$][\w.$]*$/.test(ops[0]!)) throw new AsmError(line, `${name} takes a name and a value`);
      st.equs.set(ops[0]!, constValue(parseExpr(ops[1]!, line, st.locals), line, st));
      return;
    }
    case ".option": {
      const o = rest.trim();
      if (o === "rvc" || o === "norvc") { st.rvc = o === "rvc"; return; }
      if (o === "push") { st.rvcStack.push(st.rvc); return; }
      if (o === "pop") {
        const prev = st.rvcStack.pop();
        if (prev === undefined) throw new AsmError(line, ".option pop without a matching push");
        st.rvc = prev;
        return;
      }
      if (o === "relax" || o === "norelax") return;
      throw new AsmError(line, `unknown .option ${o}`);
    }
    case ".globl": case ".global": case ".local": case ".type": case ".size": case ".file": case ".ident": case ".attribute":
    case ".weak": case ".hidden": case ".cfi_startproc": case ".cfi_endproc":
      return;
  }
  throw new AsmError(line, `unknown directive ${name}`);
}

function parseSource(source: string, compress: boolean): ParseState {
  const st: ParseState = { items: [], section: "text", locals: new LocalLabels(), equs: new Map(), line: 0, rvc: compress, rvcStack: [] };
  const lines = source.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    st.line = n + 1;
    for (let stmt of splitStatements(lines[n]!)) {
      for (;;) {
        const m = /^\s*([A-Za-z_.$][\w.$]*|\d+)\s*:/.exec(stmt);
        if (!m) break;
        const raw = m[1]!;
        const name = /^\d+$/.test(raw) ? st.locals.define(raw) : raw;
        st.items.push({ kind: "label", line: st.line, name, addr: 0n, section: st.section, size: 0 });
        stmt = stmt.slice(m[0].length);
      }
      const s = stmt.trim();
      if (s === "") continue;
      const m = /^(\S+)\s*(.*)$/.exec(s)!;
      const head = m[1]!;
      if (head.startsWith(".") && !CSPECS.has(head.toLowerCase())) parseDirective(st, head.toLowerCase(), m[2]!);
      else parseInstruction(st, head, m[2]!);
    }
  }
  return st;
}

// --------------------------------------------------------------- evaluate

type Lookup = (name: string) => Value;

function evaluate(e: Expr, line: number, lookup: Lookup, pc: bigint | null): Value {
  switch (e.k) {
    case "num": return { v: e.v, reloc: false };
    case "sym": return lookup(e.name);
    case "dot":
      if (pc === null) throw new AsmError(line, `"." is not known here`);
      return { v: pc, reloc: true };
    case "un": {
      const a = evaluate(e.a, line, lookup, pc);
      return { v: e.op === "-" ? -a.v : e.op === "~" ? ~a.v : a.v, reloc: a.reloc };
    }
    case "bin": {
      const a = evaluate(e.a, line, lookup, pc);
      const b = evaluate(e.b, line, lookup, pc);
      // A difference of two addresses is a plain number.
      const reloc = e.op === "-" ? a.reloc !== b.reloc : a.reloc || b.reloc;
      switch (e.op) {
        case "+": return { v: a.v + b.v, reloc };
        case "-": return { v: a.v - b.v, reloc };
        case "*": return { v: a.v * b.v, reloc };
        case "/": case "%":
          if (b.v === 0n) throw new AsmError(line, "division by zero in expression");
          return { v: e.op === "/" ? a.v / b.v : a.v % b.v, reloc };
        case "<<": return { v: a.v << b.v, reloc };
        case ">>": return { v: a.v >> b.v, reloc };
        case "&": return { v: a.v & b.v, reloc };
        case "|": return { v: a.v | b.v, reloc };
        case "^": return { v: a.v ^ b.v, reloc };
      }
      throw new AsmError(line, `bad operator ${e.op}`);
    }
    case "mod": {
      if (e.mod === "pcrel_lo") throw new AsmError(line, "%pcrel_lo is only allowed as an I-type or S-type immediate");
      const a = evaluate(e.a, line, lookup, pc);
      if (e.mod === "hi") return { v: ((a.v + 0x800n) >> 12n) & 0xfffffn, reloc: false };
      if (e.mod === "lo") return { v: BigInt.asIntN(12, a.v), reloc: false };
      if (pc === null) throw new AsmError(line, "%pcrel_hi needs an instruction address");
      return { v: ((a.v - pc + 0x800n) >> 12n) & 0xfffffn, reloc: false };
    }
    case "pcrel_lo_of": {
      const hi = e.anchor;
      const target = hi.imm && hi.imm.k === "mod" ? evaluate(hi.imm.a, line, lookup, hi.addr).v : 0n;
      return { v: BigInt.asIntN(12, target - hi.addr), reloc: false };
    }
  }
}

// ---------------------------------------------------------------- encoding

const rType = (f7: number, rs2: number, rs1: number, f3: number, rd: number, op: number): number =>
  ((f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0;
const iType = (imm: number, rs1: number, f3: number, rd: number, op: number): number =>
  (((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0;
const sType = (imm: number, rs2: number, rs1: number, f3: number, op: number): number =>
  ((((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 0x1f) << 7) | op) >>> 0;
const bType = (imm: number, rs2: number, rs1: number, f3: number, op: number): number =>
  ((((imm >> 12) & 1) << 31) | (((imm >> 5) & 0x3f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) |
    (((imm >> 1) & 0xf) << 8) | (((imm >> 11) & 1) << 7) | op) >>> 0;
const uType = (imm20: number, rd: number, op: number): number => (((imm20 & 0xfffff) << 12) | (rd << 7) | op) >>> 0;
const jType = (imm: number, rd: number, op: number): number =>
  ((((imm >> 20) & 1) << 31) | (((imm >> 1) & 0x3ff) << 21) | (((imm >> 11) & 1) << 20) | (((imm >> 12) & 0xff) << 12) |
    (rd << 7) | op) >>> 0;

const bit = (v: number, hi: number, lo = hi): number => (v >> lo) & ((1 << (hi - lo + 1)) - 1);
const isC = (r: number): boolean => r >= 8 && r <= 15;
const fitsS = (v: bigint, bits: number): boolean => v >= -(1n << BigInt(bits - 1)) && v < 1n << BigInt(bits - 1);
const fitsU = (v: bigint, bits: number): boolean => v >= 0n && v < 1n << BigInt(bits);

interface Resolved {
  /** Immediate after evaluation: for branches/jumps the pc-relative offset. */
  imm: bigint;
  /** Whether the immediate came from a label. */
  reloc: boolean;
}

/** Encodes the 32-bit form. Checks every immediate's range. */
function encode32(it: InstItem, res: Resolved): number {
  const spec = SPECS.get(it.mn)!;
  const imm = res.imm;
  const fail = (what: string): never => {
    throw new AsmError(it.line, `${it.mn}: ${what}`);
  };
  const n = Number(BigInt.asIntN(32, imm));
  switch (spec.fmt) {
    case "R": return rType(spec.f7, it.rs2, it.rs1, spec.f3, it.rd, spec.opcode);
    case "I": case "LOAD": case "JALR":
      if (!fitsS(imm, 12)) fail(`immediate ${imm} is out of range (-2048..2047)`);
      return iType(n, it.rs1, spec.f3, it.rd, spec.opcode);
    case "SHIFT":
      if (!fitsU(imm, 6)) fail(`shift amount ${imm} is out of range (0..63)`);
      return iType((spec.f7 << 5) | n, it.rs1, spec.f3, it.rd, spec.opcode);
    case "SHIFTW":
      if (!fitsU(imm, 5)) fail(`shift amount ${imm} is out of range (0..31)`);
      return iType((spec.f7 << 5) | n, it.rs1, spec.f3, it.rd, spec.opcode);
    case "STORE":
      if (!fitsS(imm, 12)) fail(`offset ${imm} is out of range (-2048..2047)`);
      return sType(n, it.rs2, it.rs1, spec.f3, spec.opcode);
    case "BRANCH":
      if (!fitsS(imm, 13)) fail(`branch target is ${imm} bytes away, beyond ±4 KiB`);
      if (imm & 1n) fail(`branch offset ${imm} is odd`);
      return bType(n, it.rs2, it.rs1, spec.f3, spec.opcode);
    case "JAL":
      if (!fitsS(imm, 21)) fail(`jump target is ${imm} bytes away, beyond ±1 MiB`);
      if (imm & 1n) fail(`jump offset ${imm} is odd`);
      return jType(n, it.rd, spec.opcode);
    case "U":
      if (!(imm >= -(1n << 19n) && imm <= 0xfffffn)) fail(`immediate ${imm} is out of range (0..0xfffff)`);
      return uType(n, it.rd, spec.opcode);
    case "AMO": return rType(spec.f7, it.rs2, it.rs1, spec.f3, it.rd, spec.opcode);
    case "LR": return rType(spec.f7, 0, it.rs1, spec.f3, it.rd, spec.opcode);
    case "CSR": return iType(it.extra, it.rs1, spec.f3, it.rd, spec.opcode);
    case "CSRI":
      if (!fitsU(imm, 5)) fail(`immediate ${imm} is out of range (0..31)`);
      return iType(it.extra, n, spec.f3, it.rd, spec.opcode);
    case "FENCE": return iType(it.extra, 0, 0, 0, 0x0f);
    case "FLOAD":
      if (!fitsS(imm, 12)) fail(`offset ${imm} is out of range (-2048..2047)`);
      return iType(n, it.rs1, spec.f3, it.rd, spec.opcode);
    case "FSTORE":
      if (!fitsS(imm, 12)) fail(`offset ${imm} is out of range (-2048..2047)`);
      return sType(n, it.rs2, it.rs1, spec.f3, spec.opcode);
    case "FRM": case "FRN": return rType(spec.f7, it.rs2, it.rs1, it.extra & 7, it.rd, spec.opcode);
    case "FR4": return (((it.extra >> 3) << 27) | rType(spec.f7, it.rs2, it.rs1, it.extra & 7, it.rd, spec.opcode)) >>> 0;
    case "SYS":
      if (it.mn === "ecall") return 0x00000073;
      if (it.mn === "ebreak") return 0x00100073;
      if (it.mn === "fence.i") return 0x0000100f;
      return 0x8330000f; // fence.tso
  }
}

/** The RVC encoding of a compressed mnemonic, or null when the operands do not
 *  fit (registers outside x8..x15, immediates out of range, forbidden x0). */
function encodeC(mn: string, rd: number, rs1: number, rs2: number, immBig: bigint): number | null {
  const imm = Number(BigInt.asIntN(32, immBig));
  const cr = (r: number): number => r - 8;
  switch (mn) {
    case "c.addi4spn":
      if (!isC(rd) || rs1 !== 2 || !fitsU(immBig, 10) || imm === 0 || imm % 4) return null;
      return (bit(imm, 5, 4) << 11) | (bit(imm, 9, 6) << 7) | (bit(imm, 2) << 6) | (bit(imm, 3) << 5) | (cr(rd) << 2);
    case "c.lw": case "c.sw": {
      const r = mn === "c.lw" ? rd : rs2;
      if (!isC(r) || !isC(rs1) || !fitsU(immBig, 7) || imm % 4) return null;
      return ((mn === "c.lw" ? 2 : 6) << 13) | (bit(imm, 5, 3) << 10) | (cr(rs1) << 7) | (bit(imm, 2) << 6) | (bit(imm, 6) << 5) | (cr(r) << 2);
    }
    case "c.ld": case "c.sd": {
      const r = mn === "c.ld" ? rd : rs2;
      if (!isC(r) || !isC(rs1) || !fitsU(immBig, 8) || imm % 8) return null;
      return ((mn === "c.ld" ? 3 : 7) << 13) | (bit(imm, 5, 3) << 10) | (cr(rs1) << 7) | (bit(imm, 7, 6) << 5) | (cr(r) << 2);
    }
    case "c.fld": case "c.fsd": {
      const r = mn === "c.fld" ? rd : rs2;
      if (!isC(r) || !isC(rs1) || !fitsU(immBig, 8) || imm % 8) return null;
      return ((mn === "c.fld" ? 1 : 5) << 13) | (bit(imm, 5, 3) << 10) | (cr(rs1) << 7) | (bit(imm, 7, 6) << 5) | (cr(r) << 2);
    }
    case "c.fldsp":
      if (rs1 !== 2 || !fitsU(immBig, 9) || imm % 8) return null;
      return (1 << 13) | (bit(imm, 5) << 12) | (rd << 7) | (bit(imm, 4, 3) << 5) | (bit(imm, 8, 6) << 2) | 0x2;
    case "c.fsdsp":
      if (rs1 !== 2 || !fitsU(immBig, 9) || imm % 8) return null;
      return (5 << 13) | (bit(imm, 5, 3) << 10) | (bit(imm, 8, 6) << 7) | (rs2 << 2) | 0x2;
    case "c.nop": return imm === 0 ? 0x0001 : null;
    case "c.addi":
      if (rd === 0 || rd !== rs1 || imm === 0 || !fitsS(immBig, 6)) return null;
      return (bit(imm, 5) << 12) | (rd << 7) | (bit(imm, 4, 0) << 2) | 0x1;
    case "c.addiw":
      if (rd === 0 || rd !== rs1 || !fitsS(immBig, 6)) return null;
      return (1 << 13) | (bit(imm, 5) << 12) | (rd << 7) | (bit(imm, 4, 0) << 2) | 0x1;
    case "c.li":
      if (rd === 0 || !fitsS(immBig, 6)) return null;
      return (2 << 13) | (bit(imm, 5) << 12) | (rd << 7) | (bit(imm, 4, 0) << 2) | 0x1;
    case "c.addi16sp":
      if (rd !== 2 || rs1 !== 2 || imm === 0 || imm % 16 || !fitsS(immBig, 10)) return null;
      return (3 << 13) | (bit(imm, 9) << 12) | (2 << 7) | (bit(imm, 4) << 6) | (bit(imm, 6) << 5) | (bit(imm, 8, 7) << 3) |
        (bit(imm, 5) << 2) | 0x1;
    case "c.lui": {
      // The immediate is the lui field (bits 31..12), sign-extended from 6 bits.
      if (rd === 0 || rd === 2) return null;
      const v = immBig >= 0xfffe0n && immBig <= 0xfffffn ? immBig - 0x100000n : immBig;
      if (v === 0n || !fitsS(v, 6)) return null;
      const f = Number(v);
      return (3 << 13) | (bit(f, 5) << 12) | (rd << 7) | (bit(f, 4, 0) << 2) | 0x1;
    }
    case "c.srli": case "c.srai":
      if (!isC(rd) || rd !== rs1 || imm === 0 || !fitsU(immBig, 6)) return null;
      return (4 << 13) | (bit(imm, 5) << 12) | ((mn === "c.srli" ? 0 : 1) << 10) | (cr(rd) << 7) | (bit(imm, 4, 0) << 2) | 0x1;
    case "c.andi":
      if (!isC(rd) || rd !== rs1 || !fitsS(immBig, 6)) return null;
      return (4 << 13) | (bit(imm, 5) << 12) | (2 << 10) | (cr(rd) << 7) | (bit(imm, 4, 0) << 2) | 0x1;
    case "c.sub": case "c.xor": case "c.or": case "c.and": case "c.subw": case "c.addw": {
      if (!isC(rd) || rd !== rs1 || !isC(rs2)) return null;
      const w = mn === "c.subw" || mn === "c.addw" ? 1 : 0;
      const f2 = { "c.sub": 0, "c.xor": 1, "c.or": 2, "c.and": 3, "c.subw": 0, "c.addw": 1 }[mn];
      return (4 << 13) | (w << 12) | (3 << 10) | (cr(rd) << 7) | (f2 << 5) | (cr(rs2) << 2) | 0x1;
    }
    case "c.j":
      if (!fitsS(immBig, 12) || imm & 1) return null;
      return (5 << 13) | (bit(imm, 11) << 12) | (bit(imm, 4) << 11) | (bit(imm, 9, 8) << 9) | (bit(imm, 10) << 8) |
        (bit(imm, 6) << 7) | (bit(imm, 7) << 6) | (bit(imm, 3, 1) << 3) | (bit(imm, 5) << 2) | 0x1;
    case "c.beqz": case "c.bnez":
      if (!isC(rs1) || !fitsS(immBig, 9) || imm & 1) return null;
      return ((mn === "c.beqz" ? 6 : 7) << 13) | (bit(imm, 8) << 12) | (bit(imm, 4, 3) << 10) | (cr(rs1) << 7) |
        (bit(imm, 7, 6) << 5) | (bit(imm, 2, 1) << 3) | (bit(imm, 5) << 2) | 0x1;
    case "c.slli":
      if (rd === 0 || rd !== rs1 || imm === 0 || !fitsU(immBig, 6)) return null;
      return (bit(imm, 5) << 12) | (rd << 7) | (bit(imm, 4, 0) << 2) | 0x2;
    case "c.lwsp":
      if (rd === 0 || rs1 !== 2 || !fitsU(immBig, 8) || imm % 4) return null;
      return (2 << 13) | (bit(imm, 5) << 12) | (rd << 7) | (bit(imm, 4, 2) << 4) | (bit(imm, 7, 6) << 2) | 0x2;
    case "c.ldsp":
      if (rd === 0 || rs1 !== 2 || !fitsU(immBig, 9) || imm % 8) return null;
      return (3 << 13) | (bit(imm, 5) << 12) | (rd << 7) | (bit(imm, 4, 3) << 5) | (bit(imm, 8, 6) << 2) | 0x2;
    case "c.jr":
      if (rs1 === 0 || imm !== 0) return null;
      return (4 << 13) | (rs1 << 7) | 0x2;
    case "c.jalr":
      if (rs1 === 0 || imm !== 0) return null;
      return (4 << 13) | (1 << 12) | (rs1 << 7) | 0x2;
    case "c.mv":
      if (rd === 0 || rs2 === 0) return null;
      return (4 << 13) | (rd << 7) | (rs2 << 2) | 0x2;
    case "c.add":
      if (rd === 0 || rs2 === 0 || rd !== rs1) return null;
      return (4 << 13) | (1 << 12) | (rd << 7) | (rs2 << 2) | 0x2;
    case "c.ebreak": return 0x9002;
    case "c.swsp":
      if (rs1 !== 2 || !fitsU(immBig, 8) || imm % 4) return null;
      return (6 << 13) | (bit(imm, 5, 2) << 9) | (bit(imm, 7, 6) << 7) | (rs2 << 2) | 0x2;
    case "c.sdsp":
      if (rs1 !== 2 || !fitsU(immBig, 9) || imm % 8) return null;
      return (7 << 13) | (bit(imm, 5, 3) << 10) | (bit(imm, 8, 6) << 7) | (rs2 << 2) | 0x2;
  }
  return null;
}

/** The compressed equivalent of a 32-bit instruction, tried in the same order
 *  as the standard compression patterns; null when there is none. */
function compressAuto(it: InstItem, imm: bigint): number | null {
  const { mn, rd, rs1, rs2 } = it;
  const tryC = (c: string, d: number, s1: number, s2: number, i: bigint): number | null => encodeC(c, d, s1, s2, i);
  switch (mn) {
    case "addi":
      return tryC("c.addi4spn", rd, rs1, 0, imm) ??
        (rd === 0 && rs1 === 0 && imm === 0n ? 0x0001 : null) ??
        (rs1 === rd ? tryC("c.addi", rd, rs1, 0, imm) : null) ??
        (rs1 === 0 ? tryC("c.li", rd, 0, 0, imm) : null) ??
        tryC("c.addi16sp", rd, rs1, 0, imm) ??
        (imm === 0n && rs1 !== 0 ? tryC("c.mv", rd, rd, rs1, 0n) : null);
    case "addiw": return rd === rs1 ? tryC("c.addiw", rd, rs1, 0, imm) : rs1 === 0 ? tryC("c.li", rd, 0, 0, imm) : null;
    case "lui": return tryC("c.lui", rd, 0, 0, imm);
    case "srli": case "srai": case "andi": case "slli":
      return rd === rs1 ? tryC(`c.${mn}`, rd, rs1, 0, imm) : null;
    case "sub": case "subw": return rd === rs1 ? tryC(`c.${mn}`, rd, rs1, rs2, 0n) : null;
    case "xor": case "or": case "and": case "addw":
      return rd === rs1 ? tryC(`c.${mn}`, rd, rs1, rs2, 0n) : rd === rs2 ? tryC(`c.${mn}`, rd, rs2, rs1, 0n) : null;
    case "jal": return rd === 0 ? tryC("c.j", 0, 0, 0, imm) : null;
    case "beq": return rs2 === 0 ? tryC("c.beqz", 0, rs1, 0, imm) : null;
    case "bne": return rs2 === 0 ? tryC("c.bnez", 0, rs1, 0, imm) : null;
    case "lw": return tryC("c.lw", rd, rs1, 0, imm) ?? tryC("c.lwsp", rd, rs1, 0, imm);
    case "ld": return tryC("c.ld", rd, rs1, 0, imm) ?? tryC("c.ldsp", rd, rs1, 0, imm);
    case "sw": return tryC("c.sw", 0, rs1, rs2, imm) ?? tryC("c.swsp", 0, rs1, rs2, imm);
    case "sd": return tryC("c.sd", 0, rs1, rs2, imm) ?? tryC("c.sdsp", 0, rs1, rs2, imm);
    case "fld": return tryC("c.fld", rd, rs1, 0, imm) ?? tryC("c.fldsp", rd, rs1, 0, imm);
    case "fsd": return tryC("c.fsd", 0, rs1, rs2, imm) ?? tryC("c.fsdsp", 0, rs1, rs2, imm);
    case "jalr":
      if (imm !== 0n) return null;
      return rd === 0 ? tryC("c.jr", 0, rs1, 0, 0n) : rd === 1 ? tryC("c.jalr", 1, rs1, 0, 0n) : null;
    case "add":
      if (rs1 === 0) return tryC("c.mv", rd, rd, rs2, 0n);
      if (rs2 === 0) return tryC("c.mv", rd, rd, rs1, 0n);
      return rd === rs1 ? tryC("c.add", rd, rs1, rs2, 0n) : rd === rs2 ? tryC("c.add", rd, rs2, rs1, 0n) : null;
    case "ebreak": return 0x9002;
  }
  return null;
}

const isPcRelative = (mn: string): boolean => {
  const f = SPECS.get(mn)?.fmt;
  return f === "BRANCH" || f === "JAL" || mn === "c.j" || mn === "c.beqz" || mn === "c.bnez";
};

// ------------------------------------------------------------------ layout

export function assemble(source: string, options: AsmOptions = {}): AsmOutput {
  const st = parseSource(source, options.compress ?? false);
  const items = st.items;
  const textAddress = options.textAddress ?? 0x10000n;
  const symbols = new Map<string, { item: LabelItem }>();
  for (const it of items) {
    if (it.kind !== "label") continue;
    if (symbols.has(it.name) || st.equs.has(it.name)) throw new AsmError(it.line, `label "${it.name}" is defined twice`);
    symbols.set(it.name, { item: it });
  }
  const lookup: Lookup = (name) => {
    const s = symbols.get(name);
    if (s) return { v: s.item.addr, reloc: true };
    const c = st.equs.get(name);
    if (c !== undefined) return { v: c, reloc: false };
    throw new UndefinedSymbol(name);
  };
  const resolve = (it: InstItem): Resolved => {
    if (!it.imm) return { imm: 0n, reloc: false };
    try {
      const v = evaluate(it.imm, it.line, lookup, it.addr);
      if (isPcRelative(it.mn) && v.reloc) return { imm: v.v - it.addr, reloc: true };
      return { imm: v.v, reloc: v.reloc };
    } catch (e) {
      if (e instanceof UndefinedSymbol) throw new AsmError(it.line, `undefined symbol "${e.symbol}"`);
      throw e;
    }
  };
  const dependsOnLabels = (e: Expr | null): boolean => {
    if (!e) return false;
    switch (e.k) {
      case "num": return false;
      case "sym": return !st.equs.has(e.name);
      case "dot": case "pcrel_lo_of": return true;
      case "un": case "mod": return e.k === "mod" || dependsOnLabels(e.a);
      case "bin": return dependsOnLabels(e.a) || dependsOnLabels(e.b);
    }
  };

  // Decide sizes that do not depend on layout.
  const compressed = new Map<InstItem, number>();
  for (const it of items) {
    if (it.kind !== "inst" || it.explicitC || !it.autoC) continue;
    if (!dependsOnLabels(it.imm)) {
      const c = compressAuto(it, it.imm ? evaluate(it.imm, it.line, lookup, null).v : 0n);
      if (c !== null) {
        it.size = 2;
        compressed.set(it, c);
      }
    } else if (it.imm && !hasModifier(it.imm) && (it.mn === "jal" ? it.rd === 0 : (it.mn === "beq" || it.mn === "bne") && it.rs2 === 0 && isC(it.rs1))) {
      // A branch to a label starts compressed and grows if its target is out of reach.
      it.relaxable = true;
      it.size = 2;
    }
  }

  let textEnd = textAddress;
  let dataAddress = options.dataAddress ?? 0n;
  const place = (): void => {
    const cursor: Record<SectionName, bigint> = { text: textAddress, data: 0n };
    for (const sec of ["text", "data"] as const) {
      if (sec === "data") cursor.data = dataAddress = options.dataAddress ?? (textEnd + 0xfffn) & ~0xfffn;
      for (const it of items) {
        if (it.section !== sec) continue;
        it.addr = cursor[sec];
        if (it.kind === "align") {
          const a = BigInt(it.align);
          it.size = Number((a - (it.addr % a)) % a);
        } else if (it.kind === "data") it.size = it.width * it.values.length;
        else if (it.kind === "bytes") it.size = it.bytes.length;
        cursor[sec] += BigInt(it.size);
      }
      if (sec === "text") textEnd = cursor.text;
    }
  };
  for (let round = 0; ; round++) {
    place();
    let grew = false;
    for (const it of items) {
      if (it.kind !== "inst" || !it.relaxable || it.size === 4) continue;
      const r = resolve(it);
      const c = it.mn === "jal" ? "c.j" : it.mn === "beq" ? "c.beqz" : "c.bnez";
      if (encodeC(c, 0, it.rs1, 0, r.imm) === null) {
        it.size = 4;
        grew = true;
      }
    }
    if (!grew) break;
    if (round > 10000) throw new AsmError(0, "layout did not settle");
  }

  // Encode.
  const textSize = Number(textEnd - textAddress);
  const dataSize = items.filter((i) => i.section === "data").reduce((n, i) => n + i.size, 0);
  const out: Record<SectionName, Uint8Array> = { text: new Uint8Array(textSize), data: new Uint8Array(dataSize) };
  const base: Record<SectionName, bigint> = { text: textAddress, data: dataAddress };
  const put = (it: Item, value: bigint, width: number, at: number): void => {
    const buf = out[it.section];
    for (let i = 0; i < width; i++) buf[at + i] = Number((value >> BigInt(8 * i)) & 0xffn);
  };
  for (const it of items) {
    const at = Number(it.addr - base[it.section]);
    switch (it.kind) {
      case "label": break;
      case "bytes": out[it.section].set(it.bytes, at); break;
      case "align":
        if (it.section === "text") {
          // Pad with nops: c.nop for an odd halfword, then 4-byte nops.
          let k = 0;
          if (it.size % 4 === 2) { put(it, 0x0001n, 2, at); k = 2; }
          for (; k + 4 <= it.size; k += 4) put(it, 0x00000013n, 4, at + k);
        }
        break;
      case "data":
        it.values.forEach((e, i) => {
          let v: bigint;
          try {
            v = evaluate(e, it.line, lookup, it.addr + BigInt(i * it.width)).v;
          } catch (err) {
            if (err instanceof UndefinedSymbol) throw new AsmError(it.line, `undefined symbol "${err.symbol}"`);
            throw err;
          }
          const bits = BigInt(it.width * 8);
          if (v >= 1n << bits || v < -(1n << (bits - 1n))) throw new AsmError(it.line, `value ${v} does not fit in ${it.width} byte(s)`);
          put(it, BigInt.asUintN(Number(bits), v), it.width, at + i * it.width);
        });
        break;
      case "inst": {
        const pre = compressed.get(it);
        if (pre !== undefined) { put(it, BigInt(pre), 2, at); break; }
        const res = resolveImm(it, resolve, items, lookup);
        if (it.explicitC) {
          const c = encodeC(it.mn, it.rd, it.rs1, it.rs2, res.imm);
          if (c === null) throw new AsmError(it.line, `${it.mn}: operands do not fit the compressed form (registers must be x8..x15 where primed; check the immediate's range and alignment)`);
          put(it, BigInt(c), 2, at);
        } else if (it.size === 2) {
          const c = compressAuto(it, res.imm);
          if (c === null) throw new AsmError(it.line, `internal: ${it.mn} lost its compressed form`);
          put(it, BigInt(c), 2, at);
        } else put(it, BigInt(encode32(it, res)), 4, at);
        break;
      }
    }
  }

  const table = new Map<string, AsmSymbol>();
  for (const [name, { item }] of symbols) {
    table.set(name, { name, section: item.section, offset: Number(item.addr - base[item.section]), address: item.addr });
  }
  for (const [name, v] of st.equs) table.set(name, { name, section: "abs", offset: 0, address: v });
  return { text: out.text, data: out.data, textAddress, dataAddress, symbols: table };
}

class UndefinedSymbol extends Error {
  constructor(readonly symbol: string) {
    super(symbol);
  }
}

function hasModifier(e: Expr): boolean {
  if (e.k === "mod" || e.k === "pcrel_lo_of") return true;
  if (e.k === "un") return hasModifier(e.a);
  if (e.k === "bin") return hasModifier(e.a) || hasModifier(e.b);
  return false;
}

/** Resolves an instruction's immediate, including a user-written
 *  %pcrel_lo(label) that names the auipc carrying the matching %pcrel_hi. */
function resolveImm(it: InstItem, resolve: (it: InstItem) => Resolved, items: Item[], lookup: Lookup): Resolved {
  const e = it.imm;
  if (e && e.k === "mod" && e.mod === "pcrel_lo") {
    let anchorAddr: bigint;
    try {
      anchorAddr = evaluate(e.a, it.line, lookup, it.addr).v;
    } catch (err) {
      if (err instanceof UndefinedSymbol) throw new AsmError(it.line, `undefined symbol "${err.symbol}"`);
      throw err;
    }
    const hi = items.find((x): x is InstItem => x.kind === "inst" && x.mn === "auipc" && x.addr === anchorAddr);
    if (!hi || !hi.imm || hi.imm.k !== "mod" || hi.imm.mod !== "pcrel_hi") {
      throw new AsmError(it.line, "%pcrel_lo must name the label of an auipc with %pcrel_hi");
    }
    return { imm: evaluate({ k: "pcrel_lo_of", anchor: hi }, it.line, lookup, it.addr).v, reloc: false };
  }
  return resolve(it);
}

// ------------------------------------------------------- executables

export interface ProgramOptions extends AsmOptions {
  /** Entry symbol (default `_start`, else the first text byte). */
  entry?: string;
  /** Extra zeroed bytes after .data (bss). */
  bssBytes?: number;
}

/** Assembles `source` into a static ELF executable: text R+X, data R+W. */
export function assembleProgram(source: string, options: ProgramOptions = {}): { elf: Uint8Array; output: AsmOutput } {
  const output = assemble(source, options);
  const entrySym = output.symbols.get(options.entry ?? "_start");
  if (options.entry && !entrySym) throw new AsmError(0, `entry symbol "${options.entry}" is not defined`);
  const segments: ElfWriteSegment[] = [{ vaddr: output.textAddress, data: output.text, flags: PF_R | PF_X }];
  if (output.data.length > 0 || (options.bssBytes ?? 0) > 0) {
    segments.push({ vaddr: output.dataAddress, data: output.data, flags: PF_R | PF_W, memsz: BigInt(output.data.length + (options.bssBytes ?? 0)) });
  }
  return { elf: writeElf({ entry: entrySym?.address ?? output.textAddress, segments }), output };
}
