// trace [-e CALL,...] CMD [ARG...] | -p PID: runs CMD traced (or traces
// the running process PID from now on) and prints, on standard error, each
// system call it and its children make, as they complete: the caller's pid,
// the call with its arguments decoded (names and the bytes of reads and
// writes as strings, read by the kernel through the caller's page table)
// and the result. -e prints only the calls named. The kernel keeps the
// records in a ring (docs/debugging.md) that trace reads every 10 ms while
// nothing new arrives; a record overwritten before trace read it is counted
// as lost. With -p, trace ends when PID does (or at Ctrl-C, which stops
// the tracing and leaves PID running).
#include "user.h"

struct call {
  uint num;
  const char *name;
  // One letter per argument: d int, x address, s the name the kernel copied,
  // b the bytes it copied (then the count follows as the next d).
  const char *args;
};

static const struct call calls[] = {
  {1, "fork", ""}, {2, "exit", "d"}, {3, "wait", "x"}, {4, "pipe", "x"}, {5, "read", "dbd"},
  {6, "kill", "d"}, {7, "exec", "sx"}, {8, "fstat", "dx"}, {9, "chdir", "s"}, {10, "dup", "d"},
  {11, "getpid", ""}, {12, "sbrk", "dd"}, {13, "sleep", "d"}, {14, "uptime", ""}, {15, "open", "sx"},
  {16, "write", "dbd"}, {17, "mknod", "sdd"}, {18, "unlink", "s"}, {19, "link", "sx"}, {20, "mkdir", "s"},
  {21, "close", "d"}, {100, "procs", "xd"}, {101, "setnice", "dd"}, {102, "clocknanos", ""},
  {103, "errstr", "xd"}, {104, "sbrkmode", "d"}, {105, "fsinfo", "x"}, {106, "trace", "dxdd"},
  {110, "sigsend", "dd"}, {111, "sigaction", "dxx"}, {112, "sigprocmask", "dxx"}, {113, "sigreturn", ""},
  {114, "sigpending", "x"}, {115, "setpgid", "dd"}, {116, "getpgid", "d"}, {117, "setsid", ""},
  {118, "getsid", "d"}, {119, "tcsetpgrp", "dd"}, {120, "tcgetpgrp", "d"}, {121, "waitpid", "dxd"}, {122, "ttymode", "dd"},
  {130, "thread_create", "xxx"}, {131, "thread_exit", "d"}, {132, "thread_join", "dx"}, {133, "gettid", ""},
  {134, "futex_wait", "xdd"}, {135, "futex_wake", "xd"},
  {140, "sched_set", "ddd"}, {141, "sched_get", "dx"}, {142, "setaffinity", "dx"}, {143, "getaffinity", "d"},
  {144, "sched_yield", ""},
  {200, "cap_info", "dx"}, {201, "cap_derive", "dx"}, {202, "cap_copy", "d"}, {203, "cap_move", "dd"},
  {204, "cap_delete", "d"}, {205, "cap_revoke", "d"}, {206, "cap_enter", ""}, {207, "openat", "dxd"},
  {208, "spawn", "xxxd"}, {209, "cap_list", "xd"}, {210, "ep_create", ""}, {211, "ep_send", "dx"},
  {212, "ep_recv", "dx"}, {213, "ep_call", "dx"}, {214, "ep_reply", "x"}, {215, "ep_replyrecv", "dx"},
  {216, "ntfn_create", ""}, {217, "ntfn_signal", "dx"}, {218, "ntfn_wait", "d"}, {219, "ntfn_poll", "d"},
  {220, "shm_create", "d"}, {221, "shm_map", "dd"}, {222, "unlinkat", "dx"}, {223, "fspawn", "dxxdd"},
  {240, "nic_info", "x"}, {241, "nic_send", "xd"}, {242, "nic_recv", "xd"},
};
#define NCALLS (sizeof calls / sizeof calls[0])
#define MAX_SELECTED 32
#define MAX_PIDS 64
#define BATCH 8

static const struct call *lookup(uint num) {
  for (uint i = 0; i < NCALLS; i++)
    if (calls[i].num == num) return &calls[i];
  return 0;
}

static const char *selected[MAX_SELECTED];
static int nselected;
static int pids[MAX_PIDS];
static int npids;

static int wanted(const struct call *c) {
  if (nselected == 0) return 1;
  for (int i = 0; i < nselected; i++)
    if (c && strcmp(selected[i], c->name) == 0) return 1;
  return 0;
}

static int ours(int pid) {
  for (int i = 0; i < npids; i++)
    if (pids[i] == pid) return 1;
  return 0;
}

static void quoted(const struct trace_record *r) {
  fprintf(2, "\"");
  for (uint i = 0; i < r->len && i < TRACE_STR_MAX; i++) {
    uchar ch = (uchar)r->str[i];
    if ((r->flags & TRACE_STRING) && ch == 0) break;
    if (ch == '\n') fprintf(2, "\\n");
    else if (ch == '\t') fprintf(2, "\\t");
    else if (ch == '"' || ch == '\\') fprintf(2, "\\%c", ch);
    else if (ch < 0x20 || ch >= 0x7f) fprintf(2, "\\x%02x", ch);
    else fprintf(2, "%c", ch);
  }
  fprintf(2, (r->flags & TRACE_CUT) ? "\"..." : "\"");
}

