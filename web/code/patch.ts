// Patches against the shipped kernel sources (docs/code-panel.md, "Share a
// change"): the edits of the Code panel as a unified diff, the text `diff
// -u` and `git diff` write and `git apply` reads, and back.
//
// * makePatch(shipped, edits): one `--- a/PATH` / `+++ b/PATH` section per
//   changed file, in path order, hunks with 3 lines of context; a file
//   that does not end in a newline gets `\ No newline at end of file`.
// * applyPatch(shipped, patch): the edited files; applyToTree(tree, patch):
//   the whole tree with them (the labs' start and solution patches, applied
//   in the page and by `npm run grade`). Each hunk must find its
//   old lines (context and removed lines) in the shipped file: at the line
//   its header names (moved by what the hunks before it added or removed),
//   else at the nearest place they match exactly. A hunk that matches
//   nowhere, a file the shipped sources do not have, or text that is not a
//   patch is a PatchError saying which and where; nothing is half applied.
//
// The line diff is Myers' O(ND) algorithm on lines (with their newlines),
// after stripping the common start and end; an edit script longer than
// MAX_EDIT_DISTANCE lines falls back to replacing the differing middle
// whole, which is still a correct patch, only a longer one.
import type { SourceFiles } from "./source-bundle";

export class PatchError extends Error {}

export const CONTEXT_LINES = 3;
/** Longest edit script searched for (lines removed plus lines added). */
const MAX_EDIT_DISTANCE = 1000;
const NO_NEWLINE = "\\ No newline at end of file";

/** The lines of `text`, each with its "\n" (the last one without, when the text does not end in one). */
export function splitLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split("\n").map((line) => `${line}\n`);
  const last = lines.pop()!;
  if (last !== "\n") lines.push(last.slice(0, -1));
  return lines;
}

type Op = { kind: "same" | "del" | "add"; line: string };

/** A shortest edit script from `a` to `b` (Myers), as a sequence of ops. */
export function diffLines(a: readonly string[], b: readonly string[]): Op[] {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const head: Op[] = a.slice(0, start).map((line) => ({ kind: "same", line }));
  const tail: Op[] = a.slice(endA).map((line) => ({ kind: "same", line }));
  return [...head, ...middle(a.slice(start, endA), b.slice(start, endB)), ...tail];
}

function middle(a: readonly string[], b: readonly string[]): Op[] {
  const n = a.length;
  const m = b.length;
  const replace = (): Op[] => [...a.map((line): Op => ({ kind: "del", line })), ...b.map((line): Op => ({ kind: "add", line }))];
  if (n === 0 || m === 0) return replace();
  const max = Math.min(n + m, MAX_EDIT_DISTANCE);
  const offset = max + 1;
  let v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  for (let d = 0; d <= max; d++) {
    trace.push(v.slice());
    const next = v.slice();
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? v[offset + k + 1]! : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      next[offset + k] = x;
      if (x >= n && y >= m) {
        trace.push(next);
        return backtrack(trace, a, b, offset, d);
      }
    }
    v = next;
  }
  return replace();
}

function backtrack(trace: Int32Array[], a: readonly string[], b: readonly string[], offset: number, depth: number): Op[] {
  const ops: Op[] = [];
  let x = a.length;
  let y = b.length;
  for (let d = depth; d > 0; d--) {
    const v = trace[d]!; // the state before round d
    const k = x - y;
    const down = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!);
    const prevK = down ? k + 1 : k - 1;
    const prevX = v[offset + prevK]!;
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      ops.push({ kind: "same", line: a[--x]! });
      y--;
    }
    if (down) ops.push({ kind: "add", line: b[--y]! });
    else ops.push({ kind: "del", line: a[--x]! });
  }
  while (x > 0 && y > 0) {
    ops.push({ kind: "same", line: a[--x]! });
    y--;
  }
  return ops.reverse();
}

/** One line of a hunk body, with the marker for a missing final newline. */
function bodyLine(prefix: string, line: string): string {
  return line.endsWith("\n") ? `${prefix}${line}` : `${prefix}${line}\n${NO_NEWLINE}\n`;
}

