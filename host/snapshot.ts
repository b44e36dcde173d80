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
//                                       format, the whole file's checksum,
//                                       every header field, build, section
//                                       sizes, decompressed sizes, the disk's
//                                       superblock) and throws a
//                                       SnapshotError with a sentence for
//                                       the user; touches no machine
//   restoreDetached(kernel, snapshot, callbacks, modules)
//                                       a new Machine, already continuing, on
//                                       a placeholder disk: every check that
//                                       needs a machine has passed, and the
//                                       caller only then replaces the user's
//                                       disk and attaches it
//   restoreMachine(kernel, snapshot, callbacks, { modules, disk })
//                                       the same on a disk already holding
//                                       the snapshot's contents (tests)
//
// A snapshot belongs to one kernel build: the kernel's data layout is the
// RAM's meaning. The build id is the SHA-256 of the kernel's .wasm bytes
// (snapshotBuildId); a snapshot with another id is refused.
//
// Relies only on what Node 20 and browsers share: CompressionStream,
// Blob/Response, crypto.subtle.

import type { BootModule } from "./bootinfo.js";
import type { JitSetting } from "./rv/jit-host.js";
import { compress, concatBytes, decompress } from "./compress.js";
import type { BlockBackend } from "./devices/block.js";
import { declaredDiskBlocks } from "./fs/format.js";
import { IMPORT_NAME_MAX } from "./hw.js";
import {
  Machine, MachineConfigError, validateConfig, type ClockModeName, type MachineCallbacks, type MachineConfig,
  type MachineSavedState, type MachineState,
} from "./machine.js";

export const SNAPSHOT_MAGIC = "KEELSNAP";
/** 2: the file ends in a SHA-256 of everything before it (1 hashed the sections only). */
export const SNAPSHOT_FORMAT = 2;
/** What the page calls a downloaded snapshot. */
export const SNAPSHOT_FILE_NAME = "keel-snapshot.keelsnap";
/** RAM pages and disk blocks are skipped or stored in units of this many bytes. */
export const SNAPSHOT_PAGE = 4096;
/** Magic, format (u32), header length (u32). */
const PREAMBLE_BYTES = 16;
/** The SHA-256 that ends the file, over every byte before it. */
const CHECKSUM_BYTES = 32;
/** A header longer than this is not one of ours (it is JSON of a few KiB). */
const MAX_HEADER_BYTES = 16 * 1024 * 1024;
/** The sections, in the order they are stored. */
const SECTIONS_WITH_DISK = ["ram-map", "ram", "disk-map", "disk", "imports"] as const;
const SECTIONS_WITHOUT_DISK = ["ram-map", "ram", "imports"] as const;
/** Bounds on settings a snapshot may carry (generous; a real one is far inside). */
const MAX_NS_PER_WORK = 1_000_000;
const MAX_CMDLINE_CHARS = 4096;
const MAX_PANIC_CHARS = 4096;
const MAX_UART_TX_BYTES = 1 << 20;
const MAX_LAYOUT_ENTRIES = 256;
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
  /** vCPUs (absent: 1). */
  cpus?: number;
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
  machine: Omit<MachineSavedState, "imports"> & { imports: { name: number[]; length: number; flags?: number; offset?: number; total?: number }[] };
  ram: { bytes: number; pages: number };
  disk: { blocks: number; pages: number } | null;
  sections: SectionEntry[];
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
    ...((c.cpus ?? 1) > 1 ? { cpus: c.cpus } : {}),
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
      imports: capture.machine.imports.map((i) => ({
        name: Array.from(i.name), length: i.data.length,
        ...(i.flags !== undefined ? { flags: i.flags } : {}), ...(i.offset !== undefined ? { offset: i.offset } : {}),
        ...(i.total !== undefined ? { total: i.total } : {}),
      })),
    },
    ram: { bytes: capture.ram.length, pages: countBits(capture.ram.map) },
    disk: capture.disk === null ? null : { blocks: capture.disk.blocks, pages: countBits(capture.disk.pages.map) },
    sections,
  };
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const file = new Uint8Array(PREAMBLE_BYTES + headerBytes.length + body.length + CHECKSUM_BYTES);
  file.set(new TextEncoder().encode(SNAPSHOT_MAGIC), 0);
  const view = new DataView(file.buffer);
  view.setUint32(8, SNAPSHOT_FORMAT, true);
  view.setUint32(12, headerBytes.length, true);
  file.set(headerBytes, PREAMBLE_BYTES);
  file.set(body, PREAMBLE_BYTES + headerBytes.length);
  const end = file.length - CHECKSUM_BYTES;
  file.set(await sha256(file.subarray(0, end)), end);
  return file;
}

