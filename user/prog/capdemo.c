// capdemo: a revocation you can watch. It derives a write-only capability
// from its standard output (slot 1), spawns a child that holds nothing but
// a copy of it, waits SECONDS, then revokes slot 1: the derived capability
// and the child's copy vanish from the derivation tree, while slot 1 itself
// stays. It waits SECONDS more so the after-state can be looked at (the
// page's Capabilities panel: select capdemo, then slot 1), stops the child
// and exits 0.
//
//   capdemo [SECONDS]   SECONDS 0-3600, default 3
//
// The child is this program again, spawned in capability mode with the
// derived capability as its slot 1 and the argument --child: it only
// sleeps until it is killed. Output, with SECONDS 3:
//
//   capdemo: pid 7 holds slot 1: console rw--gD
//   capdemo: derived slot 17 from slot 1: console -w--gD
//   capdemo: spawned child pid 8 holding slot 17 as its slot 1
//   capdemo: revoking slot 1 in 3 s
//   capdemo: cap_revoke(1) removed 2 derived capabilities
//   capdemo: slot 17 is gone: cap_info: no capability in that slot (closed or revoked)
//   capdemo: slot 1 stays: console rw--gD
//   capdemo: stopping child pid 8 in 3 s
//   capdemo: done
#include "user.h"

#define PROGRAM "/capdemo"
#define CHILD_ARG "--child"
#define SOURCE_SLOT 1
#define DERIVED_RIGHTS (CAP_WRITE | CAP_GRANT | CAP_DELEGATE)  // no Read: fewer rights than the console's
#define TICKS_PER_SECOND 100  // sleep() ticks are 10 ms
#define MAX_SECONDS 3600
#define DEFAULT_SECONDS 3

static void usage(void) {
  fprintf(2, "usage: capdemo [SECONDS]   (0-%d, default %d)\n", MAX_SECONDS, DEFAULT_SECONDS);
  exit(2);
}

// "console rw--gD" for the capability in slot, or 0 when cap_info fails.
static const char *describe(int slot, char *out, int n) {
  struct capinfo info;
  if (cap_info(slot, &info) < 0) return 0;
  char rights[7];
  cap_rights_string((int)info.rights, rights);
  snprintf(out, (size_t)n, "%s %s", cap_type_name((int)info.type), rights);
  return out;
}

// The spawned child: holds only the derived capability and waits to be killed.
static void child(void) {
  for (;;) sleep(TICKS_PER_SECOND);
}

static void pause_seconds(int seconds) {
  if (seconds > 0 && sleep(seconds * TICKS_PER_SECOND) < 0) fail("capdemo: sleep");
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], CHILD_ARG) == 0) child();
  if (argc > 2) usage();
  int seconds = DEFAULT_SECONDS;
  if (argc == 2) {
    char *end;
    long n = strtol(argv[1], &end, 10);
    if (end == argv[1] || *end != 0 || n < 0 || n > MAX_SECONDS) usage();
    seconds = (int)n;
  }

  char what[32];
  if (describe(SOURCE_SLOT, what, sizeof what) == 0) {
    fprintf(2, "capdemo: slot %d: %s\n", SOURCE_SLOT, lasterror());
    return 1;
  }
  printf("capdemo: pid %d holds slot %d: %s\n", getpid(), SOURCE_SLOT, what);

  int derived = cap_derive(SOURCE_SLOT, CAP_SLOT_ANY, DERIVED_RIGHTS, 0, 0);
  if (derived < 0) {
    fprintf(2, "capdemo: cap_derive from slot %d: %s\n", SOURCE_SLOT, lasterror());
    return 1;
  }
  printf("capdemo: derived slot %d from slot %d: %s\n", derived, SOURCE_SLOT, describe(derived, what, sizeof what) ? what : "?");

  // (slot here, slot in the child): the derived capability only.
  int caps[2] = {derived, 1};
  char *child_argv[] = {"capdemo", CHILD_ARG, 0};
  int pid = spawn(PROGRAM, child_argv, caps, 1, SPAWN_CAPMODE);
  if (pid < 0) {
    fprintf(2, "capdemo: cannot start %s: %s\n", PROGRAM, lasterror());
    return 1;
  }
  printf("capdemo: spawned child pid %d holding slot %d as its slot 1\n", pid, derived);

  printf("capdemo: revoking slot %d in %d s\n", SOURCE_SLOT, seconds);
  pause_seconds(seconds);
  int removed = cap_revoke(SOURCE_SLOT);
  if (removed < 0) {
    fprintf(2, "capdemo: cap_revoke(%d): %s\n", SOURCE_SLOT, lasterror());
    kill(pid);
    wait(0);
    return 1;
  }
  printf("capdemo: cap_revoke(%d) removed %d derived capabilities\n", SOURCE_SLOT, removed);
  if (describe(derived, what, sizeof what) == 0) printf("capdemo: slot %d is gone: %s\n", derived, lasterror());
  else printf("capdemo: slot %d is still there: %s\n", derived, what);
  printf("capdemo: slot %d stays: %s\n", SOURCE_SLOT, describe(SOURCE_SLOT, what, sizeof what) ? what : lasterror());

  printf("capdemo: stopping child pid %d in %d s\n", pid, seconds);
  pause_seconds(seconds);
  if (kill(pid) < 0) fail("capdemo: kill");
  int reaped;
  while ((reaped = wait(0)) >= 0 && reaped != pid) {}
  printf("capdemo: done\n");
  return 0;
}
