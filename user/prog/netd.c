// netd: the network service. It owns the network card through the device
// capability init gives it (slot 21) and speaks, over Ethernet: ARP (a cache,
// requests and replies), IPv4 (header checks and checksum; fragments are
// dropped and counted, there is no reassembly), ICMP echo (it answers
// requests and sends them for ping) and UDP (bound ports, each with a queue
// of datagrams; checksums checked and made). Its address comes from the kernel
// command line (ip=10.0.0.2/24) through nic_info. docs/network.md.
//
// Structure: the card's frames and the clients' requests both arrive as
// calls on netd's endpoint (slot 16), so one loop serves both. A forked
// receive pump waits in nic_recv and calls netd with each frame (NETD_FRAME,
// unbadged); clients hold the badged copy init registered as "net" with the
// name service, and their requests are user/include/net.h's. netd owes one
// reply at a time, so it replies at once: ping sends with NETD_ECHO and
// collects replies with NETD_ECHO_POLL.
//
// Every field of every frame is checked before it is used; a frame that does
// not fit is counted and dropped. Nothing a frame holds can make netd write
// outside its buffers.
#include "user.h"
#include "services.h"
#include "net.h"

#define ETH_HLEN 14
#define ETH_MIN 60  // frames shorter than this are padded with zeros
#define ETHERTYPE_IP 0x0800
#define ETHERTYPE_ARP 0x0806
#define ARP_LEN 28
#define ARP_REQUEST 1
#define ARP_REPLY 2
#define IP_HLEN 20
#define IP_PROTO_ICMP 1
#define IP_PROTO_UDP 17
#define UDP_HLEN 8
#define UDP_MAX_DATA (NIC_FRAME_MAX - ETH_HLEN - IP_HLEN - UDP_HLEN)  // 1472
#define UDP_BINDINGS 4
#define UDP_QUEUE 8           // datagrams kept per bound port
#define UDP_EPHEMERAL 49152   // ports handed out for a bind to port 0
#define IP_TTL 64
#define IP_FLAG_MF 0x2000
#define IP_OFFSET_MASK 0x1fff
#define ICMP_ECHO_REPLY 0
#define ICMP_ECHO_REQUEST 8
#define ICMP_HLEN 8
#define ECHO_PAYLOAD 56  // as ping's default: 8 bytes of send time + pattern

#define ARP_ENTRIES 16
#define PENDING_MAX 4   // packets waiting for ARP
#define RESULTS_MAX 16  // echo replies not yet polled

struct arp_entry {
  uint ip;  // 0 = free
  uchar mac[6];
  uint64 used;  // clocknanos() of the last use, for replacement
};

struct pending {
  uint ip;  // 0 = free
  uint64 age;  // when it started waiting (a counter): the oldest gives way
  int len;
  uchar frame[NIC_FRAME_MAX];
};

struct echo_result {
  int used;
  uint64 age;  // arrival order: when the table is full the oldest gives way
  uint ident, seq, src, ttl;
  uint64 rtt_ns;
};

// A bound UDP port. The client's token capability (a notification it
// made) is kept at `token`: once netd holds the only capability left to
// it, the client has gone and the port is freed.
struct datagram {
  uint src, port;
  int len;
  uchar data[UDP_MAX_DATA];
};
struct binding {
  uint port;  // 0 = free
  int token;  // slot of the token capability
  int head, count;
  struct datagram queue[UDP_QUEUE];
};
static struct binding bindings[UDP_BINDINGS];
static uint next_ephemeral = UDP_EPHEMERAL;

static uchar mac[6];
static uint my_ip, my_mask;
static int my_prefix;
static struct arp_entry arp[ARP_ENTRIES];
static struct pending pending[PENDING_MAX];
static struct echo_result results[RESULTS_MAX];
static struct netstats stats;
static uchar tx[NIC_FRAME_MAX];
static uchar request[IPC_MAX_BYTES];
static const uchar broadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static uint64 ticket;  // orders pending packets and results

// The free entry of a table, else its oldest (which the caller counts as dropped).
#define FREE_OR_OLDEST(table, n, busy, out)                        \
  do {                                                             \
    out = &table[0];                                               \
    for (int i_ = 0; i_ < (n); i_++) {                             \
      if (!(table[i_].busy)) { out = &table[i_]; break; }          \
      if (table[i_].age < out->age) out = &table[i_];              \
    }                                                              \
  } while (0)

