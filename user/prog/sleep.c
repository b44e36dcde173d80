// sleep TICKS: pause for TICKS timer ticks (see uptime()).
#include "user.h"

int main(int argc, char **argv) {
  char *end;
  if (argc != 2) {
    fprintf(2, "usage: sleep TICKS\n");
    return 2;
  }
  long ticks = strtol(argv[1], &end, 10);
  if (*end != 0 || end == argv[1] || ticks < 0) {
    fprintf(2, "sleep: %s: not a tick count\n", argv[1]);
    return 2;
  }
  if (sleep((int)ticks) < 0) fail("sleep");
  return 0;
}
