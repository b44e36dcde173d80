// The disk in the page: files made in the shell survive a reload (OPFS, or
// the IndexedDB fallback), and the disk's buttons reset, download, upload and
// import. Each test has its own browser context, and clears the origin's
// stored disk before it opens the page.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test, type Page } from "@playwright/test";
import { unpackDisk } from "../host/disk/kdisk";
import {
  BOOT_TIMEOUT_MS, clearStoredDisk, consoleLines, diskState, openShell, runShell, status, waitForShellPrompt,
} from "./keel";

const POLL = { intervals: [25, 50, 100, 250] };
const KFS1 = 0x3153464b;

test.beforeEach(async ({ page }) => {
  await clearStoredDisk(page);
});

/** Downloaded disks live outside test-results/, which another Playwright run
 *  in the same checkout may clear while a test still reads them. */
const tempDirs: string[] = [];
test.afterEach(async () => {
  for (const dir of tempDirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** Opens the page on the stored disk and waits for the shell. */
async function boot(page: Page, query = ""): Promise<void> {
  await openShell(page, query);
  await waitForShellPrompt(page);
}

async function makeNote(page: Page): Promise<void> {
  expect(await runShell(page, "echo hello > note")).toEqual([]);
  expect(await runShell(page, "cat note")).toEqual(["hello"]);
}

/** Waits for the machine to have booted more often than `boots`, and for the shell. */
async function waitForReboot(page: Page, boots: number): Promise<void> {
  const before = (await consoleLines(page)).length;
  await expect.poll(async () => (await status(page)).boots, { ...POLL, timeout: BOOT_TIMEOUT_MS }).toBeGreaterThan(boots);
  await waitForShellPrompt(page, before - 1);
}

/** Waits until the IndexedDB fallback has stored every changed block. */
async function waitForSaved(page: Page): Promise<void> {
  await expect.poll(async () => (await diskState(page)).info?.pending, { ...POLL, message: "every block stored" }).toBe(0);
}

async function resetDisk(page: Page): Promise<void> {
  const boots = (await status(page)).boots;
  page.once("dialog", (dialog) => {
    expect(dialog.type()).toBe("confirm");
    void dialog.accept();
  });
  await page.getByRole("button", { name: "Reset disk" }).click();
  await waitForReboot(page, boots);
}

/** Clicks Download disk and saves the download (keel-disk.kdisk, the
 *  compressed sparse file) in a folder of its own; returns its path. */
async function downloadDisk(page: Page): Promise<string> {
  const download = page.waitForEvent("download");
  await page.getByRole("button", { name: "Download disk" }).click();
  const file = await download;
  expect(file.suggestedFilename()).toBe("keel-disk.kdisk");
  const dir = await mkdtemp(join(tmpdir(), "keel-disk-"));
  tempDirs.push(dir);
  const path = join(dir, file.suggestedFilename());
  await file.saveAs(path);
  return path;
}

/** Picks a file with the file chooser `button` opens: given as bytes, or as
 *  a path (a disk may be larger than Playwright passes as bytes). */
async function chooseFile(page: Page, button: string, file: { name: string; buffer: Buffer } | string): Promise<void> {
  const chooser = page.waitForEvent("filechooser");
  await page.getByRole("button", { name: button }).click();
  await (await chooser).setFiles(typeof file === "string" ? file : { ...file, mimeType: "application/octet-stream" });
}

test("a file made in the shell survives a reload", async ({ page }) => {
  await boot(page);
  expect((await diskState(page)).info?.kind).toBe("opfs");
  await expect(page.locator("#status-disk")).toHaveText("saved");
  await makeNote(page);
  await page.reload();
  await waitForShellPrompt(page);
  expect((await diskState(page)).info?.kind).toBe("opfs");
  expect(await runShell(page, "cat note")).toEqual(["hello"]);
});

test("Reset disk asks first, then boots on the shipped disk again", async ({ page }) => {
  await boot(page);
  await makeNote(page);
  // Saying no changes nothing.
  page.once("dialog", (dialog) => void dialog.dismiss());
  await page.getByRole("button", { name: "Reset disk" }).click();
  expect(await runShell(page, "cat note")).toEqual(["hello"]);

  await resetDisk(page);
  expect((await runShell(page, "cat note")).join("\n")).toMatch(/^cat: note: /);
  // The reset disk is the stored one from now on.
  await page.reload();
  await waitForShellPrompt(page);
  expect((await runShell(page, "cat note")).join("\n")).toMatch(/^cat: note: /);
});

test("Download disk saves a compressed sparse disk, a small fraction of 128 MiB, that unpacks to the image", async ({ page }) => {
  await boot(page);
  await makeNote(page);
  const packed = await readFile(await downloadDisk(page));
  // 128 MiB of disk holding about 1.2 MiB of programs, its journal used by
  // the note: about the programs' gzip (260 KB today, growing with user
  // land), never anything near 128 MiB. The bound is 1/256 of the disk.
  expect(packed.length).toBeLessThan((128 * 1024 * 1024) / 256);
  const unpacked = await unpackDisk(new Uint8Array(packed), 262_144);
  expect(unpacked.blocks).toBe(32768);
  const image = Buffer.from(unpacked.image);
  expect(image.length).toBeGreaterThanOrEqual(8192);
  expect(image.length % 4096).toBe(0);
  expect(image.readUInt32LE(4096)).toBe(KFS1);
  expect(image.subarray(4096, 4100).toString("latin1")).toBe("KFS1");
});

test("Upload disk refuses a file that is not a disk and keeps the old one", async ({ page }) => {
  await boot(page);
  await makeNote(page);
  const boots = (await status(page)).boots;
  await chooseFile(page, "Upload disk", { name: "holiday.jpg", buffer: Buffer.alloc(3 * 4096, 0x5a) });
  const banner = page.getByRole("alert").filter({ hasText: "Disk error" });
  await expect(banner).toBeVisible();
  await expect(banner).toContainText('"holiday.jpg" is not a Keel disk');
  await expect(banner).toContainText("0x3153464b");
  expect((await status(page)).boots).toBe(boots);
  expect(await runShell(page, "cat note")).toEqual(["hello"]);
  await page.getByRole("button", { name: "Dismiss the disk message" }).click();
  await expect(banner).toBeHidden();
});

test("Upload disk brings back a downloaded disk", async ({ page }) => {
  test.slow(); // a download and two reboots
  await boot(page);
  await makeNote(page);
  const image = await downloadDisk(page);
  await resetDisk(page);
  expect((await runShell(page, "cat note")).join("\n")).toMatch(/^cat: note: /);

  const boots = (await status(page)).boots;
  await chooseFile(page, "Upload disk", image);
  await waitForReboot(page, boots);
  expect(await runShell(page, "cat note")).toEqual(["hello"]);
  await expect(page.locator("#disk-error")).toBeHidden();
});

test("Import file copies a host file into the shell's directory and says so", async ({ page }) => {
  await boot(page);
  expect(await runShell(page, "mkdir inbox")).toEqual([]);
  expect(await runShell(page, "cd inbox")).toEqual([]);
  const text = "hi from the host\nsecond line\n";
  await chooseFile(page, "Import file", { name: "greeting.txt", buffer: Buffer.from(text) });
  await expect(page.locator("#files-toast")).toContainText("Copied 1 file into /inbox.");
  await expect.poll(async () => (await diskState(page)).done.copy).toBe(1);
  // Nothing is printed in the middle of the prompt any more.
  expect((await consoleLines(page)).join("\n")).not.toContain("import:");
  expect(await runShell(page, "cat greeting.txt")).toEqual(["hi from the host", "second line"]);
});

test("Import file asks for a new name when one is over 14 bytes", async ({ page }) => {
  await boot(page);
  await chooseFile(page, "Import file", { name: "a-rather-long-name.txt", buffer: Buffer.from("long\n") });
  const dialog = page.getByRole("dialog", { name: "A name does not fit" });
  await expect(dialog).toContainText('"a-rather-long-name.txt" is 22 bytes long; a name holds at most 14');
  await dialog.getByRole("button", { name: "Copy with these names" }).click();
  await expect(page.locator("#files-toast")).toContainText("Copied 1 file into /.");
  expect(await runShell(page, "cat a-rather-l.txt")).toEqual(["long"]);
});

test("?disk=memory runs on a fresh copy and keeps nothing", async ({ page }) => {
  await boot(page, "?disk=memory");
  expect((await diskState(page)).info?.kind).toBe("memory");
  await expect(page.locator("#status-disk")).toHaveText("memory");
  await expect(page.locator("#disk-notice")).toBeHidden();
  await makeNote(page);
  await page.reload();
  await waitForShellPrompt(page);
  expect((await runShell(page, "cat note")).join("\n")).toMatch(/^cat: note: /);
});

test("a bad disk value is reported and the stored disk is used", async ({ page }) => {
  await boot(page, "?disk=floppy");
  const banner = page.getByRole("alert").filter({ hasText: "URL parameters" });
  await expect(banner).toContainText('disk="floppy"');
  expect((await diskState(page)).info?.kind).toBe("opfs");
});

test("the IndexedDB fallback keeps files across a reload", async ({ page }) => {
  await boot(page, "?disk=idb");
  expect((await diskState(page)).info?.kind).toBe("idb");
  await makeNote(page);
  await waitForSaved(page);
  await page.reload();
  await waitForShellPrompt(page);
  expect(await runShell(page, "cat note")).toEqual(["hello"]);
});

test("a second tab runs on an in-memory copy and says so", async ({ page, context }) => {
  await boot(page);
  await makeNote(page);
  const second = await context.newPage();
  await boot(second);
  const notice = second.getByRole("alert").filter({ hasText: "Another Keel tab is using the stored disk" });
  await expect(notice).toBeVisible();
  expect((await diskState(second)).info?.kind).toBe("memory");
  // A copy of the stored disk, which changes only in memory.
  expect(await runShell(second, "cat note")).toEqual(["hello"]);
  expect(await runShell(second, "echo other > note")).toEqual([]);
  expect(await runShell(page, "cat note")).toEqual(["hello"]);
  // The first tab still owns the disk.
  await expect(page.locator("#disk-notice")).toBeHidden();
  expect((await diskState(page)).info?.kind).toBe("opfs");
});

test("the top bar's buttons come in reading order from the keyboard, starting at Reboot", async ({ page }) => {
  await boot(page);
  await page.evaluate(() => window.keel.term.focus());
  await page.keyboard.press("Shift+Tab");
  const focused = () => page.evaluate(() => document.activeElement?.textContent?.trim() ?? "");
  expect(await focused()).toBe("Reboot");
  // Restore snapshot is disabled until a snapshot is kept, so Tab passes it.
  const order = ["Share", "Save snapshot", "Restore from file", "Reset disk", "Download disk", "Upload disk", "Import file", "Files"];
  for (const name of order) {
    await page.keyboard.press("Tab");
    expect(await focused()).toBe(name);
  }
  // Help (the welcome card, web/onboarding.ts), then the theme.
  await page.keyboard.press("Tab");
  expect(await focused()).toBe("Help");
  await page.keyboard.press("Tab");
  expect(await focused()).toMatch(/^(Light|Dark) theme$/);
  // Enter on a focused button works like a click.
  await page.getByRole("button", { name: "Download disk" }).focus();
  const download = page.waitForEvent("download");
  await page.keyboard.press("Enter");
  expect((await download).suggestedFilename()).toBe("keel-disk.kdisk");
});

test("without a shipped disk the machine boots on the boot file system and says why", async ({ page }) => {
  await page.route("**/disk-*.img", (route) => route.fulfill({ status: 404, body: "not here" }));
  await boot(page);
  const banner = page.getByRole("alert").filter({ hasText: "Disk error" });
  await expect(banner).toContainText("Keel runs without a disk");
  await expect(banner).toContainText("HTTP 404");
  await expect(page.locator("#status-disk")).toHaveText("none");
  await expect(page.getByRole("button", { name: "Reset disk" })).toBeDisabled();
  expect((await diskState(page)).info).toBeNull();
});

test("where OPFS sync access handles are missing, IndexedDB keeps the disk", async ({ page }) => {
  // The kernel's worker runs without createSyncAccessHandle, as in a browser
  // that lacks it.
  await page.route("**/worker-*.js", async (route) => {
    const response = await route.fetch();
    const body = `delete FileSystemFileHandle.prototype.createSyncAccessHandle;\n${await response.text()}`;
    await route.fulfill({ response, body });
  });
  await boot(page);
  expect((await diskState(page)).info?.kind).toBe("idb");
  await expect(page.locator("#disk-notice")).toBeHidden();
  await makeNote(page);
  await waitForSaved(page);
  await page.reload();
  await waitForShellPrompt(page);
  expect((await diskState(page)).info?.kind).toBe("idb");
  expect(await runShell(page, "cat note")).toEqual(["hello"]);
});
