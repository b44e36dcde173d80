// memtest: the memory promises, one case per run (`memtest <case>`), each
// ending with "memtest <case>: OK" or a FAIL line. host/memory.test.ts runs
// them and checks from outside that every frame comes back.
//   lazy_alloc lazy_unmap sbrkfail beyond   xv6's lazy heap (sbrk's a1 = 2)
//   hog lazyhog                           grow until refused / killed
//   fork execbad execargs execnomem       exit paths that must free all
//   killpiperead killpipewrite killwait killsleep killrecv
//   pipe ipc shm
#include "user.h"

#define PGSIZE 4096L
#define REGION_SZ (1024L * 1024 * 1024)

static const char *name;

static void failed(const char *what) {
  printf("memtest %s: FAIL %s (%s)\n", name, what, lasterror());
  exit(1);
}

static void ok(void) {
  printf("memtest %s: OK\n", name);
  exit(0);
}

// xv6's lazy_alloc: a lazy gigabyte, every 64th page touched.
static void lazy_alloc(void) {
  char *prev = sbrklazy(REGION_SZ);
  if (prev == (char *)-1) failed("sbrklazy(1 GiB)");
  char *end = prev + REGION_SZ;
  for (char *i = prev + PGSIZE; i < end; i += 64 * PGSIZE) *(char **)i = i;
  for (char *i = prev + PGSIZE; i < end; i += 64 * PGSIZE)
    if (*(char **)i != i) failed("a lazy page lost its value");
  if (sbrklazy(-REGION_SZ) != end) failed("sbrklazy(-1 GiB)");
  ok();
}

// xv6's lazy_unmap: pages of a lazy heap given back are gone; touching one kills.
static void lazy_unmap(void) {
  char *prev = sbrklazy(REGION_SZ);
  if (prev == (char *)-1) failed("sbrklazy(1 GiB)");
  char *end = prev + REGION_SZ;
  for (char *i = prev; i < end; i += PGSIZE * PGSIZE) *(char **)i = i;
  for (char *i = prev; i < end; i += PGSIZE * PGSIZE) {
    int pid = fork();
    if (pid < 0) failed("fork");
    if (pid == 0) {
      sbrklazy(-1L * REGION_SZ);
      *(char **)i = i;
      exit(0);
    }
    int status = 0;
    wait(&status);
    if (status == 0) failed("memory not unmapped");
  }
  ok();
}

// xv6's sbrkfail: big eager heaps fail and give back what they took; a lazy
// heap read far past RAM kills its process, not the machine.
static void sbrkfail(void) {
  enum { BIG = 100 * 1024 * 1024 };
  int fds[2];
  int pids[10];
  int refused = 0;
  if (pipe(fds) != 0) failed("pipe");
  for (int i = 0; i < 10; i++) {
    if ((pids[i] = fork()) == 0) {
      if (sbrk(BIG - (uint64)sbrk(0)) == (char *)-1) write(fds[1], "0", 1);
      else write(fds[1], "1", 1);
      for (;;) sleep(1000);
    }
    char scratch = 0;
    if (pids[i] != -1) {
      read(fds[0], &scratch, 1);
      if (scratch == '0') refused = 1;
    }
  }
  if (!refused) failed("no allocation failed");
  char *c = sbrk(PGSIZE);
  for (int i = 0; i < 10; i++) {
    if (pids[i] == -1) continue;
    kill(pids[i]);
    wait(0);
  }
  if (c == (char *)-1) failed("failed sbrk leaked memory");
  int pid = fork();
  if (pid < 0) failed("fork");
  if (pid == 0) {
    char *a = sbrklazy(0);
    sbrklazy(10 * BIG);
    int n = 0;
    for (long i = 0; i < 10L * BIG; i += PGSIZE) n += a[i];
    printf("memtest sbrkfail: FAIL allocating a lot of memory succeeded %d\n", n);
    exit(1);
  }
  int status = 0;
  wait(&status);
  if (status != -1) failed("the lazy hog was not killed");
  close(fds[0]);
  close(fds[1]);
  ok();
}

