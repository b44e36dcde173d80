// ls [-l] [path...]: one line per file: name, type (dir, file, dev), inode
// number and size in bytes. With -l, the long listing: a type letter (d
// directory, - file, c device), the number of links, the inode number, the
// size in bytes and the name. A directory is listed entry by entry, reading
// its 16-byte struct dirent records with read(); free slots (inum 0) are
// skipped. Default path: ".". "--" ends the options.
#include "user.h"

#define PATH_MAX 256

static int long_format;

static const char *type_name(short type) {
  return type == T_DIR ? "dir" : type == T_FILE ? "file" : type == T_DEVICE ? "dev" : "?";
}

static char type_letter(short type) {
  return type == T_DIR ? 'd' : type == T_FILE ? '-' : type == T_DEVICE ? 'c' : '?';
}

static void show(const char *name, const struct stat *st) {
  if (long_format)
    printf("%c %3d %5u %8lu %s\n", type_letter(st->type), st->nlink, st->ino, st->size, name);
  else
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
      if (long_format) printf("? %3s %5u %8s %s\n", "?", de.inum, "?", name);
      else printf("%-14s %-4s %5u %8s\n", name, "?", de.inum, "?");
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
  int first = 1;
  for (; first < argc && argv[first][0] == '-' && argv[first][1] != 0; first++) {
    if (strcmp(argv[first], "--") == 0) {
      first++;
      break;
    }
    if (strcmp(argv[first], "-l") == 0) {
      long_format = 1;
      continue;
    }
    fprintf(2, "ls: %s: unknown option (usage: ls [-l] [PATH...])\n", argv[first]);
    return 2;
  }
  if (first >= argc) return list(".");
  int status = 0;
  for (int i = first; i < argc; i++) status |= list(argv[i]);
  return status;
}
