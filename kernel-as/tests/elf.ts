// Test entry for the ELF validator (proc/elf.ts): a file buffer the host
// fills, elfCheck over it, and which program headers exec would load.

import { elfCheck, elfPhnum, phLoaded, ELF_OK } from "../src/proc/elf";

export { kernelImageEnd } from "../src/lib/image";

const BUFFER_BYTES: u32 = 128 * 1024;
const buffer = memory.data(<i32>BUFFER_BYTES, 16);

export function elfBuffer(): usize { return buffer; }
export function elfBufferBytes(): u32 { return BUFFER_BYTES; }

/** elfCheck of the first `size` bytes of the buffer. */
export function elfCheckBuffer(size: u32): i32 { return elfCheck(buffer, <u64>size); }

/** Bit i set when exec would load program header i (after elfCheck said ELF_OK). */
export function elfLoadedMask(size: u32): u32 {
  if (elfCheck(buffer, <u64>size) != ELF_OK) return 0;
  let mask: u32 = 0;
  const phnum = elfPhnum(buffer);
  for (let i: u32 = 0; i < phnum; i++) if (phLoaded(buffer, i)) mask |= <u32>1 << i;
  return mask;
}
