// The packet log's decoder (host/net/decode.ts) against an encoder written
// here from the header formats (RFC 826 ARP, RFC 791 IPv4, RFC 792 ICMP,
// RFC 768 UDP, RFC 9293 TCP): what is encoded decodes to the same fields,
// and any bytes at all (random, truncated or corrupted frames) decode
// without a throw.

import { internetChecksum } from "./tcp.js";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  decodeFrame, ETHERTYPE_ARP, ETHERTYPE_IPV4, IP_PROTO_ICMP, IP_PROTO_TCP, IP_PROTO_UDP, TCP_FLAG_NAMES,
  type ArpPacket, type TcpFlag,
} from "./decode.js";

type Bytes = number[];
const be16 = (v: number): Bytes => [(v >> 8) & 255, v & 255];
const be32 = (v: number): Bytes => [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
const macBytes = (m: string): Bytes => m.split(":").map((h) => parseInt(h, 16));
const ipBytes = (a: string): Bytes => a.split(".").map(Number);

function ethernet(dst: string, src: string, type: number, payload: Bytes): Uint8Array {
  return Uint8Array.from([...macBytes(dst), ...macBytes(src), ...be16(type), ...payload]);
}

function arp(a: ArpPacket): Bytes {
  return [...be16(1), ...be16(ETHERTYPE_IPV4), 6, 4, ...be16(a.op), ...macBytes(a.senderMac), ...ipBytes(a.senderIp),
    ...macBytes(a.targetMac), ...ipBytes(a.targetIp)];
}

interface IpFields { src: string; dst: string; ttl: number; id: number; df: boolean; protocol: number; options: number }

function ipv4(f: IpFields, body: Bytes): Bytes {
  const headerLength = 20 + 4 * f.options;
  const h = [0x40 | (headerLength / 4), 0, ...be16(headerLength + body.length), ...be16(f.id), f.df ? 0x40 : 0, 0, f.ttl, f.protocol, 0, 0,
    ...ipBytes(f.src), ...ipBytes(f.dst), ...new Array<number>(4 * f.options).fill(1)];
  const sum = internetChecksum(Uint8Array.from(h));
  h[10] = sum >> 8;
  h[11] = sum & 255;
  return [...h, ...body];
}

function icmpEcho(type: number, id: number, seq: number, data: Bytes): Bytes {
  return [type, 0, 0, 0, ...be16(id), ...be16(seq), ...data];
}

function udp(srcPort: number, dstPort: number, data: Bytes): Bytes {
  return [...be16(srcPort), ...be16(dstPort), ...be16(8 + data.length), 0, 0, ...data];
}

interface TcpFields { srcPort: number; dstPort: number; seq: number; ack: number; flags: TcpFlag[]; window: number; mss: number | null }

function tcp(t: TcpFields, data: Bytes): Bytes {
  const options = t.mss !== null ? [2, 4, ...be16(t.mss)] : [];
  const bits = t.flags.reduce((b, f) => b | (1 << TCP_FLAG_NAMES.indexOf(f)), 0);
  return [...be16(t.srcPort), ...be16(t.dstPort), ...be32(t.seq), ...be32(t.ack), ((20 + options.length) / 4) << 4, bits,
    ...be16(t.window), 0, 0, 0, 0, ...options, ...data];
}

const macArb = fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => [...b].map((x) => x.toString(16).padStart(2, "0")).join(":"));
const ipArb = fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b) => [...b].join("."));
const u16Arb = fc.integer({ min: 0, max: 0xffff });
const u32Arb = fc.integer({ min: 0, max: 0xffff_ffff });
const dataArb = fc.uint8Array({ maxLength: 200 }).map((b) => [...b]);
const ipArbFields = fc.record({
  src: ipArb, dst: ipArb, ttl: fc.integer({ min: 0, max: 255 }), id: u16Arb, df: fc.boolean(), protocol: fc.constant(0),
  options: fc.integer({ min: 0, max: 10 }),
});
const flagsArb = fc.subarray([...TCP_FLAG_NAMES]);

