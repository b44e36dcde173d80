// Keel user land: host names to IPv4 addresses (net.h "resolve",
// docs/network.md "Names"). In order: an address written as one
// ("10.0.0.2"), the static names in /etc/hosts, then one DNS question (RFC
// 1035, type A) over UDP to the DNS server netd learned by DHCP, asked three
// times a second apart. Every failure is its own code, so a program can say
// which (no such name, no DNS server, no answer).
#include "user.h"
#include "services.h"
#include "net.h"

#define DNS_PORT 53
#define DNS_TRIES 3
#define DNS_WAIT_MS 1000
#define HOSTS_FILE "/etc/hosts"
#define HOSTS_MAX 4096

// Host-name syntax (RFC 1123): labels of letters, digits and '-', 1..63
// bytes each, 253 in all, no label starting or ending with '-'.
static int valid_name(const char *name) {
  int total = 0, label = 0;
  char prev = '.';
  for (const char *p = name; *p; p++, total++) {
    char c = *p;
    if (c == '.') {
      if (label == 0 || prev == '-') return 0;
      label = 0;
    } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-') {
      if (c == '-' && label == 0) return 0;
      if (++label > 63) return 0;
    } else {
      return 0;
    }
    prev = c;
  }
  return total > 0 && total <= 253 && prev != '-';
}

static int same_name(const char *a, const char *b, int blen) {
  int i = 0;
  for (; i < blen && a[i]; i++)
    if (tolower(a[i]) != tolower(b[i])) return 0;
  return i == blen && a[i] == 0;
}

// /etc/hosts: lines "ADDRESS NAME [NAME...]", '#' to the end of a line a
// comment. 1 and *addr when name is there, 0 when not (or no file).
static int from_hosts(const char *name, uint *addr) {
  static char text[HOSTS_MAX + 1];
  int fd = open(HOSTS_FILE, O_RDONLY);
  if (fd < 0) return 0;
  int n = 0, k;
  while (n < HOSTS_MAX && (k = read(fd, text + n, HOSTS_MAX - n)) > 0) n += k;
  close(fd);
  text[n] = 0;
  for (char *line = text; line < text + n;) {
    char *end = line;
    while (end < text + n && *end != '\n') end++;
    *end = 0;
    char *hash = strchr(line, '#');
    if (hash) *hash = 0;
    // The fields of this line: the first an address, the rest names.
    uint a = 0;
    int field = 0, ok = 0;
    for (char *p = line; *p;) {
      while (*p == ' ' || *p == '\t' || *p == '\r') p++;
      if (!*p) break;
      char *w = p;
      while (*p && *p != ' ' && *p != '\t' && *p != '\r') p++;
      char save = *p;
      *p = 0;
      if (field == 0) ok = inet_parse(w, &a, 0) == 0;
      else if (ok && same_name(name, w, (int)(p - w))) { *addr = a; return 1; }
      *p = save;
      field++;
    }
    line = end + 1;
  }
  return 0;
}

// The DNS server netd learned by DHCP (0: none), or a negative code.
static long dns_server(void) {
  int net = net_capability();
  if (net < 0) return net;
  static struct netstats st;
  struct ipcmsg m;
  long status = net_info(net, &m, &st);
  return status != SVC_OK ? status : (long)(uint)st.dns;
}

static uint get16(const uchar *p) { return (uint)p[0] << 8 | p[1]; }

// Past the name at msg[off] (labels or a compression pointer); -1 if it
// runs off the message.
static int skip_name(const uchar *msg, int len, int off) {
  for (int guard = 0; guard < 128; guard++) {
    if (off >= len) return -1;
    uint c = msg[off];
    if (c == 0) return off + 1;
    if ((c & 0xc0) == 0xc0) return off + 2 <= len ? off + 2 : -1;
    if (c & 0xc0) return -1;
    off += 1 + (int)c;
  }
  return -1;
}

