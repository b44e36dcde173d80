// Builds labs' trees into build/labs/ (scripts/grade-lib.ts), for the labs
// test, which runs two of these at once to use both cores:
//   tsx scripts/grade-build.ts LAB:start LAB:solution ...
// Prints one line per tree; exits 1 if one does not build.
import { LABS } from "../web/code/labs-catalog";
import { buildTree, checkoutTree, solutionTree, startTree, treeDigest } from "./grade-lib";

const shipped = checkoutTree();
let failed = false;
for (const arg of process.argv.slice(2)) {
  const [id, kind] = arg.split(":");
  if (!LABS.some((l) => l.id === id) || (kind !== "start" && kind !== "solution")) {
    console.error(`grade-build: ${arg} is not LAB:start or LAB:solution`);
    process.exit(2);
  }
  const tree = kind === "start" ? startTree(id!, shipped) : solutionTree(id!, shipped);
  const result = await buildTree(tree);
  if (!result.ok) {
    failed = true;
    console.error(`${arg}: does not build:\n${result.diagnostics.map((d) => `${d.file ?? ""}:${d.line} ${d.message}`).join("\n")}`);
  } else console.log(`${arg} ${treeDigest(tree)} ${result.cached ? "cached" : `${(result.ms / 1000).toFixed(1)} s`}`);
}
process.exit(failed ? 1 : 0);
