// Randomized capability sequences on the real kernel (issue 19): the user
// program capops runs derive, copy, move, delete, revoke, openat, object
// creation, cap_enter, fspawn (with capabilities and flags) and kill as the
// host types them; after every step the host reads every involved
// process's capabilities through the inspect export and checks:
//
//  * no process holds a right that no capability it was given had: for
//    each capability, some capability to the same object that the process
//    was given (at start, by creating the object, by spawn, or — for what
//    openat reached — the directory capability it went through) had every
//    right it has;
//  * a revoked capability has nothing left below it in the derivation tree,
//    and no process holds anything opened (openat) through what the revoke
//    removed, or through what was opened through that, and so on;
//  * children of a process in capability mode are in capability mode;
//  * a shared-memory mapping lives exactly as long as the capability it was
//    made through: capops's shared regions are the mappings whose
//    capability it still holds.
//
// KEEL_CAPOPS_RUNS sets the number of sequences (default 20, about a second).

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MachineHarness } from "./testing/machine-harness.js";
import { shippedDisk } from "./testing/disk.js";
import type { CapInfo } from "./inspect-types.js";

const RUNS = Number(process.env.KEEL_CAPOPS_RUNS ?? 20);
const SLOTS = 64;
const ALL_RIGHTS = 63;
/** Paths for openat: ones that stay inside (more often) and ones that try to leave. */
const PATHS = [".", ".", "README", "README", "capops", "./README", "console", "capops.tmp", "..", "/README", "//README", "x/.."];
const OPEN_FLAGS = [0, 0, 0, 0, 0, 1, 2, 0x202, 0x401, 0x200];

/** Rights letters as inspect spells them ("RW---L") to a mask. */
function rightsMask(text: string): number {
  let mask = 0;
  for (let bit = 0; bit < 6; bit++) if (text[bit] !== "-") mask |= 1 << bit;
  return mask;
}

/** A slot: one the process holds (picked by index) or any slot at all. */
const slotArb = fc.record({
  held: fc.oneof({ arbitrary: fc.constant(true), weight: 4 }, { arbitrary: fc.constant(false), weight: 1 }),
  pick: fc.nat({ max: 1000 }),
  raw: fc.integer({ min: 0, max: SLOTS - 1 }),
});
type SlotPick = { held: boolean; pick: number; raw: number };

type Op =
  | { op: "d"; src: SlotPick; rights: number; within: boolean; fromDir: boolean }
  | { op: "c"; src: SlotPick }
  | { op: "m"; src: SlotPick; dst: number }
  | { op: "x"; src: SlotPick }
  | { op: "r"; src: SlotPick; first: "any" | "directory" | "shared memory" }
  | { op: "o"; dir: SlotPick; flags: number; path: string }
  | { op: "n"; kind: number }
  | { op: "e" }
  | { op: "M"; src: SlotPick; fromMemory: boolean }
  | { op: "s"; flags: number; pairs: { src: SlotPick; dst: number }[] }
  | { op: "k"; child: number }
  /** Derive a directory capability (keeping Read) and open through the new one at once. */
  | { op: "O"; src: SlotPick; rights: number; path: string }
  /** Make shared memory, derive from it (keeping Read) and map through the derived one. */
  | { op: "S"; rights: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: fc.record({
      op: fc.constant("d" as const), src: slotArb, rights: fc.integer({ min: 0, max: ALL_RIGHTS }), within: fc.boolean(),
      fromDir: fc.boolean(),
    }),
    weight: 4,
  },
  { arbitrary: fc.record({ op: fc.constant("c" as const), src: slotArb }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant("m" as const), src: slotArb, dst: fc.integer({ min: 0, max: SLOTS - 1 }) }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant("x" as const), src: slotArb }), weight: 1 },
  {
    arbitrary: fc.record({
      op: fc.constant("r" as const), src: slotArb, first: fc.constantFrom("any" as const, "directory" as const, "shared memory" as const),
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      op: fc.constant("o" as const), dir: slotArb, flags: fc.constantFrom(...OPEN_FLAGS), path: fc.constantFrom(...PATHS),
    }),
    weight: 3,
  },
  { arbitrary: fc.record({ op: fc.constant("n" as const), kind: fc.integer({ min: 0, max: 2 }) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant("e" as const) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant("M" as const), src: slotArb, fromMemory: fc.boolean() }), weight: 2 },
  {
    arbitrary: fc.record({
      op: fc.constant("s" as const),
      flags: fc.constantFrom(0, 0, 1, 2),
      pairs: fc.array(fc.record({ src: slotArb, dst: fc.integer({ min: 0, max: SLOTS - 1 }) }), { maxLength: 3 }),
    }),
    weight: 2,
  },
  { arbitrary: fc.record({ op: fc.constant("k" as const), child: fc.nat({ max: 100 }) }), weight: 1 },
  {
    arbitrary: fc.record({
      op: fc.constant("O" as const), src: slotArb, rights: fc.integer({ min: 0, max: ALL_RIGHTS }),
      path: fc.constantFrom(".", "README", "capops", "console"),
    }),
    weight: 2,
  },
  { arbitrary: fc.record({ op: fc.constant("S" as const), rights: fc.integer({ min: 0, max: ALL_RIGHTS }) }), weight: 1 },
);

