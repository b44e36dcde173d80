// The derivation tree: links between capability nodes. Layer: cap, above
// records.ts. Every capability is either a root (made by capInsertRoot; no
// parent, no siblings) or the child of the capability it was derived from.
// Children form a doubly linked list from parent.firstChild (prev = 0 at the
// head; new children go at the head). The tree spans cspaces: links are node
// addresses, never (cspace, slot) pairs, so a move changes no link.
//
// Nothing here allocates or fails; callers (cap.ts) decide, these perform.
// Walks are iterative: the kernel has no stack to spare for recursion.

import { CAP_MAX_DEPTH } from "./codes";
import {
  nodeFirstChild, nodeNextSibling, nodeParent, nodePrevSibling, nodeSetFirstChild, nodeSetNextSibling,
  nodeSetParent, nodeSetPrevSibling,
} from "./records";

/** Makes child (unlinked) the first child of parent. */
export function treeAttach(parent: usize, child: usize): void {
  const first = nodeFirstChild(parent);
  nodeSetParent(child, parent);
  nodeSetPrevSibling(child, 0);
  nodeSetNextSibling(child, first);
  if (first != 0) nodeSetPrevSibling(first, child);
  nodeSetFirstChild(parent, child);
}

/** Removes node n from the tree. Its children take its place in its parent's
 *  child list, in order (or become roots when n is a root). n ends unlinked. */
export function treeRemove(n: usize): void {
  const parent = nodeParent(n);
  const prev = nodePrevSibling(n);
  const next = nodeNextSibling(n);
  const first = nodeFirstChild(n);
  if (parent == 0) {
    // Each child becomes a root: no parent, no siblings.
    let c = first;
    while (c != 0) {
      const after = nodeNextSibling(c);
      nodeSetParent(c, 0);
      nodeSetPrevSibling(c, 0);
      nodeSetNextSibling(c, 0);
      c = after;
    }
  } else if (first == 0) {
    if (prev != 0) nodeSetNextSibling(prev, next);
    else nodeSetFirstChild(parent, next);
    if (next != 0) nodeSetPrevSibling(next, prev);
  } else {
    // Splice [first .. last] in where n was.
    let last = first;
    nodeSetParent(first, parent);
    while (nodeNextSibling(last) != 0) {
      last = nodeNextSibling(last);
      nodeSetParent(last, parent);
    }
    nodeSetPrevSibling(first, prev);
    if (prev != 0) nodeSetNextSibling(prev, first);
    else nodeSetFirstChild(parent, first);
    nodeSetNextSibling(last, next);
    if (next != 0) nodeSetPrevSibling(next, last);
  }
  nodeSetParent(n, 0);
  nodeSetFirstChild(n, 0);
  nodeSetPrevSibling(n, 0);
  nodeSetNextSibling(n, 0);
}

/** Distance from n to its root (a root has depth 0). Stops counting past
 *  CAP_MAX_DEPTH + 1, so a damaged (cyclic) tree cannot hang the walk. */
export function treeDepth(n: usize): u32 {
  let d: u32 = 0;
  let p = nodeParent(n);
  while (p != 0 && d <= CAP_MAX_DEPTH) {
    d++;
    p = nodeParent(p);
  }
  return d;
}

/** Number of direct children of n. */
export function treeChildCount(n: usize): u32 {
  let count: u32 = 0;
  let c = nodeFirstChild(n);
  while (c != 0) { count++; c = nodeNextSibling(c); }
  return count;
}

/** The node after n in a preorder walk of the subtree under root (n = root
 *  starts the walk), or 0 when the subtree is done. */
export function treeNext(root: usize, n: usize): usize {
  const child = nodeFirstChild(n);
  if (child != 0) return child;
  let cur = n;
  while (cur != root) {
    const next = nodeNextSibling(cur);
    if (next != 0) return next;
    cur = nodeParent(cur);
  }
  return 0;
}

/** The deepest first-descendant of n: a leaf of n's subtree (n itself when
 *  it has no children). Used to delete a subtree bottom-up. */
export function treeFirstLeaf(n: usize): usize {
  let cur = n;
  while (nodeFirstChild(cur) != 0) cur = nodeFirstChild(cur);
  return cur;
}
