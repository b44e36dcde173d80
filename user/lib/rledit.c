// The line editor's core: a byte at a time in, edits of one line buffer
// and the terminal output that shows them out. No I/O of its own (see
// rledit.h); user/lib/readline.c reads the console and writes e->out.
//
// The buffer holds UTF-8: only complete sequences are inserted, so a
// character starts at every byte that is not a continuation byte, and the
// cursor moves, and Backspace and Delete remove, a character at a time.
//
// The display follows the terminal's own wrapping of prompt and line over
// rows of e->cols columns. The cursor's row from the prompt's row (crow) is
// all the state a redraw needs: it goes up crow rows, clears to the end of
// the screen, writes prompt and line, and moves up and right to the cursor.
// Whenever the text ends exactly at the end of a row it writes CR LF, so the
// terminal never holds a pending wrap. Typing at the end of the line and
// Backspace there are written as the character or "\b \b", so the common
// transcript is what a cooked terminal shows.
#include "user.h"
#include "rledit.h"

// Keys, as control codes.
#define CTRL(c) ((c) & 0x1f)
#define KEY_ESC 0x1b
#define KEY_DEL 0x7f

static int is_cont(int b) { return (b & 0xc0) == 0x80; }

// ---- output ----

static void out_bytes(struct rl_edit *e, const char *s, int n) {
  if (n > RL_OUT_MAX - e->outlen) n = RL_OUT_MAX - e->outlen;  // cannot happen for a line of RL_LINE_MAX
  memcpy(e->out + e->outlen, s, n);
  e->outlen += n;
}
static void out_str(struct rl_edit *e, const char *s) { out_bytes(e, s, strlen(s)); }
static void out_num(struct rl_edit *e, int n) {
  char digits[12];
  int i = sizeof digits;
  do digits[--i] = '0' + n % 10; while ((n /= 10) > 0);
  out_bytes(e, digits + i, sizeof digits - i);
}
// ESC [ n <final>, for a count n > 0.
static void out_csi(struct rl_edit *e, int n, char final) {
  if (n <= 0) return;
  out_str(e, "\x1b[");
  if (n != 1) out_num(e, n);
  out_bytes(e, &final, 1);
}

// ---- characters and columns ----

static int decode(const char *s, int i, int *cp) {
  int b = (unsigned char)s[i];
  int n = b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
  int v = n == 1 ? b : n == 2 ? b & 0x1f : n == 3 ? b & 0x0f : b & 0x07;
  for (int k = 1; k < n; k++) v = (v << 6) | ((unsigned char)s[i + k] & 0x3f);
  *cp = v;
  return n;
}

// East Asian wide and emoji ranges take two columns, combining marks none.
static int cp_width(int cp) {
  if (cp >= 0x300 && cp <= 0x36f) return 0;
  if ((cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf && cp != 0x303f) ||
      (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xfe30 && cp <= 0xfe4f) ||
      (cp >= 0xff00 && cp <= 0xff60) || (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1f64f) ||
      (cp >= 0x1f900 && cp <= 0x1f9ff) || (cp >= 0x20000 && cp <= 0x3fffd))
    return 2;
  return 1;
}

int rl_columns(const char *s, int from, int to) {
  int cols = 0;
  for (int i = from; i < to;) {
    int cp;
    int n = decode(s, i, &cp);
    cols += cp_width(cp);
    i += n;
  }
  return cols;
}

static int prev_char(const struct rl_edit *e, int pos) {
  if (pos <= 0) return 0;
  pos--;
  while (pos > 0 && is_cont((unsigned char)e->buf[pos])) pos--;
  return pos;
}
static int next_char(const struct rl_edit *e, int pos) {
  if (pos >= e->len) return e->len;
  pos++;
  while (pos < e->len && is_cont((unsigned char)e->buf[pos])) pos++;
  return pos;
}

// ---- the display ----

