// The gateway (host/net/gateway.ts): its DHCP and DNS codecs against
// malformed input, its DHCP and DNS servers answering a host-side client on
// the switch, and outbound HTTP: a Keel machine's wget reaches a Node http
// server on 127.0.0.1 through the gateway, byte for byte.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { shippedDisk } from "../testing/disk.js";
import { MachineHarness, userlandModules } from "../testing/machine-harness.js";
import { VirtualSwitch } from "./switch.js";
import { NetInterface } from "./netif.js";
import { Gateway, parseHttpRequest } from "./gateway.js";
import { formatIpv4, parseIpv4 } from "./tcp.js";
import {
  BOOTREQUEST, decodeDhcp, DHCP_BROADCAST_FLAG, DHCP_CLIENT_PORT, DHCP_SERVER_PORT, DHCPACK, DHCPDISCOVER, DHCPNAK, DHCPOFFER,
  DHCPREQUEST, encodeDhcp, OPT_DNS, OPT_HOSTNAME, OPT_LEASE_TIME, OPT_MESSAGE_TYPE, OPT_REQUESTED_IP, OPT_ROUTER, OPT_SERVER_ID,
  OPT_SUBNET_MASK, readU32Option, u32Option, type DhcpMessage,
} from "./dhcp.js";
import { decodeDnsAnswer, decodeDnsQuery, DNS_PORT, DNS_RCODE_NXDOMAIN, encodeDnsAnswer, encodeDnsQuery } from "./dns.js";

describe("DHCP and DNS codecs", () => {
  const discover: DhcpMessage = {
    op: BOOTREQUEST, xid: 0x12345678, secs: 0, flags: DHCP_BROADCAST_FLAG, ciaddr: 0, yiaddr: 0, siaddr: 0, giaddr: 0,
    chaddr: Uint8Array.of(2, 0, 0, 0, 0, 0x0a),
    options: new Map([[OPT_MESSAGE_TYPE, Uint8Array.of(DHCPDISCOVER)], [OPT_HOSTNAME, new TextEncoder().encode("alpha")]]),
  };

  it("a DHCP message survives encoding and decoding", () => {
    expect(decodeDhcp(encodeDhcp(discover))).toEqual(discover);
  });

  it("every truncation of a DHCP message and random bytes are refused with a reason, never thrown", () => {
    const bytes = encodeDhcp(discover);
    for (let n = 0; n < 248; n++) expect(typeof decodeDhcp(bytes.subarray(0, n))).toBe("string");
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), fc.integer({ min: 0, max: 300 }), fc.uint8Array({ minLength: 1, maxLength: 8 }), (random, at, patch) => {
      expect(typeof decodeDhcp(random)).toBe("string"); // random bytes never carry the magic cookie at 236 with htype 1
      const damaged = bytes.slice();
      damaged.set(patch.subarray(0, Math.max(0, damaged.length - at)), Math.min(at, damaged.length));
      const r = decodeDhcp(damaged);
      expect(typeof r === "string" || r.xid >= 0).toBe(true);
    }));
  });

  it("a DNS query round-trips, truncations and loops are refused, random bytes never throw", () => {
    const q = decodeDnsQuery(encodeDnsQuery(7, "Example.COM"));
    expect(q).toMatchObject({ id: 7, name: "example.com", type: 1, class: 1 });
    const bytes = encodeDnsQuery(7, "example.com");
    for (let n = 0; n < bytes.length; n++) expect(typeof decodeDnsQuery(bytes.subarray(0, n))).toBe("string");
    const loop = Uint8Array.of(0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1);
    expect(decodeDnsQuery(loop)).toBe("compression pointer does not point back");
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (random) => {
      const r = decodeDnsQuery(random);
      if (typeof r !== "string") expect(decodeDnsAnswer(encodeDnsAnswer(r, 0, [0x0a000280]))).toMatchObject({ id: r.id, addresses: [0x0a000280] });
      expect(typeof decodeDnsAnswer(random) === "string" || true).toBe(true);
    }));
  });

  it("HTTP request heads: complete, incomplete, and bad", () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    expect(parseHttpRequest(enc("GET /a HTTP/1.1\r\nHost: x\r\n"))).toBeNull();
    expect(parseHttpRequest(enc("GET /a HTTP/1.1\r\nHost: x\r\n\r\n"))).toMatchObject({ method: "GET", target: "/a", headers: [["Host", "x"]] });
    expect(parseHttpRequest(enc("POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nab"))).toBeNull();
    expect(parseHttpRequest(enc("POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"))).toMatchObject({ body: enc("abc") });
    expect(parseHttpRequest(enc("hello\r\n\r\n"))).toMatch(/not an HTTP/);
    expect(parseHttpRequest(enc("GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"))).toMatch(/Content-Length/);
  });
});

