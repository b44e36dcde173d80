// fsck: checks a Keel file system image (docs/fs-format.md) against every
// invariant of the format and reports each broken one in plain words.
//
// It never changes the image it is given and never throws on a bad image:
// every block number is checked before it is followed, sizes are never
// trusted for allocation, and a superblock that does not describe a sane
// layout stops the check early (result.readable = false).
//
// What it checks, in order:
//   superblock   magic, version, the layout formulas, the root inode number
//   log          a pending (committed, not installed) transaction; with
//                { recover: true } it is installed first, as the kernel's
//                recovery does at mount, and the rest checks the result
//   bitmap       metadata and log blocks marked in use; no bits past the disk
//   inodes       known types; block pointers inside the data area; no block
//                used twice; no blocks past a file's end; every used block
//                marked in the bitmap, and every marked data block used
//   directories  sizes a multiple of 16; '.' and '..'; names; entries name
//                allocated inodes; no duplicate names
//   tree         every allocated inode reachable from the root; a directory
//                in exactly one parent, whose '..' names that parent
//   links        nlink equals the number of directory entries naming the
//                inode, '.' and '..' included (so a directory has 2 plus one
//                per subdirectory, a file one per name)

import {
  BITS_PER_BLOCK, BLOCK_SIZE, DIRENT_SIZE, DOUBLE_INDIRECT_SLOT, FS_MAGIC, FS_VERSION, INDIRECT_SLOT, INODES_PER_BLOCK,
  FS_VERSION_V1, INODE_START, MAX_FILE_BLOCKS, NDIRECT, NINDIRECT, ROOT_INUM, SUPERBLOCK_BLOCK,
  T_DEVICE, T_DIR, T_FILE, T_FREE, blockEntry, decodeDirents, inodeOffset, isBlockUsed, readBlock, readInode,
  fileBlock, setBlockEntry, setBlockUsed, writeDirent, writeInode,
  logHeaderProblem, readLogHeader, readSuperblock, writeLogHeader, type Inode, type Superblock,
} from "./format.js";

export interface FsckOptions {
  /** Install a pending log transaction first, like the kernel's recovery at mount. */
  recover?: boolean;
  /** Problems listed before the rest are only counted (default 500). */
  maxProblems?: number;
}

export interface FsckStats {
  /** Disk size in blocks, from the superblock. */
  blocks: number;
  ninodes: number;
  inodesUsed: number;
  files: number;
  directories: number;
  devices: number;
  /** Bytes in regular files (sizes, holes included). */
  fileBytes: number;
  dataBlocks: number;
  /** Data blocks some inode uses (indirect blocks included). */
  dataBlocksUsed: number;
  /** Data blocks the bitmap marks free. */
  dataBlocksFree: number;
  /** Blocks in the committed transaction found in the log (before any recovery). */
  logPending: number;
  /** Blocks of a log transaction that fails its checks, discarded by { recover: true } as the kernel does. */
  logDiscarded: number;
  /** Blocks installed from the log by { recover: true }. */
  recovered: number;
}

export interface FsckResult {
  ok: boolean;
  /** False when the superblock does not describe a usable layout (nothing else was checked). */
  readable: boolean;
  problems: string[];
  stats: FsckStats;
  /** The image that was checked: the input, or a recovered copy. */
  image: Uint8Array;
}

/** Disks larger than this (256 GiB) are refused rather than scanned. */
export const FSCK_MAX_BLOCKS = 1 << 26;
const DEFAULT_MAX_PROBLEMS = 500;

export function fsck(image: Uint8Array, options: FsckOptions = {}): FsckResult {
  const report = new Report(options.maxProblems ?? DEFAULT_MAX_PROBLEMS);
  const stats: FsckStats = {
    blocks: 0, ninodes: 0, inodesUsed: 0, files: 0, directories: 0, devices: 0, fileBytes: 0,
    dataBlocks: 0, dataBlocksUsed: 0, dataBlocksFree: 0, logPending: 0, logDiscarded: 0, recovered: 0,
  };
  const done = (readable: boolean, checked: Uint8Array): FsckResult => ({
    ok: report.count === 0, readable, problems: report.list(), stats, image: checked,
  });

  const sb = readSuperblock(image);
  if (!checkSuperblock(sb, image, report)) return done(false, image);
  stats.blocks = sb.size;
  stats.ninodes = sb.ninodes;
  stats.dataBlocks = sb.logstart - sb.datastart;

  const log = readLogHeader(image, sb);
  stats.logPending = log.n;
  let checked = image;
  const logProblem = logHeaderProblem(image, sb, log);
  if (logProblem && options.recover) {
    // The kernel's recovery discards such a transaction (and clears the header).
    checked = clearLog(image, sb);
    stats.logDiscarded = log.n;
  } else if (logProblem) {
    report.add(`${logProblem}; the kernel discards it at mount (fsck --recover checks the disk as it will be then)`);
  } else if (log.n > 0 && options.recover) {
    checked = installLog(image, sb, log.targets);
    stats.recovered = log.n;
  } else if (log.n > 0) {
    report.add(`log holds a committed transaction of ${log.n} blocks that is not installed (fsck --recover installs it, as the kernel does at mount)`);
  }

  new Checker(checked, sb, report, stats).run();
  return done(true, checked);
}