// If the width is not known yet and the line reaches RL_ASK_COLS_AT
// columns, ask the terminal once: move far right, report the cursor
// position (ESC [ row ; col R arrives as input), come back.
static void maybe_ask_cols(struct rl_edit *e, int total) {
  if (e->cols_known || e->cols_asked || total < RL_ASK_COLS_AT) return;
  e->cols_asked = 1;
  out_str(e, "\x1b" "7\x1b[999C\x1b[6n\x1b" "8");
}

// Writes prompt and line from the prompt's row and puts the cursor at pos.
static void draw_from_start(struct rl_edit *e) {
  out_str(e, e->prompt);
  out_bytes(e, e->buf, e->len);
  int total = e->prompt_cols + rl_columns(e->buf, 0, e->len);
  if (total > 0 && total % e->cols == 0) out_str(e, "\r\n");
  int end_row = total / e->cols;
  int at = e->prompt_cols + rl_columns(e->buf, 0, e->pos);
  int row = at / e->cols, col = at % e->cols;
  if (e->pos != e->len) {
    out_csi(e, end_row - row, 'A');
    out_str(e, "\r");
    out_csi(e, col, 'C');
  }
  e->crow = row;
  maybe_ask_cols(e, total);
}

void rl_refresh(struct rl_edit *e) {
  out_csi(e, e->crow, 'A');
  out_str(e, "\r\x1b[J");
  draw_from_start(e);
}

// ---- editing ----

// Whether the line from byte `from` to its end (as it is now) lies on the
// row the cursor is on, ending before the row's last column, with only
// narrow characters: then it can be rewritten in place.
static int same_row_tail(const struct rl_edit *e, int from) {
  int start = e->prompt_cols + rl_columns(e->buf, 0, from);
  int total = e->prompt_cols + rl_columns(e->buf, 0, e->len);
  int chars = 0;
  for (int i = from; i < e->len; i++) chars += !is_cont((unsigned char)e->buf[i]);
  return start / e->cols == e->crow && total / e->cols == e->crow && total % e->cols != 0 && chars == total - start;
}

static void insert_bytes(struct rl_edit *e, const char *s, int n) {
  if (e->len + n > RL_LINE_MAX - 2) {  // room for the shell's newline and NUL
    out_str(e, "\a");
    return;
  }
  memmove(e->buf + e->pos + n, e->buf + e->pos, e->len - e->pos);
  memcpy(e->buf + e->pos, s, n);
  e->len += n;
  e->pos += n;
  e->buf[e->len] = 0;
  if (e->pos == e->len) {
    // At the end: the text alone, as a terminal would echo it, when the
    // terminal's wrapping cannot differ from ours (no wide character, or
    // one wide character that fits its row).
    int total = e->prompt_cols + rl_columns(e->buf, 0, e->len);
    int width = rl_columns(s, 0, n), chars = 0;
    for (int i = 0; i < n; i++) chars += !is_cont((unsigned char)s[i]);
    if (width == chars || (chars == 1 && width == 2 && total % e->cols != 1)) {
      out_bytes(e, s, n);
      if (total % e->cols == 0) out_str(e, "\r\n");
      e->crow = total / e->cols;
      maybe_ask_cols(e, total);
      return;
    }
  } else if (same_row_tail(e, e->pos - n)) {
    // In the middle, with the rest of the line on this row: the text and
    // the rest of the line, and back.
    out_bytes(e, e->buf + e->pos - n, e->len - (e->pos - n));
    out_csi(e, rl_columns(e->buf, e->pos, e->len), 'D');
    return;
  }
  rl_refresh(e);
}

