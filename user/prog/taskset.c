// taskset: run a command on some vCPUs only, or show or change a process's
// CPU affinity mask.
//
//   taskset MASK COMMAND [ARG...]   set this process's mask, then exec COMMAND
//   taskset -p PID                  show PID's mask
//   taskset -p MASK PID             change PID's mask
//
// MASK is hexadecimal (0x optional): bit N lets the process run on vCPU N,
// so 1 is CPU 0 alone and 3 is CPUs 0 and 1. A bare command name means /NAME.
#include "user.h"

__attribute__((noreturn)) static void usage(void) {
  fprintf(2, "usage: taskset MASK COMMAND [ARG...]\n       taskset -p [MASK] PID\n");
  exit(2);
}

static int parse_mask(const char *s, unsigned long *out) {
  char *end;
  long v = strtol(s, &end, 16);  // takes a 0x prefix itself
  if (end == s || *end != 0 || s[0] == '-' || s[0] == '+' || strlen(s) > 18) {
    fprintf(2, "taskset: %s: not a hexadecimal CPU mask (bit N is vCPU N)\n", s);
    return -1;
  }
  *out = (unsigned long)v;
  return 0;
}

static int parse_pid(const char *s, long *out) {
  char *end;
  long v = strtol(s, &end, 10);
  if (end == s || *end != 0) {
    fprintf(2, "taskset: %s: not a pid\n", s);
    return -1;
  }
  *out = v;
  return 0;
}

int main(int argc, char **argv) {
  unsigned long mask;
  long pid;
  if (argc >= 2 && strcmp(argv[1], "-p") == 0) {
    if (argc != 3 && argc != 4) usage();
    if (parse_pid(argv[argc - 1], &pid) < 0) return 2;
    long now = getaffinity((int)pid);
    if (now < 0) {
      fprintf(2, "taskset: %ld: %s\n", pid, lasterror());
      return 1;
    }
    printf("pid %ld's current affinity mask: %lx\n", pid, (unsigned long)now);
    if (argc == 3) return 0;
    if (parse_mask(argv[2], &mask) < 0) return 2;
    if (setaffinity((int)pid, mask) < 0) {
      fprintf(2, "taskset: %ld: %s\n", pid, lasterror());
      return 1;
    }
    printf("pid %ld's new affinity mask: %lx\n", pid, (unsigned long)getaffinity((int)pid));
    return 0;
  }
  if (argc < 3) usage();
  if (parse_mask(argv[1], &mask) < 0) return 2;
  if (setaffinity(0, mask) < 0) {
    fprintf(2, "taskset: %s\n", lasterror());
    return 1;
  }
  char path[128];
  if (strchr(argv[2], '/') == 0) snprintf(path, sizeof path, "/%s", argv[2]);
  else strlcpy(path, argv[2], sizeof path);
  exec(path, argv + 2);
  fprintf(2, "taskset: %s: %s\n", argv[2], lasterror());
  return 127;
}
