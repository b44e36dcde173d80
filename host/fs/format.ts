// The Keel file system's on-disk format (docs/fs-format.md), as constants and
// small accessors shared by mkfs, fsck and tests. No Node imports: the page
// and the worker may use it too.
//
// Reading works on an image that may be shorter than the disk: a block past
// the image's end reads as zeros, as the block device does. Writing needs the
// bytes to be there (mkfs grows its buffer first).

export const BLOCK_SIZE = 4096;
export const FS_MAGIC = 0x3153464b; // "KFS1" read as a little-endian u32
/** Version 2: the log header carries CRC32C checksums (docs/fs-format.md). */
export const FS_VERSION = 2;
/** Version 1: the same layout with an unchecksummed log header. Still read
 *  (fsck checks it; the kernel upgrades it to 2 at a read-write mount). */
export const FS_VERSION_V1 = 1;
export const BOOT_BLOCK = 0;
export const SUPERBLOCK_BLOCK = 1;
export const INODE_START = 2;
export const ROOT_INUM = 1;

export const INODE_SIZE = 64;
export const INODES_PER_BLOCK = BLOCK_SIZE / INODE_SIZE;
/** Bitmap bits per bitmap block: bit (b % 8) of byte (b / 8) is block b, 1 = in use. */
export const BITS_PER_BLOCK = BLOCK_SIZE * 8;

export const T_FREE = 0;
export const T_DIR = 1;
export const T_FILE = 2;
export const T_DEVICE = 3;
export const CONSOLE_MAJOR = 1;

export const NDIRECT = 11;
export const NINDIRECT = BLOCK_SIZE / 4;
export const INDIRECT_SLOT = NDIRECT;
export const DOUBLE_INDIRECT_SLOT = NDIRECT + 1;
export const NADDRS = NDIRECT + 2;
export const MAX_FILE_BLOCKS = NDIRECT + NINDIRECT + NINDIRECT * NINDIRECT;
/** The size field is a u32. */
export const MAX_FILE_SIZE = 0xffff_ffff;

export const DIRENT_SIZE = 16;
/** Longest name; a name of exactly DIRSIZ characters has no NUL. */
export const DIRSIZ = 14;

// Log header (version 2): u32 n, u32 sequence, u32 checksum (CRC32C of the
// header block with this field zero), u32 reserved, then n entries of
// { u32 target, u32 CRC32C of the logged block }.
export const LOG_HEADER_CHECKSUM = 8;
export const LOG_HEADER_ENTRIES = 16;
export const LOG_ENTRY_SIZE = 8;
/** Most blocks one transaction (one version-2 log header) can name. */
export const LOG_MAX_TARGETS = (BLOCK_SIZE - LOG_HEADER_ENTRIES) / LOG_ENTRY_SIZE; // 510
/** Version 1: u32 target[n] from byte 8, no checksums. */
export const LOG_V1_TARGETS = 8;
export const LOG_V1_MAX_TARGETS = (BLOCK_SIZE - LOG_V1_TARGETS) / 4; // 1022

export const DEFAULT_BLOCKS = 32768;
export const DEFAULT_INODES = 4096;
export const DEFAULT_LOG_BLOCKS = 1024;

// ---- byte access that tolerates short images ----

function u32(image: Uint8Array, offset: number): number {
  if (offset + 4 > image.length) {
    let v = 0;
    for (let i = 3; i >= 0; i--) v = v * 256 + (offset + i < image.length ? image[offset + i]! : 0);
    return v;
  }
  return (image[offset]! | (image[offset + 1]! << 8) | (image[offset + 2]! << 16) | (image[offset + 3]! << 24)) >>> 0;
}

function u16(image: Uint8Array, offset: number): number {
  const lo = offset < image.length ? image[offset]! : 0;
  const hi = offset + 1 < image.length ? image[offset + 1]! : 0;
  return lo | (hi << 8);
}