static void delete_range(struct rl_edit *e, int from, int to, int keep) {
  if (to <= from) return;
  if (keep) {
    memcpy(e->kill, e->buf + from, to - from);
    e->kill[to - from] = 0;
  }
  int at_end = to == e->len && e->pos == to;
  int width = rl_columns(e->buf, from, to);
  memmove(e->buf + from, e->buf + to, e->len - to);
  e->len -= to - from;
  e->buf[e->len] = 0;
  e->pos = from;
  int col = (e->prompt_cols + rl_columns(e->buf, 0, from)) % e->cols;
  if (at_end && width == 1 && col < e->cols - 1) {
    // Backspace at the end, within a row: rub the character out.
    out_str(e, "\b \b");
    return;
  }
  rl_refresh(e);
}

static void move_to(struct rl_edit *e, int pos) {
  if (pos == e->pos) return;
  int from = e->prompt_cols + rl_columns(e->buf, 0, e->pos);
  int to = e->prompt_cols + rl_columns(e->buf, 0, pos);
  e->pos = pos;
  if (from / e->cols == to / e->cols) {
    // Within the row: a cursor movement alone.
    if (to < from) out_csi(e, from - to, 'D');
    else out_csi(e, to - from, 'C');
    return;
  }
  // To another row: up or down, then to the column (the cursor never waits
  // on a pending wrap, so the rows are where the columns say).
  int row = to / e->cols;
  if (row < e->crow) out_csi(e, e->crow - row, 'A');
  else out_csi(e, row - e->crow, 'B');
  out_str(e, "\r");
  out_csi(e, to % e->cols, 'C');
  e->crow = row;
}

static int is_space(int c) { return c == ' ' || c == '\t'; }

static int word_left(const struct rl_edit *e, int pos) {
  while (pos > 0 && is_space(e->buf[pos - 1])) pos--;
  while (pos > 0 && !is_space(e->buf[pos - 1])) pos--;
  return pos;
}
static int word_right(const struct rl_edit *e, int pos) {
  while (pos < e->len && is_space(e->buf[pos])) pos++;
  while (pos < e->len && !is_space(e->buf[pos])) pos++;
  return pos;
}

static void set_line(struct rl_edit *e, const char *s) {
  int n = strlen(s);
  if (n > RL_LINE_MAX - 2) n = RL_LINE_MAX - 2;
  while (n > 0 && is_cont((unsigned char)s[n]) && n < (int)strlen(s)) n--;  // never cut a character
  memcpy(e->buf, s, n);
  e->buf[n] = 0;
  e->len = n;
  e->pos = n;
  rl_refresh(e);
}

static void history_move(struct rl_edit *e, int delta) {
  struct rl_history *h = e->hist;
  if (h == 0) return;
  int to = e->hindex + delta;
  if (to < 0 || to > h->count) {
    out_str(e, "\a");
    return;
  }
  if (e->hindex == h->count) {
    memcpy(e->scratch, e->buf, e->len + 1);
  }
  e->hindex = to;
  set_line(e, to == h->count ? e->scratch : h->lines[to]);
}

void rl_begin(struct rl_edit *e, const char *prompt, struct rl_history *hist) {
  e->len = 0;
  e->pos = 0;
  e->buf[0] = 0;
  e->esc = 0;
  e->utf_need = 0;
  e->utf_len = 0;
  e->hist = hist;
  e->hindex = hist ? hist->count : 0;
  e->scratch[0] = 0;
  e->tabs = 0;
  e->prompt = prompt;
  e->prompt_cols = rl_columns(prompt, 0, strlen(prompt));
  if (!e->cols_known) e->cols = RL_DEFAULT_COLS;
  e->crow = 0;
  e->outlen = 0;
}

// The terminal answered the width question (ESC [ row ; col R).
static void learn_cols(struct rl_edit *e, int cols) {
  if (cols < 2 || cols > 1000) return;
  e->cols_known = 1;
  if (cols == e->cols) return;
  // Where the terminal really put the cursor: the line was typed straight
  // out, so it wrapped at the true width.
  int at = e->prompt_cols + rl_columns(e->buf, 0, e->pos);
  e->cols = cols;
  e->crow = at / cols;
  rl_refresh(e);
}

