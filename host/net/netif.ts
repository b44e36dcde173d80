// A host-side network interface: an endpoint on a NetBackend (the virtual
// switch) with a MAC, one or more IPv4 addresses, ARP (answers for its
// addresses, a cache, packets waiting for a reply), IPv4 (header and
// checksum checked; fragments dropped), ICMP echo replies, UDP ports bound to
// handlers, and the TCP endpoint of host/net/tcp.ts. The gateway
// (host/net/gateway.ts) is one; anything on the host that wants to talk to
// a Keel machine (an HTTP client for httpd) can be another:
//
//   const nif = new NetInterface(sw, { mac, ip: "10.0.2.3", prefix: 24, now: () => machine.virtualNowNs });
//   const s = nif.connect("10.0.2.15", 80);  s.write("GET / ...");  s.onData(...)
//
// It runs when the switch pumps (frames in) and when its owner calls
// tick() (timers); it never throws for anything a frame holds: bad frames
// are counted in `stats`.

import { ETH_HEADER_LEN, ETH_MAX_FRAME, MAC_LEN, type NetBackend, type NetLink } from "./backend.js";
import { formatIpv4, internetChecksum, l4Checksum, parseIpv4, TcpStack, type TcpStream } from "./tcp.js";

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const IP_PROTO_ICMP = 1;
export const IP_PROTO_TCP = 6;
export const IP_PROTO_UDP = 17;
export const IP_HEADER_LEN = 20;
export const UDP_HEADER_LEN = 8;
export const IP_BROADCAST = 0xffffffff;
const ARP_LEN = 28;
const ARP_CACHE_LIMIT = 256;
/** Packets waiting for one address's ARP reply; beyond it the oldest goes. */
const ARP_PENDING_LIMIT = 16;
const ARP_RETRY_NS = 200e6;
const ARP_TRIES = 5;
const BROADCAST_MAC = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

export interface NetInterfaceStats {
  framesIn: number;
  framesOut: number;
  /** Frames not for us, malformed Ethernet/ARP/IPv4, or an unknown EtherType/protocol. */
  bad: number;
  arpReplies: number;
  /** Packets dropped waiting for an address that never answered ARP. */
  arpDropped: number;
  udpIn: number;
  udpBad: number;
  /** UDP datagrams for a port nobody bound. */
  udpNoPort: number;
  echoAnswered: number;
  fragments: number;
}

export interface NetInterfaceOptions {
  mac: Uint8Array;
  /** Our address ("10.0.2.2") and the network's prefix length. */
  ip: string;
  prefix: number;
  /** Nanoseconds of the clock that drives the timers (the machine's virtual clock). */
  now(): number;
  /** Other addresses answered for (ARP, IP): the gateway's names for outside hosts. */
  alsoOwns?: (ip: number) => boolean;
}

export interface UdpDatagram {
  src: number;
  srcPort: number;
  dst: number;
  dstPort: number;
  /** The source MAC of the frame it came in. */
  srcMac: Uint8Array;
  data: Uint8Array;
}

type UdpHandler = (d: UdpDatagram) => void;

export class NetInterface {
  readonly mac: Uint8Array;
  readonly ip: number;
  readonly prefix: number;
  readonly mask: number;
  readonly tcp: TcpStack;
  readonly stats: NetInterfaceStats = {
    framesIn: 0, framesOut: 0, bad: 0, arpReplies: 0, arpDropped: 0, udpIn: 0, udpBad: 0, udpNoPort: 0, echoAnswered: 0, fragments: 0,
  };
  private readonly link: NetLink;
  private readonly arp = new Map<number, Uint8Array>();
  private readonly waiting = new Map<number, { packets: Uint8Array[]; tries: number; next: number }>();
  private readonly udp = new Map<number, UdpHandler>();
  private ident = 0;

  constructor(backend: NetBackend, private readonly options: NetInterfaceOptions) {
    this.mac = options.mac.slice(0, MAC_LEN);
    this.ip = parseIpv4(options.ip);
    if (!(options.prefix >= 1 && options.prefix <= 30)) throw new RangeError(`prefix /${options.prefix} is not 1..30`);
    this.prefix = options.prefix;
    this.mask = (0xffffffff << (32 - options.prefix)) >>> 0;
    this.tcp = new TcpStack({ now: options.now, output: (src, dst, seg) => this.sendIp(src, dst, IP_PROTO_TCP, seg) });
    this.link = backend.attach({ mac: this.mac, receive: (frame) => this.receive(frame) });
  }

  now(): number {
    return this.options.now();
  }

  /** True for an address this interface answers for. */
  owns(ip: number): boolean {
    return ip === this.ip || (this.options.alsoOwns?.(ip) ?? false);
  }

  /** Opens a TCP connection to ip:port (see TcpStream for the stream's calls). */
  connect(ip: string | number, port: number): TcpStream {
    return this.tcp.connect(this.ip, typeof ip === "string" ? parseIpv4(ip) : ip, port);
  }

  /** Accepts TCP connections to port (on any address this interface owns). */
  listen(port: number, onAccept: (s: TcpStream) => void): { close(): void } {
    return this.tcp.listen(port, onAccept);
  }

