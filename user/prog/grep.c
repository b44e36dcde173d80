// grep PATTERN [file...]: print the lines that match PATTERN (see
// user/lib/regex.c: '.', '*', '^', '$'). Exits 0 if a line matched, 1 if
// none did, 2 on an error. Lines longer than the buffer are matched in
// buffer-sized pieces.
#include "user.h"

#define LINE_MAX 1024

static char line[LINE_MAX];

static int grep(const char *pattern, int fd, const char *name, int show_name) {
  int matched = 0, n;
  while ((n = getline(fd, line, sizeof line)) > 0) {
    int has_newline = line[n - 1] == '\n';
    if (has_newline) line[n - 1] = 0;
    if (re_match(pattern, line)) {
      matched = 1;
      if (show_name) printf("%s:%s\n", name, line);
      else printf("%s\n", line);
    }
  }
  if (n < 0) {
    fprintf(2, "grep: %s: read: %s\n", name, lasterror());
    return -1;
  }
  return matched;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(2, "usage: grep PATTERN [file...]\n");
    return 2;
  }
  if (argc == 2) {
    int r = grep(argv[1], 0, "standard input", 0);
    return r < 0 ? 2 : r ? 0 : 1;
  }
  int any = 0, error = 0;
  for (int i = 2; i < argc; i++) {
    int fd = open(argv[i], O_RDONLY);
    if (fd < 0) {
      fprintf(2, "grep: %s: %s\n", argv[i], lasterror());
      error = 1;
      continue;
    }
    int r = grep(argv[1], fd, argv[i], argc > 3);
    close(fd);
    if (r < 0) error = 1;
    if (r > 0) any = 1;
  }
  return error ? 2 : any ? 0 : 1;
}
