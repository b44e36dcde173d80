// threadtest: threads, futexes and the thread library (docs/abi.md
// "Threads"). Prints "ok WHAT" or "FAIL WHAT: detail" per check and ends
// with "threadtest: N passed, M failed". Cases that end a process (exit from
// a thread, kill, exec, the main thread's thread_exit) run in a forked child
// and are judged by its wait status.
//   threadtest hold N   starts N threads that sleep on a futex, says
//                       "threadtest: holding N threads" and waits for ever
//                       (for ps; kill ends it)
#include "user.h"
#include "check.h"

#define WORKERS 4

// ---- A counter under a mutex, from 4 threads ------------------------------------

#define ROUNDS 3000
static mutex_t counter_lock = MUTEX_INIT;
static volatile long counter;
static volatile int tids_seen[WORKERS];

static int count_up(void *arg) {
  int me = (int)(long)arg;
  tids_seen[me] = thread_self();
  for (int i = 0; i < ROUNDS; i++) {
    mutex_lock(&counter_lock);
    long v = counter;
    for (volatile int k = 0; k < 40; k++) {}  // widen the window a preemption could hit
    counter = v + 1;
    mutex_unlock(&counter_lock);
  }
  return me + 10;
}

static void counter_case(void) {
  int tids[WORKERS];
  for (int i = 0; i < WORKERS; i++) tids[i] = thread_create(count_up, (void *)(long)i);
  int made = 1;
  for (int i = 0; i < WORKERS; i++) made &= tids[i] > 0;
  check(made, "thread_create x4", "a tid was %d", tids[0]);
  int statuses_ok = 1;
  for (int i = 0; i < WORKERS; i++) {
    int status = -1;
    if (thread_join(tids[i], &status) != 0 || status != i + 10) statuses_ok = 0;
  }
  check(statuses_ok, "thread_join returns each thread's status", "");
  check(counter == (long)WORKERS * ROUNDS, "the counter under a mutex", "%ld, not %ld", counter, (long)WORKERS * ROUNDS);
  int distinct = 1;
  for (int i = 0; i < WORKERS; i++) {
    if (tids_seen[i] != tids[i] || tids[i] == getpid()) distinct = 0;
  }
  check(distinct, "thread_self is the tid thread_create returned, not the pid", "");
  check(gettid() == getpid(), "the main thread's tid is the pid", "%d %d", gettid(), getpid());
  check(thread_join(tids[0], 0) < 0, "a joined thread cannot be joined again", "");
}

// ---- Producer and consumer over a condition variable --------------------------

#define SLOTS 4
#define ITEMS 300
static mutex_t q_lock = MUTEX_INIT;
static cond_t q_nonempty = COND_INIT, q_nonfull = COND_INIT;
static int q_items[SLOTS];
static int q_head, q_count;

static int produce(void *arg) {
  (void)arg;
  for (int i = 1; i <= ITEMS; i++) {
    mutex_lock(&q_lock);
    while (q_count == SLOTS) cond_wait(&q_nonfull, &q_lock);
    q_items[(q_head + q_count) % SLOTS] = i;
    q_count++;
    cond_signal(&q_nonempty);
    mutex_unlock(&q_lock);
  }
  return 0;
}

static int consume(void *arg) {
  long *sum = arg;
  int last = 0, ordered = 1;
  for (int n = 0; n < ITEMS; n++) {
    mutex_lock(&q_lock);
    while (q_count == 0) cond_wait(&q_nonempty, &q_lock);
    int v = q_items[q_head];
    q_head = (q_head + 1) % SLOTS;
    q_count--;
    cond_signal(&q_nonfull);
    mutex_unlock(&q_lock);
    if (v != last + 1) ordered = 0;
    last = v;
    *sum += v;
  }
  return ordered;
}

static void queue_case(void) {
  long sum = 0;
  int c = thread_create(consume, &sum);
  int p = thread_create(produce, 0);
  int ordered = 0, pst = -1;
  thread_join(p, &pst);
  thread_join(c, &ordered);
  check(sum == (long)ITEMS * (ITEMS + 1) / 2 && ordered == 1, "producer/consumer over a condition variable",
        "sum %ld, in order %d", sum, ordered);
}

