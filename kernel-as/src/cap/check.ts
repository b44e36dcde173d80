// Capability invariants: capCheck walks every cspace, node and object the
// capability layer knows and reports the first broken invariant. Layer: cap,
// above records.ts and tree.ts; used by tests and the kernel monitor, never
// on a hot path (it is O(nodes x CAP_MAX_DEPTH)).
//
// What it verifies:
//   * the live-cspace list is a proper doubly linked list of valid cspaces,
//     of the recorded length, and each cspace's used count is right;
//   * every occupied slot holds a valid node whose (cspace, slot) names that
//     slot — so no node is in two slots — and the nodes in slots are all the
//     nodes allocated (none leaked, none lost);
//   * tree links agree: a node's parent, children and siblings are placed
//     nodes; a root has no siblings; a list head's prev is 0 and its parent
//     points at it; next/prev are mutual; every child names its parent; the
//     child lists hold exactly the non-root nodes; no parent chain or child
//     list cycles, and no node is deeper than CAP_MAX_DEPTH;
//   * along every edge the child names the parent's object and type, holds
//     no right the parent lacks, expires no later, and keeps a badged
//     parent's badge;
//   * origins: only a root has one; it is a placed node, and the root holds
//     no right it lacks and expires no later; each node's dependents count
//     is the number of nodes whose origin it is; no chain of parent and
//     origin links cycles or is longer than CAP_MAX_REACH;
//   * every object's reference count equals the capabilities naming it.

import { SLAB_STAT_IN_USE, slabStat } from "../mm/slab";
import {
  CAP_CHECK_BADGE, CAP_CHECK_COUNT, CAP_CHECK_CSPACE, CAP_CHECK_CYCLE, CAP_CHECK_DEPTH, CAP_CHECK_EXPIRY,
  CAP_CHECK_LINK, CAP_CHECK_OBJECT, CAP_CHECK_REFS, CAP_CHECK_RIGHTS, CAP_CHECK_SLOT, CAP_CHECK_STATE,
  CAP_CHECK_ORIGIN, CAP_MAX_DEPTH, CAP_MAX_REACH, CAP_OK, CSPACE_SLOTS,
} from "./codes";
import {
  capCspaceCount, capFirstCspace, capNodeCacheId, capNodeCount, capStateReady, cspaceNextLive, cspacePrevLive,
  cspaceUsed, cspaceValid, nodeBadge, nodeCspace, nodeExpiry, nodeFirstChild, nodeNextSibling, nodeObject,
  nodeParent, nodePrevSibling, nodeRights, nodeSlot, nodeType, nodeValid, objHeaderMark, objHeaderRefs,
  objHeaderSetMark, objHeaderType, objHeaderValid, slotGet, nodeOrigin, nodeDependents,
} from "./records";

// ---- Walking every node -------------------------------------------------------------

/** The first occupied slot's node at or after slot `from` of cs, continuing
 *  into the following cspaces; 0 at the end. */
function nodeFrom(cs: usize, from: u32): usize {
  let c = cs;
  let slot = from;
  while (c != 0) {
    for (; slot < CSPACE_SLOTS; slot++) {
      const n = slotGet(c, slot);
      if (n != 0) return n;
    }
    c = cspaceNextLive(c);
    slot = 0;
  }
  return 0;
}
// @ts-ignore: decorator
@inline function firstNode(): usize { return nodeFrom(capFirstCspace(), 0); }
// @ts-ignore: decorator
@inline function nextNode(n: usize): usize { return nodeFrom(nodeCspace(n), nodeSlot(n) + 1); }

/** n is a valid node sitting in the slot it names. */
function placed(n: usize): bool {
  if (!nodeValid(n)) return false;
  const cs = nodeCspace(n);
  const slot = nodeSlot(n);
  return cspaceValid(cs) && slot < CSPACE_SLOTS && slotGet(cs, slot) == n;
}

// ---- The checks ------------------------------------------------------------------------

function checkCspaces(): i32 {
  const expected = capCspaceCount();
  let cs = capFirstCspace();
  let prev: usize = 0;
  let count: u32 = 0;
  let slots: u32 = 0;
  while (cs != 0) {
    if (count >= expected || !cspaceValid(cs) || cspacePrevLive(cs) != prev) return CAP_CHECK_CSPACE;
    let used: u32 = 0;
    for (let slot: u32 = 0; slot < CSPACE_SLOTS; slot++) {
      const n = slotGet(cs, slot);
      if (n == 0) continue;
      used++;
      if (!nodeValid(n) || nodeCspace(n) != cs || nodeSlot(n) != slot) return CAP_CHECK_SLOT;
    }
    if (used != cspaceUsed(cs)) return CAP_CHECK_CSPACE;
    slots += used;
    count++;
    prev = cs;
    cs = cspaceNextLive(cs);
  }
  if (count != expected) return CAP_CHECK_CSPACE;
  if (slots != capNodeCount() || slabStat(capNodeCacheId(), SLAB_STAT_IN_USE) != slots) return CAP_CHECK_COUNT;
  return CAP_OK;
}

/** The edge from parent p to child n keeps every rule of derivation. */
function checkEdge(p: usize, n: usize): i32 {
  if (nodeObject(n) != nodeObject(p) || nodeType(n) != nodeType(p)) return CAP_CHECK_OBJECT;
  if ((nodeRights(n) & ~nodeRights(p)) != 0) return CAP_CHECK_RIGHTS;
  const pe = nodeExpiry(p);
  if (pe != 0 && (nodeExpiry(n) == 0 || nodeExpiry(n) > pe)) return CAP_CHECK_EXPIRY;
  if (nodeBadge(p) != 0 && nodeBadge(n) != nodeBadge(p)) return CAP_CHECK_BADGE;
  return CAP_OK;
}

