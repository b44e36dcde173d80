// init: the first user process.
//
// Opens the console read-write (creating the device node with
// mknod("console", 1, 0) if the open fails), makes it fds 0, 1 and 2,
// then runs the shell forever: it waits for children, which reaps the
// orphans the kernel re-parents to init, and starts a new shell whenever
// the current one exits.
#include "user.h"

#define RESTART_PAUSE 10  // ticks to wait after a shell that died at once

static char *shell_argv[] = {"sh", 0};

static int start_shell(void) {
  int pid = fork();
  if (pid < 0) {
    fprintf(2, "init: fork: %s\n", lasterror());
    return -1;
  }
  if (pid == 0) {
    exec("/sh", shell_argv);
    exec("sh", shell_argv);
    fprintf(2, "init: exec sh: %s\n", lasterror());
    exit(1);
  }
  return pid;
}

int main(void) {
  int fd = open("console", O_RDWR);
  if (fd < 0) {
    if (mknod("console", CONSOLE_MAJOR, 0) < 0) exit(1);  // nowhere to complain
    fd = open("console", O_RDWR);
    if (fd < 0) exit(1);
  }
  // init starts with no descriptors, so the console is fd 0 and these
  // two dups make fds 1 and 2.
  dup(fd);
  dup(fd);

  for (;;) {
    printf("init: starting sh\n");
    int started = uptime();
    int shell = start_shell();
    if (shell < 0) {
      sleep(RESTART_PAUSE);
      continue;
    }
    for (;;) {
      int status;
      int pid = wait(&status);
      if (pid == shell) {
        printf("init: sh exited with status %d\n", status);
        break;
      }
      if (pid < 0) {
        // Cannot happen while the shell lives; do not spin if it does.
        fprintf(2, "init: wait: %s\n", lasterror());
        sleep(RESTART_PAUSE);
        break;
      }
      // Otherwise an orphan was reaped.
    }
    if (uptime() - started < 1) sleep(RESTART_PAUSE);
  }
}
