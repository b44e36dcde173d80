// keel gdb-bridge's error handling (host/node/gdb-bridge.ts), with real
// sockets: gdb's side a TCP client speaking the remote protocol's framing,
// the page's side a WebSocket client (the `ws` package, as the page's
// browser WebSocket would). The bridge must answer or refuse, log why, and
// stay up for the next client; nothing a client sends may crash it.
import { afterEach, describe, expect, it } from "vitest";
import { connect, type Socket } from "node:net";
import WebSocket from "ws";
import { GdbBridge, NO_PAGE_REPLY } from "./gdb-bridge.js";
import { BRIDGE_MAX_FRAME, BRIDGE_SUBPROTOCOL, parseBridgeToPage, bridgeUrlProblem } from "../gdb/bridge-protocol.js";
import { framePacket, latin1Text } from "../gdb/packets.js";
import { parseBridgeArgs } from "./args.js";

interface Started {
  bridge: GdbBridge;
  gdbPort: number;
  wsPort: number;
  log: string[];
  until(re: RegExp): Promise<void>;
}

let started: Started | null = null;
const sockets: (Socket | WebSocket)[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s instanceof WebSocket ? s.terminate() : s.destroy();
  await started?.bridge.close();
  started = null;
});

async function start(attach: { name: string } | null = null): Promise<Started> {
  const log: string[] = [];
  const waiters: (() => void)[] = [];
  const bridge = new GdbBridge({ gdbPort: 0, wsPort: 0, attach, log: (line) => {
    log.push(line);
    for (const w of waiters.splice(0)) w();
  } });
  const ports = await bridge.listen();
  const until = (re: RegExp) => new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the bridge never logged ${re}:\n${log.join("\n")}`)), 10_000);
    const check = () => {
      if (log.some((l) => re.test(l))) { clearTimeout(timer); resolve(); } else waiters.push(check);
    };
    check();
  });
  started = { bridge, ...ports, log, until };
  return started;
}

/** A gdb-side TCP client; `text()` is everything the bridge sent it. */
function gdbClient(port: number): Promise<{ socket: Socket; text(): string; closed: Promise<void>; waitText(s: string): Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    sockets.push(socket);
    let received = "";
    const waiters: (() => void)[] = [];
    socket.on("data", (d: Buffer) => {
      received += d.toString("latin1");
      for (const w of waiters.splice(0)) w();
    });
    const closed = new Promise<void>((r) => socket.on("close", () => r()));
    socket.once("error", reject);
    socket.once("connect", () => resolve({
      socket,
      text: () => received,
      closed,
      waitText: (s) => new Promise<void>((res, rej) => {
        const timer = setTimeout(() => rej(new Error(`gdb never got ${JSON.stringify(s)}; got ${JSON.stringify(received)}`)), 10_000);
        const check = () => {
          if (received.includes(s)) { clearTimeout(timer); res(); } else waiters.push(check);
        };
        check();
      }),
    }));
  });
}

/** A page-side WebSocket client: its text and binary messages, in order. */
function pageClient(port: number, protocol: string | null = BRIDGE_SUBPROTOCOL) {
  const ws = protocol === null ? new WebSocket(`ws://127.0.0.1:${port}`) : new WebSocket(`ws://127.0.0.1:${port}`, protocol);
  sockets.push(ws);
  const texts: string[] = [];
  const binary: Buffer[] = [];
  const waiters: (() => void)[] = [];
  ws.on("message", (data: Buffer, isBinary: boolean) => {
    if (isBinary) binary.push(data); else texts.push(data.toString());
    for (const w of waiters.splice(0)) w();
  });
  const opened = new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  const closed = new Promise<number>((resolve) => ws.once("close", (code: number) => resolve(code)));
  const until = (what: () => boolean) => new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the page never got it; texts ${JSON.stringify(texts)}`)), 10_000);
    const check = () => {
      if (what()) { clearTimeout(timer); resolve(); } else waiters.push(check);
    };
    check();
  });
  return { ws, texts, binary, opened, closed, until };
}

describe("keel gdb-bridge", () => {
  it("answers gdb with an error reply while no page is connected, and stays up for a page", async () => {
    const b = await start();
    const gdb = await gdbClient(b.gdbPort);
    gdb.socket.write(Buffer.from(framePacket("qSupported:multiprocess+;swbreak+")));
    await gdb.waitText(latin1Text(framePacket(NO_PAGE_REPLY)));
    expect(gdb.text().startsWith("+")).toBe(true);
    await b.until(/gdb connected, but no page is: open the page with \?gdb-bridge=ws:\/\/127\.0\.0\.1:\d+/);
    // A packet with a bad checksum is refused as the protocol says.
    gdb.socket.write("$?#00");
    await gdb.waitText("-");
    // A page can come now; this gdb conversation stays the bridge's own (it
    // cannot be handed over halfway), so the page is not told about it.
    const page = pageClient(b.wsPort);
    await page.opened;
    await page.until(() => page.texts.length >= 1);
    expect(parseBridgeToPage(page.texts[0]!)).toEqual({ type: "hello", attach: null });
    gdb.socket.write(Buffer.from(framePacket("?")));
    const reply = latin1Text(framePacket(NO_PAGE_REPLY));
    await gdb.waitText(`-+${reply}`);
    expect(page.binary).toEqual([]);
    // The next gdb goes to the page.
    gdb.socket.destroy();
    await b.until(/gdb disconnected/);
    const gdb2 = await gdbClient(b.gdbPort);
    await page.until(() => page.texts.some((t) => parseBridgeToPage(t)?.type === "gdb"));
    gdb2.socket.write("+$?#3f");
    await page.until(() => Buffer.concat(page.binary).toString("latin1") === "+$?#3f");
    page.ws.send(Buffer.from("+$S05#b8"), { binary: true });
    await gdb2.waitText("+$S05#b8");
  });

  it("closes gdb's connection when the page goes away mid-session, and takes the next page", async () => {
    const b = await start({ name: "wc" });
    const page = pageClient(b.wsPort);
    await page.opened;
    await page.until(() => page.texts.length >= 1);
    expect(parseBridgeToPage(page.texts[0]!)).toEqual({ type: "hello", attach: { name: "wc" } });
    page.ws.send(JSON.stringify({ type: "hello", clock: "deterministic", reverse: true }));
    await b.until(/runs the deterministic clock; reverse execution on/);
    const gdb = await gdbClient(b.gdbPort);
    await page.until(() => page.texts.map(parseBridgeToPage).some((m) => m?.type === "gdb" && m.connected));
    gdb.socket.write(framePacket("qSupported"));
    await page.until(() => page.binary.length > 0);
    page.ws.terminate(); // the tab closed mid-session
    await gdb.closed;
    await b.until(/the page disconnected; closing gdb's connection/);
    expect(b.bridge.pageConnected).toBe(false);
    const next = pageClient(b.wsPort);
    await next.opened;
    await next.until(() => next.texts.length >= 1);
    expect(b.bridge.pageConnected).toBe(true);
  });

  it("tells the page when gdb goes away, so it detaches", async () => {
    const b = await start();
    const page = pageClient(b.wsPort);
    await page.opened;
    const gdb = await gdbClient(b.gdbPort);
    await page.until(() => page.texts.map(parseBridgeToPage).some((m) => m?.type === "gdb" && m.connected));
    gdb.socket.destroy();
    await page.until(() => page.texts.map(parseBridgeToPage).some((m) => m?.type === "gdb" && !m.connected));
  });

  it("drops malformed frames and refuses clients that are not a Keel page, without going down", async () => {
    const b = await start();
    // No subprotocol: refused at the handshake.
    const stranger = pageClient(b.wsPort, null);
    await expect(stranger.opened).rejects.toThrow();
    const other = pageClient(b.wsPort, "some-other-protocol");
    await expect(other.opened).rejects.toThrow();
    await b.until(/refused a WebSocket client that is not a Keel page \(it offered some-other-protocol subprotocol\)/);
    // A page's text frames that are not its messages are logged and dropped.
    const page = pageClient(b.wsPort);
    await page.opened;
    for (const junk of ["not json", "[]", "null", '{"type":"hello"}', '{"type":"log","text":5}', "\u0000\uffff"]) page.ws.send(junk);
    await b.until(/ignored a malformed message from the page \(\d+ bytes\)/);
    await new Promise((r) => setTimeout(r, 100));
    expect(b.log.filter((l) => l.includes("ignored a malformed message")).length).toBe(6);
    // A second page is refused with a reason; the first stays.
    const second = pageClient(b.wsPort);
    expect(await second.closed).toBe(4001);
    await b.until(/refused a second page/);
    expect(b.bridge.pageConnected).toBe(true);
    // A frame past the size limit closes that page's connection (1009), not the bridge.
    page.ws.send(Buffer.alloc(BRIDGE_MAX_FRAME + 1), { binary: true });
    expect(await page.closed).toBe(1009);
    await b.until(/the page disconnected/);
    // A gdb's garbage between packets is noise to the reader: still answered.
    const gdb = await gdbClient(b.gdbPort);
    gdb.socket.write(Buffer.from([0xff, 0x00, 0x41, 0x23, 0x7d]));
    gdb.socket.write(framePacket("g"));
    await gdb.waitText(latin1Text(framePacket(NO_PAGE_REPLY)));
    // And a page still connects.
    const again = pageClient(b.wsPort);
    await again.opened;
  });

  it("accepts only ws:// URLs on this computer for the page", () => {
    expect(bridgeUrlProblem("ws://127.0.0.1:8765")).toBeNull();
    expect(bridgeUrlProblem("ws://localhost:9000/")).toBeNull();
    expect(bridgeUrlProblem("ws://[::1]:8765")).toBeNull();
    expect(bridgeUrlProblem("wss://127.0.0.1:8765")).toMatch(/must start with ws:\/\//);
    expect(bridgeUrlProblem("http://127.0.0.1:8765")).toMatch(/must start with ws:\/\//);
    expect(bridgeUrlProblem("ws://example.com:8765")).toMatch(/must be on this computer .* not example\.com/);
    expect(bridgeUrlProblem("ws://127.0.0.1.evil.example:8765")).toMatch(/must be on this computer/);
    expect(bridgeUrlProblem("ws://127.0.0.1")).toMatch(/needs the bridge's port/);
    expect(bridgeUrlProblem("ws://user:pw@127.0.0.1:8765")).toMatch(/user name or password/);
    expect(bridgeUrlProblem("8765")).toMatch(/is not a URL/);
  });

  it("parses its command line, refusing bad ports and names with the reason", () => {
    expect(parseBridgeArgs([])).toEqual({ gdbPort: 1234, wsPort: 8765, attach: null, help: false });
    expect(parseBridgeArgs(["--port", "0", "--ws", "9000", "--attach", "wc"])).toEqual({ gdbPort: 0, wsPort: 9000, attach: { name: "wc" }, help: false });
    expect(parseBridgeArgs(["--attach", "6"]).attach).toEqual({ pid: 6 });
    expect(() => parseBridgeArgs(["--port", "70000"])).toThrow(/--port needs a TCP port from 0 to 65535/);
    expect(() => parseBridgeArgs(["--ws"])).toThrow(/--ws needs a value/);
    expect(() => parseBridgeArgs(["--attach", "a/b"])).toThrow(/program name of 1 to 16 bytes/);
    expect(() => parseBridgeArgs(["--gdb", "1"])).toThrow(/unknown option --gdb/);
  });
});