/** Installs the log's committed transaction into a copy of the image, as recovery at mount does. */
export function recoverLog(image: Uint8Array): { image: Uint8Array; installed: number } {
  const sb = readSuperblock(image);
  const probe = new Report(1);
  if (!checkSuperblock(sb, image, probe)) throw new Error(`cannot recover: ${probe.list()[0]}`);
  const log = readLogHeader(image, sb);
  const problem = logHeaderProblem(image, sb, log);
  if (problem) throw new Error(`cannot recover: ${problem}`);
  if (log.n === 0) return { image: image.slice(), installed: 0 };
  return { image: installLog(image, sb, log.targets), installed: log.n };
}

class Report {
  private readonly problems: string[] = [];
  count = 0;
  constructor(private readonly max: number) {}
  add(problem: string): void {
    if (this.count++ < this.max) this.problems.push(problem);
  }
  list(): string[] {
    return this.count > this.max ? [...this.problems, `... and ${this.count - this.max} more problems`] : [...this.problems];
  }
}

const hex = (n: number) => `0x${n.toString(16).toUpperCase().padStart(8, "0")}`;

/** Reports what is wrong with the superblock; false if the layout cannot be used at all. */
function checkSuperblock(sb: Superblock, image: Uint8Array, report: Report): boolean {
  if (image.length < (SUPERBLOCK_BLOCK + 1) * BLOCK_SIZE) {
    report.add(`image is ${image.length} bytes, too short to hold the superblock (block 1)`);
    if (image.length <= SUPERBLOCK_BLOCK * BLOCK_SIZE) return false;
  }
  if (sb.magic !== FS_MAGIC) {
    report.add(`superblock magic is wrong: ${hex(sb.magic)}, not ${hex(FS_MAGIC)} ("KFS1")`);
    return false;
  }
  if (sb.version !== FS_VERSION && sb.version !== FS_VERSION_V1) {
    report.add(`superblock version is ${sb.version}; this fsck knows versions ${FS_VERSION_V1} and ${FS_VERSION}`);
    return false;
  }
  const before = report.count;
  if (sb.size > FSCK_MAX_BLOCKS) report.add(`superblock size ${sb.size} blocks is larger than fsck handles (${FSCK_MAX_BLOCKS})`);
  if (sb.ninodes < 2) report.add(`superblock ninodes is ${sb.ninodes}; the table needs at least inode 0 and the root`);
  if (sb.nlog < 2 || sb.nlog > sb.size) report.add(`superblock nlog is ${sb.nlog}; the log needs a header and at least one block, inside the disk`);
  if (sb.rootinum !== ROOT_INUM) report.add(`superblock rootinum is ${sb.rootinum}, not ${ROOT_INUM}`);
  const expect = (field: keyof Superblock, want: number, rule: string) => {
    if (sb[field] !== want) report.add(`superblock ${field} is ${sb[field]} but should be ${want} (${rule})`);
  };
  expect("inodestart", INODE_START, "always 2");
  expect("bmapstart", sb.inodestart + Math.ceil(sb.ninodes / INODES_PER_BLOCK), "inodestart + ceil(ninodes / 64)");
  expect("datastart", sb.bmapstart + Math.ceil(sb.size / BITS_PER_BLOCK), "bmapstart + ceil(size / 32768)");
  expect("logstart", sb.size - sb.nlog, "size - nlog");
  if (report.count === before && sb.logstart <= sb.datastart) {
    report.add(`superblock leaves no data blocks: datastart ${sb.datastart}, logstart ${sb.logstart}`);
  }
  if (report.count !== before) return false;
  if (image.length > sb.size * BLOCK_SIZE) {
    report.add(`image is ${image.length} bytes, longer than the ${sb.size}-block disk the superblock describes`);
  }
  return true;
}