/** captureSnapshot then encodeSnapshot. */
export async function saveSnapshot(machine: Machine, buildId: string): Promise<Uint8Array> {
  return encodeSnapshot(captureSnapshot(machine), buildId);
}

// ---- reading ---------------------------------------------------------------

/** Reads and checks a snapshot file made by the build `buildId`: nothing in
 *  it is used before the whole file has been checked. */
export async function decodeSnapshot(bytes: Uint8Array, buildId: string): Promise<Snapshot> {
  const { header, start } = readHeader(bytes);
  const bodyLength = header.sections.reduce((sum, s) => sum + s.length, 0);
  const fileLength = start + bodyLength + CHECKSUM_BYTES;
  if (bytes.length < fileLength) {
    throw new SnapshotError(`The snapshot is cut short: it has ${bytes.length} bytes, its header promises ${fileLength}.`);
  }
  if (bytes.length > fileLength) throw new SnapshotError("The snapshot has bytes after its end; it is damaged.");
  const end = bytes.length - CHECKSUM_BYTES;
  if (!sameBytes(await sha256(bytes.subarray(0, end)), bytes.subarray(end))) {
    throw new SnapshotError("The snapshot is damaged: its checksum does not match.");
  }
  if (header.build !== buildId) {
    throw new SnapshotError(
      `This snapshot was saved by a different build of Keel (kernel ${shortBuildId(header.build)}, this one runs ${shortBuildId(buildId)}); it cannot be restored.`,
    );
  }

  const body = bytes.subarray(start, end);
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
  const section = (name: string): Uint8Array => sections.get(name)!; // headerProblem checked the list

  const ram = unpack(header.ram.bytes, section("ram-map"), section("ram"), header.ram.pages, "RAM");
  let disk: SnapshotDisk | null = null;
  if (header.disk !== null) {
    const image = unpack(header.disk.blocks * SNAPSHOT_PAGE, section("disk-map"), section("disk"), header.disk.pages, "disk");
    const declared = declaredDiskBlocks(image);
    if (declared !== header.disk.blocks) {
      throw new SnapshotError(declared === null
        ? "The snapshot is damaged: its disk has no Keel superblock."
        : `The snapshot is damaged: its disk has ${header.disk.blocks} blocks but its file system describes ${declared}.`);
    }
    disk = { blocks: header.disk.blocks, image };
  }
  const importData = section("imports");
  const imports: MachineSavedState["imports"] = [];
  let at = 0;
  for (const i of header.machine.imports) {
    imports.push({
      name: Uint8Array.from(i.name), data: importData.slice(at, at + i.length),
      ...(typeof i.flags === "number" ? { flags: i.flags } : {}), ...(typeof i.offset === "number" ? { offset: i.offset } : {}),
      ...(typeof i.total === "number" ? { total: i.total } : {}),
    });
    at += i.length;
  }
  return {
    format: header.format, build: header.build, created: header.created, config: header.config,
    machine: { ...header.machine, imports }, ram, disk,
  };
}

/** The header of a snapshot file, checked field by field (not the build id,
 *  nor the body), and where the body starts. */
