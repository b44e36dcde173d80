// The live panels (web/panels/): drawn from the kernel's introspection
// through `inspect` messages, they follow what runs in the shell — a
// program's frames in the memory map, its lane in the scheduler timeline,
// page-table walks, capabilities that vanish — and the page around them is
// themed, keyboard reachable and fits a laptop and a tablet.
import { expect, test, type Page } from "@playwright/test";
import { consoleText, openKeel, openShell, runShell, typeLine, waitForShellPrompt } from "./keel";

const POLL = { intervals: [100, 250, 500] };
/** Several overviews (every 500 ms) and a busy 2-core box. */
const PANEL_TIMEOUT = 15_000;

async function panels(page: Page) {
  return page.evaluate(() => window.keel.panels());
}

/** Waits for a process named `name` in the panels' process table; returns its pids. */
async function pidsNamed(page: Page, name: string): Promise<number[]> {
  let pids: number[] = [];
  await expect.poll(async () => {
    pids = (await panels(page)).overview?.procs.filter((p) => p.name === name).map((p) => p.pid) ?? [];
    return pids.length;
  }, { ...POLL, timeout: PANEL_TIMEOUT, message: `a process named ${name} appears in the panels` }).toBeGreaterThan(0);
  return pids;
}

async function bootShell(page: Page): Promise<void> {
  // A fresh in-memory disk: nothing shared with other tests' storage.
  await openShell(page, "?disk=memory");
  await waitForShellPrompt(page);
}

