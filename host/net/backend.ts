// The network backend interface: what a paravirtual NIC (host/devices/nic.ts)
// is plugged into. A backend carries whole Ethernet frames (destination MAC,
// source MAC, EtherType, payload; no preamble, no FCS) between the NICs
// attached to it. Backends: LoopbackBackend (below: a NIC hears its own
// frames) and VirtualSwitch (host/net/switch.ts: several machines in one
// process). Nothing here opens a host socket.

/** The smallest frame a NIC sends or accepts: an Ethernet header. */
export const ETH_HEADER_LEN = 14;
/** The largest frame: a 1500-byte payload behind the header (no VLAN tag, no FCS). */
export const ETH_MAX_FRAME = 1514;
export const MAC_LEN = 6;

/** What a backend calls to hand a frame to an attached NIC. */
export interface NetEndpoint {
  /** The NIC's MAC address (6 bytes). */
  readonly mac: Uint8Array;
  /** A frame for this NIC. The backend gives up the array: the NIC may keep it. */
  receive(frame: Uint8Array): void;
}

/** One NIC's connection to a backend. */
export interface NetLink {
  /** Sends a frame (ETH_HEADER_LEN..ETH_MAX_FRAME bytes; the caller keeps
   *  its array: the backend copies what it keeps). */
  transmit(frame: Uint8Array): void;
  /** True while frames can flow. */
  readonly up: boolean;
  /** Leaves the backend; later transmits are dropped. */
  detach(): void;
}

export interface NetBackend {
  attach(endpoint: NetEndpoint): NetLink;
}

/** True if the frame's length is one a NIC may send or receive. */
export function frameLengthOk(length: number): boolean {
  return length >= ETH_HEADER_LEN && length <= ETH_MAX_FRAME;
}

export function macToString(mac: Uint8Array): string {
  return [...mac.subarray(0, MAC_LEN)].map((b) => b.toString(16).padStart(2, "0")).join(":");
}

/** Parses "02:00:00:00:00:01" (six hex bytes, ':' or '-'). */
export function parseMac(text: string): Uint8Array {
  const parts = text.split(/[:-]/);
  if (parts.length !== MAC_LEN || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) {
    throw new Error(`not a MAC address: ${JSON.stringify(text)}`);
  }
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

/** Every frame a NIC transmits comes back to it, in order, on the next pump(). */
export class LoopbackBackend implements NetBackend {
  private readonly queue: { to: NetEndpoint; frame: Uint8Array }[] = [];
  /** Frames dropped because the queue was full. */
  dropped = 0;

  constructor(private readonly limit = 256) {}

  attach(endpoint: NetEndpoint): NetLink {
    let attached = true;
    return {
      transmit: (frame) => {
        if (!attached || !frameLengthOk(frame.length)) return;
        if (this.queue.length >= this.limit) { this.dropped++; return; }
        this.queue.push({ to: endpoint, frame: frame.slice() });
      },
      get up() { return attached; },
      detach: () => { attached = false; },
    };
  }

  /** Delivers every queued frame; returns how many. */
  pump(): number {
    let n = 0;
    while (this.queue.length > 0) {
      const { to, frame } = this.queue.shift()!;
      to.receive(frame);
      n++;
    }
    return n;
  }

  get queued(): number {
    return this.queue.length;
  }
}
