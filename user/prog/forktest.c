// forktest [N]: fork N children (default 32), each exiting with its own
// status; wait for all of them, checking that every pid comes back exactly
// once with the right status, and that one more wait finds no children.
// Prints "forktest: OK" and exits 0, or the first problem and exits 1.
#include "user.h"

#define DEFAULT_CHILDREN 32
#define MAX_CHILDREN 1000

static int pids[MAX_CHILDREN];
static char reaped[MAX_CHILDREN];

static int status_of(int i) { return i * 7 + 3; }

static int problem(const char *what, int a, int b) {
  fprintf(2, "forktest: FAIL: %s (%d, %d)\n", what, a, b);
  return 1;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : DEFAULT_CHILDREN;
  if (n < 1 || n > MAX_CHILDREN) {
    fprintf(2, "usage: forktest [N], 1 <= N <= %d\n", MAX_CHILDREN);
    return 2;
  }
  int self = getpid();
  for (int i = 0; i < n; i++) {
    int pid = fork();
    if (pid < 0) {
      // Reap what we made so they do not linger, then report.
      while (wait(0) >= 0) {}
      return problem("fork failed after this many children", i, n);
    }
    if (pid == 0) {
      if (getpid() == self || getpid() <= 0) exit(-2);
      exit(status_of(i));
    }
    pids[i] = pid;
  }
  for (int k = 0; k < n; k++) {
    int status = 0;
    int pid = wait(&status);
    if (pid < 0) return problem("wait returned -1 with children left", k, n);
    int i = 0;
    while (i < n && pids[i] != pid) i++;
    if (i == n) return problem("wait returned a pid we never forked", pid, k);
    if (reaped[i]) return problem("wait returned a pid twice", pid, k);
    reaped[i] = 1;
    if (status != status_of(i)) return problem("wrong exit status", status, status_of(i));
  }
  if (wait(0) != -1) return problem("wait found a child after all were reaped", 0, 0);
  printf("forktest: OK (%d children)\n", n);
  return 0;
}