/** A host-side DHCP/DNS client on the switch (address 0.0.0.0 until it has one). */
function client(sw: VirtualSwitch, mac: Uint8Array, now: () => number) {
  const me = { ip: 0 }; // the leased address, once there is one
  const nif = new NetInterface(sw, { mac, ip: "0.0.0.0", prefix: 24, now, alsoOwns: (ip) => ip === me.ip || me.ip === 0 });
  const got: DhcpMessage[] = [];
  const dns: Uint8Array[] = [];
  nif.bindUdp(DHCP_CLIENT_PORT, (d) => { const m = decodeDhcp(d.data); if (typeof m !== "string") got.push(m); });
  nif.bindUdp(5353, (d) => dns.push(d.data));
  const dhcp = (type: number, options: [number, Uint8Array][] = []) => nif.sendUdp({
    src: 0, srcPort: DHCP_CLIENT_PORT, dst: 0xffffffff, dstPort: DHCP_SERVER_PORT,
    data: encodeDhcp({ op: BOOTREQUEST, xid: 99, secs: 0, flags: 0, ciaddr: 0, yiaddr: 0, siaddr: 0, giaddr: 0, chaddr: mac,
      options: new Map([[OPT_MESSAGE_TYPE, Uint8Array.of(type)], ...options]) }),
  });
  return { nif, got, dns, dhcp, me };
}

