// The capability core (kernel-as/src/cap/) driven through its test entry
// (kernel-as/tests/cap.ts) in a machine-shaped RAM with a real BootInfo.
// Directed tests pin every denial and each rule (copy, delete re-parenting,
// revoke, expiry, badges); a randomized model test runs long sequences of
// create / derive / copy / move / delete / revoke / lookup / cspace create
// and destroy across several cspaces against a JS model, and after every
// step compares the whole state, checks capCheck() == 0, and at the end that
// no kernel memory leaked.

import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { loadKernelTest, type KernelTestInstance } from "../../host/testing/kernel-test.js";

interface Cap {
  framesInit(): number;
  slabInit(): number;
  slabCheck(): number;
  slabStat(id: number, stat: number): number;
  kmalloc(size: number): number;
  kfree(ptr: number): number;

  capInit(): number;
  capCheck(): number;
  cspaceCreate(): number;
  cspaceDestroy(cs: number, out: number): number;
  cspaceCount(cs: number): number;
  cspaceFreeSlot(cs: number, from: number): number;
  cspaceSetOwner(cs: number, owner: number): number;
  cspaceOwner(cs: number): number;
  objInit(obj: number, type: number): number;
  objType(obj: number): number;
  objRefs(obj: number): number;
  objRetire(obj: number): number;
  objectCreate(type: number): number;
  objectDestroy(obj: number): number;
  insertRoot(cs: number, slot: number, obj: number, type: number, rights: number, badgeHi: number, badgeLo: number): number;
  lookup(cs: number, slot: number, nowNs: number, need: number): number;
  derive(cs: number, src: number, dstCs: number, dst: number, rights: number, badgeHi: number, badgeLo: number,
    expiryNs: number, nowNs: number): number;
  copy(cs: number, src: number, dstCs: number, dst: number, nowNs: number): number;
  move(srcCs: number, src: number, dstCs: number, dst: number, nowNs: number): number;
  capDelete(cs: number, slot: number): number;
  capRevoke(cs: number, slot: number): number;
  capInfo(cs: number, slot: number, out: number): number;
  capNextSlot(cs: number, from: number): number;
  nodeAt(cs: number, slot: number): number;
  subtree(cs: number, slot: number, out: number): number;
  listSlots(cs: number, out: number): number;
  nodeCacheId(): number;
  cspaceCacheId(): number;
  cspaceFirst(): number;
  cspaceNext(cs: number): number;
  capNodeRoot(node: number): number;
  exhaustFrames(): number;
  releaseFrames(head: number): void;
  insertReached(cs: number, slot: number, obj: number, type: number, rights: number, viaCs: number, viaSlot: number,
    expiryNs: number): number;
  originOf(cs: number, slot: number): number;
  revokeReached(cs: number, slot: number, out: number): number;
  framesCheck(): number;
}

// Mirrors of kernel-as/src/cap/codes.ts.
const R = { read: 1, write: 2, exec: 4, del: 8, grant: 16, delegate: 32 };
const ALL = 0x3f;
const T = {
  file: 1, dir: 2, pipeRead: 3, pipeWrite: 4, console: 5, endpoint: 6, notification: 7, memory: 8, process: 9, cspace: 10,
};
const TYPE_COUNT = 11;
const SLOTS = 64;
const MAX_DEPTH = 64;
const ANY = 0xffff_ffff;
const OK = 0;
const UNREFERENCED = 1;
const E = {
  notReady: -1, badCspace: -2, badSlot: -3, empty: -4, occupied: -5, full: -6, expired: -7, noRights: -8,
  noDelegate: -9, noGrant: -10, rightsGrow: -11, badRights: -12, rebadge: -13, badExpiry: -14, tooDeep: -15,
  badObject: -16, badType: -17, noMemory: -18, busy: -19,
};
const CHECK = {
  state: -101, cspace: -102, slot: -103, count: -104, link: -105, cycle: -106, rights: -107, object: -108,
  refs: -109, expiry: -110, badge: -111, depth: -112, origin: -113,
};
// CapInfo record offsets.
const INFO = {
  type: 0, rights: 4, badge: 8, expiry: 16, depth: 24, children: 28, object: 32, refs: 36, parentCspace: 40, parentSlot: 44,
  owner: 48,
};
// CapNode offsets (records.ts), for the corruption tests.
const NODE = { object: 0, rights: 5, parent: 24, firstChild: 28, nextSibling: 32, slot: 6 };
const OBJ_REFS = 8;
const CSPACE_HEADER = 32;
const SLAB_STAT_IN_USE = 3;
const SLAB_MAX_CACHES = 32;
const SCRATCH = 0x20000; // KSTATE_SCRATCH: free in a test machine
const INFO_OUT = SCRATCH;
const LIST_OUT = SCRATCH + 0x100;
const TREE_OUT = SCRATCH + 0x1000;

type Instance = KernelTestInstance<Cap>;

function boot(opts: { init?: boolean } = {}): Instance {
  const t = loadKernelTest<Cap>("cap");
  expect(t.exports.framesInit()).toBe(0);
  expect(t.exports.slabInit()).toBe(0);
  if (opts.init !== false) expect(t.exports.capInit()).toBe(OK);
  return t;
}

const hi = (b: bigint): number => Number((b >> 32n) & 0xffff_ffffn);
const lo = (b: bigint): number => Number(b & 0xffff_ffffn);

interface Info {
  type: number; rights: number; badge: bigint; expiry: bigint; depth: number; children: number; object: number;
  refs: number; parentCspace: number; parentSlot: number; owner: number;
}

function info(t: Instance, cs: number, slot: number): Info {
  expect(t.exports.capInfo(cs, slot, INFO_OUT)).toBe(OK);
  const v = new DataView(t.memory.buffer, INFO_OUT, 56);
  return {
    type: v.getUint32(INFO.type, true), rights: v.getUint32(INFO.rights, true),
    badge: v.getBigUint64(INFO.badge, true), expiry: v.getBigUint64(INFO.expiry, true),
    depth: v.getUint32(INFO.depth, true), children: v.getUint32(INFO.children, true),
    object: v.getUint32(INFO.object, true), refs: v.getUint32(INFO.refs, true),
    parentCspace: v.getUint32(INFO.parentCspace, true), parentSlot: v.getUint32(INFO.parentSlot, true),
    owner: v.getUint32(INFO.owner, true),
  };
}

function subtree(t: Instance, cs: number, slot: number): [number, number][] {
  const n = t.exports.subtree(cs, slot, TREE_OUT);
  const v = new Uint32Array(t.memory.buffer, TREE_OUT, Math.max(n, 0) * 2);
  const out: [number, number][] = [];
  for (let i = 0; i < n; i++) out.push([v[2 * i]!, v[2 * i + 1]!]);
  return out;
}

function slotsOf(t: Instance, cs: number): number[] {
  const n = t.exports.listSlots(cs, LIST_OUT);
  return Array.from(new Uint32Array(t.memory.buffer, LIST_OUT, n));
}

function released(t: Instance, n: number): number[] {
  return Array.from(new Uint32Array(t.memory.buffer, LIST_OUT, n));
}

function slabInUse(t: Instance): number[] {
  return Array.from({ length: SLAB_MAX_CACHES }, (_, id) => t.exports.slabStat(id, SLAB_STAT_IN_USE));
}

