// syscalltest: calls every system call (1-21 and the Keel extensions) with
// ordinary, edge-case and wild arguments and checks the results against
// ABI.md: errors return exactly -1 and never crash the caller; faults kill
// only the faulting process, with status -1.
//
// Checks run in groups; each group runs in its own child process, so a
// kernel that wrongly kills the caller costs that group's remaining checks,
// not the whole run. Every check prints one line ("ok   name" or
// "FAIL name: detail") and sends one byte ('p' or 'f') up a pipe to the
// parent, which prints "syscalltest: N passed, M failed" and exits 0 only
// if nothing failed. A group that finishes sends 'e', so one that vanishes
// early (an exec that should have failed but ran) is reported too. `syscalltest GROUP...` runs only the named groups.
//
// Where ABI.md leaves a result open, the check accepts every reasonable
// answer and says so in its name ("-1 or 0").
//
// Layout facts used: text is linked at address 0 (readable, not writable),
// `end` is the end of the image, the guard page is the page at
// round_up(end), and programs live in / (echo, true, false).
#include "user.h"
#include "check.h"

#define PAGE 4096UL
#define KERNEL_PTR 0xffffffff80000000UL  // upper half: never user memory
#define NONCANONICAL 0x0000800000000000UL // just past the Sv48 user half
#define UNMAPPED (1UL << 40)              // canonical user address nobody maps
#define TEXT_PTR 0UL                      // address 0: our own text, read-only
#define WORKDIR "/sctest.d"
#define MANY 10000                        // bound on "until it fails" loops

extern char end[];
static int main_pid;
static char page_edge_storage;  // marks that page_edge() has run
static char *edge;              // the last mapped byte + 1 (a page boundary)

// ---- reporting ----

static void expect(const char *name, long got, long want) {
  check(got == want, name, "got %ld, want %ld", got, want);
}

static void expect_either(const char *name, long got, long a, long b) {
  check(got == a || got == b, name, "got %ld, want %ld or %ld", got, a, b);
}

// ---- helpers ----

// Forks a child that runs fn and then exits 0; returns its exit status
// (-1000 if fork fails).
static int in_child(void (*fn)(void)) {
  int pid = fork();
  if (pid < 0) return -1000;
  if (pid == 0) {
    fn();
    exit(0);
  }
  int status = -999;
  if (wait(&status) != pid) return -998;
  return status;
}

// Makes the break page-aligned with a full mapped page below it, filled
// with 'a', so that edge - k .. edge is k mapped bytes with unmapped memory
// right after. Later sbrk calls move the break but this page stays.
static char *page_edge(void) {
  if (page_edge_storage) return edge;
  char *brk = sbrk(0);
  int pad = (int)((PAGE - ((uint64)brk & (PAGE - 1))) & (PAGE - 1));
  char *start = sbrk(pad + (int)PAGE);
  if (start == (char *)-1) return 0;
  edge = start + pad + PAGE;
  memset(edge - PAGE, 'a', PAGE);
  page_edge_storage = 1;
  return edge;
}

static int read_all(int fd, char *buf, int max) {
  int total = 0, n;
  while (total < max && (n = read(fd, buf + total, max - total)) > 0) total += n;
  return total;
}

static int write_file(const char *path, const void *data, int n) {
  int fd = open(path, O_CREATE | O_WRONLY | O_TRUNC);
  if (fd < 0) return -1;
  int r = write(fd, data, n);
  close(fd);
  return r;
}

// ---- fork, exit, wait, getpid ----

static void group_process(void) {
  int status = 0, pid, fds[2];

  pid = fork();
  if (pid == 0) exit(42);
  check(pid > 0, "fork returns the child's pid to the parent", "got %d", pid);
  expect("wait returns the child's pid", wait(&status), pid);
  expect("wait copies exit(42)'s status", status, 42);

  pid = fork();
  if (pid == 0) exit(-7);
  wait(&status);
  expect("exit status is the raw int (-7)", status, -7);

  pid = fork();
  if (pid == 0) exit(0x12345678);
  wait(&status);
  expect("exit status keeps all 32 bits", status, 0x12345678);

  pid = fork();
  if (pid == 0) exit(1);
  expect("wait(0) accepts a null status pointer", wait(0), pid);

  expect("wait with no children returns -1", wait(&status), -1);

  pid = fork();
  if (pid == 0) exit(3);
  sleep(1);
  expect("wait into a kernel address returns -1", wait((int *)KERNEL_PTR), -1);
  wait(0);  // reap it if the failed wait left it
  pid = fork();
  if (pid == 0) exit(3);
  sleep(1);
  // Not address 0: that is also the null pointer, which wait() accepts.
  expect("wait into read-only text returns -1", wait((int *)(TEXT_PTR + 16)), -1);
  wait(0);

  volatile int shared = 1;
  pid = fork();
  if (pid == 0) {
    shared = 2;
    exit(shared);
  }
  wait(&status);
  check(status == 2 && shared == 1, "fork copies memory (child's store stays in the child)", "child %d, parent %d", status,
         shared);

  pipe(fds);
  pid = fork();
  if (pid == 0) {
    int me = getpid();
    write(fds[1], &me, sizeof me);
    exit(0);
  }
  int reported = 0;
  read(fds[0], &reported, sizeof reported);
  wait(0);
  close(fds[0]);
  close(fds[1]);
  expect("child's getpid equals fork's return", reported, pid);
  check(getpid() > 0 && getpid() != pid, "getpid is positive and differs from the child's", "got %d", getpid());

  // An orphan is re-parented to init: the child forks a grandchild that
  // outlives it, and we look at the grandchild's ppid. The grandchild's pid
  // comes back through one pipe; the grandchild waits on another.
  int hold[2];
  pipe(fds);
  pipe(hold);
  pid = fork();
  if (pid == 0) {
    int grandchild = fork();
    if (grandchild == 0) {
      close(hold[1]);
      char c;
      read(hold[0], &c, 1);  // until the test closes the pipe
      exit(0);
    }
    write(fds[1], &grandchild, sizeof grandchild);
    exit(0);
  }
  int grandchild = -1;
  read(fds[0], &grandchild, sizeof grandchild);
  wait(0);
  static struct procinfo table[128];
  int n = procs(table, 128), init_pid = -1, parent = -2;
  for (int i = 0; i < n; i++) {
    if (strncmp(table[i].name, "init", PROC_NAME_LEN) == 0) init_pid = table[i].pid;
    if (table[i].pid == grandchild) parent = table[i].ppid;
  }
  check(parent != pid && (init_pid < 0 || parent == init_pid), "an orphan is re-parented to init",
         "orphan %d has ppid %d, init is %d, dead parent %d", grandchild, parent, init_pid, pid);
  close(fds[0]);
  close(fds[1]);
  close(hold[0]);
  close(hold[1]);  // the grandchild now reads EOF and exits
}

