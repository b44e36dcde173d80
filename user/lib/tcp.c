// The TCP state machine (tcp.h, docs/network.md "TCP"): RFC 793's segment
// processing, RFC 6298's retransmission timer, RFC 5681's slow start,
// congestion avoidance and fast retransmit with RFC 6582's NewReno
// recovery, receive-window flow control with silly-window avoidance on both
// sides, out-of-order data kept in the receive ring until the gap before it
// fills, orderly close (FIN, TIME_WAIT) and RST. No system calls: the owner
// passes the time in and gets segments out through emit.
#include "tcp.h"

void *memcpy(void *dst, const void *src, unsigned long n);
void *memset(void *dst, int c, unsigned long n);

#define LT(a, b) ((int)((a) - (b)) < 0)
#define LEQ(a, b) ((int)((a) - (b)) <= 0)
#define GT(a, b) LT(b, a)
#define GEQ(a, b) LEQ(b, a)
#define CLOCK_G 10000000ULL  // the owner's timer granularity (netd ticks every 10 ms)
#define CWND_MAX (1u << 30)

static unsigned umin(unsigned a, unsigned b) { return a < b ? a : b; }
static unsigned umax(unsigned a, unsigned b) { return a > b ? a : b; }

static void ring_get(const unsigned char *ring, unsigned size, unsigned off, unsigned char *dst, unsigned n) {
  unsigned i = off & (size - 1), first = size - i;
  if (first > n) first = n;
  memcpy(dst, ring + i, first);
  memcpy(dst + first, ring, n - first);
}

static void ring_put(unsigned char *ring, unsigned size, unsigned off, const unsigned char *src, unsigned n) {
  unsigned i = off & (size - 1), first = size - i;
  if (first > n) first = n;
  memcpy(ring + i, src, first);
  memcpy(ring, src + first, n - first);
}

static int synchronized(int st) { return st >= TCP_ESTABLISHED && st <= TCP_TIME_WAIT; }

// The first sequence number of data the peer has not acknowledged (the SYN
// and FIN take sequence numbers but no room in the ring).
static unsigned data_una(const struct tcp_cb *cb) {
  unsigned u = cb->snd_una;
  if (LT(u, cb->iss + 1)) u = cb->iss + 1;
  if (GT(u, cb->snd_end)) u = cb->snd_end;
  return u;
}

// The end of the data the application may read (the FIN is not data).
static unsigned data_end(const struct tcp_cb *cb) { return cb->fin_received ? cb->rcv_nxt - 1 : cb->rcv_nxt; }

unsigned tcp_readable(const struct tcp_cb *cb) {
  if (!synchronized(cb->state) && cb->state != TCP_CLOSED) return 0;
  if (cb->irs == 0 && cb->rcv_nxt == 0) return 0;
  return data_end(cb) - cb->rcv_rd;
}

unsigned tcp_acked(const struct tcp_cb *cb) { return data_una(cb) - cb->iss - 1; }

unsigned tcp_received(const struct tcp_cb *cb) {
  if (cb->state == TCP_SYN_SENT || (cb->irs == 0 && cb->rcv_nxt == 0)) return 0;
  return data_end(cb) - cb->irs - 1;
}

unsigned tcp_writable(const struct tcp_cb *cb) {
  if (cb->fin_wanted) return 0;
  return cb->ssize - (cb->snd_end - data_una(cb));
}

// The window to advertise: the room beyond rcv_nxt, never less than what
// was advertised before (the right edge never moves back), and grown only
// in steps of at least min(ring / 2, MSS) (receiver silly-window avoidance).
static unsigned rcv_window(const struct tcp_cb *cb) {
  unsigned room = cb->rcv_rd + cb->rsize - cb->rcv_nxt;
  if (cb->fin_received) room = 0;
  room = umin(room, TCP_WINDOW_MAX);
  unsigned old = GT(cb->rcv_adv, cb->rcv_nxt) ? cb->rcv_adv - cb->rcv_nxt : 0;
  if (room <= old) return old;
  if (room - old < umin(cb->rsize / 2, cb->mss) && old > 0) return old;
  return room;
}

