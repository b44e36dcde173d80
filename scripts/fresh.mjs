// Content stamps for incremental builds. An output is fresh when it exists
// and the stamp beside it (build/.stamps/) records the same digest of its
// inputs: every input file's path and bytes, plus the build's own settings
// (compiler version, flags). Timestamps are not trusted: a checkout, a
// `git stash` or a copied tree changes them without changing content.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";

const STAMP_DIR = "build/.stamps";

/** Every file below `dir` (recursively) whose path passes `keep`, sorted. */
export function filesUnder(dir, keep = () => true) {
  const out = [];
  const walk = (d) => {
    if (!existsSync(d)) return;
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (keep(path)) out.push(path);
    }
  };
  walk(dir);
  return out;
}

/** The digest of a list of files (paths relative to the repository root,
 *  and contents) and of `settings`, any JSON-serializable value. */
export function inputDigest(files, settings) {
  const hash = createHash("sha256");
  hash.update(JSON.stringify(settings ?? null));
  for (const file of [...files].sort()) {
    hash.update("\0" + relative(".", file) + "\0");
    hash.update(readFileSync(file));
  }
  return hash.digest("hex");
}

function stampPath(output) {
  return join(STAMP_DIR, relative(".", output).replace(/[\\/]/g, "__") + ".sha256");
}

/** True when `output` exists and was built from inputs with this digest. */
export function isFresh(output, digest) {
  if (!existsSync(output)) return false;
  try {
    return readFileSync(stampPath(output), "utf8").trim() === digest;
  } catch {
    return false;
  }
}

/** Records that `output` was built from inputs with this digest. Call it
 *  only after the output was written completely. */
export function recordStamp(output, digest) {
  mkdirSync(STAMP_DIR, { recursive: true });
  writeFileSync(stampPath(output), digest + "\n");
}
