// A read-only view of a Keel disk through its block backend, for the page's
// file browser and its downloads (web/files-ui.ts) and for tests. It never
// writes. The running kernel writes every change through its journal and
// installs it before the system call returns (docs/filesystem.md), so
// between run() calls the disk holds exactly what the kernel's block cache
// holds; a file a process is writing may be caught half-written, as `cat`
// would see it. A damaged disk gives errors or skipped entries, never a
// throw that is not a ReaderError, and never a loop.

import {
  BLOCK_SIZE, DIRENT_SIZE, DIRSIZ, DOUBLE_INDIRECT_SLOT, FS_MAGIC, INDIRECT_SLOT, INODE_SIZE, INODES_PER_BLOCK, NADDRS, NDIRECT, NINDIRECT,
  ROOT_INUM, SUPERBLOCK_BLOCK, T_DEVICE, T_DIR, T_FILE, type Superblock, readSuperblock,
} from "./format.js";

/** What the reader needs of a disk: host/devices/block.ts's BlockBackend. */
export interface BlockSource {
  readonly blocks: number;
  read(block: number, dst: Uint8Array): void;
}

export class ReaderError extends Error {}

export type EntryKind = "file" | "dir" | "device";

export interface TreeEntry {
  name: string;
  /** Its path from the root, "/" joined, without a leading "/". */
  path: string;
  inum: number;
  kind: EntryKind;
  size: number;
  /** Directories only: their entries, sorted by name ("." and ".." left out). */
  children?: TreeEntry[];
}

const decoder = new TextDecoder("utf-8", { fatal: false });

export class DiskReader {
  readonly sb: Superblock;
  private readonly cache = new Map<number, Uint8Array>();

  constructor(private readonly disk: BlockSource) {
    const head = new Uint8Array(2 * BLOCK_SIZE);
    if (disk.blocks < 2) throw new ReaderError("the disk is too small to hold a superblock");
    disk.read(SUPERBLOCK_BLOCK, head.subarray(BLOCK_SIZE));
    const sb = readSuperblock(head);
    if (sb.magic !== FS_MAGIC) throw new ReaderError("the disk has no Keel file system (no KFS1 superblock)");
    if (sb.size > disk.blocks || sb.inodestart < 2 || sb.ninodes === 0) throw new ReaderError("the disk's superblock is inconsistent");
    this.sb = sb;
  }

  private block(b: number): Uint8Array {
    if (!Number.isInteger(b) || b <= 0 || b >= this.sb.size) throw new ReaderError(`block ${b} is outside the disk`);
    let data = this.cache.get(b);
    if (data === undefined) {
      data = new Uint8Array(BLOCK_SIZE);
      this.disk.read(b, data);
      this.cache.set(b, data);
    }
    return data;
  }

  private inode(inum: number): { type: number; size: number; addrs: number[] } {
    if (!Number.isInteger(inum) || inum <= 0 || inum >= this.sb.ninodes) throw new ReaderError(`inode ${inum} is outside the inode table`);
    const data = this.block(this.sb.inodestart + Math.floor(inum / INODES_PER_BLOCK));
    const view = new DataView(data.buffer, data.byteOffset + (inum % INODES_PER_BLOCK) * INODE_SIZE, INODE_SIZE);
    const addrs: number[] = [];
    for (let i = 0; i < NADDRS; i++) addrs.push(view.getUint32(12 + i * 4, true));
    return { type: view.getUint16(0, true), size: view.getUint32(8, true), addrs };
  }

  private entry(block: number, i: number): number {
    const data = this.block(block);
    return new DataView(data.buffer, data.byteOffset).getUint32(i * 4, true);
  }

  private fileBlock(addrs: number[], n: number): number {
    if (n < NDIRECT) return addrs[n]!;
    n -= NDIRECT;
    if (n < NINDIRECT) return addrs[INDIRECT_SLOT] === 0 ? 0 : this.entry(addrs[INDIRECT_SLOT]!, n);
    n -= NINDIRECT;
    if (addrs[DOUBLE_INDIRECT_SLOT] === 0) return 0;
    const ind = this.entry(addrs[DOUBLE_INDIRECT_SLOT]!, Math.floor(n / NINDIRECT));
    return ind === 0 ? 0 : this.entry(ind, n % NINDIRECT);
  }

