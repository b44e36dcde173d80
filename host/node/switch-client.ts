// A port on a `keel switch` process (host/node/switch-server.ts), as a
// NetBackend: a runner's NIC (`keel --net switch:ADDRESS`), or anything else
// that speaks Ethernet (a gateway is just another port) attaches one
// endpoint to it. Frames go over the stream in the protocol of
// host/net/wire.ts. docs/network.md, "Switches between runners".

import { connect, type Socket } from "node:net";
import { frameLengthOk, type NetBackend, type NetEndpoint, type NetLink } from "../net/backend.js";
import { encodeWire, WireDecoder, WireError, WIRE_FLAG_LOCKSTEP, type WireMessage } from "../net/wire.js";

/** Bytes a port lets wait in its socket's send buffer before it drops frames (counted). */
export const SWITCH_PORT_QUEUE_BYTES = 256 * 1024;

export type SwitchAddress = { kind: "tcp"; host: string; port: number } | { kind: "unix"; path: string };

/** "HOST:PORT", "PORT" (127.0.0.1) or a Unix socket path (anything with a
 *  "/", or that is not one of the others). */
export function parseSwitchAddress(text: string): SwitchAddress {
  if (text.length === 0) throw new Error("a switch address is HOST:PORT, PORT or a Unix socket path (got nothing)");
  const tcp = /^(?:(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):)?(\d{1,5})$/.exec(text);
  if (tcp && !text.includes("/")) {
    const port = Number(tcp[2]);
    if (port > 65535) throw new Error(`${text}: a TCP port is 0..65535`);
    const host = tcp[1] === undefined ? "127.0.0.1" : tcp[1].replace(/^\[|\]$/g, "");
    return { kind: "tcp", host, port };
  }
  return { kind: "unix", path: text };
}

export function switchAddressText(a: SwitchAddress): string {
  return a.kind === "unix" ? a.path : `${a.host.includes(":") ? `[${a.host}]` : a.host}:${a.port}`;
}

export interface SwitchClientOptions {
  address: string;
  mac: Uint8Array;
  /** How the switch's log names this port (at most 64 bytes). */
  name: string;
  /** Ask for lockstep (the runner's deterministic clock): the switch must be a lockstep one. */
  lockstep: boolean;
  /** Give up connecting (and waiting for the switch's answer) after this long (default 10 s). */
  timeoutMs?: number;
}

export interface SwitchClientStats {
  txFrames: number;
  rxFrames: number;
  /** Frames not sent because the socket's send buffer held SWITCH_PORT_QUEUE_BYTES. */
  txDropped: number;
  /** Frames that arrived while no endpoint was attached. */
  rxDropped: number;
}

export class SwitchConnection implements NetBackend {
  /** A TICK that came before anyone listened (it can come with WELCOME): given to the first onTick. */
  private earlyTick: number | null = null;
  private tickHandler: ((horizonNs: number) => void) | null = null;
  /** The horizon of the last TICK: each must be later than the one before. */
  private lastTick = -1;
  /** After a frame was handed to the endpoint (the runner wakes its machine). */
  onFrame: (() => void) | null = null;
  /** Why the connection went before anyone listened for it (it can go with WELCOME). */
  private closedBecause: string | null = null;
  private closeHandler: ((reason: string) => void) | null = null;
  readonly stats: SwitchClientStats = { txFrames: 0, rxFrames: 0, txDropped: 0, rxDropped: 0 };
  private endpoint: NetEndpoint | null = null;
  private open = true;

  private constructor(
    private readonly socket: Socket,
    readonly address: string,
    /** The switch's port number for us, and its mode. */
    readonly port: number,
    readonly lockstep: boolean,
    readonly quantumNs: number,
  ) {}

  /** Connects and says hello; rejects with the address and the reason when
   *  the switch cannot be reached or refuses us. */
  static connect(options: SwitchClientOptions): Promise<SwitchConnection> {
    let address: SwitchAddress;
    try {
      address = parseSwitchAddress(options.address);
    } catch (error) {
      return Promise.reject(error);
    }
    const where = switchAddressText(address);
    return new Promise((resolve, reject) => {
      const socket = address.kind === "unix" ? connect(address.path) : connect(address.port, address.host);
      socket.setNoDelay?.(true);
      const decoder = new WireDecoder();
      let settled = false;
      const fail = (reason: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        reject(new Error(`cannot join the switch at ${where}: ${reason}`));
      };
      const timer = setTimeout(() => fail(`no answer within ${options.timeoutMs ?? 10_000} ms`), options.timeoutMs ?? 10_000);
      socket.once("error", (error: NodeJS.ErrnoException) => fail(error.code === "ENOENT" ? "no such socket (is `keel switch` running?)"
        : error.code === "ECONNREFUSED" ? "connection refused (is `keel switch` running?)" : error.message));
      socket.once("close", () => fail("the switch closed the connection"));
      socket.once("connect", () => {
        socket.write(encodeWire({ type: "hello", flags: options.lockstep ? WIRE_FLAG_LOCKSTEP : 0, mac: options.mac, name: options.name }));
      });
      const onData = (chunk: Buffer) => {
        let messages: WireMessage[];
        try {
          messages = decoder.push(chunk);
        } catch (error) {
          return fail(`it does not speak the switch protocol (${error instanceof Error ? error.message : String(error)})`);
        }
        const first = messages[0];
        if (first === undefined) return;
        if (first.type === "error") return fail(`it refused us: ${first.reason}`);
        if (first.type !== "welcome") return fail(`it answered with a ${first.type} message instead of WELCOME`);
        settled = true;
        clearTimeout(timer);
        socket.off("data", onData);
        socket.removeAllListeners("error");
        socket.removeAllListeners("close");
        const lockstep = (first.flags & WIRE_FLAG_LOCKSTEP) !== 0;
        if (lockstep !== options.lockstep) {
          return fail(lockstep ? "it runs in lockstep, for runners on the deterministic clock (--clock deterministic)"
            : "a runner on the deterministic clock needs a lockstep switch (keel switch --lockstep)");
        }
        const conn = new SwitchConnection(socket, where, first.port, lockstep, first.quantumNs);
        conn.wire(messages.slice(1), decoder);
        resolve(conn);
      };
      socket.on("data", onData);
    });
  }

