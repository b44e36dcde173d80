// Test only: the Keel system calls implemented on Linux system calls, so
// that user programs can run under qemu-riscv64 (user-mode emulation)
// before the Keel kernel can run them. Linked in place of lib/usys.S by
// user/programs.test.ts; never part of user/bin.
//
// Absolute paths are looked up under KEEL_ROOT (a -D define: the test's
// temporary root directory), and exec runs the program through QEMU_PATH,
// since the host kernel cannot run RISC-V binaries by itself. Exit
// statuses are what Linux keeps: the low 8 bits, sign-extended; death by a
// signal reads as -1, as on Keel. procs() reports only the caller.
#include "user.h"

#ifndef KEEL_ROOT
#error "KEEL_ROOT must name the test's root directory"
#endif
#ifndef QEMU_PATH
#define QEMU_PATH "/usr/bin/qemu-riscv64"
#endif

enum {
  L_dup = 23, L_faccessat = 48, L_mkdirat = 34, L_unlinkat = 35, L_linkat = 37, L_chdir = 49, L_openat = 56, L_close = 57, L_pipe2 = 59,
  L_getdents64 = 61, L_lseek = 62, L_read = 63, L_write = 64, L_fstat = 80, L_exit_group = 94, L_nanosleep = 101,
  L_clock_gettime = 113, L_sched_setscheduler = 119, L_sched_getscheduler = 120,
  L_sched_getparam = 121, L_sched_setaffinity = 122, L_sched_getaffinity = 123, L_sched_yield = 124, L_kill = 129, L_setpriority = 140, L_getpid = 172, L_clone = 220, L_execve = 221,
  L_wait4 = 260,
};
#define AT_FDCWD (-100)
#define AT_REMOVEDIR 0x200
#define L_O_CREAT 0100
#define L_O_TRUNC 01000
#define L_O_DIRECTORY 0200000
#define L_EISDIR 21
#define SIGCHLD 17
#define SIGKILL 9
#define PATH_MAX 512

static long last_errno;

static long raw(long n, long a, long b, long c, long d, long e) {
  register long a0 __asm__("a0") = a;
  register long a1 __asm__("a1") = b;
  register long a2 __asm__("a2") = c;
  register long a3 __asm__("a3") = d;
  register long a4 __asm__("a4") = e;
  register long a7 __asm__("a7") = n;
  __asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a3), "r"(a4), "r"(a7) : "memory");
  return a0;
}

// Linux returns -errno; Keel returns -1 and keeps the reason.
static long sys(long n, long a, long b, long c, long d, long e) {
  long r = raw(n, a, b, c, d, e);
  if (r < 0 && r > -4096) {
    last_errno = -r;
    return -1;
  }
  return r;
}

// Maps "/x" to KEEL_ROOT "/x"; relative paths are left alone. Returns 0 for
// an unreadable pointer (Linux then reports EFAULT itself).
static const char *host_path(const char *path, char *buf) {
  // Let Linux judge the pointer first: a path it cannot read (EFAULT) or
  // that has no NUL in reach (ENAMETOOLONG) goes through untouched.
  long probe = raw(L_faccessat, AT_FDCWD, (long)path, 0, 0, 0);
  if (probe == -14 || probe == -36) return path;
  if (path[0] != '/') return path;
  snprintf(buf, PATH_MAX, "%s%s", KEEL_ROOT, path);
  return buf;
}

