// The kernel's sources as the page gets them: one JSON document
// (`{ format, version, files: { path: text } }`), gzip-compressed into
// build/kernel-src.json.gz by scripts/kernel-src.ts at build time and
// fetched by the Code panel (web/code/code-panel.ts) only when it opens.
// Shared by the build step (Node) and the page: the same checks on both
// sides, so a bundle the page accepts is one the build could have made.

export const BUNDLE_FORMAT = "keel-kernel-src";
export const BUNDLE_VERSION = 1;
/** Where the compiler expects the kernel's configuration (scripts/build-kernel.mjs). */
export const ASCONFIG_PATH = "asconfig.json";
/** The kernel's entry file: named on the command line, as scripts/build-kernel.mjs does. */
export const KERNEL_ENTRY = "kernel-as/src/main.ts";
/** Limits that keep a damaged or hostile bundle from filling the tab. */
export const BUNDLE_MAX_FILES = 2000;
export const BUNDLE_MAX_BYTES = 16 * 1024 * 1024;
const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;

/** Path → text, sorted by path. */
export type SourceFiles = Record<string, string>;

export interface SourceBundle {
  format: typeof BUNDLE_FORMAT;
  version: typeof BUNDLE_VERSION;
  files: SourceFiles;
}

/** Why `path` cannot name a file in the bundle, or null. Paths are relative,
 *  "/"-separated, without "." or ".." segments, so the compiler's file system
 *  (web/code/compile.ts) never resolves outside the tree. */
export function pathProblem(path: string): string | null {
  if (path === "") return "an empty path";
  if (path.startsWith("/")) return `${JSON.stringify(path)} is absolute`;
  if (path.includes("\\")) return `${JSON.stringify(path)} has a backslash`;
  for (const segment of path.split("/")) {
    if (segment === "" || segment === "." || segment === "..") return `${JSON.stringify(path)} has an empty, "." or ".." segment`;
  }
  return null;
}

/** The bundle's JSON text for `files` (paths sorted, so equal trees give equal bytes). */
export function bundleJson(files: SourceFiles): string {
  const sorted: SourceFiles = {};
  for (const path of Object.keys(files).sort()) {
    const problem = pathProblem(path);
    if (problem !== null) throw new Error(`kernel source bundle: ${problem}`);
    sorted[path] = files[path]!;
  }
  if (!(ASCONFIG_PATH in sorted)) throw new Error(`kernel source bundle: ${ASCONFIG_PATH} is missing`);
  if (!(KERNEL_ENTRY in sorted)) throw new Error(`kernel source bundle: ${KERNEL_ENTRY} is missing`);
  const bundle: SourceBundle = { format: BUNDLE_FORMAT, version: BUNDLE_VERSION, files: sorted };
  return JSON.stringify(bundle);
}

/** Checks a bundle's JSON text; throws an Error that says what is wrong. */
export function parseBundle(text: string): SourceBundle {
  if (text.length > BUNDLE_MAX_BYTES) throw new Error(`the kernel source bundle is larger than ${BUNDLE_MAX_BYTES} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error("the kernel source bundle is not JSON");
  }
  if (typeof value !== "object" || value === null) throw new Error("the kernel source bundle is not an object");
  const { format, version, files } = value as Record<string, unknown>;
  if (format !== BUNDLE_FORMAT) throw new Error(`the kernel source bundle has format ${JSON.stringify(format)}, not ${BUNDLE_FORMAT}`);
  if (version !== BUNDLE_VERSION) throw new Error(`the kernel source bundle is version ${JSON.stringify(version)}; this page reads ${BUNDLE_VERSION}`);
  if (typeof files !== "object" || files === null || Array.isArray(files)) throw new Error("the kernel source bundle has no file table");
  const entries = Object.entries(files as Record<string, unknown>);
  if (entries.length > BUNDLE_MAX_FILES) throw new Error(`the kernel source bundle has more than ${BUNDLE_MAX_FILES} files`);
  const checked: SourceFiles = {};
  for (const [path, body] of entries) {
    const problem = pathProblem(path);
    if (problem !== null) throw new Error(`the kernel source bundle has a bad path: ${problem}`);
    if (typeof body !== "string") throw new Error(`the kernel source bundle's ${path} is not text`);
    checked[path] = body;
  }
  if (!(ASCONFIG_PATH in checked)) throw new Error(`the kernel source bundle has no ${ASCONFIG_PATH}`);
  if (!(KERNEL_ENTRY in checked)) throw new Error(`the kernel source bundle has no ${KERNEL_ENTRY}`);
  return { format: BUNDLE_FORMAT, version: BUNDLE_VERSION, files: checked };
}

/** The bundle's text from fetched bytes: gunzipped when they are gzip (a
 *  static host that sends the file with Content-Encoding: gzip has already
 *  unpacked it, and the browser hands over plain JSON). */
export async function bundleText(bytes: Uint8Array): Promise<string> {
  if (bytes.length >= 2 && bytes[0] === GZIP_MAGIC_0 && bytes[1] === GZIP_MAGIC_1) {
    const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).text();
  }
  return new TextDecoder().decode(bytes);
}

/** The tree to compile: the shipped files with the edited ones in their place. */
export function editedTree(shipped: SourceFiles, edits: SourceFiles): SourceFiles {
  const tree: SourceFiles = { ...shipped };
  for (const [path, text] of Object.entries(edits)) if (path in shipped) tree[path] = text;
  return tree;
}

/** The edits that differ from the shipped files, sorted by path. */
export function changedFiles(shipped: SourceFiles, edits: SourceFiles): string[] {
  return Object.keys(edits).filter((path) => path in shipped && shipped[path] !== edits[path]).sort();
}

/** A short name for a patch: the first 8 hex digits of SHA-256 over the
 *  changed files (path, NUL, text, NUL, in path order). Equal patches get
 *  equal names; no change at all is "shipped". */
export async function patchHash(shipped: SourceFiles, edits: SourceFiles): Promise<string> {
  const changed = changedFiles(shipped, edits);
  if (changed.length === 0) return "shipped";
  const text = changed.map((path) => `${path}\0${edits[path]}\0`).join("");
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return [...digest.slice(0, 4)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