// The answer to query id: 0 and *addr, NETD_ERR_NO_NAME, or
// NETD_ERR_DNS_BAD (malformed, or a server failure), or 1 (not ours: wait on).
static int parse_answer(const uchar *msg, int len, uint id, uint *addr) {
  if (len < 12 || get16(msg) != id || !(msg[2] & 0x80)) return 1;
  int rcode = msg[3] & 15;
  if (rcode == 3) return NETD_ERR_NO_NAME;
  if (rcode != 0) return NETD_ERR_DNS_BAD;
  uint qd = get16(msg + 4), an = get16(msg + 6);
  int off = 12;
  for (uint i = 0; i < qd; i++) {
    off = skip_name(msg, len, off);
    if (off < 0 || off + 4 > len) return NETD_ERR_DNS_BAD;
    off += 4;
  }
  for (uint i = 0; i < an; i++) {
    off = skip_name(msg, len, off);
    if (off < 0 || off + 10 > len) return NETD_ERR_DNS_BAD;
    uint type = get16(msg + off), klass = get16(msg + off + 2), rdlen = get16(msg + off + 8);
    off += 10;
    if (off + (int)rdlen > len) return NETD_ERR_DNS_BAD;
    if (type == 1 && klass == 1 && rdlen == 4) {
      *addr = (uint)msg[off] << 24 | (uint)msg[off + 1] << 16 | (uint)msg[off + 2] << 8 | msg[off + 3];
      return 0;
    }
    off += (int)rdlen;  // a CNAME or another type: the A record may follow
  }
  return NETD_ERR_NO_NAME;  // the name exists, but has no IPv4 address
}

static int ask_dns(const char *name, uint server, uint *addr) {
  static uchar q[300], a[1500];
  uint id = (uint)(clocknanos() ^ (uint64)getpid() << 7) & 0xffff;
  int n = 0;
  q[n++] = (uchar)(id >> 8); q[n++] = (uchar)id;
  q[n++] = 1; q[n++] = 0;  // a standard query, recursion desired
  q[n++] = 0; q[n++] = 1;  // one question
  for (int i = 0; i < 6; i++) q[n++] = 0;
  for (const char *p = name; *p;) {
    const char *dot = strchr(p, '.');
    int l = dot ? (int)(dot - p) : (int)strlen(p);
    q[n++] = (uchar)l;
    memcpy(q + n, p, (size_t)l);
    n += l;
    p += l;
    if (*p == '.') p++;
  }
  q[n++] = 0;
  q[n++] = 0; q[n++] = 1;  // type A
  q[n++] = 0; q[n++] = 1;  // class IN
  int s = socket(SOCK_DGRAM);
  if (s < 0) return s;
  int result = NETD_ERR_DNS_TIMEOUT;
  for (int t = 0; t < DNS_TRIES && result == NETD_ERR_DNS_TIMEOUT; t++) {
    int r = sendto(s, q, n, server, DNS_PORT);
    if (r < 0) { result = r; break; }
    uint64 deadline = clocknanos() + (uint64)DNS_WAIT_MS * 1000000;
    for (;;) {
      uint64 now = clocknanos();
      if (now >= deadline) break;
      struct pollfd p = { s, POLLIN, 0 };
      int ms = (int)((deadline - now + 999999) / 1000000);
      if (poll(&p, 1, ms) <= 0) continue;
      uint from, port;
      int k = recvfrom(s, a, sizeof a, &from, &port);
      if (k < 0) { result = k; break; }
      if (from != server || port != DNS_PORT) continue;
      int v = parse_answer(a, k, id, addr);
      if (v != 1) { result = v; break; }
    }
  }
  closesocket(s);
  return result;
}

int resolve(const char *name, uint *addr) {
  if (inet_parse(name, addr, 0) == 0) return 0;
  if (!valid_name(name)) return NETD_ERR_BAD_NAME;
  if (from_hosts(name, addr)) return 0;
  long server = dns_server();
  if (server < 0) return (int)server;
  if (server == 0) return NETD_ERR_NO_DNS;
  return ask_dns(name, (uint)server, addr);
}
