// capescape: the capability escalation suite. From inside capability mode
// and through derived capabilities it tries every way out it knows: ambient
// calls, naming other processes' pids, spawn/fspawn with each flag, exec,
// openat/unlinkat with "..", absolute paths, "//" and "." segments, rights
// a derived capability lacks (on files, directories, endpoints,
// notifications, shared memory), passing capabilities without Grant,
// revoked and expired capabilities, writing through read-only shared memory
// and using mappings whose capability is gone; and a matrix of every call
// that takes a capability on every kind of object (file, directory, pipe
// ends, console, endpoint, notification, memory), first with every right
// the kind can have and then with each right taken away. One line per attempt:
//   "ok   WHAT: denied: REASON"  (REASON is the kernel's errstr text, and
//                                  must contain what the suite expects), or
//   "ok   WHAT"                   for the permitted case beside a denial, or
//   "FAIL WHAT: detail".
// The last line is "capescape: N passed, M failed"; exit status 1 if any
// failed. host/capabilities.test.ts runs it.
//
//   capescape          the suite (needs a writable disk root; uses /esc)
//   capescape probe    exits 0 when it has no ambient authority (the suite
//                      fspawns it to see whether capability mode held)
#include "user.h"
#include "check.h"

#define TOP "/esc"
#define OUTSIDE "/escout.tmp"  // a file outside the directory capability's subtree
#define SHM_BYTES 4096
#define TICK_WAIT 2            // ticks for another process to block
#define SOON_TICKS 2           // a deadline this many 10 ms ticks away...
#define SOON_NS (SOON_TICKS * 10000000UL)  // ...in clocknanos() units


// An attempt that must fail (-1) with a reason containing `why`.
static void denied(const char *what, long got, const char *why) {
  const char *reason = lasterror();
  if (got == -1 && strstr(reason, why) != 0) {
    printf("ok   %s: denied: %s\n", what, reason);
    check_tally(1);
  } else if (got == -1) {
    printf("FAIL %s: denied for another reason: \"%s\", want \"%s\"\n", what, reason, why);
    check_tally(0);
  } else {
    printf("FAIL %s: got %ld, want -1 (%s)\n", what, got, why);
    check_tally(0);
  }
}

static void allowed(const char *what, long got) {
  if (got >= 0) check(1, what, "");
  else check(0, what, "got %ld: %s", got, lasterror());
}

static uint rights_of(int slot) {
  struct capinfo info;
  if (cap_info(slot, &info) != 0) return 0xFFFFFFFF;
  return info.rights;
}

// Runs fn in a forked child and returns its exit status (-1 when a fault
// killed it).
static int status_of(void (*fn)(void)) {
  int pid = fork();
  if (pid == 0) {
    fn();
    exit(0);
  }
  int status = 99;
  if (pid > 0) while (wait(&status) != pid) {}
  return status;
}

// ---- the probe: run by fspawn from inside the sandbox ----

static int probe(void) {
  int bad = 0;
  int fd = open("/README", O_RDONLY);
  if (fd >= 0) {
    printf("FAIL probe: open(/README) works: the child is not in capability mode\n");
    bad = 1;
  }
  if (mkdir("/escaped") == 0) {
    printf("FAIL probe: mkdir(/escaped) works: the child is not in capability mode\n");
    bad = 1;
  }
  return bad;
}

// ---- setup, outside capability mode ----

static int top;         // TOP, every right
static int top_ro;      // TOP, Read + Grant + Delegate only
static int root_dir;    // "/", so the sandbox can find its own program
static int victim;      // a sleeping sibling: not the sandbox's child
static int parent_pid;  // the suite's own pid: the sandbox's parent

static int put(const char *path, const char *text) {
  int fd = open(path, O_CREATE | O_WRONLY | O_TRUNC);
  if (fd < 0) return -1;
  write(fd, text, strlen(text));
  close(fd);
  return 0;
}

static void cleanup(void) {
  unlink(TOP "/sub/g");
  unlink(TOP "/sub");
  unlink(TOP "/f");
  unlink(TOP "/made");
  unlink(TOP);
  unlink(OUTSIDE);
  unlink("/escaped");
}

static int setup(void) {
  cleanup();
  if (mkdir(TOP) < 0 || mkdir(TOP "/sub") < 0 || put(TOP "/f", "inside") < 0 || put(TOP "/sub/g", "deeper") < 0 ||
      put(OUTSIDE, "outside") < 0) {
    printf("FAIL setup: cannot make " TOP ": %s\n", lasterror());
    return -1;
  }
  top = open(TOP, O_RDONLY);
  top_ro = cap_derive(top, CAP_SLOT_ANY, CAP_READ | CAP_GRANT | CAP_DELEGATE, 0, 0);
  root_dir = open("/", O_RDONLY);
  if (top < 0 || top_ro < 0 || root_dir < 0) {
    printf("FAIL setup: directory capabilities: %s\n", lasterror());
    return -1;
  }
  parent_pid = getpid();
  victim = fork();
  if (victim == 0) {
    setpgid(0, 0);  // a process group of its own, for the sandbox to try to join
    for (;;) sleep(100);
  }
  return 0;
}

