// ?cpus=N: the page's machine worker builds N kernel instances over one RAM
// (docs/architecture.md "Several vCPUs"); a bad value is reported and the
// page boots with one vCPU.
import { expect, test } from "@playwright/test";
import { openKeel, openShell, runShell, waitForPrompt, waitForShellPrompt } from "./keel";

test("?cpus=2 boots two vCPUs and runs programs on both", async ({ page }) => {
  await openShell(page, "?cpus=2&disk=memory");
  await expect(page.locator("#param-errors")).toBeHidden();
  await waitForShellPrompt(page);
  const out = (await runShell(page, "spin 2 1; forktest; ps")).join("\n");
  expect(out).toContain("forktest: OK");
  expect(out).toMatch(/children used \d+\.\d% of the elapsed time/);
  expect(out).toContain("SWITCHES THR VCPU NAME");
});

test("a bad cpus value is named in the banner and the page boots with one vCPU", async ({ page }) => {
  await openKeel(page, "?cpus=9");
  const banner = page.getByRole("alert").filter({ hasText: "URL parameters" });
  await expect(banner).toContainText('cpus="9" must be a whole number of vCPUs from 1 to 8');
  await expect(banner).toContainText("1 vCPU");
  await waitForPrompt(page);
});
