// Whole-machine snapshots: RAM, the machine's and devices' state, and the
// disk, in one file that restores into a new Machine which continues exactly
// where the saved one was (docs/snapshots.md has the file format).
//
//   captureSnapshot(machine)            synchronous: copies what a snapshot
//                                       needs (non-zero RAM pages, non-zero
//                                       disk blocks, states), so the machine
//                                       may run on while the copy is encoded
//   encodeSnapshot(capture, buildId)    async: compresses and frames it
//   decodeSnapshot(bytes, buildId)      async: validates everything (magic,
//                                       format, build, lengths, checksum,
//                                       decompressed sizes) and throws a
//                                       SnapshotError with a sentence for
//                                       the user; touches no machine
//   restoreMachine(kernel, snapshot, callbacks, { modules, disk })
//                                       a new Machine, already continuing
//
// A snapshot belongs to one kernel build: the kernel's data layout is the
// RAM's meaning. The build id is the SHA-256 of the kernel's .wasm bytes
// (snapshotBuildId); a snapshot with another id is refused.
//
// Relies only on what Node 20 and browsers share: CompressionStream,
// Blob/Response, crypto.subtle.

import type { BootModule } from "./bootinfo.js";
import { compress, concatBytes, decompress } from "./compress.js";
import type { BlockBackend } from "./devices/block.js";
import {
  Machine, type ClockModeName, type MachineCallbacks, type MachineConfig, type MachineSavedState, type MachineState,
} from "./machine.js";

export const SNAPSHOT_MAGIC = "KEELSNAP";
export const SNAPSHOT_FORMAT = 1;
/** What the page calls a downloaded snapshot. */
export const SNAPSHOT_FILE_NAME = "keel-snapshot.keelsnap";
/** RAM pages and disk blocks are skipped or stored in units of this many bytes. */
export const SNAPSHOT_PAGE = 4096;
/** Magic, format (u32), header length (u32). */
const PREAMBLE_BYTES = 16;
/** A header longer than this is not one of ours (it is JSON of a few KiB). */
const MAX_HEADER_BYTES = 16 * 1024 * 1024;
/** Disk blocks read at a time while capturing. */
const DISK_CHUNK_BLOCKS = 256;
const MAX_RAM_BYTES = 65536 * 65536;
const MACHINE_STATES: readonly MachineState[] = ["running", "idle", "halted", "panicked"];

/** A snapshot that cannot be read or restored; the message is for the user. */
export class SnapshotError extends Error {}

/** The machine settings a snapshot carries (the boot modules are in RAM). */
export interface SnapshotConfig {
  ramBytes: number;
  clock: ClockModeName;
  cmdline: string;
  nsPerWork?: number;
  epochMs?: number;
  seed?: number;
}

/** A disk as a snapshot holds it: its size, and its image up to the last
 *  block that is not all zeros (the rest of the disk is zeros). */
export interface SnapshotDisk {
  blocks: number;
  image: Uint8Array;
}

/** What captureSnapshot copied: pages are packed, `map` has a bit per page. */
export interface SnapshotCapture {
  config: SnapshotConfig;
  machine: MachineSavedState;
  ram: PackedPages;
  disk: { blocks: number; pages: PackedPages } | null;
}

interface PackedPages {
  /** Bytes described (RAM size, or the disk's size). */
  length: number;
  /** One bit per SNAPSHOT_PAGE, set when the page is stored. */
  map: Uint8Array;
  /** The stored pages, back to back. */
  data: Uint8Array;
}

/** A decoded, fully checked snapshot. */
export interface Snapshot {
  format: number;
  build: string;
  created: string;
  config: SnapshotConfig;
  machine: MachineSavedState;
  ram: Uint8Array;
  disk: SnapshotDisk | null;
}

/** One part of the file after the header, as the header lists it. */
interface SectionEntry {
  name: string;
  /** Bytes in the file (gzip). */
  length: number;
  /** Bytes once decompressed. */
  rawLength: number;
}

