// What the page's Network panel shows (docs/network.md, "The Network
// panel"), read between slices without changing the machine:
//
// * the interface: the NIC's MAC, link and counters (host/devices/nic.ts);
// * netd's address, counters and sockets, from the page netd exports in its
//   own memory (struct netexport, user/include/net.h): the host finds netd
//   in the process table, looks for the export's magic at the start of the
//   pages of netd's data regions (through the kernel's page-table walk of
//   host/inspect.ts), remembers where it found it, and reads it from RAM;
//   a page caught mid-rewrite (odd generation) gives the last good reading;
// * the packet log: frames a PacketCapture (host/net/capture.ts) recorded,
//   decoded (host/net/decode.ts).

import type { Machine } from "../machine.js";
import type { NicCounters } from "../devices/nic.js";
import { macToString } from "./backend.js";
import type { PacketCapture } from "./capture.js";
import { decodeFrame, type DecodedFrame } from "./decode.js";

export const NETD_EXPORT_MAGIC = 0x3150584554454e4bn;
export const NETD_EXPORT_MAX = 40;
/** struct netstats (user/include/net.h), field by field: the export's layout follows it. */
export const NETSTATS_FIELDS = [
  "frames", "bad_frames", "arp_in", "arp_replies", "ip_in", "ip_bad", "ip_fragments", "ip_other", "icmp_bad", "echo_answered",
  "echo_replies", "sent", "send_errors", "arp_dropped", "echo_dropped", "udp_in", "udp_bad", "udp_no_port", "udp_dropped",
  "udp_sent", "udp_reaped", "tcp_in", "tcp_bad", "tcp_rst_sent", "tcp_no_room", "tcp_sent", "sock_reaped", "dhcp_bad",
  "dhcp_retries", "router", "dns", "lease_left", "card", "lo_packets", "lo_bytes", "lo_dropped",
] as const;
const X_GEN = 8, X_ADDR = 16, X_PREFIX = 20, X_COUNT = 24, X_TOTAL = 28, X_STATS = 32;
const X_SOCK = X_STATS + NETSTATS_FIELDS.length * 8;
const SOCKINFO_SIZE = 64;
const TCP_STATES = ["CLOSED", "LISTEN", "SYN_SENT", "SYN_RCVD", "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING",
  "LAST_ACK", "TIME_WAIT"];
const SOCK_STATE_UDP = 100;
const PAGE = 4096;

export interface SocketRow {
  /** "tcp", "udp", or "udp*" (a port bound with NETD_UDP_BIND). */
  proto: string;
  local: string;
  remote: string;
  /** The TCP state as netstat names it; "" for UDP. */
  state: string;
  recvQ: number;
  sendQ: number;
  srttUs: number;
  cwnd: number;
  retransmits: number;
}

export interface NetdView {
  pid: number;
  address: string;
  stats: Record<string, number>;
  sockets: SocketRow[];
  /** Sockets netd has beyond those exported. */
  more: number;
}

export interface PacketRow {
  seq: number;
  timeNs: number;
  dir: "in" | "out";
  decoded: DecodedFrame;
}

export interface NetView {
  nic: { fitted: boolean; mac: string; link: boolean; counters: NicCounters; queued: number } | null;
  /** null with `netdProblem` saying why. */
  netd: NetdView | null;
  netdProblem: string;
  packets: PacketRow[];
  /** Frames captured so far; the next query's `packetsFrom`. */
  packetsNext: number;
  /** Whether the machine's frames are captured at all. */
  capturing: boolean;
}