static void send_seg(struct tcp_cb *cb, unsigned seq, unsigned flags, int len) {
  struct tcp_seg s;
  memset(&s, 0, sizeof s);
  s.sport = cb->sport;
  s.dport = cb->dport;
  s.seq = seq;
  s.flags = flags;
  if (flags & TCP_ACK) {
    s.ack = cb->rcv_nxt;
    s.wnd = rcv_window(cb);
    cb->rcv_adv = cb->rcv_nxt + s.wnd;
    cb->unacked = 0;
    cb->ack_now = 0;
    cb->delack_at = 0;
  } else if (flags & TCP_SYN) {
    s.wnd = umin(cb->rsize, TCP_WINDOW_MAX);
  }
  if (flags & TCP_SYN) s.mss = TCP_MSS;
  s.len = len;
  s.data = cb->out;
  cb->stats.segs_out++;
  cb->stats.bytes_out += (unsigned)len;
  cb->emit(cb->ctx, &s);
}

static void send_rst(struct tcp_cb *cb, unsigned seq) {
  struct tcp_seg s;
  memset(&s, 0, sizeof s);
  s.sport = cb->sport;
  s.dport = cb->dport;
  s.seq = seq;
  s.flags = TCP_RST;
  s.data = cb->out;
  cb->stats.segs_out++;
  cb->emit(cb->ctx, &s);
}

static void stop_timers(struct tcp_cb *cb) { cb->rexmt_at = cb->persist_at = cb->delack_at = cb->timewait_at = 0; }

static void die(struct tcp_cb *cb, int error) {
  cb->state = TCP_CLOSED;
  cb->error = error;
  stop_timers(cb);
}

static void enter_time_wait(struct tcp_cb *cb, unsigned long long now) {
  cb->state = TCP_TIME_WAIT;
  cb->rexmt_at = cb->persist_at = 0;
  cb->timewait_at = now + 2 * TCP_MSL;
}

void tcp_init(struct tcp_cb *cb, unsigned char *sbuf, unsigned ssize, unsigned char *rbuf, unsigned rsize,
              unsigned char *out, void (*emit)(void *, const struct tcp_seg *), void *ctx) {
  memset(cb, 0, sizeof *cb);
  cb->state = TCP_CLOSED;
  cb->sbuf = sbuf;
  cb->ssize = ssize;
  cb->rbuf = rbuf;
  cb->rsize = rsize;
  cb->out = out;
  cb->emit = emit;
  cb->ctx = ctx;
  cb->mss = TCP_MSS;
  cb->rto = TCP_RTO_INIT;
  cb->cwnd = TCP_MSS;
  cb->ssthresh = TCP_WINDOW_MAX;
}

// RFC 3390's initial window: min(4 MSS, max(2 MSS, 4380 bytes)).
static void set_mss(struct tcp_cb *cb, unsigned peer) {
  if (peer == 0) peer = 536;  // RFC 1122's default
  cb->mss = umin(umax(peer, TCP_MSS_MIN), TCP_MSS);
  cb->cwnd = umin(4 * cb->mss, umax(2 * cb->mss, 4380));
  cb->ssthresh = TCP_WINDOW_MAX;
}

static void start_send(struct tcp_cb *cb, unsigned iss, unsigned long long now) {
  cb->iss = iss;
  cb->snd_una = iss;
  cb->snd_nxt = cb->snd_max = cb->snd_end = iss + 1;
  cb->rtt_timing = 1;
  cb->rtt_seq = iss;
  cb->rtt_start = now;
  cb->rexmt_at = now + cb->rto;
}

void tcp_connect(struct tcp_cb *cb, unsigned iss, unsigned long long now) {
  cb->state = TCP_SYN_SENT;
  start_send(cb, iss, now);
  send_seg(cb, iss, TCP_SYN, 0);
}

static void take_syn(struct tcp_cb *cb, const struct tcp_seg *syn) {
  cb->irs = syn->seq;
  cb->rcv_nxt = cb->rcv_rd = cb->rcv_adv = syn->seq + 1;
  set_mss(cb, syn->mss);
}

void tcp_accept_syn(struct tcp_cb *cb, unsigned iss, const struct tcp_seg *syn, unsigned long long now) {
  take_syn(cb, syn);
  cb->state = TCP_SYN_RCVD;
  start_send(cb, iss, now);
  cb->snd_wnd = syn->wnd;
  cb->snd_wl1 = syn->seq;
  cb->snd_wl2 = iss;
  send_seg(cb, iss, TCP_SYN | TCP_ACK, 0);
}

static void rtt_sample(struct tcp_cb *cb, unsigned long long r) {
  if (r == 0) r = 1;
  if (cb->srtt == 0) {
    cb->srtt = r;
    cb->rttvar = r / 2;
  } else {
    unsigned long long diff = cb->srtt > r ? cb->srtt - r : r - cb->srtt;
    cb->rttvar = (3 * cb->rttvar + diff) / 4;
    cb->srtt = (7 * cb->srtt + r) / 8;
  }
  unsigned long long k = 4 * cb->rttvar;
  cb->rto = cb->srtt + (k > CLOCK_G ? k : CLOCK_G);
  if (cb->rto < TCP_RTO_MIN) cb->rto = TCP_RTO_MIN;
  if (cb->rto > TCP_RTO_MAX) cb->rto = TCP_RTO_MAX;
}

