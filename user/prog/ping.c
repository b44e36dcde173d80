// ping: sends ICMP echo requests through the network service and prints
// each reply with its round trip in virtual time (docs/network.md).
//
//   ping [-c count] [-W ticks] host
//
// host is an address or a name (resolve: /etc/hosts, then DNS).
//
// It finds netd by asking the name service (the lowest endpoint it holds)
// for "net", sends each request with NETD_ECHO and polls for its reply with
// NETD_ECHO_POLL every tick for up to a second (-W: that many ticks of 10
// ms); the next request goes as soon as the reply is in or the wait is up. Exits 0 when any reply came.
#include "user.h"
#include "services.h"
#include "net.h"

#define WAIT_TICKS 100  // a second
#define DEFAULT_COUNT 4
#define MAX_COUNT 1000
#define MAX_WAIT 6000  // a minute



static int net_service(void) {
  int net = svc_lookup(NET_SERVICE_NAME);
  if (net < 0) {
    fprintf(2, "ping: no network service (\"%s\"): %s\n", NET_SERVICE_NAME, svc_lookup_error(net));
    exit(2);
  }
  return net;
}

static const char *status_text(long s) {
  switch (s) {
    case NETD_ERR_NO_ADDRESS: return "this machine has no address (ip= on the kernel command line)";
    case NETD_ERR_UNREACHABLE: return "not on the local network (there is no gateway)";
    case NETD_ERR_SEND: return "the network card refused the frame";
    default: return "the network service refused the request";
  }
}

int main(int argc, char **argv) {
  int count = DEFAULT_COUNT, wait = WAIT_TICKS;
  int i = 1;
  while (i + 1 < argc && (strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "-W") == 0)) {
    if (argv[i][1] == 'c') count = atoi(argv[i + 1]);
    else wait = atoi(argv[i + 1]);
    i += 2;
  }
  uint dst;
  if (i != argc - 1 || count < 1 || count > MAX_COUNT || wait < 0 || wait > MAX_WAIT ||
      !argv[i][0]) {
    fprintf(2, "usage: ping [-c count] [-W ticks] host   (count 1..%d, ticks 0..%d, host a name or an address like 10.0.0.2)\n",
            MAX_COUNT, MAX_WAIT);
    exit(2);
  }
  int net = net_service();
  int found = resolve(argv[i], &dst);
  if (found < 0) {
    fprintf(2, "ping: %s: %s\n", argv[i], sockerr(found));
    exit(2);
  }
  char text[16];
  inet_format(dst, text);
  uint ident = (uint)getpid() & 0xffff;
  if (strcmp(text, argv[i]) == 0) printf("PING %s: %d data bytes\n", text, 56);
  else printf("PING %s (%s): %d data bytes\n", argv[i], text, 56);
  int received = 0;
  uint64 min = ~0ul, max = 0, total = 0;
  struct ipcmsg m;
  for (int seq = 1; seq <= count; seq++) {
    memset(&m, 0, sizeof m);
    m.cap = -1;
    m.w[0] = NETD_ECHO;
    m.w[1] = dst;
    m.w[2] = ident;
    m.w[3] = (uint64)seq;
    if (ep_call(net, &m) < 0) {
      fprintf(2, "ping: the network service did not answer: %s\n", lasterror());
      exit(2);
    }
    if ((long)m.w[0] != SVC_OK) {
      fprintf(2, "ping: %s: %s\n", text, status_text((long)m.w[0]));
      exit(2);
    }
    int got = 0;
    for (int t = 0; t <= wait && !got; t++) {
      memset(&m, 0, sizeof m);
      m.cap = -1;
      m.w[0] = NETD_ECHO_POLL;
      m.w[1] = ident;
      if (ep_call(net, &m) < 0) {
        fprintf(2, "ping: the network service did not answer: %s\n", lasterror());
        exit(2);
      }
      if ((long)m.w[0] == SVC_OK) {
        if ((int)m.w[1] != seq) continue;  // a late reply to an earlier request
        uint64 rtt = m.w[2];
        char from[16];
        inet_format((uint)(m.w[3] & 0xffffffffu), from);
        printf("%d bytes from %s: icmp_seq=%d ttl=%d time=%d.%03d ms\n", 64, from, seq, (int)(m.w[3] >> 32),
               (int)(rtt / 1000000), (int)(rtt / 1000 % 1000));
        received++;
        total += rtt;
        if (rtt < min) min = rtt;
        if (rtt > max) max = rtt;
        got = 1;
      } else if (t < wait) {
        sleep(1);
      }
    }
    if (!got) printf("no reply for icmp_seq=%d\n", seq);
  }
  printf("--- %s ping statistics ---\n", text);
  printf("%d packets transmitted, %d received, %d%% packet loss\n", count, received, (count - received) * 100 / count);
  if (received > 0) {
    uint64 avg = total / (uint64)received;
    printf("rtt min/avg/max = %d.%03d/%d.%03d/%d.%03d ms\n", (int)(min / 1000000), (int)(min / 1000 % 1000),
           (int)(avg / 1000000), (int)(avg / 1000 % 1000), (int)(max / 1000000), (int)(max / 1000 % 1000));
  }
  exit(received > 0 ? 0 : 1);
}
