// ipctest: the semantics of endpoints and notifications, one check per
// line, "ipctest: N passed, M failed" at the end.
#include "user.h"

static int passed, failed;

static void check(int ok, const char *what) {
  if (ok) passed++; else failed++;
  printf("%s %s\n", ok ? "ok  " : "FAIL", what);
}

static void msg_init(struct ipcmsg *m, char *buf, int size) {
  memset(m, 0, sizeof *m);
  m->cap = -1;
  m->buf = (uint64)buf;
  m->bufsize = (uint)size;
}

int main(void) {
  int ep = ep_create();
  check(ep >= 16, "ep_create gives a capability slot from 16 up");

  // A receive waits for a sender; messages arrive in the order sent.
  int kid = fork();
  if (kid == 0) {
    for (int i = 0; i < 3; i++) {
      struct ipcmsg m;
      msg_init(&m, 0, 0);
      m.w[0] = (uint64)(10 + i);
      ep_send(ep, &m);
    }
    exit(0);
  }
  int ordered = 1;
  for (int i = 0; i < 3; i++) {
    struct ipcmsg m;
    msg_init(&m, 0, 0);
    if (ep_recv(ep, &m) < 0 || m.w[0] != (uint64)(10 + i)) ordered = 0;
  }
  wait(0);
  check(ordered, "three sends are received in order (the receiver waited for each)");

  // Inline bytes and a badge.
  int badged = cap_derive(ep, -1, CAP_ALL_RIGHTS, 0x5eed, 0);
  check(badged >= 16, "cap_derive gives a badged endpoint capability");
  kid = fork();
  if (kid == 0) {
    struct ipcmsg m;
    char text[] = "hello through the kernel";
    msg_init(&m, text, 0);
    m.len = sizeof text;
    ep_call(badged, &m);
    exit(m.w[1] == 99 ? 0 : 1);
  }
  char buf[64];
  struct ipcmsg m;
  msg_init(&m, buf, sizeof buf);
  int r = ep_recv(ep, &m);
  check(r == 0 && m.len == 25 && strcmp(buf, "hello through the kernel") == 0, "inline bytes arrive whole");
  check(m.badge == 0x5eed, "the receiver sees the sender's badge");
  msg_init(&m, 0, 0);
  m.w[1] = 99;
  check(ep_reply(&m) == 0, "ep_reply answers the call");
  int status = -1;
  wait(&status);
  check(status == 0, "the caller got the reply's words");

  // A capability passes only with Grant.
  int fd = open("/README", O_RDONLY);
  int nogrant = cap_derive(fd, -1, CAP_READ | CAP_DELEGATE, 0, 0);
  kid = fork();
  if (kid == 0) {
    struct ipcmsg s;
    msg_init(&s, 0, 0);
    s.cap = nogrant;
    int denied = ep_send(ep, &s) < 0;
    msg_init(&s, 0, 0);
    s.cap = fd;
    ep_send(ep, &s);
    exit(denied ? 0 : 1);
  }
  msg_init(&m, 0, 0);
  ep_recv(ep, &m);
  char c = 0;
  check(m.cap >= 16 && read(m.cap, &c, 1) == 1, "a capability with Grant arrives in a new slot and works");
  wait(&status);
  check(status == 0, "sending a capability without Grant is refused");

  // A server that dies mid-call: the caller gets -1, not a hang.
  kid = fork();
  if (kid == 0) {
    struct ipcmsg s;
    msg_init(&s, 0, 0);
    ep_recv(ep, &s);  // takes the call, never replies
    exit(0);
  }
  msg_init(&m, 0, 0);
  r = ep_call(ep, &m);
  check(r == -1, "a call whose server exits without replying returns -1");
  wait(0);

  // A receiver blocked on an endpoint that disappears gets -1.
  int ep2 = ep_create();
  kid = fork();
  if (kid == 0) {
    cap_delete(ep2);  // the child's copy
    struct ipcmsg s;
    msg_init(&s, 0, 0);
    exit(ep_recv(ep, &s) == -1 ? 0 : 1);  // ep itself stays alive: released by kill below
  }
  sleep(1);
  kill(kid);
  wait(&status);
  check(status == -1, "a process killed while blocked in ep_recv exits with -1");
  cap_delete(ep2);

  // Notifications.
  int n = ntfn_create();
  check(ntfn_poll(n) == 0, "ntfn_poll with nothing pending returns 0");
  ntfn_signal(n, 4);
  ntfn_signal(n, 1);
  check(ntfn_poll(n) == 5, "signals accumulate as bits");
  kid = fork();
  if (kid == 0) exit(ntfn_wait(n) == 8 ? 0 : 1);
  sleep(1);
  ntfn_signal(n, 8);
  wait(&status);
  check(status == 0, "ntfn_wait blocks until a signal and takes its bits");

  // Rights: receiving needs Read, sending needs Write.
  int sendonly = cap_derive(ep, -1, CAP_WRITE, 0, 0);
  msg_init(&m, 0, 0);
  check(ep_recv(sendonly, &m) == -1, "ep_recv through a Write-only capability is refused");
  check(ep_send(fd, &m) == -1, "ep_send through a file capability is refused");

  printf("ipctest: %d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
