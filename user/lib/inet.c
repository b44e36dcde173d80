// Keel user land: IPv4 address text (user/include/net.h), for netd and the
// programs that talk to it.
#include "user.h"
#include "net.h"

// Up to three decimal digits at *p, at most max; advances *p. -1 if none.
static int number(const char **p, int max) {
  int n = 0, digits = 0;
  while (**p >= '0' && **p <= '9' && digits < 4) {
    n = n * 10 + (**p - '0');
    (*p)++;
    digits++;
  }
  if (digits == 0 || digits > 3 || n > max) return -1;
  return n;
}

int inet_parse(const char *text, uint *addr, int *prefix) {
  const char *p = text;
  uint a = 0;
  for (int i = 0; i < 4; i++) {
    int part = number(&p, 255);
    if (part < 0) return -1;
    a = a << 8 | (uint)part;
    if (i < 3 && *p++ != '.') return -1;
  }
  int len = 32;
  if (*p == '/') {
    p++;
    len = number(&p, 32);
    if (len < 0) return -1;
  }
  if (*p != 0) return -1;
  *addr = a;
  if (prefix) *prefix = len;
  else if (len != 32) return -1;
  return 0;
}

void inet_format(uint addr, char *out) {
  snprintf(out, 16, "%d.%d.%d.%d", (int)(addr >> 24), (int)(addr >> 16 & 255), (int)(addr >> 8 & 255), (int)(addr & 255));
}
