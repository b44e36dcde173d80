// mkfs: builds a Keel file system image (docs/fs-format.md) in memory.
//
// The result holds only the disk's used prefix: every block after the last
// one mkfs wrote is zero by definition (the log at the end of the disk starts
// empty), and the superblock carries the real size. Feed it to a
// MemoryBackend, or write it to a file that the FileBackend reads.
//
// Names may contain '/': "etc/motd" makes the directory "etc" in the root and
// the file "motd" in it. Blocks that are all zeros become holes unless
// `sparse: false`. Inode numbers are handed out breadth first from the root
// (inode 1), each directory's entries in the order given; data blocks are
// allocated upward from datastart, an indirect block just before the first
// data block it points at.

import {
  BLOCK_SIZE, CONSOLE_MAJOR, DEFAULT_BLOCKS, DEFAULT_INODES, DEFAULT_LOG_BLOCKS, DIRENT_SIZE, DOUBLE_INDIRECT_SLOT,
  INDIRECT_SLOT, MAX_FILE_BLOCKS, MAX_FILE_SIZE, NDIRECT, NINDIRECT, ROOT_INUM, T_DEVICE, T_DIR, T_FILE,
  blockEntry, computeLayout, emptyInode, isValidName, setBlockEntry, setBlockUsed, writeDirent, writeInode,
  writeSuperblock, type Inode, type Superblock,
} from "./format.js";

export interface MkfsFile {
  /** A path below the root: "README" or "etc/motd". */
  name: string;
  data: Uint8Array;
}

export interface MkfsDevice {
  name: string;
  major: number;
  minor: number;
}

export interface MkfsOptions {
  /** Disk size in blocks (default 32768: 128 MiB). */
  blocks?: number;
  /** Inode table entries, inode 0 included (default 4096). */
  inodes?: number;
  /** Log blocks including the header (default 1024). */
  logBlocks?: number;
  files?: MkfsFile[];
  /** Device nodes in the root; default one: console, major 1, minor 0. */
  devices?: MkfsDevice[];
  /** Store all-zero blocks as holes (default true). */
  sparse?: boolean;
}

export const DEFAULT_DEVICES: readonly MkfsDevice[] = [{ name: "console", major: CONSOLE_MAJOR, minor: 0 }];

export class MkfsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MkfsError";
  }
}

type Node =
  | { kind: "dir"; entries: Map<string, Node>; inum: number; parent: number }
  | { kind: "file"; data: Uint8Array; inum: number }
  | { kind: "device"; major: number; minor: number; inum: number };

type DirNode = Extract<Node, { kind: "dir" }>;

export function mkfs(options: MkfsOptions = {}): Uint8Array {
  const blocks = options.blocks ?? DEFAULT_BLOCKS;
  const inodes = options.inodes ?? DEFAULT_INODES;
  const logBlocks = options.logBlocks ?? DEFAULT_LOG_BLOCKS;
  const sb = checkShape(blocks, inodes, logBlocks);

  const root = buildTree(options.files ?? [], options.devices ?? DEFAULT_DEVICES);
  const order = numberInodes(root, inodes);

  const disk = new DiskWriter(sb);
  for (const node of order) {
    const inode = emptyInode();
    inode.nlink = 1;
    if (node.kind === "dir") {
      const data = directoryData(node);
      inode.type = T_DIR;
      inode.nlink = 2 + [...node.entries.values()].filter((n) => n.kind === "dir").length;
      inode.size = data.length;
      inode.addrs = disk.writeData(data, false);
    } else if (node.kind === "file") {
      inode.type = T_FILE;
      inode.size = node.data.length;
      inode.addrs = disk.writeData(node.data, options.sparse ?? true);
    } else {
      inode.type = T_DEVICE;
      inode.major = node.major;
      inode.minor = node.minor;
    }
    disk.inodes.push([node.inum, inode]);
  }
  return disk.finish();
}

function checkShape(blocks: number, inodes: number, logBlocks: number): Superblock {
  const u32 = (n: number) => Number.isInteger(n) && n >= 0 && n <= 0xffff_ffff;
  if (!u32(blocks) || !u32(inodes) || !u32(logBlocks)) throw new MkfsError("blocks, inodes and logBlocks must be u32 integers");
  if (inodes < 2) throw new MkfsError("inodes must be at least 2 (inode 0 is unused, inode 1 is the root)");
  if (logBlocks < 2) throw new MkfsError("the log needs at least 2 blocks (a header and one block)");
  const sb = computeLayout({ blocks, inodes, logBlocks });
  if (sb.logstart <= sb.datastart) {
    throw new MkfsError(`a ${blocks}-block disk has no room for data after ${sb.datastart} metadata blocks and a ${logBlocks}-block log`);
  }
  return sb;
}

