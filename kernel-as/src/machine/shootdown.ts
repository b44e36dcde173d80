// Keeping every vCPU's hart caches true to RAM. Each vCPU has its own TLB
// and decoded-block cache (in its own hart arena); a page-table change or a
// write to code made on one vCPU must reach the others' caches before they
// next run user code. The vCPU that made the change applies it to its own
// caches at once and appends it to a machine-wide log in RAM (KSTATE_HART +
// SD_BASE); every vCPU replays the entries it has not seen at the start of
// each hartRun (one load and compare when there are none). A vCPU that fell
// more than SD_ENTRIES behind flushes both caches whole, which is always
// correct: they only ever cache what RAM says.
//
// With the vCPUs interleaved on one host thread (docs/architecture.md
// "Several vCPUs") no vCPU runs while another changes a mapping, so
// replaying before the next hartRun is as good as an interrupt. With one
// vCPU nothing is logged (SD_ACTIVE stays 0).
//
// A user fence.i on one vCPU flushes every vCPU's decoded blocks (as Linux
// does for a process that may migrate); a store into code decoded on the
// same vCPU still drops those blocks at once (blockcache.ts).

import { KSTATE_HART } from "../lib/layout";
import { cpuId, cpuRecord, cpuInUser, cpuInterrupt, MAX_CPUS } from "../lib/cpu";
import { tlbFlushAll, tlbFlushAsid, tlbFlushVa } from "./tlb";
import { blockCacheFlushAll, blockInvalidateFrame } from "./blockcache";

// The KSTATE_HART page: hart.ts's per-vCPU slots from 0 (MAX_CPUS x 32
// bytes), debug.ts's breakpoint and watchpoint record from 0x400 to 0x900,
// this log from 0xA00 (16 + SD_ENTRIES x 16 bytes, to 0xE10). At 0x400 the
// log's sequence number was the debugger's breakpoint count: every logged
// change on two vCPUs looked like a breakpoint, so the JIT stood aside and
// the executor invalidated frames named by log entries.
const SD_BASE: usize = 0xA00;
const SD_SEQ: usize = 0;        // u32: entries ever logged
const SD_ACTIVE: usize = 4;     // u32: nonzero once a second vCPU is online
const SD_LOCK: usize = 8;       // u32: nonzero while a vCPU appends an entry
const SD_RING: usize = 16;
const SD_ENTRY_SIZE: usize = 16; // u32 op, u32 a, u64 b
export const SD_ENTRIES: u32 = 64;

export const SD_TLB_ALL: u32 = 1;
export const SD_TLB_ASID: u32 = 2;   // a = asid
export const SD_TLB_VA: u32 = 3;     // a = asid, b = va
export const SD_CODE_FRAME: u32 = 4; // b = frame address
export const SD_CODE_ALL: u32 = 5;

/** Log entries this vCPU has applied. */
let seen: u32 = 0;

// @ts-ignore: decorator
@inline function header(): usize { return KSTATE_HART + SD_BASE; }

/** Starts logging (vCPU 0, when it brings a second vCPU online). */
export function shootdownActivate(): void { store<u32>(header() + SD_ACTIVE, 1); }

/** At boot, before any vCPU has caches: nothing logged, logging off. */
export function shootdownInit(): void {
  store<u32>(header() + SD_SEQ, 0);
  store<u32>(header() + SD_ACTIVE, 0);
  seen = 0;
}

/** This vCPU's caches were just emptied: everything logged so far is in them. */
export function shootdownCaughtUp(): void { seen = atomic.load<u32>(header() + SD_SEQ); }

/** Logs a change this vCPU has already applied to its own caches. */
export function shootdownPost(op: u32, a: u32, b: u64): void {
  const h = header();
  if (load<u32>(h + SD_ACTIVE) == 0) return;
  while (atomic.cmpxchg<u32>(h + SD_LOCK, 0, 1) != 0) { /* another vCPU is appending: a few stores */ }
  const seq = atomic.load<u32>(h + SD_SEQ);
  const e = h + SD_RING + <usize>(seq & (SD_ENTRIES - 1)) * SD_ENTRY_SIZE;
  store<u32>(e, op);
  store<u32>(e + 4, a);
  store<u64>(e + 8, b);
  atomic.store<u32>(h + SD_SEQ, seq + 1);
  atomic.store<u32>(h + SD_LOCK, 0);
  if (seen == seq) seen = seq + 1;
}

/** Every address space (shootdownSync's `asid` for a whole-TLB flush). */
export const SD_ANY_ASID: u32 = 0xFFFF_FFFF;

/** After a logged TLB change to `asid` (SD_ANY_ASID: all): interrupts every
 *  other vCPU running user code in it and waits until each has left its
 *  hart (it replays the log before it enters again). Called with the big
 *  kernel lock held; the others leave the hart without taking it. With one
 *  host thread no other vCPU is ever in user code, so this only looks. */
export function shootdownSync(asid: u32): void {
  if (load<u32>(header() + SD_ACTIVE) == 0) return;
  const me = cpuId();
  for (let i: u32 = 0; i < MAX_CPUS; i++) {
    if (i == me || !cpuInUser(i)) continue;
    if (asid != SD_ANY_ASID && cpuRecord(i).userAsid != asid) continue;
    cpuInterrupt(i);
    while (cpuInUser(i)) { /* its hart stops at the next block boundary */ }
  }
}

/** Applies what other vCPUs logged since this one last looked. */
// @ts-ignore: decorator
@inline export function shootdownCatchUp(): void {
  if (seen != atomic.load<u32>(header() + SD_SEQ)) replay();
}

function replay(): void {
  const h = header();
  const seq = atomic.load<u32>(h + SD_SEQ);
  if (seq - seen > SD_ENTRIES) {
    tlbFlushAll();
    blockCacheFlushAll();
    seen = seq;
    return;
  }
  while (seen != seq) {
    const e = h + SD_RING + <usize>(seen & (SD_ENTRIES - 1)) * SD_ENTRY_SIZE;
    const op = load<u32>(e);
    const a = load<u32>(e + 4);
    const b = load<u64>(e + 8);
    if (op == SD_TLB_ALL) tlbFlushAll();
    else if (op == SD_TLB_ASID) tlbFlushAsid(a);
    else if (op == SD_TLB_VA) tlbFlushVa(a, b);
    else if (op == SD_CODE_FRAME) blockInvalidateFrame(<usize>b);
    else if (op == SD_CODE_ALL) blockCacheFlushAll();
    seen++;
  }
}