/** A cspace with one root capability to a fresh object in slot 0. */
function withRoot(t: Instance, rights = ALL, type = T.file, badge = 0n): { cs: number; obj: number } {
  const cs = t.exports.cspaceCreate();
  expect(cs).toBeGreaterThan(0);
  const obj = t.exports.objectCreate(type);
  expect(obj).toBeGreaterThan(0);
  expect(t.exports.insertRoot(cs, 0, obj, type, rights, hi(badge), lo(badge))).toBe(0);
  return { cs, obj };
}

// ---------------------------------------------------------------------------
describe("capabilities: objects and roots", () => {
  it("refuses everything before capInit", () => {
    const t = boot({ init: false });
    const c = t.exports;
    expect(c.cspaceCreate()).toBe(0);
    expect(c.capCheck()).toBe(CHECK.state);
    expect(c.capDelete(0x30000, 0)).toBe(E.notReady);
    expect(c.capRevoke(0x30000, 0)).toBe(E.notReady);
    expect(c.lookup(0x30000, 0, 0, 0)).toBe(E.notReady);
    expect(c.capInit()).toBe(OK);
    expect(c.capInit()).toBe(OK); // idempotent
    expect(c.capCheck()).toBe(OK);
  });

  it("inserts a root: present, typed, badged, counted, depth 0", () => {
    const t = boot();
    const c = t.exports;
    const { cs, obj } = withRoot(t, R.read | R.write, T.pipeRead, 0x1234_5678_9abc_def0n);
    const i = info(t, cs, 0);
    expect(i).toMatchObject({ type: T.pipeRead, rights: R.read | R.write, badge: 0x1234_5678_9abc_def0n, expiry: 0n,
      depth: 0, children: 0, object: obj, refs: 1, parentCspace: 0, parentSlot: ANY });
    expect(c.objRefs(obj)).toBe(1);
    expect(c.objType(obj)).toBe(T.pipeRead);
    expect(c.lookup(cs, 0, 0, R.read)).toBe(c.nodeAt(cs, 0));
    expect(c.cspaceCount(cs)).toBe(1);
    expect(c.capCheck()).toBe(OK);
  });

  it("refuses a bad root: bad cspace, bad slot, bad rights, bad type, type mismatch, no header, occupied", () => {
    const t = boot();
    const c = t.exports;
    const { cs, obj } = withRoot(t);
    const bare = c.kmalloc(32); // no header
    expect(c.insertRoot(0, 1, obj, T.file, ALL, 0, 0)).toBe(E.badCspace);
    expect(c.insertRoot(bare, 1, obj, T.file, ALL, 0, 0)).toBe(E.badCspace);
    expect(c.insertRoot(cs, SLOTS, obj, T.file, ALL, 0, 0)).toBe(E.badSlot);
    expect(c.insertRoot(cs, 1, obj, T.file, 0x40, 0, 0)).toBe(E.badRights);
    expect(c.insertRoot(cs, 1, obj, 0, ALL, 0, 0)).toBe(E.badType);
    expect(c.insertRoot(cs, 1, obj, TYPE_COUNT, ALL, 0, 0)).toBe(E.badType);
    expect(c.insertRoot(cs, 1, obj, T.dir, ALL, 0, 0)).toBe(E.badType);
    expect(c.insertRoot(cs, 1, bare, T.file, ALL, 0, 0)).toBe(E.badObject);
    expect(c.insertRoot(cs, 1, 0, T.file, ALL, 0, 0)).toBe(E.badObject);
    expect(c.insertRoot(cs, 0, obj, T.file, ALL, 0, 0)).toBe(E.occupied);
    expect(c.objInit(bare, 0)).toBe(E.badType);
    expect(c.objInit(obj, T.file)).toBe(E.busy); // never reset a referenced header
    expect(c.objInit(0, T.file)).toBe(E.badObject);
    expect(c.objRefs(obj)).toBe(1);
    expect(c.capCheck()).toBe(OK);
  });

  it("gives the lowest free slot for CAP_SLOT_ANY and reports a full cspace", () => {
    const t = boot();
    const c = t.exports;
    const { cs, obj } = withRoot(t);
    for (let s = 1; s < SLOTS; s++) expect(c.insertRoot(cs, ANY, obj, T.file, R.read, 0, 0)).toBe(s);
    expect(c.insertRoot(cs, ANY, obj, T.file, R.read, 0, 0)).toBe(E.full);
    expect(c.derive(cs, 0, cs, ANY, R.read, 0, 0, 0, 0)).toBe(E.full);
    expect(c.copy(cs, 0, cs, ANY, 0)).toBe(E.full);
    expect(c.cspaceFreeSlot(cs, 0)).toBe(E.full);
    expect(c.capDelete(cs, 17)).toBe(OK);
    expect(c.cspaceFreeSlot(cs, 0)).toBe(17);
    expect(c.copy(cs, 0, cs, ANY, 0)).toBe(17);
    expect(c.objRefs(obj)).toBe(SLOTS);
    expect(c.capCheck()).toBe(OK);
  });

  it("retires an object only when no capability names it", () => {
    const t = boot();
    const c = t.exports;
    const { cs, obj } = withRoot(t);
    expect(c.objRetire(obj)).toBe(E.busy);
    expect(c.capDelete(cs, 0)).toBe(UNREFERENCED);
    expect(c.objectDestroy(obj)).toBe(0);
    expect(c.objRetire(obj)).toBe(E.badObject);
  });
});

describe("capabilities: lookup", () => {
  it("denies an empty slot, a bad slot, a bad cspace, missing rights and unknown right bits", () => {
    const t = boot();
    const c = t.exports;
    const { cs } = withRoot(t, R.read | R.delegate);
    expect(c.lookup(cs, 1, 0, 0)).toBe(E.empty);
    expect(c.lookup(cs, SLOTS, 0, 0)).toBe(E.badSlot);
    expect(c.lookup(cs, ANY, 0, 0)).toBe(E.badSlot);
    expect(c.lookup(0, 0, 0, 0)).toBe(E.badCspace);
    expect(c.lookup(cs + 16, 0, 0, 0)).toBe(E.badCspace);
    expect(c.lookup(cs, 0, 0, R.write)).toBe(E.noRights);
    expect(c.lookup(cs, 0, 0, R.read | R.write)).toBe(E.noRights);
    expect(c.lookup(cs, 0, 0, 0x80)).toBe(E.badRights);
    expect(c.lookup(cs, 0, 0, R.read | R.delegate)).toBeGreaterThan(0);
  });

  it("checks expiry at every use: valid before the deadline, expired at and after it", () => {
    const t = boot();
    const c = t.exports;
    const { cs } = withRoot(t);
    expect(c.derive(cs, 0, cs, 1, ALL, 0, 0, 5000, 1000)).toBe(1);
    expect(info(t, cs, 1).expiry).toBe(5000n);
    expect(c.lookup(cs, 1, 4999, R.read)).toBeGreaterThan(0);
    expect(c.lookup(cs, 1, 5000, R.read)).toBe(E.expired);
    expect(c.lookup(cs, 1, 9999, 0)).toBe(E.expired);
    expect(c.derive(cs, 1, cs, 2, R.read, 0, 0, 0, 5000)).toBe(E.expired);
    expect(c.copy(cs, 1, cs, 2, 5000)).toBe(E.expired);
    expect(c.move(cs, 1, cs, 2, 5000)).toBe(E.expired);
    // Cleaning up is always allowed.
    expect(c.capRevoke(cs, 1)).toBe(0);
    expect(c.capDelete(cs, 1)).toBe(OK);
    expect(c.capCheck()).toBe(OK);
  });
});

