// The page's machine on a network (docs/network.md, "In the page"): the
// worker's side. One virtual switch per worker (host/net/switch.ts), the
// machine's NIC on it behind a packet capture (host/net/capture.ts), and
// the Network panel's `net` query answered from the NIC, the capture and
// netd's exported state (host/net/netview.ts). Host-side endpoints (the
// host's TCP, for the service worker's requests to an httpd in the
// machine) attach with attachHost(), whose frames make the switch pump at
// once; the machine's frames are pumped after every slice of its run loop.
//
// web/worker.ts uses it through three hooks: machineNet() for the
// machine's config, afterSlice() from the run loop's tick, and answer()
// for `net` queries.

import type { Machine } from "../host/machine";
import type { NetBackend, NetEndpoint, NetLink } from "../host/net/backend";
import { PacketCapture } from "../host/net/capture";
import { NetdReader, netView } from "../host/net/netview";
import { VirtualSwitch } from "../host/net/switch";
import { Gateway } from "../host/net/gateway";
import { NetInterface } from "../host/net/netif";
import type { InspectResult } from "../host/inspect-types";
import type { VmRequest } from "./vm-protocol";
import { HTTP_HOST_ADDRESS, HTTP_HOST_MAC, HTTP_TICK_MS, failVm, serveVmRequest } from "./vm-serve";

/** The page machine's MAC and address (locally administered; the emulated network only). */
export const PAGE_MAC = Uint8Array.of(2, 0, 0, 0, 0, 2);
/** The page's gateway (host/net/gateway.ts): ARP, ping, DNS, and HTTP out through the page's fetch. */
export const GATEWAY_MAC = Uint8Array.of(2, 0, 0, 0, 0, 1);
export const GATEWAY_ADDRESS = "10.0.0.1";
/** netd's static address, with the gateway as its router and DNS server. */
export const PAGE_ADDRESS = `10.0.0.2/24,${GATEWAY_ADDRESS}`;

/** The page's HTTP client on the switch, for the service worker's ./vm/
 *  routes (docs/service-worker.md): web/vm-serve.ts. */
export { HTTP_HOST_ADDRESS, HTTP_HOST_MAC };

/** The address (no prefix) a kernel command line's ip= gives netd, or null. */
export function addressOf(cmdline: string): string | null {
  return /(?:^|\s)ip=(\d{1,3}(?:\.\d{1,3}){3})(?:\/\d+)?(?:[,\s]|$)/.exec(cmdline)?.[1] ?? null;
}

/** The kernel command line with ip= added when it names none (netd needs one to answer). */
export function withAddress(cmdline: string, address = PAGE_ADDRESS): string {
  if (/(^|\s)ip=/.test(cmdline)) return cmdline;
  return cmdline.trim() === "" ? `ip=${address}` : `${cmdline} ip=${address}`;
}

export class PageNet {
  readonly switch = new VirtualSwitch("page");
  private capture: PacketCapture | null = null;
  private readonly reader = new NetdReader();
  private machine: Machine | null = null;
  private pumpTimer: ReturnType<typeof setTimeout> | null = null;
  readonly gateway: Gateway;
  /** The machine's card is on the cluster's wire, not this switch. */
  private wired = false;
  private http: NetInterface | null = null;
  private httpOpen = 0;
  private httpTicker: ReturnType<typeof setInterval> | null = null;

  /** Called when frames were delivered to the machine (so its run loop should look). */
  constructor(private readonly kick: () => void, hosts?: Record<string, string>) {
    // The page's fetch: CORS applies (a site that does not allow this origin is a 502 to the guest),
    // and an https page fetches https (the browser refuses http from it as mixed content).
    const https = typeof location !== "undefined" && location.protocol === "https:";
    this.gateway = new Gateway({ attach: (endpoint) => this.attachHost(endpoint) }, {
      mac: GATEWAY_MAC, ip: GATEWAY_ADDRESS, prefix: 24, poolStart: "10.0.0.10", poolEnd: "10.0.0.127",
      mappedStart: "10.0.0.128", mappedEnd: "10.0.0.254", now: () => this.machine?.virtualNowNs ?? 0, scheme: https ? "https" : "http", hosts,
    });
  }

