// The socket library (net.h, docs/network.md "Sockets"): socket, bind,
// listen, accept, connect, send, recv, sendto, recvfrom, shutdown, close and
// poll over IPC to netd, with the data in the socket's shared memory. A
// process reaches netd only through the capability registered as "net" that
// it was given; a process without one (under sandbox) gets NETD_ERR_NO_NET.
//
// The data path copies once each way: send copies the caller's bytes into
// the send ring, which netd reads straight into frames; netd writes received
// payload straight into the receive ring, and recv copies it out. Calls to
// netd carry only indices: SEND after writing, RECVD after reading (at most
// every quarter ring, and before waiting), so a bulk transfer costs an IPC
// per 16 KiB read and per send call. Waiting is on a notification the
// process made and gave netd with each socket: the caller sets `want` in
// the shared page, checks again, and sleeps; netd signals at the next
// change and clears `want` (the library never clears it: a forked child
// sharing the page would undo its parent's wait). A forked child shares its parent's notification, so it polls its
// inherited sockets every tick instead of taking its parent's wake-ups.
#include "user.h"
#include "services.h"
#include "net.h"
#include "tcp.h"

struct lsock {
  int used;
  int type;
  int cap, shm;      // the socket capability and the shared memory's
  int ntfn, pid;     // the notification netd signals, and who made it
  struct sockshm *sh;
  uchar *rx, *tx;
  uint rd, wr;       // our read and write indices
  uint reported;     // rd as netd last heard it
};
static struct lsock socks[SOCK_LIB_MAX];
static int net = -100;
static int my_ntfn = -1, my_ntfn_pid = -1;

int net_capability(void) {
  if (net == -100) {
    int c = svc_lookup(NET_SERVICE_NAME);
    net = c >= 0 ? c : NETD_ERR_NO_NET;
  }
  return net;
}

static struct lsock *get(int s) {
  if (s < 0 || s >= SOCK_LIB_MAX || !socks[s].used) return 0;
  return &socks[s];
}

int socket_capability(int s) {
  struct lsock *L = get(s);
  return L ? L->cap : -1;
}

const struct sockshm *sockstate(int s) {
  struct lsock *L = get(s);
  return L ? L->sh : 0;
}

// One call to netd on cap; the status (w[0]) or NETD_ERR_NO_ANSWER.
static long call(int cap, struct ipcmsg *m) {
  if (ep_call(cap, m) < 0) return NETD_ERR_NO_ANSWER;
  return (long)m->w[0];
}

static long op(struct lsock *L, uint64 what, uint64 a, uint64 b, struct ipcmsg *m) {
  memset(m, 0, sizeof *m);
  m->cap = -1;
  m->w[0] = what;
  m->w[1] = a;
  m->w[2] = b;
  return call(L->cap, m);
}

static void wait_change(struct lsock *L) {
  if (L->pid != getpid()) { sleep(1); return; }
  ntfn_wait(L->ntfn);
}

// Maps the socket whose capability is cap into a free descriptor.
static int attach(int cap, int type, int ntfn) {
  int s = -1;
  for (int i = 0; i < SOCK_LIB_MAX && s < 0; i++)
    if (!socks[i].used) s = i;
  struct ipcmsg m;
  memset(&m, 0, sizeof m);
  m.cap = -1;
  m.w[0] = NETD_SOCK_SHM;
  long st = s < 0 ? NETD_ERR_ARG : call(cap, &m);
  if (st != SVC_OK || m.cap < 0) {
    memset(&m, 0, sizeof m);
    m.cap = -1;
    m.w[0] = NETD_SOCK_CLOSE;
    m.w[1] = 1;
    call(cap, &m);
    cap_delete(cap);
    return st != SVC_OK ? (int)st : SVC_ERR_FAILED;
  }
  uchar *base = shm_map(m.cap);
  if (base == (uchar *)-1) {
    cap_delete(m.cap);
    cap_delete(cap);
    return SVC_ERR_FULL;
  }
  struct lsock *L = &socks[s];
  memset(L, 0, sizeof *L);
  L->used = 1;
  L->type = type;
  L->cap = cap;
  L->shm = m.cap;
  L->ntfn = ntfn;
  L->pid = getpid();
  L->sh = (struct sockshm *)base;
  L->rx = base + SOCK_SHM_HEADER;
  L->tx = base + SOCK_SHM_HEADER + SOCK_RING;
  L->rd = L->sh->rx_head;
  L->wr = L->sh->tx_tail;
  L->reported = L->rd;
  return s;
}

