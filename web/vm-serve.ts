// One `./vm/<machine>/...` request carried out (docs/service-worker.md):
// an HTTP/1.1 exchange with port 80 of the machine through a host-side
// HTTP client on the machine's switch (host/net/netif.ts and
// host/net/http-client.ts), every reply posted on the service worker's
// port (web/vm-protocol.ts). Two places own such a client: a lone
// machine's worker (web/net-worker.ts, its own switch) and the page of a
// cluster (web/cluster/cluster.ts, the page's switch). No DOM.

import type { NetInterface } from "../host/net/netif";
import { httpExchange } from "../host/net/http-client";
import type { VmReply, VmRequest } from "./vm-protocol";

/** The HTTP client's MAC and address on a switch (locally administered; the emulated network only). */
export const HTTP_HOST_MAC = Uint8Array.of(2, 0, 0, 0, 0, 0xfe);
/** Below the gateway's DHCP pool (10.0.0.10-127) and mapped names (128-254). */
export const HTTP_HOST_ADDRESS = "10.0.0.9";
/** How often the HTTP client's TCP timers run while a request is open. */
export const HTTP_TICK_MS = 20;

/** Posts an error page's reply and closes the port. */
export function failVm(port: MessagePort, status: number, title: string, detail: string): void {
  const reply: VmReply = { type: "error", status, title, detail };
  port.postMessage(reply);
  port.close();
}

/** Connects `nif` to port 80 of `address` and streams the answer to `port`; `done` runs once, at the end or an error. */
export function serveVmRequest(nif: NetInterface, request: VmRequest, address: string, port: MessagePort, done: () => void): void {
  const send = (reply: VmReply, transfer: Transferable[] = []) => port.postMessage(reply, transfer);
  let closed = false;
  const finish = () => {
    if (closed) return;
    closed = true;
    port.close();
    done();
  };
  const exchange = httpExchange(nif.connect(address, 80), `${request.machine} (${address}:80)`, {
    method: request.method, target: request.target, host: request.machine, headers: request.headers, body: request.body,
  }, {
    head: (status, statusText, headers) => send({ type: "head", status, statusText, headers }),
    body: (bytes) => send({ type: "body", bytes }, [bytes.buffer]),
    end: () => {
      send({ type: "end" });
      finish();
    },
    error: (status, title, detail) => {
      send({ type: "error", status, title, detail });
      finish();
    },
  });
  // The service worker went away (the tab that asked closed): nobody reads on.
  port.addEventListener("close", () => exchange.abort("the browser stopped reading"));
}