// ---- pipe, read, write ----

static void group_pipe(void) {
  int fds[2] = {-1, -1};
  char buf[128];
  expect("pipe succeeds", pipe(fds), 0);
  check(fds[0] >= 0 && fds[1] >= 0 && fds[0] != fds[1], "pipe returns two distinct descriptors", "got %d %d", fds[0],
         fds[1]);
  expect("pipe into a kernel address returns -1", pipe((int *)KERNEL_PTR), -1);
  expect("pipe into read-only text (address 0) returns -1", pipe((int *)TEXT_PTR), -1);
  expect("pipe into unmapped memory returns -1", pipe((int *)UNMAPPED), -1);
  char *e = page_edge();
  if (e) expect("pipe into an array straddling unmapped memory returns -1", pipe((int *)(e - 4)), -1);

  expect("write 5 bytes to a pipe", write(fds[1], "hello", 5), 5);
  expect("read returns the 5 bytes available", read(fds[0], buf, sizeof buf), 5);
  check(memcmp(buf, "hello", 5) == 0, "read returns the bytes written", "got different bytes");
  expect("read from a pipe's write end returns -1", read(fds[1], buf, 1), -1);
  expect("write to a pipe's read end returns -1", write(fds[0], "x", 1), -1);
  expect("write of 0 bytes returns 0", write(fds[1], buf, 0), 0);
  expect("write with negative n returns -1", write(fds[1], buf, -5), -1);
  write(fds[1], "abc", 3);
  expect("read of 0 bytes returns 0", read(fds[0], buf, 0), 0);
  expect("read with negative n returns -1", read(fds[0], buf, -1), -1);
  expect("read with huge n returns what is there (3)", read(fds[0], buf, 0x7fffffff), 3);
  write(fds[1], "abc", 3);
  expect("read into a kernel address returns -1", read(fds[0], (void *)KERNEL_PTR, 3), -1);
  expect("read into read-only text returns -1", read(fds[0], (void *)TEXT_PTR, 3), -1);
  expect("read into unmapped memory returns -1", read(fds[0], (void *)UNMAPPED, 3), -1);
  expect("write from a kernel address returns -1", write(fds[1], (void *)KERNEL_PTR, 3), -1);
  expect("write from a non-canonical address returns -1", write(fds[1], (void *)NONCANONICAL, 3), -1);
  expect("write from unmapped memory returns -1", write(fds[1], (void *)UNMAPPED, 3), -1);
  expect("write from address 0 (our text, readable) succeeds", write(fds[1], (void *)TEXT_PTR, 16), 16);
  expect("fd with garbage in the upper 32 bits is the int fd",
         syscall6(SYS_write, (1L << 32) | fds[1], (long)"z", 1, 0, 0, 0), 1);
  read_all(fds[0], buf, 3 + 16 + 1);  // drain what is left

  // A writer that outruns the pipe's buffer blocks until we read.
  int pid = fork();
  if (pid == 0) {
    static char big[65536];
    memset(big, 'b', sizeof big);
    exit(write(fds[1], big, sizeof big) == (int)sizeof big ? 0 : 1);
  }
  static char sink[65536];
  int got = read_all(fds[0], sink, sizeof sink);
  int status = -1;
  wait(&status);
  check(got == 65536 && status == 0 && sink[0] == 'b' && sink[65535] == 'b', "64 KiB through a pipe arrives whole",
         "read %d, writer status %d", got, status);

  write(fds[1], "end", 3);
  close(fds[1]);
  expect("buffered bytes are still readable after the writer closes", read(fds[0], buf, sizeof buf), 3);
  expect("read at end of pipe returns 0", read(fds[0], buf, sizeof buf), 0);
  close(fds[0]);

  pipe(fds);
  close(fds[0]);
  expect("write to a pipe with no reader returns -1", write(fds[1], "x", 1), -1);
  close(fds[1]);
}

// ---- descriptors: bad numbers, close, dup ----

