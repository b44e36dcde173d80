// Reading a program from the disk file system into kernel memory for exec:
// the whole file goes into a block of frames, which exec validates and maps
// from, and which is freed right after.
// Relies on: fs/fsops, fs/inode, mm/frames, proc/exec.

import { fsRead } from "../fs/fsops";
import { inodeType, inodeSize, FS_T_FILE } from "../fs/inode";
import { frameAlloc, frameFree, KIND_EXEC, MAX_ORDER } from "../mm/frames";
import { execImage, EXEC_ERR_NOT_FILE, EXEC_ERR_NOMEM } from "./exec";

/** Programs larger than one buddy block (4 MiB) cannot be exec'd. */
export const EXEC_MAX_FILE: u32 = 4096 << MAX_ORDER;
export const EXEC_ERR_TOO_BIG: i32 = -4;
export const EXEC_ERR_IO: i32 = -5;

/** exec of held disk inode ip (the caller keeps its reference). */
export function execDisk(slot: u32, ip: i32, argc: u32, name: usize, nameLen: u32): i32 {
  if (inodeType(ip) != FS_T_FILE) return EXEC_ERR_NOT_FILE;
  const size = inodeSize(ip);
  if (size > EXEC_MAX_FILE) return EXEC_ERR_TOO_BIG;
  let order: u32 = 0;
  while ((<u64>4096 << order) < <u64>max<u32>(size, 1)) order++;
  const buf = frameAlloc(order, KIND_EXEC);
  if (buf == 0) return EXEC_ERR_NOMEM;
  const got = fsRead(ip, buf, 0, size);
  const r = got != <i32>size ? EXEC_ERR_IO : execImage(slot, buf, <u64>size, argc, name, nameLen);
  frameFree(buf, order);
  return r;
}
