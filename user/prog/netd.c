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
//
// Loopback (lo): a packet for 127.0.0.0/8 or for netd's own address never
// reaches the card. ip_send puts it in a bounded queue, and the main loop
// takes the queue in after every request (loopback_drain), through the same
// ip_input as the card's packets, so no input path runs inside another and
// the one transmit buffer is never overwritten while in use. 127.0.0.0/8
// is taken only from the queue: a frame from the card that claims it (or
// netd's own address as its source) is counted in ip_other and dropped.
// Without a card netd runs with the loopback interface alone.
#include "user.h"
#include "services.h"
#include "net.h"
#include "tcp.h"

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
#define IP_PROTO_TCP 6
#define TW_MAX 16  // connections in TIME_WAIT after their socket was closed
#define LEQ_SEQ(a, b) ((int)((a) - (b)) <= 0)
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
#define ICMP_UNREACHABLE 3
#define ICMP_PORT_UNREACHABLE 3
#define ECHO_PAYLOAD 56
#define DHCP_CLIENT_PORT 68
#define DHCP_OFF 0
#define DHCP_SELECTING 1
#define DHCP_REQUESTING 2
#define DHCP_BOUND 3
#define DHCP_RENEWING 4  // as ping's default: 8 bytes of send time + pattern

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
static int have_card;  // nic_info answered: the card (net0) is there
static uint my_ip, my_mask;
static uint my_router, my_dns;  // from DHCP (0: none)
static int reachable(uint dst);
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
  if (!have_card) { stats.send_errors++; return; }
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

// ---- the loopback interface ----
#define IP_MAX (NIC_FRAME_MAX - ETH_HLEN)  // 1500: lo has the card's MTU
#define LO_QUEUE 64        // packets waiting to be taken in (a TCP window's worth)
#define LO_DRAIN_MAX 1024  // taken in per request; the rest wait for the next tick

struct lo_packet {
  int len;
  uchar data[IP_MAX];
};
static struct lo_packet lo_queue[LO_QUEUE];
static int lo_head, lo_count;

static int is_loopback(uint addr) { return (addr >> 24) == 127; }
// An address of this machine: delivered through lo, not the card.
static int is_local(uint addr) { return is_loopback(addr) || (my_ip != 0 && addr == my_ip); }
// The source address of a packet netd starts to dst.
static uint local_for(uint dst) { return is_loopback(dst) ? NET_LOOPBACK_ADDR : my_ip; }

static void lo_enqueue(const uchar *packet, int len) {
  if (lo_count == LO_QUEUE) { stats.lo_dropped++; return; }  // TCP sends it again
  struct lo_packet *p = &lo_queue[(lo_head + lo_count) % LO_QUEUE];
  memcpy(p->data, packet, (size_t)len);
  p->len = len;
  lo_count++;
}

// Builds an IPv4 header at p for a packet of `total` bytes.
static void ip_header(uchar *p, uint src, uint dst, int total, uint proto) {
  static uint ident;
  p[0] = 0x45;
  p[1] = 0;
  put16(p + 2, (uint)total);
  put16(p + 4, ++ident & 0xffff);
  put16(p + 6, 0);
  p[8] = IP_TTL;
  p[9] = (uchar)proto;
  put16(p + 10, 0);
  put32(p + 12, src);
  put32(p + 16, dst);
  put16(p + 10, checksum(p, IP_HLEN));
}

// Sends the payload already at tx + ETH_HLEN + IP_HLEN (payload bytes of
// protocol proto) to dst: now if its MAC is known, else after ARP.
// On the local network, or beyond it through the router DHCP named.
// Without an address only the loopback interface reaches anything.
static int reachable(uint dst) {
  if (is_local(dst)) return 1;
  return my_ip != 0 && ((dst & my_mask) == (my_ip & my_mask) || my_router != 0);
}

static long ip_send_from(uint src, uint dst, uint proto, int payload) {
  ip_header(tx + ETH_HLEN, src, dst, IP_HLEN + payload, proto);
  int len = ETH_HLEN + IP_HLEN + payload;
  if (is_local(dst)) {
    lo_enqueue(tx + ETH_HLEN, IP_HLEN + payload);
    return SVC_OK;
  }
  if ((dst & my_mask) != (my_ip & my_mask) && my_router) dst = my_router;  // the next hop
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

static long ip_send(uint dst, uint proto, int payload) { return ip_send_from(local_for(dst), dst, proto, payload); }

// Sends the ICMP message at tx + ETH_HLEN + IP_HLEN (icmp_len bytes) from src.
static long icmp_send_from(uint src, uint dst, int icmp_len) {
  uchar *icmp = tx + ETH_HLEN + IP_HLEN;
  put16(icmp + 2, 0);
  put16(icmp + 2, checksum(icmp, icmp_len));
  return ip_send_from(src, dst, IP_PROTO_ICMP, icmp_len);
}
static long icmp_send(uint dst, int icmp_len) { return icmp_send_from(local_for(dst), dst, icmp_len); }

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

// dst: the local address the message came to (an echo is answered from it).
static void icmp_input(uint src, uint dst, uint ttl, const uchar *icmp, int len) {
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
    if (icmp_send_from(dst, src, len) == SVC_OK) stats.echo_answered++;
  }
}

static void udp_input(uint src, uint dst, const uchar *ip, int hlen, const uchar *u, int len);
static void dhcp_input(const uchar *d, int len);
static int dhcp_state;
static void tcp_segment_input(uint src, uint dst, const uchar *t, int len);

// An IPv4 packet from the card (from_lo 0) or the loopback queue (1).
static void ip_input(const uchar *p, int len, int from_lo) {
  if (len < IP_HLEN || (p[0] >> 4) != 4) { stats.ip_bad++; return; }
  int hlen = (p[0] & 15) * 4;
  int total = (int)get16(p + 2);
  if (hlen < IP_HLEN || total < hlen || total > len || checksum(p, hlen) != 0) { stats.ip_bad++; return; }
  uint frag = get16(p + 6);
  if ((frag & IP_FLAG_MF) || (frag & IP_OFFSET_MASK)) { stats.ip_fragments++; return; }
  uint dst = get32(p + 16), src = get32(p + 12);
  if (!from_lo && (is_loopback(src) || is_loopback(dst) || (my_ip != 0 && src == my_ip))) {
    stats.ip_other++;  // a martian: only lo carries these
    return;
  }
  if (p[9] == IP_PROTO_UDP && total - hlen >= UDP_HLEN && get16(p + hlen + 2) == DHCP_CLIENT_PORT && dhcp_state != DHCP_OFF) {
    dhcp_input(p + hlen + UDP_HLEN, total - hlen - UDP_HLEN);
    return;
  }
  int for_us = (my_ip != 0 && dst == my_ip) || (from_lo && is_loopback(dst));
  if (!for_us || (p[9] != IP_PROTO_ICMP && p[9] != IP_PROTO_UDP && p[9] != IP_PROTO_TCP)) {
    stats.ip_other++;
    return;
  }
  stats.ip_in++;
  if (p[9] == IP_PROTO_ICMP) icmp_input(src, dst, p[8], p + hlen, total - hlen);
  else if (p[9] == IP_PROTO_UDP) udp_input(src, dst, p, hlen, p + hlen, total - hlen);
  else tcp_segment_input(src, dst, p + hlen, total - hlen);
}

