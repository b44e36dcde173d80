// Realtime share links carry what was typed in order, shell and monitor
// alike, and replay it line by line, each line once the console waits for
// input (docs/share-links.md "Realtime links"); the dialog offers to make
// an exact link; `?snapshot=URL` boots straight into a published .keelsnap,
// and a bad address or a damaged file is answered clearly.
import { expect, test, type BrowserContext, type Page } from "@playwright/test";
import { BOOT_TIMEOUT_MS, consoleText, openShell, runShell, typeLine, waitForShellPrompt } from "./keel";

const POLL = { intervals: [50, 100, 250] };

async function shareDialog(page: Page) {
  await page.getByRole("button", { name: "Share" }).click();
  const dialog = page.getByRole("dialog", { name: "Share this session" });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole("textbox", { name: "Link" })).not.toHaveValue("");
  return dialog;
}

/** The positions of `marks` in `text`, each found after the one before (-1 when missing). */
function inOrder(text: string, marks: string[]): number[] {
  const at: number[] = [];
  let from = 0;
  for (const mark of marks) {
    const found = text.indexOf(mark, from);
    at.push(found);
    if (found >= 0) from = found + mark.length;
  }
  return at;
}

test("a realtime link carries shell and monitor lines in order and replays them line by line", async ({ page, context }) => {
  test.setTimeout(90_000);
  await openShell(page, "?disk=memory");
  await waitForShellPrompt(page);
  await runShell(page, "echo one");
  // The monitor, a command there, and back.
  await page.keyboard.press("Control+BracketRight");
  await expect.poll(() => consoleText(page), POLL).toMatch(/keel>$/);
  await typeLine(page, "uptime");
  await expect.poll(() => consoleText(page), POLL).toMatch(/up [\s\S]*keel>$/);
  await page.keyboard.press("Control+BracketRight");
  await expect.poll(() => consoleText(page), POLL).toMatch(/\[back to user programs\]$/);
  // A runaway program stopped with Ctrl-C, then one more command.
  await typeLine(page, "spin 1 100000");
  await page.waitForTimeout(300);
  await page.keyboard.press("Control+C");
  await expect.poll(() => consoleText(page), { ...POLL, timeout: BOOT_TIMEOUT_MS }).toMatch(/\$$/);
  await runShell(page, "echo two");

  const dialog = await shareDialog(page);
  await expect(dialog).toHaveAttribute("data-exact", "false");
  const link = await dialog.getByRole("textbox", { name: "Link" }).inputValue();
  expect(new URL(link).searchParams.get("run")).toBe("echo one\n\x1duptime\n\x1dspin 1 100000\n\x03\necho two");

  const again = await context.newPage();
  await again.goto(`${link}&disk=memory`);
  await again.waitForFunction(() => window.keel !== undefined);
  await expect.poll(() => consoleText(again), { ...POLL, timeout: 30_000 }).toMatch(/\$ echo two\ntwo\n\$$/);
  // The status bar said what it was doing: the 7 steps (lines, switches, the Ctrl-C) are typed.
  await expect(again.locator("#status-replay")).toHaveText("typed");
  expect((await again.evaluate(() => window.keel.replay())).lines).toEqual({ typed: 7, total: 7 });
  const text = await consoleText(again);
  // Each command's output is right after it, and the monitor's comes where it was typed.
  const at = inOrder(text, [
    "$ echo one\none\n$", "[kernel monitor", "keel> uptime\nup ", "[back to user programs]", "spin 1 100000", "$ echo two\ntwo\n$",
  ]);
  expect(at.every((p) => p >= 0), `the replay's transcript:\n${text}`).toBe(true);
});