  /** The NIC config for a new machine; `now` is its virtual clock. `wire`
   *  is the cluster's port when the page runs the switch (web/cluster/);
   *  null: the worker's own switch. Every machine the worker builds gets a
   *  new capture (and the old card leaves the switch). */
  machineNet(now: () => number, wire: { backend: NetBackend; mac: Uint8Array } | null): { backend: NetBackend; mac: Uint8Array } {
    this.capture = new PacketCapture(now);
    this.wired = wire !== null;
    return { backend: this.capture.wrap(wire?.backend ?? this.switch), mac: wire?.mac ?? PAGE_MAC };
  }

  /** The machine the `net` query looks at (and whose card leaves the switch when replaced). */
  adopt(machine: Machine): void {
    if (this.machine !== null && this.machine !== machine) this.machine.nic.unplug();
    this.machine = machine;
  }

  /** A host-side endpoint on the switch; its frames are delivered without waiting for a slice. */
  attachHost(endpoint: NetEndpoint): NetLink {
    const link = this.switch.attach(endpoint);
    return {
      transmit: (frame) => {
        link.transmit(frame);
        this.pumpSoon();
      },
      get up() { return link.up; },
      detach: () => link.detach(),
    };
  }

  /** Between slices: delivers what the machine sent. */
  afterSlice(): void {
    this.gateway.tick();
    if (this.switch.queued > 0) this.pump();
    if (this.httpOpen > 0) this.http?.tick();
  }

  /** A ./vm/ request for this worker's machine, at `address` (its ip=):
   *  an HTTP/1.1 exchange with port 80 through the page's HTTP client on
   *  the switch, every reply posted on `port` (web/vm-protocol.ts). */
  serveHttp(request: VmRequest, address: string | null, port: MessagePort): void {
    const fail = (status: number, title: string, detail: string) => failVm(port, status, title, detail);
    if (this.machine === null) return fail(503, "The machine is not running", `${request.machine} has not booted yet (or failed to): try again once its shell is up.`);
    if (this.wired) {
      // The page's cluster answers for its machines (web/cluster/cluster.ts); only a page that asked the worker anyway lands here.
      return fail(502, "Asked the wrong side", `${request.machine}'s card is on the page's switch: the page's HTTP client serves it, not its worker.`);
    }
    if (address === null) return fail(503, "The machine has no address", `${request.machine}'s kernel command line gives netd no ip=.`);
    const machine = this.machine;
    this.http ??= new NetInterface({ attach: (endpoint) => this.attachHost(endpoint) }, {
      mac: HTTP_HOST_MAC, ip: HTTP_HOST_ADDRESS, prefix: 24, now: () => this.machine?.virtualNowNs ?? machine.virtualNowNs,
    });
    const nif = this.http;
    this.httpOpen++;
    this.httpTicker ??= setInterval(() => {
      nif.tick();
      if (this.switch.queued > 0) this.pump();
    }, HTTP_TICK_MS);
    serveVmRequest(nif, request, address, port, () => {
      if (--this.httpOpen === 0 && this.httpTicker !== null) {
        clearInterval(this.httpTicker);
        this.httpTicker = null;
      }
    });
    this.kick();
  }

  answer(packetsFrom: number): InspectResult {
    if (this.machine === null) return { what: "error", message: "No machine is running." };
    return { what: "net", net: netView(this.machine, this.reader, this.capture, packetsFrom) };
  }

  private pumpSoon(): void {
    this.pumpTimer ??= setTimeout(() => {
      this.pumpTimer = null;
      this.pump();
    }, 0);
  }

  private pump(): void {
    // Host endpoints may answer while receiving: pump until quiet (bounded).
    let delivered = 0;
    for (let round = 0; round < 8 && this.switch.queued > 0; round++) delivered += this.switch.pump();
    if (delivered > 0) this.kick();
  }
}
