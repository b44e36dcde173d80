// "Every frame comes back", checked from outside: a baseline of the kernel's
// memory accounting (the inspect export's INSPECT_MEMORY and process table,
// docs/memory.md "Every frame accounted for") and the comparison after
// programs have exited. For tests and the system-call fuzzer's driver.

import { expect } from "vitest";
import type { MachineHarness } from "./machine-harness.js";
import type { InspectResult, MemoryUsage, Overview } from "../inspect-types.js";

const PAGE = 4096;

function answer<W extends InspectResult["what"]>(result: InspectResult, what: W): Extract<InspectResult, { what: W }> {
  if (result.what === "error") throw new Error(`inspect failed: ${result.message}`);
  if (result.what !== what) throw new Error(`inspect answered ${result.what}, not ${what}`);
  return result as Extract<InspectResult, { what: W }>;
}

export const memoryUsage = (h: MachineHarness): MemoryUsage => answer(h.machine.inspect({ what: "memory" }), "memory").memory;
const overview = (h: MachineHarness): Overview =>
  answer(h.machine.inspect({ what: "overview", logFrom: 0, schedFrom: 0 }), "overview").overview;

/** What must come back after programs exit. The uses that live processes
 *  (init, sh) and the slab caches' kept empty slabs may move are pooled with
 *  the free frames; every other named use and the objects in use of every
 *  cache must be exactly as before. */
export interface MemoryBaseline {
  /** Frames of every use but user memory, page tables and slab caches. */
  fixed: Record<string, number>;
  /** Objects in use, per slab cache. */
  objects: Record<string, number>;
  /** Free frames + slab frames + user and page-table frames of live processes. */
  pool: number;
  /** The live processes. */
  pids: number[];
}

export function memoryBaseline(h: MachineHarness): MemoryBaseline {
  const m = memoryUsage(h);
  const o = overview(h);
  const inUse = Object.values(m.uses).reduce((a, b) => a + b, 0);
  if (m.free + inUse !== m.managed) throw new Error(`frames do not add up: ${m.free} free + ${inUse} in use != ${m.managed}`);
  const moving = new Set(["user memory", "page tables", "slab caches"]);
  const fixed = Object.fromEntries(Object.entries(m.uses).filter(([k]) => !moving.has(k)));
  const objects = Object.fromEntries(m.caches.map((c) => [c.name, c.inUse]));
  const live = o.procs.filter((p) => p.state !== "zombie");
  const owned = live.reduce((a, p) => a + (p.memBytes + p.pageTableBytes) / PAGE, 0);
  return { fixed, objects, pool: m.free + (m.uses["slab caches"] ?? 0) + owned, pids: live.map((p) => p.pid).sort() };
}

/** Expects the machine's memory to be back at `before`; `what` names the step. */
export function expectMemoryBack(h: MachineHarness, before: MemoryBaseline, what: string): void {
  const now = memoryBaseline(h);
  expect(now.pids, `${what}: processes left`).toEqual(before.pids);
  expect(now.fixed, `${what}: kernel frames`).toEqual(before.fixed);
  expect(now.objects, `${what}: slab objects`).toEqual(before.objects);
  expect(now.pool, `${what}: free + slabs + live processes' frames`).toBe(before.pool);
}
