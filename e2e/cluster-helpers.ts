// Helpers for the cluster view's browser tests (e2e/cluster*.spec.ts): each
// machine's console read from its terminal's buffer (term.buffer.active,
// through window.keel.machineTerm), typing into it, running a command on it.
import { expect, type Page } from "@playwright/test";
import { BOOT_TIMEOUT_MS, consoleLines } from "./keel";

const POLL = { intervals: [50, 100, 250, 500] };
/** Two kernels booting in one page on a loaded 2-core box. */
export const CLUSTER_BOOT_MS = 3 * BOOT_TIMEOUT_MS;

/** Machine `index`'s console as lines (e2e/keel.ts consoleLines). */
export function machineLines(page: Page, index: number): Promise<string[]> {
  return consoleLines(page, index);
}

export async function waitForPromptOn(page: Page, index: number, after = 0, timeout = CLUSTER_BOOT_MS): Promise<string[]> {
  let lines: string[] = [];
  await expect.poll(async () => {
    lines = await machineLines(page, index);
    return lines.length > after && lines[lines.length - 1] === "$";
  }, { ...POLL, timeout, message: `machine ${index + 1}'s console ends at the shell prompt` }).toBe(true);
  return lines;
}

export async function typeOn(page: Page, index: number, text: string): Promise<void> {
  await page.evaluate((i) => window.keel.machineTerm(i)!.focus(), index);
  await page.keyboard.type(text);
  await page.keyboard.press("Enter");
}

/** Runs a command on machine `index`; the lines it printed before the next prompt. */
export async function shellOn(page: Page, index: number, command: string, timeout = CLUSTER_BOOT_MS): Promise<string[]> {
  const before = await machineLines(page, index);
  await typeOn(page, index, command);
  const after = await waitForPromptOn(page, index, before.length, timeout);
  const start = after.findIndex((line, i) => i >= before.length - 1 && line === `$ ${command}`);
  expect(start, `${command} was echoed`).toBeGreaterThanOrEqual(0);
  return after.slice(start + 1, -1);
}

