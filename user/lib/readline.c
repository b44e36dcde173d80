// readline: one line from the console, edited. The console is put in raw
// mode (ttymode, call 122) for the time of the read, so every key comes
// here unechoed; the editing core (rledit.c) turns keys into edits and
// terminal output, which is written at once. Bytes are read one at a time,
// so what is typed ahead past the end of the line stays in the console for
// whoever reads next (the program the line starts, or the next prompt).
// Ctrl-C, Ctrl-\ and Ctrl-Z still raise their signals in the console; the
// key also arrives here, and Ctrl-C drops the line.
//
// History: the last RL_HISTORY_MAX lines, in RL_HISTORY_FILE, one a line,
// read at the first call and rewritten after each new line (silently kept
// in memory only when the root cannot be written, as on the boot file
// system). Completion: Tab completes a command name (the builtins given to
// readline_builtins and the programs in /: files that start with an ELF
// header) in a command's place, and a path anywhere else.
#include "user.h"
#include "readline.h"

#define MAX_CANDIDATES 256
#define NAME_MAX DIRSIZ

static struct rl_edit editor;
static struct rl_history history;
static int history_loaded;
static const char *const *builtins;

static char cand_names[MAX_CANDIDATES][NAME_MAX + 1];
static char cand_dirs[MAX_CANDIDATES];
static const char *cand_ptrs[MAX_CANDIDATES];
static int ncand;

void readline_builtins(const char *const *names) { builtins = names; }

const struct rl_history *readline_history(void) { return &history; }

static void load_history(void) {
  history_loaded = 1;
  int fd = open(RL_HISTORY_FILE, O_RDONLY);
  if (fd < 0) return;
  static char line[RL_LINE_MAX];  // the stack is one page
  int n;
  while ((n = getline(fd, line, sizeof line)) > 0) {
    if (line[n - 1] == '\n') line[--n] = 0;
    rl_history_add(&history, line);
  }
  close(fd);
}

static void save_history(void) {
  int fd = open(RL_HISTORY_FILE, O_WRONLY | O_CREATE | O_TRUNC);
  if (fd < 0) return;
  for (int i = 0; i < history.count; i++) {
    write(fd, history.lines[i], strlen(history.lines[i]));
    write(fd, "\n", 1);
  }
  close(fd);
}

static void add_candidate(const char *name, int dir) {
  for (int i = 0; i < ncand; i++)
    if (strcmp(cand_names[i], name) == 0) return;
  if (ncand == MAX_CANDIDATES) return;
  // Kept in order, so a list reads alphabetically.
  int at = ncand;
  while (at > 0 && strcmp(cand_names[at - 1], name) > 0) at--;
  memmove(cand_names[at + 1], cand_names[at], (ncand - at) * sizeof cand_names[0]);
  memmove(cand_dirs + at + 1, cand_dirs + at, ncand - at);
  strlcpy(cand_names[at], name, sizeof cand_names[at]);
  cand_dirs[at] = dir;
  ncand++;
}

static int is_program(const char *path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return 0;
  char magic[4];
  int n = read(fd, magic, 4);
  close(fd);
  return n == 4 && magic[0] == 0x7f && magic[1] == 'E' && magic[2] == 'L' && magic[3] == 'F';
}

// Names in directory `dir` that start with prefix (dot files only for a
// prefix that starts with a dot); programs only, for a command.
static void scan_dir(const char *dir, const char *prefix, int programs) {
  int fd = open(dir[0] ? dir : ".", O_RDONLY);
  if (fd < 0) return;
  struct dirent de;
  int plen = strlen(prefix);
  while (read(fd, &de, sizeof de) == sizeof de) {
    if (de.inum == 0) continue;
    char name[NAME_MAX + 1];
    memcpy(name, de.name, NAME_MAX);
    name[NAME_MAX] = 0;
    if (strncmp(name, prefix, plen) != 0) continue;
    if (name[0] == '.' && prefix[0] != '.') continue;
    static char path[RL_LINE_MAX];
    snprintf(path, sizeof path, "%s%s%s", dir, dir[0] && dir[strlen(dir) - 1] != '/' ? "/" : "", name);
    struct stat st;
    if (stat(path, &st) < 0) continue;
    if (programs) {
      if (st.type == T_FILE && is_program(path)) add_candidate(name, 0);
    } else {
      add_candidate(name, st.type == T_DIR);
    }
  }
  close(fd);
}

static void complete(struct rl_edit *e) {
  int word = rl_word_start(e), base = rl_base_start(e);
  static char dir[RL_LINE_MAX], prefix[RL_LINE_MAX];
  memcpy(dir, e->buf + word, base - word);
  dir[base - word] = 0;
  memcpy(prefix, e->buf + base, e->pos - base);
  prefix[e->pos - base] = 0;
  ncand = 0;
  if (rl_word_is_command(e)) {
    for (int i = 0; builtins && builtins[i]; i++)
      if (strncmp(builtins[i], prefix, strlen(prefix)) == 0) add_candidate(builtins[i], 0);
    scan_dir("/", prefix, 1);
  } else {
    scan_dir(dir, prefix, 0);
  }
  for (int i = 0; i < ncand; i++) cand_ptrs[i] = cand_names[i];
  rl_complete(e, cand_ptrs, cand_dirs, ncand);
}

static void flush(int fd, struct rl_edit *e) {
  if (e->outlen > 0) write(fd, e->out, e->outlen);
  e->outlen = 0;
}

int readline(int fd, const char *prompt, char *buf, int max) {
  if (ttymode(fd, TTY_RAW) < 0) {
    fprintf(2, "%s", prompt);
    return getline(fd, buf, max);
  }
  if (!history_loaded) load_history();
  struct rl_edit *e = &editor;
  rl_begin(e, prompt, &history);
  write(2, prompt, strlen(prompt));
  int result = RL_MORE;
  while (result != RL_ACCEPT && result != RL_EOF && result != RL_INTERRUPT) {
    char c;
    if (read(fd, &c, 1) != 1) {
      result = RL_EOF;
      break;
    }
    result = rl_feed(e, (unsigned char)c);
    if (result == RL_COMPLETE) complete(e);
    flush(2, e);
  }
  ttymode(fd, TTY_COOKED);
  if (result == RL_EOF) return 0;
  if (result == RL_INTERRUPT) e->len = 0;
  int n = e->len < max - 2 ? e->len : max - 2;
  memcpy(buf, e->buf, n);
  buf[n] = '\n';
  buf[n + 1] = 0;
  if (result == RL_ACCEPT && n > 0) {
    buf[n] = 0;
    const char *last = history.count > 0 ? history.lines[history.count - 1] : 0;
    rl_history_add(&history, buf);
    if (history.count > 0 && history.lines[history.count - 1] != last) save_history();
    buf[n] = '\n';
  }
  return n + 1;
}
