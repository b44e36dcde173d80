// The page's virtual switch (docs/network.md "The cluster view"): the
// machines' workers post the frames their NICs sent as packed batches
// (web/cluster/frames.ts); the relay puts each on a VirtualSwitch
// (host/net/switch.ts: MAC learning, flooding, 256-frame port queues, drops
// counted) and gathers what the switch delivers to each machine into an
// inbox, bounded at INBOX_LIMIT frames (the rest dropped and counted), which
// the page posts to that machine's worker as one transferred batch.
// No DOM here: web/cluster/relay.test.ts drives it directly.

import type { NetLink } from "../../host/net/backend";
import { VirtualSwitch } from "../../host/net/switch";
import { packFrames, unpackFrames } from "./frames";

/** Frames waiting for one machine between two posts. */
export const INBOX_LIMIT = 256;

export interface RelayPortStats {
  /** Frames from this port put on the switch. */
  fromPort: number;
  /** Frames handed to this port (taken). */
  toPort: number;
  /** Frames for this port dropped: its inbox or its switch queue was full. */
  dropped: number;
  /** Batches from this port that were cut short or held an impossible length. */
  badBatches: number;
}

interface RelayPort {
  link: NetLink;
  inbox: Uint8Array[];
  stats: RelayPortStats;
}

export class FrameRelay {
  readonly wire: VirtualSwitch;
  private readonly ports: RelayPort[] = [];

  constructor(name = "page", private readonly inboxLimit = INBOX_LIMIT) {
    this.wire = new VirtualSwitch(name);
  }

  /** A new port for a machine (or an uplink) whose NIC has `mac`; returns its index. */
  addPort(mac: Uint8Array): number {
    const port: RelayPort = {
      link: null as unknown as NetLink,
      inbox: [],
      stats: { fromPort: 0, toPort: 0, dropped: 0, badBatches: 0 },
    };
    port.link = this.wire.attach({
      mac,
      receive: (frame) => {
        if (port.inbox.length >= this.inboxLimit) {
          port.stats.dropped++;
          return;
        }
        // The switch shares one copy among the ports it floods to.
        port.inbox.push(frame);
      },
    });
    this.ports.push(port);
    return this.ports.length - 1;
  }

  /** A batch the port's machine sent: every frame onto the switch. */
  fromPort(index: number, batch: Uint8Array): void {
    const port = this.port(index);
    const { frames, bad } = unpackFrames(batch);
    if (bad) port.stats.badBatches++;
    for (const frame of frames) {
      port.stats.fromPort++;
      port.link.transmit(frame);
    }
  }

  /** One frame from the port (an uplink: another tab's frame). */
  fromPortFrame(index: number, frame: Uint8Array): void {
    const port = this.port(index);
    port.stats.fromPort++;
    port.link.transmit(frame);
  }

  /** Delivers what the switch holds into the inboxes; returns how many frames. */
  pump(): number {
    return this.wire.pump();
  }

  /** The port's inbox, packed (empty when nothing waits), and emptied. */
  take(index: number): Uint8Array<ArrayBuffer> {
    const port = this.port(index);
    const batch = packFrames(port.inbox);
    port.stats.toPort += port.inbox.length;
    port.inbox = [];
    return batch;
  }

  /** The port's inbox as frames, emptied (an uplink sends them one by one). */
  takeFrames(index: number): Uint8Array[] {
    const port = this.port(index);
    const frames = port.inbox;
    port.stats.toPort += frames.length;
    port.inbox = [];
    return frames;
  }

  waiting(index: number): number {
    return this.port(index).inbox.length;
  }

  /** Frames still in the switch or an inbox. */
  get queued(): number {
    return this.wire.queued + this.ports.reduce((n, p) => n + p.inbox.length, 0);
  }

  /** Each port's counts; switch queue drops are added to `dropped`. */
  stats(): RelayPortStats[] {
    const wire = this.wire.portStats();
    return this.ports.map((p, i) => ({ ...p.stats, dropped: p.stats.dropped + (wire[i]?.dropped ?? 0) }));
  }

  get malformed(): number {
    return this.wire.stats().malformed;
  }

  private port(index: number): RelayPort {
    const port = this.ports[index];
    if (port === undefined) throw new RangeError(`the relay has no port ${index}`);
    return port;
  }
}
