// The Locks panel (web/panels/locks-panel.ts): the kernel's named locks and
// their statistics from the inspect answer { what: "locks" }, on two vCPUs.
// A program that allocates makes the frame and slab locks' acquisitions
// grow in the table, and the monitor's `locks` prints the same figures.
import { expect, test, type Page } from "@playwright/test";
import { openShell, runCommand, runShell, waitForPrompt, waitForShellPrompt } from "./keel";

const POLL = { intervals: [100, 250, 500] };
const PANEL_TIMEOUT = 15_000;

type LockView = Awaited<ReturnType<typeof locks>>[number];
async function locks(page: Page) {
  return page.evaluate(() => window.keel.panels().locks);
}

/** Acquisitions of a family of locks: the global one and its per-vCPU caches ("frames", "frames-cpu0", …). */
function family(all: LockView[], name: string): number {
  return all.filter((l) => l.name === name || l.name.startsWith(`${name}-cpu`)).reduce((n, l) => n + l.acquisitions, 0);
}

/** The monitor's `locks` row of `name`: acquired, contended, spins. */
function monitorRow(lines: string[], name: string): { acquisitions: number; contended: number; spins: number } {
  const row = lines.map((l) => new RegExp(`^${name} +(spin|rw|mutex) +\\d+ +(\\d+) +(\\d+) +(\\d+) +\\d+ +`).exec(l)).find((m) => m !== null);
  if (!row) throw new Error(`no ${name} row in:\n${lines.join("\n")}`);
  return { acquisitions: Number(row[2]), contended: Number(row[3]), spins: Number(row[4]) };
}

test("the Locks panel shows the frame and slab locks counting an allocating program, as the monitor does", async ({ page }) => {
  test.setTimeout(120_000);
  await openShell(page, "?cpus=2&disk=memory");
  await waitForShellPrompt(page);

  // The tab is reached from the keyboard like the others: left of Code.
  await page.locator("#tab-code").click();
  await page.keyboard.press("ArrowLeft");
  await expect(page.locator("#tab-locks")).toBeFocused();
  await expect(page.locator("#tab-locks")).toHaveAttribute("aria-selected", "true");
  await expect(page.locator("#view-locks")).toBeVisible();
  // Column headings with an explanation each, and the panel's own.
  const headings = page.locator("#locks-table thead th[scope=col]");
  await expect(headings).toHaveText(["Lock", "Kind", "Rank", "Acquired", "Contended", "Spins", "Longest", "Held by"]);
  for (const title of await headings.evaluateAll((ths) => ths.map((th) => th.getAttribute("title") ?? ""))) expect(title.length).toBeGreaterThan(10);
  await expect(page.locator("#locks-hint")).toContainText("contended");

  // The registry's locks, both vCPUs' caches among them, the self-test locks not.
  await expect.poll(async () => (await locks(page)).map((l) => l.name), { ...POLL, timeout: PANEL_TIMEOUT })
    .toEqual(expect.arrayContaining(["proc", "slab", "frames", "frames-cpu0", "frames-cpu1", "slab-cpu0", "slab-cpu1"]));
  const names = (await locks(page)).map((l) => l.name);
  expect(names.some((n) => n.startsWith("test-"))).toBe(false);
  expect(names).not.toContain("frames-cpu2");
  const before = await locks(page);

  const out = (await runShell(page, "forktest")).join("\n");
  expect(out).toContain("forktest: OK");
  // fork and exit take and give back frames and slab objects: the counts grow.
  await expect.poll(async () => family(await locks(page), "frames"), { ...POLL, timeout: PANEL_TIMEOUT }).toBeGreaterThan(family(before, "frames"));
  await expect.poll(async () => family(await locks(page), "slab"), { ...POLL, timeout: PANEL_TIMEOUT }).toBeGreaterThan(family(before, "slab"));

  // The table's cells say what the answer says.
  await expect.poll(async () => {
    const snap = await page.evaluate(() => window.keel.panels());
    const frames = snap.locks.find((l) => l.name === "frames")!;
    const row = snap.lockCells.find((cells) => cells[0] === "frames");
    return row !== undefined && row[1] === "spin" && row[3] === String(frames.acquisitions) && row[4] === String(frames.contended);
  }, { ...POLL, timeout: PANEL_TIMEOUT }).toBe(true);
  await expect(page.locator('#locks-body tr[data-lock="frames"] th[scope=row]')).toHaveText("frames");

  // The monitor (Ctrl-]) counts the same: what the panel showed before it
  // is not more than the monitor's, what it shows after is not less, and
  // the two are close (the machine runs on between them).
  const shownBefore = await locks(page);
  await page.evaluate(() => window.keel.term.focus());
  await page.keyboard.press("Control+BracketRight");
  await waitForPrompt(page);
  const table = await runCommand(page, "locks");
  expect(table.join("\n")).toMatch(/^LOCK +KIND +RANK +ACQUIRED +CONTENDED +SPINS +LONGEST +HELD$/m);
  expect(table.join("\n")).toMatch(/^per-vCPU caches: \d+ frames cached/m);
  const polled = (await page.evaluate(() => window.keel.panels().polls));
  await expect.poll(async () => (await page.evaluate(() => window.keel.panels().polls)), { ...POLL, timeout: PANEL_TIMEOUT }).toBeGreaterThan(polled + 1);
  const shownAfter = await locks(page);
  for (const name of ["frames", "slab", "frames-cpu0", "slab-cpu0"]) {
    const monitor = monitorRow(table, name);
    const early = shownBefore.find((l) => l.name === name)!;
    const late = shownAfter.find((l) => l.name === name)!;
    expect(early.acquisitions, `${name}: panel before the monitor`).toBeLessThanOrEqual(monitor.acquisitions);
    expect(late.acquisitions, `${name}: panel after the monitor`).toBeGreaterThanOrEqual(monitor.acquisitions);
    expect(late.acquisitions - early.acquisitions, `${name}: panel and monitor agree roughly`).toBeLessThanOrEqual(Math.max(50, monitor.acquisitions / 10));
    expect(late.contended).toBeGreaterThanOrEqual(monitor.contended);
  }
  // The caches' fill under the table is the monitor's "per-vCPU caches" line
  // (the shell waits at its prompt meanwhile: nothing allocates).
  const fill = /^per-vCPU caches: (\d+) frames cached \(vCPU 0: (\d+), vCPU 1: (\d+)\), (\d+) kmalloc objects in magazines$/m.exec(table.join("\n"));
  expect(fill, table.join("\n")).not.toBeNull();
  await expect.poll(async () => (await page.evaluate(() => window.keel.panels().lockCaches)), { ...POLL, timeout: PANEL_TIMEOUT })
    .toEqual([expect.objectContaining({ cpu: 0, frames: Number(fill![2]) }), expect.objectContaining({ cpu: 1, frames: Number(fill![3]) })]);
  const caches = await page.evaluate(() => window.keel.panels().lockCaches);
  expect(caches[0]!.magazineObjects + caches[1]!.magazineObjects).toBe(Number(fill![4]));
  await expect(page.locator("#locks-caches")).toContainText(`Per-vCPU caches: ${fill![1]} free frames and ${fill![4]} kmalloc objects`);
  await expect(page.locator("#locks-caches")).toContainText(`vCPU 1: ${fill![3]} frame`);
});
