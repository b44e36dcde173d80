// Test entry for the file system (dev/blk.ts and fs/*): the operations as
// the system calls will use them, plus a few probes into the layers below
// (the cache, the log) for directed tests. Paths and data pass through
// buffers this entry allocates at init; the test writes them with the
// instance's memory.

export { kernelImageEnd } from "../src/lib/image";
import { framesInit, frameAlloc, KIND_KERNEL } from "../src/mm/frames";
import { slabInit } from "../src/mm/slab";
import { blkInit, blkRead, blkWrite, blkFlush, blkCapacity, blkAck, blkErrors } from "../src/dev/blk";
import { bread, brelse, bufData, bufFailed, bufError, bcacheBusy, bcacheReferenced, bcacheExhausted, NBUF } from "../src/fs/bcache";
import { logWrite, logCommits, logRecovered, logCapacity, logAborts, logLargest, logDiscarded, logDiscardReason } from "../src/fs/log";
import {
  iget, iput, idup, stati, inodeType, inodeSize, inodeNlink, inodeInum, inodeMajor, inodeMinor, icacheHeld,
  txnBegin, txnEnd, NINODE,
} from "../src/fs/inode";
import { namei, nameiParent, dirLookup } from "../src/fs/dir";
import {
  fsMount, fsCreate, fsUnlink, fsLink, fsTruncate, fsWrite, fsRead, fsStatfs, fsLookup, fsWriteChunk, fsMounted,
  fsMountWith, fsReadOnly, fsDamageReports,
} from "../src/fs/fsops";
import { logNextSeq, logRecordText, logRecordLength } from "../src/lib/log";

export {
  blkInit, blkRead, blkWrite, blkFlush, blkCapacity, blkAck, blkErrors,
  bcacheBusy, bcacheReferenced, bcacheExhausted,
  logCommits, logRecovered, logCapacity, logAborts, logLargest, logDiscarded, logDiscardReason,
  iget, iput, idup, stati, inodeType, inodeSize, inodeNlink, inodeInum, inodeMajor, inodeMinor, icacheHeld,
  namei, nameiParent, dirLookup,
  fsMount, fsCreate, fsUnlink, fsLink, fsTruncate, fsWrite, fsRead, fsStatfs, fsLookup, fsWriteChunk, fsMounted,
  fsMountWith, fsReadOnly, fsDamageReports, logNextSeq, logRecordText, logRecordLength,
};

/** Data buffer: 2^DATA_ORDER frames. */
const DATA_ORDER: u32 = 9; // 2 MiB
let dataBuf: usize = 0;
let pathBuf: usize = 0;

/** Brings up frames and slab and allocates the test's buffers. */
export function init(): i32 {
  let r = framesInit();
  if (r != 0) return r;
  r = slabInit();
  if (r != 0) return r;
  dataBuf = frameAlloc(DATA_ORDER, KIND_KERNEL);
  pathBuf = frameAlloc(0, KIND_KERNEL);
  return dataBuf != 0 && pathBuf != 0 ? 0 : -1;
}
export function dataAddr(): usize { return dataBuf; }
export function dataSize(): u32 { return <u32>4096 << DATA_ORDER; }
/** Two paths of up to 2 KiB each: the first at pathAddr(), the second 2 KiB on. */
export function pathAddr(): usize { return pathBuf; }
export function nbuf(): u32 { return NBUF; }
export function ninode(): u32 { return NINODE; }

/** Takes `count` buffers for blocks first.. without releasing them; returns
 *  how many it got, or the error code the first failure carried. */
export function holdBuffers(first: u32, count: u32, out: usize): i32 {
  for (let i: u32 = 0; i < count; i++) {
    const b = bread(first + i);
    if (bufFailed(b)) return bufError(b);
    store<u32>(out + (<usize>i << 2), <u32>b);
  }
  return <i32>count;
}
export function releaseBuffers(count: u32, out: usize): void {
  for (let i: u32 = 0; i < count; i++) brelse(<usize>load<u32>(out + (<usize>i << 2)));
}

/** One transaction that scribbles on `count` blocks from `first` (byte 0 of
 *  each set to `value`); returns what txnEnd said. With count above the
 *  log's capacity it must be refused and change nothing. */
export function scribble(first: u32, count: u32, value: u8): i32 {
  let r = txnBegin();
  if (r != 0) return r;
  for (let i: u32 = 0; i < count; i++) {
    const b = bread(first + i);
    if (bufFailed(b)) { txnEnd(); return bufError(b); }
    store<u8>(bufData(b), value);
    logWrite(b);
    brelse(b);
  }
  return txnEnd();
}
/** Byte 0 of block b as the cache sees it (or a negative code). */
export function peekBlock(b: u32): i32 {
  const buf = bread(b);
  if (bufFailed(buf)) return bufError(buf);
  const v = <i32>load<u8>(bufData(buf));
  brelse(buf);
  return v;
}
