// The big kernel lock. Layer: lib (a leaf: layout, cpu and the imports).
//
// With truly parallel vCPUs (docs/architecture.md "Parallel vCPUs") every
// vCPU is a thread over the one shared RAM. The kernel's structures are not
// yet behind locks of their own, so one lock covers all of kernel code: a
// vCPU holds it from the start of its run() call to its end, and drops it
// only while its hart runs user code (proc/run.ts, around hartRun) - so
// CPU-bound user processes run in parallel, kernel code never does. The
// shared scratch areas (KSTATE_SCRATCH) are used only under the lock.
//
// With one host thread (one vCPU, or interleaved vCPUs) the lock is always
// free when taken: one compare-and-swap, never a wait, and nothing a
// deterministic run could see.
//
// Waiting: vCPU 0's thread also services the other vCPUs' port I/O and
// hypercalls (their mailbox, host/parallel.ts), and the holder may be
// waiting for one of those; so vCPU 0 calls HV_CPU_RELAX between attempts
// instead of sleeping. The other vCPUs sleep on the lock word for at most
// BKL_WAIT_NS at a time (a release with waiters notifies one).
//
// The record (KSTATE_HART + BKL_BASE, after the shootdown log):
//   +0  u32 holder: 0 free, else the holding vCPU's index + 1
//   +4  u32 waiters sleeping on the word
//   +8  u64 acquisitions
//   +16 u64 acquisitions that found the lock held

import { KSTATE_HART } from "./layout";
import { cpuId } from "./cpu";
import { hypercall } from "../arch/imports";
import { HV_CPU_RELAX } from "../arch/hw";

const BKL_BASE: usize = 0xF00;
const BKL_HOLDER: usize = 0;
const BKL_WAITERS: usize = 4;
const BKL_TAKEN: usize = 8;
const BKL_CONTENDED: usize = 16;
/** Longest sleep of a waiting vCPU other than 0 before it tries again. */
const BKL_WAIT_NS: i64 = 200_000;

// @ts-ignore: decorator
@inline function word(): usize { return KSTATE_HART + BKL_BASE; }

/** At boot, before any other vCPU runs: free, counts zero. */
export function bklInit(): void {
  atomic.store<u32>(word() + BKL_HOLDER, 0);
  atomic.store<u32>(word() + BKL_WAITERS, 0);
  store<u64>(word() + BKL_TAKEN, 0);
  store<u64>(word() + BKL_CONTENDED, 0);
}

/** Takes the lock; returns once this vCPU holds it. Not re-entrant. */
export function bklAcquire(): void {
  const w = word();
  const me = cpuId() + 1;
  if (atomic.cmpxchg<u32>(w + BKL_HOLDER, 0, me) != 0) {
    while (atomic.cmpxchg<u32>(w + BKL_HOLDER, 0, me) != 0) {
      if (cpuId() == 0) {
        hypercall(HV_CPU_RELAX, 0, 0, 0);
        continue;
      }
      atomic.add<u32>(w + BKL_WAITERS, 1);
      const held = atomic.load<u32>(w + BKL_HOLDER);
      if (held != 0) atomic.wait<u32>(w + BKL_HOLDER, held, BKL_WAIT_NS);
      atomic.sub<u32>(w + BKL_WAITERS, 1);
    }
    store<u64>(w + BKL_CONTENDED, load<u64>(w + BKL_CONTENDED) + 1);
  }
  store<u64>(w + BKL_TAKEN, load<u64>(w + BKL_TAKEN) + 1);
}

/** Drops the lock this vCPU holds. */
export function bklRelease(): void {
  const w = word();
  atomic.store<u32>(w + BKL_HOLDER, 0);
  if (atomic.load<u32>(w + BKL_WAITERS) != 0) atomic.notify(w + BKL_HOLDER, 1);
}

/** True when this vCPU holds the lock. */
export function bklHeld(): bool { return atomic.load<u32>(word() + BKL_HOLDER) == cpuId() + 1; }

/** Statistics: 0 acquisitions, 1 contended acquisitions. */
export function bklStat(which: u32): u64 { return load<u64>(word() + (which == 0 ? BKL_TAKEN : BKL_CONTENDED)); }
