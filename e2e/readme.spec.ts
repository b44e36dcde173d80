// README.md's page examples, opened as written: every `?…` query it gives
// (pulled out of its text by host/testing/readme-examples.ts; the shell and
// monitor examples run headless in host/readme.test.ts). Each boots without a
// parameter error; a `run` line runs in the shell and prints no error.
import { expect, test } from "@playwright/test";
import { readmeExamples } from "../host/testing/readme-examples";
import { BOOT_TIMEOUT_MS, consoleLines, openShell, waitForPrompt, waitForShellPrompt } from "./keel";

const POLL = { intervals: [25, 50, 100, 250] };
const { queries } = readmeExamples();

test("README gives page examples to test", () => {
  expect(queries).toContain("?run=ls%20-l");
  expect(queries.length).toBeGreaterThanOrEqual(3);
});

for (const query of queries) {
  test(`README's example ${query} works as written`, async ({ page }) => {
    await page.addInitScript(() => localStorage.setItem("keel-welcome", "dismissed"));
    await openShell(page, query);
    await expect(page.locator("#param-errors")).toBeHidden();
    const search = new URLSearchParams(query);
    if (search.get("userland") === "0") {
      await waitForPrompt(page);
      return;
    }
    const run = search.get("run");
    if (run === null) {
      await waitForShellPrompt(page);
      return;
    }
    // The lines were typed at the first prompt; wait for each one's answer
    // and the prompt after the last.
    const lines = run.split("\n").filter((line) => line !== "");
    let text = "";
    await expect.poll(async () => {
      const all = await consoleLines(page);
      text = all.join("\n");
      const last = lines.at(-1)!;
      const at = all.findLastIndex((line) => line === `$ ${last}`);
      return at >= 0 && all.at(-1) === "$" && all.length > at + 1;
    }, { ...POLL, timeout: BOOT_TIMEOUT_MS, message: `the page runs ${JSON.stringify(run)}` }).toBe(true);
    const output = text.slice(text.indexOf(`$ ${lines[0]}`));
    expect(output).not.toMatch(/not found|usage:|unknown option|no such file or directory/i);
    if (run === "ls -l") expect(output).toMatch(/^-\s+1\s+\d+\s+\d+ README$/m);
  });
}