int fork(void) { return (int)sys(L_clone, SIGCHLD, 0, 0, 0, 0); }
void exit(int status) {
  raw(L_exit_group, status, 0, 0, 0, 0);
  for (;;) {}
}
int wait(int *status) {
  // Linux writes its raw status through the caller's pointer (so a bad
  // pointer fails with EFAULT), and we rewrite it in Keel's form.
  long pid = sys(L_wait4, -1, (long)status, 0, 0, 0);
  if (pid < 0) return -1;
  if (status) *status = (*status & 0x7f) == 0 ? (signed char)((*status >> 8) & 0xff) : -1;
  return (int)pid;
}
int pipe(int fds[2]) { return (int)sys(L_pipe2, (long)fds, 0, 0, 0, 0); }
int read(int fd, void *buf, int n) {
  if (n < 0) return -1;
  long r = raw(L_read, fd, (long)buf, n, 0, 0);
  if (r != -L_EISDIR) return (int)(r < 0 && r > -4096 ? (last_errno = -r, -1) : r);
  // A directory: one Linux dirent becomes one 16-byte struct dirent.
  if (n < (int)sizeof(struct dirent)) return -1;
  static char ents[512];
  long got = raw(L_getdents64, fd, (long)ents, sizeof ents, 0, 0);
  if (got <= 0) return 0;  // ext4 answers EINVAL once seeked to its end-of-directory cookie
  uint64 ino = *(uint64 *)ents;
  long next = *(long *)(ents + 8);
  const char *name = ents + 19;
  sys(L_lseek, fd, next, 0, 0, 0);
  struct dirent *de = buf;
  de->inum = (ushort)(ino ? ino : 1);
  strncpy(de->name, name, DIRSIZ);
  return sizeof(struct dirent);
}
int kill(int pid) { return pid <= 0 ? -1 : (int)sys(L_kill, pid, SIGKILL, 0, 0, 0); }
int exec(const char *path, char **argv) {
  char buf[PATH_MAX];
  char *args[MAXARG + 5];
  int n = 0;
  args[n++] = "qemu-riscv64";
  args[n++] = "-0";
  args[n++] = argv[0];
  args[n++] = (char *)host_path(path, buf);
  for (int i = 1; argv[i]; i++) {
    if (i >= MAXARG) return -1;
    args[n++] = argv[i];
  }
  args[n] = 0;
  // qemu would happily run a text file through the host kernel; refuse what is not ELF.
  int fd = open(path, O_RDONLY);
  char magic[4] = {0};
  if (fd < 0) return -1;
  int r = read(fd, magic, 4);
  close(fd);
  if (r != 4 || magic[0] != 0x7f || magic[1] != 'E') return -1;
  return (int)sys(L_execve, (long)QEMU_PATH, (long)args, 0, 0, 0);
}
int fstat(int fd, struct stat *st) {
  static char l[128];
  if (sys(L_fstat, fd, (long)l, 0, 0, 0) < 0) return -1;
  // clock_gettime writes 16 bytes: two of them probe all 24 of ours.
  if (sys(L_clock_gettime, 1, (long)st, 0, 0, 0) < 0 || sys(L_clock_gettime, 1, (long)st + 8, 0, 0, 0) < 0) return -1;
  uint mode = *(uint *)(l + 16);
  st->dev = (int)*(uint64 *)l;
  st->ino = (uint)*(uint64 *)(l + 8);
  if ((mode & 0170000) == 0010000) return -1;  // a pipe: Keel's fstat does not describe pipes
  st->type = (mode & 0170000) == 0040000 ? T_DIR : (mode & 0170000) == 0100000 ? T_FILE : T_DEVICE;
  st->nlink = (short)*(uint *)(l + 20);
  st->size = *(uint64 *)(l + 48);
  return 0;
}
int chdir(const char *path) {
  char buf[PATH_MAX];
  return (int)sys(L_chdir, (long)host_path(path, buf), 0, 0, 0, 0);
}
int dup(int fd) { return (int)sys(L_dup, fd, 0, 0, 0, 0); }
int getpid(void) { return (int)sys(L_getpid, 0, 0, 0, 0, 0); }
// qemu-user will not grow the Linux break of an image linked at 0, so the
// break lives in a static arena (bss, mapped lazily by the host).
#define ARENA_BYTES (64UL << 20)
static char arena[ARENA_BYTES] __attribute__((aligned(4096)));
static uint64 brk_used;
char *sbrk(int n) {
  if (n < 0 ? (uint64)(-(long)n) > brk_used : brk_used + (uint64)n > ARENA_BYTES) return (char *)-1;
  char *old = arena + brk_used;
  brk_used += (uint64)(long)n;
  return old;
}
struct timespec {
  long sec, nsec;
};
int sleep(int ticks) {
  if (ticks < 0) ticks = 0;
  struct timespec t = {ticks / 100, (ticks % 100) * 10000000L};
  return (int)sys(L_nanosleep, (long)&t, 0, 0, 0, 0);
}
uint64 clocknanos(void) {
  struct timespec t;
  raw(L_clock_gettime, 1, (long)&t, 0, 0, 0);
  return (uint64)t.sec * 1000000000UL + (uint64)t.nsec;
}
int uptime(void) { return (int)(clocknanos() / 10000000UL); }  // 100 ticks per second
int open(const char *path, int flags) {
  char buf[PATH_MAX];
  long lflags = (flags & 3) | (flags & O_CREATE ? L_O_CREAT : 0) | (flags & O_TRUNC ? L_O_TRUNC : 0);
  return (int)sys(L_openat, AT_FDCWD, (long)host_path(path, buf), lflags, 0644, 0);
}
int write(int fd, const void *buf, int n) { return n < 0 ? -1 : (int)sys(L_write, fd, (long)buf, n, 0, 0); }
int mknod(const char *path, short major, short minor) {
  (void)path, (void)major, (void)minor;
  return -1;
}
int unlink(const char *path) {
  char buf[PATH_MAX];
  const char *p = host_path(path, buf);
  long r = sys(L_unlinkat, AT_FDCWD, (long)p, 0, 0, 0);
  if (r < 0 && last_errno == L_EISDIR) r = sys(L_unlinkat, AT_FDCWD, (long)p, AT_REMOVEDIR, 0, 0);
  return (int)r;
}
int link(const char *oldpath, const char *newpath) {
  char a[PATH_MAX], b[PATH_MAX];
  return (int)sys(L_linkat, AT_FDCWD, (long)host_path(oldpath, a), AT_FDCWD, (long)host_path(newpath, b), 0);
}
int mkdir(const char *path) {
  char buf[PATH_MAX];
  return (int)sys(L_mkdirat, AT_FDCWD, (long)host_path(path, buf), 0755, 0, 0);
}
int close(int fd) { return (int)sys(L_close, fd, 0, 0, 0, 0); }

