// The service worker's rules (web/sw.ts), as pure functions so vitest checks
// them (web/sw-logic.test.ts): which requests it isolates, which URLs are
// `./vm/<machine>/...` routes, the request it sends to the machine's httpd,
// the headers of what comes back, and the error pages. docs/service-worker.md
// says what the worker does and why.
//
// Only web/sw.ts imports this module (the page imports types from
// web/vm-protocol.ts), so the built sw.js is one self-contained script.

import type { VmRequest } from "./vm-protocol";

/** `?isolate=off` on the page's URL: the service worker leaves that page's
 *  navigation as the server sent it. web/coi.ts has the same two (the page
 *  and sw.js share no code); web/sw-logic.test.ts checks they agree. */
export const ISOLATE_PARAM = "isolate";
export const ISOLATE_OFF = "off";

/** What makes a document cross-origin isolated (docs/service-worker.md says
 *  why require-corp rather than credentialless). */
export const ISOLATION_HEADERS: readonly (readonly [string, string])[] = [
  ["Cross-Origin-Opener-Policy", "same-origin"],
  ["Cross-Origin-Embedder-Policy", "require-corp"],
];

/** The largest request body the route carries to a machine (the page holds it whole). */
export const VM_BODY_MAX = 1024 * 1024;

/** A `./vm/<machine>/<path>` URL under the worker's scope, taken apart. */
export interface VmRoute {
  machine: string;
  /** The path and query for the machine's httpd: "/", "/docs/a.html?x=1". */
  target: string;
  /** The URL lacks the slash after the machine's name: redirect to it. */
  redirect: string | null;
}

/** Machine names as the page's cluster gives them (web/cluster/registry.ts: keel-1 ... keel-254). */
const MACHINE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

/** The route `url` names under `scope` ("https://host/keel/"), null when it is no route. */
export function vmRoute(url: URL, scope: URL): VmRoute | null | { error: string } {
  if (url.origin !== scope.origin) return null;
  const prefix = `${scope.pathname}vm/`;
  if (!url.pathname.startsWith(prefix)) return null;
  const rest = url.pathname.slice(prefix.length);
  const slash = rest.indexOf("/");
  const raw = slash < 0 ? rest : rest.slice(0, slash);
  let machine: string;
  try {
    machine = decodeURIComponent(raw);
  } catch {
    return { error: `"${raw}" is not a machine name` };
  }
  if (!MACHINE_NAME.test(machine)) return { error: `"${machine}" is not a machine name (letters, digits, - and _, like keel-1)` };
  if (slash < 0) return { machine, target: "/", redirect: `${prefix}${raw}/${url.search}` };
  return { machine, target: `${rest.slice(slash)}${url.search}`, redirect: null };
}

/** True when a navigation to `url` asks the worker not to isolate it. */
export function isolationOff(url: URL): boolean {
  return url.searchParams.get(ISOLATE_PARAM) === ISOLATE_OFF;
}

/** `headers` with the isolation headers set (a copy). */
export function withIsolation(headers: Headers): Headers {
  const out = new Headers(headers);
  for (const [name, value] of ISOLATION_HEADERS) out.set(name, value);
  return out;
}

/** Headers of the machine's response that name the connection, not the
 *  content: the service worker's Response has its own framing. */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection", "content-length"]);

/** The response headers the page sees: the machine's, less hop-by-hop
 *  ones, plus the isolation headers (a vm page opens in an isolated page's
 *  iframe too) and which machine answered. */
export function vmResponseHeaders(from: readonly (readonly [string, string])[], machine: string): Headers {
  const out = new Headers();
  for (const [name, value] of from) {
    if (HOP_BY_HOP.has(name.toLowerCase())) continue;
    try {
      out.append(name, value);
    } catch {
      // A header Fetch refuses (a bad name or value): left out.
    }
  }
  out.set("X-Keel-Machine", machine);
  return withIsolation(out);
}

/** The request headers passed on to the machine: what describes the
 *  request, not the browser's connection or its cookies. */
const PASSED_ON = ["accept", "accept-language", "content-type", "range", "if-modified-since", "if-none-match", "user-agent"];

export function vmRequest(request: { method: string; headers: Headers }, route: { machine: string; target: string }, body: Uint8Array | null): VmRequest {
  const headers: [string, string][] = [];
  for (const name of PASSED_ON) {
    const value = request.headers.get(name);
    if (value !== null) headers.push([name, value]);
  }
  return { machine: route.machine, method: request.method, target: route.target, headers, body };
}

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/** A small HTML page saying what went wrong, as the route's answer. */
export function errorPage(status: number, title: string, detail: string): { status: number; headers: Headers; body: string } {
  const body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${status} ${escapeHtml(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#222}code{background:#eee;padding:0 .2em}</style></head>
<body><h1>${status} ${escapeHtml(title)}</h1><p>${escapeHtml(detail)}</p>
<p>This is Keel's service worker: <code>./vm/&lt;machine&gt;/…</code> reaches the <code>httpd</code> of a machine in an open Keel page
(see <a href="../../docs/service-worker.md">docs/service-worker.md</a>).</p></body></html>
`;
  const headers = withIsolation(new Headers({ "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store", "X-Keel-Error": title }));
  return { status, headers, body };
}

/** The reason phrase for a status the route makes itself. */
export const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: "Bad Request",
  404: "Not Found",
  413: "Payload Too Large",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};
