// `keel gdb-bridge`: gdb on this computer against a machine running in a
// browser tab. A relay with no GDB server of its own: it listens for gdb
// on TCP (127.0.0.1) and for the page on a WebSocket (127.0.0.1), and
// passes gdb's bytes to the page and the page's to gdb unchanged. The GDB
// server is the page's: the same GdbSession (host/gdb/session.ts) over a
// MachineDebugTarget, run in the machine's Web Worker
// (web/gdb-bridge-worker.ts). The two talk as host/gdb/bridge-protocol.ts
// says. One gdb and one page at a time.
//
// When something is missing the bridge says so and stays up: gdb connecting
// with no page gets an error reply to each packet (and the bridge's log
// says how to connect a page); a page going away mid-session closes gdb's
// connection (gdb: "Remote connection closed"); gdb going away tells the
// page, which detaches and lets the process run on. Malformed frames from
// the page are logged and dropped.

import { createServer, type Server, type Socket } from "node:net";
import type { IncomingMessage } from "node:http";
import { WebSocketServer, type WebSocket, type RawData } from "ws";
import { BRIDGE_MAX_FRAME, BRIDGE_SUBPROTOCOL, parsePageToBridge, type BridgeAttach, type BridgeToPage } from "../gdb/bridge-protocol.js";
import { PacketReader, framePacket, latin1 } from "../gdb/packets.js";

export interface GdbBridgeOptions {
  /** TCP port for gdb (0: any free port). */
  gdbPort: number;
  /** WebSocket port for the page (0: any free port). */
  wsPort: number;
  /** What the page attaches to when it connects. */
  attach?: BridgeAttach;
  /** One line per event. */
  log?: (line: string) => void;
}

/** gdb's answer to every packet while no page is connected. */
export const NO_PAGE_REPLY = "E.no Keel page is connected to the bridge";

export class GdbBridge {
  private tcp: Server | null = null;
  private wss: WebSocketServer | null = null;
  private gdb: Socket | null = null;
  private page: WebSocket | null = null;
  /** While gdb talks with no page: its packets, each answered with NO_PAGE_REPLY. */
  private orphanReader: PacketReader | null = null;
  private wsAddress = "";

  constructor(private readonly options: GdbBridgeOptions) {}

  /** Starts both listeners; resolves with their ports. */
  async listen(): Promise<{ gdbPort: number; wsPort: number }> {
    const host = "127.0.0.1";
    const wss = new WebSocketServer({
      host,
      port: this.options.wsPort,
      maxPayload: BRIDGE_MAX_FRAME,
      // A client that does not speak the bridge's protocol (not a Keel page, or another version) is refused.
      verifyClient: (info: { req: IncomingMessage }) => {
        const offered = String(info.req.headers["sec-websocket-protocol"] ?? "").split(",").map((p) => p.trim());
        if (offered.includes(BRIDGE_SUBPROTOCOL)) return true;
        this.log(`gdb-bridge: refused a WebSocket client that is not a Keel page (it offered ${offered.join(",") || "no"} subprotocol)`);
        return false;
      },
      handleProtocols: (protocols) => (protocols.has(BRIDGE_SUBPROTOCOL) ? BRIDGE_SUBPROTOCOL : false),
    });
    await new Promise<void>((resolve, reject) => {
      wss.once("listening", resolve);
      wss.once("error", reject);
    });
    wss.on("error", (error) => this.log(`gdb-bridge: WebSocket server: ${error.message}`));
    wss.on("connection", (ws, request) => this.acceptPage(ws, request.headers.origin ?? null));
    this.wss = wss;
    const wsAddress = wss.address();
    const wsPort = typeof wsAddress === "object" && wsAddress !== null ? wsAddress.port : this.options.wsPort;
    this.wsAddress = `ws://${host}:${wsPort}`;

    const tcp = createServer((socket) => this.acceptGdb(socket));
    await new Promise<void>((resolve, reject) => {
      tcp.once("error", reject);
      tcp.listen(this.options.gdbPort, host, () => resolve());
    }).catch(async (error: unknown) => {
      await this.closeWss();
      throw error;
    });
    this.tcp = tcp;
    const tcpAddress = tcp.address();
    const gdbPort = typeof tcpAddress === "object" && tcpAddress !== null ? tcpAddress.port : this.options.gdbPort;
    this.log(`gdb-bridge: the page connects to ${this.wsAddress} (open it with ?gdb-bridge=${this.wsAddress})`);
    this.log(`gdb-bridge: gdb connects to ${host}:${gdbPort} (target remote :${gdbPort})`);
    return { gdbPort, wsPort };
  }

