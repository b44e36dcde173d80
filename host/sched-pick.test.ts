// The scheduler's pick (sched/sched.ts) against a model, through its test
// entry (kernel-as/tests/sched.ts) over a real process table. Random
// sequences make processes, change their class, priority and CPU mask, put
// them to sleep and wake them, and link them by IPC calls and replies; after
// every step each process's effective rank is compared with the model's
// (inheritance followed through nested calls up to the depth limit, undone
// at the reply), and every pick is checked: runnable, allowed on the vCPU
// asking, of the strongest effective rank among those, first in its
// real-time queue or least in virtual runtime, and NO_SLOT only when none is.

import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { loadKernelTest } from "./testing/kernel-test.js";

interface Sched {
  setup(): number;
  procAlloc(): number;
  pPid(slot: number): number;
  pState(slot: number): number;
  pAffinity(slot: number): number;
  pSetAffinity(slot: number, mask: number): void;
  pReplyPid(slot: number): number;
  pVruntime(slot: number): bigint;
  pRunSeq(slot: number): bigint;
  schedPickFor(cpu: number): number;
  schedMakeRunnable(slot: number): void;
  schedSetPolicy(slot: number, policy: number, prio: number): void;
  effectiveRank(slot: number): number;
  ownRank(slot: number): number;
  schedSetInherit(on: number): void;
  inheritDepthMax(): number;
  sleep(slot: number): void;
  call(client: number, server: number): void;
  reply(server: number): number;
  charge(slot: number, work: number): void;
}

const NO_SLOT = 0xffff_ffff;
const P_RUNNABLE = 1;
const POLICIES = [0, 1, 2, 3, 5] as const;

interface Proc { slot: number; pid: number; policy: number; prio: number; mask: number; asleep: boolean; waitsOn: Proc | null; serves: Proc | null }

function ownRank(p: Proc): number {
  if (p.policy === 1 || p.policy === 2) return 1 + p.prio;
  return p.policy === 5 ? 0 : 1;
}

type Op =
  | { kind: "new" }
  | { kind: "policy"; i: number; policy: number; prio: number }
  | { kind: "mask"; i: number; mask: number }
  | { kind: "sleep"; i: number }
  | { kind: "wake"; i: number }
  | { kind: "call"; i: number; j: number }
  | { kind: "reply"; i: number }
  | { kind: "charge"; i: number; work: number }
  | { kind: "pick"; cpu: number }
  | { kind: "inherit"; on: boolean };

const op: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.constant({ kind: "new" as const }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant("policy" as const), i: fc.nat(15), policy: fc.constantFrom(...POLICIES), prio: fc.integer({ min: 1, max: 99 }) }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant("mask" as const), i: fc.nat(15), mask: fc.integer({ min: 1, max: 255 }) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant("sleep" as const), i: fc.nat(15) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant("wake" as const), i: fc.nat(15) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant("call" as const), i: fc.nat(15), j: fc.nat(15) }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant("reply" as const), i: fc.nat(15) }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant("charge" as const), i: fc.nat(15), work: fc.integer({ min: 1, max: 3_000_000 }) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant("pick" as const), cpu: fc.nat(7) }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant("inherit" as const), on: fc.boolean() }), weight: 1 },
);

describe("the scheduler's pick", () => {
  it("keeps its invariants over random classes, masks, sleeps, calls and replies", () => {
    fc.assert(fc.property(fc.array(op, { minLength: 1, maxLength: 120 }), (ops) => {
      const k = loadKernelTest<Sched>("sched", { ramBytes: 16 * 1024 * 1024 }).exports;
      expect(k.setup()).toBe(0);
      const depthMax = k.inheritDepthMax();
      let inherit = true;
      const procs: Proc[] = [];
      const at = (i: number): Proc | undefined => procs[i % Math.max(1, procs.length)];
      const effective = (p: Proc): number => {
        let best = ownRank(p);
        if (!inherit) return best;
        let s = p;
        for (let d = 0; d < depthMax && s.serves; d++) {
          s = s.serves;
          best = Math.max(best, ownRank(s));
        }
        return best;
      };
      const check = (): void => {
        for (const p of procs) {
          expect(k.effectiveRank(p.slot), `effective rank of pid ${p.pid}`).toBe(effective(p));
          expect(k.ownRank(p.slot)).toBe(ownRank(p));
          expect(k.pState(p.slot) === P_RUNNABLE).toBe(!p.asleep && !p.waitsOn);
        }
      };
      for (const o of ops) {
        const p = "i" in o ? at(o.i) : undefined;
        switch (o.kind) {
          case "new": {
            if (procs.length >= 16) break;
            const slot = k.procAlloc();
            k.schedMakeRunnable(slot);
            procs.push({ slot, pid: k.pPid(slot), policy: 0, prio: 0, mask: 0xff, asleep: false, waitsOn: null, serves: null });
            break;
          }
          case "policy":
            if (!p) break;
            p.policy = o.policy;
            p.prio = o.policy === 1 || o.policy === 2 ? o.prio : 0;
            k.schedSetPolicy(p.slot, p.policy, p.prio);
            break;
          case "mask":
            if (!p) break;
            p.mask = o.mask;
            k.pSetAffinity(p.slot, o.mask);
            break;
          case "sleep":
            if (!p || p.asleep || p.waitsOn) break;
            p.asleep = true;
            k.sleep(p.slot);
            break;
          case "wake":
            if (!p || !p.asleep) break;
            p.asleep = false;
            k.schedMakeRunnable(p.slot);
            break;
          case "call": {
            const s = at(o.j);
            // The caller is running (runnable); the server received the call and owes no other reply.
            if (!p || !s || p === s || p.asleep || p.waitsOn || s.serves) break;
            k.call(p.slot, s.slot);
            p.waitsOn = s;
            s.serves = p;
            break;
          }
          case "reply": {
            if (!p || !p.serves || p.asleep || p.waitsOn) break;
            const caller = p.serves;
            expect(k.reply(p.slot)).toBe(caller.slot);
            p.serves = null;
            caller.waitsOn = null;
            // The boost ends with the reply: the server is back at its own rank.
            expect(k.effectiveRank(p.slot)).toBe(ownRank(p));
            break;
          }
          case "charge":
            if (p) k.charge(p.slot, o.work);
            break;
          case "inherit":
            inherit = o.on;
            k.schedSetInherit(o.on ? 1 : 0);
            break;
          case "pick": {
            const picked = k.schedPickFor(o.cpu) >>> 0;
            const eligible = procs.filter((q) => !q.asleep && !q.waitsOn && (q.mask & (1 << o.cpu)) !== 0);
            if (eligible.length === 0) { expect(picked).toBe(NO_SLOT); break; }
            const chosen = procs.find((q) => q.slot === picked);
            expect(chosen, `picked slot ${picked}`).toBeDefined();
            expect(eligible).toContain(chosen);
            const top = Math.max(...eligible.map(effective));
            expect(effective(chosen!)).toBe(top);
            const peers = eligible.filter((q) => effective(q) === top);
            for (const q of peers) {
              if (top > 1) expect(k.pRunSeq(chosen!.slot) <= k.pRunSeq(q.slot)).toBe(true);
              else expect(k.pVruntime(chosen!.slot) <= k.pVruntime(q.slot)).toBe(true);
            }
            break;
          }
        }
        check();
      }
    }), { numRuns: 150 });
  });
});
