// The file-system programs (cksum, stressfs, fsbench, df) before the Keel
// disk file system can run them.
//
// cksum is compiled for the host, whole, with clang under AddressSanitizer
// and UBSan: its system calls and library calls are renamed to ulib_* by
// user/test/host-rename.h (as user/ulib.test.ts does for the library), the
// portable library files supply printf and friends, and a few lines of C
// below supply the calls on top of the host's. Its CRC is checked against
// node:zlib's crc32 on random data.
//
// stressfs, fsbench, df and cksum are also built for RV64 and run under
// qemu-riscv64 on the host's file system, linked with user/test/linux-shim.c
// as user/programs.test.ts does, plus the test-only C below: fsinfo() on
// Linux statfs (or failing, as on the boot file system), and a variant of
// write() that flips one byte of every file at a chosen offset, to see
// stressfs catch it. Skipped without qemu.

import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statfsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { crc32 } from "node:zlib";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CFLAGS, LDFLAGS } from "./build.mjs";

const USER = dirname(fileURLToPath(import.meta.url));
const QEMU = ["/usr/bin/qemu-riscv64", "/usr/local/bin/qemu-riscv64"].find((p) => existsSync(p));
const HOST_FLAGS = ["-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-builtin", "-Wall", "-Werror"];
// malloc.c takes sync.c's mutex, whose futex calls host-futex.c provides.
const HOST_LIBRARY = ["string", "ctype", "printf", "malloc", "stdlib", "sync"];
const CORRUPT_AT = 5000;

// Keel's calls for a program compiled for the host. Keel's struct stat and
// open flags are spelled out here, since user.h cannot meet the host's headers.
const HOST_CALLS = `
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
struct keel_stat { int dev; unsigned ino; short type; short nlink; unsigned pad; unsigned long size; };
int ulib_write(int fd, const void *buf, int n) { return n < 0 ? -1 : (int)write(fd, buf, (size_t)n); }
int ulib_read(int fd, void *buf, int n) { return n < 0 ? -1 : (int)read(fd, buf, (size_t)n); }
int ulib_open(const char *path, int flags) {
  int f = (flags & 3) | (flags & 0x200 ? O_CREAT : 0) | (flags & 0x400 ? O_TRUNC : 0);
  return open(path, f, 0644);
}
int ulib_close(int fd) { return close(fd); }
int ulib_fstat(int fd, struct keel_stat *st) {
  struct stat s;
  if (fstat(fd, &s) < 0) return -1;
  st->dev = (int)s.st_dev, st->ino = (unsigned)s.st_ino, st->nlink = (short)s.st_nlink, st->pad = 0;
  st->type = S_ISDIR(s.st_mode) ? 1 : S_ISREG(s.st_mode) ? 2 : 3;
  st->size = (unsigned long)s.st_size;
  return 0;
}
int ulib_errstr(char *buf, int n) {
  if (n <= 0) return 0;
  strncpy(buf, strerror(errno), (size_t)n - 1);
  buf[n - 1] = 0;
  return (int)strlen(buf);
}
__attribute__((noreturn)) void ulib_exit(int status) { _exit(status); }
static _Alignas(4096) char arena[1 << 20];
static size_t brk_used;
char *ulib_sbrk(int n) {
  if (n < 0 ? (size_t)-(long)n > brk_used : brk_used + (size_t)n > sizeof arena) return (char *)-1;
  char *old = arena + brk_used;
  brk_used += (size_t)(long)n;
  return old;
}
`;

// Test-only additions to linux-shim.c for the RV64 builds.
const QEMU_EXTRAS = `
#include "user.h"
__attribute__((unused)) static long linux_call(long n, long a, long b, long c) {
  register long a0 __asm__("a0") = a;
  register long a1 __asm__("a1") = b;
  register long a2 __asm__("a2") = c;
  register long a7 __asm__("a7") = n;
  __asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a7) : "memory");
  return a0;
}
enum { L_lseek = 62, L_statfs = 43, L_SEEK_CUR = 1 };

int fsinfo(struct fsinfo *out) {
#ifdef FSINFO_FAILS
  (void)out;
  return -1;
#else
  long st[15];  // the generic 64-bit struct statfs: type, bsize, blocks, bfree, bavail, files, ffree, ...
  if (linux_call(L_statfs, (long)".", (long)st, 0) < 0) return -1;
  out->block_size = (uint64)st[1], out->blocks = (uint64)st[2], out->free_blocks = (uint64)st[3];
  out->inodes = (uint64)st[5], out->free_inodes = (uint64)st[6];
  return 0;
#endif
}

#ifdef CORRUPT_AT
// Linked with --wrap=write: a write to a seekable file that covers offset
// CORRUPT_AT stores that byte inverted.
int __real_write(int fd, const void *buf, int n);
int __wrap_write(int fd, const void *buf, int n) {
  static char copy[65536];
  long off = fd > 2 && n > 0 ? linux_call(L_lseek, fd, 0, L_SEEK_CUR) : -1;
  if (off < 0 || off > CORRUPT_AT || off + n <= CORRUPT_AT || n > (int)sizeof copy) return __real_write(fd, buf, n);
  memcpy(copy, buf, (size_t)n);
  copy[CORRUPT_AT - off] ^= 0xff;
  return __real_write(fd, copy, n);
}
#endif
`;

