// Keel user land: formatted output.
//
// One formatter (format) writes through a sink; vsnprintf's sink fills a
// caller buffer, vfprintf's sink batches into a local buffer and calls
// write() when it fills and at the end, so a short printf reaches the
// console in one write and lines from concurrent processes do not interleave.
//
// Conversions follow C99 for what they support: %d %i %u %x %X %p %s %c %%,
// %f %F %e %E %g %G; length modifiers l, ll, z; flags '-' '0' '+' ' ', and
// '#' for the floating conversions; width and precision as digits or '*'.
// %p prints 0x and lowercase hex digits; a NULL %s prints "(null)". An
// unknown conversion is copied through as written.
//
// The floating conversions are built into the rv64gc/lp64d variant of the
// library (and the host build the tests use), not into the soft-float lp64
// one the xv6-ABI programs link: there they would only add 5 KiB to every
// program. In lp64 a floating conversion consumes its argument and is
// printed as written. They work from the double's bits with integer
// arithmetic only (no floating-point instruction or run-time helper): the exact decimal
// expansion of the value (every double has a finite one, at most 1090
// digits) is generated into a static buffer, then rounded to the requested
// digits, ties to even, exactly as glibc does in the default rounding mode.
// The buffer makes them not reentrant (a signal handler that prints a
// double while the interrupted code does prints garbage for one of them).
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
  int alt;       // '#' (floating conversions only)
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

// ---- Floating point ------------------------------------------------------------

// The lp64d variant (and any non-RISC-V host build) has the floating conversions.
#if !defined(__riscv) || defined(__riscv_flen)
#define PRINTF_FLOAT 1
#else
#define PRINTF_FLOAT 0
#endif

#if PRINTF_FLOAT

// Longest exact expansion of a double: below 2^53 (16 integer digits) with
// up to 1074 fraction digits, or up to 309 integer digits and no fraction.
#define FP_MAX_DIGITS 1100
#define FP_WORDS 36 // 32-bit words: 1024 integer bits or 1074 fraction bits + room for x10

// The decimal digits of the value being formatted: fp_digit[0..fp_n) with no
// leading zero, worth 0.d0d1d2... x 10^fp_point. fp_n == 0 for zero.
static char fp_digit[FP_MAX_DIGITS];
static int fp_n, fp_point;

