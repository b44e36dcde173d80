// The Labs panel (docs/labs/README.md): open it, start the trace lab (its
// starting point goes into the editor as an edit), grade it unsolved (its
// own checks fail), put the solution in through the edits store, grade
// again (every check passes). Each Grade builds the whole kernel in the
// page, so this is one lab only. And the built site holds no solution.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { gunzipSync } from "node:zlib";
import { expect, type Page, test } from "@playwright/test";
import { applyToTree } from "../web/code/patch";
import { openKeel, waitForPrompt } from "./keel";

const ROOT = process.cwd(); // Playwright runs from the checkout (playwright.config.ts)
/** Every lab with a directory in labs/ (web/code/labs-catalog.ts lists the same). */
const LABS = readdirSync(join(ROOT, "labs")).sort();
const TRACE_FILE = "kernel-as/src/sys/sctrace.ts";
/** Two whole-kernel builds in the page and two gradings, with a margin for a busy machine. */
const LAB_TIMEOUT_MS = 6 * 60_000;
const GRADE_TIMEOUT_MS = 150_000;

test.describe.configure({ mode: "serial" });

/** Every file of the built site, as text (gzip-compressed ones unpacked). */
function siteTexts(): { path: string; text: string }[] {
  // vite's root is web/, and KEEL_OUT_DIR is relative to it (playwright.config.ts).
  const out = resolve(ROOT, "web", process.env.KEEL_OUT_DIR ?? "../dist");
  const files: { path: string; text: string }[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else {
        let bytes = readFileSync(path);
        if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
        files.push({ path, text: bytes.toString("latin1") });
      }
    }
  };
  walk(out);
  return files;
}

/** The lines a patch adds, as the patch spells them ("+" and the line): what
 *  a bundled copy of the patch would contain (also JSON-escaped, as a string). */
function addedLines(patch: string): string[] {
  return patch.split("\n").filter((l) => l.startsWith("+") && !l.startsWith("+++") && l.trim().length > 12);
}

function contains(text: string, line: string): boolean {
  return text.includes(line) || text.includes(JSON.stringify(line).slice(1, -1));
}

test("the built site holds every lab's starting point and none of their solutions", () => {
  const site = siteTexts();
  expect(site.length).toBeGreaterThan(3);
  expect(LABS.length).toBeGreaterThanOrEqual(5);
  for (const lab of LABS) {
    const start = readFileSync(join(ROOT, "labs", lab, "start.patch"), "utf8");
    const solution = readFileSync(join(ROOT, "labs", lab, "solution.patch"), "utf8");
    // The scan sees bundled patch text: the starting point is in the site.
    const startLines = addedLines(start);
    expect(startLines.length, `${lab}'s starting point adds lines`).toBeGreaterThan(0);
    expect(site.some((f) => startLines.every((l) => contains(f.text, l))), `${lab}'s starting point is in the site`).toBe(true);
    const marks = addedLines(solution).filter((l) => !start.includes(l));
    expect(marks.length, `${lab}'s solution adds lines of its own`).toBeGreaterThan(0);
    for (const f of site) {
      const found = marks.filter((l) => contains(f.text, l));
      expect(found, `${f.path} holds lines of ${lab}'s solution`).toEqual([]);
    }
  }
});

async function labs(page: Page) {
  return page.evaluate(() => window.keel.code()?.labs ?? null);
}

async function grade(page: Page): Promise<{ passed: number; total: number }> {
  await page.locator("#labs-grade").click();
  await expect.poll(async () => (await labs(page))?.grading, { timeout: 10_000 }).toBe(true);
  await expect.poll(async () => (await labs(page))?.grading, { timeout: GRADE_TIMEOUT_MS, intervals: [500, 1000] }).toBe(false);
  const snapshot = (await labs(page))!;
  expect(snapshot.report, `graded: ${snapshot.status}`).not.toBeNull();
  return snapshot.report!;
}

async function openLab(page: Page, lab: string): Promise<void> {
  await page.getByRole("tab", { name: "Code" }).click();
  await expect(page.locator("#code-labs")).toBeVisible({ timeout: 20_000 });
  await page.locator("#code-labs").click();
  await page.locator(`#labs-list button[data-lab="${lab}"]`).click();
  await expect(page.locator("#labs-guide")).toContainText("Hints");
}

test("start the trace lab, grade it unsolved (fails), apply the solution, grade again (passes)", async ({ page }) => {
  test.setTimeout(LAB_TIMEOUT_MS);
  await openKeel(page);
  await waitForPrompt(page);
  await openLab(page, "trace");
  await expect(page.locator("#labs-guide h4").first()).toHaveText("Lab trace: system-call tracing that follows fork");

  await page.locator("#labs-start").click();
  await expect.poll(() => page.evaluate(() => window.keel.code()!.edited)).toEqual([TRACE_FILE]);
  await expect.poll(() => page.evaluate(() => window.keel.code()!.active)).toBe(TRACE_FILE);
  // The editor draws only the lines in view; the stored edit holds the whole text.
  await expect.poll(() => page.evaluate((k) => window.localStorage.getItem(k) ?? "", `keel-code:${TRACE_FILE}`))
    .toContain('Lab "trace": record the bytes a read returned');

  const unsolved = await grade(page);
  expect(unsolved.passed).toBeLessThan(unsolved.total);
  await expect(page.locator("#labs-results .labs-result-fail")).toHaveCount(unsolved.total - unsolved.passed);
  await expect(page.locator("#labs-results")).toContainText("a traced shell's children are traced");
  await expect(page.locator("#labs-status")).toContainText(`${unsolved.passed} of ${unsolved.total} checks pass`);
  // The machine on the page was not touched: it still runs the shipped kernel.
  expect(await page.evaluate(() => window.keel.kernel().patch)).toBeNull();

  // The solution, through the edits store: the stored edit with the
  // solution's diff applied, found again after a reload.
  const key = `keel-code:${TRACE_FILE}`;
  const started = await page.evaluate((k) => window.localStorage.getItem(k), key);
  expect(started).not.toBeNull();
  const solved = applyToTree({ [TRACE_FILE]: started! }, readFileSync(join(ROOT, "labs/trace/solution.patch"), "utf8"))[TRACE_FILE]!;
  await page.evaluate(([k, text]) => window.localStorage.setItem(k!, text!), [key, solved]);
  await page.reload();
  await page.waitForFunction(() => window.keel !== undefined);
  await waitForPrompt(page);
  await openLab(page, "trace");
  await expect(page.locator("#code-editor .cm-content")).toBeVisible();
  await expect.poll(() => page.evaluate(() => window.keel.code()!.edited)).toEqual([]); // the solution is the shipped file again

  const passed = await grade(page);
  expect(passed).toEqual({ passed: unsolved.total, total: unsolved.total });
  await expect(page.locator("#labs-results .labs-result-pass")).toHaveCount(unsolved.total);
  await expect(page.locator("#labs-status")).toContainText(`all ${unsolved.total} checks pass`);
});
