// Keel user land: formatted output.
//
// One formatter (format) writes through a sink; vsnprintf's sink fills a
// caller buffer, vfprintf's sink batches into a local buffer and calls
// write() when it fills and at the end, so a short printf reaches the
// console in one write and lines from concurrent processes do not interleave.
//
// Conversions follow C99 for what they support: %d %i %u %x %X %p %s %c %%;
// length modifiers l, ll, z; flags '-' '0' '+' ' '; width and precision as
// digits or '*'. %p prints 0x and lowercase hex digits; a NULL %s prints
// "(null)". An unknown conversion is copied through as written.
#include "user.h"

#define FD_BUFFER 256

struct sink {
  char *buf;      // snprintf: destination
  size_t size;    // snprintf: capacity including the NUL
  int fd;         // fprintf: destination descriptor, or -1 for snprintf
  int failed;     // fprintf: a write failed
  size_t count;   // characters produced so far (also the snprintf cursor)
  size_t pending; // fprintf: bytes waiting in local
  char local[FD_BUFFER];
};

static void flush(struct sink *s) {
  if (s->fd >= 0 && s->pending > 0) {
    if (write(s->fd, s->local, (int)s->pending) != (int)s->pending) s->failed = 1;
    s->pending = 0;
  }
}

static void put(struct sink *s, char c) {
  if (s->fd < 0) {
    if (s->count + 1 < s->size) s->buf[s->count] = c;
  } else {
    if (s->pending == FD_BUFFER) flush(s);
    s->local[s->pending++] = c;
  }
  s->count++;
}

static void repeat(struct sink *s, char c, int n) {
  for (; n > 0; n--) put(s, c);
}

// A conversion's flags, width and precision, as parsed from the format.
struct spec {
  int left;      // '-'
  int zero;      // '0'
  int plus;      // '+'
  int space;     // ' '
  int width;     // 0 when absent
  int precision; // -1 when absent
};

// Emits body (len bytes) after a prefix ("-", "0x", ...), honouring width,
// zero padding and, for numbers, the minimum digit count in precision.
static void emit(struct sink *s, const struct spec *sp, const char *prefix, const char *body, int len, int digits) {
  int plen = (int)strlen(prefix);
  int zeros = digits > len ? digits - len : 0;
  int pad = sp->width - plen - zeros - len;
  if (pad < 0) pad = 0;
  if (!sp->left && !sp->zero) repeat(s, ' ', pad);
  for (const char *p = prefix; *p; p++) put(s, *p);
  if (!sp->left && sp->zero) repeat(s, '0', pad);
  repeat(s, '0', zeros);
  for (int i = 0; i < len; i++) put(s, body[i]);
  if (sp->left) repeat(s, ' ', pad);
}

static void number(struct sink *s, struct spec *sp, unsigned long long value, int negative, int base, int upper,
                   const char *prefix) {
  char digits[24];
  const char *alphabet = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  int len = 0;
  while (value > 0) {
    digits[sizeof digits - 1 - len++] = alphabet[value % (unsigned)base];
    value /= (unsigned)base;
  }
  // C: with an explicit precision the '0' flag is ignored, and a zero value
  // with precision 0 prints no digits at all.
  int min = 1;
  if (sp->precision >= 0) {
    sp->zero = 0;
    min = sp->precision;
  }
  char sign[4] = {0};
  if (negative) sign[0] = '-';
  else if (sp->plus) sign[0] = '+';
  else if (sp->space) sign[0] = ' ';
  if (*prefix) strcpy(sign + strlen(sign), prefix);
  emit(s, sp, sign, digits + sizeof digits - len, len, min);
}

static void format(struct sink *s, const char *fmt, va_list ap) {
  for (; *fmt; fmt++) {
    if (*fmt != '%') {
      put(s, *fmt);
      continue;
    }
    const char *start = fmt++;
    struct spec sp = {0, 0, 0, 0, 0, -1};
    for (;; fmt++) {
      if (*fmt == '-') sp.left = 1;
      else if (*fmt == '0') sp.zero = 1;
      else if (*fmt == '+') sp.plus = 1;
      else if (*fmt == ' ') sp.space = 1;
      else break;
    }
    if (*fmt == '*') {
      sp.width = va_arg(ap, int);
      if (sp.width < 0) sp.left = 1, sp.width = -sp.width;
      fmt++;
    } else {
      while (isdigit(*fmt)) sp.width = sp.width * 10 + (*fmt++ - '0');
    }
    if (*fmt == '.') {
      fmt++;
      sp.precision = 0;
      if (*fmt == '*') {
        sp.precision = va_arg(ap, int);
        if (sp.precision < 0) sp.precision = -1;
        fmt++;
      } else {
        while (isdigit(*fmt)) sp.precision = sp.precision * 10 + (*fmt++ - '0');
      }
    }
    if (sp.left) sp.zero = 0;
    int longs = 0;  // 0: int, 1: long, 2: long long (both 64-bit here)
    while (*fmt == 'l' || *fmt == 'z') longs++, fmt++;

    switch (*fmt) {
    case 'd':
    case 'i': {
      long long v = longs ? va_arg(ap, long long) : va_arg(ap, int);
      unsigned long long magnitude = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
      number(s, &sp, magnitude, v < 0, 10, 0, "");
      break;
    }
    case 'u':
    case 'x':
    case 'X': {
      unsigned long long v = longs ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned int);
      sp.plus = sp.space = 0;
      number(s, &sp, v, 0, *fmt == 'u' ? 10 : 16, *fmt == 'X', "");
      break;
    }
    case 'p': {
      unsigned long long v = (uint64)va_arg(ap, void *);
      sp.plus = sp.space = 0;
      if (sp.precision < 0) sp.precision = 1;
      number(s, &sp, v, 0, 16, 0, "0x");
      break;
    }
    case 's': {
      const char *str = va_arg(ap, const char *);
      if (str == 0) str = "(null)";
      int len = 0;
      while (str[len] && (sp.precision < 0 || len < sp.precision)) len++;
      sp.zero = 0;
      emit(s, &sp, "", str, len, 0);
      break;
    }
    case 'c': {
      char c = (char)va_arg(ap, int);
      sp.zero = 0;
      emit(s, &sp, "", &c, 1, 0);
      break;
    }
    case '%':
      put(s, '%');
      break;
    default:
      // Unknown or truncated conversion: copy it through unchanged.
      for (const char *p = start; p <= fmt && *p; p++) put(s, *p);
      if (*fmt == 0) return;
      break;
    }
  }
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap) {
  struct sink s;
  s.buf = buf, s.size = size, s.fd = -1, s.failed = 0, s.count = 0, s.pending = 0;
  format(&s, fmt, ap);
  if (size > 0) buf[s.count < size ? s.count : size - 1] = 0;
  return (int)s.count;
}

int snprintf(char *buf, size_t size, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, size, fmt, ap);
  va_end(ap);
  return n;
}

int vfprintf(int fd, const char *fmt, va_list ap) {
  struct sink s;
  s.buf = 0, s.size = 0, s.fd = fd, s.failed = 0, s.count = 0, s.pending = 0;
  format(&s, fmt, ap);
  flush(&s);
  return s.failed ? -1 : (int)s.count;
}

int fprintf(int fd, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vfprintf(fd, fmt, ap);
  va_end(ap);
  return n;
}

int vprintf(const char *fmt, va_list ap) { return vfprintf(1, fmt, ap); }

int printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vfprintf(1, fmt, ap);
  va_end(ap);
  return n;
}

int puts(const char *s) { return fprintf(1, "%s\n", s); }
