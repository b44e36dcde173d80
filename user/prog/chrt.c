// chrt: run a command in a scheduling class, or show or change a process's.
//
//   chrt [POLICY] PRIO COMMAND [ARG...]  set this process's class, then exec COMMAND
//   chrt [POLICY] -p PRIO PID            change process PID's class
//   chrt -p PID                          show PID's class and priority
//
// POLICY: -f FIFO, -r round-robin (the default), -o fair ("other"), -b
// batch, -i idle. FIFO and round-robin take PRIO 1..99 (higher runs
// first); the others take 0. A bare command name means /NAME.
#include "user.h"

__attribute__((noreturn)) static void usage(void) {
  fprintf(2, "usage: chrt [-f|-r|-o|-b|-i] PRIO COMMAND [ARG...]\n"
             "       chrt [-f|-r|-o|-b|-i] -p PRIO PID\n"
             "       chrt -p PID\n");
  exit(2);
}

static const char *policy_name(int policy) {
  switch (policy) {
  case SCHED_FAIR: return "SCHED_OTHER (fair)";
  case SCHED_FIFO: return "SCHED_FIFO";
  case SCHED_RR: return "SCHED_RR";
  case SCHED_BATCH: return "SCHED_BATCH";
  case SCHED_IDLE: return "SCHED_IDLE";
  default: return "?";
  }
}

static int parse_int(const char *s, const char *what, long *out) {
  char *end;
  long v = strtol(s, &end, 10);
  if (end == s || *end != 0) {
    fprintf(2, "chrt: %s: not a %s\n", s, what);
    return -1;
  }
  *out = v;
  return 0;
}

static int show(long pid) {
  struct schedinfo si;
  if (sched_get((int)pid, &si) < 0) {
    fprintf(2, "chrt: %ld: %s\n", pid, lasterror());
    return 1;
  }
  printf("pid %ld's current scheduling policy: %s\n", pid, policy_name(si.policy));
  printf("pid %ld's current scheduling priority: %d\n", pid, si.priority);
  if (si.eff_policy != si.policy || si.eff_priority != si.priority)
    printf("pid %ld runs at %s priority %d, inherited from a caller it serves\n", pid, policy_name(si.eff_policy),
           si.eff_priority);
  return 0;
}

int main(int argc, char **argv) {
  int policy = SCHED_RR;
  int i = 1;
  if (i < argc && argv[i][0] == '-' && argv[i][1] != 0 && argv[i][2] == 0 && argv[i][1] != 'p') {
    switch (argv[i][1]) {
    case 'f': policy = SCHED_FIFO; break;
    case 'r': policy = SCHED_RR; break;
    case 'o': policy = SCHED_FAIR; break;
    case 'b': policy = SCHED_BATCH; break;
    case 'i': policy = SCHED_IDLE; break;
    default: fprintf(2, "chrt: %s: unknown option\n", argv[i]); usage();
    }
    i++;
  }
  long prio, pid;
  if (i < argc && strcmp(argv[i], "-p") == 0) {
    if (argc - i == 2) {  // chrt -p PID
      if (i != 1 || parse_int(argv[i + 1], "pid", &pid) < 0) usage();
      return show(pid);
    }
    if (argc - i != 3) usage();
    if (parse_int(argv[i + 1], "priority", &prio) < 0 || parse_int(argv[i + 2], "pid", &pid) < 0) return 2;
    if (sched_set((int)pid, policy, (int)prio) < 0) {
      fprintf(2, "chrt: %ld: %s\n", pid, lasterror());
      return 1;
    }
    return 0;
  }
  if (argc - i < 2) usage();
  if (parse_int(argv[i], "priority", &prio) < 0) return 2;
  if (sched_set(0, policy, (int)prio) < 0) {
    fprintf(2, "chrt: %s\n", lasterror());
    return 1;
  }
  char path[128];
  if (strchr(argv[i + 1], '/') == 0) snprintf(path, sizeof path, "/%s", argv[i + 1]);
  else strlcpy(path, argv[i + 1], sizeof path);
  exec(path, argv + i + 1);
  fprintf(2, "chrt: %s: %s\n", argv[i + 1], lasterror());
  return 127;
}