describe("capabilities: derive", () => {
  it("keeps or drops rights, never adds them", () => {
    const t = boot();
    const c = t.exports;
    const { cs } = withRoot(t, R.read | R.write | R.delegate);
    expect(c.derive(cs, 0, cs, 1, R.read | R.exec, 0, 0, 0, 0)).toBe(E.rightsGrow);
    expect(c.derive(cs, 0, cs, 1, R.read | R.delegate | R.grant, 0, 0, 0, 0)).toBe(E.rightsGrow);
    expect(c.derive(cs, 0, cs, 1, 0x40, 0, 0, 0, 0)).toBe(E.badRights);
    expect(c.derive(cs, 0, cs, 1, R.read | R.delegate, 0, 0, 0, 0)).toBe(1);
    expect(c.derive(cs, 1, cs, 2, R.write, 0, 0, 0, 0)).toBe(E.rightsGrow);
    expect(c.derive(cs, 1, cs, 2, R.read, 0, 0, 0, 0)).toBe(2);
    expect(info(t, cs, 2)).toMatchObject({ rights: R.read, depth: 2, parentCspace: cs, parentSlot: 1 });
    expect(info(t, cs, 0).children).toBe(1);
    expect(c.capCheck()).toBe(OK);
  });

  it("needs Delegate on the source, and Grant too for another cspace", () => {
    const t = boot();
    const c = t.exports;
    const { cs, obj } = withRoot(t, R.read | R.write | R.grant);
    const other = c.cspaceCreate();
    expect(c.derive(cs, 0, cs, 1, R.read, 0, 0, 0, 0)).toBe(E.noDelegate);
    expect(c.copy(cs, 0, cs, 1, 0)).toBe(E.noDelegate);
    expect(c.insertRoot(cs, 1, obj, T.file, R.read | R.delegate, 0, 0)).toBe(1);
    expect(c.derive(cs, 1, other, 0, R.read, 0, 0, 0, 0)).toBe(E.noGrant);
    expect(c.copy(cs, 1, other, 0, 0)).toBe(E.noGrant);
    expect(c.derive(cs, 1, cs, 2, R.read, 0, 0, 0, 0)).toBe(2); // same cspace: Delegate is enough
    expect(c.insertRoot(cs, 3, obj, T.file, R.read | R.delegate | R.grant, 0, 0)).toBe(3);
    expect(c.derive(cs, 3, other, 5, R.read, 0, 0, 0, 0)).toBe(5);
    expect(info(t, other, 5)).toMatchObject({ parentCspace: cs, parentSlot: 3, depth: 1 });
    expect(c.capCheck()).toBe(OK);
  });

  it("badges once: a badge on an unbadged source, inherited below, refused on a badged one", () => {
    const t = boot();
    const c = t.exports;
    const { cs } = withRoot(t, ALL, T.endpoint);
    expect(c.derive(cs, 0, cs, 1, ALL, 0xdead, 0xbeef, 0, 0)).toBe(1);
    expect(info(t, cs, 1).badge).toBe(0xdead_0000_beefn);
    expect(c.derive(cs, 1, cs, 2, ALL, 0, 7, 0, 0)).toBe(E.rebadge);
    expect(c.derive(cs, 1, cs, 2, ALL, 1, 0, 0, 0)).toBe(E.rebadge);
    expect(c.derive(cs, 1, cs, 2, R.read, 0, 0, 0, 0)).toBe(2);
    expect(info(t, cs, 2).badge).toBe(0xdead_0000_beefn);
    expect(c.copy(cs, 1, cs, 3, 0)).toBe(3);
    expect(info(t, cs, 3).badge).toBe(0xdead_0000_beefn);
    expect(c.capCheck()).toBe(OK);
  });

  it("never lets a child outlive its parent, and refuses a deadline already past", () => {
    const t = boot();
    const c = t.exports;
    const { cs } = withRoot(t);
    expect(c.derive(cs, 0, cs, 1, ALL, 0, 0, 1000, 1000)).toBe(E.badExpiry);
    expect(c.derive(cs, 0, cs, 1, ALL, 0, 0, 999, 1000)).toBe(E.badExpiry);
    expect(c.derive(cs, 0, cs, 1, ALL, 0, 0, 5000, 1000)).toBe(1);
    expect(c.derive(cs, 1, cs, 2, ALL, 0, 0, 9000, 1000)).toBe(2); // clamped to the parent's
    expect(info(t, cs, 2).expiry).toBe(5000n);
    expect(c.derive(cs, 1, cs, 3, ALL, 0, 0, 0, 1000)).toBe(3); // 0 = the parent's
    expect(info(t, cs, 3).expiry).toBe(5000n);
    expect(c.derive(cs, 1, cs, 4, ALL, 0, 0, 3000, 1000)).toBe(4); // earlier is kept
    expect(info(t, cs, 4).expiry).toBe(3000n);
    expect(c.capCheck()).toBe(OK);
  });

  it("refuses an empty source, bad slots, bad cspaces and an occupied destination", () => {
    const t = boot();
    const c = t.exports;
    const { cs } = withRoot(t);
    expect(c.derive(cs, 1, cs, 2, R.read, 0, 0, 0, 0)).toBe(E.empty);
    expect(c.derive(cs, SLOTS, cs, 2, R.read, 0, 0, 0, 0)).toBe(E.badSlot);
    expect(c.derive(cs, 0, cs, SLOTS, R.read, 0, 0, 0, 0)).toBe(E.badSlot);
    expect(c.derive(0, 0, cs, 2, R.read, 0, 0, 0, 0)).toBe(E.badCspace);
    expect(c.derive(cs, 0, 12345, 2, R.read, 0, 0, 0, 0)).toBe(E.badCspace);
    expect(c.derive(cs, 0, cs, 0, R.read, 0, 0, 0, 0)).toBe(E.occupied);
    expect(c.capCheck()).toBe(OK);
  });

  it("limits the depth of the tree to CAP_MAX_DEPTH", () => {
    const t = boot();
    const c = t.exports;
    const { cs } = withRoot(t);
    const spaces = [cs, c.cspaceCreate(), c.cspaceCreate()];
    let at = [cs, 0];
    for (let d = 1; d <= MAX_DEPTH; d++) {
      const dst = spaces[Math.floor(d / SLOTS)]!; // slot 0 of cs holds the root
      const slot = c.derive(at[0]!, at[1]!, dst, ANY, ALL, 0, 0, 0, 0);
      expect(slot).toBeGreaterThanOrEqual(0);
      at = [dst, slot];
    }
    expect(info(t, at[0]!, at[1]!).depth).toBe(MAX_DEPTH);
    expect(c.derive(at[0]!, at[1]!, spaces[2]!, ANY, ALL, 0, 0, 0, 0)).toBe(E.tooDeep);
    expect(c.copy(at[0]!, at[1]!, spaces[2]!, ANY, 0)).toBe(E.tooDeep);
    expect(c.capCheck()).toBe(OK);
  });
});

