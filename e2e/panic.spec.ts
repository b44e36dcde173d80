// A kernel panic paints the VGA screen red, says why, and stops the machine.
import { expect, test } from "@playwright/test";
import { VGA_RED, consoleText, openKeel, screenPixel, status, typeLine, vgaCells, vgaText, waitForPrompt, waitForState } from "./keel";

test("panic turns the screen red with the message and the status says panicked", async ({ page }) => {
  await openKeel(page);
  await waitForPrompt(page);
  await typeLine(page, "panic disk on fire");
  await waitForState(page, "panicked");
  await expect(page.locator("#status-state")).toHaveText("panicked");
  await expect(page.locator("#status-detail")).toContainText("disk on fire");

  await expect.poll(async () => {
    const cells = await vgaCells(page);
    const red = cells.filter((cell) => ((cell >> 12) & 0x7) === VGA_RED).length;
    return cells.length > 0 ? red / cells.length : 0;
  }, { message: "the screen's background is red" }).toBeGreaterThan(0.9);

  // The canvas is painted red too (VGA red, #aa0000), away from the text.
  await expect.poll(() => screenPixel(page, 20, 70)).toBe("#aa0000");

  const screen = (await vgaText(page)).join("\n");
  expect(screen).toMatch(/panic/i);
  expect(screen).toContain("disk on fire");
  expect(await consoleText(page)).toMatch(/panic.*disk on fire/i);
  // The machine stays stopped but the page can still reboot it.
  expect((await status(page)).state).toBe("panicked");
  await expect(page.getByRole("button", { name: "Reboot" })).toBeEnabled();
});