function putU32(image: Uint8Array, offset: number, value: number): void {
  image[offset] = value & 0xff;
  image[offset + 1] = (value >>> 8) & 0xff;
  image[offset + 2] = (value >>> 16) & 0xff;
  image[offset + 3] = (value >>> 24) & 0xff;
}

function putU16(image: Uint8Array, offset: number, value: number): void {
  image[offset] = value & 0xff;
  image[offset + 1] = (value >>> 8) & 0xff;
}

/** Block `b` of the disk: a view into the image, or zeros (a copy) past its end. */
export function readBlock(image: Uint8Array, b: number): Uint8Array {
  const start = b * BLOCK_SIZE;
  if (start + BLOCK_SIZE <= image.length) return image.subarray(start, start + BLOCK_SIZE);
  const block = new Uint8Array(BLOCK_SIZE);
  if (start < image.length) block.set(image.subarray(start));
  return block;
}

/** Entry `i` of an indirect block (a block of u32 block numbers). */
export function blockEntry(image: Uint8Array, b: number, i: number): number {
  return u32(image, b * BLOCK_SIZE + i * 4);
}

export function setBlockEntry(image: Uint8Array, b: number, i: number, value: number): void {
  putU32(image, b * BLOCK_SIZE + i * 4, value);
}

// ---- superblock ----

export interface Superblock {
  magic: number;
  version: number;
  /** Total blocks on the disk. */
  size: number;
  ninodes: number;
  inodestart: number;
  bmapstart: number;
  datastart: number;
  logstart: number;
  /** Log blocks including the header. */
  nlog: number;
  rootinum: number;
}

const SB_FIELDS = [
  "magic", "version", "size", "ninodes", "inodestart", "bmapstart", "datastart", "logstart", "nlog", "rootinum",
] as const satisfies readonly (keyof Superblock)[];

/** The layout the format's formulas give for a disk of this shape. */
export function computeLayout(shape: { blocks: number; inodes: number; logBlocks: number }): Superblock {
  const inodestart = INODE_START;
  const bmapstart = inodestart + Math.ceil(shape.inodes / INODES_PER_BLOCK);
  const datastart = bmapstart + Math.ceil(shape.blocks / BITS_PER_BLOCK);
  return {
    magic: FS_MAGIC,
    version: FS_VERSION,
    size: shape.blocks,
    ninodes: shape.inodes,
    inodestart,
    bmapstart,
    datastart,
    logstart: shape.blocks - shape.logBlocks,
    nlog: shape.logBlocks,
    rootinum: ROOT_INUM,
  };
}

export function readSuperblock(image: Uint8Array): Superblock {
  const base = SUPERBLOCK_BLOCK * BLOCK_SIZE;
  const sb = {} as Superblock;
  SB_FIELDS.forEach((field, i) => (sb[field] = u32(image, base + i * 4)));
  return sb;
}

/** The disk size an image's superblock declares, or null if it has no Keel superblock. */
export function declaredDiskBlocks(image: Uint8Array): number | null {
  const sb = readSuperblock(image);
  return sb.magic === FS_MAGIC && sb.size > 0 ? sb.size : null;
}

export function writeSuperblock(image: Uint8Array, sb: Superblock): void {
  const base = SUPERBLOCK_BLOCK * BLOCK_SIZE;
  SB_FIELDS.forEach((field, i) => putU32(image, base + i * 4, sb[field]));
}

// ---- inodes ----

export interface Inode {
  type: number;
  major: number;
  minor: number;
  nlink: number;
  /** Bytes. */
  size: number;
  /** NADDRS block numbers: NDIRECT direct, one indirect, one double indirect. */
  addrs: number[];
}

export function emptyInode(): Inode {
  return { type: T_FREE, major: 0, minor: 0, nlink: 0, size: 0, addrs: new Array<number>(NADDRS).fill(0) };
}

