// Patches against the shipped sources (web/code/patch.ts): random trees and
// random edits round-trip through makePatch/applyPatch (fast-check); the
// patch is the format git writes and reads (checked against the real git);
// a patch that does not fit, or damaged text, is a PatchError naming why.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PatchError, applyPatch, applyToTree, diffLines, fileDiff, makePatch, parsePatch, patchedPaths, splitLines } from "./patch";
import type { SourceFiles } from "./source-bundle";

/** Texts of few distinct lines (so that diffs must choose between equal
 *  lines), ending in a newline or not. */
const line = fc.constantFrom("a", "b", "c", "{", "}", "", "  x = 1;", "// note", "\ttab");
const text = fc.tuple(fc.array(line, { maxLength: 40 }), fc.boolean())
  .map(([lines, newline]) => (lines.length === 0 ? "" : lines.join("\n") + (newline ? "\n" : "")));

/** An edit of a text: lines inserted, removed or replaced at random places. */
const edit = (base: string) => fc.array(fc.tuple(fc.nat(), fc.constantFrom("insert", "remove", "replace"), line), { maxLength: 8 })
  .chain((steps) => fc.boolean().map((flipNewline) => {
    const lines = base === "" ? [] : base.split("\n");
    const ends = base.endsWith("\n");
    if (ends) lines.pop();
    for (const [at, kind, l] of steps) {
      const i = lines.length === 0 ? 0 : at % (lines.length + (kind === "insert" ? 1 : 0));
      if (kind === "insert") lines.splice(i, 0, l);
      else if (lines.length > 0) lines.splice(i, 1, ...(kind === "replace" ? [l] : []));
    }
    return lines.length === 0 ? "" : lines.join("\n") + ((flipNewline ? !ends : ends) ? "\n" : "");
  }));

const paths = ["kernel-as/src/main.ts", "kernel-as/src/lib/layout.ts", "asconfig.json"];
const tree: fc.Arbitrary<SourceFiles> = fc.tuple(text, text, text).map((texts) => Object.fromEntries(paths.map((p, i) => [p, texts[i]!])));
const treeAndEdits = tree.chain((shipped) =>
  fc.tuple(...paths.map((p) => fc.option(edit(shipped[p]!), { nil: undefined }))).map((edited) => {
    const edits: SourceFiles = {};
    edited.forEach((t, i) => {
      if (t !== undefined) edits[paths[i]!] = t;
    });
    return { shipped, edits };
  }));

/** The edits that really change something. */
function changed(shipped: SourceFiles, edits: SourceFiles): SourceFiles {
  return Object.fromEntries(Object.entries(edits).filter(([p, t]) => shipped[p] !== t));
}

