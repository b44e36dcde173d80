// netd: the network service. It owns the network card through the device
// capability init gives it (slot 21) and speaks, over Ethernet: ARP (a cache,
// requests and replies), IPv4 (header checks and checksum; fragments are
// dropped and counted, there is no reassembly) and ICMP echo (it answers
// requests and sends them for ping). Its address comes from the kernel
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
static void ip_header(uchar *p, uint dst, int total) {
  static uint ident;
  p[0] = 0x45;
  p[1] = 0;
  put16(p + 2, (uint)total);
  put16(p + 4, ++ident & 0xffff);
  put16(p + 6, 0);
  p[8] = IP_TTL;
  p[9] = IP_PROTO_ICMP;
  put16(p + 10, 0);
  put32(p + 12, my_ip);
  put32(p + 16, dst);
  put16(p + 10, checksum(p, IP_HLEN));
}

// Sends the ICMP message already at tx + ETH_HLEN + IP_HLEN (icmp_len
// bytes) to dst: now if its MAC is known, else after ARP. Returns a status.
static long icmp_send(uint dst, int icmp_len) {
  uchar *icmp = tx + ETH_HLEN + IP_HLEN;
  put16(icmp + 2, 0);
  put16(icmp + 2, checksum(icmp, icmp_len));
  ip_header(tx + ETH_HLEN, dst, IP_HLEN + icmp_len);
  int len = ETH_HLEN + IP_HLEN + icmp_len;
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

static void ip_input(const uchar *p, int len) {
  if (len < IP_HLEN || (p[0] >> 4) != 4) { stats.ip_bad++; return; }
  int hlen = (p[0] & 15) * 4;
  int total = (int)get16(p + 2);
  if (hlen < IP_HLEN || total < hlen || total > len || checksum(p, hlen) != 0) { stats.ip_bad++; return; }
  uint frag = get16(p + 6);
  if ((frag & IP_FLAG_MF) || (frag & IP_OFFSET_MASK)) { stats.ip_fragments++; return; }
  uint dst = get32(p + 16), src = get32(p + 12);
  if (my_ip == 0 || dst != my_ip || p[9] != IP_PROTO_ICMP) { stats.ip_other++; return; }
  stats.ip_in++;
  icmp_input(src, p[8], p + hlen, total - hlen);
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
    if (m.cap >= 0) cap_delete(m.cap);  // netd keeps no capability a request brings
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
    } else if (op == NETD_INFO) {
      reply.w[1] = my_ip;
      reply.w[2] = (uint64)my_prefix;
      for (int i = 0; i < 6; i++) reply.w[3] = reply.w[3] << 8 | mac[i];
      // svc_next sends the reply's bytes from the request buffer.
      memcpy(request, &stats, sizeof stats);
      reply.len = sizeof stats;
      status = SVC_OK;
    }
    reply.w[0] = (uint64)status;
    m = reply;
  }
}
