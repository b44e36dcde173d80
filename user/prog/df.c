// df: the root file system's space and inodes, from fsinfo() (call 105),
// as a header and one line:
//
//   Filesystem      KiB     Used    Avail Use%  Inodes  IUsed  IFree
//   /            131072     5124   125948   4%    4096     31   4065
//
// Sizes are in KiB; Used counts every block in use, metadata and the log
// included; Use% is rounded up, as df does. Takes no arguments. When the
// root is the read-only boot file system there is nothing to report: df
// says so and exits 1.
#include "user.h"

static uint64 kib(uint64 blocks, uint64 block_size) { return blocks * block_size / 1024; }

// Percentage of total that used is, rounded up (0 for an empty total).
static uint64 percent_up(uint64 used, uint64 total) { return total ? (used * 100 + total - 1) / total : 0; }

int main(int argc, char **argv) {
  if (argc > 1) {
    fprintf(2, "usage: df\n");
    return 2;
  }
  struct fsinfo fs;
  if (fsinfo(&fs) < 0) {
    fprintf(2, "df: /: not a disk file system (fsinfo: %s); the read-only boot file system has no space to report\n", lasterror());
    return 1;
  }
  if (fs.free_blocks > fs.blocks || fs.free_inodes > fs.inodes || fs.block_size == 0) {
    fprintf(2, "df: fsinfo returned inconsistent counts (%lu of %lu blocks free, %lu of %lu inodes free, block size %lu)\n", fs.free_blocks,
            fs.blocks, fs.free_inodes, fs.inodes, fs.block_size);
    return 1;
  }
  uint64 used = fs.blocks - fs.free_blocks;
  uint64 iused = fs.inodes - fs.free_inodes;
  printf("Filesystem %8s %8s %8s %4s %7s %6s %6s\n", "KiB", "Used", "Avail", "Use%", "Inodes", "IUsed", "IFree");
  printf("%-10s %8lu %8lu %8lu %3lu%% %7lu %6lu %6lu\n", "/", kib(fs.blocks, fs.block_size), kib(used, fs.block_size),
         kib(fs.free_blocks, fs.block_size), percent_up(used, fs.blocks), fs.inodes, iused, fs.free_inodes);
  return 0;
}