int procs(struct procinfo *buf, int max) {
  if (max <= 0) return 0;
  if (sys(L_clock_gettime, 1, (long)buf, 0, 0, 0) < 0) return -1;  // probe the pointer
  memset(buf, 0, sizeof *buf);
  buf->pid = getpid();
  buf->state = PROC_RUNNING;
  strlcpy(buf->name, "linux", PROC_NAME_LEN);
  return 1;
}
int setnice(int pid, int nice) { return (int)sys(L_setpriority, 0, pid, nice, 0, 0); }
/* Scheduling: Linux's calls of the same meaning (its policy numbers are Keel's). */
int sched_set(int pid, int policy, int priority) {
  int param = priority;
  return (int)sys(L_sched_setscheduler, pid, policy, (long)&param, 0, 0);
}
int sched_get(int pid, struct schedinfo *out) {
  long policy = sys(L_sched_getscheduler, pid, 0, 0, 0, 0);
  int param = 0;
  if (policy < 0 || sys(L_sched_getparam, pid, (long)&param, 0, 0, 0) < 0) return -1;
  memset(out, 0, sizeof *out);
  out->policy = out->eff_policy = (int)policy;
  out->priority = out->eff_priority = param;
  out->affinity = (unsigned)getaffinity(pid);
  return 0;
}
int setaffinity(int pid, unsigned long mask) { return (int)sys(L_sched_setaffinity, pid, sizeof mask, (long)&mask, 0, 0); }
long getaffinity(int pid) {
  unsigned long mask = 0;
  return sys(L_sched_getaffinity, pid, sizeof mask, (long)&mask, 0, 0) < 0 ? -1 : (long)(mask & 0xff);
}
int sched_yield(void) { return (int)sys(L_sched_yield, 0, 0, 0, 0, 0); }
int errstr(char *buf, int n) {
  if (n <= 0) return 0;
  return snprintf(buf, (size_t)n, "linux errno %ld", last_errno) < n ? (int)strlen(buf) : n - 1;
}
int sbrkmode(int lazy) { return lazy == 0 || lazy == 1 ? 0 : -1; }
char *sbrklazy(int n) { return sbrk(n); }
/* No disk file system under Linux: df reports that, as on the boot file system. */
__attribute__((weak)) int fsinfo(struct fsinfo *out) {  /* tests may link their own */
  (void)out;
  return -1;
}
/* No system-call tracing under Linux: trace runs its command untraced. */
long long trace(int op, void *buf, long long n, uint64 seq) {
  (void)op, (void)buf, (void)n, (void)seq;
  return -1;
}
/* The native capability calls have no Linux counterpart: every one fails. */
__attribute__((weak)) int cap_info(int slot, struct capinfo *out) { (void)slot, (void)out; return -1; }
__attribute__((weak)) int cap_derive(int src, int dst, int rights, uint64 badge, uint64 expiry_ns) {
  (void)src, (void)dst, (void)rights, (void)badge, (void)expiry_ns;
  return -1;
}
__attribute__((weak)) int cap_copy(int src, int dst) { (void)src, (void)dst; return -1; }
__attribute__((weak)) int cap_move(int src, int dst) { (void)src, (void)dst; return -1; }
__attribute__((weak)) int cap_delete(int slot) { (void)slot; return -1; }
__attribute__((weak)) int cap_revoke(int slot) { (void)slot; return -1; }
__attribute__((weak)) int cap_enter(void) { return -1; }
__attribute__((weak)) int openat(int dirslot, const char *path, int flags) { (void)dirslot, (void)path, (void)flags; return -1; }
__attribute__((weak)) int spawn(const char *path, char **argv, const int *caps, int ncaps, int flags) {
  (void)path, (void)argv, (void)caps, (void)ncaps, (void)flags;
  return -1;
}
__attribute__((weak)) int cap_list(struct capslot *buf, int max) { (void)buf, (void)max; return -1; }
long syscall6(long number, long a0, long a1, long a2, long a3, long a4, long a5) {
  (void)number, (void)a0, (void)a1, (void)a2, (void)a3, (void)a4, (void)a5;
  return -1;
}

