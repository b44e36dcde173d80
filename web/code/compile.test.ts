// The in-page build's core (web/code/compile.ts) with the real compiler,
// over small trees in memory: diagnostics land on file:line, the output is
// what asconfig.json's release target names, nothing outside the tree is
// read. KEEL_CODE_FULL=1 also compiles the whole kernel from the shipped
// bundle and checks it matches build/kernel.wasm byte for byte (~15 s).
import { readFileSync } from "node:fs";
import asc from "assemblyscript/asc";
import { describe, expect, it } from "vitest";
import { collectKernelSources } from "../../scripts/kernel-src";
import { type AscApi, compileTree, lineColumn, listTree, releaseOutFile, toDiagnostic, treePath } from "./compile";
import { ASCONFIG_PATH, KERNEL_ENTRY, type SourceFiles } from "./source-bundle";

const api = asc as unknown as AscApi;
const CONFIG = JSON.stringify({
  targets: { release: { outFile: "build/kernel.wasm", optimizeLevel: 1 } },
  options: { runtime: "stub" },
});

function tree(main: string, extra: SourceFiles = {}): SourceFiles {
  return { [ASCONFIG_PATH]: CONFIG, [KERNEL_ENTRY]: main, ...extra };
}

describe("the build's file system", () => {
  it("resolves names against the base directory and never leaves the tree", () => {
    expect(treePath("kernel-as/src/main.ts", ".")).toBe("kernel-as/src/main.ts");
    expect(treePath("./lib/x.ts", "kernel-as/src")).toBe("kernel-as/src/lib/x.ts");
    expect(treePath("../dev/vga.ts", "kernel-as/src/lib")).toBe("kernel-as/src/dev/vga.ts");
    expect(treePath("../../../etc/passwd", "kernel-as/src")).toBeNull();
    expect(treePath("/etc/passwd", ".")).toBeNull();
  });

  it("lists a directory's own files only", () => {
    const files = { "a/x.ts": "", "a/y.ts": "", "a/b/z.ts": "", "c.ts": "" };
    expect(listTree(files, "a", ".")).toEqual(["x.ts", "y.ts"]);
    expect(listTree(files, "b", "a")).toEqual(["z.ts"]);
    expect(listTree(files, "none", ".")).toBeNull();
  });

  it("finds the release output in asconfig.json, or says why not", () => {
    expect(releaseOutFile(tree(""))).toBe("build/kernel.wasm");
    expect(() => releaseOutFile({ [ASCONFIG_PATH]: "{" })).toThrow(/not JSON/);
    expect(() => releaseOutFile({ [ASCONFIG_PATH]: "{\"targets\":{}}" })).toThrow(/no outFile/);
    expect(() => releaseOutFile({})).toThrow(/no asconfig.json/);
  });
});

describe("diagnostics", () => {
  it("places offsets on 1-based lines and columns", () => {
    expect(lineColumn("ab\ncd\n", 0)).toEqual({ line: 1, column: 1 });
    expect(lineColumn("ab\ncd\n", 4)).toEqual({ line: 2, column: 2 });
    expect(lineColumn("ab", 99)).toEqual({ line: 1, column: 3 });
  });

  it("maps categories and the extension-less paths asc uses", () => {
    const files = { "kernel-as/src/a.ts": "x\ny z" };
    const source = { normalizedPath: "kernel-as/src/a" };
    expect(toDiagnostic({ code: 2304, category: 3, message: "m", range: { start: 4, end: 5, source } }, files))
      .toEqual({ severity: "error", code: 2304, message: "m", file: "kernel-as/src/a.ts", line: 2, column: 3, endLine: 2, endColumn: 4 });
    const lib = { normalizedPath: "~lib/builtins" };
    expect(toDiagnostic({ code: 1, category: 2, message: "w", range: { start: 0, end: 0, source: lib } }, files))
      .toMatchObject({ severity: "warning", file: null });
    expect(toDiagnostic({ code: 1, category: 1, message: "i", range: null }, files)).toMatchObject({ severity: "info", file: null, line: 0 });
  });
});

describe("compiling a tree", () => {
  it("builds a module from the tree and returns the output asconfig.json names", async () => {
    const result = await compileTree(api, tree(`import { two } from "./lib/two";\nexport function f(): i32 { return two(); }\n`, {
      "kernel-as/src/lib/two.ts": "export function two(): i32 { return 2; }\n",
    }));
    expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(result.ok).toBe(true);
    const instance = new WebAssembly.Instance(new WebAssembly.Module(result.wasm! as BufferSource));
    expect((instance.exports.f as () => number)()).toBe(2);
    expect(result.ms).toBeGreaterThan(0);
  });

  it("reports an error at its file and line, and gives no module", async () => {
    const result = await compileTree(api, tree(`import { two } from "./lib/two";\nexport function f(): i32 { return two(); }\n`, {
      "kernel-as/src/lib/two.ts": "export function two(): i32 {\n  return undefinedName;\n}\n",
    }));
    expect(result.ok).toBe(false);
    expect(result.wasm).toBeNull();
    const error = result.diagnostics.find((d) => d.severity === "error");
    expect(error).toMatchObject({ file: "kernel-as/src/lib/two.ts", line: 2, column: 10 });
    expect(error!.message).toMatch(/undefinedName/);
  });

  it("reports a warning without failing", async () => {
    const result = await compileTree(api, tree("export function f(): i32 { return 1; }\nexport class C { a: i32 = 0; }\n"));
    expect(result.ok).toBe(true);
    expect(result.wasm).not.toBeNull();
    expect(result.diagnostics).toEqual([expect.objectContaining({ severity: "warning", code: 235, file: KERNEL_ENTRY, line: 2, column: 14 })]);
  });

  it("fails with a reason when a file is missing or the configuration is broken", async () => {
    const missing = await compileTree(api, tree(`import { two } from "./lib/two";\nexport function f(): i32 { return two(); }\n`));
    expect(missing.ok).toBe(false);
    expect(missing.diagnostics.some((d) => d.severity === "error" && d.file === KERNEL_ENTRY && d.line === 1)).toBe(true);
    const broken = await compileTree(api, { ...tree("export const a = 1;"), [ASCONFIG_PATH]: "{}" });
    expect(broken.ok).toBe(false);
    expect(broken.diagnostics[0]!.message).toMatch(/no outFile/);
  });

  it.skipIf(process.env.KEEL_CODE_FULL !== "1")("builds the shipped kernel byte for byte as the command line does", async () => {
    const result = await compileTree(api, collectKernelSources("."));
    expect(result.ok).toBe(true);
    expect(Buffer.compare(Buffer.from(result.wasm!), readFileSync("build/kernel.wasm"))).toBe(0);
  }, 120_000);
});
