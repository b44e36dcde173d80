// kbench: measures the kernel from inside, as a user program sees it.
// Prints one line per benchmark: "kbench NAME NS_PER_OP OPS". Time comes
// from clocknanos(), the kernel's virtual clock (wall-clock time when the
// machine runs in realtime mode). bench/kernel.bench.ts runs it.
#include "user.h"

static void report(const char *name, uint64 start, int ops) {
  uint64 ns = clocknanos() - start;
  printf("kbench %s %lu %d\n", name, ns / (uint64)ops, ops);
}

static void null_syscall(int n) {
  uint64 t = clocknanos();
  for (int i = 0; i < n; i++) getpid();
  report("null-syscall", t, n);
}

static void fork_exit_wait(int n) {
  uint64 t = clocknanos();
  for (int i = 0; i < n; i++) {
    int pid = fork();
    if (pid == 0) exit(0);
    if (pid < 0 || wait(0) != pid) fail("kbench: fork");
  }
  report("fork+exit+wait", t, n);
}

static void exec_true(int n) {
  char *argv[] = {"true", 0};
  uint64 t = clocknanos();
  for (int i = 0; i < n; i++) {
    int pid = fork();
    if (pid == 0) {
      exec("/true", argv);
      exit(127);
    }
    int status = -1;
    if (pid < 0 || wait(&status) != pid || status != 0) fail("kbench: exec");
  }
  report("fork+exec+wait", t, n);
}

// Two processes bounce one byte through two pipes; each round trip is two
// context switches and four pipe operations.
static void pipe_round_trip(int n) {
  int there[2], back[2];
  if (pipe(there) < 0 || pipe(back) < 0) fail("kbench: pipe");
  int pid = fork();
  if (pid == 0) {
    close(there[1]);  // so that our read sees end of file when the parent closes its end
    close(back[0]);
    char c;
    while (read(there[0], &c, 1) == 1) write(back[1], &c, 1);
    exit(0);
  }
  close(there[0]);
  close(back[1]);
  char c = 'x';
  uint64 t = clocknanos();
  for (int i = 0; i < n; i++) {
    write(there[1], &c, 1);
    if (read(back[0], &c, 1) != 1) fail("kbench: round trip");
  }
  report("pipe-round-trip", t, n);
  close(there[1]);
  wait(0);
  close(back[0]);
}

static void demand_zero(int pages) {
  char *base = sbrklazy(pages * 4096);
  if (base == (char *)-1) fail("kbench: sbrk");
  uint64 t = clocknanos();
  for (int i = 0; i < pages; i++) base[i * 4096] = 1;
  report("demand-zero-fault", t, pages);
  sbrk(-pages * 4096);
}

int main(int argc, char **argv) {
  int scale = argc > 1 ? atoi(argv[1]) : 1;
  if (scale < 1) scale = 1;
  null_syscall(100000 * scale);
  fork_exit_wait(300 * scale);
  exec_true(200 * scale);
  pipe_round_trip(2000 * scale);
  demand_zero(2000 * scale);
  return 0;
}