test.describe("with the kernel answering", () => {
  test.setTimeout(90_000);

  test("a spinning program's frames appear in the memory map and its lane in the timeline", async ({ page }) => {
    await bootShell(page);
    await typeLine(page, "spin 1 30 &");
    const spins = await pidsNamed(page, "spin");
    // Its user memory is counted in the map and listed under the legend, in its own colour.
    await expect.poll(async () => {
      const owners = (await panels(page)).overview?.ownerFrames ?? {};
      return spins.some((pid) => (owners[pid] ?? 0) > 0);
    }, { ...POLL, timeout: PANEL_TIMEOUT }).toBe(true);
    await expect(page.locator("#mem-owners li", { hasText: "spin" }).first()).toBeVisible();

    // The keyboard names frames: the map takes focus and End goes to the last one.
    await page.locator("#mem-canvas").focus();
    await page.keyboard.press("End");
    const frames = (await panels(page)).overview!.frames;
    await expect(page.locator("#mem-readout")).toContainText(`frame 0x${(frames - 1).toString(16)} (`);
    await page.keyboard.press("Home");
    await expect(page.locator("#mem-readout")).toContainText("frame 0x0 (0x00000000): ");
    // And so does the pointer: the top-left cell is frame 0.
    await page.locator("#mem-canvas").hover({ position: { x: 1, y: 1 } });
    await expect(page.locator("#mem-readout")).toContainText("frame 0x0 (0x00000000): ");
    await page.locator("#mem-canvas").hover({ position: { x: 1, y: 9 } });
    await expect(page.locator("#mem-readout")).not.toContainText("frame 0x0 (");

    // The scheduler timeline gives the spinning child a lane with running time in it.
    await page.locator("#tab-sched").click();
    const runningPids = async () => (await panels(page)).timeline.filter((l) => l.runningNs > 0).map((l) => l.pid);
    await expect.poll(async () => (await runningPids()).some((pid) => spins.includes(pid)), { ...POLL, timeout: PANEL_TIMEOUT })
      .toBe(true);
    await expect(page.locator("#sched-shares li", { hasText: "spin" }).first()).toBeVisible();
  });

  test("selecting the shell and walking the start of a region goes through four levels to a frame", async ({ page }) => {
    await bootShell(page);
    const [sh] = await pidsNamed(page, "sh");
    await page.locator(`#procs-body tr[data-pid="${sh}"] button`).click();
    await expect.poll(async () => (await panels(page)).selectedPid).toBe(sh);
    await expect(page.locator("#tab-aspace")).toHaveAttribute("aria-selected", "true");
    const firstRegion = page.locator("#regions-body button").first();
    await expect(firstRegion).toBeVisible({ timeout: PANEL_TIMEOUT });
    const va = await firstRegion.getAttribute("data-va");
    await firstRegion.click();
    await expect(page.locator("#walk-va")).toHaveValue(va!);
    await expect.poll(async () => (await panels(page)).walk?.steps.length ?? 0, { ...POLL, timeout: PANEL_TIMEOUT }).toBe(4);
    const walk = (await panels(page)).walk!;
    expect(walk.steps.map((s) => s.level)).toEqual([3, 2, 1, 0]);
    expect(walk.steps.every((s) => s.valid)).toBe(true);
    expect(walk.steps[3]!.leaf).toBe(true);
    expect(walk.pa).not.toBeNull();
    await expect(page.locator("#walk-result tbody tr")).toHaveCount(4);
    await expect(page.locator("#walk-result .walk-frame")).toContainText("frame 0x");

    // A typo is answered in place, not sent.
    await page.locator("#walk-va").fill("0x12g4");
    await page.locator("#walk-go").click();
    await expect(page.locator("#walk-error")).toHaveText('"g" is not a hexadecimal digit');
  });

  test("the process table is driven by the keyboard", async ({ page }) => {
    await bootShell(page);
    await pidsNamed(page, "sh");
    const pids = (await panels(page)).overview!.procs.map((p) => p.pid).sort((a, b) => a - b);
    await page.locator("#procs-body button[tabindex='0']").focus();
    await page.keyboard.press("Home");
    await expect.poll(async () => (await panels(page)).selectedPid).toBe(pids[0]);
    await page.keyboard.press("ArrowDown");
    await expect.poll(async () => (await panels(page)).selectedPid).toBe(pids[1]);
    await expect(page.locator(`#procs-body tr[data-pid="${pids[1]}"] button`)).toBeFocused();
  });

  test("a killed process's copies vanish from the derivation tree", async ({ page }) => {
    await bootShell(page);
    const [sh] = await pidsNamed(page, "sh");
    // A child of the shell holds fork's copies of the shell's capabilities,
    // derived from them in the tree, until it dies.
    await typeLine(page, "sleep 6000 &");
    const [sleeper] = await pidsNamed(page, "sleep");
    await page.locator(`#procs-body tr[data-pid="${sh}"] button`).click();
    await page.locator("#tab-caps").click();
    const slot0 = page.locator('#caps-body tr[data-slot="0"] button');
    await expect(slot0).toBeVisible({ timeout: PANEL_TIMEOUT });
    await slot0.click();
    await expect.poll(async () => (await panels(page)).caps.tree, { ...POLL, timeout: PANEL_TIMEOUT }).toContain(`${sleeper}:0`);
    await expect(page.locator(`#captree li[data-pid="${sleeper}"]`).first()).toBeVisible();

    await runShell(page, `kill ${sleeper}`);
    await expect.poll(async () => (await panels(page)).caps.tree, { ...POLL, timeout: PANEL_TIMEOUT }).not.toContain(`${sleeper}:0`);
    await expect(page.locator(`#captree li[data-pid="${sleeper}"]`)).toHaveCount(0);
    // The shell's own capability is still there.
    expect((await panels(page)).caps.tree).toContain(`${sh}:0`);
  });

  test("a revoked capability vanishes from the derivation tree", async ({ page }) => {
    await bootShell(page);
    // capdemo derives a write-only capability from its slot 1, hands it to a
    // child it spawns, and revokes slot 1 after SECONDS; the child lives on
    // SECONDS more. Long enough for the panels to be opened before the revoke.
    const SECONDS = 8;
    await typeLine(page, `capdemo ${SECONDS} &`);
    let started: RegExpExecArray | null = null;
    await expect.poll(async () => {
      started = /capdemo: pid (\d+) holds slot 1[^]*capdemo: derived slot (\d+) from slot 1[^]*capdemo: spawned child pid (\d+)/
        .exec(await consoleText(page));
      return started !== null;
    }, { ...POLL, timeout: PANEL_TIMEOUT, message: "capdemo reports its pid, the derived slot and the child's pid" }).toBe(true);
    const [demo, derived, child] = started!.slice(1, 4).map(Number) as [number, number, number];

    await page.locator(`#procs-body tr[data-pid="${demo}"] button`).click({ timeout: PANEL_TIMEOUT });
    await page.locator("#tab-caps").click();
    await expect(page.locator(`#caps-body tr[data-slot="${derived}"]`)).toBeVisible({ timeout: PANEL_TIMEOUT });
    await page.locator('#caps-body tr[data-slot="1"] button').click();
    const tree = async () => (await panels(page)).caps.tree;
    // Before: the original, the capability derived from it, and the child's copy below that.
    await expect.poll(tree, { ...POLL, timeout: PANEL_TIMEOUT }).toEqual(expect.arrayContaining([`${demo}:1`, `${demo}:${derived}`, `${child}:1`]));
    await expect(page.locator(`#captree li[data-pid="${child}"]`)).toHaveCount(1);

    // After: both derived capabilities are gone, from the tree and from capdemo's table.
    await expect.poll(tree, { ...POLL, timeout: SECONDS * 1000 + PANEL_TIMEOUT }).not.toContain(`${child}:1`);
    const after = await tree();
    expect(after).not.toContain(`${demo}:${derived}`);
    expect(after).toContain(`${demo}:1`);
    await expect(page.locator(`#captree li[data-pid="${child}"]`)).toHaveCount(0);
    await expect(page.locator(`#caps-body tr[data-slot="${derived}"]`)).toHaveCount(0);
    // Revoked, not gone with its holder: the child is still running.
    expect((await panels(page)).overview?.procs.map((p) => p.pid)).toContain(child);
    expect(await consoleText(page)).toContain("capdemo: cap_revoke(1) removed 2 derived capabilities");
  });

  test("the log filters hide info lines", async ({ page }) => {
    await bootShell(page);
    await page.locator("#tab-log").click();
    const info = page.locator("#log-list li.log-info");
    await expect.poll(() => info.count(), { ...POLL, timeout: PANEL_TIMEOUT }).toBeGreaterThan(0);
    await expect(info.first()).toBeVisible();
    await page.locator("#log-info").uncheck();
    await expect(info.first()).toBeHidden();
    expect(await page.locator("#log-list li.log-info:visible").count()).toBe(0);
    await page.locator("#log-info").check();
    await expect(info.first()).toBeVisible();
  });
});

