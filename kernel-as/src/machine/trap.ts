// Trap causes the hart hands back to the kernel from hartRun. The numbers
// below 16 are the privileged specification's synchronous exception codes
// (scause values); the ones from 0x100 up are Keel's own reasons for
// stopping a slice, chosen so they can never collide with a real cause.

export const CAUSE_MISALIGNED_FETCH: u32 = 0;   // cannot happen: RVC makes every target legal
export const CAUSE_FETCH_ACCESS: u32 = 1;       // fetch from a physical address outside RAM
export const CAUSE_ILLEGAL_INSTRUCTION: u32 = 2; // tval = the instruction bits (16 or 32)
export const CAUSE_BREAKPOINT: u32 = 3;         // ebreak / c.ebreak; tval = pc
export const CAUSE_MISALIGNED_LOAD: u32 = 4;    // LR only (plain loads complete misaligned)
export const CAUSE_LOAD_ACCESS: u32 = 5;
export const CAUSE_MISALIGNED_STORE: u32 = 6;   // SC and AMOs only
export const CAUSE_STORE_ACCESS: u32 = 7;
export const CAUSE_ECALL_U: u32 = 8;            // tval = 0; pc is the ecall itself
export const CAUSE_FETCH_PAGE_FAULT: u32 = 12;  // tval = faulting VA
export const CAUSE_LOAD_PAGE_FAULT: u32 = 13;
export const CAUSE_STORE_PAGE_FAULT: u32 = 15;  // stores, SC and AMOs

/** The slice's instruction budget is spent; nothing is wrong. */
export const TRAP_BUDGET: u32 = 0x100;
/** The vCPU's pending-interrupt word (lib/cpu.ts irqWord) was nonzero at a block boundary. */
export const TRAP_INTERRUPT: u32 = 0x101;
/** A debugged context reached one of its breakpoints (debug.ts); tval = pc. */
export const TRAP_DEBUG_BREAK: u32 = 0x102;
/** A debugged context's access touched a watchpoint (debug.ts); tval = the watched address. */
export const TRAP_DEBUG_WATCH: u32 = 0x103;

/** Kinds of memory access; they pick the TLB and the fault causes. */
export const ACCESS_FETCH: u32 = 0;
export const ACCESS_LOAD: u32 = 1;
export const ACCESS_STORE: u32 = 2;

// @ts-ignore: decorator
@inline export function pageFaultCause(access: u32): u32 {
  return access == ACCESS_FETCH ? CAUSE_FETCH_PAGE_FAULT : access == ACCESS_LOAD ? CAUSE_LOAD_PAGE_FAULT : CAUSE_STORE_PAGE_FAULT;
}

// @ts-ignore: decorator
@inline export function accessFaultCause(access: u32): u32 {
  return access == ACCESS_FETCH ? CAUSE_FETCH_ACCESS : access == ACCESS_LOAD ? CAUSE_LOAD_ACCESS : CAUSE_STORE_ACCESS;
}

// The fault raised by a slow-path helper, read by the executor right after
// the call. Per-vCPU scratch (a WASM global), never live across a block.
export let faultCause: u32 = 0;
export let faultTval: u64 = 0;

// @ts-ignore: decorator
@inline export function raiseFault(cause: u32, tval: u64): void {
  faultCause = cause;
  faultTval = tval;
}

// @ts-ignore: decorator
@inline export function clearFault(): void {
  faultCause = 0;
}

// The executor's slow paths (execute.ts, fpexec.ts) take the record and hand
// it back tagged with what happened, so that the record pointer is never
// live across a call in the dispatch loop. Records are 16-byte aligned.
export const MISS_FAULT: usize = 1;        // the instruction traps: the fault is raised
export const MISS_CODE_DROPPED: usize = 2; // it wrote into decoded code: its block must end after it
