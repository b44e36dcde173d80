// Running a process on the hart: switch to it, let the hart run until it
// traps, and handle the trap — a system call, a page fault the kernel can
// resolve (demand zero, copy-on-write), the end of the time slice or the
// host's budget, a pending interrupt — or kill the process, with one line on
// the console naming pid, cause, pc and address. Nothing a user program does
// reaches a kernel panic.
// Relies on: machine/hart, proc/*, sys/unix, mm/vm, sched/sched.

import {
  hartRun, hartGetInstret, hartGetPc, hartGetTval, hartSetTime, hartDropReservation, hartGetReg,
} from "../machine/hart";
import {
  CAUSE_ECALL_U, CAUSE_FETCH_PAGE_FAULT, CAUSE_LOAD_PAGE_FAULT, CAUSE_STORE_PAGE_FAULT, CAUSE_ILLEGAL_INSTRUCTION,
  CAUSE_BREAKPOINT, CAUSE_MISALIGNED_LOAD, CAUSE_MISALIGNED_STORE, CAUSE_FETCH_ACCESS, CAUSE_LOAD_ACCESS,
  CAUSE_STORE_ACCESS, TRAP_BUDGET, TRAP_INTERRUPT,
} from "../machine/trap";
import {
  NO_SLOT, P_RUNNING, P_RUNNABLE, P_SLEEPING, procTable, pState, pSetState, pCtx, pPid, pKilled, pName, pNameLength,
  printProcess, pSliceLeft, pSetSliceLeft, pAddCpuNs, pCountSwitch, pWaitKind, pSetLastCpu, pAsid,
} from "./proc";
import { procExit } from "./lifecycle";
import {
  sigDeliverable, sigPending, sigBlocked, sigClearPending, sigHandler, sigDefaultAction, sigStop, sigStopped,
  sigSetTermSig, sigTermSig, NSIG, SIG_DFL, SIG_IGN, ACT_TERMINATE, ACT_STOP, SIGSEGV, SIGILL, SIGTRAP, SIGBUS, SIGKILL,
} from "./signal";
import { sigEnterHandler } from "./sigframe";
import { debugTarget, debugHolds, debugRoom, debugAfterRun, debugAfterSyscall, debugFault, AFTER_RUN_STOPPED, AFTER_RUN_NOTED } from "./debug";
import { syscall, SYSCALL_BLOCKED, SYSCALL_EXITED } from "../sys/unix";
import { vmFault, ACCESS_READ, ACCESS_WRITE, ACCESS_EXEC, VM_OK, VM_ERR_FAULT, VM_ERR_LIMIT } from "../mm/vm";
import { schedCharge, schedSliceFor, schedSliceSpent, schedTakeResched, schedClearResched } from "../sched/sched";
import {
  traceEvent, TRACE_RUN, TRACE_PREEMPT, TRACE_SLEEP, TRACE_YIELD, PREEMPT_SLICE, PREEMPT_INTERRUPT, PREEMPT_WAKE,
} from "../sched/trace";
import { timeNowNs } from "../arch/timer";
import { chargeWork, kernel, SYSCALL_NONE } from "../lib/kstate";
import { cpu, cpuId, cpuUserEnter, cpuUserLeave } from "../lib/cpu";
import { bklAcquire, bklRelease } from "../lib/bkl";
import { sliceOutOfTime } from "../sched/slice";
import { logBegin, logEnd, LOG_WARN } from "../lib/log";
import { printStr, printDec, printHex0x } from "../lib/print";
import { bootU32, BI_NS_PER_WORK } from "../arch/bootinfo";

/** The time CSR counts at 10 MHz (100 ns ticks), as on common RISC-V boards. */
export const TIME_TICK_NS: u64 = 100;
/** Realtime mode's guess of how fast the hart runs, for the time CSR between re-anchors. */
const REALTIME_NS_PER_INSTRUCTION: u32 = 5;
const REG_A7: u32 = 17;

function timeScaleQ16(): u32 {
  const nsPer = kernel().deterministic != 0 ? bootU32(BI_NS_PER_WORK) : REALTIME_NS_PER_INSTRUCTION;
  return <u32>((<u64>nsPer << 16) / TIME_TICK_NS);
}

function causeName(cause: u32): string {
  switch (cause) {
    case CAUSE_FETCH_PAGE_FAULT: return "instruction page fault";
    case CAUSE_LOAD_PAGE_FAULT: return "load page fault";
    case CAUSE_STORE_PAGE_FAULT: return "store page fault";
    case CAUSE_ILLEGAL_INSTRUCTION: return "illegal instruction";
    case CAUSE_BREAKPOINT: return "breakpoint";
    case CAUSE_MISALIGNED_LOAD: return "misaligned load-reserved";
    case CAUSE_MISALIGNED_STORE: return "misaligned atomic";
    case CAUSE_FETCH_ACCESS: return "instruction access fault";
    case CAUSE_LOAD_ACCESS: return "load access fault";
    case CAUSE_STORE_ACCESS: return "store access fault";
    default: return "unexpected trap";
  }
}