interface Header {
  format: number;
  build: string;
  created: string;
  config: SnapshotConfig;
  machine: Omit<MachineSavedState, "imports"> & { imports: { name: number[]; length: number }[] };
  ram: { bytes: number; pages: number };
  disk: { blocks: number; pages: number } | null;
  sections: SectionEntry[];
  /** SHA-256 (hex) of every section's bytes, in order. */
  sha256: string;
}

// ---- build identity --------------------------------------------------------

/** The id of a kernel build: SHA-256 of its .wasm bytes, in hex. */
export async function snapshotBuildId(kernelBytes: Uint8Array): Promise<string> {
  return sha256Hex(kernelBytes);
}

/** How a build id is shown to people. */
export function shortBuildId(id: string): string {
  return `${id.slice(0, 12)}…`;
}

// ---- saving ----------------------------------------------------------------

/** Copies everything a snapshot needs out of a booted machine, between slices. */
export function captureSnapshot(machine: Machine): SnapshotCapture {
  const { state, ram } = machine.saveState();
  const c = machine.config;
  const config: SnapshotConfig = {
    ramBytes: c.ramBytes, clock: c.clock, cmdline: c.cmdline,
    ...(c.nsPerWork !== undefined ? { nsPerWork: c.nsPerWork } : {}),
    ...(c.epochMs !== undefined ? { epochMs: c.epochMs } : {}),
    ...(c.seed !== undefined ? { seed: c.seed } : {}),
  };
  const disk = machine.block.disk;
  return { config, machine: state, ram: packRam(ram), disk: disk === null ? null : { blocks: disk.blocks, pages: packDisk(disk) } };
}

/** The snapshot file for a capture. */
export async function encodeSnapshot(capture: SnapshotCapture, buildId: string): Promise<Uint8Array> {
  const importData = concatBytes(capture.machine.imports.map((i) => i.data));
  const raw: [string, Uint8Array][] = [["ram-map", capture.ram.map], ["ram", capture.ram.data]];
  if (capture.disk !== null) raw.push(["disk-map", capture.disk.pages.map], ["disk", capture.disk.pages.data]);
  raw.push(["imports", importData]);
  const compressed = await Promise.all(raw.map(([, bytes]) => compress(bytes, "gzip")));
  const sections: SectionEntry[] = raw.map(([name, bytes], i) => ({ name, length: compressed[i]!.length, rawLength: bytes.length }));
  const body = concatBytes(compressed);
  const header: Header = {
    format: SNAPSHOT_FORMAT,
    build: buildId,
    created: new Date().toISOString(),
    config: capture.config,
    machine: {
      ...capture.machine,
      imports: capture.machine.imports.map((i) => ({ name: Array.from(i.name), length: i.data.length })),
    },
    ram: { bytes: capture.ram.length, pages: countBits(capture.ram.map) },
    disk: capture.disk === null ? null : { blocks: capture.disk.blocks, pages: countBits(capture.disk.pages.map) },
    sections,
    sha256: await sha256Hex(body),
  };
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const file = new Uint8Array(PREAMBLE_BYTES + headerBytes.length + body.length);
  file.set(new TextEncoder().encode(SNAPSHOT_MAGIC), 0);
  const view = new DataView(file.buffer);
  view.setUint32(8, SNAPSHOT_FORMAT, true);
  view.setUint32(12, headerBytes.length, true);
  file.set(headerBytes, PREAMBLE_BYTES);
  file.set(body, PREAMBLE_BYTES + headerBytes.length);
  return file;
}

/** captureSnapshot then encodeSnapshot. */
export async function saveSnapshot(machine: Machine, buildId: string): Promise<Uint8Array> {
  return encodeSnapshot(captureSnapshot(machine), buildId);
}

// ---- reading ---------------------------------------------------------------