function readHeader(bytes: Uint8Array): { header: Header; start: number } {
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
  if (bytes.length < PREAMBLE_BYTES + headerLength + CHECKSUM_BYTES) throw new SnapshotError("The snapshot is cut short: its header is incomplete.");
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(PREAMBLE_BYTES, PREAMBLE_BYTES + headerLength)));
  } catch {
    throw new SnapshotError("The snapshot is damaged: its header is not readable.");
  }
  const problem = headerProblem(header);
  if (problem !== null) throw new SnapshotError(`The snapshot is damaged: ${problem}.`);
  return { header: header as Header, start: PREAMBLE_BYTES + headerLength };
}

/** What is wrong with a parsed header, or null. Everything a restore reads
 *  is checked here, including that the sizes agree with each other (so no
 *  section is decompressed or page map unpacked on a size the header merely
 *  claims); device states are checked again by the devices themselves, and
 *  the kernel checks its own state against the devices in resume(). */
export function headerProblem(value: unknown): string | null {
  if (!isObject(value)) return "its header is not an object";
  const h = value as Partial<Header>;
  if (h.format !== SNAPSHOT_FORMAT) return "its header's format does not match";
  if (typeof h.build !== "string" || !/^[0-9a-f]{64}$/.test(h.build)) return "its build id is missing";
  if (typeof h.created !== "string" || h.created.length > 64) return "its date is missing";
  const c = h.config;
  if (!isObject(c) || typeof c.cmdline !== "string" || c.cmdline.length > MAX_CMDLINE_CHARS) return "its machine settings are incomplete";
  try {
    validateConfig({ ramBytes: c.ramBytes as number, clock: c.clock as ClockModeName, cmdline: c.cmdline, cpus: c.cpus as number | undefined });
  } catch (error) {
    if (error instanceof MachineConfigError) return `its machine settings are impossible (${error.message})`;
    throw error;
  }
  if (c.nsPerWork !== undefined && !(isCount(c.nsPerWork) && c.nsPerWork >= 1 && c.nsPerWork <= MAX_NS_PER_WORK)) {
    return "its nanoseconds per work unit are impossible";
  }
  if (c.epochMs !== undefined && !isCount(c.epochMs)) return "its clock's epoch is impossible";
  if (c.seed !== undefined && !isU32(c.seed)) return "its entropy seed is impossible";
  for (const key of Object.keys(c)) {
    if (!["ramBytes", "clock", "cmdline", "nsPerWork", "epochMs", "seed", "cpus"].includes(key)) return `its machine settings have an unknown field ${JSON.stringify(key)}`;
  }
  if (!isObject(h.ram) || !isCount(h.ram.bytes) || h.ram.bytes % 65536 !== 0 || h.ram.bytes < (c.ramBytes as number) || h.ram.bytes > MAX_RAM_BYTES) {
    return "its RAM size is impossible";
  }
  if (!isCount(h.ram.pages) || h.ram.pages > h.ram.bytes / SNAPSHOT_PAGE) return "its count of RAM pages is impossible";
  if (h.disk !== null && (!isObject(h.disk) || !isCount(h.disk.blocks) || h.disk.blocks < 2 || h.disk.blocks >= 2 ** 32 ||
      !isCount(h.disk.pages) || h.disk.pages > h.disk.blocks)) {
    return "its disk size is impossible";
  }
  const m = h.machine;
  if (!isObject(m) || !MACHINE_STATES.includes(m.state as MachineState) || typeof m.panicMessage !== "string" ||
      m.panicMessage.length > MAX_PANIC_CHARS || !isCount(m.boots) || (m.boots as number) < 1 || !isCount(m.runs) ||
      !isU32(m.rngState) || typeof m.rebootRequested !== "boolean" || !isObject(m.devices) ||
      !Array.isArray(m.uartTx) || m.uartTx.length > MAX_UART_TX_BYTES || !m.uartTx.every(isByte)) {
    return "its machine state is incomplete";
  }
  if (m.state === "panicked" && m.panicMessage.length === 0) return "its machine state says panicked without a message";
  const clock = m.clock;
  if (!isObject(clock) || clock.mode !== c.clock || typeof clock.nowNs !== "number" || !Number.isFinite(clock.nowNs) ||
      clock.nowNs < 0 || clock.nowNs > Number.MAX_SAFE_INTEGER) {
    return "its clock is impossible";
  }
  if (m.layout !== null && !layoutIsSane(m.layout, h.ram.bytes)) return "its boot layout is impossible";
  if (!Array.isArray(m.imports) || !m.imports.every((i: unknown) => isObject(i) && Array.isArray(i.name) && i.name.length >= 1 &&
      i.name.length <= IMPORT_NAME_MAX && i.name.every(isByte) && isCount(i.length))) {
    return "its queued imports are unreadable";
  }

  // The sections: exactly the expected ones, in order, each decompressing to
  // the size the rest of the header implies.
  const names = h.disk === null ? SECTIONS_WITHOUT_DISK : SECTIONS_WITH_DISK;
  if (!Array.isArray(h.sections) || h.sections.length !== names.length ||
      !h.sections.every((s: unknown, i) => isObject(s) && s.name === names[i] && isCount(s.length) && isCount(s.rawLength))) {
    return "its list of sections is unreadable";
  }
  const ramPages = Math.ceil(h.ram.bytes / SNAPSHOT_PAGE);
  const expected: Record<string, number> = {
    "ram-map": Math.ceil(ramPages / 8),
    ram: h.ram.pages * SNAPSHOT_PAGE,
    imports: (m.imports as { length: number }[]).reduce((sum, i) => sum + i.length, 0),
  };
  if (h.disk !== null) {
    expected["disk-map"] = Math.ceil(h.disk.blocks / 8);
    expected.disk = h.disk.pages * SNAPSHOT_PAGE;
  }
  for (const s of h.sections as SectionEntry[]) {
    if (s.rawLength !== expected[s.name]) return `its ${s.name} section's size does not match the rest of the header`;
  }
  return null;
}

