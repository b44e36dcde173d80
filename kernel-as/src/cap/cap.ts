// Capabilities: the operations system calls sit on. Layer: cap, above
// records.ts (memory) and tree.ts (links); relies on mm/slab through them.
// The model, the rules and every code are described in docs/capabilities.md.
//
// Every operation is written in two halves, seL4 style: the decode half
// checks the cspaces, slots, rights, badge, expiry and memory, and returns a
// CAP_ERR_* code for the first thing wrong; the perform half changes state
// and cannot fail. Bad input never reaches the perform half, so a failed
// call leaves every cspace and the tree exactly as they were.
//
// Rules in brief:
//   * derive keeps or drops rights, never adds; needs RIGHT_DELEGATE on the
//     source, and RIGHT_GRANT as well when the child goes to another cspace;
//   * copy is a derive with the source's own rights, badge and expiry: the
//     copy is a child of the source, so revoking the source removes it;
//   * a badge is set once: deriving from a badged capability keeps its badge;
//   * a child never outlives its parent: its expiry is the earlier of the
//     two; expiry is checked at every use (lookup, derive, copy, move);
//   * delete re-attaches the deleted capability's children to its parent
//     (they become roots when it was a root), so dropping a capability never
//     takes away what was delegated from it; revoke is the operation that
//     does that;
//   * a root made by reaching an object through another capability (a file
//     opened through a directory capability) records that capability as its
//     origin: it holds no right the origin lacks, expires no later, and is
//     removed with what revoking anything above its origin removes
//     (capRevokeNext); deleting an origin hands its dependents to what it
//     was itself reached through;
//   * the object's reference count is the number of capabilities naming it;
//     the delete that takes it to zero returns CAP_UNREFERENCED and the
//     caller destroys the object (its type says how).
//
// Concurrency: single vCPU; a lock word goes in CapState when there are more.

import {
  CAP_ERR_BAD_CSPACE, CAP_ERR_BAD_EXPIRY, CAP_ERR_BAD_OBJECT, CAP_ERR_BAD_RIGHTS, CAP_ERR_BAD_SLOT, CAP_ERR_BAD_TYPE,
  CAP_ERR_BUSY, CAP_ERR_CSPACE_FULL, CAP_ERR_EMPTY, CAP_ERR_EXPIRED, CAP_ERR_NO_DELEGATE, CAP_ERR_NO_GRANT,
  CAP_ERR_NO_MEMORY, CAP_ERR_NO_RIGHTS, CAP_ERR_NOT_READY, CAP_ERR_OCCUPIED, CAP_ERR_REBADGE, CAP_ERR_RIGHTS_GROW,
  CAP_ERR_TOO_DEEP, CAP_MAX_DEPTH, CAP_MAX_REACH, CAP_NO_SLOT, CAP_OK, CAP_SLOT_ANY, CAP_UNREFERENCED, CSPACE_SLOTS,
  KOBJ_TYPE_COUNT, RIGHT_DELEGATE, RIGHT_GRANT, RIGHTS_ALL,
} from "./codes";
import {
  capFirstCspace, capStateInit, capStateReady, cspaceAlloc, cspaceFree, cspaceNextLive, cspaceOwnerGet,
  cspaceOwnerSet, cspaceUsed, cspaceValid, nodeAlloc, nodeBadge, nodeCspace, nodeExpiry, nodeFirstChild, nodeFree,
  nodeObject, nodeParent, nodeRights, nodeSetCap, nodeSlot, nodeType, nodeValid, objHeaderClear, objHeaderInit,
  nodeOrigin, nodeSetOrigin, nodeDependents, nodeSetDependents, nodeNextSibling,
  objHeaderRefs, objHeaderSetRefs, objHeaderType, objHeaderValid, slotClear, slotGet, slotPut, wordArrayPut,
} from "./records";
import { treeAttach, treeChildCount, treeDepth, treeFirstLeaf, treeNext, treeRemove } from "./tree";

