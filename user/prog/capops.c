// capops: runs capability operations typed on standard input, one a line,
// and answers each with "capops: RESULT" (and the kernel's reason after a
// -1), so a host test can drive random sequences and inspect every
// process's capabilities between steps (host/capescape.test.ts).
//
//   capops          read operations until end of input or "q"
//   capops hold     (what "s" starts) sleep holding what it was given
//
// Operations (numbers in decimal):
//   d SRC RIGHTS        cap_derive(SRC, -1, RIGHTS, 0, 0)
//   c SRC               cap_copy(SRC, -1)
//   m SRC DST           cap_move(SRC, DST)
//   x SLOT              cap_delete(SLOT)
//   r SLOT              cap_revoke(SLOT)
//   o DIR FLAGS PATH    openat(DIR, PATH, FLAGS)
//   n KIND              a new object: 0 endpoint, 1 notification, 2 shared memory
//   M SLOT              shm_map(SLOT): 0 when it mapped, -1 otherwise
//   e                   cap_enter()
//   s FLAGS [SRC DST]...  fspawn of this program as "capops hold" holding the pairs
//   k PID               kill(PID)
//   q                   quit
// At start it opens "/" and itself ("/capops") and prints
// "capops: ready DIR PROG" with their slots.
#include "user.h"

#define LINE_MAX 128
#define MAX_PAIRS 8
#define SHM_BYTES 4096

static char line[LINE_MAX];
static int prog_slot = -1;

// Reads one line from fd 0 into line (without the newline); 0 at the end.
static int read_line(void) {
  int n = 0;
  char c;
  while (n < LINE_MAX - 1) {
    int r = read(0, &c, 1);
    if (r <= 0) return n > 0;
    if (c == '\n' || c == '\r') break;
    line[n++] = c;
  }
  line[n] = 0;
  return 1;
}

// The next decimal (possibly negative) number after *p; advances *p.
static long number(char **p) {
  char *end;
  long v = strtol(*p, &end, 10);
  *p = end;
  return v;
}

static char *skip_spaces(char *p) {
  while (*p == ' ') p++;
  return p;
}

static long spawn_holder(char *p) {
  int flags = (int)number(&p);
  int pairs[2 * MAX_PAIRS];
  int n = 0;
  for (p = skip_spaces(p); *p && n < MAX_PAIRS; p = skip_spaces(p)) {
    pairs[2 * n] = (int)number(&p);
    pairs[2 * n + 1] = (int)number(&p);
    n++;
  }
  char *argv[] = {"capops", "hold", 0};
  return fspawn(prog_slot, argv, pairs, n, flags);
}

static long run(char *p) {
  char op = *p++;
  switch (op) {
    case 'd': { long src = number(&p); return cap_derive((int)src, CAP_SLOT_ANY, (int)number(&p), 0, 0); }
    case 'c': return cap_copy((int)number(&p), CAP_SLOT_ANY);
    case 'm': { long src = number(&p); return cap_move((int)src, (int)number(&p)); }
    case 'x': return cap_delete((int)number(&p));
    case 'r': return cap_revoke((int)number(&p));
    case 'o': {
      long dir = number(&p);
      long flags = number(&p);
      return openat((int)dir, skip_spaces(p), (int)flags);
    }
    case 'n': {
      long kind = number(&p);
      if (kind == 0) return ep_create();
      if (kind == 1) return ntfn_create();
      return shm_create(SHM_BYTES);
    }
    case 'M': return shm_map((int)number(&p)) == (void *)-1 ? -1 : 0;
    case 'e': return cap_enter();
    case 's': return spawn_holder(p);
    case 'k': return kill((int)number(&p));
    default: return -2;
  }
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "hold") == 0) {
    for (;;) sleep(100);
  }
  if (argc != 1) {
    fprintf(2, "usage: capops [hold]\n");
    return 2;
  }
  int dir = open("/", O_RDONLY);
  prog_slot = open("/capops", O_RDONLY);
  printf("capops: ready %d %d\n", dir, prog_slot);
  while (read_line()) {
    if (line[0] == 'q') break;
    if (line[0] == 0) continue;
    long r = run(line);
    if (r == -1) printf("capops: -1 %s\n", lasterror());
    else printf("capops: %ld\n", r);
  }
  return 0;
}
