// BootInfo: the record the host writes at BOOTINFO_BASE before calling
// kmain. Layout (little-endian; offsets relative to BOOTINFO_BASE) is
// documented in docs/boot.md and mirrored by host/bootinfo.ts.

import { BOOTINFO_BASE } from "../lib/layout";

export const BOOT_MAGIC: u32 = 0x4C45454B; // "KEEL"
export const BOOT_VERSION: u32 = 1;

export const BI_MAGIC: usize = 0x00;
export const BI_VERSION: usize = 0x04;
export const BI_SIZE: usize = 0x08;
export const BI_FLAGS: usize = 0x0C;
export const BI_RAM_BYTES: usize = 0x10;     // u64
export const BI_MMAP_OFF: usize = 0x18;
export const BI_MMAP_COUNT: usize = 0x1C;
export const BI_CMDLINE_OFF: usize = 0x20;
export const BI_CMDLINE_LEN: usize = 0x24;
export const BI_MODULES_OFF: usize = 0x28;
export const BI_MODULES_COUNT: usize = 0x2C;
export const BI_SCREEN_COLS: usize = 0x30;   // u16
export const BI_SCREEN_ROWS: usize = 0x32;   // u16
export const BI_VCPUS: usize = 0x34;
export const BI_KERNEL_START: usize = 0x38;
export const BI_KERNEL_END: usize = 0x3C;
export const BI_BOOT_WALLCLOCK: usize = 0x40; // u64 ms since the Unix epoch
export const BI_NS_PER_WORK: usize = 0x48;    // deterministic clock rate
export const BI_HEADER_SIZE: usize = 0x50;

export const BOOT_FLAG_DETERMINISTIC: u32 = 1;

// Memory map entries, 24 bytes each.
export const MMAP_ENTRY_SIZE: usize = 24;
export const ME_BASE: usize = 0;    // u64
export const ME_LENGTH: usize = 8;  // u64
export const ME_TYPE: usize = 16;   // u32
export const ME_ATTRS: usize = 20;  // u32

export const REGION_USABLE: u32 = 1;
export const REGION_RESERVED: u32 = 2;
export const REGION_BOOTINFO: u32 = 3;
export const REGION_KERNEL_DATA: u32 = 4;
export const REGION_VGA: u32 = 5;
export const REGION_ROM: u32 = 6;
export const REGION_KERNEL_IMAGE: u32 = 7;
export const REGION_MODULE: u32 = 8;

// Boot modules, 32 bytes each.
export const MODULE_ENTRY_SIZE: usize = 32;
export const MOD_BASE: usize = 0;      // u64
export const MOD_LENGTH: usize = 8;    // u64
export const MOD_NAME_OFF: usize = 16; // relative to BOOTINFO_BASE
export const MOD_NAME_LEN: usize = 20;
export const MOD_KIND: usize = 24;

// @ts-ignore: decorator
@inline export function bootU32(off: usize): u32 { return load<u32>(BOOTINFO_BASE + off); }
// @ts-ignore: decorator
@inline export function bootU16(off: usize): u32 { return <u32>load<u16>(BOOTINFO_BASE + off); }
// @ts-ignore: decorator
@inline export function bootU64(off: usize): u64 { return load<u64>(BOOTINFO_BASE + off); }

export function bootInfoValid(): bool {
  return bootU32(BI_MAGIC) == BOOT_MAGIC && bootU32(BI_VERSION) == BOOT_VERSION;
}
/** True when the command line holds the word word[0..len) (words are
 *  separated by spaces). */
export function bootCmdlineHas(word: usize, len: u32): bool {
  const text = BOOTINFO_BASE + <usize>bootU32(BI_CMDLINE_OFF);
  const n = bootU32(BI_CMDLINE_LEN);
  let start: u32 = 0;
  while (start < n) {
    let end = start;
    while (end < n && load<u8>(text + <usize>end) != 0x20) end++;
    if (end - start == len && memory.compare(text + <usize>start, word, <usize>len) == 0) return true;
    start = end + 1;
  }
  return false;
}

export function mmapCount(): u32 { return bootU32(BI_MMAP_COUNT); }
export function mmapEntry(i: u32): usize {
  return BOOTINFO_BASE + <usize>bootU32(BI_MMAP_OFF) + <usize>i * MMAP_ENTRY_SIZE;
}
export function regionBase(i: u32): u64 { return load<u64>(mmapEntry(i) + ME_BASE); }
export function regionLength(i: u32): u64 { return load<u64>(mmapEntry(i) + ME_LENGTH); }
export function regionType(i: u32): u32 { return load<u32>(mmapEntry(i) + ME_TYPE); }
export function deterministicClock(): bool { return (bootU32(BI_FLAGS) & BOOT_FLAG_DETERMINISTIC) != 0; }

// Boot module kinds.
export const MODULE_KIND_BOOTFS: u32 = 1;

export function moduleCount(): u32 { return bootU32(BI_MODULES_COUNT); }
export function moduleEntry(i: u32): usize {
  return BOOTINFO_BASE + <usize>bootU32(BI_MODULES_OFF) + <usize>i * MODULE_ENTRY_SIZE;
}
/** Index of the first module of `kind`, or -1. */
export function moduleFind(kind: u32): i32 {
  const n = moduleCount();
  for (let i: u32 = 0; i < n; i++) if (load<u32>(moduleEntry(i) + MOD_KIND) == kind) return <i32>i;
  return -1;
}
export function moduleBase(i: u32): usize { return <usize>load<u64>(moduleEntry(i) + MOD_BASE); }
export function moduleLength(i: u32): usize { return <usize>load<u64>(moduleEntry(i) + MOD_LENGTH); }
