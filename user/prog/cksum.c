// cksum [FILE...]: print the CRC-32 and the byte count of each file, or of
// standard input when there is no argument (or for "-"), as
// "CRC BYTES [FILE]" with the CRC in decimal. The CRC is the one of IEEE
// 802.3, zlib's crc32 and POSIX `cksum -a crc32b`: polynomial 0x04C11DB7
// bit-reflected (0xEDB88320), initial value and final xor 0xFFFFFFFF; the
// length is not folded in (unlike the classic `cksum`). Exits 1 if any
// file could not be read.
#include "user.h"

#define CRC32_POLY_REFLECTED 0xEDB88320u

static uint crc_table[256];
static char buf[8192];

// crc_table[b] is the CRC register after shifting byte b through it alone.
static void crc_init(void) {
  for (uint b = 0; b < 256; b++) {
    uint r = b;
    for (int bit = 0; bit < 8; bit++) r = (r >> 1) ^ (r & 1 ? CRC32_POLY_REFLECTED : 0);
    crc_table[b] = r;
  }
}

// Feeds n bytes into a running register (start at 0xFFFFFFFF, finish by
// inverting).
static uint crc_update(uint reg, const uchar *p, int n) {
  for (int i = 0; i < n; i++) reg = (reg >> 8) ^ crc_table[(reg ^ p[i]) & 0xff];
  return reg;
}

// Prints the line for one open descriptor; returns 0, or 1 on a read error.
static int sum(int fd, const char *name) {
  uint reg = 0xFFFFFFFFu;
  uint64 bytes = 0;
  int n;
  while ((n = read(fd, buf, sizeof buf)) > 0) {
    reg = crc_update(reg, (const uchar *)buf, n);
    bytes += (uint64)n;
  }
  if (n < 0) {
    fprintf(2, "cksum: %s: read: %s\n", name ? name : "standard input", lasterror());
    return 1;
  }
  if (name) printf("%u %lu %s\n", reg ^ 0xFFFFFFFFu, bytes, name);
  else printf("%u %lu\n", reg ^ 0xFFFFFFFFu, bytes);
  return 0;
}

int main(int argc, char **argv) {
  crc_init();
  if (argc < 2) return sum(0, 0);
  int status = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-") == 0) {
      status |= sum(0, "-");
      continue;
    }
    int fd = open(argv[i], O_RDONLY);
    if (fd < 0) {
      fprintf(2, "cksum: %s: cannot open: %s\n", argv[i], lasterror());
      status = 1;
      continue;
    }
    struct stat st;
    if (fstat(fd, &st) == 0 && st.type == T_DIR) {
      fprintf(2, "cksum: %s: is a directory\n", argv[i]);
      status = 1;
    } else {
      status |= sum(fd, argv[i]);
    }
    close(fd);
  }
  return status;
}
