import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { BLK_DOORBELL, BLK_RING_BASE, BLK_RING_SLOTS, BlockDevice, OP_READ, OP_WRITE, REQ_BLOCK, REQ_BUFFER, REQ_COUNT, REQ_DONE, REQ_IO_ERROR, REQ_OP, REQ_STATUS } from "../devices/block.js";
import { BLOCK_SIZE, lookupPath, readInode, readPath, readSuperblock } from "../fs/format.js";
import { fsck } from "../fs/fsck.js";
import { mkfs } from "../fs/mkfs.js";
import { BLOCK_BASE } from "../hw.js";
import { FileBackend } from "./file-disk.js";
import { defaultFiles, parseMkfsArgs } from "./mkfs-cli.js";
import { MachineHarness, userlandModules } from "../testing/machine-harness.js";
import { shippedImage } from "../testing/disk.js";

const require = createRequire(import.meta.url);
const tsxCli = require.resolve("tsx/cli");
const tool = (name: string) => fileURLToPath(new URL(`./${name}`, import.meta.url));
const run = (name: string, args: string[]) => spawnSync(process.execPath, [tsxCli, tool(name), ...args], { encoding: "utf8", timeout: 60_000 });

const dir = mkdtempSync(join(tmpdir(), "keel-disk-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("FileBackend", () => {
  it("takes the disk size from the superblock, reads zeros past the file's end, writes in place", () => {
    const path = join(dir, "a.img");
    const image = mkfs({ blocks: 2048, inodes: 64, logBlocks: 32, files: [{ name: "hello", data: new TextEncoder().encode("hi") }] });
    writeFileSync(path, image);
    const disk = new FileBackend(path);
    expect(disk.blocks).toBe(2048);
    const buf = new Uint8Array(2 * BLOCK_SIZE).fill(0xee);
    disk.read(image.length / BLOCK_SIZE - 1, buf);
    expect(buf.subarray(0, BLOCK_SIZE)).toEqual(image.subarray(image.length - BLOCK_SIZE));
    expect(buf.subarray(BLOCK_SIZE).every((b) => b === 0)).toBe(true);
    disk.write(100, new Uint8Array(BLOCK_SIZE).fill(7));
    disk.flush();
    disk.close();
    expect(statSync(path).size).toBe(101 * BLOCK_SIZE);
    expect(readFileSync(path)[100 * BLOCK_SIZE]).toBe(7);
  });

  it("sizes a file without a superblock by its length, or as told", () => {
    const path = join(dir, "raw.img");
    writeFileSync(path, new Uint8Array(3 * BLOCK_SIZE + 1));
    const raw = new FileBackend(path);
    expect(raw.blocks).toBe(4);
    raw.close();
    const told = new FileBackend(path, { blocks: 50 });
    expect(told.blocks).toBe(50);
    expect(() => told.read(49, new Uint8Array(2 * BLOCK_SIZE))).toThrow(RangeError);
    told.close();
  });

  it("serves the block device; a read-only file answers writes with an I/O error", () => {
    const path = join(dir, "dev.img");
    writeFileSync(path, mkfs({ blocks: 1024, inodes: 64, logBlocks: 16, files: [{ name: "f", data: new Uint8Array([1, 2, 3]) }] }));
    const ram = new ArrayBuffer(1 << 20);
    const view = new DataView(ram);
    const backend = new FileBackend(path, { readOnly: true });
    const dev = new BlockDevice({ memory: () => ram, irq: { set() {}, pulse() {} }, backend });
    dev.write(BLOCK_BASE + BLK_RING_BASE, 4, 0x1000);
    dev.write(BLOCK_BASE + BLK_RING_SLOTS, 4, 2);
    for (const [i, op] of [OP_READ, OP_WRITE].entries()) {
      const slot = 0x1000 + i * 32;
      view.setUint32(slot + REQ_OP, op, true);
      view.setUint32(slot + REQ_BLOCK, 1, true);
      view.setUint32(slot + REQ_BUFFER, 0x8000, true);
      view.setUint32(slot + REQ_COUNT, 1, true);
    }
    dev.write(BLOCK_BASE + BLK_DOORBELL, 4, 2);
    expect([view.getUint32(0x1000 + REQ_STATUS, true), view.getUint32(0x1020 + REQ_STATUS, true)]).toEqual([REQ_DONE, REQ_IO_ERROR]);
    expect(view.getUint32(0x8000 + 8, true)).toBe(1024); // the superblock's size field, read into RAM
    backend.close();
  });
});

