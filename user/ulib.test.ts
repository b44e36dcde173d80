// The user land, tested on the host: the portable parts of user/lib
// (strings, printf, malloc, the grep matcher, the shell parser, the line
// editor) are compiled
// with the host's clang under AddressSanitizer and UBSan together with
// user/test/driver.c, and checked against host libc and JS references, with
// fast-check generating the inputs. Also: the committed programs are valid
// Keel executables, the boot image holds them, and the build is reproducible.

import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EF_RISCV_FLOAT_ABI_DOUBLE, EF_RISCV_FLOAT_ABI_MASK, EF_RISCV_FLOAT_ABI_SOFT, PF_R, PF_W, PF_X, parseElf } from "../host/rv/elf.js";
import { CFLAGS, CFLAGS_GC, TARGET_FLAGS, TARGET_FLAGS_GC, programOptions } from "./build.mjs";
import { BootfsError, T_DEVICE, T_FILE, parseBootfs, writeBootfs, type BootfsEntry } from "./mkbootfs.js";
import { EditorModel, KEYS, Terminal, columnsTo, wrapped, type Action, type Key } from "./test/rledit-model.js";

const USER = dirname(fileURLToPath(import.meta.url));
const PORTABLE = ["string", "ctype", "printf", "malloc", "stdlib", "regex", "shparse", "rledit", "sync"];
const HOST_FLAGS = ["-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-builtin", "-Wall", "-Werror"];

let work = "";
let driverPath = "";

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "keel-ulib-"));
  const objects = PORTABLE.map((name) => {
    const out = join(work, `${name}.o`);
    execFileSync("clang", [...HOST_FLAGS, "-I", join(USER, "include"), "-include", join(USER, "test", "host-rename.h"), "-c", join(USER, "lib", `${name}.c`), "-o", out]);
    return out;
  });
  driverPath = join(work, "driver");
  execFileSync("clang", [...HOST_FLAGS, "-pthread", join(USER, "test", "driver.c"), join(USER, "test", "host-futex.c"), ...objects, "-o", driverPath]);
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Runs the driver in one mode with stdin; returns stdout, throwing on a non-zero exit. */
function driver(args: string[], input = ""): string {
  const r = spawnSync(driverPath, args, { input, encoding: "utf8", maxBuffer: 64 << 20, env: { ...process.env, ASAN_OPTIONS: "detect_leaks=0" } });
  if (r.status !== 0) throw new Error(`driver ${args.join(" ")} exited ${r.status}:\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-4000)}`);
  return r.stdout;
}

describe("string, memory and number functions", () => {
  it("agree with the host C library on random buffers, alignments and lengths", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 }), (seed) => {
        expect(driver(["strings", String(seed), "400"])).toBe("ok 400\n");
      }),
      { numRuns: 15 },
    );
  });

  it("getline returns one line per call, NUL-terminated, and splits lines longer than the buffer", () => {
    expect(driver(["getline", "100"], "one\ntwo words\n\nlast")).toBe("4:one\n10:two words\n1:\n4:last|\nend 0\n");
    expect(driver(["getline", "4"], "abcdefg\n")).toBe("3:abc|\n3:def|\n2:g\nend 0\n");
  });
});

// ---- printf against a JS model of C's formatting ----

interface Conversion {
  flags: string;
  width: number | undefined;
  precision: number | undefined;
  conv: "d" | "i" | "u" | "x" | "X" | "s" | "c" | "p";
  length: "" | "l" | "ll";
}

/** C99 formatting of one integer, string or character conversion. */
function cFormat(c: Conversion, value: bigint | string): string {
  const left = c.flags.includes("-");
  let body: string;
  let prefix = "";
  let zeroPad = c.flags.includes("0") && !left;
  if (c.conv === "s" || c.conv === "c") {
    body = c.conv === "s" && c.precision !== undefined ? (value as string).slice(0, c.precision) : (value as string);
    zeroPad = false;
  } else {
    const v = value as bigint;
    const negative = v < 0n;
    const magnitude = negative ? -v : v;
    const base = c.conv === "x" || c.conv === "X" || c.conv === "p" ? 16 : 10;
    let digits = magnitude.toString(base);
    if (c.conv === "X") digits = digits.toUpperCase();
    const precision = c.conv === "p" && c.precision === undefined ? 1 : c.precision;
    if (precision !== undefined) {
      zeroPad = false;
      if (precision === 0 && magnitude === 0n) digits = "";
      digits = digits.padStart(precision, "0");
    }
    body = digits;
    if (c.conv === "d" || c.conv === "i") prefix = negative ? "-" : c.flags.includes("+") ? "+" : c.flags.includes(" ") ? " " : "";
    if (c.conv === "p") prefix = "0x";
  }
  const width = c.width ?? 0;
  const pad = Math.max(0, width - prefix.length - body.length);
  if (left) return prefix + body + " ".repeat(pad);
  if (zeroPad) return prefix + "0".repeat(pad) + body;
  return " ".repeat(pad) + prefix + body;
}

