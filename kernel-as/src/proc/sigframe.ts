// Signal delivery to a user handler, and the way back (sigreturn). The
// interrupted context is saved on the user stack in a signal frame, so
// handlers nest without any kernel storage; sigreturn restores it exactly.
//
// Frame (SIGFRAME_SIZE bytes, 16-byte aligned, at the handler's sp): the
// whole user context, integer and floating point:
//   @0   u64 SIGFRAME_MAGIC
//   @8   u64 x[32]       x0..x31 as they were (x0 is stored as 0)
//   @264 u64 pc          where the process was (an ecall being restarted, or
//                        the next instruction it would have run)
//   @272 u32 mask        the blocked mask to restore
//   @276 u32 signo
//   @280 u64 progress    bytes a restarted write already moved
//   @288 u64 sleep_until a restarted sleep's deadline
//   @296 u64 f[32]       f0..f31 (singles NaN-boxed, as the hart keeps them)
//   @552 u32 fcsr
// The handler starts with a0 = signo, a1 = the frame, sp = the frame, ra =
// the trampoline sigaction was given (it makes the sigreturn call with sp
// still at the frame). A handler that interrupted a blocking call leaves it
// to run again when it returns: the frame keeps what the call had done.
// Relies on: proc/proc, proc/signal, mm/vm (copyin/copyout), machine/hart.

import { pCtx, pProgress, pSetProgress, pSleepUntil, pSetSleepUntil } from "./proc";
import {
  sigBlocked, sigSetBlocked, sigBit, sigHandler, sigRestorer, sigActionMask, sigActionFlags, sigSetAction,
  SA_NODEFER, SA_RESETHAND, SIG_DFL,
} from "./signal";
import { copyin, copyout, VM_OK } from "../mm/vm";
import {
  hartGetReg, hartSetReg, hartGetPc, hartSetPc, hartDropReservation, hartGetFreg, hartSetFreg, hartGetFcsr, hartSetFcsr,
} from "../machine/hart";
import { SCRATCH_IO } from "../lib/layout";

export const SIGFRAME_SIZE: u64 = 560;
const SIGFRAME_MAGIC: u64 = 0x4D41_5246_4749_534B; // "KSIGFRAM"
const F_MAGIC: usize = 0;
const F_REGS: usize = 8;
const F_PC: usize = 264;
const F_MASK: usize = 272;
const F_SIGNO: usize = 276;
const F_PROGRESS: usize = 280;
const F_SLEEP_UNTIL: usize = 288;
const F_FREGS: usize = 296;
const F_FCSR: usize = 552;
const REG_RA: u32 = 1;
const REG_SP: u32 = 2;
const REG_A0: u32 = 10;
const REG_A1: u32 = 11;
const STACK_ALIGN: u64 = 16;

/** Enters slot's handler for sig. False when the frame does not fit on its
 *  stack (the caller then ends the process, as Linux forces SIGSEGV). */
export function sigEnterHandler(slot: u32, sig: u32): bool {
  const ctx = pCtx(slot);
  const frame = SCRATCH_IO;
  memory.fill(frame, 0, <usize>SIGFRAME_SIZE);
  store<u64>(frame + F_MAGIC, SIGFRAME_MAGIC);
  for (let r: u32 = 1; r < 32; r++) store<u64>(frame + F_REGS + <usize>r * 8, hartGetReg(ctx, r));
  store<u64>(frame + F_PC, hartGetPc(ctx));
  store<u32>(frame + F_MASK, sigBlocked(slot));
  store<u32>(frame + F_SIGNO, sig);
  store<u64>(frame + F_PROGRESS, pProgress(slot));
  store<u64>(frame + F_SLEEP_UNTIL, pSleepUntil(slot));
  for (let r: u32 = 0; r < 32; r++) store<u64>(frame + F_FREGS + <usize>r * 8, hartGetFreg(ctx, r));
  store<u32>(frame + F_FCSR, hartGetFcsr(ctx));
  const sp = hartGetReg(ctx, REG_SP);
  if (sp < SIGFRAME_SIZE + STACK_ALIGN) return false;
  const at = (sp - SIGFRAME_SIZE) & ~(STACK_ALIGN - 1);
  if (copyout(slot, at, frame, SIGFRAME_SIZE) != VM_OK) return false;

  const handler = sigHandler(slot, sig);
  const flags = sigActionFlags(slot, sig);
  let mask = sigBlocked(slot) | sigActionMask(slot, sig);
  if ((flags & SA_NODEFER) == 0) mask |= sigBit(sig);
  sigSetBlocked(slot, mask);
  if ((flags & SA_RESETHAND) != 0) sigSetAction(slot, sig, SIG_DFL, 0, 0, 0);
  // The handler may make calls of its own: the interrupted call's progress
  // waits in the frame.
  pSetProgress(slot, 0);
  pSetSleepUntil(slot, 0);
  hartDropReservation(ctx);
  hartSetReg(ctx, REG_SP, at);
  hartSetReg(ctx, REG_RA, sigRestorer(slot, sig));
  hartSetReg(ctx, REG_A0, <u64>sig);
  hartSetReg(ctx, REG_A1, at);
  hartSetPc(ctx, handler);
  return true;
}

export const SIGRETURN_OK: i32 = 0;
export const SIGRETURN_BAD_FRAME: i32 = -1;

/** sigreturn: restores the context saved in the frame at slot's sp. The
 *  decode half reads and checks the whole frame before anything changes;
 *  SIGKILL and SIGSTOP stay unblockable whatever the frame says. */
export function sigReturn(slot: u32): i32 {
  const ctx = pCtx(slot);
  const frame = SCRATCH_IO;
  const at = hartGetReg(ctx, REG_SP);
  if (copyin(slot, frame, at, SIGFRAME_SIZE) != VM_OK) return SIGRETURN_BAD_FRAME;
  if (load<u64>(frame + F_MAGIC) != SIGFRAME_MAGIC) return SIGRETURN_BAD_FRAME;
  for (let r: u32 = 1; r < 32; r++) hartSetReg(ctx, r, load<u64>(frame + F_REGS + <usize>r * 8));
  hartSetPc(ctx, load<u64>(frame + F_PC));
  sigSetBlocked(slot, load<u32>(frame + F_MASK));
  pSetProgress(slot, load<u64>(frame + F_PROGRESS));
  pSetSleepUntil(slot, load<u64>(frame + F_SLEEP_UNTIL));
  for (let r: u32 = 0; r < 32; r++) hartSetFreg(ctx, r, load<u64>(frame + F_FREGS + <usize>r * 8));
  hartSetFcsr(ctx, load<u32>(frame + F_FCSR)); // keeps only fcsr's defined bits
  hartDropReservation(ctx);
  return SIGRETURN_OK;
}
