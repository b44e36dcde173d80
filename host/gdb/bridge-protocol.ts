// What `keel gdb-bridge` (host/node/gdb-bridge.ts) and the page's worker
// (web/gdb-bridge-worker.ts) say to each other over their WebSocket. Binary
// frames carry the GDB remote protocol's bytes untouched, gdb's to the page
// and the page's GdbSession's to gdb; text frames carry one JSON control
// message each, below. The WebSocket subprotocol names the version, so a
// client that is not a Keel page (or a page of another version) is refused
// at the handshake. See docs/debugging.md, "gdb against a page".

export const BRIDGE_SUBPROTOCOL = "keel-gdb-bridge.1";

/** The largest frame either side accepts: a GDB packet is at most 16 KiB (packets.ts). */
export const BRIDGE_MAX_FRAME = 64 * 1024;

export type BridgeAttach = { pid: number } | { name: string } | null;

export type BridgeToPage =
  /** On connecting: what to attach to (the bridge's --attach). */
  | { type: "hello"; attach: BridgeAttach }
  /** gdb connected to the bridge, or went away (the page detaches then). */
  | { type: "gdb"; connected: boolean };

export type PageToBridge =
  /** On connecting: the machine's clock, and whether gdb gets reverse execution. */
  | { type: "hello"; clock: string; reverse: boolean }
  /** A line for the bridge's log (attached, no longer debugged, ...). */
  | { type: "log"; text: string };

function record(text: string): Record<string, unknown> | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

function attachOf(value: unknown): BridgeAttach | undefined {
  if (value === null) return null;
  if (typeof value !== "object" || value === undefined) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.pid === "number" && Number.isInteger(v.pid) && v.pid > 0) return { pid: v.pid };
  if (typeof v.name === "string" && v.name.length > 0) return { name: v.name };
  return undefined;
}

/** A text frame from the bridge, or null if it is not one of its messages. */
export function parseBridgeToPage(text: string): BridgeToPage | null {
  const m = record(text);
  if (m === null) return null;
  if (m.type === "hello") {
    const attach = attachOf(m.attach);
    return attach === undefined ? null : { type: "hello", attach };
  }
  if (m.type === "gdb" && typeof m.connected === "boolean") return { type: "gdb", connected: m.connected };
  return null;
}

/** A text frame from the page, or null if it is not one of its messages. */
export function parsePageToBridge(text: string): PageToBridge | null {
  const m = record(text);
  if (m === null) return null;
  if (m.type === "hello" && typeof m.clock === "string" && typeof m.reverse === "boolean") {
    return { type: "hello", clock: m.clock, reverse: m.reverse };
  }
  if (m.type === "log" && typeof m.text === "string") return { type: "log", text: m.text };
  return null;
}

/** Why `url` is not a bridge address the page may connect to, or null.
 *  Only ws:// on this computer: the bridge listens on 127.0.0.1, and a page
 *  must not hand a debugger's control of the machine to another host. */
export function bridgeUrlProblem(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "is not a URL (try ws://127.0.0.1:8765, what `npx keel gdb-bridge` prints)";
  }
  if (parsed.protocol !== "ws:") return "must start with ws:// (the bridge runs on this computer, without TLS)";
  const host = parsed.hostname;
  if (host !== "127.0.0.1" && host !== "localhost" && host !== "[::1]") {
    return `must be on this computer (127.0.0.1, localhost or [::1]), not ${host}`;
  }
  if (parsed.port === "") return "needs the bridge's port (ws://127.0.0.1:8765)";
  if (parsed.username !== "" || parsed.password !== "") return "must not carry a user name or password";
  return null;
}
