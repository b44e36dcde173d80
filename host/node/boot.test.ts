import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { BootArgsError, parseBootArgs } from "./args.js";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fsck } from "../fs/fsck.js";
import { declaredDiskBlocks } from "../fs/format.js";
import { packDisk, unpackDisk } from "../disk/kdisk.js";

const require = createRequire(import.meta.url);
const tsxCli = require.resolve("tsx/cli");
const runner = fileURLToPath(new URL("./boot.ts", import.meta.url));

function runKeel(args: string[], input: string, cwd?: string) {
  return spawnSync(process.execPath, [tsxCli, runner, ...args], { input, encoding: "utf8", timeout: 30_000, ...(cwd ? { cwd } : {}) });
}

describe("runner options", () => {
  it("has sensible defaults", () => {
    expect(parseBootArgs([])).toEqual({
      ramMiB: 128, clock: "realtime", cpus: 1, cmdline: "", vga: false, debug: false, help: false, bootfs: "user/bin/bootfs.img",
      disk: null, restore: null, save: null, fsync: "settle", gdbPort: null, gdbAttach: null, gdbLog: false, gdbSnapshots: null, gdbSnapshotEvery: null,
      net: null, gatewayHosts: {}, mac: null, ip: null, traceKernel: false, stats: false, jit: 64, record: null, replay: null, parallel: false,
    });
  });

  it("reads every option in both --flag value and --flag=value forms", () => {
    expect(parseBootArgs(["--ram", "64", "--clock=deterministic", "--cpus=3", "--cmdline", "a b", "--vga", "--debug", "--monitor"])).toEqual({
      ramMiB: 64, clock: "deterministic", cpus: 3, cmdline: "a b", vga: true, debug: true, help: false, bootfs: null,
      disk: "none", restore: null, save: null, fsync: "settle", gdbPort: null, gdbAttach: null, gdbLog: false, gdbSnapshots: null, gdbSnapshotEvery: null,
      net: null, gatewayHosts: {}, mac: null, ip: null, traceKernel: false, stats: false, jit: 64, record: null, replay: null, parallel: false,
    });
    expect(parseBootArgs(["--disk", "my.img"]).disk).toBe("my.img");
    expect(parseBootArgs(["--no-disk"]).disk).toBe("none");
    expect(parseBootArgs(["--bootfs", "x.img"]).bootfs).toBe("x.img");
    expect(parseBootArgs(["--trace-kernel"]).traceKernel).toBe(true);
    expect(parseBootArgs(["--stats"]).stats).toBe(true);
  });

  it("reads the JIT's switch and threshold", () => {
    expect(parseBootArgs(["--jit", "on"]).jit).toBe(64);
    expect(parseBootArgs(["--jit=off"]).jit).toBe(false);
    expect(parseBootArgs(["--jit-threshold", "1", "--jit", "on"]).jit).toBe(1);
    expect(parseBootArgs(["--jit", "on", "--jit-threshold=500"]).jit).toBe(500);
    expect(() => parseBootArgs(["--jit", "yes"])).toThrow(/--jit must be on or off \(got "yes"\)/);
    expect(() => parseBootArgs(["--jit", "on", "--jit-threshold", "0"])).toThrow(/--jit-threshold needs a whole number of runs from 1/);
    expect(() => parseBootArgs(["--jit", "on", "--jit-threshold", "2.5"])).toThrow(/--jit-threshold needs a whole number/);
    expect(parseBootArgs([]).jit).toBe(64); // on by default
    expect(parseBootArgs(["--jit-threshold", "8"]).jit).toBe(8);
    expect(parseBootArgs(["--jit", "0"]).jit).toBe(false);
    expect(() => parseBootArgs(["--jit", "off", "--jit-threshold", "8"])).toThrow(/not with --jit off/);
  });

  it("reads the GDB server's options", () => {
    expect(parseBootArgs(["--gdb", "1234", "--gdb-attach", "wc", "--gdb-log"])).toMatchObject({ gdbPort: 1234, gdbAttach: { name: "wc" }, gdbLog: true });
    expect(parseBootArgs(["--gdb=0", "--gdb-attach=7"])).toMatchObject({ gdbPort: 0, gdbAttach: { pid: 7 } });
    expect(parseBootArgs(["--clock", "deterministic", "--gdb", "0", "--gdb-snapshots", "4", "--gdb-snapshot-every=2"]))
      .toMatchObject({ gdbSnapshots: 4, gdbSnapshotEvery: 2 });
  });

  it.each([
    [["--ram", "lots"], /--ram must be a whole number/],
    [["--ram", "8"], /from 16 to 2048/],
    [["--clock", "fast"], /--clock must be realtime or deterministic/],
    [["--cpus", "9"], /--cpus must be a whole number of vCPUs from 1 to 8 \(got "9"\)/],
    [["--cpus", "0"], /--cpus must be a whole number of vCPUs from 1 to 8/],
    [["--cpus", "two"], /--cpus must be a whole number of vCPUs from 1 to 8/],
    [["--cmdline"], /--cmdline needs a value/],
    [["--turbo"], /unknown option "--turbo"/],
    [["--gdb", "99999"], /--gdb needs a TCP port/],
    [["--gdb", "1234", "--gdb-attach", "a/b"], /a pid or a program name/],
    [["--gdb", "1234", "--gdb-attach", "0"], /no process can have pid 0/],
    [["--gdb-attach", "wc"], /need --gdb PORT/],
    [["--gdb", "1", "--clock", "deterministic", "--gdb-snapshots", "0"], /--gdb-snapshots needs a whole number/],
    [["--gdb", "1", "--gdb-snapshots", "4"], /needs --clock deterministic/],
    [["--clock", "deterministic", "--gdb-snapshot-every", "4"], /need --gdb PORT/],
  ])("rejects %j with a clear message", (argv, message) => {
    expect(() => parseBootArgs(argv)).toThrow(BootArgsError);
    expect(() => parseBootArgs(argv)).toThrow(message);
  });
});