// Sends the first unacknowledged segment again (fast retransmit, a partial
// ACK in recovery, or the SYN).
static void retransmit_one(struct tcp_cb *cb) {
  cb->rtt_timing = 0;  // Karn: no sample from a segment sent twice
  cb->stats.retransmits++;
  if (cb->state == TCP_SYN_SENT) { send_seg(cb, cb->iss, TCP_SYN, 0); return; }
  if (cb->state == TCP_SYN_RCVD) { send_seg(cb, cb->iss, TCP_SYN | TCP_ACK, 0); return; }
  unsigned u = data_una(cb);
  unsigned n = umin(cb->snd_end - u, cb->mss);
  unsigned flags = TCP_ACK;
  if (n) ring_get(cb->sbuf, cb->ssize, u - cb->iss - 1, cb->out, n);
  if (cb->fin_wanted && u + n == cb->snd_end && GT(cb->snd_max, cb->snd_end)) flags |= TCP_FIN;
  if (n == 0 && !(flags & TCP_FIN)) { cb->stats.retransmits--; return; }
  send_seg(cb, u, flags, (int)n);
}

void tcp_output(struct tcp_cb *cb, unsigned long long now) {
  int st = cb->state;
  if (st == TCP_CLOSED || st == TCP_LISTEN) return;
  if (st == TCP_SYN_SENT || st == TCP_SYN_RCVD || st == TCP_TIME_WAIT) {
    if (cb->ack_now && st == TCP_TIME_WAIT) send_seg(cb, cb->snd_nxt, TCP_ACK, 0);
    return;
  }
  int sent = 0;
  for (;;) {
    if (LT(cb->snd_nxt, cb->snd_una)) cb->snd_nxt = cb->snd_una;
    unsigned flight = cb->snd_nxt - cb->snd_una;
    unsigned wnd = umin(cb->snd_wnd, cb->cwnd);
    unsigned avail = LT(cb->snd_nxt, cb->snd_end) ? cb->snd_end - cb->snd_nxt : 0;
    int fin_due = cb->fin_wanted && cb->snd_nxt == cb->snd_end;
    unsigned n = flight < wnd ? umin(avail, umin(wnd - flight, cb->mss)) : 0;
    if (n == 0 && !(fin_due && avail == 0)) break;
    // Sender silly-window avoidance: a segment smaller than an MSS waits
    // while data is in flight, unless it empties the send ring.
    if (n < cb->mss && n < avail && flight > 0) break;
    unsigned flags = TCP_ACK;
    if (n) ring_get(cb->sbuf, cb->ssize, cb->snd_nxt - cb->iss - 1, cb->out, n);
    if (cb->snd_nxt + n == cb->snd_end) {
      if (n) flags |= TCP_PSH;
      if (cb->fin_wanted) flags |= TCP_FIN;
    }
    if (!cb->rtt_timing && cb->snd_nxt == cb->snd_max && n) {
      cb->rtt_timing = 1;
      cb->rtt_seq = cb->snd_nxt;
      cb->rtt_start = now;
    }
    send_seg(cb, cb->snd_nxt, flags, (int)n);
    cb->snd_nxt += n + ((flags & TCP_FIN) ? 1 : 0);
    if (GT(cb->snd_nxt, cb->snd_max)) cb->snd_max = cb->snd_nxt;
    if (flags & TCP_FIN) {
      if (cb->state == TCP_ESTABLISHED) cb->state = TCP_FIN_WAIT_1;
      else if (cb->state == TCP_CLOSE_WAIT) cb->state = TCP_LAST_ACK;
    }
    if (!cb->rexmt_at) cb->rexmt_at = now + cb->rto;
    cb->persist_at = 0;
    sent = 1;
    if (flags & TCP_FIN) break;
  }
  // Zero window: probe it until it opens (the window update may be lost).
  unsigned waiting = LT(cb->snd_nxt, cb->snd_end) ? cb->snd_end - cb->snd_nxt : 0;
  if (cb->snd_wnd == 0 && waiting && cb->snd_nxt == cb->snd_una && !cb->rexmt_at && !cb->persist_at)
    cb->persist_at = now + cb->rto;
  if (!sent && cb->ack_now) send_seg(cb, cb->snd_nxt, TCP_ACK, 0);
}