/** Byte offset of inode `inum` in the image. */
export function inodeOffset(sb: Superblock, inum: number): number {
  return (sb.inodestart + Math.floor(inum / INODES_PER_BLOCK)) * BLOCK_SIZE + (inum % INODES_PER_BLOCK) * INODE_SIZE;
}

export function readInode(image: Uint8Array, sb: Superblock, inum: number): Inode {
  const at = inodeOffset(sb, inum);
  const addrs: number[] = [];
  for (let i = 0; i < NADDRS; i++) addrs.push(u32(image, at + 12 + i * 4));
  return { type: u16(image, at), major: u16(image, at + 2), minor: u16(image, at + 4), nlink: u16(image, at + 6), size: u32(image, at + 8), addrs };
}

export function writeInode(image: Uint8Array, sb: Superblock, inum: number, inode: Inode): void {
  const at = inodeOffset(sb, inum);
  putU16(image, at, inode.type);
  putU16(image, at + 2, inode.major);
  putU16(image, at + 4, inode.minor);
  putU16(image, at + 6, inode.nlink);
  putU32(image, at + 8, inode.size);
  for (let i = 0; i < NADDRS; i++) putU32(image, at + 12 + i * 4, inode.addrs[i] ?? 0);
}

/**
 * The disk block holding logical block `n` of a file, 0 for a hole.
 * Does not check that pointers lie on the disk (fsck does that first).
 */
export function fileBlock(image: Uint8Array, inode: Inode, n: number): number {
  if (n < NDIRECT) return inode.addrs[n]!;
  n -= NDIRECT;
  if (n < NINDIRECT) {
    const ind = inode.addrs[INDIRECT_SLOT]!;
    return ind === 0 ? 0 : blockEntry(image, ind, n);
  }
  n -= NINDIRECT;
  if (n >= NINDIRECT * NINDIRECT) return 0;
  const dind = inode.addrs[DOUBLE_INDIRECT_SLOT]!;
  if (dind === 0) return 0;
  const ind = blockEntry(image, dind, Math.floor(n / NINDIRECT));
  return ind === 0 ? 0 : blockEntry(image, ind, n % NINDIRECT);
}

/** A file's contents: `inode.size` bytes, holes as zeros. */
export function readFileData(image: Uint8Array, inode: Inode): Uint8Array {
  const data = new Uint8Array(inode.size);
  const nblocks = Math.ceil(inode.size / BLOCK_SIZE);
  for (let n = 0; n < nblocks; n++) {
    const b = fileBlock(image, inode, n);
    if (b === 0) continue;
    const take = Math.min(BLOCK_SIZE, inode.size - n * BLOCK_SIZE);
    data.set(readBlock(image, b).subarray(0, take), n * BLOCK_SIZE);
  }
  return data;
}

// ---- directories ----

export interface Dirent {
  inum: number;
  name: string;
}

/** Decodes a name field: up to DIRSIZ bytes, ending at the first NUL. */
export function decodeName(field: Uint8Array): string {
  let end = 0;
  while (end < DIRSIZ && end < field.length && field[end] !== 0) end++;
  let name = "";
  for (let i = 0; i < end; i++) name += String.fromCharCode(field[i]!);
  return name;
}

/** Whether `name` can be a directory entry: 1..DIRSIZ bytes of ASCII without NUL or '/'. */
export function isValidName(name: string): boolean {
  return name.length >= 1 && name.length <= DIRSIZ && /^[\x01-\x2e\x30-\x7f]+$/.test(name);
}

export function writeDirent(dst: Uint8Array, offset: number, entry: Dirent): void {
  putU16(dst, offset, entry.inum);
  for (let i = 0; i < DIRSIZ; i++) dst[offset + 2 + i] = i < entry.name.length ? entry.name.charCodeAt(i) & 0xff : 0;
}

