// Keel user land: the one header every user program includes.
//
// It declares the Unix-personality system calls (numbers 1-21, the
// xv6-riscv user ABI described in docs/ABI.md), the Keel extensions
// (numbers 100+), the data layouts those calls exchange, and the small C
// library in user/lib. Nothing here depends on a host C library: programs
// are built -ffreestanding -nostdlib.
#ifndef KEEL_USER_H
#define KEEL_USER_H

typedef unsigned char uchar;
typedef unsigned short ushort;
typedef unsigned int uint;
typedef unsigned long uint64;
typedef unsigned long size_t;
typedef long ssize_t;
typedef __builtin_va_list va_list;
#define va_start(ap, last) __builtin_va_start(ap, last)
#define va_arg(ap, type) __builtin_va_arg(ap, type)
#define va_end(ap) __builtin_va_end(ap)
#define va_copy(dst, src) __builtin_va_copy(dst, src)

#ifndef NULL
#define NULL ((void *)0)
#endif

// ---- Data layouts (ABI.md "Data layouts") ----

#define T_DIR 1
#define T_FILE 2
#define T_DEVICE 3

// 24 bytes, 8-byte aligned.
struct stat {
  int dev;       // @0  device holding the file
  uint ino;      // @4  inode number
  short type;    // @8  T_DIR, T_FILE or T_DEVICE
  short nlink;   // @10 links to the inode
  uint pad;      // @12 unused
  uint64 size;   // @16 size in bytes
};

#define DIRSIZ 14
// What read() on a directory yields, 16 bytes per entry. A 14-character name
// has no NUL; inum 0 marks a free slot.
struct dirent {
  ushort inum;
  char name[DIRSIZ];
};

#define O_RDONLY 0x000
#define O_WRONLY 0x001
#define O_RDWR 0x002
#define O_CREATE 0x200
#define O_TRUNC 0x400

#define CONSOLE_MAJOR 1

// Keel extension: one process as procs() reports it, 56 bytes.
#define PROC_RUNNABLE 1
#define PROC_RUNNING 2
#define PROC_SLEEPING 3
#define PROC_ZOMBIE 4
#define PROC_STOPPED 5  // by a signal, until SIGCONT
#define PROC_NAME_LEN 16
struct procinfo {
  int pid;              // @0
  int ppid;             // @4
  int state;            // @8  PROC_RUNNABLE..PROC_STOPPED
  int nice;             // @12 -20..19
  uint64 cpu_ns;        // @16 CPU time consumed
  uint64 mem_bytes;     // @24 user memory mapped
  uint64 switches;      // @32 times scheduled
  char name[PROC_NAME_LEN]; // @40 NUL-padded
  int threads;          // @56 threads that have not ended (thread_exit)
  int cpu;              // @60 the vCPU it last ran on (0 with one vCPU)
};

#define NICE_MIN (-20)
#define NICE_MAX 19

// Scheduling policies (Linux's numbers) and struct schedinfo, 24 bytes.
#define SCHED_FAIR 0
#define SCHED_FIFO 1
#define SCHED_RR 2
#define SCHED_BATCH 3
#define SCHED_IDLE 5
#define SCHED_PRIO_MIN 1
#define SCHED_PRIO_MAX 99
#define MAX_CPUS 8
struct schedinfo {
  int policy;          // @0  SCHED_*
  int priority;        // @4  1..99 in FIFO and RR, else 0
  int eff_policy;      // @8  what it runs at now: inherited while it serves a call
  int eff_priority;    // @12
  unsigned affinity;   // @16 bit N: may run on vCPU N
  int nice;            // @20
};

// Keel extension: the root file system's size and use, 40 bytes.
struct fsinfo {
  uint64 block_size;   // @0  bytes per block
  uint64 blocks;       // @8  total blocks, metadata and log included
  uint64 free_blocks;  // @16 blocks not in use
  uint64 inodes;       // @24 total inodes
  uint64 free_inodes;  // @32 inodes not in use
};

// Native capability calls (ABI.md "Native capability calls", numbers 200+).
// Every descriptor is a slot of the process's capability table.
#define CAP_SLOTS 64       // slots per process
#define CAP_UNIX_SLOTS 16  // slots 0-15 are also the Unix descriptors
#define CAP_SLOT_ANY (-1)  // destination: the lowest free slot from 16 up

