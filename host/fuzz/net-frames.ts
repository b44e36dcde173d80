// The frame half of the fuzzer (docs/fuzzing.md "Frames"): malformed
// Ethernet, ARP, IPv4, ICMP, UDP and TCP frames for netd (and sound ones
// with loopback addresses, which only lo may carry), from a seeded
// generator (the same seed gives the same frames). Each frame is broken in
// one place and sound everywhere else, so it gets past the checks before
// the one it breaks: a TCP segment with bogus options carries a right
// checksum, so netd's option parser sees it; a bad UDP length comes inside
// a sound IPv4 header. Random bytes are in the mix too.
//
// runNetFuzz boots a machine on a switch with a host (host/net/netif.ts) at
// 10.0.0.1, takes the kernel's memory baseline, injects the frames a few at
// a time between slices, then checks: no panic, netd alive, `ping -c 1
// 10.0.0.1` answered, and every frame of memory back (expectMemoryBack).

import { MachineHarness, userlandModules } from "../testing/machine-harness.js";
import { expectMemoryBack, memoryBaseline } from "../testing/memory-baseline.js";
import { VirtualSwitch } from "../net/switch.js";
import { NetInterface } from "../net/netif.js";
import { internetChecksum, l4Checksum } from "../net/tcp.js";

export const FUZZ_GUEST_MAC = Uint8Array.of(2, 0, 0, 0, 0, 0x0b);
export const FUZZ_HOST_MAC = Uint8Array.of(2, 0, 0, 0, 0, 0x0a);
const GUEST_IP = 0x0a000002;
const HOST_IP = 0x0a000001;
/** A port `udp echo` binds in the guest, so datagrams reach a bound port's queue. */
export const FUZZ_UDP_PORT = 7;

/** xorshift32, seeded (0 becomes 1). */
export class Rng {
  private s: number;
  constructor(seed: number) { this.s = (seed >>> 0) || 1; }
  next(): number {
    let x = this.s;
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    this.s = x;
    return x;
  }
  below(n: number): number { return this.next() % n; }
  bytes(n: number): Uint8Array { return Uint8Array.from({ length: n }, () => this.next() & 0xff); }
  pick<T>(items: readonly T[]): T { return items[this.below(items.length)]!; }
}

function ethernet(type: number, body: Uint8Array, dst = FUZZ_GUEST_MAC): Uint8Array {
  const f = new Uint8Array(14 + body.length);
  f.set(dst, 0);
  f.set(FUZZ_HOST_MAC, 6);
  f[12] = type >> 8; f[13] = type & 0xff;
  f.set(body, 14);
  return f;
}

/** An IPv4 packet (header with a right checksum unless broken later). */
function ipv4(proto: number, payload: Uint8Array, options = new Uint8Array(0)): Uint8Array {
  const hl = 20 + options.length;
  const p = new Uint8Array(hl + payload.length);
  const total = p.length;
  p.set([0x40 | (hl / 4), 0, total >> 8, total & 0xff, 0, 1, 0x40, 0, 64, proto, 0, 0,
    HOST_IP >>> 24, (HOST_IP >>> 16) & 255, (HOST_IP >>> 8) & 255, HOST_IP & 255,
    GUEST_IP >>> 24, (GUEST_IP >>> 16) & 255, (GUEST_IP >>> 8) & 255, GUEST_IP & 255]);
  p.set(options, 20);
  const sum = internetChecksum(p.subarray(0, hl));
  p[10] = sum >> 8; p[11] = sum & 0xff;
  p.set(payload, hl);
  return p;
}

function resumIp(p: Uint8Array): void {
  const hl = Math.min(p.length, (p[0]! & 15) * 4);
  p[10] = 0; p[11] = 0;
  const sum = internetChecksum(p.subarray(0, hl));
  p[10] = sum >> 8; p[11] = sum & 0xff;
}

function setL4Checksum(seg: Uint8Array, proto: number, at: number): void {
  seg[at] = 0; seg[at + 1] = 0;
  let sum = l4Checksum(HOST_IP, GUEST_IP, proto, seg);
  if (proto === 17 && sum === 0) sum = 0xffff;
  seg[at] = sum >> 8; seg[at + 1] = sum & 0xff;
}

