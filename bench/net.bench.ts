// `npx tsx bench/run.ts net`: the network, measured end to end, with Linux
// loopback on this machine beside it (docs/network.md "Figures").
//
// Keel: two machines in this process on the virtual switch (realtime
// clock; host/testing/net-pair.ts gives each 5 ms of wall time in turn and
// pumps the switch in between, as the tests do): TCP throughput
// (`pattern | nc` into `nc -d -l | pattern -v`, every byte checked), ping's
// average round trip, and UDP echoes per second (a host-side NetInterface on
// the switch sends a datagram to `udp echo` in B, waits for it to come back,
// sends the next).
//
// Keel loopback: one machine without a card (netd's lo alone): the same
// TCP transfer to 127.0.0.1 inside it, and ping 127.0.0.1; the host CPU
// time the process spent on the transfer is beside its wall time.
//
// Linux loopback: the same three through Node's sockets on 127.0.0.1 in
// this process (both ends on one event loop, as both Keel machines share
// one thread): a bulk TCP write, a 1-byte TCP ping-pong, a UDP ping-pong.

import { createServer, connect, type Socket } from "node:net";
import { createSocket } from "node:dgram";
import type { AddressInfo } from "node:net";
import { bootPair, runBoth, shellBoth } from "../host/testing/net-pair.js";
import { MachineHarness, userlandModules } from "../host/testing/machine-harness.js";
import { NetInterface } from "../host/net/netif.js";
import type { BenchRow } from "./run.js";

const TCP_BYTES = 4 << 20;
const UDP_SECONDS = 2;

function keel(): BenchRow[] {
  const pair = bootPair();
  const { sw, a, b } = pair;
  const rows: BenchRow[] = [];
  // TCP A → B.
  const mark = b.output.length;
  b.machine.input(`nc -d -l 5000 | pattern -v ${TCP_BYTES} 7\r`);
  runBoth(a, b, sw, () => b.since(mark).includes("\n"));
  const t0 = performance.now();
  shellBoth(a, b, sw, `pattern ${TCP_BYTES} 7 | nc 10.0.0.2 5000`, 300_000);
  runBoth(a, b, sw, () => /\n\$ $/.test(b.since(mark)), 300_000);
  const seconds = (performance.now() - t0) / 1000;
  if (!b.since(mark).includes(`pattern: ${TCP_BYTES} bytes ok`)) throw new Error(`the transfer failed:\n${b.since(mark)}`);
  rows.push({ name: `TCP throughput, two machines on the switch (${TCP_BYTES >> 20} MiB)`, value: TCP_BYTES / 2 ** 20 / seconds, unit: "MiB/s" });
  // ping.
  const ping = shellBoth(a, b, sw, "ping -c 20 10.0.0.2", 60_000);
  const rtt = /rtt min\/avg\/max = ([\d.]+)\/([\d.]+)\/([\d.]+) ms/.exec(ping);
  if (!rtt) throw new Error(`ping printed no round trips:\n${ping}`);
  rows.push({ name: "ping round trip, two machines on the switch (avg of 20)", value: Number(rtt[2]) * 1000, unit: "µs" });
  // UDP echoes between a host on the switch and B.
  const m2 = b.output.length;
  b.machine.input("udp echo 7 0 | wc &\r");
  runBoth(a, b, sw, () => /\n\$ $/.test(b.since(m2)));
  const host = new NetInterface(sw, { mac: Uint8Array.of(2, 0, 0, 0, 0, 0x09), ip: "10.0.0.9", prefix: 24, now: () => b.machine.virtualNowNs });
  let echoes = 0, waiting = false;
  const data = new TextEncoder().encode("keel udp benchmark");
  host.bindUdp(40000, () => { echoes++; waiting = false; });
  const u0 = performance.now();
  let sent = 0;
  runBoth(a, b, sw, () => {
    if (!waiting) { host.sendUdp({ srcPort: 40000, dst: 0x0a000002, dstPort: 7, data }); waiting = true; sent++; }
    host.tick();
    return performance.now() - u0 > UDP_SECONDS * 1000;
  }, 60_000);
  const useconds = (performance.now() - u0) / 1000;
  rows.push({ name: `UDP echoes per second, host ↔ \`udp echo\` (it polls each 10 ms tick; ${sent} sent)`, value: echoes / useconds, unit: "/s" });
  // UDP packets per second netd takes in: the host sends 32 datagrams per round to the bound port;
  // netd queues (8) or drops and counts each; ifconfig's udp in + dropped over the time.
  const count = (text: string) => { const m = /udp in (\d+) sent \d+ bad \d+ no-port \d+ dropped (\d+)/.exec(text); return m ? Number(m[1]) + Number(m[2]) : NaN; };
  const before = count(shellBoth(b, a, sw, "ifconfig"));
  const p0 = performance.now();
  let blasted = 0;
  runBoth(a, b, sw, () => {
    for (let i = 0; i < 32; i++) host.sendUdp({ srcPort: 40001, dst: 0x0a000002, dstPort: 7, data });
    blasted += 32;
    return performance.now() - p0 > UDP_SECONDS * 1000;
  }, 60_000);
  runBoth(a, b, sw, () => sw.queued === 0 && b.machine.nic.rxQueued === 0);
  const pseconds = (performance.now() - p0) / 1000;
  const taken = count(shellBoth(b, a, sw, "ifconfig")) - before;
  rows.push({ name: `UDP packets per second netd takes in (${taken} of ${blasted} sent)`, value: taken / pseconds, unit: "/s" });
  return rows;
}

