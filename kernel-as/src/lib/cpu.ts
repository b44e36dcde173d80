// The per-CPU identity and record. Every vCPU is one instance of the kernel
// module over the one RAM (ARCHITECTURE §6): a WASM global is per instance,
// so it is per-vCPU state; everything else lives in linear memory. This file
// is the one home of "which vCPU am I" (cpuId, a global the host sets with
// the cpuSetIndex export right after instantiating) and of each vCPU's
// record in RAM at KSTATE_CPUS (what the vCPU is doing, for a panic message,
// the monitor's `cpus`, ps and the host).
//
// The records are in RAM, not globals, because they outlive a run() slice
// and must be in a snapshot, and because other vCPUs read them (the monitor
// on vCPU 0 lists them all). See docs/architecture.md "Several vCPUs".

import { KSTATE_CPUS, CONTROL_BLOCK, CB_IRQ_PENDING } from "./layout";

/** Most vCPUs a machine may have (the host's --cpus / ?cpus= limit). */
export const MAX_CPUS: u32 = 8;
/** Bytes of one vCPU's record at KSTATE_CPUS (MAX_CPUS of them fit in 4 KiB). */
export const CPU_RECORD_SIZE: usize = 512;

/** CpuRecord.state */
export const CPU_OFFLINE: u32 = 0;
export const CPU_IDLE: u32 = 1;
export const CPU_BUSY: u32 = 2;

/** No process slot (proc/proc.ts NO_SLOT, repeated to keep lib/ a leaf). */
const NONE: u32 = 0xFFFF_FFFF;

@unmanaged export class CpuRecord {
  state: u32;          // CPU_*
  current: u32;        // process slot running on this vCPU now, or NO_SLOT
  lastPid: i32;        // the last process this vCPU ran (0: none yet)
  // Where this vCPU is, for a panic message (lib/panic.ts): the process it
  // runs (pid 0: none; its name's address and length) and the system call
  // it is in (SYSCALL_NONE between calls).
  runPid: i32;
  runName: u32;
  runNameLength: u32;
  sysNum: u32;
  sliceWork: u32;      // work charged in the current run() slice
  runs: u32;           // run() calls
  irq: u32;            // pending-interrupt word the hart polls on vCPUs other than 0 (none routed yet: 0)
  wakeAt: u64;         // the time this vCPU wants its next run(), or WAKE_NEVER
  instret: u64;        // user instructions retired on this vCPU
  idleNs: u64;         // virtual time spent idle (between an idle return and the next run())
  idleSince: u64;      // when it last went idle (0: it is not idle)
  work: u64;           // work units spent on this vCPU
  // Parallel vCPUs (lib/bkl.ts): nonzero while this vCPU's hart runs user
  // code without the big kernel lock, and the address space it runs.
  inUser: u32;
  userAsid: u32;
  kicks: u32;          // bumped (and notified) when another vCPU makes a process runnable while this one idles
}

/** vCPU 0's hart polls the controller's mirror (CB_IRQ_PENDING), not its
 *  record: an IPI to it sets this bit there, which no device line uses. */
export const IPI_CPU0_BIT: u32 = 0x8000_0000;

/** This instance's vCPU index (0 is the boot vCPU). */
let cpuIndex: u32 = 0;
/** The word the hart polls for a pending interrupt (see cpuSetIndex). */
export let irqWord: usize = CONTROL_BLOCK + CB_IRQ_PENDING;

// @ts-ignore: decorator
@inline export function cpuId(): u32 { return cpuIndex; }

/** The record of vCPU `i`. */
// @ts-ignore: decorator
@inline export function cpuRecord(i: u32): CpuRecord {
  return changetype<CpuRecord>(KSTATE_CPUS + <usize>i * CPU_RECORD_SIZE);
}

/** This vCPU's record. */
// @ts-ignore: decorator
@inline export function cpu(): CpuRecord { return cpuRecord(cpuIndex); }