// ---- attempts, inside capability mode ----

static void ambient(void) {
  char *argv[] = {"true", 0};
  struct fsinfo fi;
  denied("open of an absolute path", open("/README", O_RDONLY), "no ambient authority");
  denied("open relative to the working directory", open("README", O_RDONLY), "no ambient authority");
  denied("open with O_CREATE", open("/escaped", O_CREATE | O_WRONLY), "no ambient authority");
  denied("mkdir", mkdir("/escaped"), "no ambient authority");
  denied("mknod", mknod("/escaped", 1, 0), "no ambient authority");
  denied("link", link("/README", "/escaped"), "no ambient authority");
  denied("unlink", unlink(OUTSIDE), "no ambient authority");
  denied("chdir", chdir("/"), "no ambient authority");
  denied("exec by path", exec("/true", argv), "no ambient authority");
  denied("spawn by path, no flags", spawn("/true", argv, 0, 0, 0), "use fspawn");
  denied("spawn by path, SPAWN_CAPMODE", spawn("/true", argv, 0, 0, SPAWN_CAPMODE), "use fspawn");
  denied("fsinfo (the disk's use is global state)", fsinfo(&fi), "no ambient authority");
}

static void sleeper(void) {
  for (;;) sleep(100);
}

static void pids(void) {
  denied("kill of a sibling", kill(victim), "not this process or one of its children");
  denied("kill of the parent", kill(parent_pid), "not this process or one of its children");
  denied("kill of init (pid 1)", kill(1), "not this process or one of its children");
  denied("kill of a pid that does not exist (same words: no probing)", kill(99999), "not this process or one of its children");
  denied("setnice(1, 19) on init", setnice(1, 19), "not this process or one of its children");
  denied("setnice of a sibling", setnice(victim, 19), "not this process or one of its children");
  denied("setnice of the parent", setnice(parent_pid, -20), "not this process or one of its children");
  allowed("setnice(0, 5) on itself", setnice(0, 5));
  allowed("setnice(getpid(), 6) on itself", setnice(getpid(), 6));
  denied("setnice(0, -20): more of the machine than it had", setnice(0, -20), "may not go below");
  denied("setnice(0, 5): back below its own nice", setnice(0, 5), "may not go below");

  int kid = fork();
  if (kid == 0) sleeper();
  allowed("setnice of its own child, to a higher nice", setnice(kid, 7));
  denied("setnice of its own child below its own nice", setnice(kid, 3), "may not go below");
  static struct procinfo table[64];
  int n = procs(table, 64);
  int seen_self = 0, seen_kid = 0, seen_other = 0, parent_hidden = 1;
  for (int i = 0; i < n; i++) {
    if (table[i].pid == getpid()) {
      seen_self = 1;
      if (table[i].ppid != 0) parent_hidden = 0;
    } else if (table[i].pid == kid) {
      seen_kid = 1;
    } else {
      seen_other = 1;
    }
  }
  check(n >= 2 && seen_self && seen_kid && !seen_other, "procs() lists only itself and its children", "n %d, self %d, child %d, others %d",
        n, seen_self, seen_kid, seen_other);
  check(parent_hidden, "procs() shows its own parent as 0", "its ppid was shown");
  // Signals and process groups name processes too.
  denied("sigsend to a sibling", sigsend(victim, SIGCONT), "not this process or one of its children");
  denied("sigsend 0 to probe a sibling", sigsend(victim, 0), "not this process or one of its children");
  denied("sigsend to init", sigsend(1, SIGCONT), "not this process or one of its children");
  denied("sigsend to its own process group", sigsend(0, SIGCONT), "process groups are ambient authority");
  denied("sigsend to the sibling's process group", sigsend(-victim, SIGCONT), "process groups are ambient authority");
  denied("getpgid of a sibling", getpgid(victim), "not this process or one of its children");
  denied("getsid of init", getsid(1), "not this process or one of its children");
  denied("setpgid of a sibling", setpgid(victim, 0), "not this process or one of its children");
  denied("setpgid into the sibling's group", setpgid(0, victim), "only a group of its own");
  denied("setpgid of its child into the sibling's group", setpgid(kid, victim), "only a group of its own");
  allowed("setpgid of its child into a new group of the child's own", setpgid(kid, 0));
  denied("tcsetpgrp on the console", tcsetpgrp(0, getpgid(0)), "process groups are ambient authority");
  denied("waitpid for a sibling", waitpid(victim, 0, WNOHANG), "no such child");
  allowed("sigsend to its own child", sigsend(kid, SIGCONT));

  int killed = kill(kid);
  allowed("kill of its own child", killed);
  int status = 0;
  if (killed != 0) return;  // the child lives on: a wait would block for ever
  check(kid > 0 && wait(&status) == kid, "wait reaps the killed child", "%s", lasterror());
  denied("wait with no children of its own (the sibling is not one)", wait(0), "no children");
}

