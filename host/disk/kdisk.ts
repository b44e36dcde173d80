// The compressed sparse disk file (.kdisk): what the page's Download disk
// saves and what Upload disk and `npm run boot -- --disk` read back. A disk
// is mostly zero blocks (a fresh 128 MiB disk holds well under 1 MiB), so the
// file lists only the runs of blocks that are not all zeros, then gzips that.
// The layout is in docs/fs-tools.md ("Compressed disk files"). Pure: no DOM,
// no Node module, so the page's worker and the runner share it.

import { compress, decompress, OutputLimitError } from "../compress.js";

export const KDISK_BLOCK_SIZE = 4096;
/** "KEELSPRS": the first 8 bytes of the unpacked file. */
export const KDISK_MAGIC = Uint8Array.from([0x4b, 0x45, 0x45, 0x4c, 0x53, 0x50, 0x52, 0x53]);
export const KDISK_VERSION = 1;
/** magic, version, block size, disk blocks, runs, reserved: 28 bytes. */
export const KDISK_HEADER_BYTES = 28;
const RUN_BYTES = 8;

export class KdiskError extends Error {}

/** A run of blocks that are not all zeros: `count` blocks from `first`. */
export interface BlockRun {
  first: number;
  count: number;
}

/** A disk as blocks: `blocks` is its size; `image` its first bytes (the
 *  rest reads as zeros), a whole number of blocks. */
export interface SparseDisk {
  blocks: number;
  image: Uint8Array;
}

/** True for a gzip stream (what `packDisk` writes). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function blockIsZero(image: Uint8Array, words: Uint32Array | null, block: number): boolean {
  const start = block * KDISK_BLOCK_SIZE;
  const end = Math.min(image.length, start + KDISK_BLOCK_SIZE);
  if (words !== null && end - start === KDISK_BLOCK_SIZE) {
    // Four bytes at a time: a 128 MiB disk is scanned in well under a second.
    for (let i = start >> 2, e = end >> 2; i < e; i++) if (words[i] !== 0) return false;
    return true;
  }
  for (let i = start; i < end; i++) if (image[i] !== 0) return false;
  return true;
}

/** The runs of nonzero blocks of `image`, in order, none touching another. */
export function nonzeroRuns(image: Uint8Array): BlockRun[] {
  const runs: BlockRun[] = [];
  const blocks = Math.ceil(image.length / KDISK_BLOCK_SIZE);
  const words = image.byteOffset % 4 === 0 ? new Uint32Array(image.buffer, image.byteOffset, image.length >> 2) : null;
  let current: BlockRun | null = null;
  for (let b = 0; b < blocks; b++) {
    if (blockIsZero(image, words, b)) {
      current = null;
    } else if (current !== null) {
      current.count++;
    } else {
      current = { first: b, count: 1 };
      runs.push(current);
    }
  }
  return runs;
}

/** The uncompressed sparse file for a disk of `blocks` blocks whose first
 *  bytes are `image` (not longer than the disk). */
export function encodeSparse(image: Uint8Array, blocks: number): Uint8Array {
  if (!Number.isInteger(blocks) || blocks < 0 || blocks >= 0x1_0000_0000) throw new KdiskError(`a disk of ${blocks} blocks cannot be written`);
  if (image.length > blocks * KDISK_BLOCK_SIZE) throw new KdiskError(`the image (${image.length} bytes) is longer than its ${blocks}-block disk`);
  const runs = nonzeroRuns(image);
  const dataBlocks = runs.reduce((sum, run) => sum + run.count, 0);
  const out = new Uint8Array(KDISK_HEADER_BYTES + runs.length * RUN_BYTES + dataBlocks * KDISK_BLOCK_SIZE);
  const view = new DataView(out.buffer);
  out.set(KDISK_MAGIC, 0);
  view.setUint32(8, KDISK_VERSION, true);
  view.setUint32(12, KDISK_BLOCK_SIZE, true);
  view.setUint32(16, blocks, true);
  view.setUint32(20, runs.length, true);
  view.setUint32(24, 0, true);
  let at = KDISK_HEADER_BYTES;
  for (const run of runs) {
    view.setUint32(at, run.first, true);
    view.setUint32(at + 4, run.count, true);
    at += RUN_BYTES;
  }
  for (const run of runs) {
    // The last block of an image may be short: the rest of it is zeros.
    out.set(image.subarray(run.first * KDISK_BLOCK_SIZE, (run.first + run.count) * KDISK_BLOCK_SIZE), at);
    at += run.count * KDISK_BLOCK_SIZE;
  }
  return out;
}