function installLog(image: Uint8Array, sb: Superblock, targets: number[]): Uint8Array {
  const highest = Math.max(sb.logstart + 1, ...targets.map((t) => t + 1));
  const copy = new Uint8Array(Math.max(image.length, highest * BLOCK_SIZE));
  copy.set(image);
  targets.forEach((target, i) => copy.set(readBlock(image, sb.logstart + 1 + i), target * BLOCK_SIZE));
  writeLogHeader(copy, sb, { n: 0, sequence: readLogHeader(image, sb).sequence, targets: [] });
  return copy;
}

/** A copy of the image with an empty log header (a transaction discarded). */
function clearLog(image: Uint8Array, sb: Superblock): Uint8Array {
  const copy = new Uint8Array(Math.max(image.length, (sb.logstart + 1) * BLOCK_SIZE));
  copy.set(image);
  writeLogHeader(copy, sb, { n: 0, sequence: readLogHeader(image, sb).sequence, targets: [] });
  return copy;
}

/** Inclusive runs of consecutive numbers, for compact messages. */
function runs(numbers: number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const n of numbers) {
    const last = out[out.length - 1];
    if (last && last[1] + 1 === n) last[1] = n;
    else out.push([n, n]);
  }
  return out;
}

const blockRange = ([a, b]: [number, number]) => (a === b ? `block ${a}` : `blocks ${a}–${b}`);

class Checker {
  /** First inode found using each data block. */
  private readonly owner = new Map<number, number>();
  /** Inodes of a known, allocated type. */
  private readonly allocated = new Map<number, Inode>();
  /** Directory entries naming each inode, '.' and '..' included. */
  private readonly refs = new Map<number, number>();
  /** For each directory, the directories whose (non-'.'/'..') entries name it. */
  private readonly parents = new Map<number, number[]>();
  /** Each directory's '..' target. */
  private readonly dotdot = new Map<number, number>();
  /** Each directory's entries other than '.' and '..'. */
  private readonly children = new Map<number, number[]>();
  private readonly named = new Set<number>();

  constructor(
    private readonly image: Uint8Array,
    private readonly sb: Superblock,
    private readonly report: Report,
    private readonly stats: FsckStats,
  ) {}

  run(): void {
    this.checkReservedBits();
    this.scanInodes();
    this.checkBitmapAgainstUse();
    for (const [inum, inode] of this.allocated) if (inode.type === T_DIR) this.checkDirectory(inum, inode);
    this.checkTree();
    this.checkLinks();
  }

  private add(problem: string): void {
    this.report.add(problem);
  }

  private checkReservedBits(): void {
    const { sb, image } = this;
    const unmarked = (from: number, to: number) => {
      const missing: number[] = [];
      for (let b = from; b < to; b++) if (!isBlockUsed(image, sb, b)) missing.push(b);
      return runs(missing);
    };
    for (const r of unmarked(0, sb.datastart)) this.add(`bitmap says ${blockRange(r)} ${r[0] === r[1] ? "is" : "are"} free, but the boot block, superblock, inode table and bitmap live there`);
    for (const r of unmarked(sb.logstart, sb.size)) this.add(`bitmap says log ${blockRange(r)} ${r[0] === r[1] ? "is" : "are"} free`);
    const past: number[] = [];
    const bitmapBits = (sb.datastart - sb.bmapstart) * BITS_PER_BLOCK;
    for (let b = sb.size; b < bitmapBits; b++) if (isBlockUsed(image, sb, b)) past.push(b);
    for (const r of runs(past)) this.add(`bitmap marks ${blockRange(r)} in use, past the end of the ${sb.size}-block disk`);
  }

  private scanInodes(): void {
    const { sb, image } = this;
    for (let inum = 0; inum < sb.ninodes; inum++) {
      if (inodeOffset(sb, inum) >= image.length) break; // the rest read as zeros: free
      const inode = readInode(image, sb, inum);
      if (inode.type === T_FREE) continue;
      if (inum === 0) {
        this.add(`inode 0 has type ${inode.type}, but inode 0 is never used`);
        continue;
      }
      if (inode.type !== T_DIR && inode.type !== T_FILE && inode.type !== T_DEVICE) {
        this.add(`inode ${inum} has unknown type ${inode.type}`);
        continue;
      }
      this.allocated.set(inum, inode);
      this.stats.inodesUsed++;
      if (inode.nlink === 0) this.add(`inode ${inum} is allocated but has nlink 0`);
      if (inode.type === T_DEVICE) {
        this.stats.devices++;
        if (inode.addrs.some((b) => b !== 0)) this.add(`device inode ${inum} has block pointers; a device has no data`);
        continue;
      }
      if (inode.type === T_FILE) {
        this.stats.files++;
        this.stats.fileBytes += inode.size;
      } else {
        this.stats.directories++;
        if (inode.size % DIRENT_SIZE !== 0) this.add(`directory inode ${inum} has size ${inode.size}, not a multiple of ${DIRENT_SIZE}`);
      }
      this.walkBlocks(inum, inode);
    }
  }

