// The GDB remote serial protocol's framing, with no transport and no
// target: bytes in, packets and interrupts out; payloads in, framed bytes
// out. `$payload#cc` where cc is the sum of the payload's bytes mod 256 in
// two hex digits; `+`/`-` acknowledge; a bare 0x03 byte outside a packet is
// an interrupt (Ctrl-C); binary data escapes `#`, `$`, `}` and `*` as `}`
// followed by the byte XOR 0x20. (GDB's manual, "Remote Protocol".)

export type ReaderEvent =
  | { kind: "packet"; payload: Uint8Array }
  | { kind: "bad-checksum" }
  | { kind: "too-long" }
  | { kind: "interrupt" }
  | { kind: "ack" }
  | { kind: "nack" };

/** Largest payload accepted; a longer one is dropped whole. */
export const MAX_PACKET = 0x4000;

const DOLLAR = 0x24;
const HASH = 0x23;
const ESCAPE = 0x7d;
const STAR = 0x2a;
const PLUS = 0x2b;
const MINUS = 0x2d;
const INTERRUPT = 0x03;
const ESCAPE_XOR = 0x20;

const enum State { Idle, Payload, Check1, Check2 }

function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x61 + 10;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x41 + 10;
  return -1;
}

/** Splits a byte stream into protocol events; keeps partial packets between calls. */
export class PacketReader {
  private state = State.Idle;
  private buffer = new Uint8Array(256);
  private length = 0;
  private sum = 0;
  private check = 0;
  private overflow = false;

  feed(bytes: Uint8Array): ReaderEvent[] {
    const events: ReaderEvent[] = [];
    for (const b of bytes) {
      switch (this.state) {
        case State.Idle:
          if (b === DOLLAR) this.start();
          else if (b === INTERRUPT) events.push({ kind: "interrupt" });
          else if (b === PLUS) events.push({ kind: "ack" });
          else if (b === MINUS) events.push({ kind: "nack" });
          break; // anything else between packets is noise
        case State.Payload:
          if (b === HASH) this.state = State.Check1;
          else if (b === DOLLAR) this.start(); // a new packet abandons a broken one
          else this.append(b);
          break;
        case State.Check1: {
          const v = hexValue(b);
          if (v < 0) { events.push({ kind: "bad-checksum" }); this.state = State.Idle; break; }
          this.check = v << 4;
          this.state = State.Check2;
          break;
        }
        case State.Check2: {
          const v = hexValue(b);
          this.state = State.Idle;
          if (this.overflow) { events.push({ kind: "too-long" }); break; }
          if (v < 0 || (this.check | v) !== (this.sum & 0xff)) { events.push({ kind: "bad-checksum" }); break; }
          events.push({ kind: "packet", payload: this.buffer.slice(0, this.length) });
          break;
        }
      }
    }
    return events;
  }

  private start(): void {
    this.state = State.Payload;
    this.length = 0;
    this.sum = 0;
    this.overflow = false;
  }

  private append(b: number): void {
    this.sum += b;
    if (this.length >= MAX_PACKET) { this.overflow = true; return; }
    if (this.length === this.buffer.length) {
      const grown = new Uint8Array(Math.min(MAX_PACKET, this.buffer.length * 2));
      grown.set(this.buffer);
      this.buffer = grown;
    }
    this.buffer[this.length++] = b;
  }
}

/** `$payload#cc`, the payload escaped where the protocol requires it. */
export function framePacket(payload: Uint8Array | string): Uint8Array {
  const raw = typeof payload === "string" ? latin1(payload) : payload;
  const out: number[] = [DOLLAR];
  let sum = 0;
  for (const b of raw) {
    if (b === DOLLAR || b === HASH || b === ESCAPE || b === STAR) {
      out.push(ESCAPE, b ^ ESCAPE_XOR);
      sum += ESCAPE + (b ^ ESCAPE_XOR);
    } else {
      out.push(b);
      sum += b;
    }
  }
  out.push(HASH);
  const cs = (sum & 0xff).toString(16).padStart(2, "0");
  out.push(cs.charCodeAt(0), cs.charCodeAt(1));
  return Uint8Array.from(out);
}

/** Undoes binary escaping (X packets, and framing in general). */
export function unescapeBinary(data: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < data.length; i++) {
    const b = data[i]!;
    if (b === ESCAPE && i + 1 < data.length) out.push(data[++i]! ^ ESCAPE_XOR);
    else out.push(b);
  }
  return Uint8Array.from(out);
}

/** A string whose characters are the bytes 0..255. */
export function latin1(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

export function latin1Text(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

export function toHex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

/** Hex digits to bytes; null if the text is not an even number of hex digits. */
export function fromHex(text: string): Uint8Array | null {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) return null;
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** A register value as gdb sends it: `bytes` bytes (8 by default), little-endian, in hex. */
export function regHex(value: bigint, bytes = 8): string {
  let v = BigInt.asUintN(8 * bytes, value);
  let s = "";
  for (let i = 0; i < bytes; i++) {
    s += Number(v & 0xffn).toString(16).padStart(2, "0");
    v >>= 8n;
  }
  return s;
}

/** Parses the hex digits of a little-endian value of `size` bytes (8 by default); null if malformed. */
export function parseRegHex(text: string, size = 8): bigint | null {
  const bytes = fromHex(text);
  if (bytes === null || bytes.length !== size) return null;
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  return v;
}

/** A hex number as the protocol writes addresses and lengths (1..16 digits); null if malformed. */
export function parseHexNumber(text: string): bigint | null {
  if (!/^[0-9a-fA-F]{1,16}$/.test(text)) return null;
  return BigInt("0x" + text);
}
