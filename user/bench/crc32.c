/* CRC-32 (IEEE 802.3, reflected, table-driven) over a PRNG-filled buffer,
 * several passes, each seeded with the previous CRC. */
#include "rt.h"

#define BUF_BYTES (64 * 1024)
#define PASSES 200

static u8 buf[BUF_BYTES];
static u32 table[256];

static void make_table(void) {
  for (u32 n = 0; n < 256; n++) {
    u32 c = n;
    for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[n] = c;
  }
}

static u32 crc32(u32 crc, const u8 *p, u64 len) {
  crc = ~crc;
  while (len--) crc = table[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

int main(void) {
  make_table();
  for (u64 i = 0; i < BUF_BYTES; i += 8) {
    u64 v = rng_next();
    for (int k = 0; k < 8; k++) buf[i + k] = (u8)(v >> (8 * k));
  }
  u32 crc = 0;
  for (int pass = 0; pass < PASSES; pass++) crc = crc32(crc, buf, BUF_BYTES);
  /* Known answer: CRC-32 of "123456789" is 0xcbf43926. */
  u32 check = crc32(0, (const u8 *)"123456789", 9);
  put_str("crc32: check ");
  put_hex(check, 8);
  put_str(" checksum ");
  put_hex(crc, 8);
  put_str("\n");
  return check == 0xCBF43926u ? 0 : 1;
}