// A decoded key. Returns an RL_* code.
static int key(struct rl_edit *e, int k) {
  if (k != '\t') e->tabs = 0;
  switch (k) {
    case '\r':
    case '\n': {
      if (e->pos != e->len) move_to(e, e->len);
      int total = e->prompt_cols + rl_columns(e->buf, 0, e->len);
      if (total == 0 || total % e->cols != 0) out_str(e, "\r\n");  // else the line ended with one
      return RL_ACCEPT;
    }
    case CTRL('c'):
      if (e->pos != e->len) move_to(e, e->len);
      out_str(e, "^C\r\n");
      e->len = e->pos = 0;
      e->buf[0] = 0;
      return RL_INTERRUPT;
    case CTRL('d'):
      if (e->len == 0) {
        out_str(e, "\r\n");
        return RL_EOF;
      }
      delete_range(e, e->pos, next_char(e, e->pos), 0);
      return RL_MORE;
    case CTRL('a'): move_to(e, 0); return RL_MORE;
    case CTRL('e'): move_to(e, e->len); return RL_MORE;
    case CTRL('b'): move_to(e, prev_char(e, e->pos)); return RL_MORE;
    case CTRL('f'): move_to(e, next_char(e, e->pos)); return RL_MORE;
    case CTRL('h'):
    case KEY_DEL: delete_range(e, prev_char(e, e->pos), e->pos, 0); return RL_MORE;
    case CTRL('k'): delete_range(e, e->pos, e->len, 1); return RL_MORE;
    case CTRL('u'): delete_range(e, 0, e->pos, 1); return RL_MORE;
    case CTRL('w'): delete_range(e, word_left(e, e->pos), e->pos, 1); return RL_MORE;
    case CTRL('y'): if (e->kill[0]) insert_bytes(e, e->kill, strlen(e->kill)); return RL_MORE;
    case CTRL('l'):
      out_str(e, "\x1b[H\x1b[2J");
      e->crow = 0;
      draw_from_start(e);
      return RL_MORE;
    case CTRL('p'): history_move(e, -1); return RL_MORE;
    case CTRL('n'): history_move(e, 1); return RL_MORE;
    case '\t':
      e->tabs++;
      return RL_COMPLETE;
    default:
      return RL_MORE;  // other control keys (Ctrl-Z, Ctrl-\ raised their signals in the kernel)
  }
}

// Keys only escape sequences name.
enum { K_UP = 0x100, K_DOWN, K_RIGHT, K_LEFT, K_HOME, K_END, K_DELETE, K_WORD_LEFT, K_WORD_RIGHT, K_WORD_RUBOUT };

static int special(struct rl_edit *e, int k) {
  e->tabs = 0;
  switch (k) {
    case K_UP: history_move(e, -1); break;
    case K_DOWN: history_move(e, 1); break;
    case K_RIGHT: move_to(e, next_char(e, e->pos)); break;
    case K_LEFT: move_to(e, prev_char(e, e->pos)); break;
    case K_HOME: move_to(e, 0); break;
    case K_END: move_to(e, e->len); break;
    case K_DELETE: delete_range(e, e->pos, next_char(e, e->pos), 0); break;
    case K_WORD_LEFT: move_to(e, word_left(e, e->pos)); break;
    case K_WORD_RIGHT: move_to(e, word_right(e, e->pos)); break;
    case K_WORD_RUBOUT: delete_range(e, word_left(e, e->pos), e->pos, 1); break;
  }
  return RL_MORE;
}