static void group_fd(void) {
  char buf[8];
  struct stat st;
  int bad[] = {-1, 1000, 0x7fffffff, (int)0x80000000};
  const char *names[] = {"-1", "1000", "INT_MAX", "INT_MIN"};
  for (int i = 0; i < 4; i++) {
    char name[64];
    snprintf(name, sizeof name, "read(fd %s) returns -1", names[i]);
    expect(name, read(bad[i], buf, 1), -1);
    snprintf(name, sizeof name, "write(fd %s) returns -1", names[i]);
    expect(name, write(bad[i], "x", 1), -1);
    snprintf(name, sizeof name, "close(fd %s) returns -1", names[i]);
    expect(name, close(bad[i]), -1);
    snprintf(name, sizeof name, "dup(fd %s) returns -1", names[i]);
    expect(name, dup(bad[i]), -1);
    snprintf(name, sizeof name, "fstat(fd %s) returns -1", names[i]);
    expect(name, fstat(bad[i], &st), -1);
  }

  int fds[2];
  pipe(fds);
  int copy = dup(fds[1]);
  check(copy >= 0 && copy != fds[0] && copy != fds[1], "dup returns a new descriptor", "got %d", copy);
  expect("close returns 0", close(copy), 0);
  expect("close of a closed descriptor returns -1", close(copy), -1);
  expect("write to a closed descriptor returns -1", write(copy, "x", 1), -1);
  expect("dup reuses the lowest free descriptor", dup(fds[1]), copy);
  write(copy, "d", 1);
  expect("a dup writes into the same pipe", read(fds[0], buf, 1), 1);
  close(copy);

  // Fill the descriptor table; the call that finds it full returns -1.
  static int opened[MANY];
  int count = 0, last;
  while (count < MANY && (last = dup(fds[0])) >= 0) opened[count++] = last;
  check(count > 0 && count < MANY, "dup fails with -1 once the descriptor table is full", "%d dups succeeded", count);
  expect("pipe fails with -1 when no descriptors are free", pipe((int *)buf), -1);
  for (int i = 0; i < count; i++) close(opened[i]);
  int again = dup(fds[0]);
  check(again >= 0, "descriptors are reusable after closing", "dup returned %d", again);
  close(again);
  close(fds[0]);
  close(fds[1]);
}

// ---- fstat ----

static void group_fstat(void) {
  struct stat st;
  int fd = open("/console", O_RDWR);
  check(fd >= 0, "open /console", "got %d", fd);
  memset(&st, 0xff, sizeof st);
  expect("fstat of the console succeeds", fstat(fd, &st), 0);
  expect("the console is T_DEVICE", st.type, T_DEVICE);
  expect("fstat into a kernel address returns -1", fstat(fd, (struct stat *)KERNEL_PTR), -1);
  expect("fstat into read-only text returns -1", fstat(fd, (struct stat *)TEXT_PTR), -1);
  expect("fstat into unmapped memory returns -1", fstat(fd, (struct stat *)UNMAPPED), -1);
  char *e = page_edge();
  if (e) expect("fstat into a struct straddling unmapped memory returns -1", fstat(fd, (struct stat *)(e - 8)), -1);
  close(fd);
  expect("open(/console, O_CREATE) on a device succeeds", (fd = open("/console", O_CREATE | O_RDWR)) >= 0, 1);
  close(fd);

  fd = open("/", O_RDONLY);
  check(fd >= 0, "open / read-only", "got %d", fd);
  fstat(fd, &st);
  expect("/ is T_DIR", st.type, T_DIR);
  expect("write to a directory returns -1", write(fd, "x", 1), -1);
  close(fd);
  expect("open / O_WRONLY returns -1", open("/", O_WRONLY), -1);
  expect("open / O_RDWR returns -1", open("/", O_RDWR), -1);
}

// ---- paths: bad pointers and unterminated names ----

static void group_paths(void) {
  char *e = page_edge();
  char *argv[] = {"x", 0};
  const char *what[] = {"kernel", "non-canonical", "unmapped"};
  uint64 where[] = {KERNEL_PTR, NONCANONICAL, UNMAPPED};
  for (int i = 0; i < 3; i++) {
    char name[80];
    const char *p = (const char *)where[i];
    snprintf(name, sizeof name, "open(%s address) returns -1", what[i]);
    expect(name, open(p, O_RDONLY), -1);
    snprintf(name, sizeof name, "open(%s address, O_CREATE) returns -1", what[i]);
    expect(name, open(p, O_CREATE | O_RDWR), -1);
    snprintf(name, sizeof name, "exec(%s address) returns -1", what[i]);
    expect(name, exec(p, argv), -1);
    snprintf(name, sizeof name, "chdir(%s address) returns -1", what[i]);
    expect(name, chdir(p), -1);
    snprintf(name, sizeof name, "mkdir(%s address) returns -1", what[i]);
    expect(name, mkdir(p), -1);
    snprintf(name, sizeof name, "mknod(%s address) returns -1", what[i]);
    expect(name, mknod(p, 1, 0), -1);
    snprintf(name, sizeof name, "unlink(%s address) returns -1", what[i]);
    expect(name, unlink(p), -1);
    snprintf(name, sizeof name, "link(%s address, ...) returns -1", what[i]);
    expect(name, link(p, "/sct.link"), -1);
    snprintf(name, sizeof name, "link(/, %s address) returns -1", what[i]);
    expect(name, link("/echo", p), -1);
  }
  if (e) {
    // 100 'a's and then unmapped memory: no NUL anywhere.
    const char *p = e - 100;
    expect("open of a path running into unmapped memory returns -1", open(p, O_RDONLY), -1);
    expect("open(O_CREATE) of a path running into unmapped memory returns -1", open(p, O_CREATE | O_RDWR), -1);
    expect("exec of a path running into unmapped memory returns -1", exec(p, argv), -1);
    expect("chdir of a path running into unmapped memory returns -1", chdir(p), -1);
    expect("mkdir of a path running into unmapped memory returns -1", mkdir(p), -1);
    expect("unlink of a path running into unmapped memory returns -1", unlink(p), -1);
    expect("open of a 4096-byte unterminated path returns -1", open(e - PAGE, O_RDONLY), -1);
  }
  expect("open(\"\") returns -1", open("", O_RDONLY), -1);
  expect("open of a missing file returns -1", open("/no-such-file", O_RDONLY), -1);
  expect("open in a missing directory returns -1", open("/no-such-dir/x", O_CREATE | O_RDWR), -1);
  expect("chdir to a missing directory returns -1", chdir("/no-such-dir"), -1);
  expect("chdir to a file returns -1", chdir("/echo"), -1);
  expect("chdir / succeeds", chdir("/"), 0);
}

