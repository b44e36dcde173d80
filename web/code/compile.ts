// The in-page kernel build's core, without the worker around it
// (web/code/build-worker.ts): runs the AssemblyScript compiler's `asc.main`
// over an in-memory tree of sources with the kernel's own release flags,
// read by the compiler from the tree's asconfig.json exactly as
// scripts/build-kernel.mjs has it read from the checkout, and turns the
// compiler's diagnostics into file:line records for the Code panel.
// Runs in Node too (web/code/compile.test.ts uses the real compiler).
import { layoutIdArgs } from "../../scripts/layout-id.mjs";
import { ASCONFIG_PATH, KERNEL_ENTRY, type SourceFiles } from "./source-bundle";

/** The command line scripts/build-kernel.mjs gives the release kernel. */
export const RELEASE_ARGS = [KERNEL_ENTRY, "--config", ASCONFIG_PATH, "--target", "release"] as const;
export const RELEASE_TARGET = "release";

export type Severity = "error" | "warning" | "info";

/** One compiler message, placed in a file of the tree when it has a place. */
export interface BuildDiagnostic {
  severity: Severity;
  /** The compiler's code (AS100, TS2304, ...), as a number. */
  code: number;
  message: string;
  /** Path in the tree ("kernel-as/src/main.ts"), or null (a library file, or no place). */
  file: string | null;
  /** 1-based line and column of the start, and of the end. */
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

export interface BuildResult {
  ok: boolean;
  /** The kernel, when the build succeeded. */
  wasm: Uint8Array | null;
  diagnostics: BuildDiagnostic[];
  /** Wall time of asc.main, in milliseconds. */
  ms: number;
  /** What the compiler printed on stderr (its formatted diagnostics, a crash). */
  stderr: string;
}

/** The parts of asc's DiagnosticMessage this file reads. */
export interface AscDiagnostic {
  code: number;
  /** DiagnosticCategory: 0 pedantic, 1 info, 2 warning, 3 error. */
  category: number;
  message: string;
  /** Offsets into the source; asc hands over the source's path only. */
  range: { start: number; end: number; source: { normalizedPath: string } | null } | null;
}

/** The parts of asc's API this file uses. */
export interface AscApi {
  main(argv: string[], options: {
    readFile(name: string, baseDir: string): string | null;
    writeFile(name: string, contents: Uint8Array | string, baseDir: string): void;
    listFiles(dir: string, baseDir: string): string[] | null;
    stdout: { write(text: string | Uint8Array): void };
    stderr: { write(text: string | Uint8Array): void };
    reportDiagnostic(diagnostic: AscDiagnostic): void;
  }): Promise<{ error: Error | null }>;
}

const CATEGORY_WARNING = 2;
const CATEGORY_ERROR = 3;

/** `name` relative to `baseDir`, as a path of the tree, or null when it
 *  leaves the tree (an absolute path, or ".." above its root). */
export function treePath(name: string, baseDir: string): string | null {
  if (name.startsWith("/")) return null;
  const parts: string[] = [];
  for (const segment of `${baseDir}/${name}`.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") {
      if (parts.length === 0) return null;
      parts.pop();
    } else parts.push(segment);
  }
  return parts.length === 0 ? null : parts.join("/");
}

/** The file names directly inside `dir` of the tree, or null when there are none. */
export function listTree(files: SourceFiles, dir: string, baseDir: string): string[] | null {
  const base = treePath(dir, baseDir);
  if (base === null) return null;
  const prefix = `${base}/`;
  const names = Object.keys(files)
    .filter((path) => path.startsWith(prefix) && !path.slice(prefix.length).includes("/"))
    .map((path) => path.slice(prefix.length));
  return names.length === 0 ? null : names.sort();
}

/** 1-based line and column of `offset` in `text`. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const clamped = Math.max(0, Math.min(offset, text.length));
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < clamped; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: clamped - lineStart + 1 };
}

/** asc's message as a record of the tree. Sources the compiler brought in
 *  itself (`~lib/...`) have no file in the tree. */