/** Called by the host on every fresh instance before kmain, run or
 *  resume: which vCPU this instance is. Device interrupts are routed to
 *  vCPU 0 (the controller mirrors its pending lines at CB_IRQ_PENDING), so
 *  only vCPU 0's hart stops for them; the others poll their record's irq
 *  word. Returns 0, or -1 for an index past MAX_CPUS (the instance stays 0). */
export function cpuSetIndex(i: u32): i32 {
  if (i >= MAX_CPUS) return -1;
  cpuIndex = i;
  irqWord = i == 0 ? CONTROL_BLOCK + CB_IRQ_PENDING : changetype<usize>(cpuRecord(i)) + offsetof<CpuRecord>("irq");
  return 0;
}

/** Resets every record at boot (vCPU 0 online and busy, the rest offline). */
export function cpuRecordsInit(): void {
  for (let i: u32 = 0; i < MAX_CPUS; i++) {
    const r = cpuRecord(i);
    memory.fill(changetype<usize>(r), 0, offsetof<CpuRecord>());
    r.current = NONE;
    r.wakeAt = 0xFFFF_FFFF_FFFF_FFFF;
    r.sysNum = 0xFFFF_FFFF;
  }
  cpuRecord(0).state = CPU_BUSY;
}

/** This vCPU's hart is about to run user code in address space `asid`
 *  without the big kernel lock. Set before the hart replays the shootdown
 *  log (machine/shootdown.ts): a vCPU that logs a change after this store
 *  sees the flag and interrupts it, one that logged before is replayed. */
export function cpuUserEnter(asid: u32): void {
  const c = cpu();
  c.userAsid = asid;
  atomic.store<u32>(changetype<usize>(c) + offsetof<CpuRecord>("inUser"), 1);
}

/** The hart returned: out of user code, any IPI taken. */
export function cpuUserLeave(): void {
  const c = cpu();
  atomic.store<u32>(changetype<usize>(c) + offsetof<CpuRecord>("inUser"), 0);
  if (cpuIndex == 0) atomic.and<u32>(CONTROL_BLOCK + CB_IRQ_PENDING, ~IPI_CPU0_BIT);
  else atomic.store<u32>(changetype<usize>(c) + offsetof<CpuRecord>("irq"), 0);
}

/** True while vCPU `i` runs user code (see cpuUserEnter). */
export function cpuInUser(i: u32): bool {
  return atomic.load<u32>(changetype<usize>(cpuRecord(i)) + offsetof<CpuRecord>("inUser")) != 0;
}

/** Stops vCPU `i`'s hart at its next block boundary (an IPI). */
export function cpuInterrupt(i: u32): void {
  if (i == 0) atomic.or<u32>(CONTROL_BLOCK + CB_IRQ_PENDING, IPI_CPU0_BIT);
  else atomic.store<u32>(changetype<usize>(cpuRecord(i)) + offsetof<CpuRecord>("irq"), 1);
}

/** A process became runnable: wakes every other idle vCPU. Its thread
 *  sleeps on its record's kicks word, expecting the value it read before
 *  its last run() call, so a kick between that call's end and the sleep is
 *  not lost (vCPU 0's run loop waits on its word asynchronously). With one
 *  host thread nobody waits: only the count moves. */
export function cpuKickIdle(): void {
  for (let i: u32 = 0; i < MAX_CPUS; i++) {
    if (i == cpuIndex) continue;
    const r = cpuRecord(i);
    if (r.state != CPU_IDLE) continue;
    const word = changetype<usize>(r) + offsetof<CpuRecord>("kicks");
    atomic.add<u32>(word, 1);
    atomic.notify(word, 1);
  }
}

/** How many vCPUs are online. */
export function cpusOnline(): u32 {
  let n: u32 = 0;
  for (let i: u32 = 0; i < MAX_CPUS; i++) if (cpuRecord(i).state != CPU_OFFLINE) n++;
  return n;
}

/** True when some vCPU is running the process in `slot` now. */
export function cpuRunsSlot(slot: u32): bool {
  for (let i: u32 = 0; i < MAX_CPUS; i++) if (cpuRecord(i).current == slot) return true;
  return false;
}