int socket(int type) {
  int n = net_capability();
  if (n < 0) return n;
  if (my_ntfn < 0 || my_ntfn_pid != getpid()) {
    my_ntfn = ntfn_create();
    my_ntfn_pid = getpid();
    if (my_ntfn < 0) return SVC_ERR_FULL;
  }
  struct ipcmsg m;
  memset(&m, 0, sizeof m);
  m.w[0] = NETD_SOCKET;
  m.w[1] = (uint64)type;
  m.cap = my_ntfn;
  long st = call(n, &m);
  if (st != SVC_OK) {
    if (m.cap >= 0) cap_delete(m.cap);
    return (int)st;
  }
  if (m.cap < 0) return SVC_ERR_FAILED;
  return attach(m.cap, type, my_ntfn);
}

int bind(int s, uint port) {
  struct lsock *L = get(s);
  struct ipcmsg m;
  return L ? (int)op(L, NETD_SOCK_BIND, port, 0, &m) : NETD_ERR_ARG;
}

int listen(int s, int backlog) {
  struct lsock *L = get(s);
  struct ipcmsg m;
  return L ? (int)op(L, NETD_SOCK_LISTEN, (uint64)(backlog < 0 ? 0 : backlog), 0, &m) : NETD_ERR_ARG;
}

int accept(int s, uint *addr, uint *port) {
  struct lsock *L = get(s);
  if (!L) return NETD_ERR_ARG;
  struct ipcmsg m;
  for (;;) {
    L->sh->want = 1;
    long st = op(L, NETD_SOCK_ACCEPT, 0, 0, &m);
    if (st == SVC_OK && m.cap >= 0) {
      if (addr) *addr = (uint)m.w[1];
      if (port) *port = (uint)m.w[2];
      return attach(m.cap, SOCK_STREAM, L->ntfn);
    }
    if (st != NETD_NOTHING) return st == SVC_OK ? SVC_ERR_FAILED : (int)st;
    wait_change(L);
  }
}

int connect(int s, uint addr, uint port) {
  struct lsock *L = get(s);
  if (!L) return NETD_ERR_ARG;
  struct ipcmsg m;
  long st = op(L, NETD_SOCK_CONNECT, addr, port, &m);
  if (st != SVC_OK) return (int)st;
  for (;;) {
    L->sh->want = 1;
    uint state = L->sh->state;
    if (state >= TCP_ESTABLISHED && state <= TCP_TIME_WAIT) break;
    if (state == TCP_CLOSED) return L->sh->error ? L->sh->error : NETD_ERR_REFUSED;
    wait_change(L);
  }
  return 0;
}

static int open_for_sending(uint state) { return state == TCP_ESTABLISHED || state == TCP_CLOSE_WAIT; }

int send(int s, const void *buf, int n) {
  struct lsock *L = get(s);
  if (!L || n < 0) return NETD_ERR_ARG;
  if (L->type != SOCK_STREAM) return NETD_ERR_STATE;
  const uchar *p = buf;
  int done = 0;
  struct ipcmsg m;
  while (done < n) {
    if (L->sh->error) return L->sh->error;
    if (!open_for_sending(L->sh->state)) return NETD_ERR_STATE;
    uint room = SOCK_RING - (L->wr - L->sh->tx_head);
    if (room == 0 || room > SOCK_RING) {  // full: wait for acknowledgements
      L->sh->want = 1;
      if (L->sh->tx_head == L->wr - SOCK_RING && !L->sh->error && open_for_sending(L->sh->state)) wait_change(L);
      continue;
    }
    uint k = (uint)(n - done) < room ? (uint)(n - done) : room;
    uint off = L->wr & (SOCK_RING - 1), first = SOCK_RING - off;
    if (first > k) first = k;
    memcpy(L->tx + off, p + done, first);
    memcpy(L->tx, p + done + first, k - first);
    L->wr += k;
    L->sh->tx_tail = L->wr;
    long st = op(L, NETD_SOCK_SEND, 0, 0, &m);
    if (st != SVC_OK) return (int)st;
    done += (int)k;
  }
  return done;
}

static long report(struct lsock *L) {
  struct ipcmsg m;
  L->reported = L->rd;
  return op(L, NETD_SOCK_RECVD, 0, 0, &m);
}

