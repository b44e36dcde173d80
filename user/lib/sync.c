// Keel user land: mutexes, condition variables and barriers over futexes
// (futex_wait and futex_wake, system calls 134-135; docs/abi.md "Threads").
// Portable: it needs nothing but the two futex calls, so user/ulib.test.ts
// also runs it on the host, under real parallel threads.
//
// A mutex word is 0 (unlocked), 1 (locked, nobody waiting) or 2 (locked,
// perhaps with waiters): taking a free lock and releasing one nobody waits
// for are one atomic each and no system call; a waiter marks the word 2 and
// sleeps in futex_wait, and an unlock that finds 2 wakes one. A condition
// variable is a sequence number: a waiter reads it, releases the mutex and
// sleeps while it is unchanged; signal and broadcast bump it and wake one
// or all. The futex's value check closes the window between the unlock and
// the sleep: a signal in between changes the number, so the wait returns.
#include "user.h"

// ---- Mutexes -------------------------------------------------------------------

static uint cas(volatile uint *p, uint expected, uint desired) {
  __atomic_compare_exchange_n(p, &expected, desired, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
  return expected; // the value seen: `expected` itself when the exchange happened
}

void mutex_init(mutex_t *m) { m->v = 0; }

int mutex_trylock(mutex_t *m) { return cas(&m->v, 0, 1) == 0; }

void mutex_lock(mutex_t *m) {
  uint c = cas(&m->v, 0, 1);
  if (c == 0) return;
  if (c != 2) c = __atomic_exchange_n(&m->v, 2, __ATOMIC_ACQUIRE);
  while (c != 0) {
    futex_wait(&m->v, 2, 0);
    c = __atomic_exchange_n(&m->v, 2, __ATOMIC_ACQUIRE);
  }
}

void mutex_unlock(mutex_t *m) {
  if (__atomic_fetch_sub(&m->v, 1, __ATOMIC_RELEASE) != 1) {
    __atomic_store_n(&m->v, 0, __ATOMIC_RELEASE);
    futex_wake(&m->v, 1);
  }
}

// Takes m as a waiter would (word 2): after a condition wait other threads
// may be asleep on it, and the next unlock must wake them.
static void mutex_lock_contended(mutex_t *m) {
  while (__atomic_exchange_n(&m->v, 2, __ATOMIC_ACQUIRE) != 0) futex_wait(&m->v, 2, 0);
}

// ---- Condition variables ----------------------------------------------------------

void cond_init(cond_t *c) { c->seq = 0; }

int cond_timedwait(cond_t *c, mutex_t *m, uint64 timeout_ns) {
  uint seq = __atomic_load_n(&c->seq, __ATOMIC_ACQUIRE);
  mutex_unlock(m);
  int r = futex_wait(&c->seq, seq, timeout_ns);
  mutex_lock_contended(m);
  return r == FUTEX_TIMEDOUT ? FUTEX_TIMEDOUT : 0;
}

void cond_wait(cond_t *c, mutex_t *m) { cond_timedwait(c, m, 0); }

void cond_signal(cond_t *c) {
  __atomic_fetch_add(&c->seq, 1, __ATOMIC_RELEASE);
  futex_wake(&c->seq, 1);
}

void cond_broadcast(cond_t *c) {
  __atomic_fetch_add(&c->seq, 1, __ATOMIC_RELEASE);
  futex_wake(&c->seq, 0x7FFFFFFF);
}

// ---- Barriers ----------------------------------------------------------------------

void barrier_init(barrier_t *b, uint n) {
  mutex_init(&b->m);
  cond_init(&b->c);
  b->count = 0;
  b->n = n;
  b->generation = 0;
}

int barrier_wait(barrier_t *b) {
  mutex_lock(&b->m);
  uint gen = b->generation;
  if (++b->count >= b->n) {
    b->count = 0;
    b->generation++;
    cond_broadcast(&b->c);
    mutex_unlock(&b->m);
    return 1;
  }
  while (gen == b->generation) cond_wait(&b->c, &b->m);
  mutex_unlock(&b->m);
  return 0;
}
