// Host test driver for the portable parts of user/lib (see user/ulib.test.ts).
//
// Built with the host's clang together with user/lib/{string,ctype,printf,
// malloc,stdlib,regex,shparse}.c, which are compiled with -include
// host-rename.h so their functions are ulib_*. This file uses the host C
// library for its own I/O and provides the few system calls the library
// needs (write, read, sbrk over a fake arena, ...).
//
//   driver printf    lines "SIZE\tTYPE\tVALUE\tFORMAT" -> "RET\tSNPRINTF\tFPRINTF"
//   driver fp        lines "HEXBITS\tFORMAT" (one double conversion) ->
//                    "RET\tOURS\tHOSTRET\tHOST" (ours by snprintf, checked
//                    equal to fprintf's; the host's by its own snprintf)
//   driver malloc    one operation per line (see run_malloc); prints "ok" or an error
//   driver grep      lines "PATTERN\tTEXT" -> "1" or "0"
//   driver parse     command lines -> canonical form or "error: MESSAGE"
//   driver strings SEED COUNT   differential test of string functions against libc
//   driver getline MAX          reads stdin with ulib_getline, one "LEN:TEXT" per line
//   driver rledit COLS          the line editor (rledit.c): stdin is a count
//                    line, that many history lines, then key bytes; prints
//                    "P HEXPROMPT" when a line starts and, per byte,
//                    "S RESULT POS HEXBUF HEXOUT" (Tab completes from a
//                    fixed list of names, see run_rledit)
//   driver sync THREADS ROUNDS  sync.c's mutex, condition variable and barrier
//                    under THREADS real host threads (pthreads over Linux's
//                    futex): prints "counter N", "queue SUM ORDERED",
//                    "barrier BAD LAST" (see run_sync)
#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "../include/rledit.h"

// ---- the library under test ----
int ulib_snprintf(char *buf, size_t size, const char *fmt, ...);
int ulib_fprintf(int fd, const char *fmt, ...);
void *ulib_malloc(size_t n);
void ulib_free(void *p);
void *ulib_realloc(void *p, size_t n);
void *ulib_calloc(size_t count, size_t size);
const char *ulib_malloc_check(void);
struct ulib_malloc_stats {
  uint64_t arena_bytes, free_bytes, free_blocks;
};
void ulib_malloc_stats(struct ulib_malloc_stats *out);
int ulib_re_match(const char *re, const char *text);
int ulib_getline(int fd, char *buf, int max);
int ulib_atoi(const char *s);
long ulib_strtol(const char *s, char **end, int base);
size_t ulib_strlen(const char *s);
int ulib_strcmp(const char *a, const char *b);
int ulib_strncmp(const char *a, const char *b, size_t n);
char *ulib_strcpy(char *dst, const char *src);
char *ulib_strncpy(char *dst, const char *src, size_t n);
size_t ulib_strlcpy(char *dst, const char *src, size_t size);
char *ulib_strcat(char *dst, const char *src);
char *ulib_strchr(const char *s, int c);
char *ulib_strrchr(const char *s, int c);
char *ulib_strstr(const char *h, const char *n);
void *ulib_memset(void *d, int c, size_t n);
void *ulib_memcpy(void *d, const void *s, size_t n);
void *ulib_memmove(void *d, const void *s, size_t n);
int ulib_memcmp(const void *a, const void *b, size_t n);
void *ulib_memchr(const void *s, int c, size_t n);
struct sh_job;
int ulib_sh_parse(const char *line, char *arena, size_t arena_size, struct sh_job **jobs, char *err, size_t errlen);
int ulib_sh_format(const struct sh_job *jobs, char *buf, size_t size);

// sync.c's types, as user.h lays them out.
typedef struct { volatile unsigned v; } ulib_mutex_t;
typedef struct { volatile unsigned seq; } ulib_cond_t;
typedef struct { ulib_mutex_t m; ulib_cond_t c; unsigned count, n, generation; } ulib_barrier_t;
void ulib_mutex_lock(ulib_mutex_t *m);
void ulib_mutex_unlock(ulib_mutex_t *m);
int ulib_mutex_trylock(ulib_mutex_t *m);
void ulib_cond_wait(ulib_cond_t *c, ulib_mutex_t *m);
void ulib_cond_signal(ulib_cond_t *c);
void ulib_cond_broadcast(ulib_cond_t *c);
void ulib_barrier_init(ulib_barrier_t *b, unsigned n);
int ulib_barrier_wait(ulib_barrier_t *b);

