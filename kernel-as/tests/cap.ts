// Test entry for the capability core (cap/): the operations themselves, plus
// thin wrappers that keep 64-bit values off the JS boundary (badges arrive as
// two u32 halves, times in ns as f64 — exact below 2^53) and helpers that
// make and retire test objects and walk the derivation tree inside wasm.

export { kernelImageEnd } from "../src/lib/image";
import { frameAlloc, frameFree, framesInit, framesCheck, framesFreeTotal, KIND_KERNEL } from "../src/mm/frames";
import { kfree, kmalloc, slabCheck, slabInit, slabStat } from "../src/mm/slab";
import {
  CAP_OK, capCheck, capCopy, capDelete, capDerive, capInfo, capInit, capInsertRoot, capLookup, capMove,
  capNextSlot, capNodeAt, capNodeCspace, capNodeDepth, capNodeSlot, capRevoke, capTreeNext, cspaceCount,
  cspaceCreate, cspaceDestroy, cspaceFirst, cspaceFreeSlot, cspaceNext, cspaceOwner, cspaceSetOwner, objInit, objRefs,
  objRetire, objType, capNodeRoot, capNodeOrigin, capNodeObject, capRevokeNext, CAP_UNREFERENCED,
} from "../src/cap/cap";
import { capCspaceCacheId, capNodeCacheId } from "../src/cap/records";

export {
  framesInit, framesCheck, framesFreeTotal, kfree, kmalloc, slabCheck, slabInit, slabStat,
  capCheck, capDelete, capInfo, capInit, capNextSlot, capRevoke, cspaceCount, cspaceCreate, cspaceDestroy,
  cspaceFreeSlot, cspaceOwner, cspaceSetOwner, objInit, objRefs, objRetire, objType, capNodeDepth, cspaceFirst,
  cspaceNext, capNodeRoot,
};

// @ts-ignore: decorator
@inline function u64of(hi: u32, lo: u32): u64 { return (<u64>hi << 32) | <u64>lo; }

/** Test objects are 32-byte kmalloc blocks that start with the header. */
const TEST_OBJECT_SIZE: u32 = 32;

/** A fresh object of the given type, or 0 when out of memory or the type
 *  is bad. */
export function objectCreate(type: u32): usize {
  const obj = kmalloc(TEST_OBJECT_SIZE);
  if (obj == 0) return 0;
  if (objInit(obj, type) != CAP_OK) { kfree(obj); return 0; }
  return obj;
}

/** Retires and frees a test object; CAP_ERR_BUSY while it is referenced. */
export function objectDestroy(obj: usize): i32 {
  const r = objRetire(obj);
  if (r != CAP_OK) return r;
  return kfree(obj);
}

export function insertRoot(cs: usize, slot: u32, obj: usize, type: u32, rights: u32, badgeHi: u32, badgeLo: u32): i32 {
  return capInsertRoot(cs, slot, obj, type, rights, u64of(badgeHi, badgeLo));
}

/** Node address as a JS number, or the negative code. */
export function lookup(cs: usize, slot: u32, nowNs: f64, need: u32): f64 {
  return <f64>capLookup(cs, slot, <u64>nowNs, need);
}

export function derive(
  cs: usize, src: u32, dstCs: usize, dst: u32, rights: u32, badgeHi: u32, badgeLo: u32, expiryNs: f64, nowNs: f64,
): i32 {
  return capDerive(cs, src, dstCs, dst, rights, u64of(badgeHi, badgeLo), <u64>expiryNs, <u64>nowNs);
}

export function copy(cs: usize, src: u32, dstCs: usize, dst: u32, nowNs: f64): i32 {
  return capCopy(cs, src, dstCs, dst, <u64>nowNs);
}

export function move(srcCs: usize, src: u32, dstCs: usize, dst: u32, nowNs: f64): i32 {
  return capMove(srcCs, src, dstCs, dst, <u64>nowNs);
}

export function nodeAt(cs: usize, slot: u32): usize { return capNodeAt(cs, slot); }

/** Writes (cspace, slot) u32 pairs of every capability strictly below
 *  (cs, slot), in preorder, to out; returns how many, or -1 for an empty
 *  slot. */
export function subtree(cs: usize, slot: u32, out: usize): i32 {
  const root = capNodeAt(cs, slot);
  if (root == 0) return -1;
  let count: i32 = 0;
  for (let n = capTreeNext(root, root); n != 0; n = capTreeNext(root, n)) {
    store<u32>(out + (<usize>count << 3), <u32>capNodeCspace(n));
    store<u32>(out + (<usize>count << 3) + 4, capNodeSlot(n));
    count++;
  }
  return count;
}

/** Occupied slots of cs written as u32s to out, through capNextSlot. */
export function listSlots(cs: usize, out: usize): i32 {
  let count: i32 = 0;
  for (let s = capNextSlot(cs, 0); s >= 0; s = capNextSlot(cs, <u32>s + 1)) {
    store<u32>(out + (<usize>count << 2), <u32>s);
    count++;
  }
  return count;
}

/** Takes every free frame (order 0) into a list threaded through the
 *  frames themselves; returns the list head. */
export function exhaustFrames(): usize {
  let head: usize = 0;
  let pa = frameAlloc(0, KIND_KERNEL);
  while (pa != 0) {
    store<usize>(pa, head);
    head = pa;
    pa = frameAlloc(0, KIND_KERNEL);
  }
  return head;
}
/** Gives back the frames exhaustFrames took. */
export function releaseFrames(head: usize): void {
  while (head != 0) {
    const next = load<usize>(head);
    frameFree(head, 0);
    head = next;
  }
}

export function nodeCacheId(): u32 { return capNodeCacheId(); }
export function cspaceCacheId(): u32 { return capCspaceCacheId(); }

/** A root reached through the capability in (viaCs, viaSlot) (a file opened
 *  through a directory capability, say): capInsertRoot with an origin. */
export function insertReached(
  cs: usize, slot: u32, obj: usize, type: u32, rights: u32, viaCs: usize, viaSlot: u32, expiryNs: f64,
): i32 {
  return capInsertRoot(cs, slot, obj, type, rights, 0, <u64>expiryNs, capNodeAt(viaCs, viaSlot));
}

/** The origin node of the capability in (cs, slot), 0 for none. */
export function originOf(cs: usize, slot: u32): usize {
  const n = capNodeAt(cs, slot);
  return n == 0 ? 0 : capNodeOrigin(n);
}

/** Revokes (cs, slot) as the system calls do: capRevokeNext, one leaf at a
 *  time. Writes the objects left unreferenced to out + 4 (u32 each) and
 *  their number to out; returns how many capabilities went. */
export function revokeReached(cs: usize, slot: u32, out: usize): i32 {
  const root = capNodeAt(cs, slot);
  let removed: i32 = 0;
  let released: u32 = 0;
  for (let n = capRevokeNext(root); n != 0; n = capRevokeNext(root)) {
    const obj = capNodeObject(n);
    if (capDelete(capNodeCspace(n), capNodeSlot(n)) == CAP_UNREFERENCED) {
      store<u32>(out + 4 + (<usize>released << 2), <u32>obj);
      released++;
    }
    removed++;
  }
  store<u32>(out, released);
  return removed;
}
