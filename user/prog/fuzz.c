// fuzz: Keel's system-call fuzzer (docs/fuzzing.md). Issues random and
// structured sequences of every system call — the Unix personality (1-21),
// Keel's extensions (100-106, the signal calls 110-122, threads and
// futexes 130-135, the scheduling calls 140-144), the native
// capability and IPC calls (200-223), the network card's calls (240-242)
// and unknown numbers — with arguments drawn from generators of edge values:
// descriptors and slots it holds, closed, out of range; pointers that are
// valid, null, in the kernel half, non-canonical, unmapped, read-only, or
// straddling the end of a mapping; paths under its scratch directory; argv
// arrays and IPC messages full of such values. It
// forks workers that may block (pipes, the console, endpoints, wait) and
// kills them, execs damaged and random ELF files, and spawns programs.
//
//   fuzz SEED CALLS [WORKERS]
//
// Everything follows from SEED: on a machine with the deterministic clock
// the same seed gives the same run. CALLS counts system calls made by every
// fuzz process together (a counter in a shared memory page). The last line
// is "fuzz: seed S: N calls, P processes, E execs, X exec'd garbage ran";
// the host driver (host/fuzz/driver.ts) checks what the kernel looks like
// afterwards (no panic, no hang, every frame back, fsck clean).
//
// What it leaves alone so that the machine stays usable: processes with a
// pid below its own (init, the shell), every name outside /fz (paths are
// made of its own names, so ".." can reach the root but never names a
// system file), and slots 62 and 63: the call counter's shared page and
// where its report goes. The main process never
// makes a call that could block for ever; workers do, and are killed.
#include "user.h"

#define PAGE 4096UL
#define REPORT_SLOT 63
#define COUNTER_SLOT 62  // the shared page's capability (its mapping lives as long as it does)
#define KERNEL_PTR 0xffffffff80000000UL
#define NONCANONICAL 0x0000800000000000UL
#define NONCANONICAL_HIGH 0x8000000000000000UL
#define UNMAPPED (1UL << 44)
#define SCRATCH_BYTES 16384
#define POOL 16
#define MAX_WORKERS 4
#define WORKER_CALLS 400
#define GARBAGE_FILES 3
#define SHM_SMALL 65536
#define SHM_MAX (4 << 20)
#define SBRK_STEP (256 * 1024)
#define HEAP_BUDGET (4L << 20)
#define MAX_DEPTH 2
// Shared memory a process may create over its life beyond the small sizes:
// objects stay while a capability names them, and a process over the
// kernel's per-process memory limit is ended by the out-of-memory policy
// (that is the policy working, not a finding, and it would end the run).
#define SHM_LARGE_BUDGET (12L << 20)

static uint64 rng;
static volatile uint64 *counter;  // calls made by every fuzz process (shared page)
static uint64 budget;
static int mypid, rootpid, depth;
static int pool[POOL];
static char *scratch;              // SCRATCH_BYTES of data the kernel may read and write
static char *pathbuf;              // paths being built
static long heap_grown;
static int workers[MAX_WORKERS];
static int nworkers;
static char elf_source[8192];      // a real program to damage (/true)
static int elf_len;
static long execs, processes;
static long shm_large;  // bytes of larger shared memory objects created so far

// ---- randomness ----

