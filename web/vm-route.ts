// The page's end of the `./vm/<machine>/...` route (docs/service-worker.md):
// the service worker (web/sw.ts) posts a VmAsk with a port; the page looks
// the machine up among its own (web/cluster/registry.ts) and hands the port
// to that machine's worker, which fetches from the machine's httpd
// (web/worker.ts, host/net/http-client.ts) and answers on the port itself;
// for a cluster's machines the page's own HTTP client on the page's switch
// does that (web/cluster/cluster.ts).
// A name the page does not have is answered at once with the names it has,
// so the service worker can ask another tab.

import { listMachines, machineNamed } from "./cluster/registry";
import type { PageToWorker } from "./protocol";
import type { VmAsk, VmReply } from "./vm-protocol";

function isAsk(data: unknown): data is VmAsk {
  return typeof data === "object" && data !== null && (data as { type?: unknown }).type === "keel-vm-request";
}

/** Answers the service worker's vm requests for as long as the page lives. */
export function serveVmRoutes(): void {
  if (!("serviceWorker" in navigator)) return;
  navigator.serviceWorker.addEventListener("message", (event: MessageEvent<unknown>) => {
    if (!isAsk(event.data)) return;
    const port = event.ports[0];
    if (port === undefined) return;
    const { request } = event.data;
    const machine = machineNamed(request.machine);
    if (machine === null) {
      const reply: VmReply = { type: "no-machine", machines: listMachines().map((m) => m.name) };
      port.postMessage(reply);
      port.close();
      return;
    }
    const accepted: VmReply = { type: "accepted" };
    port.postMessage(accepted);
    if (machine.serveHttp !== undefined) {
      machine.serveHttp(request, port); // a cluster's machine: the page's HTTP client
      return;
    }
    const message: PageToWorker = { type: "http-request", request, port };
    machine.worker.postMessage(message, [port]);
  });
  // Messages from the worker wait until the page says it listens.
  navigator.serviceWorker.startMessages();
}
