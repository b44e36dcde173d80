// The Code panel's page actions shared by the browser tests that edit and
// build the kernel (e2e/code-swap.spec.ts, e2e/code-share.spec.ts): open the
// tab, replace text with the editor's own search, press a build button and
// wait for its outcome.
import { expect, type Page } from "@playwright/test";

export const MAIN = "kernel-as/src/main.ts";
export const SHIPPED_BANNER = "Keel - a capability microkernel in your browser tab";
/** A whole-kernel build in the page, with a margin for a busy machine. */
export const BUILD_TIMEOUT_MS = 150_000;

export async function openCode(page: Page): Promise<void> {
  await page.getByRole("tab", { name: "Code" }).click();
  await expect.poll(() => page.evaluate(() => window.keel.code()?.active ?? null), { timeout: 20_000 }).not.toBeNull();
  await expect(page.locator("#code-editor .cm-content")).toBeVisible();
}

/** Opens `path` from the file list. */
export async function openFile(page: Page, path: string): Promise<void> {
  await page.locator(`#code-files button[data-path='${path}']`).click();
  await expect.poll(() => page.evaluate(() => window.keel.code()!.active)).toBe(path);
}

/** Selects `text` in the open file with the editor's own search (Ctrl+F,
 *  Enter, Escape) and types `replacement` over it, as a person would. */
export async function replaceInEditor(page: Page, text: string, replacement: string): Promise<void> {
  await page.locator("#code-editor .cm-content").click();
  await page.keyboard.press("Control+f");
  const field = page.locator("#code-editor .cm-search input[name=search]");
  await expect(field).toBeFocused();
  await page.keyboard.press("Control+a");
  await page.keyboard.type(text);
  await page.keyboard.press("Enter");
  await page.keyboard.press("Escape");
  await expect(page.locator("#code-editor .cm-content")).toBeFocused();
  await page.keyboard.type(replacement);
}

/** Presses Build or Apply and waits until the build has an outcome. */
export async function pressBuild(page: Page, button: "#code-build" | "#code-apply"): Promise<void> {
  const before = await page.evaluate(() => JSON.stringify([window.keel.code()?.lastBuild ?? null, window.keel.code()?.status]));
  await page.locator(button).click();
  await expect.poll(() => page.evaluate(() => window.keel.code()?.building ?? false)).toBe(true).catch(() => undefined);
  await expect.poll(() => page.evaluate(() => window.keel.code()!.building), { timeout: BUILD_TIMEOUT_MS, intervals: [250, 500] }).toBe(false);
  await expect.poll(() => page.evaluate(() => JSON.stringify([window.keel.code()?.lastBuild ?? null, window.keel.code()?.status])))
    .not.toBe(before);
}