// ---- A barrier -----------------------------------------------------------------------

#define PHASES 5
static barrier_t bar;
static volatile int phase_of[WORKERS];
static volatile int barrier_bad;
static volatile int last_arrivals;

static int phases(void *arg) {
  int me = (int)(long)arg;
  for (int ph = 1; ph <= PHASES; ph++) {
    phase_of[me] = ph;
    if (barrier_wait(&bar)) __atomic_fetch_add(&last_arrivals, 1, __ATOMIC_RELAXED);
    // Past the barrier every thread has reached phase ph.
    for (int j = 0; j < WORKERS; j++)
      if (phase_of[j] < ph) barrier_bad = 1;
    barrier_wait(&bar);  // nobody starts ph+1 before everyone checked ph
  }
  return 0;
}

static void barrier_case(void) {
  barrier_init(&bar, WORKERS);
  int tids[WORKERS];
  for (int i = 0; i < WORKERS; i++) tids[i] = thread_create(phases, (void *)(long)i);
  for (int i = 0; i < WORKERS; i++) thread_join(tids[i], 0);
  check(!barrier_bad && last_arrivals == PHASES, "a barrier holds 4 threads together for 5 phases",
        "bad %d, last arrivals %d", barrier_bad, last_arrivals);
}

// ---- futex_wait's results and errors ---------------------------------------------

static void futex_case(void) {
  static volatile uint word = 5;
  check(futex_wait(&word, 4, 0) == FUTEX_AGAIN, "futex_wait with a stale value returns at once", "");
  uint64 t0 = clocknanos();
  int r = futex_wait(&word, 5, 30 * 1000 * 1000);
  uint64 waited = clocknanos() - t0;
  check(r == FUTEX_TIMEDOUT && waited >= 30 * 1000 * 1000, "futex_wait times out", "result %d after %lu ns", r, waited);
  check(futex_wake(&word, 1) == 0, "futex_wake with no waiters wakes none", "");
  check(futex_wait((volatile uint *)0x10, 0, 0) < 0, "futex_wait on an unmapped address fails", "");
  check(futex_wait((volatile uint *)((char *)&word + 1), 0, 0) < 0, "futex_wait on a misaligned address fails", "");
  check(futex_wake((volatile uint *)0xFFFFFFFFFFFF0000UL, 1) < 0, "futex_wake on a kernel address fails", "");
  check(futex_wake((volatile uint *)0, 1) < 0, "futex_wake on address 0 fails", "");
  check(sys_thread_join(99999, 0) < 0, "thread_join of no such thread fails", "");
  check(sys_thread_join(gettid(), 0) < 0, "a thread cannot join itself", "");
}

static int give_7(void *arg) { (void)arg; return 7; }

static void join_case(void) {
  int t = thread_create(give_7, 0);
  check(sys_thread_join(t, (int *)0x8) < 0, "thread_join with a wild status pointer fails", "");
  int status = 0;
  check(thread_join(t, &status) == 0 && status == 7, "...and the thread can still be joined", "status %d", status);
}

// ---- Waking: a futex_wake of n wakes n ---------------------------------------------

static volatile uint gate;
static volatile int through;
static int wait_gate(void *arg) {
  (void)arg;
  while (gate == 0) futex_wait(&gate, 0, 0);
  __atomic_fetch_add(&through, 1, __ATOMIC_RELAXED);
  return 0;
}

static void wake_case(void) {
  int tids[3];
  for (int i = 0; i < 3; i++) tids[i] = thread_create(wait_gate, 0);
  sleep(2);  // they all reach futex_wait
  gate = 1;
  int woken = futex_wake(&gate, 2);
  int more = futex_wake(&gate, 10);
  for (int i = 0; i < 3; i++) thread_join(tids[i], 0);
  check(woken == 2 && more == 1 && through == 3, "futex_wake(n) wakes n, oldest first, and counts them",
        "%d then %d, %d through", woken, more, through);
}