describe("capabilities: copy, move, delete, revoke", () => {
  it("copies as a child with the same rights, badge and expiry, removed by revoking the source", () => {
    const t = boot();
    const c = t.exports;
    const { cs, obj } = withRoot(t);
    expect(c.derive(cs, 0, cs, 1, R.read | R.delegate, 0, 9, 7000, 10)).toBe(1);
    expect(c.copy(cs, 1, cs, 2, 10)).toBe(2);
    const a = info(t, cs, 1);
    const b = info(t, cs, 2);
    expect(b).toMatchObject({ rights: a.rights, badge: a.badge, expiry: a.expiry, depth: 2, parentSlot: 1 });
    expect(c.objRefs(obj)).toBe(3);
    expect(c.capRevoke(cs, 1)).toBe(1);
    expect(c.lookup(cs, 2, 10, 0)).toBe(E.empty);
    expect(c.objRefs(obj)).toBe(2);
    expect(c.capCheck()).toBe(OK);
  });

  it("moves keeping rights, parent and children; another cspace needs Grant", () => {
    const t = boot();
    const c = t.exports;
    const { cs } = withRoot(t);
    const other = c.cspaceCreate();
    expect(c.derive(cs, 0, cs, 1, R.read | R.delegate, 0, 0, 0, 0)).toBe(1);
    expect(c.derive(cs, 1, cs, 2, R.read, 0, 0, 0, 0)).toBe(2);
    expect(c.move(cs, 1, other, 3, 0)).toBe(E.noGrant);
    expect(c.move(cs, 1, cs, 9, 0)).toBe(9); // within a cspace: no right needed
    expect(info(t, cs, 2)).toMatchObject({ parentCspace: cs, parentSlot: 9 });
    expect(info(t, cs, 9)).toMatchObject({ parentSlot: 0, children: 1, depth: 1 });
    expect(c.move(cs, 0, other, ANY, 0)).toBe(0);
    expect(info(t, cs, 9)).toMatchObject({ parentCspace: other, parentSlot: 0 });
    expect(c.move(cs, 5, other, 1, 0)).toBe(E.empty);
    expect(c.move(cs, 2, cs, 9, 0)).toBe(E.occupied);
    expect(c.move(cs, 2, cs, 2, 0)).toBe(E.occupied);
    expect(c.move(cs, SLOTS, other, 1, 0)).toBe(E.badSlot);
    expect(c.move(cs, 2, 0, 1, 0)).toBe(E.badCspace);
    expect(c.cspaceCount(cs)).toBe(2);
    expect(c.cspaceCount(other)).toBe(1);
    expect(c.capCheck()).toBe(OK);
  });

  it("delete re-attaches children to the parent, in place", () => {
    const t = boot();
    const c = t.exports;
    const { cs } = withRoot(t);
    // 0 -> {1 -> {3, 4}, 2}
    expect(c.derive(cs, 0, cs, 2, ALL, 0, 0, 0, 0)).toBe(2);
    expect(c.derive(cs, 0, cs, 1, ALL, 0, 0, 0, 0)).toBe(1);
    expect(c.derive(cs, 1, cs, 4, R.read, 0, 0, 0, 0)).toBe(4);
    expect(c.derive(cs, 1, cs, 3, R.write, 0, 0, 0, 0)).toBe(3);
    expect(subtree(t, cs, 0)).toEqual([[cs, 1], [cs, 3], [cs, 4], [cs, 2]]);
    expect(c.capDelete(cs, 1)).toBe(OK);
    expect(subtree(t, cs, 0)).toEqual([[cs, 3], [cs, 4], [cs, 2]]);
    expect(info(t, cs, 3)).toMatchObject({ depth: 1, parentSlot: 0 });
    expect(info(t, cs, 0).children).toBe(3);
    expect(c.capCheck()).toBe(OK);
  });

  it("deleting a root makes its children roots; only the last delete reports the object", () => {
    const t = boot();
    const c = t.exports;
    const { cs, obj } = withRoot(t);
    const other = c.cspaceCreate();
    expect(c.derive(cs, 0, other, 0, R.read | R.delegate, 0, 0, 0, 0)).toBe(0);
    expect(c.derive(other, 0, other, 1, R.read, 0, 0, 0, 0)).toBe(1);
    expect(c.derive(cs, 0, cs, 1, R.read, 0, 0, 0, 0)).toBe(1);
    expect(c.capDelete(cs, 0)).toBe(OK);
    expect(info(t, other, 0)).toMatchObject({ depth: 0, parentCspace: 0, parentSlot: ANY, children: 1 });
    expect(info(t, cs, 1)).toMatchObject({ depth: 0, parentCspace: 0 });
    expect(c.capCheck()).toBe(OK);
    expect(c.capDelete(other, 0)).toBe(OK);
    expect(c.capDelete(other, 1)).toBe(OK);
    expect(c.objRefs(obj)).toBe(1);
    expect(c.capDelete(cs, 1)).toBe(UNREFERENCED);
    expect(c.objRefs(obj)).toBe(0);
    expect(c.capDelete(cs, 1)).toBe(E.empty);
    expect(c.capDelete(cs, SLOTS)).toBe(E.badSlot);
    expect(c.capDelete(0, 0)).toBe(E.badCspace);
    expect(c.objectDestroy(obj)).toBe(0);
    expect(c.capCheck()).toBe(OK);
  });

  it("revoke removes every descendant in every cspace and keeps the capability itself", () => {
    const t = boot();
    const c = t.exports;
    const { cs, obj } = withRoot(t);
    const b = c.cspaceCreate();
    const d = c.cspaceCreate();
    expect(c.derive(cs, 0, b, 0, ALL, 0, 0, 0, 0)).toBe(0);
    expect(c.derive(b, 0, d, 0, ALL, 0, 0, 0, 0)).toBe(0);
    expect(c.derive(d, 0, cs, 5, R.read, 0, 0, 0, 0)).toBe(5);
    expect(c.derive(b, 0, b, 1, R.read, 0, 0, 0, 0)).toBe(1);
    expect(c.derive(cs, 0, cs, 1, ALL, 0, 0, 0, 0)).toBe(1);
    expect(c.derive(cs, 1, d, 1, R.read, 0, 0, 0, 0)).toBe(1);
    expect(subtree(t, b, 0)).toEqual([[b, 1], [d, 0], [cs, 5]]);
    expect(c.capRevoke(b, 0)).toBe(3);
    expect(slotsOf(t, b)).toEqual([0]);
    expect(slotsOf(t, d)).toEqual([1]);
    expect(slotsOf(t, cs)).toEqual([0, 1]);
    expect(c.objRefs(obj)).toBe(4);
    expect(c.capRevoke(cs, 0)).toBe(3);
    expect(slotsOf(t, cs)).toEqual([0]);
    expect(c.objRefs(obj)).toBe(1);
    expect(c.capRevoke(cs, 0)).toBe(0);
    expect(c.capRevoke(cs, 3)).toBe(E.empty);
    expect(c.capCheck()).toBe(OK);
  });

  it("destroying a cspace deletes its slots, keeps children elsewhere and reports unreferenced objects", () => {
    const t = boot();
    const c = t.exports;
    const { cs, obj } = withRoot(t);
    const lonely = c.objectCreate(T.memory);
    expect(c.insertRoot(cs, 7, lonely, T.memory, ALL, 0, 0)).toBe(7);
    const other = c.cspaceCreate();
    expect(c.derive(cs, 0, cs, 1, ALL, 0, 0, 0, 0)).toBe(1);
    expect(c.derive(cs, 1, other, 0, R.read, 0, 0, 0, 0)).toBe(0);
    expect(c.cspaceDestroy(cs, LIST_OUT)).toBe(1);
    expect(released(t, 1)).toEqual([lonely]);
    expect(info(t, other, 0)).toMatchObject({ depth: 0, parentCspace: 0, refs: 1 });
    expect(c.lookup(cs, 0, 0, 0)).toBe(E.badCspace);
    expect(c.cspaceDestroy(cs, LIST_OUT)).toBe(E.badCspace);
    expect(c.capCheck()).toBe(OK);
    expect(c.objectDestroy(lonely)).toBe(0);
    expect(c.cspaceDestroy(other, LIST_OUT)).toBe(1);
    expect(released(t, 1)).toEqual([obj]);
    expect(c.objectDestroy(obj)).toBe(0);
    expect(c.capCheck()).toBe(OK);
  });

  it("lists every live cspace and finds a capability's root", () => {
    const t = boot();
    const c = t.exports;
    const { cs } = withRoot(t);
    const b = c.cspaceCreate();
    const d = c.cspaceCreate();
    const live = (): number[] => {
      const out: number[] = [];
      for (let x = c.cspaceFirst(); x !== 0; x = c.cspaceNext(x)) out.push(x);
      return out.sort();
    };
    expect(live()).toEqual([cs, b, d].sort());
    expect(c.derive(cs, 0, b, 3, ALL, 0, 0, 0, 0)).toBe(3);
    expect(c.derive(b, 3, d, 4, R.read, 0, 0, 0, 0)).toBe(4);
    expect(c.capNodeRoot(c.nodeAt(d, 4))).toBe(c.nodeAt(cs, 0));
    expect(c.capNodeRoot(c.nodeAt(cs, 0))).toBe(c.nodeAt(cs, 0));
    expect(c.cspaceDestroy(b, 0)).toBe(0);
    expect(live()).toEqual([cs, d].sort());
    expect(c.cspaceNext(b)).toBe(0);
  });

  it("keeps an owner word per cspace and reports it in capInfo", () => {
    const t = boot();
    const c = t.exports;
    const { cs } = withRoot(t);
    expect(c.cspaceOwner(cs)).toBe(0);
    expect(c.cspaceSetOwner(cs, 42)).toBe(OK);
    expect(c.cspaceOwner(cs)).toBe(42);
    expect(info(t, cs, 0).owner).toBe(42);
    expect(c.cspaceSetOwner(0, 1)).toBe(E.badCspace);
  });
});