describe("the headless runner", () => {
  it("boots, runs piped monitor commands, halts with status 0 and prints the VGA screen", () => {
    const result = runKeel(["--clock", "deterministic", "--ram", "32", "--vga", "--monitor"], "uptime\nhalt\n");
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("keel> ");
    expect(result.stdout).toMatch(/up \d+\.\d{6} s \(deterministic clock\)/);
    expect(result.stdout).toContain("--- VGA screen ---\nHello World!");
  });

  it("exits when piped input ends and the machine is idle", () => {
    const result = runKeel(["--clock", "deterministic", "--ram", "32", "--monitor"], "help\n");
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("Keel kernel monitor. Commands:");
  });

  it("exits with status 1 after a panic and says why", () => {
    const result = runKeel(["--ram", "32", "--monitor"], "panic test\n");
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("kernel panic: test");
  });

  it("boots the user land by default and runs piped shell commands", () => {
    const result = runKeel(["--clock", "deterministic", "--ram", "32"], "echo hello | wc\nls\n");
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("$ ");
    expect(result.stdout).toMatch(/^\s+1\s+1\s+6\r?$/m);
    expect(result.stdout).toMatch(/^init\s+file/m);
  });

  it("runs user programs through the JIT by default, and --stats says how many units and what share; --jit off has none", () => {
    const on = runKeel(["--clock", "deterministic", "--ram", "32", "--stats"], "spin 1 1\n");
    expect(on.status).toBe(0);
    const share = /hart retired (\d+) instructions, (\d+) \(([\d.]+)%\) in compiled units/.exec(on.stderr);
    expect(share, on.stderr).not.toBeNull();
    expect(Number(share![2])).toBeGreaterThan(Number(share![1]) / 2); // spin's loop, compiled
    expect(Number(share![3])).toBeGreaterThan(50);
    expect(on.stderr).toMatch(/JIT [1-9]\d* units/);
    const off = runKeel(["--clock", "deterministic", "--ram", "32", "--stats", "--jit", "off"], "spin 1 1\n");
    expect(off.status).toBe(0);
    expect(off.stderr).toContain("keel: stats: JIT off (the interpreter)");
    // The same work and virtual time either way (the deterministic clock).
    const work = (text: string) => /stats: work (\d+), ([\d.]+) s of virtual time/.exec(text)?.slice(1);
    expect(work(on.stderr)).toEqual(work(off.stderr));
  });

  it("saves what `download` sends into its current directory, and says where", () => {
    const dir = mkdtempSync(join(tmpdir(), "keel-download-"));
    writeFileSync(join(dir, "fox.txt"), "taken\n"); // a name already taken gets .1
    const result = runKeel(["--clock", "deterministic", "--ram", "32"], "echo the quick brown fox > fox.txt\ndownload fox.txt\n", dir);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("download: sent fox.txt (20 bytes)");
    expect(result.stdout).not.toContain("7337");
    expect(result.stderr).toContain(`keel: download: saved fox.txt (20 bytes) as ${join(dir, "fox.txt.1")}`);
    expect(readFileSync(join(dir, "fox.txt.1"), "utf8")).toBe("the quick brown fox\n");
    expect(readFileSync(join(dir, "fox.txt"), "utf8")).toBe("taken\n");
  });

  it("runs on a compressed .kdisk and writes it back compressed", async () => {
    const dir = mkdtempSync(join(tmpdir(), "keel-kdisk-"));
    const shipped = new Uint8Array(readFileSync(fileURLToPath(new URL("../../build/disk.img", import.meta.url))));
    const path = join(dir, "my.kdisk");
    writeFileSync(path, await packDisk(shipped, declaredDiskBlocks(shipped)!));
    const first = runKeel(["--clock", "deterministic", "--ram", "32", "--disk", path], "echo kept > k\n");
    expect(first.status).toBe(0);
    const packed = new Uint8Array(readFileSync(path));
    expect(packed[0]).toBe(0x1f); // still gzip
    expect(packed.length).toBeLessThan(shipped.length / 2);
    const { image } = await unpackDisk(packed, 262_144);
    expect(fsck(image).problems).toEqual([]);
    const second = runKeel(["--clock", "deterministic", "--ram", "32", "--disk", path], "cat k\n");
    expect(second.stdout).toMatch(/^kept\r?$/m);
    writeFileSync(join(dir, "bad.kdisk"), "not a disk");
    const bad = runKeel(["--disk", join(dir, "bad.kdisk")], "");
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("is not a Keel disk image (no superblock)");
  });

  it("keeps a disk file across runs (--disk)", () => {
    const dir = mkdtempSync(join(tmpdir(), "keel-disk-"));
    const image = join(dir, "disk.img");
    const first = runKeel(["--clock", "deterministic", "--ram", "64", "--disk", image], "echo persisted > note\n");
    expect(first.status, first.stderr).toBe(0);
    expect(first.stderr).toContain(`made ${image} from the shipped disk image`);
    const second = runKeel(["--clock", "deterministic", "--ram", "64", "--disk", image], "cat note\n");
    expect(second.stdout).toMatch(/^persisted\r?$/m);
    expect(fsck(new Uint8Array(readFileSync(image))).problems).toEqual([]);
  });

  it("refuses a disk file that is not a Keel image", () => {
    const dir = mkdtempSync(join(tmpdir(), "keel-disk-"));
    const junk = join(dir, "junk.img");
    writeFileSync(junk, "not a disk");
    const result = runKeel(["--disk", junk], "");
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("is not a Keel disk image");
  });

  it("says so when the boot file system image cannot be read", () => {
    const result = runKeel(["--bootfs", "/nonexistent.img"], "");
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("cannot read the boot file system image /nonexistent.img");
  });

  it("saves a snapshot when input ends (--save) and continues it (--restore)", () => {
    const dir = mkdtempSync(join(tmpdir(), "keel-snap-"));
    const file = join(dir, "s.keelsnap");
    const first = runKeel(["--clock", "deterministic", "--save", file], "echo from-before > kept\n");
    expect(first.status).toBe(0);
    expect(first.stderr).toContain(`saved a snapshot in ${file}`);
    const second = runKeel(["--restore", file], "cat kept\n");
    expect(second.status).toBe(0);
    expect(second.stderr).toContain("continuing the machine saved in");
    expect(second.stdout).toContain("from-before");
    expect(second.stdout).not.toContain("booting"); // no boot log: it continued
  });

  it("refuses a damaged snapshot before it writes the --disk file, which stays byte for byte as it was", async () => {
    const dir = mkdtempSync(join(tmpdir(), "keel-snap-"));
    const file = join(dir, "s.keelsnap");
    const disk = join(dir, "my.img");
    expect(runKeel(["--clock", "deterministic", "--ram", "32", "--save", file], "echo saved > f\n").status).toBe(0);
    const snapshot = new Uint8Array(readFileSync(file));
    // The user's disk: another image, with a file of its own.
    expect(runKeel(["--clock", "deterministic", "--ram", "32", "--disk", disk], "echo mine > g\n").status).toBe(0);
    const mine = readFileSync(disk);

    // One header byte changed (a digit of the RAM page count): refused, by the
    // header's own consistency or by the checksum.
    const headerLength = new DataView(snapshot.buffer).getUint32(12, true);
    const text = new TextDecoder().decode(snapshot.subarray(16, 16 + headerLength));
    const digit = 16 + text.indexOf('"pages":') + 8;
    const edited = snapshot.slice();
    edited[digit] = edited[digit] === 0x39 ? 0x31 : edited[digit]! + 1;
    writeFileSync(join(dir, "edited.keelsnap"), edited);
    const refused = runKeel(["--disk", disk, "--restore", join(dir, "edited.keelsnap")], "");
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain("The snapshot is damaged:");
    expect(readFileSync(disk).equals(mine)).toBe(true);

    // A device state forged and sealed again: only the kernel's resume() can
    // tell (the UART programmed for interrupts its driver never clears).
    const header = JSON.parse(text) as { machine: { devices: { uart16550: { ier: number } } } };
    header.machine.devices.uart16550.ier = 2;
    const head = new TextEncoder().encode(JSON.stringify(header));
    const body = snapshot.subarray(16 + headerLength, snapshot.length - 32);
    const forged = new Uint8Array(16 + head.length + body.length + 32);
    forged.set(snapshot.subarray(0, 12));
    new DataView(forged.buffer).setUint32(12, head.length, true);
    forged.set(head, 16);
    forged.set(body, 16 + head.length);
    forged.set(new Uint8Array(await crypto.subtle.digest("SHA-256", forged.subarray(0, forged.length - 32))), forged.length - 32);
    writeFileSync(join(dir, "forged.keelsnap"), forged);
    const resumed = runKeel(["--disk", disk, "--restore", join(dir, "forged.keelsnap")], "");
    expect(resumed.status).toBe(2);
    expect(resumed.stderr).toContain("the kernel could not resume");
    expect(readFileSync(disk).equals(mine)).toBe(true);

    // The undamaged snapshot is restored onto the same file.
    const restored = runKeel(["--disk", disk, "--restore", file], "cat f\n");
    expect(restored.status).toBe(0);
    expect(restored.stdout).toContain("saved");
    expect(readFileSync(disk).equals(mine)).toBe(false);
  }, 120_000);

  it("refuses a file that is not a snapshot with status 2 and says why", () => {
    const dir = mkdtempSync(join(tmpdir(), "keel-snap-"));
    const file = join(dir, "bad.keelsnap");
    writeFileSync(file, "not a snapshot at all");
    const result = runKeel(["--restore", file], "");
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("This file is not a Keel snapshot");
  });

  it("refuses bad options with status 2 and the usage", () => {
    const result = runKeel(["--ram", "banana"], "");
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("--ram must be a whole number");
    expect(result.stderr).toContain("usage: keel");
  });
});

