// A TCP endpoint in TypeScript for the host side of the virtual network
// (the gateway, and anything on the host that talks to an httpd inside a
// Keel machine). It speaks RFC 793/9293 TCP to netd's C stack: handshake
// (with the MSS option), in-order delivery with retransmission (RFC 6298
// RTO, Karn's rule), the peer's receive window honoured and our own
// advertised from the bytes the application has not taken, out-of-order
// segments kept and reassembled, zero-window probes, FIN in both directions,
// TIME_WAIT, RST in and out. No congestion control: the wire is a switch in
// the same process (its queues are bounded by the peer's window anyway).
//
// Time is never read from the wall: the owner gives the stack a `now()`
// (nanoseconds of the machine's virtual clock) and calls `tick()` when time
// moves (the gateway does it at every switch pump), so a deterministic
// session stays deterministic. The stack never throws for anything a
// segment holds: a bad segment is counted and dropped.
//
// IPv4 addresses are numbers (0xC0A80001 = 192.168.0.1); the owner carries
// the segments in IP packets (host/net/netif.ts).

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;

export const TCP_HEADER_LEN = 20;
/** Our maximum segment size (a 1500-byte IP packet). */
export const TCP_MSS = 1460;
/** The peer's segment size when its SYN names none (RFC 9293 3.7.1). */
export const TCP_DEFAULT_MSS = 536;
export const TCP_RTO_INITIAL_NS = 1e9;
/** As netd's: the wire is virtual, so RFC 6298's one-second floor would only slow recovery. */
export const TCP_RTO_MIN_NS = 200e6;
export const TCP_RTO_MAX_NS = 60e9;
export const TCP_SYN_RETRIES = 6;
export const TCP_DATA_RETRIES = 12;
export const TCP_MSL_NS = 10e9;
/** Bytes received and not yet taken by the application: the most we advertise. */
export const TCP_RECEIVE_BUFFER = 65535;
/** Connections (any state) one stack keeps. */
export const TCP_MAX_CONNECTIONS = 256;

export type TcpState =
  | "SYN_SENT" | "SYN_RCVD" | "ESTABLISHED" | "FIN_WAIT_1" | "FIN_WAIT_2" | "CLOSING"
  | "TIME_WAIT" | "CLOSE_WAIT" | "LAST_ACK" | "CLOSED";

/** Why a connection ended other than by an orderly close. */
export type TcpError = "refused" | "reset" | "timeout" | "aborted";

export interface TcpSegment {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  /** The MSS option (SYN segments only). */
  mss?: number;
  payload: Uint8Array;
}

// ---- sequence arithmetic (mod 2^32) ----
const seqLt = (a: number, b: number) => ((a - b) | 0) < 0;
const seqLe = (a: number, b: number) => ((a - b) | 0) <= 0;
const seqGt = (a: number, b: number) => ((a - b) | 0) > 0;
const seqAdd = (a: number, n: number) => (a + n) >>> 0;
const seqDiff = (a: number, b: number) => (a - b) | 0;

// ---- the segment codec ----