/** Every slot of a directory's data, free ones (inum 0) included, with its index. */
export function decodeDirents(data: Uint8Array): (Dirent & { slot: number })[] {
  const entries: (Dirent & { slot: number })[] = [];
  for (let off = 0; off + DIRENT_SIZE <= data.length; off += DIRENT_SIZE) {
    entries.push({ slot: off / DIRENT_SIZE, inum: u16(data, off), name: decodeName(data.subarray(off + 2, off + DIRENT_SIZE)) });
  }
  return entries;
}

/** The used entries of directory `inum`. */
export function readDirectory(image: Uint8Array, sb: Superblock, inum: number): Dirent[] {
  return decodeDirents(readFileData(image, readInode(image, sb, inum)))
    .filter((e) => e.inum !== 0)
    .map(({ inum: i, name }) => ({ inum: i, name }));
}

/** Follows a '/'-separated path from the root; null if a component is missing. */
export function lookupPath(image: Uint8Array, path: string): number | null {
  const sb = readSuperblock(image);
  let inum = sb.rootinum;
  for (const part of path.split("/").filter((p) => p.length > 0)) {
    if (readInode(image, sb, inum).type !== T_DIR) return null;
    const hit = readDirectory(image, sb, inum).find((e) => e.name === part);
    if (!hit) return null;
    inum = hit.inum;
  }
  return inum;
}

/** Reads the file at `path`, or null if there is none. */
export function readPath(image: Uint8Array, path: string): Uint8Array | null {
  const inum = lookupPath(image, path);
  if (inum === null) return null;
  const inode = readInode(image, readSuperblock(image), inum);
  return inode.type === T_FILE ? readFileData(image, inode) : null;
}

// ---- bitmap ----

/** Byte offset of block b's bit in the image, and the bit's mask. */
function bitmapBit(sb: Superblock, b: number): { offset: number; mask: number } {
  return { offset: (sb.bmapstart + Math.floor(b / BITS_PER_BLOCK)) * BLOCK_SIZE + Math.floor((b % BITS_PER_BLOCK) / 8), mask: 1 << (b % 8) };
}

export function isBlockUsed(image: Uint8Array, sb: Superblock, b: number): boolean {
  const { offset, mask } = bitmapBit(sb, b);
  return offset < image.length && (image[offset]! & mask) !== 0;
}

export function setBlockUsed(image: Uint8Array, sb: Superblock, b: number, used: boolean): void {
  const { offset, mask } = bitmapBit(sb, b);
  image[offset] = used ? image[offset]! | mask : image[offset]! & ~mask;
}

// ---- log ----

export interface LogHeader {
  /** Blocks in the committed transaction; 0 = nothing to install. */
  n: number;
  sequence: number;
  /** Home block numbers, n of them (those that fit in the header block). */
  targets: number[];
  /** Version 2: the CRC32C each logged block must have (absent: computed by writeLogHeader). */
  checksums?: number[];
  /** Version 2: the header's own checksum as stored (absent: computed by writeLogHeader). */
  checksum?: number;
}

/** Most targets the log of this superblock's version can name in one header. */
export function logHeaderRoom(sb: Superblock): number {
  return Math.min(sb.nlog - 1, sb.version === FS_VERSION_V1 ? LOG_V1_MAX_TARGETS : LOG_MAX_TARGETS);
}

export function readLogHeader(image: Uint8Array, sb: Superblock): LogHeader {
  const at = sb.logstart * BLOCK_SIZE;
  const n = u32(image, at);
  const targets: number[] = [];
  if (sb.version === FS_VERSION_V1) {
    for (let i = 0; i < Math.min(n, LOG_V1_MAX_TARGETS); i++) targets.push(u32(image, at + LOG_V1_TARGETS + i * 4));
    return { n, sequence: u32(image, at + 4), targets };
  }
  const checksums: number[] = [];
  for (let i = 0; i < Math.min(n, LOG_MAX_TARGETS); i++) {
    targets.push(u32(image, at + LOG_HEADER_ENTRIES + i * LOG_ENTRY_SIZE));
    checksums.push(u32(image, at + LOG_HEADER_ENTRIES + i * LOG_ENTRY_SIZE + 4));
  }
  return { n, sequence: u32(image, at + 4), targets, checksums, checksum: u32(image, at + LOG_HEADER_CHECKSUM) };
}

