#!/usr/bin/env node
// Keel user land build: compiles user/lib twice, for RV64IMAC with the
// soft-float lp64 ABI (the xv6 ABI every program uses by default) and for
// RV64GC with lp64d, then every user/prog/*.c for the variant its source asks
// for, links each program with ld.lld against the matching library objects
// into user/bin/<name>, then writes the boot file system image
// user/bin/bootfs.img (user/mkbootfs.ts) holding every program and user/fs/*.
//
// A program chooses with one line in its source (docs/userland.md):
//   // keel: rv64gc          build with -march=rv64gc -mabi=lp64d (doubles in
//                            FP registers) and link the lp64d library
//   // keel: layout=lld      link with lld's own default layout (no user.ld:
//                            segments from 0x10000, starting mid-page)
//   // keel: layout=ttext    lld's default layout with -Ttext=0x10000
// Without a line: rv64imac/lp64 and user.ld (text at 0, data on the next page).
//
// Each program also gets an unstripped copy for gdb, user/bin/<name>.debug
// (docs/debugging.md): the same sources compiled again with DWARF (-g) and
// linked the same way. The build checks that its loadable segments are
// byte for byte those of user/bin/<name> (same code and data at the same
// addresses; the ELF header's section-table fields aside, which lld's own
// layouts map with the headers and nothing reads), so gdb's view is exactly what the machine runs. *.debug files
// never go into bootfs.img or the disk image.
//
// The output is reproducible: no debug info in the programs, no build ids, inputs in sorted
// order and relative paths, so the same sources give the same bytes on any
// machine. `--check` rebuilds into a temporary directory and exits 1 listing
// the files that differ from the committed user/bin (CI runs it).
//
// Usage: node user/build.mjs [--check] [--out DIR] [--verbose]
// Needs: clang and ld.lld on PATH (override with $CLANG / $LD_LLD), Node 20.

import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const USER = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(USER, "..");
const CLANG = process.env.CLANG ?? "clang";
const LD_LLD = process.env.LD_LLD ?? "ld.lld";

export const TARGET_FLAGS = ["--target=riscv64", "-march=rv64imac", "-mabi=lp64", "-mno-relax"];
export const TARGET_FLAGS_GC = ["--target=riscv64", "-march=rv64gc", "-mabi=lp64d", "-mno-relax"];
const COMMON_CFLAGS = [
  "-O2",
  "-ffreestanding",
  "-fno-builtin",
  "-nostdlib",
  "-static",
  "-fno-pic",
  "-fno-stack-protector",
  "-fno-asynchronous-unwind-tables",
  "-fno-unwind-tables",
  "-ffunction-sections",
  "-fdata-sections",
  "-fdebug-prefix-map=" + ROOT + "=.",
  "-Wall",
  "-Werror",
  "-Iinclude",
];
export const CFLAGS = [...TARGET_FLAGS, ...COMMON_CFLAGS];
export const CFLAGS_GC = [...TARGET_FLAGS_GC, ...COMMON_CFLAGS];
/** Suffix of the unstripped copy of each program (for gdb; never on a disk). */
export const DEBUG_SUFFIX = ".debug";
/** Extra compiler flags of the debug copies' objects. */
// The assembler does not apply -fdebug-prefix-map to the compilation
// directory; naming it outright keeps start.S and usys.S reproducible too.
export const DEBUG_CFLAGS = ["-g", "-fdebug-compilation-dir=./user"];
/** Extra linker flags of the debug copies: the DWARF of functions that
 *  --gc-sections dropped points at an address no code has (not at 0, where
 *  gdb would take them for _start's neighbours). */
export const DEBUG_LDFLAGS = ["-z", "dead-reloc-in-nonalloc=.debug_*=0xffffffffffffffff"];
export const LDFLAGS = ["-T", "user.ld", "--gc-sections", "--build-id=none", "-z", "max-page-size=4096", "-static", "-nostdlib"];
const LDFLAGS_PLAIN = ["--gc-sections", "--build-id=none", "-static", "-nostdlib"];
export const LAYOUT_LDFLAGS = { keel: LDFLAGS, lld: LDFLAGS_PLAIN, ttext: [...LDFLAGS_PLAIN, "-Ttext=0x10000"] };

/**
 * How program `name` is built, from the `// keel:` line of user/prog/NAME.c:
 * arch "rv64imac" (lp64) or "rv64gc" (lp64d), layout "keel", "lld" or
 * "ttext", and the compiler and linker flags that follow. An unknown word on
 * the line is an error, so a typo cannot silently build the wrong variant.
 */
