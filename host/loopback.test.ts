// The loopback interface inside one machine (docs/network.md "Loopback"):
// netd delivers packets for 127.0.0.0/8 and for its own address to itself,
// never to the card. On a machine without a card netd runs with lo alone;
// on one with a card, its own address stays off the wire, and a frame from
// the wire that claims a loopback address (or netd's own as its source) is
// dropped, not answered.

import { describe, expect, it } from "vitest";
import { MachineHarness, userlandModules } from "./testing/machine-harness.js";
import { VirtualSwitch } from "./net/switch.js";
import { internetChecksum } from "./net/tcp.js";
import { MAC_A, netMachine } from "./testing/net-pair.js";

/** Runs the machine (and the switch, if any) until `done` holds; throws after maxMs of wall time. */
function runUntil(h: MachineHarness, done: () => boolean, maxMs: number, sw?: VirtualSwitch): void {
  const start = performance.now();
  while (!done()) {
    if (performance.now() - start > maxMs) throw new Error(`timed out; the machine printed:\n${h.output.slice(-3000)}`);
    const r = h.machine.runFor(5);
    if (r.state === "halted" || r.state === "panicked") throw new Error(`machine ${r.state}: ${h.machine.panicText}\n${h.output}`);
    sw?.pump();
  }
}

function shell(h: MachineHarness, line: string, maxMs = 60_000, sw?: VirtualSwitch): string {
  const mark = h.output.length;
  h.machine.input(`${line}\r`);
  runUntil(h, () => /\n\$ $/.test(h.since(mark)), maxMs, sw);
  return h.since(mark);
}

/** Starts httpd in the background and waits until it listens (a line typed
 *  before its first output can be lost in the console's redraw). */
function startHttpd(h: MachineHarness, sw?: VirtualSwitch): void {
  const mark = h.output.length;
  h.machine.input("httpd -n 1 &\r");
  runUntil(h, () => h.since(mark).includes("httpd: serving / on port 80\n"), 30_000, sw);
}

/** A machine with no network card (the default: no `nic` in its config). */
function bootWithoutCard(): MachineHarness {
  const h = new MachineHarness({ ramBytes: 64 << 20, clock: "realtime", modules: userlandModules() }).boot();
  runUntil(h, () => h.output.includes("\n$ "), 60_000);
  return h;
}

function loCounters(ifconfig: string): { packets: number; bytes: number; dropped: number } {
  const m = /lo: inet 127\.0\.0\.1\/8 loopback\n {2}packets (\d+) bytes (\d+) dropped (\d+)/.exec(ifconfig);
  if (!m) throw new Error(`no lo in ifconfig:\n${ifconfig}`);
  return { packets: Number(m[1]), bytes: Number(m[2]), dropped: Number(m[3]) };
}

/** A sound ICMP echo request frame from `src` to `dst` (addresses as 32-bit numbers) for the card at `mac`. */
function echoFrame(mac: Uint8Array, src: number, dst: number): Uint8Array {
  const icmp = new Uint8Array(16);
  icmp.set([8, 0, 0, 0, 0x12, 0x34, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8]);
  const isum = internetChecksum(icmp);
  icmp[2] = isum >> 8; icmp[3] = isum & 0xff;
  const ip = new Uint8Array(20 + icmp.length);
  ip.set([0x45, 0, 0, ip.length, 0, 7, 0, 0, 64, 1, 0, 0]);
  new DataView(ip.buffer).setUint32(12, src >>> 0);
  new DataView(ip.buffer).setUint32(16, dst >>> 0);
  const sum = internetChecksum(ip.subarray(0, 20));
  ip[10] = sum >> 8; ip[11] = sum & 0xff;
  ip.set(icmp, 20);
  const f = new Uint8Array(14 + ip.length);
  f.set(mac, 0);
  f.set([2, 0, 0, 0, 0, 0x77], 6);
  f[12] = 0x08;
  f.set(ip, 14);
  return f;
}

function netdCounter(h: MachineHarness, name: string): number {
  const m = new RegExp(`${name} (\\d+)`).exec(shell(h, "ifconfig"));
  if (!m) throw new Error(`no ${name} in ifconfig`);
  return Number(m[1]);
}