function specText(c: Conversion): string {
  return `%${c.flags}${c.width ?? ""}${c.precision !== undefined ? "." + c.precision : ""}${c.length}${c.conv}`;
}

const safeText = fc.string({ unit: fc.constantFrom(..."abcXYZ09 %-.<>!".split("")), maxLength: 12 });
const conversionArb: fc.Arbitrary<{ c: Conversion; value: bigint | string }> = fc
  .record({
    flags: fc.subarray(["-", "0", "+", " "]).map((f) => f.join("")),
    width: fc.option(fc.integer({ min: 0, max: 24 }), { nil: undefined }),
    precision: fc.option(fc.integer({ min: 0, max: 24 }), { nil: undefined }),
    conv: fc.constantFrom("d", "i", "u", "x", "X", "s", "c", "p") as fc.Arbitrary<Conversion["conv"]>,
    length: fc.constantFrom("", "l", "ll") as fc.Arbitrary<Conversion["length"]>,
  })
  .chain((c): fc.Arbitrary<{ c: Conversion; value: bigint | string }> => {
    const wide = c.length !== "";
    if (c.conv === "s") return safeText.map((value) => ({ c: { ...c, length: "" as const, flags: c.flags.replace("0", "") }, value }));
    if (c.conv === "c") return fc.constantFrom(..."az09#%".split("")).map((value) => ({ c: { ...c, length: "" as const, precision: undefined, flags: c.flags.replace("0", "") }, value }));
    if (c.conv === "p") return fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((value) => ({ c: { ...c, length: "" as const, flags: c.flags.replace(/[+ ]/g, "") }, value }));
    if (c.conv === "d" || c.conv === "i") {
      const bits = wide ? 63n : 31n;
      return fc.oneof(fc.bigInt({ min: -(2n ** bits), max: 2n ** bits - 1n }), fc.constantFrom(0n, -1n, 1n, -(2n ** bits))).map((value) => ({ c, value }));
    }
    const bits = wide ? 64n : 32n;
    return fc.oneof(fc.bigInt({ min: 0n, max: 2n ** bits - 1n }), fc.constantFrom(0n, 2n ** bits - 1n)).map((value) => ({ c: { ...c, flags: c.flags.replace(/[+ ]/g, "") }, value }));
  });

function driverType(c: Conversion): string {
  if (c.conv === "s" || c.conv === "c" || c.conv === "p") return c.conv;
  const signed = c.conv === "d" || c.conv === "i";
  return c.length === "" ? (signed ? "i" : "u") : signed ? "l" : "U";
}

describe("printf", () => {
  it("formats like C for random conversions, flags, widths, precisions and buffer sizes", () => {
    fc.assert(
      fc.property(fc.array(fc.record({ conv: conversionArb, before: safeText, after: safeText, size: fc.integer({ min: 0, max: 80 }) }), { minLength: 1, maxLength: 40 }), (cases) => {
        const lines = cases.map(({ conv: { c, value }, before, after, size }) => `${size}\t${driverType(c)}\t${value}\t${before.replace(/%/g, "%%")}${specText(c)}${after.replace(/%/g, "%%")}`);
        const out = driver(["printf"], lines.join("\n") + "\n").split("\n");
        cases.forEach(({ conv: { c, value }, before, after, size }, i) => {
          const full = before + cFormat(c, value) + after;
          const expected = `${full.length}\t${size > 0 ? full.slice(0, size - 1) : ""}\t${full}`;
          expect(out[i], `${specText(c)} of ${value} into ${size} bytes`).toBe(expected);
        });
      }),
      { numRuns: 60 },
    );
  });

  it("handles '*' widths, NULL strings, %%, and unknown conversions", () => {
    const out = driver(["printf"], ["100\tw\t-6,7\t[%*d]", "100\tw\t6,7\t[%*d]", "100\ts\t(NULL)\t<%s>", "100\tn\tx\t100%%", "100\ti\t5\t%q%d", "100\ti\t5\tend%"].join("\n") + "\n");
    expect(out.split("\n").slice(0, 6)).toEqual(["8\t[7     ]\t[7     ]", "8\t[     7]\t[     7]", "8\t<(null)>\t<(null)>", "4\t100%\t100%", "3\t%q5\t%q5", "4\tend%\tend%"]);
  });
});

