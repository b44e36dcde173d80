// Keel user land: malloc, free, realloc, calloc over sbrk.
//
// The heap is a set of blocks, each starting with a 16-byte header that
// holds the block's size in bytes (header included, a multiple of 16). Free
// blocks also keep, in the header's second word, the next free block:
// the free list is singly linked and kept in address order, so free() can
// merge a block with both neighbours and the list never holds two blocks
// that touch. Allocation is first fit; a block big enough to leave a useful
// remainder is split and the allocation is carved from its end, so the
// free block keeps its place in the list. When nothing fits the heap grows
// by at least GROW_MIN bytes through sbrk.
//
// Invariants (checked by malloc_check): every free block is 16-byte
// aligned, at least MIN_BLOCK bytes, inside [heap_lo, heap_hi), and lies
// strictly below the next one with a gap between them.
//
// Threads (thread.c): every entry point holds heap_lock, a futex mutex,
// so threads of one process may allocate and free at once.
#include "user.h"

static mutex_t heap_lock = MUTEX_INIT;

#define ALIGN 16
#define HEADER 16
#define MIN_BLOCK 32            // header plus the smallest payload
#define GROW_MIN (64 * 1024)    // sbrk at least this much at a time
#define SBRK_MAX 0x40000000UL   // largest single sbrk request (1 GiB)

struct block {
  size_t size;         // bytes, header included
  struct block *next;  // free blocks only: the next free block, by address
};

static struct block *free_list;
static char *heap_lo, *heap_hi;  // bounds of all memory obtained from sbrk
static uint64 arena_bytes;

static size_t round_up(size_t n, size_t to) { return (n + to - 1) & ~(to - 1); }

static void bad_free(void *p) {
  fprintf(2, "malloc: free of invalid or freed pointer %p\n", p);
  exit(-1);
}

// Puts b on the free list in address order and merges it with the blocks
// on either side when they touch.
static void insert_free(struct block *b) {
  struct block *prev = 0, *next = free_list;
  while (next && next < b) prev = next, next = next->next;
  // A block that overlaps a free neighbour was never allocated or is freed twice.
  if ((next && (char *)b + b->size > (char *)next) || (prev && (char *)prev + prev->size > (char *)b)) bad_free(b + 1);
  if (next && (char *)b + b->size == (char *)next) {
    b->size += next->size;
    b->next = next->next;
  } else {
    b->next = next;
  }
  if (prev && (char *)prev + prev->size == (char *)b) {
    prev->size += b->size;
    prev->next = b->next;
  } else if (prev) {
    prev->next = b;
  } else {
    free_list = b;
  }
}

// Adds at least need bytes from sbrk to the free list; 0 when sbrk refuses.
static int grow(size_t need) {
  size_t request = round_up((need > GROW_MIN ? need : GROW_MIN) + ALIGN, 4096);
  if (request > SBRK_MAX) return 0;
  char *p = sbrk((int)request);
  if (p == (char *)-1) return 0;
  char *start = (char *)round_up((size_t)p, ALIGN);
  char *end = (char *)(((size_t)p + request) & ~(size_t)(ALIGN - 1));
  if (heap_lo == 0 || start < heap_lo) heap_lo = start;
  if (end > heap_hi) heap_hi = end;
  arena_bytes += (uint64)(end - start);
  struct block *b = (struct block *)start;
  b->size = (size_t)(end - start);
  insert_free(b);
  return 1;
}

// Block size that holds n payload bytes, or 0 if n is absurd.
static size_t block_size(size_t n) {
  if (n > SBRK_MAX) return 0;
  size_t size = round_up(n + HEADER, ALIGN);
  return size < MIN_BLOCK ? MIN_BLOCK : size;
}

static void *do_malloc(size_t n) {
  size_t need = block_size(n);
  if (need == 0) return 0;
  for (;;) {
    struct block *prev = 0;
    for (struct block *b = free_list; b; prev = b, b = b->next) {
      if (b->size < need) continue;
      if (b->size - need >= MIN_BLOCK) {
        b->size -= need;
        struct block *taken = (struct block *)((char *)b + b->size);
        taken->size = need;
        return taken + 1;
      }
      if (prev) prev->next = b->next;
      else free_list = b->next;
      return b + 1;
    }
    if (!grow(need)) return 0;
  }
}

static void do_free(void *p) {
  if (p == 0) return;
  struct block *b = (struct block *)p - 1;
  if (((size_t)b & (ALIGN - 1)) || (char *)b < heap_lo || (char *)b + MIN_BLOCK > heap_hi ||
      b->size < MIN_BLOCK || (b->size & (ALIGN - 1)) || (char *)b + b->size > heap_hi)
    bad_free(p);
  insert_free(b);
}

// Gives the tail of an allocated block beyond size back to the free list,
// if that tail is big enough to be a block.
static void trim(struct block *b, size_t size) {
  if (b->size - size < MIN_BLOCK) return;
  struct block *tail = (struct block *)((char *)b + size);
  tail->size = b->size - size;
  b->size = size;
  insert_free(tail);
}

static void *do_realloc(void *p, size_t n) {
  if (p == 0) return do_malloc(n);
  if (n == 0) {
    do_free(p);
    return 0;
  }
  size_t need = block_size(n);
  if (need == 0) return 0;
  struct block *b = (struct block *)p - 1;
  if (need <= b->size) {
    trim(b, need);
    return p;
  }
  // Grow in place when the block right after this one is free and big enough.
  struct block *prev = 0, *next = free_list;
  while (next && next < b) prev = next, next = next->next;
  if (next && (char *)b + b->size == (char *)next && b->size + next->size >= need) {
    if (prev) prev->next = next->next;
    else free_list = next->next;
    b->size += next->size;
    trim(b, need);
    return p;
  }
  void *q = do_malloc(n);
  if (q == 0) return 0;
  memcpy(q, p, b->size - HEADER);
  do_free(p);
  return q;
}

void *malloc(size_t n) {
  mutex_lock(&heap_lock);
  void *p = do_malloc(n);
  mutex_unlock(&heap_lock);
  return p;
}

void free(void *p) {
  mutex_lock(&heap_lock);
  do_free(p);
  mutex_unlock(&heap_lock);
}

void *realloc(void *p, size_t n) {
  mutex_lock(&heap_lock);
  void *q = do_realloc(p, n);
  mutex_unlock(&heap_lock);
  return q;
}

void *calloc(size_t count, size_t size) {
  if (size != 0 && count > SBRK_MAX / size) return 0;
  void *p = malloc(count * size);
  if (p) memset(p, 0, count * size);
  return p;
}

const char *malloc_check(void) {
  for (struct block *b = free_list; b; b = b->next) {
    if ((size_t)b & (ALIGN - 1)) return "free block misaligned";
    if ((char *)b < heap_lo || (char *)b >= heap_hi) return "free block outside the heap";
    if (b->size < MIN_BLOCK || (b->size & (ALIGN - 1))) return "free block has a bad size";
    if ((char *)b + b->size > heap_hi) return "free block runs past the heap";
    if (b->next && (char *)b + b->size > (char *)b->next) return "free blocks overlap or are out of order";
    if (b->next && (char *)b + b->size == (char *)b->next) return "adjacent free blocks were not merged";
  }
  return 0;
}

void malloc_stats(struct malloc_stats *out) {
  out->arena_bytes = arena_bytes;
  out->free_bytes = 0;
  out->free_blocks = 0;
  for (struct block *b = free_list; b; b = b->next) out->free_bytes += b->size, out->free_blocks++;
}
