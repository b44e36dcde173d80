// Two Keel machines in one process on the virtual switch (docs/network.md):
// each boots with a NIC and an ip= address, init starts netd, and ping from
// one reaches the other. Malformed frames injected into the switch are
// counted by netd and leave the kernels and netd working.
//
// The machines run on the realtime clock: with the deterministic clock an
// idle machine skips straight to its next deadline, so ping's one-second
// wait would pass before the other machine had run at all.

import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { kernelBytesSync, kernelModuleSync, MachineHarness, userlandModules } from "./testing/machine-harness.js";
import { decodeSnapshot, restoreMachine, saveSnapshot, snapshotBuildId } from "./snapshot.js";
import { VirtualSwitch } from "./net/switch.js";
import { NetInterface } from "./net/netif.js";
import type { NetEndpoint } from "./net/backend.js";
import { Cluster } from "./net/cluster.js";
import { expectMemoryBack, memoryBaseline } from "./testing/memory-baseline.js";

const MAC_A = Uint8Array.of(2, 0, 0, 0, 0, 0x0a);
const MAC_B = Uint8Array.of(2, 0, 0, 0, 0, 0x0b);

function netMachine(sw: VirtualSwitch, mac: Uint8Array, ip: string): MachineHarness {
  return new MachineHarness({
    ramBytes: 64 * 1024 * 1024, clock: "realtime", cmdline: `ip=${ip}`, modules: userlandModules(), nic: { backend: sw, mac },
  });
}

/** Runs both machines and the switch until `done` holds (or throws after maxMs of wall time). */
function runBoth(a: MachineHarness, b: MachineHarness, sw: VirtualSwitch, done: () => boolean, maxMs = 30_000): void {
  const start = performance.now();
  while (!done()) {
    if (performance.now() - start > maxMs) throw new Error(`timed out; A printed:\n${a.output}\nB printed:\n${b.output}`);
    for (const h of [a, b]) {
      const r = h.machine.runFor(5);
      if (r.state === "halted" || r.state === "panicked") throw new Error(`machine ${r.state}: ${h.machine.panicText}\n${h.output}`);
    }
    sw.pump();
  }
}

/** Runs both machines until every frame is delivered and taken and both are
 *  idle with nothing scheduled (their services are waiting for more). */
function settleBoth(a: MachineHarness, b: MachineHarness, sw: VirtualSwitch): void {
  let quiet = 0;
  runBoth(a, b, sw, () => {
    const idle = [a, b].every((h) => h.machine.state === "idle") && sw.queued === 0 &&
      a.machine.nic.rxQueued === 0 && b.machine.nic.rxQueued === 0;
    quiet = idle ? quiet + 1 : 0;
    return quiet >= 3; // idle across whole rounds, not just between two slices
  });
}

/** Types a line into h and runs both machines until h prints its next prompt. */
function shellBoth(h: MachineHarness, other: MachineHarness, sw: VirtualSwitch, line: string): string {
  const mark = h.output.length;
  h.machine.input(`${line}\r`);
  runBoth(h, other, sw, () => /\n\$ $/.test(h.since(mark)));
  return h.since(mark);
}

