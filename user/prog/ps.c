// ps: list processes from procs(): pid, parent, state, nice, CPU time,
// memory, context switches and name.
#include "user.h"

#define MAX_PROCS 256

static struct procinfo table[MAX_PROCS];

static const char *state_name(int state) {
  switch (state) {
  case PROC_RUNNABLE: return "runnable";
  case PROC_RUNNING: return "running";
  case PROC_SLEEPING: return "sleeping";
  case PROC_ZOMBIE: return "zombie";
  case PROC_STOPPED: return "stopped";
  default: return "?";
  }
}

int main(void) {
  int n = procs(table, MAX_PROCS);
  if (n < 0) fail("ps: procs");
  if (n > MAX_PROCS) n = MAX_PROCS;
  printf("%5s %5s %-8s %4s %10s %8s %8s %s\n", "PID", "PPID", "STATE", "NICE", "CPU(ms)", "MEM(K)", "SWITCHES", "NAME");
  for (int i = 0; i < n; i++) {
    struct procinfo *p = &table[i];
    char name[PROC_NAME_LEN + 1];
    memcpy(name, p->name, PROC_NAME_LEN);
    name[PROC_NAME_LEN] = 0;
    printf("%5d %5d %-8s %4d %10lu %8lu %8lu %s\n", p->pid, p->ppid, state_name(p->state), p->nice, p->cpu_ns / 1000000,
           p->mem_bytes / 1024, p->switches, name);
  }
  return 0;
}
