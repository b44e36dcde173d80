// Files in and out of the machine (issue 15 item 6):
//
// * drag and drop of files and folders onto the page, and the Import file
//   and "Copy a folder in" pickers: names checked against the 14-byte limit
//   (a dialog lists the refused ones and offers a rename), files that exist
//   asked about (a dialog), folders recreated, a progress bar; the kernel
//   writes everything into the shell's working directory (host/import.ts);
// * `download NAME` in the shell: the console's escape sequences are taken
//   out of the UART stream (host/transfer.ts) and the file is saved;
// * the Files dialog: the disk's tree with sizes (click a file to save it),
//   and the disk as a compressed .kdisk or as the raw image.
//
// Everything here talks to the worker through web/protocol.ts.

import "./files.css";
import type { TreeEntry } from "../host/fs/reader";
import { nameProblem, shortenName } from "../host/import";
import { DownloadScanner } from "../host/transfer";
import type { CopyEntry, CopyOutcome, PageToWorker, WorkerToPage } from "./protocol";

/** Largest file copied in, and largest drop in all. */
export const COPY_FILE_MAX_BYTES = 32 * 1024 * 1024;
export const COPY_TOTAL_MAX_BYTES = 128 * 1024 * 1024;

/** What the browser tests read (window.keel.files()). */
export interface FilesSnapshot {
  /** Copies finished (their last copy-result came). */
  copies: number;
  /** The last copy's summary as shown, and where it went. */
  lastSummary: string | null;
  lastCwd: string | null;
  /** Files `download` delivered and saved, by name. */
  downloads: string[];
  /** Transfers shown now: label and percent (null: not known). */
  transfers: { label: string; percent: number | null }[];
  /** Every progress update shown, oldest first (the last 500). */
  progress: { label: string; percent: number | null }[];
}

type Send = (message: PageToWorker, transfer?: Transferable[]) => void;

/** A file or folder picked or dropped, with its path from the drop's root. */
interface Picked {
  parts: string[];
  file: File | null; // null: a folder
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className !== undefined) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function button(text: string, action: () => void, className = "button"): HTMLButtonElement {
  const b = el("button", className, text);
  b.type = "button";
  b.addEventListener("click", action);
  return b;
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** Offers bytes as a browser download. */
export function saveBytes(bytes: Uint8Array, name: string): void {
  const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: "application/octet-stream" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

// ---- reading what was dropped ------------------------------------------------

/** Every file and folder under a dropped entry (FileSystemEntry API). */
async function walkEntry(entry: FileSystemEntry, parts: string[], out: Picked[]): Promise<void> {
  const here = [...parts, entry.name];
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    out.push({ parts: here, file });
    return;
  }
  if (!entry.isDirectory) return;
  out.push({ parts: here, file: null });
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  // readEntries gives a batch at a time, until an empty one.
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) break;
    for (const child of batch) await walkEntry(child, here, out);
  }
}

/** What a drop carries: folders through webkitGetAsEntry where the browser
 *  gives entries, plain files otherwise. */
export async function droppedItems(data: DataTransfer): Promise<Picked[]> {
  const out: Picked[] = [];
  const entries: FileSystemEntry[] = [];
  const files: File[] = [];
  for (const item of Array.from(data.items)) {
    if (item.kind !== "file") continue;
    const entry = typeof item.webkitGetAsEntry === "function" ? item.webkitGetAsEntry() : null;
    if (entry !== null) entries.push(entry);
    else {
      const file = item.getAsFile();
      if (file !== null) files.push(file);
    }
  }
  if (entries.length === 0 && files.length === 0) files.push(...Array.from(data.files));
  for (const entry of entries) await walkEntry(entry, [], out);
  for (const file of files) out.push({ parts: [file.name], file });
  return out;
}

/** Files from a picker: a folder picker gives each file its relative path. */
export function pickedItems(files: readonly File[]): Picked[] {
  const out: Picked[] = [];
  const folders = new Set<string>();
  for (const file of files) {
    const parts = (file.webkitRelativePath || file.name).split("/").filter((p) => p !== "");
    for (let i = 1; i < parts.length; i++) {
      const key = parts.slice(0, i).join("/");
      if (!folders.has(key)) {
        folders.add(key);
        out.push({ parts: parts.slice(0, i), file: null });
      }
    }
    out.push({ parts, file });
  }
  return out;
}