let work = "";
let hostCksum = "";
let root = "";

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "keel-fsprogs-"));
  writeFileSync(join(work, "host-calls.c"), HOST_CALLS);
  writeFileSync(join(work, "qemu-extras.c"), QEMU_EXTRAS);

  const hostObjects = HOST_LIBRARY.map((name) => {
    const out = join(work, `host_${name}.o`);
    execFileSync("clang", [...HOST_FLAGS, "-I", join(USER, "include"), "-include", join(USER, "test", "host-rename.h"), "-c", join(USER, "lib", `${name}.c`), "-o", out]);
    return out;
  });
  const cksumObject = join(work, "host_cksum.o");
  execFileSync("clang", [...HOST_FLAGS, "-I", join(USER, "include"), "-include", join(USER, "test", "host-rename.h"), "-c", join(USER, "prog", "cksum.c"), "-o", cksumObject]);
  hostCksum = join(work, "cksum-host");
  execFileSync("clang", [...HOST_FLAGS, join(work, "host-calls.c"), join(USER, "test", "host-futex.c"), cksumObject, ...hostObjects, "-o", hostCksum]);

  if (!QEMU) return;
  root = join(work, "root");
  const obj = join(work, "obj");
  mkdirSync(root);
  mkdirSync(obj);
  const cc = (src: string, out: string, extra: string[] = []) => execFileSync("clang", [...CFLAGS, ...extra, "-c", src, "-o", out], { cwd: USER });
  cc("test/linux-start.S", join(obj, "start.o"));
  cc("test/linux-shim.c", join(obj, "shim.o"), [`-DKEEL_ROOT="${root}"`, `-DQEMU_PATH="${QEMU}"`]);
  cc(join(work, "qemu-extras.c"), join(obj, "extras.o"));
  cc(join(work, "qemu-extras.c"), join(obj, "extras-fail.o"), ["-DFSINFO_FAILS"]);
  cc(join(work, "qemu-extras.c"), join(obj, "extras-corrupt.o"), [`-DCORRUPT_AT=${CORRUPT_AT}`]);
  const lib = readdirSync(join(USER, "lib"))
    .filter((f) => f.endsWith(".c"))
    .sort()
    .map((f) => {
      const out = join(obj, `lib_${f}.o`);
      cc(`lib/${f}`, out);
      return out;
    });
  const link = (program: string, out: string, extras: string, extraFlags: string[] = []) => {
    const o = join(obj, `${program}.o`);
    if (!existsSync(o)) cc(`prog/${program}.c`, o);
    execFileSync("ld.lld", [...LDFLAGS, ...extraFlags, "-o", join(root, out), join(obj, "start.o"), join(obj, "shim.o"), join(obj, extras), ...lib, o], { cwd: USER });
  };
  for (const p of ["cksum", "df", "fsbench", "stressfs"]) link(p, p, "extras.o");
  link("df", "df-ro", "extras-fail.o");
  link("stressfs", "stressfs-bad", "extras-corrupt.o", ["--wrap=write"]);
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

type Run = { status: number | null; stdout: string; stderr: string };

