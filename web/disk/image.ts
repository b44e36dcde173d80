// Disk images as the page handles them: the checks an image must pass before
// it may replace the stored disk (the names of copied files are checked by
// host/import.ts). Pure functions, no DOM, unit-tested in image.test.ts. The format itself is
// docs/fs-format.md.

import {
  BLOCK_SIZE, FS_MAGIC, FS_VERSION, FS_VERSION_V1, SUPERBLOCK_BLOCK, readSuperblock as readSuperblockFields, type Superblock,
} from "../../host/fs/format.js";

export { BLOCK_SIZE, FS_VERSION, type Superblock };
/** "KFS1", the superblock's magic, at byte 0 of block 1. */
export const SUPERBLOCK_MAGIC = FS_MAGIC;
export const SUPERBLOCK_OFFSET = SUPERBLOCK_BLOCK * BLOCK_SIZE;
/** Smallest disk mkfs could make that still holds a root directory: boot
 *  block, superblock, an inode block, a bitmap block, a data block and a log
 *  of header plus one block. */
export const MIN_DISK_BLOCKS = 7;
/** Largest disk the page accepts: 1 GiB. mkfs makes 128 MiB; anything much
 *  larger in a browser tab is more likely a wrong file than a disk. */
export const MAX_DISK_BLOCKS = 262_144;

/** The superblock fields, or null when the image is too short to hold one. */
export function readSuperblock(image: Uint8Array): Superblock | null {
  return image.length < SUPERBLOCK_OFFSET + 40 ? null : readSuperblockFields(image);
}

/** Why `image` cannot be a Keel disk, or null when it can: the superblock's
 *  magic, version and geometry must be sane, and the file no longer than the
 *  disk it describes (it may be shorter: missing blocks read as zeros). */
export function checkImage(image: Uint8Array): string | null {
  if (image.length < SUPERBLOCK_OFFSET + BLOCK_SIZE) {
    return `it is ${image.length} bytes long; a Keel disk holds at least a boot block and a superblock (${2 * BLOCK_SIZE} bytes)`;
  }
  const sb = readSuperblock(image);
  if (sb === null || sb.magic !== SUPERBLOCK_MAGIC) {
    const found = sb === null ? "nothing" : `0x${sb.magic.toString(16).padStart(8, "0")}`;
    return `it has no Keel superblock (magic 0x${SUPERBLOCK_MAGIC.toString(16)} "KFS1" at offset ${SUPERBLOCK_OFFSET}; found ${found})`;
  }
  if (sb.version !== FS_VERSION && sb.version !== FS_VERSION_V1) {
    return `its file system version is ${sb.version}; this Keel reads versions ${FS_VERSION_V1} and ${FS_VERSION}`;
  }
  if (sb.size < MIN_DISK_BLOCKS || sb.size > MAX_DISK_BLOCKS) {
    return `its superblock says ${sb.size} blocks; a disk here has ${MIN_DISK_BLOCKS} to ${MAX_DISK_BLOCKS} blocks (at most ${MAX_DISK_BLOCKS * BLOCK_SIZE / (1024 * 1024)} MiB)`;
  }
  const ordered = sb.inodestart === 2 && sb.inodestart < sb.bmapstart && sb.bmapstart < sb.datastart &&
    sb.datastart <= sb.logstart && sb.nlog >= 2 && sb.logstart + sb.nlog === sb.size;
  if (!ordered) return "its superblock's layout is inconsistent (inode table, bitmap, data and log out of order)";
  if (image.length > sb.size * BLOCK_SIZE) {
    return `it is ${image.length} bytes long, more than the ${sb.size * BLOCK_SIZE} bytes its superblock describes`;
  }
  return null;
}

/** The image without its trailing all-zero blocks (the device reads missing
 *  blocks as zeros, so both describe the same disk). */
export function trimImage(image: Uint8Array): Uint8Array {
  let end = Math.ceil(image.length / BLOCK_SIZE);
  while (end > 0 && isZero(image.subarray((end - 1) * BLOCK_SIZE, end * BLOCK_SIZE))) end--;
  return image.subarray(0, Math.min(image.length, end * BLOCK_SIZE));
}

export function isZero(bytes: Uint8Array): boolean {
  // Eight bytes at a time where the alignment allows it.
  const aligned = bytes.byteOffset % 8 === 0 && bytes.length % 8 === 0;
  if (aligned) {
    const words = new BigUint64Array(bytes.buffer, bytes.byteOffset, bytes.length / 8);
    for (let i = 0; i < words.length; i++) if (words[i] !== 0n) return false;
    return true;
  }
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}
