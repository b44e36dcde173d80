// Decodes an Ethernet frame's headers for the page's packet log
// (docs/network.md, "The packet log"): Ethernet, ARP, IPv4, ICMP, UDP and
// TCP, the fields a person reads (addresses, ports, flags, sequence and
// acknowledgement numbers, lengths) and a one-line summary. Pure code: it
// reads the bytes it is given and nothing else, and never throws. A frame
// too short for a header it claims, or with a field no sender may write,
// decodes as far as it is sound and says what is wrong in `problem`; the
// layers after the fault are absent.
//
// Checksums are not judged here (the log shows what was on the wire; netd
// checks them), except the IPv4 header's, which is reported as a flag.

import { internetChecksum } from "./tcp.js";

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const IP_PROTO_ICMP = 1;
export const IP_PROTO_TCP = 6;
export const IP_PROTO_UDP = 17;

export interface EthHeader {
  dst: string;
  src: string;
  type: number;
}

export interface ArpPacket {
  /** 1 request, 2 reply. */
  op: number;
  senderMac: string;
  senderIp: string;
  targetMac: string;
  targetIp: string;
}

export interface Ipv4Header {
  src: string;
  dst: string;
  /** Header length in bytes (IHL × 4). */
  headerLength: number;
  totalLength: number;
  id: number;
  dontFragment: boolean;
  moreFragments: boolean;
  /** Fragment offset in bytes. */
  fragmentOffset: number;
  ttl: number;
  protocol: number;
  checksumOk: boolean;
}

export interface IcmpHeader {
  type: number;
  code: number;
  /** Echo request and reply only. */
  id: number | null;
  seq: number | null;
  /** Bytes of ICMP message (header and data). */
  length: number;
}

export interface UdpHeader {
  srcPort: number;
  dstPort: number;
  /** The UDP length field (header and data). */
  length: number;
}

export const TCP_FLAG_NAMES = ["FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"] as const;
export type TcpFlag = (typeof TCP_FLAG_NAMES)[number];

export interface TcpHeader {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  /** Set flags, in the order of TCP_FLAG_NAMES. */
  flags: TcpFlag[];
  window: number;
  /** Data offset in bytes (header and options). */
  headerLength: number;
  /** Bytes of data after the header, as the IPv4 length says. */
  payloadLength: number;
  /** The MSS option, when the segment carries one. */
  mss: number | null;
}

export interface DecodedFrame {
  /** Bytes of the frame. */
  length: number;
  eth: EthHeader | null;
  arp: ArpPacket | null;
  ip: Ipv4Header | null;
  icmp: IcmpHeader | null;
  udp: UdpHeader | null;
  tcp: TcpHeader | null;
  /** The innermost layer understood: "eth", "arp", "ipv4", "icmp", "udp", "tcp". */
  protocol: string;
  /** What is wrong with the frame, or "" when nothing is. */
  problem: string;
  /** One line for the log. */
  summary: string;
}

const hex2 = (b: number): string => b.toString(16).padStart(2, "0");

function mac(bytes: Uint8Array, at: number): string {
  let s = "";
  for (let i = 0; i < 6; i++) s += (i ? ":" : "") + hex2(bytes[at + i]!);
  return s;
}

function ipv4(bytes: Uint8Array, at: number): string {
  return `${bytes[at]}.${bytes[at + 1]}.${bytes[at + 2]}.${bytes[at + 3]}`;
}

const u16 = (b: Uint8Array, at: number): number => (b[at]! << 8) | b[at + 1]!;
const u32 = (b: Uint8Array, at: number): number => ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;

const ICMP_NAMES: Record<number, string> = { 0: "echo reply", 3: "destination unreachable", 8: "echo request", 11: "time exceeded" };

export function icmpName(type: number): string {
  return ICMP_NAMES[type] ?? `type ${type}`;
}

function etherTypeName(type: number): string {
  if (type === ETHERTYPE_IPV4) return "IPv4";
  if (type === ETHERTYPE_ARP) return "ARP";
  if (type === 0x86dd) return "IPv6";
  return `0x${type.toString(16).padStart(4, "0")}`;
}