function sum16(bytes: Uint8Array, start: number): number {
  let sum = start;
  for (let i = 0; i + 1 < bytes.length; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (bytes.length & 1) sum += bytes[bytes.length - 1]! << 8;
  return sum;
}

function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

/** The Internet checksum (RFC 1071): 0 over a header whose checksum is right. */
export function internetChecksum(bytes: Uint8Array): number {
  return ~fold(sum16(bytes, 0)) & 0xffff;
}

/** The TCP/UDP checksum over the IPv4 pseudo-header and bytes (RFC 9293 3.1,
 *  RFC 768): 0 when a received segment's checksum field is right. */
export function l4Checksum(src: number, dst: number, proto: number, bytes: Uint8Array): number {
  const pseudo = (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + proto + bytes.length;
  return ~fold(sum16(bytes, pseudo)) & 0xffff;
}

export function encodeTcp(src: number, dst: number, s: TcpSegment): Uint8Array {
  const options = s.mss !== undefined ? 4 : 0;
  const out = new Uint8Array(TCP_HEADER_LEN + options + s.payload.length);
  const v = new DataView(out.buffer);
  v.setUint16(0, s.srcPort);
  v.setUint16(2, s.dstPort);
  v.setUint32(4, s.seq >>> 0);
  v.setUint32(8, s.ack >>> 0);
  out[12] = ((TCP_HEADER_LEN + options) / 4) << 4;
  out[13] = s.flags & 0x3f;
  v.setUint16(14, s.window);
  if (s.mss !== undefined) {
    out.set([2, 4, s.mss >> 8, s.mss & 0xff], TCP_HEADER_LEN);
  }
  out.set(s.payload, TCP_HEADER_LEN + options);
  v.setUint16(16, l4Checksum(src, dst, 6, out));
  return out;
}

/** Parses a segment from src to dst; a string says why it is not one. */
export function decodeTcp(src: number, dst: number, bytes: Uint8Array): TcpSegment | string {
  if (bytes.length < TCP_HEADER_LEN) return "short header";
  const offset = (bytes[12]! >> 4) * 4;
  if (offset < TCP_HEADER_LEN || offset > bytes.length) return "bad data offset";
  if (l4Checksum(src, dst, 6, bytes) !== 0) return "bad checksum";
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const seg: TcpSegment = {
    srcPort: v.getUint16(0), dstPort: v.getUint16(2), seq: v.getUint32(4), ack: v.getUint32(8),
    flags: bytes[13]! & 0x3f, window: v.getUint16(14), payload: bytes.slice(offset),
  };
  for (let i = TCP_HEADER_LEN; i < offset;) {
    const kind = bytes[i]!;
    if (kind === 0) break;
    if (kind === 1) { i++; continue; }
    if (i + 1 >= offset) return "truncated option";
    const len = bytes[i + 1]!;
    if (len < 2 || i + len > offset) return "bad option length";
    if (kind === 2 && len === 4) seg.mss = (bytes[i + 2]! << 8) | bytes[i + 3]!;
    i += len;
  }
  if (seg.srcPort === 0 || seg.dstPort === 0) return "port 0";
  return seg;
}

// ---- connections ----

export interface TcpStats {
  segmentsIn: number;
  segmentsOut: number;
  /** Segments that failed decodeTcp (checksum, header). */
  bad: number;
  /** Segments for no connection, answered with RST. */
  resetsSent: number;
  retransmits: number;
  /** SYNs refused because the connection table was full. */
  noRoom: number;
}

export interface TcpStackOptions {
  /** Nanoseconds of the clock that drives the timers (the machine's virtual clock). */
  now(): number;
  /** Carries a segment (already encoded, checksum included) from src to dst. */
  output(src: number, dst: number, segment: Uint8Array): void;
}

/** One end of a TCP connection, as its application sees it. */
export class TcpStream {
  state: TcpState;
  /** Set once the connection ended other than by an orderly close. */
  error: TcpError | null = null;

  // send side: bytes [sendStart, sendStart + sendLength) of the stream,
  // from the oldest unacknowledged one; sequence number of sendBuf[0] is bufSeq
  private sendBuf = new Uint8Array(4096);
  private sendLength = 0;
  private bufSeq: number;
  readonly iss: number;
  sndUna: number;
  sndNxt: number;
  /** The highest sequence number sent (sndNxt may fall back to sndUna on a timeout). */
  sndMax: number;
  sndWnd = 0;
  peerMss = TCP_DEFAULT_MSS;
  private finQueued = false;
  private finAcked = false;

  // receive side
  irs = 0;
  rcvNxt = 0;
  /** Received in order, not yet given to the application. */
  private held: Uint8Array[] = [];
  private heldBytes = 0;
  /** Out-of-order segments by sequence number (inside the window when they came). */
  private ooo = new Map<number, Uint8Array>();
  private oooBytes = 0;
  /** Sequence number of the peer's FIN once it has been seen. */
  private peerFinSeq: number | null = null;
  private peerFinTaken = false;
  /** The right edge we last advertised (never moved back). */
  private advertisedEdge = 0;
  private paused = false;

  // timers
  rto = TCP_RTO_INITIAL_NS;
  private srtt = 0;
  private rttvar = 0;
  private timing: { seq: number; at: number } | null = null;
  rtoDeadline = 0;
  private retries = 0;
  private timeWaitDeadline = 0;
  retransmits = 0;

  private dataHandler: ((chunk: Uint8Array) => void) | null = null;
  private endHandler: (() => void) | null = null;
  private closeHandlers: ((error: TcpError | null) => void)[] = [];
  private connectHandlers: (() => void)[] = [];

  constructor(
    private readonly stack: TcpStack,
    readonly localIp: number,
    readonly localPort: number,
    readonly remoteIp: number,
    readonly remotePort: number,
    iss: number,
    state: TcpState,
  ) {
    this.iss = iss >>> 0;
    this.sndUna = this.iss;
    this.sndNxt = this.iss;
    this.sndMax = this.iss;
    this.bufSeq = seqAdd(this.iss, 1);
    this.state = state;
  }

  // ---- the application's side ----

  /** Queues bytes to send (a string as UTF-8). Refused after close(). */
  write(data: Uint8Array | string): void {
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    if (this.finQueued || this.state === "CLOSED" || this.state === "TIME_WAIT") {
      throw new Error(`TCP write after close (state ${this.state})`);
    }
    if (this.sendLength + bytes.length > this.sendBuf.length) {
      let size = this.sendBuf.length;
      while (size < this.sendLength + bytes.length) size *= 2;
      const grown = new Uint8Array(size);
      grown.set(this.sendBuf.subarray(0, this.sendLength));
      this.sendBuf = grown;
    }
    this.sendBuf.set(bytes, this.sendLength);
    this.sendLength += bytes.length;
    this.output();
  }

  /** Every chunk of the peer's stream, in order, as it arrives (and what had
   *  arrived before the handler was set). */
  onData(handler: (chunk: Uint8Array) => void): void {
    this.dataHandler = handler;
    this.deliver();
  }

  /** The peer closed its side (FIN): no more data will come. */
  onEnd(handler: () => void): void {
    this.endHandler = handler;
    if (this.peerFinTaken && this.heldBytes === 0) handler();
  }

  /** The connection is over: error null for an orderly close. */
  onClose(handler: (error: TcpError | null) => void): void {
    if (this.state === "CLOSED") handler(this.error);
    else this.closeHandlers.push(handler);
  }

  /** The handshake completed (at once if it already has). */
  onConnect(handler: () => void): void {
    if (this.synchronized()) handler();
    else if (this.state !== "CLOSED") this.connectHandlers.push(handler);
  }

  /** Stops handing data to onData: the receive window closes as bytes pile up. */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.deliver();
  }

  /** Orderly close of our side: FIN after every byte written. */
  close(): void {
    if (this.finQueued || this.state === "CLOSED") return;
    if (this.state === "SYN_SENT") { this.finish(null); return; }
    this.finQueued = true;
    this.output();
  }

  /** Abortive close: RST to the peer, the connection ends at once. */
  abort(): void {
    if (this.state === "CLOSED") return;
    if (this.state !== "SYN_SENT" && this.state !== "TIME_WAIT") {
      this.emit({ seq: this.sndNxt, ack: this.rcvNxt, flags: TCP_RST | TCP_ACK, payload: new Uint8Array(0) });
    }
    this.finish("aborted");
  }

  /** Bytes written and not yet acknowledged by the peer. */
  get unacknowledged(): number {
    return this.sendLength;
  }

  // ---- the stack's side ----

  /** The earliest time a timer of this connection is due (0: none). */
  deadline(): number {
    if (this.state === "TIME_WAIT") return this.timeWaitDeadline;
    return this.rtoDeadline;
  }

  private synchronized(): boolean {
    return this.state !== "SYN_SENT" && this.state !== "SYN_RCVD" && this.state !== "CLOSED";
  }

  private receiveWindow(): number {
    return Math.max(0, Math.min(0xffff, TCP_RECEIVE_BUFFER - this.heldBytes - this.oooBytes));
  }

  /** The window to advertise: the free buffer, grown only in steps of an MSS
   *  (receiver silly-window avoidance), its right edge never moved back. */
  private windowToAdvertise(): number {
    const free = this.receiveWindow();
    const edge = seqAdd(this.rcvNxt, free);
    const oldRoom = seqDiff(this.advertisedEdge, this.rcvNxt);
    if (seqGt(this.advertisedEdge, this.rcvNxt) && seqLt(edge, this.advertisedEdge)) return Math.min(0xffff, oldRoom);
    if (seqDiff(edge, this.advertisedEdge) < Math.min(TCP_MSS, TCP_RECEIVE_BUFFER / 2) && oldRoom >= 0) {
      return Math.min(0xffff, Math.max(0, oldRoom));
    }
    this.advertisedEdge = edge;
    return free;
  }

  emit(s: { seq: number; ack: number; flags: number; payload: Uint8Array; mss?: number }): void {
    const window = (s.flags & TCP_RST) ? 0 : this.windowToAdvertise();
    this.stack.send(this.localIp, this.remoteIp, {
      srcPort: this.localPort, dstPort: this.remotePort, seq: s.seq, ack: s.ack, flags: s.flags,
      window, mss: s.mss, payload: s.payload,
    });
  }

  private sendAck(): void {
    this.emit({ seq: this.sndNxt, ack: this.rcvNxt, flags: TCP_ACK, payload: new Uint8Array(0) });
  }

  private armRto(now: number): void {
    this.rtoDeadline = now + this.rto;
  }

  /** Sends what the window allows: the SYN, data, the FIN. */
  output(probe = false): void {
    const now = this.stack.now();
    if (this.state === "SYN_SENT" || this.state === "SYN_RCVD") {
      if (this.sndNxt === this.iss) {
        const synAck = this.state === "SYN_RCVD";
        this.emit({ seq: this.iss, ack: synAck ? this.rcvNxt : 0, flags: TCP_SYN | (synAck ? TCP_ACK : 0), payload: new Uint8Array(0), mss: TCP_MSS });
        this.sndNxt = seqAdd(this.iss, 1);
        if (seqGt(this.sndNxt, this.sndMax)) this.sndMax = this.sndNxt;
        if (!this.rtoDeadline) this.armRto(now);
      }
      return;
    }
    if (this.state !== "ESTABLISHED" && this.state !== "CLOSE_WAIT" && this.state !== "FIN_WAIT_1" &&
        this.state !== "CLOSING" && this.state !== "LAST_ACK") return;
    const finSeq = seqAdd(this.bufSeq, this.sendLength);
    for (;;) {
      const offset = seqDiff(this.sndNxt, this.bufSeq);
      const avail = this.sendLength - offset;
      const room = seqDiff(seqAdd(this.sndUna, this.sndWnd), this.sndNxt);
      let n = Math.min(avail, room, this.peerMss);
      if (n <= 0 && probe && avail > 0 && this.sndNxt === this.sndUna) n = 1; // zero-window probe
      if (n > 0) {
        const payload = this.sendBuf.slice(offset, offset + n);
        const last = offset + n === this.sendLength;
        if (this.timing === null && this.sndNxt === this.sndMax) this.timing = { seq: seqAdd(this.sndNxt, n), at: now };
        this.emit({ seq: this.sndNxt, ack: this.rcvNxt, flags: TCP_ACK | (last ? TCP_PSH : 0), payload });
        this.sndNxt = seqAdd(this.sndNxt, n);
        if (seqGt(this.sndNxt, this.sndMax)) this.sndMax = this.sndNxt;
        if (!this.rtoDeadline) this.armRto(now);
        probe = false;
        continue;
      }
      if (this.finQueued && this.sndNxt === finSeq && !this.finAcked) {
        this.emit({ seq: this.sndNxt, ack: this.rcvNxt, flags: TCP_FIN | TCP_ACK, payload: new Uint8Array(0) });
        this.sndNxt = seqAdd(this.sndNxt, 1);
        if (seqGt(this.sndNxt, this.sndMax)) this.sndMax = this.sndNxt;
        if (this.state === "ESTABLISHED") this.state = "FIN_WAIT_1";
        else if (this.state === "CLOSE_WAIT") this.state = "LAST_ACK";
        if (!this.rtoDeadline) this.armRto(now);
      }
      break;
    }
    // Data waits for a window that is shut: the retransmission timer probes it.
    if (!this.rtoDeadline && this.sendLength > seqDiff(this.sndNxt, this.bufSeq)) this.armRto(now);
  }

  /** A timer is due. */
  timer(now: number): void {
    if (this.state === "TIME_WAIT") {
      if (now >= this.timeWaitDeadline) this.finish(null);
      return;
    }
    if (!this.rtoDeadline || now < this.rtoDeadline) return;
    this.rtoDeadline = 0;
    const inFlight = this.sndNxt !== this.sndUna;
    const waiting = this.sendLength > seqDiff(this.sndNxt, this.bufSeq);
    if (!inFlight && !waiting) return;
    const handshake = this.state === "SYN_SENT" || this.state === "SYN_RCVD";
    if (inFlight) {
      this.retries++;
      if (this.retries > (handshake ? TCP_SYN_RETRIES : TCP_DATA_RETRIES)) {
        if (!handshake) this.emit({ seq: this.sndNxt, ack: this.rcvNxt, flags: TCP_RST | TCP_ACK, payload: new Uint8Array(0) });
        this.finish("timeout");
        return;
      }
      this.retransmits++;
      this.stack.stats.retransmits++;
      this.timing = null; // Karn: never time a retransmitted segment
      this.sndNxt = this.sndUna;
    }
    this.rto = Math.min(TCP_RTO_MAX_NS, this.rto * 2);
    this.output(true);
    if (!this.rtoDeadline) this.armRto(now);
  }

  /** A segment for this connection (its four addresses match). */
  input(seg: TcpSegment): void {
    const now = this.stack.now();
    if (this.state === "SYN_SENT") { this.inputSynSent(seg, now); return; }
    const len = seg.payload.length + ((seg.flags & TCP_SYN) ? 1 : 0) + ((seg.flags & TCP_FIN) ? 1 : 0);
    const wnd = this.receiveWindow();
    // Acceptability (RFC 9293 3.10.7.4): some of the segment is inside the window.
    const acceptable = len === 0
      ? (wnd === 0 ? seg.seq === this.rcvNxt : seqLe(this.rcvNxt, seg.seq) && seqLt(seg.seq, seqAdd(this.rcvNxt, wnd)))
      : wnd > 0 && seqLt(seg.seq, seqAdd(this.rcvNxt, wnd)) && seqGt(seqAdd(seg.seq, len), this.rcvNxt);
    if (seg.flags & TCP_RST) {
      if (this.state === "TIME_WAIT") return; // RFC 1337
      if (seqLe(this.rcvNxt, seg.seq) && seqLt(seg.seq, seqAdd(this.rcvNxt, Math.max(wnd, 1)))) {
        // In CLOSING and LAST_ACK with every byte acknowledged only our FIN
        // is outstanding and the peer's FIN has arrived: both streams are
        // whole, so a reset closes without an error (RFC 9293 gives these
        // states no reset signal). It happens when the ACK of our FIN was
        // lost and the peer's TIME_WAIT ended before our retransmission.
        const whole = (this.state === "CLOSING" || this.state === "LAST_ACK") && this.sendLength === 0;
        this.finish(whole ? null : this.state === "SYN_RCVD" ? "refused" : "reset");
      }
      return;
    }
    if (!acceptable) {
      // An old duplicate or beyond the window: its ACK may still be news.
      if ((seg.flags & TCP_ACK) && this.synchronized()) this.processAck(seg, now);
      if (this.state !== "CLOSED") this.sendAck();
      return;
    }
    if ((seg.flags & TCP_SYN) && this.state !== "SYN_RCVD") {
      this.sendAck(); // RFC 5961 challenge ACK
      return;
    }
    if (!(seg.flags & TCP_ACK)) return;
    if (this.state === "SYN_RCVD") {
      if (seqLe(seg.ack, this.iss) || seqGt(seg.ack, this.sndMax)) {
        this.stack.send(this.localIp, this.remoteIp, {
          srcPort: this.localPort, dstPort: this.remotePort, seq: seg.ack, ack: 0, flags: TCP_RST, window: 0, payload: new Uint8Array(0),
        });
        return;
      }
      this.state = "ESTABLISHED";
      this.stack.accepted(this);
      this.connected();
    }
    this.processAck(seg, now);
    if (this.state === "CLOSED") return;
    this.processData(seg);
    if ((this.state as TcpState) !== "CLOSED") this.output();
  }

  private inputSynSent(seg: TcpSegment, now: number): void {
    const ackOk = (seg.flags & TCP_ACK) !== 0 && seqGt(seg.ack, this.iss) && seqLe(seg.ack, this.sndMax);
    if ((seg.flags & TCP_ACK) && !ackOk) {
      if (!(seg.flags & TCP_RST)) {
        this.stack.send(this.localIp, this.remoteIp, {
          srcPort: this.localPort, dstPort: this.remotePort, seq: seg.ack, ack: 0, flags: TCP_RST, window: 0, payload: new Uint8Array(0),
        });
      }
      return;
    }
    if (seg.flags & TCP_RST) {
      if (ackOk) this.finish("refused");
      return;
    }
    if (!(seg.flags & TCP_SYN)) return;
    this.irs = seg.seq;
    this.rcvNxt = seqAdd(seg.seq, 1);
    this.advertisedEdge = this.rcvNxt;
    this.peerMss = Math.max(64, Math.min(TCP_MSS, seg.mss ?? TCP_DEFAULT_MSS));
    if (ackOk) {
      this.sndUna = seg.ack;
      this.sndWnd = seg.window;
      this.rtoDeadline = 0;
      this.retries = 0;
      this.state = "ESTABLISHED";
      this.sendAck();
      this.connected();
      if (seg.payload.length) this.processData({ ...seg, seq: this.rcvNxt, flags: seg.flags & ~TCP_SYN });
      if ((this.state as TcpState) !== "CLOSED") this.output();
    } else {
      // Simultaneous open: our SYN crossed theirs.
      this.state = "SYN_RCVD";
      this.sndNxt = this.iss;
      this.rtoDeadline = 0;
      this.output();
    }
    void now;
  }

  private connected(): void {
    const handlers = this.connectHandlers;
    this.connectHandlers = [];
    for (const h of handlers) h();
  }

  private processAck(seg: TcpSegment, now: number): void {
    if (seqGt(seg.ack, this.sndMax)) { this.sendAck(); return; } // acknowledges what we never sent
    if (seqGt(seg.ack, this.sndUna)) {
      const dataAcked = Math.min(Math.max(0, seqDiff(seg.ack, this.bufSeq)), this.sendLength);
      if (dataAcked > 0) {
        this.sendBuf.copyWithin(0, dataAcked, this.sendLength);
        this.sendLength -= dataAcked;
        this.bufSeq = seqAdd(this.bufSeq, dataAcked);
      }
      if (this.finQueued && seg.ack === seqAdd(this.bufSeq, this.sendLength + 1) && this.sendLength === 0) this.finAcked = true;
      this.sndUna = seg.ack;
      if (seqLt(this.sndNxt, this.sndUna)) this.sndNxt = this.sndUna;
      if (this.timing && seqLe(this.timing.seq, seg.ack)) {
        this.rttSample(now - this.timing.at);
        this.timing = null;
      }
      this.retries = 0;
      this.rtoDeadline = this.sndNxt !== this.sndUna ? now + this.rto : 0;
    }
    if (seqGe(seg.ack, this.sndUna)) this.sndWnd = seg.window;
    if (this.finAcked) {
      if (this.state === "FIN_WAIT_1") this.state = "FIN_WAIT_2";
      else if (this.state === "CLOSING") this.enterTimeWait(now);
      else if (this.state === "LAST_ACK") this.finish(null);
    }
  }

  private rttSample(r: number): void {
    if (this.srtt === 0) {
      this.srtt = r;
      this.rttvar = r / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - r);
      this.srtt = 0.875 * this.srtt + 0.125 * r;
    }
    this.rto = Math.min(TCP_RTO_MAX_NS, Math.max(TCP_RTO_MIN_NS, this.srtt + Math.max(10e6, 4 * this.rttvar)));
  }

  private processData(seg: TcpSegment): void {
    let seq = seg.seq;
    let data = seg.payload;
    const hadFin = (seg.flags & TCP_FIN) !== 0;
    if (hadFin && this.peerFinSeq === null) this.peerFinSeq = seqAdd(seg.seq, seg.payload.length);
    let sendAck = data.length > 0 || hadFin;
    if (data.length > 0 && this.peerFinSeq !== null && seqGt(seqAdd(seq, data.length), this.peerFinSeq)) {
      data = data.subarray(0, Math.max(0, seqDiff(this.peerFinSeq, seq))); // nothing lives beyond the FIN
    }
    // Trim what we already have and what lies beyond the window.
    if (seqLt(seq, this.rcvNxt)) {
      const skip = Math.min(data.length, seqDiff(this.rcvNxt, seq));
      data = data.subarray(skip);
      seq = seqAdd(seq, skip);
    }
    const room = this.receiveWindow() - (seqDiff(seq, this.rcvNxt));
    if (data.length > room) data = data.subarray(0, Math.max(0, room));
    if (data.length > 0) {
      if (seq === this.rcvNxt) {
        this.take(data);
        this.pullReassembled();
      } else if (!this.ooo.has(seq) || this.ooo.get(seq)!.length < data.length) {
        this.oooBytes += data.length - (this.ooo.get(seq)?.length ?? 0);
        this.ooo.set(seq, data.slice());
      }
    }
    if (this.peerFinSeq !== null && !this.peerFinTaken && this.rcvNxt === this.peerFinSeq) {
      this.peerFinTaken = true;
      this.rcvNxt = seqAdd(this.rcvNxt, 1);
      sendAck = true;
      if (this.state === "ESTABLISHED" || this.state === "SYN_RCVD") this.state = "CLOSE_WAIT";
      else if (this.state === "FIN_WAIT_1") this.state = this.finAcked ? "TIME_WAIT" : "CLOSING";
      else if (this.state === "FIN_WAIT_2") this.state = "TIME_WAIT";
      if (this.state === "TIME_WAIT") this.enterTimeWait(this.stack.now());
    } else if (hadFin && this.state === "TIME_WAIT") {
      this.enterTimeWait(this.stack.now()); // the peer resent its FIN: our ACK was lost
    }
    if (sendAck) this.sendAck();
    this.deliver();
  }

  private take(data: Uint8Array): void {
    this.held.push(data.slice());
    this.heldBytes += data.length;
    this.rcvNxt = seqAdd(this.rcvNxt, data.length);
  }

  private pullReassembled(): void {
    for (let progress = true; progress;) {
      progress = false;
      for (const [seq, data] of this.ooo) {
        if (seqGt(seq, this.rcvNxt)) continue;
        this.ooo.delete(seq);
        this.oooBytes -= data.length;
        const skip = seqDiff(this.rcvNxt, seq);
        if (skip < data.length) this.take(data.subarray(skip));
        progress = true;
      }
    }
  }

  private deliver(): void {
    if (!this.dataHandler || this.paused) return;
    const before = this.receiveWindow();
    while (this.held.length > 0 && this.dataHandler !== null && !this.paused) {
      const chunk = this.held.shift()!;
      this.heldBytes -= chunk.length;
      this.dataHandler(chunk);
    }
    if (this.peerFinTaken && this.heldBytes === 0 && this.endHandler) {
      const h = this.endHandler;
      this.endHandler = null;
      h();
    }
    // A window that was (nearly) shut has opened: say so, or the peer waits for its probe.
    if (before < TCP_MSS && this.receiveWindow() >= TCP_MSS && this.synchronized() && this.state !== "TIME_WAIT") {
      this.sendAck();
    }
  }

  private enterTimeWait(now: number): void {
    this.state = "TIME_WAIT";
    this.rtoDeadline = 0;
    this.timeWaitDeadline = now + 2 * TCP_MSL_NS;
  }

  private finish(error: TcpError | null): void {
    if (this.state === "CLOSED") return;
    this.state = "CLOSED";
    this.error = error;
    this.rtoDeadline = 0;
    this.connectHandlers = [];
    this.stack.forget(this);
    if (this.dataHandler && !this.paused) this.deliver();
    const handlers = this.closeHandlers;
    this.closeHandlers = [];
    for (const h of handlers) h(error);
  }

  /** The invariants (tests call it after every event); a string names a broken one. */
  check(): string | null {
    if (!seqLe(this.sndUna, this.sndNxt)) return `sndUna ${this.sndUna} > sndNxt ${this.sndNxt}`;
    if (!seqLe(this.sndNxt, this.sndMax)) return `sndNxt ${this.sndNxt} > sndMax ${this.sndMax}`;
    if (this.sendLength < 0 || this.sendLength > this.sendBuf.length) return `send buffer length ${this.sendLength}`;
    if (this.synchronized() && !seqLe(this.sndUna, seqAdd(this.bufSeq, 1))) return "acknowledged beyond the send buffer";
    if (this.heldBytes + this.oooBytes > TCP_RECEIVE_BUFFER) return `receive buffer overfilled: ${this.heldBytes} + ${this.oooBytes}`;
    for (const [seq, data] of this.ooo) {
      if (!seqGt(seq, this.rcvNxt) && this.state !== "CLOSED") return `out-of-order segment ${seq} not beyond rcvNxt ${this.rcvNxt}`;
      if (data.length === 0) return "empty out-of-order segment";
    }
    if (this.rto < TCP_RTO_MIN_NS / 2 || this.rto > TCP_RTO_MAX_NS) return `rto ${this.rto}`;
    return null;
  }
}

