// cat [file...]: copy each file (or standard input when none, or for "-")
// to standard output.
#include "user.h"

static char buf[4096];

static int copy(int fd, const char *name) {
  int n;
  while ((n = read(fd, buf, sizeof buf)) > 0) {
    if (write(1, buf, n) != n) {
      perr("cat: write");
      return 1;
    }
  }
  if (n < 0) {
    fprintf(2, "cat: %s: read: %s\n", name, lasterror());
    return 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) return copy(0, "standard input");
  int status = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-") == 0) {
      status |= copy(0, "standard input");
      continue;
    }
    int fd = open(argv[i], O_RDONLY);
    if (fd < 0) {
      fprintf(2, "cat: %s: %s\n", argv[i], lasterror());
      status = 1;
      continue;
    }
    status |= copy(fd, argv[i]);
    close(fd);
  }
  return status;
}
