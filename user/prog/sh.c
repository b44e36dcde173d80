// sh: the shell.
//
//   sh                 read commands from standard input, prompting "$ "
//                      when it is the console
//   sh FILE            read commands from FILE
//   sh -c 'COMMANDS'   run one command line and exit with its status
//
// A line holds jobs separated by ';' or '&' (background); a job is a
// pipeline of any length, each program with optional '<' and '>'
// redirections; '#' starts a comment; '...' and "..." quote. The grammar
// lives in user/lib/shparse.c. A bare program name NAME runs /NAME; a name
// with a '/' is used as given. Built in: cd [DIR] (default /), exit
// [STATUS], help [NAME], jobs, fg [%N], bg [%N], history. The exit status of a line
// is that of its last foreground program (128 + the signal when a signal
// ended it).
//
// Job control (docs/userland.md), when the shell reads the console: the
// shell leads its own session and holds the console; each job (pipeline)
// runs in a process group of its own, which gets the console's foreground
// while the shell waits for it, so Ctrl-C, Ctrl-\ and Ctrl-Z reach the job
// and not the shell (which ignores them itself). A job that stops (Ctrl-Z)
// goes into the job table and the prompt comes back; `fg` and `bg` continue
// it; background jobs that end are reported before the next prompt.
//
// On the console the line is read with readline (user/lib/readline.c): line
// editing, history kept in /.sh_history, Tab completion of commands and
// paths. Otherwise (a file, a pipe) lines are read as they come.
#include "user.h"
#include "shparse.h"
#include "help.h"
#include "readline.h"

#define LINE_MAX 1024
#define ARENA_SIZE (64 * 1024)
#define PATH_MAX 128
#define STATUS_NOT_FOUND 127
#define STATUS_SYNTAX 2

#define MAX_BUILTINS 16
#define MAX_JOBS 16
#define JOB_PROCS 32
#define JOB_TEXT 80
#define STATUS_SIGNALLED 128  // + the signal, as other shells report it

static char line[LINE_MAX];
static char arena[ARENA_SIZE];

// Job control is on when the shell reads the console and could take it.
static int job_control;
static int shell_pgid;

// A job: the processes of one pipeline, in one process group.
struct job {
  int id;                 // 1, 2, ...; 0 = a free entry
  int pgid;
  int pids[JOB_PROCS];    // 0 once reaped
  int count;
  int stopped;
  int background;
  int status;             // of the last program, once it has ended
  char text[JOB_TEXT];    // the command, for messages
};
static struct job jobs[MAX_JOBS];

// Makes fd become descriptor `target` (0 or 1) and closes the original;
// relies on dup returning the lowest free descriptor.
static void move_fd(int fd, int target) {
  if (fd == target) return;
  close(target);
  if (dup(fd) != target) {
    fprintf(2, "sh: cannot set up descriptor %d\n", target);
    exit(1);
  }
  close(fd);
}

static void resolve(const char *name, char *path) {
  if (strchr(name, '/')) strlcpy(path, name, PATH_MAX);
  else snprintf(path, PATH_MAX, "/%s", name);
}

static int is_builtin(const struct sh_command *cmd) {
  if (cmd->argc == 0) return 0;
  const struct help_entry *h = help_find(cmd->argv[0]);
  return h != 0 && h->kind == HELP_BUILTIN;
}

// ---- the job table ----

static int job_alive(const struct job *j) {
  for (int i = 0; i < j->count; i++)
    if (j->pids[i]) return 1;
  return 0;
}

static void describe(const struct sh_job *job, char *out) {
  int n = 0;
  out[0] = 0;
  for (const struct sh_command *c = job->first; c; c = c->next) {
    for (int i = 0; i < c->argc; i++) n += snprintf(out + n, JOB_TEXT - n > 0 ? (size_t)(JOB_TEXT - n) : 0, "%s%s", n ? " " : "", c->argv[i]);
    if (c->next) n += snprintf(out + n, JOB_TEXT - n > 0 ? (size_t)(JOB_TEXT - n) : 0, " |");
  }
  if (job->background) snprintf(out + n, JOB_TEXT - n > 0 ? (size_t)(JOB_TEXT - n) : 0, " &");
}

static struct job *job_new(void) {
  int id = 1;
  for (int i = 0; i < MAX_JOBS; i++)
    if (jobs[i].id >= id) id = jobs[i].id + 1;
  for (int i = 0; i < MAX_JOBS; i++) {
    if (jobs[i].id) continue;
    memset(&jobs[i], 0, sizeof jobs[i]);
    jobs[i].id = id;
    return &jobs[i];
  }
  return 0;
}

