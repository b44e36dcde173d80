// Keel's service worker (docs/service-worker.md), which the rest of the
// suite blocks (playwright.config.ts): through a plain static host (a proxy
// passing the built site on with its content type alone, no COOP/COEP) the
// page becomes cross-origin isolated after exactly one reload and stays so
// without another; ?isolate=off stays not isolated and never reloads; and
// ./vm/<machine>/ reaches the httpd inside the page's machine, with clear
// error pages when there is no such machine or no httpd, and in a cluster
// (?machines=2) the httpd of each machine through the page's switch.
import { expect, test, type Page } from "@playwright/test";
import { runShell, typeLine, waitForShellPrompt } from "./keel";
import { shellOn, typeOn, waitForPromptOn } from "./cluster-helpers";
import { startPlainHost, type PlainHost } from "./plain-host";

test.use({ serviceWorkers: "allow" });

let host: PlainHost;
let hostUrl: string;
/** The paths (with query) the plain host was asked for, in order. */
let requested: string[];

test.beforeAll(async ({}, testInfo) => {
  const origin = testInfo.project.use.baseURL;
  if (origin === undefined) throw new Error("playwright.config.ts sets no baseURL");
  host = await startPlainHost(origin);
  hostUrl = host.url;
  requested = host.requested;
});

test.beforeEach(() => {
  requested.length = 0;
});

test.afterAll(async () => {
  await host.close();
});

/** How often the plain host served the page itself for `query`. */
const pageLoads = (query: string) => requested.filter((url) => url === `/${query}`).length;

/** crossOriginIsolated, or false while the page is between two documents (its one reload). */
const isolatedNow = (page: Page) => page.evaluate(() => window.crossOriginIsolated).catch(() => false);

async function waitForHandle(page: Page): Promise<void> {
  await page.waitForFunction(() => window.keel !== undefined, undefined, { timeout: 30_000 });
}

