/* Heapsort and quicksort of PRNG-filled arrays; checks both results are
 * sorted and agree, and prints a position-weighted checksum. */
#include "rt.h"

#define N 200000

static u32 a[N], b[N];

static void sift_down(u32 *v, u64 root, u64 n) {
  for (;;) {
    u64 child = 2 * root + 1;
    if (child >= n) return;
    if (child + 1 < n && v[child + 1] > v[child]) child++;
    if (v[root] >= v[child]) return;
    u32 t = v[root];
    v[root] = v[child];
    v[child] = t;
    root = child;
  }
}

static void heapsort(u32 *v, u64 n) {
  for (u64 i = n / 2; i-- > 0;) sift_down(v, i, n);
  for (u64 end = n; end-- > 1;) {
    u32 t = v[0];
    v[0] = v[end];
    v[end] = t;
    sift_down(v, 0, end);
  }
}

static void quicksort(u32 *v, long lo, long hi) {
  while (lo < hi) {
    u32 pivot = v[lo + (hi - lo) / 2];
    long i = lo, j = hi;
    while (i <= j) {
      while (v[i] < pivot) i++;
      while (v[j] > pivot) j--;
      if (i <= j) {
        u32 t = v[i];
        v[i] = v[j];
        v[j] = t;
        i++;
        j--;
      }
    }
    /* Recurse into the smaller half, loop on the larger: bounded stack. */
    if (j - lo < hi - i) {
      quicksort(v, lo, j);
      lo = i;
    } else {
      quicksort(v, i, hi);
      hi = j;
    }
  }
}

int main(void) {
  for (u64 i = 0; i < N; i++) a[i] = b[i] = (u32)(rng_next() >> 32);
  heapsort(a, N);
  quicksort(b, 0, N - 1);
  int ok = 1;
  u64 sum = 0;
  for (u64 i = 0; i < N; i++) {
    if (a[i] != b[i] || (i > 0 && a[i - 1] > a[i])) ok = 0;
    sum = sum * 1000003 + a[i];
  }
  put_str("sort: ");
  put_dec(N);
  put_str(ok ? " sorted" : " NOT SORTED");
  put_str(" checksum ");
  put_hex(sum, 16);
  put_str("\n");
  return ok ? 0 : 1;
}
