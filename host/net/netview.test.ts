// The Network panel's view (host/net/netview.ts) of a real machine: two
// Keel machines on the switch, the second one's NIC behind a packet
// capture; a ping from the first shows in the capture as decoded echo
// request and reply, and a listening nc shows in netd's exported sockets as
// netstat shows it.

import { describe, expect, it } from "vitest";
import { MachineHarness, userlandModules } from "../testing/machine-harness.js";
import { VirtualSwitch } from "./switch.js";
import { PacketCapture } from "./capture.js";
import { readFileSync } from "node:fs";
import { NETSTATS_FIELDS, NetdReader, netView } from "./netview.js";
import { EchoHost } from "./echo-host.js";

/** Runs both machines (5 ms slices) and the switch until done() holds. */
function runBoth(a: MachineHarness, b: MachineHarness, sw: VirtualSwitch, done: () => boolean): void {
  const start = performance.now();
  while (!done()) {
    if (performance.now() - start > 60_000) throw new Error(`timed out; A:\n${a.output.slice(-2000)}\nB:\n${b.output.slice(-2000)}`);
    for (const h of [a, b]) h.machine.runFor(5);
    sw.pump();
  }
}

function shellBoth(h: MachineHarness, other: MachineHarness, sw: VirtualSwitch, line: string): string {
  const mark = h.output.length;
  h.machine.input(`${line}\r`);
  runBoth(h, other, sw, () => /\n\$ $/.test(h.since(mark)));
  return h.since(mark);
}

describe("netView", () => {
  it("reads struct netstats field for field as user/include/net.h declares it", () => {
    // The export puts netstats before the sockets, so a field added in C and
    // not here moves every socket (the DHCP fields once did).
    const header = readFileSync(new URL("../../user/include/net.h", import.meta.url), "utf8");
    const body = /struct netstats \{([^}]*)\};/.exec(header)![1]!;
    const fields = [...body.matchAll(/^\s*uint64 (\w+);/gm)].map((m) => m[1]);
    expect(fields.length).toBeGreaterThan(20);
    expect([...NETSTATS_FIELDS]).toEqual(fields);
  });

  it("shows the NIC, a ping's echo request and reply, and a listening socket", () => {
    const sw = new VirtualSwitch();
    const a = new MachineHarness({
      ramBytes: 64 << 20, clock: "realtime", cmdline: "ip=10.0.0.1/24", modules: userlandModules(),
      nic: { backend: sw, mac: Uint8Array.of(2, 0, 0, 0, 0, 0x0a) },
    }).boot();
    let b!: MachineHarness;
    const capture = new PacketCapture(() => b.machine.virtualNowNs, 64);
    b = new MachineHarness({
      ramBytes: 64 << 20, clock: "realtime", cmdline: "ip=10.0.0.2/24", modules: userlandModules(),
      nic: { backend: capture.wrap(sw), mac: Uint8Array.of(2, 0, 0, 0, 0, 0x0b) },
    }).boot();
    runBoth(a, b, sw, () => a.output.includes("\n$ ") && b.output.includes("\n$ "));
    const reader = new NetdReader();

    expect(shellBoth(a, b, sw, "ping -c 2 10.0.0.2")).toContain("2 received");
    const view = netView(b.machine, reader, capture, 0);
    expect(view.nic).toMatchObject({ mac: "02:00:00:00:00:0b", link: true });
    expect(view.nic!.counters.rxFrames).toBeGreaterThanOrEqual(3);
    const lines = view.packets.map((p) => `${p.dir} ${p.decoded.summary}`);
    expect(lines).toContain("in ARP who has 10.0.0.2? tell 10.0.0.1");
    expect(lines).toContain("out ARP 10.0.0.2 is at 02:00:00:00:00:0b");
    expect(lines.filter((l) => /^in ICMP 10\.0\.0\.1 → 10\.0\.0\.2 echo request id=\d+ seq=\d+ len=64 ttl=64$/.test(l))).toHaveLength(2);
    expect(lines.filter((l) => /^out ICMP 10\.0\.0\.2 → 10\.0\.0\.1 echo reply id=\d+ seq=\d+ len=64 ttl=64$/.test(l))).toHaveLength(2);
    expect(view.packetsNext).toBe(view.packets.length);
    expect(netView(b.machine, reader, capture, view.packetsNext).packets).toEqual([]);
    expect(view.netd).toMatchObject({ address: "10.0.0.2/24" });
    expect(view.netd!.stats.echo_answered).toBe(2);

    b.machine.input("nc -l 7000 &\r");
    runBoth(a, b, sw, () => netView(b.machine, reader, capture, 0).netd?.sockets.some((s) => s.state === "LISTEN") === true);
    const listening = netView(b.machine, reader, capture, 0).netd!.sockets;
    expect(listening).toContainEqual(expect.objectContaining({ proto: "tcp", local: "10.0.0.2:7000", remote: "*:*", state: "LISTEN" }));
    // netstat, asking netd over its capability, sees the same.
    expect(shellBoth(b, a, sw, "netstat")).toMatch(/tcp\s+10\.0\.0\.2:7000\s+\*:\*\s+LISTEN/);
  }, 120_000);

  it("the echo host answers a machine's ARP and ping, and nothing else", () => {
    const sw = new VirtualSwitch();
    const host = new EchoHost(sw, Uint8Array.of(2, 0, 0, 0, 0, 1), "10.0.0.1");
    const m = new MachineHarness({
      ramBytes: 64 << 20, clock: "realtime", cmdline: "ip=10.0.0.2/24", modules: userlandModules(),
      nic: { backend: sw, mac: Uint8Array.of(2, 0, 0, 0, 0, 2) },
    }).boot();
    const run = (done: () => boolean): void => {
      const start = performance.now();
      while (!done()) {
        if (performance.now() - start > 60_000) throw new Error(`timed out:\n${m.output.slice(-2000)}`);
        m.machine.runFor(5);
        sw.pump();
      }
    };
    run(() => m.output.includes("\n$ "));
    let mark = m.output.length;
    m.machine.input("ping -c 2 10.0.0.1\r");
    run(() => /\n\$ $/.test(m.since(mark)));
    expect(m.since(mark)).toContain("2 received");
    expect(host.answered).toEqual({ arp: 1, echo: 2 });
    mark = m.output.length;
    m.machine.input("ping -c 1 10.0.0.9\r");
    run(() => /\n\$ $/.test(m.since(mark)));
    expect(m.since(mark)).toContain("0 received");
    expect(host.answered).toEqual({ arp: 1, echo: 2 });
    // Garbage on the wire is ignored.
    for (const n of [0, 14, 42, 60]) sw.inject(new Uint8Array(n).fill(0xff));
    sw.pump();
    expect(host.answered).toEqual({ arp: 1, echo: 2 });
  }, 120_000);

  it("a capture keeps the newest frames of a bounded ring", () => {
    let t = 0;
    const c = new PacketCapture(() => t++, 4);
    for (let i = 0; i < 10; i++) c.record(i % 2 ? "in" : "out", new Uint8Array(14 + i));
    expect(c.recorded).toBe(10);
    expect(c.since(0).map((f) => f.seq)).toEqual([6, 7, 8, 9]);
    expect(c.since(8).map((f) => f.length)).toEqual([22, 23]);
    expect(c.since(0, 1).map((f) => f.seq)).toEqual([9]);
    expect(c.since(10)).toEqual([]);
  });
});
