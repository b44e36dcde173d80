// The GDB server's Node transport: a TCP listener on 127.0.0.1 that hands
// each connection's bytes to the transport-free server (host/gdb/server.ts:
// a GdbSession over the running machine's MachineDebugTarget). One gdb at
// a time; when it disconnects without detaching, the process is detached
// and runs on.

import { createServer, type Server, type Socket } from "node:net";
import { GdbServer, type GdbServerOptions } from "../gdb/server.js";
import type { MachineDebugTarget } from "../gdb/machine-target.js";

export interface GdbTcpOptions extends GdbServerOptions {
  port: number;
  host?: string;
}

export class GdbTcpServer {
  private server: Server | null = null;
  private client: Socket | null = null;
  private readonly core: GdbServer;

  constructor(
    target: MachineDebugTarget,
    private readonly options: GdbTcpOptions,
  ) {
    this.core = new GdbServer(target, options);
  }

  /** Starts listening; resolves with the port (useful with port 0). */
  listen(): Promise<number> {
    const host = this.options.host ?? "127.0.0.1";
    return new Promise((resolve, reject) => {
      const server = createServer((socket) => this.accept(socket));
      server.once("error", reject);
      server.listen(this.options.port, host, () => {
        const address = server.address();
        const port = typeof address === "object" && address !== null ? address.port : this.options.port;
        this.server = server;
        this.options.log?.(`gdb: listening on ${host}:${port}`);
        resolve(port);
      });
    });
  }

  /** Arms the attach request; call once the machine has booted. */
  armAttach(): void {
    this.core.armAttach();
  }

  /** After every machine slice: attaches when due, and lets the session answer. */
  poll(): void {
    this.core.poll();
  }

  /** Whether the runner must keep running for gdb (a client, or an attach not yet made). */
  get busy(): boolean {
    return this.client !== null || this.core.busy;
  }

  close(): void {
    this.client?.destroy();
    this.client = null;
    this.server?.close();
    this.server = null;
  }

  private accept(socket: Socket): void {
    if (this.client !== null) {
      socket.end();
      return;
    }
    this.client = socket;
    socket.setNoDelay(true);
    this.core.connect((bytes) => socket.write(bytes));
    socket.on("data", (chunk: Buffer) => this.core.receive(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length)));
    const gone = () => {
      if (this.client !== socket) return;
      this.client = null;
      this.core.disconnect();
    };
    socket.on("close", gone);
    socket.on("error", gone);
  }
}
