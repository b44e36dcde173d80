// The built site works from a plain static host under a sub-path: every URL
// in it is relative, and it needs no special headers (no cross-origin
// isolation). A small proxy mounts the test server's site at /some/sub/path/
// and answers 404 anywhere else, so an absolute URL would break the boot.
import { expect, test } from "@playwright/test";
import { openKeel, runCommand, waitForHelloWorld, waitForPrompt } from "./keel";
import { startPlainHost, type PlainHost } from "./plain-host";

const SUB_PATH = "/some/sub/path/";

let host: PlainHost;
let subPathUrl: string;
let requested: string[];

test.beforeAll(async ({}, testInfo) => {
  const origin = testInfo.project.use.baseURL;
  if (origin === undefined) throw new Error("playwright.config.ts sets no baseURL");
  host = await startPlainHost(origin, { subPath: SUB_PATH });
  subPathUrl = host.url;
  requested = host.requested;
});

test.afterAll(async () => {
  await host.close();
});

test("the static build boots under a sub-path with no special headers", async ({ page }) => {
  await page.goto(subPathUrl);
  await openKeel(page, "");
  await waitForHelloWorld(page);
  await waitForPrompt(page);
  expect(await page.evaluate(() => window.crossOriginIsolated)).toBe(false);
  expect((await runCommand(page, "uptime")).length).toBeGreaterThan(0);
  expect(requested.filter((url) => !url.startsWith(SUB_PATH))).toEqual([]);
});

test("under the sub-path the Code tab finds the kernel's sources", async ({ page }) => {
  await page.goto(subPathUrl);
  await openKeel(page, "");
  await waitForPrompt(page);
  await page.getByRole("tab", { name: "Code" }).click();
  await expect.poll(() => page.evaluate(() => window.keel.code()?.files ?? 0), { timeout: 20_000 }).toBeGreaterThan(50);
  await expect(page.locator("#code-files button[data-path='kernel-as/src/main.ts']")).toBeVisible();
  expect(requested.filter((url) => !url.startsWith(SUB_PATH))).toEqual([]);
});
