// URL parameters: good ones configure the machine, bad ones are reported
// and replaced by the defaults, and the machine boots either way.
import { expect, test } from "@playwright/test";
import { MIB, consoleLines, openKeel, runCommand, status, waitForHelloWorld, waitForPrompt } from "./keel";

test("a bad ram value is reported in a banner and the machine boots with 128 MiB", async ({ page }) => {
  await openKeel(page, "?ram=banana");
  const banner = page.getByRole("alert").filter({ hasText: "URL parameters" });
  await expect(banner).toBeVisible();
  await expect(banner).toContainText('ram="banana"');
  await expect(banner).toContainText("128 MiB");
  await waitForHelloWorld(page);
  await waitForPrompt(page);
  expect((await status(page)).ramBytes).toBe(128 * MIB);
  await expect(page.locator("#status-ram")).toHaveText("128 MiB");
});

test("each bad parameter is named with its value, the good ones still apply", async ({ page }) => {
  await openKeel(page, "?ram=64&clock=sundial&cmdline=quiet");
  const items = page.locator("#param-error-list li");
  await expect(items).toHaveCount(1);
  await expect(items.first()).toContainText('clock="sundial"');
  await waitForPrompt(page);
  const s = await status(page);
  expect(s.ramBytes).toBe(64 * MIB);
  expect(s.clock).toBe("realtime");
});

test("a deterministic clock boots, the monitor answers, and a reboot replays the same boot log", async ({ page }) => {
  await openKeel(page, "?clock=deterministic");
  await expect(page.locator("#param-errors")).toBeHidden();
  await waitForHelloWorld(page);
  await waitForPrompt(page);
  expect((await status(page)).clock).toBe("deterministic");
  await expect(page.locator("#status-clock")).toHaveText("deterministic");
  const firstBoot = await consoleLines(page);
  expect((await runCommand(page, "uptime")).join("\n")).toMatch(/\d/);

  // Virtual time comes from work done, so the timestamps repeat exactly.
  const before = (await consoleLines(page)).length;
  await page.getByRole("button", { name: "Reboot" }).click();
  await expect.poll(async () => (await status(page)).boots).toBe(2);
  await waitForPrompt(page);
  const secondBoot = (await consoleLines(page)).slice(before + 1);
  expect(secondBoot).toEqual(firstBoot);
});