static void spawning(void) {
  char *probe_argv[] = {"capescape", "probe", 0};
  int console[] = {0, 0, 1, 1, 2, 2};
  int self = openat(root_dir, "capescape", O_RDONLY);
  allowed("openat(root, \"capescape\") gives its own program", self);
  int pid = fspawn(self, probe_argv, console, 3, 0);
  int status = 99;
  if (pid > 0) while (wait(&status) != pid) {}
  check(pid > 0 && status == 0, "fspawn without SPAWN_CAPMODE: the child is still in capability mode", "pid %d, status %d: %s", pid,
        status, lasterror());
  pid = fspawn(self, probe_argv, console, 3, SPAWN_CAPMODE);
  status = 99;
  if (pid > 0) while (wait(&status) != pid) {}
  check(pid > 0 && status == 0, "fspawn with SPAWN_CAPMODE: the child is in capability mode", "pid %d, status %d", pid, status);
  denied("fspawn with an unknown flag", fspawn(self, probe_argv, console, 3, 2), "unknown flags");
  denied("fspawn with every flag bit", fspawn(self, probe_argv, console, 3, -1), "unknown flags");
  for (int bit = 1; bit < 32; bit++) {
    char what[64];
    snprintf(what, sizeof what, "fspawn with flag bit %d", bit);
    denied(what, fspawn(self, probe_argv, console, 3, (int)(1u << bit)), "unknown flags");
  }
  int noexec = cap_derive(self, CAP_SLOT_ANY, CAP_READ | CAP_GRANT | CAP_DELEGATE, 0, 0);
  denied("fspawn through a file capability without Execute", fspawn(noexec, probe_argv, console, 3, 0), "lacks the Execute right");
  int through_ro = openat(top_ro, "f", O_RDONLY);
  denied("fspawn of a file opened through a directory capability without Execute", fspawn(through_ro, probe_argv, console, 3, 0),
         "lacks the Execute right");
  denied("fspawn through a directory capability", fspawn(top, probe_argv, console, 3, 0), "not a file");
  int nogrant = cap_derive(self, CAP_SLOT_ANY, CAP_READ | CAP_DELEGATE, 0, 0);
  int pass_nogrant[] = {nogrant, 3};
  denied("fspawn passing a capability without Grant", fspawn(self, probe_argv, pass_nogrant, 1, 0), "Grant");
  int nodelegate = cap_derive(self, CAP_SLOT_ANY, CAP_READ | CAP_GRANT, 0, 0);
  int pass_nodelegate[] = {nodelegate, 3};
  denied("fspawn passing a capability without Delegate", fspawn(self, probe_argv, pass_nodelegate, 1, 0), "Delegate");
  int pass_empty[] = {CAP_SLOTS - 1, 3};
  denied("fspawn passing an empty slot", fspawn(self, probe_argv, pass_empty, 1, 0), "no capability in that slot");
  cap_delete(noexec);
  cap_delete(nogrant);
  cap_delete(nodelegate);
  close(through_ro);
  close(self);

  status = status_of((void (*)(void))probe);
  check(status == 0, "a child forked in capability mode is in capability mode", "status %d", status);
}

// openat and unlinkat names that leave the directory.
static const char *const outward[] = {
  "..", "../escout.tmp", "/escout.tmp", "//escout.tmp", "sub/../../escout.tmp", "./..", "sub/..", ".//../escout.tmp", "sub//..//..",
};
#define OUTWARD_COUNT ((int)(sizeof outward / sizeof outward[0]))

static void paths(void) {
  char what[96];
  for (int i = 0; i < OUTWARD_COUNT; i++) {
    snprintf(what, sizeof what, "openat(dir, \"%s\")", outward[i]);
    denied(what, openat(top, outward[i], O_RDONLY), "stay beneath");
    snprintf(what, sizeof what, "unlinkat(dir, \"%s\")", outward[i]);
    denied(what, unlinkat(top, outward[i]), "stay beneath");
  }
  denied("unlinkat(dir, \".\"): the directory itself", unlinkat(top, "."), "");
  denied("unlinkat(dir, \"\"): no name", unlinkat(top, ""), "");
  denied("unlinkat(dir, \"sub/.\")", unlinkat(top, "sub/."), "");
  denied("unlinkat(dir, \"sub\"): a directory that is not empty", unlinkat(top, "sub"), "not empty");
  denied("openat through a file capability", openat(0, "f", O_RDONLY), "not a directory");
  int f = openat(top, "./f", O_RDONLY);
  allowed("openat(dir, \"./f\") stays inside", f);
  denied("openat through a file capability opened by openat", openat(f, ".", O_RDONLY), "not a directory");
  denied("unlinkat through a file capability (no Delete on a file)", unlinkat(f, "x"), "lacks the Delete right");
  close(f);
  int g = openat(top, "sub//g", O_RDONLY);
  allowed("openat(dir, \"sub//g\") stays inside", g);
  close(g);
}