export function programOptions(name) {
  const source = readFileSync(join(USER, "prog", `${name}.c`), "utf8");
  const line = /^\/\/ keel:(.*)$/m.exec(source);
  let arch = "rv64imac";
  let layout = "keel";
  for (const word of line ? line[1].trim().split(/\s+/) : []) {
    if (word === "rv64gc") arch = "rv64gc";
    else if (word.startsWith("layout=") && word.slice(7) in LAYOUT_LDFLAGS) layout = word.slice(7);
    else throw new Error(`prog/${name}.c: unknown word "${word}" on its "// keel:" line`);
  }
  return { arch, layout, cflags: arch === "rv64gc" ? CFLAGS_GC : CFLAGS, ldflags: LAYOUT_LDFLAGS[layout] };
}

/** Runs a command with cwd = user/, resolving with its output or rejecting with it. */
function run(cmd, args) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd: USER, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("error", (e) => reject(new Error(`${cmd}: ${e.message}`)));
    child.on("close", (code) => (code === 0 ? resolvePromise(output) : reject(new Error(`${cmd} ${args.join(" ")}\n${output}`))));
  });
}

/** Runs async jobs with at most `limit` in flight. */
async function pool(jobs, limit) {
  const results = [];
  let next = 0;
  async function worker() {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]();
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  return results;
}

const sorted = (names) => [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

export function programNames() {
  return sorted(readdirSync(join(USER, "prog")).filter((f) => f.endsWith(".c"))).map((f) => f.slice(0, -2));
}

export function librarySources() {
  return sorted(readdirSync(join(USER, "lib")).filter((f) => f.endsWith(".c") || f.endsWith(".S"))).map((f) => "lib/" + f);
}

/** Builds everything into outDir (absolute). Returns the names of the files written. */
export async function build(outDir, { verbose = false } = {}) {
  const objDir = mkdtempSync(join(tmpdir(), "keel-user-obj-"));
  try {
    mkdirSync(outDir, { recursive: true });
    const limit = Math.max(1, cpus().length);
    const log = (line) => verbose && console.log(line);
    const objectOf = (src, arch, debug = false) => join(objDir, `${arch}_` + src.replace(/[/.]/g, "_") + (debug ? ".g.o" : ".o"));

    const lib = librarySources();
    const progs = programNames();
    const options = new Map(progs.map((p) => [p, programOptions(p)]));
    const jobs = [
      ...lib.map((src) => ({ src, arch: "rv64imac", cflags: CFLAGS })),
      ...lib.map((src) => ({ src, arch: "rv64gc", cflags: CFLAGS_GC })),
      ...progs.map((p) => ({ src: `prog/${p}.c`, arch: options.get(p).arch, cflags: options.get(p).cflags })),
    ];
    const compiles = jobs.flatMap(({ src, arch, cflags }) => [
      async () => {
        log(`  CC    ${src} (${arch})`);
        await run(CLANG, [...cflags, "-c", src, "-o", objectOf(src, arch)]);
      },
      async () => {
        log(`  CC -g ${src} (${arch})`);
        await run(CLANG, [...cflags, ...DEBUG_CFLAGS, "-c", src, "-o", objectOf(src, arch, true)]);
      },
    ]);
    await pool(compiles, limit);

    const links = progs.map((p) => async () => {
      const { arch, ldflags } = options.get(p);
      log(`  LD    bin/${p} bin/${p}${DEBUG_SUFFIX}`);
      const binary = join(outDir, p);
      const debugCopy = binary + DEBUG_SUFFIX;
      await run(LD_LLD, [...ldflags, "-o", binary, ...lib.map((src) => objectOf(src, arch)), objectOf(`prog/${p}.c`, arch)]);
      await run(LD_LLD, [...ldflags, ...DEBUG_LDFLAGS, "-o", debugCopy, ...lib.map((src) => objectOf(src, arch, true)), objectOf(`prog/${p}.c`, arch, true)]);
      const why = sameLoadedImage(readFileSync(binary), readFileSync(debugCopy));
      if (why !== null) throw new Error(`bin/${p}${DEBUG_SUFFIX} does not load the same image as bin/${p}: ${why}`);
    });
    await pool(links, limit);

    log("  FS    bin/bootfs.img");
    const tsx = join(ROOT, "node_modules", "tsx", "dist", "cli.mjs");
    const fsFiles = sorted(readdirSync(join(USER, "fs"))).map((f) => `${f}=${join(USER, "fs", f)}`);
    const result = spawnSync(
      process.execPath,
      [tsx, join(USER, "mkbootfs.ts"), "--out", join(outDir, "bootfs.img"), "--console", ...progs.map((p) => `${p}=${join(outDir, p)}`), ...fsFiles],
      { cwd: ROOT, encoding: "utf8" },
    );
    if (result.status !== 0) throw new Error(`mkbootfs failed:\n${result.stdout}${result.stderr}`);
    return [...progs, ...progs.map((p) => p + DEBUG_SUFFIX), "bootfs.img"];
  } finally {
    rmSync(objDir, { recursive: true, force: true });
  }
}

/** The ELF header's section-table fields (e_shoff; e_shnum and e_shstrndx):
 *  a debug copy has more sections, and nothing that runs reads them. */
const SECTION_FIELDS = [[40, 48], [60, 64]];

/** The PT_LOAD segments of an ELF64 little-endian file: where, how and what
 *  they load. A segment that maps the ELF header (lld's own layouts put the
 *  headers in the first segment) has the section-table fields zeroed. */
export function loadSegments(file) {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const PT_LOAD = 1;
  const phoff = Number(view.getBigUint64(32, true));
  const phentsize = view.getUint16(54, true);
  const phnum = view.getUint16(56, true);
  const segments = [];
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    if (view.getUint32(ph, true) !== PT_LOAD) continue;
    const offset = Number(view.getBigUint64(ph + 8, true));
    const filesz = Number(view.getBigUint64(ph + 32, true));
    let bytes = file.subarray(offset, offset + filesz);
    if (offset < 64) {
      bytes = Uint8Array.from(bytes);
      for (const [from, to] of SECTION_FIELDS) bytes.fill(0, Math.max(0, from - offset), Math.max(0, to - offset));
    }
    segments.push({
      flags: view.getUint32(ph + 4, true),
      vaddr: view.getBigUint64(ph + 16, true),
      memsz: view.getBigUint64(ph + 40, true),
      bytes,
    });
  }
  return { entry: view.getBigUint64(24, true), segments };
}