/** True when `bytes` starts with the sparse file's magic. */
export function isSparse(bytes: Uint8Array): boolean {
  return bytes.length >= KDISK_MAGIC.length && KDISK_MAGIC.every((b, i) => bytes[i] === b);
}

/** The disk an uncompressed sparse file describes; the image ends at its
 *  last nonzero block. Throws KdiskError, saying what is wrong, for anything
 *  that is not a well-formed file or describes more than `maxBlocks` blocks. */
export function decodeSparse(bytes: Uint8Array, maxBlocks: number): SparseDisk {
  if (!isSparse(bytes)) throw new KdiskError('it does not start with "KEELSPRS"');
  if (bytes.length < KDISK_HEADER_BYTES) throw new KdiskError(`its header is cut short (${bytes.length} of ${KDISK_HEADER_BYTES} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== KDISK_VERSION) throw new KdiskError(`its version is ${version}; this Keel reads version ${KDISK_VERSION}`);
  const blockSize = view.getUint32(12, true);
  if (blockSize !== KDISK_BLOCK_SIZE) throw new KdiskError(`its block size is ${blockSize}, not ${KDISK_BLOCK_SIZE}`);
  const blocks = view.getUint32(16, true);
  if (blocks > maxBlocks) throw new KdiskError(`it describes a disk of ${blocks} blocks; at most ${maxBlocks} are accepted`);
  const runCount = view.getUint32(20, true);
  const tableEnd = KDISK_HEADER_BYTES + runCount * RUN_BYTES;
  if (tableEnd > bytes.length) throw new KdiskError(`its table of ${runCount} runs is cut short`);
  const runs: BlockRun[] = [];
  let next = 0;
  let dataBlocks = 0;
  for (let i = 0; i < runCount; i++) {
    const first = view.getUint32(KDISK_HEADER_BYTES + i * RUN_BYTES, true);
    const count = view.getUint32(KDISK_HEADER_BYTES + i * RUN_BYTES + 4, true);
    if (count === 0) throw new KdiskError(`run ${i} is empty`);
    if (first < next) throw new KdiskError(`run ${i} (block ${first}) overlaps or comes before the run before it`);
    if (first + count > blocks) throw new KdiskError(`run ${i} (blocks ${first}–${first + count - 1}) runs past the disk's ${blocks} blocks`);
    runs.push({ first, count });
    next = first + count;
    dataBlocks += count;
  }
  const expected = tableEnd + dataBlocks * KDISK_BLOCK_SIZE;
  if (bytes.length !== expected) throw new KdiskError(`it is ${bytes.length} bytes long; its runs need exactly ${expected}`);
  const last = runs.at(-1);
  const image = new Uint8Array(last === undefined ? 0 : (last.first + last.count) * KDISK_BLOCK_SIZE);
  let at = tableEnd;
  for (const run of runs) {
    image.set(bytes.subarray(at, at + run.count * KDISK_BLOCK_SIZE), run.first * KDISK_BLOCK_SIZE);
    at += run.count * KDISK_BLOCK_SIZE;
  }
  return { blocks, image };
}

/** The .kdisk file of a disk: its sparse file, gzipped. */
export function packDisk(image: Uint8Array, blocks: number): Promise<Uint8Array> {
  return compress(encodeSparse(image, blocks), "gzip");
}

/**
 * Reads a disk file back: a .kdisk (gzipped sparse file), a gzipped raw
 * image, an uncompressed sparse file, or a raw image (returned as it is,
 * with `blocks` null: the caller knows the disk's size from its
 * superblock). Throws KdiskError on a damaged or oversized file.
 */
export async function unpackDisk(bytes: Uint8Array, maxBlocks: number): Promise<{ blocks: number | null; image: Uint8Array; packed: boolean }> {
  if (isSparse(bytes)) return { ...decodeSparse(bytes, maxBlocks), packed: true };
  if (!isGzip(bytes)) return { blocks: null, image: bytes, packed: false };
  let inner: Uint8Array;
  try {
    // A sparse file is never larger than its disk plus its table.
    inner = await decompress(bytes, "gzip", maxBlocks * (KDISK_BLOCK_SIZE + RUN_BYTES) + KDISK_HEADER_BYTES);
  } catch (error) {
    if (error instanceof OutputLimitError) throw new KdiskError(`it unpacks to more than a ${maxBlocks}-block disk`);
    throw new KdiskError(`it is not a gzip stream that can be read (${error instanceof Error ? error.message : String(error)})`);
  }
  if (isSparse(inner)) return { ...decodeSparse(inner, maxBlocks), packed: true };
  if (inner.length > maxBlocks * KDISK_BLOCK_SIZE) throw new KdiskError(`it unpacks to more than a ${maxBlocks}-block disk`);
  return { blocks: null, image: inner, packed: true };
}

