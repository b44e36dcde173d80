// A newcomer's first minutes: the welcome card (what Keel is, three things to
// try, where things are, the docs), dismissed and remembered, back through
// Help; and the status bar's items explained when pointed at.
import { expect, test } from "@playwright/test";
import { BOOT_TIMEOUT_MS, consoleLines, openKeel, openShell, waitForPrompt, waitForShellPrompt } from "./keel";

const POLL = { intervals: [25, 50, 100, 250] };

test("the welcome card greets a first visit, runs its examples, and stays closed once dismissed", async ({ page }) => {
  await openShell(page);
  const card = page.getByRole("region", { name: "Welcome to Keel" });
  await expect(card).toBeVisible();
  await expect(card).toContainText("capability microkernel");
  await expect(card).toContainText("spin 1 100");
  await expect(card).toContainText("Kernel monitor");
  for (const name of ["README", "the page and its panels", "architecture"]) {
    await expect(card.getByRole("link", { name })).toBeVisible();
  }
  await waitForShellPrompt(page);

  // "Type it" types the example into the console; Ctrl-C stops it.
  const before = (await consoleLines(page)).length;
  await card.getByRole("button", { name: "Type spin 1 100 into the console" }).click();
  await expect.poll(async () => (await consoleLines(page)).join("\n"), { ...POLL, timeout: BOOT_TIMEOUT_MS })
    .toContain("$ spin 1 100");
  await page.waitForTimeout(300);
  expect((await consoleLines(page)).at(-1)).not.toBe("$"); // still spinning
  await page.keyboard.press("Control+c");
  await waitForShellPrompt(page, before);

  await card.getByRole("button", { name: "Type help into the console" }).click();
  await expect.poll(async () => (await consoleLines(page)).join("\n"), POLL).toMatch(/^\s*ls\s+.*list files/m);

  // Dismissed, and remembered across a reload; Help brings it back.
  await card.getByRole("button", { name: "Got it" }).click();
  await expect(card).toBeHidden();
  expect(await page.evaluate(() => localStorage.getItem("keel-welcome"))).toBe("dismissed");
  await page.reload();
  await page.waitForFunction(() => window.keel !== undefined);
  await expect(page.locator("#welcome")).toBeHidden();
  const help = page.getByRole("button", { name: "Help", exact: true });
  await expect(help).toHaveAttribute("aria-expanded", "false");
  await help.click();
  await expect(page.locator("#welcome")).toBeVisible();
  await expect(help).toHaveAttribute("aria-expanded", "true");
});

test("the welcome card's documentation links open the docs", async ({ page, request }) => {
  await openShell(page);
  const links = page.locator("#welcome a");
  expect(await links.count()).toBeGreaterThanOrEqual(3);
  for (const href of await links.evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).href))) {
    const response = await request.get(href);
    expect(response.status(), href).toBe(200);
    expect(await response.text(), href).toMatch(/^# /);
  }
  // "the kernel's code" opens the Code tab.
  await page.locator("#welcome").getByRole("button", { name: /kernel's code/ }).click();
  await expect(page.getByRole("tab", { name: "Code" })).toHaveAttribute("aria-selected", "true");
});

test("every status bar item explains itself in plain words when pointed at or focused", async ({ page }) => {
  await page.setViewportSize({ width: 1366, height: 768 });
  await openShell(page);
  await waitForShellPrompt(page);
  const items = page.locator(".status-list .status-item:visible");
  const count = await items.count();
  expect(count).toBeGreaterThanOrEqual(7);
  for (let i = 0; i < count; i++) {
    const item = items.nth(i);
    const tip = item.getByRole("tooltip", { includeHidden: true });
    await expect(tip, `status item ${i} has a tooltip`).toHaveCount(1);
    await expect(tip).toBeHidden();
    await item.hover();
    await expect(tip).toBeVisible();
    const text = (await tip.textContent()) ?? "";
    expect(text.length).toBeGreaterThan(40);
    // Inside the window.
    const box = (await tip.boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(1366);
  }
  await page.mouse.move(0, 700);
  // The two a newcomer asked about, by name; also reachable from the keyboard.
  const work = page.locator(".status-item", { has: page.locator("#status-work") });
  await work.focus();
  await expect(work.getByRole("tooltip")).toBeVisible();
  await expect(work.getByRole("tooltip")).toContainText("one per RISC-V instruction");
  await expect(work).toHaveAccessibleDescription(/work units/);
  const isolation = page.locator(".status-item", { has: page.locator("#status-isolation") });
  await isolation.hover();
  await expect(isolation.getByRole("tooltip")).toContainText("not isolated: the page runs Keel's one virtual CPU; everything works");
});

test("with the kernel monitor alone (?userland=0) the card offers the monitor's commands", async ({ page }) => {
  await openKeel(page);
  await waitForPrompt(page);
  const card = page.getByRole("region", { name: "Welcome to Keel" });
  await expect(card).toContainText("pt 0x401234");
  await expect(card).not.toContainText("spin 1 100");
  await card.getByRole("button", { name: "Type mem into the console" }).click();
  await expect.poll(async () => (await consoleLines(page)).join("\n"), POLL).toMatch(/keel> mem\n[\s\S]*free/);
});
