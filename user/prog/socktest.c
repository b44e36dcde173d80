// socktest: bad socket calls get an error with a reason and leave netd
// serving (docs/network.md "Sockets"). Each check prints one line, "ok"
// or "FAIL"; the last line says how many failed.
//
//   socktest [ADDRESS PORT]   with a machine that listens on PORT and has
//                             nothing on port 9: also connection refused,
//                             and impossible ring indices on a connection
#include "user.h"
#include "services.h"
#include "net.h"
#include "tcp.h"

static int failures;
static char big[2000];

static void expect(const char *what, long got, long want) {
  if (got == want) {
    printf("ok   %s: %s\n", what, want < 0 ? sockerr((int)want) : "done");
  } else {
    printf("FAIL %s: got %ld (%s), wanted %ld (%s)\n", what, got, sockerr((int)got), want, sockerr((int)want));
    failures++;
  }
}

// A raw call on capability cap.
static long raw(int cap, uint64 op, uint64 a, uint64 b, int pass) {
  struct ipcmsg m;
  memset(&m, 0, sizeof m);
  m.cap = pass;
  m.w[0] = op;
  m.w[1] = a;
  m.w[2] = b;
  if (ep_call(cap, &m) < 0) return NETD_ERR_NO_ANSWER;
  if (m.cap >= 0) cap_delete(m.cap);
  return (long)m.w[0];
}

int main(int argc, char **argv) {
  int net = net_capability();
  if (net < 0) {
    printf("socktest: %s\n", sockerr(net));
    return 1;
  }
  int ntfn = ntfn_create();
  expect("a socket of an unknown type", raw(net, NETD_SOCKET, 7, 0, ntfn), NETD_ERR_TYPE);
  expect("a socket without a notification", raw(net, NETD_SOCKET, SOCK_STREAM, 0, -1), SVC_ERR_NO_CAP);
  expect("a socket with a capability that is no notification", raw(net, NETD_SOCKET, SOCK_STREAM, 0, net), SVC_ERR_NO_CAP);
  expect("an unknown descriptor", send(5, "x", 1), NETD_ERR_ARG);
  int s = socket(SOCK_STREAM);
  expect("socket", s >= 0 ? 0 : s, 0);
  expect("send before connect", send(s, "x", 1), NETD_ERR_STATE);
  expect("accept on a socket that does not listen", accept(s, 0, 0), NETD_ERR_STATE);
  expect("listen before bind", listen(s, 1), NETD_ERR_PORT);
  expect("connect off the network", connect(s, 0xC0A80101, 80), NETD_ERR_UNREACHABLE);
  expect("connect to port 0", connect(s, 0x0A000002, 0), NETD_ERR_PORT);
  expect("bind", bind(s, 7000), 0);
  expect("bind twice", bind(s, 7001), NETD_ERR_STATE);
  int t = socket(SOCK_STREAM);
  expect("bind a port in use", bind(t, 7000), NETD_ERR_PORT);
  expect("listen", listen(s, 2), 0);
  expect("connect a listening socket", connect(s, 0x0A000002, 80), NETD_ERR_STATE);
  expect("recvfrom on a stream", recvfrom(s, 0, 0, 0, 0), NETD_ERR_STATE);
  int u = socket(SOCK_DGRAM);
  expect("send on a datagram socket", send(u, "x", 1), NETD_ERR_STATE);
  expect("a datagram too long", sendto(u, big, sizeof big, 0x0A000002, 9), NETD_ERR_TOO_LONG);
  expect("listen on a datagram socket", listen(u, 1), NETD_ERR_STATE);
  if (argc > 2) {
    uint addr;
    inet_parse(argv[1], &addr, 0);
    expect("connect to a port nobody listens on", connect(t, addr, 9), NETD_ERR_REFUSED);
    int c = socket(SOCK_STREAM);
    expect("another socket", c >= 0 ? 0 : c, 0);
    if (c < 0) return 1;
    expect("connect", connect(c, addr, (uint)atoi(argv[2])), 0);
    struct sockshm *sh = (struct sockshm *)sockstate(c);
    int cap = socket_capability(c);
    uint tail = sh->tx_tail;
    sh->tx_tail = tail + 3 * SOCK_RING;  // more than the ring holds
    expect("a send ring index past the ring", raw(cap, NETD_SOCK_SEND, 0, 0, -1), NETD_ERR_INDEX);
    sh->tx_tail = tail;
    sh->rx_head = 123456;  // past what arrived
    expect("a receive ring index past the data", raw(cap, NETD_SOCK_RECVD, 0, 0, -1), NETD_ERR_INDEX);
    sh->rx_head = 0;
    expect("send after that", send(c, "hello\n", 6), 6);
    expect("shutdown", shutdown(c), 0);
    expect("send after shutdown", raw(cap, NETD_SOCK_SEND, 0, 0, -1), NETD_ERR_CLOSED);
    expect("abort", abortsocket(c), 0);
  }
  int last = socket_capability(s);
  expect("an unknown operation on a socket", raw(last, 99, 0, 0, -1), SVC_ERR_FAILED);
  expect("a socket operation on the service capability", raw(net, NETD_SOCK_SEND, 0, 0, -1), SVC_ERR_FAILED);
  expect("a timer tick from a client", raw(net, NETD_TICK, 0, 0, -1), SVC_ERR_FAILED);
  // A closed socket's capability names nothing any more.
  expect("close", closesocket(t), 0);
  expect("a call on a closed socket", send(t, "x", 1), NETD_ERR_ARG);
  // Fill the table: netd says it is full, and has room again after closing.
  int got[SOCK_MAX + 2], made = 0, r = 0;
  while (made < SOCK_MAX + 2 && (r = socket(SOCK_DGRAM)) >= 0) got[made++] = r;
  expect("more sockets than netd holds", r, SVC_ERR_FULL);
  for (int i = 0; i < made; i++) closesocket(got[i]);
  int w = socket(SOCK_DGRAM);
  expect("a socket after closing the others", w >= 0 ? 0 : w, 0);
  closesocket(w);
  closesocket(s);
  closesocket(u);
  printf("socktest: %d failed\n", failures);
  return failures ? 1 : 0;
}
