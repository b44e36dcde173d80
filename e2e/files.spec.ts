// Files in and out (issue 15 item 6, web/files-ui.ts): drops of files and
// folders into the shell's directory, refused names with a rename, the
// overwrite dialog, `download NAME`, the Files browser, the compressed and
// raw disk downloads, and the console's copy (Ctrl-Shift-C) and menu.
// Every test runs on ?disk=memory: a fresh copy of the shipped disk.

import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test, type Download, type Page } from "@playwright/test";
import { unpackDisk } from "../host/disk/kdisk";
import { consoleLines, dropFiles, openShell, runShell, typeLine, waitForShellPrompt } from "./keel";

const POLL = { intervals: [25, 50, 100, 250] };
const tempDirs: string[] = [];
test.afterEach(async () => {
  for (const dir of tempDirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function boot(page: Page): Promise<void> {
  await openShell(page, "?disk=memory");
  await waitForShellPrompt(page);
  await expect(page.getByRole("button", { name: "Files", exact: true })).toBeEnabled();
}

async function saved(download: Download): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), "keel-files-"));
  tempDirs.push(dir);
  const path = join(dir, download.suggestedFilename());
  await download.saveAs(path);
  return readFile(path);
}


async function copies(page: Page): Promise<number> {
  return page.evaluate(() => window.keel.files().copies);
}

async function waitForCopy(page: Page, before: number): Promise<string> {
  await expect.poll(() => copies(page), { ...POLL, message: "the copy finished" }).toBeGreaterThan(before);
  return (await page.evaluate(() => window.keel.files().lastSummary)) ?? "";
}

test("dropped files land in the shell's directory; a 15-byte name is refused with a rename offered", async ({ page }) => {
  await boot(page);
  expect(await runShell(page, "mkdir work")).toEqual([]);
  expect(await runShell(page, "cd work")).toEqual([]);
  const before = await copies(page);
  await dropFiles(page, [{ name: "hello.txt", text: "hi there\n" }, { name: "fifteen-bytes.x", text: "long name\n" }]);

  const dialog = page.getByRole("dialog", { name: "A name does not fit" });
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText("fifteen-bytes.x");
  await expect(dialog).toContainText('"fifteen-bytes.x" is 15 bytes long; a name holds at most 14');
  const input = dialog.getByRole("textbox", { name: "New name for fifteen-bytes.x" });
  await expect(input).toHaveValue("fifteen-byte.x"); // 14 bytes, the extension kept
  // A name still too long is pointed out and cannot be used.
  await input.fill("still-fifteen.x");
  await expect(dialog).toContainText("is 15 bytes long");
  await expect(dialog.getByRole("button", { name: "Copy with these names" })).toBeDisabled();
  await input.fill("short.x");
  await dialog.getByRole("button", { name: "Copy with these names" }).click();

  const summary = await waitForCopy(page, before);
  expect(summary).toBe("Copied 2 files into /work.");
  await expect(page.locator("#files-toast")).toContainText("Copied 2 files into /work.");
  expect(await runShell(page, "cat hello.txt")).toEqual(["hi there"]);
  expect(await runShell(page, "cat /work/short.x")).toEqual(["long name"]);

  // Skipping instead: the answer lists the refused name and why.
  await dropFiles(page, [{ name: "another-long-name", text: "x" }]);
  await page.getByRole("dialog", { name: "A name does not fit" }).getByRole("button", { name: "Skip these" }).click();
  const skipped = await waitForCopy(page, before + 1);
  expect(skipped).toContain('Not copied: another-long-name: "another-long-name" is 17 bytes long; a name holds at most 14');
  await expect(page.locator("#files-toast")).toContainText("another-long-name");
  expect((await runShell(page, "ls")).join("\n")).not.toContain("another");
});

test("a file that exists is asked about: kept, then replaced", async ({ page }) => {
  await boot(page);
  const before = await copies(page);
  await dropFiles(page, [{ name: "notes", text: "first\n" }]);
  await waitForCopy(page, before);
  expect(await runShell(page, "cat notes")).toEqual(["first"]);

  await dropFiles(page, [{ name: "notes", text: "second\n" }]);
  const ask = page.getByRole("dialog", { name: "notes already exists" });
  await expect(ask).toBeVisible();
  await expect(ask).toContainText("In /.");
  await ask.getByRole("button", { name: "Keep the existing files" }).click();
  expect(await waitForCopy(page, before + 1)).toContain("Not copied: notes: kept the file already there");
  expect(await runShell(page, "cat notes")).toEqual(["first"]);

  await dropFiles(page, [{ name: "notes", text: "second\n" }]);
  await page.getByRole("dialog", { name: "notes already exists" }).getByRole("button", { name: "Replace" }).click();
  expect(await waitForCopy(page, before + 2)).toBe("Copied 1 file into /.");
  expect(await runShell(page, "cat notes")).toEqual(["second"]);
});

