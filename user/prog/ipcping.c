// ipcping [N]: IPC round trips between two processes through an endpoint.
// A child serves with ep_replyrecv; the parent makes N calls with no data,
// then N calls carrying 4 KiB each way, then N notification signal-to-wake
// round trips, and prints "ipcping NAME NS_PER_OP OPS" lines (time from
// clocknanos(); the host's benchmark reads them).
#include "user.h"

static char payload[IPC_MAX_BYTES];
static char reply_buf[IPC_MAX_BYTES];

static void serve(int ep) {
  static char buf[IPC_MAX_BYTES];
  struct ipcmsg m;
  memset(&m, 0, sizeof m);
  m.buf = (uint64)buf;
  m.bufsize = sizeof buf;
  m.cap = -1;
  if (ep_recv(ep, &m) < 0) exit(1);
  for (;;) {
    // Echo: the words plus one, and the same bytes back.
    for (int i = 0; i < 4; i++) m.w[i]++;
    m.cap = -1;
    m.bufsize = sizeof buf;
    if (m.w[0] == 0) exit(0);  // the parent's "stop" (all ones, plus one)
    if (ep_replyrecv(ep, &m) < 0) exit(2);
  }
}

static void report(const char *name, uint64 start, int n) {
  printf("ipcping %s %lu %d\n", name, (clocknanos() - start) / (uint64)n, n);
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 10000;
  if (n < 1) n = 1;
  int ep = ep_create();
  if (ep < 0) fail("ipcping: ep_create");
  int pid = fork();
  if (pid < 0) fail("ipcping: fork");
  if (pid == 0) serve(ep);

  struct ipcmsg m;
  uint64 t = clocknanos();
  for (int i = 0; i < n; i++) {
    memset(&m, 0, sizeof m);
    m.cap = -1;
    m.w[0] = (uint64)i;
    if (ep_call(ep, &m) < 0) fail("ipcping: ep_call");
    if (m.w[0] != (uint64)i + 1) {
      fprintf(2, "ipcping: reply %lu to call %d\n", m.w[0], i);
      exit(1);
    }
  }
  report("call+reply", t, n);

  for (int i = 0; i < IPC_MAX_BYTES; i++) payload[i] = (char)i;
  int big = n / 4 > 0 ? n / 4 : 1;
  t = clocknanos();
  for (int i = 0; i < big; i++) {
    memset(&m, 0, sizeof m);
    m.cap = -1;
    m.w[0] = 1;
    m.buf = (uint64)payload;  // the reply comes back into the same buffer
    m.len = IPC_MAX_BYTES;
    m.bufsize = IPC_MAX_BYTES;
    if (ep_call(ep, &m) < 0) fail("ipcping: ep_call 4 KiB");
    // The reply came back into the same buffer; check it.
    if (m.len != IPC_MAX_BYTES || payload[4095] != (char)4095) {
      fprintf(2, "ipcping: 4 KiB reply of %d bytes\n", m.len);
      exit(1);
    }
  }
  report("call+reply-4KiB", t, big);
  (void)reply_buf;

  memset(&m, 0, sizeof m);
  m.cap = -1;
  m.w[0] = ~(uint64)0;  // tells the server to stop once it has added one
  ep_send(ep, &m);
  wait(0);

  // Deriving a capability and deleting it again.
  int base = ep_create();
  t = clocknanos();
  for (int i = 0; i < n; i++) {
    int d = cap_derive(base, -1, CAP_READ | CAP_WRITE, 0, 0);
    if (d < 0 || cap_delete(d) < 0) fail("ipcping: cap_derive/cap_delete");
  }
  report("cap-derive+delete", t, n);
  cap_delete(base);

  // Notification: a child waits; we signal; it signals back on another.
  int there = ntfn_create(), back = ntfn_create();
  if (there < 0 || back < 0) fail("ipcping: ntfn_create");
  int waiter = fork();
  if (waiter == 0) {
    for (;;) {
      uint64 bits = ntfn_wait(there);
      ntfn_signal(back, bits);
      if (bits & 2) exit(0);
    }
  }
  int rounds = n / 2 > 0 ? n / 2 : 1;
  t = clocknanos();
  for (int i = 0; i < rounds; i++) {
    ntfn_signal(there, 1);
    if (ntfn_wait(back) != 1) fail("ipcping: notification bits");
  }
  report("ntfn-signal-wake", t, rounds);
  ntfn_signal(there, 2);
  wait(0);
  return 0;
}
