// stressfs [N] [KIB]: N writers (default 4) at once each create their own
// file stressfs.I in the current directory, write KIB KiB (default 64) in
// chunks of varying size, close it, reopen it, read it back in chunks of
// other sizes checking every byte, and unlink it. Each writer prints one
// line; the parent then prints "stressfs: N writers OK" and exits 0, or the
// first failure (the lowest-numbered writer's: file, offset, expected and
// actual byte) and exits 1. A failing writer leaves its file in place.
//
// Byte OFF of writer W's file is pattern(W, OFF): a hash of the offset
// xor a key that is different for every writer, so a byte that landed in
// the wrong file or at the wrong offset is caught and, when it belongs to
// another writer, named.
#include "user.h"

#define DEFAULT_WRITERS 4
#define DEFAULT_KIB 64
// One result record per writer must fit in the pipe at once (2048 bytes) so
// that every record arrives in one piece; Keel also has only 64 processes.
#define MAX_WRITERS 60
#define MAX_KIB (1 << 20)
#define CHUNK_MAX 16384

enum { R_OK, R_BAD_BYTE, R_SHORT, R_LONG, R_SIZE, R_ERROR };

// What a writer sends the parent when it is done: 32 bytes, one write().
struct result {
  int writer;
  int kind;       // R_*
  uint64 offset;  // R_BAD_BYTE: where; R_SHORT: where the data ended; R_LONG: the expected size; R_SIZE: fstat's size
  int expected;   // R_BAD_BYTE: the byte written there
  int got;        // R_BAD_BYTE, R_LONG: the byte read
  uint64 pad;
};

// Write and read sizes cycle through these, each writer from its own place.
static const int chunk_sizes[] = {1, 4096, 17, 4095, 512, 4097, 100, 8192, 3, 12288, 777, 16384, 2048, 65};
#define NCHUNK_SIZES (int)(sizeof chunk_sizes / sizeof chunk_sizes[0])

static uchar buf[CHUNK_MAX];

static uchar pattern(int writer, uint64 offset) {
  uint mixed = (uint)offset * 2654435761u;  // Knuth's multiplicative hash: neighbouring offsets and blocks differ
  return (uchar)((mixed >> 24) ^ (uint)(writer * 0x35 + 0x5a));  // 0x35 is odd: distinct keys for 256 writers
}

static void file_name(char *name, int size, int writer) { snprintf(name, (size_t)size, "stressfs.%d", writer); }

static int chunk(int step, int writer, uint64 left) {
  uint64 n = (uint64)chunk_sizes[(step + writer) % NCHUNK_SIZES];
  return (int)(n < left ? n : left);
}

// A writer's whole job; fills *r and returns. Errors from system calls are
// printed here, where lasterror() still knows them.
static void writer_run(int writer, uint64 size, struct result *r) {
  char name[32];
  file_name(name, sizeof name, writer);
  r->writer = writer;
  r->kind = R_ERROR;
  int fd = open(name, O_CREATE | O_TRUNC | O_WRONLY);
  if (fd < 0) {
    fprintf(2, "stressfs: writer %d: create %s: %s\n", writer, name, lasterror());
    return;
  }
  uint64 off = 0;
  for (int step = 0; off < size; step++) {
    int n = chunk(step, writer, size - off);
    for (int i = 0; i < n; i++) buf[i] = pattern(writer, off + (uint64)i);
    int w = write(fd, buf, n);
    if (w != n) {
      fprintf(2, "stressfs: writer %d: %s: write of %d bytes at offset %lu returned %d: %s\n", writer, name, n, off, w, lasterror());
      close(fd);
      return;
    }
    off += (uint64)n;
  }
  if (close(fd) < 0) {
    fprintf(2, "stressfs: writer %d: close %s: %s\n", writer, name, lasterror());
    return;
  }

  fd = open(name, O_RDONLY);
  if (fd < 0) {
    fprintf(2, "stressfs: writer %d: reopen %s: %s\n", writer, name, lasterror());
    return;
  }
  struct stat st;
  if (fstat(fd, &st) < 0) {
    fprintf(2, "stressfs: writer %d: fstat %s: %s\n", writer, name, lasterror());
    close(fd);
    return;
  }
  if (st.size != size) {
    r->kind = R_SIZE, r->offset = st.size;
    close(fd);
    return;
  }
  off = 0;
  for (int step = 0; off < size; step++) {
    int want = chunk(step * 3 + 5, writer, size - off);  // other sizes than the writes'
    int n = read(fd, buf, want);
    if (n < 0) {
      fprintf(2, "stressfs: writer %d: %s: read at offset %lu: %s\n", writer, name, off, lasterror());
      close(fd);
      return;
    }
    if (n == 0) {
      r->kind = R_SHORT, r->offset = off;
      close(fd);
      return;
    }
    for (int i = 0; i < n; i++) {
      uchar expected = pattern(writer, off + (uint64)i);
      if (buf[i] != expected) {
        r->kind = R_BAD_BYTE, r->offset = off + (uint64)i, r->expected = expected, r->got = buf[i];
        close(fd);
        return;
      }
    }
    off += (uint64)n;
  }
  int extra = read(fd, buf, 1);
  close(fd);
  if (extra != 0) {
    if (extra < 0) fprintf(2, "stressfs: writer %d: %s: read at the end: %s\n", writer, name, lasterror());
    else r->kind = R_LONG, r->offset = size, r->got = buf[0];
    return;
  }
  if (unlink(name) < 0) {
    fprintf(2, "stressfs: writer %d: unlink %s: %s\n", writer, name, lasterror());
    return;
  }
  r->kind = R_OK;
}