export function toDiagnostic(message: AscDiagnostic, files: SourceFiles): BuildDiagnostic {
  const severity: Severity = message.category >= CATEGORY_ERROR ? "error" : message.category === CATEGORY_WARNING ? "warning" : "info";
  const base = { severity, code: message.code, message: message.message };
  const range = message.range;
  const nowhere = { ...base, file: null, line: 0, column: 0, endLine: 0, endColumn: 0 };
  if (range === null || range.source === null) return nowhere;
  // asc names a file by its path without the extension; the tree has it with one.
  const path = range.source.normalizedPath;
  const file = path in files ? path : `${path}.ts` in files ? `${path}.ts` : null;
  if (file === null) return nowhere;
  const text = files[file]!;
  const start = lineColumn(text, range.start);
  const end = lineColumn(text, range.end);
  return { ...base, file, line: start.line, column: start.column, endLine: end.line, endColumn: end.column };
}

/** The release target's output file, from the tree's asconfig.json. */
export function releaseOutFile(files: SourceFiles): string {
  const text = files[ASCONFIG_PATH];
  if (text === undefined) throw new Error(`the tree has no ${ASCONFIG_PATH}`);
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch {
    throw new Error(`${ASCONFIG_PATH} is not JSON`);
  }
  const outFile = (config as { targets?: Record<string, { outFile?: unknown }> }).targets?.[RELEASE_TARGET]?.outFile;
  if (typeof outFile !== "string" || outFile === "") throw new Error(`${ASCONFIG_PATH} names no outFile for the ${RELEASE_TARGET} target`);
  return outFile;
}

/** Compiles the kernel from `files` (or `argv` over them), with the tree's
 *  layout id as the constant KEEL_LAYOUT_ID (scripts/layout-id.mjs), as
 *  scripts/build-kernel.mjs passes it. Never throws: whatever goes wrong
 *  comes back as a failed result with the reason. */
export async function compileTree(asc: AscApi, files: SourceFiles, argv: readonly string[] = RELEASE_ARGS): Promise<BuildResult> {
  const diagnostics: BuildDiagnostic[] = [];
  const outputs = new Map<string, Uint8Array>();
  let stderr = "";
  const started = performance.now();
  const failed = (message: string): BuildResult => ({
    ok: false, wasm: null, ms: performance.now() - started, stderr,
    diagnostics: [...diagnostics, { severity: "error", code: 0, message, file: null, line: 0, column: 0, endLine: 0, endColumn: 0 }],
  });
  let outFile: string;
  try {
    outFile = treePath(releaseOutFile(files), ".") ?? "";
  } catch (error) {
    return failed((error as Error).message);
  }
  try {
    const { error } = await asc.main([...argv, ...layoutIdArgs(files)], {
      readFile: (name, baseDir) => {
        const path = treePath(name, baseDir);
        return path === null ? null : files[path] ?? null;
      },
      writeFile: (name, contents, baseDir) => {
        const path = treePath(name, baseDir);
        if (path !== null) outputs.set(path, typeof contents === "string" ? new TextEncoder().encode(contents) : contents.slice());
      },
      listFiles: (dir, baseDir) => listTree(files, dir, baseDir),
      stdout: { write: () => {} },
      stderr: { write: (text) => void (stderr += typeof text === "string" ? text : new TextDecoder().decode(text)) },
      reportDiagnostic: (message) => diagnostics.push(toDiagnostic(message, files)),
    });
    const ms = performance.now() - started;
    const hasError = diagnostics.some((d) => d.severity === "error");
    if (error !== null || hasError) {
      const result = { ok: false, wasm: null, diagnostics, ms, stderr };
      // A failure with no message of its own (a crash) still says something.
      if (!hasError) result.diagnostics = [...diagnostics, { ...failed(error?.message ?? "the compiler failed").diagnostics.at(-1)! }];
      return result;
    }
    const wasm = outputs.get(outFile) ?? null;
    if (wasm === null) return failed(`the compiler wrote no ${outFile}`);
    return { ok: true, wasm, diagnostics, ms, stderr };
  } catch (error) {
    return failed(`the compiler crashed: ${error instanceof Error ? error.message : JSON.stringify(error) ?? String(error)}`);
  }
}