describe("the gateway's DHCP and DNS servers", () => {
  it("leases an address with router, DNS, mask and lease time; names resolve; bad packets are counted", () => {
    const sw = new VirtualSwitch();
    const now = () => 0;
    const gw = new Gateway(sw, { now });
    const a = client(sw, Uint8Array.of(2, 0, 0, 0, 0, 0x0a), now);
    const b = client(sw, Uint8Array.of(2, 0, 0, 0, 0, 0x0b), now);
    const host = (name: string): [number, Uint8Array] => [OPT_HOSTNAME, new TextEncoder().encode(name)];
    a.dhcp(DHCPDISCOVER, [host("alpha")]);
    sw.pump(); sw.pump();
    expect(a.got.map((m) => m.options.get(OPT_MESSAGE_TYPE)![0])).toEqual([DHCPOFFER]);
    const offer = a.got[0]!;
    expect(formatIpv4(offer.yiaddr)).toBe("10.0.2.15");
    expect(formatIpv4(readU32Option(offer.options.get(OPT_ROUTER))!)).toBe("10.0.2.2");
    expect(formatIpv4(readU32Option(offer.options.get(OPT_DNS))!)).toBe("10.0.2.2");
    expect(formatIpv4(readU32Option(offer.options.get(OPT_SUBNET_MASK))!)).toBe("255.255.255.0");
    expect(readU32Option(offer.options.get(OPT_LEASE_TIME))).toBe(3600);
    a.dhcp(DHCPREQUEST, [[OPT_REQUESTED_IP, u32Option(offer.yiaddr)], [OPT_SERVER_ID, u32Option(gw.ip)], host("alpha")]);
    b.dhcp(DHCPDISCOVER, [host("beta")]);
    sw.pump(); sw.pump();
    expect(a.got[1]!.options.get(OPT_MESSAGE_TYPE)![0]).toBe(DHCPACK);
    expect(formatIpv4(b.got[0]!.yiaddr)).toBe("10.0.2.16"); // alpha's address is taken
    a.me.ip = parseIpv4("10.0.2.15");
    b.me.ip = parseIpv4("10.0.2.16");
    b.dhcp(DHCPREQUEST, [[OPT_REQUESTED_IP, u32Option(parseIpv4("10.0.2.15"))]]); // somebody else's
    sw.pump(); sw.pump();
    expect(b.got[1]!.options.get(OPT_MESSAGE_TYPE)![0]).toBe(DHCPNAK);
    expect(gw.leaseList().filter((l) => !l.offered).map((l) => l.hostname)).toEqual(["alpha"]);

    // DNS: a machine by name, an outside name mapped, an unknown machine name refused.
    const ask = (id: number, name: string) => b.nif.sendUdp({ src: parseIpv4("10.0.2.16"), srcPort: 5353, dst: gw.ip, dstPort: DNS_PORT, data: encodeDnsQuery(id, name) });
    ask(1, "alpha"); ask(2, "alpha.keel"); ask(3, "example.com"); ask(4, "gamma");
    for (let i = 0; i < 5; i++) sw.pump(); // the query, ARP for the asker both ways, the answers
    const answers = b.dns.map((d) => decodeDnsAnswer(d));
    expect(answers).toEqual([
      { id: 1, rcode: 0, addresses: [parseIpv4("10.0.2.15")] },
      { id: 2, rcode: 0, addresses: [parseIpv4("10.0.2.15")] },
      { id: 3, rcode: 0, addresses: [parseIpv4("10.0.2.128")] },
      { id: 4, rcode: DNS_RCODE_NXDOMAIN, addresses: [] },
    ]);

    // Malformed DHCP and DNS: counted, nothing answered, nothing thrown.
    const before = b.dns.length;
    b.nif.sendUdp({ src: 0, srcPort: DHCP_CLIENT_PORT, dst: 0xffffffff, dstPort: DHCP_SERVER_PORT, data: Uint8Array.of(1, 2, 3) });
    b.nif.sendUdp({ src: parseIpv4("10.0.2.16"), srcPort: 5353, dst: gw.ip, dstPort: DNS_PORT, data: Uint8Array.of(0, 1, 0, 0) });
    sw.pump(); sw.pump();
    expect(gw.stats.dhcpBad).toBe(1);
    expect(gw.stats.dnsBad).toBe(1);
    expect(b.dns.length).toBe(before);
  });
});

describe("outbound HTTP through the gateway", () => {
  let server: Server;
  let port = 0;
  const text = Array.from({ length: 400 }, (_, i) => `line ${i} ${"abcdefghijklmnopqrstuvwxyz".slice(i % 26)}${i * 7919}\n`).join("");
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === "/data.txt") { res.writeHead(200, { "Content-Type": "text/plain" }); res.end(text); }
      else { res.writeHead(404); res.end("no such page\n"); }
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("a Keel machine's wget fetches a page from a local HTTP server, byte for byte; a dead host is a 502", async () => {
    const sw = new VirtualSwitch();
    const h = new MachineHarness({
      ramBytes: 64 * 1024 * 1024, clock: "realtime", cmdline: "ip=10.0.2.15/24", disk: shippedDisk(), // a root /etc/hosts can be written on
      nic: { backend: sw, mac: Uint8Array.of(2, 0, 0, 0, 0, 0x0a) },
    }).boot();
    const gw = new Gateway(sw, { now: () => h.machine.virtualNowNs, hosts: { "web.test": `127.0.0.1:${port}`, "dead.test": "127.0.0.1:1" } });
    const run = async (done: () => boolean) => {
      const start = performance.now();
      while (!done()) {
        if (performance.now() - start > 60_000) throw new Error(`timed out; guest printed:\n${h.output}`);
        h.machine.runFor(5);
        sw.pump();
        gw.tick();
        await new Promise((r) => setImmediate(r)); // the gateway's fetch runs on Node's event loop
      }
    };
    await run(() => h.output.includes("\n$ "));
    const web = formatIpv4(gw.resolve("web.test")!);
    const dead = formatIpv4(gw.resolve("dead.test")!);
    let mark = h.output.length;
    h.machine.input(`wget -q http://${web}/data.txt\r`);
    await run(() => /\n\$ $/.test(h.since(mark)));
    // What the guest printed is the body exactly, and the prompt right after it.
    const printed = h.since(mark);
    if (!printed.includes("line 399")) throw new Error(`guest printed:\n${printed}\n${JSON.stringify(gw.stats)} ${JSON.stringify(gw.nif.stats)}`);
    const start = printed.indexOf("line 0 ");
    expect(printed.slice(start, start + text.length)).toBe(text);
    expect(printed.slice(start + text.length)).toBe("$ ");
    expect(gw.stats.httpRequests).toBe(1);
    mark = h.output.length;
    h.machine.input(`wget http://${dead}/\r`);
    await run(() => /\n\$ $/.test(h.since(mark)));
    expect(h.since(mark)).toMatch(/502/);
    expect(gw.stats.httpErrors).toBe(1);
    // A static address has no DHCP lease, so no DNS server: a name is an
    // error saying so, until /etc/hosts names it.
    mark = h.output.length;
    h.machine.input("wget -q http://web.test/data.txt\r");
    await run(() => /\n\$ $/.test(h.since(mark)));
    expect(h.since(mark)).toContain("wget: web.test: not in /etc/hosts, and there is no DNS server (no DHCP lease)");
    mark = h.output.length;
    h.machine.input(`mkdir /etc\recho '${web} other.test WEB.test # static names' > /etc/hosts\rwget -q http://web.test:80/data.txt | wc\r`);
    await run(() => /wc\r?\n[^]*\n\$ $/.test(h.since(mark)));
    expect(h.since(mark)).toMatch(new RegExp(`\\b400\\s+\\d+\\s+${text.length}\\b`));
    expect(gw.stats.httpRequests).toBe(3);
  }, 120_000);
});

