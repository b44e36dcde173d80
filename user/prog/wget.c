// wget: fetches a URL over HTTP/1.1 (docs/network.md).
//
//   wget [-q] [-O FILE] http://HOST[:PORT]/PATH
//
// HOST is an address or a name (resolve: /etc/hosts, then DNS). The body goes to standard output,
// or to FILE; the status line and the byte count to standard error (-q:
// not). Reads a Content-Length body, a chunked one, or one that ends when
// the server closes. Exits 0 for a 2xx answer, 1 otherwise.
#include "user.h"
#include "net.h"

static char buf[16384];
static int have, pos;  // bytes in buf, and the next one to use
static int s;

static int fill(void) {
  if (pos < have) return 1;
  have = pos = 0;
  int n = recv(s, buf, sizeof buf);
  if (n < 0) { fprintf(2, "wget: recv: %s\n", sockerr(n)); exit(1); }
  have = n;
  return n > 0;
}

// One line (CRLF or LF) into out without its end; -1 at the end of the stream.
static int line(char *out, int max) {
  int n = 0;
  for (;;) {
    if (!fill()) return n ? n : -1;
    char ch = buf[pos++];
    if (ch == '\n') break;
    if (ch != '\r' && n < max - 1) out[n++] = ch;
  }
  out[n] = 0;
  return n;
}

static long copy(int fd, long n, long *total) {  // n < 0: to the end
  while (n != 0) {
    if (!fill()) {
      if (n > 0) { fprintf(2, "wget: the connection ended %ld bytes early\n", n); exit(1); }
      return 0;
    }
    int k = have - pos;
    if (n > 0 && k > n) k = (int)n;
    if (write(fd, buf + pos, k) != k) { fprintf(2, "wget: write failed\n"); exit(1); }
    pos += k;
    *total += k;
    if (n > 0) n -= k;
  }
  return 0;
}

int main(int argc, char **argv) {
  int quiet = 0, i = 1;
  const char *outfile = 0;
  for (; i < argc && argv[i][0] == '-'; i++) {
    if (strcmp(argv[i], "-q") == 0) quiet = 1;
    else if (strcmp(argv[i], "-O") == 0 && i + 1 < argc) outfile = argv[++i];
    else break;
  }
  if (i != argc - 1 || strncmp(argv[i], "http://", 7) != 0) {
    fprintf(2, "usage: wget [-q] [-O FILE] http://HOST[:PORT]/PATH\n");
    exit(2);
  }
  char host[64];
  const char *h = argv[i] + 7, *slash = strchr(h, '/');
  const char *target = slash ? slash : "/";
  int hl = slash ? (int)(slash - h) : (int)strlen(h);
  if (hl <= 0 || hl >= (int)sizeof host) { fprintf(2, "wget: bad address in %s\n", argv[i]); exit(2); }
  memcpy(host, h, (size_t)hl);
  host[hl] = 0;
  int port = 80;
  char *colon = strchr(host, ':');
  if (colon) { *colon = 0; port = atoi(colon + 1); }
  if (port <= 0 || port > 65535) { fprintf(2, "wget: bad port in %s\n", argv[i]); exit(2); }
  uint addr;
  int found = resolve(host, &addr);
  if (found < 0) {
    fprintf(2, "wget: %s: %s\n", host, sockerr(found));
    exit(found == NETD_ERR_BAD_NAME ? 2 : 1);
  }
  int out = 1;
  if (outfile && strcmp(outfile, "-") != 0) {
    out = open(outfile, O_WRONLY | O_CREATE | O_TRUNC);
    if (out < 0) { fprintf(2, "wget: cannot create %s: %s\n", outfile, lasterror()); exit(1); }
  }
  s = socket(SOCK_STREAM);
  if (s < 0) { fprintf(2, "wget: socket: %s\n", sockerr(s)); exit(1); }
  int r = connect(s, addr, (uint)port);
  if (r < 0) { fprintf(2, "wget: connect to %s:%d: %s\n", host, port, sockerr(r)); exit(1); }
  char req[512];
  int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: keel-wget\r\nConnection: close\r\n\r\n",
                   target, colon ? argv[i] + 7 : host);
  if (colon) {  // Host: with the port, as it was written
    n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: %.*s\r\nUser-Agent: keel-wget\r\nConnection: close\r\n\r\n",
                 target, hl, h);
  }
  if ((r = send(s, req, n)) < 0) { fprintf(2, "wget: send: %s\n", sockerr(r)); exit(1); }
  char l[1024];
  if (line(l, sizeof l) < 0 || strncmp(l, "HTTP/1.", 7) != 0 || strlen(l) < 12) {
    fprintf(2, "wget: no HTTP answer\n");
    exit(1);
  }
  int code = atoi(l + 9);
  if (!quiet) fprintf(2, "wget: %s\n", l + 9);
  long length = -1;
  int chunked = 0;
  while (line(l, sizeof l) > 0) {
    for (char *p = l; *p && *p != ':'; p++) *p = (char)tolower(*p);
    if (strncmp(l, "content-length:", 15) == 0) length = atoi(l + 15);
    if (strncmp(l, "transfer-encoding:", 18) == 0 && strstr(l + 18, "chunked")) chunked = 1;
  }
  long total = 0;
  if (chunked) {
    for (;;) {
      if (line(l, sizeof l) < 0) { fprintf(2, "wget: the chunked body ended early\n"); exit(1); }
      long size = strtol(l, 0, 16);
      if (size <= 0) break;
      copy(out, size, &total);
      line(l, sizeof l);  // the CRLF after the chunk
    }
  } else {
    copy(out, length, &total);
  }
  closesocket(s);
  if (out != 1) close(out);
  if (!quiet) fprintf(2, "wget: %ld bytes\n", total);
  return code >= 200 && code < 300 ? 0 : 1;
}
