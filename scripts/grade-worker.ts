// A worker thread that grades one kernel (scripts/grade-lib.ts
// gradeInWorker): the kernel runs here, so a kernel that never returns from
// a call into it cannot hang `npm run grade`; the parent ends this thread
// when no check has finished for too long. Posts each check as it ends, then
// the report.
import { parentPort, workerData } from "node:worker_threads";
import { labById } from "../web/code/labs-catalog";
import { gradeKernel } from "../web/code/labs-grader";

const { lab: id, wasm, bootfs } = workerData as { lab: string; wasm: Uint8Array; bootfs: Uint8Array };
const lab = labById(id);
if (lab === undefined) throw new Error(`no lab ${id}`);
const report = gradeKernel(lab, new WebAssembly.Module(wasm as Uint8Array<ArrayBuffer>), bootfs, (result) => parentPort!.postMessage({ type: "check", result }));
parentPort!.postMessage({ type: "graded", report });
