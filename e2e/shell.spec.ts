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

test("edits a command with the arrow keys, recalls it with Up, completes with Tab, and keeps UTF-8", async ({ page }) => {
  await openShell(page);
  const before = await waitForShell(page);
  await page.evaluate(() => window.keel.term.focus());
  // The case: echo ac, Left, b.
  await page.keyboard.type("echo ac");
  await page.keyboard.press("ArrowLeft");
  await page.keyboard.type("b");
  await page.keyboard.press("Enter");
  let lines = await waitForShell(page, before.length);
  expect(lines.slice(-3)).toEqual(["$ echo abc", "abc", SHELL_PROMPT]);
  // Up recalls it; Home and a word in front edit it.
  await page.keyboard.press("ArrowUp");
  await page.keyboard.press("Home");
  await page.keyboard.press("Control+e");
  await page.keyboard.type(" again");
  await page.keyboard.press("Enter");
  lines = await waitForShell(page, lines.length);
  expect(lines.slice(-3)).toEqual(["$ echo abc again", "abc again", SHELL_PROMPT]);
  // Tab completes a command name.
  await page.keyboard.type("ech");
  await page.keyboard.press("Tab");
  await page.keyboard.type("tabbed");
  await page.keyboard.press("Enter");
  lines = await waitForShell(page, lines.length);
  expect(lines.slice(-3)).toEqual(["$ echo tabbed", "tabbed", SHELL_PROMPT]);
  // UTF-8 from the keyboard through the kernel and back to the console.
  expect(await shell(page, "echo café")).toEqual(["café"]);
});

test("lines typed ahead and pasted run in order, each output after its command", async ({ page }) => {
  await openShell(page);
  const before = await waitForShell(page);
  await page.evaluate(() => window.keel.term.focus());
  // Typed while sleep runs: it appears after the next prompt, not in the middle.
  await page.keyboard.type("sleep 150");
  await page.keyboard.press("Enter");
  await page.keyboard.type("echo typed-ahead");
  await page.keyboard.press("Enter");
  let lines = await waitForShell(page, before.length + 2);
  expect(lines.slice(-4)).toEqual(["$ sleep 150", "$ echo typed-ahead", "typed-ahead", SHELL_PROMPT]);
  // A paste of three lines.
  await page.evaluate(() => window.keel.term.paste("echo one\necho two\necho three\n"));
  await expect.poll(async () => (await consoleLines(page)).slice(-7), { ...POLL, timeout: 10_000 })
    .toEqual(["$ echo one", "one", "$ echo two", "two", "$ echo three", "three", SHELL_PROMPT]);
});
