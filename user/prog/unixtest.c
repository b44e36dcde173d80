// unixtest CHECK...: checks of the Unix personality's results against the
// xv6-riscv kernel's, in the spirit of xv6's usertests. Each check prints
// "unixtest CHECK: OK" or "unixtest CHECK: FAIL: why"; the exit status is
// the number of failed checks. The checks:
//
//   orphans [N]  N rounds (default 120) of: fork a child that forks a
//                grandchild which exits at once; the child exits without
//                waiting, so init inherits a zombie. init must be woken to
//                reap it: afterwards fork still works and no zombie is left.
//   tree SEED    a random tree of up to 39 processes (SEED picks it): each
//                forks 0-3 children, waits for all, one or none of them,
//                maybe sleeps, and exits; orphans and zombies land on init
//                in every order. Once all have exited, init must have
//                reaped every one.
//   truncwrite   a write through a descriptor whose offset is past the end
//                of the file (another descriptor truncated it with O_TRUNC)
//                returns -1 (xv6's truncate2). Needs a writable root.
//   sleepneg     sleep(n) with n < 0 sleeps for no time and returns 0.
//   killzombie   kill() of a zombie returns 0 and leaves its exit status.
//   stack        the stack is one page with the guard page right below it:
//                reading one page below sp kills the reader (xv6's
//                stacktest), reading the bottom of the stack page does not.
#include "user.h"

#define DEFAULT_ROUNDS 120
#define MAX_PROCS 64  // the kernel's process table
#define PAGE 4096
#define TRUNC_FILE "unixtest.tmp"

static struct procinfo table[MAX_PROCS];
static int failed;

static void report(const char *check, int ok, const char *why) {
  if (ok)
    printf("unixtest %s: OK\n", check);
  else
    printf("unixtest %s: FAIL: %s\n", check, why);
  failed += !ok;
}

// Zombies whose parent is pid.
static int zombies_of(int pid) {
  int n = procs(table, MAX_PROCS);
  int count = 0;
  for (int i = 0; i < n && i < MAX_PROCS; i++) count += table[i].ppid == pid && table[i].state == PROC_ZOMBIE;
  return count;
}

// init's pid: 1, unless init was restarted.
static int init_pid(void) {
  int n = procs(table, MAX_PROCS);
  for (int i = 0; i < n && i < MAX_PROCS; i++)
    if (strncmp(table[i].name, "init", PROC_NAME_LEN) == 0) return table[i].pid;
  return 1;
}

// A child whose own child has already exited (and is a zombie) when it
// exits itself. Returns 0, or -1 after printing why.
static int orphan_round(void) {
  int pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    int gone[2];
    if (pipe(gone) < 0) exit(2);
    int grandchild = fork();
    if (grandchild < 0) exit(3);
    if (grandchild == 0) exit(0);  // closes its copy of gone[1] as it dies
    close(gone[1]);
    char c;
    read(gone[0], &c, 1);  // end of file: the grandchild has exited, and is a zombie
    exit(0);               // without waiting for it
  }
  int status = -1;
  if (wait(&status) != pid || status != 0) return -1;
  return 0;
}

static void check_orphans(int rounds) {
  char why[96];
  for (int i = 0; i < rounds; i++) {
    if (orphan_round() < 0) {
      snprintf(why, sizeof why, "round %d: fork or wait failed (%s)", i, lasterror());
      report("orphans", 0, why);
      return;
    }
  }
  sleep(1);  // let init run and reap the last ones
  int left = zombies_of(init_pid());
  int pid = fork();
  if (pid == 0) exit(0);
  if (pid > 0) wait(0);
  snprintf(why, sizeof why, "after %d rounds: %d zombies of init, fork %s", rounds, left, pid > 0 ? "works" : "fails");
  report("orphans", left == 0 && pid > 0, why);
}

// ---- tree ----

#define TREE_DEPTH 3     // levels below the root, so at most 3 + 9 + 27 processes
#define TREE_FANOUT 4    // children per node: 0 to TREE_FANOUT - 1
#define TREE_SETTLE 50   // ticks to wait for init to reap the last ones

static uint64 tree_rng;

static uint tree_rand(void) {
  tree_rng ^= tree_rng << 13;
  tree_rng ^= tree_rng >> 7;
  tree_rng ^= tree_rng << 17;
  return (uint)(tree_rng >> 16);
}

// One node of the tree; never returns. Every node holds the write end of
// `alive` until it exits, so the checker's read sees end of file only once
// the whole tree is gone.
static void tree_node(int depth, int alive) {
  int kids = depth < TREE_DEPTH ? (int)(tree_rand() % TREE_FANOUT) : 0;
  int forked = 0;
  for (int i = 0; i < kids; i++) {
    uint64 child_seed = tree_rng ^ ((uint64)(i + 1) * 0x9E3779B97F4A7C15UL);
    int pid = fork();
    if (pid == 0) {
      tree_rng = child_seed | 1;
      tree_rand();
      tree_node(depth + 1, alive);
    }
    forked += pid > 0;
  }
  write(alive, "n", 1);
  switch (tree_rand() % 3) {
  case 0: for (int i = 0; i < forked; i++) wait(0); break;  // all of them
  case 1: if (forked > 0) wait(0); break;                   // one
  default: break;                                            // none: they are init's
  }
  if (tree_rand() % 2) sleep((int)(tree_rand() % 3));
  exit((int)(tree_rand() % 5));
}

