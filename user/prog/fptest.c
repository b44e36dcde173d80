// keel: rv64gc layout=lld
// fptest [fork|fresh]: floating point in a Keel process, built as a stock
// rv64gc/lp64d program (doubles in FP registers, the lp64d user library)
// with lld's default layout (segments from 0x10000, each starting mid-page).
//
//   fptest        computes with doubles and floats (series, a linear solve,
//                 Newton square roots against fsqrt.d, conversions, the
//                 rounding modes) and prints the results with %f, %e and %g;
//                 the output is the same under qemu-riscv64 (user/programs.test.ts)
//                 as in the shell (host/userland.test.ts)
//   fptest fork   FP state is per process: the parent sets f0..f31 and frm,
//                 forks; the child sets other values and another mode; both
//                 spin (CPU-bound, so the scheduler switches between them) and
//                 check their own registers and fcsr after every batch; the
//                 child then sets its state once more and execs `fptest fresh`
//   fptest fresh  checks that exec left f0..f31 zero and fcsr zero
// Exits 1, naming what differed, if a check fails.
#include "user.h"

// ---- Registers, set and checked from assembly so nothing else touches them ----

// f<n> = v + n for every n. Declares no clobbers on purpose: a clobber list
// would make the compiler save and restore fs0..fs11 around the statement,
// undoing it. The fork and fresh paths hold no double in a register.
#define SET(n) "fmv.d.x f" #n ", %0\n addi %0, %0, 1\n"
__attribute__((noinline)) static void fp_set(uint64 v) {
  __asm__ volatile(SET(0) SET(1) SET(2) SET(3) SET(4) SET(5) SET(6) SET(7) SET(8) SET(9) SET(10) SET(11) SET(12)
                       SET(13) SET(14) SET(15) SET(16) SET(17) SET(18) SET(19) SET(20) SET(21) SET(22) SET(23)
                           SET(24) SET(25) SET(26) SET(27) SET(28) SET(29) SET(30) SET(31)
                   : "+r"(v));
}

// The registers that differ from v + n, as a bit mask.
#define CHK(n) "fmv.x.d %1, f" #n "\n beq %1, %2, 1f\n ori %0, %0, 1\n 1: slli %0, %0, 1\n addi %2, %2, 1\n"
__attribute__((noinline)) static uint64 fp_differs(uint64 v) {
  uint64 mask = 0, t;
  __asm__ volatile(CHK(0) CHK(1) CHK(2) CHK(3) CHK(4) CHK(5) CHK(6) CHK(7) CHK(8) CHK(9) CHK(10) CHK(11) CHK(12)
                       CHK(13) CHK(14) CHK(15) CHK(16) CHK(17) CHK(18) CHK(19) CHK(20) CHK(21) CHK(22) CHK(23)
                           CHK(24) CHK(25) CHK(26) CHK(27) CHK(28) CHK(29) CHK(30) CHK(31)
                   : "+r"(mask), "=&r"(t), "+r"(v));
  return mask;
}

static uint64 fcsr_read(void) {
  uint64 v;
  __asm__ volatile("frcsr %0" : "=r"(v));
  return v;
}
static void fcsr_write(uint64 v) { __asm__ volatile("fscsr %0" ::"r"(v)); }

#define FRM_RTZ 1
#define FRM_RUP 3
#define FFLAGS_NX 1
#define FFLAGS_OF 4
#define SPIN_NS 40000000UL   // each process spins this long (40 ms of its clock)
#define GAP_NS 2000000UL     // a clock jump this large between checks: someone else ran
#define BATCH 2048

// Spins for SPIN_NS checking that the registers still hold v + n and fcsr
// holds `fcsr`; returns how many times it saw itself descheduled, or -1.
static int spin_checking(const char *who, uint64 v, uint64 fcsr) {
  uint64 start = clocknanos(), last = start, now;
  int gaps = 0;
  do {
    for (int i = 0; i < BATCH; i++) __asm__ volatile("" ::: "memory");
    uint64 bad = fp_differs(v);
    if (bad != 0 || fcsr_read() != fcsr) {
      fprintf(2, "fptest: %s: FP state changed: registers %lx, fcsr %lx (want %lx)\n", who, bad, fcsr_read(), fcsr);
      return -1;
    }
    now = clocknanos();
    if (now - last > GAP_NS) gaps++;
    last = now;
  } while (now - start < SPIN_NS);
  return gaps;
}

static int fork_test(void) {
  const uint64 parent_v = 0x4000000000000000UL, child_v = 0xC010000000000000UL;
  const uint64 parent_fcsr = (FRM_RUP << 5) | FFLAGS_NX, child_fcsr = (FRM_RTZ << 5) | FFLAGS_OF;
  fcsr_write(parent_fcsr);
  fp_set(parent_v);
  int pid = fork();
  if (pid < 0) fail("fptest: fork");
  if (pid == 0) {
    // The child starts with a copy of the parent's state.
    if (fp_differs(parent_v) != 0 || fcsr_read() != parent_fcsr) {
      fprintf(2, "fptest: child: fork did not copy the FP state\n");
      exit(1);
    }
    fcsr_write(child_fcsr);
    fp_set(child_v);
    int gaps = spin_checking("child", child_v, child_fcsr);
    if (gaps < 0) exit(1);
    printf("child: FP state intact, descheduled %s\n", gaps > 0 ? "yes" : "no");
    fcsr_write(0xff);
    fp_set(0x1234);
    char *argv[] = {"fptest", "fresh", 0};
    exec("fptest", argv);
    fail("fptest: exec");
  }
  int gaps = spin_checking("parent", parent_v, parent_fcsr);
  int status = -1;
  if (wait(&status) != pid) fail("fptest: wait");
  // The child ran, changed its state and exec'd: ours is untouched.
  if (gaps < 0 || fp_differs(parent_v) != 0 || fcsr_read() != parent_fcsr) {
    fprintf(2, "fptest: parent: FP state changed while the child ran\n");
    return 1;
  }
  printf("parent: FP state intact, descheduled %s\n", gaps > 0 ? "yes" : "no");
  if (status != 0) {
    fprintf(2, "fptest: child exited %d\n", status);
    return 1;
  }
  printf("fork: OK\n");
  return 0;
}