describe("capabilities: out of memory", () => {
  it("fails a derive cleanly when no node can be allocated, and recovers", () => {
    const t = boot();
    const c = t.exports;
    const { cs, obj } = withRoot(t);
    const spaces = [cs, c.cspaceCreate(), c.cspaceCreate(), c.cspaceCreate()];
    const held = c.exhaustFrames();
    let made = 1;
    let code = 0;
    for (const s of spaces) {
      while ((code = c.derive(cs, 0, s, ANY, R.read, 0, 0, 0, 0)) >= 0) made++;
      if (code === E.noMemory) break;
      expect(code).toBe(E.full);
    }
    expect(code).toBe(E.noMemory);
    expect(c.objRefs(obj)).toBe(made);
    expect(c.insertRoot(spaces[3]!, ANY, obj, T.file, R.read, 0, 0)).toBe(E.noMemory);
    const extra: number[] = []; // the cspace cache's last slab may still have room
    for (let x = c.cspaceCreate(); x !== 0; x = c.cspaceCreate()) extra.push(x);
    expect(extra.length).toBeLessThan(64);
    expect(c.capCheck()).toBe(OK);
    c.releaseFrames(held);
    for (const x of extra) expect(c.cspaceDestroy(x, 0)).toBe(0);
    expect(c.derive(cs, 0, spaces[3]!, ANY, R.read, 0, 0, 0, 0)).toBeGreaterThanOrEqual(0);
    for (const s of spaces) c.cspaceDestroy(s, 0);
    expect(c.capCheck()).toBe(OK);
    expect(c.framesCheck()).toBe(0);
    expect(c.slabStat(c.nodeCacheId(), SLAB_STAT_IN_USE)).toBe(0);
  });
});

describe("capabilities: capCheck finds damage", () => {
  function damaged(): { t: Instance; cs: number; child: number; obj: number } {
    const t = boot();
    const c = t.exports;
    const { cs, obj } = withRoot(t, R.read | R.delegate);
    expect(c.derive(cs, 0, cs, 1, R.read, 0, 0, 0, 0)).toBe(1);
    expect(c.capCheck()).toBe(OK);
    return { t, cs, child: c.nodeAt(cs, 1), obj };
  }
  const poke8 = (t: Instance, a: number, v: number) => new DataView(t.memory.buffer).setUint8(a, v);
  const poke16 = (t: Instance, a: number, v: number) => new DataView(t.memory.buffer).setUint16(a, v, true);
  const poke32 = (t: Instance, a: number, v: number) => new DataView(t.memory.buffer).setUint32(a, v, true);

  it("a child holding a right its parent lacks", () => {
    const { t, child } = damaged();
    poke8(t, child + NODE.rights, R.read | R.write);
    expect(t.exports.capCheck()).toBe(CHECK.rights);
  });
  it("an object reference count that disagrees", () => {
    const { t, obj } = damaged();
    poke32(t, obj + OBJ_REFS, 3);
    expect(t.exports.capCheck()).toBe(CHECK.refs);
  });
  it("a node whose slot does not point back", () => {
    const { t, child } = damaged();
    poke16(t, child + NODE.slot, 5);
    expect(t.exports.capCheck()).toBe(CHECK.slot);
  });
  it("a node in two slots", () => {
    const { t, cs, child } = damaged();
    poke32(t, cs + CSPACE_HEADER + 5 * 4, child);
    expect(t.exports.capCheck()).toBe(CHECK.slot);
  });
  it("a broken child link", () => {
    const { t, cs, child } = damaged();
    poke32(t, t.exports.nodeAt(cs, 0) + NODE.firstChild, 0);
    expect(t.exports.capCheck()).toBe(CHECK.link);
    void child;
  });
  it("a parent cycle", () => {
    const { t, cs, child } = damaged();
    poke32(t, t.exports.nodeAt(cs, 0) + NODE.parent, child);
    expect(t.exports.capCheck()).not.toBe(OK);
  });
});

// ---------------------------------------------------------------------------
// Randomized model test.

interface MCap {
  id: number; cs: MSpace; slot: number; obj: number; type: number; rights: number; badge: bigint; expiry: number;
  parent: MCap | null; children: MCap[];
}
interface MSpace { addr: number; slots: Map<number, MCap> }

class Model {
  spaces: MSpace[] = [];
  refs = new Map<number, number>(); // object -> capabilities naming it
  types = new Map<number, number>();
  now = 1000;
  nextId = 1;