// ---- exec ----

static void exec_and_report(void) {
  char *argv[] = {"echo", "from", "exec", 0};
  exec("/echo", argv);
  exit(99);
}

static void group_exec(void) {
  char *argv[MAXARG + 2];
  for (int i = 0; i < MAXARG + 1; i++) argv[i] = "arg";
  argv[MAXARG + 1] = 0;
  expect("exec with 33 arguments returns -1", exec("/true", argv), -1);
  expect("exec of a missing file returns -1", exec("/no-such-program", argv + MAXARG), -1);
  expect("exec of a directory returns -1", exec("/", argv + MAXARG), -1);
  expect("exec with argv at a kernel address returns -1", exec("/true", (char **)KERNEL_PTR), -1);
  expect("exec with argv in unmapped memory returns -1", exec("/true", (char **)UNMAPPED), -1);
  char *wild[] = {"true", (char *)KERNEL_PTR, 0};
  expect("exec with a kernel-address argument returns -1", exec("/true", wild), -1);
  char *e = page_edge();
  if (e) {
    // An argv array whose entries run up to unmapped memory with no NULL.
    char **unterminated = (char **)(e - 2 * sizeof(char *));
    unterminated[0] = "true";
    unterminated[1] = "x";
    expect("exec with an argv array running into unmapped memory returns -1", exec("/true", unterminated), -1);
    memset(e - 16, 'a', 16);
    char *long_arg[] = {"true", e - PAGE, 0};
    expect("exec with an argument running into unmapped memory returns -1", exec("/true", long_arg), -1);
  }
  check(1, "the process survives failed execs", "");

  int status = -5;
  int pid = fork();
  if (pid == 0) {
    argv[MAXARG] = 0;  // exactly 32 arguments
    exec("/true", argv);
    exit(99);
  }
  wait(&status);
  expect("exec of /true with 32 arguments exits 0", status, 0);
  pid = fork();
  if (pid == 0) {
    char *args[] = {"false", 0};
    exec("/false", args);
    exit(99);
  }
  wait(&status);
  expect("exec of /false exits 1", status, 1);

  int fds[2];
  pipe(fds);
  pid = fork();
  if (pid == 0) {
    close(1);
    dup(fds[1]);
    close(fds[0]);
    close(fds[1]);
    exec_and_report();
  }
  close(fds[1]);
  char buf[32] = {0};
  read_all(fds[0], buf, sizeof buf - 1);
  close(fds[0]);
  wait(&status);
  check(strcmp(buf, "from exec\n") == 0 && status == 0, "exec keeps descriptors and passes argv", "got \"%s\", status %d",
         buf, status);
}

// ---- memory: sbrk, sbrklazy, sbrkmode and faults ----

static void store_to_text(void) { *(volatile int *)(uint64)&store_to_text = 0; }
static void load_kernel(void) { (void)*(volatile char *)KERNEL_PTR; }
static void load_unmapped(void) { (void)*(volatile char *)UNMAPPED; }
static void touch_guard(void) { *(volatile char *)(((uint64)end + PAGE - 1) & ~(PAGE - 1)) = 1; }
static volatile unsigned int ret_instruction[1];  // written at run time, so it stays in .data/.bss
static void execute_data(void) {
  ret_instruction[0] = 0x00008067;  // `ret`
  ((void (*)(void))(uint64)ret_instruction)();
}
static void touch_released(void) {
  char *brk = sbrk(0);
  char *top = (char *)(((uint64)brk + PAGE - 1) & ~(PAGE - 1));
  sbrk((int)(top - brk) + (int)PAGE);
  top[0] = 1;
  sbrk(-(int)PAGE);
  *(volatile char *)top = 2;
}
static int recurse(int depth) {
  volatile char frame[1024];
  frame[0] = (char)depth;
  if (depth > (1 << 30)) return 0;
  return recurse(depth + 1) + frame[0];
}
static void overflow_stack(void) { recurse(0); }

