// System-call tracing (the `trace` program, docs/debugging.md): the calls of
// traced processes, each with its number, its six argument registers, a
// string it names (a path, or the bytes a read or write moved) copied
// through the process's page table, and its result, in a ring the tracer
// reads with the trace call (106). A process asks to be traced
// (TRACE_ME) and its children inherit it at fork; pids are never reused, so
// a slot's mark dies with its process.
//
// No cost when off: syscall() pays one load (the active word) until some
// process first asks to be traced.
// Relies on: mm/vm (copyin, copyout), proc/proc, machine/hart (registers).

import { SYSCALL_TRACE, SYSCALL_TRACE_RING, SYSCALL_TRACE_RING_SIZE } from "../lib/layout";
import { hartGetReg } from "../machine/hart";
import { copyin, copyinstr, copyout, VM_OK } from "../mm/vm";
import { MAX_PROCS, NO_SLOT, P_ZOMBIE, pCtx, pPid, pState, procByPid } from "../proc/proc";
import { fail } from "./callargs";

// Header (SYSCALL_TRACE).
const ST_ACTIVE: usize = 0;   // u32 nonzero once any process was traced
const ST_NEXT: usize = 8;     // u64 sequence number of the next record
const ST_PIDS: usize = 64;    // MAX_PROCS (64) x i32: the pid traced in each slot (0: none), up to 0x140

/** One record: the layout `trace` (user/prog/trace.c) reads. */
export const TR_SIZE: usize = 128;
const TR_SEQ: usize = 0;      // u64
const TR_PID: usize = 8;      // i32
const TR_NUM: usize = 12;     // u32
const TR_ARGS: usize = 16;    // 6 x u64
const TR_RESULT: usize = 64;  // i64 (TR_NO_RESULT for exit)
const TR_STR_LEN: usize = 72; // u32 bytes in TR_STR
const TR_FLAGS: usize = 76;   // u32 TRF_*
const TR_STR: usize = 80;     // TR_STR_MAX bytes
export const TR_STR_MAX: u32 = 48;
const TRF_STRING: u32 = 1;    // TR_STR holds a NUL-terminated name (else raw bytes)
const TRF_CUT: u32 = 2;       // the bytes or name were longer than TR_STR_MAX
const RING_RECORDS: u64 = <u64>(SYSCALL_TRACE_RING_SIZE / TR_SIZE);
const TR_NO_RESULT: i64 = 0x7FFF_FFFF_FFFF_FFFF;

// The trace call's operations (a0).
export const TRACE_ME: i32 = 0;    // trace the caller from now on, and its future children
export const TRACE_READ: i32 = 1;  // a1 = buffer, a2 = records at most, a3 = first sequence number wanted
export const TRACE_NEXT: i32 = 2;  // the sequence number the next record will get
export const TRACE_OFF: i32 = 3;   // stop tracing the caller
export const TRACE_ATTACH: i32 = 4; // a1 = pid: trace that running process from now on, and its future children
export const TRACE_DETACH: i32 = 5; // a1 = pid: stop tracing it

// The calls whose arguments name something worth copying.
const SYS_FORK: u32 = 1;
const SYS_EXIT: u32 = 2;
const SYS_READ: u32 = 5;
const SYS_EXEC: u32 = 7;
const SYS_CHDIR: u32 = 9;
const SYS_OPEN: u32 = 15;
const SYS_WRITE: u32 = 16;
const SYS_MKNOD: u32 = 17;
const SYS_UNLINK: u32 = 18;
const SYS_LINK: u32 = 19;
const SYS_MKDIR: u32 = 20;
const REG_A0: u32 = 10;
const REG_A7: u32 = 17;

// The record being built for the running call (one call at a time per vCPU).
const PENDING: usize = SYSCALL_TRACE + 0x800;

// @ts-ignore: decorator
@inline export function sctraceActive(): bool { return load<u32>(SYSCALL_TRACE + ST_ACTIVE) != 0; }

export function sctraced(slot: u32): bool {
  const pid = load<i32>(SYSCALL_TRACE + ST_PIDS + <usize>slot * 4);
  return pid != 0 && pid == pPid(slot);
}

function mark(slot: u32, on: bool): void {
  store<i32>(SYSCALL_TRACE + ST_PIDS + <usize>slot * 4, on ? pPid(slot) : 0);
  if (on) store<u32>(SYSCALL_TRACE + ST_ACTIVE, 1);
}

function takesPath(num: u32): bool {
  return num == SYS_EXEC || num == SYS_CHDIR || num == SYS_OPEN || num == SYS_MKNOD || num == SYS_UNLINK || num == SYS_LINK || num == SYS_MKDIR;
}

/** Copies len bytes of user memory at va (at most TR_STR_MAX) into the pending record. */
function captureBytes(slot: u32, va: u64, len: i64): void {
  if (len <= 0) return;
  const n: u32 = len > <i64>TR_STR_MAX ? TR_STR_MAX : <u32>len;
  if (copyin(slot, PENDING + TR_STR, va, <u64>n) != VM_OK) return;
  store<u32>(PENDING + TR_STR_LEN, n);
  if (len > <i64>TR_STR_MAX) store<u32>(PENDING + TR_FLAGS, TRF_CUT);
}