/** The signal a trap stands for (what waitpid reports it died of). */
function trapSignal(cause: u32): u32 {
  if (cause == CAUSE_ILLEGAL_INSTRUCTION) return SIGILL;
  if (cause == CAUSE_BREAKPOINT) return SIGTRAP;
  if (cause == CAUSE_MISALIGNED_LOAD || cause == CAUSE_MISALIGNED_STORE) return SIGBUS;
  return SIGSEGV;
}

function killForTrap(slot: u32, cause: u32): void {
  const ctx = pCtx(slot);
  logBegin(LOG_WARN);
  printProcess(slot);
  printStr(": killed by ");
  printStr(causeName(cause));
  printStr(" at pc ");
  printHex0x(hartGetPc(ctx), 8);
  printStr(cause == CAUSE_ILLEGAL_INSTRUCTION ? " instruction " : " address ");
  printHex0x(hartGetTval(ctx), cause == CAUSE_ILLEGAL_INSTRUCTION ? 8 : 12);
  logEnd();
  sigSetTermSig(slot, trapSignal(cause));
  procExit(slot, -1);
}

/** A legitimate fault (a lazy heap page, a copy-on-write write) that no
 *  frame may be had for ends the process, never stalls it. */
function killForMemory(slot: u32, why: i32): void {
  const ctx = pCtx(slot);
  logBegin(LOG_WARN);
  printProcess(slot);
  printStr(why == VM_ERR_LIMIT ? ": killed: out of memory (per-process limit of " : ": killed: out of memory (");
  if (why == VM_ERR_LIMIT) { printDec(<u64>procTable().userFrameLimit); printStr(" frames"); }
  else printStr("none free for it");
  printStr(") at pc ");
  printHex0x(hartGetPc(ctx), 8);
  printStr(" address ");
  printHex0x(hartGetTval(ctx), 12);
  logEnd();
  sigSetTermSig(slot, SIGKILL);
  procExit(slot, -1);
}

// What delivering pending signals came to.
const DELIVERED_NONE: i32 = 0;    // nothing to do, or a handler was entered: run on
const DELIVERED_STOPPED: i32 = 1; // it stopped: its turn ends
const DELIVERED_EXITED: i32 = 2;  // a signal ended it

/** Delivers slot's pending, unblocked signals, lowest number first, at the
 *  crossing back to user mode: ignored ones are dropped, a stop signal
 *  stops it, a terminating one ends it (status -1, as xv6's kill; waitpid
 *  tells the signal), and a caught one enters its handler (one per
 *  crossing; the rest follow at the next, inside the first handler). */
function deliverSignals(slot: u32): i32 {
  for (let sig: u32 = 1; sig < NSIG; sig++) {
    const bit: u32 = 1 << (sig - 1);
    if ((sigPending(slot) & ~sigBlocked(slot) & bit) == 0) continue;
    sigClearPending(slot, sig);
    const handler = sigHandler(slot, sig);
    if (handler == SIG_IGN) continue;
    if (handler == SIG_DFL) {
      const act = sigDefaultAction(sig);
      if (act == ACT_STOP) { sigStop(slot, sig); return DELIVERED_STOPPED; }
      if (act != ACT_TERMINATE) continue;
      sigSetTermSig(slot, sig);
      procExit(slot, -1);
      return DELIVERED_EXITED;
    }
    if (!sigEnterHandler(slot, sig)) {
      logBegin(LOG_WARN);
      printProcess(slot);
      printStr(": killed: no room on its stack for the handler of signal ");
      printDec(<u64>sig);
      logEnd();
      sigSetTermSig(slot, SIGSEGV);
      procExit(slot, -1);
      return DELIVERED_EXITED;
    }
    return DELIVERED_NONE;
  }
  return DELIVERED_NONE;
}

/** Runs slot until it has spent `budget` units of work — instructions
 *  retired and the kernel work charged on its behalf (system calls) — or,
 *  in realtime mode, until the slice's wall time is up (sched/slice.ts).
 *  Leaves it runnable, asleep or gone; returns the work spent. */
