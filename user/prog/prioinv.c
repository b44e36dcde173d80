// prioinv [nested]: priority inversion through IPC, and inheritance
// resolving it. All on vCPU 0, in FIFO real time:
//
//   client (90) --ep_call--> server (10)    [nested: --ep_call--> server2 (5)]
//   medium (50): CPU-bound, runs from the moment the client blocks
//
// With priority inheritance (the kernel's default) the server serves at the
// client's 90, so the client's reply comes before the medium process is
// done; with it off (monitor `inherit off`, boot flag `noinherit`) the
// medium process keeps the server (and so the client) off the CPU until it
// finishes. host/sched.test.ts checks the order of the lines.
#include "user.h"

#define MEDIUM_WORK 3000000L  // loop iterations: many slices
#define SERVER_WORK 100000L

static void spin(long n) {
  for (volatile long i = 0; i < n; i++) {
  }
}

static void must(int ok, const char *what) {
  if (!ok) {
    printf("prioinv: FAIL %s: %s\n", what, lasterror());
    exit(1);
  }
}

/** Serves one call on ep (forwarding it to `next` first unless next < 0). */
static void serve(const char *name, int ep, int next) {
  struct ipcmsg m;
  memset(&m, 0, sizeof m);
  m.cap = -1;
  must(ep_recv(ep, &m) == 0, "ep_recv");
  struct schedinfo si;
  must(sched_get(0, &si) == 0, "sched_get");
  printf("%s: serving at priority %d (own %d)\n", name, si.eff_priority, si.priority);
  if (next >= 0) {
    struct ipcmsg f;
    memset(&f, 0, sizeof f);
    f.cap = -1;
    must(ep_call(next, &f) == 0, "ep_call (forward)");
  }
  spin(SERVER_WORK);
  m.len = 0;
  m.cap = -1;
  printf("%s: replying\n", name);
  must(ep_reply(&m) == 0, "ep_reply");
  must(sched_get(0, &si) == 0, "sched_get");
  if (si.eff_priority != si.priority) printf("prioinv: FAIL %s still boosted after its reply\n", name);
  exit(0);
}

static int start(int prio, const char *name, int ep, int next) {
  int pid = fork();
  if (pid == 0) {
    if (ep < 0) {
      spin(MEDIUM_WORK);
      printf("medium: done\n");
      exit(0);
    }
    serve(name, ep, next);
  }
  must(pid > 0, "fork");
  must(sched_set(pid, SCHED_FIFO, prio) == 0, "sched_set");
  return pid;
}

int main(int argc, char **argv) {
  int nested = argc > 1 && strcmp(argv[1], "nested") == 0;
  if (argc > 2 || (argc == 2 && !nested)) {
    fprintf(2, "usage: prioinv [nested]\n");
    return 2;
  }
  must(setaffinity(0, 1) == 0, "setaffinity");
  must(sched_set(0, SCHED_FIFO, 99) == 0, "sched_set self");
  int ep = ep_create(), ep2 = ep_create();
  must(ep >= 0 && ep2 >= 0, "ep_create");
  start(10, "server", ep, nested ? ep2 : -1);
  if (nested) start(5, "server2", ep2, -1);
  sleep(1);  // the servers run and wait in ep_recv
  start(50, "medium", -1, -1);
  must(sched_set(0, SCHED_FIFO, 90) == 0, "sched_set client");
  printf("client: calling\n");
  struct ipcmsg m;
  memset(&m, 0, sizeof m);
  m.cap = -1;
  must(ep_call(ep, &m) == 0, "ep_call");
  printf("client: reply received\n");
  for (int i = 0; i < (nested ? 3 : 2); i++) wait(0);
  printf("prioinv: done\n");
  return 0;
}