  /** Claims every block an inode points at, checking each pointer before following it. */
  private walkBlocks(inum: number, inode: Inode): void {
    const nblocks = Math.ceil(inode.size / BLOCK_SIZE);
    const use = (b: number, logical: number, what: string): boolean => {
      if (b === 0) return false;
      if (b < this.sb.datastart || b >= this.sb.logstart) {
        this.add(`inode ${inum} points at block ${b} (${what}), outside the data area ${this.sb.datastart}..${this.sb.logstart - 1}`);
        return false;
      }
      if (logical >= nblocks) this.add(`inode ${inum} has block ${b} (${what}) past its end (size ${inode.size})`);
      this.claim(b, inum);
      return true;
    };
    for (let i = 0; i < NDIRECT; i++) use(inode.addrs[i]!, i, `addrs[${i}]`);
    const ind = inode.addrs[INDIRECT_SLOT]!;
    if (use(ind, NDIRECT, "indirect block")) {
      for (let i = 0; i < NINDIRECT; i++) use(blockEntry(this.image, ind, i), NDIRECT + i, `indirect entry ${i}`);
    }
    const dind = inode.addrs[DOUBLE_INDIRECT_SLOT]!;
    const dindFirst = NDIRECT + NINDIRECT;
    if (use(dind, dindFirst, "double-indirect block")) {
      for (let i = 0; i < NINDIRECT; i++) {
        const inner = blockEntry(this.image, dind, i);
        const first = dindFirst + i * NINDIRECT;
        if (!use(inner, first, `double-indirect entry ${i}`)) continue;
        for (let j = 0; j < NINDIRECT; j++) use(blockEntry(this.image, inner, j), first + j, `double-indirect entry ${i}.${j}`);
      }
    }
  }

  private claim(b: number, inum: number): void {
    const first = this.owner.get(b);
    if (first === undefined) {
      this.owner.set(b, inum);
      if (!isBlockUsed(this.image, this.sb, b)) this.add(`bitmap says block ${b} is free but inode ${inum} uses it`);
    } else if (first === inum) {
      this.add(`block ${b} is used twice by inode ${inum}`);
    } else {
      this.add(`block ${b} is used by inode ${first} and inode ${inum}`);
    }
  }

  private checkBitmapAgainstUse(): void {
    const { sb, image } = this;
    const unused: number[] = [];
    let free = 0;
    for (let b = sb.datastart; b < sb.logstart; b++) {
      // Skip bitmap bytes that are zero (or past the image) eight blocks at a time.
      if (b % 8 === 0 && b + 8 <= sb.logstart) {
        const at = (sb.bmapstart + Math.floor(b / BITS_PER_BLOCK)) * BLOCK_SIZE + Math.floor((b % BITS_PER_BLOCK) / 8);
        if (at >= image.length || image[at] === 0) {
          free += 8;
          b += 7;
          continue;
        }
      }
      if (!isBlockUsed(image, sb, b)) free++;
      else if (!this.owner.has(b)) unused.push(b);
    }
    this.stats.dataBlocksFree = free;
    this.stats.dataBlocksUsed = this.owner.size;
    for (const r of runs(unused)) {
      this.add(r[0] === r[1] ? `bitmap says block ${r[0]} is in use but nothing uses it` : `bitmap says blocks ${r[0]}–${r[1]} are in use but nothing uses them`);
    }
  }

