// The gateway: a host on the virtual switch (a NetInterface) that serves the
// network's machines. It answers ARP for its address and for the addresses
// it gives outside names, runs a DHCP server (a pool of addresses, leases by
// MAC, the options router, DNS server, subnet mask, lease time, T1/T2), a
// DNS server (A records: the machines by the hostname their DHCP client
// sent, and any other name gets an address from the gateway's own range,
// which it maps back to the name) and carries outbound HTTP: a TCP
// connection to port 80 of such an address is terminated here, the HTTP/1.1
// request parsed and performed with `fetch` (Node's in Node; the page's in a
// browser, where CORS applies: a site that does not allow the page's origin
// answers nothing readable, which the guest sees as a 502), and the response
// written back with Content-Length and Connection: close.
//
// Like netif, it runs when the switch pumps and when its owner calls
// tick(); bad packets are counted in `stats` and dropped, never thrown.
//
// Addresses (the defaults): gateway, DHCP and DNS server 10.0.2.2/24; leases
// from 10.0.2.15 to 10.0.2.127; outside names from 10.0.2.128 to 10.0.2.254.

import type { NetBackend } from "./backend.js";
import { NetInterface } from "./netif.js";
import { formatIpv4, parseIpv4, type TcpStream } from "./tcp.js";
import {
  BOOTREPLY, BOOTREQUEST, decodeDhcp, DHCP_BROADCAST_FLAG, DHCP_CLIENT_PORT, DHCP_SERVER_PORT, DHCPACK, DHCPDISCOVER,
  DHCPNAK, DHCPOFFER, DHCPRELEASE, DHCPREQUEST, encodeDhcp, OPT_DNS, OPT_DOMAIN, OPT_HOSTNAME, OPT_LEASE_TIME,
  OPT_MESSAGE_TYPE, OPT_REQUESTED_IP, OPT_ROUTER, OPT_SERVER_ID, OPT_SUBNET_MASK, OPT_T1, OPT_T2, readU32Option,
  u32Option, type DhcpMessage,
} from "./dhcp.js";
import {
  decodeDnsQuery, DNS_CLASS_IN, DNS_PORT, DNS_RCODE_NOTIMP, DNS_RCODE_NXDOMAIN, DNS_RCODE_OK, DNS_TYPE_A, encodeDnsAnswer,
} from "./dns.js";

export const GATEWAY_MAC = Uint8Array.of(0x02, 0x00, 0x00, 0x00, 0x02, 0x02);
/** The domain machines' names live in ("alpha" and "alpha.keel" both resolve). */
export const GATEWAY_DOMAIN = "keel";
export const HTTP_PORT = 80;
/** The largest request head the gateway reads (bytes up to the blank line). */
export const HTTP_MAX_HEAD = 16384;
/** The largest request body it carries. */
export const HTTP_MAX_BODY = 1 << 20;

export interface GatewayOptions {
  mac?: Uint8Array;
  /** The gateway's address (router, DHCP and DNS server). */
  ip?: string;
  prefix?: number;
  /** The DHCP pool, inclusive. */
  poolStart?: string;
  poolEnd?: string;
  /** Addresses handed to outside names, inclusive. */
  mappedStart?: string;
  mappedEnd?: string;
  leaseSeconds?: number;
  /** Nanoseconds of the clock that drives leases and TCP timers (a machine's virtual clock). */
  now(): number;
  /** Performs a request (default: globalThis.fetch). */
  fetch?: typeof fetch;
  /** Outside names the gateway fetches somewhere else: "web.test" → "127.0.0.1:8080". */
  hosts?: Record<string, string>;
  /** The scheme of the URLs it fetches (default "http"): the page's gateway uses "https"
   *  on an https page, where the browser blocks http fetches as mixed content. */
  scheme?: "http" | "https";
}

export interface GatewayStats {
  dhcpBad: number;
  dhcpOffers: number;
  dhcpAcks: number;
  dhcpNaks: number;
  dnsBad: number;
  dnsAnswers: number;
  httpRequests: number;
  /** Requests answered 502 (the fetch failed) or 400 (a request the gateway could not parse). */
  httpErrors: number;
}

export interface Lease {
  ip: number;
  mac: string;
  hostname: string;
  /** Virtual time (ns) it ends. */
  expires: number;
  /** Offered only (no REQUEST yet). */
  offered: boolean;
}

