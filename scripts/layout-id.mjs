// The kernel's layout id (docs/code-panel.md, "Hot swap"): a 32-bit number
// that changes whenever something the kernel keeps in RAM may change shape,
// so that a kernel built in the page is applied over a running machine's RAM
// only when it reads that RAM as the running kernel wrote it.
//
// Keel's kernel keeps all of its state in linear memory at fixed offsets:
// the records' layouts are top-level constants (`const P_HEAP_START: usize =
// 736`, `KSTATE_PROC`, `MAX_PROCS`), `@unmanaged` classes laid over RAM, and
// the options in asconfig.json (memoryBase, runtime). The id is FNV-1a over
// every top-level declaration of every kernel source except
//   * functions (their bodies are code, not layout),
//   * imports and re-exports,
//   * constants whose value is a string literal (messages, names),
// each normalized (comments dropped, whitespace collapsed) and tagged with
// its file, and over asconfig.json. So editing a function, a message or a
// comment keeps the id; editing any other top-level constant, class, enum or
// global changes it (conservative: a changed time-slice constant refuses a
// hot swap too). A change of what a record *means* that no constant shows
// is marked by bumping STATE_FORMAT in kernel-as/src/lib/layout.ts, itself
// such a constant.
//
// Both builds compute it from the tree they compile and hand it to asc as
// `--use KEEL_LAYOUT_ID=<decimal>`: scripts/build-kernel.mjs from the
// checkout, web/code/compile.ts from the page's edited tree. The kernel
// exports it as layoutVersion() (kernel-as/src/main.ts).
//
// Plain JavaScript so that the Node build script can import it without a
// TypeScript loader; web/code/ imports it with layout-id.d.mts.

/** The asc command-line constant the id is passed as. */
export const LAYOUT_ID_NAME = "KEEL_LAYOUT_ID";
const SOURCE_PREFIX = "kernel-as/src/";
const ASCONFIG = "asconfig.json";

/** Splits `text` into tokens: identifiers/numbers, strings (kept whole),
 *  and single punctuation characters. Comments and whitespace are dropped.
 *  AssemblyScript has no regular-expression literals, so `/` is division
 *  unless it starts a comment. */
export function tokenize(text) {
  const tokens = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text[i];
    if (c === " " || c === "\t" || c === "\n" || c === "\r") { i++; continue; }
    if (c === "/" && text[i + 1] === "/") {
      while (i < n && text[i] !== "\n") i++;
      continue;
    }
    if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      i = end < 0 ? n : end + 2;
      continue;
    }
    if (c === "\"" || c === "'" || c === "`") {
      let j = i + 1;
      while (j < n && text[j] !== c) j += text[j] === "\\" ? 2 : 1;
      tokens.push(text.slice(i, Math.min(j + 1, n)));
      i = j + 1;
      continue;
    }
    if (/[A-Za-z0-9_$.]/.test(c)) {
      let j = i + 1;
      while (j < n && /[A-Za-z0-9_$.]/.test(text[j])) j++;
      tokens.push(text.slice(i, j));
      i = j;
      continue;
    }
    tokens.push(c);
    i++;
  }
  return tokens;
}

const BLOCK_KEYWORDS = new Set(["function", "class", "enum", "namespace", "interface"]);
const MODIFIERS = new Set(["export", "declare", "abstract", "default", "async"]);

/** The head of a statement: its keyword and name, past decorators and modifiers. */
function head(tokens) {
  let i = 0;
  for (;;) {
    if (tokens[i] === "@") {
      i += 2; // @name
      if (tokens[i] === "(") {
        let depth = 0;
        for (; i < tokens.length; i++) {
          if (tokens[i] === "(") depth++;
          else if (tokens[i] === ")" && --depth === 0) { i++; break; }
        }
      }
    } else if (MODIFIERS.has(tokens[i])) i++;
    else break;
  }
  return { keyword: tokens[i] ?? "", name: tokens[i + 1] ?? "", at: i };
}

/** The top-level statements of a source, as token lists. */
export function topLevelStatements(text) {
  const statements = [];
  let current = [];
  let depth = 0;
  for (const token of tokenize(text)) {
    current.push(token);
    if (token === "{" || token === "(" || token === "[") depth++;
    else if (token === "}" || token === ")" || token === "]") depth = Math.max(0, depth - 1);
    if (depth !== 0) continue;
    if (token === ";" || (token === "}" && BLOCK_KEYWORDS.has(head(current).keyword))) {
      if (current.length > 1 || token !== ";") statements.push(current);
      current = [];
    }
  }
  if (current.length > 0) statements.push(current);
  return statements;
}

const isString = (token) => token !== undefined && /^["'`]/.test(token);

/** The layout-defining declarations of one source: [name, normalized text]. */
export function layoutDeclarations(text) {
  const out = [];
  for (const tokens of topLevelStatements(text)) {
    const { keyword, name, at } = head(tokens);
    if (keyword === "function" || keyword === "import") continue;
    // `export { a } from "./b"`, `export * from`, `export { a }`
    if (tokens[at - 1] === "export" && (keyword === "{" || keyword === "*")) continue;
    if (keyword === "const" || keyword === "let" || keyword === "var") {
      const eq = tokens.indexOf("=");
      if (eq > 0 && isString(tokens[eq + 1]) && (tokens[eq + 2] === ";" || tokens[eq + 2] === undefined)) continue;
    }
    out.push([`${keyword} ${name}`, tokens.join(" ")]);
  }
  return out;
}

/** 32-bit FNV-1a over the UTF-16 code units of `text`. */
function fnv1a(text, hash = 0x811c9dc5) {
  let h = hash;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** Every layout-defining declaration of a tree (path -> text), in path
 *  order: `kernel-as/src/x.ts: const NAME` -> normalized text, and the
 *  configuration as one entry. */
export function layoutEntries(files) {
  const entries = new Map();
  for (const path of Object.keys(files).sort()) {
    const text = files[path];
    if (path === ASCONFIG) {
      let normalized = text;
      try { normalized = JSON.stringify(JSON.parse(text)); } catch { /* compiled as it is; asc reports it */ }
      entries.set(ASCONFIG, normalized);
    } else if (path.startsWith(SOURCE_PREFIX) && path.endsWith(".ts") && !path.endsWith(".test.ts")) {
      const seen = new Map();
      for (const [name, body] of layoutDeclarations(text)) {
        // Two statements with the same head (overloads, `declare`) are kept apart.
        const count = seen.get(name) ?? 0;
        seen.set(name, count + 1);
        entries.set(`${path}: ${name}${count > 0 ? ` #${count + 1}` : ""}`, body);
      }
    }
  }
  return entries;
}

/** The layout id of a tree: FNV-1a over its layout entries. Never 0 (0
 *  means "no id declared" to the host). */
export function layoutId(files) {
  let h = 0x811c9dc5;
  for (const [key, body] of layoutEntries(files)) h = fnv1a(`${key}\0${body}\0`, h);
  return h === 0 ? 1 : h;
}

/** The declarations that differ between two trees' layouts, by key ("added",
 *  "removed" or "changed"), in key order. */
export function layoutChanges(before, after) {
  const a = layoutEntries(before);
  const b = layoutEntries(after);
  const changes = [];
  for (const key of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const was = a.get(key);
    const now = b.get(key);
    if (was === now) continue;
    changes.push({ key, change: was === undefined ? "added" : now === undefined ? "removed" : "changed" });
  }
  return changes;
}

/** The asc arguments that declare the id of `files`. */
export function layoutIdArgs(files) {
  return ["--use", `${LAYOUT_ID_NAME}=${layoutId(files)}`];
}