function keelLoopback(): BenchRow[] {
  const h = new MachineHarness({ ramBytes: 64 << 20, clock: "realtime", modules: userlandModules() }).boot();
  const run = (done: () => boolean, maxMs: number) => {
    const start = performance.now();
    while (!done()) {
      if (performance.now() - start > maxMs) throw new Error(`timed out:\n${h.output.slice(-2000)}`);
      h.machine.runFor(5);
    }
  };
  const shell = (line: string, maxMs = 60_000) => {
    const mark = h.output.length;
    h.machine.input(`${line}\r`);
    run(() => /\n\$ $/.test(h.since(mark)), maxMs);
    return h.since(mark);
  };
  run(() => h.output.includes("\n$ "), 60_000);
  const rows: BenchRow[] = [];
  const bytes = TCP_BYTES * 4;
  const mark = h.output.length;
  h.machine.input(`nc -d -l 5000 | pattern -v ${bytes} 7 &\r`);
  run(() => /\n\$ $/.test(h.since(mark)), 60_000);
  shell("sleep 2");
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  shell(`pattern ${bytes} 7 | nc 127.0.0.1 5000`, 300_000);
  run(() => h.since(mark).includes("pattern: "), 300_000);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  if (!h.since(mark).includes(`pattern: ${bytes} bytes ok`)) throw new Error(`the loopback transfer failed:\n${h.since(mark)}`);
  rows.push({ name: `TCP throughput, Keel loopback in one machine (${bytes >> 20} MiB; wall time)`, value: bytes / 2 ** 20 / seconds, unit: "MiB/s" });
  rows.push({ name: "  the same transfer, per second of host CPU (user + system)", value: bytes / 2 ** 20 / ((cpu.user + cpu.system) / 1e6), unit: "MiB/s" });
  const ping = shell("ping -c 20 127.0.0.1");
  const rtt = /rtt min\/avg\/max = ([\d.]+)\/([\d.]+)\/([\d.]+) ms/.exec(ping);
  if (!rtt) throw new Error(`ping printed no round trips:\n${ping}`);
  rows.push({ name: "ping round trip, Keel loopback 127.0.0.1 (avg of 20)", value: Number(rtt[2]) * 1000, unit: "µs" });
  return rows;
}

async function linux(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  // Bulk TCP.
  {
    const total = 64 << 20;
    let got = 0;
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    const server = createServer((s) => s.on("data", (d: Buffer) => { got += d.length; if (got >= total) { s.destroy(); done(); } }));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const client = connect((server.address() as AddressInfo).port, "127.0.0.1");
    await new Promise<void>((r) => client.once("connect", () => r()));
    const chunk = Buffer.alloc(64 << 10, 7);
    const t0 = performance.now();
    for (let sent = 0; sent < total; sent += chunk.length) {
      if (!client.write(chunk)) await new Promise<void>((r) => client.once("drain", () => r()));
    }
    await finished;
    rows.push({ name: "TCP throughput, Linux loopback (Node sockets, 64 MiB)", value: total / 2 ** 20 / ((performance.now() - t0) / 1000), unit: "MiB/s" });
    client.destroy();
    server.close();
  }
  // 1-byte TCP ping-pong.
  {
    const rounds = 5000;
    const server = createServer((s) => s.on("data", (d: Buffer) => s.write(d)));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const client: Socket = connect((server.address() as AddressInfo).port, "127.0.0.1");
    client.setNoDelay(true);
    await new Promise<void>((r) => client.once("connect", () => r()));
    let n = 0;
    const t0 = performance.now();
    await new Promise<void>((r) => {
      client.on("data", () => { if (++n >= rounds) r(); else client.write("x"); });
      client.write("x");
    });
    rows.push({ name: `TCP round trip, Linux loopback (1 byte, ${rounds} rounds)`, value: ((performance.now() - t0) / rounds) * 1000, unit: "µs" });
    client.destroy();
    server.close();
  }
  // UDP ping-pong.
  {
    const echo = createSocket("udp4");
    echo.on("message", (m, from) => echo.send(m, from.port, from.address));
    await new Promise<void>((r) => echo.bind(0, "127.0.0.1", () => r()));
    const port = (echo.address() as AddressInfo).port;
    const client = createSocket("udp4");
    await new Promise<void>((r) => client.bind(0, "127.0.0.1", () => r()));
    const data = Buffer.from("keel udp benchmark");
    let echoes = 0;
    const t0 = performance.now();
    await new Promise<void>((r) => {
      client.on("message", () => {
        echoes++;
        if (performance.now() - t0 > UDP_SECONDS * 1000) r();
        else client.send(data, port, "127.0.0.1");
      });
      client.send(data, port, "127.0.0.1");
    });
    rows.push({ name: "UDP echoes per second, Linux loopback (Node dgram)", value: echoes / ((performance.now() - t0) / 1000), unit: "/s" });
    client.close();
    echo.close();
  }
  return rows;
}

export default async function bench(): Promise<BenchRow[]> {
  return [...keel(), ...keelLoopback(), ...(await linux())];
}
