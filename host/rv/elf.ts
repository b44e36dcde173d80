// ELF64 little-endian RISC-V: a writer for static executables (used by tests
// and the differential harness) and a strict parser/validator for the
// executables the bare hart runner and exec load. Also a minimal section
// reader for relocatable objects, so tests can pull `.text` out of what
// clang's assembler produced.
//
// The validator implements the process-image rules of ABI.md and
// docs/processes.md, the same as the kernel's proc/elf.ts: e_flags names a
// float ABI the hart runs (soft, single or double; not quad, not RVE); every
// PT_LOAD has p_vaddr congruent to p_offset modulo the page and p_memsz >=
// p_filesz; segments may share a page but not a byte, except that a headers
// segment (what `ld -Ttext=` emits) may lie under others and is then not
// loaded; and the entry point lies in an executable segment. Every failure is
// an ElfError with a specific code; nothing else is ever thrown.

export const ELF_PAGE_SIZE = 4096;
/** Most program headers we are willing to read. */
export const ELF_MAX_PHDRS = 64;
/** Most PT_LOAD segments an image may have. */
export const ELF_MAX_LOAD_SEGMENTS = 16;
/** Largest p_memsz of one segment (256 MiB): bounds what a loader allocates. */
export const ELF_MAX_SEGMENT_BYTES = 256n * 1024n * 1024n;
/** User addresses are the low half of Sv48: below 2^47. */
export const ELF_USER_VA_LIMIT = 1n << 47n;

export const EHDR_SIZE = 64;
export const PHDR_SIZE = 56;
export const SHDR_SIZE = 64;

export const ET_REL = 1;
export const ET_EXEC = 2;
export const EM_RISCV = 243;
export const PT_LOAD = 1;
export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;
/** e_flags bit: the code may contain compressed instructions. */
export const EF_RISCV_RVC = 0x1;
/** e_flags bits 1-2: the float ABI (0 soft, 1 single, 2 double, 3 quad). */
export const EF_RISCV_FLOAT_ABI_MASK = 0x6;
export const EF_RISCV_FLOAT_ABI_SOFT = 0x0;
export const EF_RISCV_FLOAT_ABI_SINGLE = 0x2;
export const EF_RISCV_FLOAT_ABI_DOUBLE = 0x4;
export const EF_RISCV_FLOAT_ABI_QUAD = 0x6;
export const EF_RISCV_RVE = 0x8;
export const EF_RISCV_TSO = 0x10;
const EF_RISCV_KNOWN = EF_RISCV_RVC | EF_RISCV_FLOAT_ABI_MASK | EF_RISCV_RVE | EF_RISCV_TSO;

export type ElfErrorCode =
  | "truncated-header"
  | "bad-magic"
  | "bad-class"
  | "bad-data-encoding"
  | "bad-version"
  | "bad-machine"
  | "bad-type"
  | "rve-unsupported"
  | "quad-float-abi"
  | "unknown-flags"
  | "bad-phentsize"
  | "too-many-segments"
  | "phdrs-beyond-file"
  | "segment-beyond-file"
  | "filesz-exceeds-memsz"
  | "segment-unaligned"
  | "segment-too-large"
  | "segment-beyond-user-space"
  | "segments-overlap"
  | "no-load-segments"
  | "entry-not-executable"
  | "bad-section-table";

export class ElfError extends Error {
  constructor(
    readonly code: ElfErrorCode,
    detail: string,
  ) {
    super(`malformed ELF (${code}): ${detail}`);
    this.name = "ElfError";
  }
}

export interface ElfSegment {
  vaddr: bigint;
  memsz: bigint;
  filesz: bigint;
  offset: bigint;
  /** PF_R | PF_W | PF_X. */
  flags: number;
  /** The file bytes of the segment (length = filesz), a view into the input. */
  data: Uint8Array;
}

export interface ElfImage {
  entry: bigint;
  flags: number;
  /** PT_LOAD segments, sorted by address. */
  segments: ElfSegment[];
}

const hex = (n: bigint | number): string => "0x" + n.toString(16);