export * from "./codes";
export { OBJ_HEADER_SIZE } from "./records";
export { capCheck } from "./check";

// ---- Setup -------------------------------------------------------------------------

/** Sets up the capability layer. Call after slabInit. */
export function capInit(): i32 {
  return capStateInit() ? CAP_OK : CAP_ERR_NO_MEMORY;
}

// ---- Kernel objects ------------------------------------------------------------------

/** Writes a fresh header (no capabilities yet) at the start of a kernel
 *  object of the given type (KOBJ_*). The object's owner calls this before
 *  the first capInsertRoot naming it. Refuses (CAP_ERR_BUSY) to reset the
 *  header of an object that capabilities still name. */
export function objInit(obj: usize, type: u32): i32 {
  if (obj == 0) return CAP_ERR_BAD_OBJECT;
  if (type == 0 || type >= KOBJ_TYPE_COUNT) return CAP_ERR_BAD_TYPE;
  if (objHeaderValid(obj) && objHeaderRefs(obj) != 0) return CAP_ERR_BUSY;
  objHeaderInit(obj, type);
  return CAP_OK;
}

/** The object's KOBJ_* type, or 0 when obj has no valid header. */
export function objType(obj: usize): u32 { return objHeaderValid(obj) ? objHeaderType(obj) : 0; }

/** Capabilities naming the object (0 also when obj has no valid header). */
export function objRefs(obj: usize): u32 { return objHeaderValid(obj) ? objHeaderRefs(obj) : 0; }

/** Invalidates the header of an object that no capability names, before its
 *  owner frees it; CAP_ERR_BUSY while capabilities remain. */
export function objRetire(obj: usize): i32 {
  if (!objHeaderValid(obj)) return CAP_ERR_BAD_OBJECT;
  if (objHeaderRefs(obj) != 0) return CAP_ERR_BUSY;
  objHeaderClear(obj);
  return CAP_OK;
}

// ---- Cspaces ---------------------------------------------------------------------------

/** A new, empty cspace of CSPACE_SLOTS slots, or 0 when out of memory or
 *  before capInit. */
export function cspaceCreate(): usize {
  if (!capStateReady()) return 0;
  return cspaceAlloc();
}

/** Deletes every capability in cs (as capDelete does: children elsewhere are
 *  re-attached, not removed) and frees it. The objects left unreferenced are
 *  written to out as u32 addresses (out must hold CSPACE_SLOTS of them; 0 =
 *  do not report) and their number is returned; the caller destroys them. */
export function cspaceDestroy(cs: usize, out: usize): i32 {
  if (!capStateReady()) return CAP_ERR_NOT_READY;
  if (!cspaceValid(cs)) return CAP_ERR_BAD_CSPACE;
  let released: u32 = 0;
  for (let slot: u32 = 0; slot < CSPACE_SLOTS; slot++) {
    const n = slotGet(cs, slot);
    if (n == 0) continue;
    const obj = nodeObject(n);
    if (removeCap(n)) {
      if (out != 0) wordArrayPut(out, released, <u32>obj);
      released++;
    }
  }
  cspaceFree(cs);
  return <i32>released;
}

/** The live cspaces, for listings across every process:
 *  for (cs = cspaceFirst(); cs != 0; cs = cspaceNext(cs)). */
export function cspaceFirst(): usize { return capStateReady() ? capFirstCspace() : 0; }
export function cspaceNext(cs: usize): usize { return cspaceValid(cs) ? cspaceNextLive(cs) : 0; }

/** A word the caller may attach to a cspace (its process, say). */
export function cspaceSetOwner(cs: usize, owner: u32): i32 {
  if (!cspaceValid(cs)) return CAP_ERR_BAD_CSPACE;
  cspaceOwnerSet(cs, owner);
  return CAP_OK;
}
export function cspaceOwner(cs: usize): u32 { return cspaceValid(cs) ? cspaceOwnerGet(cs) : 0; }

