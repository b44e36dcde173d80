// captest: exercises the native capability calls (200-209) against
// ABI.md and docs/capabilities.md. For every rule it shows the denial —
// "ok   WHAT: denied as expected: REASON", REASON being the kernel's errstr
// text — and the positive case next to it (the Read-only derivative still
// reads, openat works in capability mode, ...). A check that goes the
// wrong way prints "FAIL WHAT: detail". The last line is
// "captest: N passed, M failed"; the exit status is 1 if anything failed.
//
//   captest
//
// Checks that must run in another process (capability mode is for good;
// a revoke reaches other processes) run in forked children, which report
// each result as one byte ('p' or 'f') up a pipe, and 'e' when they finish,
// so a child that vanishes early is counted as a failure.
//
// Uses /README (any readable file with some bytes), / as a directory,
// /true and /cat; creates and removes /captest.tmp when the root is
// writable.
#include "user.h"
#include "check.h"

#define README "/README"
#define SCRATCH "/captest.tmp"
#define TICK_NS 10000000UL        // sleep() ticks are 10 ms
#define SHORT_LIFE_NS 1000000UL   // 1 ms: long gone after sleep(2)
#define FAR_FUTURE_NS (1UL << 40) // ~18 minutes: needs all 64 bits of a4
#define SOME_SLOT 40              // a slot from 16 up that captest leaves free
#define BADGE 7


// ---- reporting ----

// A call that must fail: -1, and the kernel's reason is printed.
static void denied(const char *what, long got) {
  if (got == -1) {
    printf("ok   %s: denied as expected: %s\n", what, lasterror());
    check_tally(1);
  } else {
    printf("FAIL %s: got %ld, want -1 (denied)\n", what, got);
    check_tally(0);
  }
}

// A call that must succeed with a result >= 0; prints the reason if not.
static void allowed(const char *what, long got) {
  if (got >= 0) check(1, what, "");
  else check(0, what, "got %ld: %s", got, lasterror());
}

// ---- helpers ----

static int open_readme(void) {
  int fd = open(README, O_RDONLY);
  if (fd < 0) check(0, "open " README, "%s", lasterror());
  return fd;
}

// Reads one byte: 1 when the capability in slot reads.
static int read_one(int slot) {
  char c;
  return read(slot, &c, 1);
}

// Runs fn in a child whose checks count here (check_in_child); a child that
// stops early is a failure. Returns the child's exit status.
static int in_child(const char *what, void (*fn)(void)) {
  int finished;
  int status = check_in_child(what, fn, &finished);
  if (status != -1 && !finished) check(0, what, "the child stopped before the end of its checks (status %d)", status);
  return status;
}

// ---- rights only shrink ----

static void group_read_only(void) {
  int f = open_readme();
  if (f < 0) return;
  int ro = cap_derive(f, CAP_SLOT_ANY, CAP_READ, 0, 0);
  check(ro >= CAP_UNIX_SLOTS, "cap_derive(Read) from a file capability gives a slot from 16 up", "got %d: %s", ro, lasterror());

  struct capinfo info;
  char rights[7];
  int r = cap_info(ro, &info);
  cap_rights_string((int)info.rights, rights);
  check(r == 0 && info.type == CAP_TYPE_FILE && info.rights == CAP_READ && info.depth == 1,
        "cap_info: the derivative is a file capability, r-----, depth 1", "cap_info %d, type %u, rights %s, depth %u", r, info.type,
        rights, info.depth);
  r = cap_info(f, &info);
  check(r == 0 && info.depth == 0 && info.children == 1 && info.refs >= 2, "cap_info: the original has depth 0, one child, 2 refs",
        "cap_info %d, depth %u, children %u, refs %u", r, info.depth, info.children, info.refs);

  check(read_one(ro) == 1, "the Read-only derivative still reads", "%s", lasterror());
  denied("write through the Read-only derivative", write(ro, "x", 1));
  cap_delete(ro);
  close(f);

  // The same with a source that can write, so only the derive took Write away.
  int rw = open(SCRATCH, O_CREATE | O_RDWR);
  if (rw < 0) {
    printf("skip write through a Read-only derivative of a read-write file: cannot create " SCRATCH ": %s\n", lasterror());
    return;
  }
  check(write(rw, "x", 1) == 1, "the read-write original writes", "%s", lasterror());
  int ro2 = cap_derive(rw, CAP_SLOT_ANY, CAP_READ, 0, 0);
  allowed("cap_derive(Read) from a read-write file", ro2);
  denied("write through a Read-only derivative of a read-write file", write(ro2, "x", 1));
  cap_delete(ro2);
  close(rw);
  unlink(SCRATCH);
}

