// Keel user land: the command descriptions behind the shell's `help`
// (user/lib/help.c), one entry per builtin and program.
#ifndef KEEL_HELP_H
#define KEEL_HELP_H

#define HELP_BUILTIN 1  // runs inside the shell
#define HELP_PROGRAM 2  // a program in /
#define HELP_TEST 3     // a test program
#define HELP_SERVICE 4  // started by init

struct help_entry {
  const char *name;
  const char *usage;    // "kill [-SIGNAL] PID..."
  const char *summary;  // one line
  int kind;             // HELP_*
};

const struct help_entry *help_find(const char *name);  // 0 when unknown
const struct help_entry *help_at(int i);               // the i-th entry, 0 past the end

#endif
