// Capability records: the typed accessors for everything the capability
// layer keeps in memory. Layer: cap, lowest; relies on mm/slab for its two
// object caches and lib/layout for its state record. This is the only file
// in cap/ that touches memory at raw offsets.
//
//   CapState   at KSTATE_CAP (4 KiB slot, reserved for cap/ in layout.ts):
//              cache ids, counts, the list of live cspaces.
//   ObjHeader  the first OBJ_HEADER_SIZE bytes of every kernel object a
//              capability can name; the object's owner embeds it and calls
//              objInit. refs = capabilities naming the object.
//   CapNode    one capability: object, type, rights, badge, expiry, its
//              place in the derivation tree (parent, first child, siblings),
//              the capability it was reached through (origin, for a root
//              made by opening something through another capability; with
//              a count of the nodes whose origin it is) and where it lives
//              (cspace, slot). Nodes are global records
//              from their own slab cache; a tree may span any number of
//              cspaces.
//   Cspace     a header then CSPACE_SLOTS u32 slots, each 0 or a CapNode.
//
// Invariants (capCheck verifies them all): a node is in exactly one slot and
// its (cspace, slot) names that slot; a root has no siblings; children are
// doubly linked from parent.firstChild with prev = 0 at the head.

import { KSTATE_CAP } from "../lib/layout";
import { cacheAlloc, cacheCreate, cacheDestroy, kfree } from "../mm/slab";
import { CSPACE_SLOTS } from "./codes";

const CAP_STATE_MAGIC: u32 = 0x5043_4143;  // "CACP"
const NODE_MAGIC: u32 = 0x4E50_4143;       // "CAPN"
const CSPACE_MAGIC: u32 = 0x5053_4343;     // "CCSP"
const OBJ_MAGIC: u32 = 0x4A42_4F4B;        // "KOBJ"

// ---- State record --------------------------------------------------------------

@unmanaged class CapState {
  magic: u32;
  nodeCache: u32;
  cspaceCache: u32;
  nodes: u32;        // CapNodes allocated
  cspaces: u32;      // live cspaces
  firstCspace: u32;  // head of the live-cspace list
}

// @ts-ignore: decorator
@inline function capState(): CapState { return changetype<CapState>(KSTATE_CAP); }

export function capStateReady(): bool { return capState().magic == CAP_STATE_MAGIC; }

/** Sets up the state record and the node and cspace caches. Returns false
 *  when the slab allocator cannot create them. Calling it again is harmless. */
export function capStateInit(): bool {
  const s = capState();
  if (s.magic == CAP_STATE_MAGIC) return true;
  const nodeCache = cacheCreate(<u32>offsetof<CapNode>(), "cap node");
  if (nodeCache < 0) return false;
  const cspaceCache = cacheCreate(<u32>(CSPACE_HEADER_SIZE + (<usize>CSPACE_SLOTS << 2)), "cspace");
  if (cspaceCache < 0) {
    cacheDestroy(<u32>nodeCache);
    return false;
  }
  s.nodeCache = <u32>nodeCache;
  s.cspaceCache = <u32>cspaceCache;
  s.nodes = 0;
  s.cspaces = 0;
  s.firstCspace = 0;
  s.magic = CAP_STATE_MAGIC;
  return true;
}

export function capNodeCount(): u32 { return capState().nodes; }
export function capCspaceCount(): u32 { return capState().cspaces; }
export function capFirstCspace(): usize { return <usize>capState().firstCspace; }
export function capNodeCacheId(): u32 { return capState().nodeCache; }
export function capCspaceCacheId(): u32 { return capState().cspaceCache; }

// ---- Object header --------------------------------------------------------------

/** The header at the start of every capability-named kernel object. */
@unmanaged class ObjHeader {
  magic: u32;
  type: u32;
  refs: u32;   // capabilities naming the object
  mark: u32;   // scratch for capCheck's reference count
}
export const OBJ_HEADER_SIZE: usize = 16;

// @ts-ignore: decorator
@inline function header(obj: usize): ObjHeader { return changetype<ObjHeader>(obj); }

export function objHeaderInit(obj: usize, type: u32): void {
  const h = header(obj);
  h.magic = OBJ_MAGIC;
  h.type = type;
  h.refs = 0;
  h.mark = 0;
}
export function objHeaderClear(obj: usize): void { header(obj).magic = 0; }
export function objHeaderValid(obj: usize): bool { return obj != 0 && header(obj).magic == OBJ_MAGIC; }
export function objHeaderType(obj: usize): u32 { return header(obj).type; }
export function objHeaderRefs(obj: usize): u32 { return header(obj).refs; }
export function objHeaderSetRefs(obj: usize, refs: u32): void { header(obj).refs = refs; }
export function objHeaderMark(obj: usize): u32 { return header(obj).mark; }
export function objHeaderSetMark(obj: usize, mark: u32): void { header(obj).mark = mark; }

// ---- Capability nodes --------------------------------------------------------------

/** One capability (56 bytes). Links are node addresses, 0 = none. */
@unmanaged class CapNode {
  object: u32;
  type: u8;
  rights: u8;
  slot: u16;
  badge: u64;
  expiry: u64;       // virtual ns; 0 = never
  parent: u32;
  firstChild: u32;
  nextSibling: u32;
  prevSibling: u32;
  cspace: u32;
  magic: u32;
  origin: u32;       // a root reached through another capability: that one (0 = none)
  dependents: u32;   // nodes whose origin is this one
}

// @ts-ignore: decorator
@inline function node(n: usize): CapNode { return changetype<CapNode>(n); }