// ---- system calls the library uses ----

// Keel's futex calls on Linux's: user/test/host-futex.c, linked in.

// write() to fd 1 is captured so fprintf output can be compared.
static char captured[1 << 16];
static size_t captured_len;

int ulib_write(int fd, const void *buf, int n) {
  if (fd == 1) {
    if (captured_len + (size_t)n > sizeof captured) return -1;
    memcpy(captured + captured_len, buf, (size_t)n);
    captured_len += (size_t)n;
    return n;
  }
  return (int)write(fd, buf, (size_t)n);
}
int ulib_read(int fd, void *buf, int n) { return (int)read(fd, buf, (size_t)n); }
int ulib_open(const char *path, int flags) { (void)path, (void)flags; return -1; }
int ulib_close(int fd) { (void)fd; return -1; }
int ulib_fstat(int fd, void *st) { (void)fd, (void)st; return -1; }
int ulib_errstr(char *buf, int n) { return snprintf(buf, (size_t)n, "host stub"); }
__attribute__((noreturn)) void ulib_exit(int status) {
  fprintf(stderr, "library called exit(%d)\n", status);
  fflush(stdout);
  _exit(3);
}

// A fake break over a static arena; `limit` makes sbrk fail beyond a size.
#define ARENA_BYTES (64 << 20)
static _Alignas(4096) char arena[ARENA_BYTES];
static size_t brk_used, brk_limit = ARENA_BYTES;
static int sbrk_calls;

char *ulib_sbrk(int n) {
  sbrk_calls++;
  if (n < 0 ? (size_t)-(long)n > brk_used : brk_used + (size_t)n > brk_limit) return (char *)-1;
  char *old = arena + brk_used;
  brk_used += (size_t)(long)n;
  return old;
}

// ---- printf ----

static void unescape(char *s) {
  char *d = s;
  for (; *s; s++) {
    if (*s == '\\' && s[1] == 't') *d++ = '\t', s++;
    else if (*s == '\\' && s[1] == 'n') *d++ = '\n', s++;
    else if (*s == '\\' && s[1] == '\\') *d++ = '\\', s++;
    else *d++ = *s;
  }
  *d = 0;
}

static int run_printf(void) {
  static char line[4096], out[4096];
  while (fgets(line, sizeof line, stdin)) {
    line[strcspn(line, "\n")] = 0;
    // Split on the first three tabs; fields may be empty.
    char *size_s = line, *type = 0, *value = 0, *fmt = 0, *cut;
    if ((cut = strchr(size_s, '\t'))) *cut = 0, type = cut + 1;
    if (type && (cut = strchr(type, '\t'))) *cut = 0, value = cut + 1;
    if (value && (cut = strchr(value, '\t'))) *cut = 0, fmt = cut + 1;
    if (!size_s || !type || !value || !fmt) {
      printf("bad input\n");
      return 1;
    }
    unescape(fmt);
    size_t size = strtoul(size_s, 0, 10);
    int ret = 0, fret = 0;
    captured_len = 0;
    memset(out, '#', sizeof out);
    switch (type[0]) {
#define BOTH(arg)                                   \
  ret = ulib_snprintf(out, size, fmt, arg);         \
  fret = ulib_fprintf(1, fmt, arg)
    case 'i': BOTH((int)strtol(value, 0, 10)); break;
    case 'u': BOTH((unsigned)strtoul(value, 0, 10)); break;
    case 'l': BOTH((long)strtoll(value, 0, 10)); break;
    case 'U': BOTH((unsigned long)strtoull(value, 0, 10)); break;
    case 'c': BOTH((int)value[0]); break;
    case 's': unescape(value); BOTH(strcmp(value, "(NULL)") == 0 ? (char *)0 : value); break;
    case 'p': BOTH((void *)(uintptr_t)strtoull(value, 0, 10)); break;
    case 'w': {  // '*' width then an int
      char *comma = strchr(value, ',');
      ret = ulib_snprintf(out, size, fmt, atoi(value), atoi(comma + 1));
      fret = ulib_fprintf(1, fmt, atoi(value), atoi(comma + 1));
      break;
    }
    default:  // the format alone, no arguments
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wformat-security"
      ret = ulib_snprintf(out, size, fmt);
      fret = ulib_fprintf(1, fmt);
#pragma clang diagnostic pop
      break;
#undef BOTH
    }
    // snprintf must not write past size, and must terminate within it.
    if (size < sizeof out && out[size] != '#') {
      printf("overflow\n");
      return 1;
    }
    if (size > 0 && memchr(out, 0, size) == 0) {
      printf("unterminated\n");
      return 1;
    }
    if (fret != (int)captured_len) {
      printf("fprintf returned %d for %zu bytes\n", fret, captured_len);
      return 1;
    }
    printf("%d\t%s\t%.*s\n", ret, size > 0 ? out : "", (int)captured_len, captured);
  }
  return 0;
}

