// DHCP messages (RFC 2131's BOOTP layout, RFC 2132's options): the codec the
// gateway's server uses. decodeDhcp checks every length before it reads and
// answers a string for anything malformed; it never throws.

export const DHCP_SERVER_PORT = 67;
export const DHCP_CLIENT_PORT = 68;
/** op, htype, hlen, hops, xid, secs, flags, ciaddr, yiaddr, siaddr, giaddr, chaddr[16], sname[64], file[128]. */
export const BOOTP_FIXED_LEN = 236;
export const DHCP_MAGIC = 0x63825363;
export const BOOTREQUEST = 1;
export const BOOTREPLY = 2;
export const DHCP_BROADCAST_FLAG = 0x8000;

/** Message types (option 53). */
export const DHCPDISCOVER = 1, DHCPOFFER = 2, DHCPREQUEST = 3, DHCPDECLINE = 4, DHCPACK = 5, DHCPNAK = 6, DHCPRELEASE = 7, DHCPINFORM = 8;

/** Option codes (RFC 2132). */
export const OPT_PAD = 0, OPT_SUBNET_MASK = 1, OPT_ROUTER = 3, OPT_DNS = 6, OPT_HOSTNAME = 12, OPT_DOMAIN = 15,
  OPT_REQUESTED_IP = 50, OPT_LEASE_TIME = 51, OPT_MESSAGE_TYPE = 53, OPT_SERVER_ID = 54, OPT_T1 = 58, OPT_T2 = 59, OPT_END = 255;

export interface DhcpMessage {
  op: number;
  xid: number;
  secs: number;
  flags: number;
  ciaddr: number;
  yiaddr: number;
  siaddr: number;
  giaddr: number;
  /** The client's MAC (hlen 6). */
  chaddr: Uint8Array;
  /** Options by code, each its raw bytes (a repeated code's parts are joined, RFC 3396). */
  options: Map<number, Uint8Array>;
}

export function decodeDhcp(b: Uint8Array): DhcpMessage | string {
  if (b.length < BOOTP_FIXED_LEN + 4) return "shorter than a BOOTP header and the magic cookie";
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (b[1] !== 1 || b[2] !== 6) return "not Ethernet (htype 1, hlen 6)";
  if (b[0] !== BOOTREQUEST && b[0] !== BOOTREPLY) return `op ${b[0]}`;
  if (v.getUint32(BOOTP_FIXED_LEN) !== DHCP_MAGIC) return "no DHCP magic cookie";
  const options = new Map<number, Uint8Array>();
  let i = BOOTP_FIXED_LEN + 4;
  for (;;) {
    if (i >= b.length) return "options without an end";
    const code = b[i]!;
    if (code === OPT_END) break;
    if (code === OPT_PAD) { i++; continue; }
    if (i + 1 >= b.length) return `option ${code} without a length`;
    const len = b[i + 1]!;
    if (i + 2 + len > b.length) return `option ${code} runs past the message`;
    const value = b.slice(i + 2, i + 2 + len);
    const before = options.get(code);
    options.set(code, before ? Uint8Array.from([...before, ...value]) : value);
    i += 2 + len;
  }
  return {
    op: b[0]!, xid: v.getUint32(4), secs: v.getUint16(8), flags: v.getUint16(10),
    ciaddr: v.getUint32(12), yiaddr: v.getUint32(16), siaddr: v.getUint32(20), giaddr: v.getUint32(24),
    chaddr: b.slice(28, 34), options,
  };
}

export function encodeDhcp(m: DhcpMessage): Uint8Array {
  let optionBytes = 1; // the end option
  for (const value of m.options.values()) optionBytes += 2 + value.length;
  const out = new Uint8Array(Math.max(300, BOOTP_FIXED_LEN + 4 + optionBytes)); // BOOTP's minimum is 300 bytes
  const v = new DataView(out.buffer);
  out[0] = m.op;
  out[1] = 1;
  out[2] = 6;
  v.setUint32(4, m.xid >>> 0);
  v.setUint16(8, m.secs);
  v.setUint16(10, m.flags);
  v.setUint32(12, m.ciaddr >>> 0);
  v.setUint32(16, m.yiaddr >>> 0);
  v.setUint32(20, m.siaddr >>> 0);
  v.setUint32(24, m.giaddr >>> 0);
  out.set(m.chaddr.subarray(0, 6), 28);
  v.setUint32(BOOTP_FIXED_LEN, DHCP_MAGIC);
  let i = BOOTP_FIXED_LEN + 4;
  for (const [code, value] of m.options) {
    if (value.length > 255) throw new RangeError(`DHCP option ${code} is longer than 255 bytes`);
    out[i] = code;
    out[i + 1] = value.length;
    out.set(value, i + 2);
    i += 2 + value.length;
  }
  out[i] = OPT_END;
  return out;
}

export function u32Option(n: number): Uint8Array {
  return Uint8Array.of(n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
}

export function readU32Option(v: Uint8Array | undefined): number | undefined {
  return v && v.length === 4 ? ((v[0]! << 24) | (v[1]! << 16) | (v[2]! << 8) | v[3]!) >>> 0 : undefined;
}