/** A zeroed node with a valid magic, or 0 when out of memory. */
export function nodeAlloc(): usize {
  const n = cacheAlloc(capState().nodeCache);
  if (n == 0) return 0;
  memory.fill(n, 0, offsetof<CapNode>());
  node(n).magic = NODE_MAGIC;
  capState().nodes++;
  return n;
}
export function nodeFree(n: usize): void {
  node(n).magic = 0;
  kfree(n);
  capState().nodes--;
}
export function nodeValid(n: usize): bool { return n != 0 && node(n).magic == NODE_MAGIC; }

export function nodeObject(n: usize): usize { return <usize>node(n).object; }
export function nodeType(n: usize): u32 { return <u32>node(n).type; }
export function nodeRights(n: usize): u32 { return <u32>node(n).rights; }
export function nodeBadge(n: usize): u64 { return node(n).badge; }
export function nodeExpiry(n: usize): u64 { return node(n).expiry; }
export function nodeParent(n: usize): usize { return <usize>node(n).parent; }
export function nodeFirstChild(n: usize): usize { return <usize>node(n).firstChild; }
export function nodeNextSibling(n: usize): usize { return <usize>node(n).nextSibling; }
export function nodePrevSibling(n: usize): usize { return <usize>node(n).prevSibling; }
export function nodeCspace(n: usize): usize { return <usize>node(n).cspace; }
export function nodeSlot(n: usize): u32 { return <u32>node(n).slot; }
export function nodeOrigin(n: usize): usize { return <usize>node(n).origin; }
export function nodeDependents(n: usize): u32 { return node(n).dependents; }
export function nodeSetOrigin(n: usize, o: usize): void { node(n).origin = <u32>o; }
export function nodeSetDependents(n: usize, count: u32): void { node(n).dependents = count; }

export function nodeSetCap(n: usize, obj: usize, type: u32, rights: u32, badge: u64, expiry: u64): void {
  const r = node(n);
  r.object = <u32>obj;
  r.type = <u8>type;
  r.rights = <u8>rights;
  r.badge = badge;
  r.expiry = expiry;
}
export function nodeSetParent(n: usize, p: usize): void { node(n).parent = <u32>p; }
export function nodeSetFirstChild(n: usize, c: usize): void { node(n).firstChild = <u32>c; }
export function nodeSetNextSibling(n: usize, s: usize): void { node(n).nextSibling = <u32>s; }
export function nodeSetPrevSibling(n: usize, s: usize): void { node(n).prevSibling = <u32>s; }
export function nodeSetPlace(n: usize, cs: usize, slot: u32): void {
  node(n).cspace = <u32>cs;
  node(n).slot = <u16>slot;
}

// ---- Cspaces --------------------------------------------------------------------------

@unmanaged class CspaceHeader {
  magic: u32;
  used: u32;    // occupied slots
  next: u32;    // live-cspace list
  prev: u32;
  owner: u32;   // free for the caller (a process slot, say); 0 by default
}
const CSPACE_HEADER_SIZE: usize = 32;

// @ts-ignore: decorator
@inline function cspace(cs: usize): CspaceHeader { return changetype<CspaceHeader>(cs); }
// @ts-ignore: decorator
@inline function slotAddr(cs: usize, slot: u32): usize { return cs + CSPACE_HEADER_SIZE + (<usize>slot << 2); }

/** A new empty cspace on the live list, or 0 when out of memory. */
export function cspaceAlloc(): usize {
  const s = capState();
  const cs = cacheAlloc(s.cspaceCache);
  if (cs == 0) return 0;
  memory.fill(cs, 0, CSPACE_HEADER_SIZE + (<usize>CSPACE_SLOTS << 2));
  const h = cspace(cs);
  h.magic = CSPACE_MAGIC;
  h.next = s.firstCspace;
  if (s.firstCspace != 0) cspace(<usize>s.firstCspace).prev = <u32>cs;
  s.firstCspace = <u32>cs;
  s.cspaces++;
  return cs;
}

/** Unlinks and frees a cspace; its slots must already be empty. */
export function cspaceFree(cs: usize): void {
  const s = capState();
  const h = cspace(cs);
  if (h.prev != 0) cspace(<usize>h.prev).next = h.next;
  else s.firstCspace = h.next;
  if (h.next != 0) cspace(<usize>h.next).prev = h.prev;
  h.magic = 0;
  kfree(cs);
  s.cspaces--;
}

export function cspaceValid(cs: usize): bool { return cs != 0 && cspace(cs).magic == CSPACE_MAGIC; }
export function cspaceUsed(cs: usize): u32 { return cspace(cs).used; }
export function cspaceNextLive(cs: usize): usize { return <usize>cspace(cs).next; }
export function cspacePrevLive(cs: usize): usize { return <usize>cspace(cs).prev; }
export function cspaceOwnerGet(cs: usize): u32 { return cspace(cs).owner; }
export function cspaceOwnerSet(cs: usize, owner: u32): void { cspace(cs).owner = owner; }

/** Writes entry `index` of a caller's array of u32 (cspaceDestroy's list of
 *  unreferenced objects). */
export function wordArrayPut(array: usize, index: u32, value: u32): void {
  store<u32>(array + (<usize>index << 2), value);
}

export function slotGet(cs: usize, slot: u32): usize { return <usize>load<u32>(slotAddr(cs, slot)); }

/** Puts node n in an empty slot and records the place in the node. */
export function slotPut(cs: usize, slot: u32, n: usize): void {
  store<u32>(slotAddr(cs, slot), <u32>n);
  nodeSetPlace(n, cs, slot);
  cspace(cs).used++;
}

/** Empties an occupied slot. */
export function slotClear(cs: usize, slot: u32): void {
  store<u32>(slotAddr(cs, slot), 0);
  cspace(cs).used--;
}