/** Writes the log header. For version 2, checksums missing from `header` are
 *  computed: each block's from the log slot it names (so write the logged
 *  blocks first), the header's over the finished block. */
export function writeLogHeader(image: Uint8Array, sb: Superblock, header: LogHeader): void {
  const at = sb.logstart * BLOCK_SIZE;
  image.fill(0, at, at + BLOCK_SIZE);
  putU32(image, at, header.n);
  putU32(image, at + 4, header.sequence);
  if (sb.version === FS_VERSION_V1) {
    header.targets.forEach((t, i) => putU32(image, at + LOG_V1_TARGETS + i * 4, t));
    return;
  }
  header.targets.forEach((t, i) => {
    putU32(image, at + LOG_HEADER_ENTRIES + i * LOG_ENTRY_SIZE, t);
    const sum = header.checksums?.[i] ?? crc32c(readBlock(image, sb.logstart + 1 + i));
    putU32(image, at + LOG_HEADER_ENTRIES + i * LOG_ENTRY_SIZE + 4, sum);
  });
  putU32(image, at + LOG_HEADER_CHECKSUM, header.checksum ?? logHeaderChecksum(image.subarray(at, at + BLOCK_SIZE)));
}

/** The checksum a log header block must carry: CRC32C of the block with the checksum field read as zero. */
export function logHeaderChecksum(block: Uint8Array): number {
  const copy = block.slice(0, BLOCK_SIZE);
  copy.fill(0, LOG_HEADER_CHECKSUM, LOG_HEADER_CHECKSUM + 4);
  return crc32c(copy);
}

/** Why the log header cannot be installed, or null if it can (also when n = 0). */
export function logHeaderProblem(image: Uint8Array, sb: Superblock, header: LogHeader = readLogHeader(image, sb)): string | null {
  const { n, targets } = header;
  if (n === 0) return null;
  const room = logHeaderRoom(sb);
  if (n > room) return `log header says its transaction has ${n} blocks, but the log holds at most ${room}`;
  if (sb.version !== FS_VERSION_V1) {
    const want = logHeaderChecksum(readBlock(image, sb.logstart));
    if (header.checksum !== want) {
      return `log header checksum is ${hex32(header.checksum ?? 0)} but the header's CRC32C is ${hex32(want)} (a torn or damaged header)`;
    }
  }
  for (let i = 0; i < n; i++) {
    const t = targets[i]!;
    if (t < SUPERBLOCK_BLOCK || t >= sb.logstart) {
      return `log header target ${i} is block ${t}, outside the blocks a transaction may write (1..${sb.logstart - 1})`;
    }
  }
  if (sb.version !== FS_VERSION_V1) {
    for (let i = 0; i < n; i++) {
      const got = crc32c(readBlock(image, sb.logstart + 1 + i));
      if (got !== header.checksums![i]) {
        return `log block ${i} (for block ${targets[i]}) has CRC32C ${hex32(got)}, but the header says ${hex32(header.checksums![i]!)} (damaged)`;
      }
    }
  }
  return null;
}

const hex32 = (n: number) => `0x${(n >>> 0).toString(16).toUpperCase().padStart(8, "0")}`;

// ---- CRC32C (Castagnoli), reflected, as the kernel's fs/log.ts computes it ----

const CRC32C_POLY = 0x82f63b78;
const crcTable = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ CRC32C_POLY : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** CRC32C of `bytes` (initial value and final xor 0xFFFFFFFF). */
export function crc32c(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