/** The boot layout's shape: regions and modules inside RAM. */
function layoutIsSane(value: unknown, ramBytes: number): boolean {
  if (!isObject(value) || !isCount(value.kernelImageEnd) || (value.kernelImageEnd as number) > ramBytes) return false;
  const inRam = (e: Record<string, unknown>): boolean =>
    isCount(e.base) && isCount(e.length) && (e.base as number) + (e.length as number) <= ramBytes;
  const { regions, modules } = value;
  return Array.isArray(regions) && regions.length <= MAX_LAYOUT_ENTRIES &&
    regions.every((r: unknown) => isObject(r) && inRam(r) && isU32(r.type)) &&
    Array.isArray(modules) && modules.length <= MAX_LAYOUT_ENTRIES &&
    modules.every((mod: unknown) => isObject(mod) && inRam(mod) && typeof mod.name === "string" && mod.name.length <= 256);
}

// ---- restoring -------------------------------------------------------------

export interface RestoreOptions {
  /** Boot modules for the machine's later reboots (RAM already holds the saved ones). */
  modules?: BootModule[];
  /** The disk, already holding the snapshot's disk contents; null when the snapshot has none. */
  disk?: BlockBackend | null;
  /** The network card's wire and MAC (a snapshot keeps neither; docs/network.md). */
  nic?: MachineConfig["nic"];
  /** The JIT for the restored machine (absent: the default, on; not machine state: a snapshot keeps no setting of it). */
  jit?: JitSetting;
}

/** The configuration a restored machine is built with. */
export function snapshotMachineConfig(snapshot: Snapshot, options: RestoreOptions = {}): MachineConfig {
  return { ...snapshot.config, modules: options.modules ?? [], disk: options.disk ?? null, nic: options.nic ?? null, jit: options.jit };
}

