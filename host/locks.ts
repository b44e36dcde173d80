// The kernel's lock registry read from RAM (kernel-as/src/lib/lock.ts): a
// record of LOCK_RECORD_SIZE bytes per lock from KSTATE_LOCKS + 0x200, with
// its name, kind, rank, state word and statistics. The offsets mirror
// LockRecord (host/contract.test.ts checks them). For the inspect answer
// { what: "locks" } and anything else that shows the locks.

import { CPU_STATE, cpuRecordAddr } from "./cpus.js";
import { KSTATE_LOCKS, KSTATE_PCPU } from "./hw.js";

export const LOCK_RECORDS = 0x200;
export const LOCK_COUNT_OFFSET = 0x04;
export const LOCK_RECORD_SIZE = 64;
export const MAX_LOCKS = 64;
// LockRecord fields.
export const LOCK_WORD = 0;
export const LOCK_KIND = 4;
export const LOCK_RANK = 8;
export const LOCK_HOLDER = 12;
export const LOCK_ACQUISITIONS = 16;
export const LOCK_CONTENDED = 24;
export const LOCK_SPINS = 32;
export const LOCK_MAX_SPINS = 40;
export const LOCK_WAITERS = 44;
export const LOCK_NAME = 48;
export const LOCK_NAME_MAX = 16;

export type LockKind = "spin" | "rw" | "mutex";
const KINDS: Record<number, LockKind> = { 1: "spin", 2: "rw", 3: "mutex" };

export interface LockInfo {
  id: number;
  name: string;
  kind: LockKind;
  rank: number;
  /** Held now: the holder's vCPU for a spinlock or mutex, the readers for an rw lock (-1: a writer). */
  held: boolean;
  holderCpu: number | null;
  readers: number;
  acquisitions: number;
  /** Acquisitions whose first try found the lock held. */
  contended: number;
  /** Spin iterations spent waiting, summed. */
  spins: number;
  /** The longest wait, in spin iterations. */
  maxSpins: number;
}

/** Every named lock, in id order. */
export function readLocks(ram: ArrayBufferLike): LockInfo[] {
  const view = new DataView(ram);
  const count = Math.min(view.getUint32(KSTATE_LOCKS + LOCK_COUNT_OFFSET, true), MAX_LOCKS);
  const locks: LockInfo[] = [];
  for (let id = 0; id < count; id++) {
    const at = KSTATE_LOCKS + LOCK_RECORDS + id * LOCK_RECORD_SIZE;
    const kind = KINDS[view.getUint32(at + LOCK_KIND, true)];
    if (!kind) continue;
    const word = view.getUint32(at + LOCK_WORD, true);
    const bytes = new Uint8Array(ram, at + LOCK_NAME, LOCK_NAME_MAX);
    const end = bytes.indexOf(0);
    locks.push({
      id,
      name: new TextDecoder().decode(bytes.slice(0, end < 0 ? LOCK_NAME_MAX : end)),
      kind,
      rank: view.getUint32(at + LOCK_RANK, true),
      held: word !== 0,
      holderCpu: kind !== "rw" && word !== 0 ? word - 1 : kind === "rw" && word >= 0x8000_0000 ? -1 : null,
      readers: kind === "rw" ? word & 0x7fff_ffff : 0,
      acquisitions: Number(view.getBigUint64(at + LOCK_ACQUISITIONS, true)),
      contended: Number(view.getBigUint64(at + LOCK_CONTENDED, true)),
      spins: Number(view.getBigUint64(at + LOCK_SPINS, true)),
      maxSpins: view.getUint32(at + LOCK_MAX_SPINS, true),
    });
  }
  return locks;
}

// The per-vCPU allocator caches' records (kernel-as/src/mm/pcpu.ts): MAX_CPUS
// of PCPU_RECORD_SIZE bytes from KSTATE_PCPU, the cached frames' count first,
// then MAGAZINES magazines of MAGAZINE_SIZE bytes from PCPU_MAGAZINES, each
// a u32 count first (host/contract.test.ts checks the numbers).
export const PCPU_RECORD_SIZE = 1536;
export const PCPU_FRAME_COUNT = 0;
export const PCPU_MAGAZINES = 272;
export const MAGAZINE_SIZE = 128;
export const MAGAZINES = 8;
/** Records at KSTATE_PCPU: one per vCPU the kernel can have (lib/cpu.ts MAX_CPUS). */
export const PCPU_RECORDS = 8;

export interface CacheFill {
  cpu: number;
  /** Free frames in the vCPU's frame cache. */
  frames: number;
  /** Free kmalloc objects in its magazines, all size classes. */
  magazineObjects: number;
}

/** What each vCPU's caches hold: vCPU 0 and every vCPU that is not offline, as the monitor's `locks` lists them. */
export function readCaches(ram: ArrayBufferLike): CacheFill[] {
  const view = new DataView(ram);
  const fills: CacheFill[] = [];
  for (let cpu = 0; cpu < PCPU_RECORDS; cpu++) {
    if (cpu !== 0 && view.getUint32(cpuRecordAddr(cpu) + CPU_STATE, true) === 0) continue;
    const at = KSTATE_PCPU + cpu * PCPU_RECORD_SIZE;
    let objects = 0;
    for (let k = 0; k < MAGAZINES; k++) objects += view.getUint32(at + PCPU_MAGAZINES + k * MAGAZINE_SIZE, true);
    fills.push({ cpu, frames: view.getUint32(at + PCPU_FRAME_COUNT, true), magazineObjects: objects });
  }
  return fills;
}