// ---- floating-point printf against the host's ----

static int run_fp(void) {
  static char line[4096], ours[8192], host[8192];
  while (fgets(line, sizeof line, stdin)) {
    line[strcspn(line, "\n")] = 0;
    char *fmt = strchr(line, '\t');
    if (!fmt) {
      printf("bad input\n");
      return 1;
    }
    *fmt++ = 0;
    uint64_t bits = strtoull(line, 0, 16);
    double v;
    memcpy(&v, &bits, sizeof v);
    captured_len = 0;
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wformat-nonliteral"
    int ret = ulib_snprintf(ours, sizeof ours, fmt, v);
    int fret = ulib_fprintf(1, fmt, v);
    int hret = snprintf(host, sizeof host, fmt, v);
#pragma clang diagnostic pop
    if (fret != ret || captured_len != (size_t)ret || memcmp(captured, ours, captured_len) != 0) {
      printf("fprintf gave %d bytes, snprintf %d\n", fret, ret);
      return 1;
    }
    printf("%d\t%s\t%d\t%s\n", ret, ours, hret, host);
  }
  return 0;
}

// ---- malloc ----

struct live {
  unsigned char *p;
  size_t size;
  unsigned char fill;
};
static struct live blocks[4096];
static int nblocks;

static int cmp_live(const void *a, const void *b) {
  const struct live *x = a, *y = b;
  return x->p < y->p ? -1 : x->p > y->p;
}

static const char *verify(void) {
  static char why[200];
  for (int i = 0; i < nblocks; i++) {
    struct live *b = &blocks[i];
    if ((uintptr_t)b->p & 15) return "block not 16-byte aligned";
    if ((char *)b->p < arena || (char *)b->p + b->size > arena + brk_used) return "block outside the sbrk area";
    for (size_t k = 0; k < b->size; k++)
      if (b->p[k] != b->fill) {
        snprintf(why, sizeof why, "block %d (size %zu) byte %zu overwritten", i, b->size, k);
        return why;
      }
  }
  static struct live sorted[4096];
  memcpy(sorted, blocks, sizeof(struct live) * (size_t)nblocks);
  qsort(sorted, (size_t)nblocks, sizeof sorted[0], cmp_live);
  for (int i = 1; i < nblocks; i++)
    if (sorted[i - 1].p + sorted[i - 1].size > sorted[i].p) return "live blocks overlap";
  const char *problem = ulib_malloc_check();
  if (problem) return problem;
  return 0;
}

