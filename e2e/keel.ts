// Helpers for Keel's browser tests: open the page, read the console (from
// xterm's buffer, not the DOM) and the VGA screen (as text and cells) through
// the page's read-only test handle `window.keel` (web/main.ts), and type
// monitor commands.
import { expect, type Page } from "@playwright/test";

export const PROMPT = "keel> ";
const PROMPT_TRIMMED = PROMPT.trimEnd();
export const MIB = 1024 * 1024;

/** Booting, up to the first prompt, may take a while on a busy 2-core CI box. */
export const BOOT_TIMEOUT_MS = 20_000;

/** Poll quickly: the machine answers in milliseconds, and the suite should be fast. */
const POLL = { intervals: [25, 50, 100, 250] };

/** VGA colour numbers (attribute nibbles). */
export const VGA_RED = 4;

/** Opens the page booting the kernel monitor alone (`userland=0`, unless the
 *  query says otherwise), with an optional query such as "?ram=64", and
 *  waits for the handle. The monitor's own tests use this. */
export async function openKeel(page: Page, query = ""): Promise<void> {
  const search = new URLSearchParams(query);
  if (!search.has("userland")) search.set("userland", "0");
  await openPage(page, `?${search.toString()}`);
}

/** Opens the page as a visitor does: it boots into the shell. */
export async function openShell(page: Page, query = ""): Promise<void> {
  await openPage(page, query);
}

async function openPage(page: Page, query: string): Promise<void> {
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  await page.goto(`./${query}`);
  await page.waitForFunction(() => window.keel !== undefined);
  expect(errors, "uncaught errors on the page").toEqual([]);
}

/** The console as lines of text, soft-wrapped rows joined back together. */
export async function consoleLines(page: Page, machine = 0): Promise<string[]> {
  return page.evaluate((index) => {
    // Machine 0 is the page's own console (window.keel.term); others are a cluster's (web/cluster/).
    const term = index === 0 ? window.keel.term : window.keel.machineTerm(index);
    if (term === null) throw new Error(`the page has no machine ${index}`);
    const buffer = term.buffer.active;
    const lines: string[] = [];
    for (let i = 0; i < buffer.length; i++) {
      const line = buffer.getLine(i);
      if (line === undefined) continue;
      // Trailing blanks are trimmed: xterm keeps the spaces the kernel wrote.
      const text = line.translateToString(true).trimEnd();
      if (line.isWrapped && lines.length > 0) lines[lines.length - 1] += text;
      else lines.push(text);
    }
    while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
    return lines;
  }, machine);
}

export async function consoleText(page: Page): Promise<string> {
  return (await consoleLines(page)).join("\n");
}

/** True when the console's last line is an empty monitor prompt. */
function endsAtPrompt(lines: string[]): boolean {
  return lines.length > 0 && lines[lines.length - 1] === PROMPT_TRIMMED;
}

export async function waitForPrompt(page: Page, timeout = BOOT_TIMEOUT_MS): Promise<void> {
  await expect.poll(async () => endsAtPrompt(await consoleLines(page)), { ...POLL, timeout, message: "console ends at the keel> prompt" })
    .toBe(true);
}

/** Types `command` + Enter at the prompt and returns the lines the monitor
 *  printed before its next prompt. */
export async function runCommand(page: Page, command: string, timeout = 10_000): Promise<string[]> {
  const before = await consoleLines(page);
  expect(endsAtPrompt(before), "the console is at a prompt before typing").toBe(true);
  const promptLine = before.length - 1;
  await typeLine(page, command);
  let output: string[] = [];
  await expect.poll(async () => {
    const lines = (await consoleLines(page)).slice(promptLine);
    if (lines.length < 2 || !endsAtPrompt(lines)) return false;
    output = lines.slice(1, -1);
    return lines[0] === `${PROMPT}${command}`.trimEnd();
  }, { ...POLL, timeout, message: `the monitor answers ${JSON.stringify(command)} and prompts again` }).toBe(true);
  return output;
}

/** Types a line into the console the way a person would. */
export async function typeLine(page: Page, text: string): Promise<void> {
  await page.evaluate(() => window.keel.term.focus());
  await page.keyboard.type(text);
  await page.keyboard.press("Enter");
}

export async function vgaText(page: Page): Promise<string[]> {
  return page.evaluate(() => window.keel.lastVgaText());
}

export async function vgaCells(page: Page): Promise<number[]> {
  return page.evaluate(() => window.keel.lastVgaCells());
}

export async function status(page: Page) {
  return page.evaluate(() => window.keel.status());
}

export async function waitForHelloWorld(page: Page, timeout = BOOT_TIMEOUT_MS): Promise<void> {
  await expect.poll(async () => (await vgaText(page))[0]?.startsWith("Hello World!") ?? false, {
    ...POLL,
    timeout,
    message: "VGA row 0 starts with Hello World!",
  }).toBe(true);
}

