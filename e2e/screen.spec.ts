// The VGA screen is the display service's, says so, and takes keys for the
// console; side by side, the console gets the larger share at every width.
import { expect, test, type Page } from "@playwright/test";
import { BOOT_TIMEOUT_MS, consoleLines, openShell, runShell, vgaText, waitForShellPrompt } from "./keel";

const POLL = { intervals: [25, 50, 100, 250] };

async function boxes(page: Page) {
  const screen = await page.locator("#vga").boundingBox();
  const console = await page.locator("#console").boundingBox();
  if (screen === null || console === null) throw new Error("screen or console is not displayed");
  return { screen, console };
}

for (const width of [1280, 1920]) {
  test(`at ${width} px the console is beside the screen and larger than it`, async ({ page }) => {
    await page.setViewportSize({ width, height: width === 1920 ? 1080 : 800 });
    await openShell(page);
    await waitForShellPrompt(page);
    const { screen, console } = await boxes(page);
    expect(console.x).toBeGreaterThanOrEqual(screen.x + screen.width);
    expect(console.width).toBeGreaterThan(screen.width);
    expect(console.width * console.height).toBeGreaterThan(screen.width * screen.height);
    expect(await page.evaluate(() => window.keel.term.cols)).toBeGreaterThanOrEqual(80);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
    // The whole 80×25 screen shows inside its frame, its glyphs at least 10 px high.
    const frame = (await page.locator("#screen-frame").boundingBox())!;
    expect(screen.x).toBeGreaterThanOrEqual(frame.x);
    expect(screen.x + screen.width).toBeLessThanOrEqual(frame.x + frame.width);
    expect(screen.height / 25).toBeGreaterThanOrEqual(10);
  });
}

test("the screen is the display service's: it says so and stops copying the console", async ({ page }) => {
  await openShell(page);
  await waitForShellPrompt(page);
  await expect(page.locator("#screen-title")).toContainText("drawn by the display service");
  await expect.poll(async () => (await vgaText(page))[24] ?? "", { ...POLL, timeout: BOOT_TIMEOUT_MS })
    .toContain("display service: programs draw here");
  await runShell(page, "echo only-on-the-console");
  expect((await vgaText(page)).join("\n")).not.toContain("only-on-the-console");
  // What a program draws there, it shows.
  await runShell(page, "show log drawn-on-the-screen");
  await expect.poll(async () => (await vgaText(page)).join("\n"), POLL).toContain("drawn-on-the-screen");
});

test("keys typed on the VGA screen go to the console, with a focus ring and a label saying so", async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await openShell(page);
  await waitForShellPrompt(page);
  const canvas = page.locator("#vga");
  await expect(canvas).toHaveAccessibleName(/keys typed here go to the console/);
  await expect(page.locator("#screen-hint")).toBeVisible();
  await expect(page.locator("#screen-hint")).toHaveText("keys go to the console");
  await canvas.click();
  await expect(canvas).toBeFocused();
  const outline = await canvas.evaluate((el) => getComputedStyle(el).outlineStyle);
  expect(outline).toBe("solid");
  const before = (await consoleLines(page)).length;
  await page.keyboard.type("echo typed-on-vga");
  await page.keyboard.press("Enter");
  const lines = await waitForShellPrompt(page, before);
  expect(lines).toContain("$ echo typed-on-vga");
  expect(lines).toContain("typed-on-vga");
  // Ctrl-C from the screen reaches the foreground job too.
  await page.keyboard.type("spin 1 100");
  await page.keyboard.press("Enter");
  await expect.poll(async () => (await consoleLines(page)).join("\n"), POLL).toContain("$ spin 1 100");
  const spinning = (await consoleLines(page)).length;
  await page.waitForTimeout(300);
  await page.keyboard.press("Control+c");
  await waitForShellPrompt(page, spinning - 1);
  await expect(canvas).toBeFocused();
});
