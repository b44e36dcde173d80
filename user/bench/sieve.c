/* Sieve of Eratosthenes below LIMIT, repeated; prints the prime count and a
 * checksum of the primes. */
#include "rt.h"

#define LIMIT 2000000
#define ROUNDS 3

static u8 composite[LIMIT];

int main(void) {
  u64 count = 0, sum = 0;
  for (int round = 0; round < ROUNDS; round++) {
    for (u64 i = 0; i < LIMIT; i++) composite[i] = 0;
    count = 0;
    sum = 0;
    for (u64 i = 2; i < LIMIT; i++) {
      if (composite[i]) continue;
      count++;
      sum = sum * 31 + i;
      for (u64 j = i * i; j < LIMIT; j += i) composite[j] = 1;
    }
  }
  put_str("sieve: primes below ");
  put_dec(LIMIT);
  put_str(" ");
  put_dec(count);
  put_str(" checksum ");
  put_hex(sum, 16);
  put_str("\n");
  return count == 148933 ? 0 : 1;
}