/** Reads and checks a snapshot file made by the build `buildId`. */
export async function decodeSnapshot(bytes: Uint8Array, buildId: string): Promise<Snapshot> {
  const header = readHeader(bytes);
  if (header.build !== buildId) {
    throw new SnapshotError(
      `This snapshot was saved by a different build of Keel (kernel ${shortBuildId(header.build)}, this one runs ${shortBuildId(buildId)}); it cannot be restored.`,
    );
  }
  const start = PREAMBLE_BYTES + new DataView(bytes.buffer, bytes.byteOffset + 12, 4).getUint32(0, true);
  const bodyLength = header.sections.reduce((sum, s) => sum + s.length, 0);
  if (bytes.length < start + bodyLength) {
    throw new SnapshotError(`The snapshot is cut short: it has ${bytes.length} bytes, its header promises ${start + bodyLength}.`);
  }
  if (bytes.length > start + bodyLength) throw new SnapshotError("The snapshot has bytes after its end; it is damaged.");
  const body = bytes.subarray(start);
  if (await sha256Hex(body) !== header.sha256) throw new SnapshotError("The snapshot is damaged: its checksum does not match.");

  const sections = new Map<string, Uint8Array>();
  let offset = 0;
  for (const s of header.sections) {
    const stored = body.subarray(offset, offset + s.length);
    offset += s.length;
    let data: Uint8Array;
    try {
      data = await decompress(stored, "gzip", s.rawLength);
    } catch {
      throw new SnapshotError(`The snapshot is damaged: its ${s.name} section does not decompress.`);
    }
    if (data.length !== s.rawLength) throw new SnapshotError(`The snapshot is damaged: its ${s.name} section has the wrong length.`);
    sections.set(s.name, data);
  }
  const section = (name: string): Uint8Array => {
    const data = sections.get(name);
    if (data === undefined) throw new SnapshotError(`The snapshot is damaged: it has no ${name} section.`);
    return data;
  };

  const ram = unpack(header.ram.bytes, section("ram-map"), section("ram"), "RAM");
  let disk: SnapshotDisk | null = null;
  if (header.disk !== null) {
    const full = unpack(header.disk.blocks * SNAPSHOT_PAGE, section("disk-map"), section("disk"), "disk");
    disk = { blocks: header.disk.blocks, image: trimZeroPages(full, section("disk-map")) };
  }
  const importData = section("imports");
  const imports: MachineSavedState["imports"] = [];
  let at = 0;
  for (const i of header.machine.imports) {
    imports.push({ name: Uint8Array.from(i.name), data: importData.slice(at, at + i.length) });
    at += i.length;
  }
  if (at !== importData.length) throw new SnapshotError("The snapshot is damaged: its imported files do not add up.");
  return {
    format: header.format, build: header.build, created: header.created, config: header.config,
    machine: { ...header.machine, imports }, ram, disk,
  };
}

/** The header of a snapshot file, checked (not the build id, nor the body). */
function readHeader(bytes: Uint8Array): Header {
  const notOne = "This file is not a Keel snapshot";
  if (bytes.length < PREAMBLE_BYTES) throw new SnapshotError(`${notOne} (it is only ${bytes.length} bytes long).`);
  if (new TextDecoder().decode(bytes.subarray(0, 8)) !== SNAPSHOT_MAGIC) throw new SnapshotError(`${notOne} (it does not start with ${SNAPSHOT_MAGIC}).`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, PREAMBLE_BYTES);
  const format = view.getUint32(8, true);
  if (format !== SNAPSHOT_FORMAT) {
    throw new SnapshotError(`This snapshot has format ${format}; this build of Keel reads format ${SNAPSHOT_FORMAT}, so it cannot be restored.`);
  }
  const headerLength = view.getUint32(12, true);
  if (headerLength > MAX_HEADER_BYTES) throw new SnapshotError("The snapshot is damaged: its header length is impossible.");
  if (bytes.length < PREAMBLE_BYTES + headerLength) throw new SnapshotError("The snapshot is cut short: its header is incomplete.");
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(PREAMBLE_BYTES, PREAMBLE_BYTES + headerLength)));
  } catch {
    throw new SnapshotError("The snapshot is damaged: its header is not readable.");
  }
  const problem = headerProblem(header);
  if (problem !== null) throw new SnapshotError(`The snapshot is damaged: ${problem}.`);
  return header as Header;
}

