// CRC32C (Castagnoli, reflected polynomial 0x82F63B78): the checksum of the
// journal's header and logged blocks (docs/fs-format.md, "The log"). Layer:
// fs, a leaf (no other fs module). State: a 256-entry table at FS_STATE_CRC
// (fs/fsstate.ts), built by crc32cInit; host/fs/format.ts computes the same
// function for mkfs, fsck and tests.

import { FS_STATE_CRC } from "./fsstate";

const CRC32C_POLY: u32 = 0x82F6_3B78;
const CRC_INIT: u32 = 0xFFFF_FFFF;
const CRC_TABLE_ENTRIES: u32 = 256;

// @ts-ignore: decorator
@inline function tableGet(i: u32): u32 { return load<u32>(FS_STATE_CRC + (<usize>i << 2)); }

/** Builds the table (idempotent; called at mount). */
export function crc32cInit(): void {
  for (let i: u32 = 0; i < CRC_TABLE_ENTRIES; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = (c & 1) != 0 ? (c >> 1) ^ CRC32C_POLY : c >> 1;
    store<u32>(FS_STATE_CRC + (<usize>i << 2), c);
  }
}

/** CRC32C of len bytes at p (a kernel address). */
export function crc32c(p: usize, len: usize): u32 {
  let c = CRC_INIT;
  for (let i: usize = 0; i < len; i++) c = tableGet((c ^ <u32>load<u8>(p + i)) & 0xFF) ^ (c >> 8);
  return c ^ CRC_INIT;
}
