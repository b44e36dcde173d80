// The HTTP/1.1 client of the ./vm/ route (host/net/http-client.ts): the
// response parser on responses cut at every place (fast-check), chunked and
// up-to-close bodies, bad responses ending in one clear error; and a real
// exchange with httpd inside a Keel machine over the virtual switch, with
// the refusal when nothing listens.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { encodeRequest, httpExchange, HttpResponseParser, type HttpSink } from "./http-client.js";
import { MachineHarness, userlandModules } from "../testing/machine-harness.js";
import { VirtualSwitch } from "./switch.js";
import { NetInterface } from "./netif.js";
import { readFileSync } from "node:fs";

interface Seen { head: [number, string, [string, string][]] | null; body: number[]; ended: boolean; error: [number, string, string] | null; calls: string[] }

function recorder(): { seen: Seen; sink: HttpSink } {
  const seen: Seen = { head: null, body: [], ended: false, error: null, calls: [] };
  return {
    seen,
    sink: {
      head: (s, t, h) => { seen.calls.push("head"); seen.head = [s, t, h]; },
      body: (b) => { seen.calls.push("body"); seen.body.push(...b); },
      end: () => { seen.calls.push("end"); seen.ended = true; },
      error: (s, t, d) => { seen.calls.push("error"); seen.error = [s, t, d]; },
    },
  };
}

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (b: number[]) => new TextDecoder().decode(Uint8Array.from(b));

/** Feeds `response` cut at `cuts`, then the FIN. */
function parse(response: Uint8Array, cuts: number[] = [], method = "GET"): Seen {
  const { seen, sink } = recorder();
  const p = new HttpResponseParser(sink, method);
  let at = 0;
  for (const cut of [...new Set(cuts)].sort((a, b) => a - b)) {
    p.feed(response.subarray(at, cut));
    at = cut;
  }
  p.feed(response.subarray(at));
  p.finish();
  return seen;
}

const LENGTH = bytes("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nhello world");
const CHUNKED = bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: y\r\n\r\n");
const CLOSE = bytes("HTTP/1.0 404 Not Found\r\n\r\nno such file");

describe("the response parser", () => {
  it("gives the head, the body and the end exactly once, however the bytes are cut", () => {
    for (const [response, status, body] of [[LENGTH, 200, "hello world"], [CHUNKED, 200, "hello world"], [CLOSE, 404, "no such file"]] as const) {
      fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: response.length }), { maxLength: 12 }), (cuts) => {
        const seen = parse(response, cuts);
        expect(seen.error).toBeNull();
        expect(seen.head?.[0]).toBe(status);
        expect(text(seen.body)).toBe(body);
        expect(seen.calls[0]).toBe("head");
        expect(seen.calls.filter((c) => c === "end")).toHaveLength(1);
        expect(seen.calls.at(-1)).toBe("end");
      }));
    }
  });

  it("keeps the headers in order and ignores bytes after a Content-Length body", () => {
    const seen = parse(bytes("HTTP/1.1 200 OK\r\nA: 1\r\nB:  two \r\nContent-Length: 2\r\n\r\nokEXTRA"));
    expect(seen.head).toEqual([200, "OK", [["A", "1"], ["B", "two"], ["Content-Length", "2"]]]);
    expect(text(seen.body)).toBe("ok");
  });

  it("expects no body for HEAD, 204 and 304", () => {
    expect(parse(bytes("HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n"), [], "HEAD")).toMatchObject({ ended: true, error: null, body: [] });
    expect(parse(bytes("HTTP/1.1 304 Not Modified\r\n\r\n"))).toMatchObject({ ended: true, error: null });
  });

  it("ends bad responses in one error with the reason, never in silence", () => {
    const cases: [string, RegExp][] = [
      ["", /closed the connection without a response/],
      ["HTTP/1.1 200 OK\r\nContent-", /in the middle of the response head/],
      ["SSH-2.0-OpenSSH\r\n\r\n", /did not answer in HTTP/],
      ["HTTP/1.1 200 OK\r\nno colon\r\n\r\n", /has no name/],
      ["HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", /is not a length/],
      ["HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", /before the end of the body/],
      ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", /is not a chunk size/],
      ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n", /not followed by CRLF/],
    ];
    for (const [response, reason] of cases) {
      const seen = parse(bytes(response));
      expect(seen.error?.[0], response).toBe(502);
      expect(seen.error?.[2], response).toMatch(reason);
      expect(seen.calls.filter((c) => c === "error" || c === "end"), response).toEqual(["error"]);
    }
  });

  it("refuses a head longer than it takes", () => {
    const seen = parse(bytes(`HTTP/1.1 200 OK\r\nX: ${"a".repeat(70_000)}`));
    expect(seen.error?.[2]).toMatch(/longer than 65536 bytes/);
  });
});

