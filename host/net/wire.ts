// The switch protocol: how runners (host/node/switch-client.ts) and the
// `keel switch` process (host/node/switch-server.ts) carry Ethernet frames
// over a byte stream (a TCP connection on 127.0.0.1 or a Unix socket), and
// how a lockstep switch paces deterministic runners. docs/network.md
// ("Switches between runners") is the reference; this file is its only
// implementation, shared by both ends. Pure: no sockets here.
//
// Every message is `u16 length` (big-endian: the bytes after it, 1..1515),
// `u8 type`, then length - 1 bytes of payload. Numbers are big-endian.

import { ETH_MAX_FRAME, frameLengthOk, MAC_LEN } from "./backend.js";

export const WIRE_HELLO = 1;
export const WIRE_WELCOME = 2;
export const WIRE_FRAME = 3;
export const WIRE_TICK = 4;
export const WIRE_DONE = 5;
export const WIRE_ERROR = 6;

/** "KSW1": the first four payload bytes of HELLO (protocol version 1). */
export const WIRE_MAGIC = Uint8Array.of(0x4b, 0x53, 0x57, 0x31);
/** The longest message body (type byte + payload): a type byte and the largest frame. */
export const WIRE_MAX_BODY = 1 + ETH_MAX_FRAME;
export const WIRE_NAME_MAX = 64;
export const WIRE_ERROR_MAX = 200;
/** HELLO / WELCOME flag: the port runs in lockstep (deterministic clock). */
export const WIRE_FLAG_LOCKSTEP = 1;
/** DONE's next-wake value for "nothing but a frame or input wakes me". */
export const WIRE_NEVER = 0xffff_ffff_ffff_ffffn;

export type WireMessage =
  /** Runner to switch, first and once: who it is. */
  | { type: "hello"; flags: number; mac: Uint8Array; name: string }
  /** Switch to runner, the answer to HELLO: the port's number and the switch's mode. */
  | { type: "welcome"; flags: number; quantumNs: number; port: number }
  /** Either way: one Ethernet frame (14..1514 bytes). */
  | { type: "frame"; frame: Uint8Array }
  /** Lockstep, switch to runner: run up to virtual time `horizonNs`. */
  | { type: "tick"; horizonNs: number }
  /** Lockstep, runner to switch: reached `horizonNs` (every frame it sent on
   *  the way is ahead of this message); it will next wake by itself at
   *  `wakeNs` (= horizonNs when it is busy, null when only a frame or
   *  input can wake it). */
  | { type: "done"; horizonNs: number; wakeNs: number | null }
  /** Switch to runner: why it is being dropped (the switch closes next). */
  | { type: "error"; reason: string };

export class WireError extends Error {}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder("utf-8", { fatal: false });

function message(type: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(3 + payload.length);
  const n = 1 + payload.length;
  out[0] = n >> 8;
  out[1] = n & 0xff;
  out[2] = type;
  out.set(payload, 3);
  return out;
}

function u64(value: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, value);
  return b;
}

function timeNs(ns: number): bigint {
  if (!Number.isSafeInteger(ns) || ns < 0) throw new WireError(`impossible virtual time ${ns}`);
  return BigInt(ns);
}

export function encodeWire(m: WireMessage): Uint8Array {
  switch (m.type) {
    case "hello": {
      const name = utf8.encode(m.name).subarray(0, WIRE_NAME_MAX);
      if (m.mac.length !== MAC_LEN) throw new WireError("a MAC address is 6 bytes");
      const p = new Uint8Array(4 + 1 + MAC_LEN + name.length);
      p.set(WIRE_MAGIC);
      p[4] = m.flags;
      p.set(m.mac, 5);
      p.set(name, 5 + MAC_LEN);
      return message(WIRE_HELLO, p);
    }
    case "welcome": {
      const p = new Uint8Array(7);
      const v = new DataView(p.buffer);
      v.setUint8(0, m.flags);
      v.setUint32(1, m.quantumNs);
      v.setUint16(5, m.port);
      return message(WIRE_WELCOME, p);
    }
    case "frame":
      if (!frameLengthOk(m.frame.length)) throw new WireError(`a frame of ${m.frame.length} bytes is not 14..1514`);
      return message(WIRE_FRAME, m.frame);
    case "tick":
      return message(WIRE_TICK, u64(timeNs(m.horizonNs)));
    case "done": {
      const p = new Uint8Array(16);
      p.set(u64(timeNs(m.horizonNs)));
      p.set(u64(m.wakeNs === null ? WIRE_NEVER : timeNs(m.wakeNs)), 8);
      return message(WIRE_DONE, p);
    }
    case "error":
      return message(WIRE_ERROR, utf8.encode(m.reason).subarray(0, WIRE_ERROR_MAX));
  }
}

