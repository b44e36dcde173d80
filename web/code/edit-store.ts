// Where the Code panel keeps edits to the kernel's sources: the browser's
// localStorage, one key per edited file ("keel-code:" + path), so an edit
// survives a reload and reverting one file touches nothing else. A file
// equal to its shipped text is not stored at all. Storage that is full or
// switched off is reported, never thrown: the edit stays in the editor.

export const EDIT_KEY_PREFIX = "keel-code:";

/** The part of the Web Storage API used here (a Map-backed fake in tests). */
export interface KeyValueStorage {
  readonly length: number;
  key(index: number): string | null;
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export class EditStore {
  constructor(
    private readonly storage: KeyValueStorage | null,
    /** The shipped text of every file; edits to other paths are ignored. */
    private readonly shipped: Readonly<Record<string, string>>,
  ) {}

  /** The edited text of `path`, or null when it is as shipped. */
  get(path: string): string | null {
    if (!(path in this.shipped)) return null;
    let text: string | null = null;
    try {
      text = this.storage?.getItem(EDIT_KEY_PREFIX + path) ?? null;
    } catch {
      return null;
    }
    return text === this.shipped[path] ? null : text;
  }

  /** Keeps `text` as `path`'s edit (or forgets the edit when it is the
   *  shipped text). Returns why it could not be kept, or null. */
  set(path: string, text: string): string | null {
    if (!(path in this.shipped)) return `${path} is not one of the kernel's sources`;
    if (this.storage === null) return "this browser keeps no local storage for the page";
    try {
      if (text === this.shipped[path]) this.storage.removeItem(EDIT_KEY_PREFIX + path);
      else this.storage.setItem(EDIT_KEY_PREFIX + path, text);
      return null;
    } catch (error) {
      return `the browser's storage refused it (${error instanceof Error ? error.name : String(error)})`;
    }
  }

  revert(path: string): void {
    try {
      this.storage?.removeItem(EDIT_KEY_PREFIX + path);
    } catch {
      // Nothing kept, nothing to remove.
    }
  }

  /** Every stored edit that differs from its shipped file, path → text. */
  all(): Record<string, string> {
    const edits: Record<string, string> = {};
    for (const path of this.keys()) {
      const text = this.get(path);
      if (text !== null) edits[path] = text;
    }
    return edits;
  }

  revertAll(): void {
    for (const path of this.keys()) this.revert(path);
  }

  /** Paths with a stored entry (shipped files only). */
  private keys(): string[] {
    const paths: string[] = [];
    try {
      if (this.storage === null) return paths;
      for (let i = 0; i < this.storage.length; i++) {
        const key = this.storage.key(i);
        if (key === null || !key.startsWith(EDIT_KEY_PREFIX)) continue;
        const path = key.slice(EDIT_KEY_PREFIX.length);
        if (path in this.shipped) paths.push(path);
      }
    } catch {
      // Storage switched off: no edits.
    }
    return paths.sort();
  }
}