// The final byte of ESC [ ... or ESC O ...
static int csi_final(struct rl_edit *e, int c) {
  e->tabs = 0;  // any key but Tab ends a run of Tabs
  int p0 = e->nparams > 0 ? e->params[0] : 0;
  int p1 = e->nparams > 1 ? e->params[1] : 0;
  int ctrl = p1 == 5 || p1 == 3;  // Ctrl- or Alt-arrow: a word
  switch (c) {
    case 'A': return special(e, K_UP);
    case 'B': return special(e, K_DOWN);
    case 'C': return special(e, ctrl ? K_WORD_RIGHT : K_RIGHT);
    case 'D': return special(e, ctrl ? K_WORD_LEFT : K_LEFT);
    case 'H': return special(e, K_HOME);
    case 'F': return special(e, K_END);
    case 'R':
      if (e->nparams == 2) learn_cols(e, p1);
      return RL_MORE;
    case '~':
      if (p0 == 1 || p0 == 7) return special(e, K_HOME);
      if (p0 == 4 || p0 == 8) return special(e, K_END);
      if (p0 == 3) return special(e, K_DELETE);
      return RL_MORE;
    default:
      return RL_MORE;
  }
}

int rl_feed(struct rl_edit *e, int c) {
  c &= 0xff;
  if (e->esc == 1) {
    e->esc = 0;
    if (c == '[') {
      e->esc = 2;
      e->nparams = 0;
      e->params[0] = e->params[1] = 0;
      return RL_MORE;
    }
    if (c == 'O') {
      e->esc = 3;
      e->nparams = 0;
      return RL_MORE;
    }
    if (c == 'b') return special(e, K_WORD_LEFT);
    if (c == 'f') return special(e, K_WORD_RIGHT);
    if (c == KEY_DEL || c == CTRL('h')) return special(e, K_WORD_RUBOUT);
    if (c == KEY_ESC) {
      e->esc = 1;
      return RL_MORE;
    }
    e->tabs = 0;
    return RL_MORE;  // Alt and another key: not bound
  }
  if (e->esc == 2) {
    if (c >= '0' && c <= '9') {
      if (e->nparams == 0) e->nparams = 1;
      if (e->nparams <= 2 && e->params[e->nparams - 1] < 10000) e->params[e->nparams - 1] = e->params[e->nparams - 1] * 10 + c - '0';
      return RL_MORE;
    }
    if (c == ';') {
      if (e->nparams == 0) e->nparams = 1;
      e->nparams++;
      return RL_MORE;
    }
    if (c >= 0x20 && c < 0x40) return RL_MORE;  // private markers, intermediates
    e->esc = 0;
    if (e->nparams > 2) e->nparams = 2;
    return csi_final(e, c);
  }
  if (e->esc == 3) {
    e->esc = 0;
    return csi_final(e, c);
  }
  if (c >= 0x80) {
    if (is_cont(c)) {
      if (e->utf_need == 0) return RL_MORE;  // a stray continuation byte: dropped
      e->utf[e->utf_len++] = c;
      if (--e->utf_need == 0) {
        e->tabs = 0;
        insert_bytes(e, e->utf, e->utf_len);
      }
      return RL_MORE;
    }
    // A lead byte (a sequence cut short before it is dropped).
    e->utf_need = c >= 0xf8 ? 0 : c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
    e->utf_len = 0;
    if (e->utf_need) e->utf[e->utf_len++] = c;
    return RL_MORE;
  }
  e->utf_need = 0;
  if (c == KEY_ESC) {
    e->esc = 1;
    return RL_MORE;
  }
  if (c >= 0x20 && c < KEY_DEL) {
    char ch = c;
    e->tabs = 0;
    insert_bytes(e, &ch, 1);
    return RL_MORE;
  }
  return key(e, c);
}

// ---- completion ----

static int is_break(int c) { return c == ' ' || c == '\t' || c == '|' || c == ';' || c == '&' || c == '<' || c == '>'; }

int rl_word_start(const struct rl_edit *e) {
  int i = e->pos;
  while (i > 0 && !is_break(e->buf[i - 1])) i--;
  return i;
}

int rl_base_start(const struct rl_edit *e) {
  int i = e->pos;
  int start = rl_word_start(e);
  while (i > start && e->buf[i - 1] != '/') i--;
  return i;
}