// ---- byte order ----
static uint get16(const uchar *p) { return (uint)p[0] << 8 | p[1]; }
static uint get32(const uchar *p) { return (uint)p[0] << 24 | (uint)p[1] << 16 | (uint)p[2] << 8 | p[3]; }
static void put16(uchar *p, uint v) { p[0] = (uchar)(v >> 8); p[1] = (uchar)v; }
static void put32(uchar *p, uint v) { p[0] = (uchar)(v >> 24); p[1] = (uchar)(v >> 16); p[2] = (uchar)(v >> 8); p[3] = (uchar)v; }

// The Internet checksum (RFC 1071) of n bytes: 0 when a received header's
// checksum field is right.
static uint checksum(const uchar *p, int n) {
  uint64 sum = 0;
  for (int i = 0; i + 1 < n; i += 2) sum += get16(p + i);
  if (n & 1) sum += (uint)p[n - 1] << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return (uint)(~sum & 0xffff);
}

// ---- the card ----
static void send_frame(uchar *frame, int len) {
  if (len < ETH_MIN) {
    memset(frame + len, 0, (size_t)(ETH_MIN - len));
    len = ETH_MIN;
  }
  if (nic_send(NETD_NIC_SLOT, frame, len) < 0) stats.send_errors++;
  else stats.sent++;
}

static void eth_header(uchar *frame, const uchar *dst, uint type) {
  memcpy(frame, dst, 6);
  memcpy(frame + 6, mac, 6);
  put16(frame + 12, type);
}

// ---- ARP ----
static struct arp_entry *arp_find(uint ip) {
  for (int i = 0; i < ARP_ENTRIES; i++)
    if (arp[i].ip == ip) return &arp[i];
  return 0;
}

static void arp_learn(uint ip, const uchar *hw) {
  if (ip == 0 || (hw[0] & 1)) return;  // no address, or a group MAC
  struct arp_entry *e = arp_find(ip);
  if (!e) {
    e = &arp[0];
    for (int i = 0; i < ARP_ENTRIES; i++) {
      if (arp[i].ip == 0) { e = &arp[i]; break; }
      if (arp[i].used < e->used) e = &arp[i];
    }
  }
  e->ip = ip;
  memcpy(e->mac, hw, 6);
  e->used = clocknanos();
  // Packets that waited for this address go now.
  for (int i = 0; i < PENDING_MAX; i++) {
    if (pending[i].ip != ip) continue;
    memcpy(pending[i].frame, hw, 6);
    send_frame(pending[i].frame, pending[i].len);
    pending[i].ip = 0;
  }
}

static void arp_send(uint op, const uchar *dst_hw, uint target_ip, const uchar *target_hw) {
  eth_header(tx, dst_hw, ETHERTYPE_ARP);
  uchar *a = tx + ETH_HLEN;
  put16(a, 1);             // hardware: Ethernet
  put16(a + 2, ETHERTYPE_IP);
  a[4] = 6;
  a[5] = 4;
  put16(a + 6, op);
  memcpy(a + 8, mac, 6);
  put32(a + 14, my_ip);
  memcpy(a + 18, target_hw, 6);
  put32(a + 24, target_ip);
  send_frame(tx, ETH_HLEN + ARP_LEN);
}

static void arp_input(const uchar *a, int len) {
  if (len < ARP_LEN || get16(a) != 1 || get16(a + 2) != ETHERTYPE_IP || a[4] != 6 || a[5] != 4) {
    stats.bad_frames++;
    return;
  }
  stats.arp_in++;
  uint op = get16(a + 6);
  uint sender = get32(a + 14), target = get32(a + 24);
  if (my_ip == 0 || target != my_ip) return;
  arp_learn(sender, a + 8);
  if (op == ARP_REQUEST) {
    uchar hw[6];
    memcpy(hw, a + 8, 6);
    arp_send(ARP_REPLY, hw, sender, hw);
    stats.arp_replies++;
  }
}

// ---- IPv4 and ICMP ----

