// The file system (dev/blk.ts, fs/*) driven through its test entry
// (kernel-as/tests/fs.ts) against the real block device (host/devices/
// block.ts) over an in-memory disk made by host/fs/mkfs.ts. Directed tests
// pin each operation's edges, crash tests cut the power at every write of a
// transaction, and a randomized test runs operation sequences against a
// model, checking the disk's consistency after every step.

import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { loadKernelTest } from "../../host/testing/kernel-test.js";
import { BlockDevice, MemoryBackend, PowerCutBackend, type BlockBackend } from "../../host/devices/block.js";
import { mkfs, type MkfsOptions } from "../../host/fs/mkfs.js";
import { fsck as hostFsck } from "../../host/fs/fsck.js";
import {
  FS_VERSION, FS_VERSION_V1, lookupPath, readInode, readLogHeader, readSuperblock, writeLogHeader,
  readPath as readFileBytes,
} from "../../host/fs/format.js";
import { BLOCK_BASE } from "../../host/hw.js";

interface Fs {
  init(): number;
  dataAddr(): number;
  dataSize(): number;
  pathAddr(): number;
  nbuf(): number;
  ninode(): number;
  blkInit(): number;
  blkRead(block: number, dst: number, count: number): number;
  blkWrite(block: number, src: number, count: number): number;
  blkCapacity(): number;
  bcacheBusy(): number;
  bcacheReferenced(): number;
  bcacheExhausted(): number;
  logCommits(): number;
  logRecovered(): number;
  logCapacity(): number;
  logAborts(): number;
  logLargest(): number;
  logDiscarded(): number;
  logDiscardReason(): number;
  iget(inum: number): number;
  iput(ip: number): number;
  idup(ip: number): number;
  stati(ip: number, dst: number): void;
  inodeType(ip: number): number;
  inodeSize(ip: number): number;
  inodeNlink(ip: number): number;
  inodeInum(ip: number): number;
  inodeMajor(ip: number): number;
  inodeMinor(ip: number): number;
  icacheHeld(): number;
  namei(path: number, cwd: number): number;
  nameiParent(path: number, cwd: number, nameOut: number, lenOut: number): number;
  fsMount(): number;
  fsCreate(path: number, cwd: number, type: number, major: number, minor: number): number;
  fsUnlink(path: number, cwd: number): number;
  fsLink(oldPath: number, newPath: number, cwd: number): number;
  fsTruncate(ip: number): number;
  fsWrite(ip: number, src: number, off: number, n: number): number;
  fsRead(ip: number, dst: number, off: number, n: number): number;
  fsStatfs(out: number): number;
  fsLookup(path: number, cwd: number): number;
  fsWriteChunk(): number;
  fsMountWith(flags: number): number;
  fsReadOnly(): number;
  fsDamageReports(): number;
  logNextSeq(): number;
  logRecordText(seq: number): number;
  logRecordLength(seq: number): number;
  holdBuffers(first: number, count: number, out: number): number;
  releaseBuffers(count: number, out: number): void;
  scribble(first: number, count: number, value: number): number;
  peekBlock(b: number): number;
}

// Mirrors of fs/fsstate.ts and fs/inode.ts.
const E = {
  nodisk: -1, io: -2, corrupt: -3, nobuf: -4, txnTooBig: -5, nospace: -6, noinodes: -7, icacheFull: -8,
  notfound: -9, notdir: -10, exists: -11, isdir: -12, notempty: -13, invalid: -14, dirfull: -15, fileTooBig: -16,
  tooManyLinks: -17, notMounted: -18, mounted: -19, nomem: -20, badHandle: -21, nametoolong: -22, aborted: -23,
  readonly: -24,
};
const T_DIR = 1, T_FILE = 2, T_DEVICE = 3;
const ROOT = 1;
const BSIZE = 4096;
const MIB = 1024 * 1024;

/** A disk shape small enough for fast tests: 16 MiB, 256 inodes, a 300-block log. */
const SMALL: MkfsOptions = { blocks: 4096, inodes: 256, logBlocks: 300 };

class Machine {
  fs: Fs;
  mem: WebAssembly.Memory;
  device: BlockDevice;
  constructor(public backend: BlockBackend) {
    let memory: WebAssembly.Memory | undefined;
    this.device = new BlockDevice({ memory: () => memory!.buffer, irq: { set() {}, pulse() {} }, backend });
    const inRange = (p: number) => p >= BLOCK_BASE && p < BLOCK_BASE + 0x1c;
    const t = loadKernelTest<Fs>("fs", {
      ramBytes: 32 * MIB,
      portIn: (p, w) => (inRange(p) ? this.device.read(p, w as 1 | 2 | 4) : 0),
      portOut: (p, w, v) => { if (inRange(p)) this.device.write(p, w as 1 | 2 | 4, v); },
    });
    memory = t.memory;
    this.mem = t.memory;
    this.fs = t.exports;
    expect(this.fs.init()).toBe(0);
  }
  get bytes(): Uint8Array { return new Uint8Array(this.mem.buffer); }
  /** Writes a NUL-terminated path into slot 0 or 1 and returns its address. */
  path(p: string, slot = 0): number {
    const at = this.fs.pathAddr() + slot * 2048;
    const b = this.bytes;
    for (let i = 0; i < p.length; i++) b[at + i] = p.charCodeAt(i);
    b[at + p.length] = 0;
    return at;
  }
  create(p: string, type = T_FILE, major = 0, minor = 0, cwd = ROOT): number {
    return this.fs.fsCreate(this.path(p), cwd, type, major, minor);
  }
  lookup(p: string, cwd = ROOT): number { return this.fs.fsLookup(this.path(p), cwd); }
  unlink(p: string, cwd = ROOT): number { return this.fs.fsUnlink(this.path(p), cwd); }
  link(a: string, b: string, cwd = ROOT): number { return this.fs.fsLink(this.path(a, 0), this.path(b, 1), cwd); }
  /** Writes data at off through the data buffer, in pieces of at most its size. */
  write(ip: number, off: number, data: Uint8Array): number {
    const size = this.fs.dataSize();
    let done = 0;
    while (done < data.length || data.length === 0) {
      const n = Math.min(size, data.length - done);
      this.bytes.set(data.subarray(done, done + n), this.fs.dataAddr());
      const r = this.fs.fsWrite(ip, this.fs.dataAddr(), off + done, n);
      if (r < 0) return done > 0 ? done : r;
      done += r;
      if (r < n || n === 0) break;
    }
    return done;
  }
  read(ip: number, off: number, n: number): Uint8Array | number {
    const out = new Uint8Array(n);
    let done = 0;
    while (done < n) {
      const want = Math.min(this.fs.dataSize(), n - done);
      const r = this.fs.fsRead(ip, this.fs.dataAddr(), off + done, want);
      if (r < 0) return r;
      out.set(this.bytes.subarray(this.fs.dataAddr(), this.fs.dataAddr() + r), done);
      done += r;
      if (r < want) break;
    }
    return out.subarray(0, done);
  }
  /** The whole contents of the file at p, or an error code. */
  readFile(p: string): Uint8Array | number {
    const ip = this.lookup(p);
    if (ip < 0) return ip;
    const data = this.read(ip, 0, this.fs.inodeSize(ip));
    this.fs.iput(ip);
    return typeof data === "number" ? data : data.slice();
  }
  statfs(): { bsize: number; blocks: number; bfree: number; files: number; ffree: number; disk: number } {
    const at = this.fs.dataAddr();
    expect(this.fs.fsStatfs(at)).toBe(0);
    const v = new Uint32Array(this.mem.buffer, at, 6);
    return { bsize: v[0]!, blocks: v[1]!, bfree: v[2]!, files: v[3]!, ffree: v[4]!, disk: v[5]! };
  }
  stat(ip: number): { dev: number; ino: number; type: number; nlink: number; size: number } {
    const at = this.fs.dataAddr();
    this.fs.stati(ip, at);
    const dv = new DataView(this.mem.buffer, at, 24);
    return {
      dev: dv.getInt32(0, true), ino: dv.getUint32(4, true), type: dv.getUint16(8, true),
      nlink: dv.getUint16(10, true), size: Number(dv.getBigUint64(16, true)),
    };
  }
  /** The kernel log's records, oldest first (the ring keeps the latest). */
  logLines(): string[] {
    const lines: string[] = [];
    const next = this.fs.logNextSeq();
    for (let seq = Math.max(0, next - 64); seq < next; seq++) {
      const at = this.fs.logRecordText(seq), len = this.fs.logRecordLength(seq);
      lines.push(new TextDecoder().decode(this.bytes.slice(at, at + len)));
    }
    return lines;
  }
  /** Nothing is left referenced or pinned between operations. */
  expectNoLeaks(): void {
    expect(this.fs.icacheHeld()).toBe(0);
    expect(this.fs.bcacheBusy()).toBe(0);
  }
}

