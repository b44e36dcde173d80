// The built site works from a plain static host under a sub-path: every URL
// in it is relative, and it needs no special headers (no cross-origin
// isolation). A small proxy mounts the test server's site at /some/sub/path/
// and answers 404 anywhere else, so an absolute URL would break the boot.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect, test } from "@playwright/test";
import { openKeel, runCommand, waitForHelloWorld, waitForPrompt } from "./keel";

const SUB_PATH = "/some/sub/path/";

let server: Server;
let subPathUrl: string;
const requested: string[] = [];

test.beforeAll(async ({}, testInfo) => {
  const origin = testInfo.project.use.baseURL;
  if (origin === undefined) throw new Error("playwright.config.ts sets no baseURL");
  server = createServer((request, response) => {
    const url = request.url ?? "/";
    requested.push(url);
    if (!url.startsWith(SUB_PATH)) {
      response.writeHead(404).end("not under the sub-path");
      return;
    }
    fetch(new URL(url.slice(SUB_PATH.length), origin))
      .then(async (upstream) => {
        // Only the content type is passed on: no COOP/COEP or other headers.
        const type = upstream.headers.get("content-type");
        response.writeHead(upstream.status, type === null ? {} : { "content-type": type });
        response.end(Buffer.from(await upstream.arrayBuffer()));
      })
      .catch((error: unknown) => response.writeHead(502).end(String(error)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  subPathUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}${SUB_PATH}`;
});

test.afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
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
