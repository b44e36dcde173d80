// Keel's service worker (docs/service-worker.md), built to ./sw.js beside
// index.html (vite.config.ts), its scope the site's directory. Two jobs:
//
// 1. Cross-origin isolation from a plain static host: every same-origin
//    response it passes gets COOP: same-origin and COEP: require-corp, so
//    the page (after one reload, web/coi.ts) is crossOriginIsolated and may
//    share memory between workers (several vCPUs). A navigation with
//    `?isolate=off` is left as the server sent it. Cross-origin requests are
//    not touched; under COEP they load only with CORS or a
//    Cross-Origin-Resource-Policy header (Keel's own fetches all use CORS).
// 2. `./vm/<machine>/<path>`: asks an open Keel page (web/vm-route.ts) to
//    fetch <path> from the httpd on port 80 of its machine <machine>
//    (web/cluster/registry.ts names them keel-1, keel-2, ...), and streams
//    the answer back. No page, no such machine, no httpd, a timeout: an
//    HTML error page with the reason, never a hang.
//
// The rules are in web/sw-logic.ts (unit-tested); this file is the wiring.

import { errorPage, isolationOff, STATUS_TEXT, VM_BODY_MAX, vmRequest, vmResponseHeaders, vmRoute, withIsolation } from "./sw-logic";
import type { VmAsk, VmReply, VmRequest } from "./vm-protocol";

const sw = self as unknown as ServiceWorkerGlobalScope;

/** A page that does not answer a request within this long is passed over. */
const PAGE_ANSWER_MS = 5_000;
/** The whole head (connect, request, status line and headers) must come within this long. */
const HEAD_MS = 30_000;
/** Once streaming, the body is cut off after this long without a chunk. */
const BODY_IDLE_MS = 30_000;

sw.addEventListener("install", () => {
  void sw.skipWaiting();
});

sw.addEventListener("activate", (event) => {
  event.waitUntil(sw.clients.claim());
});

sw.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== sw.location.origin) return;
  // Chrome's devtools ask for this; fetch() would refuse it.
  if (request.cache === "only-if-cached" && request.mode !== "same-origin") return;
  const route = vmRoute(url, new URL(sw.registration.scope));
  if (route !== null) {
    if ("error" in route) event.respondWith(fail(400, "Bad machine name", route.error));
    else if (route.redirect !== null) event.respondWith(Response.redirect(new URL(route.redirect, url.origin).href, 308));
    else event.respondWith(serveVm(event, route));
    return;
  }
  if (request.mode === "navigate" && isolationOff(url)) return;
  event.respondWith(isolated(request));
});

async function isolated(request: Request): Promise<Response> {
  const response = await fetch(request);
  // Opaque and redirect responses cannot be rebuilt: passed on as they are.
  if (response.type === "opaque" || response.type === "opaqueredirect" || response.status === 0) return response;
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers: withIsolation(response.headers) });
}

function fail(status: number, title: string, detail: string): Response {
  const page = errorPage(status, title, detail);
  return new Response(page.body, { status: page.status, statusText: STATUS_TEXT[status] ?? "", headers: page.headers });
}

/** Keel pages this worker controls or could reach, the asking one first (never a vm page). */
async function keelPages(event: FetchEvent): Promise<Client[]> {
  const scope = new URL(sw.registration.scope);
  const vmPrefix = `${scope.pathname}vm/`;
  const all = await sw.clients.matchAll({ type: "window", includeUncontrolled: true });
  const pages = all.filter((client) => {
    const url = new URL(client.url);
    return url.origin === scope.origin && url.pathname.startsWith(scope.pathname) && !url.pathname.startsWith(vmPrefix);
  });
  const first = pages.findIndex((client) => client.id === event.clientId);
  if (first > 0) pages.unshift(...pages.splice(first, 1));
  return pages;
}