function freshDisk(opts: MkfsOptions = SMALL): MemoryBackend {
  return new MemoryBackend(mkfs(opts), opts.blocks);
}

function mounted(backend: BlockBackend = freshDisk()): Machine {
  const m = new Machine(backend);
  expect(m.fs.fsMount()).toBe(0);
  return m;
}

/** Byte-for-byte equality without vitest's slow deep compare of big arrays. */
function expectBytes(actual: Uint8Array | number, expected: Uint8Array, what = ""): void {
  expect(typeof actual, what).toBe("object");
  const a = actual as Uint8Array;
  expect(a.length, what).toBe(expected.length);
  expect(Buffer.compare(a, expected), what).toBe(0);
}

function pattern(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

// ---- Consistency checks over the disk ---------------------------------------------------

/** Checks the disk behind `backend` with host/fs/fsck.ts (every invariant of
 *  the format) and with the quick walk below, which also accepts inodes in
 *  `open`: allocated with no name because they are unlinked but still held
 *  (host fsck rightly reports those, so it only runs when `open` is empty).
 *  The log must be empty: every operation has committed and installed. */
function fsck(backend: BlockBackend, open: Set<number> = new Set()): string[] {
  const problems = quickCheck(backend, open);
  if (open.size === 0 && backend instanceof MemoryBackend) {
    const image = new Uint8Array(backend.blocks * BSIZE);
    image.set(backend.image());
    const r = hostFsck(image);
    problems.push(...r.problems);
    if (r.stats.logPending !== 0) problems.push("the log holds a pending transaction");
  }
  return problems;
}

/** An empty log, a tree where every entry names an allocated inode, "." and
 *  ".." right, link counts equal to the entries naming each inode, every
 *  block owned once and inside the data region, and the bitmap marking
 *  exactly the used blocks. */
function quickCheck(backend: BlockBackend, open: Set<number>): string[] {
  const problems: string[] = [];
  const cache = new Map<number, Uint8Array>();
  const blk = (b: number): Uint8Array => {
    let d = cache.get(b);
    if (!d) { d = new Uint8Array(BSIZE); backend.read(b, d); cache.set(b, d); }
    return d;
  };
  const dv = (b: number) => new DataView(blk(b).buffer);
  const sbv = dv(1);
  const sb = {
    size: sbv.getUint32(8, true), ninodes: sbv.getUint32(12, true), inodestart: sbv.getUint32(16, true),
    bmapstart: sbv.getUint32(20, true), datastart: sbv.getUint32(24, true), logstart: sbv.getUint32(28, true),
  };
  if (dv(sb.logstart).getUint32(0, true) !== 0) problems.push("log header is not empty");
  const inode = (inum: number) => {
    const b = sb.inodestart + Math.floor(inum / 64), o = (inum % 64) * 64, v = dv(b);
    const addrs: number[] = [];
    for (let i = 0; i < 13; i++) addrs.push(v.getUint32(o + 12 + i * 4, true));
    return { type: v.getUint16(o, true), nlink: v.getUint16(o + 6, true), size: v.getUint32(o + 8, true), addrs };
  };
  const owner = new Map<number, number>();
  const own = (b: number, inum: number) => {
    if (b < sb.datastart || b >= sb.logstart) problems.push(`inode ${inum}: block ${b} outside the data region`);
    else if (owner.has(b)) problems.push(`block ${b} owned by ${owner.get(b)} and ${inum}`);
    else owner.set(b, inum);
  };
  const fileBlocks = (inum: number, ino: ReturnType<typeof inode>): number[] => {
    const data: number[] = [];
    for (let i = 0; i < 11; i++) if (ino.addrs[i]) { own(ino.addrs[i]!, inum); data[i] = ino.addrs[i]!; }
    const ind = ino.addrs[11]!;
    if (ind) {
      own(ind, inum);
      const v = dv(ind);
      for (let i = 0; i < 1024; i++) { const b = v.getUint32(i * 4, true); if (b) { own(b, inum); data[11 + i] = b; } }
    }
    const dbl = ino.addrs[12]!;
    if (dbl) {
      own(dbl, inum);
      const v = dv(dbl);
      for (let i = 0; i < 1024; i++) {
        const mid = v.getUint32(i * 4, true);
        if (!mid) continue;
        own(mid, inum);
        const w = dv(mid);
        for (let j = 0; j < 1024; j++) { const b = w.getUint32(j * 4, true); if (b) { own(b, inum); data[1035 + i * 1024 + j] = b; } }
      }
    }
    return data;
  };
  const refs = new Map<number, number>();
  const seen = new Set<number>();
  const walk = (inum: number, parent: number) => {
    if (seen.has(inum)) { problems.push(`directory ${inum} reached twice`); return; }
    seen.add(inum);
    const ino = inode(inum);
    const blocks = fileBlocks(inum, ino);
    if (ino.size % 16 !== 0) problems.push(`directory ${inum}: size ${ino.size} not a multiple of 16`);
    const subdirs: number[] = [];
    for (let off = 0; off < ino.size; off += 16) {
      const b = blocks[Math.floor(off / BSIZE)];
      if (!b) continue;
      const v = dv(b), o = off % BSIZE;
      const child = v.getUint16(o, true);
      if (!child) continue;
      let name = "";
      for (let i = 0; i < 14; i++) { const c = blk(b)[o + 2 + i]!; if (!c) break; name += String.fromCharCode(c); }
      refs.set(child, (refs.get(child) ?? 0) + 1);
      if (off === 0 && (name !== "." || child !== inum)) problems.push(`directory ${inum}: first entry is not "."`);
      if (off === 16 && (name !== ".." || child !== parent)) problems.push(`directory ${inum}: second entry is not ".." -> ${parent}`);
      if (name === "." || name === "..") continue;
      const ct = inode(child).type;
      if (ct === 0) problems.push(`directory ${inum}: "${name}" names free inode ${child}`);
      else if (ct === T_DIR) subdirs.push(child);
      else if (!seen.has(child)) { seen.add(child); fileBlocks(child, inode(child)); }
    }
    for (const c of subdirs) walk(c, inum);
  };
  walk(ROOT, ROOT);
  for (let inum = 1; inum < sb.ninodes; inum++) {
    const ino = inode(inum);
    if (ino.type === 0) continue;
    if (!seen.has(inum)) {
      if (open.has(inum)) { fileBlocks(inum, ino); continue; }
      problems.push(`inode ${inum} (type ${ino.type}) is allocated but unreachable`);
      continue;
    }
    if ((refs.get(inum) ?? 0) !== ino.nlink) problems.push(`inode ${inum}: nlink ${ino.nlink}, ${refs.get(inum) ?? 0} entries`);
  }
  for (let b = sb.datastart; b < sb.logstart; b++) {
    const used = (blk(sb.bmapstart + Math.floor(b / 32768))[Math.floor((b % 32768) / 8)]! >> (b % 8)) & 1;
    if (used && !owner.has(b)) problems.push(`block ${b} marked used but owned by nobody`);
    if (!used && owner.has(b)) problems.push(`block ${b} owned by ${owner.get(b)} but marked free`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------
describe("mount", () => {
  it("mounts a fresh mkfs image and finds the root and the console device", () => {
    const m = mounted();
    const root = m.lookup("/");
    expect(root).toBeGreaterThan(0);
    expect(m.fs.inodeType(root)).toBe(T_DIR);
    expect(m.fs.inodeInum(root)).toBe(ROOT);
    m.fs.iput(root);
    const con = m.lookup("/console");
    expect(m.fs.inodeType(con)).toBe(T_DEVICE);
    expect(m.fs.inodeMajor(con)).toBe(1);
    m.fs.iput(con);
    expect(m.fs.fsMount()).toBe(E.mounted);
    m.expectNoLeaks();
  });

  it("answers a clear code without a disk, or with a missing or corrupt superblock", () => {
    const none = new Machine(null as unknown as BlockBackend);
    expect(none.fs.fsMount()).toBe(E.nodisk);
    const blank = new Machine(new MemoryBackend(new Uint8Array(0), 4096));
    expect(blank.fs.fsMount()).toBe(E.corrupt);
    const image = mkfs(SMALL);
    new DataView(image.buffer).setUint32(BSIZE + 24, 3, true); // datastart off the formula
    expect(new Machine(new MemoryBackend(image, SMALL.blocks)).fs.fsMount()).toBe(E.corrupt);
    const tiny = mkfs({ blocks: 256, inodes: 64, logBlocks: 8 }); // a log too small for a transaction
    expect(new Machine(new MemoryBackend(tiny, 256)).fs.fsMount()).toBe(E.corrupt);
    const op = new Machine(freshDisk());
    expect(op.fs.fsCreate(op.path("/x"), ROOT, T_FILE, 0, 0)).toBe(E.notMounted);
  });

  it("reports the disk's size and free space through statfs", () => {
    const m = mounted();
    const s = m.statfs();
    expect(s.bsize).toBe(BSIZE);
    expect(s.disk).toBe(4096);
    expect(s.files).toBe(255);
    expect(s.ffree).toBe(255 - 2); // root and console
    expect(s.bfree).toBe(s.blocks - 1); // the root directory's block
  });
});

describe("files", () => {
  it("creates, writes, reads back, stats and truncates a file", () => {
    const m = mounted();
    const ip = m.create("/hello");
    expect(ip).toBeGreaterThan(0);
    const data = pattern(10000, 1);
    expect(m.write(ip, 0, data)).toBe(10000);
    expectBytes(m.read(ip, 0, 20000), data);
    expectBytes(m.read(ip, 9990, 100), data.subarray(9990));
    expect(m.read(ip, 10000, 10)).toEqual(new Uint8Array(0));
    const st = m.stat(ip);
    expect(st).toMatchObject({ dev: 1, type: T_FILE, nlink: 1, size: 10000 });
    expect(st.ino).toBe(m.fs.inodeInum(ip));
    const free = m.statfs().bfree;
    expect(m.fs.fsTruncate(ip)).toBe(0);
    expect(m.fs.inodeSize(ip)).toBe(0);
    expect(m.statfs().bfree).toBe(free + 3);
    m.fs.iput(ip);
    m.expectNoLeaks();
    expect(fsck(m.backend)).toEqual([]);
  });

  it("returns the existing file or device for O_CREATE, and refuses directories and duplicates", () => {
    const m = mounted();
    const a = m.create("/f");
    const b = m.create("/f");
    expect(m.fs.inodeInum(b)).toBe(m.fs.inodeInum(a));
    m.fs.iput(a); m.fs.iput(b);
    const con = m.create("/console");
    expect(m.fs.inodeType(con)).toBe(T_DEVICE);
    m.fs.iput(con);
    expect(m.create("/f", T_DIR)).toBe(E.exists);
    expect(m.create("/f", T_DEVICE, 1, 0)).toBe(E.exists);
    const d = m.create("/d", T_DIR); m.fs.iput(d);
    expect(m.create("/d")).toBe(E.isdir);
    expect(m.create("/")).toBe(E.invalid);
    expect(m.create("/nope/x")).toBe(E.notfound);
    expect(m.create("/f/x")).toBe(E.notdir);
    expect(m.create("")).toBe(E.notfound);
    m.expectNoLeaks();
    expect(fsck(m.backend)).toEqual([]);
  });

  it("keeps holes as zeros and writes past the end", () => {
    const m = mounted();
    const ip = m.create("/sparse");
    expect(m.write(ip, 100000, pattern(10, 2))).toBe(10);
    expect(m.fs.inodeSize(ip)).toBe(100010);
    const all = m.read(ip, 0, 100010) as Uint8Array;
    expect(all.subarray(0, 100000).every((x) => x === 0)).toBe(true);
    expect(all.subarray(100000)).toEqual(pattern(10, 2));
    m.fs.iput(ip);
    expect(fsck(m.backend)).toEqual([]);
  });

  it("makes device nodes with their major and minor", () => {
    const m = mounted();
    const ip = m.create("/tty9", T_DEVICE, 7, 9);
    expect([m.fs.inodeType(ip), m.fs.inodeMajor(ip), m.fs.inodeMinor(ip)]).toEqual([T_DEVICE, 7, 9]);
    m.fs.iput(ip);
    const again = m.lookup("/tty9");
    expect(m.fs.inodeMinor(again)).toBe(9);
    m.fs.iput(again);
  });

  it("writes a big file through the double indirect block, in several transactions", () => {
    const m = mounted();
    const ip = m.create("/big");
    const size = 1100 * BSIZE + 123; // past 11 direct + 1024 single indirect blocks
    const data = pattern(size, 3);
    const before = m.statfs().bfree;
    const commits = m.fs.logCommits();
    expect(m.write(ip, 0, data)).toBe(size);
    expect(m.fs.logCommits() - commits).toBeGreaterThanOrEqual(Math.ceil(size / m.fs.fsWriteChunk()));
    expect(m.fs.logLargest()).toBeLessThanOrEqual(m.fs.logCapacity());
    // data blocks + the single indirect + the double indirect and one of its second-level blocks
    expect(before - m.statfs().bfree).toBe(1101 + 3);
    expectBytes(m.read(ip, 0, size), data);
    m.fs.iput(ip);
    m.expectNoLeaks();
    expect(fsck(m.backend)).toEqual([]);
    // A fresh boot reads the same bytes from the disk.
    const again = mounted(m.backend);
    expectBytes(again.readFile("/big"), data);
    const ip2 = again.lookup("/big");
    expect(again.fs.fsTruncate(ip2)).toBe(0);
    again.fs.iput(ip2);
    expect(again.statfs().bfree).toBe(before);
    expect(fsck(again.backend)).toEqual([]);
  });

  it("fills the disk: a short write, a consistent file, and the space back after unlink", () => {
    const m = mounted(freshDisk({ blocks: 512, inodes: 64, logBlocks: 64 }));
    const before = m.statfs().bfree;
    const ip = m.create("/fill");
    const data = pattern(600 * BSIZE, 4);
    const n = m.write(ip, 0, data);
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThan(data.length);
    expect(n % BSIZE).toBe(0);
    expect(m.fs.inodeSize(ip)).toBe(n);
    expect(m.statfs().bfree).toBe(0);
    expect(m.fs.fsWrite(ip, m.fs.dataAddr(), n, BSIZE)).toBe(E.nospace);
    expect(m.create("/more", T_DIR)).toBe(E.nospace);
    expectBytes(m.read(ip, 0, n), data.subarray(0, n));
    m.fs.iput(ip);
    expect(fsck(m.backend)).toEqual([]);
    expect(m.unlink("/fill")).toBe(0);
    expect(m.statfs().bfree).toBe(before);
    m.expectNoLeaks();
    expect(fsck(m.backend)).toEqual([]);
  });

  it("a disk that fills at an indirect block's first entry leaves no stray indirect block", () => {
    const m = mounted(freshDisk({ blocks: 512, inodes: 64, logBlocks: 64 }));
    const two = m.create("/two"); expect(m.write(two, 0, pattern(5000, 1))).toBe(5000); m.fs.iput(two);
    const fill = m.create("/fill"); m.write(fill, 0, pattern(600 * BSIZE, 2)); m.fs.iput(fill);
    expect(m.statfs().bfree).toBe(0);
    expect(m.unlink("/two")).toBe(0);
    expect(m.statfs().bfree).toBe(2);
    const edge = m.create("/edge");
    // Blocks 10 and 11: block 10 takes one free block; block 11 gets the
    // indirect block but no data block. Only block 10 may remain.
    expect(m.fs.fsWrite(edge, m.fs.dataAddr(), 10 * BSIZE, 2 * BSIZE)).toBe(BSIZE);
    expect(m.fs.inodeSize(edge)).toBe(11 * BSIZE);
    expect(m.statfs().bfree).toBe(1);
    expect(fsck(m.backend)).toEqual([]);
    // Block 11 alone needs the indirect block and a data block: one is free.
    expect(m.fs.fsWrite(edge, m.fs.dataAddr(), 11 * BSIZE, BSIZE)).toBe(E.nospace);
    expect(m.statfs().bfree).toBe(1);
    m.fs.iput(edge);
    m.expectNoLeaks();
    expect(fsck(m.backend)).toEqual([]);
  });

  it("fills the inode table and frees an inode on unlink", () => {
    const m = mounted(freshDisk({ blocks: 1024, inodes: 64, logBlocks: 64 }));
    let made = 0;
    for (;;) {
      const ip = m.create(`/f${made}`);
      if (ip < 0) { expect(ip).toBe(E.noinodes); break; }
      m.fs.iput(ip);
      made++;
    }
    expect(made).toBe(64 - 3); // inode 0, the root and the console are taken
    expect(m.statfs().ffree).toBe(0);
    expect(m.unlink("/f7")).toBe(0);
    const ip = m.create("/again");
    expect(ip).toBeGreaterThan(0);
    m.fs.iput(ip);
    m.expectNoLeaks();
    expect(fsck(m.backend)).toEqual([]);
  });

  it("answers FS_ERR_ICACHE_FULL when every inode record is held, and undoes the create", () => {
    const m = mounted(freshDisk({ blocks: 4096, inodes: 512, logBlocks: 300 }));
    const held: number[] = [];
    let r = 0;
    for (;;) {
      r = m.create(`/h${held.length}`);
      if (r < 0) break;
      held.push(r);
    }
    expect(r).toBe(E.icacheFull);
    expect(held.length).toBe(m.fs.ninode() - 1); // the root is held during the create
    const ffree = m.statfs().ffree;
    for (const ip of held) m.fs.iput(ip);
    m.expectNoLeaks();
    expect(m.statfs().ffree).toBe(ffree);
    expect(m.lookup(`/h${held.length}`)).toBe(E.notfound);
    expect(fsck(m.backend)).toEqual([]);
  });

  it("keeps an unlinked file alive until its last reference goes", () => {
    const m = mounted();
    const ip = m.create("/tmp");
    const data = pattern(50000, 5);
    m.write(ip, 0, data);
    const inum = m.fs.inodeInum(ip);
    const free = m.statfs().bfree;
    expect(m.unlink("/tmp")).toBe(0);
    expect(m.lookup("/tmp")).toBe(E.notfound);
    expect(m.fs.inodeNlink(ip)).toBe(0);
    expectBytes(m.read(ip, 0, 50000), data);
    expect(m.write(ip, 50000, pattern(10, 6))).toBe(10);
    expect(m.statfs().bfree).toBe(free);
    expect(fsck(m.backend, new Set([inum]))).toEqual([]);
    expect(m.fs.iput(ip)).toBe(0);
    expect(m.statfs().bfree).toBe(free + 14); // 13 data blocks and the indirect block
    m.expectNoLeaks();
    expect(fsck(m.backend)).toEqual([]);
  });
});

describe("directories and paths", () => {
  it("mkdir makes . and .., counts links, and unlink refuses non-empty directories", () => {
    const m = mounted();
    const d = m.create("/d", T_DIR);
    expect(m.fs.inodeNlink(d)).toBe(2);
    m.fs.iput(d);
    const root = m.lookup("/");
    expect(m.fs.inodeNlink(root)).toBe(3);
    m.fs.iput(root);
    const e = m.create("/d/e", T_DIR); m.fs.iput(e);
    const f = m.create("/d/e/f"); m.fs.iput(f);
    expect(m.unlink("/d")).toBe(E.notempty);
    expect(m.unlink("/d/e/.")).toBe(E.invalid);
    expect(m.unlink("/d/..")).toBe(E.invalid);
    expect(m.unlink("/")).toBe(E.invalid);
    expect(fsck(m.backend)).toEqual([]);
    expect(m.unlink("/d/e/f")).toBe(0);
    expect(m.unlink("/d/e")).toBe(0);
    expect(m.unlink("/d")).toBe(0);
    const r2 = m.lookup("/");
    expect(m.fs.inodeNlink(r2)).toBe(2);
    m.fs.iput(r2);
    m.expectNoLeaks();
    expect(fsck(m.backend)).toEqual([]);
  });

  it("resolves ., .., relative paths and repeated slashes", () => {
    const m = mounted();
    m.fs.iput(m.create("/a", T_DIR));
    m.fs.iput(m.create("/a/b", T_DIR));
    const f = m.create("/a/b/file"); m.write(f, 0, pattern(5, 7)); m.fs.iput(f);
    const a = m.lookup("/a");
    const aInum = m.fs.inodeInum(a);
    m.fs.iput(a);
    for (const p of ["/a/b/file", "//a///b//file", "/a/./b/../b/file", "/../../a/b/file", "/a/b/file/"]) {
      const ip = m.lookup(p);
      expect(ip, p).toBeGreaterThan(0);
      expect(m.fs.inodeSize(ip)).toBe(5);
      m.fs.iput(ip);
    }
    for (const p of ["b/file", "./b/file", "../a/b/file", "b/../b/file"]) {
      const ip = m.lookup(p, aInum);
      expect(ip, p).toBeGreaterThan(0);
      expect(m.fs.inodeSize(ip)).toBe(5);
      m.fs.iput(ip);
    }
    const up = m.lookup("..", aInum);
    expect(m.fs.inodeInum(up)).toBe(ROOT);
    m.fs.iput(up);
    expect(m.lookup("/a/b/file/x")).toBe(E.notdir);
    expect(m.lookup("/a/zz")).toBe(E.notfound);
    expect(m.lookup("")).toBe(E.notfound);
    // A relative create lands in the working directory.
    const g = m.create("g", T_FILE, 0, 0, aInum); m.fs.iput(g);
    const g2 = m.lookup("/a/g"); expect(g2).toBeGreaterThan(0); m.fs.iput(g2);
    m.expectNoLeaks();
  });

  it("cuts names to 14 bytes", () => {
    const m = mounted();
    const ip = m.create("/abcdefghijklmnopqrstuvwxyz");
    m.fs.iput(ip);
    const same = m.lookup("/abcdefghijklmnXYZ");
    expect(m.fs.inodeInum(same)).toBe(m.fs.inodeInum(ip));
    m.fs.iput(same);
    const exact = m.lookup("/abcdefghijklmn");
    expect(exact).toBeGreaterThan(0);
    m.fs.iput(exact);
    expect(m.lookup("/abcdefghijklm")).toBe(E.notfound);
    expect(fsck(m.backend)).toEqual([]);
  });

  it("grows a directory past one block and reuses freed slots", () => {
    const m = mounted(freshDisk({ blocks: 4096, inodes: 512, logBlocks: 300 }));
    m.fs.iput(m.create("/d", T_DIR));
    for (let i = 0; i < 300; i++) { const ip = m.create(`/d/n${i}`); expect(ip, `n${i}`).toBeGreaterThan(0); m.fs.iput(ip); }
    const d = m.lookup("/d");
    expect(m.fs.inodeSize(d)).toBe(302 * 16);
    m.fs.iput(d);
    expect(m.unlink("/d/n5")).toBe(0);
    m.fs.iput(m.create("/d/again"));
    const d2 = m.lookup("/d");
    expect(m.fs.inodeSize(d2)).toBe(302 * 16);
    m.fs.iput(d2);
    const n299 = m.lookup("/d/n299"); expect(n299).toBeGreaterThan(0); m.fs.iput(n299);
    expect(fsck(m.backend)).toEqual([]);
  });

  it("links files, refuses directories, and frees the inode with its last name", () => {
    const m = mounted();
    const f = m.create("/f"); m.write(f, 0, pattern(100, 8)); m.fs.iput(f);
    m.fs.iput(m.create("/d", T_DIR));
    expect(m.link("/f", "/d/g")).toBe(0);
    expect(m.link("/f", "/d/g")).toBe(E.exists);
    expect(m.link("/d", "/d2")).toBe(E.isdir);
    expect(m.link("/nope", "/x")).toBe(E.notfound);
    expect(m.link("/f", "/nope/x")).toBe(E.notfound);
    const g = m.lookup("/d/g");
    expect(m.fs.inodeNlink(g)).toBe(2);
    m.fs.iput(g);
    expect(fsck(m.backend)).toEqual([]);
    const free = m.statfs().ffree;
    expect(m.unlink("/f")).toBe(0);
    expect(m.readFile("/d/g")).toEqual(pattern(100, 8));
    expect(m.statfs().ffree).toBe(free);
    expect(m.unlink("/d/g")).toBe(0);
    expect(m.statfs().ffree).toBe(free + 1);
    m.expectNoLeaks();
    expect(fsck(m.backend)).toEqual([]);
  });
});

describe("block cache and log", () => {
  it("answers FS_ERR_NOBUF when every buffer is held, and recovers when they are released", () => {
    const m = mounted();
    const nbuf = m.fs.nbuf();
    const out = m.fs.dataAddr();
    expect(m.fs.holdBuffers(100, nbuf, out)).toBe(nbuf);
    expect(m.lookup("/console")).toBe(E.nobuf);
    m.fs.releaseBuffers(nbuf, out);
    const ip = m.lookup("/console");
    expect(ip).toBeGreaterThan(0);
    m.fs.iput(ip);
    m.expectNoLeaks();
  });

  it("refuses a transaction larger than the log and writes nothing", () => {
    const m = mounted();
    const cap = m.fs.logCapacity();
    const first = 1000;
    const before = [m.fs.peekBlock(first), m.fs.peekBlock(first + cap)];
    const writes = (m.backend as MemoryBackend).writes;
    expect(m.fs.scribble(first, cap + 1, 0x5a)).toBe(E.txnTooBig);
    expect((m.backend as MemoryBackend).writes).toBe(writes);
    expect([m.fs.peekBlock(first), m.fs.peekBlock(first + cap)]).toEqual(before);
    expect(m.fs.logAborts()).toBe(1);
    expect(m.fs.scribble(first, cap, 0x5a)).toBe(0);
    expect(m.fs.peekBlock(first + cap - 1)).toBe(0x5a);
    m.expectNoLeaks();
  });

  it("absorbs repeated writes of one block into one log slot", () => {
    const m = mounted();
    const ip = m.create("/small");
    for (let i = 0; i < 5; i++) m.fs.fsWrite(ip, m.fs.dataAddr(), i * 10, 10);
    const commitsBefore = m.fs.logCommits();
    m.bytes.fill(1, m.fs.dataAddr(), m.fs.dataAddr() + 4096);
    expect(m.fs.fsWrite(ip, m.fs.dataAddr(), 0, 4096)).toBe(4096);
    expect(m.fs.logCommits()).toBe(commitsBefore + 1);
    m.fs.iput(ip);
  });
});

describe("crash recovery", () => {
  /** Runs `op` on a mounted fresh disk with the power cut at block write `cut`
   *  (counted from the end of mount), then boots again on the same disk. */
  function crashAt(cut: number, op: (m: Machine) => void): { disk: MemoryBackend; after: Machine } {
    const disk = freshDisk();
    const mountWrites = (() => { const d = new PowerCutBackend(freshDisk()); mounted(d); return d.writesSeen; })();
    const cutter = new PowerCutBackend(disk, { cutAtWrite: mountWrites + cut });
    const m = mounted(cutter);
    op(m);
    const after = mounted(disk);
    return { disk, after };
  }

  function writesOf(op: (m: Machine) => void): number {
    const d = new PowerCutBackend(freshDisk());
    const m = mounted(d);
    const start = d.writesSeen;
    op(m);
    return d.writesSeen - start;
  }

  const makeFile = (m: Machine) => {
    const ip = m.create("/crash");
    if (ip > 0) { m.write(ip, 0, pattern(9000, 9)); m.fs.iput(ip); }
  };

  it("installs a committed transaction at mount and ignores an uncommitted one", () => {
    // The create is one transaction: n log blocks, the header, n installs, the header.
    const createOnly = (m: Machine) => { const ip = m.create("/crash"); if (ip > 0) m.fs.iput(ip); };
    const total = writesOf(createOnly);
    const n = (total - 2) / 2;
    expect(Number.isInteger(n)).toBe(true);
    // Cut at the header write: log blocks are there but nothing is committed.
    const lost = crashAt(n + 1, createOnly);
    expect(lost.after.fs.logRecovered()).toBe(0);
    expect(lost.after.lookup("/crash")).toBe(E.notfound);
    expect(fsck(lost.disk)).toEqual([]);
    // Cut at the first install: committed, so recovery finishes it.
    const kept = crashAt(n + 2, createOnly);
    expect(kept.after.fs.logRecovered()).toBe(n);
    const ip = kept.after.lookup("/crash");
    expect(ip).toBeGreaterThan(0);
    kept.after.fs.iput(ip);
    expect(fsck(kept.disk)).toEqual([]);
  });

  it("reclaims at mount a file and a directory unlinked while open when the power went", () => {
    const disk = freshDisk();
    const m = mounted(disk);
    const baseline = m.statfs();
    const file = m.create("/orphan");
    m.write(file, 0, pattern(50000, 7));
    const dir = m.create("/gone", T_DIR);
    expect(m.unlink("/orphan")).toBe(0);
    expect(m.unlink("/gone")).toBe(0);
    const orphans = new Set([m.fs.inodeInum(file), m.fs.inodeInum(dir)]);
    expect(fsck(disk, orphans)).toEqual([]);
    // The power goes with both still open: the disk keeps them allocated with nlink 0.
    const before = hostFsck(disk.image());
    expect(before.problems).toEqual(expect.arrayContaining([expect.stringMatching(/nlink 0/)]));
    const after = mounted(disk);
    expect(after.statfs().bfree).toBe(baseline.bfree);
    expect(after.statfs().ffree).toBe(baseline.ffree);
    after.expectNoLeaks();
    expect(fsck(disk)).toEqual([]);
  });

  /** A disk holding /keep, with a committed (not installed) transaction that
   *  overwrites the root directory's first block with junk, as a test plants it. */
  function plantedJunk(): { image: Uint8Array; rootBlock: number; before: Uint8Array } {
    const disk = freshDisk();
    const m = mounted(disk);
    const ip = m.create("/keep");
    m.write(ip, 0, pattern(5000, 3));
    m.fs.iput(ip);
    const image = new Uint8Array(SMALL.blocks! * BSIZE);
    image.set(disk.image());
    const sb = readSuperblock(image);
    const rootBlock = readInode(image, sb, ROOT).addrs[0]!;
    const before = image.slice(rootBlock * BSIZE, (rootBlock + 1) * BSIZE);
    image.set(pattern(BSIZE, 99), (sb.logstart + 1) * BSIZE);
    writeLogHeader(image, sb, { n: 1, sequence: 40, targets: [rootBlock] });
    return { image, rootBlock, before };
  }

  it("installs a transaction whose checksums match, and discards one whose checksums do not", () => {
    const good = plantedJunk();
    const installed = mounted(new MemoryBackend(good.image, SMALL.blocks));
    expect(installed.fs.logRecovered()).toBe(1);
    expect(installed.fs.logDiscarded()).toBe(0);

    // The same transaction with one flipped bit in the logged block: it must not reach the root.
    const bad = plantedJunk();
    const sb = readSuperblock(bad.image);
    bad.image[(sb.logstart + 1) * BSIZE + 7] ^= 1;
    const disk = new MemoryBackend(bad.image, SMALL.blocks);
    const m = mounted(disk);
    expect(m.fs.logRecovered()).toBe(0);
    expect(m.fs.logDiscarded()).toBe(1);
    expect(m.fs.logDiscardReason()).toBe(4); // LOG_DISCARD_BLOCK_SUM
    expectBytes(disk.image().subarray(bad.rootBlock * BSIZE, (bad.rootBlock + 1) * BSIZE), bad.before);
    expectBytes(m.readFile("/keep"), pattern(5000, 3));
    expect(fsck(disk)).toEqual([]);

    // A header with a garbage checksum of its own.
    const torn = plantedJunk();
    torn.image[sb.logstart * BSIZE + 9] ^= 0x10;
    const t = mounted(new MemoryBackend(torn.image, SMALL.blocks));
    expect(t.fs.logDiscardReason()).toBe(2); // LOG_DISCARD_HEADER_SUM
    expect(fsck(t.backend)).toEqual([]);
  });

  it("mounts a version-1 disk, installs its unchecksummed transaction and upgrades it to version 2", () => {
    const { image, rootBlock } = plantedJunk();
    const v2 = readSuperblock(image);
    const header = readLogHeader(image, v2);
    // Put back a sane root block in the log (the transaction rewrites it unchanged).
    image.copyWithin((v2.logstart + 1) * BSIZE, rootBlock * BSIZE, (rootBlock + 1) * BSIZE);
    new DataView(image.buffer).setUint32(BSIZE + 4, FS_VERSION_V1, true);
    writeLogHeader(image, readSuperblock(image), { n: header.n, sequence: header.sequence, targets: header.targets });
    const disk = new MemoryBackend(image, SMALL.blocks);
    const m = mounted(disk);
    expect(m.fs.logRecovered()).toBe(1);
    expect(readSuperblock(disk.image()).version).toBe(FS_VERSION);
    expectBytes(m.readFile("/keep"), pattern(5000, 3));
    const ip = m.create("/after");
    m.write(ip, 0, pattern(100, 1));
    m.fs.iput(ip);
    expect(lookupPath(disk.image(), "after")).not.toBeNull();
    expect(fsck(disk)).toEqual([]);
  });

  it("leaves a consistent disk whatever write the power is cut at", () => {
    const total = writesOf(makeFile);
    for (let cut = 1; cut <= total + 1; cut++) {
      const { disk, after } = crashAt(cut, makeFile);
      expect(fsck(disk), `cut at ${cut}`).toEqual([]);
      const data = after.readFile("/crash");
      if (typeof data !== "number") {
        // The create and the write are two transactions: empty, or all of it.
        expect([0, 9000], `cut at ${cut}`).toContain(data.length);
        if (data.length) expectBytes(data, pattern(9000, 9), `cut at ${cut}`);
      } else {
        expect(data).toBe(E.notfound);
      }
    }
  });
});

describe("crash recovery of multi-transaction and freeing operations", () => {
  const SHAPE: MkfsOptions = { blocks: 1024, inodes: 64, logBlocks: 64 };

  /** setup on a clean boot; then op with the power cut at its cut-th block
   *  write; then a fresh boot (which recovers) on the same disk. */
  function crashAfterSetup(setup: (m: Machine) => void, op: (m: Machine) => void, cut: number) {
    const disk = freshDisk(SHAPE);
    setup(mounted(disk));
    const cutter = new PowerCutBackend(disk, { cutAtWrite: cut });
    op(mounted(cutter));
    return { disk, after: mounted(disk), cutHappened: cutter.poweredOff };
  }

  function countWrites(setup: (m: Machine) => void, op: (m: Machine) => void): number {
    const disk = freshDisk(SHAPE);
    setup(mounted(disk));
    const counter = new PowerCutBackend(disk);
    op(mounted(counter));
    return counter.writesSeen;
  }

  it("a write of several chunks leaves a prefix of whole chunks", () => {
    const size = 40 * BSIZE;
    const data = pattern(size, 11);
    const setup = (m: Machine) => m.fs.iput(m.create("/w"));
    const op = (m: Machine) => { const ip = m.lookup("/w"); m.write(ip, 0, data); m.fs.iput(ip); };
    const total = countWrites(setup, op);
    const chunk = mounted(freshDisk(SHAPE)).fs.fsWriteChunk();
    expect(chunk).toBeLessThan(size);
    const seen = new Set<number>();
    for (let cut = 1; cut <= total + 1; cut += 3) {
      const { disk, after } = crashAfterSetup(setup, op, cut);
      expect(fsck(disk), `cut at ${cut}`).toEqual([]);
      const got = after.readFile("/w") as Uint8Array;
      expect(got.length % chunk === 0 || got.length === size, `cut at ${cut}: ${got.length}`).toBe(true);
      expectBytes(got, data.subarray(0, got.length), `cut at ${cut}`);
      seen.add(got.length);
    }
    expect(seen).toEqual(new Set([0, chunk, size]));
  });

  it("unlinking a big file frees all of it or none of it", () => {
    const data = pattern(100 * BSIZE, 12);
    const setup = (m: Machine) => { const ip = m.create("/big"); m.write(ip, 0, data); m.fs.iput(ip); };
    const op = (m: Machine) => { m.unlink("/big"); };
    const total = countWrites(setup, op);
    for (let cut = 1; cut <= total + 1; cut++) {
      const { disk, after } = crashAfterSetup(setup, op, cut);
      expect(fsck(disk), `cut at ${cut}`).toEqual([]);
      const got = after.readFile("/big");
      if (typeof got === "number") expect(got).toBe(E.notfound);
      else expectBytes(got, data, `cut at ${cut}`);
    }
  });
});

// ---- The model test ----------------------------------------------------------------------

type Node = { kind: "dir"; entries: Map<string, Node> } | { kind: "file"; id: number };

class Model {
  /** The root as the test sees it (mkfs's console node is never named by the test's paths). */
  root: Node = { kind: "dir", entries: new Map() };
  files = new Map<number, Uint8Array>();
  nextId = 0;
  /** Resolves the parent of path: an error code, or the directory and the last name. */
  parent(path: string[]): { dir: Extract<Node, { kind: "dir" }>; name: string } | number {
    let cur: Node = this.root;
    for (const part of path.slice(0, -1)) {
      if (cur.kind !== "dir") return E.notdir;
      const next: Node | undefined = cur.entries.get(part);
      if (!next) return E.notfound;
      cur = next;
    }
    if (cur.kind !== "dir") return E.notdir;
    return { dir: cur, name: path[path.length - 1]! };
  }
  lookup(path: string[]): Node | number {
    const p = this.parent(path);
    if (typeof p === "number") return p;
    return p.dir.entries.get(p.name) ?? E.notfound;
  }
}

// Few names and shallow paths, so that sequences often meet their own
// earlier results (a directory made, then filled, then unlinked).
const NAMES = ["a", "b", "c"];
const pathArb = fc.oneof(
  { arbitrary: fc.array(fc.constantFrom(...NAMES), { minLength: 1, maxLength: 1 }), weight: 3 },
  { arbitrary: fc.array(fc.constantFrom(...NAMES), { minLength: 2, maxLength: 2 }), weight: 3 },
  { arbitrary: fc.array(fc.constantFrom(...NAMES), { minLength: 3, maxLength: 3 }), weight: 1 },
);
const opArb = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant("create" as const), path: pathArb }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant("mkdir" as const), path: pathArb }), weight: 3 },
  {
    arbitrary: fc.record({
      op: fc.constant("write" as const), path: pathArb, off: fc.integer({ min: 0, max: 60000 }),
      len: fc.integer({ min: 0, max: 20000 }), seed: fc.integer({ min: 1, max: 1000 }),
    }),
    weight: 3,
  },
  { arbitrary: fc.record({ op: fc.constant("truncate" as const), path: pathArb }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant("link" as const), path: pathArb, to: pathArb }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant("unlink" as const), path: pathArb }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant("read" as const), path: pathArb }), weight: 1 },
);