/** Occupied slots in cs (0 for a bad cspace). */
export function cspaceCount(cs: usize): u32 { return cspaceValid(cs) ? cspaceUsed(cs) : 0; }

/** The lowest free slot >= from, or CAP_ERR_CSPACE_FULL / CAP_ERR_BAD_*. */
export function cspaceFreeSlot(cs: usize, from: u32): i32 {
  if (!cspaceValid(cs)) return CAP_ERR_BAD_CSPACE;
  if (from >= CSPACE_SLOTS) return CAP_ERR_BAD_SLOT;
  for (let slot = from; slot < CSPACE_SLOTS; slot++) if (slotGet(cs, slot) == 0) return <i32>slot;
  return CAP_ERR_CSPACE_FULL;
}

/** The first occupied slot >= from, or CAP_NO_SLOT: walks a cspace for a
 *  `caps` listing (for (s = capNextSlot(cs, 0); s >= 0; s = capNextSlot(cs, s + 1))). */
export function capNextSlot(cs: usize, from: u32): i32 {
  if (!cspaceValid(cs)) return CAP_NO_SLOT;
  for (let slot = from; slot < CSPACE_SLOTS; slot++) if (slotGet(cs, slot) != 0) return <i32>slot;
  return CAP_NO_SLOT;
}

// ---- Decode helpers ------------------------------------------------------------------------

// @ts-ignore: decorator
@inline function expired(n: usize, nowNs: u64): bool {
  const e = nodeExpiry(n);
  return e != 0 && nowNs >= e;
}

/** The destination slot for dst (CAP_SLOT_ANY = lowest free), or a code. */
function destinationSlot(cs: usize, dst: u32): i32 {
  if (dst == CAP_SLOT_ANY) return cspaceFreeSlot(cs, 0);
  return slotGet(cs, dst) == 0 ? <i32>dst : CAP_ERR_OCCUPIED;
}

// @ts-ignore: decorator
@inline function badSlot(slot: u32): bool { return slot >= CSPACE_SLOTS; }
// @ts-ignore: decorator
@inline function badDestination(slot: u32): bool { return slot != CAP_SLOT_ANY && slot >= CSPACE_SLOTS; }

/** The earlier of two expiries, 0 meaning never. */
// @ts-ignore: decorator
@inline function earlierExpiry(a: u64, b: u64): u64 {
  if (a == 0) return b;
  if (b == 0) return a;
  return a < b ? a : b;
}

// ---- Origins: capabilities reached through other capabilities -----------------------------

/** What n was reached through: its parent, or for a root its origin (0 for neither). */
function upOf(n: usize): usize {
  const p = nodeParent(n);
  return p != 0 ? p : nodeOrigin(n);
}

/** Steps from n along parent and origin links to a capability reached
 *  through nothing; stops counting past CAP_MAX_REACH. */
function reachDepth(n: usize): u32 {
  let d: u32 = 0;
  let u = upOf(n);
  while (u != 0 && d <= CAP_MAX_REACH) {
    d++;
    u = upOf(u);
  }
  return d;
}

function addDependent(o: usize): void { if (o != 0) nodeSetDependents(o, nodeDependents(o) + 1); }
function dropDependent(o: usize): void { if (o != 0) nodeSetDependents(o, nodeDependents(o) - 1); }

/** A node whose origin is n (n has dependents), found by scanning every cspace. */
function firstDependent(n: usize): usize {
  for (let cs = capFirstCspace(); cs != 0; cs = cspaceNextLive(cs)) {
    for (let slot: u32 = 0; slot < CSPACE_SLOTS; slot++) {
      const m = slotGet(cs, slot);
      if (m != 0 && nodeOrigin(m) == n) return m;
    }
  }
  return 0;
}

