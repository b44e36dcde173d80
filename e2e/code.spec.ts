// The Code panel (web/code/, docs/code-panel.md): edit the kernel's boot
// banner in the page, build it with the in-page compiler, reboot into it on
// the same disk, and go back to the shipped kernel; a compile error is
// listed and marked in the gutter while the old kernel keeps running.
//
// Each build compiles the whole kernel in the browser (10-30 s on a loaded
// two-core machine), so these tests get their own timeout and run one
// after the other.
import { expect, type Page, test } from "@playwright/test";
import { openKeel, openShell, runCommand, runShell, status, vgaText, waitForPrompt, waitForShellPrompt } from "./keel";
import { MAIN, SHIPPED_BANNER, replaceInEditor } from "./code-page";

const NEW_BANNER = "Keel - rebuilt in this very tab";
/** A whole-kernel build in the page, with a margin for a busy machine. */
const BUILD_TIMEOUT_MS = 120_000;

test.describe.configure({ mode: "serial" });

/** Files of the Code panel's on-demand part: the panel with CodeMirror, the
 *  source bundle, the build worker and the compiler (Vite's asset names). */
const ON_DEMAND = /\/assets\/(code-panel|kernel-src|build-worker|asc)-/;
const COMPILER = /\/assets\/(build-worker|asc)-/;

async function openCode(page: Page): Promise<void> {
  await page.getByRole("tab", { name: "Code" }).click();
  await expect.poll(() => page.evaluate(() => window.keel.code()?.active ?? null), { timeout: 20_000 }).toBe(MAIN);
  await expect(page.locator("#code-editor .cm-content")).toBeVisible();
}


async function build(page: Page): Promise<void> {
  const before = await page.evaluate(() => window.keel.code()?.lastBuild ?? null);
  await page.locator("#code-build").click();
  await expect.poll(() => page.evaluate(() => window.keel.code()?.lastBuild ?? null), { timeout: BUILD_TIMEOUT_MS, intervals: [250, 500] })
    .not.toEqual(before);
}

test("the first load fetches neither the editor, the sources nor the compiler; the Code tab fetches the first two, the first edit the compiler", async ({ page }) => {
  const fetched: string[] = [];
  page.on("request", (request) => fetched.push(request.url()));
  await openKeel(page);
  await waitForPrompt(page);
  expect(fetched.some((url) => url.includes("/assets/index-"))).toBe(true);
  expect(fetched.filter((url) => ON_DEMAND.test(url))).toEqual([]);
  await openCode(page);
  expect(fetched.some((url) => url.includes("/assets/code-panel-"))).toBe(true);
  expect(fetched.some((url) => url.includes("/assets/kernel-src"))).toBe(true);
  // The compiler waits for the first edit (or Build).
  expect(fetched.filter((url) => COMPILER.test(url))).toEqual([]);
  await replaceInEditor(page, "Hello World!", "Hello Keel!!");
  await expect.poll(() => fetched.some((url) => url.includes("/assets/asc-")), { timeout: 20_000 }).toBe(true);
});

test("an edited banner is built in the page and boots on the same disk; Shipped kernel returns", async ({ page }) => {
  test.setTimeout(BUILD_TIMEOUT_MS + 90_000);
  await openShell(page);
  await waitForShellPrompt(page);
  await runShell(page, "echo kept > note");
  expect((await vgaText(page)).join("\n")).toContain(SHIPPED_BANNER);
  await expect(page.locator("#status-kernel")).toHaveText("shipped");

  await openCode(page);
  await replaceInEditor(page, SHIPPED_BANNER, NEW_BANNER);
  await expect.poll(() => page.evaluate(() => window.keel.code()!.edited)).toEqual([MAIN]);
  await expect(page.locator("#code-tabs .code-tab-name").first()).toHaveText("main.ts ●");
  const bootsBefore = (await status(page)).boots;

  await build(page);
  const result = await page.evaluate(() => window.keel.code()!.lastBuild!);
  test.info().annotations.push({ type: "build", description: `whole kernel built in the page in ${(result.ms / 1000).toFixed(1)} s` });
  expect(result.ok).toBe(true);
  await expect.poll(() => page.evaluate(() => window.keel.kernel().patch)).toMatch(/^[0-9a-f]{8}$/);
  const patch = await page.evaluate(() => window.keel.kernel().patch);
  await expect(page.locator("#status-kernel")).toHaveText(`modified ${patch}`);
  await expect(page.locator("#code-status")).toContainText(/Built in \d+\.\d s/);

  // A new machine on the same disk: the new banner, and the file written before.
  await expect.poll(async () => (await vgaText(page)).join("\n"), { timeout: 20_000 }).toContain(NEW_BANNER);
  expect((await vgaText(page)).join("\n")).not.toContain(SHIPPED_BANNER);
  expect((await status(page)).boots).toBeGreaterThan(bootsBefore);
  await waitForShellPrompt(page);
  expect(await runShell(page, "cat note")).toEqual(["kept"]);

  await page.getByRole("button", { name: "Shipped kernel" }).click();
  await expect(page.locator("#status-kernel")).toHaveText("shipped");
  await expect.poll(async () => (await vgaText(page)).join("\n"), { timeout: 20_000 }).toContain(SHIPPED_BANNER);
  await expect(page.getByRole("button", { name: "Shipped kernel" })).toBeHidden();
  // The edit is still in the panel, for the next build.
  expect(await page.evaluate(() => window.keel.code()!.edited)).toEqual([MAIN]);
});

