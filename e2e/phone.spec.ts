// On a phone (390×844, touch): the console first and in the first screen,
// the buttons in a menu, a key bar with the keys an on-screen keyboard lacks
// (its sticky Ctrl stops a runaway program), and a legible VGA screen.
import { expect, test } from "@playwright/test";
import { BOOT_TIMEOUT_MS, consoleLines, openShell, waitForShellPrompt } from "./keel";

const POLL = { intervals: [25, 50, 100, 250] };
const WIDTH = 390;
const HEIGHT = 844;

test.use({ viewport: { width: WIDTH, height: HEIGHT }, hasTouch: true, isMobile: true, deviceScaleFactor: 3 });

/** Dismisses the welcome card (it is tested in e2e/onboarding.spec.ts). */
async function openPhone(page: import("@playwright/test").Page): Promise<void> {
  await page.addInitScript(() => localStorage.setItem("keel-welcome", "dismissed"));
  await openShell(page);
  await waitForShellPrompt(page);
}

test("the console is in the first screen, wide enough, and nothing scrolls sideways", async ({ page }) => {
  await openPhone(page);
  const console = (await page.locator("#console").boundingBox())!;
  expect(console.y).toBeLessThan(HEIGHT / 4);
  expect(console.y + console.height).toBeLessThanOrEqual(HEIGHT);
  expect(console.height).toBeGreaterThan(HEIGHT / 3);
  const screen = (await page.locator("#vga").boundingBox())!;
  expect(screen.y).toBeGreaterThan(console.y); // the console comes first
  expect(await page.evaluate(() => window.keel.term.cols)).toBeGreaterThan(50);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(WIDTH);
  // The VGA text is legible: cells of at least 7 CSS px, 12 px high; its frame scrolls.
  expect(screen.width / 80).toBeGreaterThanOrEqual(7);
  expect(screen.height / 25).toBeGreaterThanOrEqual(12);
  // The key bar is on screen, over the bottom edge, and does not hide the console.
  const bar = (await page.locator("#keybar").boundingBox())!;
  expect(bar.y + bar.height).toBeLessThanOrEqual(HEIGHT + 1);
  expect(bar.y).toBeGreaterThanOrEqual(console.y + console.height - 1);
});

test("on a first visit the console is still in the first screen, the welcome card after it", async ({ page }) => {
  await openShell(page);
  await waitForShellPrompt(page);
  const console = (await page.locator("#console").boundingBox())!;
  expect(console.y + console.height).toBeLessThanOrEqual(HEIGHT);
  const card = page.getByRole("region", { name: "Welcome to Keel" });
  await expect(card).toBeAttached();
  const box = (await card.boundingBox())!;
  expect(box.y).toBeGreaterThan(console.y + console.height);
  await card.scrollIntoViewIfNeeded();
  await expect(card).toBeInViewport();
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(WIDTH);
});

test("the key bar's keys send the right bytes: Ctrl then c stops spin, ^C, ^], Tab, Ctrl then d", async ({ page }) => {
  test.setTimeout(90_000);
  await openPhone(page);
  await page.locator("#console").tap();
  const lines = async () => (await consoleLines(page)).join("\n");
  const keybar = page.getByRole("toolbar", { name: "Keys the on-screen keyboard lacks" });

  // Sticky Ctrl, then "c" on the keyboard: Ctrl-C.
  let before = (await consoleLines(page)).length;
  await page.keyboard.type("spin 1 1000");
  await page.keyboard.press("Enter");
  await expect.poll(lines, POLL).toContain("$ spin 1 1000");
  await page.waitForTimeout(300);
  expect((await consoleLines(page)).at(-1)).not.toBe("$");
  const ctrl = keybar.getByRole("button", { name: "Control, for the next key" });
  await ctrl.tap();
  await expect(ctrl).toHaveAttribute("aria-pressed", "true");
  await page.keyboard.type("c");
  await waitForShellPrompt(page, before);
  await expect(ctrl).toHaveAttribute("aria-pressed", "false");

  // The ^C key.
  before = (await consoleLines(page)).length;
  await page.keyboard.type("spin 1 1000");
  await page.keyboard.press("Enter");
  await expect.poll(async () => (await consoleLines(page)).slice(before - 1).join("\n"), POLL).toContain("$ spin 1 1000");
  await page.waitForTimeout(300);
  await keybar.getByRole("button", { name: "Ctrl-C, interrupt" }).tap();
  await waitForShellPrompt(page, before);

  // ^] reaches the kernel monitor, and again comes back.
  await keybar.getByRole("button", { name: "Ctrl-], kernel monitor" }).tap();
  await expect.poll(async () => (await consoleLines(page)).at(-1), { ...POLL, timeout: BOOT_TIMEOUT_MS }).toBe("keel>");
  await keybar.getByRole("button", { name: "Ctrl-], kernel monitor" }).tap();
  await expect.poll(lines, POLL).toContain("[back to user programs]");
  before = (await consoleLines(page)).length;
  await page.keyboard.press("Enter");
  await waitForShellPrompt(page, before);

  // Tab goes through as a tab (cat copies it back), and Ctrl then d ends cat's input.
  before = (await consoleLines(page)).length;
  await page.keyboard.type("cat");
  await page.keyboard.press("Enter");
  await expect.poll(async () => (await consoleLines(page)).slice(before - 1).join("\n"), POLL).toContain("$ cat");
  await keybar.getByRole("button", { name: "Tab" }).tap();
  await page.keyboard.type("x");
  await page.keyboard.press("Enter");
  await expect.poll(async () => (await consoleLines(page)).filter((line) => /^ {8}x$/.test(line)).length, POLL)
    .toBeGreaterThanOrEqual(1);
  await ctrl.tap();
  await page.keyboard.type("d");
  await waitForShellPrompt(page, before);
  await expect(page.locator(".xterm-helper-textarea")).toBeFocused();
});