const seqGe = (a: number, b: number) => ((a - b) | 0) >= 0;

type Listener = (stream: TcpStream) => void;

/** The TCP of one host: its connections, listeners and counters. */
export class TcpStack {
  readonly stats: TcpStats = { segmentsIn: 0, segmentsOut: 0, bad: 0, resetsSent: 0, retransmits: 0, noRoom: 0 };
  private readonly connections = new Map<string, TcpStream>();
  private readonly listeners = new Map<number, Listener>();
  private nextPort = 49152;
  private issStep = 0;

  constructor(private readonly options: TcpStackOptions) {}

  now(): number {
    return this.options.now();
  }

  /** Opens a connection from localIp to ip:port. */
  connect(localIp: number, ip: number, port: number): TcpStream {
    if (!(port > 0 && port <= 0xffff)) throw new RangeError(`TCP port ${port} is not 1..65535`);
    let localPort = 0;
    for (let tries = 0; tries < 16384 && localPort === 0; tries++) {
      const p = this.nextPort++;
      if (this.nextPort > 0xffff) this.nextPort = 49152;
      if (!this.connections.has(key(localIp, p, ip, port)) && !this.listeners.has(p)) localPort = p;
    }
    if (localPort === 0 || this.connections.size >= TCP_MAX_CONNECTIONS) throw new Error("no TCP connection slot free");
    const s = new TcpStream(this, localIp, localPort, ip, port, this.newIss(), "SYN_SENT");
    this.connections.set(key(localIp, localPort, ip, port), s);
    s.output();
    return s;
  }