// Builds an IPv4 header at p for a packet of `total` bytes.
static void ip_header(uchar *p, uint dst, int total, uint proto) {
  static uint ident;
  p[0] = 0x45;
  p[1] = 0;
  put16(p + 2, (uint)total);
  put16(p + 4, ++ident & 0xffff);
  put16(p + 6, 0);
  p[8] = IP_TTL;
  p[9] = (uchar)proto;
  put16(p + 10, 0);
  put32(p + 12, my_ip);
  put32(p + 16, dst);
  put16(p + 10, checksum(p, IP_HLEN));
}

// Sends the payload already at tx + ETH_HLEN + IP_HLEN (payload bytes of
// protocol proto) to dst: now if its MAC is known, else after ARP.
static long ip_send(uint dst, uint proto, int payload) {
  ip_header(tx + ETH_HLEN, dst, IP_HLEN + payload, proto);
  int len = ETH_HLEN + IP_HLEN + payload;
  struct arp_entry *e = arp_find(dst);
  if (e) {
    e->used = clocknanos();
    eth_header(tx, e->mac, ETHERTYPE_IP);
    send_frame(tx, len);
    return SVC_OK;
  }
  // One packet waits per address (a newer one replaces it); when all are
  // taken the oldest waiting packet is dropped, so addresses that never
  // answer cannot block the others.
  struct pending *slot = 0;
  for (int i = 0; i < PENDING_MAX && !slot; i++)
    if (pending[i].ip == dst) slot = &pending[i];
  if (!slot) FREE_OR_OLDEST(pending, PENDING_MAX, ip, slot);
  if (slot->ip != 0) stats.arp_dropped++;
  slot->age = ++ticket;
  eth_header(tx, broadcast, ETHERTYPE_IP);  // the destination MAC is filled in when ARP answers
  memcpy(slot->frame, tx, (size_t)len);
  slot->len = len;
  slot->ip = dst;
  static const uchar unknown[6];
  arp_send(ARP_REQUEST, broadcast, dst, unknown);
  return SVC_OK;
}

// Sends the ICMP message at tx + ETH_HLEN + IP_HLEN (icmp_len bytes).
static long icmp_send(uint dst, int icmp_len) {
  uchar *icmp = tx + ETH_HLEN + IP_HLEN;
  put16(icmp + 2, 0);
  put16(icmp + 2, checksum(icmp, icmp_len));
  return ip_send(dst, IP_PROTO_ICMP, icmp_len);
}

static void record_reply(uint src, uint ttl, const uchar *icmp, int len) {
  if (len < ICMP_HLEN + 8) return;  // no send time: not one of ours
  uint64 sent = 0;
  for (int i = 0; i < 8; i++) sent = sent << 8 | icmp[ICMP_HLEN + i];
  uint64 now = clocknanos();
  struct echo_result *r;
  FREE_OR_OLDEST(results, RESULTS_MAX, used, r);
  if (r->used) stats.echo_dropped++;  // nobody polled for it (its ping is gone)
  r->used = 1;
  r->age = ++ticket;
  r->ident = get16(icmp + 4);
  r->seq = get16(icmp + 6);
  r->src = src;
  r->ttl = ttl;
  r->rtt_ns = now >= sent ? now - sent : 0;
  stats.echo_replies++;
}

static void icmp_input(uint src, uint ttl, const uchar *icmp, int len) {
  if (len < ICMP_HLEN || checksum(icmp, len) != 0) {
    stats.icmp_bad++;
    return;
  }
  if (icmp[0] == ICMP_ECHO_REPLY) {
    record_reply(src, ttl, icmp, len);
  } else if (icmp[0] == ICMP_ECHO_REQUEST) {
    if (len > NIC_FRAME_MAX - ETH_HLEN - IP_HLEN) return;
    uchar *out = tx + ETH_HLEN + IP_HLEN;
    memmove(out, icmp, (size_t)len);
    out[0] = ICMP_ECHO_REPLY;
    out[1] = 0;
    if (icmp_send(src, len) == SVC_OK) stats.echo_answered++;
  }
}

static void udp_input(uint src, uint dst, const uchar *u, int len);