function runHost(args: string[], input: string | Buffer = "", cwd = work): Run {
  const r = spawnSync(hostCksum, args, { cwd, input, encoding: "utf8", maxBuffer: 16 << 20, env: { ...process.env, ASAN_OPTIONS: "detect_leaks=0" } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function runQemu(program: string, args: string[], cwd: string, input = ""): Run {
  const r = spawnSync(QEMU!, [join(root, program), ...args], { cwd, input, encoding: "utf8", timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A fresh empty directory under the work directory. */
let dirs = 0;
function freshDir(): string {
  const d = join(work, `d${dirs++}`);
  mkdirSync(d);
  return d;
}

describe("cksum's CRC-32, compiled for the host", () => {
  it("gives the standard check value and the empty input's", () => {
    expect(runHost([], "123456789").stdout).toBe("3421780262 9\n"); // 0xCBF43926
    expect(runHost([], "").stdout).toBe("0 0\n");
    expect(runHost([], "a").stdout).toBe(`${crc32("a")} 1\n`);
  });

  it("agrees with zlib's crc32 and the length on random files and on standard input", () => {
    const dir = freshDir();
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 20000 }), { minLength: 1, maxLength: 4 }), (datas) => {
        const names = datas.map((d, i) => {
          writeFileSync(join(dir, `f${i}`), d);
          return `f${i}`;
        });
        const r = runHost(names, "", dir);
        expect(r.status).toBe(0);
        expect(r.stdout).toBe(datas.map((d, i) => `${crc32(d)} ${d.length} ${names[i]}\n`).join(""));
        const last = datas[datas.length - 1]!;
        expect(runHost([], Buffer.from(last), dir).stdout).toBe(`${crc32(last)} ${last.length}\n`);
      }),
      { numRuns: 25 },
    );
  });

  it("names a missing file and a directory, still sums the rest, and exits 1", () => {
    const dir = freshDir();
    writeFileSync(join(dir, "ok"), "hello\n");
    mkdirSync(join(dir, "sub"));
    const r = runHost(["nope", "ok", "sub"], "", dir);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(`${crc32("hello\n")} 6 ok\n`);
    expect(r.stderr).toMatch(/^cksum: nope: cannot open: No such file or directory\ncksum: sub: is a directory\n$/);
  });
});

describe.skipIf(!QEMU)("file-system programs under qemu-riscv64", () => {
  it("cksum agrees with zlib on a file", () => {
    const dir = freshDir();
    const data = Buffer.from(Array.from({ length: 70000 }, (_, i) => (i * 31 + (i >> 8)) & 0xff));
    writeFileSync(join(dir, "data"), data);
    expect(runQemu("cksum", ["data"], dir).stdout).toBe(`${crc32(data)} 70000 data\n`);
  });

  it("stressfs: concurrent writers verify their files, report, and leave nothing behind", () => {
    const dir = freshDir();
    const r = runQemu("stressfs", [], dir);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines[lines.length - 1]).toBe("stressfs: 4 writers OK");
    for (let w = 0; w < 4; w++) expect(lines.filter((l) => l.startsWith(`stressfs: writer ${w}: stressfs.${w}: 64 KiB written, read back, verified and removed`))).toHaveLength(1);
    expect(readdirSync(dir)).toEqual([]);

    const big = runQemu("stressfs", ["9", "300"], dir);
    expect(big.status).toBe(0);
    expect(big.stdout).toMatch(/stressfs: 9 writers OK\n$/);
    expect(readdirSync(dir)).toEqual([]);
  }, 120_000);

  it("stressfs reports the first corrupted byte: file, offset, expected, got; and exits 1", () => {
    const dir = freshDir();
    const r = runQemu("stressfs-bad", ["3", "16"], dir);
    expect(r.status).toBe(1);
    const m = r.stdout.match(/^stressfs: stressfs\.0: offset 5000: expected 0x([0-9a-f]{2}), got 0x([0-9a-f]{2})$/m);
    expect(m, r.stdout).not.toBeNull();
    expect(parseInt(m![1]!, 16) ^ parseInt(m![2]!, 16)).toBe(0xff);
    expect(r.stdout).toMatch(/stressfs: 3 of 3 writers failed\n$/);
    expect(readdirSync(dir).sort()).toEqual(["stressfs.0", "stressfs.1", "stressfs.2"]); // kept for inspection
  });

  it("stressfs refuses bad arguments with its usage", () => {
    const dir = freshDir();
    for (const args of [["0"], ["61"], ["2", "0"], ["1", "2", "3"]]) {
      const r = runQemu("stressfs", args, dir);
      expect(r.status, args.join(" ")).toBe(2);
      expect(r.stderr).toMatch(/^usage: stressfs/);
    }
  });

  it("fsbench prints its four measurements and removes what it made", () => {
    const dir = freshDir();
    const r = runQemu("fsbench", [], dir);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines.map((l) => l.replace(/ \d+\.\d\d /, " V "))).toEqual([
      "fsbench create-1k V us/file",
      "fsbench seq-write-16m V MB/s",
      "fsbench seq-read-16m V MB/s",
      "fsbench list-500 V ms/listing",
    ]);
    expect(readdirSync(dir)).toEqual([]);
  }, 120_000);

  it("df prints the header and one line whose sizes add up", () => {
    const dir = freshDir();
    const r = runQemu("df", [], dir);
    expect(r.status).toBe(0);
    const [header, line, ...rest] = r.stdout.split("\n");
    expect(header).toMatch(/^Filesystem +KiB +Used +Avail +Use% +Inodes +IUsed +IFree$/);
    expect(rest).toEqual([""]);
    const f = line!.trim().split(/ +/);
    expect(f[0]).toBe("/");
    const [size, used, avail, , inodes, iused, ifree] = f.slice(1).map((x) => parseInt(x, 10));
    const s = statfsSync(dir);
    expect(size).toBe(Math.floor((s.blocks * s.bsize) / 1024));
    expect(used! + avail!).toBe(size);
    expect(f[4]).toBe(`${size ? Math.ceil((used! * 100) / size!) : 0}%`);
    expect(inodes).toBe(s.files);
    expect(iused! + ifree!).toBe(inodes);
  });

  it("df says plainly when there is no disk file system, and exits 1", () => {
    const r = runQemu("df-ro", [], freshDir());
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^df: \/: not a disk file system \(fsinfo: .*\); the read-only boot file system has no space to report\n$/);
  });
});
