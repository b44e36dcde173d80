// `keel switch`: a learning Ethernet switch for runners in other processes
// (docs/network.md, "Switches between runners"). Each connection is a port
// of a VirtualSwitch (host/net/switch.ts: the MAC table, flooding, bounded
// queues and impairment are that class's, not copies); this file carries
// frames between sockets and it, in the protocol of host/net/wire.ts.
//
// Free-running (the default): a frame is switched as it arrives and
// delivered on the next turn of the event loop. Lockstep (`--lockstep`):
// the switch is the time master of runners on deterministic clocks, as
// host/net/cluster.ts is in one process: it tells every port to run up to
// a horizon (TICK), waits until each says it is there (DONE), switches the
// frames they sent on the way in a fixed order (ports by MAC, each port's
// frames in send order), delivers them, and moves the horizon on.
//
// A port whose socket holds SWITCH_PORT_QUEUE_BYTES unsent bytes (a runner
// that stopped reading) loses the frames for it, counted; a port that
// sends anything that is not the protocol is dropped with the reason in
// the log, and the other ports go on.

import { createServer, connect as netConnect, type Server, type Socket } from "node:net";
import { existsSync, rmSync } from "node:fs";
import { macToString, type NetEndpoint, type NetLink } from "../net/backend.js";
import { notifyingLink } from "../net/self-pumping.js";
import { VirtualSwitch, type Impairment, type SwitchPortStats } from "../net/switch.js";
import { CLUSTER_QUANTUM_NS } from "../net/cluster.js";
import { encodeWire, WireDecoder, WireError, WIRE_FLAG_LOCKSTEP, type WireMessage } from "../net/wire.js";
import { parseSwitchAddress, switchAddressText, SWITCH_PORT_QUEUE_BYTES } from "./switch-client.js";

export interface SwitchServerOptions {
  /** HOST:PORT, PORT (on 127.0.0.1; 0 picks a free one) or a Unix socket path. */
  listen: string;
  /** Lockstep: runners on deterministic clocks, paced by this switch. */
  lockstep?: boolean;
  /** Lockstep: how many ports must join before the first TICK (default 1). */
  lockstepPorts?: number;
  quantumNs?: number;
  impair?: Impairment | null;
  portQueueBytes?: number;
  /** A port that has not said HELLO after this long is dropped (default 10 s). */
  helloTimeoutMs?: number;
  /** Lockstep: a port that has not said DONE this long after its TICK is dropped (default: none,
   *  since a runner holds a quantum while it waits for its next line of piped input). */
  doneTimeoutMs?: number | null;
  log?(line: string): void;
}

export interface SwitchPortReport {
  port: number;
  name: string;
  mac: string;
  peer: string;
  /** Frames from the port into the switch, and from the switch out to it. */
  rxFrames: number;
  txFrames: number;
  rxBytes: number;
  txBytes: number;
  /** Frames for the port lost because its socket's queue was full (or, in
   *  lockstep, frames it sent beyond the limit in one quantum). */
  queueDrops: number;
  /** The VirtualSwitch's own counters for the port (its queue, impairment). */
  switch: SwitchPortStats;
}

interface Port {
  id: number;
  socket: Socket;
  peer: string;
  name: string;
  mac: Uint8Array | null;
  link: NetLink | null;
  /** Position of this port in the VirtualSwitch's portStats() (attach order among the living). */
  switchIndex: number;
  rxFrames: number;
  txFrames: number;
  rxBytes: number;
  txBytes: number;
  queueDrops: number;
  /** Lockstep: frames sent during the quantum, switched when it ends. */
  pending: Uint8Array[];
  pendingBytes: number;
  /** Lockstep: the horizon it was last told, whether it said DONE for it, and when it wakes next. */
  told: number | null;
  done: boolean;
  wakeNs: number | null;
  helloTimer: ReturnType<typeof setTimeout> | null;
  closed: boolean;
}

export class SwitchServer {
  readonly wire: VirtualSwitch;
  readonly lockstep: boolean;
  readonly quantumNs: number;
  private readonly server: Server;
  private readonly ports = new Map<number, Port>();
  private nextId = 1;
  private readonly limit: number;
  private pumpScheduled = false;
  private lateTimer: ReturnType<typeof setTimeout> | null = null;
  private horizonNs = 0;
  private started = false;
  private idleTimer: ReturnType<typeof setTimeout> | null = null;
  private doneTimer: ReturnType<typeof setTimeout> | null = null;
  /** Lockstep: frames of ports that said DONE and then left before the quantum ended; switched with the others'. */
  private departed: { mac: Uint8Array; id: number; frames: Uint8Array[] }[] = [];
  private unixPath: string | null = null;
  private readonly log: (line: string) => void;
  /** Ports dropped for breaking the protocol. */
  refused = 0;
  /** Ports ever joined, and quanta run (lockstep). */
  joined = 0;
  quanta = 0;

