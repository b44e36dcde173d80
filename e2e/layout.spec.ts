// The screen and the console side by side on a laptop, stacked when narrow
// (console first). Wider screens and the VGA screen's keys: e2e/screen.spec.ts.
import { expect, test, type Page } from "@playwright/test";
import { openKeel } from "./keel";

async function boxes(page: Page) {
  const screen = await page.locator("#vga").boundingBox();
  const console = await page.locator("#console").boundingBox();
  if (screen === null || console === null) throw new Error("screen or console is not displayed");
  return { screen, console };
}

test("on a laptop screen the VGA screen and the console sit side by side", async ({ page }) => {
  await page.setViewportSize({ width: 1366, height: 768 });
  await openKeel(page);
  const { screen, console } = await boxes(page);
  expect(console.x).toBeGreaterThanOrEqual(screen.x + screen.width);
  expect(console.y).toBeLessThan(screen.y + screen.height);
  // The whole 80×25 screen fits in the window without scrolling sideways.
  expect(screen.x + screen.width).toBeLessThanOrEqual(1366);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1366);
  // The console is wide enough for an 80-column line, more or less.
  expect(await page.evaluate(() => window.keel.term.cols)).toBeGreaterThanOrEqual(70);
});

test("on a narrow screen they stack, the console first", async ({ page }) => {
  await page.setViewportSize({ width: 600, height: 900 });
  await openKeel(page);
  const { screen, console } = await boxes(page);
  expect(screen.y).toBeGreaterThanOrEqual(console.y + console.height);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(600);
});
