// fsbench: the file-system benchmark the host runs. Works in a fresh
// directory fsbench.PID under the current one, removes everything it made,
// and prints one line per measurement, "fsbench NAME VALUE UNIT", VALUE a
// decimal with two places:
//
//   create-1k       create, write 1 KiB to and close each of 200 new files   us/file
//   seq-write-16m   write a 16 MiB file in 64 KiB writes (open to close)     MB/s
//   seq-read-16m    read it back in 64 KiB reads (open to close)             MB/s
//   list-500        read a directory of 500 empty files, one 16-byte entry
//                   per read() as ls does (mean of 10 listings)              ms/listing
//
// MB is 10^6 bytes. Time comes from clocknanos(). Any failing call stops
// the run with a message and exit status 1 (on the read-only boot file
// system the first mkdir fails).
#include "user.h"

#define SMALL_FILES 200
#define SMALL_FILE_BYTES 1024
#define BIG_FILE_BYTES (16 << 20)
#define BIG_IO_BYTES (64 << 10)
#define LIST_FILES 500
#define LIST_REPEATS 10

static char io[BIG_IO_BYTES];

// Prints VALUE = numerator / denominator with two decimal places.
static void report(const char *name, uint64 numerator, uint64 denominator, const char *unit) {
  if (denominator == 0) denominator = 1;
  uint64 hundredths = (numerator * 100 + denominator / 2) / denominator;
  printf("fsbench %s %lu.%02lu %s\n", name, hundredths / 100, hundredths % 100, unit);
}

static void must(int ok, const char *what, const char *name) {
  if (ok) return;
  fprintf(2, "fsbench: %s %s: %s\n", what, name, lasterror());
  exit(1);
}

static int create_file(const char *name) {
  int fd = open(name, O_CREATE | O_TRUNC | O_WRONLY);
  must(fd >= 0, "create", name);
  return fd;
}

static void small_files(void) {
  char name[16];
  memset(io, 'c', SMALL_FILE_BYTES);
  uint64 t0 = clocknanos();
  for (int i = 0; i < SMALL_FILES; i++) {
    snprintf(name, sizeof name, "s%d", i);
    int fd = create_file(name);
    must(write(fd, io, SMALL_FILE_BYTES) == SMALL_FILE_BYTES, "write", name);
    must(close(fd) == 0, "close", name);
  }
  uint64 ns = clocknanos() - t0;
  report("create-1k", ns, (uint64)SMALL_FILES * 1000, "us/file");
  for (int i = 0; i < SMALL_FILES; i++) {
    snprintf(name, sizeof name, "s%d", i);
    must(unlink(name) == 0, "unlink", name);
  }
}

static void big_file(void) {
  const char *name = "big";
  for (int i = 0; i < BIG_IO_BYTES; i++) io[i] = (char)(i * 7 + 1);
  uint64 t0 = clocknanos();
  int fd = create_file(name);
  for (int done = 0; done < BIG_FILE_BYTES; done += BIG_IO_BYTES)
    must(write(fd, io, BIG_IO_BYTES) == BIG_IO_BYTES, "write", name);
  must(close(fd) == 0, "close", name);
  uint64 ns = clocknanos() - t0;
  report("seq-write-16m", (uint64)BIG_FILE_BYTES * 1000, ns, "MB/s");  // bytes/ns * 1000 = MB/s

  t0 = clocknanos();
  fd = open(name, O_RDONLY);
  must(fd >= 0, "open", name);
  uint64 total = 0;
  int n;
  while ((n = read(fd, io, BIG_IO_BYTES)) > 0) total += (uint64)n;
  must(n == 0, "read", name);
  must(close(fd) == 0, "close", name);
  ns = clocknanos() - t0;
  if (total != BIG_FILE_BYTES) {
    fprintf(2, "fsbench: read %lu bytes of %s, wrote %d\n", total, name, BIG_FILE_BYTES);
    exit(1);
  }
  report("seq-read-16m", total * 1000, ns, "MB/s");
  must(unlink(name) == 0, "unlink", name);
}

static void listing(void) {
  const char *dir = "list";
  char name[32];
  must(mkdir(dir) == 0, "mkdir", dir);
  for (int i = 0; i < LIST_FILES; i++) {
    snprintf(name, sizeof name, "%s/e%d", dir, i);
    int fd = create_file(name);
    must(close(fd) == 0, "close", name);
  }
  uint64 t0 = clocknanos();
  for (int rep = 0; rep < LIST_REPEATS; rep++) {
    int fd = open(dir, O_RDONLY);
    must(fd >= 0, "open", dir);
    struct dirent de;
    int live = 0;
    while (read(fd, &de, sizeof de) == sizeof de)
      if (de.inum != 0) live++;
    close(fd);
    if (live < LIST_FILES) {
      fprintf(2, "fsbench: listing %s found %d entries, expected %d files\n", dir, live, LIST_FILES);
      exit(1);
    }
  }
  uint64 ns = clocknanos() - t0;
  report("list-500", ns, (uint64)LIST_REPEATS * 1000000, "ms/listing");
  for (int i = 0; i < LIST_FILES; i++) {
    snprintf(name, sizeof name, "%s/e%d", dir, i);
    must(unlink(name) == 0, "unlink", name);
  }
  must(unlink(dir) == 0, "unlink", dir);
}

int main(int argc, char **argv) {
  if (argc > 1) {
    fprintf(2, "usage: fsbench\n");
    return 2;
  }
  char work[32];
  snprintf(work, sizeof work, "fsbench.%d", getpid());
  if (mkdir(work) < 0) {
    fprintf(2, "fsbench: mkdir %s: %s (fsbench needs a writable file system)\n", work, lasterror());
    return 1;
  }
  must(chdir(work) == 0, "chdir", work);
  small_files();
  big_file();
  listing();
  must(chdir("..") == 0, "chdir", "..");
  must(unlink(work) == 0, "unlink", work);
  return 0;
}
