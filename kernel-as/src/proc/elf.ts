// ELF64 executables for the Unix personality (ABI.md "Process image"):
// decode and validate a file completely before anything is built from it.
// Every way a file can be wrong has its own code and message, so exec can
// tell the caller precisely why it refused.
// Relies on: nothing but memory (the file is already in RAM).

export const ELF_OK: i32 = 0;
export const ELF_ERR_SHORT: i32 = -1;
export const ELF_ERR_MAGIC: i32 = -2;
export const ELF_ERR_CLASS: i32 = -3;
export const ELF_ERR_ENCODING: i32 = -4;
export const ELF_ERR_VERSION: i32 = -5;
export const ELF_ERR_TYPE: i32 = -6;
export const ELF_ERR_MACHINE: i32 = -7;
export const ELF_ERR_PHDRS: i32 = -8;
export const ELF_ERR_SEGMENT_FILE: i32 = -9;
export const ELF_ERR_SEGMENT_SIZE: i32 = -10;
export const ELF_ERR_SEGMENT_ALIGN: i32 = -11;
export const ELF_ERR_SEGMENT_OVERLAP: i32 = -12;
export const ELF_ERR_SEGMENT_RANGE: i32 = -13;
export const ELF_ERR_ENTRY: i32 = -14;
export const ELF_ERR_NO_SEGMENTS: i32 = -15;
export const ELF_ERR_RVE: i32 = -16;
export const ELF_ERR_FLOAT_ABI: i32 = -17;
export const ELF_ERR_FLAGS: i32 = -18;

export const ELF_MAX_SEGMENTS: u32 = 16;
/** Segments must end below this, leaving room for the guard, stack and heap. */
export const ELF_VA_LIMIT: u64 = 0x4000_0000_0000;

const EHDR_SIZE: u64 = 64;
const PHDR_SIZE: u64 = 56;
const ET_EXEC: u32 = 2;
const EM_RISCV: u32 = 243;
const PT_LOAD: u32 = 1;
export const PF_X: u32 = 1;
export const PF_W: u32 = 2;
export const PF_R: u32 = 4;
const PAGE: u64 = 4096;

// e_flags (RISC-V psABI): RVC, the float ABI in bits 1-2, RVE, TSO.
const EF_RVC: u32 = 0x1;
const EF_FLOAT_ABI_MASK: u32 = 0x6;
const EF_FLOAT_ABI_QUAD: u32 = 0x6;
const EF_RVE: u32 = 0x8;
const EF_TSO: u32 = 0x10;
/** Soft, single and double float ABIs all run: the hart has F and D. TSO
 *  holds trivially on one hart. Quad (Q) and RV32E/RV64E code cannot run. */
const EF_KNOWN: u32 = EF_RVC | EF_FLOAT_ABI_MASK | EF_RVE | EF_TSO;

// @ts-ignore: decorator
@inline function u16at(p: usize): u32 { return <u32>load<u16>(p); }

export function elfEntry(file: usize): u64 { return load<u64>(file + 24); }
export function elfPhnum(file: usize): u32 { return u16at(file + 56); }
export function elfFlags(file: usize): u32 { return load<u32>(file + 48); }
function phdr(file: usize, i: u32): usize { return file + <usize>load<u64>(file + 32) + <usize>i * <usize>PHDR_SIZE; }
export function phIsLoad(file: usize, i: u32): bool { return load<u32>(phdr(file, i)) == PT_LOAD; }
export function phFlags(file: usize, i: u32): u32 { return load<u32>(phdr(file, i) + 4); }
export function phOffset(file: usize, i: u32): u64 { return load<u64>(phdr(file, i) + 8); }
export function phVaddr(file: usize, i: u32): u64 { return load<u64>(phdr(file, i) + 16); }
export function phFilesz(file: usize, i: u32): u64 { return load<u64>(phdr(file, i) + 32); }
export function phMemsz(file: usize, i: u32): u64 { return load<u64>(phdr(file, i) + 40); }

/** A read-only, non-executable PT_LOAD at file offset 0 holding nothing but
 *  the ELF and program headers (what `ld -Ttext=` emits before the text). */
function phIsHeaders(file: usize, i: u32): bool {
  const filesz = phFilesz(file, i);
  return phOffset(file, i) == 0 && filesz == phMemsz(file, i) && (phFlags(file, i) & (PF_W | PF_X)) == 0 &&
    filesz <= load<u64>(file + 32) + <u64>elfPhnum(file) * PHDR_SIZE;
}

/** Whether a headers segment has another PT_LOAD over any of its bytes. */
function phOverlaid(file: usize, i: u32): bool {
  const va = phVaddr(file, i), end = va + phMemsz(file, i);
  const phnum = elfPhnum(file);
  for (let j: u32 = 0; j < phnum; j++) {
    if (j == i || !phIsLoad(file, j)) continue;
    const vj = phVaddr(file, j);
    if (va < vj + phMemsz(file, j) && vj < end) return true;
  }
  return false;
}

/**
 * Whether exec loads PT_LOAD i: every segment with bytes in memory except a
 * headers segment that another segment lies over. Linux maps the later
 * segment over those pages; Keel leaves the headers out altogether (nothing
 * in the xv6 ABI points a program at its own headers), so the pages hold
 * exactly the other segment's bytes. Valid after elfCheck's segment loop.
 */
