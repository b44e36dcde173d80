// Snapshots in the page: Save snapshot keeps the whole machine in the
// browser and offers it as a file; Restore snapshot and Restore from file
// bring it back, screen, processes and disk, and the shell carries on. A
// file that is not a snapshot is refused and the machine keeps running.
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test, type Page } from "@playwright/test";
import {
  BOOT_TIMEOUT_MS, clearStoredDisk, consoleLines, openShell, runShell, status, typeLine, vgaText, waitForShellPrompt,
} from "./keel";

const POLL = { intervals: [25, 50, 100, 250] };

test.beforeEach(async ({ page }) => {
  await clearStoredDisk(page);
});

const tempDirs: string[] = [];
test.afterEach(async () => {
  for (const dir of tempDirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function snapshots(page: Page) {
  return page.evaluate(() => window.keel.snapshots());
}

async function boot(page: Page): Promise<void> {
  await openShell(page);
  await waitForShellPrompt(page);
  await expect(page.getByRole("button", { name: "Save snapshot" })).toBeEnabled();
}

/** A fresh shell prompt: after a restore the console's last prompt belongs
 *  to the machine that was replaced. */
async function freshPrompt(page: Page): Promise<void> {
  const before = (await consoleLines(page)).length;
  await typeLine(page, "");
  await waitForShellPrompt(page, before);
}

/** Clicks Save snapshot and waits until it is kept; returns the VGA text at that moment. */
async function saveSnapshot(page: Page): Promise<string[]> {
  const saved = (await snapshots(page)).saved;
  const screen = await vgaText(page);
  await page.getByRole("button", { name: "Save snapshot" }).click();
  await expect.poll(async () => (await snapshots(page)).saved, { ...POLL, timeout: BOOT_TIMEOUT_MS }).toBe(saved + 1);
  expect((await snapshots(page)).stored).toBe(true);
  await expect(page.getByRole("status").filter({ hasText: "Snapshot saved" })).toBeVisible();
  return screen;
}

async function waitForRestored(page: Page, restored: number): Promise<void> {
  await expect.poll(async () => (await snapshots(page)).restored, { ...POLL, timeout: BOOT_TIMEOUT_MS }).toBe(restored);
  await freshPrompt(page);
}

test("Restore snapshot brings back the screen, the files and a working shell", async ({ page }) => {
  await boot(page);
  expect(await runShell(page, "echo before-snapshot > snapnote")).toEqual([]);
  expect(await runShell(page, "cat snapnote")).toEqual(["before-snapshot"]);
  const screen = await saveSnapshot(page);

  // Change things: a file after the snapshot, then a reboot.
  expect(await runShell(page, "echo after-snapshot > later")).toEqual([]);
  const boots = (await status(page)).boots;
  await page.getByRole("button", { name: "Reboot" }).click();
  await expect.poll(async () => (await status(page)).boots, { ...POLL, timeout: BOOT_TIMEOUT_MS }).toBeGreaterThan(boots);
  await waitForShellPrompt(page);
  expect(await vgaText(page)).not.toEqual(screen);

  await page.getByRole("button", { name: "Restore snapshot" }).click();
  await expect.poll(() => vgaText(page), { ...POLL, timeout: BOOT_TIMEOUT_MS }).toEqual(screen);
  await waitForRestored(page, 1);
  expect(await runShell(page, "cat snapnote")).toEqual(["before-snapshot"]);
  expect((await runShell(page, "cat later")).join("\n")).toMatch(/^cat: later: /);
  expect((await status(page)).state).not.toBe("panicked");
  await expect(page.getByRole("status").filter({ hasText: "Restored the machine saved at" })).toBeVisible();
});

test("Restore from file brings back a downloaded snapshot, with its own RAM and clock, in a page configured otherwise", async ({ page }) => {
  await boot(page);
  expect(await runShell(page, "echo in-the-file > filenote")).toEqual([]);
  await saveSnapshot(page);
  const download = page.waitForEvent("download");
  await page.getByRole("link", { name: "Download keel-snapshot.keelsnap" }).click();
  const file = await download;
  expect(file.suggestedFilename()).toBe("keel-snapshot.keelsnap");
  const dir = await mkdtemp(join(tmpdir(), "keel-snap-"));
  tempDirs.push(dir);
  const path = join(dir, file.suggestedFilename());
  await file.saveAs(path);
  expect((await readFile(path)).subarray(0, 8).toString("latin1")).toBe("KEELSNAP");

  // A page configured otherwise: the snapshot brings its own RAM and clock.
  await openShell(page, "?clock=deterministic&ram=64");
  await waitForShellPrompt(page);
  expect((await status(page)).clock).toBe("deterministic");
  expect(await runShell(page, "rm filenote")).toEqual([]);
  const chooser = page.waitForEvent("filechooser");
  await page.getByRole("button", { name: "Restore from file" }).click();
  await (await chooser).setFiles(path);
  await waitForRestored(page, 1);
  expect(await runShell(page, "cat filenote")).toEqual(["in-the-file"]);
  const restored = await status(page);
  expect(restored.clock).toBe("realtime");
  expect(restored.ramBytes).toBe(128 * 1024 * 1024);
  await expect(page.locator("#status-clock")).toHaveText("realtime");
  await expect(page.locator("#status-ram")).toHaveText("128 MiB");
});

test("a file that is not a snapshot is refused and the machine keeps running", async ({ page }) => {
  await boot(page);
  const boots = (await status(page)).boots;
  const chooser = page.waitForEvent("filechooser");
  await page.getByRole("button", { name: "Restore from file" }).click();
  await (await chooser).setFiles({ name: "holiday.keelsnap", mimeType: "application/octet-stream", buffer: Buffer.alloc(5000, 0x5a) });
  const banner = page.getByRole("alert").filter({ hasText: "Snapshot error" });
  await expect(banner).toBeVisible();
  await expect(banner).toContainText("This file is not a Keel snapshot");
  expect((await snapshots(page)).errors).toBe(1);
  expect((await status(page)).boots).toBe(boots);
  expect((await status(page)).state).not.toBe("halted");
  await freshPrompt(page);
  expect(await runShell(page, "echo still-running")).toEqual(["still-running"]);
  await page.getByRole("button", { name: "Dismiss the snapshot error" }).click();
  await expect(banner).toBeHidden();
});

test("a snapshot saved by another build of Keel is refused, naming both builds", async ({ page }) => {
  await boot(page);
  await saveSnapshot(page);
  const download = page.waitForEvent("download");
  await page.getByRole("link", { name: "Download keel-snapshot.keelsnap" }).click();
  const dir = await mkdtemp(join(tmpdir(), "keel-snap-"));
  tempDirs.push(dir);
  const path = join(dir, "saved.keelsnap");
  await (await download).saveAs(path);
  // The build id sits in the JSON header; another build would have written another.
  const bytes = await readFile(path);
  const header = bytes.subarray(16, 16 + bytes.readUInt32LE(12)).toString("utf8");
  const build = (JSON.parse(header) as { build: string }).build;
  const other = Buffer.from(bytes.toString("latin1").replace(build, "0123456789ab".repeat(6).slice(0, 64)), "latin1");
  // Another build writes a whole, sealed file: the SHA-256 of every byte
  // before it ends the file (format 2), so the edited copy is sealed anew.
  const sealed = other.length - 32;
  createHash("sha256").update(other.subarray(0, sealed)).digest().copy(other, sealed);
  const chooser = page.waitForEvent("filechooser");
  await page.getByRole("button", { name: "Restore from file" }).click();
  await (await chooser).setFiles({ name: "other-build.keelsnap", mimeType: "application/octet-stream", buffer: other });
  const banner = page.getByRole("alert").filter({ hasText: "Snapshot error" });
  await expect(banner).toContainText("saved by a different build of Keel (kernel 0123456789ab…");
  await expect(banner).toContainText(`this one runs ${build.slice(0, 12)}…`);
  await freshPrompt(page);
  expect(await runShell(page, "echo still-here")).toEqual(["still-here"]);
});
