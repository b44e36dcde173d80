// Keel user land: the small regular expressions grep understands.
//
//   c    any other character matches itself
//   .    matches any character
//   x*   zero or more of the atom x (a character or '.')
//   ^    at the very start of the pattern: anchor at the start of the text
//   $    at the very end of the pattern: anchor at the end of the text
//
// A '*' with no atom before it (the pattern's first character, or right
// after a leading '^') is an ordinary character, as is '^' or '$' anywhere
// else. Matching is by dynamic programming over the set of pattern
// positions alive after each text character, so it takes
// O(|pattern| * |text|) time and never backtracks.
#include "user.h"

#define RE_MAX 256  // longest pattern, in atoms

struct atom {
  char c;     // the character, when !any
  char any;   // '.'
  char star;  // followed by '*'
};

// Splits re into atoms; returns the count, or -1 if the pattern is too long.
static int compile(const char *re, struct atom *atoms, int *anchor_start, int *anchor_end) {
  int n = 0;
  *anchor_start = re[0] == '^';
  if (*anchor_start) re++;
  size_t len = strlen(re);
  *anchor_end = len > 0 && re[len - 1] == '$';
  if (*anchor_end) len--;
  for (size_t i = 0; i < len; i++) {
    if (n == RE_MAX) return -1;
    atoms[n].c = re[i];
    atoms[n].any = re[i] == '.';
    atoms[n].star = i + 1 < len && re[i + 1] == '*';
    if (atoms[n].star) i++;
    n++;
  }
  return n;
}

static int atom_matches(const struct atom *a, char c) { return a->any || a->c == c; }

// Marks position i alive, and every position reachable from it by skipping
// starred atoms (which may match nothing).
static void close_over(const struct atom *atoms, int n, uchar *alive, int i) {
  for (; i <= n; i++) {
    alive[i] = 1;
    if (i == n || !atoms[i].star) break;
  }
}

int re_match(const char *re, const char *text) {
  struct atom atoms[RE_MAX];
  uchar alive[RE_MAX + 1], next[RE_MAX + 1];
  int anchor_start, anchor_end;
  int n = compile(re, atoms, &anchor_start, &anchor_end);
  if (n < 0) return 0;

  memset(alive, 0, (size_t)n + 1);
  close_over(atoms, n, alive, 0);
  for (const char *t = text;; t++) {
    if (alive[n] && (!anchor_end || *t == 0)) return 1;
    if (*t == 0) return 0;
    memset(next, 0, (size_t)n + 1);
    for (int i = 0; i < n; i++) {
      if (!alive[i] || !atom_matches(&atoms[i], *t)) continue;
      if (atoms[i].star) close_over(atoms, n, next, i);  // stay on the starred atom
      else close_over(atoms, n, next, i + 1);
    }
    // Unanchored: a match may also begin at the next character.
    if (!anchor_start) close_over(atoms, n, next, 0);
    memcpy(alive, next, (size_t)n + 1);
  }
}