function checkIdent(bytes: Uint8Array, view: DataView): void {
  if (bytes.length < 16) throw new ElfError("truncated-header", `file is ${bytes.length} bytes, shorter than e_ident`);
  if (bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    throw new ElfError("bad-magic", "the file does not start with \\x7fELF");
  }
  if (bytes[4] !== 2) throw new ElfError("bad-class", `EI_CLASS is ${bytes[4]}, expected 2 (ELF64)`);
  if (bytes[5] !== 1) throw new ElfError("bad-data-encoding", `EI_DATA is ${bytes[5]}, expected 1 (little-endian)`);
  if (bytes[6] !== 1) throw new ElfError("bad-version", `EI_VERSION is ${bytes[6]}, expected 1`);
  if (bytes.length < EHDR_SIZE) {
    throw new ElfError("truncated-header", `file is ${bytes.length} bytes, shorter than the 64-byte ELF header`);
  }
  const machine = view.getUint16(18, true);
  if (machine !== EM_RISCV) throw new ElfError("bad-machine", `e_machine is ${machine}, expected ${EM_RISCV} (RISC-V)`);
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Parses and validates a static RV64 executable. Throws only ElfError. */
export function parseElf(bytes: Uint8Array): ElfImage {
  const view = viewOf(bytes);
  checkIdent(bytes, view);
  const type = view.getUint16(16, true);
  if (type !== ET_EXEC) throw new ElfError("bad-type", `e_type is ${type}, expected ${ET_EXEC} (a static executable)`);
  const version = view.getUint32(20, true);
  if (version !== 1) throw new ElfError("bad-version", `e_version is ${version}, expected 1`);
  const entry = view.getBigUint64(24, true);
  const phoff = view.getBigUint64(32, true);
  const flags = view.getUint32(48, true);
  if ((flags & EF_RISCV_RVE) !== 0) throw new ElfError("rve-unsupported", `e_flags ${hex(flags)} marks RVE code (16 registers)`);
  if ((flags & EF_RISCV_FLOAT_ABI_MASK) === EF_RISCV_FLOAT_ABI_QUAD) {
    throw new ElfError("quad-float-abi", `e_flags ${hex(flags)} asks for the quad-float ABI; the hart has F and D, not Q`);
  }
  if ((flags & ~EF_RISCV_KNOWN) !== 0) throw new ElfError("unknown-flags", `e_flags ${hex(flags)} has bits this loader does not know`);
  const phentsize = view.getUint16(54, true);
  const phnum = view.getUint16(56, true);
  if (phentsize !== PHDR_SIZE) throw new ElfError("bad-phentsize", `e_phentsize is ${phentsize}, expected ${PHDR_SIZE}`);
  if (phnum > ELF_MAX_PHDRS) throw new ElfError("too-many-segments", `${phnum} program headers, at most ${ELF_MAX_PHDRS}`);
  if (phnum === 0) throw new ElfError("no-load-segments", "the file has no program headers");
  const phEnd = phoff + BigInt(phnum * PHDR_SIZE);
  if (phEnd > BigInt(bytes.length)) {
    throw new ElfError("phdrs-beyond-file", `program headers end at ${hex(phEnd)}, past the file's ${bytes.length} bytes`);
  }

  const all: (ElfSegment & { headers: boolean })[] = [];
  for (let i = 0; i < phnum; i++) {
    const at = Number(phoff) + i * PHDR_SIZE;
    if (view.getUint32(at, true) !== PT_LOAD) continue;
    const pflags = view.getUint32(at + 4, true);
    const offset = view.getBigUint64(at + 8, true);
    const vaddr = view.getBigUint64(at + 16, true);
    const filesz = view.getBigUint64(at + 32, true);
    const memsz = view.getBigUint64(at + 40, true);
    const name = `PT_LOAD #${i} at ${hex(vaddr)}`;
    if (all.length === ELF_MAX_LOAD_SEGMENTS) {
      throw new ElfError("too-many-segments", `more than ${ELF_MAX_LOAD_SEGMENTS} PT_LOAD segments`);
    }
    if (filesz > memsz) throw new ElfError("filesz-exceeds-memsz", `${name}: p_filesz ${hex(filesz)} > p_memsz ${hex(memsz)}`);
    if (offset + filesz > BigInt(bytes.length)) {
      throw new ElfError("segment-beyond-file", `${name}: file bytes ${hex(offset)}+${hex(filesz)} run past the file's ${bytes.length} bytes`);
    }
    if ((vaddr - offset) % BigInt(ELF_PAGE_SIZE) !== 0n) {
      throw new ElfError("segment-unaligned", `${name}: p_vaddr and p_offset ${hex(offset)} differ within a page`);
    }
    if (memsz > ELF_MAX_SEGMENT_BYTES) {
      throw new ElfError("segment-too-large", `${name}: p_memsz ${hex(memsz)} exceeds ${hex(ELF_MAX_SEGMENT_BYTES)}`);
    }
    if (vaddr + memsz > ELF_USER_VA_LIMIT) {
      throw new ElfError("segment-beyond-user-space", `${name}: ends at ${hex(vaddr + memsz)}, past the user limit ${hex(ELF_USER_VA_LIMIT)}`);
    }
    // Processor- and OS-specific flag bits (PF_MASKPROC etc.) carry nothing for us.
    const start = Number(offset);
    const flags3 = pflags & (PF_R | PF_W | PF_X);
    const headers = offset === 0n && filesz === memsz && (flags3 & (PF_W | PF_X)) === 0 && filesz <= phEnd;
    all.push({ vaddr, memsz, filesz, offset, flags: flags3, data: bytes.subarray(start, start + Number(filesz)), headers });
  }
  if (all.length === 0) throw new ElfError("no-load-segments", "no PT_LOAD segment");
  const touches = (a: ElfSegment, b: ElfSegment): boolean => a.vaddr < b.vaddr + b.memsz && b.vaddr < a.vaddr + a.memsz;
  // A headers segment that another segment lies over is left out (Linux maps
  // the other over it); empty segments hold nothing to load.
  const loaded = all.filter((s) => s.memsz > 0n && !(s.headers && all.some((o) => o !== s && touches(s, o))));
  const segments: ElfSegment[] = loaded.map(({ headers: _, ...s }) => s);
  segments.sort((a, b) => (a.vaddr < b.vaddr ? -1 : a.vaddr > b.vaddr ? 1 : 0));
  // Segments may share a page, each with its own bytes, but not a byte.
  for (let i = 1; i < segments.length; i++) {
    const prev = segments[i - 1]!;
    const cur = segments[i]!;
    if (touches(prev, cur)) {
      throw new ElfError(
        "segments-overlap",
        `PT_LOAD at ${hex(prev.vaddr)} (${hex(prev.memsz)} bytes) overlaps PT_LOAD at ${hex(cur.vaddr)}`,
      );
    }
  }
  const home = segments.find((s) => entry >= s.vaddr && entry < s.vaddr + s.memsz);
  if (!home || (home.flags & PF_X) === 0) {
    throw new ElfError("entry-not-executable", `entry ${hex(entry)} is not inside an executable PT_LOAD segment`);
  }
  return { entry, flags, segments };
}

export interface ElfWriteSegment {
  vaddr: bigint;
  data: Uint8Array;
  /** Defaults to data.length; larger values add zero-filled (bss) bytes. */
  memsz?: bigint;
  flags: number;
}

export interface ElfWriteInput {
  entry: bigint;
  segments: ElfWriteSegment[];
  /** e_flags; defaults to EF_RISCV_RVC. */
  flags?: number;
}

/** Writes a static executable: ELF header, program headers, then each
 *  segment's bytes at a file offset congruent to its address modulo the page
 *  size (as Linux loaders require). No section headers. */
export function writeElf(input: ElfWriteInput): Uint8Array {
  const n = input.segments.length;
  let cursor = EHDR_SIZE + n * PHDR_SIZE;
  const placed: number[] = [];
  for (const s of input.segments) {
    const want = Number(s.vaddr % BigInt(ELF_PAGE_SIZE));
    const pageStart = Math.ceil((cursor - want) / ELF_PAGE_SIZE) * ELF_PAGE_SIZE;
    const off = pageStart + want;
    placed.push(off);
    cursor = off + s.data.length;
  }
  const out = new Uint8Array(cursor);
  const view = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]);
  view.setUint16(16, ET_EXEC, true);
  view.setUint16(18, EM_RISCV, true);
  view.setUint32(20, 1, true);
  view.setBigUint64(24, input.entry, true);
  view.setBigUint64(32, BigInt(EHDR_SIZE), true);
  view.setBigUint64(40, 0n, true);
  view.setUint32(48, input.flags ?? EF_RISCV_RVC, true);
  view.setUint16(52, EHDR_SIZE, true);
  view.setUint16(54, PHDR_SIZE, true);
  view.setUint16(56, n, true);
  view.setUint16(58, SHDR_SIZE, true);
  input.segments.forEach((s, i) => {
    const at = EHDR_SIZE + i * PHDR_SIZE;
    view.setUint32(at, PT_LOAD, true);
    view.setUint32(at + 4, s.flags, true);
    view.setBigUint64(at + 8, BigInt(placed[i]!), true);
    view.setBigUint64(at + 16, s.vaddr, true);
    view.setBigUint64(at + 24, s.vaddr, true);
    view.setBigUint64(at + 32, BigInt(s.data.length), true);
    view.setBigUint64(at + 40, s.memsz ?? BigInt(s.data.length), true);
    view.setBigUint64(at + 48, BigInt(ELF_PAGE_SIZE), true);
    out.set(s.data, placed[i]!);
  });
  return out;
}