  depth(c: MCap): number { let d = 0; for (let p = c.parent; p; p = p.parent) d++; return d; }
  expired(c: MCap): boolean { return c.expiry !== 0 && this.now >= c.expiry; }
  dest(s: MSpace, dst: number): number {
    if (dst === ANY) { for (let i = 0; i < SLOTS; i++) if (!s.slots.has(i)) return i; return E.full; }
    return s.slots.has(dst) ? E.occupied : dst;
  }
  place(c: MCap, s: MSpace, slot: number): void { c.cs = s; c.slot = slot; s.slots.set(slot, c); }
  attach(parent: MCap, c: MCap): void { c.parent = parent; parent.children.unshift(c); }
  remove(c: MCap): boolean {
    c.cs.slots.delete(c.slot);
    if (c.parent) {
      const siblings = c.parent.children;
      const i = siblings.indexOf(c);
      for (const k of c.children) k.parent = c.parent;
      siblings.splice(i, 1, ...c.children);
    } else {
      for (const k of c.children) k.parent = null;
    }
    const refs = this.refs.get(c.obj)! - 1;
    this.refs.set(c.obj, refs);
    return refs === 0;
  }
  descendants(c: MCap): MCap[] {
    const out: MCap[] = [];
    const walk = (n: MCap): void => { for (const k of n.children) { out.push(k); walk(k); } };
    walk(c);
    return out;
  }
  all(): MCap[] { return this.spaces.flatMap((s) => [...s.slots.values()]); }
}

/** Compares the whole kernel state with the model. */
function compare(t: Instance, m: Model): void {
  const c = t.exports;
  expect(c.capCheck()).toBe(OK);
  for (const s of m.spaces) {
    expect(slotsOf(t, s.addr)).toEqual([...s.slots.keys()].sort((a, b) => a - b));
    expect(c.cspaceCount(s.addr)).toBe(s.slots.size);
    for (const [slot, cap] of s.slots) {
      const i = info(t, s.addr, slot);
      expect(i).toEqual({
        type: cap.type, rights: cap.rights, badge: cap.badge, expiry: BigInt(cap.expiry), depth: m.depth(cap),
        children: cap.children.length, object: cap.obj, refs: m.refs.get(cap.obj), owner: 0,
        parentCspace: cap.parent ? cap.parent.cs.addr : 0, parentSlot: cap.parent ? cap.parent.slot : ANY,
      });
      // Rights never grow along the tree.
      if (cap.parent) expect(cap.rights & ~info(t, cap.parent.cs.addr, cap.parent.slot).rights).toBe(0);
    }
  }
}

type Op = [kind: number, a: number, b: number, c: number, d: number, e: number, f: number];

