// web/code/edit-store.ts: edits per file in the browser's storage, checked
// against a model under random sequences of edits and reverts.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EDIT_KEY_PREFIX, EditStore, type KeyValueStorage } from "./edit-store";

class MapStorage implements KeyValueStorage {
  readonly map = new Map<string, string>();
  full = false;
  get length(): number {
    return this.map.size;
  }
  key(index: number): string | null {
    return [...this.map.keys()][index] ?? null;
  }
  getItem(key: string): string | null {
    return this.map.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    if (this.full) throw new DOMException("full", "QuotaExceededError");
    this.map.set(key, value);
  }
  removeItem(key: string): void {
    this.map.delete(key);
  }
}

const SHIPPED = { "a.ts": "A", "b.ts": "B", "c/d.ts": "D" };
const PATHS = Object.keys(SHIPPED) as (keyof typeof SHIPPED)[];

describe("EditStore", () => {
  it("keeps an edit per file, forgets one equal to the shipped text, leaves other keys alone", () => {
    const storage = new MapStorage();
    storage.setItem("keel-theme", "dark");
    const store = new EditStore(storage, SHIPPED);
    expect(store.set("a.ts", "A2")).toBeNull();
    expect(store.get("a.ts")).toBe("A2");
    expect(store.get("b.ts")).toBeNull();
    expect(store.set("a.ts", "A")).toBeNull();
    expect(storage.map.has(`${EDIT_KEY_PREFIX}a.ts`)).toBe(false);
    expect(store.set("zzz.ts", "x")).toMatch(/not one of the kernel's sources/);
    store.set("b.ts", "B2");
    store.revertAll();
    expect(store.all()).toEqual({});
    expect(storage.getItem("keel-theme")).toBe("dark");
  });

  it("says why an edit was not kept when storage is full or missing", () => {
    const storage = new MapStorage();
    storage.full = true;
    expect(new EditStore(storage, SHIPPED).set("a.ts", "x")).toMatch(/QuotaExceededError/);
    expect(new EditStore(null, SHIPPED).set("a.ts", "x")).toMatch(/no local storage/);
    expect(new EditStore(null, SHIPPED).all()).toEqual({});
  });

  it("agrees with a model after every step of random edits and reverts", () => {
    const step = fc.oneof(
      fc.record({ op: fc.constant("set" as const), path: fc.constantFrom(...PATHS), text: fc.constantFrom("A", "B", "D", "x", "") }),
      fc.record({ op: fc.constant("revert" as const), path: fc.constantFrom(...PATHS) }),
      fc.record({ op: fc.constant("revertAll" as const) }),
    );
    fc.assert(fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
      const storage = new MapStorage();
      const store = new EditStore(storage, SHIPPED);
      const model = new Map<string, string>();
      for (const s of steps) {
        if (s.op === "set") {
          store.set(s.path, s.text);
          if (s.text === SHIPPED[s.path]) model.delete(s.path);
          else model.set(s.path, s.text);
        } else if (s.op === "revert") {
          store.revert(s.path);
          model.delete(s.path);
        } else {
          store.revertAll();
          model.clear();
        }
        expect(store.all()).toEqual(Object.fromEntries([...model].sort()));
        // Nothing equal to the shipped text is stored; a fresh store over the same storage sees the same edits.
        for (const [key, value] of storage.map) expect(value).not.toBe(SHIPPED[key.slice(EDIT_KEY_PREFIX.length) as keyof typeof SHIPPED]);
        expect(new EditStore(storage, SHIPPED).all()).toEqual(store.all());
      }
    }));
  });
});
