// Keel user land: numbers, line input, stat, and error reporting.
#include "user.h"

long strtol(const char *s, char **end, int base) {
  const char *p = s;
  while (isspace(*p)) p++;
  int negative = 0;
  if (*p == '+' || *p == '-') negative = *p++ == '-';
  if ((base == 0 || base == 16) && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && isxdigit(p[2])) {
    p += 2;
    base = 16;
  } else if (base == 0) {
    base = p[0] == '0' ? 8 : 10;
  }
  unsigned long value = 0;
  const char *digits = p;
  for (;; p++) {
    int d;
    if (isdigit(*p)) d = *p - '0';
    else if (isalpha(*p)) d = tolower(*p) - 'a' + 10;
    else break;
    if (d >= base) break;
    value = value * (unsigned)base + (unsigned)d;
  }
  if (end) *end = (char *)(p == digits ? s : p);
  return negative ? -(long)value : (long)value;
}

int atoi(const char *s) { return (int)strtol(s, 0, 10); }

// Reads one line (up to max-1 bytes) a byte at a time, so that nothing past
// the newline is consumed from a shared descriptor. Stores the newline if it
// fits, always NUL-terminates, and returns the bytes stored: 0 at end of
// input, -1 on a read error with nothing stored.
int getline(int fd, char *buf, int max) {
  int n = 0;
  if (max <= 0) return -1;
  while (n + 1 < max) {
    char c;
    int r = read(fd, &c, 1);
    if (r < 0 && n == 0) {
      buf[0] = 0;
      return -1;
    }
    if (r <= 0) break;
    buf[n++] = c;
    if (c == '\n') break;
  }
  buf[n] = 0;
  return n;
}

int stat(const char *path, struct stat *st) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  int r = fstat(fd, st);
  close(fd);
  return r;
}

// The reason the kernel gave for this process's last failed call, or a
// generic phrase when it gives none.
const char *lasterror(void) {
  static char reason[128];
  int n = errstr(reason, sizeof reason);
  if (n <= 0 || reason[0] == 0) return "failed";
  reason[sizeof reason - 1] = 0;
  return reason;
}

void perr(const char *msg) { fprintf(2, "%s: %s\n", msg, lasterror()); }

void fail(const char *msg) {
  perr(msg);
  exit(1);
}
