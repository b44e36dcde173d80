// Host test of the TCP state machine (user/lib/tcp.c; run by
// user/tcp.test.ts under AddressSanitizer and UBSan). Two connections, A
// (the active opener) and B (accepting A's SYN as a listener would), talk
// through a simulated wire that loses, duplicates and delays (so reorders)
// segments, chosen by a seeded generator; time is virtual. Every segment is
// encoded with tcp_write_header and decoded with tcp_parse on the way.
// Both sides write a pseudo-random byte stream in random-sized pieces and
// read the other's at random moments (a slow reader closes its window);
// then both close. After every event both connections' invariants are
// checked (tcp_check).
//
//   tcptest transfer SEED BYTES LOSS% DUP% REORDER%   -> "ok ..." or "FAIL ..."
//   tcptest abort SEED                                  A aborts mid-transfer: B sees RST
//   tcptest fuzz SEED COUNT                             random segments at an open connection
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tcp.h"

static unsigned long long rng_state;
static unsigned long long rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}
static unsigned below(unsigned n) { return n ? (unsigned)(rnd() % n) : 0; }

#define WIRE_MAX 4096
#define RING 16384
struct packet {
  int to;  // 0 = A, 1 = B
  unsigned long long at, order;
  int len;
  unsigned char bytes[TCP_HLEN + 4 + TCP_MSS];
};
static struct packet wire[WIRE_MAX];
static int nwire;
static unsigned loss, dup, reorder;
static unsigned long long now;
static unsigned long long delivered, lost, duplicated, sent, order;

struct side {
  struct tcp_cb cb;
  unsigned char sbuf[RING], rbuf[RING], out[TCP_MSS];
  unsigned written, read;   // application totals
  unsigned total;           // bytes this side sends
  unsigned long long stream;  // seed of the stream this side sends
  int closed;               // the application called tcp_close
  int last_state;           // the state before it went CLOSED
  int id;
};
static struct side sides[2];
static int b_started;

static unsigned char stream_byte(unsigned long long seed, unsigned i) {
  unsigned long long x = seed ^ (i / 8) * 0x9E3779B97F4A7C15ULL;
  x ^= x >> 31; x *= 0xBF58476D1CE4E5B9ULL; x ^= x >> 29;
  return (unsigned char)(x >> ((i % 8) * 8));
}

static void put_wire(int to, const unsigned char *bytes, int len) {
  sent++;
  if (below(100) < loss) { lost++; return; }
  int copies = below(100) < dup ? 2 : 1;
  if (copies == 2) duplicated++;
  for (int c = 0; c < copies; c++) {
    if (nwire == WIRE_MAX) { lost++; return; }
    struct packet *p = &wire[nwire++];
    p->to = to;
    p->at = now + 1000000 + (below(100) < reorder ? below(8000000) : 0);  // 1 ms, or up to 9 ms
    p->len = len;
    p->order = order++;
    memcpy(p->bytes, bytes, (size_t)len);
  }
}

static void emit(void *ctx, const struct tcp_seg *seg) {
  struct side *s = ctx;
  unsigned char buf[TCP_HLEN + 4 + TCP_MSS];
  int h = tcp_write_header(buf, seg);
  memcpy(buf + h, seg->data, (size_t)seg->len);
  put_wire(1 - s->id, buf, h + seg->len);
}

static void fail(const char *what) {
  printf("FAIL %s at %llu ns: A %s una %u nxt %u end %u rcv %u | B %s una %u nxt %u end %u rcv %u\n", what, now,
         tcp_state_name(sides[0].cb.state), sides[0].cb.snd_una, sides[0].cb.snd_nxt, sides[0].cb.snd_end,
         sides[0].cb.rcv_nxt, tcp_state_name(sides[1].cb.state), sides[1].cb.snd_una, sides[1].cb.snd_nxt,
         sides[1].cb.snd_end, sides[1].cb.rcv_nxt);
  exit(1);
}

static void check(void) {
  for (int i = 0; i < 2; i++) {
    const char *e = tcp_check(&sides[i].cb);
    if (e) {
      char m[128];
      snprintf(m, sizeof m, "%c: %s", 'A' + i, e);
      fail(m);
    }
  }
}