function runModel(ops: Op[]): void {
  const t = boot();
  const c = t.exports;
  const baseline = slabInUse(t);
  const m = new Model();
  const newSpace = (): void => {
    const addr = c.cspaceCreate();
    expect(addr).toBeGreaterThan(0);
    m.spaces.push({ addr, slots: new Map() });
  };
  for (let i = 0; i < 3; i++) newSpace();

  const destroyObject = (obj: number): void => {
    expect(m.refs.get(obj)).toBe(0);
    expect(c.objectDestroy(obj)).toBe(0);
    m.refs.delete(obj);
    m.types.delete(obj);
  };
  const space = (x: number): MSpace => m.spaces[x % m.spaces.length]!;
  /** A source (cspace, slot): mostly a live capability anywhere; sometimes
   *  any slot of a cspace; rarely a bad slot. */
  const source = (a: number, b: number): [MSpace, number] => {
    const s = space(a);
    if (b % 16 === 15) return [s, SLOTS + (b % 3)];
    const caps = m.all();
    if (b % 8 >= 1 && caps.length > 0) {
      // Often the newest capability, so chains grow deep.
      const cap = b % 8 <= 3 ? caps.reduce((x, y) => (y.id > x.id ? y : x)) : caps[(b >> 4) % caps.length]!;
      return [cap.cs, cap.slot];
    }
    return [s, (b >> 4) % SLOTS];
  };
  const dstSlot = (x: number): number => (x % 4 === 0 ? ANY : x % 32 === 1 ? SLOTS : (x >> 2) % SLOTS);
  const badge = (x: number): bigint =>
    x % 10 < 8 ? 0n : x % 10 === 8 ? BigInt(x % 1000) + 1n : 0xffff_0000_0000_0000n | BigInt(x);
  const expiry = (x: number): number => (x % 10 < 6 ? 0 : x % 10 < 9 ? m.now + 1 + (x % 2000) : m.now - (x % 50));

  for (const [kind, a, b, cc, d, e, f] of ops) {
    const k = kind % 100;
    if (k < 12) {
      // A root: a fresh object, or another original to a live one.
      const s = space(a);
      const slot = dstSlot(b);
      const live = [...m.refs.keys()];
      const fresh = cc % 3 !== 0 || live.length === 0;
      const type = fresh ? 1 + (d % (TYPE_COUNT - 1)) : m.types.get(live[d % live.length]!)!;
      const obj = fresh ? c.objectCreate(type) : live[d % live.length]!;
      if (fresh) { m.refs.set(obj, 0); m.types.set(obj, type); }
      const rights = e % 10 === 0 ? 0x40 | e : (e & ALL) | (e % 3 !== 0 ? R.delegate | R.grant : 0);
      const bg = badge(f);
      let want: number;
      if (slot !== ANY && slot >= SLOTS) want = E.badSlot;
      else if (rights & ~ALL) want = E.badRights;
      else want = m.dest(s, slot);
      expect(c.insertRoot(s.addr, slot, obj, type, rights, hi(bg), lo(bg))).toBe(want);
      if (want >= 0) {
        const cap: MCap = {
          id: m.nextId++, cs: s, slot: want, obj, type, rights, badge: bg, expiry: 0, parent: null, children: [],
        };
        m.place(cap, s, want);
        m.refs.set(obj, m.refs.get(obj)! + 1);
      } else if (m.refs.get(obj) === 0) destroyObject(obj);
    } else if (k < 40) {
      // Derive (sometimes asking for rights or a badge it may not have).
      const [s, src] = source(a, b);
      const ds = space(cc);
      const dst = dstSlot(d);
      const cap = s.slots.get(src);
      // Mostly a subset that keeps Delegate and Grant, so chains grow deep.
      const keep = e % 4 === 0 ? e >> 2 : (e >> 2) | R.delegate | R.grant;
      const rights = e % 7 === 0 ? e & ALL : e % 23 === 0 ? 0x80 : (cap ? cap.rights : ALL) & keep;
      const bg = badge(f);
      const exp = expiry(f >> 3);
      let want: number;
      if (src >= SLOTS || (dst !== ANY && dst >= SLOTS)) want = E.badSlot;
      else if (rights & ~ALL) want = E.badRights;
      else if (!cap) want = E.empty;
      else if (m.expired(cap)) want = E.expired;
      else if (!(cap.rights & R.delegate)) want = E.noDelegate;
      else if (ds !== s && !(cap.rights & R.grant)) want = E.noGrant;
      else if (rights & ~cap.rights) want = E.rightsGrow;
      else if (bg !== 0n && cap.badge !== 0n) want = E.rebadge;
      else if (exp !== 0 && exp <= m.now) want = E.badExpiry;
      else if (m.depth(cap) >= MAX_DEPTH) want = E.tooDeep;
      else want = m.dest(ds, dst);
      expect(c.derive(s.addr, src, ds.addr, dst, rights, hi(bg), lo(bg), exp, m.now)).toBe(want);
      if (want >= 0 && cap) {
        const childExpiry = cap.expiry === 0 ? exp : exp === 0 ? cap.expiry : Math.min(cap.expiry, exp);
        const child: MCap = { id: m.nextId++, cs: ds, slot: want, obj: cap.obj, type: cap.type, rights,
          badge: cap.badge !== 0n ? cap.badge : bg, expiry: childExpiry, parent: null, children: [] };
        m.place(child, ds, want);
        m.attach(cap, child);
        m.refs.set(cap.obj, m.refs.get(cap.obj)! + 1);
      }
    } else if (k < 52) {
      // Copy.
      const [s, src] = source(a, b);
      const ds = space(cc);
      const dst = dstSlot(d);
      const cap = s.slots.get(src);
      let want: number;
      if (src >= SLOTS || (dst !== ANY && dst >= SLOTS)) want = E.badSlot;
      else if (!cap) want = E.empty;
      else if (m.expired(cap)) want = E.expired;
      else if (!(cap.rights & R.delegate)) want = E.noDelegate;
      else if (ds !== s && !(cap.rights & R.grant)) want = E.noGrant;
      else if (m.depth(cap) >= MAX_DEPTH) want = E.tooDeep;
      else want = m.dest(ds, dst);
      expect(c.copy(s.addr, src, ds.addr, dst, m.now)).toBe(want);
      if (want >= 0 && cap) {
        const child: MCap = { ...cap, id: m.nextId++, parent: null, children: [] };
        m.place(child, ds, want);
        m.attach(cap, child);
        m.refs.set(cap.obj, m.refs.get(cap.obj)! + 1);
      }
    } else if (k < 62) {
      // Move.
      const [s, src] = source(a, b);
      const ds = space(cc);
      const dst = dstSlot(d);
      const cap = s.slots.get(src);
      let want: number;
      if (src >= SLOTS || (dst !== ANY && dst >= SLOTS)) want = E.badSlot;
      else if (!cap) want = E.empty;
      else if (m.expired(cap)) want = E.expired;
      else if (ds !== s && !(cap.rights & R.grant)) want = E.noGrant;
      else want = m.dest(ds, dst);
      expect(c.move(s.addr, src, ds.addr, dst, m.now)).toBe(want);
      if (want >= 0 && cap) {
        s.slots.delete(src);
        m.place(cap, ds, want);
      }
    } else if (k < 76) {
      // Delete: only the last capability to an object reports it.
      const [s, slot] = source(a, b);
      const cap = s.slots.get(slot);
      const want = slot >= SLOTS ? E.badSlot : !cap ? E.empty : m.refs.get(cap.obj) === 1 ? UNREFERENCED : OK;
      expect(c.capDelete(s.addr, slot)).toBe(want);
      if (cap && want >= 0) {
        expect(m.remove(cap)).toBe(want === UNREFERENCED);
        if (want === UNREFERENCED) destroyObject(cap.obj);
      }
    } else if (k < 84) {
      // Revoke: exactly the descendants go, in every cspace.
      const [s, slot] = source(a, b);
      const cap = s.slots.get(slot);
      if (cap) {
        const below = m.descendants(cap);
        expect(subtree(t, s.addr, slot)).toEqual(below.map((x) => [x.cs.addr, x.slot]));
        expect(c.capRevoke(s.addr, slot)).toBe(below.length);
        for (const x of [...below].reverse()) expect(m.remove(x)).toBe(false);
        expect(cap.children).toEqual([]);
      } else {
        expect(c.capRevoke(s.addr, slot)).toBe(slot >= SLOTS ? E.badSlot : E.empty);
      }
    } else if (k < 92) {
      // Lookup with some rights.
      const [s, slot] = source(a, b);
      const need = cc % 11 === 0 ? 0x40 : cc & ALL & (d | e);
      const cap = s.slots.get(slot);
      let want: number;
      if (slot >= SLOTS) want = E.badSlot;
      else if (need & ~ALL) want = E.badRights;
      else if (!cap) want = E.empty;
      else if (m.expired(cap)) want = E.expired;
      else if ((cap.rights & need) !== need) want = E.noRights;
      else want = c.nodeAt(s.addr, slot);
      expect(c.lookup(s.addr, slot, m.now, need)).toBe(want);
    } else if (k < 95) {
      m.now += 1 + (a % 700);
    } else if (k < 97) {
      if (m.spaces.length < 5) newSpace();
    } else {
      // Destroy a cspace (keeping at least one): slots deleted in order.
      if (m.spaces.length > 1) {
        const i = a % m.spaces.length;
        const s = m.spaces[i]!;
        const dead: number[] = [];
        for (const slot of [...s.slots.keys()].sort((x, y) => x - y)) {
          const cap = s.slots.get(slot)!;
          if (m.remove(cap)) dead.push(cap.obj);
        }
        expect(c.cspaceDestroy(s.addr, LIST_OUT)).toBe(dead.length);
        expect(released(t, dead.length)).toEqual(dead);
        m.spaces.splice(i, 1);
        for (const obj of dead) destroyObject(obj);
      }
    }
    compare(t, m);
  }

  // Tear down: every cspace destroyed, every object destroyed, nothing left.
  for (const s of m.spaces) {
    const dead: number[] = [];
    for (const slot of [...s.slots.keys()].sort((x, y) => x - y)) {
      const cap = s.slots.get(slot)!;
      if (m.remove(cap)) dead.push(cap.obj);
    }
    expect(c.cspaceDestroy(s.addr, LIST_OUT)).toBe(dead.length);
    expect(released(t, dead.length)).toEqual(dead);
    for (const obj of dead) destroyObject(obj);
  }
  expect(m.refs.size).toBe(0);
  expect(c.capCheck()).toBe(OK);
  expect(c.slabCheck()).toBe(0);
  expect(c.slabStat(c.nodeCacheId(), SLAB_STAT_IN_USE)).toBe(0);
  expect(c.slabStat(c.cspaceCacheId(), SLAB_STAT_IN_USE)).toBe(0);
  expect(slabInUse(t)).toEqual(baseline);
}

const opArb: fc.Arbitrary<Op> = fc.tuple(
  fc.nat(), fc.nat(), fc.nat(), fc.nat(), fc.nat(), fc.nat(), fc.nat(),
);

