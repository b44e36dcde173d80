// The page's side of `keel gdb-bridge` (host/node/gdb-bridge.ts), in the
// machine's Web Worker: a WebSocket to the bridge on this computer, and the
// GDB server itself, the one the headless runner has (host/gdb/server.ts:
// a GdbSession over a MachineDebugTarget), fed with the bytes gdb sends
// through the bridge. The run loop calls it after every slice (onTick), as
// the runner does. With the deterministic clock it offers reverse
// execution: the worker put the machine's disk behind an UndoDisk for it.
//
// The bridge not running (yet) is not an error: the worker tries again
// every RETRY_MS, and says so once. The bridge going away ends gdb's
// session (the process is detached and runs on); a new bridge is connected
// to when it comes back.

import type { Machine, RunReport } from "../host/machine";
import type { UndoDisk } from "../host/disk/undo";
import { MachineDebugTarget } from "../host/gdb/machine-target";
import { GdbServer } from "../host/gdb/server";
import { BRIDGE_MAX_FRAME, BRIDGE_SUBPROTOCOL, parseBridgeToPage, type PageToBridge } from "../host/gdb/bridge-protocol";

const RETRY_MS = 2000;

/** What the bridge client needs of the worker's session (web/worker.ts). */
export interface BridgeHost {
  machine: Machine;
  /** The machine's disk behind its undo log, or null (no disk, or one that cannot go back). */
  undoDisk: UndoDisk | null;
  /** The machine's debug target, if the worker has one already (the
   *  Debugger panel's, web/debug-worker.ts: the kernel debugs one process
   *  at a time), with its reverse execution. */
  target?: MachineDebugTarget;
  /** Runs the machine's loop again (gdb resumed the process). */
  kick(): void;
  /** Calls `listener` after every slice; returns the unsubscribe. */
  onTick(listener: (report: RunReport) => void): () => void;
  /** A line for the page's log. */
  log(text: string, warn: boolean): void;
}

export class GdbBridgeClient {
  private ws: WebSocket | null = null;
  private server: GdbServer | null = null;
  private retry: ReturnType<typeof setTimeout> | null = null;
  private readonly untick: () => void;
  private readonly target: MachineDebugTarget;
  private readonly reverse: boolean;
  private saidWaiting = false;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly host: BridgeHost,
  ) {
    const target = host.target ?? new MachineDebugTarget(host.machine);
    if (host.target === undefined) target.onResume = () => host.kick();
    let reverse = host.target?.canReverse() ?? false;
    if (host.target === undefined && host.machine.config.clock === "deterministic") {
      try {
        target.enableHistory(host.undoDisk);
        reverse = true;
      } catch (error) {
        host.log(`gdb bridge: no reverse execution: ${error instanceof Error ? error.message : String(error)}`, true);
      }
    }
    this.target = target;
    this.reverse = reverse;
    this.untick = host.onTick(() => this.server?.poll());
    this.connect();
  }

  /** Stops for good (the machine is being replaced). */
  close(): void {
    this.closed = true;
    this.untick();
    if (this.retry !== null) clearTimeout(this.retry);
    this.server?.disconnect();
    this.server = null;
    this.ws?.close(1000, "the page's machine was replaced");
    this.ws = null;
  }

  private connect(): void {
    if (this.closed) return;
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.url, BRIDGE_SUBPROTOCOL);
    } catch (error) {
      this.host.log(`gdb bridge: cannot connect to ${this.url}: ${error instanceof Error ? error.message : String(error)}`, true);
      return;
    }
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      this.saidWaiting = false;
      this.host.log(`gdb bridge: connected to ${this.url}`, false);
      this.send({ type: "hello", clock: this.host.machine.config.clock, reverse: this.reverse });
    };
    ws.onmessage = (event: MessageEvent) => this.fromBridge(event.data);
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.dropServer();
      if (this.closed) return;
      if (opened) this.host.log(`gdb bridge: ${this.url} went away; trying again every ${RETRY_MS / 1000} s`, true);
      else if (!this.saidWaiting) {
        this.host.log(`gdb bridge: no bridge at ${this.url} (start it with npx keel gdb-bridge); trying again every ${RETRY_MS / 1000} s`, true);
      }
      this.saidWaiting = true;
      this.retry = setTimeout(() => {
        this.retry = null;
        this.connect();
      }, RETRY_MS);
    };
  }

  private fromBridge(data: unknown): void {
    if (data instanceof ArrayBuffer) {
      if (data.byteLength <= BRIDGE_MAX_FRAME) this.server?.receive(new Uint8Array(data));
      return;
    }
    const message = typeof data === "string" ? parseBridgeToPage(data) : null;
    if (message === null) return; // not the bridge's: dropped
    if (message.type === "hello") {
      this.dropServer();
      const server = new GdbServer(this.target, {
        attach: message.attach,
        log: (line) => {
          this.host.log(line, false);
          this.send({ type: "log", text: line });
        },
      });
      this.server = server;
      server.armAttach();
      server.poll();
      this.host.kick();
    } else if (message.connected) {
      this.server?.connect((bytes) => {
        if (this.ws !== null && this.ws.readyState === WebSocket.OPEN) this.ws.send(bytes);
      });
    } else {
      this.server?.disconnect();
      this.host.kick();
    }
  }

  private dropServer(): void {
    this.server?.disconnect();
    if (this.target.owner === "gdb") this.target.detach(); // never the panel's process
    this.server = null;
  }

  private send(message: PageToBridge): void {
    if (this.ws !== null && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }
}