// ---- the UI -----------------------------------------------------------------------

export class FilesUi {
  private nextId = 1;
  private usable = false;
  private readonly scanner = new DownloadScanner();
  private readonly snapshotState: Omit<FilesSnapshot, "transfers"> = { copies: 0, lastSummary: null, lastCwd: null, downloads: [], progress: [] };
  private readonly transfers = new Map<string, { row: HTMLElement; bar: HTMLProgressElement; text: HTMLElement; label: string }>();
  private readonly transferBox = el("div", "transfers");
  private readonly toast = el("div", "files-toast");
  private readonly toastText = el("div", "files-toast-text");
  private readonly overlay = el("div", "drop-overlay");
  private readonly overlayText = el("p", "drop-overlay-text", "Drop files or folders to copy them into the shell's directory");
  private readonly browser: HTMLDialogElement = el("dialog", "files-dialog");
  private readonly browserTree = el("div", "files-tree");
  private readonly browserInfo = el("p", "files-info");
  private readonly folderInput = el("input");
  private readonly copies = new Map<number, { outcomes: CopyOutcome[]; refused: string[]; transfer: string }>();
  private readonly treeRequests = new Set<number>();
  private readonly reads = new Map<number, string>();
  private dragDepth = 0;

  constructor(private readonly send: Send, private readonly focusConsole: () => void, private readonly filesInput: HTMLInputElement) {
    this.transferBox.setAttribute("role", "status");
    this.transferBox.setAttribute("aria-label", "Transfers");
    this.toast.id = "files-toast";
    this.toast.setAttribute("role", "status");
    this.toast.hidden = true;
    this.toast.append(this.toastText, button("Dismiss", () => (this.toast.hidden = true), "button button-small"));
    this.overlay.id = "drop-overlay";
    this.overlay.hidden = true;
    this.overlay.append(this.overlayText);
    this.folderInput.type = "file";
    this.folderInput.hidden = true;
    this.folderInput.id = "copy-folder-input";
    this.folderInput.webkitdirectory = true;
    this.folderInput.multiple = true;
    this.folderInput.addEventListener("change", () => {
      const files = Array.from(this.folderInput.files ?? []);
      this.folderInput.value = "";
      if (files.length > 0) void this.copyIn(pickedItems(files));
    });
    this.buildBrowser();
    document.body.append(this.transferBox, this.toast, this.overlay, this.browser, this.folderInput);
    this.watchDrops();
  }

  /** Copies can start once a machine runs on a disk. */
  setUsable(usable: boolean): void {
    this.usable = usable;
  }

  snapshot(): FilesSnapshot {
    return {
      ...this.snapshotState,
      downloads: [...this.snapshotState.downloads],
      progress: [...this.snapshotState.progress],
      transfers: [...this.transfers.values()].map((t) => ({ label: t.label, percent: t.bar.hasAttribute("value") ? Math.round(t.bar.value * 100) : null })),
    };
  }

  /** The Import file picker's files. */
  copyFiles(files: readonly File[]): void {
    void this.copyIn(pickedItems(files));
  }

  openBrowser(): void {
    if (!this.browser.open) this.browser.showModal();
    this.refreshTree();
  }

  /** Console bytes from the UART: `download` sequences are taken out; the rest is returned for the console. */
  filterUart(bytes: Uint8Array): Uint8Array {
    const { output, events } = this.scanner.feed(bytes);
    for (const event of events) {
      const key = `download:${event.name}`;
      switch (event.kind) {
        case "begin":
          this.showTransfer(key, `Downloading ${event.name}`, event.size === 0 ? 1 : 0);
          break;
        case "progress":
          this.showTransfer(key, `Downloading ${event.name} (${formatSize(event.received)} of ${formatSize(event.size)})`, event.received / Math.max(1, event.size));
          break;
        case "file":
          this.endTransfer(key);
          saveBytes(event.bytes, event.name);
          this.snapshotState.downloads.push(event.name);
          break;
        case "error":
          this.endTransfer(key);
          this.showToast(`The download failed: ${event.message}.`, true);
          break;
      }
    }
    return output;
  }

