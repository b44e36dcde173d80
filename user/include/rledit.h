// The line editor's core (user/lib/rledit.c): the edit buffer, the key
// decoder, history browsing, completion and the redrawing of the line, as
// pure functions over a struct with no I/O, so the host can test them.
// readline() (user/lib/readline.c, readline.h) drives it on the console in
// raw mode.
#ifndef KEEL_RLEDIT_H
#define KEEL_RLEDIT_H

#define RL_LINE_MAX 1024      // bytes of a line, with its NUL
#define RL_HISTORY_MAX 100    // lines kept
#define RL_OUT_MAX 8192       // redraw output of one key
#define RL_DEFAULT_COLS 80    // until the terminal tells its width
#define RL_ASK_COLS_AT 40     // a line this wide asks the terminal for its width

// What rl_feed reports after a byte.
enum {
  RL_MORE = 0,       // keep reading
  RL_ACCEPT = 1,     // Enter: the line is in buf
  RL_EOF = 2,        // Ctrl-D on an empty line
  RL_INTERRUPT = 3,  // Ctrl-C: the line was dropped
  RL_COMPLETE = 4,   // Tab: call rl_complete with the candidates
};

struct rl_history {
  int count;
  char *lines[RL_HISTORY_MAX];  // oldest first, malloc'd
};

struct rl_edit {
  char buf[RL_LINE_MAX];
  int len;                // bytes in buf (buf[len] is NUL)
  int pos;                // cursor, a byte offset at a character boundary
  // The key decoder.
  int esc;                // 0 text, 1 after ESC, 2 in CSI, 3 after ESC O
  int nparams;
  int params[2];
  int utf_need;           // continuation bytes still expected
  int utf_len;
  char utf[4];
  // History browsing: hindex == hist->count is the line being typed,
  // kept in scratch while older lines are shown.
  struct rl_history *hist;
  int hindex;
  char scratch[RL_LINE_MAX];
  char kill[RL_LINE_MAX]; // the last text Ctrl-K, Ctrl-U or Ctrl-W removed (Ctrl-Y)
  int tabs;               // consecutive Tabs so far
  // The display: the prompt, the terminal's width, where the cursor is.
  const char *prompt;
  int prompt_cols;
  int cols;               // the terminal's width (RL_DEFAULT_COLS until known)
  int cols_known;
  int cols_asked;
  int crow;               // the cursor's row, counted from the prompt's row
  char out[RL_OUT_MAX];   // bytes to write to the terminal
  int outlen;
};

// Starts a line: empty buffer, the prompt already written at column 0.
// Keeps the width learnt by an earlier line (pass the same struct).
void rl_begin(struct rl_edit *e, const char *prompt, struct rl_history *hist);
// Takes one input byte; may append to e->out. Returns an RL_* code.
int rl_feed(struct rl_edit *e, int byte);
// For RL_COMPLETE: where the word being completed starts, where its last
// path component starts, and whether it names a command (the first word of
// a command, with no '/').
int rl_word_start(const struct rl_edit *e);
int rl_base_start(const struct rl_edit *e);
int rl_word_is_command(const struct rl_edit *e);
// Applies the candidates for the text from rl_base_start to the cursor
// (each a full name starting with it; dirs[i] nonzero for a directory):
// one is inserted, several are cut to their common prefix, and a second
// Tab lists them.
void rl_complete(struct rl_edit *e, const char *const *names, const char *dirs, int n);
// The display width of the bytes [from, to) of buf (wide characters take 2).
int rl_columns(const char *s, int from, int to);
// Redraws prompt and line (after the terminal changed under them).
void rl_refresh(struct rl_edit *e);

void rl_history_add(struct rl_history *h, const char *line);
void rl_history_clear(struct rl_history *h);

#endif