static void group_rights_grow(void) {
  int f = open_readme();
  if (f < 0) return;
  int rd = cap_derive(f, CAP_SLOT_ANY, CAP_READ | CAP_DELEGATE, 0, 0);
  allowed("cap_derive(Read+Delegate)", rd);
  denied("cap_derive adding Write to a Read+Delegate capability", cap_derive(rd, CAP_SLOT_ANY, CAP_READ | CAP_WRITE, 0, 0));
  denied("cap_derive adding Grant to a Read+Delegate capability", cap_derive(rd, CAP_SLOT_ANY, CAP_READ | CAP_GRANT, 0, 0));
  denied("cap_derive with a bit outside the six rights", cap_derive(f, CAP_SLOT_ANY, CAP_READ | (CAP_ALL_RIGHTS + 1), 0, 0));
  int r = cap_derive(rd, CAP_SLOT_ANY, CAP_READ, 0, 0);
  allowed("cap_derive of fewer rights (Read) from it", r);
  cap_delete(r);
  cap_delete(rd);
  close(f);
}

// ---- Delegate, copy, move, badges ----

static void group_delegate(void) {
  int f = open_readme();
  if (f < 0) return;
  int nd = cap_derive(f, CAP_SLOT_ANY, CAP_READ | CAP_GRANT, 0, 0);
  allowed("cap_derive(Read+Grant), no Delegate", nd);
  denied("cap_derive from a capability without Delegate", cap_derive(nd, CAP_SLOT_ANY, CAP_READ, 0, 0));
  denied("cap_copy of a capability without Delegate", cap_copy(nd, CAP_SLOT_ANY));
  denied("dup of a descriptor without Delegate", dup(nd));
  check(read_one(nd) == 1, "a capability without Delegate is still usable (reads)", "%s", lasterror());

  int moved = cap_move(nd, SOME_SLOT);
  check(moved == SOME_SLOT, "cap_move within the table needs no right", "got %d: %s", moved, lasterror());
  struct capinfo info;
  denied("cap_info of the slot a capability moved out of", cap_info(nd, &info));
  check(read_one(SOME_SLOT) == 1, "the moved capability reads from its new slot", "%s", lasterror());
  cap_delete(SOME_SLOT);

  int copy = cap_copy(f, CAP_SLOT_ANY);
  int r = cap_info(copy, &info);
  check(copy >= CAP_UNIX_SLOTS && r == 0 && info.rights == (CAP_READ | CAP_EXECUTE | CAP_GRANT | CAP_DELEGATE) && info.depth == 1,
        "cap_copy of a file opened for reading: r-x-gD (Execute: it may be run), depth 1", "slot %d, cap_info %d, rights %u, depth %u: %s", copy, r, info.rights,
        info.depth, lasterror());
  cap_delete(copy);

  int badged = cap_derive(f, CAP_SLOT_ANY, CAP_READ | CAP_DELEGATE, BADGE, 0);
  r = cap_info(badged, &info);
  check(r == 0 && info.badge == BADGE, "cap_derive sets a badge on an unbadged capability", "cap_info %d, badge %lu: %s", r,
        info.badge, lasterror());
  denied("cap_derive with another badge from a badged capability", cap_derive(badged, CAP_SLOT_ANY, CAP_READ, BADGE + 1, 0));
  int kept = cap_derive(badged, CAP_SLOT_ANY, CAP_READ, 0, 0);
  r = cap_info(kept, &info);
  check(r == 0 && info.badge == BADGE, "badge 0 keeps the source's badge", "cap_info %d, badge %lu: %s", r, info.badge, lasterror());
  cap_delete(kept);
  cap_delete(badged);
  close(f);
}

// ---- revocation ----

