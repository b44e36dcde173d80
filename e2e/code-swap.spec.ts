// Hot swap in the page (docs/code-panel.md): Apply builds the edited kernel
// and continues the running machine under it over the same RAM. A spin
// started before keeps running (same pid, its CPU time growing), the
// machine does not reboot, and the kernel monitor prints the edited
// message; an edit that changes the layout is refused with the reason and
// the machine runs on under the kernel it had.
import { expect, type Page, test } from "@playwright/test";
import { consoleLines, openShell, runCommand, runShell, status, typeLine, waitForPrompt, waitForShellPrompt } from "./keel";
import { BUILD_TIMEOUT_MS, openCode, openFile, pressBuild, replaceInEditor } from "./code-page";

const MESSAGE = "Memory policy: a process may hold ";
const EDITED = "Memory rules (hot-swapped): a process may hold ";

test.describe.configure({ mode: "serial" });

interface SpinRow { pid: number; cpuMs: number }

/** The spin processes `ps` lists: pid and CPU milliseconds, found by ps's header. */
async function spins(page: Page): Promise<SpinRow[]> {
  const lines = await runShell(page, "ps");
  const header = lines.find((line) => /^\s*PID\s/.test(line));
  expect(header, `ps printed no header: ${lines.join(" | ")}`).toBeDefined();
  const names = header!.trim().split(/\s+/);
  const pidAt = names.indexOf("PID");
  const cpuAt = names.indexOf("CPU(ms)");
  expect(cpuAt, `ps's header has no CPU(ms): ${header}`).toBeGreaterThan(pidAt);
  return lines.filter((line) => / spin$/.test(line)).map((line) => {
    const cols = line.trim().split(/\s+/);
    return { pid: Number(cols[pidAt]), cpuMs: Number(cols[cpuAt]) };
  });
}

/** The monitor's `mem` output, from the shell (Ctrl-] there and back). */
async function monitorMem(page: Page): Promise<string> {
  await page.evaluate(() => window.keel.term.focus());
  await page.keyboard.press("Control+BracketRight");
  await waitForPrompt(page);
  const lines = await runCommand(page, "mem");
  await page.keyboard.press("Control+BracketRight");
  await expect.poll(async () => (await consoleLines(page)).at(-1)).toContain("back to user programs");
  // The shell prompts again on an empty line.
  const count = (await consoleLines(page)).length;
  await typeLine(page, "");
  await waitForShellPrompt(page, count);
  return lines.join("\n");
}

test("Apply hot-swaps an edited kernel: the running spin goes on, the new message shows; a layout change is refused with the reason", async ({ page }) => {
  test.setTimeout(2 * BUILD_TIMEOUT_MS + 120_000);
  await openShell(page, "?disk=memory");
  await waitForShellPrompt(page);
  await typeLine(page, "spin 1 900 &");
  await waitForShellPrompt(page);
  await expect.poll(async () => (await spins(page)).length, { timeout: 20_000 }).toBe(2);
  const before = await spins(page);
  expect(await monitorMem(page)).toContain(MESSAGE);
  const bootsBefore = (await status(page)).boots;

  await openCode(page);
  await openFile(page, "kernel-as/src/sys/monitor.ts");
  await replaceInEditor(page, MESSAGE, EDITED);
  await pressBuild(page, "#code-apply");
  const code = await page.evaluate(() => window.keel.code()!);
  expect(code.lastBuild?.ok).toBe(true);
  await expect.poll(() => page.evaluate(() => window.keel.code()!.lastApply)).toMatchObject({ ok: true });
  const applied = await page.evaluate(() => window.keel.code()!.lastApply!);
  test.info().annotations.push({ type: "hot swap", description: `machine stood still ${applied.swapMs?.toFixed(1)} ms; build ${(code.lastBuild!.ms / 1000).toFixed(1)} s` });
  console.log(`[measure] ${"hot swap"}: ${`machine stood still ${applied.swapMs?.toFixed(1)} ms; build ${(code.lastBuild!.ms / 1000).toFixed(1)} s`}`);
  const patch = await page.evaluate(() => window.keel.kernel().patch);
  expect(patch).toMatch(/^[0-9a-f]{8}$/);
  await expect(page.locator("#status-kernel")).toHaveText(`modified ${patch}`);
  await expect(page.locator("#code-status")).toContainText(/Applied in place in \d+\.\d ms/);

  // The console's hot-swap marker stands after the prompt: prompt again.
  const count = (await consoleLines(page)).length;
  await typeLine(page, "");
  await waitForShellPrompt(page, count);
  // The same machine: no boot, the same spin processes, still getting CPU time.
  expect((await status(page)).boots).toBe(bootsBefore);
  await expect.poll(async () => {
    const now = await spins(page);
    // The parent sleeps (its CPU time stays); the child spins on.
    const busy = (rows: SpinRow[]) => Math.max(...rows.map((row) => row.cpuMs));
    return now.length === 2 && now.every((row, i) => row.pid === before[i]!.pid) && busy(now) > busy(before);
  }, { timeout: 30_000 }).toBe(true);
  // And the new kernel's code runs: the monitor prints the edited message.
  expect(await monitorMem(page)).toContain(EDITED);

  // A layout change: Apply builds it, and the swap is refused with the reason.
  await openCode(page);
  await openFile(page, "kernel-as/src/lib/layout.ts");
  await replaceInEditor(page, "export const STATE_FORMAT: u32 = 1;", "export const STATE_FORMAT: u32 = 2;");
  await pressBuild(page, "#code-apply");
  await expect.poll(() => page.evaluate(() => window.keel.code()!.lastApply), { timeout: 20_000 }).toMatchObject({ ok: false });
  const refused = await page.evaluate(() => window.keel.code()!.lastApply!.reason!);
  expect(refused).toMatch(/not applied in place: the new kernel's layout id 0x[0-9a-f]{8} differs from the running kernel's/);
  expect(refused).toContain("lib/layout.ts: const STATE_FORMAT (changed)");
  expect(refused).toContain("Build reboots into it instead");
  await expect(page.locator("#code-status")).toContainText("not applied in place");
  // Nothing changed: the same kernel, no boot, the spin still there.
  expect(await page.evaluate(() => window.keel.kernel().patch)).toBe(patch);
  expect((await status(page)).boots).toBe(bootsBefore);
  expect((await spins(page)).map((row) => row.pid)).toEqual(before.map((row) => row.pid));
  await runShell(page, `kill ${before[0]!.pid}`);
});