describe("loopback without a network card", () => {
  it("netd comes up with lo alone: ifconfig lists lo and no card, ping 127.0.0.1 and an address in 127/8 answer", () => {
    const h = bootWithoutCard();
    expect(h.output).toContain("netd: no network card: loopback only, 127.0.0.1/8\n");
    expect(h.output).toContain("init: network service started: netd\n");
    const ifconfig = shell(h, "ifconfig");
    expect(ifconfig).not.toContain("net0:");
    expect(loCounters(ifconfig)).toEqual({ packets: 0, bytes: 0, dropped: 0 });
    const ping = shell(h, "ping -c 3 127.0.0.1");
    expect(ping).toContain("64 bytes from 127.0.0.1: icmp_seq=3 ttl=64");
    expect(ping).toContain("3 packets transmitted, 3 received, 0% packet loss");
    // Any address in 127.0.0.0/8 is this machine, and the reply comes from the address pinged.
    expect(shell(h, "ping -c 1 127.1.2.3")).toContain("64 bytes from 127.1.2.3: icmp_seq=1");
    // Three requests and three replies, then one and one: 84 bytes each (20 + 8 + 56).
    expect(loCounters(shell(h, "ifconfig"))).toEqual({ packets: 8, bytes: 8 * 84, dropped: 0 });
    // Anything not on lo is unreachable: there is no card and no address.
    expect(shell(h, "ping -c 1 10.0.0.2")).toMatch(/ping: .*(no address|not on the local network)/);
  }, 120_000);

  it("nc -l and nc 127.0.0.1 exchange a line, and a closed port refuses at once", () => {
    const h = bootWithoutCard();
    expect(shell(h, "echo hi | nc 127.0.0.1 7001")).toContain("nc: connect: connection refused");
    const mark = h.output.length;
    h.machine.input("nc -d -l 7000 &\r");
    runUntil(h, () => /\n\$ $/.test(h.since(mark)), 30_000);
    shell(h, "sleep 2");
    const reply = shell(h, "echo hello over lo | nc 127.0.0.1 7000");
    runUntil(h, () => h.since(mark).includes("hello over lo\n"), 30_000);
    const all = h.since(mark);
    expect(all).toMatch(/nc: connection from 127\.0\.0\.1:\d+\n/);
    expect(all).toContain("hello over lo\n");
    expect(reply).not.toContain("refused");
    const netstat = shell(h, "netstat");
    expect(netstat).toMatch(/tcp\s+127\.0\.0\.1:\d+\s+127\.0\.0\.1:\d+\s+TIME_WAIT/); // the side that closed first
  }, 120_000);

  it("a UDP datagram to 127.0.0.1 reaches udp echo and its echo comes back", () => {
    const h = bootWithoutCard();
    const mark = h.output.length;
    h.machine.input("udp echo 7 1 &\r");
    runUntil(h, () => h.since(mark).includes("udp: echoing on port 7\n"), 30_000);
    const reply = shell(h, "udp send 127.0.0.1 7 over lo");
    expect(reply).toMatch(/udp: 7 bytes from 127\.0\.0\.1:\d+: over lo\n/);
    expect(reply).toContain("udp: reply from 127.0.0.1:7, 7 bytes: over lo\n");
  }, 120_000);

  it("wget fetches a file httpd serves on 127.0.0.1 byte for byte; httpd sleeps while it waits in accept", () => {
    const h = bootWithoutCard();
    startHttpd(h);
    shell(h, "sleep 20");
    // Waiting in accept is one call and a sleep: netd once woke the caller
    // of its own NETD_SOCK_ACCEPT, and httpd and netd then switched some
    // twenty thousand times a second.
    const ps = shell(h, "ps");
    const row = / (\d+) +\d+ +\d+ +httpd\n/.exec(ps);
    expect(row, ps).not.toBeNull();
    expect(Number(row![1])).toBeLessThan(50);
    const fetched = shell(h, "wget -q http://127.0.0.1/README | cksum");
    const local = shell(h, "cksum /README");
    const want = /(\d+ \d+) \/README/.exec(local)![1]!;
    expect(fetched).toContain(`${want}\n`);
    expect(fetched).toMatch(/httpd: 127\.0\.0\.1 GET \/README 200 \d+/);
  }, 120_000);

  it("a 4 MiB TCP stream over lo arrives whole and in order (pattern -v checks every byte)", () => {
    const h = bootWithoutCard();
    const bytes = 4 << 20;
    const mark = h.output.length;
    h.machine.input(`nc -d -l 5000 | pattern -v ${bytes} 7 &\r`);
    runUntil(h, () => /\n\$ $/.test(h.since(mark)), 30_000);
    shell(h, "sleep 2");
    const sender = shell(h, `pattern ${bytes} 7 | nc 127.0.0.1 5000`, 240_000);
    runUntil(h, () => h.since(mark).includes("pattern: "), 60_000);
    expect(h.since(mark)).toContain(`pattern: ${bytes} bytes ok\n`);
    expect(sender).not.toMatch(/nc: (?!connection from)|pattern: (?!4194304 bytes ok)/); // the console is shared: only the receiver's lines
    const lo = loCounters(shell(h, "ifconfig"));
    expect(lo.bytes).toBeGreaterThan(bytes); // the data and its headers went through lo
    expect(lo.packets).toBeGreaterThan(bytes / 1460);
  }, 300_000);
});

