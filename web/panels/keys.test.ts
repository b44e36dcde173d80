import { describe, expect, it } from "vitest";
import { nextCell, nextRow, nextTab } from "./keys";

describe("nextTab", () => {
  it("wraps left and right and jumps with Home/End", () => {
    expect(nextTab(0, "ArrowLeft", 5)).toBe(4);
    expect(nextTab(4, "ArrowRight", 5)).toBe(0);
    expect(nextTab(2, "Home", 5)).toBe(0);
    expect(nextTab(2, "End", 5)).toBe(4);
    expect(nextTab(2, "ArrowDown", 5)).toBeNull();
  });
});

describe("nextRow", () => {
  it("moves without wrapping", () => {
    expect(nextRow(0, "ArrowUp", 3)).toBe(0);
    expect(nextRow(2, "ArrowDown", 3)).toBe(2);
    expect(nextRow(0, "PageDown", 30, 10)).toBe(10);
    expect(nextRow(5, "End", 30)).toBe(29);
    expect(nextRow(5, "x", 30)).toBeNull();
    expect(nextRow(0, "ArrowDown", 0)).toBeNull();
  });
});

describe("nextCell", () => {
  it("moves through a grid of frames, staying inside it", () => {
    expect(nextCell(0, "ArrowDown", 256, 1000)).toBe(256);
    expect(nextCell(900, "ArrowDown", 256, 1000)).toBe(900);
    expect(nextCell(10, "ArrowUp", 256, 1000)).toBe(10);
    expect(nextCell(999, "ArrowRight", 256, 1000)).toBe(999);
    expect(nextCell(0, "PageDown", 10, 1000, 16)).toBe(160);
    expect(nextCell(5, "End", 10, 1000)).toBe(999);
  });
});
