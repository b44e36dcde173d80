// sandbox: runs a command in capability mode holding nothing but its
// console: the child is spawned (not forked) with this process's slots 0-2
// as its own 0-2 and no other capability, so it can use standard input,
// output and error but cannot open any path, reach the file system by a
// directory capability, chdir, kill or exec by path.
//
//   sandbox CMD [ARG...]   a bare CMD means /CMD; exits with CMD's status
//
// `sandbox echo hi` prints hi; `sandbox ls` cannot open ".".
#include "user.h"

// (slot here, slot in the child): the three console descriptors.
static const int console_caps[] = {0, 0, 1, 1, 2, 2};
#define CONSOLE_PAIRS 3

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(2, "usage: sandbox CMD [ARG...]\n");
    return 2;
  }
  char path[128];
  if (strchr(argv[1], '/') == 0) snprintf(path, sizeof path, "/%s", argv[1]);
  else strlcpy(path, argv[1], sizeof path);
  int pid = spawn(path, argv + 1, console_caps, CONSOLE_PAIRS, SPAWN_CAPMODE);
  if (pid < 0) {
    fprintf(2, "sandbox: cannot start %s in capability mode: %s\n", path, lasterror());
    return 127;
  }
  int status = 0, reaped;
  while ((reaped = wait(&status)) >= 0 && reaped != pid) {}
  if (reaped < 0) fail("sandbox: wait");
  return status;
}