/** capops reads its operations from slot 0 and answers on slot 1: a move
 *  or delete there would end the run, so those go to slot 2 instead. */
function spare(slot: number): number {
  return slot < 2 ? 2 : slot;
}

/** What one process was given: per object, the union of the rights. */
type Given = Map<number, number>;

class Run {
  readonly h: MachineHarness;
  readonly pid: number;
  readonly given = new Map<number, Given>();
  readonly children: number[] = [];
  /** Objects openat gave, by the node of the directory capability they were opened through. */
  readonly openedVia = new Map<number, number>();
  /** capops's mappings, by the node of the memory capability each was made through. */
  mappings: number[] = [];
  capMode = false;
  readonly log: string[] = [];

  constructor() {
    this.h = new MachineHarness({ ramBytes: 64 * 1024 * 1024, disk: shippedDisk() }).boot();
    this.h.runUntil("\n$ ");
    const mark = this.h.output.length;
    this.h.machine.input("capops\r");
    this.h.runUntil(/capops: ready \d+ \d+\n/, mark);
    const me = this.procs().find((p) => p.name === "capops" && p.state !== "zombie");
    if (!me) throw new Error("capops is not running");
    this.pid = me.pid;
    this.given.set(this.pid, this.objects(this.caps(this.pid)));
  }

  procs() {
    const r = this.h.machine.inspect({ what: "overview", logFrom: 0, schedFrom: 0 });
    if (r.what !== "overview") throw new Error(JSON.stringify(r));
    return r.overview.procs;
  }

  sharedRegions(pid: number): number {
    const r = this.h.machine.inspect({ what: "process", pid });
    return r.what === "process" ? r.detail.regions.filter((g) => g.kind === "shared").length : 0;
  }

  caps(pid: number): CapInfo[] {
    const r = this.h.machine.inspect({ what: "process", pid });
    if (r.what !== "process") return [];
    return r.detail.caps;
  }

  objects(caps: CapInfo[]): Given {
    const g: Given = new Map();
    for (const c of caps) g.set(c.object, (g.get(c.object) ?? 0) | rightsMask(c.rights));
    return g;
  }

  slot(pick: SlotPick, held: CapInfo[]): number {
    if (!pick.held || held.length === 0) return pick.raw;
    return held[pick.pick % held.length]!.slot;
  }

  /** Types one operation; returns capops' result. */
  send(text: string): number {
    const mark = this.h.output.length;
    this.h.machine.input(`${text}\r`);
    let seen: string;
    try {
      seen = this.h.runUntil(/capops: (-?\d+)[^\n]*\n/, mark);
    } catch (e) {
      throw new Error(`${String(e)}\nafter:\n${this.log.join("\n")}\n${text}`);
    }
    const m = /capops: (-?\d+)([^\n]*)\n/.exec(seen)!;
    this.log.push(`${text} -> ${m[1]}${m[2]}`);
    return Number(m[1]);
  }

  step(op: Op): void {
    if (op.op === "O") {
      const dirs = this.caps(this.pid).filter((c) => c.type === "directory");
      if (dirs.length === 0) return;
      const src = dirs[op.src.pick % dirs.length]!;
      const derived = this.stepOne({
        op: "d", src: { held: false, pick: 0, raw: src.slot }, rights: (op.rights | 1) & rightsMask(src.rights), within: false,
        fromDir: false,
      });
      if (derived < 0) return;
      this.stepOne({ op: "o", dir: { held: false, pick: 0, raw: derived }, flags: 0, path: op.path });
      return;
    }
    if (op.op === "S") {
      const shm = this.stepOne({ op: "n", kind: 2 });
      if (shm < 0) return;
      const derived = this.stepOne({
        op: "d", src: { held: false, pick: 0, raw: shm }, rights: op.rights | 1, within: false, fromDir: false,
      });
      if (derived >= 0) this.stepOne({ op: "M", src: { held: false, pick: 0, raw: derived }, fromMemory: false });
      return;
    }
    this.stepOne(op);
  }

