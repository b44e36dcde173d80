// Reporting for the test programs: see user/include/check.h. A child
// started by check_in_child writes 'p' or 'f' per check and 'e' when fn
// returns; the parent reads the pipe to its end (the child's exit closes it).
#include "user.h"
#include "check.h"

int check_passed, check_failed;
static int report_fd = -1;  // in a child of check_in_child: the pipe to the parent

void check_tally(int ok) {
  if (report_fd >= 0) write(report_fd, ok ? "p" : "f", 1);
  else if (ok) check_passed++;
  else check_failed++;
}

void check(int ok, const char *what, const char *fmt, ...) {
  if (ok) {
    printf("ok   %s\n", what);
  } else {
    char detail[160] = "";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    printf("FAIL %s: %s\n", what, detail);
  }
  check_tally(ok);
}

int check_in_child(const char *what, void (*fn)(void), int *finished) {
  *finished = 0;
  int fds[2];
  if (pipe(fds) < 0) {
    check(0, what, "pipe: %s", lasterror());
    return -1;
  }
  int pid = fork();
  if (pid < 0) {
    check(0, what, "fork: %s", lasterror());
    close(fds[0]);
    close(fds[1]);
    return -1;
  }
  if (pid == 0) {
    close(fds[0]);
    report_fd = fds[1];
    fn();
    write(report_fd, "e", 1);
    exit(0);
  }
  close(fds[1]);
  char c;
  while (read(fds[0], &c, 1) == 1) {
    if (c == 'p') check_passed++;
    else if (c == 'f') check_failed++;
    else if (c == 'e') *finished = 1;
  }
  close(fds[0]);
  int status = -1, got;
  while ((got = wait(&status)) != pid && got >= 0) {}
  return status;
}
