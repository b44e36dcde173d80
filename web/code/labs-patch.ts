// Unified diffs over a source tree (path -> text), for the labs
// (docs/labs/README.md): a lab's starting point and its solution are
// `git diff` output kept in labs/<id>/, applied to the kernel's sources in
// the page (web/code/labs-panel.ts) and in Node (scripts/grade.ts) by this
// one function. A hunk applies where its context and removed lines match
// exactly: at the line its header names, or the nearest line within
// MAX_OFFSET of it (a student's edit above a hunk moves it). Anything that
// does not match is an error naming the file and the hunk, and the tree
// comes back unchanged: a patch applies whole or not at all.

export type Tree = Record<string, string>;

/** How far from its header's line a hunk is looked for. */
export const MAX_OFFSET = 400;

export interface Hunk {
  /** 1-based first line of the old text the hunk covers. */
  oldStart: number;
  /** The hunk's lines, each with its mark: " " context, "-" removed, "+" added. */
  lines: string[];
}

export interface FilePatch {
  path: string;
  hunks: Hunk[];
}

export class PatchError extends Error {}

/** The path a `---`/`+++` header names, without git's a/ or b/ prefix. */
function headerPath(line: string): string {
  const name = line.slice(4).split("\t")[0]!.trim();
  return /^[ab]\//.test(name) ? name.slice(2) : name;
}

/** Parses a unified diff (`git diff` or `diff -u`) into its files and hunks. */
export function parsePatch(text: string): FilePatch[] {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  const files: FilePatch[] = [];
  let current: FilePatch | null = null;
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.startsWith("--- ") && lines[i + 1]?.startsWith("+++ ")) {
      const path = headerPath(lines[i + 1]!);
      if (path === "/dev/null" || headerPath(line) === "/dev/null") throw new PatchError(`the patch creates or deletes ${path}: only changes to existing files are supported`);
      current = { path, hunks: [] };
      files.push(current);
      i += 2;
      continue;
    }
    const header = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(line);
    if (header !== null) {
      if (current === null) throw new PatchError(`line ${i + 1}: a hunk before any file header`);
      const oldCount = header[2] === undefined ? 1 : Number(header[2]);
      const newCount = header[4] === undefined ? 1 : Number(header[4]);
      const hunk: Hunk = { oldStart: Number(header[1]), lines: [] };
      let seenOld = 0;
      let seenNew = 0;
      i++;
      while (i < lines.length && (seenOld < oldCount || seenNew < newCount)) {
        const body = lines[i]!;
        const mark = body[0] ?? " "; // an empty line is a context line whose space was trimmed
        if (mark === "\\") { i++; continue; } // "\ No newline at end of file"
        if (mark !== " " && mark !== "-" && mark !== "+") throw new PatchError(`line ${i + 1}: ${JSON.stringify(body.slice(0, 40))} is not a hunk line`);
        if (mark !== "+") seenOld++;
        if (mark !== "-") seenNew++;
        hunk.lines.push(body === "" ? " " : body);
        i++;
      }
      if (seenOld !== oldCount || seenNew !== newCount) throw new PatchError(`${current.path}: the hunk at line ${hunk.oldStart} is cut short`);
      current.hunks.push(hunk);
      continue;
    }
    i++; // diff --git, index, mode lines and anything between files
  }
  return files;
}

function matchesAt(lines: readonly string[], at: number, old: readonly string[]): boolean {
  if (at < 0 || at + old.length > lines.length) return false;
  for (let k = 0; k < old.length; k++) if (lines[at + k] !== old[k]) return false;
  return true;
}

/** `text` with the file's hunks applied, in order. Throws PatchError. */
export function applyFilePatch(text: string, patch: FilePatch): string {
  const lines = text.split("\n");
  let shift = 0; // lines added minus removed by the hunks applied so far
  let floor = 0; // a hunk never applies above the previous one's end
  for (const hunk of patch.hunks) {
    const old = hunk.lines.filter((l) => l[0] !== "+").map((l) => l.slice(1));
    const added = hunk.lines.filter((l) => l[0] !== "-").map((l) => l.slice(1));
    const expected = Math.max(0, hunk.oldStart - 1 + shift - (old.length === 0 ? -1 : 0));
    let at = -1;
    for (let d = 0; d <= MAX_OFFSET && at < 0; d++) {
      if (expected - d >= floor && matchesAt(lines, expected - d, old)) at = expected - d;
      else if (expected + d >= floor && matchesAt(lines, expected + d, old)) at = expected + d;
    }
    if (at < 0) {
      const first = hunk.lines.find((l) => l[0] === "-") ?? hunk.lines[0] ?? " ";
      throw new PatchError(`${patch.path}: the hunk at line ${hunk.oldStart} does not match the file (near ${JSON.stringify(first.slice(1).trim().slice(0, 60))})`);
    }
    lines.splice(at, old.length, ...added);
    shift += added.length - old.length;
    floor = at + added.length;
  }
  return lines.join("\n");
}

/** `tree` with every file of the patch changed; throws PatchError (and
 *  changes nothing) when a file is missing or a hunk does not match. */
export function applyPatch(tree: Readonly<Tree>, text: string): Tree {
  const out: Tree = { ...tree };
  for (const file of parsePatch(text)) {
    const before = out[file.path];
    if (before === undefined) throw new PatchError(`the patch changes ${file.path}, which is not in the tree`);
    out[file.path] = applyFilePatch(before, file);
  }
  return out;
}

/** The paths a patch changes, in its order. */
export function patchedPaths(text: string): string[] {
  return parsePatch(text).map((f) => f.path);
}