function buildTree(files: MkfsFile[], devices: readonly MkfsDevice[]): DirNode {
  const root: DirNode = { kind: "dir", entries: new Map(), inum: 0, parent: 0 };
  const place = (path: string, leaf: Node) => {
    const parts = path.split("/");
    let dir = root;
    parts.forEach((part, i) => {
      if (!isValidName(part) || part === "." || part === "..") {
        throw new MkfsError(`"${path}": each name must be 1 to 14 ASCII characters without '/' or NUL, and not . or ..`);
      }
      const existing = dir.entries.get(part);
      if (i === parts.length - 1) {
        if (existing) throw new MkfsError(`"${path}" is given twice`);
        dir.entries.set(part, leaf);
      } else if (!existing) {
        const sub: DirNode = { kind: "dir", entries: new Map(), inum: 0, parent: 0 };
        dir.entries.set(part, sub);
        dir = sub;
      } else if (existing.kind === "dir") {
        dir = existing;
      } else {
        throw new MkfsError(`"${path}": "${parts.slice(0, i + 1).join("/")}" is not a directory`);
      }
    });
  };
  for (const d of devices) {
    if (!Number.isInteger(d.major) || !Number.isInteger(d.minor) || d.major < 0 || d.minor < 0 || d.major > 0xffff || d.minor > 0xffff) {
      throw new MkfsError(`device "${d.name}": major and minor must be 0..65535`);
    }
    place(d.name, { kind: "device", major: d.major, minor: d.minor, inum: 0 });
  }
  for (const f of files) {
    if (f.data.length > MAX_FILE_SIZE || Math.ceil(f.data.length / BLOCK_SIZE) > MAX_FILE_BLOCKS) {
      throw new MkfsError(`"${f.name}": ${f.data.length} bytes is larger than the largest file`);
    }
    place(f.name, { kind: "file", data: f.data, inum: 0 });
  }
  return root;
}

/** Numbers the inodes breadth first from the root and returns them in that order. */
function numberInodes(root: DirNode, ninodes: number): Node[] {
  const order: Node[] = [root];
  root.inum = ROOT_INUM;
  root.parent = ROOT_INUM;
  for (let i = 0; i < order.length; i++) {
    const node = order[i]!;
    if (node.kind !== "dir") continue;
    for (const child of node.entries.values()) {
      child.inum = ROOT_INUM + order.length;
      if (child.kind === "dir") child.parent = node.inum;
      order.push(child);
    }
  }
  if (ROOT_INUM + order.length > ninodes) {
    throw new MkfsError(`${order.length} inodes needed (root included) but the table holds ${ninodes - 1}`);
  }
  return order;
}

function directoryData(dir: DirNode): Uint8Array {
  const entries = [{ inum: dir.inum, name: "." }, { inum: dir.parent, name: ".." }];
  for (const [name, child] of dir.entries) entries.push({ inum: child.inum, name });
  const data = new Uint8Array(entries.length * DIRENT_SIZE);
  entries.forEach((e, i) => writeDirent(data, i * DIRENT_SIZE, e));
  return data;
}

/** The image under construction: grows as blocks are allocated, upward from datastart. */
class DiskWriter {
  private bytes: Uint8Array;
  private next: number;
  readonly inodes: [number, Inode][] = [];

  constructor(private readonly sb: Superblock) {
    this.next = sb.datastart;
    this.bytes = new Uint8Array(Math.min(sb.size, sb.datastart + 256) * BLOCK_SIZE);
  }

  private alloc(): number {
    if (this.next >= this.sb.logstart) {
      throw new MkfsError(`the disk is full: ${this.sb.logstart - this.sb.datastart} data blocks are not enough`);
    }
    const b = this.next++;
    if (this.next * BLOCK_SIZE > this.bytes.length) {
      const bigger = new Uint8Array(Math.min(this.sb.size * BLOCK_SIZE, Math.max(this.next * BLOCK_SIZE, this.bytes.length * 2)));
      bigger.set(this.bytes);
      this.bytes = bigger;
    }
    return b;
  }

  /** Writes a file's data into fresh blocks and returns the inode's addrs. */
  writeData(data: Uint8Array, sparse: boolean): number[] {
    const addrs = new Array<number>(DOUBLE_INDIRECT_SLOT + 1).fill(0);
    const nblocks = Math.ceil(data.length / BLOCK_SIZE);
    for (let n = 0; n < nblocks; n++) {
      const chunk = data.subarray(n * BLOCK_SIZE, Math.min(data.length, (n + 1) * BLOCK_SIZE));
      if (sparse && isAllZero(chunk)) continue;
      let b: number;
      if (n < NDIRECT) {
        b = addrs[n] = this.alloc();
      } else if (n < NDIRECT + NINDIRECT) {
        if (addrs[INDIRECT_SLOT] === 0) addrs[INDIRECT_SLOT] = this.alloc();
        b = this.alloc();
        setBlockEntry(this.bytes, addrs[INDIRECT_SLOT]!, n - NDIRECT, b);
      } else {
        const m = n - NDIRECT - NINDIRECT;
        if (addrs[DOUBLE_INDIRECT_SLOT] === 0) addrs[DOUBLE_INDIRECT_SLOT] = this.alloc();
        const outer = addrs[DOUBLE_INDIRECT_SLOT]!;
        let inner = blockEntry(this.bytes, outer, Math.floor(m / NINDIRECT));
        if (inner === 0) {
          inner = this.alloc();
          setBlockEntry(this.bytes, outer, Math.floor(m / NINDIRECT), inner);
        }
        b = this.alloc();
        setBlockEntry(this.bytes, inner, m % NINDIRECT, b);
      }
      this.bytes.set(chunk, b * BLOCK_SIZE);
    }
    return addrs;
  }

  /** Inodes, bitmap and superblock; returns the used prefix. */
  finish(): Uint8Array {
    const sb = this.sb;
    for (const [inum, inode] of this.inodes) writeInode(this.bytes, sb, inum, inode);
    for (let b = 0; b < this.next; b++) setBlockUsed(this.bytes, sb, b, true);
    for (let b = sb.logstart; b < sb.size; b++) setBlockUsed(this.bytes, sb, b, true);
    writeSuperblock(this.bytes, sb);
    return this.bytes.slice(0, this.next * BLOCK_SIZE);
  }
}

function isAllZero(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}