/** Decodes a frame; never throws. */
export function decodeFrame(frame: Uint8Array): DecodedFrame {
  const out: DecodedFrame = {
    length: frame.length, eth: null, arp: null, ip: null, icmp: null, udp: null, tcp: null, protocol: "", problem: "", summary: "",
  };
  try {
    decodeInto(frame, out);
  } catch (e) {
    // Every read above is bounds-checked first; this is only a last guard.
    out.problem ||= `undecodable: ${e instanceof Error ? e.message : String(e)}`;
  }
  out.summary = summarize(out);
  return out;
}

function decodeInto(f: Uint8Array, out: DecodedFrame): void {
  if (f.length < 14) {
    out.problem = `${f.length} bytes: shorter than an Ethernet header (14)`;
    return;
  }
  out.eth = { dst: mac(f, 0), src: mac(f, 6), type: u16(f, 12) };
  out.protocol = "eth";
  const p = f.subarray(14);
  if (out.eth.type === ETHERTYPE_ARP) decodeArp(p, out);
  else if (out.eth.type === ETHERTYPE_IPV4) decodeIpv4(p, out);
}

function decodeArp(p: Uint8Array, out: DecodedFrame): void {
  if (p.length < 28) {
    out.problem = `ARP: ${p.length} bytes, fewer than 28`;
    return;
  }
  if (u16(p, 0) !== 1 || u16(p, 2) !== ETHERTYPE_IPV4 || p[4] !== 6 || p[5] !== 4) {
    out.problem = "ARP: not Ethernet/IPv4 (hardware type 1, protocol 0x0800, lengths 6 and 4)";
    return;
  }
  out.arp = { op: u16(p, 6), senderMac: mac(p, 8), senderIp: ipv4(p, 14), targetMac: mac(p, 18), targetIp: ipv4(p, 24) };
  out.protocol = "arp";
}

function decodeIpv4(p: Uint8Array, out: DecodedFrame): void {
  if (p.length < 20) {
    out.problem = `IPv4: ${p.length} bytes, fewer than a header (20)`;
    return;
  }
  const version = p[0]! >> 4;
  const headerLength = (p[0]! & 15) * 4;
  if (version !== 4) {
    out.problem = `IPv4: version ${version}`;
    return;
  }
  if (headerLength < 20 || headerLength > p.length) {
    out.problem = `IPv4: header length ${headerLength} (${p.length} bytes here)`;
    return;
  }
  const totalLength = u16(p, 2);
  const frag = u16(p, 6);
  out.ip = {
    src: ipv4(p, 12), dst: ipv4(p, 16), headerLength, totalLength, id: u16(p, 4),
    dontFragment: (frag & 0x4000) !== 0, moreFragments: (frag & 0x2000) !== 0, fragmentOffset: (frag & 0x1fff) * 8,
    ttl: p[8]!, protocol: p[9]!, checksumOk: internetChecksum(p.subarray(0, headerLength)) === 0,
  };
  out.protocol = "ipv4";
  if (totalLength < headerLength || totalLength > p.length) {
    out.problem = `IPv4: total length ${totalLength} (header ${headerLength}, ${p.length} bytes here)`;
    return;
  }
  if (!out.ip.checksumOk) out.problem = "IPv4: bad header checksum";
  // Only a first fragment holds the transport header.
  if (out.ip.fragmentOffset !== 0) return;
  const body = p.subarray(headerLength, totalLength);
  if (out.ip.protocol === IP_PROTO_ICMP) decodeIcmp(body, out);
  else if (out.ip.protocol === IP_PROTO_UDP) decodeUdp(body, out);
  else if (out.ip.protocol === IP_PROTO_TCP) decodeTcp(body, out);
}

function decodeIcmp(b: Uint8Array, out: DecodedFrame): void {
  if (b.length < 8) {
    out.problem ||= `ICMP: ${b.length} bytes, fewer than a header (8)`;
    return;
  }
  const type = b[0]!;
  const echo = type === 0 || type === 8;
  out.icmp = { type, code: b[1]!, id: echo ? u16(b, 4) : null, seq: echo ? u16(b, 6) : null, length: b.length };
  out.protocol = "icmp";
}

