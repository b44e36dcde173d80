import { describe, expect, it } from "vitest";
import type { CapTreeNode } from "../../host/inspect-types";
import { treeRows } from "./captree";

const node = (depth: number, pid: number, slot: number): CapTreeNode => ({
  node: pid * 100 + slot, depth, pid, slot, type: "file", rights: "R-----", badge: 0,
});

describe("treeRows", () => {
  it("draws guides for siblings and children", () => {
    const rows = treeRows([node(0, 1, 3), node(1, 2, 3), node(2, 4, 3), node(2, 4, 40), node(1, 3, 3)]);
    expect(rows.map((r) => r.prefix + `${r.node.pid}:${r.node.slot}`)).toEqual([
      "1:3",
      "├─ 2:3",
      "│  ├─ 4:3",
      "│  └─ 4:40",
      "└─ 3:3",
    ]);
  });

  it("leaves no guide under a last child", () => {
    const rows = treeRows([node(0, 1, 0), node(1, 2, 0), node(2, 3, 0)]);
    expect(rows.map((r) => r.prefix)).toEqual(["", "└─ ", "   └─ "]);
  });

  it("never indents a row deeper than one under the row before it", () => {
    const rows = treeRows([node(0, 1, 0), node(3, 2, 0)]);
    expect(rows.map((r) => r.level)).toEqual([0, 1]);
  });

  it("is empty for no nodes", () => {
    expect(treeRows([])).toEqual([]);
  });
});
