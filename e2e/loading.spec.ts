// On a slow link the page shows what it is fetching, with bytes: the kernel,
// the boot file system and the disk image, then the card goes when the
// machine boots. The responses are held back with Playwright's routing (the
// disk is fetched only when this browser keeps none: a fresh context).
import { expect, test } from "@playwright/test";
import { BOOT_TIMEOUT_MS, openShell, waitForShellPrompt } from "./keel";

const POLL = { intervals: [25, 50, 100, 250] };

test("the loading card shows each file's bytes while the others are held back, then goes", async ({ page }) => {
  let releaseKernel = (): void => {};
  const kernelHeld = new Promise<void>((resolve) => (releaseKernel = resolve));
  await page.route(/\/kernel[^/]*\.wasm$/, async (route) => {
    await kernelHeld;
    await route.continue();
  });
  let releaseDisk = (): void => {};
  const diskHeld = new Promise<void>((resolve) => (releaseDisk = resolve));
  let releaseBootfs = (): void => {};
  const bootfsHeld = new Promise<void>((resolve) => (releaseBootfs = resolve));
  await page.route(/\/bootfs[^/]*\.img$/, async (route) => {
    await bootfsHeld;
    await route.continue();
  });
  await page.route(/\/disk[^/]*\.img$/, async (route) => {
    await diskHeld;
    await route.continue();
  });
  await openShell(page);
  const card = page.locator("#loading");
  await expect(card).toBeVisible();
  await expect(card).toContainText("Loading Keel");
  const row = (item: string) => card.locator(`li[data-item="${item}"]`);
  await expect(row("kernel")).toContainText("waiting for the server");
  await expect(row("kernel")).toHaveAttribute("data-done", "false");
  await page.waitForTimeout(300);
  await expect(row("kernel")).toContainText("waiting for the server");
  releaseKernel();
  // The kernel arrives; the boot file system waits for the server.
  await expect(row("kernel")).toHaveAttribute("data-done", "true", { timeout: BOOT_TIMEOUT_MS });
  await expect(row("kernel")).toContainText(/done, \d+ KiB/);
  await expect(row("bootfs")).toContainText("waiting for the server");
  releaseBootfs();
  await expect(row("bootfs")).toContainText(/done, [\d.]+ (KiB|MiB)/, { timeout: BOOT_TIMEOUT_MS });
  await expect(row("disk")).toContainText("waiting for the server");
  expect(await page.evaluate(() => window.keel.status().state)).toBe("off");
  releaseDisk();
  await expect(row("disk")).toContainText(/done, [\d.]+ (KiB|MiB)/, { timeout: BOOT_TIMEOUT_MS });
  await waitForShellPrompt(page);
  await expect(card).toBeHidden();
});

test("a throttled link shows the bytes as they arrive", async ({ page }) => {
  // Chromium's own network throttling (DevTools protocol): about 100 KiB/s,
  // so the 190 KiB kernel takes a couple of seconds.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false, latency: 20, downloadThroughput: 100 * 1024, uploadThroughput: 100 * 1024,
  });
  const seen = new Set<string>();
  await page.addInitScript(() => {
    new MutationObserver(() => {
      const text = document.querySelector('#loading li[data-item="kernel"] .loading-bytes')?.textContent;
      if (text) ((window as unknown as { seen: string[] }).seen ??= []).push(text);
    }).observe(document, { subtree: true, childList: true, characterData: true });
  });
  await openShell(page);
  await expect(page.locator('#loading li[data-item="kernel"]')).toHaveAttribute("data-done", "true", { timeout: 30_000 });
  for (const text of await page.evaluate(() => (window as unknown as { seen: string[] }).seen)) seen.add(text);
  const partial = [...seen].filter((text) => / of \d+ KiB \(\d+%\)| so far/.test(text));
  expect(partial.length, `kernel progress seen: ${[...seen].join(" | ")}`).toBeGreaterThan(1);
  await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  await expect(page.locator("#loading")).toBeHidden({ timeout: 30_000 });
  expect(POLL).toBeDefined();
});

test("no unstyled flash: the page stays hidden until its styles are in", async ({ page }) => {
  // Hold the page's script back: until it runs, nothing but the background shows.
  let release = (): void => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route(/\/assets\/index-[^/]*\.js$/, async (route) => {
    await held;
    await route.continue();
  });
  await page.goto("./", { waitUntil: "commit" });
  await page.waitForSelector("#panels", { state: "attached" });
  await page.waitForTimeout(300);
  expect(await page.evaluate(() => getComputedStyle(document.querySelector("#panels")!).visibility)).toBe("hidden");
  expect(await page.evaluate(() => getComputedStyle(document.querySelector(".topbar")!).visibility)).toBe("hidden");
  release();
  await page.waitForFunction(() => window.keel !== undefined);
  await expect(page.locator("#panels")).toBeVisible();
  expect(await page.evaluate(() => document.documentElement.classList.contains("keel-ready"))).toBe(true);
});

test("when the kernel cannot be fetched the loading card gives way to the error", async ({ page }) => {
  await page.route(/\/kernel[^/]*\.wasm$/, (route) => route.fulfill({ status: 404, body: "gone" }));
  await openShell(page);
  await expect(page.getByRole("alert").filter({ hasText: "Keel could not start" })).toContainText("HTTP 404");
  await expect(page.locator("#loading")).toBeHidden();
});