async function serveVm(event: FetchEvent, route: { machine: string; target: string }): Promise<Response> {
  const request = event.request;
  let body: Uint8Array | null = null;
  if (request.method !== "GET" && request.method !== "HEAD") {
    body = new Uint8Array(await request.arrayBuffer());
    if (body.length > VM_BODY_MAX) return fail(413, "Request too large", `The route carries at most ${VM_BODY_MAX} bytes of request body.`);
  }
  const pages = await keelPages(event);
  if (pages.length === 0) {
    return fail(503, "No Keel page is open", `./vm/${route.machine}/ reaches a machine of a Keel page open in this browser; open Keel first, then this link again.`);
  }
  const known = new Set<string>();
  for (const page of pages) {
    const answer = await ask(page, vmRequest(request, route, body));
    if (answer.kind === "response") return answer.response;
    if (answer.kind === "no-machine") for (const name of answer.machines) known.add(name);
  }
  const names = [...known].sort();
  return fail(404, "No such machine", `No open Keel page has a machine named "${route.machine}". ${names.length > 0 ? `Its machines: ${names.join(", ")}.` : "No page answered."}`);
}

type Answer = { kind: "response"; response: Response } | { kind: "no-machine"; machines: string[] } | { kind: "silent" };

/** Asks one page; resolves with its answer, or "silent" when it says nothing in time. */
function ask(page: Client, request: VmRequest): Promise<Answer> {
  const channel = new MessageChannel();
  const port = channel.port1;
  return new Promise<Answer>((resolve) => {
    let stream: ReadableStreamDefaultController<Uint8Array> | null = null;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const stop = () => {
      if (timer !== null) clearTimeout(timer);
      timer = null;
      port.close();
    };
    /** (Re)starts the one timer: what happens when nothing comes for `ms`. */
    const arm = (ms: number, expire: () => void) => {
      if (timer !== null) clearTimeout(timer);
      timer = setTimeout(() => {
        stop();
        expire();
      }, ms);
    };
    // A page that has no such machine, or is busy beyond PAGE_ANSWER_MS, is passed over.
    arm(PAGE_ANSWER_MS, () => resolve({ kind: "silent" }));
    port.onmessage = (event: MessageEvent<VmReply>) => {
      const reply = event.data;
      switch (reply.type) {
        case "accepted":
          arm(HEAD_MS, () => resolve({
            kind: "response",
            response: fail(504, "The machine did not answer", `${request.machine} sent no response head within ${HEAD_MS / 1000} s.`),
          }));
          return;
        case "no-machine":
          stop();
          resolve({ kind: "no-machine", machines: reply.machines });
          return;
        case "error":
          stop();
          if (stream !== null) stream.error(new Error(reply.detail));
          else resolve({ kind: "response", response: fail(reply.status, reply.title, reply.detail) });
          return;
        case "head": {
          const nullBody = request.method === "HEAD" || reply.status === 204 || reply.status === 304;
          let body: ReadableStream<Uint8Array> | null = null;
          if (nullBody) stop();
          else {
            body = new ReadableStream<Uint8Array>({
              start: (controller) => {
                stream = controller;
              },
              cancel: stop,
            });
            arm(BODY_IDLE_MS, () => stream?.error(new Error(`no data from ${request.machine} for ${BODY_IDLE_MS / 1000} s`)));
          }
          const headers = vmResponseHeaders(reply.headers, request.machine);
          resolve({ kind: "response", response: new Response(body, { status: reply.status, statusText: reply.statusText, headers }) });
          return;
        }
        case "body":
          if (stream === null) return;
          arm(BODY_IDLE_MS, () => stream?.error(new Error(`no data from ${request.machine} for ${BODY_IDLE_MS / 1000} s`)));
          stream.enqueue(reply.bytes);
          return;
        case "end":
          stop();
          stream?.close();
          return;
      }
    };
    const message: VmAsk = { type: "keel-vm-request", request };
    page.postMessage(message, [channel.port2]);
  });
}
