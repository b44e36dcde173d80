// nice: run a command at a different scheduling priority, or change one.
//
//   nice N COMMAND [ARG...]   set this process's nice value to N (-20..19),
//                             then exec COMMAND (a bare name means /NAME)
//   nice -p PID N             set the nice value of process PID to N
//
// Higher nice means a smaller share of the CPU.
#include "user.h"

static int parse_nice(const char *s, int *out) {
  char *end;
  long v = strtol(s, &end, 10);
  if (end == s || *end != 0 || v < NICE_MIN || v > NICE_MAX) {
    fprintf(2, "nice: %s: not a nice value (%d..%d)\n", s, NICE_MIN, NICE_MAX);
    return -1;
  }
  *out = (int)v;
  return 0;
}

static void usage(void) {
  fprintf(2, "usage: nice N COMMAND [ARG...]\n       nice -p PID N\n");
  exit(2);
}

int main(int argc, char **argv) {
  int value;
  if (argc >= 2 && strcmp(argv[1], "-p") == 0) {
    if (argc != 4) usage();
    char *end;
    long pid = strtol(argv[2], &end, 10);
    if (end == argv[2] || *end != 0) usage();
    if (parse_nice(argv[3], &value) < 0) return 2;
    if (setnice((int)pid, value) < 0) {
      fprintf(2, "nice: %ld: %s\n", pid, lasterror());
      return 1;
    }
    return 0;
  }
  if (argc < 3) usage();
  if (parse_nice(argv[1], &value) < 0) return 2;
  if (setnice(getpid(), value) < 0) fail("nice: setnice");
  char path[128];
  if (strchr(argv[2], '/') == 0) snprintf(path, sizeof path, "/%s", argv[2]);
  else strlcpy(path, argv[2], sizeof path);
  exec(path, argv + 2);
  fprintf(2, "nice: %s: %s\n", argv[2], lasterror());
  return 127;
}