static void rights(void) {
  // A directory capability without Write, Execute and Delete.
  int dot = openat(top_ro, ".", O_RDONLY);
  uint r = rights_of(dot);
  check(dot >= 0 && (r & ~(uint)(CAP_READ | CAP_GRANT | CAP_DELEGATE)) == 0,
        "openat(read-only dir, \".\") gives no right the directory capability lacks", "slot %d, rights %u", dot, r);
  denied("unlinkat through openat(read-only dir, \".\")", unlinkat(dot, "f"), "lacks the Delete right");
  denied("unlinkat through the read-only directory capability", unlinkat(top_ro, "f"), "lacks the Delete right");
  denied("openat(read-only dir, new name, O_CREATE)", openat(top_ro, "made", O_CREATE | O_RDWR), "lacks the Write right");
  denied("openat(read-only dir, \".\") then O_CREATE through it", openat(dot, "made", O_CREATE | O_WRONLY), "lacks the Write right");
  denied("openat(read-only dir, existing file, O_CREATE|O_RDONLY)", openat(top_ro, "f", O_CREATE), "lacks the Write right");
  denied("openat(read-only dir, file, O_WRONLY)", openat(top_ro, "f", O_WRONLY), "lacks the Write right");
  denied("openat(read-only dir, file, O_RDWR)", openat(top_ro, "f", O_RDWR), "lacks the Write right");
  denied("openat(read-only dir, file, O_TRUNC)", openat(top_ro, "f", O_TRUNC), "lacks the Write right");
  int sub = openat(top_ro, "sub", O_RDONLY);
  r = rights_of(sub);
  check(sub >= 0 && (r & ~(uint)(CAP_READ | CAP_GRANT | CAP_DELEGATE)) == 0,
        "a subdirectory opened through it is bounded the same way", "slot %d, rights %u", sub, r);
  denied("O_CREATE in that subdirectory", openat(sub, "made", O_CREATE | O_WRONLY), "lacks the Write right");
  denied("unlinkat in that subdirectory", unlinkat(sub, "g"), "lacks the Delete right");
  int f = openat(top_ro, "f", O_RDONLY);
  r = rights_of(f);
  check(f >= 0 && r == (CAP_READ | CAP_GRANT | CAP_DELEGATE), "a file opened through it reads, without Execute", "slot %d, rights %u", f,
        r);
  denied("write to that file", write(f, "x", 1), "lacks the Write right");
  close(f);
  close(sub);
  close(dot);

  // Without Grant and Delegate: nothing opened through it may be passed on.
  int keep = cap_derive(top, CAP_SLOT_ANY, CAP_READ, 0, 0);
  f = openat(keep, "f", O_RDONLY);
  r = rights_of(f);
  check(f >= 0 && r == CAP_READ, "a file opened through a Read-only directory capability is Read only", "slot %d, rights %u", f, r);
  denied("dup of it (no Delegate)", dup(f), "Delegate");
  close(f);
  cap_delete(keep);

  // The full directory capability still works.
  f = openat(top, "made", O_CREATE | O_RDWR);
  check(f >= 0 && write(f, "x", 1) == 1, "openat(dir with Write, new name, O_CREATE|O_RDWR) creates and writes", "%s", lasterror());
  close(f);
  allowed("unlinkat(dir with Delete, \"made\")", unlinkat(top, "made"));
  int nodel = cap_derive(top, CAP_SLOT_ANY, CAP_READ | CAP_WRITE | CAP_DELEGATE, 0, 0);
  denied("unlinkat through a derived capability without Delete", unlinkat(nodel, "f"), "lacks the Delete right");
  cap_delete(nodel);
  int noread = cap_derive(top, CAP_SLOT_ANY, CAP_WRITE | CAP_DELEGATE, 0, 0);
  denied("openat through a directory capability without Read", openat(noread, "f", O_RDONLY), "lacks the Read right");
  cap_delete(noread);
}