// Rights, a 6-bit mask.
#define CAP_READ 1
#define CAP_WRITE 2
#define CAP_EXECUTE 4
#define CAP_DELETE 8       // destructive operations on the object
#define CAP_GRANT 16       // may be put into another process's table
#define CAP_DELEGATE 32    // may be derived from or copied
#define CAP_ALL_RIGHTS 63

// What a capability names (cap_info's and cap_list's type).
#define CAP_TYPE_FILE 1
#define CAP_TYPE_DIR 2
#define CAP_TYPE_PIPE_READ 3
#define CAP_TYPE_PIPE_WRITE 4
#define CAP_TYPE_CONSOLE 5
// Kernel object types that no call hands to user programs yet.
#define CAP_TYPE_ENDPOINT 6
#define CAP_TYPE_NOTIFICATION 7
#define CAP_TYPE_MEMORY 8
#define CAP_TYPE_PROCESS 9
#define CAP_TYPE_CSPACE 10
#define CAP_TYPE_DEVICE 11  // a device: the network card (docs/network.md)

// One capability as cap_info() reports it, 40 bytes.
struct capinfo {
  uint type;         // @0  CAP_TYPE_*
  uint rights;       // @4  CAP_READ..CAP_DELEGATE
  uint64 badge;      // @8  0 = unbadged
  uint64 expiry_ns;  // @16 clocknanos() deadline; 0 = never
  uint depth;        // @24 0 = an original
  uint children;     // @28 capabilities derived directly from it
  uint refs;         // @32 capabilities naming the same object
  uint reserved;     // @36
};

// One occupied slot as cap_list() reports it, 24 bytes.
struct capslot {
  int slot;          // @0
  uint type;         // @4  CAP_TYPE_*
  uint rights;       // @8
  uint depth;        // @12
  uint64 badge;      // @16
};

#define SPAWN_CAPMODE 1    // spawn() flag: the child starts in capability mode

// ---- System calls (user/lib/usys.S) ----

// Unix personality, numbers 1-21. Every call returns -1 on error.
int fork(void);
void exit(int status) __attribute__((noreturn));
int wait(int *status);
int pipe(int fds[2]);
int read(int fd, void *buf, int n);
int kill(int pid);
int exec(const char *path, char **argv);
int fstat(int fd, struct stat *st);
int chdir(const char *path);
int dup(int fd);
int getpid(void);
// The break (call 12, a1 says how it grows): sbrk grows it as the process's
// heap mode says (eager unless sbrkmode(1)), sbrklazy always demand-zero, as
// xv6's two wrappers since 2025. Both return the old break, or (char *)-1.
char *sbrk(int n);
char *sbrklazy(int n);
int sleep(int ticks);
int uptime(void);
int open(const char *path, int flags);
int write(int fd, const void *buf, int n);
int mknod(const char *path, short major, short minor);
int unlink(const char *path);
int link(const char *oldpath, const char *newpath);
int mkdir(const char *path);
int close(int fd);