// The job with id (0: the latest one), or 0.
static struct job *job_find(int id) {
  struct job *best = 0;
  for (int i = 0; i < MAX_JOBS; i++) {
    if (!jobs[i].id) continue;
    if (id ? jobs[i].id == id : (!best || jobs[i].id > best->id)) best = &jobs[i];
  }
  return best;
}

// A status word as the shell's status: the exit code, or 128 + the signal.
static int shell_status(int st) {
  if (WIFSIGNALED(st)) return STATUS_SIGNALLED + WTERMSIG(st);
  if (WIFSTOPPED(st)) return STATUS_SIGNALLED + WSTOPSIG(st);
  return WEXITSTATUS(st);
}

// Records what waitpid said about pid; returns its job, or 0.
static struct job *note(int pid, int st) {
  for (int i = 0; i < MAX_JOBS; i++) {
    struct job *j = &jobs[i];
    if (!j->id) continue;
    for (int k = 0; k < j->count; k++) {
      if (j->pids[k] != pid) continue;
      if (WIFSTOPPED(st)) {
        j->stopped = 1;
      } else if (WIFCONTINUED(st)) {
        j->stopped = 0;  // continued from outside (kill -CONT)
      } else {
        j->pids[k] = 0;
        if (k == j->count - 1) j->status = shell_status(st);
      }
      return j;
    }
  }
  return 0;
}

// Says how a job that ended by a signal went (not for Ctrl-C: the ^C
// echo said it already).
static void say_signalled(int status) {
  int sig = status - STATUS_SIGNALLED;
  if (status > STATUS_SIGNALLED && sig != SIGINT) printf("%s\n", sigdescr(sig));
}

// Reports and frees background jobs that have ended.
static void report_done(void) {
  for (int i = 0; i < MAX_JOBS; i++) {
    struct job *j = &jobs[i];
    if (!j->id || job_alive(j)) continue;
    if (!job_control) printf("[%d] done, status %d\n", j->pgid, j->status);
    else if (j->status > STATUS_SIGNALLED) printf("[%d] %s  %s\n", j->id, sigdescr(j->status - STATUS_SIGNALLED), j->text);
    else if (j->status) printf("[%d] Exit %d  %s\n", j->id, j->status, j->text);
    else printf("[%d] Done  %s\n", j->id, j->text);
    j->id = 0;
  }
}

// Reaps whatever has ended or stopped without waiting.
static void poll_jobs(void) {
  int st;
  for (;;) {
    int pid = waitpid(-1, &st, WNOHANG | WUNTRACED | (job_control ? WCONTINUED : 0));
    if (pid <= 0) break;
    note(pid, st);
  }
}

// Waits until job j ends or stops; gives the console back to the shell.
// Returns the job's status.
static int wait_job(struct job *j) {
  while (job_alive(j) && !j->stopped) {
    int st;
    int pid = waitpid(-1, &st, job_control ? WUNTRACED : 0);
    if (pid < 0) break;
    note(pid, st);
  }
  if (job_control) tcsetpgrp(0, shell_pgid);
  if (j->stopped) {
    j->background = 0;
    printf("[%d]+ Stopped  %s\n", j->id, j->text);
    return STATUS_SIGNALLED + SIGTSTP;
  }
  int status = j->status;
  if (job_control) say_signalled(status);
  j->id = 0;
  return status;
}

// Continues job j in the foreground (fg) or the background (bg).
static int resume(struct job *j, int foreground) {
  j->stopped = 0;
  j->background = !foreground;
  if (foreground) {
    printf("%s\n", j->text);
    if (job_control) tcsetpgrp(0, j->pgid);
  } else {
    printf("[%d] %s\n", j->id, j->text);
  }
  if (sigsend(-j->pgid, SIGCONT) < 0) fprintf(2, "sh: cannot continue job %d: %s\n", j->id, lasterror());
  return foreground ? wait_job(j) : 0;
}

static int job_arg(const struct sh_command *cmd, const char *name, struct job **out) {
  int id = 0;
  if (cmd->argc > 1) id = atoi(cmd->argv[1][0] == '%' ? cmd->argv[1] + 1 : cmd->argv[1]);
  *out = job_find(id);
  if (*out) return 0;
  fprintf(2, "sh: %s: %s\n", name, cmd->argc > 1 ? "no such job" : "no current job");
  return 1;
}

