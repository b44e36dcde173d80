// Keel user land: the TCP state machine netd runs (user/lib/tcp.c,
// docs/network.md "TCP"). It is plain C with no system calls, so the same
// file builds for Keel and for the host, where user/tcp.test.ts drives two
// connections through a lossy, reordering, duplicating wire under the
// sanitizers.
//
// One struct tcp_cb is one connection. Its owner (netd) gives it two rings:
// the send ring holds the bytes the application wrote and the peer has not
// acknowledged, the receive ring the bytes received and not yet read (and,
// beyond them, out-of-order data waiting for the gap before it). Byte `s` of
// the sequence space lives at (s - iss - 1) mod size in the send ring and at
// (s - irs - 1) mod size in the receive ring, so the rings' free-running
// indices are sequence numbers minus the initial ones. The owner tells the
// machine how far the application has written (tcp_wrote) and read
// (tcp_read), hands it every segment that arrives (tcp_input) and calls
// tcp_timer at or after tcp_deadline(). Segments go out through the emit
// callback: header fields in struct tcp_seg and the payload already written
// at cb->out.
#ifndef KEEL_TCP_H
#define KEEL_TCP_H

#define TCP_HLEN 20
#define TCP_MSS 1460        // ours: 1500-byte IP packets
#define TCP_MSS_MIN 64      // a peer's MSS option below this is raised to it
#define TCP_OOO_MAX 8       // out-of-order ranges kept beyond rcv_nxt
#define TCP_WINDOW_MAX 65535  // no window scaling
#define TCP_RTO_INIT 1000000000ULL    // 1 s (RFC 6298 2.1)
#define TCP_RTO_MIN 200000000ULL      // 200 ms (RFC 6298 says 1 s; a virtual wire is fast)
#define TCP_RTO_MAX 60000000000ULL    // 60 s
#define TCP_MSL 10000000000ULL        // 10 s: TIME_WAIT lasts 2 MSL = 20 s
#define TCP_DELACK 20000000ULL        // a lone segment is acknowledged within 20 ms
#define TCP_SYN_RETRIES 6
#define TCP_DATA_RETRIES 12

// Flags (the header's byte 13).
#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20

// States (RFC 793). LISTEN is netd's: a listening socket has no tcp_cb.
enum {
  TCP_CLOSED, TCP_LISTEN, TCP_SYN_SENT, TCP_SYN_RCVD, TCP_ESTABLISHED, TCP_FIN_WAIT_1, TCP_FIN_WAIT_2,
  TCP_CLOSE_WAIT, TCP_CLOSING, TCP_LAST_ACK, TCP_TIME_WAIT, TCP_STATES
};

// Why a connection ended (cb->error), 0 while it has not or when it closed in order.
#define TCP_ERR_RESET 1     // the peer sent RST
#define TCP_ERR_REFUSED 2   // RST in answer to our SYN
#define TCP_ERR_TIMEOUT 3   // retransmissions gave up
#define TCP_ERR_ABORTED 4   // tcp_abort

// One segment, header fields in host order. On input `data` points at the
// payload; on output the payload is at the cb's `out`.
struct tcp_seg {
  unsigned sport, dport;
  unsigned seq, ack;
  unsigned flags;
  unsigned wnd;
  unsigned mss;  // the MSS option (SYN only), 0 when absent
  int len;       // payload bytes
  const unsigned char *data;
};

struct tcp_range { unsigned start, end; };  // [start, end) of sequence space

struct tcp_stats {
  unsigned long long segs_in, segs_out, bytes_in, bytes_out;
  unsigned long long retransmits, timeouts, fast_retransmits, dupacks, ooo_segs, dup_segs, bad_acks, window_probes;
};