static void ip_input(const uchar *p, int len) {
  if (len < IP_HLEN || (p[0] >> 4) != 4) { stats.ip_bad++; return; }
  int hlen = (p[0] & 15) * 4;
  int total = (int)get16(p + 2);
  if (hlen < IP_HLEN || total < hlen || total > len || checksum(p, hlen) != 0) { stats.ip_bad++; return; }
  uint frag = get16(p + 6);
  if ((frag & IP_FLAG_MF) || (frag & IP_OFFSET_MASK)) { stats.ip_fragments++; return; }
  uint dst = get32(p + 16), src = get32(p + 12);
  if (my_ip == 0 || dst != my_ip || (p[9] != IP_PROTO_ICMP && p[9] != IP_PROTO_UDP)) { stats.ip_other++; return; }
  stats.ip_in++;
  if (p[9] == IP_PROTO_ICMP) icmp_input(src, p[8], p + hlen, total - hlen);
  else udp_input(src, dst, p + hlen, total - hlen);
}

static void frame_input(const uchar *f, int len) {
  stats.frames++;
  if (len < ETH_HLEN || len > NIC_FRAME_MAX) { stats.bad_frames++; return; }
  // Only frames for this card or for everybody (the switch floods unknowns).
  if (memcmp(f, mac, 6) != 0 && memcmp(f, broadcast, 6) != 0) { stats.bad_frames++; return; }
  uint type = get16(f + 12);
  if (type == ETHERTYPE_ARP) arp_input(f + ETH_HLEN, len - ETH_HLEN);
  else if (type == ETHERTYPE_IP) ip_input(f + ETH_HLEN, len - ETH_HLEN);
  else stats.bad_frames++;
}

// ---- UDP ----

// The UDP checksum's pseudo-header sum folded with the datagram (RFC 768);
// 0 when a received datagram's checksum is right.
static uint udp_checksum(uint src, uint dst, const uchar *udp, int len) {
  uint64 sum = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + IP_PROTO_UDP + (uint)len;
  for (int i = 0; i + 1 < len; i += 2) sum += get16(udp + i);
  if (len & 1) sum += (uint)udp[len - 1] << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return (uint)(~sum & 0xffff);
}

// Frees the bindings whose client has gone (netd holds their token's last capability).
static void udp_reap(void) {
  for (int i = 0; i < UDP_BINDINGS; i++) {
    struct capinfo info;
    if (bindings[i].port == 0) continue;
    if (cap_info(bindings[i].token, &info) == 0 && info.refs > 1) continue;
    cap_delete(bindings[i].token);
    bindings[i].port = 0;
    stats.udp_reaped++;
  }
}

static struct binding *udp_find(uint port) {
  for (int i = 0; i < UDP_BINDINGS; i++)
    if (bindings[i].port != 0 && bindings[i].port == port) return &bindings[i];
  return 0;
}

static void udp_input(uint src, uint dst, const uchar *u, int len) {
  if (len < UDP_HLEN) { stats.udp_bad++; return; }
  int ulen = (int)get16(u + 4);
  if (ulen < UDP_HLEN || ulen > len || (get16(u + 6) != 0 && udp_checksum(src, dst, u, ulen) != 0)) {
    stats.udp_bad++;
    return;
  }
  struct binding *b = udp_find(get16(u + 2));
  if (!b) { stats.udp_no_port++; return; }
  if (b->count == UDP_QUEUE) { stats.udp_dropped++; return; }  // the reader is behind: the newest goes
  struct datagram *d = &b->queue[(b->head + b->count) % UDP_QUEUE];
  d->src = src;
  d->port = get16(u);
  d->len = ulen - UDP_HLEN;
  memcpy(d->data, u + UDP_HLEN, (size_t)d->len);
  b->count++;
  stats.udp_in++;
}