// Exact expansion of mant x 2^e2 (mant < 2^53).
static void fp_expand(uint64 mant, int e2) {
  static uint w[FP_WORDS];
  static char ibuf[FP_MAX_DIGITS];
  memset(w, 0, sizeof w);
  int in = 0; // integer digits, least significant first, in ibuf
  int fn = 0; // fraction digits, straight into fp_digit after the integer part
  if (e2 >= 0) {
    // mant << e2 as a big integer, then repeated division by 10^9.
    int word = e2 / 32, bit = e2 % 32;
    // mant covers bits [e2, e2 + 53): at most three words.
    w[word] = (uint)(mant << bit);
    uint64 hi = bit == 0 ? mant >> 32 : mant >> (32 - bit);
    w[word + 1] = (uint)hi;
    w[word + 2] = (uint)(hi >> 32);
    int top = word + 2;
    while (top >= 0 && w[top] == 0) top--;
    while (top >= 0) {
      uint64 rem = 0;
      for (int i = top; i >= 0; i--) {
        uint64 cur = (rem << 32) | w[i];
        w[i] = (uint)(cur / 1000000000u);
        rem = cur % 1000000000u;
      }
      while (top >= 0 && w[top] == 0) top--;
      for (int k = 0; k < 9 && (top >= 0 || rem > 0); k++) {
        ibuf[in++] = (char)('0' + rem % 10);
        rem /= 10;
      }
    }
  } else {
    int k = -e2;
    uint64 ip = k >= 64 ? 0 : mant >> k;
    while (ip > 0) {
      ibuf[in++] = (char)('0' + ip % 10);
      ip /= 10;
    }
    // The fraction mant mod 2^k, a big integer over a denominator of 2^k.
    uint64 frac = k >= 64 ? mant : mant & ((1ULL << k) - 1);
    w[0] = (uint)frac;
    w[1] = (uint)(frac >> 32);
    int used = k / 32 + 2; // words that can be non-zero after a x10
    int word = k / 32, bit = k % 32;
    int nonzero = frac != 0;
    for (int d = in; nonzero && d < FP_MAX_DIGITS; d++) {
      uint64 carry = 0;
      for (int i = 0; i < used; i++) {
        uint64 cur = (uint64)w[i] * 10 + carry;
        w[i] = (uint)cur;
        carry = cur >> 32;
      }
      uint64 pair = (uint64)w[word] | ((uint64)w[word + 1] << 32);
      fp_digit[d] = (char)('0' + ((pair >> bit) & 0xf));
      w[word] &= bit == 0 ? 0 : (uint)((1ULL << bit) - 1);
      w[word + 1] = 0;
      fn++;
      nonzero = 0;
      for (int i = 0; i <= word; i++) nonzero |= w[i] != 0;
    }
  }
  for (int i = 0; i < in; i++) fp_digit[i] = ibuf[in - 1 - i];
  // Drop leading zeros (a value below one has no integer digits and may
  // start its fraction with zeros) and trailing ones.
  int n = in + fn, point = in, lead = 0;
  while (lead < n && fp_digit[lead] == '0') lead++;
  if (lead > 0) {
    memmove(fp_digit, fp_digit + lead, (size_t)(n - lead));
    n -= lead;
    point -= lead;
  }
  while (n > 0 && fp_digit[n - 1] == '0') n--;
  fp_n = n;
  fp_point = n == 0 ? 0 : point;
}

// Rounds to the first `keep` digits (keep may be <= 0: only the integer
// power above the first digit survives), ties to even.
static void fp_round(int keep) {
  if (keep >= fp_n) return;
  if (keep < 0) { fp_n = 0, fp_point = 0; return; }
  char first = fp_digit[keep];
  int up;
  if (first != '5') up = first > '5';
  else if (keep + 1 < fp_n) up = 1; // fp_n has no trailing zeros: something follows
  else up = keep > 0 && ((fp_digit[keep - 1] - '0') & 1);
  fp_n = keep;
  if (up) {
    int i = keep - 1;
    while (i >= 0 && fp_digit[i] == '9') i--;
    if (i < 0) {
      fp_digit[0] = '1';
      fp_n = 1;
      fp_point++;
    } else {
      fp_digit[i]++;
      fp_n = i + 1;
    }
  }
  while (fp_n > 0 && fp_digit[fp_n - 1] == '0') fp_n--;
  if (fp_n == 0) fp_point = 0;
}

static char fp_at(int i) { return i >= 0 && i < fp_n ? fp_digit[i] : '0'; }

// The pieces of one conversion, counted first so width can be honoured.
struct fp_out {
  int int_digits;  // %f style: digits before the point (at least one); %e: one
  int frac_digits; // digits after the point
  int point;       // whether the '.' is printed
  int exp;         // %e style: the exponent, else unused
  int exp_style;
};

