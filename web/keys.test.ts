import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { controlCode, keyBytes, withControl } from "./keys";

describe("keyBytes", () => {
  it("types printable keys as themselves, UTF-8 included", () => {
    expect(keyBytes({ key: "a" })).toBe("a");
    expect(keyBytes({ key: "é" })).toBe("é");
    expect(keyBytes({ key: " " })).toBe(" ");
  });

  it("sends the terminal's bytes for the named keys", () => {
    expect(keyBytes({ key: "Enter" })).toBe("\r");
    expect(keyBytes({ key: "Backspace" })).toBe("\x7f");
    expect(keyBytes({ key: "Escape" })).toBe("\x1b");
    expect(keyBytes({ key: "ArrowUp" })).toBe("\x1b[A");
    expect(keyBytes({ key: "ArrowLeft" })).toBe("\x1b[D");
    expect(keyBytes({ key: "Tab" })).toBe("\t");
  });

  it("makes control codes with Ctrl: Ctrl-C, Ctrl-], Ctrl-\\, Ctrl-Z", () => {
    expect(keyBytes({ key: "c", ctrlKey: true })).toBe("\x03");
    expect(keyBytes({ key: "C", ctrlKey: true })).toBe("\x03");
    expect(keyBytes({ key: "]", ctrlKey: true })).toBe("\x1d");
    expect(keyBytes({ key: "\\", ctrlKey: true })).toBe("\x1c");
    expect(keyBytes({ key: "z", ctrlKey: true })).toBe("\x1a");
  });

  it("types nothing for modifier keys, F-keys, Meta shortcuts and Ctrl with a digit", () => {
    for (const key of ["Shift", "Control", "Alt", "F5", "CapsLock"]) expect(keyBytes({ key })).toBeNull();
    expect(keyBytes({ key: "c", metaKey: true })).toBeNull();
    expect(keyBytes({ key: "5", ctrlKey: true })).toBeNull();
  });

  it("prefixes ESC for Alt", () => {
    expect(keyBytes({ key: "b", altKey: true })).toBe("\x1bb");
  });

  it("gives every letter with Ctrl a code from 1 to 26", () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 25 }), fc.boolean(), (i, upper) => {
      const letter = String.fromCharCode((upper ? 65 : 97) + i);
      expect(keyBytes({ key: letter, ctrlKey: true })).toBe(String.fromCharCode(i + 1));
    }));
  });
});

describe("withControl (the key bar's sticky Ctrl)", () => {
  it("turns the first character into its control code and keeps the rest", () => {
    expect(withControl("c")).toBe("\x03");
    expect(withControl("ab")).toBe("\x01b");
    expect(withControl("]")).toBe("\x1d");
  });

  it("leaves text without a control code alone", () => {
    expect(withControl("5")).toBe("5");
    expect(withControl("é")).toBe("é");
    expect(withControl("")).toBe("");
    expect(controlCode("ab")).toBeNull();
  });
});