static void group_memory(void) {
  char *start = sbrk(0);
  uint64 guard = ((uint64)end + PAGE - 1) & ~(PAGE - 1);
  char here;
  check((uint64)start >= guard + 2 * PAGE, "the break starts above the guard page and the stack", "break %p, guard %p",
         start, (void *)guard);
  check((uint64)&here > guard + PAGE && (uint64)&here < (uint64)start, "the stack lies between the guard page and the break",
         "sp %p", &here);

  char *old = sbrk(4096);
  expect("sbrk(4096) returns the old break", (long)old, (long)start);
  expect("the break moved by 4096", (long)sbrk(0), (long)start + 4096);
  int zero = 1;
  for (int i = 0; i < 4096; i++) zero &= old[i] == 0;
  check(zero, "new sbrk memory reads as zero", "");
  memset(old, 0x5a, 4096);
  check(old[4095] == 0x5a, "new sbrk memory is writable", "");
  expect("sbrk(-4096) returns the old break", (long)sbrk(-4096), (long)start + 4096);
  expect("the break moved back", (long)sbrk(0), (long)start);
  expect("sbrk below address 0 returns -1", (long)sbrk(-(int)((uint64)start + (1 << 20))), -1);
  expect("sbrk(INT_MIN) returns -1", (long)sbrk((int)0x80000000), -1);
  expect("a failed sbrk leaves the break alone", (long)sbrk(0), (long)start);
  char *huge = sbrk(0x7fffffff);
  if (huge != (char *)-1) sbrk(-0x7fffffff);
  check(sbrk(0) == start, "sbrk(INT_MAX) either fails or can be undone", "break %p", sbrk(0));
  old = sbrk(1);
  old[0] = 7;
  expect("sbrk(1) moves the break by one byte", (long)sbrk(0), (long)start + 1);
  sbrk(-1);

  expect("a store to text kills the process with -1", in_child(store_to_text), -1);
  expect("a load from a kernel address kills the process with -1", in_child(load_kernel), -1);
  expect("a load from unmapped memory kills the process with -1", in_child(load_unmapped), -1);
  expect("executing data kills the process with -1", in_child(execute_data), -1);
  expect("touching the guard page kills the process with -1", in_child(touch_guard), -1);
  expect("running off the stack kills the process with -1", in_child(overflow_stack), -1);
  expect("touching memory released by sbrk kills the process with -1", in_child(touch_released), -1);

  expect("sbrkmode(1) returns 0", sbrkmode(1), 0);
  start = sbrk(0);
  char *lazy = sbrk(16 << 20);
  expect("lazy sbrk(16 MiB) returns the old break", (long)lazy, (long)start);
  if (lazy != (char *)-1) {
    check(lazy[0] == 0 && lazy[(16 << 20) - 1] == 0 && lazy[8 << 20] == 0, "lazy pages read as zero", "");
    lazy[12345] = 9;
    check(lazy[12345] == 9, "lazy pages are writable", "");
    sbrk(-(16 << 20));
  }
  expect("sbrkmode(0) returns 0", sbrkmode(0), 0);
  start = sbrk(0);
  lazy = sbrklazy(16 << 20);
  expect("sbrklazy(16 MiB) returns the old break", (long)lazy, (long)start);
  if (lazy != (char *)-1) {
    check(lazy[(16 << 20) - 1] == 0, "sbrklazy pages read as zero", "");
    sbrklazy(-(16 << 20));
  }
  expect("sbrklazy(-16 MiB) gave it all back", (long)sbrk(0), (long)start);
  expect_either("sbrkmode(7) returns -1 or 0", sbrkmode(7), -1, 0);
  sbrkmode(0);
}

// ---- kill ----

static void group_kill(void) {
  expect("kill(-1) returns -1", kill(-1), -1);
  expect("kill(99999) returns -1", kill(99999), -1);
  expect("kill(0) returns -1", kill(0), -1);
  expect("kill(INT_MIN) returns -1", kill((int)0x80000000), -1);

  int status, pid = fork();
  if (pid == 0) {
    sleep(100000);
    exit(0);
  }
  sleep(1);
  expect("kill of a sleeping child returns 0", kill(pid), 0);
  wait(&status);
  expect("a child killed in sleep exits with -1", status, -1);

  int fds[2];
  pipe(fds);
  pid = fork();
  if (pid == 0) {
    char c;
    read(fds[0], &c, 1);
    exit(0);
  }
  sleep(1);
  kill(pid);
  wait(&status);
  expect("a child killed while blocked in read exits with -1", status, -1);
  close(fds[0]);
  close(fds[1]);

  pid = fork();
  if (pid == 0) {
    for (volatile uint64 i = 0;; i++) {}
  }
  sleep(1);
  kill(pid);
  wait(&status);
  expect("a child killed while computing exits with -1", status, -1);

  pid = fork();
  if (pid == 0) {
    kill(getpid());
    exit(5);
  }
  wait(&status);
  expect("a process that kills itself exits with -1", status, -1);
}

// ---- sleep, uptime, clocknanos ----

static void sleep_negative(void) {
  int r = sleep(-1);
  exit(r == 0 || r == -1 ? 0 : 1);
}