  /** Whether a page is connected (tests). */
  get pageConnected(): boolean {
    return this.page !== null;
  }

  async close(): Promise<void> {
    this.gdb?.destroy();
    this.gdb = null;
    this.page?.terminate();
    this.page = null;
    await new Promise<void>((resolve) => (this.tcp ? this.tcp.close(() => resolve()) : resolve()));
    this.tcp = null;
    await this.closeWss();
  }

  private closeWss(): Promise<void> {
    const wss = this.wss;
    this.wss = null;
    if (wss === null) return Promise.resolve();
    for (const client of wss.clients) client.terminate();
    return new Promise((resolve) => wss.close(() => resolve()));
  }

  private acceptPage(ws: WebSocket, origin: string | null): void {
    if (this.page !== null) {
      ws.close(4001, "another page is connected to this bridge");
      this.log(`gdb-bridge: refused a second page${origin ? ` (${origin})` : ""}: one page at a time`);
      return;
    }
    this.page = ws;
    this.log(`gdb-bridge: page connected${origin ? ` (${origin})` : ""}`);
    this.sendPage({ type: "hello", attach: this.options.attach ?? null });
    if (this.gdb !== null && this.orphanReader === null) this.sendPage({ type: "gdb", connected: true });
    ws.on("message", (data: RawData, isBinary: boolean) => this.fromPage(ws, data, isBinary));
    ws.on("error", (error) => this.log(`gdb-bridge: the page's connection failed: ${error.message}`));
    ws.on("close", () => {
      if (this.page !== ws) return;
      this.page = null;
      if (this.gdb !== null) {
        this.log("gdb-bridge: the page disconnected; closing gdb's connection");
        const gdb = this.gdb;
        this.gdb = null;
        gdb.end();
      } else {
        this.log("gdb-bridge: the page disconnected");
      }
    });
  }

  private fromPage(ws: WebSocket, data: RawData, isBinary: boolean): void {
    if (this.page !== ws) return;
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    if (isBinary) {
      this.gdb?.write(bytes);
      return;
    }
    const message = parsePageToBridge(bytes.toString("utf8"));
    if (message === null) {
      this.log(`gdb-bridge: ignored a malformed message from the page (${bytes.length} bytes)`);
      return;
    }
    if (message.type === "hello") {
      this.log(`gdb-bridge: the page's machine runs the ${message.clock} clock; reverse execution ${message.reverse ? "on" : "off"}`);
    } else {
      this.log(`gdb-bridge: page: ${message.text}`);
    }
  }

  private acceptGdb(socket: Socket): void {
    if (this.gdb !== null) {
      socket.end();
      this.log("gdb-bridge: refused a second gdb: one at a time");
      return;
    }
    this.gdb = socket;
    socket.setNoDelay(true);
    this.orphanReader = null;
    if (this.page === null) {
      this.log(`gdb-bridge: gdb connected, but no page is: open the page with ?gdb-bridge=${this.wsAddress}, then connect gdb again`);
    } else {
      this.log("gdb-bridge: gdb connected");
      this.sendPage({ type: "gdb", connected: true });
    }
    socket.on("data", (chunk: Buffer) => {
      if (this.gdb !== socket) return;
      if (this.page !== null && this.orphanReader === null) {
        this.page.send(chunk, { binary: true });
        return;
      }
      this.answerWithoutPage(socket, chunk);
    });
    const gone = () => {
      if (this.gdb !== socket) return;
      this.gdb = null;
      this.orphanReader = null;
      this.log("gdb-bridge: gdb disconnected");
      this.sendPage({ type: "gdb", connected: false });
    };
    socket.on("close", gone);
    socket.on("error", gone);
  }

  /** gdb talks but no page listens (it never did for this connection, or a
   *  page came only later: the conversation cannot be handed over halfway). */
  private answerWithoutPage(socket: Socket, chunk: Buffer): void {
    this.orphanReader ??= new PacketReader();
    for (const event of this.orphanReader.feed(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length))) {
      if (event.kind === "packet") {
        socket.write(latin1("+"));
        socket.write(framePacket(NO_PAGE_REPLY));
      } else if (event.kind === "bad-checksum" || event.kind === "too-long") {
        socket.write(latin1("-"));
      }
    }
  }

  private sendPage(message: BridgeToPage): void {
    if (this.page !== null && this.page.readyState === this.page.OPEN) this.page.send(JSON.stringify(message));
  }

  private log(line: string): void {
    this.options.log?.(line);
  }
}