/** Builds a machine from a decoded snapshot; it continues where the saved one stopped. */
export function restoreMachine(kernel: WebAssembly.Module, snapshot: Snapshot, callbacks: MachineCallbacks, options: RestoreOptions = {}): Machine {
  const machine = new Machine(kernel, snapshotMachineConfig(snapshot, options), callbacks);
  restoreInto(machine, snapshot);
  return machine;
}

/**
 * Builds and resumes the snapshot's machine on a placeholder disk, so that
 * every check that needs a machine (devices, clock, the kernel's resume())
 * runs before the user's disk is touched. Only when this returns may the
 * caller write the snapshot's disk over the user's and `attachDisk` it; a
 * SnapshotError here leaves every disk as it was.
 */
export function restoreDetached(
  kernel: WebAssembly.Module, snapshot: Snapshot, callbacks: MachineCallbacks, modules: BootModule[] = [], nic: MachineConfig["nic"] = null,
  jit?: JitSetting,
): { machine: Machine; attachDisk(disk: BlockBackend): void } {
  const disk = snapshot.disk === null ? null : placeholderDisk(snapshot.disk.blocks);
  const machine = restoreMachine(kernel, snapshot, callbacks, { modules, disk, nic, jit });
  return {
    machine,
    attachDisk(real: BlockBackend): void {
      if (snapshot.disk === null) throw new SnapshotError("This snapshot was saved without a disk; none can be attached.");
      if (real.blocks !== snapshot.disk.blocks) throw new SnapshotError(`The disk has ${real.blocks} blocks, the snapshot's had ${snapshot.disk.blocks}.`);
      machine.block.attach(real);
    },
  };
}

/** Stands in for the disk while a restored machine is built and checked: it
 *  has the snapshot's size, and the machine does no I/O before it runs, by
 *  which time the real disk is attached. */
export function placeholderDisk(blocks: number): BlockBackend {
  const refuse = (): never => {
    throw new SnapshotError("the restored machine used its disk before the disk was attached");
  };
  return { blocks, read: refuse, write: refuse, flush: () => {} };
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

/** The bytes a page map and its stored pages describe, up to the last stored
 *  page (the rest of `length` is zeros): RAM is then grown to its size, and
 *  a disk image may be shorter than its disk. */
function unpack(length: number, map: Uint8Array, data: Uint8Array, pagesStored: number, what: string): Uint8Array {
  const pages = Math.ceil(length / SNAPSHOT_PAGE);
  const stored = countBits(map);
  const spare = map.length * 8 - pages; // bits past the last page must be clear
  const spareClear = spare === 0 || (map[map.length - 1]! >> (8 - spare)) === 0;
  if (map.length !== Math.ceil(pages / 8) || stored !== pagesStored || !spareClear || data.length !== stored * SNAPSHOT_PAGE) {
    throw new SnapshotError(`The snapshot is damaged: its ${what} pages do not add up.`);
  }
  let last = -1;
  for (let p = pages - 1; p >= 0 && last < 0; p--) if ((map[p >> 3]! & (1 << (p & 7))) !== 0) last = p;
  const out = new Uint8Array(what === "RAM" ? length : (last + 1) * SNAPSHOT_PAGE);
  let at = 0;
  for (let p = 0; p <= last; p++) {
    if ((map[p >> 3]! & (1 << (p & 7))) === 0) continue;
    out.set(data.subarray(at, at + SNAPSHOT_PAGE), p * SNAPSHOT_PAGE);
    at += SNAPSHOT_PAGE;
  }
  return out;
}

function countBits(map: Uint8Array): number {
  let n = 0;
  for (let b of map) for (; b !== 0; b &= b - 1) n++;
  return n;
}

// ---- bytes -----------------------------------------------------------------

async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>));
}

async function sha256Hex(data: Uint8Array): Promise<string> {
  return Array.from(await sha256(data), (b) => b.toString(16).padStart(2, "0")).join("");
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function isByte(value: unknown): boolean {
  return isCount(value) && (value as number) < 256;
}

function isU32(value: unknown): boolean {
  return isCount(value) && (value as number) < 2 ** 32;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): boolean {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}
