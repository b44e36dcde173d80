// The Code panel's diff views (web/code/diff-view.ts): the open file's
// changes shown in the editor, with a Revert button per chunk that puts it
// back as shipped; every edited file's changes in one view, with the patch
// (the unified diff Share carries). No build: these run in seconds.
import { expect, test } from "@playwright/test";
import { openKeel, waitForPrompt } from "./keel";
import { MAIN, SHIPPED_BANNER, openCode, openFile, replaceInEditor } from "./code-page";

const LAYOUT = "kernel-as/src/lib/layout.ts";

// Typing into CodeMirror on a loaded two-core machine is slow: more than the default 30 s.
test.describe.configure({ timeout: 120_000 });

test("Changes shows the open file's diff in the editor, and Revert puts a chunk back", async ({ page }) => {
  await openKeel(page, "?disk=memory");
  await waitForPrompt(page);
  await openCode(page);
  await replaceInEditor(page, SHIPPED_BANNER, "Keel - diffed");
  await expect.poll(() => page.evaluate(() => window.keel.code()!.edited)).toEqual([MAIN]);
  expect(await page.evaluate(() => window.keel.code()!.diff.chunks)).toBe(0);

  await page.locator("#code-diff").click();
  await expect(page.locator("#code-diff")).toHaveAttribute("aria-pressed", "true");
  await expect.poll(() => page.evaluate(() => window.keel.code()!.diff)).toMatchObject({ inline: true, chunks: 1 });
  // The shipped line is shown removed above the edited one, which is marked.
  await expect(page.locator("#code-editor .cm-deletedChunk")).toContainText(SHIPPED_BANNER);
  await expect(page.locator("#code-editor .cm-changedLine").first()).toContainText("Keel - diffed");
  // The diff follows the file: another file, unedited, shows none.
  await openFile(page, LAYOUT);
  await expect.poll(() => page.evaluate(() => window.keel.code()!.diff.chunks)).toBe(0);
  await openFile(page, MAIN);
  await expect.poll(() => page.evaluate(() => window.keel.code()!.diff.chunks)).toBe(1);

  await page.locator("#code-editor .code-diff-revert").first().click();
  await expect.poll(() => page.evaluate(() => window.keel.code()!.edited)).toEqual([]);
  await expect.poll(() => page.evaluate(() => window.keel.code()!.diff.chunks)).toBe(0);
  await expect(page.locator("#code-editor .cm-content")).toContainText(SHIPPED_BANNER);
});

test("All changes lists every edited file's diff and the patch; a file's name opens it", async ({ page }) => {
  await openKeel(page, "?disk=memory");
  await waitForPrompt(page);
  await openCode(page);
  await replaceInEditor(page, SHIPPED_BANNER, "Keel - one of two");
  await openFile(page, LAYOUT);
  await replaceInEditor(page, "Physical memory layout", "The physical memory layout");
  await expect.poll(() => page.evaluate(() => window.keel.code()!.edited)).toEqual([LAYOUT, MAIN]);

  await page.locator("#code-all-changes").click();
  await expect(page.locator("#code-changes")).toBeVisible();
  await expect(page.locator("#code-editor")).toBeHidden();
  const all = (await page.evaluate(() => window.keel.code()!.diff.all))!;
  expect(all.files).toEqual([LAYOUT, MAIN]);
  expect(all.chunks).toEqual([1, 1]);
  expect(all.patch).toContain(`--- a/${LAYOUT}\n+++ b/${LAYOUT}\n`);
  expect(all.patch).toContain(`-const BANNER = "${SHIPPED_BANNER}";\n+const BANNER = "Keel - one of two";\n`);
  await expect(page.locator("#code-changes-summary")).toContainText("2 files changed, +2 −2 lines");
  await expect(page.locator("#code-changes .code-changes-file")).toHaveCount(2);
  await expect(page.locator(`#code-changes .code-changes-file[data-path="${MAIN}"] .cm-deletedChunk`)).toContainText(SHIPPED_BANNER);

  await page.locator(`#code-changes .code-changes-file[data-path="${MAIN}"] .code-changes-open`).click();
  await expect(page.locator("#code-changes")).toBeHidden();
  await expect.poll(() => page.evaluate(() => window.keel.code()!.active)).toBe(MAIN);
});
