// nc: TCP and UDP from the shell through sockets (docs/network.md).
//
//   nc [-u] [-d] HOST PORT     connect (TCP) or send to (UDP) HOST:PORT (a name or an address)
//   nc [-u] [-d] -l PORT       listen on PORT: one TCP connection, or UDP
//                              datagrams from anyone (replies go to the last sender)
//
// -d: do not read standard input (TCP: shut our side down at once, so nc
// exits when the peer closes; the way to receive with a console, whose
// input never ends, on standard input).
//
// Standard input goes to the peer and what the peer sends goes to standard
// output. TCP: at the end of standard input nc shuts its side down (FIN)
// and goes on printing until the peer closes; it exits 0 when both
// directions are done. UDP: each
// read of standard input is one datagram (a line, from the console); nc
// exits at the end of standard input, after printing what came within half
// a second more. A forked child copies standard input to the socket while
// the parent copies the socket to standard output.
#include "user.h"
#include "services.h"
#include "net.h"

static char buf[16384];
static int no_input;  // -d

static void die(const char *what, int code) {
  fprintf(2, "nc: %s: %s\n", what, sockerr(code));
  exit(1);
}

static void usage(void) {
  fprintf(2, "usage: nc [-u] [-d] HOST PORT | nc [-u] [-d] -l PORT\n");
  exit(2);
}

static int write_all(int fd, const char *p, int n) {
  while (n > 0) {
    int k = write(fd, p, n);
    if (k <= 0) return -1;
    p += k;
    n -= k;
  }
  return 0;
}

// TCP: standard input to the socket in a child, the socket to standard output here.
static int tcp_session(int s) {
  int pid = no_input ? 0 : fork();
  if (pid < 0) die("fork", SVC_ERR_FAILED);
  if (no_input) {
    shutdown(s);
  } else if (pid == 0) {
    for (;;) {
      int n = read(0, buf, sizeof buf);
      if (n <= 0) break;
      int r = send(s, buf, n);
      if (r < 0) {
        fprintf(2, "nc: send: %s\n", sockerr(r));
        exit(1);
      }
    }
    shutdown(s);
    exit(0);
  }
  int status = 0;
  for (;;) {
    int n = recv(s, buf, sizeof buf);
    if (n < 0) {
      fprintf(2, "nc: recv: %s\n", sockerr(n));
      status = 1;
      break;
    }
    if (n == 0) break;
    if (write_all(1, buf, n) < 0) break;
  }
  // The peer is done sending; ours ends with standard input (or a failed send).
  if (!no_input) {
    int child_status = 0;
    if (status) kill(pid);
    waitpid(pid, &child_status, 0);
    if (!WIFEXITED(child_status) || WEXITSTATUS(child_status) != 0) status = 1;
  }
  closesocket(s);
  return status;
}

// UDP: standard input as datagrams to *to (once known), datagrams to standard output.
static int udp_session(int s, uint to, uint port) {
  int pid = fork();
  if (pid < 0) die("fork", SVC_ERR_FAILED);
  if (pid == 0) {  // a listener does not know where to send until a datagram comes: the parent sends
    if (to == 0 || no_input) exit(0);
    for (;;) {
      int n = read(0, buf, UDP_MAX_PAYLOAD);
      if (n <= 0) break;
      int r = sendto(s, buf, n, to, port);
      if (r < 0) {
        fprintf(2, "nc: send: %s\n", sockerr(r));
        exit(1);
      }
    }
    exit(0);
  }
  int done_at = -1;
  for (;;) {
    struct pollfd p = {s, POLLIN, 0};
    int r = poll(&p, 1, 100);
    if (r < 0) die("poll", r);
    if (r > 0) {
      uint from, fport;
      int n = recvfrom(s, buf, sizeof buf, &from, &fport);
      if (n < 0) die("recv", n);
      write_all(1, buf, n);
      to = from;
      port = fport;
    }
    if (done_at < 0 && waitpid(pid, 0, WNOHANG) == pid) done_at = uptime();
    if (done_at >= 0 && uptime() - done_at >= 50) break;
  }
  closesocket(s);
  return 0;
}

int main(int argc, char **argv) {
  int udp = 0, listening = 0, i = 1;
  for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
    for (char *f = argv[i] + 1; *f; f++) {
      if (*f == 'u') udp = 1;
      else if (*f == 'l') listening = 1;
      else if (*f == 'd') no_input = 1;
      else usage();
    }
  }
  if (argc - i != (listening ? 1 : 2)) usage();
  int port = atoi(argv[argc - 1]);
  if (port <= 0 || port > 65535) usage();
  uint addr = 0;
  if (!listening) {
    int found = resolve(argv[i], &addr);
    if (found == NETD_ERR_BAD_NAME) usage();
    if (found < 0) { fprintf(2, "nc: %s: %s\n", argv[i], sockerr(found)); exit(1); }
  }
  int s = socket(udp ? SOCK_DGRAM : SOCK_STREAM);
  if (s < 0) die("socket", s);
  int r;
  if (listening) {
    if ((r = bind(s, (uint)port)) < 0) die("bind", r);
    if (udp) return udp_session(s, 0, 0);
    if ((r = listen(s, 1)) < 0) die("listen", r);
    uint from, fport;
    int c = accept(s, &from, &fport);
    if (c < 0) die("accept", c);
    closesocket(s);
    char text[16];
    inet_format(from, text);
    fprintf(2, "nc: connection from %s:%d\n", text, (int)fport);
    return tcp_session(c);
  }
  if (udp) return udp_session(s, addr, (uint)port);
  if ((r = connect(s, addr, (uint)port)) < 0) die("connect", r);
  return tcp_session(s);
}
