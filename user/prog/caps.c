// caps: lists the caller's capability table, one occupied slot per line:
// slot, what it names, its rights as rwxdgD letters, its depth in the
// derivation tree (0 = an original) and its badge ("-" when unbadged).
// Run from the shell it shows the shell's table, which fork copied.
//
//   caps
#include "user.h"

static struct capslot table[CAP_SLOTS];

int main(int argc, char **argv) {
  if (argc != 1) {
    fprintf(2, "usage: caps\n");
    return 2;
  }
  int n = cap_list(table, CAP_SLOTS);
  if (n < 0) fail("caps: cap_list");
  if (n > CAP_SLOTS) n = CAP_SLOTS;
  printf("%4s %-8s %-6s %5s %s\n", "SLOT", "TYPE", "RIGHTS", "DEPTH", "BADGE");
  for (int i = 0; i < n; i++) {
    struct capslot *c = &table[i];
    char rights[7];
    cap_rights_string((int)c->rights, rights);
    if (c->badge) printf("%4d %-8s %-6s %5u %lu\n", c->slot, cap_type_name((int)c->type), rights, c->depth, c->badge);
    else printf("%4d %-8s %-6s %5u -\n", c->slot, cap_type_name((int)c->type), rights, c->depth);
  }
  return 0;
}
