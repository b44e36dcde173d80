// The messages of a `./vm/<machine>/...` request (docs/service-worker.md):
// the service worker (web/sw.ts) posts a VmAsk with a MessagePort to a page;
// the page (web/vm-route.ts) hands the port to the machine's worker
// (web/worker.ts, host/net/http-client.ts), which answers on it with
// VmReply messages: accepted, a head, body chunks, the end; or an error before the
// head, or "no-machine" from a page that has no machine of that name.
// Types only: a module the page and sw.js both imported code from would
// become a chunk they share, and sw.js must stay one classic script.

export interface VmRequest {
  machine: string;
  method: string;
  /** Path and query for the machine: "/index.html?x=1". */
  target: string;
  headers: [string, string][];
  body: Uint8Array | null;
}

/** Service worker to page: `port` (the message's one transferred port) takes the replies. */
export interface VmAsk {
  type: "keel-vm-request";
  request: VmRequest;
}

export type VmReply =
  /** The page has the machine and is asking it: the head may now take longer. */
  | { type: "accepted" }
  | { type: "head"; status: number; statusText: string; headers: [string, string][] }
  | { type: "body"; bytes: Uint8Array }
  | { type: "end" }
  /** Before the head: the route answers with an error page of this status. After it: the body is cut off. */
  | { type: "error"; status: number; title: string; detail: string }
  | { type: "no-machine"; machines: string[] };