static void show(const struct trace_record *r) {
  const struct call *c = lookup(r->num);
  if (!wanted(c)) return;
  const char *args = c ? c->args : "xxx";
  if (c) fprintf(2, "[%d] %s(", r->pid, c->name);
  else fprintf(2, "[%d] syscall_%d(", r->pid, r->num);
  for (int i = 0; args[i]; i++) {
    if (i > 0) fprintf(2, ", ");
    if (args[i] == 'd') fprintf(2, "%ld", (long)(int)r->args[i]);
    else if (args[i] == 'x') fprintf(2, "0x%lx", r->args[i]);
    else if (r->len == 0 && !(r->flags & TRACE_STRING)) fprintf(2, "0x%lx", r->args[i]);
    else quoted(r);
  }
  if (r->result == TRACE_NO_RESULT) fprintf(2, ")\n");
  else if (r->result < -1 || r->result > 0xffff) fprintf(2, ") = 0x%lx\n", (uint64)r->result);
  else fprintf(2, ") = %ld\n", (long)r->result);
}

static struct trace_record batch[BATCH];
static uint64 seq;
static long long lost;
/** The -p process's exit was seen. */
static int attached_exited;
static int attached = -1;
static volatile int interrupted;

/** Prints every record in the ring that is not yet printed; returns how many were read. */
static long long drain(void) {
  long long total = 0;
  for (;;) {
    long long n = trace(TRACE_READ, batch, BATCH, seq);
    if (n <= 0) return total;
    total += n;
    for (long long i = 0; i < n; i++) {
      const struct trace_record *r = &batch[i];
      if (r->seq > seq) lost += (long long)(r->seq - seq);
      seq = r->seq + 1;
      if (!ours(r->pid)) continue;
      if (r->num == 1 && r->result > 0 && npids < MAX_PIDS) pids[npids++] = (int)r->result;
      if (r->num == 2 && r->pid == attached) attached_exited = 1;
      show(r);
    }
  }
}

static struct procinfo table[64];

static int alive(int pid) {
  int n = procs(table, 64);
  for (int i = 0; i < n; i++)
    if (table[i].pid == pid && table[i].state != PROC_ZOMBIE) return 1;
  return 0;
}

static void on_interrupt(int sig) {
  (void)sig;
  interrupted = 1;
}

static void usage(void) {
  fprintf(2, "usage: trace [-e call,...] command [arg...]\n       trace [-e call,...] -p pid\n");
  exit(1);
}

int main(int argc, char **argv) {
  int first = 1;
  static char list[256];
  if (argc > 2 && strcmp(argv[1], "-e") == 0) {
    strcpy(list, argv[2]);
    for (char *p = list; *p && nselected < MAX_SELECTED;) {
      selected[nselected++] = p;
      while (*p && *p != ',') p++;
      if (*p) *p++ = 0;
    }
    first = 3;
  }
  if (first >= argc) usage();
  seq = (uint64)trace(TRACE_NEXT, 0, 0, 0);
  int status = 0;
  if (strcmp(argv[first], "-p") == 0) {
    if (first + 2 != argc) usage();
    char *end = argv[first + 1];
    int pid = 0;
    while (*end >= '0' && *end <= '9') pid = pid * 10 + (*end++ - '0');
    if (*end != 0 || end == argv[first + 1] || pid <= 0) usage();
    if (pid == getpid()) {
      fprintf(2, "trace: cannot trace itself\n");
      exit(1);
    }
    signal(SIGINT, on_interrupt);
    if (trace(TRACE_ATTACH, (void *)(uint64)pid, 0, 0) < 0) {
      fprintf(2, "trace -p %d: %s\n", pid, lasterror());
      exit(1);
    }
    attached = pid;
    pids[npids++] = pid;
    fprintf(2, "trace: tracing pid %d (Ctrl-C stops)\n", pid);
    for (;;) {
      long long n = drain();
      if (attached_exited || interrupted) break;
      if (n == 0 && !alive(pid)) break;  // killed: no exit record
      if (n == 0) sleep(1);
    }
    drain();
    if (!attached_exited) {
      for (int i = 0; i < npids; i++) trace(TRACE_DETACH, (void *)(uint64)pids[i], 0, 0);  // gone already: nothing to undo
      if (interrupted) fprintf(2, "trace: stopped tracing pid %d\n", pid);
    }
  } else {
    int pid = fork();
    if (pid < 0) fail("trace: fork");
    if (pid == 0) {
      trace(TRACE_ME, 0, 0, 0);
      exec(argv[first], &argv[first]);
      fprintf(2, "trace: cannot run %s: %s\n", argv[first], lasterror());
      exit(1);
    }
    pids[npids++] = pid;
    // Records are printed as they come; the child's end is the last of them.
    for (;;) {
      long long n = drain();
      int r = waitpid(pid, &status, WNOHANG);
      if (r == pid) break;
      if (r < 0) fail("trace: waitpid");
      if (n == 0) sleep(1);
    }
    drain();
    status = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
  }
  if (lost > 0) fprintf(2, "trace: %ld records lost (the ring holds 256)\n", (long)lost);
  return status;
}
