// gdbthreads: a small threaded program for the debugger (docs/debugging.md
// "Threads"): main starts two workers, each calls step() three times,
// adding to its own slot of hits[] and to total under a mutex, and main
// joins them, then writes greeting[] to standard output with one write()
// (the kernel reads it: a read watchpoint's hit) and prints the sums.
//   gdbthreads        prints "gdbthreads: total 9, hits 3 3, statuses 40 41"
#include "user.h"

#define WORKERS 2
#define STEPS 3

static mutex_t lock = MUTEX_INIT;
volatile long total;          // in memory, for watch
volatile long hits[WORKERS];
char greeting[] = "gdbthreads: hello from main\n";

// Not inlined, so a breakpoint on it is hit by each worker.
__attribute__((noinline)) long step(int me) {
  hits[me]++;
  mutex_lock(&lock);
  total += me + 1;
  long now = total;
  mutex_unlock(&lock);
  return now;
}

static int worker(void *arg) {
  int me = (int)(long)arg;
  for (int i = 0; i < STEPS; i++) step(me);
  return 40 + me;
}

int main(void) {
  int tids[WORKERS];
  for (int i = 0; i < WORKERS; i++) {
    tids[i] = thread_create(worker, (void *)(long)i);
    if (tids[i] < 0) {
      fprintf(2, "gdbthreads: thread_create failed\n");
      return 1;
    }
  }
  int status[WORKERS];
  for (int i = 0; i < WORKERS; i++) {
    if (thread_join(tids[i], &status[i]) != 0) {
      fprintf(2, "gdbthreads: thread_join failed\n");
      return 1;
    }
  }
  write(1, greeting, sizeof greeting - 1); // no user code reads it: only the kernel, for write()
  printf("gdbthreads: total %d, hits %d %d, statuses %d %d\n", (int)total, (int)hits[0], (int)hits[1], status[0],
         status[1]);
  return 0;
}
