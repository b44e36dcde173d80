// The Node side of the labs' grader (docs/labs/README.md), shared by
// `npm run grade` (scripts/grade.ts) and the labs test (scripts/grade.test.ts):
// the checkout's kernel tree, the labs' patches, a build with the kernel's
// release flags through the same compileTree the page's build worker runs
// (web/code/compile.ts), kept in build/labs/ by the tree's digest so an
// unchanged tree is built once.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { type AscApi, type BuildResult, compileTree } from "../web/code/compile";
import { type CheckResult, type Lab, type GradeReport, gradeKernel } from "../web/code/labs-grader";
import { applyToTree } from "../web/code/patch";
import type { SourceFiles } from "../web/code/source-bundle";
import { collectKernelSources } from "./kernel-src";

export const ROOT = new URL("..", import.meta.url).pathname;
export const LABS_DIR = join(ROOT, "labs");
export const CACHE_DIR = join(ROOT, "build", "labs");

/** The checkout's kernel sources and asconfig.json, as the page's bundle holds them. */
export function checkoutTree(root = ROOT): SourceFiles {
  return collectKernelSources(root);
}

export type PatchKind = "start" | "solution";

/** labs/<id>/<kind>.patch */
export function labPatch(id: string, kind: PatchKind): string {
  return readFileSync(join(LABS_DIR, id, `${kind}.patch`), "utf8");
}

/** The lab's starting tree: `shipped` with its start.patch. */
export function startTree(id: string, shipped: SourceFiles): SourceFiles {
  return applyToTree(shipped, labPatch(id, "start"));
}

/** The lab's solved tree: its starting tree with solution.patch. */
export function solutionTree(id: string, shipped: SourceFiles): SourceFiles {
  return applyToTree(startTree(id, shipped), labPatch(id, "solution"));
}

function ascVersion(): string {
  return JSON.parse(readFileSync(join(ROOT, "node_modules/assemblyscript/package.json"), "utf8")).version as string;
}

/** A name for a tree's build: SHA-256 over the compiler's version and every
 *  file (path, NUL, text, NUL, in path order). */
export function treeDigest(tree: SourceFiles): string {
  const hash = createHash("sha256").update(`asc ${ascVersion()}\0`);
  for (const path of Object.keys(tree).sort()) hash.update(`${path}\0${tree[path]}\0`);
  return hash.digest("hex").slice(0, 20);
}

let asc: Promise<AscApi> | null = null;

/** Builds `tree` (or takes its earlier build from build/labs/). */
export async function buildTree(tree: SourceFiles): Promise<BuildResult & { cached: boolean }> {
  const cached = join(CACHE_DIR, `${treeDigest(tree)}.wasm`);
  if (existsSync(cached)) return { ok: true, wasm: new Uint8Array(readFileSync(cached)), diagnostics: [], ms: 0, stderr: "", cached: true };
  asc ??= import("assemblyscript/asc").then((m) => m.default as unknown as AscApi);
  const result = await compileTree(await asc, tree);
  if (result.ok && result.wasm !== null) {
    mkdirSync(CACHE_DIR, { recursive: true });
    writeFileSync(`${cached}.tmp`, result.wasm);
    renameSync(`${cached}.tmp`, cached); // whole or not at all: two builds may race
  }
  return { ...result, cached: false };
}

/** The committed boot file system the grader boots with. */
export function bootfs(): Uint8Array {
  return new Uint8Array(readFileSync(join(ROOT, "user/bin/bootfs.img")));
}

/** Grades a built kernel. */
export function gradeWasm(lab: Lab, wasm: Uint8Array, onResult?: Parameters<typeof gradeKernel>[3]): GradeReport {
  return gradeKernel(lab, new WebAssembly.Module(wasm as Uint8Array<ArrayBuffer>), bootfs(), onResult);
}

/** How long a check may run without finishing before the kernel is given up on. */
export const STALL_MS = 120_000;

/** Grades a built kernel in a worker thread: a kernel that never comes back
 *  from a call into it (a loop in the kernel) is stopped after `stallMs`
 *  without a check finishing, and the checks not run fail saying so. */
export function gradeInWorker(lab: Lab, wasm: Uint8Array, onResult?: (result: CheckResult) => void, stallMs = STALL_MS): Promise<GradeReport> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    // grade-worker.mjs registers tsx in the thread and loads grade-worker.ts.
    const worker = new Worker(new URL("./grade-worker.mjs", import.meta.url), { workerData: { lab: lab.id, wasm, bootfs: bootfs() } });
    const results: CheckResult[] = [];
    let timer: ReturnType<typeof setTimeout>;
    const stall = (): void => {
      void worker.terminate();
      const why = `the kernel did not finish this check within ${(stallMs / 1000).toFixed(0)} s of real time (a loop in the kernel that never returns to the host?); the grader stopped it`;
      for (const check of lab.checks.slice(results.length)) {
        const result = { name: check.name, ok: false, detail: why, ms: 0 };
        results.push(result);
        onResult?.(result);
      }
      resolve({ lab: lab.id, passed: results.filter((r) => r.ok).length, total: results.length, results, ms: performance.now() - started });
    };
    timer = setTimeout(stall, stallMs);
    worker.on("message", (message: { type: "check"; result: CheckResult } | { type: "graded"; report: GradeReport }) => {
      clearTimeout(timer);
      if (message.type === "check") {
        results.push(message.result);
        onResult?.(message.result);
        timer = setTimeout(stall, stallMs);
      } else {
        void worker.terminate();
        resolve(message.report);
      }
    });
    worker.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}