static void floating(struct sink *s, struct spec *sp, uint64 bits, char conv) {
  int upper = conv == 'F' || conv == 'E' || conv == 'G';
  char lower = (char)(conv | 0x20);
  int negative = (int)(bits >> 63);
  int biased = (int)((bits >> 52) & 0x7ff);
  uint64 frac = bits & ((1ULL << 52) - 1);
  char sign[2] = {0, 0};
  if (negative) sign[0] = '-';
  else if (sp->plus) sign[0] = '+';
  else if (sp->space) sign[0] = ' ';
  if (biased == 0x7ff) {
    sp->zero = 0; // C pads infinities and NaNs with spaces
    emit(s, sp, sign, frac == 0 ? (upper ? "INF" : "inf") : (upper ? "NAN" : "nan"), 3, 0);
    return;
  }
  if (biased == 0) fp_expand(frac, -1074);
  else fp_expand(frac | (1ULL << 52), biased - 1075);

  int precision = sp->precision < 0 ? 6 : sp->precision;
  struct fp_out o = {0, 0, 0, 0, 0};
  if (lower == 'g') {
    int p = precision == 0 ? 1 : precision;
    fp_round(p);
    int x = fp_n == 0 ? 0 : fp_point - 1;
    if (x < p && x >= -4) {
      o.frac_digits = p - 1 - x;
    } else {
      o.exp_style = 1;
      o.frac_digits = p - 1;
    }
    if (!sp->alt) {
      // Trailing zeros go, and the point with them if nothing is left.
      int significant = o.exp_style ? fp_n - 1 : fp_n - fp_point;
      if (significant < 0) significant = 0;
      if (o.frac_digits > significant) o.frac_digits = significant;
    }
  } else if (lower == 'e') {
    fp_round(precision + 1);
    o.exp_style = 1;
    o.frac_digits = precision;
  } else {
    fp_round(fp_point + precision);
    o.frac_digits = precision;
  }
  if (o.exp_style) {
    o.int_digits = 1;
    o.exp = fp_n == 0 ? 0 : fp_point - 1;
  } else {
    o.int_digits = fp_point > 0 ? fp_point : 1;
  }
  o.point = o.frac_digits > 0 || sp->alt;

  // The exponent suffix: e, its sign, at least two digits.
  char suffix[8];
  int slen = 0;
  if (o.exp_style) {
    int e = o.exp < 0 ? -o.exp : o.exp;
    suffix[slen++] = upper ? 'E' : 'e';
    suffix[slen++] = o.exp < 0 ? '-' : '+';
    char rev[4];
    int r = 0;
    do rev[r++] = (char)('0' + e % 10), e /= 10; while (e > 0);
    if (r < 2) rev[r++] = '0';
    while (r > 0) suffix[slen++] = rev[--r];
  }
  int plen = sign[0] ? 1 : 0;
  long long len = (long long)plen + o.int_digits + o.point + o.frac_digits + slen;
  long long pad = sp->width > len ? sp->width - len : 0;
  if (!sp->left && !sp->zero) repeat(s, ' ', (int)pad);
  if (plen) put(s, sign[0]);
  if (!sp->left && sp->zero) repeat(s, '0', (int)pad);
  // Digit i of the expansion sits at 10^(fp_point - 1 - i).
  int first = o.exp_style ? 0 : fp_point - o.int_digits;
  for (int i = 0; i < o.int_digits; i++) put(s, fp_at(first + i));
  if (o.point) put(s, '.');
  for (int i = 0; i < o.frac_digits; i++) put(s, fp_at(first + o.int_digits + i));
  for (int i = 0; i < slen; i++) put(s, suffix[i]);
  if (sp->left) repeat(s, ' ', (int)pad);
}
#endif // PRINTF_FLOAT

static void format(struct sink *s, const char *fmt, va_list ap) {
  for (; *fmt; fmt++) {
    if (*fmt != '%') {
      put(s, *fmt);
      continue;
    }
    const char *start = fmt++;
    struct spec sp = {0, 0, 0, 0, 0, 0, -1};
    for (;; fmt++) {
      if (*fmt == '-') sp.left = 1;
      else if (*fmt == '0') sp.zero = 1;
      else if (*fmt == '+') sp.plus = 1;
      else if (*fmt == ' ') sp.space = 1;
      else if (*fmt == '#') sp.alt = 1;
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
    case 'f':
    case 'F':
    case 'e':
    case 'E':
    case 'g':
    case 'G': {
      double v = va_arg(ap, double);
#if PRINTF_FLOAT
      uint64 bits;
      memcpy(&bits, &v, sizeof bits);
      floating(s, &sp, bits, *fmt);
#else
      (void)v; // lp64 variant: consumed, printed as written
      for (const char *p = start; p <= fmt; p++) put(s, *p);
#endif
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
