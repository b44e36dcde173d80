// Path lookup over the boot file system: absolute and relative paths (the
// working directory is always the root today), "." and "..", repeated
// slashes, components cut to DIRSIZ (14) bytes as ABI.md says.
// Relies on: fs/bootfs.

import { bootfsLookup, bootfsType, ROOT_INUM, T_DIR, BOOTFS_NAME_MAX } from "./bootfs";

/** Resolves the NUL-terminated path at `path`; returns an inode number or 0. */
export function pathResolve(path: usize): u32 {
  let inum = ROOT_INUM;
  let i: usize = 0;
  if (load<u8>(path) == 0) return 0; // the empty path names nothing
  while (true) {
    while (load<u8>(path + i) == 0x2F) i++;
    if (load<u8>(path + i) == 0) break;
    const start = i;
    while (load<u8>(path + i) != 0 && load<u8>(path + i) != 0x2F) i++;
    if (bootfsType(inum) != T_DIR) return 0;
    let len = <u32>(i - start);
    if (len > BOOTFS_NAME_MAX) len = BOOTFS_NAME_MAX;
    inum = bootfsLookup(path + start, len);
    if (inum == 0) return 0;
  }
  return inum;
}

/** The last component of a path: its offset from `path` and its length. */
export function pathBasename(path: usize, outLen: usize): usize {
  let last: usize = 0;
  let i: usize = 0;
  while (load<u8>(path + i) != 0) {
    if (load<u8>(path + i) == 0x2F && load<u8>(path + i + 1) != 0) last = i + 1;
    i++;
  }
  let end = last;
  while (load<u8>(path + end) != 0 && load<u8>(path + end) != 0x2F) end++;
  store<u32>(outLen, <u32>(end - last));
  return last;
}
