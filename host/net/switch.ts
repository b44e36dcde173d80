// A virtual Ethernet switch joining the NICs of several machines in one
// process (host tests, later the page's cluster view). It learns which port
// each source MAC lives behind, sends a frame for a known unicast MAC to that
// port only, and floods broadcast, multicast and unknown destinations to
// every other port. Each port has a bounded queue: a frame that finds its
// destination's queue full is dropped and counted. Frames are delivered in
// the order they were sent, by pump() (the run loop of whoever owns the
// machines calls it between slices), never during the sender's transmit, so
// one machine's kernel never runs into another's device mid-slice.

import { frameLengthOk, MAC_LEN, type NetBackend, type NetEndpoint, type NetLink } from "./backend.js";

export const SWITCH_QUEUE_LIMIT = 256;
/** MAC table entries kept; the oldest learned is forgotten first. */
export const SWITCH_MAC_TABLE_LIMIT = 1024;

export interface SwitchPortStats {
  /** Frames the port's NIC sent into the switch. */
  rxFrames: number;
  /** Frames delivered out of the port to its NIC. */
  txFrames: number;
  /** Frames for this port dropped because its queue was full. */
  dropped: number;
  /** Impairment (see impair()): frames lost, sent twice, held back. */
  lost: number;
  duplicated: number;
  reordered: number;
}

/** A wire that loses, duplicates and reorders frames, each with its own
 *  probability (0..1), from a seeded generator: the same seed and the same
 *  frames in the same order give the same impairment. */
export interface Impairment {
  seed: number;
  loss?: number;
  duplicate?: number;
  /** A reordered frame is delivered one pump late, after frames sent after it. */
  reorder?: number;
}

export interface SwitchStats {
  ports: number;
  /** Frames refused on entry (a length no NIC may send). */
  malformed: number;
  /** Frames flooded (broadcast, multicast or unknown destination). */
  flooded: number;
  macs: number;
}

interface Port {
  id: number;
  endpoint: NetEndpoint;
  queue: Uint8Array[];
  /** Held back by impairment: delivered at the pump after next (`late` at the next). */
  held: Uint8Array[];
  late: Uint8Array[];
  attached: boolean;
  stats: SwitchPortStats;
}

export class VirtualSwitch implements NetBackend {
  private readonly ports: Port[] = [];
  /** MAC (as a 12-hex-digit key) to port id. */
  private readonly table = new Map<string, number>();
  private nextId = 0;
  private malformed = 0;
  private flooded = 0;
  private impairment: Required<Impairment> | null = null;
  private rng = 0;

  constructor(readonly name = "switch", private readonly queueLimit = SWITCH_QUEUE_LIMIT) {}

  attach(endpoint: NetEndpoint): NetLink {
    const port: Port = {
      id: this.nextId++, endpoint, queue: [], held: [], late: [], attached: true,
      stats: { rxFrames: 0, txFrames: 0, dropped: 0, lost: 0, duplicated: 0, reordered: 0 },
    };
    this.ports.push(port);
    return {
      transmit: (frame) => this.forward(port, frame),
      get up() { return port.attached; },
      detach: () => this.detach(port),
    };
  }

  /** Injects a frame as if a NIC behind no port sent it (tests: malformed
   *  traffic). It is flooded or switched like any other. */
  inject(frame: Uint8Array): void {
    this.forward(null, frame);
  }

  /** Impairs every frame the switch delivers from now on (null: a clean
   *  wire again; frames already held back are still delivered). */
  impair(impairment: Impairment | null): void {
    if (impairment) {
      for (const p of [impairment.loss, impairment.duplicate, impairment.reorder]) {
        if (p !== undefined && !(p >= 0 && p <= 1)) throw new RangeError(`impairment probability ${p} is not within 0..1`);
      }
    }
    this.impairment = impairment ? { loss: 0, duplicate: 0, reorder: 0, ...impairment } : null;
    this.rng = impairment ? (impairment.seed >>> 0) || 1 : 0;
  }

  /** Delivers every queued frame, port by port in send order (frames held
   *  back by impairment after them); frames sent by a NIC while receiving
   *  wait for the next call. Returns how many. */
  pump(): number {
    let n = 0;
    for (const port of this.ports) {
      const frames = port.late.length ? [...port.queue, ...port.late] : port.queue;
      port.queue = [];
      port.late = port.held;
      port.held = [];
      for (const f of frames) {
        if (!port.attached) break;
        port.stats.txFrames++;
        port.endpoint.receive(f);
        n++;
      }
    }
    return n;
  }

  /** Frames waiting in all queues (held-back ones included). */
  get queued(): number {
    return this.ports.reduce((n, p) => n + p.queue.length + p.held.length + p.late.length, 0);
  }

  stats(): SwitchStats {
    return { ports: this.ports.filter((p) => p.attached).length, malformed: this.malformed, flooded: this.flooded, macs: this.table.size };
  }

  portStats(): SwitchPortStats[] {
    return this.ports.map((p) => ({ ...p.stats }));
  }

  private detach(port: Port): void {
    port.attached = false;
    port.queue = [];
    port.held = [];
    port.late = [];
    for (const [mac, id] of this.table) if (id === port.id) this.table.delete(mac);
    this.ports.splice(this.ports.indexOf(port), 1);
  }

  private forward(from: Port | null, frame: Uint8Array): void {
    if (from && !from.attached) return;
    if (!frameLengthOk(frame.length)) {
      this.malformed++;
      return;
    }
    if (from) {
      from.stats.rxFrames++;
      this.learn(frame.subarray(MAC_LEN, 2 * MAC_LEN), from.id);
    }
    const copy = frame.slice();
    const group = (frame[0]! & 1) !== 0; // broadcast and multicast
    const known = group ? undefined : this.table.get(macKey(frame.subarray(0, MAC_LEN)));
    if (known !== undefined) {
      const to = this.ports.find((p) => p.id === known);
      if (to && to !== from) this.enqueue(to, copy);
      return;
    }
    this.flooded++;
    for (const p of this.ports) if (p !== from) this.enqueue(p, copy);
  }

  private learn(src: Uint8Array, id: number): void {
    if ((src[0]! & 1) !== 0) return; // a group address is never a source
    const key = macKey(src);
    this.table.delete(key); // re-inserted last: the table forgets the least recently seen first
    this.table.set(key, id);
    if (this.table.size > SWITCH_MAC_TABLE_LIMIT) this.table.delete(this.table.keys().next().value!);
  }

  /** xorshift32: uniform in [0, 1). */
  private random(): number {
    let x = this.rng;
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    this.rng = x;
    return x / 0x1_0000_0000;
  }

  private enqueue(port: Port, frame: Uint8Array): void {
    const imp = this.impairment;
    let copies = 1;
    if (imp) {
      if (this.random() < imp.loss) { port.stats.lost++; return; }
      if (this.random() < imp.duplicate) { port.stats.duplicated++; copies = 2; }
    }
    for (let c = 0; c < copies; c++) {
      if (port.queue.length + port.held.length >= this.queueLimit) {
        port.stats.dropped++;
        return;
      }
      if (imp && this.random() < imp.reorder) {
        port.stats.reordered++;
        port.held.push(frame);
      } else {
        port.queue.push(frame);
      }
    }
  }
}

function macKey(mac: Uint8Array): string {
  let s = "";
  for (let i = 0; i < MAC_LEN; i++) s += mac[i]!.toString(16).padStart(2, "0");
  return s;
}