static void group_revoke(void) {
  int f = open_readme();
  if (f < 0) return;
  int parent = cap_derive(f, CAP_SLOT_ANY, CAP_READ | CAP_GRANT | CAP_DELEGATE, 0, 0);
  int child = cap_derive(parent, CAP_SLOT_ANY, CAP_READ, 0, 0);
  allowed("cap_derive a parent and a child of it", child < 0 ? child : parent);
  check(read_one(child) == 1, "the child reads before the revoke", "%s", lasterror());
  int removed = cap_revoke(parent);
  check(removed == 1, "cap_revoke of the parent removes its one child", "got %d: %s", removed, lasterror());
  denied("reading through the revoked child's slot", read_one(child));
  check(read_one(parent) == 1, "the revoked parent itself stays and reads", "%s", lasterror());

  // fork copies the parent (it has Delegate and Grant) into the child
  // process, under the parent in the tree: the revoke reaches it there.
  int sync[2];
  if (pipe(sync) < 0) {
    check(0, "pipe", "%s", lasterror());
  } else {
    int pid = fork();
    if (pid == 0) {
      // Reports through its exit status: 0 when its copy is gone.
      close(sync[1]);
      char c;
      read(sync[0], &c, 1);
      exit(read_one(parent) == -1 ? 0 : 1);
    }
    close(sync[0]);
    removed = pid < 0 ? -1 : cap_revoke(parent);
    write(sync[1], "go", 1);
    close(sync[1]);
    int status = -1;
    if (pid > 0) while (wait(&status) != pid) {}
    check(pid > 0 && removed == 1, "cap_revoke removes the copy fork made in another process", "fork %d, revoke %d: %s", pid, removed,
          lasterror());
    check(status == 0, "the other process can no longer read through its copy", "its status %d", status);
  }
  cap_delete(parent);
  close(f);
}

// ---- expiry ----

static void group_expiry(void) {
  int f = open_readme();
  if (f < 0) return;
  uint64 deadline = clocknanos() + SHORT_LIFE_NS;
  int e = cap_derive(f, CAP_SLOT_ANY, CAP_READ | CAP_DELEGATE, 0, deadline);
  struct capinfo info;
  int r = cap_info(e, &info);
  check(r == 0 && info.expiry_ns == deadline, "cap_derive with an expiry 1 ms away; cap_info reports it",
        "slot %d, cap_info %d, expiry %lu, asked %lu: %s", e, r, info.expiry_ns, deadline, lasterror());
  sleep(2);
  denied("reading through an expired capability", read_one(e));
  denied("cap_derive from an expired capability", cap_derive(e, CAP_SLOT_ANY, CAP_READ, 0, 0));
  check(cap_delete(e) == 0, "an expired capability can still be deleted", "%s", lasterror());

  uint64 far = clocknanos() + FAR_FUTURE_NS;
  int ok = cap_derive(f, CAP_SLOT_ANY, CAP_READ, 0, far);
  r = cap_info(ok, &info);
  check(r == 0 && info.expiry_ns == far, "a far expiry (2^40 ns away) arrives whole", "cap_info %d, expiry %lu, asked %lu: %s", r,
        info.expiry_ns, far, lasterror());
  check(read_one(ok) == 1, "a capability that has not expired reads", "%s", lasterror());
  cap_delete(ok);
  denied("cap_derive with an expiry already past", cap_derive(f, CAP_SLOT_ANY, CAP_READ, 0, 1));
  close(f);

  // Deleting the last capability to an object destroys it even when that
  // capability has expired (the kernel once kept the object for ever: a
  // leak the fuzzer found). Seen through the disk: an unlinked file's
  // inode is freed when its last capability goes.
  struct fsinfo before, after;
  if (fsinfo(&before) == 0) {
    int t = open(SCRATCH, O_CREATE | O_RDWR);
    int last = t < 0 ? -1 : cap_derive(t, CAP_SLOT_ANY, CAP_READ, 0, clocknanos() + SHORT_LIFE_NS);
    close(t);
    unlink(SCRATCH);
    sleep(2);
    check(last >= 0 && cap_delete(last) == 0, "the expired last capability to an unlinked file is deleted", "%s", lasterror());
    fsinfo(&after);
    check(after.free_inodes == before.free_inodes, "and the file is gone with it (its inode is free again)",
          "free inodes %lu before, %lu after", before.free_inodes, after.free_inodes);
  }
}

// ---- capability mode ----

static int capmode_dir;     // a capability for "/", opened before cap_enter
static int capmode_victim;  // a process the sandboxed child tries to kill

static void grandchild_in_capmode(void) {
  denied("a child forked in capability mode: open of an absolute path", open(README, O_RDONLY));
}

static void sandboxed(void) {
  check(cap_enter() == 0, "cap_enter", "%s", lasterror());
  denied("capability mode: open of an absolute path", open(README, O_RDONLY));
  denied("capability mode: open relative to the working directory", open("README", O_RDONLY));
  denied("capability mode: openat with ..", openat(capmode_dir, "../x", O_RDONLY));
  denied("capability mode: openat with an absolute path", openat(capmode_dir, README, O_RDONLY));
  denied("capability mode: chdir", chdir("/"));
  denied("capability mode: kill", kill(capmode_victim));

  int fd = openat(capmode_dir, "README", O_RDONLY);
  allowed("capability mode: openat(dir, \"README\")", fd);
  check(fd >= 0 && read_one(fd) == 1, "capability mode: the file openat gave reads", "%s", lasterror());
  close(fd);

  int pid = fork();
  if (pid == 0) {
    grandchild_in_capmode();
    exit(0);
  }
  if (pid > 0) while (wait(0) != pid) {}

  char *argv[] = {"echo", "FAIL captest: exec by path escaped capability mode", 0};
  denied("capability mode: exec by path", exec("/echo", argv));
}