function udpFrame(r: Rng): Uint8Array {
  const data = r.bytes(r.below(64));
  const seg = new Uint8Array(8 + data.length);
  const dport = r.pick([FUZZ_UDP_PORT, FUZZ_UDP_PORT, 68, 53, 9, r.below(65536)]);
  const sport = r.below(65536);
  seg.set([sport >> 8, sport & 255, dport >> 8, dport & 255, seg.length >> 8, seg.length & 255, 0, 0]);
  seg.set(data, 8);
  setL4Checksum(seg, 17, 6);
  switch (r.below(6)) {
    case 0: { const l = r.pick([0, 1, 7, seg.length + 1, seg.length + 100, 0xffff]); seg[4] = l >> 8; seg[5] = l & 255; setL4Checksum(seg, 17, 6); break; } // bad length, right checksum
    case 1: seg[6]! ^= 1 + r.below(255); break; // bad checksum
    case 2: seg[6] = 0; seg[7] = 0; break; // no checksum: allowed
    case 3: return ethernet(0x0800, ipv4(17, seg.subarray(0, r.below(8)))); // a header cut short
    default: break; // sound: reaches the port's queue (or none)
  }
  return ethernet(0x0800, ipv4(17, seg));
}

function tcpFrame(r: Rng): Uint8Array {
  // Options: a bogus mix of kinds and lengths (MSS with lengths 0, 1, 3, 255...), padded to 4.
  const opts: number[] = [];
  const nopts = r.below(4);
  for (let i = 0; i < nopts; i++) {
    const kind = r.pick([0, 1, 2, 2, 3, 4, 8, r.below(256)]);
    if (kind === 0 || kind === 1) { opts.push(kind); continue; }
    const len = r.pick([0, 1, 2, 3, 4, 10, 40, 255]);
    opts.push(kind, len, ...r.bytes(Math.min(Math.max(len - 2, 0), 8)));
  }
  while (opts.length % 4) opts.push(r.below(2));
  if (opts.length > 40) opts.length = 40;
  const data = r.bytes(r.below(48));
  const hl = 20 + opts.length;
  const seg = new Uint8Array(hl + data.length);
  const dport = r.pick([80, 5000, 7, r.below(65536)]);
  const sport = 1024 + r.below(60000);
  const seq = r.next(), ack = r.next();
  const flags = r.pick([0x02, 0x10, 0x12, 0x04, 0x14, 0x11, 0x18, 0x01, 0x03, 0x06, 0x3f, r.below(256)]);
  seg.set([sport >> 8, sport & 255, dport >> 8, dport & 255, seq >>> 24, (seq >>> 16) & 255, (seq >>> 8) & 255, seq & 255,
    ack >>> 24, (ack >>> 16) & 255, (ack >>> 8) & 255, ack & 255, (hl / 4) << 4, flags, r.below(256), r.below(256), 0, 0, 0, 0]);
  seg.set(opts, 20);
  seg.set(data, hl);
  switch (r.below(5)) {
    case 0: seg[12] = r.pick([0, 1, 4, 15]) << 4; break; // a data offset below 5 or past the segment
    case 1: break; // the checksum stays 0: wrong
    case 2: return ethernet(0x0800, ipv4(6, seg.subarray(0, r.below(20)))); // a header cut short
    default: break;
  }
  if (seg[16] === 0 && seg[17] === 0 && r.below(5) !== 1) setL4Checksum(seg, 6, 16);
  return ethernet(0x0800, ipv4(6, seg));
}

function icmpFrame(r: Rng): Uint8Array {
  const body = new Uint8Array(8 + r.below(64));
  body.set(r.bytes(body.length));
  body[0] = r.pick([8, 8, 0, 3, 11, r.below(256)]);
  body[2] = 0; body[3] = 0;
  const sum = internetChecksum(body);
  body[2] = sum >> 8; body[3] = sum & 255;
  if (r.below(3) === 0) body[2]! ^= 0x40; // bad checksum
  return ethernet(0x0800, ipv4(1, r.below(4) === 0 ? body.subarray(0, r.below(8)) : body));
}