export class Gateway {
  readonly nif: NetInterface;
  readonly ip: number;
  readonly stats: GatewayStats = { dhcpBad: 0, dhcpOffers: 0, dhcpAcks: 0, dhcpNaks: 0, dnsBad: 0, dnsAnswers: 0, httpRequests: 0, httpErrors: 0 };
  private readonly leases = new Map<string, Lease>(); // by MAC
  private readonly mappedByName = new Map<string, number>();
  private readonly nameByMapped = new Map<number, string>();
  private readonly poolStart: number;
  private readonly poolEnd: number;
  private readonly mappedStart: number;
  private readonly mappedEnd: number;
  private nextMapped: number;
  private readonly leaseSeconds: number;
  private readonly fetcher: typeof fetch;
  /** Requests in flight (tests wait for them). */
  private inFlight = new Set<Promise<void>>();

  constructor(backend: NetBackend, private readonly options: GatewayOptions) {
    const ip = options.ip ?? "10.0.2.2";
    const prefix = options.prefix ?? 24;
    this.ip = parseIpv4(ip);
    this.poolStart = parseIpv4(options.poolStart ?? "10.0.2.15");
    this.poolEnd = parseIpv4(options.poolEnd ?? "10.0.2.127");
    this.mappedStart = parseIpv4(options.mappedStart ?? "10.0.2.128");
    this.mappedEnd = parseIpv4(options.mappedEnd ?? "10.0.2.254");
    this.nextMapped = this.mappedStart;
    this.leaseSeconds = options.leaseSeconds ?? 3600;
    this.fetcher = options.fetch ?? ((...args) => globalThis.fetch(...args));
    this.nif = new NetInterface(backend, {
      mac: options.mac ?? GATEWAY_MAC, ip, prefix, now: options.now,
      alsoOwns: (a) => this.nameByMapped.has(a),
    });
    this.nif.bindUdp(DHCP_SERVER_PORT, (d) => this.dhcpInput(d.data, d.srcMac));
    this.nif.bindUdp(DNS_PORT, (d) => this.dnsInput(d.src, d.srcPort, d.data));
    this.nif.listen(HTTP_PORT, (s) => this.httpAccept(s));
  }

  /** Timers (TCP, ARP). Call whenever the clock moves (at every switch pump). */
  tick(): void {
    this.nif.tick();
  }

  /** The leases, granted and offered. */
  leaseList(): Lease[] {
    return [...this.leases.values()].map((l) => ({ ...l }));
  }

  /** Resolves like the DNS server: a machine's lease, else an outside name's mapped address. */
  resolve(name: string): number | null {
    name = name.toLowerCase().replace(/\.$/, "");
    const machine = name.endsWith(`.${GATEWAY_DOMAIN}`) ? name.slice(0, -GATEWAY_DOMAIN.length - 1) : name;
    const now = this.options.now();
    for (const l of this.leases.values()) if (!l.offered && l.expires > now && l.hostname === machine) return l.ip;
    if (machine !== name || !name.includes(".") || name.length > 253) return null; // a machine that is not here
    let a = this.mappedByName.get(name);
    if (a === undefined) {
      a = this.nextMapped;
      this.nextMapped = a >= this.mappedEnd ? this.mappedStart : a + 1;
      const old = this.nameByMapped.get(a);
      if (old !== undefined) this.mappedByName.delete(old); // the range wrapped: the oldest name gives way
      this.mappedByName.set(name, a);
      this.nameByMapped.set(a, name);
    }
    return a;
  }

