// The labs' grading worker (docs/labs/README.md): runs a lab's checks
// (web/code/labs-grader.ts, the same code `npm run grade` runs) against a
// kernel the build worker made, on a headless deterministic machine of its
// own, so the machine on the page keeps running and the page stays
// responsive. Reports each check as it ends. The page terminates this
// worker when a kernel never comes back from a check.
import bootfsUrl from "../../user/bin/bootfs.img?url";
import { labById } from "./labs-catalog";
import { type CheckResult, type GradeReport, gradeKernel } from "./labs-grader";

export type LabsRequest = { type: "grade"; id: number; lab: string; wasm: Uint8Array };
export type LabsReply =
  | { type: "check"; id: number; result: CheckResult }
  | { type: "graded"; id: number; report: GradeReport }
  | { type: "failed"; id: number; message: string };

const scope = self as unknown as DedicatedWorkerGlobalScope;
let bootfs: Promise<Uint8Array> | null = null;

function loadBootfs(): Promise<Uint8Array> {
  bootfs ??= (async () => {
    const url = new URL(bootfsUrl, import.meta.url);
    const response = await fetch(url);
    if (!response.ok) throw new Error(`fetching the boot file system from ${url.href} failed: HTTP ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  })();
  bootfs.catch(() => (bootfs = null));
  return bootfs;
}

scope.addEventListener("message", (event: MessageEvent<LabsRequest>) => {
  const request = event.data;
  if (request.type !== "grade") return;
  const reply = (message: LabsReply): void => scope.postMessage(message);
  void (async () => {
    try {
      const lab = labById(request.lab);
      if (lab === undefined) throw new Error(`there is no lab ${JSON.stringify(request.lab)}`);
      const [module, image] = await Promise.all([WebAssembly.compile(request.wasm as Uint8Array<ArrayBuffer>), loadBootfs()]);
      const report = gradeKernel(lab, module, image, (result) => reply({ type: "check", id: request.id, result }));
      reply({ type: "graded", id: request.id, report });
    } catch (error) {
      reply({ type: "failed", id: request.id, message: error instanceof Error ? error.message : String(error) });
    }
  })();
});
