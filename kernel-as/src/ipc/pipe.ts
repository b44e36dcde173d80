// Pipes: a bounded byte buffer in one frame with a read end and a write end.
// Readers block while it is empty and a writer remains; writers block while
// it is full; reading after the last writer closed gives end of file;
// writing after the last reader closed fails. Blocking itself is done by the
// system-call layer (the call is restarted when the process wakes); this
// module only moves bytes and reports what would block.
// Relies on: mm/frames.

import { frameAlloc, frameFree, KIND_PIPE } from "../mm/frames";

/** Bytes a pipe holds (a power of two: the counters run free and wrap). */
export const PIPE_SIZE: u32 = 2048;
const P_READERS: usize = 0;
const P_WRITERS: usize = 4;
const P_NREAD: usize = 8;   // total bytes ever read
const P_NWRITE: usize = 12; // total bytes ever written
const P_DATA: usize = 64;

/** A new pipe with one reader and one writer, or 0. */
export function pipeCreate(): usize {
  const p = frameAlloc(0, KIND_PIPE);
  if (p == 0) return 0;
  store<u32>(p + P_READERS, 1);
  store<u32>(p + P_WRITERS, 1);
  store<u32>(p + P_NREAD, 0);
  store<u32>(p + P_NWRITE, 0);
  return p;
}

export function pipeAvailable(p: usize): u32 { return load<u32>(p + P_NWRITE) - load<u32>(p + P_NREAD); }
export function pipeRoom(p: usize): u32 { return PIPE_SIZE - pipeAvailable(p); }
export function pipeReaders(p: usize): u32 { return load<u32>(p + P_READERS); }
export function pipeWriters(p: usize): u32 { return load<u32>(p + P_WRITERS); }

/** Moves up to n bytes out into dst; returns how many. */
export function pipeRead(p: usize, dst: usize, n: u32): u32 {
  let r = load<u32>(p + P_NREAD);
  const avail = load<u32>(p + P_NWRITE) - r;
  const count = n < avail ? n : avail;
  for (let i: u32 = 0; i < count; i++) {
    store<u8>(dst + i, load<u8>(p + P_DATA + <usize>(r & (PIPE_SIZE - 1))));
    r++;
  }
  store<u32>(p + P_NREAD, r);
  return count;
}

/** Moves up to n bytes in from src; returns how many fitted. */
export function pipeWrite(p: usize, src: usize, n: u32): u32 {
  let w = load<u32>(p + P_NWRITE);
  const room = PIPE_SIZE - (w - load<u32>(p + P_NREAD));
  const count = n < room ? n : room;
  for (let i: u32 = 0; i < count; i++) {
    store<u8>(p + P_DATA + <usize>(w & (PIPE_SIZE - 1)), load<u8>(src + i));
    w++;
  }
  store<u32>(p + P_NWRITE, w);
  return count;
}

export function pipeAddEnd(p: usize, writeEnd: bool): void {
  const off = writeEnd ? P_WRITERS : P_READERS;
  store<u32>(p + off, load<u32>(p + off) + 1);
}

/** Drops one end; frees the pipe when both sides are gone. */
export function pipeCloseEnd(p: usize, writeEnd: bool): void {
  const off = writeEnd ? P_WRITERS : P_READERS;
  store<u32>(p + off, load<u32>(p + off) - 1);
  if (pipeReaders(p) == 0 && pipeWriters(p) == 0) frameFree(p, 0);
}
