// ?parallel=1 (docs/architecture.md "Parallel vCPUs"): in a cross-origin
// isolated page (here through Keel's service worker, docs/service-worker.md)
// vCPUs 1..N-1 are Web Workers of their own (web/vcpu-spawner.ts) over the
// machine's shared RAM; without isolation the page says why and interleaves.
import { expect, test, type Page } from "@playwright/test";
import { consoleLines, openKeel, runCommand, runShell, waitForPrompt, waitForShellPrompt } from "./keel";

/** crossOriginIsolated, or false while the page is between two documents (its one reload). */
const isolatedNow = (page: Page) => page.evaluate(() => window.crossOriginIsolated).catch(() => false);

/** The monitor's `cpus` table, from the shell (Ctrl-] there and back): each vCPU's user instructions retired. */
async function instretPerCpu(page: Page): Promise<bigint[]> {
  await page.evaluate(() => window.keel.term.focus());
  await page.keyboard.press("Control+BracketRight");
  await waitForPrompt(page);
  const lines = await runCommand(page, "cpus");
  await page.keyboard.press("Control+BracketRight");
  await expect.poll(async () => (await consoleLines(page)).at(-1)).toContain("back to user programs");
  const count = (await consoleLines(page)).length;
  await page.keyboard.press("Enter");
  await waitForShellPrompt(page, count);
  // VCPU STATE PROCESS INSTRET IDLE(ms) RUNS: the process is a pid, "(pid)" or "-".
  return lines.slice(1).map((line) => {
    const fields = line.trim().split(/\s+/);
    return BigInt(fields[fields.length - 3]!);
  });
}

test.describe("isolated", () => {
  test.use({ serviceWorkers: "allow" });

  test("?parallel=1&cpus=2 runs vCPU 1 in a worker of its own: spin 2 keeps both vCPUs retiring user instructions", async ({ page }) => {
    test.setTimeout(120_000);
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto("./?cpus=2&parallel=1&disk=memory");
    await expect.poll(() => isolatedNow(page), { timeout: 30_000 }).toBe(true);
    await page.waitForFunction(() => window.keel !== undefined, undefined, { timeout: 30_000 });
    await expect(page.locator("#param-errors")).toBeHidden();
    await expect(page.locator("#status-cpus")).toHaveText("2 parallel");
    await waitForShellPrompt(page, 0, 60_000);
    // A Web Worker per vCPU beyond the first (the machine's worker is vCPU 0).
    await expect.poll(() => page.workers().filter((w) => /vcpu-worker/.test(w.url())).length).toBe(1);
    const before = await instretPerCpu(page);
    expect(before.length).toBe(2);
    const out = (await runShell(page, "spin 2 3", 60_000)).join("\n");
    const used = /children used (\d+\.\d)% of the elapsed time/.exec(out);
    expect(used, out).not.toBeNull();
    console.log(`parallel spin 2 3: children used ${used![1]}% of the elapsed time`);
    const after = await instretPerCpu(page);
    for (let cpu = 0; cpu < 2; cpu++) expect(after[cpu]! - before[cpu]!, `vCPU ${cpu} retired user instructions`).toBeGreaterThan(0n);
    expect(errors).toEqual([]);
  });
});

test("?parallel=1 in a page that is not cross-origin isolated says why and interleaves the vCPUs", async ({ page }) => {
  await openKeel(page, "?cpus=2&parallel=1");
  const banner = page.getByRole("alert").filter({ hasText: "URL parameters" });
  await expect(banner).toContainText('parallel="1" needs a cross-origin isolated page');
  await expect(banner).toContainText("0 (vCPUs interleaved in one worker)");
  await expect(page.locator("#status-cpus")).toHaveText("2 interleaved");
  await waitForPrompt(page);
});

test("a bad parallel value is named in the banner", async ({ page }) => {
  await openKeel(page, "?cpus=2&parallel=yes");
  const banner = page.getByRole("alert").filter({ hasText: "URL parameters" });
  await expect(banner).toContainText('parallel="yes" must be 1');
  await expect(page.locator("#status-cpus")).toHaveText("2 interleaved");
  await waitForPrompt(page);
});