test("each key bar key sends exactly its bytes to the machine", async ({ page }) => {
  // Every input message the page posts to the kernel's worker, recorded.
  await page.addInitScript(() => {
    const sent: string[] = [];
    (window as unknown as { sentInput: string[] }).sentInput = sent;
    const post = Worker.prototype.postMessage;
    Worker.prototype.postMessage = function (this: Worker, message: unknown, ...rest: unknown[]) {
      const m = message as { type?: string; data?: string };
      if (m?.type === "input" && typeof m.data === "string") sent.push(m.data);
      return (post as (...args: unknown[]) => void).call(this, message, ...rest);
    } as typeof Worker.prototype.postMessage;
  });
  await openPhone(page);
  const keybar = page.getByRole("toolbar", { name: "Keys the on-screen keyboard lacks" });
  const sent = () => page.evaluate(() => (window as unknown as { sentInput: string[] }).sentInput.splice(0));
  await sent();
  const expected: [string, string][] = [
    ["Escape", "\x1b"], ["Tab", "\t"], ["Left", "\x1b[D"], ["Down", "\x1b[B"], ["Up", "\x1b[A"], ["Right", "\x1b[C"],
    ["Ctrl-C, interrupt", "\x03"], ["Ctrl-], kernel monitor", "\x1d"], ["Ctrl-], kernel monitor", "\x1d"],
  ];
  for (const [name, bytes] of expected) {
    await keybar.getByRole("button", { name, exact: true }).tap();
    await expect.poll(sent, POLL).toEqual([bytes]);
  }
  // Ctrl, then a key typed on the keyboard: its control code, once.
  await keybar.getByRole("button", { name: "Control, for the next key" }).tap();
  await page.keyboard.type("u");
  await expect.poll(sent, POLL).toEqual(["\x15"]);
  await page.keyboard.type("u");
  await expect.poll(sent, POLL).toEqual(["u"]);
});

test("the buttons are in the menu, and work from there", async ({ page }) => {
  await openPhone(page);
  const reboot = page.getByRole("button", { name: "Reboot" });
  const menu = page.getByRole("button", { name: "Menu" });
  await expect(reboot).toBeHidden();
  await expect(menu).toBeVisible();
  const top = (await page.locator(".topbar").boundingBox())!;
  expect(top.height).toBeLessThan(80);
  await menu.tap();
  await expect(menu).toHaveAttribute("aria-expanded", "true");
  for (const name of ["Reboot", "Share", "Save snapshot", "Reset disk", "Help"]) {
    await expect(page.getByRole("button", { name, exact: true })).toBeVisible();
  }
  await expect(page.locator(".status-item", { has: page.locator("#status-work") })).toBeVisible();
  const boots = (await page.evaluate(() => window.keel.status())).boots;
  await reboot.tap();
  await expect.poll(async () => (await page.evaluate(() => window.keel.status())).boots, { ...POLL, timeout: BOOT_TIMEOUT_MS })
    .toBeGreaterThan(boots);
  // The menu folds away after a button did its job.
  await expect(menu).toHaveAttribute("aria-expanded", "false");
  await expect(reboot).toBeHidden();
});