// Derived capabilities on endpoints, notifications, pipes: each right taken away.
static void objects(void) {
  struct ipcmsg m;
  memset(&m, 0, sizeof m);
  m.cap = -1;
  int ep = ep_create();
  int ep_nowrite = cap_derive(ep, CAP_SLOT_ANY, CAP_READ | CAP_DELEGATE, 0, 0);
  int ep_noread = cap_derive(ep, CAP_SLOT_ANY, CAP_WRITE | CAP_DELEGATE, 0, 0);
  denied("ep_send through an endpoint capability without Write", ep_send(ep_nowrite, &m), "lacks the Write right");
  denied("ep_call through an endpoint capability without Write", ep_call(ep_nowrite, &m), "lacks the Write right");
  denied("ep_recv through an endpoint capability without Read", ep_recv(ep_noread, &m), "lacks the Read right");
  int nogrant = cap_derive(ep, CAP_SLOT_ANY, CAP_READ | CAP_WRITE | CAP_DELEGATE, 0, 0);
  m.cap = nogrant;
  denied("ep_send passing a capability without Grant", ep_send(ep, &m), "lacks the Grant right");
  m.cap = -1;

  int n = ntfn_create();
  int n_nowrite = cap_derive(n, CAP_SLOT_ANY, CAP_READ | CAP_DELEGATE, 0, 0);
  int n_noread = cap_derive(n, CAP_SLOT_ANY, CAP_WRITE | CAP_DELEGATE, 0, 0);
  denied("ntfn_signal without Write", ntfn_signal(n_nowrite, 1), "lacks the Write right");
  denied("ntfn_poll without Read", (long)ntfn_poll(n_noread), "lacks the Read right");
  denied("ntfn_wait without Read", (long)ntfn_wait(n_noread), "lacks the Read right");
  denied("ntfn_signal on an endpoint", ntfn_signal(ep, 1), "not a notification");
  denied("ep_send on a notification", ep_send(n, &m), "not an endpoint");

  int p[2];
  pipe(p);
  int rd_nodelegate = cap_derive(p[0], CAP_SLOT_ANY, CAP_READ | CAP_GRANT, 0, 0);
  denied("cap_derive from a capability without Delegate", cap_derive(rd_nodelegate, CAP_SLOT_ANY, CAP_READ, 0, 0), "Delegate");
  denied("cap_copy of a capability without Delegate", cap_copy(rd_nodelegate, CAP_SLOT_ANY), "Delegate");
  denied("cap_derive adding Write to a pipe's read end", cap_derive(p[0], CAP_SLOT_ANY, CAP_READ | CAP_WRITE, 0, 0), "kept or dropped");
  denied("cap_derive with a bit outside the six rights", cap_derive(p[0], CAP_SLOT_ANY, 64, 0, 0), "unknown rights bits");
  denied("write to a pipe's read end", write(p[0], "x", 1), "lacks the Write right");
  denied("read from a pipe's write end", read(p[1], &m, 1), "lacks the Read right");
  int badged = cap_derive(p[1], CAP_SLOT_ANY, CAP_WRITE | CAP_DELEGATE, 5, 0);
  denied("re-badging a badged capability", cap_derive(badged, CAP_SLOT_ANY, CAP_WRITE, 6, 0), "re-badged");
  cap_delete(badged);
  cap_delete(rd_nodelegate);
  close(p[0]);
  close(p[1]);
  cap_delete(n_nowrite);
  cap_delete(n_noread);
  cap_delete(n);
  cap_delete(nogrant);
  cap_delete(ep_nowrite);
  cap_delete(ep_noread);
  cap_delete(ep);
}

static void revoked_and_expired(void) {
  int base = openat(top, "f", O_RDONLY);
  int parent = cap_derive(base, CAP_SLOT_ANY, CAP_READ | CAP_DELEGATE | CAP_GRANT, 0, 0);
  int child = cap_derive(parent, CAP_SLOT_ANY, CAP_READ | CAP_DELEGATE, 0, 0);
  cap_revoke(parent);
  char c;
  denied("read through a revoked capability", read(child, &c, 1), "no capability in that slot");
  denied("cap_derive from a revoked capability", cap_derive(child, CAP_SLOT_ANY, CAP_READ, 0, 0), "no capability in that slot");
  int e = cap_derive(base, CAP_SLOT_ANY, CAP_READ | CAP_DELEGATE | CAP_GRANT, 0, clocknanos() + 1000000);
  sleep(TICK_WAIT);
  denied("read through an expired capability", read(e, &c, 1), "expired");
  denied("cap_derive from an expired capability", cap_derive(e, CAP_SLOT_ANY, CAP_READ, 0, 0), "expired");
  denied("cap_copy of an expired capability", cap_copy(e, CAP_SLOT_ANY), "expired");
  denied("cap_move of an expired capability", cap_move(e, CAP_SLOTS - 2), "expired");
  int pass_expired[] = {e, 3};
  char *argv[] = {"capescape", "probe", 0};
  int self = openat(root_dir, "capescape", O_RDONLY);
  denied("fspawn passing an expired capability", fspawn(self, argv, pass_expired, 1, 0), "expired");
  close(self);
  cap_delete(e);
  cap_delete(parent);
  close(base);

  // What is opened through an expiring directory capability expires with it.
  uint64 soon = clocknanos() + SOON_NS;
  int edir = cap_derive(top, CAP_SLOT_ANY, CAP_READ | CAP_DELEGATE, 0, soon);
  int ef = openat(edir, "f", O_RDONLY);
  struct capinfo info;
  int r = cap_info(ef, &info);
  check(ef >= 0 && r == 0 && info.expiry_ns == soon, "a file opened through an expiring directory capability carries its deadline",
        "slot %d, cap_info %d, expiry %lu, want %lu: %s", ef, r, info.expiry_ns, soon, lasterror());
  sleep(2 * SOON_TICKS);
  denied("read through it after the deadline", read(ef, &c, 1), "expired");
  denied("openat through the expired directory capability", openat(edir, "f", O_RDONLY), "expired");
  close(ef);
  cap_delete(edir);
}

