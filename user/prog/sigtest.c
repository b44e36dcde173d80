// sigtest CHECK...: checks of signals and job control (docs/processes.md).
// Each check prints "sigtest CHECK: OK" or "sigtest CHECK: FAIL: why"; the
// exit status is the number of failed checks. The checks:
//
//   registers  a child signals the parent 20 times while the parent spins
//              in a loop holding known values in every register it may
//              (ra, t0-t5, s0-s11, a0-a7); the handler clobbers the
//              caller-saved ones and every floating-point register and
//              fcsr. After sigreturn each must be exactly what it was
//              (f0-f31 and fcsr too), and the handler ran.
//   mask       a blocked signal stays pending (sigpending) and its handler
//              does not run; unblocking delivers it before sigprocmask
//              returns to the program.
//   restart    a handler runs while the process waits in read() on a pipe;
//              the read then goes on and returns the data written later.
//   stopcont   SIGSTOP stops a spinning child (waitpid WUNTRACED, procs
//              says stopped, it gets no CPU), SIGCONT continues it
//              (WCONTINUED), SIGTERM ends it (WIFSIGNALED, WTERMSIG 15);
//              the parent's SIGCHLD handler ran for each.
//   exitcode   waitpid's status of exit(3) is WIFEXITED with 3; xv6's wait
//              of a child killed by a signal sees -1.
//   ignore     SIG_IGN drops a signal, SIGKILL and SIGSTOP cannot be
//              caught, a default-ignored signal (SIGCHLD) does nothing.
//   groups     setpgid puts children in a new group, sigsend(-pgid) reaches
//              every member and nobody else, setsid makes a new session.
//   badframe   sigreturn with no frame at sp fails with -1 and changes nothing.
//   ttou       (run from the job-control shell) a background process that
//              calls tcsetpgrp is stopped by SIGTTOU; one that ignores
//              SIGTTOU takes the console and gives it back.
#include "user.h"

static int failed;

// The programs are built for rv64imac, but the hart has F and D: the
// floating-point registers are reached with encoded instructions.
// The assembler computes each instruction word from the register numbers.
#define SET_F(i) ".word 0xf2000053 | (5 << 15) | ((" #i ") << 7)\n"  // fmv.d.x f_i, t0
#define GET_F_WORD(i) ".word 0xe2000053 | ((" #i ") << 15) | (5 << 7)\n"  // fmv.x.d t0, f_i
#define SET_F8(i) SET_F(i) SET_F(i + 1) SET_F(i + 2) SET_F(i + 3) SET_F(i + 4) SET_F(i + 5) SET_F(i + 6) SET_F(i + 7)
static struct procinfo table[64];

static void report(const char *check, int ok, const char *why) {
  if (ok)
    printf("sigtest %s: OK\n", check);
  else
    printf("sigtest %s: FAIL: %s\n", check, why);
  failed += !ok;
}

static volatile int usr1_count, chld_count;
volatile int usr2_count;  // not static: the register loop names it