/** util-linux's script(1) gives the runner a pseudo-terminal as stdin. */
const SCRIPT = ["/usr/bin/script", "/bin/script"].find((p) => existsSync(p));

/** Starts the runner (no disk, 64 MiB) on a pseudo-terminal: `child.stdin`
 *  is what the terminal sends, `output()` what it has shown (UTF-8, CRs
 *  dropped), `waitFor` waits up to 30 s for `pattern` after offset `from`
 *  and returns the output's length then, and `exited` the exit status. */
function runnerOnTerminal() {
  const command = [process.execPath, tsxCli, runner, "--no-disk", "--ram", "64"].map((a) => `'${a}'`).join(" ");
  const child = spawn(SCRIPT!, ["-qfec", command, "/dev/null"], { stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  const decoder = new TextDecoder();
  child.stdout.on("data", (d: Buffer) => (out += decoder.decode(d, { stream: true }).replaceAll("\r", "")));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  const waitFor = async (pattern: RegExp, from: number): Promise<number> => {
    for (let i = 0; i < 600; i++) {
      if (pattern.test(out.slice(from))) return out.length;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`${String(pattern)} did not appear; output:\n${out}`);
  };
  return { child, exited, waitFor, output: () => out };
}

describe.skipIf(!SCRIPT)("the headless runner on a terminal", () => {
  it("passes Ctrl-C to the machine (it stops the foreground program, not the runner); Ctrl-A x quits", async () => {
    const { child, exited, waitFor, output } = runnerOnTerminal();
    let at = await waitFor(/\n\$ $/, 0);
    child.stdin.write("spin 1 1000\r");
    at = await waitFor(/spin 1 1000\n/, at);
    await new Promise((r) => setTimeout(r, 300));
    child.stdin.write("\x03");
    at = await waitFor(/\^C\n\$ $/, at);
    child.stdin.write("echo alive\r");
    await waitFor(/\nalive\n\$ $/, at);
    child.stdin.write("\x01x");
    expect(await exited).toBe(0);
    expect(output()).not.toMatch(/children used/);
  }, 60_000);

  it("edits the line with the terminal's arrow keys, recalls it with Up, and passes UTF-8 both ways", async () => {
    const { child, exited, waitFor } = runnerOnTerminal();
    let at = await waitFor(/\n\$ $/, 0);
    child.stdin.write("echo ac\x1b[Db\r");
    at = await waitFor(/\nabc\n\$ $/, at);
    child.stdin.write("echo café\r");
    at = await waitFor(/\ncafé\n\$ $/, at);
    child.stdin.write("\x1b[A\x1b[D\x1b[F\x7fe!\r");
    await waitFor(/\ncafe!\n\$ $/, at);
    child.stdin.write("\x01x");
    expect(await exited).toBe(0);
  }, 60_000);
});

describe("the headless runner with piped input", () => {
  it("runs each piped line after its prompt, UTF-8 intact", () => {
    const result = runKeel(["--no-disk", "--ram", "64", "--clock", "deterministic"], "echo café\necho two\n");
    expect(result.status).toBe(0);
    const out = result.stdout.replaceAll("\r", "");
    expect(out).toContain("$ echo café\ncafé\n$ echo two\ntwo\n$ ");
  }, 60_000);
});