describe("the resolver against a DNS server that misbehaves", () => {
  it("a server failure, a malformed answer and NXDOMAIN are each their error; answers with another id are waited past to a timeout after three tries", async () => {
    const sw = new VirtualSwitch();
    // ip=ADDRESS/N,GATEWAY: 10.0.0.9 is the router and DNS server, a host the test scripts.
    const h = new MachineHarness({
      ramBytes: 64 * 1024 * 1024, clock: "realtime", cmdline: "ip=10.0.0.2/24,10.0.0.9", modules: userlandModules(),
      nic: { backend: sw, mac: Uint8Array.of(2, 0, 0, 0, 0, 0x0b) },
    }).boot();
    const dns = new NetInterface(sw, { mac: Uint8Array.of(2, 0, 0, 0, 0, 0x09), ip: "10.0.0.9", prefix: 24, now: () => h.machine.virtualNowNs });
    let answer: (query: Uint8Array) => Uint8Array | null = () => null;
    let queries = 0;
    dns.bindUdp(DNS_PORT, (d) => {
      queries++;
      const reply = answer(d.data);
      if (reply) dns.sendUdp({ srcPort: DNS_PORT, dst: d.src, dstPort: d.srcPort, data: reply });
    });
    const run = async (done: () => boolean) => {
      const start = performance.now();
      while (!done()) {
        if (performance.now() - start > 60_000) throw new Error(`timed out; guest printed:\n${h.output}`);
        h.machine.runFor(5);
        sw.pump();
        dns.tick();
      }
    };
    const shell = async (line: string) => {
      const mark = h.output.length;
      h.machine.input(`${line}\r`);
      await run(() => /\n\$ $/.test(h.since(mark)));
      return h.since(mark);
    };
    await run(() => h.output.includes("\n$ "));
    // The query's header with the answer bit, another rcode, or cut short.
    const reply = (q: Uint8Array, rcode: number) => { const r = q.slice(); r[2] = 0x81; r[3] = 0x80 | rcode; return r; };
    answer = (q) => reply(q, 2);
    expect(await shell("ping -c 1 web.test")).toContain("ping: web.test: the DNS server failed or sent a malformed answer");
    answer = (q) => { const r = reply(q, 0); r[7] = 1; return r; }; // claims an answer record it does not hold
    expect(await shell("wget http://web.test/")).toContain("wget: web.test: the DNS server failed or sent a malformed answer");
    answer = (q) => reply(q, 3);
    expect(await shell("nc web.test 80")).toContain("nc: web.test: no such name");
    // An answer with another id is not the answer: the resolver waits on, asks three times, and gives up.
    queries = 0;
    answer = (q) => { const r = reply(q, 0); r[0] = r[0]! ^ 0xff; return r; };
    expect(await shell("wget http://web.test/")).toContain("wget: web.test: the DNS server did not answer");
    expect(queries).toBe(3);
    // And a sound answer is the address: a ping goes there.
    answer = (q) => {
      const r = reply(q, 0);
      r[7] = 1;
      return Uint8Array.of(...r, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 9);
    };
    expect(await shell("ping -c 1 web.test")).toContain("PING web.test (10.0.0.9)");
  }, 120_000);
});