int recv(int s, void *buf, int n) {
  struct lsock *L = get(s);
  if (!L || n < 0) return NETD_ERR_ARG;
  if (L->type != SOCK_STREAM) return NETD_ERR_STATE;
  uchar *p = buf;
  for (;;) {
    L->sh->want = 1;
    uint avail = L->sh->rx_tail - L->rd;
    if (avail > SOCK_RING) avail = 0;  // netd never does that
    if (avail && n > 0) {
      uint k = (uint)n < avail ? (uint)n : avail;
      uint off = L->rd & (SOCK_RING - 1), first = SOCK_RING - off;
      if (first > k) first = k;
      memcpy(p, L->rx + off, first);
      memcpy(p + first, L->rx, k - first);
      L->rd += k;
      L->sh->rx_head = L->rd;
      if (L->rd - L->reported >= SOCK_RING / 4) report(L);
      return (int)k;
    }
    if (L->rd != L->reported) {  // before waiting: netd may be holding a closed window
      report(L);
      continue;  // netd ran during the call and may have received more (and the FIN after it)
    }
    if (n == 0) return 0;
    if (L->sh->rx_eof) {
      // netd publishes rx_tail before rx_eof: with the end seen, a tail
      // read now is the last one, and bytes before it come first.
      __asm__ volatile("" ::: "memory");
      if (L->sh->rx_tail != L->rd) continue;
      return 0;
    }
    if (L->sh->error) return L->sh->error;
    if (L->sh->state == TCP_CLOSED || L->sh->state == TCP_LISTEN) return 0;
    wait_change(L);
  }
}

int sendto(int s, const void *buf, int n, uint addr, uint port) {
  struct lsock *L = get(s);
  if (!L || n < 0) return NETD_ERR_ARG;
  if (L->type != SOCK_DGRAM) return NETD_ERR_STATE;
  struct ipcmsg m;
  memset(&m, 0, sizeof m);
  m.cap = -1;
  m.w[0] = NETD_SOCK_SEND;
  m.w[1] = addr;
  m.w[2] = port;
  m.buf = (uint64)buf;
  m.len = (uint)n;
  long st = call(L->cap, &m);
  return st == SVC_OK ? n : (int)st;
}

int recvfrom(int s, void *buf, int n, uint *addr, uint *port) {
  struct lsock *L = get(s);
  if (!L || n < 0) return NETD_ERR_ARG;
  if (L->type != SOCK_DGRAM) return NETD_ERR_STATE;
  for (;;) {
    L->sh->want = 1;
    if (L->sh->rx_tail != L->rd) {
      uint off = L->rd & (SOCK_RING - 1);
      struct sockdgram d;
      memcpy(&d.len, L->rx + off, 4);
      if (d.len == SOCK_UDP_SKIP || SOCK_RING - off < sizeof d) {
        L->rd += SOCK_RING - off;
        continue;
      }
      memcpy(&d, L->rx + off, sizeof d);
      if (d.len > SOCK_RING - off - sizeof d) return NETD_ERR_INDEX;
      int k = (int)d.len < n ? (int)d.len : n;
      memcpy(buf, L->rx + off + sizeof d, (size_t)k);
      if (addr) *addr = d.addr;
      if (port) *port = d.port;
      L->rd += (uint)sizeof d + ((d.len + 3) & ~3u);
      L->sh->rx_head = L->rd;
      return k;
    }
    wait_change(L);
  }
}

int shutdown(int s) {
  struct lsock *L = get(s);
  struct ipcmsg m;
  return L ? (int)op(L, NETD_SOCK_SHUTDOWN, 0, 0, &m) : NETD_ERR_ARG;
}

static int close_with(int s, int abortive) {
  struct lsock *L = get(s);
  if (!L) return NETD_ERR_ARG;
  struct ipcmsg m;
  long st = op(L, NETD_SOCK_CLOSE, (uint64)abortive, 0, &m);
  cap_delete(L->shm);  // netd revoked it already; deleting what is left unmaps it
  cap_delete(L->cap);
  L->used = 0;
  return (int)st;
}

int closesocket(int s) { return close_with(s, 0); }
int abortsocket(int s) { return close_with(s, 1); }

