// DNS messages (RFC 1035 section 4): the codec of the gateway's server.
// Queries with one question are understood; names may use compression
// pointers (followed at most 16 times, never forward into a loop).
// decodeDnsQuery answers a string for anything malformed; it never throws.

export const DNS_PORT = 53;
export const DNS_HEADER_LEN = 12;
export const DNS_TYPE_A = 1;
export const DNS_TYPE_AAAA = 28;
export const DNS_CLASS_IN = 1;
export const DNS_RCODE_OK = 0;
export const DNS_RCODE_FORMERR = 1;
export const DNS_RCODE_NXDOMAIN = 3;
export const DNS_RCODE_NOTIMP = 4;
const MAX_POINTERS = 16;
const MAX_NAME = 255;

export interface DnsQuery {
  id: number;
  flags: number;
  /** Lower case, without the trailing dot. */
  name: string;
  type: number;
  class: number;
  /** The question's bytes as they came (echoed in the answer). */
  question: Uint8Array;
}

/** Reads the name at offset; returns it and where the name's bytes end (at the offset, not after a pointer). */
function readName(b: Uint8Array, offset: number): { name: string; end: number } | string {
  const labels: string[] = [];
  let i = offset, end = -1, pointers = 0, length = 0;
  for (;;) {
    if (i >= b.length) return "name runs past the message";
    const len = b[i]!;
    if ((len & 0xc0) === 0xc0) {
      if (i + 1 >= b.length) return "truncated pointer";
      if (++pointers > MAX_POINTERS) return "too many compression pointers";
      if (end < 0) end = i + 2;
      const to = ((len & 0x3f) << 8) | b[i + 1]!;
      if (to >= i) return "compression pointer does not point back";
      i = to;
      continue;
    }
    if (len & 0xc0) return "reserved label type";
    if (len === 0) { if (end < 0) end = i + 1; break; }
    if (i + 1 + len > b.length) return "label runs past the message";
    length += len + 1;
    if (length > MAX_NAME) return "name longer than 255 bytes";
    let label = "";
    for (let k = 0; k < len; k++) label += String.fromCharCode(b[i + 1 + k]!);
    labels.push(label.toLowerCase());
    i += 1 + len;
  }
  return { name: labels.join("."), end };
}

export function decodeDnsQuery(b: Uint8Array): DnsQuery | string {
  if (b.length < DNS_HEADER_LEN) return "shorter than a DNS header";
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const flags = v.getUint16(2);
  if (flags & 0x8000) return "a response, not a query";
  if (v.getUint16(4) !== 1) return `${v.getUint16(4)} questions (one is understood)`;
  const name = readName(b, DNS_HEADER_LEN);
  if (typeof name === "string") return name;
  if (name.end + 4 > b.length) return "question without type and class";
  return {
    id: v.getUint16(0), flags, name: name.name, type: v.getUint16(name.end), class: v.getUint16(name.end + 2),
    question: b.slice(DNS_HEADER_LEN, name.end + 4),
  };
}

/** The answer to q: rcode, and A records (addresses) for its name. */
export function encodeDnsAnswer(q: DnsQuery, rcode: number, addresses: number[], ttl = 60): Uint8Array {
  const question = encodeName(q.name, q.question);
  const out = new Uint8Array(DNS_HEADER_LEN + question.length + addresses.length * 16);
  const v = new DataView(out.buffer);
  v.setUint16(0, q.id);
  // QR, the opcode and RD copied, RA (we answer everything ourselves), rcode.
  v.setUint16(2, 0x8000 | (q.flags & 0x7900) | 0x0080 | (rcode & 15));
  v.setUint16(4, 1);
  v.setUint16(6, addresses.length);
  out.set(question, DNS_HEADER_LEN);
  let i = DNS_HEADER_LEN + question.length;
  for (const a of addresses) {
    v.setUint16(i, 0xc000 | DNS_HEADER_LEN); // the name: a pointer to the question's
    v.setUint16(i + 2, DNS_TYPE_A);
    v.setUint16(i + 4, DNS_CLASS_IN);
    v.setUint32(i + 6, ttl);
    v.setUint16(i + 10, 4);
    v.setUint32(i + 12, a >>> 0);
    i += 16;
  }
  return out;
}

/** The question again, with its name spelled out (a pointer in the query would point nowhere in our answer). */
function encodeName(name: string, original: Uint8Array): Uint8Array {
  const tail = original.subarray(original.length - 4);
  const labels = name === "" ? [] : name.split(".");
  const out = new Uint8Array(labels.reduce((n, l) => n + l.length + 1, 1) + 4);
  let i = 0;
  for (const l of labels) {
    out[i++] = l.length;
    for (let k = 0; k < l.length; k++) out[i++] = l.charCodeAt(k);
  }
  out[i++] = 0;
  out.set(tail, i);
  return out;
}

/** A query for name (type A), as a resolver sends it (tests). */
export function encodeDnsQuery(id: number, name: string, type = DNS_TYPE_A): Uint8Array {
  const labels = name.split(".").filter((l) => l.length > 0);
  const out = new Uint8Array(DNS_HEADER_LEN + labels.reduce((n, l) => n + l.length + 1, 1) + 4);
  const v = new DataView(out.buffer);
  v.setUint16(0, id);
  v.setUint16(2, 0x0100); // RD
  v.setUint16(4, 1);
  let i = DNS_HEADER_LEN;
  for (const l of labels) {
    out[i++] = l.length;
    for (let k = 0; k < l.length; k++) out[i++] = l.charCodeAt(k);
  }
  out[i++] = 0;
  v.setUint16(i, type);
  v.setUint16(i + 2, DNS_CLASS_IN);
  return out;
}

/** The A records of an answer (tests, and host-side resolvers). */
export function decodeDnsAnswer(b: Uint8Array): { id: number; rcode: number; addresses: number[] } | string {
  if (b.length < DNS_HEADER_LEN) return "short";
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const qd = v.getUint16(4), an = v.getUint16(6);
  let i = DNS_HEADER_LEN;
  for (let q = 0; q < qd; q++) {
    const n = readName(b, i);
    if (typeof n === "string") return n;
    i = n.end + 4;
  }
  const addresses: number[] = [];
  for (let a = 0; a < an; a++) {
    const n = readName(b, i);
    if (typeof n === "string") return n;
    i = n.end;
    if (i + 10 > b.length) return "truncated record";
    const type = v.getUint16(i), rdlen = v.getUint16(i + 8);
    if (i + 10 + rdlen > b.length) return "truncated record data";
    if (type === DNS_TYPE_A && rdlen === 4) addresses.push(v.getUint32(i + 10));
    i += 10 + rdlen;
  }
  return { id: v.getUint16(0), rcode: v.getUint16(2) & 15, addresses };
}
