// spin N SECONDS [NICE...]: start N CPU-bound children that count loop
// iterations for SECONDS seconds (child i runs at the i-th NICE, default
// 0), then report each one's loops, CPU time and share of the CPU the
// children got together, measured with procs() and clocknanos().
//
// Children report their counts through a pipe and then block on a second
// pipe until the parent has read procs(), so the CPU times it reads are
// final and no child is still competing.
#include "user.h"

#define MAX_SPINNERS 32
#define NS_PER_SEC 1000000000UL
#define CHECK_EVERY 4096  // loop iterations between clock reads

static struct procinfo table[256];

static void spinner(uint64 deadline, int report_fd, int release_fd) {
  uint64 loops = 0;
  for (;;) {
    for (int i = 0; i < CHECK_EVERY; i++) {
      loops++;
      __asm__ volatile("" ::: "memory");  // keep the loop from being folded away
    }
    if (clocknanos() >= deadline) break;
  }
  char line[64];
  int n = snprintf(line, sizeof line, "%d %lu\n", getpid(), loops);
  write(report_fd, line, n);
  char c;
  read(release_fd, &c, 1);  // returns 0 when the parent closes the pipe
  exit(0);
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(2, "usage: spin N SECONDS [NICE...]\n");
    return 2;
  }
  int n = atoi(argv[1]), seconds = atoi(argv[2]);
  if (n < 1 || n > MAX_SPINNERS || seconds < 1) {
    fprintf(2, "spin: need 1 <= N <= %d and SECONDS >= 1\n", MAX_SPINNERS);
    return 2;
  }
  int report[2], release[2];
  if (pipe(report) < 0 || pipe(release) < 0) fail("spin: pipe");

  int pids[MAX_SPINNERS], nices[MAX_SPINNERS];
  uint64 loops[MAX_SPINNERS];
  uint64 start = clocknanos();
  uint64 deadline = start + (uint64)seconds * NS_PER_SEC;
  for (int i = 0; i < n; i++) {
    nices[i] = 3 + i < argc ? atoi(argv[3 + i]) : 0;
    loops[i] = 0;
    int pid = fork();
    if (pid < 0) fail("spin: fork");
    if (pid == 0) {
      close(report[0]);
      close(release[1]);
      if (nices[i] != 0 && setnice(getpid(), nices[i]) < 0) perr("spin: setnice");
      spinner(deadline, report[1], release[0]);
    }
    pids[i] = pid;
  }
  close(report[1]);
  close(release[0]);

  // Each child writes one line; a line never exceeds what one read returns
  // from a pipe, but be careful and reassemble by newline anyway.
  static char buf[64 * MAX_SPINNERS];  // static: the stack is one page
  int have = 0, lines = 0, r;
  while (lines < n && (r = read(report[0], buf + have, (int)sizeof buf - have - 1)) > 0) {
    have += r;
    buf[have] = 0;
    lines = 0;
    for (int i = 0; i < have; i++) lines += buf[i] == '\n';
  }
  for (char *p = buf; *p;) {
    char *end;
    int pid = (int)strtol(p, &end, 10);
    uint64 count = (uint64)strtol(end, &end, 10);
    for (int i = 0; i < n; i++)
      if (pids[i] == pid) loops[i] = count;
    p = strchr(end, '\n');
    if (p == 0) break;
    p++;
  }
  uint64 elapsed = clocknanos() - start;

  int count = procs(table, 256);
  if (count < 0) perr("spin: procs");
  uint64 cpu[MAX_SPINNERS], total = 0;
  for (int i = 0; i < n; i++) {
    cpu[i] = 0;
    for (int k = 0; k < count && k < 256; k++)
      if (table[k].pid == pids[i]) cpu[i] = table[k].cpu_ns;
    total += cpu[i];
  }
  close(release[1]);  // lets the children exit
  for (int i = 0; i < n; i++) wait(0);

  printf("spin: %d children for %lu ms\n", n, elapsed / 1000000);
  printf("%5s %4s %12s %10s %7s\n", "PID", "NICE", "LOOPS", "CPU(ms)", "SHARE");
  for (int i = 0; i < n; i++) {
    uint64 tenths = total ? (cpu[i] * 1000 + total / 2) / total : 0;
    printf("%5d %4d %12lu %10lu %5lu.%lu%%\n", pids[i], nices[i], loops[i], cpu[i] / 1000000, tenths / 10, tenths % 10);
  }
  uint64 busy = elapsed ? (total * 1000 + elapsed / 2) / elapsed : 0;
  printf("children used %lu.%lu%% of the elapsed time\n", busy / 10, busy % 10);
  return 0;
}