// UDP_BIND: port (0: the next free ephemeral one) for the client whose token is *token.
static long udp_bind(uint port, int *token, uint *bound) {
  if (*token < 0) return SVC_ERR_NO_CAP;
  if (port > 0xffff) return NETD_ERR_PORT;
  udp_reap();
  if (port == 0) {
    for (int tries = 0; tries < 0x4000 && port == 0; tries++) {
      uint p = next_ephemeral++;
      if (next_ephemeral > 0xffff) next_ephemeral = UDP_EPHEMERAL;
      if (!udp_find(p)) port = p;
    }
  } else if (udp_find(port)) {
    return NETD_ERR_PORT;
  }
  struct binding *b = 0;
  for (int i = 0; i < UDP_BINDINGS && !b; i++)
    if (bindings[i].port == 0) b = &bindings[i];
  if (!b || port == 0) return SVC_ERR_FULL;
  b->port = port;
  b->token = *token;
  b->head = b->count = 0;
  *token = -1;  // kept: the caller must not delete it
  *bound = port;
  return SVC_OK;
}

static long udp_send(uint sport, uint dst, uint dport, const uchar *data, int len) {
  if (my_ip == 0) return NETD_ERR_NO_ADDRESS;
  if (!udp_find(sport) || dport == 0 || dport > 0xffff) return NETD_ERR_PORT;
  if (len < 0 || len > UDP_MAX_DATA) return NETD_ERR_TOO_LONG;
  if ((dst & my_mask) != (my_ip & my_mask)) return NETD_ERR_UNREACHABLE;
  uchar *u = tx + ETH_HLEN + IP_HLEN;
  put16(u, sport);
  put16(u + 2, dport);
  put16(u + 4, (uint)(UDP_HLEN + len));
  put16(u + 6, 0);
  memmove(u + UDP_HLEN, data, (size_t)len);
  uint sum = udp_checksum(my_ip, dst, u, UDP_HLEN + len);
  put16(u + 6, sum == 0 ? 0xffff : sum);  // 0 would mean "no checksum"
  stats.udp_sent++;
  return ip_send(dst, IP_PROTO_UDP, UDP_HLEN + len);
}

// UDP_RECV: the oldest datagram for port into the reply (words and out).
static long udp_recv(struct ipcmsg *reply, uint port, uchar *out) {
  struct binding *b = udp_find(port);
  if (!b) return NETD_ERR_PORT;
  if (b->count == 0) return NETD_NOTHING;
  struct datagram *d = &b->queue[b->head];
  b->head = (b->head + 1) % UDP_QUEUE;
  b->count--;
  reply->w[1] = d->src;
  reply->w[2] = d->port;
  memcpy(out, d->data, (size_t)d->len);
  reply->len = (uint)d->len;
  return SVC_OK;
}

static long udp_close(uint port) {
  struct binding *b = udp_find(port);
  if (!b) return NETD_ERR_PORT;
  cap_delete(b->token);
  b->port = 0;
  return SVC_OK;
}

// A port number from a request word; anything past 16 bits is no port.
static uint port_arg(uint64 w) { return w > 0xffff ? 0x10000 : (uint)w; }

// ---- requests ----

static long echo_request(uint dst, uint ident, uint seq) {
  if (my_ip == 0) return NETD_ERR_NO_ADDRESS;
  if ((dst & my_mask) != (my_ip & my_mask)) return NETD_ERR_UNREACHABLE;
  uchar *icmp = tx + ETH_HLEN + IP_HLEN;
  icmp[0] = ICMP_ECHO_REQUEST;
  icmp[1] = 0;
  put16(icmp + 4, ident & 0xffff);
  put16(icmp + 6, seq & 0xffff);
  uint64 now = clocknanos();
  for (int i = 0; i < 8; i++) icmp[ICMP_HLEN + i] = (uchar)(now >> (56 - 8 * i));
  for (int i = 8; i < ECHO_PAYLOAD; i++) icmp[ICMP_HLEN + i] = (uchar)i;
  return icmp_send(dst, ICMP_HLEN + ECHO_PAYLOAD);
}

// ECHO_POLL: fills the reply words with the oldest result for ident.
static long echo_poll(struct ipcmsg *m, uint ident) {
  struct echo_result *r = 0;
  for (int i = 0; i < RESULTS_MAX; i++)
    if (results[i].used && results[i].ident == (ident & 0xffff) && (!r || results[i].age < r->age)) r = &results[i];
  if (!r) return NETD_NOTHING;
  m->w[1] = r->seq;
  m->w[2] = r->rtt_ns;
  m->w[3] = (uint64)r->src | (uint64)r->ttl << 32;
  r->used = 0;
  return SVC_OK;
}