  /** A directory's block by logical number, 0 for a hole or a pointer already reported as bad. */
  private safeFileBlock(inode: Inode, n: number): number {
    const ok = (b: number) => (b >= this.sb.datastart && b < this.sb.logstart ? b : 0);
    if (n < NDIRECT) return ok(inode.addrs[n]!);
    n -= NDIRECT;
    if (n < NINDIRECT) {
      const ind = ok(inode.addrs[INDIRECT_SLOT]!);
      return ind === 0 ? 0 : ok(blockEntry(this.image, ind, n));
    }
    n -= NINDIRECT;
    const dind = ok(inode.addrs[DOUBLE_INDIRECT_SLOT]!);
    if (dind === 0 || n >= NINDIRECT * NINDIRECT) return 0;
    const inner = ok(blockEntry(this.image, dind, Math.floor(n / NINDIRECT)));
    return inner === 0 ? 0 : ok(blockEntry(this.image, inner, n % NINDIRECT));
  }

  private checkDirectory(dir: number, inode: Inode): void {
    const seen = new Set<string>();
    let dot = false;
    let dotdotSeen = false;
    const kids: number[] = [];
    const nblocks = Math.min(Math.ceil(inode.size / BLOCK_SIZE), MAX_FILE_BLOCKS);
    for (let n = 0; n < nblocks; n++) {
      const b = this.safeFileBlock(inode, n);
      if (b === 0) continue; // a hole holds only free slots
      const length = Math.min(BLOCK_SIZE, inode.size - n * BLOCK_SIZE);
      for (const e of decodeDirents(readBlock(this.image, b).subarray(0, length - (length % DIRENT_SIZE)))) {
        if (e.inum === 0) continue;
        const slot = n * (BLOCK_SIZE / DIRENT_SIZE) + e.slot;
        const shown = JSON.stringify(e.name);
        if (e.name.length === 0) {
          this.add(`directory inode ${dir} has an entry with an empty name (slot ${slot}, inode ${e.inum})`);
          continue;
        }
        if (e.name.includes("/")) this.add(`directory inode ${dir}: entry ${shown} has a '/' in its name`);
        if (seen.has(e.name)) this.add(`directory inode ${dir} has two entries named ${shown}`);
        seen.add(e.name);
        if (e.inum >= this.sb.ninodes) {
          this.add(`directory inode ${dir}: entry ${shown} names inode ${e.inum}, past the inode table (${this.sb.ninodes} inodes)`);
          continue;
        }
        if (!this.allocated.has(e.inum)) {
          this.add(`directory inode ${dir}: entry ${shown} names inode ${e.inum}, which is free`);
          continue;
        }
        this.refs.set(e.inum, (this.refs.get(e.inum) ?? 0) + 1);
        if (e.name === ".") {
          dot = true;
          if (e.inum !== dir) this.add(`directory inode ${dir}: '.' names inode ${e.inum}, not itself`);
        } else if (e.name === "..") {
          dotdotSeen = true;
          this.dotdot.set(dir, e.inum);
          if (this.allocated.get(e.inum)?.type !== T_DIR) this.add(`directory inode ${dir}: '..' names inode ${e.inum}, which is not a directory`);
        } else {
          kids.push(e.inum);
          this.named.add(e.inum);
          if (this.allocated.get(e.inum)?.type === T_DIR) {
            const list = this.parents.get(e.inum) ?? [];
            list.push(dir);
            this.parents.set(e.inum, list);
          }
        }
      }
    }
    if (!dot) this.add(`directory inode ${dir} has no '.'`);
    if (!dotdotSeen) this.add(`directory inode ${dir} has no '..'`);
    this.children.set(dir, kids);
  }

  private checkTree(): void {
    const root = this.allocated.get(ROOT_INUM);
    if (!root) {
      this.add(`the root directory (inode ${ROOT_INUM}) is free`);
    } else if (root.type !== T_DIR) {
      this.add(`the root (inode ${ROOT_INUM}) is not a directory (type ${root.type})`);
    } else {
      const up = this.dotdot.get(ROOT_INUM);
      if (up !== undefined && up !== ROOT_INUM) this.add(`the root's '..' names inode ${up}, not the root itself`);
      for (const parent of this.parents.get(ROOT_INUM) ?? []) this.add(`the root directory is named by an entry in directory inode ${parent}`);
    }
    for (const [dir, parents] of this.parents) {
      if (dir === ROOT_INUM) continue;
      if (parents.length > 1) this.add(`directory inode ${dir} is named by ${parents.length} directory entries (in inodes ${parents.join(", ")}); a directory has one parent`);
      const up = this.dotdot.get(dir);
      if (up !== undefined && !parents.includes(up)) this.add(`directory inode ${dir}: '..' names inode ${up}, but it lives in directory inode ${parents[0]}`);
    }

    const reached = new Set<number>();
    if (root?.type === T_DIR) {
      const queue = [ROOT_INUM];
      reached.add(ROOT_INUM);
      while (queue.length > 0) {
        const dir = queue.pop()!;
        for (const child of this.children.get(dir) ?? []) {
          if (reached.has(child)) continue;
          reached.add(child);
          if (this.allocated.get(child)?.type === T_DIR) queue.push(child);
        }
      }
    }
    for (const inum of this.allocated.keys()) {
      if (!reached.has(inum)) this.add(`inode ${inum} is allocated but no directory reaches it`);
    }
  }