/** n is going: everything reached through it is reached through what n was
 *  reached through (its parent, or its origin) from now on. */
function handOnDependents(n: usize): void {
  const to = upOf(n);
  if (nodeDependents(n) > 0) {
    for (let cs = capFirstCspace(); cs != 0; cs = cspaceNextLive(cs)) {
      for (let slot: u32 = 0; slot < CSPACE_SLOTS; slot++) {
        const m = slotGet(cs, slot);
        if (m == 0 || nodeOrigin(m) != n) continue;
        nodeSetOrigin(m, to);
        addDependent(to);
      }
    }
    nodeSetDependents(n, 0);
  }
  // A root's children become roots; one reached through an origin leaves
  // them reached through that origin.
  const origin = nodeOrigin(n);
  if (nodeParent(n) == 0 && origin != 0) {
    for (let c = nodeFirstChild(n); c != 0; c = nodeNextSibling(c)) {
      nodeSetOrigin(c, origin);
      addDependent(origin);
    }
  }
  dropDependent(origin);
  nodeSetOrigin(n, 0);
}

// ---- Perform helpers -------------------------------------------------------------------------

/** Takes node n out of its slot and the tree and frees it. True when that
 *  was the last capability naming its object. */
function removeCap(n: usize): bool {
  const obj = nodeObject(n);
  handOnDependents(n);
  slotClear(nodeCspace(n), nodeSlot(n));
  treeRemove(n);
  nodeFree(n);
  const refs = objHeaderRefs(obj) - 1;
  objHeaderSetRefs(obj, refs);
  return refs == 0;
}

// ---- Operations --------------------------------------------------------------------------------

/** A fresh original capability to obj in (cs, slot), valid until expiry
 *  (0 = never; an object reached through an expiring capability, such as a
 *  file opened through a directory capability, carries its deadline).
 *  Returns the slot used (slot may be CAP_SLOT_ANY) or a CAP_ERR_* code. */
export function capInsertRoot(
  cs: usize, slot: u32, obj: usize, type: u32, rights: u32, badge: u64, expiry: u64 = 0, origin: usize = 0,
): i32 {
  // Decode.
  if (!capStateReady()) return CAP_ERR_NOT_READY;
  if (!cspaceValid(cs)) return CAP_ERR_BAD_CSPACE;
  if (badDestination(slot)) return CAP_ERR_BAD_SLOT;
  if ((rights & ~RIGHTS_ALL) != 0) return CAP_ERR_BAD_RIGHTS;
  if (type == 0 || type >= KOBJ_TYPE_COUNT) return CAP_ERR_BAD_TYPE;
  if (!objHeaderValid(obj)) return CAP_ERR_BAD_OBJECT;
  if (objHeaderType(obj) != type) return CAP_ERR_BAD_TYPE;
  if (origin != 0) {
    if (!nodeValid(origin)) return CAP_ERR_BAD_OBJECT;
    if ((rights & ~nodeRights(origin)) != 0) return CAP_ERR_RIGHTS_GROW;
    if (reachDepth(origin) >= CAP_MAX_REACH) return CAP_ERR_TOO_DEEP;
  }
  const dst = destinationSlot(cs, slot);
  if (dst < 0) return dst;
  const n = nodeAlloc();
  if (n == 0) return CAP_ERR_NO_MEMORY;
  // Perform.
  nodeSetCap(n, obj, type, rights, badge, origin != 0 ? earlierExpiry(expiry, nodeExpiry(origin)) : expiry);
  nodeSetOrigin(n, origin);
  addDependent(origin);
  slotPut(cs, <u32>dst, n);
  objHeaderSetRefs(obj, objHeaderRefs(obj) + 1);
  return dst;
}

/** The capability in (cs, slot) if it is present, unexpired at nowNs and
 *  holds every right in needRights: its node address (> 0; read it with the
 *  capNode* accessors), or a negative CAP_ERR_* code. */