static void new_ack(struct tcp_cb *cb, unsigned ack, unsigned long long now) {
  unsigned acked = ack - cb->snd_una;
  if (cb->rtt_timing && GT(ack, cb->rtt_seq)) {
    rtt_sample(cb, now - cb->rtt_start);
    cb->rtt_timing = 0;
  }
  cb->snd_una = ack;
  if (LT(cb->snd_nxt, ack)) cb->snd_nxt = ack;
  cb->retries = 0;
  if (cb->in_recovery) {
    if (GEQ(ack, cb->recover)) {
      cb->in_recovery = 0;
      cb->cwnd = cb->ssthresh;
    } else {  // a partial ACK: the next hole goes now
      retransmit_one(cb);
      cb->cwnd = cb->cwnd > acked ? cb->cwnd - acked + cb->mss : cb->mss;
    }
  } else if (cb->cwnd < cb->ssthresh) {
    cb->cwnd += umin(acked, cb->mss);
  } else {
    cb->cwnd += umax(1, cb->mss * cb->mss / cb->cwnd);
  }
  if (cb->cwnd > CWND_MAX) cb->cwnd = CWND_MAX;
  if (cb->cwnd < cb->mss) cb->cwnd = cb->mss;
  cb->dupacks = 0;
  cb->rexmt_at = cb->snd_una == cb->snd_max ? 0 : now + cb->rto;
}

static void dup_ack(struct tcp_cb *cb) {
  cb->dupacks++;
  cb->stats.dupacks++;
  if (cb->in_recovery) {
    cb->cwnd = umin(cb->cwnd + cb->mss, CWND_MAX);
    return;
  }
  if (cb->dupacks == 3) {
    unsigned flight = cb->snd_max - cb->snd_una;
    cb->ssthresh = umax(flight / 2, 2 * cb->mss);
    cb->recover = cb->snd_max;
    cb->in_recovery = 1;
    cb->stats.fast_retransmits++;
    retransmit_one(cb);
    cb->cwnd = cb->ssthresh + 3 * cb->mss;
  }
}

static void take_fin(struct tcp_cb *cb, unsigned long long now) {
  cb->rcv_nxt++;
  cb->fin_received = 1;
  cb->fin_seq_known = 0;
  cb->ack_now = 1;
  if (cb->state == TCP_ESTABLISHED) cb->state = TCP_CLOSE_WAIT;
  else if (cb->state == TCP_FIN_WAIT_1) cb->state = TCP_CLOSING;
  else if (cb->state == TCP_FIN_WAIT_2) enter_time_wait(cb, now);
}

static void ooo_remove(struct tcp_cb *cb, int i) { cb->ooo[i] = cb->ooo[--cb->nooo]; }

static void receive_data(struct tcp_cb *cb, const struct tcp_seg *seg, unsigned long long now) {
  unsigned seq = seg->seq, n = (unsigned)seg->len;
  const unsigned char *d = seg->data;
  if (LT(seq, cb->rcv_nxt)) {
    unsigned skip = cb->rcv_nxt - seq;
    if (skip >= n) { cb->stats.dup_segs++; cb->ack_now = 1; return; }
    seq += skip;
    d += skip;
    n -= skip;
  }
  unsigned edge = cb->rcv_rd + cb->rsize;  // the ring's room
  if (GEQ(seq, edge)) { cb->ack_now = 1; return; }
  if (GT(seq + n, edge)) n = edge - seq;
  ring_put(cb->rbuf, cb->rsize, seq - cb->irs - 1, d, n);
  cb->stats.bytes_in += n;
  if (seq == cb->rcv_nxt) {
    int filled = cb->nooo > 0;
    cb->rcv_nxt += n;
    cb->unacked += n;
    for (int again = 1; again;) {
      again = 0;
      for (int i = 0; i < cb->nooo; i++) {
        if (LEQ(cb->ooo[i].start, cb->rcv_nxt)) {
          if (GT(cb->ooo[i].end, cb->rcv_nxt)) cb->rcv_nxt = cb->ooo[i].end;
          ooo_remove(cb, i);
          again = 1;
          break;
        }
      }
    }
    // ACK at once when a gap filled (RFC 5681 4.2), the sender pushed, or two
    // segments are unacknowledged; otherwise within TCP_DELACK.
    if (filled || (seg->flags & TCP_PSH) || cb->unacked >= 2 * cb->mss) cb->ack_now = 1;
    else if (!cb->delack_at) cb->delack_at = now + TCP_DELACK;
  } else {
    unsigned s = seq, e = seq + n;
    for (int i = 0; i < cb->nooo;) {
      if (LEQ(cb->ooo[i].start, e) && LEQ(s, cb->ooo[i].end)) {
        if (LT(cb->ooo[i].start, s)) s = cb->ooo[i].start;
        if (GT(cb->ooo[i].end, e)) e = cb->ooo[i].end;
        ooo_remove(cb, i);
      } else {
        i++;
      }
    }
    if (cb->nooo < TCP_OOO_MAX) cb->ooo[cb->nooo++] = (struct tcp_range){s, e};
    cb->stats.ooo_segs++;
    cb->ack_now = 1;  // a duplicate ACK tells the sender about the hole
  }
}

