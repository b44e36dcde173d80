// Keel user land: sigaction with its trampoline, signal(), and the names
// and descriptions of the signals (kill -NAME, the shell's job messages).
#include "user.h"

int __sys_sigaction(int sig, const struct sigaction *act, struct sigaction *old);
void __sigtramp(void);

int sigaction(int sig, const struct sigaction *act, struct sigaction *old) {
  if (act && act->handler != SIG_DFL && act->handler != SIG_IGN && act->restorer == 0) {
    struct sigaction with = *act;
    with.restorer = (uint64)__sigtramp;
    return __sys_sigaction(sig, &with, old);
  }
  return __sys_sigaction(sig, act, old);
}

sighandler_t signal(int sig, sighandler_t handler) {
  struct sigaction act, old;
  memset(&act, 0, sizeof act);
  act.handler = handler;
  if (sigaction(sig, &act, &old) < 0) return (sighandler_t)-1;
  return old.handler;
}

static const struct {
  int sig;
  const char *name;
  const char *descr;
} signals[] = {
    {SIGHUP, "HUP", "Hangup"},
    {SIGINT, "INT", "Interrupt"},
    {SIGQUIT, "QUIT", "Quit"},
    {SIGILL, "ILL", "Illegal instruction"},
    {SIGTRAP, "TRAP", "Trace/breakpoint trap"},
    {SIGABRT, "ABRT", "Aborted"},
    {SIGBUS, "BUS", "Bus error"},
    {SIGFPE, "FPE", "Floating point exception"},
    {SIGKILL, "KILL", "Killed"},
    {SIGUSR1, "USR1", "User defined signal 1"},
    {SIGSEGV, "SEGV", "Segmentation fault"},
    {SIGUSR2, "USR2", "User defined signal 2"},
    {SIGPIPE, "PIPE", "Broken pipe"},
    {SIGALRM, "ALRM", "Alarm clock"},
    {SIGTERM, "TERM", "Terminated"},
    {SIGCHLD, "CHLD", "Child exited"},
    {SIGCONT, "CONT", "Continued"},
    {SIGSTOP, "STOP", "Stopped (signal)"},
    {SIGTSTP, "TSTP", "Stopped"},
    {SIGTTIN, "TTIN", "Stopped (tty input)"},
    {SIGTTOU, "TTOU", "Stopped (tty output)"},
    {SIGURG, "URG", "Urgent I/O condition"},
    {SIGWINCH, "WINCH", "Window changed"},
};
#define NSIGNALS (sizeof signals / sizeof signals[0])

const char *signame(int sig) {
  for (uint i = 0; i < NSIGNALS; i++)
    if (signals[i].sig == sig) return signals[i].name;
  return 0;
}

const char *sigdescr(int sig) {
  for (uint i = 0; i < NSIGNALS; i++)
    if (signals[i].sig == sig) return signals[i].descr;
  return "Unknown signal";
}

int signum(const char *name) {
  if (isdigit((uchar)name[0])) {
    char *end;
    long n = strtol(name, &end, 10);
    return *end == 0 && n > 0 && n < NSIG ? (int)n : -1;
  }
  if (strncmp(name, "SIG", 3) == 0) name += 3;
  for (uint i = 0; i < NSIGNALS; i++)
    if (strcmp(signals[i].name, name) == 0) return signals[i].sig;
  return -1;
}