// ---------------------------------------------------------------------------
describe("capabilities: origins (what was reached through another capability)", () => {
  function releasedBy(t: Instance): number[] {
    const v = new Uint32Array(t.memory.buffer, LIST_OUT, 1 + 64);
    return Array.from(v.subarray(1, 1 + v[0]!)).sort((a, b) => a - b);
  }

  it("holds no right its origin lacks and expires no later", () => {
    const t = boot();
    const c = t.exports;
    const { cs } = withRoot(t, ALL, T.dir);
    expect(c.derive(cs, 0, cs, 1, R.read | R.delegate, 0, 0, 1000, 0)).toBe(1);
    const file = c.objectCreate(T.file);
    expect(c.insertReached(cs, 2, file, T.file, R.read | R.write, cs, 1, 0)).toBe(E.rightsGrow);
    expect(c.insertReached(cs, 2, file, T.file, R.read, cs, 1, 0)).toBe(2);
    expect(info(t, cs, 2)).toMatchObject({ rights: R.read, expiry: 1000n, depth: 0 });
    expect(c.originOf(cs, 2)).toBe(c.nodeAt(cs, 1));
    expect(c.capCheck()).toBe(OK);
  });

  it("revoke removes what was reached through what it removes, in every cspace, and keeps what was reached through itself", () => {
    const t = boot();
    const c = t.exports;
    const { cs } = withRoot(t, ALL, T.dir);
    const cs2 = c.cspaceCreate();
    const cs3 = c.cspaceCreate();
    const [a, b, d, e] = [T.file, T.dir, T.file, T.file].map((type) => c.objectCreate(type));
    expect(c.derive(cs, 0, cs2, 0, ALL, 0, 0, 0, 0)).toBe(0);                    // D1, in another cspace
    expect(c.insertReached(cs2, 1, a!, T.file, R.read | R.grant | R.delegate, cs2, 0, 0)).toBe(1); // F through D1
    expect(c.copy(cs2, 1, cs3, 0, 0)).toBe(0);                                   // a copy of F elsewhere
    expect(c.insertReached(cs2, 2, b!, T.dir, ALL, cs2, 0, 0)).toBe(2);           // S through D1
    expect(c.insertReached(cs3, 1, d!, T.file, R.read, cs2, 2, 0)).toBe(1);       // G through S
    expect(c.insertReached(cs, 1, e!, T.file, R.read, cs, 0, 0)).toBe(1);         // through D0 itself
    expect(c.capCheck()).toBe(OK);
    expect(c.revokeReached(cs, 0, LIST_OUT)).toBe(5);
    expect(releasedBy(t)).toEqual([a!, b!, d!].sort((x, y) => x - y));
    expect(c.cspaceCount(cs2)).toBe(0);
    expect(c.cspaceCount(cs3)).toBe(0);
    expect(slotsOf(t, cs)).toEqual([0, 1]);
    expect(c.originOf(cs, 1)).toBe(c.nodeAt(cs, 0));
    expect(c.capCheck()).toBe(OK);
  });

  it("deleting a capability hands what was reached through it to what it was reached through", () => {
    const t = boot();
    const c = t.exports;
    const { cs } = withRoot(t, ALL, T.dir);
    const file = c.objectCreate(T.file);
    expect(c.derive(cs, 0, cs, 1, ALL, 0, 0, 0, 0)).toBe(1);
    expect(c.insertReached(cs, 2, file, T.file, ALL, cs, 1, 0)).toBe(2);
    expect(c.derive(cs, 2, cs, 3, R.read | R.delegate, 0, 0, 0, 0)).toBe(3);
    expect(c.capDelete(cs, 1)).toBe(OK);
    expect(c.originOf(cs, 2)).toBe(c.nodeAt(cs, 0)); // the parent of the deleted one
    expect(c.capCheck()).toBe(OK);
    expect(c.capDelete(cs, 2)).toBe(OK);             // a root reached through D0, with a child
    expect(c.originOf(cs, 3)).toBe(c.nodeAt(cs, 0)); // the child is a root reached through D0 now
    expect(info(t, cs, 3).depth).toBe(0);
    expect(c.capCheck()).toBe(OK);
    expect(c.revokeReached(cs, 0, LIST_OUT)).toBe(0); // reached through D0 itself: kept
    expect(c.capDelete(cs, 0)).toBe(UNREFERENCED);
    expect(c.originOf(cs, 3)).toBe(0);
    expect(c.capCheck()).toBe(OK);
  });

  it("keeps every invariant over random sequences of reaching, deriving, deleting and revoking, and leaks nothing", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.nat(), fc.nat(), fc.nat()), { minLength: 10, maxLength: 150 }),
        (ops) => {
          const t = boot();
          const c = t.exports;
          const before = slabInUse(t);
          const spaces = [c.cspaceCreate(), c.cspaceCreate(), c.cspaceCreate()];
          const root = c.objectCreate(T.dir);
          expect(c.insertRoot(spaces[0]!, 0, root, T.dir, ALL, 0, 0)).toBe(0);
          const objects = new Set<number>([root]);
          const held = (): [number, number][] => spaces.flatMap((cs) => slotsOf(t, cs).map((s) => [cs, s] as [number, number]));
          for (const [kind, x, y, z] of ops) {
            const caps = held();
            if (caps.length === 0) break;
            const [cs, slot] = caps[x % caps.length]!;
            const dst = spaces[y % spaces.length]!;
            if (kind === 0) {
              const obj = c.objectCreate(z % 2 === 0 ? T.file : T.dir);
              const type = c.objType(obj);
              const r = c.insertReached(dst, ANY, obj, type, z & ALL, cs, slot, 0);
              if (r >= 0) objects.add(obj); else expect(c.objectDestroy(obj)).toBe(OK);
            } else if (kind === 1) {
              c.derive(cs, slot, dst, ANY, z & ALL, 0, 0, 0, 0);
            } else if (kind === 2) {
              const obj = new DataView(t.memory.buffer, INFO_OUT, 56);
              expect(c.capInfo(cs, slot, INFO_OUT)).toBe(OK);
              const object = obj.getUint32(INFO.object, true);
              if (c.capDelete(cs, slot) === UNREFERENCED) { expect(c.objectDestroy(object)).toBe(OK); objects.delete(object); }
            } else {
              c.revokeReached(cs, slot, LIST_OUT);
              for (const object of releasedBy(t)) { expect(c.objectDestroy(object)).toBe(OK); objects.delete(object); }
            }
            expect(c.capCheck()).toBe(OK);
          }
          for (const cs of spaces) {
            const n = c.cspaceDestroy(cs, LIST_OUT);
            for (const object of released(t, n)) { expect(c.objectDestroy(object)).toBe(OK); objects.delete(object); }
            expect(c.capCheck()).toBe(OK);
          }
          expect(objects.size).toBe(0);
          expect(slabInUse(t)).toEqual(before);
        }),
      { numRuns: 150 },
    );
  });
});

describe("capabilities: randomized against a model", () => {
  it("matches the model after every step, keeps every invariant, and leaks nothing", () => {
    fc.assert(fc.property(fc.array(opArb, { minLength: 20, maxLength: 120 }), (ops) => { runModel(ops); }), {
      numRuns: 300,
    });
  });

  it("survives long runs dominated by derivation and revocation", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.oneof(
          { arbitrary: fc.integer({ min: 0, max: 11 }), weight: 1 },   // roots
          { arbitrary: fc.integer({ min: 12, max: 51 }), weight: 5 },  // derive, copy
          { arbitrary: fc.integer({ min: 52, max: 61 }), weight: 1 },  // move
          { arbitrary: fc.integer({ min: 62, max: 75 }), weight: 1 },  // delete
          { arbitrary: fc.integer({ min: 76, max: 83 }), weight: 1 },  // revoke
          { arbitrary: fc.integer({ min: 92, max: 94 }), weight: 1 },  // time passes
        ), fc.nat(), fc.nat(), fc.nat(), fc.nat(), fc.nat(), fc.nat()),
        { minLength: 100, maxLength: 300 }),
        (ops) => { runModel(ops as Op[]); },
      ),
      { numRuns: 60 },
    );
  });
});