test("Make this an exact link reloads on the deterministic clock with the same lines, and Share then makes an exact link", async ({ page }) => {
  test.setTimeout(90_000);
  await openShell(page, "?disk=memory");
  await waitForShellPrompt(page);
  await runShell(page, "echo exact-me");
  const dialog = await shareDialog(page);
  const button = dialog.getByRole("button", { name: "Make this an exact link" });
  await expect(button).toBeVisible();
  await button.click();
  await page.waitForURL(/clock=deterministic/);
  await page.waitForFunction(() => window.keel !== undefined);
  const url = new URL(page.url());
  expect(url.searchParams.get("disk")).toBe("memory");
  expect(url.searchParams.get("run")).toBe("echo exact-me");
  await expect.poll(() => consoleText(page), { ...POLL, timeout: 30_000 }).toMatch(/\$ echo exact-me\nexact-me\n\$$/);
  const exact = await shareDialog(page);
  await expect(exact).toHaveAttribute("data-exact", "true");
  await expect(exact.getByRole("button", { name: "Make this an exact link" })).toBeHidden();
});

/** Saves a snapshot in a page of its own and returns the file's bytes. */
async function publishedSnapshot(context: BrowserContext): Promise<Buffer> {
  const page = await context.newPage();
  await openShell(page, "?disk=memory");
  await waitForShellPrompt(page);
  await runShell(page, "echo published > pubfile");
  await page.getByRole("button", { name: "Save snapshot" }).click();
  const link = page.locator("#snapshot-download");
  await expect(link).toBeVisible({ timeout: BOOT_TIMEOUT_MS });
  const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
  const path = await download.path();
  const { readFile } = await import("node:fs/promises");
  const bytes = await readFile(path);
  await page.close();
  return bytes;
}

test("?snapshot= boots straight into a published .keelsnap; a damaged one and a missing one are reported", async ({ page, context }) => {
  test.setTimeout(120_000);
  const good = await publishedSnapshot(context);
  const damaged = Buffer.from(good);
  const middle = Math.floor(damaged.length / 2);
  damaged[middle] = damaged[middle]! ^ 0xff;
  await context.route("**/published/*.keelsnap", (route) => {
    const name = new URL(route.request().url()).pathname.split("/").pop();
    if (name === "good.keelsnap") return route.fulfill({ body: good, contentType: "application/octet-stream" });
    if (name === "damaged.keelsnap") return route.fulfill({ body: damaged, contentType: "application/octet-stream" });
    return route.fulfill({ status: 404, body: "not here" });
  });

  // The published machine: its file is there, and the shell goes on.
  await openShell(page, "?snapshot=published/good.keelsnap");
  await expect.poll(async () => (await page.evaluate(() => window.keel.snapshots())).restored, { ...POLL, timeout: BOOT_TIMEOUT_MS }).toBe(1);
  await expect(page.getByRole("status").filter({ hasText: "Restored the machine saved at" })).toBeVisible();
  await typeLine(page, "cat pubfile");
  await expect.poll(() => consoleText(page), { ...POLL, timeout: BOOT_TIMEOUT_MS }).toMatch(/(^|\n)(\$ )?cat pubfile\npublished\n\$$/); // a restored console starts empty
  expect(await consoleText(page)).not.toContain("Keel 0.1.0 booting"); // straight in: no boot log

  // Damaged: the snapshot error says so, and the machine boots as usual.
  const bad = await context.newPage();
  await openShell(bad, "?snapshot=published/damaged.keelsnap");
  await expect(bad.locator("#snapshot-error")).toBeVisible({ timeout: BOOT_TIMEOUT_MS });
  await expect(bad.locator("#snapshot-error-text")).toContainText("damaged.keelsnap was not restored");
  await expect(bad.locator("#snapshot-error-text")).toContainText("booted as usual");
  await waitForShellPrompt(bad);
  expect(await runShell(bad, "echo still-here")).toEqual(["still-here"]);

  // Missing, and not an http(s) address: the URL-parameter banner names them.
  const missing = await context.newPage();
  await openShell(missing, "?snapshot=published/missing.keelsnap");
  await expect(missing.locator("#param-error-list li[data-param=snapshot]")).toContainText("could not be fetched: the server answered HTTP 404");
  await waitForShellPrompt(missing);
  const notHttp = await context.newPage();
  await openShell(notHttp, "?snapshot=javascript:alert(1)");
  await expect(notHttp.locator("#param-error-list li[data-param=snapshot]")).toContainText("must be an http or https address");
  await waitForShellPrompt(notHttp);
});