test("a compile error is listed with file:line and in the gutter; the running kernel is untouched", async ({ page }) => {
  test.setTimeout(BUILD_TIMEOUT_MS + 60_000);
  await openKeel(page);
  await waitForPrompt(page);
  await openCode(page);
  await replaceInEditor(page, "const BANNER = ", "const BANNER: i32 = ");
  // Kept in the browser's storage: a reload finds the edit again.
  await expect.poll(() => page.evaluate((key) => window.localStorage.getItem(key)?.includes("const BANNER: i32 = ") ?? false, `keel-code:${MAIN}`))
    .toBe(true);
  await page.reload();
  await page.waitForFunction(() => window.keel !== undefined);
  await waitForPrompt(page);
  await openCode(page);
  expect(await page.evaluate(() => window.keel.code()!.edited)).toEqual([MAIN]);
  const bootsBefore = (await status(page)).boots;

  await build(page);
  const snapshot = await page.evaluate(() => window.keel.code()!);
  expect(snapshot.lastBuild).toMatchObject({ ok: false });
  expect(snapshot.lastBuild!.errors).toBeGreaterThan(0);
  const error = snapshot.diagnostics.find((d) => d.severity === "error")!;
  expect(error).toMatchObject({ file: MAIN });
  const line = error.line;
  expect(snapshot.gutter).toBeGreaterThan(0);
  const problem = page.locator(`#code-problems .code-problem-error button[data-file="${MAIN}"][data-line="${line}"]`).first();
  await expect(problem).toContainText(`main.ts:${line}:`);
  await expect(page.locator("#code-status")).toContainText(/Build failed in \d+\.\d s: \d+ errors?.*The running kernel is unchanged/);

  // Nothing happened to the machine: same kernel, same boot, still answering.
  expect(await page.evaluate(() => window.keel.kernel().patch)).toBeNull();
  await expect(page.locator("#status-kernel")).toHaveText("shipped");
  expect((await status(page)).boots).toBe(bootsBefore);
  expect((await vgaText(page)).join("\n")).toContain(SHIPPED_BANNER);
  expect((await runCommand(page, "help")).length).toBeGreaterThan(0);

  // Clicking the problem opens the file at its line.
  await page.locator("#code-files button[data-path='asconfig.json']").click();
  await expect.poll(() => page.evaluate(() => window.keel.code()!.active)).toBe("asconfig.json");
  await problem.click();
  await expect.poll(() => page.evaluate(() => window.keel.code()!.active)).toBe(MAIN);
  await expect(page.locator("#code-editor .cm-activeLine")).toContainText("const BANNER: i32 = ");
  // Scrolled to it, the line has its mark in the gutter.
  await expect(page.locator("#code-editor .cm-lint-marker-error").first()).toBeVisible();

  // Revert file: the shipped text again, and nothing left in storage.
  await page.locator("#code-revert-file").click();
  expect(await page.evaluate(() => window.keel.code()!.edited)).toEqual([]);
  expect(await page.evaluate((key) => window.localStorage.getItem(key), `keel-code:${MAIN}`)).toBeNull();
});