export interface ElfSection {
  name: string;
  type: number;
  flags: bigint;
  addr: bigint;
  offset: number;
  size: number;
  data: Uint8Array;
}

/** Reads the section table of any ELF64 LE RISC-V file (typically an ET_REL
 *  object from a compiler). SHT_NOBITS sections get empty data. */
export function readSections(bytes: Uint8Array): ElfSection[] {
  const view = viewOf(bytes);
  checkIdent(bytes, view);
  const shoff = Number(view.getBigUint64(40, true));
  const shentsize = view.getUint16(58, true);
  const shnum = view.getUint16(60, true);
  const shstrndx = view.getUint16(62, true);
  if (shnum === 0) return [];
  if (shentsize !== SHDR_SIZE || shoff + shnum * SHDR_SIZE > bytes.length || shstrndx >= shnum) {
    throw new ElfError("bad-section-table", "section header table is malformed or beyond the file");
  }
  const raw = [];
  for (let i = 0; i < shnum; i++) {
    const at = shoff + i * SHDR_SIZE;
    const type = view.getUint32(at + 4, true);
    const offset = Number(view.getBigUint64(at + 24, true));
    const size = Number(view.getBigUint64(at + 32, true));
    if (type !== 8 && offset + size > bytes.length) {
      throw new ElfError("bad-section-table", `section ${i} runs past the end of the file`);
    }
    raw.push({
      nameOff: view.getUint32(at, true),
      type,
      flags: view.getBigUint64(at + 8, true),
      addr: view.getBigUint64(at + 16, true),
      offset,
      size,
    });
  }
  const strtab = raw[shstrndx]!;
  const nameAt = (off: number): string => {
    let end = strtab.offset + off;
    while (end < strtab.offset + strtab.size && bytes[end] !== 0) end++;
    return new TextDecoder().decode(bytes.subarray(strtab.offset + off, end));
  };
  return raw.map((s) => ({
    name: nameAt(s.nameOff),
    type: s.type,
    flags: s.flags,
    addr: s.addr,
    offset: s.offset,
    size: s.size,
    data: s.type === 8 ? new Uint8Array(0) : bytes.subarray(s.offset, s.offset + s.size),
  }));
}

