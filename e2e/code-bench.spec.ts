// Figures for docs/code-panel.md, not a check: run with KEEL_CODE_BENCH=1.
// The page's first load (bytes over the wire, the Code tab never opened),
// what opening the Code tab and the first Build fetch, and the in-page
// build of the whole kernel cold (the compiler loaded by that build) and
// warm (the same worker again).
import { expect, type Page, test } from "@playwright/test";
import { openKeel, openShell, waitForPrompt, waitForShellPrompt } from "./keel";

test.skip(process.env.KEEL_CODE_BENCH !== "1", "benchmark: set KEEL_CODE_BENCH=1");

/** Bytes received per URL (body as sent, headers left out). */
function meter(page: Page): Map<string, number> {
  const sizes = new Map<string, number>();
  page.on("requestfinished", (request) => {
    void request.sizes().then((s) => sizes.set(request.url(), s.responseBodySize), () => {});
  });
  return sizes;
}

const total = (sizes: Map<string, number>, except: Set<string> = new Set()): number =>
  [...sizes].filter(([url]) => !except.has(url)).reduce((sum, [, bytes]) => sum + bytes, 0);

async function buildOnce(page: Page): Promise<number> {
  const before = await page.evaluate(() => window.keel.code()?.lastBuild ?? null);
  const started = Date.now();
  await page.locator("#code-build").click();
  await expect.poll(() => page.evaluate(() => window.keel.code()?.lastBuild ?? null), { timeout: 180_000, intervals: [100] }).not.toEqual(before);
  const wall = Date.now() - started;
  const result = await page.evaluate(() => window.keel.code()!.lastBuild!);
  expect(result.ok).toBe(true);
  console.log(`  build: asc.main ${(result.ms / 1000).toFixed(2)} s, click to result ${(wall / 1000).toFixed(2)} s`);
  return wall;
}

test("Code panel figures", async ({ page }) => {
  test.setTimeout(600_000);
  const sizes = meter(page);
  await openKeel(page);
  await waitForPrompt(page);
  await page.waitForTimeout(500);
  const firstLoad = new Set(sizes.keys());
  console.log(`first load: ${sizes.size} files, ${total(sizes)} bytes`);
  for (const [url, bytes] of sizes) console.log(`  ${bytes}\t${new URL(url).pathname}`);
  await page.getByRole("tab", { name: "Code" }).click();
  await expect.poll(() => page.evaluate(() => window.keel.code()?.active ?? null), { timeout: 30_000 }).not.toBeNull();
  await page.waitForTimeout(500);
  console.log(`opening the Code tab: ${total(sizes, firstLoad)} bytes`);
  const opened = new Set(sizes.keys());
  for (const [url, bytes] of sizes) if (!firstLoad.has(url)) console.log(`  ${bytes}\t${new URL(url).pathname}`);
  console.log("cold build (loads the compiler):");
  await buildOnce(page);
  console.log(`the first Build fetched ${total(sizes, opened)} bytes`);
  for (const [url, bytes] of sizes) if (!opened.has(url)) console.log(`  ${bytes}\t${new URL(url).pathname}`);
  // The machine reboots into the (unchanged) kernel; build again in the same worker.
  console.log("warm builds:");
  await buildOnce(page);
  await buildOnce(page);
});

test("first load into the shell", async ({ page }) => {
  const sizes = meter(page);
  await openShell(page);
  await waitForShellPrompt(page);
  await page.waitForTimeout(500);
  console.log(`first load into the shell: ${sizes.size} files, ${total(sizes)} bytes`);
  for (const [url, bytes] of sizes) console.log(`  ${bytes}\t${new URL(url).pathname}`);
});

test("first build after an edit (the compiler fetched while typing)", async ({ page }) => {
  test.setTimeout(300_000);
  const fetched: string[] = [];
  page.on("requestfinished", (request) => fetched.push(request.url()));
  await openKeel(page);
  await waitForPrompt(page);
  await page.getByRole("tab", { name: "Code" }).click();
  await expect.poll(() => page.evaluate(() => window.keel.code()?.active ?? null), { timeout: 30_000 }).not.toBeNull();
  await page.locator("#code-editor .cm-content").click();
  await page.keyboard.press("Control+End");
  await page.keyboard.type("\n// an edit\n");
  await expect.poll(() => fetched.some((url) => url.includes("/assets/asc-")), { timeout: 60_000 }).toBe(true);
  // A person takes a few seconds to finish an edit.
  await page.waitForTimeout(5_000);
  console.log("first build after an edit:");
  await buildOnce(page);
});
