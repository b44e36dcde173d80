// Issue 5 end to end: the journaled disk file system as the root, driven
// through the shell in deterministic mode.

import { describe, expect, it } from "vitest";
import { MachineHarness } from "./testing/machine-harness.js";
import { shippedDisk, shippedImage, imageBlocks } from "./testing/disk.js";
import { MemoryBackend } from "./disk/memory.js";
import { fsck } from "./fs/fsck.js";
import { readPath, readInode, readSuperblock, BLOCK_SIZE, ROOT_INUM } from "./fs/format.js";

function bootDisk(disk: MemoryBackend = shippedDisk()): MachineHarness {
  const h = new MachineHarness({ ramBytes: 64 * 1024 * 1024, disk }).boot();
  h.runUntil("\n$ ");
  return h;
}

describe("the disk file system", () => {
  it("mounts the disk as the root and runs init from it", () => {
    const h = bootDisk();
    expect(h.output).toMatch(/fs: disk mounted as the root: 128 MiB/);
    expect(h.shell("ls")).toMatch(/^README\s+file/m);
  });

  it("passes every check of syscalltest, the writable file system group included", () => {
    const out = bootDisk().shell("syscalltest");
    expect(out.split("\n").filter((l) => l.startsWith("FAIL"))).toEqual([]);
    expect(out).toMatch(/syscalltest: \d+ passed, 0 failed/);
  });

  it("creates, links, renames by link+unlink, and removes files and directories", () => {
    const h = bootDisk();
    h.shell("mkdir docs");
    h.shell("echo hello > docs/a");
    h.shell("ln docs/a b");
    h.shell("rm docs/a");
    expect(h.shell("cat b")).toContain("hello");
    expect(h.shell("rm docs")).not.toContain("rm:");
    expect(h.shell("ls docs")).toMatch(/ls: .*docs/);
  });

  it("keeps files across a reboot", () => {
    const disk = shippedDisk();
    const h = bootDisk(disk);
    h.shell("echo kept > note");
    h.machine.reboot();
    h.runUntil("\n$ ", h.output.length);
    expect(h.shell("cat note")).toContain("kept");
    expect(fsck(disk.image()).problems).toEqual([]);
    expect(new TextDecoder().decode(readPath(disk.image(), "note")!)).toBe("kept\n");
  });

  it("runs several writers at once (stressfs) and leaves a clean disk", () => {
    const disk = shippedDisk();
    const h = bootDisk(disk);
    expect(h.shell("stressfs 4 96")).toContain("stressfs: 4 writers OK");
    expect(fsck(disk.image()).problems).toEqual([]);
  });

  it("changes directory with cd, and relative paths follow it", () => {
    const h = bootDisk();
    h.shell("mkdir w");
    h.shell("cd w");
    h.shell("echo inside > f");
    h.shell("cd ..");
    expect(h.shell("cat w/f")).toContain("inside");
  });

  it("reports a full disk as an error, not a panic, and recovers when space is freed", () => {
    const image = shippedImage({ blocks: 2048, inodes: 256, logBlocks: 300 });
    const disk = new MemoryBackend(image, imageBlocks(image));
    const h = bootDisk(disk);
    let out = "";
    for (let i = 0; i < 40 && !/no space|cannot|failed/.test(out); i++) {
      out += h.shell(`cat syscalltest syscalltest syscalltest syscalltest > f${i}`);
    }
    expect(out).toMatch(/no space left on the disk/);
    expect(h.machine.state).not.toBe("panicked");
    h.shell("rm f0");
    expect(h.shell("echo after > small")).not.toMatch(/no space/);
    expect(fsck(disk.image()).problems).toEqual([]);
  });

  it("reports free space with df", () => {
    expect(bootDisk().shell("df")).toMatch(/^\/\s+131072\s+\d+\s+\d+\s+\d+%/m);
  });

  it("checksums files with cksum", () => {
    const out = bootDisk().shell("echo 123456789 > n ; cksum n");
    expect(out).toMatch(/^\d+ 10 n$/m);
  });

  it("imports a file from the host into the running system", () => {
    const h = bootDisk();
    const mark = h.output.length;
    h.machine.importFile("gift.txt", new TextEncoder().encode("from the desktop\n"));
    h.runUntil("import: /gift.txt (17 bytes)", mark);
    expect(h.shell("cat gift.txt")).toContain("from the desktop");
  });

  it("mounts a disk whose bitmap frees the root directory's block read-only, and `echo x > f` overwrites nothing", () => {
    const image = shippedImage().slice();
    const sb = readSuperblock(image);
    const rootBlock = readInode(image, sb, ROOT_INUM).addrs[0]!;
    const at = sb.bmapstart * BLOCK_SIZE + (rootBlock >> 3);
    image[at] = image[at]! & ~(1 << (rootBlock & 7)); // one flipped bit
    const disk = new MemoryBackend(image, imageBlocks(image));
    const h = new MachineHarness({ ramBytes: 64 * 1024 * 1024, disk }).boot();
    h.runUntil("\n$ ");
    expect(h.output).toContain(`fs: damage: inode 1 uses block ${rootBlock}, which the bitmap marks free`);
    expect(h.output).toMatch(/fs: disk mounted as the root: .*READ-ONLY: the disk is damaged/);
    expect(h.shell("echo x > f")).toMatch(/read-only file system/);
    expect(h.shell("mkdir d")).toMatch(/mkdir: .*d/);
    expect(h.shell("ls")).toMatch(/^README\s+file/m);
    expect(h.shell("cat README")).toContain("Keel");
    expect(Buffer.compare(disk.image().subarray(0, image.length), image)).toBe(0);
  });

  it("mounts a clean disk read-only with the command line word ro", () => {
    const disk = shippedDisk();
    const before = disk.image();
    const h = new MachineHarness({ ramBytes: 64 * 1024 * 1024, disk, cmdline: "ro" }).boot();
    h.runUntil("\n$ ");
    expect(h.output).toMatch(/fs: disk mounted as the root: .*read-only \(the command line says ro\)/);
    expect(h.shell("echo x > f")).toMatch(/read-only file system/);
    expect(h.shell("cat README")).toContain("Keel");
    expect(Buffer.compare(disk.image(), before)).toBe(0);
  });
});