  kindOf(inum: number): EntryKind | null {
    const type = this.inode(inum).type;
    return type === T_DIR ? "dir" : type === T_FILE ? "file" : type === T_DEVICE ? "device" : null;
  }

  /** The contents of file (or directory) `inum`, holes as zeros; at most `limit` bytes may be asked for. */
  read(inum: number, limit = Infinity): Uint8Array {
    const inode = this.inode(inum);
    if (inode.type !== T_FILE && inode.type !== T_DIR) throw new ReaderError(`inode ${inum} is not a file`);
    if (inode.size > limit) throw new ReaderError(`the file is ${inode.size} bytes long; at most ${limit} can be read here`);
    const data = new Uint8Array(inode.size);
    for (let n = 0; n * BLOCK_SIZE < inode.size; n++) {
      const b = this.fileBlock(inode.addrs, n);
      if (b === 0) continue;
      data.set(this.block(b).subarray(0, Math.min(BLOCK_SIZE, inode.size - n * BLOCK_SIZE)), n * BLOCK_SIZE);
    }
    return data;
  }

  /** The used entries of directory `inum`, "." and ".." included. */
  entries(inum: number): { name: string; inum: number }[] {
    if (this.inode(inum).type !== T_DIR) throw new ReaderError(`inode ${inum} is not a directory`);
    const data = this.read(inum);
    const out: { name: string; inum: number }[] = [];
    for (let off = 0; off + DIRENT_SIZE <= data.length; off += DIRENT_SIZE) {
      const entryInum = data[off]! | (data[off + 1]! << 8);
      if (entryInum === 0) continue;
      let end = off + 2;
      while (end < off + 2 + DIRSIZ && data[end] !== 0) end++;
      out.push({ name: decoder.decode(data.subarray(off + 2, end)), inum: entryInum });
    }
    return out;
  }

  /** The inode at `path` (from the root, "/" separated), or null. */
  lookup(path: string): number | null {
    let inum = ROOT_INUM;
    for (const part of path.split("/").filter((p) => p !== "")) {
      if (this.kindOf(inum) !== "dir") return null;
      const hit = this.entries(inum).find((e) => e.name === part);
      if (hit === undefined) return null;
      inum = hit.inum;
    }
    return inum;
  }

  /** The path of directory `inum` from the root, following "..", or null
   *  when it cannot be reached that way. */
  pathOf(inum: number): string | null {
    const parts: string[] = [];
    const seen = new Set<number>();
    let at = inum;
    while (at !== ROOT_INUM) {
      if (seen.has(at) || this.kindOf(at) !== "dir") return null;
      seen.add(at);
      const parent = this.entries(at).find((e) => e.name === "..");
      if (parent === undefined) return null;
      const name = this.entries(parent.inum).find((e) => e.inum === at && e.name !== "." && e.name !== "..");
      if (name === undefined) return null;
      parts.unshift(name.name);
      at = parent.inum;
    }
    return parts.join("/");
  }

  /** The whole tree from the root, at most `limit` entries (the rest is left out, `truncated`). */
  tree(limit = 5000): { root: TreeEntry; truncated: boolean } {
    let count = 0;
    let truncated = false;
    const seen = new Set<number>([ROOT_INUM]);
    const walk = (entry: TreeEntry): void => {
      const children: TreeEntry[] = [];
      for (const e of this.entries(entry.inum)) {
        if (e.name === "." || e.name === "..") continue;
        if (count >= limit) { truncated = true; break; }
        let kind: EntryKind | null;
        let size = 0;
        try {
          kind = this.kindOf(e.inum);
          size = this.inode(e.inum).size;
        } catch (error) {
          if (error instanceof ReaderError) continue; // a damaged entry is left out
          throw error;
        }
        if (kind === null) continue;
        count++;
        const child: TreeEntry = { name: e.name, path: entry.path === "" ? e.name : `${entry.path}/${e.name}`, inum: e.inum, kind, size };
        if (kind === "dir" && !seen.has(e.inum)) {
          seen.add(e.inum);
          walk(child);
        }
        children.push(child);
      }
      children.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      entry.children = children;
    };
    const root: TreeEntry = { name: "/", path: "", inum: ROOT_INUM, kind: "dir", size: this.inode(ROOT_INUM).size };
    walk(root);
    return { root, truncated };
  }
}
