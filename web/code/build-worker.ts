// The in-page kernel build's Web Worker: loads the AssemblyScript compiler
// (and binaryen with it, most of the page's on-demand weight) the first time
// the Code panel asks for it (on the first edit, or the first Build), then compiles each tree it is sent
// (web/code/compile.ts) and answers with the kernel or the diagnostics.
// Keeps the page responsive during a build of 10-30 s.
import { type AscApi, type BuildResult, compileTree } from "./compile";
import type { SourceFiles } from "./source-bundle";

export type BuildRequest =
  | { type: "build"; id: number; files: SourceFiles }
  /** Load the compiler now (the first edit), so the first Build does not wait for it. */
  | { type: "load" };
export type BuildReply = { type: "built"; id: number; result: BuildResult };

const scope = self as unknown as DedicatedWorkerGlobalScope;
let compiler: Promise<AscApi> | null = null;

function loadCompiler(): Promise<AscApi> {
  compiler ??= import("assemblyscript/asc").then((module) => module.default as unknown as AscApi);
  return compiler;
}

scope.addEventListener("message", (event: MessageEvent<BuildRequest>) => {
  const request = event.data;
  if (request.type === "load") {
    loadCompiler().catch(() => {
      compiler = null; // the next build tries again, and reports why
    });
    return;
  }
  if (request.type !== "build") return;
  void (async () => {
    let result: BuildResult;
    try {
      result = await compileTree(await loadCompiler(), request.files);
    } catch (error) {
      compiler = null; // try loading again next time
      const message = `the compiler could not be loaded: ${error instanceof Error ? error.message : String(error)}`;
      result = { ok: false, wasm: null, ms: 0, stderr: "", diagnostics: [{ severity: "error", code: 0, message, file: null, line: 0, column: 0, endLine: 0, endColumn: 0 }] };
    }
    const reply: BuildReply = { type: "built", id: request.id, result };
    scope.postMessage(reply, result.wasm !== null ? [result.wasm.buffer] : []);
  })();
});