static void input_syn_sent(struct tcp_cb *cb, const struct tcp_seg *seg, unsigned long long now) {
  unsigned f = seg->flags;
  if (f & TCP_ACK) {
    if (LEQ(seg->ack, cb->iss) || GT(seg->ack, cb->snd_max)) {
      if (!(f & TCP_RST)) send_rst(cb, seg->ack);
      cb->stats.bad_acks++;
      return;
    }
  }
  if (f & TCP_RST) {
    if (f & TCP_ACK) die(cb, TCP_ERR_REFUSED);
    return;
  }
  if (!(f & TCP_SYN)) return;
  take_syn(cb, seg);
  cb->snd_wnd = seg->wnd;
  cb->snd_wl1 = seg->seq;
  cb->snd_wl2 = seg->ack;
  if (f & TCP_ACK) {
    cb->state = TCP_ESTABLISHED;
    new_ack(cb, seg->ack, now);
    cb->ack_now = 1;
    tcp_output(cb, now);
  } else {  // simultaneous open
    cb->state = TCP_SYN_RCVD;
    send_seg(cb, cb->iss, TCP_SYN | TCP_ACK, 0);
  }
}

void tcp_input(struct tcp_cb *cb, const struct tcp_seg *seg, unsigned long long now) {
  cb->stats.segs_in++;
  int st = cb->state;
  if (st == TCP_CLOSED || st == TCP_LISTEN) return;
  if (st == TCP_SYN_SENT) { input_syn_sent(cb, seg, now); return; }
  unsigned f = seg->flags;
  // 1. Is the segment in the window?
  unsigned seglen = (unsigned)seg->len + ((f & TCP_SYN) ? 1 : 0) + ((f & TCP_FIN) ? 1 : 0);
  unsigned wnd = GT(cb->rcv_adv, cb->rcv_nxt) ? cb->rcv_adv - cb->rcv_nxt : 0;
  unsigned room = cb->rcv_rd + cb->rsize - cb->rcv_nxt;  // we take what fits, not only what we advertised
  if (room > wnd && !cb->fin_received) wnd = room;
  int ok;
  if (seglen == 0) ok = wnd == 0 ? seg->seq == cb->rcv_nxt : GEQ(seg->seq, cb->rcv_nxt) && LT(seg->seq, cb->rcv_nxt + wnd);
  else ok = wnd != 0 && ((GEQ(seg->seq, cb->rcv_nxt) && LT(seg->seq, cb->rcv_nxt + wnd)) ||
                         (GEQ(seg->seq + seglen - 1, cb->rcv_nxt) && LT(seg->seq + seglen - 1, cb->rcv_nxt + wnd)));
  // An old segment (wholly before rcv_nxt: a retransmission of what we
  // have) still carries a current ACK: after a timeout the peer sends from
  // snd_una again, and its pure ACKs then carry a sequence number below
  // rcv_nxt. Its data and FIN are dropped, its ACK is used and answered.
  int old = 0;
  if (!ok && !(f & (TCP_RST | TCP_SYN)) && LEQ(seg->seq + seglen, cb->rcv_nxt) &&
      cb->rcv_nxt - seg->seq <= 2u * TCP_WINDOW_MAX + 1) {
    old = 1;
    ok = 1;
    cb->stats.dup_segs++;
    cb->ack_now = 1;
    if (st == TCP_TIME_WAIT && (f & TCP_FIN)) cb->timewait_at = now + 2 * TCP_MSL;  // its ACK of our FIN was lost
  }
  // 2. RST in the window ends the connection; in TIME_WAIT it is ignored
  // (RFC 1337: a late duplicate answered by a peer already closed would
  // otherwise cut TIME_WAIT short).
  if (f & TCP_RST) {
    if (st != TCP_TIME_WAIT) die(cb, TCP_ERR_RESET);
    return;
  }
  // 3. A SYN in the window: a challenge ACK (RFC 5961 4.2), nothing else.
  if (f & TCP_SYN) {
    cb->ack_now = 1;
    if (st == TCP_TIME_WAIT) send_seg(cb, cb->snd_nxt, TCP_ACK, 0);
    else tcp_output(cb, now);
    return;
  }
  if (!(f & TCP_ACK)) return;
  // 4. The acknowledgement.
  if (st == TCP_SYN_RCVD) {
    if (!(LT(cb->snd_una, seg->ack) && LEQ(seg->ack, cb->snd_max))) {
      cb->stats.bad_acks++;
      send_rst(cb, seg->ack);
      return;
    }
    cb->state = TCP_ESTABLISHED;
  }
  if (GT(seg->ack, cb->snd_max)) {  // acknowledges what we never sent
    cb->stats.bad_acks++;
    cb->ack_now = 1;
    tcp_output(cb, now);
    return;
  }
  if (LT(cb->snd_una, seg->ack)) {
    new_ack(cb, seg->ack, now);
  } else if (!old && seg->ack == cb->snd_una && seg->len == 0 && !(f & TCP_FIN) && seg->wnd == cb->snd_wnd &&
             cb->snd_max != cb->snd_una) {
    dup_ack(cb);
  }
  if (LT(cb->snd_wl1, seg->seq) || (cb->snd_wl1 == seg->seq && LEQ(cb->snd_wl2, seg->ack))) {
    cb->snd_wnd = seg->wnd;
    cb->snd_wl1 = seg->seq;
    cb->snd_wl2 = seg->ack;
    if (cb->snd_wnd) cb->persist_at = 0;
  }
  if (cb->fin_wanted && cb->snd_una == cb->snd_end + 1) {  // our FIN is acknowledged
    if (cb->state == TCP_FIN_WAIT_1) cb->state = TCP_FIN_WAIT_2;
    else if (cb->state == TCP_CLOSING) enter_time_wait(cb, now);
    else if (cb->state == TCP_LAST_ACK) { die(cb, 0); return; }
  }
  st = cb->state;
  if (old) {
    if (st == TCP_TIME_WAIT) send_seg(cb, cb->snd_nxt, TCP_ACK, 0);
    else tcp_output(cb, now);
    return;
  }
  // 5. The data.
  if (seg->len > 0) {
    if (st == TCP_ESTABLISHED || st == TCP_FIN_WAIT_1 || st == TCP_FIN_WAIT_2) receive_data(cb, seg, now);
    else cb->ack_now = 1;  // data after the peer's FIN: only acknowledged
  }
  // 6. The FIN.
  if (f & TCP_FIN) {
    unsigned fseq = seg->seq + (unsigned)seg->len;
    if (cb->fin_received) {
      cb->ack_now = 1;
      if (st == TCP_TIME_WAIT) cb->timewait_at = now + 2 * TCP_MSL;
    } else if (fseq == cb->rcv_nxt) {
      take_fin(cb, now);
    } else if (GT(fseq, cb->rcv_nxt) && LT(fseq, cb->rcv_rd + cb->rsize)) {
      cb->fin_seq_known = 1;
      cb->fin_seq = fseq;
      cb->ack_now = 1;
    }
  }
  if (cb->fin_seq_known && !cb->fin_received && cb->fin_seq == cb->rcv_nxt) take_fin(cb, now);
  if (cb->state == TCP_TIME_WAIT) {
    if (cb->ack_now) send_seg(cb, cb->snd_nxt, TCP_ACK, 0);
    return;
  }
  tcp_output(cb, now);
}

