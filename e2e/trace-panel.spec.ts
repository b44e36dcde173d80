// The System calls panel: the kernel's trace ring (host/syscall-trace.ts)
// shown live in the page, the same lines `trace` prints at the console, and
// its pid and call filters.
import { expect, test, type Page } from "@playwright/test";
import { consoleLines, openShell, runShell, waitForShellPrompt } from "./keel";

const PANEL_TIMEOUT = 15_000;

async function traceLines(page: Page): Promise<string[]> {
  return page.evaluate(() => window.keel.panels().traceLines);
}

test("trace's records show in the System calls panel, filtered by call and pid", async ({ page }) => {
  test.setTimeout(90_000);
  await openShell(page, "?disk=memory");
  await waitForShellPrompt(page);
  await page.locator("#tab-trace").click();
  await expect(page.locator("#view-trace")).toBeVisible();
  await expect(page.locator("#trace-summary")).toContainText("No system calls traced yet");

  const out = await runShell(page, "trace echo hi");
  const printed = out.filter((l) => /^\[\d+\] [a-z_0-9]+\(/.test(l));
  expect(printed).toContainEqual(expect.stringMatching(/^\[\d+\] write\(1, "hi\\n", 3\) = 3$/));
  // The panel shows what trace printed, line for line.
  await expect.poll(() => traceLines(page), { timeout: PANEL_TIMEOUT }).toEqual(printed);
  await expect(page.locator("#trace-summary")).toHaveText(`${printed.length} of ${printed.length} calls shown.`);

  // Live: a second traced command's calls are added as they come.
  const more = (await runShell(page, "trace -e write wc README")).filter((l) => /^\[\d+\] /.test(l));
  expect(more.length).toBeGreaterThan(0);
  await expect.poll(async () => (await traceLines(page)).length, { timeout: PANEL_TIMEOUT }).toBeGreaterThan(printed.length + more.length);

  // The call filter (as trace -e takes it), then the pid filter.
  await page.locator("#trace-calls").fill("write, exit");
  let lines = await traceLines(page);
  expect(lines.length).toBeGreaterThan(0);
  expect(lines.every((l) => /^\[\d+\] (write|exit)\(/.test(l))).toBe(true);
  for (const l of more) expect(lines).toContain(l); // wc's writes, as trace -e write printed them
  const echoPid = /^\[(\d+)\]/.exec(printed[0]!)![1];
  await page.locator("#trace-pid").fill(echoPid!);
  lines = await traceLines(page);
  expect(lines).toEqual(printed.filter((l) => /\] (write|exit)\(/.test(l)));
  await page.locator("#trace-pid").fill("x1");
  await expect(page.locator("#trace-summary")).toHaveText('Filter: "x1" is not a pid.');
  await page.locator("#trace-pid").fill("");
  await page.locator("#trace-calls").fill("");
  expect((await traceLines(page)).length).toBeGreaterThan(printed.length + more.length);
  expect((await consoleLines(page)).length).toBeGreaterThan(0);
});