/** Before a traced call runs: its number, arguments and the name it passes. */
export function sctraceEnter(slot: u32): void {
  const ctx = pCtx(slot);
  memory.fill(PENDING, 0, TR_SIZE);
  const num = <u32>hartGetReg(ctx, REG_A7);
  store<i32>(PENDING + TR_PID, pPid(slot));
  store<u32>(PENDING + TR_NUM, num);
  for (let i: u32 = 0; i < 6; i++) store<u64>(PENDING + TR_ARGS + <usize>i * 8, hartGetReg(ctx, REG_A0 + i));
  if (takesPath(num)) {
    const n = copyinstr(slot, PENDING + TR_STR, hartGetReg(ctx, REG_A0), TR_STR_MAX);
    if (n >= 0) {
      store<u32>(PENDING + TR_STR_LEN, <u32>n);
      store<u32>(PENDING + TR_FLAGS, TRF_STRING);
    } else {
      // Too long (or a bad pointer): keep what fits, marked cut.
      if (copyin(slot, PENDING + TR_STR, hartGetReg(ctx, REG_A0), <u64>TR_STR_MAX - 1) == VM_OK) {
        store<u8>(PENDING + TR_STR + <usize>TR_STR_MAX - 1, 0);
        store<u32>(PENDING + TR_STR_LEN, TR_STR_MAX - 1);
        store<u32>(PENDING + TR_FLAGS, TRF_STRING | TRF_CUT);
      }
    }
  } else if (num == SYS_WRITE) {
    captureBytes(slot, hartGetReg(ctx, REG_A0 + 1), <i64><i32>hartGetReg(ctx, REG_A0 + 2));
  }
  if (num == SYS_EXIT) {
    store<i64>(PENDING + TR_RESULT, TR_NO_RESULT);
    commit();
  }
}

/** After a traced call completed (not when it blocked: it runs again). `done`:
 *  it left its result in a0; otherwise it set up a new image (exec, sigreturn). */
export function sctraceLeave(slot: u32, done: bool): void {
  const result = done ? <i64>hartGetReg(pCtx(slot), REG_A0) : 0;
  store<i64>(PENDING + TR_RESULT, result);
  const num = load<u32>(PENDING + TR_NUM);
  if (num == SYS_READ && result > 0) captureBytes(slot, load<u64>(PENDING + TR_ARGS + 8), result);
  if (num == SYS_FORK && result > 0) {
    const child = procByPid(<i32>result);
    if (child != NO_SLOT) mark(child, true);
  }
  commit();
}

function commit(): void {
  const seq = load<u64>(SYSCALL_TRACE + ST_NEXT);
  store<u64>(PENDING + TR_SEQ, seq);
  memory.copy(SYSCALL_TRACE_RING + <usize>(seq % RING_RECORDS) * TR_SIZE, PENDING, TR_SIZE);
  store<u64>(SYSCALL_TRACE + ST_NEXT, seq + 1);
}

/** The trace call (106): TRACE_* in a0. */
export function sysTrace(slot: u32): i64 {
  const ctx = pCtx(slot);
  const op = <i32>hartGetReg(ctx, REG_A0);
  if (op == TRACE_ME) { mark(slot, true); return 0; }
  if (op == TRACE_OFF) { mark(slot, false); return 0; }
  if (op == TRACE_NEXT) return <i64>load<u64>(SYSCALL_TRACE + ST_NEXT);
  if (op == TRACE_ATTACH || op == TRACE_DETACH) {
    const target = procByPid(<i32>hartGetReg(ctx, REG_A0 + 1));
    if (target == NO_SLOT || pState(target) == P_ZOMBIE) return fail(slot, "trace: no such process");
    mark(target, op == TRACE_ATTACH);
    return 0;
  }
  if (op != TRACE_READ) return fail(slot, "trace: bad operation or buffer");
  const buf = hartGetReg(ctx, REG_A0 + 1);
  const max = <i64>hartGetReg(ctx, REG_A0 + 2);
  let seq = hartGetReg(ctx, REG_A0 + 3);
  const next = load<u64>(SYSCALL_TRACE + ST_NEXT);
  if (max <= 0) return fail(slot, "trace: bad operation or buffer");
  if (next > RING_RECORDS && seq < next - RING_RECORDS) seq = next - RING_RECORDS; // the older ones are overwritten
  let copied: i64 = 0;
  while (seq < next && copied < max) {
    const rec = SYSCALL_TRACE_RING + <usize>(seq % RING_RECORDS) * TR_SIZE;
    if (copyout(slot, buf + <u64>copied * <u64>TR_SIZE, rec, <u64>TR_SIZE) != VM_OK) return fail(slot, "trace: bad operation or buffer");
    copied++;
    seq++;
  }
  return copied;
}