  stepOne(op: Exclude<Op, { op: "O" } | { op: "S" }>): number {
    const before = this.caps(this.pid);
    const nodesOf = new Map<number, number[]>(); // object -> its capability nodes, in every tracked process
    for (const pid of [this.pid, ...this.children]) {
      for (const c of pid === this.pid ? before : this.caps(pid)) nodesOf.set(c.object, [...(nodesOf.get(c.object) ?? []), c.node]);
    }
    const known = new Set<number>();
    for (const pid of [this.pid, ...this.children]) for (const c of this.caps(pid)) known.add(c.object);
    const bySlot = new Map(before.map((c) => [c.slot, c]));
    let text: string;
    let reachedThrough: CapInfo | undefined;
    let killed = 0;
    const pairs: { src: number; dst: number }[] = [];
    switch (op.op) {
      case "d": {
        // Half the derives ask for a subset of the source's rights (they
        // succeed), half for any mask (most grow, and must be refused).
        const dirs = before.filter((c) => c.type === "directory");
        const src = this.slot(op.src, op.fromDir && dirs.length > 0 ? dirs : before);
        const has = bySlot.get(src);
        text = `d ${src} ${op.within && has ? op.rights & rightsMask(has.rights) : op.rights}`;
        break;
      }
      case "c": text = `c ${this.slot(op.src, before)}`; break;
      case "m": text = `m ${spare(this.slot(op.src, before))} ${op.dst}`; break;
      case "x": text = `x ${spare(this.slot(op.src, before))}`; break;
      case "r": {
        // Two in three revokes take the first directory or memory capability
        // (usually an original, above the derived ones openat reached
        // through or a mapping was made through).
        const first = op.first === "any" ? undefined : before.find((c) => c.type === op.first);
        text = `r ${first ? first.slot : this.slot(op.src, before)}`;
        break;
      }
      case "o": {
        // Through a directory capability when it holds one (derived ones
        // with fewer rights are the interesting case).
        const dirs = before.filter((c) => c.type === "directory");
        const dir = this.slot(op.dir, dirs.length > 0 ? dirs : before);
        reachedThrough = bySlot.get(dir);
        text = `o ${dir} ${op.flags} ${op.path}`;
        break;
      }
      case "n": text = `n ${op.kind}`; break;
      case "e": text = "e"; break;
      case "M": {
        const memory = before.filter((c) => c.type === "shared memory");
        text = `M ${this.slot(op.src, op.fromMemory && memory.length > 0 ? memory : before)}`;
        break;
      }
      case "s":
        for (const p of op.pairs) pairs.push({ src: this.slot(p.src, before), dst: p.dst });
        text = `s ${op.flags}${pairs.map((p) => ` ${p.src} ${p.dst}`).join("")}`;
        break;
      case "k": {
        // Outside capability mode only its own children (a kill of init or
        // the shell would end the run); inside, any pid but its own.
        const raw = this.capMode && (op.child % 4 === 0 || this.children.length === 0) && op.child !== this.pid;
        killed = raw ? op.child : this.children.length > 0 ? this.children[op.child % this.children.length]! : 0;
        text = `k ${killed}`;
        break;
      }
    }
    const revoked = op.op === "r" ? this.revokedObjects(Number(text.split(" ")[1]), nodesOf) : new Set<number>();
    const result = this.send(text);
    const after = this.caps(this.pid);
    const mine = this.given.get(this.pid)!;

    if (result >= 0 && op.op === "e") this.capMode = true;
    // Objects this process holds now that no process held before came from this step.
    for (const c of after) {
      if (known.has(c.object)) continue;
      if (op.op === "o" && result >= 0 && reachedThrough) {
        mine.set(c.object, rightsMask(reachedThrough.rights));
        this.openedVia.set(c.object, reachedThrough.node);
      }
      else if (op.op === "n" && result >= 0) mine.set(c.object, ALL_RIGHTS);
    }
    if (op.op === "s" && result > 0) {
      const g: Given = new Map();
      for (const p of pairs) {
        const src = bySlot.get(p.src);
        if (src) g.set(src.object, (g.get(src.object) ?? 0) | rightsMask(src.rights));
      }
      this.given.set(result, g);
      this.children.push(result);
    }
    if (op.op === "r" && result >= 0) {
      this.checkRevoked(Number(text.split(" ")[1]));
      for (const pid of [this.pid, ...this.children]) {
        for (const c of this.caps(pid)) {
          expect(revoked.has(c.object), `pid ${pid} slot ${c.slot} still holds what was opened through a revoked capability\n${this.log.join("\n")}`)
            .toBe(false);
        }
      }
      for (const object of revoked) this.openedVia.delete(object);
    }
    if (op.op === "k" && this.capMode && !this.children.includes(killed)) {
      expect(result, `a sandbox killed pid ${killed}, not its child\n${this.log.join("\n")}`).toBe(-1);
    }
    if (op.op === "M" && result === 0) this.mappings.push(bySlot.get(Number(text.split(" ")[1]))!.node);
    const live = new Set(after.map((c) => c.node));
    this.mappings = this.mappings.filter((n) => live.has(n));
    expect(this.sharedRegions(this.pid), `shared mappings != mappings whose capability is held\n${this.log.join("\n")}`)
      .toBe(this.mappings.length);
    this.checkRights();
    this.checkCapMode(op, result);
    return result;
  }

