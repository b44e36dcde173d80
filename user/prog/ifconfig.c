// ifconfig: shows the network service's interfaces: the card (net0: its
// address, MAC and netd's counters) when there is one, and the loopback
// interface (lo: 127.0.0.1/8 and its counters) always (docs/network.md).
// It asks netd (found as "net" through the name service) with NETD_INFO;
// it cannot change anything yet.
#include "user.h"
#include "services.h"
#include "net.h"

static void print_card(const struct ipcmsg *m, const struct netstats *s) {
  char addr[16];
  inet_format((uint)m->w[1], addr);
  uint64 mac = m->w[3];
  printf("net0: inet %s/%d ether %02x:%02x:%02x:%02x:%02x:%02x\n", m->w[1] ? addr : "(none)", (int)m->w[2],
         (int)(mac >> 40 & 255), (int)(mac >> 32 & 255), (int)(mac >> 24 & 255), (int)(mac >> 16 & 255),
         (int)(mac >> 8 & 255), (int)(mac & 255));
  printf("  frames %ld bad %ld sent %ld send-errors %ld\n", (long)s->frames, (long)s->bad_frames, (long)s->sent,
         (long)s->send_errors);
  printf("  arp in %ld replied %ld dropped-waiting %ld\n", (long)s->arp_in, (long)s->arp_replies, (long)s->arp_dropped);
  printf("  ip in %ld bad %ld fragments %ld other %ld\n", (long)s->ip_in, (long)s->ip_bad, (long)s->ip_fragments,
         (long)s->ip_other);
  printf("  udp in %ld sent %ld bad %ld no-port %ld dropped %ld reaped %ld\n", (long)s->udp_in, (long)s->udp_sent,
         (long)s->udp_bad, (long)s->udp_no_port, (long)s->udp_dropped, (long)s->udp_reaped);
  printf("  icmp bad %ld echo answered %ld echo replies %ld unclaimed %ld\n", (long)s->icmp_bad, (long)s->echo_answered,
         (long)s->echo_replies, (long)s->echo_dropped);
  char router[16], dns[16];
  inet_format((uint)s->router, router);
  inet_format((uint)s->dns, dns);
  if (s->lease_left) {
    printf("  dhcp lease %lds left router %s dns %s (bad %ld retries %ld)\n", (long)s->lease_left, router, dns,
           (long)s->dhcp_bad, (long)s->dhcp_retries);
  } else if (s->router) {
    printf("  static router %s dns %s\n", router, dns);  // ip=ADDRESS/N,GATEWAY
  }
}

int main(void) {
  int net = svc_lookup(NET_SERVICE_NAME);
  if (net < 0) {
    fprintf(2, "ifconfig: no network service (\"%s\"): %s\n", NET_SERVICE_NAME, svc_lookup_error(net));
    exit(1);
  }
  static struct netstats s;
  struct ipcmsg m;
  if (net_info(net, &m, &s) != SVC_OK) {
    fprintf(2, "ifconfig: the network service did not answer: %s\n", lasterror());
    exit(1);
  }
  if (s.card) print_card(&m, &s);
  printf("lo: inet 127.0.0.1/%d loopback\n", NET_LOOPBACK_PREFIX);
  printf("  packets %ld bytes %ld dropped %ld\n", (long)s.lo_packets, (long)s.lo_bytes, (long)s.lo_dropped);
  return 0;
}