// A lazy heap of 8 GiB (far beyond RAM): pages at both ends of each
// gigabyte hold what was stored, and giving it all back returns the break.
static void beyond(void) {
  char *start = sbrklazy(0);
  for (int g = 0; g < 8; g++)
    if (sbrklazy(REGION_SZ) == (char *)-1) failed("sbrklazy(1 GiB)");
  for (long g = 0; g < 8; g++) {
    char *lo = start + g * REGION_SZ, *hi = lo + REGION_SZ - 8;
    *(long *)lo = g;
    *(long *)hi = -g;
  }
  for (long g = 0; g < 8; g++)
    if (*(long *)(start + g * REGION_SZ) != g || *(long *)(start + (g + 1) * REGION_SZ - 8) != -g) failed("a page lost its value");
  for (int g = 0; g < 8; g++) sbrklazy(-REGION_SZ);
  if (sbrk(0) != start) failed("the break did not come back");
  ok();
}

// Grows an eager heap a MiB at a time until sbrk refuses, then waits to be killed.
static void hog(void) {
  long mib = 0;
  while (sbrk(1 << 20) != (char *)-1) mib++;
  printf("memtest hog: %ld MiB, then %s\n", mib, lasterror());
  for (;;) sleep(1000);
}

// Touches a lazy heap page after page until the kernel ends it.
static void lazyhog(void) {
  char *a = sbrklazy(0x7fffffff);
  if (a == (char *)-1) failed("sbrklazy");
  for (long i = 0;; i += PGSIZE) a[i] = 1;
}

static void forks(void) {
  for (int i = 0; i < 20; i++) {
    int pid = fork();
    if (pid < 0) failed("fork");
    if (pid == 0) {
      char *p = sbrk(3 * PGSIZE);  // a little memory of its own
      p[0] = p[PGSIZE] = 1;
      exit(i);
    }
    int status = -2;
    if (wait(&status) != pid || status != i) failed("wait");
  }
  ok();
}

static void execbad(void) {
  char *argv[] = {"README", 0};
  if (exec("README", argv) != -1) failed("exec of a text file");
  if (exec("nosuchprogram", argv) != -1) failed("exec of a missing file");
  if (exec("memtest", (char **)0x10) != -1) failed("exec with a bad argv");
  ok();
}

static void execargs(void) {
  char *argv[MAXARG + 2];
  for (int i = 0; i < MAXARG + 1; i++) argv[i] = "x";
  argv[MAXARG + 1] = 0;
  if (exec("echo", argv) != -1) failed("exec with 33 arguments");
  ok();
}

// Takes the heap to the per-process limit, leaves a few pages, then execs: the
// new image runs out of frames half-way and exec must fail, freeing it all.
static void execnomem(void) {
  int pid = fork();
  if (pid == 0) {
    while (sbrk(1 << 20) != (char *)-1) {}
    while (sbrk(PGSIZE) != (char *)-1) {}
    sbrk(-3 * PGSIZE);
    char *argv[] = {"syscalltest", 0};
    int r = exec("syscalltest", argv);
    printf("memtest execnomem: exec returned %d (%s)\n", r, lasterror());
    exit(r == -1 ? 7 : 1);
  }
  int status = 0;
  wait(&status);
  if (status != 7) failed("exec did not fail cleanly");
  ok();
}

// Forks a child that signals, then blocks in `how`; kills it while blocked.
static void kill_blocked(int how) {
  int ready[2], p[2];
  if (pipe(ready) != 0 || pipe(p) != 0) failed("pipe");
  int pid = fork();
  if (pid < 0) failed("fork");
  if (pid == 0) {
    char buf[512];
    write(ready[1], "r", 1);
    if (how == 0) read(p[0], buf, 1);
    if (how == 1) { memset(buf, 'w', sizeof buf); for (;;) write(p[1], buf, sizeof buf); }
    if (how == 2) {
      int g = fork();
      if (g == 0) for (;;) sleep(1000);
      write(ready[1], &g, sizeof g);
      wait(0);
    }
    if (how == 3) sleep(100000);
    if (how == 4) {
      struct ipcmsg m;
      int ep = ep_create();
      ep_recv(ep, &m);
    }
    exit(0);
  }
  char c;
  read(ready[0], &c, 1);
  int grandchild = 0;
  if (how == 2) read(ready[0], &grandchild, sizeof grandchild);
  sleep(2);  // it blocks meanwhile
  if (kill(pid) != 0) failed("kill");
  int status = 0;
  if (wait(&status) != pid || status != -1) failed("the blocked child did not die by kill");
  if (grandchild > 0) kill(grandchild);
  close(ready[0]); close(ready[1]); close(p[0]); close(p[1]);
  ok();
}

