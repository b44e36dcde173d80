// netstat: netd's sockets and TCP counters (docs/network.md).
//
//   netstat       every socket, TCP connection in TIME_WAIT and bound UDP port:
//                 protocol, local and remote address, state, bytes queued
//                 to read and to be acknowledged, and for TCP the smoothed
//                 round trip, congestion window and retransmissions
//   netstat -s    netd's TCP and socket counters
#include "user.h"
#include "services.h"
#include "net.h"
#include "tcp.h"

static struct sockinfo table[IPC_MAX_BYTES / sizeof(struct sockinfo)];

static void endpoint(char *out, uint addr, uint port) {
  char a[16];
  if (addr == 0) strcpy(a, "*");
  else inet_format(addr, a);
  if (port == 0) snprintf(out, 24, "%s:*", a);
  else snprintf(out, 24, "%s:%u", a, port);
}

int main(int argc, char **argv) {
  int net = net_capability();
  if (net < 0) {
    fprintf(2, "netstat: %s\n", sockerr(net));
    exit(1);
  }
  struct ipcmsg m;
  memset(&m, 0, sizeof m);
  m.cap = -1;
  if (argc > 1 && strcmp(argv[1], "-s") == 0) {
    struct netstats st;
    memset(&st, 0, sizeof st);
    m.w[0] = NETD_INFO;
    m.buf = (uint64)&st;
    m.bufsize = sizeof st;
    if (ep_call(net, &m) < 0 || (long)m.w[0] != SVC_OK) {
      fprintf(2, "netstat: the network service did not answer\n");
      exit(1);
    }
    printf("tcp: segments in %lu sent %lu bad %lu resets-sent %lu syn-dropped %lu\n", st.tcp_in, st.tcp_sent, st.tcp_bad,
           st.tcp_rst_sent, st.tcp_no_room);
    printf("sockets: reaped %lu\n", st.sock_reaped);
    return 0;
  }
  if (argc > 1) {
    fprintf(2, "usage: netstat [-s]\n");
    exit(2);
  }
  m.w[0] = NETD_SOCKETS;
  m.buf = (uint64)table;
  m.bufsize = sizeof table;
  if (ep_call(net, &m) < 0 || (long)m.w[0] != SVC_OK) {
    fprintf(2, "netstat: the network service did not answer\n");
    exit(1);
  }
  int n = (int)(m.len / sizeof(struct sockinfo));
  printf("Proto Local Address         Foreign Address       State        Recv-Q  Send-Q  rtt-us  cwnd  retrans\n");
  for (int i = 0; i < n; i++) {
    struct sockinfo *e = &table[i];
    char local[24], remote[24];
    endpoint(local, e->laddr, e->lport);
    endpoint(remote, e->raddr, e->rport);
    const char *proto = e->type == SOCK_STREAM ? "tcp" : e->type == SOCK_DGRAM ? "udp" : "udp*";
    const char *state = e->state == SOCK_STATE_UDP ? "" : tcp_state_name((int)e->state);
    printf("%-5s %-21s %-21s %-12s %6u  %6u", proto, local, remote, state, e->rx_queued, e->tx_queued);
    if (e->type == SOCK_STREAM && e->state != TCP_LISTEN && e->state != TCP_TIME_WAIT)
      printf("  %6u  %4u  %7lu", e->srtt_us, e->cwnd, e->retransmits);
    printf("\n");
  }
  if ((int)m.w[1] > n) printf("(%d more)\n", (int)m.w[1] - n);
  return 0;
}