test("a dropped folder is recreated with everything in it", async ({ page }) => {
  await boot(page);
  // A real folder drag gives FileSystemEntry objects; a synthetic drop cannot
  // carry them, so the test hands the page the same shapes Chromium does.
  await page.evaluate(() => {
    type Node = { name: string; text?: string; children?: Node[] };
    const tree: Node = { name: "project", children: [{ name: "README", text: "read me\n" }, { name: "src", children: [{ name: "main.c", text: "int main;\n" }] }] };
    const entry = (node: Node, path: string): FileSystemEntry => {
      const full = `${path}/${node.name}`;
      if (node.children === undefined) {
        return { name: node.name, fullPath: full, isFile: true, isDirectory: false, file: (ok: (f: File) => void) => ok(new File([node.text ?? ""], node.name)) } as unknown as FileSystemEntry;
      }
      const children = node.children;
      return {
        name: node.name, fullPath: full, isFile: false, isDirectory: true,
        createReader: () => {
          let given = false;
          return { readEntries: (ok: (e: FileSystemEntry[]) => void) => { ok(given ? [] : children.map((c) => entry(c, full))); given = true; } };
        },
      } as unknown as FileSystemEntry;
    };
    const root = entry(tree, "");
    DataTransferItem.prototype.webkitGetAsEntry = function () { return root; };
    const data = new DataTransfer();
    data.items.add(new File([""], "project"));
    document.getElementById("console")!.dispatchEvent(new DragEvent("drop", { dataTransfer: data, bubbles: true, cancelable: true }));
  });
  expect(await waitForCopy(page, 0)).toBe("Copied 2 files and 2 folders into /.");
  expect(await runShell(page, "cat project/README")).toEqual(["read me"]);
  expect(await runShell(page, "cat project/src/main.c")).toEqual(["int main;"]);
});

test("Copy a folder in takes a real folder from the host", async ({ page }) => {
  await boot(page);
  const dir = await mkdtemp(join(tmpdir(), "keel-folder-"));
  tempDirs.push(dir);
  await mkdir(join(dir, "photos", "2026"), { recursive: true });
  await writeFile(join(dir, "photos", "index.txt"), "two photos\n");
  await writeFile(join(dir, "photos", "2026", "a.raw"), Buffer.alloc(300_000, 7));
  await page.getByRole("button", { name: "Files", exact: true }).click();
  const chooser = page.waitForEvent("filechooser");
  await page.getByRole("button", { name: "Copy a folder in…" }).click();
  await (await chooser).setFiles(join(dir, "photos"));
  expect(await waitForCopy(page, 0)).toBe("Copied 2 files and 2 folders into /.");
  // Reading, then the kernel's writing, each with a bar up to 100%.
  const labels = (await page.evaluate(() => window.keel.files().progress)).map((p) => `${p.label} ${p.percent}`);
  expect(labels).toContain("Reading the files (293 KiB of 293 KiB) 100");
  expect(labels.some((l) => /^Copying in \(\d+ KiB of 293 KiB\) \d+$/.test(l))).toBe(true);
  // The open browser shows the new files.
  const dialog = page.getByRole("dialog", { name: "Files" });
  await expect(dialog.locator('[data-path="photos/2026/a.raw"]')).toContainText("293 KiB");
  await dialog.getByRole("button", { name: "Close" }).click();
  expect(await runShell(page, "cat photos/index.txt")).toEqual(["two photos"]);
  expect((await runShell(page, "ls photos/2026")).join("\n")).toMatch(/a\.raw.*300000/);
});

test("download NAME saves the file from the shell, byte for byte", async ({ page }) => {
  await boot(page);
  const bytes = Array.from({ length: 200_000 }, (_, i) => (i * 7 + (i >> 9)) & 0xff);
  await dropFiles(page, [{ name: "data.bin", bytes }]);
  await waitForCopy(page, 0);
  const download = page.waitForEvent("download");
  await typeLine(page, "download data.bin");
  const file = await download;
  expect(file.suggestedFilename()).toBe("data.bin");
  expect(Array.from(await saved(file))).toEqual(bytes);
  await expect.poll(async () => (await consoleLines(page)).some((l) => l === "download: sent data.bin (200000 bytes)"), POLL).toBe(true);
  // The escape sequences never reach the console.
  expect((await consoleLines(page)).join("\n")).not.toContain("7337");
  expect(await page.evaluate(() => window.keel.files().downloads)).toEqual(["data.bin"]);
  // The progress bar moved with the bytes, up to all of them, and is gone now.
  const progress = (await page.evaluate(() => window.keel.files().progress)).filter((p) => p.label.startsWith("Downloading data.bin"));
  const percents = progress.map((p) => p.percent ?? -1);
  expect(percents.length).toBeGreaterThan(10); // a bar step per 3 KB chunk
  expect(percents).toEqual([...percents].sort((a, b) => a - b));
  expect(percents.at(-1)).toBe(100);
  expect(progress.at(-1)!.label).toBe("Downloading data.bin (195 KiB of 195 KiB)");
  expect(await page.evaluate(() => window.keel.files().transfers)).toEqual([]);
});

