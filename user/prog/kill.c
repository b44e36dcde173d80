// kill [-SIGNAL] PID...: send a signal to each process (a negative PID
// names a process group). SIGNAL is a name (TERM, SIGTERM) or a number
// (9). Without one, kill is xv6's kill(pid): the process ends (status -1)
// at its next kernel crossing, as with KILL, which nothing can catch; and
// `kill 1` restarts the user land (docs/processes.md). `kill -l` lists the
// signals.
#include "user.h"

static void list(void) {
  for (int sig = 1; sig < NSIG; sig++)
    if (signame(sig)) printf("%2d %-6s %s\n", sig, signame(sig), sigdescr(sig));
}

int main(int argc, char **argv) {
  int first = 1, sig = 0;  // 0: xv6's kill
  if (argc == 2 && strcmp(argv[1], "-l") == 0) {
    list();
    return 0;
  }
  if (argc > 1 && argv[1][0] == '-') {  // a signal: a group would need a PID after it
    sig = signum(argv[1] + 1);
    if (sig < 0) {
      fprintf(2, "kill: %s: no such signal (kill -l lists them)\n", argv[1] + 1);
      return 2;
    }
    first = 2;
  }
  if (argc <= first) {
    fprintf(2, "usage: kill [-SIGNAL] PID...   (kill -l lists the signals)\n");
    return 2;
  }
  int status = 0;
  for (int i = first; i < argc; i++) {
    char *end;
    long pid = strtol(argv[i], &end, 10);
    if (*end != 0 || end == argv[i] || pid == 0 || pid == -1) {
      fprintf(2, "kill: %s: not a process id\n", argv[i]);
      status = 1;
    } else if (sig == 0 ? (pid < 0 ? sigsend((int)pid, SIGKILL) : kill((int)pid)) < 0 : sigsend((int)pid, sig) < 0) {
      fprintf(2, "kill: %ld: %s\n", pid, lasterror());
      status = 1;
    }
  }
  return status;
}