void tcp_timer(struct tcp_cb *cb, unsigned long long now) {
  if (cb->state == TCP_CLOSED) return;
  if (cb->timewait_at && now >= cb->timewait_at) { die(cb, 0); return; }
  if (cb->delack_at && now >= cb->delack_at) {
    cb->delack_at = 0;
    cb->ack_now = 1;
  }
  if (cb->rexmt_at && now >= cb->rexmt_at) {
    cb->rexmt_at = 0;
    cb->retries++;
    int syn = cb->state == TCP_SYN_SENT || cb->state == TCP_SYN_RCVD;
    if (cb->retries > (syn ? TCP_SYN_RETRIES : TCP_DATA_RETRIES)) { die(cb, TCP_ERR_TIMEOUT); return; }
    cb->stats.timeouts++;
    cb->rto = cb->rto * 2 > TCP_RTO_MAX ? TCP_RTO_MAX : cb->rto * 2;
    cb->rtt_timing = 0;
    if (syn) {
      retransmit_one(cb);
      cb->rexmt_at = now + cb->rto;
      return;
    }
    // RFC 5681 3.1: the loss window; resend from the first unacknowledged byte.
    cb->ssthresh = umax((cb->snd_max - cb->snd_una) / 2, 2 * cb->mss);
    cb->cwnd = cb->mss;
    cb->in_recovery = 0;
    cb->dupacks = 0;
    cb->snd_nxt = cb->snd_una;
    cb->stats.retransmits++;
  }
  if (cb->persist_at && now >= cb->persist_at) {
    // An ACK for the byte before snd_una is out of the peer's window: it
    // answers with an ACK carrying its window now.
    cb->persist_at = now + cb->rto;
    cb->stats.window_probes++;
    send_seg(cb, cb->snd_una - 1, TCP_ACK, 0);
  }
  tcp_output(cb, now);
}