// Operations, one per line:
//   a SIZE         malloc(SIZE), fill with a fresh byte
//   c COUNT SIZE   calloc, check zeroed, then fill
//   f I            free live block I mod count
//   r I SIZE       realloc live block I mod count to SIZE, check the kept prefix
//   limit BYTES    make sbrk fail beyond BYTES of arena
//   end            free everything and check the heap is one free block
static int run_malloc(void) {
  char line[256];
  unsigned char next_fill = 1;
  int step = 0;
  while (fgets(line, sizeof line, stdin)) {
    step++;
    char op[16];
    unsigned long x = 0, y = 0;
    int fields = sscanf(line, "%15s %lu %lu", op, &x, &y);
    if (fields < 1) continue;
    if (strcmp(op, "a") == 0 || strcmp(op, "c") == 0) {
      size_t size = op[0] == 'a' ? x : x * y;
      unsigned char *p = op[0] == 'a' ? ulib_malloc(x) : ulib_calloc(x, y);
      if (p == 0) {
        if (brk_used + size + 4096 * 2 < brk_limit && size < (1u << 20)) {
          printf("step %d: malloc(%zu) failed with room left\n", step, size);
          return 1;
        }
        continue;
      }
      if (op[0] == 'c')
        for (size_t k = 0; k < size; k++)
          if (p[k]) {
            printf("step %d: calloc memory not zero\n", step);
            return 1;
          }
      if (nblocks == 4096) {
        ulib_free(p);
        continue;
      }
      blocks[nblocks] = (struct live){p, size, next_fill};
      memset(p, next_fill, size);
      nblocks++;
      next_fill = (unsigned char)(next_fill % 250 + 1);
    } else if (strcmp(op, "f") == 0 && nblocks > 0) {
      int i = (int)(x % (unsigned long)nblocks);
      ulib_free(blocks[i].p);
      blocks[i] = blocks[--nblocks];
    } else if (strcmp(op, "r") == 0 && nblocks > 0) {
      int i = (int)(x % (unsigned long)nblocks);
      unsigned char *p = ulib_realloc(blocks[i].p, y);
      if (y == 0) {
        blocks[i] = blocks[--nblocks];
      } else if (p != 0) {
        size_t keep = blocks[i].size < y ? blocks[i].size : y;
        for (size_t k = 0; k < keep; k++)
          if (p[k] != blocks[i].fill) {
            printf("step %d: realloc lost byte %zu\n", step, k);
            return 1;
          }
        memset(p, blocks[i].fill, y);
        blocks[i].p = p;
        blocks[i].size = y;
      }
    } else if (strcmp(op, "limit") == 0) {
      brk_limit = x < ARENA_BYTES ? x : ARENA_BYTES;
    } else if (strcmp(op, "end") == 0) {
      while (nblocks > 0) ulib_free(blocks[--nblocks].p);
      struct ulib_malloc_stats st;
      ulib_malloc_stats(&st);
      if (st.free_bytes != st.arena_bytes || st.free_blocks > 1) {
        printf("after freeing everything: %llu of %llu bytes free in %llu blocks\n", (unsigned long long)st.free_bytes,
               (unsigned long long)st.arena_bytes, (unsigned long long)st.free_blocks);
        return 1;
      }
    }
    const char *problem = verify();
    if (problem) {
      printf("step %d (%s): %s\n", step, op, problem);
      return 1;
    }
  }
  printf("ok %d steps, %d sbrk calls\n", step, sbrk_calls);
  return 0;
}

// ---- grep and parse ----

static int run_grep(void) {
  static char line[8192];
  while (fgets(line, sizeof line, stdin)) {
    line[strcspn(line, "\n")] = 0;
    char *tab = strchr(line, '\t');
    if (!tab) return 1;
    *tab = 0;
    printf("%d\n", ulib_re_match(line, tab + 1));
  }
  return 0;
}

static int run_parse(void) {
  static char line[8192], out[65536], err[128];
  static char parse_arena[65536];
  while (fgets(line, sizeof line, stdin)) {
    line[strcspn(line, "\n")] = 0;
    unescape(line);
    struct sh_job *jobs;
    if (ulib_sh_parse(line, parse_arena, sizeof parse_arena, &jobs, err, sizeof err) < 0) {
      printf("error: %s\n", err);
    } else {
      ulib_sh_format(jobs, out, sizeof out);
      printf("%s\n", out);
    }
  }
  return 0;
}

// ---- the line editor ----

static void hex(const char *s, int n) {
  if (n == 0) printf("-");
  for (int i = 0; i < n; i++) printf("%02x", (unsigned char)s[i]);
}

// Completion candidates: commands at a command's place, else names of a
// directory (the same for every directory); those starting with the text.
static const char *const rl_commands[] = {"cat", "cd", "echo", "ecko", "sh", "sleep", "spin", 0};
static const char *const rl_paths[] = {"dir", "docs", "file", "f\xc3\xa9", 0};
static const char rl_path_dirs[] = {1, 1, 0, 0};