static void group_time(void) {
  int t0 = uptime();
  check(t0 >= 0, "uptime is not negative", "got %d", t0);
  expect("sleep(0) returns 0", sleep(0), 0);
  uint64 c0 = clocknanos();
  t0 = uptime();
  expect("sleep(3) returns 0", sleep(3), 0);
  int t1 = uptime();
  uint64 c1 = clocknanos();
  check(t1 - t0 >= 3, "uptime advances by at least the ticks slept", "%d -> %d", t0, t1);
  check(c0 > 0 && c1 > c0, "clocknanos advances across a sleep", "%lu -> %lu", c0, c1);
  uint64 a = clocknanos(), b = clocknanos();
  check(b >= a, "clocknanos never goes backwards", "%lu -> %lu", a, b);

  int pid = fork();
  if (pid == 0) sleep_negative();
  int status = -5;
  for (int i = 0; i < 50; i++) {
    static struct procinfo table[128];
    int n = procs(table, 128), alive = 0;
    for (int k = 0; k < n; k++) alive |= table[k].pid == pid && table[k].state != PROC_ZOMBIE;
    if (!alive) break;
    sleep(1);
  }
  kill(pid);  // if it is still sleeping, sleep(-1) hung
  wait(&status);
  expect("sleep(-1) returns promptly with 0 or -1", status, 0);
}

// ---- procs, setnice, errstr, unknown calls ----

static void group_keel(void) {
  static struct procinfo table[128];
  int me = getpid();
  int n = procs(table, 128);
  check(n >= 2 && n <= 128, "procs lists at least this process and its parent", "got %d", n);
  struct procinfo *self = 0, *parent = 0;
  for (int i = 0; i < n && i < 128; i++) {
    if (table[i].pid == me) self = &table[i];
    if (table[i].pid == main_pid) parent = &table[i];
  }
  check(self != 0, "procs includes the caller", "");
  if (self) {
    expect("the caller is running", self->state, PROC_RUNNING);
    expect("the caller's ppid is its parent", self->ppid, main_pid);
    check(strncmp(self->name, "syscalltest", PROC_NAME_LEN) == 0, "the caller's name is its program's", "got %.16s",
           self->name);
    check(self->mem_bytes > 0, "the caller uses memory", "got %lu", self->mem_bytes);
  }
  // Blocked in read, or just woken by what this group already reported.
  check(parent && (parent->state == PROC_SLEEPING || parent->state == PROC_RUNNABLE),
         "the parent, reading our reports, is sleeping or runnable", "state %d", parent ? parent->state : -1);

  memset(table, 0xab, sizeof table);
  expect("procs(buf, 1) returns 1", procs(table, 1), 1);
  check(table[1].pid == (int)0xabababab, "procs(buf, 1) writes only one entry", "");
  expect("procs(buf, 0) returns 0", procs(table, 0), 0);
  expect_either("procs(buf, -1) returns -1 or 0", procs(table, -1), -1, 0);
  expect("procs into a kernel address returns -1", procs((struct procinfo *)KERNEL_PTR, 4), -1);
  expect("procs into read-only text returns -1", procs((struct procinfo *)TEXT_PTR, 4), -1);

  int pid = fork();
  if (pid == 0) exit(0);
  sleep(2);
  n = procs(table, 128);
  int state = -1;
  for (int i = 0; i < n; i++)
    if (table[i].pid == pid) state = table[i].state;
  expect("an exited, unwaited child is a zombie", state, PROC_ZOMBIE);
  wait(0);

  expect("setnice(self, 10) returns 0", setnice(me, 10), 0);
  n = procs(table, 128);
  int nice = -100;
  for (int i = 0; i < n; i++)
    if (table[i].pid == me) nice = table[i].nice;
  expect("procs shows the new nice value", nice, 10);
  expect("setnice(self, 19) returns 0", setnice(me, NICE_MAX), 0);
  expect("setnice(self, 20) returns -1", setnice(me, 20), -1);
  expect("setnice(self, -21) returns -1", setnice(me, -21), -1);
  expect("setnice(99999, 0) returns -1", setnice(99999, 0), -1);
  expect("setnice(-1, 0) returns -1", setnice(-1, 0), -1);
  expect_either("setnice(self, -20) returns 0 or -1", setnice(me, NICE_MIN), 0, -1);
  expect("setnice(self, 0) returns 0", setnice(me, 0), 0);

  char buf[128];
  open("/no-such-file", O_RDONLY);
  memset(buf, 'x', sizeof buf);
  int len = errstr(buf, sizeof buf);
  check(len > 0 && len < (int)sizeof buf && buf[len] == 0 && (int)strlen(buf) == len,
         "errstr returns the reason for the last failure", "returned %d", len);
  memset(buf, 'x', sizeof buf);
  len = errstr(buf, 4);
  check(memchr(buf, 0, 4) != 0 && buf[4] == 'x', "errstr(buf, 4) truncates within 4 bytes", "returned %d", len);
  memset(buf, 'x', sizeof buf);
  len = errstr(buf, 0);
  check(buf[0] == 'x' && len >= -1, "errstr(buf, 0) writes nothing", "returned %d", len);
  expect("errstr into a kernel address returns -1", errstr((char *)KERNEL_PTR, 64), -1);

  long unknown[] = {0, 22, 99, 105, 1000000, -1};
  for (int i = 0; i < 6; i++) {
    char name[48];
    snprintf(name, sizeof name, "unknown call %ld returns -1", unknown[i]);
    expect(name, syscall6(unknown[i], 0, 0, 0, 0, 0, 0), -1);
  }
}

// ---- the file system: files, directories, links, devices ----

static int inode_of(const char *path) {
  struct stat st;
  return stat(path, &st) < 0 ? -1 : (int)st.ino;
}

