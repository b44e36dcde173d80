// Issue 15's "done when", as a newcomer does it, on a laptop and on a phone:
// the first visit says what to try; `spin 1 100` runs and Ctrl-C stops it;
// a command is edited with the arrow keys and recalled with Up; a file
// dragged onto the page lands in the shell's directory; `download` saves a
// result out. On the phone every key the on-screen keyboard lacks comes from
// the key bar, and taps stand in for clicks.
import { readFile } from "node:fs/promises";
import { expect, test, type Page } from "@playwright/test";
import { consoleLines, dropFiles, openShell, runShell, typeLine, waitForShellPrompt } from "./keel";

const POLL = { intervals: [25, 50, 100, 250] };

const SIZES = [
  { name: "laptop", use: { viewport: { width: 1280, height: 800 } }, phone: false },
  { name: "phone", use: { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, deviceScaleFactor: 3 }, phone: true },
] as const;

for (const size of SIZES) {
  test.describe(`a newcomer on a ${size.name}`, () => {
    test.use(size.use);

    test("sees what to try, stops spin with Ctrl-C, edits and recalls a line, drags a file in and downloads a result", async ({ page }) => {
      test.setTimeout(120_000);
      const keybar = page.getByRole("toolbar", { name: "Keys the on-screen keyboard lacks" });
      /** A key the on-screen keyboard lacks: the key bar on a phone, the keyboard on a laptop. */
      const special = async (bar: string, key: string): Promise<void> => {
        if (size.phone) await keybar.getByRole("button", { name: bar, exact: true }).tap();
        else await page.keyboard.press(key);
      };

      // A first visit: the welcome card names the things to try, and goes when dismissed.
      await openShell(page, "?disk=memory");
      await waitForShellPrompt(page);
      const card = page.getByRole("region", { name: "Welcome to Keel" });
      await expect(card).toBeAttached();
      await expect(card).toContainText("spin 1 100");
      const gotIt = card.getByRole("button", { name: "Got it" });
      await gotIt.scrollIntoViewIfNeeded();
      if (size.phone) await gotIt.tap();
      else await gotIt.click();
      await expect(card).toBeHidden();
      await clickConsole(page, size.phone);

      // spin 1 100 runs until Ctrl-C stops it, and the shell comes back.
      let before = (await consoleLines(page)).length;
      await typeLine(page, "spin 1 100");
      await expect.poll(async () => (await consoleLines(page)).slice(before - 1).join("\n"), POLL).toContain("$ spin 1 100");
      await page.waitForTimeout(300);
      expect((await consoleLines(page)).at(-1)).not.toBe("$");
      await special("Ctrl-C, interrupt", "Control+C");
      await waitForShellPrompt(page, before);

      // echo ac, Left, b: the b goes before the c.
      before = (await consoleLines(page)).length;
      await page.keyboard.type("echo ac");
      await special("Left", "ArrowLeft");
      await page.keyboard.type("b");
      await page.keyboard.press("Enter");
      let lines = await waitForShellPrompt(page, before);
      expect(lines.slice(-3)).toEqual(["$ echo abc", "abc", "$"]);
      // Up brings the line back, to run again.
      before = lines.length;
      await special("Up", "ArrowUp");
      await page.keyboard.press("Enter");
      lines = await waitForShellPrompt(page, before);
      expect(lines.slice(-3)).toEqual(["$ echo abc", "abc", "$"]);

      // A file dragged in lands where the shell is; its word count comes out as a file.
      expect(await runShell(page, "mkdir notes")).toEqual([]);
      expect(await runShell(page, "cd notes")).toEqual([]);
      const copies = await page.evaluate(() => window.keel.files().copies);
      await dropFiles(page, [{ name: "poem.txt", text: "so much depends\nupon\na red wheel\nbarrow\n" }]);
      await expect.poll(() => page.evaluate(() => window.keel.files().copies), POLL).toBeGreaterThan(copies);
      expect(await runShell(page, "ls")).toEqual(expect.arrayContaining([expect.stringMatching(/^poem\.txt\b/)]));
      expect(await runShell(page, "wc poem.txt > count")).toEqual([]);
      const download = page.waitForEvent("download");
      await typeLine(page, "download count");
      const file = await download;
      expect(file.suggestedFilename()).toBe("count");
      const text = await readFile(await file.path(), "utf8");
      expect(text.trim().split(/\s+/).slice(0, 3)).toEqual(["4", "8", "40"]);
    });
  });
}

async function clickConsole(page: Page, phone: boolean): Promise<void> {
  const console = page.locator("#console");
  if (phone) await console.tap();
  else await console.click();
}