/** The links around one node, and the rules along the edge to its parent. */
function checkLinks(n: usize): i32 {
  const parent = nodeParent(n);
  const prev = nodePrevSibling(n);
  const next = nodeNextSibling(n);
  const first = nodeFirstChild(n);
  if ((parent != 0 && !placed(parent)) || (prev != 0 && !placed(prev)) || (next != 0 && !placed(next))) {
    return CAP_CHECK_LINK;
  }
  if (first != 0 && !placed(first)) return CAP_CHECK_LINK;
  if (parent == 0) {
    if (prev != 0 || next != 0) return CAP_CHECK_LINK;
  } else {
    if (prev == 0 && nodeFirstChild(parent) != n) return CAP_CHECK_LINK;
    const r = checkEdge(parent, n);
    if (r != CAP_OK) return r;
  }
  if (prev != 0 && (nodeNextSibling(prev) != n || nodeParent(prev) != parent)) return CAP_CHECK_LINK;
  if (next != 0 && nodePrevSibling(next) != n) return CAP_CHECK_LINK;
  if (first != 0 && (nodeParent(first) != n || nodePrevSibling(first) != 0)) return CAP_CHECK_LINK;
  return CAP_OK;
}

/** Depth of n, CAP_CHECK_DEPTH when deeper than allowed, CAP_CHECK_CYCLE
 *  when the parent chain does not end within `total` steps. */
function checkDepth(n: usize, total: u32): i32 {
  let steps: u32 = 0;
  let p = nodeParent(n);
  while (p != 0) {
    if (steps >= total) return CAP_CHECK_CYCLE;
    steps++;
    p = nodeParent(p);
  }
  return steps > CAP_MAX_DEPTH ? CAP_CHECK_DEPTH : CAP_OK;
}

/** Direct children of n (each must name n as parent), or a negative code. */
function countChildren(n: usize, total: u32): i64 {
  let count: u32 = 0;
  let c = nodeFirstChild(n);
  while (c != 0) {
    if (count >= total) return CAP_CHECK_CYCLE;
    if (nodeParent(c) != n) return CAP_CHECK_LINK;
    count++;
    c = nodeNextSibling(c);
  }
  return <i64>count;
}

function checkTree(): i32 {
  const total = capNodeCount();
  let roots: u32 = 0;
  let listed: u32 = 0;
  for (let n = firstNode(); n != 0; n = nextNode(n)) {
    let r = checkLinks(n);
    if (r == CAP_OK) r = checkDepth(n, total);
    if (r != CAP_OK) return r;
    const children = countChildren(n, total);
    if (children < 0) return <i32>children;
    listed += <u32>children;
    if (nodeParent(n) == 0) roots++;
  }
  return listed + roots == total ? CAP_OK : CAP_CHECK_LINK;
}

/** Origin links: where they point, the rules along them, the dependents
 *  counts, and that no chain of parent and origin links cycles. */
function checkOrigins(): i32 {
  const total = capNodeCount();
  for (let n = firstNode(); n != 0; n = nextNode(n)) {
    const o = nodeOrigin(n);
    if (o != 0) {
      if (!placed(o) || nodeParent(n) != 0) return CAP_CHECK_ORIGIN;
      if ((nodeRights(n) & ~nodeRights(o)) != 0) return CAP_CHECK_RIGHTS;
      const oe = nodeExpiry(o);
      if (oe != 0 && (nodeExpiry(n) == 0 || nodeExpiry(n) > oe)) return CAP_CHECK_EXPIRY;
    }
    if (nodeDependents(n) != 0) {
      let count: u32 = 0;
      for (let m = firstNode(); m != 0; m = nextNode(m)) if (nodeOrigin(m) == n) count++;
      if (count != nodeDependents(n)) return CAP_CHECK_ORIGIN;
    } else if (o != 0 && nodeDependents(o) == 0) {
      return CAP_CHECK_ORIGIN;
    }
    let steps: u32 = 0;
    let u = n;
    for (;;) {
      const up = nodeParent(u) != 0 ? nodeParent(u) : nodeOrigin(u);
      if (up == 0) break;
      if (steps >= total) return CAP_CHECK_CYCLE;
      steps++;
      u = up;
    }
    if (steps > CAP_MAX_REACH) return CAP_CHECK_DEPTH;
  }
  return CAP_OK;
}

function checkObjects(): i32 {
  for (let n = firstNode(); n != 0; n = nextNode(n)) {
    const obj = nodeObject(n);
    if (!objHeaderValid(obj) || objHeaderType(obj) != nodeType(n)) return CAP_CHECK_OBJECT;
    objHeaderSetMark(obj, 0);
  }
  for (let n = firstNode(); n != 0; n = nextNode(n)) {
    const obj = nodeObject(n);
    objHeaderSetMark(obj, objHeaderMark(obj) + 1);
  }
  for (let n = firstNode(); n != 0; n = nextNode(n)) {
    const obj = nodeObject(n);
    if (objHeaderRefs(obj) != objHeaderMark(obj)) return CAP_CHECK_REFS;
  }
  return CAP_OK;
}

/** Verifies every invariant above. Returns CAP_OK or the CAP_CHECK_* code of
 *  the first one found broken. */
export function capCheck(): i32 {
  if (!capStateReady()) return CAP_CHECK_STATE;
  let r = checkCspaces();
  if (r == CAP_OK) r = checkTree();
  if (r == CAP_OK) r = checkOrigins();
  if (r == CAP_OK) r = checkObjects();
  return r;
}