static void on_usr1(int sig) {
  (void)sig;
  usr1_count++;
  // Clobber every caller-saved register: sigreturn must bring them back.
  __asm__ volatile(
      "li t0, -1\n li t1, -1\n li t2, -1\n li t3, -1\n li t4, -1\n li t5, -1\n li t6, -1\n"
      "li a0, -1\n li a1, -1\n li a2, -1\n li a3, -1\n li a4, -1\n li a5, -1\n li a6, -1\n li a7, -1\n" ::
          : "t0", "t1", "t2", "t3", "t4", "t5", "t6", "a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "memory");
  // And the floating-point state.
  __asm__ volatile("li t0, -1\n" SET_F8(0) SET_F8(8) SET_F8(16) SET_F8(24) "csrw 0x003, x0\n" ::: "t0");
}
static uint64 fp_seen[33];

// f_i = 0x2000 + i for every i, fcsr = 0x2d (a rounding mode and some flags).
static void set_fp(void) {
#define ONE_F(i) __asm__ volatile("li t0, %0\n" SET_F(i) ::"i"(0x2000 + i) : "t0");
  ONE_F(0) ONE_F(1) ONE_F(2) ONE_F(3) ONE_F(4) ONE_F(5) ONE_F(6) ONE_F(7) ONE_F(8) ONE_F(9) ONE_F(10) ONE_F(11)
  ONE_F(12) ONE_F(13) ONE_F(14) ONE_F(15) ONE_F(16) ONE_F(17) ONE_F(18) ONE_F(19) ONE_F(20) ONE_F(21) ONE_F(22)
  ONE_F(23) ONE_F(24) ONE_F(25) ONE_F(26) ONE_F(27) ONE_F(28) ONE_F(29) ONE_F(30) ONE_F(31)
  __asm__ volatile("li t0, 0x2d\n csrw 0x003, t0\n" ::: "t0");
}
static void get_fp(void) {
#define GET_F(i) { uint64 v; __asm__ volatile(GET_F_WORD(i) "mv %0, t0\n" : "=r"(v) : : "t0"); fp_seen[i] = v; }
  GET_F(0) GET_F(1) GET_F(2) GET_F(3) GET_F(4) GET_F(5) GET_F(6) GET_F(7) GET_F(8) GET_F(9) GET_F(10) GET_F(11)
  GET_F(12) GET_F(13) GET_F(14) GET_F(15) GET_F(16) GET_F(17) GET_F(18) GET_F(19) GET_F(20) GET_F(21) GET_F(22)
  GET_F(23) GET_F(24) GET_F(25) GET_F(26) GET_F(27) GET_F(28) GET_F(29) GET_F(30) GET_F(31)
  uint64 fcsr;
  __asm__ volatile("csrr %0, 0x003\n" : "=r"(fcsr));
  fp_seen[32] = fcsr;
}

static void on_usr2(int sig) {
  (void)sig;
  usr2_count++;
}
static void on_chld(int sig) {
  (void)sig;
  chld_count++;
}

static int install(int sig, sighandler_t handler) {
  struct sigaction act;
  memset(&act, 0, sizeof act);
  act.handler = handler;
  return sigaction(sig, &act, 0);
}

// Registers the spin loop holds, in the order it stores them: ra, t0-t5,
// s0-s11, a1-a7 (a0 holds the address of usr2_count, t6 is the scratch).
#define SAVED 26
uint64 sigtest_seen[SAVED];  // not static: the loop names it

// Loads a distinct value into every register, spins until SIGUSR2 has been
// handled (usr2_count != 0), then stores the registers into sigtest_seen.
// Nothing is kept below sp: the kernel pushes signal frames there.
static void spin_with_registers(void) {
  __asm__ volatile(
      "lla a0, usr2_count\n"
      "li ra, 0x1001\n li t0, 0x1005\n li t1, 0x1006\n li t2, 0x1007\n li t3, 0x101c\n li t4, 0x101d\n li t5, 0x101e\n"
      "li s0, 0x1008\n li s1, 0x1009\n li s2, 0x1012\n li s3, 0x1013\n li s4, 0x1014\n li s5, 0x1015\n"
      "li s6, 0x1016\n li s7, 0x1017\n li s8, 0x1018\n li s9, 0x1019\n li s10, 0x101a\n li s11, 0x101b\n"
      "li a1, 0x100b\n li a2, 0x100c\n li a3, 0x100d\n li a4, 0x100e\n li a5, 0x100f\n li a6, 0x1010\n li a7, 0x1011\n"
      "1: lw t6, 0(a0)\n"
      "beqz t6, 1b\n"
      "lla t6, sigtest_seen\n"
      "sd ra, 0(t6)\n sd t0, 8(t6)\n sd t1, 16(t6)\n sd t2, 24(t6)\n sd t3, 32(t6)\n sd t4, 40(t6)\n sd t5, 48(t6)\n"
      "sd s0, 56(t6)\n sd s1, 64(t6)\n sd s2, 72(t6)\n sd s3, 80(t6)\n sd s4, 88(t6)\n sd s5, 96(t6)\n"
      "sd s6, 104(t6)\n sd s7, 112(t6)\n sd s8, 120(t6)\n sd s9, 128(t6)\n sd s10, 136(t6)\n sd s11, 144(t6)\n"
      "sd a1, 152(t6)\n sd a2, 160(t6)\n sd a3, 168(t6)\n sd a4, 176(t6)\n sd a5, 184(t6)\n sd a6, 192(t6)\n sd a7, 200(t6)\n"
      :
      :
      : "ra", "t0", "t1", "t2", "t3", "t4", "t5", "t6", "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9",
        "s10", "s11", "a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "memory");
}

static void check_registers(void) {
  usr1_count = usr2_count = 0;
  install(SIGUSR1, on_usr1);
  install(SIGUSR2, on_usr2);
  int parent = getpid();
  int pid = fork();
  if (pid == 0) {
    for (int i = 0; i < 20; i++) {
      sigsend(parent, SIGUSR1);
      sleep(1);
    }
    sigsend(parent, SIGUSR2);
    exit(0);
  }
  set_fp();
  spin_with_registers();
  get_fp();
  waitpid(pid, 0, 0);
  static const uint64 want[SAVED] = {0x1001, 0x1005, 0x1006, 0x1007, 0x101c, 0x101d, 0x101e, 0x1008, 0x1009,
                                     0x1012, 0x1013, 0x1014, 0x1015, 0x1016, 0x1017, 0x1018, 0x1019, 0x101a,
                                     0x101b, 0x100b, 0x100c, 0x100d, 0x100e, 0x100f, 0x1010, 0x1011};
  static char why[96];
  int ok = usr1_count > 0 && usr2_count == 1;
  snprintf(why, sizeof why, "handlers ran %d and %d times", usr1_count, usr2_count);
  for (int i = 0; ok && i < SAVED; i++) {
    if (sigtest_seen[i] != want[i]) {
      ok = 0;
      snprintf(why, sizeof why, "register %d of the loop is 0x%lx, not 0x%lx", i, sigtest_seen[i], want[i]);
    }
  }
  for (int i = 0; ok && i < 33; i++) {
    uint64 expect = i < 32 ? 0x2000 + (uint64)i : 0x2d;
    if (fp_seen[i] != expect) {
      ok = 0;
      snprintf(why, sizeof why, "%s%d is 0x%lx, not 0x%lx", i < 32 ? "f" : "fcsr", i < 32 ? i : 0, fp_seen[i], expect);
    }
  }
  report("registers", ok, why);
  printf("sigtest registers: %d signals handled in the loop\n", usr1_count);
  install(SIGUSR1, SIG_DFL);
  install(SIGUSR2, SIG_DFL);
}

static void check_mask(void) {
  usr1_count = 0;
  install(SIGUSR1, on_usr1);
  int before = sigprocmask(SIG_BLOCK, sigmask(SIGUSR1));
  sigsend(getpid(), SIGUSR1);
  int pending = (sigpending() & sigmask(SIGUSR1)) != 0;
  int ran_while_blocked = usr1_count;
  int was = sigprocmask(SIG_SETMASK, (uint)before);
  int ran_after = usr1_count;
  report("mask", pending && ran_while_blocked == 0 && ran_after == 1 && (was & sigmask(SIGUSR1)) != 0 &&
                     (sigpending() & sigmask(SIGUSR1)) == 0,
         "a blocked signal was delivered, or an unblocked one was not");
  install(SIGUSR1, SIG_DFL);
}

static void check_restart(void) {
  usr1_count = 0;
  install(SIGUSR1, on_usr1);
  int fds[2];
  if (pipe(fds) < 0) fail("sigtest: pipe");
  int parent = getpid();
  int pid = fork();
  if (pid == 0) {
    close(fds[0]);
    sleep(2);  // the parent is asleep in read by now
    sigsend(parent, SIGUSR1);
    sleep(2);
    write(fds[1], "data", 4);
    exit(0);
  }
  close(fds[1]);
  char buf[8];
  int n = read(fds[0], buf, sizeof buf);
  close(fds[0]);
  waitpid(pid, 0, 0);
  report("restart", n == 4 && memcmp(buf, "data", 4) == 0 && usr1_count == 1,
         "read did not go on after the handler, or the handler did not run");
  install(SIGUSR1, SIG_DFL);
}

static int proc_state(int pid, uint64 *cpu) {
  int n = procs(table, 64);
  for (int i = 0; i < n && i < 64; i++) {
    if (table[i].pid != pid) continue;
    if (cpu) *cpu = table[i].cpu_ns;
    return table[i].state;
  }
  return -1;
}

static void check_stopcont(void) {
  chld_count = 0;
  install(SIGCHLD, on_chld);
  int pid = fork();
  if (pid == 0)
    for (;;) __asm__ volatile("" ::: "memory");
  sleep(1);
  static char why[96] = "";
  int ok = 1, st = 0;
  sigsend(pid, SIGSTOP);
  int r = waitpid(pid, &st, WUNTRACED);
  if (r != pid || !WIFSTOPPED(st) || WSTOPSIG(st) != SIGSTOP) ok = 0, snprintf(why, sizeof why, "stop: waitpid %d status 0x%x", r, st);
  uint64 cpu1 = 0, cpu2 = 0;
  int state = proc_state(pid, &cpu1);
  sleep(5);
  proc_state(pid, &cpu2);
  if (ok && (state != PROC_STOPPED || cpu2 != cpu1)) ok = 0, snprintf(why, sizeof why, "stopped child: state %d, cpu %lu then %lu", state, cpu1, cpu2);
  if (ok && waitpid(pid, &st, WUNTRACED | WNOHANG) != 0) ok = 0, snprintf(why, sizeof why, "a stop was reported twice");
  sigsend(pid, SIGCONT);
  r = waitpid(pid, &st, WCONTINUED);
  if (ok && (r != pid || !WIFCONTINUED(st))) ok = 0, snprintf(why, sizeof why, "cont: waitpid %d status 0x%x", r, st);
  sleep(1);
  proc_state(pid, &cpu1);
  if (ok && cpu1 == cpu2) ok = 0, snprintf(why, sizeof why, "the continued child got no CPU");
  sigsend(pid, SIGTERM);
  r = waitpid(pid, &st, 0);
  if (ok && (r != pid || !WIFSIGNALED(st) || WTERMSIG(st) != SIGTERM)) ok = 0, snprintf(why, sizeof why, "term: waitpid %d status 0x%x", r, st);
  if (ok && chld_count < 3) ok = 0, snprintf(why, sizeof why, "SIGCHLD handled %d times, not 3", chld_count);
  report("stopcont", ok, why);
  install(SIGCHLD, SIG_DFL);
}

static void check_exitcode(void) {
  int st = 0;
  int pid = fork();
  if (pid == 0) exit(3);
  int r = waitpid(pid, &st, 0);
  int ok = r == pid && WIFEXITED(st) && WEXITSTATUS(st) == 3;
  pid = fork();
  if (pid == 0)
    for (;;) sleep(10);
  sigsend(pid, SIGINT);
  int raw = 0;
  r = wait(&raw);
  report("exitcode", ok && r == pid && raw == -1, "waitpid's exit status or wait's raw -1 for a signalled child is wrong");
}

static void check_ignore(void) {
  int ok = signal(SIGUSR1, SIG_IGN) != (sighandler_t)-1;
  sigsend(getpid(), SIGUSR1);  // would end the process if not ignored
  sigsend(getpid(), SIGCHLD);  // ignored by default
  ok = ok && (sigpending() & (sigmask(SIGUSR1) | sigmask(SIGCHLD))) == 0;
  ok = ok && signal(SIGKILL, SIG_IGN) == (sighandler_t)-1 && signal(SIGSTOP, on_usr1) == (sighandler_t)-1;
  ok = ok && sigsend(getpid(), 0) == 0 && sigsend(getpid(), 32) < 0 && sigsend(-1, SIGUSR1) < 0;
  signal(SIGUSR1, SIG_DFL);
  // An ignored signal stays ignored across exec, a caught one does not:
  // checked by the shell, which relies on it.
  report("ignore", ok, "SIG_IGN, SIGKILL/SIGSTOP protection or sigsend's checks are wrong");
}

static void check_groups(void) {
  int ok = 1;
  static char why[96] = "";
  int a = fork();
  if (a == 0) {
    setpgid(0, 0);
    for (;;) sleep(10);
  }
  setpgid(a, a);  // either side may do it first
  int b = fork();
  if (b == 0) {
    setpgid(0, a);
    for (;;) sleep(10);
  }
  setpgid(b, a);
  int c = fork();  // stays in the parent's group
  if (c == 0)
    for (;;) sleep(10);
  if (getpgid(a) != a || getpgid(b) != a || getpgid(c) != getpgid(0)) ok = 0, snprintf(why, sizeof why, "groups %d %d %d", getpgid(a), getpgid(b), getpgid(c));
  if (ok && setpgid(c, 99999) == 0) ok = 0, snprintf(why, sizeof why, "setpgid to a group that does not exist worked");
  sigsend(-a, SIGTERM);
  int st = 0;
  int r1 = waitpid(-a, &st, 0);
  int r2 = waitpid(-a, &st, 0);
  if (ok && !((r1 == a && r2 == b) || (r1 == b && r2 == a))) ok = 0, snprintf(why, sizeof why, "the group's members: %d %d", r1, r2);
  if (ok && proc_state(c, 0) == PROC_ZOMBIE) ok = 0, snprintf(why, sizeof why, "the signal reached a process outside the group");
  sigsend(c, SIGKILL);
  waitpid(c, 0, 0);
  int s = fork();
  if (s == 0) {
    int sid = setsid();
    exit(sid == getpid() && getsid(0) == getpid() && getpgid(0) == getpid() && setsid() < 0 ? 0 : 1);
  }
  waitpid(s, &st, 0);
  if (ok && !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) ok = 0, snprintf(why, sizeof why, "setsid in a child failed");
  report("groups", ok, why);
}

static void check_badframe(void) {
  // sp points at an ordinary stack here, with no frame: sigreturn refuses.
  report("badframe", sigreturn() == -1, "sigreturn without a frame did not fail");
}

static void check_ttou(void) {
  int me = getpgid(0);
  if (tcgetpgrp(0) != me) {
    report("ttou", 0, "sigtest is not the console's foreground job");
    return;
  }
  static char why[96] = "";
  int ok = 1, st = 0;
  int pid = fork();
  if (pid == 0) {
    setpgid(0, 0);            // a background group of the same session
    tcsetpgrp(0, getpgid(0)); // stops here (SIGTTOU)
    exit(tcgetpgrp(0) == getpgid(0) ? 7 : 8);
  }
  setpgid(pid, pid);
  int r = waitpid(pid, &st, WUNTRACED);
  if (r != pid || !WIFSTOPPED(st) || WSTOPSIG(st) != SIGTTOU) ok = 0, snprintf(why, sizeof why, "background tcsetpgrp: waitpid %d status 0x%x", r, st);
  if (tcgetpgrp(0) != me) ok = 0, snprintf(why, sizeof why, "the stopped process took the console");
  sigsend(pid, SIGKILL);
  waitpid(pid, 0, 0);
  pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    signal(SIGTTOU, SIG_IGN);
    int took = tcsetpgrp(0, getpgid(0)) == 0 && tcgetpgrp(0) == getpgid(0);
    tcsetpgrp(0, me);         // and back to sigtest
    exit(took ? 0 : 1);
  }
  setpgid(pid, pid);
  r = waitpid(pid, &st, 0);
  if (ok && (r != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)) ok = 0, snprintf(why, sizeof why, "with SIGTTOU ignored: status 0x%x", st);
  if (ok && tcgetpgrp(0) != me) ok = 0, snprintf(why, sizeof why, "the console did not come back");
  report("ttou", ok, why);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(2, "usage: sigtest CHECK... (registers mask restart stopcont exitcode ignore groups badframe ttou all)\n");
    return 2;
  }
  for (int i = 1; i < argc; i++) {
    int all = strcmp(argv[i], "all") == 0;
    if (all || strcmp(argv[i], "registers") == 0) check_registers();
    if (all || strcmp(argv[i], "mask") == 0) check_mask();
    if (all || strcmp(argv[i], "restart") == 0) check_restart();
    if (all || strcmp(argv[i], "stopcont") == 0) check_stopcont();
    if (all || strcmp(argv[i], "exitcode") == 0) check_exitcode();
    if (all || strcmp(argv[i], "ignore") == 0) check_ignore();
    if (all || strcmp(argv[i], "groups") == 0) check_groups();
    if (all || strcmp(argv[i], "badframe") == 0) check_badframe();
    if (strcmp(argv[i], "ttou") == 0) check_ttou();
  }
  return failed;
}
