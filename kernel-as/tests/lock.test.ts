// The kernel's locks (lib/lock.ts) through their test entry
// (kernel-as/tests/lock.ts): one instance plays several vCPUs in turn
// (cpuSetIndex), so every outcome a second vCPU could see is checked without
// threads; the lock-order checks (test builds keep them) stop the kernel
// with a message naming both locks. host/locks-threads.test.ts runs the
// same locks from two real threads.

import { describe, expect, it } from "vitest";
import { loadKernelTest, type KernelTestInstance } from "../../host/testing/kernel-test.js";
import { CONTROL_BLOCK, CB_PANIC_LEN, CB_PANIC_MSG } from "../../host/hw.js";

export interface LockExports {
  cpuSetIndex(i: number): number;
  locksInit(): void;
  locksReset(): void;
  locksCount(): number;
  locksHeld(cpu: number): number;
  locksForgetHeld(): void;
  spinLock(id: number): void;
  spinUnlock(id: number): void;
  spinTryLock(id: number): number;
  lockIsHeld(id: number): number;
  lockOwner(id: number): number;
  readLock(id: number): void;
  readUnlock(id: number): void;
  writeLock(id: number): void;
  writeUnlock(id: number): void;
  readersOf(id: number): number;
  mutexTryAcquire(id: number): number;
  mutexRelease(id: number): number;
  lockNameAddr(id: number): number;
  lockNameLength(id: number): number;
  lockStat(id: number, which: number): number;
  hammer(id: number, counter: number, n: number): void;
  LOCK_TEST_A: { value: number };
  LOCK_TEST_B: { value: number };
  LOCK_TEST_RW: { value: number };
  LOCK_TEST_MUTEX: { value: number };
  LOCK_FRAMES: { value: number };
  LOCK_SLAB: { value: number };
  LOCK_PROC: { value: number };
}

const STAT = { acquisitions: 0, contended: 1, spins: 2, maxSpins: 3, rank: 4, kind: 5, holder: 6, waiters: 7 };

function boot(): KernelTestInstance<LockExports> {
  const t = loadKernelTest<LockExports>("lock");
  t.exports.locksInit();
  return t;
}

function name(t: KernelTestInstance<LockExports>, id: number): string {
  const e = t.exports;
  return new TextDecoder().decode(new Uint8Array(t.memory.buffer, e.lockNameAddr(id), e.lockNameLength(id)));
}

/** Runs `f`, which must stop the kernel; returns the panic message. */
function panicOf(t: KernelTestInstance<LockExports>, f: () => void): string {
  expect(f).toThrow(WebAssembly.RuntimeError);
  const view = new DataView(t.memory.buffer);
  const len = view.getUint32(CONTROL_BLOCK + CB_PANIC_LEN, true);
  return new TextDecoder().decode(new Uint8Array(t.memory.buffer, CONTROL_BLOCK + CB_PANIC_MSG, len));
}

describe("kernel spinlocks", () => {
  it("names every fixed lock and gives the allocators' locks the ranks the docs state", () => {
    const t = boot();
    const e = t.exports;
    expect(name(t, e.LOCK_FRAMES.value)).toBe("frames");
    expect(name(t, e.LOCK_SLAB.value)).toBe("slab");
    expect(name(t, e.LOCK_PROC.value)).toBe("proc");
    expect(name(t, 16)).toBe("slab-cpu0");
    expect(name(t, 24 + 7)).toBe("frames-cpu7");
    expect(e.lockStat(e.LOCK_PROC.value, STAT.rank)).toBeLessThan(e.lockStat(e.LOCK_SLAB.value, STAT.rank));
    expect(e.lockStat(e.LOCK_SLAB.value, STAT.rank)).toBeLessThan(e.lockStat(e.LOCK_FRAMES.value, STAT.rank));
    expect(e.locksCount()).toBe(32);
  });

  it("is held by the vCPU that took it until it releases it, and counts acquisitions", () => {
    const t = boot();
    const e = t.exports;
    const A = e.LOCK_TEST_A.value;
    e.cpuSetIndex(1);
    e.spinLock(A);
    expect(e.lockIsHeld(A)).toBe(1);
    expect(e.lockOwner(A)).toBe(1);
    expect(e.locksHeld(1)).toBe(1);
    e.cpuSetIndex(0);
    expect(e.spinTryLock(A)).toBe(0); // another vCPU holds it
    e.cpuSetIndex(1);
    e.spinUnlock(A);
    expect(e.lockIsHeld(A)).toBe(0);
    expect(e.locksHeld(1)).toBe(0);
    e.cpuSetIndex(0);
    expect(e.spinTryLock(A)).toBe(1);
    expect(e.lockOwner(A)).toBe(0);
    e.spinUnlock(A);
    expect(e.lockStat(A, STAT.acquisitions)).toBe(2);
    expect(e.lockStat(A, STAT.contended)).toBe(0);
    e.locksReset();
    expect(e.lockStat(A, STAT.acquisitions)).toBe(0);
  });

  it("keeps a plain counter exact under the lock", () => {
    const t = boot();
    const e = t.exports;
    const counter = 0x20000; // scratch
    e.hammer(e.LOCK_TEST_A.value, counter, 1000);
    expect(new Uint32Array(t.memory.buffer, counter, 1)[0]).toBe(1000);
    expect(e.lockStat(e.LOCK_TEST_A.value, STAT.acquisitions)).toBe(1000);
  });

  it("allows locks taken in rising rank order and released innermost first", () => {
    const t = boot();
    const e = t.exports;
    e.spinLock(e.LOCK_TEST_A.value);
    e.spinLock(e.LOCK_TEST_B.value);
    expect(e.locksHeld(0)).toBe(2);
    e.spinUnlock(e.LOCK_TEST_B.value);
    e.spinUnlock(e.LOCK_TEST_A.value);
    expect(e.locksHeld(0)).toBe(0);
  });
});