// The receive pump: a child that waits for frames and calls netd with each.
static void pump(void) {
  static uchar frame[NIC_FRAME_MAX];
  struct ipcmsg m;
  for (;;) {
    int n = nic_recv(NETD_NIC_SLOT, frame, sizeof frame, 0);
    if (n <= 0) {
      fprintf(2, "netd: receive pump: nic_recv: %s\n", lasterror());
      exit(1);
    }
    memset(&m, 0, sizeof m);
    m.w[0] = NETD_FRAME;
    m.buf = (uint64)frame;
    m.len = (uint)n;
    m.cap = -1;
    if (ep_call(SVC_ENDPOINT_SLOT, &m) < 0) exit(0);  // netd is gone
  }
}

static void configure(void) {
  struct nicinfo info;
  if (nic_info(NETD_NIC_SLOT, &info) < 0) {
    fprintf(2, "netd: no network card: %s\n", lasterror());
    exit(1);
  }
  memcpy(mac, info.mac, 6);
  char text[16];
  if (info.addr[0] == 0) {
    printf("netd: %02x:%02x:%02x:%02x:%02x:%02x, no address (no ip= on the kernel command line)\n",
           mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
    return;
  }
  if (inet_parse(info.addr, &my_ip, &my_prefix) < 0 || my_ip == 0) {
    fprintf(2, "netd: ip=%s is not an address like 10.0.0.2/24; no address\n", info.addr);
    my_ip = 0;
    return;
  }
  my_mask = my_prefix == 0 ? 0 : 0xffffffffu << (32 - my_prefix);
  inet_format(my_ip, text);
  printf("netd: %02x:%02x:%02x:%02x:%02x:%02x address %s/%d, link %s\n", mac[0], mac[1], mac[2], mac[3], mac[4],
         mac[5], text, my_prefix, (info.flags & 1) ? "up" : "down");
}

int main(void) {
  configure();
  int pid = fork();
  if (pid < 0) {
    fprintf(2, "netd: fork: %s\n", lasterror());
    return 1;
  }
  if (pid == 0) pump();
  struct ipcmsg m;
  memset(&m, 0, sizeof m);
  m.cap = -1;
  for (;;) {
    if (svc_next(&m, (char *)request, sizeof request, "netd") < 0) return 1;
    int arrived = m.cap;
    uint64 op = m.w[0];
    long status = SVC_ERR_FAILED;
    struct ipcmsg reply;
    memset(&reply, 0, sizeof reply);
    reply.cap = -1;
    if (op == NETD_FRAME && m.badge == 0) {
      frame_input(request, (int)m.len);
      status = SVC_OK;
    } else if (op == NETD_ECHO) {
      status = echo_request((uint)m.w[1], (uint)m.w[2], (uint)m.w[3]);
    } else if (op == NETD_ECHO_POLL) {
      status = echo_poll(&reply, (uint)m.w[1]);
    } else if (op == NETD_UDP_BIND) {
      uint bound = 0;
      status = udp_bind(port_arg(m.w[1]), &arrived, &bound);
      reply.w[1] = bound;
    } else if (op == NETD_UDP_SEND) {
      status = udp_send(port_arg(m.w[1]), (uint)m.w[2], port_arg(m.w[3]), request, (int)m.len);
    } else if (op == NETD_UDP_RECV) {
      status = udp_recv(&reply, port_arg(m.w[1]), request);  // svc_next sends the reply's bytes from request
    } else if (op == NETD_UDP_CLOSE) {
      status = udp_close(port_arg(m.w[1]));
    } else if (op == NETD_INFO) {
      reply.w[1] = my_ip;
      reply.w[2] = (uint64)my_prefix;
      for (int i = 0; i < 6; i++) reply.w[3] = reply.w[3] << 8 | mac[i];
      // svc_next sends the reply's bytes from the request buffer.
      memcpy(request, &stats, sizeof stats);
      reply.len = sizeof stats;
      status = SVC_OK;
    }
    if (arrived >= 0) cap_delete(arrived);  // netd keeps only UDP_BIND's token
    reply.w[0] = (uint64)status;
    m = reply;
  }
}