/** What is wrong with a parsed header, or null. Device states are checked by
 *  the devices themselves when the machine is restored. */
function headerProblem(value: unknown): string | null {
  if (!isObject(value)) return "its header is not an object";
  const h = value as Partial<Header>;
  if (h.format !== SNAPSHOT_FORMAT) return "its header's format does not match";
  if (typeof h.build !== "string" || !/^[0-9a-f]{64}$/.test(h.build)) return "its build id is missing";
  if (typeof h.created !== "string") return "its date is missing";
  if (typeof h.sha256 !== "string") return "its checksum is missing";
  const c = h.config;
  if (!isObject(c) || !isCount(c.ramBytes) || (c.clock !== "realtime" && c.clock !== "deterministic") || typeof c.cmdline !== "string") {
    return "its machine settings are incomplete";
  }
  if (!isObject(h.ram) || !isCount(h.ram.bytes) || h.ram.bytes % 65536 !== 0 || h.ram.bytes < c.ramBytes || h.ram.bytes > MAX_RAM_BYTES) {
    return "its RAM size is impossible";
  }
  if (h.disk !== null && (!isObject(h.disk) || !isCount(h.disk.blocks) || h.disk.blocks >= 2 ** 32)) return "its disk size is impossible";
  if (!Array.isArray(h.sections) || !h.sections.every((s: unknown) => isObject(s) && typeof s.name === "string" && isCount(s.length) && isCount(s.rawLength))) {
    return "its list of sections is unreadable";
  }
  const m = h.machine;
  if (!isObject(m) || !MACHINE_STATES.includes(m.state as MachineState) || typeof m.panicMessage !== "string" || !isCount(m.boots) || !isCount(m.runs) ||
      !isCount(m.rngState) || typeof m.rebootRequested !== "boolean" || !isObject(m.clock) || !isObject(m.devices) ||
      !Array.isArray(m.uartTx) || !m.uartTx.every((b: unknown) => isCount(b) && (b as number) < 256) || !Array.isArray(m.imports) ||
      !m.imports.every((i: unknown) => isObject(i) && Array.isArray(i.name) && isCount(i.length))) {
    return "its machine state is incomplete";
  }
  return null;
}

// ---- restoring -------------------------------------------------------------

export interface RestoreOptions {
  /** Boot modules for the machine's later reboots (RAM already holds the saved ones). */
  modules?: BootModule[];
  /** The disk, already holding the snapshot's disk contents; null when the snapshot has none. */
  disk?: BlockBackend | null;
}

/** The configuration a restored machine is built with. */
export function snapshotMachineConfig(snapshot: Snapshot, options: RestoreOptions = {}): MachineConfig {
  return { ...snapshot.config, modules: options.modules ?? [], disk: options.disk ?? null };
}

/** Builds a machine from a decoded snapshot; it continues where the saved one stopped. */
export function restoreMachine(kernel: WebAssembly.Module, snapshot: Snapshot, callbacks: MachineCallbacks, options: RestoreOptions = {}): Machine {
  const machine = new Machine(kernel, snapshotMachineConfig(snapshot, options), callbacks);
  restoreInto(machine, snapshot);
  return machine;
}

/** Restores a decoded snapshot into a machine built with snapshotMachineConfig()
 *  that has not booted; a state that does not fit throws a SnapshotError. */