static void group_capmode(void) {
  capmode_dir = open("/", O_RDONLY);
  struct capinfo info;
  int r = cap_info(capmode_dir, &info);
  check(r == 0 && info.type == CAP_TYPE_DIR, "open(\"/\") gives a directory capability", "slot %d, cap_info %d, type %u: %s",
        capmode_dir, r, info.type, lasterror());
  int fd = openat(capmode_dir, "README", O_RDONLY);
  allowed("openat(dir, \"README\") outside capability mode", fd);
  close(fd);

  capmode_victim = fork();
  if (capmode_victim == 0) {
    for (;;) sleep(100);
  }
  in_child("capability mode", sandboxed);
  if (capmode_victim > 0) {
    check(kill(capmode_victim) == 0, "outside capability mode kill still works", "%s", lasterror());
    while (wait(0) != capmode_victim) {}
  }
  close(capmode_dir);
}

// ---- spawn ----

static void group_spawn(void) {
  char *true_argv[] = {"true", 0};
  int f = open_readme();
  if (f < 0) return;
  int no_grant = cap_derive(f, CAP_SLOT_ANY, CAP_READ | CAP_DELEGATE, 0, 0);
  int no_delegate = cap_derive(f, CAP_SLOT_ANY, CAP_READ | CAP_GRANT, 0, 0);
  int pass_no_grant[] = {no_grant, 0};
  int pass_no_delegate[] = {no_delegate, 0};
  denied("spawn passing a capability without Grant", spawn("/true", true_argv, pass_no_grant, 1, 0));
  denied("spawn passing a capability without Delegate", spawn("/true", true_argv, pass_no_delegate, 1, 0));
  cap_delete(no_grant);
  cap_delete(no_delegate);

  int console[] = {0, 0, 1, 1, 2, 2};
  int pid = spawn("/true", true_argv, console, 3, SPAWN_CAPMODE);
  int status = -1;
  if (pid > 0) while (wait(&status) != pid) {}
  check(pid > 0 && status == 0, "spawn /true in capability mode with only the console; it exits 0", "pid %d, status %d: %s", pid,
        status, lasterror());

  // cat in capability mode with the README as its standard input and a
  // pipe as its output: it can read only what it was handed.
  char want[64], got[64];
  int n_want = read(f, want, sizeof want);
  close(f);
  int f2 = open_readme();
  int out[2];
  if (f2 < 0 || pipe(out) < 0) return;
  int pass_cat[] = {f2, 0, out[1], 1, 2, 2};
  char *cat_argv[] = {"cat", 0};
  pid = spawn("/cat", cat_argv, pass_cat, 3, SPAWN_CAPMODE);
  close(out[1]);
  close(f2);
  int n_got = 0, n;
  while (n_got < (int)sizeof got && (n = read(out[0], got + n_got, sizeof got - n_got)) > 0) n_got += n;
  char rest[64];
  while (read(out[0], rest, sizeof rest) > 0) {}  // let cat finish writing
  close(out[0]);
  status = -1;
  if (pid > 0) while (wait(&status) != pid) {}
  check(pid > 0 && status == 0 && n_want > 0 && n_got == n_want && memcmp(want, got, n_want) == 0,
        "a spawned cat reads the file capability it was handed as fd 0", "pid %d, status %d, %d bytes, want %d: %s", pid, status, n_got,
        n_want, lasterror());
}

