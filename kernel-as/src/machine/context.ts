// The per-hart context: the architectural state of one user thread's hart,
// a fixed-layout record in linear memory that the kernel allocates (one per
// thread) and hands to hartRun. Offsets are byte offsets from the record's
// base; the executor addresses registers as base + 8 * index, so the
// register file must stay first.
//
// The F and D state (f0..f31, fcsr) lives in the same record, so it is
// saved, restored, copied and snapshotted with the rest; decoded records
// address f registers as CTX_FREGS + 8 * index, like x registers.
//
// x0 always reads zero: the decoder redirects every write to x0 into the
// SINK slot, so no instruction needs an rd == 0 test.

export const CTX_REGS: usize = 0;          // x0..x31, u64 each
export const CTX_SINK: usize = 256;        // writes to x0 land here
export const CTX_PC: usize = 264;          // u64
export const CTX_SATP: usize = 272;        // u64, root register as written
export const CTX_INSTRET: usize = 280;     // u64, instructions retired (also cycle)
export const CTX_TIME_BASE: usize = 288;   // u64, time value at TIME_MARK
export const CTX_TIME_MARK: usize = 296;   // u64, instret when TIME_BASE was set
export const CTX_TIME_SCALE: usize = 304;  // u32, time ticks per instruction, 16.16 fixed point
export const CTX_ASID_KEY: usize = 308;    // u32, TLB tag of this hart's address space
export const CTX_ROOT: usize = 312;        // u64, physical address of the root table
export const CTX_RES_ADDR: usize = 320;    // u64, LR reservation: virtual address
export const CTX_RES_VALUE: usize = 328;   // u64, value LR read
export const CTX_RES_VALID: usize = 336;   // u32, nonzero while a reservation is held
export const CTX_CAUSE: usize = 340;       // u32, cause of the last hartRun return
export const CTX_TVAL: usize = 344;        // u64, trap value of the last trap
export const CTX_MAGIC: usize = 352;       // u32, CTX_MAGIC_VALUE once hartInit ran
export const CTX_FREGS: usize = 384;       // f0..f31, u64 each (singles NaN-boxed)
export const CTX_FCSR: usize = 640;        // u32, fcsr: fflags in bits 4..0, frm in bits 7..5
export const CTX_DEBUG: usize = 648;       // u32, debugger flags (debug.ts DEBUG_*); 0 when not debugged
export const CTX_SIZE: usize = 656;

export const CTX_MAGIC_VALUE: u32 = 0x4B484152; // "KHAR"
/** Byte offset of the sink register, as stored in decoded records. */
export const REG_SINK: u32 = 32;

/** Default time scale: one tick per retired instruction. */
export const TIME_SCALE_ONE: u32 = 1 << 16;

// @ts-ignore: decorator
@inline export function ctxReg(ctx: usize, index: u32): u64 { return load<u64>(ctx + (<usize>index << 3)); }
// @ts-ignore: decorator
@inline export function ctxSetReg(ctx: usize, index: u32, value: u64): void { store<u64>(ctx + (<usize>index << 3), value); }
// @ts-ignore: decorator
@inline export function ctxPc(ctx: usize): u64 { return load<u64>(ctx + CTX_PC); }
// @ts-ignore: decorator
@inline export function ctxSetPc(ctx: usize, pc: u64): void { store<u64>(ctx + CTX_PC, pc); }
// @ts-ignore: decorator
@inline export function ctxInstret(ctx: usize): u64 { return load<u64>(ctx + CTX_INSTRET); }
// @ts-ignore: decorator
@inline export function ctxAsidKey(ctx: usize): u32 { return load<u32>(ctx + CTX_ASID_KEY); }
// @ts-ignore: decorator
@inline export function ctxRoot(ctx: usize): u64 { return load<u64>(ctx + CTX_ROOT); }
// @ts-ignore: decorator
@inline export function ctxDropReservation(ctx: usize): void { store<u32>(ctx + CTX_RES_VALID, 0); }

/** Byte offset of f register `index` in the context. */
// @ts-ignore: decorator
@inline export function fregOffset(index: u32): u32 { return <u32>CTX_FREGS + (index << 3); }