  /** Delivers UDP datagrams for port to handler. */
  bindUdp(port: number, handler: UdpHandler): { close(): void } {
    if (this.udp.has(port)) throw new Error(`UDP port ${port} is already bound`);
    this.udp.set(port, handler);
    return { close: () => { this.udp.delete(port); } };
  }

  /** Sends a UDP datagram; `mac` sends it to that MAC without ARP (DHCP
   *  answers a client that has no address yet), `src` from another of our addresses. */
  sendUdp(d: { src?: number; srcPort: number; dst: number; dstPort: number; data: Uint8Array; mac?: Uint8Array }): void {
    const src = d.src ?? this.ip;
    const u = new Uint8Array(UDP_HEADER_LEN + d.data.length);
    const v = new DataView(u.buffer);
    v.setUint16(0, d.srcPort);
    v.setUint16(2, d.dstPort);
    v.setUint16(4, u.length);
    u.set(d.data, UDP_HEADER_LEN);
    const sum = l4Checksum(src, d.dst, IP_PROTO_UDP, u);
    v.setUint16(6, sum === 0 ? 0xffff : sum);
    this.sendIp(src, d.dst, IP_PROTO_UDP, u, d.mac);
  }

  /** Runs the timers: TCP retransmission and TIME_WAIT, ARP retries. */
  tick(): void {
    const now = this.now();
    this.tcp.tick();
    for (const [ip, w] of this.waiting) {
      if (now < w.next) continue;
      if (++w.tries > ARP_TRIES) {
        this.stats.arpDropped += w.packets.length;
        this.waiting.delete(ip);
        continue;
      }
      w.next = now + ARP_RETRY_NS;
      this.sendArp(1, BROADCAST_MAC, ip, new Uint8Array(6), this.ip);
    }
  }

  /** The MAC learnt for ip (ARP), if any. */
  macOf(ip: number): Uint8Array | undefined {
    return this.arp.get(ip);
  }

  detach(): void {
    this.link.detach();
  }

  // ---- sending ----

  /** Sends an IPv4 packet: to `mac` if given, broadcast for 255.255.255.255,
   *  else to dst's MAC (after ARP if it is not known yet). */
  sendIp(src: number, dst: number, proto: number, payload: Uint8Array, mac?: Uint8Array): void {
    const frame = new Uint8Array(ETH_HEADER_LEN + IP_HEADER_LEN + payload.length);
    if (frame.length > ETH_MAX_FRAME) return; // nothing we build is this big
    frame.set(this.mac, 6);
    frame[12] = ETHERTYPE_IPV4 >> 8;
    frame[13] = ETHERTYPE_IPV4 & 0xff;
    const ip = frame.subarray(ETH_HEADER_LEN, ETH_HEADER_LEN + IP_HEADER_LEN);
    const v = new DataView(ip.buffer, ip.byteOffset, IP_HEADER_LEN);
    ip[0] = 0x45;
    v.setUint16(2, IP_HEADER_LEN + payload.length);
    v.setUint16(4, ++this.ident & 0xffff);
    ip[8] = 64;
    ip[9] = proto;
    v.setUint32(12, src >>> 0);
    v.setUint32(16, dst >>> 0);
    v.setUint16(10, internetChecksum(ip));
    frame.set(payload, ETH_HEADER_LEN + IP_HEADER_LEN);
    const to = mac ?? (dst === IP_BROADCAST ? BROADCAST_MAC : this.arp.get(dst));
    if (to) {
      frame.set(to, 0);
      this.transmit(frame);
      return;
    }
    let w = this.waiting.get(dst);
    if (!w) {
      w = { packets: [], tries: 1, next: this.now() + ARP_RETRY_NS };
      this.waiting.set(dst, w);
      this.sendArp(1, BROADCAST_MAC, dst, new Uint8Array(6), this.ip);
    }
    if (w.packets.length >= ARP_PENDING_LIMIT) { w.packets.shift(); this.stats.arpDropped++; }
    w.packets.push(frame);
  }

  private transmit(frame: Uint8Array): void {
    this.stats.framesOut++;
    if (frame.length < 60) {
      const padded = new Uint8Array(60);
      padded.set(frame);
      frame = padded;
    }
    this.link.transmit(frame);
  }

  private sendArp(op: number, toMac: Uint8Array, targetIp: number, targetMac: Uint8Array, senderIp: number): void {
    const f = new Uint8Array(ETH_HEADER_LEN + ARP_LEN);
    f.set(toMac, 0);
    f.set(this.mac, 6);
    f[12] = ETHERTYPE_ARP >> 8;
    f[13] = ETHERTYPE_ARP & 0xff;
    const v = new DataView(f.buffer, ETH_HEADER_LEN);
    v.setUint16(0, 1);
    v.setUint16(2, ETHERTYPE_IPV4);
    f[ETH_HEADER_LEN + 4] = 6;
    f[ETH_HEADER_LEN + 5] = 4;
    v.setUint16(6, op);
    f.set(this.mac, ETH_HEADER_LEN + 8);
    v.setUint32(14, senderIp >>> 0);
    f.set(targetMac, ETH_HEADER_LEN + 18);
    v.setUint32(24, targetIp >>> 0);
    this.transmit(f);
  }