describe("the request", () => {
  it("is HTTP/1.1 with Host, the headers given and Connection: close, a body with its length", () => {
    const r = encodeRequest({ method: "POST", target: "/a?b=1", host: "keel-1", headers: [["Accept", "*/*"], ["Connection", "keep-alive"]], body: bytes("xy") });
    expect(typeof r === "string" ? r : new TextDecoder().decode(r)).toBe("POST /a?b=1 HTTP/1.1\r\nHost: keel-1\r\nAccept: */*\r\nContent-Length: 2\r\nConnection: close\r\n\r\nxy");
  });

  it("refuses what would inject into the request", () => {
    expect(encodeRequest({ method: "GET", target: "/a b", host: "h", headers: [], body: null })).toMatch(/cannot carry/);
    expect(encodeRequest({ method: "GET", target: "/", host: "h", headers: [["X", "a\r\nEvil: 1"]], body: null })).toMatch(/cannot be sent/);
    expect(encodeRequest({ method: "get", target: "/", host: "h", headers: [], body: null })).toMatch(/not a method/);
  });
});

describe("against httpd in a Keel machine", () => {
  it("fetches a file whole, and says 'No httpd' when nothing listens", () => {
    const sw = new VirtualSwitch();
    const h = new MachineHarness({
      ramBytes: 64 * 1024 * 1024, clock: "realtime", cmdline: "ip=10.0.0.2/24", modules: userlandModules(),
      nic: { backend: sw, mac: Uint8Array.of(2, 0, 0, 0, 0, 2) },
    }).boot();
    const nif = new NetInterface(sw, { mac: Uint8Array.of(2, 0, 0, 0, 0, 0xfe), ip: "10.0.0.9", prefix: 24, now: () => h.machine.virtualNowNs });
    const run = (done: () => boolean) => {
      const start = performance.now();
      while (!done()) {
        if (performance.now() - start > 60_000) throw new Error(`timed out; guest printed:\n${h.output}`);
        h.machine.runFor(5);
        sw.pump();
        nif.tick();
      }
    };
    run(() => h.output.includes("\n$ "));
    const get = (target: string) => {
      const { seen, sink } = recorder();
      httpExchange(nif.connect("10.0.0.2", 80), "keel-1 (10.0.0.2:80)", { method: "GET", target, host: "keel-1", headers: [], body: null }, sink);
      run(() => seen.ended || seen.error !== null);
      return seen;
    };
    const refused = get("/");
    expect(refused.error).toEqual([502, "No httpd", expect.stringContaining("nothing listens on keel-1 (10.0.0.2:80)")]);

    h.machine.input("httpd &\r");
    run(() => h.output.includes("httpd: serving"));
    // The boot file system's /README (user/fs/README), byte for byte.
    const page = get("/README");
    expect(page.error).toBeNull();
    expect(page.head?.[0]).toBe(200);
    expect(page.head?.[2]).toContainEqual(["Content-Type", "text/plain"]);
    expect(Buffer.from(Uint8Array.from(page.body)).equals(readFileSync(new URL("../../user/fs/README", import.meta.url)))).toBe(true);
    const missing = get("/nope");
    expect(missing.head?.[0]).toBe(404);
  });
});
