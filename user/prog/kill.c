// kill PID...: ask each process to exit (it exits with status -1).
#include "user.h"

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(2, "usage: kill PID...\n");
    return 2;
  }
  int status = 0;
  for (int i = 1; i < argc; i++) {
    char *end;
    long pid = strtol(argv[i], &end, 10);
    if (*end != 0 || end == argv[i]) {
      fprintf(2, "kill: %s: not a process id\n", argv[i]);
      status = 1;
    } else if (kill((int)pid) < 0) {
      fprintf(2, "kill: %ld: %s\n", pid, lasterror());
      status = 1;
    }
  }
  return status;
}
