// Files copied from the host into the running system (Machine.importFile,
// importDir, importProbe; kernel-as/src/sys/import.ts): into the shell's
// working directory, refusing to overwrite unless asked, folders made,
// large files in pieces with progress, the disk clean for fsck afterwards.

import { describe, expect, it } from "vitest";
import { MachineHarness } from "./testing/machine-harness.js";
import { shippedDisk } from "./testing/disk.js";
import type { MemoryBackend } from "./disk/memory.js";
import { fsck } from "./fs/fsck.js";
import { DiskReader } from "./fs/reader.js";
import { IMPORT_EXISTS, IMPORT_PIECE_BYTES, nameProblem, pathProblem, shortenName, type ImportResult } from "./import.js";

function bootDisk(): { h: MachineHarness; disk: MemoryBackend } {
  const disk = shippedDisk();
  const h = new MachineHarness({ ramBytes: 64 * 1024 * 1024, disk }).boot();
  h.runUntil("\n$ ");
  return { h, disk };
}

/** Runs the machine until `answer` has settled. */
async function finish(h: MachineHarness, answer: Promise<ImportResult>): Promise<ImportResult> {
  let result: ImportResult | null = null;
  void answer.then((r) => (result = r));
  for (let i = 0; i < 5000 && result === null; i++) {
    h.machine.runFor(20);
    await Promise.resolve();
  }
  if (result === null) throw new Error("the import never finished");
  return result;
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

describe("importing files into the running system", () => {
  it("copies into the shell's working directory, refuses to overwrite unless asked, and stays quiet", async () => {
    const { h, disk } = bootDisk();
    h.shell("mkdir work");
    h.shell("cd work");
    const mark = h.output.length;
    const probe = await finish(h, h.machine.importProbe());
    const first = await finish(h, h.machine.importFile("note.txt", text("first\n"), { cwd: true, quiet: true }));
    expect(first).toMatchObject({ code: 0, error: null, baseInum: probe.baseInum });
    expect(first.inum).toBeGreaterThan(1);
    expect(h.shell("cat note.txt")).toContain("first");
    expect(h.since(mark)).not.toContain("import:");

    const again = await finish(h, h.machine.importFile("note.txt", text("second\n"), { cwd: true, quiet: true }));
    expect(again.code).toBe(IMPORT_EXISTS);
    expect(again.error).toBe("the name exists");
    expect(h.shell("cat note.txt")).toContain("first");

    const replaced = await finish(h, h.machine.importFile("note.txt", text("second\n"), { cwd: true, quiet: true, replace: true }));
    expect(replaced.code).toBe(0);
    expect(h.shell("cat note.txt")).toContain("second");
    const reader = new DiskReader(disk);
    expect(reader.pathOf(probe.baseInum)).toBe("work");
    expect(new TextDecoder().decode(reader.read(reader.lookup("work/note.txt")!))).toBe("second\n");
    expect(fsck(disk.image()).problems).toEqual([]);
  });

  it("makes folders, writes a large file in pieces with progress, and a failed first piece writes nothing", async () => {
    const { h, disk } = bootDisk();
    expect((await finish(h, h.machine.importDir("tree", { cwd: true }))).code).toBe(0);
    expect((await finish(h, h.machine.importDir("tree/sub", { cwd: true }))).code).toBe(0);
    // A folder already there is fine.
    expect((await finish(h, h.machine.importDir("tree", { cwd: true }))).code).toBe(0);
    const big = new Uint8Array(IMPORT_PIECE_BYTES * 2 + 1234).map((_, i) => (i * 31 + (i >> 12)) & 0xff);
    const progress: number[] = [];
    const result = await finish(h, h.machine.importFile("tree/sub/big.bin", big, { cwd: true, quiet: true, onProgress: (n) => progress.push(n) }));
    expect(result.code).toBe(0);
    expect(progress).toEqual([IMPORT_PIECE_BYTES, 2 * IMPORT_PIECE_BYTES, big.length]);
    const reader = new DiskReader(disk);
    expect(Buffer.from(reader.read(reader.lookup("tree/sub/big.bin")!)).equals(Buffer.from(big))).toBe(true);

    // The same name again: the first piece is refused and the rest dropped.
    const other = new Uint8Array(big.length).fill(7);
    const refused = await finish(h, h.machine.importFile("tree/sub/big.bin", other, { cwd: true, quiet: true }));
    expect(refused.code).toBe(IMPORT_EXISTS);
    h.settle();
    expect(Buffer.from(new DiskReader(disk).read(reader.lookup("tree/sub/big.bin")!)).equals(Buffer.from(big))).toBe(true);
    // A folder in the way of a file, and a file in the way of a folder.
    expect((await finish(h, h.machine.importFile("tree", text("x"), { cwd: true, quiet: true, replace: true }))).error).toBe("a folder has that name");
    expect((await finish(h, h.machine.importDir("tree/sub/big.bin", { cwd: true }))).error).toBe("the name exists");
    expect((await finish(h, h.machine.importFile("nowhere/x", text("x"), { cwd: true, quiet: true }))).error).toBe("a folder on the way does not exist");
    expect(h.shell("ls tree/sub")).toMatch(/big\.bin.*525522/);
    expect(fsck(disk.image()).problems).toEqual([]);
  });

  it("logs an import the old way when not quiet, from the root", async () => {
    const { h } = bootDisk();
    const mark = h.output.length;
    expect((await finish(h, h.machine.importFile("gift.txt", text("from the desktop\n")))).code).toBe(0);
    expect(h.since(mark)).toContain("import: /gift.txt (17 bytes)");
    // A failure says why (it used to blame a full or missing disk for everything).
    expect((await finish(h, h.machine.importFile("gift.txt", text("again\n")))).code).toBe(IMPORT_EXISTS);
    expect(h.since(mark)).toMatch(/import: \/gift\.txt \(6 bytes\) failed: [a-z ]*exists/);
  });

  it("refuses bad names on the host side, with the reason", () => {
    const { h } = bootDisk();
    expect(() => h.machine.importFile("fifteen-bytes.x", text("x"))).toThrow(/15 bytes long; a name holds at most 14/);
    expect(() => h.machine.importFile("a//b", text("x"))).toThrow(/empty/);
    expect(() => h.machine.importFile("../x", text("x"))).toThrow(/reserved/);
    expect(nameProblem("café-au-lait")).toBeNull();
    expect(nameProblem("café-au-lait!")).toBeNull(); // 14 bytes: é is two
    expect(nameProblem("café-au-lait!!")).toMatch(/15 bytes/);
    expect(pathProblem("a/b/c")).toBeNull();
    expect(shortenName("a-very-long-name.txt")).toBe("a-very-lon.txt");
    expect(shortenName("short")).toBe("short");
    expect(new TextEncoder().encode(shortenName("ééééééééééé")).length).toBeLessThanOrEqual(14);
  });
});