function readTime(p: Uint8Array, at: number, what: string): number {
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength).getBigUint64(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new WireError(`${what} ${v} ns is beyond any virtual time`);
  return Number(v);
}

/** One message body (type byte and payload) to a message, or a WireError saying what is wrong. */
export function decodeWireBody(body: Uint8Array): WireMessage {
  const type = body[0];
  const p = body.subarray(1);
  switch (type) {
    case WIRE_HELLO: {
      if (p.length < 4 + 1 + MAC_LEN || p.length > 4 + 1 + MAC_LEN + WIRE_NAME_MAX) throw new WireError(`a HELLO of ${p.length} payload bytes`);
      if (!WIRE_MAGIC.every((b, i) => p[i] === b)) throw new WireError("a HELLO without the KSW1 magic (not a Keel switch client, or another protocol version)");
      const mac = p.slice(5, 5 + MAC_LEN);
      if ((mac[0]! & 1) !== 0) throw new WireError("a HELLO with a group (multicast) MAC address");
      return { type: "hello", flags: p[4]!, mac, name: fromUtf8.decode(p.subarray(5 + MAC_LEN)) };
    }
    case WIRE_WELCOME: {
      if (p.length !== 7) throw new WireError(`a WELCOME of ${p.length} payload bytes`);
      const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
      return { type: "welcome", flags: v.getUint8(0), quantumNs: v.getUint32(1), port: v.getUint16(5) };
    }
    case WIRE_FRAME:
      if (!frameLengthOk(p.length)) throw new WireError(`a frame of ${p.length} bytes (a frame is 14..1514)`);
      return { type: "frame", frame: p.slice() };
    case WIRE_TICK:
      if (p.length !== 8) throw new WireError(`a TICK of ${p.length} payload bytes`);
      return { type: "tick", horizonNs: readTime(p, 0, "a TICK to") };
    case WIRE_DONE: {
      if (p.length !== 16) throw new WireError(`a DONE of ${p.length} payload bytes`);
      const horizonNs = readTime(p, 0, "a DONE at");
      const never = new DataView(p.buffer, p.byteOffset, p.byteLength).getBigUint64(8) === WIRE_NEVER;
      return { type: "done", horizonNs, wakeNs: never ? null : readTime(p, 8, "a wake-up at") };
    }
    case WIRE_ERROR:
      return { type: "error", reason: fromUtf8.decode(p) };
    default:
      throw new WireError(`unknown message type ${type}`);
  }
}

/** Cuts a byte stream into messages. After a WireError the stream is
 *  beyond repair (framing is lost): its owner drops the connection. */
export class WireDecoder {
  private buffer = new Uint8Array(0);
  private broken: string | null = null;

  /** Every whole message in the stream so far; a partial one waits for more bytes. */
  push(chunk: Uint8Array): WireMessage[] {
    if (this.broken !== null) throw new WireError(this.broken);
    if (this.buffer.length === 0) this.buffer = chunk.slice();
    else {
      const joined = new Uint8Array(this.buffer.length + chunk.length);
      joined.set(this.buffer);
      joined.set(chunk, this.buffer.length);
      this.buffer = joined;
    }
    const out: WireMessage[] = [];
    let at = 0;
    try {
      while (this.buffer.length - at >= 2) {
        const n = (this.buffer[at]! << 8) | this.buffer[at + 1]!;
        if (n < 1 || n > WIRE_MAX_BODY) throw new WireError(`a message length of ${n} bytes (1..${WIRE_MAX_BODY})`);
        if (this.buffer.length - at < 2 + n) break;
        out.push(decodeWireBody(this.buffer.subarray(at + 2, at + 2 + n)));
        at += 2 + n;
      }
    } catch (error) {
      this.broken = error instanceof Error ? error.message : String(error);
      this.buffer = new Uint8Array(0);
      throw error;
    }
    this.buffer = this.buffer.slice(at);
    return out;
  }

  /** Bytes of a message not yet complete. */
  get pending(): number {
    return this.buffer.length;
  }
}