describe("netd's DHCP client against the gateway", () => {
  it("two machines without ip= get leases, ifconfig shows one, each is named by its hostname, and wget goes through the gateway", async () => {
    const server = createServer((req, res) => { res.writeHead(200); res.end(`hello from ${req.url}\n`); });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    try {
      const sw = new VirtualSwitch();
      const make = (last: number) => new MachineHarness({
        ramBytes: 64 * 1024 * 1024, clock: "realtime", modules: userlandModules(), nic: { backend: sw, mac: Uint8Array.of(2, 0, 0, 0, 0, last) },
      }).boot();
      const a = make(0x0a), b = make(0x0b);
      const gw = new Gateway(sw, { now: () => a.machine.virtualNowNs, hosts: { "web.test": `127.0.0.1:${port}` } });
      const run = async (done: () => boolean) => {
        const start = performance.now();
        while (!done()) {
          if (performance.now() - start > 60_000) throw new Error(`timed out; A printed:\n${a.output}\nB printed:\n${b.output}`);
          a.machine.runFor(5);
          b.machine.runFor(5);
          sw.pump();
          gw.tick();
          await new Promise((r) => setImmediate(r));
        }
      };
      await run(() => a.output.includes("netd: DHCP lease") && b.output.includes("netd: DHCP lease") && a.output.includes("\n$ "));
      // Which machine asked first depends on the wall clock: the two first addresses of the pool, one each.
      const leased = (out: string) => /netd: DHCP lease (10\.0\.2\.1[56])\/24 router 10\.0\.2\.2 dns 10\.0\.2\.2 for 3600s/.exec(out)?.[1];
      const addrA = leased(a.output)!, addrB = leased(b.output)!;
      expect([addrA, addrB].sort()).toEqual(["10.0.2.15", "10.0.2.16"]);
      expect(gw.resolve("keel-00000b")).toBe(parseIpv4(addrB));
      expect(gw.resolve("keel-00000a.keel")).toBe(parseIpv4(addrA));
      let mark = a.output.length;
      a.machine.input("ifconfig\r");
      await run(() => /\n\$ $/.test(a.since(mark)));
      expect(a.since(mark)).toContain(`net0: inet ${addrA}/24`);
      expect(a.since(mark)).toMatch(/dhcp lease \d+s left router 10\.0\.2\.2 dns 10\.0\.2\.2/);
      mark = a.output.length;
      // Names go to the DNS server the lease named (the gateway).
      a.machine.input("wget -q http://web.test/page\r");
      await run(() => /\n\$ $/.test(a.since(mark)));
      expect(a.since(mark)).toContain("hello from /page\n");
      expect(gw.resolve("web.test")).toBeDefined();
      mark = a.output.length;
      a.machine.input("ping -c 1 keel-00000b\r");
      await run(() => /\n\$ $/.test(a.since(mark)));
      expect(a.since(mark)).toContain(`PING keel-00000b (${addrB})`);
      expect(a.since(mark)).toContain("1 packets transmitted, 1 received");
      mark = a.output.length;
      a.machine.input("wget http://nosuch/\rnc bad_name 80\r");
      await run(() => /nc bad_name 80\r?\n[^]*\n\$ $/.test(a.since(mark)));
      expect(a.since(mark)).toContain("wget: nosuch: no such name");
      expect(a.since(mark)).toContain("usage: nc");
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  }, 120_000);
});
