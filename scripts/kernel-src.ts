// Build step: packs the kernel's sources (kernel-as/src/**/*.ts without the
// unit tests, and asconfig.json) into build/kernel-src.json.gz for the
// page's Code panel (docs/code-panel.md). vite.config.ts runs it before every
// build and dev server; the file is rewritten only when its bytes change.
// The format and its checks are web/code/source-bundle.ts.
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { gzipSync } from "node:zlib";
import { ASCONFIG_PATH, bundleJson, type SourceFiles } from "../web/code/source-bundle";

export const KERNEL_SOURCE_DIR = "kernel-as/src";
export const BUNDLE_PATH = "build/kernel-src.json.gz";

/** Is `path` (relative, "/"-separated) one of the kernel's sources? */
export function isKernelSource(path: string): boolean {
  return path.endsWith(".ts") && !path.endsWith(".test.ts");
}

function walk(root: string, dir: string, out: string[]): void {
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) walk(root, path, out);
    else if (entry.isFile() && isKernelSource(path)) out.push(path);
  }
}

/** The kernel's sources under `root` (a checkout), path → text. */
export function collectKernelSources(root: string): SourceFiles {
  const paths: string[] = [];
  walk(root, KERNEL_SOURCE_DIR, paths);
  const files: SourceFiles = {};
  for (const path of paths.sort()) files[path] = readFileSync(join(root, path), "utf8");
  files[ASCONFIG_PATH] = readFileSync(join(root, ASCONFIG_PATH), "utf8");
  return files;
}

/** The compressed bundle of `files`. gzip with no name and no time in its
 *  header, so equal trees give equal bytes. */
export function compressBundle(files: SourceFiles): Buffer {
  return gzipSync(Buffer.from(bundleJson(files), "utf8"), { level: 9 });
}

/** Writes root/build/kernel-src.json.gz when it differs; returns its size
 *  and the number of files. */
export function writeKernelSourceBundle(root: string): { bytes: number; files: number; path: string } {
  const files = collectKernelSources(root);
  const packed = compressBundle(files);
  const out = join(root, BUNDLE_PATH);
  mkdirSync(dirname(out), { recursive: true });
  if (!existsSync(out) || !readFileSync(out).equals(packed)) writeFileSync(out, packed);
  return { bytes: packed.length, files: Object.keys(files).length, path: relative(root, out).split(sep).join("/") };
}