function brokenIp(r: Rng): Uint8Array {
  const p = ipv4(r.pick([1, 6, 17, 2, 255]), r.bytes(r.below(40)), r.below(3) === 0 ? r.bytes(4 * (1 + r.below(10))) as Uint8Array<ArrayBuffer> : undefined);
  switch (r.below(7)) {
    case 0: p[0] = (r.below(16) << 4) | (p[0]! & 15); resumIp(p); break; // another version
    case 1: p[0] = 0x40 | r.pick([0, 1, 4, 15]); resumIp(p); break; // header length below 5 or past the packet
    case 2: { const t = r.pick([0, 19, p.length + 1, 0xffff]); p[2] = t >> 8; p[3] = t & 255; resumIp(p); break; } // total length
    case 3: p[10]! ^= 0x10; break; // bad header checksum
    case 4: p[6] = r.pick([0x20, 0x00, 0x3f]); p[7] = r.below(256); resumIp(p); break; // fragments
    case 5: return ethernet(0x0800, p.subarray(0, r.below(20))); // cut inside the header
    default: p[16] = r.below(256); p[19] = r.below(256); resumIp(p); break; // another destination
  }
  return ethernet(0x0800, p);
}

function arpFrame(r: Rng): Uint8Array {
  const a = new Uint8Array(28);
  a.set([0, 1, 8, 0, 6, 4, 0, r.pick([1, 2, 3, 0])]);
  a.set(FUZZ_HOST_MAC, 8);
  a.set([10, 0, 0, r.pick([1, 3, 9, 255, r.below(256)])], 14);
  a.set(r.pick([FUZZ_GUEST_MAC, new Uint8Array(6), r.bytes(6)]), 18);
  a.set([10, 0, 0, r.pick([2, 2, 1, r.below(256)])], 24);
  switch (r.below(4)) {
    case 0: a[4] = r.below(256); a[5] = r.below(256); break; // hardware / protocol sizes
    case 1: a[0] = r.below(256); a[2] = r.below(256); break; // types
    case 2: return ethernet(0x0806, a.subarray(0, r.below(28)), r.below(2) ? FUZZ_GUEST_MAC : Uint8Array.of(255, 255, 255, 255, 255, 255));
    default: break;
  }
  return ethernet(0x0806, a);
}

/** A sound ICMP echo request or UDP datagram that claims a loopback
 *  address (127/8) as its source or destination, or the guest's own address
 *  as its source: only netd's loopback queue may carry these, so from the
 *  wire each is dropped; answered, it would go round through lo. */
function martianFrame(r: Rng): Uint8Array {
  const loop = (0x7f000000 | r.below(1 << 24)) >>> 0;
  const [src, dst] = r.pick([[loop, GUEST_IP], [GUEST_IP, GUEST_IP], [HOST_IP, loop], [loop, loop]] as const);
  let proto: number, body: Uint8Array;
  if (r.below(2) === 0) {
    proto = 1;
    body = new Uint8Array(8 + r.below(32));
    body.set(r.bytes(body.length));
    body[0] = 8; body[1] = 0; body[2] = 0; body[3] = 0;
    const sum = internetChecksum(body);
    body[2] = sum >> 8; body[3] = sum & 255;
  } else {
    proto = 17;
    const data = r.bytes(r.below(32));
    body = new Uint8Array(8 + data.length);
    const dport = r.pick([FUZZ_UDP_PORT, r.below(65536)]);
    body.set([0, 9, dport >> 8, dport & 255, body.length >> 8, body.length & 255, 0, 0]);
    body.set(data, 8);
    let sum = l4Checksum(src, dst, 17, body);
    if (sum === 0) sum = 0xffff;
    body[6] = sum >> 8; body[7] = sum & 255;
  }
  const p = ipv4(proto, body);
  const v = new DataView(p.buffer, p.byteOffset);
  v.setUint32(12, src);
  v.setUint32(16, dst);
  resumIp(p);
  return ethernet(0x0800, p);
}