/** The unified diff of one file ("" when the texts are equal). */
export function fileDiff(path: string, before: string, after: string, context = CONTEXT_LINES): string {
  if (before === after) return "";
  const ops = diffLines(splitLines(before), splitLines(after));
  const changed = ops.map((op, i) => (op.kind !== "same" ? i : -1)).filter((i) => i >= 0);
  let out = `--- a/${path}\n+++ b/${path}\n`;
  let i = 0;
  while (i < changed.length) {
    // A hunk: changes no more than 2 * context lines apart, with context around.
    let last = i;
    while (last + 1 < changed.length && changed[last + 1]! - changed[last]! <= 2 * context + 1) last++;
    const from = Math.max(0, changed[i]! - context);
    const to = Math.min(ops.length, changed[last]! + context + 1);
    let oldLine = 0;
    let newLine = 0;
    for (let j = 0; j < from; j++) {
      if (ops[j]!.kind !== "add") oldLine++;
      if (ops[j]!.kind !== "del") newLine++;
    }
    let oldCount = 0;
    let newCount = 0;
    let body = "";
    for (let j = from; j < to; j++) {
      const op = ops[j]!;
      if (op.kind !== "add") oldCount++;
      if (op.kind !== "del") newCount++;
      body += bodyLine(op.kind === "same" ? " " : op.kind === "del" ? "-" : "+", op.line);
    }
    const range = (start: number, count: number) => `${count === 0 ? start : start + 1}${count === 1 ? "" : `,${count}`}`;
    out += `@@ -${range(oldLine, oldCount)} +${range(newLine, newCount)} @@\n${body}`;
    i = last + 1;
  }
  return out;
}

/** The patch of the edits against the shipped files: every changed file, in path order. */
export function makePatch(shipped: SourceFiles, edits: SourceFiles): string {
  return Object.keys(edits)
    .filter((path) => path in shipped && shipped[path] !== edits[path])
    .sort()
    .map((path) => fileDiff(path, shipped[path]!, edits[path]!))
    .join("");
}

interface Hunk {
  /** 0-based line where the old lines start. */
  at: number;
  old: string[];
  new: string[];
  /** Line of the header in the patch, for messages. */
  patchLine: number;
}

export interface FilePatch {
  path: string;
  hunks: Hunk[];
}

const HUNK_HEADER = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;

function stripPrefix(name: string): string {
  const path = name.split("\t")[0]!.trimEnd();
  return path.startsWith("a/") || path.startsWith("b/") ? path.slice(2) : path;
}

/** Reads a unified diff; throws PatchError for text that is not one. */
export function parsePatch(text: string): FilePatch[] {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  const files: FilePatch[] = [];
  let i = 0;
  const fail = (why: string): never => {
    throw new PatchError(`the patch is damaged at its line ${i + 1}: ${why}`);
  };
  while (i < lines.length) {
    const line = lines[i]!;
    if (!line.startsWith("--- ")) {
      // What git puts before a file's diff (diff --git, index, mode lines) is skipped.
      if (files.length === 0 || /^(diff |index |old mode|new mode|similarity|rename|deleted file|new file)/.test(line)) {
        if (/^(deleted file|new file|rename)/.test(line)) fail("only changes to existing files can be applied, not files created, deleted or renamed");
        i++;
        continue;
      }
      fail(`expected a file header (--- a/PATH), found ${JSON.stringify(line.slice(0, 40))}`);
    }
    const oldName = stripPrefix(line.slice(4));
    const plus = lines[++i];
    if (plus === undefined || !plus.startsWith("+++ ")) fail("a --- line is not followed by a +++ line");
    const newName = stripPrefix(plus!.slice(4));
    if (oldName === "/dev/null" || newName === "/dev/null") fail("only changes to existing files can be applied, not files created or deleted");
    if (oldName !== newName) fail(`it renames ${oldName} to ${newName}`);
    const file: FilePatch = { path: newName, hunks: [] };
    i++;
    while (i < lines.length && lines[i]!.startsWith("@@")) {
      const header = HUNK_HEADER.exec(lines[i]!);
      if (header === null) fail("a hunk header is not of the form @@ -L,N +L,N @@");
      const oldCount = header![2] === undefined ? 1 : Number(header![2]);
      const newCount = header![4] === undefined ? 1 : Number(header![4]);
      const oldStart = Number(header![1]);
      const hunk: Hunk = { at: oldCount === 0 ? oldStart : oldStart - 1, old: [], new: [], patchLine: i + 1 };
      i++;
      while (hunk.old.length < oldCount || hunk.new.length < newCount) {
        const body = lines[i];
        if (body === undefined) fail("the patch ends inside a hunk (it may be cut short)");
        // An empty line is a context line whose space a mailer or editor dropped.
        const mark = body === "" ? " " : body![0];
        const rest = `${body!.slice(1)}\n`;
        if (mark === " ") {
          hunk.old.push(rest);
          hunk.new.push(rest);
        } else if (mark === "-") hunk.old.push(rest);
        else if (mark === "+") hunk.new.push(rest);
        else fail(`a hunk line starts with ${JSON.stringify(mark ?? "")}, not ' ', '-' or '+'`);
        i++;
        if (lines[i] === NO_NEWLINE) {
          // The line just read has no newline at the end of its file.
          if (mark !== "+") hunk.old[hunk.old.length - 1] = hunk.old.at(-1)!.slice(0, -1);
          if (mark !== "-") hunk.new[hunk.new.length - 1] = hunk.new.at(-1)!.slice(0, -1);
          i++;
        }
        if (hunk.old.length > oldCount || hunk.new.length > newCount) fail("a hunk has more lines than its header counts");
      }
      file.hunks.push(hunk);
    }
    if (file.hunks.length === 0) fail(`the section for ${file.path} has no hunks`);
    files.push(file);
  }
  return files;
}