unsigned long long tcp_deadline(const struct tcp_cb *cb) {
  unsigned long long t = 0;
  unsigned long long all[4] = {cb->rexmt_at, cb->persist_at, cb->delack_at, cb->timewait_at};
  for (int i = 0; i < 4; i++)
    if (all[i] && (!t || all[i] < t)) t = all[i];
  return t;
}

int tcp_wrote(struct tcp_cb *cb, unsigned total, unsigned long long now) {
  unsigned end = cb->iss + 1 + total;
  if (cb->fin_wanted && end != cb->snd_end) return -1;
  if (LT(end, cb->snd_end) || end - data_una(cb) > cb->ssize) return -1;
  if (end == cb->snd_end) return 0;
  cb->snd_end = end;
  tcp_output(cb, now);
  return 0;
}

int tcp_read(struct tcp_cb *cb, unsigned total, unsigned long long now) {
  unsigned rd = cb->irs + 1 + total;
  if (LT(rd, cb->rcv_rd) || GT(rd, data_end(cb))) return -1;
  if (rd == cb->rcv_rd) return 0;
  unsigned before = rcv_window(cb);
  cb->rcv_rd = rd;
  // A window update once the window grew by a useful amount.
  int st = cb->state;
  if ((st == TCP_ESTABLISHED || st == TCP_FIN_WAIT_1 || st == TCP_FIN_WAIT_2) && rcv_window(cb) > before) {
    unsigned room = umin(cb->rcv_rd + cb->rsize - cb->rcv_nxt, TCP_WINDOW_MAX);
    unsigned adv = GT(cb->rcv_adv, cb->rcv_nxt) ? cb->rcv_adv - cb->rcv_nxt : 0;
    if (room - adv >= umin(cb->rsize / 2, 2 * cb->mss)) {
      cb->ack_now = 1;
      tcp_output(cb, now);
    }
  }
  return 0;
}

void tcp_close(struct tcp_cb *cb, unsigned long long now) {
  int st = cb->state;
  if (st == TCP_SYN_SENT) { die(cb, 0); return; }
  if (st != TCP_SYN_RCVD && st != TCP_ESTABLISHED && st != TCP_CLOSE_WAIT) return;
  cb->fin_wanted = 1;
  tcp_output(cb, now);
}

void tcp_abort(struct tcp_cb *cb, unsigned long long now) {
  (void)now;
  int st = cb->state;
  if (st == TCP_SYN_RCVD || st == TCP_ESTABLISHED || st == TCP_FIN_WAIT_1 || st == TCP_FIN_WAIT_2 ||
      st == TCP_CLOSE_WAIT)
    send_rst(cb, cb->snd_nxt);
  if (st != TCP_CLOSED) die(cb, TCP_ERR_ABORTED);
}

int tcp_reset_for(const struct tcp_seg *in, struct tcp_seg *out) {
  if (in->flags & TCP_RST) return 0;
  memset(out, 0, sizeof *out);
  out->sport = in->dport;
  out->dport = in->sport;
  if (in->flags & TCP_ACK) {
    out->seq = in->ack;
    out->flags = TCP_RST;
  } else {
    out->ack = in->seq + (unsigned)in->len + ((in->flags & TCP_SYN) ? 1 : 0) + ((in->flags & TCP_FIN) ? 1 : 0);
    out->flags = TCP_RST | TCP_ACK;
  }
  return 1;
}