struct tcp_cb {
  int state;
  int error;
  unsigned sport, dport;  // put into every segment emitted
  // send side
  unsigned iss, snd_una, snd_nxt, snd_max, snd_wnd, snd_wl1, snd_wl2;
  unsigned snd_end;        // iss + 1 + bytes the application has written
  int fin_wanted;          // the application closed: FIN after snd_end
  unsigned char *sbuf;
  unsigned ssize;          // a power of two
  // receive side
  unsigned irs, rcv_nxt, rcv_adv, rcv_rd;  // rcv_rd: sequence of the application's read point
  int fin_received;
  int fin_seq_known;       // a FIN arrived out of order at fin_seq
  unsigned fin_seq;
  unsigned char *rbuf;
  unsigned rsize;          // a power of two
  struct tcp_range ooo[TCP_OOO_MAX];
  int nooo;
  unsigned unacked;        // bytes received since the last ACK we sent
  int ack_now;             // an ACK is due at the next output
  // congestion control (RFC 5681, NewReno recovery RFC 6582)
  unsigned mss, cwnd, ssthresh, dupacks, recover;
  int in_recovery;
  // RTT estimation (RFC 6298), nanoseconds
  unsigned long long srtt, rttvar, rto;
  int rtt_timing;
  unsigned rtt_seq;
  unsigned long long rtt_start;
  // timers: 0 = not running
  unsigned long long rexmt_at, persist_at, delack_at, timewait_at;
  int retries;
  struct tcp_stats stats;
  // output
  unsigned char *out;  // where emit expects the payload (TCP_MSS bytes of room)
  void (*emit)(void *ctx, const struct tcp_seg *seg);
  void *ctx;
};

// Sets up cb, CLOSED, with its rings (sizes: powers of two, at least 2 * TCP_MSS).
void tcp_init(struct tcp_cb *cb, unsigned char *sbuf, unsigned ssize, unsigned char *rbuf, unsigned rsize,
              unsigned char *out, void (*emit)(void *, const struct tcp_seg *), void *ctx);
// Active open: sends SYN (SYN_SENT).
void tcp_connect(struct tcp_cb *cb, unsigned iss, unsigned long long now);
// Passive open: a SYN arrived for a listener; answers SYN-ACK (SYN_RCVD).
void tcp_accept_syn(struct tcp_cb *cb, unsigned iss, const struct tcp_seg *syn, unsigned long long now);
// A segment for this connection.
void tcp_input(struct tcp_cb *cb, const struct tcp_seg *seg, unsigned long long now);
// Sends what the windows allow (new data, FIN, a due ACK).
void tcp_output(struct tcp_cb *cb, unsigned long long now);
// Runs the timers that are due.
void tcp_timer(struct tcp_cb *cb, unsigned long long now);
// The earliest running timer, or 0.
unsigned long long tcp_deadline(const struct tcp_cb *cb);
// The application has written up to sequence iss + 1 + total (bytes ever
// written); returns 0, or -1 when that would overfill the ring or go back.
int tcp_wrote(struct tcp_cb *cb, unsigned total, unsigned long long now);
// The application has read up to irs + 1 + total; -1 when past what arrived.
int tcp_read(struct tcp_cb *cb, unsigned total, unsigned long long now);
// Orderly close: FIN once the written data is sent.
void tcp_close(struct tcp_cb *cb, unsigned long long now);
// Abortive close: RST when synchronized, then CLOSED with TCP_ERR_ABORTED.
void tcp_abort(struct tcp_cb *cb, unsigned long long now);
// Bytes the application may read / may still write.
unsigned tcp_readable(const struct tcp_cb *cb);
unsigned tcp_writable(const struct tcp_cb *cb);
// Data bytes the peer has acknowledged / that have arrived in order, since
// the connection began (the rings' free-running indices).
unsigned tcp_acked(const struct tcp_cb *cb);
unsigned tcp_received(const struct tcp_cb *cb);
// The RST answering a segment that reached no connection (RFC 793 "Reset
// Generation"); returns 0 when none is due (the segment was itself a RST).
int tcp_reset_for(const struct tcp_seg *in, struct tcp_seg *out);
// Checks the connection's invariants; returns 0 when they hold, else a
// static description of the first one broken (the host test calls it after
// every step).
const char *tcp_check(const struct tcp_cb *cb);
const char *tcp_state_name(int state);

// Header encoding. tcp_parse reads n bytes (header, options, payload) into
// seg (data points into p) and returns 0, or -1 when they are no TCP
// segment; the checksum is the caller's. tcp_write_header writes the header
// (with the MSS option when seg->mss) and returns its length; the checksum
// field is left 0.
int tcp_parse(const unsigned char *p, int n, struct tcp_seg *seg);
int tcp_write_header(unsigned char *p, const struct tcp_seg *seg);

#endif