/** The Internet checksum of bytes (RFC 1071). */
function inetChecksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i]! << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** An Ethernet frame to B holding an IPv4 packet with a right header checksum
 *  (so netd's ICMP and UDP parsers see the payload), from 10.0.0.14. */
function ipFrameToB(proto: number, payload: Uint8Array, flags: number): Uint8Array {
  const f = new Uint8Array(34 + payload.length);
  f.set(MAC_B, 0);
  f.set([2, 0, 0, 0, 0, 0x0e, 0x08, 0x00], 6);
  const ip = f.subarray(14, 34);
  ip.set([0x45, 0, (20 + payload.length) >> 8, (20 + payload.length) & 0xff, 0, 1, flags >> 8, flags & 0xff, 64, proto, 0, 0,
    10, 0, 0, 14, 10, 0, 0, 2]);
  const sum = inetChecksum(ip);
  ip[10] = sum >> 8; ip[11] = sum & 0xff;
  f.set(payload, 34);
  return f;
}

/** A sound UDP datagram to B's port from `src` (a host at MAC 02:..:0e). */
function udpFrameToB(src: number, port: number): Uint8Array {
  const u = Uint8Array.of(0x11, 0x5c, port >> 8, port & 255, 0, 12, 0, 0, 1, 2, 3, 4);
  const f = ipFrameToB(17, u, 0);
  f.set([src >>> 24, (src >>> 16) & 255, (src >>> 8) & 255, src & 255], 26);
  const ip = f.subarray(14, 34);
  ip[10] = 0; ip[11] = 0;
  const sum = inetChecksum(ip);
  ip[10] = sum >> 8; ip[11] = sum & 0xff;
  return f;
}

function bootPair() {
  const sw = new VirtualSwitch();
  const a = netMachine(sw, MAC_A, "10.0.0.1/24").boot();
  const b = netMachine(sw, MAC_B, "10.0.0.2/24").boot();
  runBoth(a, b, sw, () => a.output.includes("\n$ ") && b.output.includes("\n$ "));
  return { sw, a, b };
}

/** Two machines on deterministic clocks in lockstep: boots them, pings from
 *  A, and returns everything both printed and when (virtual time) the reply
 *  line appeared. */
function lockstepSession(): { a: string; b: string; doneNs: number } {
  const sw = new VirtualSwitch();
  const make = (mac: Uint8Array, ip: string) => new MachineHarness({
    ramBytes: 64 * 1024 * 1024, clock: "deterministic", cmdline: `ip=${ip}`, modules: userlandModules(), nic: { backend: sw, mac },
  }).boot();
  const a = make(MAC_A, "10.0.0.1/24"), b = make(MAC_B, "10.0.0.2/24");
  const cluster = new Cluster([a.machine, b.machine], sw);
  const SECOND = 1e9;
  expect(cluster.runUntil(() => a.output.includes("\n$ ") && b.output.includes("\n$ "), 10 * SECOND)).toBe(true);
  const mark = a.output.length;
  a.machine.input("ping -c 3 10.0.0.2\r");
  expect(cluster.runUntil(() => /\n\$ $/.test(a.since(mark)), 10 * SECOND)).toBe(true);
  return { a: a.output, b: b.output, doneNs: cluster.nowNs };
}

describe("two machines in lockstep on deterministic clocks", () => {
  it("ping works, and the same session gives the same output at the same virtual times", () => {
    const first = lockstepSession();
    expect(first.a).toContain("3 packets transmitted, 3 received, 0% packet loss");
    expect(first.a).toMatch(/icmp_seq=1 ttl=64 time=\d+\.\d{3} ms/);
    const second = lockstepSession();
    expect(second).toEqual(first);
  });
});

describe("two machines on a virtual switch", () => {
  it("init starts netd with the address from the command line", () => {
    const { a, b } = bootPair();
    expect(a.output).toContain("nic: card at 0x700 on IRQ 6, MAC 02:00:00:00:00:0a");
    expect(a.output).toContain("netd: 02:00:00:00:00:0a address 10.0.0.1/24, link up");
    expect(b.output).toContain("netd: 02:00:00:00:00:0b address 10.0.0.2/24, link up");
    expect(a.output).toContain("init: network service started: netd");
  });

  it("ping -c 3 10.0.0.2 from one machine gets three replies from the other", () => {
    const { sw, a, b } = bootPair();
    const out = shellBoth(a, b, sw, "ping -c 3 10.0.0.2");
    expect(out).toMatch(/64 bytes from 10\.0\.0\.2: icmp_seq=1 ttl=64 time=\d+\.\d{3} ms/);
    expect(out).toMatch(/icmp_seq=3 ttl=64/);
    expect(out).toContain("3 packets transmitted, 3 received, 0% packet loss");
    // And back the other way, with B's ARP cache already holding A.
    const back = shellBoth(b, a, sw, "ping -c 2 10.0.0.1");
    expect(back).toContain("2 packets transmitted, 2 received, 0% packet loss");
    expect(a.machine.nic.counters().rxErrors).toBe(0);
  });

  it("a ping to an address nobody has times out and says so", () => {
    const { sw, a, b } = bootPair();
    const out = shellBoth(a, b, sw, "ping -c 1 10.0.0.9");
    expect(out).toContain("no reply for icmp_seq=1");
    expect(out).toContain("1 packets transmitted, 0 received, 100% packet loss");
    const off = shellBoth(a, b, sw, "ping -c 1 192.168.1.1");
    expect(off).toContain("not on the local network");
  });

  it("addresses that never answer ARP cannot block the others: the oldest waiting packet gives way", () => {
    const { sw, a, b } = bootPair();
    for (let host = 5; host <= 9; host++) {
      expect(shellBoth(a, b, sw, `ping -c 1 -W 2 10.0.0.${host}`)).toContain("1 packets transmitted, 0 received");
    }
    expect(shellBoth(a, b, sw, "ping -c 1 10.0.0.2")).toContain("1 packets transmitted, 1 received");
    // Four packets can wait: the fifth absent address and then 10.0.0.2 each pushed out the oldest.
    expect(shellBoth(a, b, sw, "ifconfig")).toMatch(/arp in \d+ replied \d+ dropped-waiting 2\n/);
  });

  it("udp: a datagram goes to a port bound on the other machine and its echo comes back", () => {
    const { sw, a, b } = bootPair();
    b.machine.input("udp echo 7 6 &\r"); // in the background: its line comes after the prompt
    runBoth(a, b, sw, () => b.output.includes("udp: echoing on port 7\n"));
    const out = shellBoth(a, b, sw, "udp send 10.0.0.2 7 hello keel");
    expect(out).toMatch(/udp: reply from 10\.0\.0\.2:7, 10 bytes: hello keel\n/);
    expect(b.output).toMatch(/udp: 10 bytes from 10\.0\.0\.1:4915\d: hello keel\n/);
    // Each send binds a port of its own; netd frees it when udp exits, so
    // more sends than netd has ports all work.
    for (let i = 0; i < 5; i++) expect(shellBoth(a, b, sw, `udp send 10.0.0.2 7 n${i}`)).toContain(`bytes: n${i}\n`);
    expect(shellBoth(a, b, sw, "ifconfig")).toMatch(/udp in 6 sent 6 bad 0 no-port 0 dropped 0 reaped [3-6]\n/);
    // No one on port 9: the datagram is counted there and the sender hears nothing.
    expect(shellBoth(a, b, sw, "udp send 10.0.0.2 9 anyone")).toContain("udp: no reply from 10.0.0.2:9");
    expect(shellBoth(b, a, sw, "ifconfig")).toMatch(/no-port 1 /);
    // Port 7's echo has exited: its port went with it. A live one keeps its port.
    expect(b.output).toContain("[1] Done  udp echo 7 6 &");
    const mark = b.output.length;
    b.machine.input("udp echo 7 0 &\r");
    runBoth(a, b, sw, () => b.since(mark).includes("udp: echoing on port 7\n"));
    expect(shellBoth(b, a, sw, "udp echo 7")).toContain("udp: bind: port in use or not bound");
  });

  it("a datagram for a closed port gets ICMP port unreachable quoting its header; one from a broadcast source does not", () => {
    const { sw, a, b } = bootPair();
    const heard: Uint8Array[] = [];
    // A host at 10.0.0.14 whose frames in are also kept for the test.
    const tap = { attach: (ep: NetEndpoint) => sw.attach({ mac: ep.mac, receive: (f: Uint8Array) => { heard.push(f.slice()); ep.receive(f); } }) };
    const host = new NetInterface(tap, { mac: Uint8Array.of(2, 0, 0, 0, 0, 0x0e), ip: "10.0.0.14", prefix: 24, now: () => b.machine.virtualNowNs });
    const unreachable = () => heard.filter((f) => f.length >= 34 + 8 + 28 && f[12] === 8 && f[13] === 0 && f[23] === 1 && f[34] === 3 && f[35] === 3);
    host.sendUdp({ srcPort: 4444, dst: 0x0a000002, dstPort: 9, data: new TextEncoder().encode("anyone?") });
    runBoth(a, b, sw, () => { host.tick(); return unreachable().length > 0; });
    const icmp = unreachable()[0]!.subarray(34);
    expect([...icmp.subarray(8, 8 + 20)].slice(12, 20)).toEqual([10, 0, 0, 14, 10, 0, 0, 2]); // the quoted IPv4 header
    expect((icmp[28]! << 8) | icmp[29]!).toBe(4444); // and the UDP header's ports
    expect((icmp[30]! << 8) | icmp[31]!).toBe(9);
    // From a broadcast source: counted, never answered.
    const before = unreachable().length;
    sw.inject(udpFrameToB(0x0a0000ff, 9));
    settleBoth(a, b, sw);
    expect(unreachable().length).toBe(before);
    expect(shellBoth(b, a, sw, "ifconfig")).toMatch(/no-port 2 /);
  });

  it("a machine saved to a snapshot and restored onto the switch keeps answering (driver and card state travel together)", async () => {
    const { sw, a, b } = bootPair();
    expect(shellBoth(a, b, sw, "ping -c 1 10.0.0.2")).toContain("1 received");
    const buildId = await snapshotBuildId(kernelBytesSync());
    const snapshot = await decodeSnapshot(await saveSnapshot(b.machine, buildId), buildId);
    b.machine.nic.unplug(); // the original leaves the wire; its copy takes its place
    const copy = new MachineHarness({}, (callbacks) =>
      restoreMachine(kernelModuleSync(), snapshot, callbacks, { modules: userlandModules(), nic: { backend: sw, mac: MAC_B } }));
    const out = shellBoth(a, copy, sw, "ping -c 2 10.0.0.2");
    expect(out).toContain("2 packets transmitted, 2 received");
    expect(shellBoth(copy, a, sw, "ping -c 1 10.0.0.1")).toContain("1 received");
  });

  it("a shell process holds no network card capability", () => {
    const { sw, a, b } = bootPair();
    const out = shellBoth(a, b, sw, "caps");
    expect(out).toContain("endpoint");
    expect(out).not.toContain("device");
    const probe = shellBoth(a, b, sw, "nictest");
    expect(probe).toContain("nictest: slot 21: nic_send: no capability in that slot");
    expect(probe).toContain("nictest: slot 0: nic_send: not a network card capability");
    expect(probe).toContain("nictest: no slot reaches the network card");
  });

  it("malformed frames (fast-check) crash neither netd nor the kernel, and ping still works after them", () => {
    const { sw, a, b } = bootPair();
    const before = memoryBaseline(b);
    fc.assert(fc.property(
      fc.array(fc.oneof(
        fc.uint8Array({ minLength: 0, maxLength: 1600 }),
        // Frames aimed at B that get past the MAC check: broken ARP and IPv4.
        fc.tuple(fc.constantFrom(0x0806, 0x0800), fc.uint8Array({ minLength: 0, maxLength: 200 })).map(([type, body]) => {
          const f = new Uint8Array(14 + body.length);
          f.set(MAC_B, 0);
          f.set([2, 0, 0, 0, 0, 0x0e], 6);
          f[12] = type >> 8; f[13] = type & 0xff;
          f.set(body, 14);
          if (type === 0x0800 && body.length > 0) f[14] = 0x45; // an IPv4 version nibble, so the deeper checks run
          return f;
        }),
        // Sound IPv4 headers around random ICMP and UDP, some of them fragments.
        fc.tuple(fc.constantFrom(1, 17), fc.uint8Array({ minLength: 0, maxLength: 300 }), fc.constantFrom(0, 0, 0x2000, 0x0004))
          .map(([proto, body, flags]) => ipFrameToB(proto, body, flags)),
      ), { minLength: 1, maxLength: 20 }),
      (frames) => {
        for (const f of frames) sw.inject(f);
        settleBoth(a, b, sw);
        for (const h of [a, b]) expect(h.machine.state === "running" || h.machine.state === "idle").toBe(true);
      },
    ), { numRuns: 15 });
    const out = shellBoth(a, b, sw, "ping -c 1 10.0.0.2");
    expect(out).toContain("1 packets transmitted, 1 received");
    expect(b.output).not.toContain("netd exited");
    expectMemoryBack(b, before, "malformed frames");
    const stats = shellBoth(b, a, sw, "ifconfig");
    expect(stats).toContain("net0: inet 10.0.0.2/24 ether 02:00:00:00:00:0b");
    const bad = /frames (\d+) bad (\d+)/.exec(stats)!;
    const ip = /ip in (\d+) bad (\d+) fragments (\d+)/.exec(stats)!;
    expect(Number(bad[2]) + Number(ip[2]) + Number(ip[3])).toBeGreaterThan(0); // the junk was seen and counted
    const udp = /udp in \d+ sent \d+ bad (\d+) no-port (\d+)/.exec(stats)!;
    const icmp = /icmp bad (\d+)/.exec(stats)!;
    expect(Number(udp[1]) + Number(udp[2]) + Number(icmp[1])).toBeGreaterThan(0); // and reached the ICMP and UDP parsers
    expect(sw.stats().malformed + b.machine.nic.counters().rxFrames).toBeGreaterThan(0);
  });
});