  checkRights(): void {
    for (const [pid, given] of this.given) {
      for (const c of this.caps(pid)) {
        const allowed = given.get(c.object);
        const held = rightsMask(c.rights);
        if (allowed === undefined || (held & ~allowed) !== 0) {
          throw new Error(
            `pid ${pid} slot ${c.slot} (${c.type}) holds ${c.rights}, given ${allowed === undefined ? "nothing" : allowed} for that object\n` +
              this.log.join("\n"),
          );
        }
      }
    }
  }

  /** Before a revoke of (pid, slot): the objects it must take away with the
   *  capabilities below it, those opened through them, through those... */
  revokedObjects(slot: number, nodesOf: Map<number, number[]>): Set<number> {
    const r = this.h.machine.inspect({ what: "captree", pid: this.pid, slot });
    const objects = new Set<number>();
    if (r.what !== "captree") return objects;
    const at = r.nodes.findIndex((n) => n.pid === this.pid && n.slot === slot);
    if (at < 0) return objects;
    const gone = new Set<number>();
    for (let i = at + 1; i < r.nodes.length && r.nodes[i]!.depth > r.nodes[at]!.depth; i++) gone.add(r.nodes[i]!.node);
    for (let grew = true; grew;) {
      grew = false;
      for (const [object, via] of this.openedVia) {
        if (objects.has(object) || !gone.has(via)) continue;
        objects.add(object);
        for (const n of nodesOf.get(object) ?? []) gone.add(n);
        grew = true;
      }
    }
    return objects;
  }

  checkRevoked(slot: number): void {
    const r = this.h.machine.inspect({ what: "captree", pid: this.pid, slot });
    if (r.what !== "captree") return;
    const at = r.nodes.findIndex((n) => n.pid === this.pid && n.slot === slot);
    expect(at, this.log.join("\n")).toBeGreaterThanOrEqual(0);
    const below = r.nodes[at + 1];
    expect(below === undefined || below.depth <= r.nodes[at]!.depth, `something left below a revoked capability\n${this.log.join("\n")}`)
      .toBe(true);
  }

  checkCapMode(op: Op, result: number): void {
    if (op.op !== "s" || result <= 0) return;
    const child = this.procs().find((p) => p.pid === result);
    if (child && (this.capMode || (op.flags & 1) !== 0)) {
      expect(child.capMode, `child ${result} of ${this.capMode ? "a sandbox" : "SPAWN_CAPMODE"} outside capability mode\n${this.log.join("\n")}`)
        .toBe(true);
    }
  }
}

describe("capability sequences (capops)", () => {
  it("no process ever holds a right that no capability it was given had", () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 5, maxLength: 60 }), (ops) => {
        const run = new Run();
        for (const op of ops) run.step(op);
        expect(run.h.output).not.toContain("KERNEL PANIC");
      }),
      { numRuns: RUNS },
    );
  });
});