test.describe("the page around the panels", () => {
  test("the theme follows the system, and the toggle switches it and is remembered", async ({ page }) => {
    await page.emulateMedia({ colorScheme: "light" });
    await openKeel(page);
    const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const light = await background();
    expect((await panels(page)).theme).toBe("light");
    await page.locator("#theme-toggle").click();
    expect((await panels(page)).theme).toBe("dark");
    expect(await background()).not.toBe(light);
    await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
    await page.reload();
    await page.waitForFunction(() => window.keel !== undefined);
    expect((await panels(page)).theme).toBe("dark");
    expect(await background()).not.toBe(light);
    await expect(page.locator('meta[name="color-scheme"]')).toHaveAttribute("content", "light dark");
  });

  test("every control has a name, and the panels are reached and driven by the keyboard", async ({ page }) => {
    await openKeel(page);
    const unnamed = await page.evaluate(() => {
      const controls = document.querySelectorAll<HTMLElement>("button, input, select, textarea, [tabindex]:not([tabindex='-1'])");
      const nameOf = (el: HTMLElement): string => {
        const labelledBy = el.getAttribute("aria-labelledby");
        const fromIds = labelledBy?.split(/\s+/).map((id) => document.getElementById(id)?.textContent ?? "").join(" ") ?? "";
        const labels = "labels" in el ? [...((el as HTMLInputElement).labels ?? [])].map((l) => l.textContent).join(" ") : "";
        return [el.getAttribute("aria-label"), fromIds, labels, el.textContent, el.title].map((s) => s?.trim() ?? "").join("");
      };
      return [...controls].filter((el) => !(el instanceof HTMLInputElement && el.type === "file") && nameOf(el) === "")
        .map((el) => el.outerHTML.slice(0, 80));
    });
    expect(unnamed).toEqual([]);

    // Tab reaches the panels' tabs; arrows move between them.
    await page.locator("#panels-toggle").focus();
    for (let i = 0; i < 6 && !(await page.locator("#tab-memory").evaluate((el) => el === document.activeElement)); i++) {
      await page.keyboard.press("Tab");
    }
    await expect(page.locator("#tab-memory")).toBeFocused();
    await page.keyboard.press("ArrowRight");
    await expect(page.locator("#tab-aspace")).toBeFocused();
    await expect(page.locator("#tab-aspace")).toHaveAttribute("aria-selected", "true");
    await expect(page.locator("#view-aspace")).toBeVisible();
    await page.keyboard.press("End");
    await expect(page.locator("#tab-code")).toBeFocused();
    // The Code panel loads without taking the focus from the tab.
    await expect(page.locator("#code-editor .cm-content")).toBeVisible();
    await expect(page.locator("#tab-code")).toBeFocused();
    await page.keyboard.press("ArrowRight");
    await expect(page.locator("#tab-memory")).toBeFocused();
    // The memory map itself takes focus, and shows a focus outline.
    await page.keyboard.press("Tab");
    await expect(page.locator("#mem-canvas")).toBeFocused();
    const outline = await page.locator("#mem-canvas").evaluate((el) => getComputedStyle(el).outlineStyle);
    expect(outline).not.toBe("none");

    // Hiding the panels stops them; the button says so.
    await page.locator("#panels-toggle").click();
    await expect(page.locator("#panels-toggle")).toHaveAttribute("aria-expanded", "false");
    await expect(page.locator("#panels-body")).toBeHidden();
    expect((await panels(page)).shown).toBe(false);
  });

  for (const [width, height] of [[1280, 800], [768, 1024]] as const) {
    test(`the layout holds at ${width}×${height}`, async ({ page }) => {
      await page.setViewportSize({ width, height });
      await openKeel(page);
      const box = async (selector: string) => {
        const found = await page.locator(selector).boundingBox();
        if (found === null) throw new Error(`${selector} is not displayed`);
        return found;
      };
      const screen = await box("#vga");
      const console = await box("#console");
      const panelArea = await box("#panels");
      if (width >= 1200) {
        // Screen and console side by side on top, the panels below both.
        expect(console.x).toBeGreaterThanOrEqual(screen.x + screen.width);
        expect(panelArea.y).toBeGreaterThanOrEqual(Math.max(screen.y + screen.height, console.y + console.height));
        // The process table beside the views.
        const procs = await box(".panel-procs");
        const views = await box(".panel-views");
        expect(views.x).toBeGreaterThanOrEqual(procs.x + procs.width);
      } else {
        // Stacked, the console first, then the screen, then the panels.
        expect(screen.y).toBeGreaterThanOrEqual(console.y + console.height);
        expect(panelArea.y).toBeGreaterThanOrEqual(screen.y + screen.height);
      }
      expect(panelArea.x + panelArea.width).toBeLessThanOrEqual(width);
      for (const tab of ["memory", "aspace", "caps", "sched", "log"]) {
        await page.locator(`#tab-${tab}`).click();
        expect(await page.evaluate(() => document.documentElement.scrollWidth), `no sideways scroll with ${tab} shown`)
          .toBeLessThanOrEqual(width);
      }
    });
  }
});
