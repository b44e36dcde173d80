// Keel user land: string and memory functions.
//
// Plain byte loops, except that memcpy/memset/memmove move 8 bytes at a time
// once both pointers are aligned. Built -ffreestanding, so the compiler
// never turns these loops back into calls to themselves.
#include "user.h"

// Word-at-a-time access to bytes of any type: may_alias keeps it legal.
typedef uint64 __attribute__((may_alias)) word_t;
#define WORD sizeof(word_t)
#define ALIGNED(p) (((uint64)(p) & (WORD - 1)) == 0)

size_t strlen(const char *s) {
  const char *p = s;
  while (*p) p++;
  return (size_t)(p - s);
}

int strcmp(const char *a, const char *b) {
  while (*a && *a == *b) a++, b++;
  return (uchar)*a - (uchar)*b;
}

int strncmp(const char *a, const char *b, size_t n) {
  for (; n > 0; n--, a++, b++) {
    if (*a != *b) return (uchar)*a - (uchar)*b;
    if (*a == 0) return 0;
  }
  return 0;
}

char *strcpy(char *dst, const char *src) {
  char *d = dst;
  while ((*d++ = *src++) != 0) {}
  return dst;
}

// Copies at most n bytes and pads with NULs up to n, as the C standard says.
char *strncpy(char *dst, const char *src, size_t n) {
  size_t i = 0;
  for (; i < n && src[i]; i++) dst[i] = src[i];
  for (; i < n; i++) dst[i] = 0;
  return dst;
}

// Copies what fits in size-1 bytes, always terminates (when size > 0), and
// returns strlen(src) so callers can detect truncation.
size_t strlcpy(char *dst, const char *src, size_t size) {
  size_t len = strlen(src);
  if (size > 0) {
    size_t n = len < size - 1 ? len : size - 1;
    memcpy(dst, src, n);
    dst[n] = 0;
  }
  return len;
}

char *strcat(char *dst, const char *src) {
  strcpy(dst + strlen(dst), src);
  return dst;
}

char *strchr(const char *s, int c) {
  for (;; s++) {
    if (*s == (char)c) return (char *)s;
    if (*s == 0) return 0;
  }
}

char *strrchr(const char *s, int c) {
  const char *found = 0;
  for (;; s++) {
    if (*s == (char)c) found = s;
    if (*s == 0) return (char *)found;
  }
}

char *strstr(const char *haystack, const char *needle) {
  size_t n = strlen(needle);
  for (; *haystack; haystack++)
    if (strncmp(haystack, needle, n) == 0) return (char *)haystack;
  return n == 0 ? (char *)haystack : 0;
}

void *memset(void *dst, int c, size_t n) {
  uchar *d = dst;
  while (n > 0 && !ALIGNED(d)) *d++ = (uchar)c, n--;
  if (n >= WORD) {
    word_t pattern = (uchar)c * 0x0101010101010101UL;
    for (; n >= WORD; n -= WORD, d += WORD) *(word_t *)d = pattern;
  }
  while (n > 0) *d++ = (uchar)c, n--;
  return dst;
}

void *memcpy(void *dst, const void *src, size_t n) {
  uchar *d = dst;
  const uchar *s = src;
  if (((uint64)d & (WORD - 1)) == ((uint64)s & (WORD - 1))) {
    while (n > 0 && !ALIGNED(d)) *d++ = *s++, n--;
    for (; n >= WORD; n -= WORD, d += WORD, s += WORD) *(word_t *)d = *(const word_t *)s;
  }
  while (n > 0) *d++ = *s++, n--;
  return dst;
}

void *memmove(void *dst, const void *src, size_t n) {
  uchar *d = dst;
  const uchar *s = src;
  if (d <= s || d >= s + n) return memcpy(dst, src, n);
  // Overlapping with dst above src: copy from the end down.
  d += n, s += n;
  while (n > 0) *--d = *--s, n--;
  return dst;
}

int memcmp(const void *a, const void *b, size_t n) {
  const uchar *x = a, *y = b;
  for (; n > 0; n--, x++, y++)
    if (*x != *y) return *x - *y;
  return 0;
}

void *memchr(const void *s, int c, size_t n) {
  const uchar *p = s;
  for (; n > 0; n--, p++)
    if (*p == (uchar)c) return (void *)p;
  return 0;
}