static void rl_offer(struct rl_edit *e) {
  const char *names[8];
  char dirs[8];
  int n = 0, cmd = rl_word_is_command(e), base = rl_base_start(e);
  const char *const *list = cmd ? rl_commands : rl_paths;
  for (int i = 0; list[i]; i++) {
    if (strncmp(list[i], e->buf + base, e->pos - base) != 0) continue;
    names[n] = list[i];
    dirs[n++] = cmd ? 0 : rl_path_dirs[i];
  }
  rl_complete(e, names, dirs, n);
}

static int run_rledit(int cols) {
  static struct rl_edit e;
  static struct rl_history h;
  static char line[RL_LINE_MAX + 2];
  const char *prompt = "$ ";
  int count = 0;
  if (!fgets(line, sizeof line, stdin)) return 1;
  count = atoi(line);
  for (int i = 0; i < count && fgets(line, sizeof line, stdin); i++) {
    line[strcspn(line, "\n")] = 0;
    rl_history_add(&h, line);
  }
  e.cols = cols;
  e.cols_known = 1;
  rl_begin(&e, prompt, &h);
  printf("P ");
  hex(prompt, strlen(prompt));
  printf("\n");
  int c;
  while ((c = getchar()) != EOF) {
    int r = rl_feed(&e, c);
    if (r == RL_COMPLETE) rl_offer(&e);
    printf("S %d %d ", r, e.pos);
    hex(e.buf, e.len);
    printf(" ");
    hex(e.out, e.outlen);
    printf("\n");
    e.outlen = 0;
    if (r == RL_ACCEPT || r == RL_EOF || r == RL_INTERRUPT) {
      if (r == RL_ACCEPT) rl_history_add(&h, e.buf);
      rl_begin(&e, prompt, &h);
      printf("P ");
      hex(prompt, strlen(prompt));
      printf("\n");
    }
  }
  rl_history_clear(&h);
  return 0;
}

// ---- string functions against libc ----

static uint64_t rng_state;
static uint64_t rnd(void) {
  rng_state ^= rng_state << 13, rng_state ^= rng_state >> 7, rng_state ^= rng_state << 17;
  return rng_state;
}
static int sign(long v) { return (v > 0) - (v < 0); }

#define CHECK(cond, ...)                           \
  do {                                             \
    if (!(cond)) {                                 \
      printf("case %d: ", i);                      \
      printf(__VA_ARGS__);                         \
      printf("\n");                                \
      return 1;                                    \
    }                                              \
  } while (0)