/* IPC has no Linux counterpart: every call fails, as without the kernel. */
struct ipcmsg;
__attribute__((weak)) int ep_create(void) { return -1; }
__attribute__((weak)) int ep_send(int ep, struct ipcmsg *m) { (void)ep; (void)m; return -1; }
__attribute__((weak)) int ep_recv(int ep, struct ipcmsg *m) { (void)ep; (void)m; return -1; }
__attribute__((weak)) int ep_call(int ep, struct ipcmsg *m) { (void)ep; (void)m; return -1; }
__attribute__((weak)) int ep_reply(struct ipcmsg *m) { (void)m; return -1; }
__attribute__((weak)) int ep_replyrecv(int ep, struct ipcmsg *m) { (void)ep; (void)m; return -1; }
__attribute__((weak)) int ntfn_create(void) { return -1; }
__attribute__((weak)) int ntfn_signal(int n, uint64 bits) { (void)n; (void)bits; return -1; }
__attribute__((weak)) uint64 ntfn_wait(int n) { (void)n; return (uint64)-1; }
__attribute__((weak)) uint64 ntfn_poll(int n) { (void)n; return (uint64)-1; }
__attribute__((weak)) int shm_create(int bytes) { (void)bytes; return -1; }
__attribute__((weak)) void *shm_map(int shm) { (void)shm; return (void *)-1; }
__attribute__((weak)) int unlinkat(int dir, const char *name) { (void)dir; (void)name; return -1; }
__attribute__((weak)) int fspawn(int file, char **argv, const int *caps, int ncaps, int flags) {
  (void)file; (void)argv; (void)caps; (void)ncaps; (void)flags;
  return -1;
}

