// Shareable links (docs/share-links.md): Share in deterministic mode makes a
// link whose replay reaches the same screen and console; `?run=` types a
// command after boot; a link that cannot be read is reported and the machine
// boots anyway; realtime mode shares the typed lines as `run`; the status
// bar says whether the page is cross-origin isolated, and the page works
// both ways (the isolated case through a proxy adding COOP/COEP headers).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect, test, type Page } from "@playwright/test";
import {
  BOOT_TIMEOUT_MS, consoleLines, openShell, runShell, status, typeLine, vgaText, waitForShellPrompt,
} from "./keel";

const POLL = { intervals: [50, 100, 250] };

async function shareLink(page: Page): Promise<string> {
  await page.getByRole("button", { name: "Share" }).click();
  const dialog = page.getByRole("dialog", { name: "Share this session" });
  await expect(dialog).toBeVisible();
  const field = dialog.getByRole("textbox", { name: "Link" });
  await expect(field).toBeFocused();
  await expect(field).not.toHaveValue("");
  return field.inputValue();
}

async function waitForReplay(page: Page, timeout = 60_000) {
  await expect.poll(async () => (await page.evaluate(() => window.keel.replay())).progress?.finished ?? false, {
    ...POLL, timeout, message: "the replay has finished",
  }).toBe(true);
  return page.evaluate(() => window.keel.replay());
}