/** null when two ELF files load the same bytes at the same addresses with the same entry, else what differs. */
export function sameLoadedImage(a, b) {
  const x = loadSegments(a);
  const y = loadSegments(b);
  if (x.entry !== y.entry) return "entry points differ";
  if (x.segments.length !== y.segments.length) return "segment counts differ";
  for (let i = 0; i < x.segments.length; i++) {
    const s = x.segments[i];
    const t = y.segments[i];
    if (s.vaddr !== t.vaddr || s.memsz !== t.memsz || s.flags !== t.flags) return `segment ${i} is placed differently`;
    if (!Buffer.from(s.bytes).equals(Buffer.from(t.bytes))) return `segment ${i} holds different bytes`;
  }
  return null;
}

/** Compares a fresh build with the committed user/bin; returns the names that differ. */
export async function check() {
  const fresh = mkdtempSync(join(tmpdir(), "keel-user-check-"));
  try {
    const built = await build(fresh);
    const committed = join(USER, "bin");
    const names = new Set([...built, ...(existsSync(committed) ? readdirSync(committed) : [])]);
    const differ = [];
    for (const name of sorted(names)) {
      const a = join(fresh, name);
      const b = join(committed, name);
      if (!existsSync(a)) differ.push(`${name} (committed but no longer built)`);
      else if (!existsSync(b)) differ.push(`${name} (built but not committed)`);
      else if (!readFileSync(a).equals(readFileSync(b))) differ.push(`${name} (contents differ)`);
    }
    return differ;
  } finally {
    rmSync(fresh, { recursive: true, force: true });
  }
}

async function main() {
  const args = process.argv.slice(2);
  const verbose = args.includes("--verbose");
  if (args.includes("--check")) {
    const differ = await check();
    if (differ.length > 0) {
      console.error("user/bin is out of date; run `node user/build.mjs` and commit user/bin:");
      for (const d of differ) console.error("  " + d);
      process.exit(1);
    }
    console.log("user/bin matches a fresh build");
    return;
  }
  const outIndex = args.indexOf("--out");
  const outDir = outIndex >= 0 ? resolve(args[outIndex + 1]) : join(USER, "bin");
  const written = await build(outDir, { verbose });
  console.log(`built ${written.length} files into ${relative(ROOT, outDir) || "."}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(e.message);
    process.exit(1);
  });
}