  private checkLinks(): void {
    for (const [inum, inode] of this.allocated) {
      const names = this.refs.get(inum) ?? 0;
      if (inode.nlink !== names && !(inode.nlink === 0 && names === 0)) {
        this.add(`inode ${inum} has nlink ${inode.nlink} but ${names === 1 ? "1 directory entry names" : `${names} directory entries name`} it`);
      }
    }
  }
}

// ---- repair ----

export interface RepairResult {
  /** The repaired image (a copy; the input is never changed). */
  image: Uint8Array;
  /** What was changed, one sentence each. */
  fixed: string[];
  /** fsck of the repaired image. */
  after: FsckResult;
}

/**
 * Mends what can be mended, on a copy: installs (or discards) the log as the
 * kernel's recovery does; frees inodes of unknown type; clears block
 * pointers outside the data area, past a file's end, or to a block another
 * inode already uses, and a device's pointers; clears directory entries that
 * name nothing usable (past the table, a free inode, an empty name or one with
 * '/', a duplicate name, a second name for a directory); frees what no
 * directory reaches (orphans included); points each '..' at the directory's
 * parent; sets every nlink to the entries naming the inode; and rebuilds the
 * bitmap from the blocks still in use. A superblock that does not describe a
 * usable layout cannot be repaired (this throws).
 */