/** One malformed (or, now and then, sound) frame for the guest at 10.0.0.2. */
export function fuzzFrame(r: Rng): Uint8Array {
  if (r.below(16) === 0) return martianFrame(r);
  switch (r.below(9)) {
    case 0: return r.bytes(r.below(1600)); // random bytes (the switch refuses impossible lengths)
    case 1: return ethernet(r.pick([0x0800, 0x0806, 0x86dd, r.below(65536)]), r.bytes(r.below(40))).subarray(0, 14 + r.below(40)); // short or odd EtherTypes
    case 2: return arpFrame(r);
    case 3: return brokenIp(r);
    case 4: return icmpFrame(r);
    case 5: case 6: return udpFrame(r);
    default: return tcpFrame(r);
  }
}

export interface NetFuzzResult {
  seed: number;
  frames: number;
  /** What netd counted (ifconfig's lines), and the card's receive counters. */
  ifconfig: string;
  ping: string;
  hostStats: NetInterface["stats"];
}

/** Boots the guest, fuzzes it with `frames` frames from `seed`, and checks it (throws on a failure). */
export function runNetFuzz(seed: number, frames: number): NetFuzzResult {
  const sw = new VirtualSwitch("fuzz");
  const h = new MachineHarness({
    ramBytes: 64 * 1024 * 1024, clock: "realtime", cmdline: "ip=10.0.0.2/24", modules: userlandModules(),
    nic: { backend: sw, mac: FUZZ_GUEST_MAC },
  }).boot();
  const host = new NetInterface(sw, { mac: FUZZ_HOST_MAC, ip: "10.0.0.1", prefix: 24, now: () => h.machine.virtualNowNs });
  const run = (done: () => boolean, what: string) => {
    const start = performance.now();
    while (!done()) {
      if (h.machine.state === "panicked") throw new Error(`kernel panic (seed ${seed}): ${h.machine.panicText}`);
      if (performance.now() - start > 60_000) throw new Error(`seed ${seed}: ${what} timed out; guest printed:\n${h.output}`);
      h.machine.runFor(5);
      sw.pump();
      host.tick();
    }
  };
  const shell = (line: string) => {
    const mark = h.output.length;
    h.machine.input(`${line}\r`);
    run(() => /\n\$ $/.test(h.since(mark)), line);
    return h.since(mark);
  };
  run(() => h.output.includes("\n$ "), "boot");
  const mark = h.output.length;
  // A bound port whose datagrams are echoed; its lines (random bytes) go to wc, which prints only at the end (never).
  h.machine.input(`udp echo ${FUZZ_UDP_PORT} 0 | wc &\r`);
  run(() => /\n\$ $/.test(h.since(mark)), "udp echo");
  const ports = shell("netstat");
  if (!ports.includes(`:${FUZZ_UDP_PORT}`)) throw new Error(`seed ${seed}: udp echo did not bind port ${FUZZ_UDP_PORT}:\n${ports}`);
  const settle = () => {
    let quiet = 0;
    run(() => {
      quiet = h.machine.state === "idle" && sw.queued === 0 && h.machine.nic.rxQueued === 0 ? quiet + 1 : 0;
      return quiet >= 3;
    }, "settling");
  };
  settle();
  const before = memoryBaseline(h);
  const r = new Rng(seed);
  for (let i = 0; i < frames;) {
    for (let k = 0; k < 8 && i < frames; k++, i++) sw.inject(fuzzFrame(r));
    h.machine.runFor(5);
    sw.pump();
    host.tick();
    if (h.machine.state === "panicked") throw new Error(`kernel panic (seed ${seed}, frame ${i}): ${h.machine.panicText}`);
  }
  settle();
  const ps = shell("ps");
  if (!/\bnetd\b/.test(ps)) throw new Error(`seed ${seed}: netd is gone after the frames:\n${h.output}`);
  const ping = shell("ping -c 1 10.0.0.1");
  if (!ping.includes("1 packets transmitted, 1 received")) throw new Error(`seed ${seed}: no ping after the frames:\n${ping}`);
  settle();
  expectMemoryBack(h, before, `seed ${seed}: ${frames} malformed frames`);
  const ifconfig = shell("ifconfig") + shell("netstat -s");
  return { seed, frames, ifconfig, ping, hostStats: { ...host.stats } };
}
