// The labs' diff applier (web/code/labs-patch.ts): real `git diff` output,
// random edits written as unified diffs (fast-check: applying the diff of an
// edit gives the edited text, also with lines added above it), and
// patches that do not fit, which change nothing and say where.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_OFFSET, PatchError, applyFilePatch, applyPatch, parsePatch, patchedPaths } from "./labs-patch";

const GIT_DIFF = `diff --git a/src/a.ts b/src/a.ts
index 1111111..2222222 100644
--- a/src/a.ts
+++ b/src/a.ts
@@ -1,4 +1,4 @@
 one
-two
+TWO
 three
 four
@@ -8,3 +8,4 @@ seven
 eight
 nine
+nine and a half
 ten
`;

const A = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", ""].join("\n");

describe("applyPatch", () => {
  it("applies git diff output, hunk by hunk", () => {
    const out = applyPatch({ "src/a.ts": A, "other.ts": "x" }, GIT_DIFF);
    expect(out["src/a.ts"]).toBe(A.replace("two", "TWO").replace("nine\n", "nine\nnine and a half\n"));
    expect(out["other.ts"]).toBe("x");
    expect(patchedPaths(GIT_DIFF)).toEqual(["src/a.ts"]);
  });

  it("finds a hunk that moved, and refuses one whose context differs, changing nothing", () => {
    const moved = `zero\n${A}`;
    expect(applyPatch({ "src/a.ts": moved }, GIT_DIFF)["src/a.ts"]).toBe(moved.replace("two", "TWO").replace("nine\n", "nine\nnine and a half\n"));
    const tree = { "src/a.ts": A.replace("eight", "EIGHT") };
    expect(() => applyPatch(tree, GIT_DIFF)).toThrow(PatchError);
    expect(() => applyPatch(tree, GIT_DIFF)).toThrow(/src\/a\.ts: the hunk at line 8 does not match/);
    expect(tree["src/a.ts"]).toBe(A.replace("eight", "EIGHT"));
  });

  it("says which file is missing, and refuses new or deleted files and cut hunks", () => {
    expect(() => applyPatch({}, GIT_DIFF)).toThrow(/changes src\/a\.ts, which is not in the tree/);
    expect(() => parsePatch("--- /dev/null\n+++ b/new.ts\n@@ -0,0 +1 @@\n+x\n")).toThrow(/creates or deletes/);
    expect(() => parsePatch("--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n a\n-b\n")).toThrow(/cut short/);
    expect(() => parsePatch("@@ -1 +1 @@\n-a\n+b\n")).toThrow(/before any file header/);
  });

  it("applies the diff of any edit, also below lines added above it (fast-check)", () => {
    const line = fc.constantFrom("a", "b", "c", "{", "}", "", "x = 1;", "return y;");
    const edit = fc.record({ at: fc.nat(), remove: fc.nat({ max: 3 }), add: fc.array(line, { maxLength: 3 }) });
    fc.assert(fc.property(fc.array(line, { minLength: 1, maxLength: 60 }), fc.array(edit, { minLength: 1, maxLength: 4 }), fc.array(fc.nat({ max: 99 }).map((n) => `// above ${n}`), { maxLength: 20 }),
      (lines, edits, above) => {
        const { patch, after } = unifiedDiff(lines, edits);
        if (patch === null) return;
        const text = `--- a/f\n+++ b/f\n${patch}`;
        expect(applyPatch({ f: lines.join("\n") }, text).f).toBe(after.join("\n"));
        // Lines (unlike the file's) added above it move every hunk by as many;
        // each is found there when its context is unique in the file (with
        // repeated lines a moved hunk is ambiguous, and the nearest match wins).
        expect(above.length).toBeLessThanOrEqual(MAX_OFFSET);
        const unique = lines.map((l, i) => `${l} // ${i}`);
        const moved = unifiedDiff(unique, edits);
        const movedText = `--- a/f\n+++ b/f\n${moved.patch!}`;
        expect(applyFilePatch([...above, ...unique].join("\n"), parsePatch(movedText)[0]!)).toBe([...above, ...moved.after].join("\n"));
      }), { numRuns: 300 });
  });
});

/** A unified diff (context 3) of `edits` applied to `lines`, non-overlapping
 *  and in order, and the edited lines; null when the edits change nothing. */
function unifiedDiff(lines: string[], edits: { at: number; remove: number; add: string[] }[]): { patch: string | null; after: string[] } {
  // Normalise to sorted, non-overlapping, non-adjacent edits.
  const sorted: { at: number; remove: number; add: string[] }[] = [];
  let floor = 0;
  for (const e of [...edits].sort((x, y) => x.at - y.at)) {
    const at = Math.max(floor, e.at % (lines.length + 1));
    if (at > lines.length) break;
    const remove = Math.min(e.remove, lines.length - at);
    if (remove === 0 && e.add.length === 0) continue;
    sorted.push({ at, remove, add: e.add });
    floor = at + remove + 7; // hunks never share context
  }
  const after: string[] = [];
  let pos = 0;
  for (const e of sorted) {
    after.push(...lines.slice(pos, e.at), ...e.add);
    pos = e.at + e.remove;
  }
  after.push(...lines.slice(pos));
  if (sorted.length === 0) return { patch: null, after };
  let out = "";
  let shift = 0;
  for (const e of sorted) {
    const from = Math.max(0, e.at - 3);
    const to = Math.min(lines.length, e.at + e.remove + 3);
    const before = lines.slice(from, e.at).map((l) => ` ${l}`);
    const removed = lines.slice(e.at, e.at + e.remove).map((l) => `-${l}`);
    const added = e.add.map((l) => `+${l}`);
    const trailing = lines.slice(e.at + e.remove, to).map((l) => ` ${l}`);
    const oldCount = to - from;
    const newCount = oldCount - e.remove + e.add.length;
    out += `@@ -${oldCount === 0 ? from : from + 1},${oldCount} +${newCount === 0 ? from + shift : from + shift + 1},${newCount} @@\n`;
    out += [...before, ...removed, ...added, ...trailing].map((l) => `${l}\n`).join("");
    shift += e.add.length - e.remove;
  }
  return { patch: out, after };
}