/* The network card: Linux programs hold no Keel device capability. */
struct nicinfo;
__attribute__((weak)) int nic_info(int cap, struct nicinfo *out) { (void)cap; (void)out; return -1; }
__attribute__((weak)) int nic_send(int cap, const void *frame, int len) { (void)cap; (void)frame; (void)len; return -1; }
__attribute__((weak)) int nic_recv(int cap, void *buf, int len, int flags) { (void)cap; (void)buf; (void)len; (void)flags; return -1; }

/* Signals and job control on Linux's calls: the numbers, the waitpid
   status word and the options are Linux's already. A handler returns
   through Linux's own trampoline (rt_sigreturn), not Keel's __sigtramp. */
enum {
  L_ioctl = 29, L_rt_sigaction = 134, L_rt_sigprocmask = 135, L_rt_sigpending = 136, L_rt_sigreturn = 139,
  L_setpgid = 154, L_getpgid = 155, L_getsid = 156, L_setsid = 157,
};
#define L_SA_RESTORER 0x04000000
#define L_SA_NODEFER 0x40000000
#define L_SA_RESETHAND 0x80000000
#define L_TIOCGPGRP 0x540F
#define L_TIOCSPGRP 0x5410
struct linux_sigaction {
  uint64 handler;
  uint64 flags;
  uint64 restorer;
  uint64 mask;
};
__attribute__((naked)) static void linux_sigtramp(void) { __asm__ volatile("li a7, 139\n ecall\n"); }
void __sigtramp(void) {}  /* lib/signal.c names it; unused on Linux */
int __sys_sigaction(int sig, const struct sigaction *act, struct sigaction *old) {
  struct linux_sigaction la, lo;
  if (act) {
    la.handler = (uint64)act->handler;
    la.flags = L_SA_RESTORER | ((act->flags & SA_NODEFER) ? L_SA_NODEFER : 0) | ((act->flags & SA_RESETHAND) ? L_SA_RESETHAND : 0);
    la.restorer = (uint64)linux_sigtramp;
    la.mask = act->mask;
  }
  if (sys(L_rt_sigaction, sig, act ? (long)&la : 0, (long)&lo, 8, 0) < 0) return -1;
  if (old) {
    old->handler = (sighandler_t)lo.handler;
    old->restorer = lo.restorer;
    old->mask = (uint)lo.mask;
    old->flags = 0;
  }
  return 0;
}
int sigsend(int pid, int sig) { return pid == -1 ? -1 : (int)sys(L_kill, pid, sig, 0, 0, 0); }
int sigprocmask(int how, uint set) {
  uint64 s = set, before = 0;
  if (sys(L_rt_sigprocmask, how, (long)&s, (long)&before, 8, 0) < 0) return -1;
  return (int)(before & 0x7fffffff);
}
uint sigpending(void) {
  uint64 s = 0;
  sys(L_rt_sigpending, (long)&s, 8, 0, 0, 0);
  return (uint)s;
}
int sigreturn(void) { return -1; }
int setpgid(int pid, int pgid) { return (int)sys(L_setpgid, pid, pgid, 0, 0, 0); }
int getpgid(int pid) { return (int)sys(L_getpgid, pid, 0, 0, 0, 0); }
int setsid(void) { return (int)sys(L_setsid, 0, 0, 0, 0, 0); }
int getsid(int pid) { return (int)sys(L_getsid, pid, 0, 0, 0, 0); }
int tcsetpgrp(int fd, int pgid) { return (int)sys(L_ioctl, fd, L_TIOCSPGRP, (long)&pgid, 0, 0); }
int tcgetpgrp(int fd) {
  int pgid = 0;
  return sys(L_ioctl, fd, L_TIOCGPGRP, (long)&pgid, 0, 0) < 0 ? -1 : pgid;
}
int waitpid(int pid, int *status, int options) { return (int)sys(L_wait4, pid, (long)status, options, 0, 0); }
// The tests run programs on pipes, never on a terminal: no descriptor is the
// console, so readline falls back to reading lines as they come.
int ttymode(int fd, int mode) {
  (void)fd, (void)mode;
  return -1;
}