// ---- What ends a process ------------------------------------------------------------

static volatile uint forever;
static int sleep_forever(void *arg) {
  (void)arg;
  for (;;) futex_wait(&forever, 0, 0);
}
static int spin_forever(void *arg) {
  (void)arg;
  for (;;) {}
}
static int exit_process(void *arg) { exit((int)(long)arg); }

static int child_status(int pid) {
  int status = -99;
  if (pid < 0 || wait(&status) != pid) return -100;
  return status;
}

static void exit_case(void) {
  int pid = fork();
  if (pid == 0) {
    thread_create(sleep_forever, 0);
    thread_create(spin_forever, 0);
    thread_create(exit_process, (void *)23);
    for (;;) futex_wait(&forever, 0, 0);
  }
  int st = child_status(pid);
  check(st == 23, "exit() in one thread ends every thread, with its status", "status %d", st);

  pid = fork();
  if (pid == 0) {
    thread_create(sleep_forever, 0);
    thread_create(spin_forever, 0);
    for (;;) futex_wait(&forever, 0, 0);
  }
  sleep(1);
  kill(pid);
  st = child_status(pid);
  check(st == -1, "kill ends a process of sleeping and spinning threads", "status %d", st);
}

static int finish_late(void *arg) {
  (void)arg;
  sleep(2);
  return 9;  // the last thread: its status ends the process
}

static void last_thread_case(void) {
  int pid = fork();
  if (pid == 0) {
    thread_create(finish_late, 0);
    sys_thread_exit(1);
  }
  int st = child_status(pid);
  check(st == 9, "the main thread's thread_exit leaves the process to the others; the last one's status ends it",
        "status %d", st);
}

static volatile int fork_result = -1;
static int fork_from_thread(void *arg) {
  (void)arg;
  int pid = fork();
  if (pid == 0) exit(gettid() == getpid() ? 31 : 32);  // the child's only thread is its main thread
  fork_result = child_status(pid);  // wait works from any thread
  return 0;
}

static void fork_case(void) {
  int t = thread_create(fork_from_thread, 0);
  thread_join(t, 0);
  check(fork_result == 31, "fork from a thread: the child has one thread, wait from a thread reaps it",
        "status %d", fork_result);
}

static int exec_echo(void *arg) {
  (void)arg;
  char *argv[] = {"echo", "threadtest-exec-ran", 0};
  exec("echo", argv);
  exit(99);
}

static void exec_case(void) {
  int pid = fork();
  if (pid == 0) {
    thread_create(spin_forever, 0);
    thread_create(exec_echo, 0);
    for (;;) futex_wait(&forever, 0, 0);
  }
  int st = child_status(pid);
  check(st == 0, "exec in a thread ends the other threads and runs the program", "status %d", st);
}

// ---- Shared memory: sbrk from one thread, seen by another ------------------------

static char *volatile shared_block;
static int grow_heap(void *arg) {
  (void)arg;
  char *p = sbrk(8192);
  if (p == (char *)-1) return 1;
  p[0] = 'k';
  p[8191] = 'l';
  shared_block = p;
  return 0;
}

static void sbrk_case(void) {
  int t = thread_create(grow_heap, 0);
  int st = -1;
  thread_join(t, &st);
  check(st == 0 && shared_block && shared_block[0] == 'k' && shared_block[8191] == 'l',
        "memory a thread sbrk'd is the other threads' memory", "");
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "hold") == 0) {
    int n = atoi(argv[2]);
    for (int i = 0; i < n; i++)
      if (thread_create(sleep_forever, 0) < 0) fail("threadtest: thread_create");
    printf("threadtest: holding %d threads\n", n);
    for (;;) futex_wait(&forever, 0, 0);
  }
  counter_case();
  queue_case();
  barrier_case();
  futex_case();
  join_case();
  wake_case();
  sbrk_case();
  fork_case();
  exit_case();
  last_thread_case();
  exec_case();
  printf("threadtest: %d passed, %d failed\n", check_passed, check_failed);
  return check_failed != 0;
}
