// The status bar's cross-origin isolation indicator. Keel needs no isolation
// to run: with one vCPU it passes plain messages (web/protocol.ts). A page
// that is cross-origin isolated (COOP: same-origin and COEP: require-corp,
// from the server or from Keel's service worker, web/coi.ts) may share
// memory between workers, which several vCPUs need; the indicator says which
// of the two this page is, and why (docs/service-worker.md).

import type { IsolationState } from "./coi";

export interface IsolationView {
  text: string;
  title: string;
}

const OFF_HINT = "Isolation costs this: cross-origin resources without CORS or a Cross-Origin-Resource-Policy header stop loading.";

export function describeIsolation(state: boolean | IsolationState): IsolationView {
  const s: IsolationState = typeof state === "boolean"
    ? (state ? { isolated: true, how: "headers" } : { isolated: false, why: "unsupported", detail: "" })
    : state;
  if (s.isolated) {
    const how = s.how === "service-worker" ? "by Keel's service worker" : "by the server's headers";
    return { text: "isolated", title: `cross-origin isolated (${how}): ready for several vCPUs. ${OFF_HINT} ?isolate=off turns it off.` };
  }
  const why = s.why === "off"
    ? "turned off by ?isolate=off"
    : s.detail !== "" ? s.detail : "the server sends no COOP/COEP headers";
  return { text: "not isolated", title: `not cross-origin isolated (${why}): one vCPU; everything works` };
}

/** Fills the indicator element in with this page's state. */
export function showIsolation(indicator: HTMLElement, state: boolean | IsolationState = self.crossOriginIsolated === true): void {
  const { text, title } = describeIsolation(state);
  indicator.textContent = text;
  indicator.title = title;
  indicator.dataset.isolated = String(text === "isolated");
  if (typeof state !== "boolean") indicator.dataset.isolation = state.isolated ? state.how : state.why;
  indicator.setAttribute("aria-label", title);
}