static void track(struct side *s, int before) {
  if (s->cb.state == TCP_CLOSED && before != TCP_CLOSED) s->last_state = before;
}

static void deliver(struct packet *p) {
  struct side *s = &sides[p->to];
  struct tcp_seg seg;
  if (tcp_parse(p->bytes, p->len, &seg) < 0) fail("a segment we made does not parse");
  delivered++;
  if (p->to == 1 && !b_started) {
    if ((seg.flags & (TCP_SYN | TCP_ACK | TCP_RST)) != TCP_SYN) return;  // nothing listens for that
    b_started = 1;
    tcp_accept_syn(&s->cb, 0x7fff0000u + below(1000), &seg, now);
    return;
  }
  int before = s->cb.state;
  if (before == TCP_CLOSED) {  // as netd: a RST for a segment to no connection
    struct tcp_seg rst;
    if (tcp_reset_for(&seg, &rst)) {
      unsigned char buf[TCP_HLEN + 4];
      int h = tcp_write_header(buf, &rst);
      put_wire(1 - s->id, buf, h);
    }
    return;
  }
  tcp_input(&s->cb, &seg, now);
  track(s, before);
}

// The application on side s: write some, read some, close when done.
static void app(struct side *s, int reader_slow) {
  struct tcp_cb *cb = &s->cb;
  int st = cb->state;
  if (st == TCP_SYN_SENT || st == TCP_SYN_RCVD || (st == TCP_CLOSED && !b_started)) return;
  // Gave up before the handshake ended (every SYN or SYN-ACK lost): nothing arrived.
  if (st == TCP_CLOSED && (s->last_state == TCP_SYN_SENT || s->last_state == TCP_SYN_RCVD)) return;
  if (s->written < s->total && !s->closed && st != TCP_CLOSED) {
    unsigned room = tcp_writable(cb), n = below(6000) + 1;
    if (n > room) n = room;
    if (n > s->total - s->written) n = s->total - s->written;
    for (unsigned i = 0; i < n; i++) {
      unsigned off = s->written + i;
      cb->sbuf[off & (RING - 1)] = stream_byte(s->stream, off);
    }
    if (n && tcp_wrote(cb, s->written + n, now) < 0) fail("tcp_wrote refused room it reported");
    s->written += n;
  }
  if (s->written == s->total && !s->closed && st != TCP_CLOSED) {
    s->closed = 1;
    int before = cb->state;
    tcp_close(cb, now);
    track(s, before);
  }
  if (reader_slow && below(4) != 0) return;
  // What arrived stays in the ring after the connection ends: read it all.
  unsigned n = cb->state == TCP_CLOSED ? cb->rcv_nxt - (cb->fin_received ? 1 : 0) - cb->irs - 1 - s->read : tcp_readable(cb);
  unsigned want = below(8000) + 1;
  if (n > want) n = want;
  unsigned long long peer = sides[1 - s->id].stream;
  for (unsigned i = 0; i < n; i++) {
    unsigned off = s->read + i;
    if (cb->rbuf[off & (RING - 1)] != stream_byte(peer, off)) fail("a byte arrived wrong");
  }
  if (n && cb->state != TCP_CLOSED) {
    int before = cb->state;
    if (tcp_read(cb, s->read + n, now) < 0) fail("tcp_read refused data it reported");
    track(s, before);
  }
  s->read += n;
}

// Delivers every packet due by now, earliest first (in sending order at equal times).
static void deliver_due(int checking) {
  for (;;) {
    int best = -1;
    for (int i = 0; i < nwire; i++)
      if (wire[i].at <= now && (best < 0 || wire[i].at < wire[best].at ||
                                (wire[i].at == wire[best].at && wire[i].order < wire[best].order)))
        best = i;
    if (best < 0) return;
    struct packet p = wire[best];
    wire[best] = wire[--nwire];
    deliver(&p);
    if (checking) check();
  }
}

