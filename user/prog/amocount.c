// amocount [N]: two processes add to the same words of one shared memory
// object at once: N times each with amoadd.w, and N times each through an
// LR.W/SC.W loop. On parallel vCPUs (docs/architecture.md "Parallel vCPUs")
// the parent and its child run on two host threads at the same moment, so
// an AMO or an SC that the hart did as a plain load and store would lose
// updates; the totals must be exactly 2N. Prints both and "amocount: OK".
#include "user.h"

#define DEFAULT_N 2000000

static void add_amo(volatile uint *word, int n) {
  for (int i = 0; i < n; i++) __atomic_fetch_add(word, 1, __ATOMIC_RELAXED);
}

static void add_lrsc(volatile uint *word, int n) {
  for (int i = 0; i < n; i++) {
    uint old, failed;
    do {
      __asm__ volatile(
          "lr.w %0, (%2)\n"
          "addiw %0, %0, 1\n"
          "sc.w %1, %0, (%2)\n"
          : "=&r"(old), "=&r"(failed)
          : "r"(word)
          : "memory");
    } while (failed != 0);
  }
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : DEFAULT_N;
  if (n <= 0) {
    fprintf(2, "usage: amocount [N]\n");
    return 2;
  }
  int shm = shm_create(4096);
  volatile uint *words = shm_map(shm);
  if (shm < 0 || words == (uint *)-1) {
    fprintf(2, "amocount: no shared memory\n");
    return 1;
  }
  volatile uint *go = &words[2];
  int kid = fork();
  if (kid < 0) {
    fprintf(2, "amocount: fork failed\n");
    return 1;
  }
  // Start together: each says it is here, then waits for the other.
  __atomic_fetch_add(go, 1, __ATOMIC_SEQ_CST);
  while (__atomic_load_n(go, __ATOMIC_SEQ_CST) < 2) {
  }
  add_amo(&words[0], n);
  add_lrsc(&words[1], n);
  if (kid == 0) exit(0);
  wait(0);
  uint want = 2u * (uint)n;
  printf("amoadd.w: %u of %u\nlr.w/sc.w: %u of %u\n", words[0], want, words[1], want);
  int ok = words[0] == want && words[1] == want;
  printf("amocount: %s\n", ok ? "OK" : "FAIL");
  return ok ? 0 : 1;
}
