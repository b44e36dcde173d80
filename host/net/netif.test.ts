// The host's TCP endpoint against netd's C stack through the virtual switch:
// a NetInterface on the host fetches a page from httpd inside a Keel
// machine (what the page's service worker will do), over a clean wire and
// over one that loses, duplicates and reorders frames.

import { describe, expect, it } from "vitest";
import { MachineHarness, userlandModules } from "../testing/machine-harness.js";
import { VirtualSwitch } from "./switch.js";
import { NetInterface } from "./netif.js";
import type { TcpStream } from "./tcp.js";

const MAC_GUEST = Uint8Array.of(2, 0, 0, 0, 0, 0x0a);
const MAC_HOST = Uint8Array.of(2, 0, 0, 0, 0, 0x99);

function run(h: MachineHarness, sw: VirtualSwitch, nif: NetInterface, done: () => boolean, maxMs = 60_000): void {
  const start = performance.now();
  while (!done()) {
    if (performance.now() - start > maxMs) throw new Error(`timed out; guest printed:\n${h.output}`);
    const r = h.machine.runFor(5);
    if (r.state === "halted" || r.state === "panicked") throw new Error(`machine ${r.state}\n${h.output}`);
    sw.pump();
    nif.tick();
  }
}

function fetchFromHttpd(impair: boolean): { response: string; guest: string; retransmits: number } {
  const sw = new VirtualSwitch();
  const h = new MachineHarness({
    ramBytes: 64 * 1024 * 1024, clock: "realtime", cmdline: "ip=10.0.0.2/24", modules: userlandModules(), nic: { backend: sw, mac: MAC_GUEST },
  }).boot();
  const nif = new NetInterface(sw, { mac: MAC_HOST, ip: "10.0.0.9", prefix: 24, now: () => h.machine.virtualNowNs });
  run(h, sw, nif, () => h.output.includes("\n$ "));
  h.machine.input("httpd -n 1\r");
  run(h, sw, nif, () => h.output.includes("httpd"));
  if (impair) sw.impair({ seed: 7, loss: 0.1, duplicate: 0.1, reorder: 0.2 });
  const chunks: Uint8Array[] = [];
  let ended = false;
  let stream: TcpStream | undefined;
  const started = () => {
    stream = nif.connect("10.0.0.2", 80);
    stream.onConnect(() => stream!.write("GET / HTTP/1.1\r\nHost: 10.0.0.2\r\nConnection: close\r\n\r\n"));
    stream.onData((c) => chunks.push(c));
    stream.onEnd(() => { ended = true; stream!.close(); });
  };
  // httpd prints nothing until a request: give it a moment to listen, then connect.
  const listening = h.machine.virtualNowNs + 100e6;
  run(h, sw, nif, () => h.machine.virtualNowNs > listening);
  started();
  run(h, sw, nif, () => ended);
  const response = new TextDecoder().decode(Buffer.concat(chunks));
  return { response, guest: h.output, retransmits: nif.tcp.stats.retransmits };
}

describe("the host's TCP endpoint against netd", () => {
  it("fetches a page from httpd inside a Keel machine", () => {
    const { response } = fetchFromHttpd(false);
    expect(response).toMatch(/^HTTP\/1\.1 200 /);
    const [head, body] = response.split("\r\n\r\n");
    const length = Number(/Content-Length: (\d+)/i.exec(head!)![1]);
    expect(new TextEncoder().encode(body!).length).toBe(length);
  });

  it("gets the same page whole over a wire that loses, duplicates and reorders frames", () => {
    const clean = fetchFromHttpd(false).response;
    const rough = fetchFromHttpd(true);
    expect(rough.response).toBe(clean);
  });
});