export function repair(input: Uint8Array): RepairResult {
  const sb = readSuperblock(input);
  const probe = new Report(1);
  if (!checkSuperblock(sb, input, probe)) throw new Error(`cannot repair: ${probe.list()[0]}`);
  const fixed: string[] = [];
  const first = fsck(input, { recover: true });
  if (first.stats.recovered > 0) fixed.push(`installed the log's committed transaction of ${first.stats.recovered} blocks`);
  if (first.stats.logDiscarded > 0) fixed.push(`discarded a log transaction of ${first.stats.logDiscarded} blocks that failed its checks`);
  const image = new Uint8Array(sb.size * BLOCK_SIZE);
  image.set(first.image.subarray(0, Math.min(first.image.length, image.length)));
  if (first.stats.logDiscarded > 0 || first.stats.recovered > 0) writeLogHeader(image, sb, { n: 0, sequence: readLogHeader(first.image, sb).sequence, targets: [] });

  const inodes = new Map<number, Inode>();
  const owner = new Map<number, number>();
  const isData = (b: number) => b >= sb.datastart && b < sb.logstart;
  const free = (inum: number, why: string) => {
    writeInode(image, sb, inum, { type: T_FREE, major: 0, minor: 0, nlink: 0, size: 0, addrs: new Array<number>(13).fill(0) });
    inodes.delete(inum);
    fixed.push(`freed inode ${inum} (${why})`);
  };

  // Inodes and their block pointers.
  for (let inum = 1; inum < sb.ninodes; inum++) {
    const inode = readInode(image, sb, inum);
    if (inode.type === T_FREE) continue;
    if (inode.type !== T_DIR && inode.type !== T_FILE && inode.type !== T_DEVICE) { free(inum, `unknown type ${inode.type}`); continue; }
    if (inode.type === T_DEVICE) {
      if (inode.addrs.some((b) => b !== 0)) { inode.addrs.fill(0); writeInode(image, sb, inum, inode); fixed.push(`cleared the block pointers of device inode ${inum}`); }
      inodes.set(inum, inode);
      continue;
    }
    if (inode.type === T_DIR && inode.size % DIRENT_SIZE !== 0) {
      inode.size -= inode.size % DIRENT_SIZE;
      fixed.push(`cut directory inode ${inum} to a whole number of entries (${inode.size} bytes)`);
    }
    const nblocks = Math.ceil(inode.size / BLOCK_SIZE);
    const keep = (b: number, logical: number, what: string): boolean => {
      if (b === 0) return false;
      let why = "";
      if (!isData(b)) why = "outside the data area";
      else if (owner.has(b)) why = `already used by inode ${owner.get(b)}`;
      else if (logical >= nblocks) why = "past the file's end";
      if (why) { fixed.push(`cleared inode ${inum}'s pointer to block ${b} (${what}): ${why}`); return false; }
      owner.set(b, inum);
      return true;
    };
    for (let i = 0; i < NDIRECT; i++) if (!keep(inode.addrs[i]!, i, `addrs[${i}]`)) inode.addrs[i] = 0;
    const walkIndirect = (ind: number, firstLogical: number, what: string) => {
      for (let i = 0; i < NINDIRECT; i++) {
        const b = blockEntry(image, ind, i);
        if (b !== 0 && !keep(b, firstLogical + i, `${what} entry ${i}`)) setBlockEntry(image, ind, i, 0);
      }
    };
    if (keep(inode.addrs[INDIRECT_SLOT]!, NDIRECT, "indirect block")) walkIndirect(inode.addrs[INDIRECT_SLOT]!, NDIRECT, "indirect");
    else inode.addrs[INDIRECT_SLOT] = 0;
    const dind = inode.addrs[DOUBLE_INDIRECT_SLOT]!;
    if (keep(dind, NDIRECT + NINDIRECT, "double-indirect block")) {
      for (let i = 0; i < NINDIRECT; i++) {
        const mid = blockEntry(image, dind, i);
        const firstLogical = NDIRECT + NINDIRECT + i * NINDIRECT;
        if (mid === 0) continue;
        if (keep(mid, firstLogical, `double-indirect entry ${i}`)) walkIndirect(mid, firstLogical, `double-indirect ${i}`);
        else setBlockEntry(image, dind, i, 0);
      }
    } else inode.addrs[DOUBLE_INDIRECT_SLOT] = 0;
    writeInode(image, sb, inum, inode);
    inodes.set(inum, inode);
  }

  // The tree from the root: bad entries cleared, each directory kept under its first parent.
  const root = inodes.get(ROOT_INUM);
  if (!root || root.type !== T_DIR) throw new Error("cannot repair: the root directory is missing or not a directory");
  const parentOf = new Map<number, number>([[ROOT_INUM, ROOT_INUM]]);
  const names = new Map<number, number>();
  const reached = new Set<number>([ROOT_INUM]);
  const queue = [ROOT_INUM];
  const entrySlots = (dir: number, visit: (b: number, offset: number, e: { inum: number; name: string }) => void) => {
    const inode = inodes.get(dir)!;
    for (let n = 0; n < Math.ceil(inode.size / BLOCK_SIZE); n++) {
      const b = fileBlock(image, inode, n);
      if (b === 0) continue;
      const length = Math.min(BLOCK_SIZE, inode.size - n * BLOCK_SIZE);
      for (const e of decodeDirents(readBlock(image, b).subarray(0, length))) if (e.inum !== 0) visit(b, e.slot * DIRENT_SIZE, e);
    }
  };
  /** Puts name -> inum in a free slot of dir, or in its last block's spare room. */
  const addEntry = (dir: number, name: string, target: number) => {
    const inode = inodes.get(dir)!;
    for (let n = 0; n < Math.ceil(inode.size / BLOCK_SIZE); n++) {
      const b = fileBlock(image, inode, n);
      if (b === 0) continue;
      const length = Math.min(BLOCK_SIZE, inode.size - n * BLOCK_SIZE);
      const slot = decodeDirents(readBlock(image, b).subarray(0, length)).find((e) => e.inum === 0);
      const at = slot ? slot.slot * DIRENT_SIZE : length < BLOCK_SIZE && n === Math.ceil(inode.size / BLOCK_SIZE) - 1 ? length : -1;
      if (at < 0) continue;
      writeDirent(image, b * BLOCK_SIZE + at, { inum: target, name });
      if (!slot) { inode.size += DIRENT_SIZE; writeInode(image, sb, dir, inode); }
      names.set(target, (names.get(target) ?? 0) + 1);
      fixed.push(`added the missing '${name}' to directory inode ${dir}`);
      return;
    }
    // No room anywhere: every block of the directory was cleared (a shared or
    // bad pointer) or it never had one. It gets a fresh, empty block.
    const blocks = Math.ceil(inode.size / BLOCK_SIZE);
    let index = -1;
    for (let n = 0; n < Math.min(blocks, NDIRECT) && index < 0; n++) if (inode.addrs[n] === 0) index = n;
    if (index < 0) {
      if (blocks >= NDIRECT) throw new Error(`cannot repair: directory inode ${dir} has no room for '${name}'`);
      index = blocks;
    }
    let b = sb.datastart;
    while (b < Math.min(sb.logstart, sb.size) && owner.has(b)) b++;
    if (b >= Math.min(sb.logstart, sb.size)) throw new Error(`cannot repair: no free block for directory inode ${dir}`);
    image.fill(0, b * BLOCK_SIZE, (b + 1) * BLOCK_SIZE);
    owner.set(b, dir);
    inode.addrs[index] = b;
    inode.size = Math.max(inode.size, index * BLOCK_SIZE + DIRENT_SIZE);
    writeInode(image, sb, dir, inode);
    fixed.push(`gave directory inode ${dir} a new block (${b}): it had none left`);
    addEntry(dir, name, target);
  };
  while (queue.length > 0) {
    const dir = queue.shift()!;
    const seen = new Set<string>();
    let dot = false, dotdot = false;
    entrySlots(dir, (b, offset, e) => {
      const clear = (why: string) => {
        writeDirent(image, b * BLOCK_SIZE + offset, { inum: 0, name: "" });
        fixed.push(`cleared entry ${JSON.stringify(e.name)} of directory inode ${dir}: ${why}`);
      };
      if (e.name.length === 0 || e.name.includes("/")) return clear("a bad name");
      if (seen.has(e.name)) return clear("a duplicate name");
      if (e.inum >= sb.ninodes || !inodes.has(e.inum)) return clear(`inode ${e.inum} is ${e.inum >= sb.ninodes ? "past the table" : "free"}`);
      if (e.name === "." ) {
        if (dot || e.inum !== dir) return clear("a second or wrong '.'");
        dot = true;
      } else if (e.name === "..") {
        if (dotdot) return clear("a second '..'");
        dotdot = true;
        const parent = parentOf.get(dir)!;
        if (e.inum !== parent) {
          writeDirent(image, b * BLOCK_SIZE + offset, { inum: parent, name: ".." });
          fixed.push(`pointed '..' of directory inode ${dir} at its parent, inode ${parent}`);
          e.inum = parent;
        }
      } else if (inodes.get(e.inum)!.type === T_DIR) {
        if (reached.has(e.inum)) return clear(`directory inode ${e.inum} already has a parent`);
        reached.add(e.inum);
        parentOf.set(e.inum, dir);
        queue.push(e.inum);
      } else {
        reached.add(e.inum);
      }
      seen.add(e.name);
      names.set(e.inum, (names.get(e.inum) ?? 0) + 1);
    });
    if (!dot) addEntry(dir, ".", dir);
    if (!dotdot) addEntry(dir, "..", parentOf.get(dir)!);
  }
  for (const inum of [...inodes.keys()]) if (!reached.has(inum)) free(inum, inodes.get(inum)!.nlink === 0 ? "an orphan" : "no directory reaches it");
  for (const [b, inum] of owner) if (!inodes.has(inum)) owner.delete(b);

  // Link counts.
  for (const [inum, inode] of inodes) {
    const want = names.get(inum) ?? 0;
    if (inode.nlink !== want) {
      fixed.push(`set inode ${inum}'s nlink from ${inode.nlink} to ${want}`);
      inode.nlink = want;
      writeInode(image, sb, inum, inode);
    }
  }

  // The bitmap from what is in use.
  let bitmapChanges = 0;
  const bitmapBits = (sb.datastart - sb.bmapstart) * BITS_PER_BLOCK;
  for (let b = 0; b < bitmapBits; b++) {
    const want = b < sb.size && (b < sb.datastart || b >= sb.logstart || owner.has(b));
    if (isBlockUsed(image, sb, b) !== want) { setBlockUsed(image, sb, b, want); bitmapChanges++; }
  }
  if (bitmapChanges > 0) fixed.push(`rebuilt the bitmap from the blocks in use (${bitmapChanges} bits changed)`);

  // Trim trailing zero blocks back to the input's length (the disk reads them as zeros).
  const words = new BigUint64Array(image.buffer, image.byteOffset, image.length / 8);
  let endBlock = sb.size;
  const wordsPerBlock = BLOCK_SIZE / 8;
  while (endBlock * BLOCK_SIZE > input.length) {
    let zero = true;
    for (let w = (endBlock - 1) * wordsPerBlock; w < endBlock * wordsPerBlock; w++) if (words[w] !== 0n) { zero = false; break; }
    if (!zero) break;
    endBlock--;
  }
  const out = image.slice(0, Math.max(input.length, endBlock * BLOCK_SIZE));
  return { image: out, fixed, after: fsck(out) };
}
