// First contact: the page boots Keel and the kernel monitor answers.
import { expect, test } from "@playwright/test";
import {
  MIB, consoleText, litPixelsInCell, openKeel, runCommand, status, typeLine, vgaText, waitForHelloWorld, waitForPrompt,
} from "./keel";

const MONITOR_COMMANDS = ["help", "mem", "dmesg", "pt", "alloc", "uptime", "reboot", "halt", "panic"];

test.describe("boot", () => {
  test.beforeEach(async ({ page }) => {
    await openKeel(page);
    await waitForHelloWorld(page);
    await waitForPrompt(page);
  });

  test("the VGA screen shows Hello World! at row 0, column 0, and the console prompts", async ({ page }) => {
    const screen = await vgaText(page);
    expect(screen).toHaveLength(25);
    expect(screen[0]!.slice(0, 12)).toBe("Hello World!");
    // The banner and boot log follow on the screen.
    expect(screen.slice(1).join("\n").trim()).not.toBe("");
    // The kernel log came out of the UART before the prompt.
    expect((await consoleText(page)).split("\n").length).toBeGreaterThan(1);
    // And the canvas shows it: the "H" cell has lit pixels, the blank cell
    // after "Hello World!" on row 0 has none.
    await expect.poll(() => litPixelsInCell(page, 0, 0)).toBeGreaterThan(0);
    expect(await litPixelsInCell(page, 0, 40)).toBe(0);
  });

  test("the status bar shows the default machine", async ({ page }) => {
    const s = await status(page);
    expect(["running", "idle"]).toContain(s.state);
    expect(s.ramBytes).toBe(128 * MIB);
    expect(s.clock).toBe("realtime");
    expect(s.fatal).toBeNull();
    await expect(page.locator("#status-state")).toHaveText(/running|idle/);
    await expect(page.locator("#status-ram")).toHaveText("128 MiB");
    await expect(page.getByRole("button", { name: "Reboot" })).toBeEnabled();
    await expect(page.locator("#param-errors")).toBeHidden();
  });

  test("the terminal has keyboard focus after boot, and Shift+Tab leaves it", async ({ page }) => {
    const focused = await page.evaluate(() => document.activeElement?.closest("#console") !== null);
    expect(focused).toBe(true);
    await page.keyboard.press("Shift+Tab");
    await expect(page.getByRole("button", { name: "Reboot" })).toBeFocused();
    // Nothing was typed into the console on the way out.
    expect((await consoleText(page)).split("\n").at(-1)).toBe("keel>");
  });

  test("help lists the monitor's commands", async ({ page }) => {
    const output = (await runCommand(page, "help")).join("\n");
    for (const command of MONITOR_COMMANDS) expect(output).toMatch(new RegExp(`\\b${command}\\b`));
  });

  test("uptime answers with the time since boot", async ({ page }) => {
    const output = (await runCommand(page, "uptime")).join("\n");
    expect(output).toMatch(/\d/);
  });

  test("work advances and the page needs no cross-origin isolation", async ({ page }) => {
    expect(await page.evaluate(() => window.crossOriginIsolated)).toBe(false);
    expect(await page.evaluate(() => typeof SharedArrayBuffer === "function" && window.crossOriginIsolated)).toBe(false);
    await expect.poll(async () => (await status(page)).workTotal).toBeGreaterThan(0);
  });
});

test("the page stays responsive while the kernel is busy", async ({ page }) => {
  await openKeel(page);
  await waitForPrompt(page);
  // The largest allocator stress test keeps the kernel (in its worker) busy
  // for a good fraction of a second; the page's own event loop must not notice.
  const [samples] = await Promise.all([
    page.evaluate(async () => {
      const answered = (): boolean => {
        const buffer = window.keel.term.buffer.active;
        for (let i = buffer.length - 1; i >= Math.max(0, buffer.length - 40); i--) {
          if (buffer.getLine(i)?.translateToString(true).includes("result:")) return true;
        }
        return false;
      };
      const delays: number[] = [];
      const started = performance.now();
      while (!answered() && performance.now() - started < 20_000) {
        const before = performance.now();
        await new Promise((resolve) => setTimeout(resolve, 0));
        delays.push(performance.now() - before);
      }
      return delays;
    }),
    typeLine(page, "alloc 10000000"),
  ]);
  expect(samples.length).toBeGreaterThan(10);
  expect(Math.max(...samples)).toBeLessThan(250);
  await waitForPrompt(page);
});