static void setup(unsigned long long seed, unsigned bytes) {
  rng_state = seed * 2654435761ULL + 1;
  for (int i = 0; i < 2; i++) {
    struct side *s = &sides[i];
    memset(s, 0, sizeof *s);
    s->id = i;
    tcp_init(&s->cb, s->sbuf, RING, s->rbuf, RING, s->out, emit, s);
    s->cb.sport = i ? 80 : 40000;
    s->cb.dport = i ? 40000 : 80;
    s->total = i ? bytes / 3 : bytes;
    s->stream = seed * 31 + (unsigned)i + 7;
  }
  nwire = 0;
  b_started = 0;
  now = 1;
  delivered = lost = duplicated = sent = 0;
  tcp_connect(&sides[0].cb, 0xfffff000u + below(4096), now);  // near the wrap of sequence space
}

// Runs events until both connections are CLOSED or `limit` of virtual time passes.
static void run(unsigned long long limit, int slow_reader) {
  unsigned long long step = 0;
  while (now < limit) {
    if (sides[0].cb.state == TCP_CLOSED && sides[1].cb.state == TCP_CLOSED &&
        (b_started || sides[0].last_state == TCP_SYN_SENT)) {
      for (int k = 0; k < 1000; k++)
        for (int i = 0; i < 2; i++) app(&sides[i], 0);
      return;
    }
    // The next event: a packet, a timer, or an application step every 0.5 ms.
    unsigned long long next = now + 500000;
    for (int i = 0; i < nwire; i++)
      if (wire[i].at < next) next = wire[i].at;
    for (int i = 0; i < 2; i++) {
      unsigned long long d = tcp_deadline(&sides[i].cb);
      if (d && d < next) next = d;
    }
    if (next > now) now = next;
    deliver_due(1);
    for (int i = 0; i < 2; i++) {
      struct side *s = &sides[i];
      unsigned long long d = tcp_deadline(&s->cb);
      if (d && d <= now) {
        int before = s->cb.state;
        tcp_timer(&s->cb, now);
        track(s, before);
        check();
      }
    }
    if (++step % 2 == 0) {
      app(&sides[0], 0);
      check();
      app(&sides[1], slow_reader);
      check();
    }
  }
  fail("did not finish in time");
}

static int transfer(unsigned long long seed, unsigned bytes) {
  setup(seed, bytes);
  order = 0;
  run(3600ULL * 1000000000ULL, (unsigned)seed & 1);
  // At high loss every SYN exchange can be lost: the connect gives up after
  // its retries, as it must, and no stream was ever open to compare.
  if (sides[0].cb.error == TCP_ERR_TIMEOUT && sides[0].last_state == TCP_SYN_SENT && sides[1].read == 0 &&
      sides[1].cb.state == TCP_CLOSED) {
    printf("ok connect timed out after %llu SYN retransmits; segments %llu sent %llu lost\n",
           sides[0].cb.stats.retransmits, sent, lost);
    return 0;
  }
  for (int i = 0; i < 2; i++) {
    struct side *s = &sides[i], *o = &sides[1 - i];
    if (s->read != o->total) {
      char m[96];
      snprintf(m, sizeof m, "%c got %u of %u bytes; errors A %d B %d", 'A' + i, s->read, o->total, sides[0].cb.error, sides[1].cb.error);
      fail(m);
    }
    // The side that closes last may see a RST, or give up: its FIN's
    // retransmissions were lost until the peer's TIME_WAIT was over.
    int late = s->last_state == TCP_LAST_ACK || s->last_state == TCP_CLOSING;
    if (s->cb.error && !(late && (s->cb.error == TCP_ERR_RESET || s->cb.error == TCP_ERR_TIMEOUT))) {
      char m[96];
      snprintf(m, sizeof m, "%c ended with error %d in %s", 'A' + i, s->cb.error, tcp_state_name(s->last_state));
      fail(m);
    }
  }
  struct tcp_stats *a = &sides[0].cb.stats;
  printf("ok %u+%u bytes in %llu ms; segments %llu sent %llu lost %llu duplicated; A: %llu retransmits %llu timeouts "
         "%llu fast %llu out-of-order\n",
         sides[0].total, sides[1].total, now / 1000000, sent, lost, duplicated, a->retransmits, a->timeouts,
         a->fast_retransmits, sides[1].cb.stats.ooo_segs);
  return 0;
}