  /** Messages for this module; false for the others. */
  onMessage(message: WorkerToPage): boolean {
    switch (message.type) {
      case "copy-progress": {
        const copy = this.copies.get(message.id);
        if (copy !== undefined) {
          this.showTransfer(copy.transfer, `Copying in (${formatSize(message.done)} of ${formatSize(message.total)})`, message.total === 0 ? null : message.done / message.total);
        }
        return true;
      }
      case "copy-result":
        this.copyResult(message.id, message.cwd, message.outcomes, message.waiting);
        return true;
      case "fs-tree":
        if (!this.treeRequests.delete(message.id)) return true;
        this.showTree(message.root, message.truncated, message.cwd, message.error);
        return true;
      case "fs-file": {
        const name = this.reads.get(message.id);
        this.reads.delete(message.id);
        this.endTransfer(`read:${message.id}`);
        if (name !== undefined) {
          saveBytes(message.bytes, name);
          this.snapshotState.downloads.push(name);
        }
        return true;
      }
      case "fs-error":
        this.reads.delete(message.id);
        this.endTransfer(`read:${message.id}`);
        this.showToast(`The file could not be saved: ${message.message}`, true);
        return true;
      default:
        return false;
    }
  }

  // ---- copying in ----

  private watchDrops(): void {
    const hasFiles = (event: DragEvent): boolean => event.dataTransfer !== null && Array.from(event.dataTransfer.types).includes("Files");
    window.addEventListener("dragenter", (event) => {
      if (!hasFiles(event)) return;
      event.preventDefault();
      this.dragDepth++;
      this.overlay.hidden = false;
    });
    window.addEventListener("dragover", (event) => {
      if (!hasFiles(event)) return;
      event.preventDefault();
      event.dataTransfer!.dropEffect = this.usable ? "copy" : "none";
    });
    window.addEventListener("dragleave", () => {
      this.dragDepth = Math.max(0, this.dragDepth - 1);
      if (this.dragDepth === 0) this.overlay.hidden = true;
    });
    window.addEventListener("drop", (event) => {
      if (event.dataTransfer === null) return;
      event.preventDefault();
      this.dragDepth = 0;
      this.overlay.hidden = true;
      const data = event.dataTransfer;
      void droppedItems(data).then((items) => this.copyIn(items), (error: unknown) => this.showToast(`The drop could not be read: ${String(error)}`, true));
    });
  }

  private async copyIn(items: Picked[]): Promise<void> {
    if (items.length === 0) return;
    if (!this.usable) {
      this.showToast("Nothing was copied: the machine is not running on a disk yet.", true);
      return;
    }
    // 1. Names: anything longer than 14 bytes (or otherwise unusable) is asked about.
    const renamed = await this.checkNames(items);
    if (renamed === null) return; // cancelled
    const { kept, refused } = renamed;
    // 2. Sizes.
    const tooLarge: string[] = [];
    let total = 0;
    const sized = kept.filter((item) => {
      if (item.file === null) return true;
      if (item.file.size > COPY_FILE_MAX_BYTES || total + item.file.size > COPY_TOTAL_MAX_BYTES) {
        tooLarge.push(`${item.parts.join("/")} (${formatSize(item.file.size)}: at most ${formatSize(COPY_FILE_MAX_BYTES)} a file, ${formatSize(COPY_TOTAL_MAX_BYTES)} a drop)`);
        return false;
      }
      total += item.file.size;
      return true;
    });
    // A file whose folder was refused goes with it.
    const id = this.nextId++;
    const transfer = `copy:${id}`;
    this.showTransfer(transfer, "Reading the files", 0);
    const entries: CopyEntry[] = [];
    const buffers: ArrayBuffer[] = [];
    let read = 0;
    for (const item of sized) {
      const path = item.parts.join("/");
      if (item.file === null) {
        entries.push({ path, dir: true });
        continue;
      }
      try {
        const buffer = await item.file.arrayBuffer();
        buffers.push(buffer);
        entries.push({ path, dir: false, bytes: new Uint8Array(buffer) });
      } catch (error) {
        refused.push(`${path}: it could not be read (${String(error)})`);
      }
      read += item.file.size;
      this.showTransfer(transfer, `Reading the files (${formatSize(read)} of ${formatSize(total)})`, total === 0 ? 1 : read / total);
    }
    this.copies.set(id, { outcomes: [], refused: [...refused, ...tooLarge], transfer });
    if (entries.length === 0) {
      this.copyResult(id, null, [], []);
      return;
    }
    this.showTransfer(transfer, "Copying in", 0);
    this.send({ type: "copy-in", id, entries }, buffers);
  }

