// echo [-n] [word...]: print the words separated by spaces, then a newline
// unless -n is given. Builds the line first so it reaches the console in
// one write.
#include "user.h"

int main(int argc, char **argv) {
  int newline = 1, first = 1;
  if (argc > 1 && strcmp(argv[1], "-n") == 0) newline = 0, first = 2;
  size_t len = 0;
  for (int i = first; i < argc; i++) len += strlen(argv[i]) + 1;
  char *line = malloc(len + 1);
  if (line == 0) fail("echo");
  size_t n = 0;
  for (int i = first; i < argc; i++) {
    size_t w = strlen(argv[i]);
    memcpy(line + n, argv[i], w);
    n += w;
    if (i + 1 < argc) line[n++] = ' ';
  }
  if (newline) line[n++] = '\n';
  if (n > 0 && write(1, line, (int)n) != (int)n) fail("echo: write");
  return 0;
}
