// Every lab's grader in Node (docs/labs/README.md): it passes on the lab's
// solution and fails on its starting point. The solutions
// (labs/<id>/solution.patch) live only here and in the repository, never in
// the page. Each distinct tree is built once with the release flags (two
// builds at a time, in child processes: build/labs/ keeps them by digest,
// so a second run builds nothing that did not change), then graded here.
import { execFile } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { LABS } from "../web/code/labs-catalog";
import { applyToTree, patchedPaths } from "../web/code/patch";
import { CACHE_DIR, ROOT, buildTree, checkoutTree, gradeWasm, labPatch, solutionTree, startTree, treeDigest } from "./grade-lib";

const run = promisify(execFile);
const shipped = checkoutTree();
const BUILD_TIMEOUT_MS = 15 * 60_000;

describe("the labs' patches", () => {
  it("every lab has its starting point, solution and instructions, and every labs/ directory is a lab", () => {
    expect(LABS.length).toBeGreaterThanOrEqual(5);
    expect(readdirSync(join(ROOT, "labs")).sort()).toEqual(LABS.map((l) => l.id).sort());
    for (const lab of LABS) {
      for (const kind of ["start", "solution"] as const) expect(labPatch(lab.id, kind)).toMatch(/^diff --git /);
      const guide = readFileSync(join(ROOT, "docs/labs", `${lab.id}.md`), "utf8");
      expect(guide).toMatch(/^# Lab /);
      expect(guide).toContain("## Hints");
      // A grader is more than one yes or no.
      expect(lab.checks.length).toBeGreaterThan(2);
    }
  });

  it.each(LABS.map((l) => l.id))("%s: the starting point applies to the shipped sources and changes the kernel", (id) => {
    const start = startTree(id, shipped);
    const changed = Object.keys(start).filter((p) => start[p] !== shipped[p]);
    expect(changed.length).toBeGreaterThan(0);
    expect(changed.sort()).toEqual([...new Set(patchedPaths(labPatch(id, "start")))].sort());
  });

  it.each(LABS.map((l) => l.id))("%s: the solution applies to the starting point, and names the lab's files", (id) => {
    const lab = LABS.find((l) => l.id === id)!;
    const solved = solutionTree(id, shipped);
    expect(solved).not.toEqual(startTree(id, shipped));
    for (const path of patchedPaths(labPatch(id, "solution"))) expect(lab.files).toContain(path);
    // A solution made for the starting point does not apply to the shipped tree
    // when the starting point removed what it puts back.
    if (Object.keys(solved).every((p) => solved[p] === shipped[p])) expect(() => applyToTree(shipped, labPatch(id, "solution"))).toThrow();
  });
});

describe("every lab's grader, on its starting point and its solution", () => {
  /** lab:kind -> the tree it grades */
  const trees = new Map<string, Record<string, string>>();
  for (const lab of LABS) {
    trees.set(`${lab.id}:start`, startTree(lab.id, shipped));
    trees.set(`${lab.id}:solution`, solutionTree(lab.id, shipped));
  }

  beforeAll(async () => {
    // One build per distinct tree not built before (a solution that is the
    // shipped kernel shares its build with every other such solution).
    const byDigest = new Map<string, string>();
    for (const [name, tree] of trees) {
      const digest = treeDigest(tree);
      if (!byDigest.has(digest) && !existsSync(join(CACHE_DIR, `${digest}.wasm`))) byDigest.set(digest, name);
    }
    const todo = [...byDigest.values()];
    const workers = Math.max(1, Math.min(2, availableParallelism()));
    const groups = Array.from({ length: workers }, (_, w) => todo.filter((_, i) => i % workers === w)).filter((g) => g.length > 0);
    await Promise.all(groups.map((group) =>
      run(process.execPath, ["--import", "tsx", join(ROOT, "scripts/grade-build.ts"), ...group], { cwd: ROOT, timeout: BUILD_TIMEOUT_MS })));
  }, BUILD_TIMEOUT_MS);

  it.each(LABS.map((l) => l.id))("%s", async (id) => {
    const lab = LABS.find((l) => l.id === id)!;
    const start = await buildTree(trees.get(`${id}:start`)!);
    const solution = await buildTree(trees.get(`${id}:solution`)!);
    expect(start.cached && solution.cached).toBe(true); // built in beforeAll
    const unsolved = gradeWasm(lab, start.wasm!);
    const solved = gradeWasm(lab, solution.wasm!);
    const failing = solved.results.filter((r) => !r.ok).map((r) => `${r.name}: ${r.detail}`);
    expect(failing).toEqual([]);
    expect(solved.passed).toBe(lab.checks.length);
    expect(unsolved.passed).toBeLessThan(unsolved.total);
    // The starting point fails the lab's own checks, not just a boot.
    expect(unsolved.results.some((r) => !r.ok && !r.detail.startsWith("the kernel did not boot"))).toBe(true);
  }, 120_000);

  it("a solution that is the shipped kernel is byte for byte the kernel npm run build:kernel makes", async () => {
    const kernel = join(ROOT, "build/kernel.wasm");
    const shippedSolution = LABS.map((l) => trees.get(`${l.id}:solution`)!).find((t) => treeDigest(t) === treeDigest(shipped));
    if (shippedSolution === undefined || !existsSync(kernel)) return expect.fail("no lab's solution is the shipped kernel, or build/kernel.wasm is missing");
    const built = await buildTree(shippedSolution);
    expect(Buffer.from(built.wasm!).equals(readFileSync(kernel))).toBe(true);
  });
});