  /** Asks for new names for the items whose names cannot be used; null when cancelled. */
  private async checkNames(items: Picked[]): Promise<{ kept: Picked[]; refused: string[] } | null> {
    // The shortest prefixes with a bad last component: a folder stands for everything in it.
    const bad = new Map<string, { parts: string[]; problem: string }>();
    for (const item of items) {
      for (let i = 0; i < item.parts.length; i++) {
        const problem = nameProblem(item.parts[i]!);
        if (problem === null) continue;
        const key = item.parts.slice(0, i + 1).join("/");
        if (!bad.has(key)) bad.set(key, { parts: item.parts.slice(0, i + 1), problem });
        break;
      }
    }
    if (bad.size === 0) return { kept: items, refused: [] };
    const answer = await namesDialog([...bad.values()]);
    if (answer === null) return null;
    const refused: string[] = [];
    const kept: Picked[] = [];
    for (const item of items) {
      let parts = item.parts;
      let skip = false;
      for (const [key, { parts: prefix, problem }] of bad) {
        const matches = prefix.length <= parts.length && prefix.every((p, i) => p === item.parts[i]);
        if (!matches) continue;
        const name = answer.get(key);
        if (name === undefined) {
          skip = true;
          if (item.parts.length === prefix.length) refused.push(`${key}: ${problem}`);
        } else {
          parts = [...parts.slice(0, prefix.length - 1), name, ...parts.slice(prefix.length)];
        }
      }
      if (!skip) kept.push({ ...item, parts });
    }
    return { kept, refused };
  }

  private async copyResult(id: number, cwd: string | null, outcomes: CopyOutcome[], waiting: string[]): Promise<void> {
    const copy = this.copies.get(id);
    if (copy === undefined) return;
    // An overwrite answer's outcomes replace the "exists" ones.
    for (const outcome of outcomes) {
      const at = copy.outcomes.findIndex((o) => o.path === outcome.path);
      if (at >= 0) copy.outcomes[at] = outcome;
      else copy.outcomes.push(outcome);
    }
    if (cwd !== null) this.snapshotState.lastCwd = cwd;
    if (waiting.length > 0) {
      this.showTransfer(copy.transfer, "Waiting for your answer", null);
      const replace = await overwriteDialog(waiting, this.snapshotState.lastCwd);
      this.showTransfer(copy.transfer, "Copying in", 0);
      this.send({ type: "copy-overwrite", id, replace });
      return;
    }
    this.copies.delete(id);
    this.endTransfer(copy.transfer);
    this.snapshotState.copies++;
    const where = this.snapshotState.lastCwd ?? "the shell's directory";
    const files = copy.outcomes.filter((o) => o.status === "copied" && !o.dir).length;
    const folders = copy.outcomes.filter((o) => o.status === "copied" && o.dir).length;
    const kept = copy.outcomes.filter((o) => o.status === "exists").map((o) => `${o.path}: kept the file already there`);
    const failed = copy.outcomes.filter((o) => o.status === "failed").map((o) => `${o.path}: ${o.error ?? "failed"}`);
    const counted = [files > 0 || folders === 0 ? `${files} file${files === 1 ? "" : "s"}` : "", folders > 0 ? `${folders} folder${folders === 1 ? "" : "s"}` : ""].filter((s) => s !== "").join(" and ");
    const summary = `Copied ${counted} into ${where}.`;
    const problems = [...copy.refused.map((r) => `Not copied: ${r}`), ...kept.map((k) => `Not copied: ${k}`), ...failed.map((f) => `Failed: ${f}`)];
    this.snapshotState.lastSummary = [summary, ...problems].join("\n");
    this.showToast(summary, problems.length > 0 && files + folders === 0, problems);
    if (this.browser.open) this.refreshTree();
    else this.focusConsole();
  }

  // ---- progress and answers ----

  private showTransfer(key: string, label: string, fraction: number | null): void {
    let t = this.transfers.get(key);
    if (t === undefined) {
      const row = el("div", "transfer");
      const text = el("span", "transfer-label");
      const bar = el("progress", "transfer-bar");
      bar.max = 1;
      row.append(text, bar);
      this.transferBox.append(row);
      t = { row, bar, text, label };
      this.transfers.set(key, t);
    }
    t.label = label;
    t.text.textContent = label;
    if (fraction === null) t.bar.removeAttribute("value");
    else t.bar.value = Math.max(0, Math.min(1, fraction));
    const log = this.snapshotState.progress;
    log.push({ label, percent: fraction === null ? null : Math.round(t.bar.value * 100) });
    if (log.length > 500) log.splice(0, log.length - 500);
  }

