// The page's machine runs user programs with the hart's JIT by default
// (docs/hart.md "JIT"); ?jit=off (or ?jit=0) gives the interpreter alone;
// ?jit=<anything else> is reported and the page boots with the default.
import { expect, test } from "@playwright/test";
import { openKeel, openShell, runShell, status, waitForPrompt, waitForShellPrompt } from "./keel";

test("by default the page runs programs through compiled units, gives the interpreter's answer, and the status bar says so", async ({ page }) => {
  await openShell(page, "?disk=memory");
  await expect(page.locator("#param-errors")).toBeHidden();
  await waitForShellPrompt(page);
  const out = (await runShell(page, "cat README | grep ^Keel | wc; forktest; spin 1 1")).join("\n");
  expect(out).toMatch(/^\s+[1-9]\d*\s+\d+\s+\d+$/m);
  expect(out).toContain("forktest: OK");
  await expect.poll(async () => (await status(page)).jit?.units ?? 0).toBeGreaterThan(0);
  const jit = (await status(page)).jit!;
  expect(jit.insns).toBeGreaterThan(0);
  expect(jit.retired).toBeGreaterThanOrEqual(jit.insns);
  // spin's loop is most of what ran: most instructions retired in units.
  await expect(page.locator("#status-jit")).toHaveText(/^[\d.]+( k)? units, ([5-9]\d|100)% of instructions$/);
});

for (const off of ["off", "0"]) {
  test(`?jit=${off} runs the interpreter alone`, async ({ page }) => {
    await openShell(page, `?jit=${off}&disk=memory`);
    await expect(page.locator("#param-errors")).toBeHidden();
    await waitForShellPrompt(page);
    expect((await runShell(page, "forktest")).join("\n")).toContain("forktest: OK");
    expect((await status(page)).jit).toBeUndefined();
    await expect(page.locator("#status-jit")).toHaveText("off");
  });
}

test("a bad jit value is named in the banner and the page boots with the default, the JIT", async ({ page }) => {
  await openKeel(page, "?jit=fast");
  const banner = page.getByRole("alert").filter({ hasText: "URL parameters" });
  await expect(banner).toContainText('jit="fast" must be on');
  await expect(banner).toContainText("on (hot code compiled to WebAssembly)");
  await waitForPrompt(page);
  await expect.poll(async () => (await status(page)).jit !== undefined).toBe(true);
});