test("the Files browser shows the tree with sizes, saves a file, and offers the disk compressed and raw", async ({ page }) => {
  await boot(page);
  expect(await runShell(page, "mkdir docs")).toEqual([]);
  expect(await runShell(page, "echo twelve bytes > docs/t.txt")).toEqual([]);
  expect(await runShell(page, "cd docs")).toEqual([]);
  await page.getByRole("button", { name: "Files", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Files" });
  await expect(dialog).toContainText("The shell's directory: /docs");
  const item = dialog.locator('[data-path="docs/t.txt"]');
  await expect(item).toContainText("t.txt");
  await expect(item).toContainText("13 B");
  await expect(dialog.locator('[data-path="README"]')).toBeVisible();
  const download = page.waitForEvent("download");
  await item.getByRole("button", { name: "t.txt" }).click();
  expect((await saved(await download)).toString()).toBe("twelve bytes\n");

  const packed = page.waitForEvent("download");
  await dialog.getByRole("button", { name: "Download disk, compressed (.kdisk)" }).click();
  const kdisk = await saved(await packed);
  expect((await packed).suggestedFilename()).toBe("keel-disk.kdisk");
  const raw = page.waitForEvent("download");
  await dialog.getByRole("button", { name: "Download raw image (.img)" }).click();
  const image = await saved(await raw);
  expect((await raw).suggestedFilename()).toBe("keel-disk.img");
  // The compressed file is a small fraction of the raw image and unpacks to it.
  expect(kdisk.length).toBeLessThan(image.length / 4);
  const unpacked = await unpackDisk(new Uint8Array(kdisk), 262_144);
  expect(Buffer.from(unpacked.image).equals(image.subarray(0, unpacked.image.length))).toBe(true);
  expect(image.subarray(unpacked.image.length).every((b) => b === 0)).toBe(true);
});

test("Ctrl-Shift-C copies the console's selection; the context menu copies and pastes", async ({ page, context }) => {
  test.slow(); // three shell commands typed, and the clipboard's round trips
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  await boot(page);
  expect(await runShell(page, "echo copy-me-please")).toEqual(["copy-me-please"]);
  const selectLine = (text: string) => page.evaluate((wanted) => {
    const term = window.keel.term;
    const buffer = term.buffer.active;
    for (let row = buffer.length - 1; row >= 0; row--) {
      if (buffer.getLine(row)?.translateToString(true) === wanted) {
        term.select(0, row, wanted.length);
        return true;
      }
    }
    return false;
  }, text);
  expect(await selectLine("copy-me-please")).toBe(true);
  await page.locator("#console textarea").focus();
  const linesBefore = await consoleLines(page);
  await page.keyboard.press("Control+Shift+C");
  await expect.poll(() => page.evaluate(() => navigator.clipboard.readText()), POLL).toBe("copy-me-please");
  expect(await page.evaluate(() => window.keel.clipboard().lastCopied)).toBe("copy-me-please");
  // Nothing went to the guest (Ctrl-C would have been an interrupt).
  expect(await consoleLines(page)).toEqual(linesBefore);

  // The menu: Copy of a selection, then Paste into the shell.
  await page.evaluate(() => navigator.clipboard.writeText("nothing"));
  expect(await selectLine("copy-me-please")).toBe(true);
  await page.locator("#console").click({ button: "right" });
  const menu = page.getByRole("menu");
  await expect(menu).toBeVisible();
  await menu.getByRole("menuitem", { name: /Copy/ }).click();
  await expect.poll(() => page.evaluate(() => navigator.clipboard.readText()), POLL).toBe("copy-me-please");
  await page.evaluate(() => navigator.clipboard.writeText("echo pasted-in"));
  await page.locator("#console").click({ button: "right" });
  await page.getByRole("menu").getByRole("menuitem", { name: /Paste/ }).click();
  await page.keyboard.press("Enter");
  await expect.poll(async () => (await consoleLines(page)).includes("pasted-in"), POLL).toBe(true);
});