describe("FileBackend durability (docs/filesystem.md)", () => {
  it("batches the kernel's flushes into one sync at settle(); in flush mode each flush syncs", () => {
    const path = join(dir, "sync.img");
    writeFileSync(path, mkfs({ blocks: 256, inodes: 32, logBlocks: 16, files: [] }));
    const batched = new FileBackend(path);
    expect(batched.sync).toBe("settle");
    batched.settle();
    expect(batched.syncs).toBe(0); // nothing to sync
    for (let i = 0; i < 5; i++) {
      batched.write(50 + i, new Uint8Array(BLOCK_SIZE).fill(i + 1));
      batched.flush();
    }
    expect([batched.flushes, batched.syncs]).toEqual([5, 0]);
    batched.settle();
    batched.settle();
    expect(batched.syncs).toBe(1);
    batched.flush();
    batched.close(); // a pending flush is synced before the file is closed
    expect(batched.syncs).toBe(2);
    const strict = new FileBackend(path, { sync: "flush" });
    strict.flush();
    strict.flush();
    expect(strict.syncs).toBe(2);
    strict.close();
  });

  it("a machine on a file disk syncs at most once per runFor, however many commits it makes", () => {
    const path = join(dir, "machine.img");
    writeFileSync(path, shippedImage());
    const disk = new FileBackend(path);
    const h = new MachineHarness({ ramBytes: 64 * 1024 * 1024, modules: userlandModules(), disk }).boot();
    let calls = 0;
    const runFor = h.machine.runFor.bind(h.machine);
    h.machine.runFor = (ms: number) => (calls++, runFor(ms));
    h.runUntil("\n$ ");
    h.shell("echo a > f1; echo b > f2; echo c > f3; mkdir d; echo e > d/f4; rm f1");
    expect(disk.flushes).toBeGreaterThan(5);
    expect(disk.syncs).toBeLessThanOrEqual(calls);
    expect(disk.syncs).toBeLessThan(disk.flushes);
    disk.close();
    const image = new Uint8Array(readFileSync(path));
    expect(fsck(image).problems).toEqual([]);
    expect(new TextDecoder().decode(readPath(image, "d/f4")!)).toBe("e\n");
  });

  it("what the kernel committed survives the runner being killed (SIGKILL) before it syncs", async () => {
    const path = join(dir, "killed.img");
    writeFileSync(path, shippedImage());
    const child = spawn(process.execPath, [tsxCli, tool("boot.ts"), "--disk", path, "--ram", "64"], { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    const killed = new Promise<void>((resolve) => {
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes("$ ") && !out.includes("echo kept")) child.stdin.write("echo kept > k; echo committed-now\n");
        if (/committed-now\r?\n[^]*\$ /.test(out)) child.kill("SIGKILL");
      });
      child.on("exit", () => resolve());
    });
    await killed;
    expect(child.signalCode).toBe("SIGKILL");
    const image = new Uint8Array(readFileSync(path));
    expect(new TextDecoder().decode(readPath(image, "k") ?? new Uint8Array(0))).toBe("kept\n");
    expect(fsck(image).problems).toEqual([]);
  }, 60_000);
});

describe("mkfs and fsck command lines", () => {
  it("parses mkfs options and file names", () => {
    expect(parseMkfsArgs(["--out", "x.img", "--blocks", "100", "--inodes", "64", "--log", "8", "--no-sparse", "a/b.txt", "etc/motd=m.txt"])).toEqual({
      out: "x.img", blocks: 100, inodes: 64, logBlocks: 8, sparse: false, defaults: false, help: false,
      files: [["b.txt", "a/b.txt"], ["etc/motd", "m.txt"]],
    });
    expect(() => parseMkfsArgs(["a"])).toThrow(/--out is required/);
    expect(() => parseMkfsArgs(["--out", "x", "--blocks", "many"])).toThrow(/whole number/);
    expect(() => parseMkfsArgs(["--frob"])).toThrow(/unknown option/);
  });

  it("--default takes user/bin's programs, not bootfs.img, and user/fs/README", () => {
    const names = defaultFiles().map(([name]) => name);
    expect(names).toContain("init");
    expect(names).toContain("sh");
    expect(names).toContain("README");
    expect(names).not.toContain("bootfs.img");
  });

  it("mkfs writes an image that fsck calls clean (exit 0), damaged (1) or unreadable (2)", () => {
    const src = join(dir, "note.txt");
    writeFileSync(src, "a note\n");
    const img = join(dir, "cli.img");
    const made = run("mkfs-cli.ts", ["--out", img, "--blocks", "4096", "--inodes", "128", src, `docs/n=${src}`]);
    expect(made.stderr.replace(/npm warn.*\n/g, "")).toBe("");
    expect(made.status).toBe(0);
    const image = readFileSync(img);
    expect(new TextDecoder().decode(readPath(image, "docs/n")!)).toBe("a note\n");
    expect(fsck(image).ok).toBe(true);

    const clean = run("fsck-cli.ts", [img]);
    expect(clean.status).toBe(0);
    expect(clean.stdout).toMatch(/clean; 2 files, 2 directories, 1 devices/);

    const sb = readSuperblock(image);
    const n = lookupPath(image, "note.txt")!;
    const at = (sb.inodestart * BLOCK_SIZE) + n * 64 + 6; // nlink
    image[at] = 3;
    writeFileSync(img, image);
    const damaged = run("fsck-cli.ts", [img]);
    expect(damaged.status).toBe(1);
    expect(damaged.stdout).toContain(`inode ${n} has nlink 3 but 1 directory entry names it`);
    expect(readInode(image, sb, n).nlink).toBe(3);

    const mended = run("fsck-cli.ts", ["--repair", img]);
    expect(mended.status).toBe(0);
    expect(mended.stdout).toContain(`repaired: set inode ${n}'s nlink from 3 to 1`);
    expect(mended.stdout).toMatch(/1 repairs; clean/);
    expect(run("fsck-cli.ts", [img]).status).toBe(0);

    writeFileSync(img, new Uint8Array(3 * BLOCK_SIZE));
    expect(run("fsck-cli.ts", [img]).status).toBe(2);
    expect(run("fsck-cli.ts", [join(dir, "missing.img")]).status).toBe(2);
  });
});
