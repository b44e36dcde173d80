// download FILE...: hand each file to whoever shows the console, which saves
// it: the page offers it as a download, the headless runner (npm run boot)
// writes it into the host's current directory. The file travels over the
// console as escape sequences the console strips (docs/userland.md
// "download"), so standard output must be the console:
//
//   ESC ] 7337 ; B ; SIZE ; NAME-IN-HEX BEL     begin: the size in decimal, the base name's bytes in hex
//   ESC ] 7337 ; D ; BASE64 BEL                 data: at most 3072 bytes of the file, base64
//   ESC ] 7337 ; E ; CRC BEL                    end: the CRC-32 of the file (as cksum's), 8 hex digits
//   ESC ] 7337 ; X BEL                          abandoned: the file could not be read to the end
//
// Then "download: sent NAME (N bytes)". Exits 1 if any file could not be sent.
#include "user.h"

#define CRC32_POLY_REFLECTED 0xEDB88320u
#define CHUNK 3072

static uint crc_table[256];
static uchar data[CHUNK];
static char out[16 + CHUNK / 3 * 4 + 2];
static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char hex[] = "0123456789abcdef";

static void crc_init(void) {
  for (uint b = 0; b < 256; b++) {
    uint r = b;
    for (int bit = 0; bit < 8; bit++) r = (r >> 1) ^ (r & 1 ? CRC32_POLY_REFLECTED : 0);
    crc_table[b] = r;
  }
}

static int put(const char *s, int n) {
  return write(1, s, n) == n ? 0 : -1;
}

static const char *base_name(const char *path) {
  const char *base = path;
  for (const char *p = path; *p; p++) {
    if (*p == '/' && p[1] != 0) base = p + 1;
  }
  return base;
}

// Reads up to CHUNK bytes (fewer only at the end of the file).
static int fill(int fd) {
  int got = 0;
  while (got < CHUNK) {
    int n = read(fd, data + got, CHUNK - got);
    if (n < 0) return -1;
    if (n == 0) break;
    got += n;
  }
  return got;
}

static int send(const char *path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    fprintf(2, "download: %s: %s\n", path, lasterror());
    return 1;
  }
  struct stat st;
  if (fstat(fd, &st) < 0 || st.type != T_FILE) {
    fprintf(2, "download: %s: not a file\n", path);
    close(fd);
    return 1;
  }
  const char *name = base_name(path);
  int len = snprintf(out, sizeof out, "\x1b]7337;B;%lu;", (unsigned long)st.size);
  for (const char *p = name; *p && *p != '/' && len < (int)sizeof out - 4; p++) {
    out[len++] = hex[(uchar)*p >> 4];
    out[len++] = hex[(uchar)*p & 15];
  }
  out[len++] = '\a';
  if (put(out, len) < 0) { close(fd); return 1; }
  uint reg = 0xFFFFFFFFu;
  uint64 sent = 0;
  int n;
  while ((n = fill(fd)) > 0) {
    for (int i = 0; i < n; i++) reg = (reg >> 8) ^ crc_table[(reg ^ data[i]) & 0xff];
    len = 0;
    memcpy(out, "\x1b]7337;D;", 9);
    len = 9;
    for (int i = 0; i < n; i += 3) {
      uint v = (uint)data[i] << 16 | (i + 1 < n ? (uint)data[i + 1] << 8 : 0) | (i + 2 < n ? data[i + 2] : 0);
      out[len++] = b64[v >> 18 & 63];
      out[len++] = b64[v >> 12 & 63];
      out[len++] = i + 1 < n ? b64[v >> 6 & 63] : '=';
      out[len++] = i + 2 < n ? b64[v & 63] : '=';
    }
    out[len++] = '\a';
    if (put(out, len) < 0) { close(fd); return 1; }
    sent += (uint64)n;
  }
  close(fd);
  if (n < 0 || sent != st.size) {
    put("\x1b]7337;X\a", 9);
    fprintf(2, "download: %s: read failed after %lu bytes\n", path, (unsigned long)sent);
    return 1;
  }
  reg ^= 0xFFFFFFFFu;
  len = snprintf(out, sizeof out, "\x1b]7337;E;%08x\a", reg);
  if (put(out, len) < 0) return 1;
  printf("download: sent %s (%lu bytes)\n", name, (unsigned long)sent);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(2, "usage: download FILE...\n");
    return 2;
  }
  struct stat st;
  if (fstat(1, &st) < 0 || st.type != T_DEVICE) {
    fprintf(2, "download: standard output is not the console\n");
    return 1;
  }
  crc_init();
  int status = 0;
  for (int i = 1; i < argc; i++) status |= send(argv[i]);
  return status;
}