export function capLookup(cs: usize, slot: u32, nowNs: u64, needRights: u32): i64 {
  if (!capStateReady()) return CAP_ERR_NOT_READY;
  if (!cspaceValid(cs)) return CAP_ERR_BAD_CSPACE;
  if (badSlot(slot)) return CAP_ERR_BAD_SLOT;
  if ((needRights & ~RIGHTS_ALL) != 0) return CAP_ERR_BAD_RIGHTS;
  const n = slotGet(cs, slot);
  if (n == 0) return CAP_ERR_EMPTY;
  if (expired(n, nowNs)) return CAP_ERR_EXPIRED;
  if ((nodeRights(n) & needRights) != needRights) return CAP_ERR_NO_RIGHTS;
  return <i64>n;
}

/** Derives a child of (cs, src) into (dstCs, dst) with the given rights (a
 *  subset of the source's), badge (0 = keep the source's; a badged source
 *  cannot be re-badged) and expiry (0 = the source's; otherwise the earlier
 *  of the two). Needs RIGHT_DELEGATE on the source, and RIGHT_GRANT too when
 *  dstCs is another cspace. Returns the slot used or a CAP_ERR_* code. */
export function capDerive(
  cs: usize, src: u32, dstCs: usize, dst: u32, rights: u32, badge: u64, expiry: u64, nowNs: u64,
): i32 {
  // Decode, in the order docs/capabilities.md lists.
  if (!capStateReady()) return CAP_ERR_NOT_READY;
  if (!cspaceValid(cs) || !cspaceValid(dstCs)) return CAP_ERR_BAD_CSPACE;
  if (badSlot(src) || badDestination(dst)) return CAP_ERR_BAD_SLOT;
  if ((rights & ~RIGHTS_ALL) != 0) return CAP_ERR_BAD_RIGHTS;
  const n = slotGet(cs, src);
  if (n == 0) return CAP_ERR_EMPTY;
  if (expired(n, nowNs)) return CAP_ERR_EXPIRED;
  const have = nodeRights(n);
  if ((have & RIGHT_DELEGATE) == 0) return CAP_ERR_NO_DELEGATE;
  if (dstCs != cs && (have & RIGHT_GRANT) == 0) return CAP_ERR_NO_GRANT;
  if ((rights & ~have) != 0) return CAP_ERR_RIGHTS_GROW;
  const srcBadge = nodeBadge(n);
  if (badge != 0 && srcBadge != 0) return CAP_ERR_REBADGE;
  if (expiry != 0 && expiry <= nowNs) return CAP_ERR_BAD_EXPIRY;
  if (treeDepth(n) >= CAP_MAX_DEPTH || reachDepth(n) >= CAP_MAX_REACH) return CAP_ERR_TOO_DEEP;
  const slot = destinationSlot(dstCs, dst);
  if (slot < 0) return slot;
  const child = nodeAlloc();
  if (child == 0) return CAP_ERR_NO_MEMORY;
  // Perform.
  const obj = nodeObject(n);
  nodeSetCap(child, obj, nodeType(n), rights, srcBadge != 0 ? srcBadge : badge, earlierExpiry(nodeExpiry(n), expiry));
  treeAttach(n, child);
  slotPut(dstCs, <u32>slot, child);
  objHeaderSetRefs(obj, objHeaderRefs(obj) + 1);
  return slot;
}

/** An equal copy of (cs, src) in (dstCs, dst): a derive with the source's
 *  rights, badge and expiry, so the copy is the source's child (revoking the
 *  source removes it) and needs what a derive needs. Returns the slot used
 *  or a CAP_ERR_* code (the same codes, in the same order, as capDerive). */
export function capCopy(cs: usize, src: u32, dstCs: usize, dst: u32, nowNs: u64): i32 {
  let rights: u32 = 0;
  if (capStateReady() && cspaceValid(cs) && !badSlot(src)) {
    const n = slotGet(cs, src);
    if (n != 0) rights = nodeRights(n);
  }
  return capDerive(cs, src, dstCs, dst, rights, 0, 0, nowNs);
}