// Keel extensions, numbers 100+.
int procs(struct procinfo *buf, int max);
int setnice(int pid, int nice);
// Keel extension: scheduling classes and CPU affinity (docs/abi.md 140-144).
int sched_set(int pid, int policy, int priority);    // pid 0: the caller
int sched_get(int pid, struct schedinfo *out);
int setaffinity(int pid, unsigned long mask);        // bit N: may run on vCPU N
long getaffinity(int pid);                           // the mask, or -1
int sched_yield(void);                               // to the back of its queue
uint64 clocknanos(void);
int errstr(char *buf, int n);
// Keel's heap mode: 1 makes later sbrk() growth demand-zero, 0 eager again.
int sbrkmode(int lazy);
int fsinfo(struct fsinfo *out);  // -1 when the root is not a disk file system
// System-call tracing (docs/debugging.md): trace(TRACE_ME, 0, 0, 0) traces
// the caller and its future children; trace(TRACE_READ, buf, n, seq) copies
// up to n records from sequence number seq on (older ones are overwritten:
// the first record's seq says where it starts); TRACE_NEXT returns the next
// sequence number; TRACE_OFF stops tracing the caller; trace(TRACE_ATTACH,
// (void *)pid, 0, 0) traces the running process pid from now on (and its
// future children), TRACE_DETACH stops tracing it.
#define TRACE_ME 0
#define TRACE_READ 1
#define TRACE_NEXT 2
#define TRACE_OFF 3
#define TRACE_ATTACH 4
#define TRACE_DETACH 5
#define TRACE_STR_MAX 48
#define TRACE_STRING 1  // str is a NUL-terminated name, else raw bytes
#define TRACE_CUT 2     // the name or bytes were longer than str
#define TRACE_NO_RESULT 0x7fffffffffffffffLL
struct trace_record {
  uint64 seq;
  int pid;
  uint num;
  uint64 args[6];
  long long result;  // TRACE_NO_RESULT for exit
  uint len;          // bytes in str
  uint flags;        // TRACE_STRING, TRACE_CUT
  char str[TRACE_STR_MAX];
};
long long trace(int op, void *buf, long long n, uint64 seq);

// Native capability calls, numbers 200-209. uint64 arguments travel in
// full 64-bit registers. Every call returns -1 on failure (errstr says why).
int cap_info(int slot, struct capinfo *out);
int cap_derive(int src, int dst, int rights, uint64 badge, uint64 expiry_ns);  // new slot
int cap_copy(int src, int dst);     // a child with the same rights; new slot
int cap_move(int src, int dst);     // the slot it now occupies
int cap_delete(int slot);
int cap_revoke(int slot);           // how many derived capabilities it removed
int cap_enter(void);                // capability mode, for good
int openat(int dirslot, const char *path, int flags);
// Starts path as a child holding only the listed capabilities: caps holds
// ncaps pairs (slot here, slot in the child). Returns the child's pid.
int spawn(const char *path, char **argv, const int *caps, int ncaps, int flags);
int fspawn(int file, char **argv, const int *caps, int ncaps, int flags);  // like spawn, from a file capability (needs Execute)
int unlinkat(int dir, const char *name);     // removes a name through a directory capability (needs Delete)
int cap_list(struct capslot *buf, int max);  // how many slots are occupied

// IPC (docs/abi.md, 210-219): a message is four words, up to 4096 bytes of
// inline data and optionally one capability (passed only with Grant).
#define IPC_MAX_BYTES 4096
struct ipcmsg {        // 64 bytes
  uint64 badge;        // out: the badge of the sender's capability (0 for a reply)
  uint64 w[4];         // message words
  uint len;            // bytes in buf (in: to send; out: received)
  int cap;             // in: slot to pass, or -1; out: slot it arrived in, or -1
  uint64 buf;          // address of the inline buffer
  uint bufsize;        // receive: room in buf
  uint reserved;
};
int ep_create(void);                          // a new endpoint capability (slot >= 16)
int ep_send(int ep, struct ipcmsg *m);        // waits for a receiver
int ep_recv(int ep, struct ipcmsg *m);        // waits for a sender
int ep_call(int ep, struct ipcmsg *m);        // send, then wait for the reply in *m
int ep_reply(struct ipcmsg *m);               // answers the call this process received last
int ep_replyrecv(int ep, struct ipcmsg *m);   // reply (if a call is owed), then receive
int ntfn_create(void);
int ntfn_signal(int n, uint64 bits);
uint64 ntfn_wait(int n);                      // waits for bits, takes and clears them
uint64 ntfn_poll(int n);                      // takes the bits without waiting (0 if none)
// Shared memory (220-221): an object of zeroed pages, mapped without copying
// into every process that maps it; a Read-only capability maps read-only.
int shm_create(int bytes);                    // a new shared memory capability (slot >= 16)
void *shm_map(int shm);                       // maps it; returns its address, or (void *)-1