test("a static build served without the headers becomes cross-origin isolated through the service worker, after one reload", async ({ page }) => {
  const query = "?userland=0&disk=memory&n=isolate";
  await page.goto(`${hostUrl}${query}`);
  await expect.poll(() => isolatedNow(page), { timeout: 30_000 }).toBe(true);
  await waitForHandle(page);
  expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
  expect(await page.evaluate(() => typeof SharedArrayBuffer)).toBe("function");
  const indicator = page.locator("#status-isolation");
  await expect(indicator).toHaveText("isolated");
  await expect(indicator).toHaveAttribute("title", /by Keel's service worker/);
  expect(pageLoads(query)).toBe(2);

  // Once isolated, a reload is one load and no more (no loop).
  await page.reload();
  await waitForHandle(page);
  expect(await page.evaluate(() => window.crossOriginIsolated)).toBe(true);
  await page.waitForTimeout(500);
  expect(pageLoads(query)).toBe(3);
});

test("?isolate=off stays not cross-origin isolated and never reloads", async ({ page }) => {
  const query = "?isolate=off&userland=0&disk=memory";
  await page.goto(`${hostUrl}${query}`);
  await waitForHandle(page);
  // The worker is there (for ./vm/ routes), in control after a reload, and still leaves the page alone.
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
  await page.reload();
  await waitForHandle(page);
  expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
  expect(await page.evaluate(() => window.crossOriginIsolated)).toBe(false);
  const indicator = page.locator("#status-isolation");
  await expect(indicator).toHaveText("not isolated");
  await expect(indicator).toHaveAttribute("title", /turned off by \?isolate=off/);
  expect(pageLoads(query)).toBe(2);
});

test.describe("./vm/<machine>/", () => {
  test.setTimeout(120_000);

  test("serves a file from the httpd in the page's machine, and says clearly when there is no machine or no httpd", async ({ page, context }) => {
    await page.goto(`${hostUrl}?disk=memory`);
    await expect.poll(() => isolatedNow(page), { timeout: 30_000 }).toBe(true);
    await waitForHandle(page);
    await waitForShellPrompt(page);

    const fetchRoute = (path: string) => page.evaluate(async (p) => {
      const r = await fetch(p);
      return { status: r.status, machine: r.headers.get("x-keel-machine"), error: r.headers.get("x-keel-error"), text: await r.text() };
    }, path);

    // No httpd yet: the machine refuses the connection.
    const refused = await fetchRoute("./vm/keel-1/hello.txt");
    expect(refused.status).toBe(502);
    expect(refused.error).toBe("No httpd");
    expect(refused.text).toContain("nothing listens on keel-1 (10.0.0.2:80)");
    // No such machine, and a name that cannot be one.
    const missing = await fetchRoute("./vm/keel-9/");
    expect(missing.status).toBe(404);
    expect(missing.text).toContain("keel-1");
    expect((await fetchRoute("./vm/no%20such/")).status).toBe(400);

    // A file in the machine, served by its httpd, opened in a new tab.
    const content = "hello from keel-1 over the virtual switch";
    await runShell(page, `echo ${content} > /vm-hello.txt`);
    await typeLine(page, "httpd &");
    await expect.poll(async () => (await fetchRoute("./vm/keel-1/vm-hello.txt")).status, { timeout: 30_000, intervals: [250, 500, 1000] }).toBe(200);

    const tab = await context.newPage();
    const response = await tab.goto(`${hostUrl}vm/keel-1/vm-hello.txt`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()["x-keel-machine"]).toBe("keel-1");
    expect(Buffer.from(await response!.body()).toString("utf8")).toBe(`${content}\n`);
    // ./vm/keel-1 without the slash redirects to the machine's root.
    const root = await tab.goto(`${hostUrl}vm/keel-1`);
    expect(root?.url()).toBe(`${hostUrl}vm/keel-1/`);
    expect(root?.status()).toBe(200);
    expect(await tab.content()).toContain("vm-hello.txt");
  });

  test("in a cluster, ./vm/keel-2/ reaches the second machine's httpd through the page's switch, and keel-1 is routed too", async ({ page, context }) => {
    test.setTimeout(240_000);
    await page.goto(`${hostUrl}?machines=2&disk=memory`);
    await expect.poll(() => isolatedNow(page), { timeout: 30_000 }).toBe(true);
    await waitForHandle(page);
    await waitForPromptOn(page, 0);
    await waitForPromptOn(page, 1);
    const fetchRoute = (path: string) => page.evaluate(async (p) => {
      const r = await fetch(p);
      return { status: r.status, machine: r.headers.get("x-keel-machine"), error: r.headers.get("x-keel-error"), text: await r.text() };
    }, path);

    // Both machines are routed (not 501): neither runs an httpd yet, so each refuses.
    for (const [name, ip] of [["keel-1", "10.0.0.1"], ["keel-2", "10.0.0.2"]] as const) {
      const refused = await fetchRoute(`./vm/${name}/x.txt`);
      expect(refused.status, refused.text).toBe(502);
      expect(refused.error).toBe("No httpd");
      expect(refused.text).toContain(`nothing listens on ${name} (${ip}:80)`);
    }
    expect((await fetchRoute("./vm/keel-3/")).status).toBe(404);

    // A file written on keel-2 and served by its httpd, opened in a new tab.
    const content = "hello from keel-2 in a cluster";
    await shellOn(page, 1, `echo ${content} > /vm-two.txt`);
    await typeOn(page, 1, "httpd &");
    await expect.poll(async () => (await fetchRoute("./vm/keel-2/vm-two.txt")).status, { timeout: 60_000, intervals: [250, 500, 1000] }).toBe(200);
    const tab = await context.newPage();
    const response = await tab.goto(`${hostUrl}vm/keel-2/vm-two.txt`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()["x-keel-machine"]).toBe("keel-2");
    expect(Buffer.from(await response!.body()).toString("utf8")).toBe(`${content}\n`);
    // keel-1 still has no httpd: the request went to keel-1, not to whichever machine listens.
    expect((await fetchRoute("./vm/keel-1/vm-two.txt")).error).toBe("No httpd");
  });
});
