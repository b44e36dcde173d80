// Keel user land: the boot file system image (format in docs/bootfs.md).
//
// A flat, read-only archive the host hands the kernel as a boot module: a
// 16-byte header, a table of 32-byte entries sorted by name, then each
// file's bytes at an 8-byte aligned offset. Device entries (the console)
// carry a major and minor number and no data. Everything is little-endian.
//
//   tsx user/mkbootfs.ts --out IMG [--console] NAME=PATH...
//
// writeBootfs/parseBootfs are exported so tests and host code share one
// definition of the format.

import { readFileSync, writeFileSync } from "node:fs";

export const BOOTFS_MAGIC = 0x5346424b; // "KBFS" read as a little-endian u32
export const BOOTFS_VERSION = 1;
export const BOOTFS_HEADER_SIZE = 16;
export const BOOTFS_ENTRY_SIZE = 32;
export const BOOTFS_NAME_FIELD = 16;
/** Longest name: DIRSIZ is 14, and the field keeps room for a NUL. */
export const BOOTFS_NAME_MAX = 14;
export const BOOTFS_DATA_ALIGN = 8;
export const T_FILE = 2;
export const T_DEVICE = 3;
export const CONSOLE_MAJOR = 1;

export type BootfsEntry =
  | { name: string; type: typeof T_FILE; data: Uint8Array }
  | { name: string; type: typeof T_DEVICE; major: number; minor: number };

export class BootfsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BootfsError";
  }
}

function checkName(name: string): void {
  if (name.length === 0 || name.length > BOOTFS_NAME_MAX) {
    throw new BootfsError(`name "${name}" must be 1 to ${BOOTFS_NAME_MAX} characters`);
  }
  if (!/^[\x21-\x7e]+$/.test(name) || name.includes("/") || name === "." || name === "..") {
    throw new BootfsError(`name "${name}" must be printable ASCII without '/' and not . or ..`);
  }
}

const alignUp = (n: number, to: number): number => Math.ceil(n / to) * to;

/** Builds an image; entries are written sorted by name, whatever their order here. */
export function writeBootfs(entries: BootfsEntry[]): Uint8Array {
  const sorted = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (let i = 0; i < sorted.length; i++) {
    checkName(sorted[i]!.name);
    if (i > 0 && sorted[i - 1]!.name === sorted[i]!.name) throw new BootfsError(`duplicate name "${sorted[i]!.name}"`);
  }
  let cursor = alignUp(BOOTFS_HEADER_SIZE + sorted.length * BOOTFS_ENTRY_SIZE, BOOTFS_DATA_ALIGN);
  const offsets: number[] = [];
  for (const e of sorted) {
    if (e.type === T_FILE) {
      offsets.push(cursor);
      cursor = alignUp(cursor + e.data.length, BOOTFS_DATA_ALIGN);
    } else {
      offsets.push(0);
    }
  }
  if (cursor > 0xffffffff) throw new BootfsError("image larger than 4 GiB");
  const image = new Uint8Array(cursor);
  const view = new DataView(image.buffer);
  view.setUint32(0, BOOTFS_MAGIC, true);
  view.setUint32(4, BOOTFS_VERSION, true);
  view.setUint32(8, sorted.length, true);
  view.setUint32(12, 0, true);
  sorted.forEach((e, i) => {
    const at = BOOTFS_HEADER_SIZE + i * BOOTFS_ENTRY_SIZE;
    for (let j = 0; j < e.name.length; j++) image[at + j] = e.name.charCodeAt(j);
    view.setUint32(at + 16, offsets[i]!, true);
    if (e.type === T_FILE) {
      view.setUint32(at + 20, e.data.length, true);
      view.setUint16(at + 24, T_FILE, true);
      image.set(e.data, offsets[i]!);
    } else {
      if (!Number.isInteger(e.major) || !Number.isInteger(e.minor) || e.major < 0 || e.minor < 0 || e.major > 0xffff || e.minor > 0xffff) {
        throw new BootfsError(`device "${e.name}": major and minor must be 0..65535`);
      }
      view.setUint32(at + 20, 0, true);
      view.setUint16(at + 24, T_DEVICE, true);
      view.setUint16(at + 26, e.major, true);
      view.setUint16(at + 28, e.minor, true);
    }
  });
  return image;
}

/** Reads and validates an image; throws BootfsError on anything malformed. */
export function parseBootfs(image: Uint8Array): BootfsEntry[] {
  if (image.length < BOOTFS_HEADER_SIZE) throw new BootfsError("image shorter than its header");
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  if (view.getUint32(0, true) !== BOOTFS_MAGIC) throw new BootfsError("bad magic");
  if (view.getUint32(4, true) !== BOOTFS_VERSION) throw new BootfsError(`unsupported version ${view.getUint32(4, true)}`);
  const count = view.getUint32(8, true);
  if (BOOTFS_HEADER_SIZE + count * BOOTFS_ENTRY_SIZE > image.length) throw new BootfsError("entry table runs past the image");
  const entries: BootfsEntry[] = [];
  for (let i = 0; i < count; i++) {
    const at = BOOTFS_HEADER_SIZE + i * BOOTFS_ENTRY_SIZE;
    const raw = image.subarray(at, at + BOOTFS_NAME_FIELD);
    const nul = raw.indexOf(0);
    if (nul < 0 || nul > BOOTFS_NAME_MAX) throw new BootfsError(`entry ${i}: name is not NUL-terminated within ${BOOTFS_NAME_MAX + 1} bytes`);
    if (raw.subarray(nul).some((b) => b !== 0)) throw new BootfsError(`entry ${i}: name is not NUL-padded`);
    const name = String.fromCharCode(...raw.subarray(0, nul));
    checkName(name);
    if (i > 0 && !(entries[i - 1]!.name < name)) throw new BootfsError(`entry ${i}: names not sorted and unique`);
    const offset = view.getUint32(at + 16, true);
    const size = view.getUint32(at + 20, true);
    const type = view.getUint16(at + 24, true);
    if (type === T_FILE) {
      if (offset % BOOTFS_DATA_ALIGN !== 0) throw new BootfsError(`${name}: offset ${offset} is not 8-byte aligned`);
      if (offset < BOOTFS_HEADER_SIZE + count * BOOTFS_ENTRY_SIZE || offset + size > image.length) {
        throw new BootfsError(`${name}: data ${offset}+${size} lies outside the data area`);
      }
      entries.push({ name, type: T_FILE, data: image.subarray(offset, offset + size) });
    } else if (type === T_DEVICE) {
      entries.push({ name, type: T_DEVICE, major: view.getUint16(at + 26, true), minor: view.getUint16(at + 28, true) });
    } else {
      throw new BootfsError(`${name}: unknown type ${type}`);
    }
  }
  return entries;
}

function main(argv: string[]): void {
  let out: string | undefined;
  const entries: BootfsEntry[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--out") out = argv[++i];
    else if (arg === "--console") entries.push({ name: "console", type: T_DEVICE, major: CONSOLE_MAJOR, minor: 0 });
    else if (arg.includes("=")) {
      const eq = arg.indexOf("=");
      entries.push({ name: arg.slice(0, eq), type: T_FILE, data: readFileSync(arg.slice(eq + 1)) });
    } else throw new BootfsError(`unexpected argument "${arg}"`);
  }
  if (!out) throw new BootfsError("usage: mkbootfs --out IMG [--console] NAME=PATH...");
  writeFileSync(out, writeBootfs(entries));
}

if (process.argv[1] && /mkbootfs\.ts$/.test(process.argv[1])) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    console.error(`mkbootfs: ${(e as Error).message}`);
    process.exit(1);
  }
}