static void check_tree(uint64 seed) {
  char why[96];
  int alive[2];
  if (pipe(alive) < 0) {
    report("tree", 0, "pipe failed");
    return;
  }
  int root = fork();
  if (root == 0) {
    close(alive[0]);
    tree_rng = seed * 2 + 1;
    tree_rand();
    tree_node(0, alive[1]);
  }
  close(alive[1]);
  int nodes = 0;
  char buf[64];
  for (int r; (r = read(alive[0], buf, sizeof buf)) > 0;) nodes += r;  // end of file: all have exited
  close(alive[0]);
  int status = -1;
  int reaped = wait(&status);
  int left = zombies_of(init_pid());
  for (int t = 0; t < TREE_SETTLE && left > 0; t++) {
    sleep(1);
    left = zombies_of(init_pid());
  }
  snprintf(why, sizeof why, "seed %lu: %d processes, root %s, %d zombies of init left", seed, nodes,
           reaped == root ? "reaped" : "lost", left);
  report("tree", root > 0 && reaped == root && left == 0, why);
  printf("unixtest tree: seed %lu: %d processes\n", seed, nodes);
}

static void check_truncwrite(void) {
  char why[96];
  unlink(TRUNC_FILE);
  int fd1 = open(TRUNC_FILE, O_CREATE | O_TRUNC | O_WRONLY);
  if (fd1 < 0) {
    snprintf(why, sizeof why, "cannot create %s: %s", TRUNC_FILE, lasterror());
    report("truncwrite", 0, why);
    return;
  }
  int first = write(fd1, "abcd", 4);
  int fd2 = open(TRUNC_FILE, O_TRUNC | O_WRONLY);  // fd1's offset (4) is now past the end
  int past = write(fd1, "x", 1);
  struct stat st;
  int size = fstat(fd2, &st) < 0 ? -1 : (int)st.size;
  int append = write(fd2, "ab", 2);  // at the end, as usual
  close(fd1);
  close(fd2);
  unlink(TRUNC_FILE);
  snprintf(why, sizeof why, "write 4: %d; truncate by a second open; write past the end: %d (want -1), size %d, write at the end: %d",
           first, past, size, append);
  report("truncwrite", first == 4 && fd2 >= 0 && past == -1 && size == 0 && append == 2, why);
}

static void check_sleepneg(void) {
  char why[96];
  int before = uptime();
  int a = sleep(-1), b = sleep(-1000000), c = sleep(0);
  int took = uptime() - before;
  snprintf(why, sizeof why, "sleep(-1) = %d, sleep(-1000000) = %d, sleep(0) = %d, %d ticks", a, b, c, took);
  report("sleepneg", a == 0 && b == 0 && c == 0 && took <= 1, why);
}

static void check_killzombie(void) {
  char why[96];
  int gone[2];
  if (pipe(gone) < 0) {
    report("killzombie", 0, "pipe failed");
    return;
  }
  int pid = fork();
  if (pid < 0) {
    report("killzombie", 0, "fork failed");
    return;
  }
  if (pid == 0) exit(7);
  close(gone[1]);
  char c;
  read(gone[0], &c, 1);  // end of file: the child has exited
  close(gone[0]);
  int zombie = zombies_of(getpid());
  int killed = kill(pid);
  int status = 0;
  int reaped = wait(&status);
  int again = kill(pid);  // no such process any more
  snprintf(why, sizeof why, "zombies %d, kill = %d, wait = %d (pid %d) status %d, kill after wait = %d", zombie, killed,
           reaped, pid, status, again);
  report("killzombie", zombie == 1 && killed == 0 && reaped == pid && status == 7 && again == -1, why);
}

static uint64 stack_pointer(void) {
  uint64 sp;
  __asm__ volatile("mv %0, sp" : "=r"(sp));
  return sp;
}

// Forks a child that reads the byte at `addr`, or at its own sp + `delta`
// when addr is 0; returns its exit status (-1 when the kernel killed it).
static int read_in_child(uint64 addr, long delta) {
  int pid = fork();
  if (pid < 0) return -2;
  if (pid == 0) {
    volatile char *p = (volatile char *)(addr != 0 ? addr : stack_pointer() + (uint64)delta);
    (void)*p;
    exit(0);
  }
  int status = -2;
  wait(&status);
  return status;
}

static void check_stack(void) {
  char why[112];
  uint64 sp = stack_pointer();
  int bottom = read_in_child(sp - sp % PAGE, 0);  // the lowest byte of sp's page
  printf("unixtest: the kernel should now kill a child that reads below the stack:\n");
  int below = read_in_child(0, -PAGE);
  snprintf(why, sizeof why, "read at the stack page's bottom: status %d (want 0); one page below sp: %d (want -1)",
           bottom, below);
  report("stack", bottom == 0 && below == -1, why);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(2, "usage: unixtest CHECK... (orphans [N], tree SEED, truncwrite, sleepneg, killzombie, stack)\n");
    return 2;
  }
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "orphans") == 0) {
      int rounds = DEFAULT_ROUNDS;
      if (i + 1 < argc && argv[i + 1][0] >= '0' && argv[i + 1][0] <= '9') rounds = atoi(argv[++i]);
      check_orphans(rounds);
    } else if (strcmp(argv[i], "tree") == 0 && i + 1 < argc) {
      check_tree((uint64)atoi(argv[++i]));
    } else if (strcmp(argv[i], "truncwrite") == 0) {
      check_truncwrite();
    } else if (strcmp(argv[i], "sleepneg") == 0) {
      check_sleepneg();
    } else if (strcmp(argv[i], "killzombie") == 0) {
      check_killzombie();
    } else if (strcmp(argv[i], "stack") == 0) {
      check_stack();
    } else {
      fprintf(2, "unixtest: unknown check %s\n", argv[i]);
      return 2;
    }
  }
  return failed;
}
