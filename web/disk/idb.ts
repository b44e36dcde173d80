// The fallback disk, where OPFS sync access handles are missing: IndexedDB.
//
// IndexedDB is asynchronous and the block device is not, so the disk lives in
// memory (a SparseDisk) while the machine runs: it is loaded whole at start,
// and every block a write changes is marked dirty and written back in the
// background. Write-back is batched (one IndexedDB transaction per batch,
// taken at most every PERSIST_DELAY_MS) and ordered (one transaction in
// flight at a time, each holding the blocks' contents at the moment the
// batch was taken), so what is stored is always a state the disk passed
// through, which the file system's journal can recover from.
//
// The price: the last moments before the tab closes may be lost, because a
// batch still waiting or in flight when the page goes away is dropped. What
// a reload brings back is the disk as of the last completed batch.

import type { BlockBackend } from "./backend";
import { BLOCK_SIZE, checkImage, readSuperblock } from "./image";
import { SparseDisk } from "./memory";

const DB_NAME = "keel";
const DB_VERSION = 1;
/** Block number → the block's 4096 bytes (an ArrayBuffer); missing = zeros. */
const STORE = "disk-blocks";
/** Longest a changed block waits before its batch is taken. */
export const PERSIST_DELAY_MS = 50;

/** True when this context has IndexedDB. */
export function idbAvailable(): boolean {
  return typeof indexedDB !== "undefined";
}

export class IdbDisk implements BlockBackend {
  private readonly dirty = new Set<number>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private inFlight: Promise<void> | null = null;
  private dead = false;
  /** Called when a batch could not be stored (a full quota, say). */
  onError: ((error: unknown) => void) | null = null;

  private constructor(
    private readonly db: IDBDatabase,
    private readonly memory: SparseDisk,
  ) {
    memory.onWrite = (block) => {
      this.dirty.add(block);
      this.schedule(PERSIST_DELAY_MS);
    };
  }

  get blocks(): number {
    return this.memory.blocks;
  }

  /** Loads the stored disk, or returns null when there is none (first visit). */
  static async open(): Promise<IdbDisk | null> {
    const db = await openDb();
    const { keys, values } = await loadAll(db);
    const blockOne = values[keys.indexOf(1)];
    const head = new Uint8Array(2 * BLOCK_SIZE);
    if (blockOne instanceof ArrayBuffer && blockOne.byteLength === BLOCK_SIZE) head.set(new Uint8Array(blockOne), BLOCK_SIZE);
    const sb = readSuperblock(head);
    if (sb === null || checkImage(head) !== null) {
      db.close();
      return null;
    }
    const memory = new SparseDisk(sb.size);
    keys.forEach((key, i) => {
      const value = values[i];
      if (typeof key === "number" && value instanceof ArrayBuffer) memory.install(key, new Uint8Array(value));
    });
    return new IdbDisk(db, memory);
  }

  /** Stores `image` (already checked) in place of whatever was stored. */
  static async create(image: Uint8Array): Promise<IdbDisk> {
    const db = await openDb();
    const sb = readSuperblock(image);
    if (sb === null) throw new Error("the disk image has no superblock");
    const memory = new SparseDisk(sb.size, image);
    try {
      await storeAll(db, memory);
    } catch (error) {
      db.close();
      throw error;
    }
    return new IdbDisk(db, memory);
  }

  read(block: number, dst: Uint8Array): void {
    this.memory.read(block, dst);
  }

  write(block: number, src: Uint8Array): void {
    if (this.dead) throw new Error("the disk was replaced");
    this.memory.write(block, src);
  }

  /** Starts writing back at once; it cannot wait for the write (see above). */
  flush(): void {
    if (this.dirty.size > 0) this.schedule(0);
  }

  /** Blocks changed but not yet stored. */
  get pending(): number {
    return this.dirty.size;
  }

  image(): Uint8Array {
    return this.memory.image();
  }