/** The bytes of the named section, or undefined. */
export function sectionBytes(bytes: Uint8Array, name: string): Uint8Array | undefined {
  return readSections(bytes).find((s) => s.name === name)?.data;
}

export interface ElfSymbol {
  name: string;
  value: bigint;
  size: bigint;
  /** STT_*: 0 no type, 1 object, 2 function, 3 section, 4 file. */
  type: number;
  /** Section index (0: undefined). */
  shndx: number;
}

/** Every named entry of an ELF64 file's .symtab (empty without one): the
 *  programs in user/bin keep theirs, the .debug copies too. */
export function readSymbols(bytes: Uint8Array): ElfSymbol[] {
  const sections = readSections(bytes);
  const symtab = sections.find((x) => x.name === ".symtab");
  const strtab = sections.find((x) => x.name === ".strtab");
  if (!symtab || !strtab) return [];
  const view = new DataView(symtab.data.buffer, symtab.data.byteOffset, symtab.data.byteLength);
  const decoder = new TextDecoder();
  const out: ElfSymbol[] = [];
  for (let at = 0; at + 24 <= symtab.data.length; at += 24) {
    const off = view.getUint32(at, true);
    let end = off;
    while (end < strtab.data.length && strtab.data[end] !== 0) end++;
    const name = decoder.decode(strtab.data.subarray(off, end));
    if (name === "") continue;
    out.push({ name, value: view.getBigUint64(at + 8, true), size: view.getBigUint64(at + 16, true), type: view.getUint8(at + 4) & 0xf, shndx: view.getUint16(at + 6, true) });
  }
  return out;
}

/** The value (address) of the named symbol in an ELF64 file's .symtab, as
 *  the debug copies in user/bin/NAME.debug carry it; throws if it is absent. */
export function symbolValue(bytes: Uint8Array, name: string): bigint {
  const sections = readSections(bytes);
  if (!sections.some((x) => x.name === ".symtab") || !sections.some((x) => x.name === ".strtab")) throw new Error("no symbol table");
  const found = readSymbols(bytes).find((s) => s.name === name);
  if (found === undefined) throw new Error(`no symbol ${name}`);
  return found.value;
}