static int help(const struct sh_command *cmd) {
  if (cmd->argc > 1) {
    const struct help_entry *h = help_find(cmd->argv[1]);
    if (!h) {
      fprintf(2, "sh: help: %s: no such command (help lists them)\n", cmd->argv[1]);
      return 1;
    }
    printf("usage: %s\n%s%s\n", h->usage, h->summary,
           h->kind == HELP_BUILTIN ? " (a shell builtin)" : h->kind == HELP_TEST ? " (a test program)" : h->kind == HELP_SERVICE ? " (a system service)" : "");
    return 0;
  }
  printf("Built into the shell:\n");
  for (int i = 0; help_at(i); i++)
    if (help_at(i)->kind == HELP_BUILTIN) printf("  %-12s %s\n", help_at(i)->name, help_at(i)->summary);
  printf("Programs:\n");
  for (int i = 0; help_at(i); i++)
    if (help_at(i)->kind == HELP_PROGRAM) printf("  %-12s %s\n", help_at(i)->name, help_at(i)->summary);
  printf("Tests and services:\n");
  for (int i = 0; help_at(i); i++)
    if (help_at(i)->kind == HELP_TEST || help_at(i)->kind == HELP_SERVICE) printf("  %-12s %s\n", help_at(i)->name, help_at(i)->summary);
  printf("help NAME says how to use one. Ctrl-C stops the running program, Ctrl-Z\n"
         "pauses it (fg or bg continue it), Ctrl-] opens the kernel monitor.\n");
  return 0;
}

// Runs in the shell itself; returns the status for the line.
static int builtin(const struct sh_command *cmd) {
  const char *name = cmd->argv[0];
  if (strcmp(name, "exit") == 0) exit(cmd->argc > 1 ? atoi(cmd->argv[1]) : 0);
  if (strcmp(name, "help") == 0) return help(cmd);
  if (strcmp(name, "history") == 0) {
    const struct rl_history *h = readline_history();
    for (int i = 0; i < h->count; i++) printf("%5d  %s\n", i + 1, h->lines[i]);
    return 0;
  }
  if (strcmp(name, "jobs") == 0) {
    int with_pgid = cmd->argc > 1 && strcmp(cmd->argv[1], "-l") == 0;
    poll_jobs();
    // In the order of their numbers (a new job may take an earlier entry).
    for (int last = 0;;) {
      struct job *j = 0;
      for (int i = 0; i < MAX_JOBS; i++)
        if (jobs[i].id > last && (!j || jobs[i].id < j->id)) j = &jobs[i];
      if (!j) break;
      last = j->id;
      printf("[%d] ", j->id);
      if (with_pgid) printf("%d ", j->pgid);
      printf("%-8s %s\n", j->stopped ? "Stopped" : job_alive(j) ? "Running" : "Done", j->text);
    }
    return 0;
  }
  if (strcmp(name, "fg") == 0 || strcmp(name, "bg") == 0) {
    struct job *j;
    if (job_arg(cmd, name, &j)) return 1;
    return resume(j, name[0] == 'f');
  }
  const char *dir = cmd->argc > 1 ? cmd->argv[1] : "/";
  if (chdir(dir) < 0) {
    fprintf(2, "sh: cd: %s: %s\n", dir, lasterror());
    return 1;
  }
  return 0;
}

// The signals the interactive shell ignores; its children get them back.
static const int job_signals[] = {SIGINT, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU};
#define NJOB_SIGNALS (int)(sizeof job_signals / sizeof job_signals[0])

// The child side of one program of a pipeline: join the job's group (and
// take the console for a foreground job: whichever of shell and child runs
// first does it), redirect, then exec.
static void run_program(const struct sh_command *cmd, int in, int out, int unused, int pgid, int foreground) {
  if (job_control) {
    setpgid(0, pgid);
    if (foreground) tcsetpgrp(0, getpgid(0));
    for (int i = 0; i < NJOB_SIGNALS; i++) signal(job_signals[i], SIG_DFL);
  }
  if (unused >= 0) close(unused);
  if (in >= 0) move_fd(in, 0);
  if (out >= 0) move_fd(out, 1);
  if (cmd->input) {
    int fd = open(cmd->input, O_RDONLY);
    if (fd < 0) {
      fprintf(2, "sh: %s: %s\n", cmd->input, lasterror());
      exit(1);
    }
    move_fd(fd, 0);
  }
  if (cmd->output) {
    int fd = open(cmd->output, O_WRONLY | O_CREATE | O_TRUNC);
    if (fd < 0) {
      fprintf(2, "sh: %s: %s\n", cmd->output, lasterror());
      exit(1);
    }
    move_fd(fd, 1);
  }
  if (cmd->argc == 0 || is_builtin(cmd)) exit(0);  // a builtin in a pipeline has no effect
  char path[PATH_MAX];
  resolve(cmd->argv[0], path);
  exec(path, cmd->argv);
  struct stat st;
  if (stat(path, &st) < 0) fprintf(2, "sh: %s: not found\n", cmd->argv[0]);
  else fprintf(2, "sh: %s: cannot execute: %s\n", cmd->argv[0], lasterror());
  exit(STATUS_NOT_FOUND);
}