describe("lock order checking (test and debug builds)", () => {
  it("stops the kernel when a lower rank is taken while a higher one is held", () => {
    const t = boot();
    const e = t.exports;
    e.spinLock(e.LOCK_TEST_B.value);
    expect(panicOf(t, () => e.spinLock(e.LOCK_TEST_A.value))).toBe(
      "lock order: vCPU 0 takes lock test-a (rank 200) while holding test-b (rank 210)");
  });

  it("stops the kernel when an equal rank is taken", () => {
    const t = boot();
    const e = t.exports;
    e.cpuSetIndex(3);
    e.spinLock(e.LOCK_TEST_B.value);
    expect(panicOf(t, () => e.readLock(e.LOCK_TEST_RW.value))).toBe(
      "lock order: vCPU 3 takes lock test-rw (rank 210) while holding test-b (rank 210)");
  });

  it("the allocators' order: frames may not be held while slab is taken", () => {
    const t = boot();
    const e = t.exports;
    e.spinLock(e.LOCK_FRAMES.value);
    expect(panicOf(t, () => e.spinLock(e.LOCK_SLAB.value))).toMatch(/^lock order: vCPU 0 takes lock slab \(rank \d+\) while holding frames/);
  });

  it("stops the kernel on a lock taken twice, released out of order, or released unheld", () => {
    let t = boot();
    e2(t).spinLock(e2(t).LOCK_TEST_A.value);
    expect(panicOf(t, () => e2(t).spinLock(e2(t).LOCK_TEST_A.value))).toMatch(/takes lock test-a .* which it already holds/);
    t = boot();
    e2(t).spinLock(e2(t).LOCK_TEST_A.value);
    e2(t).spinLock(e2(t).LOCK_TEST_B.value);
    expect(panicOf(t, () => e2(t).spinUnlock(e2(t).LOCK_TEST_A.value))).toMatch(/releases out of order lock test-a .*test-b/);
    t = boot();
    expect(panicOf(t, () => e2(t).spinUnlock(e2(t).LOCK_TEST_A.value))).toMatch(/releases \(not held\) lock test-a/);
  });
});

function e2(t: KernelTestInstance<LockExports>): LockExports { return t.exports; }

describe("read-write locks", () => {
  it("lets readers share and keeps a writer out until they leave", () => {
    const t = boot();
    const e = t.exports;
    const RW = e.LOCK_TEST_RW.value;
    e.cpuSetIndex(0);
    e.readLock(RW);
    e.cpuSetIndex(1);
    e.readLock(RW);
    expect(e.readersOf(RW)).toBe(2);
    e.readUnlock(RW);
    e.cpuSetIndex(0);
    e.readUnlock(RW);
    expect(e.readersOf(RW)).toBe(0);
    e.writeLock(RW);
    expect(e.lockIsHeld(RW)).toBe(1);
    e.writeUnlock(RW);
    expect(e.lockIsHeld(RW)).toBe(0);
    expect(e.lockStat(RW, STAT.acquisitions)).toBe(3);
    expect(panicOf(t, () => e.readUnlock(RW))).toMatch(/releases \(not held\) lock test-rw/);
  });
});

describe("sleeping mutexes", () => {
  it("refuses a second taker, counts it as a waiter, and the release reports it", () => {
    const t = boot();
    const e = t.exports;
    const M = e.LOCK_TEST_MUTEX.value;
    expect(e.mutexTryAcquire(M)).toBe(1);
    e.cpuSetIndex(1);
    expect(e.mutexTryAcquire(M)).toBe(0);
    expect(e.lockStat(M, STAT.waiters)).toBe(1);
    expect(e.lockStat(M, STAT.contended)).toBe(1);
    expect(e.mutexRelease(M)).toBe(1); // released on another vCPU than it was taken: a process holds it
    expect(e.lockIsHeld(M)).toBe(0);
    expect(e.mutexTryAcquire(M)).toBe(1);
    expect(e.lockOwner(M)).toBe(1);
    expect(e.mutexRelease(M)).toBe(0);
    expect(panicOf(t, () => e.mutexRelease(M))).toMatch(/releases the mutex while it is free/);
  });
});