describe("model", () => {
  it("random operation sequences match a model, and the disk checks clean after every step", () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 10, maxLength: 40, size: "max" }), (ops) => {
        const m = mounted(freshDisk({ blocks: 1024, inodes: 128, logBlocks: 300 }));
        const model = new Model();
        for (const o of ops) {
          const p = "/" + o.path.join("/");
          switch (o.op) {
            case "create":
            case "mkdir": {
              const type = o.op === "mkdir" ? T_DIR : T_FILE;
              const r = m.create(p, type);
              const par = model.parent(o.path);
              let want: number;
              if (typeof par === "number") want = par;
              else {
                const ex = par.dir.entries.get(par.name);
                if (ex) want = type === T_FILE ? (ex.kind === "file" ? 1 : E.isdir) : E.exists;
                else {
                  want = 1;
                  par.dir.entries.set(par.name, type === T_DIR
                    ? { kind: "dir", entries: new Map() }
                    : (model.files.set(model.nextId, new Uint8Array(0)), { kind: "file", id: model.nextId++ }));
                }
              }
              expect(r > 0 ? 1 : r, `${o.op} ${p}`).toBe(want);
              if (r > 0) m.fs.iput(r);
              break;
            }
            case "write": case "truncate": case "read": {
              const node = model.lookup(o.path);
              const ip = m.lookup(p);
              if (typeof node === "number") { expect(ip, `${o.op} ${p}`).toBe(node); break; }
              expect(ip).toBeGreaterThan(0);
              if (node.kind === "dir") {
                if (o.op === "write") expect(m.fs.fsWrite(ip, m.fs.dataAddr(), 0, 1)).toBe(E.isdir);
                if (o.op === "truncate") expect(m.fs.fsTruncate(ip)).toBe(E.isdir);
                m.fs.iput(ip);
                break;
              }
              const cur = model.files.get(node.id)!;
              if (o.op === "write") {
                const data = pattern(o.len, o.seed);
                expect(m.write(ip, o.off, data)).toBe(o.len);
                // An empty write changes nothing, even at an offset past the end.
                if (o.len > 0) {
                  const next = new Uint8Array(Math.max(cur.length, o.off + o.len));
                  next.set(cur);
                  next.set(data, o.off);
                  model.files.set(node.id, next);
                }
              } else if (o.op === "truncate") {
                expect(m.fs.fsTruncate(ip)).toBe(0);
                model.files.set(node.id, new Uint8Array(0));
              } else {
                expectBytes(m.read(ip, 0, cur.length + 10), cur, `read ${p}`);
              }
              m.fs.iput(ip);
              break;
            }
            case "link": {
              const to = "/" + o.to.join("/");
              const r = m.link(p, to);
              const src = model.lookup(o.path);
              let want: number;
              if (typeof src === "number") want = src;
              else if (src.kind === "dir") want = E.isdir;
              else {
                const par = model.parent(o.to);
                if (typeof par === "number") want = par;
                else if (par.dir.entries.has(par.name)) want = E.exists;
                else { want = 0; par.dir.entries.set(par.name, src); }
              }
              expect(r, `link ${p} ${to}`).toBe(want);
              break;
            }
            case "unlink": {
              const r = m.unlink(p);
              const par = model.parent(o.path);
              let want: number;
              if (typeof par === "number") want = par;
              else {
                const ex = par.dir.entries.get(par.name);
                if (!ex) want = E.notfound;
                else if (ex.kind === "dir" && ex.entries.size > 0) want = E.notempty;
                else { want = 0; par.dir.entries.delete(par.name); }
              }
              expect(r, `unlink ${p}`).toBe(want);
              break;
            }
          }
          m.expectNoLeaks();
          expect(fsck(m.backend), `after ${JSON.stringify(o)}`).toEqual([]);
        }
        // Every file the model knows reads back the same, through each of its names.
        const visit = (dir: Extract<Node, { kind: "dir" }>, prefix: string) => {
          for (const [name, node] of dir.entries) {
            if (node.kind === "dir") visit(node, `${prefix}/${name}`);
            else expectBytes(m.readFile(`${prefix}/${name}`), model.files.get(node.id)!, `${prefix}/${name}`);
          }
        };
        visit(model.root, "");
      }),
      { numRuns: 100 },
    );
  });
});

