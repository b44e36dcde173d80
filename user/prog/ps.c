// ps: list processes from procs(): pid, parent, state, nice, scheduling
// class and real-time priority (from sched_get: what it runs at now, marked
// * while inherited from a caller it serves), CPU time, memory, context
// switches, threads and name.
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

/** The class as Linux's ps -c names them: TS fair, FF FIFO, RR, B batch, IDL idle. */
static const char *class_name(int policy) {
  switch (policy) {
  case SCHED_FAIR: return "TS";
  case SCHED_FIFO: return "FF";
  case SCHED_RR: return "RR";
  case SCHED_BATCH: return "B";
  case SCHED_IDLE: return "IDL";
  default: return "?";
  }
}

int main(void) {
  int n = procs(table, MAX_PROCS);
  if (n < 0) fail("ps: procs");
  if (n > MAX_PROCS) n = MAX_PROCS;
  printf("%5s %5s %-8s %4s %-4s %3s %10s %8s %8s %3s %4s %s\n", "PID", "PPID", "STATE", "NICE", "CLS", "PRI", "CPU(ms)", "MEM(K)",
         "SWITCHES", "THR", "VCPU", "NAME");
  for (int i = 0; i < n; i++) {
    struct procinfo *p = &table[i];
    char name[PROC_NAME_LEN + 1];
    memcpy(name, p->name, PROC_NAME_LEN);
    name[PROC_NAME_LEN] = 0;
    struct schedinfo si;
    char cls[8] = "-", pri[8] = "-";
    if (sched_get(p->pid, &si) == 0) {  // a zombie has no class any more
      int inherited = si.eff_policy != si.policy || si.eff_priority != si.priority;
      snprintf(cls, sizeof cls, "%s%s", class_name(si.eff_policy), inherited ? "*" : "");
      if (si.eff_priority > 0) snprintf(pri, sizeof pri, "%d", si.eff_priority);
    }
    printf("%5d %5d %-8s %4d %-4s %3s %10lu %8lu %8lu %3d %4d %s\n", p->pid, p->ppid, state_name(p->state), p->nice, cls, pri,
           p->cpu_ns / 1000000, p->mem_bytes / 1024, p->switches, p->threads, p->cpu, name);
  }
  return 0;
}