static void frame_input(const uchar *f, int len) {
  stats.frames++;
  if (len < ETH_HLEN || len > NIC_FRAME_MAX) { stats.bad_frames++; return; }
  // Only frames for this card or for everybody (the switch floods unknowns).
  if (memcmp(f, mac, 6) != 0 && memcmp(f, broadcast, 6) != 0) { stats.bad_frames++; return; }
  uint type = get16(f + 12);
  if (type == ETHERTYPE_ARP) arp_input(f + ETH_HLEN, len - ETH_HLEN);
  else if (type == ETHERTYPE_IP) ip_input(f + ETH_HLEN, len - ETH_HLEN, 0);
  else stats.bad_frames++;
}

// ---- UDP ----

// The UDP checksum's pseudo-header sum folded with the datagram (RFC 768);
// 0 when a received datagram's checksum is right.
static uint l4_checksum(uint src, uint dst, uint proto, const uchar *udp, int len) {
  uint64 sum = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto + (uint)len;
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

static int udp_sock_input(uint src, uint sport, uint dport, const uchar *data, int len);
static int port_taken(uint port, int type);

// ---- DHCP client (RFC 2131): when the command line gives no ip= ----
#define DHCP_SERVER_PORT 67
#define DHCP_SELECTING 1
#define DHCP_REQUESTING 2
#define DHCP_BOUND 3
#define DHCP_FIXED 236
#define DHCP_MAGIC 0x63825363u
#define DHCP_FIRST_WAIT 1000000000ULL   // 1 s, doubled on every retransmission
#define DHCP_MAX_WAIT 32000000000ULL
static uint dhcp_xid, dhcp_server, dhcp_offered;
static uint64 dhcp_next, dhcp_wait, dhcp_renew_at, dhcp_expires;
static uint dhcp_lease;  // seconds
static char hostname[16];

static void dhcp_send(int type) {
  uchar *u = tx + ETH_HLEN + IP_HLEN;
  uchar *d = u + UDP_HLEN;
  memset(d, 0, DHCP_FIXED + 64);
  d[0] = 1; d[1] = 1; d[2] = 6;
  put32(d + 4, dhcp_xid);
  if (dhcp_state != DHCP_RENEWING) put16(d + 10, 0x8000);  // broadcast the answer: we have no address yet
  if (dhcp_state == DHCP_RENEWING) put32(d + 12, my_ip);
  memcpy(d + 28, mac, 6);
  put32(d + DHCP_FIXED, DHCP_MAGIC);
  int i = DHCP_FIXED + 4;
  d[i++] = 53; d[i++] = 1; d[i++] = (uchar)type;
  int hl = (int)strlen(hostname);
  d[i++] = 12; d[i++] = (uchar)hl; memcpy(d + i, hostname, (size_t)hl); i += hl;
  if (type == 3 && dhcp_state == DHCP_REQUESTING) {
    d[i++] = 50; d[i++] = 4; put32(d + i, dhcp_offered); i += 4;
    d[i++] = 54; d[i++] = 4; put32(d + i, dhcp_server); i += 4;
  }
  d[i++] = 55; d[i++] = 4; d[i++] = 1; d[i++] = 3; d[i++] = 6; d[i++] = 51;
  d[i++] = 255;
  if (i < 300) i = 300;  // BOOTP's smallest message
  put16(u, DHCP_CLIENT_PORT);
  put16(u + 2, DHCP_SERVER_PORT);
  put16(u + 4, (uint)(UDP_HLEN + i));
  put16(u + 6, 0);
  uint dst = dhcp_state == DHCP_RENEWING ? dhcp_server : 0xffffffffu;
  uint src = dhcp_state == DHCP_RENEWING ? my_ip : 0;
  uint sum = l4_checksum(src, dst, IP_PROTO_UDP, u, UDP_HLEN + i);
  put16(u + 6, sum == 0 ? 0xffff : sum);
  if (dhcp_state == DHCP_RENEWING) { ip_send(dst, IP_PROTO_UDP, UDP_HLEN + i); return; }
  ip_header(tx + ETH_HLEN, 0, dst, IP_HLEN + UDP_HLEN + i, IP_PROTO_UDP);
  eth_header(tx, broadcast, ETHERTYPE_IP);
  send_frame(tx, ETH_HLEN + IP_HLEN + UDP_HLEN + i);
}

static void dhcp_start(uint64 now) {
  dhcp_state = DHCP_SELECTING;
  dhcp_xid = (uint)(now / 1000) ^ ((uint)mac[4] << 24 | (uint)mac[5] << 16 | 0x4b45);
  dhcp_wait = DHCP_FIRST_WAIT;
  dhcp_next = now + dhcp_wait;
  dhcp_send(1);  // DISCOVER
}

// Returns 1 while a DHCP timer runs.
static int dhcp_tick(uint64 now) {
  if (dhcp_state == DHCP_OFF) return 0;
  if (dhcp_state == DHCP_BOUND) {
    if (now >= dhcp_renew_at) {
      dhcp_state = DHCP_RENEWING;
      dhcp_wait = DHCP_FIRST_WAIT;
      dhcp_next = now + dhcp_wait;
      dhcp_send(3);
    }
    return 1;
  }
  if (dhcp_state == DHCP_RENEWING && now >= dhcp_expires) {  // nobody renewed it: start again
    my_ip = 0; my_router = 0; my_dns = 0;
    printf("netd: DHCP lease expired\n");
    dhcp_start(now);
    return 1;
  }
  if (now >= dhcp_next) {
    dhcp_wait = dhcp_wait * 2 > DHCP_MAX_WAIT ? DHCP_MAX_WAIT : dhcp_wait * 2;
    dhcp_next = now + dhcp_wait;
    stats.dhcp_retries++;
    dhcp_send(dhcp_state == DHCP_SELECTING ? 1 : 3);
  }
  return 1;
}

static void dhcp_input(const uchar *d, int len) {
  if (len < DHCP_FIXED + 4 || d[0] != 2 || d[1] != 1 || d[2] != 6 || get32(d + 4) != dhcp_xid ||
      memcmp(d + 28, mac, 6) != 0 || get32(d + DHCP_FIXED) != DHCP_MAGIC) {
    stats.dhcp_bad++;
    return;
  }
  uint type = 0, server = 0, mask = 0, router = 0, dns = 0, lease = 3600, t1 = 0;
  for (int i = DHCP_FIXED + 4; i < len && d[i] != 255;) {
    if (d[i] == 0) { i++; continue; }
    if (i + 1 >= len || i + 2 + d[i + 1] > len) { stats.dhcp_bad++; return; }
    const uchar *v = d + i + 2;
    int n = d[i + 1];
    if (d[i] == 53 && n >= 1) type = v[0];
    else if (d[i] == 54 && n >= 4) server = get32(v);
    else if (d[i] == 1 && n >= 4) mask = get32(v);
    else if (d[i] == 3 && n >= 4) router = get32(v);
    else if (d[i] == 6 && n >= 4) dns = get32(v);
    else if (d[i] == 51 && n >= 4) lease = get32(v);
    else if (d[i] == 58 && n >= 4) t1 = get32(v);
    i += 2 + n;
  }
  uint64 now = clocknanos();
  uint yiaddr = get32(d + 16);
  if (type == 2 && dhcp_state == DHCP_SELECTING && yiaddr != 0) {  // OFFER
    dhcp_offered = yiaddr;
    dhcp_server = server;
    dhcp_state = DHCP_REQUESTING;
    dhcp_wait = DHCP_FIRST_WAIT;
    dhcp_next = now + dhcp_wait;
    dhcp_send(3);  // REQUEST
  } else if (type == 5 && (dhcp_state == DHCP_REQUESTING || dhcp_state == DHCP_RENEWING) && yiaddr != 0) {  // ACK
    int prefix = 0;
    while (prefix < 32 && (mask & (0x80000000u >> prefix))) prefix++;
    if (prefix == 0 || prefix > 30) prefix = 24;
    my_ip = yiaddr;
    my_prefix = prefix;
    my_mask = 0xffffffffu << (32 - prefix);
    my_router = router;
    my_dns = dns;
    if (server) dhcp_server = server;
    if (lease < 10) lease = 10;
    dhcp_lease = lease;
    dhcp_expires = now + (uint64)lease * 1000000000ULL;
    dhcp_renew_at = now + (uint64)(t1 && t1 < lease ? t1 : lease / 2) * 1000000000ULL;
    if (dhcp_state == DHCP_REQUESTING) {
      char a[16], r[16], n[16];
      inet_format(my_ip, a); inet_format(router, r); inet_format(dns, n);
      printf("netd: DHCP lease %s/%d router %s dns %s for %us\n", a, prefix, r, n, lease);
    }
    dhcp_state = DHCP_BOUND;
  } else if (type == 6) {  // NAK
    my_ip = 0; my_router = 0; my_dns = 0;
    dhcp_start(now);
  }
}

static struct binding *udp_find(uint port) {
  for (int i = 0; i < UDP_BINDINGS; i++)
    if (bindings[i].port != 0 && bindings[i].port == port) return &bindings[i];
  return 0;
}

// ICMP destination unreachable, port unreachable (RFC 792, RFC 1122 3.2.2.1):
// the datagram's IP header and first 8 bytes of UDP back to its sender.
// Never for a sender that is no single host (0, broadcast, multicast).
static void port_unreachable(uint src, const uchar *ip, int hlen, const uchar *u) {
  if (src == 0 || src == 0xffffffffu || (src >> 28) == 14 || (src | my_mask) == 0xffffffffu) return;
  uchar *icmp = tx + ETH_HLEN + IP_HLEN;
  icmp[0] = ICMP_UNREACHABLE;
  icmp[1] = ICMP_PORT_UNREACHABLE;
  put16(icmp + 4, 0);
  put16(icmp + 6, 0);
  memcpy(icmp + ICMP_HLEN, ip, (size_t)hlen);
  memcpy(icmp + ICMP_HLEN + hlen, u, UDP_HLEN);
  icmp_send(src, ICMP_HLEN + hlen + UDP_HLEN);
}

static void udp_input(uint src, uint dst, const uchar *ip, int hlen, const uchar *u, int len) {
  if (len < UDP_HLEN) { stats.udp_bad++; return; }
  int ulen = (int)get16(u + 4);
  if (ulen < UDP_HLEN || ulen > len || (get16(u + 6) != 0 && l4_checksum(src, dst, IP_PROTO_UDP, u, ulen) != 0)) {
    stats.udp_bad++;
    return;
  }
  struct binding *b = udp_find(get16(u + 2));
  if (!b) {
    if (udp_sock_input(src, get16(u), get16(u + 2), u + UDP_HLEN, ulen - UDP_HLEN) < 0) {
      stats.udp_no_port++;
      port_unreachable(src, ip, hlen, u);
    }
    return;
  }
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
      if (!udp_find(p) && !port_taken(p, SOCK_DGRAM)) port = p;
    }
  } else if (udp_find(port) || port_taken(port, SOCK_DGRAM)) {
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

static long udp_output(uint sport, uint dst, uint dport, const uchar *data, int len) {
  if (my_ip == 0 && !is_loopback(dst)) return NETD_ERR_NO_ADDRESS;
  if (dport == 0 || dport > 0xffff) return NETD_ERR_PORT;
  if (len < 0 || len > UDP_MAX_DATA) return NETD_ERR_TOO_LONG;
  if (!reachable(dst)) return NETD_ERR_UNREACHABLE;
  uchar *u = tx + ETH_HLEN + IP_HLEN;
  put16(u, sport);
  put16(u + 2, dport);
  put16(u + 4, (uint)(UDP_HLEN + len));
  put16(u + 6, 0);
  memmove(u + UDP_HLEN, data, (size_t)len);
  uint sum = l4_checksum(local_for(dst), dst, IP_PROTO_UDP, u, UDP_HLEN + len);
  put16(u + 6, sum == 0 ? 0xffff : sum);  // 0 would mean "no checksum"
  stats.udp_sent++;
  return ip_send(dst, IP_PROTO_UDP, UDP_HLEN + len);
}

static long udp_send(uint sport, uint dst, uint dport, const uchar *data, int len) {
  if (!udp_find(sport)) return NETD_ERR_PORT;
  return udp_output(sport, dst, dport, data, len);
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

// ---- sockets (docs/network.md "Sockets") ----
//
// A socket is a slot of socks[]. netd holds three capabilities for it: the
// socket capability it hands out (a badged copy of its endpoint: the badge
// names the slot and its generation, so a stale one names nothing), the
// shared memory (struct sockshm and the two rings, which are the TCP
// connection's rings themselves) and the client's notification. The client
// is gone when no capability derived from netd's socket capability is left
// (its direct children: a copy the client passed on is re-parented under
// it), and its socket is then closed in order.

struct sock {
  uint raddr;  // first, laddr second: the TCP emit context points at them
  uint laddr;  // the local address on lo (127.x.y.z), else 0: netd's address
  int used;
  uint gen;
  int type;
  int ep, shm, ntfn;       // netd's slots
  struct sockshm *sh;
  uchar *rx, *tx;
  int handed;              // the socket capability went to a client
  int app_closed;          // the client closed it (or is gone): finish and free
  int listening, backlog;
  int parent;              // a listener's connection not yet accepted: the listener's index, else -1
  uint lport, rport;
  uint rd;                 // UDP: the client's read index, as last checked
  uint urx_tail;           // UDP: record bytes written
  uint64 alarm_at;
  struct tcp_cb cb;
};
static struct sock socks[SOCK_MAX];

struct timewait {
  uint raddr;  // first, laddr second, as in struct sock
  uint laddr;
  int used;
  uint lport, rport;
  struct tcp_cb cb;
};
static struct timewait tws[TW_MAX];

static int tick_ntfn = -1;
static int ticker_idle = 1;
static uint next_port = UDP_EPHEMERAL;
static uint iss_step;

static uchar *tcp_out(void) { return tx + ETH_HLEN + IP_HLEN + TCP_HLEN; }

// ctx: two addresses, the peer's and the local one (0: netd's own).
static void tcp_emit(void *ctx, const struct tcp_seg *seg) {
  uint raddr = ((const uint *)ctx)[0], laddr = ((const uint *)ctx)[1];
  uint src = laddr ? laddr : local_for(raddr);
  uchar *t = tx + ETH_HLEN + IP_HLEN;
  int h = tcp_write_header(t, seg);
  if (seg->len > 0 && t + h != seg->data) memmove(t + h, seg->data, (size_t)seg->len);
  put16(t + 16, l4_checksum(src, raddr, IP_PROTO_TCP, t, h + seg->len));
  stats.tcp_sent++;
  ip_send_from(src, raddr, IP_PROTO_TCP, h + seg->len);
}

static uint sock_laddr(uint laddr) { return laddr ? laddr : my_ip; }

// RFC 6528 would hash the connection's addresses with a secret; this is the
// clock and a counter: unpredictable enough for a virtual wire, and the same
// in every deterministic run.
static uint new_iss(void) {
  iss_step += 64000;
  return (uint)(clocknanos() / 4000) + iss_step;
}

static void arm_ticker(void) {
  if (ticker_idle && tick_ntfn >= 0) {
    ticker_idle = 0;
    ntfn_signal(tick_ntfn, 1);
  }
}

static int sock_index(const struct sock *s) { return (int)(s - socks); }

static struct sock *sock_of_badge(uint64 badge) {
  if (!(badge & SOCK_BADGE)) return 0;
  uint i = (uint)(badge & 0xff), gen = (uint)((badge >> 8) & 0xffffff);
  if (i >= SOCK_MAX || !socks[i].used || (socks[i].gen & 0xffffff) != gen) return 0;
  return &socks[i];
}

static int port_taken(uint port, int type) {
  for (int i = 0; i < SOCK_MAX; i++)
    if (socks[i].used && socks[i].type == type && socks[i].lport == port) return 1;
  if (type == SOCK_STREAM)
    for (int i = 0; i < TW_MAX; i++)
      if (tws[i].used && tws[i].lport == port) return 1;
  return 0;
}

static uint pick_port(int type) {
  for (int tries = 0; tries < 0x4000; tries++) {
    uint p = next_port++;
    if (next_port > 0xffff) next_port = UDP_EPHEMERAL;
    if (!port_taken(p, type) && (type != SOCK_DGRAM || !udp_find(p))) return p;
  }
  return 0;
}

static void signal_client(struct sock *s) {
  s->sh->want = 0;
  ntfn_signal(s->ntfn, 1);
}

static void notify(struct sock *s) {
  if (s->sh->want) signal_client(s);
}

static int sock_error(int tcp_error) {
  switch (tcp_error) {
    case TCP_ERR_RESET: return NETD_ERR_RESET;
    case TCP_ERR_REFUSED: return NETD_ERR_REFUSED;
    case TCP_ERR_TIMEOUT: return NETD_ERR_TIMEOUT;
    case TCP_ERR_ABORTED: return NETD_ERR_RESET;
    default: return 0;
  }
}

static void free_sock(struct sock *s);
static void sock_after(struct sock *s);

// Connections of listener l that finished the handshake and wait for accept.
static uint pending_of(struct sock *l) {
  uint n = 0;
  int li = sock_index(l);
  for (int i = 0; i < SOCK_MAX; i++) {
    struct sock *c = &socks[i];
    if (c->used && c->parent == li && c->cb.state >= TCP_ESTABLISHED) n++;
  }
  return n;
}

static void to_time_wait(struct sock *s) {
  struct timewait *t = 0;
  for (int i = 0; i < TW_MAX && !t; i++)
    if (!tws[i].used) t = &tws[i];
  if (!t) {  // the one that would end first gives way
    t = &tws[0];
    for (int i = 1; i < TW_MAX; i++)
      if (tws[i].cb.timewait_at < t->cb.timewait_at) t = &tws[i];
  }
  t->used = 1;
  t->raddr = s->raddr;
  t->laddr = s->laddr;
  t->lport = s->lport;
  t->rport = s->rport;
  t->cb = s->cb;
  t->cb.ctx = &t->raddr;
  t->cb.sbuf = t->cb.rbuf = 0;  // a TIME_WAIT connection sends only ACKs
  t->cb.ssize = t->cb.rsize = 0;
}

// After anything happened to s: publish its state to the client, wake it
// (unless `wake` is 0: after the client's own call, which is awake and reads
// the page once it has the reply; waking it then would only make a waiting
// loop spin), pass a new connection to its listener, and free what is
// finished.
static void sock_update(struct sock *s, int wake) {
  if (!s->used) return;
  struct sockshm *sh = s->sh;
  if (s->type == SOCK_STREAM && !s->listening) {
    struct tcp_cb *cb = &s->cb;
    sh->state = (uint)cb->state;
    sh->rx_tail = tcp_received(cb);
    sh->tx_head = tcp_acked(cb);
    __asm__ volatile("" ::: "memory");  // rx_tail first: a client that sees rx_eof sees every byte before it
    sh->rx_eof = (uint)cb->fin_received;
    if (cb->state == TCP_CLOSED && cb->error && !sh->error) sh->error = sock_error(cb->error);
    if (s->parent >= 0) {
      struct sock *l = &socks[s->parent];
      l->sh->pending = pending_of(l);
      notify(l);
      if (cb->state == TCP_CLOSED) {  // died in the backlog
        free_sock(s);
        l->sh->pending = pending_of(l);
        return;
      }
    }
    if (s->app_closed && (cb->state == TCP_CLOSED || cb->state == TCP_TIME_WAIT)) {
      if (cb->state == TCP_TIME_WAIT) to_time_wait(s);
      free_sock(s);
      return;
    }
    if (tcp_deadline(cb)) arm_ticker();
  }
  if (s->alarm_at) arm_ticker();
  if (!s->app_closed && wake) notify(s);
}

static void sock_after(struct sock *s) { sock_update(s, 1); }

static void free_sock(struct sock *s) {
  if (!s->used) return;
  if (s->listening) {  // its connections nobody accepted go with it
    int li = sock_index(s);
    for (int i = 0; i < SOCK_MAX; i++) {
      struct sock *c = &socks[i];
      if (c->used && c->parent == li) {
        tcp_abort(&c->cb, clocknanos());
        c->parent = -1;
        free_sock(c);
      }
    }
  }
  cap_revoke(s->ep);
  cap_delete(s->ep);
  cap_revoke(s->shm);
  cap_delete(s->shm);  // unmaps it here too; the frames go with the last mapping
  cap_delete(s->ntfn);
  s->used = 0;
  s->gen++;
}

// A new socket holding the client's notification (slot ntfn). Returns it, or 0.
static struct sock *sock_alloc(int type, int ntfn, long *status) {
  struct sock *s = 0;
  for (int i = 0; i < SOCK_MAX && !s; i++)
    if (!socks[i].used) s = &socks[i];
  if (!s) { *status = SVC_ERR_FULL; return 0; }
  int shm = shm_create(SOCK_SHM_BYTES);
  if (shm < 0) { *status = SVC_ERR_FULL; return 0; }
  uchar *base = shm_map(shm);
  if (base == (uchar *)-1) { cap_delete(shm); *status = SVC_ERR_FULL; return 0; }
  uint gen = s->gen & 0xffffff;
  int ep = cap_derive(SVC_ENDPOINT_SLOT, CAP_SLOT_ANY, CAP_WRITE | CAP_GRANT | CAP_DELEGATE,
                      SOCK_BADGE | (uint64)gen << 8 | (uint64)sock_index(s), 0);
  if (ep < 0) { cap_delete(shm); *status = SVC_ERR_FULL; return 0; }
  memset(s, 0, sizeof *s);
  s->gen = gen;
  s->used = 1;
  s->type = type;
  s->ep = ep;
  s->shm = shm;
  s->ntfn = ntfn;
  s->parent = -1;
  s->sh = (struct sockshm *)base;
  s->rx = base + SOCK_SHM_HEADER;
  s->tx = base + SOCK_SHM_HEADER + SOCK_RING;
  s->sh->laddr = my_ip;
  if (type == SOCK_DGRAM) s->sh->state = SOCK_STATE_UDP;
  tcp_init(&s->cb, s->tx, SOCK_RING, s->rx, SOCK_RING, tcp_out(), tcp_emit, &s->raddr);
  return s;
}

static void accept_syn(struct sock *l, uint src, uint dst, const struct tcp_seg *seg, uint64 now) {
  uint waiting = 0;
  for (int i = 0; i < SOCK_MAX; i++)
    if (socks[i].used && socks[i].parent == sock_index(l)) waiting++;
  int ntfn = waiting < (uint)l->backlog ? cap_copy(l->ntfn, CAP_SLOT_ANY) : -1;
  long status;
  struct sock *c = ntfn >= 0 ? sock_alloc(SOCK_STREAM, ntfn, &status) : 0;
  if (!c) {  // the peer retries its SYN
    if (ntfn >= 0) cap_delete(ntfn);
    stats.tcp_no_room++;
    return;
  }
  c->parent = sock_index(l);
  c->lport = l->lport;
  c->raddr = src;
  c->laddr = is_loopback(dst) ? dst : 0;
  c->rport = seg->sport;
  c->sh->laddr = sock_laddr(c->laddr);
  c->sh->lport = c->lport;
  c->sh->raddr = src;
  c->sh->rport = c->rport;
  c->cb.sport = c->lport;
  c->cb.dport = c->rport;
  tcp_accept_syn(&c->cb, new_iss(), seg, now);
  sock_after(c);
}

static void tcp_segment_input(uint src, uint dst, const uchar *t, int len) {
  struct tcp_seg seg;
  if (len < TCP_HLEN || l4_checksum(src, dst, IP_PROTO_TCP, t, len) != 0 || tcp_parse(t, len, &seg) < 0) {
    stats.tcp_bad++;
    return;
  }
  stats.tcp_in++;
  uint64 now = clocknanos();
  for (int i = 0; i < SOCK_MAX; i++) {
    struct sock *s = &socks[i];
    if (s->used && s->type == SOCK_STREAM && !s->listening && s->cb.state != TCP_CLOSED && s->lport == seg.dport &&
        s->raddr == src && s->rport == seg.sport) {
      tcp_input(&s->cb, &seg, now);
      sock_after(s);
      return;
    }
  }
  for (int i = 0; i < TW_MAX; i++) {
    struct timewait *w = &tws[i];
    if (w->used && w->lport == seg.dport && w->raddr == src && w->rport == seg.sport) {
      tcp_input(&w->cb, &seg, now);
      if (w->cb.state == TCP_CLOSED) w->used = 0;
      else arm_ticker();
      return;
    }
  }
  if ((seg.flags & (TCP_SYN | TCP_ACK | TCP_RST)) == TCP_SYN) {
    for (int i = 0; i < SOCK_MAX; i++) {
      struct sock *l = &socks[i];
      if (l->used && l->listening && l->lport == seg.dport) {
        accept_syn(l, src, dst, &seg, now);
        return;
      }
    }
  }
  struct tcp_seg rst;
  if (tcp_reset_for(&seg, &rst)) {
    stats.tcp_rst_sent++;
    uint to[2] = {src, is_loopback(dst) ? dst : 0};
    rst.data = tcp_out();
    tcp_emit(to, &rst);
  }
}

// A datagram for a UDP socket bound to dport: a record in its receive ring.
// Returns -1 when no socket has the port.
static int udp_sock_input(uint src, uint sport, uint dport, const uchar *data, int len) {
  struct sock *s = 0;
  for (int i = 0; i < SOCK_MAX && !s; i++)
    if (socks[i].used && socks[i].type == SOCK_DGRAM && socks[i].lport == dport && !socks[i].app_closed) s = &socks[i];
  if (!s) return -1;
  uint head = s->sh->rx_head;  // the client's: used only if it is possible
  if (LEQ_SEQ(s->rd, head) && LEQ_SEQ(head, s->urx_tail)) s->rd = head;
  uint rec = (uint)(sizeof(struct sockdgram) + (((uint)len + 3) & ~3u));
  uint off = s->urx_tail & (SOCK_RING - 1);
  uint skip = off + rec > SOCK_RING ? SOCK_RING - off : 0;
  if (SOCK_RING - (s->urx_tail - s->rd) < skip + rec) {
    stats.udp_dropped++;
    return 0;
  }
  if (skip) {
    uint marker = SOCK_UDP_SKIP;
    memcpy(s->rx + off, &marker, 4);
    s->urx_tail += skip;
    off = 0;
  }
  struct sockdgram d = {(uint)len, src, sport};
  memcpy(s->rx + off, &d, sizeof d);
  memcpy(s->rx + off + sizeof d, data, (size_t)len);
  s->urx_tail += rec;
  s->sh->rx_tail = s->urx_tail;
  stats.udp_in++;
  notify(s);
  return 0;
}

// Closes the sockets whose client has gone: no capability is derived from
// netd's socket capability any more.
static void sock_reap(void) {
  for (int i = 0; i < SOCK_MAX; i++) {
    struct sock *s = &socks[i];
    struct capinfo info;
    if (!s->used || !s->handed || s->app_closed) continue;
    if (cap_info(s->ep, &info) == 0 && info.children > 0) continue;
    stats.sock_reaped++;
    s->app_closed = 1;
    if (s->listening || s->type == SOCK_DGRAM || s->cb.state == TCP_CLOSED) {
      free_sock(s);
    } else {
      tcp_close(&s->cb, clocknanos());
      sock_after(s);
    }
  }
}

// NETD_TICK: the timers that are due. Returns 1 while any timer runs.
static int sock_tick(void) {
  uint64 now = clocknanos();
  int running = dhcp_tick(now) || lo_count > 0;
  sock_reap();
  for (int i = 0; i < SOCK_MAX; i++) {
    struct sock *s = &socks[i];
    if (!s->used) continue;
    if (s->alarm_at && now >= s->alarm_at) {
      s->alarm_at = 0;
      signal_client(s);
    }
    if (s->type == SOCK_STREAM && !s->listening) {
      uint64 d = tcp_deadline(&s->cb);
      if (d && now >= d) {
        tcp_timer(&s->cb, now);
        sock_after(s);
      }
    }
    if (s->used && (s->alarm_at || (s->type == SOCK_STREAM && tcp_deadline(&s->cb)))) running = 1;
  }
  for (int i = 0; i < TW_MAX; i++) {
    struct timewait *w = &tws[i];
    if (!w->used) continue;
    if (tcp_deadline(&w->cb) && now >= tcp_deadline(&w->cb)) tcp_timer(&w->cb, now);
    if (w->cb.state == TCP_CLOSED) w->used = 0;
    else running = 1;
  }
  return running;
}

// NETD_SOCKET: a new socket for the client whose notification is *ntfn.
static long sock_create(uint64 type, int *ntfn, struct ipcmsg *reply) {
  struct capinfo info;
  if (*ntfn < 0 || cap_info(*ntfn, &info) < 0 || info.type != CAP_TYPE_NOTIFICATION) return SVC_ERR_NO_CAP;
  if (type != SOCK_STREAM && type != SOCK_DGRAM) return NETD_ERR_TYPE;
  sock_reap();
  long status = SVC_OK;
  struct sock *s = sock_alloc((int)type, *ntfn, &status);
  if (!s) return status;
  *ntfn = -1;  // kept
  s->handed = 1;
  reply->cap = s->ep;
  reply->w[1] = (uint64)sock_index(s);
  return SVC_OK;
}

static long sock_bind(struct sock *s, uint port) {
  if (s->lport || s->listening || s->cb.state != TCP_CLOSED) return NETD_ERR_STATE;
  if (port > 0xffff) return NETD_ERR_PORT;
  if (port == 0) port = pick_port(s->type);
  else if (port_taken(port, s->type) || (s->type == SOCK_DGRAM && udp_find(port))) return NETD_ERR_PORT;
  if (port == 0) return SVC_ERR_FULL;
  s->lport = port;
  s->sh->lport = port;
  return SVC_OK;
}

static long sock_listen(struct sock *s, uint64 backlog) {
  if (s->type != SOCK_STREAM || s->listening || s->cb.state != TCP_CLOSED || s->raddr) return NETD_ERR_STATE;
  if (!s->lport) return NETD_ERR_PORT;
  s->listening = 1;
  s->backlog = backlog < 1 ? 1 : backlog > SOCK_BACKLOG_MAX ? SOCK_BACKLOG_MAX : (int)backlog;
  s->sh->state = TCP_LISTEN;
  return SVC_OK;
}

static long sock_accept(struct sock *l, struct ipcmsg *reply) {
  if (!l->listening) return NETD_ERR_STATE;
  for (int i = 0; i < SOCK_MAX; i++) {
    struct sock *c = &socks[i];
    if (c->used && c->parent == sock_index(l) && c->cb.state >= TCP_ESTABLISHED) {
      c->parent = -1;
      c->handed = 1;
      reply->cap = c->ep;
      reply->w[1] = c->raddr;
      reply->w[2] = c->rport;
      l->sh->pending = pending_of(l);
      return SVC_OK;
    }
  }
  return NETD_NOTHING;
}

static long sock_connect(struct sock *s, uint addr, uint port) {
  if (s->type != SOCK_STREAM || s->listening || s->raddr || s->cb.state != TCP_CLOSED) return NETD_ERR_STATE;
  if (my_ip == 0 && !is_loopback(addr)) return NETD_ERR_NO_ADDRESS;
  if (port == 0 || port > 0xffff) return NETD_ERR_PORT;
  if (!reachable(addr) || addr == 0) return NETD_ERR_UNREACHABLE;
  if (!s->lport) {
    long st = sock_bind(s, 0);
    if (st != SVC_OK) return st;
  }
  s->raddr = addr;
  s->laddr = is_loopback(addr) ? NET_LOOPBACK_ADDR : 0;
  s->sh->laddr = sock_laddr(s->laddr);
  s->rport = port;
  s->sh->raddr = addr;
  s->sh->rport = port;
  s->cb.sport = s->lport;
  s->cb.dport = port;
  tcp_connect(&s->cb, new_iss(), clocknanos());
  return SVC_OK;
}

static long sock_send(struct sock *s, struct ipcmsg *m) {
  if (s->type == SOCK_DGRAM) {
    if (!s->lport) {
      long st = sock_bind(s, 0);
      if (st != SVC_OK) return st;
    }
    uint dst = (uint)m->w[1];
    if (!reachable(dst)) return NETD_ERR_UNREACHABLE;
    return udp_output(s->lport, dst, port_arg(m->w[2]), request, (int)m->len);
  }
  int st = s->cb.state;
  if (s->listening) return NETD_ERR_STATE;
  if (st == TCP_CLOSED) return s->cb.error ? sock_error(s->cb.error) : NETD_ERR_STATE;
  if (s->cb.fin_wanted) return NETD_ERR_CLOSED;
  if (st != TCP_ESTABLISHED && st != TCP_CLOSE_WAIT && st != TCP_SYN_SENT && st != TCP_SYN_RCVD) return NETD_ERR_STATE;
  if (tcp_wrote(&s->cb, s->sh->tx_tail, clocknanos()) < 0) return NETD_ERR_INDEX;
  return SVC_OK;
}

static long sock_recvd(struct sock *s) {
  if (s->type == SOCK_DGRAM) {
    uint head = s->sh->rx_head;
    if (!(LEQ_SEQ(s->rd, head) && LEQ_SEQ(head, s->urx_tail))) return NETD_ERR_INDEX;
    s->rd = head;
    return SVC_OK;
  }
  if (s->listening) return NETD_ERR_STATE;
  if (s->cb.state == TCP_CLOSED) return SVC_OK;
  if (tcp_read(&s->cb, s->sh->rx_head, clocknanos()) < 0) return NETD_ERR_INDEX;
  return SVC_OK;
}

static long sock_close(struct sock *s, uint64 abortive) {
  s->app_closed = 1;
  cap_revoke(s->ep);   // the client's socket capability goes now
  cap_revoke(s->shm);  // and its mapping
  if (s->type == SOCK_DGRAM || s->listening || s->cb.state == TCP_CLOSED) {
    free_sock(s);
    return SVC_OK;
  }
  if (abortive) tcp_abort(&s->cb, clocknanos());
  else tcp_close(&s->cb, clocknanos());
  if (s->parent >= 0) s->parent = -1;
  sock_after(s);
  if (s->used && s->cb.state == TCP_CLOSED) free_sock(s);
  return SVC_OK;
}

static long sock_request(struct sock *s, uint64 op, struct ipcmsg *m, struct ipcmsg *reply) {
  if (s->app_closed) return NETD_ERR_BAD_SOCKET;
  switch (op) {
    case NETD_SOCK_SHM: reply->cap = s->shm; return SVC_OK;
    case NETD_SOCK_BIND: return sock_bind(s, port_arg(m->w[1]));
    case NETD_SOCK_LISTEN: return sock_listen(s, m->w[1]);
    case NETD_SOCK_ACCEPT: return sock_accept(s, reply);
    case NETD_SOCK_CONNECT: return sock_connect(s, (uint)m->w[1], port_arg(m->w[2]));
    case NETD_SOCK_SEND: return sock_send(s, m);
    case NETD_SOCK_RECVD: return sock_recvd(s);
    case NETD_SOCK_SHUTDOWN:
      if (s->type != SOCK_STREAM || s->listening) return NETD_ERR_STATE;
      tcp_close(&s->cb, clocknanos());
      return SVC_OK;
    case NETD_SOCK_CLOSE: return sock_close(s, m->w[1]);
    case NETD_SOCK_ALARM:
      s->alarm_at = clocknanos() + (m->w[1] > 60000000000ULL ? 60000000000ULL : m->w[1]);
      return SVC_OK;
    default: return SVC_ERR_FAILED;
  }
}

// NETD_SOCKETS: every socket, TIME_WAIT connection and bound UDP port.
// The table into out (room entries at most); returns how many there are.
static uint sock_fill(struct sockinfo *out, uint room) {
  uint n = 0;
  struct sockinfo e;
  for (int i = 0; i < SOCK_MAX; i++) {
    struct sock *s = &socks[i];
    if (!s->used) continue;
    memset(&e, 0, sizeof e);
    e.type = (uint)s->type;
    e.state = s->type == SOCK_DGRAM ? SOCK_STATE_UDP : s->listening ? TCP_LISTEN : (uint)s->cb.state;
    e.laddr = sock_laddr(s->laddr);
    e.lport = s->lport;
    e.raddr = s->raddr;
    e.rport = s->rport;
    if (s->type == SOCK_STREAM) {
      e.rx_queued = tcp_readable(&s->cb);
      e.tx_queued = s->cb.ssize - tcp_writable(&s->cb);
      if (s->cb.fin_wanted) e.tx_queued = s->cb.snd_end - s->cb.iss - 1 - tcp_acked(&s->cb);
      e.retransmits = s->cb.stats.retransmits;
      e.bytes_in = s->cb.stats.bytes_in;
      e.bytes_out = s->cb.stats.bytes_out;
      e.srtt_us = (uint)(s->cb.srtt / 1000);
      e.cwnd = s->cb.cwnd;
    } else {
      e.rx_queued = s->urx_tail - s->rd;
    }
    if (n < room) out[n] = e;
    n++;
  }
  for (int i = 0; i < TW_MAX; i++) {
    if (!tws[i].used) continue;
    memset(&e, 0, sizeof e);
    e.type = SOCK_STREAM;
    e.state = TCP_TIME_WAIT;
    e.laddr = sock_laddr(tws[i].laddr);
    e.lport = tws[i].lport;
    e.raddr = tws[i].raddr;
    e.rport = tws[i].rport;
    if (n < room) out[n] = e;
    n++;
  }
  for (int i = 0; i < UDP_BINDINGS; i++) {
    if (!bindings[i].port) continue;
    memset(&e, 0, sizeof e);
    e.type = 3;
    e.state = SOCK_STATE_UDP;
    e.laddr = my_ip;
    e.lport = bindings[i].port;
    e.rx_queued = (uint)bindings[i].count;
    if (n < room) out[n] = e;
    n++;
  }
  return n;
}

static long sock_list(struct ipcmsg *reply) {
  sock_reap();
  uint room = (uint)(sizeof request / sizeof(struct sockinfo));
  uint n = sock_fill((struct sockinfo *)request, room);
  reply->w[1] = n;
  reply->len = (n < room ? n : room) * (uint)sizeof(struct sockinfo);
  return SVC_OK;
}

// The page a reader outside netd looks at (net.h "netd's exported state").
// Not static and marked used: netd never reads it, and the compiler must
// not drop the stores for that.
__attribute__((used, aligned(4096))) struct netexport netd_export;

static void export_state(void) {
  volatile struct netexport *x = &netd_export;
  x->gen++;  // odd: being rewritten
  __asm__ volatile("" ::: "memory");
  netd_export.magic = NETD_EXPORT_MAGIC;
  netd_export.addr = my_ip;
  netd_export.prefix = (uint)my_prefix;
  netd_export.stats = stats;
  uint n = sock_fill(netd_export.sock, NETD_EXPORT_MAX);
  netd_export.total = n;
  netd_export.count = n < NETD_EXPORT_MAX ? n : NETD_EXPORT_MAX;
  __asm__ volatile("" ::: "memory");
  x->gen++;  // even: whole again
}

// The timer process: sleeps a tick at a time while netd has timers running,
// and waits on its notification while it has none.
static void ticker(void) {
  struct ipcmsg m;
  for (;;) {
    ntfn_wait(tick_ntfn);
    for (;;) {
      sleep(1);
      memset(&m, 0, sizeof m);
      m.w[0] = NETD_TICK;
      m.cap = -1;
      if (ep_call(SVC_ENDPOINT_SLOT, &m) < 0) exit(0);  // netd is gone
      if (m.w[1] == 0) break;
    }
  }
}

// ---- requests ----

static long echo_request(uint dst, uint ident, uint seq) {
  if (my_ip == 0 && !is_loopback(dst)) return NETD_ERR_NO_ADDRESS;
  if (!reachable(dst)) return NETD_ERR_UNREACHABLE;
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

// Takes in the packets netd sent itself, oldest first; what they cause
// joins the queue behind them. Bounded per call: a remainder (possible only
// if the queue refills as fast as it drains) waits for the next tick.
static void loopback_drain(void) {
  static uchar packet[IP_MAX];
  for (int budget = LO_DRAIN_MAX; lo_count > 0 && budget > 0; budget--) {
    struct lo_packet *p = &lo_queue[lo_head];
    int len = p->len;
    memcpy(packet, p->data, (size_t)len);  // its slot may be refilled while it is taken in
    lo_head = (lo_head + 1) % LO_QUEUE;
    lo_count--;
    stats.lo_packets++;
    stats.lo_bytes += (uint64)len;
    ip_input(packet, len, 1);
  }
  if (lo_count > 0) arm_ticker();
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
    printf("netd: no network card: loopback only, 127.0.0.1/8\n");
    return;
  }
  have_card = 1;
  stats.card = 1;
  memcpy(mac, info.mac, 6);
  char text[16];
  if (info.addr[0] == 0) {
    printf("netd: %02x:%02x:%02x:%02x:%02x:%02x, no ip= on the kernel command line: asking DHCP\n",
           mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
    dhcp_state = DHCP_SELECTING;  // dhcp_start runs once the timer process is there
    return;
  }
  // ip=ADDRESS/N, or ip=ADDRESS/N,GATEWAY: the router and DNS server of a static address.
  char *comma = strchr(info.addr, ',');
  uint gateway = 0;
  if (comma) {
    *comma = 0;
    if (inet_parse(comma + 1, &gateway, 0) < 0 || gateway == 0) {
      fprintf(2, "netd: ip=%s,%s: %s is not an address like 10.0.0.1; no gateway\n", info.addr, comma + 1, comma + 1);
      gateway = 0;
    }
  }
  if (inet_parse(info.addr, &my_ip, &my_prefix) < 0 || my_ip == 0) {
    fprintf(2, "netd: ip=%s is not an address like 10.0.0.2/24; no address\n", info.addr);
    my_ip = 0;
    return;
  }
  my_router = my_dns = gateway;
  my_mask = my_prefix == 0 ? 0 : 0xffffffffu << (32 - my_prefix);
  inet_format(my_ip, text);
  printf("netd: %02x:%02x:%02x:%02x:%02x:%02x address %s/%d, link %s\n", mac[0], mac[1], mac[2], mac[3], mac[4],
         mac[5], text, my_prefix, (info.flags & 1) ? "up" : "down");
}

int main(void) {
  configure();
  int pid = have_card ? fork() : 1;  // the pump only for a card
  if (pid < 0) {
    fprintf(2, "netd: fork: %s\n", lasterror());
    return 1;
  }
  if (pid == 0) pump();
  tick_ntfn = ntfn_create();
  if (tick_ntfn < 0 || (pid = fork()) < 0) {
    fprintf(2, "netd: no timer process: %s\n", lasterror());
    return 1;
  }
  if (pid == 0) ticker();
  if (dhcp_state == DHCP_SELECTING) {
    static const char hex[] = "0123456789abcdef";
    memcpy(hostname, "keel-", 5);
    for (int i = 0; i < 3; i++) { hostname[5 + 2 * i] = hex[mac[3 + i] >> 4]; hostname[6 + 2 * i] = hex[mac[3 + i] & 15]; }
    hostname[11] = 0;
    dhcp_start(clocknanos());
    arm_ticker();
  }
  export_state();
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
    struct sock *sk = sock_of_badge(m.badge);
    if (m.badge & SOCK_BADGE) {
      status = sk ? sock_request(sk, op, &m, &reply) : NETD_ERR_BAD_SOCKET;
      if (sk) sock_update(sk, 0);
    } else if (op == NETD_FRAME && m.badge == 0) {
      frame_input(request, (int)m.len);
      status = SVC_OK;
    } else if (op == NETD_TICK && m.badge == 0) {
      reply.w[1] = (uint64)sock_tick();
      if (!reply.w[1]) ticker_idle = 1;
      status = SVC_OK;
    } else if (op == NETD_SOCKET) {
      status = sock_create(m.w[1], &arrived, &reply);
    } else if (op == NETD_SOCKETS) {
      status = sock_list(&reply);
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
      uint64 now = clocknanos();
      stats.router = my_router;
      stats.dns = my_dns;
      stats.lease_left = dhcp_state >= DHCP_BOUND && dhcp_expires > now ? (dhcp_expires - now) / 1000000000ULL : 0;
      for (int i = 0; i < 6; i++) reply.w[3] = reply.w[3] << 8 | mac[i];
      // svc_next sends the reply's bytes from the request buffer.
      memcpy(request, &stats, sizeof stats);
      reply.len = sizeof stats;
      status = SVC_OK;
    }
    if (arrived >= 0) cap_delete(arrived);  // netd keeps only UDP_BIND's token
    loopback_drain();
    export_state();
    reply.w[0] = (uint64)status;
    m = reply;
  }
}
