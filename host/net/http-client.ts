// An HTTP/1.1 client over the host's TCP endpoint (host/net/tcp.ts,
// host/net/netif.ts), for the page's `./vm/<machine>/...` route
// (docs/service-worker.md): one request per connection (`Connection:
// close`), the response's head parsed and its body streamed as it comes
// (Content-Length, chunked, or up to the close). Whatever goes wrong (no
// listener, a reset, a timeout, a response that is not HTTP) ends in one
// `error` with an HTTP status and a reason, never in silence: the caller
// turns it into an error page.

import type { TcpError, TcpStream } from "./tcp.js";

export interface HttpRequest {
  method: string;
  /** Path and query: "/index.html?x=1". */
  target: string;
  /** The Host header's value. */
  host: string;
  headers: readonly (readonly [string, string])[];
  body: Uint8Array | null;
}

export interface HttpSink {
  head(status: number, statusText: string, headers: [string, string][]): void;
  body(bytes: Uint8Array): void;
  end(): void;
  /** Before the head: the whole answer is this error. After: the body is cut off. */
  error(status: number, title: string, detail: string): void;
}

/** The longest response head taken (status line and headers). */
export const HTTP_HEAD_MAX = 64 * 1024;

const CRLF = "\r\n";
const encoder = new TextEncoder();
const latin1 = new TextDecoder("latin1");

/** The request's bytes. Header names and values with CR, LF or NUL are refused (no injection). */
export function encodeRequest(request: HttpRequest): Uint8Array | string {
  if (!/^[A-Z]{1,16}$/.test(request.method)) return `"${request.method}" is not a method`;
  if (!/^\/[\x21-\x7e]*$/.test(request.target)) return "the path holds a character a request line cannot carry";
  const lines = [`${request.method} ${request.target} HTTP/1.1`, `Host: ${request.host}`];
  for (const [name, value] of request.headers) {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name) || /[\r\n\0]/.test(value)) return `header "${name}" cannot be sent`;
    const lower = name.toLowerCase();
    if (lower === "host" || lower === "connection" || lower === "content-length" || lower === "transfer-encoding") continue;
    lines.push(`${name}: ${value}`);
  }
  if (request.body !== null) lines.push(`Content-Length: ${request.body.length}`);
  lines.push("Connection: close", "", "");
  const head = encoder.encode(lines.join(CRLF));
  if (request.body === null || request.body.length === 0) return head;
  const out = new Uint8Array(head.length + request.body.length);
  out.set(head);
  out.set(request.body, head.length);
  return out;
}

type BodyMode = { kind: "length"; left: number } | { kind: "chunked" } | { kind: "close" } | { kind: "none" };

/** Parses one response from the bytes of a connection, calling the sink as
 *  it can. `feed` every chunk, `finish` at the peer's FIN. After the sink's
 *  end or error it ignores everything. */
export class HttpResponseParser {
  private buffer: Uint8Array = new Uint8Array(0);
  private headDone = false;
  private mode: BodyMode = { kind: "close" };
  /** Chunked: bytes left in the current chunk, or -1 while reading a size line, -2 after the last chunk (trailers). */
  private chunkLeft = -1;
  private done = false;

  constructor(private readonly sink: HttpSink, private readonly method: string) {}

  get finished(): boolean {
    return this.done;
  }

  feed(chunk: Uint8Array): void {
    if (this.done || chunk.length === 0) return;
    if (!this.headDone) {
      this.buffer = concat(this.buffer, chunk);
      const end = indexOfCrlfCrlf(this.buffer);
      if (end < 0) {
        if (this.buffer.length > HTTP_HEAD_MAX) this.fail(502, "Bad response", `the machine's response head is longer than ${HTTP_HEAD_MAX} bytes`);
        return;
      }
      const rest = this.buffer.subarray(end + 4);
      if (!this.parseHead(latin1.decode(this.buffer.subarray(0, end)))) return;
      this.buffer = new Uint8Array(0);
      this.body(rest);
      return;
    }
    this.body(chunk);
  }