static int fresh_test(void) {
  uint64 fcsr = fcsr_read();
  uint64 bad = fp_differs(0);
  // fp_differs(0) compares f<n> with n; zero registers differ except f0.
  uint64 zero_mask = 0;
  for (int n = 0; n < 32; n++) zero_mask = (zero_mask | (n != 0)) << 1;
  if (fcsr != 0 || bad != zero_mask) {
    fprintf(2, "fptest: fresh: exec left fcsr %lx, registers %lx (want 0, %lx)\n", fcsr, bad, zero_mask);
    return 1;
  }
  printf("fresh: fcsr and f0..f31 zero after exec\n");
  return 0;
}

// ---- Computation ------------------------------------------------------------------

static double newton_sqrt(double x) {
  double r = x > 1 ? x / 2 : 1;
  for (int i = 0; i < 1100; i++) {
    double next = 0.5 * (r + x / r);
    if (next == r) break;
    r = next;
  }
  return r;
}

static double hw_sqrt(double x) {
  double r;
  __asm__("fsqrt.d %0, %1" : "=f"(r) : "f"(x));
  return r;
}

// Solves a 4x4 system by Gaussian elimination with partial pivoting.
static void solve(double a[4][5], double x[4]) {
  for (int c = 0; c < 4; c++) {
    int p = c;
    for (int r = c + 1; r < 4; r++)
      if ((a[r][c] < 0 ? -a[r][c] : a[r][c]) > (a[p][c] < 0 ? -a[p][c] : a[p][c])) p = r;
    for (int k = 0; k < 5; k++) {
      double t = a[c][k];
      a[c][k] = a[p][k];
      a[p][k] = t;
    }
    for (int r = c + 1; r < 4; r++) {
      double f = a[r][c] / a[c][c];
      for (int k = c; k < 5; k++) a[r][k] -= f * a[c][k];
    }
  }
  for (int r = 3; r >= 0; r--) {
    double s = a[r][4];
    for (int k = r + 1; k < 4; k++) s -= a[r][k] * x[k];
    x[r] = s / a[r][r];
  }
}

static double exp_series(double x) {
  double term = 1, sum = 1;
  for (int n = 1; n < 40; n++) sum += term *= x / n;
  return sum;
}

// x converted to an integer under rounding mode frm (fcvt.l.d with the
// dynamic mode).
static long convert_with(double x, int frm) {
  long r;
  fcsr_write((uint64)frm << 5);
  __asm__ volatile("fcvt.l.d %0, %1, dyn" : "=r"(r) : "f"(x));
  fcsr_write(0);
  return r;
}

static int compute(void) {
  double pi = 0;
  for (int k = 0; k < 200000; k++) pi += (k % 2 ? -4.0 : 4.0) / (2 * k + 1);
  printf("leibniz pi   %.10f  %e  %g\n", pi, pi, pi);

  double h = 0;
  for (int n = 1; n <= 100000; n++) h += 1.0 / n;
  printf("harmonic     %.12f  %.3e  %12.5g|\n", h, h, h);

  float fs = 0;
  for (int n = 1; n <= 1000; n++) fs += 1.0f / (float)(n * n);
  printf("basel float  %.9f  %E  %G\n", (double)fs, (double)fs, (double)fs);

  static const double roots[] = {2, 10, 1e-300, 12345.678, 0.25, 1e300};
  for (int i = 0; i < 6; i++) {
    double n = newton_sqrt(roots[i]), s = hw_sqrt(roots[i]);
    printf("sqrt %-9g  %-24.17g %.17e %s\n", roots[i], s, n, n == s ? "same" : "differs");
  }

  double a[4][5] = {{4, -2, 1, 3, 7}, {2, 5, -1, 1, -3}, {1, 1, 6, -2, 11.5}, {3, -1, 2, 8, 0.25}};
  double x[4];
  solve(a, x);
  printf("solve        %+.6f %+.6f %+.6f %+.6f\n", x[0], x[1], x[2], x[3]);

  for (int i = -3; i <= 3; i++) {
    double e = exp_series(i * 2.5);
    printf("exp(%+5.1f) = %-14.8e %010.3f %g\n", i * 2.5, e, e, e);
  }

  static const double conv[] = {2.5, -2.5, 3.7, -3.2};
  static const char *modes[] = {"rne", "rtz", "rdn", "rup", "rmm"};
  for (int i = 0; i < 4; i++) {
    printf("%5.1f ->", conv[i]);
    for (int m = 0; m < 5; m++) printf(" %s %ld", modes[m], convert_with(conv[i], m));
    printf("\n");
  }

  volatile double big = 1e308, tiny = 5e-324;
  volatile double inf = big * 10;
  printf("edges        %g %g %g %g %.3f %e %G\n", inf, -big * 10, inf - inf, tiny, -0.0, tiny / 2, -(inf - inf));
  printf("fflags after overflow: %lx\n", fcsr_read() & 0x1f);
  return 0;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "fork") == 0) return fork_test();
  if (argc > 1 && strcmp(argv[1], "fresh") == 0) return fresh_test();
  if (argc > 1) {
    fprintf(2, "usage: fptest [fork|fresh]\n");
    return 2;
  }
  return compute();
}