// The Execute and Delete rights: running a program through a file
// capability, removing a name through a directory capability.
static void group_execute_delete(void) {
  char *argv[] = {"true", 0};
  int console[] = {0, 0, 1, 1, 2, 2};
  int prog = open("/true", O_RDONLY);
  allowed("open(/true) gives a file capability", prog);
  int pid = fspawn(prog, argv, console, 3, SPAWN_CAPMODE);
  allowed("fspawn runs the program a file capability names (Execute)", pid);
  int status = -1;
  if (pid > 0) wait(&status);
  check(status == 0, "the fspawned /true exits 0", "status %d", status);
  int noexec = cap_derive(prog, -1, CAP_READ | CAP_GRANT | CAP_DELEGATE, 0, 0);
  allowed("cap_derive without Execute", noexec);
  denied("fspawn through a capability without Execute", fspawn(noexec, argv, console, 3, SPAWN_CAPMODE));
  close(prog);
  cap_delete(noexec);

  int fd = open("/capdel.tmp", O_CREATE | O_WRONLY);
  close(fd);
  int dir = open("/", O_RDONLY);
  int nodelete = cap_derive(dir, -1, CAP_READ | CAP_DELEGATE, 0, 0);
  denied("unlinkat through a directory capability without Delete", unlinkat(nodelete, "capdel.tmp"));
  allowed("unlinkat through the directory capability with Delete", unlinkat(dir, "capdel.tmp"));
  denied("the name is gone", open("/capdel.tmp", O_RDONLY));
  close(dir);
  cap_delete(nodelete);
}

// A capability revoked while another process is blocked on it: the
// blocked call ends with -1 instead of waiting for ever.
static void group_revoke_blocked(void) {
  int ep = ep_create();
  int derived = cap_derive(ep, -1, CAP_ALL_RIGHTS, 0, 0);
  int pid = fork();
  if (pid == 0) {
    struct ipcmsg m;
    memset(&m, 0, sizeof m);
    m.cap = -1;
    exit(ep_recv(derived, &m) == -1 ? 0 : 1);  // blocks: nobody sends
  }
  sleep(1);  // let the child block
  long removed = cap_revoke(derived);
  check(removed >= 1, "cap_revoke removes the copy a blocked child holds", "removed %ld", removed);
  int status = -1;
  wait(&status);
  check(status == 0, "the child blocked in ep_recv gets -1 when its capability is revoked", "status %d", status);
  cap_delete(derived);
  cap_delete(ep);
}

// Capabilities that are not open files handed to the file calls: each is
// refused with a reason (the kernel once read an endpoint's record as an
// open file and trapped: fstat(16) from any shell child panicked it).
static void group_wrong_kind(void) {
  int ep = ep_create(), nt = ntfn_create(), shm = shm_create(4096);
  allowed("ep_create, ntfn_create, shm_create", ep < 0 || nt < 0 || shm < 0 ? -1 : 0);
  int objects[] = {ep, nt, shm};
  const char *names[] = {"an endpoint", "a notification", "shared memory"};
  char buf[64], what[96];
  struct stat st;
  char *argv[] = {"true", 0};
  for (int i = 0; i < 3; i++) {
    int c = objects[i];
    snprintf(what, sizeof what, "fstat on %s", names[i]);
    denied(what, fstat(c, &st));
    snprintf(what, sizeof what, "read from %s", names[i]);
    denied(what, read(c, buf, sizeof buf));
    snprintf(what, sizeof what, "write to %s", names[i]);
    denied(what, write(c, "x", 1));
    snprintf(what, sizeof what, "openat through %s", names[i]);
    denied(what, openat(c, "README", O_RDONLY));
    snprintf(what, sizeof what, "unlinkat through %s", names[i]);
    denied(what, unlinkat(c, "README"));
    snprintf(what, sizeof what, "fspawn of %s", names[i]);
    denied(what, fspawn(c, argv, 0, 0, 0));
  }
  denied("shm_map of an endpoint", (long)shm_map(ep));
  denied("ep_send on a notification", ep_send(nt, 0));
  denied("ntfn_signal on shared memory", ntfn_signal(shm, 1));
  int fd = open_readme();
  denied("ep_recv on a file", ep_recv(fd, 0));
  denied("ntfn_poll on a file", (long)ntfn_poll(fd));
  denied("shm_map of a file", (long)shm_map(fd));
  close(fd);
  struct capinfo info;
  if (cap_info(16, &info) == 0 && info.type != CAP_TYPE_FILE && info.type != CAP_TYPE_DIR) {
    denied("fstat on slot 16 (the inherited name-service endpoint)", fstat(16, &st));
  }
  cap_delete(ep);
  cap_delete(nt);
  cap_delete(shm);
}

int main(int argc, char **argv) {
  if (argc != 1) {
    fprintf(2, "usage: captest\n");
    return 2;
  }
  group_read_only();
  group_rights_grow();
  group_delegate();
  group_revoke();
  group_expiry();
  group_capmode();
  group_spawn();
  group_execute_delete();
  group_revoke_blocked();
  group_wrong_kind();
  printf("captest: %d passed, %d failed\n", check_passed, check_failed);
  return check_failed ? 1 : 0;
}