  /** The connection ended (FIN). */
  finish(): void {
    if (this.done) return;
    if (!this.headDone) {
      this.fail(502, "Bad response", this.buffer.length === 0 ? "the machine closed the connection without a response" : "the machine closed the connection in the middle of the response head");
      return;
    }
    if (this.mode.kind === "close" || this.mode.kind === "none") this.complete();
    else this.fail(502, "Response cut short", "the machine closed the connection before the end of the body");
  }

  /** The connection failed. */
  abort(status: number, title: string, detail: string): void {
    this.fail(status, title, detail);
  }

  private parseHead(text: string): boolean {
    const lines = text.split(CRLF);
    const status = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(lines[0] ?? "");
    if (status === null) {
      this.fail(502, "Bad response", `the machine did not answer in HTTP (it sent "${(lines[0] ?? "").slice(0, 60)}")`);
      return false;
    }
    const code = Number(status[1]);
    const headers: [string, string][] = [];
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      if (colon <= 0) {
        this.fail(502, "Bad response", `a response header line has no name: "${line.slice(0, 60)}"`);
        return false;
      }
      headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
    }
    const get = (name: string) => headers.find(([n]) => n.toLowerCase() === name)?.[1];
    const encoding = get("transfer-encoding")?.toLowerCase();
    const length = get("content-length");
    if (this.method === "HEAD" || code === 204 || code === 304 || (code >= 100 && code < 200)) this.mode = { kind: "none" };
    else if (encoding !== undefined && encoding.split(",").map((s) => s.trim()).includes("chunked")) this.mode = { kind: "chunked" };
    else if (length !== undefined) {
      if (!/^\d{1,15}$/.test(length)) {
        this.fail(502, "Bad response", `Content-Length "${length}" is not a length`);
        return false;
      }
      this.mode = { kind: "length", left: Number(length) };
    } else this.mode = { kind: "close" };
    this.headDone = true;
    this.sink.head(code, status[2] ?? "", headers);
    if (this.mode.kind === "none" || (this.mode.kind === "length" && this.mode.left === 0)) this.complete();
    return true;
  }

  private body(bytes: Uint8Array): void {
    if (this.done || bytes.length === 0) return;
    switch (this.mode.kind) {
      case "none":
        return;
      case "close":
        this.sink.body(bytes.slice());
        return;
      case "length": {
        const take = bytes.subarray(0, this.mode.left);
        this.mode.left -= take.length;
        if (take.length > 0) this.sink.body(take.slice());
        if (this.mode.left === 0) this.complete();
        return;
      }
      case "chunked":
        this.chunked(bytes);
        return;
    }
  }

  private chunked(bytes: Uint8Array): void {
    let data = concat(this.buffer, bytes);
    this.buffer = new Uint8Array(0);
    while (!this.done && data.length > 0) {
      if (this.chunkLeft > 0) {
        const take = data.subarray(0, this.chunkLeft);
        this.chunkLeft -= take.length;
        this.sink.body(take.slice());
        data = data.subarray(take.length);
        if (this.chunkLeft === 0) this.chunkLeft = -3; // the CRLF after the data
        continue;
      }
      const eol = indexOfCrlf(data);
      if (eol < 0) {
        if (data.length > 1024) this.fail(502, "Bad response", "a chunk-size line is too long");
        else this.buffer = data.slice();
        return;
      }
      const line = latin1.decode(data.subarray(0, eol));
      data = data.subarray(eol + 2);
      if (this.chunkLeft === -3) {
        if (line !== "") return this.fail(502, "Bad response", "a chunk's data is not followed by CRLF");
        this.chunkLeft = -1;
      } else if (this.chunkLeft === -1) {
        const size = /^([0-9a-fA-F]{1,8})(;.*)?$/.exec(line);
        if (size === null) return this.fail(502, "Bad response", `"${line.slice(0, 40)}" is not a chunk size`);
        const n = parseInt(size[1]!, 16);
        this.chunkLeft = n === 0 ? -2 : n;
      } else if (line === "") {
        this.complete(); // the empty line after the last chunk's trailers
      }
    }
  }

  private complete(): void {
    if (this.done) return;
    this.done = true;
    this.sink.end();
  }

  private fail(status: number, title: string, detail: string): void {
    if (this.done) return;
    this.done = true;
    this.sink.error(status, title, detail);
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function indexOfCrlfCrlf(bytes: Uint8Array): number {
  for (let i = 0; i + 3 < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) return i;
  }
  return -1;
}

