// Where the worker's disk lives, and what the page's disk buttons do to it.
//
//   auto (default)  OPFS file `keel-disk.img` through a sync access handle
//                   (web/disk/opfs.ts); where those are missing, IndexedDB
//                   (web/disk/idb.ts); where that fails too, memory.
//   idb             the IndexedDB fallback, even where OPFS works (tests).
//   memory          a fresh in-memory copy of the shipped image; nothing
//                   is stored (demos, tests).
//
// First visit: the shipped image (build/disk.img) is stored and used. A
// second tab, which cannot take the OPFS file's lock, runs on an in-memory
// copy of the stored disk and says so.

import type { DiskMode } from "../params";
import type { BlockBackend } from "./backend";
import { checkImage, readSuperblock } from "./image";
import { IdbDisk, idbAvailable } from "./idb";
import { SparseDisk } from "./memory";
import { DiskBusyError, OpfsDisk, opfsAvailable, readStoredImage } from "./opfs";

export type { DiskMode };
export type DiskKind = "opfs" | "idb" | "memory";

/** What the page shows about the disk. */
export interface DiskInfo {
  kind: DiskKind;
  /** Disk size in blocks. */
  blocks: number;
  /** IndexedDB: changed blocks not yet stored. */
  pending: number;
  /** Why the disk is not where it would normally be (a second tab, a
   *  storage that failed); shown in a banner. */
  notice?: string;
}

type Current =
  | { kind: "opfs"; disk: OpfsDisk }
  | { kind: "idb"; disk: IdbDisk }
  | { kind: "memory"; disk: SparseDisk };

export const NOTICE_SECOND_TAB =
  "Another Keel tab is using the stored disk. This tab runs on an in-memory copy of it: nothing you change here is saved. Close the other tab and reload to use the stored disk.";

export class DiskStore {
  private current: Current;
  private notice: string | undefined;
  /** Reports storage failures that happen in the background (IndexedDB). */
  onError: ((message: string) => void) | null = null;

  private constructor(current: Current, notice?: string) {
    this.current = current;
    this.notice = notice;
    this.watch();
  }

  /** Opens the disk for `mode`; `shipped` fetches the shipped image (only
   *  called when it is needed). `log` hears about decisions worth knowing. */
  static async open(mode: DiskMode, shipped: () => Promise<Uint8Array>, log: (text: string) => void): Promise<DiskStore> {
    if (mode === "memory") return new DiskStore(memoryDisk(await shipped()));
    if (mode === "auto" && opfsAvailable()) {
      try {
        return new DiskStore({ kind: "opfs", disk: await openOpfs(shipped, log) });
      } catch (error) {
        if (error instanceof DiskBusyError) {
          const stored = await readStoredImage();
          return new DiskStore(memoryDisk(stored ?? await shipped()), NOTICE_SECOND_TAB);
        }
        log(`the disk could not be kept in the origin private file system (${errorText(error)}); trying IndexedDB`);
      }
    }
    if (idbAvailable()) {
      try {
        // The normal fallback: documented (web/README.md), not worth a banner.
        return new DiskStore({ kind: "idb", disk: await IdbDisk.open() ?? await IdbDisk.create(await shipped()) });
      } catch (error) {
        const image = await shipped();
        return new DiskStore(memoryDisk(image),
          `The disk cannot be stored in this browser (${errorText(error)}). Keel runs on an in-memory disk: nothing you change is saved.`);
      }
    }
    return new DiskStore(memoryDisk(await shipped()),
      "This browser offers no storage for the disk. Keel runs on an in-memory disk: nothing you change is saved.");
  }

  /** The backend the machine's block device uses; it changes on replace(). */
  get backend(): BlockBackend {
    return this.current.disk;
  }

  get kind(): DiskKind {
    return this.current.kind;
  }

  info(): DiskInfo {
    const pending = this.current.kind === "idb" ? this.current.disk.pending : 0;
    return {
      kind: this.current.kind,
      blocks: this.current.disk.blocks,
      pending,
      ...(this.notice !== undefined ? { notice: this.notice } : {}),
    };
  }

  /** The disk as an image file (without trailing zero blocks). */
  image(): Uint8Array {
    return this.current.disk.image();
  }

  /** Replaces the disk with `image`. The machine on the old backend must be
   *  stopped first; boot a new one on `backend` afterwards. Throws (and keeps
   *  the old disk) when the image is not a Keel disk. */
  async replace(image: Uint8Array): Promise<void> {
    const reason = checkImage(image);
    if (reason !== null) throw new Error(`this is not a Keel disk: ${reason}`);
    const current = this.current;
    switch (current.kind) {
      case "opfs":
        current.disk.flush();
        this.current = { kind: "opfs", disk: current.disk.replace(image) };
        break;
      case "idb":
        this.current = { kind: "idb", disk: await current.disk.replace(image) };
        break;
      case "memory":
        this.current = memoryDisk(image);
        break;
    }
    this.watch();
  }

  /** Makes what has been written durable (OPFS), or starts storing it (IndexedDB). */
  flush(): void {
    this.current.disk.flush();
  }

  private watch(): void {
    if (this.current.kind === "idb") {
      this.current.disk.onError = (error) => this.onError?.(`The disk could not be saved: ${errorText(error)}`);
    }
  }
}

async function openOpfs(shipped: () => Promise<Uint8Array>, log: (text: string) => void): Promise<OpfsDisk> {
  const stored = await OpfsDisk.open();
  if (stored instanceof OpfsDisk) return stored;
  if (stored.missing !== null) log(`the stored disk was unusable (${stored.missing}); it is replaced by the shipped disk`);
  return OpfsDisk.create(await shipped());
}

function memoryDisk(image: Uint8Array): Current {
  const sb = readSuperblock(image);
  if (sb === null) throw new Error("the disk image has no superblock");
  return { kind: "memory", disk: new SparseDisk(sb.size, image) };
}

function errorText(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
