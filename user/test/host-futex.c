// Keel's futex_wait and futex_wake (system calls 134-135) on Linux's futex,
// for the C library's portable parts built for the host: sync.c calls them
// (through host-rename.h's ulib_ names), and malloc.c takes a sync.c mutex.
// Results as docs/abi.md "Threads" gives them: 0 woken, 1 the word differed,
// 2 timed out, -1 an error.
#include <errno.h>
#include <linux/futex.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int ulib_futex_wait(volatile unsigned *addr, unsigned expected, uint64_t timeout_ns) {
  struct timespec ts = {(time_t)(timeout_ns / 1000000000u), (long)(timeout_ns % 1000000000u)};
  long r = syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, expected, timeout_ns ? &ts : NULL, NULL, 0);
  if (r == 0) return 0;
  if (errno == EAGAIN) return 1;
  if (errno == ETIMEDOUT) return 2;
  if (errno == EINTR) return 0;
  return -1;
}
int ulib_futex_wake(volatile unsigned *addr, int n) { return (int)syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0); }