static void pipes(void) {
  for (int i = 0; i < 50; i++) {
    int p[2];
    if (pipe(p) != 0) failed("pipe");
    write(p[1], "left behind", 11);  // data still in it when it goes
    close(p[0]);
    close(p[1]);
  }
  int p[2];
  pipe(p);
  int pid = fork();
  if (pid == 0) { close(p[0]); write(p[1], "hi", 2); exit(0); }  // exits holding nothing closed
  close(p[1]);
  char buf[4];
  if (read(p[0], buf, 2) != 2) failed("read");
  wait(0);
  close(p[0]);
  ok();
}

static void ipc(void) {
  int ep = ep_create();
  if (ep < 0) failed("ep_create");
  int pid = fork();
  if (pid == 0) {
    struct ipcmsg m;
    for (int i = 0; i < 10; i++) {
      memset(&m, 0, sizeof m);
      m.w[0] = (uint64)i;
      m.cap = -1;
      ep_send(ep, &m);
    }
    exit(0);
  }
  struct ipcmsg m;
  for (int i = 0; i < 10; i++)
    if (ep_recv(ep, &m) < 0 || m.w[0] != (uint64)i) failed("ep_recv");
  wait(0);
  int n = ntfn_create();
  if (n < 0 || ntfn_signal(n, 5) < 0 || ntfn_poll(n) != 5) failed("notification");
  cap_delete(n);
  cap_delete(ep);
  ok();
}

static void shm(void) {
  for (int i = 0; i < 2; i++) {  // two regions are left for mappings
    int s = shm_create(3 * PGSIZE);
    if (s < 0) failed("shm_create");
    volatile char *p = shm_map(s);
    if (p == (char *)-1) failed("shm_map");
    int pid = fork();
    if (pid == 0) { p[PGSIZE] = 'c'; exit(0); }
    wait(0);
    if (p[PGSIZE] != 'c') failed("shared store");
    cap_delete(s);  // the mapping keeps the object until this process exits
  }
  ok();
}

int main(int argc, char **argv) {
  if (argc < 2) {
    printf("usage: memtest case\n");
    exit(2);
  }
  name = argv[1];
  const char *c = name;
  if (!strcmp(c, "lazy_alloc")) lazy_alloc();
  if (!strcmp(c, "lazy_unmap")) lazy_unmap();
  if (!strcmp(c, "sbrkfail")) sbrkfail();
  if (!strcmp(c, "beyond")) beyond();
  if (!strcmp(c, "hog")) hog();
  if (!strcmp(c, "lazyhog")) lazyhog();
  if (!strcmp(c, "fork")) forks();
  if (!strcmp(c, "execbad")) execbad();
  if (!strcmp(c, "execargs")) execargs();
  if (!strcmp(c, "execnomem")) execnomem();
  if (!strcmp(c, "killpiperead")) kill_blocked(0);
  if (!strcmp(c, "killpipewrite")) kill_blocked(1);
  if (!strcmp(c, "killwait")) kill_blocked(2);
  if (!strcmp(c, "killsleep")) kill_blocked(3);
  if (!strcmp(c, "killrecv")) kill_blocked(4);
  if (!strcmp(c, "pipe")) pipes();
  if (!strcmp(c, "ipc")) ipc();
  if (!strcmp(c, "shm")) shm();
  printf("memtest: no case %s\n", c);
  exit(2);
}
