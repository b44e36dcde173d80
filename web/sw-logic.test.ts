// The service worker's rules (web/sw-logic.ts): which URLs are ./vm/ routes
// and what they name, the isolation switch, the headers passed each way, and
// the error pages.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { errorPage, ISOLATE_OFF, ISOLATE_PARAM, ISOLATION_HEADERS, isolationOff, vmRequest, vmResponseHeaders, vmRoute, withIsolation } from "./sw-logic";
import * as coi from "./coi";

const scope = new URL("https://example.test/keel/");
const route = (path: string) => vmRoute(new URL(path, scope.origin), scope);

describe("./vm/<machine>/ routes", () => {
  it("take the machine's name and the path (with its query) apart", () => {
    expect(route("/keel/vm/keel-1/")).toEqual({ machine: "keel-1", target: "/", redirect: null });
    expect(route("/keel/vm/keel-2/docs/a%20b.html?x=1&y")).toEqual({ machine: "keel-2", target: "/docs/a%20b.html?x=1&y", redirect: null });
  });

  it("redirect a name without its slash to the machine's root, keeping the query", () => {
    expect(route("/keel/vm/keel-1?q=2")).toEqual({ machine: "keel-1", target: "/", redirect: "/keel/vm/keel-1/?q=2" });
  });

  it("are only under the worker's scope, and only of its origin", () => {
    expect(route("/vm/keel-1/")).toBeNull();
    expect(route("/keel/vmx/keel-1/")).toBeNull();
    expect(route("/keel/index.html")).toBeNull();
    expect(vmRoute(new URL("https://other.test/keel/vm/keel-1/"), scope)).toBeNull();
  });

  it("refuse what cannot be a machine name, with the reason", () => {
    for (const bad of ["/keel/vm//", "/keel/vm/a%20b/", "/keel/vm/%E0%A4%A/", "/keel/vm/-x/", `/keel/vm/${"a".repeat(64)}/`]) {
      const r = route(bad);
      expect(r, bad).not.toBeNull();
      expect(r !== null && "error" in r, bad).toBe(true);
    }
  });

  it("never throw, and any route they give names a machine the registry could have", () => {
    fc.assert(fc.property(fc.string({ maxLength: 80 }), fc.string({ maxLength: 40 }), (name, rest) => {
      const url = new URL(`/keel/vm/${encodeURIComponent(name)}/${encodeURIComponent(rest)}`, scope.origin);
      const r = vmRoute(url, scope);
      if (r === null || "error" in r) return;
      expect(r.machine).toBe(name);
      expect(r.machine).toMatch(/^[A-Za-z0-9][A-Za-z0-9_-]*$/);
      expect(r.target.startsWith("/")).toBe(true);
    }));
  });
});

describe("isolation", () => {
  it("is off only for ?isolate=off, and the page and the worker agree on the name", () => {
    expect(isolationOff(new URL("https://example.test/?isolate=off"))).toBe(true);
    expect(isolationOff(new URL("https://example.test/?isolate=on"))).toBe(false);
    expect(isolationOff(new URL("https://example.test/?ram=64"))).toBe(false);
    expect([coi.ISOLATE_PARAM, coi.ISOLATE_OFF]).toEqual([ISOLATE_PARAM, ISOLATE_OFF]);
  });

  it("sets COOP and COEP over whatever the response said, keeping its other headers", () => {
    const h = withIsolation(new Headers({ "Content-Type": "text/html", "Cross-Origin-Embedder-Policy": "unsafe-none" }));
    expect(h.get("content-type")).toBe("text/html");
    for (const [name, value] of ISOLATION_HEADERS) expect(h.get(name)).toBe(value);
    expect(h.get("cross-origin-embedder-policy")).toBe("require-corp");
  });
});

describe("what crosses to the machine and back", () => {
  it("passes on the headers that describe the request, not cookies or the browser's connection", () => {
    const headers = new Headers({ Accept: "text/html", Cookie: "a=b", Range: "bytes=0-9", Connection: "keep-alive" });
    expect(vmRequest({ method: "GET", headers }, { machine: "keel-1", target: "/x" }, null)).toEqual({
      machine: "keel-1", method: "GET", target: "/x", headers: [["accept", "text/html"], ["range", "bytes=0-9"]], body: null,
    });
  });

  it("drops hop-by-hop headers of the response, adds the machine's name and the isolation headers", () => {
    const h = vmResponseHeaders([["Content-Type", "text/plain"], ["Content-Length", "5"], ["Connection", "close"], ["Server", "keel-httpd"], ["Bad Name", "x"]], "keel-1");
    expect(h.get("content-type")).toBe("text/plain");
    expect(h.get("server")).toBe("keel-httpd");
    expect(h.get("content-length")).toBeNull();
    expect(h.get("connection")).toBeNull();
    expect(h.get("x-keel-machine")).toBe("keel-1");
    expect(h.get("cross-origin-embedder-policy")).toBe("require-corp");
  });

  it("error pages say the status and the reason, escaped", () => {
    const page = errorPage(404, "No such machine", `No machine named "<b>"`);
    expect(page.status).toBe(404);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(page.headers.get("x-keel-error")).toBe("No such machine");
    expect(page.body).toContain("<h1>404 No such machine</h1>");
    expect(page.body).toContain("No machine named &quot;&lt;b&gt;&quot;");
  });
});
