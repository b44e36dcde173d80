// wc [file...]: count lines, words and bytes of each file (or standard
// input), with a total line when there is more than one file.
#include "user.h"

struct counts {
  uint64 lines, words, bytes;
};

static char buf[4096];
/* The running totals, in memory (not registers), so a debugger can watch
   them (docs/debugging.md watches total.bytes). Not static: the optimizer
   would turn a static that only main uses into main's locals. */
struct counts total;

static int count(int fd, struct counts *c) {
  int in_word = 0, n;
  while ((n = read(fd, buf, sizeof buf)) > 0) {
    c->bytes += (uint64)n;
    for (int i = 0; i < n; i++) {
      if (buf[i] == '\n') c->lines++;
      if (isspace((uchar)buf[i])) in_word = 0;
      else if (!in_word) in_word = 1, c->words++;
    }
  }
  return n;
}

static void report(const struct counts *c, const char *name) {
  printf("%7lu %7lu %7lu%s%s\n", c->lines, c->words, c->bytes, *name ? " " : "", name);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    if (count(0, &total) < 0) fail("wc: read");
    report(&total, "");
    return 0;
  }
  int status = 0;
  for (int i = 1; i < argc; i++) {
    struct counts c = {0, 0, 0};
    int fd = open(argv[i], O_RDONLY);
    if (fd < 0) {
      fprintf(2, "wc: %s: %s\n", argv[i], lasterror());
      status = 1;
      continue;
    }
    if (count(fd, &c) < 0) {
      fprintf(2, "wc: %s: read: %s\n", argv[i], lasterror());
      status = 1;
    }
    close(fd);
    report(&c, argv[i]);
    total.lines += c.lines, total.words += c.words, total.bytes += c.bytes;
  }
  if (argc > 2) report(&total, "total");
  return status;
}
