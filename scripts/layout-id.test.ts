// The kernel's layout id (scripts/layout-id.mjs): which edits change it and
// which keep it, on the real kernel sources; and, for random placements of
// comments and whitespace between the tokens of a source, the id stays.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { collectKernelSources } from "./kernel-src";
import { layoutChanges, layoutDeclarations, layoutId, layoutIdArgs, tokenize, topLevelStatements } from "./layout-id.mjs";

/** The shipped kernel's sources, as the page's bundle holds them. */
function kernelTree(): Record<string, string> {
  return collectKernelSources(".");
}

const tree = kernelTree();
const id = layoutId(tree);

function edited(path: string, from: string, to: string): Record<string, string> {
  const text = tree[path]!;
  expect(text).toContain(from);
  return { ...tree, [path]: text.replace(from, to) };
}

describe("layoutId on the kernel's sources", () => {
  it("is a non-zero u32, passed to asc as a decimal constant", () => {
    expect(id).toBeGreaterThan(0);
    expect(id).toBeLessThan(2 ** 32);
    expect(layoutIdArgs(tree)).toEqual(["--use", `KEEL_LAYOUT_ID=${id}`]);
  });

  it("keeps the id for a message, a string constant, a function body or a comment", () => {
    expect(layoutId(edited("kernel-as/src/main.ts", "in your browser tab", "in a tab"))).toBe(id);
    expect(layoutId(edited("kernel-as/src/sys/monitor.ts", "Memory policy: a process may hold ", "Memory rules: "))).toBe(id);
    expect(layoutId(edited("kernel-as/src/main.ts", "export function resume(): i32 {", "export function resume(): i32 {\n  chargeWork(0);"))).toBe(id);
    expect(layoutId(edited("kernel-as/src/lib/layout.ts", "// Physical memory layout", "// The physical memory layout"))).toBe(id);
  });

  it("changes the id for a record offset, a class field, the state format, a global or the configuration, and names it", () => {
    const offset = edited("kernel-as/src/proc/proc.ts", "P_HEAP_START: usize = 736", "P_HEAP_START: usize = 744");
    expect(layoutId(offset)).not.toBe(id);
    expect(layoutChanges(tree, offset)).toEqual([{ key: "kernel-as/src/proc/proc.ts: const P_HEAP_START", change: "changed" }]);
    const format = edited("kernel-as/src/lib/layout.ts", "STATE_FORMAT: u32 = 1;", "STATE_FORMAT: u32 = 2;");
    expect(layoutChanges(tree, format)).toEqual([{ key: "kernel-as/src/lib/layout.ts: const STATE_FORMAT", change: "changed" }]);
    const cls = tree["kernel-as/src/dev/vga.ts"]!;
    const field = /(@unmanaged class VgaState \{\s*)/.exec(cls)!;
    const withField = { ...tree, "kernel-as/src/dev/vga.ts": cls.replace(field[1]!, `${field[1]}extra: u32;\n  `) };
    expect(layoutChanges(tree, withField)).toEqual([{ key: "kernel-as/src/dev/vga.ts: class VgaState", change: "changed" }]);
    const added = { ...tree, "kernel-as/src/main.ts": `${tree["kernel-as/src/main.ts"]!}\nlet counter: u32 = 0;\n` };
    expect(layoutChanges(tree, added)).toEqual([{ key: "kernel-as/src/main.ts: let counter", change: "added" }]);
    const config = edited("asconfig.json", "\"memoryBase\": 1048576", "\"memoryBase\": 2097152");
    expect(layoutChanges(tree, config)).toEqual([{ key: "asconfig.json", change: "changed" }]);
  });

  it("covers every top-level constant but the string ones, every class and global", () => {
    let consts = 0;
    let strings = 0;
    for (const [path, text] of Object.entries(tree)) {
      if (!path.endsWith(".ts")) continue;
      for (const m of text.matchAll(/^(?:@inline )?(?:export )?const (\w+)[^=]*= *(.)/gm)) {
        if (/["'`]/.test(m[2]!)) strings++;
        else consts++;
      }
    }
    const names = [...Object.entries(tree)].flatMap(([path, text]) => (path.endsWith(".ts") ? layoutDeclarations(text) : []));
    expect(names.filter(([name]) => name.startsWith("const ")).length).toBeGreaterThanOrEqual(consts);
    expect(strings).toBeGreaterThan(0);
    expect(names.some(([name]) => name === "class KernelState")).toBe(true);
  });
});

describe("the tokenizer and statements", () => {
  it("drops comments, keeps strings whole (with escapes and comment marks inside)", () => {
    expect(tokenize(`const A: u32 = 1; // one\n/* two */ const S = "a // b \\" c";`))
      .toEqual(["const", "A", ":", "u32", "=", "1", ";", "const", "S", "=", `"a // b \\" c"`, ";"]);
  });

  it("splits top-level statements at semicolons and at the end of functions, classes and enums", () => {
    const text = `import { x } from "./x";
@inline export function f(a: u32): u32 { const b = a; return b; }
@unmanaged class C { a: u32; b: u64; }
export const K: u32 = <u32>(1 << 3);
enum E { A, B }
let g: usize = 0`;
    const heads = topLevelStatements(text).map((tokens) => tokens.slice(0, 3).join(" "));
    expect(heads).toEqual(["import { x", "@ inline export", "@ unmanaged class", "export const K", "enum E {", "let g :"]);
    expect(layoutDeclarations(text).map(([name]) => name)).toEqual(["class C", "const K", "enum E", "let g"]);
  });

  it("the id of a source does not change with comments and whitespace between its tokens", () => {
    const path = "kernel-as/src/dev/vga.ts";
    const tokens = tokenize(tree[path]!);
    const base = layoutId({ [path]: tree[path]! });
    const filler = fc.constantFrom(" ", "\n", "\t", "  ", " /* note */ ", " // note\n", "\n\n");
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(tokens.length), filler), { maxLength: 30 }), (inserts) => {
      const gaps = new Map<number, string>();
      for (const [at, text] of inserts) gaps.set(at, (gaps.get(at) ?? "") + text);
      // A line comment must end in a newline before the next token, which every filler gives.
      const text = tokens.map((token, i) => `${gaps.get(i) ?? " "}${token}`).join("");
      expect(layoutId({ [path]: text })).toBe(base);
    }), { numRuns: 60 });
  });
});