  private endTransfer(key: string): void {
    this.transfers.get(key)?.row.remove();
    this.transfers.delete(key);
  }

  private showToast(text: string, error: boolean, details: string[] = []): void {
    this.toastText.replaceChildren(el("p", "files-toast-summary", text));
    if (details.length > 0) {
      const list = el("ul", "files-toast-list");
      for (const d of details) list.append(el("li", undefined, d));
      this.toastText.append(list);
    }
    this.toast.dataset.error = String(error);
    this.toast.hidden = false;
  }

  // ---- the Files dialog ----

  private buildBrowser(): void {
    const d = this.browser;
    d.id = "files-dialog";
    d.setAttribute("aria-labelledby", "files-title");
    const title = el("h2", "files-title", "Files");
    title.id = "files-title";
    const hint = el("p", "files-hint", "Click a file to save it. Drag files or folders onto the page to copy them into the shell's directory; `download NAME` in the shell saves a file too.");
    const actions = el("div", "files-actions");
    actions.append(
      button("Copy files in…", () => this.filesInput.click()),
      button("Copy a folder in…", () => this.folderInput.click()),
      button("Refresh", () => this.refreshTree()),
    );
    const disk = el("div", "files-actions");
    disk.append(
      button("Download disk, compressed (.kdisk)", () => this.downloadDisk("kdisk")),
      button("Download raw image (.img)", () => this.downloadDisk("raw")),
    );
    const close = button("Close", () => d.close());
    d.append(title, hint, actions, this.browserInfo, this.browserTree, disk, close);
    d.addEventListener("close", () => this.focusConsole());
  }

  private downloadDisk(format: "kdisk" | "raw"): void {
    this.showTransfer("disk", format === "raw" ? "Preparing the raw image" : "Packing the disk", null);
    this.send({ type: "disk-download", format });
  }

  /** The worker's disk-image answer arrived (or failed). */
  diskDownloadDone(): void {
    this.endTransfer("disk");
  }

  private refreshTree(): void {
    const id = this.nextId++;
    this.treeRequests.add(id);
    this.browserInfo.textContent = "Reading the disk…";
    this.send({ type: "fs-tree", id });
  }

  private showTree(root: TreeEntry | null, truncated: boolean, cwd: string | null, error: string | null): void {
    if (root === null) {
      this.browserInfo.textContent = error ?? "The disk could not be read.";
      this.browserTree.replaceChildren();
      return;
    }
    this.browserInfo.textContent = `The shell's directory: ${cwd ?? "unknown"}${truncated ? " (the tree is too large to show whole)" : ""}`;
    const list = el("ul", "files-list");
    list.setAttribute("role", "tree");
    list.append(...(root.children ?? []).map((child) => this.treeItem(child, cwd)));
    this.browserTree.replaceChildren(list);
  }

  private treeItem(entry: TreeEntry, cwd: string | null): HTMLLIElement {
    const item = el("li", "files-item");
    item.setAttribute("role", "treeitem");
    item.dataset.path = entry.path;
    if (entry.kind === "dir") {
      const details = el("details");
      const path = `/${entry.path}`;
      details.open = cwd !== null && (cwd === path || cwd.startsWith(`${path}/`));
      const summary = el("summary", "files-dir", `${entry.name}/`);
      if (cwd === path) summary.dataset.cwd = "true";
      const children = el("ul", "files-list");
      children.setAttribute("role", "group");
      children.append(...(entry.children ?? []).map((child) => this.treeItem(child, cwd)));
      details.append(summary, children);
      item.append(details);
      return item;
    }
    const size = el("span", "files-size", entry.kind === "device" ? "device" : formatSize(entry.size));
    if (entry.kind === "file") {
      const link = button(entry.name, () => this.saveFromDisk(entry), "files-file");
      link.title = `Save /${entry.path} (${entry.size} bytes)`;
      item.append(link, size);
    } else {
      item.append(el("span", "files-device", entry.name), size);
    }
    return item;
  }

  private saveFromDisk(entry: TreeEntry): void {
    const id = this.nextId++;
    this.reads.set(id, entry.name);
    this.showTransfer(`read:${id}`, `Reading ${entry.name} (${formatSize(entry.size)})`, null);
    this.send({ type: "fs-read", id, path: entry.path });
  }
}