function indexOfCrlf(bytes: Uint8Array): number {
  for (let i = 0; i + 1 < bytes.length; i++) if (bytes[i] === 13 && bytes[i + 1] === 10) return i;
  return -1;
}

export interface HttpTimeouts {
  /** From connect to the handshake's end. */
  connectMs: number;
  /** From the handshake to the response head. */
  headMs: number;
  /** Between two chunks of the body. */
  idleMs: number;
}

export const HTTP_TIMEOUTS: HttpTimeouts = { connectMs: 10_000, headMs: 20_000, idleMs: 20_000 };

/** Why a TCP connection ended, as the route's error. */
function tcpFailure(error: TcpError, where: string, connected: boolean): [number, string, string] {
  switch (error) {
    case "refused":
      return [502, "No httpd", `nothing listens on ${where} (the connection was refused): start one in the machine, for example "httpd &"`];
    case "reset":
      return [502, "Connection reset", `${where} reset the connection${connected ? " in the middle of the response" : ""}`];
    case "timeout":
      return [504, "The machine did not answer", `${where} stopped answering (TCP gave up retransmitting)`];
    case "aborted":
      return [502, "Connection aborted", `the connection to ${where} was aborted`];
  }
}

/** Sends `request` on `stream` (just connected, or connecting) and streams
 *  the response to `sink`. Returns abort(), which ends it with an error. */
export function httpExchange(stream: TcpStream, where: string, request: HttpRequest, sink: HttpSink, timeouts: HttpTimeouts = HTTP_TIMEOUTS): { abort(reason?: string): void } {
  const bytes = encodeRequest(request);
  let connected = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const parser = new HttpResponseParser({
    head: (...a) => sink.head(...a),
    body: (b) => sink.body(b),
    end: () => {
      clear();
      sink.end();
      stream.close();
    },
    error: (...a) => {
      clear();
      sink.error(...a);
      stream.abort();
    },
  }, request.method);
  const clear = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
  };
  const arm = (ms: number, status: number, title: string, detail: string) => {
    clear();
    timer = setTimeout(() => parser.abort(status, title, detail), ms);
  };
  if (typeof bytes === "string") {
    queueMicrotask(() => parser.abort(400, "Bad request", bytes));
    stream.abort();
    return { abort: () => undefined };
  }
  arm(timeouts.connectMs, 504, "The machine did not answer", `no TCP connection to ${where} within ${timeouts.connectMs / 1000} s (is the machine up, with netd?)`);
  stream.onConnect(() => {
    connected = true;
    arm(timeouts.headMs, 504, "The machine did not answer", `${where} sent no response within ${timeouts.headMs / 1000} s`);
    stream.write(bytes);
  });
  stream.onData((chunk) => {
    if (parser.finished) return;
    arm(timeouts.idleMs, 504, "The machine stopped sending", `nothing from ${where} for ${timeouts.idleMs / 1000} s`);
    parser.feed(chunk);
  });
  stream.onEnd(() => parser.finish());
  stream.onClose((error) => {
    if (error === null) parser.finish();
    else parser.abort(...tcpFailure(error, where, connected));
  });
  return { abort: (reason = "the request was given up") => parser.abort(502, "Request aborted", reason) };
}
