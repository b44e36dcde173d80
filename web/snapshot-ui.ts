// The page's snapshot buttons: Save snapshot (kept in this browser by
// web/snapshot-store.ts, and offered as a download), Restore snapshot (the
// kept one) and Restore from file. The worker does the saving and restoring
// (web/worker.ts, host/snapshot.ts); this file only asks, keeps and tells.

import { SNAPSHOT_FILE_NAME } from "../host/snapshot";
import type { ClockMode } from "./params";
import type { PageToWorker, WorkerToPage } from "./protocol";
import { loadSnapshot, storeSnapshot } from "./snapshot-store";

/** What the browser tests read through window.keel.snapshots(). */
export interface SnapshotCounts {
  saved: number;
  restored: number;
  errors: number;
  /** A snapshot is kept in this browser. */
  stored: boolean;
  busy: boolean;
  notice: string | null;
  error: string | null;
}

export interface SnapshotControlsOptions {
  send(message: PageToWorker, transfer?: Transferable[]): void;
  /** A dim line in the console, like the other machine-changing buttons leave. */
  marker(text: string): void;
  /** The machine now runs with the snapshot's settings. */
  restored(ramBytes: number, clock: ClockMode): void;
}

function element<T extends HTMLElement>(id: string, type: new () => T): T {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`page is missing #${id}`);
  return found;
}

function megabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message || error.name : String(error);
}

export class SnapshotControls {
  private readonly saveButton = element("snapshot-save", HTMLButtonElement);
  private readonly restoreButton = element("snapshot-restore", HTMLButtonElement);
  private readonly fileButton = element("snapshot-restore-file", HTMLButtonElement);
  private readonly fileInput = element("snapshot-file-input", HTMLInputElement);
  private readonly notice = element("snapshot-notice", HTMLDivElement);
  private readonly noticeText = element("snapshot-notice-text", HTMLParagraphElement);
  private readonly download = element("snapshot-download", HTMLAnchorElement);
  private readonly errorBanner = element("snapshot-error", HTMLDivElement);
  private readonly errorText = element("snapshot-error-text", HTMLParagraphElement);
  private readonly counts: SnapshotCounts = {
    saved: 0, restored: 0, errors: 0, stored: false, busy: false, notice: null, error: null,
  };
  private usable = false;
  private downloadUrl: string | null = null;

  constructor(private readonly opts: SnapshotControlsOptions) {
    this.saveButton.addEventListener("click", () => this.save());
    this.restoreButton.addEventListener("click", () => void this.restoreStored());
    this.fileButton.addEventListener("click", () => this.fileInput.click());
    this.fileInput.addEventListener("change", () => void this.restoreFile());
    element("snapshot-error-close", HTMLButtonElement).addEventListener("click", () => this.showError(null));
    element("snapshot-notice-close", HTMLButtonElement).addEventListener("click", () => this.showNotice(null));
    loadSnapshot().then((stored) => {
      this.counts.stored = stored !== null;
      this.update();
    }).catch(() => {}); // no storage: Restore snapshot stays off, Save still offers the download
  }

  /** The buttons work once a machine runs and nothing failed. */
  setUsable(usable: boolean): void {
    this.usable = usable;
    this.update();
  }

  /** Handles a snapshot message from the worker; false for any other message. */
  handle(message: WorkerToPage): boolean {
    switch (message.type) {
      case "snapshot-saved":
        void this.saved(message.bytes);
        return true;
      case "snapshot-restored":
        this.counts.restored++;
        this.finish();
        this.opts.restored(message.ramBytes, message.clock);
        this.showNotice(`Restored the machine saved at ${new Date(message.savedAt).toLocaleString()}; it continues from there.`);
        return true;
      case "snapshot-error":
        this.counts.errors++;
        this.finish();
        this.showError(message.message);
        return true;
      default:
        return false;
    }
  }

  state(): SnapshotCounts {
    return { ...this.counts };
  }

  private save(): void {
    this.begin();
    this.opts.send({ type: "snapshot-save" });
  }

  private async saved(bytes: Uint8Array): Promise<void> {
    this.offerDownload(bytes);
    let where: string;
    try {
      await storeSnapshot(bytes);
      this.counts.stored = true;
      where = "kept in this browser (Restore snapshot brings it back)";
    } catch (error) {
      where = `not kept in this browser (${errorText(error)}); download it to keep it`;
    }
    this.counts.saved++;
    this.finish();
    this.showNotice(`Snapshot saved, ${megabytes(bytes.length)}, ${where}.`, true);
  }

  private async restoreStored(): Promise<void> {
    this.begin();
    try {
      const stored = await loadSnapshot();
      if (stored === null) throw new Error("No snapshot is kept in this browser yet: use Save snapshot first.");
      this.sendRestore(stored.bytes, "snapshot");
    } catch (error) {
      this.handle({ type: "snapshot-error", message: errorText(error) });
    }
  }

  private async restoreFile(): Promise<void> {
    const file = this.fileInput.files?.[0] ?? null;
    this.fileInput.value = ""; // picking the same file again still counts
    if (file === null) return;
    this.begin();
    try {
      this.sendRestore(new Uint8Array(await file.arrayBuffer()), file.name);
    } catch (error) {
      this.handle({ type: "snapshot-error", message: `${JSON.stringify(file.name)} could not be read: ${errorText(error)}` });
    }
  }

  private sendRestore(bytes: Uint8Array, what: string): void {
    this.opts.marker(`restoring ${what}`);
    this.opts.send({ type: "snapshot-restore", bytes }, [bytes.buffer]);
  }

  private begin(): void {
    this.counts.busy = true;
    this.showError(null);
    this.showNotice(null);
    this.update();
  }

  private finish(): void {
    this.counts.busy = false;
    this.update();
  }

  private update(): void {
    const ready = this.usable && !this.counts.busy;
    this.saveButton.disabled = !ready;
    this.fileButton.disabled = !ready;
    this.restoreButton.disabled = !ready || !this.counts.stored;
  }

  private offerDownload(bytes: Uint8Array): void {
    if (this.downloadUrl !== null) URL.revokeObjectURL(this.downloadUrl);
    this.downloadUrl = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: "application/octet-stream" }));
    this.download.href = this.downloadUrl;
    this.download.download = SNAPSHOT_FILE_NAME;
    this.download.textContent = `Download ${SNAPSHOT_FILE_NAME}`;
  }

  private showNotice(text: string | null, withDownload = false): void {
    this.counts.notice = text;
    this.noticeText.textContent = text ?? "";
    this.download.hidden = !withDownload;
    this.notice.hidden = text === null;
  }

  private showError(text: string | null): void {
    this.counts.error = text;
    this.errorText.textContent = text ?? "";
    this.errorBanner.hidden = text === null;
  }
}