  /** Accepts connections to `port` on any address this host answers for;
   *  onAccept gets each once its handshake is complete. */
  listen(port: number, onAccept: Listener): { close(): void } {
    if (!(port > 0 && port <= 0xffff)) throw new RangeError(`TCP port ${port} is not 1..65535`);
    if (this.listeners.has(port)) throw new Error(`TCP port ${port} is already listening`);
    this.listeners.set(port, onAccept);
    return { close: () => { if (this.listeners.get(port) === onAccept) this.listeners.delete(port); } };
  }

  /** A TCP segment that arrived in an IP packet from src to dst. Never throws. */
  input(src: number, dst: number, bytes: Uint8Array): void {
    const seg = decodeTcp(src, dst, bytes);
    if (typeof seg === "string") { this.stats.bad++; return; }
    this.stats.segmentsIn++;
    const conn = this.connections.get(key(dst, seg.dstPort, src, seg.srcPort));
    if (conn) { conn.input(seg); return; }
    if (seg.flags & TCP_RST) return;
    const listener = this.listeners.get(seg.dstPort);
    if (listener && (seg.flags & (TCP_SYN | TCP_ACK)) === TCP_SYN) {
      if (this.connections.size >= TCP_MAX_CONNECTIONS) { this.stats.noRoom++; return; }
      const s = new TcpStream(this, dst, seg.dstPort, src, seg.srcPort, this.newIss(), "SYN_RCVD");
      s.irs = seg.seq;
      s.rcvNxt = seqAdd(seg.seq, 1);
      s.sndWnd = seg.window;
      s.peerMss = Math.max(64, Math.min(TCP_MSS, seg.mss ?? TCP_DEFAULT_MSS));
      this.connections.set(key(dst, seg.dstPort, src, seg.srcPort), s);
      s.output();
      return;
    }
    this.resetFor(src, dst, seg);
  }