// The network card (240-242, user/lib/netsys.S, docs/network.md): raw
// Ethernet frames, for the holder of the card's device capability (netd).
#define NIC_FRAME_MAX 1514
#define NIC_RECV_NOWAIT 1
struct nicinfo {         // 120 bytes
  uchar mac[6];          // @0
  ushort flags;          // @6  bit 0: link up
  uint mtu;              // @8
  uint reserved;         // @12
  uint64 counters[9];    // @16 the card's counters (docs/network.md)
  char addr[32];         // @88 the kernel command line's ip= value, "" if none
};
#define SYS_nic_info 240
#define SYS_nic_send 241
#define SYS_nic_recv 242
int nic_info(int cap, struct nicinfo *out);            // needs Read
int nic_send(int cap, const void *frame, int len);     // needs Write; 14..1514 bytes
int nic_recv(int cap, void *buf, int len, int flags);  // needs Read; len >= 1514; waits for a frame unless NIC_RECV_NOWAIT (then 0)

// ---- Signals and job control (Keel extensions 110-121, user/lib/sigsys.S) ----
#define SIGHUP 1
#define SIGINT 2
#define SIGQUIT 3
#define SIGILL 4
#define SIGTRAP 5
#define SIGABRT 6
#define SIGBUS 7
#define SIGFPE 8
#define SIGKILL 9
#define SIGUSR1 10
#define SIGSEGV 11
#define SIGUSR2 12
#define SIGPIPE 13
#define SIGALRM 14
#define SIGTERM 15
#define SIGCHLD 17
#define SIGCONT 18
#define SIGSTOP 19
#define SIGTSTP 20
#define SIGTTIN 21
#define SIGTTOU 22
#define SIGURG 23
#define SIGWINCH 28
#define NSIG 32                           // signals are 1..NSIG-1
#define sigmask(sig) (1u << ((sig) - 1))  // a signal's bit in a mask

typedef void (*sighandler_t)(int);
#define SIG_DFL ((sighandler_t)0)
#define SIG_IGN ((sighandler_t)1)
#define SA_NODEFER 1    // the signal is not blocked while its handler runs
#define SA_RESETHAND 2  // back to SIG_DFL once delivered
// 24 bytes. sigaction() fills in restorer (the trampoline) when it is 0.
struct sigaction {
  sighandler_t handler;  // @0  SIG_DFL, SIG_IGN or a function
  uint64 restorer;       // @8  where the handler returns (it calls sigreturn)
  uint mask;             // @16 also blocked while the handler runs
  uint flags;            // @20 SA_*
};
#define SIG_BLOCK 0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2
// waitpid options and status word.
#define WNOHANG 1
#define WUNTRACED 2
#define WCONTINUED 8
#define WIFEXITED(s) (((s) & 0x7f) == 0)
#define WEXITSTATUS(s) (((s) >> 8) & 0xff)
#define WIFSIGNALED(s) (((s) & 0x7f) != 0 && ((s) & 0x7f) != 0x7f)
#define WTERMSIG(s) ((s) & 0x7f)
#define WIFSTOPPED(s) (((s) & 0xff) == 0x7f)
#define WSTOPSIG(s) (((s) >> 8) & 0xff)
#define WIFCONTINUED(s) ((s) == 0xffff)

int sigsend(int pid, int sig);     // pid > 0: it; 0: the caller's group; < -1: group -pid
int sigaction(int sig, const struct sigaction *act, struct sigaction *old);
sighandler_t signal(int sig, sighandler_t handler);  // sigaction with no mask or flags; old handler or (sighandler_t)-1
int sigprocmask(int how, uint set);  // returns the mask before (SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK)
uint sigpending(void);
int sigreturn(void);               // only the trampoline calls it
int setpgid(int pid, int pgid);    // 0 means the caller / its pid
int getpgid(int pid);
int setsid(void);                  // returns the new session id
int getsid(int pid);
int tcsetpgrp(int fd, int pgid);   // the console's foreground group
int tcgetpgrp(int fd);
int waitpid(int pid, int *status, int options);
// The console's mode (call 122): TTY_RAW hands the caller's reads every
// byte as typed, unechoed (the signal keys still signal); returns the mode
// before, or -1.
#define TTY_COOKED 0
#define TTY_RAW 1
int ttymode(int fd, int mode);
// signal.c: names ("INT" for SIGINT) and descriptions ("Interrupt").
const char *signame(int sig);      // 0 for an unknown number
int signum(const char *name);      // "INT", "SIGINT" or "2"; -1 if neither
const char *sigdescr(int sig);

