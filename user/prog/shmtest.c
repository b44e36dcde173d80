// shmtest: shared memory objects: zero-copy sharing between processes, and
// the capability's rights deciding the mapping's permissions.
#include "user.h"

static int passed, failed;

static void check(int ok, const char *what) {
  if (ok) passed++; else failed++;
  printf("%s %s\n", ok ? "ok  " : "FAIL", what);
}

int main(void) {
  int shm = shm_create(8192);
  check(shm >= 16, "shm_create gives a capability slot from 16 up");
  volatile char *p = shm_map(shm);
  check(p != (char *)-1, "shm_map maps it");
  check(p[0] == 0 && p[8191] == 0, "a new object reads as zeros");
  p[0] = 'a';

  int kid = fork();
  if (kid == 0) {
    // fork keeps the mapping shared (not copy-on-write): our stores show.
    p[0] = 'c';
    p[4096] = 'b';
    exit(0);
  }
  wait(0);
  check(p[0] == 'c' && p[4096] == 'b', "a child's stores through the shared mapping are seen by the parent");

  int ro = cap_derive(shm, -1, CAP_READ | CAP_GRANT | CAP_DELEGATE, 0, 0);
  kid = fork();
  if (kid == 0) {
    volatile char *q = shm_map(ro);
    if (q == (char *)-1 || q[0] != 'c') exit(2);
    q[0] = 'x';  // a read-only mapping: this store kills us
    exit(0);
  }
  int status = 0;
  wait(&status);
  check(status == -1, "a store through a mapping from a Read-only capability kills the process");
  check(p[0] == 'c', "and the object is unchanged");

  int fd = open("/README", O_RDONLY);
  check(shm_map(fd) == (void *)-1, "shm_map of a file capability is refused");
  check(shm_create(0) == -1, "shm_create(0) is refused");
  check(shm_create(64 << 20) == -1, "shm_create beyond 4 MiB is refused");

  printf("shmtest: %d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
