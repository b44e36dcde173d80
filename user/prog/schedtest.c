// schedtest CASE: the scheduling classes, seen from user space. Each case
// prints lines whose order is the scheduler's decision; host/sched.test.ts
// checks the order (never timing). The test pins itself to vCPU 0 first, so
// its children share one run queue whatever the machine has.
//
//   fifo    three FIFO children of one priority run one after another
//   rr      three round-robin children take turns, one quantum each
//   rtfair  a real-time child runs before a fair one made runnable first
//   idle    an idle-class child starts only after a fair one is done
//   wake    a fair reader woken by an idle-class writer preempts it; a batch one does not
//   yield   two FIFO children of one priority that yield after every line alternate
//   errors  bad policies, priorities, masks and pids are refused with reasons
//   inherit fork passes class, priority and mask on; exec keeps them
#include "user.h"

#define SPIN_QUANTA 600000  // loop iterations: well over one round-robin quantum of instructions

static void spin(long n) {
  for (volatile long i = 0; i < n; i++) {
  }
}

static void must(int ok, const char *what) {
  if (!ok) {
    printf("schedtest: FAIL %s: %s\n", what, lasterror());
    exit(1);
  }
}

static void wait_all(int n) {
  for (int i = 0; i < n; i++) wait(0);
}

/** Three children in `policy` at priority 10, queued A, B, C by this
 *  (stronger) parent; each spins and prints three times. */
static void rt_order(int policy) {
  must(sched_set(0, policy, 50) == 0, "sched_set parent");
  for (int c = 0; c < 3; c++) {
    int pid = fork();
    if (pid == 0) {
      for (int k = 1; k <= 3; k++) {
        spin(SPIN_QUANTA);
        printf("%c%d\n", 'A' + c, k);
      }
      exit(0);
    }
    must(pid > 0, "fork");
    must(sched_set(pid, policy, 10) == 0, "sched_set child");
  }
  wait_all(3);
}

/** Two FIFO children at priority 10, queued A then B; each prints and yields. */
static void yield_case(void) {
  must(sched_set(0, SCHED_FIFO, 50) == 0, "sched_set parent");
  for (int c = 0; c < 2; c++) {
    int pid = fork();
    if (pid == 0) {
      for (int k = 1; k <= 3; k++) {
        printf("%c%d\n", 'A' + c, k);
        must(sched_yield() == 0, "sched_yield");
      }
      exit(0);
    }
    must(pid > 0, "fork");
    must(sched_set(pid, SCHED_FIFO, 10) == 0, "sched_set child");
  }
  wait_all(2);
}

/** A child that waits for the go pipe to close, then runs `body`. */
static int child_after_go(int go[2], int policy, void (*body)(void)) {
  int pid = fork();
  if (pid == 0) {
    close(go[1]);
    char c;
    read(go[0], &c, 1);
    body();
    exit(0);
  }
  must(pid > 0, "fork");
  must(sched_set(pid, policy, policy == SCHED_FIFO || policy == SCHED_RR ? 10 : 0) == 0, "sched_set child");
  return pid;
}

static void fair_body(void) { printf("fair: start\n"); spin(SPIN_QUANTA * 3); printf("fair: done\n"); }
static void rt_body(void) { printf("rt: start\n"); spin(SPIN_QUANTA * 3); printf("rt: done\n"); }
static void idle_body(void) { printf("idle: start\n"); spin(SPIN_QUANTA); printf("idle: done\n"); }

static void two_after_go(int first, void (*a)(void), int second, void (*b)(void)) {
  int go[2];
  must(pipe(go) == 0, "pipe");
  child_after_go(go, first, a);
  child_after_go(go, second, b);
  close(go[0]);
  close(go[1]);  // both wake: the scheduler picks
  wait_all(2);
}

