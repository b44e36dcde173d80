// Opening a share link that carries a kernel patch (docs/share-links.md):
// fetch the shipped sources, apply the link's diff (web/code/patch.ts),
// compile the patched tree in the build worker with the kernel's release
// flags (web/code/build-worker.ts), and hand back the kernel for the first
// boot. Loaded by web/share-ui.ts only when a link has a patch: a page
// opened without one never fetches the sources or the compiler.
import type { BuildReply, BuildRequest } from "./build-worker";
import type { BuildResult } from "./compile";
import { PatchError, applyPatch } from "./patch";
import { type SourceFiles, editedTree, patchHash } from "./source-bundle";
import { fetchSources } from "./sources";

export interface PatchedKernel {
  bytes: Uint8Array;
  /** The patch's short name, as the Code panel names it. */
  name: string;
  /** The files the patch changes. */
  edits: SourceFiles;
  /** SHA-256 hex of the kernel (its snapshot build id). */
  build: string;
  /** Wall time of the compile. */
  buildMs: number;
}

/** A reason the link's kernel cannot be built, for the page's banner. */
export class PatchBootError extends Error {}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as BufferSource));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function compileInWorker(files: SourceFiles): Promise<BuildResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./build-worker.ts", import.meta.url), { type: "module", name: "keel-build" });
    worker.addEventListener("message", (event: MessageEvent<BuildReply>) => {
      worker.terminate();
      resolve(event.data.result);
    });
    worker.addEventListener("error", (event) => {
      event.preventDefault();
      worker.terminate();
      reject(new PatchBootError(`the build worker failed: ${event.message || "it could not be loaded"}`));
    });
    const request: BuildRequest = { type: "build", id: 1, files };
    worker.postMessage(request);
  });
}

/** Applies `diff` to the shipped sources and builds the kernel; throws
 *  PatchBootError saying why when the patch does not apply or the tree does
 *  not compile. */
export async function buildPatchedKernel(diff: string, progress: (text: string) => void): Promise<PatchedKernel> {
  progress("fetching the kernel's sources");
  const shipped = await fetchSources();
  let edits: SourceFiles;
  try {
    edits = applyPatch(shipped, diff);
  } catch (error) {
    if (error instanceof PatchError) throw new PatchBootError(`the link's patch does not apply to this page's kernel sources: ${error.message}`);
    throw error;
  }
  const name = await patchHash(shipped, edits);
  if (name === "shipped") throw new PatchBootError("the link's patch changes nothing");
  progress(`building the kernel with the link's patch ${name} (${Object.keys(edits).length} file${Object.keys(edits).length === 1 ? "" : "s"})`);
  const result = await compileInWorker(editedTree(shipped, edits));
  if (!result.ok || result.wasm === null) {
    const first = result.diagnostics.find((d) => d.severity === "error");
    const where = first?.file != null ? ` (${first.file}:${first.line}:${first.column})` : "";
    throw new PatchBootError(`the kernel with the link's patch does not compile: ${first?.message ?? "the compiler failed"}${where}`);
  }
  return { bytes: result.wasm, name, edits, build: await sha256Hex(result.wasm), buildMs: result.ms };
}