int rl_word_is_command(const struct rl_edit *e) {
  int start = rl_word_start(e);
  for (int i = start; i < e->pos; i++)
    if (e->buf[i] == '/') return 0;
  int i = start;
  while (i > 0 && (e->buf[i - 1] == ' ' || e->buf[i - 1] == '\t')) i--;
  if (i == 0) return 1;
  int c = e->buf[i - 1];
  return c == '|' || c == ';' || c == '&';
}

static void list_candidates(struct rl_edit *e, const char *const *names, const char *dirs, int n) {
  int width = 0;
  for (int i = 0; i < n; i++) {
    int w = rl_columns(names[i], 0, strlen(names[i])) + (dirs[i] ? 1 : 0);
    if (w > width) width = w;
  }
  width += 2;
  int per_row = e->cols / width;
  if (per_row < 1) per_row = 1;
  // Below the line, then the prompt and the line again.
  int end = e->prompt_cols + rl_columns(e->buf, 0, e->len);
  out_csi(e, end / e->cols - e->crow, 'B');
  out_str(e, "\r\n");
  for (int i = 0; i < n; i++) {
    out_str(e, names[i]);
    if (dirs[i]) out_str(e, "/");
    int w = rl_columns(names[i], 0, strlen(names[i])) + (dirs[i] ? 1 : 0);
    if ((i + 1) % per_row == 0 || i == n - 1) out_str(e, "\r\n");
    else for (; w < width; w++) out_str(e, " ");
    if (e->outlen > RL_OUT_MAX - 2 * RL_LINE_MAX - 64) {
      out_str(e, "...\r\n");  // keep room to draw the line again
      break;
    }
  }
  e->crow = 0;
  draw_from_start(e);
}

void rl_complete(struct rl_edit *e, const char *const *names, const char *dirs, int n) {
  int base = rl_base_start(e);
  int typed = e->pos - base;
  if (n == 0) {
    out_str(e, "\a");
    return;
  }
  if (n == 1) {
    int len = strlen(names[0]);
    static char add[RL_LINE_MAX];  // the stack is one page
    int k = 0;
    for (int i = typed; i < len && k < RL_LINE_MAX - 2; i++) add[k++] = names[0][i];
    add[k++] = dirs[0] ? '/' : ' ';
    int tabs = e->tabs;
    insert_bytes(e, add, k);
    e->tabs = tabs;
    return;
  }
  // The common prefix of every candidate (a whole number of characters).
  int common = strlen(names[0]);
  for (int i = 1; i < n; i++) {
    int j = 0;
    while (j < common && names[i][j] == names[0][j]) j++;
    common = j;
  }
  while (common > typed && is_cont((unsigned char)names[0][common])) common--;
  if (common > typed) {
    int tabs = e->tabs;
    insert_bytes(e, names[0] + typed, common - typed);
    e->tabs = tabs;
    return;
  }
  if (e->tabs >= 2) list_candidates(e, names, dirs, n);
  else out_str(e, "\a");
}

// ---- history ----

void rl_history_add(struct rl_history *h, const char *line) {
  const char *p = line;
  while (*p == ' ' || *p == '\t') p++;
  if (*p == 0) return;
  if (h->count > 0 && strcmp(h->lines[h->count - 1], line) == 0) return;
  int n = strlen(line);
  char *copy = malloc(n + 1);
  if (copy == 0) return;
  memcpy(copy, line, n + 1);
  if (h->count == RL_HISTORY_MAX) {
    free(h->lines[0]);
    memmove(h->lines, h->lines + 1, (RL_HISTORY_MAX - 1) * sizeof h->lines[0]);
    h->count--;
  }
  h->lines[h->count++] = copy;
}

void rl_history_clear(struct rl_history *h) {
  for (int i = 0; i < h->count; i++) free(h->lines[i]);
  h->count = 0;
}