function matchesAt(lines: readonly string[], at: number, old: readonly string[]): boolean {
  if (at < 0 || at + old.length > lines.length) return false;
  for (let j = 0; j < old.length; j++) if (lines[at + j] !== old[j]) return false;
  return true;
}

/** `text` with the file's hunks applied; throws PatchError naming the hunk that does not apply. */
export function applyFilePatch(text: string, file: FilePatch): string {
  const lines = splitLines(text);
  const out: string[] = [];
  let copied = 0; // lines of `lines` already in `out` or replaced
  let shift = 0; // how far the hunks applied so far moved the file
  file.hunks.forEach((hunk, index) => {
    const wanted = hunk.at + shift;
    let at = -1;
    for (let delta = 0; delta <= lines.length; delta++) {
      if (wanted - delta >= copied && matchesAt(lines, wanted - delta, hunk.old)) {
        at = wanted - delta;
        break;
      }
      if (delta > 0 && matchesAt(lines, wanted + delta, hunk.old)) {
        at = wanted + delta;
        break;
      }
    }
    if (at < copied) {
      throw new PatchError(`hunk ${index + 1} of ${file.path} (line ${hunk.at + 1}, patch line ${hunk.patchLine}) does not apply: ` +
        "the lines it changes are not in the shipped file (it may have changed since the patch was made)");
    }
    shift = at - hunk.at;
    out.push(...lines.slice(copied, at), ...hunk.new);
    copied = at + hunk.old.length;
  });
  out.push(...lines.slice(copied));
  return out.join("");
}

/** The edited files a patch makes of the shipped ones (only those it changes). */
export function applyPatch(shipped: SourceFiles, patch: string): SourceFiles {
  const edits: SourceFiles = {};
  for (const file of parsePatch(patch)) {
    if (!(file.path in shipped)) throw new PatchError(`the patch changes ${file.path}, which is not one of the kernel's sources`);
    if (file.path in edits) throw new PatchError(`the patch changes ${file.path} twice`);
    edits[file.path] = applyFilePatch(shipped[file.path]!, file);
  }
  return edits;
}

/** `tree` with every file the patch changes replaced by its patched text (the
 *  labs, docs/labs/README.md); throws PatchError and changes nothing when a
 *  file is missing or a hunk does not apply. */
export function applyToTree(tree: SourceFiles, patch: string): SourceFiles {
  return { ...tree, ...applyPatch(tree, patch) };
}

/** The paths a patch changes, in its order. */
export function patchedPaths(patch: string): string[] {
  return parsePatch(patch).map((file) => file.path);
}