const char *tcp_check(const struct tcp_cb *cb) {
  if (cb->state < 0 || cb->state >= TCP_STATES) return "state out of range";
  if (cb->mss < TCP_MSS_MIN || cb->mss > TCP_MSS) return "mss out of range";
  if (cb->cwnd < cb->mss || cb->cwnd > CWND_MAX) return "cwnd out of range";
  if (cb->rto < TCP_RTO_MIN || cb->rto > TCP_RTO_MAX) return "rto out of range";
  if (cb->nooo < 0 || cb->nooo > TCP_OOO_MAX) return "out-of-order count out of range";
  if (cb->state == TCP_CLOSED || cb->state == TCP_LISTEN) return 0;
  if (!LEQ(cb->snd_una, cb->snd_nxt)) return "snd_una > snd_nxt";
  if (!LEQ(cb->snd_nxt, cb->snd_max)) return "snd_nxt > snd_max";
  if (!LEQ(cb->snd_max, cb->snd_end + (cb->fin_wanted ? 1u : 0u))) return "sent beyond the written data";
  if (cb->snd_end - data_una(cb) > cb->ssize) return "send ring overfilled";
  if (cb->state == TCP_SYN_SENT) return 0;
  if (!LEQ(cb->rcv_rd, data_end(cb))) return "read beyond the received data";
  if (data_end(cb) - cb->rcv_rd > cb->rsize) return "receive ring overfilled";
  if (cb->rcv_adv - cb->rcv_nxt > TCP_WINDOW_MAX && GT(cb->rcv_adv, cb->rcv_nxt)) return "window beyond 65535";
  if (GT(cb->rcv_adv, cb->rcv_rd + cb->rsize)) return "window beyond the ring";
  for (int i = 0; i < cb->nooo; i++) {
    const struct tcp_range *r = &cb->ooo[i];
    if (!LT(cb->rcv_nxt, r->start)) return "out-of-order range not beyond rcv_nxt";
    if (!LT(r->start, r->end)) return "empty out-of-order range";
    if (GT(r->end, cb->rcv_rd + cb->rsize)) return "out-of-order range beyond the ring";
    for (int j = 0; j < i; j++)
      if (LEQ(cb->ooo[j].start, r->end) && LEQ(r->start, cb->ooo[j].end)) return "out-of-order ranges touch";
  }
  return 0;
}

const char *tcp_state_name(int state) {
  static const char *names[TCP_STATES] = {"CLOSED", "LISTEN", "SYN_SENT", "SYN_RCVD", "ESTABLISHED", "FIN_WAIT_1",
                                          "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK", "TIME_WAIT"};
  return state >= 0 && state < TCP_STATES ? names[state] : "?";
}

static unsigned get16(const unsigned char *p) { return (unsigned)p[0] << 8 | p[1]; }
static unsigned get32(const unsigned char *p) {
  return (unsigned)p[0] << 24 | (unsigned)p[1] << 16 | (unsigned)p[2] << 8 | p[3];
}
static void put16(unsigned char *p, unsigned v) { p[0] = (unsigned char)(v >> 8); p[1] = (unsigned char)v; }
static void put32(unsigned char *p, unsigned v) {
  p[0] = (unsigned char)(v >> 24); p[1] = (unsigned char)(v >> 16); p[2] = (unsigned char)(v >> 8); p[3] = (unsigned char)v;
}

int tcp_parse(const unsigned char *p, int n, struct tcp_seg *seg) {
  if (n < TCP_HLEN) return -1;
  int off = (p[12] >> 4) * 4;
  if (off < TCP_HLEN || off > n) return -1;
  memset(seg, 0, sizeof *seg);
  seg->sport = get16(p);
  seg->dport = get16(p + 2);
  seg->seq = get32(p + 4);
  seg->ack = get32(p + 8);
  seg->flags = p[13] & 0x3f;
  seg->wnd = get16(p + 14);
  for (int i = TCP_HLEN; i < off;) {
    unsigned kind = p[i];
    if (kind == 0) break;
    if (kind == 1) { i++; continue; }
    if (i + 1 >= off) return -1;
    int len = p[i + 1];
    if (len < 2 || i + len > off) return -1;
    if (kind == 2 && len == 4) seg->mss = get16(p + i + 2);
    i += len;
  }
  seg->data = p + off;
  seg->len = n - off;
  return 0;
}

int tcp_write_header(unsigned char *p, const struct tcp_seg *seg) {
  int hlen = seg->mss ? TCP_HLEN + 4 : TCP_HLEN;
  put16(p, seg->sport);
  put16(p + 2, seg->dport);
  put32(p + 4, seg->seq);
  put32(p + 8, seg->ack);
  p[12] = (unsigned char)((hlen / 4) << 4);
  p[13] = (unsigned char)seg->flags;
  put16(p + 14, seg->wnd);
  put16(p + 16, 0);
  put16(p + 18, 0);
  if (seg->mss) {
    p[20] = 2;
    p[21] = 4;
    put16(p + 22, seg->mss);
  }
  return hlen;
}
