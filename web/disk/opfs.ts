// The persistent disk: one file, `keel-disk.img`, in the origin private file
// system (OPFS), reached through a FileSystemSyncAccessHandle. The handle is
// synchronous, which is what the block device needs (it completes every
// request before the kernel's doorbell write returns), and it exists only in
// dedicated workers: this module runs in web/worker.ts.
//
// Writes go straight through to the file; flush() asks the browser to make
// them durable. Reads past the end of the file are zeros, so the file holds
// only the disk's used prefix until something writes further out.
//
// A sync access handle is exclusive: while one tab's worker holds it, no
// other can open it (NoModificationAllowedError). That is how a second tab
// learns it does not own the disk.

import type { BlockBackend } from "./backend";
import { BLOCK_SIZE, checkImage, readSuperblock, trimImage } from "./image";

export const OPFS_FILE = "keel-disk.img";
/** How long to keep trying for the file's lock before deciding another tab
 *  holds it: after a reload the old page's worker may take a moment to die
 *  and let go of its handle. */
const LOCK_WAIT_MS = 3000;
const LOCK_RETRY_MS = 100;

/** The parts of the sync access handle this module uses (TypeScript's DOM
 *  library may lag behind Chromium's). */
interface SyncAccessHandle {
  read(buffer: Uint8Array, options?: { at?: number }): number;
  write(buffer: Uint8Array, options?: { at?: number }): number;
  truncate(size: number): void;
  getSize(): number;
  flush(): void;
  close(): void;
}

interface SyncFileHandle extends FileSystemFileHandle {
  createSyncAccessHandle(): Promise<SyncAccessHandle>;
}

/** True when this context has OPFS sync access handles (Chromium, Firefox,
 *  Safari: dedicated workers only). */
export function opfsAvailable(): boolean {
  return typeof navigator !== "undefined" && typeof navigator.storage?.getDirectory === "function" &&
    typeof FileSystemFileHandle !== "undefined" &&
    typeof (FileSystemFileHandle.prototype as Partial<SyncFileHandle>).createSyncAccessHandle === "function";
}

/** Another tab holds the disk file. */
export class DiskBusyError extends Error {}

export class OpfsDisk implements BlockBackend {
  private closed = false;

  private constructor(
    private readonly handle: SyncAccessHandle,
    readonly blocks: number,
  ) {}

  /**
   * Opens the stored disk and takes its lock. Without a usable disk (first
   * visit: an empty file; or a file that is not a Keel disk) it lets go of
   * the lock again and says why, and the caller stores an image with
   * `create`. Throws DiskBusyError when another tab holds the file.
   */
  static async open(): Promise<OpfsDisk | { missing: string | null }> {
    const handle = await lock(await fileHandle());
    const size = handle.getSize();
    const head = new Uint8Array(Math.min(size, 2 * BLOCK_SIZE));
    handle.read(head, { at: 0 });
    const sb = readSuperblock(head);
    const reason = size === 0 ? null : checkImage(head) ??
      (sb !== null && size > sb.size * BLOCK_SIZE ? "the file is longer than its disk" : null);
    if (size === 0 || reason !== null || sb === null) {
      handle.close();
      return { missing: reason };
    }
    return new OpfsDisk(handle, sb.size);
  }

  /** Replaces whatever is stored with `image` (already checked) and opens it. */
  static async create(image: Uint8Array): Promise<OpfsDisk> {
    const handle = await lock(await fileHandle());
    try {
      writeImage(handle, image);
    } catch (error) {
      handle.close();
      throw error;
    }
    const sb = readSuperblock(image);
    if (sb === null) throw new Error("the disk image has no superblock");
    return new OpfsDisk(handle, sb.size);
  }

  read(block: number, dst: Uint8Array): void {
    this.check(block, dst.length);
    const got = this.handle.read(dst, { at: block * BLOCK_SIZE });
    if (got < dst.length) dst.fill(0, Math.max(0, got));
  }

  write(block: number, src: Uint8Array): void {
    this.check(block, src.length);
    const put = this.handle.write(src, { at: block * BLOCK_SIZE });
    if (put !== src.length) throw new Error(`the disk file took ${put} of ${src.length} bytes (is the storage quota full?)`);
  }

  flush(): void {
    if (!this.closed) this.handle.flush();
  }

  /** The disk as an image file, without trailing zero blocks. */
  image(): Uint8Array {
    const bytes = new Uint8Array(this.handle.getSize());
    this.handle.read(bytes, { at: 0 });
    return trimImage(bytes);
  }

  /** Replaces the disk's contents with `image` (already checked) and returns
   *  the disk that now describes the file (its size may differ). This object
   *  is dead afterwards: a machine still holding it can no longer write. */
  replace(image: Uint8Array): OpfsDisk {
    if (this.closed) throw new Error("the disk file is closed");
    const sb = readSuperblock(image);
    if (sb === null) throw new Error("the disk image has no superblock");
    writeImage(this.handle, image);
    this.closed = true;
    return new OpfsDisk(this.handle, sb.size);
  }

  /** Flushes and lets go of the file, so another tab (or a reload) can take it. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.handle.flush();
    } finally {
      this.handle.close();
    }
  }

  private check(block: number, length: number): void {
    if (this.closed) throw new Error("the disk file is closed");
    if (length % BLOCK_SIZE !== 0 || length === 0) throw new RangeError(`a block transfer of ${length} bytes`);
    if (!Number.isInteger(block) || block < 0 || block + length / BLOCK_SIZE > this.blocks) {
      throw new RangeError(`blocks ${block}..${block + length / BLOCK_SIZE - 1} are outside a ${this.blocks}-block disk`);
    }
  }
}

/** A snapshot of the stored disk without taking its lock (what a second tab
 *  copies into memory), or null when there is none or it cannot be read. */
export async function readStoredImage(): Promise<Uint8Array | null> {
  try {
    const file = await (await fileHandle()).getFile();
    const bytes = new Uint8Array(await file.arrayBuffer());
    return checkImage(bytes) === null ? bytes : null;
  } catch {
    return null;
  }
}

async function fileHandle(): Promise<SyncFileHandle> {
  const root = await navigator.storage.getDirectory();
  return (await root.getFileHandle(OPFS_FILE, { create: true })) as SyncFileHandle;
}

async function lock(file: SyncFileHandle): Promise<SyncAccessHandle> {
  const deadline = performance.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      return await file.createSyncAccessHandle();
    } catch (error) {
      const busy = error instanceof DOMException && error.name === "NoModificationAllowedError";
      if (!busy) throw error;
      if (performance.now() >= deadline) throw new DiskBusyError("another Keel tab holds the disk");
      await new Promise((resolve) => setTimeout(resolve, LOCK_RETRY_MS));
    }
  }
}

function writeImage(handle: SyncAccessHandle, image: Uint8Array): void {
  handle.truncate(0);
  const put = handle.write(image, { at: 0 });
  if (put !== image.length) throw new Error(`the disk file took ${put} of ${image.length} bytes (is the storage quota full?)`);
  handle.flush();
}
