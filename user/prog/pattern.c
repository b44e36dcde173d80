// pattern: a deterministic byte stream of any length, and its check, for
// moving big data through pipes and sockets without a file to hold it.
//
//   pattern BYTES [SEED]      write BYTES bytes of the stream for SEED (default 1)
//   pattern -v BYTES [SEED]   read standard input and check it is exactly that stream
//
// The stream is xorshift32 from SEED (0 is taken as 1), four bytes a step,
// little-endian. The check prints "pattern: BYTES bytes ok" and exits 0,
// or names the first offset that differs (or where the input ended early or
// ran long) and exits 1.
#include "user.h"

static uchar buf[16384];

struct gen {
  uint x, word, used;  // generator state, the current word and bytes of it taken
};

static void gen_init(struct gen *g, uint seed) {
  g->x = seed ? seed : 1;
  g->used = 4;
}

static uchar gen_byte(struct gen *g) {
  if (g->used == 4) {
    g->x ^= g->x << 13;
    g->x ^= g->x >> 17;
    g->x ^= g->x << 5;
    g->word = g->x;
    g->used = 0;
  }
  return (uchar)(g->word >> (8 * g->used++));
}

static int parse(const char *s, uint64 *out) {
  uint64 v = 0;
  if (!*s) return -1;
  for (; *s; s++) {
    if (*s < '0' || *s > '9') return -1;
    v = v * 10 + (uint64)(*s - '0');
  }
  *out = v;
  return 0;
}

static int usage(void) {
  fprintf(2, "usage: pattern [-v] BYTES [SEED]\n");
  return 2;
}

static int write_stream(uint64 total, struct gen *g) {
  uint64 done = 0;
  while (done < total) {
    int n = total - done < sizeof buf ? (int)(total - done) : (int)sizeof buf;
    for (int i = 0; i < n; i++) buf[i] = gen_byte(g);
    for (int off = 0; off < n;) {
      int k = write(1, buf + off, n - off);
      if (k <= 0) {
        fprintf(2, "pattern: write: %s\n", lasterror());
        return 1;
      }
      off += k;
    }
    done += (uint64)n;
  }
  return 0;
}

static int check_stream(uint64 total, struct gen *g) {
  uint64 at = 0;
  int n;
  while ((n = read(0, buf, sizeof buf)) > 0) {
    for (int i = 0; i < n; i++, at++) {
      if (at >= total) {
        fprintf(2, "pattern: more than %lu bytes\n", total);
        return 1;
      }
      uchar want = gen_byte(g);
      if (buf[i] != want) {
        fprintf(2, "pattern: byte %lu is %d, not %d\n", at, (int)buf[i], (int)want);
        return 1;
      }
    }
  }
  if (n < 0) {
    fprintf(2, "pattern: read: %s\n", lasterror());
    return 1;
  }
  if (at != total) {
    fprintf(2, "pattern: input ended after %lu of %lu bytes\n", at, total);
    return 1;
  }
  printf("pattern: %lu bytes ok\n", total);
  return 0;
}

int main(int argc, char **argv) {
  int verify = argc > 1 && strcmp(argv[1], "-v") == 0;
  int i = verify ? 2 : 1;
  uint64 total, seed = 1;
  if (argc - i < 1 || argc - i > 2 || parse(argv[i], &total) < 0) return usage();
  if (argc - i == 2 && (parse(argv[i + 1], &seed) < 0 || seed > 0xffffffffu)) return usage();
  struct gen g;
  gen_init(&g, (uint)seed);
  return verify ? check_stream(total, &g) : write_stream(total, &g);
}