describe("printf's %f %e %g", () => {
  const bitsOf = (d: number): string => {
    const v = new DataView(new ArrayBuffer(8));
    v.setFloat64(0, d, true);
    return v.getBigUint64(0, true).toString(16);
  };
  const value = fc.oneof(
    fc.double().map(bitsOf),
    fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((b) => b.toString(16)),
    fc.integer({ min: -1_000_000, max: 1_000_000 }).map((n) => bitsOf(n / 8)), // exact ties for rounding
    fc.constantFrom(0, -0, 0.5, 1.5, 2.5, 9.5, 0.125, 1e21, 1e-5, 123456789, 5e-324, 2.2250738585072014e-308, Infinity, -Infinity, NaN, 0.1, 2 / 3, 1e308, -1.7976931348623157e308).map(bitsOf),
  );
  const spec = fc.record({
    flags: fc.subarray(["-", "0", "+", " ", "#"]),
    width: fc.option(fc.integer({ min: 0, max: 40 }), { nil: undefined }),
    precision: fc.option(fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 30 }) }, { weight: 1, arbitrary: fc.integer({ min: 31, max: 400 }) }), { nil: undefined }),
    conv: fc.constantFrom("f", "F", "e", "E", "g", "G"),
  }).map(({ flags, width, precision, conv }) => `%${flags.join("")}${width ?? ""}${precision === undefined ? "" : "." + precision}${conv}`);

  it("match the host C library exactly for random values, flags, widths and precisions", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(value, spec, fc.constantFrom("", "x=", "[")), { minLength: 1, maxLength: 60 }), (cases) => {
        const lines = cases.map(([bits, f, before]) => `${bits}\t${before}${f}|`);
        const out = driver(["fp"], lines.join("\n") + "\n").split("\n");
        cases.forEach(([bits, f], i) => {
          const [ret, ours, hret, host] = out[i]!.split("\t");
          expect(ours, `${f} of 0x${bits}`).toBe(host);
          expect(ret).toBe(hret);
        });
      }),
      { numRuns: 40 },
    );
  });

  it("print the exact expansion of the extremes: the largest double and the smallest subnormal", () => {
    const out = driver(["fp"], ["7fefffffffffffff\t%.0f", "1\t%.1074f", "1\t%.760e", "7fefffffffffffff\t%.400e"].join("\n") + "\n").split("\n");
    for (const line of out.slice(0, 4)) {
      const [ret, ours, hret, host] = line.split("\t");
      expect(ours).toBe(host);
      expect(ret).toBe(hret);
    }
    expect(out[0]!.split("\t")[1]).toMatch(/^17976931348623157\d{292}$/);
  });
});

// ---- malloc ----

type MallocOp = string;
const mallocOp: fc.Arbitrary<MallocOp> = fc.oneof(
  { weight: 5, arbitrary: fc.nat({ max: 300 }).map((n) => `a ${n}`) },
  { weight: 1, arbitrary: fc.nat({ max: 200_000 }).map((n) => `a ${n}`) },
  { weight: 1, arbitrary: fc.tuple(fc.nat({ max: 20 }), fc.nat({ max: 64 })).map(([n, s]) => `c ${n} ${s}`) },
  { weight: 5, arbitrary: fc.nat().map((i) => `f ${i}`) },
  { weight: 3, arbitrary: fc.tuple(fc.nat(), fc.nat({ max: 3000 })).map(([i, n]) => `r ${i} ${n}`) },
);

describe("malloc", () => {
  it("random malloc/calloc/realloc/free sequences keep blocks disjoint, intact and aligned, and the free list sound", () => {
    fc.assert(
      fc.property(fc.array(mallocOp, { maxLength: 300 }), (ops) => {
        expect(driver(["malloc"], [...ops, "end"].join("\n") + "\n")).toMatch(/^ok /);
      }),
      { numRuns: 60 },
    );
  });

  it("returns NULL when sbrk refuses, and recovers", () => {
    const out = driver(["malloc"], ["limit 200000", "a 100", "a 150000", "a 150000", "a 10", "f 0", "a 400000", "end"].join("\n") + "\n");
    expect(out).toMatch(/^ok /);
  });

  it("freeing everything merges the heap back into a single block", () => {
    const ops = Array.from({ length: 200 }, (_, i) => `a ${(i * 37) % 500}`);
    const frees = Array.from({ length: 200 }, (_, i) => `f ${(i * 7919) % 1000}`);
    expect(driver(["malloc"], [...ops, ...frees, "end"].join("\n") + "\n")).toMatch(/^ok /);
  });
});

// ---- grep's matcher ----

/** The documented semantics, via a JS RegExp built from the same atoms. */
function referenceMatch(pattern: string, text: string): boolean {
  let re = pattern;
  const start = re.startsWith("^");
  if (start) re = re.slice(1);
  const end = re.endsWith("$");
  if (end) re = re.slice(0, -1);
  let source = "";
  for (let i = 0; i < re.length; i++) {
    const atom = re[i] === "." ? "[^]" : re[i]!.replace(/[\\^$.*+?()[\]{}|]/g, "\\$&");
    if (re[i + 1] === "*") {
      source += `(?:${atom})*`;
      i++;
    } else source += atom;
  }
  return new RegExp((start ? "^" : "") + source + (end ? "$" : "")).test(text);
}

