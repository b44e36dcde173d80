// Keel user land: the thread API over the kernel's threads (system calls
// 130-133, docs/abi.md "Threads"): thread_create allocates the new thread's
// stack and puts fn and arg at its top; thread_join frees it. The locks are
// in sync.c.
#include "user.h"

// ---- Threads -----------------------------------------------------------------------

// What a new thread needs, at the top of its own stack.
struct start {
  int (*fn)(void *);
  void *arg;
};

#define MAX_THREAD_STACKS 16  // the kernel's limit of threads per process
static struct {
  int tid;
  void *stack;
} stacks[MAX_THREAD_STACKS];
static mutex_t stacks_lock = MUTEX_INIT;

static void thread_start(void *p) {
  struct start *s = p;
  sys_thread_exit(s->fn(s->arg));
}

int thread_create(int (*fn)(void *), void *arg) {
  mutex_lock(&stacks_lock);
  int free_at = -1;
  for (int i = 0; i < MAX_THREAD_STACKS; i++)
    if (stacks[i].stack == 0) { free_at = i; break; }
  if (free_at < 0) { mutex_unlock(&stacks_lock); return -1; }
  char *stack = malloc(THREAD_STACK);
  if (stack == 0) { mutex_unlock(&stacks_lock); return -1; }
  char *top = (char *)(((uint64)stack + THREAD_STACK) & ~(uint64)15);
  struct start *s = (struct start *)(top - sizeof(struct start));
  s->fn = fn;
  s->arg = arg;
  int tid = sys_thread_create(thread_start, (char *)((uint64)s & ~(uint64)15), s);
  if (tid < 0) {
    free(stack);
  } else {
    stacks[free_at].tid = tid;
    stacks[free_at].stack = stack;
  }
  mutex_unlock(&stacks_lock);
  return tid;
}

int thread_join(int tid, int *status) {
  int r = sys_thread_join(tid, status);
  if (r < 0) return r;
  mutex_lock(&stacks_lock);
  for (int i = 0; i < MAX_THREAD_STACKS; i++) {
    if (stacks[i].stack != 0 && stacks[i].tid == tid) {
      free(stacks[i].stack);
      stacks[i].stack = 0;
      break;
    }
  }
  mutex_unlock(&stacks_lock);
  return 0;
}

int thread_self(void) { return gettid(); }

void thread_exit(int status) { sys_thread_exit(status); }