static void group_files(void) {
  // Leftovers from an interrupted run.
  const char *leftovers[] = {"f", "g", "abcdefghijklmn", "notelf", "empty", "short", "dev0", "d/x", "d", 0};
  chdir(WORKDIR);
  for (int i = 0; leftovers[i]; i++) unlink(leftovers[i]);
  chdir("/");
  unlink(WORKDIR);

  if (mkdir(WORKDIR) < 0 || chdir(WORKDIR) < 0) {
    check(0, "create and enter " WORKDIR, "%s (file system checks skipped)", lasterror());
    return;
  }
  check(1, "create and enter " WORKDIR, "");
  struct stat st;
  static char buf[8192];  // static: the stack is one page

  int fd = open("f", O_CREATE | O_RDWR);
  check(fd >= 0, "open(O_CREATE) makes a file", "got %d", fd);
  expect("write 10 bytes to it", write(fd, "0123456789", 10), 10);
  fstat(fd, &st);
  check(st.type == T_FILE && st.size == 10 && st.nlink == 1, "fstat: T_FILE, size 10, one link", "type %d size %lu nlink %d",
         st.type, st.size, st.nlink);
  expect("read at end of file returns 0", read(fd, buf, 10), 0);
  close(fd);

  fd = open("f", O_RDONLY);
  expect("write to a read-only descriptor returns -1", write(fd, "x", 1), -1);
  expect("read from it returns the 10 bytes", read(fd, buf, sizeof buf), 10);
  close(fd);
  fd = open("f", O_WRONLY);
  expect("read from a write-only descriptor returns -1", read(fd, buf, 1), -1);
  close(fd);
  fd = open("f", O_CREATE | O_RDWR);
  fstat(fd, &st);
  check(fd >= 0 && st.size == 10, "O_CREATE on an existing file opens it unchanged", "fd %d size %lu", fd, st.size);
  close(fd);
  fd = open("f", O_RDWR | O_TRUNC);
  fstat(fd, &st);
  expect("O_TRUNC empties the file", (long)st.size, 0);

  // Descriptors share offsets with their dups and across fork.
  int copy = dup(fd);
  write(fd, "ab", 2);
  write(copy, "cd", 2);
  close(copy);
  int pid = fork();
  if (pid == 0) {
    write(fd, "ef", 2);
    exit(0);
  }
  wait(0);
  write(fd, "gh", 2);
  close(fd);
  fd = open("f", O_RDONLY);
  memset(buf, 0, 16);
  read(fd, buf, 16);
  close(fd);
  check(strcmp(buf, "abcdefgh") == 0, "dup and fork share the file offset", "file holds \"%s\"", buf);

  for (int i = 0; i < (int)sizeof buf; i++) buf[i] = (char)(i * 7);
  fd = open("f", O_RDWR | O_TRUNC);
  expect("write 8192 bytes", write(fd, buf, sizeof buf), (long)sizeof buf);
  close(fd);
  fd = open("f", O_RDONLY);
  static char back[8192];
  int got = read_all(fd, back, sizeof back);
  check(got == (int)sizeof back && memcmp(buf, back, sizeof back) == 0, "read them back intact", "read %d", got);
  close(fd);

  char *e = page_edge();
  if (e) {
    fd = open("f", O_RDONLY);
    int r = read(fd, e - 100, 8192);
    check(r == -1 || (r >= 0 && r <= 100), "read running into unmapped memory: -1 or at most the mapped part", "got %d", r);
    close(fd);
    fd = open("f", O_RDWR);
    r = write(fd, e - 100, 200);
    check(r == -1 || (r >= 0 && r <= 100), "write running into unmapped memory: -1 or at most the mapped part", "got %d", r);
    close(fd);
  }

  // Names longer than DIRSIZ are cut to 14 characters.
  fd = open("abcdefghijklmnopq", O_CREATE | O_RDWR);
  close(fd);
  check(fd >= 0 && inode_of("abcdefghijklmn") == inode_of("abcdefghijklmnopq") && inode_of("abcdefghijklmn") > 0,
         "a 17-character name is the same file as its first 14", "");
  expect("unlink the 14-character name", unlink("abcdefghijklmn"), 0);

  // Directory contents, 16-byte struct dirent records.
  fd = open(".", O_RDONLY);
  struct dirent de;
  int n, found = 0;
  while ((n = read(fd, &de, sizeof de)) == (int)sizeof de) {

    if (de.inum != 0 && strncmp(de.name, "f", DIRSIZ) == 0) found = 1;
  }
  close(fd);
  check(found && n == 0, "reading a directory yields 16-byte entries naming its files", "found %d, last read %d", found,
         n);

  // Links.
  expect("link(f, g) returns 0", link("f", "g"), 0);
  stat("g", &st);
  check(inode_of("f") == inode_of("g") && st.nlink == 2, "both names share the inode, nlink 2", "nlink %d", st.nlink);
  expect("link onto an existing name returns -1", link("f", "g"), -1);
  expect("link of a missing file returns -1", link("missing", "h"), -1);
  expect("link of a directory returns -1", link(".", "h"), -1);
  expect("unlink(g) returns 0", unlink("g"), 0);
  expect("the unlinked name is gone", open("g", O_RDONLY), -1);
  stat("f", &st);
  expect("nlink drops back to 1", st.nlink, 1);
  expect("unlink of a missing file returns -1", unlink("g"), -1);
  expect("unlink(.) returns -1", unlink("."), -1);
  expect("unlink(..) returns -1", unlink(".."), -1);

  // Directories.
  expect("mkdir(d) returns 0", mkdir("d"), 0);
  expect("mkdir of an existing name returns -1", mkdir("d"), -1);
  expect("mkdir over a file returns -1", mkdir("f"), -1);
  expect("mkdir in a missing directory returns -1", mkdir("missing/d"), -1);
  fd = open("d/x", O_CREATE | O_RDWR);
  close(fd);
  expect("unlink of a non-empty directory returns -1", unlink("d"), -1);
  expect("chdir(d) returns 0", chdir("d"), 0);
  check(open("x", O_RDONLY) >= 0, "relative paths start at the new directory", "");
  expect("chdir(..) returns 0", chdir(".."), 0);
  unlink("d/x");
  expect("unlink of an empty directory returns 0", unlink("d"), 0);

  // Devices.
  expect("mknod(dev0, 1, 0) returns 0", mknod("dev0", CONSOLE_MAJOR, 0), 0);
  fd = open("dev0", O_RDWR);
  fstat(fd, &st);
  check(fd >= 0 && st.type == T_DEVICE, "the new node is a T_DEVICE", "fd %d type %d", fd, st.type);
  close(fd);
  expect("mknod of an existing name returns -1", mknod("dev0", CONSOLE_MAJOR, 0), -1);
  unlink("dev0");

  // exec of files that are not programs.
  char *argv[] = {"x", 0};
  write_file("notelf", "#!/sh\necho not an ELF file\n", 27);
  expect("exec of a text file returns -1", exec("notelf", argv), -1);
  write_file("empty", "", 0);
  expect("exec of an empty file returns -1", exec("empty", argv), -1);
  fd = open("/echo", O_RDONLY);
  n = read(fd, buf, 100);
  close(fd);
  write_file("short", buf, n > 0 ? n : 0);
  expect("exec of a truncated ELF returns -1", exec("short", argv), -1);

  unlink("notelf");
  unlink("empty");
  unlink("short");
  unlink("abcdefghijklmnopq");
  unlink("f");
  chdir("/");
  expect("remove " WORKDIR, unlink(WORKDIR), 0);
}