describe("loopback on a machine with a card", () => {
  it("its own address and 127.0.0.1 never reach the wire; ifconfig lists net0 and lo", () => {
    const sw = new VirtualSwitch("lo");
    const h = netMachine(sw, MAC_A, "10.0.0.1/24").boot();
    runUntil(h, () => h.output.includes("\n$ "), 60_000, sw);
    const ifconfig = shell(h, "ifconfig", 30_000, sw);
    expect(ifconfig).toContain("net0: inet 10.0.0.1/24");
    expect(ifconfig).toContain("lo: inet 127.0.0.1/8 loopback");
    const sent = h.machine.nic.counters().txFrames;
    expect(shell(h, "ping -c 2 10.0.0.1", 30_000, sw)).toContain("64 bytes from 10.0.0.1: icmp_seq=2");
    expect(shell(h, "ping -c 2 127.0.0.1", 30_000, sw)).toContain("2 packets transmitted, 2 received");
    startHttpd(h, sw);
    expect(shell(h, "wget -q http://10.0.0.1/README | wc -c", 30_000, sw)).toMatch(/httpd: 10\.0\.0\.1 GET \/README 200/);
    expect(h.machine.nic.counters().txFrames).toBe(sent); // not one frame (not even ARP) went to the card
    expect(loCounters(shell(h, "ifconfig", 30_000, sw)).packets).toBeGreaterThan(8);
  }, 120_000);

  it("a frame from the wire with a loopback or its own source address is dropped, not answered", () => {
    const sw = new VirtualSwitch("lo");
    const h = netMachine(sw, MAC_A, "10.0.0.1/24").boot();
    runUntil(h, () => h.output.includes("\n$ "), 60_000, sw);
    const answeredBefore = netdCounter(h, "echo answered");
    const otherBefore = Number(/ip in \d+ bad \d+ fragments \d+ other (\d+)/.exec(shell(h, "ifconfig", 30_000, sw))![1]);
    const me = 0x0a000001;
    // From 127.0.0.1 to us, from us to us, and to 127.0.0.1: each would have been answered over lo.
    for (const [src, dst] of [[0x7f000001, me], [me, me], [0x0a000002, 0x7f000001]] as const) sw.inject(echoFrame(MAC_A, src, dst));
    shell(h, "sleep 2", 30_000, sw);
    const after = shell(h, "ifconfig", 30_000, sw);
    expect(Number(/echo answered (\d+)/.exec(after)![1])).toBe(answeredBefore);
    expect(Number(/ip in \d+ bad \d+ fragments \d+ other (\d+)/.exec(after)![1])).toBe(otherBefore + 3);
    // A sound echo from a neighbour is still answered (the frame builder is right).
    sw.inject(echoFrame(MAC_A, 0x0a000002, me));
    shell(h, "sleep 2", 30_000, sw);
    expect(netdCounter(h, "echo answered")).toBe(answeredBefore + 1);
  }, 120_000);
});