// Reads exactly n bytes unless the pipe ends first; returns the count read.
static int read_full(int fd, void *dst, int n) {
  int got = 0;
  while (got < n) {
    int r = read(fd, (char *)dst + got, n - got);
    if (r <= 0) break;
    got += r;
  }
  return got;
}

// The parent's account of one failed writer.
static void explain(const struct result *r, int writers, uint64 size) {
  char name[32];
  file_name(name, sizeof name, r->writer);
  switch (r->kind) {
  case R_BAD_BYTE:
    printf("stressfs: %s: offset %lu: expected 0x%02x, got 0x%02x", name, r->offset, r->expected, r->got);
    for (int k = 0; k < writers; k++)
      if (k != r->writer && r->got == pattern(k, r->offset)) {
        printf(" (writer %d's byte for that offset)", k);
        break;
      }
    if (r->got == 0) printf(" (zero: a hole or a block never written)");
    printf("\n");
    break;
  case R_SHORT: printf("stressfs: %s: offset %lu: expected 0x%02x, got end of file (size should be %lu)\n", name, r->offset, pattern(r->writer, r->offset), size); break;
  case R_LONG: printf("stressfs: %s: offset %lu: expected end of file, got 0x%02x\n", name, r->offset, r->got); break;
  case R_SIZE: printf("stressfs: %s: fstat size %lu, expected %lu\n", name, r->offset, size); break;
  default: printf("stressfs: writer %d failed (%s; its reason is printed above)\n", r->writer, name); break;
  }
}

int main(int argc, char **argv) {
  int writers = argc > 1 ? atoi(argv[1]) : DEFAULT_WRITERS;
  int kib = argc > 2 ? atoi(argv[2]) : DEFAULT_KIB;
  if (argc > 3 || writers < 1 || writers > MAX_WRITERS || kib < 1 || kib > MAX_KIB) {
    fprintf(2, "usage: stressfs [N] [KIB]   (1 <= N <= %d, 1 <= KIB <= %d)\n", MAX_WRITERS, MAX_KIB);
    return 2;
  }
  uint64 size = (uint64)kib * 1024;

  // The writers wait on `go` until the parent closes its end, so that they
  // start together; each sends its struct result on `results`.
  int go[2], results[2];
  if (pipe(go) < 0 || pipe(results) < 0) fail("stressfs: pipe");
  int pids[MAX_WRITERS];
  int started = 0;
  for (; started < writers; started++) {
    int pid = fork();
    if (pid < 0) {
      perr("stressfs: fork");
      break;
    }
    if (pid == 0) {
      close(go[1]);
      close(results[0]);
      char c;
      read(go[0], &c, 1);
      close(go[0]);
      uint64 t0 = clocknanos();
      struct result r;
      memset(&r, 0, sizeof r);
      writer_run(started, size, &r);
      if (r.kind == R_OK) {
        char name[32];
        file_name(name, sizeof name, started);
        printf("stressfs: writer %d: %s: %d KiB written, read back, verified and removed in %lu ms\n", started, name, kib,
               (clocknanos() - t0) / 1000000);
      }
      write(results[1], &r, sizeof r);
      exit(r.kind == R_OK ? 0 : 1);
    }
    pids[started] = pid;
  }
  close(go[0]);
  close(go[1]);
  close(results[1]);

  static struct result got[MAX_WRITERS];  // static: the stack is one page
  int reported[MAX_WRITERS] = {0};
  struct result r;
  while (read_full(results[0], &r, sizeof r) == (int)sizeof r)
    if (r.writer >= 0 && r.writer < started) got[r.writer] = r, reported[r.writer] = 1;
  close(results[0]);

  int status[MAX_WRITERS];
  for (int i = 0; i < started; i++) status[i] = -1;
  for (int n = 0; n < started; n++) {
    int st;
    int pid = wait(&st);
    if (pid < 0) break;
    for (int i = 0; i < started; i++)
      if (pids[i] == pid) status[i] = st;
  }

  int failed = writers - started;
  int first = -1;
  for (int i = 0; i < started; i++) {
    if (reported[i] && got[i].kind == R_OK && status[i] == 0) continue;
    failed++;
    if (first < 0) first = i;
  }
  if (failed == 0) {
    printf("stressfs: %d writers OK\n", writers);
    return 0;
  }
  if (first >= 0) {
    if (reported[first]) explain(&got[first], started, size);
    else printf("stressfs: writer %d died without a report (exit status %d)\n", first, status[first]);
  }
  printf("stressfs: %d of %d writers failed\n", failed, writers);
  return 1;
}
