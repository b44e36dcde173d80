// Sv48 facts shared by the hart's MMU walk (machine/mmu.ts) and the kernel's
// page-table module (mm/pagetable.ts): entry bits, level geometry and the
// root-register format. From the RISC-V privileged specification.

export const PTE_V: u64 = 1 << 0;
export const PTE_R: u64 = 1 << 1;
export const PTE_W: u64 = 1 << 2;
export const PTE_X: u64 = 1 << 3;
export const PTE_U: u64 = 1 << 4;
export const PTE_G: u64 = 1 << 5;
export const PTE_A: u64 = 1 << 6;
export const PTE_D: u64 = 1 << 7;
/** Two bits reserved for software (RSW). */
export const PTE_RSW_SHIFT: u64 = 8;
export const PTE_RSW_MASK: u64 = 3 << 8;
export const PTE_PPN_SHIFT: u64 = 10;
/** PPN is 44 bits: PTE bits 53..10. */
export const PTE_PPN_MASK: u64 = 0x0000_0FFF_FFFF_FFFF;
/** Bits 63..54 (N, PBMT, reserved) must be zero in Sv48 without extensions. */
export const PTE_HIGH_RESERVED: u64 = 0xFFC0_0000_0000_0000;
export const PTE_RWX: u64 = PTE_R | PTE_W | PTE_X;

export const SV48_LEVELS: i32 = 4;
export const PT_ENTRIES: u32 = 512;
export const PT_ENTRY_SIZE: u32 = 8;
export const VA_BITS: u32 = 48;
export const VPN_BITS: u32 = 9;

export const PAGE_4K: u64 = 0x1000;
export const PAGE_2M: u64 = 0x20_0000;
export const PAGE_1G: u64 = 0x4000_0000;

/** Root register (satp-like): MODE[63:60] = 9 for Sv48, ASID[59:44], PPN[43:0]. */
export const SATP_MODE_SV48: u64 = 9;
export const SATP_MODE_SHIFT: u64 = 60;
export const SATP_ASID_SHIFT: u64 = 44;
export const SATP_ASID_MASK: u64 = 0xFFFF;
export const SATP_PPN_MASK: u64 = 0x0000_0FFF_FFFF_FFFF;

// @ts-ignore: decorator
@inline export function pteToPa(pte: u64): u64 { return ((pte >> PTE_PPN_SHIFT) & PTE_PPN_MASK) << 12; }
// @ts-ignore: decorator
@inline export function paToPte(pa: u64, flags: u64): u64 { return ((pa >> 12) << PTE_PPN_SHIFT) | flags; }
// @ts-ignore: decorator
@inline export function pteIsLeaf(pte: u64): bool { return (pte & PTE_RWX) != 0; }
/** VPN[level] of a virtual address; level 0 is the leaf-most. */
// @ts-ignore: decorator
@inline export function vpn(va: u64, level: i32): u32 { return <u32>((va >> (12 + 9 * <u64>level)) & 0x1FF); }
/** A VA is canonical when bits 63..47 are all equal. */
// @ts-ignore: decorator
@inline export function vaCanonical(va: u64): bool { return ((<i64>va << 16) >> 16) == <i64>va; }
// @ts-ignore: decorator
@inline export function makeSatp(asid: u32, rootPa: u64): u64 {
  return (SATP_MODE_SV48 << SATP_MODE_SHIFT) | ((<u64>asid & SATP_ASID_MASK) << SATP_ASID_SHIFT) | ((rootPa >> 12) & SATP_PPN_MASK);
}
