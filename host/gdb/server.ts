// The GDB server without its transport: one machine's debug target, the
// attach the server was asked for (a pid, or the next exec of a name), and
// at most one gdb connection's GdbSession at a time. The Node runner plugs
// it into TCP (host/node/gdb-tcp.ts); the page's worker into the WebSocket
// of `keel gdb-bridge` (web/gdb-bridge-worker.ts). The transport calls
// poll() after every machine slice, connect() / receive() / disconnect()
// as its client comes, talks and goes.

import { GdbSession, type DebugTarget } from "./session.js";
import type { MachineDebugTarget } from "./machine-target.js";

export interface GdbServerOptions {
  /** What to attach to: a pid, or the next process that execs this name. */
  attach?: { pid: number } | { name: string } | null;
  /** One line per event (attached, connected, ...). */
  log?: (line: string) => void;
  /** Every packet, for --gdb-log. */
  packetLog?: (direction: "in" | "out", text: string) => void;
  /** The file gdb reads a program's symbols from after the debugged process execs it (default `/NAME`). */
  execPath?: (name: string) => string;
}

export class GdbServer {
  private session: GdbSession | null = null;
  private pendingPid: number | null = null;
  private announcedPid: number | null = null;
  private execPending = false;
  /** The target as gdb sees it: no process while the page's Debugger panel owns the session. */
  private readonly view: DebugTarget;
  private toldPanel: number | null = null;

  constructor(
    readonly target: MachineDebugTarget,
    private readonly options: GdbServerOptions,
  ) {
    this.view = target.seenBy("gdb");
  }

  /** Arms the attach request; call once the machine has booted. */
  armAttach(): void {
    const attach = this.options.attach;
    if (!attach) return;
    if ("pid" in attach) {
      this.pendingPid = attach.pid;
    } else if (this.target.attachOnExec(attach.name, "gdb")) {
      this.execPending = true;
      this.log(`gdb: waiting for a process to exec ${attach.name}`);
    } else {
      this.log(`gdb: cannot wait for ${attach.name}: a program name is 1 to 16 bytes`);
    }
  }

  /** After every machine slice: attaches when due, and lets the session answer. */
  poll(): void {
    if (this.pendingPid !== null && this.target.attach(this.pendingPid, "gdb")) this.pendingPid = null;
    const panels = this.target.owner === "panel" ? this.target.pid() : null;
    if (panels !== null && panels !== this.toldPanel && this.session !== null) {
      this.log(`gdb: pid ${panels} is debugged in the page's Debugger panel: gdb sees no process until it is detached there`);
    }
    this.toldPanel = panels;
    const pid = this.view.pid();
    if (pid !== null) this.execPending = false;
    if (pid !== null && pid !== this.announcedPid) this.log(`gdb: attached to pid ${pid}, stopped`);
    if (pid === null && this.announcedPid !== null) this.log(`gdb: pid ${this.announcedPid} is no longer debugged`);
    this.announcedPid = pid;
    this.target.afterSlice();
    this.session?.poll();
  }

  /** Whether the host must keep running for gdb (a client, or an attach not yet made). */
  get busy(): boolean {
    return this.session !== null || this.pendingPid !== null || this.execPending || this.view.pid() !== null;
  }

  get connected(): boolean {
    return this.session !== null;
  }

  /** A gdb connected: its replies go to `send`. False if one is connected already. */
  connect(send: (bytes: Uint8Array) => void): boolean {
    if (this.session !== null) return false;
    const session = new GdbSession(this.view, send, this.options.execPath);
    this.toldPanel = null; // a new gdb is told again
    if (this.options.packetLog) session.onPacket = this.options.packetLog;
    this.session = session;
    this.log("gdb: connected");
    return true;
  }

  /** Bytes from the connected gdb. */
  receive(bytes: Uint8Array): void {
    this.session?.receive(bytes);
    this.poll(); // attaches and detaches made by gdb are announced at once
  }

  /** gdb went away: a process it left attached is detached and runs on. */
  disconnect(): void {
    if (this.session === null) return;
    this.session = null;
    if (this.view.pid() !== null) this.view.detach();
    this.log("gdb: disconnected");
  }

  private log(line: string): void {
    this.options.log?.(line);
  }
}
