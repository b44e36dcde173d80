// keel: layout=ttext
// segs: a program linked the way `ld -Ttext=0x10000` lays it out (lld emits
// a read-only segment of ELF headers at 0x10000, then the text over it, then
// read-only data and data each starting mid-page; docs/processes.md). It
// prints what lies in each segment, writes to its data and bss, and prints
// them again, so a loader that misplaced a segment shows up as wrong output.
#include "user.h"

static const char greeting[] = "read-only data";
static char message[32] = "initialised data";
static int counters[64];
static long table[] = {1, 1, 2, 3, 5, 8, 13, 21};

int main(void) {
  printf("rodata %s\n", greeting);
  printf("data   %s, table[7] %ld\n", message, table[7]);
  long sum = 0;
  for (int i = 0; i < 64; i++) sum += counters[i];
  printf("bss    sum %ld\n", sum);
  strcpy(message, "data written");
  for (int i = 0; i < 64; i++) counters[i] = i;
  for (int i = 2; i < 8; i++) table[i] = table[i - 1] * 3;
  sum = 0;
  for (int i = 0; i < 64; i++) sum += counters[i];
  printf("after  %s, table[7] %ld, bss sum %ld\n", message, table[7], sum);
  return 0;
}