static int ready(struct lsock *L, int events) {
  struct sockshm *sh = L->sh;
  int r = 0;
  if (L->type == SOCK_DGRAM) {
    if (sh->rx_tail != L->rd) r |= POLLIN;
    r |= POLLOUT;
  } else if (sh->state == TCP_LISTEN) {
    if (sh->pending) r |= POLLIN;
  } else {
    if (sh->rx_tail != L->rd || sh->rx_eof || sh->error || sh->state == TCP_CLOSED) r |= POLLIN;
    if (open_for_sending(sh->state) && L->wr - sh->tx_head < SOCK_RING) r |= POLLOUT;
    if (sh->error) r |= POLLERR;
    if (sh->rx_eof) r |= POLLHUP;
  }
  return r & (events | POLLERR | POLLHUP);
}

int poll(struct pollfd *fds, int n, int timeout_ms) {
  if (n <= 0 || n > SOCK_LIB_MAX) return NETD_ERR_ARG;
  for (int i = 0; i < n; i++)
    if (!get(fds[i].fd)) return NETD_ERR_ARG;
  uint64 deadline = 0;
  int armed = 0;
  struct lsock *first = get(fds[0].fd);
  for (;;) {
    int count = 0;
    for (int i = 0; i < n; i++) {
      struct lsock *L = get(fds[i].fd);
      L->sh->want = 1;
      fds[i].revents = (short)ready(L, fds[i].events);
      if (fds[i].revents) count++;
    }
    if (count || timeout_ms == 0) {
      return count;
    }
    // Reading stalls while netd has not heard what we took: tell it first.
    for (int i = 0; i < n; i++) {
      struct lsock *L = get(fds[i].fd);
      if (L->type == SOCK_STREAM && L->rd != L->reported) report(L);
    }
    if (timeout_ms > 0) {
      uint64 now = clocknanos();
      if (!armed) {
        deadline = now + (uint64)timeout_ms * 1000000;
        struct ipcmsg m;
        op(first, NETD_SOCK_ALARM, (uint64)timeout_ms * 1000000, 0, &m);
        armed = 1;
      } else if (now >= deadline) {
          return 0;
      }
    }
    int shared = 1;  // every socket signals the notification we wait on
    for (int i = 0; i < n; i++)
      if (get(fds[i].fd)->pid != getpid() || get(fds[i].fd)->ntfn != first->ntfn) shared = 0;
    if (shared) ntfn_wait(first->ntfn);
    else sleep(1);
  }
}

long net_info(int net, struct ipcmsg *m, struct netstats *st) {
  memset(m, 0, sizeof *m);
  m->cap = -1;
  m->w[0] = NETD_INFO;
  m->buf = (uint64)st;
  m->bufsize = sizeof *st;
  return call(net, m);
}

const char *sockerr(int code) {
  switch (code) {
    case NETD_ERR_NO_ADDRESS: return "this machine has no address";
    case NETD_ERR_UNREACHABLE: return "not on the local network";
    case NETD_ERR_SEND: return "the network card refused the frame";
    case NETD_ERR_PORT: return "port in use, not bound or out of range";
    case NETD_ERR_TOO_LONG: return "more than 1472 bytes in a datagram";
    case NETD_ERR_BAD_SOCKET: return "not an open socket";
    case NETD_ERR_STATE: return "the socket is not in a state for that";
    case NETD_ERR_REFUSED: return "connection refused";
    case NETD_ERR_RESET: return "connection reset by peer";
    case NETD_ERR_TIMEOUT: return "connection timed out";
    case NETD_ERR_TYPE: return "unknown socket type";
    case NETD_ERR_INDEX: return "impossible ring indices in the shared memory";
    case NETD_ERR_CLOSED: return "this side already shut down for writing";
    case NETD_ERR_NO_NET: return "this process holds no capability to the network service";
    case NETD_ERR_NO_ANSWER: return "the network service did not answer";
    case NETD_ERR_ARG: return "bad argument (no such socket, or a negative length)";
    case NETD_ERR_NO_NAME: return "no such name";
    case NETD_ERR_NO_DNS: return "not in /etc/hosts, and there is no DNS server (no DHCP lease)";
    case NETD_ERR_DNS_TIMEOUT: return "the DNS server did not answer";
    case NETD_ERR_DNS_BAD: return "the DNS server failed or sent a malformed answer";
    case NETD_ERR_BAD_NAME: return "not an address or a host name";
    case SVC_ERR_FULL: return "no room: netd's socket table or memory is full";
    case SVC_ERR_NO_CAP: return "the request carried no notification capability";
    case SVC_ERR_FAILED: return "the network service refused the request";
    default: return code >= 0 ? "no error" : "unknown error";
  }
}