  /** Resolves when every HTTP request started so far has been answered. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  // ---- DHCP ----

  private dhcpInput(data: Uint8Array, srcMac: Uint8Array): void {
    const m = decodeDhcp(data);
    if (typeof m === "string" || m.op !== BOOTREQUEST) { this.stats.dhcpBad++; return; }
    const type = m.options.get(OPT_MESSAGE_TYPE)?.[0];
    const mac = [...m.chaddr].map((b) => b.toString(16).padStart(2, "0")).join(":");
    const hostnameBytes = m.options.get(OPT_HOSTNAME);
    const hostname = hostnameBytes ? sanitizeHostname(new TextDecoder().decode(hostnameBytes)) : "";
    const now = this.options.now();
    if (type === DHCPDISCOVER) {
      const ip = this.pick(mac, readU32Option(m.options.get(OPT_REQUESTED_IP)), now);
      if (ip === null) { this.stats.dhcpBad++; return; } // the pool is empty: the client retries
      const lease = this.leases.get(mac);
      if (!lease || lease.ip !== ip) this.leases.set(mac, { ip, mac, hostname, expires: now + 60e9, offered: true });
      this.stats.dhcpOffers++;
      this.reply(m, DHCPOFFER, ip, srcMac);
    } else if (type === DHCPREQUEST) {
      const requested = readU32Option(m.options.get(OPT_REQUESTED_IP)) ?? m.ciaddr;
      const server = readU32Option(m.options.get(OPT_SERVER_ID));
      if (server !== undefined && server !== this.ip) { this.leases.delete(mac); return; } // it chose another server
      const lease = this.leases.get(mac);
      if (!lease || lease.ip !== requested || (lease.offered && lease.expires <= now && server === undefined)) {
        this.stats.dhcpNaks++;
        this.reply(m, DHCPNAK, 0, srcMac);
        return;
      }
      lease.offered = false;
      lease.expires = now + this.leaseSeconds * 1e9;
      if (hostname) lease.hostname = hostname;
      this.stats.dhcpAcks++;
      this.reply(m, DHCPACK, lease.ip, srcMac);
    } else if (type === DHCPRELEASE) {
      const lease = this.leases.get(mac);
      if (lease && lease.ip === m.ciaddr) this.leases.delete(mac);
    } else {
      this.stats.dhcpBad++;
    }
  }

  /** The address for mac: its lease, the one it asked for if free, else the first free one. */
  private pick(mac: string, requested: number | undefined, now: number): number | null {
    const lease = this.leases.get(mac);
    if (lease && lease.expires > now - 1) return lease.ip;
    const taken = new Set<number>();
    for (const l of this.leases.values()) if (l.expires > now && l.mac !== mac) taken.add(l.ip);
    if (requested !== undefined && requested >= this.poolStart && requested <= this.poolEnd && !taken.has(requested)) return requested;
    for (let a = this.poolStart; a <= this.poolEnd; a++) if (!taken.has(a)) return a;
    return null;
  }

  private reply(m: DhcpMessage, type: number, yiaddr: number, srcMac: Uint8Array): void {
    const options = new Map<number, Uint8Array>([[OPT_MESSAGE_TYPE, Uint8Array.of(type)], [OPT_SERVER_ID, u32Option(this.ip)]]);
    if (type !== DHCPNAK) {
      options.set(OPT_LEASE_TIME, u32Option(this.leaseSeconds));
      options.set(OPT_T1, u32Option(Math.floor(this.leaseSeconds / 2)));
      options.set(OPT_T2, u32Option(Math.floor(this.leaseSeconds * 7 / 8)));
      options.set(OPT_SUBNET_MASK, u32Option(this.nif.mask));
      options.set(OPT_ROUTER, u32Option(this.ip));
      options.set(OPT_DNS, u32Option(this.ip));
      options.set(OPT_DOMAIN, new TextEncoder().encode(GATEWAY_DOMAIN));
    }
    const out = encodeDhcp({
      op: BOOTREPLY, xid: m.xid, secs: 0, flags: m.flags, ciaddr: m.ciaddr, yiaddr, siaddr: this.ip, giaddr: 0, chaddr: m.chaddr, options,
    });
    // RFC 2131 4.1: broadcast if the client asked to or has no address to be reached at; else to its MAC.
    const broadcast = type === DHCPNAK || (m.flags & DHCP_BROADCAST_FLAG) !== 0;
    const dst = broadcast ? 0xffffffff : (m.ciaddr || yiaddr);
    this.nif.sendUdp({ srcPort: DHCP_SERVER_PORT, dst, dstPort: DHCP_CLIENT_PORT, data: out, mac: broadcast ? undefined : srcMac });
  }

  // ---- DNS ----

  private dnsInput(src: number, srcPort: number, data: Uint8Array): void {
    const q = decodeDnsQuery(data);
    if (typeof q === "string") { this.stats.dnsBad++; return; }
    let rcode = DNS_RCODE_OK;
    const addresses: number[] = [];
    if ((q.flags >> 11) & 15) rcode = DNS_RCODE_NOTIMP; // only standard queries
    else if (q.class !== DNS_CLASS_IN) rcode = DNS_RCODE_NXDOMAIN;
    else {
      const a = this.resolve(q.name);
      if (a === null) rcode = DNS_RCODE_NXDOMAIN;
      else if (q.type === DNS_TYPE_A) addresses.push(a);
      // another type of a name that exists: no records, no error
    }
    this.stats.dnsAnswers++;
    this.nif.sendUdp({ srcPort: DNS_PORT, dst: src, dstPort: srcPort, data: encodeDnsAnswer(q, rcode, addresses) });
  }

  // ---- HTTP ----

