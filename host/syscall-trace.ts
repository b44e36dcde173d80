// The kernel's system-call trace ring (kernel-as/src/sys/sctrace.ts), read
// by the host for the page's Trace panel: the records `trace` prints
// (user/prog/trace.c), decoded the same way, with the call table of
// host/gdb/syscalls.ts. Read-only: a plain read of guest RAM between two
// slices, never a change to the machine (the kernel writes the ring only
// while some process is traced).

import { SYSCALL_TRACE, SYSCALL_TRACE_RING, SYSCALL_TRACE_RING_SIZE } from "./hw.js";
import { SYSCALLS, quote } from "./gdb/syscalls.js";

// sctrace.ts's header and record layout.
const ST_NEXT = 8;
const TR_SIZE = 128;
const TR_SEQ = 0;
const TR_PID = 8;
const TR_NUM = 12;
const TR_ARGS = 16;
const TR_RESULT = 64;
const TR_STR_LEN = 72;
const TR_FLAGS = 76;
const TR_STR = 80;
const TR_STR_MAX = 48;
const TRF_STRING = 1;
const TRF_CUT = 2;
const TR_NO_RESULT = 0x7fff_ffff_ffff_ffffn;
export const SYSCALL_RING_RECORDS = SYSCALL_TRACE_RING_SIZE / TR_SIZE;

/** One traced call, as `trace` shows it. */
export interface SyscallTraceRecord {
  seq: number;
  pid: number;
  num: number;
  /** The call's name (`syscall_N` for a number the table does not know). */
  name: string;
  /** The whole line `trace` prints, e.g. `[7] write(1, "hi\n", 3) = 3`. */
  line: string;
}

export interface SyscallTraceRead {
  records: SyscallTraceRecord[];
  /** The sequence number the next record will get (ask from it next time). */
  next: number;
  /** Records asked for that the ring had already overwritten. */
  lost: number;
}

/** Records from sequence number `from` on (at most the ring's 256). */
export function readSyscallTrace(ram: ArrayBuffer, from: number): SyscallTraceRead {
  const view = new DataView(ram);
  const next = Number(view.getBigUint64(SYSCALL_TRACE + ST_NEXT, true));
  let seq = Math.max(0, Math.min(from, next));
  let lost = 0;
  if (next - seq > SYSCALL_RING_RECORDS) {
    lost = next - SYSCALL_RING_RECORDS - seq;
    seq = next - SYSCALL_RING_RECORDS;
  }
  const records: SyscallTraceRecord[] = [];
  for (; seq < next; seq++) {
    const at = SYSCALL_TRACE_RING + (seq % SYSCALL_RING_RECORDS) * TR_SIZE;
    if (Number(view.getBigUint64(at + TR_SEQ, true)) !== seq) continue; // being rewritten: skip it
    records.push(decodeRecord(new Uint8Array(ram, at, TR_SIZE)));
  }
  return { records, next, lost };
}

/** One 128-byte record, decoded as trace.c's show() prints it. */
export function decodeRecord(bytes: Uint8Array): SyscallTraceRecord {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const pid = view.getInt32(TR_PID, true);
  const num = view.getUint32(TR_NUM, true);
  const flags = view.getUint32(TR_FLAGS, true);
  const len = Math.min(view.getUint32(TR_STR_LEN, true), TR_STR_MAX);
  let str = bytes.subarray(TR_STR, TR_STR + len);
  if (flags & TRF_STRING) {
    const end = str.indexOf(0);
    if (end >= 0) str = str.subarray(0, end);
  }
  const call = SYSCALLS.get(num);
  const name = call?.name ?? `syscall_${num}`;
  const spec = call?.args ?? "xxx";
  const args: string[] = [];
  for (let i = 0; i < spec.length; i++) {
    const v = view.getBigUint64(TR_ARGS + i * 8, true);
    const kind = spec[i];
    if (kind === "d") args.push(String(BigInt.asIntN(32, v)));
    else if (kind === "x" || (len === 0 && !(flags & TRF_STRING))) args.push(`0x${v.toString(16)}`);
    else args.push(quote(str, (flags & TRF_CUT) !== 0));
  }
  const result = view.getBigInt64(TR_RESULT, true);
  let tail = ")";
  if (result !== TR_NO_RESULT) tail += result < -1n || result > 0xffffn ? ` = 0x${BigInt.asUintN(64, result).toString(16)}` : ` = ${result}`;
  return { seq: Number(view.getBigUint64(TR_SEQ, true)), pid, num, name, line: `[${pid}] ${name}(${args.join(", ")}${tail}` };
}
