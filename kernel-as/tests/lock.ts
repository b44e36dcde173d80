// Test entry for the kernel's locks (lib/lock.ts): the lock operations as
// exports, with the vCPU index settable so one instance can play several
// vCPUs in turn, and a loop for the two-thread stress test.

export { kernelImageEnd } from "../src/lib/image";
export { cpuSetIndex } from "../src/lib/cpu";
export {
  locksInit, locksReset, locksCount, locksHeld, locksForgetHeld, spinLock, spinUnlock, spinTryLock, lockIsHeld, lockOwner,
  readLock, readUnlock, writeLock, writeUnlock, readersOf, mutexTryAcquire, mutexRelease, lockNameAddr, lockNameLength,
  LOCK_TEST_A, LOCK_TEST_B, LOCK_TEST_RW, LOCK_TEST_MUTEX, LOCK_FRAMES, LOCK_SLAB, LOCK_PROC,
} from "../src/lib/lock";
import { lockRecord, spinLock, spinUnlock } from "../src/lib/lock";

/** A statistic of lock `id`: 0 acquisitions, 1 contended, 2 spins, 3 longest wait, 4 rank, 5 kind, 6 holder, 7 waiters. */
export function lockStat(id: u32, which: u32): f64 {
  const r = lockRecord(id);
  switch (which) {
    case 0: return <f64>r.acquisitions;
    case 1: return <f64>r.contended;
    case 2: return <f64>r.spins;
    case 3: return <f64>r.maxSpins;
    case 4: return <f64>r.rank;
    case 5: return <f64>r.kind;
    case 6: return <f64>r.holder;
    default: return <f64>r.waiters;
  }
}

/** n times: take lock `id`, add 1 to the u32 at `counter` by a separate
 *  load and store (a lost update shows a broken lock; atomic ones, so the
 *  compiler cannot fold the loop into one add), release. */
export function hammer(id: u32, counter: usize, n: u32): void {
  for (let i: u32 = 0; i < n; i++) {
    spinLock(id);
    atomic.store<u32>(counter, atomic.load<u32>(counter) + 1);
    spinUnlock(id);
  }
}

/** hammer without the lock: for checking that the test can see lost updates. */
export function hammerUnlocked(counter: usize, n: u32): void {
  for (let i: u32 = 0; i < n; i++) atomic.store<u32>(counter, atomic.load<u32>(counter) + 1);
}