test("a deterministic session's link replays to the same screen and console", async ({ page, context }) => {
  test.setTimeout(120_000);
  // The default disk (kept in the browser): a fresh context stores the shipped image first.
  await openShell(page, "?clock=deterministic");
  await waitForShellPrompt(page);
  await runShell(page, "ls");
  await runShell(page, "echo hello | wc");
  // The Reboot button is part of the session: the replay reboots at the same
  // moment and marks it in the console the same way.
  const beforeReboot = (await consoleLines(page)).length;
  await page.getByRole("button", { name: "Reboot" }).click();
  await waitForShellPrompt(page, beforeReboot);
  await expect.poll(async () => (await status(page)).state, POLL).toBe("idle");
  // Typed while a command runs: the shell reads it once sleep is done.
  const before = (await consoleLines(page)).length;
  await typeLine(page, "sleep 1 ; echo slept");
  await typeLine(page, "echo typed-ahead");
  await expect.poll(async () => (await consoleLines(page)).join("\n"), { ...POLL, timeout: BOOT_TIMEOUT_MS })
    .toMatch(/typed-ahead\n\$$/);
  await waitForShellPrompt(page, before);
  await expect.poll(async () => (await status(page)).state, POLL).toBe("idle");

  const link = await shareLink(page);
  const dialog = page.getByRole("dialog");
  await expect(dialog).toHaveAttribute("data-exact", "true");
  await expect(dialog).toContainText("Exact replay");
  // The replay starts from the shipped disk; this session's disk was kept in the browser.
  await expect(dialog).toContainText("disk kept in this browser");
  expect(new URL(link).hash).toMatch(/^#replay=[A-Za-z0-9_-]+$/);
  expect(link.length).toBeLessThan(1500);
  // Escape closes the dialog and gives focus back to Share.
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  await expect(page.getByRole("button", { name: "Share" })).toBeFocused();
  expect(await page.evaluate(() => window.keel.shareLink())).toBe(link);

  const original = { console: await consoleLines(page), vga: await vgaText(page), status: await status(page) };

  const replay = await context.newPage();
  await replay.goto(link);
  await replay.waitForFunction(() => window.keel !== undefined);
  await expect(replay.locator("#status-replay")).toBeVisible();
  const done = await waitForReplay(replay);
  expect(done.progress?.diverged).toBeNull();
  await expect(replay.locator("#status-replay")).toHaveText("done");
  await expect.poll(async () => (await status(replay)).state, POLL).toBe("idle");
  await expect.poll(async () => consoleLines(replay), { ...POLL, timeout: BOOT_TIMEOUT_MS }).toEqual(original.console);
  await expect.poll(async () => vgaText(replay), POLL).toEqual(original.vga);
  const replayed = await status(replay);
  expect(replayed.clock).toBe("deterministic");
  expect(replayed.workTotal).toBe(original.status.workTotal);
  expect(replayed.uptimeNs).toBe(original.status.uptimeNs);
  // Typing works again once the replay has ended.
  expect(await runShell(replay, "echo after-replay")).toEqual(["after-replay"]);
});

test("?run= types a command once the machine has booted", async ({ page }) => {
  await openShell(page, "?disk=memory&run=echo%20hi");
  await expect.poll(async () => (await consoleLines(page)).join("\n"), { ...POLL, timeout: BOOT_TIMEOUT_MS })
    .toMatch(/\$ echo hi\nhi\n\$$/);
});

test("a corrupt replay link is reported in the banner and the machine still boots to the shell", async ({ page }) => {
  await openShell(page, "?disk=memory#replay=Zm9vYmFyIGlzIG5vdCBkZWZsYXRl");
  const banner = page.getByRole("alert").filter({ hasText: "URL parameters" });
  await expect(banner).toBeVisible();
  await expect(banner).toContainText('replay="Zm9vYmFyIGlzIG5vdCBkZWZsYXRl"');
  await expect(banner).toContainText("without the replay");
  await waitForShellPrompt(page);
  expect((await page.evaluate(() => window.keel.replay())).requested).toBe(false);
  await expect(page.locator("#status-replay-item")).toBeHidden();
  expect(await runShell(page, "echo still-here")).toEqual(["still-here"]);
});

test("in realtime mode Share makes a plain link with the typed lines as run, which runs them", async ({ page, context }) => {
  await openShell(page, "?disk=memory&ram=64");
  await waitForShellPrompt(page);
  await runShell(page, "echo one");
  const link = await shareLink(page);
  await expect(page.getByRole("dialog")).toHaveAttribute("data-exact", "false");
  await expect(page.getByRole("dialog")).toContainText("Not exact");
  const url = new URL(link);
  expect(url.searchParams.get("ram")).toBe("64");
  expect(url.searchParams.get("run")).toBe("echo one");
  // Copy uses the clipboard where it may; otherwise the link stays selected to copy by hand.
  await page.getByRole("button", { name: "Copy" }).click();
  await expect(page.locator(".share-copied")).toHaveText(/Copied to the clipboard|press Ctrl\+C/);
  await page.getByRole("button", { name: "Close" }).click();
  await expect(page.getByRole("dialog")).toBeHidden();

  const again = await context.newPage();
  await again.goto(`${link}&disk=memory`);
  await again.waitForFunction(() => window.keel !== undefined);
  await expect.poll(async () => (await consoleLines(again)).join("\n"), { ...POLL, timeout: BOOT_TIMEOUT_MS })
    .toMatch(/\$ echo one\none\n\$$/);
});

test("the status bar says the preview server's page is not cross-origin isolated", async ({ page }) => {
  await openShell(page, "?disk=memory");
  const indicator = page.locator("#status-isolation");
  await expect(indicator).toHaveText("not isolated");
  // The suite blocks Keel's service worker (playwright.config.ts): the plain host's page stays as served.
  await expect(indicator).toHaveAttribute("title", /^not cross-origin isolated \(.+\): one vCPU; everything works$/);
});

test.describe("served with COOP and COEP", () => {
  let server: Server;
  let isolatedUrl: string;

  test.beforeAll(async ({}, testInfo) => {
    const origin = testInfo.project.use.baseURL;
    if (origin === undefined) throw new Error("playwright.config.ts sets no baseURL");
    // Passes the built site through, adding the two headers that make a page cross-origin isolated.
    server = createServer((request, response) => {
      fetch(new URL(request.url ?? "/", origin))
        .then(async (upstream) => {
          const type = upstream.headers.get("content-type");
          response.writeHead(upstream.status, {
            ...(type === null ? {} : { "content-type": type }),
            "cross-origin-opener-policy": "same-origin",
            "cross-origin-embedder-policy": "require-corp",
          });
          response.end(Buffer.from(await upstream.arrayBuffer()));
        })
        .catch((error: unknown) => response.writeHead(502).end(String(error)));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    isolatedUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });

  test.afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  test("the status bar says the page is cross-origin isolated, and Keel boots and runs", async ({ page }) => {
    await page.goto(`${isolatedUrl}?disk=memory`);
    await page.waitForFunction(() => window.keel !== undefined);
    expect(await page.evaluate(() => window.crossOriginIsolated)).toBe(true);
    const indicator = page.locator("#status-isolation");
    await expect(indicator).toHaveText("isolated");
    await expect(indicator).toHaveAttribute("title", /^cross-origin isolated \(by the server's headers\): ready for several vCPUs/);
    await waitForShellPrompt(page);
    expect(await runShell(page, "echo isolated-ok")).toEqual(["isolated-ok"]);
  });
});
