// Disk images for tests: the shipped image's contents (every program in
// user/bin and user/fs/README), made by mkfs in memory.

import { readdirSync, readFileSync } from "node:fs";
import { mkfs, type MkfsOptions } from "../fs/mkfs.js";
import { MemoryBackend } from "../disk/memory.js";
import { declaredDiskBlocks } from "../fs/format.js";

const userBin = new URL("../../user/bin/", import.meta.url);

/** The programs and README the shipped disk holds. */
export function shippedFiles(): { name: string; data: Uint8Array }[] {
  const files = readdirSync(userBin)
    .filter((name) => name !== "bootfs.img" && !name.endsWith(".debug")) // *.debug: gdb's copies, never on a disk
    .sort()
    .map((name) => ({ name, data: new Uint8Array(readFileSync(new URL(name, userBin))) }));
  files.push({ name: "README", data: new Uint8Array(readFileSync(new URL("../../user/fs/README", import.meta.url))) });
  return files;
}

let cached: Uint8Array | undefined;

/** A disk image like the shipped one (cached; copy before writing). */
export function shippedImage(options: MkfsOptions = {}): Uint8Array {
  if (Object.keys(options).length > 0) return mkfs({ files: shippedFiles(), ...options });
  cached ??= mkfs({ files: shippedFiles() });
  return cached;
}

/** The disk size a Keel image's superblock records, in blocks. */
export function imageBlocks(image: Uint8Array): number {
  const blocks = declaredDiskBlocks(image);
  if (blocks === null) throw new Error("not a Keel disk image");
  return blocks;
}

/** A fresh in-memory disk holding the shipped image. */
export function shippedDisk(options: MkfsOptions = {}): MemoryBackend {
  const image = shippedImage(options);
  return new MemoryBackend(image, imageBlocks(image));
}
