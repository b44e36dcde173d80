// The page's side of Keel's service worker (web/sw.ts, docs/service-worker.md):
// registers it, and makes the page cross-origin isolated on a static host
// that sends no COOP/COEP, by reloading once when the worker has just taken
// control. Never in a loop: the reload is remembered in sessionStorage for
// this tab, and a page that is still not isolated after it stays as it is
// and says why. `?isolate=off` turns the isolation off (the worker still
// serves ./vm/ routes).
//
// The worker is registered whatever the isolation, for the ./vm/<machine>/
// routes (web/vm-route.ts).

/** The parameter that turns the isolation off: `?isolate=off` (as in web/sw-logic.ts). */
export const ISOLATE_PARAM = "isolate";
export const ISOLATE_OFF = "off";

/** Why the page is, or is not, cross-origin isolated (web/isolation.ts shows it). */
export type IsolationState =
  | { isolated: true; how: "headers" | "service-worker" }
  | { isolated: false; why: "off" | "unsupported" | "failed" | "reload-did-not-help"; detail: string };

/** The tab's note that it reloaded once for isolation. */
export const RELOAD_KEY = "keel-isolation-reload";
/** How long the boot waits for a first registration before it goes on without. */
const REGISTER_WAIT_MS = 4_000;

/** The worker's URL and type: the built ./sw.js (a classic script), or in
 *  Vite's dev server the source as a module worker. */
function workerScript(): { url: string; type: WorkerType } {
  return import.meta.env.DEV ? { url: "./sw.ts", type: "module" } : { url: "./sw.js", type: "classic" };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | "timeout"> {
  return Promise.race([promise, new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), ms))]);
}

function storage(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

/** Registers the worker and settles the isolation before the boot. Resolves
 *  "reloading" when the page is about to reload (the caller boots nothing). */
export async function prepareIsolation(search: URLSearchParams): Promise<IsolationState | "reloading"> {
  const off = search.get(ISOLATE_PARAM) === ISOLATE_OFF;
  const isolated = window.crossOriginIsolated === true;
  const notes = storage();
  const reloaded = notes?.getItem(RELOAD_KEY) === "1";
  if (isolated) notes?.removeItem(RELOAD_KEY);
  if (!("serviceWorker" in navigator)) {
    if (isolated) return { isolated: true, how: "headers" };
    return { isolated: false, why: off ? "off" : "unsupported", detail: "this browser gives the page no service worker (a private window, or a page not on https or localhost)" };
  }
  const { url, type } = workerScript();
  const registering = navigator.serviceWorker.register(url, { scope: "./", type }).catch((error: unknown) => error instanceof Error ? error : new Error(String(error)));
  const controlled = navigator.serviceWorker.controller !== null;
  if (isolated) {
    // Already isolated: by the server's headers, or by the worker controlling this page.
    return { isolated: true, how: controlled ? "service-worker" : "headers" };
  }
  if (off) return { isolated: false, why: "off", detail: `?${ISOLATE_PARAM}=${ISOLATE_OFF}` };
  if (reloaded) {
    return { isolated: false, why: "reload-did-not-help", detail: "the page reloaded once under Keel's service worker and is still not isolated (the browser, or a shift-reload, bypassed it)" };
  }
  const registration = await withTimeout(registering, REGISTER_WAIT_MS);
  if (registration === "timeout") return { isolated: false, why: "failed", detail: `the service worker was not registered within ${REGISTER_WAIT_MS / 1000} s` };
  if (registration instanceof Error) return { isolated: false, why: "failed", detail: `the service worker could not be registered: ${registration.message}` };
  // A browser (or a test harness) that blocks service workers may resolve with nothing.
  if (typeof registration !== "object" || registration === null) return { isolated: false, why: "failed", detail: "the browser did not register the service worker" };
  if (navigator.serviceWorker.controller === null) {
    // A first visit: wait until the new worker controls this page (it claims its clients when it activates).
    const claimed = new Promise<void>((resolve) => navigator.serviceWorker.addEventListener("controllerchange", () => resolve(), { once: true }));
    if ((await withTimeout(claimed, REGISTER_WAIT_MS)) === "timeout") {
      return { isolated: false, why: "failed", detail: `the service worker did not take control of the page within ${REGISTER_WAIT_MS / 1000} s` };
    }
  }
  if (notes === null) return { isolated: false, why: "failed", detail: "without sessionStorage the page cannot remember a reload, so it does not reload" };
  notes.setItem(RELOAD_KEY, "1");
  window.location.reload();
  return "reloading";
}