  /** Writes back everything still dirty and waits until it is stored. */
  async settle(): Promise<void> {
    while (this.dirty.size > 0 || this.inFlight !== null) {
      if (this.inFlight === null) this.persist();
      await this.inFlight;
    }
  }

  /** Replaces the stored disk with `image` (already checked), after the
   *  write-back in progress, and returns the disk that now holds it. */
  async replace(image: Uint8Array): Promise<IdbDisk> {
    this.dead = true;
    this.cancelTimer();
    this.dirty.clear();
    if (this.inFlight !== null) await this.inFlight.catch(() => undefined);
    const sb = readSuperblock(image);
    if (sb === null) throw new Error("the disk image has no superblock");
    const memory = new SparseDisk(sb.size, image);
    await storeAll(this.db, memory);
    return new IdbDisk(this.db, memory);
  }

  async close(): Promise<void> {
    await this.settle().catch(() => undefined);
    this.dead = true;
    this.db.close();
  }

  private schedule(delay: number): void {
    if (this.inFlight !== null) return; // the batch in flight schedules the next when it completes
    if (this.timer !== null) {
      if (delay > 0) return;
      this.cancelTimer();
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      this.persist();
    }, delay);
  }

  private cancelTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Takes a batch (the dirty blocks as they are now) and stores it in one transaction. */
  private persist(): void {
    if (this.inFlight !== null || this.dirty.size === 0) return;
    this.cancelTimer();
    const batch: [number, ArrayBuffer | null][] = [];
    for (const block of this.dirty) {
      const stored = this.memory.peek(block);
      batch.push([block, stored === undefined ? null : stored.slice().buffer]);
    }
    this.dirty.clear();
    this.inFlight = transaction(this.db, (store) => {
      for (const [block, bytes] of batch) {
        if (bytes === null) store.delete(block);
        else store.put(bytes, block);
      }
    }).catch((error: unknown) => {
      // Try these blocks again with the next batch, unless newer contents
      // are already waiting.
      for (const [block] of batch) this.dirty.add(block);
      this.onError?.(error);
    }).finally(() => {
      this.inFlight = null;
      if (!this.dead && this.dirty.size > 0) this.schedule(PERSIST_DELAY_MS);
    });
  }
}

/** Deletes the stored disk (tests, and a reset that starts from nothing). */
export async function clearIdbDisk(): Promise<void> {
  const db = await openDb();
  try {
    await transaction(db, (store) => store.clear());
  } finally {
    db.close();
  }
}

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, DB_VERSION);
    request.onupgradeneeded = () => {
      if (!request.result.objectStoreNames.contains(STORE)) request.result.createObjectStore(STORE);
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error("IndexedDB could not be opened"));
    request.onblocked = () => reject(new Error("IndexedDB is blocked by another tab"));
  });
}

function transaction(db: IDBDatabase, fill: (store: IDBObjectStore) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, "readwrite", { durability: "strict" });
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error("an IndexedDB transaction failed"));
    tx.onabort = () => reject(tx.error ?? new Error("an IndexedDB transaction was aborted"));
    fill(tx.objectStore(STORE));
  });
}

function loadAll(db: IDBDatabase): Promise<{ keys: IDBValidKey[]; values: unknown[] }> {
  return new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, "readonly");
    const store = tx.objectStore(STORE);
    const keys = store.getAllKeys();
    const values = store.getAll();
    tx.oncomplete = () => resolve({ keys: keys.result, values: values.result as unknown[] });
    tx.onerror = () => reject(tx.error ?? new Error("the stored disk could not be read"));
  });
}

/** Replaces the whole store with the disk's blocks, in one transaction. */
function storeAll(db: IDBDatabase, disk: SparseDisk): Promise<void> {
  return transaction(db, (store) => {
    store.clear();
    for (let block = 0; block < disk.blocks; block++) {
      const bytes = disk.peek(block);
      if (bytes !== undefined) store.put(bytes.slice().buffer, block);
    }
  });
}