static int run_strings(uint64_t seed, int count) {
  rng_state = seed * 2654435761u + 1;
  static unsigned char a[600], b[600], c[600];
  for (int i = 0; i < count; i++) {
    // Small alphabets make equal prefixes and repeated characters common.
    int alphabet = 2 + (int)(rnd() % 4);
    size_t n = rnd() % 520, off1 = rnd() % 16, off2 = rnd() % 16;
    for (size_t k = 0; k < sizeof a; k++) a[k] = (unsigned char)('a' + rnd() % alphabet), b[k] = a[k];
    for (size_t k = 0; k < n; k++)
      if (rnd() % 50 == 0) b[k + off2] = (unsigned char)('a' + rnd() % alphabet);
    a[off1 + n] = 0;
    b[off2 + n] = 0;
    if (rnd() % 3 == 0) b[off2 + rnd() % (n + 1)] = 0;
    const char *s = (char *)a + off1, *t = (char *)b + off2;
    size_t m = rnd() % (n + 2);
    int ch = 'a' + (int)(rnd() % (alphabet + 1));

    CHECK(ulib_strlen(s) == strlen(s), "strlen");
    CHECK(sign(ulib_strcmp(s, t)) == sign(strcmp(s, t)), "strcmp");
    CHECK(sign(ulib_strncmp(s, t, m)) == sign(strncmp(s, t, m)), "strncmp n=%zu", m);
    CHECK(sign(ulib_memcmp(s, t, m)) == sign(memcmp(s, t, m)), "memcmp n=%zu", m);
    CHECK(ulib_strchr(s, ch) == strchr(s, ch), "strchr");
    CHECK(ulib_strchr(s, 0) == strchr(s, 0), "strchr NUL");
    CHECK(ulib_strrchr(s, ch) == strrchr(s, ch), "strrchr");
    CHECK(ulib_memchr(s, ch, m) == memchr(s, ch, m), "memchr");
    char needle[4] = {(char)('a' + rnd() % alphabet), (char)('a' + rnd() % alphabet), 0, 0};
    if (rnd() % 2) needle[1] = 0;
    CHECK(ulib_strstr(s, needle) == strstr(s, needle), "strstr");
    CHECK(ulib_strstr(s, "") == strstr(s, ""), "strstr empty");

    // Copies: compare the whole buffer so stray writes show.
    unsigned char x[600], y[600];
    size_t d = rnd() % 16;
    memset(x, '#', sizeof x), memset(y, '#', sizeof y);
    ulib_memcpy(x + d, a + off1, m), memcpy(y + d, a + off1, m);
    CHECK(memcmp(x, y, sizeof x) == 0, "memcpy n=%zu", m);
    int v = (int)(rnd() % 256);
    ulib_memset(x + d, v, m), memset(y + d, v, m);
    CHECK(memcmp(x, y, sizeof x) == 0, "memset n=%zu", m);
    ulib_strcpy((char *)x + d, s), strcpy((char *)y + d, s);
    CHECK(memcmp(x, y, sizeof x) == 0, "strcpy");
    ulib_strcat((char *)x + d, needle), strcat((char *)y + d, needle);
    CHECK(memcmp(x, y, sizeof x) == 0, "strcat");
    ulib_strncpy((char *)x + d, s, m), strncpy((char *)y + d, s, m);
    CHECK(memcmp(x, y, sizeof x) == 0, "strncpy n=%zu", m);
    memset(x, '#', sizeof x);
    size_t r = ulib_strlcpy((char *)x, s, m);
    CHECK(r == strlen(s) && (m == 0 ? x[0] == '#' : (strlen((char *)x) == (m - 1 < r ? m - 1 : r) && strncmp((char *)x, s, m - 1) == 0)),
          "strlcpy n=%zu", m);
    // Overlapping moves both ways.
    memcpy(c, a, sizeof c);
    size_t src = rnd() % 40, dst = rnd() % 40, len = rnd() % 500;
    ulib_memmove(c + dst, c + src, len);
    memcpy(x, a, sizeof x);
    memmove(x + dst, x + src, len);
    CHECK(memcmp(c, x, sizeof c) == 0, "memmove %zu->%zu n=%zu", src, dst, len);
    // Numbers.
    char num[40];
    long value = (long)(rnd() % 2000000001) - 1000000000;
    int base = (int)(rnd() % 3);
    snprintf(num, sizeof num, base == 0 ? "%ld" : base == 1 ? "  %+ld" : "%ldxyz", value);
    char *e1, *e2;
    CHECK(ulib_strtol(num, &e1, 10) == strtol(num, &e2, 10) && e1 - num == e2 - num, "strtol(%s)", num);
    CHECK(ulib_atoi(num) == atoi(num), "atoi(%s)", num);
    snprintf(num, sizeof num, "%s%lx", rnd() % 2 ? "0x" : "", (unsigned long)(rnd() >> 4));
    CHECK(ulib_strtol(num, &e1, 16) == strtol(num, &e2, 16) && e1 - num == e2 - num, "strtol(%s, 16)", num);
    CHECK(ulib_strtol(num, &e1, 0) == strtol(num, &e2, 0) && e1 - num == e2 - num, "strtol(%s, 0)", num);
  }
  printf("ok %d\n", count);
  return 0;
}

static int run_getline(int max) {
  static char buf[8192];
  int n;
  while ((n = ulib_getline(0, buf, max)) > 0) {
    if ((int)strlen(buf) != n) {
      printf("length %d but strlen %zu\n", n, strlen(buf));
      return 1;
    }
    printf("%d:%s%s", n, buf, buf[n - 1] == '\n' ? "" : "|\n");
  }
  printf("end %d\n", n);
  return 0;
}

// ---- sync.c under real threads ----

