// readline (user/lib/readline.c): reads one line from the console with
// line editing, history and completion (docs/userland.md "Line editing").
#ifndef KEEL_READLINE_H
#define KEEL_READLINE_H

#include "rledit.h"

#define RL_HISTORY_FILE "/.sh_history"

// Writes prompt, then reads and edits a line from fd (the console, put in
// raw mode while it reads). Returns the line's length with the newline it
// ends with (Ctrl-C gives an empty line, "\n"), 0 at end of input (Ctrl-D
// on an empty line), -1 on error. When fd is not the console it is
// getline after the prompt.
int readline(int fd, const char *prompt, char *buf, int max);
// Words completed at a command's place besides the programs in / (the
// shell's builtins); the array ends with a null pointer.
void readline_builtins(const char *const *names);
// The lines kept (oldest first); loaded from RL_HISTORY_FILE at the first
// readline and written back after each new line.
const struct rl_history *readline_history(void);

#endif