/** Moves the capability in (srcCs, src) to (dstCs, dst), keeping its rights,
 *  badge, expiry, parent and children. Moving to another cspace needs
 *  RIGHT_GRANT. Returns the slot used or a CAP_ERR_* code. */
export function capMove(srcCs: usize, src: u32, dstCs: usize, dst: u32, nowNs: u64): i32 {
  if (!capStateReady()) return CAP_ERR_NOT_READY;
  if (!cspaceValid(srcCs) || !cspaceValid(dstCs)) return CAP_ERR_BAD_CSPACE;
  if (badSlot(src) || badDestination(dst)) return CAP_ERR_BAD_SLOT;
  const n = slotGet(srcCs, src);
  if (n == 0) return CAP_ERR_EMPTY;
  if (expired(n, nowNs)) return CAP_ERR_EXPIRED;
  if (dstCs != srcCs && (nodeRights(n) & RIGHT_GRANT) == 0) return CAP_ERR_NO_GRANT;
  const slot = destinationSlot(dstCs, dst);
  if (slot < 0) return slot;
  slotClear(srcCs, src);
  slotPut(dstCs, <u32>slot, n);
  return slot;
}

/** Removes the capability in (cs, slot). Its children are re-attached to its
 *  parent (or become roots). Returns CAP_UNREFERENCED when it was the last
 *  capability naming its object — read the object (capNodeObject /
 *  capInfo) before deleting, and destroy it — else CAP_OK, or a code.
 *  Needs no right: a process may always drop authority. */
export function capDelete(cs: usize, slot: u32): i32 {
  if (!capStateReady()) return CAP_ERR_NOT_READY;
  if (!cspaceValid(cs)) return CAP_ERR_BAD_CSPACE;
  if (badSlot(slot)) return CAP_ERR_BAD_SLOT;
  const n = slotGet(cs, slot);
  if (n == 0) return CAP_ERR_EMPTY;
  return removeCap(n) ? CAP_UNREFERENCED : CAP_OK;
}

/** Removes every capability derived from (cs, slot), in every cspace, and
 *  keeps (cs, slot) itself. Returns how many were removed, or a code. Needs
 *  no right, and works on an expired capability (cleaning up is always
 *  allowed). It never leaves an object unreferenced: the kept capability
 *  names the same object as everything below it. */
export function capRevoke(cs: usize, slot: u32): i32 {
  if (!capStateReady()) return CAP_ERR_NOT_READY;
  if (!cspaceValid(cs)) return CAP_ERR_BAD_CSPACE;
  if (badSlot(slot)) return CAP_ERR_BAD_SLOT;
  const n = slotGet(cs, slot);
  if (n == 0) return CAP_ERR_EMPTY;
  let removed: i32 = 0;
  // Bottom-up: always remove a leaf, so no removal re-parents anything.
  while (nodeFirstChild(n) != 0) {
    removeCap(treeFirstLeaf(nodeFirstChild(n)));
    removed++;
  }
  return removed;
}

/** One capability that revoking node root removes, or 0 when none is left:
 *  a leaf (no children, nothing reached through it) among root's
 *  descendants and what was reached through them (files opened through a
 *  derived directory capability, and so on down). What was reached through
 *  root itself stays, as root does. A caller that lets capabilities have
 *  origins revokes with this, one removal at a time, so it can destroy the
 *  objects that lose their last capability:
 *  for (n = capRevokeNext(root); n != 0; n = capRevokeNext(root)) delete n.
 *  Removing a leaf re-parents nothing. */