describe("mutexes, condition variables and barriers (sync.c)", () => {
  it("hold under 4 real host threads: an exact counter, every item through a bounded queue, barriers in step", () => {
    const threads = 4, rounds = 10_000;
    const out = driver(["sync", String(threads), String(rounds)]);
    expect(out).toContain(`counter ${threads * rounds}\n`);
    expect(out).toContain(`queue ${(threads * rounds * (rounds + 1)) / 2} 1\n`);
    expect(out).toContain("barrier 0 20\n"); // nobody passed early; one last arrival per phase
  });
});

describe("grep's matcher", () => {
  it("follows the documented rules on directed cases", () => {
    const cases: Array<[string, string, number]> = [
      ["abc", "xxabcxx", 1], ["^abc", "xabc", 0], ["abc$", "abcx", 0], ["abc$", "xabc", 1], ["a.c", "abc", 1],
      ["a*b", "b", 1], ["^a*$", "", 1], ["^a*$", "aab", 0], ["", "anything", 1], ["$", "x", 1], ["^$", "", 1],
      ["^$", "x", 0], ["*a", "*a", 1], ["*a", "a", 0], ["a**", "a*", 1], ["^*", "*x", 1], ["a^b", "a^b", 1],
      ["a$b", "a$b", 1], [".*", "", 1], ["^.*x.*$", "aaxbb", 1], ["a.*b.*c", "a--b--c", 1], ["a.*b.*c", "a--c--b", 0],
    ];
    const out = driver(["grep"], cases.map(([p, t]) => `${p}\t${t}`).join("\n") + "\n").trim().split("\n");
    cases.forEach(([p, t, want], i) => expect(Number(out[i]), `${p} on "${t}"`).toBe(want));
  });

  it("agrees with a RegExp reference on random patterns over a small alphabet", () => {
    const patternArb = fc.string({ unit: fc.constantFrom("a", "b", ".", "*", "^", "$"), maxLength: 8 });
    const textArb = fc.string({ unit: fc.constantFrom("a", "b", "*", "^", "$", "."), maxLength: 12 });
    fc.assert(
      fc.property(fc.array(fc.tuple(patternArb, textArb), { minLength: 1, maxLength: 100 }), (cases) => {
        const out = driver(["grep"], cases.map(([p, t]) => `${p}\t${t}`).join("\n") + "\n").trim().split("\n");
        cases.forEach(([p, t], i) => expect(out[i] === "1", `"${p}" on "${t}"`).toBe(referenceMatch(p, t)));
      }),
      { numRuns: 60 },
    );
  });

  it("is linear, not exponential, on pathological patterns", () => {
    const pattern = "a*".repeat(40) + "b";
    const t0 = Date.now();
    expect(driver(["grep"], `${pattern}\t${"a".repeat(4000)}\n`)).toBe("0\n");
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});

// ---- the shell's parser ----

/** A JS model of the grammar in user/lib/shparse.c, producing sh_format's output. */
function referenceParse(line: string): string {
  const blanks = " \t\r\n";
  const operators = "|<>;&";
  let i = 0;
  type Token = { kind: "end" } | { kind: "word"; word: string } | { kind: "op"; op: string };
  const fail = (message: string): never => {
    throw new Error(message);
  };
  const next = (): Token => {
    while (i < line.length && blanks.includes(line[i]!)) i++;
    if (i >= line.length || line[i] === "#") return { kind: "end" };
    if (operators.includes(line[i]!)) return { kind: "op", op: line[i++]! };
    let word = "";
    while (i < line.length && !blanks.includes(line[i]!) && !operators.includes(line[i]!)) {
      const q = line[i]!;
      if (q === "'" || q === '"') {
        const close = line.indexOf(q, i + 1);
        if (close < 0) fail(`syntax error: unmatched ${q}`);
        word += line.slice(i + 1, close);
        i = close + 1;
      } else word += line[i++];
    }
    return { kind: "word", word };
  };
  const near = (t: Token, fallback: string): never => fail(`syntax error near '${t.kind === "op" ? t.op : fallback}'`);
  try {
    let tok = next();
    const jobs: string[] = [];
    const command = (after: string): string => {
      const words: string[] = [];
      let input: string | undefined, output: string | undefined;
      let elements = 0;
      for (;;) {
        if (tok.kind === "word") {
          if (words.length === 32) fail("too many arguments (at most 32)");
          words.push(tok.word);
        } else if (tok.kind === "op" && (tok.op === "<" || tok.op === ">")) {
          const op = tok.op;
          tok = next();
          if (tok.kind !== "word") near(tok, op);
          if (op === "<") input = (tok as { word: string }).word;
          else output = (tok as { word: string }).word;
        } else break;
        elements++;
        tok = next();
      }
      if (elements === 0) near(tok, after);
      return `[${words.join(",")}]${input !== undefined ? ` <${input}` : ""}${output !== undefined ? ` >${output}` : ""}`;
    };
    while (tok.kind !== "end") {
      const cmds: string[] = [];
      let after = "";
      for (;;) {
        cmds.push(command(after));
        if (!(tok.kind === "op" && tok.op === "|")) break;
        after = "|";
        tok = next();
      }
      let background = false;
      if (tok.kind === "op" && (tok.op === ";" || tok.op === "&")) {
        background = tok.op === "&";
        tok = next();
      }
      jobs.push(`${cmds.join(" | ")} ${background ? "&" : ";"}`);
    }
    return jobs.join(" ");
  } catch (e) {
    return `error: ${(e as Error).message}`;
  }
}

describe("the shell's parser", () => {
  it("parses pipelines, redirections, lists, background jobs, quotes and comments", () => {
    const cases: Array<[string, string]> = [
      ["", ""],
      ["   # only a comment", ""],
      ["echo hello", "[echo,hello] ;"],
      ["cat < in | grep x | wc > out", "[cat] <in | [grep,x] | [wc] >out ;"],
      ["a;b&c", "[a] ; [b] & [c] ;"],
      ["spin 2 5 &", "[spin,2,5] &"],
      ["echo 'a | b' \"c;d\"x", "[echo,a | b,c;dx] ;"],
      ["echo a#b # tail", "[echo,a#b] ;"],
      ["> created", "[] >created ;"],
      ["a > x > y < p < q", "[a] <q >y ;"],
      ["a | b | c | d | e | f | g | h | i | j | k | l", "[a] | [b] | [c] | [d] | [e] | [f] | [g] | [h] | [i] | [j] | [k] | [l] ;"],
      ["| a", "error: syntax error near '|'"],
      ["a |", "error: syntax error near '|'"],
      ["a | | b", "error: syntax error near '|'"],
      ["a | ; b", "error: syntax error near ';'"],
      ["a >", "error: syntax error near '>'"],
      ["a < | b", "error: syntax error near '|'"],
      ["; a", "error: syntax error near ';'"],
      ["a ; ; b", "error: syntax error near ';'"],
      ["&", "error: syntax error near '&'"],
      ["echo 'open", "error: syntax error: unmatched '"],
    ];
    const out = driver(["parse"], cases.map(([l]) => l).join("\n") + "\n").split("\n");
    cases.forEach(([line, want], i) => {
      expect(out[i], line).toBe(want);
      expect(referenceParse(line), `model: ${line}`).toBe(want);
    });
  });

  it("limits a program to 32 arguments and a line to its arena", () => {
    const out = driver(["parse"], ["x ".repeat(32), "x ".repeat(33), "a|".repeat(3000) + "a"].join("\n") + "\n").split("\n");
    expect(out[0]).toBe(`[${Array(32).fill("x").join(",")}] ;`);
    expect(out[1]).toBe("error: too many arguments (at most 32)");
    expect(out[2]).toBe("error: line too long");
  });

  it("agrees with a JS model of the grammar on random lines", () => {
    const lineArb = fc.string({ unit: fc.constantFrom("a", "b", " ", " ", "|", "<", ">", ";", "&", "#", "'", '"'), maxLength: 24 });
    fc.assert(
      fc.property(fc.array(lineArb, { minLength: 1, maxLength: 100 }), (lines) => {
        const out = driver(["parse"], lines.join("\n") + "\n").split("\n");
        lines.forEach((line, i) => expect(out[i], JSON.stringify(line)).toBe(referenceParse(line)));
      }),
      { numRuns: 60 },
    );
  });
});

// ---- the built programs and the boot image ----

const BIN = join(USER, "bin");
const programs = readdirSync(join(USER, "prog"))
  .filter((f) => f.endsWith(".c"))
  .map((f) => f.slice(0, -2))
  .sort();

describe("the committed programs", () => {
  it("are Keel executables: entry 0, text R+X at 0, every segment page-aligned, nothing both W and X", () => {
    for (const name of programs.filter((p) => programOptions(p).layout === "keel")) {
      const image = parseElf(new Uint8Array(readFileSync(join(BIN, name))));
      expect(image.entry, name).toBe(0n);
      expect(image.segments[0]!.vaddr, name).toBe(0n);
      expect(image.segments[0]!.flags, name).toBe(PF_R | PF_X);
      for (const s of image.segments) {
        expect(s.vaddr % 4096n, name).toBe(0n);
        expect((s.flags & PF_W) !== 0 && (s.flags & PF_X) !== 0, `${name}: W+X segment`).toBe(false);
        if (s.flags & PF_W) expect(s.flags, name).toBe(PF_R | PF_W);
      }
    }
  });

  it("both variants compile at -O2 (the two flag lists share everything but the target)", () => {
    for (const flags of [CFLAGS, CFLAGS_GC]) expect(flags).toContain("-O2");
    expect(CFLAGS.filter((f) => !TARGET_FLAGS.includes(f))).toEqual(CFLAGS_GC.filter((f) => !TARGET_FLAGS_GC.includes(f)));
  });

  it("built with lld's own layouts are valid too: the float ABI of their variant, no W+X segment", () => {
    const others = programs.filter((p) => programOptions(p).layout !== "keel");
    expect(others.length).toBeGreaterThanOrEqual(2);
    for (const name of others) {
      const { arch, layout } = programOptions(name);
      const image = parseElf(new Uint8Array(readFileSync(join(BIN, name))));
      expect(image.flags & EF_RISCV_FLOAT_ABI_MASK, name).toBe(arch === "rv64gc" ? EF_RISCV_FLOAT_ABI_DOUBLE : EF_RISCV_FLOAT_ABI_SOFT);
      expect(image.segments[0]!.vaddr, name).toBe(0x10000n);
      for (const s of image.segments) expect((s.flags & PF_W) !== 0 && (s.flags & PF_X) !== 0, `${name}: W+X segment`).toBe(false);
      // lld's layouts start segments mid-page, which the loader must take.
      expect(image.segments.some((s) => s.vaddr % 4096n !== 0n), `${name} (${layout})`).toBe(true);
    }
  });

  it("have one stub per system call with the ABI's number", () => {
    const source = readFileSync(join(USER, "lib", "usys.S"), "utf8");
    const want: Record<string, number> = {
      fork: 1, exit: 2, wait: 3, pipe: 4, read: 5, kill: 6, exec: 7, fstat: 8, chdir: 9, dup: 10, getpid: 11, sbrk: 12, sleep: 13,
      uptime: 14, open: 15, write: 16, mknod: 17, unlink: 18, link: 19, mkdir: 20, close: 21,
      procs: 100, setnice: 101, clocknanos: 102, errstr: 103, sbrkmode: 104, fsinfo: 105, trace: 106, sbrklazy: 12,
      sys_thread_create: 130, sys_thread_exit: 131, sys_thread_join: 132, gettid: 133, futex_wait: 134, futex_wake: 135,
      sched_set: 140, sched_get: 141, setaffinity: 142, getaffinity: 143, sched_yield: 144,
      cap_info: 200, cap_derive: 201, cap_copy: 202, cap_move: 203, cap_delete: 204, cap_revoke: 205, cap_enter: 206, openat: 207,
      spawn: 208, cap_list: 209, ep_create: 210, ep_send: 211, ep_recv: 212, ep_call: 213, ep_reply: 214, ep_replyrecv: 215, ntfn_create: 216, ntfn_signal: 217, ntfn_wait: 218, ntfn_poll: 219, shm_create: 220, shm_map: 221, unlinkat: 222, fspawn: 223,
    };
    const found: Record<string, number> = {};
    const how: Record<string, number> = {};
    for (const m of source.matchAll(/^(\w+):\n(?:\s+li\s+a1, (\d+)\n)?\s+li\s+a7, (\d+)\n\s+ecall\n\s+ret$/gm)) {
      found[m[1]!] = Number(m[3]);
      if (m[2] !== undefined) how[m[1]!] = Number(m[2]);
    }
    expect(found).toEqual(want);
    // sbrk's second argument: 0 follows the heap mode, 2 is xv6's SBRK_LAZY.
    expect(how).toEqual({ sbrk: 0, sbrklazy: 2 });
  });

  it("are all in the boot image, byte for byte, with the README and the console device", () => {
    const entries = parseBootfs(new Uint8Array(readFileSync(join(BIN, "bootfs.img"))));
    const byName = new Map(entries.map((e) => [e.name, e]));
    for (const name of programs) {
      const e = byName.get(name);
      expect(e?.type, name).toBe(T_FILE);
      if (e?.type === T_FILE) expect(Buffer.from(e.data).equals(readFileSync(join(BIN, name))), name).toBe(true);
    }
    expect(byName.get("README")?.type).toBe(T_FILE);
    expect(byName.get("console")).toEqual({ name: "console", type: T_DEVICE, major: 1, minor: 0 });
    expect(entries.length).toBe(programs.length + 2);
  });

  it("match a fresh, reproducible build (node user/build.mjs --check)", async () => {
    const { check } = await import("./build.mjs");
    expect(await check()).toEqual([]);
  }, 120_000);
});

describe("the boot image format", () => {
  const entryArb: fc.Arbitrary<BootfsEntry> = fc.oneof(
    fc.record({ name: fc.stringMatching(/^[a-zA-Z0-9_.-]{1,14}$/), type: fc.constant(T_FILE), data: fc.uint8Array({ maxLength: 100 }) }),
    fc.record({ name: fc.stringMatching(/^[a-z]{1,14}$/), type: fc.constant(T_DEVICE), major: fc.nat({ max: 65535 }), minor: fc.nat({ max: 65535 }) }),
  );

  it("round-trips random entries, sorted by name, with 8-byte aligned data", () => {
    fc.assert(
      fc.property(fc.uniqueArray(entryArb, { selector: (e) => e.name, maxLength: 20 }).filter((es) => es.every((e) => e.name !== "." && e.name !== "..")), (entries) => {
        const image = writeBootfs(entries);
        const view = new DataView(image.buffer);
        expect(view.getUint32(0, true)).toBe(0x5346424b);
        expect(view.getUint32(8, true)).toBe(entries.length);
        for (let i = 0; i < entries.length; i++) expect(view.getUint32(16 + i * 32 + 16, true) % 8).toBe(0);
        const back = parseBootfs(image).map((e) => (e.type === T_FILE ? { ...e, data: Array.from(e.data) } : e));
        const sorted = [...entries].sort((a, b) => (a.name < b.name ? -1 : 1)).map((e) => (e.type === T_FILE ? { ...e, data: Array.from(e.data) } : e));
        expect(back).toEqual(sorted);
      }),
    );
  });

  it("rejects names longer than 14 characters, duplicates, and damaged images", () => {
    const file = (name: string): BootfsEntry => ({ name, type: T_FILE, data: new Uint8Array([1]) });
    expect(() => writeBootfs([file("abcdefghijklmno")])).toThrow(BootfsError);
    expect(() => writeBootfs([file("a"), file("a")])).toThrow(BootfsError);
    expect(() => writeBootfs([file("a/b")])).toThrow(BootfsError);
    const good = writeBootfs([file("a"), file("b")]);
    const badMagic = good.slice();
    badMagic[0] = badMagic[0]! ^ 1;
    expect(() => parseBootfs(badMagic)).toThrow(BootfsError);
    expect(() => parseBootfs(good.subarray(0, 40))).toThrow(BootfsError);
    const badOffset = good.slice();
    new DataView(badOffset.buffer).setUint32(16 + 16, 4, true);
    expect(() => parseBootfs(badOffset)).toThrow(BootfsError);
  });
});

// ---- the line editor against a model (user/test/rledit-model.ts) ----

describe("the line editor (rledit.c)", () => {
  type Step = { action: Action; key: Key; text?: string };
  const insertStep = (text: string): Step => ({ action: "insert", key: { name: JSON.stringify(text), bytes: [...new TextEncoder().encode(text)] }, text });
  const keyStep = (action: Exclude<Action, "insert" | "cut">) => fc.constantFrom(...KEYS[action]).map((key): Step => ({ action, key }));
  const editKeys = (Object.keys(KEYS) as (keyof typeof KEYS)[]).filter((a) => a !== "enter" && a !== "ctrlC" && a !== "ctrlD");
  const step = (chars: string[]) =>
    fc.oneof(
      { weight: 12, arbitrary: fc.constantFrom(...chars).map(insertStep) },
      { weight: 2, arbitrary: fc.constantFrom("echo ", "ec", "sl", "d", "f", "cat d", "x ", "a b").map(insertStep) },
      { weight: 1, arbitrary: fc.constant<Step>({ action: "cut", key: { name: "cut-short sequence", bytes: [0xc3, 0x61] } }) },
      { weight: 10, arbitrary: fc.oneof(...editKeys.map((a) => keyStep(a))) },
      { weight: 1, arbitrary: fc.oneof(keyStep("enter"), keyStep("ctrlC"), keyStep("ctrlD")) },
    );

  /** Runs the steps through the C editor; one parsed record per step. */
  function runC(cols: number, history: string[], steps: Step[]) {
    const input = Buffer.concat([Buffer.from(`${history.length}\n${history.map((l) => `${l}\n`).join("")}`), ...steps.map((s) => Buffer.from(s.key.bytes))]);
    const r = spawnSync(driverPath, ["rledit", String(cols)], { input, maxBuffer: 64 << 20, env: { ...process.env, ASAN_OPTIONS: "detect_leaks=0" } });
    if (r.status !== 0) throw new Error(`driver rledit exited ${r.status}: ${r.stderr}`);
    const unhex = (h: string) => (h === "-" ? Buffer.alloc(0) : Buffer.from(h, "hex"));
    const records: ({ kind: "P"; prompt: Buffer } | { kind: "S"; result: number; pos: number; buf: Buffer; out: Buffer })[] = [];
    for (const line of r.stdout.toString().trim().split("\n")) {
      const f = line.split(" ");
      if (f[0] === "P") records.push({ kind: "P", prompt: unhex(f[1]!) });
      else records.push({ kind: "S", result: Number(f[1]), pos: Number(f[2]), buf: unhex(f[3]!), out: unhex(f[4]!) });
    }
    return records;
  }

  /** Checks the C editor against the model after every byte of every key
   *  (keys of several bytes change nothing until their last), and, when
   *  `screen`, what it drew on a terminal of `cols` columns. */
  function check(cols: number, history: string[], steps: Step[], screen: boolean): void {
    const records = runC(cols, history, steps);
    const model = new EditorModel(history);
    const term = new Terminal(cols);
    let i = 0;
    let promptRow = 0;
    const next = () => records[i++]!;
    const p0 = next();
    if (p0.kind !== "P") throw new Error("no prompt first");
    term.write(p0.prompt);
    const trail: string[] = [];
    for (const s of steps) {
      trail.push(s.key.name);
      const before = [...model.buf];
      const code = model.apply(s.action, s.key.bytes);
      const where = () => `after ${trail.join(", ")}`;
      let last: Extract<ReturnType<typeof next>, { kind: "S" }> | undefined;
      for (let b = 0; b < s.key.bytes.length; b++) {
        const rec = next();
        if (rec.kind !== "S") throw new Error(`unexpected prompt ${where()}`);
        if (b < s.key.bytes.length - 1 && s.action !== "cut" && s.action !== "insert") expect(rec.out.length, `output before the key is complete, ${where()}`).toBe(0);
        term.write(rec.out);
        last = rec;
      }
      expect(last!.result, where()).toBe(code);
      if (code === 1 || code === 2 || code === 3) {
        // The line ended: the editor's buffer is the line accepted (or none).
        const ended = code === 1 ? Buffer.from(before) : Buffer.alloc(0);
        expect(last!.buf.equals(ended), `line ${last!.buf} ${where()}`).toBe(true);
        const p = next();
        if (p.kind !== "P") throw new Error(`no prompt ${where()}`);
        if (screen) {
          expect(term.col, `a new line starts at column 0 ${where()}`).toBe(0);
          expect(term.pendingWrap).toBe(false);
        }
        promptRow = term.row;
        term.write(p.prompt);
        continue;
      }
      expect(last!.buf.toString("hex"), `buffer ${where()}`).toBe(Buffer.from(model.buf).toString("hex"));
      expect(last!.pos, `cursor ${where()}`).toBe(model.pos);
      if (!screen) continue;
      const at = columnsTo(model.buf, model.pos);
      const row = term.row - Math.floor(at / cols);
      if (s.action === "ctrlL") expect(row, `Ctrl-L draws at the top ${where()}`).toBe(0);
      else if (model.listed) expect(row, `the list goes above the prompt ${where()}`).toBeGreaterThan(promptRow);
      else expect(row, `the prompt stays on its row ${where()}`).toBe(promptRow);
      promptRow = row;
      expect(term.col, `cursor column ${where()}`).toBe(at % cols);
      expect(term.pendingWrap, `no pending wrap ${where()}`).toBe(false);
      const want = wrapped(Buffer.from(model.buf).toString(), cols);
      for (let r = 0; r < want.length; r++) expect(term.text(promptRow + r), `row ${r} ${where()}`).toBe(want[r]);
      for (let r = promptRow + want.length; r < term.rows.length; r++) expect(term.text(r), `row ${r} below the line ${where()}`).toBe("");
    }
  }

  const history = fc.array(fc.constantFrom("ls", "echo one", "cat README", "café au lait", "  ", "ls"), { maxLength: 5 });

  it("buffer, cursor and history agree with the model after every key, UTF-8 and wide characters included", () => {
    fc.assert(
      fc.property(history, fc.array(step(["a", "b", "e", "o", " ", "/", "é", "€", "日", "😀", "x"]), { minLength: 1, maxLength: 120 }), (h, steps) => {
        check(80, h, steps, false);
      }),
      { numRuns: 60 },
    );
  });

  it("what it draws on a narrow terminal is the prompt and the line, wrapped, with the cursor at its place", () => {
    fc.assert(
      fc.property(fc.integer({ min: 8, max: 24 }), history, fc.array(step(["a", "b", "e", "o", " ", "/", "é", "ß", "s", "d"]), { minLength: 1, maxLength: 120 }), (cols, h, steps) => {
        check(cols, h, steps, true);
      }),
      { numRuns: 60 },
    );
  });

  it("the issue's cases: Left then b inserts before c; a whole UTF-8 character is one step", () => {
    const keys = (s: string) => [...s].map(insertStep);
    const left = { action: "left" as const, key: KEYS.left[0]! };
    const bs = { action: "backspace" as const, key: KEYS.backspace[0]! };
    const recs = runC(80, [], [...keys("echo ac"), left, ...keys("b")]);
    const last = recs[recs.length - 1]!;
    expect(last.kind === "S" && last.buf.toString()).toBe("echo abc");
    const steps = [...keys("café"), left, bs, { action: "end" as const, key: KEYS.end[0]! }, bs];
    const recs2 = runC(80, [], steps).filter((r) => r.kind === "S");
    const states: string[] = [];
    let at = 0;
    for (const st of steps) {
      at += st.key.bytes.length;
      const r = recs2[at - 1]!;
      states.push(r.kind === "S" ? `${r.buf.toString()}@${r.pos}` : "");
    }
    // Left over é (2 bytes), Backspace removes f, End, Backspace removes é.
    expect(states.slice(-4)).toEqual(["café@3", "caé@2", "caé@4", "ca@2"]);
  });
});