// ---- shared memory ----

static volatile char *shm_at;

static void read_shm(void) {
  char c = shm_at[0];
  (void)c;
}

static void write_shm(void) {
  shm_at[0] = 'w';
}

static void shared_memory(void) {
  int shm = shm_create(SHM_BYTES);
  volatile char *rw = shm_map(shm);
  check(rw != (void *)-1, "shm_map of its own object", "%s", lasterror());
  if (rw == (void *)-1) return;
  rw[0] = 'a';

  int ro = cap_derive(shm, CAP_SLOT_ANY, CAP_READ | CAP_GRANT | CAP_DELEGATE, 0, 0);
  shm_at = shm_map(ro);
  check(shm_at != (void *)-1 && shm_at[0] == 'a', "shm_map through a Read-only capability reads", "%s", lasterror());
  int status = status_of(write_shm);
  check(status == -1 && rw[0] == 'a', "a store through the read-only mapping kills the process, the object is unchanged", "status %d",
        status);
  char buf[8];
  int fd = openat(top, "f", O_RDONLY);
  denied("read() into the read-only mapping (the kernel writes only where the process may)", read(fd, (void *)shm_at, 1),
         "bad buffer pointer");
  close(fd);
  (void)buf;
  int noread = cap_derive(shm, CAP_SLOT_ANY, CAP_WRITE | CAP_DELEGATE, 0, 0);
  denied("shm_map through a capability without Read", (long)shm_map(noread), "lacks the Read right");
  int expiring = cap_derive(shm, CAP_SLOT_ANY, CAP_READ | CAP_DELEGATE, 0, clocknanos() + (1UL << 40));
  denied("shm_map through a capability with an expiry", (long)shm_map(expiring), "expiry");
  cap_delete(noread);
  cap_delete(expiring);

  // Revoke reaches the mapping: the parent of `ro` is shm; revoking shm's
  // derived capabilities removes ro and the mapping made through it.
  int removed = cap_revoke(shm);
  check(removed >= 1, "cap_revoke of the object's original removes the Read-only capability", "removed %d: %s", removed, lasterror());
  status = status_of(read_shm);
  check(status == -1, "the mapping made through the revoked capability is gone (a read faults)", "status %d", status);
  check(rw[0] == 'a', "the mapping made through the original stays", "read %c", rw[0]);

  // A fork child's inherited mapping goes with the revoke too.
  int mid = cap_derive(shm, CAP_SLOT_ANY, CAP_ALL_RIGHTS, 0, 0);
  shm_at = shm_map(mid);
  int sync[2];
  pipe(sync);
  int kid = fork();
  if (kid == 0) {
    char c;
    close(sync[1]);
    read(sync[0], &c, 1);
    c = shm_at[0];  // faults when the revoke reached this process's mapping
    exit(c == 'a' ? 1 : 2);
  }
  close(sync[0]);
  cap_revoke(shm);
  write(sync[1], "g", 1);
  close(sync[1]);
  status = 99;
  while (wait(&status) != kid) {}
  check(status == -1, "a forked child's inherited mapping goes when the capability is revoked in the parent", "status %d", status);
  status = status_of(read_shm);
  check(status == -1, "and the parent's own mapping through it too", "status %d", status);

  // A mapping without Grant and Delegate is not inherited by fork.
  int keep = cap_derive(shm, CAP_SLOT_ANY, CAP_READ | CAP_WRITE, 0, 0);
  shm_at = shm_map(keep);
  check(shm_at != (void *)-1 && shm_at[0] == 'a', "shm_map through a capability without Grant or Delegate", "%s", lasterror());
  status = status_of(read_shm);
  check(status == -1, "a forked child has no mapping from a capability fork did not copy", "status %d", status);

  // Deleting the capability removes its mapping (it lives no longer than it).
  cap_delete(keep);
  status = status_of(read_shm);
  check(status == -1, "cap_delete of the capability removes the mapping made through it", "status %d", status);
  cap_delete(shm);
}

// ---- every call on every kind of object, with each right missing ----

// Kinds of object, as bits, and what the sandbox holds of each.
#define K_FILE 1
#define K_DIR 2
#define K_PIPE_R 4
#define K_PIPE_W 8
#define K_CONSOLE 16
#define K_ENDPOINT 32
#define K_NTFN 64
#define K_MEMORY 128
#define K_OPEN_FILES (K_FILE | K_DIR | K_PIPE_R | K_PIPE_W | K_CONSOLE)
#define K_ANY 255

struct kind {
  const char *name;
  int bit;
  int slot;    // a capability with every right the kind can have
  int rights;  // those rights
};

static const char *const right_names[] = {"Read", "Write", "Execute", "Delete", "Grant", "Delegate"};
#define RIGHT_COUNT 6