static uint64 next(void) {  // splitmix64
  uint64 z = (rng += 0x9e3779b97f4a7c15UL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9UL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebUL;
  return z ^ (z >> 31);
}
static uint64 below(uint64 n) { return n ? next() % n : 0; }
static int chance(int percent) { return (int)below(100) < percent; }

// ---- argument generators ----

static long edge_int(void) {
  static const long edges[] = {0, 1, -1, 2, 3, 7, 15, 16, 17, 31, 32, 33, 63, 64, 65, 255, 256, 4095, 4096, 4097,
                               65535, 65536, 0x7fffffff, -0x7fffffffL - 1, 0x80000000L, 0xffffffffL, 0x100000000L,
                               -2, -4096, 1L << 40, -(1L << 40)};
  switch (below(4)) {
    case 0: return (long)below(64);
    case 1: return (long)next();
    default: return edges[below(sizeof edges / sizeof edges[0])];
  }
}

/** Slots the fuzzer keeps for itself: the report and the counter's page. */
static int reserved(long slot) { return (int)slot == REPORT_SLOT || (int)slot == COUNTER_SLOT; }

static void remember(long slot) {
  if (slot >= 0 && slot < CAP_SLOTS && !reserved(slot)) pool[below(POOL)] = (int)slot;
}

static long slot_arg(void) {
  long s;
  int r = (int)below(100);
  if (r < 65) s = pool[below(POOL)];
  else if (r < 90) s = (long)below(CAP_SLOTS);
  else s = edge_int();
  return reserved(s) ? COUNTER_SLOT - 1 : s;  // the kernel takes the low 32 bits
}

static uint64 page_up(uint64 a) { return (a + PAGE - 1) & ~(PAGE - 1); }

// A pointer that is never valid user memory the kernel could take as a
// name: null, kernel half, non-canonical, unmapped, text, random.
static uint64 bad_ptr(void) {
  switch (below(6)) {
    case 0: return 0;                                   // null (our own text: read-only)
    case 1: return KERNEL_PTR + below(1 << 20);         // kernel half
    case 2: return chance(50) ? NONCANONICAL : NONCANONICAL_HIGH | below(1UL << 40);
    case 3: return UNMAPPED + below(1UL << 30);          // canonical, unmapped
    case 4: return page_up((uint64)sbrk(0)) - 1 - below(8);  // straddles the heap's end
    default: return (uint64)next();
  }
}

// A pointer: mostly into scratch (valid), else every kind of bad one.
static uint64 ptr_arg(void) {
  switch (below(12)) {
    case 0: return 0;                                   // null (our own text: read-only)
    case 1: return KERNEL_PTR + below(1 << 20);         // kernel half
    case 2: return chance(50) ? NONCANONICAL : NONCANONICAL_HIGH | below(1UL << 40);
    case 3: return UNMAPPED + below(1UL << 30);          // canonical, unmapped
    case 4: return (uint64)&next + below(64);            // read-only text
    case 5: return page_up((uint64)sbrk(0)) - 1 - below(32);  // straddles the heap's end
    case 6: return (uint64)next();
    case 7: return (uint64)scratch + SCRATCH_BYTES - 1 - below(16);  // straddles scratch's end (still mapped after)
    default: return (uint64)scratch + below(SCRATCH_BYTES / 2);
  }
}

static const char *const names[] = {"f0", "f1", "f2", "d0", "d1", "g0", "g1", "g2", "n0",
                                     "..", ".", "", "averyveryverylongname"};
#define NNAMES (sizeof names / sizeof names[0])

// A path built from the fuzzer's own names (or, rarely, a bad pointer).
static uint64 path_arg(void) {
  // Never a pointer into scratch: what a directory read left there may name
  // a system file.
  if (chance(6)) return bad_ptr();
  char *p = pathbuf + below(4) * 256;
  int n = 0;
  if (chance(70)) n += snprintf(p, 200, "/fz");
  int parts = 1 + (int)below(3);
  for (int i = 0; i < parts && n < 180; i++) n += snprintf(p + n, 200 - n, "%s%s", n ? "/" : "", names[below(NNAMES)]);
  if (chance(3)) {  // a path longer than the kernel takes
    for (; n < 255; n++) p[n] = 'x';
    p[n] = 0;
  }
  return (uint64)p;
}

static long len_arg(void) {
  switch (below(5)) {
    case 0: return (long)below(16);
    case 1: return (long)below(SCRATCH_BYTES / 2);
    case 2: return (long)below(SCRATCH_BYTES);
    default: return edge_int();
  }
}

static long pid_arg(void) {
  switch (below(4)) {
    case 0: return mypid;
    case 1: return nworkers ? workers[below(nworkers)] : mypid + 1 + (long)below(8);
    case 2: return rootpid + 1 + (long)below(64);
    default: {
      static const long bad[] = {0, -1, -2, 100000, 0x7fffffff, -0x7fffffffL - 1};
      return bad[below(6)];
    }
  }
}

// argv: an array in scratch of string pointers (paths, edge pointers),
// usually NULL-terminated, sometimes too long or not terminated at all.
static uint64 argv_arg(void) {
  if (chance(15)) return ptr_arg();
  uint64 *v = (uint64 *)(scratch + SCRATCH_BYTES / 2);
  int n = chance(5) ? 40 : (int)below(4);
  for (int i = 0; i < n; i++) v[i] = chance(80) ? path_arg() : bad_ptr();
  v[n] = chance(95) ? 0 : next();
  return (uint64)v;
}

// spawn's capability pairs (slot here, slot in the child).
static uint64 caps_arg(int *ncaps) {
  int *pairs = (int *)(scratch + SCRATCH_BYTES / 2 + 2048);
  int n = (int)below(4);
  for (int i = 0; i < 2 * n; i++) pairs[i] = (int)slot_arg();
  *ncaps = chance(90) ? n : (int)edge_int();
  return chance(90) ? (uint64)pairs : ptr_arg();
}

// An IPC message with fields from the generators.
static uint64 msg_arg(void) {
  if (chance(10)) return ptr_arg();
  struct ipcmsg *m = (struct ipcmsg *)(scratch + below(8) * 64);
  for (int i = 0; i < 4; i++) m->w[i] = next();
  m->len = chance(70) ? (uint)below(128) : (uint)edge_int();
  m->cap = chance(70) ? -1 : (int)slot_arg();
  m->buf = ptr_arg();
  m->bufsize = chance(70) ? (uint)below(4096) : (uint)edge_int();
  return (uint64)m;
}

// ---- calls ----

static long call(long num, long a0, long a1, long a2, long a3, long a4, long a5) {
  (*counter)++;
  return syscall6(num, a0, a1, a2, a3, a4, a5);
}

// Is slot something a read or write could block on for ever (in main)?
static int may_block(long arg) {
  struct capinfo info;
  int slot = (int)arg;  // the kernel takes the low 32 bits
  if (slot < 0 || slot >= CAP_SLOTS) return 0;
  (*counter)++;
  if (cap_info(slot, &info) < 0) return 0;
  return info.type == CAP_TYPE_PIPE_READ || info.type == CAP_TYPE_PIPE_WRITE || info.type == CAP_TYPE_CONSOLE;
}

static void worker(void);

static void start_worker(void) {
  if (depth >= MAX_DEPTH || (depth == 0 && nworkers >= MAX_WORKERS)) return;
  long pid = call(SYS_fork, 0, 0, 0, 0, 0, 0);
  if (pid == 0) {
    depth++;
    nworkers = 0;
    shm_large = 0;
    mypid = getpid();
    rng ^= (uint64)mypid * 0x2545f4914f6cdd1dUL;
    worker();
  }
  if (pid > 0) {
    processes++;
    if (depth == 0) workers[nworkers++] = (int)pid;
  }
}

// Every process with a pid above the fuzzer's, killed; our children reaped.
static void reap_all(void) {
  static struct procinfo table[64];
  for (int round = 0; round < 50; round++) {
    int n = procs(table, 64), live = 0;
    for (int i = 0; i < n; i++) {
      if (table[i].pid > rootpid && table[i].pid != mypid && table[i].state != PROC_ZOMBIE) {
        kill(table[i].pid);
        live++;
      }
    }
    while (wait(0) > 0) {}
    if (live == 0) break;
    sleep(1);
  }
  nworkers = 0;
}

// A damaged copy of a real program, or random bytes behind an ELF magic.
static void write_garbage(void) {
  snprintf(pathbuf + 1024, 64, "/fz/g%d", (int)below(GARBAGE_FILES));
  int fd = open(pathbuf + 1024, O_CREATE | O_TRUNC | O_WRONLY);
  (*counter) += 2;
  if (fd < 0) return;
  int n = elf_len > 0 && chance(80) ? elf_len : 64 + (int)below(4096);
  if (n > SCRATCH_BYTES) n = SCRATCH_BYTES;
  char *buf = scratch;
  if (n == elf_len) {
    memcpy(buf, elf_source, n);
    int flips = 1 + (int)below(8);
    for (int i = 0; i < flips; i++) {
      int at = chance(70) ? (int)below(128) : (int)below(n);  // headers mostly
      buf[at] ^= (char)(1 << below(8));
    }
  } else {
    for (int i = 0; i < n; i++) buf[i] = (char)next();
    memcpy(buf, "\177ELF\2\1\1", 7);
  }
  write(fd, buf, n);
  close(fd);
  (*counter) += 2;
}

static void do_exec(void) {
  char *argv[] = {"garbage", 0};
  snprintf(pathbuf + 1024, 64, "/fz/g%d", (int)below(GARBAGE_FILES));
  execs++;
  if (chance(80)) call(SYS_exec, (long)(pathbuf + 1024), (long)argv, 0, 0, 0, 0);
  else call(SYS_exec, (long)path_arg(), (long)argv_arg(), 0, 0, 0, 0);
  // Still here: the exec failed, as it should have for most of them.
}

static void one_call(int blocking);

// A thread of a worker: a few random calls of its own (blocking ones
// included: the worker is killed in the end), then thread_exit.
static int fuzz_thread(void *arg) {
  (void)arg;
  for (int i = 0; i < 20 && *counter < budget; i++) one_call(1);
  return (int)edge_int();
}

// Threads and futexes (130-135). Raw thread_create with random entry and
// stack only in workers (a thread that faults ends its process); the main
// process makes threads that exit at once, and never waits without a timeout.
static int fuzz_tids[4];
static void fuzz_threads(int blocking) {
  static volatile uint word;
  long r = -1;
  switch (below(7)) {
    case 0:
      if (depth > 0 && chance(50)) {
        r = call(SYS_thread_create, (long)ptr_arg(), (long)ptr_arg(), (long)next(), 0, 0, 0);
      } else if (depth > 0) {
        r = thread_create(fuzz_thread, 0);
        (*counter)++;
      } else {
        // Refused for its arguments: a kernel entry, a misaligned or wild stack.
        r = call(SYS_thread_create, chance(50) ? (long)KERNEL_PTR : (long)NONCANONICAL, (long)ptr_arg() | 8, 0, 0, 0, 0);
      }
      if (r > 0) fuzz_tids[below(4)] = (int)r;
      break;
    case 1: {
      long tid = chance(60) ? fuzz_tids[below(4)] : chance(50) ? (long)gettid() : edge_int();
      // A join of a live thread waits for it: only where waiting is allowed.
      if (!blocking && tid != gettid()) tid = -tid - 1;
      r = call(SYS_thread_join, tid, (long)ptr_arg(), 0, 0, 0, 0);
      break;
    }
    case 2: r = call(SYS_gettid, 0, 0, 0, 0, 0, 0); break;
    case 3: {
      uint64 p = chance(50) ? (uint64)&word : ptr_arg();
      long expected = chance(50) ? (long)word : edge_int();
      long timeout = blocking && chance(30) ? 0 : (long)below(2000000);
      if (!blocking && timeout == 0) timeout = 1;
      r = call(SYS_futex_wait, (long)p, expected, timeout, 0, 0, 0);
      break;
    }
    case 4: r = call(SYS_futex_wake, chance(50) ? (long)&word : (long)ptr_arg(), chance(80) ? (long)below(4) : edge_int(), 0, 0, 0, 0); break;
    case 5: word++; r = call(SYS_futex_wake, (long)&word, 1, 0, 0, 0, 0); break;
    default:
      // thread_exit: in a worker it ends the thread (or, the last one, the worker).
      if (depth > 0 && chance(20)) call(SYS_thread_exit, edge_int(), 0, 0, 0, 0, 0);
      break;
  }
  (void)r;
}

// One random call. `blocking` allows calls that may wait for ever.
static void one_call(int blocking) {
  long r = -1;
  int n;
  switch (below(58)) {
    case 0:
      if (chance(30)) start_worker();
      break;
    case 1:
      if (depth > 0 && chance(20)) exit((int)edge_int());
      r = call(SYS_getpid, 0, 0, 0, 0, 0, 0);
      break;
    case 2:
      if (depth > 0 && blocking) call(SYS_wait, (long)ptr_arg(), 0, 0, 0, 0, 0);
      else if (depth == 0 && chance(10)) reap_all();  // a live child may block for ever: kill first
      break;
    case 3: r = call(SYS_pipe, (long)ptr_arg(), 0, 0, 0, 0, 0);
      if (r == 0) remember(((int *)scratch)[0]);
      break;
    case 4: case 5: {
      long fd = slot_arg();
      if (!blocking && may_block(fd)) break;
      r = call(SYS_read, fd, (long)ptr_arg(), len_arg(), 0, 0, 0);
      break;
    }
    case 6: {
      int pid = (int)pid_arg();
      if (pid <= rootpid && pid > 0 && pid != mypid) pid = mypid + 1;
      if (pid == mypid && depth == 0) pid = -1;
      r = call(SYS_kill, pid, 0, 0, 0, 0, 0);
      break;
    }
    case 7:
      if (depth > 0 && blocking) do_exec();
      else write_garbage();
      break;
    case 8: r = call(SYS_fstat, slot_arg(), (long)ptr_arg(), 0, 0, 0, 0); break;
    case 9: r = call(SYS_chdir, (long)path_arg(), 0, 0, 0, 0, 0); break;
    case 10: r = call(SYS_dup, slot_arg(), 0, 0, 0, 0, 0); remember(r); break;
    case 11: {
      // The kernel takes the low 32 bits. Changes beyond a gigabyte either
      // way are refused (the heap limit, below the start); between those,
      // the heap stays within its budget and never shrinks into scratch.
      // a1: 1 eager, 2 lazy (the current xv6 ABI), anything else the heap mode.
      long how = chance(80) ? (long)below(3) : edge_int();
      int n2 = chance(80) ? (int)below(SBRK_STEP) - SBRK_STEP / 2 : (int)edge_int();
      // Eager growth of a gigabyte or more is over the per-process memory
      // limit and must be refused; any other growth stays in the budget
      // (a lazy heap may grow to terabytes, and what it touches is kept).
      int refused = how == 1 && n2 >= (1 << 30);
      if (!refused && ((n2 > -(1 << 30) && n2 < -heap_grown) || heap_grown + n2 > HEAP_BUDGET)) n2 = (int)-heap_grown;
      r = call(SYS_sbrk, n2, how, 0, 0, 0, 0);
      if (r != -1) heap_grown += n2;
      break;
    }
    case 12: {
      int t = chance(90) ? (int)below(3) : (int)edge_int();  // the kernel takes the low 32 bits
      if (t > 3) t = 3;
      r = call(SYS_sleep, t, 0, 0, 0, 0, 0);
      break;
    }
    case 13: r = call(SYS_uptime, 0, 0, 0, 0, 0, 0); break;
    case 14: case 15: case 16: {
      long flags = chance(80) ? (long)(below(3) | (chance(50) ? O_CREATE : 0) | (chance(20) ? O_TRUNC : 0)) : edge_int();
      r = call(SYS_open, (long)path_arg(), flags, 0, 0, 0, 0);
      remember(r);
      break;
    }
    case 17: case 18: {
      long fd = slot_arg();
      if (!blocking && may_block(fd)) break;
      r = call(SYS_write, fd, (long)ptr_arg(), len_arg(), 0, 0, 0);
      break;
    }
    case 19: {
      static const long majors[] = {0, 2, 3, 7, 65535, -1, 1};
      r = call(SYS_mknod, (long)path_arg(), majors[below(chance(97) ? 6 : 7)], edge_int(), 0, 0, 0);
      break;
    }
    case 20: r = call(SYS_unlink, (long)path_arg(), 0, 0, 0, 0, 0); break;
    case 21: r = call(SYS_link, (long)path_arg(), (long)path_arg(), 0, 0, 0, 0); break;
    case 22: r = call(SYS_mkdir, (long)path_arg(), 0, 0, 0, 0, 0); break;
    case 23: r = call(SYS_close, slot_arg(), 0, 0, 0, 0, 0); break;
    case 24: r = call(SYS_procs, (long)ptr_arg(), len_arg() % 80, 0, 0, 0, 0); break;
    case 25: r = call(SYS_setnice, chance(50) ? 0 : pid_arg(), chance(80) ? (long)below(40) - 20 : edge_int(), 0, 0, 0, 0); break;
    case 26: r = call(chance(50) ? SYS_clocknanos : SYS_errstr, (long)ptr_arg(), len_arg(), 0, 0, 0, 0); break;
    case 27: r = call(chance(50) ? SYS_sbrkmode : SYS_fsinfo, chance(50) ? (long)below(2) : (long)ptr_arg(), 0, 0, 0, 0, 0); break;
    case 28: r = call(SYS_cap_info, slot_arg(), (long)ptr_arg(), 0, 0, 0, 0); break;
    case 29: r = call(SYS_cap_derive, slot_arg(), chance(70) ? -1 : slot_arg(), chance(80) ? (long)below(64) : edge_int(),
                      chance(70) ? 0 : (long)next(), chance(80) ? 0 : (long)clocknanos() + (long)below(1UL << 26), 0);
      remember(r);
      break;
    case 30: r = call(SYS_cap_copy, slot_arg(), chance(70) ? -1 : slot_arg(), 0, 0, 0, 0); remember(r); break;
    case 31: r = call(SYS_cap_move, slot_arg(), chance(70) ? -1 : slot_arg(), 0, 0, 0, 0); remember(r); break;
    case 32: r = call(SYS_cap_delete, slot_arg(), 0, 0, 0, 0, 0); break;
    case 33: r = call(SYS_cap_revoke, slot_arg(), 0, 0, 0, 0, 0); break;
    case 34:
      if (depth > 0 && chance(10)) call(SYS_cap_enter, 0, 0, 0, 0, 0, 0);
      r = call(SYS_cap_list, (long)ptr_arg(), len_arg() % 70, 0, 0, 0, 0);
      break;
    case 35: r = call(SYS_openat, slot_arg(), (long)path_arg(), chance(80) ? (long)below(3) | (chance(30) ? O_CREATE : 0) : edge_int(), 0, 0, 0);
      remember(r);
      break;
    case 36: case 37: {
      // spawn of its own garbage files (or true); fspawn of a slot.
      long a = chance(50) ? (long)path_arg() : slot_arg();
      if (chance(30)) a = (long)"/true";
      uint64 caps = caps_arg(&n);
      r = call(chance(50) ? SYS_spawn : SYS_fspawn, a, (long)argv_arg(), (long)caps, n, chance(80) ? (long)below(2) : edge_int(), 0);
      if (r > 0) processes++;
      break;
    }
    case 38: r = call(SYS_ep_create, 0, 0, 0, 0, 0, 0); remember(r); break;
    case 39: r = call(SYS_ntfn_create, 0, 0, 0, 0, 0, 0); remember(r); break;
    case 40:
      if (!blocking) break;
      r = call(SYS_ep_send + (long)below(3), slot_arg(), (long)msg_arg(), 0, 0, 0, 0);  // send, recv, call
      break;
    case 41:
      r = blocking && chance(50) ? call(SYS_ep_replyrecv, slot_arg(), (long)msg_arg(), 0, 0, 0, 0)
                                 : call(SYS_ep_reply, (long)msg_arg(), 0, 0, 0, 0, 0);
      break;
    case 42: r = call(SYS_ntfn_signal, slot_arg(), (long)next(), 0, 0, 0, 0); break;
    case 43: r = call(blocking && chance(50) ? SYS_ntfn_wait : SYS_ntfn_poll, slot_arg(), 0, 0, 0, 0, 0); break;
    case 44: {
      long bytes = chance(80) ? 1 + (long)below(SHM_SMALL) : chance(85) ? (long)below(4 * SHM_SMALL)
                 : chance(50) ? (long)below(SHM_MAX + 2) : edge_int();
      int asked = (int)bytes;  // the kernel takes the low 32 bits
      if (asked > SHM_SMALL && asked <= SHM_MAX) {
        if (shm_large + asked > SHM_LARGE_BUDGET) bytes = 1 + (long)below(SHM_SMALL);
        else shm_large += asked;
      }
      r = call(SYS_shm_create, bytes, 0, 0, 0, 0, 0);
      remember(r);
      break;
    }
    case 45: r = call(SYS_shm_map, slot_arg(), 0, 0, 0, 0, 0); break;
    case 46: r = call(SYS_unlinkat, slot_arg(), (long)path_arg(), 0, 0, 0, 0); break;
    case 47: {
      // Unknown numbers, and known ones with every argument random.
      static const long unknown[] = {0, 22, 99, 107, 199, 243, 1000, -1, 0x7fffffff};
      long num = chance(20) ? unknown[below(9)] : chance(50) ? 1 + (long)below(21) : 200 + (long)below(24);
      if (num == SYS_fork || num == SYS_exit || num == SYS_wait || num == SYS_exec || num == SYS_kill ||
          num == SYS_read || num == SYS_write || num == SYS_sleep || num == SYS_sbrk || num == SYS_cap_enter ||
          num == SYS_spawn || num == SYS_fspawn || (num >= SYS_ep_send && num <= SYS_ep_replyrecv) ||
          num == SYS_ntfn_wait || num == SYS_unlink || num == SYS_unlinkat || num == SYS_link || num == SYS_chdir ||
          num == SYS_open || num == SYS_openat || num == SYS_mknod || num == SYS_mkdir)
        num = SYS_cap_info;  // those take care (blocking, pids, names outside /fz)
      if (num < 0 || num > 1000 || num == 0 || num == 22 || num == 99 || num == 107 || num == 199 || num == 243) {
        if (!chance(5)) num = SYS_getpid;  // each unknown call logs a line: keep them rare
      }
      long a0 = edge_int();
      if (reserved(a0)) a0 = COUNTER_SLOT - 1;  // most of these take a slot first
      r = call(num, a0, (long)ptr_arg(), edge_int(), (long)ptr_arg(), edge_int(), edge_int());
      break;
    }
    case 50: {
      // Signals. The root process sends only to its workers, to pids that do
      // not exist and to itself a signal ignored by default; a group it could
      // name holds the root too, and stopping or ending the root would end
      // the run. Workers send anything to themselves and their peers.
      long pid = depth > 0 ? pid_arg() : nworkers && chance(60) ? workers[below(nworkers)] : chance(50) ? mypid : 100000 + (long)below(64);
      long sig = chance(90) ? (long)below(NSIG + 2) : edge_int();
      if (depth == 0 && pid == mypid) sig = chance(50) ? 0 : SIGURG;
      if (depth > 0 && pid <= 0 && pid > -100000) pid = -100000 - (long)below(64);  // never the root's group
      r = call(SYS_sigsend, pid, sig, 0, 0, 0, 0);
      break;
    }
    case 51: {
      // Actions: the root sets SIG_DFL or SIG_IGN (a handler at a random
      // address would end it); workers hand in whatever ptr_arg() points at.
      struct sigaction *act = (struct sigaction *)(pathbuf + 2048);
      act->handler = chance(50) ? SIG_DFL : SIG_IGN;
      act->restorer = 0;
      act->mask = (uint)next();
      act->flags = chance(80) ? (uint)below(4) : (uint)next();
      long sig = chance(90) ? (long)below(NSIG + 2) : edge_int();
      uint64 given = depth > 0 && chance(50) ? ptr_arg() : (uint64)act;
      r = call(SYS_sigaction, sig, chance(10) ? 0 : (long)given, chance(50) ? 0 : (long)ptr_arg(), 0, 0, 0);
      if (depth > 0 && chance(5)) call(SYS_sigreturn, 0, 0, 0, 0, 0, 0);  // no frame: refused, or the worker dies
      break;
    }
    case 52:
      switch (below(5)) {
        case 0: r = call(SYS_sigprocmask, chance(80) ? (long)below(3) : edge_int(), (long)next(), 0, 0, 0, 0); break;
        case 1: r = call(SYS_sigpending, 0, 0, 0, 0, 0, 0); break;
        case 2: r = call(SYS_setpgid, chance(50) ? 0 : pid_arg(), chance(50) ? 0 : pid_arg(), 0, 0, 0, 0); break;
        case 3: r = call(chance(50) ? SYS_getpgid : SYS_getsid, pid_arg(), 0, 0, 0, 0, 0); break;
        default: r = depth > 0 ? call(SYS_setsid, 0, 0, 0, 0, 0, 0) : call(SYS_tcgetpgrp, slot_arg(), 0, 0, 0, 0, 0); break;
      }
      break;
    case 53:
      if (chance(10)) {
        // The console's mode (122): raw ends with the process that set it.
        r = call(SYS_ttymode, slot_arg(), chance(80) ? (long)below(2) : edge_int(), 0, 0, 0, 0);
      } else if (chance(50)) {
        r = call(SYS_tcsetpgrp, slot_arg(), chance(50) ? pid_arg() : edge_int(), 0, 0, 0, 0);
      } else {
        // The root must not wait for a live child: WNOHANG there.
        long options = blocking && chance(50) ? (long)below(16) & ~1L : 1 | (long)(below(16) & ~1UL);
        r = call(SYS_waitpid, chance(30) ? -1 : pid_arg(), (long)ptr_arg(), options, 0, 0, 0);
      }
      break;
    case 54: {
      // System-call tracing (106): on and off for itself, the ring read into
      // good and bad buffers from any sequence number.
      long op = chance(90) ? (long)below(5) : edge_int();
      r = call(SYS_trace, op, (long)ptr_arg(), chance(80) ? (long)below(8) : edge_int(), chance(50) ? (long)below(300) : (long)next(), 0, 0);
      break;
    }
    case 55:
      // The network card's calls (240-242) on slots that hold no card: each
      // must be refused by kind, whatever the buffer and length.
      r = call(SYS_nic_info + (long)below(3), slot_arg(), (long)ptr_arg(), chance(80) ? (long)below(2000) : edge_int(),
               chance(50) ? NIC_RECV_NOWAIT : edge_int(), 0, 0);
      break;
    case 56: {
      // The scheduling calls (140-144) on itself, its workers and bad pids.
      // Never a valid real-time class: a runaway (exec'd garbage keeps its
      // class) would then starve the main process that kills it. Idle is
      // safe: it runs only when nothing else can.
      static const long policies[] = {0, 3, 5, 1, 2, 4, 6, -1};
      long policy = chance(90) ? policies[below(8)] : edge_int();
      long prio = policy == 1 || policy == 2 ? (chance(50) ? 0 : chance(50) ? 100 : edge_int()) : chance(80) ? 0 : edge_int();
      switch (below(5)) {
        case 0: r = call(SYS_sched_set, chance(50) ? 0 : pid_arg(), policy, prio, 0, 0, 0); break;
        case 1: r = call(SYS_sched_get, chance(50) ? 0 : pid_arg(), (long)ptr_arg(), 0, 0, 0, 0); break;
        case 2: r = call(SYS_setaffinity, chance(50) ? 0 : pid_arg(), chance(70) ? (long)below(512) : edge_int(), 0, 0, 0, 0); break;
        case 3: r = call(SYS_getaffinity, pid_arg(), 0, 0, 0, 0, 0); break;
        default: r = call(SYS_sched_yield, 0, 0, 0, 0, 0, 0); break;
      }
      break;
    }
    case 57:
      fuzz_threads(blocking);
      break;
    default:
      // Structured: a file written and read back through a fresh descriptor.
      snprintf(pathbuf + 1024, 64, "/fz/f%d", (int)below(3));
      r = call(SYS_open, (long)(pathbuf + 1024), O_CREATE | O_RDWR, 0, 0, 0, 0);
      if (r >= 0) {
        call(SYS_write, r, (long)scratch, (long)below(8192), 0, 0, 0);
        call(SYS_fstat, r, (long)(scratch + 4096), 0, 0, 0, 0);
        if (chance(50)) call(SYS_close, r, 0, 0, 0, 0, 0);
        else remember(r);
      }
      break;
  }
  (void)r;
}

static void worker(void) {
  for (int i = 0; i < WORKER_CALLS && *counter < budget; i++) one_call(1);
  exit(0);
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(2, "usage: fuzz SEED CALLS [WORKERS]\n");
    return 2;
  }
  uint64 seed = (uint64)strtol(argv[1], 0, 10);
  budget = (uint64)strtol(argv[2], 0, 10);
  int max_workers = argc > 3 ? atoi(argv[3]) : MAX_WORKERS;
  rng = seed * 0x9e3779b97f4a7c15UL + 1;
  mypid = rootpid = getpid();

  int shm = shm_create(PAGE);
  counter = (volatile uint64 *)shm_map(shm);
  if (shm < 0 || (long)counter == -1 || cap_move(shm, COUNTER_SLOT) != COUNTER_SLOT) fail("fuzz: no shared page for the call counter");
  *counter = 0;
  scratch = sbrk(SCRATCH_BYTES + 1024 * 4);
  if ((long)scratch == -1) fail("fuzz: no memory");
  pathbuf = scratch + SCRATCH_BYTES;
  int self = open("/true", O_RDONLY);
  if (self >= 0) {
    elf_len = read(self, elf_source, sizeof elf_source);
    if (elf_len < 0) elf_len = 0;
    close(self);
  }
  mkdir("/fz");
  mkdir("/fz/d0");
  // The report goes to slot 63. Every other inherited capability goes: 0-2
  // so random writes and reads never reach the console, and slot 16 (the
  // name service's endpoint), so nothing reaches another program — a
  // capability sent there would be kept by it, and the run would not leave
  // the machine as it found it.
  if (cap_move(1, REPORT_SLOT) != REPORT_SLOT) fail("fuzz: cannot keep a report slot");
  for (int slot = 0; slot < COUNTER_SLOT; slot++) cap_delete(slot);
  for (int i = 0; i < POOL; i++) pool[i] = (int)below(24);

  while (*counter < budget) {
    one_call(0);
    if (nworkers < max_workers && chance(2)) start_worker();
  }
  reap_all();
  // Leave the disk as it was found, so runs on one disk do not pile up:
  // every name the fuzzer can make, under /fz and (through "..") the root.
  static const char *const tidy[] = {"/fz/d0/d1", "/fz/d1/d0", "/fz/d0/d0", "/fz/d1/d1", "/fz/d0", "/fz/d1",
                                     "/d0/d1", "/d1/d0", "/d0/d0", "/d1/d1", "/d0", "/d1", ""};
  chdir("/");
  for (int pass = 0; pass < 2; pass++) {
    for (uint i = 0; i < NNAMES; i++) {
      for (uint j = 0; j < sizeof tidy / sizeof tidy[0]; j++) {
        snprintf(pathbuf, 200, "%s/%s", tidy[j], names[i]);
        unlink(pathbuf);
      }
    }
    for (uint j = 0; j + 1 < sizeof tidy / sizeof tidy[0]; j++) unlink(tidy[j]);
  }
  fprintf(REPORT_SLOT, "fuzz: seed %lu: %lu calls, %ld processes, %ld execs\n", seed, (uint64)*counter, processes, execs);
  return 0;
}
