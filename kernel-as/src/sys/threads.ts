// The thread and futex system calls, 130-135 (docs/abi.md "Threads"):
// decoding and errors; proc/thread.ts does the work.
// Relies on: proc/thread, proc/lifecycle, sys/callargs.

import {
  threadCreate, threadExit, threadJoin, futexWait, futexWake, THREAD_ERR_LIMIT, THREAD_ERR_NO_SUCH, THREAD_ERR_SELF,
  THREAD_ERR_FAULT, THREAD_ERR_ARG, THREAD_BLOCK,
} from "../proc/thread";
import { procExit } from "../proc/lifecycle";
import { pTid } from "../proc/proc";
import { arg, argInt, fail, fail2 } from "./callargs";
import { SCRATCH_IO } from "../lib/layout";

export const SYS_THREAD_CREATE: u32 = 130;
export const SYS_THREAD_EXIT: u32 = 131;
export const SYS_THREAD_JOIN: u32 = 132;
export const SYS_GETTID: u32 = 133;
export const SYS_FUTEX_WAIT: u32 = 134;
export const SYS_FUTEX_WAKE: u32 = 135;
export const SYS_THREAD_FIRST: u32 = SYS_THREAD_CREATE;
export const SYS_THREAD_LAST: u32 = SYS_FUTEX_WAKE;

/** The caller sleeps (its ecall runs again when woken). */
export const THREAD_CALL_BLOCKED: i64 = -0x7FFF_FFF0;
/** The caller's thread (and perhaps its process) ended: nothing to return to. */
export const THREAD_CALL_EXITED: i64 = -0x7FFF_FFF1;

function failThread(slot: u32, call: string, r: i64): i64 {
  if (r == THREAD_ERR_LIMIT) return fail2(slot, call, "too many threads in this process, or no free process slot");
  if (r == THREAD_ERR_NO_SUCH) return fail2(slot, call, "no such thread in this process, or it was joined already");
  if (r == THREAD_ERR_SELF) return fail2(slot, call, "a thread cannot join itself");
  if (r == THREAD_ERR_FAULT) return fail2(slot, call, "bad address");
  if (r == THREAD_ERR_ARG) return fail2(slot, call, "invalid argument");
  return fail2(slot, call, "failed");
}

export function threadCall(slot: u32, num: u32): i64 {
  let r: i64 = -1;
  let call = "";
  switch (num) {
    case SYS_THREAD_CREATE:
      call = "thread_create: ";
      r = threadCreate(slot, arg(slot, 0), arg(slot, 1), arg(slot, 2));
      break;
    case SYS_THREAD_EXIT:
      if (threadExit(slot, argInt(slot, 0))) procExit(slot, argInt(slot, 0));
      return THREAD_CALL_EXITED;
    case SYS_THREAD_JOIN:
      call = "thread_join: ";
      r = threadJoin(slot, argInt(slot, 0), arg(slot, 1), SCRATCH_IO);
      break;
    case SYS_GETTID:
      return <i64>pTid(slot);
    case SYS_FUTEX_WAIT:
      call = "futex_wait: ";
      r = futexWait(slot, arg(slot, 0), <u32>arg(slot, 1), arg(slot, 2));
      break;
    case SYS_FUTEX_WAKE: {
      call = "futex_wake: ";
      const n = argInt(slot, 1);
      if (n < 0) return fail(slot, "futex_wake: negative count");
      r = futexWake(slot, arg(slot, 0), n);
      break;
    }
    default:
      return fail(slot, "unknown system call");
  }
  if (r == THREAD_BLOCK) return THREAD_CALL_BLOCKED;
  if (r < 0) return failThread(slot, call, r);
  return r;
}
