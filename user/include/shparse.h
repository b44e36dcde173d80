// Keel user land: the shell's command-line parser, a pure function so it
// can be tested on the host (user/ulib.test.ts) as well as used by sh.
#ifndef KEEL_SHPARSE_H
#define KEEL_SHPARSE_H

#include "user.h"

// One program of a pipeline: its words and redirections.
struct sh_command {
  int argc;
  char **argv;              // argc words then NULL
  char *input;              // "< file", or 0
  char *output;             // "> file", or 0
  struct sh_command *next;  // the next program of the pipeline
};

// A pipeline, ended by ';', '&' or the end of the line.
struct sh_job {
  struct sh_command *first;
  int length;               // programs in the pipeline, >= 1
  int background;           // ended by '&'
  struct sh_job *next;
};

// Parses line into a list of jobs (0 for a blank or comment-only line).
// Words and structures are allocated from arena, which is reset, not
// freed: nothing here calls malloc. Returns 0, or -1 with a message such as
// "syntax error near '|'" in err.
int sh_parse(const char *line, char *arena, size_t arena_size, struct sh_job **jobs, char *err, size_t errlen);

// Writes a canonical, one-line description of jobs (for tests):
// "[w1,w2] <in >out | [w3] &" with ';' or '&' after every job.
int sh_format(const struct sh_job *jobs, char *buf, size_t size);

#endif
