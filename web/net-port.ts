// The worker's end of the page's virtual switch (docs/network.md "The
// cluster view"): the backend the worker's NIC is plugged into. Frames the
// NIC sends wait in an outbox (bounded: OUTBOX_LIMIT frames, the rest
// dropped and counted) until the worker posts them to the page as one
// transferable batch (web/cluster/frames.ts); frames the page relays are
// handed to the NIC. One port lives as long as the worker: each machine the
// worker builds (a reboot into another kernel, a replaced disk) attaches to
// it in turn, so its address stays on the switch.

import type { NetBackend, NetEndpoint, NetLink } from "../host/net/backend";
import { frameLengthOk } from "../host/net/backend";
import { packFrames, unpackFrames } from "./cluster/frames";

/** Frames the outbox holds between two posts. */
export const OUTBOX_LIMIT = 256;

export interface PortStats {
  sent: number;
  received: number;
  /** Frames the NIC sent while the outbox was full. */
  dropped: number;
  /** Batches from the page that were cut short or held an impossible length. */
  badBatches: number;
}

export class WorkerNetPort implements NetBackend {
  private endpoint: NetEndpoint | null = null;
  private outbox: Uint8Array[] = [];
  private flushQueued = false;
  private readonly counts: PortStats = { sent: 0, received: 0, dropped: 0, badBatches: 0 };

  /** `flush`, when given, is called (once per task: after the run-loop slice that sent them) with the batch to post;
   *  without it the caller takes the outbox itself (lockstep: at the end of each quantum). */
  constructor(private readonly flush: ((batch: Uint8Array<ArrayBuffer>) => void) | null) {}

  attach(endpoint: NetEndpoint): NetLink {
    this.endpoint = endpoint;
    let attached = true;
    return {
      transmit: (frame) => {
        if (!attached || !frameLengthOk(frame.length)) return;
        if (this.outbox.length >= OUTBOX_LIMIT) {
          this.counts.dropped++;
          return;
        }
        this.outbox.push(frame.slice());
        this.counts.sent++;
        this.queueFlush();
      },
      get up() { return attached; },
      detach: () => {
        attached = false;
        if (this.endpoint === endpoint) this.endpoint = null;
      },
    };
  }

  /** Hands a packed batch from the page to the NIC, in order. */
  deliver(batch: Uint8Array): void {
    const { frames, bad } = unpackFrames(batch);
    if (bad) this.counts.badBatches++;
    for (const frame of frames) {
      if (this.endpoint === null) return;
      this.counts.received++;
      this.endpoint.receive(frame.slice());
    }
  }

  /** The frames sent since the last take, packed. */
  take(): Uint8Array<ArrayBuffer> {
    const batch = packFrames(this.outbox);
    this.outbox = [];
    return batch;
  }

  stats(): PortStats {
    return { ...this.counts };
  }

  private queueFlush(): void {
    if (this.flush === null || this.flushQueued) return;
    this.flushQueued = true;
    // After the slice that sent it: one message per run-loop tick, not per frame.
    queueMicrotask(() => {
      this.flushQueued = false;
      if (this.outbox.length > 0) this.flush!(this.take());
    });
  }
}