// ---- dialogs ---------------------------------------------------------------------

/** Asks for a name for each refused one: a map from its path to the new
 *  name (left out: skip it), or null when the whole copy is cancelled. */
function namesDialog(bad: { parts: string[]; problem: string }[]): Promise<Map<string, string> | null> {
  return new Promise((resolve) => {
    const d = el("dialog", "files-dialog");
    d.id = "names-dialog";
    d.setAttribute("aria-labelledby", "names-title");
    const title = el("h2", "files-title", bad.length === 1 ? "A name does not fit" : `${bad.length} names do not fit`);
    title.id = "names-title";
    const text = el("p", undefined, "A Keel name holds at most 14 bytes (letters outside ASCII take two or more), without \"/\" or control characters. Give these a new name, or skip them.");
    const list = el("ul", "names-list");
    const rows = bad.map(({ parts, problem }) => {
      const key = parts.join("/");
      const row = el("li", "names-row");
      const why = el("p", "names-problem", problem);
      const input = el("input", "names-input");
      input.type = "text";
      input.value = shortenName(parts.at(-1)!.replace(/[/\u0000-\u001f\u007f]/g, "_")) || "file";
      input.setAttribute("aria-label", `New name for ${key}`);
      const skip = el("input");
      skip.type = "checkbox";
      const skipLabel = el("label", "names-skip");
      skipLabel.append(skip, " skip");
      const note = el("span", "names-note");
      const check = (): void => {
        const problemNow = skip.checked ? null : nameProblem(input.value);
        note.textContent = problemNow ?? "";
        input.setAttribute("aria-invalid", String(problemNow !== null));
        ok.disabled = rows.some((r) => !r.skip.checked && nameProblem(r.input.value) !== null);
      };
      input.addEventListener("input", check);
      skip.addEventListener("change", () => {
        input.disabled = skip.checked;
        check();
      });
      row.append(el("strong", "names-old", key), why, input, skipLabel, note);
      list.append(row);
      return { key, input, skip, check };
    });
    const finish = (answer: Map<string, string> | null): void => {
      d.close();
      d.remove();
      resolve(answer);
    };
    const ok = button("Copy with these names", () => finish(new Map(rows.filter((r) => !r.skip.checked).map((r) => [r.key, r.input.value]))));
    const skipAll = button("Skip these", () => finish(new Map()));
    const cancel = button("Cancel the copy", () => finish(null));
    const buttons = el("div", "files-actions");
    buttons.append(ok, skipAll, cancel);
    d.append(title, text, list, buttons);
    d.addEventListener("cancel", (event) => {
      event.preventDefault();
      finish(null);
    });
    document.body.append(d);
    d.showModal();
    for (const r of rows) r.check();
    rows[0]?.input.select();
  });
}

/** Asks which existing files to replace; resolves with their paths. */
function overwriteDialog(paths: string[], cwd: string | null): Promise<string[]> {
  return new Promise((resolve) => {
    const d = el("dialog", "files-dialog");
    d.id = "overwrite-dialog";
    d.setAttribute("aria-labelledby", "overwrite-title");
    const where = cwd ?? "the shell's directory";
    const title = el("h2", "files-title", paths.length === 1 ? `${paths[0]} already exists` : `${paths.length} files already exist`);
    title.id = "overwrite-title";
    const text = el("p", undefined, `In ${where}. Replace the checked files with the ones you copied?`);
    const list = el("ul", "names-list");
    const boxes = paths.map((path) => {
      const row = el("li");
      const box = el("input");
      box.type = "checkbox";
      box.checked = true;
      const label = el("label");
      label.append(box, ` ${path}`);
      row.append(label);
      list.append(row);
      return { path, box };
    });
    const finish = (replace: string[]): void => {
      d.close();
      d.remove();
      resolve(replace);
    };
    const buttons = el("div", "files-actions");
    buttons.append(
      button("Replace", () => finish(boxes.filter((b) => b.box.checked).map((b) => b.path))),
      button("Keep the existing files", () => finish([])),
    );
    d.append(title, text, list, buttons);
    d.addEventListener("cancel", (event) => {
      event.preventDefault();
      finish([]);
    });
    document.body.append(d);
    d.showModal();
  });
}