describe("decodeFrame", () => {
  it("decodes ARP as encoded", () => {
    fc.assert(fc.property(macArb, macArb, fc.record({
      op: fc.integer({ min: 1, max: 2 }), senderMac: macArb, senderIp: ipArb, targetMac: macArb, targetIp: ipArb,
    }), (dst, src, a) => {
      const d = decodeFrame(ethernet(dst, src, ETHERTYPE_ARP, arp(a)));
      expect(d.problem).toBe("");
      expect(d.eth).toEqual({ dst, src, type: ETHERTYPE_ARP });
      expect(d.arp).toEqual(a);
      expect(d.protocol).toBe("arp");
      expect(d.summary).toContain(a.op === 1 ? `who has ${a.targetIp}` : `${a.senderIp} is at ${a.senderMac}`);
    }));
  });

  it("decodes ICMP echo in IPv4 as encoded", () => {
    fc.assert(fc.property(ipArbFields, fc.constantFrom(0, 8), u16Arb, u16Arb, dataArb, (ipf, type, id, seq, data) => {
      const body = icmpEcho(type, id, seq, data);
      const d = decodeFrame(ethernet("02:00:00:00:00:0b", "02:00:00:00:00:0a", ETHERTYPE_IPV4, ipv4({ ...ipf, protocol: IP_PROTO_ICMP }, body)));
      expect(d.problem).toBe("");
      expect(d.ip).toMatchObject({ src: ipf.src, dst: ipf.dst, ttl: ipf.ttl, id: ipf.id, dontFragment: ipf.df, moreFragments: false,
        fragmentOffset: 0, protocol: IP_PROTO_ICMP, headerLength: 20 + 4 * ipf.options, totalLength: 20 + 4 * ipf.options + body.length,
        checksumOk: true });
      expect(d.icmp).toEqual({ type, code: 0, id, seq, length: body.length });
      expect(d.summary).toContain(`${type === 8 ? "echo request" : "echo reply"} id=${id} seq=${seq}`);
    }));
  });

  it("decodes UDP as encoded", () => {
    fc.assert(fc.property(ipArbFields, u16Arb, u16Arb, dataArb, (ipf, sp, dp, data) => {
      const d = decodeFrame(ethernet("ff:ff:ff:ff:ff:ff", "02:00:00:00:00:0a", ETHERTYPE_IPV4, ipv4({ ...ipf, protocol: IP_PROTO_UDP }, udp(sp, dp, data))));
      expect(d.problem).toBe("");
      expect(d.udp).toEqual({ srcPort: sp, dstPort: dp, length: 8 + data.length });
      expect(d.summary).toBe(`UDP ${ipf.src}:${sp} → ${ipf.dst}:${dp} len=${data.length}`);
    }));
  });

  it("decodes TCP as encoded: ports, seq/ack, flags, window, MSS, data length", () => {
    const tcpArb = fc.record({
      srcPort: u16Arb, dstPort: u16Arb, seq: u32Arb, ack: u32Arb, flags: flagsArb, window: u16Arb,
      mss: fc.option(u16Arb, { nil: null }),
    });
    fc.assert(fc.property(ipArbFields, tcpArb, dataArb, (ipf, t, data) => {
      // A frame is padded to 60 bytes on the wire: the IPv4 length, not the frame, bounds the segment.
      const frame = [...ethernet("02:00:00:00:00:0b", "02:00:00:00:00:0a", ETHERTYPE_IPV4, ipv4({ ...ipf, protocol: IP_PROTO_TCP }, tcp(t, data)))];
      while (frame.length < 60) frame.push(0);
      const d = decodeFrame(Uint8Array.from(frame));
      expect(d.problem).toBe("");
      const flags = TCP_FLAG_NAMES.filter((f) => t.flags.includes(f));
      expect(d.tcp).toEqual({ ...t, flags, headerLength: t.mss === null ? 20 : 24, payloadLength: data.length });
      expect(d.summary).toContain(`[${flags.join(",")}] seq=${t.seq}`);
      expect(d.summary).toContain(`len=${data.length}`);
    }));
  });

  it("never throws: random bytes, and sound frames truncated or with bytes changed", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 1600 }), (bytes) => {
      const d = decodeFrame(bytes);
      expect(typeof d.summary).toBe("string");
      if (bytes.length < 14) expect(d.problem).not.toBe("");
    }), { numRuns: 500 });
    const sound = Uint8Array.from([...ethernet("02:00:00:00:00:0b", "02:00:00:00:00:0a", ETHERTYPE_IPV4,
      ipv4({ src: "10.0.0.2", dst: "10.0.0.3", ttl: 64, id: 1, df: true, protocol: IP_PROTO_TCP, options: 1 },
        tcp({ srcPort: 80, dstPort: 49152, seq: 1, ack: 2, flags: ["SYN", "ACK"], window: 100, mss: 1460 }, [1, 2, 3])))]);
    fc.assert(fc.property(fc.nat(sound.length), fc.array(fc.tuple(fc.nat(sound.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
      (cut, changes) => {
        const f = sound.slice(0, cut);
        for (const [at, v] of changes) if (at < f.length) f[at] = v;
        const d = decodeFrame(f);
        expect(d.length).toBe(cut);
        // Cut inside a header it names: the decoder says so instead of reading past the end.
        if (changes.length === 0 && cut < sound.length) expect(d.problem).not.toBe("");
      }), { numRuns: 1000 });
  });

  it("says what is wrong with a malformed frame", () => {
    expect(decodeFrame(new Uint8Array(5)).problem).toMatch(/shorter than an Ethernet header/);
    const arpShort = ethernet("ff:ff:ff:ff:ff:ff", "02:00:00:00:00:0a", ETHERTYPE_ARP, [0, 1]);
    expect(decodeFrame(arpShort).problem).toMatch(/ARP: 2 bytes/);
    const good = ipv4({ src: "10.0.0.2", dst: "10.0.0.3", ttl: 64, id: 7, df: false, protocol: IP_PROTO_UDP, options: 0 }, udp(1, 2, [9]));
    const badSum = [...good];
    badSum[8] = 1; // the TTL changed under the checksum
    const d = decodeFrame(ethernet("02:00:00:00:00:0b", "02:00:00:00:00:0a", ETHERTYPE_IPV4, badSum));
    expect(d.ip?.checksumOk).toBe(false);
    expect(d.problem).toBe("IPv4: bad header checksum");
    expect(d.udp).not.toBeNull();
    const v6 = decodeFrame(ethernet("02:00:00:00:00:0b", "02:00:00:00:00:0a", 0x86dd, [0x60, 0, 0, 0]));
    expect(v6.summary).toBe("02:00:00:00:00:0a → 02:00:00:00:00:0b IPv6 18 bytes");
  });
});