const ipText = (a: number): string => `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
const endpoint = (addr: number, port: number): string => `${addr === 0 ? "*" : ipText(addr)}:${port === 0 ? "*" : port}`;

/** Reads netd's export from RAM at physical address pa; null if the page is not one (or caught mid-write). */
export function parseNetdExport(ram: DataView, pa: number, pid: number): NetdView | null {
  if (pa < 0 || pa + PAGE > ram.byteLength) return null;
  if (ram.getBigUint64(pa, true) !== NETD_EXPORT_MAGIC) return null;
  const gen = ram.getBigUint64(pa + X_GEN, true);
  if ((gen & 1n) !== 0n) return null;
  const count = Math.min(ram.getUint32(pa + X_COUNT, true), NETD_EXPORT_MAX);
  const total = ram.getUint32(pa + X_TOTAL, true);
  const addr = ram.getUint32(pa + X_ADDR, true);
  const stats: Record<string, number> = {};
  NETSTATS_FIELDS.forEach((f, i) => { stats[f] = Number(ram.getBigUint64(pa + X_STATS + 8 * i, true)); });
  const sockets: SocketRow[] = [];
  for (let i = 0; i < count; i++) {
    const at = pa + X_SOCK + i * SOCKINFO_SIZE;
    const u = (k: number): number => ram.getUint32(at + 4 * k, true);
    const type = u(0), state = u(1);
    sockets.push({
      proto: type === 1 ? "tcp" : type === 2 ? "udp" : "udp*",
      local: endpoint(u(2), u(3)), remote: endpoint(u(4), u(5)),
      state: state === SOCK_STATE_UDP ? "" : (TCP_STATES[state] ?? `state ${state}`),
      recvQ: u(6), sendQ: u(7), retransmits: Number(ram.getBigUint64(at + 32, true)),
      srttUs: ram.getUint32(at + 56, true), cwnd: ram.getUint32(at + 60, true),
    });
  }
  if (ram.getBigUint64(pa + X_GEN, true) !== gen) return null;
  return {
    pid, address: addr === 0 ? "none" : `${ipText(addr)}/${ram.getUint32(pa + X_PREFIX, true)}`, stats, sockets,
    more: Math.max(0, total - count),
  };
}

/** Finds and reads netd's export; remembers where it was for the next call. */
export class NetdReader {
  private found: { pid: number; va: number } | null = null;
  private last: NetdView | null = null;

  read(machine: Machine): { netd: NetdView | null; problem: string } {
    const overview = machine.inspect({ what: "overview", logFrom: 0xffff_ffff, schedFrom: 0xffff_ffff });
    if (overview.what !== "overview") return { netd: null, problem: overview.what === "error" ? overview.message : "no answer" };
    const procs = overview.overview.procs;
    const byPid = new Map(procs.map((p) => [p.pid, p]));
    // netd's children (its receive pump and timer) carry its name too: the service is the one whose parent is not netd.
    const netd = procs.find((p) => p.name === "netd" && p.state !== "zombie" && byPid.get(p.ppid)?.name !== "netd");
    if (netd === undefined) { this.found = null; this.last = null; return { netd: null, problem: "netd is not running" }; }
    if (this.found?.pid !== netd.pid) { this.found = null; this.last = null; }
    const ram = new DataView(machine.ram);
    const at = (va: number): NetdView | null => {
      const walk = machine.inspect({ what: "walk", pid: netd.pid, va: `0x${va.toString(16)}` });
      if (walk.what !== "walk" || walk.walk.pa === null) return null;
      return parseNetdExport(ram, walk.walk.pa, netd.pid);
    };
    if (this.found !== null) {
      const view = at(this.found.va);
      if (view !== null) { this.last = view; return { netd: view, problem: "" }; }
      // Mid-rewrite, or gone: the last good reading, or a fresh search.
      if (this.last !== null) return { netd: this.last, problem: "" };
    }
    const detail = machine.inspect({ what: "process", pid: netd.pid });
    if (detail.what !== "process") return { netd: null, problem: detail.what === "error" ? detail.message : "no answer" };
    for (const r of detail.detail.regions) {
      if (!r.perms.includes("w") || r.kind === "stack" || r.kind === "shared") continue;
      for (let va = Math.ceil(r.start / PAGE) * PAGE; va + PAGE <= r.end && va < r.start + 64 * PAGE; va += PAGE) {
        const view = at(va);
        if (view !== null) {
          this.found = { pid: netd.pid, va };
          this.last = view;
          return { netd: view, problem: "" };
        }
      }
    }
    return { netd: null, problem: "netd's exported state was not found (an older netd?)" };
  }
}

/** The whole view; `packetsFrom` is the first capture number the asker has not seen. */
export function netView(machine: Machine, reader: NetdReader, capture: PacketCapture | null, packetsFrom: number): NetView {
  const nic = machine.nic;
  const { netd, problem } = machine.state === "off" ? { netd: null, problem: "The machine is off." } : reader.read(machine);
  const frames = capture?.since(Math.max(0, Math.floor(packetsFrom)), 256) ?? [];
  return {
    nic: nic.fitted ? { fitted: true, mac: macToString(nic.mac), link: nic.linkUp(), counters: nic.counters(), queued: nic.rxQueued } : null,
    netd, netdProblem: problem,
    packets: frames.map((f) => ({ seq: f.seq, timeNs: f.timeNs, dir: f.dir, decoded: decodeFrame(f.bytes.length < f.length ? padTo(f) : f.bytes) })),
    packetsNext: capture?.recorded ?? 0,
    capturing: capture !== null,
  };
}

/** A snapped frame decodes with its true length: the missing tail reads as zeros (data only, never a header). */
function padTo(f: { bytes: Uint8Array; length: number }): Uint8Array {
  const full = new Uint8Array(f.length);
  full.set(f.bytes);
  return full;
}
