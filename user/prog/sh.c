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
// with a '/' is used as given. Built in: cd [DIR] (default /) and
// exit [STATUS]. The exit status of a line is that of its last
// foreground program.
#include "user.h"
#include "shparse.h"

#define LINE_MAX 1024
#define ARENA_SIZE (64 * 1024)
#define PATH_MAX 128
#define STATUS_NOT_FOUND 127
#define STATUS_SYNTAX 2

static char line[LINE_MAX];
static char arena[ARENA_SIZE];

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
  return cmd->argc > 0 && (strcmp(cmd->argv[0], "cd") == 0 || strcmp(cmd->argv[0], "exit") == 0);
}

// Runs in the shell itself; returns the status for the line.
static int builtin(const struct sh_command *cmd) {
  if (strcmp(cmd->argv[0], "exit") == 0) exit(cmd->argc > 1 ? atoi(cmd->argv[1]) : 0);
  const char *dir = cmd->argc > 1 ? cmd->argv[1] : "/";
  if (chdir(dir) < 0) {
    fprintf(2, "sh: cd: %s: %s\n", dir, lasterror());
    return 1;
  }
  return 0;
}

// The child side of one program of a pipeline: redirect, then exec.
static void run_program(const struct sh_command *cmd, int in, int out, int unused) {
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

// Starts every program of the job, connected by pipes. Unless the job is
// in the background, waits for all of them and returns the last one's
// status.
static int run_job(const struct sh_job *job) {
  if (job->length == 1 && !job->background && is_builtin(job->first)) return builtin(job->first);

  int *pids = (int *)malloc(sizeof(int) * (size_t)job->length);
  if (pids == 0) {
    fprintf(2, "sh: out of memory\n");
    return 1;
  }
  int started = 0, previous = -1, status = 0;
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
    if (pid == 0) run_program(cmd, previous, fds[1], fds[0]);
    pids[started++] = pid;
    if (previous >= 0) close(previous);
    if (fds[1] >= 0) close(fds[1]);
    previous = fds[0];
  }
  if (previous >= 0) close(previous);

  if (job->background) {
    if (started > 0) printf("[%d]\n", pids[started - 1]);
  } else {
    // wait() also returns earlier background jobs; note them and go on.
    int remaining = started;
    while (remaining > 0) {
      int st;
      int pid = wait(&st);
      if (pid < 0) break;
      int mine = 0;
      for (int i = 0; i < started; i++) {
        if (pids[i] != pid) continue;
        mine = 1;
        remaining--;
        if (i == started - 1 && status == 0) status = st;
      }
      if (!mine) printf("[%d] done, status %d\n", pid, st);
    }
  }
  free(pids);
  return status;
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
  int status = 0;
  for (;;) {
    if (interactive) fprintf(2, "$ ");
    int n = getline(input, line, sizeof line);
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
