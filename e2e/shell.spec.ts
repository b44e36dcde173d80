// The page as a visitor sees it: Keel boots into init and the shell, and
// real RISC-V programs answer in the console.
import { expect, test } from "@playwright/test";
import { BOOT_TIMEOUT_MS, consoleLines, openShell, typeLine, waitForHelloWorld } from "./keel";

const SHELL_PROMPT = "$";
const POLL = { intervals: [25, 50, 100, 250] };

async function waitForShell(page: import("@playwright/test").Page, after = 0, timeout = BOOT_TIMEOUT_MS): Promise<string[]> {
  let lines: string[] = [];
  await expect.poll(async () => {
    lines = await consoleLines(page);
    return lines.length > after && lines[lines.length - 1] === SHELL_PROMPT;
  }, { ...POLL, timeout, message: "the console ends at the shell prompt" }).toBe(true);
  return lines;
}

/** Types a shell command and returns the lines it printed before the next prompt. */
async function shell(page: import("@playwright/test").Page, command: string): Promise<string[]> {
  const before = await consoleLines(page);
  await typeLine(page, command);
  const after = await waitForShell(page, before.length);
  const start = after.findIndex((line, i) => i >= before.length - 1 && line === `$ ${command}`);
  expect(start, `the command ${command} was echoed`).toBeGreaterThanOrEqual(0);
  return after.slice(start + 1, -1);
}

test("boots into the shell and runs ls and a pipeline", async ({ page }) => {
  await openShell(page);
  await waitForHelloWorld(page);
  await waitForShell(page);
  const ls = await shell(page, "ls");
  for (const name of ["init", "sh", "console", "README"]) expect(ls.some((l) => l.startsWith(`${name} `))).toBe(true);
  const wc = await shell(page, "echo hello | wc");
  expect(wc).toContainEqual(expect.stringMatching(/^\s+1\s+1\s+6$/));
});

test("Ctrl-] opens the kernel monitor and returns to the shell", async ({ page }) => {
  await openShell(page);
  await waitForShell(page);
  await page.evaluate(() => window.keel.term.focus());
  await page.keyboard.press("Control+BracketRight");
  await expect.poll(async () => (await consoleLines(page)).at(-1), { ...POLL, timeout: 10_000 }).toBe("keel>");
  await typeLine(page, "uptime");
  await expect.poll(async () => (await consoleLines(page)).some((l) => /^up \d+\.\d{6} s/.test(l)), { ...POLL, timeout: 10_000 }).toBe(true);
  await page.keyboard.press("Control+BracketRight");
  await typeLine(page, "echo back");
  await expect.poll(async () => (await consoleLines(page)).includes("back"), { ...POLL, timeout: 10_000 }).toBe(true);
});

test("Ctrl-C stops a runaway program and the shell answers again", async ({ page }) => {
  await openShell(page);
  const before = await waitForShell(page);
  await typeLine(page, "spin 1 1000");
  await expect.poll(async () => (await consoleLines(page)).at(-1), { ...POLL, timeout: 10_000 }).toBe("$ spin 1 1000");
  await page.waitForTimeout(500); // it runs; without Ctrl-C it would for 1000 s
  await page.keyboard.press("Control+c");
  const after = await waitForShell(page, before.length);
  expect(after.slice(-2)).toEqual(["^C", SHELL_PROMPT]);
  expect(await shell(page, "echo alive")).toEqual(["alive"]);
});