  /** Lockstep: the switch says run up to `horizonNs`, then call done(). */
  get onTick(): ((horizonNs: number) => void) | null {
    return this.tickHandler;
  }

  set onTick(handler: ((horizonNs: number) => void) | null) {
    this.tickHandler = handler;
    const early = this.earlyTick;
    if (handler !== null && early !== null) {
      this.earlyTick = null;
      handler(early);
    }
  }

  /** Once, when the connection is gone; `reason` says why (at once, if it went before this was set). */
  get onClose(): ((reason: string) => void) | null {
    return this.closeHandler;
  }

  set onClose(handler: ((reason: string) => void) | null) {
    this.closeHandler = handler;
    const reason = this.closedBecause;
    if (handler !== null && reason !== null) {
      this.closedBecause = null;
      handler(reason);
    }
  }

  attach(endpoint: NetEndpoint): NetLink {
    if (this.endpoint !== null) throw new Error("a switch connection carries one endpoint");
    this.endpoint = endpoint;
    const up = () => this.open && this.endpoint === endpoint;
    return {
      transmit: (frame) => { if (up()) this.send(frame); },
      get up(): boolean { return up(); },
      detach: () => { if (this.endpoint === endpoint) this.endpoint = null; },
    };
  }

  /** Lockstep: reached `horizonNs`; next wakes by itself at `wakeNs` (null: never). */
  done(horizonNs: number, wakeNs: number | null): void {
    this.write(encodeWire({ type: "done", horizonNs, wakeNs }));
  }

  close(): void {
    if (!this.open) return;
    this.socket.end();
    this.finish("closed by this side");
  }

  get up(): boolean {
    return this.open;
  }

  private send(frame: Uint8Array): void {
    if (!this.open || !frameLengthOk(frame.length)) return;
    if (this.socket.writableLength + frame.length + 3 > SWITCH_PORT_QUEUE_BYTES) {
      this.stats.txDropped++;
      return;
    }
    this.stats.txFrames++;
    this.write(encodeWire({ type: "frame", frame }));
  }

  private write(bytes: Uint8Array): void {
    if (this.open) this.socket.write(bytes);
  }

  /** Takes over the socket after WELCOME (`early`: messages that came with it). */
  private wire(early: WireMessage[], decoder: WireDecoder): void {
    const handle = (m: WireMessage) => {
      switch (m.type) {
        case "frame":
          if (this.endpoint === null) { this.stats.rxDropped++; return; }
          this.stats.rxFrames++;
          this.endpoint.receive(m.frame);
          this.onFrame?.();
          return;
        case "tick":
          if (!this.lockstep) {
            this.socket.destroy();
            this.finish("the switch sent a TICK, but it is not a lockstep switch");
            return;
          }
          if (m.horizonNs <= this.lastTick) {
            this.socket.destroy();
            this.finish(`the switch sent a TICK to ${m.horizonNs} ns after one to ${this.lastTick} ns (time cannot go back)`);
            return;
          }
          this.lastTick = m.horizonNs;
          if (this.tickHandler === null) this.earlyTick = m.horizonNs;
          else this.tickHandler(m.horizonNs);
          return;
        case "error":
          this.socket.destroy();
          this.finish(`the switch dropped us: ${m.reason}`);
          return;
        default:
          this.socket.destroy();
          this.finish(`the switch sent a ${m.type} message, which only a runner sends`);
      }
    };
    for (const m of early) handle(m);
    this.socket.on("data", (chunk: Buffer) => {
      if (!this.open) return;
      let messages: WireMessage[];
      try {
        messages = decoder.push(chunk);
      } catch (error) {
        this.socket.destroy();
        return this.finish(`the switch sent garbage (${error instanceof WireError ? error.message : String(error)})`);
      }
      for (const m of messages) if (this.open) handle(m);
    });
    this.socket.on("error", (error) => this.finish(`connection error: ${error.message}`));
    this.socket.on("close", () => this.finish("the switch closed the connection"));
  }

  private finish(reason: string): void {
    if (!this.open) return;
    this.open = false;
    if (this.closeHandler === null) this.closedBecause = reason;
    else this.closeHandler(reason);
  }
}