  constructor(private readonly options: SwitchServerOptions) {
    this.lockstep = options.lockstep ?? false;
    this.quantumNs = options.quantumNs ?? CLUSTER_QUANTUM_NS;
    if (!Number.isSafeInteger(this.quantumNs) || this.quantumNs < 1000 || this.quantumNs > 0xffff_ffff) {
      throw new RangeError(`a quantum is 1000..4294967295 ns (got ${this.quantumNs})`);
    }
    this.limit = options.portQueueBytes ?? SWITCH_PORT_QUEUE_BYTES;
    this.log = options.log ?? (() => {});
    this.wire = new VirtualSwitch("keel switch");
    if (options.impair) this.wire.impair(options.impair);
    this.server = createServer((socket) => this.accept(socket));
  }

  /** Starts listening; resolves with the address it listens on (the real port for 0). */
  async listen(): Promise<string> {
    const address = parseSwitchAddress(this.options.listen);
    if (address.kind === "unix" && existsSync(address.path)) {
      // A socket left by a switch that died is removed; a live one is not taken over.
      if (await answers(address.path)) throw new Error(`${address.path}: another switch is listening there`);
      rmSync(address.path, { force: true });
    }
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      const done = () => { this.server.off("error", reject); resolve(); };
      if (address.kind === "unix") this.server.listen(address.path, done);
      else this.server.listen(address.port, address.host, done);
    });
    if (address.kind === "unix") {
      this.unixPath = address.path;
      return address.path;
    }
    const bound = this.server.address();
    return switchAddressText({ kind: "tcp", host: address.host, port: typeof bound === "object" && bound ? bound.port : address.port });
  }

  close(): Promise<void> {
    for (const p of this.ports.values()) this.drop(p, null);
    if (this.lateTimer) clearTimeout(this.lateTimer);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (this.doneTimer) clearTimeout(this.doneTimer);
    return new Promise((resolve) => this.server.close(() => {
      if (this.unixPath !== null) rmSync(this.unixPath, { force: true });
      resolve();
    }));
  }

  /** The ports joined now. */
  report(): SwitchPortReport[] {
    const stats = this.wire.portStats();
    return [...this.ports.values()].filter((p) => p.link !== null).map((p) => ({
      port: p.id, name: p.name, mac: p.mac ? macToString(p.mac) : "", peer: p.peer,
      rxFrames: p.rxFrames, txFrames: p.txFrames, rxBytes: p.rxBytes, txBytes: p.txBytes, queueDrops: p.queueDrops,
      switch: stats[p.switchIndex]!,
    }));
  }

  /** Lockstep: the horizon of the last TICK. */
  get nowNs(): number {
    return this.horizonNs;
  }

  private accept(socket: Socket): void {
    const id = this.nextId++;
    const peer = socket.remoteAddress ? `${socket.remoteAddress}:${socket.remotePort}` : "local socket";
    socket.setNoDelay?.(true);
    const port: Port = {
      id, socket, peer, name: "", mac: null, link: null, switchIndex: -1, rxFrames: 0, txFrames: 0, rxBytes: 0, txBytes: 0, queueDrops: 0,
      pending: [], pendingBytes: 0, told: null, done: false, wakeNs: null, helloTimer: null, closed: false,
    };
    this.ports.set(id, port);
    port.helloTimer = setTimeout(() => this.drop(port, `no HELLO within ${this.options.helloTimeoutMs ?? 10_000} ms`), this.options.helloTimeoutMs ?? 10_000);
    const decoder = new WireDecoder();
    socket.on("data", (chunk: Buffer) => {
      if (port.closed) return;
      let messages: WireMessage[];
      try {
        messages = decoder.push(chunk);
      } catch (error) {
        return this.drop(port, `it sent garbage: ${error instanceof WireError ? error.message : String(error)}`);
      }
      for (const m of messages) {
        if (port.closed) return;
        this.handle(port, m);
      }
    });
    socket.on("error", (error) => this.drop(port, null, `connection error: ${error.message}`));
    socket.on("close", () => this.drop(port, null, "connection closed"));
  }

  private handle(port: Port, m: WireMessage): void {
    if (port.link === null) {
      if (m.type !== "hello") return this.drop(port, `it sent ${m.type} before HELLO`);
      const wantsLockstep = (m.flags & WIRE_FLAG_LOCKSTEP) !== 0;
      if (wantsLockstep !== this.lockstep) {
        return this.drop(port, this.lockstep
          ? "this switch runs in lockstep (keel switch --lockstep): join it from a runner with --clock deterministic"
          : "a runner on the deterministic clock needs a lockstep switch (keel switch --lockstep)");
      }
      for (const other of this.ports.values()) {
        if (other.mac && other.link && other.mac.every((b, i) => b === m.mac[i])) {
          return this.drop(port, `MAC ${macToString(m.mac)} is already on port ${other.id} (${other.name}): give each runner its own --mac or --ip`);
        }
      }
      clearTimeout(port.helloTimer!);
      port.helloTimer = null;
      port.name = m.name.replace(/[^\x20-\x7e]/g, "?") || `port ${port.id}`;
      port.mac = m.mac;
      port.switchIndex = this.wire.portStats().length;
      port.link = this.wire.attach({
        mac: m.mac,
        receive: (frame) => this.deliver(port, frame),
      });
      this.joined++;
      this.write(port, encodeWire({ type: "welcome", flags: this.lockstep ? WIRE_FLAG_LOCKSTEP : 0, quantumNs: this.quantumNs, port: port.id & 0xffff }));
      this.log(`port ${port.id} joined: ${port.name} ${macToString(m.mac)} from ${port.peer}`);
      if (this.lockstep) this.lockstepJoin(port);
      return;
    }
    switch (m.type) {
      case "frame":
        port.rxFrames++;
        port.rxBytes += m.frame.length;
        if (this.lockstep) {
          if (port.pendingBytes + m.frame.length > this.limit) { port.queueDrops++; return; }
          port.pending.push(m.frame);
          port.pendingBytes += m.frame.length;
          return;
        }
        port.link.transmit(m.frame);
        this.schedulePump();
        return;
      case "done":
        if (!this.lockstep) return this.drop(port, "it sent DONE to a switch that is not in lockstep");
        if (port.told === null || m.horizonNs !== port.told || port.done) {
          return this.drop(port, `it said DONE at ${m.horizonNs} ns, but its horizon is ${port.told ?? "not set"}${port.done ? " and it was done already" : ""}`);
        }
        port.done = true;
        port.wakeNs = m.wakeNs;
        this.maybeEndQuantum();
        return;
      default:
        return this.drop(port, `it sent ${m.type}, which only the switch sends`);
    }
  }

  /** A port for an endpoint in this process (the switch's gateway): a link
   *  on the wire whose every frame is switched as a runner's would be. */
  attachLocal(endpoint: NetEndpoint): NetLink {
    return notifyingLink(this.wire.attach(endpoint), () => { if (!this.lockstep) this.schedulePump(); });
  }

  /** A frame the VirtualSwitch delivers to a port: onto its socket, unless the socket's queue is full. */
  private deliver(port: Port, frame: Uint8Array): void {
    if (port.closed) return;
    if (port.socket.writableLength + frame.length + 3 > this.limit) {
      port.queueDrops++;
      return;
    }
    port.txFrames++;
    port.txBytes += frame.length;
    this.write(port, encodeWire({ type: "frame", frame }));
  }

  private write(port: Port, bytes: Uint8Array): void {
    if (!port.closed && !port.socket.destroyed) port.socket.write(bytes);
  }

  /** Free-running: frames are switched as they come and delivered on the next
   *  turn of the event loop; frames impairment held back a pump go out a
   *  millisecond later (after frames sent after them). */
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.wire.pump();
      if (this.wire.queued > 0 && this.lateTimer === null) {
        this.lateTimer = setTimeout(() => {
          this.lateTimer = null;
          this.schedulePump();
        }, 1);
      }
    });
  }

  private drop(port: Port, reason: string | null, quiet?: string): void {
    if (port.closed) return;
    port.closed = true;
    if (port.helloTimer) clearTimeout(port.helloTimer);
    if (reason !== null) {
      this.refused++;
      // Tell it why, then close; a peer that does not read is cut off anyway.
      if (!port.socket.destroyed) port.socket.end(encodeWire({ type: "error", reason }));
      setTimeout(() => port.socket.destroy(), 1000).unref();
    } else {
      port.socket.destroy();
    }
    const what = port.link ? `${port.name} ${port.mac ? macToString(port.mac) : ""}` : `from ${port.peer}`;
    const counts = port.link ? ` (${port.rxFrames} frames in, ${port.txFrames} out, ${port.queueDrops} dropped for a full queue)` : "";
    this.log(`port ${port.id} ${reason !== null ? "dropped" : "left"}: ${what}: ${reason ?? quiet ?? "gone"}${counts}`);
    if (this.lockstep && port.link && port.done && port.told === this.horizonNs && port.pending.length > 0) {
      // It finished its quantum and went (a runner whose session is over): what it sent is still delivered.
      this.departed.push({ mac: port.mac!, id: port.id, frames: port.pending });
    }
    if (port.link) {
      const index = port.switchIndex;
      port.link.detach();
      for (const p of this.ports.values()) if (p.switchIndex > index) p.switchIndex--;
    }
    this.ports.delete(port.id);
    if (this.lockstep && port.link) this.maybeEndQuantum();
  }

  // ---- lockstep ----

  private lockstepPorts(): Port[] {
    return [...this.ports.values()].filter((p) => p.link !== null && !p.closed);
  }

  private lockstepJoin(port: Port): void {
    if (!this.started) {
      if (this.lockstepPorts().length < (this.options.lockstepPorts ?? 1)) {
        this.log(`lockstep: ${this.lockstepPorts().length} of ${this.options.lockstepPorts ?? 1} ports joined; waiting`);
        return;
      }
      this.started = true;
      this.log(`lockstep: starting with ${this.lockstepPorts().length} ports at ${this.horizonNs} ns, quantum ${this.quantumNs} ns`);
      this.tick(this.horizonNs + this.quantumNs);
      return;
    }
    // A late joiner starts at the next TICK (its clock catches up from 0 then).
    void port;
  }

  /** Every port told the horizon has said DONE (or left): switch and deliver
   *  what they sent, then move on. */
  private maybeEndQuantum(): void {
    if (!this.started || this.idleTimer !== null) return;
    const ports = this.lockstepPorts();
    if (ports.some((p) => p.told === this.horizonNs && !p.done)) return;
    const order = [
      ...ports.filter((p) => p.told !== null).map((p) => ({ mac: p.mac!, id: p.id, port: p as Port | null, frames: p.pending })),
      ...this.departed.splice(0).map((d) => ({ ...d, port: null })),
    ].sort((a, b) => compareMac(a.mac, b.mac) || a.id - b.id);
    let carried = 0;
    for (const o of order) {
      // A departed port's frames go in from nowhere (its link is gone): the MAC table sends them on alike.
      for (const f of o.frames) o.port !== null ? o.port.link!.transmit(f) : this.wire.inject(f);
      carried += o.frames.length;
      if (o.port !== null) {
        o.port.pending = [];
        o.port.pendingBytes = 0;
      }
    }
    const delivered = this.wire.pump();
    this.quanta++;
    let next = this.horizonNs + this.quantumNs;
    const told = ports.filter((p) => p.told !== null);
    const quiet = carried === 0 && delivered === 0 && this.wire.queued === 0 && told.length === ports.length && told.length > 0 &&
      told.every((p) => p.wakeNs === null || p.wakeNs > this.horizonNs);
    if (quiet) {
      const wakes = told.map((p) => p.wakeNs).filter((w): w is number => w !== null);
      if (wakes.length > 0) {
        // Nothing can happen before the first wake-up: skip the quanta in between.
        const first = Math.ceil(Math.min(...wakes) / this.quantumNs) * this.quantumNs;
        next = Math.max(next, first);
      } else {
        // Every machine waits for input: let wall time pass (1 ms per 10 quanta) instead of spinning.
        if (ports.length === 0) return;
        this.idleTimer = setTimeout(() => {
          this.idleTimer = null;
          this.tick(this.horizonNs + 10 * this.quantumNs);
        }, 1);
        return;
      }
    }
    if (ports.length === 0) {
      this.started = false; // everyone left: the next joiner starts the clock again where it stopped
      return;
    }
    this.tick(next);
  }

  private tick(horizonNs: number): void {
    this.horizonNs = horizonNs;
    const ports = this.lockstepPorts();
    if (ports.length === 0) { this.started = false; return; }
    for (const p of ports) {
      p.told = horizonNs;
      p.done = false;
      this.write(p, encodeWire({ type: "tick", horizonNs }));
    }
    const limit = this.options.doneTimeoutMs ?? null;
    if (limit !== null) {
      if (this.doneTimer) clearTimeout(this.doneTimer);
      this.doneTimer = setTimeout(() => {
        this.doneTimer = null;
        if (this.horizonNs !== horizonNs) return;
        for (const p of this.lockstepPorts()) {
          if (p.told === horizonNs && !p.done) this.drop(p, `no DONE within ${limit} ms of the TICK to ${horizonNs} ns`);
        }
      }, limit);
      this.doneTimer.unref?.();
    }
  }
}

function compareMac(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** True if something accepts connections on the Unix socket at `path`. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = netConnect(path);
    s.once("connect", () => { s.destroy(); resolve(true); });
    s.once("error", () => resolve(false));
  });
}
