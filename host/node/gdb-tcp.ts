// The GDB server's Node transport: a TCP listener on 127.0.0.1 that hands
// each connection's bytes to a GdbSession (host/gdb/session.ts) over the
// running machine (host/gdb/machine-target.ts). One gdb at a time; when it
// disconnects without detaching, the process is detached and runs on.

import { createServer, type Server, type Socket } from "node:net";
import { GdbSession } from "../gdb/session.js";
import type { MachineDebugTarget } from "../gdb/machine-target.js";

export interface GdbTcpOptions {
  port: number;
  host?: string;
  /** What to attach to: a pid, or the next process that execs this name. */
  attach?: { pid: number } | { name: string } | null;
  /** One line per event (listening, attached, connected, ...). */
  log?: (line: string) => void;
  /** Every packet, for --gdb-log. */
  packetLog?: (direction: "in" | "out", text: string) => void;
}

export class GdbTcpServer {
  private server: Server | null = null;
  private client: Socket | null = null;
  private session: GdbSession | null = null;
  private pendingPid: number | null = null;
  private announcedPid: number | null = null;
  private execPending = false;

  constructor(
    private readonly target: MachineDebugTarget,
    private readonly options: GdbTcpOptions,
  ) {}

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
        this.log(`gdb: listening on ${host}:${port}`);
        resolve(port);
      });
    });
  }

  /** Arms the attach request; call once the machine has booted. */
  armAttach(): void {
    const attach = this.options.attach;
    if (!attach) return;
    if ("pid" in attach) {
      this.pendingPid = attach.pid;
    } else if (this.target.attachOnExec(attach.name)) {
      this.execPending = true;
      this.log(`gdb: waiting for a process to exec ${attach.name}`);
    } else {
      this.log(`gdb: cannot wait for ${attach.name}: a program name is 1 to 16 bytes`);
    }
  }

  /** After every machine slice: attaches when due, and lets the session answer. */
  poll(): void {
    if (this.pendingPid !== null && this.target.attach(this.pendingPid)) this.pendingPid = null;
    const pid = this.target.pid();
    if (pid !== null) this.execPending = false;
    if (pid !== null && pid !== this.announcedPid) this.log(`gdb: attached to pid ${pid}, stopped`);
    if (pid === null && this.announcedPid !== null) this.log(`gdb: pid ${this.announcedPid} is no longer debugged`);
    this.announcedPid = pid;
    this.target.afterSlice();
    this.session?.poll();
  }

  /** Whether the runner must keep running for gdb (a client, or an attach not yet made). */
  get busy(): boolean {
    return this.client !== null || this.pendingPid !== null || this.execPending || this.target.pid() !== null;
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
    const session = new GdbSession(this.target, (bytes) => socket.write(bytes));
    if (this.options.packetLog) session.onPacket = this.options.packetLog;
    this.session = session;
    this.log("gdb: connected");
    socket.on("data", (chunk: Buffer) => {
      session.receive(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
      this.poll(); // attaches and detaches made by gdb are announced at once
    });
    const gone = () => {
      if (this.client !== socket) return;
      this.client = null;
      this.session = null;
      if (this.target.pid() !== null) this.target.detach();
      this.log("gdb: disconnected");
    };
    socket.on("close", gone);
    socket.on("error", gone);
  }

  private log(line: string): void {
    this.options.log?.(line);
  }
}