  /** Runs the timers that are due (call it whenever the clock moves). */
  tick(): void {
    const now = this.now();
    for (const c of [...this.connections.values()]) {
      const d = c.deadline();
      if (d && now >= d) c.timer(now);
    }
  }

  /** The earliest deadline of any connection (0: none). */
  nextDeadline(): number {
    let next = 0;
    for (const c of this.connections.values()) {
      const d = c.deadline();
      if (d && (!next || d < next)) next = d;
    }
    return next;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  streams(): TcpStream[] {
    return [...this.connections.values()];
  }

  // ---- for TcpStream ----

  send(src: number, dst: number, seg: TcpSegment): void {
    this.stats.segmentsOut++;
    this.options.output(src, dst, encodeTcp(src, dst, seg));
  }

  accepted(s: TcpStream): void {
    const listener = this.listeners.get(s.localPort);
    if (listener) listener(s);
    else s.abort();
  }

  forget(s: TcpStream): void {
    const k = key(s.localIp, s.localPort, s.remoteIp, s.remotePort);
    if (this.connections.get(k) === s) this.connections.delete(k);
  }

  private newIss(): number {
    this.issStep += 64000;
    return (Math.floor(this.now() / 4000) + this.issStep) >>> 0;
  }

  /** The RST for a segment that reached no connection (RFC 9293 3.10.7.1). */
  private resetFor(src: number, dst: number, seg: TcpSegment): void {
    this.stats.resetsSent++;
    const len = seg.payload.length + ((seg.flags & TCP_SYN) ? 1 : 0) + ((seg.flags & TCP_FIN) ? 1 : 0);
    const reply: TcpSegment = (seg.flags & TCP_ACK)
      ? { srcPort: seg.dstPort, dstPort: seg.srcPort, seq: seg.ack, ack: 0, flags: TCP_RST, window: 0, payload: new Uint8Array(0) }
      : { srcPort: seg.dstPort, dstPort: seg.srcPort, seq: 0, ack: seqAdd(seg.seq, len), flags: TCP_RST | TCP_ACK, window: 0, payload: new Uint8Array(0) };
    this.send(dst, src, reply);
  }
}

function key(localIp: number, localPort: number, remoteIp: number, remotePort: number): string {
  return `${localIp >>> 0}:${localPort}:${remoteIp >>> 0}:${remotePort}`;
}

/** "10.0.2.2" as a number; throws for anything else. */
export function parseIpv4(text: string): number {
  const parts = text.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    throw new Error(`not an IPv4 address: ${JSON.stringify(text)}`);
  }
  return parts.reduce((a, p) => a * 256 + Number(p), 0) >>> 0;
}

export function formatIpv4(ip: number): string {
  return [ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255].join(".");
}
