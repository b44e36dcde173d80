// The capability derivation tree as an indented list: from the kernel's
// depth-first nodes (CapTreeNode, depth 0 for the root) to rows with guide
// lines ("├─", "└─", "│ ") that show which capability each one was derived
// from. Pure; web/panels/caps-panel.ts renders the rows.

import type { CapTreeNode } from "../../host/inspect-types";

export interface TreeRow {
  node: CapTreeNode;
  /** Guides drawn before the node, e.g. "│  └─ ". */
  prefix: string;
  /** The node's depth, clamped to one more than its parent's (a malformed
   *  list cannot indent a row under a parent that is not there). */
  level: number;
}

export function treeRows(nodes: readonly CapTreeNode[]): TreeRow[] {
  const levels: number[] = [];
  for (const [i, node] of nodes.entries()) {
    const parentLevel = i === 0 ? -1 : levels[i - 1]!;
    levels.push(Math.max(0, Math.min(node.depth, parentLevel + 1)));
  }
  /** Whether the node at i has a later sibling (same level, before any shallower node). */
  const hasNextSibling = (i: number): boolean => {
    for (let j = i + 1; j < nodes.length; j++) {
      if (levels[j]! < levels[i]!) return false;
      if (levels[j] === levels[i]) return true;
    }
    return false;
  };
  // For each open level, whether its current node has a later sibling.
  const open: boolean[] = [];
  return nodes.map((node, i) => {
    const level = levels[i]!;
    open.length = level;
    let prefix = "";
    for (let l = 1; l < level; l++) prefix += open[l] ? "│  " : "   ";
    const more = hasNextSibling(i);
    if (level > 0) prefix += more ? "├─ " : "└─ ";
    open[level] = more;
    return { node, prefix, level };
  });
}