/* Threads and futexes on Linux's clone, futex and gettid. A thread's
   status and its "still running" word (cleared and futex-woken by Linux at
   its end: CLONE_CHILD_CLEARTID) live in a small table, so join can wait.
   Keel's extra rule (the last thread's thread_exit ends the process with
   its status) is Linux's only roughly: exit of the last thread ends it. */
enum { L_exit = 93, L_futex = 98, L_gettid = 178 };
#define L_FUTEX_WAIT 0
#define L_FUTEX_WAKE 1
#define L_CLONE_THREAD_FLAGS (0x100 | 0x200 | 0x400 | 0x800 | 0x10000 | 0x40000 | 0x200000) /* VM FS FILES SIGHAND THREAD SYSVSEM CHILD_CLEARTID */
#define SHIM_THREADS 16
static struct { volatile int running; int tid; int status; } shim_threads[SHIM_THREADS];

struct l_timespec { long sec, nsec; };
int futex_wait(volatile uint *addr, uint expected, uint64 timeout_ns) {
  struct l_timespec ts = {(long)(timeout_ns / 1000000000UL), (long)(timeout_ns % 1000000000UL)};
  long r = raw(L_futex, (long)addr, L_FUTEX_WAIT, expected, timeout_ns ? (long)&ts : 0, 0);
  if (r == 0) return FUTEX_WOKEN;
  if (r == -11) return FUTEX_AGAIN;     /* EAGAIN */
  if (r == -110) return FUTEX_TIMEDOUT; /* ETIMEDOUT */
  if (r == -4) return FUTEX_WOKEN;      /* EINTR: a spurious wake-up */
  last_errno = -r;
  return -1;
}
int futex_wake(volatile uint *addr, int n) { return (int)sys(L_futex, (long)addr, L_FUTEX_WAKE, n, 0, 0); }
int gettid(void) { return (int)sys(L_gettid, 0, 0, 0, 0, 0); }

/* clone(flags, stack, ptid, tls, ctid) with the entry and its argument on
   the new stack; the child calls entry(arg), which ends in sys_thread_exit. */
__attribute__((naked)) static long shim_clone(long flags, void *stack, void *ptid, void *tls, void *ctid) {
  __asm__ volatile(
      "li a7, 220\n ecall\n bnez a0, 1f\n"
      "ld a1, 0(sp)\n ld a0, 8(sp)\n jalr a1\n"
      "li a0, 0\n li a7, 93\n ecall\n"
      "1: ret\n");
}
int sys_thread_create(void (*entry)(void *), void *stack, void *arg) {
  int i = 0;
  while (i < SHIM_THREADS && __atomic_load_n(&shim_threads[i].running, __ATOMIC_ACQUIRE)) i++;
  if (i == SHIM_THREADS) return -1;
  uint64 *sp = (uint64 *)(((uint64)stack & ~15UL) - 16);
  sp[0] = (uint64)entry;
  sp[1] = (uint64)arg;
  shim_threads[i].running = 1;
  /* CLONE_PARENT_SETTID: the tid is in the table before the thread runs. */
  long tid = shim_clone(L_CLONE_THREAD_FLAGS | 0x100000, sp, (void *)&shim_threads[i].tid, 0, (void *)&shim_threads[i].running);
  if (tid < 0) { last_errno = -tid; shim_threads[i].running = 0; return -1; }
  return (int)tid;
}
void sys_thread_exit(int status) {
  int me = gettid();
  for (int i = 0; i < SHIM_THREADS; i++)
    if (shim_threads[i].tid == me) shim_threads[i].status = status;
  for (;;) raw(L_exit, status, 0, 0, 0, 0);
}
int sys_thread_join(int tid, int *status) {
  for (int i = 0; i < SHIM_THREADS; i++) {
    if (shim_threads[i].tid != tid || tid == 0) continue;
    int r;
    while ((r = shim_threads[i].running) != 0) futex_wait((volatile uint *)&shim_threads[i].running, (uint)r, 0);
    if (status) *status = shim_threads[i].status;
    shim_threads[i].tid = 0;
    return 0;
  }
  return -1;
}