/** An idle-class writer wakes a reader of class `policy` and says so at once. */
static void wake_case(int policy, const char *name) {
  int p[2];
  must(pipe(p) == 0, "pipe");
  int reader = fork();
  if (reader == 0) {
    close(p[1]);
    char c;
    read(p[0], &c, 1);
    printf("%s: woke\n", name);
    exit(0);
  }
  must(reader > 0, "fork");
  must(sched_set(reader, policy, 0) == 0, "sched_set reader");
  int writer = fork();
  if (writer == 0) {
    close(p[0]);
    write(p[1], "x", 1);  // runs only when the reader is asleep (idle class)
    printf("idle: wrote\n");
    exit(0);
  }
  must(writer > 0, "fork");
  must(sched_set(writer, SCHED_IDLE, 0) == 0, "sched_set writer");
  close(p[0]);
  close(p[1]);
  wait_all(2);
}

static void refuse(int r, const char *what) {
  if (r >= 0) printf("schedtest: FAIL %s was accepted\n", what);
  else printf("refused %s: %s\n", what, lasterror());
}

static void errors_case(void) {
  struct schedinfo si;
  refuse(sched_set(0, 4, 0), "policy 4");
  refuse(sched_set(0, -1, 0), "policy -1");
  refuse(sched_set(0, SCHED_FIFO, 0), "fifo priority 0");
  refuse(sched_set(0, SCHED_RR, 100), "rr priority 100");
  refuse(sched_set(0, SCHED_FAIR, 5), "fair priority 5");
  refuse(sched_set(999999, SCHED_FAIR, 0), "sched_set pid 999999");
  refuse(sched_set(-3, SCHED_FAIR, 0), "sched_set pid -3");
  refuse(sched_get(999999, &si), "sched_get pid 999999");
  refuse(sched_get(0, (struct schedinfo *)8), "sched_get bad pointer");
  refuse(setaffinity(0, 0), "mask 0");
  refuse(setaffinity(0, 0x100), "mask 0x100");
  refuse(setaffinity(0, 0x80), "mask 0x80");
  refuse(setaffinity(999999, 1), "setaffinity pid 999999");
  refuse((int)getaffinity(999999), "getaffinity pid 999999");
  must(sched_get(0, &si) == 0, "sched_get");
  printf("unchanged: policy %d priority %d mask %x\n", si.policy, si.priority, si.affinity);
}

static void inherit_case(void) {
  must(sched_set(0, SCHED_RR, 7) == 0, "sched_set");
  int pid = fork();
  if (pid == 0) {
    struct schedinfo si;
    must(sched_get(0, &si) == 0, "sched_get child");
    printf("child: policy %d priority %d mask %lx\n", si.policy, si.priority, (unsigned long)getaffinity(0));
    char *argv[] = {"chrt", "-p", "0", 0};
    exec("/chrt", argv);
    printf("schedtest: FAIL exec chrt: %s\n", lasterror());
    exit(1);
  }
  must(pid > 0, "fork");
  wait(0);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(2, "usage: schedtest fifo|rr|rtfair|idle|wake|yield|errors|inherit\n");
    return 2;
  }
  must(setaffinity(0, 1) == 0, "setaffinity 1");
  const char *c = argv[1];
  if (strcmp(c, "fifo") == 0) rt_order(SCHED_FIFO);
  else if (strcmp(c, "rr") == 0) rt_order(SCHED_RR);
  else if (strcmp(c, "rtfair") == 0) two_after_go(SCHED_FAIR, fair_body, SCHED_FIFO, rt_body);
  else if (strcmp(c, "idle") == 0) two_after_go(SCHED_IDLE, idle_body, SCHED_FAIR, fair_body);
  else if (strcmp(c, "wake") == 0) { wake_case(SCHED_FAIR, "fair"); wake_case(SCHED_BATCH, "batch"); }
  else if (strcmp(c, "yield") == 0) yield_case();
  else if (strcmp(c, "errors") == 0) errors_case();
  else if (strcmp(c, "inherit") == 0) inherit_case();
  else {
    fprintf(2, "schedtest: %s: unknown case\n", c);
    return 2;
  }
  printf("schedtest %s: done\n", c);
  return 0;
}