export function phLoaded(file: usize, i: u32): bool {
  if (!phIsLoad(file, i) || phMemsz(file, i) == 0) return false;
  return !(phIsHeaders(file, i) && phOverlaid(file, i));
}

/** Checks the whole file; ELF_OK means every later read of it is in bounds. */
export function elfCheck(file: usize, size: u64): i32 {
  if (size < EHDR_SIZE) return ELF_ERR_SHORT;
  if (load<u32>(file) != 0x464C457F) return ELF_ERR_MAGIC;
  if (load<u8>(file + 4) != 2) return ELF_ERR_CLASS;
  if (load<u8>(file + 5) != 1) return ELF_ERR_ENCODING;
  if (load<u8>(file + 6) != 1 || load<u32>(file + 20) != 1) return ELF_ERR_VERSION;
  if (u16at(file + 16) != ET_EXEC) return ELF_ERR_TYPE;
  if (u16at(file + 18) != EM_RISCV) return ELF_ERR_MACHINE;
  const phoff = load<u64>(file + 32);
  const phnum = elfPhnum(file);
  if (u16at(file + 54) != <u32>PHDR_SIZE || phnum == 0 || phnum > ELF_MAX_SEGMENTS) return ELF_ERR_PHDRS;
  if (phoff > size || <u64>phnum * PHDR_SIZE > size - phoff) return ELF_ERR_PHDRS;

  const flags = elfFlags(file);
  if ((flags & EF_RVE) != 0) return ELF_ERR_RVE;
  if ((flags & EF_FLOAT_ABI_MASK) == EF_FLOAT_ABI_QUAD) return ELF_ERR_FLOAT_ABI;
  if ((flags & ~EF_KNOWN) != 0) return ELF_ERR_FLAGS;

  let loads: u32 = 0;
  for (let i: u32 = 0; i < phnum; i++) {
    if (!phIsLoad(file, i)) continue;
    loads++;
    const off = phOffset(file, i), filesz = phFilesz(file, i), memsz = phMemsz(file, i), va = phVaddr(file, i);
    if (off > size || filesz > size - off) return ELF_ERR_SEGMENT_FILE;
    if (memsz < filesz) return ELF_ERR_SEGMENT_SIZE;
    // As Linux requires: the file page and the memory page line up, so a
    // segment may start mid-page at the offset it has in its file page.
    if (((va - off) & (PAGE - 1)) != 0) return ELF_ERR_SEGMENT_ALIGN;
    if (va >= ELF_VA_LIMIT || memsz > ELF_VA_LIMIT - va) return ELF_ERR_SEGMENT_RANGE;
  }
  // Segments may share a page (each keeps its own bytes there) but no byte:
  // the one exception is a headers segment, which others may lie over.
  for (let i: u32 = 0; i < phnum; i++) {
    if (!phLoaded(file, i)) continue;
    const va = phVaddr(file, i), end = va + phMemsz(file, i);
    for (let j: u32 = 0; j < i; j++) {
      if (!phLoaded(file, j)) continue;
      const vj = phVaddr(file, j);
      if (va < vj + phMemsz(file, j) && vj < end) return ELF_ERR_SEGMENT_OVERLAP;
    }
  }
  if (loads == 0) return ELF_ERR_NO_SEGMENTS;

  const entry = elfEntry(file);
  let entryOk = false;
  for (let i: u32 = 0; i < phnum; i++) {
    if (!phLoaded(file, i) || (phFlags(file, i) & PF_X) == 0) continue;
    const va = phVaddr(file, i);
    if (entry >= va && entry < va + phMemsz(file, i)) entryOk = true;
  }
  return entryOk ? ELF_OK : ELF_ERR_ENTRY;
}

export function elfErrorText(code: i32): string {
  switch (code) {
    case ELF_ERR_SHORT: return "not an executable: file shorter than an ELF header";
    case ELF_ERR_MAGIC: return "not an executable: bad ELF magic";
    case ELF_ERR_CLASS: return "not a 64-bit ELF file";
    case ELF_ERR_ENCODING: return "not a little-endian ELF file";
    case ELF_ERR_VERSION: return "unknown ELF version";
    case ELF_ERR_TYPE: return "ELF file is not an executable (ET_EXEC)";
    case ELF_ERR_MACHINE: return "ELF file is not for RISC-V";
    case ELF_ERR_PHDRS: return "ELF program headers are missing, too many or outside the file";
    case ELF_ERR_SEGMENT_FILE: return "ELF segment data lies beyond the end of the file";
    case ELF_ERR_SEGMENT_SIZE: return "ELF segment has p_memsz smaller than p_filesz";
    case ELF_ERR_SEGMENT_ALIGN: return "ELF segment address and file offset differ within a page";
    case ELF_ERR_SEGMENT_OVERLAP: return "ELF segments overlap";
    case ELF_ERR_RVE: return "ELF file is for the RVE base (16 registers), which Keel does not run";
    case ELF_ERR_FLOAT_ABI: return "ELF file uses the quad-float ABI; the hart has F and D, not Q";
    case ELF_ERR_FLAGS: return "ELF file has unknown RISC-V e_flags bits";
    case ELF_ERR_SEGMENT_RANGE: return "ELF segment lies outside user memory";
    case ELF_ERR_ENTRY: return "ELF entry point is outside every executable segment";
    case ELF_ERR_NO_SEGMENTS: return "ELF file has no loadable segment";
    default: return "bad executable";
  }
}