  // ---- receiving ----

  private receive(frame: Uint8Array): void {
    this.stats.framesIn++;
    if (frame.length < ETH_HEADER_LEN) { this.stats.bad++; return; }
    const forUs = frame.subarray(0, 6).every((b, i) => b === this.mac[i]);
    const broadcast = frame.subarray(0, 6).every((b) => b === 0xff);
    if (!forUs && !broadcast) return; // flooded to us: somebody else's
    const type = (frame[12]! << 8) | frame[13]!;
    const body = frame.subarray(ETH_HEADER_LEN);
    if (type === ETHERTYPE_ARP) this.arpInput(body);
    else if (type === ETHERTYPE_IPV4) this.ipInput(body, frame.subarray(6, 12));
    else this.stats.bad++;
  }

  private learn(ip: number, mac: Uint8Array): void {
    if (ip === 0 || (mac[0]! & 1)) return;
    this.arp.delete(ip);
    this.arp.set(ip, mac.slice());
    if (this.arp.size > ARP_CACHE_LIMIT) this.arp.delete(this.arp.keys().next().value!);
    const w = this.waiting.get(ip);
    if (!w) return;
    this.waiting.delete(ip);
    for (const f of w.packets) {
      f.set(mac, 0);
      this.transmit(f);
    }
  }

  private arpInput(a: Uint8Array): void {
    if (a.length < ARP_LEN) { this.stats.bad++; return; }
    const v = new DataView(a.buffer, a.byteOffset, a.byteLength);
    if (v.getUint16(0) !== 1 || v.getUint16(2) !== ETHERTYPE_IPV4 || a[4] !== 6 || a[5] !== 4) { this.stats.bad++; return; }
    const op = v.getUint16(6);
    const senderMac = a.slice(8, 14), sender = v.getUint32(14), target = v.getUint32(24);
    if (this.waiting.has(sender) || this.arp.has(sender) || this.owns(target)) this.learn(sender, senderMac);
    if (op === 1 && this.owns(target) && sender !== target) {
      this.stats.arpReplies++;
      this.sendArp(2, senderMac, sender, senderMac, target);
    }
  }

  private ipInput(p: Uint8Array, srcMac: Uint8Array): void {
    if (p.length < IP_HEADER_LEN || p[0]! >> 4 !== 4) { this.stats.bad++; return; }
    const hlen = (p[0]! & 15) * 4;
    const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
    const total = v.getUint16(2);
    if (hlen < IP_HEADER_LEN || total < hlen || total > p.length || internetChecksum(p.subarray(0, hlen)) !== 0) {
      this.stats.bad++;
      return;
    }
    if (v.getUint16(6) & 0x3fff) { this.stats.fragments++; return; }
    const src = v.getUint32(12), dst = v.getUint32(16);
    const payload = p.subarray(hlen, total);
    const proto = p[9]!;
    if (proto === IP_PROTO_UDP && (dst === IP_BROADCAST || this.owns(dst))) { this.udpInput(src, dst, payload, srcMac); return; }
    if (!this.owns(dst)) { this.stats.bad++; return; }
    if (proto === IP_PROTO_TCP) this.tcp.input(src, dst, payload.slice());
    else if (proto === IP_PROTO_ICMP) this.icmpInput(src, dst, payload);
    else this.stats.bad++;
  }

  private icmpInput(src: number, dst: number, icmp: Uint8Array): void {
    if (icmp.length < 8 || internetChecksum(icmp) !== 0) { this.stats.bad++; return; }
    if (icmp[0] !== 8) return; // only echo requests are answered
    const reply = icmp.slice();
    reply[0] = 0;
    reply[2] = reply[3] = 0;
    const sum = internetChecksum(reply);
    reply[2] = sum >> 8;
    reply[3] = sum & 0xff;
    this.stats.echoAnswered++;
    this.sendIp(dst, src, IP_PROTO_ICMP, reply);
  }

  private udpInput(src: number, dst: number, u: Uint8Array, srcMac: Uint8Array): void {
    if (u.length < UDP_HEADER_LEN) { this.stats.udpBad++; return; }
    const v = new DataView(u.buffer, u.byteOffset, u.byteLength);
    const len = v.getUint16(4);
    if (len < UDP_HEADER_LEN || len > u.length) { this.stats.udpBad++; return; }
    const datagram = u.subarray(0, len);
    if (v.getUint16(6) !== 0 && l4Checksum(src, dst, IP_PROTO_UDP, datagram) !== 0) { this.stats.udpBad++; return; }
    const handler = this.udp.get(v.getUint16(2));
    if (!handler) { this.stats.udpNoPort++; return; }
    this.stats.udpIn++;
    handler({ src, srcPort: v.getUint16(0), dst, dstPort: v.getUint16(2), srcMac: srcMac.slice(), data: datagram.slice(UDP_HEADER_LEN) });
  }
}

export { formatIpv4, internetChecksum, parseIpv4 };
