// ugetpid: a getpid() without a system call (lab "ugetpid",
// docs/labs/ugetpid.md). The kernel is to map a read-only page at USYSCALL
// in every process, holding its pid; this program reads it.
//   ugetpid        the page holds the pid here, in four children, and in a
//                  child after exec; prints "ugetpid: OK"
//   ugetpid write  a child that writes to the page is killed; prints
//                  "ugetpid write: OK"
// On a kernel without the page the first read kills the program.
#include "user.h"

#define USYSCALL 0x7FFFFFFFE000UL  // USER_VA_LIMIT - 2 pages (kernel-as/src/mm/vm.ts)
#define CHILDREN 4

struct usyscall {
  int pid;
};

static int ugetpid(void) {
  return ((volatile struct usyscall *)USYSCALL)->pid;
}

static void check(const char *who) {
  int fast = ugetpid(), slow = getpid();
  if (fast != slow) {
    printf("ugetpid: FAIL %s: the page says %d, getpid() says %d\n", who, fast, slow);
    exit(1);
  }
}

int main(int argc, char **argv) {
  if (argc == 2 && !strcmp(argv[1], "exec")) {
    check("after exec");
    exit(0);
  }
  if (argc == 2 && !strcmp(argv[1], "write")) {
    int pid = fork();
    if (pid < 0) fail("ugetpid: fork");
    if (pid == 0) {
      ((volatile struct usyscall *)USYSCALL)->pid = 0;
      exit(0);  // only if the write went through
    }
    int status = 0;
    wait(&status);
    if (status == 0) {
      printf("ugetpid write: FAIL the page is writable\n");
      exit(1);
    }
    check("after the child's write");
    printf("ugetpid write: OK\n");
    exit(0);
  }
  if (argc != 1) {
    printf("usage: ugetpid [write]\n");
    exit(2);
  }
  check("in the program");
  for (int i = 0; i < CHILDREN; i++) {
    int pid = fork();
    if (pid < 0) fail("ugetpid: fork");
    if (pid == 0) {
      check("in a child");
      exit(0);
    }
  }
  for (int i = 0; i < CHILDREN; i++) {
    int status = -1;
    wait(&status);
    if (status != 0) {
      printf("ugetpid: FAIL a child's page did not hold its pid\n");
      exit(1);
    }
  }
  int pid = fork();
  if (pid < 0) fail("ugetpid: fork");
  if (pid == 0) {
    char *args[] = {"ugetpid", "exec", 0};
    exec("/ugetpid", args);
    printf("ugetpid: FAIL exec: %s\n", lasterror());
    exit(1);
  }
  int status = -1;
  wait(&status);
  if (status != 0) {
    printf("ugetpid: FAIL the page did not hold the pid after exec\n");
    exit(1);
  }
  check("after the children");
  printf("ugetpid: OK\n");
  exit(0);
}