describe("damaged disks", () => {
  /** A clean disk holding /keep (several blocks) and /d/inner, as an image. */
  function cleanImage(): Uint8Array {
    const disk = freshDisk();
    const m = mounted(disk);
    const ip = m.create("/keep");
    m.write(ip, 0, pattern(20000, 11));
    m.fs.iput(ip);
    m.fs.iput(m.create("/d", T_DIR));
    const inner = m.create("/d/inner");
    m.write(inner, 0, pattern(100, 12));
    m.fs.iput(inner);
    const image = new Uint8Array(SMALL.blocks! * BSIZE);
    image.set(disk.image());
    return image;
  }
  const view = (image: Uint8Array) => new DataView(image.buffer, image.byteOffset);
  const inodeAt = (image: Uint8Array, inum: number) => readSuperblock(image).inodestart * BSIZE + inum * 64;

  /** Mounts the image and checks it went read-only without writing a byte. */
  function mountDamaged(image: Uint8Array, reason: RegExp): Machine {
    const disk = new MemoryBackend(image, SMALL.blocks);
    const cutter = new PowerCutBackend(disk);
    const m = mounted(cutter);
    expect(m.fs.fsReadOnly(), "mounted read-only").toBe(1);
    expect(m.fs.fsDamageReports()).toBeGreaterThan(0);
    expect(m.logLines().join("\n")).toMatch(reason);
    // Nothing may change the disk now.
    expect(m.create("/new")).toBe(E.readonly);
    expect(m.unlink("/keep")).toBe(E.readonly);
    expect(m.fs.fsCreate(m.path("/d2"), ROOT, T_DIR, 0, 0)).toBe(E.readonly);
    const keep = m.lookup("/keep");
    if (keep > 0) {
      expect(m.write(keep, 0, pattern(10, 1))).toBe(E.readonly);
      expect(m.fs.fsTruncate(keep)).toBe(E.readonly);
      m.fs.iput(keep);
    }
    expect(cutter.writesSeen, "no block was written").toBe(0);
    expect(Buffer.compare(disk.image().subarray(0, image.length), image)).toBe(0);
    m.expectNoLeaks();
    return m;
  }

  it("mounts a clean disk read-write, and read-only when the command line asks", () => {
    const m = mounted(new MemoryBackend(cleanImage(), SMALL.blocks));
    expect(m.fs.fsReadOnly()).toBe(0);
    const ro = new Machine(new PowerCutBackend(new MemoryBackend(cleanImage(), SMALL.blocks)));
    expect(ro.fs.fsMountWith(1)).toBe(0);
    expect(ro.fs.fsReadOnly()).toBe(1);
    expect(ro.fs.fsDamageReports()).toBe(0);
    expect(ro.create("/new")).toBe(E.readonly);
    expectBytes(ro.readFile("/keep"), pattern(20000, 11));
    expect((ro.backend as PowerCutBackend).writesSeen).toBe(0);
  });

  it("a flipped bitmap bit that frees the root directory's block: read-only, the root is never overwritten", () => {
    const image = cleanImage();
    const sb = readSuperblock(image);
    const rootBlock = readInode(image, sb, ROOT).addrs[0]!;
    image[sb.bmapstart * BSIZE + (rootBlock >> 3)]! &= ~(1 << (rootBlock & 7));
    const m = mountDamaged(image, new RegExp(`fs: damage: inode 1 uses block ${rootBlock}, which the bitmap marks free`));
    // Everything intact reads as before.
    expectBytes(m.readFile("/keep"), pattern(20000, 11));
    expectBytes(m.readFile("/d/inner"), pattern(100, 12));
  });

  it("a block pointer outside the data area: read-only, and reading it is refused, not followed", () => {
    const image = cleanImage();
    const sb = readSuperblock(image);
    const inum = lookupPath(image, "keep")!;
    view(image).setUint32(inodeAt(image, inum) + 12 + 4, sb.logstart + 3, true); // addrs[1] into the log
    const m = mountDamaged(image, /inode \d+ points at block \d+, outside the data area/);
    // A read stops short at the damaged block (the part before it is intact), and a read there is refused.
    const ip = m.lookup("/keep");
    expectBytes(m.read(ip, 0, 20000), pattern(20000, 11).subarray(0, 4096));
    expect(m.fs.fsRead(ip, m.fs.dataAddr(), 4096, 100)).toBe(E.corrupt);
    m.fs.iput(ip);
    expectBytes(m.readFile("/d/inner"), pattern(100, 12));
  });

  it("two inodes sharing a block, an unknown inode type, an entry naming a free inode, a wrong link count", () => {
    const shared = cleanImage();
    const keep = lookupPath(shared, "keep")!, inner = lookupPath(shared, "d/inner")!;
    const keepBlock = view(shared).getUint32(inodeAt(shared, keep) + 12, true);
    view(shared).setUint32(inodeAt(shared, inner) + 12, keepBlock, true);
    mountDamaged(shared, /uses block \d+, which another inode \(or itself\) already uses/);

    const typed = cleanImage();
    view(typed).setUint16(inodeAt(typed, lookupPath(typed, "d/inner")!), 9, true);
    const t = mountDamaged(typed, /inode \d+ has unknown type 9/);
    expect(t.readFile("/d/inner")).toBe(E.corrupt);

    const freed = cleanImage();
    view(freed).setUint16(inodeAt(freed, lookupPath(freed, "d/inner")!), 0, true);
    const f = mountDamaged(freed, /has an entry naming inode \d+, which is free/);
    expect(f.lookup("/d/inner")).toBe(E.corrupt);

    const links = cleanImage();
    view(links).setUint16(inodeAt(links, lookupPath(links, "keep")!) + 6, 3, true);
    mountDamaged(links, /inode \d+ has nlink 3 but 1 directory entries name it/);
  });

  it("damage met after mount makes the file system read-only before anything is built on it", () => {
    const disk = new MemoryBackend(cleanImage(), SMALL.blocks);
    const m = mounted(disk);
    expect(m.fs.fsReadOnly()).toBe(0);
    // The disk changes under the kernel: /d/inner's inode (not cached yet) gets a bad pointer.
    const image = disk.image();
    const inner = lookupPath(image, "d/inner")!;
    const sb = readSuperblock(image);
    const block = new Uint8Array(BSIZE);
    const home = sb.inodestart + Math.floor(inner / 64);
    disk.read(home, block);
    new DataView(block.buffer).setUint32((inner % 64) * 64 + 12, 1, true); // addrs[0] = the superblock
    disk.write(home, block);
    // Push the cached inode block out of the cache, so the kernel reads the changed one.
    expect(m.fs.holdBuffers(1000, m.fs.nbuf(), m.fs.dataAddr())).toBe(m.fs.nbuf());
    m.fs.releaseBuffers(m.fs.nbuf(), m.fs.dataAddr());
    expect(m.readFile("/d/inner")).toBe(E.corrupt);
    expect(m.fs.fsReadOnly()).toBe(1);
    expect(m.logLines().join("\n")).toMatch(/fs: damage: inode \d+ points at block 1, outside the data area.*read-only from now on/);
    expect(m.create("/later")).toBe(E.readonly);
    m.expectNoLeaks();
  });
});