  private httpAccept(s: TcpStream): void {
    const name = this.nameByMapped.get(s.localIp);
    if (name === undefined) { s.abort(); return; } // port 80 of the gateway itself: nothing serves it
    let buffered = new Uint8Array(0);
    let started = false;
    s.onData((chunk) => {
      if (started) return;
      const joined = new Uint8Array(buffered.length + chunk.length);
      joined.set(buffered);
      joined.set(chunk, buffered.length);
      buffered = joined;
      const request = parseHttpRequest(buffered);
      if (request === null) return; // more to come
      started = true;
      const done = this.perform(s, name, request).finally(() => this.inFlight.delete(done));
      this.inFlight.add(done);
    });
    s.onEnd(() => {
      if (!started) { started = true; this.respondError(s, 400, "the request ended before its head did"); }
    });
  }

  private async perform(s: TcpStream, name: string, request: HttpRequest | string): Promise<void> {
    this.stats.httpRequests++;
    if (typeof request === "string") { this.respondError(s, 400, request); return; }
    const host = this.options.hosts?.[name] ?? name;
    const url = `${this.options.scheme ?? "http"}://${host}${request.target.startsWith("/") ? request.target : `/${request.target}`}`;
    const headers = new Headers();
    for (const [k, v] of request.headers) {
      if (!/^(host|connection|keep-alive|proxy-connection|transfer-encoding|content-length|upgrade)$/i.test(k)) {
        try { headers.append(k, v); } catch { /* a header fetch refuses: left out */ }
      }
    }
    try {
      const response = await this.fetcher(url, {
        method: request.method, headers, redirect: "manual",
        body: request.method === "GET" || request.method === "HEAD" ? undefined : request.body,
      });
      const body = new Uint8Array(await response.arrayBuffer());
      let head = `HTTP/1.1 ${response.status} ${response.statusText || "OK"}\r\n`;
      response.headers.forEach((value, key) => {
        // fetch has already undone the transfer and content encodings
        if (!/^(connection|keep-alive|transfer-encoding|content-length|content-encoding)$/i.test(key)) head += `${key}: ${value}\r\n`;
      });
      head += `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
      this.send(s, head, request.method === "HEAD" ? new Uint8Array(0) : body);
    } catch (error) {
      const reason = error instanceof Error ? (error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message) : String(error);
      this.respondError(s, 502, `the gateway could not fetch ${url}: ${reason}`);
    }
  }

  private respondError(s: TcpStream, status: number, reason: string): void {
    this.stats.httpErrors++;
    const body = new TextEncoder().encode(`${reason}\n`);
    const text = status === 400 ? "Bad Request" : "Bad Gateway";
    this.send(s, `HTTP/1.1 ${status} ${text}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`, body);
  }

  private send(s: TcpStream, head: string, body: Uint8Array): void {
    if (s.state !== "ESTABLISHED" && s.state !== "CLOSE_WAIT") return; // the guest went away
    s.write(head);
    if (body.length) s.write(body);
    s.close();
  }
}

export interface HttpRequest {
  method: string;
  target: string;
  headers: [string, string][];
  body: Uint8Array<ArrayBuffer>;
}

/** Parses an HTTP/1.1 request from its first bytes: null while the head
 *  (or a Content-Length body) is incomplete, a string for a bad request. */
export function parseHttpRequest(bytes: Uint8Array): HttpRequest | string | null {
  let end = -1;
  for (let i = 0; i + 3 < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) { end = i; break; }
  }
  if (end < 0) return bytes.length > HTTP_MAX_HEAD ? "the request head is longer than 16 KiB" : null;
  const lines = new TextDecoder("latin1").decode(bytes.subarray(0, end)).split("\r\n");
  const m = /^([A-Z]+) (\S+) HTTP\/1\.[01]$/.exec(lines[0]!);
  if (!m) return `not an HTTP/1.x request line: ${JSON.stringify(lines[0]!.slice(0, 80))}`;
  const headers: [string, string][] = [];
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon <= 0) return `not a header line: ${JSON.stringify(line.slice(0, 80))}`;
    headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  const lengthHeader = headers.find(([k]) => k.toLowerCase() === "content-length")?.[1];
  if (headers.some(([k, v]) => k.toLowerCase() === "transfer-encoding" && v.toLowerCase() !== "identity")) {
    return "chunked request bodies are not carried";
  }
  const length = lengthHeader === undefined ? 0 : Number(lengthHeader);
  if (!Number.isInteger(length) || length < 0 || length > HTTP_MAX_BODY) return `bad Content-Length ${JSON.stringify(lengthHeader)}`;
  if (bytes.length < end + 4 + length) return null;
  return { method: m[1]!, target: m[2]!, headers, body: bytes.slice(end + 4, end + 4 + length) };
}

/** A DHCP hostname as a DNS label: lower case letters, digits and '-', at most 63. */
function sanitizeHostname(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9-]/g, "").slice(0, 63);
}

export { formatIpv4 };