// ---- the driver ----

// ---- the console's mode (ttymode, 122) ----

static void set_raw_and_exit(void) { ttymode(0, TTY_RAW); }

static void background_ttymode(void) {
  setpgid(0, 0);  // out of the console's foreground group
  exit(ttymode(0, TTY_RAW) == -1 && strstr(lasterror(), "foreground") ? 0 : 1);
}

static void group_console(void) {
  struct stat st;
  if (fstat(0, &st) < 0 || st.type != T_DEVICE) {
    printf("     (skipped: standard input is not the console)\n");
    return;
  }
  int fds[2];
  if (pipe(fds) == 0) {
    expect("ttymode of a pipe fails", ttymode(fds[0], TTY_RAW), -1);
    check(strstr(lasterror(), "not the console") != 0, "and says it is not the console", "%s", lasterror());
    close(fds[0]);
    close(fds[1]);
  }
  expect("ttymode of a closed descriptor fails", ttymode(1000, TTY_RAW), -1);
  expect("ttymode with an unknown mode fails", ttymode(0, 7), -1);
  check(strstr(lasterror(), "0 (cooked) or 1 (raw)") != 0, "and names the modes", "%s", lasterror());
  expect("ttymode raw: the console was cooked", ttymode(0, TTY_RAW), TTY_COOKED);
  expect("ttymode raw again: it is raw", ttymode(0, TTY_RAW), TTY_RAW);
  expect("ttymode cooked: it was raw", ttymode(0, TTY_COOKED), TTY_RAW);
  expect("a child sets raw mode and exits", in_child(set_raw_and_exit), 0);
  expect("raw mode ended with the child", ttymode(0, TTY_COOKED), TTY_COOKED);
  expect("a process outside the foreground group may not change the mode", in_child(background_ttymode), 0);
  expect("the mode is unchanged", ttymode(0, TTY_COOKED), TTY_COOKED);
}

struct group {
  const char *name;
  void (*run)(void);
};

static const struct group groups[] = {
    {"process", group_process}, {"pipe", group_pipe},   {"fd", group_fd},     {"fstat", group_fstat},
    {"paths", group_paths},     {"exec", group_exec},   {"memory", group_memory}, {"kill", group_kill},
    {"time", group_time},       {"keel", group_keel},   {"files", group_files}, {"console", group_console},
};
#define NGROUPS (int)(sizeof groups / sizeof groups[0])

int main(int argc, char **argv) {
  main_pid = getpid();
  for (int g = 0; g < NGROUPS; g++) {
    int wanted = argc < 2;
    for (int i = 1; i < argc; i++) wanted |= strcmp(argv[i], groups[g].name) == 0;
    if (!wanted) continue;
    printf("-- %s\n", groups[g].name);
    int finished;
    int status = check_in_child(groups[g].name, groups[g].run, &finished);
    if (status != 0 || !finished) {
      printf("FAIL group %s: its process ended early with status %d\n", groups[g].name, status);
      check_failed++;
    }
  }
  printf("syscalltest: %d passed, %d failed\n", check_passed, check_failed);
  return check_failed ? 1 : 0;
}
