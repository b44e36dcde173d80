// httpd: serves files from the file system over HTTP/1.1 (docs/network.md).
//
//   httpd [-p PORT] [-n COUNT] [DIR]   port 80, forever (COUNT 0), DIR "/"
//
// One connection at a time: it reads the request head (at most 4 KiB),
// answers GET and HEAD for a file under DIR (a path with a ".." component
// is refused; "/" and directories serve their index.html if there is one,
// else a listing), with Content-Length and Connection: close, then closes.
// 400 for a request it cannot parse, 404 for no such file, 405 for another
// method. One log line per request on standard output.
#include "user.h"
#include "net.h"

static char head[4096];
static char body[8192];
static char path[256];

static void reply_head(int c, int code, const char *reason, const char *type, long length) {
  char h[256];
  int n = snprintf(h, sizeof h, "HTTP/1.1 %d %s\r\nServer: keel-httpd\r\nContent-Type: %s\r\nContent-Length: %ld\r\nConnection: close\r\n\r\n",
                   code, reason, type, length);
  send(c, h, n);
}

static void reply_text(int c, int code, const char *reason, int with_body) {
  char t[128];
  int n = snprintf(t, sizeof t, "%d %s\n", code, reason);
  reply_head(c, code, reason, "text/plain", n);
  if (with_body) send(c, t, n);
}

static const char *content_type(const char *p) {
  const char *dot = strrchr(p, '.');
  if (dot && (strcmp(dot, ".html") == 0 || strcmp(dot, ".htm") == 0)) return "text/html";
  if (dot && strcmp(dot, ".txt") == 0) return "text/plain";
  if (!dot && strchr(p, '/') && strcmp(strrchr(p, '/'), "/README") == 0) return "text/plain";
  return "application/octet-stream";
}

// Reads the request head into `head`; returns its length, or -1.
static int read_head(int c) {
  int n = 0;
  while (n < (int)sizeof head - 1) {
    int k = recv(c, head + n, (int)sizeof head - 1 - n);
    if (k <= 0) return -1;
    n += k;
    head[n] = 0;
    if (strstr(head, "\r\n\r\n") || strstr(head, "\n\n")) return n;
  }
  return -1;
}

// The listing of directory fd, as text.
static void listing(int c, int fd, const char *shown, int with_body) {
  static char text[8192];
  int n = snprintf(text, sizeof text, "Index of %s\n", shown);
  struct dirent d;
  while (read(fd, &d, sizeof d) == sizeof d) {
    if (d.inum == 0) continue;
    char name[DIRSIZ + 1];
    memcpy(name, d.name, DIRSIZ);
    name[DIRSIZ] = 0;
    if (n < (int)sizeof text - 32) n += snprintf(text + n, sizeof text - (size_t)n, "%s\n", name);
  }
  reply_head(c, 200, "OK", "text/plain", n);
  if (with_body) send(c, text, n);
}

static int serve(int c, const char *root, const char *peer) {
  if (read_head(c) < 0) { reply_text(c, 400, "Bad Request", 1); printf("httpd: %s (bad request) 400\n", peer); return 400; }
  char *sp1 = strchr(head, ' ');
  char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : 0;
  if (!sp1 || !sp2 || strncmp(sp2 + 1, "HTTP/1.", 7) != 0 || sp1[1] != '/') {
    reply_text(c, 400, "Bad Request", 1);
    printf("httpd: %s (bad request) 400\n", peer);
    return 400;
  }
  *sp1 = 0;
  *sp2 = 0;
  char *target = sp1 + 1;
  char *q = strchr(target, '?');
  if (q) *q = 0;
  int get = strcmp(head, "GET") == 0, is_head = strcmp(head, "HEAD") == 0;
  if (!get && !is_head) {
    reply_text(c, 405, "Method Not Allowed", 1);
    printf("httpd: %s %s %s 405\n", peer, head, target);
    return 405;
  }
  if (strstr(target, "/..") || strlen(root) + strlen(target) + 12 > sizeof path) {
    reply_text(c, 404, "Not Found", get);
    printf("httpd: %s %s %s 404\n", peer, head, target);
    return 404;
  }
  snprintf(path, sizeof path, "%s%s", strcmp(root, "/") == 0 ? "" : root, target);
  int fd = open(path, O_RDONLY);
  struct stat st;
  if (fd >= 0 && fstat(fd, &st) == 0 && st.type == T_DIR) {
    char index[sizeof path + 12];
    snprintf(index, sizeof index, "%s%sindex.html", path, path[strlen(path) - 1] == '/' ? "" : "/");
    int ifd = open(index, O_RDONLY);
    if (ifd < 0) {
      listing(c, fd, target, get);
      close(fd);
      printf("httpd: %s %s %s 200 (listing)\n", peer, head, target);
      return 200;
    }
    close(fd);
    fd = ifd;
    strlcpy(path, index, sizeof path);
    fstat(fd, &st);
  }
  if (fd < 0) {
    reply_text(c, 404, "Not Found", get);
    printf("httpd: %s %s %s 404\n", peer, head, target);
    return 404;
  }
  reply_head(c, 200, "OK", content_type(path), (long)st.size);
  long sent = 0;
  if (get) {
    int n;
    while ((n = read(fd, body, sizeof body)) > 0) {
      int r = send(c, body, n);
      if (r < 0) break;
      sent += n;
    }
  }
  close(fd);
  printf("httpd: %s %s %s 200 %ld\n", peer, head, target, sent);
  return 200;
}

int main(int argc, char **argv) {
  int port = 80, count = 0, i = 1;
  const char *root = "/";
  for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
    if (strcmp(argv[i], "-p") == 0) port = atoi(argv[i + 1]);
    else if (strcmp(argv[i], "-n") == 0) count = atoi(argv[i + 1]);
    else break;
  }
  if (i < argc && argv[i][0] != '-') root = argv[i++];
  if (i != argc || port <= 0 || port > 65535 || count < 0) {
    fprintf(2, "usage: httpd [-p PORT] [-n COUNT] [DIR]\n");
    exit(2);
  }
  int s = socket(SOCK_STREAM), r;
  if (s < 0) { fprintf(2, "httpd: socket: %s\n", sockerr(s)); exit(1); }
  if ((r = bind(s, (uint)port)) < 0 || (r = listen(s, SOCK_BACKLOG_MAX)) < 0) {
    fprintf(2, "httpd: port %d: %s\n", port, sockerr(r));
    exit(1);
  }
  printf("httpd: serving %s on port %d\n", root, port);
  for (int served = 0; count == 0 || served < count; served++) {
    uint from, fport;
    int c = accept(s, &from, &fport);
    if (c < 0) { fprintf(2, "httpd: accept: %s\n", sockerr(c)); exit(1); }
    char peer[16];
    inet_format(from, peer);
    serve(c, root, peer);
    closesocket(c);
  }
  closesocket(s);
  return 0;
}