describe("damaged-disk suite", () => {
  // Random corruption of every metadata structure of a disk holding a few
  // files (superblock, bitmap, inode table, directory blocks, an indirect
  // block, the journal, random bytes anywhere in the metadata), mounted by
  // the real kernel code. After each: no trap (a kernel panic), a clear
  // answer (refused, read-only, or read-write), no block outside the log
  // written by a refused or read-only mount, and every file that was intact
  // before still intact after a read-write mount has run a workload.
  // KEEL_DAMAGE_RUNS sets the number of disks (default 40), KEEL_DAMAGE_SEED the seed.
  const FILES: [string, Uint8Array][] = [
    ["keep", pattern(20000, 21)], ["big", pattern(60000, 22)], ["d/inner", pattern(300, 23)], ["d/e/deep", pattern(5000, 24)],
  ];
  const SHAPE: MkfsOptions = { blocks: 1024, inodes: 64, logBlocks: 64 };
  const clean = (() => {
    const disk = freshDisk(SHAPE);
    const m = mounted(disk);
    m.fs.iput(m.create("/d", T_DIR));
    m.fs.iput(m.create("/d/e", T_DIR));
    for (const [name, data] of FILES) {
      const ip = m.create(`/${name}`);
      m.write(ip, 0, data);
      m.fs.iput(ip);
    }
    const image = new Uint8Array(SHAPE.blocks! * BSIZE);
    image.set(disk.image());
    return image;
  })();
  const sb = readSuperblock(clean);
  const inodeOf = (path: string) => readInode(clean, sb, lookupPath(clean, path)!);
  const regions = {
    superblock: [BSIZE, BSIZE + 40],
    bitmap: [sb.bmapstart * BSIZE, sb.bmapstart * BSIZE + Math.ceil((sb.datastart + 64) / 8)],
    inodes: [sb.inodestart * BSIZE, sb.inodestart * BSIZE + 16 * 64],
    root: [inodeOf("").addrs[0]! * BSIZE, inodeOf("").addrs[0]! * BSIZE + 8 * 16],
    dir: [inodeOf("d").addrs[0]! * BSIZE, inodeOf("d").addrs[0]! * BSIZE + 4 * 16],
    indirect: [inodeOf("big").addrs[11]! * BSIZE, inodeOf("big").addrs[11]! * BSIZE + 16],
    metadata: [0, sb.datastart * BSIZE],
  } as const;
  type Region = keyof typeof regions;
  const regionNames = Object.keys(regions) as Region[];

  type Damage =
    | { kind: "byte"; region: Region; at: number; value: number }
    | { kind: "bit"; region: Region; at: number; bit: number }
    | { kind: "log"; targets: number[]; seed: number; sums: "valid" | "garbage" };
  const damage: fc.Arbitrary<Damage> = fc.oneof(
    fc.record({ kind: fc.constant("byte" as const), region: fc.constantFrom(...regionNames), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant("bit" as const), region: fc.constantFrom(...regionNames), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({
      kind: fc.constant("log" as const),
      // Targets among the metadata and the first data blocks, or anywhere (out of range included).
      targets: fc.array(fc.oneof(fc.integer({ min: 0, max: sb.datastart + 40 }), fc.nat({ max: SHAPE.blocks! + 10 })), { minLength: 1, maxLength: 4 }),
      seed: fc.nat(),
      sums: fc.constantFrom("valid" as const, "garbage" as const),
    }),
  );

  function apply(image: Uint8Array, d: Damage): void {
    if (d.kind === "log") {
      // A well-formed transaction of junk blocks: with valid checksums it is a
      // committed transaction (installed, then the check must catch what it did);
      // with garbage ones it must be discarded.
      d.targets.forEach((_, i) => image.set(pattern(BSIZE, d.seed + i), (sb.logstart + 1 + i) * BSIZE));
      writeLogHeader(image, sb, {
        n: d.targets.length, sequence: 5, targets: d.targets,
        ...(d.sums === "garbage" ? { checksums: d.targets.map((_, i) => (d.seed * 7 + i) >>> 0) } : {}),
      });
      return;
    }
    const [from, to] = regions[d.region];
    const at = from + (d.at % (to - from));
    if (d.kind === "byte") image[at] = d.value;
    else image[at] = image[at]! ^ (1 << d.bit);
  }

  /** The files whose contents a host reader sees unchanged (sizes checked first: a damaged size may be huge). */
  function intactFiles(image: Uint8Array): string[] {
    const out: string[] = [];
    for (const [name, data] of FILES) {
      try {
        const inum = lookupPath(image, name);
        if (inum === null) continue;
        const ino = readInode(image, readSuperblock(image), inum);
        if (ino.type !== T_FILE || ino.size !== data.length) continue;
        const got = readPathSafe(image, name);
        if (got && Buffer.compare(got, data) === 0) out.push(name);
      } catch { /* a damaged structure the host reader cannot follow */ }
    }
    return out;
  }
  const readPathSafe = (image: Uint8Array, name: string) => {
    const ino = readInode(image, readSuperblock(image), lookupPath(image, name)!);
    return ino.addrs.every((b) => b < SHAPE.blocks!) ? readFileBytes(image, name) : null;
  };

  const outsideLog = (image: Uint8Array) => image.subarray(0, sb.logstart * BSIZE);

  it("never panics, answers clearly, writes nothing before validation, and keeps intact files intact", () => {
    const runs = Number(process.env.KEEL_DAMAGE_RUNS ?? 40);
    const seen = { refused: 0, readOnly: 0, readWrite: 0 };
    fc.assert(
      fc.property(fc.array(damage, { minLength: 1, maxLength: 4 }), (damages) => {
        const image = clean.slice();
        for (const d of damages) apply(image, d);
        // What the disk holds once the journal has done what the kernel's recovery does.
        const hostView = hostFsck(image, { recover: true });
        const installs = hostView.stats.recovered > 0;
        const intact = hostView.readable ? intactFiles(hostView.image) : [];
        const disk = new MemoryBackend(image, SHAPE.blocks);
        const m = new Machine(disk);
        const r = m.fs.fsMount();
        expect([0, E.corrupt, E.io], `mount answered ${r}`).toContain(r);
        if (r !== 0) {
          seen.refused++;
          if (!installs) expect(Buffer.compare(outsideLog(disk.image()), outsideLog(image)), "a refused mount wrote").toBe(0);
          return;
        }
        if (m.fs.fsReadOnly()) {
          seen.readOnly++;
          const before = disk.image().slice();
          expect(m.create("/new")).toBe(E.readonly);
          for (const name of intact) expectBytes(m.readFile(`/${name}`), FILES.find(([n]) => n === name)![1], name);
          for (const [name] of FILES) m.readFile(`/${name}`); // damaged ones: an answer, not a trap
          expect(Buffer.compare(disk.image(), before), "a read-only file system wrote").toBe(0);
          if (!installs) expect(Buffer.compare(outsideLog(disk.image()), outsideLog(image)), "a read-only mount wrote").toBe(0);
          return;
        }
        seen.readWrite++;
        // A read-write mount: a workload, then every intact file still intact.
        const ip = m.create("/w");
        if (ip > 0) {
          m.write(ip, 0, pattern(30000, 5));
          m.fs.iput(ip);
        }
        m.fs.iput(m.create("/wd", T_DIR));
        m.unlink("/w");
        const after = disk.image();
        for (const name of intact) expectBytes(readFileBytes(after, name) ?? new Uint8Array(), FILES.find(([n]) => n === name)![1], `${name} after a read-write mount`);
        for (const name of intact) expectBytes(m.readFile(`/${name}`), FILES.find(([n]) => n === name)![1], name);
      }),
      { numRuns: runs, seed: Number(process.env.KEEL_DAMAGE_SEED ?? 19) },
    );
    // The generator reaches all three outcomes.
    expect(seen.readOnly).toBeGreaterThan(0);
    expect(seen.readWrite + seen.refused).toBeGreaterThan(0);
  }, 120_000);
});
