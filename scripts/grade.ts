// npm run grade -- LAB: grades the checkout's kernel (kernel-as/src and
// asconfig.json as you edited them) against a lab (docs/labs/README.md):
// builds it with the kernel's release flags (the page's compileTree),
// boots it headless in deterministic mode and prints PASS or FAIL per check.
// Exit status 0 when every check passes, 1 when one fails, 2 for a usage or
// build error.
//
//   npm run grade -- --list            the labs
//   npm run grade -- LAB --start       write LAB's starting point into kernel-as/src
//   npm run grade -- LAB               build the checkout and grade it
//   npm run grade -- LAB --patch FILE  grade the checkout with FILE (a diff) applied, in memory
//   npm run grade -- LAB --kernel FILE grade a kernel already built
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LABS, labById } from "../web/code/labs-catalog";
import { formatReport } from "../web/code/labs-grader";
import { PatchError, applyToTree } from "../web/code/patch";
import { ROOT, buildTree, checkoutTree, gradeInWorker, labPatch } from "./grade-lib";

function usage(message?: string): never {
  if (message !== undefined) console.error(`grade: ${message}`);
  console.error("usage: npm run grade -- LAB [--start | --patch FILE | --kernel FILE]   (--list for the labs)");
  process.exit(2);
}

const args = process.argv.slice(2);
if (args.includes("--list")) {
  for (const lab of LABS) console.log(`${lab.id.padEnd(8)} ${lab.title}: ${lab.summary}`);
  process.exit(0);
}
const id = args.find((a) => !a.startsWith("--") && args[args.indexOf(a) - 1] !== "--patch" && args[args.indexOf(a) - 1] !== "--kernel");
if (id === undefined) usage("which lab? (--list names them)");
const lab = labById(id);
if (lab === undefined) usage(`no lab ${JSON.stringify(id)}; the labs are ${LABS.map((l) => l.id).join(", ")}`);
const option = (flag: string): string | null => {
  const at = args.indexOf(flag);
  if (at < 0) return null;
  const value = args[at + 1];
  if (value === undefined || value.startsWith("--")) usage(`${flag} needs a file`);
  return value;
};

if (args.includes("--start")) {
  let tree;
  try {
    tree = applyToTree(checkoutTree(), labPatch(lab.id, "start"));
  } catch (error) {
    if (!(error instanceof PatchError)) throw error;
    usage(`the starting point does not apply to this checkout (${error.message}); is it already applied, or the sources changed there?`);
  }
  const changed = Object.keys(tree).filter((path) => tree[path] !== checkoutTree()[path]);
  for (const path of changed) writeFileSync(join(ROOT, path), tree[path]!);
  console.log(`lab ${lab.id}: the starting point is in ${changed.join(", ")}. Read docs/labs/${lab.id}.md, then: npm run grade -- ${lab.id}`);
  process.exit(0);
}

let wasm: Uint8Array;
const kernelFile = option("--kernel");
if (kernelFile !== null) {
  wasm = new Uint8Array(readFileSync(kernelFile));
} else {
  let tree = checkoutTree();
  const patchFile = option("--patch");
  if (patchFile !== null) {
    try {
      tree = applyToTree(tree, readFileSync(patchFile, "utf8"));
    } catch (error) {
      if (!(error instanceof PatchError)) throw error;
      usage(`${patchFile}: ${error.message}`);
    }
  }
  console.log(`lab ${lab.id}: building the kernel with its release flags...`);
  const built = await buildTree(tree);
  for (const d of built.diagnostics) {
    if (d.severity === "info") continue;
    console.error(`${d.severity}${d.file !== null ? ` ${d.file}:${d.line}:${d.column}` : ""}: ${d.message}`);
  }
  if (!built.ok || built.wasm === null) {
    console.error(`lab ${lab.id}: the kernel does not build; nothing was graded.`);
    process.exit(2);
  }
  console.log(built.cached ? "built before: taken from build/labs/" : `built in ${(built.ms / 1000).toFixed(1)} s`);
  wasm = built.wasm;
}
const report = await gradeInWorker(lab, wasm);
console.log(formatReport(lab, report));
process.exit(report.passed === report.total ? 0 : 1);
