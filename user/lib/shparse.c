// Keel user land: the shell's command-line parser.
//
//   line     := job (( ';' | '&' ) job?)*        empty jobs only at the end
//   job      := command ( '|' command )*
//   command  := ( word | '<' word | '>' word )+
//   word     := run of characters other than blanks and | < > ; &, where
//               '...' and "..." quote anything up to the closing quote
//   '#' at the start of a word begins a comment that runs to the end.
//
// A syntax error names the token where a command or file name was expected:
// "| a", "a |", "a | | b", "a >", "; a" all report that operator. A command
// may consist of redirections only ("> f" creates f).
#include "shparse.h"

enum token_kind { TOK_END, TOK_WORD, TOK_PIPE, TOK_IN, TOK_OUT, TOK_SEMI, TOK_AMP };

struct parser {
  const char *p;      // next unread character
  char *arena;
  size_t used, size;
  int kind;           // current token
  char *word;         // its text, for TOK_WORD
  char op;            // its character, for operators
  char *err;
  size_t errlen;
  int failed;
};

static void *take(struct parser *ps, size_t n) {
  n = (n + 7) & ~(size_t)7;
  if (ps->used + n > ps->size) {
    if (!ps->failed) snprintf(ps->err, ps->errlen, "line too long");
    ps->failed = 1;
    return 0;
  }
  void *p = ps->arena + ps->used;
  ps->used += n;
  return p;
}

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
static int is_operator(char c) { return c == '|' || c == '<' || c == '>' || c == ';' || c == '&'; }

// Reads the next token into ps->kind (and ps->word / ps->op).
static void next_token(struct parser *ps) {
  while (is_blank(*ps->p)) ps->p++;
  char c = *ps->p;
  if (c == 0 || c == '#') {
    ps->kind = TOK_END;
    return;
  }
  if (is_operator(c)) {
    ps->p++;
    ps->op = c;
    ps->kind = c == '|' ? TOK_PIPE : c == '<' ? TOK_IN : c == '>' ? TOK_OUT : c == ';' ? TOK_SEMI : TOK_AMP;
    return;
  }
  // A word never grows when unquoted, so its source length bounds it.
  const char *end = ps->p;
  while (*end && !is_blank(*end) && !is_operator(*end)) {
    if (*end == '\'' || *end == '"') {
      const char *close = strchr(end + 1, *end);
      if (close == 0) {
        snprintf(ps->err, ps->errlen, "syntax error: unmatched %c", *end);
        ps->failed = 1;
        ps->kind = TOK_END;
        return;
      }
      end = close;
    }
    end++;
  }
  char *w = take(ps, (size_t)(end - ps->p) + 1);
  if (w == 0) {
    ps->kind = TOK_END;
    return;
  }
  size_t n = 0;
  for (const char *s = ps->p; s < end; s++) {
    if (*s == '\'' || *s == '"') {
      const char *close = strchr(s + 1, *s);
      while (++s < close) w[n++] = *s;
    } else {
      w[n++] = *s;
    }
  }
  w[n] = 0;
  ps->p = end;
  ps->word = w;
  ps->kind = TOK_WORD;
}

static int syntax_error(struct parser *ps, char near) {
  if (!ps->failed) snprintf(ps->err, ps->errlen, "syntax error near '%c'", near);
  ps->failed = 1;
  return -1;
}

struct word_node {
  char *word;
  struct word_node *next;
};

// Parses one command; the current token is its first. `after` is the
// operator that introduced it (for error messages), or 0.
static struct sh_command *parse_command(struct parser *ps, char after) {
  struct sh_command *cmd = take(ps, sizeof *cmd);
  if (cmd == 0) return 0;
  memset(cmd, 0, sizeof *cmd);
  struct word_node *words = 0, **tail = &words;
  int elements = 0;
  for (;;) {
    if (ps->kind == TOK_WORD) {
      if (cmd->argc == MAXARG) {
        if (!ps->failed) snprintf(ps->err, ps->errlen, "too many arguments (at most %d)", MAXARG);
        ps->failed = 1;
        return 0;
      }
      struct word_node *node = take(ps, sizeof *node);
      if (node == 0) return 0;
      node->word = ps->word;
      node->next = 0;
      *tail = node;
      tail = &node->next;
      cmd->argc++;
    } else if (ps->kind == TOK_IN || ps->kind == TOK_OUT) {
      int kind = ps->kind;
      char op = ps->op;
      next_token(ps);
      if (ps->failed) return 0;
      if (ps->kind != TOK_WORD) {
        syntax_error(ps, ps->kind == TOK_END ? op : ps->op);
        return 0;
      }
      if (kind == TOK_IN) cmd->input = ps->word;
      else cmd->output = ps->word;
    } else {
      break;
    }
    elements++;
    next_token(ps);
    if (ps->failed) return 0;
  }
  if (elements == 0) {
    // Nothing where a command belongs: blame the operator we found, or the
    // one that promised a command if the line just ended.
    syntax_error(ps, ps->kind == TOK_END ? after : ps->op);
    return 0;
  }
  cmd->argv = take(ps, sizeof(char *) * (size_t)(cmd->argc + 1));
  if (cmd->argv == 0) return 0;
  int i = 0;
  for (struct word_node *w = words; w; w = w->next) cmd->argv[i++] = w->word;
  cmd->argv[i] = 0;
  return cmd;
}

int sh_parse(const char *line, char *arena, size_t arena_size, struct sh_job **jobs, char *err, size_t errlen) {
  struct parser ps;
  memset(&ps, 0, sizeof ps);
  ps.p = line, ps.arena = arena, ps.size = arena_size, ps.err = err, ps.errlen = errlen;
  if (errlen > 0) err[0] = 0;
  *jobs = 0;
  struct sh_job **tail = jobs;
  next_token(&ps);
  while (!ps.failed && ps.kind != TOK_END) {
    struct sh_job *job = take(&ps, sizeof *job);
    if (job == 0) break;
    memset(job, 0, sizeof *job);
    struct sh_command **next = &job->first;
    char after = 0;
    for (;;) {
      struct sh_command *cmd = parse_command(&ps, after);
      if (cmd == 0) break;
      *next = cmd;
      next = &cmd->next;
      job->length++;
      if (ps.kind != TOK_PIPE) break;
      after = '|';
      next_token(&ps);
    }
    if (ps.failed) break;
    *tail = job;
    tail = &job->next;
    if (ps.kind == TOK_SEMI || ps.kind == TOK_AMP) {
      job->background = ps.kind == TOK_AMP;
      next_token(&ps);
    }
  }
  if (ps.failed) {
    *jobs = 0;
    return -1;
  }
  return 0;
}

int sh_format(const struct sh_job *jobs, char *buf, size_t size) {
  size_t n = 0;
  if (size > 0) buf[0] = 0;  // an empty job list still yields a string
#define OUT(...) n += (size_t)snprintf(buf + (n < size ? n : size), n < size ? size - n : 0, __VA_ARGS__)
  for (const struct sh_job *job = jobs; job; job = job->next) {
    for (const struct sh_command *cmd = job->first; cmd; cmd = cmd->next) {
      OUT("[");
      for (int i = 0; i < cmd->argc; i++) OUT("%s%s", i ? "," : "", cmd->argv[i]);
      OUT("]");
      if (cmd->input) OUT(" <%s", cmd->input);
      if (cmd->output) OUT(" >%s", cmd->output);
      if (cmd->next) OUT(" | ");
    }
    OUT(" %c%s", job->background ? '&' : ';', job->next ? " " : "");
  }
#undef OUT
  return (int)n;
}
