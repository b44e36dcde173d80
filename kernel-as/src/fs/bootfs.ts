// The read-only boot file system: a flat root directory of programs, a
// README and the `console` device node, shipped as a boot module
// (user/mkbootfs.ts writes it; docs/bootfs.md has the format). The image is
// validated once at mount; after that lookups and reads trust its table.
// Relies on: arch/bootinfo (finding the module).

import { moduleFind, moduleBase, moduleLength, MODULE_KIND_BOOTFS } from "../arch/bootinfo";

export const BOOTFS_MAGIC: u32 = 0x5346424B; // "KBFS"
export const BOOTFS_VERSION: u32 = 1;
const HEADER_SIZE: usize = 16;
const ENTRY_SIZE: usize = 32;
const E_NAME: usize = 0;     // char[16]
const E_OFFSET: usize = 16;  // u32
const E_SIZE: usize = 20;    // u32
const E_TYPE: usize = 24;    // u16
const E_MAJOR: usize = 26;   // u16
const E_MINOR: usize = 28;   // u16
export const BOOTFS_NAME_MAX: u32 = 14;
export const BOOTFS_MAX_ENTRIES: u32 = 1024;

export const T_DIR: u32 = 1;
export const T_FILE: u32 = 2;
export const T_DEVICE: u32 = 3;

/** Inode numbers: 1 is the root directory, entry i is inode i + 2. */
export const ROOT_INUM: u32 = 1;

export const BOOTFS_OK: i32 = 0;
export const BOOTFS_ERR_MISSING: i32 = -1;
export const BOOTFS_ERR_CORRUPT: i32 = -2;

import { KSTATE_BOOTFS } from "../lib/layout";

@unmanaged class BootfsState {
  base: u32;
  length: u32;
  count: u32;
  mounted: u32;
}
// @ts-ignore: decorator
@inline function state(): BootfsState { return changetype<BootfsState>(KSTATE_BOOTFS); }
// @ts-ignore: decorator
@inline function entry(i: u32): usize { return <usize>state().base + HEADER_SIZE + <usize>i * ENTRY_SIZE; }

/** Finds and validates the image; every entry must lie inside it. */
export function bootfsMount(): i32 {
  const s = state();
  s.mounted = 0;
  const m = moduleFind(MODULE_KIND_BOOTFS);
  if (m < 0) return BOOTFS_ERR_MISSING;
  const base = moduleBase(<u32>m);
  const length = moduleLength(<u32>m);
  if (length < HEADER_SIZE) return BOOTFS_ERR_CORRUPT;
  if (load<u32>(base) != BOOTFS_MAGIC || load<u32>(base, 4) != BOOTFS_VERSION) return BOOTFS_ERR_CORRUPT;
  const count = load<u32>(base, 8);
  if (count > BOOTFS_MAX_ENTRIES || HEADER_SIZE + <usize>count * ENTRY_SIZE > length) return BOOTFS_ERR_CORRUPT;
  s.base = <u32>base; s.length = <u32>length; s.count = count;
  for (let i: u32 = 0; i < count; i++) {
    const e = entry(i);
    const off = <u64>load<u32>(e + E_OFFSET);
    const size = <u64>load<u32>(e + E_SIZE);
    if (off + size > <u64>length) return BOOTFS_ERR_CORRUPT;
    const type = <u32>load<u16>(e + E_TYPE);
    if (type != T_FILE && type != T_DEVICE) return BOOTFS_ERR_CORRUPT;
    if (load<u8>(e + E_NAME) == 0) return BOOTFS_ERR_CORRUPT;
  }
  s.mounted = 1;
  return BOOTFS_OK;
}

export function bootfsMounted(): bool { return state().mounted != 0; }
export function bootfsCount(): u32 { return state().mounted != 0 ? state().count : 0; }

/** Looks up a name (not NUL-terminated: ptr/len, already cut to 14 bytes)
 *  in the root directory. Returns the inode number or 0. */
export function bootfsLookup(name: usize, len: u32): u32 {
  if (!bootfsMounted()) return 0;
  if (len > BOOTFS_NAME_MAX) len = BOOTFS_NAME_MAX;
  if (len == 1 && load<u8>(name) == 0x2E) return ROOT_INUM; // "."
  if (len == 2 && load<u8>(name) == 0x2E && load<u8>(name, 1) == 0x2E) return ROOT_INUM; // ".."
  const n = state().count;
  for (let i: u32 = 0; i < n; i++) {
    const e = entry(i) + E_NAME;
    let same = true;
    for (let j: u32 = 0; j < len; j++) if (load<u8>(e + j) != load<u8>(name + j)) { same = false; break; }
    if (same && (len == 16 || load<u8>(e + len) == 0)) return i + 2;
  }
  return 0;
}

export function bootfsType(inum: u32): u32 {
  if (inum == ROOT_INUM) return T_DIR;
  return <u32>load<u16>(entry(inum - 2) + E_TYPE);
}
export function bootfsSize(inum: u32): u32 {
  if (inum == ROOT_INUM) return (state().count + 2) * 16; // ".", ".." and one entry each
  return load<u32>(entry(inum - 2) + E_SIZE);
}
export function bootfsData(inum: u32): usize { return <usize>state().base + <usize>load<u32>(entry(inum - 2) + E_OFFSET); }
export function bootfsMajor(inum: u32): u32 { return inum == ROOT_INUM ? 0 : <u32>load<u16>(entry(inum - 2) + E_MAJOR); }
export function bootfsMinor(inum: u32): u32 { return inum == ROOT_INUM ? 0 : <u32>load<u16>(entry(inum - 2) + E_MINOR); }
export function bootfsValidInum(inum: u32): bool { return inum == ROOT_INUM || (inum >= 2 && inum - 2 < bootfsCount()); }

/** Writes the 16-byte directory entry `index` of the root (".", "..", then
 *  the files) at `out`. Returns false past the end. */
export function bootfsDirent(index: u32, out: usize): bool {
  memory.fill(out, 0, 16);
  if (index == 0 || index == 1) {
    store<u16>(out, <u16>ROOT_INUM);
    store<u8>(out + 2, 0x2E);
    if (index == 1) store<u8>(out + 3, 0x2E);
    return true;
  }
  const i = index - 2;
  if (i >= bootfsCount()) return false;
  store<u16>(out, <u16>(i + 2));
  memory.copy(out + 2, entry(i) + E_NAME, BOOTFS_NAME_MAX);
  return true;
}