static int matrix_self = -1;  // this program, for fspawn
static struct ipcmsg matrix_msg;

static long try_read(int s) { char c; return read(s, &c, 1); }
static long try_write(int s) { return write(s, "x", 1); }
static long try_openat(int s) { return openat(s, "f", O_RDONLY); }
static long try_unlinkat(int s) { return unlinkat(s, "no-such-name"); }
static long try_fspawn(int s) {
  char *argv[] = {"capescape", "probe", 0};
  int console[] = {0, 0, 1, 1, 2, 2};
  return fspawn(s, argv, console, 3, 0);
}
static long try_send(int s) { matrix_msg.cap = -1; return ep_send(s, &matrix_msg); }
static long try_call(int s) { matrix_msg.cap = -1; return ep_call(s, &matrix_msg); }
static long try_recv(int s) { matrix_msg.cap = -1; return ep_recv(s, &matrix_msg); }
static long try_signal(int s) { return ntfn_signal(s, 1); }
static long try_wait(int s) { return (long)ntfn_wait(s); }
static long try_poll(int s) { return (long)ntfn_poll(s); }
static long try_map(int s) { return (long)shm_map(s); }
static long try_derive(int s) { return cap_derive(s, CAP_SLOT_ANY, 0, 0, 0); }
static long try_copy(int s) { return cap_copy(s, CAP_SLOT_ANY); }
static long try_pass(int s) {
  char *argv[] = {"capescape", "probe", 0};
  int pass[] = {s, 5};
  return fspawn(matrix_self, argv, pass, 1, 0);
}

struct call {
  const char *name;
  int need;   // the rights it needs
  int kinds;  // the kinds it works on
  long (*attempt)(int slot);
};

static const struct call calls[] = {
  {"read", CAP_READ, K_OPEN_FILES, try_read},
  {"write", CAP_WRITE, K_OPEN_FILES, try_write},
  {"openat", CAP_READ, K_DIR, try_openat},
  {"unlinkat", CAP_DELETE, K_DIR, try_unlinkat},
  {"fspawn", CAP_EXECUTE, K_FILE, try_fspawn},
  {"ep_send", CAP_WRITE, K_ENDPOINT, try_send},
  {"ep_call", CAP_WRITE, K_ENDPOINT, try_call},
  {"ep_recv", CAP_READ, K_ENDPOINT, try_recv},
  {"ntfn_signal", CAP_WRITE, K_NTFN, try_signal},
  {"ntfn_wait", CAP_READ, K_NTFN, try_wait},
  {"ntfn_poll", CAP_READ, K_NTFN, try_poll},
  {"shm_map", CAP_READ, K_MEMORY, try_map},
  {"cap_derive", CAP_DELEGATE, K_ANY, try_derive},
  {"cap_copy", CAP_DELEGATE, K_ANY, try_copy},
  {"passing it to fspawn", CAP_GRANT | CAP_DELEGATE, K_ANY, try_pass},
};
#define CALL_COUNT ((int)(sizeof calls / sizeof calls[0]))

// Every call that must fail on this capability: the kind is not one the
// call works on (any reason will do, but it must be refused at once), or
// a right it needs is missing (the reason must name that right). Calls
// that would succeed are not made (they could block or start programs).
static void attempt_all(const struct kind *k, int slot, int rights, const char *missing) {
  char what[112];
  for (int c = 0; c < CALL_COUNT; c++) {
    const struct call *call = &calls[c];
    int fits = (call->kinds & k->bit) != 0;
    int lacks = call->need & ~rights;
    if (fits && !lacks) continue;
    if (missing) snprintf(what, sizeof what, "%s on %s capability without %s", call->name, k->name, missing);
    else snprintf(what, sizeof what, "%s on %s capability", call->name, k->name);
    long got = call->attempt(slot);
    if (!fits) {
      denied(what, got, "");
    } else {
      // Name the first missing right (Grant before Delegate for passing).
      int bit = 0;
      while (!(lacks & (1 << bit))) bit++;
      denied(what, got, right_names[bit]);
    }
  }
}