// Starts every program of the job, connected by pipes, in one process
// group. Unless the job is in the background, waits for it to end (or
// stop) and returns the last program's status.
static int run_job(const struct sh_job *job) {
  if (job->length == 1 && !job->background && is_builtin(job->first)) return builtin(job->first);
  poll_jobs();
  if (!job_control) report_done();  // the prompt reports them otherwise
  struct job *j = job_new();
  if (j == 0) {
    fprintf(2, "sh: too many jobs (at most %d; jobs lists them)\n", MAX_JOBS);
    return 1;
  }
  if (job->length > JOB_PROCS) {
    fprintf(2, "sh: a pipeline may have at most %d programs\n", JOB_PROCS);
    j->id = 0;
    return 1;
  }
  describe(job, j->text);
  j->background = job->background;
  int previous = -1, status = 0;
  for (const struct sh_command *cmd = job->first; cmd; cmd = cmd->next) {
    int fds[2] = {-1, -1};
    if (cmd->next && pipe(fds) < 0) {
      fprintf(2, "sh: pipe: %s\n", lasterror());
      status = 1;
      break;
    }
    int pid = fork();
    if (pid < 0) {
      fprintf(2, "sh: fork: %s\n", lasterror());
      if (fds[0] >= 0) close(fds[0]), close(fds[1]);
      status = 1;
      break;
    }
    if (pid == 0) run_program(cmd, previous, fds[1], fds[0], j->pgid, !job->background);
    if (j->pgid == 0) j->pgid = pid;
    if (job_control) setpgid(pid, j->pgid);
    j->pids[j->count++] = pid;
    if (previous >= 0) close(previous);
    if (fds[1] >= 0) close(fds[1]);
    previous = fds[0];
  }
  if (previous >= 0) close(previous);
  if (j->count == 0) {
    j->id = 0;
    return status;
  }
  if (job->background) {
    if (job_control) printf("[%d] %d\n", j->id, j->pgid);
    else printf("[%d]\n", j->pids[j->count - 1]);
    return status;
  }
  if (job_control) tcsetpgrp(0, j->pgid);
  int st = wait_job(j);
  return status ? status : st;
}

static int run_line(const char *text) {
  char err[96];
  struct sh_job *jobs;
  if (sh_parse(text, arena, sizeof arena, &jobs, err, sizeof err) < 0) {
    fprintf(2, "sh: %s\n", err);
    return STATUS_SYNTAX;
  }
  int status = 0;
  for (struct sh_job *job = jobs; job; job = job->next) status = run_job(job);
  return status;
}

// Leads a session of its own (or, started from another shell, a group of
// its own in that shell's session) and takes the console; ignores the keys'
// signals, which are for the jobs.
static void start_job_control(void) {
  setsid();  // fails when already a group leader: then stay in the session
  if (getpgid(0) != getpid()) setpgid(0, 0);
  shell_pgid = getpgid(0);
  if (tcsetpgrp(0, shell_pgid) < 0) return;  // no console to control: no job control
  for (int i = 0; i < NJOB_SIGNALS; i++) signal(job_signals[i], SIG_IGN);
  job_control = 1;
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "-c") == 0) return run_line(argv[2]);
  int input = 0;
  if (argc == 2) {
    input = open(argv[1], O_RDONLY);
    if (input < 0) {
      fprintf(2, "sh: %s: %s\n", argv[1], lasterror());
      return 1;
    }
  } else if (argc > 2) {
    fprintf(2, "usage: sh [FILE | -c COMMANDS]\n");
    return 2;
  }
  struct stat st;
  int interactive = fstat(input, &st) == 0 && st.type == T_DEVICE;
  if (interactive) start_job_control();
  static const char *builtin_names[MAX_BUILTINS + 1];
  for (int i = 0, k = 0; help_at(i) && k < MAX_BUILTINS; i++)
    if (help_at(i)->kind == HELP_BUILTIN) builtin_names[k++] = help_at(i)->name;
  readline_builtins(builtin_names);
  int status = 0;
  for (;;) {
    int n;
    if (interactive) {
      poll_jobs();
      report_done();
      n = readline(input, "$ ", line, sizeof line);
    } else {
      n = getline(input, line, sizeof line);
    }
    if (n <= 0) break;
    if (line[n - 1] != '\n' && n == LINE_MAX - 1) {
      // Too long: drop the rest of it rather than run half a command.
      while (n == LINE_MAX - 1 && line[n - 1] != '\n') n = getline(input, line, sizeof line);
      fprintf(2, "sh: line too long (at most %d characters)\n", LINE_MAX - 2);
      status = STATUS_SYNTAX;
      continue;
    }
    status = run_line(line);
  }
  return status;
}
