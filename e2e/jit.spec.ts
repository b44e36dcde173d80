// ?jit=on: the page's machine runs user programs with the hart's JIT
// (docs/hart.md "JIT"); ?jit=<anything else> is reported and the page boots
// with the interpreter.
import { expect, test } from "@playwright/test";
import { openKeel, openShell, runShell, status, waitForPrompt, waitForShellPrompt } from "./keel";

test("?jit=on boots, runs a program through compiled units, and gives the interpreter's answer", async ({ page }) => {
  await openShell(page, "?jit=on&disk=memory");
  await expect(page.locator("#param-errors")).toBeHidden();
  await waitForShellPrompt(page);
  const out = (await runShell(page, "cat README | grep ^Keel | wc; forktest")).join("\n");
  expect(out).toMatch(/^\s+[1-9]\d*\s+\d+\s+\d+$/m);
  expect(out).toContain("forktest: OK");
  await expect.poll(async () => (await status(page)).jit?.units ?? 0).toBeGreaterThan(0);
  expect((await status(page)).jit!.insns).toBeGreaterThan(0);
});

test("a bad jit value is named in the banner and the page boots with the interpreter", async ({ page }) => {
  await openKeel(page, "?jit=fast");
  const banner = page.getByRole("alert").filter({ hasText: "URL parameters" });
  await expect(banner).toContainText('jit="fast" must be on');
  await expect(banner).toContainText("off (the interpreter)");
  await waitForPrompt(page);
  expect((await status(page)).jit).toBeUndefined();
});