function decodeUdp(b: Uint8Array, out: DecodedFrame): void {
  if (b.length < 8) {
    out.problem ||= `UDP: ${b.length} bytes, fewer than a header (8)`;
    return;
  }
  out.udp = { srcPort: u16(b, 0), dstPort: u16(b, 2), length: u16(b, 4) };
  out.protocol = "udp";
  if (out.udp.length < 8 || out.udp.length > b.length) out.problem ||= `UDP: length ${out.udp.length} (${b.length} bytes here)`;
}

function decodeTcp(b: Uint8Array, out: DecodedFrame): void {
  if (b.length < 20) {
    out.problem ||= `TCP: ${b.length} bytes, fewer than a header (20)`;
    return;
  }
  const headerLength = (b[12]! >> 4) * 4;
  if (headerLength < 20 || headerLength > b.length) {
    out.problem ||= `TCP: data offset ${headerLength} (${b.length} bytes here)`;
    return;
  }
  const bits = b[13]!;
  const flags = TCP_FLAG_NAMES.filter((_, i) => (bits & (1 << i)) !== 0);
  out.tcp = {
    srcPort: u16(b, 0), dstPort: u16(b, 2), seq: u32(b, 4), ack: u32(b, 8), flags, window: u16(b, 14), headerLength,
    payloadLength: b.length - headerLength, mss: tcpMss(b, headerLength),
  };
  out.protocol = "tcp";
}

/** The MSS option's value, walking the options (kind 0 ends them, 1 pads). */
function tcpMss(b: Uint8Array, headerLength: number): number | null {
  let i = 20;
  while (i < headerLength) {
    const kind = b[i]!;
    if (kind === 0) break;
    if (kind === 1) { i++; continue; }
    if (i + 1 >= headerLength) break;
    const len = b[i + 1]!;
    if (len < 2 || i + len > headerLength) break;
    if (kind === 2 && len === 4) return u16(b, i + 2);
    i += len;
  }
  return null;
}

function summarize(d: DecodedFrame): string {
  const bad = d.problem ? ` (${d.problem})` : "";
  if (d.eth === null) return `malformed${bad}`;
  if (d.arp) {
    const a = d.arp;
    if (a.op === 1) return `ARP who has ${a.targetIp}? tell ${a.senderIp}${bad}`;
    if (a.op === 2) return `ARP ${a.senderIp} is at ${a.senderMac}${bad}`;
    return `ARP op ${a.op} ${a.senderIp} → ${a.targetIp}${bad}`;
  }
  const ip = d.ip;
  if (ip === null) return `${d.eth.src} → ${d.eth.dst} ${etherTypeName(d.eth.type)} ${d.length} bytes${bad}`;
  const frag = ip.moreFragments || ip.fragmentOffset ? ` fragment off=${ip.fragmentOffset}${ip.moreFragments ? " MF" : ""}` : "";
  if (d.icmp) {
    const c = d.icmp;
    const echo = c.id !== null ? ` id=${c.id} seq=${c.seq}` : c.code ? ` code ${c.code}` : "";
    return `ICMP ${ip.src} → ${ip.dst} ${icmpName(c.type)}${echo} len=${c.length} ttl=${ip.ttl}${bad}`;
  }
  if (d.udp) {
    const u = d.udp;
    return `UDP ${ip.src}:${u.srcPort} → ${ip.dst}:${u.dstPort} len=${u.length - 8}${bad}`;
  }
  if (d.tcp) {
    const t = d.tcp;
    const ack = t.flags.includes("ACK") ? ` ack=${t.ack}` : "";
    const mss = t.mss !== null ? ` mss=${t.mss}` : "";
    return `TCP ${ip.src}:${t.srcPort} → ${ip.dst}:${t.dstPort} [${t.flags.join(",")}] seq=${t.seq}${ack} win=${t.window} len=${t.payloadLength}${mss}${bad}`;
  }
  return `IPv4 ${ip.src} → ${ip.dst} proto ${ip.protocol} len=${ip.totalLength}${frag}${bad}`;
}
