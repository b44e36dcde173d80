import { describe, expect, it } from "vitest";
import type { LockInfo } from "../../host/locks";
import { cachesLine, lockCpu, lockHolder, lockRows, locksSummary, lockShown } from "./locks-panel";

const lock = (name: string, more: Partial<LockInfo> = {}): LockInfo => ({
  id: 0, name, kind: "spin", rank: 85, held: false, holderCpu: null, readers: 0,
  acquisitions: 0, contended: 0, spins: 0, maxSpins: 0, ...more,
});

describe("the Locks panel's rows", () => {
  it("name the holder as the monitor does", () => {
    expect(lockHolder(lock("frames"))).toBe("-");
    expect(lockHolder(lock("frames", { held: true, holderCpu: 1 }))).toBe("vCPU 1");
    expect(lockHolder(lock("t", { kind: "rw", held: true, readers: 3 }))).toBe("3 readers");
    expect(lockHolder(lock("t", { kind: "rw", held: true, readers: 1 }))).toBe("1 reader");
    expect(lockHolder(lock("t", { kind: "rw", held: true, holderCpu: -1 }))).toBe("a writer");
  });

  it("leave out the self-test locks and the cache locks of vCPUs the machine lacks, unless they were used", () => {
    expect(lockCpu("frames-cpu12")).toBe(12);
    expect(lockCpu("frames")).toBeNull();
    expect(lockShown(lock("test-a", { rank: 200 }), 2)).toBe(false);
    expect(lockShown(lock("frames-cpu0", { rank: 80 }), 1)).toBe(true);
    expect(lockShown(lock("frames-cpu1", { rank: 80 }), 2)).toBe(true);
    expect(lockShown(lock("frames-cpu2", { rank: 80 }), 2)).toBe(false);
    expect(lockShown(lock("frames-cpu2", { rank: 80, acquisitions: 1 }), 2)).toBe(true);
    expect(lockShown(lock("slab-cpu3", { rank: 70, held: true, holderCpu: 3 }), 1)).toBe(true);
    const rows = lockRows([lock("proc", { rank: 10, acquisitions: 12345, contended: 2, spins: 99, maxSpins: 40 }), lock("test-b", { rank: 210 })], 1);
    expect(rows).toEqual([{ name: "proc", kind: "spin", rank: "10", acquisitions: "12345", contended: "2", spins: "99", longest: "40", holder: "-" }]);
  });

  it("sum the acquisitions and the contended share above the table", () => {
    expect(locksSummary([])).toBe("No locks in the kernel's registry.");
    const s = locksSummary([lock("a", { acquisitions: 300, contended: 3 }), lock("b", { acquisitions: 100, held: true, holderCpu: 0 })]);
    expect(s).toContain("2 locks: 400 acquisitions, 3 contended (0.75%); 1 held now.");
    expect(locksSummary([lock("a", { acquisitions: 5 })])).toContain("5 acquisitions, 0 contended (0%); none held now.");
    expect(locksSummary([lock("a")])).toContain("0 acquisitions, 0 contended; none held now.");
  });

  it("say what the per-vCPU caches hold, per vCPU and in all", () => {
    expect(cachesLine([])).toBe("");
    expect(cachesLine([{ cpu: 0, frames: 12, magazineObjects: 1 }, { cpu: 1, frames: 1, magazineObjects: 30 }]))
      .toBe("Per-vCPU caches: 13 free frames and 31 kmalloc objects held in front of the allocators (vCPU 0: 12 frames, 1 object; vCPU 1: 1 frame, 30 objects).");
  });
});
