// ls [path...]: one line per file: name, type (dir, file, dev), inode
// number and size in bytes. A directory is listed entry by entry, reading
// its 16-byte struct dirent records with read(); free slots (inum 0) are
// skipped. Default path: ".".
#include "user.h"

#define PATH_MAX 256

static const char *type_name(short type) {
  return type == T_DIR ? "dir" : type == T_FILE ? "file" : type == T_DEVICE ? "dev" : "?";
}

static void show(const char *name, const struct stat *st) {
  printf("%-14s %-4s %5u %8lu\n", name, type_name(st->type), st->ino, st->size);
}

static int list(const char *path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    fprintf(2, "ls: %s: %s\n", path, lasterror());
    return 1;
  }
  struct stat st;
  if (fstat(fd, &st) < 0) {
    fprintf(2, "ls: %s: fstat: %s\n", path, lasterror());
    close(fd);
    return 1;
  }
  if (st.type != T_DIR) {
    show(path, &st);
    close(fd);
    return 0;
  }
  size_t dirlen = strlen(path);
  if (dirlen + 1 + DIRSIZ + 1 > PATH_MAX) {
    fprintf(2, "ls: %s: path too long\n", path);
    close(fd);
    return 1;
  }
  char child[PATH_MAX];
  memcpy(child, path, dirlen);
  child[dirlen] = '/';
  struct dirent de;
  int n, status = 0;
  while ((n = read(fd, &de, sizeof de)) == sizeof de) {
    if (de.inum == 0) continue;
    char name[DIRSIZ + 1];
    memcpy(name, de.name, DIRSIZ);
    name[DIRSIZ] = 0;  // a 14-character name has no NUL of its own
    strcpy(child + dirlen + 1, name);
    struct stat entry;
    if (stat(child, &entry) < 0) {
      printf("%-14s %-4s %5u %8s\n", name, "?", de.inum, "?");
      continue;
    }
    show(name, &entry);
  }
  if (n < 0) {
    fprintf(2, "ls: %s: read: %s\n", path, lasterror());
    status = 1;
  } else if (n != 0) {
    fprintf(2, "ls: %s: short directory entry (%d bytes)\n", path, n);
    status = 1;
  }
  close(fd);
  return status;
}

int main(int argc, char **argv) {
  if (argc < 2) return list(".");
  int status = 0;
  for (int i = 1; i < argc; i++) status |= list(argv[i]);
  return status;
}