#define SYNC_MAX_THREADS 16
#define SYNC_SLOTS 4
static ulib_mutex_t sync_lock;
static long sync_counter;
static int sync_rounds, sync_threads;
static ulib_mutex_t q_lock;
static ulib_cond_t q_nonempty, q_nonfull;
static int q_items[SYNC_SLOTS], q_head, q_count;
static ulib_barrier_t sync_barrier;
static volatile int phase_of[SYNC_MAX_THREADS], barrier_bad, last_arrivals;

static void *count_up(void *arg) {
  (void)arg;
  for (int i = 0; i < sync_rounds; i++) {
    if (i % 2) {
      ulib_mutex_lock(&sync_lock);
    } else {
      while (!ulib_mutex_trylock(&sync_lock)) sched_yield();
    }
    long v = sync_counter;
    sync_counter = v + 1;  // a plain read-modify-write: only the mutex makes it exact
    ulib_mutex_unlock(&sync_lock);
  }
  return NULL;
}

// Producers put 1..rounds each; one consumer takes them all.
static void *produce(void *arg) {
  (void)arg;
  for (int i = 1; i <= sync_rounds; i++) {
    ulib_mutex_lock(&q_lock);
    while (q_count == SYNC_SLOTS) ulib_cond_wait(&q_nonfull, &q_lock);
    q_items[(q_head + q_count) % SYNC_SLOTS] = i;
    q_count++;
    ulib_cond_signal(&q_nonempty);
    ulib_mutex_unlock(&q_lock);
  }
  return NULL;
}

static void *phases(void *arg) {
  int me = (int)(long)arg;
  for (int ph = 1; ph <= 20; ph++) {
    phase_of[me] = ph;
    if (ulib_barrier_wait(&sync_barrier)) __atomic_fetch_add(&last_arrivals, 1, __ATOMIC_RELAXED);
    for (int j = 0; j < sync_threads; j++)
      if (phase_of[j] < ph) barrier_bad = 1;
    ulib_barrier_wait(&sync_barrier);
  }
  return NULL;
}

static int run_sync(int threads, int rounds) {
  if (threads < 1 || threads > SYNC_MAX_THREADS) return 2;
  sync_threads = threads;
  sync_rounds = rounds;
  pthread_t t[SYNC_MAX_THREADS];
  for (int i = 0; i < threads; i++) pthread_create(&t[i], NULL, count_up, NULL);
  for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
  printf("counter %ld\n", sync_counter);

  for (int i = 0; i < threads; i++) pthread_create(&t[i], NULL, produce, NULL);
  long sum = 0;
  int producers_ordered = 1;
  for (long n = 0; n < (long)threads * rounds; n++) {
    ulib_mutex_lock(&q_lock);
    while (q_count == 0) ulib_cond_wait(&q_nonempty, &q_lock);
    int v = q_items[q_head];
    q_head = (q_head + 1) % SYNC_SLOTS;
    q_count--;
    ulib_cond_broadcast(&q_nonfull);  // several producers may wait
    ulib_mutex_unlock(&q_lock);
    if (v < 1 || v > rounds) producers_ordered = 0;
    sum += v;
  }
  for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
  printf("queue %ld %d\n", sum, producers_ordered);

  ulib_barrier_init(&sync_barrier, (unsigned)threads);
  for (int i = 0; i < threads; i++) pthread_create(&t[i], NULL, phases, (void *)(long)i);
  for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
  printf("barrier %d %d\n", barrier_bad, last_arrivals);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  if (strcmp(argv[1], "sync") == 0 && argc == 4) return run_sync(atoi(argv[2]), atoi(argv[3]));
  if (strcmp(argv[1], "printf") == 0) return run_printf();
  if (strcmp(argv[1], "fp") == 0) return run_fp();
  if (strcmp(argv[1], "malloc") == 0) return run_malloc();
  if (strcmp(argv[1], "grep") == 0) return run_grep();
  if (strcmp(argv[1], "parse") == 0) return run_parse();
  if (strcmp(argv[1], "strings") == 0 && argc == 4) return run_strings(strtoull(argv[2], 0, 10), atoi(argv[3]));
  if (strcmp(argv[1], "getline") == 0 && argc == 3) return run_getline(atoi(argv[2]));
  if (strcmp(argv[1], "rledit") == 0 && argc == 3) return run_rledit(atoi(argv[2]));
  fprintf(stderr, "unknown mode\n");
  return 2;
}