// Any call by number with up to six raw 64-bit arguments (for tests that
// need to pass values a typed prototype would not allow).
long syscall6(long number, long a0, long a1, long a2, long a3, long a4, long a5);

#define SYS_fork 1
#define SYS_exit 2
#define SYS_wait 3
#define SYS_pipe 4
#define SYS_read 5
#define SYS_kill 6
#define SYS_exec 7
#define SYS_fstat 8
#define SYS_chdir 9
#define SYS_dup 10
#define SYS_getpid 11
#define SYS_sbrk 12
#define SYS_sleep 13
#define SYS_uptime 14
#define SYS_open 15
#define SYS_write 16
#define SYS_mknod 17
#define SYS_unlink 18
#define SYS_link 19
#define SYS_mkdir 20
#define SYS_close 21
#define SYS_procs 100
#define SYS_setnice 101
#define SYS_sched_set 140
#define SYS_sched_get 141
#define SYS_setaffinity 142
#define SYS_getaffinity 143
#define SYS_sched_yield 144
#define SYS_clocknanos 102
#define SYS_errstr 103
#define SYS_sbrkmode 104
#define SYS_fsinfo 105
#define SYS_trace 106
#define SYS_sigsend 110
#define SYS_sigaction 111
#define SYS_sigprocmask 112
#define SYS_sigreturn 113
#define SYS_sigpending 114
#define SYS_setpgid 115
#define SYS_getpgid 116
#define SYS_setsid 117
#define SYS_getsid 118
#define SYS_tcsetpgrp 119
#define SYS_tcgetpgrp 120
#define SYS_waitpid 121
#define SYS_ttymode 122
#define SYS_thread_create 130
#define SYS_thread_exit 131
#define SYS_thread_join 132
#define SYS_gettid 133
#define SYS_futex_wait 134
#define SYS_futex_wake 135
#define SYS_cap_info 200
#define SYS_cap_derive 201
#define SYS_cap_copy 202
#define SYS_cap_move 203
#define SYS_cap_delete 204
#define SYS_cap_revoke 205
#define SYS_cap_enter 206
#define SYS_openat 207
#define SYS_spawn 208
#define SYS_cap_list 209
#define SYS_ep_create 210
#define SYS_ep_send 211
#define SYS_ep_recv 212
#define SYS_ep_call 213
#define SYS_ep_reply 214
#define SYS_ep_replyrecv 215
#define SYS_ntfn_create 216
#define SYS_ntfn_signal 217
#define SYS_ntfn_wait 218
#define SYS_ntfn_poll 219
#define SYS_shm_create 220
#define SYS_shm_map 221
#define SYS_unlinkat 222
#define SYS_fspawn 223

#define MAXARG 32  // exec accepts at most this many arguments

// ---- C library (user/lib) ----

// string.c
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strcpy(char *dst, const char *src);
char *strncpy(char *dst, const char *src, size_t n);
size_t strlcpy(char *dst, const char *src, size_t size);
char *strcat(char *dst, const char *src);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
char *strstr(const char *haystack, const char *needle);
void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n);

// caps.c — names for capability types and rights.
const char *cap_type_name(int type);  // "file", "dir", ...; "?" when unknown
// The rights as six letters in the order rwxdgD (Read, Write, Execute,
// Delete, Grant, Delegate), '-' for each one missing: "rw--gD". out holds 7.
void cap_rights_string(int rights, char *out);

// ctype.c
int isdigit(int c);
int isxdigit(int c);
int isalpha(int c);
int isalnum(int c);
int isspace(int c);
int isupper(int c);
int islower(int c);
int isprint(int c);
int ispunct(int c);
int toupper(int c);
int tolower(int c);

// printf.c — conversions: %d %i %u %x %X %p %s %c %%, length l / ll,
// flags '-' '0' '+' ' ', width and precision (digits or '*').
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(__printf__, 3, 4)));
int vfprintf(int fd, const char *fmt, va_list ap);
int fprintf(int fd, const char *fmt, ...) __attribute__((format(__printf__, 2, 3)));
int vprintf(const char *fmt, va_list ap);
int printf(const char *fmt, ...) __attribute__((format(__printf__, 1, 2)));
int puts(const char *s);  // s and a newline to fd 1