static int aborting(unsigned long long seed) {
  setup(seed, 200000);
  while (sides[1].read < 50000 && now < 600ULL * 1000000000ULL) {
    unsigned long long limit = now + 1000000;
    // run a little
    while (now < limit) {
      unsigned long long next = limit;
      for (int i = 0; i < nwire; i++)
        if (wire[i].at < next) next = wire[i].at;
      for (int i = 0; i < 2; i++) {
        unsigned long long d = tcp_deadline(&sides[i].cb);
        if (d && d < next) next = d;
      }
      now = next;
      deliver_due(1);
      for (int i = 0; i < 2; i++)
        if (tcp_deadline(&sides[i].cb) && tcp_deadline(&sides[i].cb) <= now) { tcp_timer(&sides[i].cb, now); check(); }
    }
    app(&sides[0], 0);
    app(&sides[1], 0);
    check();
  }
  tcp_abort(&sides[0].cb, now);
  if (sides[0].cb.state != TCP_CLOSED || sides[0].cb.error != TCP_ERR_ABORTED) fail("abort did not close A");
  sides[0].closed = sides[1].closed = 1;  // no more writes
  run(now + 600ULL * 1000000000ULL, 0);
  if (sides[1].cb.error != TCP_ERR_RESET && sides[1].cb.error != TCP_ERR_TIMEOUT) fail("B did not see the reset");
  printf("ok B ended with error %d after %u bytes\n", sides[1].cb.error, sides[1].read);
  return 0;
}

// Random segments (random bytes, and headers with sequence and
// acknowledgement numbers near the connection's) at an established
// connection: no crash, no broken invariant.
static int fuzz(unsigned long long seed, unsigned count) {
  setup(seed, 100000);
  while (sides[1].cb.state != TCP_ESTABLISHED && now < 10ULL * 1000000000ULL) {
    now += 1000000;
    deliver_due(0);
  }
  loss = 100;  // what the connections send now goes nowhere
  for (unsigned k = 0; k < count; k++) {
    struct side *s = &sides[below(2)];
    unsigned char bytes[TCP_HLEN + 40 + 64];
    int n = (int)below(sizeof bytes + 1);
    for (int i = 0; i < n; i++) bytes[i] = (unsigned char)rnd();
    if (n >= TCP_HLEN && below(2)) {
      struct tcp_seg h;
      memset(&h, 0, sizeof h);
      h.seq = s->cb.rcv_nxt + below(70000) - 2000;
      h.ack = s->cb.snd_una + below(70000) - 2000;
      h.flags = below(64);
      h.wnd = below(65536);
      h.mss = below(3) ? 0 : below(70000) & 0xffff;
      int hl = tcp_write_header(bytes, &h);
      if (hl > n) n = hl;
    }
    struct tcp_seg seg;
    if (tcp_parse(bytes, n, &seg) < 0) continue;
    if (s->cb.state == TCP_CLOSED) {
      tcp_init(&s->cb, s->sbuf, RING, s->rbuf, RING, s->out, emit, s);
      tcp_accept_syn(&s->cb, (unsigned)rnd(), &seg, now);
    } else {
      tcp_input(&s->cb, &seg, now);
    }
    check();
    now += below(50000000);
    tcp_timer(&s->cb, now);
    check();
    app(s, 0);
    check();
  }
  printf("ok %u segments\n", count);
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 7 && strcmp(argv[1], "transfer") == 0) {
    loss = (unsigned)atoi(argv[4]);
    dup = (unsigned)atoi(argv[5]);
    reorder = (unsigned)atoi(argv[6]);
    return transfer(strtoull(argv[2], 0, 10), (unsigned)strtoul(argv[3], 0, 10));
  }
  if (argc >= 3 && strcmp(argv[1], "abort") == 0) {
    loss = 5;
    return aborting(strtoull(argv[2], 0, 10));
  }
  if (argc >= 4 && strcmp(argv[1], "fuzz") == 0) return fuzz(strtoull(argv[2], 0, 10), (unsigned)atoi(argv[3]));
  fprintf(stderr, "usage: tcptest transfer SEED BYTES LOSS DUP REORDER | abort SEED | fuzz SEED COUNT\n");
  return 2;
}