export function runProcess(slot: u32, budget: u64): u64 {
  const k = cpu();
  k.current = slot;
  k.lastPid = pPid(slot);
  pSetLastCpu(slot, cpuId());
  k.runPid = pPid(slot);
  k.runName = <u32>pName(slot);
  k.runNameLength = pNameLength(slot);
  k.sysNum = SYSCALL_NONE;
  pSetState(slot, P_RUNNING);
  pCountSwitch(slot);
  const ctx = pCtx(slot);
  const startNs = timeNowNs();
  traceEvent(TRACE_RUN, slot, 0, 0, startNs);
  hartSetTime(ctx, startNs / TIME_TICK_NS, timeScaleQ16());
  if (pSliceLeft(slot) == 0) pSetSliceLeft(slot, schedSliceFor(slot));
  schedClearResched();
  let woke = false; // a stronger process woke during this turn (sched/sched.ts)
  const workStart = k.sliceWork;
  let used: u64 = 0;
  let gone = false;
  // The process a debugger holds stops on its own (proc/debug.ts).
  let debugged = debugTarget(slot);
  while (!gone) {
    if (pKilled(slot)) { procExit(slot, -1); gone = true; break; }
    if (sigDeliverable(slot)) {
      const d = deliverSignals(slot);
      if (d == DELIVERED_EXITED) { gone = true; break; }
    }
    if (sigStopped(slot)) break;
    if (debugged && debugHolds(slot)) break; // another of its threads stopped the process
    const left = pSliceLeft(slot);
    let room = min<u64>(budget - used, left);
    if (debugged) room = debugRoom(slot, room);
    const before = hartGetInstret(ctx);
    // User code runs without the big kernel lock (lib/bkl.ts): on truly
    // parallel vCPUs, CPU-bound processes run side by side.
    cpuUserEnter(pAsid(slot));
    bklRelease();
    const cause = hartRun(ctx, <u32>room);
    cpuUserLeave();
    bklAcquire();
    const ran = hartGetInstret(ctx) - before;
    chargeWork(<u32>ran);
    k.instret += ran;
    schedCharge(slot, ran);
    pSetSliceLeft(slot, left > ran ? left - ran : 0);
    if (debugged) {
      const after = debugAfterRun(slot, cause, ran);
      if (after == AFTER_RUN_STOPPED) break;
      if (after == AFTER_RUN_NOTED) {
        used = <u64>(k.sliceWork - workStart);
        if (used >= budget || pSliceLeft(slot) == 0 || sliceOutOfTime()) break;
        continue;
      }
    }

    if (cause == CAUSE_ECALL_U) {
      k.sysNum = <u32>hartGetReg(ctx, REG_A7);
      const r = syscall(slot);
      k.sysNum = SYSCALL_NONE;
      if (r == SYSCALL_EXITED) { gone = true; break; }
      if (r == SYSCALL_BLOCKED) { hartDropReservation(ctx); break; }
      if (schedTakeResched()) { woke = true; break; }
      // exec may have attached a debugger to it, or this ended a single step.
      debugged = debugTarget(slot);
      if (debugged && debugAfterSyscall(slot)) break;
    } else if (cause == CAUSE_LOAD_PAGE_FAULT || cause == CAUSE_STORE_PAGE_FAULT || cause == CAUSE_FETCH_PAGE_FAULT) {
      const access = cause == CAUSE_STORE_PAGE_FAULT ? ACCESS_WRITE : cause == CAUSE_FETCH_PAGE_FAULT ? ACCESS_EXEC : ACCESS_READ;
      const fault = vmFault(slot, hartGetTval(ctx), access);
      if (fault == VM_ERR_FAULT) {
        if (debugged && debugFault(slot, cause)) break;
        killForTrap(slot, cause); gone = true; break;
      }
      if (fault != VM_OK) { killForMemory(slot, fault); gone = true; break; }
    } else if (cause == TRAP_BUDGET) {
      if (pSliceLeft(slot) == 0) break; // preempted: back to the run queue
    } else if (cause == TRAP_INTERRUPT) {
      break;
    } else {
      if (debugged && debugFault(slot, cause)) break;
      killForTrap(slot, cause);
      gone = true;
      break;
    }
    used = <u64>(k.sliceWork - workStart);
    if (used >= budget || pSliceLeft(slot) == 0 || sliceOutOfTime()) break;
  }
  used = <u64>(k.sliceWork - workStart);
  if (!gone) {
    const endNs = timeNowNs();
    pAddCpuNs(slot, endNs - startNs);
    const state = pState(slot);
    if (state == P_RUNNING) pSetState(slot, P_RUNNABLE);
    // Why its turn ended, for the scheduler trace (an exit was traced by procExit).
    if (state == P_SLEEPING) traceEvent(TRACE_SLEEP, slot, pWaitKind(slot), 0, endNs);
    else if (pSliceLeft(slot) == 0) { schedSliceSpent(slot); traceEvent(TRACE_PREEMPT, slot, PREEMPT_SLICE, 0, endNs); }
    else if (woke) traceEvent(TRACE_PREEMPT, slot, PREEMPT_WAKE, 0, endNs);
    else if (used >= budget) traceEvent(TRACE_YIELD, slot, 0, 0, endNs);
    else traceEvent(TRACE_PREEMPT, slot, PREEMPT_INTERRUPT, 0, endNs);
  }
  k.current = NO_SLOT;
  k.runPid = 0;
  return used;
}