// malloc.c
void *malloc(size_t n);
void free(void *p);
void *realloc(void *p, size_t n);
void *calloc(size_t count, size_t size);
// Walks the heap and checks its invariants; returns 0 when sound, else a
// static description of the first problem found.
const char *malloc_check(void);
struct malloc_stats {
  uint64 arena_bytes;  // obtained from sbrk
  uint64 free_bytes;   // on the free list (headers included)
  uint64 free_blocks;
};
void malloc_stats(struct malloc_stats *out);

// Threads (thread.c, docs/abi.md "Threads"). The system calls first:
// sys_thread_create starts a thread of this process at entry with sp = stack
// (16-byte aligned) and a0 = arg, returning its thread id; sys_thread_exit
// ends the calling thread (the last one's ends the process with status);
// sys_thread_join waits for thread tid, stores its status and frees it;
// gettid is the caller's thread id (the main thread's is the pid).
int sys_thread_create(void (*entry)(void *), void *stack, void *arg);
void sys_thread_exit(int status) __attribute__((noreturn));
int sys_thread_join(int tid, int *status);
int gettid(void);
// futex_wait sleeps while the 32-bit word at addr holds expected, until a
// futex_wake on it or timeout_ns (0: none) pass. Results: FUTEX_WOKEN,
// FUTEX_AGAIN (the word held something else), FUTEX_TIMEDOUT, or -1 for a bad
// or misaligned address. futex_wake wakes up to n waiters, oldest first,
// and returns how many. Keyed by physical address: shared memory works.
#define FUTEX_WOKEN 0
#define FUTEX_AGAIN 1
#define FUTEX_TIMEDOUT 2
int futex_wait(volatile uint *addr, uint expected, uint64 timeout_ns);
int futex_wake(volatile uint *addr, int n);
// The thread API: thread_create runs fn(arg) on a new thread with a
// THREAD_STACK-byte stack from malloc; fn's return value is its exit status.
// Returns the thread id or -1. thread_join waits for it, stores the status
// (unless status is 0) and frees the stack. thread_exit ends the caller.
#define THREAD_STACK (16 * 1024)
int thread_create(int (*fn)(void *), void *arg);
int thread_join(int tid, int *status);
int thread_self(void);
void thread_exit(int status) __attribute__((noreturn));
// Mutexes: 0 unlocked, 1 locked, 2 locked with waiters (futex based).
typedef struct { volatile uint v; } mutex_t;
#define MUTEX_INIT {0}
void mutex_init(mutex_t *m);
void mutex_lock(mutex_t *m);
int mutex_trylock(mutex_t *m);  // 1 when it took the lock, 0 when busy
void mutex_unlock(mutex_t *m);
// Condition variables (a sequence number the waiters sleep on).
typedef struct { volatile uint seq; } cond_t;
#define COND_INIT {0}
void cond_init(cond_t *c);
void cond_wait(cond_t *c, mutex_t *m);
// As cond_wait, giving up after timeout_ns: 0 when signalled (or spuriously
// woken), FUTEX_TIMEDOUT when the time passed; m is held again either way.
int cond_timedwait(cond_t *c, mutex_t *m, uint64 timeout_ns);
void cond_signal(cond_t *c);
void cond_broadcast(cond_t *c);
// Barriers: barrier_wait returns once n threads have called it; the last
// one to arrive gets 1, the others 0; then the barrier is ready again.
typedef struct { mutex_t m; cond_t c; uint count, n, generation; } barrier_t;
void barrier_init(barrier_t *b, uint n);
int barrier_wait(barrier_t *b);

// stdlib.c
int atoi(const char *s);
long strtol(const char *s, char **end, int base);
int getline(int fd, char *buf, int max);
int stat(const char *path, struct stat *st);
void fail(const char *msg) __attribute__((noreturn));
void perr(const char *msg);
const char *lasterror(void);

// regex.c — the matcher grep uses: '.', '*', leading '^', trailing '$'.
int re_match(const char *re, const char *text);

#endif
