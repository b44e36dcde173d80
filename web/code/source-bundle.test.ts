// The kernel source bundle (web/code/source-bundle.ts, scripts/kernel-src.ts):
// what goes in, that it survives gzip both ways, and that the page refuses
// a damaged bundle with a reason.
import { gunzipSync } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { collectKernelSources, compressBundle, isKernelSource } from "../../scripts/kernel-src";
import {
  ASCONFIG_PATH, KERNEL_ENTRY, bundleJson, bundleText, changedFiles, editedTree, parseBundle, pathProblem, patchHash,
} from "./source-bundle";

const MINIMAL = { [ASCONFIG_PATH]: "{}", [KERNEL_ENTRY]: "export {}" };

describe("the bundle builder", () => {
  it("takes every kernel source and asconfig.json, and no unit test", () => {
    const files = collectKernelSources(".");
    const paths = Object.keys(files);
    expect(paths).toContain(KERNEL_ENTRY);
    expect(paths).toContain(ASCONFIG_PATH);
    expect(paths.filter((p) => p !== ASCONFIG_PATH).every((p) => p.startsWith("kernel-as/src/") && isKernelSource(p))).toBe(true);
    expect(paths.some((p) => p.endsWith(".test.ts"))).toBe(false);
    expect(files[KERNEL_ENTRY]).toContain("Hello World!");
    expect(Object.keys(parseBundle(bundleJson(files)).files)).toEqual([...paths].sort());
  });

  it("compresses to the same bytes every time, and back", async () => {
    const files = collectKernelSources(".");
    const a = compressBundle(files);
    expect(a.equals(compressBundle(files))).toBe(true);
    expect(parseBundle(gunzipSync(a).toString("utf8")).files).toEqual(files);
    // The page's reader: gzip or, from a host that unpacked it already, plain JSON.
    expect(parseBundle(await bundleText(new Uint8Array(a))).files).toEqual(files);
    expect(parseBundle(await bundleText(new TextEncoder().encode(bundleJson(files)))).files).toEqual(files);
  });

  it("refuses paths that could leave the tree", () => {
    for (const bad of ["", "/etc/passwd", "a/../b", "./a", "a//b", "a\\b", "a/"]) {
      expect(pathProblem(bad), bad).not.toBeNull();
      expect(() => bundleJson({ ...MINIMAL, [bad]: "" })).toThrow(/kernel source bundle/);
    }
    expect(pathProblem("kernel-as/src/main.ts")).toBeNull();
  });
});

describe("the page's reader", () => {
  it("says what is wrong with a damaged bundle", () => {
    expect(() => parseBundle("{")).toThrow(/not JSON/);
    expect(() => parseBundle("[]")).toThrow(/format/);
    expect(() => parseBundle(JSON.stringify({ format: "keel-kernel-src", version: 2, files: {} }))).toThrow(/version 2/);
    expect(() => parseBundle(JSON.stringify({ format: "keel-kernel-src", version: 1, files: { ...MINIMAL, x: 1 } }))).toThrow(/not text/);
    expect(() => parseBundle(JSON.stringify({ format: "keel-kernel-src", version: 1, files: { [KERNEL_ENTRY]: "" } }))).toThrow(/asconfig/);
    expect(() => parseBundle(JSON.stringify({ format: "keel-kernel-src", version: 1, files: { ...MINIMAL, "../x": "" } }))).toThrow(/bad path/);
    expect(parseBundle(bundleJson(MINIMAL)).files).toEqual(MINIMAL);
  });
});

describe("patches", () => {
  it("merges only files the bundle has, and names a patch by what changed", async () => {
    const shipped = { a: "1", b: "2" };
    expect(editedTree(shipped, { b: "3", c: "4" })).toEqual({ a: "1", b: "3" });
    expect(changedFiles(shipped, { a: "1", b: "3" })).toEqual(["b"]);
    expect(await patchHash(shipped, { a: "1" })).toBe("shipped");
    expect(await patchHash(shipped, { b: "3" })).toMatch(/^[0-9a-f]{8}$/);
  });

  it("gives equal patches equal names and different patches different names", async () => {
    await fc.assert(fc.asyncProperty(fc.string(), fc.string(), async (x, y) => {
      const shipped = { a: "base", b: "base" };
      const one = await patchHash(shipped, { a: x, b: y });
      expect(await patchHash(shipped, { b: y, a: x })).toBe(one);
      if (x !== "base" && x !== y) expect(await patchHash(shipped, { a: y, b: x })).not.toBe(one);
    }), { numRuns: 50 });
  });
});