export function capRevokeNext(root: usize): usize {
  if (!capStateReady() || !nodeValid(root)) return 0;
  let m = nodeFirstChild(root);
  if (m == 0) return 0;
  for (let steps: u32 = 0; steps <= CAP_MAX_REACH; steps++) {
    if (nodeFirstChild(m) != 0) { m = nodeFirstChild(m); continue; }
    if (nodeDependents(m) == 0) return m;
    const d = firstDependent(m);
    if (d == 0) return m; // a wrong count: capCheck reports it
    m = d;
  }
  return m;
}

/** The capability n was reached through when it is a root made that way, or 0. */
export function capNodeOrigin(n: usize): usize { return nodeValid(n) ? nodeOrigin(n) : 0; }

// ---- Inspection --------------------------------------------------------------------------------

/** What capInfo writes (CAP_INFO_SIZE bytes). */
@unmanaged export class CapInfo {
  type: u32;
  rights: u32;
  badge: u64;
  expiry: u64;
  depth: u32;         // 0 for a root
  children: u32;      // direct children
  object: u32;
  refs: u32;          // capabilities naming the object
  parentCspace: u32;  // 0 for a root
  parentSlot: u32;    // CAP_SLOT_ANY for a root
  owner: u32;         // cspaceOwner of the capability's own cspace
  reserved: u32;
}
export const CAP_INFO_SIZE: usize = 56;

/** Describes the capability in (cs, slot) in the CapInfo record at out. */
export function capInfo(cs: usize, slot: u32, out: usize): i32 {
  if (!capStateReady()) return CAP_ERR_NOT_READY;
  if (!cspaceValid(cs)) return CAP_ERR_BAD_CSPACE;
  if (badSlot(slot)) return CAP_ERR_BAD_SLOT;
  const n = slotGet(cs, slot);
  if (n == 0) return CAP_ERR_EMPTY;
  const info = changetype<CapInfo>(out);
  const obj = nodeObject(n);
  const parent = nodeParent(n);
  info.type = nodeType(n);
  info.rights = nodeRights(n);
  info.badge = nodeBadge(n);
  info.expiry = nodeExpiry(n);
  info.depth = treeDepth(n);
  info.children = treeChildCount(n);
  info.object = <u32>obj;
  info.refs = objHeaderRefs(obj);
  info.parentCspace = parent != 0 ? <u32>nodeCspace(parent) : 0;
  info.parentSlot = parent != 0 ? nodeSlot(parent) : CAP_SLOT_ANY;
  info.owner = cspaceOwnerGet(cs);
  info.reserved = 0;
  return CAP_OK;
}

// Node accessors for callers holding a node from capLookup or a tree walk.
export function capNodeAt(cs: usize, slot: u32): usize {
  if (!cspaceValid(cs) || badSlot(slot)) return 0;
  return slotGet(cs, slot);
}
export function capNodeObject(n: usize): usize { return nodeObject(n); }
export function capNodeType(n: usize): u32 { return nodeType(n); }
export function capNodeRights(n: usize): u32 { return nodeRights(n); }
export function capNodeBadge(n: usize): u64 { return nodeBadge(n); }
export function capNodeExpiry(n: usize): u64 { return nodeExpiry(n); }
export function capNodeCspace(n: usize): usize { return nodeCspace(n); }
export function capNodeSlot(n: usize): u32 { return nodeSlot(n); }
export function capNodeParent(n: usize): usize { return nodeParent(n); }
export function capNodeDepth(n: usize): u32 { return treeDepth(n); }
/** The root of n's derivation tree (n itself for a root). */
export function capNodeRoot(n: usize): usize {
  let r = n;
  while (nodeParent(r) != 0) r = nodeParent(r);
  return r;
}
export function capNodeValid(n: usize): bool { return nodeValid(n); }

/** Preorder walk of the derivation tree below root: capTreeNext(root, root)
 *  is root's first descendant, and so on, until 0. The tree must not change
 *  during the walk. */
export function capTreeNext(root: usize, n: usize): usize {
  return treeNext(root, n);
}