export function restoreInto(machine: Machine, snapshot: Snapshot): void {
  if ((snapshot.disk === null) !== (machine.block.disk === null)) {
    throw new SnapshotError(snapshot.disk === null
      ? "This snapshot was saved without a disk, but a disk is attached."
      : "This snapshot was saved with a disk, but no disk is attached.");
  }
  if (snapshot.disk !== null && machine.block.disk!.blocks !== snapshot.disk.blocks) {
    throw new SnapshotError(`The disk has ${machine.block.disk!.blocks} blocks, the snapshot's had ${snapshot.disk.blocks}.`);
  }
  try {
    machine.restoreState(snapshot.machine, snapshot.ram);
  } catch (error) {
    throw new SnapshotError(`The snapshot cannot be restored: ${error instanceof Error ? error.message : String(error)}.`);
  }
}

// ---- pages -----------------------------------------------------------------

function packRam(ram: Uint8Array): PackedPages {
  const pages = Math.ceil(ram.length / SNAPSHOT_PAGE);
  const map = new Uint8Array(Math.ceil(pages / 8));
  const words = new Uint32Array(ram.buffer, ram.byteOffset, Math.floor(ram.length / 4));
  const stored: number[] = [];
  for (let p = 0; p < pages; p++) {
    if (!pageIsZero(words, p)) {
      map[p >> 3]! |= 1 << (p & 7);
      stored.push(p);
    }
  }
  const data = new Uint8Array(stored.length * SNAPSHOT_PAGE);
  stored.forEach((p, i) => data.set(ram.subarray(p * SNAPSHOT_PAGE, (p + 1) * SNAPSHOT_PAGE), i * SNAPSHOT_PAGE));
  return { length: ram.length, map, data };
}

function packDisk(disk: BlockBackend): PackedPages {
  const map = new Uint8Array(Math.ceil(disk.blocks / 8));
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(DISK_CHUNK_BLOCKS * SNAPSHOT_PAGE);
  const words = new Uint32Array(buffer.buffer);
  for (let first = 0; first < disk.blocks; first += DISK_CHUNK_BLOCKS) {
    const count = Math.min(DISK_CHUNK_BLOCKS, disk.blocks - first);
    disk.read(first, buffer.subarray(0, count * SNAPSHOT_PAGE));
    for (let i = 0; i < count; i++) {
      if (pageIsZero(words, i)) continue;
      map[(first + i) >> 3]! |= 1 << ((first + i) & 7);
      chunks.push(buffer.slice(i * SNAPSHOT_PAGE, (i + 1) * SNAPSHOT_PAGE));
    }
  }
  return { length: disk.blocks * SNAPSHOT_PAGE, map, data: concatBytes(chunks) };
}

function pageIsZero(words: Uint32Array, page: number): boolean {
  const per = SNAPSHOT_PAGE / 4;
  for (let i = page * per, end = i + per; i < end; i++) if (words[i] !== 0) return false;
  return true;
}

function unpack(length: number, map: Uint8Array, data: Uint8Array, what: string): Uint8Array {
  const pages = Math.ceil(length / SNAPSHOT_PAGE);
  if (map.length !== Math.ceil(pages / 8) || data.length !== countBits(map) * SNAPSHOT_PAGE) {
    throw new SnapshotError(`The snapshot is damaged: its ${what} pages do not add up.`);
  }
  const out = new Uint8Array(length);
  let at = 0;
  for (let p = 0; p < pages; p++) {
    if ((map[p >> 3]! & (1 << (p & 7))) === 0) continue;
    out.set(data.subarray(at, at + SNAPSHOT_PAGE), p * SNAPSHOT_PAGE);
    at += SNAPSHOT_PAGE;
  }
  return out;
}

/** `full` up to its last stored page. */
function trimZeroPages(full: Uint8Array, map: Uint8Array): Uint8Array {
  for (let p = map.length * 8 - 1; p >= 0; p--) {
    if ((map[p >> 3]! & (1 << (p & 7))) !== 0) return full.subarray(0, (p + 1) * SNAPSHOT_PAGE);
  }
  return full.subarray(0, 0);
}

function countBits(map: Uint8Array): number {
  let n = 0;
  for (let b of map) for (; b !== 0; b &= b - 1) n++;
  return n;
}

// ---- bytes -----------------------------------------------------------------

async function sha256Hex(data: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): boolean {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}