static void matrix(void) {
  memset(&matrix_msg, 0, sizeof matrix_msg);
  matrix_self = openat(root_dir, "capescape", O_RDONLY);
  int p[2];
  pipe(p);
  struct kind kinds[] = {
    {"a file", K_FILE, openat(top, "f", O_RDWR), 0},
    {"a directory", K_DIR, cap_derive(top, CAP_SLOT_ANY, CAP_ALL_RIGHTS, 0, 0), 0},
    {"a pipe read end", K_PIPE_R, p[0], 0},
    {"a pipe write end", K_PIPE_W, p[1], 0},
    {"a console", K_CONSOLE, openat(root_dir, "console", O_RDWR), 0},
    {"an endpoint", K_ENDPOINT, ep_create(), 0},
    {"a notification", K_NTFN, ntfn_create(), 0},
    {"a memory", K_MEMORY, shm_create(SHM_BYTES), 0},
  };
  int nkinds = (int)(sizeof kinds / sizeof kinds[0]);
  for (int i = 0; i < nkinds; i++) {
    struct kind *k = &kinds[i];
    k->rights = (int)rights_of(k->slot);
    if (k->slot < 0 || k->rights < 0) {
      check(0, k->name, "no such capability to try: %s", lasterror());
      continue;
    }
    attempt_all(k, k->slot, k->rights, 0);
    for (int bit = 0; bit < RIGHT_COUNT; bit++) {
      if (!(k->rights & (1 << bit))) continue;
      int less = cap_derive(k->slot, CAP_SLOT_ANY, k->rights & ~(1 << bit), 0, 0);
      if (less < 0) {
        check(0, k->name, "cap_derive without %s: %s", right_names[bit], lasterror());
        continue;
      }
      attempt_all(k, less, k->rights & ~(1 << bit), right_names[bit]);
      cap_delete(less);
    }
  }
  for (int i = 0; i < nkinds; i++) cap_delete(kinds[i].slot);
  close(matrix_self);
}

// Revoking a directory capability reaches what was opened through what it
// removes, in every process; what was opened through it itself stays.
static void revoke_reaches_opened(void) {
  char c;
  int d = cap_derive(top, CAP_SLOT_ANY, CAP_ALL_RIGHTS, 0, 0);
  int f = openat(d, "f", O_RDONLY);
  int sub = openat(d, "sub", O_RDONLY);
  int g = openat(sub, "g", O_RDONLY);
  int f2 = dup(f);
  int own = openat(top, "f", O_RDONLY);
  check(d >= 0 && f >= 0 && sub >= 0 && g >= 0 && f2 >= 0 && own >= 0 && read(f, &c, 1) == 1 && read(g, &c, 1) == 1,
        "files opened through a derived directory capability (and through a directory opened through it) read", "%s", lasterror());

  // A forked child opens through its own copy of d, then waits.
  int ready[2], go[2];
  pipe(ready);
  pipe(go);
  int kid = fork();
  if (kid == 0) {
    close(ready[0]);
    close(go[1]);
    int mine = openat(d, "f", O_RDONLY);
    write(ready[1], mine >= 0 ? "y" : "n", 1);
    read(go[0], &c, 1);
    exit(mine >= 0 && read(mine, &c, 1) == -1 ? 0 : 1);
  }
  close(ready[1]);
  close(go[0]);
  char opened = 0;
  read(ready[0], &opened, 1);
  int removed = cap_revoke(top);
  write(go[1], "g", 1);
  close(go[1]);
  close(ready[0]);
  int status = 99;
  while (wait(&status) != kid) {}
  check(opened == 'y' && removed >= 7, "cap_revoke removes the derived directory capability and all that was opened through it",
        "child opened %c, removed %d: %s", opened, removed, lasterror());
  denied("read through a file opened through the revoked capability", read(f, &c, 1), "no capability in that slot");
  denied("read through a dup of it", read(f2, &c, 1), "no capability in that slot");
  denied("read through a file opened through a directory opened through it", read(g, &c, 1), "no capability in that slot");
  denied("openat through that directory", openat(sub, "g", O_RDONLY), "no capability in that slot");
  check(status == 0, "another process's file, opened through its copy, is gone too", "status %d", status);
  check(read(own, &c, 1) == 1, "a file opened through the kept directory capability itself stays", "%s", lasterror());
  close(own);
}

static void sandboxed(void) {
  check(cap_enter() == 0, "cap_enter", "%s", lasterror());
  ambient();
  pids();
  spawning();
  paths();
  rights();
  objects();
  revoked_and_expired();
  shared_memory();
  matrix();
  revoke_reaches_opened();
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "probe") == 0) return probe();
  if (argc != 1) {
    fprintf(2, "usage: capescape [probe]\n");
    return 2;
  }
  if (setup() < 0) {
    cleanup();
    return 1;
  }
  int finished;
  int status = check_in_child("the sandboxed child", sandboxed, &finished);
  check(finished, "the sandboxed child ran every attempt", "it stopped early (status %d)", status);

  // Outside capability mode, afterwards: nothing escaped, nothing changed.
  check(open("/escaped", O_RDONLY) < 0, "nothing made /escaped", "it exists");
  int out = open(OUTSIDE, O_RDONLY);
  check(out >= 0, "the file outside the directory capability survived", "%s", lasterror());
  close(out);
  static struct procinfo table[64];
  int n = procs(table, 64), nice = 0;
  for (int i = 0; i < n; i++) if (table[i].pid == 1) nice = table[i].nice;
  check(nice == 0, "init's nice is unchanged", "nice %d", nice);
  kill(victim);
  while (wait(0) != victim) {}
  close(top);
  cap_delete(top_ro);
  close(root_dir);
  cleanup();
  printf("capescape: %d passed, %d failed\n", check_passed, check_failed);
  return check_failed ? 1 : 0;
}
