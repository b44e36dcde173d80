// The packet log's capture (docs/network.md, "The packet log"): a NetBackend
// that stands between a NIC and its real backend and records every frame
// that passes, in both directions, into a bounded ring. It copies each
// frame (at most CAPTURE_SNAP bytes of it: the headers and a little data),
// changes nothing on the wire, and costs nothing when nobody wraps a
// backend with it (the Node runners and tests do not).
//
// "out" is a frame the NIC sent onto the wire (the card accepted the slot);
// "in" is a frame the wire handed the NIC, before the card looks at it, so a
// frame the card then drops (receive disabled, queue full) is still logged.

import type { NetBackend, NetLink } from "./backend.js";

/** Frames kept. */
export const CAPTURE_LIMIT = 1024;
/** Bytes kept of each frame: enough for Ethernet, IPv4 and TCP with options. */
export const CAPTURE_SNAP = 128;

export interface CapturedFrame {
  /** Free-running number of the frame in this capture, from 0. */
  seq: number;
  /** When it passed, in the owner's clock (the machine's virtual ns). */
  timeNs: number;
  dir: "in" | "out";
  /** The frame's full length on the wire. */
  length: number;
  /** Its first CAPTURE_SNAP bytes. */
  bytes: Uint8Array;
}

export class PacketCapture {
  private readonly ring: (CapturedFrame | undefined)[];
  private next = 0;

  constructor(private readonly nowNs: () => number, readonly limit = CAPTURE_LIMIT) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`a capture holds at least one frame, not ${limit}`);
    this.ring = new Array<CapturedFrame | undefined>(limit);
  }

  record(dir: "in" | "out", frame: Uint8Array): void {
    const seq = this.next++;
    this.ring[seq % this.limit] = { seq, timeNs: this.nowNs(), dir, length: frame.length, bytes: frame.slice(0, CAPTURE_SNAP) };
  }

  /** Frames recorded so far (including those the ring has since forgotten). */
  get recorded(): number {
    return this.next;
  }

  /** The frames from `seq` on that the ring still holds, oldest first, at most `max`
   *  (the newest ones when there are more). */
  since(seq: number, max = this.limit): CapturedFrame[] {
    const first = Math.max(seq, this.next - this.limit, this.next - max, 0);
    const out: CapturedFrame[] = [];
    for (let s = first; s < this.next; s++) out.push(this.ring[s % this.limit]!);
    return out;
  }

  /** Wraps `inner` so that every NIC attached through the result is captured here. */
  wrap(inner: NetBackend): NetBackend {
    return {
      attach: (endpoint) => {
        const link: NetLink = inner.attach({
          mac: endpoint.mac,
          receive: (frame) => {
            this.record("in", frame);
            endpoint.receive(frame);
          },
        });
        return {
          transmit: (frame) => {
            if (link.up) this.record("out", frame);
            link.transmit(frame);
          },
          get up() { return link.up; },
          detach: () => link.detach(),
        };
      },
    };
  }
}
