// Rebooting from the page's button and from the monitor, and halting.
import { expect, test } from "@playwright/test";
import {
  consoleLines, openKeel, runCommand, status, typeLine, vgaText, waitForHelloWorld, waitForPrompt, waitForState,
} from "./keel";

const REBOOT_MARKER = "──── reboot ────";

test.beforeEach(async ({ page }) => {
  await openKeel(page);
  await waitForHelloWorld(page);
  await waitForPrompt(page);
});

test("the Reboot button boots again: boot log, Hello World and the prompt return", async ({ page }) => {
  const firstBoot = await consoleLines(page);
  const firstBootLog = firstBoot.slice(0, -1).filter((line) => line.trim() !== "");
  await page.getByRole("button", { name: "Reboot" }).click();

  await expect.poll(async () => (await status(page)).boots).toBe(2);
  await waitForPrompt(page);
  const lines = await consoleLines(page);
  const marker = lines.lastIndexOf(REBOOT_MARKER);
  expect(marker, "the console marks the reboot").toBeGreaterThanOrEqual(firstBoot.length - 1);
  const secondBootLog = lines.slice(marker + 1, -1).filter((line) => line.trim() !== "");
  // The same boot log again (same number of lines; timestamps may differ).
  expect(secondBootLog.length).toBe(firstBootLog.length);
  await waitForHelloWorld(page);
  expect((await vgaText(page))[0]).toMatch(/^Hello World!/);
  // Focus is back in the terminal, and the monitor answers.
  expect(await page.evaluate(() => document.activeElement?.closest("#console") !== null)).toBe(true);
  expect((await runCommand(page, "help")).length).toBeGreaterThan(0);
});

test("the monitor's reboot command boots again", async ({ page }) => {
  await runCommand(page, "uptime");
  const before = (await consoleLines(page)).length;
  await typeLine(page, "reboot");
  await expect.poll(async () => (await consoleLines(page)).length, { message: "a new boot log" })
    .toBeGreaterThan(before + 2);
  await waitForPrompt(page);
  await waitForHelloWorld(page);
  expect((await runCommand(page, "help")).length).toBeGreaterThan(0);
});

test("halt stops the machine, and the Reboot button brings it back", async ({ page }) => {
  await typeLine(page, "halt");
  await waitForState(page, "halted");
  await expect(page.locator("#status-state")).toHaveText("halted");
  await page.getByRole("button", { name: "Reboot" }).click();
  await expect.poll(async () => (await status(page)).state).toMatch(/running|idle/);
  await waitForPrompt(page);
  expect((await runCommand(page, "help")).length).toBeGreaterThan(0);
});
