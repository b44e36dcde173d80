// Where the page keeps its saved snapshot: one slot in IndexedDB (database
// "keel-snapshots", apart from the disk's "keel"), so that "Restore snapshot"
// works after a reload. The bytes are the snapshot file itself
// (host/snapshot.ts); the page also offers them as a download.

const DB_NAME = "keel-snapshots";
const DB_VERSION = 1;
const STORE = "snapshots";
/** The one slot: Save snapshot replaces what it held. */
const SLOT = "saved";

export interface StoredSnapshot {
  bytes: Uint8Array;
  /** When it was saved (ISO 8601). */
  savedAt: string;
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error("IndexedDB request failed"));
  });
}

function open(): Promise<IDBDatabase> {
  if (typeof indexedDB === "undefined") return Promise.reject(new Error("this browser has no IndexedDB"));
  const req = indexedDB.open(DB_NAME, DB_VERSION);
  req.onupgradeneeded = () => {
    if (!req.result.objectStoreNames.contains(STORE)) req.result.createObjectStore(STORE);
  };
  return request(req);
}

async function withStore<T>(mode: IDBTransactionMode, work: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await open();
  try {
    const tx = db.transaction(STORE, mode);
    const result = await request(work(tx.objectStore(STORE)));
    await new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error ?? new Error("IndexedDB transaction failed"));
      tx.onabort = () => reject(tx.error ?? new Error("IndexedDB transaction aborted"));
    });
    return result;
  } finally {
    db.close();
  }
}

/** Keeps `bytes` as the saved snapshot, replacing the one before. */
export async function storeSnapshot(bytes: Uint8Array): Promise<StoredSnapshot> {
  const entry: StoredSnapshot = { bytes, savedAt: new Date().toISOString() };
  await withStore("readwrite", (store) => store.put(entry, SLOT));
  return entry;
}

/** The saved snapshot, or null when there is none. */
export async function loadSnapshot(): Promise<StoredSnapshot | null> {
  const entry = await withStore("readonly", (store) => store.get(SLOT) as IDBRequest<StoredSnapshot | undefined>);
  return entry ?? null;
}