export async function waitForState(page: Page, state: string, timeout = BOOT_TIMEOUT_MS): Promise<void> {
  await expect.poll(async () => (await status(page)).state, { ...POLL, timeout, message: `machine state is ${state}` }).toBe(state);
}

/** The colour drawn on the VGA canvas at a character cell's centre, as "#rrggbb". */
export async function screenPixel(page: Page, row: number, col: number): Promise<string> {
  return page.evaluate(([r, c]) => {
    const canvas = document.querySelector<HTMLCanvasElement>("#vga");
    const ctx = canvas?.getContext("2d");
    if (!canvas || !ctx) throw new Error("no VGA canvas");
    const cellW = canvas.width / 80;
    const cellH = canvas.height / 25;
    const [red, green, blue] = ctx.getImageData(Math.floor((c + 0.5) * cellW), Math.floor((r + 0.5) * cellH), 1, 1).data;
    return `#${[red, green, blue].map((v) => (v ?? 0).toString(16).padStart(2, "0")).join("")}`;
  }, [row, col] as const);
}

/** How many non-black pixels the VGA canvas shows inside one character cell. */
export async function litPixelsInCell(page: Page, row: number, col: number): Promise<number> {
  return page.evaluate(([r, c]) => {
    const canvas = document.querySelector<HTMLCanvasElement>("#vga");
    const ctx = canvas?.getContext("2d");
    if (!canvas || !ctx) throw new Error("no VGA canvas");
    const cellW = canvas.width / 80;
    const cellH = canvas.height / 25;
    const { data } = ctx.getImageData(c * cellW, r * cellH, cellW, cellH);
    let lit = 0;
    for (let i = 0; i < data.length; i += 4) if ((data[i] ?? 0) + (data[i + 1] ?? 0) + (data[i + 2] ?? 0) > 96) lit++;
    return lit;
  }, [row, col] as const);
}

// ---- the shell and the disk ------------------------------------------------

export const SHELL_PROMPT = "$";

/** Waits until the console ends at the shell's prompt, with more than
 *  `after` lines; returns the lines. */
export async function waitForShellPrompt(page: Page, after = 0, timeout = BOOT_TIMEOUT_MS): Promise<string[]> {
  let lines: string[] = [];
  await expect.poll(async () => {
    lines = await consoleLines(page);
    return lines.length > after && lines[lines.length - 1] === SHELL_PROMPT;
  }, { ...POLL, timeout, message: "the console ends at the shell prompt" }).toBe(true);
  return lines;
}

/** Types a shell command and returns the lines it printed before the next prompt. */
export async function runShell(page: Page, command: string, timeout = BOOT_TIMEOUT_MS): Promise<string[]> {
  const before = await consoleLines(page);
  await typeLine(page, command);
  const after = await waitForShellPrompt(page, before.length, timeout);
  const start = after.findIndex((line, i) => i >= before.length - 1 && line === `${SHELL_PROMPT} ${command}`);
  expect(start, `the command ${command} was echoed`).toBeGreaterThanOrEqual(0);
  return after.slice(start + 1, -1);
}

/** Deletes the disk this origin keeps (OPFS file and IndexedDB), from a blank
 *  page on the same origin, so no Keel worker holds it. Leaves the page there. */
export async function clearStoredDisk(page: Page): Promise<void> {
  const blank = "**/__keel_clear_storage__";
  await page.route(blank, (route) => route.fulfill({ contentType: "text/html", body: "<!doctype html><title>clearing</title>" }));
  await page.goto("./__keel_clear_storage__");
  await page.evaluate(async () => {
    const root = await navigator.storage.getDirectory();
    for await (const name of (root as unknown as { keys(): AsyncIterable<string> }).keys()) {
      await root.removeEntry(name, { recursive: true });
    }
    await new Promise<void>((resolve, reject) => {
      const request = indexedDB.deleteDatabase("keel");
      request.onsuccess = () => resolve();
      request.onerror = () => reject(request.error);
      request.onblocked = () => resolve();
    });
  });
  await page.unroute(blank);
}

export async function diskState(page: Page) {
  return page.evaluate(() => window.keel.disk());
}

/** Drops files on the console the way a browser does: a drop event whose
 *  DataTransfer holds them. */
export async function dropFiles(page: Page, files: { name: string; text?: string; bytes?: number[] }[]): Promise<void> {
  await page.evaluate((list) => {
    const data = new DataTransfer();
    for (const f of list) data.items.add(new File([f.bytes ? new Uint8Array(f.bytes) : (f.text ?? "")], f.name));
    const target = document.getElementById("console")!;
    for (const type of ["dragenter", "dragover", "drop"]) {
      target.dispatchEvent(new DragEvent(type, { dataTransfer: data, bubbles: true, cancelable: true }));
    }
  }, files);
}