describe("diffLines", () => {
  it("is an edit script from a to b, of minimal length on small inputs", () => {
    fc.assert(fc.property(text, text, (x, y) => {
      const a = splitLines(x);
      const b = splitLines(y);
      const ops = diffLines(a, b);
      expect(ops.filter((o) => o.kind !== "add").map((o) => o.line)).toEqual(a);
      expect(ops.filter((o) => o.kind !== "del").map((o) => o.line)).toEqual(b);
      // Minimal: as many lines kept as the longest common subsequence.
      const lcs = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
      for (let i = a.length - 1; i >= 0; i--) {
        for (let j = b.length - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
      }
      expect(ops.filter((o) => o.kind === "same").length).toBe(lcs[0]![0]);
    }), { numRuns: 300 });
  });
});

describe("makePatch and applyPatch", () => {
  it("round-trip: applying the patch to the shipped files gives the edits back", () => {
    fc.assert(fc.property(treeAndEdits, ({ shipped, edits }) => {
      const patch = makePatch(shipped, edits);
      const want = changed(shipped, edits);
      expect(patch === "").toBe(Object.keys(want).length === 0);
      expect(applyPatch(shipped, patch)).toEqual(want);
      // And the patch of the result is the same patch.
      expect(makePatch(shipped, applyPatch(shipped, patch))).toBe(patch);
    }), { numRuns: 400 });
  });

  it("a patch still applies when lines were added above its hunks since it was made", () => {
    // Lines unique in the file, so that there is one right place for each hunk.
    const unique = text.map((t) => t.split("\n").map((l, i, all) => (i === all.length - 1 && l === "" ? l : `${l}#${i}`)).join("\n"));
    const sample = unique.chain((base) => fc.tuple(fc.constant(base), edit(base), fc.array(line, { minLength: 1, maxLength: 5 })));
    fc.assert(fc.property(sample, ([base, edited, extra]) => {
      fc.pre(base !== edited && base !== ""); // a hunk into an empty file has no context to find its place by
      const path = paths[0]!;
      const patch = makePatch({ [path]: base }, { [path]: edited });
      const marker = extra.map((l) => `@@moved ${l}`).join("\n") + "\n";
      expect(applyPatch({ [path]: marker + base }, patch)[path]).toBe(marker + edited);
    }), { numRuns: 200 });
  });

  it("damaged text is a PatchError or a patch of fewer files, never anything else", () => {
    fc.assert(fc.property(treeAndEdits, fc.nat(), fc.nat(), ({ shipped, edits }, cut, flip) => {
      const patch = makePatch(shipped, edits);
      fc.pre(patch.length > 0);
      const damaged = [patch.slice(0, cut % patch.length), patch.slice(0, flip % patch.length) + "?" + patch.slice((flip % patch.length) + 1)];
      for (const d of damaged) {
        try {
          applyPatch(shipped, d);
        } catch (error) {
          expect(error).toBeInstanceOf(PatchError);
        }
      }
    }), { numRuns: 300 });
  });

  it("names the hunk and the file when the shipped file no longer has its lines", () => {
    const shipped = { "kernel-as/src/main.ts": "one\ntwo\nthree\nfour\nfive\n" };
    const patch = makePatch(shipped, { "kernel-as/src/main.ts": "one\ntwo\nTHREE\nfour\nfive\n" });
    expect(() => applyPatch({ "kernel-as/src/main.ts": "one\n2\nthree\nfour\nfive\n" }, patch))
      .toThrow(/hunk 1 of kernel-as\/src\/main\.ts \(line 1, patch line 3\) does not apply/);
    expect(() => applyPatch({}, patch)).toThrow(/changes kernel-as\/src\/main\.ts, which is not one of the kernel's sources/);
    expect(() => parsePatch("hello")).not.toThrow(); // leading text before the first file is skipped, as git does
    expect(() => parsePatch("--- a/x\nhello\n")).toThrow(/a --- line is not followed by a \+\+\+ line/);
    expect(() => parsePatch("--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n a\n")).toThrow(/ends inside a hunk/);
    expect(() => parsePatch("--- /dev/null\n+++ b/x\n@@ -0,0 +1 @@\n+a\n")).toThrow(/not files created or deleted/);
  });
});

describe("applyToTree (the labs' start and solution patches)", () => {
  // git diff output of two hunks, the second with the function-context text
  // git writes after its header.
  const GIT_DIFF = ["diff --git a/src/a.ts b/src/a.ts", "index 1111111..2222222 100644", "--- a/src/a.ts", "+++ b/src/a.ts",
    "@@ -1,4 +1,4 @@", " one", "-two", "+TWO", " three", " four", "@@ -8,3 +8,4 @@ seven", " eight", " nine", "+nine and a half", " ten", ""].join("\n");
  const A = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", ""].join("\n");
  const patched = (text: string) => text.replace("two", "TWO").replace("nine\n", "nine\nnine and a half\n");

  it("changes the files the patch names and keeps every other file of the tree", () => {
    const out = applyToTree({ "src/a.ts": A, "other.ts": "x" }, GIT_DIFF);
    expect(out).toEqual({ "src/a.ts": patched(A), "other.ts": "x" });
    expect(patchedPaths(GIT_DIFF)).toEqual(["src/a.ts"]);
  });

  it("finds hunks a student's lines above them moved, and refuses a hunk whose context changed, changing nothing", () => {
    const moved = `zero\nzero again\n${A}`;
    expect(applyToTree({ "src/a.ts": moved }, GIT_DIFF)["src/a.ts"]).toBe(patched(moved));
    const tree = { "src/a.ts": A.replace("eight", "EIGHT") };
    expect(() => applyToTree(tree, GIT_DIFF)).toThrow(/hunk 2 of src\/a\.ts \(line 8, patch line 11\) does not apply/);
    expect(tree["src/a.ts"]).toBe(A.replace("eight", "EIGHT"));
    expect(() => applyToTree({}, GIT_DIFF)).toThrow(PatchError);
  });
});

describe("the patch format is git's", () => {
  const git = (cwd: string, ...args: string[]) => execFileSync("git", args, { cwd, encoding: "utf8" });

  it("git apply takes our patches, and we apply git's", () => {
    const dir = mkdtempSync(join(tmpdir(), "keel-patch-"));
    try {
      const samples = fc.sample(treeAndEdits, { numRuns: 25, seed: 4711 });
      for (const [n, { shipped, edits }] of samples.entries()) {
        const want = changed(shipped, edits);
        if (Object.keys(want).length === 0) continue;
        const repo = join(dir, `r${n}`);
        mkdirSync(join(repo, "kernel-as/src/lib"), { recursive: true });
        git(repo, "init", "-q");
        for (const [p, t] of Object.entries(shipped)) writeFileSync(join(repo, p), t);
        // Ours, applied by git.
        writeFileSync(join(repo, "ours.patch"), makePatch(shipped, edits));
        git(repo, "apply", "ours.patch");
        for (const [p, t] of Object.entries(want)) expect(readFileSync(join(repo, p), "utf8")).toBe(t);
        // Git's (git diff of the same change), applied by us.
        git(repo, "add", "-A", "--", ...paths);
        git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "edited");
        for (const [p, t] of Object.entries(shipped)) writeFileSync(join(repo, p), t);
        const theirs = git(repo, "diff", "-R", "--no-color", "--", ...paths);
        expect(applyPatch(shipped, theirs)).toEqual(want);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("writes the headers and the missing-newline mark as diff -u does", () => {
    expect(fileDiff("kernel-as/src/a.ts", "x\ny\n", "x\nz")).toBe(
      "--- a/kernel-as/src/a.ts\n+++ b/kernel-as/src/a.ts\n@@ -1,2 +1,2 @@\n x\n-y\n+z\n\\ No newline at end of file\n");
  });
});
