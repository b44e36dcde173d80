// Ethernet frames between the page and the kernels' workers
// (docs/network.md "The cluster view"): a batch of frames travels as one
// transferable buffer, each frame a 16-bit length (little-endian) and its
// bytes, so a relay posts one message and gives up one buffer per batch.

import { ETH_HEADER_LEN, ETH_MAX_FRAME, frameLengthOk } from "../../host/net/backend";

export { ETH_HEADER_LEN, ETH_MAX_FRAME };

/** Packs frames into one buffer; frames of impossible length are left out (counted by the caller). */
export function packFrames(frames: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  let size = 0;
  for (const f of frames) if (frameLengthOk(f.length)) size += 2 + f.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const f of frames) {
    if (!frameLengthOk(f.length)) continue;
    out[at] = f.length & 0xff;
    out[at + 1] = f.length >> 8;
    out.set(f, at + 2);
    at += 2 + f.length;
  }
  return out;
}

/** The frames of a packed batch, each its own view into `bytes`. A batch
 *  that is cut short or holds an impossible length ends there: what came
 *  before it is kept, and `bad` says that the rest was not read. */
export function unpackFrames(bytes: Uint8Array): { frames: Uint8Array[]; bad: boolean } {
  const frames: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (at + 2 > bytes.length) return { frames, bad: true };
    const length = bytes[at]! | (bytes[at + 1]! << 8);
    if (!frameLengthOk(length) || at + 2 + length > bytes.length) return { frames, bad: true };
    frames.push(bytes.subarray(at + 2, at + 2 + length));
    at += 2 + length;
  }
  return { frames, bad: false };
}
