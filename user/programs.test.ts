// The user programs, run for real before the Keel kernel can run them: each
// program is linked against test/linux-shim.c (Keel's system calls on Linux
// system calls) instead of lib/usys.S and run under qemu-riscv64. This
// exercises the RV64 code clang generates for the library and the programs
// (argument passing, printf, malloc, the shell's fork/pipe/dup/exec
// plumbing) end to end. Keel-specific behaviour (exit statuses wider than 8
// bits, procs, mknod, fault statuses) is the kernel's to test; see
// syscalltest. Skipped when qemu-riscv64 is not installed.

import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CFLAGS, CFLAGS_GC, programOptions } from "./build.mjs";

const USER = dirname(fileURLToPath(import.meta.url));
const QEMU = ["/usr/bin/qemu-riscv64", "/usr/local/bin/qemu-riscv64"].find((p) => existsSync(p));
const programs = readdirSync(join(USER, "prog"))
  .filter((f) => f.endsWith(".c"))
  .map((f) => f.slice(0, -2))
  .sort();

let work = "";
let root = "";

beforeAll(() => {
  if (!QEMU) return;
  work = mkdtempSync(join(tmpdir(), "keel-qemu-"));
  root = join(work, "root");
  const obj = join(work, "obj");
  mkdirSync(root);
  mkdirSync(obj);
  // Each program is built as user/build.mjs builds it (its `// keel:` line:
  // rv64imac/lp64 or rv64gc/lp64d, user.ld or lld's own layouts), against the
  // library, start code and shim of its variant.
  const cc = (flags: string[], src: string, out: string, extra: string[] = []) => execFileSync("clang", [...flags, ...extra, "-c", src, "-o", out], { cwd: USER });
  const variants = { rv64imac: CFLAGS, rv64gc: CFLAGS_GC };
  const runtime = new Map<string, string[]>();
  for (const [arch, flags] of Object.entries(variants)) {
    cc(flags, "test/linux-start.S", join(obj, `${arch}_start.o`));
    cc(flags, "test/linux-shim.c", join(obj, `${arch}_shim.o`), [`-DKEEL_ROOT="${root}"`, `-DQEMU_PATH="${QEMU}"`]);
    const lib = readdirSync(join(USER, "lib"))
      .filter((f) => f.endsWith(".c"))
      .sort()
      .map((f) => {
        const out = join(obj, `${arch}_lib_${f}.o`);
        cc(flags, `lib/${f}`, out);
        return out;
      });
    runtime.set(arch, [join(obj, `${arch}_start.o`), join(obj, `${arch}_shim.o`), ...lib]);
  }
  for (const p of programs) {
    const { arch, cflags, ldflags } = programOptions(p);
    cc(cflags, `prog/${p}.c`, join(obj, `${p}.o`));
    execFileSync("ld.lld", [...ldflags, "-o", join(root, p), ...runtime.get(arch)!, join(obj, `${p}.o`)], { cwd: USER });
  }
  writeFileSync(join(root, "README"), readFileSync(join(USER, "fs", "README")));
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Runs one program in the test root; returns its status and output. */
function run(program: string, args: string[], input = ""): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(QEMU!, [join(root, program), ...args], { cwd: root, input, encoding: "utf8", timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
const sh = (line: string) => run("sh", ["-c", line]);

describe.skipIf(!QEMU)("user programs under qemu-riscv64", () => {
  it("echo prints its arguments, and -n drops the newline", () => {
    expect(run("echo", ["hello", "keel", "world"]).stdout).toBe("hello keel world\n");
    expect(run("echo", ["-n", "x"]).stdout).toBe("x");
    expect(run("echo", []).stdout).toBe("\n");
  });

  it("true and false exit 0 and 1", () => {
    expect(run("true", []).status).toBe(0);
    expect(run("false", []).status).toBe(1);
  });

  it("cat, wc and grep agree with the README's contents", () => {
    const readme = readFileSync(join(USER, "fs", "README"), "utf8");
    expect(run("cat", ["README"]).stdout).toBe(readme);
    const lines = readme.split("\n").length - 1;
    const words = readme.split(/\s+/).filter(Boolean).length;
    expect(run("wc", ["README"]).stdout).toBe(`${String(lines).padStart(7)} ${String(words).padStart(7)} ${String(readme.length).padStart(7)} README\n`);
    const want = readme.split("\n").filter((l) => /^ .*sh/.test(l));
    expect(run("grep", ["^ .*sh", "README"]).stdout).toBe(want.map((l) => l + "\n").join(""));
    expect(run("grep", ["no such text", "README"]).status).toBe(1);
    expect(run("cat", ["missing"]).stderr).toMatch(/^cat: missing: /);
  });

  it("ls lists every program as a file with its size, reading 16-byte directory entries", () => {
    const out = run("ls", ["/"]).stdout;
    for (const p of programs) {
      const line = out.split("\n").find((l) => l.split(/\s+/)[0] === p);
      expect(line, p).toBeDefined();
      const [, type, , size] = line!.split(/\s+/);
      expect(type).toBe("file");
      expect(Number(size)).toBe(statSync(join(root, p)).size);
    }
  });

  it("the shell runs pipelines of any length", () => {
    expect(sh("echo a b c | grep b | wc").stdout).toBe("      1       3       6\n");
    const long = "echo x" + " | cat".repeat(20) + " | wc";
    expect(sh(long).stdout).toBe("      1       1       2\n");
  });

  it("the shell redirects, sequences, runs background jobs, skips comments and runs scripts", () => {
    expect(sh("echo hi > out.txt; cat < out.txt; rm out.txt # not run: echo no").stdout).toBe("hi\n");
    // The background job outlives the shell (half a second): with `sleep 1`
    // (10 ms) a loaded machine could finish it first, and sh reports it done.
    const bg = sh("sleep 50 & echo fg");
    expect(bg.stdout).toMatch(/^\[\d+\]\nfg\n$/);
    writeFileSync(join(root, "script"), "echo one\n# comment\necho two | cat\n");
    expect(run("sh", ["script"]).stdout).toBe("one\ntwo\n");
    expect(run("sh", [], "echo from stdin\nexit 3\necho never\n")).toMatchObject({ stdout: "from stdin\n", status: 3 });
  });

  it("the shell's cd changes directory for later commands", () => {
    expect(sh("mkdir d1; cd d1; echo in-d1 > f; cd /; cat d1/f; rm d1/f; rm d1").stdout).toBe("in-d1\n");
  });

  it("the shell reports syntax errors and missing programs clearly", () => {
    expect(sh("echo a | | b")).toMatchObject({ stderr: "sh: syntax error near '|'\n", status: 2 });
    expect(sh("cat >")).toMatchObject({ stderr: "sh: syntax error near '>'\n", status: 2 });
    expect(sh("nosuch arg")).toMatchObject({ stderr: "sh: nosuch: not found\n", status: 127 });
    expect(sh("echo 'unclosed").stderr).toBe("sh: syntax error: unmatched '\n");
  });

  it("forktest forks, exits and waits", () => {
    // Linux keeps 8 bits of exit status, so stay below 18 children here.
    expect(run("forktest", ["15"])).toMatchObject({ stdout: "forktest: OK (15 children)\n", status: 0 });
  });

  it("nice runs a command at a given nice value and rejects bad ones", () => {
    expect(run("nice", ["5", "echo", "niced"]).stdout).toBe("niced\n");
    expect(run("nice", ["50", "echo", "x"]).status).toBe(2);
  });

  it("kill and sleep validate their arguments", () => {
    expect(run("kill", ["abc"])).toMatchObject({ status: 1, stderr: "kill: abc: not a process id\n" });
    expect(run("sleep", ["-3"]).status).toBe(2);
    expect(run("sleep", ["1"]).status).toBe(0);
  });

  it("spin reports a row per child", () => {
    const r = run("spin", ["2", "1"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^spin: 2 children for \d+ ms\n/);
    expect(r.stdout.split("\n").filter((l) => /^\s*\d+\s+0\s+\d+\s+\d+\s+[\d.]+%$/.test(l))).toHaveLength(2);
  });

  it("syscalltest's kill checks pass on Linux too, and its report counts them", () => {
    const r = run("syscalltest", ["kill"]);
    expect(r.stdout).toMatch(/syscalltest: 9 passed, 0 failed\n$/);
    expect(r.status).toBe(0);
  });

  it("fptest (rv64gc/lp64d, lld's default layout) and segs (-Ttext=) print what user/test/*.expected hold", () => {
    // The same files are what the shell must print (host/userland.test.ts),
    // so the two runs agree byte for byte.
    for (const p of ["fptest", "segs"]) {
      const r = run(p, []);
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(readFileSync(join(USER, "test", `${p}.expected`), "utf8"));
    }
  });

  it("fptest fork keeps FP state per process and exec clears it, on Linux too", () => {
    const r = run("fptest", ["fork"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^fork: OK$/m);
    expect(r.stdout).toMatch(/^fresh: fcsr and f0..f31 zero after exec$/m);
    expect(r.status).toBe(0);
  });
});
