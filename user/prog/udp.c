// udp: sends and answers UDP datagrams through the network service
// (docs/network.md).
//
//   udp send HOST PORT TEXT...      sends TEXT from a port netd picks and
//                                   prints the reply, if one comes within a second
//   udp echo PORT [COUNT]           binds PORT and sends every datagram back
//                                   to where it came from, COUNT times (default 1; 0: forever)
//
// Like ping it finds netd as "net" through the name service. A port is bound
// with a token (a notification this process makes), so netd frees it when
// the process exits.
#include "user.h"
#include "services.h"
#include "net.h"

#define WAIT_TICKS 100

static int net;
static char data[UDP_MAX_PAYLOAD + 1];


static int net_service(void) {
  int net = svc_lookup(NET_SERVICE_NAME);
  if (net < 0) {
    fprintf(2, "udp: no network service (\"%s\"): %s\n", NET_SERVICE_NAME, svc_lookup_error(net));
    exit(2);
  }
  return net;
}

static const char *status_text(long s) {
  switch (s) {
    case NETD_ERR_NO_ADDRESS: return "this machine has no address";
    case NETD_ERR_UNREACHABLE: return "not on the local network";
    case NETD_ERR_PORT: return "port in use or not bound";
    case NETD_ERR_TOO_LONG: return "more than 1472 bytes";
    case SVC_ERR_FULL: return "no free port";
    default: return "the network service refused the request";
  }
}

// One request; exits with the reason when netd refuses it (NETD_NOTHING passes).
static long call(struct ipcmsg *m, const char *what) {
  if (ep_call(net, m) < 0) {
    fprintf(2, "udp: %s: the network service did not answer: %s\n", what, lasterror());
    exit(2);
  }
  long s = (long)m->w[0];
  if (s != SVC_OK && s != NETD_NOTHING) {
    fprintf(2, "udp: %s: %s\n", what, status_text(s));
    exit(2);
  }
  return s;
}

static uint bind_port(uint port) {
  int token = ntfn_create();
  if (token < 0) {
    fprintf(2, "udp: ntfn_create: %s\n", lasterror());
    exit(2);
  }
  struct ipcmsg m;
  memset(&m, 0, sizeof m);
  m.w[0] = NETD_UDP_BIND;
  m.w[1] = port;
  m.cap = token;
  call(&m, "bind");
  return (uint)m.w[1];
}

// Waits up to `ticks` (forever when negative) for a datagram on port; its length, or -1.
static int receive(uint port, int ticks, uint *src, uint *sport) {
  for (int t = 0; ticks < 0 || t <= ticks; t++) {
    struct ipcmsg m;
    memset(&m, 0, sizeof m);
    m.cap = -1;
    m.w[0] = NETD_UDP_RECV;
    m.w[1] = port;
    m.buf = (uint64)data;
    m.bufsize = UDP_MAX_PAYLOAD;
    if (call(&m, "receive") == SVC_OK) {
      *src = (uint)m.w[1];
      *sport = (uint)m.w[2];
      data[m.len] = 0;
      return (int)m.len;
    }
    sleep(1);
  }
  return -1;
}

static void send_datagram(uint sport, uint dst, uint dport, const char *text, int len) {
  struct ipcmsg m;
  memset(&m, 0, sizeof m);
  m.cap = -1;
  m.w[0] = NETD_UDP_SEND;
  m.w[1] = sport;
  m.w[2] = dst;
  m.w[3] = dport;
  m.buf = (uint64)text;
  m.len = (uint)len;
  call(&m, "send");
}

static int usage(void) {
  fprintf(2, "usage: udp send HOST PORT TEXT...  |  udp echo PORT [COUNT]\n");
  return 2;
}

int main(int argc, char **argv) {
  if (argc < 3) return usage();
  if (strcmp(argv[1], "send") == 0 && argc >= 5) {
    uint dst;
    int dport = atoi(argv[3]);
    if (dport < 1 || dport > 0xffff) return usage();
    int found = resolve(argv[2], &dst);
    if (found == NETD_ERR_BAD_NAME) return usage();
    if (found < 0) { printf("udp: %s: %s\n", argv[2], sockerr(found)); return 1; }
    static char text[UDP_MAX_PAYLOAD + 1];
    int len = 0;
    for (int i = 4; i < argc; i++) {
      int n = (int)strlen(argv[i]);
      if (len + n + 1 > UDP_MAX_PAYLOAD) return usage();
      if (i > 4) text[len++] = ' ';
      memcpy(text + len, argv[i], (size_t)n);
      len += n;
    }
    net = net_service();
    uint sport = bind_port(0);
    send_datagram(sport, dst, (uint)dport, text, len);
    uint src, from_port;
    int n = receive(sport, WAIT_TICKS, &src, &from_port);
    char who[16];
    if (n < 0) {
      inet_format(dst, who);
      printf("udp: no reply from %s:%d\n", who, dport);
      return 1;
    }
    inet_format(src, who);
    printf("udp: reply from %s:%d, %d bytes: %s\n", who, (int)from_port, n, data);
    return 0;
  }
  if (strcmp(argv[1], "echo") == 0 && argc <= 4) {
    int port = atoi(argv[2]);
    int count = argc == 4 ? atoi(argv[3]) : 1;
    if (port < 1 || port > 0xffff || count < 0) return usage();
    net = net_service();
    bind_port((uint)port);
    printf("udp: echoing on port %d\n", port);
    for (int i = 0; count == 0 || i < count; i++) {
      uint src, sport;
      int n = receive((uint)port, -1, &src, &sport);
      char who[16];
      inet_format(src, who);
      printf("udp: %d bytes from %s:%d: %s\n", n, who, (int)sport, data);
      send_datagram((uint)port, src, sport, data, n);
    }
    return 0;
  }
  return usage();
}
