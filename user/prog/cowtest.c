// cowtest: what copy-on-write fork promises (lab "cow", docs/labs/cow.md),
// one case per run (`cowtest CASE`), each ending with "cowtest CASE: OK"
// or a FAIL line. The lab's grader runs every case; any kernel passes them
// whose fork shares memory until someone writes it.
//   share  four children of a parent with 16 MiB of written heap fit in a
//          64 MiB machine (they hold none of it until they write)
//   copy   a write after fork is seen by the writer only, child or parent
//   kernel a read() into a shared page copies it too (the kernel's own
//          write to user memory goes through the same fault)
#include "user.h"

#define PGSIZE 4096L
#define PAGES 1024  // 4 MiB of heap, written before fork
#define SHARE_PAGES 4096  // 16 MiB, for share
#define SHARE_CHILDREN 4

static const char *name;

static void failed(const char *what) {
  printf("cowtest %s: FAIL %s\n", name, what);
  exit(1);
}

static void ok(void) {
  printf("cowtest %s: OK\n", name);
  exit(0);
}

/** PAGES written pages, page i holding i in every word. */
static long *written_heap(void) {
  long *heap = (long *)sbrk(PAGES * PGSIZE);
  if (heap == (long *)-1) failed("sbrk");
  for (long i = 0; i < PAGES * PGSIZE / 8; i++) heap[i] = i / (PGSIZE / 8);
  return heap;
}

/** Waits for one child; FAIL unless it exited 0. */
static void child_ok(const char *what) {
  int status = -1;
  if (wait(&status) < 0 || status != 0) failed(what);
}

static void share(void) {
  // 16 MiB written, then four children: a fork that copies needs 80 MiB of
  // the grader's 64 MiB machine; one that shares needs a few pages each.
  long *heap = (long *)sbrk(SHARE_PAGES * PGSIZE);
  if (heap == (long *)-1) failed("sbrk");
  for (long p = 0; p < SHARE_PAGES; p++) heap[p * (PGSIZE / 8)] = p;
  int release[2];
  if (pipe(release) < 0) failed("pipe");
  for (int i = 0; i < SHARE_CHILDREN; i++) {
    int pid = fork();
    if (pid < 0) {
      printf("cowtest share: fork %d of %d failed (%s)\n", i + 1, SHARE_CHILDREN, lasterror());
      failed("fork");
    }
    if (pid == 0) {
      close(release[1]);
      char c;
      read(release[0], &c, 1);  // 0 when the parent has forked them all
      for (long p = 0; p < SHARE_PAGES; p++)
        if (heap[p * (PGSIZE / 8)] != p) exit(3);
      heap[i] = -1;  // one write: one page copied
      exit(0);
    }
  }
  close(release[0]);
  close(release[1]);
  for (int i = 0; i < SHARE_CHILDREN; i++) child_ok("a child was killed or saw the wrong values");
  if (heap[0] != 0 || heap[1] != 0) failed("a child's write reached the parent");
  ok();
}

static void copy(void) {
  long *heap = written_heap();
  int pid = fork();
  if (pid < 0) failed("fork");
  if (pid == 0) {
    for (long p = 0; p < PAGES; p += 3) heap[p * (PGSIZE / 8) + 1] = 1000000 + p;
    for (long p = 0; p < PAGES; p++) {
      long want = p % 3 == 0 ? 1000000 + p : p;
      if (heap[p * (PGSIZE / 8) + 1] != want || heap[p * (PGSIZE / 8)] != p) exit(5);
    }
    exit(0);
  }
  // The parent writes other pages while the child runs, then checks its own.
  for (long p = 1; p < PAGES; p += 3) heap[p * (PGSIZE / 8) + 2] = -p;
  child_ok("the child did not see its own writes (or was killed)");
  for (long p = 0; p < PAGES; p++) {
    long want = p % 3 == 1 ? -p : p;
    if (heap[p * (PGSIZE / 8) + 2] != want || heap[p * (PGSIZE / 8) + 1] != p) failed("the parent sees a write it did not make");
  }
  ok();
}

static void kernel(void) {
  long *heap = written_heap();
  int fds[2];
  if (pipe(fds) < 0) failed("pipe");
  int pid = fork();
  if (pid < 0) failed("fork");
  if (pid == 0) {
    close(fds[1]);
    char *into = (char *)heap + 7 * PGSIZE;
    if (read(fds[0], into, 5) != 5) exit(6);
    if (memcmp(into, "hello", 5) != 0) exit(7);
    exit(0);
  }
  close(fds[0]);
  if (write(fds[1], "hello", 5) != 5) failed("write");
  close(fds[1]);
  child_ok("read() into a shared page failed in the child");
  if (heap[7 * (PGSIZE / 8)] != 7) failed("the child's read() changed the parent's page");
  ok();
}

int main(int argc, char **argv) {
  if (argc != 2) {
    printf("usage: cowtest share|copy|kernel\n");
    exit(2);
  }
  name = argv[1];
  if (!strcmp(name, "share")) share();
  if (!strcmp(name, "copy")) copy();
  if (!strcmp(name, "kernel")) kernel();
  printf("cowtest: no case %s\n", name);
  exit(2);
}
